/* infer.c: evidence → effective TLS/SASL/Dialback, rule by rule (doc/inference-rules.md), with no side effects. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fedscan/infer.h"
#include "model/infer_int.h"

const char *
fs_conf_name(enum fs_conf c)
{
	switch (c) {
	case FS_CONF_HIGH: return "high";
	case FS_CONF_MEDIUM: return "medium";
	case FS_CONF_LOW: return "low";
	default: return "none";
	}
}

static void __attribute__((format(printf, 2, 3)))
line(struct fs_inference *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nlines >= FS_INFER_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->lines[r->nlines++], FS_EV_TEXT, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
problem(struct fs_inference *r, enum fs_problem_code code, const char *fmt, ...)
{
	va_list ap;
	char buf[FS_EV_TEXT];
	unsigned i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; i < r->nproblems; i++)
		if (strcmp(r->problems[i], buf) == 0)
			return;
	if (r->nproblems < FS_INFER_PROBLEMS) {
		r->problem_codes[r->nproblems] = code;
		memcpy(r->problems[r->nproblems++], buf, sizeof(buf));
	}
}

void
fs_infer_add_problem(struct fs_inference *r, enum fs_problem_code code, const char *text)
{
	problem(r, code, "%s", text);
}

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* A connection whose peer spoke a jabber:server stream to us. */
static bool
spoke_xmpp(const struct fs_conn_ev *c)
{
	/* A capture may show only a completed handshake on a direct TLS stream: the stream itself is encrypted. */
	return c->attempted && (c->pre.header || c->post.header || (c->post_hidden && c->tls.ok)) && !c->xml_error &&
	    (c->pre.header ? (c->pre.version[0] != '\0' || !c->pre.version1) : true) &&
	    !c->pre.not_server && !c->post.not_server;
}

/* Whether our listener (--listen) saw the partner connect back to verify a key: only then is it known. */
static bool
connect_back_seen(const struct fs_domain_ev *d)
{
	return d->params.authoritative && d->outbound.verify_requests > 0;
}

/* Rule D6: the answer is about our FROM or TO, not about dialback. */
static bool
db_refuses_us(const struct fs_dialback_ev *db, const struct fs_domain_ev *d)
{
	const char *from = d->params.from;

	/*
	 * ejabberd's s2s_access denial answers <forbidden/> "Access denied by service policy" at once, without a
	 * connect-back (doc/protocol.md, ejabberd): a refusal of our domain. XEP-0220 §2.5 also allows <forbidden/>
	 * after a connect-back; only --listen can tell the two apart, by the db:verify it received.
	 */
	if (db->result == FS_DB_ERROR && is(db->condition, "forbidden") && !connect_back_seen(d))
		return true;
	/* Openfire and allow-lists: a policy-violation whose text names our domain refuses us, not plain dialback. */
	if ((db->result == FS_DB_ERROR || db->result == FS_DB_STREAM_ERROR) && is(db->condition, "policy-violation") &&
	    from[0] != '\0' && strcasestr(db->text, from) != NULL)
		return true;
	if (db->result == FS_DB_ERROR)
		return is(db->condition, "item-not-found") || is(db->condition, "not-allowed") ||
		    is(db->condition, "host-unknown");
	if (db->result == FS_DB_STREAM_ERROR)
		return is(db->condition, "host-unknown") || is(db->condition, "improper-addressing") ||
		    is(db->condition, "invalid-from");
	return false;
}

/* TLS is required before dialback (rule T5). */
static bool
db_policy_violation(const struct fs_dialback_ev *db)
{
	if (db->result == FS_DB_ERROR)
		return is(db->condition, "policy-violation") || is(db->condition, "not-authorized");
	if (db->result == FS_DB_STREAM_ERROR && is(db->condition, "policy-violation"))
		return strcasestr(db->text, "dialback") == NULL || strcasestr(db->text, "disabled") == NULL;
	return false;
}

/* Dialback itself is refused (rule D2). */
static bool
db_refused(const struct fs_dialback_ev *db)
{
	if (db->result != FS_DB_STREAM_ERROR)
		return false;
	if (is(db->condition, "unsupported-stanza-type") || is(db->condition, "not-authorized"))
		return true;
	return is(db->condition, "policy-violation") && strcasestr(db->text, "dialback") != NULL &&
	    strcasestr(db->text, "disabled") != NULL;
}

static const char *
db_words(const struct fs_dialback_ev *db, char *buf, size_t size)
{
	switch (db->result) {
	case FS_DB_VALID: return "type='valid'";
	case FS_DB_INVALID: return "type='invalid'";
	case FS_DB_ERROR:
		snprintf(buf, size, "dialback error <%s/>%s%s", db->condition, db->text[0] ? " " : "", db->text);
		return buf;
	case FS_DB_STREAM_ERROR:
		snprintf(buf, size, "stream error <%s/>%s%s", db->condition, db->text[0] ? " " : "", db->text);
		return buf;
	case FS_DB_CLOSED: return "the connection was closed";
	case FS_DB_TIMEOUT:
		if (db->grace_ms > 0) {
			snprintf(buf, size, "no answer within %ld ms: sink mode does not wait for the verification", db->grace_ms);
			return buf;
		}
		return "no answer before our timeout";
	default: return "not sent";
	}
}

static void
cert_checks(const struct fs_domain_ev *d, const char *where, const struct fs_tls_ev *t, long long now,
    int warn_days, struct fs_inference *r)
{
	long long days;

	/* A capture shows no certificate in TLS 1.3 (encrypted) or in a resumed session: nothing to judge. */
	if (!t->ok || t->hidden)
		return;
	if (!t->cert.present) {
		problem(r, FS_P_CERT, "%s: the server presented no certificate", where);
		r->cert_problem = true;
		return;
	}
	if (t->expired) {
		problem(r, FS_P_CERT, "%s: certificate expired on %s", where, t->cert.not_after);
		r->cert_problem = true;
	} else if (t->cert.not_after_epoch > 0) {
		days = (t->cert.not_after_epoch - now) / 86400;
		if (days < warn_days) {
			problem(r, FS_P_CERT, "%s: certificate expires in %lld days (%s)", where, days, t->cert.not_after);
			r->cert_problem = true;
		}
	}
	if (!t->name_ok) {
		problem(r, FS_P_CERT, "%s: certificate does not match the name %s (RFC 6125: DNS-ID, SRV-ID or XmppAddr); it names %s",
		    where, d->domain, t->cert.sans[0] ? t->cert.sans : t->cert.subject);
		r->cert_problem = true;
	}
	if (!t->chain_ok && !t->expired) {
		problem(r, FS_P_CERT, "%s: certificate not trusted: %s", where, t->verify_error);
		r->cert_problem = true;
	}
	if (is(t->version, "TLSv1") || is(t->version, "TLSv1.1") || is(t->version, "SSLv3")) {
		problem(r, FS_P_TLS_OLD, "%s: negotiated %s, below TLS 1.2 (RFC 7525)", where, t->version);
	}
}


/* Whether a plain db:result was sent and answered: the partner was asked to do without TLS, not only read. */
static bool
tls_tried_without(const struct ep_ctx *x)
{
	const struct fs_dialback_ev *db = &x->c2->dialback;

	return x->c2->attempted && db->result != FS_DB_NOT_SENT && !db->over_tls && db->result != FS_DB_TIMEOUT;
}

/* TLS from what the first stream advertised and what plain dialback showed (doc/inference-rules.md: T1-T8). */
static void
infer_tls(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;

	if (x->pre != NULL && !x->pre->version1) {
		r->s.tls = FS_LEVEL_NOTSUPPORTED;
		r->tls_conf = FS_CONF_HIGH;
		line(r, "T2: %s answers without version='1.0' (a pre-1.0 server: no TLS, no SASL)", x->where);
	} else if (x->pre != NULL && (x->pre->starttls_required || x->pre->only_starttls) &&
	    x->c2->dialback.result == FS_DB_VALID && !x->c2->dialback.over_tls) {
		/* What it does beats what it says: a stream authenticated without TLS means TLS is not required. */
		r->s.tls = FS_LEVEL_OPTIONAL;
		r->tls_conf = FS_CONF_HIGH;
		line(r, "T6: %s marks STARTTLS mandatory but authenticated dialback without TLS (type='valid')", x->where);
	} else if (x->pre != NULL && x->pre->starttls_required) {
		r->s.tls = FS_LEVEL_REQUIRED;
		r->tls_conf = FS_CONF_HIGH;
		x->tls_by_ad = !tls_tried_without(x);
		line(r, "T3: %s advertises <starttls><required/></starttls>", x->where);
	} else if (x->pre != NULL && x->pre->only_starttls) {
		r->s.tls = FS_LEVEL_REQUIRED;
		r->tls_conf = FS_CONF_HIGH;
		x->tls_by_ad = !tls_tried_without(x);
		line(r, "T4: %s offers STARTTLS as its only feature (RFC 6120 §5.3.1: mandatory to negotiate)", x->where);
	} else if (x->pre != NULL && x->pre->features && !x->pre->starttls && !(x->c3->attempted && x->c3->tls.ok)) {
		r->s.tls = FS_LEVEL_NOTSUPPORTED;
		r->tls_conf = FS_CONF_HIGH;
		x->tls_by_ad = true;
		line(r, "T1: %s offers no STARTTLS", x->where);
	} else if (x->pre == NULL && x->c3->attempted && x->c3->tls.ok) {
		/* Direct TLS only: TLS is the only way in. */
		r->s.tls = FS_LEVEL_REQUIRED;
		r->tls_conf = FS_CONF_MEDIUM;
		line(r, "T4: %s speaks direct TLS (XEP-0368) only", x->where);
	} else if (x->pre != NULL && x->pre->starttls) {
		const struct fs_dialback_ev *db = &x->c2->dialback;
		char b[FS_EV_TEXT];
		bool us = db_refuses_us(db, x->d);
		if (db_policy_violation(db) && !us) {
			r->s.tls = FS_LEVEL_REQUIRED;
			r->tls_conf = FS_CONF_HIGH;
			line(r, "T5: %s offers STARTTLS without <required/> but refuses dialback without TLS: %s", x->where,
			    db_words(db, b, sizeof(b)));
		} else if (fs_ev_db_verified(db) && !us) {
			r->s.tls = FS_LEVEL_OPTIONAL;
			r->tls_conf = FS_CONF_HIGH;
			line(r, "T6: %s offers STARTTLS without <required/> and verifies dialback without TLS: %s", x->where,
			    db_words(db, b, sizeof(b)));
		} else if (fs_ev_db_pending(db)) {
			r->s.tls = FS_LEVEL_OPTIONAL;
			r->tls_conf = FS_CONF_MEDIUM;
			x->tls_pend = true;
			line(r, "T7: %s offers STARTTLS without <required/>; dialback without TLS was accepted for "
			    "verification (%s)", x->where, db_words(db, b, sizeof(b)));
		} else if (db_refused(db)) {
			r->s.tls = FS_LEVEL_REQUIRED;
			r->tls_conf = FS_CONF_MEDIUM;
			line(r, "T8: %s offers STARTTLS without <required/> but refuses dialback without TLS (%s), and "
			    "SASL needs TLS: nothing authenticates without TLS", x->where, db_words(db, b, sizeof(b)));
		} else {
			r->s.tls = FS_LEVEL_OPTIONAL;
			r->tls_conf = FS_CONF_LOW;
			line(r, "T7: %s offers STARTTLS without <required/> (dialback without TLS: %s)", x->where,
			    db_words(db, b, sizeof(b)));
		}
	} else {
		FS_EV_SET(r->tls_unknown, "no stream features were received");
	}
}

/* STARTTLS refused or a failed handshake (rule T9). */
static void
infer_tls_failed(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;

	if (x->tlsc != NULL && r->s.tls != FS_LEVEL_NOTSUPPORTED &&
	    (x->tlsc->starttls == FS_STARTTLS_FAILURE || (x->tlsc->tls.attempted && !x->tlsc->tls.ok))) {
		r->tls_failed = true;
		if (x->tlsc->starttls == FS_STARTTLS_FAILURE)
			problem(r, FS_P_STARTTLS_REFUSED, "%s: STARTTLS refused with <failure/>", x->where);
		else
			problem(r, FS_P_TLS_FAILED, "%s: TLS handshake failed: %s", x->where,
			    x->tlsc->tls.error[0] ? x->tlsc->tls.error : x->tlsc->close_reason);
		if (r->s.tls == FS_LEVEL_REQUIRED) {
			/* Required and broken: no method can work with this endpoint (T9 with T3/T4). */
			line(r, "T9: %s requires TLS but TLS cannot be negotiated with it", x->where);
		} else {
			line(r, "T9: %s: TLS cannot be negotiated; effectively TLS NotSupported", x->where);
			r->s.tls = FS_LEVEL_NOTSUPPORTED;
			r->tls_conf = FS_CONF_HIGH;
		}
	}
}

/* Stream errors and redirects that ended a connection before anything was learnt. */
static void
stream_problems(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	unsigned i;

	for (i = 0; i < FS_CONN_KIND_LAST; i++) {
		const struct fs_conn_ev *c = &x->ep->conns[i];
		if (!c->attempted)
			continue;
		if (c->see_other_host[0] != '\0')
			problem(r, FS_P_REDIRECT, "%s: redirects with <see-other-host/> to %s (not followed)", x->where, c->see_other_host);
		else if (c->stream_error[0] != '\0' && !is(c->stream_error_stage, "dialback") &&
		    !is(c->stream_error_stage, "proof") &&
		    !(is(c->stream_error, "not-authorized") && is(c->stream_error_stage, "post-tls")))
			problem(r, FS_P_STREAM_ERROR, "%s (%s): stream error <%s/>%s%s at %s", x->where, fs_conn_kind_name(c->kind),
			    c->stream_error, c->stream_error_text[0] ? " " : "", c->stream_error_text,
			    c->stream_error_stage);
	}

}

/* A certificate valid for our domain is required after TLS (rule S7, XEP-0178). */
static void
infer_cert_required(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	char w[FS_EV_TEXT];
	unsigned i;

	for (i = 0; i < FS_CONN_KIND_LAST; i++) {
		const struct fs_conn_ev *c = &x->ep->conns[i];
		/* Passive evidence: what followed the handshake is encrypted, so its absence proves nothing. */
		if (!c->attempted || c->client_cert || !c->tls.ok || c->post_hidden)
			continue;
		snprintf(w, sizeof(w), "%s (%s)", x->where, fs_conn_kind_name(c->kind));
		if (is(c->stream_error, "not-authorized") && is(c->stream_error_stage, "post-tls")) {
			r->cert_required = true;
			line(r, "S7: %s refuses the stream after TLS without a valid certificate for our domain: "
			    "<not-authorized/> %s", w, c->stream_error_text);
		} else if (is(c->stream_error, "undefined-condition") && is(c->stream_error_stage, "post-tls") &&
		    strcasestr(c->stream_error_text, "no stream features") != NULL) {
			/* Prosody without dialback: nothing to offer a peer that has no certificate. */
			r->cert_required = true;
			line(r, "S7: %s has nothing to offer after TLS to a peer without a certificate: "
			    "<undefined-condition/> %s", w, c->stream_error_text);
		} else if (c->dialback.result == FS_DB_ERROR && c->dialback.over_tls &&
		    is(c->dialback.condition, "not-authorized")) {
			r->cert_required = true;
			line(r, "S7: %s answers dialback over TLS with <not-authorized/>: a valid certificate is required",
			    w);
		} else if (!c->post.header && c->peer_closed && c->stream_error[0] == '\0' && !c->timed_out) {
			/* XEP-0178 step 7a: the receiver closes right after the handshake when our certificate is missing. */
			r->cert_required = true;
			line(r, "S7: %s closes the connection right after the TLS handshake (no certificate from us)", w);
		}
	}

}

/* Each db:result answer, read as a rule line (doc/inference-rules.md: D1, D2, D6). */
static void
dialback_lines(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	char w[FS_EV_TEXT];
	unsigned i;

	for (i = 0; i < x->ndb; i++) {
		const struct fs_dialback_ev *db = &x->dbs[i]->dialback;
		char b[FS_EV_TEXT];
		const char *how = db->over_tls ? "over TLS" : "without TLS";
		x->db_any_sent = true;
		snprintf(w, sizeof(w), "%s (%s)", x->where, fs_conn_kind_name(x->dbs[i]->kind));
		if (db_refuses_us(db, x->d)) {
			r->from_refused = true;
			if (r->refusal[0] == '\0')
				snprintf(r->refusal, sizeof(r->refusal), "the partner refuses %s by policy (%s)",
				    x->d->params.from, db_words(db, b, sizeof(b)));
			line(r, "D6: %s answers dialback %s about our addressing, not dialback: %s", w, how,
			    db_words(db, b, sizeof(b)));
		} else if (fs_ev_db_verified(db)) {
			x->db_true = true;
			line(r, "D1: %s: dialback %s reached verification: %s", w, how, db_words(db, b, sizeof(b)));
		} else if (db_refused(db)) {
			if (db->over_tls)
				x->db_false_tls = true;
			else
				x->db_false_plain = true;
			line(r, "D2: %s refuses dialback %s: %s", w, how, db_words(db, b, sizeof(b)));
		} else if (fs_ev_db_pending(db)) {
			x->db_pend = true;
			line(r, "D1: %s accepted dialback %s for verification; it did not finish (%s)", w, how,
			    db_words(db, b, sizeof(b)));
		} else if (db_policy_violation(db) && !db->over_tls) {
			line(r, "D1: %s wants TLS before dialback (%s)", w, db_words(db, b, sizeof(b)));
		}
	}
}

/* Dialback from the answers, the dialback feature and xmlns:db (D1-D5, XEP-0220 §2.4). */
static void
infer_dialback(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;

	if (x->db_true) {
		r->s.dialback = FS_DIALBACK_TRUE;
		r->dialback_conf = FS_CONF_HIGH;
	} else if (x->db_false_tls) {
		r->s.dialback = FS_DIALBACK_FALSE;
		r->dialback_conf = FS_CONF_HIGH;
	} else if (x->db_pend && !x->any_feature_db && !x->any_db_ns) {
		r->s.dialback = FS_DIALBACK_FALSE;
		r->dialback_conf = FS_CONF_MEDIUM;
		line(r, "D5: %s neither advertises dialback nor declares xmlns:db, and does not answer db:result", x->where);
	} else if (x->db_pend) {
		r->s.dialback = FS_DIALBACK_TRUE;
		r->dialback_conf = x->any_feature_db ? FS_CONF_MEDIUM : FS_CONF_LOW;
		if (x->any_feature_db)
			line(r, "D3: %s advertises the dialback feature (urn:xmpp:features:dialback)", x->where);
	} else if (x->db_false_plain && r->s.tls != FS_LEVEL_REQUIRED) {
		r->s.dialback = FS_DIALBACK_FALSE;
		r->dialback_conf = FS_CONF_MEDIUM;
	} else if (x->any_feature_db && !r->from_refused) {
		r->s.dialback = FS_DIALBACK_TRUE;
		r->dialback_conf = FS_CONF_MEDIUM;
		line(r, "D3: %s advertises the dialback feature (urn:xmpp:features:dialback)", x->where);
	} else if (!x->any_feature_db && !x->any_db_ns && !r->from_refused &&
	    (x->db_any_sent || r->cert_required || (x->post != NULL && x->post->features))) {
		r->s.dialback = FS_DIALBACK_FALSE;
		r->dialback_conf = FS_CONF_MEDIUM;
		line(r, "D5: %s neither advertises dialback nor declares xmlns:db", x->where);
	} else if (x->any_db_ns && !r->from_refused && !r->cert_required) {
		r->s.dialback = FS_DIALBACK_TRUE;
		r->dialback_conf = FS_CONF_LOW;
		line(r, "D4: %s declares xmlns:db (a weak hint: ejabberd always does)", x->where);
	} else {
		FS_EV_SET(r->dialback_unknown, r->from_refused ?
		    "the partner refused our FROM domain before any dialback verification (use --from with a domain "
		    "it accepts)" : r->cert_required ?
		    "the partner requires a certificate valid for our domain before dialback (rerun with --client-cert)" :
		    "no dialback answer was seen");
	}

}

/* SASL EXTERNAL from the handshake, the features after TLS and the answers (S0-S6, XEP-0178). */
static void
infer_sasl(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	unsigned i;

	if (r->s.tls == FS_LEVEL_NOTSUPPORTED) {
		r->s.sasl = FS_LEVEL_NOTSUPPORTED;
		r->sasl_conf = FS_CONF_HIGH;
		line(r, "S0: %s: no TLS, so no SASL EXTERNAL", x->where);
	} else {
		const struct fs_conn_ev *sc = NULL;  /* the connection that tried EXTERNAL */
		bool offered = false, cert_req = false, dialback_ok_without_cert, dialback_ok_with_cert;
		for (i = 0; i < FS_CONN_KIND_LAST; i++) {
			const struct fs_conn_ev *c = &x->ep->conns[i];
			if (c->sasl.result != FS_SASL_NOT_TRIED)
				sc = c;
			if (fs_ev_has_word(c->post.mechanism_list, "EXTERNAL"))
				offered = true;
			if (c->tls.cert_requested)
				cert_req = true;
		}
		/* Whether a certificate-less peer can still authenticate with dialback over TLS. */
		dialback_ok_without_cert = dialback_ok_with_cert = false;
		for (i = 0; i < x->ndb; i++)
			if (x->dbs[i]->dialback.over_tls && !db_refuses_us(&x->dbs[i]->dialback, x->d) &&
			    (fs_ev_db_verified(&x->dbs[i]->dialback) || fs_ev_db_pending(&x->dbs[i]->dialback))) {
				if (x->dbs[i]->client_cert)
					dialback_ok_with_cert = true;
				else
					dialback_ok_without_cert = true;
			}
		if (sc != NULL && sc->sasl.result == FS_SASL_SUCCESS) {
			line(r, "S3: %s accepted SASL EXTERNAL with our certificate", x->where);
			if (r->s.dialback == FS_DIALBACK_FALSE ||
			    (r->cert_required && !dialback_ok_without_cert && !dialback_ok_with_cert)) {
				r->s.sasl = FS_LEVEL_REQUIRED;
				r->sasl_conf = FS_CONF_HIGH;
				line(r, "S6: %s: without a certificate nothing but SASL authenticates", x->where);
				if (r->s.dialback != FS_DIALBACK_FALSE) {
					r->s.dialback = FS_DIALBACK_FALSE;
					r->dialback_conf = FS_CONF_MEDIUM;
				}
			} else {
				r->s.sasl = FS_LEVEL_OPTIONAL;
				r->sasl_conf = r->s.dialback == FS_DIALBACK_TRUE ? FS_CONF_HIGH : FS_CONF_MEDIUM;
			}
		} else if (x->db_false_tls && (offered || cert_req)) {
			r->s.sasl = FS_LEVEL_REQUIRED;
			r->sasl_conf = offered ? FS_CONF_HIGH : FS_CONF_MEDIUM;
			line(r, "S6: %s refuses dialback over TLS and %s: only SASL EXTERNAL can authenticate", x->where,
			    offered ? "offers SASL EXTERNAL" : "asks for a client certificate");
		} else if (x->tlsc != NULL && x->tlsc->tls.ok && !cert_req && !x->tlsc->tls.hidden) {
			r->s.sasl = FS_LEVEL_NOTSUPPORTED;
			r->sasl_conf = FS_CONF_HIGH;
			line(r, "S1: %s sent no CertificateRequest in the TLS handshake: SASL EXTERNAL cannot happen", x->where);
		} else if (x->have_cert && x->post != NULL && x->post->features && !offered && x->tlsc->client_cert &&
		    x->tlsc->tls.cert_sent) {
			r->s.sasl = FS_LEVEL_NOTSUPPORTED;
			r->sasl_conf = FS_CONF_MEDIUM;
			line(r, "S2: %s does not offer SASL EXTERNAL after TLS although we presented our certificate", x->where);
		} else if (sc != NULL && sc->sasl.result == FS_SASL_FAILURE) {
			r->s.sasl = r->s.dialback == FS_DIALBACK_FALSE ? FS_LEVEL_REQUIRED : FS_LEVEL_OPTIONAL;
			r->sasl_conf = FS_CONF_MEDIUM;
			line(r, "S4: %s offers SASL EXTERNAL but refused our certificate: <%s/> %s", x->where,
			    sc->sasl.condition, sc->sasl.text);
			problem(r, FS_P_SASL_FAILED, "%s: SASL EXTERNAL failed with our certificate: <%s/> %s", x->where, sc->sasl.condition,
			    sc->sasl.text);
		} else if (offered && !x->have_cert) {
			r->s.sasl = r->s.dialback == FS_DIALBACK_FALSE ? FS_LEVEL_REQUIRED : FS_LEVEL_OPTIONAL;
			r->sasl_conf = FS_CONF_MEDIUM;
			line(r, "S4: %s offers SASL EXTERNAL after TLS to a peer without a certificate (success unproven; "
			    "rerun with --client-cert to prove it)", x->where);
		} else if (r->cert_required) {
			FS_EV_SET(r->sasl_unknown, "the partner requires a certificate valid for our domain before it "
			    "shows its features; rerun with --client-cert");
		} else if (!x->have_cert && cert_req && !(x->tlsc != NULL && x->tlsc->post_hidden) && r->broke[0] == '\0') {
			FS_EV_SET(r->sasl_unknown, "the partner asks for a client certificate but hides SASL EXTERNAL from "
			    "peers without a valid one (Prosody, Openfire do); rerun with --client-cert and --from");
			line(r, "S5: %s requests a client certificate; EXTERNAL not offered to a peer without one", x->where);
		} else {
			FS_EV_SET(r->sasl_unknown, x->tlsc == NULL || !x->tlsc->tls.ok ? "TLS was not negotiated" :
			    x->tlsc->post_hidden ? "SASL happens after TLS, and the capture shows that part encrypted" :
			    "no features were received after TLS");
		}
	}
}

/* Whether the endpoint spoke XMPP at all; if not, why, for every field. */
static bool
endpoint_reached(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	const struct fs_conn_ev *c;
	unsigned i, nattempted = 0, nlocal = 0;

	for (i = 0; i < FS_CONN_KIND_LAST; i++) {
		c = &x->ep->conns[i];
		if (!c->attempted)
			continue;
		nattempted++;
		nlocal += c->local_unreachable;
		if (c->connected)
			r->connected = true;
		if (spoke_xmpp(c))
			r->reachable = true;
		else if (c->connected && (c->pre.header || c->post.header || c->xml_error))
			r->xmpp_error = true;
		if (c->tls.injected_bytes > 0)
			problem(r, FS_P_INJECTED, "%s: %ld bytes after <proceed/> before the TLS handshake (discarded, never "
			    "parsed)", x->where, c->tls.injected_bytes);
	}
	if (r->reachable)
		return true;
	c = x->c1->attempted ? x->c1 : (x->c3->attempted ? x->c3 : x->c2);
	/* No route from here to the address's family: a fact about the auditing host (fedscan(1), IPv6). */
	r->local_unreachable = nattempted > 0 && nlocal == nattempted;
	if (r->local_unreachable)
		snprintf(r->error, sizeof(r->error), "%s: %s", x->where, c->connect_error);
	else if (!r->connected)
		snprintf(r->error, sizeof(r->error), "%s: cannot connect: %s", x->where,
		    c->connect_error[0] ? c->connect_error : c->close_reason);
	else
		snprintf(r->error, sizeof(r->error), "%s: no XMPP server-to-server stream: %s", x->where,
		    c->close_reason[0] ? c->close_reason : "no stream header");
	FS_EV_SET(r->tls_unknown, r->error);
	FS_EV_SET(r->sasl_unknown, r->error);
	FS_EV_SET(r->dialback_unknown, r->error);
	return false;
}

/* Which connections the sections read: the first stream's features, the TLS connection, the dialback answers. */
static void
gather(struct ep_ctx *x)
{
	const struct fs_conn_ev *c;
	unsigned i;

	if (x->c1->attempted && x->c1->pre.header)
		x->pre = &x->c1->pre;
	else if (x->c2->attempted && x->c2->pre.header)
		x->pre = &x->c2->pre;
	if (x->c1->attempted && (x->c1->tls.attempted || x->c1->starttls != FS_STARTTLS_NOT_TRIED))
		x->tlsc = x->c1;
	else if (x->c3->attempted && x->c3->tls.attempted)
		x->tlsc = x->c3;
	if (x->tlsc != NULL && x->tlsc->tls.ok && x->tlsc->post.header)
		x->post = &x->tlsc->post;
	for (i = 0; i < FS_CONN_KIND_LAST; i++) {
		c = &x->ep->conns[i];
		if (c->pre.dialback || c->post.dialback || c->post_sasl.dialback)
			x->any_feature_db = true;
		if (c->pre.db_ns || c->post.db_ns)
			x->any_db_ns = true;
		if (c->tls.ok)
			x->r->tls_used = true;
		if (c->dialback.result != FS_DB_NOT_SENT)
			x->dbs[x->ndb++] = c;
	}
}

void
fs_infer_endpoint(const struct fs_domain_ev *d, unsigned epi, long long now, int warn_days, struct fs_inference *r)
{
	struct ep_ctx x;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	x.d = d;
	x.ep = &d->endpoints[epi];
	x.c1 = &x.ep->conns[FS_CONN_STARTTLS];
	x.c2 = &x.ep->conns[FS_CONN_PLAIN];
	x.c3 = &x.ep->conns[FS_CONN_DIRECT_TLS];
	x.have_cert = d->params.have_client_cert;
	x.r = r;
	snprintf(x.where, sizeof(x.where), "[%s]:%d", x.ep->address, x.ep->port);
	fs_infer_dane(d, x.ep, x.where, r);
	if (!endpoint_reached(&x))
		return;
	gather(&x);
	if (x.tlsc != NULL)
		cert_checks(d, x.where, &x.tlsc->tls, now, warn_days, r);
	/* The order matters: SASL reads the TLS and Dialback results, Dialback reads S7. */
	infer_tls(&x);
	infer_tls_failed(&x);
	stream_problems(&x);
	infer_cert_required(&x);
	dialback_lines(&x);
	infer_proof_lines(&x);
	infer_dialback(&x);
	infer_what_broke(&x);
	infer_sasl(&x);
	if (r->s.tls == FS_LEVEL_UNKNOWN && r->tls_unknown[0] == '\0')
		FS_EV_SET(r->tls_unknown, "the evidence does not decide");
	infer_broke_unknowns(r);
	infer_calibrate(&x);
	/* Normalisation (doc/inference-rules.md#normalisation): a partner is never (SASL Required, Dialback True). */
	if (r->s.sasl == FS_LEVEL_REQUIRED && r->s.dialback == FS_DIALBACK_TRUE)
		r->s.sasl = FS_LEVEL_OPTIONAL;
}

void
infer_line(struct fs_inference *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nlines >= FS_INFER_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->lines[r->nlines++], FS_EV_TEXT, fmt, ap);
	va_end(ap);
}

static int
level_rank(enum fs_level l)
{
	switch (l) {
	case FS_LEVEL_REQUIRED: return 3;
	case FS_LEVEL_OPTIONAL: return 2;
	case FS_LEVEL_NOTSUPPORTED: return 1;
	default: return 0;
	}
}

static void
merge_level(enum fs_level *dst, enum fs_conf *dconf, enum fs_level src, enum fs_conf sconf, bool *differ)
{
	if (src == FS_LEVEL_UNKNOWN)
		return;
	if (*dst != FS_LEVEL_UNKNOWN && *dst != src)
		*differ = true;
	if (level_rank(src) > level_rank(*dst)) {
		*dst = src;
		*dconf = sconf;
	} else if (src == *dst && sconf < *dconf) {
		*dconf = sconf;
	}
}

void
fs_infer_domain(const struct fs_domain_ev *d, long long now, struct fs_inference *r)
{
	struct fs_inference *eps = d->nendpoints > 0 ? calloc(d->nendpoints, sizeof(*eps)) : NULL;
	unsigned i;

	if (d->nendpoints > 0 && eps == NULL) {
		memset(r, 0, sizeof(*r));
		FS_EV_SET(r->error, "out of memory");
		return;
	}
	for (i = 0; i < d->nendpoints; i++)
		fs_infer_endpoint(d, i, now, FS_DEFAULT_EXPIRY_WARN_DAYS, &eps[i]);
	fs_infer_domain_from(d, eps, r);
	free(eps);
}

void
fs_infer_domain_from(const struct fs_domain_ev *d, const struct fs_inference *eps, struct fs_inference *r)
{
	const struct fs_inference *ep;
	unsigned i, k, nreach = 0, nbroke = 0;
	bool dt = false, ds = false, dd = false;
	char names[FS_EV_LONG] = "", word[FS_EV_TEXT];
	unsigned nlocal = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < d->nendpoints; i++) {
		const struct fs_inference e = eps[i];
		for (k = 0; k < e.nproblems; k++)
			problem(r, e.problem_codes[k], "%s", e.problems[k]);
		r->connected |= e.connected;
		r->xmpp_error |= e.xmpp_error;
		if (!e.reachable) {
			/* An endpoint this host cannot reach explains nothing while another one may. */
			nlocal += e.local_unreachable;
			if (r->error[0] == '\0' && !e.local_unreachable)
				FS_EV_SET(r->error, e.error);
			continue;
		}
		nreach++;
		r->reachable = true;
		for (k = 0; k < e.nproofs && r->nproofs < FS_CONN_KIND_LAST; k++) {
			r->proof_ms[r->nproofs] = e.proof_ms[k];
			memcpy(r->proofs[r->nproofs++], e.proofs[k], sizeof(r->proofs[0]));
		}
		if (e.broke[0] != '\0' && nbroke++ == 0)
			memcpy(r->broke, e.broke, sizeof(r->broke));
		r->from_refused |= e.from_refused;
		if (r->refusal[0] == '\0')
			memcpy(r->refusal, e.refusal, sizeof(r->refusal));
		if (r->listen_hint[0] == '\0')
			memcpy(r->listen_hint, e.listen_hint, sizeof(r->listen_hint));
		r->cert_required |= e.cert_required;
		r->tls_failed |= e.tls_failed;
		r->tls_used |= e.tls_used;
		r->cert_problem |= e.cert_problem;
		for (k = 0; k < e.nlines; k++)
			line(r, "%s", e.lines[k]);
		if (nreach == 1) {
			r->s = e.s;
			r->tls_conf = e.tls_conf;
			r->sasl_conf = e.sasl_conf;
			r->dialback_conf = e.dialback_conf;
			memcpy(r->tls_unknown, e.tls_unknown, sizeof(r->tls_unknown));
			memcpy(r->sasl_unknown, e.sasl_unknown, sizeof(r->sasl_unknown));
			memcpy(r->dialback_unknown, e.dialback_unknown, sizeof(r->dialback_unknown));
		} else {
			/* doc/inference-rules.md#aggregation: the strictest per field, so the configuration works with
			 * whichever endpoint answers. */
			merge_level(&r->s.tls, &r->tls_conf, e.s.tls, e.tls_conf, &dt);
			merge_level(&r->s.sasl, &r->sasl_conf, e.s.sasl, e.sasl_conf, &ds);
			if (e.s.dialback != FS_DIALBACK_UNKNOWN) {
				if (r->s.dialback != FS_DIALBACK_UNKNOWN && r->s.dialback != e.s.dialback)
					dd = true;
				if (r->s.dialback != FS_DIALBACK_FALSE) {
					r->s.dialback = e.s.dialback;
					r->dialback_conf = e.dialback_conf;
				}
			}
		}
		/* Name each endpoint with what it said, so the one that differs can be found. */
		snprintf(word, sizeof(word), "[%s]:%d %s/%s/%s", d->endpoints[i].address, d->endpoints[i].port,
		    fs_level_name(e.s.tls), fs_level_name(e.s.sasl), fs_dialback_name(e.s.dialback));
		if (names[0] != '\0')
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, word, sizeof(names) - strlen(names) - 1);
	}
	/* doc/inference-rules.md#what-broke: the domain broke when every reachable endpoint did; one alone is a problem. */
	if (nbroke > 0 && nbroke < nreach) {
		problem(r, FS_P_BROKE, "%s", r->broke);
		r->broke[0] = '\0';
	}
	if (dt || ds || dd)
		problem(r, FS_P_DISAGREE, "the endpoints disagree on %s%s%s%s%s (%s); the strictest setting is shown",
		    dt ? "TLS" : "", dt && (ds || dd) ? ", " : "", ds ? "SASL" : "", ds && dd ? ", " : "",
		    dd ? "Dialback" : "", names);
	for (i = 0; i < d->nendpoints; i++) {
		ep = &eps[i];
		if (!ep->reachable && nreach > 0 && !ep->local_unreachable)
			problem(r, FS_P_ENDPOINT_DOWN, "endpoint %s (%s) did not answer as an XMPP server: %s",
			    d->endpoints[i].address, d->endpoints[i].host, ep->error);
	}
	if (d->nendpoints == 0) {
		if (d->dns.srv_dot)
			FS_EV_SET(r->error, "_xmpp-server._tcp has the target \".\": the domain offers no federation");
		else if (d->dns.error[0] != '\0')
			snprintf(r->error, sizeof(r->error), "DNS: %s", d->dns.error);
		else
			FS_EV_SET(r->error, "no endpoint found");
		/* The resolver itself failed: the scan could not be done, which says nothing about the partner. */
		r->dns_failed = d->dns.failed;
	}
	if (!r->reachable && d->nendpoints > 0 && nlocal == d->nendpoints) {
		/* Every endpoint is out of this host's reach: the audit could not be done here (an error). */
		r->local_unreachable = true;
		snprintf(r->error, sizeof(r->error), "the audit cannot be done from this host: no endpoint is within its "
		    "reach (%s)", eps[0].error);
	} else if (!r->reachable && r->error[0] == '\0' && nlocal > 0) {
		FS_EV_SET(r->error, eps[0].error);
	}
	if (!r->reachable) {
		FS_EV_SET(r->tls_unknown, r->error);
		FS_EV_SET(r->sasl_unknown, r->error);
		FS_EV_SET(r->dialback_unknown, r->error);
	}
}
