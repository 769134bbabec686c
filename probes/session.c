/* session.c: one s2s connection as a sans-I/O state machine, shaped by a probe's flags (fedscan(1), THE PROBES). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xmpp/dbkey.h"
#include "fedscan/probe.h"
#include "xmpp/stream.h"

enum state {
	ST_CONNECTING = 0,
	ST_TLS_FIRST,     /* direct TLS handshake in progress */
	ST_HEADER,        /* waiting for the peer's stream header */
	ST_FEATURES,      /* waiting for <stream:features/> */
	ST_STARTTLS,      /* sent <starttls/>, waiting for <proceed/> */
	ST_TLS,           /* STARTTLS handshake in progress */
	ST_SASL,          /* sent <auth mechanism='EXTERNAL'/> */
	ST_DIALBACK,      /* sent <db:result/>, waiting for the verdict */
	ST_PROOF,         /* authenticated: sent a ping (XEP-0199), waiting for what follows */
	ST_DONE,
	ST_LAST
};

static const char *const state_names[ST_LAST] = {
	"connecting", "tls-first", "header", "features", "starttls", "tls", "sasl", "dialback", "proof", "done",
};

/* Which stream of the connection we are on. */
enum phase { PH_PRE = 0, PH_POST_TLS, PH_POST_SASL };

static const char *const phase_names[] = { "pre-tls", "post-tls", "post-sasl" };

struct fs_session {
	const struct fs_probe *probe;
	struct fs_probe_env env;
	struct fs_conn_ev *ev;
	enum state state;
	enum phase phase;
	bool tls;         /* TLS is up on this connection */
	bool headered;    /* the current stream's header arrived */
	long now;         /* the engine's clock at the event being handled (fs_pev.now_ms) */
	fs_trace_fn trace;  /* state changes, for -vv (NULL: none) */
	void *trace_ud;
};

static const char *
state_name(enum state s)
{
	return s < ST_LAST ? state_names[s] : "?";
}

const char *
fs_session_state_name(const struct fs_session *s)
{
	return state_name(s->state);
}

/* The one place the state changes, so a -vv trace sees every transition by name. */
static void
set_state(struct fs_session *s, enum state to)
{
	if (s->state == to)
		return;
	if (s->trace != NULL)
		s->trace(s->trace_ud, "session", state_name(s->state), state_name(to));
	s->state = to;
}

void
fs_session_set_trace(struct fs_session *s, fs_trace_fn fn, void *ud)
{
	s->trace = fn;
	s->trace_ud = ud;
}

struct fs_session *
fs_session_new(const struct fs_probe *p, const struct fs_probe_env *env, struct fs_conn_ev *ev)
{
	struct fs_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->probe = p;
	s->env = *env;
	s->ev = ev;
	ev->kind = p->kind;
	ev->attempted = true;
	ev->client_cert = fs_session_uses_client_cert(s);
	return s;
}

void
fs_session_free(struct fs_session *s)
{
	free(s);
}

bool
fs_session_done(const struct fs_session *s)
{
	return s->state == ST_DONE;
}

bool
fs_session_uses_client_cert(const struct fs_session *s)
{
	return (s->probe->flags & FS_PF_CLIENT_CERT) && s->env.have_client_cert;
}

int
fs_act_send(struct fs_actions *out, const char *data, size_t len)
{
	if (out->n >= FS_MAX_ACTS || out->used + len > FS_ACT_BUF)
		return -1;
	memcpy(out->buf + out->used, data, len);
	out->a[out->n].type = FS_ACT_SEND;
	out->a[out->n].off = out->used;
	out->a[out->n].len = len;
	out->used += len;
	out->n++;
	return 0;
}

int
fs_act_push(struct fs_actions *out, enum fs_act_type t)
{
	if (out->n >= FS_MAX_ACTS)
		return -1;
	out->a[out->n].type = t;
	out->a[out->n].off = out->a[out->n].len = 0;
	out->n++;
	return 0;
}

static struct fs_stream_ev *
cur_stream(struct fs_session *s)
{
	switch (s->phase) {
	case PH_PRE: return &s->ev->pre;
	case PH_POST_TLS: return &s->ev->post;
	default: return &s->ev->post_sasl;
	}
}

static void
finish(struct fs_session *s, struct fs_actions *out, const char *why)
{
	static const char close_tag[] = "</stream:stream>";

	if (s->state == ST_DONE)
		return;
	if (why != NULL && s->ev->close_reason[0] == '\0')
		FS_EV_SET(s->ev->close_reason, why);
	/* Close politely when a stream is open; the engine then closes the socket. */
	if (s->headered && s->ev->connected)
		fs_act_send(out, close_tag, sizeof(close_tag) - 1);
	fs_act_push(out, FS_ACT_CLOSE);
	set_state(s, ST_DONE);
}

static void
send_header(struct fs_session *s, struct fs_actions *out)
{
	char buf[1024];
	size_t n = fs_stream_header(buf, sizeof(buf), s->env.from, s->env.domain);

	s->headered = false;
	if (n == 0 || fs_act_send(out, buf, n) != 0) {
		finish(s, out, "internal: stream header does not fit");
		return;
	}
	set_state(s, ST_HEADER);
}

static void
send_dialback(struct fs_session *s, struct fs_actions *out)
{
	char buf[1024], f[FS_EV_TEXT * 2], t[FS_EV_TEXT * 2], key[FS_DBKEY_HEX];
	const char *k = s->env.db_key;
	int n;

	if (fs_xml_escape(f, sizeof(f), s->env.from) != 0 || fs_xml_escape(t, sizeof(t), s->env.domain) != 0)
		goto out;
	/* Authoritative mode: a key our listener will recognise for this stream id (XEP-0185). */
	if (s->env.db_secret != NULL) {
		if (fs_dialback_key(s->env.db_secret, s->env.domain, s->env.from, cur_stream(s)->id, key) != 0)
			goto out;
		k = key;
	}
	n = snprintf(buf, sizeof(buf), "<db:result from='%s' to='%s'>%s</db:result>", f, t, k);
	if (n < 0 || (size_t)n >= sizeof(buf) || fs_act_send(out, buf, (size_t)n) != 0)
		goto out;
	s->ev->dialback.over_tls = s->tls;
	set_state(s, ST_DIALBACK);
	/*
	 * Sink mode: nobody answers the partner's connect-back, so it can only end in silence (verifying) or an
	 * answer that comes at once (refusal, policy). Ask to hear of silence rather than wait out --timeout.
	 */
	if (s->env.db_secret == NULL)
		fs_act_push(out, FS_ACT_QUIET);
	return;
out:
	finish(s, out, "internal: dialback request does not fit");
}

/*
 * The session proof: one harmless stanza from our domain to the partner's after an authentication succeeded
 * (XEP-0199 ping). Any iq answer proves stanzas are routed on the method; it comes back on the partner's own
 * stream to us, so only --listen sees it. A stream error or a close on our stream after the ping proves they are
 * not. Ask to hear of silence, as after db:result: nothing more comes on our stream when all goes well.
 */
static void
send_proof(struct fs_session *s, struct fs_actions *out, const char *method)
{
	char buf[1024], f[FS_EV_TEXT * 2], t[FS_EV_TEXT * 2];
	struct fs_proof_ev *p = &s->ev->proof;
	int n;

	FS_EV_SET(p->method, method);
	snprintf(p->id, sizeof(p->id), "fedscan-ping-%s", fs_conn_kind_name(s->ev->kind));
	if (fs_xml_escape(f, sizeof(f), s->env.from) != 0 || fs_xml_escape(t, sizeof(t), s->env.domain) != 0)
		goto out;
	n = snprintf(buf, sizeof(buf), "<iq type='get' from='%s' to='%s' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>",
	    f, t, p->id);
	if (n < 0 || (size_t)n >= sizeof(buf) || fs_act_send(out, buf, (size_t)n) != 0)
		goto out;
	p->result = FS_PROOF_NO_ANSWER;
	p->sent_at = s->now;
	set_state(s, ST_PROOF);
	fs_act_push(out, FS_ACT_QUIET);
	return;
out:
	finish(s, out, "internal: ping does not fit");
}

/* An iq on our own stream that answers our ping (a server that answers on the same stream). */
static void
on_proof_iq(struct fs_session *s, const struct fs_xml_elem *el, struct fs_actions *out)
{
	struct fs_proof_ev *p = &s->ev->proof;
	const char *type = fs_xml_attr(el, "", "type"), *id = fs_xml_attr(el, "", "id");
	const struct fs_xml_elem *err, *c;

	if (type == NULL || id == NULL || strcmp(id, p->id) != 0 ||
	    (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return;
	p->result = FS_PROOF_ANSWERED;
	p->answer_ms = s->now - p->sent_at > 0 ? s->now - p->sent_at : 1;  /* 0 would say "not timed" */
	FS_EV_SET(p->answer, type);
	if ((err = fs_xml_child(el, NULL, "error")) != NULL)
		for (c = err->children; c != NULL; c = c->next)
			if (strcmp(c->ns, NS_STANZA_ERRORS) == 0 && strcmp(c->name, "text") != 0)
				FS_EV_SET(p->condition, c->name);
	finish(s, out, "ping answered");
}

static void
send_external(struct fs_session *s, struct fs_actions *out)
{
	char buf[1024], b64[FS_EV_TEXT * 2];
	const char *authzid = "=";
	int n;

	s->ev->sasl.tries++;
	if (s->ev->sasl.tries > 1) {
		/* XEP-0178 step 10: older servers want base64(FROM) as the authzid. */
		size_t fl = strlen(s->env.from);
		if (fl > FS_EV_TEXT)
			fl = FS_EV_TEXT;
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)s->env.from, (int)fl);
		authzid = b64;
	}
	n = snprintf(buf, sizeof(buf), "<auth xmlns='" NS_SASL "' mechanism='EXTERNAL'>%s</auth>", authzid);
	if (n < 0 || (size_t)n >= sizeof(buf) || fs_act_send(out, buf, (size_t)n) != 0) {
		finish(s, out, "internal: auth request does not fit");
		return;
	}
	set_state(s, ST_SASL);
}

/*
 * Silence, bad XML or a reset ended the probe before its step was answered: record the step ("STATE/STREAM") so
 * the inference can say what broke first (doc/inference-rules.md#what-broke). A dialback wait has its own outcome.
 */
static void
record_break(struct fs_session *s)
{
	if (!s->ev->connected || s->state == ST_DIALBACK || s->state == ST_PROOF || s->state == ST_DONE ||
	    s->ev->broke_at[0] != '\0')
		return;
	snprintf(s->ev->broke_at, sizeof(s->ev->broke_at), "%s/%s", state_name(s->state), phase_names[s->phase]);
}

/* After the features of the current stream: decide the next step. */
static void
next_step(struct fs_session *s, struct fs_actions *out)
{
	struct fs_stream_ev *st = cur_stream(s);
	unsigned f = s->probe->flags;

	if (!s->tls && (f & FS_PF_STARTTLS) && st->starttls) {
		static const char starttls[] = "<starttls xmlns='" NS_TLS "'/>";
		fs_act_send(out, starttls, sizeof(starttls) - 1);
		set_state(s, ST_STARTTLS);
		return;
	}
	if (!s->tls && (f & FS_PF_STARTTLS)) {
		/* No STARTTLS offered: the plain probe covers dialback without TLS. */
		finish(s, out, "no STARTTLS offered");
		return;
	}
	if ((f & FS_PF_PLAIN_ONLY) && (st->starttls_required || st->only_starttls) && s->env.db_secret == NULL) {
		/*
		 * Prosody would verify and stall for s2s_timeout (fedscan(1), AUTHORITATIVE MODE): <required/> already
		 * decides. With our own listener answering, the refusal comes in milliseconds: ask anyway.
		 */
		finish(s, out, "TLS required: plain dialback not attempted");
		return;
	}
	if (s->phase == PH_POST_SASL) {
		send_proof(s, out, "SASL over TLS");
		return;
	}
	if (fs_session_uses_client_cert(s) && !(f & FS_PF_NO_SASL) && s->tls && s->ev->sasl.result == FS_SASL_NOT_TRIED &&
	    fs_ev_has_word(st->mechanism_list, "EXTERNAL")) {
		send_external(s, out);
		return;
	}
	if (f & FS_PF_DIALBACK) {
		send_dialback(s, out);
		return;
	}
	finish(s, out, "probe complete");
}

static void
on_stream_error(struct fs_session *s, const struct fs_xml_elem *el, struct fs_actions *out)
{
	struct fs_conn_ev *ev = s->ev;
	char why[FS_EV_TEXT];

	fs_stream_parse_error(el, ev->stream_error, sizeof(ev->stream_error), ev->stream_error_text,
	    sizeof(ev->stream_error_text), ev->see_other_host, sizeof(ev->see_other_host));
	FS_EV_SET(ev->stream_error_stage, s->state == ST_DIALBACK ? "dialback" : s->state == ST_PROOF ? "proof" :
	    phase_names[s->phase]);
	if (s->state == ST_PROOF) {
		ev->proof.result = FS_PROOF_REFUSED;
		FS_EV_SET(ev->proof.condition, ev->stream_error);
		FS_EV_SET(ev->proof.text, ev->stream_error_text);
	} else if (s->state == ST_DIALBACK) {
		ev->dialback.result = FS_DB_STREAM_ERROR;
		FS_EV_SET(ev->dialback.condition, ev->stream_error);
		FS_EV_SET(ev->dialback.text, ev->stream_error_text);
	} else if (s->state == ST_SASL) {
		ev->sasl.result = FS_SASL_FAILURE;
		FS_EV_SET(ev->sasl.condition, ev->stream_error);
		FS_EV_SET(ev->sasl.text, ev->stream_error_text);
	}
	snprintf(why, sizeof(why), "stream error <%s/>", ev->stream_error);
	finish(s, out, why);
}

static void
on_dialback_result(struct fs_session *s, const struct fs_xml_elem *el, struct fs_actions *out)
{
	struct fs_dialback_ev *db = &s->ev->dialback;
	const char *type = fs_xml_attr(el, "", "type");
	const struct fs_xml_elem *err, *c;

	if (type != NULL && strcmp(type, "valid") == 0) {
		db->result = FS_DB_VALID;
		send_proof(s, out, s->tls ? "TLS Dialback" : "TCP Dialback");
		return;
	} else if (type != NULL && strcmp(type, "invalid") == 0) {
		db->result = FS_DB_INVALID;
	} else if (type != NULL && strcmp(type, "error") == 0) {
		db->result = FS_DB_ERROR;
		FS_EV_SET(db->condition, "undefined-condition");
		/* XEP-0220 §2.5: <error type='cancel'><condition xmlns='...stanzas'/></error> */
		if ((err = fs_xml_child(el, NULL, "error")) != NULL) {
			for (c = err->children; c != NULL; c = c->next) {
				if (strcmp(c->ns, NS_STANZA_ERRORS) != 0)
					continue;
				if (strcmp(c->name, "text") == 0)
					FS_EV_SET(db->text, c->text);
				else
					FS_EV_SET(db->condition, c->name);
			}
		}
	} else {
		/* A db:result without a type is a request, not an answer: not ours to act on. */
		return;
	}
	finish(s, out, "dialback answered");
}

static void
on_sasl(struct fs_session *s, const struct fs_xml_elem *el, struct fs_actions *out)
{
	struct fs_sasl_ev *sa = &s->ev->sasl;
	const struct fs_xml_elem *c;

	if (fs_xml_is(el, NS_SASL, "success")) {
		sa->result = FS_SASL_SUCCESS;
		s->phase = PH_POST_SASL;
		fs_act_push(out, FS_ACT_RESTART);
		send_header(s, out);
		return;
	}
	if (!fs_xml_is(el, NS_SASL, "failure"))
		return;
	sa->result = FS_SASL_FAILURE;
	sa->condition[0] = sa->text[0] = '\0';
	for (c = el->children; c != NULL; c = c->next) {
		if (strcmp(c->ns, NS_SASL) != 0)
			continue;
		if (strcmp(c->name, "text") == 0)
			FS_EV_SET(sa->text, c->text);
		else
			FS_EV_SET(sa->condition, c->name);
	}
	if (sa->tries == 1 && (strcmp(sa->condition, "invalid-authzid") == 0 ||
	    strcmp(sa->condition, "malformed-request") == 0)) {
		send_external(s, out);
		return;
	}
	/* XEP-0178 1.2: after a failed EXTERNAL, dialback may still be used on the same stream. */
	if (s->probe->flags & FS_PF_DIALBACK)
		send_dialback(s, out);
	else
		finish(s, out, "SASL EXTERNAL failed");
}

static void
on_element(struct fs_session *s, const struct fs_xml_elem *el, struct fs_actions *out)
{
	struct fs_conn_ev *ev = s->ev;

	if (fs_xml_is(el, NS_STREAMS, "error")) {
		on_stream_error(s, el, out);
		return;
	}
	switch (s->state) {
	case ST_FEATURES:
		if (fs_xml_is(el, NS_STREAMS, "features")) {
			fs_stream_record_features(el, cur_stream(s));
			next_step(s, out);
		}
		break;
	case ST_STARTTLS:
		if (fs_xml_is(el, NS_TLS, "proceed")) {
			ev->starttls = FS_STARTTLS_PROCEED;
			fs_act_push(out, FS_ACT_STARTTLS);
			set_state(s, ST_TLS);
		} else if (fs_xml_is(el, NS_TLS, "failure")) {
			ev->starttls = FS_STARTTLS_FAILURE;
			finish(s, out, "STARTTLS refused with <failure/>");
		}
		break;
	case ST_SASL:
		on_sasl(s, el, out);
		break;
	case ST_DIALBACK:
		if (fs_xml_is(el, NS_DIALBACK, "result"))
			on_dialback_result(s, el, out);
		break;
	case ST_PROOF:
		if (fs_xml_is(el, NS_SERVER, "iq"))
			on_proof_iq(s, el, out);
		break;
	default:
		/* Anything else (stanzas, db:verify, unknown elements) is not acted on. */
		break;
	}
}

static void
on_stream_open(struct fs_session *s, const struct fs_xml_stream_header *hdr, struct fs_actions *out)
{
	struct fs_stream_ev *st = cur_stream(s);
	const char *bad;

	if (s->state != ST_HEADER) {
		finish(s, out, "unexpected stream header");
		return;
	}
	s->headered = true;
	if ((bad = fs_stream_record_header(hdr, st)) != NULL) {
		finish(s, out, bad);
		return;
	}
	if (!st->version1) {
		/* RFC 6120 §4.7.5: a pre-1.0 peer sends no features; dialback is all it can do. */
		if ((s->probe->flags & FS_PF_DIALBACK) && !s->tls && (s->probe->flags & FS_PF_PLAIN_ONLY))
			send_dialback(s, out);
		else
			finish(s, out, "pre-1.0 stream: no features");
		return;
	}
	set_state(s, ST_FEATURES);
}

void
fs_session_event(struct fs_session *s, const struct fs_pev *e, struct fs_actions *out)
{
	struct fs_conn_ev *ev = s->ev;

	if (s->state == ST_DONE)
		return;
	s->now = e->now_ms;
	switch (e->type) {
	case FS_PEV_CONNECTED:
		ev->connected = true;
		if (s->probe->flags & FS_PF_TLS_FIRST) {
			fs_act_push(out, FS_ACT_STARTTLS);
			set_state(s, ST_TLS_FIRST);
		} else {
			send_header(s, out);
		}
		break;
	case FS_PEV_STREAM_OPEN:
		on_stream_open(s, e->hdr, out);
		break;
	case FS_PEV_ELEMENT:
		if (s->headered)
			on_element(s, e->el, out);
		break;
	case FS_PEV_STREAM_CLOSE:
		ev->peer_closed = true;
		if (s->state == ST_PROOF)
			ev->proof.result = FS_PROOF_CLOSED;
		else if (s->state == ST_DIALBACK)
			ev->dialback.result = FS_DB_CLOSED;
		else if (s->state == ST_SASL)
			ev->sasl.result = FS_SASL_NO_ANSWER;
		finish(s, out, "the peer closed the stream");
		break;
	case FS_PEV_TLS_UP:
		s->tls = true;
		s->phase = PH_POST_TLS;
		fs_act_push(out, FS_ACT_RESTART);
		send_header(s, out);
		break;
	case FS_PEV_TLS_FAILED:
		s->headered = false;  /* no stream to close politely over a failed handshake */
		finish(s, out, e->reason != NULL ? e->reason : "TLS handshake failed");
		break;
	case FS_PEV_CLOSED:
		record_break(s);
		ev->peer_closed = true;
		if (s->state == ST_PROOF)
			ev->proof.result = FS_PROOF_CLOSED;
		else if (s->state == ST_DIALBACK)
			ev->dialback.result = FS_DB_CLOSED;
		else if (s->state == ST_SASL)
			ev->sasl.result = FS_SASL_NO_ANSWER;
		else if (s->state == ST_STARTTLS)
			ev->starttls = FS_STARTTLS_NO_ANSWER;
		s->headered = false;
		finish(s, out, e->reason != NULL ? e->reason : "the peer closed the connection");
		break;
	case FS_PEV_TIMEOUT:
		record_break(s);
		ev->timed_out = true;
		if (s->state == ST_DIALBACK)
			ev->dialback.result = FS_DB_TIMEOUT;
		else if (s->state == ST_SASL)
			ev->sasl.result = FS_SASL_NO_ANSWER;
		else if (s->state == ST_STARTTLS)
			ev->starttls = FS_STARTTLS_NO_ANSWER;
		finish(s, out, e->reason != NULL ? e->reason : "timed out");
		break;
	case FS_PEV_QUIET:
		if (s->state == ST_PROOF) {
			/* Nothing refused the ping on our stream: the answer, if any, is on the partner's stream. */
			ev->proof.wait_ms = e->grace_ms > 0 ? e->grace_ms : 1;
			finish(s, out, "ping sent; nothing refused it on our stream");
			break;
		}
		if (s->state != ST_DIALBACK)
			break;
		ev->dialback.result = FS_DB_TIMEOUT;
		ev->dialback.grace_ms = e->grace_ms > 0 ? e->grace_ms : 1;
		finish(s, out, "no answer to dialback within the grace: the partner is verifying our sink domain");
		break;
	case FS_PEV_XML_ERROR:
		record_break(s);
		ev->xml_error = true;
		s->headered = false;
		finish(s, out, e->reason != NULL ? e->reason : "invalid XML");
		break;
	default:
		break;
	}
}
