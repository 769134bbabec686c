/* export_text.c: a report document as text: `fedscan check`'s words for every partner, then a summary. */
#include <stdio.h>

#include "fedscan/report.h"
#include "report/export_int.h"

int
fs_export_text(FILE *f, const struct fs_report_doc *doc, bool color, int verbose)
{
	const struct fs_scan_info *scan = &doc->scan;
	struct export_rows r;
	char byv[512], bym[512];
	size_t i;

	if (export_rows_make(doc, &r) != 0)
		return -1;
	fprintf(f, "fedscan report: scan %lld (%s), started %s", (long long)scan->id, scan->kind, scan->started_at);
	if (scan->complete)
		fprintf(f, ", finished %s", scan->finished_at);
	else
		fputs(", INCOMPLETE (interrupted, or still running)", f);
	fprintf(f, ", fedscan %s\n", scan->version);
	if (doc->have_local)
		fs_report_text_local(f, &doc->local, color);
	/* The same text as `fedscan check` prints, in report order (the most serious first). */
	for (i = 0; i < r.n; i++)
		fs_report_text_partner(f, r.v[i].a, color, verbose);
	export_summary(&r, byv, sizeof(byv), bym, sizeof(bym));
	fprintf(f, "\nSummary: %zu partner%s: %s", r.n, r.n == 1 ? "" : "s", r.n > 0 ? byv : "none recorded");
	if (bym[0] != '\0')
		fprintf(f, "; negotiated: %s", bym);
	fputc('\n', f);
	export_rows_free(&r);
	return 0;
}
