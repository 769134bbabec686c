/* store.h: the SQLite store of scans and partner results (schema: db/migrations/, see migrations.h). */
#ifndef FEDSCAN_STORE_H
#define FEDSCAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * One open database. Not shared between threads; several processes may use
 * the same file at once (WAL, a busy timeout, and every write in a
 * BEGIN IMMEDIATE transaction).
 *
 * Every function that can fail returns 0 on success and -1 on failure, with a
 * one-line message in err (errlen bytes, always NUL-terminated; err may be
 * NULL). Nothing is printed.
 */
struct fs_store;

/*
 * How long a writer waits for another process's transaction before giving up:
 * a nightly "fedscan scan" and an interactive "fedscan check" may write the
 * same file, and each holds the write lock only for one domain's short
 * transaction (milliseconds), so 10 s absorbs long queues and a checkpoint
 * while a stuck holder (say, an sqlite3 shell left inside BEGIN) still yields
 * an error instead of a hung cron job.
 */
#define FS_STORE_BUSY_TIMEOUT_MS 10000

/* Open (creating it and its parent directories, mode 0700, if missing) and migrate the database at path. */
int fs_store_open(const char *path, struct fs_store **out, char *err, size_t errlen);
/* Close a store; NULL is allowed. */
void fs_store_close(struct fs_store *st);
/* Record the start of a run: kind "check", "scan" or "passive"; local = the JSON "local" object or NULL. */
int fs_store_scan_begin(struct fs_store *st, const char *kind, const json_t *local, const char *version,
    int64_t *scan_id, char *err, size_t errlen);
/* Record one partner object (the JSON of fedscan(1), with raw evidence under endpoints[].connections) in one transaction. */
int fs_store_domain(struct fs_store *st, int64_t scan_id, const json_t *partner, char *err, size_t errlen);
/* Record the capture file of a run (--capture FILE, or the files fedscan pcap read, one per line). */
int fs_store_scan_set_capture(struct fs_store *st, int64_t scan_id, const char *capture, char *err, size_t errlen);
/* Mark a run finished; complete = false keeps it marked incomplete (interrupted). */
int fs_store_scan_end(struct fs_store *st, int64_t scan_id, bool complete, char *err, size_t errlen);
/* The most recently recorded partner object for domain (a new reference), or *partner_out = NULL if none. */
int fs_store_last_domain(struct fs_store *st, const char *domain, json_t **partner_out, char *err, size_t errlen);
/* The schema version this fedscan creates (the number of embedded migrations). */
unsigned fs_store_schema_version(void);

/* ---- reading back: scan, report, diff, prune ---- */

/* One row of the scans table, as read back. */
struct fs_scan_info {
	int64_t id;
	char kind[16];              /* "check", "scan", "passive" */
	char started_at[40];        /* ISO 8601 UTC with milliseconds */
	char finished_at[40];       /* "" while running, or if the process died */
	bool complete;              /* every target was done */
	char version[64];           /* the fedscan that recorded it */
	long ndomains;              /* partner results recorded */
	json_t *local;              /* the "local" object as printed (new reference), or NULL */
};

/*
 * Scans, newest first (highest id first). kind NULL: every kind; complete_only:
 * only those marked complete; limit 0: all. *out is a malloc'd array of *n
 * entries (NULL when none), freed with fs_store_scans_free().
 */
int fs_store_list_scans(struct fs_store *st, const char *kind, bool complete_only, size_t limit,
    struct fs_scan_info **out, size_t *n, char *err, size_t errlen);
void fs_store_scans_free(struct fs_scan_info *v, size_t n);
/* One scan by id; *found = false (and 0 returned) when there is none. Free out->local with json_decref. */
int fs_store_get_scan(struct fs_store *st, int64_t id, struct fs_scan_info *out, bool *found, char *err,
    size_t errlen);
/* The partner objects recorded for a scan, in the order they were recorded (a new JSON array). */
int fs_store_scan_partners(struct fs_store *st, int64_t scan_id, json_t **partners_out, char *err, size_t errlen);
/*
 * One domain's recorded results over time, oldest first: a new JSON array of
 * { "scan": id, "kind": ..., "started_at": ..., "complete": bool, "partner": {...} }.
 */
int fs_store_domain_history(struct fs_store *st, const char *domain, json_t **out, char *err, size_t errlen);
/*
 * Retention: delete, in one transaction, every scan that started more than
 * keep_days days ago, with everything recorded under it, and the evidence,
 * results and certificates no remaining scan refers to (the file shrinks). A
 * scan that never finished (running now in another process, or killed) is kept
 * until it is FS_STORE_UNFINISHED_GRACE_DAYS old whatever keep_days says, so a
 * prune never pulls rows from under a running scan. *removed and *kept (either may be NULL) count scans.
 */
#define FS_STORE_UNFINISHED_GRACE_DAYS 1
int fs_store_prune(struct fs_store *st, unsigned keep_days, long *removed, long *kept, char *err, size_t errlen);
/* The default retention (fedscan(1), FILES): every scan for 90 days, then one a week for two years, then none. */
#define FS_STORE_RETAIN_ALL_DAYS 90
#define FS_STORE_RETAIN_WEEKLY_DAYS 730
/*
 * Retention, in one transaction: keep every scan that started less than all_days ago; of the older ones, the
 * newest complete scan of each kind in each ISO 8601 week (Monday to Sunday) that started less than
 * weekly_days ago; nothing older (weekly_days <= all_days: no weekly period). Unfinished scans as for
 * fs_store_prune. Evidence, results and certificates no remaining scan uses go too, and the file shrinks.
 */
int fs_store_retain(struct fs_store *st, unsigned all_days, unsigned weekly_days, long *removed, long *kept,
    char *err, size_t errlen);
/* "2024-05-01T02:00:00.123Z" (or without the fraction, or with a +00:00 zone) as UNIX time; -1 if not parseable. */
long long fs_store_time(const char *iso);

#endif
