/* dedup-t.c: the content-addressed store (schema 4): size per unchanged scan, byte-exact reads, prune, retention. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fedscan/store.h"
#include "tap/basic.h"
#include "tap/sqlite.h"

#define PARTNERS 10
#define SCANS 20

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

/* Bytes the database's pages hold, free pages not counted: what a scan really added. */
static long long
used_bytes(const char *db)
{
	return (q_int(db, "PRAGMA page_count") - q_int(db, "PRAGMA freelist_count")) * q_int(db, "PRAGMA page_size");
}

static char *
dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT);
}

static bool
same_text(const json_t *a, const json_t *b)
{
	char *x = dump(a), *y = dump(b);
	bool same = x != NULL && y != NULL && strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

/*
 * The fixture as run `run` of partner `k` prints it: its own domain, and the fields that differ on every run
 * against an unchanged server (stream ids, our source port, durations), as bench/README.md measured them.
 */
static json_t *
partner_run(int k, int run)
{
	json_t *p = json_deep_copy(fixture), *e, *c, *s;
	const char *sub[] = { "pre", "post", "post_sasl" };
	char buf[128];
	size_t i, j, n;

	snprintf(buf, sizeof(buf), "p%d.test", k);
	json_object_set_new(p, "domain", json_string(buf));
	json_object_set_new(p, "duration_ms", json_integer(900 + (run * 37 + k) % 200));
	json_array_foreach(json_object_get(p, "endpoints"), i, e) {
		json_array_foreach(json_object_get(e, "connections"), j, c) {
			for (n = 0; n < 3; n++) {
				if ((s = json_object_get(c, sub[n])) == NULL)
					continue;
				snprintf(buf, sizeof(buf), "%08x-8d12-4f9b-b591-ac71%02d%02zu%02zu%02zu", (unsigned)run * 7919U,
				    k, j, n, i);
				json_object_set_new(s, "id", json_string(buf));
			}
			json_object_set_new(c, "duration_ms", json_integer(700 + (run * 13 + (int)j) % 300));
			/* Each partner its own server: its name in the stream header, its own certificate. */
			json_object_set_new(json_object_get(c, "pre"), "from", json_string(json_string_value(
			    json_object_get(p, "domain"))));
			if ((s = json_object_get(json_object_get(c, "tls"), "cert")) != NULL &&
			    json_is_true(json_object_get(s, "present"))) {
				snprintf(buf, sizeof(buf), "21:81:%02X:D1:21:3B:A7:2A:E5:0F:F3:D3:7F:95:9F:4E:AF:2D:30:99:51:"
				    "A5:A3:BE:64:66:C0:6F:42:66:6A:75", (unsigned)k);
				json_object_set_new(s, "sha256", json_string(buf));
			}
			snprintf(buf, sizeof(buf), "127.0.0.1:%d > 127.0.45.2:48305", 30000 + run * 10 + (int)j);
			json_object_set_new(c, "stream", json_string(buf));
		}
	}
	return p;
}

/* Partner p's certificate renewed: a new fingerprint and dates on every connection that shows it. */
static void
renew(json_t *p)
{
	json_t *c, *cert;
	size_t i;

	json_array_foreach(json_object_get(json_array_get(json_object_get(p, "endpoints"), 0), "connections"), i, c) {
		cert = json_object_get(json_object_get(c, "tls"), "cert");
		if (!json_is_true(json_object_get(cert, "present")))
			continue;
		json_object_set_new(cert, "sha256", json_string("AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
		    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"));
		json_object_set_new(cert, "not_after", json_string("2027-03-03T15:56:31Z"));
	}
}

static int64_t
store_scan(struct fs_store *st, int run, bool renewed)
{
	int64_t scan = 0;
	json_t *p;
	int k;

	if (fs_store_scan_begin(st, "scan", NULL, "0.1.0", &scan, err, sizeof(err)) != 0)
		return 0;
	for (k = 0; k < PARTNERS; k++) {
		p = partner_run(k, run);
		if (renewed && k == 0)
			renew(p);
		if (fs_store_domain(st, scan, p, err, sizeof(err)) != 0)
			diag("store p%d run %d: %s", k, run, err);
		json_decref(p);
	}
	fs_store_scan_end(st, scan, true, err, sizeof(err));
	return scan;
}

/* Every partner of every scan reads back exactly as it was printed. */
static bool
all_exact(struct fs_store *st, const int64_t *scans, int n, int renewed_from)
{
	json_t *got = NULL, *want;
	bool all = true;
	int i, k;

	for (i = 0; i < n && all; i++) {
		if (fs_store_scan_partners(st, scans[i], &got, err, sizeof(err)) != 0 ||
		    json_array_size(got) != PARTNERS) {
			diag("scan %lld: %s", (long long)scans[i], err);
			all = false;
		}
		for (k = 0; k < PARTNERS && all; k++) {
			want = partner_run(k, i);
			if (k == 0 && renewed_from >= 0 && i >= renewed_from)
				renew(want);
			all = same_text(want, json_array_get(got, (size_t)k));
			if (!all)
				diag("scan %d, partner p%d differs", i, k);
			json_decref(want);
		}
		json_decref(got);
		got = NULL;
	}
	return all;
}

static void
test_dedup(const char *db)
{
	struct fs_store *st = NULL;
	int64_t scans[SCANS + 1];
	long long first, before, after, ev, certs, blobs;
	json_t *h = NULL, *want;
	char *col, *text;
	size_t len;
	int i;

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return;
	}
	scans[0] = store_scan(st, 0, false);
	first = used_bytes(db);
	diag("first scan: %lld bytes for %d partners", first, PARTNERS);
	scans[1] = store_scan(st, 1, false);
	before = used_bytes(db);
	for (i = 2; i < SCANS; i++)
		scans[i] = store_scan(st, i, false);
	after = used_bytes(db);
	diag("unchanged scans: %.0f bytes per partner per scan", (double)(after - before) / ((SCANS - 2) * PARTNERS));
	ok(after - before <= 1024LL * (SCANS - 2) * PARTNERS, "an unchanged partner adds at most 1 KB per scan "
	    "(%lld bytes for %d results)", after - before, (SCANS - 2) * PARTNERS);
	is_int(3 * PARTNERS, q_int(db, "SELECT count(*) FROM evidence"), "each distinct connection evidence stored once");
	is_int(SCANS * 3 * PARTNERS, q_int(db, "SELECT count(*) FROM connections"), "... and each scan's connection kept");
	ok(all_exact(st, scans, SCANS, -1), "every partner of every scan reads back byte-exact");
	ok(fs_store_domain_history(st, "p3.test", &h, err, sizeof(err)) == 0 && json_array_size(h) == SCANS,
	    "history: p3 in each scan");
	want = partner_run(3, 5);
	ok(same_text(want, json_object_get(json_array_get(h, 5), "partner")), "history: an old result byte-exact");
	json_decref(want);
	json_decref(h);

	/* The views give what the schema-3 tables held. */
	col = q_text(db, "SELECT evidence_json FROM connections ORDER BY id DESC LIMIT 1", &len);
	want = partner_run(PARTNERS - 1, SCANS - 1);
	text = json_dumps(json_array_get(json_object_get(json_array_get(json_object_get(want, "endpoints"), 0),
	    "connections"), 2), JSON_COMPACT);
	ok(col != NULL && text != NULL && strcmp(col, text) == 0, "connections.evidence_json: the evidence as printed");
	free(col);
	free(text);
	json_decref(want);

	/* A partial change: one connection's certificate renewed; only that evidence is new. */
	ev = q_int(db, "SELECT count(*) FROM evidence");
	certs = q_int(db, "SELECT count(*) FROM certificates");
	blobs = q_int(db, "SELECT count(*) FROM blobs");
	before = used_bytes(db);
	scans[SCANS] = store_scan(st, SCANS, true);
	is_int(ev + 2, q_int(db, "SELECT count(*) FROM evidence"),
	    "a renewed certificate: a new evidence row for each of the 2 connections that show it, no other");
	is_int(certs + 1, q_int(db, "SELECT count(*) FROM certificates"), "... and one new certificate");
	diag("a scan with one renewed certificate: %lld bytes (%lld new blobs)", used_bytes(db) - before,
	    q_int(db, "SELECT count(*) FROM blobs") - blobs);
	ok(all_exact(st, scans, SCANS + 1, SCANS), "after the change, old and new scans read back byte-exact");
	fs_store_close(st);
}

/* prune: the scans go, then what only they used (evidence, certificates), and the file shrinks. */
static void
test_prune(const char *db)
{
	struct fs_store *st = NULL;
	long long pages;
	long removed = 0, kept = 0;
	char sql[256];

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return;
	}
	is_int(2, q_int(db, "PRAGMA auto_vacuum"), "a new database has incremental auto_vacuum");
	snprintf(sql, sizeof(sql), "UPDATE scans SET started_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now', "
	    "'-10 days') WHERE id < (SELECT max(id) FROM scans)");
	ok(raw_exec(db, sql), "fixture: every scan but the last made 10 days old");
	pages = q_int(db, "PRAGMA page_count");
	is_int(1, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 LIKE '21:81:00:%'"),
	    "the certificate before the renewal is stored");
	ok(fs_store_prune(st, 5, &removed, &kept, err, sizeof(err)) == 0 && removed == SCANS && kept == 1,
	    "prune 5 days: %d scans removed, 1 kept (%ld, %ld)", SCANS, removed, kept);
	is_int(3 * PARTNERS, q_int(db, "SELECT count(*) FROM evidence"), "the evidence only old scans used is gone");
	is_int(0, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 LIKE '21:81:00:%'"),
	    "... and the certificate only it named");
	is_int(PARTNERS, q_int(db, "SELECT count(*) FROM certificates"), "the certificates in use stay");
	is_int(0, q_int(db, "SELECT count(*) FROM blobs WHERE id NOT IN (SELECT result_blob FROM domain_rows UNION"
	    " SELECT methods_blob FROM domain_rows UNION SELECT reasons_blob FROM domain_rows UNION"
	    " SELECT evidence_blob FROM domain_rows WHERE evidence_blob IS NOT NULL)"), "no blob left unreferenced");
	ok(q_int(db, "PRAGMA page_count") < pages, "the file shrank (%lld pages, was %lld)",
	    q_int(db, "PRAGMA page_count"), pages);
	is_string("ok", q_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1 ?
	    "ok" : "not ok", "integrity_check ok after pruning");
	fs_store_close(st);
}

/* Retention: ages relative to this week's Monday, so ISO weeks are known whatever day the test runs. */
static void
test_retain(const char *db)
{
	static const struct { const char *kind; const char *when; bool complete; bool stays; } s[] = {
		{ "scan", "'now', '-1 days'", true, true },
		{ "scan", "date('now', '-6 days', 'weekday 1'), '-140 days', '+1 days'", true, false },
		{ "scan", "date('now', '-6 days', 'weekday 1'), '-140 days', '+2 days'", true, true },
		{ "scan", "date('now', '-6 days', 'weekday 1'), '-140 days', '+3 days'", false, false },
		{ "check", "date('now', '-6 days', 'weekday 1'), '-140 days', '+4 days'", true, true },
		{ "scan", "date('now', '-6 days', 'weekday 1'), '-147 days', '+1 days'", true, true },
		{ "scan", "'now', '-800 days'", true, false },
	};
	struct fs_store *st = NULL;
	int64_t id[7];
	long removed = 0, kept = 0;
	char sql[512];
	bool stays = true;
	size_t i;

	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return;
	}
	for (i = 0; i < 7; i++) {
		fs_store_scan_begin(st, s[i].kind, NULL, "0.1.0", &id[i], err, sizeof(err));
		fs_store_scan_end(st, id[i], s[i].complete, err, sizeof(err));
		snprintf(sql, sizeof(sql), "UPDATE scans SET started_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %s)"
		    " WHERE id = %lld", s[i].when, (long long)id[i]);
		raw_exec(db, sql);
	}
	ok(fs_store_retain(st, FS_STORE_RETAIN_ALL_DAYS, FS_STORE_RETAIN_WEEKLY_DAYS, &removed, &kept, err,
	    sizeof(err)) == 0 && removed == 3 && kept == 4, "retention: 3 removed, 4 kept (%ld, %ld) %s", removed,
	    kept, err);
	for (i = 0; i < 7; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM scans WHERE id = %lld", (long long)id[i]);
		if ((q_int(db, sql) == 1) != s[i].stays) {
			diag("scan %zu %s", i, s[i].stays ? "removed" : "kept");
			stays = false;
		}
	}
	ok(stays, "kept: the recent scan, the newest complete scan of a week (per kind), one of the week before; "
	    "removed: the older scan of that week, the incomplete one, the scan older than two years");
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
	snprintf(tmpdir, sizeof(tmpdir), "%s/fedscan-dedup-t-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	test_dedup(tpath("dedup.db"));
	test_prune(tpath("dedup.db"));
	test_retain(tpath("retain.db"));

	json_decref(fixture);
	if (getenv("FEDSCAN_KEEP_TMP") == NULL)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("kept %s", tmpdir);
	return done_testing();
}
