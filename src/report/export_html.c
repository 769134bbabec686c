/* export_html.c: a report document as HTML: one file, no external resources, printable, sortable by a click. */
#include <stdio.h>

#include "fedscan/report.h"
#include "report/export_int.h"

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

static void
html_counts(FILE *f, const struct export_rows *r)
{
	struct export_counts c;
	enum fs_verdict v;
	const char *name;
	size_t k;

	export_count(r, &c);
	fputs("<table class=\"counts\"><thead><tr><th>Verdict</th><th>Partners</th></tr></thead><tbody>\n", f);
	for (k = 0; (name = export_verdict_at(k, &v)) != NULL; k++)
		if (c.v[v] > 0)
			fprintf(f, "<tr><td class=\"v-%s\">%s</td><td class=\"n\">%zu</td></tr>\n", name, name, c.v[v]);
	fputs("</tbody></table>\n<table class=\"counts\"><thead><tr><th>Negotiated method</th><th>Partners</th></tr>"
	    "</thead><tbody>\n", f);
	for (k = 0; k < EXPORT_NMETHODS; k++)
		if (c.m[k] > 0)
			fprintf(f, "<tr><td>%s</td><td class=\"n\">%zu</td></tr>\n", export_method_name(k), c.m[k]);
	fputs("</tbody></table>\n", f);
}

/* A cell: <td>, the text escaped, </td>. */
static void
cell(FILE *f, const char *s)
{
	fputs("<td>", f);
	fs_html_escape(f, s);
	fputs("</td>", f);
}

static void
html_row(FILE *f, const struct export_row *row, bool lync)
{
	const struct fs_assessment *a = row->a;
	const char *verdict = fs_verdict_name(a->verdict);
	char cert[128];
	unsigned k;

	fputs("<tr class=\"v-", f);
	fs_html_escape(f, verdict);
	fputs("\"><td class=\"domain\">", f);
	fs_html_escape(f, a->domain);
	/* The verdict sorts by seriousness, not by name. */
	fprintf(f, "</td><td data-k=\"%d\">", fs_verdict_severity_rank(a->verdict));
	fs_html_escape(f, verdict);
	fputs("</td>", f);
	cell(f, fs_level_name(a->eff.s.tls));
	cell(f, fs_level_name(a->eff.s.sasl));
	cell(f, fs_dialback_name(a->eff.s.dialback));
	cell(f, row->negotiated);
	cell(f, row->methods);
	fputs("<td data-k=\"", f);
	fs_html_escape(f, row->cert_not_after[0] != '\0' ? row->cert_not_after : "~");
	fputs("\">", f);
	export_cert_text(cert, sizeof(cert), row);
	fs_html_escape(f, cert);
	fputs("</td>", f);
	cell(f, row->tls_version);
	fputs("<td class=\"small\">", f);
	fs_html_escape(f, row->endpoints);
	fputs("</td><td>", f);
	if (a->nreasons > 0) {
		fputs("<ul>", f);
		for (k = 0; k < a->nreasons; k++) {
			fputs("<li>", f);
			fs_html_escape(f, a->reasons[k].text);
			fputs("</li>", f);
		}
		fputs("</ul>", f);
	}
	fputs("</td>", f);
	if (lync) {
		fputs("<td><code>", f);
		fs_html_escape(f, row->lync);
		fputs("</code></td>", f);
	}
	fputs("</tr>\n", f);
}

/* The head of the page: title, style, the scan line and the local policy. */
static void
html_head(FILE *f, const struct fs_report_doc *doc)
{
	long long id = (long long)doc->scan.id;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"fedscan\">\n", f);
	fprintf(f, "<title>fedscan report: scan %lld</title>\n<style>\n%s</style>\n</head>\n<body>\n", id, html_style);
	fprintf(f, "<h1>XMPP federation compatibility report</h1>\n<p class=\"meta\">Scan %lld (", id);
	fs_html_escape(f, doc->scan.kind);
	fputs("), started ", f);
	export_scan_times(f, &doc->scan, fs_html_escape,
	    ", <span class=\"incomplete\">incomplete (interrupted, or still running)</span>");
	fputs("</p>\n", f);
	if (doc->have_local) {
		fputs("<p class=\"meta\">", f);
		export_local_policy(f, &doc->local, fs_html_escape);
		fputs("</p>\n", f);
	}
}

int
fs_export_html(FILE *f, const struct fs_report_doc *doc)
{
	struct export_rows r;
	bool lync;
	size_t i;

	if (export_rows_make(doc, &r) != 0)
		return -1;
	lync = export_any_lync(&r);
	html_head(f, doc);
	fprintf(f, "<h2>Summary: %zu partner%s</h2>\n", r.n, r.n == 1 ? "" : "s");
	if (r.n > 0)
		html_counts(f, &r);
	fputs("<h2>Partners</h2>\n<table class=\"sortable\" id=\"partners\">\n<thead><tr><th>Partner</th>"
	    "<th>Verdict</th><th>TLS</th><th>SASL</th><th>Dialback</th><th>Negotiated</th><th>Methods</th>"
	    "<th>Certificate expires</th><th>TLS version</th><th>Endpoints</th><th>Reasons</th>", f);
	if (lync)
		fputs("<th>Lync / Skype for Business</th>", f);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < r.n; i++)
		html_row(f, &r.v[i], lync);
	fprintf(f, "</tbody>\n</table>\n<script>\n%s</script>\n</body>\n</html>\n", html_script);
	export_rows_free(&r);
	return 0;
}
