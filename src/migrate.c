/*
 * migrate.c - applying schema/NNN_name.sql migrations (see migrate.h).
 *
 * Two `db migrate` runs do not race: each migration's transaction first
 * locks the bookkeeping table (EXCLUSIVE: readers' ACCESS SHARE does not
 * conflict, and no reader can take a mode that does, so no login can stall
 * a migration with a lock of its own) and looks again whether it was applied
 * meanwhile.  The bookkeeping table is created on first use, outside any
 * migration, so even migration 001 is recorded like the rest.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "carewatch/migrate.h"
#include "carewatch/sha256.h"


void
cw_migration_set_embedded(struct cw_migration_set *set)
{
	set->v = (struct cw_migration *)cw_migrations;
	set->n = cw_migrations_n;
	set->owned = NULL;
	set->grants = cw_grants_tsv;
	set->grants_owned = NULL;
}

void
cw_migration_set_free(struct cw_migration_set *set)
{
	if (set->owned) {
		for (int i = 0; i < set->n; i++) {
			free(set->owned[i]);
			free((char *)set->v[i].name);
		}
		free(set->owned);
		free(set->v);
	}
	free(set->grants_owned);
	memset(set, 0, sizeof(*set));
}

static int
by_version(const void *a, const void *b)
{
	const struct cw_migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static char *
read_file(const char *path, struct cw_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (f == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len)
		buf[len] = '\0';
	else {
		free(buf);
		buf = NULL;
		cw_error_set(err, CW_EXIT_FAIL, "cannot read %s", path);
	}
	fclose(f);
	return buf;
}

bool
cw_migration_set_load(const char *dir, struct cw_migration_set *set, struct cw_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int cap = 0;

	memset(set, 0, sizeof(*set));
	if (d == NULL)
		return cw_error_set(err, CW_EXIT_USAGE, "cannot open migrations directory '%s': %s",
				    dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		size_t len = strlen(nm), digits = 0;
		char path[4096];

		if (len < 5 || strcmp(nm + len - 4, ".sql") != 0)
			continue;
		while (isdigit((unsigned char)nm[digits]))
			digits++;
		if (digits == 0 || nm[digits] != '_' || len - 4 <= digits + 1) {
			closedir(d);
			cw_migration_set_free(set);
			return cw_error_set(err, CW_EXIT_USAGE,
					    "migration file '%s' is not named NNN_name.sql", nm);
		}
		if (set->n == cap) {
			cap = cap ? cap * 2 : 16;
			set->v = realloc(set->v, (size_t)cap * sizeof(*set->v));
			set->owned = realloc(set->owned, (size_t)cap * sizeof(*set->owned));
		}
		snprintf(path, sizeof(path), "%s/%s", dir, nm);
		set->owned[set->n] = read_file(path, err);
		if (set->owned[set->n] == NULL) {
			closedir(d);
			cw_migration_set_free(set);
			return false;
		}
		set->v[set->n].version = atoi(nm);
		set->v[set->n].name = strndup(nm + digits + 1, len - 4 - digits - 1);
		set->v[set->n].sql = set->owned[set->n];
		set->n++;
	}
	closedir(d);
	{
		/* The directory's own allow-list, if it has one. */
		char path[4096];
		snprintf(path, sizeof(path), "%s/grants.tsv", dir);
		if (access(path, R_OK) == 0) {
			set->grants_owned = read_file(path, err);
			if (set->grants_owned == NULL) {
				cw_migration_set_free(set);
				return false;
			}
		}
		set->grants = set->grants_owned;
	}
	qsort(set->v, (size_t)set->n, sizeof(*set->v), by_version);
	/* owned[] must follow v[] for freeing: rebuild it in the sorted order. */
	for (int i = 0; i < set->n; i++)
		set->owned[i] = (char *)set->v[i].sql;
	for (int i = 1; i < set->n; i++)
		if (set->v[i].version == set->v[i - 1].version) {
			int v = set->v[i].version;
			cw_migration_set_free(set);
			return cw_error_set(err, CW_EXIT_USAGE, "two migrations share version %03d", v);
		}
	return true;
}

static bool
ensure_bookkeeping(struct cw_db *db, struct cw_error *err)
{
	return cw_db_exec(db,
			  "CREATE TABLE IF NOT EXISTS schema_migration ("
			  " version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
			  " applied_at timestamptz NOT NULL DEFAULT now(),"
			  " applied_by text NOT NULL DEFAULT session_user)",
			  0, NULL, err);
}

bool
cw_migrate_status(struct cw_db *db, const struct cw_migration_set *set,
		  struct cw_migration_state **out, int *n, struct cw_error *err)
{
	PGresult *r;
	bool have_table;
	char buf[8];
	struct cw_migration_state *st;
	int rows = 0, cnt = 0;

	*out = NULL;
	*n = 0;
	if (!cw_db_value(db, "SELECT to_regclass('schema_migration') IS NOT NULL", 0, NULL, buf,
			 sizeof(buf), NULL, err))
		return false;
	have_table = buf[0] == 't';
	r = have_table ? cw_db_query(db,
				     "SELECT version, name, checksum,"
				     " to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS'), applied_by"
				     " FROM schema_migration ORDER BY version",
				     0, NULL, err)
		       : NULL;
	if (have_table && r == NULL)
		return false;
	rows = r ? PQntuples(r) : 0;
	st = calloc((size_t)(set->n + rows) + 1, sizeof(*st));
	for (int i = 0; i < set->n; i++) {
		st[cnt].version = set->v[i].version;
		snprintf(st[cnt].name, sizeof(st[cnt].name), "%s", set->v[i].name);
		cw_sha256_hex(set->v[i].sql, strlen(set->v[i].sql), st[cnt].checksum);
		cnt++;
	}
	for (int j = 0; j < rows; j++) {
		int v = atoi(PQgetvalue(r, j, 0)), k;

		for (k = 0; k < cnt && st[k].version != v; k++)
			;
		if (k == cnt) {
			st[cnt].version = v;
			st[cnt].unknown = true;
			snprintf(st[cnt].name, sizeof(st[cnt].name), "%s", PQgetvalue(r, j, 1));
			cnt++;
		}
		st[k].applied = true;
		st[k].changed = !st[k].unknown && strcmp(st[k].checksum, PQgetvalue(r, j, 2)) != 0;
		snprintf(st[k].applied_at, sizeof(st[k].applied_at), "%s", PQgetvalue(r, j, 3));
		snprintf(st[k].applied_by, sizeof(st[k].applied_by), "%s", PQgetvalue(r, j, 4));
	}
	PQclear(r);
	*out = st;
	*n = cnt;
	return true;
}

/* The allow-list, applied in one transaction once the migration that
 * defines grants_apply() is in. */
static bool
apply_grants(struct cw_db *db, const struct cw_migration_set *set, struct cw_error *err)
{
	const char *p[1] = {set->grants};
	char have[8];
	bool found = false, ok;

	if (set->grants == NULL || set->grants[0] == '\0')
		return true;
	if (!cw_db_value(db, "SELECT 1 FROM pg_proc WHERE proname = 'grants_apply'"
			 " AND pronamespace = 'public'::regnamespace", 0, NULL, have, sizeof(have), &found, err))
		return false;
	if (!found)
		return true;
	if (!cw_db_exec(db, "BEGIN", 0, NULL, err))
		return false;
	ok = cw_db_exec(db, "SELECT grants_apply($1)", 1, p, err) &&
	     cw_db_exec(db, "COMMIT", 0, NULL, err);
	if (!ok) {
		struct cw_error ign;
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		if (!cw_db_exec(db, "ROLLBACK", 0, NULL, &ign))
			cw_error_hint(err, "the connection was lost while rolling back");
		cw_error_detail(err, "%s", msg);
		snprintf(err->msg, sizeof(err->msg), "the privileges of schema/grants.tsv were not applied");
	}
	return ok;
}

bool
cw_migrate_run(struct cw_db *db, const struct cw_migration_set *set, int *applied,
	       struct cw_error *err)
{
	struct cw_migration_state *st = NULL;
	int n = 0;
	bool ok = false;

	*applied = 0;
	if (!ensure_bookkeeping(db, err) || !cw_migrate_status(db, set, &st, &n, err))
		goto out;
	for (int i = 0; i < n; i++) {
		if (st[i].changed) {
			cw_error_set(err, CW_EXIT_CONFLICT,
				     "migration %03d_%s.sql has changed since it was applied",
				     st[i].version, st[i].name);
			cw_error_detail(err, "applied on %s by %s; nothing was migrated",
					st[i].applied_at, st[i].applied_by);
			cw_error_hint(err, "never edit an applied migration: add a new numbered file");
			goto out;
		}
		if (st[i].unknown) {
			cw_error_set(err, CW_EXIT_CONFLICT,
				     "the database has migration %03d_%s, which this carewatch does not know",
				     st[i].version, st[i].name);
			cw_error_hint(err, "upgrade carewatch before migrating this database");
			goto out;
		}
	}
	for (int i = 0; i < set->n; i++) {
		const struct cw_migration *m = &set->v[i];
		char ver[16], sum[65];
		const char *params[3] = {ver, m->name, sum};
		int k;

		for (k = 0; k < n && st[k].version != m->version; k++)
			;
		if (k < n && st[k].applied)
			continue;
		snprintf(ver, sizeof(ver), "%d", m->version);
		cw_sha256_hex(m->sql, strlen(m->sql), sum);
		if (!cw_db_exec(db, "BEGIN", 0, NULL, err))
			goto out;
		/* Another `db migrate` holds this until its migration commits;
		 * under it, look again whether this one was applied meanwhile. */
		{
			char done[8];
			bool found = false;
			const char *vp[1] = {ver};
			if (!cw_db_exec(db, "LOCK TABLE schema_migration IN EXCLUSIVE MODE", 0, NULL, err) ||
			    !cw_db_value(db, "SELECT 1 FROM schema_migration WHERE version = $1::int", 1,
					 vp, done, sizeof(done), &found, err)) {
				struct cw_error ign;
				/* A failed ROLLBACK means the session (and the lock) is gone. */
				if (!cw_db_exec(db, "ROLLBACK", 0, NULL, &ign))
					cw_error_hint(err, "the connection was lost while rolling back");
				goto out;
			}
			if (found) {
				if (!cw_db_exec(db, "COMMIT", 0, NULL, err))
					goto out;
				continue;
			}
		}
		if (!cw_db_script(db, m->sql, err) ||
		    !cw_db_exec(db, "INSERT INTO schema_migration (version, name, checksum)"
				    " VALUES ($1, $2, $3)", 3, params, err) ||
		    !cw_db_exec(db, "COMMIT", 0, NULL, err)) {
			char msg[sizeof(err->msg)];
			struct cw_error ign;

			snprintf(msg, sizeof(msg), "%s", err->msg);
			if (!cw_db_exec(db, "ROLLBACK", 0, NULL, &ign))
				cw_error_hint(err, "the connection was lost while rolling back");
			cw_error_detail(err, "in migration %03d_%s.sql: %s", m->version, m->name, msg);
			snprintf(err->msg, sizeof(err->msg), "migration %03d_%s failed; it was rolled back",
				 m->version, m->name);
			goto out;
		}
		(*applied)++;
	}
	ok = apply_grants(db, set, err);
out:
	free(st);
	return ok;
}
