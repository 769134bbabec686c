/*
 * lync_import.c: Lync Server 2013 / Skype for Business words in: what
 * `Get-CsXmppAllowedPartner | Export-Csv` writes (RFC 4180 fields), read into a
 * policy (fedscan.conf(5)) with one [partner] per row.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fedscan/lync_import.h"
#include "fedscan/utf8.h"
#include "policyfile_int.h"

/* ---- the CSV reader ---- */

#define CSV_MAX_BYTES (16U * 1024U * 1024U)
#define CSV_MAX_FIELDS 256
#define CSV_MAX_ERRORS 32

struct csv {
	const char *name;
	const char *p, *end;
	int line;
	char delim;
	char *fields[CSV_MAX_FIELDS];
	size_t nfields;
	int rec_line;                   /* where the current record starts */
	char errs[CSV_MAX_ERRORS][400];
	int err_line[CSV_MAX_ERRORS];
	unsigned nerrs;
	bool more;
	char warn[8192];                /* warnings, "NAME:LINE: warning: ..." lines */
	unsigned nwarn;
};

static void __attribute__((format(printf, 3, 4)))
csv_err(struct csv *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->nerrs >= CSV_MAX_ERRORS) {
		c->more = true;
		return;
	}
	c->err_line[c->nerrs] = line;
	va_start(ap, fmt);
	vsnprintf(c->errs[c->nerrs], sizeof(c->errs[0]), fmt, ap);
	va_end(ap);
	c->nerrs++;
}

/* A warning: the import goes on; fs_lync_import hands them back in err on success. */
static void __attribute__((format(printf, 3, 4)))
warn_add(struct csv *c, int line, const char *fmt, ...)
{
	size_t n = strlen(c->warn);
	va_list ap;
	int m;

	if (c->nwarn++ >= CSV_MAX_ERRORS || n + 1 >= sizeof(c->warn))
		return;
	m = snprintf(c->warn + n, sizeof(c->warn) - n, "%s%s:%d: warning: ", n ? "\n" : "", c->name, line);
	if (m < 0 || (size_t)m >= sizeof(c->warn) - n)
		return;
	n += (size_t)m;
	va_start(ap, fmt);
	vsnprintf(c->warn + n, sizeof(c->warn) - n, fmt, ap);
	va_end(ap);
}

static void
csv_clear(struct csv *c)
{
	size_t i;

	for (i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	c->nfields = 0;
}

/* One record (RFC 4180 §2); 1 read, 0 at the end, -1 on a structural error (already reported). */
static int
csv_record(struct csv *c)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	bool quoted, done = false;

	csv_clear(c);
	if (c->p >= c->end)
		return 0;
	c->rec_line = c->line;
	while (!done) {
		int qline = c->line;

		len = 0;
		quoted = c->p < c->end && *c->p == '"';
		if (quoted)
			c->p++;
		for (;;) {
			char ch;

			if (c->p >= c->end) {
				if (quoted) {
					csv_err(c, qline, "a quoted field starts here and is never closed");
					free(buf);
					return -1;
				}
				done = true;
				break;
			}
			ch = *c->p;
			if (quoted && ch == '"') {
				if (c->p + 1 < c->end && c->p[1] == '"') {
					c->p += 2;
				} else {
					c->p++;
					quoted = false;
					if (c->p < c->end && *c->p != c->delim && *c->p != '\n' && *c->p != '\r') {
						csv_err(c, c->line, "field %zu: characters after its closing quote (a quote "
						    "inside a quoted field is written \"\")", c->nfields + 1);
						free(buf);
						return -1;
					}
					continue;
				}
			} else if (!quoted && ch == c->delim) {
				c->p++;
				break;
			} else if (!quoted && (ch == '\n' || (ch == '\r' && c->p + 1 < c->end && c->p[1] == '\n') ||
			    (ch == '\r' && c->p + 1 == c->end))) {
				c->p += ch == '\r' && c->p + 1 < c->end ? 2 : 1;
				c->line++;
				done = true;
				break;
			} else if (!quoted && ch == '"') {
				csv_err(c, c->line, "field %zu: a quote inside a field that does not start with one",
				    c->nfields + 1);
				free(buf);
				return -1;
			} else {
				if (ch == '\n')
					c->line++;
				c->p++;
			}
			if (len + 2 > cap) {
				char *b;
				cap = cap ? cap * 2 : 64;
				if ((b = realloc(buf, cap)) == NULL) {
					csv_err(c, c->line, "out of memory");
					free(buf);
					return -1;
				}
				buf = b;
			}
			buf[len++] = ch;
		}
		if (c->nfields >= CSV_MAX_FIELDS) {
			csv_err(c, c->rec_line, "more than %d fields", CSV_MAX_FIELDS);
			free(buf);
			return -1;
		}
		if ((c->fields[c->nfields] = malloc(len + 1)) == NULL) {
			csv_err(c, c->line, "out of memory");
			free(buf);
			return -1;
		}
		if (len > 0)
			memcpy(c->fields[c->nfields], buf, len);
		c->fields[c->nfields][len] = '\0';
		c->nfields++;
	}
	free(buf);
	return 1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

enum col { C_IDENTITY, C_DOMAIN, C_TLS, C_SASL, C_DIALBACK, C_PROXY, C_ADDITIONAL, C_DESCRIPTION, C_PARTNERTYPE,
	C_KEEPALIVE, C_LIMIT, C_LAST };

static const char *const colnames[C_LAST] = {
	"Identity", "Domain", "TlsNegotiation", "SaslNegotiation", "SupportDialbackNegotiation", "ProxyFqdn",
	"AdditionalDomains", "Description", "PartnerType", "EnableKeepAlive", "ConnectionLimit",
};

/* The delimiter of the header line: ',' unless it has none outside quotes and ';' or a tab instead (-UseCulture). */
static char
sniff_delim(const char *p, const char *end)
{
	size_t n[3] = { 0, 0, 0 };
	bool q = false;

	for (; p < end && (q || (*p != '\n' && *p != '\r')); p++) {
		if (*p == '"')
			q = !q;
		else if (!q && *p == ',')
			n[0]++;
		else if (!q && *p == ';')
			n[1]++;
		else if (!q && *p == '\t')
			n[2]++;
	}
	if (n[0] == 0 && n[1] > 0)
		return ';';
	if (n[0] == 0 && n[2] > 0)
		return '\t';
	return ',';
}

/*
 * A value quoted in a message: at most 80 bytes, with ESC, C0/C1 controls, DEL, bidi controls and invalid UTF-8
 * as \xHH (fs_policyfile_escape, the one escaping of the policy messages; messages are one line each).
 */
static const char *
shown(const char *v, char *buf, size_t size)
{
	return fs_policyfile_escape(v, buf, size, 80);
}

/* Longest domains a written policy file holds: "[partner D]" and "additional-domains = D" within a line. */
#define MAX_WRITABLE_DOMAIN (FS_POLICY_MAX_LINE - 10)
#define MAX_WRITABLE_ADDITIONAL (FS_POLICY_MAX_LINE - 21)

/* ---- one row, one partner ---- */

/*
 * The import: the reader, the policy it fills, and per partner the CSV line it came from (for messages); an
 * index of the partners' domains finds a duplicate without comparing each row with every earlier one.
 */
struct import {
	struct csv c;
	struct fs_policyfile *pf;
	int col[C_LAST];
	int *lines;                     /* lines[i]: the line of partner i */
	size_t lines_cap;
	struct fs_pf_index index;       /* the partners so far, by domain */
};

/* Room for one more entry of lines[]: doubled when full. 0, or -1 out of memory. */
static int
lines_reserve(struct import *im)
{
	size_t cap;
	int *nl;

	if (im->pf->npartners + 1 <= im->lines_cap)
		return 0;
	cap = im->lines_cap ? im->lines_cap * 2 : 64;
	if ((nl = realloc(im->lines, cap * sizeof(*nl))) == NULL)
		return -1;
	im->lines = nl;
	im->lines_cap = cap;
	return 0;
}

/* The row's partner: its domain checked (a name, writable, not the limit-th + 1, not a duplicate), then added. */
static struct fs_pf_partner *
row_partner(struct import *im, const char **f, int line)
{
	struct csv *c = &im->c;
	struct fs_policyfile *pf = im->pf;
	const char *dom = f[C_DOMAIN][0] ? f[C_DOMAIN] : f[C_IDENTITY], *col = f[C_DOMAIN][0] ? "Domain" : "Identity";
	struct fs_pf_partner *pp;
	size_t *slot;
	char sb[96];

	if (dom[0] == '\0') {
		csv_err(c, line, "no Identity or Domain value");
		return NULL;
	}
	if (!fs_policyfile_domain_ok(dom)) {
		csv_err(c, line, "%s '%s' is not a domain name", col, shown(dom, sb, sizeof(sb)));
		return NULL;
	}
	if (strlen(dom) > MAX_WRITABLE_DOMAIN) {
		csv_err(c, line, "%s '%s' is longer than %d characters, the longest a policy file holds", col,
		    shown(dom, sb, sizeof(sb)), MAX_WRITABLE_DOMAIN);
		return NULL;
	}
	if (pf->npartners >= FS_POLICY_MAX_PARTNERS) {
		csv_err(c, line, "more than %d partners (the limit)", FS_POLICY_MAX_PARTNERS);
		return NULL;
	}
	if (fs_pf_index_reserve(&im->index, im->pf) != 0) {
		csv_err(c, line, "out of memory");
		return NULL;
	}
	slot = fs_pf_index_slot(&im->index, im->pf, dom);
	if (*slot != 0) {
		csv_err(c, line, "duplicate partner %s (first on line %d)", shown(pf->partners[*slot - 1].domain, sb,
		    sizeof(sb)), im->lines[*slot - 1]);
		return NULL;
	}
	if ((pp = fs_policyfile_add_partner(pf, dom)) == NULL) {
		csv_err(c, line, "out of memory");
		return NULL;
	}
	*slot = pf->npartners;
	im->lines[pf->npartners - 1] = line;
	return pp;
}

/* TlsNegotiation, SaslNegotiation, SupportDialbackNegotiation and ProxyFqdn: what to expect of the partner. */
static void
row_settings(struct csv *c, struct fs_pf_partner *pp, const char **f, int line)
{
	char why[256], host[256], sb[96];
	enum fs_level l;
	enum fs_dialback d;
	int port;

	if (f[C_TLS][0] && fs_level_parse(f[C_TLS], &l) != 0)
		csv_err(c, line, "TlsNegotiation '%s' is not Required, Optional or NotSupported", shown(f[C_TLS], sb, sizeof(sb)));
	else if (f[C_TLS][0])
		pp->expect.tls = l;
	if (f[C_SASL][0] && fs_level_parse(f[C_SASL], &l) != 0)
		csv_err(c, line, "SaslNegotiation '%s' is not Required, Optional or NotSupported", shown(f[C_SASL], sb, sizeof(sb)));
	else if (f[C_SASL][0])
		pp->expect.sasl = l;
	if (f[C_DIALBACK][0] && fs_dialback_parse(f[C_DIALBACK], &d) != 0)
		csv_err(c, line, "SupportDialbackNegotiation '%s' is not True or False", shown(f[C_DIALBACK], sb, sizeof(sb)));
	else if (f[C_DIALBACK][0])
		pp->expect.dialback = d;
	if (f[C_PROXY][0]) {
		if (fs_policyfile_hostport(f[C_PROXY], host, sizeof(host), &port, why, sizeof(why)) != 0)
			csv_err(c, line, "ProxyFqdn '%s': %s", shown(f[C_PROXY], sb, sizeof(sb)), why);
		else if ((pp->connect_host = strdup(host)) != NULL)
			pp->connect_port = port;
	}
}

/* One AdditionalDomains item, lower-cased, onto the partner's list (its slots doubled when full). */
static int
additional_push(struct fs_pf_partner *pp, const char *tok)
{
	char **arr, *v;
	size_t i;

	if (pp->nadditional >= pp->additional_cap) {
		size_t n = pp->nadditional ? pp->nadditional * 2 : 8;

		if ((arr = realloc(pp->additional, n * sizeof(*arr))) == NULL)
			return -1;
		pp->additional = arr;
		pp->additional_cap = n;
	}
	if ((v = strdup(tok)) == NULL)
		return -1;
	for (i = 0; v[i]; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	pp->additional[pp->nadditional++] = v;
	return 0;
}

/*
 * AdditionalDomains: the items of a joined or {a, b} list. Export-Csv writes a list property as its type name
 * ("System.Collections.Generic.List`1[...]"), not its items; a Select-Object with -join, or the {a, b} of a
 * formatted list, gives the items. A type name becomes a remark in extra (the partner's comment).
 */
static void
row_additional(struct csv *c, struct fs_pf_partner *pp, const char *value, int line, char *extra, size_t size)
{
	char *a = strdup(value), *tok, *save = NULL, sb[96];

	if (a != NULL && (strchr(a, '`') != NULL || strstr(a, "System.") != NULL || strstr(a, "Microsoft.") != NULL)) {
		snprintf(extra + strlen(extra), size - strlen(extra), "%sAdditionalDomains was exported "
		    "as '%.60s', a type name, not the domains: list them here as additional-domains = ...",
		    extra[0] ? "\n" : "", a);
		free(a);
		return;
	}
	for (tok = a != NULL ? strtok_r(a, " \t,;{}", &save) : NULL; tok != NULL; tok = strtok_r(NULL, " \t,;{}", &save)) {
		if (!fs_policyfile_domain_ok(tok)) {
			csv_err(c, line, "AdditionalDomains: '%s' is not a domain name", shown(tok, sb, sizeof(sb)));
			continue;
		}
		if (strlen(tok) > MAX_WRITABLE_ADDITIONAL) {
			csv_err(c, line, "AdditionalDomains: '%s' is longer than %d characters, the longest a "
			    "policy file holds", shown(tok, sb, sizeof(sb)), MAX_WRITABLE_ADDITIONAL);
			continue;
		}
		if (strcasecmp(tok, pp->domain) == 0) {
			warn_add(c, line, "AdditionalDomains: %s is the partner's own domain; left out",
			    shown(tok, sb, sizeof(sb)));
			continue;
		}
		if (pp->nadditional >= FS_POLICY_MAX_ADDITIONAL) {
			csv_err(c, line, "AdditionalDomains: more than %d domains for one partner (the limit)",
			    FS_POLICY_MAX_ADDITIONAL);
			break;
		}
		if (additional_push(pp, tok) != 0)
			break;
	}
	free(a);
}

/* The partner's comment: where it came from, the columns a policy file has no key for, and extra's remarks. */
static void
row_comment(struct csv *c, struct fs_pf_partner *pp, const char **f, int line, const char *extra)
{
	char info[300];
	int k, n = snprintf(info, sizeof(info), "line %d of %s", line, c->name);

	if (f[C_DOMAIN][0] && f[C_IDENTITY][0] && strcasecmp(f[C_DOMAIN], f[C_IDENTITY]) != 0 && n > 0)
		n += snprintf(info + n, sizeof(info) - (size_t)n, "; Identity %.60s", f[C_IDENTITY]);
	for (k = C_PARTNERTYPE; k <= C_LIMIT && n > 0 && (size_t)n < sizeof(info); k++)
		if (f[k][0])
			n += snprintf(info + n, sizeof(info) - (size_t)n, "; %s %.40s", colnames[k], f[k]);
	if (extra[0]) {
		size_t m = strlen(info) + strlen(extra) + 2;
		if ((pp->comment = malloc(m)) != NULL)
			snprintf(pp->comment, m, "%s\n%s", info, extra);
	} else {
		pp->comment = strdup(info);
	}
}

/* The current record as one [partner]; what is wrong with it goes to the reader's errors. */
static void
row_to_partner(struct import *im)
{
	struct csv *c = &im->c;
	const char *f[C_LAST];
	char extra[512] = "", why[256];
	struct fs_pf_partner *pp;
	int k, line = c->rec_line;

	for (k = 0; k < C_LAST; k++)
		f[k] = im->col[k] >= 0 ? trim(c->fields[im->col[k]]) : "";
	if ((pp = row_partner(im, f, line)) == NULL)
		return;
	row_settings(c, pp, f, line);
	if (f[C_ADDITIONAL][0])
		row_additional(c, pp, f[C_ADDITIONAL], line, extra, sizeof(extra));
	if (f[C_DESCRIPTION][0] && fs_policyfile_text_writable(f[C_DESCRIPTION], why, sizeof(why)) != 0)
		csv_err(c, line, "Description: %s", why);
	else if (f[C_DESCRIPTION][0])
		pp->description = strdup(f[C_DESCRIPTION]);
	row_comment(c, pp, f, line, extra);
}

/*
 * A domain claimed twice (an additional domain that is a partner, or that an earlier row or the same row already
 * lists) would not read back (fedscan.conf(5)): the later claim is left out, with a warning. Sorted: n log n.
 */
static void
drop_duplicates(struct csv *c, struct fs_policyfile *pf, const int *lines)
{
	struct fs_pf_claim *v;
	size_t i, k, n = pf->npartners, g, h, j;
	char sb[96], sb2[96];

	for (i = 0; i < pf->npartners; i++)
		n += pf->partners[i].nadditional;
	if (n == pf->npartners)
		return;
	if ((v = malloc(n * sizeof(*v))) == NULL) {
		csv_err(c, 0, "out of memory");
		return;
	}
	for (i = 0, n = 0; i < pf->npartners; i++) {
		v[n++] = (struct fs_pf_claim){ pf->partners[i].domain, i, SIZE_MAX };
		for (k = 0; k < pf->partners[i].nadditional; k++)
			v[n++] = (struct fs_pf_claim){ pf->partners[i].additional[k], i, k };
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), fs_pf_claim_cmp);
	for (g = 0; g < n; g = h) {
		for (h = g + 1; h < n && strcmp(v[h].name, v[g].name) == 0; h++)
			;
		for (k = g + 1; k < h; k++) {
			struct fs_pf_partner *p = &pf->partners[v[k].partner];

			if (v[g].k == SIZE_MAX)
				warn_add(c, lines[v[k].partner], "AdditionalDomains: %s is the partner of line %d; left "
				    "out of [partner %s]", shown(v[k].name, sb, sizeof(sb)), lines[v[g].partner],
				    shown(p->domain, sb2, sizeof(sb2)));
			else
				warn_add(c, lines[v[k].partner], "AdditionalDomains: %s is listed already (line %d); "
				    "left out of [partner %s]", shown(v[k].name, sb, sizeof(sb)), lines[v[g].partner],
				    shown(p->domain, sb2, sizeof(sb2)));
			/* Marked here, removed below (v[] points into the arrays). */
			p->additional[v[k].k][0] = '\0';
		}
	}
	free(v);
	for (i = 0; i < pf->npartners; i++) {
		struct fs_pf_partner *p = &pf->partners[i];

		for (k = 0, j = 0; k < p->nadditional; k++) {
			if (p->additional[k][0] == '\0')
				free(p->additional[k]);
			else
				p->additional[j++] = p->additional[k];
		}
		p->nadditional = j;
	}
}

/* ---- the file ---- */

/* The whole file (the delimiter is known only after the header has been seen), NUL-terminated. 0, or -1 with err. */
static int
read_all(const char *name, FILE *in, char **out, size_t *outlen, char *err, size_t errlen)
{
	char *data = NULL, *b;
	size_t len = 0, cap = 0, n;

	*out = NULL;
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			if ((b = realloc(data, cap + 1)) == NULL) {
				snprintf(err, errlen, "%s: out of memory", name);
				goto out;
			}
			data = b;
		}
		n = fread(data + len, 1, cap - len, in);
		len += n;
		if (len > CSV_MAX_BYTES) {
			snprintf(err, errlen, "%s: larger than %u MiB; not a partner list", name, CSV_MAX_BYTES >> 20);
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno ? errno : EIO));
		goto out;
	}
	if (data == NULL && (data = malloc(1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	data[len] = '\0';
	*out = data;
	*outlen = len;
	return 0;
out:
	free(data);
	return -1;
}

/* A text file in UTF-8: not UTF-16 (say how to export it again), no NUL byte, valid UTF-8. 0, or -1 with err. */
static int
check_text(const char *name, const char *data, size_t len, char *err, size_t errlen)
{
	size_t bad, b;
	int bline = 1;

	if (len >= 2 && (((unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) ||
	    ((unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF))) {
		snprintf(err, errlen, "%s:1: the file is UTF-16 (Export-Csv -Encoding Unicode); export it again with "
		    "-Encoding UTF8", name);
		return -1;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL bytes: not a CSV text file", name);
		return -1;
	}
	if (!fs_utf8_valid(data, len, &bad)) {
		for (b = 0; b < bad; b++)
			bline += data[b] == '\n';
		snprintf(err, errlen, "%s:%d: not valid UTF-8", name, bline);
		return -1;
	}
	return 0;
}

/* Past what comes before the header: a byte order mark, the "#TYPE" line, blank lines; then its delimiter. */
static void
skip_preamble(struct csv *c)
{
	if (c->end - c->p >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0)
		c->p += 3;
	/* Windows PowerShell's Export-Csv starts with "#TYPE <type name>" unless -NoTypeInformation. */
	if (c->p < c->end && *c->p == '#') {
		while (c->p < c->end && *c->p != '\n')
			c->p++;
		if (c->p < c->end)
			c->p++;
		c->line++;
	}
	/* Blank lines before the header are tolerated. */
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		if (*c->p == '\n')
			c->line++;
		c->p++;
	}
	c->delim = sniff_delim(c->p, c->end);
}

/* The header: which field holds which column (col[], -1 when absent). 0, or -1 (reported in the reader). */
static int
read_header(struct csv *c, int *col, int header_line)
{
	size_t i;
	int r, k;

	if ((r = csv_record(c)) <= 0) {
		if (r == 0)
			csv_err(c, header_line, "no header line: not the output of Get-CsXmppAllowedPartner | Export-Csv");
		return -1;
	}
	for (k = 0; k < C_LAST; k++)
		col[k] = -1;
	for (i = 0; i < c->nfields; i++) {
		char *h = trim(c->fields[i]);
		for (k = 0; k < C_LAST; k++)
			if (strcasecmp(h, colnames[k]) == 0) {
				if (col[k] >= 0) {
					csv_err(c, header_line, "column %s appears twice in the header", colnames[k]);
					return -1;
				}
				col[k] = (int)i;
			}
	}
	if (col[C_IDENTITY] < 0 && col[C_DOMAIN] < 0) {
		csv_err(c, header_line, "the header has no Identity or Domain column: not the output of "
		    "Get-CsXmppAllowedPartner | Export-Csv");
		return -1;
	}
	return 0;
}

/* Every row after the header (ncols fields each) into im->pf. 0, or -1 out of memory (err set). */
static int
read_rows(struct import *im, size_t ncols, int header_line, char *err, size_t errlen)
{
	struct csv *c = &im->c;

	while (csv_record(c) > 0) {
		if (c->nfields == 1 && c->fields[0][0] == '\0')
			continue;                       /* a blank line */
		if (c->nfields != ncols) {
			csv_err(c, c->rec_line, "%zu fields where the header (line %d) has %zu", c->nfields, header_line,
			    ncols);
			continue;
		}
		if (lines_reserve(im) != 0) {
			snprintf(err, errlen, "%s: out of memory", c->name);
			return -1;
		}
		row_to_partner(im);
	}
	return 0;
}

/* The reader's errors as "NAME:LINE: problem" lines into err, with a last line when more were left out. */
static void
format_errors(const struct csv *c, char *err, size_t errlen)
{
	size_t used = 0;
	unsigned e;

	err[0] = '\0';
	for (e = 0; e < c->nerrs && used + 1 < errlen; e++) {
		int m = snprintf(err + used, errlen - used, "%s%s:%d: %s", e ? "\n" : "", c->name, c->err_line[e],
		    c->errs[e]);
		if (m < 0)
			break;
		used += (size_t)m;
		if (used >= errlen)
			used = errlen - 1;
	}
	if (c->more && used + 1 < errlen)
		snprintf(err + used, errlen - used, "\n%s: more problems follow; fix these first", c->name);
}

int
fs_lync_import(const char *name, FILE *in, struct fs_policyfile **out, char *err, size_t errlen)
{
	struct import *im;
	char *data = NULL;
	size_t len;
	int header_line, rc = -1;

	*out = NULL;
	/* On the heap: the reader's error and warning buffers are some 20 KB. */
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	im->c.name = name;
	im->c.line = 1;
	if (read_all(name, in, &data, &len, err, errlen) != 0 || check_text(name, data, len, err, errlen) != 0)
		goto out;
	im->c.p = data;
	im->c.end = data + len;
	skip_preamble(&im->c);
	header_line = im->c.line;
	if (read_header(&im->c, im->col, header_line) == 0) {
		if ((im->pf = fs_policyfile_new(name)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", name);
			goto out;
		}
		if (read_rows(im, im->c.nfields, header_line, err, errlen) != 0)
			goto out;
		if (im->c.nerrs == 0)
			drop_duplicates(&im->c, im->pf, im->lines);
	}
	if (im->c.nerrs > 0) {
		format_errors(&im->c, err, errlen);
		goto out;
	}
	*out = im->pf;
	im->pf = NULL;
	rc = 0;
	if (errlen > 0)
		snprintf(err, errlen, "%s", im->c.warn);
out:
	csv_clear(&im->c);
	fs_policyfile_free(im->pf);
	free(im->lines);
	fs_pf_index_free(&im->index);
	free(im);
	free(data);
	return rc;
}
