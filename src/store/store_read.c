/* store_read.c: reading results back (scan, report, diff, history): each put together byte-exact (schema 4). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/cas.h"
#include "store/store_int.h"

/* One connection's evidence: its constant part (column 0) with the scan's varying values (column 1) put back. */
static json_t *
evidence_col(sqlite3_stmt *s)
{
	const char *c = (const char *)sqlite3_column_text(s, 0), *v = (const char *)sqlite3_column_text(s, 1);
	json_t *out = NULL;

	if (c == NULL)
		return NULL;
	(void)fs_cas_join(FS_CAS_EVIDENCE, c, (size_t)sqlite3_column_bytes(s, 0), v,
	    v != NULL ? (size_t)sqlite3_column_bytes(s, 1) : 0, &out);
	return out;
}

/* Put back the connections that result_to_store() left in the connections table (the n-th stored endpoint). */
static int
restore_connections(struct fs_store *st, int64_t domain_id, json_t *partner, char *err, size_t errlen)
{
	sqlite3_stmt *es = st->stmt[ST_DOMAIN_ENDPOINTS], *cs = st->stmt[ST_ENDPOINT_CONNS];
	json_t *e, *arr = NULL, *c;
	size_t i;
	int rc = SQLITE_OK, erc, ret = -1;
	bool need = false;

	json_array_foreach(json_object_get(partner, "endpoints"), i, e)
		need = need || json_is_string(json_object_get(e, "connections"));
	if (!need)
		return 0;                       /* written before schema 3, or no connections */
	if ((rc = sqlite3_bind_int64(es, 1, domain_id)) != SQLITE_OK)
		goto out;
	json_array_foreach(json_object_get(partner, "endpoints"), i, e) {
		if (!json_is_object(e))
			continue;               /* never stored: no row to match */
		erc = sqlite3_step(es);
		if (erc != SQLITE_ROW && erc != SQLITE_DONE) {
			rc = erc;
			goto out;
		}
		if (!json_is_string(json_object_get(e, "connections")))
			continue;
		if ((arr = json_array()) == NULL) {
			rc = SQLITE_NOMEM;
			goto out;
		}
		if (erc == SQLITE_ROW) {
			if ((rc = sqlite3_bind_int64(cs, 1, sqlite3_column_int64(es, 0))) != SQLITE_OK)
				goto out;
			while ((rc = sqlite3_step(cs)) == SQLITE_ROW)
				if ((c = evidence_col(cs)) != NULL)
					json_array_append_new(arr, c);
			sqlite3_reset(cs);
			if (rc != SQLITE_DONE)
				goto out;
			rc = SQLITE_OK;
		}
		/* A row deleted by hand leaves an empty list, not an error: the rest of the result still reads. */
		json_object_set_new(e, "connections", arr);
		arr = NULL;
	}
	ret = 0;
out:
	if (ret != 0 && rc == SQLITE_NOMEM)
		fs_st_err(err, errlen, "out of memory");
	else if (ret != 0)
		fs_st_err(err, errlen, "database %s: cannot read the connections of a stored result: %s", st->path,
		    sqlite3_errmsg(st->db));
	json_decref(arr);
	sqlite3_reset(cs);
	sqlite3_reset(es);
	return ret;
}

json_t *
fs_st_result(struct fs_store *st, sqlite3_stmt *s, int i, int64_t domain_id, char *err, size_t errlen)
{
	const char *c = (const char *)sqlite3_column_text(s, i + 1), *v = (const char *)sqlite3_column_text(s, i + 2);
	json_t *p = NULL;

	/* A result edited by hand (UPDATE domains SET result_json = ...) is read as it is. */
	if (sqlite3_column_type(s, i) != SQLITE_NULL)
		p = fs_st_json_col(s, i);
	else if (c != NULL)
		(void)fs_cas_join(FS_CAS_RESULT, c, (size_t)sqlite3_column_bytes(s, i + 1), v,
		    v != NULL ? (size_t)sqlite3_column_bytes(s, i + 2) : 0, &p);
	if (p == NULL || !json_is_object(p)) {
		json_decref(p);
		fs_st_err(err, errlen, "database %s: stored result %lld is not a JSON object", st->path,
		    (long long)domain_id);
		return NULL;
	}
	if (restore_connections(st, domain_id, p, err, errlen) != 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

int
fs_store_last_domain(struct fs_store *st, const char *domain, json_t **partner_out, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	json_t *partner = NULL;
	int rc, ret = -1;

	if (partner_out != NULL)
		*partner_out = NULL;
	if (st == NULL || domain == NULL || partner_out == NULL) {
		fs_st_err(err, errlen, "fs_store_last_domain: missing argument");
		return -1;
	}
	s = st->stmt[ST_LAST_DOMAIN];
	if (sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = 0;                /* never recorded */
		goto out;
	}
	if (rc != SQLITE_ROW) {
		fs_st_err(err, errlen, "database %s: cannot read %s: %s",
		    st->path, domain, sqlite3_errmsg(st->db));
		goto out;
	}
	if ((partner = fs_st_result(st, s, 0, sqlite3_column_int64(s, 3), err, errlen)) == NULL)
		goto out;
	*partner_out = partner;
	ret = 0;
out:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

/* ---- reading back (scan, report, diff, history) and retention (prune) ---- */

static void
copy_col(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(dst, size, "%s", t != NULL ? (const char *)t : "");
}

/* The JSON text of column i, or NULL (SQL NULL, or not JSON: what else could a reader do with it). */
json_t *
fs_st_json_col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (t == NULL)
		return NULL;
	/* JSON_ALLOW_NUL: a peer's string may hold U+0000, stored as \u0000 by json_dumps. */
	return json_loadb(t, (size_t)sqlite3_column_bytes(s, i), JSON_ALLOW_NUL, NULL);
}

#define SCAN_COLS \
	"SELECT id, kind, started_at, coalesce(finished_at, ''), complete, fedscan_version, policy_json," \
	" (SELECT count(*) FROM domains WHERE domains.scan_id = scans.id) FROM scans"

static void
scan_row(sqlite3_stmt *s, struct fs_scan_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, out->kind, sizeof(out->kind));
	copy_col(s, 2, out->started_at, sizeof(out->started_at));
	copy_col(s, 3, out->finished_at, sizeof(out->finished_at));
	out->complete = sqlite3_column_int(s, 4) != 0;
	copy_col(s, 5, out->version, sizeof(out->version));
	out->local = fs_st_json_col(s, 6);
	out->ndomains = (long)sqlite3_column_int64(s, 7);
}


void
fs_store_scans_free(struct fs_scan_info *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		json_decref(v[i].local);
	free(v);
}

int
fs_store_list_scans(struct fs_store *st, const char *kind, bool complete_only, size_t limit,
    struct fs_scan_info **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	struct fs_scan_info *v = NULL, *nv;
	size_t len = 0, cap = 0;
	int rc, ret = -1;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (st == NULL || out == NULL || n == NULL) {
		fs_st_err(err, errlen, "fs_store_list_scans: missing argument");
		return -1;
	}
	if (fs_st_prepare(st, SCAN_COLS " WHERE (?1 IS NULL OR kind = ?1) AND (?2 = 0 OR complete = 1)"
	    " ORDER BY id DESC LIMIT ?3", &s, err, errlen) != 0)
		return -1;
	if ((kind != NULL ? sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, 1)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, complete_only ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, limit > 0 ? (sqlite3_int64)limit : -1) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				fs_st_err(err, errlen, "database %s: out of memory", st->path);
				goto out;
			}
			v = nv;
		}
		scan_row(s, &v[len++]);
	}
	if (rc != SQLITE_DONE) {
		fs_st_err(err, errlen, "database %s: cannot list the scans: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	len = 0;
	ret = 0;
out:
	sqlite3_finalize(s);
	fs_store_scans_free(v, len);
	return ret;
}

int
fs_store_get_scan(struct fs_store *st, int64_t id, struct fs_scan_info *out, bool *found, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (found != NULL)
		*found = false;
	if (st == NULL || out == NULL || found == NULL) {
		fs_st_err(err, errlen, "fs_store_get_scan: missing argument");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (fs_st_prepare(st, SCAN_COLS " WHERE id = ?1", &s, err, errlen) != 0)
		return -1;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		scan_row(s, out);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		fs_st_err(err, errlen, "database %s: cannot read scan %lld: %s", st->path, (long long)id,
		    sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
fs_store_scan_partners(struct fs_store *st, int64_t scan_id, json_t **partners_out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	json_t *a, *p;
	int rc, ret = -1;

	if (partners_out != NULL)
		*partners_out = NULL;
	if (st == NULL || partners_out == NULL) {
		fs_st_err(err, errlen, "fs_store_scan_partners: missing argument");
		return -1;
	}
	if ((a = json_array()) == NULL) {
		fs_st_err(err, errlen, "out of memory");
		return -1;
	}
	if (fs_st_prepare(st, "SELECT " FS_ST_RESULT_COLS ", d.id FROM " FS_ST_RESULT_JOIN " WHERE d.scan_id = ?1"
	    " ORDER BY d.id", &s, err, errlen) != 0)
		goto out;
	if (sqlite3_bind_int64(s, 1, scan_id) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((p = fs_st_result(st, s, 0, sqlite3_column_int64(s, 3), err, errlen)) == NULL)
			goto out;
		json_array_append_new(a, p);
	}
	if (rc != SQLITE_DONE) {
		fs_st_err(err, errlen, "database %s: cannot read scan %lld: %s", st->path, (long long)scan_id,
		    sqlite3_errmsg(st->db));
		goto out;
	}
	*partners_out = a;
	a = NULL;
	ret = 0;
out:
	sqlite3_finalize(s);
	json_decref(a);
	return ret;
}

int
fs_store_domain_history(struct fs_store *st, const char *domain, json_t **out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	json_t *a, *p;
	int rc, ret = -1;

	if (out != NULL)
		*out = NULL;
	if (st == NULL || domain == NULL || out == NULL) {
		fs_st_err(err, errlen, "fs_store_domain_history: missing argument");
		return -1;
	}
	if ((a = json_array()) == NULL) {
		fs_st_err(err, errlen, "out of memory");
		return -1;
	}
	if (fs_st_prepare(st, "SELECT " FS_ST_RESULT_COLS ", s.id, s.kind, s.started_at, s.complete, d.id FROM "
	    FS_ST_RESULT_JOIN " JOIN scans s ON s.id = d.scan_id WHERE d.domain = ?1 ORDER BY d.id", &s, err,
	    errlen) != 0)
		goto out;
	if (sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((p = fs_st_result(st, s, 0, sqlite3_column_int64(s, 7), err, errlen)) == NULL)
			goto out;
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:b, s:o}",
		    "scan", (json_int_t)sqlite3_column_int64(s, 3),
		    "kind", (const char *)sqlite3_column_text(s, 4),
		    "started_at", (const char *)sqlite3_column_text(s, 5),
		    "complete", sqlite3_column_int(s, 6) != 0,
		    "partner", p));
	}
	if (rc != SQLITE_DONE) {
		fs_st_err(err, errlen, "database %s: cannot read the history of %s: %s", st->path, domain,
		    sqlite3_errmsg(st->db));
		goto out;
	}
	*out = a;
	a = NULL;
	ret = 0;
out:
	sqlite3_finalize(s);
	json_decref(a);
	return ret;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

long long
fs_store_time(const char *iso)
{
	int y, mo, d, h, mi, se, n = 0;

	if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || h < 0 || mi < 0 || se < 0)
		return -1;
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600LL + mi * 60LL + se;
}
