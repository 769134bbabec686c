/* cli.h: the command line shared by fedscan's commands: options, their checks, and usage text. */
#ifndef FEDSCAN_CLI_H
#define FEDSCAN_CLI_H

#include <stdbool.h>

#include "fedscan/engine.h"
#include "fedscan/settings.h"

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
	char **args;                   /* positional arguments after the command */
	int nargs;
};

/* Parse argv after the command name into cli; on a usage error print it and return FS_EXIT_USAGE, else 0. */
int fs_cli_parse(const char *cmd, int argc, char **argv, struct fs_cli *cli);
/* The default database path ($XDG_DATA_HOME/fedscan/fedscan.db, or /var/lib/fedscan/fedscan.db for root). */
const char *fs_cli_default_db(char *buf, size_t size);
/* Print the usage text to f. */
void fs_cli_usage(FILE *f);

/* Commands. */
int fs_cmd_check(struct fs_cli *cli);
int fs_cmd_policy_check(struct fs_cli *cli);

#define FS_DEFAULT_FROM "fedscan.invalid"

#endif
