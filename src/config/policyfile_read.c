/* policyfile_read.c: reading the policy file of fedscan.conf(5) with libinih, every error with its file and line. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "fedscan/matrix.h"
#include "fedscan/options.h"
#include "fedscan/policyfile.h"
#include "fedscan/utf8.h"
#include "policyfile_int.h"

/*
 * How the file is read. libinih does the INI syntax (sections, "key = value", ';' and '#' comments, inline
 * "  ; comment", continuation lines that start with white space). Two things it cannot tell us portably are
 * handled around it, through the fgets-style reader given to ini_parse_stream():
 *   - the line number: the handler's lineno argument exists only when libinih was built with
 *     INI_HANDLER_LINENO, a build-time choice of the library that a caller cannot detect (a mismatch passes
 *     garbage silently). inih processes each line before it asks for the next, so the reader's count is the
 *     line the handler is called for.
 *   - sections: inih calls the handler only for "key = value", so a [partner DOMAIN] with no keys (audit it,
 *     expect nothing) would be invisible, and inih cuts section names at 50 bytes. The reader sees every
 *     section header first and keeps the current section itself; the handler ignores inih's copy.
 * The reader also refuses lines inih would silently split (longer than its line buffer) and NUL bytes.
 */

#define MAX_ERRORS 32
#define ERR_TEXT 320

/* The keys, their sections, types and ranges are those of fs_options (fedscan/options.h), shared with the command line. */

enum section { SEC_NONE = 0, SEC_LOCAL, SEC_PARTNER, SEC_BAD };

struct perr {
	int line;
	char text[ERR_TEXT];
};

struct ctx {
	struct fs_policyfile *pf;
	const char *name;              /* the file, in messages */
	char *basedir;                 /* relative paths are taken from here; NULL: as given */
	FILE *f;                       /* input: a file ... */
	const char *text;              /* ... or text in memory */
	size_t pos;
	char *buf;
	size_t bufsize;
	int lineno;
	bool handled;                  /* the handler was called for the current line */
	bool expect_handler;           /* the current line is neither blank, comment nor section */
	bool have_prev;                /* a key was seen since the last section header (inih's continuation rule) */
	bool continuation;             /* the current line continues the previous value */
	enum section sec;
	size_t cur;                    /* the current partner's index */
	int seen[FS_O__COUNT];         /* line of each key in the current section, by option id */
	int *addl_line;                /* line of each partner's additional-domains, for the duplicate check */
	size_t addl_line_cap;
	struct fs_pf_index ptab;       /* the partners read so far, by domain */
	char *desc_of;                 /* the description desc_cap belongs to (the current partner's) */
	size_t desc_cap;
	bool addl_over;                /* the current partner passed FS_POLICY_MAX_ADDITIONAL (reported) */
	int io_errno;
	bool nomem;
	struct perr errs[MAX_ERRORS];
	unsigned nerrs;
	bool more_errors;
};
static void __attribute__((format(printf, 3, 4)))
perror_at(struct ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->nerrs >= MAX_ERRORS) {
		c->more_errors = true;
		return;
	}
	c->errs[c->nerrs].line = line;
	va_start(ap, fmt);
	vsnprintf(c->errs[c->nerrs].text, ERR_TEXT, fmt, ap);
	va_end(ap);
	c->nerrs++;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
/* ---- reading ---- */

static void
section_header(struct ctx *c, const char *p)
{
	const char *e = p + 1, *close = NULL;
	char name[512], e1[ECHO_MAX + 4];
	size_t n, i;

	/* inih's rule: the name ends at ']', and an inline comment (" ;") before it means there is none. */
	for (; *e; e++) {
		if (*e == ']') {
			close = e;
			break;
		}
		if (*e == ';' && isspace((unsigned char)e[-1]))
			break;
	}
	c->sec = SEC_BAD;
	c->have_prev = false;
	c->addl_over = false;
	memset(c->seen, 0, sizeof(c->seen));
	if (close == NULL) {
		perror_at(c, c->lineno, "section header without ']'");
		return;
	}
	n = (size_t)(close - (p + 1));
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, p + 1, n);
	name[n] = '\0';
	/* Trim, then split "partner DOMAIN". */
	while (n > 0 && isspace((unsigned char)name[n - 1]))
		name[--n] = '\0';
	p = name;
	while (isspace((unsigned char)*p))
		p++;
	if (strcasecmp(p, "local") == 0) {
		if (c->pf->local_line != 0) {
			perror_at(c, c->lineno, "duplicate [local] section (the first is on line %d)", c->pf->local_line);
			return;
		}
		c->pf->local_line = c->lineno;
		c->sec = SEC_LOCAL;
		return;
	}
	if (strncasecmp(p, "partner", 7) == 0 && (p[7] == '\0' || isspace((unsigned char)p[7]))) {
		const char *d = p + 7;
		struct fs_pf_partner *pp;
		size_t *slot;

		while (isspace((unsigned char)*d))
			d++;
		if (*d == '\0') {
			perror_at(c, c->lineno, "[partner] needs a domain, as in [partner example.org]");
			return;
		}
		if (!fs_policyfile_domain_ok(d)) {
			perror_at(c, c->lineno, "[partner ...]: '%s' is not a domain name", fs_pf_echo(d, e1, sizeof(e1)));
			return;
		}
		if (c->pf->npartners >= FS_POLICY_MAX_PARTNERS) {
			perror_at(c, c->lineno, "more than %d [partner] sections (the limit)", FS_POLICY_MAX_PARTNERS);
			return;
		}
		if (fs_pf_index_reserve(&c->ptab, c->pf) != 0) {
			c->nomem = true;
			return;
		}
		slot = fs_pf_index_slot(&c->ptab, c->pf, d);
		if (*slot != 0) {
			i = *slot - 1;
			perror_at(c, c->lineno, "duplicate partner %s (the first is on line %d)",
			    fs_pf_echo(c->pf->partners[i].domain, e1, sizeof(e1)), c->pf->partners[i].line);
			return;
		}
		{
			int *al = fs_pf_grow(c->addl_line, &c->addl_line_cap, c->pf->npartners, sizeof(*al));
			if (al == NULL) {
				c->nomem = true;
				return;
			}
			c->addl_line = al;
			al[c->pf->npartners] = 0;
		}
		if ((pp = fs_policyfile_add_partner(c->pf, d)) == NULL) {
			c->nomem = true;
			return;
		}
		pp->line = c->lineno;
		c->cur = c->pf->npartners - 1;
		*slot = c->pf->npartners;
		c->sec = SEC_PARTNER;
		return;
	}
	perror_at(c, c->lineno, "unknown section [%s]; the sections are [local] and [partner DOMAIN]",
	    fs_pf_echo(p, e1, sizeof(e1)));
}

/* The next line into c->buf; its length, or -1 at the end (or on a read error, kept in c->io_errno). */
static ssize_t
next_line(struct ctx *c)
{
	if (c->f != NULL) {
		ssize_t n;

		errno = 0;
		n = getline(&c->buf, &c->bufsize, c->f);
		if (n < 0 && ferror(c->f))
			c->io_errno = errno != 0 ? errno : EIO;
		return n;
	} else {
		const char *s = c->text + c->pos, *nl;
		size_t n;

		if (*s == '\0')
			return -1;
		nl = strchr(s, '\n');
		n = nl != NULL ? (size_t)(nl - s) + 1 : strlen(s);
		if (n + 1 > c->bufsize) {
			char *b = realloc(c->buf, n + 1);
			if (b == NULL) {
				c->nomem = true;
				return -1;
			}
			c->buf = b;
			c->bufsize = n + 1;
		}
		memcpy(c->buf, s, n);
		c->buf[n] = '\0';
		c->pos += n;
		return (ssize_t)n;
	}
}

static char *
reader(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	ssize_t n;
	size_t len, content;
	char *line, *p;

	if (c->expect_handler && !c->handled)
		perror_at(c, c->lineno, "not a 'key = value' line, a [section] header or a comment");
	c->expect_handler = false;
	c->handled = false;
	c->continuation = false;
	if (c->nomem || (n = next_line(c)) < 0)
		return NULL;
	c->lineno++;
	line = c->buf;
	len = (size_t)n;
	if (c->lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		len -= 3;
	}
	content = len;
	while (content > 0 && (line[content - 1] == '\n' || line[content - 1] == '\r'))
		content--;
	if (memchr(line, '\0', len) != NULL) {
		perror_at(c, c->lineno, "a NUL byte in the line");
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (num < 3 || len + 1 > (size_t)num) {
		perror_at(c, c->lineno, "a line longer than %d characters; continue a long description on lines that "
		    "start with a space", num - 2);
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (!fs_utf8_valid(line, content, NULL)) {
		perror_at(c, c->lineno, "not valid UTF-8");
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	memcpy(str, line, len);
	str[len] = '\0';

	/* What inih will make of it (same order as its ini_parse_stream). */
	for (p = line; p < line + content && isspace((unsigned char)*p); p++)
		;
	if (p == line + content || *p == ';' || *p == '#')
		return str;                             /* blank or comment */
	if (c->have_prev && p > line) {
		c->expect_handler = true;               /* continuation of the previous value */
		c->continuation = true;
		return str;
	}
	if (*p == '[') {
		char tmp[1024];
		size_t k = (size_t)(line + content - p);
		if (k >= sizeof(tmp))
			k = sizeof(tmp) - 1;
		memcpy(tmp, p, k);
		tmp[k] = '\0';
		section_header(c, tmp);
		return str;
	}
	c->expect_handler = true;
	return str;
}

static int
set_str(struct ctx *c, char **dst, const char *v)
{
	char *d = strdup(v);

	if (d == NULL) {
		c->nomem = true;
		return -1;
	}
	free(*dst);
	*dst = d;
	return 0;
}

/* A file key: relative to the policy file's directory, and readable. */
static void
set_file(struct ctx *c, const struct fs_option *k, char **dst, const char *v, bool must_read)
{
	char *path, e1[ECHO_MAX + 4];

	if (*v == '\0') {
		perror_at(c, c->lineno, "%s: empty value; give a file name", k->key);
		return;
	}
	if (v[0] != '/' && c->basedir != NULL) {
		size_t n = strlen(c->basedir) + strlen(v) + 2;
		if ((path = malloc(n)) == NULL) {
			c->nomem = true;
			return;
		}
		snprintf(path, n, "%s/%s", c->basedir, v);
	} else if ((path = strdup(v)) == NULL) {
		c->nomem = true;
		return;
	}
	if (must_read && access(path, R_OK) != 0) {
		perror_at(c, c->lineno, "%s: cannot read '%s': %s", k->key, fs_pf_echo(path, e1, sizeof(e1)), strerror(errno));
		free(path);
		return;
	}
	free(*dst);
	*dst = path;
}

static void
add_domains(struct ctx *c, const struct fs_option *k, struct fs_pf_partner *pp, const char *v)
{
	char *copy = strdup(v), *tok, *save = NULL, e1[ECHO_MAX + 4];
	char **a;

	if (copy == NULL) {
		c->nomem = true;
		return;
	}
	for (tok = strtok_r(copy, " \t,;", &save); tok != NULL; tok = strtok_r(NULL, " \t,;", &save)) {
		if (!fs_policyfile_domain_ok(tok)) {
			perror_at(c, c->lineno, "%s: '%s' is not a domain name", k->key, fs_pf_echo(tok, e1, sizeof(e1)));
			continue;
		}
		if (pp->nadditional >= FS_POLICY_MAX_ADDITIONAL) {
			if (!c->addl_over)
				perror_at(c, c->lineno, "%s: more than %d domains for one partner (the limit)", k->key,
				    FS_POLICY_MAX_ADDITIONAL);
			c->addl_over = true;
			break;
		}
		if ((a = fs_pf_grow(pp->additional, &pp->additional_cap, pp->nadditional, sizeof(*a))) == NULL) {
			c->nomem = true;
			break;
		}
		pp->additional = a;
		if ((a[pp->nadditional] = fs_pf_lower_dup(tok)) == NULL) {
			c->nomem = true;
			break;
		}
		pp->nadditional++;
	}
	free(copy);
	c->addl_line[c->cur] = c->lineno;
}

/* Append v to the text at *dst with a space between; the buffer doubles, so a long description stays linear. */
static void
add_text(struct ctx *c, char **dst, const char *v)
{
	size_t a = *dst != NULL ? strlen(*dst) : 0, b = strlen(v);
	char *d;

	if (b == 0)
		return;
	if (*dst != c->desc_of)
		c->desc_cap = a + 1;     /* not ours to know: as large as its text */
	if (a + b + 2 > c->desc_cap) {
		size_t want = 2 * (a + b + 2) < 64 ? 64 : 2 * (a + b + 2);
		if ((d = realloc(*dst, want)) == NULL) {
			c->nomem = true;
			return;
		}
		c->desc_cap = want;
	} else {
		d = *dst;
	}
	if (a > 0)
		d[a++] = ' ';
	memcpy(d + a, v, b + 1);
	*dst = d;
	c->desc_of = d;
}

/* tls, sasl, dialback: the local setting in [local], the expectation in a [partner] section. */
static void
key_setting(struct ctx *c, const struct fs_option *k, const char *v)
{
	struct fs_pf_partner *pp = c->sec == SEC_PARTNER ? &c->pf->partners[c->cur] : NULL;
	struct fs_setting *s = pp != NULL ? &pp->expect : &c->pf->local;
	char e1[ECHO_MAX + 4];
	enum fs_level l;
	enum fs_dialback d;

	if (k->type == FS_OT_DIALBACK) {
		if (fs_dialback_parse(v, &d) != 0) {
			perror_at(c, c->lineno, "%s: '%s' is not a setting; use True or False (yes/no, on/off, 1/0 also work)",
			    k->key, fs_pf_echo(v, e1, sizeof(e1)));
			return;
		}
		s->dialback = d;
		if (pp != NULL)
			pp->expect_line[2] = c->lineno;
		return;
	}
	if (fs_level_parse(v, &l) != 0) {
		perror_at(c, c->lineno, "%s: '%s' is not a setting; use Required, Optional or NotSupported", k->key,
		    fs_pf_echo(v, e1, sizeof(e1)));
		return;
	}
	if (k->id == FS_O_TLS)
		s->tls = l;
	else
		s->sasl = l;
	if (pp != NULL)
		pp->expect_line[k->id == FS_O_TLS ? 0 : 1] = c->lineno;
}

/* timeout, concurrency, expiry-warn, expiry-crit and the retention days, within the range of fs_options. */
static void
key_number(struct ctx *c, const struct fs_option *k, const char *v)
{
	char e1[ECHO_MAX + 4];
	double x;

	if (fs_option_number(k, v, k->type == FS_OT_COUNT, &x) != 0) {
		perror_at(c, c->lineno, "%s: '%s' is not a %s from %g to %g", k->key, fs_pf_echo(v, e1, sizeof(e1)),
		    k->type == FS_OT_COUNT ? "whole number" : "number of seconds", k->min, k->max);
		return;
	}
	if (k->id == FS_O_TIMEOUT)
		c->pf->timeout_ms = (long)(x * 1000 + 1e-6);    /* whole ms; the epsilon keeps "1.001" at 1001 */
	else if (k->id == FS_O_EXPIRY_WARN)
		c->pf->expiry_warn_days = (int)x;
	else if (k->id == FS_O_EXPIRY_CRIT)
		c->pf->expiry_crit_days = (int)x;
	else if (k->id == FS_O_RETAIN_DAYS)
		c->pf->retain_days = (unsigned)x;
	else if (k->id == FS_O_RETAIN_WEEKLY_DAYS)
		c->pf->retain_weekly_days = (unsigned)x;
	else
		c->pf->concurrency = (unsigned)x;
}

/* [local] listen and [partner] connect: HOST[:PORT]. */
static void
key_hostport(struct ctx *c, const struct fs_option *k, const char *v)
{
	struct fs_pf_partner *pp = c->sec == SEC_PARTNER ? &c->pf->partners[c->cur] : NULL;
	char e1[ECHO_MAX + 4], why[128], host[256];
	int port;

	if (fs_policyfile_hostport(v, host, sizeof(host), &port, why, sizeof(why)) != 0) {
		perror_at(c, c->lineno, "%s: '%s': %s; use HOST or HOST:PORT", k->key, fs_pf_echo(v, e1, sizeof(e1)), why);
		return;
	}
	if (pp == NULL) {
		/* [local] listen: the authoritative listener (fedscan(1), AUTHORITATIVE MODE). */
		if (set_str(c, &c->pf->listen_host, host) == 0)
			c->pf->listen_port = port;
		return;
	}
	if (set_str(c, &pp->connect_host, host) == 0)
		pp->connect_port = port;
}

static void
key_value(struct ctx *c, const struct fs_option *k, const char *v)
{
	struct fs_policyfile *pf = c->pf;
	char e1[ECHO_MAX + 4];

	switch (k->type) {
	case FS_OT_LEVEL:
	case FS_OT_DIALBACK:
		key_setting(c, k, v);
		return;
	case FS_OT_DOMAIN:
		if (!fs_policyfile_domain_ok(v) || strlen(v) >= 250) {
			perror_at(c, c->lineno, "%s: '%s' is not a domain name", k->key, fs_pf_echo(v, e1, sizeof(e1)));
			return;
		}
		set_str(c, &pf->from, v);
		return;
	case FS_OT_FILE:
		set_file(c, k, k->id == FS_O_CLIENT_CERT ? &pf->client_cert : k->id == FS_O_CLIENT_KEY ?
		    &pf->client_key : &pf->ca_file, v, true);
		return;
	case FS_OT_PATH:
		set_file(c, k, &pf->database, v, false);
		return;
	case FS_OT_SECONDS:
	case FS_OT_COUNT:
		key_number(c, k, v);
		return;
	case FS_OT_HOSTPORT:
		key_hostport(c, k, v);
		return;
	case FS_OT_DOMAINS:
		add_domains(c, k, &pf->partners[c->cur], v);
		return;
	case FS_OT_TEXT:
		add_text(c, &pf->partners[c->cur].description, v);
		return;
	case FS_OT_FLAG:
	case FS_OT_STRING:
		break;
	}
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *c = user;
	const struct fs_option *k;
	char e1[ECHO_MAX + 4], list[256];
	unsigned sec;
	size_t i;

	(void)section;                  /* ours is c->sec: see the comment at the top */
	c->handled = true;
	c->have_prev = true;
	if (c->sec == SEC_BAD)
		return 1;                   /* the section header was already reported */
	if (c->sec == SEC_NONE) {
		perror_at(c, c->lineno, "'%s' comes before any section; put it under [local] or [partner DOMAIN]",
		    fs_pf_echo(name, e1, sizeof(e1)));
		return 1;
	}
	if (name[0] == '\0') {
		perror_at(c, c->lineno, "a value without a key");
		return 1;
	}
	sec = c->sec == SEC_PARTNER ? FS_SEC_PARTNER : FS_SEC_LOCAL;
	if ((k = fs_option_key(name, sec)) == NULL) {
		size_t used = 0;

		list[0] = '\0';
		for (i = 0; i < FS_O__COUNT && used < sizeof(list); i++)
			if (fs_options[i].key != NULL && (fs_options[i].sections & sec) != 0) {
				int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", fs_options[i].key);
				used = n < 0 ? sizeof(list) : used + (size_t)n;
			}
		perror_at(c, c->lineno, "unknown key '%s' in %s; the keys there are %s", fs_pf_echo(name, e1, sizeof(e1)),
		    c->sec == SEC_LOCAL ? "[local]" : "a [partner] section", list);
		return 1;
	}
	i = k->id;
	if (c->seen[i] != 0 && c->seen[i] != c->lineno && (k->flags & FS_OF_ACCUMULATES) == 0) {
		/* A continuation line of a single-valued key lands here too, with the same wording. */
		perror_at(c, c->lineno, "%s given twice in this section (first on line %d)%s", k->key, c->seen[i],
		    c->continuation ? "; a line that starts with white space continues the previous one" : "");
		return 1;
	}
	if (c->seen[i] == 0)
		c->seen[i] = c->lineno;
	key_value(c, k, value);
	return 1;
}

/* A domain claimed twice across sections: as a partner and as another's additional domain, or two additional. */
int
fs_pf_claim_cmp(const void *a, const void *b)
{
	const struct fs_pf_claim *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	if (d != 0)
		return d;
	/* The partner's own section first, then additional domains in file order. */
	if (x->k == SIZE_MAX || y->k == SIZE_MAX)
		return (x->k != SIZE_MAX) - (y->k != SIZE_MAX);
	if (x->partner != y->partner)
		return x->partner < y->partner ? -1 : 1;
	return (x->k > y->k) - (x->k < y->k);
}

/* Sorted rather than pairwise, so a partner with many additional domains costs n log n, not n². */
static void
cross_check(struct ctx *c)
{
	struct fs_policyfile *pf = c->pf;
	struct fs_pf_claim *v;
	size_t i, k, n = pf->npartners, g, h;
	char e1[ECHO_MAX + 4], e2[ECHO_MAX + 4];

	for (i = 0; i < pf->npartners; i++)
		n += pf->partners[i].nadditional;
	if (n == pf->npartners)
		return;
	if ((v = malloc(n * sizeof(*v))) == NULL) {
		c->nomem = true;
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
		for (k = g; k < h; k++) {
			const struct fs_pf_partner *p = &pf->partners[v[k].partner];
			int line = c->addl_line != NULL ? c->addl_line[v[k].partner] : p->line;

			if (v[k].k == SIZE_MAX)
				continue;
			if (v[g].k == SIZE_MAX) {
				const struct fs_pf_partner *own = &pf->partners[v[g].partner];
				perror_at(c, line > own->line ? line : own->line, "duplicate partner %s: it has its own "
				    "section on line %d and is an additional domain of [partner %s]",
				    fs_pf_echo(v[k].name, e1, sizeof(e1)), own->line, fs_pf_echo(p->domain, e2, sizeof(e2)));
			} else if (k > g) {
				perror_at(c, line, "duplicate partner %s: already an additional domain of [partner %s]",
				    fs_pf_echo(v[k].name, e1, sizeof(e1)), fs_pf_echo(pf->partners[v[g].partner].domain, e2, sizeof(e2)));
			}
		}
	}
	free(v);
}

static int
cmp_err(const void *a, const void *b)
{
	const struct perr *x = a, *y = b;

	return x->line != y->line ? (x->line < y->line ? -1 : 1) : (x < y ? -1 : x > y);
}

static int
finish(struct ctx *c, int rc, struct fs_policyfile **out, char *err, size_t errlen)
{
	size_t used = 0;
	unsigned i;

	if (c->nomem) {
		snprintf(err, errlen, "%s: out of memory", c->name);
		goto out;
	}
	if (c->io_errno != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", c->name, strerror(c->io_errno));
		goto out;
	}
	cross_check(c);
	/* inih's own verdict, in case it saw a problem we did not name (it reports only the first line). */
	if (rc > 0 && c->nerrs == 0)
		perror_at(c, rc, "not a 'key = value' line, a [section] header or a comment");
	if (rc == -2) {
		snprintf(err, errlen, "%s: out of memory", c->name);
		goto out;
	}
	if (c->nerrs == 0) {
		*out = c->pf;
		c->pf = NULL;
		return 0;
	}
	/* A stable sort: line order, and in a line the order found. */
	if (c->nerrs > 1)
		qsort(c->errs, c->nerrs, sizeof(c->errs[0]), cmp_err);
	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < c->nerrs && used + 1 < errlen; i++) {
		int n = snprintf(err + used, errlen - used, "%s%s:%d: %s", i ? "\n" : "", c->name, c->errs[i].line,
		    c->errs[i].text);
		if (n < 0)
			break;
		used += (size_t)n;
		if (used >= errlen)
			used = errlen - 1;
	}
	if (c->more_errors && used + 1 < errlen)
		snprintf(err + used, errlen - used, "\n%s: more problems follow; fix these first", c->name);
out:
	fs_policyfile_free(c->pf);
	c->pf = NULL;
	return -1;
}

static void
ctx_free(struct ctx *c)
{
	free(c->buf);
	free(c->basedir);
	free(c->addl_line);
	fs_pf_index_free(&c->ptab);
	fs_policyfile_free(c->pf);
}

int
fs_policyfile_load(const char *path, struct fs_policyfile **out, char *err, size_t errlen)
{
	struct ctx c;
	const char *slash;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.name = path;
	if ((c.f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if ((c.pf = fs_policyfile_new(path)) == NULL) {
		fclose(c.f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if ((slash = strrchr(path, '/')) != NULL)
		c.basedir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (slash != NULL && c.basedir == NULL)
		c.nomem = true;
	rc = c.nomem ? 0 : ini_parse_stream(reader, &c, handler, &c);
	fclose(c.f);
	c.f = NULL;
	rc = finish(&c, rc, out, err, errlen);
	ctx_free(&c);
	return rc;
}

int
fs_policyfile_parse(const char *name, const char *text, struct fs_policyfile **out, char *err, size_t errlen)
{
	struct ctx c;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.text = text;
	if ((c.pf = fs_policyfile_new(name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	rc = ini_parse_stream(reader, &c, handler, &c);
	rc = finish(&c, rc, out, err, errlen);
	ctx_free(&c);
	return rc;
}
