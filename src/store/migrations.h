/* migrations.h: the schema migrations of db/migrations/, embedded at build time by build-aux/embed-sql.sh. */
#ifndef FEDSCAN_MIGRATIONS_H
#define FEDSCAN_MIGRATIONS_H

/* One db/migrations/NNN_name.sql file. */
struct fs_migration {
	unsigned version;       /* NNN: PRAGMA user_version once it is applied; 1, 2, ... without gaps */
	const char *name;       /* the file name's "name" part, e.g. "initial" */
	const char *sql;        /* the file's text; run inside one transaction, so no BEGIN/COMMIT */
};

/* The migrations in version order (fs_migrations[i].version == i + 1). */
extern const struct fs_migration fs_migrations[];
/* How many there are: the newest schema version this fedscan knows. */
extern const unsigned fs_nmigrations;

#endif
