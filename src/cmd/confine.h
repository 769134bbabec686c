/* confine.h: the end of start-up for every command: drop root (--user), confine the file system (fedscan(1) SECURITY). */
#ifndef FEDSCAN_CMD_CONFINE_H
#define FEDSCAN_CMD_CONFINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cli.h"

/* What the command opened or will use besides what the command line names (the policy file, certificates). */
struct fs_confine {
	bool store;                     /* the database is open: its directory stays read-write (SQLite's -wal, -shm) */
	bool network;                   /* it resolves names and verifies certificates: /etc/hosts, the trust store */
	const char *const *reads;       /* more files it reads (pcap's captures) */
	size_t nreads;
	const char *writes[2];          /* files it writes (the capture and its keys), NULL when none */
	const char *replaces;           /* a file it replaces at the end by renaming a temporary made now (--prometheus) */
};

/*
 * Call once what needs privileges is open, before the first byte from the network or a file is parsed: drop root
 * to --user (or give up capabilities), then allow the file system only what c says. 0, or FS_EXIT_ERROR after a
 * message (nothing must be audited then). -v says what happened, once.
 */
int fs_cmd_confine(const struct fs_cli *cli, const struct fs_confine *c);

/*
 * -o FILE (report, policy import), written whole or not at all through a temporary file renamed over FILE.
 * The temporary is created with the caller's privileges, then the process forks: the child confines itself,
 * does the work and writes the temporary; the parent parses nothing, waits, and renames (or removes) the
 * temporary according to the child's exit status. So a confined fedscan never needs the right to create or
 * rename a file in FILE's directory.
 */
struct fs_cmd_output {
	const char *label;              /* "report", "policy import": the messages' prefix */
	bool quote;                     /* name FILE in quotes in the messages */
	bool umask;                     /* the mode is cut by the umask (as fopen's would be), or is exact */
	const char *path;               /* FILE */
	char tmp[PATH_MAX];             /* the temporary beside it */
	int fd;                         /* in the child: the temporary, to write */
};

/*
 * Create o->path's temporary (with mode, less the umask if o->umask) and fork. 1: this is the child, write o->fd and return the exit
 * status as usual; 0: this is the parent, all is done and *status is the exit status to return.
 */
int fs_cmd_output_fork(struct fs_cmd_output *o, mode_t mode, int *status);

struct fs_metrics;
/*
 * --prometheus FILE when root will drop to --user (check, scan), right after fs_metrics_open() and before the
 * database is opened: fedscan forks; the child (returns 0) runs the command, and its fs_metrics_commit() leaves
 * the finished temporary in place; the parent keeps root only to rename it over FILE (which may be in a directory
 * only root can write), then exits with the child's status. 0 without a fork too (not root, --user root); -1 after
 * a message.
 */
int fs_cmd_replace_fork(const struct fs_cli *cli, struct fs_metrics *m);
/* After fs_metrics_commit() succeeded: tell fs_cmd_replace_fork's parent to rename (a no-op without a fork). */
void fs_cmd_replace_done(void);

#endif
