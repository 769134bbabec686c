/* cli.h: the command line shared by fedscan's commands: options, their checks, and usage text. */
#ifndef FEDSCAN_CLI_H
#define FEDSCAN_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "fedscan/engine.h"
#include "fedscan/options.h"
#include "fedscan/settings.h"

struct fs_policyfile;

struct fs_cli {
	struct fs_setting local;
	struct fs_setting partner;     /* policy check --partner-* */
	bool partner_given[3];
	const char *db_path;           /* NULL: the default */
	bool no_db;
	bool json;
	int verbose;                   /* -q: -1, default 0, -v: 1, -vv: 2 */
	struct fs_engine_opts eng;
	const char *connect;           /* HOST[:PORT] as given */
	char connect_host[256];
	char listen_host[256];          /* --listen ADDR */
	const char *partners_file;     /* scan --partners FILE ("-": stdin) */
	const char *format;            /* report --format */
	const char *output;            /* report, policy import: -o FILE */
	const char *policy_path;       /* --policy FILE as given (NULL: FS_POLICY_DEFAULT_PATH when it exists) */
	struct fs_policyfile *policy;  /* the policy file read, or NULL; lives until exit */
	long keep_days;                /* prune --keep-days; -1: not given */
	long retain_days;              /* scan --retain-days, then the policy file, then FS_STORE_RETAIN_ALL_DAYS */
	long retain_weekly_days;       /* scan --retain-weekly-days, ... FS_STORE_RETAIN_WEEKLY_DAYS */
	long expiry_days;              /* diff --expiry-days */
	int expiry_warn;               /* --expiry-warn DAYS (FS_DEFAULT_EXPIRY_WARN_DAYS; -1 until the policy file is read) */
	int expiry_crit;               /* --expiry-crit DAYS (FS_DEFAULT_EXPIRY_CRIT_DAYS) */
	bool nagios;                   /* check --nagios: the monitoring plugin's output and exit status */
	const char *prometheus;        /* --prometheus FILE: the textfile collector's metrics (check, scan) */
	const char *capture;           /* --capture FILE.pcap (check, scan) */
	const char *run_user;          /* --user NAME: who root becomes once start-up is over (confine.h) */
	bool list_probes;              /* check --list-probes */
	int ports[16];                 /* pcap --port N: s2s ports besides 5269 */
	int nports;
	char **args;                   /* positional arguments after the command */
	int nargs;
};

/* Parse argv after the command name cmd (FS_CMD_* bit) into cli; on a usage error print it, FS_EXIT_USAGE, else 0. */
int fs_cli_parse(const char *cmd, unsigned bit, int argc, char **argv, struct fs_cli *cli);
/* The default database path ($XDG_DATA_HOME/fedscan/fedscan.db, or /var/lib/fedscan/fedscan.db for root). */
const char *fs_cli_default_db(char *buf, size_t size);
/* The message of the last usage error fs_cli_parse() printed ("" when none). */
const char *fs_cli_usage_message(void);
/* Print the usage text of every command to f (fs_options_help). */
void fs_cli_usage(FILE *f);

/* Commands. */
int fs_cmd_check(struct fs_cli *cli);
/* check --list-probes: each probe's name and its help line from the registry (probes/registry.c); 0, or 3. */
int fs_cmd_list_probes(void);
int fs_cmd_policy_check(struct fs_cli *cli);
int fs_cmd_pcap(struct fs_cli *cli);

/* --capture for check and scan (cmd_capture.c): open before anything is scanned (else FS_EXIT_ERROR after a
 * message); start once the engine exists (attach to its loop); finish after the run (a "capture" JSON object, or
 * NULL without --capture). Root is dropped afterwards, by fs_cmd_confine (confine.h). */
struct fs_capture;
int fs_cmd_capture_open(struct fs_cli *cli, struct fs_capture **out);
int fs_cmd_capture_start(struct fs_cli *cli, struct fs_capture *c, struct fs_engine *e);
struct json_t *fs_cmd_capture_finish(struct fs_cli *cli, struct fs_capture *c);
int fs_cmd_policy_import(struct fs_cli *cli);
int fs_cmd_scan(struct fs_cli *cli);
int fs_cmd_diff(struct fs_cli *cli);
int fs_cmd_report(struct fs_cli *cli);
int fs_cmd_history(struct fs_cli *cli);
int fs_cmd_prune(struct fs_cli *cli);

/* The store of the commands that record or read (open_store.c): open --db (or the default); must_exist: refuse to
 * create one. 0, or FS_EXIT_ERROR after a message. */
struct fs_store;
int fs_cmd_open_store(struct fs_cli *cli, bool must_exist, struct fs_store **out);
/* Open an existing database, then give up root and confine the process (report, diff, history, prune); 0 or an exit status. */
int fs_cmd_open_store_read(struct fs_cli *cli, struct fs_store **out);
/* A SCAN argument (cmd_report.c): a scan number (as `fedscan history` lists them). 0, or FS_EXIT_USAGE after a
 * message. */
int fs_cmd_scan_id(const char *cmd, const char *arg, int64_t *id);

/*
 * diff: a certificate expiring within this many days is reported (once, when it
 * enters the window). Three weeks: a certificate renewed 30 days ahead (certbot)
 * whose renewal has failed for over a week; before the verdict itself turns
 * degraded at 14 days (src/infer.c).
 */
#define FS_DEFAULT_EXPIRY_DAYS 21

#endif
