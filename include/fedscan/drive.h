/* drive.h: the sans-I/O driver of one connection's state machine (in include/ because src/net's engine uses it). */
#ifndef FEDSCAN_DRIVE_H
#define FEDSCAN_DRIVE_H

#include <stddef.h>

#include "fedscan/authority.h"
#include "fedscan/probe.h"
#include "fedscan/xmlstream.h"

/*
 * A driver owns the XML stream parser and the state machine of one connection (an outbound probe session, or the
 * listener's authority session). It does what the engine, the unit tests and the fuzzer all need done around a
 * session: bytes in, parser events to the session, the stream reset the session asks for (deferred until the
 * parser has stopped: never from inside a callback), whatever follows <proceed/> in the same read discarded and
 * counted (the CVE-2011-0411 injection class, fedscan(1)), and the actions queued for the caller to run. No I/O.
 */
struct fs_drive;

struct fs_drive_opts {
	const struct fs_xml_limits *limits;  /* NULL: fs_xml_limits_default() */
	fs_trace_fn trace;                   /* every state change of the driver and its session (NULL: none) */
	void *trace_ud;
};

/* The actions queued since the last take, in order. FS_ACT_RESTART is listed but already done by the driver. */
struct fs_drive_acts {
	const struct fs_act *a;   /* FS_ACT_SEND: data at buf + a[i].off, a[i].len bytes */
	size_t n;
	const char *buf;
};

/* A driver for probe p on one connection; ev is zeroed and owned by the caller. 0 and *out, or -1 (out of memory). */
int fs_drive_open(const struct fs_probe *p, const struct fs_probe_env *env, struct fs_conn_ev *ev,
    const struct fs_drive_opts *opts, struct fs_drive **out);
/* A driver for an inbound connection the listener accepted; ev is owned by the caller. 0 and *out, or -1. */
int fs_drive_open_authority(const struct fs_authority_env *env, struct fs_outbound_ev *ev,
    const struct fs_drive_opts *opts, struct fs_drive **out);
/* Free a driver, its parser and its session; NULL is allowed. */
void fs_drive_free(struct fs_drive *d);

/*
 * Feed one read's worth of plaintext. The session's actions are queued (take them after); parsing stops at
 * STARTTLS (the rest is counted in ev->tls.injected_bytes, never parsed) or when the session is done. *used:
 * the bytes parsed. While a handshake is pending every byte counts as injected. 0, or -1 (out of memory).
 */
int fs_drive_feed(struct fs_drive *d, const char *buf, size_t len, size_t *used);
/*
 * Deliver an event that does not come from the stream: FS_PEV_CONNECTED, _TLS_UP, _TLS_FAILED, _CLOSED,
 * _TIMEOUT, _XML_ERROR, or _QUIET (then use fs_drive_quiet to pass the grace). reason may be NULL.
 * 0, or -1 for a stream event (those come from the parser only) or out of memory.
 */
int fs_drive_event(struct fs_drive *d, enum fs_pev_type type, const char *reason);
/* Deliver FS_PEV_QUIET: the peer said nothing for grace_ms after FS_ACT_QUIET. 0, or -1 (out of memory). */
int fs_drive_quiet(struct fs_drive *d, long grace_ms);
/* The engine's clock (ms on one monotonic clock for the whole run) for the events that follow; the session times
 * what it measures (the session proof's answer) with it and never reads a clock itself. */
void fs_drive_clock(struct fs_drive *d, long now_ms);
/* Take the queued actions: out views them until the next call on d; the queue is then empty. */
void fs_drive_take(struct fs_drive *d, struct fs_drive_acts *out);

/* Whether the session asked to close (it wants no more events). */
bool fs_drive_done(const struct fs_drive *d);
/* The driver's state ("idle", "stream", "tls", "done"), for traces and tests. */
const char *fs_drive_state_name(const struct fs_drive *d);
/* The session's state name (probes/session.c or probes/authority.c), for traces and tests. */
const char *fs_drive_session_state_name(const struct fs_drive *d);
/* The probe session, or NULL for an authority driver. */
struct fs_session *fs_drive_session(const struct fs_drive *d);
/* The authority session, or NULL for a probe driver. */
struct fs_authority *fs_drive_authority(const struct fs_drive *d);

#endif
