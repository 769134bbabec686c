/* targets.c: the partners a scan audits, from a partners file or the policy file, each once, checked as domain names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "targets.h"

/* A partners file line longer than this is not a domain name (253) with a comment: refused, with its number. */
#define LINE_MAX_BYTES 1024

void
fs_targets_free(struct fs_targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int
targets_add(struct fs_targets *t, const char *d)
{
	char **nv;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		if ((nv = realloc(t->v, t->cap * sizeof(*nv))) == NULL)
			return -1;
		t->v = nv;
	}
	if ((t->v[t->n] = strdup(d)) == NULL)
		return -1;
	t->n++;
	return 0;
}

/*
 * A partner domain as a federating server would look it up: labels of 1 to 63
 * bytes (letters, digits, '-', '_', or UTF-8 for internationalised names),
 * 253 bytes in all, no empty label. NULL if fine, else why not.
 */
static const char *
domain_problem(const char *d)
{
	const unsigned char *p;
	size_t label = 0, len = strlen(d);

	if (len == 0)
		return "is empty";
	if (len > 253)
		return "is longer than 253 bytes";
	if (d[0] == '.' || strstr(d, "..") != NULL)
		return "has an empty label";
	for (p = (const unsigned char *)d; *p != '\0'; p++) {
		if (*p == '.') {
			label = 0;
			continue;
		}
		if (++label > 63)
			return "has a label longer than 63 bytes";
		if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_'))
			return "has a character that is not allowed in a domain name";
	}
	return NULL;
}

/* Print a usage error about a partners file line (remote-safe: the file may hold anything). */
static int
line_error(const char *path, unsigned long line, const char *what, const char *value, const char *problem)
{
	fprintf(stderr, "fedscan: scan: %s:%lu: ", path, line);
	if (value != NULL) {
		fputs(what, stderr);
		fputs(" '", stderr);
		fs_fputs_safe(value, stderr);
		fputs("' ", stderr);
	}
	fprintf(stderr, "%s\n", problem);
	return FS_EXIT_USAGE;
}

/* One domain a line; '#' starts a comment; blank lines are skipped; a duplicate is audited once (with a warning). */
int
fs_targets_read_file(const char *path, struct fs_targets *t)
{
	FILE *f;
	char *buf = NULL, *s, *e, *hash;
	const char *why;
	unsigned long line = 0;
	size_t i, cap = 0;
	ssize_t len;
	int rc = 0;

	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "fedscan: scan: --partners: cannot read '%s': %s\n", path, strerror(errno));
		return FS_EXIT_USAGE;
	}
	errno = 0;
	while ((len = getline(&buf, &cap, f)) != -1) {
		line++;
		if (len > LINE_MAX_BYTES) {
			rc = line_error(path, line, NULL, NULL, "is too long (more than 1024 bytes)");
			goto out;
		}
		if (memchr(buf, '\0', (size_t)len) != NULL) {
			rc = line_error(path, line, NULL, NULL, "has a NUL byte (not a text file?)");
			goto out;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		for (s = buf; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		if (strpbrk(s, " \t") != NULL) {
			rc = line_error(path, line, "entry", s, "is not one domain (one partner a line; '#' starts a comment)");
			goto out;
		}
		if (e - s > 1 && e[-1] == '.')
			e[-1] = '\0';   /* a fully qualified name: the same partner */
		if ((why = domain_problem(s)) != NULL) {
			rc = line_error(path, line, "domain", s, why);
			goto out;
		}
		for (i = 0; i < t->n; i++)
			if (strcasecmp(t->v[i], s) == 0)
				break;
		if (i < t->n) {
			fprintf(stderr, "fedscan: scan: %s:%lu: ", path, line);
			fs_fputs_safe(s, stderr);
			fputs(" is listed twice; audited once\n", stderr);
			continue;
		}
		if (targets_add(t, s) != 0) {
			fs_error("out of memory");
			rc = FS_EXIT_ERROR;
			goto out;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "fedscan: scan: --partners: cannot read '%s': %s\n", path, strerror(errno));
		rc = FS_EXIT_USAGE;
	} else if (t->n == 0) {
		fprintf(stderr, "fedscan: scan: %s: no partner domains (one a line; '#' starts a comment)\n", path);
		rc = FS_EXIT_USAGE;
	}
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Every [partner DOMAIN] of the policy file, and its additional-domains (each federates on its own), once. */
int
fs_targets_from_policy(const struct fs_policyfile *pf, struct fs_targets *t)
{
	size_t i, k, j;

	for (i = 0; pf != NULL && i < pf->npartners; i++)
		for (k = 0; k <= pf->partners[i].nadditional; k++) {
			const char *d = k == 0 ? pf->partners[i].domain : pf->partners[i].additional[k - 1];

			for (j = 0; j < t->n && strcasecmp(t->v[j], d) != 0; j++)
				;
			if (j < t->n)
				continue;
			if (targets_add(t, d) != 0) {
				fs_error("out of memory");
				return FS_EXIT_ERROR;
			}
		}
	return 0;
}

