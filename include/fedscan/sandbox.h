/* sandbox.h: confine the file system with Landlock once start-up is over (fedscan(1) SECURITY). */
#ifndef FEDSCAN_SANDBOX_H
#define FEDSCAN_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* What a path may be used for after the sandbox is on. */
enum fs_sb_access {
	FS_SB_READ = 1,       /* open for reading (a file, or every file beneath a directory) */
	FS_SB_WRITE = 2,      /* open for writing and truncate (a file) */
	FS_SB_DATA_DIR = 4,   /* a directory whose files are read, written, created and removed (the database's) */
	FS_SB_RENAME_IN = 8,  /* a directory where a file made before may be renamed over another, or removed */
};

/* One path the sandbox leaves open; an optional path that does not exist is left out, not an error. */
struct fs_sb_rule {
	const char *path;
	unsigned access;      /* enum fs_sb_access bits */
	bool optional;
};

/* A ruleset built but not yet in force: built as root (paths in private directories open), enforced later. */
struct fs_sandbox {
	int fd;               /* -1: nothing to enforce (Landlock unavailable) */
	int abi;              /* the kernel's Landlock ABI version; 0: unavailable */
	char why[128];        /* when unavailable: why, for -v */
};

/*
 * Build a Landlock ruleset allowing only rules[0..n-1] (and, with the kernel's ABI >= 4, no TCP bind; >= 6, no
 * abstract UNIX socket or signal outside fedscan). 0: sb ready, or sb->abi == 0 with sb->why when the kernel has no
 * Landlock; -1 with err (a path that must be there is not, an unexpected failure).
 */
int fs_sandbox_prepare(const struct fs_sb_rule *rules, size_t n, struct fs_sandbox *sb, char *err, size_t errlen);
/* Put a prepared ruleset in force for good (sets no_new_privs first); a no-op without Landlock. 0, or -1 with err. */
int fs_sandbox_enforce(struct fs_sandbox *sb, char *err, size_t errlen);
/* Close a ruleset that will not be enforced (an error before enforce); safe on one already enforced. */
void fs_sandbox_discard(struct fs_sandbox *sb);

#endif
