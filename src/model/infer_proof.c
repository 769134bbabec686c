/* infer_proof.c: the inference sections that read how a session ended: the proof (P1-P3), what broke, calibration. */
#include <stdio.h>
#include <string.h>

#include "fedscan/infer.h"
#include "model/infer_int.h"

/* The listener's record of the partner's answer to this connection's ping (--listen), or NULL. */
static const struct fs_proof_answer *
proof_answer(const struct fs_domain_ev *d, const struct fs_proof_ev *p)
{
	unsigned i;

	for (i = 0; d->params.authoritative && i < d->outbound.nanswers && i < FS_CONN_KIND_LAST; i++)
		if (strcmp(d->outbound.answers[i].id, p->id) == 0)
			return &d->outbound.answers[i];
	return NULL;
}

/*
 * The session proof, per connection that authenticated (doc/inference-rules.md#p1: P1-P3, XEP-0199): an answer
 * proves the method carries stanzas; a stream error or a close after the ping proves the partner refuses us
 * after all; in sink mode nothing on our stream is only the negative half.
 */
void
infer_proof_lines(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	const struct fs_conn_ev *c;
	const struct fs_proof_answer *a;
	char w[FS_EV_TEXT], b[FS_EV_TEXT];
	unsigned i;

	for (i = 0; i < FS_CONN_KIND_LAST; i++) {
		c = &x->ep->conns[i];
		if (!c->attempted || c->proof.result == FS_PROOF_NOT_SENT)
			continue;
		snprintf(w, sizeof(w), "%s (%s)", x->where, fs_conn_kind_name(c->kind));
		a = proof_answer(x->d, &c->proof);
		if (c->proof.result == FS_PROOF_ANSWERED || a != NULL) {
			const char *ans = a != NULL ? a->answer : c->proof.answer, *cond = a != NULL ? a->condition :
			    c->proof.condition;
			snprintf(b, sizeof(b), "%s: ping answered (iq %s%s%s)", c->proof.method, ans, cond[0] ? " " : "", cond);
			infer_line(r, "P1: %s: %s: a stanza crossed", w, b);
		} else if (c->proof.result == FS_PROOF_REFUSED || c->proof.result == FS_PROOF_CLOSED) {
			if (c->proof.result == FS_PROOF_REFUSED)
				snprintf(b, sizeof(b), "%s: ping refused (stream error <%s/>%s%s)", c->proof.method,
				    c->proof.condition, c->proof.text[0] ? " " : "", c->proof.text);
			else
				snprintf(b, sizeof(b), "%s: ping refused (the partner closed the stream)", c->proof.method);
			infer_line(r, "P2: %s: authenticated, then %s", w, b);
			r->from_refused = true;
			if (r->refusal[0] == '\0')
				snprintf(r->refusal, sizeof(r->refusal), "the partner refuses %s by policy (%s)",
				    x->d->params.from, b);
		} else {
			/* The wait is in the evidence (proof.wait_ms); the words stay the same from run to run. */
			snprintf(b, sizeof(b), "%s: ping sent, not refused on our stream within the grace (its answer "
			    "goes to %s: only --listen sees it)", c->proof.method, x->d->params.from);
			infer_line(r, "P3: %s: %s", w, b);
		}
		if (r->nproofs < FS_CONN_KIND_LAST) {
			/* The time stays out of the words: they read the same from run to run (P1). */
			r->proof_ms[r->nproofs] = c->proof.result == FS_PROOF_ANSWERED || a != NULL ? c->proof.answer_ms : 0;
			FS_EV_SET(r->proofs[r->nproofs++], b);
		}
	}
}

/* The words for a probe step that broke ("header/post-tls" -> "no stream header after the TLS handshake"). */
static const char *
break_words(const char *at)
{
	static const struct { const char *at, *words; } w[] = {
		{ "connecting/", "the connection did not complete" },
		{ "tls-first/", "the TLS handshake did not finish" },
		{ "tls/", "the TLS handshake did not finish" },
		{ "starttls/", "no answer to <starttls/>" },
		{ "sasl/", "no answer to SASL EXTERNAL" },
		{ "header/pre-tls", "no stream header" },
		{ "header/post-tls", "no stream header after the TLS handshake" },
		{ "header/post-sasl", "no stream header after SASL <success/>" },
		{ "features/pre-tls", "no stream features" },
		{ "features/post-tls", "no stream features after the TLS handshake" },
		{ "features/post-sasl", "no stream features after SASL <success/>" },
	};
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strncmp(at, w[i].at, strlen(w[i].at)) == 0)
			return w[i].words;
	return at;
}

/*
 * What broke first (doc/inference-rules.md#what-broke): no connection got an answer to an authentication and one
 * ended in silence, bad XML or a reset. The finding is that break, with its stage and time, not a setting guessed
 * from what came before it. S7 (a close right after TLS) and D6 explain their ends themselves.
 */
void
infer_what_broke(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	const struct fs_conn_ev *c, *first = NULL;
	unsigned i;

	if (r->cert_required || r->from_refused)
		return;
	for (i = 0; i < FS_CONN_KIND_LAST; i++) {
		c = &x->ep->conns[i];
		if (!c->attempted)
			continue;
		if (c->dialback.result != FS_DB_NOT_SENT || c->proof.result != FS_PROOF_NOT_SENT ||
		    c->sasl.result == FS_SASL_SUCCESS ||
		    c->sasl.result == FS_SASL_FAILURE)
			return;
		if (first == NULL && c->broke_at[0] != '\0')
			first = c;
	}
	if (first == NULL)
		return;
	if (first->xml_error)
		snprintf(r->broke, sizeof(r->broke), "%s (%s): %s: invalid XML (%s)", x->where,
		    fs_conn_kind_name(first->kind), break_words(first->broke_at), first->close_reason);
	else if (first->timed_out)
		snprintf(r->broke, sizeof(r->broke), "%s (%s): %s: silent until our timeout, %ld.%ld s after connecting",
		    x->where, fs_conn_kind_name(first->kind), break_words(first->broke_at), first->duration_ms / 1000,
		    first->duration_ms % 1000 / 100);
	else
		snprintf(r->broke, sizeof(r->broke), "%s (%s): %s: the peer closed the connection (%s)", x->where,
		    fs_conn_kind_name(first->kind), break_words(first->broke_at), first->close_reason);
}

/*
 * Calibration (doc/inference-rules.md#confidence, fedscan(1) INFERENCE): in sink mode a setting decided by an
 * advertisement alone, or by a dialback accepted for verification but never finished, is at most medium; the
 * reasons then end with what --listen would prove. --listen and captures are not sink mode.
 */
void
infer_calibrate(struct ep_ctx *x)
{
	struct fs_inference *r = x->r;
	char what[FS_EV_TEXT] = "";
	unsigned i;
	bool unproven = false;

	if (x->d->params.authoritative || x->ep->source == FS_SRC_PASSIVE)
		return;
	if (x->tls_by_ad && r->tls_conf > FS_CONF_MEDIUM) {
		r->tls_conf = FS_CONF_MEDIUM;
		if (r->s.sasl == FS_LEVEL_NOTSUPPORTED && r->s.tls == FS_LEVEL_NOTSUPPORTED && r->sasl_conf > FS_CONF_MEDIUM)
			r->sasl_conf = FS_CONF_MEDIUM;  /* S0 follows from T1 */
		FS_EV_APPEND(what, "TLS (plain dialback answered, not only the features read),");
	}
	if (x->tls_pend)
		FS_EV_APPEND(what, "TLS (dialback without TLS verified, not only begun),");
	if (x->db_pend && !x->db_true) {
		if (r->dialback_conf > FS_CONF_MEDIUM)
			r->dialback_conf = FS_CONF_MEDIUM;
		FS_EV_APPEND(what, "Dialback (the verification that sink mode leaves unanswered),");
	}
	for (i = 0; i < FS_CONN_KIND_LAST; i++)
		if (x->ep->conns[i].attempted && x->ep->conns[i].proof.result == FS_PROOF_NO_ANSWER)
			unproven = true;
	if (unproven)
		FS_EV_APPEND(what, "the answers to the session-proof pings,");
	if (what[0] == '\0')
		return;
	what[strlen(what) - 1] = '\0';
	snprintf(r->listen_hint, sizeof(r->listen_hint), "sink mode: --listen would prove %s", what);
}

/* Unknown fields say the partner broke first instead of guessing why they are unknown. */
void
infer_broke_unknowns(struct fs_inference *r)
{
	static const char why[] = "not seen: the partner broke before it showed it (see what broke first)";

	if (r->broke[0] == '\0')
		return;
	if (r->s.tls == FS_LEVEL_UNKNOWN)
		FS_EV_SET(r->tls_unknown, why);
	if (r->s.sasl == FS_LEVEL_UNKNOWN)
		FS_EV_SET(r->sasl_unknown, why);
	if (r->s.dialback == FS_DIALBACK_UNKNOWN)
		FS_EV_SET(r->dialback_unknown, why);
}

