/* privdrop.h: give up root for good once what needs root is open. */
#ifndef FEDSCAN_PRIVDROP_H
#define FEDSCAN_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* Whom root becomes when no user is named (--user, fedscan(1)). */
#define FS_PRIVDROP_DEFAULT_USER "nobody"

/*
 * When running as root: become user (NULL: FS_PRIVDROP_DEFAULT_USER) with its
 * uid, gid and groups, for good. A no-op for anyone else (*dropped = false).
 * 0, or -1 with err naming --user (no such user, or a set*id call failed):
 * then nothing must be scanned.
 */
int fs_drop_privileges(const char *user, bool *dropped, char *err, size_t errlen);

#endif
