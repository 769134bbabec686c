/* store_prune.c: prune --keep-days, the retention after each scan, and the sweep of what no scan uses any more. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>

#include <sqlite3.h>

#include "store/store_int.h"

#define NOW_MINUS(arg) "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', " arg ")"

/* Scans that may go at all: finished, or so old that no running process can still be writing them (?3). */
#define MAY_GO "(finished_at IS NOT NULL OR started_at < " NOW_MINUS("?3") ")"

/* fs_store_prune: every scan older than ?1. */
static const char prune_sql[] =
	"DELETE FROM scans WHERE started_at < " NOW_MINUS("?1") " AND " MAY_GO;

/*
 * fs_store_retain: older than ?1 days, one scan of each kind per ISO week (ISO 8601 weeks start on Monday;
 * date(t, '-6 days', 'weekday 1') is the Monday of t's week), the newest complete one; older than ?2 days,
 * none (fedscan(1), FILES, "Retention").
 */
static const char retain_sql[] =
	"DELETE FROM scans WHERE id IN (SELECT id FROM"
	" (SELECT id, started_at, finished_at, row_number() OVER (PARTITION BY kind,"
	"   date(started_at, '-6 days', 'weekday 1') ORDER BY complete DESC, id DESC) AS nth"
	"  FROM scans WHERE started_at < " NOW_MINUS("?1") ")"
	" WHERE (nth > 1 OR started_at < " NOW_MINUS("?2") ") AND " MAY_GO ")";

/*
 * What no remaining scan refers to (db/migrations/004_content_addressed.sql): connection evidence, the other
 * stored texts, then the certificates no evidence names. NOT IN over a list without NULLs.
 */
static const char *const sweep_sql[] = {
	"DELETE FROM evidence WHERE id NOT IN (SELECT evidence_id FROM connection_rows)",
	"DELETE FROM blobs WHERE id NOT IN (SELECT result_blob FROM domain_rows WHERE result_blob IS NOT NULL"
	" UNION ALL SELECT methods_blob FROM domain_rows WHERE methods_blob IS NOT NULL"
	" UNION ALL SELECT reasons_blob FROM domain_rows WHERE reasons_blob IS NOT NULL"
	" UNION ALL SELECT evidence_blob FROM domain_rows WHERE evidence_blob IS NOT NULL)",
	"DELETE FROM certificates WHERE NOT EXISTS"
	" (SELECT 1 FROM evidence WHERE evidence.cert_sha256 = certificates.sha256)",
};

/* Step a one-off statement to completion; the count(*) it returns, or the rows it changed, in *n. */
static int
step_done(struct fs_store *st, sqlite3_stmt *s, const char *what, long *n, char *err, size_t errlen)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW && n != NULL) {             /* a count(*) */
		*n = (long)sqlite3_column_int64(s, 0);
		return 0;
	}
	if (rc != SQLITE_DONE) {
		fs_st_err(err, errlen, "database %s: cannot %s: %s", st->path, what, sqlite3_errmsg(st->db));
		return -1;
	}
	if (n != NULL)
		*n = (long)sqlite3_changes(st->db);
	return 0;
}

/* Run the sweep statements inside the open transaction. */
static int
sweep(struct fs_store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(sweep_sql) / sizeof(sweep_sql[0]) && ret == 0; i++) {
		if (fs_st_prepare(st, sweep_sql[i], &s, err, errlen) != 0)
			return -1;
		ret = step_done(st, s, "delete what no scan uses", NULL, err, errlen);
		sqlite3_finalize(s);
		s = NULL;
	}
	return ret;
}

/*
 * Delete with sql (bound: ?1 and ?2 as "-N days", ?3 the grace for unfinished scans) and sweep, in one
 * transaction: the scans go with everything under them (ON DELETE CASCADE), or nothing does. Then the free
 * pages go back to the file system (auto_vacuum = INCREMENTAL; a no-op on files without it).
 */
static int
remove_scans(struct fs_store *st, const char *sql, unsigned days1, unsigned days2, long *removed, long *kept,
    char *err, size_t errlen)
{
	sqlite3_stmt *cnt = NULL, *del = NULL;
	char a1[32], a2[32], grace[32];
	long total = 0, gone = 0;
	unsigned g = days1 > FS_STORE_UNFINISHED_GRACE_DAYS ? days1 : FS_STORE_UNFINISHED_GRACE_DAYS;
	int ret = -1;

	snprintf(a1, sizeof(a1), "-%u days", days1);
	snprintf(a2, sizeof(a2), "-%u days", days2);
	snprintf(grace, sizeof(grace), "-%u days", g);
	if (fs_st_prepare(st, "SELECT count(*) FROM scans", &cnt, err, errlen) != 0 ||
	    fs_st_prepare(st, sql, &del, err, errlen) != 0)
		goto out;
	if (sqlite3_bind_text(del, 1, a1, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(del, 2, a2, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(del, 3, grace, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		fs_st_err(err, errlen, "database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	if (fs_st_begin(st, err, errlen) != 0)
		goto out;
	if (step_done(st, cnt, "count the scans", &total, err, errlen) != 0 ||
	    step_done(st, del, "delete old scans", &gone, err, errlen) != 0 ||
	    (gone > 0 && sweep(st, err, errlen) != 0))
		goto out;
	sqlite3_finalize(cnt);
	sqlite3_finalize(del);
	cnt = del = NULL;
	if (fs_st_commit(st, err, errlen) != 0)
		goto out;
	if (gone > 0)
		(void)sqlite3_exec(st->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	if (removed != NULL)
		*removed = gone;
	if (kept != NULL)
		*kept = total - gone;
	ret = 0;
out:
	sqlite3_finalize(cnt);
	sqlite3_finalize(del);
	fs_st_rollback(st);
	return ret;
}

int
fs_store_prune(struct fs_store *st, unsigned keep_days, long *removed, long *kept, char *err, size_t errlen)
{
	if (removed != NULL)
		*removed = 0;
	if (kept != NULL)
		*kept = 0;
	if (st == NULL) {
		fs_st_err(err, errlen, "fs_store_prune: missing argument");
		return -1;
	}
	return remove_scans(st, prune_sql, keep_days, keep_days, removed, kept, err, errlen);
}

int
fs_store_retain(struct fs_store *st, unsigned all_days, unsigned weekly_days, long *removed, long *kept,
    char *err, size_t errlen)
{
	if (removed != NULL)
		*removed = 0;
	if (kept != NULL)
		*kept = 0;
	if (st == NULL) {
		fs_st_err(err, errlen, "fs_store_retain: missing argument");
		return -1;
	}
	if (weekly_days < all_days)
		weekly_days = all_days;         /* no weekly period: every scan kept all_days, then none */
	return remove_scans(st, retain_sql, all_days, weekly_days, removed, kept, err, errlen);
}
