/* lync.c: Lync Server 2013 / Skype for Business XMPP gateway words, out (a PowerShell line per partner) and in (Export-Csv). */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "fedscan/lync.h"
#include "fedscan/matrix.h"
#include "fedscan/utf8.h"

/* ---- out: New-CsXmppAllowedPartner ---- */

/* A PowerShell argument: bare when it is a plain host name, else single-quoted with quotes doubled. */
static void
ps_arg(char *dst, size_t size, const char *v)
{
	size_t i, o = 0;
	bool bare = v[0] != '\0';

	for (i = 0; v[i]; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '.' && v[i] != '-' && v[i] != '_')
			bare = false;
	if (bare) {
		snprintf(dst, size, "%s", v);
		return;
	}
	if (size < 3) {
		if (size > 0)
			dst[0] = '\0';
		return;
	}
	dst[o++] = '\'';
	for (i = 0; v[i] && o + 3 < size; i++) {
		const unsigned char *u = (const unsigned char *)v + i;
		/* PowerShell also closes a string at the typographic quotes U+2018..U+201B: double them too. */
		bool tq = u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9B;

		if (v[i] == '\'') {
			dst[o++] = '\'';
			dst[o++] = '\'';
		} else if (tq && o + 7 < size) {
			memcpy(dst + o, v + i, 3);
			memcpy(dst + o + 3, v + i, 3);
			o += 6;
			i += 2;
		} else if ((unsigned char)v[i] >= 0x20 && v[i] != 0x7f && !tq) {
			dst[o++] = v[i];
		}
	}
	dst[o++] = '\'';
	dst[o] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
note_add(struct fs_lync_advice *a, const char *fmt, ...)
{
	size_t n = strlen(a->note);
	va_list ap;

	if (n > 0 && n + 1 < sizeof(a->note))
		a->note[n++] = ' ';
	if (n + 1 >= sizeof(a->note))
		return;
	va_start(ap, fmt);
	vsnprintf(a->note + n, sizeof(a->note) - n, fmt, ap);
	va_end(ap);
}

static bool
is_address(const char *h)
{
	unsigned char b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

void
fs_lync_advise(const char *domain, const struct fs_setting *s, const char *proxy, int proxy_port,
    struct fs_lync_advice *out)
{
	char id[600], px[600], what[600] = "";
	struct fs_setting eff = *s;
	const struct fs_matrix_row *row;

	memset(out, 0, sizeof(*out));
	ps_arg(id, sizeof(id), domain);
	if (s->tls == FS_LEVEL_UNKNOWN || s->sasl == FS_LEVEL_UNKNOWN || s->dialback == FS_DIALBACK_UNKNOWN) {
		if (s->tls == FS_LEVEL_UNKNOWN)
			strcat(what, "whether the partner requires, offers or refuses TLS (-TlsNegotiation)");
		if (s->sasl == FS_LEVEL_UNKNOWN)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%swhether it accepts SASL EXTERNAL "
			    "with a certificate valid for our domain (-SaslNegotiation)", what[0] ? "; " : "");
		if (s->dialback == FS_DIALBACK_UNKNOWN)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%swhether it accepts server dialback "
			    "(-SupportDialbackNegotiation)", what[0] ? "; " : "");
		note_add(out, "No New-CsXmppAllowedPartner line for %s yet: find out %s.", id, what);
		return;
	}
	/* JJ552447: Lync refuses SASL without TLS; with TLS NotSupported SASL cannot happen, so say NotSupported. */
	if (eff.tls == FS_LEVEL_NOTSUPPORTED && eff.sasl != FS_LEVEL_NOTSUPPORTED) {
		note_add(out, "-SaslNegotiation NotSupported rather than %s: Lync refuses SASL when TLS is NotSupported, "
		    "and without TLS SASL cannot happen.", fs_level_name(eff.sasl));
		eff.sasl = FS_LEVEL_NOTSUPPORTED;
	}
	snprintf(out->powershell, sizeof(out->powershell), "New-CsXmppAllowedPartner -Identity %s -TlsNegotiation %s "
	    "-SaslNegotiation %s -SupportDialbackNegotiation %s", id, fs_level_name(eff.tls), fs_level_name(eff.sasl),
	    eff.dialback == FS_DIALBACK_TRUE ? "$true" : "$false");
	if (proxy != NULL && proxy[0] != '\0') {
		ps_arg(px, sizeof(px), proxy);
		snprintf(out->powershell + strlen(out->powershell), sizeof(out->powershell) - strlen(out->powershell),
		    " -ProxyFqdn %s", px);
		if (is_address(proxy))
			note_add(out, "-ProxyFqdn expects the host name of the partner's server; %s is an address.", px);
		if (proxy_port > 0 && proxy_port != 5269)
			note_add(out, "-ProxyFqdn has no port: the endpoint audited listens on port %d, not 5269.",
			    proxy_port);
	}
	row = fs_policy_row(&eff);
	if (row != NULL && row->methods == 0)
		note_add(out, "This setting (matrix row %d) accepts no authentication method: no session can be "
		    "negotiated with this partner as it is.", row->row);
	out->known = true;
}

/* ---- in: Get-CsXmppAllowedPartner | Export-Csv ---- */

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

static void
row_to_partner(struct csv *c, struct fs_policyfile *pf, const int *col, int *lines)
{
	const char *f[C_LAST];
	char *dom, extra[512] = "", why[256], host[256], sb[96];
	struct fs_pf_partner *pp;
	enum fs_level l;
	enum fs_dialback d;
	size_t i;
	int k, port, line = c->rec_line;

	for (k = 0; k < C_LAST; k++)
		f[k] = col[k] >= 0 ? trim(c->fields[col[k]]) : "";
	dom = (char *)(f[C_DOMAIN][0] ? f[C_DOMAIN] : f[C_IDENTITY]);
	if (dom[0] == '\0') {
		csv_err(c, line, "no Identity or Domain value");
		return;
	}
	if (!fs_policyfile_domain_ok(dom)) {
		csv_err(c, line, "%s '%s' is not a domain name", f[C_DOMAIN][0] ? "Domain" : "Identity", shown(dom, sb, sizeof(sb)));
		return;
	}
	if (strlen(dom) > MAX_WRITABLE_DOMAIN) {
		csv_err(c, line, "%s '%s' is longer than %d characters, the longest a policy file holds",
		    f[C_DOMAIN][0] ? "Domain" : "Identity", shown(dom, sb, sizeof(sb)), MAX_WRITABLE_DOMAIN);
		return;
	}
	if (pf->npartners >= FS_POLICY_MAX_PARTNERS) {
		csv_err(c, line, "more than %d partners (the limit)", FS_POLICY_MAX_PARTNERS);
		return;
	}
	for (i = 0; i < pf->npartners; i++)
		if (strcasecmp(pf->partners[i].domain, dom) == 0) {
			csv_err(c, line, "duplicate partner %s (first on line %d)", shown(pf->partners[i].domain, sb,
			    sizeof(sb)), lines[i]);
			return;
		}
	if ((pp = fs_policyfile_add_partner(pf, dom)) == NULL) {
		csv_err(c, line, "out of memory");
		return;
	}
	lines[pf->npartners - 1] = line;
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
	if (f[C_ADDITIONAL][0]) {
		char *a = strdup(f[C_ADDITIONAL]), *tok, *save = NULL, **arr;

		/*
		 * Export-Csv writes a list property as its type name ("System.Collections.Generic.List`1[...]"),
		 * not its items; a Select-Object with -join, or the {a, b} of a formatted list, gives the items.
		 */
		if (a != NULL && (strchr(a, '`') != NULL || strstr(a, "System.") != NULL ||
		    strstr(a, "Microsoft.") != NULL)) {
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%sAdditionalDomains was exported "
			    "as '%.60s', a type name, not the domains: list them here as additional-domains = ...",
			    extra[0] ? "\n" : "", a);
		} else if (a != NULL) {
			for (tok = strtok_r(a, " \t,;{}", &save); tok != NULL; tok = strtok_r(NULL, " \t,;{}", &save)) {
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
				if ((arr = realloc(pp->additional, (pp->nadditional + 1) * sizeof(*arr))) == NULL)
					break;
				pp->additional = arr;
				if ((arr[pp->nadditional] = strdup(tok)) == NULL)
					break;
				for (i = 0; arr[pp->nadditional][i]; i++)
					arr[pp->nadditional][i] = (char)tolower((unsigned char)arr[pp->nadditional][i]);
				pp->nadditional++;
			}
		}
		free(a);
	}
	if (f[C_DESCRIPTION][0] && fs_policyfile_text_writable(f[C_DESCRIPTION], why, sizeof(why)) != 0)
		csv_err(c, line, "Description: %s", why);
	else if (f[C_DESCRIPTION][0])
		pp->description = strdup(f[C_DESCRIPTION]);
	{
		char info[300];
		int n = snprintf(info, sizeof(info), "line %d of %s", line, c->name);

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

int
fs_lync_import(const char *name, FILE *in, struct fs_policyfile **out, char *err, size_t errlen)
{
	struct csv c;
	struct fs_policyfile *pf = NULL;
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	int col[C_LAST], *lines = NULL, header_line, r, k, rc = -1;
	size_t i;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.line = 1;
	/* The whole file: small, and the delimiter is known only after the header has been seen. */
	for (;;) {
		if (len + 65536 > cap) {
			char *b;
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
	c.p = data;
	c.end = data + len;
	if (len >= 2 && (((unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) ||
	    ((unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF))) {
		snprintf(err, errlen, "%s:1: the file is UTF-16 (Export-Csv -Encoding Unicode); export it again with "
		    "-Encoding UTF8", name);
		goto out;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL bytes: not a CSV text file", name);
		goto out;
	}
	{
		size_t bad, b;
		int bline = 1;

		if (!fs_utf8_valid(data, len, &bad)) {
			for (b = 0; b < bad; b++)
				bline += data[b] == '\n';
			snprintf(err, errlen, "%s:%d: not valid UTF-8", name, bline);
			goto out;
		}
	}
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		c.p += 3;
	/* Windows PowerShell's Export-Csv starts with "#TYPE <type name>" unless -NoTypeInformation. */
	if (c.p < c.end && *c.p == '#') {
		while (c.p < c.end && *c.p != '\n')
			c.p++;
		if (c.p < c.end)
			c.p++;
		c.line++;
	}
	/* Blank lines before the header are tolerated. */
	while (c.p < c.end && (*c.p == '\n' || *c.p == '\r')) {
		if (*c.p == '\n')
			c.line++;
		c.p++;
	}
	c.delim = sniff_delim(c.p, c.end);
	header_line = c.line;
	if ((r = csv_record(&c)) <= 0) {
		if (r == 0)
			csv_err(&c, header_line, "no header line: not the output of Get-CsXmppAllowedPartner | Export-Csv");
		goto report;
	}
	for (k = 0; k < C_LAST; k++)
		col[k] = -1;
	for (i = 0; i < c.nfields; i++) {
		char *h = trim(c.fields[i]);
		for (k = 0; k < C_LAST; k++)
			if (strcasecmp(h, colnames[k]) == 0) {
				if (col[k] >= 0) {
					csv_err(&c, header_line, "column %s appears twice in the header", colnames[k]);
					goto report;
				}
				col[k] = (int)i;
			}
	}
	if (col[C_IDENTITY] < 0 && col[C_DOMAIN] < 0) {
		csv_err(&c, header_line, "the header has no Identity or Domain column: not the output of "
		    "Get-CsXmppAllowedPartner | Export-Csv");
		goto report;
	}
	{
		size_t ncols = c.nfields;

		if ((pf = fs_policyfile_new(name)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", name);
			goto out;
		}
		while ((r = csv_record(&c)) > 0) {
			int *nl;

			if (c.nfields == 1 && c.fields[0][0] == '\0')
				continue;                       /* a blank line */
			if (c.nfields != ncols) {
				csv_err(&c, c.rec_line, "%zu fields where the header (line %d) has %zu", c.nfields,
				    header_line, ncols);
				continue;
			}
			if ((nl = realloc(lines, (pf->npartners + 1) * sizeof(*nl))) == NULL) {
				snprintf(err, errlen, "%s: out of memory", name);
				goto out;
			}
			lines = nl;
			row_to_partner(&c, pf, col, lines);
		}
	}
	if (pf != NULL && c.nerrs == 0)
		drop_duplicates(&c, pf, lines);
report:
	if (c.nerrs > 0) {
		size_t used = 0;
		unsigned e;

		err[0] = '\0';
		for (e = 0; e < c.nerrs && used + 1 < errlen; e++) {
			int m = snprintf(err + used, errlen - used, "%s%s:%d: %s", e ? "\n" : "", name, c.err_line[e],
			    c.errs[e]);
			if (m < 0)
				break;
			used += (size_t)m;
			if (used >= errlen)
				used = errlen - 1;
		}
		if (c.more && used + 1 < errlen)
			snprintf(err + used, errlen - used, "\n%s: more problems follow; fix these first", name);
		goto out;
	}
	*out = pf;
	pf = NULL;
	rc = 0;
	if (errlen > 0)
		snprintf(err, errlen, "%s", c.warn);
out:
	csv_clear(&c);
	fs_policyfile_free(pf);
	free(lines);
	free(data);
	return rc;
}
