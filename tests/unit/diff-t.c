/* diff-t.c: fs_diff on assessments made by hand: every kind of change, its words, its order, text and JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/diff.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "tap/basic.h"

#define ARROW "\xe2\x86\x92"
#define DAY 86400LL
#define T0 1800000000LL                /* scan B's start */
#define FP_A "AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA"
#define FP_B "BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB"

/* A compatible partner negotiating SASL over TLS with TLS Required, SASL Optional, Dialback True, no endpoint. */
static void
partner(struct fs_assessment *a, const char *domain)
{
	memset(a, 0, sizeof(*a));
	FS_EV_SET(a->domain, domain);
	a->verdict = FS_VERDICT_COMPATIBLE;
	a->negotiated = FS_METHOD_SASL_TLS;
	a->eff.s.tls = FS_LEVEL_REQUIRED;
	a->eff.s.sasl = FS_LEVEL_OPTIONAL;
	a->eff.s.dialback = FS_DIALBACK_TRUE;
}

/* Add an endpoint (at most FS_MAX_ENDPOINTS, room for 4 connections each). */
static struct fs_endpoint_assess *
endpoint(struct fs_assessment *a, const char *host, const char *address, int port, bool reachable)
{
	struct fs_endpoint_assess *e;

	if (a->endpoints == NULL)
		a->endpoints = calloc(FS_MAX_ENDPOINTS, sizeof(*a->endpoints));
	e = &a->endpoints[a->nendpoints++];
	memset(e, 0, sizeof(*e));
	FS_EV_SET(e->host, host);
	FS_EV_SET(e->address, address);
	e->port = port;
	e->reachable = reachable;
	e->conns = calloc(4, sizeof(*e->conns));
	return e;
}

/* Add a connection whose TLS handshake completed with a certificate. */
static void
tls_conn(struct fs_endpoint_assess *e, const char *version, const char *sha256, const char *not_after, long long epoch)
{
	struct fs_conn_ev *c = &e->conns[e->nconns++];

	c->kind = FS_CONN_STARTTLS;
	c->tls.ok = true;
	FS_EV_SET(c->tls.version, version);
	c->tls.cert.present = sha256 != NULL;
	FS_EV_SET(c->tls.cert.sha256, sha256 != NULL ? sha256 : "");
	FS_EV_SET(c->tls.cert.not_after, not_after);
	c->tls.cert.not_after_epoch = epoch;
}

/* One endpoint with one TLS connection. */
static void
with_cert(struct fs_assessment *a, const char *version, const char *sha256, const char *not_after, long long epoch)
{
	tls_conn(endpoint(a, "xmpp.example", "192.0.2.1", 5269, true), version, sha256, not_after, epoch);
}

/* The assessment as the store gives it back: written as the contract JSON, read back (connections as a record). */
static void
round_trip(struct fs_assessment *a)
{
	struct fs_assessment b;
	char err[256];
	unsigned i;
	json_t *o;

	a->keys = FS_K_ALL;
	for (i = 0; i < a->nendpoints; i++)
		a->endpoints[i].keys = FS_K_ALL;
	o = fs_assessment_to_json(a);
	ok(o != NULL && fs_assessment_from_json(o, &b, err, sizeof(err)) == 0, "%s: written and read back", a->domain);
	json_decref(o);
	fs_assessment_clear(a);
	*a = b;
}

static struct fs_diff_opts
opts(void)
{
	struct fs_diff_opts o;

	memset(&o, 0, sizeof(o));
	o.at_a = T0 - DAY;
	o.at_b = T0;
	o.expiry_days = 21;
	o.b_complete = true;
	return o;
}

/* Diff one partner against its newer self; the partner's entry, or NULL when nothing changed. */
static const struct fs_diff_partner *
diff1(const struct fs_assessment *a, const struct fs_assessment *b, const struct fs_diff_opts *o, struct fs_diff *d)
{
	ok(fs_diff(a, 1, b, 1, o, d) == 0, "%s: fs_diff", b->domain);
	return d->npartners == 1 ? &d->partners[0] : NULL;
}

/* The one change of a partner, checked for kind, what, from, to, severity and words. */
static void
one_change(const struct fs_diff_partner *p, enum fs_change_kind kind, const char *what, const char *from,
    const char *to, int severity, const char *text, const char *desc)
{
	const char *f = NULL, *t = NULL;
	char words[FS_CHANGE_TEXT] = "";

	if (!ok(p != NULL && p->nchanges == 1, "%s: one change", desc)) {
		diag("got %zu changes", p != NULL ? p->nchanges : 0);
		return;
	}
	is_int(kind, p->changes[0].kind, "%s: its kind", desc);
	is_string(what, fs_change_what(&p->changes[0]), "%s: what", desc);
	fs_change_from_to(&p->changes[0], &f, &t);
	is_string(from, f, "%s: from", desc);
	is_string(to, t, "%s: to", desc);
	is_int(severity, p->changes[0].severity, "%s: severity", desc);
	fs_change_text(&p->changes[0], words, sizeof(words));
	is_string(text, words, "%s: in words", desc);
}

/* What a writer wrote, as a malloc'd string. */
static char *
text_of(const struct fs_scan_info *a, const struct fs_scan_info *b, const struct fs_diff *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	fs_diff_text(m, a, b, d);
	fclose(m);
	return buf;
}

static json_t *
json_of(const struct fs_scan_info *a, const struct fs_scan_info *b, const struct fs_diff *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	json_t *o;

	ok(fs_diff_json(m, a, b, 21, d) == 0, "the JSON writer succeeds");
	fclose(m);
	o = json_loads(buf, 0, NULL);
	free(buf);
	return o;
}

static void
scans(struct fs_scan_info *a, struct fs_scan_info *b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->id = 1;
	b->id = 2;
	snprintf(a->kind, sizeof(a->kind), "scan");
	snprintf(b->kind, sizeof(b->kind), "scan");
	snprintf(a->started_at, sizeof(a->started_at), "2027-01-14T08:00:00.000Z");
	snprintf(b->started_at, sizeof(b->started_at), "2027-01-15T08:00:00.000Z");
	snprintf(b->finished_at, sizeof(b->finished_at), "2027-01-15T08:01:00.000Z");
	a->complete = b->complete = true;
	a->ndomains = b->ndomains = 2;
}

static void
test_nothing(void)
{
	struct fs_assessment a[2], b[2];
	struct fs_diff_opts o = opts();
	struct fs_scan_info sa, sb;
	struct fs_diff d;
	char *txt;
	json_t *js;
	int i;

	partner(&a[0], "a.example");
	with_cert(&a[0], "TLSv1.3", FP_A, "2030-01-01T00:00:00Z", T0 + 1000 * DAY);
	partner(&a[1], "b.example");
	partner(&b[0], "a.example");
	with_cert(&b[0], "TLSv1.3", FP_A, "2030-01-01T00:00:00Z", T0 + 1000 * DAY);
	partner(&b[1], "B.EXAMPLE");      /* the same partner, spelled otherwise */
	ok(fs_diff(a, 2, b, 2, &o, &d) == 0, "nothing changed: fs_diff");
	ok(!fs_diff_changed(&d) && d.npartners == 0 && d.nlocal == 0, "nothing changed: no change (exit 0)");
	is_int(2, d.unchanged, "nothing changed: 2 partners unchanged");
	scans(&sa, &sb);
	txt = text_of(&sa, &sb, &d);
	is_string("fedscan diff: scan 1 (2027-01-14T08:00:00.000Z) " ARROW " scan 2 (2027-01-15T08:00:00.000Z): no change"
	    " (2 partners)\n", txt, "nothing changed: the text says so on one line");
	free(txt);
	js = json_of(&sa, &sb, &d);
	ok(json_is_false(json_object_get(js, "changed")) && json_array_size(json_object_get(js, "partners")) == 0 &&
	    json_integer_value(json_object_get(js, "unchanged")) == 2, "nothing changed: JSON changed false, 2 unchanged");
	json_decref(js);
	fs_diff_clear(&d);
	txt = text_of(NULL, NULL, NULL);
	is_string("fedscan diff: fewer than two complete scans: nothing to compare yet\n", txt,
	    "fewer than two scans: the text says there is nothing to compare");
	free(txt);
	for (i = 0; i < 2; i++) {
		fs_assessment_clear(&a[i]);
		fs_assessment_clear(&b[i]);
	}
}

static void
test_verdict(void)
{
	static const struct {
		enum fs_verdict from, to;
		enum fs_change_kind kind;
		int sev;
		const char *text;
	} t[] = {
		{ FS_VERDICT_COMPATIBLE, FS_VERDICT_DEGRADED, FS_CHANGE_VERDICT_WORSE, FS_SEV_DEGRADED,
		  "verdict compatible " ARROW " degraded" },
		{ FS_VERDICT_DEGRADED, FS_VERDICT_INCOMPATIBLE, FS_CHANGE_VERDICT_WORSE, FS_SEV_BROKEN,
		  "verdict degraded " ARROW " incompatible" },
		{ FS_VERDICT_COMPATIBLE, FS_VERDICT_UNREACHABLE, FS_CHANGE_VERDICT_WORSE, FS_SEV_BROKEN,
		  "verdict compatible " ARROW " unreachable" },
		{ FS_VERDICT_DEGRADED, FS_VERDICT_COMPATIBLE, FS_CHANGE_VERDICT_BETTER, FS_SEV_BETTER,
		  "verdict degraded " ARROW " compatible" },
		{ FS_VERDICT_ERROR, FS_VERDICT_DEGRADED, FS_CHANGE_VERDICT_BETTER, FS_SEV_BETTER,
		  "verdict error " ARROW " degraded" },
	};
	struct fs_assessment a, b;
	struct fs_diff_opts o = opts();
	struct fs_scan_info sa, sb;
	struct fs_diff d;
	char desc[128], *txt;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		partner(&a, "v.example");
		partner(&b, "v.example");
		a.verdict = t[i].from;
		b.verdict = t[i].to;
		snprintf(desc, sizeof(desc), "verdict %s -> %s", fs_verdict_name(t[i].from), fs_verdict_name(t[i].to));
		one_change(diff1(&a, &b, &o, &d), t[i].kind, "verdict", fs_verdict_name(t[i].from),
		    fs_verdict_name(t[i].to), t[i].sev, t[i].text, desc);
		if (i == 0) {
			scans(&sa, &sb);
			txt = text_of(&sa, &sb, &d);
			ok(txt != NULL && strstr(txt, "\nv.example: compatible " ARROW " degraded\n1 partner changed, 0 unchanged\n")
			    != NULL, "verdict worse: on the partner's line, not repeated under it");
			free(txt);
			is_string("warning", fs_diff_level(d.partners[0].severity), "verdict now degraded: a warning");
		}
		fs_diff_clear(&d);
	}
}

static void
test_method(void)
{
	static const struct {
		enum fs_method from, to;
		enum fs_change_kind kind;
		int sev;
		const char *f, *t;
	} t[] = {
		{ FS_METHOD_SASL_TLS, FS_METHOD_TLS_DIALBACK, FS_CHANGE_METHOD_WEAKER, FS_SEV_WEAKER,
		  "SASL over TLS", "TLS Dialback" },
		{ FS_METHOD_TLS_DIALBACK, FS_METHOD_TCP_DIALBACK, FS_CHANGE_METHOD_WEAKER, FS_SEV_WEAKER,
		  "TLS Dialback", "TCP Dialback" },
		{ FS_METHOD_TCP_DIALBACK, FS_METHOD_SASL_TLS, FS_CHANGE_METHOD_STRONGER, FS_SEV_MINOR,
		  "TCP Dialback", "SASL over TLS" },
		{ FS_METHOD_SASL_TLS, 0, FS_CHANGE_METHOD_NONE, FS_SEV_NONE, "SASL over TLS", "none" },
		{ 0, FS_METHOD_TCP_DIALBACK, FS_CHANGE_METHOD_STRONGER, FS_SEV_MINOR, "none", "TCP Dialback" },
	};
	struct fs_assessment a, b;
	struct fs_diff_opts o = opts();
	struct fs_diff d;
	char desc[128], text[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		partner(&a, "m.example");
		partner(&b, "m.example");
		a.negotiated = t[i].from;
		b.negotiated = t[i].to;
		snprintf(desc, sizeof(desc), "negotiated %s -> %s", t[i].f, t[i].t);
		snprintf(text, sizeof(text), "negotiated %s " ARROW " %s", t[i].f, t[i].t);
		one_change(diff1(&a, &b, &o, &d), t[i].kind, "negotiated", t[i].f, t[i].t, t[i].sev, text, desc);
		fs_diff_clear(&d);
	}
}

static void
test_settings(void)
{
	struct fs_assessment a, b;
	struct fs_diff_opts o = opts();
	struct fs_setting la = { FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE }, lb = la;
	struct fs_diff d;
	const char *f, *t;
	char words[FS_CHANGE_TEXT];
	int i;

	for (i = 0; i < 3; i++) {
		partner(&a, "s.example");
		partner(&b, "s.example");
		if (i == 0) {
			a.eff.s.tls = FS_LEVEL_OPTIONAL;
			one_change(diff1(&a, &b, &o, &d), FS_CHANGE_SETTING, "tls", "Optional", "Required", FS_SEV_SETTING,
			    "TLS Optional " ARROW " Required", "TLS setting");
		} else if (i == 1) {
			b.eff.s.sasl = FS_LEVEL_NOTSUPPORTED;
			one_change(diff1(&a, &b, &o, &d), FS_CHANGE_SETTING, "sasl", "Optional", "NotSupported",
			    FS_SEV_SETTING, "SASL Optional " ARROW " NotSupported", "SASL setting");
		} else {
			b.eff.s.dialback = FS_DIALBACK_UNKNOWN;
			one_change(diff1(&a, &b, &o, &d), FS_CHANGE_SETTING, "dialback", "True", "Unknown", FS_SEV_SETTING,
			    "Dialback True " ARROW " Unknown", "Dialback setting");
		}
		fs_diff_clear(&d);
	}
	/* Our own policy between the scans: a line of its own, whatever the partners did. */
	partner(&a, "s.example");
	partner(&b, "s.example");
	lb.dialback = FS_DIALBACK_FALSE;
	o.local_a = &la;
	o.local_b = &lb;
	ok(fs_diff(&a, 1, &b, 1, &o, &d) == 0 && d.nlocal == 1 && d.npartners == 0 && fs_diff_changed(&d),
	    "local policy: one change, and it counts as a change (exit 1)");
	fs_change_from_to(&d.local[0], &f, &t);
	fs_change_text(&d.local[0], words, sizeof(words));
	ok(d.local[0].kind == FS_CHANGE_LOCAL_SETTING && strcmp(fs_change_what(&d.local[0]), "dialback") == 0 &&
	    strcmp(f, "True") == 0 && strcmp(t, "False") == 0, "local policy: dialback True -> False");
	is_string("local policy Dialback True " ARROW " False", words, "local policy: in words");
	fs_diff_clear(&d);
	o.local_a = NULL;
	ok(fs_diff(&a, 1, &b, 1, &o, &d) == 0 && d.nlocal == 0, "local policy not recorded in A: not compared");
	fs_diff_clear(&d);
}

static void
test_certificates(void)
{
	struct fs_assessment a, b;
	struct fs_diff_opts o = opts();
	struct fs_diff d;
	const struct fs_diff_partner *p;
	int live;

	/* Renewed: another fingerprint, far from expiry; live evidence, then read back from a record. */
	for (live = 1; live >= 0; live--) {
		partner(&a, "c.example");
		partner(&b, "c.example");
		with_cert(&a, "TLSv1.3", FP_A, "2027-02-01T00:00:00Z", T0 + 17 * DAY + 1000 * DAY);
		with_cert(&b, "TLSv1.3", FP_B, "2030-03-01T00:00:00Z", T0 + 1000 * DAY);
		if (!live) {
			round_trip(&a);
			round_trip(&b);
		}
		one_change(diff1(&a, &b, &o, &d), FS_CHANGE_CERT_REPLACED, "certificate", FP_A, FP_B, FS_SEV_CERT_NEW,
		    "certificate replaced: AA:AA:AA:AA:AA:AA\xe2\x80\xa6 " ARROW " BB:BB:BB:BB:BB:BB\xe2\x80\xa6, expires "
		    "2030-03-01T00:00:00Z", live ? "certificate renewed (live evidence)" : "certificate renewed (read back)");
		fs_diff_clear(&d);
		fs_assessment_clear(&a);
		fs_assessment_clear(&b);
	}

	/* The same certificate enters the 21-day window: 5 days left at B's start, 35 at A's (30 days earlier). */
	o.at_a = T0 - 30 * DAY;
	partner(&a, "e.example");
	partner(&b, "e.example");
	with_cert(&a, "TLSv1.3", FP_A, "2027-01-20T08:00:00Z", T0 + 5 * DAY + 3600);
	with_cert(&b, "TLSv1.3", FP_A, "2027-01-20T08:00:00Z", T0 + 5 * DAY + 3600);
	p = diff1(&a, &b, &o, &d);
	one_change(p, FS_CHANGE_CERT_EXPIRING, "cert_expiry", "2027-01-20T08:00:00Z", "2027-01-20T08:00:00Z",
	    FS_SEV_EXPIRING, "certificate expires in 5 days (2027-01-20T08:00:00Z)", "certificate expiring in 5 days");
	ok(p != NULL && p->changes[0].days == 5, "expiring: 5 whole days from B's start");
	fs_diff_clear(&d);
	o.at_a = T0 - DAY;
	ok(diff1(&a, &b, &o, &d) == NULL && d.unchanged == 1, "expiring: already in the window at A: said once only");
	fs_diff_clear(&d);
	o.at_a = T0 - 30 * DAY;
	o.expiry_days = 5;
	ok(diff1(&a, &b, &o, &d) == NULL, "expiring in 5 days with --expiry-days 5: outside the window");
	fs_diff_clear(&d);
	o.expiry_days = 6;
	ok(diff1(&a, &b, &o, &d) != NULL, "expiring in 5 days with --expiry-days 6: inside the window");
	fs_diff_clear(&d);
	o.expiry_days = 21;
	o.at_b = 0;
	ok(diff1(&a, &b, &o, &d) == NULL, "expiring: no scan time for B, no days to count");
	fs_diff_clear(&d);
	o = opts();
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);

	/* Expired between the scans. */
	partner(&a, "x.example");
	partner(&b, "x.example");
	with_cert(&a, "TLSv1.3", FP_A, "2027-01-15T07:00:00Z", T0 - 3600);
	with_cert(&b, "TLSv1.3", FP_A, "2027-01-15T07:00:00Z", T0 - 3600);
	one_change(diff1(&a, &b, &o, &d), FS_CHANGE_CERT_EXPIRED, "cert_expiry", "2027-01-15T07:00:00Z",
	    "2027-01-15T07:00:00Z", FS_SEV_EXPIRED, "certificate expired on 2027-01-15T07:00:00Z", "certificate expired");
	fs_diff_clear(&d);
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);

	/* TLS versions: the sorted list of versions over every connection. */
	partner(&a, "t.example");
	partner(&b, "t.example");
	with_cert(&a, "TLSv1.3", FP_A, "2030-01-01T00:00:00Z", T0 + 1000 * DAY);
	with_cert(&b, "TLSv1.3", FP_A, "2030-01-01T00:00:00Z", T0 + 1000 * DAY);
	tls_conn(&b.endpoints[0], "TLSv1.2", FP_A, "2030-01-01T00:00:00Z", T0 + 1000 * DAY);
	one_change(diff1(&a, &b, &o, &d), FS_CHANGE_TLS_OLDER, "tls_version", "TLSv1.3", "TLSv1.2, TLSv1.3",
	    FS_SEV_TLS_DOWN, "TLS version TLSv1.3 " ARROW " TLSv1.2, TLSv1.3", "TLS version: an older one appears");
	fs_diff_clear(&d);
	one_change(diff1(&b, &a, &o, &d), FS_CHANGE_TLS_NEWER, "tls_version", "TLSv1.2, TLSv1.3", "TLSv1.3",
	    FS_SEV_MINOR, "TLS version TLSv1.2, TLSv1.3 " ARROW " TLSv1.3", "TLS version: the older one is gone");
	fs_diff_clear(&d);
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);
}

static void
test_partners(void)
{
	struct fs_assessment a[2], b[2];
	struct fs_diff_opts o = opts();
	struct fs_scan_info sa, sb;
	struct fs_diff d;
	const char *f, *t;
	json_t *js, *p;
	char *txt;
	int i;

	partner(&a[0], "same.example");
	partner(&a[1], "gone.example");
	partner(&b[0], "same.example");
	partner(&b[1], "new.example");
	b[1].verdict = FS_VERDICT_UNREACHABLE;
	ok(fs_diff(a, 2, b, 2, &o, &d) == 0 && d.npartners == 2 && d.unchanged == 1, "added and removed: 2 partners");
	/* Same severity: by domain. */
	ok(strcmp(d.partners[0].domain, "gone.example") == 0 && strcmp(d.partners[1].domain, "new.example") == 0,
	    "added and removed: same severity, ordered by domain");
	one_change(&d.partners[1], FS_CHANGE_PARTNER_ADDED, "partner", NULL, "unreachable", FS_SEV_PARTNER,
	    "new partner: unreachable", "partner added");
	one_change(&d.partners[0], FS_CHANGE_PARTNER_REMOVED, "partner", "compatible", NULL, FS_SEV_PARTNER,
	    "no longer in the scan", "partner removed");
	ok(!d.partners[1].in_a && d.partners[1].in_b && d.partners[0].in_a && !d.partners[0].in_b,
	    "added and removed: in which scan");
	scans(&sa, &sb);
	txt = text_of(&sa, &sb, &d);
	is_string("fedscan diff: scan 1 (2027-01-14T08:00:00.000Z) " ARROW " scan 2 (2027-01-15T08:00:00.000Z)\n"
	    "gone.example (compatible)\n  no longer in the scan\nnew.example (unreachable)\n  new partner: unreachable\n"
	    "2 partners changed, 1 unchanged\n", txt, "added and removed: the whole text");
	free(txt);
	js = json_of(&sa, &sb, &d);
	p = json_array_get(json_object_get(js, "partners"), 1);
	ok(json_is_true(json_object_get(js, "changed")) && json_is_null(json_object_get(json_object_get(p, "verdict"),
	    "from")) && json_is_null(json_object_get(json_array_get(json_object_get(p, "changes"), 0), "from")),
	    "added: JSON changed true, no verdict and no \"from\" before (null)");
	json_decref(js);
	fs_diff_clear(&d);
	o.b_complete = false;
	ok(fs_diff(a, 2, b, 2, &o, &d) == 0 && d.npartners == 2, "B incomplete: fs_diff");
	one_change(&d.partners[0], FS_CHANGE_PARTNER_UNAUDITED, "partner", "compatible", NULL, FS_SEV_PARTNER,
	    "not audited (the newer scan is incomplete)", "missing from an incomplete scan");
	fs_diff_clear(&d);
	for (i = 0; i < 2; i++) {
		fs_assessment_clear(&a[i]);
		fs_assessment_clear(&b[i]);
	}

	/* A domain listed twice in B: its last record counts. */
	partner(&a[0], "dup.example");
	partner(&b[0], "dup.example");
	partner(&b[1], "DUP.example");
	b[1].verdict = FS_VERDICT_DEGRADED;
	ok(fs_diff(a, 1, b, 2, &o, &d) == 0 && d.npartners == 1 && strcmp(d.partners[0].domain, "DUP.example") == 0 &&
	    d.partners[0].to == FS_VERDICT_DEGRADED, "a domain twice in B (any case): its last record");
	fs_change_from_to(&d.partners[0].changes[0], &f, &t);
	ok(f != NULL && t != NULL && strcmp(t, "degraded") == 0, "a domain twice: compared as one partner");
	fs_diff_clear(&d);
	fs_assessment_clear(&a[0]);
	fs_assessment_clear(&b[0]);
	fs_assessment_clear(&b[1]);
}

static void
test_endpoints(void)
{
	struct fs_assessment a, b;
	struct fs_diff_opts o = opts();
	struct fs_diff d;
	const struct fs_diff_partner *p;
	const char *f, *t;
	char words[FS_CHANGE_TEXT];

	partner(&a, "ep.example");
	partner(&b, "ep.example");
	endpoint(&a, "xmpp1.ep.example", "192.0.2.1", 5269, true);
	endpoint(&b, "xmpp1.ep.example", "192.0.2.1", 5269, true);
	endpoint(&b, "xmpp2.ep.example", "2001:db8::2", 5270, true);
	one_change(diff1(&a, &b, &o, &d), FS_CHANGE_ENDPOINT_ADDED, "endpoint", NULL, "xmpp2.ep.example [2001:db8::2]:5270",
	    FS_SEV_MINOR, "endpoint appeared: xmpp2.ep.example [2001:db8::2]:5270", "endpoint added");
	fs_diff_clear(&d);
	one_change(diff1(&b, &a, &o, &d), FS_CHANGE_ENDPOINT_REMOVED, "endpoint", "xmpp2.ep.example [2001:db8::2]:5270",
	    NULL, FS_SEV_ENDPOINT, "endpoint vanished: xmpp2.ep.example [2001:db8::2]:5270", "endpoint removed");
	fs_diff_clear(&d);
	fs_assessment_clear(&a);

	/* Two gone at once: one change listing both; one that stopped answering. */
	partner(&a, "ep.example");
	endpoint(&a, "xmpp1.ep.example", "192.0.2.1", 5269, true);
	endpoint(&a, "xmpp2.ep.example", "2001:db8::2", 5270, true);
	endpoint(&a, "xmpp3.ep.example", "192.0.2.3", 5269, true);
	endpoint(&a, "xmpp4.ep.example", "192.0.2.4", 5269, true);
	fs_assessment_clear(&b);
	partner(&b, "ep.example");
	endpoint(&b, "xmpp1.ep.example", "192.0.2.1", 5269, false);
	endpoint(&b, "xmpp2.ep.example", "2001:db8::2", 5270, true);
	p = diff1(&a, &b, &o, &d);
	ok(p != NULL && p->nchanges == 2 && p->changes[0].kind == FS_CHANGE_ENDPOINT_REMOVED &&
	    p->changes[0].count == 2 && p->changes[1].kind == FS_CHANGE_ENDPOINT_DOWN,
	    "two endpoints gone and one down: two changes, gone first");
	if (p != NULL && p->nchanges == 2) {
		fs_change_text(&p->changes[0], words, sizeof(words));
		is_string("endpoints vanished: xmpp3.ep.example [192.0.2.3]:5269, xmpp4.ep.example [192.0.2.4]:5269", words,
		    "two endpoints gone: both named, plural");
		fs_change_text(&p->changes[1], words, sizeof(words));
		is_string("endpoint no longer answers: xmpp1.ep.example [192.0.2.1]:5269", words, "endpoint down: in words");
		fs_change_from_to(&p->changes[1], &f, &t);
		ok(strcmp(fs_change_what(&p->changes[1]), "reachable") == 0 && t == NULL &&
		    strcmp(f, "xmpp1.ep.example [192.0.2.1]:5269") == 0, "endpoint down: what reachable, from the endpoint");
	}
	fs_diff_clear(&d);
	ok(diff1(&b, &b, &o, &d) == NULL && d.unchanged == 1, "the same endpoints: no change");
	fs_diff_clear(&d);
	fs_assessment_clear(&a);
	/* Answers again. */
	partner(&a, "ep.example");
	endpoint(&a, "xmpp1.ep.example", "192.0.2.1", 5269, true);
	endpoint(&a, "xmpp2.ep.example", "2001:db8::2", 5270, true);
	one_change(diff1(&b, &a, &o, &d), FS_CHANGE_ENDPOINT_UP, "reachable", NULL, "xmpp1.ep.example [192.0.2.1]:5269",
	    FS_SEV_MINOR, "endpoint answers again: xmpp1.ep.example [192.0.2.1]:5269", "endpoint up");
	fs_diff_clear(&d);
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);
}

/*
 * A partner's words (its domain as recorded, host names from DNS, the certificate's dates, its reasons) are
 * carried as they are: never a format, not compared where the diff does not look (reasons), made terminal-safe
 * only by the text writer, and escaped only by JSON.
 */
static void
test_hostile(void)
{
	static const char evil_reason[] = "%s%n%x \x1b[2J\x1b]0;pwned\x07 \xe2\x80\xae" "evil <b>";
	static const char evil_host[] = "%n%s.\x1b[31m\xe2\x80\xae.example";
	static const char evil_date[] = "2027-01-20%n\x1b[0m";
	struct fs_assessment a, b;
	struct fs_diff_opts o = opts();
	struct fs_scan_info sa, sb;
	struct fs_diff d;
	const struct fs_diff_partner *p;
	const json_t *c;
	char want[512], *txt;
	json_t *js;

	partner(&a, "h.example");
	partner(&b, "h.example");
	fs_assess_reason(&a, FS_R_OTHER, FS_P_OTHER, "fine");
	fs_assess_reason(&b, FS_R_OTHER, FS_P_OTHER, evil_reason);
	ok(diff1(&a, &b, &o, &d) == NULL && d.unchanged == 1, "hostile reason: reasons are not compared, no change");
	fs_diff_clear(&d);

	b.verdict = FS_VERDICT_DEGRADED;
	endpoint(&b, evil_host, "192.0.2.9", 5269, true);
	o.at_a = T0 - 30 * DAY;
	with_cert(&a, "TLSv1.3", FP_A, evil_date, T0 + 5 * DAY);
	tls_conn(&b.endpoints[0], "TLSv1.3", FP_A, evil_date, T0 + 5 * DAY);
	p = diff1(&a, &b, &o, &d);
	/* verdict (80), the old endpoint gone (60), expiring (55), the hostile endpoint new (20) */
	ok(p != NULL && p->nchanges == 4 && p->changes[2].kind == FS_CHANGE_CERT_EXPIRING &&
	    p->changes[3].kind == FS_CHANGE_ENDPOINT_ADDED, "hostile words: verdict, endpoint and expiry changes");
	snprintf(want, sizeof(want), "%s [192.0.2.9]:5269", evil_host);
	ok(p != NULL && p->nchanges == 4 && strcmp(p->changes[3].to, want) == 0,
	    "hostile host name: carried byte for byte in the change");
	ok(p != NULL && p->nchanges == 4 && strcmp(p->changes[2].expires, evil_date) == 0,
	    "hostile certificate date: carried byte for byte");
	scans(&sa, &sb);
	txt = text_of(&sa, &sb, &d);
	ok(txt != NULL && strchr(txt, '\x1b') == NULL && strstr(txt, "\xe2\x80\xae") == NULL &&
	    strstr(txt, "endpoint appeared: %n%s.?[31m?.example [192.0.2.9]:5269\n") != NULL &&
	    strstr(txt, "(2027-01-20%n?[0m)\n") != NULL, "hostile words in the text: no ESC, no bidi override, %%n as is");
	free(txt);
	js = json_of(&sa, &sb, &d);
	c = json_array_get(json_object_get(json_array_get(json_object_get(js, "partners"), 0), "changes"), 3);
	ok(c != NULL && strcmp(json_string_value(json_object_get(c, "to")), want) == 0 &&
	    strstr(json_string_value(json_object_get(c, "text")), want) != NULL,
	    "hostile words in the JSON: exact (JSON escaping only)");
	json_decref(js);
	fs_diff_clear(&d);
	fs_assessment_clear(&a);
	fs_assessment_clear(&b);
}

/* Several changes: the most serious first within a partner, and partners by their most serious change. */
static void
test_order(void)
{
	struct fs_assessment a[2], b[2];
	struct fs_diff_opts o = opts();
	struct fs_diff d;
	const struct fs_diff_partner *p;
	size_t i;
	int sorted = 1;

	partner(&a[0], "a.example");
	partner(&b[0], "a.example");
	b[0].eff.s.tls = FS_LEVEL_OPTIONAL;                  /* 50 */
	endpoint(&b[0], "new.a.example", "192.0.2.1", 5269, true);   /* 20 */
	partner(&a[1], "z.example");
	partner(&b[1], "z.example");
	b[1].verdict = FS_VERDICT_INCOMPATIBLE;             /* 100 */
	b[1].negotiated = 0;                                /* 95 */
	b[1].eff.s.sasl = FS_LEVEL_REQUIRED;                /* 50 */
	ok(fs_diff(a, 2, b, 2, &o, &d) == 0 && d.npartners == 2, "order: two partners changed");
	ok(strcmp(d.partners[0].domain, "z.example") == 0 && d.partners[0].severity == FS_SEV_BROKEN &&
	    d.partners[1].severity == FS_SEV_SETTING, "order: the most serious partner first, whatever its name");
	for (p = d.partners; p < d.partners + d.npartners; p++)
		for (i = 1; i < p->nchanges; i++)
			sorted = sorted && p->changes[i - 1].severity >= p->changes[i].severity;
	ok(sorted && d.partners[0].changes[0].kind == FS_CHANGE_VERDICT_WORSE &&
	    d.partners[0].changes[1].kind == FS_CHANGE_METHOD_NONE, "order: changes the most serious first");
	is_string("critical", fs_diff_level(d.partners[0].severity), "order: a broken partner is critical");
	fs_diff_clear(&d);
	for (i = 0; i < 2; i++) {
		fs_assessment_clear(&a[i]);
		fs_assessment_clear(&b[i]);
	}
}

int
main(void)
{
	test_nothing();
	test_verdict();
	test_method();
	test_settings();
	test_certificates();
	test_partners();
	test_endpoints();
	test_hostile();
	test_order();
	return done_testing();
}
