/* privdrop.h: give up root (and any capability) for good once what needs it is open. */
#ifndef FEDSCAN_PRIVDROP_H
#define FEDSCAN_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* Whom root becomes when no user is named (--user, fedscan(1) SECURITY): the first of these that exists. */
#define FS_PRIVDROP_USER "_fedscan"
#define FS_PRIVDROP_FALLBACK_USER "nobody"

/* The user root becomes without --user: FS_PRIVDROP_USER when the system has it, else FS_PRIVDROP_FALLBACK_USER. */
const char *fs_privdrop_default_user(void);

/*
 * When running as root: become user (NULL: fs_privdrop_default_user()) with its uid, gid and groups, for good,
 * and check that neither root nor a capability can be had back (*dropped = true unless user is root itself).
 * Anyone else keeps their user and loses every capability (a non-root fedscan given CAP_NET_BIND_SERVICE for
 * --listen no longer has it once the port is bound); *dropped = false.
 * 0, or -1 with err naming --user (no such user, a set*id call failed, a privilege left): then nothing must
 * be scanned.
 */
int fs_drop_privileges(const char *user, bool *dropped, char *err, size_t errlen);

#endif
