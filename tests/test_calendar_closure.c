/*
 * test_calendar_closure.c - `carewatch calendar closure add | list | remove`
 * through the real binary as the quality manager and an officer, and the
 * table and functions behind it over raw libpq (schema/022_closure_days.sql).
 *
 * Only the manager changes closure days, only through the api functions
 * (no INSERT or DELETE on closure_day for anyone's role), only on weekdays
 * that are neither bank holidays nor gone; a retried add writes nothing; a
 * removal is audited with who and keeps its note; and a case opened after a
 * closure day is added gets a due time that skips it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/calendar.h"
#include "testlib.h"

#define MGR "PGUSER=cwt_cl_mgr"
#define OFF "PGUSER=cwt_cl_off"

static const char *dbname;
static PGconn *owner;

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_closure", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cl_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cl_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cl_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_cl_off", "--name", "Olive", "--fte", "1",
				"--locality", "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Harbour View", "--care-type", "residential",
				"--locality", "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* Run the binary; assert its exit code, stderr and an empty stdout. */
static void
run_fails(const char *const argv[], const char *env, int code, const char *message)
{
	char *out, *err;

	assert_int_equal(tl_run(argv, NULL, &out, &err, env), code);
	assert_string_equal(err, message);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

/* A statement as role over raw libpq: its SQLSTATE ("" for success) and
 * primary message, in static buffers. */
static const char *
attempt(const char *role, const char *sql, const char **msg)
{
	static char state[8], text[512];
	PGconn *c = tl_connect(role);
	PGresult *r = PQexec(c, sql);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	snprintf(state, sizeof(state), "%s", s ? s : "");
	snprintf(text, sizeof(text), "%s", m ? m : "");
	if (msg)
		*msg = text;
	PQclear(r);
	PQfinish(c);
	return state;
}

static long
closures(void)
{
	return tl_count(owner, "SELECT count(*) FROM closure_day");
}

static void
test_calendar_closure_is_for_the_quality_manager(void **state)
{
	static const char *const people[] = {"cwt_cl_off", "cwt_cl_ro"};
	const char *msg;
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-03-04", "--note", "Training"), OFF, 4,
		  "carewatch: error: adding closure days is for the quality manager\n");
	/* The refusal names who may, never the table. */
	assert_int_equal(tl_run(TL_ARGV("calendar", "closure", "add", "2099-03-04", "--note", "Training"),
				NULL, &out, &err, OFF), 4);
	assert_null(strstr(err, "closure_day"));
	free(out);
	free(err);
	assert_int_equal(closures(), 0);
	/* psql gets the same answers, and no way round them. */
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		assert_string_equal(attempt(people[i], "SELECT api.closure_add('2099-03-04', 'Training')", &msg),
				    "42501");
		assert_string_equal(msg, "adding closure days is for the quality manager");
		assert_string_equal(attempt(people[i], "SELECT api.closure_remove('2099-03-04', 'Oops')", &msg),
				    "42501");
		assert_string_equal(msg, "removing closure days is for the quality manager");
		assert_string_equal(attempt(people[i], "INSERT INTO closure_day VALUES ('2099-03-04', 'Training')",
					    NULL), "42501");
		assert_string_equal(attempt(people[i], "DELETE FROM closure_day", NULL), "42501");
	}
	/* The manager too has no INSERT or DELETE of the table itself. */
	assert_string_equal(attempt("cwt_cl_mgr", "INSERT INTO closure_day VALUES ('2099-03-07', 'Saturday')",
				    NULL), "42501");
	assert_int_equal(tl_count(owner, "INSERT INTO closure_day VALUES ('2099-03-05', 'Owner')"
				  " RETURNING 1"), 1);
	assert_string_equal(attempt("cwt_cl_mgr", "DELETE FROM closure_day WHERE day = '2099-03-05'", NULL),
			    "42501");
	assert_string_equal(attempt("cwt_cl_mgr", "UPDATE closure_day SET reason = 'x'", NULL), "42501");
	assert_int_equal(closures(), 1);
	assert_int_equal(tl_count(owner, "DELETE FROM closure_day RETURNING 1"), 1);
	/* Every role may still read them. */
	assert_string_equal(attempt("cwt_cl_ro", "SELECT day, reason FROM closure_day", NULL), "");
}

static void
test_calendar_closure_add_list_remove_round_trip(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("calendar", "closure", "add", "2099-03-04", "--note", "Staff training day"),
			 MGR, 0);
	assert_string_equal(out, "added closure day 2099-03-04 (cases opened from now on skip it; open cases"
				 " keep their due times)\n");
	free(out);
	free(tl_run_out(TL_ARGV("calendar", "closure", "add", "2099-03-06", "--note", "Council election count"),
			MGR, 0));
	/* The default is from today on; the officer may read the list. */
	out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--format", "csv"), OFF, 0);
	assert_string_equal(out, "day,weekday,reason\n2099-03-04,Wednesday,Staff training day\n"
				 "2099-03-06,Friday,Council election count\n");
	free(out);
	out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--from", "2099-03-05", "--format", "csv"), OFF, 0);
	assert_string_equal(out, "day,weekday,reason\n2099-03-06,Friday,Council election count\n");
	free(out);
	out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--year", "2098", "--format", "csv"), OFF, 0);
	assert_string_equal(out, "day,weekday,reason\n");
	free(out);
	out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--year", "2099"), OFF, 0);
	assert_non_null(strstr(out, "2099-03-04  Wednesday  Staff training day"));
	assert_non_null(strstr(out, "\n2 closure days in 2099\n"));
	free(out);
	run_fails(TL_ARGV("calendar", "closure", "list", "--year", "99"), OFF, 2,
		  "carewatch: error: invalid year '99' (expected YYYY, e.g. 2027)\n");

	/* Removing says why; the removal is audited with who, the note kept. */
	run_fails(TL_ARGV("calendar", "closure", "remove", "2099-03-04"), MGR, 2,
		  "carewatch: error: missing --note TEXT\n");
	out = tl_run_out(TL_ARGV("calendar", "closure", "remove", "2099-03-04", "--note", "Training moved online"),
			 MGR, 0);
	assert_string_equal(out, "removed closure day 2099-03-04 (cases opened from now on count it as a"
				 " working day; open cases keep their due times)\n");
	free(out);
	out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--format", "csv"), OFF, 0);
	assert_string_equal(out, "day,weekday,reason\n2099-03-06,Friday,Council election count\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT role || ' ' || op || ' ' || (change ->> 'reason')"
					     " FROM audit_log WHERE tbl = 'closure_day' AND row_id = '2099-03-04'"
					     " AND op = 'DELETE'"),
			    "cwt_cl_mgr DELETE <text, 18 chars>");
	assert_string_equal(tl_query1(owner, "SELECT role FROM audit_log WHERE tbl = 'closure_day'"
					     " AND row_id = '2099-03-04' AND op = 'INSERT'"),
			    "cwt_cl_mgr");
	assert_string_equal(tl_query1(owner, "SELECT concat_ws('|', day, reason, note, recorded_by)"
					     " FROM closure_day_removal"),
			    "2099-03-04|Staff training day|Training moved online|cwt_cl_mgr");
	assert_false(tl_server_log_contains("Training moved online"));
	free(tl_run_out(TL_ARGV("calendar", "closure", "remove", "2099-03-06", "--note", "Count elsewhere"),
			MGR, 0));
	assert_int_equal(closures(), 0);
}

static void
test_calendar_closure_weekends_bank_holidays_and_the_past_are_refused(void **state)
{
	const char *msg;

	(void)state;
	if (!tl_db_available())
		skip();
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-03-07", "--note", "Saturday"), MGR, 2,
		  "carewatch: error: 2099-03-07 is a Saturday, never a working day: closure days are Monday"
		  " to Friday\n");
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-03-08", "--note", "Sunday"), MGR, 2,
		  "carewatch: error: 2099-03-08 is a Sunday, never a working day: closure days are Monday"
		  " to Friday\n");
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-12-25", "--note", "Christmas"), MGR, 2,
		  "carewatch: error: 2099-12-25 is a bank holiday (Christmas Day), never a working day:"
		  " closure days are the council's own\n");
	run_fails(TL_ARGV("calendar", "closure", "add", "2024-05-07", "--note", "Training"), MGR, 2,
		  "carewatch: error: 2024-05-07 is in the past: closure days are changed from today on\n"
		  "hint: cases opened then keep the due times counted from the calendar of the time\n");
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-02-30", "--note", "Training"), MGR, 2,
		  "carewatch: error: invalid closure date '2099-02-30' (February 2099 has 28 days)\n");
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-03-04"), MGR, 2,
		  "carewatch: error: missing --note TEXT\n");
	assert_int_equal(closures(), 0);
	/* The same from psql. */
	assert_string_equal(attempt("cwt_cl_mgr", "SELECT api.closure_add('2099-03-07', 'Saturday')", &msg),
			    "22023");
	assert_string_equal(msg, "2099-03-07 is a Saturday, never a working day: closure days are Monday to"
				 " Friday");
	assert_string_equal(attempt("cwt_cl_mgr", "SELECT api.closure_add('2024-05-07', 'Gone')", &msg),
			    "22023");
	assert_string_equal(attempt("cwt_cl_mgr", "SELECT api.closure_add('2099-03-04', E'two\\nlines')", &msg),
			    "22023");
	assert_int_equal(closures(), 0);
	/* A day already gone is not removed either: due times were set from it. */
	assert_int_equal(tl_count(owner, "INSERT INTO closure_day VALUES ('2024-05-08', 'Old training day')"
				  " RETURNING 1"), 1);
	run_fails(TL_ARGV("calendar", "closure", "remove", "2024-05-08", "--note", "Tidy up"), MGR, 2,
		  "carewatch: error: 2024-05-08 is in the past: closure days are changed from today on\n"
		  "hint: cases opened then keep the due times counted from the calendar of the time\n");
	assert_int_equal(closures(), 1);
	/* ...but listed for its year. */
	{
		char *out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--year", "2024", "--format", "csv"),
				       MGR, 0);
		assert_string_equal(out, "day,weekday,reason\n2024-05-08,Wednesday,Old training day\n");
		free(out);
		out = tl_run_out(TL_ARGV("calendar", "closure", "list", "--format", "csv"), MGR, 0);
		assert_string_equal(out, "day,weekday,reason\n");
		free(out);
	}
	assert_int_equal(tl_count(owner, "DELETE FROM closure_day RETURNING 1"), 1);
}

static void
test_calendar_closure_add_is_safe_to_retry(void **state)
{
	long audited;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("calendar", "closure", "add", "2099-03-05", "--note", "Office move"), MGR, 0));
	audited = tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'closure_day'");
	out = tl_run_out(TL_ARGV("calendar", "closure", "add", "2099-03-05", "--note", "Office move"), MGR, 0);
	assert_string_equal(out, "2099-03-05 is already a closure day for that reason (nothing written)\n");
	free(out);
	run_fails(TL_ARGV("calendar", "closure", "add", "2099-03-05", "--note", "Something else"), MGR, 7,
		  "carewatch: error: 2099-03-05 is already a closure day, for another reason\n"
		  "hint: remove it first to give it another reason\n");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'closure_day'"), audited);
	assert_string_equal(tl_query1(owner, "SELECT reason FROM closure_day WHERE day = '2099-03-05'"),
			    "Office move");
	/* Removing a day that is not a closure day: not found. */
	run_fails(TL_ARGV("calendar", "closure", "remove", "2099-03-04", "--note", "Mistyped"), MGR, 5,
		  "carewatch: error: 2099-03-04 is not a closure day\n");
	free(tl_run_out(TL_ARGV("calendar", "closure", "remove", "2099-03-05", "--note", "Move postponed"), MGR, 0));
	run_fails(TL_ARGV("calendar", "closure", "remove", "2099-03-05", "--note", "Move postponed"), MGR, 5,
		  "carewatch: error: 2099-03-05 is not a closure day\n");
	assert_int_equal(closures(), 0);
}

/* A very high risk concern is due at the end of the first working day after
 * it is received; with that day closed, the next one. */
static void
test_calendar_closure_new_case_due_time_skips_it(void **state)
{
	struct cw_date today = cw_london_date((cw_time)time(NULL));
	struct cw_date first = cw_calendar_next_working_day(NULL, today);
	struct cw_date second = cw_calendar_next_working_day(NULL, first);
	char day[CW_DATE_LEN], want[CW_DATE_LEN];
	const char *due_sql = "SELECT to_char(due_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD')"
			      " FROM case_file WHERE number = (SELECT max(number) FROM case_file)";

	(void)state;
	if (!tl_db_available())
		skip();
	cw_date_format(first, day, sizeof(day));
	/* Without the closure: the first working day. */
	free(tl_run_out(TL_ARGV("concern", "add", "Harbour View", "--risk", "very_high", "--category",
				"staffing", "--source", "family", "--note", "Before the closure"), OFF, 0));
	assert_string_equal(tl_query1(owner, due_sql), day);
	free(tl_run_out(TL_ARGV("calendar", "closure", "add", day, "--note", "Snow day"), MGR, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Harbour View", "--risk", "very_high", "--category",
				"staffing", "--source", "family", "--note", "After the closure"), OFF, 0));
	cw_date_format(second, want, sizeof(want));
	assert_string_equal(tl_query1(owner, due_sql), want);
	/* The first case keeps its due time. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE (due_at AT TIME ZONE"
				  " 'Europe/London')::date = (SELECT min(day) FROM closure_day)"), 1);
	free(tl_run_out(TL_ARGV("calendar", "closure", "remove", day, "--note", "Roads cleared"), MGR, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_closure_is_for_the_quality_manager),
		cmocka_unit_test(test_calendar_closure_add_list_remove_round_trip),
		cmocka_unit_test(test_calendar_closure_weekends_bank_holidays_and_the_past_are_refused),
		cmocka_unit_test(test_calendar_closure_add_is_safe_to_retry),
		cmocka_unit_test(test_calendar_closure_new_case_due_time_skips_it),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
