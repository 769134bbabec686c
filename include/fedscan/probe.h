/* probe.h: the sans-I/O probe interface: events in from the engine, actions out to it, evidence recorded. */
#ifndef FEDSCAN_PROBE_H
#define FEDSCAN_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "fedscan/evidence.h"
#include "fedscan/xmlstream.h"

/* What happened on the connection, as the engine saw it. */
enum fs_pev_type {
	FS_PEV_CONNECTED = 0,  /* TCP is up (direct TLS: the handshake follows, see FS_ACT_STARTTLS) */
	FS_PEV_STREAM_OPEN,    /* a stream header arrived: hdr */
	FS_PEV_ELEMENT,        /* a top-level element arrived: el */
	FS_PEV_STREAM_CLOSE,   /* </stream:stream> arrived */
	FS_PEV_TLS_UP,         /* the handshake finished; the engine has filled ev->tls */
	FS_PEV_TLS_FAILED,     /* the handshake failed: reason */
	FS_PEV_CLOSED,         /* the peer closed or reset the connection: reason */
	FS_PEV_TIMEOUT,        /* the connection's time is up */
	FS_PEV_XML_ERROR,      /* the peer broke an XML rule: reason; the stream is dead */
	FS_PEV_QUIET,          /* after FS_ACT_QUIET: the peer said nothing for the dialback grace */
	FS_PEV_LAST
};

struct fs_pev {
	enum fs_pev_type type;
	const struct fs_xml_stream_header *hdr;
	const struct fs_xml_elem *el;
	const char *reason;
	long grace_ms;         /* FS_PEV_QUIET: how long the peer was silent */
	long now_ms;           /* the engine's clock (ms, one monotonic clock per run): probes never read clocks */
};

/* What the probe wants the engine to do, in order. */
enum fs_act_type {
	FS_ACT_SEND = 0,   /* write data */
	FS_ACT_STARTTLS,   /* discard unread input, start the TLS handshake */
	FS_ACT_RESTART,    /* reset the XML parser for a new stream (after TLS or SASL) */
	FS_ACT_CLOSE,      /* send nothing more; close the connection (the probe is done) */
	FS_ACT_QUIET,      /* a request is out: send FS_PEV_QUIET if the peer stays silent for the dialback grace */
};

#define FS_MAX_ACTS 8
#define FS_ACT_BUF 2048

struct fs_act {
	enum fs_act_type type;
	size_t off, len;   /* FS_ACT_SEND: data in fs_actions.buf */
};

/* The action list a probe fills for one event; the engine runs it and clears it. */
struct fs_actions {
	struct fs_act a[FS_MAX_ACTS];
	unsigned n;
	char buf[FS_ACT_BUF];
	size_t used;
};

/* Parameters of one probe run on one endpoint. */
struct fs_probe_env {
	const char *domain;           /* the partner domain: stream 'to', SNI, name checks */
	const char *from;             /* our stream 'from' */
	const char *db_key;           /* the dialback key to send (sink mode: random, for nobody to verify) */
	const unsigned char *db_secret; /* authoritative mode: derive the key (XEP-0185) from this 32-byte secret */
	bool have_client_cert;        /* the run has --client-cert */
	bool endpoint_direct_tls;     /* the endpoint speaks TLS first (XEP-0368) */
};

/* Flags that shape a probe's session. */
enum fs_probe_flags {
	FS_PF_TLS_FIRST = 1 << 0,     /* direct TLS */
	FS_PF_STARTTLS = 1 << 1,      /* negotiate STARTTLS when offered */
	FS_PF_CLIENT_CERT = 1 << 2,   /* present our certificate; try SASL EXTERNAL */
	FS_PF_DIALBACK = 1 << 3,      /* send db:result at the end */
	FS_PF_PLAIN_ONLY = 1 << 4,    /* never TLS; skip dialback when TLS is required */
	FS_PF_NO_SASL = 1 << 5,       /* present our certificate but never try SASL EXTERNAL */
};

struct fs_session;

/* A state machine moved between two states of its state_names[] table ("session", "drive" ...): -vv traces, tests. */
typedef void (*fs_trace_fn)(void *ud, const char *machine, const char *from, const char *to);

/* A probe: a name, when it applies, and the shape of its session (zmap-style table entry). */
struct fs_probe {
	const char *name;
	const char *help;
	enum fs_conn_kind kind;
	unsigned flags;
	/* Whether this probe runs for this endpoint and run. */
	bool (*applies)(const struct fs_probe_env *env);
	/*
	 * A probe that only adds evidence when another one's outcome leaves a question names that probe in after
	 * (NULL: start at once); when after's connection to the endpoint ends, the engine starts this one if
	 * wanted(what that connection saw) says so: one connection and handshake fewer per endpoint otherwise.
	 */
	const struct fs_probe *after;
	bool (*wanted)(const struct fs_conn_ev *before);
};

/* The registry: every probe, NULL-terminated. */
extern const struct fs_probe *const fs_probes[];

/* A session (one connection's state machine) for a probe; NULL on out-of-memory. ev is zeroed and owned by the caller. */
struct fs_session *fs_session_new(const struct fs_probe *p, const struct fs_probe_env *env, struct fs_conn_ev *ev);
/* Free a session; NULL is allowed. */
void fs_session_free(struct fs_session *s);
/* Feed one event; the probe appends actions to out. */
void fs_session_event(struct fs_session *s, const struct fs_pev *e, struct fs_actions *out);
/* Whether the session asked to close (no more events wanted). */
bool fs_session_done(const struct fs_session *s);
/* Whether this session presents our client certificate. */
bool fs_session_uses_client_cert(const struct fs_session *s);
/* The name of the session's current state, for -v traces and tests. */
const char *fs_session_state_name(const struct fs_session *s);
/* Report every state change of s to fn(ud) from now on (fn NULL: none); the session itself prints nothing. */
void fs_session_set_trace(struct fs_session *s, fs_trace_fn fn, void *ud);

/* Append a send action (copied); returns 0, or -1 when the action list is full. */
int fs_act_send(struct fs_actions *out, const char *data, size_t len);
/* Append a non-send action; returns 0, or -1 when the list is full. */
int fs_act_push(struct fs_actions *out, enum fs_act_type t);

#endif
