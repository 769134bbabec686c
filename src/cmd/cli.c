/* cli.c: fedscan's options: one table for parsing and help, strict values, usage errors that name the flag. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/policyfile.h"
#include "cli.h"

enum {
	O_DB = 256, O_NO_DB, O_POLICY, O_TLS, O_SASL, O_DIALBACK, O_FROM, O_CERT, O_KEY, O_CA, O_TIMEOUT, O_CONC,
	O_CAPTURE, O_JSON, O_CONNECT, O_DIRECT, O_RESOLVER, O_LISTEN, O_PERADDR, O_PERDOMAIN, O_DBWAIT, O_PTLS, O_PSASL, O_PDB, O_VERSION,
	O_PARTNERS, O_FORMAT, O_KEEP_DAYS, O_EXPIRY_DAYS,
	O_USER, O_PORT,
};

static const struct option longopts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "no-db", no_argument, NULL, O_NO_DB },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "tls", required_argument, NULL, O_TLS },
	{ "sasl", required_argument, NULL, O_SASL },
	{ "dialback", required_argument, NULL, O_DIALBACK },
	{ "from", required_argument, NULL, O_FROM },
	{ "client-cert", required_argument, NULL, O_CERT },
	{ "client-key", required_argument, NULL, O_KEY },
	{ "ca-file", required_argument, NULL, O_CA },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "concurrency", required_argument, NULL, O_CONC },
	{ "capture", required_argument, NULL, O_CAPTURE },
	{ "user", required_argument, NULL, O_USER },
	{ "port", required_argument, NULL, O_PORT },
	{ "json", no_argument, NULL, O_JSON },
	{ "connect", required_argument, NULL, O_CONNECT },
	{ "direct-tls", no_argument, NULL, O_DIRECT },
	{ "resolver", required_argument, NULL, O_RESOLVER },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "per-address", required_argument, NULL, O_PERADDR },
	{ "per-domain", required_argument, NULL, O_PERDOMAIN },
	{ "dialback-wait", required_argument, NULL, O_DBWAIT },
	{ "partner-tls", required_argument, NULL, O_PTLS },
	{ "partner-sasl", required_argument, NULL, O_PSASL },
	{ "partner-dialback", required_argument, NULL, O_PDB },
	{ "partners", required_argument, NULL, O_PARTNERS },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "keep-days", required_argument, NULL, O_KEEP_DAYS },
	{ "expiry-days", required_argument, NULL, O_EXPIRY_DAYS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

void
fs_cli_usage(FILE *f)
{
	fputs("usage: fedscan check DOMAIN... [options]   audit partner domains now\n"
	    "       fedscan policy check [--tls X --sasl Y --dialback Z] [--partner-tls X --partner-sasl Y\n"
	    "                            --partner-dialback Z] [--json]   the negotiation matrix as a calculator;\n"
	    "                            with a policy file, also every [partner] entry\n"
	    "       fedscan policy import FILE.csv [-o OUT]   Get-CsXmppAllowedPartner | Export-Csv -> policy file\n"
	    "       fedscan scan [--partners FILE] [-q] [--json]   audit every partner (cron); record each result\n"
	    "       fedscan diff [SCAN_A [SCAN_B]] [--expiry-days N] [--json]   what changed (default: the last two scans)\n"
	    "       fedscan report [SCAN] [--format text|json|csv|html|markdown] [-o FILE]   export a recorded scan\n"
	    "       fedscan history [DOMAIN] [--json]   the recorded scans, or one partner's results over time\n"
	    "       fedscan prune --keep-days N   remove scans older than N days\n"
	    "       fedscan pcap FILE... [--port N]...   audit partners from captured s2s traffic (tcpdump -w)\n"
	    "       fedscan --help | --version\n"
	    "options:\n"
	    "  --policy FILE             policy file (default " FS_POLICY_DEFAULT_PATH " when it exists;\n"
	    "                            options given here override it; see fedscan.conf(5))\n"
	    "  --tls, --sasl LEVEL       local setting: Required | Optional | NotSupported (default Required)\n"
	    "  --dialback BOOL           local setting: True | False (default True)\n"
	    "  --from DOMAIN             our stream 'from' (default " FS_DEFAULT_FROM ", a reserved name)\n"
	    "  --client-cert FILE        PEM certificate for --from (SASL EXTERNAL); --client-key FILE its key\n"
	    "  --ca-file FILE            trust these CAs instead of the system store\n"
	    "  --connect HOST[:PORT]     skip DNS and probe this endpoint (--direct-tls: it speaks TLS first)\n"
	    "  --resolver ADDR[:PORT]    use this DNS server\n"
	    "  --listen ADDR[:PORT]      authoritative mode: answer the partners' dialback connect-back for --from\n"
	    "  --timeout SECONDS         per connection (default 15)\n"
	    "  --concurrency N           domains in flight (default 32)\n"
	    "  --per-address N           connections at once to one partner address (default 64)\n"
	    "  --per-domain N            connections at once to one partner domain (default 16)\n"
	    "  --dialback-wait SECONDS   without --listen: silence after db:result that means verifying\n"
	    "                            (default 0.25 s + 8 round trips; --timeout or more: wait it out)\n"
	    "  --capture FILE.pcap       check, scan: capture the audit's own packets to FILE, TLS keys to FILE.keys\n"
	    "  --user NAME               with --capture as root: run as NAME once the capture is open (default nobody)\n"
	    "  --port N                  pcap: also an s2s port besides 5269 (repeatable)\n"
	    "  --db FILE | --no-db       where to record (default $XDG_DATA_HOME/fedscan/fedscan.db)\n"
	    "  --json                    print one JSON document\n"
	    "  -q, -v                    quieter, more verbose\n"
	    "exit status: 0 all compatible, 1 some degraded, 2 some incompatible or unreachable,\n"
	    "             3 the scan could not be done, 64 bad usage.  See fedscan(1).\n", f);
}

static int __attribute__((format(printf, 1, 0)))
usage_error(const char *fmt, const char *a, const char *b)
{
	fputs("fedscan: ", stderr);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, a, b);
#pragma GCC diagnostic pop
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

static int
parse_number(const char *flag, const char *v, double lo, double hi, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d >= lo && d <= hi)) {
		char range[64];
		snprintf(range, sizeof(range), "a number from %g to %g", lo, hi);
		fputs("fedscan: ", stderr);
		fprintf(stderr, "%s: '%s' is not %s\n", flag, v, range);
		return FS_EXIT_USAGE;
	}
	*out = d;
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
		if (rb[1] == ':' && parse_number(pflag, rb + 2, 1, 65535, &port) != 0)
			return FS_EXIT_USAGE;
		else if (rb[1] != '\0' && rb[1] != ':')
			return usage_error("%s: '%s' is not HOST[:PORT]", flag, v);
	} else if ((colon = strchr(v, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - v);
		if (parse_number(pflag, colon + 1, 1, 65535, &port) != 0)
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
	const char *path = cli->policy_path, *line, *nl;
	struct fs_policyfile *pf = NULL;
	static char err[16384];

	if (path == NULL && access(FS_POLICY_DEFAULT_PATH, F_OK) == 0)
		path = FS_POLICY_DEFAULT_PATH;
	if (path != NULL) {
		if (fs_policyfile_load(path, &pf, err, sizeof(err)) != 0) {
			for (line = err; line != NULL && *line; line = nl != NULL ? nl + 1 : NULL) {
				char one[1024];
				size_t n;

				nl = strchr(line, '\n');
				n = nl != NULL ? (size_t)(nl - line) : strlen(line);
				if (n >= sizeof(one))
					n = fs_utf8_cut(line, sizeof(one) - 1);
				memcpy(one, line, n);
				one[n] = '\0';
				/* File content in the messages is escaped (fs_policyfile_escape); this guards the terminal. */
				fputs("fedscan: ", stderr);
				fs_fputs_safe(one, stderr);
				fputc('\n', stderr);
			}
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
		if (cli->db_path == NULL)
			cli->db_path = pf->database;
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
	return 0;
}

int
fs_cli_parse(const char *cmd, int argc, char **argv, struct fs_cli *cli)
{
	int ch, r = 0;
	double d;

	/* The local setting, from, timeout and concurrency stay unset here: apply_policy() fills them after the loop. */
	cli->keep_days = -1;
	cli->expiry_days = FS_DEFAULT_EXPIRY_DAYS;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":qvho:", longopts, NULL)) != -1) {
		switch (ch) {
		case O_DB: cli->db_path = optarg; break;
		case O_NO_DB: cli->no_db = true; break;
		case O_POLICY: cli->policy_path = optarg; break;
		case O_TLS: r = parse_level("--tls", optarg, &cli->local.tls); break;
		case O_SASL: r = parse_level("--sasl", optarg, &cli->local.sasl); break;
		case O_DIALBACK: r = parse_dialback("--dialback", optarg, &cli->local.dialback); break;
		case O_PTLS: r = parse_level("--partner-tls", optarg, &cli->partner.tls); cli->partner_given[0] = true; break;
		case O_PSASL: r = parse_level("--partner-sasl", optarg, &cli->partner.sasl); cli->partner_given[1] = true; break;
		case O_PDB:
			r = parse_dialback("--partner-dialback", optarg, &cli->partner.dialback);
			cli->partner_given[2] = true;
			break;
		case O_FROM:
			if (optarg[0] == '\0' || strlen(optarg) >= 250 || strpbrk(optarg, " \t\r\n<>&'\"/@") != NULL)
				return usage_error("--from: '%s' is not a domain name%s", optarg, "");
			cli->eng.from = optarg;
			break;
		case O_CERT: r = readable("--client-cert", optarg); cli->eng.client_cert = optarg; break;
		case O_KEY: r = readable("--client-key", optarg); cli->eng.client_key = optarg; break;
		case O_CA: r = readable("--ca-file", optarg); cli->eng.ca_file = optarg; break;
		case O_TIMEOUT:
			if ((r = parse_number("--timeout", optarg, 0.1, 3600, &d)) == 0)
				cli->eng.timeout_ms = (long)(d * 1000);
			break;
		case O_CONC:
			if ((r = parse_number("--concurrency", optarg, 1, 10000, &d)) == 0)
				cli->eng.concurrency = (unsigned)d;
			break;
		case O_CAPTURE:
			if (strcmp(cmd, "check") != 0 && strcmp(cmd, "scan") != 0)
				return usage_error("--capture is for check and scan, not '%s'%s", cmd, "");
			cli->capture = optarg;
			break;
		case O_USER: cli->run_user = optarg; break;
		case O_PORT:
			if ((r = parse_number("--port", optarg, 1, 65535, &d)) == 0) {
				if (cli->nports >= (int)(sizeof(cli->ports) / sizeof(cli->ports[0])))
					return usage_error("--port: at most 16 ports%s%s", "", "");
				cli->ports[cli->nports++] = (int)d;
			}
			break;
		case O_JSON: cli->json = true; break;
		case O_CONNECT: cli->connect = optarg; r = parse_connect(cli, optarg); break;
		case O_DIRECT: cli->eng.direct_tls = true; break;
		case O_RESOLVER: cli->eng.resolver = optarg; break;
		case O_PERADDR:
			if ((r = parse_number("--per-address", optarg, 1, 10000, &d)) == 0)
				cli->eng.per_address = (unsigned)d;
			break;
		case O_DBWAIT:
			if ((r = parse_number("--dialback-wait", optarg, 0.01, 3600, &d)) == 0)
				cli->eng.dialback_wait_ms = (long)(d * 1000);
			break;
		case O_PERDOMAIN:
			if ((r = parse_number("--per-domain", optarg, 1, 10000, &d)) == 0)
				cli->eng.per_domain = (unsigned)d;
			break;
		case O_LISTEN:
			r = parse_hostport("--listen", optarg, cli->listen_host, sizeof(cli->listen_host),
			    &cli->eng.listen_port);
			cli->eng.listen_host = cli->listen_host;
			break;
		case O_PARTNERS: cli->partners_file = optarg; break;
		case O_FORMAT: cli->format = optarg; break;
		case 'o': cli->output = optarg; break;
		case O_KEEP_DAYS:
			if ((r = parse_number("--keep-days", optarg, 0, 36500, &d)) == 0)
				cli->keep_days = (long)d;
			break;
		case O_EXPIRY_DAYS:
			if ((r = parse_number("--expiry-days", optarg, 0, 3650, &d)) == 0)
				cli->expiry_days = (long)d;
			break;
		case 'q': cli->verbose = -1; break;
		case 'v': cli->verbose++; break;
		case 'h': fs_cli_usage(stdout); exit(0);
		case O_VERSION: puts("fedscan " PACKAGE_VERSION); exit(0);
		case ':': return usage_error("%s needs a value%s", argv[optind - 1], "");
		default: return usage_error("%s: unknown option for '%s'", argv[optind - 1], cmd);
		}
		if (r != 0)
			return r;
	}
	if ((r = apply_policy(cli)) != 0)
		return r;
	if (cli->eng.client_key != NULL && cli->eng.client_cert == NULL)
		return usage_error("--client-key needs --client-cert%s%s", "", "");
	if (cli->eng.listen_host != NULL && (cli->eng.client_cert == NULL || cli->eng.from == NULL ||
	    strcmp(cli->eng.from, FS_DEFAULT_FROM) == 0))
		return usage_error("--listen needs --from DOMAIN (whose DNS points at the listener) and "
		    "--client-cert/--client-key for it%s%s", "", "");
	if (cli->eng.direct_tls && cli->eng.connect_host == NULL)
		return usage_error("--direct-tls needs --connect HOST[:PORT]%s%s", "", "");
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
