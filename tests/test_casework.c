/*
 * test_casework.c - a case's state machine and its history, through the
 * real binary, as officers and the quality manager make mistakes.
 *
 * A closed case takes no response until it is reopened with a reason; only
 * the case's officer or the manager works it; `case show` lists every step
 * (opened, assigned, responded, closed, reopened) with who, strictly in the
 * order it happened; times that have not happened yet are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define ANNA "PGUSER=cwt_cw_anna"
#define BEN "PGUSER=cwt_cw_ben"
#define MGR "PGUSER=cwt_cw_mgr"

static const char *dbname;
static PGconn *owner;

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_casework", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cw_anna", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cw_ben", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cw_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_cw_anna", "--name", "Anna", "--fte", "1",
				"--locality", "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_cw_ben", "--name", "Ben", "--fte", "1",
				"--locality", "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Quay House", "--care-type", "residential",
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

/* A response visit is entered once: `visit add P --case N` is the visit and
 * the case's response; a wrong case or a closed one writes nothing; a retry
 * with --id writes neither twice. */
static void
test_casework_visit_add_with_case_is_the_response_too(void **state)
{
	const char *id = "44444444-4444-4444-8444-444444444444";
	char num[16], msg[256], *out;
	long visits, responses;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("concern", "add", "Quay House", "--risk", "high", "--category", "staffing",
				"--source", "family", "--note", "Agency staff"), ANNA, 0));
	snprintf(num, sizeof(num), "%s", tl_query1(owner, "SELECT max(number) FROM case_file"));
	free(tl_run_out(TL_ARGV("provider", "add", "Wharf Lodge", "--care-type", "residential", "--locality",
				"east"), ANNA, 0));
	visits = tl_count(owner, "SELECT count(*) FROM visit");
	responses = tl_count(owner, "SELECT count(*) FROM case_response");
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is not Wharf Lodge's\n", num);
	run_fails(TL_ARGV("visit", "add", "Wharf Lodge", "--kind", "response", "--outcome", "no_concerns",
			  "--case", num), ANNA, 2, msg);
	run_fails(TL_ARGV("visit", "add", "Quay House", "--kind", "response", "--outcome", "no_concerns",
			  "--case", "999999"), ANNA, 5, "carewatch: error: no case 999999\n");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM visit"), visits);
	for (int i = 0; i < 2; i++) {
		out = tl_run_out(TL_ARGV("visit", "add", "Quay House", "--kind", "response", "--outcome",
					 "no_concerns", "--note", "Rota seen", "--case", num, "--id", id), ANNA, 0);
		snprintf(msg, sizeof(msg), i == 0 ? "recorded the visit as case %s's response\n"
						   : "already recorded: the visit as case %s's response (nothing written)\n",
			 num);
		assert_non_null(strstr(out, msg));
		free(out);
	}
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM visit"), visits + 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_response"), responses + 1);
	assert_string_equal(tl_query1(owner, "SELECT state FROM case_file WHERE number = (SELECT max(number)"
					     " FROM case_file)"), "responded");
	free(tl_run_out(TL_ARGV("case", "close", num, "--note", "Settled"), ANNA, 0));
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is closed: nothing recorded\n"
		 "hint: 'carewatch case reopen %s --note TEXT' first, if it needs a response\n", num, num);
	run_fails(TL_ARGV("visit", "add", "Quay House", "--kind", "response", "--outcome", "no_concerns",
			  "--case", num), ANNA, 7, msg);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM visit"), visits + 1);
}

static void
test_casework_closed_case_needs_reopening_with_a_reason(void **state)
{
	char *out;
	char num[16], msg[256];
	long events;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("concern", "add", "Quay House", "--risk", "high", "--category", "staffing",
				"--source", "family", "--note", "Night staffing"), ANNA, 0));
	snprintf(num, sizeof(num), "%s", tl_query1(owner, "SELECT max(number) FROM case_file"));
	free(tl_run_out(TL_ARGV("case", "respond", num, "--kind", "phone", "--note", "Called the manager"),
			ANNA, 0));
	/* Ben does not hold the case. */
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is assigned to 'cwt_cw_anna'; closing a case"
		 " is for its officer or the quality manager\n", num);
	run_fails(TL_ARGV("case", "close", num, "--note", "Not mine"), BEN, 4, msg);
	free(tl_run_out(TL_ARGV("case", "close", num, "--note", "Staffing restored"), ANNA, 0));
	/* Closed: no response, no second close, until reopened. */
	events = tl_count(owner, "SELECT count(*) FROM case_event");
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is closed; it takes no more responses\n", num);
	run_fails(TL_ARGV("case", "respond", num, "--kind", "visit", "--note", "Late"), ANNA, 7, msg);
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is already closed\n", num);
	run_fails(TL_ARGV("case", "close", num, "--note", "Again"), ANNA, 7, msg);
	run_fails(TL_ARGV("case", "reopen", num), ANNA, 2, "carewatch: error: missing --note TEXT\n");
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is assigned to 'cwt_cw_anna'; reopening a case"
		 " is for its officer or the quality manager\n", num);
	run_fails(TL_ARGV("case", "reopen", num, "--note", "Mine now"), BEN, 4, msg);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_event"), events);
	/* The manager reopens it for Anna: back to responded, closure cleared. */
	out = tl_run_out(TL_ARGV("case", "reopen", num, "--note", "Family rang again"), MGR, 0);
	snprintf(msg, sizeof(msg), "reopened case %s\n", num);
	assert_string_equal(out, msg);
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT state || ' ' || (closed_at IS NULL)::text || ' '"
					     " || (closure_note IS NULL)::text FROM case_file"
					     " WHERE number = (SELECT max(number) FROM case_file)"),
			    "responded true true");
	snprintf(msg, sizeof(msg), "carewatch: error: case %s is not closed\n", num);
	run_fails(TL_ARGV("case", "reopen", num, "--note", "Twice"), MGR, 7, msg);
	free(tl_run_out(TL_ARGV("case", "respond", num, "--kind", "visit", "--note", "Visited"), ANNA, 0));
	free(tl_run_out(TL_ARGV("case", "close", num, "--note", "Resolved at visit"), ANNA, 0));
	/* Every step, with who, in the order it happened (one minute or not). */
	out = tl_run_out(TL_ARGV("case", "show", num), ANNA, 0);
	{
		static const char *const steps[] = {
			"opened     high risk (by cwt_cw_anna)",
			"assigned   cwt_cw_anna (lowest_load, by cwt_cw_anna)",
			"responded  phone: Called the manager (by cwt_cw_anna)",
			"closed     Staffing restored (by cwt_cw_anna)",
			"reopened   Family rang again (by cwt_cw_mgr)",
			"responded  visit: Visited (by cwt_cw_anna)",
			"closed     Resolved at visit (by cwt_cw_anna)",
		};
		const char *at = strstr(out, "\nHistory\n");
		assert_non_null(at);
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			const char *next = strstr(at, steps[i]);
			if (next == NULL)
				fail_msg("step %zu '%s' missing or out of order in:\n%s", i, steps[i], out);
			at = next + 1;
		}
	}
	free(out);
}

static void
test_casework_times_not_yet_come_are_refused(void **state)
{
	long concerns;

	(void)state;
	if (!tl_db_available())
		skip();
	concerns = tl_count(owner, "SELECT count(*) FROM concern");
	run_fails(TL_ARGV("concern", "add", "Quay House", "--risk", "high", "--category", "staffing",
			  "--source", "family", "--received", "2099-12-25 09:00", "--note", "Christmas"),
		  ANNA, 2, "carewatch: error: received 2099-12-25 09:00 GMT is in the future (at the latest now)\n");
	run_fails(TL_ARGV("safeguarding", "add", "Quay House", "--category", "neglect", "--referred",
			  "2099-01-01"),
		  ANNA, 2, "carewatch: error: referred 2099-01-01 is in the future (at the latest today)\n");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), concerns);
	/* psql gets the same answer from the table. */
	{
		PGconn *c = tl_connect("cwt_cw_anna");
		PGresult *r = PQexec(c, "INSERT INTO concern (id, provider_id, risk, category, source,"
				     " safeguarding, received_at, summary) SELECT gen_random_uuid(), id, 'low',"
				     " 'other', 'public', false, '2099-12-25', 'Christmas' FROM provider");
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
		PQclear(r);
		PQfinish(c);
	}
	/* yesterday and today are dates; a restriction may be planned ahead. */
	free(tl_run_out(TL_ARGV("ipc", "add", "Quay House", "--result", "compliant", "--date", "yesterday"),
			ANNA, 0));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM ipc_inspection WHERE inspected_on ="
				     " (now() AT TIME ZONE 'Europe/London')::date - 1"), 1);
	free(tl_run_out(TL_ARGV("restriction", "add", "Quay House", "--kind", "partial", "--note",
				"Planned", "--from", "today", "--to", "2099-01-31"), ANNA, 0));
	assert_false(tl_server_log_contains("Christmas"));
}

/* The seed's team shape (2017/18): six QA officers on 5.3 FTE, two market
 * assurance officers and the quality manager.  Only the QA officers take
 * cases: new cases go to them, and the balance is over their 5.3 FTE. */
static void
test_casework_caseload_counts_only_those_who_take_cases(void **state)
{
	static const struct {
		const char *login, *fte, *post;
	} team[] = {
		{"cwt_sq_a", "1", NULL}, {"cwt_sq_b", "1", NULL}, {"cwt_sq_c", "1", NULL},
		{"cwt_sq_d", "1", NULL}, {"cwt_sq_e", "0.8", NULL}, {"cwt_sq_f", "0.5", NULL},
		{"cwt_sq_mao1", "1", "market_assurance"}, {"cwt_sq_mao2", "1", "market_assurance"},
		{"cwt_sq_qm", "1", "quality_manager"},
	};
	static const char *const risks[] = {"high", "high", "high", "high", "medium", "medium"};
	char saved[64], *out;
	const char *seed;
	PGconn *c;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(saved, sizeof(saved), "%s", getenv("PGDATABASE"));
	seed = tl_db_create("cwt_casework_team", true);
	for (size_t i = 0; i < sizeof(team) / sizeof(team[0]); i++) {
		if (team[i].post)
			free(tl_run_out(TL_ARGV("officer", "add", team[i].login, "--name", "Member", "--fte",
						team[i].fte, "--locality", "north", "--post", team[i].post),
					NULL, 0));
		else
			free(tl_run_out(TL_ARGV("officer", "add", team[i].login, "--name", "Member", "--fte",
						team[i].fte, "--locality", "north"), NULL, 0));
	}
	free(tl_run_out(TL_ARGV("provider", "add", "Seed Court", "--care-type", "residential",
				"--locality", "north"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	for (size_t i = 0; i < sizeof(risks) / sizeof(risks[0]); i++)
		free(tl_run_out(TL_ARGV("concern", "add", "Seed Court", "--risk", risks[i], "--category",
					"staffing", "--source", "public", "--note", "Seed"), NULL, 0));
	c = tl_connect(NULL);
	/* Nobody who takes no cases was given one. */
	assert_int_equal(tl_count(c, "SELECT count(*) FROM case_file WHERE assigned_to IN"
				     " ('cwt_sq_mao1', 'cwt_sq_mao2', 'cwt_sq_qm')"), 0);
	assert_int_equal(tl_count(c, "SELECT count(*) FROM case_file WHERE assigned_to IS NULL"), 0);
	PQfinish(c);
	out = tl_run_out(TL_ARGV("caseload", "--format", "csv"), NULL, 0);
	/* By hand: 4 high x 1.5 + 2 medium x 1 = 8.00 over 5.3 FTE = 1.51 per FTE. */
	assert_non_null(strstr(out, "\nTEAM,5.30,0,2,4,0,6,8.00,1.51,"));
	/* Listed apart, after the balance and the queue. */
	assert_non_null(strstr(strstr(out, "\n(unassigned),"),
			       "\ncwt_sq_mao1,1.00,0,0,0,0,0,0.00,,,,,0,takes no cases (market assurance)\n"
			       "cwt_sq_mao2,1.00,0,0,0,0,0,0.00,,,,,0,takes no cases (market assurance)\n"
			       "cwt_sq_qm,1.00,0,0,0,0,0,0.00,,,,,0,takes no cases (quality manager)\n"));
	free(out);
	out = tl_run_out(TL_ARGV("officer", "list", "--format", "csv"), NULL, 0);
	assert_non_null(strstr(out, "\ncwt_sq_mao1,Member,market_assurance,1.00,north,no,yes,no\n"));
	assert_non_null(strstr(out, "\ncwt_sq_a,Member,qa_officer,1.00,north,no,yes,yes\n"));
	free(out);
	/* A market assurance officer who does take cases, by choice. */
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_sq_mao2", "--name", "Member", "--fte", "1",
				"--locality", "north", "--post", "market_assurance", "--takes-cases", "yes"),
			NULL, 0));
	out = tl_run_out(TL_ARGV("caseload", "--format", "csv"), NULL, 0);
	assert_non_null(strstr(out, "\nTEAM,6.30,0,2,4,0,6,8.00,1.27,"));
	free(out);
	tl_db_drop(seed);
	setenv("PGDATABASE", saved, 1);
}

/* `case assign` by hand: not to someone who could not take the case,
 * unless forced with a reason, which the history keeps. */
static void
test_casework_assign_refuses_who_cannot_take_it_unless_forced(void **state)
{
	char num[16], msg[256], *out;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("concern", "add", "Quay House", "--risk", "medium", "--category", "other",
				"--source", "public", "--note", "To move"), ANNA, 0));
	snprintf(num, sizeof(num), "%s", tl_query1(owner, "SELECT max(number) FROM case_file"));
	/* Ben covers the west; Quay House is in the east. */
	snprintf(msg, sizeof(msg), "carewatch: error: case %s cannot go to 'cwt_cw_ben': does not cover the"
		 " locality (force it, with a reason)\n", num);
	run_fails(TL_ARGV("case", "assign", num, "--officer", "cwt_cw_ben"), MGR, 7, msg);
	run_fails(TL_ARGV("case", "assign", num, "--officer", "cwt_cw_ben", "--force"), MGR, 2,
		  "carewatch: error: missing --note TEXT\n");
	run_fails(TL_ARGV("case", "assign", num, "--officer", "cwt_cw_ben", "--note", "Cover"), MGR, 2,
		  "carewatch: error: --note goes with --force\n");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE assigned_to = 'cwt_cw_ben'"), 0);
	/* Anna on leave over the due date: refused too. */
	free(tl_run_out(TL_ARGV("case", "assign", num, "--unassign"), MGR, 0));
	free(tl_run_out(TL_ARGV("officer", "leave", "cwt_cw_anna", "--from", "today", "--to", "2099-12-31"),
			MGR, 0));
	snprintf(msg, sizeof(msg), "carewatch: error: case %s cannot go to 'cwt_cw_anna': is on leave on the"
		 " day it is due (force it, with a reason)\n", num);
	run_fails(TL_ARGV("case", "assign", num, "--officer", "cwt_cw_anna"), MGR, 7, msg);
	out = tl_run_out(TL_ARGV("case", "assign", num, "--officer", "cwt_cw_ben", "--force", "--note",
				 "Covering the east while Anna is away"), MGR, 0);
	free(out);
	out = tl_run_out(TL_ARGV("case", "show", num), MGR, 0);
	assert_non_null(strstr(out, "  cwt_cw_ben (manual, by cwt_cw_mgr): Covering the east while Anna is away\n"));
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT note FROM case_assignment WHERE officer = 'cwt_cw_ben'"),
			    "Covering the east while Anna is away");
}

/* No silent truncation: a cut list says how many it cut and how to see all. */
static void
test_casework_case_list_says_when_it_is_cut(void **state)
{
	char want[128], *out;
	long n;

	(void)state;
	if (!tl_db_available())
		skip();
	n = tl_count(owner, "SELECT count(*) FROM case_file");
	assert_true(n >= 2);
	out = tl_run_out(TL_ARGV("case", "list", "--limit", "1"), ANNA, 0);
	snprintf(want, sizeof(want), "\n(showing 1 of %ld; --limit 0 for all)\n", n);
	assert_non_null(strstr(out, want));
	free(out);
	out = tl_run_out(TL_ARGV("case", "list", "--limit", "0"), ANNA, 0);
	snprintf(want, sizeof(want), "\n(%ld rows)\n", n);
	assert_non_null(strstr(out, want));
	free(out);
	run_fails(TL_ARGV("case", "list", "--limit", "some"), ANNA, 2,
		  "carewatch: error: invalid limit 'some' (expected a whole number)\n");
	/* provider show's timeline the same way. */
	n = tl_count(owner, "SELECT (SELECT count(*) FROM concern) + (SELECT count(*) FROM ipc_inspection)"
			    " + (SELECT count(*) FROM restriction) + (SELECT count(*) FROM safeguarding)"
			    " + (SELECT count(*) FROM visit)");
	assert_true(n > 2);
	out = tl_run_out(TL_ARGV("provider", "show", "Quay House", "--limit", "2"), ANNA, 0);
	snprintf(want, sizeof(want), "\n(showing 2 of %ld; --limit 0 for all)\n", n);
	assert_non_null(strstr(out, want));
	free(out);
	out = tl_run_out(TL_ARGV("provider", "show", "Quay House", "--limit", "0"), ANNA, 0);
	assert_null(strstr(out, "(showing"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_casework_closed_case_needs_reopening_with_a_reason),
		cmocka_unit_test(test_casework_visit_add_with_case_is_the_response_too),
		cmocka_unit_test(test_casework_times_not_yet_come_are_refused),
		cmocka_unit_test(test_casework_caseload_counts_only_those_who_take_cases),
		cmocka_unit_test(test_casework_assign_refuses_who_cannot_take_it_unless_forced),
		cmocka_unit_test(test_casework_case_list_says_when_it_is_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
