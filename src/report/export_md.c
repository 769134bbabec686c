/* export_md.c: a report document as Markdown (GitHub/GitLab/CommonMark tables) for tickets and wikis. */
#include <stdio.h>

#include "fedscan/report.h"
#include "report/export_int.h"

static void
md_row(FILE *f, const struct export_row *row, bool lync)
{
	const struct fs_assessment *a = row->a;
	const char *const cells[] = { a->domain, fs_verdict_name(a->verdict), fs_level_name(a->eff.s.tls),
		fs_level_name(a->eff.s.sasl), fs_dialback_name(a->eff.s.dialback), row->negotiated };
	char cert[128];
	size_t k;

	fputs("| ", f);
	for (k = 0; k < sizeof(cells) / sizeof(cells[0]); k++) {
		fs_md_escape(f, cells[k]);
		fputs(" | ", f);
	}
	export_cert_text(cert, sizeof(cert), row);
	fs_md_escape(f, cert);
	fputs(" | ", f);
	for (k = 0; k < a->nreasons; k++) {
		if (k > 0)
			fputs("; ", f);
		fs_md_escape(f, a->reasons[k].text);
	}
	fputs(" |", f);
	if (lync) {
		fputs(" ", f);
		fs_md_escape(f, row->lync);
		fputs(" |", f);
	}
	fputc('\n', f);
}

int
fs_export_markdown(FILE *f, const struct fs_report_doc *doc)
{
	struct export_rows r;
	bool lync;
	char byv[512], bym[512];
	size_t i;

	if (export_rows_make(doc, &r) != 0)
		return -1;
	lync = export_any_lync(&r);
	export_summary(&r, byv, sizeof(byv), bym, sizeof(bym));
	fprintf(f, "# Federation compatibility report: scan %lld\n\n", (long long)doc->scan.id);
	fputs("Started ", f);
	export_scan_times(f, &doc->scan, fs_md_escape, ", **incomplete** (interrupted, or still running)");
	if (doc->have_local) {
		fputc(' ', f);
		export_local_policy(f, &doc->local, fs_md_escape);
	}
	fprintf(f, "\n\n**%zu partner%s**", r.n, r.n == 1 ? "" : "s");
	if (r.n > 0)
		fprintf(f, ": %s. Negotiated: %s.", byv, bym);
	fputs("\n\n| Partner | Verdict | TLS | SASL | Dialback | Negotiated | Certificate expires | Reasons |", f);
	if (lync)
		fputs(" Lync |", f);
	fputs("\n| --- | --- | --- | --- | --- | --- | --- | --- |", f);
	if (lync)
		fputs(" --- |", f);
	fputc('\n', f);
	for (i = 0; i < r.n; i++)
		md_row(f, &r.v[i], lync);
	export_rows_free(&r);
	return 0;
}
