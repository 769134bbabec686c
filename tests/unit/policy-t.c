/*
 * policy-t.c: fs_negotiate, fs_policy_compat and fs_policy_verdict against an
 * independent computation from the matrix typed here from
 * data/negotiation-matrix.tsv and from fedscan(1)'s verdict words:
 * compatible = negotiates the best method the local policy allows; degraded =
 * a weaker method than the local policy prefers (or a problem that will bite);
 * incompatible = no common method.
 */
#include <stdio.h>
#include <string.h>

#include "fedscan/infer.h"
#include "fedscan/matrix.h"
#include "fedscan/policy.h"
#include "fedscan/settings.h"
#include "tap/basic.h"

/* The complete matrix, typed from the TSV: tls, sasl, dialback, methods in preference order. */
static const struct {
	const char *tls, *sasl, *dialback, *methods;
} tsv[18] = {
	/* 1 */ { "Required", "Required", "True", "SASL over TLS" },
	/* 2 */ { "Required", "Required", "False", "SASL over TLS" },
	/* 3 */ { "Optional", "Required", "True", "SASL over TLS, TLS Dialback, TCP Dialback" },
	/* 4 */ { "Optional", "Required", "False", "SASL over TLS" },
	/* 5 */ { "NotSupported", "Required", "True", "TCP Dialback" },
	/* 6 */ { "NotSupported", "Required", "False", "" },
	/* 7 */ { "Required", "Optional", "True", "SASL over TLS, TLS Dialback" },
	/* 8 */ { "Required", "Optional", "False", "SASL over TLS" },
	/* 9 */ { "Optional", "Optional", "True", "SASL over TLS, TLS Dialback, TCP Dialback" },
	/* 10 */ { "Optional", "Optional", "False", "SASL over TLS" },
	/* 11 */ { "NotSupported", "Optional", "True", "TCP Dialback" },
	/* 12 */ { "NotSupported", "Optional", "False", "" },
	/* 13 */ { "Required", "NotSupported", "True", "TLS Dialback" },
	/* 14 */ { "Required", "NotSupported", "False", "" },
	/* 15 */ { "Optional", "NotSupported", "True", "TLS Dialback, TCP Dialback" },
	/* 16 */ { "Optional", "NotSupported", "False", "" },
	/* 17 */ { "NotSupported", "NotSupported", "True", "TCP Dialback" },
	/* 18 */ { "NotSupported", "NotSupported", "False", "" },
};

/* The contract's preference order and its words, typed again. */
static const struct {
	const char *name;
	enum fs_method m;
} pref[3] = {
	{ "SASL over TLS", FS_METHOD_SASL_TLS },
	{ "TLS Dialback", FS_METHOD_TLS_DIALBACK },
	{ "TCP Dialback", FS_METHOD_TCP_DIALBACK },
};

static enum fs_level
lvl(const char *s)
{
	if (strcmp(s, "Required") == 0)
		return FS_LEVEL_REQUIRED;
	if (strcmp(s, "Optional") == 0)
		return FS_LEVEL_OPTIONAL;
	if (strcmp(s, "NotSupported") == 0)
		return FS_LEVEL_NOTSUPPORTED;
	return FS_LEVEL_UNKNOWN;
}

static struct fs_setting
row_setting(int row)
{
	struct fs_setting s;

	s.tls = lvl(tsv[row - 1].tls);
	s.sasl = lvl(tsv[row - 1].sasl);
	s.dialback = strcmp(tsv[row - 1].dialback, "True") == 0 ? FS_DIALBACK_TRUE : FS_DIALBACK_FALSE;
	return s;
}

static bool
has(int row, int k)
{
	return strstr(tsv[row - 1].methods, pref[k].name) != NULL;
}

static unsigned
methods(int row)
{
	unsigned m = 0;
	int k;

	for (k = 0; k < 3; k++)
		if (has(row, k))
			m |= pref[k].m;
	return m;
}

/* The first method, in preference order, in both rows' typed sets. */
static enum fs_method
expect_negotiate(int a, int b)
{
	int k;

	for (k = 0; k < 3; k++)
		if (has(a, k) && has(b, k))
			return pref[k].m;
	return 0;
}

/* The local policy's best method (the first of its typed set). */
static enum fs_method
local_best(int a)
{
	int k;

	for (k = 0; k < 3; k++)
		if (has(a, k))
			return pref[k].m;
	return 0;
}

static enum fs_verdict
expect_verdict(int local, enum fs_method neg)
{
	if (neg == 0)
		return FS_VERDICT_INCOMPATIBLE;
	return neg == local_best(local) ? FS_VERDICT_COMPATIBLE : FS_VERDICT_DEGRADED;
}

static const char *
mname(enum fs_method m)
{
	return m == 0 ? "none" : fs_method_name(m);
}

static bool
has_reason(const struct fs_compat *c, const char *sub)
{
	unsigned i;

	for (i = 0; i < c->nreasons; i++)
		if (strstr(c->reasons[i], sub) != NULL)
			return true;
	return false;
}

static void
dump(const struct fs_compat *c)
{
	unsigned i;

	diag("  verdict %s, negotiated %s, row %d, methods %#x, depends %d", fs_verdict_name(c->verdict),
	    mname(c->negotiated), c->row, c->methods, c->depends);
	for (i = 0; i < c->nreasons; i++)
		diag("  reason: %s", c->reasons[i]);
}

/* ---- complete settings: all 324 pairs ---- */

static void
test_pairs(void)
{
	int a, b, bad_rows = 0;

	for (a = 1; a <= 18; a++) {
		struct fs_setting s = row_setting(a);
		const struct fs_matrix_row *mr = fs_policy_row(&s);
		if (mr == NULL || mr->row != a || mr->methods != methods(a))
			bad_rows++;
	}
	is_int(0, bad_rows, "every typed row maps to the same matrix row and method set");

	for (a = 1; a <= 18; a++)
		for (b = 1; b <= 18; b++) {
			struct fs_setting l = row_setting(a), p = row_setting(b);
			enum fs_method want = expect_negotiate(a, b), got = fs_negotiate(&l, &p);
			ok(want == got, "negotiate row %d (%s/%s/%s) x row %d (%s/%s/%s) = %s", a, tsv[a - 1].tls,
			    tsv[a - 1].sasl, tsv[a - 1].dialback, b, tsv[b - 1].tls, tsv[b - 1].sasl, tsv[b - 1].dialback,
			    mname(want));
			if (want != got)
				diag("  got %s", mname(got));
		}

	for (a = 1; a <= 18; a++)
		for (b = 1; b <= 18; b++) {
			struct fs_setting l = row_setting(a), p = row_setting(b);
			struct fs_compat c;
			enum fs_method neg = expect_negotiate(a, b);
			enum fs_verdict v = expect_verdict(a, neg);
			bool good;

			fs_policy_compat(&l, &p, &c);
			good = c.verdict == v && c.negotiated == neg && c.row == b && c.methods == methods(b) && !c.depends &&
			    (v == FS_VERDICT_COMPATIBLE ? c.nreasons == 0 : c.nreasons > 0);
			ok(good, "compat local row %d x partner row %d: %s, %s, partner row %d, %s", a, b,
			    fs_verdict_name(v), mname(neg), b, v == FS_VERDICT_COMPATIBLE ? "no reason" : "a reason");
			if (!good)
				dump(&c);
		}
}

static void
test_compat_reasons(void)
{
	struct fs_setting l = row_setting(7), p = row_setting(13);
	struct fs_compat c;

	/* Local R/O/True prefers SASL over TLS; a Required/NotSupported/True partner gives TLS Dialback. */
	fs_policy_compat(&l, &p, &c);
	is_string("degraded", fs_verdict_name(c.verdict), "row 7 x row 13: degraded");
	ok(has_reason(&c, "TLS Dialback") && has_reason(&c, "SASL over TLS"),
	    "row 7 x row 13: the reason names the negotiated and the preferred method");

	l = row_setting(13);
	p = row_setting(17);
	fs_policy_compat(&l, &p, &c);
	is_string("incompatible", fs_verdict_name(c.verdict), "row 13 x row 17: incompatible (TLS vs no TLS)");
	ok(has_reason(&c, "no common method"), "row 13 x row 17: the reason says no common method");
}

/* ---- Unknowns ---- */

static void
test_unknown_examples(void)
{
	struct fs_setting l, p;
	struct fs_compat c;
	const char *n;

	/* The brief's example: SASL Unknown (Prosody hides EXTERNAL), TLS Required, Dialback True. */
	p.tls = FS_LEVEL_REQUIRED;
	p.sasl = FS_LEVEL_UNKNOWN;
	p.dialback = FS_DIALBACK_TRUE;

	n = "R/Unknown/True vs local row 1 (R/R/True)";
	l = row_setting(1);
	fs_policy_compat(&l, &p, &c);
	dump(&c);
	ok(c.depends, "%s: depends", n);
	is_int(0, c.negotiated, "%s: no single negotiated method", n);
	is_int(0, c.row, "%s: no partner row", n);
	ok(has_reason(&c, "SASL"), "%s: the reason names SASL", n);
	ok(c.verdict != FS_VERDICT_COMPATIBLE, "%s: not reported compatible", n);
	/* Candidates rows 7 {SASL, TLS DB} and 13 {TLS DB} ((R, R, True) is never a partner). */
	is_int(FS_METHOD_TLS_DIALBACK, c.methods, "%s: methods every candidate has = TLS Dialback", n);

	n = "R/Unknown/True vs local row 13 (R/NS/True)";
	l = row_setting(13);
	fs_policy_compat(&l, &p, &c);
	dump(&c);
	ok(!c.depends, "%s: does not depend (TLS Dialback regardless)", n);
	is_string("TLS Dialback", mname(c.negotiated), "%s: negotiates TLS Dialback", n);
	is_string("compatible", fs_verdict_name(c.verdict), "%s: compatible", n);

	n = "O/O/Unknown vs local row 9 (O/O/True)";
	p.tls = FS_LEVEL_OPTIONAL;
	p.sasl = FS_LEVEL_OPTIONAL;
	p.dialback = FS_DIALBACK_UNKNOWN;
	l = row_setting(9);
	fs_policy_compat(&l, &p, &c);
	dump(&c);
	ok(!c.depends && c.negotiated == FS_METHOD_SASL_TLS && c.verdict == FS_VERDICT_COMPATIBLE,
	    "%s: SASL over TLS either way, compatible", n);

	n = "O/O/Unknown vs local row 17 (NS/NS/True)";
	l = row_setting(17);
	fs_policy_compat(&l, &p, &c);
	dump(&c);
	ok(c.depends && has_reason(&c, "Dialback"), "%s: depends on Dialback", n);

	n = "Unknown/Unknown/Unknown vs local row 18 (invalid)";
	p.tls = FS_LEVEL_UNKNOWN;
	p.sasl = FS_LEVEL_UNKNOWN;
	p.dialback = FS_DIALBACK_UNKNOWN;
	l = row_setting(18);
	fs_policy_compat(&l, &p, &c);
	dump(&c);
	ok(!c.depends && c.negotiated == 0 && c.verdict == FS_VERDICT_INCOMPATIBLE,
	    "%s: incompatible whatever the partner is", n);

	/*
	 * TLS NotSupported, the rest Unknown: the candidates that can run are rows
	 * 11 and 17 (TCP Dialback). Row 5 (NS/R/True) is never a partner, and rows
	 * 6, 12 and 18 accept nothing; policy.c drops such rows, except the first
	 * one it meets (row 6 here), so a TCP-dialback local policy must be
	 * compatible whatever the Unknowns are.
	 */
	n = "NotSupported/Unknown/Unknown vs local row 17 (NS/NS/True)";
	p.tls = FS_LEVEL_NOTSUPPORTED;
	p.sasl = FS_LEVEL_UNKNOWN;
	p.dialback = FS_DIALBACK_UNKNOWN;
	l = row_setting(17);
	fs_policy_compat(&l, &p, &c);
	dump(&c);
	ok(!c.depends, "%s: does not depend (every runnable candidate gives TCP Dialback)", n);
	is_string("compatible", fs_verdict_name(c.verdict), "%s: compatible", n);
	is_string("TCP Dialback", mname(c.negotiated), "%s: TCP Dialback", n);

	n = "an incomplete local setting";
	l.tls = FS_LEVEL_REQUIRED;
	l.sasl = FS_LEVEL_UNKNOWN;
	l.dialback = FS_DIALBACK_TRUE;
	p = row_setting(7);
	fs_policy_compat(&l, &p, &c);
	is_string("error", fs_verdict_name(c.verdict), "%s: error", n);
	is_int(0, fs_negotiate(&l, &p), "%s: fs_negotiate gives nothing", n);
}

/*
 * Every partial partner setting against every local row, from the rule in
 * doc/inference-rules.md#normalisation: the candidates are the complete settings that fit the
 * known fields, never (SASL Required, Dialback True) when SASL is Unknown, and
 * (policy.c: "invalid rows cannot run") without the rows that
 * accept nothing, unless every candidate is such a row. depends = the
 * candidates negotiate different methods; the verdict is the worst one.
 */
static void
test_unknown_all(void)
{
	static const enum fs_level lv[4] = { FS_LEVEL_UNKNOWN, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL,
		FS_LEVEL_NOTSUPPORTED };
	static const enum fs_dialback dv[3] = { FS_DIALBACK_UNKNOWN, FS_DIALBACK_TRUE, FS_DIALBACK_FALSE };
	int ti, si, di, a, b, nbad = 0, ncases = 0;

	for (ti = 0; ti < 4; ti++)
	for (si = 0; si < 4; si++)
	for (di = 0; di < 3; di++) {
		struct fs_setting p = { lv[ti], lv[si], dv[di] };
		int cand[18], ncand = 0, nvalid = 0;

		if (ti && si && di)
			continue;  /* complete: test_pairs */
		for (b = 1; b <= 18; b++) {
			struct fs_setting s = row_setting(b);
			if ((p.tls && s.tls != p.tls) || (p.sasl && s.sasl != p.sasl) ||
			    (p.dialback && s.dialback != p.dialback))
				continue;
			if (!p.sasl && s.sasl == FS_LEVEL_REQUIRED && s.dialback == FS_DIALBACK_TRUE)
				continue;
			cand[ncand++] = b;
			if (methods(b) != 0)
				nvalid++;
		}
		for (a = 1; a <= 18; a++) {
			struct fs_setting l = row_setting(a);
			struct fs_compat c;
			enum fs_method first = 0;
			enum fs_verdict worst = FS_VERDICT_COMPATIBLE;
			unsigned common = FS_METHOD_ALL;
			bool depends = false, seen = false, good;
			int k;

			for (k = 0; k < ncand; k++) {
				enum fs_method m;
				enum fs_verdict v;
				if (nvalid > 0 && methods(cand[k]) == 0)
					continue;
				m = expect_negotiate(a, cand[k]);
				v = expect_verdict(a, m);
				if (!seen)
					first = m;
				else if (m != first)
					depends = true;
				seen = true;
				if (v > worst)
					worst = v;
				common &= methods(cand[k]);
			}
			fs_policy_compat(&l, &p, &c);
			good = c.depends == depends && c.verdict == worst && c.row == 0 &&
			    (depends ? c.negotiated == 0 : c.negotiated == first) && c.methods == common;
			ncases++;
			if (!good) {
				nbad++;
				diag("partner %s/%s/%s vs local row %d: want depends %d %s %s methods %#x", fs_level_name(p.tls),
				    fs_level_name(p.sasl), fs_dialback_name(p.dialback), a, depends,
				    fs_verdict_name(worst), mname(depends ? 0 : first), common);
				dump(&c);
			}
		}
	}
	ok(nbad == 0, "every partial partner x every local row (%d cases) matches the candidate rule (%d differ)", ncases,
	    nbad);
}

/* ---- the full verdict ---- */

static void
inf_of(struct fs_inference *inf, int row)
{
	memset(inf, 0, sizeof(*inf));
	inf->s = row_setting(row);
	inf->reachable = inf->connected = true;
	inf->tls_conf = inf->sasl_conf = inf->dialback_conf = FS_CONF_HIGH;
}

static void
test_verdict(void)
{
	struct fs_setting l;
	struct fs_inference inf;
	struct fs_compat c;
	const char *n;
	int b, nbad;

	n = "unreachable partner";
	memset(&inf, 0, sizeof(inf));
	FS_EV_SET(inf.error, "[192.0.2.10]:5269: cannot connect: Connection refused");
	l = row_setting(7);
	fs_policy_verdict(&l, &inf, &c);
	is_string("unreachable", fs_verdict_name(c.verdict), "%s: verdict unreachable", n);
	ok(has_reason(&c, "Connection refused"), "%s: the reason is the inference's error", n);
	is_int(0, c.negotiated, "%s: nothing negotiated", n);

	n = "compatible partner, no problems";
	inf_of(&inf, 7);
	fs_policy_verdict(&l, &inf, &c);
	is_string("compatible", fs_verdict_name(c.verdict), "%s: compatible", n);
	is_string("SASL over TLS", mname(c.negotiated), "%s: SASL over TLS", n);
	is_int(0, c.nreasons, "%s: no reasons", n);

	n = "certificate problem with SASL over TLS negotiated";
	inf_of(&inf, 7);
	inf.cert_problem = true;
	inf.nproblems = 1;
	FS_EV_SET(inf.problems[0], "[192.0.2.10]:5269: certificate expired on 2025-12-01T00:00:00Z");
	inf.problem_codes[0] = FS_P_CERT;
	fs_policy_verdict(&l, &inf, &c);
	dump(&c);
	is_string("degraded", fs_verdict_name(c.verdict), "%s: degraded", n);
	is_string("SASL over TLS", mname(c.negotiated), "%s: the settings still negotiate SASL over TLS", n);
	ok(has_reason(&c, "SASL over TLS will fail") || has_reason(&c, "SASL"), "%s: a reason says SASL will fail", n);
	ok(has_reason(&c, "certificate expired"), "%s: the certificate problem is a reason", n);

	n = "certificate problem with only TCP Dialback negotiated";
	l = row_setting(17);
	inf_of(&inf, 17);
	inf.cert_problem = true;
	inf.nproblems = 1;
	FS_EV_SET(inf.problems[0], "[192.0.2.10]:5269: certificate expired on 2025-12-01T00:00:00Z");
	inf.problem_codes[0] = FS_P_CERT;
	fs_policy_verdict(&l, &inf, &c);
	dump(&c);
	is_string("compatible", fs_verdict_name(c.verdict), "%s: compatible (no TLS is used)", n);

	n = "certificate problem, cert_required, TLS Dialback negotiated";
	l = row_setting(13);
	inf_of(&inf, 13);
	inf.cert_problem = true;
	inf.cert_required = true;
	fs_policy_verdict(&l, &inf, &c);
	dump(&c);
	is_string("degraded", fs_verdict_name(c.verdict), "%s: degraded (every method needs certificates)", n);

	n = "local NotSupported/NotSupported/False";
	l = row_setting(18);
	nbad = 0;
	for (b = 1; b <= 18; b++) {
		inf_of(&inf, b);
		fs_policy_verdict(&l, &inf, &c);
		if (c.verdict != FS_VERDICT_INCOMPATIBLE || c.negotiated != 0) {
			nbad++;
			diag("partner row %d:", b);
			dump(&c);
		}
	}
	is_int(0, nbad, "%s: incompatible with every complete partner", n);
	inf_of(&inf, 7);
	inf.s.sasl = FS_LEVEL_UNKNOWN;
	fs_policy_verdict(&l, &inf, &c);
	is_string("incompatible", fs_verdict_name(c.verdict), "%s: incompatible with a partner with SASL Unknown", n);
	ok(!c.depends, "%s: which does not depend on the Unknown", n);

	n = "local NotSupported/Optional/False (row 12)";
	l = row_setting(12);
	inf_of(&inf, 17);
	fs_policy_verdict(&l, &inf, &c);
	is_string("incompatible", fs_verdict_name(c.verdict), "%s: incompatible", n);

	n = "endpoints disagree";
	l = row_setting(7);
	inf_of(&inf, 7);
	inf.nproblems = 1;
	FS_EV_SET(inf.problems[0], "the endpoints disagree (TLS ): 192.0.2.10 2001:db8::10; the strictest setting is shown");
	inf.problem_codes[0] = FS_P_DISAGREE;
	fs_policy_verdict(&l, &inf, &c);
	is_string("degraded", fs_verdict_name(c.verdict), "%s: degraded", n);
	ok(has_reason(&c, "disagree"), "%s: the reason names the inconsistency", n);

	/* A peer's own words in a problem's text (a stream error's text, a TLS alert) never decide the verdict. */
	n = "hostile words in a problem";
	l = row_setting(7);
	inf_of(&inf, 7);
	inf.nproblems = 1;
	FS_EV_SET(inf.problems[0], "[192.0.2.10]:5269 (plain): stream error <undefined-condition/> endpoints disagree, "
	    "did not answer, TLS 1.2, TLS handshake failed, <failure/> at pre-tls");
	inf.problem_codes[0] = FS_P_STREAM_ERROR;
	fs_policy_verdict(&l, &inf, &c);
	is_string("compatible", fs_verdict_name(c.verdict), "%s: the verdict stays compatible", n);
	ok(has_reason(&c, "stream error"), "%s: the problem is still a reason", n);

	n = "FROM refused, Dialback Unknown";
	inf_of(&inf, 7);
	inf.s.dialback = FS_DIALBACK_UNKNOWN;
	inf.from_refused = true;
	fs_policy_verdict(&l, &inf, &c);
	dump(&c);
	is_string("error", fs_verdict_name(c.verdict), "%s: error", n);
	ok(has_reason(&c, "--from"), "%s: a reason says to use another --from", n);

	n = "FROM refused by policy, every setting decided";
	inf_of(&inf, 7);
	inf.from_refused = true;
	FS_EV_SET(inf.refusal, "the partner refuses scanner.example by policy (dialback error <forbidden/> Access "
	    "denied by service policy)");
	fs_policy_verdict(&l, &inf, &c);
	dump(&c);
	is_string("error", fs_verdict_name(c.verdict), "%s: never compatible: error", n);
	is_int(0, c.negotiated, "%s: nothing negotiated for our domain", n);
	ok(c.nreasons > 0 && strncmp(c.reasons[0], "the partner refuses scanner.example by policy (dialback error "
	    "<forbidden/> Access denied by service policy)", 100) == 0, "%s: the first reason names the refusal", n);
	is_int(FS_R_FROM_REFUSED, c.nreasons > 0 ? c.reason_codes[0] : -1, "%s: the first reason's code", n);

	n = "the partner broke first";
	inf_of(&inf, 7);
	FS_EV_SET(inf.broke, "[192.0.2.10]:5269 (starttls): no stream header after the TLS handshake: silent until our "
	    "timeout, 5.0 s after connecting");
	fs_policy_verdict(&l, &inf, &c);
	is_string("error", fs_verdict_name(c.verdict), "%s: error, not compatible", n);
	ok(c.nreasons > 0 && strstr(c.reasons[0], "what broke first: [192.0.2.10]:5269 (starttls): no stream header "
	    "after the TLS handshake") == c.reasons[0], "%s: the first reason says what broke, where and when", n);
	is_int(FS_R_BROKE, c.nreasons > 0 ? c.reason_codes[0] : -1, "%s: its code", n);

	n = "TLS required but the handshake fails";
	inf_of(&inf, 7);
	inf.tls_failed = true;
	fs_policy_verdict(&l, &inf, &c);
	is_string("error", fs_verdict_name(c.verdict), "%s: error", n);
	is_int(0, c.negotiated, "%s: nothing negotiated", n);

	n = "SASL Unknown: the reason carries the inference's";
	inf_of(&inf, 7);
	inf.s.sasl = FS_LEVEL_UNKNOWN;
	FS_EV_SET(inf.sasl_unknown, "rerun with --client-cert");
	fs_policy_verdict(&l, &inf, &c);
	ok(has_reason(&c, "--client-cert"), "%s", n);
}

int
main(void)
{
	test_pairs();
	test_compat_reasons();
	test_unknown_examples();
	test_unknown_all();
	test_verdict();
	return done_testing();
}
