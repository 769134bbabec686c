/* matrix-t.c: the generated matrix against values typed here from data/negotiation-matrix.tsv. */
#include <stdio.h>
#include <string.h>

#include "fedscan/matrix.h"
#include "fedscan/settings.h"
#include "tap/basic.h"

/*
 * Typed by hand from the TSV (the Lync 2013 "complete" matrix), so that a
 * generator bug and a data edit both show up here. Methods are written as in
 * the TSV: in preference order, ", " between them.
 */
static const struct {
	const char *tls, *sasl, *dialback;
	const char *methods[3];         /* NULL-terminated when shorter */
	const char *verdict;
	const char *meaning;
} want[FS_MATRIX_ROWS] = {
	/* 1 */ { "Required", "Required", "True", { "SASL over TLS" }, "warning",
		"Dialback will not operate if both SASL and TLS are required." },
	/* 2 */ { "Required", "Required", "False", { "SASL over TLS" }, "ok", "" },
	/* 3 */ { "Optional", "Required", "True", { "SASL over TLS", "TLS Dialback", "TCP Dialback" }, "warning",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 4 */ { "Optional", "Required", "False", { "SASL over TLS" }, "warning",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 5 */ { "NotSupported", "Required", "True", { "TCP Dialback" }, "warning",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 6 */ { "NotSupported", "Required", "False", { NULL }, "invalid",
		"Because SASL requires TLS, and TLS is not available, SASL/TLS cannot succeed. "
		"TCP Dialback is set to false, and cannot be used." },
	/* 7 */ { "Required", "Optional", "True", { "SASL over TLS", "TLS Dialback" }, "ok", "" },
	/* 8 */ { "Required", "Optional", "False", { "SASL over TLS" }, "ok", "" },
	/* 9 */ { "Optional", "Optional", "True", { "SASL over TLS", "TLS Dialback", "TCP Dialback" }, "warning",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 10 */ { "Optional", "Optional", "False", { "SASL over TLS" }, "warning",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 11 */ { "NotSupported", "Optional", "True", { "TCP Dialback" }, "warning",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 12 */ { "NotSupported", "Optional", "False", { NULL }, "invalid",
		"SASL requires TLS. Allowing TLS to be optional may result in failed session negotiations." },
	/* 13 */ { "Required", "NotSupported", "True", { "TLS Dialback" }, "note",
		"Configuration allows for TLS Dialback." },
	/* 14 */ { "Required", "NotSupported", "False", { NULL }, "invalid", "SASL or Dialback must be enabled." },
	/* 15 */ { "Optional", "NotSupported", "True", { "TLS Dialback", "TCP Dialback" }, "note",
		"Based on negotiation choices of the other end point, TCP or TLS Dialback will be accepted." },
	/* 16 */ { "Optional", "NotSupported", "False", { NULL }, "invalid", "SASL or Dialback must be enabled." },
	/* 17 */ { "NotSupported", "NotSupported", "True", { "TCP Dialback" }, "note",
		"TCP Dialback is the only negotiation method available." },
	/* 18 */ { "NotSupported", "NotSupported", "False", { NULL }, "invalid", "SASL or Dialback must be enabled." },
};

/* The contract's preference order, typed again rather than taken from the library. */
static const char *const preference[] = { "SASL over TLS", "TLS Dialback", "TCP Dialback" };

static int
typed_has(int row, const char *method)
{
	int i;

	for (i = 0; i < 3 && want[row - 1].methods[i] != NULL; i++)
		if (strcmp(want[row - 1].methods[i], method) == 0)
			return 1;
	return 0;
}

/* The expected outcome of two rows, from the typed sets only: the first preferred method in both. */
static const char *
typed_negotiate(int a, int b)
{
	size_t i;

	for (i = 0; i < sizeof(preference) / sizeof(preference[0]); i++)
		if (typed_has(a, preference[i]) && typed_has(b, preference[i]))
			return preference[i];
	return NULL;
}

static void
typed_methods(int row, char *buf, size_t len)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < 3 && want[row - 1].methods[i] != NULL; i++) {
		if (i > 0)
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, want[row - 1].methods[i], len - strlen(buf) - 1);
	}
}

/* A row's method bits as the TSV spells them, in preference order. */
static void
row_methods(const struct fs_matrix_row *r, char *buf, size_t len)
{
	static const enum fs_method bits[] = {
		FS_METHOD_SASL_TLS, FS_METHOD_TLS_DIALBACK, FS_METHOD_TCP_DIALBACK,
	};
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(r->methods & (unsigned)bits[i]))
			continue;
		if (buf[0] != '\0')
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, fs_method_name(bits[i]), len - strlen(buf) - 1);
	}
}

static const struct fs_matrix_row *
row(int n)
{
	return &fs_matrix[n - 1];
}

static void
test_rows(void)
{
	char got[128], typed[128];
	int n;

	for (n = 1; n <= FS_MATRIX_ROWS; n++) {
		const struct fs_matrix_row *r = row(n);
		struct fs_setting s;

		is_int(n, r->row, "row %d is numbered %d", n, n);
		is_string(want[n - 1].tls, fs_level_name(r->setting.tls), "row %d TLS", n);
		is_string(want[n - 1].sasl, fs_level_name(r->setting.sasl), "row %d SASL", n);
		is_string(want[n - 1].dialback, fs_dialback_name(r->setting.dialback), "row %d Dialback", n);
		row_methods(r, got, sizeof(got));
		typed_methods(n, typed, sizeof(typed));
		is_string(typed, got, "row %d methods", n);
		ok((r->methods & ~(unsigned)FS_METHOD_ALL) == 0, "row %d has no stray method bits", n);
		is_string(want[n - 1].verdict, fs_config_verdict_name(r->verdict), "row %d verdict", n);
		is_string(want[n - 1].meaning, r->meaning, "row %d meaning", n);

		/* Lookup by the typed words, through the parsers a policy file uses. */
		ok(fs_level_parse(want[n - 1].tls, &s.tls) == 0 &&
		    fs_level_parse(want[n - 1].sasl, &s.sasl) == 0 &&
		    fs_dialback_parse(want[n - 1].dialback, &s.dialback) == 0 &&
		    fs_policy_row(&s) == r, "fs_policy_row(%s/%s/%s) is row %d",
		    want[n - 1].tls, want[n - 1].sasl, want[n - 1].dialback, n);
	}
}

static void
test_protocol_facts(void)
{
	int n, required = 0, clean = 1;

	/* doc/protocol.md#row-7: the complete matrix's row 7, not the common table's. */
	is_int(FS_METHOD_SASL_TLS | FS_METHOD_TLS_DIALBACK, row(7)->methods,
	    "row 7 (Required/Optional/True) = {SASL over TLS, TLS Dialback}");
	ok(!(row(7)->methods & FS_METHOD_TCP_DIALBACK), "row 7 has no TCP Dialback");

	for (n = 1; n <= FS_MATRIX_ROWS; n++) {
		if (row(n)->setting.tls != FS_LEVEL_REQUIRED)
			continue;
		required++;
		if (row(n)->methods & FS_METHOD_TCP_DIALBACK) {
			diag("row %d has TLS Required and TCP Dialback", n);
			clean = 0;
		}
	}
	is_int(6, required, "six rows have TLS Required (1, 2, 7, 8, 13, 14)");
	ok(clean, "no TLS=Required row lists TCP Dialback");

	for (n = 1; n <= FS_MATRIX_ROWS; n++) {
		const struct fs_matrix_row *r = row(n);

		if (r->setting.tls == FS_LEVEL_NOTSUPPORTED &&
		    (r->methods & (FS_METHOD_SASL_TLS | FS_METHOD_TLS_DIALBACK)))
			clean = 0;
		if (r->setting.dialback == FS_DIALBACK_FALSE &&
		    (r->methods & (FS_METHOD_TLS_DIALBACK | FS_METHOD_TCP_DIALBACK)))
			clean = 0;
		if ((r->verdict == FS_CONFIG_INVALID) != (r->methods == 0))
			clean = 0;
	}
	ok(clean, "no TLS method without TLS, no dialback method without Dialback, invalid = no method");
}

static void
test_lookup_unknown(void)
{
	struct fs_setting s;
	int t, a, d, nulls = 0, combos = 0, hits = 0;

	/* All 4 x 4 x 3 triples: the 18 known ones hit a row, the 30 with an Unknown do not. */
	for (t = FS_LEVEL_UNKNOWN; t <= FS_LEVEL_NOTSUPPORTED; t++)
		for (a = FS_LEVEL_UNKNOWN; a <= FS_LEVEL_NOTSUPPORTED; a++)
			for (d = FS_DIALBACK_UNKNOWN; d <= FS_DIALBACK_FALSE; d++) {
				const struct fs_matrix_row *r;

				s.tls = (enum fs_level)t;
				s.sasl = (enum fs_level)a;
				s.dialback = (enum fs_dialback)d;
				r = fs_policy_row(&s);
				combos++;
				if (t == FS_LEVEL_UNKNOWN || a == FS_LEVEL_UNKNOWN || d == FS_DIALBACK_UNKNOWN)
					nulls += r == NULL;
				else
					hits += r != NULL && r->setting.tls == s.tls &&
					    r->setting.sasl == s.sasl && r->setting.dialback == s.dialback;
			}
	is_int(48, combos, "48 triples tried");
	is_int(30, nulls, "every triple with an Unknown gives NULL");
	is_int(18, hits, "every complete triple gives its own row");
	ok(fs_policy_row(NULL) == NULL, "fs_policy_row(NULL) is NULL");
	s.tls = (enum fs_level)9;
	s.sasl = FS_LEVEL_OPTIONAL;
	s.dialback = FS_DIALBACK_TRUE;
	ok(fs_policy_row(&s) == NULL, "an out-of-range TLS value gives NULL");
}

static void
test_pairs(void)
{
	int a, b, mismatches, pairs = 0, symmetric = 1;

	for (a = 1; a <= FS_MATRIX_ROWS; a++) {
		mismatches = 0;
		for (b = 1; b <= FS_MATRIX_ROWS; b++) {
			enum fs_method m = fs_matrix_negotiate(row(a), row(b));
			const char *got = m ? fs_method_name(m) : NULL;
			const char *exp = typed_negotiate(a, b);

			pairs++;
			if (m != fs_matrix_negotiate(row(b), row(a)))
				symmetric = 0;
			if ((got == NULL) != (exp == NULL) || (got && strcmp(got, exp) != 0)) {
				diag("row %d vs row %d: want %s, got %s", a, b,
				    exp ? exp : "(none)", got ? got : "(none)");
				mismatches++;
			}
		}
		ok(mismatches == 0, "row %d against all 18 rows negotiates the best common method", a);
	}
	is_int(324, pairs, "324 pairs checked");
	ok(symmetric, "negotiation is symmetric");
}

static void
test_spot_checks(void)
{
	is_int(0, fs_matrix_negotiate(row(17), row(2)),
	    "row 17 (TCP Dialback only) vs row 2 (SASL only): incompatible");
	is_int(FS_METHOD_TLS_DIALBACK, fs_matrix_negotiate(row(7), row(15)), "row 7 vs row 15: TLS Dialback");
	is_int(FS_METHOD_TCP_DIALBACK, fs_matrix_negotiate(row(9), row(5)), "row 9 vs row 5: TCP Dialback");
	is_int(FS_METHOD_SASL_TLS, fs_matrix_negotiate(row(7), row(9)), "row 7 vs row 9: SASL over TLS");
	is_int(0, fs_matrix_negotiate(row(1), row(13)), "row 1 vs row 13: incompatible");
	is_int(0, fs_matrix_negotiate(row(7), row(17)),
	    "row 7 vs row 17: incompatible (TLS required, peer has no TLS)");
	is_int(FS_METHOD_TCP_DIALBACK, fs_matrix_negotiate(row(3), row(17)), "row 3 vs row 17: TCP Dialback");
	is_int(FS_METHOD_TLS_DIALBACK, fs_matrix_negotiate(row(13), row(15)), "row 13 vs row 15: TLS Dialback");
	is_int(0, fs_matrix_negotiate(row(9), row(6)), "row 9 vs invalid row 6: incompatible");
	is_int(0, fs_matrix_negotiate(NULL, row(9)), "NULL row: none");
	is_int(0, fs_matrix_negotiate(row(9), NULL), "NULL row, other side: none");
}

int
main(void)
{
	test_rows();
	test_protocol_facts();
	test_lookup_unknown();
	test_pairs();
	test_spot_checks();
	return done_testing();
}
