/* cmd_prune.c: `fedscan prune --keep-days N`: retention, in one transaction, with a count of what went. */
#include <stdio.h>
#include <string.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/store.h"
#include "cli.h"

int
fs_cmd_prune(struct fs_cli *cli)
{
	struct fs_store *st = NULL;
	char err[512];
	long removed = 0, kept = 0;
	int rc;

	if (cli->keep_days < 0) {
		fputs("fedscan: prune: give --keep-days N (scans that started more than N days ago are removed)\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->nargs > 0) {
		fputs("fedscan: prune: takes no arguments besides --keep-days N\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->no_db) {
		fputs("fedscan: prune: works on the database; --no-db leaves nothing to prune\n", stderr);
		return FS_EXIT_USAGE;
	}
	if ((rc = fs_cmd_open_store_read(cli, &st)) != 0)
		return rc;
	if (fs_store_prune(st, (unsigned)cli->keep_days, &removed, &kept, err, sizeof(err)) != 0) {
		fs_error("prune: %s (nothing was removed)", err);
		fs_store_close(st);
		return FS_EXIT_ERROR;
	}
	fs_store_close(st);
	if (cli->json)
		printf("{\"removed\": %ld, \"kept\": %ld, \"keep_days\": %ld}\n", removed, kept, cli->keep_days);
	else if (cli->verbose >= 0)
		printf("pruned %ld scan%s older than %ld day%s; %ld kept\n", removed, removed == 1 ? "" : "s",
		    cli->keep_days, cli->keep_days == 1 ? "" : "s", kept);
	return FS_EXIT_OK;
}
