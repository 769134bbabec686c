/* export.h: a recorded scan as a report: text and JSON (through report.h), CSV, HTML and Markdown. */
#ifndef FEDSCAN_EXPORT_H
#define FEDSCAN_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "fedscan/assess.h"
#include "fedscan/settings.h"
#include "fedscan/store.h"

enum fs_format { FS_FMT_TEXT = 0, FS_FMT_JSON, FS_FMT_CSV, FS_FMT_HTML, FS_FMT_MARKDOWN };

/* "text", "json", "csv", "html", "markdown" (also "md"), case-insensitive: 0, or -1 for anything else. */
int fs_format_parse(const char *s, enum fs_format *out);
/* The format's name as --format spells it. */
const char *fs_format_name(enum fs_format f);

/*
 * A report document: one recorded scan, read once from the store's records into typed assessments (through
 * fs_assessment_from_json, report/json.c). Every format reads only this. As JSON it is the `check` contract
 * plus the scan's metadata:
 *   { "scan": { "id", "kind", "started_at", "finished_at", "complete", "fedscan_version", "partners" },
 *     "local": { ... }, "partners": [ { ... }, ... ] }
 * A record that cannot be read is never dropped: it stands in the document as a partner with the verdict
 * "error" whose reason says which record of which scan could not be read and why, and its message is in
 * unreadable[] for the command to print. Strings that came from the network are neutralised for the format
 * (escaped, control characters and bidi overrides replaced by '?', CSV cells that a spreadsheet would run as a
 * formula prefixed with '), never trusted.
 */
struct fs_report_doc {
	struct fs_scan_info scan;          /* scan.local: the "local" object as recorded (owned), or NULL */
	struct fs_setting local;           /* scan.local read back, when have_local */
	bool have_local;
	struct fs_assessment *partners;    /* owned: one per record, in the order recorded */
	size_t n;
	char (*unreadable)[FS_EV_LONG];    /* owned: "scan S, record I of N (DOMAIN) cannot be read: why", each */
	size_t nunreadable;
};

/* Read a scan's metadata and its partner records (a JSON array, fs_store_scan_partners) into out; -1: no memory. */
int fs_report_doc_load(const struct fs_scan_info *scan, const json_t *partners, struct fs_report_doc *out,
    char *err, size_t errlen);
/* Read a report document as JSON (the "scan", "local" and "partners" above) into out; -1: no memory. */
int fs_report_doc_from_json(const json_t *doc, struct fs_report_doc *out, char *err, size_t errlen);
/* The document as JSON, the layout above (a new reference; NULL: no memory). */
json_t *fs_report_doc_to_json(const struct fs_report_doc *doc);
/* Free what a document owns (not the struct); NULL is allowed. */
void fs_report_doc_clear(struct fs_report_doc *doc);

/* Write the document in a format; 0, or -1 when writing failed (or no memory). Each writer below: the same. */
int fs_export(FILE *f, enum fs_format fmt, const struct fs_report_doc *doc, bool color, int verbose);
/* The text `fedscan check` prints, for every partner, the most serious verdict first, then a summary. */
int fs_export_text(FILE *f, const struct fs_report_doc *doc, bool color, int verbose);
/* CSV (RFC 4180): a header row, then fs_export_row's columns for every partner. */
int fs_export_csv(FILE *f, const struct fs_report_doc *doc);
/* One self-contained HTML file: the scan, the local policy, counts, a sortable table of partners. */
int fs_export_html(FILE *f, const struct fs_report_doc *doc);
/* Markdown (GitHub/GitLab/CommonMark): the scan line, a summary and a table of partners. */
int fs_export_markdown(FILE *f, const struct fs_report_doc *doc);

/*
 * One partner flattened to the report's columns (a new object; NULL: no memory): domain, verdict,
 * tls, sasl, dialback, negotiated ("none" when no common method), methods
 * ("a, b"), reasons (array), endpoints ("host [address]:port; ..."), tls_version
 * (every version a handshake completed with, "TLSv1.3" or "TLSv1.2, TLSv1.3"),
 * cert_not_after, cert_days_left (integer, from `at`, or null), cert_sha256 (of
 * the certificate that expires first, over every connection of every endpoint),
 * lync (the New-CsXmppAllowedPartner line when the result carries one, else its
 * note on what to find out first, else "").
 * at: UNIX time the days are counted from (the scan's start).
 */
json_t *fs_export_row(const struct fs_assessment *a, long long at);

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; formula-safe; no separator written. */
void fs_csv_field(FILE *f, const char *s);
/* Text for HTML element content and attribute values: & < > " ' escaped, control characters replaced. */
void fs_html_escape(FILE *f, const char *s);
/* Text for a Markdown table cell: one line, markup characters and | backslash-escaped, control characters replaced. */
void fs_md_escape(FILE *f, const char *s);

#endif
