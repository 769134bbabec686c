/* store_write.c: recording runs and partner results; what a scan repeats is written once (schema 4). */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/cas.h"
#include "store/store_int.h"

/* The JSON text stored for the columns that keep JSON: as printed (jansson keeps insertion order). */
#define FS_RESULT_DUMP JSON_COMPACT

/* Step a bound INSERT/UPDATE to completion, then reset it so it can be reused. */
static int
run(struct fs_store *st, enum fs_st_stmt id, const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		fs_st_err(err, errlen, "database %s: cannot record %s: %s",
		    st->path, what, sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Binding JSON values: each helper binds NULL unless the value has the
 * expected JSON type, so a missing or ill-typed key never fails the write.
 * The first binding error (out of memory) is kept in rc and stops the rest.
 * Strings are bound byte for byte, with their length; only "" becomes NULL,
 * because the evidence writes "" for "not seen" (no stream error, no TLS) and
 * a column should say that the same way whatever produced the JSON. The
 * JSON columns keep the "" anyway.
 */
struct binder {
	sqlite3_stmt *s;
	int rc;
};

static void
bind_str(struct binder *b, int i, const json_t *v)
{
	if (b->rc != SQLITE_OK)
		return;
	if (json_is_string(v) && json_string_length(v) > 0)
		b->rc = sqlite3_bind_text64(b->s, i, json_string_value(v),
		    json_string_length(v), SQLITE_TRANSIENT, SQLITE_UTF8);
	else
		b->rc = sqlite3_bind_null(b->s, i);
}

static void
bind_cstr(struct binder *b, int i, const char *v)
{
	if (b->rc != SQLITE_OK)
		return;
	if (v != NULL)
		b->rc = sqlite3_bind_text(b->s, i, v, -1, SQLITE_TRANSIENT);
	else
		b->rc = sqlite3_bind_null(b->s, i);
}

static void
bind_int(struct binder *b, int i, const json_t *v)
{
	if (b->rc != SQLITE_OK)
		return;
	if (json_is_integer(v))
		b->rc = sqlite3_bind_int64(b->s, i, json_integer_value(v));
	else
		b->rc = sqlite3_bind_null(b->s, i);
}

static void
bind_i64(struct binder *b, int i, int64_t v)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc = sqlite3_bind_int64(b->s, i, v);
}

static void
bind_bool(struct binder *b, int i, const json_t *v)
{
	if (b->rc != SQLITE_OK)
		return;
	if (json_is_boolean(v))
		b->rc = sqlite3_bind_int(b->s, i, json_is_true(v));
	else
		b->rc = sqlite3_bind_null(b->s, i);
}

/* Bind v as JSON text if it is an array (want_array) or an object; else NULL. */
static void
bind_dump(struct binder *b, int i, const json_t *v, bool want_array, size_t flags)
{
	char *text;

	if (b->rc != SQLITE_OK)
		return;
	if (!(want_array ? json_is_array(v) : json_is_object(v))) {
		b->rc = sqlite3_bind_null(b->s, i);
		return;
	}
	if ((text = json_dumps(v, flags)) == NULL) {
		b->rc = SQLITE_NOMEM;
		return;
	}
	b->rc = sqlite3_bind_text(b->s, i, text, -1, SQLITE_TRANSIENT);
	free(text);
}

static int
bound(struct fs_store *st, struct binder *b, const char *what, char *err, size_t errlen)
{
	if (b->rc == SQLITE_OK)
		return 0;
	fs_st_err(err, errlen, "database %s: cannot record %s: %s",
	    st->path, what, sqlite3_errstr(b->rc));
	sqlite3_reset(b->s);
	sqlite3_clear_bindings(b->s);
	return -1;
}


int
fs_store_scan_begin(struct fs_store *st, const char *kind, const json_t *local, const char *version,
    int64_t *scan_id, char *err, size_t errlen)
{
	struct binder b;
	int ret = -1;

	if (scan_id != NULL)
		*scan_id = 0;
	if (st == NULL || kind == NULL || version == NULL || scan_id == NULL) {
		fs_st_err(err, errlen, "fs_store_scan_begin: missing argument");
		return -1;
	}
	b.s = st->stmt[ST_SCAN_BEGIN];
	b.rc = SQLITE_OK;
	bind_cstr(&b, 1, kind);
	bind_cstr(&b, 2, version);
	bind_str(&b, 3, json_object_get(local, "tls"));
	bind_str(&b, 4, json_object_get(local, "sasl"));
	bind_str(&b, 5, json_object_get(local, "dialback"));
	bind_int(&b, 6, json_object_get(local, "row"));
	bind_dump(&b, 7, local, false, FS_RESULT_DUMP);
	if (bound(st, &b, "the scan", err, errlen) != 0)
		return -1;
	if (fs_st_begin(st, err, errlen) != 0) {
		sqlite3_clear_bindings(b.s);
		return -1;
	}
	if (run(st, ST_SCAN_BEGIN, "the scan", err, errlen) != 0)
		goto out;
	/* Per connection, and we hold the write lock: this is our row. */
	*scan_id = sqlite3_last_insert_rowid(st->db);
	if (fs_st_commit(st, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		*scan_id = 0;
	fs_st_rollback(st);             /* a no-op after the commit */
	return ret;
}

int
fs_store_scan_end(struct fs_store *st, int64_t scan_id, bool complete, char *err, size_t errlen)
{
	struct binder b;
	int ret = -1;

	if (st == NULL) {
		fs_st_err(err, errlen, "fs_store_scan_end: missing argument");
		return -1;
	}
	b.s = st->stmt[ST_SCAN_END];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, scan_id);
	bind_i64(&b, 2, complete ? 1 : 0);
	if (bound(st, &b, "the end of the scan", err, errlen) != 0)
		return -1;
	if (fs_st_begin(st, err, errlen) != 0) {
		sqlite3_clear_bindings(b.s);
		return -1;
	}
	if (run(st, ST_SCAN_END, "the end of the scan", err, errlen) != 0)
		goto out;
	if (sqlite3_changes(st->db) != 1) {
		fs_st_err(err, errlen, "database %s: no scan %lld", st->path, (long long)scan_id);
		goto out;
	}
	if (fs_st_commit(st, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	fs_st_rollback(st);             /* a no-op after the commit */
	return ret;
}

int
fs_store_scan_set_capture(struct fs_store *st, int64_t scan_id, const char *capture, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (st == NULL || capture == NULL) {
		fs_st_err(err, errlen, "fs_store_scan_set_capture: missing argument");
		return -1;
	}
	if (fs_st_begin(st, err, errlen) != 0)
		return -1;
	rc = sqlite3_prepare_v2(st->db, "UPDATE scans SET capture = ?2 WHERE id = ?1", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, scan_id);
		sqlite3_bind_text(s, 2, capture, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK || sqlite3_changes(st->db) != 1) {
		fs_st_err(err, errlen, "database %s: cannot record the capture file of scan %lld: %s", st->path,
		    (long long)scan_id, sqlite3_errmsg(st->db));
		fs_st_rollback(st);
		return -1;
	}
	if (fs_st_commit(st, err, errlen) != 0) {
		fs_st_rollback(st);
		return -1;
	}
	return 0;
}

/* The row id of a stored text by its SHA-256 (ST_BLOB_FIND or ST_EV_FIND); *row = 0 when it is not stored. */
static int
find_hash(struct fs_store *st, enum fs_st_stmt id, const unsigned char *h, int64_t *row, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc;

	*row = 0;
	rc = sqlite3_bind_blob(s, 1, h, FS_CAS_HASH_LEN, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*row = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fs_st_err(err, errlen, "database %s: cannot look up stored evidence: %s", st->path,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* A JSON text in blobs, once (content-addressed, schema 4): its id in *id. Inside the domain's transaction. */
static int
put_text(struct fs_store *st, const char *text, int64_t *id, char *err, size_t errlen)
{
	unsigned char h[FS_CAS_HASH_LEN];
	struct binder b;

	fs_cas_hash(text, strlen(text), h);
	if (find_hash(st, ST_BLOB_FIND, h, id, err, errlen) != 0)
		return -1;
	if (*id != 0)
		return 0;
	b.s = st->stmt[ST_BLOB_ADD];
	b.rc = sqlite3_bind_blob(b.s, 1, h, FS_CAS_HASH_LEN, SQLITE_TRANSIENT);
	bind_cstr(&b, 2, text);
	if (bound(st, &b, "a result", err, errlen) != 0 || run(st, ST_BLOB_ADD, "a result", err, errlen) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* v's text in blobs if it is an array (want_array) or an object, else *id = 0 (the column stays NULL). */
static int
put_json(struct fs_store *st, const json_t *v, bool want_array, int64_t *id, char *err, size_t errlen)
{
	char *text;
	int ret;

	*id = 0;
	if (!(want_array ? json_is_array(v) : json_is_object(v)))
		return 0;
	if ((text = json_dumps(v, FS_RESULT_DUMP)) == NULL) {
		fs_st_err(err, errlen, "out of memory");
		return -1;
	}
	ret = put_text(st, text, id, err, errlen);
	free(text);
	return ret;
}

static void
bind_ref(struct binder *b, int i, int64_t id)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc = id != 0 ? sqlite3_bind_int64(b->s, i, id) : sqlite3_bind_null(b->s, i);
}

/* The certificate of a connection (if any) in certificates, once per fingerprint. */
static int
store_cert(struct fs_store *st, int64_t scan_id, const json_t *cert, char *err, size_t errlen)
{
	struct binder b;

	b.s = st->stmt[ST_CERT];
	b.rc = SQLITE_OK;
	bind_str(&b, 1, json_object_get(cert, "sha256"));
	bind_str(&b, 2, json_object_get(cert, "subject"));
	bind_str(&b, 3, json_object_get(cert, "issuer"));
	bind_str(&b, 4, json_object_get(cert, "sans"));
	bind_str(&b, 5, json_object_get(cert, "not_before"));
	bind_str(&b, 6, json_object_get(cert, "not_after"));
	bind_str(&b, 7, json_object_get(cert, "key"));
	bind_i64(&b, 8, scan_id);
	if (bound(st, &b, "a certificate", err, errlen) != 0 || run(st, ST_CERT, "a certificate", err, errlen) != 0)
		return -1;
	return 0;
}

/* A connection's constant evidence in evidence, once, with its summary columns: its id in *id. */
static int
store_evidence(struct fs_store *st, int64_t scan_id, const json_t *c, const char *constant, int64_t *id,
    char *err, size_t errlen)
{
	const json_t *tls = json_object_get(c, "tls");
	const json_t *cert = json_object_get(tls, "cert");
	const json_t *sha = json_object_get(cert, "sha256");
	unsigned char h[FS_CAS_HASH_LEN];
	struct binder b;
	bool have_cert;

	fs_cas_hash(constant, strlen(constant), h);
	if (find_hash(st, ST_EV_FIND, h, id, err, errlen) != 0)
		return -1;
	if (*id != 0)
		return 0;               /* seen before: its certificate is stored too */
	/* "present": false with a leftover fingerprint means no certificate was seen. */
	have_cert = json_is_string(sha) && json_string_length(sha) > 0 &&
	    !json_is_false(json_object_get(cert, "present"));
	if (have_cert && store_cert(st, scan_id, cert, err, errlen) != 0)
		return -1;
	b.s = st->stmt[ST_EV_ADD];
	b.rc = sqlite3_bind_blob(b.s, 1, h, FS_CAS_HASH_LEN, SQLITE_TRANSIENT);
	bind_str(&b, 2, json_object_get(c, "kind"));
	bind_bool(&b, 3, json_object_get(c, "connected"));
	bind_str(&b, 4, json_object_get(tls, "version"));
	bind_str(&b, 5, json_object_get(tls, "cipher"));
	bind_str(&b, 6, have_cert ? sha : NULL);
	bind_str(&b, 7, json_object_get(c, "stream_error"));
	bind_str(&b, 8, json_object_get(json_object_get(c, "dialback"), "result"));
	bind_str(&b, 9, json_object_get(json_object_get(c, "sasl"), "result"));
	bind_str(&b, 10, json_object_get(c, "close_reason"));
	bind_cstr(&b, 11, constant);
	if (bound(st, &b, "a connection", err, errlen) != 0 || run(st, ST_EV_ADD, "a connection", err, errlen) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* One raw evidence object: its constant part once (evidence), then this scan's row. Inside the domain's transaction. */
static int
store_connection(struct fs_store *st, int64_t scan_id, int64_t endpoint_id, const json_t *c,
    char *err, size_t errlen)
{
	char *constant = NULL, *vary = NULL;
	struct binder b;
	int64_t ev = 0;
	int ret = -1;

	if (fs_cas_split(FS_CAS_EVIDENCE, c, &constant, &vary) != 0) {
		fs_st_err(err, errlen, "out of memory");
		return -1;
	}
	if (store_evidence(st, scan_id, c, constant, &ev, err, errlen) != 0)
		goto out;
	b.s = st->stmt[ST_CONN];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, endpoint_id);
	bind_i64(&b, 2, ev);
	bind_cstr(&b, 3, vary);
	if (bound(st, &b, "a connection", err, errlen) != 0 || run(st, ST_CONN, "a connection", err, errlen) != 0)
		goto out;
	ret = 0;
out:
	free(constant);
	free(vary);
	return ret;
}

static int
store_endpoint(struct fs_store *st, int64_t scan_id, int64_t domain_id, const json_t *e,
    char *err, size_t errlen)
{
	const json_t *conns, *c;
	struct binder b;
	int64_t endpoint_id;
	size_t i;

	b.s = st->stmt[ST_ENDPOINT];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, domain_id);
	bind_str(&b, 2, json_object_get(e, "host"));
	bind_int(&b, 3, json_object_get(e, "port"));
	bind_str(&b, 4, json_object_get(e, "address"));
	bind_str(&b, 5, json_object_get(e, "source"));
	bind_int(&b, 6, json_object_get(e, "priority"));
	bind_int(&b, 7, json_object_get(e, "weight"));
	bind_bool(&b, 8, json_object_get(e, "reachable"));
	if (bound(st, &b, "an endpoint", err, errlen) != 0 ||
	    run(st, ST_ENDPOINT, "an endpoint", err, errlen) != 0)
		return -1;
	endpoint_id = sqlite3_last_insert_rowid(st->db);

	conns = json_object_get(e, "connections");
	json_array_foreach(conns, i, c) {
		if (!json_is_object(c))
			continue;       /* nothing to file it under */
		if (store_connection(st, scan_id, endpoint_id, c, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * The partner object as domains.result_json keeps it: an endpoint's "connections" array, when every element
 * goes to the connections table, is replaced by FS_CONNS_STORED (put back by restore_connections()).
 */
static json_t *
result_to_store(const json_t *partner)
{
	json_t *p, *eps, *e, *c, *copy;
	const json_t *conns;
	size_t i, k;
	bool all;

	if ((p = json_copy((json_t *)partner)) == NULL || (eps = json_array()) == NULL) {
		json_decref(p);
		return NULL;
	}
	json_array_foreach(json_object_get(partner, "endpoints"), i, e) {
		conns = json_object_get(e, "connections");
		all = json_is_array(conns) && json_array_size(conns) > 0;
		json_array_foreach(conns, k, c)
			all = all && json_is_object(c);
		if (json_is_object(e) && all && (copy = json_copy(e)) != NULL) {
			json_object_set_new(copy, "connections", json_string(FS_CONNS_STORED));
			json_array_append_new(eps, copy);
		} else {
			json_array_append(eps, e);
		}
	}
	if (json_is_array(json_object_get(partner, "endpoints")))
		json_object_set_new(p, "endpoints", eps);
	else
		json_decref(eps);
	return p;
}

/* The domain row: its JSON texts in blobs (once each), then the row of references. Inside its transaction. */
static int
store_domain_row(struct fs_store *st, int64_t scan_id, const json_t *partner, int64_t *domain_id,
    char *err, size_t errlen)
{
	const json_t *effective = json_object_get(partner, "effective");
	int64_t methods, reasons, evidence, result;
	char *constant = NULL, *vary = NULL;
	struct binder b;
	json_t *stored;
	int ret = -1;

	if ((stored = result_to_store(partner)) == NULL || fs_cas_split(FS_CAS_RESULT, stored, &constant, &vary) != 0) {
		fs_st_err(err, errlen, "out of memory");
		goto out;
	}
	if (put_text(st, constant, &result, err, errlen) != 0 ||
	    put_json(st, json_object_get(partner, "methods"), true, &methods, err, errlen) != 0 ||
	    put_json(st, json_object_get(partner, "reasons"), true, &reasons, err, errlen) != 0 ||
	    put_json(st, json_object_get(effective, "evidence"), true, &evidence, err, errlen) != 0)
		goto out;
	b.s = st->stmt[ST_DOMAIN];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, scan_id);
	bind_str(&b, 2, json_object_get(partner, "domain"));
	bind_str(&b, 3, json_object_get(partner, "verdict"));
	bind_str(&b, 4, json_object_get(effective, "tls"));
	bind_str(&b, 5, json_object_get(effective, "sasl"));
	bind_str(&b, 6, json_object_get(effective, "dialback"));
	bind_str(&b, 7, json_object_get(partner, "negotiated"));
	bind_ref(&b, 8, methods);
	bind_ref(&b, 9, reasons);
	bind_ref(&b, 10, evidence);
	bind_ref(&b, 11, result);
	bind_cstr(&b, 12, vary);
	bind_int(&b, 13, json_object_get(partner, "duration_ms"));
	if (bound(st, &b, "a domain", err, errlen) != 0 || run(st, ST_DOMAIN, "a domain", err, errlen) != 0)
		goto out;
	*domain_id = sqlite3_last_insert_rowid(st->db);
	ret = 0;
out:
	json_decref(stored);
	free(constant);
	free(vary);
	return ret;
}

int
fs_store_domain(struct fs_store *st, int64_t scan_id, const json_t *partner, char *err, size_t errlen)
{
	const json_t *domain, *verdict, *e;
	int64_t domain_id = 0;
	size_t i;
	int ret = -1;

	if (st == NULL || !json_is_object(partner)) {
		fs_st_err(err, errlen, "fs_store_domain: no partner object");
		return -1;
	}
	/* The two keys without which the row means nothing (NOT NULL in the schema); said here in words. */
	domain = json_object_get(partner, "domain");
	verdict = json_object_get(partner, "verdict");
	if (!json_is_string(domain) || json_string_length(domain) == 0 ||
	    !json_is_string(verdict) || json_string_length(verdict) == 0) {
		fs_st_err(err, errlen, "database %s: partner result without a %s string; not recorded",
		    st->path, json_is_string(domain) && json_string_length(domain) > 0 ?
		    "\"verdict\"" : "\"domain\"");
		return -1;
	}
	/* One transaction per domain: a scan killed midway keeps every finished domain whole. */
	if (fs_st_begin(st, err, errlen) != 0)
		return -1;
	if (store_domain_row(st, scan_id, partner, &domain_id, err, errlen) != 0)
		goto out;
	json_array_foreach(json_object_get(partner, "endpoints"), i, e) {
		if (!json_is_object(e))
			continue;
		if (store_endpoint(st, scan_id, domain_id, e, err, errlen) != 0)
			goto out;
	}
	if (fs_st_commit(st, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	fs_st_rollback(st);             /* a no-op after the commit */
	return ret;
}

