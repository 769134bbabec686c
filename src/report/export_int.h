/* export_int.h: what the report formats (export_*.c) share: a partner's row, the rows in report order, counts. */
#ifndef FEDSCAN_EXPORT_INT_H
#define FEDSCAN_EXPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fedscan/export.h"

/* One partner as the report's columns (fs_export_row in export.h says what each holds). */
struct export_row {
	const struct fs_assessment *a;     /* the partner, owned by the document */
	size_t index;                      /* its place in the document: the last tie-break */
	const char *negotiated;            /* a method name, or "none" */
	char methods[256];
	char endpoints[2048];
	char tls_version[128];
	bool have_cert;                    /* a certificate with a known expiry was seen */
	char cert_not_after[FS_EV_SHORT];
	char cert_sha256[FS_EV_TEXT];
	bool have_days;                    /* have_cert and the scan's start is known */
	long long days;                    /* cert_days_left */
	const char *lync;                  /* the PowerShell line, else the note, else "" */
};

/* Every partner of a document as a row, the most serious verdict first, then by domain, then as recorded. */
struct export_rows {
	struct export_row *v;
	size_t n;
};

/* Negotiated methods as the summaries count them: each method in preference order, then none. */
#define EXPORT_NMETHODS 4
/* Verdicts (enum fs_verdict values). */
#define EXPORT_NVERDICTS (FS_VERDICT_ERROR + 1)

struct export_counts {
	size_t v[EXPORT_NVERDICTS];        /* by enum fs_verdict */
	size_t m[EXPORT_NMETHODS];         /* by export_method_name() index */
};

/* Fill r with a's columns; at: the UNIX time the certificate days count from (0: unknown). 0, or -1: no memory. */
int export_row_fill(const struct fs_assessment *a, long long at, struct export_row *r);
/* The document's rows in report order (never leaves a partner out); 0, or -1: no memory. */
int export_rows_make(const struct fs_report_doc *doc, struct export_rows *out);
/* Free the rows (not the assessments they point at). */
void export_rows_free(struct export_rows *r);
/* Whether some row carries a Lync line or note (the formats add a column for it). */
bool export_any_lync(const struct export_rows *r);
/* Count the rows by verdict and by negotiated method. */
void export_count(const struct export_rows *r, struct export_counts *c);
/* The name of the k-th verdict in report order (the most serious first), and its enum value in *v. */
const char *export_verdict_at(size_t k, enum fs_verdict *v);
/* The name of negotiated-method slot k (EXPORT_NMETHODS of them). */
const char *export_method_name(size_t k);
/* "2 compatible, 1 degraded" and "SASL over TLS 2, none 1". */
void export_summary(const struct export_rows *r, char *byv, size_t vsize, char *bym, size_t msize);
/* "NOT_AFTER (N days)", "NOT_AFTER (expired)", "NOT_AFTER", or "" without a certificate. */
void export_cert_text(char *buf, size_t size, const struct export_row *row);
/* Append s to a growing "a, b" list in buf; what does not fit is cut at a character boundary. */
void export_list_add(char *buf, size_t size, const char *sep, const char *s);
/* "started S, finished F, fedscan V." (or `incomplete` for ", finished F") through the format's escaper. */
void export_scan_times(FILE *f, const struct fs_scan_info *scan, void (*esc)(FILE *, const char *),
    const char *incomplete);
/* "Local policy: TLS x, SASL y, Dialback z (matrix row n)." through the format's escaper. */
void export_local_policy(FILE *f, const struct fs_setting *local, void (*esc)(FILE *, const char *));

#endif
