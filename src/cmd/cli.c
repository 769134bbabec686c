/* cli.c: fedscan's command line, read through the options table (fedscan/options.h): strict values, usage errors that name the flag. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedscan/err.h"
#include "fedscan/infer.h"
#include "fedscan/log.h"
#include "fedscan/options.h"
#include "fedscan/policyfile.h"
#include "fedscan/store.h"
#include "fedscan/utf8.h"
#include "cli.h"

/* getopt_long's view of fs_options: each option returns 256 + its id, or its short letter. */
static struct option longopts[FS_O__COUNT + 1];
static char shortopts[2 * FS_O__COUNT + 2];

static void
build_getopt(void)
{
	size_t i, n = 0, k = 0;

	shortopts[k++] = ':';
	for (i = 0; i < FS_O__COUNT; i++) {
		const struct fs_option *o = &fs_options[i];

		if (o->name == NULL)
			continue;                   /* policy file only */
		longopts[n++] = (struct option){ o->name, o->type == FS_OT_FLAG ? no_argument : required_argument, NULL,
		    o->short_name != 0 ? o->short_name : 256 + (int)o->id };
		if (o->short_name != 0) {
			shortopts[k++] = o->short_name;
			if (o->type != FS_OT_FLAG)
				shortopts[k++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[k] = '\0';
}

/* The option getopt_long returned ch for; NULL for ':' and '?'. */
static const struct fs_option *
option_of(int ch)
{
	size_t i;

	if (ch >= 256 && ch < 256 + FS_O__COUNT)
		return &fs_options[ch - 256];
	for (i = 0; i < FS_O__COUNT && ch > 0; i++)
		if (fs_options[i].short_name == ch)
			return &fs_options[i];
	return NULL;
}

void
fs_cli_usage(FILE *f)
{
	fs_options_help(f, 0);
}

/* The last usage error, for check --nagios's status line (main.c). */
static char last_usage[2048];

const char *
fs_cli_usage_message(void)
{
	return last_usage;
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_usage, sizeof(last_usage), fmt, ap);
	va_end(ap);
	fputs("fedscan: ", stderr);
	fs_fputs_safe(last_usage, stderr);
	fputs("\n(see fedscan --help)\n", stderr);
	return FS_EXIT_USAGE;
}

static int
parse_level(const char *flag, const char *v, enum fs_level *out)
{
	if (fs_level_parse(v, out) != 0)
		return usage_error("%s: '%s' is not a setting; use Required, Optional or NotSupported", flag, v);
	return 0;
}

static int
parse_dialback(const char *flag, const char *v, enum fs_dialback *out)
{
	if (fs_dialback_parse(v, out) != 0)
		return usage_error("%s: '%s' is not a setting; use True or False (yes/no, 1/0 also work)", flag, v);
	return 0;
}

/* A number within o's range (written once, in fs_options), for the option flag. */
static int
parse_number(const char *flag, const struct fs_option *o, const char *v, double *out)
{
	if (fs_option_number(o, v, false, out) != 0)
		return usage_error("%s: '%s' is not a number from %g to %g", flag, v, o->min, o->max);
	return 0;
}

/* HOST, HOST:PORT, [V6]:PORT or a bare IPv6 literal, for the option flag; port 5269 when none. */
static int
parse_hostport(const char *flag, const char *v, char *hostbuf, size_t size, int *portp)
{
	const char *colon, *host = v;
	char pflag[64];
	size_t hl;
	double port = 5269;

	snprintf(pflag, sizeof(pflag), "%s port", flag);
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');
		if (rb == NULL)
			return usage_error("%s: '%s' has '[' without ']'", flag, v);
		host = v + 1;
		hl = (size_t)(rb - host);
		if (rb[1] == ':' && parse_number(pflag, &fs_options[FS_O_PORT], rb + 2, &port) != 0)
			return FS_EXIT_USAGE;
		else if (rb[1] != '\0' && rb[1] != ':')
			return usage_error("%s: '%s' is not HOST[:PORT]", flag, v);
	} else if ((colon = strchr(v, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - v);
		if (parse_number(pflag, &fs_options[FS_O_PORT], colon + 1, &port) != 0)
			return FS_EXIT_USAGE;
	} else {
		hl = strlen(v);
	}
	if (hl == 0 || hl >= size)
		return usage_error("%s: '%s' has no usable host", flag, v);
	memcpy(hostbuf, host, hl);
	hostbuf[hl] = '\0';
	*portp = (int)port;
	return 0;
}

static int
parse_connect(struct fs_cli *cli, const char *v)
{
	int r = parse_hostport("--connect", v, cli->connect_host, sizeof(cli->connect_host), &cli->eng.connect_port);

	if (r == 0)
		cli->eng.connect_host = cli->connect_host;
	return r;
}

static int
readable(const char *flag, const char *path)
{
	if (access(path, R_OK) != 0)
		return usage_error("%s: cannot read '%s'", flag, path);
	return 0;
}

/*
 * The policy file (--policy, or FS_POLICY_DEFAULT_PATH when it exists) fills what the command line left unset,
 * then the defaults fill the rest. A broken file is a usage error: nothing is scanned or written.
 */
static int
apply_policy(struct fs_cli *cli)
{
	const char *path = cli->policy_path;
	struct fs_policyfile *pf = NULL;
	static char err[16384];

	if (path == NULL && access(FS_POLICY_DEFAULT_PATH, F_OK) == 0)
		path = FS_POLICY_DEFAULT_PATH;
	if (path != NULL) {
		if (fs_policyfile_load(path, &pf, err, sizeof(err)) != 0) {
			fs_error_lines(err);
			fputs("(see fedscan.conf(5))\n", stderr);
			return FS_EXIT_USAGE;
		}
		cli->policy = pf;
		if (cli->local.tls == FS_LEVEL_UNKNOWN)
			cli->local.tls = pf->local.tls;
		if (cli->local.sasl == FS_LEVEL_UNKNOWN)
			cli->local.sasl = pf->local.sasl;
		if (cli->local.dialback == FS_DIALBACK_UNKNOWN)
			cli->local.dialback = pf->local.dialback;
		if (cli->eng.from == NULL)
			cli->eng.from = pf->from;
		/* A --client-cert given alone keeps its own key (from its file), never the policy file's. */
		if (cli->eng.client_cert == NULL) {
			cli->eng.client_cert = pf->client_cert;
			if (cli->eng.client_key == NULL)
				cli->eng.client_key = pf->client_key;
		}
		if (cli->eng.ca_file == NULL)
			cli->eng.ca_file = pf->ca_file;
		if (cli->eng.timeout_ms == 0)
			cli->eng.timeout_ms = pf->timeout_ms;
		if (cli->eng.concurrency == 0)
			cli->eng.concurrency = pf->concurrency;
		if (cli->expiry_warn < 0)
			cli->expiry_warn = pf->expiry_warn_days;
		if (cli->expiry_crit < 0)
			cli->expiry_crit = pf->expiry_crit_days;
		if (cli->db_path == NULL)
			cli->db_path = pf->database;
		if (cli->retain_days == 0)
			cli->retain_days = pf->retain_days;
		if (cli->retain_weekly_days == 0)
			cli->retain_weekly_days = pf->retain_weekly_days;
		if (cli->eng.listen_host == NULL && pf->listen_host != NULL) {
			snprintf(cli->listen_host, sizeof(cli->listen_host), "%s", pf->listen_host);
			cli->eng.listen_host = cli->listen_host;
			cli->eng.listen_port = pf->listen_port;
		}
	}
	if (cli->local.tls == FS_LEVEL_UNKNOWN)
		cli->local.tls = FS_LEVEL_REQUIRED;
	if (cli->local.sasl == FS_LEVEL_UNKNOWN)
		cli->local.sasl = FS_LEVEL_REQUIRED;
	if (cli->local.dialback == FS_DIALBACK_UNKNOWN)
		cli->local.dialback = FS_DIALBACK_TRUE;
	if (cli->eng.from == NULL)
		cli->eng.from = FS_DEFAULT_FROM;
	if (cli->eng.timeout_ms == 0)
		cli->eng.timeout_ms = FS_DEFAULT_TIMEOUT_MS;
	if (cli->eng.concurrency == 0)
		cli->eng.concurrency = FS_DEFAULT_CONCURRENCY;
	if (cli->expiry_warn < 0)
		cli->expiry_warn = FS_DEFAULT_EXPIRY_WARN_DAYS;
	/* A warning of 2 days alone brings the critical default down with it; both given must agree (check_together). */
	if (cli->expiry_crit < 0)
		cli->expiry_crit = FS_DEFAULT_EXPIRY_CRIT_DAYS < cli->expiry_warn ? FS_DEFAULT_EXPIRY_CRIT_DAYS :
		    cli->expiry_warn;
	if (cli->retain_days == 0)
		cli->retain_days = FS_STORE_RETAIN_ALL_DAYS;
	if (cli->retain_weekly_days == 0)
		cli->retain_weekly_days = FS_STORE_RETAIN_WEEKLY_DAYS;
	return 0;
}

/* --tls, --sasl, --dialback and the --partner-* three. */
static int
set_setting(struct fs_cli *cli, const struct fs_option *o, const char *flag, const char *v)
{
	switch (o->id) {
	case FS_O_TLS: return parse_level(flag, v, &cli->local.tls);
	case FS_O_SASL: return parse_level(flag, v, &cli->local.sasl);
	case FS_O_DIALBACK: return parse_dialback(flag, v, &cli->local.dialback);
	case FS_O_PARTNER_TLS: cli->partner_given[0] = true; return parse_level(flag, v, &cli->partner.tls);
	case FS_O_PARTNER_SASL: cli->partner_given[1] = true; return parse_level(flag, v, &cli->partner.sasl);
	case FS_O_PARTNER_DIALBACK:
		cli->partner_given[2] = true;
		return parse_dialback(flag, v, &cli->partner.dialback);
	default: return usage_error("%s: not a setting option", flag);
	}
}

/* The options whose value is a number; its range is the table's. */
static int
set_number(struct fs_cli *cli, const struct fs_option *o, const char *flag, const char *v)
{
	double d;
	int r;

	if ((r = parse_number(flag, o, v, &d)) != 0)
		return r;
	switch (o->id) {
	case FS_O_TIMEOUT: cli->eng.timeout_ms = (long)(d * 1000); break;
	case FS_O_DIALBACK_WAIT: cli->eng.dialback_wait_ms = (long)(d * 1000); break;
	case FS_O_CONCURRENCY: cli->eng.concurrency = (unsigned)d; break;
	case FS_O_PER_ADDRESS: cli->eng.per_address = (unsigned)d; break;
	case FS_O_PER_DOMAIN: cli->eng.per_domain = (unsigned)d; break;
	case FS_O_KEEP_DAYS: cli->keep_days = (long)d; break;
	case FS_O_RETAIN_DAYS: cli->retain_days = (long)d; break;
	case FS_O_RETAIN_WEEKLY_DAYS: cli->retain_weekly_days = (long)d; break;
	case FS_O_EXPIRY_DAYS: cli->expiry_days = (long)d; break;
	case FS_O_EXPIRY_WARN: cli->expiry_warn = (int)d; break;
	case FS_O_EXPIRY_CRIT: cli->expiry_crit = (int)d; break;
	case FS_O_PORT:
		if (cli->nports >= (int)(sizeof(cli->ports) / sizeof(cli->ports[0])))
			return usage_error("%s: at most %zu ports", flag, sizeof(cli->ports) / sizeof(cli->ports[0]));
		cli->ports[cli->nports++] = (int)d;
		break;
	default: return usage_error("%s: not a number option", flag);
	}
	return 0;
}

/* The options whose value is a name, a file or an endpoint. */
static int
set_string(struct fs_cli *cli, const struct fs_option *o, const char *flag, const char *v)
{
	int r = 0;

	switch (o->id) {
	case FS_O_FROM:
		if (v[0] == '\0' || strlen(v) >= 250 || strpbrk(v, " \t\r\n<>&'\"/@") != NULL)
			return usage_error("%s: '%s' is not a domain name", flag, v);
		cli->eng.from = v;
		break;
	case FS_O_CLIENT_CERT: r = readable(flag, v); cli->eng.client_cert = v; break;
	case FS_O_CLIENT_KEY: r = readable(flag, v); cli->eng.client_key = v; break;
	case FS_O_CA_FILE: r = readable(flag, v); cli->eng.ca_file = v; break;
	case FS_O_CONNECT: cli->connect = v; r = parse_connect(cli, v); break;
	case FS_O_LISTEN:
		r = parse_hostport(flag, v, cli->listen_host, sizeof(cli->listen_host), &cli->eng.listen_port);
		cli->eng.listen_host = cli->listen_host;
		break;
	case FS_O_DB: cli->db_path = v; break;
	case FS_O_POLICY: cli->policy_path = v; break;
	case FS_O_RESOLVER: cli->eng.resolver = v; break;
	case FS_O_CAPTURE: cli->capture = v; break;
	case FS_O_USER: cli->run_user = v; break;
	case FS_O_PARTNERS: cli->partners_file = v; break;
	case FS_O_FORMAT: cli->format = v; break;
	case FS_O_OUTPUT: cli->output = v; break;
	case FS_O_PROMETHEUS:
		if (v[0] == '\0')
			return usage_error("%s: name a file", flag);
		cli->prometheus = v;
		break;
	default: return usage_error("%s: not a value option", flag);
	}
	return r;
}

/* The options without a value; --help and --version print and exit at once. */
static int
set_flag(struct fs_cli *cli, const struct fs_option *o, unsigned bit)
{
	switch (o->id) {
	case FS_O_NO_DB: cli->no_db = true; break;
	case FS_O_DIRECT_TLS: cli->eng.direct_tls = true; break;
	case FS_O_DNSSEC: cli->eng.dnssec = true; break;
	case FS_O_JSON: cli->json = true; break;
	case FS_O_NAGIOS: cli->nagios = true; break;
	case FS_O_LIST_PROBES: cli->list_probes = true; break;
	case FS_O_QUIET: cli->verbose = -1; break;
	case FS_O_VERBOSE: cli->verbose++; break;
	case FS_O_HELP: fs_options_help(stdout, bit); exit(0);
	case FS_O_VERSION: puts("fedscan " PACKAGE_VERSION); exit(0);
	default: return usage_error("--%s: not a flag", o->name);
	}
	return 0;
}

/* One option from getopt_long, with its value v (NULL for a flag), for the command cmd (bit). */
static int
set_option(struct fs_cli *cli, const struct fs_option *o, const char *v, const char *cmd, unsigned bit)
{
	char flag[64], cmds[128];

	snprintf(flag, sizeof(flag), "--%s", o->name);
	if ((o->flags & FS_OF_STRICT) != 0 && (o->commands & bit) == 0)
		return usage_error("%s is for %s, not '%s'", flag, fs_commands_text(o->commands, cmds, sizeof(cmds)), cmd);
	switch (o->type) {
	case FS_OT_FLAG: return set_flag(cli, o, bit);
	case FS_OT_LEVEL: case FS_OT_DIALBACK: return set_setting(cli, o, flag, v);
	case FS_OT_SECONDS: case FS_OT_COUNT: return set_number(cli, o, flag, v);
	default: return set_string(cli, o, flag, v);
	}
}

/* What the options say together, once the policy file has filled the rest. */
static int
check_together(const struct fs_cli *cli)
{
	if (cli->eng.client_key != NULL && cli->eng.client_cert == NULL)
		return usage_error("--client-key needs --client-cert");
	if (cli->eng.listen_host != NULL && (cli->eng.client_cert == NULL || cli->eng.from == NULL ||
	    strcmp(cli->eng.from, FS_DEFAULT_FROM) == 0))
		return usage_error("--listen needs --from DOMAIN (whose DNS points at the listener) and "
		    "--client-cert/--client-key for it");
	if (cli->eng.direct_tls && cli->eng.connect_host == NULL)
		return usage_error("--direct-tls needs --connect HOST[:PORT]");
	/* Critical is the nearer of the two thresholds (fedscan(1) MONITORING). */
	if (cli->expiry_crit > cli->expiry_warn)
		return usage_error("--expiry-crit %d is above --expiry-warn %d: critical must come no sooner than warning",
		    cli->expiry_crit, cli->expiry_warn);
	if (cli->nagios && cli->json)
		return usage_error("--nagios and --json: choose one output");
	return 0;
}

int
fs_cli_parse(const char *cmd, unsigned bit, int argc, char **argv, struct fs_cli *cli)
{
	const struct fs_option *o;
	int ch, r;

	/* The local setting, from, timeout and concurrency stay unset here: apply_policy() fills them after the loop. */
	cli->keep_days = -1;
	cli->expiry_days = FS_DEFAULT_EXPIRY_DAYS;
	cli->expiry_warn = cli->expiry_crit = -1;
	build_getopt();
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == ':')
			return usage_error("%s needs a value", argv[optind - 1]);
		if ((o = option_of(ch)) == NULL)
			return usage_error("%s: unknown option for '%s'", argv[optind - 1], cmd);
		if ((r = set_option(cli, o, optarg, cmd, bit)) != 0)
			return r;
	}
	if ((r = apply_policy(cli)) != 0 || (r = check_together(cli)) != 0)
		return r;
	cli->args = argv + optind;
	cli->nargs = argc - optind;
	fs_log_level = cli->verbose < 0 ? 0 : 1 + cli->verbose;
	return 0;
}

const char *
fs_cli_default_db(char *buf, size_t size)
{
	const char *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");

	if (geteuid() == 0 && x == NULL)
		snprintf(buf, size, "/var/lib/fedscan/fedscan.db");
	else if (x != NULL && x[0] == '/')
		snprintf(buf, size, "%s/fedscan/fedscan.db", x);
	else
		snprintf(buf, size, "%s/.local/share/fedscan/fedscan.db", h != NULL ? h : ".");
	return buf;
}
