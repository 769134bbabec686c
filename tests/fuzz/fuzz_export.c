/*
 * fuzz_export.c: libFuzzer target for the report writers (src/report/export*.c: CSV, HTML, Markdown, text) and the
 * terminal-safe printer (fs_fputs_safe in src/log.c): text that came from a partner must not become a
 * spreadsheet formula, markup, a table cell boundary or a terminal control sequence.
 *
 * Input: c[0] the field separator, c[1] flags (bits 0-2: partners in the document, 0..7), then fields split
 * at every byte equal to c[0].
 *
 * 1. Each field, as raw bytes, through the escapers of export.h and fs_fputs_safe:
 *    - fs_csv_field: one RFC 4180 field (quoted exactly when needed, "" inside quotes); its value does not
 *      start with = + - @ TAB CR; it is the field with every unsafe character (C0 but TAB LF CR, DEL,
 *      U+0080..U+009F, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) replaced by '?' and a ' in front of
 *      a formula;
 *    - fs_html_escape: no < > " ' and no '&' but the five entities it writes; decoded, the same text;
 *    - fs_md_escape: one line, every markup character backslash-escaped; unescaped, the same text;
 *    - fs_fputs_safe: no C0 but LF and TAB, no DEL, no C1 (U+0080..U+009F), no bidi embedding, override or
 *      isolate (U+202A..U+202E, U+2066..U+2069);
 *    and none of the outputs holds an unsafe character.
 * 2. The fields (made valid UTF-8, as every string of a stored document is) fill a report document: scan
 *    metadata, local policy, partners with endpoints, certificates, reasons, evidence and a Lync line; it is
 *    read through fs_report_doc_from_json (odd partners take their verdict and endpoint source from the
 *    fields, so that most cannot be read and stand in as errors; even ones are read).
 *    - every record is a partner of the document and every partner has a row (fs_export_row);
 *    - fs_export_csv: parsed back as RFC 4180, a header and one record per partner, 14 cells each, no cell
 *      that starts a formula (but cert_days_left, a number of our own);
 *    - fs_export_html and fs_export_markdown: as many '<', '>', '"' (HTML) and unescaped '|', '<' and line
 *      ends (Markdown) as the same document with those characters replaced in every string: the input adds
 *      none of them;
 *    - fs_export_text (what `fedscan report` prints on a terminal), with partner-supplied text in the fields
 *      that carry it: no unsafe character as for fs_fputs_safe;
 *    - no output holds an unsafe character (text: the terminal set).
 * FUZZ_DUMP=FILE: write the output that holds an unsafe character to FILE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/export.h"
#include "fedscan/log.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
	abort(); } } while (0)
#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

/* ---- what counts as unsafe ---- */

/* Length of an unsafe character at p (export.h's set), 0 when none; tab, LF and CR are the caller's. */
static size_t
unsafe_at(const unsigned char *p, size_t left)
{
	if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
		return 1;
	if (left >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0xaa && p[2] <= 0xae) || p[2] == 0x8e ||
	    p[2] == 0x8f))
		return 3;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3;
	return 0;
}

/* The terminal's set (log.h): C0 but LF and TAB, DEL, C1, bidi embeddings, overrides and isolates. */
static size_t
term_unsafe_at(const unsigned char *p, size_t left)
{
	if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
		return 1;
	if (left >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
		return 3;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3;
	return 0;
}

static void
no_unsafe(const char *what, const char *out, size_t len, bool cr_ok, bool terminal)
{
	size_t i, n;

	for (i = 0; i < len; i++) {
		const unsigned char *p = (const unsigned char *)out + i;

		n = terminal ? term_unsafe_at(p, len - i) : unsafe_at(p, len - i);
		if (n == 0 && !cr_ok && *p == '\r')
			n = 1;
		if (n > 0 && getenv("FUZZ_DUMP") != NULL) {
			FILE *d = fopen(getenv("FUZZ_DUMP"), "w");
			if (d != NULL) {
				fwrite(out, 1, len, d);
				fclose(d);
			}
		}
		if (n > 0)
			FAIL("%s: unsafe character (byte 0x%02x) at offset %zu of %zu: ...%.*s[HERE]%.*s...", what, *p, i,
			    len, (int)(i < 80 ? i : 80), out + i - (i < 80 ? i : 80), (int)(len - i < 40 ? len - i : 40),
			    out + i);
	}
}

/* The field as the escapers promise to leave it: unsafe characters replaced by '?'. */
static char *
neutral(const char *s)
{
	size_t len = strlen(s), i, n, o = 0;
	char *d = malloc(len + 1);

	CHECK(d != NULL);
	for (i = 0; i < len; i += n) {
		n = unsafe_at((const unsigned char *)s + i, len - i);
		if (n > 0) {
			d[o++] = '?';
		} else {
			d[o++] = s[i];
			n = 1;
		}
	}
	d[o] = '\0';
	return d;
}

/* Run an escaper into memory. */
static char *
capture(void (*fn)(FILE *, const char *), const char *s, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	CHECK(m != NULL);
	fn(m, s);
	CHECK(fclose(m) == 0);
	return buf;
}

static void
puts_safe(FILE *f, const char *s)
{
	fs_fputs_safe(s, f);
}

static bool
formula_start(const char *v)
{
	return *v != '\0' && strchr("=+-@\t\r", *v) != NULL;
}

/* ---- 1. the escapers, field by field ---- */

static void
check_csv_field(const char *s)
{
	size_t len, i, o = 0;
	char *out = capture(fs_csv_field, s, &len), *val = malloc(len + 1), *want, *n;
	bool quoted = len > 0 && out[0] == '"';

	CHECK(val != NULL);
	no_unsafe("fs_csv_field", out, len, true, false);
	if (quoted) {
		CHECK(len >= 2 && out[len - 1] == '"');
		for (i = 1; i < len - 1; i++) {
			if (out[i] == '"') {
				CHECK(i + 1 < len - 1 && out[i + 1] == '"');   /* quotes inside are doubled */
				i++;
			}
			val[o++] = out[i];
		}
	} else {
		CHECK(strpbrk(out, ",\"\r\n") == NULL);
		memcpy(val, out, len);
		o = len;
	}
	val[o] = '\0';
	CHECK(strlen(val) == o);
	if (formula_start(val))
		FAIL("fs_csv_field: the cell '%s' starts a formula (input '%s')", val, s);
	n = neutral(s);
	want = malloc(strlen(n) + 2);
	CHECK(want != NULL);
	sprintf(want, "%s%s", formula_start(n) ? "'" : "", n);
	if (strcmp(val, want) != 0)
		FAIL("fs_csv_field: '%s' reads back as '%s', not '%s'", s, val, want);
	free(want);
	free(n);
	free(val);
	free(out);
}

static void
check_html_escape(const char *s)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char plain[] = "&<>\"'";
	size_t len, i, k, o = 0;
	char *out = capture(fs_html_escape, s, &len), *val = malloc(len + 1), *n;

	CHECK(val != NULL);
	no_unsafe("fs_html_escape", out, len, false, false);
	for (i = 0; i < len; i++) {
		if (strchr("<>\"'", out[i]) != NULL)
			FAIL("fs_html_escape: a raw '%c' in '%s' (input '%s')", out[i], out, s);
		if (out[i] == '&') {
			for (k = 0; k < 5; k++)
				if (strncmp(out + i, ents[k], strlen(ents[k])) == 0)
					break;
			CHECK(k < 5);
			val[o++] = plain[k];
			i += strlen(ents[k]) - 1;
			continue;
		}
		val[o++] = out[i];
	}
	val[o] = '\0';
	n = neutral(s);
	for (i = 0; n[i]; i++)
		if (n[i] == '\r')
			n[i] = ' ';
	if (strcmp(val, n) != 0)
		FAIL("fs_html_escape: '%s' decodes to '%s', not '%s'", s, val, n);
	free(n);
	free(val);
	free(out);
}

static void
check_md_escape(const char *s)
{
	static const char markup[] = "\\`*_[]<>|~&";
	size_t len, i, o = 0;
	char *out = capture(fs_md_escape, s, &len), *val = malloc(len + 1), *n;

	CHECK(val != NULL);
	no_unsafe("fs_md_escape", out, len, false, false);
	for (i = 0; i < len; i++) {
		if (out[i] == '\n' || out[i] == '\r' || out[i] == '\t')
			FAIL("fs_md_escape: a line end or tab in '%s' (input '%s')", out, s);
		if (out[i] == '\\') {
			CHECK(i + 1 < len && strchr(markup, out[i + 1]) != NULL);
			val[o++] = out[++i];
			continue;
		}
		if (strchr(markup, out[i]) != NULL)
			FAIL("fs_md_escape: an unescaped '%c' in '%s' (input '%s')", out[i], out, s);
		val[o++] = out[i];
	}
	val[o] = '\0';
	n = neutral(s);
	for (i = 0; n[i]; i++)
		if (n[i] == '\n' || n[i] == '\r' || n[i] == '\t')
			n[i] = ' ';
	if (strcmp(val, n) != 0)
		FAIL("fs_md_escape: '%s' unescapes to '%s', not '%s'", s, val, n);
	free(n);
	free(val);
	free(out);
}

static void
check_fputs_safe(const char *s)
{
	size_t len;
	char *out = capture(puts_safe, s, &len);

	no_unsafe("fs_fputs_safe", out, len, false, true);
	free(out);
}

/* ---- 2. whole documents ---- */

struct fields {
	char **v;
	size_t n, next;
};

/* The next field, made valid UTF-8 (invalid bytes become '?'); "" when there are none. */
static const char *
next_field(struct fields *f)
{
	return f->n > 0 ? f->v[f->next++ % f->n] : "";
}

static char *
utf8_fix(const char *s)
{
	size_t len = strlen(s), i = 0, k, n;
	char *d = strdup(s);

	CHECK(d != NULL);
	while (i < len) {
		const unsigned char *p = (const unsigned char *)d + i;
		uint32_t cp;

		if (*p < 0x80) {
			i++;
			continue;
		}
		n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		for (k = 1; n > 0 && k < n; k++)
			if (i + k >= len || (p[k] & 0xc0) != 0x80)
				n = 0;
		if (n == 2)
			cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		else if (n == 3)
			cp = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		else if (n == 4)
			cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
			    ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		else
			cp = 0;
		if (n == 0 || (n == 2 && cp < 0x80) || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
			d[i++] = '?';
			continue;
		}
		i += n;
	}
	return d;
}

/* A string value: the field (valid UTF-8), with each byte of `from` replaced by the same one of `to`. */
static json_t *
jstr(const char *s, const char *from, const char *to)
{
	char *d = utf8_fix(s), *p, *c;
	json_t *v;

	for (p = d; from != NULL && *p; p++)
		if ((c = strchr(from, *p)) != NULL)
			*p = to[c - from];
	v = json_string(d);
	CHECK(v != NULL);
	free(d);
	return v;
}

/*
 * The document. remote_only: partner-supplied text only where a partner can put it (endpoint host and error,
 * certificate subject, verify errors, reasons, evidence, unknown-why, Lync line, domain), fixed values elsewhere;
 * from/to: characters replaced in every string (the "defanged" twin for the differential checks).
 */
static json_t *
make_doc(struct fields *f, unsigned npartners, bool remote_only, const char *from, const char *to)
{
	json_t *doc, *scan, *local, *partners;
	unsigned i;

#define S() jstr(next_field(f), from, to)
#define O(fixed) (remote_only ? json_string(fixed) : S())
	f->next = 0;
	scan = json_pack("{s:I, s:o, s:o, s:o, s:b, s:o, s:I}", "id", (json_int_t)7, "kind", O("scan"),
	    "started_at", O("2024-05-01T10:00:00Z"), "finished_at", O("2024-05-01T10:01:00Z"),
	    "complete", npartners % 2 == 0, "fedscan_version", O("0.1"), "partners", (json_int_t)npartners);
	local = json_pack("{s:o, s:o, s:o, s:I, s:[s], s:o, s:o}", "tls", O("Required"), "sasl", O("Optional"),
	    "dialback", O("True"), "row", (json_int_t)7, "methods", "SASL over TLS", "verdict", O("ok"),
	    "message", O("fine"));
	partners = json_array();
	CHECK(scan != NULL && local != NULL && partners != NULL);
	for (i = 0; i < npartners; i++) {
		json_t *p, *ep, *conn, *cert, *reasons, *evidence;

		cert = json_pack("{s:b, s:o, s:o, s:I, s:o}", "present", 1, "subject", S(),
		    "not_after", O("2024-06-01T00:00:00Z"), "not_after_epoch", (json_int_t)(1717200000 - 86400 * (i * 40)),
		    "sha256", O("ab:cd"));
		conn = json_pack("{s:o, s:{s:b, s:o, s:o, s:o, s:b, s:b, s:o}}", "kind", O("starttls"),
		    "tls", "ok", 1, "version", O("TLSv1.3"), "cipher", O("TLS_AES_128_GCM_SHA256"), "cert", cert,
		    "chain_ok", i % 2, "name_ok", 1, "verify_error", S());
		ep = json_pack("{s:o, s:o, s:I, s:o, s:b, s:o, s:[o]}", "host", S(), "address", O("192.0.2.1"),
		    "port", (json_int_t)5269, "source", i % 2 ? O("srv") : json_string("srv"), "reachable", i % 3 != 2,
		    "error", S(),
		    "connections", conn);
		reasons = json_pack("[o, o]", S(), S());
		evidence = json_pack("[o]", S());
		p = json_pack("{s:o, s:o, s:{s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}, s:o}, s:o, s:[o, o],"
		    " s:o, s:[o], s:{s:o, s:o}, s:{s:I, s:o, s:b, s:b, s:b, s:o, s:o}}",
		    "domain", S(), "verdict", i % 2 ? O("error") : json_string(i % 4 ? "degraded" : "compatible"),
		    "effective", "tls", O("Unknown"), "sasl", O("Optional"), "dialback", O("True"),
		    "unknown", "tls", S(), "sasl", S(), "dialback", S(),
		    "confidence", "tls", O("high"), "sasl", O("high"), "dialback", O("low"), "evidence", evidence,
		    "negotiated", O("SASL over TLS"), "methods", O("SASL over TLS"), O("TLS Dialback"),
		    "reasons", reasons, "endpoints", ep,
		    "lync", i % 2 ? "powershell" : "note", S(), i % 2 ? "note" : "x", S(),
		    "outbound", "connections", (json_int_t)1, "address", O("192.0.2.9"), "starttls", 1, "tls", 1,
		    "client_cert", 1, "cert_subject", S(), "cert_error", S());
		CHECK(p != NULL);
		json_array_append_new(partners, p);
	}
#undef S
#undef O
	doc = json_pack("{s:o, s:o, s:o}", "scan", scan, "local", local, "partners", partners);
	CHECK(doc != NULL);
	return doc;
}

/* The report document of a JSON one: every record is a partner, read or standing in as unreadable. */
static void
load(const json_t *json, struct fs_report_doc *doc)
{
	char err[256];

	if (fs_report_doc_from_json(json, doc, err, sizeof(err)) != 0)
		FAIL("fs_report_doc_from_json: %s", err);
	if (doc->n != json_array_size(json_object_get(json, "partners")))
		FAIL("fs_report_doc_from_json: %zu of %zu records are partners", doc->n,
		    json_array_size(json_object_get(json, "partners")));
}

static char *
render(int (*fn)(FILE *, const struct fs_report_doc *), const struct fs_report_doc *doc, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	CHECK(m != NULL);
	CHECK(fn(m, doc) == 0);
	CHECK(fclose(m) == 0);
	return buf;
}

static int
text_render(FILE *f, const struct fs_report_doc *doc)
{
	return fs_export_text(f, doc, false, 1);
}

/* Parse RFC 4180 output (CRLF records) and check every cell; returns the number of records. */
static size_t
check_csv_doc(const char *out, size_t len)
{
	size_t i = 0, rec = 0, cell = 0;
	char *val = malloc(len + 1);

	CHECK(val != NULL);
	while (i < len) {
		size_t o = 0;

		if (out[i] == '"') {
			for (i++;; i++) {
				CHECK(i < len);
				if (out[i] == '"') {
					if (i + 1 < len && out[i + 1] == '"') {
						val[o++] = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				val[o++] = out[i];
			}
		} else {
			while (i < len && out[i] != ',' && out[i] != '\r') {
				CHECK(out[i] != '"' && out[i] != '\n');
				val[o++] = out[i++];
			}
		}
		val[o] = '\0';
		if (formula_start(val)) {
			/* cert_days_left (column 12) is our own number, "-3" included. */
			bool number = cell == 11 && val[0] == '-' && val[1] != '\0' && strspn(val + 1, "0123456789") == o - 1;
			if (!number)
				FAIL("fs_export_csv: record %zu cell %zu starts a formula: '%s'", rec + 1, cell + 1, val);
		}
		cell++;
		CHECK(i < len);
		if (out[i] == ',') {
			i++;
			continue;
		}
		CHECK(out[i] == '\r' && i + 1 < len && out[i + 1] == '\n');
		i += 2;
		if (cell != 14)
			FAIL("fs_export_csv: record %zu has %zu cells, not 14", rec + 1, cell);
		rec++;
		cell = 0;
	}
	free(val);
	return rec;
}

static size_t
count_chr(const char *s, size_t len, char c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

/* Markdown: characters not escaped by a backslash. */
static size_t
count_unescaped(const char *s, size_t len, char c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && c != '\n') {
			i++;
			continue;
		}
		n += s[i] == c;
	}
	return n;
}

static void
check_docs(struct fields *f, unsigned npartners)
{
	/* The twin: every character that could open markup or end a cell or line replaced by a harmless one. */
	static const char from[] = "<>\"'|\n\r&\\`";
	static const char to[] = "()::!__+/.";
	json_t *jdoc = make_doc(f, npartners, false, NULL, NULL), *jtwin = make_doc(f, npartners, false, from, to);
	json_t *jtdoc = make_doc(f, npartners, true, NULL, NULL);
	struct fs_report_doc doc, twin, tdoc;
	size_t len, tlen, i;
	char *out, *tout;
	const char *c;
	unsigned rows;

	load(jdoc, &doc);
	load(jtwin, &twin);
	load(jtdoc, &tdoc);
	/*
	 * Every partner is a row: fs_export_row cuts its lists (methods 256 bytes, endpoints 2048, TLS versions
	 * 128) at a UTF-8 character boundary, so a cut never turns a partner into NULL (it once did).
	 */
	rows = 0;
	for (i = 0; i < doc.n; i++) {
		json_t *row = fs_export_row(&doc.partners[i], 0);
		rows += row != NULL;
		json_decref(row);
	}
	if (rows != npartners)
		FAIL("fs_export_row: %u of %u partners have no row", npartners - rows, npartners);

	out = render(fs_export_csv, &doc, &len);
	no_unsafe("fs_export_csv", out, len, true, false);
	CHECK(check_csv_doc(out, len) == 1 + rows);
	free(out);

	out = render(fs_export_html, &doc, &len);
	tout = render(fs_export_html, &twin, &tlen);
	no_unsafe("fs_export_html", out, len, false, false);
	for (c = "<>\""; *c; c++)
		if (count_chr(out, len, *c) != count_chr(tout, tlen, *c))
			FAIL("fs_export_html: %zu '%c' where the defanged document has %zu: the input added markup",
			    count_chr(out, len, *c), *c, count_chr(tout, tlen, *c));
	free(out);
	free(tout);

	out = render(fs_export_markdown, &doc, &len);
	tout = render(fs_export_markdown, &twin, &tlen);
	no_unsafe("fs_export_markdown", out, len, false, false);
	for (c = "|<\n"; *c; c++)
		if (count_unescaped(out, len, *c) != count_unescaped(tout, tlen, *c))
			FAIL("fs_export_markdown: %zu unescaped 0x%02x where the defanged document has %zu", 
			    count_unescaped(out, len, *c), *c, count_unescaped(tout, tlen, *c));
	free(out);
	free(tout);

	out = render(text_render, &tdoc, &len);
	no_unsafe("fs_export_text (terminal)", out, len, false, true);
	free(out);

	fs_report_doc_clear(&doc);
	fs_report_doc_clear(&twin);
	fs_report_doc_clear(&tdoc);
	json_decref(jdoc);
	json_decref(jtwin);
	json_decref(jtdoc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fields f = { NULL, 0, 0 };
	size_t i, start;
	char sep;
	unsigned flags;

	if (size < 2 || size > 65536)
		return 0;
	sep = (char)data[0];
	flags = data[1];
	data += 2;
	size -= 2;
	f.v = calloc(size + 1, sizeof(*f.v));
	CHECK(f.v != NULL);
	for (i = start = 0; i <= size; i++)
		if (i == size || data[i] == (uint8_t)sep) {
			/* A NUL ends a C string: a field is the bytes up to it. */
			f.v[f.n] = strndup((const char *)data + start, i - start);
			CHECK(f.v[f.n] != NULL);
			f.n++;
			start = i + 1;
		}
	for (i = 0; i < f.n; i++) {
		check_csv_field(f.v[i]);
		check_html_escape(f.v[i]);
		check_md_escape(f.v[i]);
		check_fputs_safe(f.v[i]);
	}
	check_docs(&f, flags & 7);
	for (i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
	return 0;
}
