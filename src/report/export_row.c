/* export_row.c: a partner's assessment as the report's columns, the rows in report order, and their counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/evjson.h"
#include "fedscan/matrix.h"
#include "fedscan/report.h"
#include "report/export_int.h"

/* Cut buf so it does not end inside a UTF-8 sequence (a cut string must stay a JSON string). */
static void
utf8_trim(char *buf)
{
	size_t n = strlen(buf), i = n, need;
	unsigned char b;

	while (i > 0 && n - i < 4 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	b = (unsigned char)buf[i - 1];
	if (b < 0x80)
		return;
	need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < need)
		buf[i - 1] = '\0';
}

void
export_list_add(char *buf, size_t size, const char *sep, const char *s)
{
	size_t len = strlen(buf);

	if (len + 1 >= size)
		return;
	snprintf(buf + len, size - len, "%s%s", len > 0 ? sep : "", s);
	utf8_trim(buf + len);
}

/* ---- one partner ---- */

/*
 * What every connection of an endpoint showed of TLS: each version a handshake completed with (once), and the
 * certificate that expires first (present, with a known expiry; the first of equals). Every connection counts,
 * not only the first handshake the text report shows (struct fs_tls_facts): two connections to one endpoint can
 * meet two certificates (a renewal between them, or another certificate on direct TLS).
 */
static void
tls_seen(const struct fs_tls_ev *t, struct export_row *r, long long *best)
{
	const struct fs_cert_ev *c = &t->cert;

	if (!t->ok)
		return;
	if (t->version[0] != '\0' && strstr(r->tls_version, t->version) == NULL)
		export_list_add(r->tls_version, sizeof(r->tls_version), ", ", t->version);
	if (c->present && c->not_after_epoch > 0 && (!r->have_cert || c->not_after_epoch < *best)) {
		r->have_cert = true;
		*best = c->not_after_epoch;
		FS_EV_SET(r->cert_not_after, c->not_after);
		FS_EV_SET(r->cert_sha256, c->sha256);
	}
}

/* The endpoint's connections, live (e->conns) or as recorded (e->record, read through evjson.c); scratch: one. */
static void
endpoint_tls(const struct fs_endpoint_assess *e, struct fs_conn_ev *scratch, struct export_row *r, long long *best)
{
	const json_t *c;
	size_t k;

	if (e->record == NULL) {
		for (k = 0; k < e->nconns; k++)
			tls_seen(&e->conns[k].tls, r, best);
		return;
	}
	json_array_foreach(e->record, k, c)
		if (fs_conn_ev_from_json(c, scratch) == 0)
			tls_seen(&scratch->tls, r, best);
}

/* The Lync column: the New-CsXmppAllowedPartner line, else the note on what to find out first (lync.h). */
static const char *
lync_text(const struct fs_assessment *a)
{
	if (!a->lync.present)
		return "";
	return a->lync.advice.known ? a->lync.advice.powershell : a->lync.advice.note;
}

int
export_row_fill(const struct fs_assessment *a, long long at, struct export_row *r)
{
	char one[600];
	struct fs_conn_ev *scratch = NULL;
	long long best = 0;
	unsigned i, m;

	memset(r, 0, sizeof(*r));
	r->a = a;
	r->negotiated = a->negotiated != 0 ? fs_method_name(a->negotiated) : "none";
	r->lync = lync_text(a);
	for (m = FS_METHOD_SASL_TLS; m <= FS_METHOD_TCP_DIALBACK; m <<= 1)
		if (a->methods & m)
			export_list_add(r->methods, sizeof(r->methods), ", ", fs_method_name((enum fs_method)m));
	if (a->nendpoints > 0 && (scratch = malloc(sizeof(*scratch))) == NULL)
		return -1;
	for (i = 0; i < a->nendpoints; i++) {
		const struct fs_endpoint_assess *e = &a->endpoints[i];

		snprintf(one, sizeof(one), "%s [%s]:%d%s", e->host, e->address, e->port, e->reachable ? "" : " unreachable");
		utf8_trim(one);
		export_list_add(r->endpoints, sizeof(r->endpoints), "; ", one);
		endpoint_tls(e, scratch, r, &best);
	}
	free(scratch);
	/* Whole days left, rounded toward minus infinity: an expiry one second ago is -1. */
	if (r->have_cert && at > 0) {
		r->have_days = true;
		r->days = (best - at) / 86400 - (best < at && (best - at) % 86400 != 0);
	}
	return 0;
}

json_t *
fs_export_row(const struct fs_assessment *a, long long at)
{
	struct export_row r;
	json_t *row, *reasons;
	unsigned i;

	if (export_row_fill(a, at, &r) != 0 || (reasons = json_array()) == NULL)
		return NULL;
	for (i = 0; i < a->nreasons; i++)
		json_array_append_new(reasons, fs_json_string_lossy(a->reasons[i].text));
	row = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "domain", fs_json_string_lossy(a->domain), "verdict", fs_verdict_name(a->verdict),
	    "tls", fs_level_name(a->eff.s.tls), "sasl", fs_level_name(a->eff.s.sasl),
	    "dialback", fs_dialback_name(a->eff.s.dialback), "negotiated", r.negotiated,
	    "methods", fs_json_string_lossy(r.methods), "reasons", reasons, "endpoints", fs_json_string_lossy(r.endpoints),
	    "tls_version", fs_json_string_lossy(r.tls_version), "cert_not_after", fs_json_string_lossy(r.cert_not_after),
	    "cert_days_left", r.have_days ? json_integer((json_int_t)r.days) : json_null(),
	    "cert_sha256", fs_json_string_lossy(r.cert_sha256), "lync", fs_json_string_lossy(r.lync));
	return row;
}

/* ---- the rows in report order ---- */

static int
row_cmp(const void *x, const void *y)
{
	const struct export_row *a = x, *b = y;
	int d = fs_verdict_severity_rank(a->a->verdict) - fs_verdict_severity_rank(b->a->verdict);

	if (d == 0)
		d = strcmp(a->a->domain, b->a->domain);
	return d != 0 ? d : (a->index > b->index) - (a->index < b->index);
}

int
export_rows_make(const struct fs_report_doc *doc, struct export_rows *out)
{
	long long at = fs_store_time(doc->scan.started_at);
	size_t i;

	out->v = NULL;
	out->n = 0;
	if (doc->n == 0)
		return 0;
	if ((out->v = calloc(doc->n, sizeof(*out->v))) == NULL)
		return -1;
	for (i = 0; i < doc->n; i++) {
		if (export_row_fill(&doc->partners[i], at > 0 ? at : 0, &out->v[i]) != 0) {
			export_rows_free(out);
			return -1;
		}
		out->v[i].index = i;
	}
	out->n = doc->n;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), row_cmp);
	return 0;
}

void
export_rows_free(struct export_rows *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

bool
export_any_lync(const struct export_rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].lync[0] != '\0')
			return true;
	return false;
}

/* ---- counts ---- */

const char *
export_verdict_at(size_t k, enum fs_verdict *out)
{
	enum fs_verdict v;

	for (v = FS_VERDICT_COMPATIBLE; v <= FS_VERDICT_ERROR; v++)
		if (fs_verdict_severity_rank(v) == (int)k) {
			*out = v;
			return fs_verdict_name(v);
		}
	return NULL;
}

const char *
export_method_name(size_t k)
{
	return k + 1 < EXPORT_NMETHODS ? fs_method_name((enum fs_method)(1U << k)) : "none";
}

void
export_count(const struct export_rows *r, struct export_counts *c)
{
	size_t i, k;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->n; i++) {
		const struct fs_assessment *a = r->v[i].a;

		if ((unsigned)a->verdict < EXPORT_NVERDICTS)
			c->v[a->verdict]++;
		for (k = 0; k + 1 < EXPORT_NMETHODS; k++)
			if ((unsigned)a->negotiated == 1U << k)
				c->m[k]++;
		if (a->negotiated == 0)
			c->m[EXPORT_NMETHODS - 1]++;
	}
}

void
export_summary(const struct export_rows *r, char *byv, size_t vsize, char *bym, size_t msize)
{
	struct export_counts c;
	enum fs_verdict v;
	const char *name;
	char one[64];
	size_t k;

	export_count(r, &c);
	byv[0] = bym[0] = '\0';
	for (k = 0; (name = export_verdict_at(k, &v)) != NULL; k++)
		if (c.v[v] > 0) {
			snprintf(one, sizeof(one), "%zu %s", c.v[v], name);
			export_list_add(byv, vsize, ", ", one);
		}
	for (k = 0; k < EXPORT_NMETHODS; k++)
		if (c.m[k] > 0) {
			snprintf(one, sizeof(one), "%s %zu", export_method_name(k), c.m[k]);
			export_list_add(bym, msize, ", ", one);
		}
}

void
export_cert_text(char *buf, size_t size, const struct export_row *row)
{
	if (!row->have_cert || row->cert_not_after[0] == '\0')
		snprintf(buf, size, "%s", "");
	else if (row->have_days && row->days < 0)
		snprintf(buf, size, "%s (expired)", row->cert_not_after);
	else if (row->have_days)
		snprintf(buf, size, "%s (%lld days)", row->cert_not_after, row->days);
	else
		snprintf(buf, size, "%s", row->cert_not_after);
}

/* ---- the scan and local policy lines the HTML and Markdown reports share ---- */

void
export_scan_times(FILE *f, const struct fs_scan_info *scan, void (*esc)(FILE *, const char *), const char *incomplete)
{
	esc(f, scan->started_at);
	if (scan->complete) {
		fputs(", finished ", f);
		esc(f, scan->finished_at);
	} else {
		fputs(incomplete, f);
	}
	fputs(", fedscan ", f);
	esc(f, scan->version);
	fputc('.', f);
}

void
export_local_policy(FILE *f, const struct fs_setting *local, void (*esc)(FILE *, const char *))
{
	const struct fs_matrix_row *row = fs_policy_row(local);

	fputs("Local policy: TLS ", f);
	esc(f, fs_level_name(local->tls));
	fputs(", SASL ", f);
	esc(f, fs_level_name(local->sasl));
	fputs(", Dialback ", f);
	esc(f, fs_dialback_name(local->dialback));
	if (row != NULL)
		fprintf(f, " (matrix row %d)", row->row);
	fputc('.', f);
}
