/* store_int.h: what the store's files (store.c, store_read.c, store_prune.c) share: the handle and its helpers. */
#ifndef FEDSCAN_STORE_INT_H
#define FEDSCAN_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fedscan/store.h"

/* What domains.result_json keeps in place of an endpoint's connections (db/migrations/003_connections_once.sql). */
#define FS_CONNS_STORED "connections table"

/* The prepared statements every store keeps (store.c, stmt_sql). */
enum fs_st_stmt {
	ST_SCAN_BEGIN = 0,
	ST_SCAN_END,
	ST_BLOB_FIND,
	ST_BLOB_ADD,
	ST_EV_FIND,
	ST_EV_ADD,
	ST_CERT,
	ST_DOMAIN,
	ST_ENDPOINT,
	ST_CONN,
	ST_LAST_DOMAIN,
	ST_DOMAIN_ENDPOINTS,
	ST_ENDPOINT_CONNS,
	ST_LAST
};

struct fs_store {
	sqlite3 *db;
	char *path;                     /* for messages */
	sqlite3_stmt *stmt[ST_LAST];
};

/* The columns a stored result is read from: the text edited by hand, the constant part, the varying values. */
#define FS_ST_RESULT_COLS "d.result_json, b.json, d.result_vary"
/* ... and the join they need, on domain_rows d. */
#define FS_ST_RESULT_JOIN "domain_rows d LEFT JOIN blobs b ON b.id = d.result_blob"

#if defined(__GNUC__)
void fs_st_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#else
/* A message into err (may be NULL), always NUL-terminated. */
void fs_st_err(char *err, size_t errlen, const char *fmt, ...);
#endif
/* BEGIN IMMEDIATE, BUSY retried; 0 or -1 with a message. */
int fs_st_begin(struct fs_store *st, char *err, size_t errlen);
/* COMMIT; 0 or -1 with a message. */
int fs_st_commit(struct fs_store *st, char *err, size_t errlen);
/* Undo an open transaction; a no-op when none is open. */
void fs_st_rollback(struct fs_store *st);
/* Prepare a one-off statement, BUSY retried; 0 or -1 with a message. */
int fs_st_prepare(struct fs_store *st, const char *sql, sqlite3_stmt **s, char *err, size_t errlen);
/* The JSON text of column i, or NULL (SQL NULL, or not JSON). */
json_t *fs_st_json_col(sqlite3_stmt *s, int i);
/*
 * The partner object of a result row whose columns FS_ST_RESULT_COLS start at column i, with its connections
 * put back (domain_id: its domain_rows.id); NULL with a message when it cannot be read.
 */
json_t *fs_st_result(struct fs_store *st, sqlite3_stmt *s, int i, int64_t domain_id, char *err, size_t errlen);

#endif
