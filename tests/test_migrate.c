/*
 * test_migrate.c - `carewatch db migrate` and `db status` on a real server:
 * a second run changes nothing; an edited applied migration is refused and
 * nothing else is applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>

#include "testlib.h"

/* The number of migrations in schema/, which a fresh database gets. */
static int
migrations(void)
{
	char pattern[1100];
	glob_t g;
	int n;

	snprintf(pattern, sizeof(pattern), "%s/../schema/[0-9]*.sql", tl_path(""));
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	tl_db_create("cwt_migrate", false);
	return 0;
}

static void
test_migrate_twice_is_a_no_op(void **state)
{
	char *out, *err;
	PGconn *c;
	long audit;
	int n = migrations();
	char expect[96];

	(void)state;
	assert_true(n >= 4);
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("db", "migrate"), NULL, &out, &err, NULL), 0);
	snprintf(expect, sizeof(expect), "applied %d migrations", n);
	assert_non_null(strstr(out, expect));
	free(out);
	free(err);
	c = tl_connect(NULL);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM schema_migration"), n);
	audit = tl_count(c, "SELECT count(*) FROM audit_log");
	assert_int_equal(tl_run(TL_ARGV("db", "migrate"), NULL, &out, &err, NULL), 0);
	snprintf(expect, sizeof(expect), "database is up to date (%d migrations applied)\n", n);
	assert_string_equal(out, expect);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM schema_migration"), n);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM audit_log"), audit);
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("db", "status", "--format", "csv"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "version,name,state,applied_at,applied_by,checksum\n"));
	assert_non_null(strstr(out, "1,foundation,applied,"));
	assert_non_null(strstr(out, "3,cases,applied,"));
	free(out);
	free(err);
	PQfinish(c);
}

static void
test_migrate_refuses_an_edited_migration(void **state)
{
	char dir[] = "/tmp/cwt-schema.XXXXXX", cmd[1024], path[1200];
	char *out, *err;
	const char *db;
	PGconn *c;
	FILE *f;

	(void)state;
	if (!tl_db_available())
		skip();
	db = tl_db_create("cwt_migrate_edit", false);
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp %s/../schema/*.sql %s/", tl_path(""), dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tl_run(TL_ARGV("db", "migrate", "--dir", dir), NULL, &out, &err, NULL), 0);
	free(out);
	free(err);
	/* Edit an applied migration and add a new one: neither may be applied. */
	snprintf(path, sizeof(path), "%s/002_intelligence.sql", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("-- an innocent-looking edit\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/099_later.sql", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("CREATE TABLE later (x int);\n", f);
	fclose(f);
	assert_int_equal(tl_run(TL_ARGV("db", "migrate", "--dir", dir), NULL, &out, &err, NULL), 7);
	assert_non_null(strstr(err, "carewatch: error: migration 002_intelligence.sql has changed since it was applied\n"));
	assert_non_null(strstr(err, "nothing was migrated"));
	free(out);
	free(err);
	c = tl_connect(NULL);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM schema_migration"), migrations());
	assert_string_equal(tl_query1(c, "SELECT to_regclass('later') IS NULL"), "t");
	PQfinish(c);
	assert_int_equal(tl_run(TL_ARGV("db", "status", "--dir", dir), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "CHANGED since applied"));
	assert_non_null(strstr(out, "pending"));
	free(out);
	free(err);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	tl_db_drop(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_twice_is_a_no_op),
		cmocka_unit_test(test_migrate_refuses_an_edited_migration),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
