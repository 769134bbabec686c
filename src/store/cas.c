/* cas.c: content-addressed JSON for the store: scan-varying fields split out, SHA-256 of the rest (schema 4). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store/cas.h"

/* How every stored JSON text is printed: compact, in the printed key order (db/migrations/003, 004). */
#define CAS_DUMP (JSON_COMPACT | JSON_ENCODE_ANY)

/*
 * The fields that change from one run to the next although nothing changed at the partner, measured on two
 * scans of an unchanged Prosody (bench/README.md, "What varies between two runs"): the peer's stream ids
 * (random per stream, RFC 6120 section 4.7.3), our TCP source port in "stream", the timings, and the byte
 * counts (which follow the lengths of ids and keys). Vary arrays are positional: append only, never reorder.
 * The session proof's time (proof.answer_ms) joined in schema 5. The SQL views domains and connections
 * (db/migrations/004_content_addressed.sql, 005_proof_time.sql) list the same paths.
 */
static const char *const evidence_paths[] = {
	"pre.id", "post.id", "post_sasl.id", "duration_ms", "stream", "bytes_in", "bytes_out",
	"dialback.wait_ms", "dialback.grace_ms", "proof.answer_ms", NULL
};
static const char *const result_paths[] = { "duration_ms", NULL };

static const char *const *
paths_of(enum fs_cas_kind kind)
{
	return kind == FS_CAS_RESULT ? result_paths : evidence_paths;
}

/* The object holding path's last component inside v, and that component (in buf); NULL when not reachable. */
static json_t *
parent_of(json_t *v, const char *path, char *buf, size_t size, const char **key)
{
	const char *p = path, *dot;
	size_t n;

	while ((dot = strchr(p, '.')) != NULL) {
		n = (size_t)(dot - p);
		if (n >= size)
			return NULL;
		memcpy(buf, p, n);
		buf[n] = '\0';
		v = json_object_get(v, buf);
		p = dot + 1;
	}
	*key = p;
	return json_is_object(v) ? v : NULL;
}

/* Set every path present in c from vary (missing positions are null); c is changed in place. */
static int
put_back(enum fs_cas_kind kind, json_t *c, const json_t *vary)
{
	const char *const *paths = paths_of(kind);
	const char *key;
	json_t *parent, *val;
	char buf[64];
	size_t i;

	for (i = 0; paths[i] != NULL; i++) {
		parent = parent_of(c, paths[i], buf, sizeof(buf), &key);
		if (parent == NULL || json_object_get(parent, key) == NULL)
			continue;
		val = json_array_get(vary, i);
		/* Replacing an existing key keeps its place in jansson's insertion order. */
		if (json_object_set_new(parent, key, val != NULL ? json_deep_copy(val) : json_null()) != 0)
			return -1;
	}
	return 0;
}

int
fs_cas_join(enum fs_cas_kind kind, const char *constant, size_t clen, const char *vary, size_t vlen,
    json_t **out)
{
	json_t *c, *va = NULL;
	int ret = -1;

	*out = NULL;
	/* JSON_ALLOW_NUL: a peer's string may hold U+0000, stored as \u0000 by json_dumps. */
	if ((c = json_loadb(constant, clen, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL)) == NULL)
		goto out;
	if (vary != NULL) {
		if ((va = json_loadb(vary, vlen, JSON_ALLOW_NUL, NULL)) == NULL || !json_is_array(va) ||
		    put_back(kind, c, va) != 0)
			goto out;
	}
	*out = c;
	c = NULL;
	ret = 0;
out:
	json_decref(c);
	json_decref(va);
	return ret;
}

/* The split without its check: *constant and *vary (NULL when no path is present). */
static int
split_raw(enum fs_cas_kind kind, const json_t *v, char **constant, char **vary)
{
	const char *const *paths = paths_of(kind);
	json_t *c, *va, *parent, *val;
	const char *key;
	char buf[64];
	size_t i, used = 0;
	int ret = -1;

	c = json_deep_copy(v);
	va = json_array();
	if (c == NULL || va == NULL)
		goto out;
	for (i = 0; paths[i] != NULL; i++) {
		parent = parent_of(c, paths[i], buf, sizeof(buf), &key);
		val = parent != NULL ? json_object_get(parent, key) : NULL;
		if (json_array_append(va, val != NULL ? val : json_null()) != 0)
			goto out;
		if (val == NULL)
			continue;
		if (!json_is_null(val))
			used = i + 1;
		if (json_object_set_new(parent, key, json_null()) != 0)
			goto out;
	}
	/* Trailing nulls say nothing: a missing position reads as null. */
	while (json_array_size(va) > used)
		json_array_remove(va, json_array_size(va) - 1);
	if ((*constant = json_dumps(c, CAS_DUMP)) == NULL)
		goto out;
	*vary = NULL;
	if (used > 0 && (*vary = json_dumps(va, CAS_DUMP)) == NULL) {
		free(*constant);
		*constant = NULL;
		goto out;
	}
	ret = 0;
out:
	json_decref(c);
	json_decref(va);
	return ret;
}

int
fs_cas_split(enum fs_cas_kind kind, const json_t *v, char **constant, char **vary)
{
	char *whole = NULL, *again = NULL;
	json_t *back = NULL;
	int ret = -1;

	*constant = *vary = NULL;
	if ((whole = json_dumps(v, CAS_DUMP)) == NULL || split_raw(kind, v, constant, vary) != 0)
		goto out;
	if (*vary == NULL) {
		ret = 0;
		goto out;
	}
	/* What is read back must print as what was written (fedscan(1), FILES): check, else keep it whole. */
	if (fs_cas_join(kind, *constant, strlen(*constant), *vary, strlen(*vary), &back) != 0 ||
	    (again = json_dumps(back, CAS_DUMP)) == NULL || strcmp(again, whole) != 0) {
		free(*constant);
		free(*vary);
		*vary = NULL;
		*constant = whole;
		whole = NULL;
	}
	ret = 0;
out:
	free(whole);
	free(again);
	json_decref(back);
	return ret;
}

void
fs_cas_hash(const char *text, size_t len, unsigned char out[FS_CAS_HASH_LEN])
{
	unsigned int n = FS_CAS_HASH_LEN;

	if (EVP_Digest(text, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, FS_CAS_HASH_LEN);       /* not reached with a working libcrypto */
}

/* ---- the same in SQL, for migration 004 ---- */

static void
sql_sha256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char h[FS_CAS_HASH_LEN];

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	fs_cas_hash((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), h);
	sqlite3_result_blob(ctx, h, FS_CAS_HASH_LEN, SQLITE_TRANSIENT);
}

/* fs_constant(kind, text) and fs_vary(kind, text): user data 0 and 1. Text that jansson cannot read stays whole. */
static void
sql_split(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	bool want_vary = sqlite3_user_data(ctx) != NULL;
	enum fs_cas_kind kind = sqlite3_value_int(argv[0]) == 1 ? FS_CAS_RESULT : FS_CAS_EVIDENCE;
	const char *text;
	char *c = NULL, *va = NULL;
	json_t *v;

	(void)argc;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	text = (const char *)sqlite3_value_text(argv[1]);
	v = json_loadb(text, (size_t)sqlite3_value_bytes(argv[1]), JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
	if (v == NULL) {
		if (want_vary)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_value(ctx, argv[1]);
		return;
	}
	if (fs_cas_split(kind, v, &c, &va) != 0) {
		sqlite3_result_error_nomem(ctx);
	} else if (want_vary) {
		if (va != NULL)
			sqlite3_result_text(ctx, va, -1, free);
		else
			sqlite3_result_null(ctx);
		va = NULL;
	} else {
		sqlite3_result_text(ctx, c, -1, free);
		c = NULL;
	}
	free(c);
	free(va);
	json_decref(v);
}

int
fs_cas_register(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	int rc;

	if ((rc = sqlite3_create_function(db, "fs_sha256", 1, flags, NULL, sql_sha256, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function(db, "fs_constant", 2, flags, NULL, sql_split, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_create_function(db, "fs_vary", 2, flags, (void *)1, sql_split, NULL, NULL)) != SQLITE_OK)
		return rc;
	return SQLITE_OK;
}
