/* export.c: a recorded scan as a report: the formats' names, fs_export() choosing one, the remote-text escapers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fedscan/export.h"

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

int
fs_export(FILE *f, enum fs_format fmt, const struct fs_report_doc *doc, bool color, int verbose)
{
	json_t *o;
	int rc = -1;

	switch (fmt) {
	case FS_FMT_TEXT:
		rc = fs_export_text(f, doc, color, verbose);
		break;
	case FS_FMT_JSON:
		if ((o = fs_report_doc_to_json(doc)) == NULL)
			return -1;
		rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (rc == 0)
			fputc('\n', f);
		break;
	case FS_FMT_CSV:
		rc = fs_export_csv(f, doc);
		break;
	case FS_FMT_HTML:
		rc = fs_export_html(f, doc);
		break;
	case FS_FMT_MARKDOWN:
		rc = fs_export_markdown(f, doc);
		break;
	}
	return rc != 0 || ferror(f) ? -1 : 0;
}
