/* export.c: a recorded scan as a report in text, JSON, CSV (RFC 4180), HTML (one self-contained file) or Markdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fedscan/export.h"
#include "fedscan/log.h"
#include "fedscan/report.h"
#include "fedscan/store.h"

static const char *const verdicts[] = { "incompatible", "unreachable", "error", "degraded", "compatible" };
#define NVERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

int
fs_verdict_rank(const char *v)
{
	size_t i;

	for (i = 0; v != NULL && i < NVERDICTS; i++)
		if (strcmp(v, verdicts[i]) == 0)
			return (int)i;
	return (int)NVERDICTS;
}

int
fs_format_parse(const char *s, enum fs_format *out)
{
	static const struct { const char *name; enum fs_format f; } t[] = {
		{ "text", FS_FMT_TEXT }, { "json", FS_FMT_JSON }, { "csv", FS_FMT_CSV }, { "html", FS_FMT_HTML },
		{ "markdown", FS_FMT_MARKDOWN }, { "md", FS_FMT_MARKDOWN },
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].name) == 0) {
			*out = t[i].f;
			return 0;
		}
	return -1;
}

const char *
fs_format_name(enum fs_format f)
{
	switch (f) {
	case FS_FMT_TEXT: return "text";
	case FS_FMT_JSON: return "json";
	case FS_FMT_CSV: return "csv";
	case FS_FMT_HTML: return "html";
	case FS_FMT_MARKDOWN: return "markdown";
	}
	return "?";
}

/* ---- neutralising remote text ---- */

/*
 * The length of a character at p that must not reach a reader as is, or 0:
 * C0 controls but tab, LF and CR (callers decide about those), DEL, C1
 * controls (U+0080..U+009F), bidi marks, embeddings, overrides and isolates
 * (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069). The same set as
 * fs_fputs_safe() on the terminal, plus the marks.
 */
static size_t
unsafe_len(const unsigned char *p)
{
	if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0xaa && p[2] <= 0xae) || p[2] == 0x8e || p[2] == 0x8f))
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3;
	return 0;
}

void
fs_csv_field(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	/* A cell a spreadsheet would evaluate (OWASP "CSV injection"): shown as text with a leading '. */
	bool formula = *p != '\0' && strchr("=+-@\t\r", *p) != NULL;
	bool quote = formula || strpbrk((const char *)p, ",\"\r\n") != NULL;
	size_t n;

	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *p != '\0'; p++) {
		if ((n = unsafe_len(p)) > 0) {
			fputc('?', f);
			p += n - 1;
		} else if (*p == '"') {
			fputs("\"\"", f);
		} else {
			fputc(*p, f);
		}
	}
	if (quote)
		fputc('"', f);
}

void
fs_html_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n;

	for (; *p != '\0'; p++) {
		if ((n = unsafe_len(p)) > 0) {
			fputc('?', f);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\r': fputc(' ', f); break;
		default: fputc(*p, f); break;
		}
	}
}

void
fs_md_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n;

	for (; *p != '\0'; p++) {
		if ((n = unsafe_len(p)) > 0) {
			fputc('?', f);
			p += n - 1;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			fputc(' ', f);             /* a table row is one line */
		} else if (strchr("\\`*_[]<>|~&", *p) != NULL) {
			/*
			 * Every character that can start inline markup inside a cell
			 * (emphasis, strikethrough, code, links and images, raw HTML,
			 * entities, autolinks) or end the cell, escaped with a backslash:
			 * CommonMark and GFM show it literally. Block markup (# + - . at
			 * a line start) cannot happen inside a table row.
			 */
			fputc('\\', f);
			fputc(*p, f);
		} else {
			fputc(*p, f);
		}
	}
}

/* ---- one partner as the report's columns ---- */

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* Cut buf so it does not end inside a UTF-8 sequence (a cut string must stay a JSON string). */
static void
utf8_trim(char *buf)
{
	size_t n = strlen(buf), i = n, need;
	unsigned char b;

	while (i > 0 && n - i < 4 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	b = (unsigned char)buf[i - 1];
	if (b < 0x80)
		return;
	need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < need)
		buf[i - 1] = '\0';
}

/* Append s to a growing "a, b" list in buf; what does not fit is cut at a character boundary. */
static void
list_add(char *buf, size_t size, const char *sep, const char *s)
{
	size_t len = strlen(buf);

	if (len + 1 >= size)
		return;
	snprintf(buf + len, size - len, "%s%s", len > 0 ? sep : "", s);
	utf8_trim(buf + len);
}

/*
 * The Lync PowerShell line, when the result carries one: "lync": {"powershell":
 * "New-CsXmppAllowedPartner ..." or null, "note": "..."} (lync.h). Without a
 * line (a setting is Unknown) the note says what to find out.
 */
static const char *
powershell_line(const json_t *p)
{
	const json_t *v = json_object_get(p, "lync");

	if (json_is_string(json_object_get(v, "powershell")))
		return json_string_value(json_object_get(v, "powershell"));
	if (json_is_string(json_object_get(v, "note")))
		return json_string_value(json_object_get(v, "note"));
	return "";
}

json_t *
fs_export_row(const json_t *p, long long at)
{
	char methods[256] = "", eps[2048] = "", vers[128] = "", one[600];
	const json_t *ep, *c, *tls, *cert, *m, *best = NULL;
	long long best_epoch = 0, e;
	size_t i, k;
	json_t *row, *reasons;

	json_array_foreach(json_object_get(p, "methods"), i, m)
		if (json_is_string(m))
			list_add(methods, sizeof(methods), ", ", json_string_value(m));
	json_array_foreach(json_object_get(p, "endpoints"), i, ep) {
		snprintf(one, sizeof(one), "%s [%s]:%lld%s", str(ep, "host"), str(ep, "address"),
		    (long long)json_integer_value(json_object_get(ep, "port")),
		    json_is_false(json_object_get(ep, "reachable")) ? " unreachable" : "");
		utf8_trim(one);
		list_add(eps, sizeof(eps), "; ", one);
		json_array_foreach(json_object_get(ep, "connections"), k, c) {
			tls = json_object_get(c, "tls");
			if (!json_is_true(json_object_get(tls, "ok")))
				continue;
			if (str(tls, "version")[0] != '\0' && strstr(vers, str(tls, "version")) == NULL)
				list_add(vers, sizeof(vers), ", ", str(tls, "version"));
			cert = json_object_get(tls, "cert");
			e = json_integer_value(json_object_get(cert, "not_after_epoch"));
			if (json_is_true(json_object_get(cert, "present")) && e > 0 && (best == NULL || e < best_epoch)) {
				best = cert;
				best_epoch = e;
			}
		}
	}
	reasons = json_deep_copy(json_object_get(p, "reasons"));
	if (!json_is_array(reasons)) {
		json_decref(reasons);
		reasons = json_array();
	}
	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:s, s:s}",
	    "domain", str(p, "domain"), "verdict", str(p, "verdict"),
	    "tls", str(json_object_get(p, "effective"), "tls"),
	    "sasl", str(json_object_get(p, "effective"), "sasl"),
	    "dialback", str(json_object_get(p, "effective"), "dialback"),
	    "negotiated", json_is_string(json_object_get(p, "negotiated")) ? str(p, "negotiated") : "none",
	    "methods", methods, "reasons", reasons, "endpoints", eps, "tls_version", vers,
	    "cert_not_after", best != NULL ? str(best, "not_after") : "",
	    "cert_days_left", best != NULL && at > 0 ? json_integer((json_int_t)((best_epoch - at) / 86400 -
	    (best_epoch < at && (best_epoch - at) % 86400 != 0))) : json_null(),
	    "cert_sha256", best != NULL ? str(best, "sha256") : "",
	    "lync", powershell_line(p));
	return row;
}

/* ---- the document ---- */

/* The partners of a document, each with its flattened row, in report order. */
struct rows {
	json_t **v;             /* rows */
	const json_t **p;       /* the partner object of each row */
	size_t n;
};

struct pair {
	json_t *row;
	const json_t *p;
	size_t i;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int d = fs_verdict_rank(str(x->row, "verdict")) - fs_verdict_rank(str(y->row, "verdict"));

	if (d == 0)
		d = strcmp(str(x->row, "domain"), str(y->row, "domain"));
	return d != 0 ? d : (x->i > y->i) - (x->i < y->i);
}

/* The scan's start as UNIX time (the expiry days count from it), or 0. */
static long long
scan_time(const json_t *scan)
{
	long long t = fs_store_time(str(scan, "started_at"));

	return t > 0 ? t : 0;
}

/* Every partner flattened, the most serious verdict first, then by domain. */
static struct rows
rows_of(const json_t *doc)
{
	const json_t *partners = json_object_get(doc, "partners"), *p;
	long long at = scan_time(json_object_get(doc, "scan"));
	struct rows r = { NULL, NULL, 0 };
	struct pair *v;
	size_t i, n = json_array_size(partners);

	if (n == 0 || (v = calloc(n, sizeof(*v))) == NULL)
		return r;
	r.v = calloc(n, sizeof(*r.v));
	r.p = calloc(n, sizeof(*r.p));
	if (r.v == NULL || r.p == NULL) {
		free(r.v);
		free(r.p);
		free(v);
		r.v = NULL;
		r.p = NULL;
		return r;
	}
	json_array_foreach(partners, i, p) {
		if ((v[r.n].row = fs_export_row(p, at)) == NULL) {
			/* Never leave a partner out silently: a row that says so (out of memory, or a malformed result). */
			v[r.n].row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:n, s:s, s:s}",
			    "domain", json_is_string(json_object_get(p, "domain")) ? str(p, "domain") : "(unknown)",
			    "verdict", "error", "tls", "", "sasl", "", "dialback", "", "negotiated", "none", "methods", "",
			    "reasons", "fedscan could not make this partner's report row", "endpoints", "",
			    "tls_version", "", "cert_not_after", "", "cert_days_left", "cert_sha256", "", "lync", "");
			if (v[r.n].row == NULL)
				continue;
		}
		v[r.n].p = p;
		v[r.n].i = i;
		r.n++;
	}
	qsort(v, r.n, sizeof(*v), pair_cmp);
	for (i = 0; i < r.n; i++) {
		r.v[i] = v[i].row;
		r.p[i] = v[i].p;
	}
	free(v);
	return r;
}

static void
rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		json_decref(r->v[i]);
	free(r->v);
	free(r->p);
}

static bool
any_powershell(const struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (str(r->v[i], "lync")[0] != '\0')
			return true;
	return false;
}

/* Counts by verdict (verdicts[], then "other") and by negotiated method (methods[]). */
static const char *const methods[] = { "SASL over TLS", "TLS Dialback", "TCP Dialback", "none" };
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

struct counts {
	size_t v[NVERDICTS + 1];
	size_t m[NMETHODS];
};

static void
count(const struct rows *r, struct counts *c)
{
	size_t i, k;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->n; i++) {
		c->v[fs_verdict_rank(str(r->v[i], "verdict"))]++;
		for (k = 0; k < NMETHODS; k++)
			if (strcmp(str(r->v[i], "negotiated"), methods[k]) == 0)
				c->m[k]++;
	}
}

/* "2 compatible, 1 degraded" and "SASL over TLS 2, none 1". */
static void
summary_counts(const struct rows *r, char *byv, size_t vsize, char *bym, size_t msize)
{
	struct counts c;
	char one[64];
	size_t k;

	count(r, &c);
	byv[0] = bym[0] = '\0';
	for (k = 0; k <= NVERDICTS; k++)
		if (c.v[k] > 0) {
			snprintf(one, sizeof(one), "%zu %s", c.v[k], k < NVERDICTS ? verdicts[k] : "other");
			list_add(byv, vsize, ", ", one);
		}
	for (k = 0; k < NMETHODS; k++)
		if (c.m[k] > 0) {
			snprintf(one, sizeof(one), "%s %zu", methods[k], c.m[k]);
			list_add(bym, msize, ", ", one);
		}
}

static void
cert_text(char *buf, size_t size, const json_t *row)
{
	const json_t *d = json_object_get(row, "cert_days_left");

	if (str(row, "cert_not_after")[0] == '\0')
		snprintf(buf, size, "%s", "");
	else if (json_is_integer(d) && json_integer_value(d) < 0)
		snprintf(buf, size, "%s (expired)", str(row, "cert_not_after"));
	else if (json_is_integer(d))
		snprintf(buf, size, "%s (%lld days)", str(row, "cert_not_after"), (long long)json_integer_value(d));
	else
		snprintf(buf, size, "%s", str(row, "cert_not_after"));
}

static void
reasons_joined(FILE *f, const json_t *row, void (*esc)(FILE *, const char *), const char *sep)
{
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(row, "reasons"), i, x) {
		if (i > 0)
			fputs(sep, f);
		esc(f, json_string_value(x));
	}
}

/* ---- text: the same functions as `fedscan check` prints with ---- */

/* The recorded "local" object's setting; -1 when it is not a complete one. */
static int
local_read(const json_t *o, struct fs_setting *s)
{
	if (fs_level_parse(str(o, "tls"), &s->tls) != 0 || fs_level_parse(str(o, "sasl"), &s->sasl) != 0 ||
	    fs_dialback_parse(str(o, "dialback"), &s->dialback) != 0)
		return -1;
	return 0;
}

void
fs_export_text(FILE *f, const json_t *doc, bool color, int verbose)
{
	const json_t *scan = json_object_get(doc, "scan");
	struct rows r = rows_of(doc);
	struct fs_assessment a;
	struct fs_setting local;
	char byv[512], bym[512], err[256];
	size_t i;

	fprintf(f, "fedscan report: scan %lld (%s), started %s", (long long)json_integer_value(json_object_get(scan,
	    "id")), str(scan, "kind"), str(scan, "started_at"));
	if (json_is_true(json_object_get(scan, "complete")))
		fprintf(f, ", finished %s", str(scan, "finished_at"));
	else
		fputs(", INCOMPLETE (interrupted, or still running)", f);
	fprintf(f, ", fedscan %s\n", str(scan, "fedscan_version"));
	if (json_is_object(json_object_get(doc, "local")) && local_read(json_object_get(doc, "local"), &local) == 0)
		fs_report_text_local(f, &local, color);
	/* The same text as `fedscan check` prints, in report order (the most serious first). */
	for (i = 0; i < r.n; i++) {
		if (fs_assessment_from_json(r.p[i], &a, err, sizeof(err)) != 0) {
			fputs("\n(a record that cannot be read: ", f);
			fs_fputs_safe(err, f);
			fputs(")\n", f);
			continue;
		}
		fs_report_text_partner(f, &a, color, verbose);
		fs_assessment_clear(&a);
	}
	summary_counts(&r, byv, sizeof(byv), bym, sizeof(bym));
	fprintf(f, "\nSummary: %zu partner%s: %s", r.n, r.n == 1 ? "" : "s", r.n > 0 ? byv : "none recorded");
	if (bym[0] != '\0')
		fprintf(f, "; negotiated: %s", bym);
	fputc('\n', f);
	rows_free(&r);
}

/* ---- CSV (RFC 4180: CRLF, a header row, quoted fields where needed) ---- */

void
fs_export_csv(FILE *f, const json_t *doc)
{
	static const char *const cols[] = { "domain", "verdict", "tls", "sasl", "dialback", "negotiated", "methods",
		"reasons", "endpoints", "tls_version", "cert_not_after", "cert_days_left", "cert_sha256",
		"lync" };
	struct rows r = rows_of(doc);
	const json_t *v, *x;
	size_t i, k, j;
	char num[32];

	for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
		fputs(k > 0 ? "," : "", f);
		fs_csv_field(f, cols[k]);
	}
	fputs("\r\n", f);
	for (i = 0; i < r.n; i++) {
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			if (k > 0)
				fputc(',', f);
			v = json_object_get(r.v[i], cols[k]);
			if (json_is_integer(v)) {
				/* Our own number, not remote text: written as a number (a negative one stays one). */
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				fputs(num, f);
			} else if (json_is_array(v)) {
				/* The reasons in one cell, one per line; each line is remote text like any other. */
				char *joined = NULL;
				size_t len = 0;
				FILE *m = open_memstream(&joined, &len);

				if (m != NULL) {
					json_array_foreach(v, j, x)
						fprintf(m, "%s%s", j > 0 ? "\n" : "", json_string_value(x) ? json_string_value(x) : "");
					fclose(m);
					fs_csv_field(f, joined);
				}
				free(joined);
			} else {
				fs_csv_field(f, json_string_value(v));
			}
		}
		fputs("\r\n", f);
	}
	rows_free(&r);
}

/* ---- HTML: one file, no external resources, printable, sortable by a click on a column ---- */

static const char html_style[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;color:#111;background:#fff}\n"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.2em 0 .4em}\n"
    ".meta{color:#444;margin:.2em 0}\n"
    "table{border-collapse:collapse;margin:.4em 0;width:100%}\n"
    "th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#eee}table.sortable th{cursor:pointer}\n"
    "table.counts{width:auto}td.n{text-align:right}\n"
    "td.domain{font-weight:600;word-break:break-all}td.small{font-size:.9em;word-break:break-all}\n"
    "ul{margin:0;padding-left:1.1em}code{font-size:.9em;word-break:break-all}\n"
    ".v-compatible{background:#e3f5e1}.v-degraded{background:#fff3cd}\n"
    ".v-incompatible,.v-unreachable,.v-error{background:#f8d7da}\n"
    ".incomplete{color:#a00;font-weight:600}\n"
    "@media print{body{margin:0;font-size:10pt}th{background:#eee!important}"
    "tr{page-break-inside:avoid}table.sortable th{cursor:auto}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* Click a header to sort by that column (again: reverse). Without JavaScript the table stays grouped by verdict. */
static const char html_script[] =
    "document.querySelectorAll('table.sortable').forEach(function(t){\n"
    " t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\n"
    "  var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),d=th.dataset.dir==='a'?-1:1;\n"
    "  th.dataset.dir=d===1?'a':'d';\n"
    "  rows.sort(function(x,y){var p=x.cells[i].dataset.k||x.cells[i].textContent,"
    "q=y.cells[i].dataset.k||y.cells[i].textContent;\n"
    "   return d*p.localeCompare(q,undefined,{numeric:true});});\n"
    "  rows.forEach(function(r){b.appendChild(r);});});});});\n";


/*
 * "started S, finished F, fedscan V." (or the incomplete marker instead of "finished F"), with the format's own
 * escaping: the scan line the HTML and Markdown reports share.
 */
static void
scan_times(FILE *f, const json_t *scan, void (*esc)(FILE *, const char *), const char *incomplete)
{
	esc(f, str(scan, "started_at"));
	if (json_is_true(json_object_get(scan, "complete"))) {
		fputs(", finished ", f);
		esc(f, str(scan, "finished_at"));
	} else {
		fputs(incomplete, f);
	}
	fputs(", fedscan ", f);
	esc(f, str(scan, "fedscan_version"));
	fputc('.', f);
}

/* "Local policy: TLS x, SASL y, Dialback z (matrix row n)." with the format's own escaping. */
static void
local_policy(FILE *f, const json_t *local, void (*esc)(FILE *, const char *))
{
	fputs("Local policy: TLS ", f);
	esc(f, str(local, "tls"));
	fputs(", SASL ", f);
	esc(f, str(local, "sasl"));
	fputs(", Dialback ", f);
	esc(f, str(local, "dialback"));
	if (json_is_integer(json_object_get(local, "row")))
		fprintf(f, " (matrix row %lld)", (long long)json_integer_value(json_object_get(local, "row")));
	fputc('.', f);
}

static void
html_counts(FILE *f, const struct rows *r)
{
	struct counts c;
	size_t k;

	count(r, &c);
	fputs("<table class=\"counts\"><thead><tr><th>Verdict</th><th>Partners</th></tr></thead><tbody>\n", f);
	for (k = 0; k <= NVERDICTS; k++)
		if (c.v[k] > 0)
			fprintf(f, "<tr><td class=\"v-%s\">%s</td><td class=\"n\">%zu</td></tr>\n",
			    k < NVERDICTS ? verdicts[k] : "other", k < NVERDICTS ? verdicts[k] : "other", c.v[k]);
	fputs("</tbody></table>\n<table class=\"counts\"><thead><tr><th>Negotiated method</th><th>Partners</th></tr>"
	    "</thead><tbody>\n", f);
	for (k = 0; k < NMETHODS; k++)
		if (c.m[k] > 0)
			fprintf(f, "<tr><td>%s</td><td class=\"n\">%zu</td></tr>\n", methods[k], c.m[k]);
	fputs("</tbody></table>\n", f);
}

void
fs_export_html(FILE *f, const json_t *doc)
{
	const json_t *scan = json_object_get(doc, "scan"), *local = json_object_get(doc, "local"), *x;
	struct rows r = rows_of(doc);
	bool ps = any_powershell(&r);
	char cert[128], key[16];
	long long id = (long long)json_integer_value(json_object_get(scan, "id"));
	size_t i, k;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"fedscan\">\n", f);
	fprintf(f, "<title>fedscan report: scan %lld</title>\n<style>\n%s</style>\n</head>\n<body>\n", id, html_style);
	fprintf(f, "<h1>XMPP federation compatibility report</h1>\n<p class=\"meta\">Scan %lld (", id);
	fs_html_escape(f, str(scan, "kind"));
	fputs("), started ", f);
	scan_times(f, scan, fs_html_escape,
	    ", <span class=\"incomplete\">incomplete (interrupted, or still running)</span>");
	fputs("</p>\n", f);
	if (json_is_object(local)) {
		fputs("<p class=\"meta\">", f);
		local_policy(f, local, fs_html_escape);
		fputs("</p>\n", f);
	}
	fprintf(f, "<h2>Summary: %zu partner%s</h2>\n", r.n, r.n == 1 ? "" : "s");
	if (r.n > 0)
		html_counts(f, &r);
	fputs("<h2>Partners</h2>\n<table class=\"sortable\" id=\"partners\">\n<thead><tr><th>Partner</th>"
	    "<th>Verdict</th><th>TLS</th><th>SASL</th><th>Dialback</th><th>Negotiated</th><th>Methods</th>"
	    "<th>Certificate expires</th><th>TLS version</th><th>Endpoints</th><th>Reasons</th>", f);
	if (ps)
		fputs("<th>Lync / Skype for Business</th>", f);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < r.n; i++) {
		const json_t *row = r.v[i];

		fputs("<tr class=\"v-", f);
		fs_html_escape(f, str(row, "verdict"));
		fputs("\"><td class=\"domain\">", f);
		fs_html_escape(f, str(row, "domain"));
		snprintf(key, sizeof(key), "%d", fs_verdict_rank(str(row, "verdict")));
		fprintf(f, "</td><td data-k=\"%s\">", key);
		fs_html_escape(f, str(row, "verdict"));
		fputs("</td><td>", f);
		fs_html_escape(f, str(row, "tls"));
		fputs("</td><td>", f);
		fs_html_escape(f, str(row, "sasl"));
		fputs("</td><td>", f);
		fs_html_escape(f, str(row, "dialback"));
		fputs("</td><td>", f);
		fs_html_escape(f, str(row, "negotiated"));
		fputs("</td><td>", f);
		fs_html_escape(f, str(row, "methods"));
		fputs("</td><td data-k=\"", f);
		fs_html_escape(f, str(row, "cert_not_after")[0] != '\0' ? str(row, "cert_not_after") : "~");
		fputs("\">", f);
		cert_text(cert, sizeof(cert), row);
		fs_html_escape(f, cert);
		fputs("</td><td>", f);
		fs_html_escape(f, str(row, "tls_version"));
		fputs("</td><td class=\"small\">", f);
		fs_html_escape(f, str(row, "endpoints"));
		fputs("</td><td>", f);
		if (json_array_size(json_object_get(row, "reasons")) > 0) {
			fputs("<ul>", f);
			json_array_foreach(json_object_get(row, "reasons"), k, x) {
				fputs("<li>", f);
				fs_html_escape(f, json_string_value(x));
				fputs("</li>", f);
			}
			fputs("</ul>", f);
		}
		fputs("</td>", f);
		if (ps) {
			fputs("<td><code>", f);
			fs_html_escape(f, str(row, "lync"));
			fputs("</code></td>", f);
		}
		fputs("</tr>\n", f);
	}
	fprintf(f, "</tbody>\n</table>\n<script>\n%s</script>\n</body>\n</html>\n", html_script);
	rows_free(&r);
}

/* ---- Markdown (GitHub/GitLab/CommonMark tables) for tickets and wikis ---- */

void
fs_export_markdown(FILE *f, const json_t *doc)
{
	const json_t *scan = json_object_get(doc, "scan"), *local = json_object_get(doc, "local");
	struct rows r = rows_of(doc);
	bool ps = any_powershell(&r);
	char byv[512], bym[512], cert[128];
	size_t i;

	summary_counts(&r, byv, sizeof(byv), bym, sizeof(bym));
	fprintf(f, "# Federation compatibility report: scan %lld\n\n", (long long)json_integer_value(json_object_get(scan,
	    "id")));
	fputs("Started ", f);
	scan_times(f, scan, fs_md_escape, ", **incomplete** (interrupted, or still running)");
	if (json_is_object(local)) {
		fputc(' ', f);
		local_policy(f, local, fs_md_escape);
	}
	fprintf(f, "\n\n**%zu partner%s**", r.n, r.n == 1 ? "" : "s");
	if (r.n > 0)
		fprintf(f, ": %s. Negotiated: %s.", byv, bym);
	fputs("\n\n| Partner | Verdict | TLS | SASL | Dialback | Negotiated | Certificate expires | Reasons |", f);
	if (ps)
		fputs(" Lync |", f);
	fputs("\n| --- | --- | --- | --- | --- | --- | --- | --- |", f);
	if (ps)
		fputs(" --- |", f);
	fputc('\n', f);
	for (i = 0; i < r.n; i++) {
		const json_t *row = r.v[i];

		fputs("| ", f);
		fs_md_escape(f, str(row, "domain"));
		fputs(" | ", f);
		fs_md_escape(f, str(row, "verdict"));
		fputs(" | ", f);
		fs_md_escape(f, str(row, "tls"));
		fputs(" | ", f);
		fs_md_escape(f, str(row, "sasl"));
		fputs(" | ", f);
		fs_md_escape(f, str(row, "dialback"));
		fputs(" | ", f);
		fs_md_escape(f, str(row, "negotiated"));
		fputs(" | ", f);
		cert_text(cert, sizeof(cert), row);
		fs_md_escape(f, cert);
		fputs(" | ", f);
		reasons_joined(f, row, fs_md_escape, "; ");
		fputs(" |", f);
		if (ps) {
			fputs(" ", f);
			fs_md_escape(f, str(row, "lync"));
			fputs(" |", f);
		}
		fputc('\n', f);
	}
	rows_free(&r);
}

int
fs_export(FILE *f, enum fs_format fmt, const json_t *doc, bool color, int verbose)
{
	switch (fmt) {
	case FS_FMT_TEXT:
		fs_export_text(f, doc, color, verbose);
		break;
	case FS_FMT_JSON:
		if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
			return -1;
		fputc('\n', f);
		break;
	case FS_FMT_CSV:
		fs_export_csv(f, doc);
		break;
	case FS_FMT_HTML:
		fs_export_html(f, doc);
		break;
	case FS_FMT_MARKDOWN:
		fs_export_markdown(f, doc);
		break;
	}
	return ferror(f) ? -1 : 0;
}
