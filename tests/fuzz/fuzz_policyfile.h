/*
 * fuzz_policyfile.h: the round trip shared by fuzz_policyfile.c and fuzz_lync_csv.c: a policy, written with
 * fs_policyfile_write to memory and read back with fs_policyfile_parse, must parse and be the same policy.
 *
 * "The same" field by field: [local] settings, from, client-cert/key, ca-file, database, timeout, concurrency,
 * listen; each partner in order: domain, tls/sasl/dialback, connect host and port, additional-domains and the
 * description as fs_policyfile_write documents it (control characters become spaces, a ';' after white space
 * becomes ',', runs of spaces become one). The partner comment is written as '#' lines and never read back.
 *
 * Every difference aborts: the last known one (a description of '#' words longer than a line came back cut) is
 * fixed, and its reproducer stays in the corpus as known-desc-hash-roundtrip.
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

/* Every line of an error message names the input ("NAME: ...") and holds no control character. */
static void
fz_check_message(const char *err, const char *name)
{
	const char *line = err, *p;
	size_t nl_len = strlen(name);

	CHECK(*err != '\0');
	while (line != NULL && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);

		if (n <= nl_len || strncmp(line, name, nl_len) != 0 || line[nl_len] != ':') {
			fprintf(stderr, "message line without '%s:': %.*s\n", name, (int)n, line);
			abort();
		}
		for (p = line; p < line + n; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				fprintf(stderr, "control character 0x%02x in the message line: %.*s\n", (unsigned char)*p,
				    (int)n, line);
				abort();
			}
		line = nl != NULL ? nl + 1 : NULL;
	}
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

	CHECK(m != NULL);
	CHECK(fs_policyfile_write(m, a, "fuzz round trip\nsecond comment line") == 0);
	CHECK(fclose(m) == 0);
	CHECK(text != NULL && strlen(text) == len);  /* no NUL in what we write */
	if (fs_policyfile_parse("roundtrip.conf", text, &b, err, sizeof(err)) != 0) {
		CHECK(b == NULL);
		fprintf(stderr, "written policy:\n%s\nreading it back:\n%s\n", text, err);
		FAIL("the written policy does not parse");
	}
	CHECK(b != NULL);

#define SAME_STR(fa, fb, what) do { \
	if (!fz_streq(fa, fb)) { \
		fprintf(stderr, "written policy:\n%s\n", text); \
		FAIL("%s: '%s' became '%s'", what, (fa) ? (fa) : "(null)", (fb) ? (fb) : "(null)"); } } while (0)

	if (a->local.tls != b->local.tls || a->local.sasl != b->local.sasl || a->local.dialback != b->local.dialback)
		FAIL("[local] setting changed");
	SAME_STR(a->from, b->from, "from");
	SAME_STR(a->client_cert, b->client_cert, "client-cert");
	SAME_STR(a->client_key, b->client_key, "client-key");
	SAME_STR(a->ca_file, b->ca_file, "ca-file");
	SAME_STR(a->database, b->database, "database");
	if (a->timeout_ms != b->timeout_ms)
		FAIL("timeout %ld ms became %ld ms", a->timeout_ms, b->timeout_ms);
	if (a->concurrency != b->concurrency)
		FAIL("concurrency %u became %u", a->concurrency, b->concurrency);
	SAME_STR(a->listen_host, b->listen_host, "listen host");
	if (a->listen_host != NULL && a->listen_port != b->listen_port)
		FAIL("listen port %d became %d", a->listen_port, b->listen_port);
	if (a->npartners != b->npartners)
		FAIL("%zu partners became %zu", a->npartners, b->npartners);
	for (i = 0; i < a->npartners; i++) {
		const struct fs_pf_partner *p = &a->partners[i], *q = &b->partners[i];
		char *n;

		SAME_STR(p->domain, q->domain, "partner domain");
		if (p->expect.tls != q->expect.tls || p->expect.sasl != q->expect.sasl ||
		    p->expect.dialback != q->expect.dialback)
			FAIL("partner %s: expectation changed", p->domain);
		SAME_STR(p->connect_host, q->connect_host, "connect host");
		if (p->connect_host != NULL && p->connect_port != q->connect_port)
			FAIL("partner %s: connect port %d became %d", p->domain, p->connect_port, q->connect_port);
		if (p->nadditional != q->nadditional)
			FAIL("partner %s: %zu additional domains became %zu", p->domain, p->nadditional, q->nadditional);
		for (k = 0; k < p->nadditional; k++)
			SAME_STR(p->additional[k], q->additional[k], "additional domain");
		n = fz_desc_norm(p->description);
		if (!fz_streq(n, q->description)) {
			fprintf(stderr, "written policy:\n%s\n", text);
			FAIL("partner %s: description '%s' (normalised '%s') became '%s'", p->domain,
			    p->description ? p->description : "(null)", n ? n : "(null)",
			    q->description ? q->description : "(null)");
		}
		free(n);
	}
#undef SAME_STR
	fs_policyfile_free(b);
	free(text);
}

#endif
