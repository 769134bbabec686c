/* authority.h: the sans-I/O receiving side that answers a partner's dialback connect-back (authoritative mode). */
#ifndef FEDSCAN_AUTHORITY_H
#define FEDSCAN_AUTHORITY_H

#include <stdbool.h>

#include "xmpp/dbkey.h"
#include "fedscan/evidence.h"
#include "fedscan/probe.h"

/* Elements that are neither STARTTLS, SASL nor dialback that one inbound stream may send before we hang up. */
#define FS_AUTHORITY_MAX_IGNORED 32

struct fs_authority_env {
	const char *from;                 /* our domain (--from): what the partner connects to */
	const unsigned char *secret;      /* FS_DBKEY_SECRET bytes: the run's dialback secret */
	bool can_tls;                     /* we have a certificate to offer STARTTLS with */
};

struct fs_authority;

/* A new inbound session writing what the partner does into ev. NULL on out-of-memory. */
struct fs_authority *fs_authority_new(const struct fs_authority_env *env, struct fs_outbound_ev *ev);
/* Free a session; NULL is allowed. */
void fs_authority_free(struct fs_authority *a);
/* Feed one event; actions go to out (FS_ACT_STARTTLS means: server-side TLS). */
void fs_authority_event(struct fs_authority *a, const struct fs_pev *e, struct fs_actions *out);
/* The partner domain, from its stream header ("" until it arrives). */
const char *fs_authority_peer(const struct fs_authority *a);
/* Whether the session asked to close. */
bool fs_authority_done(const struct fs_authority *a);
/* The name of the session's current state, for -vv traces and tests. */
const char *fs_authority_state_name(const struct fs_authority *a);
/* Report every state change of a to fn(ud) from now on (fn NULL: none). */
void fs_authority_set_trace(struct fs_authority *a, fs_trace_fn fn, void *ud);

#endif
