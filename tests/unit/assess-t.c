/*
 * assess-t.c: fs_assess() on evidence built by hand the way the probes record it: one assessment per partner,
 * the verdict worst over the endpoints, an interrupted audit, the passive reason, the expectation of a policy file,
 * and the JSON writer and reader agreeing with each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/assess.h"
#include "fedscan/policyfile.h"
#include "fedscan/report.h"
#include "tap/basic.h"

#define NOW 1780000000LL

static struct fs_domain_ev D;

static struct fs_endpoint_ev *
endpoint(const char *address)
{
	struct fs_endpoint_ev *ep = fs_domain_ev_add_endpoint(&D);

	FS_EV_SET(ep->host, "xmpp.partner.test");
	FS_EV_SET(ep->address, address);
	ep->port = 5269;
	ep->source = FS_SRC_SRV;
	return ep;
}

/* A stream header with version 1.0 and its features. */
static void
header(struct fs_stream_ev *s, bool starttls, bool required)
{
	s->header = s->version1 = s->features = true;
	FS_EV_SET(s->version, "1.0");
	s->starttls = starttls;
	s->starttls_required = required;
	s->db_ns = true;
}

/* No STARTTLS; plain dialback verified: TLS NotSupported, SASL NotSupported, Dialback True (T1, S0, D1). */
static void
plain_only(struct fs_endpoint_ev *ep)
{
	struct fs_conn_ev *c = &ep->conns[FS_CONN_PLAIN];

	c->kind = FS_CONN_PLAIN;
	c->attempted = c->connected = true;
	header(&c->pre, false, false);
	c->dialback.result = FS_DB_VALID;
}

/* STARTTLS required, no CertificateRequest, dialback over TLS verified: Required, NotSupported, True (T3, S1, D1). */
static void
tls_required(struct fs_endpoint_ev *ep)
{
	struct fs_conn_ev *c = &ep->conns[FS_CONN_STARTTLS];

	c->kind = FS_CONN_STARTTLS;
	c->attempted = c->connected = true;
	header(&c->pre, true, true);
	c->starttls = FS_STARTTLS_PROCEED;
	c->tls.attempted = c->tls.ok = c->tls.chain_ok = c->tls.name_ok = true;
	FS_EV_SET(c->tls.version, "TLSv1.3");
	c->tls.cert.present = true;
	c->tls.cert.not_after_epoch = NOW + 90 * 86400LL;
	header(&c->post, false, false);
	c->post.dialback = true;
	c->dialback.result = FS_DB_VALID;
	c->dialback.over_tls = true;
}

static void
reset(void)
{
	fs_domain_ev_clear(&D);
	memset(&D, 0, sizeof(D));
	FS_EV_SET(D.domain, "partner.test");
	FS_EV_SET(D.params.from, "scanner.test");
	D.dns.srv_found = true;
}

static bool
has_reason(const struct fs_assessment *a, enum fs_reason_code code, const char *words)
{
	unsigned i;

	for (i = 0; i < a->nreasons; i++)
		if (a->reasons[i].code == code && (words == NULL || strstr(a->reasons[i].text, words) != NULL))
			return true;
	return false;
}

static void
dump(const struct fs_assessment *a)
{
	unsigned i;

	diag("verdict %s", fs_verdict_name(a->verdict));
	for (i = 0; i < a->nreasons; i++)
		diag("reason %d: %s", a->reasons[i].code, a->reasons[i].text);
}

/* The local policy accepts only TLS Dialback: one endpoint alone (plain only) cannot federate with it. */
static void
test_worst_endpoint(void)
{
	const struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE };
	struct fs_assessment a;

	reset();
	tls_required(endpoint("192.0.2.10"));
	plain_only(endpoint("192.0.2.11"));
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "disagreeing endpoints: assessed");
	dump(&a);
	is_string("Required", fs_level_name(a.endpoints[0].eff.s.tls), "endpoint 1: TLS Required");
	is_string("NotSupported", fs_level_name(a.endpoints[1].eff.s.tls), "endpoint 2: TLS NotSupported");
	is_string("TLS Dialback", a.negotiated ? fs_method_name(a.negotiated) : "none",
	    "the strictest setting negotiates TLS Dialback");
	is_string("incompatible", fs_verdict_name(a.verdict), "the verdict is the worst over the endpoints");
	ok(has_reason(&a, FS_R_ENDPOINT_WORSE, "endpoint [192.0.2.11]:5269 alone is incompatible"),
	    "a reason names the endpoint that cannot federate");
	ok(has_reason(&a, FS_R_PROBLEM, "disagree"), "and the disagreement is still a reason");
	is_int(2, fs_verdict_exit_status(a.verdict), "exit status 2");
	fs_assessment_clear(&a);

	/* The same endpoints agreeing: no endpoint reason. */
	reset();
	tls_required(endpoint("192.0.2.10"));
	tls_required(endpoint("192.0.2.11"));
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "agreeing endpoints: assessed");
	is_string("compatible", fs_verdict_name(a.verdict), "agreeing endpoints: compatible");
	ok(!has_reason(&a, FS_R_ENDPOINT_WORSE, NULL), "agreeing endpoints: no endpoint reason");
	fs_assessment_clear(&a);
}

static void
test_interrupted_and_passive(void)
{
	const struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE };
	struct fs_assessment a;
	struct fs_endpoint_ev *ep;

	reset();
	tls_required(endpoint("192.0.2.10"));
	D.interrupted = true;
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "interrupted: assessed");
	is_string("error", fs_verdict_name(a.verdict), "interrupted: error");
	ok(a.nreasons > 0 && a.reasons[0].code == FS_R_INTERRUPTED, "interrupted: the first reason says so");
	is_int(3, fs_verdict_exit_status(a.verdict), "interrupted: exit status 3");
	fs_assessment_clear(&a);

	reset();
	ep = endpoint("192.0.2.10");
	tls_required(ep);
	ep->source = FS_SRC_PASSIVE;
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "passive: assessed");
	ok(has_reason(&a, FS_R_PASSIVE, "from a capture"), "passive: the reason says the evidence is a capture's");
	fs_assessment_clear(&a);
}

static void
test_expectation(void)
{
	const struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE };
	struct fs_policyfile *pf = NULL;
	struct fs_assessment a;
	char err[512];

	reset();
	tls_required(endpoint("192.0.2.10"));
	ok(fs_policyfile_parse("t.conf", "[partner partner.test]\ntls = optional\n", &pf, err, sizeof(err)) == 0,
	    "expectation: the policy parses");
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, pf, &a) == 0, "expectation: assessed");
	is_string("degraded", fs_verdict_name(a.verdict), "a contradicted expectation makes a compatible partner degraded");
	ok(has_reason(&a, FS_R_EXPECT_MISMATCH, "expected TLS Optional (t.conf:2) but the partner's is Required"),
	    "the reason names the field, the line and both values");
	is_int(FS_EXPECT_MISMATCH, a.expected.matches, "expected.matches is a mismatch");
	fs_assessment_clear(&a);
	fs_policyfile_free(pf);
}

/* What the writer writes, the reader reads back into the same document. */
static void
test_json_round_trip(void)
{
	const struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE };
	struct fs_assessment a, b;
	json_t *j1, *j2;
	char err[256], *s1, *s2;

	reset();
	tls_required(endpoint("192.0.2.10"));
	plain_only(endpoint("2001:db8::11"));
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "round trip: assessed");
	j1 = fs_assessment_to_json(&a);
	ok(fs_assessment_from_json(j1, &b, err, sizeof(err)) == 0, "round trip: read back");
	j2 = fs_assessment_to_json(&b);
	s1 = json_dumps(j1, JSON_PRESERVE_ORDER);
	s2 = json_dumps(j2, JSON_PRESERVE_ORDER);
	ok(s1 != NULL && s2 != NULL && strcmp(s1, s2) == 0, "round trip: the same bytes");
	is_int(a.verdict, b.verdict, "round trip: the same verdict");
	is_int(a.nreasons, b.nreasons, "round trip: the same reasons");
	free(s1);
	free(s2);
	json_decref(j1);
	json_decref(j2);
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);

	j1 = json_pack("{s:s, s:s}", "domain", "x.test", "verdict", "splendid");
	ok(fs_assessment_from_json(j1, &b, err, sizeof(err)) != 0 && strstr(err, "no known verdict") != NULL,
	    "a record with an unknown verdict is refused, saying why");
	json_decref(j1);
}

/* The text fs_report_text_partner() prints for a, in buf. */
static void
text_of(const struct fs_assessment *a, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	buf[0] = '\0';
	if (f == NULL)
		return;
	fs_report_text_partner(f, a, false, 0);
	fclose(f);
}

/*
 * The session proof's time (doc/inference-rules.md#p1, fedscan(1) JSON OUTPUT): a ping sent at 100 on the run's
 * clock, answered on the partner's own stream to our listener at 112: 12 ms, in the evidence, the assessment,
 * the text and the JSON, and read back from the JSON as written.
 */
static void
test_proof_time(void)
{
	const struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE };
	struct fs_endpoint_ev *ep;
	struct fs_conn_ev *c;
	struct fs_assessment a, b;
	json_t *j, *conns;
	char err[256], text[16384];

	reset();
	D.params.authoritative = true;
	ep = endpoint("192.0.2.10");
	tls_required(ep);
	c = &ep->conns[FS_CONN_STARTTLS];
	c->proof.result = FS_PROOF_NO_ANSWER;
	FS_EV_SET(c->proof.method, "TLS Dialback");
	FS_EV_SET(c->proof.id, "fedscan-ping-starttls");
	c->proof.sent_at = 100;
	c->proof.wait_ms = 250;
	/* The answer to another connection's ping (its id) is not this one's. */
	D.outbound.nanswers = 2;
	FS_EV_SET(D.outbound.answers[0].id, "fedscan-ping-plain");
	FS_EV_SET(D.outbound.answers[0].answer, "result");
	D.outbound.answers[0].at = 105;
	FS_EV_SET(D.outbound.answers[1].id, "fedscan-ping-starttls");
	FS_EV_SET(D.outbound.answers[1].answer, "error");
	FS_EV_SET(D.outbound.answers[1].condition, "service-unavailable");
	D.outbound.answers[1].at = 112;
	fs_domain_ev_time_proofs(&D);
	is_int(12, c->proof.answer_ms, "proof time: from the ping's send to the listener's answer, on the run's clock");

	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "proof time: assessed");
	is_int(1, a.endpoints[0].eff.nproofs, "proof time: one proof line");
	is_int(12, a.endpoints[0].eff.proof_ms[0], "proof time: in the typed assessment");
	text_of(&a, text, sizeof(text));
	if (!ok(strstr(text, "    proof: TLS Dialback: ping answered (iq error service-unavailable) in 12 ms\n") != NULL,
	    "proof time: the text line ends with the time"))
		diag("%s", text);
	j = fs_assessment_to_json(&a);
	conns = json_object_get(json_array_get(json_object_get(j, "endpoints"), 0), "connections");
	is_int(12, (long)json_integer_value(json_object_get(json_object_get(json_array_get(conns, 0), "proof"),
	    "answer_ms")), "proof time: JSON connections[].proof.answer_ms");
	ok(fs_assessment_from_json(j, &b, err, sizeof(err)) == 0 && b.endpoints[0].eff.proof_ms[0] == 12,
	    "proof time: read back from the JSON record");
	json_decref(j);
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);

	/* Not answered: no time, no key, the words alone. */
	c->proof.answer_ms = 0;
	D.outbound.nanswers = 0;
	D.params.authoritative = false;
	ok(fs_assess(&D, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &local, NULL, &a) == 0, "proof unanswered: assessed");
	text_of(&a, text, sizeof(text));
	ok(strstr(text, "only --listen sees it)\n") != NULL && strstr(text, " ms\n") == NULL,
	    "proof unanswered: the P3 words without a time");
	j = fs_assessment_to_json(&a);
	conns = json_object_get(json_array_get(json_object_get(j, "endpoints"), 0), "connections");
	ok(json_object_get(json_object_get(json_array_get(conns, 0), "proof"), "answer_ms") == NULL,
	    "proof unanswered: no answer_ms key");
	json_decref(j);
	fs_assessment_clear(&a);
}

int
main(void)
{
	test_worst_endpoint();
	test_interrupted_and_passive();
	test_expectation();
	test_json_round_trip();
	test_proof_time();
	fs_domain_ev_clear(&D);
	return done_testing();
}
