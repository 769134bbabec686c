/* export_csv.c: a report document as CSV (RFC 4180: CRLF, a header row, quoted fields where needed). */
#include <stdio.h>
#include <string.h>

#include "fedscan/report.h"
#include "report/export_int.h"

/* The reasons in one cell, one per line; each line is remote text like any other. */
static void
reasons_cell(FILE *f, const struct fs_assessment *a)
{
	char joined[FS_ASSESS_REASONS * FS_EV_TEXT];
	size_t len = 0, n;
	unsigned i;

	joined[0] = '\0';
	for (i = 0; i < a->nreasons; i++) {
		n = strlen(a->reasons[i].text);
		if (len + n + 2 > sizeof(joined))
			break;
		if (i > 0)
			joined[len++] = '\n';
		memcpy(joined + len, a->reasons[i].text, n + 1);
		len += n;
	}
	fs_csv_field(f, joined);
}

static void
csv_row(FILE *f, const struct export_row *row)
{
	const struct fs_assessment *a = row->a;
	const char *const before[] = { a->domain, fs_verdict_name(a->verdict), fs_level_name(a->eff.s.tls),
		fs_level_name(a->eff.s.sasl), fs_dialback_name(a->eff.s.dialback), row->negotiated, row->methods };
	const char *const after[] = { row->endpoints, row->tls_version, row->cert_not_after };
	size_t k;

	for (k = 0; k < sizeof(before) / sizeof(before[0]); k++) {
		fs_csv_field(f, before[k]);
		fputc(',', f);
	}
	reasons_cell(f, a);
	for (k = 0; k < sizeof(after) / sizeof(after[0]); k++) {
		fputc(',', f);
		fs_csv_field(f, after[k]);
	}
	fputc(',', f);
	/* Our own number, not remote text: written as a number (a negative one stays one). */
	if (row->have_days)
		fprintf(f, "%lld", row->days);
	fputc(',', f);
	fs_csv_field(f, row->cert_sha256);
	fputc(',', f);
	fs_csv_field(f, row->lync);
	fputs("\r\n", f);
}

int
fs_export_csv(FILE *f, const struct fs_report_doc *doc)
{
	static const char *const cols[] = { "domain", "verdict", "tls", "sasl", "dialback", "negotiated", "methods",
		"reasons", "endpoints", "tls_version", "cert_not_after", "cert_days_left", "cert_sha256",
		"lync" };
	struct export_rows r;
	size_t i, k;

	if (export_rows_make(doc, &r) != 0)
		return -1;
	for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
		fputs(k > 0 ? "," : "", f);
		fs_csv_field(f, cols[k]);
	}
	fputs("\r\n", f);
	for (i = 0; i < r.n; i++)
		csv_row(f, &r.v[i]);
	export_rows_free(&r);
	return 0;
}
