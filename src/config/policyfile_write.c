/* policyfile_write.c: writing a policy file that policyfile_read.c reads back (policy import, fedscan.conf(5)). */
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

/* ---- writing ---- */

#define WRAP 150
#define CONT_MAX (FS_POLICY_MAX_LINE - 2)    /* after the two spaces of a continuation line */

/* '#' lines, each within the reader's line limit; control characters and invalid UTF-8 become '?'. */
static void
write_comment(FILE *f, const char *text)
{
	const char *p = text, *nl;

	while (p != NULL && *p) {
		size_t n, i = 0, k;

		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		do {
			size_t col = 0;

			fputs("# ", f);
			while (i < n) {
				k = fs_utf8_seq((const unsigned char *)p + i, n - i, NULL);
				if (k == 1 && ((unsigned char)p[i] < 0x20 || p[i] == 0x7f))
					k = 0;
				if (col + (k ? k : 1) > CONT_MAX)
					break;
				if (k == 0) {
					fputc('?', f);
					i++;
					col++;
				} else {
					fwrite(p + i, 1, k, f);
					i += k;
					col += k;
				}
			}
			fputc('\n', f);
		} while (i < n);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/* The description as written: control characters become spaces, a ';' after white space becomes ','. */
static char *
desc_norm(const char *d)
{
	char *t = strdup(d), *p, *o;

	if (t == NULL)
		return NULL;
	for (p = t; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
		if (*p == ';' && p > t && isspace((unsigned char)p[-1]))
			*p = ',';
	}
	/* Runs of spaces become one, as the reader joins the words. */
	for (p = o = t; *p; p++)
		if (*p != ' ' || (o > t && o[-1] != ' '))
			*o++ = *p;
	if (o > t && o[-1] == ' ')
		o--;
	*o = '\0';
	return t;
}

/* The next word of a normalised description at *pp: its start, its length in *len; NULL at the end. */
static const char *
desc_word(const char **pp, size_t *len)
{
	const char *p = *pp, *s;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	s = p;
	p += strcspn(p, " ");
	*len = (size_t)(p - s);
	*pp = p;
	return s;
}

/*
 * The longest word that can be written. A word that starts with ';' or '#' cannot start a continuation line
 * (inih takes the line for a comment), so it goes right after "description =" on a line of its own; any other
 * word can also go on a continuation line after one space.
 */
static size_t
desc_word_max(const char *w)
{
	return (*w == ';' || *w == '#') ? FS_POLICY_MAX_LINE - 13 : FS_POLICY_MAX_LINE - 1;
}

int
fs_policyfile_text_writable(const char *d, char *why, size_t whylen)
{
	char *t = desc_norm(d);
	const char *p = t, *w;
	size_t n;
	int rc = 0;

	if (t == NULL)
		return 0;
	while ((w = desc_word(&p, &n)) != NULL) {
		if (n > desc_word_max(w)) {
			snprintf(why, whylen, "a word of %zu characters; a policy file line holds at most %d", n,
			    FS_POLICY_MAX_LINE);
			rc = -1;
			break;
		}
	}
	free(t);
	return rc;
}

/*
 * A description on one or more lines that read back to the same words: control characters become spaces, and
 * a ';' after white space (an inline comment to inih) becomes ','. Words are wrapped at WRAP columns onto
 * continuation lines; a word that starts with ';' or '#' cannot start one (inih would take it for a comment), so
 * it starts another "description =" line instead, which the reader appends with a space just the same. A ';'
 * word is written right after the '=' ("description =;..."), where inih sees no inline comment.
 * A word longer than a line (see fs_policyfile_text_writable) is cut.
 */
static void
write_description(FILE *f, const char *d)
{
	char *t = desc_norm(d);
	const char *p = t, *w;
	size_t col = 0, n;
	bool first = true, special;

	if (t == NULL)
		return;
	while ((w = desc_word(&p, &n)) != NULL) {
		special = *w == ';' || *w == '#';
		if (!first && col + 1 + n <= WRAP) {
			fputc(' ', f);
			col++;
		} else if (special) {
			/* Tight ("=#word") only when the word needs the column. */
			if (!first)
				fputc('\n', f);
			fputs(*w == ';' || 14 + n > FS_POLICY_MAX_LINE ? "description =" : "description = ", f);
			col = *w == ';' || 14 + n > FS_POLICY_MAX_LINE ? 13 : 14;
		} else if (first && 14 + n <= FS_POLICY_MAX_LINE) {
			fputs("description = ", f);
			col = 14;
		} else {
			/* A continuation line, indented by one space only when the word needs the column. */
			fputs(first ? "description =\n" : "\n", f);
			fputs(2 + n <= FS_POLICY_MAX_LINE ? "  " : " ", f);
			col = 2 + n <= FS_POLICY_MAX_LINE ? 2 : 1;
		}
		if (col + n > FS_POLICY_MAX_LINE)
			n = fs_utf8_cut(w, FS_POLICY_MAX_LINE - col);   /* unwritable: cut, so the file reads back */
		fwrite(w, 1, n, f);
		col += n;
		first = false;
	}
	if (!first)
		fputc('\n', f);
	free(t);
}

/* "key = value"; a value that starts with ';' right after the '=' (inih sees an inline comment after a space). */
static void
write_kv(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s =%s%s\n", key, v[0] == ';' ? "" : " ", v);
}

int
fs_policyfile_write(FILE *f, const struct fs_policyfile *pf, const char *comment)
{
	const struct fs_setting *l = &pf->local;
	size_t i, k, col;

	if (comment != NULL)
		write_comment(f, comment);
	if (l->tls || l->sasl || l->dialback || pf->from || pf->client_cert || pf->client_key || pf->ca_file ||
	    pf->database || pf->timeout_ms || pf->concurrency || pf->listen_host || pf->expiry_warn_days >= 0 ||
	    pf->expiry_crit_days >= 0 || pf->retain_days || pf->retain_weekly_days) {
		fputs("\n[local]\n", f);
		if (l->tls)
			fprintf(f, "tls = %s\n", fs_level_name(l->tls));
		if (l->sasl)
			fprintf(f, "sasl = %s\n", fs_level_name(l->sasl));
		if (l->dialback)
			fprintf(f, "dialback = %s\n", fs_dialback_name(l->dialback));
		if (pf->from)
			write_kv(f, "from", pf->from);
		if (pf->client_cert)
			write_kv(f, "client-cert", pf->client_cert);
		if (pf->client_key)
			write_kv(f, "client-key", pf->client_key);
		if (pf->ca_file)
			write_kv(f, "ca-file", pf->ca_file);
		if (pf->timeout_ms) {
			/* Whole milliseconds, exactly: "12.5", not %g's 6 significant digits. */
			char num[40];
			size_t m;

			snprintf(num, sizeof(num), "%ld.%03ld", pf->timeout_ms / 1000, pf->timeout_ms % 1000);
			m = strlen(num);
			while (num[m - 1] == '0')
				num[--m] = '\0';
			if (num[m - 1] == '.')
				num[--m] = '\0';
			fprintf(f, "timeout = %s\n", num);
		}
		if (pf->concurrency)
			fprintf(f, "concurrency = %u\n", pf->concurrency);
		if (pf->expiry_warn_days >= 0)
			fprintf(f, "expiry-warn = %d\n", pf->expiry_warn_days);
		if (pf->expiry_crit_days >= 0)
			fprintf(f, "expiry-crit = %d\n", pf->expiry_crit_days);
		if (pf->retain_days)
			fprintf(f, "retain-days = %u\n", pf->retain_days);
		if (pf->retain_weekly_days)
			fprintf(f, "retain-weekly-days = %u\n", pf->retain_weekly_days);
		if (pf->listen_host)
			fprintf(f, strchr(pf->listen_host, ':') ? "listen = [%s]:%d\n" : "listen = %s:%d\n",
			    pf->listen_host, pf->listen_port);
		if (pf->database)
			write_kv(f, "database", pf->database);
	}
	for (i = 0; i < pf->npartners; i++) {
		const struct fs_pf_partner *p = &pf->partners[i];

		fprintf(f, "\n[partner %s]\n", p->domain);
		if (p->comment != NULL)
			write_comment(f, p->comment);
		if (p->expect.tls)
			fprintf(f, "tls = %s\n", fs_level_name(p->expect.tls));
		if (p->expect.sasl)
			fprintf(f, "sasl = %s\n", fs_level_name(p->expect.sasl));
		if (p->expect.dialback)
			fprintf(f, "dialback = %s\n", fs_dialback_name(p->expect.dialback));
		if (p->connect_host != NULL)
			fprintf(f, strchr(p->connect_host, ':') != NULL ? "connect = [%s]:%d\n" : "connect = %s:%d\n",
			    p->connect_host, p->connect_port);
		/*
		 * Continuation lines add up, so no line grows past inih's limit; a domain that starts with '#' (a
		 * comment at the start of a continuation line) opens a new additional-domains line instead.
		 */
		for (k = 0, col = 0; k < p->nadditional; k++) {
			size_t n = strlen(p->additional[k]);
			if (col == 0 || (col + 1 + n > WRAP && p->additional[k][0] == '#')) {
				fprintf(f, "%sadditional-domains = ", col ? "\n" : "");
				col = 21;
			} else if (col + 1 + n > WRAP) {
				fputs("\n  ", f);
				col = 2;
			} else {
				fputc(' ', f);
				col++;
			}
			fputs(p->additional[k], f);
			col += n;
		}
		if (col)
			fputc('\n', f);
		if (p->description != NULL)
			write_description(f, p->description);
	}
	fflush(f);
	return ferror(f) ? -1 : 0;
}
