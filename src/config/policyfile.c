/* policyfile.c: the policy file's model (fedscan.conf(5)): partners, lookups, escaping, and how a partner compares. */
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

#include "fedscan/matrix.h"
#include "fedscan/options.h"
#include "fedscan/policyfile.h"
#include "fedscan/utf8.h"
#include "policyfile_int.h"

/* Is the character of k bytes at u unsafe on a terminal: C1 control, bidi mark, embedding, override or isolate? */
static bool
unsafe_char(const unsigned char *u, size_t k)
{
	if (k == 2)
		return u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f;
	if (k == 3 && u[0] == 0xe2 && u[1] == 0x80)
		return u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae);
	if (k == 3 && u[0] == 0xe2 && u[1] == 0x81)
		return u[2] >= 0xa6 && u[2] <= 0xa9;
	return false;
}

const char *
fs_policyfile_escape(const char *v, char *buf, size_t size, size_t max)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t o = 0, i = 0, n = strlen(v), k, j;

	if (size == 0)
		return "";
	if (max + 4 > size)
		max = size > 4 ? size - 4 : 0;
	while (i < n) {
		k = fs_utf8_seq(u + i, n - i, NULL);
		if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))
			k = 0;
		if (k == 0 || unsafe_char(u + i, k)) {
			size_t m = k == 0 ? 1 : k;
			if (o + 4 * m > max)
				break;
			for (j = 0; j < m; j++, o += 4)
				snprintf(buf + o, size - o, "\\x%02X", u[i + j]);
			i += m;
			continue;
		}
		if (o + k > max)
			break;
		memcpy(buf + o, u + i, k);
		o += k;
		i += k;
	}
	if (i < n && o + 4 <= size) {
		memcpy(buf + o, "...", 4);
		return buf;
	}
	buf[o] = '\0';
	return buf;
}

/* A value quoted in a message: shortened, every byte a terminal could act on shown as \xHH. */
const char *
fs_pf_echo(const char *v, char *buf, size_t size)
{
	return fs_policyfile_escape(v, buf, size, ECHO_MAX);
}

char *
fs_pf_lower_dup(const char *s)
{
	char *d = strdup(s), *p;

	if (d != NULL)
		for (p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

/*
 * The array a (elements of size bytes, *cap allocated) with room for element n: a itself when there is, else a
 * copy twice as large, so that reading n partners costs O(n) copies, not O(n^2). NULL when out of memory (a
 * stays valid).
 */
void *
fs_pf_grow(void *a, size_t *cap, size_t n, size_t size)
{
	size_t want;

	if (n < *cap && a != NULL)
		return a;
	want = n < 4 ? 8 : 2 * n;
	if (want > SIZE_MAX / size || (a = realloc(a, want * size)) == NULL)
		return NULL;
	*cap = want;
	return a;
}

bool
fs_policyfile_domain_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || strchr("/@<>&'\",;[]", s[i]) != NULL)
			return false;
	return true;
}

int
fs_policyfile_hostport(const char *v, char *host, size_t hostlen, int *port, char *why, size_t whylen)
{
	const char *h = v, *colon, *p = NULL;
	size_t hl;
	char *end;
	long n;

	*port = 5269;
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');
		if (rb == NULL) {
			snprintf(why, whylen, "'[' without ']'");
			return -1;
		}
		h = v + 1;
		hl = (size_t)(rb - h);
		if (rb[1] == ':')
			p = rb + 2;
		else if (rb[1] != '\0') {
			snprintf(why, whylen, "not HOST[:PORT]");
			return -1;
		}
	} else if ((colon = strchr(v, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - v);
		p = colon + 1;
	} else {
		hl = strlen(v);     /* a name, or a bare IPv6 address */
	}
	if (p != NULL) {
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno != 0 || end == p || *end != '\0' || n < 1 || n > 65535) {
			snprintf(why, whylen, "the port must be a number from 1 to 65535");
			return -1;
		}
		*port = (int)n;
	}
	if (hl == 0 || hl >= hostlen) {
		snprintf(why, whylen, "no usable host");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (strpbrk(host, " \t/@<>&'\"[];,") != NULL || strcspn(host, "\x01\x02\x03\x04\x05\x06\x07\x08\n\v\f\r"
	    "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != hl ||
	    !fs_utf8_valid(host, hl, NULL)) {
		char e[ECHO_MAX + 4];
		snprintf(why, whylen, "'%s' is not a host name or address", fs_pf_echo(host, e, sizeof(e)));
		return -1;
	}
	if (hl > FS_POLICY_MAX_HOST) {
		snprintf(why, whylen, "a host longer than %d characters", FS_POLICY_MAX_HOST);
		return -1;
	}
	return 0;
}

struct fs_policyfile *
fs_policyfile_new(const char *name)
{
	struct fs_policyfile *pf = calloc(1, sizeof(*pf));

	if (pf == NULL)
		return NULL;
	if ((pf->path = strdup(name != NULL ? name : "-")) == NULL) {
		free(pf);
		return NULL;
	}
	pf->expiry_warn_days = pf->expiry_crit_days = -1;
	return pf;
}

struct fs_pf_partner *
fs_policyfile_add_partner(struct fs_policyfile *pf, const char *domain)
{
	struct fs_pf_partner *a, *p;

	if ((a = fs_pf_grow(pf->partners, &pf->partners_cap, pf->npartners, sizeof(*a))) == NULL)
		return NULL;
	pf->partners = a;
	p = &a[pf->npartners];
	memset(p, 0, sizeof(*p));
	if ((p->domain = fs_pf_lower_dup(domain)) == NULL)
		return NULL;
	p->connect_port = 5269;
	pf->npartners++;
	return p;
}

void
fs_policyfile_free(struct fs_policyfile *pf)
{
	size_t i, k;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->npartners; i++) {
		struct fs_pf_partner *p = &pf->partners[i];
		free(p->domain);
		free(p->connect_host);
		for (k = 0; k < p->nadditional; k++)
			free(p->additional[k]);
		free(p->additional);
		free(p->description);
		free(p->comment);
	}
	free(pf->partners);
	free(pf->path);
	free(pf->from);
	free(pf->listen_host);
	free(pf->client_cert);
	free(pf->client_key);
	free(pf->ca_file);
	free(pf->database);
	free(pf);
}

const struct fs_pf_partner *
fs_policyfile_find(const struct fs_policyfile *pf, const char *domain)
{
	size_t i, k;

	if (pf == NULL || domain == NULL)
		return NULL;
	for (i = 0; i < pf->npartners; i++)
		if (strcasecmp(pf->partners[i].domain, domain) == 0)
			return &pf->partners[i];
	for (i = 0; i < pf->npartners; i++)
		for (k = 0; k < pf->partners[i].nadditional; k++)
			if (strcasecmp(pf->partners[i].additional[k], domain) == 0)
				return &pf->partners[i];
	return NULL;
}

/* ---- comparing ---- */

void
fs_policyfile_compare(const struct fs_setting *expect, const struct fs_setting *observed, unsigned *mismatch,
    unsigned *unconfirmed)
{
	*mismatch = *unconfirmed = 0;
	if (expect->tls != FS_LEVEL_UNKNOWN) {
		if (observed->tls == FS_LEVEL_UNKNOWN)
			*unconfirmed |= FS_PF_TLS;
		else if (observed->tls != expect->tls)
			*mismatch |= FS_PF_TLS;
	}
	if (expect->sasl != FS_LEVEL_UNKNOWN) {
		if (observed->sasl == FS_LEVEL_UNKNOWN)
			*unconfirmed |= FS_PF_SASL;
		else if (observed->sasl != expect->sasl)
			*mismatch |= FS_PF_SASL;
	}
	if (expect->dialback != FS_DIALBACK_UNKNOWN) {
		if (observed->dialback == FS_DIALBACK_UNKNOWN)
			*unconfirmed |= FS_PF_DIALBACK;
		else if (observed->dialback != expect->dialback)
			*mismatch |= FS_PF_DIALBACK;
	}
}


/* FNV-1a of the domain folded to lower case, as strcasecmp compares. */
static size_t
domain_hash(const char *d)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *d; d++)
		h = (h ^ (unsigned char)tolower((unsigned char)*d)) * 1099511628211ULL;
	return (size_t)h;
}

size_t *
fs_pf_index_slot(const struct fs_pf_index *x, const struct fs_policyfile *pf, const char *domain)
{
	size_t mask = x->cap - 1, i = domain_hash(domain) & mask;

	while (x->slot[i] != 0 && strcasecmp(pf->partners[x->slot[i] - 1].domain, domain) != 0)
		i = (i + 1) & mask;
	return &x->slot[i];
}

int
fs_pf_index_reserve(struct fs_pf_index *x, const struct fs_policyfile *pf)
{
	struct fs_pf_index old = *x;
	size_t i;

	if (2 * (pf->npartners + 1) <= x->cap)
		return 0;
	x->cap = old.cap == 0 ? 64 : 2 * old.cap;
	if ((x->slot = calloc(x->cap, sizeof(*x->slot))) == NULL) {
		*x = old;
		return -1;
	}
	for (i = 0; i < old.cap; i++)
		if (old.slot[i] != 0)
			*fs_pf_index_slot(x, pf, pf->partners[old.slot[i] - 1].domain) = old.slot[i];
	free(old.slot);
	return 0;
}

void
fs_pf_index_free(struct fs_pf_index *x)
{
	free(x->slot);
	x->slot = NULL;
	x->cap = 0;
}
