/* export_doc.c: a report document (export.h): one recorded scan read once into typed assessments, and back to JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/evjson.h"
#include "fedscan/export.h"
#include "fedscan/report.h"

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The recorded "local" object's setting; -1 when it is not a complete one. */
static int
local_read(const json_t *o, struct fs_setting *s)
{
	if (!json_is_object(o) || fs_level_parse(str(o, "tls"), &s->tls) != 0 ||
	    fs_level_parse(str(o, "sasl"), &s->sasl) != 0 || fs_dialback_parse(str(o, "dialback"), &s->dialback) != 0)
		return -1;
	return 0;
}

/*
 * Record i (of n) cannot be read: it stays in the document, as a partner whose verdict is "error" and whose reason
 * says which record it is and why, so that no report leaves it out and the rest is still reported.
 */
static int
stand_in(struct fs_report_doc *d, size_t i, size_t n, const json_t *rec, const char *why)
{
	struct fs_assessment *a = &d->partners[i];
	const char *domain = json_string_value(json_object_get(rec, "domain"));
	char text[FS_EV_LONG];

	if (d->unreadable == NULL && (d->unreadable = calloc(n, sizeof(*d->unreadable))) == NULL)
		return -1;
	snprintf(d->unreadable[d->nunreadable++], sizeof(*d->unreadable), "scan %lld, record %zu of %zu%s%.300s%s cannot "
	    "be read: %s", (long long)d->scan.id, i + 1, n, domain != NULL ? " (" : "", domain != NULL ? domain : "",
	    domain != NULL ? ")" : "", why);
	memset(a, 0, sizeof(*a));
	FS_EV_SET(a->domain, domain != NULL ? domain : "(unknown)");
	a->verdict = FS_VERDICT_ERROR;
	snprintf(text, sizeof(text), "fedscan cannot read this record (scan %lld, record %zu of %zu): %s",
	    (long long)d->scan.id, i + 1, n, why);
	fs_assess_reason(a, FS_R_OTHER, FS_P_OTHER, text);
	return 0;
}

int
fs_report_doc_load(const struct fs_scan_info *scan, const json_t *partners, struct fs_report_doc *doc, char *err,
    size_t errlen)
{
	size_t i, n = json_array_size(partners);
	const json_t *rec;
	char why[512];
	int rc = -1;

	memset(doc, 0, sizeof(*doc));
	doc->scan = *scan;
	doc->scan.local = scan->local != NULL ? json_incref(scan->local) : NULL;
	doc->have_local = local_read(doc->scan.local, &doc->local) == 0;
	if (n > 0 && (doc->partners = calloc(n, sizeof(*doc->partners))) == NULL)
		goto out;
	json_array_foreach(partners, i, rec) {
		doc->n = i + 1;
		if (fs_assessment_from_json(rec, &doc->partners[i], why, sizeof(why)) != 0 &&
		    stand_in(doc, i, n, rec, why) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		fs_report_doc_clear(doc);
		snprintf(err, errlen, "out of memory reading scan %lld", (long long)scan->id);
	}
	return rc;
}

int
fs_report_doc_from_json(const json_t *doc, struct fs_report_doc *out, char *err, size_t errlen)
{
	const json_t *scan = json_object_get(doc, "scan"), *local = json_object_get(doc, "local");
	struct fs_scan_info s;

	memset(&s, 0, sizeof(s));
	s.id = (int64_t)json_integer_value(json_object_get(scan, "id"));
	fs_ev_set(s.kind, sizeof(s.kind), str(scan, "kind"));
	fs_ev_set(s.started_at, sizeof(s.started_at), str(scan, "started_at"));
	fs_ev_set(s.finished_at, sizeof(s.finished_at), str(scan, "finished_at"));
	s.complete = json_is_true(json_object_get(scan, "complete"));
	fs_ev_set(s.version, sizeof(s.version), str(scan, "fedscan_version"));
	s.ndomains = (long)json_integer_value(json_object_get(scan, "partners"));
	s.local = json_is_object(local) ? (json_t *)local : NULL;
	return fs_report_doc_load(&s, json_object_get(doc, "partners"), out, err, errlen);
}

/* The scan's metadata as the report's "scan" object. */
static json_t *
scan_json(const struct fs_scan_info *s)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:b, s:o, s:I}", "id", (json_int_t)s->id,
	    "kind", fs_json_string_lossy(s->kind), "started_at", fs_json_string_lossy(s->started_at),
	    "finished_at", s->finished_at[0] ? fs_json_string_lossy(s->finished_at) : json_null(),
	    "complete", s->complete, "fedscan_version", fs_json_string_lossy(s->version),
	    "partners", (json_int_t)s->ndomains);
}

json_t *
fs_report_doc_to_json(const struct fs_report_doc *doc)
{
	json_t *partners = json_array(), *p;
	size_t i;

	for (i = 0; partners != NULL && i < doc->n; i++) {
		if ((p = fs_assessment_to_json(&doc->partners[i])) == NULL || json_array_append_new(partners, p) != 0) {
			json_decref(partners);
			return NULL;
		}
	}
	/* The local object as recorded: the words the scan was judged under, whatever this fedscan would print. */
	return json_pack("{s:o, s:O, s:o}", "scan", scan_json(&doc->scan),
	    "local", doc->scan.local != NULL ? doc->scan.local : json_null(), "partners", partners);
}

void
fs_report_doc_clear(struct fs_report_doc *doc)
{
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->n; i++)
		fs_assessment_clear(&doc->partners[i]);
	free(doc->partners);
	free(doc->unreadable);
	json_decref(doc->scan.local);
	memset(doc, 0, sizeof(*doc));
}
