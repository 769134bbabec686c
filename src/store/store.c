/* store.c: the SQLite store (schema: db/migrations/, embedded by build-aux/embed-sql.sh). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/migrations.h"
#include "fedscan/store.h"

/*
 * How often BEGIN IMMEDIATE is tried. The busy timeout already waits for
 * ordinary lock holders; SQLite also returns SQLITE_BUSY without calling the
 * busy handler in a few cases (another connection running WAL recovery, or
 * switching the journal mode of a new file), which is what the retries are
 * for. Worst case: FS_BEGIN_TRIES busy timeouts.
 */
#define FS_BEGIN_TRIES 5
#define FS_BEGIN_PAUSE_MS 50

/* The JSON text stored for evidence objects: as printed, so a result read back prints as it did (schema 3). */
#define FS_EVIDENCE_DUMP JSON_COMPACT
/* What domains.result_json keeps in place of an endpoint's connections (db/migrations/003_connections_once.sql). */
#define FS_CONNS_STORED "connections table"
/* The JSON text stored for whole results: as printed (jansson keeps insertion order). */
#define FS_RESULT_DUMP JSON_COMPACT

enum stmt_id {
	ST_SCAN_BEGIN = 0,
	ST_SCAN_END,
	ST_DOMAIN,
	ST_ENDPOINT,
	ST_CERT,
	ST_CONN,
	ST_LAST_DOMAIN,
	ST_DOMAIN_ENDPOINTS,
	ST_ENDPOINT_CONNS,
	ST_LAST
};

static const char *const stmt_sql[ST_LAST] = {
	[ST_SCAN_BEGIN] =
	    "INSERT INTO scans (kind, fedscan_version, local_tls, local_sasl,"
	    " local_dialback, local_row, policy_json)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SCAN_END] =
	    "UPDATE scans SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
	    " complete = ?2 WHERE id = ?1",
	[ST_DOMAIN] =
	    "INSERT INTO domains (scan_id, domain, verdict, tls, sasl, dialback,"
	    " negotiated, methods, reasons_json, evidence_json, result_json,"
	    " duration_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_ENDPOINT] =
	    "INSERT INTO endpoints (domain_id, host, port, address, source,"
	    " priority, weight, reachable)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/*
	 * The upsert of INSERT OR IGNORE, limited to the one conflict that is
	 * expected (the certificate is already known): OR IGNORE would also
	 * swallow a NOT NULL or CHECK failure and hide a bug.
	 */
	[ST_CERT] =
	    "INSERT INTO certificates (sha256, subject, issuer, sans,"
	    " not_before, not_after, key, first_seen_scan)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (sha256) DO NOTHING",
	[ST_CONN] =
	    "INSERT INTO connections (endpoint_id, kind, connected, tls_version,"
	    " tls_cipher, cert_sha256, stream_error, dialback_result,"
	    " sasl_result, close_reason, bytes_in, bytes_out, duration_ms,"
	    " evidence_json)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14)",
	[ST_LAST_DOMAIN] =
	    "SELECT result_json, id FROM domains WHERE domain = ?1"
	    " ORDER BY id DESC LIMIT 1",
	[ST_DOMAIN_ENDPOINTS] =
	    "SELECT id FROM endpoints WHERE domain_id = ?1 ORDER BY id",
	[ST_ENDPOINT_CONNS] =
	    "SELECT evidence_json FROM connections WHERE endpoint_id = ?1 ORDER BY id",
};

struct fs_store {
	sqlite3 *db;
	char *path;                     /* for messages */
	sqlite3_stmt *stmt[ST_LAST];
};

#if defined(__GNUC__)
static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

unsigned
fs_store_schema_version(void)
{
	return fs_nmigrations;
}

/* mkdir -p of path's directory; directories we create are private (results name partners and their flaws). */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char *dir, *slash, *p, c;
	int ret = -1;

	if ((dir = strdup(path)) == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir) {
		ret = 0;                /* current directory or "/" */
		goto out;
	}
	*slash = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			set_err(err, errlen, "cannot create directory %s for database %s: %s",
			    dir, path, strerror(errno));
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

/* Run a statement that returns at most one integer (a PRAGMA); BUSY is retried. */
static int
query_int(sqlite3 *db, const char *sql, int *value)
{
	sqlite3_stmt *s = NULL;
	int rc, tries;

	for (tries = 0;; tries++) {
		rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(s);
			if (rc == SQLITE_ROW) {
				*value = sqlite3_column_int(s, 0);
				rc = SQLITE_OK;
			} else if (rc == SQLITE_DONE) {
				rc = SQLITE_EMPTY;      /* the PRAGMA is not compiled in */
			}
		}
		sqlite3_finalize(s);
		s = NULL;
		if ((rc & 0xff) != SQLITE_BUSY || tries + 1 >= FS_BEGIN_TRIES)
			return rc;
		pause_ms(FS_BEGIN_PAUSE_MS * (tries + 1));
	}
}

/* sqlite3_exec with BUSY retried (see FS_BEGIN_TRIES). */
static int
exec_retry(sqlite3 *db, const char *sql)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || tries + 1 >= FS_BEGIN_TRIES)
			return rc;
		pause_ms(FS_BEGIN_PAUSE_MS * (tries + 1));
	}
}

/*
 * Every write starts with BEGIN IMMEDIATE: it takes the write lock at once, so
 * two writers queue on the busy handler instead of both reading under a
 * deferred transaction and one failing with SQLITE_BUSY at its first write
 * (which the busy handler cannot resolve).
 */
static int
begin(struct fs_store *st, char *err, size_t errlen)
{
	if (exec_retry(st->db, "BEGIN IMMEDIATE") != SQLITE_OK) {
		set_err(err, errlen, "database %s: cannot start a transaction: %s",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

static int
commit(struct fs_store *st, char *err, size_t errlen)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, errlen, "database %s: cannot commit: %s",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* Undo an open transaction; a no-op when none is open (SQLite may already have rolled back). */
static void
rollback(struct fs_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Step a bound INSERT/UPDATE to completion, then reset it so it can be reused. */
static int
run(struct fs_store *st, enum stmt_id id, const char *what, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		set_err(err, errlen, "database %s: cannot record %s: %s",
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
	set_err(err, errlen, "database %s: cannot record %s: %s",
	    st->path, what, sqlite3_errstr(b->rc));
	sqlite3_reset(b->s);
	sqlite3_clear_bindings(b->s);
	return -1;
}

/* Apply the missing migrations, each with its user_version bump in one transaction. */
static int
migrate(struct fs_store *st, char *err, size_t errlen)
{
	const struct fs_migration *m;
	char bump[64];
	int version;

	for (;;) {
		if (begin(st, err, errlen) != 0)
			return -1;
		/*
		 * Read again under the write lock: another process may have
		 * migrated the file since we looked (two first runs at once).
		 */
		if (query_int(st->db, "PRAGMA user_version", &version) != SQLITE_OK) {
			set_err(err, errlen, "database %s: cannot read the schema version: %s",
			    st->path, sqlite3_errmsg(st->db));
			goto fail;
		}
		if (version < 0 || (unsigned)version > fs_nmigrations) {
			set_err(err, errlen, "database %s was written by a newer fedscan "
			    "(schema %d, this one knows %u); not touched",
			    st->path, version, fs_nmigrations);
			goto fail;
		}
		if ((unsigned)version == fs_nmigrations) {
			rollback(st);   /* nothing was written */
			return 0;
		}
		m = &fs_migrations[version];
		if (m->version != (unsigned)version + 1) {
			set_err(err, errlen, "internal error: migration %u is numbered %u",
			    (unsigned)version + 1, m->version);
			goto fail;
		}
		if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
			set_err(err, errlen, "database %s: migration %03u_%s failed: %s",
			    st->path, m->version, m->name, sqlite3_errmsg(st->db));
			goto fail;
		}
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %u", m->version);
		if (sqlite3_exec(st->db, bump, NULL, NULL, NULL) != SQLITE_OK) {
			set_err(err, errlen, "database %s: cannot set the schema version: %s",
			    st->path, sqlite3_errmsg(st->db));
			goto fail;
		}
		if (commit(st, err, errlen) != 0)
			goto fail;
	}
fail:
	rollback(st);
	return -1;
}

int
fs_store_open(const char *path, struct fs_store **out, char *err, size_t errlen)
{
	struct fs_store *st = NULL;
	int version, fk, rc, i;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || *path == '\0' || out == NULL) {
		set_err(err, errlen, "no database file given");
		return -1;
	}
	if (strcmp(path, ":memory:") != 0 && make_parents(path, err, errlen) != 0)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->path = strdup(path)) == NULL) {
		set_err(err, errlen, "database %s: out of memory", path);
		goto fail;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, errlen, "cannot open database %s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, FS_STORE_BUSY_TIMEOUT_MS);

	/*
	 * Look at the version before anything can write: journal_mode=WAL
	 * rewrites the file header, and a database from a newer fedscan, or a
	 * file that is not ours at all, must stay byte for byte as it was.
	 */
	rc = query_int(st->db, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_NOTADB)
			set_err(err, errlen, "%s is not an SQLite database (%s); not touched",
			    path, sqlite3_errmsg(st->db));
		else if ((rc & 0xff) == SQLITE_CORRUPT)
			set_err(err, errlen, "database %s is damaged (%s); not touched",
			    path, sqlite3_errmsg(st->db));
		else
			set_err(err, errlen, "database %s: cannot read the schema version: %s",
			    path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if (version < 0 || (unsigned)version > fs_nmigrations) {
		set_err(err, errlen, "database %s was written by a newer fedscan "
		    "(schema %d, this one knows %u); not touched",
		    path, version, fs_nmigrations);
		goto fail;
	}

	/*
	 * WAL: readers (report, diff) never block the writer and the other
	 * way round; with BEGIN IMMEDIATE and the busy timeout, concurrent
	 * writers queue. A file system that cannot do WAL (some network file
	 * systems) leaves the rollback journal, which is slower but correct.
	 */
	if (exec_retry(st->db, "PRAGMA journal_mode = WAL") != SQLITE_OK) {
		set_err(err, errlen, "database %s: cannot switch to WAL: %s",
		    path, sqlite3_errmsg(st->db));
		goto fail;
	}
	/* Off by default in SQLite, per connection; the schema relies on it for cascades. */
	if (sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    query_int(st->db, "PRAGMA foreign_keys", &fk) != SQLITE_OK || fk != 1) {
		set_err(err, errlen, "database %s: cannot enable foreign keys: %s",
		    path, sqlite3_errmsg(st->db));
		goto fail;
	}
	if ((unsigned)version < fs_nmigrations && migrate(st, err, errlen) != 0)
		goto fail;

	for (i = 0; i < ST_LAST; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->stmt[i], NULL) != SQLITE_OK) {
			set_err(err, errlen, "database %s: unexpected schema: %s",
			    path, sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	fs_store_close(st);
	return -1;
}

void
fs_store_close(struct fs_store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_LAST; i++)
		sqlite3_finalize(st->stmt[i]);
	/* All statements are finalized, so this closes for real (and checkpoints the WAL). */
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int
fs_store_scan_begin(struct fs_store *st, const char *kind, const json_t *local, const char *version,
    int64_t *scan_id, char *err, size_t errlen)
{
	struct binder b;

	if (scan_id != NULL)
		*scan_id = 0;
	if (st == NULL || kind == NULL || version == NULL || scan_id == NULL) {
		set_err(err, errlen, "fs_store_scan_begin: missing argument");
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
	if (begin(st, err, errlen) != 0) {
		sqlite3_clear_bindings(b.s);
		return -1;
	}
	if (run(st, ST_SCAN_BEGIN, "the scan", err, errlen) != 0)
		goto fail;
	/* Per connection, and we hold the write lock: this is our row. */
	*scan_id = sqlite3_last_insert_rowid(st->db);
	if (commit(st, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	*scan_id = 0;
	rollback(st);
	return -1;
}

int
fs_store_scan_end(struct fs_store *st, int64_t scan_id, bool complete, char *err, size_t errlen)
{
	struct binder b;

	if (st == NULL) {
		set_err(err, errlen, "fs_store_scan_end: missing argument");
		return -1;
	}
	b.s = st->stmt[ST_SCAN_END];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, scan_id);
	bind_i64(&b, 2, complete ? 1 : 0);
	if (bound(st, &b, "the end of the scan", err, errlen) != 0)
		return -1;
	if (begin(st, err, errlen) != 0) {
		sqlite3_clear_bindings(b.s);
		return -1;
	}
	if (run(st, ST_SCAN_END, "the end of the scan", err, errlen) != 0)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		set_err(err, errlen, "database %s: no scan %lld", st->path, (long long)scan_id);
		goto fail;
	}
	if (commit(st, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
fs_store_scan_set_capture(struct fs_store *st, int64_t scan_id, const char *capture, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (st == NULL || capture == NULL) {
		set_err(err, errlen, "fs_store_scan_set_capture: missing argument");
		return -1;
	}
	if (begin(st, err, errlen) != 0)
		return -1;
	rc = sqlite3_prepare_v2(st->db, "UPDATE scans SET capture = ?2 WHERE id = ?1", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, scan_id);
		sqlite3_bind_text(s, 2, capture, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK || sqlite3_changes(st->db) != 1) {
		set_err(err, errlen, "database %s: cannot record the capture file of scan %lld: %s", st->path,
		    (long long)scan_id, sqlite3_errmsg(st->db));
		rollback(st);
		return -1;
	}
	if (commit(st, err, errlen) != 0) {
		rollback(st);
		return -1;
	}
	return 0;
}

/* One raw evidence object: its certificate (if any), then the connection row. Inside the domain's transaction. */
static int
store_connection(struct fs_store *st, int64_t scan_id, int64_t endpoint_id, const json_t *c,
    char *err, size_t errlen)
{
	const json_t *tls = json_object_get(c, "tls");
	const json_t *cert = json_object_get(tls, "cert");
	const json_t *sha = json_object_get(cert, "sha256");
	struct binder b;
	bool have_cert;

	/* "present": false with a leftover fingerprint means no certificate was seen. */
	have_cert = json_is_string(sha) && json_string_length(sha) > 0 &&
	    !json_is_false(json_object_get(cert, "present"));
	if (have_cert) {
		b.s = st->stmt[ST_CERT];
		b.rc = SQLITE_OK;
		bind_str(&b, 1, sha);
		bind_str(&b, 2, json_object_get(cert, "subject"));
		bind_str(&b, 3, json_object_get(cert, "issuer"));
		bind_str(&b, 4, json_object_get(cert, "sans"));
		bind_str(&b, 5, json_object_get(cert, "not_before"));
		bind_str(&b, 6, json_object_get(cert, "not_after"));
		bind_str(&b, 7, json_object_get(cert, "key"));
		bind_i64(&b, 8, scan_id);
		if (bound(st, &b, "a certificate", err, errlen) != 0 ||
		    run(st, ST_CERT, "a certificate", err, errlen) != 0)
			return -1;
	}

	b.s = st->stmt[ST_CONN];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, endpoint_id);
	bind_str(&b, 2, json_object_get(c, "kind"));
	bind_bool(&b, 3, json_object_get(c, "connected"));
	bind_str(&b, 4, json_object_get(tls, "version"));
	bind_str(&b, 5, json_object_get(tls, "cipher"));
	bind_str(&b, 6, have_cert ? sha : NULL);
	bind_str(&b, 7, json_object_get(c, "stream_error"));
	bind_str(&b, 8, json_object_get(json_object_get(c, "dialback"), "result"));
	bind_str(&b, 9, json_object_get(json_object_get(c, "sasl"), "result"));
	bind_str(&b, 10, json_object_get(c, "close_reason"));
	bind_int(&b, 11, json_object_get(c, "bytes_in"));
	bind_int(&b, 12, json_object_get(c, "bytes_out"));
	bind_int(&b, 13, json_object_get(c, "duration_ms"));
	bind_dump(&b, 14, c, false, FS_EVIDENCE_DUMP);
	if (bound(st, &b, "a connection", err, errlen) != 0)
		return -1;
	return run(st, ST_CONN, "a connection", err, errlen);
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

static json_t *json_col(sqlite3_stmt *s, int i);

/* Put back the connections that result_to_store() left in the connections table (the n-th stored endpoint). */
static int
restore_connections(struct fs_store *st, int64_t domain_id, json_t *partner, char *err, size_t errlen)
{
	sqlite3_stmt *es = st->stmt[ST_DOMAIN_ENDPOINTS], *cs = st->stmt[ST_ENDPOINT_CONNS];
	json_t *e, *arr, *c;
	size_t i;
	int rc = 0, erc;
	bool need = false;

	json_array_foreach(json_object_get(partner, "endpoints"), i, e)
		need = need || json_is_string(json_object_get(e, "connections"));
	if (!need)
		return 0;                       /* written before schema 3, or no connections */
	if (sqlite3_bind_int64(es, 1, domain_id) != SQLITE_OK)
		goto sqlfail;
	json_array_foreach(json_object_get(partner, "endpoints"), i, e) {
		if (!json_is_object(e))
			continue;               /* never stored: no row to match */
		erc = sqlite3_step(es);
		if (erc != SQLITE_ROW && erc != SQLITE_DONE)
			goto sqlfail;
		if (!json_is_string(json_object_get(e, "connections")))
			continue;
		if ((arr = json_array()) == NULL)
			goto nomem;
		if (erc == SQLITE_ROW) {
			if (sqlite3_bind_int64(cs, 1, sqlite3_column_int64(es, 0)) != SQLITE_OK)
				goto sqlfail_arr;
			while ((rc = sqlite3_step(cs)) == SQLITE_ROW)
				if ((c = json_col(cs, 0)) != NULL)
					json_array_append_new(arr, c);
			sqlite3_reset(cs);
			if (rc != SQLITE_DONE)
				goto sqlfail_arr;
			rc = 0;
		}
		/* A row deleted by hand leaves an empty list, not an error: the rest of the result still reads. */
		json_object_set_new(e, "connections", arr);
	}
	sqlite3_reset(es);
	return 0;
sqlfail_arr:
	json_decref(arr);
sqlfail:
	set_err(err, errlen, "database %s: cannot read the connections of a stored result: %s", st->path,
	    sqlite3_errmsg(st->db));
	sqlite3_reset(cs);
	sqlite3_reset(es);
	return -1;
nomem:
	set_err(err, errlen, "out of memory");
	sqlite3_reset(es);
	return -1;
}

int
fs_store_domain(struct fs_store *st, int64_t scan_id, const json_t *partner, char *err, size_t errlen)
{
	const json_t *domain, *verdict, *effective, *endpoints, *e;
	json_t *stored;
	struct binder b;
	int64_t domain_id;
	size_t i;

	if (st == NULL || !json_is_object(partner)) {
		set_err(err, errlen, "fs_store_domain: no partner object");
		return -1;
	}
	/* The two keys without which the row means nothing (NOT NULL in the schema); said here in words. */
	domain = json_object_get(partner, "domain");
	verdict = json_object_get(partner, "verdict");
	if (!json_is_string(domain) || json_string_length(domain) == 0 ||
	    !json_is_string(verdict) || json_string_length(verdict) == 0) {
		set_err(err, errlen, "database %s: partner result without a %s string; not recorded",
		    st->path, json_is_string(domain) && json_string_length(domain) > 0 ?
		    "\"verdict\"" : "\"domain\"");
		return -1;
	}
	effective = json_object_get(partner, "effective");

	b.s = st->stmt[ST_DOMAIN];
	b.rc = SQLITE_OK;
	bind_i64(&b, 1, scan_id);
	bind_str(&b, 2, domain);
	bind_str(&b, 3, verdict);
	bind_str(&b, 4, json_object_get(effective, "tls"));
	bind_str(&b, 5, json_object_get(effective, "sasl"));
	bind_str(&b, 6, json_object_get(effective, "dialback"));
	bind_str(&b, 7, json_object_get(partner, "negotiated"));
	bind_dump(&b, 8, json_object_get(partner, "methods"), true, FS_RESULT_DUMP);
	bind_dump(&b, 9, json_object_get(partner, "reasons"), true, FS_RESULT_DUMP);
	bind_dump(&b, 10, json_object_get(effective, "evidence"), true, FS_RESULT_DUMP);
	if ((stored = result_to_store(partner)) == NULL) {
		sqlite3_clear_bindings(b.s);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	bind_dump(&b, 11, stored, false, FS_RESULT_DUMP);
	json_decref(stored);
	bind_int(&b, 12, json_object_get(partner, "duration_ms"));
	if (bound(st, &b, "a domain", err, errlen) != 0)
		return -1;

	/* One transaction per domain: a scan killed midway keeps every finished domain whole. */
	if (begin(st, err, errlen) != 0) {
		sqlite3_clear_bindings(b.s);
		return -1;
	}
	if (run(st, ST_DOMAIN, "a domain", err, errlen) != 0)
		goto fail;
	domain_id = sqlite3_last_insert_rowid(st->db);

	endpoints = json_object_get(partner, "endpoints");
	json_array_foreach(endpoints, i, e) {
		if (!json_is_object(e))
			continue;
		if (store_endpoint(st, scan_id, domain_id, e, err, errlen) != 0)
			goto fail;
	}
	if (commit(st, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
fs_store_last_domain(struct fs_store *st, const char *domain, json_t **partner_out, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	json_error_t jerr;
	json_t *partner = NULL;
	const char *text;
	int rc, ret = -1;

	if (partner_out != NULL)
		*partner_out = NULL;
	if (st == NULL || domain == NULL || partner_out == NULL) {
		set_err(err, errlen, "fs_store_last_domain: missing argument");
		return -1;
	}
	s = st->stmt[ST_LAST_DOMAIN];
	if (sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = 0;                /* never recorded */
		goto out;
	}
	if (rc != SQLITE_ROW) {
		set_err(err, errlen, "database %s: cannot read %s: %s",
		    st->path, domain, sqlite3_errmsg(st->db));
		goto out;
	}
	/* JSON_ALLOW_NUL: a peer's string may hold U+0000, stored as \u0000 by json_dumps. */
	text = (const char *)sqlite3_column_text(s, 0);
	if (text != NULL)
		partner = json_loadb(text, (size_t)sqlite3_column_bytes(s, 0), JSON_ALLOW_NUL, &jerr);
	if (partner == NULL) {
		set_err(err, errlen, "database %s: stored result for %s is not JSON: %s",
		    st->path, domain, text != NULL ? jerr.text : "NULL");
		goto out;
	}
	if (restore_connections(st, sqlite3_column_int64(s, 1), partner, err, errlen) != 0) {
		json_decref(partner);
		goto out;
	}
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
static json_t *
json_col(sqlite3_stmt *s, int i)
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
	out->local = json_col(s, 6);
	out->ndomains = (long)sqlite3_column_int64(s, 7);
}

/* Prepare a one-off statement; BUSY (a writer switching the journal mode, WAL recovery) is retried. */
static int
prepare(struct fs_store *st, const char *sql, sqlite3_stmt **s, char *err, size_t errlen)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || tries + 1 >= FS_BEGIN_TRIES)
			break;
		pause_ms(FS_BEGIN_PAUSE_MS * (tries + 1));
	}
	set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
	return -1;
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
	int rc;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (st == NULL || out == NULL || n == NULL) {
		set_err(err, errlen, "fs_store_list_scans: missing argument");
		return -1;
	}
	if (prepare(st, SCAN_COLS " WHERE (?1 IS NULL OR kind = ?1) AND (?2 = 0 OR complete = 1)"
	    " ORDER BY id DESC LIMIT ?3", &s, err, errlen) != 0)
		return -1;
	if ((kind != NULL ? sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, 1)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, complete_only ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, limit > 0 ? (sqlite3_int64)limit : -1) != SQLITE_OK) {
		set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				set_err(err, errlen, "database %s: out of memory", st->path);
				goto fail;
			}
			v = nv;
		}
		scan_row(s, &v[len++]);
	}
	if (rc != SQLITE_DONE) {
		set_err(err, errlen, "database %s: cannot list the scans: %s", st->path, sqlite3_errmsg(st->db));
		goto fail;
	}
	sqlite3_finalize(s);
	*out = v;
	*n = len;
	return 0;
fail:
	sqlite3_finalize(s);
	fs_store_scans_free(v, len);
	return -1;
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
		set_err(err, errlen, "fs_store_get_scan: missing argument");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	if (prepare(st, SCAN_COLS " WHERE id = ?1", &s, err, errlen) != 0)
		return -1;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		scan_row(s, out);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		set_err(err, errlen, "database %s: cannot read scan %lld: %s", st->path, (long long)id,
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
	int rc;

	if (partners_out != NULL)
		*partners_out = NULL;
	if (st == NULL || partners_out == NULL) {
		set_err(err, errlen, "fs_store_scan_partners: missing argument");
		return -1;
	}
	if ((a = json_array()) == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (prepare(st, "SELECT result_json, domain, id FROM domains WHERE scan_id = ?1 ORDER BY id", &s, err,
	    errlen) != 0)
		goto fail;
	if (sqlite3_bind_int64(s, 1, scan_id) != SQLITE_OK) {
		set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((p = json_col(s, 0)) == NULL || !json_is_object(p)) {
			json_decref(p);
			set_err(err, errlen, "database %s: the stored result for %s in scan %lld is not a JSON object",
			    st->path, (const char *)sqlite3_column_text(s, 1), (long long)scan_id);
			goto fail;
		}
		json_array_append_new(a, p);
		if (restore_connections(st, sqlite3_column_int64(s, 2), p, err, errlen) != 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		set_err(err, errlen, "database %s: cannot read scan %lld: %s", st->path, (long long)scan_id,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	sqlite3_finalize(s);
	*partners_out = a;
	return 0;
fail:
	sqlite3_finalize(s);
	json_decref(a);
	return -1;
}

int
fs_store_domain_history(struct fs_store *st, const char *domain, json_t **out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	json_t *a, *p;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (st == NULL || domain == NULL || out == NULL) {
		set_err(err, errlen, "fs_store_domain_history: missing argument");
		return -1;
	}
	if ((a = json_array()) == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (prepare(st, "SELECT d.result_json, s.id, s.kind, s.started_at, s.complete, d.id FROM domains d"
	    " JOIN scans s ON s.id = d.scan_id WHERE d.domain = ?1 ORDER BY d.id", &s, err, errlen) != 0)
		goto fail;
	if (sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((p = json_col(s, 0)) == NULL)
			continue;       /* json_valid() in the schema makes this unreachable */
		if (restore_connections(st, sqlite3_column_int64(s, 5), p, err, errlen) != 0) {
			json_decref(p);
			goto fail;
		}
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:b, s:o}",
		    "scan", (json_int_t)sqlite3_column_int64(s, 1),
		    "kind", (const char *)sqlite3_column_text(s, 2),
		    "started_at", (const char *)sqlite3_column_text(s, 3),
		    "complete", sqlite3_column_int(s, 4) != 0,
		    "partner", p));
	}
	if (rc != SQLITE_DONE) {
		set_err(err, errlen, "database %s: cannot read the history of %s: %s", st->path, domain,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	sqlite3_finalize(s);
	*out = a;
	return 0;
fail:
	sqlite3_finalize(s);
	json_decref(a);
	return -1;
}

/* Step a one-off statement to completion; the number of rows it changed in *changes. */
static int
step_done(struct fs_store *st, sqlite3_stmt *s, const char *what, long *changes, char *err, size_t errlen)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW && changes != NULL) {             /* a count(*) */
		*changes = (long)sqlite3_column_int64(s, 0);
		return 0;
	}
	if (rc != SQLITE_DONE) {
		set_err(err, errlen, "database %s: cannot %s: %s", st->path, what, sqlite3_errmsg(st->db));
		return -1;
	}
	if (changes != NULL)
		*changes = (long)sqlite3_changes(st->db);
	return 0;
}

int
fs_store_prune(struct fs_store *st, unsigned keep_days, long *removed, long *kept, char *err, size_t errlen)
{
	sqlite3_stmt *cnt = NULL, *del = NULL, *certs = NULL;
	char age[32], grace[32];
	long total = 0, gone = 0;

	if (removed != NULL)
		*removed = 0;
	if (kept != NULL)
		*kept = 0;
	if (st == NULL) {
		set_err(err, errlen, "fs_store_prune: missing argument");
		return -1;
	}
	snprintf(age, sizeof(age), "-%u days", keep_days);
	snprintf(grace, sizeof(grace), "-%u days", keep_days > FS_STORE_UNFINISHED_GRACE_DAYS ? keep_days :
	    FS_STORE_UNFINISHED_GRACE_DAYS);
	if (prepare(st, "SELECT count(*) FROM scans", &cnt, err, errlen) != 0 ||
	    prepare(st, "DELETE FROM scans WHERE started_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)"
	    " AND (finished_at IS NOT NULL OR started_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2))",
	    &del, err, errlen) != 0 ||
	    prepare(st, "DELETE FROM certificates WHERE NOT EXISTS"
	    " (SELECT 1 FROM connections WHERE connections.cert_sha256 = certificates.sha256)",
	    &certs, err, errlen) != 0)
		goto fail;
	if (sqlite3_bind_text(del, 1, age, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(del, 2, grace, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		set_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto fail;
	}
	/* One transaction: the scans go with everything under them (ON DELETE CASCADE), or nothing does. */
	if (begin(st, err, errlen) != 0)
		goto fail;
	if (step_done(st, cnt, "count the scans", &total, err, errlen) != 0 ||
	    step_done(st, del, "delete old scans", &gone, err, errlen) != 0 ||
	    step_done(st, certs, "delete unused certificates", NULL, err, errlen) != 0)
		goto rollback;
	sqlite3_finalize(cnt);
	sqlite3_finalize(del);
	sqlite3_finalize(certs);
	cnt = del = certs = NULL;
	if (commit(st, err, errlen) != 0)
		goto rollback;
	if (removed != NULL)
		*removed = gone;
	if (kept != NULL)
		*kept = total - gone;
	return 0;
rollback:
	sqlite3_finalize(cnt);
	sqlite3_finalize(del);
	sqlite3_finalize(certs);
	rollback(st);
	return -1;
fail:
	sqlite3_finalize(cnt);
	sqlite3_finalize(del);
	sqlite3_finalize(certs);
	return -1;
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
