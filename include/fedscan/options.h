/* options.h: the one table of fedscan's options: the command line, --help, the policy file's keys and value ranges. */
#ifndef FEDSCAN_OPTIONS_H
#define FEDSCAN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Our stream 'from' when none is given: a reserved name (RFC 2606), so no third party is asked to verify a key. */
#define FS_DEFAULT_FROM "fedscan.invalid"

/* What a value is; the command line and the policy file check it the same way (fedscan(1), fedscan.conf(5)). */
enum fs_opt_type {
	FS_OT_FLAG,                    /* no value */
	FS_OT_STRING,                  /* taken as given */
	FS_OT_LEVEL,                   /* Required | Optional | NotSupported */
	FS_OT_DIALBACK,                /* True | False */
	FS_OT_DOMAIN,                  /* our stream from */
	FS_OT_FILE,                    /* a file that must be readable */
	FS_OT_PATH,                    /* a file that need not exist */
	FS_OT_SECONDS,                 /* a number of seconds, fractions allowed, within min..max */
	FS_OT_COUNT,                   /* a whole number within min..max */
	FS_OT_HOSTPORT,                /* HOST[:PORT], [V6]:PORT */
	FS_OT_DOMAINS,                 /* a list of domains (policy file only) */
	FS_OT_TEXT,                    /* free text (policy file only) */
};

/* The commands, as bits of fs_option.commands. */
enum fs_cmd_bit {
	FS_CMD_CHECK = 1U << 0,
	FS_CMD_POLICY_CHECK = 1U << 1,
	FS_CMD_POLICY_IMPORT = 1U << 2,
	FS_CMD_SCAN = 1U << 3,
	FS_CMD_DIFF = 1U << 4,
	FS_CMD_REPORT = 1U << 5,
	FS_CMD_HISTORY = 1U << 6,
	FS_CMD_PRUNE = 1U << 7,
	FS_CMD_PCAP = 1U << 8,
};
#define FS_CMD_ALL 0x1ffU

/* Policy file sections a key belongs to (fedscan.conf(5)). */
#define FS_SEC_LOCAL 1U
#define FS_SEC_PARTNER 2U

/* fs_option.flags */
#define FS_OF_STRICT 1U                /* another command refuses it (usage error) instead of ignoring it */
#define FS_OF_ACCUMULATES 2U           /* policy file: repeated keys and continuation lines add to the value */
#define FS_OF_COMMAND_HELP 4U          /* listed by `fedscan COMMAND --help`, not by `fedscan --help` */

/* Every option, in the order `fedscan --help` lists them; fs_options[id].id == id. */
enum fs_opt_id {
	FS_O_POLICY, FS_O_TLS, FS_O_SASL, FS_O_DIALBACK, FS_O_FROM, FS_O_CLIENT_CERT, FS_O_CLIENT_KEY, FS_O_CA_FILE,
	FS_O_CONNECT, FS_O_DIRECT_TLS, FS_O_RESOLVER, FS_O_DNSSEC, FS_O_LISTEN, FS_O_TIMEOUT, FS_O_CONCURRENCY,
	FS_O_PER_ADDRESS, FS_O_PER_DOMAIN, FS_O_DIALBACK_WAIT, FS_O_EXPIRY_WARN, FS_O_EXPIRY_CRIT, FS_O_CAPTURE,
	FS_O_USER, FS_O_PORT, FS_O_DB, FS_O_NO_DB, FS_O_JSON, FS_O_NAGIOS, FS_O_PROMETHEUS, FS_O_LIST_PROBES, FS_O_QUIET,
	FS_O_VERBOSE,
	FS_O_PARTNER_TLS, FS_O_PARTNER_SASL, FS_O_PARTNER_DIALBACK, FS_O_PARTNERS, FS_O_FORMAT, FS_O_OUTPUT,
	FS_O_EXPIRY_DAYS, FS_O_KEEP_DAYS, FS_O_RETAIN_DAYS, FS_O_RETAIN_WEEKLY_DAYS, FS_O_HELP, FS_O_VERSION,
	FS_O_ADDITIONAL_DOMAINS, FS_O_DESCRIPTION,
	FS_O__COUNT
};

/* One option: on the command line, in the policy file, or both. */
struct fs_option {
	enum fs_opt_id id;
	const char *name;              /* long option without "--"; NULL: policy file only */
	char short_name;               /* 'q', or 0 */
	enum fs_opt_type type;
	const char *arg;               /* the value's name in --help (FILE, LEVEL, N ...); NULL for a flag */
	double min, max;               /* FS_OT_SECONDS, FS_OT_COUNT: the accepted range */
	const char *def;               /* the default as the documentation says it; NULL: none */
	unsigned commands;             /* FS_CMD_* bits: the commands it is for */
	unsigned flags;                /* FS_OF_* */
	const char *label;             /* --help's left column when not "--name ARG" */
	const char *help;              /* --help's right column ('\n': a new line; {default}); NULL: told by another's */
	const char *key;               /* the policy file key; NULL: none */
	unsigned sections;             /* FS_SEC_* of the key */
};

/* The table, indexed by enum fs_opt_id. */
extern const struct fs_option fs_options[FS_O__COUNT];

/* A command as `fedscan --help` shows it. */
struct fs_command_doc {
	const char *name;              /* "check", "policy" */
	const char *sub;               /* "check", "import" under "policy"; NULL */
	unsigned bit;                  /* FS_CMD_* */
	const char *usage;             /* after "fedscan ": the synopsis and what it does ('\n': a new line) */
};

/* Every command, in --help's order; ends with a NULL name. */
extern const struct fs_command_doc fs_commands[];

/* The option of the policy file key in section (FS_SEC_*), case-insensitive; NULL when there is none. */
const struct fs_option *fs_option_key(const char *key, unsigned section);
/* "check and scan": the names of the commands in bits, for messages, into buf. Returns buf. */
const char *fs_commands_text(unsigned bits, char *buf, size_t size);
/* Parse v as a number within o's range (whole: no fraction allowed). 0 with *out set, or -1. */
int fs_option_number(const struct fs_option *o, const char *v, bool whole, double *out);
/* Print the usage: every command and the main options (bit 0), or one command's usage and its options. */
void fs_options_help(FILE *f, unsigned bit);
/* Print the table, one tab-separated line per option, for tests/integration/options_doc.test. */
void fs_options_dump(FILE *f);

#endif
