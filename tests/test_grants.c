/*
 * test_grants.c - the catalog grants exactly what schema/grants.tsv lists.
 *
 * Every role's privileges come from one checked-in allow-list, applied by
 * `db migrate` (schema/017_grants.sql).  This compares what the catalog
 * actually grants (grants_list(): tables, columns, sequences, functions and
 * schemas, for every carewatch role and PUBLIC) with the file, both ways,
 * and shows that a privilege granted behind the file's back is caught.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char *spec;

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	spec = slurp(tl_path("../schema/grants.tsv"));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(spec);
	return 0;
}

/* The rows of one direction of the comparison, one "role object col priv"
 * line each ("" when none). */
static char *
difference(PGconn *c, const char *sql)
{
	const char *p[1] = {spec};
	PGresult *r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
	size_t len = 1;
	char *out;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	for (int i = 0; i < PQntuples(r); i++)
		len += strlen(PQgetvalue(r, i, 0)) + 1;
	out = calloc(1, len);
	assert_non_null(out);
	for (int i = 0; i < PQntuples(r); i++) {
		strcat(out, PQgetvalue(r, i, 0));
		strcat(out, "\n");
	}
	PQclear(r);
	return out;
}

#define IN_CATALOG_NOT_FILE                                                                      \
	"SELECT concat_ws(' ', role, object, col, privilege) FROM"                               \
	" (SELECT * FROM grants_list() EXCEPT SELECT * FROM grants_parse($1)) d ORDER BY 1"
#define IN_FILE_NOT_CATALOG                                                                      \
	"SELECT concat_ws(' ', role, object, col, privilege) FROM"                               \
	" (SELECT * FROM grants_parse($1) EXCEPT SELECT * FROM grants_list()) d ORDER BY 1"

static void
test_grants_catalog_matches_the_file_both_ways(void **state)
{
	PGconn *c;
	char *extra, *missing;

	(void)state;
	if (!tl_db_available())
		skip();
	tl_db_create("cwt_grants", true);
	c = tl_connect(NULL);
	extra = difference(c, IN_CATALOG_NOT_FILE);
	missing = difference(c, IN_FILE_NOT_CATALOG);
	if (extra[0] || missing[0])
		fail_msg("granted but not in schema/grants.tsv:\n%s\nin schema/grants.tsv but not granted:\n%s",
			 extra, missing);
	free(extra);
	free(missing);
	/* Nothing for PUBLIC, and no UPDATE or DELETE for a person's role. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM grants_list() WHERE role = 'PUBLIC'"), 0);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM grants_list() WHERE role IN"
				     " ('carewatch_readonly', 'carewatch_officer', 'carewatch_manager')"
				     " AND privilege IN ('UPDATE', 'DELETE', 'TRUNCATE')"), 0);
	PQfinish(c);
	tl_db_drop(getenv("PGDATABASE"));
}

/* A column granted behind the file's back -- the readonly role reading a
 * manager's decision note -- is caught, and `db migrate` takes it away. */
static void
test_grants_a_privilege_outside_the_file_is_caught_and_revoked(void **state)
{
	PGconn *c;
	char *extra;

	(void)state;
	if (!tl_db_available())
		skip();
	tl_db_create("cwt_grants_extra", true);
	c = tl_connect(NULL);
	tl_query1(c, "GRANT SELECT (decision_note) ON restriction_flag TO carewatch_readonly");
	tl_query1(c, "GRANT EXECUTE ON FUNCTION carewatch_role_add(text, text) TO PUBLIC");
	extra = difference(c, IN_CATALOG_NOT_FILE);
	assert_string_equal(extra, "PUBLIC function:carewatch_role_add(text,text) - EXECUTE\n"
				   "carewatch_readonly restriction_flag decision_note SELECT\n");
	free(extra);
	free(tl_run_out(TL_ARGV("db", "migrate"), NULL, 0));
	extra = difference(c, IN_CATALOG_NOT_FILE);
	assert_string_equal(extra, "");
	free(extra);
	PQfinish(c);
	tl_db_drop(getenv("PGDATABASE"));
}

/* A malformed line names its number and applies nothing. */
static void
test_grants_bad_file_lines_are_refused(void **state)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"carewatch_readonly\tprovider\tname\n",
		 "grants.tsv line 1: expected 4 tab-separated fields, found 3"},
		{"# c\ncarewatch_intruder\tprovider\tname\tSELECT\n",
		 "grants.tsv line 2: unknown role 'carewatch_intruder'"},
		{"carewatch_readonly\tprovider\tname\tTRUNCATE\n",
		 "grants.tsv line 1: privilege 'TRUNCATE' is not allowed here"},
	};
	PGconn *c;

	(void)state;
	if (!tl_db_available())
		skip();
	tl_db_create("cwt_grants_bad", true);
	c = tl_connect(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p[1] = {bad[i].spec};
		PGresult *r = PQexecParams(c, "SELECT grants_apply($1)", 1, NULL, p, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_string_equal(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), bad[i].msg);
		PQclear(r);
	}
	/* Each failed apply rolled back: the readonly role still reads names. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM grants_list() WHERE role = 'carewatch_readonly'"
				     " AND object = 'provider' AND col = 'name'"), 1);
	PQfinish(c);
	tl_db_drop(getenv("PGDATABASE"));
}

/* docs/security.md's role matrix is tools/role-matrix.sh's output for the
 * file, to the byte (no database needed). */
static void
test_grants_role_matrix_in_the_docs_is_current(void **state)
{
	char cmd[4096];
	char *doc, *want, *begin, *end;
	FILE *p;
	size_t len = 0, cap = 1 << 16;

	(void)state;
	/* tl_path's buffer is static: one call at a time. */
	snprintf(cmd, sizeof(cmd), "%s", tl_path("../tools/role-matrix.sh"));
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", tl_path("../schema/grants.tsv"));
	p = popen(cmd, "r");
	assert_non_null(p);
	want = malloc(cap);
	assert_non_null(want);
	while ((len += fread(want + len, 1, cap - len - 1, p)) == cap - 1) {
		char *grown = realloc(want, cap * 2);
		assert_non_null(grown);
		want = grown;
		cap *= 2;
	}
	want[len] = '\0';
	assert_int_equal(pclose(p), 0);
	doc = slurp(tl_path("../docs/security.md"));
	begin = strstr(doc, "<!-- role-matrix begin -->\n");
	end = strstr(doc, "<!-- role-matrix end -->");
	assert_non_null(begin);
	assert_non_null(end);
	begin += strlen("<!-- role-matrix begin -->\n");
	*end = '\0';
	if (strcmp(begin, want) != 0)
		fail_msg("docs/security.md's role matrix is out of date: run tools/role-matrix.sh and paste it");
	free(doc);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grants_catalog_matches_the_file_both_ways),
		cmocka_unit_test(test_grants_a_privilege_outside_the_file_is_caught_and_revoked),
		cmocka_unit_test(test_grants_bad_file_lines_are_refused),
		cmocka_unit_test(test_grants_role_matrix_in_the_docs_is_current),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
