/*
 * test_tables.c - tables on narrow terminals and machine output, through
 * the real binary on a real database (issue #17): `provider list` and
 * `case list` at 60, 80, 100 and 160 columns never cut a CQC ID, a case
 * number or a date, leave the UUID out unless --wide, and say which
 * columns they hid; `provider show --format json` and `case show --format
 * json` are one object each, parsed here with jansson; yes/no columns are
 * JSON booleans; show refuses CSV before connecting.  The fitter itself,
 * without a database, is in test_output.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testlib.h"
#include "carewatch/output.h"

static const char *dbname;
static PGconn *owner;
static char case_long[32];

#define TINA "PGUSER=cwt_tina"
#define LONG_NAME "The Old Rectory Residential and Nursing Home for the Elderly"
#define LONG_CQC "1-10689647123"
#define LONG_UUID "2740ab8c-e1f2-4a3b-8c4d-5e6f7a8b9c0d"
#define OTHER_NAME "Sunrise Domiciliary Care Services (Norwich and Broadland)"
#define OTHER_CQC "1-2000000002"
#define OTHER_UUID "33333333-3333-4333-8333-333333333333"

static const int widths[] = {60, 80, 100, 160};

/* Run with COLUMNS=width (0: unset), assert the exit code, return stdout. */
static char *
run_at(int width, const char *const argv[], const char *env, int want)
{
	char cols[16];
	char *out;

	snprintf(cols, sizeof(cols), "%d", width);
	if (width > 0)
		setenv("COLUMNS", cols, 1);
	else
		unsetenv("COLUMNS");
	out = tl_run_out(argv, env, want);
	unsetenv("COLUMNS");
	return out;
}

static void
assert_contains(const char *out, const char *want, int width)
{
	if (strstr(out, want) == NULL)
		fail_msg("at %d columns, '%s' is not shown whole:\n%s", width, want, out);
}

/* No line of out wider than width. */
static void
assert_fits(const char *out, int width)
{
	char *copy = strdup(out), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (cw_display_width(line) > width)
			fail_msg("a line is %d columns wide at %d:\n%s\n\n%s", cw_display_width(line), width,
				 line, out);
	free(copy);
}

static json_t *
parse(const char *out)
{
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);

	if (j == NULL)
		fail_msg("not JSON (line %d: %s):\n%s", e.line, e.text, out);
	return j;
}

static void
script(const char *text, const char *env)
{
	char *out, *err;
	int rc = tl_run(TL_ARGV("shell"), text, &out, &err, env);

	if (rc != 0 || err[0] != '\0')
		fail_msg("setup failed (exit %d):\n%s\nstderr:\n%s", rc, text, err);
	free(out);
	free(err);
}

static int
setup(void **state)
{
	char sql[256], text[1200];

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_tables", true);
	snprintf(text, sizeof(text),
		 "db role add cwt_tina --as officer\n"
		 "officer add cwt_tina --name 'Tina Example' --fte 1 --locality north,norwich\n"
		 "provider add '" LONG_NAME "' --care-type residential --locality north"
		 " --cqc-id " LONG_CQC " --id " LONG_UUID "\n"
		 "provider add '" OTHER_NAME "' --care-type home_care --locality norwich"
		 " --cqc-id " OTHER_CQC " --id " OTHER_UUID "\n"
		 "rules activate '%s'\n", tl_path("../rules/default.rules"));
	script(text, NULL);
	script("concern add " LONG_CQC " --risk high --category medication --source family"
	       " --received '2024-05-03 18:30' --note 'Missed doses on two evenings'\n"
	       "concern add " OTHER_CQC " --risk medium --category communication"
	       " --source service_user --note 'Late calls'\n"
	       "restriction add " LONG_CQC " --kind partial --note 'Nurse staffing'"
	       " --from 2024-04-01\n"
	       "cqc add " LONG_CQC " --published 2024-03-01 --safe requires_improvement --overall good\n",
	       TINA);
	tl_scorer_drain();
	owner = tl_connect(NULL);
	snprintf(sql, sizeof(sql), "SELECT c.number FROM case_file c WHERE c.provider_id = '%s'",
		 LONG_UUID);
	snprintf(case_long, sizeof(case_long), "%s", tl_query1(owner, sql));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

static void
test_tables_provider_list_never_cuts_an_id_at_any_width(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		int w = widths[i];
		char *out = run_at(w, TL_ARGV("provider", "list"), TINA, 0);

		assert_contains(out, LONG_CQC, w);
		assert_contains(out, OTHER_CQC, w);
		assert_contains(out, "(2 rows)\n", w);
		/* The UUID is for --wide, CSV and JSON; the footer says so. */
		if (strstr(out, LONG_UUID) || strstr(out, "2740ab8c"))
			fail_msg("the UUID is shown at %d columns:\n%s", w, out);
		assert_contains(out, "; --wide or --format csv for all)\n", w);
		assert_fits(out, w);
		if (w == 60) {
			/* Too narrow for everything: the spare columns go first. */
			assert_contains(out, "\n(4 columns hidden; --wide or --format csv for all)\n", w);
			assert_null(strstr(out, "residential"));
		}
		if (w == 160) {
			/* Room for every name whole: nothing cut, only the UUID left out. */
			assert_contains(out, LONG_NAME, w);
			assert_contains(out, "residential", w);
			assert_contains(out, "(1 column hidden: ID; --wide or --format csv for all)\n", w);
			assert_null(strstr(out, "\xE2\x80\xA6"));
		}
		free(out);
	}
}

static void
test_tables_wide_shows_every_column_whole(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_at(60, TL_ARGV("provider", "list", "--wide"), TINA, 0);
	assert_contains(out, LONG_UUID, 60);
	assert_contains(out, LONG_NAME, 60);
	assert_contains(out, "residential", 60);
	assert_null(strstr(out, "hidden"));
	assert_null(strstr(out, "\xE2\x80\xA6"));
	free(out);
	/* Not a terminal and no COLUMNS: nothing to fit to, so nothing cut, but
	 * the UUID is still for --wide (given before the command word too). */
	out = run_at(0, TL_ARGV("provider", "list"), TINA, 0);
	assert_null(strstr(out, LONG_UUID));
	assert_contains(out, LONG_NAME, 0);
	assert_contains(out, "(1 column hidden: ID; --wide or --format csv for all)\n", 0);
	free(out);
	out = run_at(0, TL_ARGV("--wide", "provider", "list"), TINA, 0);
	assert_contains(out, LONG_UUID, 0);
	assert_null(strstr(out, "hidden"));
	free(out);
	/* CSV always has the UUID, whatever the width. */
	out = run_at(60, TL_ARGV("provider", "list", "--format", "csv"), TINA, 0);
	assert_contains(out, LONG_UUID, 60);
	free(out);
}

static void
test_tables_case_list_never_cuts_a_date_or_case_number(void **state)
{
	char due[32];
	char sql[200];

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(sql, sizeof(sql), "SELECT to_char(due_at AT TIME ZONE 'Europe/London',"
		 " 'YYYY-MM-DD HH24:MI') FROM case_file WHERE number = %s", case_long);
	snprintf(due, sizeof(due), "%s", tl_query1(owner, sql));
	assert_true(strlen(due) == 16);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		int w = widths[i];
		char *out = run_at(w, TL_ARGV("case", "list"), TINA, 0);
		char line[64];

		assert_contains(out, due, w);
		/* The case number, right-aligned, then the provider. */
		snprintf(line, sizeof(line), " %s  The Old Rec", case_long);
		assert_contains(out, line, w);
		assert_fits(out, w);
		free(out);
	}
}

static void
test_tables_provider_show_json_is_one_object(void **state)
{
	json_t *j, *cases, *tl, *cqc, *rest;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_at(60, TL_ARGV("provider", "show", LONG_CQC, "--format", "json"), TINA, 0);
	j = parse(out);
	assert_true(json_is_object(j));
	assert_string_equal(json_string_value(json_object_get(j, "id")), LONG_UUID);
	assert_string_equal(json_string_value(json_object_get(j, "name")), LONG_NAME);
	/* Codes, not the table's labels; numbers are numbers, the flag a boolean. */
	assert_string_equal(json_string_value(json_object_get(j, "care_type")), "residential");
	assert_string_equal(json_string_value(json_object_get(j, "locality")), "north");
	assert_string_equal(json_string_value(json_object_get(j, "cqc_location_id")), LONG_CQC);
	assert_true(json_is_null(json_object_get(j, "organisation")));
	assert_true(json_is_null(json_object_get(j, "beds")));
	assert_true(json_is_number(json_object_get(j, "score")));
	assert_true(json_is_boolean(json_object_get(j, "restriction_flag")));
	cases = json_object_get(j, "open_cases");
	assert_true(json_is_array(cases));
	assert_int_equal(json_array_size(cases), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(cases, 0), "case")),
			 atol(case_long));
	assert_string_equal(json_string_value(json_object_get(json_array_get(cases, 0), "risk")), "high");
	rest = json_object_get(j, "restrictions_and_notices");
	assert_int_equal(json_array_size(rest), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rest, 0), "from")),
			    "2024-04-01");
	assert_true(json_is_null(json_object_get(json_array_get(rest, 0), "to")));
	cqc = json_object_get(j, "cqc_ratings");
	assert_int_equal(json_array_size(cqc), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cqc, 1), "domain")), "safe");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cqc, 1), "rating")),
			    "requires_improvement");
	tl = json_object_get(j, "timeline");
	assert_true(json_is_array(tl));
	assert_true(json_array_size(tl) >= 3);
	assert_int_equal(json_integer_value(json_object_get(j, "timeline_total")), (json_int_t)json_array_size(tl));
	json_decref(j);
	free(out);
	/* --limit cuts the timeline, and timeline_total says how long it is. */
	out = run_at(0, TL_ARGV("provider", "show", LONG_CQC, "--format", "json", "--limit", "1"), TINA, 0);
	j = parse(out);
	assert_int_equal(json_array_size(json_object_get(j, "timeline")), 1);
	assert_true(json_integer_value(json_object_get(j, "timeline_total")) >= 3);
	json_decref(j);
	free(out);
}

static void
test_tables_case_show_json_is_one_object(void **state)
{
	json_t *j, *hist;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_at(0, TL_ARGV("case", "show", case_long, "--format", "json"), TINA, 0);
	j = parse(out);
	assert_true(json_is_object(j));
	assert_int_equal(json_integer_value(json_object_get(j, "case")), atol(case_long));
	assert_string_equal(json_string_value(json_object_get(j, "provider")), LONG_NAME);
	assert_string_equal(json_string_value(json_object_get(j, "provider_id")), LONG_UUID);
	assert_string_equal(json_string_value(json_object_get(j, "risk")), "high");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "open");
	assert_string_equal(json_string_value(json_object_get(j, "officer")), "cwt_tina");
	assert_string_equal(json_string_value(json_object_get(j, "concern_category")), "medication");
	assert_string_equal(json_string_value(json_object_get(j, "concern_summary")),
			    "Missed doses on two evenings");
	/* What has not happened is null, not "-". */
	assert_true(json_is_null(json_object_get(j, "responded")));
	assert_true(json_is_null(json_object_get(j, "closed")));
	assert_true(json_is_string(json_object_get(j, "due")));
	assert_true(json_is_string(json_object_get(j, "due_explained")));
	hist = json_object_get(j, "history");
	assert_true(json_is_array(hist));
	assert_true(json_array_size(hist) >= 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 0), "event")), "opened");
	json_decref(j);
	free(out);
}

static void
test_tables_yes_no_columns_are_json_booleans(void **state)
{
	json_t *j, *o;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_at(0, TL_ARGV("officer", "list", "--format", "json"), TINA, 0);
	j = parse(out);
	o = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(o, "login")), "cwt_tina");
	assert_true(json_is_false(json_object_get(o, "on_leave")));
	assert_true(json_is_true(json_object_get(o, "active")));
	assert_true(json_is_true(json_object_get(o, "takes_cases")));
	json_decref(j);
	free(out);
	/* CSV and the table keep yes / no. */
	out = run_at(0, TL_ARGV("officer", "list", "--format", "csv"), TINA, 0);
	assert_non_null(strstr(out, ",no,yes,yes\n"));
	free(out);
}

static void
test_tables_show_refuses_csv_before_connecting(void **state)
{
	static const char *const words[2][2] = {{"provider", "x"}, {"case", "1"}};
	char *out, *err, want[200];

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tl_run(TL_ARGV(words[i][0], "show", words[i][1], "--format", "csv"), NULL,
					&out, &err, "PGHOST=/nonexistent-carewatch"), 2);
		snprintf(want, sizeof(want), "carewatch: error: invalid output format 'csv' for"
			 " 'carewatch %s show' (expected table or json)\n", words[i][0]);
		assert_string_equal(out, "");
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("stderr:\n%s\nexpected:\n%s", err, want);
		free(out);
		free(err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_provider_list_never_cuts_an_id_at_any_width),
		cmocka_unit_test(test_tables_wide_shows_every_column_whole),
		cmocka_unit_test(test_tables_case_list_never_cuts_a_date_or_case_number),
		cmocka_unit_test(test_tables_provider_show_json_is_one_object),
		cmocka_unit_test(test_tables_case_show_json_is_one_object),
		cmocka_unit_test(test_tables_yes_no_columns_are_json_booleans),
		cmocka_unit_test(test_tables_show_refuses_csv_before_connecting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
