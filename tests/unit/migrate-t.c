/* migrate-t.c: schema-3 databases moved to schema 4: read back as before; killed midway, left as they were. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/migrations.h"
#include "fedscan/store.h"
#include "tap/basic.h"
#include "tap/sqlite.h"

static char tmpdir[256];
static char err[512];
static json_t *fixture;         /* a partner as fedscan printed it for a real Prosody (tests/unit/data) */

static const char *
tpath(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

/* Partner i as scan `scan` printed it: its own name, stream ids and durations of that run. */
static json_t *
partner(int i, int scan)
{
	json_t *p = json_deep_copy(fixture), *e, *c, *st;
	char name[64], id[64];
	size_t k, j;

	snprintf(name, sizeof(name), "m%d.test", i);
	json_object_set_new(p, "domain", json_string(name));
	json_object_set_new(p, "duration_ms", json_integer(800 + scan));
	json_array_foreach(json_object_get(p, "endpoints"), k, e) {
		json_array_foreach(json_object_get(e, "connections"), j, c) {
			if ((st = json_object_get(c, "pre")) != NULL) {
				snprintf(id, sizeof(id), "%d-%d-%zu", scan, i, j);
				json_object_set_new(st, "id", json_string(id));
				json_object_set_new(st, "from", json_string(name));
			}
			json_object_set_new(c, "duration_ms", json_integer(100 + scan * 10 + (int)j));
		}
	}
	return p;
}

/* Text of v's member key as schema 3 stored it (compact), or NULL. */
static char *
member(const json_t *v, const char *key)
{
	const json_t *m = json_object_get(v, key);

	return json_is_array(m) ? json_dumps(m, JSON_COMPACT) : NULL;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL && *v != '\0')
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* The rows fedscan wrote under schema 3 for one connection (a certificate, the connection). */
static void
v3_connection(sqlite3 *h, sqlite3_stmt *cert, sqlite3_stmt *conn, long long endpoint, const json_t *c, size_t flags)
{
	const json_t *tls = json_object_get(c, "tls"), *ce = json_object_get(tls, "cert");
	const char *sha = json_string_value(json_object_get(ce, "sha256"));
	char *text = json_dumps(c, flags);
	bool have = sha != NULL && *sha != '\0' && json_is_true(json_object_get(ce, "present"));

	(void)h;
	if (have) {
		bind_text(cert, 1, sha);
		bind_text(cert, 2, json_string_value(json_object_get(ce, "subject")));
		sqlite3_step(cert);
		sqlite3_reset(cert);
	}
	sqlite3_bind_int64(conn, 1, endpoint);
	bind_text(conn, 2, json_string_value(json_object_get(c, "kind")));
	sqlite3_bind_int(conn, 3, json_is_true(json_object_get(c, "connected")));
	bind_text(conn, 4, json_string_value(json_object_get(tls, "version")));
	bind_text(conn, 5, have ? sha : NULL);
	bind_text(conn, 6, json_string_value(json_object_get(json_object_get(c, "dialback"), "result")));
	bind_text(conn, 7, json_string_value(json_object_get(json_object_get(c, "sasl"), "result")));
	bind_text(conn, 8, json_string_value(json_object_get(c, "close_reason")));
	sqlite3_bind_int64(conn, 9, json_integer_value(json_object_get(c, "duration_ms")));
	bind_text(conn, 10, text);
	sqlite3_step(conn);
	sqlite3_reset(conn);
	free(text);
}

/*
 * One partner as schema 3 stored it: result_json with "connections table" in place of each endpoint's
 * connections (which are rows), or, inline (as before schema 3), the whole object with its connections rows
 * in sorted key order.
 */
static void
v3_partner(sqlite3 *h, sqlite3_stmt **st, long long scan, const json_t *p, bool inline_old)
{
	json_t *stored = json_deep_copy(p), *e, *c;
	char *result, *methods = member(p, "methods"), *reasons = member(p, "reasons");
	char *evid = member(json_object_get(p, "effective"), "evidence");
	long long domain, endpoint;
	size_t i, j;

	if (!inline_old)
		json_array_foreach(json_object_get(stored, "endpoints"), i, e)
			json_object_set_new(e, "connections", json_string("connections table"));
	result = json_dumps(stored, JSON_COMPACT);
	sqlite3_bind_int64(st[0], 1, scan);
	bind_text(st[0], 2, json_string_value(json_object_get(p, "domain")));
	bind_text(st[0], 3, json_string_value(json_object_get(p, "verdict")));
	bind_text(st[0], 4, methods);
	bind_text(st[0], 5, reasons);
	bind_text(st[0], 6, evid);
	bind_text(st[0], 7, result);
	sqlite3_bind_int64(st[0], 8, json_integer_value(json_object_get(p, "duration_ms")));
	if (sqlite3_step(st[0]) != SQLITE_DONE)
		diag("v3 domain: %s", sqlite3_errmsg(h));
	sqlite3_reset(st[0]);
	domain = sqlite3_last_insert_rowid(h);
	json_array_foreach(json_object_get(p, "endpoints"), i, e) {
		sqlite3_bind_int64(st[1], 1, domain);
		bind_text(st[1], 2, json_string_value(json_object_get(e, "host")));
		sqlite3_bind_int64(st[1], 3, json_integer_value(json_object_get(e, "port")));
		sqlite3_step(st[1]);
		sqlite3_reset(st[1]);
		endpoint = sqlite3_last_insert_rowid(h);
		json_array_foreach(json_object_get(e, "connections"), j, c)
			v3_connection(h, st[2], st[3], endpoint, c, JSON_COMPACT | (inline_old ? JSON_SORT_KEYS : 0));
	}
	free(result);
	free(methods);
	free(reasons);
	free(evid);
	json_decref(stored);
}

/* A database as fedscan left it at schema 3: two complete scans of n partners, and one result from before 3. */
static int
make_v3(const char *db, int n)
{
	static const char *const sql[4] = {
		"INSERT INTO domains (scan_id, domain, verdict, methods, reasons_json, evidence_json, result_json,"
		" duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		"INSERT INTO endpoints (domain_id, host, port) VALUES (?1, ?2, ?3)",
		"INSERT INTO certificates (sha256, subject) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
		"INSERT INTO connections (endpoint_id, kind, connected, tls_version, cert_sha256, dialback_result,"
		" sasl_result, close_reason, duration_ms, evidence_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	};
	sqlite3 *h = NULL;
	sqlite3_stmt *st[4] = { NULL };
	char bump[64];
	json_t *p;
	unsigned m;
	int i, s, ok_ = 0;

	if (sqlite3_open(db, &h) != SQLITE_OK || sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL))
		goto out;
	for (m = 0; m < 3; m++) {
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %u", fs_migrations[m].version);
		if (sqlite3_exec(h, fs_migrations[m].sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(h, bump, NULL, NULL, NULL) != SQLITE_OK)
			goto out;
	}
	for (i = 0; i < 4; i++)
		if (sqlite3_prepare_v2(h, sql[i], -1, &st[i], NULL) != SQLITE_OK)
			goto out;
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	for (s = 1; s <= 2; s++) {
		sqlite3_exec(h, "INSERT INTO scans (kind, fedscan_version, finished_at, complete)"
		    " VALUES ('scan', '0.9', '2026-01-01T00:00:00.000Z', 1)", NULL, NULL, NULL);
		for (i = 0; i < n; i++) {
			p = partner(i, s);
			v3_partner(h, st, s, p, false);
			json_decref(p);
		}
	}
	p = partner(n, 0);
	json_object_set_new(p, "domain", json_string("inline.test"));
	v3_partner(h, st, 2, p, true);
	json_decref(p);
	ok_ = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
out:
	if (!ok_)
		diag("make_v3: %s", sqlite3_errmsg(h));
	for (i = 0; i < 4; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(h);
	return ok_;
}

/* The partners of scan s read back, each printed as the partner it was. */
static bool
scan_exact(struct fs_store *st, long long s, int n, bool with_inline)
{
	json_t *got = NULL, *want;
	char *a, *b;
	bool same;
	int i;

	if (fs_store_scan_partners(st, s, &got, err, sizeof(err)) != 0 ||
	    json_array_size(got) != (size_t)n + (with_inline ? 1 : 0)) {
		diag("scan %lld: %s (%zu partners)", s, err, json_array_size(got));
		json_decref(got);
		return false;
	}
	same = true;
	for (i = 0; i <= n && same; i++) {
		if (i == n && !with_inline)
			break;
		want = partner(i, i == n ? 0 : (int)s);
		if (i == n)
			json_object_set_new(want, "domain", json_string("inline.test"));
		a = json_dumps(want, JSON_COMPACT);
		b = json_dumps(json_array_get(got, (size_t)i), JSON_COMPACT);
		same = a != NULL && b != NULL && strcmp(a, b) == 0;
		if (!same)
			diag("scan %lld partner %d differs", s, i);
		free(a);
		free(b);
		json_decref(want);
	}
	json_decref(got);
	return same;
}

static void
test_migrate(const char *db)
{
	struct fs_store *st = NULL;
	char *before, *after;
	size_t blen, alen;

	ok(make_v3(db, 5), "a schema-3 database: two scans of 5 partners, one result from before schema 3");
	is_int(3, q_int(db, "PRAGMA user_version"), "... at schema 3");
	before = q_text(db, "SELECT group_concat(evidence_json, char(10)) FROM (SELECT evidence_json FROM connections"
	    " ORDER BY id)", &blen);
	ok(fs_store_open(db, &st, err, sizeof(err)) == 0, "opened: migrated (%s)", st == NULL ? err : "ok");
	is_int(fs_nmigrations, q_int(db, "PRAGMA user_version"), "... to the newest schema");
	ok(st != NULL && scan_exact(st, 1, 5, false) && scan_exact(st, 2, 5, true),
	    "every result of both scans reads back as it was printed, the inline one too");
	after = q_text(db, "SELECT group_concat(evidence_json, char(10)) FROM (SELECT evidence_json FROM connections"
	    " ORDER BY id)", &alen);
	ok(before != NULL && after != NULL && blen == alen && memcmp(before, after, blen) == 0,
	    "connections.evidence_json: the same text as before the migration");
	is_int(3 * 5 + 3, q_int(db, "SELECT count(*) FROM evidence"),
	    "the evidence both scans repeated is stored once (3 per partner, 3 in sorted key order)");
	is_int(2, q_int(db, "PRAGMA auto_vacuum"), "the migrated file has incremental auto_vacuum (VACUUM ran)");
	is_string("ok", q_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1 ?
	    "ok" : "not ok", "integrity_check ok");
	free(before);
	free(after);
	fs_store_close(st);
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* kill -9 while the migration runs: the file keeps schema 3 whole, and the next open migrates it. */
static void
test_killed(const char *db)
{
	struct fs_store *st = NULL;
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	char wal[600];
	long long domains;
	pid_t pid;
	int status = 0, polls;
	bool running = false;

	ok(make_v3(db, 1500), "a large schema-3 database: two scans of 1500 partners");
	domains = q_int(db, "SELECT count(*) FROM domains");
	snprintf(wal, sizeof(wal), "%s-wal", db);
	if (truncate(wal, 0) != 0 && errno != ENOENT)
		diag("truncate %s: %s", wal, strerror(errno));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		int rc = fs_store_open(db, &st, err, sizeof(err));

		_exit(rc == 0 ? 0 : 1);
	}
	/* The migration is one transaction: once its pages spill into the WAL it is well under way. */
	for (polls = 0; polls < 30000; polls++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (file_size(wal) > 2 * 1024 * 1024) {
			running = true;
			break;
		}
		nanosleep(&pause, NULL);
	}
	if (running)
		kill(pid, SIGKILL);
	if (running)
		waitpid(pid, &status, 0);
	ok(running && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed with SIGKILL mid-migration "
	    "(WAL %lld bytes)", file_size(wal));
	is_int(3, q_int(db, "PRAGMA user_version"), "after kill -9: still schema 3");
	is_int(0, q_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('blobs', 'evidence', 'domain_rows')"),
	    "... without a table of schema 4");
	is_int(1, q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'domains'"),
	    "... with its domains table");
	is_int(domains, q_int(db, "SELECT count(*) FROM domains"), "... and every result in it");
	is_string("ok", q_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1 ?
	    "ok" : "not ok", "... and integrity_check ok");
	ok(fs_store_open(db, &st, err, sizeof(err)) == 0, "the next open migrates it (%s)", st == NULL ? err : "ok");
	is_int(fs_nmigrations, q_int(db, "PRAGMA user_version"), "... to the newest schema");
	ok(st != NULL && scan_exact(st, 2, 1500, true), "... and every result of the last scan reads back exactly");
	fs_store_close(st);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	const char *base = getenv("TMPDIR"), *src = getenv("FS_SRCDIR");
	char path[512];
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/tests/unit/data/partner-prosody.json", src != NULL ? src : ".");
	if ((fixture = json_load_file(path, 0, &jerr)) == NULL) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/fedscan-migrate-t-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	test_migrate(tpath("v3.db"));
	test_killed(tpath("v3-large.db"));

	json_decref(fixture);
	if (getenv("FEDSCAN_KEEP_TMP") == NULL)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("kept %s", tmpdir);
	return done_testing();
}
