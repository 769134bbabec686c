/* store-t.c: the SQLite store on real files in a temporary directory. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/migrations.h"
#include "fedscan/store.h"
#include "tap/basic.h"
#include "tap/sqlite.h"

static char tmpdir[256];
static char err[512];

/* A path inside the test's directory (static buffers, rotated, so a few can be alive at once). */
static const char *
tpath(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static int
spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok_ = f != NULL && fwrite(data, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok_ = 0;
	return ok_;
}

static json_t *
make_conn(const char *kind, const char *sha, const char *close_reason, const char *subject)
{
	return json_pack("{s:s, s:b, s:s, s:I, s:I, s:I, s:s,"
	    " s:{s:s, s:s, s:{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s}},"
	    " s:{s:s}, s:{s:s}, s:{s:b, s:s}}",
	    "kind", kind, "connected", 1, "close_reason", close_reason,
	    "bytes_in", (json_int_t)4711, "bytes_out", (json_int_t)815, "duration_ms", (json_int_t)42,
	    "stream_error", "policy-violation",
	    "tls", "version", "TLSv1.3", "cipher", "TLS_AES_256_GCM_SHA384",
	    "cert", "present", 1, "sha256", sha, "subject", subject, "issuer", "CN=Test CA",
	    "sans", "DNS:example.org, SRV:_xmpp-server.example.org", "not_before", "2024-01-01T00:00:00Z",
	    "not_after", "2034-01-01T00:00:00Z", "key", "RSA 2048",
	    "dialback", "result", "valid",
	    "sasl", "result", "success",
	    "pre", "version1", 1, "mechanism_list", "EXTERNAL");
}

static json_t *
make_partner(const char *domain, const char *verdict, const char *host, json_t *conn, const char *reason)
{
	return json_pack("{s:s, s:[{s:s, s:i, s:s, s:s, s:b, s:i, s:i, s:[o]}],"
	    " s:{s:s, s:s, s:s, s:[s, s]}, s:[s, s], s:s, s:s, s:[s], s:i}",
	    "domain", domain,
	    "endpoints", "host", host, "port", 5269, "address", "192.0.2.7", "source", "srv",
	    "reachable", 1, "priority", 5, "weight", 10, "connections", conn,
	    "effective", "tls", "Required", "sasl", "Optional", "dialback", "True",
	    "evidence", "T3: <required/> in the first features", "D1: db:result reached verification",
	    "methods", "SASL over TLS", "TLS Dialback",
	    "negotiated", "SASL over TLS",
	    "verdict", verdict,
	    "reasons", reason,
	    "duration_ms", 1234);
}

static json_t *
make_local(void)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:[s, s], s:s, s:s}",
	    "tls", "Required", "sasl", "Optional", "dialback", "True", "row", 7,
	    "methods", "SASL over TLS", "TLS Dialback", "verdict", "ok", "message", "");
}

/* fs_store_close(NULL) returns without touching anything: run in a child, so a crash (or an abort from a sanitizer)
 * is a failed assertion here and not the end of the whole test program. */
static void
close_null_is_harmless(void)
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		fs_store_close(NULL);
		_exit(42);
	}
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		pid = -1;
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 42,
	    "fs_store_close(NULL) returns normally (child wait status 0x%x, 0x2a00 expected)", (unsigned)status);
}

static void
test_open_create(const char *db)
{
	struct fs_store *st = NULL;
	struct stat sb;
	char *mode;
	size_t len;

	ok(fs_store_open(db, &st, err, sizeof(err)) == 0 && st != NULL, "open creates %s", db);
	if (st == NULL)
		diag("%s", err);
	ok(stat(tpath("a"), &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 077) == 0,
	    "missing parent directory created, private");
	ok(stat(tpath("a/b"), &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 077) == 0,
	    "missing grandparent chain created, private");
	ok(fs_nmigrations >= 1 && fs_store_schema_version() == fs_nmigrations,
	    "fs_store_schema_version() = number of migrations (%u)", fs_nmigrations);
	is_int(fs_nmigrations, q_int(db, "PRAGMA user_version"), "user_version = number of migrations");
	/* Schema 4: domains and connections are views over what is stored once (004_content_addressed.sql). */
	is_int(5, q_int(db, "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name IN"
	    " ('scans', 'domains', 'endpoints', 'connections', 'certificates')"), "the five tables exist");
	ok(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'domains_domain'") == 1,
	    "index on domain names exists");
	mode = q_text(db, "PRAGMA journal_mode", &len);
	is_string("wal", mode, "journal mode is WAL");
	free(mode);
	fs_store_close(st);
	close_null_is_harmless();
}

static void
test_reopen(const char *db)
{
	struct fs_store *st = NULL;
	char *before, *after;
	size_t lb, la;

	before = slurp(db, &lb);
	ok(fs_store_open(db, &st, err, sizeof(err)) == 0, "reopen succeeds");
	fs_store_close(st);
	after = slurp(db, &la);
	ok(before != NULL && after != NULL && lb == la && memcmp(before, after, lb) == 0,
	    "reopen is a no-op: file unchanged (%zu bytes)", lb);
	is_int(fs_nmigrations, q_int(db, "PRAGMA user_version"), "user_version unchanged");
	free(before);
	free(after);
}

static void
refused_untouched(const char *path, const char *want_err, const char *what)
{
	struct fs_store *st = (struct fs_store *)&st;     /* must be reset to NULL */
	char *before, *after;
	size_t lb, la;

	before = slurp(path, &lb);
	err[0] = '\0';
	ok(fs_store_open(path, &st, err, sizeof(err)) == -1 && st == NULL, "%s: refused", what);
	ok(strstr(err, want_err) != NULL, "%s: message \"%s\"", what, err);
	ok(strstr(err, path) != NULL, "%s: message names the file", what);
	after = slurp(path, &la);
	ok(before != NULL && after != NULL && lb == la && memcmp(before, after, lb) == 0,
	    "%s: file bytes unchanged", what);
	free(before);
	free(after);
}

static void
test_refusals(void)
{
	const char *newer = tpath("newer.db"), *newer_wal = tpath("newer-wal.db");
	const char *garbage = tpath("garbage.db"), *clash = tpath("clash.db");
	char want[512], text[4096];
	struct fs_store *st = NULL;
	size_t i;

	ok(raw_exec(newer, "CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = 999;"),
	    "made a database with user_version 999");
	snprintf(want, sizeof(want), "database %s was written by a newer fedscan (schema 999, this one knows %u);"
	    " not touched", newer, fs_nmigrations);
	refused_untouched(newer, want, "newer schema");
	is_int(999, q_int(newer, "PRAGMA user_version"), "newer schema: user_version still 999");
	is_int(0, q_int(newer, "SELECT count(*) FROM sqlite_master WHERE name = 'scans'"),
	    "newer schema: no tables added");

	ok(raw_exec(newer_wal, "PRAGMA journal_mode = WAL; CREATE TABLE future (x); PRAGMA user_version = 2000;"),
	    "made a WAL database with user_version 2000");
	snprintf(want, sizeof(want), "(schema 2000, this one knows %u); not touched", fs_nmigrations);
	refused_untouched(newer_wal, want, "newer schema in WAL mode");

	for (i = 0; i + 1 < sizeof(text); i++)
		text[i] = "This is a text file, not a database.\n"[i % 37];
	ok(spit(garbage, text, sizeof(text) - 1), "made a text file");
	refused_untouched(garbage, "is not an SQLite database", "garbage file");

	/* A migration that fails must leave nothing behind: it runs in one transaction. */
	ok(raw_exec(clash, "CREATE TABLE connections (x);"), "made a version-0 database with a clashing table");
	ok(fs_store_open(clash, &st, err, sizeof(err)) == -1 && st == NULL, "failing migration: refused");
	ok(strstr(err, "migration 001_initial failed") != NULL, "failing migration: message \"%s\"", err);
	is_int(0, q_int(clash, "PRAGMA user_version"), "failing migration: user_version still 0");
	is_int(0, q_int(clash, "SELECT count(*) FROM sqlite_master WHERE name IN ('scans', 'domains')"),
	    "failing migration: tables created before the failure were rolled back");

	ok(fs_store_open(NULL, &st, err, sizeof(err)) == -1, "NULL path refused");
	ok(fs_store_open(tmpdir, &st, err, sizeof(err)) == -1 && strstr(err, tmpdir) != NULL,
	    "a directory is refused, naming it (%s)", err);
}

static void
test_scans(const char *db)
{
	struct fs_store *st = NULL;
	json_t *local = make_local(), *p;
	int64_t full = 0, cut = 0, bare = 0, ended_incomplete = 0;
	char sql[256], *text, *want;
	size_t len;

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return;
	}
	ok(fs_store_scan_begin(st, "check", local, "0.1.0", &full, err, sizeof(err)) == 0 && full > 0,
	    "scan_begin with a local object");
	snprintf(sql, sizeof(sql), "SELECT local_tls || '/' || local_sasl || '/' || local_dialback || '/' || local_row"
	    " || '/' || kind || '/' || fedscan_version FROM scans WHERE id = %lld", (long long)full);
	text = q_text(db, sql, &len);
	is_string("Required/Optional/True/7/check/0.1.0", text, "local setting, row, kind, version stored");
	free(text);
	snprintf(sql, sizeof(sql), "SELECT policy_json FROM scans WHERE id = %lld", (long long)full);
	text = q_text(db, sql, &len);
	want = json_dumps(local, JSON_COMPACT);
	is_string(want, text, "policy_json is the local object");
	free(want);
	free(text);

	p = make_partner("a.example", "compatible", "xmpp.a.example",
	    make_conn("starttls", "AA:BB", "closed by us", "CN=a.example"), "fine");
	ok(fs_store_domain(st, full, p, err, sizeof(err)) == 0, "domain stored");
	json_decref(p);
	ok(fs_store_scan_end(st, full, true, err, sizeof(err)) == 0, "scan_end(complete)");
	snprintf(sql, sizeof(sql), "SELECT complete = 1 AND finished_at IS NOT NULL FROM scans WHERE id = %lld",
	    (long long)full);
	is_int(1, q_int(db, sql), "scan_end marks the scan complete and finished");

	ok(fs_store_scan_begin(st, "scan", NULL, "0.1.0", &cut, err, sizeof(err)) == 0 && cut > full,
	    "scan_begin without a local object");
	snprintf(sql, sizeof(sql), "SELECT local_tls IS NULL AND local_row IS NULL AND policy_json IS NULL"
	    " FROM scans WHERE id = %lld", (long long)cut);
	is_int(1, q_int(db, sql), "no local object: local columns NULL");
	p = make_partner("b.example", "degraded", "xmpp.b.example",
	    make_conn("plain", "CC:DD", "timeout", "CN=b.example"), "slow");
	ok(fs_store_domain(st, cut, p, err, sizeof(err)) == 0, "domain stored in the interrupted scan");
	json_decref(p);

	ok(fs_store_scan_begin(st, "passive", NULL, "0.1.0", &ended_incomplete, err, sizeof(err)) == 0,
	    "a third scan");
	ok(fs_store_scan_end(st, ended_incomplete, false, err, sizeof(err)) == 0, "scan_end(incomplete)");
	ok(fs_store_scan_end(st, 424242, true, err, sizeof(err)) == -1 && strstr(err, "no scan 424242"),
	    "scan_end of an unknown scan fails (%s)", err);
	ok(fs_store_scan_begin(st, "weekly", NULL, "0.1.0", &bare, err, sizeof(err)) == -1 && bare == 0,
	    "an unknown scan kind is refused (%s)", err);
	ok(fs_store_scan_begin(st, "scan", NULL, NULL, &bare, err, sizeof(err)) == -1,
	    "a missing version is refused");
	fs_store_close(st);      /* "killed" before scan_end of cut */

	snprintf(sql, sizeof(sql), "SELECT complete = 0 AND finished_at IS NULL FROM scans WHERE id = %lld",
	    (long long)cut);
	is_int(1, q_int(db, sql), "a scan never ended stays incomplete and unfinished");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM domains WHERE scan_id = %lld", (long long)cut);
	is_int(1, q_int(db, sql), "... and keeps what it wrote");
	snprintf(sql, sizeof(sql), "SELECT complete = 0 AND finished_at IS NOT NULL FROM scans WHERE id = %lld",
	    (long long)ended_incomplete);
	is_int(1, q_int(db, sql), "scan_end(false): finished but incomplete");
	json_decref(local);
}

static void
test_hostile(const char *db)
{
	static const char quotes[] = "\"double\" 'single' `back` \\ back\\slash \\\" %s%n%x ?? '); --";
	static const char binaryish[] = "\x01\x02\x03\a\b\t\n\v\f\r\x1b[31m\x7f caf\xc3\xa9 \xe2\x9c\x93 "
	    "\xf0\x9d\x84\x9e \xef\xbf\xbf end";
	static const char domain[] = "evil.example'; DROP TABLE domains; --";
	static const char pattern[] = "'\"\\;<>&x\x01 \n";      /* repeated into 10 KiB */
	struct fs_store *st = NULL;
	json_t *p, *conn, *back = NULL, *again = NULL;
	int64_t scan = 0;
	char *big, *col, *want;
	size_t i, len;

	big = malloc(10 * 1024 + 1);
	for (i = 0; i < 10 * 1024; i++)
		big[i] = pattern[i % (sizeof(pattern) - 1)];
	big[10 * 1024] = '\0';

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		free(big);
		return;
	}
	fs_store_scan_begin(st, "check", NULL, "0.1.0", &scan, err, sizeof(err));
	conn = make_conn("starttls", "DE:AD:BE:EF", big, binaryish);
	json_object_set_new(conn, "stream_error_text", json_string(quotes));
	p = make_partner(domain, "degraded", binaryish, conn, quotes);
	json_array_append_new(json_object_get(p, "reasons"), json_string(big));
	ok(p != NULL && fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "hostile partner stored");

	ok(fs_store_last_domain(st, domain, &back, err, sizeof(err)) == 0 && back != NULL,
	    "hostile partner read back");
	ok(back != NULL && json_equal(p, back), "read back equal to what was stored");
	want = json_dumps(p, JSON_COMPACT);
	col = back ? json_dumps(back, JSON_COMPACT) : NULL;
	ok(want && col && strcmp(want, col) == 0, "read back byte-exact, key order kept");
	free(want);
	free(col);
	/* Each connection is stored once (schema 3): result_json points at the connections table. */
	is_int(1, q_int(db, "SELECT json_extract(result_json, '$.endpoints[0].connections') = 'connections table'"
	    " FROM domains ORDER BY id DESC LIMIT 1"), "result_json keeps the connections in the connections table");
	is_int(0, q_int(db, "SELECT instr(result_json, '\"close_reason\"') FROM domains ORDER BY id DESC LIMIT 1"),
	    "... not a second copy of them");

	is_int(5, q_int(db, "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name IN"
	    " ('scans', 'domains', 'endpoints', 'connections', 'certificates')"), "no table dropped");
	col = q_text(db, "SELECT domain FROM domains ORDER BY id DESC LIMIT 1", &len);
	ok(col && len == strlen(domain) && memcmp(col, domain, len) == 0, "domain column byte-exact");
	free(col);
	col = q_text(db, "SELECT close_reason FROM connections ORDER BY id DESC LIMIT 1", &len);
	ok(col && len == 10 * 1024 && memcmp(col, big, len) == 0, "10 KiB close_reason byte-exact");
	free(col);
	col = q_text(db, "SELECT host FROM endpoints ORDER BY id DESC LIMIT 1", &len);
	ok(col && len == strlen(binaryish) && memcmp(col, binaryish, len) == 0,
	    "control characters and UTF-8 in host byte-exact");
	free(col);
	col = q_text(db, "SELECT subject FROM certificates WHERE sha256 = 'DE:AD:BE:EF'", &len);
	ok(col && len == strlen(binaryish) && memcmp(col, binaryish, len) == 0, "certificate subject byte-exact");
	free(col);
	col = q_text(db, "SELECT evidence_json FROM connections ORDER BY id DESC LIMIT 1", &len);
	want = json_dumps(conn, JSON_COMPACT);
	ok(col && want && strlen(want) == len && memcmp(col, want, len) == 0,
	    "evidence_json is the raw evidence object, compact, in the printed key order");
	free(col);
	free(want);

	col = q_text(db, "SELECT kind || '|' || connected || '|' || tls_version || '|' || tls_cipher || '|' ||"
	    " cert_sha256 || '|' || stream_error || '|' || dialback_result || '|' || sasl_result || '|' ||"
	    " bytes_in || '|' || bytes_out || '|' || duration_ms FROM connections ORDER BY id DESC LIMIT 1", &len);
	is_string("starttls|1|TLSv1.3|TLS_AES_256_GCM_SHA384|DE:AD:BE:EF|policy-violation|valid|success|4711|815|42",
	    col, "connection columns extracted");
	free(col);
	col = q_text(db, "SELECT port || '|' || address || '|' || source || '|' || priority || '|' || weight || '|'"
	    " || reachable FROM endpoints ORDER BY id DESC LIMIT 1", &len);
	is_string("5269|192.0.2.7|srv|5|10|1", col, "endpoint columns extracted");
	free(col);
	col = q_text(db, "SELECT verdict || '|' || tls || '|' || sasl || '|' || dialback || '|' || negotiated || '|'"
	    " || methods || '|' || duration_ms FROM domains ORDER BY id DESC LIMIT 1", &len);
	is_string("degraded|Required|Optional|True|SASL over TLS|[\"SASL over TLS\",\"TLS Dialback\"]|1234", col,
	    "domain columns extracted");
	free(col);
	col = q_text(db, "SELECT evidence_json FROM domains ORDER BY id DESC LIMIT 1", &len);
	is_string("[\"T3: <required/> in the first features\",\"D1: db:result reached verification\"]", col,
	    "domain evidence_json = effective.evidence");
	free(col);

	/* The newest record wins. */
	json_object_set_new(p, "verdict", json_string("incompatible"));
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "second record of the same domain");
	json_decref(back);
	back = NULL;
	ok(fs_store_last_domain(st, domain, &back, err, sizeof(err)) == 0 && back != NULL &&
	    json_equal(p, back), "last_domain returns the newest record");
	ok(fs_store_last_domain(st, "never.example", &again, err, sizeof(err)) == 0 && again == NULL,
	    "last_domain of an unknown domain: 0 and NULL");
	is_int(1, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 = 'DE:AD:BE:EF'"),
	    "a certificate seen twice is stored once");
	is_int(2, q_int(db, "SELECT count(*) FROM connections WHERE cert_sha256 = 'DE:AD:BE:EF'"),
	    "both connections point at it");

	/* A result written before schema 3 (its connections inline) reads back as it is. */
	ok(raw_exec(db, "UPDATE domains SET result_json = json_set(result_json, '$.endpoints[0].connections',"
	    " json_array(json('{\"kind\":\"plain\",\"inline\":true}'))) WHERE id = (SELECT max(id) FROM domains)"),
	    "made a schema-2 style result");
	json_decref(back);
	back = NULL;
	ok(fs_store_last_domain(st, domain, &back, err, sizeof(err)) == 0 && back != NULL &&
	    json_is_true(json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(back,
	    "endpoints"), 0), "connections"), 0), "inline")), "an inline connections array is read as it is");
	/* A connection row deleted by hand: the result still reads, with what is left. */
	ok(raw_exec(db, "UPDATE domains SET result_json = json_set(result_json, '$.endpoints[0].connections',"
	    " 'connections table') WHERE id = (SELECT max(id) FROM domains); DELETE FROM connections WHERE id ="
	    " (SELECT max(id) FROM connections)"), "deleted the stored connection");
	json_decref(back);
	back = NULL;
	ok(fs_store_last_domain(st, domain, &back, err, sizeof(err)) == 0 && back != NULL &&
	    json_array_size(json_object_get(json_array_get(json_object_get(back, "endpoints"), 0), "connections")) == 0,
	    "a missing connection row reads as an empty list (%s)", err);

	json_decref(back);
	json_decref(p);
	free(big);
	fs_store_close(st);
}

static void
test_bad_json(const char *db)
{
	struct fs_store *st = NULL;
	json_t *p, *back = NULL;
	json_error_t jerr;
	int64_t scan = 0;
	long long domains, endpoints;
	char *col;
	size_t len;

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return;
	}
	fs_store_scan_begin(st, "scan", NULL, "0.1.0", &scan, err, sizeof(err));

	p = json_pack("{s:s, s:s}", "domain", "minimal.example", "verdict", "error");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "partner with only domain and verdict stored");
	json_decref(p);
	col = q_text(db, "SELECT coalesce(tls, 'N') || coalesce(negotiated, 'N') || coalesce(methods, 'N') ||"
	    " coalesce(duration_ms, 'N') FROM domains WHERE domain = 'minimal.example'", &len);
	is_string("NNNN", col, "missing keys stored as NULL");
	free(col);

	p = json_loads("{\"domain\":\"typed.example\",\"verdict\":\"degraded\",\"effective\":\"x\","
	    "\"methods\":\"SASL over TLS\",\"negotiated\":5,\"reasons\":{},\"duration_ms\":1.5,"
	    "\"endpoints\":[\"not an object\",7,null,{\"host\":5,\"port\":\"5269\",\"address\":[],"
	    "\"source\":true,\"reachable\":\"yes\",\"priority\":null,\"connections\":{\"a\":1}},"
	    "{\"host\":\"h\",\"connections\":[42,\"s\",null,{\"kind\":7,\"connected\":1,\"tls\":\"nope\","
	    "\"dialback\":[],\"sasl\":{\"result\":1},\"bytes_in\":\"big\",\"close_reason\":null},"
	    "{\"tls\":{\"cert\":{\"present\":false,\"sha256\":\"00:11\"}}},"
	    "{\"tls\":{\"cert\":{\"sha256\":\"\"}}},{\"tls\":{\"cert\":{\"sha256\":12}}}]}]}", 0, &jerr);
	if (!ok(p != NULL, "ill-typed partner parsed"))
		diag("%s", jerr.text);
	if (!ok(fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "ill-typed partner stored"))
		diag("%s", err);
	ok(fs_store_last_domain(st, "typed.example", &back, err, sizeof(err)) == 0 && json_equal(p, back),
	    "ill-typed partner read back whole");
	json_decref(back);
	json_decref(p);
	col = q_text(db, "SELECT coalesce(tls, 'N') || coalesce(negotiated, 'N') || coalesce(methods, 'N') ||"
	    " coalesce(reasons_json, 'N') || coalesce(duration_ms, 'N') FROM domains"
	    " WHERE domain = 'typed.example'", &len);
	is_string("NNNNN", col, "ill-typed keys stored as NULL");
	free(col);
	is_int(2, q_int(db, "SELECT count(*) FROM endpoints e JOIN domains d ON d.id = e.domain_id"
	    " WHERE d.domain = 'typed.example'"), "only the endpoint objects are recorded");
	is_int(1, q_int(db, "SELECT count(*) FROM endpoints WHERE host IS NULL AND port IS NULL AND"
	    " address IS NULL AND source IS NULL AND reachable IS NULL AND priority IS NULL"),
	    "ill-typed endpoint fields are NULL");
	is_int(4, q_int(db, "SELECT count(*) FROM connections c JOIN endpoints e ON e.id = c.endpoint_id"
	    " WHERE e.host = 'h'"), "only the connection objects are recorded");
	is_int(1, q_int(db, "SELECT count(*) FROM connections WHERE kind IS NULL AND connected IS NULL AND"
	    " tls_version IS NULL AND dialback_result IS NULL AND sasl_result IS NULL AND bytes_in IS NULL AND"
	    " close_reason IS NULL AND evidence_json LIKE '%\"bytes_in\":\"big\"%'"),
	    "ill-typed connection fields are NULL, the evidence kept");
	p = make_partner("empty.example", "compatible", "", make_conn("plain", "", "", ""), "r");
	json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(p, "endpoints"), 0),
	    "connections"), 0), "stream_error", json_string(""));
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "partner with empty evidence strings stored");
	json_decref(p);
	is_int(1, q_int(db, "SELECT count(*) FROM connections c JOIN endpoints e ON e.id = c.endpoint_id"
	    " JOIN domains d ON d.id = e.domain_id WHERE d.domain = 'empty.example' AND e.host IS NULL AND"
	    " c.stream_error IS NULL AND c.close_reason IS NULL AND c.cert_sha256 IS NULL AND"
	    " c.evidence_json LIKE '%\"stream_error\":\"\"%'"),
	    "empty strings (\"not seen\") stored as NULL, kept in evidence_json");
	is_int(0, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 IN ('00:11', '')"),
	    "no certificate from present:false, an empty or a numeric fingerprint");

	domains = q_int(db, "SELECT count(*) FROM domains");
	endpoints = q_int(db, "SELECT count(*) FROM endpoints");
	p = json_pack("{s:s}", "verdict", "error");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1 && strstr(err, "domain"),
	    "no domain: refused (%s)", err);
	json_decref(p);
	p = json_pack("{s:i, s:s}", "domain", 3, "verdict", "error");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1, "numeric domain: refused");
	json_decref(p);
	p = json_pack("{s:s}", "domain", "noverdict.example");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1 && strstr(err, "verdict"),
	    "no verdict: refused (%s)", err);
	json_decref(p);
	p = json_pack("[s]", "domain");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1, "an array instead of an object: refused");
	json_decref(p);
	ok(fs_store_domain(st, scan, NULL, err, sizeof(err)) == -1, "NULL partner: refused");
	p = json_pack("{s:s, s:s}", "domain", "", "verdict", "error");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1, "empty domain: refused");
	json_decref(p);
	p = json_pack("{s:s, s:s, s:{s:s}}", "domain", "maybe.example", "verdict", "compatible",
	    "effective", "tls", "Maybe");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1 && strstr(err, "CHECK"),
	    "a word outside the vocabulary is refused (%s)", err);
	json_decref(p);

	/* A failure after the domain row was written rolls the whole domain back. */
	p = make_partner("rollback.example", "compatible", "h", make_conn("starttls", "77:77", "x", "CN=x"), "r");
	json_object_set_new(json_array_get(json_object_get(p, "endpoints"), 0), "source", json_string("bogus"));
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1, "a bad endpoint fails the domain (%s)", err);
	json_decref(p);
	is_int(domains, q_int(db, "SELECT count(*) FROM domains"), "... and no domain row stayed");
	is_int(endpoints, q_int(db, "SELECT count(*) FROM endpoints"), "... and no endpoint row stayed");
	p = make_partner("rollback.example", "compatible", "h", make_conn("sideways", "78:78", "x", "CN=x"), "r");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == -1, "a bad connection fails the domain (%s)", err);
	json_decref(p);
	is_int(domains, q_int(db, "SELECT count(*) FROM domains"), "... and no domain row stayed");
	is_int(0, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 = '78:78'"),
	    "... nor the certificate written before the failure");
	p = json_pack("{s:s, s:s}", "domain", "after.example", "verdict", "compatible");
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "the store works after a rollback");
	json_decref(p);
	fs_store_close(st);
}

static void
test_foreign_keys(const char *db)
{
	struct fs_store *st = NULL;
	json_t *p;
	int64_t scan = 0;
	long long before;
	char sql[256];

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return;
	}
	before = q_int(db, "SELECT count(*) FROM domains");
	p = make_partner("orphan.example", "compatible", "h", make_conn("starttls", "99:99", "x", "CN=x"), "r");
	ok(fs_store_domain(st, 987654, p, err, sizeof(err)) == -1 && strstr(err, "FOREIGN KEY"),
	    "a domain for a scan that does not exist is refused (%s)", err);
	is_int(before, q_int(db, "SELECT count(*) FROM domains"), "... and nothing written");

	fs_store_scan_begin(st, "check", NULL, "0.1.0", &scan, err, sizeof(err));
	ok(fs_store_domain(st, scan, p, err, sizeof(err)) == 0, "the same partner under a real scan");
	json_decref(p);
	fs_store_close(st);

	/* Deleting a scan removes its domains, endpoints and connections; its certificates stay. */
	snprintf(sql, sizeof(sql), "PRAGMA foreign_keys = ON; DELETE FROM scans WHERE id = %lld;", (long long)scan);
	ok(raw_exec(db, sql), "deleted the scan");
	is_int(0, q_int(db, "SELECT count(*) FROM domains WHERE domain = 'orphan.example'"), "domains cascade");
	is_int(0, q_int(db, "SELECT count(*) FROM connections WHERE cert_sha256 = '99:99'"),
	    "endpoints and connections cascade");
	is_int(1, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 = '99:99' AND first_seen_scan IS NULL"),
	    "the certificate stays, first_seen_scan set to NULL");
}

/* One writer process: its own scan of 50 domains. Exit status 0 on success. */
static int
writer(const char *db, int id, int go)
{
	struct fs_store *st = NULL;
	char name[64], c;
	int64_t scan = 0;
	json_t *p;
	int i;

	if (read(go, &c, 1) < 0)        /* EOF when the parent says go */
		return 10;
	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "writer %d: %s\n", id, err);
		return 1;
	}
	if (fs_store_scan_begin(st, "scan", NULL, "0.1.0", &scan, err, sizeof(err)) != 0) {
		fprintf(stderr, "writer %d: %s\n", id, err);
		fs_store_close(st);
		return 2;
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "w%d-%02d.example", id, i);
		p = make_partner(name, "compatible", name, make_conn("starttls", "SH:AR:ED", "x", "CN=x"), "ok");
		if (fs_store_domain(st, scan, p, err, sizeof(err)) != 0) {
			fprintf(stderr, "writer %d, domain %d: %s\n", id, i, err);
			json_decref(p);
			fs_store_close(st);
			return 3;
		}
		json_decref(p);
	}
	if (fs_store_scan_end(st, scan, true, err, sizeof(err)) != 0) {
		fprintf(stderr, "writer %d: %s\n", id, err);
		fs_store_close(st);
		return 4;
	}
	fs_store_close(st);
	return 0;
}

static void
test_concurrency(const char *db)
{
	pid_t pid[2];
	int go[2], status, i;

	if (pipe(go) != 0) {
		skip("pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]);
			_exit(writer(db, i, go[0]));
		}
	}
	close(go[0]);
	close(go[1]);           /* both start at once, on a file that does not exist yet */
	for (i = 0; i < 2; i++) {
		int waited = pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i];

		ok(waited && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "concurrent writer %d succeeded", i);
		if (waited && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			diag("wait status %d", status);
	}
	is_int(100, q_int(db, "SELECT count(*) FROM domains"), "all 100 domains present");
	is_int(100, q_int(db, "SELECT count(DISTINCT domain) FROM domains"), "100 distinct domains");
	is_int(2, q_int(db, "SELECT count(*) FROM scans WHERE complete = 1"), "both scans complete");
	is_int(50, q_int(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM domains GROUP BY scan_id)"),
	    "50 domains per scan");
	is_int(100, q_int(db, "SELECT count(*) FROM connections"), "all 100 connections present");
	is_int(1, q_int(db, "SELECT count(*) FROM certificates"), "the shared certificate stored once");
	is_int(fs_nmigrations, q_int(db, "PRAGMA user_version"), "schema migrated exactly once");
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
	const char *base = getenv("TMPDIR");
	char db[512];

	snprintf(tmpdir, sizeof(tmpdir), "%s/fedscan-store-t-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	snprintf(db, sizeof(db), "%s", tpath("a/b/fedscan.db"));

	test_open_create(db);
	test_reopen(db);
	test_refusals();
	test_scans(db);
	test_hostile(db);
	test_bad_json(db);
	test_foreign_keys(db);
	test_concurrency(tpath("concurrent/fedscan.db"));

	if (getenv("FEDSCAN_KEEP_TMP") == NULL)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("kept %s", tmpdir);
	return done_testing();
}
