/* export.h: a recorded scan as a report: text and JSON (through report.h), CSV, HTML and Markdown. */
#ifndef FEDSCAN_EXPORT_H
#define FEDSCAN_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

enum fs_format { FS_FMT_TEXT = 0, FS_FMT_JSON, FS_FMT_CSV, FS_FMT_HTML, FS_FMT_MARKDOWN };

/* "text", "json", "csv", "html", "markdown" (also "md"), case-insensitive: 0, or -1 for anything else. */
int fs_format_parse(const char *s, enum fs_format *out);
const char *fs_format_name(enum fs_format f);

/*
 * A report document is the `check` JSON contract plus the scan's metadata:
 *   { "scan": { "id", "kind", "started_at", "finished_at", "complete", "fedscan_version", "partners" },
 *     "local": { ... }, "partners": [ { ... }, ... ] }
 * Every format below reads only that document. Strings that came from the
 * network are neutralised for the format (escaped, control characters and bidi
 * overrides replaced by '?', CSV cells that a spreadsheet would run as a
 * formula prefixed with '), never trusted.
 */
int fs_export(FILE *f, enum fs_format fmt, const json_t *doc, bool color, int verbose);
void fs_export_text(FILE *f, const json_t *doc, bool color, int verbose);
void fs_export_csv(FILE *f, const json_t *doc);
void fs_export_html(FILE *f, const json_t *doc);
void fs_export_markdown(FILE *f, const json_t *doc);

/*
 * One partner flattened to the report's columns (a new object): domain, verdict,
 * tls, sasl, dialback, negotiated ("none" when no common method), methods
 * ("a, b"), reasons (array), endpoints ("host [address]:port; ..."), tls_version
 * ("TLSv1.3" or "TLSv1.2, TLSv1.3"), cert_not_after, cert_days_left (integer,
 * from `at`, or null), cert_sha256 (of the certificate that expires first),
 * lync (the New-CsXmppAllowedPartner line when the result carries one, else its
 * note on what to find out first, else "").
 * at: UNIX time the days are counted from (the scan's start).
 */
json_t *fs_export_row(const json_t *partner, long long at);
/* Verdicts from the most serious: incompatible 0, unreachable 1, error 2, degraded 3, compatible 4, other 5. */
int fs_verdict_rank(const char *verdict);

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; formula-safe; no separator written. */
void fs_csv_field(FILE *f, const char *s);
/* Text for HTML element content and attribute values: & < > " ' escaped, control characters replaced. */
void fs_html_escape(FILE *f, const char *s);
/* Text for a Markdown table cell: one line, markup characters and | backslash-escaped, control characters replaced. */
void fs_md_escape(FILE *f, const char *s);

#endif
