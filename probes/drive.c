/* drive.c: one connection's parser and session driven sans-I/O: bytes and events in, queued actions out. */
#include <stdlib.h>
#include <string.h>

#include "fedscan/drive.h"

/* The driver's own states: what the bytes fed to it are. */
enum dstate {
	D_IDLE = 0,   /* no connection yet (a probe before FS_PEV_CONNECTED) */
	D_STREAM,     /* bytes are XML: parse them */
	D_TLS,        /* a handshake is pending: bytes are the peer's injection, never parsed */
	D_DONE,       /* the session asked to close */
	D_LAST
};

static const char *const state_names[D_LAST] = { "idle", "stream", "tls", "done" };

/* The session a driver runs: a probe session or the listener's authority session. */
struct machine {
	void (*event)(void *m, const struct fs_pev *e, struct fs_actions *out);
	const char *(*state_name)(const void *m);
	bool (*done)(const void *m);
	void (*free)(void *m);
};

struct fs_drive {
	enum dstate state;
	const struct machine *mach;
	void *m;                     /* struct fs_session or struct fs_authority */
	struct fs_conn_ev *ev;       /* a probe's evidence (injected bytes), or NULL */
	struct fs_xmlstream *xs;
	struct fs_actions scratch;   /* what the session asks for one event */
	fs_trace_fn trace;
	void *trace_ud;
	/* The queue the caller takes: grows by doubling. */
	struct fs_act *q;
	size_t nq, capq;
	char *buf;
	size_t used, capbuf;
	bool taken;                  /* the caller holds a view of the queue: empty it before adding */
	long now_ms;                 /* the engine's clock, stamped on every event (fs_drive_clock) */
};

static void
session_event(void *m, const struct fs_pev *e, struct fs_actions *out)
{
	fs_session_event(m, e, out);
}

static const char *
session_state(const void *m)
{
	return fs_session_state_name(m);
}

static bool
session_done(const void *m)
{
	return fs_session_done(m);
}

static void
session_free(void *m)
{
	fs_session_free(m);
}

static void
authority_event(void *m, const struct fs_pev *e, struct fs_actions *out)
{
	fs_authority_event(m, e, out);
}

static const char *
authority_state(const void *m)
{
	return fs_authority_state_name(m);
}

static bool
authority_done(const void *m)
{
	return fs_authority_done(m);
}

static void
authority_free(void *m)
{
	fs_authority_free(m);
}

static const struct machine session_machine = { session_event, session_state, session_done, session_free };
static const struct machine authority_machine = { authority_event, authority_state, authority_done,
	authority_free };

/* The one place the driver's state changes, so a -vv trace sees every transition by name. */
static void
set_state(struct fs_drive *d, enum dstate to)
{
	if (d->state == to)
		return;
	if (d->trace != NULL)
		d->trace(d->trace_ud, "drive", state_names[d->state], state_names[to]);
	d->state = to;
}

/* Empty the queue once the caller has taken it. */
static void
untake(struct fs_drive *d)
{
	if (!d->taken)
		return;
	d->nq = 0;
	d->used = 0;
	d->taken = false;
}

static int
grow(void **p, size_t *cap, size_t need, size_t each, size_t first)
{
	size_t c = *cap > 0 ? *cap : first;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((n = realloc(*p, c * each)) == NULL)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

/* Queue one of the session's actions; RESTART and the state-changing ones are done here. */
static int
queue(struct fs_drive *d, const struct fs_act *a)
{
	struct fs_act *t;

	if (grow((void **)&d->q, &d->capq, d->nq + 1, sizeof(*d->q), FS_MAX_ACTS) != 0 ||
	    grow((void **)&d->buf, &d->capbuf, d->used + a->len, 1, FS_ACT_BUF) != 0)
		return -1;
	t = &d->q[d->nq++];
	*t = *a;
	t->off = d->used;
	if (a->len > 0)
		memcpy(d->buf + d->used, d->scratch.buf + a->off, a->len);
	d->used += a->len;
	switch (a->type) {
	case FS_ACT_RESTART:
		/* Deferred: the session asked from inside a parser callback; the parser has stopped since. */
		if (fs_xmlstream_reset(d->xs) != 0)
			return -1;
		break;
	case FS_ACT_STARTTLS:
		set_state(d, D_TLS);
		break;
	case FS_ACT_CLOSE:
		set_state(d, D_DONE);
		break;
	default:
		break;
	}
	return 0;
}

/* Move what the session asked for one event to the queue. */
static int
drain(struct fs_drive *d)
{
	unsigned i;
	int r = 0;

	for (i = 0; i < d->scratch.n && r == 0; i++)
		r = queue(d, &d->scratch.a[i]);
	d->scratch.n = 0;
	d->scratch.used = 0;
	/* A session that ended without room left for its CLOSE has still ended. */
	if (d->mach->done(d->m))
		set_state(d, D_DONE);
	return r;
}

static int
deliver(struct fs_drive *d, const struct fs_pev *e)
{
	untake(d);
	if (d->state == D_DONE)
		return 0;
	if (e->type == FS_PEV_CONNECTED || e->type == FS_PEV_TLS_UP)
		set_state(d, D_STREAM);
	d->mach->event(d->m, e, &d->scratch);
	return drain(d);
}

/* Parser callbacks: hand the event to the session; when it asks for anything, stop the parser there. */
static void
xml_forward(struct fs_drive *d, const struct fs_pev *e)
{
	d->mach->event(d->m, e, &d->scratch);
	if (d->scratch.n > 0)
		fs_xmlstream_pause(d->xs);
}

static void
xml_open(void *ud, const struct fs_xml_stream_header *hdr)
{
	struct fs_drive *d = ud;
	struct fs_pev e = { .type = FS_PEV_STREAM_OPEN, .hdr = hdr, .now_ms = d->now_ms };

	xml_forward(ud, &e);
}

static void
xml_element(void *ud, const struct fs_xml_elem *el)
{
	struct fs_drive *d = ud;
	struct fs_pev e = { .type = FS_PEV_ELEMENT, .el = el, .now_ms = d->now_ms };

	xml_forward(ud, &e);
}

static void
xml_close(void *ud)
{
	struct fs_drive *d = ud;
	struct fs_pev e = { .type = FS_PEV_STREAM_CLOSE, .now_ms = d->now_ms };

	xml_forward(ud, &e);
}

static const struct fs_xml_callbacks xml_cbs = { xml_open, xml_element, xml_close };

static int
drive_new(const struct fs_drive_opts *opts, struct fs_drive **out)
{
	struct fs_drive *d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	if (opts != NULL) {
		d->trace = opts->trace;
		d->trace_ud = opts->trace_ud;
	}
	if (fs_xmlstream_new(opts != NULL ? opts->limits : NULL, &xml_cbs, d, &d->xs) != 0) {
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

int
fs_drive_open(const struct fs_probe *p, const struct fs_probe_env *env, struct fs_conn_ev *ev,
    const struct fs_drive_opts *opts, struct fs_drive **out)
{
	struct fs_drive *d;
	int r = -1;

	if (drive_new(opts, &d) != 0)
		goto out;
	d->mach = &session_machine;
	d->ev = ev;
	if ((d->m = fs_session_new(p, env, ev)) == NULL) {
		fs_drive_free(d);
		d = NULL;
		goto out;
	}
	fs_session_set_trace(d->m, d->trace, d->trace_ud);
	r = 0;
out:
	*out = d;
	return r;
}

int
fs_drive_open_authority(const struct fs_authority_env *env, struct fs_outbound_ev *ev,
    const struct fs_drive_opts *opts, struct fs_drive **out)
{
	struct fs_drive *d;
	int r = -1;

	if (drive_new(opts, &d) != 0)
		goto out;
	d->mach = &authority_machine;
	/* The partner connected to us: its bytes are XML from the start. */
	d->state = D_STREAM;
	if ((d->m = fs_authority_new(env, ev)) == NULL) {
		fs_drive_free(d);
		d = NULL;
		goto out;
	}
	fs_authority_set_trace(d->m, d->trace, d->trace_ud);
	r = 0;
out:
	*out = d;
	return r;
}

void
fs_drive_free(struct fs_drive *d)
{
	if (d == NULL)
		return;
	if (d->m != NULL)
		d->mach->free(d->m);
	fs_xmlstream_free(d->xs);
	free(d->q);
	free(d->buf);
	free(d);
}

int
fs_drive_feed(struct fs_drive *d, const char *buf, size_t len, size_t *used)
{
	struct fs_pev err = { .type = FS_PEV_XML_ERROR, .now_ms = d->now_ms };
	size_t off = 0, u;
	int r = 0;

	untake(d);
	while (off < len && d->state == D_STREAM && r == 0) {
		u = 0;
		if (fs_xmlstream_feed(d->xs, buf + off, len - off, &u) != 0) {
			/* The stream is dead: what the session asked before the error is moot. */
			d->scratch.n = 0;
			d->scratch.used = 0;
			err.reason = fs_xmlstream_error(d->xs);
			r = deliver(d, &err);
			break;
		}
		off += u;
		if (d->scratch.n > 0)
			r = drain(d);
		else if (u == 0)
			break;
	}
	if (d->state == D_TLS && d->ev != NULL)
		d->ev->tls.injected_bytes += (long)(len - off);
	*used = off;
	return r;
}

int
fs_drive_event(struct fs_drive *d, enum fs_pev_type type, const char *reason)
{
	struct fs_pev e = { .type = type, .reason = reason, .now_ms = d->now_ms };

	if (type == FS_PEV_STREAM_OPEN || type == FS_PEV_ELEMENT || type == FS_PEV_STREAM_CLOSE ||
	    (unsigned)type >= FS_PEV_LAST)
		return -1;
	return deliver(d, &e);
}

int
fs_drive_quiet(struct fs_drive *d, long grace_ms)
{
	struct fs_pev e = { .type = FS_PEV_QUIET, .grace_ms = grace_ms, .now_ms = d->now_ms };

	return deliver(d, &e);
}

void
fs_drive_clock(struct fs_drive *d, long now_ms)
{
	d->now_ms = now_ms;
}

void
fs_drive_take(struct fs_drive *d, struct fs_drive_acts *out)
{
	untake(d);
	out->a = d->q;
	out->n = d->nq;
	out->buf = d->buf;
	d->taken = true;
}

bool
fs_drive_done(const struct fs_drive *d)
{
	return d->state == D_DONE;
}

const char *
fs_drive_state_name(const struct fs_drive *d)
{
	return state_names[d->state];
}

const char *
fs_drive_session_state_name(const struct fs_drive *d)
{
	return d->mach->state_name(d->m);
}

struct fs_session *
fs_drive_session(const struct fs_drive *d)
{
	return d->mach == &session_machine ? d->m : NULL;
}

struct fs_authority *
fs_drive_authority(const struct fs_drive *d)
{
	return d->mach == &authority_machine ? d->m : NULL;
}
