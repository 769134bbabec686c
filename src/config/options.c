/* options.c: the one table of fedscan's options, read by the command line, --help and the policy file reader. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fedscan/options.h"
#include "fedscan/policyfile.h"

#define ALL FS_CMD_ALL
#define CHECK (FS_CMD_CHECK | FS_CMD_SCAN)             /* scan takes every check option (fedscan(1), scan) */
#define SETTING (CHECK | FS_CMD_POLICY_CHECK | FS_CMD_PCAP)
#define STORE (CHECK | FS_CMD_DIFF | FS_CMD_REPORT | FS_CMD_HISTORY | FS_CMD_PRUNE | FS_CMD_PCAP)
#define LOCAL FS_SEC_LOCAL
#define PARTNER FS_SEC_PARTNER

/*
 * The ranges are those of fedscan(1) OPTIONS and fedscan.conf(5); tests/integration/options_doc.test holds the
 * table and the two pages to each other, tests/unit/options-t.c the defaults to the code that applies them.
 */
const struct fs_option fs_options[FS_O__COUNT] = {
	[FS_O_POLICY] = { FS_O_POLICY, "policy", 0, FS_OT_PATH, "FILE", 0, 0, FS_POLICY_DEFAULT_PATH, ALL, 0, NULL,
	    "policy file (default {default} when it exists;\noptions given here override it; see fedscan.conf(5))",
	    NULL, 0 },
	[FS_O_TLS] = { FS_O_TLS, "tls", 0, FS_OT_LEVEL, "LEVEL", 0, 0, "Required", SETTING, 0, "--tls, --sasl LEVEL",
	    "local setting: Required | Optional | NotSupported (default {default})", "tls", LOCAL | PARTNER },
	[FS_O_SASL] = { FS_O_SASL, "sasl", 0, FS_OT_LEVEL, "LEVEL", 0, 0, "Required", SETTING, 0, NULL, NULL,
	    "sasl", LOCAL | PARTNER },
	[FS_O_DIALBACK] = { FS_O_DIALBACK, "dialback", 0, FS_OT_DIALBACK, "BOOL", 0, 0, "True", SETTING, 0, NULL,
	    "local setting: True | False (default {default})", "dialback", LOCAL | PARTNER },
	[FS_O_FROM] = { FS_O_FROM, "from", 0, FS_OT_DOMAIN, "DOMAIN", 0, 0, FS_DEFAULT_FROM, CHECK, 0, NULL,
	    "our stream 'from' (default {default}, a reserved name)", "from", LOCAL },
	[FS_O_CLIENT_CERT] = { FS_O_CLIENT_CERT, "client-cert", 0, FS_OT_FILE, "FILE", 0, 0, NULL, CHECK, 0, NULL,
	    "PEM certificate for --from (SASL EXTERNAL); --client-key FILE its key", "client-cert", LOCAL },
	[FS_O_CLIENT_KEY] = { FS_O_CLIENT_KEY, "client-key", 0, FS_OT_FILE, "FILE", 0, 0, NULL, CHECK, 0, NULL, NULL,
	    "client-key", LOCAL },
	[FS_O_CA_FILE] = { FS_O_CA_FILE, "ca-file", 0, FS_OT_FILE, "FILE", 0, 0, NULL, CHECK | FS_CMD_PCAP, 0, NULL,
	    "trust these CAs instead of the system store", "ca-file", LOCAL },
	[FS_O_CONNECT] = { FS_O_CONNECT, "connect", 0, FS_OT_HOSTPORT, "HOST[:PORT]", 0, 0, NULL, CHECK, 0, NULL,
	    "skip DNS and probe this endpoint (--direct-tls: it speaks TLS first)", "connect", PARTNER },
	[FS_O_DIRECT_TLS] = { FS_O_DIRECT_TLS, "direct-tls", 0, FS_OT_FLAG, NULL, 0, 0, NULL, CHECK, 0, NULL, NULL,
	    NULL, 0 },
	[FS_O_RESOLVER] = { FS_O_RESOLVER, "resolver", 0, FS_OT_STRING, "ADDR[:PORT]", 0, 0, NULL, CHECK, 0, NULL,
	    "use this DNS server", NULL, 0 },
	[FS_O_DNSSEC] = { FS_O_DNSSEC, "dnssec", 0, FS_OT_FLAG, NULL, 0, 0, NULL, CHECK, 0, NULL,
	    "DNSSEC states and DANE (TLSA) per endpoint; needs a validating resolver", NULL, 0 },
	[FS_O_LISTEN] = { FS_O_LISTEN, "listen", 0, FS_OT_HOSTPORT, "ADDR[:PORT]", 0, 0, NULL, CHECK, 0, NULL,
	    "authoritative mode: answer the partners' dialback connect-back for --from", "listen", LOCAL },
	[FS_O_TIMEOUT] = { FS_O_TIMEOUT, "timeout", 0, FS_OT_SECONDS, "SECONDS", 0.1, 3600, "15", CHECK, 0, NULL,
	    "per connection (default {default})", "timeout", LOCAL },
	[FS_O_CONCURRENCY] = { FS_O_CONCURRENCY, "concurrency", 0, FS_OT_COUNT, "N", 1, 10000, "32", CHECK, 0, NULL,
	    "domains in flight (default {default})", "concurrency", LOCAL },
	[FS_O_PER_ADDRESS] = { FS_O_PER_ADDRESS, "per-address", 0, FS_OT_COUNT, "N", 1, 10000, "64", CHECK, 0, NULL,
	    "connections at once to one partner address (default {default})", NULL, 0 },
	[FS_O_PER_DOMAIN] = { FS_O_PER_DOMAIN, "per-domain", 0, FS_OT_COUNT, "N", 1, 10000, "16", CHECK, 0, NULL,
	    "connections at once to one partner domain (default {default})", NULL, 0 },
	[FS_O_DIALBACK_WAIT] = { FS_O_DIALBACK_WAIT, "dialback-wait", 0, FS_OT_SECONDS, "SECONDS", 0.01, 3600,
	    "0.25 s + 8 round trips", CHECK, 0, NULL, "without --listen: silence after db:result that means verifying\n"
	    "(default {default}; --timeout or more: wait it out)", NULL, 0 },
	[FS_O_EXPIRY_WARN] = { FS_O_EXPIRY_WARN, "expiry-warn", 0, FS_OT_COUNT, "DAYS", 0, 3650, "14",
	    CHECK | FS_CMD_PCAP, 0, NULL, "a certificate expiring within DAYS is a problem: degraded,\n"
	    "WARNING for --nagios (default {default})", "expiry-warn", LOCAL },
	[FS_O_EXPIRY_CRIT] = { FS_O_EXPIRY_CRIT, "expiry-crit", 0, FS_OT_COUNT, "DAYS", 0, 3650, "3", CHECK, 0, NULL,
	    "within DAYS: CRITICAL for --nagios (default {default})", "expiry-crit", LOCAL },
	[FS_O_CAPTURE] = { FS_O_CAPTURE, "capture", 0, FS_OT_STRING, "FILE.pcap", 0, 0, NULL, CHECK, FS_OF_STRICT, NULL,
	    "check, scan: capture the audit's own packets to FILE, TLS keys to FILE.keys", NULL, 0 },
	[FS_O_USER] = { FS_O_USER, "user", 0, FS_OT_STRING, "NAME", 0, 0, "_fedscan, else nobody", ALL, 0, NULL,
	    "as root: run as NAME once what needs root is open (default {default})", NULL, 0 },
	[FS_O_PORT] = { FS_O_PORT, "port", 0, FS_OT_COUNT, "N", 1, 65535, NULL, FS_CMD_PCAP, 0, NULL,
	    "pcap: also an s2s port besides 5269 (repeatable)", NULL, 0 },
	[FS_O_DB] = { FS_O_DB, "db", 0, FS_OT_PATH, "FILE", 0, 0, "$XDG_DATA_HOME/fedscan/fedscan.db", STORE, 0,
	    "--db FILE | --no-db", "where to record (default {default})", "database", LOCAL },
	[FS_O_NO_DB] = { FS_O_NO_DB, "no-db", 0, FS_OT_FLAG, NULL, 0, 0, NULL, CHECK | FS_CMD_PCAP, 0, NULL, NULL,
	    NULL, 0 },
	[FS_O_JSON] = { FS_O_JSON, "json", 0, FS_OT_FLAG, NULL, 0, 0, NULL, ALL & ~FS_CMD_POLICY_IMPORT, 0, NULL,
	    "print one JSON document", NULL, 0 },
	[FS_O_NAGIOS] = { FS_O_NAGIOS, "nagios", 0, FS_OT_FLAG, NULL, 0, 0, NULL, FS_CMD_CHECK, FS_OF_STRICT, NULL,
	    "check: a monitoring plugin's status line, details and perfdata;\n"
	    "exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN", NULL, 0 },
	[FS_O_PROMETHEUS] = { FS_O_PROMETHEUS, "prometheus", 0, FS_OT_PATH, "FILE", 0, 0, NULL, CHECK, FS_OF_STRICT,
	    NULL, "check, scan: write the metrics to FILE for node-exporter's\ntextfile collector (replaced at once)",
	    NULL, 0 },
	[FS_O_LIST_PROBES] = { FS_O_LIST_PROBES, "list-probes", 0, FS_OT_FLAG, NULL, 0, 0, NULL, FS_CMD_CHECK,
	    FS_OF_STRICT, NULL, "check: print each probe's name and what it does, and exit", NULL, 0 },
	[FS_O_QUIET] = { FS_O_QUIET, "quiet", 'q', FS_OT_FLAG, NULL, 0, 0, NULL, CHECK | FS_CMD_DIFF | FS_CMD_PRUNE |
	    FS_CMD_PCAP, 0, "-q, -v", "quieter, more verbose", NULL, 0 },
	[FS_O_VERBOSE] = { FS_O_VERBOSE, "verbose", 'v', FS_OT_FLAG, NULL, 0, 0, NULL, CHECK | FS_CMD_PCAP, 0, NULL,
	    NULL, NULL, 0 },
	[FS_O_PARTNER_TLS] = { FS_O_PARTNER_TLS, "partner-tls", 0, FS_OT_LEVEL, "LEVEL", 0, 0, NULL,
	    FS_CMD_POLICY_CHECK, FS_OF_COMMAND_HELP, "--partner-tls, --partner-sasl LEVEL",
	    "the partner's setting, to compute what the two sides\nnegotiate; give all three", NULL, 0 },
	[FS_O_PARTNER_SASL] = { FS_O_PARTNER_SASL, "partner-sasl", 0, FS_OT_LEVEL, "LEVEL", 0, 0, NULL,
	    FS_CMD_POLICY_CHECK, FS_OF_COMMAND_HELP, NULL, NULL, NULL, 0 },
	[FS_O_PARTNER_DIALBACK] = { FS_O_PARTNER_DIALBACK, "partner-dialback", 0, FS_OT_DIALBACK, "BOOL", 0, 0, NULL,
	    FS_CMD_POLICY_CHECK, FS_OF_COMMAND_HELP, NULL, "the partner's Dialback setting", NULL, 0 },
	[FS_O_PARTNERS] = { FS_O_PARTNERS, "partners", 0, FS_OT_STRING, "FILE", 0, 0, NULL, FS_CMD_SCAN,
	    FS_OF_COMMAND_HELP, NULL, "the partner domains, one a line ('-': standard input;\n"
	    "default: the policy file's [partner] sections)", NULL, 0 },
	[FS_O_FORMAT] = { FS_O_FORMAT, "format", 0, FS_OT_STRING, "FORMAT", 0, 0, "text", FS_CMD_REPORT,
	    FS_OF_COMMAND_HELP, NULL, "text | json | csv | html | markdown (default {default})", NULL, 0 },
	[FS_O_OUTPUT] = { FS_O_OUTPUT, "output", 'o', FS_OT_STRING, "FILE", 0, 0, NULL, FS_CMD_REPORT |
	    FS_CMD_POLICY_IMPORT, FS_OF_COMMAND_HELP, "-o, --output FILE", "write to FILE instead of standard output",
	    NULL, 0 },
	[FS_O_EXPIRY_DAYS] = { FS_O_EXPIRY_DAYS, "expiry-days", 0, FS_OT_COUNT, "N", 0, 3650, "21", FS_CMD_DIFF,
	    FS_OF_COMMAND_HELP, NULL, "report a certificate within N days of its expiry (default {default})", NULL, 0 },
	[FS_O_KEEP_DAYS] = { FS_O_KEEP_DAYS, "keep-days", 0, FS_OT_COUNT, "N", 0, 36500, NULL, FS_CMD_PRUNE,
	    FS_OF_COMMAND_HELP, NULL, "remove the scans that started more than N days ago", NULL, 0 },
	/* The retention after each scan (fs_store_retain, fedscan(1) FILES); the defaults are store.h's. */
	[FS_O_RETAIN_DAYS] = { FS_O_RETAIN_DAYS, "retain-days", 0, FS_OT_COUNT, "N", 1, 36500, "90", FS_CMD_SCAN,
	    FS_OF_COMMAND_HELP, NULL, "after the scan, keep every scan of the last N days (default {default})",
	    "retain-days", LOCAL },
	[FS_O_RETAIN_WEEKLY_DAYS] = { FS_O_RETAIN_WEEKLY_DAYS, "retain-weekly-days", 0, FS_OT_COUNT, "N", 1, 36500,
	    "730", FS_CMD_SCAN, FS_OF_COMMAND_HELP, NULL, "... and one a week of those up to N days old; none older\n"
	    "(default {default})", "retain-weekly-days", LOCAL },
	[FS_O_HELP] = { FS_O_HELP, "help", 'h', FS_OT_FLAG, NULL, 0, 0, NULL, ALL, FS_OF_COMMAND_HELP, "-h, --help",
	    "print this help and exit", NULL, 0 },
	[FS_O_VERSION] = { FS_O_VERSION, "version", 0, FS_OT_FLAG, NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL, 0 },
	[FS_O_ADDITIONAL_DOMAINS] = { FS_O_ADDITIONAL_DOMAINS, NULL, 0, FS_OT_DOMAINS, "DOMAIN...", 0, 0, NULL, 0,
	    FS_OF_ACCUMULATES, NULL, NULL, "additional-domains", PARTNER },
	[FS_O_DESCRIPTION] = { FS_O_DESCRIPTION, NULL, 0, FS_OT_TEXT, "TEXT", 0, 0, NULL, 0, FS_OF_ACCUMULATES, NULL,
	    NULL, "description", PARTNER },
};

const struct fs_command_doc fs_commands[] = {
	{ "check", NULL, FS_CMD_CHECK, "check DOMAIN... [options]   audit partner domains now" },
	{ "policy", "check", FS_CMD_POLICY_CHECK, "policy check [--tls X --sasl Y --dialback Z] [--partner-tls X "
	    "--partner-sasl Y\n                            --partner-dialback Z] [--json]   the negotiation matrix as a "
	    "calculator;\n                            with a policy file, also every [partner] entry" },
	{ "policy", "import", FS_CMD_POLICY_IMPORT,
	    "policy import FILE.csv [-o OUT]   Get-CsXmppAllowedPartner | Export-Csv -> policy file" },
	{ "scan", NULL, FS_CMD_SCAN, "scan [--partners FILE] [-q] [--json]   audit every partner (cron); record each "
	    "result" },
	{ "diff", NULL, FS_CMD_DIFF, "diff [SCAN_A [SCAN_B]] [--expiry-days N] [--json]   what changed (default: the "
	    "last two scans)" },
	{ "report", NULL, FS_CMD_REPORT, "report [SCAN] [--format text|json|csv|html|markdown] [-o FILE]   export a "
	    "recorded scan" },
	{ "history", NULL, FS_CMD_HISTORY, "history [DOMAIN] [--json]   the recorded scans, or one partner's results "
	    "over time" },
	{ "prune", NULL, FS_CMD_PRUNE, "prune --keep-days N   remove scans older than N days" },
	{ "pcap", NULL, FS_CMD_PCAP, "pcap FILE... [--port N]...   audit partners from captured s2s traffic "
	    "(tcpdump -w)" },
	{ NULL, NULL, 0, NULL },
};

#define HELP_COLUMN 28          /* where --help's right column starts */

const struct fs_option *
fs_option_key(const char *key, unsigned section)
{
	size_t i;

	for (i = 0; i < FS_O__COUNT; i++)
		if (fs_options[i].key != NULL && (fs_options[i].sections & section) != 0 &&
		    strcasecmp(fs_options[i].key, key) == 0)
			return &fs_options[i];
	return NULL;
}

const char *
fs_commands_text(unsigned bits, char *buf, size_t size)
{
	size_t used = 0, i, n = 0, k = 0;
	int w;

	for (i = 0; fs_commands[i].name != NULL; i++)
		n += (bits & fs_commands[i].bit) != 0;
	if (size > 0)
		buf[0] = '\0';
	for (i = 0; fs_commands[i].name != NULL && used < size; i++) {
		const struct fs_command_doc *c = &fs_commands[i];

		if ((bits & c->bit) == 0)
			continue;
		k++;
		w = snprintf(buf + used, size - used, "%s%s%s%s", k == 1 ? "" : k == n ? " and " : ", ", c->name,
		    c->sub != NULL ? " " : "", c->sub != NULL ? c->sub : "");
		used = w < 0 ? size : used + (size_t)w;
	}
	return buf;
}

int
fs_option_number(const struct fs_option *o, const char *v, bool whole, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = whole ? (double)strtol(v, &end, 10) : strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d >= o->min && d <= o->max))
		return -1;
	*out = d;
	return 0;
}

/* text with each '\n' followed by the right column's indent and {default} replaced by def. */
static void
put_help(FILE *f, const char *text, const char *def)
{
	static const char token[] = "{default}";
	const char *p;

	for (p = text; *p; p++) {
		if (*p == '\n')
			fprintf(f, "\n%*s", HELP_COLUMN, "");
		else if (strncmp(p, token, sizeof(token) - 1) == 0) {
			fputs(def != NULL ? def : "none", f);
			p += sizeof(token) - 2;
		} else
			fputc(*p, f);
	}
	fputc('\n', f);
}

/* One option's line(s) of --help: the label ("--name ARG" unless given) and its help. */
static void
put_option(FILE *f, const struct fs_option *o)
{
	char label[64];

	if (o->label != NULL)
		snprintf(label, sizeof(label), "%s", o->label);
	else
		snprintf(label, sizeof(label), "--%s%s%s", o->name, o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
	if (strlen(label) >= HELP_COLUMN - 3)
		fprintf(f, "  %s\n%*s", label, HELP_COLUMN, "");
	else
		fprintf(f, "  %-*s", HELP_COLUMN - 2, label);
	put_help(f, o->help, o->def);
}

void
fs_options_help(FILE *f, unsigned bit)
{
	size_t i;

	for (i = 0; fs_commands[i].name != NULL; i++)
		if (bit == 0 || fs_commands[i].bit == bit)
			fprintf(f, "%s%s\n", i == 0 || bit != 0 ? "usage: fedscan " : "       fedscan ", fs_commands[i].usage);
	if (bit == 0)
		fputs("       fedscan --help | --version\n", f);
	fputs("options:\n", f);
	for (i = 0; i < FS_O__COUNT; i++) {
		const struct fs_option *o = &fs_options[i];

		if (o->name == NULL || o->help == NULL)
			continue;                       /* the policy file's, or told in another option's line */
		if (bit == 0 ? (o->flags & FS_OF_COMMAND_HELP) == 0 : (o->commands & bit) != 0)
			put_option(f, o);
	}
	if (bit == 0)
		fputs("exit status: 0 all compatible, 1 some degraded, 2 some incompatible or unreachable,\n"
		    "             3 the scan could not be done, 64 bad usage.  See fedscan(1).\n", f);
	else
		fputs("See fedscan(1) for the details and the exit status, fedscan --help for every command.\n", f);
}

static const char *
type_name(enum fs_opt_type t)
{
	static const char *const names[] = { "flag", "string", "level", "dialback", "domain", "file", "path",
	    "seconds", "count", "host:port", "domains", "text" };

	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

void
fs_options_dump(FILE *f)
{
	char cmds[256];
	size_t i;

	fputs("# long\tshort\targ\ttype\tmin\tmax\tdefault\tcommands\tkey\tsections\n", f);
	for (i = 0; i < FS_O__COUNT; i++) {
		const struct fs_option *o = &fs_options[i];
		bool ranged = o->type == FS_OT_SECONDS || o->type == FS_OT_COUNT;

		fprintf(f, "%s%s\t", o->name != NULL ? "--" : "-", o->name != NULL ? o->name : "");
		if (o->short_name != 0)
			fprintf(f, "-%c\t", o->short_name);
		else
			fputs("-\t", f);
		fprintf(f, "%s\t%s\t", o->arg != NULL ? o->arg : "-", type_name(o->type));
		if (ranged)
			fprintf(f, "%g\t%g\t", o->min, o->max);
		else
			fputs("-\t-\t", f);
		fs_commands_text(o->commands, cmds, sizeof(cmds));
		fprintf(f, "%s\t%s\t%s\t%s%s%s\n", o->def != NULL ? o->def : "-", cmds[0] ? cmds : "-",
		    o->key != NULL ? o->key : "-", o->sections & FS_SEC_LOCAL ? "local" : "",
		    o->sections == (FS_SEC_LOCAL | FS_SEC_PARTNER) ? "," : "", o->sections & FS_SEC_PARTNER ? "partner" :
		    o->sections == 0 ? "-" : "");
	}
}
