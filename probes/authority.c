/* authority.c: the receiving side of the partner's connect-back: answers db:verify for our own keys only (XEP-0220 §2.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "fedscan/authority.h"
#include "xmpp/dbkey.h"
#include "xmpp/stream.h"

enum astate { A_HEADER = 0, A_OPEN, A_TLS, A_DONE, A_LAST };

static const char *const state_names[A_LAST] = { "header", "open", "tls", "done" };

struct fs_authority {
	struct fs_authority_env env;
	struct fs_outbound_ev *ev;
	enum astate state;
	bool tls;
	char peer[FS_EV_TEXT];   /* the partner: 'from' of its stream header */
	char id[40];             /* our stream id for the current stream */
	unsigned stanzas;        /* elements we did not act on */
	long now;                /* the engine's clock at the event being handled (fs_pev.now_ms) */
	fs_trace_fn trace;       /* state changes, for -vv (NULL: none) */
	void *trace_ud;
};

struct fs_authority *
fs_authority_new(const struct fs_authority_env *env, struct fs_outbound_ev *ev)
{
	struct fs_authority *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->env = *env;
	a->ev = ev;
	return a;
}

void
fs_authority_free(struct fs_authority *a)
{
	free(a);
}

const char *
fs_authority_peer(const struct fs_authority *a)
{
	return a->peer;
}

bool
fs_authority_done(const struct fs_authority *a)
{
	return a->state == A_DONE;
}

const char *
fs_authority_state_name(const struct fs_authority *a)
{
	return a->state < A_LAST ? state_names[a->state] : "?";
}

void
fs_authority_set_trace(struct fs_authority *a, fs_trace_fn fn, void *ud)
{
	a->trace = fn;
	a->trace_ud = ud;
}

/* The one place the state changes, so a -vv trace sees every transition by name. */
static void
set_state(struct fs_authority *a, enum astate to)
{
	if (a->state == to)
		return;
	if (a->trace != NULL)
		a->trace(a->trace_ud, "authority", state_names[a->state], state_names[to]);
	a->state = to;
}

static void
finish(struct fs_authority *a, struct fs_actions *out, const char *why, bool close_tag)
{
	static const char end[] = "</stream:stream>";

	if (a->state == A_DONE)
		return;
	if (why != NULL && a->ev->close_reason[0] == '\0')
		FS_EV_SET(a->ev->close_reason, why);
	if (close_tag)
		fs_act_send(out, end, sizeof(end) - 1);
	fs_act_push(out, FS_ACT_CLOSE);
	set_state(a, A_DONE);
}

static void
send_error(struct fs_authority *a, struct fs_actions *out, const char *cond, const char *why)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "<stream:error><%s xmlns='" NS_STREAM_ERRORS "'/></stream:error>", cond);
	if (n > 0 && (size_t)n < sizeof(buf))
		fs_act_send(out, buf, (size_t)n);
	finish(a, out, why, true);
}

/* Our answer to a stream header: header, then features (STARTTLS until TLS is up, and dialback). */
static void
answer_header(struct fs_authority *a, struct fs_actions *out)
{
	char buf[1536], f[FS_EV_TEXT * 2], t[FS_EV_TEXT * 2];
	unsigned char rnd[16];
	unsigned i;
	int n;

	RAND_bytes(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(a->id + 2 * i, 3, "%02x", rnd[i]);
	if (fs_xml_escape(f, sizeof(f), a->env.from) != 0 || fs_xml_escape(t, sizeof(t), a->peer) != 0) {
		finish(a, out, "names too long", false);
		return;
	}
	n = snprintf(buf, sizeof(buf),
	    "<?xml version='1.0'?><stream:stream xmlns='" NS_SERVER "' xmlns:stream='" NS_STREAMS "'"
	    " xmlns:db='" NS_DIALBACK "' from='%s' to='%s' id='%s' version='1.0'><stream:features>%s"
	    "<dialback xmlns='" NS_FEAT_DIALBACK "'><errors/></dialback></stream:features>",
	    f, t, a->id, a->tls || !a->env.can_tls ? "" : "<starttls xmlns='" NS_TLS "'/>");
	if (n < 0 || (size_t)n >= sizeof(buf) || fs_act_send(out, buf, (size_t)n) != 0) {
		finish(a, out, "internal: header does not fit", false);
		return;
	}
	set_state(a, A_OPEN);
}

static void
on_open(struct fs_authority *a, const struct fs_xml_stream_header *hdr, struct fs_actions *out)
{
	struct fs_stream_ev st;
	const char *bad;

	memset(&st, 0, sizeof(st));
	bad = fs_stream_record_header(hdr, &st);
	if (a->peer[0] == '\0')
		FS_EV_SET(a->peer, st.from);
	if (bad != NULL) {
		send_error(a, out, "invalid-namespace", bad);
		return;
	}
	if (st.from[0] == '\0' || strcasecmp(st.from, a->peer) != 0) {
		/* RFC 6120 §4.7.1: a server MUST say who it is; and it may not change across restarts. */
		send_error(a, out, "invalid-from", "the connecting server did not give a stable 'from'");
		return;
	}
	answer_header(a, out);
}

static void
on_verify(struct fs_authority *a, const struct fs_xml_elem *el, struct fs_actions *out)
{
	const char *from = fs_xml_attr(el, "", "from"), *to = fs_xml_attr(el, "", "to");
	const char *id = fs_xml_attr(el, "", "id");
	char buf[1024], f[FS_EV_TEXT * 2], t[FS_EV_TEXT * 2], i[FS_EV_TEXT * 2];
	bool ok;
	int n;

	a->ev->verify_requests++;
	if (from == NULL || to == NULL || id == NULL || fs_xml_escape(f, sizeof(f), from) != 0 ||
	    fs_xml_escape(t, sizeof(t), to) != 0 || fs_xml_escape(i, sizeof(i), id) != 0) {
		a->ev->verify_invalid++;
		send_error(a, out, "bad-format", "db:verify without from, to or id");
		return;
	}
	/* Valid only for a key this run issued: receiving = the partner, originating = us (XEP-0185). */
	ok = strcasecmp(to, a->env.from) == 0 && fs_dialback_key_ok(a->env.secret, from, to, id, el->text);
	if (ok)
		a->ev->verify_valid++;
	else
		a->ev->verify_invalid++;
	n = snprintf(buf, sizeof(buf), "<db:verify from='%s' to='%s' id='%s' type='%s'/>", t, f, i,
	    ok ? "valid" : "invalid");
	if (n > 0 && (size_t)n < sizeof(buf))
		fs_act_send(out, buf, (size_t)n);
}

/*
 * The partner's answer to one of our session-proof pings (XEP-0199): an iq result or error addressed to us with
 * our id. It comes on the partner's own stream because s2s streams carry stanzas one way (RFC 6120 §4.2).
 */
static bool
on_ping_answer(struct fs_authority *a, const struct fs_xml_elem *el)
{
	const char *type = fs_xml_attr(el, "", "type"), *id = fs_xml_attr(el, "", "id");
	const struct fs_xml_elem *err, *c;
	struct fs_proof_answer *ans;

	if (!fs_xml_is(el, NS_SERVER, "iq") || type == NULL || id == NULL || strncmp(id, "fedscan-ping-", 13) != 0 ||
	    (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return false;
	if (a->ev->nanswers >= FS_CONN_KIND_LAST)
		return true;
	ans = &a->ev->answers[a->ev->nanswers++];
	FS_EV_SET(ans->id, id);
	FS_EV_SET(ans->answer, type);
	ans->at = a->now;
	if ((err = fs_xml_child(el, NULL, "error")) != NULL)
		for (c = err->children; c != NULL; c = c->next)
			if (strcmp(c->ns, NS_STANZA_ERRORS) == 0 && strcmp(c->name, "text") != 0)
				FS_EV_SET(ans->condition, c->name);
	return true;
}

static void
on_element(struct fs_authority *a, const struct fs_xml_elem *el, struct fs_actions *out)
{
	char buf[1024], f[FS_EV_TEXT * 2], t[FS_EV_TEXT * 2];
	const char *from, *to;
	int n;

	if (fs_xml_is(el, NS_TLS, "starttls") && !a->tls && a->env.can_tls) {
		static const char proceed[] = "<proceed xmlns='" NS_TLS "'/>";
		fs_act_send(out, proceed, sizeof(proceed) - 1);
		fs_act_push(out, FS_ACT_STARTTLS);
		a->ev->starttls = true;
		set_state(a, A_TLS);
	} else if (fs_xml_is(el, NS_SASL, "auth")) {
		/* We offer no SASL; the attempt itself is the evidence. */
		static const char fail[] = "<failure xmlns='" NS_SASL "'><invalid-mechanism/></failure>";
		a->ev->sasl_external = true;
		fs_act_send(out, fail, sizeof(fail) - 1);
	} else if (fs_xml_is(el, NS_DIALBACK, "verify")) {
		on_verify(a, el, out);
	} else if (fs_xml_is(el, NS_DIALBACK, "result") && fs_xml_attr(el, "", "type") == NULL) {
		/*
		 * The partner authenticates its own connection before it asks (Prosody does). We route
		 * nothing, so there is nothing to protect: accept it without a connect-back of our own.
		 */
		a->ev->dialback = true;
		from = fs_xml_attr(el, "", "from");
		to = fs_xml_attr(el, "", "to");
		if (from == NULL || to == NULL || fs_xml_escape(f, sizeof(f), from) != 0 ||
		    fs_xml_escape(t, sizeof(t), to) != 0)
			return;
		n = snprintf(buf, sizeof(buf), "<db:result from='%s' to='%s' type='valid'/>", t, f);
		if (n > 0 && (size_t)n < sizeof(buf))
			fs_act_send(out, buf, (size_t)n);
	} else if (fs_xml_is(el, NS_STREAMS, "error")) {
		finish(a, out, "the partner sent a stream error", true);
	} else if (on_ping_answer(a, el)) {
		/* Recorded: the proof that a stanza crossed. */
	} else if (++a->stanzas > FS_AUTHORITY_MAX_IGNORED) {
		send_error(a, out, "policy-violation", "too many elements we do not act on");
	}
}

void
fs_authority_event(struct fs_authority *a, const struct fs_pev *e, struct fs_actions *out)
{
	if (a->state == A_DONE)
		return;
	a->now = e->now_ms;
	switch (e->type) {
	case FS_PEV_CONNECTED:
		break;
	case FS_PEV_STREAM_OPEN:
		on_open(a, e->hdr, out);
		break;
	case FS_PEV_ELEMENT:
		if (a->state == A_OPEN)
			on_element(a, e->el, out);
		break;
	case FS_PEV_TLS_UP:
		a->tls = true;
		set_state(a, A_HEADER);
		fs_act_push(out, FS_ACT_RESTART);
		break;
	case FS_PEV_STREAM_CLOSE:
		finish(a, out, "the partner closed the stream", true);
		break;
	case FS_PEV_TLS_FAILED:
	case FS_PEV_CLOSED:
	case FS_PEV_TIMEOUT:
	case FS_PEV_XML_ERROR:
		finish(a, out, e->reason, false);
		break;
	default:
		break;
	}
}
