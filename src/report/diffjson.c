/* diffjson.c: `fedscan diff --json`: the changes between two scans as one JSON document (fedscan(1), diff). */
#include <stdio.h>

#include <jansson.h>

#include "fedscan/diff.h"
#include "fedscan/evjson.h"
#include "fedscan/store.h"

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? fs_json_string_lossy(s) : json_null();
}

/* {what, from, to, severity, level, text} */
static json_t *
change_json(const struct fs_change *c)
{
	char text[FS_CHANGE_TEXT];
	const char *from, *to;

	fs_change_from_to(c, &from, &to);
	fs_change_text(c, text, sizeof(text));
	return json_pack("{s:s, s:o, s:o, s:i, s:s, s:o}", "what", fs_change_what(c), "from", str_or_null(from),
	    "to", str_or_null(to), "severity", c->severity, "level", fs_diff_level(c->severity),
	    "text", fs_json_string_lossy(text));
}

/* {domain, verdict: {from, to}, severity, level, changes} */
static json_t *
partner_json(const struct fs_diff_partner *p)
{
	json_t *changes = json_array();
	size_t i;

	for (i = 0; changes != NULL && i < p->nchanges; i++)
		if (json_array_append_new(changes, change_json(&p->changes[i])) != 0) {
			json_decref(changes);
			return NULL;
		}
	return json_pack("{s:o, s:{s:o, s:o}, s:i, s:s, s:o}", "domain", fs_json_string_lossy(p->domain),
	    "verdict", "from", p->in_a ? json_string(fs_verdict_name(p->from)) : json_null(),
	    "to", p->in_b ? json_string(fs_verdict_name(p->to)) : json_null(),
	    "severity", p->severity, "level", fs_diff_level(p->severity), "changes", changes);
}

static json_t *
scan_json(const struct fs_scan_info *s)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:b, s:I}", "id", (json_int_t)s->id, "kind", s->kind,
	    "started_at", s->started_at, "finished_at", s->finished_at[0] ? json_string(s->finished_at) : json_null(),
	    "complete", s->complete, "partners", (json_int_t)s->ndomains);
}

static json_t *
diff_json(const struct fs_scan_info *a, const struct fs_scan_info *b, long expiry_days, const struct fs_diff *d)
{
	json_t *local = json_array(), *partners = json_array();
	size_t i;
	int bad = local == NULL || partners == NULL;

	for (i = 0; !bad && i < d->nlocal; i++)
		bad = json_array_append_new(local, change_json(&d->local[i])) != 0;
	for (i = 0; !bad && i < d->npartners; i++)
		bad = json_array_append_new(partners, partner_json(&d->partners[i])) != 0;
	if (bad) {
		json_decref(local);
		json_decref(partners);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:b, s:I, s:o, s:o, s:I}", "a", scan_json(a), "b", scan_json(b),
	    "changed", fs_diff_changed(d), "expiry_days", (json_int_t)expiry_days, "local_changes", local,
	    "partners", partners, "unchanged", (json_int_t)d->unchanged);
}

int
fs_diff_json(FILE *f, const struct fs_scan_info *a, const struct fs_scan_info *b, long expiry_days,
    const struct fs_diff *d)
{
	json_t *doc;
	int rc;

	if (a == NULL || b == NULL || d == NULL) {
		/* Not an error: the first night has nothing to compare with. */
		fputs("{\"a\": null, \"b\": null, \"changed\": false, \"local_changes\": [], \"partners\": [],"
		    " \"note\": \"fewer than two complete scans: nothing to compare yet\"}\n", f);
		return 0;
	}
	if ((doc = diff_json(a, b, expiry_days, d)) == NULL)
		return -1;
	rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0)
		return -1;
	fputc('\n', f);
	return 0;
}
