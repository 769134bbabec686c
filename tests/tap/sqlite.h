/* sqlite.h: SQLite helpers for the unit tests of the store: what another program reading the database would see. */
#ifndef FEDSCAN_TAP_SQLITE_H
#define FEDSCAN_TAP_SQLITE_H

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tap/basic.h"

/* One integer from a query on a separate connection (what another program would see). */
static inline long long
q_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -12345;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else
		diag("query \"%s\": %s", sql, h ? sqlite3_errmsg(h) : "no handle");
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* One text value (malloc'd copy, with its byte length), or NULL for SQL NULL / no row. */
static inline char *
q_text(const char *db, const char *sql, size_t *len)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	char *v = NULL;

	*len = 0;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		*len = (size_t)sqlite3_column_bytes(s, 0);
		if ((v = malloc(*len + 1)) != NULL) {
			memcpy(v, t, *len);
			v[*len] = '\0';
		}
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static inline int
raw_exec(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	int rc;

	rc = sqlite3_open(db, &h);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		diag("raw exec: %s", h ? sqlite3_errmsg(h) : "no handle");
	sqlite3_close(h);
	return rc == SQLITE_OK;
}

#endif
