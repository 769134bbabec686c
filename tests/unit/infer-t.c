/*
 * infer-t.c: the inference rules (doc/inference-rules.md) one by one, on evidence
 * built by hand the way the probes record it for real servers (doc/protocol.md#prosody,
 * #ejabberd). The Prosody byte sequences behind the Prosody cases
 * were recorded from Debian 12's prosody 0.12.3 on loopback (see probe-t.c).
 */
#include <stdio.h>
#include <string.h>

#include "fedscan/evidence.h"
#include "fedscan/infer.h"
#include "fedscan/policy.h"
#include "fedscan/settings.h"
#include "tap/basic.h"

#define DOMAIN "partner.example"
#define FROM "fedscan.invalid"
#define ADDR4 "192.0.2.10"
#define ADDR6 "2001:db8::10"

/* 2026-01-01T00:00:00Z: the "now" every expiry check uses. */
static const long long NOW = 1767225600LL;
#define DAY 86400LL

enum feat {
	F_STARTTLS = 1 << 0,
	F_REQUIRED = 1 << 1,
	F_DIALBACK = 1 << 2,
	F_DB_ERRORS = 1 << 3,
	F_BIDI = 1 << 4,
	F_MECHS = 1 << 5,   /* a <mechanisms/> element (its list is the mechs argument) */
};

static void
dom_init(struct fs_domain_ev *d, bool have_cert)
{
	memset(d, 0, sizeof(*d));
	FS_EV_SET(d->domain, DOMAIN);
	FS_EV_SET(d->params.from, have_cert ? "fedscan.example" : FROM);
	d->params.have_client_cert = have_cert;
	d->params.timeout_ms = 20000;
}

static struct fs_endpoint_ev *
ep_new(struct fs_domain_ev *d, const char *addr)
{
	struct fs_endpoint_ev *e = fs_domain_ev_add_endpoint(d);

	if (e == NULL) {
		ok(0, "fs_domain_ev_add_endpoint");
		return NULL;
	}
	FS_EV_SET(e->host, "xmpp." DOMAIN);
	FS_EV_SET(e->address, addr);
	e->port = 5269;
	e->source = FS_SRC_SRV;
	return e;
}

/* A connection the probe made: attempted and TCP-connected. */
static struct fs_conn_ev *
conn(struct fs_endpoint_ev *e, enum fs_conn_kind k, bool client_cert)
{
	struct fs_conn_ev *c = &e->conns[k];

	c->kind = k;
	c->attempted = true;
	c->connected = true;
	c->client_cert = client_cert;
	if (e->nconns <= (unsigned)k)
		e->nconns = (unsigned)k + 1;
	return c;
}

/* A stream header as fs_stream_record_header records it. */
static void
header(struct fs_stream_ev *s, bool v1, bool db_ns)
{
	s->header = true;
	s->version1 = v1;
	if (v1)
		FS_EV_SET(s->version, "1.0");
	s->db_ns = db_ns;
	FS_EV_SET(s->id, "4f1e0c2a-stream-id");
	FS_EV_SET(s->from, DOMAIN);
	FS_EV_SET(s->to, FROM);
}

/* <stream:features/> as fs_stream_record_features records it. */
static void
features(struct fs_stream_ev *s, unsigned f, const char *mechs)
{
	unsigned n = 0;

	s->features = true;
	if (f & F_STARTTLS) {
		s->starttls = true;
		s->starttls_required = (f & F_REQUIRED) != 0;
		n++;
	}
	if (f & F_DIALBACK) {
		s->dialback = true;
		s->dialback_errors = (f & F_DB_ERRORS) != 0;
		n++;
	}
	if (f & F_BIDI) {
		s->bidi = true;
		n++;
	}
	if (f & F_MECHS) {
		s->mechanisms = true;
		FS_EV_SET(s->mechanism_list, mechs != NULL ? mechs : "");
		n++;
	}
	s->only_starttls = s->starttls && n == 1;
}

/* A completed handshake with a good certificate for DOMAIN, as fs_tls_record fills it. */
static void
tls_ok(struct fs_conn_ev *c, bool cert_requested)
{
	struct fs_tls_ev *t = &c->tls;

	if (c->kind != FS_CONN_DIRECT_TLS)
		c->starttls = FS_STARTTLS_PROCEED;
	t->attempted = true;
	t->ok = true;
	FS_EV_SET(t->version, "TLSv1.3");
	FS_EV_SET(t->cipher, "TLS_AES_256_GCM_SHA384");
	t->cert_requested = cert_requested;
	t->cert_sent = cert_requested && c->client_cert;
	t->chain_ok = true;
	t->name_ok = true;
	FS_EV_SET(t->name_match, "DNS-ID");
	t->cert.present = true;
	FS_EV_SET(t->cert.subject, "CN=" DOMAIN);
	FS_EV_SET(t->cert.issuer, "CN=Test CA");
	FS_EV_SET(t->cert.sans, "DNS:" DOMAIN);
	FS_EV_SET(t->cert.not_before, "2025-06-01T00:00:00Z");
	FS_EV_SET(t->cert.not_after, "2027-01-01T00:00:00Z");
	t->cert.not_after_epoch = NOW + 365 * DAY;
	FS_EV_SET(t->cert.key, "RSA 2048");
	t->cert.chain_len = 2;
}

static void
db(struct fs_conn_ev *c, enum fs_db_ev r, const char *cond, const char *text)
{
	c->dialback.result = r;
	c->dialback.over_tls = c->tls.ok;
	FS_EV_SET(c->dialback.condition, cond);
	FS_EV_SET(c->dialback.text, text);
	c->dialback.wait_ms = r == FS_DB_TIMEOUT ? 20000 : 40;
	if (r == FS_DB_STREAM_ERROR) {
		FS_EV_SET(c->stream_error, cond);
		FS_EV_SET(c->stream_error_text, text);
		FS_EV_SET(c->stream_error_stage, "dialback");
		FS_EV_SET(c->close_reason, "stream error");
	} else if (r == FS_DB_TIMEOUT) {
		c->timed_out = true;
		FS_EV_SET(c->close_reason, "timed out");
	} else {
		FS_EV_SET(c->close_reason, "dialback answered");
	}
}

static void
stream_err(struct fs_conn_ev *c, const char *cond, const char *text, const char *stage)
{
	FS_EV_SET(c->stream_error, cond);
	FS_EV_SET(c->stream_error_text, text);
	FS_EV_SET(c->stream_error_stage, stage);
	FS_EV_SET(c->close_reason, "stream error");
}

static void
closed(struct fs_conn_ev *c, const char *why)
{
	FS_EV_SET(c->close_reason, why);
}

/*
 * Calibration (doc/inference-rules.md#confidence): the same evidence with --listen (authoritative) keeps TLS high,
 * and sink mode names --listen in its hint; d is left as it was.
 */
static void
listen_pins_high(const char *n, struct fs_domain_ev *d)
{
	struct fs_inference r;

	fs_infer_domain(d, NOW, &r);
	ok(strstr(r.listen_hint, "sink mode: --listen would prove TLS") == r.listen_hint,
	    "%s: sink mode's hint names TLS for --listen (%s)", n, r.listen_hint);
	d->params.authoritative = true;
	fs_infer_domain(d, NOW, &r);
	d->params.authoritative = false;
	is_string("high", fs_conf_name(r.tls_conf), "%s: with --listen the TLS confidence stays high", n);
	is_string("", r.listen_hint, "%s: with --listen no hint", n);
}

/* ---- assertions ---- */

static bool
has_line(const struct fs_inference *r, const char *prefix)
{
	unsigned i;

	for (i = 0; i < r->nlines; i++)
		if (strncmp(r->lines[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static bool
has_problem(const struct fs_inference *r, const char *sub)
{
	unsigned i;

	for (i = 0; i < r->nproblems; i++)
		if (strstr(r->problems[i], sub) != NULL)
			return true;
	return false;
}

static void
dump(const struct fs_inference *r)
{
	unsigned i;

	diag("  -> %s/%s/%s (conf %s/%s/%s)%s%s%s", fs_level_name(r->s.tls), fs_level_name(r->s.sasl),
	    fs_dialback_name(r->s.dialback), fs_conf_name(r->tls_conf), fs_conf_name(r->sasl_conf),
	    fs_conf_name(r->dialback_conf), r->cert_required ? " cert_required" : "",
	    r->from_refused ? " from_refused" : "", r->tls_failed ? " tls_failed" : "");
	for (i = 0; i < r->nlines; i++)
		diag("  line: %s", r->lines[i]);
	for (i = 0; i < r->nproblems; i++)
		diag("  problem: %s", r->problems[i]);
	if (r->tls_unknown[0])
		diag("  tls_unknown: %s", r->tls_unknown);
	if (r->sasl_unknown[0])
		diag("  sasl_unknown: %s", r->sasl_unknown);
	if (r->dialback_unknown[0])
		diag("  dialback_unknown: %s", r->dialback_unknown);
	if (r->error[0])
		diag("  error: %s", r->error);
}

/*
 * Infer the (single-endpoint) domain; check the normalisation (never SASL
 * Required with Dialback True) and that the domain agrees with its endpoint.
 */
static void
infer(const char *name, const struct fs_domain_ev *d, struct fs_inference *r)
{
	struct fs_inference e;

	diag("%s", name);
	fs_infer_domain(d, NOW, r);
	dump(r);
	ok(!(r->s.sasl == FS_LEVEL_REQUIRED && r->s.dialback == FS_DIALBACK_TRUE),
	    "%s: never (SASL Required, Dialback True) for a partner", name);
	if (d->nendpoints == 1) {
		fs_infer_endpoint(d, 0, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &e);
		ok(e.s.tls == r->s.tls && e.s.sasl == r->s.sasl && e.s.dialback == r->s.dialback,
		    "%s: the domain's setting is its only endpoint's", name);
	}
}

#define SETTING(r, t, s_, d_, name) do { \
	is_string(fs_level_name(t), fs_level_name((r)->s.tls), "%s: TLS %s", name, fs_level_name(t)); \
	is_string(fs_level_name(s_), fs_level_name((r)->s.sasl), "%s: SASL %s", name, fs_level_name(s_)); \
	is_string(fs_dialback_name(d_), fs_dialback_name((r)->s.dialback), "%s: Dialback %s", name, \
	    fs_dialback_name(d_)); \
} while (0)

#define CONF(want, got, what, name) \
	is_string(fs_conf_name(want), fs_conf_name(got), "%s: %s confidence %s", name, what, fs_conf_name(want))

#define LINE(r, prefix, name) ok(has_line((r), prefix), "%s: an evidence line starts with \"%s\"", name, prefix)
#define NOLINE(r, prefix, name) ok(!has_line((r), prefix), "%s: no evidence line starts with \"%s\"", name, prefix)

/* ---- Prosody 0.12 ---- */

/*
 * The C1 connection to a Prosody with s2s_require_encryption (its default) and
 * mod_dialback, no client certificate: <required/> + dialback feature, TLS with a
 * CertificateRequest, post-TLS features = dialback only, db:result over TLS.
 */
static void
prosody_required_c1(struct fs_endpoint_ev *e, enum fs_db_ev r, const char *cond)
{
	struct fs_conn_ev *c1 = conn(e, FS_CONN_STARTTLS, false), *c2 = conn(e, FS_CONN_PLAIN, false);

	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_REQUIRED | F_DIALBACK, NULL);
	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_DIALBACK, NULL);
	db(c1, r, cond, "");
	/* C2 stops at <required/>: no plain db:result (Prosody would stall it). */
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_REQUIRED | F_DIALBACK, NULL);
	closed(c2, "TLS required: plain dialback not attempted");
}

static void
test_prosody_required(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	/* The connect-back to our sink FROM fails: Prosody is silent, then <connection-timeout/>. */
	n = "Prosody required+dialback, connect-back fails (<connection-timeout/>)";
	dom_init(&d, false);
	prosody_required_c1(ep_new(&d, ADDR4), FS_DB_STREAM_ERROR, "connection-timeout");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS" " in sink mode (the features alone)", n);
	listen_pins_high(n, &d);
	CONF(FS_CONF_MEDIUM, r.dialback_conf, "Dialback", n);
	LINE(&r, "T3:", n);
	LINE(&r, "D1:", n);
	LINE(&r, "S5:", n);
	NOLINE(&r, "T9:", n);
	NOLINE(&r, "D2:", n);
	ok(strstr(r.sasl_unknown, "--client-cert") != NULL, "%s: the SASL Unknown reason says to rerun with --client-cert",
	    n);
	ok(r.reachable && r.connected && r.tls_used, "%s: reachable, connected, TLS used", n);
	ok(!r.cert_required && !r.from_refused && !r.cert_problem && !r.tls_failed,
	    "%s: no cert_required/from_refused/cert_problem/tls_failed", n);
	is_int(0, r.nproblems, "%s: no problems", n);
	fs_domain_ev_clear(&d);

	/* Our 20 s wait ends first (Prosody's s2s_timeout is 90 s). */
	n = "Prosody required+dialback, our wait times out";
	dom_init(&d, false);
	prosody_required_c1(ep_new(&d, ADDR4), FS_DB_TIMEOUT, "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_MEDIUM, r.dialback_conf, "Dialback", n);
	fs_domain_ev_clear(&d);

	/* Authoritative mode: the connect-back reaches us and the key is valid. */
	n = "Prosody required+dialback, authoritative FROM (type='valid')";
	dom_init(&d, false);
	d.params.authoritative = true;
	prosody_required_c1(ep_new(&d, ADDR4), FS_DB_VALID, "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback", n);
	LINE(&r, "D1:", n);
	fs_domain_ev_clear(&d);
}

/* Prosody with s2s_require_encryption = false: starttls without <required/>, dialback, plain dialback verified. */
static void
prosody_optional(struct fs_endpoint_ev *e, enum fs_db_ev r, const char *cond)
{
	struct fs_conn_ev *c1 = conn(e, FS_CONN_STARTTLS, false), *c2 = conn(e, FS_CONN_PLAIN, false);

	header(&c2->pre, true, true);
	features(&c2->pre, F_DIALBACK | F_STARTTLS, NULL);
	db(c2, r, cond, "");
	header(&c1->pre, true, true);
	features(&c1->pre, F_DIALBACK | F_STARTTLS, NULL);
	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_DIALBACK, NULL);
	db(c1, r, cond, "");
}

static void
test_prosody_optional(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	n = "Prosody TLS optional, connect-back fails";
	dom_init(&d, false);
	prosody_optional(ep_new(&d, ADDR4), FS_DB_STREAM_ERROR, "connection-timeout");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_OPTIONAL, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS (T7: silence is not proof)", n);
	LINE(&r, "T7:", n);
	LINE(&r, "S5:", n);
	ok(strstr(r.sasl_unknown, "--client-cert") != NULL, "%s: SASL Unknown reason mentions --client-cert", n);
	fs_domain_ev_clear(&d);

	n = "Prosody TLS optional, authoritative FROM (valid on both)";
	dom_init(&d, false);
	d.params.authoritative = true;
	prosody_optional(ep_new(&d, ADDR4), FS_DB_VALID, "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_OPTIONAL, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T6)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D1)", n);
	LINE(&r, "T6:", n);
	LINE(&r, "D1:", n);
	fs_domain_ev_clear(&d);
}

/*
 * Prosody with s2s_secure_auth = true and mod_dialback disabled (recorded):
 * pre-TLS only <starttls><required/>, no xmlns:db; with our valid certificate
 * the post-TLS features are EXTERNAL only and <success/> follows; without it
 * the restarted stream gets <not-authorized/> "Your server's certificate could
 * not be validated".
 */
static void
prosody_secure_pre(struct fs_conn_ev *c, bool dialback)
{
	header(&c->pre, true, dialback);
	features(&c->pre, F_STARTTLS | F_REQUIRED | (dialback ? F_DIALBACK : 0), NULL);
}

static void
prosody_secure_refused(struct fs_conn_ev *c, bool dialback)
{
	prosody_secure_pre(c, dialback);
	tls_ok(c, true);
	header(&c->post, true, dialback);
	stream_err(c, "not-authorized", "Your server's certificate could not be validated", "post-tls");
}

static void
prosody_secure_sasl(struct fs_conn_ev *c, bool dialback)
{
	prosody_secure_pre(c, dialback);
	tls_ok(c, true);
	header(&c->post, true, dialback);
	features(&c->post, F_MECHS | (dialback ? F_DIALBACK : 0), "EXTERNAL");
	c->sasl.result = FS_SASL_SUCCESS;
	c->sasl.tries = 1;
	header(&c->post_sasl, true, dialback);
	features(&c->post_sasl, dialback ? F_DIALBACK : 0, NULL);
	closed(c, "authenticated with SASL EXTERNAL");
}

static void
test_prosody_secure_auth(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c2;
	const char *n;

	n = "Prosody secure_auth, dialback disabled, --client-cert";
	dom_init(&d, true);
	e = ep_new(&d, ADDR4);
	prosody_secure_sasl(conn(e, FS_CONN_STARTTLS, true), false);
	prosody_secure_refused(conn(e, FS_CONN_STARTTLS_NOCERT, false), false);
	c2 = conn(e, FS_CONN_PLAIN, false);
	prosody_secure_pre(c2, false);
	closed(c2, "TLS required: plain dialback not attempted");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_REQUIRED, FS_DIALBACK_FALSE, n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS" " in sink mode (the features alone)", n);
	listen_pins_high(n, &d);
	CONF(FS_CONF_HIGH, r.sasl_conf, "SASL (S3 + S6)", n);
	LINE(&r, "T3:", n);
	LINE(&r, "S7:", n);
	LINE(&r, "S3:", n);
	LINE(&r, "S6:", n);
	ok(r.cert_required, "%s: cert_required (S7)", n);
	ok(!r.from_refused, "%s: not from_refused", n);
	fs_domain_ev_clear(&d);

	n = "Prosody secure_auth, dialback disabled, no --client-cert";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	prosody_secure_refused(conn(e, FS_CONN_STARTTLS, false), false);
	c2 = conn(e, FS_CONN_PLAIN, false);
	prosody_secure_pre(c2, false);
	closed(c2, "TLS required: plain dialback not attempted");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	is_string("Unknown", fs_level_name(r.s.sasl), "%s: SASL Unknown without a certificate (S7)", n);
	ok(strstr(r.sasl_unknown, "--client-cert") != NULL, "%s: the SASL Unknown reason mentions --client-cert", n);
	ok(r.cert_required, "%s: cert_required (S7)", n);
	LINE(&r, "S7:", n);
	ok(r.s.dialback != FS_DIALBACK_TRUE, "%s: Dialback not True (nothing advertises or declares it)", n);
	fs_domain_ev_clear(&d);

	/* Dialback left on: both EXTERNAL and dialback work with a valid certificate (doc/protocol.md#prosody). */
	n = "Prosody secure_auth, dialback enabled, --client-cert";
	dom_init(&d, true);
	e = ep_new(&d, ADDR4);
	prosody_secure_sasl(conn(e, FS_CONN_STARTTLS, true), true);
	prosody_secure_refused(conn(e, FS_CONN_STARTTLS_NOCERT, false), true);
	c2 = conn(e, FS_CONN_PLAIN, false);
	prosody_secure_pre(c2, true);
	closed(c2, "TLS required: plain dialback not attempted");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	ok(r.s.sasl == FS_LEVEL_REQUIRED || r.s.sasl == FS_LEVEL_OPTIONAL, "%s: SASL works (S3)", n);
	ok(r.cert_required, "%s: cert_required (S7)", n);
	LINE(&r, "S3:", n);
	LINE(&r, "S7:", n);
	fs_domain_ev_clear(&d);
}

static void
test_prosody_no_tls(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1, *c2;
	const char *n = "Prosody without mod_tls (features: dialback only)";

	dom_init(&d, false);
	d.params.authoritative = true;
	e = ep_new(&d, ADDR4);
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, true);
	features(&c1->pre, F_DIALBACK, NULL);
	closed(c1, "no STARTTLS offered");
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_DIALBACK, NULL);
	db(c2, FS_DB_VALID, "", "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_NOTSUPPORTED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T1)", n);
	CONF(FS_CONF_HIGH, r.sasl_conf, "SASL", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D1, TCP)", n);
	LINE(&r, "T1:", n);
	LINE(&r, "D1:", n);
	ok(!r.tls_used && !r.tls_failed, "%s: no TLS used, no TLS failure", n);
	fs_domain_ev_clear(&d);
}

/* Prosody 0.12 with mod_dialback disabled (recorded). */
static void
test_prosody_no_dialback(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1, *c2;
	const char *n;

	/*
	 * s2s_require_encryption = false: the only feature is <starttls/> without
	 * <required/> (T4); after TLS, a cert-less peer gets <undefined-condition/>
	 * "No stream features to offer".
	 */
	n = "Prosody no dialback, encryption optional (only <starttls/>)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, false);
	features(&c1->pre, F_STARTTLS, NULL);
	tls_ok(c1, true);
	header(&c1->post, true, false);
	stream_err(c1, "undefined-condition", "No stream features to offer", "post-tls");
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, false);
	features(&c2->pre, F_STARTTLS, NULL);
	closed(c2, "TLS required: plain dialback not attempted");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS (T4)" " in sink mode (the features alone)", n);
	listen_pins_high(n, &d);
	LINE(&r, "T4:", n);
	NOLINE(&r, "T3:", n);
	ok(r.s.dialback != FS_DIALBACK_TRUE, "%s: Dialback not True", n);
	fs_domain_ev_clear(&d);

	/*
	 * With mod_s2s_bidi the plain features are <starttls/> + <bidi/>, so C2 sends
	 * db:result: <unsupported-stanza-type/> at once (D2 over plain, T8).
	 */
	n = "Prosody no dialback + bidi, plain db:result -> <unsupported-stanza-type/>";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, false);
	features(&c2->pre, F_STARTTLS | F_BIDI, NULL);
	db(c2, FS_DB_STREAM_ERROR, "unsupported-stanza-type", "");
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, false);
	features(&c1->pre, F_STARTTLS | F_BIDI, NULL);
	tls_ok(c1, true);
	header(&c1->post, true, false);
	features(&c1->post, F_BIDI, NULL);
	db(c1, FS_DB_STREAM_ERROR, "unsupported-stanza-type", "");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required (T8)", n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS (T8)", n);
	LINE(&r, "T8:", n);
	LINE(&r, "D2:", n);
	is_string("False", fs_dialback_name(r.s.dialback), "%s: Dialback False (D2 over TLS)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D2 over TLS)", n);
	/* S6: dialback refused over TLS and a CertificateRequest seen -> SASL Required, medium. */
	is_string("Required", fs_level_name(r.s.sasl), "%s: SASL Required (S6: refused dialback over TLS + "
	    "CertificateRequest)", n);
	CONF(FS_CONF_MEDIUM, r.sasl_conf, "SASL (S6 without EXTERNAL seen)", n);
	LINE(&r, "S6:", n);
	fs_domain_ev_clear(&d);
}

/* ---- ejabberd ---- */

/* s2s_use_starttls: required: pre-TLS features are only <starttls><required/>; xmlns:db always declared. */
static struct fs_conn_ev *
ejabberd_required_c1(struct fs_endpoint_ev *e)
{
	struct fs_conn_ev *c1 = conn(e, FS_CONN_STARTTLS, false);

	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_REQUIRED, NULL);
	return c1;
}

static void
ejabberd_required(struct fs_endpoint_ev *e, bool plain_db)
{
	struct fs_conn_ev *c1 = ejabberd_required_c1(e), *c2 = conn(e, FS_CONN_PLAIN, false);

	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_MECHS | F_DIALBACK | F_DB_ERRORS, "EXTERNAL");
	db(c1, FS_DB_ERROR, "remote-server-not-found", "DNS lookup failed: non-existing domain");
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_REQUIRED, NULL);
	if (plain_db)
		db(c2, FS_DB_STREAM_ERROR, "policy-violation", "Use of STARTTLS required");
	else
		closed(c2, "TLS required: plain dialback not attempted");
}

static void
test_ejabberd_required(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	n = "ejabberd required";
	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), false);
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS (T3)" " in sink mode (the features alone)", n);
	listen_pins_high(n, &d);
	CONF(FS_CONF_MEDIUM, r.sasl_conf, "SASL (S4: offered, unproven)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D1)", n);
	LINE(&r, "T3:", n);
	LINE(&r, "S4:", n);
	LINE(&r, "D1:", n);
	fs_domain_ev_clear(&d);

	/* Had a plain db:result been sent, ejabberd's "Use of STARTTLS required" says nothing against dialback. */
	n = "ejabberd required, plain db:result -> <policy-violation/>";
	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), true);
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS", n);
	LINE(&r, "T3:", n);
	NOLINE(&r, "D2:", n);
	ok(!r.from_refused, "%s: a TLS policy-violation is not a FROM refusal", n);
	fs_domain_ev_clear(&d);

	/* RFC 6120 §5.3.1: STARTTLS as the only feature, no <required/>. */
	n = "STARTTLS as the only feature, no <required/>";
	dom_init(&d, false);
	{
		struct fs_endpoint_ev *e = ep_new(&d, ADDR4);
		struct fs_conn_ev *c1 = ejabberd_required_c1(e);
		features(&c1->pre, F_STARTTLS, NULL);
		tls_ok(c1, true);
		header(&c1->post, true, true);
		features(&c1->post, F_MECHS | F_DIALBACK | F_DB_ERRORS, "EXTERNAL");
		db(c1, FS_DB_ERROR, "remote-server-not-found", "");
	}
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS (T4)" " in sink mode (the features alone)", n);
	listen_pins_high(n, &d);
	LINE(&r, "T4:", n);
	fs_domain_ev_clear(&d);
}

/* s2s_use_starttls: optional, with mod_s2s_dialback: an empty <mechanisms/> before TLS, EXTERNAL after TLS to all. */
static void
ejabberd_optional(struct fs_endpoint_ev *e, bool have_cert, bool dialback)
{
	struct fs_conn_ev *c1 = conn(e, FS_CONN_STARTTLS, have_cert), *c2 = conn(e, FS_CONN_PLAIN, false);
	unsigned dbf = dialback ? F_DIALBACK | F_DB_ERRORS : 0;

	header(&c2->pre, true, true);
	features(&c2->pre, F_MECHS | F_STARTTLS | dbf, "");
	if (dialback)
		db(c2, FS_DB_ERROR, "remote-server-not-found", "DNS lookup failed: non-existing domain");
	else
		db(c2, FS_DB_STREAM_ERROR, "not-authorized", "");
	header(&c1->pre, true, true);
	features(&c1->pre, F_MECHS | F_STARTTLS | dbf, "");
	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_MECHS | dbf, "EXTERNAL");
	if (have_cert) {
		c1->sasl.result = FS_SASL_FAILURE;
		c1->sasl.tries = 1;
		FS_EV_SET(c1->sasl.condition, "not-authorized");
		FS_EV_SET(c1->sasl.text, "Certificate host name mismatch");
	}
	if (dialback)
		db(c1, FS_DB_ERROR, "remote-server-not-found", "DNS lookup failed: non-existing domain");
	else
		db(c1, FS_DB_STREAM_ERROR, "not-authorized", "");
	if (have_cert) {
		struct fs_conn_ev *c4 = conn(e, FS_CONN_STARTTLS_NOCERT, false);
		*c4 = *c1;
		c4->kind = FS_CONN_STARTTLS_NOCERT;
		c4->client_cert = false;
		c4->tls.cert_sent = false;
		memset(&c4->sasl, 0, sizeof(c4->sasl));
	}
}

static void
test_ejabberd_optional(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	n = "ejabberd optional, EXTERNAL offered to all, remote-server-not-found";
	dom_init(&d, false);
	ejabberd_optional(ep_new(&d, ADDR4), false, true);
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_OPTIONAL, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T6)", n);
	CONF(FS_CONF_MEDIUM, r.sasl_conf, "SASL (S4)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D1)", n);
	LINE(&r, "T6:", n);
	LINE(&r, "S4:", n);
	LINE(&r, "D1:", n);
	ok(!r.from_refused, "%s: remote-server-not-found is about the connect-back, not a FROM refusal", n);
	fs_domain_ev_clear(&d);

	n = "ejabberd optional, --client-cert refused (host name mismatch)";
	dom_init(&d, true);
	ejabberd_optional(ep_new(&d, ADDR4), true, true);
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_OPTIONAL, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	LINE(&r, "S4:", n);
	ok(has_problem(&r, "SASL EXTERNAL failed") && has_problem(&r, "Certificate host name mismatch"),
	    "%s: a problem says EXTERNAL failed and why", n);
	fs_domain_ev_clear(&d);

	/*
	 * Without mod_s2s_dialback: db:result gets <not-authorized/> plain and over
	 * TLS (doc/protocol.md#prosody): effectively TLS Required (T8), Dialback False (D2),
	 * and with EXTERNAL seen, S6 makes SASL Required with high confidence.
	 */
	n = "ejabberd optional without mod_s2s_dialback";
	dom_init(&d, false);
	ejabberd_optional(ep_new(&d, ADDR4), false, false);
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_REQUIRED, FS_DIALBACK_FALSE, n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS (T8)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D2 over TLS)", n);
	LINE(&r, "T8:", n);
	LINE(&r, "D2:", n);
	NOLINE(&r, "S7:", n);
	ok(!r.cert_required, "%s: a dialback-stage <not-authorized/> is not S7", n);
	LINE(&r, "S6:", n);
	CONF(FS_CONF_HIGH, r.sasl_conf, "SASL (S6 with EXTERNAL seen)", n);
	fs_domain_ev_clear(&d);
}

/* ---- Openfire / Tigase: no <required/>, but plain dialback refused (pitfall T5) ---- */

static void
openfire_like(struct fs_endpoint_ev *e, enum fs_db_ev plain_r, const char *cond, const char *text)
{
	struct fs_conn_ev *c1 = conn(e, FS_CONN_STARTTLS, false), *c2 = conn(e, FS_CONN_PLAIN, false);

	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	db(c2, plain_r, cond, text);
	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	tls_ok(c1, true);
	header(&c1->post, true, true);
	/* Openfire: empty <mechanisms/> for an untrusted peer, no dialback feature after TLS, db:result accepted. */
	features(&c1->post, F_MECHS, "");
	db(c1, FS_DB_ERROR, "remote-server-not-found", "No server available for verifying key of remote server");
}

static void
test_t5(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	n = "Openfire-like: no <required/>, plain dialback -> <policy-violation/> stream error";
	dom_init(&d, false);
	openfire_like(ep_new(&d, ADDR4), FS_DB_STREAM_ERROR, "policy-violation",
	    "Server dialback is only allowed after the connection has been encrypted");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T5)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D1 over TLS)", n);
	LINE(&r, "T5:", n);
	NOLINE(&r, "D2:", n);
	NOLINE(&r, "T7:", n);
	ok(strstr(r.sasl_unknown, "--client-cert") != NULL, "%s: SASL Unknown, rerun with --client-cert", n);
	fs_domain_ev_clear(&d);

	n = "Tigase-like: plain dialback -> dialback error <policy-violation/>";
	dom_init(&d, false);
	openfire_like(ep_new(&d, ADDR4), FS_DB_ERROR, "policy-violation", "");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T5)", n);
	LINE(&r, "T5:", n);
	fs_domain_ev_clear(&d);

	n = "plain dialback -> dialback error <not-authorized/>";
	dom_init(&d, false);
	openfire_like(ep_new(&d, ADDR4), FS_DB_ERROR, "not-authorized", "");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	LINE(&r, "T5:", n);
	fs_domain_ev_clear(&d);

	/* Openfire with dialback disabled: "Dialback has been disabled" is D2, not a TLS policy. */
	n = "plain dialback -> <policy-violation/> \"Server dialback has been disabled\"";
	dom_init(&d, false);
	openfire_like(ep_new(&d, ADDR4), FS_DB_STREAM_ERROR, "policy-violation", "Server Dialback has been disabled");
	d.endpoints[0].conns[FS_CONN_STARTTLS].dialback.result = FS_DB_STREAM_ERROR;
	FS_EV_SET(d.endpoints[0].conns[FS_CONN_STARTTLS].dialback.condition, "policy-violation");
	FS_EV_SET(d.endpoints[0].conns[FS_CONN_STARTTLS].dialback.text, "Server Dialback has been disabled");
	infer(n, &d, &r);
	LINE(&r, "D2:", n);
	NOLINE(&r, "T5:", n);
	is_string("False", fs_dialback_name(r.s.dialback), "%s: Dialback False", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D2 over TLS)", n);
	fs_domain_ev_clear(&d);

	/* RFC 3920 servers report a failed connect-back as a <remote-connection-failed/> stream error. */
	n = "plain dialback -> <remote-connection-failed/> stream error (RFC 3920 style)";
	dom_init(&d, false);
	openfire_like(ep_new(&d, ADDR4), FS_DB_STREAM_ERROR, "remote-connection-failed", "");
	infer(n, &d, &r);
	is_string("Optional", fs_level_name(r.s.tls), "%s: TLS Optional (T6)", n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T6)", n);
	LINE(&r, "T6:", n);
	fs_domain_ev_clear(&d);
}

/* ---- pre-1.0, S1, T9 ---- */

static void
test_pre10(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1, *c2;
	const char *n = "pre-1.0 peer (no version, xmlns:db), plain dialback verified";

	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, false, true);
	closed(c1, "pre-1.0 stream: no features");
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, false, true);
	db(c2, FS_DB_ERROR, "remote-server-not-found", "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_NOTSUPPORTED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T2)", n);
	CONF(FS_CONF_HIGH, r.sasl_conf, "SASL (T2)", n);
	CONF(FS_CONF_HIGH, r.dialback_conf, "Dialback (D7)", n);
	LINE(&r, "T2:", n);
	ok(r.reachable, "%s: a pre-1.0 jabber:server stream is reachable", n);
	fs_domain_ev_clear(&d);
}

static void
test_s1(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1, *c2;
	const char *n = "TLS without a CertificateRequest (S1)";

	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	db(c2, FS_DB_ERROR, "remote-server-not-found", "");
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	tls_ok(c1, false);
	header(&c1->post, true, true);
	features(&c1->post, F_DIALBACK | F_DB_ERRORS, NULL);
	db(c1, FS_DB_ERROR, "remote-server-not-found", "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_OPTIONAL, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.sasl_conf, "SASL (S1)", n);
	LINE(&r, "S1:", n);
	NOLINE(&r, "S5:", n);
	fs_domain_ev_clear(&d);
}

static void
test_t9(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1, *c2;
	const char *n;

	/* TLS optional and broken: effectively NotSupported (T9); plain dialback still works. */
	n = "TLS handshake fails, TLS optional (T9)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	db(c2, FS_DB_ERROR, "remote-server-not-found", "");
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	c1->starttls = FS_STARTTLS_PROCEED;
	c1->tls.attempted = true;
	FS_EV_SET(c1->tls.error, "sslv3 alert handshake failure");
	closed(c1, "sslv3 alert handshake failure");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_NOTSUPPORTED, FS_LEVEL_NOTSUPPORTED, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_HIGH, r.tls_conf, "TLS (T9)", n);
	LINE(&r, "T9:", n);
	ok(r.tls_failed && !r.tls_used, "%s: tls_failed, not tls_used", n);
	ok(has_problem(&r, "TLS handshake failed") && has_problem(&r, "sslv3 alert handshake failure"),
	    "%s: a problem names the handshake error", n);
	fs_domain_ev_clear(&d);

	/* TLS required and broken: stays Required (nothing can work; the verdict is an error, see policy-t). */
	n = "TLS handshake fails, TLS required (T3 + T9)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c1 = ejabberd_required_c1(e);
	c1->starttls = FS_STARTTLS_PROCEED;
	c1->tls.attempted = true;
	FS_EV_SET(c1->tls.error, "sslv3 alert handshake failure");
	closed(c1, "sslv3 alert handshake failure");
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_REQUIRED, NULL);
	closed(c2, "TLS required: plain dialback not attempted");
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	LINE(&r, "T3:", n);
	LINE(&r, "T9:", n);
	ok(r.tls_failed && !r.tls_used, "%s: tls_failed, not tls_used", n);
	ok(has_problem(&r, "TLS handshake failed"), "%s: a problem names the handshake failure", n);
	ok(strstr(r.sasl_unknown, "not negotiated") != NULL, "%s: SASL Unknown: TLS was not negotiated", n);
	/* ejabberd declares xmlns:db without a dialback feature: only the weak D4 hint is left. */
	is_string("True", fs_dialback_name(r.s.dialback), "%s: Dialback True (D4)", n);
	CONF(FS_CONF_LOW, r.dialback_conf, "Dialback (D4)", n);
	LINE(&r, "D4:", n);
	fs_domain_ev_clear(&d);

	n = "STARTTLS refused with <failure/> (T9)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c1 = ejabberd_required_c1(e);
	c1->starttls = FS_STARTTLS_FAILURE;
	closed(c1, "STARTTLS refused with <failure/>");
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_REQUIRED, NULL);
	closed(c2, "TLS required: plain dialback not attempted");
	infer(n, &d, &r);
	ok(r.tls_failed, "%s: tls_failed", n);
	LINE(&r, "T9:", n);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS still Required (<required/> was advertised)", n);
	ok(has_problem(&r, "<failure/>"), "%s: a problem says STARTTLS got <failure/>", n);
	fs_domain_ev_clear(&d);
}

/* ---- D-rules ---- */

static void
test_d5_d6(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1, *c2;
	const char *n;

	/* D5: no dialback feature, no xmlns:db anywhere, and db:result is met with silence. */
	n = "no dialback feature, no xmlns:db, db:result silent (D5)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, false);
	features(&c2->pre, F_STARTTLS | F_BIDI, NULL);
	db(c2, FS_DB_TIMEOUT, "", "");
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, false);
	features(&c1->pre, F_STARTTLS | F_BIDI, NULL);
	tls_ok(c1, false);
	header(&c1->post, true, false);
	features(&c1->post, F_BIDI, NULL);
	db(c1, FS_DB_TIMEOUT, "", "");
	infer(n, &d, &r);
	is_string("False", fs_dialback_name(r.s.dialback), "%s: Dialback False (D5)", n);
	CONF(FS_CONF_MEDIUM, r.dialback_conf, "Dialback (D5)", n);
	LINE(&r, "D5:", n);
	fs_domain_ev_clear(&d);

	/* D6: <item-not-found/> is about our 'to'/'from', not about dialback. */
	n = "dialback error <item-not-found/> (D6)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	db(c2, FS_DB_ERROR, "item-not-found", "");
	c1 = conn(e, FS_CONN_STARTTLS, false);
	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_MECHS, "");
	db(c1, FS_DB_ERROR, "item-not-found", "");
	infer(n, &d, &r);
	ok(r.from_refused, "%s: from_refused", n);
	LINE(&r, "D6:", n);
	NOLINE(&r, "D1:", n);
	NOLINE(&r, "T5:", n);
	NOLINE(&r, "T6:", n);
	is_string("Unknown", fs_dialback_name(r.s.dialback), "%s: Dialback Unknown", n);
	ok(strstr(r.dialback_unknown, "--from") != NULL, "%s: the Dialback Unknown reason says to use --from", n);
	fs_domain_ev_clear(&d);

	/* D6: a policy-violation whose text names our domain (Openfire's FROM permissions, allow-lists). */
	n = "plain dialback -> <policy-violation/> naming our FROM (D6)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c2 = conn(e, FS_CONN_PLAIN, false);
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_DIALBACK | F_DB_ERRORS, NULL);
	db(c2, FS_DB_STREAM_ERROR, "policy-violation", "Remote domain " FROM " is not permitted to connect");
	infer(n, &d, &r);
	ok(r.from_refused, "%s: from_refused", n);
	LINE(&r, "D6:", n);
	fs_domain_ev_clear(&d);
}

/*
 * ejabberd's s2s_access denying our FROM: <forbidden/> "Access denied by service policy" at once, no connect-back;
 * EXTERNAL still answers <success/> (the stream error comes at the first stanza). Sink mode cannot see the
 * connect-back, so the answer is a refusal of our domain; with --listen, a db:verify seen makes it a D1 again.
 */
static void
ejabberd_denies_us(struct fs_domain_ev *d)
{
	struct fs_endpoint_ev *e = ep_new(d, ADDR4);
	struct fs_conn_ev *c1 = ejabberd_required_c1(e), *c2 = conn(e, FS_CONN_PLAIN, false);

	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_MECHS | F_DIALBACK | F_DB_ERRORS, "EXTERNAL");
	db(c1, FS_DB_ERROR, "forbidden", "Access denied by service policy");
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_REQUIRED, NULL);
	closed(c2, "TLS required: plain dialback not attempted");
}

static void
test_refused_by_policy(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	n = "ejabberd s2s_access denies our FROM: <forbidden/>, sink mode";
	dom_init(&d, false);
	ejabberd_denies_us(&d);
	infer(n, &d, &r);
	ok(r.from_refused, "%s: from_refused", n);
	LINE(&r, "D6:", n);
	NOLINE(&r, "D1:", n);
	is_string("Unknown", fs_dialback_name(r.s.dialback), "%s: Dialback Unknown (for our domain)", n);
	is_string("the partner refuses " FROM " by policy (dialback error <forbidden/> Access denied by service policy)",
	    r.refusal, "%s: the refusal names our domain and quotes the partner", n);
	fs_domain_ev_clear(&d);

	n = "<forbidden/> after a connect-back our listener saw (--listen)";
	dom_init(&d, false);
	d.params.authoritative = true;
	d.outbound.verify_requests = 1;
	d.outbound.verify_valid = 1;
	ejabberd_denies_us(&d);
	infer(n, &d, &r);
	ok(!r.from_refused, "%s: not from_refused: the partner verified our key first", n);
	LINE(&r, "D1:", n);
	is_string("True", fs_dialback_name(r.s.dialback), "%s: Dialback True", n);
	fs_domain_ev_clear(&d);

	n = "<forbidden/> with --listen and no connect-back";
	dom_init(&d, false);
	d.params.authoritative = true;
	ejabberd_denies_us(&d);
	infer(n, &d, &r);
	ok(r.from_refused, "%s: from_refused", n);
	LINE(&r, "D6:", n);
	fs_domain_ev_clear(&d);
}

/* What broke first: TLS completes, then no stream header on any connection (tests/responder.py silent-after-tls). */
static void
silent_after_tls(struct fs_endpoint_ev *e)
{
	struct fs_conn_ev *c1 = conn(e, FS_CONN_STARTTLS, false), *c2 = conn(e, FS_CONN_PLAIN, false);

	header(&c1->pre, true, true);
	features(&c1->pre, F_STARTTLS | F_REQUIRED, NULL);
	tls_ok(c1, true);
	c1->timed_out = true;
	c1->duration_ms = 5012;
	FS_EV_SET(c1->broke_at, "header/post-tls");
	closed(c1, "timed out");
	header(&c2->pre, true, true);
	features(&c2->pre, F_STARTTLS | F_REQUIRED, NULL);
	closed(c2, "TLS required: plain dialback not attempted");
}

static void
test_what_broke(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	const char *n;

	n = "silence after the TLS handshake";
	dom_init(&d, false);
	silent_after_tls(ep_new(&d, ADDR4));
	infer(n, &d, &r);
	is_string("[" ADDR4 "]:5269 (starttls): no stream header after the TLS handshake: silent until our timeout, "
	    "5.0 s after connecting", r.broke, "%s: what broke, where, at which stage, when", n);
	NOLINE(&r, "S5:", n);
	ok(strstr(r.sasl_unknown, "hides") == NULL && strstr(r.sasl_unknown, "broke") != NULL,
	    "%s: SASL Unknown says the partner broke, no guess about hidden EXTERNAL (%s)", n, r.sasl_unknown);
	fs_domain_ev_clear(&d);

	n = "silence after TLS on one connection, a dialback answer on another";
	dom_init(&d, false);
	{
		struct fs_endpoint_ev *e = ep_new(&d, ADDR4);
		silent_after_tls(e);
		db(conn(e, FS_CONN_DIRECT_TLS, false), FS_DB_ERROR, "remote-server-not-found", "");
	}
	infer(n, &d, &r);
	is_string("", r.broke, "%s: an answered authentication means it did not break", n);
	fs_domain_ev_clear(&d);

	n = "one endpoint of two breaks";
	dom_init(&d, false);
	silent_after_tls(ep_new(&d, ADDR4));
	ejabberd_required(ep_new(&d, ADDR6), false);
	infer(n, &d, &r);
	is_string("", r.broke, "%s: the domain did not break", n);
	ok(has_problem(&r, "no stream header after the TLS handshake"), "%s: the break is a problem", n);
	fs_domain_ev_clear(&d);
}

/* The session proof (XEP-0199 ping after an authentication that succeeded): P1, P2, P3. */
static void
test_proof(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_conn_ev *c1;
	const char *n;

	n = "SASL over TLS, ping answered on the partner's stream (--listen)";
	dom_init(&d, true);
	d.params.authoritative = true;
	{
		struct fs_endpoint_ev *e = ep_new(&d, ADDR4);
		c1 = ejabberd_required_c1(e);
		c1->client_cert = true;
		tls_ok(c1, true);
		header(&c1->post, true, true);
		features(&c1->post, F_MECHS | F_DIALBACK, "EXTERNAL");
		c1->sasl.result = FS_SASL_SUCCESS;
		c1->proof.result = FS_PROOF_NO_ANSWER;
		FS_EV_SET(c1->proof.method, "SASL over TLS");
		FS_EV_SET(c1->proof.id, "fedscan-ping-starttls");
		c1->proof.wait_ms = 300;
	}
	d.outbound.nanswers = 1;
	FS_EV_SET(d.outbound.answers[0].id, "fedscan-ping-starttls");
	FS_EV_SET(d.outbound.answers[0].answer, "error");
	FS_EV_SET(d.outbound.answers[0].condition, "service-unavailable");
	infer(n, &d, &r);
	LINE(&r, "P1:", n);
	is_int(1, r.nproofs, "%s: one proof", n);
	is_string("SASL over TLS: ping answered (iq error service-unavailable)", r.proofs[0], "%s: its words", n);
	ok(!r.from_refused, "%s: not a refusal", n);
	fs_domain_ev_clear(&d);

	n = "the same in sink mode: only the negative half";
	dom_init(&d, true);
	{
		struct fs_endpoint_ev *e = ep_new(&d, ADDR4);
		c1 = ejabberd_required_c1(e);
		c1->client_cert = true;
		tls_ok(c1, true);
		header(&c1->post, true, true);
		features(&c1->post, F_MECHS | F_DIALBACK, "EXTERNAL");
		c1->sasl.result = FS_SASL_SUCCESS;
		c1->proof.result = FS_PROOF_NO_ANSWER;
		FS_EV_SET(c1->proof.method, "SASL over TLS");
		FS_EV_SET(c1->proof.id, "fedscan-ping-starttls");
		c1->proof.wait_ms = 300;
	}
	infer(n, &d, &r);
	LINE(&r, "P3:", n);
	NOLINE(&r, "P1:", n);
	ok(strstr(r.proofs[0], "only --listen sees it") != NULL, "%s: says what --listen would see: %s", n, r.proofs[0]);
	fs_domain_ev_clear(&d);

	n = "EXTERNAL <success/>, then <invalid-from/> at the ping (ejabberd s2s_access)";
	dom_init(&d, true);
	{
		struct fs_endpoint_ev *e = ep_new(&d, ADDR4);
		c1 = ejabberd_required_c1(e);
		c1->client_cert = true;
		tls_ok(c1, true);
		header(&c1->post, true, true);
		features(&c1->post, F_MECHS | F_DIALBACK, "EXTERNAL");
		c1->sasl.result = FS_SASL_SUCCESS;
		c1->proof.result = FS_PROOF_REFUSED;
		FS_EV_SET(c1->proof.method, "SASL over TLS");
		FS_EV_SET(c1->proof.condition, "invalid-from");
		stream_err(c1, "invalid-from", "", "proof");
	}
	infer(n, &d, &r);
	LINE(&r, "P2:", n);
	ok(r.from_refused, "%s: from_refused", n);
	is_string("the partner refuses fedscan.example by policy (SASL over TLS: ping refused (stream error "
	    "<invalid-from/>))", r.refusal, "%s: the refusal in words", n);
	ok(!has_problem(&r, "invalid-from"), "%s: the refusal is not also a stream-error problem", n);
	fs_domain_ev_clear(&d);
}

/* ---- S7 variants that are not the restarted-header <not-authorized/> ---- */

static void
test_s7_variants(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c1;
	const char *n;

	n = "dialback over TLS -> dialback error <not-authorized/> (S7)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c1 = ejabberd_required_c1(e);
	tls_ok(c1, true);
	header(&c1->post, true, true);
	features(&c1->post, F_DIALBACK | F_DB_ERRORS, NULL);
	db(c1, FS_DB_ERROR, "not-authorized", "A valid certificate is required");
	infer(n, &d, &r);
	ok(r.cert_required, "%s: cert_required", n);
	LINE(&r, "S7:", n);
	is_string("Required", fs_level_name(r.s.tls), "%s: TLS Required", n);
	fs_domain_ev_clear(&d);

	n = "the peer closes right after the handshake (XEP-0178 step 7a, S7)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c1 = ejabberd_required_c1(e);
	tls_ok(c1, true);
	c1->peer_closed = true;
	closed(c1, "the peer closed the TLS session");
	infer(n, &d, &r);
	ok(r.cert_required, "%s: cert_required", n);
	LINE(&r, "S7:", n);
	fs_domain_ev_clear(&d);
}

/* ---- direct TLS only ---- */

static void
test_direct_tls(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c3;
	const char *n = "direct TLS (XEP-0368) only";

	dom_init(&d, false);
	d.dns.srv_tls_found = true;
	e = ep_new(&d, ADDR4);
	e->direct_tls = true;
	e->port = 5270;
	e->source = FS_SRC_SRV_TLS;
	c3 = conn(e, FS_CONN_DIRECT_TLS, false);
	tls_ok(c3, true);
	header(&c3->post, true, true);
	features(&c3->post, F_MECHS | F_DIALBACK, "EXTERNAL");
	db(c3, FS_DB_VALID, "", "");
	infer(n, &d, &r);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	CONF(FS_CONF_MEDIUM, r.tls_conf, "TLS", n);
	LINE(&r, "T4:", n);
	fs_domain_ev_clear(&d);
}

/* ---- reachability ---- */

static void
test_unreachable(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c;
	const char *n;

	n = "unreachable endpoint (connection refused)";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c = conn(e, FS_CONN_STARTTLS, false);
	c->connected = false;
	FS_EV_SET(c->connect_error, "Connection refused");
	closed(c, "Connection refused");
	c = conn(e, FS_CONN_PLAIN, false);
	c->connected = false;
	FS_EV_SET(c->connect_error, "Connection refused");
	closed(c, "Connection refused");
	infer(n, &d, &r);
	ok(!r.reachable && !r.connected, "%s: neither reachable nor connected", n);
	SETTING(&r, FS_LEVEL_UNKNOWN, FS_LEVEL_UNKNOWN, FS_DIALBACK_UNKNOWN, n);
	ok(strstr(r.error, "Connection refused") != NULL && strstr(r.error, ADDR4) != NULL,
	    "%s: the error names the address and the reason", n);
	ok(strstr(r.tls_unknown, "Connection refused") != NULL && strstr(r.sasl_unknown, "Connection refused") != NULL &&
	    strstr(r.dialback_unknown, "Connection refused") != NULL, "%s: every Unknown reason says why", n);
	is_int(0, r.nlines, "%s: no rule lines", n);
	fs_domain_ev_clear(&d);

	n = "a jabber:client stream on the s2s port";
	dom_init(&d, false);
	e = ep_new(&d, ADDR4);
	c = conn(e, FS_CONN_STARTTLS, false);
	header(&c->pre, true, false);
	c->pre.not_server = true;       /* as fs_stream_record_header() records it */
	closed(c, "the peer opened a jabber:client stream on the server-to-server port");
	infer(n, &d, &r);
	ok(!r.reachable && r.connected && r.xmpp_error, "%s: connected, not reachable, xmpp_error", n);
	/* The decision reads the flag, not the words: the same close reason on a jabber:server stream is reachable. */
	c->pre.not_server = false;
	infer(n, &d, &r);
	ok(r.reachable, "%s: the close reason's words alone decide nothing", n);
	fs_domain_ev_clear(&d);

	n = "_xmpp-server._tcp target \".\"";
	dom_init(&d, false);
	d.dns.srv_found = true;
	d.dns.srv_dot = true;
	infer(n, &d, &r);
	ok(!r.reachable && strstr(r.error, "no federation") != NULL, "%s: unreachable, the error says no federation",
	    n);
	fs_domain_ev_clear(&d);
}

/* ---- several endpoints ---- */

static void
test_endpoints_disagree(void)
{
	struct fs_domain_ev d;
	struct fs_inference r;
	struct fs_endpoint_ev *e;
	struct fs_conn_ev *c;
	const char *n;
	int order;

	n = "two endpoints: Prosody TLS optional and ejabberd required";
	dom_init(&d, false);
	d.params.authoritative = true;
	prosody_optional(ep_new(&d, ADDR4), FS_DB_VALID, "");
	ejabberd_required(ep_new(&d, ADDR6), false);
	infer(n, &d, &r);
	is_string("Required", fs_level_name(r.s.tls), "%s: the strictest TLS (Required)", n);
	is_string("True", fs_dialback_name(r.s.dialback), "%s: Dialback True on both", n);
	ok(has_problem(&r, "disagree") && has_problem(&r, "TLS") && has_problem(&r, ADDR4) && has_problem(&r, ADDR6),
	    "%s: a problem names the TLS inconsistency and both endpoints", n);
	LINE(&r, "T6:", n);
	LINE(&r, "T3:", n);
	fs_domain_ev_clear(&d);

	/* A Dialback False anywhere is False, whichever endpoint comes first. */
	for (order = 0; order < 2; order++) {
		n = order == 0 ? "two endpoints: dialback True, then False" : "two endpoints: dialback False, then True";
		dom_init(&d, false);
		if (order == 0) {
			ejabberd_required(ep_new(&d, ADDR4), false);
			ejabberd_optional(ep_new(&d, ADDR6), false, false);
		} else {
			ejabberd_optional(ep_new(&d, ADDR6), false, false);
			ejabberd_required(ep_new(&d, ADDR4), false);
		}
		infer(n, &d, &r);
		SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_REQUIRED, FS_DIALBACK_FALSE, n);
		ok(has_problem(&r, "disagree") && has_problem(&r, "Dialback"),
		    "%s: a problem names the Dialback inconsistency", n);
		fs_domain_ev_clear(&d);
	}

	n = "two endpoints, one refuses connections";
	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), false);
	e = ep_new(&d, ADDR6);
	c = conn(e, FS_CONN_STARTTLS, false);
	c->connected = false;
	FS_EV_SET(c->connect_error, "Network is unreachable");
	infer(n, &d, &r);
	ok(r.reachable, "%s: reachable", n);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	ok(has_problem(&r, ADDR6) && has_problem(&r, "did not answer"), "%s: a problem names the silent endpoint", n);
	ok(!has_problem(&r, "disagree"), "%s: an unreachable endpoint is not a disagreement", n);
	fs_domain_ev_clear(&d);
}

/* ---- certificates ---- */

static void
test_certificates(void)
{
	struct fs_domain_ev d;
	struct fs_inference r, base, e;
	struct fs_tls_ev *t;
	const char *n;
	int k;

	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), false);
	fs_infer_domain(&d, NOW, &base);
	fs_domain_ev_clear(&d);
	ok(!base.cert_problem && base.nproblems == 0, "certificate baseline: no problems");

	for (k = 0; k < 5; k++) {
		dom_init(&d, false);
		ejabberd_required(ep_new(&d, ADDR4), false);
		t = &d.endpoints[0].conns[FS_CONN_STARTTLS].tls;
		switch (k) {
		case 0:
			n = "certificate expired";
			t->expired = true;
			t->chain_ok = false;
			t->verify_code = 10;
			FS_EV_SET(t->verify_error, "certificate has expired");
			FS_EV_SET(t->cert.not_after, "2025-12-01T00:00:00Z");
			t->cert.not_after_epoch = NOW - 31 * DAY;
			break;
		case 1:
			n = "certificate name mismatch";
			t->name_ok = false;
			FS_EV_SET(t->name_match, "");
			FS_EV_SET(t->cert.sans, "DNS:other.example");
			break;
		case 2:
			n = "certificate expiring in 5 days";
			FS_EV_SET(t->cert.not_after, "2026-01-06T00:00:00Z");
			t->cert.not_after_epoch = NOW + 5 * DAY;
			break;
		case 3:
			n = "certificate expiring in 60 days";
			t->cert.not_after_epoch = NOW + 60 * DAY;
			break;
		default:
			n = "self-signed certificate";
			t->chain_ok = false;
			t->verify_code = 18;
			FS_EV_SET(t->verify_error, "self-signed certificate");
			break;
		}
		infer(n, &d, &r);
		ok(r.s.tls == base.s.tls && r.s.sasl == base.s.sasl && r.s.dialback == base.s.dialback,
		    "%s: the settings do not change", n);
		switch (k) {
		case 0:
			ok(r.cert_problem && has_problem(&r, "expired") && has_problem(&r, "2025-12-01"),
			    "%s: cert_problem, a problem with the date", n);
			break;
		case 1:
			ok(r.cert_problem && has_problem(&r, "does not match") && has_problem(&r, DOMAIN) &&
			    has_problem(&r, "other.example"), "%s: cert_problem, a problem naming both names", n);
			break;
		case 2:
			ok(r.cert_problem && has_problem(&r, "expires in 5 days"), "%s: cert_problem, expires in 5 days", n);
			break;
		case 3:
			ok(!r.cert_problem && r.nproblems == 0, "%s: no problem", n);
			/* --expiry-warn 90: the same certificate is now within the warning days. */
			fs_infer_endpoint(&d, 0, NOW, 90, &e);
			ok(e.cert_problem && has_problem(&e, "expires in 60 days"), "%s, warning days 90: cert_problem", n);
			fs_infer_endpoint(&d, 0, NOW, 60, &e);
			ok(!e.cert_problem, "%s, warning days 60: no problem (fewer than 60 days left is the rule)", n);
			break;
		default:
			ok(r.cert_problem && has_problem(&r, "not trusted") && has_problem(&r, "self-signed"),
			    "%s: cert_problem, not trusted", n);
			break;
		}
		fs_domain_ev_clear(&d);
	}

	n = "TLS 1.1 negotiated";
	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), false);
	FS_EV_SET(d.endpoints[0].conns[FS_CONN_STARTTLS].tls.version, "TLSv1.1");
	infer(n, &d, &r);
	ok(has_problem(&r, "TLS 1.2") && !r.cert_problem, "%s: a problem below TLS 1.2, not a certificate problem", n);
	fs_domain_ev_clear(&d);

	n = "bytes injected after <proceed/>";
	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), false);
	d.endpoints[0].conns[FS_CONN_STARTTLS].tls.injected_bytes = 123;
	infer(n, &d, &r);
	ok(has_problem(&r, "123 bytes after <proceed/>"), "%s: a problem reports the discarded bytes", n);
	fs_domain_ev_clear(&d);
}

/* An endpoint that refused every connection: the partner's doing. */
static void
e_refused(struct fs_endpoint_ev *e)
{
	struct fs_conn_ev *c = conn(e, FS_CONN_STARTTLS, false);

	c->connected = false;
	FS_EV_SET(c->connect_error, "Connection refused");
	FS_EV_SET(c->close_reason, "Connection refused");
}

/* ---- endpoints this host cannot reach (no IPv6 route) ---- */

/* An endpoint whose every connection failed at once because of the auditing host, as the engine records it. */
static void
local_fail(struct fs_endpoint_ev *e)
{
	struct fs_conn_ev *c = conn(e, FS_CONN_STARTTLS, false);

	c->connected = false;
	c->local_unreachable = true;
	FS_EV_SET(c->connect_error, "not reachable from this host: no IPv6 route (Network is unreachable)");
	FS_EV_SET(c->close_reason, c->connect_error);
}

static void
test_local_unreachable(void)
{
	struct fs_domain_ev d;
	struct fs_inference r, ep;
	struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE };
	struct fs_compat c;
	const char *n;
	unsigned k;
	bool down = false;

	n = "dual-stack partner, IPv6 endpoint out of this host's reach";
	dom_init(&d, false);
	ejabberd_required(ep_new(&d, ADDR4), false);
	local_fail(ep_new(&d, ADDR6));
	infer(n, &d, &r);
	ok(r.reachable && !r.local_unreachable, "%s: the partner is reachable", n);
	SETTING(&r, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE, n);
	for (k = 0; k < r.nproblems; k++)
		down |= r.problem_codes[k] == FS_P_ENDPOINT_DOWN;
	ok(!down && !has_problem(&r, "did not answer"), "%s: no \"endpoint did not answer\" problem", n);
	fs_policy_verdict(&local, &r, &c);
	is_string("compatible", fs_verdict_name(c.verdict), "%s: verdict compatible, not degraded", n);
	fs_infer_endpoint(&d, 1, NOW, FS_DEFAULT_EXPIRY_WARN_DAYS, &ep);
	ok(!ep.reachable && ep.local_unreachable, "%s: the IPv6 endpoint is flagged local_unreachable", n);
	ok(strstr(ep.error, ADDR6) != NULL && strstr(ep.error, "not reachable from this host: no IPv6 route") != NULL,
	    "%s: the endpoint says \"not reachable from this host: no IPv6 route\" (%s)", n, ep.error);
	fs_domain_ev_clear(&d);

	n = "IPv6-only partner audited from a host without IPv6";
	dom_init(&d, false);
	local_fail(ep_new(&d, ADDR6));
	infer(n, &d, &r);
	ok(!r.reachable && r.local_unreachable, "%s: not reachable, because of this host", n);
	ok(strstr(r.error, "cannot be done from this host") != NULL, "%s: the error says so (%s)", n, r.error);
	fs_policy_verdict(&local, &r, &c);
	is_string("error", fs_verdict_name(c.verdict), "%s: verdict error (the audit could not be done), not "
	    "unreachable", n);
	fs_domain_ev_clear(&d);

	n = "one endpoint out of this host's reach, the other refusing";
	dom_init(&d, false);
	local_fail(ep_new(&d, ADDR6));
	e_refused(ep_new(&d, ADDR4));
	infer(n, &d, &r);
	ok(!r.local_unreachable && strstr(r.error, "Connection refused") != NULL,
	    "%s: the partner's own failure is the error (%s)", n, r.error);
	fs_policy_verdict(&local, &r, &c);
	is_string("unreachable", fs_verdict_name(c.verdict), "%s: verdict unreachable", n);
	fs_domain_ev_clear(&d);
}

int
main(void)
{
	test_prosody_required();
	test_prosody_optional();
	test_prosody_secure_auth();
	test_prosody_no_tls();
	test_prosody_no_dialback();
	test_ejabberd_required();
	test_ejabberd_optional();
	test_t5();
	test_pre10();
	test_s1();
	test_t9();
	test_d5_d6();
	test_refused_by_policy();
	test_what_broke();
	test_proof();
	test_s7_variants();
	test_direct_tls();
	test_unreachable();
	test_endpoints_disagree();
	test_local_unreachable();
	test_certificates();
	return done_testing();
}
