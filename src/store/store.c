/* store.c: opening the SQLite store (schema: db/migrations/), migrating it, and the helpers its files share. */
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

#include "store/cas.h"
#include "store/migrations.h"
#include "store/store_int.h"

/*
 * How often BEGIN IMMEDIATE is tried. The busy timeout already waits for
 * ordinary lock holders; SQLite also returns SQLITE_BUSY without calling the
 * busy handler in a few cases (another connection running WAL recovery, or
 * switching the journal mode of a new file), which is what the retries are
 * for. Worst case: FS_BEGIN_TRIES busy timeouts.
 */
#define FS_BEGIN_TRIES 5
#define FS_BEGIN_PAUSE_MS 50

static const char *const stmt_sql[ST_LAST] = {
	[ST_SCAN_BEGIN] =
	    "INSERT INTO scans (kind, fedscan_version, local_tls, local_sasl,"
	    " local_dialback, local_row, policy_json)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SCAN_END] =
	    "UPDATE scans SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
	    " complete = ?2 WHERE id = ?1",
	/* Content-addressed texts (db/migrations/004_content_addressed.sql): looked up by SHA-256, added once. */
	[ST_BLOB_FIND] = "SELECT id FROM blobs WHERE sha256 = ?1",
	[ST_BLOB_ADD] = "INSERT INTO blobs (sha256, json) VALUES (?1, ?2)",
	[ST_EV_FIND] = "SELECT id FROM evidence WHERE sha256 = ?1",
	[ST_EV_ADD] =
	    "INSERT INTO evidence (sha256, kind, connected, tls_version, tls_cipher, cert_sha256, stream_error,"
	    " dialback_result, sasl_result, close_reason, json)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
	[ST_DOMAIN] =
	    "INSERT INTO domain_rows (scan_id, domain, verdict, tls, sasl, dialback,"
	    " negotiated, methods_blob, reasons_blob, evidence_blob, result_blob,"
	    " result_vary, duration_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_ENDPOINT] =
	    "INSERT INTO endpoints (domain_id, host, port, address, source,"
	    " priority, weight, reachable)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CONN] = "INSERT INTO connection_rows (endpoint_id, evidence_id, vary) VALUES (?1, ?2, ?3)",
	[ST_LAST_DOMAIN] =
	    "SELECT " FS_ST_RESULT_COLS ", d.id FROM " FS_ST_RESULT_JOIN " WHERE d.domain = ?1"
	    " ORDER BY d.id DESC LIMIT 1",
	[ST_DOMAIN_ENDPOINTS] =
	    "SELECT id FROM endpoints WHERE domain_id = ?1 ORDER BY id",
	[ST_ENDPOINT_CONNS] =
	    "SELECT e.json, c.vary FROM connection_rows c JOIN evidence e ON e.id = c.evidence_id"
	    " WHERE c.endpoint_id = ?1 ORDER BY c.id",
};

void
fs_st_err(char *err, size_t errlen, const char *fmt, ...)
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
		fs_st_err(err, errlen, "%s: out of memory", path);
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
			fs_st_err(err, errlen, "cannot create directory %s for database %s: %s",
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
int
fs_st_begin(struct fs_store *st, char *err, size_t errlen)
{
	if (exec_retry(st->db, "BEGIN IMMEDIATE") != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: cannot start a transaction: %s",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
fs_st_commit(struct fs_store *st, char *err, size_t errlen)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: cannot commit: %s",
		    st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* Undo an open transaction; a no-op when none is open (SQLite may already have rolled back). */
void
fs_st_rollback(struct fs_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Apply the missing migrations, each with its user_version bump in one transaction. */
static int
migrate(struct fs_store *st, char *err, size_t errlen)
{
	const struct fs_migration *m;
	char bump[64];
	int version, ret = -1;

	for (;;) {
		if (fs_st_begin(st, err, errlen) != 0)
			return -1;
		/*
		 * Read again under the write lock: another process may have
		 * migrated the file since we looked (two first runs at once).
		 */
		if (query_int(st->db, "PRAGMA user_version", &version) != SQLITE_OK) {
			fs_st_err(err, errlen, "database %s: cannot read the schema version: %s",
			    st->path, sqlite3_errmsg(st->db));
			goto out;
		}
		if (version < 0 || (unsigned)version > fs_nmigrations) {
			fs_st_err(err, errlen, "database %s was written by a newer fedscan "
			    "(schema %d, this one knows %u); not touched",
			    st->path, version, fs_nmigrations);
			goto out;
		}
		if ((unsigned)version == fs_nmigrations) {
			ret = 0;        /* nothing was written: the rollback below ends the transaction */
			goto out;
		}
		m = &fs_migrations[version];
		if (m->version != (unsigned)version + 1) {
			fs_st_err(err, errlen, "internal error: migration %u is numbered %u",
			    (unsigned)version + 1, m->version);
			goto out;
		}
		if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
			fs_st_err(err, errlen, "database %s: migration %03u_%s failed: %s",
			    st->path, m->version, m->name, sqlite3_errmsg(st->db));
			goto out;
		}
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %u", m->version);
		if (sqlite3_exec(st->db, bump, NULL, NULL, NULL) != SQLITE_OK) {
			fs_st_err(err, errlen, "database %s: cannot set the schema version: %s",
			    st->path, sqlite3_errmsg(st->db));
			goto out;
		}
		if (fs_st_commit(st, err, errlen) != 0)
			goto out;
	}
out:
	fs_st_rollback(st);
	return ret;
}

int
fs_store_open(const char *path, struct fs_store **out, char *err, size_t errlen)
{
	struct fs_store *st = NULL;
	int version, fk, av, rc, i, ret = -1;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || *path == '\0' || out == NULL) {
		fs_st_err(err, errlen, "no database file given");
		return -1;
	}
	if (strcmp(path, ":memory:") != 0 && make_parents(path, err, errlen) != 0)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->path = strdup(path)) == NULL) {
		fs_st_err(err, errlen, "database %s: out of memory", path);
		goto out;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		fs_st_err(err, errlen, "cannot open database %s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto out;
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
			fs_st_err(err, errlen, "%s is not an SQLite database (%s); not touched",
			    path, sqlite3_errmsg(st->db));
		else if ((rc & 0xff) == SQLITE_CORRUPT)
			fs_st_err(err, errlen, "database %s is damaged (%s); not touched",
			    path, sqlite3_errmsg(st->db));
		else
			fs_st_err(err, errlen, "database %s: cannot read the schema version: %s",
			    path, sqlite3_errmsg(st->db));
		goto out;
	}
	if (version < 0 || (unsigned)version > fs_nmigrations) {
		fs_st_err(err, errlen, "database %s was written by a newer fedscan "
		    "(schema %d, this one knows %u); not touched",
		    path, version, fs_nmigrations);
		goto out;
	}

	/*
	 * Pages freed by prune go back to the file system (PRAGMA incremental_vacuum in store_prune.c). SQLite
	 * takes this only before the file has its first table, and before WAL mode writes the header.
	 */
	if (version == 0 && exec_retry(st->db, "PRAGMA auto_vacuum = INCREMENTAL") != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: cannot set auto_vacuum: %s", path, sqlite3_errmsg(st->db));
		goto out;
	}
	/*
	 * WAL: readers (report, diff) never block the writer and the other
	 * way round; with BEGIN IMMEDIATE and the busy timeout, concurrent
	 * writers queue. A file system that cannot do WAL (some network file
	 * systems) leaves the rollback journal, which is slower but correct.
	 */
	if (exec_retry(st->db, "PRAGMA journal_mode = WAL") != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: cannot switch to WAL: %s",
		    path, sqlite3_errmsg(st->db));
		goto out;
	}
	/* Off by default in SQLite, per connection; the schema relies on it for cascades. */
	if (sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    query_int(st->db, "PRAGMA foreign_keys", &fk) != SQLITE_OK || fk != 1) {
		fs_st_err(err, errlen, "database %s: cannot enable foreign keys: %s",
		    path, sqlite3_errmsg(st->db));
		goto out;
	}
	/* fs_sha256(), fs_constant(), fs_vary(): migration 004 splits older results as the writer does. */
	if ((rc = fs_cas_register(st->db)) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", path, sqlite3_errstr(rc));
		goto out;
	}
	if ((unsigned)version < fs_nmigrations && migrate(st, err, errlen) != 0)
		goto out;
	/*
	 * A database older than schema 4 gets auto_vacuum (above) with one VACUUM, which also returns the pages
	 * its old tables leave. Best effort: if another process holds the file, prune still frees pages for reuse.
	 */
	if (version > 0 && version < 4 && query_int(st->db, "PRAGMA auto_vacuum", &av) == SQLITE_OK && av == 0)
		(void)exec_retry(st->db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM");
	/*
	 * From here on, sorts and statement journals in memory, not in files under /var/tmp: once fedscan is confined
	 * (fedscan(1) SECURITY) it may create files only beside the database. Set after the migrations and their
	 * VACUUM, which run at start-up, unconfined, and may need a temporary copy the size of the database.
	 */
	if (sqlite3_exec(st->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: cannot keep temporary data in memory: %s",
		    path, sqlite3_errmsg(st->db));
		goto out;
	}

	for (i = 0; i < ST_LAST; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->stmt[i], NULL) != SQLITE_OK) {
			fs_st_err(err, errlen, "database %s: unexpected schema: %s",
			    path, sqlite3_errmsg(st->db));
			goto out;
		}
	}
	*out = st;
	st = NULL;
	ret = 0;
out:
	fs_store_close(st);             /* NULL after a success */
	return ret;
}

void
fs_store_close(struct fs_store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_LAST; i++)
		sqlite3_finalize(st->stmt[i]);
	/*
	 * SQLite skips its own checkpoint at close when it cannot stat the database's path (it takes the file for
	 * moved): so it is for a fedscan that dropped root in root's directory (fedscan(1) SECURITY). A passive
	 * checkpoint works through the open files and waits for nobody.
	 */
	if (st->db != NULL)
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	/* All statements are finalized, so this closes for real (and checkpoints the WAL when it can). */
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}
/* Prepare a one-off statement; BUSY (a writer switching the journal mode, WAL recovery) is retried. */
int
fs_st_prepare(struct fs_store *st, const char *sql, sqlite3_stmt **s, char *err, size_t errlen)
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
	fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
	return -1;
}
