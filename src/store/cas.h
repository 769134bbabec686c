/* cas.h: content-addressed JSON for the store: the part of a result that repeats, and the part each run changes. */
#ifndef FEDSCAN_STORE_CAS_H
#define FEDSCAN_STORE_CAS_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

/* Bytes of a SHA-256 digest, the key of the blobs and evidence tables (db/migrations/004_content_addressed.sql). */
#define FS_CAS_HASH_LEN 32

/* What a JSON text is: each kind has its own list of scan-varying fields. */
enum fs_cas_kind {
	FS_CAS_EVIDENCE = 0,           /* one connection's raw evidence object */
	FS_CAS_RESULT = 1,             /* a partner object as domains.result_json keeps it */
};

/*
 * Split v into its constant part (compact JSON text, each scan-varying field present in v set to null, same
 * key order) and the varying values (a compact JSON array, by position in the kind's field list; NULL when
 * nothing varies). The split is checked: fs_cas_join() of the two prints exactly as v does, or the whole of
 * v is the constant part and *vary is NULL. 0, or -1 when out of memory. Both strings are malloc'd.
 */
int fs_cas_split(enum fs_cas_kind kind, const json_t *v, char **constant, char **vary);
/* Put the varying values (text, or NULL) back into the constant text; a new object in *out. 0, or -1. */
int fs_cas_join(enum fs_cas_kind kind, const char *constant, size_t clen, const char *vary, size_t vlen,
    json_t **out);
/* SHA-256 of len bytes of text into out. */
void fs_cas_hash(const char *text, size_t len, unsigned char out[FS_CAS_HASH_LEN]);
/*
 * Define fs_sha256(text), fs_constant(kind, text) and fs_vary(kind, text) on db: the same split, in SQL, for the
 * migration that moves older databases (004). 0, or an SQLite error code.
 */
int fs_cas_register(sqlite3 *db);

#endif
