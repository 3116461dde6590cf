/*
 * migrate.h - numbered schema migrations, applied in order with checksums.
 *
 * The migrations are the files schema/NNN_name.sql, compiled into the binary
 * (tools/embed-migrations.sh) so an installed carewatch can migrate without
 * its source tree; `db migrate --dir DIR` reads them from a directory instead.
 * Each is applied in its own transaction and recorded in schema_migration
 * with the SHA-256 of its text; a database whose applied migration differs
 * from the file is refused before anything is applied.
 */
#ifndef CAREWATCH_MIGRATE_H
#define CAREWATCH_MIGRATE_H

#include <stdbool.h>

#include "carewatch/db.h"

struct cw_migration {
	int version;
	const char *name;
	const char *sql;
};

/* The embedded set (build/gen/migrations.c), in version order. */
extern const struct cw_migration cw_migrations[];
extern const int cw_migrations_n;
/* schema/grants.tsv as embedded (schema/017_grants.sql says what it is). */
extern const char cw_grants_tsv[];

struct cw_migration_set {
	struct cw_migration *v;
	int n;
	char **owned;           /* text read from files, freed with the set */
	const char *grants;     /* the privilege allow-list, or NULL for none */
	char *grants_owned;     /* grants when read from a directory */
};

/* Load NNN_name.sql files from dir, sorted by version.  Duplicate or
 * malformed names are errors.  Caller frees with cw_migration_set_free(). */
bool cw_migration_set_load(const char *dir, struct cw_migration_set *set, struct cw_error *err)
	__attribute__((warn_unused_result));
/* The embedded set (nothing to free, but cw_migration_set_free is harmless). */
void cw_migration_set_embedded(struct cw_migration_set *set);
void cw_migration_set_free(struct cw_migration_set *set);

struct cw_migration_state {
	int version;
	char name[64];
	bool applied;
	bool changed;           /* applied, but the text differs from what was applied */
	bool unknown;           /* applied in the database but not in this set */
	char applied_at[40];
	char applied_by[64];
	char checksum[65];
};

/* Apply every pending migration of set, then the set's privilege
 * allow-list (every time: it revokes what is not listed).  *applied counts
 * the migrations (0: nothing to do).  Refuses (CW_EXIT_CONFLICT) when an applied migration changed or
 * the database has one this set lacks. */
bool cw_migrate_run(struct cw_db *db, const struct cw_migration_set *set, int *applied,
		    struct cw_error *err) __attribute__((warn_unused_result));

/* The state of every migration known to the set or the database, by version.
 * Caller frees *out with free(). */
bool cw_migrate_status(struct cw_db *db, const struct cw_migration_set *set,
		       struct cw_migration_state **out, int *n, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
