/*
 * test_cwgen.c - the data generator (tools/cwgen.c) end to end.
 *
 * A small data set (--providers 40, the Norfolk mix and volumes scaled down)
 * is loaded into clones of the migrated template: the same seed gives the
 * same rows in every table, another seed other rows; the load leaves the
 * schema, triggers and audit log as they were and writes data carewatch
 * itself then works on; a database with data, a role that does not own the
 * tables and an unmigrated database are refused with their exit codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define AS_OF "2025-03-10"

/* Every loaded table, each row as text, hashed: equal digests mean equal
 * data, ids, times and recorded_by included. */
static const char digest_sql[] =
	"SELECT md5(string_agg(t || ':' || h, ',' ORDER BY t)) FROM ("
	" SELECT t, md5(string_agg(r, E'\\n' ORDER BY r)) h FROM ("
	"  SELECT 'officer' t, x::text r FROM officer x"
	"  UNION ALL SELECT 'officer_locality', x::text FROM officer_locality x"
	"  UNION ALL SELECT 'officer_leave', x::text FROM officer_leave x"
	"  UNION ALL SELECT 'organisation', x::text FROM organisation x"
	"  UNION ALL SELECT 'provider', x::text FROM provider x"
	"  UNION ALL SELECT 'concern', x::text FROM concern x"
	"  UNION ALL SELECT 'visit', x::text FROM visit x"
	"  UNION ALL SELECT 'safeguarding', x::text FROM safeguarding x"
	"  UNION ALL SELECT 'cqc_rating', x::text FROM cqc_rating x"
	"  UNION ALL SELECT 'ipc_inspection', x::text FROM ipc_inspection x"
	"  UNION ALL SELECT 'survey', x::text FROM survey x"
	"  UNION ALL SELECT 'restriction', x::text FROM restriction x"
	"  UNION ALL SELECT 'restriction_lift', x::text FROM restriction_lift x"
	"  UNION ALL SELECT 'performance_notice', x::text FROM performance_notice x"
	"  UNION ALL SELECT 'provider_loss', x::text FROM provider_loss x"
	"  UNION ALL SELECT 'case_file', x::text FROM case_file x"
	"  UNION ALL SELECT 'case_assignment', x::text FROM case_assignment x"
	"  UNION ALL SELECT 'case_response', x::text FROM case_response x) s GROUP BY t) d";

/* The schema's shape: every index and constraint, by name and definition. */
static const char shape_sql[] =
	"SELECT md5(string_agg(d, E'\\n' ORDER BY d)) FROM ("
	" SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) d"
	"  FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
	" UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
	" UNION ALL SELECT tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger"
	"  WHERE NOT tgisinternal) s";

static char dbs[8][64];
static int ndbs;

/* Run build/cwgen (through tl_run, which runs $CW_BIN). */
static int
gen(const char *const argv[], char **out, char **err, const char *env)
{
	char bin[1024], *saved = getenv("CW_BIN") ? strdup(getenv("CW_BIN")) : NULL;
	int rc;

	snprintf(bin, sizeof(bin), "%s/build/cwgen", getenv("CW_TOP") ? getenv("CW_TOP") : ".");
	if (access(bin, X_OK) != 0)
		fail_msg("%s is missing: run 'make build/cwgen'", bin);
	setenv("CW_BIN", bin, 1);
	rc = tl_run(argv, NULL, out, err, env);
	if (saved) {
		setenv("CW_BIN", saved, 1);
		free(saved);
	} else {
		unsetenv("CW_BIN");
	}
	return rc;
}

static const char *
rules_path(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/rules/default.rules", getenv("CW_TOP") ? getenv("CW_TOP") : ".");
	return path;
}

static void
gen_ok(const char *seed)
{
	char *out, *err;
	int rc = gen(TL_ARGV("--providers", "40", "--seed", seed, "--as-of", AS_OF, "--rules", rules_path()),
		     &out, &err, NULL);

	if (rc != 0)
		fprintf(stderr, "cwgen exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "loaded the norfolk data set (seed "));
	free(out);
	free(err);
}

/* A fresh clone of the template, remembered for teardown. */
static void
new_db(const char *prefix, bool migrated)
{
	snprintf(dbs[ndbs++], sizeof(dbs[0]), "%s", tl_db_create(prefix, migrated));
}

static char *
query_copy(const char *sql)
{
	PGconn *c = tl_connect(NULL);
	char *v = strdup(tl_query1(c, sql));

	PQfinish(c);
	return v;
}

static void
test_cwgen_same_seed_same_data(void **state)
{
	char *a, *b, *c;

	(void)state;
	if (!tl_db_available())
		skip();
	new_db("cwt_gen_a", true);
	gen_ok("7");
	a = query_copy(digest_sql);
	new_db("cwt_gen_b", true);
	gen_ok("7");
	b = query_copy(digest_sql);
	new_db("cwt_gen_c", true);
	gen_ok("8");
	c = query_copy(digest_sql);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void
test_cwgen_data_is_whole_and_usable(void **state)
{
	char *fresh, *loaded, *audit, *out, *err, expect[64];
	PGconn *c;
	long active;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	new_db("cwt_gen_shape", true);
	fresh = query_copy(shape_sql);
	audit = query_copy("SELECT count(*) FROM audit_log");
	gen_ok("3");
	loaded = query_copy(shape_sql);
	/* Foreign keys and indexes dropped for the load are back, identical;
	 * the audit and stamp triggers are enabled again. */
	assert_string_equal(fresh, loaded);

	c = tl_connect(NULL);
	/* Generated rows are not audited (triggers off for the load). */
	assert_string_equal(tl_query1(c, "SELECT count(*) FROM audit_log"), audit);
	/* Every kind of record is there, before the as-of day. */
	assert_true(tl_count(c, "SELECT count(*) FROM provider") == 40);
	assert_true(tl_count(c, "SELECT count(*) FROM concern") > 100);
	assert_true(tl_count(c, "SELECT count(*) FROM safeguarding") > 30);
	assert_true(tl_count(c, "SELECT count(*) FROM cqc_rating") > 60);
	assert_true(tl_count(c, "SELECT count(*) FROM visit") > 30);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM concern WHERE received_at >= '" AS_OF "'"), 0);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM officer"), 9);
	/* Each concern opened its case, at the time it was received, with a due
	 * time exactly when its risk level has a response target. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM concern x LEFT JOIN case_file k"
				     " ON k.concern_id = x.id WHERE k.id IS NULL OR k.opened_at <> x.received_at"),
			 0);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM case_file WHERE (risk = 'low') <> (due_at IS NULL)"), 0);
	/* Cases go to QA officers who cover the provider's locality. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM case_file k JOIN provider p ON p.id = k.provider_id"
				     " WHERE k.assigned_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM officer_locality l"
				     " WHERE l.login = k.assigned_to AND l.locality = p.locality)"),
			 0);
	/* recorded_by names the team (or the information analyst for imports
	 * and surveys), never the role that ran the generator. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM concern WHERE recorded_by NOT IN (SELECT login FROM officer)"), 0);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM cqc_rating WHERE recorded_by = current_user"), 0);
	/* Ratings come from the reports' scale and every domain is rated together. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM (SELECT provider_id, published_on FROM cqc_rating"
				     " GROUP BY 1, 2 HAVING count(*) <> 6) x"),
			 0);
	active = tl_count(c, "SELECT count(*) FROM provider WHERE status = 'active'");
	PQfinish(c);

	/* carewatch works on it: activating the rules queues every open provider
	 * for the scorer. */
	rc = tl_run(TL_ARGV("rules", "activate", rules_path()), NULL, &out, &err, NULL);
	assert_int_equal(rc, 0);
	snprintf(expect, sizeof(expect), "queued %ld providers", active);
	assert_non_null(strstr(out, expect));
	free(out);
	free(err);
	rc = tl_run(TL_ARGV("worklist", "--officer", "shewitt"), NULL, &out, &err, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "shewitt"));
	free(out);
	free(err);
	free(fresh);
	free(loaded);
	free(audit);
}

static void
test_cwgen_refuses_a_database_with_data(void **state)
{
	char *before, *after, *out, *err;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	new_db("cwt_gen_twice", true);
	gen_ok("5");
	before = query_copy(digest_sql);
	rc = gen(TL_ARGV("--providers", "40", "--seed", "6", "--rules", rules_path()), NULL, &err, NULL);
	assert_int_equal(rc, 7);
	assert_non_null(strstr(err, "cwgen: error: the database already holds data (40 providers)"));
	free(err);
	rc = gen(TL_ARGV("--providers", "40", "--if-empty", "--rules", rules_path()), &out, &err, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "nothing generated"));
	free(out);
	free(err);
	after = query_copy(digest_sql);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_cwgen_refuses_bad_setups(void **state)
{
	char *out, *err;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Only the tables' owner may load (it switches triggers off). */
	new_db("cwt_gen_role", true);
	rc = tl_run(TL_ARGV("db", "role", "add", "cwt_gen_officer", "--as", "officer"), NULL, &out, &err, NULL);
	assert_int_equal(rc, 0);
	free(out);
	free(err);
	rc = gen(TL_ARGV("--providers", "40", "--rules", rules_path()), NULL, &err, "PGUSER=cwt_gen_officer");
	assert_int_equal(rc, 4);
	assert_non_null(strstr(err, "cwgen loads as the owner of the carewatch tables, not as 'cwt_gen_officer'"));
	free(err);
	/* An unmigrated database. */
	new_db("cwt_gen_bare", false);
	rc = gen(TL_ARGV("--providers", "40", "--rules", rules_path()), NULL, &err, NULL);
	assert_int_equal(rc, 7);
	assert_non_null(strstr(err, "the database is not migrated"));
	free(err);
	/* Bad options name the option and the value. */
	rc = gen(TL_ARGV("--scale", "county"), NULL, &err, NULL);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "invalid --scale 'county' (expected norfolk or national)"));
	free(err);
	rc = gen(TL_ARGV("--as-of", "2025-02-30"), NULL, &err, NULL);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "invalid date '2025-02-30'"));
	free(err);
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < ndbs; i++)
		tl_db_drop(dbs[i]);
	ndbs = 0;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cwgen_same_seed_same_data, teardown),
		cmocka_unit_test_teardown(test_cwgen_data_is_whole_and_usable, teardown),
		cmocka_unit_test_teardown(test_cwgen_refuses_a_database_with_data, teardown),
		cmocka_unit_test_teardown(test_cwgen_refuses_bad_setups, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
