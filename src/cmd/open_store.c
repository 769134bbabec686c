/* open_store.c: fs_cmd_open_store(), the database (--db, or the default) of every command that records or reads. */
#include <stdio.h>
#include <unistd.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/store.h"
#include "cli.h"
#include "confine.h"

int
fs_cmd_open_store(struct fs_cli *cli, bool must_exist, struct fs_store **out)
{
	char dbbuf[1024], err[512];
	const char *db;

	*out = NULL;
	db = cli->db_path != NULL ? cli->db_path : fs_cli_default_db(dbbuf, sizeof(dbbuf));
	if (must_exist && access(db, F_OK) != 0) {
		fputs("fedscan: no database at ", stderr);
		fs_fputs_safe(db, stderr);
		fputs(": nothing recorded yet (run fedscan scan, or give --db FILE)\n", stderr);
		return FS_EXIT_ERROR;
	}
	if (fs_store_open(db, out, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	return 0;
}

int
fs_cmd_open_store_read(struct fs_cli *cli, struct fs_store **out)
{
	int rc;

	if ((rc = fs_cmd_open_store(cli, true, out)) != 0)
		return rc;
	/* What the database holds came from partners once: read it as --user, inside the sandbox. */
	if (fs_cmd_confine(cli, &(struct fs_confine){ .store = true }) != 0) {
		fs_store_close(*out);
		*out = NULL;
		return FS_EXIT_ERROR;
	}
	return 0;
}
