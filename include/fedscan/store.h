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
/* Record one partner object (DESIGN.md JSON contract, with raw evidence under endpoints[].connections) in one transaction. */
int fs_store_domain(struct fs_store *st, int64_t scan_id, const json_t *partner, char *err, size_t errlen);
/* Mark a run finished; complete = false keeps it marked incomplete (interrupted). */
int fs_store_scan_end(struct fs_store *st, int64_t scan_id, bool complete, char *err, size_t errlen);
/* The most recently recorded partner object for domain (a new reference), or *partner_out = NULL if none. */
int fs_store_last_domain(struct fs_store *st, const char *domain, json_t **partner_out, char *err, size_t errlen);
/* The schema version this fedscan creates (the number of embedded migrations). */
unsigned fs_store_schema_version(void);

#endif
