/* scans-t.c: reading scans back from the store (list, one scan, its partners, a domain's history) and prune. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fedscan/store.h"
#include "tap/basic.h"
#include "tap/sqlite.h"

static char tmpdir[256];
static char err[512];

static json_t *
partner(const char *domain, const char *verdict, const char *sha)
{
	return json_pack("{s:s, s:[{s:s, s:i, s:s, s:s, s:b, s:[{s:s, s:b, s:{s:b, s:s, s:{s:b, s:s, s:s}}}]}],"
	    " s:{s:s, s:s, s:s}, s:s, s:s, s:[s]}",
	    "domain", domain,
	    "endpoints", "host", domain, "port", 5269, "address", "192.0.2.9", "source", "srv", "reachable", 1,
	    "connections", "kind", "starttls", "connected", 1, "tls", "ok", 1, "version", "TLSv1.3",
	    "cert", "present", 1, "sha256", sha, "subject", "CN=x",
	    "effective", "tls", "Required", "sasl", "Optional", "dialback", "True",
	    "negotiated", "SASL over TLS", "verdict", verdict, "reasons", "why \"not\" <b>");
}

static int64_t
record(struct fs_store *st, const char *kind, int complete, int n, const char *sha)
{
	json_t *local = json_pack("{s:s, s:s, s:s, s:i}", "tls", "Required", "sasl", "Required", "dialback", "True",
	    "row", 1);
	int64_t id = 0;
	char dom[64];
	int i;

	if (fs_store_scan_begin(st, kind, local, "t", &id, err, sizeof(err)) != 0)
		diag("%s", err);
	for (i = 0; i < n; i++) {
		json_t *p;

		snprintf(dom, sizeof(dom), "p%d.example", i);
		p = partner(dom, i == 0 ? "compatible" : "degraded", sha);
		if (fs_store_domain(st, id, p, err, sizeof(err)) != 0)
			diag("%s", err);
		json_decref(p);
	}
	if (complete >= 0 && fs_store_scan_end(st, id, complete != 0, err, sizeof(err)) != 0)
		diag("%s", err);
	json_decref(local);
	return id;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

int
main(void)
{
	const char *base = getenv("TMPDIR");
	struct fs_store *st = NULL;
	struct fs_scan_info *v = NULL, one;
	json_t *ps = NULL, *h = NULL, *want;
	char db[512], sql[256];
	int64_t s1, s2, s3, s4, s5;
	size_t n = 0;
	long removed = -1, kept = -1;
	bool found;

	snprintf(tmpdir, sizeof(tmpdir), "%s/fedscan-scans-t-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	snprintf(db, sizeof(db), "%s/fedscan.db", tmpdir);
	if (fs_store_open(db, &st, err, sizeof(err)) != 0) {
		printf("Bail out! %s\n", err);
		return 1;
	}

	ok(fs_store_list_scans(st, NULL, false, 0, &v, &n, err, sizeof(err)) == 0 && n == 0 && v == NULL,
	    "an empty store lists no scans");
	s1 = record(st, "scan", 1, 2, "AA");
	s2 = record(st, "check", 1, 1, "AA");
	s3 = record(st, "scan", 0, 1, "BB");          /* interrupted */
	s4 = record(st, "scan", 1, 3, "CC");
	s5 = record(st, "scan", -1, 1, "DD");         /* still running (or killed) */

	ok(fs_store_list_scans(st, NULL, false, 0, &v, &n, err, sizeof(err)) == 0 && n == 5, "5 scans listed");
	ok(n == 5 && v[0].id == s5 && v[4].id == s1, "newest first");
	ok(n == 5 && !v[0].complete && v[0].finished_at[0] == '\0', "a running scan: not complete, no finish time");
	ok(n == 5 && v[1].complete && v[1].ndomains == 3 && strcmp(v[1].kind, "scan") == 0 &&
	    strcmp(v[1].version, "t") == 0, "scan row: complete, 3 partners, kind, version");
	ok(n == 5 && json_is_object(v[1].local) &&
	    strcmp(json_string_value(json_object_get(v[1].local, "tls")), "Required") == 0, "scan row: its local policy");
	ok(n == 5 && fs_store_time(v[1].started_at) > 0, "started_at is ISO 8601");
	fs_store_scans_free(v, n);
	ok(fs_store_list_scans(st, "scan", true, 2, &v, &n, err, sizeof(err)) == 0 && n == 2 && v[0].id == s4 &&
	    v[1].id == s1, "the last two complete `scan` runs skip the check, the interrupted and the running one");
	fs_store_scans_free(v, n);
	(void)s2;
	(void)s3;

	ok(fs_store_get_scan(st, s4, &one, &found, err, sizeof(err)) == 0 && found && one.id == s4 &&
	    one.ndomains == 3, "get one scan");
	json_decref(one.local);
	ok(fs_store_get_scan(st, 9999, &one, &found, err, sizeof(err)) == 0 && !found, "a missing scan is not found");

	ok(fs_store_scan_partners(st, s4, &ps, err, sizeof(err)) == 0 && json_array_size(ps) == 3,
	    "a scan's partners read back");
	want = partner("p1.example", "degraded", "CC");
	ok(json_equal(json_array_get(ps, 1), want), "a partner reads back as it was recorded, in order");
	json_decref(want);
	json_decref(ps);

	ok(fs_store_domain_history(st, "p0.example", &h, err, sizeof(err)) == 0 && json_array_size(h) == 5,
	    "history: p0 in each of the 5 runs");
	ok(json_integer_value(json_object_get(json_array_get(h, 0), "scan")) == s1 &&
	    json_is_object(json_object_get(json_array_get(h, 0), "partner")), "history: oldest first, with the result");
	json_decref(h);

	/* Age the first two scans and the interrupted one; the running one stays young. */
	snprintf(sql, sizeof(sql), "UPDATE scans SET started_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now', '-10 days')"
	    " WHERE id IN (%lld, %lld, %lld)", (long long)s1, (long long)s2, (long long)s3);
	ok(raw_exec(db, sql), "fixture: three scans made 10 days old");
	ok(fs_store_prune(st, 30, &removed, &kept, err, sizeof(err)) == 0 && removed == 0 && kept == 5,
	    "prune 30 days: nothing to remove");
	ok(fs_store_prune(st, 7, &removed, &kept, err, sizeof(err)) == 0 && removed == 3 && kept == 2,
	    "prune 7 days: the 3 old scans removed, 2 kept");
	is_int(4, q_int(db, "SELECT count(*) FROM domains"), "their domains went with them");
	is_int(4, q_int(db, "SELECT count(*) FROM endpoints"), "and their endpoints");
	is_int(4, q_int(db, "SELECT count(*) FROM connections"), "and their connections");
	is_int(0, q_int(db, "SELECT count(*) FROM certificates WHERE sha256 IN ('AA', 'BB')"),
	    "certificates nothing refers to any more are gone");
	is_int(2, q_int(db, "SELECT count(*) FROM certificates"), "certificates still used are kept");
	ok(fs_store_prune(st, 0, &removed, &kept, err, sizeof(err)) == 0 && removed == 1 && kept == 1,
	    "prune 0 days: the finished scan goes, the unfinished young one stays (it may be running)");
	is_int(s5, q_int(db, "SELECT id FROM scans"), "the one left is the running scan");
	want = json_pack("{s:s, s:s}", "domain", "late.example", "verdict", "compatible");
	ok(fs_store_domain(st, s5, want, err, sizeof(err)) == 0, "the running scan can still record");
	json_decref(want);
	is_string("ok", (q_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1) ?
	    "ok" : "not ok", "integrity_check ok after pruning");
	fs_store_close(st);

	if (getenv("FEDSCAN_KEEP_TMP") == NULL)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("kept %s", tmpdir);
	return done_testing();
}
