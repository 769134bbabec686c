/* assess.c: fs_assess(): evidence, the local setting and the policy file's entry -> one typed assessment; pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/assess.h"
#include "fedscan/policyfile.h"

void
fs_assess_reason(struct fs_assessment *a, enum fs_reason_code code, enum fs_problem_code problem, const char *text)
{
	struct fs_reason *r;

	if (a->nreasons >= FS_ASSESS_REASONS)
		return;
	r = &a->reasons[a->nreasons++];
	r->code = code;
	r->problem = problem;
	FS_EV_SET(r->text, text);
}

void
fs_assessment_clear(struct fs_assessment *a)
{
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nendpoints && a->endpoints != NULL; i++) {
		free(a->endpoints[i].conns);
		json_decref(a->endpoints[i].record);
	}
	free(a->endpoints);
	a->endpoints = NULL;
	a->nendpoints = 0;
}

/* The TLS facts the text report shows: the first connection, in plan order, with a handshake and not plain. */
static void
tls_facts(const struct fs_endpoint_ev *ep, struct fs_tls_facts *t)
{
	const struct fs_conn_ev *c;
	unsigned k;

	for (k = 0; k < FS_CONN_KIND_LAST; k++) {
		c = &ep->conns[k];
		if (!c->attempted || !c->tls.ok || c->kind == FS_CONN_PLAIN)
			continue;
		t->ok = true;
		t->hidden = c->tls.hidden;
		FS_EV_SET(t->version, c->tls.version);
		FS_EV_SET(t->cipher, c->tls.cipher);
		FS_EV_SET(t->verify_error, c->tls.verify_error);
		t->cert_present = c->tls.cert.present;
		FS_EV_SET(t->subject, c->tls.cert.subject);
		FS_EV_SET(t->not_after, c->tls.cert.not_after);
		t->not_after_epoch = c->tls.cert.not_after_epoch;
		FS_EV_SET(t->sha256, c->tls.cert.sha256);
		t->chain_ok = c->tls.chain_ok;
		t->name_ok = c->tls.name_ok;
		FS_EV_SET(t->spki_sha256, c->tls.cert.spki_sha256);
		return;
	}
}

/* One endpoint: where, its inference (made once, here), its TLS facts and its evidence record. */
static int
assess_endpoint(const struct fs_domain_ev *d, unsigned i, long long now, int warn_days, struct fs_endpoint_assess *e)
{
	const struct fs_endpoint_ev *ep = &d->endpoints[i];
	unsigned k;

	FS_EV_SET(e->host, ep->host);
	e->port = ep->port;
	FS_EV_SET(e->address, ep->address);
	e->source = ep->source;
	e->priority = ep->priority;
	e->weight = ep->weight;
	e->direct_tls = ep->direct_tls;
	e->keys = FS_K_ALL;
	fs_infer_endpoint(d, i, now, warn_days, &e->eff);
	e->reachable = e->eff.reachable;
	FS_EV_SET(e->error, e->eff.error);
	tls_facts(ep, &e->tls);
	e->dane = ep->dane;
	if ((e->conns = calloc(FS_CONN_KIND_LAST, sizeof(*e->conns))) == NULL)
		return -1;
	for (k = 0; k < FS_CONN_KIND_LAST; k++)
		if (ep->conns[k].attempted)
			e->conns[e->nconns++] = ep->conns[k];
	return 0;
}

/* Lync's words: the New-CsXmppAllowedPartner line, or what to find out first (doc/protocol.md#lync). */
void
fs_assess_lync(const struct fs_domain_ev *d, const struct fs_inference *inf, struct fs_lync_words *w)
{
	const struct fs_endpoint_ev *ep = NULL;
	struct fs_lync_advice *a = &w->advice;
	unsigned i;
	size_t n;

	w->present = true;
	if (!inf->reachable) {
		memset(a, 0, sizeof(*a));
		FS_EV_SET(a->note, "No endpoint answered as an XMPP server: nothing to configure until the partner is "
		    "reachable.");
		return;
	}
	/* -ProxyFqdn when the endpoint was not found by SRV: the fallback (the domain itself) or --connect. */
	if (!d->dns.srv_found && !d->dns.srv_tls_found) {
		for (i = 0; i < d->nendpoints && ep == NULL; i++)
			if (d->endpoints[i].source != FS_SRC_SRV && d->endpoints[i].source != FS_SRC_SRV_TLS)
				ep = &d->endpoints[i];
	}
	fs_lync_advise(d->domain, &inf->s, ep != NULL ? ep->host : NULL, ep != NULL ? ep->port : 0, a);
	if (!a->known && inf->s.sasl == FS_LEVEL_UNKNOWN && !d->params.have_client_cert) {
		n = strlen(a->note);
		snprintf(a->note + n, sizeof(a->note) - n, "%sA rerun with --client-cert and --client-key (a certificate "
		    "valid for --from) usually decides SASL.", n > 0 ? " " : "");
	}
}

/* The policy file's expectations against the effective setting; a contradiction is a reason (fedscan.conf(5)). */
void
fs_assess_expectation(const struct fs_policyfile *pf, struct fs_assessment *a)
{
	static const char *const labels[3] = { "TLS", "SASL", "Dialback" };
	const struct fs_pf_partner *pp = pf != NULL ? fs_policyfile_find(pf, a->domain) : NULL;
	struct fs_expectation *x = &a->expected;
	const struct fs_matrix_row *row;
	const char *want[3], *got[3];
	char text[FS_EV_TEXT];
	bool judged;
	unsigned i;

	if (pp == NULL)
		return;
	x->present = true;
	x->want = pp->expect;
	row = fs_policy_row(&pp->expect);
	x->row = row != NULL ? row->row : 0;
	snprintf(x->source, sizeof(x->source), "%s:%d", pf->path, pp->line);
	x->has_description = pp->description != NULL;
	if (pp->description != NULL)
		FS_EV_SET(x->description, pp->description);
	/* An unreachable partner, or a failed audit, has nothing to compare; its verdict already says so. */
	judged = a->verdict != FS_VERDICT_UNREACHABLE && a->verdict != FS_VERDICT_ERROR;
	fs_policyfile_compare(&pp->expect, &a->eff.s, &x->mismatches, &x->unconfirmed);
	want[0] = fs_level_name(pp->expect.tls);
	want[1] = fs_level_name(pp->expect.sasl);
	want[2] = fs_dialback_name(pp->expect.dialback);
	got[0] = fs_level_name(a->eff.s.tls);
	got[1] = fs_level_name(a->eff.s.sasl);
	got[2] = fs_dialback_name(a->eff.s.dialback);
	if (!judged) {
		x->mismatches = x->unconfirmed = 0;
		return;
	}
	for (i = 0; i < 3; i++) {
		if (x->mismatches & (1U << i)) {
			snprintf(text, sizeof(text), "expected %s %s (%s:%d) but the partner's is %s", labels[i], want[i],
			    pf->path, pp->expect_line[i], got[i]);
			fs_assess_reason(a, FS_R_EXPECT_MISMATCH, FS_P_OTHER, text);
		} else if (x->unconfirmed & (1U << i)) {
			snprintf(text, sizeof(text), "expected %s %s (%s:%d); the audit could not confirm it (%s Unknown)",
			    labels[i], want[i], pf->path, pp->expect_line[i], labels[i]);
			fs_assess_reason(a, FS_R_EXPECT_UNCONFIRMED, FS_P_OTHER, text);
		}
	}
	/* Matches: every expectation confirmed; mismatch: one contradicted; undecided: nothing expected, or Unknown. */
	if (pp->expect.tls == 0 && pp->expect.sasl == 0 && pp->expect.dialback == 0)
		x->matches = FS_EXPECT_UNDECIDED;
	else
		x->matches = x->mismatches != 0 ? FS_EXPECT_MISMATCH : x->unconfirmed != 0 ? FS_EXPECT_UNDECIDED :
		    FS_EXPECT_MATCHES;
	if (x->mismatches != 0 && a->verdict == FS_VERDICT_COMPATIBLE)
		a->verdict = FS_VERDICT_DEGRADED;
}

/* The verdict and its reasons: the matrix through fs_policy_verdict(), or an interrupted audit. */
static void
verdict(const struct fs_domain_ev *d, const struct fs_setting *local, struct fs_assessment *a)
{
	struct fs_compat c;
	unsigned i;

	if (d->interrupted) {
		a->verdict = FS_VERDICT_ERROR;
		fs_assess_reason(a, FS_R_INTERRUPTED, FS_P_OTHER, "interrupted before the audit finished");
		return;
	}
	fs_policy_verdict(local, &a->eff, &c);
	a->methods = c.methods;
	a->row = c.row;
	a->negotiated = c.negotiated;
	a->verdict = c.verdict;
	for (i = 0; i < c.nreasons; i++)
		fs_assess_reason(a, c.reason_codes[i], c.reason_problems[i], c.reasons[i]);
	/* Evidence from a capture (fedscan pcap) says so: only what happened is known, nothing was tried. */
	if (d->nendpoints > 0 && d->endpoints[0].source == FS_SRC_PASSIVE)
		fs_assess_reason(a, FS_R_PASSIVE, FS_P_OTHER, "passive: from a capture, only what happened is known");
}

/*
 * The verdict is the worst over the endpoints (fedscan(1), VERDICTS): a configuration for the partner must work
 * with whichever endpoint a connection reaches, and the strictest setting per field can negotiate a method that
 * one endpoint alone does not. Only endpoints whose setting is complete are judged alone: with an Unknown, the
 * domain's reasons already say what is undecided.
 */
static void
endpoint_verdicts(const struct fs_setting *local, struct fs_assessment *a)
{
	const struct fs_endpoint_assess *e;
	struct fs_compat c;
	char text[FS_EV_TEXT];
	unsigned i;

	if (a->verdict >= FS_VERDICT_UNREACHABLE || a->nendpoints < 2)
		return;
	for (i = 0; i < a->nendpoints; i++) {
		e = &a->endpoints[i];
		if (!e->reachable || fs_policy_row(&e->eff.s) == NULL)
			continue;
		fs_policy_compat(local, &e->eff.s, &c);
		if (c.verdict <= a->verdict || c.verdict >= FS_VERDICT_UNREACHABLE)
			continue;
		snprintf(text, sizeof(text), "endpoint [%s]:%d alone is %s: its setting (TLS %s, SASL %s, Dialback %s) "
		    "%s%s with the local policy", e->address, e->port, fs_verdict_name(c.verdict),
		    fs_level_name(e->eff.s.tls), fs_level_name(e->eff.s.sasl), fs_dialback_name(e->eff.s.dialback),
		    c.negotiated != 0 ? "negotiates " : "has no common method",
		    c.negotiated != 0 ? fs_method_name(c.negotiated) : "");
		fs_assess_reason(a, FS_R_ENDPOINT_WORSE, FS_P_OTHER, text);
		a->verdict = c.verdict;
	}
}

int
fs_assess(const struct fs_domain_ev *d, long long now, int warn_days, const struct fs_setting *local,
    const struct fs_policyfile *pf, struct fs_assessment *out)
{
	struct fs_inference *eps = NULL;
	unsigned i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	FS_EV_SET(out->domain, d->domain);
	if (d->domain_ascii[0] != '\0' && strcmp(d->domain_ascii, d->domain) != 0)
		FS_EV_SET(out->domain_ascii, d->domain_ascii);
	out->keys = FS_K_ALL;
	out->dns = d->dns;
	FS_EV_SET(out->from, d->params.from);
	out->duration_ms = d->duration_ms;
	out->client_cert = d->params.have_client_cert;
	if (d->nendpoints > 0) {
		out->endpoints = calloc(d->nendpoints, sizeof(*out->endpoints));
		eps = calloc(d->nendpoints, sizeof(*eps));
		if (out->endpoints == NULL || eps == NULL)
			goto out;
	}
	for (i = 0; i < d->nendpoints; i++) {
		out->nendpoints = i + 1;
		if (assess_endpoint(d, i, now, warn_days, &out->endpoints[i]) != 0)
			goto out;
		eps[i] = out->endpoints[i].eff;
	}
	fs_infer_domain_from(d, eps, &out->eff);
	verdict(d, local, out);
	endpoint_verdicts(local, out);
	if (d->params.authoritative) {
		out->outbound.present = true;
		out->outbound.ev = d->outbound;
	}
	fs_assess_lync(d, &out->eff, &out->lync);
	fs_assess_expectation(pf, out);
	/* The reasons end with what sink mode could not prove (doc/inference-rules.md#confidence). */
	if (out->eff.reachable && out->eff.listen_hint[0] != '\0' && !d->interrupted)
		fs_assess_reason(out, FS_R_LISTEN_HINT, FS_P_OTHER, out->eff.listen_hint);
	rc = 0;
out:
	free(eps);
	if (rc != 0)
		fs_assessment_clear(out);
	return rc;
}

long long
fs_assess_cert_expiry(const struct fs_assessment *a)
{
	long long earliest = 0;
	unsigned i;

	for (i = 0; i < a->nendpoints; i++) {
		const struct fs_tls_facts *t = &a->endpoints[i].tls;

		/* A capture that hid the certificate (TLS 1.3) knows no date: it is not "expires at 0". */
		if (t->ok && !t->hidden && t->cert_present && t->not_after_epoch > 0 &&
		    (earliest == 0 || t->not_after_epoch < earliest))
			earliest = t->not_after_epoch;
	}
	return earliest;
}

unsigned
fs_assess_endpoints_up(const struct fs_assessment *a)
{
	unsigned i, n = 0;

	for (i = 0; i < a->nendpoints; i++)
		n += a->endpoints[i].reachable;
	return n;
}

int
fs_verdict_exit_status(enum fs_verdict v)
{
	switch (v) {
	case FS_VERDICT_COMPATIBLE: return 0;
	case FS_VERDICT_DEGRADED: return 1;
	case FS_VERDICT_INCOMPATIBLE:
	case FS_VERDICT_UNREACHABLE: return 2;
	default: return 3;
	}
}

int
fs_verdict_severity_rank(enum fs_verdict v)
{
	switch (v) {
	case FS_VERDICT_INCOMPATIBLE: return 0;
	case FS_VERDICT_UNREACHABLE: return 1;
	case FS_VERDICT_ERROR: return 2;
	case FS_VERDICT_DEGRADED: return 3;
	case FS_VERDICT_COMPATIBLE: return 4;
	default: return 5;
	}
}

int
fs_verdict_parse(const char *s, enum fs_verdict *out)
{
	enum fs_verdict v;

	for (v = FS_VERDICT_COMPATIBLE; s != NULL && v <= FS_VERDICT_ERROR; v++) {
		if (strcmp(s, fs_verdict_name(v)) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}
