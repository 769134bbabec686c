/* difftext.c: `fedscan diff` as text: what changed between two scans, the most serious first (fedscan(1), diff). */
#include <stdio.h>

#include "fedscan/diff.h"
#include "fedscan/log.h"
#include "fedscan/store.h"

#define ARROW "\xe2\x86\x92"   /* U+2192 */

/* One change's words on a line; they may quote a partner (a host name, a certificate date): made terminal-safe. */
static void
change_line(FILE *f, const char *indent, const struct fs_change *c)
{
	char text[FS_CHANGE_TEXT];

	fs_change_text(c, text, sizeof(text));
	fputs(indent, f);
	fs_fputs_safe(text, f);
	fputc('\n', f);
}

void
fs_diff_text(FILE *f, const struct fs_scan_info *a, const struct fs_scan_info *b, const struct fs_diff *d)
{
	const struct fs_diff_partner *p;
	size_t i, k;

	if (a == NULL || b == NULL || d == NULL) {
		fputs("fedscan diff: fewer than two complete scans: nothing to compare yet\n", f);
		return;
	}
	fprintf(f, "fedscan diff: scan %lld (%s%s) " ARROW " scan %lld (%s%s)", (long long)a->id, a->started_at,
	    a->complete ? "" : ", incomplete", (long long)b->id, b->started_at, b->complete ? "" : ", incomplete");
	if (!fs_diff_changed(d)) {
		fprintf(f, ": no change (%ld partner%s)\n", d->unchanged, d->unchanged == 1 ? "" : "s");
		return;
	}
	fputc('\n', f);
	for (i = 0; i < d->nlocal; i++)
		change_line(f, "", &d->local[i]);
	for (i = 0; i < d->npartners; i++) {
		p = &d->partners[i];
		fs_fputs_safe(p->domain, f);
		if (p->in_a && p->in_b && p->from != p->to)
			fprintf(f, ": %s " ARROW " %s\n", fs_verdict_name(p->from), fs_verdict_name(p->to));
		else
			fprintf(f, " (%s)\n", fs_verdict_name(p->in_b ? p->to : p->from));
		for (k = 0; k < p->nchanges; k++)
			if (p->changes[k].kind != FS_CHANGE_VERDICT_BETTER && p->changes[k].kind != FS_CHANGE_VERDICT_WORSE)
				change_line(f, "  ", &p->changes[k]);   /* the verdict is on the partner's line */
	}
	fprintf(f, "%zu partner%s changed, %ld unchanged\n", d->npartners, d->npartners == 1 ? "" : "s",
	    d->unchanged);
}
