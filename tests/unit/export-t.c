/* export-t.c: the report formats: CSV (RFC 4180, formula-safe), HTML (escaped, self-contained), Markdown tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/export.h"
#include "fedscan/store.h"
#include "tap/basic.h"

#define BAIL(...) do { printf("Bail out! "); printf(__VA_ARGS__); printf("\n"); exit(1); } while (0)

/* What f(s) writes, as a malloc'd string. */
static char *
capture(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	fn(m, s);
	fclose(m);
	return buf;
}

/* What fn writes for a report document given as JSON (read through fs_report_doc_from_json), as a malloc'd string. */
static char *
capture_doc(int (*fn)(FILE *, const struct fs_report_doc *), const json_t *doc)
{
	struct fs_report_doc d;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *m;

	if (fs_report_doc_from_json(doc, &d, err, sizeof(err)) != 0)
		BAIL("fs_report_doc_from_json: %s", err);
	m = open_memstream(&buf, &len);
	fn(m, &d);
	fclose(m);
	fs_report_doc_clear(&d);
	return buf;
}

static void
csv_is(const char *in, const char *want, const char *what)
{
	char *got = capture(fs_csv_field, in);

	is_string(want, got, "csv: %s", what);
	free(got);
}

static void
html_is(const char *in, const char *want, const char *what)
{
	char *got = capture(fs_html_escape, in);

	is_string(want, got, "html: %s", what);
	free(got);
}

static void
md_is(const char *in, const char *want, const char *what)
{
	char *got = capture(fs_md_escape, in);

	is_string(want, got, "markdown: %s", what);
	free(got);
}

static void
test_csv_fields(void)
{
	csv_is("example.org", "example.org", "a plain value is written as is");
	csv_is("", "", "an empty value is empty");
	csv_is("a,b", "\"a,b\"", "a comma is quoted");
	csv_is("say \"hi\"", "\"say \"\"hi\"\"\"", "quotes are doubled inside quotes");
	csv_is("two\nlines", "\"two\nlines\"", "a line break is kept inside quotes");
	csv_is("cr\rhere", "\"cr\rhere\"", "a CR is kept inside quotes");
	csv_is("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\"", "= cannot start a formula");
	csv_is("+1+2", "\"'+1+2\"", "+ cannot start a formula");
	csv_is("-2+3", "\"'-2+3\"", "- cannot start a formula");
	csv_is("@SUM(A1)", "\"'@SUM(A1)\"", "@ cannot start a formula");
	csv_is("\t=1", "\"'\t=1\"", "a tab cannot start a formula");
	csv_is("\r=1", "\"'\r=1\"", "a CR cannot start a formula");
	csv_is("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
	    "formula prefix and quote doubling together");
	csv_is("a=b", "a=b", "= inside a value is harmless");
	csv_is("\033[31mred\033[0m", "?[31mred?[0m", "ANSI escapes are neutralised");
	csv_is("x\xe2\x80\xaey", "x?y", "a bidi override is neutralised");
	csv_is("\xc2\x9b" "2J", "?2J", "a C1 CSI is neutralised");
	csv_is("caf\xc3\xa9", "caf\xc3\xa9", "UTF-8 text is kept");
}

static void
test_html_escape(void)
{
	html_is("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "tags and quotes");
	html_is("a & b \"c\"", "a &amp; b &quot;c&quot;", "ampersand and double quotes");
	html_is("&lt;", "&amp;lt;", "an entity is shown, not decoded");
	html_is("\033]0;title\007", "?]0;title?", "terminal controls replaced");
	html_is("x\xe2\x81\xa6y", "x?y", "a bidi isolate is replaced");
	html_is("plain.example", "plain.example", "plain text as is");
}

static void
test_md_escape(void)
{
	md_is("a|b", "a\\|b", "a pipe cannot end the cell");
	md_is("*bold* _em_", "\\*bold\\* \\_em\\_", "emphasis is shown literally");
	md_is("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>", "raw HTML is shown literally");
	md_is("[a](javascript:x)", "\\[a\\](javascript:x)", "a link is shown literally");
	md_is("`code`", "\\`code\\`", "code spans are shown literally");
	md_is("two\nlines\r\tx", "two lines  x", "a row stays on one line");
	md_is("back\\slash", "back\\\\slash", "a backslash is escaped");
	md_is("~~gone~~ &amp;", "\\~\\~gone\\~\\~ \\&amp;", "strikethrough and entities are shown literally");
	md_is("\033[2J", "?\\[2J", "ANSI escapes are neutralised");
	md_is("example.org", "example.org", "a domain stays readable");
}

static json_t *
conn(const char *version, const char *sha, long long not_after_epoch, const char *not_after)
{
	return json_pack("{s:s, s:{s:b, s:s, s:{s:b, s:s, s:I, s:s}}}", "kind", "starttls",
	    "tls", "ok", 1, "version", version,
	    "cert", "present", 1, "sha256", sha, "not_after_epoch", (json_int_t)not_after_epoch, "not_after", not_after);
}

static json_t *
partner(const char *domain, const char *verdict, const char *tls, const char *negotiated, const char *reason,
    json_t *c)
{
	return json_pack("{s:s, s:[{s:s, s:i, s:s, s:s, s:b, s:[o]}], s:{s:s, s:s, s:s}, s:[s], s:o, s:s, s:[s]}",
	    "domain", domain,
	    "endpoints", "host", domain, "port", 5269, "address", "192.0.2.1", "source", "srv", "reachable", 1,
	    "connections", c,
	    "effective", "tls", tls, "sasl", "Optional", "dialback", "True",
	    "methods", "SASL over TLS",
	    "negotiated", negotiated != NULL ? json_string(negotiated) : json_null(),
	    "verdict", verdict,
	    "reasons", reason);
}

/* 2024-05-01T02:00:00Z */
#define T0 1714528800LL

static json_t *
doc3(void)
{
	json_t *ps = json_array();

	json_array_append_new(ps, partner("good.example", "compatible", "Required", "SASL over TLS",
	    "negotiates SASL over TLS", conn("TLSv1.3", "AA:BB", T0 + 90 * 86400LL, "2024-07-30T02:00:00Z")));
	json_array_append_new(ps, partner("hostile.example", "degraded", "Optional", "TLS Dialback",
	    "=cmd|' /C calc'!A0 <b>bold</b> | pipe \033[31m", conn("TLSv1.2", "CC:DD", T0 + 5 * 86400LL + 3600,
	    "2024-05-06T03:00:00Z")));
	json_array_append_new(ps, partner("broken.example", "incompatible", "NotSupported", NULL,
	    "no common method", json_pack("{s:s}", "kind", "plain")));
	return json_pack("{s:{s:i, s:s, s:s, s:s, s:b, s:s}, s:{s:s, s:s, s:s, s:i}, s:o}",
	    "scan", "id", 7, "kind", "scan", "started_at", "2024-05-01T02:00:00.000Z",
	    "finished_at", "2024-05-01T02:01:00.000Z", "complete", 1, "fedscan_version", "9.9",
	    "local", "tls", "Required", "sasl", "Required", "dialback", "True", "row", 1,
	    "partners", ps);
}

static int
count_lines(const char *s, const char *prefix)
{
	int n = 0;
	const char *p = s;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

/* Unescaped '|' in a Markdown line. */
static int
pipes(const char *line, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (line[i] == '\\') {
			i++;
			continue;
		}
		n += line[i] == '|';
	}
	return n;
}

static void
test_row(void)
{
	static const char *const serious_first[5] = { "incompatible", "unreachable", "error", "degraded", "compatible" };
	json_t *d = doc3(), *row;
	struct fs_report_doc doc;
	const struct fs_assessment *ps;
	enum fs_verdict v[5];
	char err[256];
	int i;

	if (fs_report_doc_from_json(d, &doc, err, sizeof(err)) != 0)
		BAIL("fs_report_doc_from_json: %s", err);
	is_int(3, (int)doc.n, "doc: every record read");
	is_int(0, (int)doc.nunreadable, "doc: no record left unread");
	ps = doc.partners;
	row = fs_export_row(&ps[1], T0);
	is_string("hostile.example", json_string_value(json_object_get(row, "domain")), "row: domain");
	is_string("TLS Dialback", json_string_value(json_object_get(row, "negotiated")), "row: negotiated");
	is_int(5, json_integer_value(json_object_get(row, "cert_days_left")), "row: certificate expires in 5 days");
	is_string("TLSv1.2", json_string_value(json_object_get(row, "tls_version")), "row: TLS version");
	is_string("CC:DD", json_string_value(json_object_get(row, "cert_sha256")), "row: certificate fingerprint");
	json_decref(row);
	row = fs_export_row(&ps[2], T0);
	is_string("none", json_string_value(json_object_get(row, "negotiated")), "row: no common method is 'none'");
	ok(json_is_null(json_object_get(row, "cert_days_left")), "row: no certificate, no days");
	json_decref(row);
	row = fs_export_row(&ps[0], T0 + 100 * 86400LL);
	is_int(-10, json_integer_value(json_object_get(row, "cert_days_left")), "row: an expired certificate counts down");
	json_decref(row);
	fs_report_doc_clear(&doc);
	json_decref(d);

	for (i = 0; i < 5; i++)
		if (fs_verdict_parse(serious_first[i], &v[i]) != 0)
			BAIL("fs_verdict_parse refuses '%s'", serious_first[i]);
	ok(fs_verdict_severity_rank(v[0]) < fs_verdict_severity_rank(v[1]) &&
	    fs_verdict_severity_rank(v[1]) < fs_verdict_severity_rank(v[2]) &&
	    fs_verdict_severity_rank(v[2]) < fs_verdict_severity_rank(v[3]) &&
	    fs_verdict_severity_rank(v[3]) < fs_verdict_severity_rank(v[4]) &&
	    fs_verdict_parse("bogus", &v[0]) == -1, "verdicts rank from the most serious");
	is_int(T0, fs_store_time("2024-05-01T02:00:00.000Z"), "fs_store_time: ISO with milliseconds");
	is_int(T0 + 1, fs_store_time("2024-05-01T02:00:01Z"), "fs_store_time: ISO without");
	is_int(-1, fs_store_time("yesterday"), "fs_store_time: garbage is -1");
}

/* Every connection counts: the certificate that expires first is reported, not the first one seen. */
static void
test_first_expiry(void)
{
	json_t *d = doc3(), *c = json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(d,
	    "partners"), 0), "endpoints"), 0), "connections"), *row;
	struct fs_report_doc doc;
	char err[256], *out;

	/* good.example: a second handshake (TLS 1.2) met a certificate that expires 60 days earlier, a third none. */
	json_array_append_new(c, conn("TLSv1.2", "EE:FF", T0 + 30 * 86400LL, "2024-05-31T02:00:00Z"));
	json_array_append_new(c, conn("TLSv1.3", "00:11", 0, ""));
	if (fs_report_doc_from_json(d, &doc, err, sizeof(err)) != 0)
		BAIL("fs_report_doc_from_json: %s", err);
	row = fs_export_row(&doc.partners[0], T0);
	is_string("EE:FF", json_string_value(json_object_get(row, "cert_sha256")),
	    "row: the certificate that expires first, on any connection");
	is_string("2024-05-31T02:00:00Z", json_string_value(json_object_get(row, "cert_not_after")),
	    "row: its expiry");
	is_int(30, json_integer_value(json_object_get(row, "cert_days_left")), "row: its days left");
	is_string("TLSv1.3, TLSv1.2", json_string_value(json_object_get(row, "tls_version")),
	    "row: every TLS version a handshake completed with, once each");
	json_decref(row);
	fs_report_doc_clear(&doc);
	out = capture_doc(fs_export_csv, d);
	ok(out != NULL && strstr(out, ",\"TLSv1.3, TLSv1.2\",2024-05-31T02:00:00Z,30,EE:FF,") != NULL,
	    "csv: the certificate that expires first");
	free(out);
	json_decref(d);
}

/* A record that cannot be read is reported, named by scan and record, and the others still are. */
static void
test_unreadable(void)
{
	json_t *d = doc3(), *ps = json_object_get(d, "partners");
	struct fs_report_doc doc;
	char err[256], *out;

	json_object_set_new(json_array_get(ps, 1), "verdict", json_string("bogus"));
	json_array_append_new(ps, json_pack("{s:s}", "note", "no domain"));
	if (fs_report_doc_from_json(d, &doc, err, sizeof(err)) != 0)
		BAIL("fs_report_doc_from_json: %s", err);
	is_int(4, (int)doc.n, "unreadable: every record is in the document");
	is_int(2, (int)doc.nunreadable, "unreadable: two records cannot be read");
	is_string("scan 7, record 2 of 4 (hostile.example) cannot be read: hostile.example: the record has no known verdict",
	    doc.nunreadable > 0 ? doc.unreadable[0] : NULL, "unreadable: the message names the scan, record and why");
	is_string("scan 7, record 4 of 4 cannot be read: not a partner record (no domain)",
	    doc.nunreadable > 1 ? doc.unreadable[1] : NULL, "unreadable: a record without a domain too");
	fs_report_doc_clear(&doc);
	out = capture_doc(fs_export_csv, d);
	ok(out != NULL && strstr(out, "\r\nhostile.example,error,Unknown,Unknown,Unknown,none,,\"fedscan cannot read this "
	    "record (scan 7, record 2 of 4): hostile.example: the record has no known verdict\",,") != NULL,
	    "unreadable: csv: the record is a row with the verdict error, saying why");
	ok(out != NULL && strstr(out, "\r\n(unknown),error,") != NULL, "unreadable: csv: so is the one without a domain");
	ok(out != NULL && strstr(out, "\r\nbroken.example,incompatible,") != NULL &&
	    strstr(out, "\r\ngood.example,compatible,") != NULL, "unreadable: csv: the other partners are reported");
	free(out);
	out = capture_doc(fs_export_markdown, d);
	ok(out != NULL && strstr(out, "**4 partners**: 1 incompatible, 2 error, 1 compatible.") != NULL,
	    "unreadable: markdown: counted as errors");
	free(out);
	json_decref(d);
}

static void
test_formats(void)
{
	enum fs_format f;

	ok(fs_format_parse("CSV", &f) == 0 && f == FS_FMT_CSV, "format: csv, any case");
	ok(fs_format_parse("md", &f) == 0 && f == FS_FMT_MARKDOWN, "format: md is markdown");
	ok(fs_format_parse("html", &f) == 0 && f == FS_FMT_HTML && strcmp(fs_format_name(f), "html") == 0,
	    "format: html");
	ok(fs_format_parse("xlsx", &f) == -1, "format: xlsx is refused");
}

static void
test_csv_doc(void)
{
	json_t *d = doc3();
	char *out = capture_doc(fs_export_csv, d), *p;
	int crlf = 0;

	ok(out != NULL && strncmp(out, "domain,verdict,tls,sasl,dialback,negotiated,", 44) == 0, "csv: header row first");
	for (p = out; p != NULL && (p = strstr(p, "\r\n")) != NULL; p += 2)
		crlf++;
	/* Header, three rows; the hostile reason holds no line break. */
	is_int(4, crlf, "csv: CRLF after the header and each of 3 partners");
	ok(strstr(out, "\r\nbroken.example,incompatible,") != NULL, "csv: the most serious verdict comes first");
	ok(strstr(out, "\"'=cmd|' /C calc'!A0 <b>bold</b> | pipe ?[31m\"") != NULL,
	    "csv: a hostile reason is formula-safe, quoted, without its escape character");
	ok(strstr(out, ",5,CC:DD,") != NULL, "csv: days left is a number");
	ok(strchr(out, '\033') == NULL, "csv: no ESC anywhere");
	free(out);
	json_decref(d);
}

static void
test_html_doc(void)
{
	json_t *d = doc3();
	char *out = capture_doc(fs_export_html, d);

	ok(out != NULL && strncmp(out, "<!DOCTYPE html>", 15) == 0, "html: a document");
	ok(strstr(out, "</html>\n") != NULL, "html: complete");
	ok(strstr(out, "<b>bold</b>") == NULL && strstr(out, "&lt;b&gt;bold&lt;/b&gt;") != NULL,
	    "html: remote markup is escaped");
	ok(strstr(out, "http://") == NULL && strstr(out, "https://") == NULL && strstr(out, " src=") == NULL &&
	    strstr(out, "<link") == NULL && strstr(out, "@import") == NULL, "html: self-contained (no external resources)");
	ok(strstr(out, "<td class=\"v-incompatible\">incompatible</td><td class=\"n\">1</td>") != NULL &&
	    strstr(out, "<td class=\"v-degraded\">degraded</td><td class=\"n\">1</td>") != NULL,
	    "html: summary counts by verdict");
	ok(strstr(out, "<td>SASL over TLS</td><td class=\"n\">1</td>") != NULL &&
	    strstr(out, "<td>none</td><td class=\"n\">1</td>") != NULL, "html: summary counts by negotiated method");
	ok(strstr(out, "broken.example") < strstr(out, "hostile.example") &&
	    strstr(out, "hostile.example") < strstr(out, "good.example"), "html: grouped by verdict, most serious first");
	ok(strchr(out, '\033') == NULL, "html: no ESC anywhere");
	ok(strstr(out, "@media print") != NULL, "html: a print style");
	ok(strstr(out, "Local policy: TLS Required, SASL Required, Dialback True (matrix row 1).") != NULL,
	    "html: the local policy the partners were judged against");
	ok(strstr(out, "Scan 7 (scan), started 2024-05-01T02:00:00.000Z, finished 2024-05-01T02:01:00.000Z, "
	    "fedscan 9.9.</p>") != NULL, "html: the scan line (kind, start, end, version)");
	free(out);
	json_decref(d);
}

static void
test_md_doc(void)
{
	json_t *d = doc3();
	char *out = capture_doc(fs_export_markdown, d), *line, *nl;
	int rows = 0, bad = 0, want = -1;

	ok(out != NULL && strncmp(out, "# ", 2) == 0, "markdown: a heading first");
	is_int(2 + 3, count_lines(out, "| "), "markdown: header, separator and 3 rows");
	ok(strstr(out, "| --- | --- |") != NULL, "markdown: a separator row");
	for (line = out; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (line[0] != '|')
			continue;
		rows++;
		if (want < 0)
			want = pipes(line, nl != NULL ? (size_t)(nl - line) : strlen(line));
		else if (pipes(line, nl != NULL ? (size_t)(nl - line) : strlen(line)) != want)
			bad++;
	}
	ok(rows == 5 && bad == 0 && want == 9, "markdown: every row has the same 8 cells (a hostile | is escaped)");
	ok(strstr(out, "\\<b\\>bold\\</b\\>") != NULL, "markdown: remote markup is shown literally");
	ok(strstr(out, "**3 partners**: 1 incompatible, 1 degraded, 1 compatible.") != NULL, "markdown: summary");
	ok(strstr(out, "Local policy: TLS Required, SASL Required, Dialback True (matrix row 1).") != NULL,
	    "markdown: the local policy the partners were judged against");
	ok(strstr(out, "Started 2024-05-01T02:00:00.000Z, finished 2024-05-01T02:01:00.000Z, fedscan 9.9. "
	    "Local policy:") != NULL, "markdown: the scan line (start, end, version), then the local policy");
	free(out);
	json_decref(d);
}

int
main(void)
{
	test_csv_fields();
	test_html_escape();
	test_md_escape();
	test_row();
	test_first_expiry();
	test_unreadable();
	test_formats();
	test_csv_doc();
	test_html_doc();
	test_md_doc();
	return done_testing();
}
