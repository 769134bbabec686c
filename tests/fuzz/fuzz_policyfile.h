/*
 * fuzz_policyfile.h: the round trip shared by fuzz_policyfile.c and fuzz_lync_csv.c: a policy, written with
 * fs_policyfile_write to memory and read back with fs_policyfile_parse, must parse and be the same policy.
 *
 * "The same" field by field: [local] settings, from, client-cert/key, ca-file, database, timeout, concurrency,
 * listen; each partner in order: domain, tls/sasl/dialback, connect host and port, additional-domains and the
 * description as fs_policyfile_write documents it (control characters become spaces, a ';' after white space
 * becomes ',', runs of spaces become one). The partner comment is written as '#' lines and never read back.
 *
 * Product bugs this invariant found and which are not fixed yet are tolerated one by one (FZ_KNOWN below), each
 * narrowly, so that `make fuzz-smoke` stays useful for everything else; FUZZ_STRICT=1 in the environment makes
 * every one of them abort again (use it to check a fix, then delete the tolerance).
 */
#ifndef FUZZ_POLICYFILE_H
#define FUZZ_POLICYFILE_H

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/policyfile.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
	abort(); } } while (0)
#define FAIL(...) do { fprintf(stderr, "round trip: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static bool fz_strict_checked, fz_strict;

/* Tolerate the known product bug `what` (unless FUZZ_STRICT=1): true when the caller may let it pass. */
static bool
fz_known(const char *what)
{
	if (!fz_strict_checked) {
		const char *e = getenv("FUZZ_STRICT");
		fz_strict = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
		fz_strict_checked = true;
	}
	if (fz_strict)
		fprintf(stderr, "known product bug (FUZZ_STRICT): %s\n", what);
	return !fz_strict;
}

static bool
fz_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The description as fs_policyfile_write promises to write it (see write_description in src/policyfile.c). */
static char *
fz_desc_norm(const char *d)
{
	char *t, *o, *p;
	bool space = true;

	if (d == NULL)
		return NULL;
	t = strdup(d);
	CHECK(t != NULL);
	for (p = t; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
		if (*p == ';' && p > t && isspace((unsigned char)p[-1]))
			*p = ',';
	}
	for (p = o = t; *p; p++) {
		if (*p == ' ' && space)
			continue;
		space = *p == ' ';
		*o++ = *p;
	}
	if (o > t && o[-1] == ' ')
		o--;
	*o = '\0';
	if (*t == '\0') {
		free(t);
		return NULL;
	}
	return t;
}

/* The words of b are words of a, from the first (or, when from_any, from any word on), in order, each possibly
 * cut short, and possibly fewer of them: what is left after write_description dropped or cut some. */
static bool
fz_words_from(const char *a, const char *b)
{
	for (;;) {
		size_t na = strcspn(a, " "), nb = strcspn(b, " ");

		if (nb > na || memcmp(a, b, nb) != 0)
			return false;
		if (b[nb] == '\0')
			return true;
		if (a[na] == '\0')
			return false;
		a += na + 1;
		b += nb + 1;
	}
}

static bool
fz_words_truncated(const char *a, const char *b, bool from_any)
{
	if (b == NULL)
		return true;
	if (a == NULL)
		return false;
	for (;;) {
		if (fz_words_from(a, b))
			return true;
		if (!from_any || (a = strchr(a, ' ')) == NULL)
			return false;
		a++;
	}
}

/* Does the description hold a word that write_description may cut or drop (>150 bytes, or a long run of words
 * that cannot start a continuation line), or start with ';' (written as "description = ;..." = a comment)? */
static bool
fz_desc_lossy(const char *n)
{
	const char *w = n;
	size_t run = 0;

	if (n == NULL)
		return false;
	if (*n == ';')
		return true;
	while (*w) {
		size_t k = strcspn(w, " ");
		if (k > 150)
			return true;
		run = (*w == '#' || *w == ';') ? run + k + 1 : 0;
		if (run > 30)
			return true;
		w += k;
		if (*w == ' ')
			w++;
	}
	return false;
}

/* A value written as "key = VALUE" that inih reads back differently: it starts with ';' (an inline comment
 * right after the '= '), or holds white space followed by ';' (an inline comment), or ends in white space. */
static bool
fz_value_unwritable(const char *v)
{
	size_t i, n;

	if (v == NULL)
		return false;
	n = strlen(v);
	if (n == 0 || v[0] == ';' || isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))
		return true;
	for (i = 1; i < n; i++)
		if (v[i] == ';' && isspace((unsigned char)v[i - 1]))
			return true;
	for (i = 0; i < n; i++)
		if (v[i] == '\n' || v[i] == '\0')
			return true;
	return false;
}

/* Would the policy's written text have a line over inih's limit (198 characters plus the line end)? */
static bool
fz_long_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 198)
			return true;
		p = nl != NULL ? nl + 1 : end;
	}
	return false;
}

/* Why the written policy may fail to read back for a reason already known (see the report of issue 8). */
static const char *
fz_known_unreadable(const struct fs_policyfile *a, const char *text, size_t len, const char *err)
{
	size_t i, j, k, m;

	if (fz_long_lines(text, len) && strstr(err, "a line longer than") != NULL)
		return "fs_policyfile_write writes lines over the reader's 198-character limit (a long partner or "
		    "additional domain, connect host or import comment from the Lync import)";
	if (a->listen_host != NULL && (fz_value_unwritable(a->listen_host) ||
	    strpbrk(a->listen_host, "[]\n\r\t\v\f") != NULL))
		return "listen host that fs_policyfile_hostport accepts but cannot read back (control characters, '[' "
		    "or ']', a leading ';')";
	if (fz_value_unwritable(a->database) || fz_value_unwritable(a->from))
		return "fs_policyfile_write: a value that starts with ';' or holds \" ;\" does not read back";
	for (i = 0; i < a->npartners; i++) {
		const struct fs_pf_partner *p = &a->partners[i];
		if (p->connect_host != NULL && (fz_value_unwritable(p->connect_host) ||
		    strpbrk(p->connect_host, "[]\n\r\t\v\f") != NULL))
			return "connect/ProxyFqdn host that fs_policyfile_hostport accepts but cannot read back "
			    "(control characters, '[' or ']', a leading ';')";
		/* A domain claimed twice: the Lync import does not check additional domains for duplicates. */
		for (k = 0; k < p->nadditional; k++)
			for (j = 0; j < a->npartners; j++) {
				if (strcmp(a->partners[j].domain, p->additional[k]) == 0)
					return "Lync import: an AdditionalDomains entry that is also a partner";
				for (m = 0; m < a->partners[j].nadditional; m++)
					if ((j != i || m != k) && strcmp(a->partners[j].additional[m], p->additional[k]) == 0)
						return "Lync import: the same AdditionalDomains entry twice";
			}
	}
	return NULL;
}

/*
 * Write a, read it back, compare. name: the name for messages. a came from fs_policyfile_parse (from_file)
 * or from fs_lync_import.
 */
static void
fz_roundtrip(const struct fs_policyfile *a)
{
	char *text = NULL, err[16384];
	size_t len = 0, i, k;
	FILE *m = open_memstream(&text, &len);
	struct fs_policyfile *b = NULL;
	const char *why;

	CHECK(m != NULL);
	CHECK(fs_policyfile_write(m, a, "fuzz round trip\nsecond comment line") == 0);
	CHECK(fclose(m) == 0);
	CHECK(text != NULL && strlen(text) == len);  /* no NUL in what we write */
	if (fs_policyfile_parse("roundtrip.conf", text, &b, err, sizeof(err)) != 0) {
		CHECK(b == NULL);
		if ((why = fz_known_unreadable(a, text, len, err)) != NULL && fz_known(why)) {
			free(text);
			return;
		}
		fprintf(stderr, "written policy:\n%s\nreading it back:\n%s\n", text, err);
		FAIL("the written policy does not parse");
	}
	CHECK(b != NULL);

#define SAME_STR(fa, fb, what, lossy) do { \
	if (!fz_streq(fa, fb) && !((lossy) && fz_known(what))) { \
		fprintf(stderr, "written policy:\n%s\n", text); \
		FAIL("%s: '%s' became '%s'", what, (fa) ? (fa) : "(null)", (fb) ? (fb) : "(null)"); } } while (0)

	if (a->local.tls != b->local.tls || a->local.sasl != b->local.sasl || a->local.dialback != b->local.dialback)
		FAIL("[local] setting changed");
	SAME_STR(a->from, b->from, "from", fz_value_unwritable(a->from));
	SAME_STR(a->client_cert, b->client_cert, "client-cert", fz_value_unwritable(a->client_cert));
	SAME_STR(a->client_key, b->client_key, "client-key", fz_value_unwritable(a->client_key));
	SAME_STR(a->ca_file, b->ca_file, "ca-file", fz_value_unwritable(a->ca_file));
	SAME_STR(a->database, b->database, "database", fz_value_unwritable(a->database));
	if (a->timeout_ms != b->timeout_ms && !fz_known("timeout is written with %g (6 significant digits) and read "
	    "back truncated to whole ms: the value drifts"))
		FAIL("timeout %ld ms became %ld ms", a->timeout_ms, b->timeout_ms);
	if (a->concurrency != b->concurrency)
		FAIL("concurrency %u became %u", a->concurrency, b->concurrency);
	SAME_STR(a->listen_host, b->listen_host, "listen host", false);
	if (a->listen_host != NULL && a->listen_port != b->listen_port)
		FAIL("listen port %d became %d", a->listen_port, b->listen_port);
	if (a->npartners != b->npartners)
		FAIL("%zu partners became %zu", a->npartners, b->npartners);
	for (i = 0; i < a->npartners; i++) {
		const struct fs_pf_partner *p = &a->partners[i], *q = &b->partners[i];
		char *n;

		SAME_STR(p->domain, q->domain, "partner domain", false);
		if (p->expect.tls != q->expect.tls || p->expect.sasl != q->expect.sasl ||
		    p->expect.dialback != q->expect.dialback)
			FAIL("partner %s: expectation changed", p->domain);
		SAME_STR(p->connect_host, q->connect_host, "connect host", false);
		if (p->connect_host != NULL && p->connect_port != q->connect_port)
			FAIL("partner %s: connect port %d became %d", p->domain, p->connect_port, q->connect_port);
		if (p->nadditional != q->nadditional)
			FAIL("partner %s: %zu additional domains became %zu", p->domain, p->nadditional, q->nadditional);
		for (k = 0; k < p->nadditional; k++)
			SAME_STR(p->additional[k], q->additional[k], "additional domain", false);
		n = fz_desc_norm(p->description);
		if (!fz_streq(n, q->description)) {
			/* A leading ';' loses the first line (a comment to inih), the continuation lines stay. */
			bool tolerated = fz_desc_lossy(n) && fz_words_truncated(n, q->description, *n == ';') &&
			    fz_known("write_description cuts words over 150 bytes, stops after a run of '#' words, and "
			    "writes a description that starts with ';' as a comment");
			if (!tolerated) {
				fprintf(stderr, "written policy:\n%s\n", text);
				FAIL("partner %s: description '%s' (normalised '%s') became '%s'", p->domain,
				    p->description ? p->description : "(null)", n ? n : "(null)",
				    q->description ? q->description : "(null)");
			}
		}
		free(n);
	}
#undef SAME_STR
	fs_policyfile_free(b);
	free(text);
}

#endif
