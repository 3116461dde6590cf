/*
 * test_record.c - the case engine end to end through the real binary:
 * every intelligence kind round-trips; a bad value in each field is refused
 * naming the field, with nothing written; the same UUID twice stores once;
 * an officer cannot UPDATE or DELETE intelligence or audit rows; every write
 * leaves one audit row naming the role.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define ALICE "PGUSER=cwt_alice"

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_record", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_alice", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_mary", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_alice", "--name", "Alice Example", "--fte", "1",
		       "--locality", "north,west"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Ashfield House", "--care-type", "residential",
		       "--locality", "north", "--cqc-id", "1-1010701645", "--beds", "40",
		       "--id", "11111111-1111-4111-8111-111111111111"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Ashfield Lodge", "--care-type", "nursing",
		       "--locality", "west"), NULL, 0));
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

/* One command per kind, and the row it must leave (checked by SQL). */
static const struct {
	const char *argv[24];
	const char *check;
} kinds[] = {
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "medication",
	  "--source", "family", "--safeguarding", "--received", "2024-05-03 18:30",
	  "--note", "Missed medication on two evenings", NULL},
	 "SELECT count(*) FROM concern WHERE risk = 'high' AND category = 'medication'"
	 " AND source = 'family' AND safeguarding AND summary = 'Missed medication on two evenings'"
	 " AND received_at = '2024-05-03 17:30:00+00' AND recorded_by = 'cwt_alice'"},
	{{"visit", "add", "1-1010701645", "--kind", "response", "--outcome", "minor_concerns",
	  "--date", "2024-05-07 10:00", "--note", "Spoke to the manager", NULL},
	 "SELECT count(*) FROM visit WHERE kind = 'response' AND outcome = 'minor_concerns'"
	 " AND notes = 'Spoke to the manager'"},
	{{"safeguarding", "add", "Ashfield House", "--category", "resident_on_resident",
	  "--outcome", "substantiated", "--referred", "2024-04-02", "--mash-ref", "MASH/2024/17", NULL},
	 "SELECT count(*) FROM safeguarding WHERE category = 'resident_on_resident'"
	 " AND outcome = 'substantiated' AND referred_on = '2024-04-02' AND mash_ref = 'MASH/2024/17'"},
	{{"cqc", "add", "Ashfield House", "--published", "2024-03-01", "--inspected", "2024-01-15",
	  "--safe", "requires_improvement", "--well-led", "inadequate", "--overall",
	  "requires_improvement", NULL},
	 "SELECT count(*) FROM cqc_rating WHERE published_on = '2024-03-01'"
	 " AND inspected_on = '2024-01-15' AND ((domain = 'safe' AND rating = 'requires_improvement')"
	 " OR (domain = 'well_led' AND rating = 'inadequate')"
	 " OR (domain = 'overall' AND rating = 'requires_improvement'))"},
	{{"ipc", "add", "Ashfield House", "--result", "partially_compliant", "--score", "78",
	  "--date", "2024-02-20", NULL},
	 "SELECT count(*) FROM ipc_inspection WHERE result = 'partially_compliant' AND score = 78"},
	{{"survey", "add", "Ashfield House", "--satisfaction", "82", "--respondents", "23", NULL},
	 "SELECT count(*) FROM survey WHERE satisfaction = 82 AND respondents = 23"},
	{{"notice", "add", "Ashfield House", "--kind", "performance", "--note",
	  "Late care plans", "--issued", "2024-04-10", NULL},
	 "SELECT count(*) FROM performance_notice WHERE kind = 'performance' AND issued_on = '2024-04-10'"},
	{{"restriction", "add", "Ashfield House", "--kind", "all", "--note", "Safeguarding",
	  "--from", "2024-04-11", NULL},
	 "SELECT count(*) FROM restriction WHERE kind = 'all' AND starts_on = '2024-04-11'"},
	{{"loss", "add", "Ashfield Lodge", "--kind", "nursing_deregistration", "--beds", "12",
	  "--date", "2024-01-31", NULL},
	 "SELECT count(*) FROM provider_loss WHERE kind = 'nursing_deregistration' AND beds_lost = 12"},
};

static void
test_record_each_kind_round_trips(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		long expect = strcmp(kinds[i].argv[0], "cqc") == 0 ? 3 : 1;
		free(tl_run_out(kinds[i].argv, ALICE, 0));
		if (tl_count(owner, kinds[i].check) != expect)
			fail_msg("%s: expected %ld row(s) from: %s", kinds[i].argv[0], expect, kinds[i].check);
	}
	/* The concern opened a case. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file c JOIN concern k"
					 " ON k.id = c.concern_id WHERE c.risk = 'high'"), 1);
	/* Lifting the restriction is a record too. */
	free(tl_run_out(TL_ARGV("restriction", "lift", "Ashfield House", "--on", "2024-06-01", "--note", "Improved"),
	       ALICE, 0));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM restriction_lift WHERE lifted_on = '2024-06-01'"), 1);
}

/* A bad value in each field: the exact message, exit 2, and no row. */
static const struct {
	const char *argv[20];
	const char *message;
} bad[] = {
	{{"concern", "add", "Ashfield House", "--risk", "urgent", "--category", "medication",
	  "--source", "family", "--note", "x", NULL},
	 "carewatch: error: invalid risk level 'urgent' (expected low, medium, high or very_high)\n"},
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "food",
	  "--source", "family", "--note", "x", NULL},
	 "carewatch: error: invalid concern category 'food' (expected care_practice, medication, "
	 "staffing, environment, management, communication, infection_control, nutrition or other)\n"},
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "medication",
	  "--source", "neighbour", "--note", "x", NULL},
	 "carewatch: error: invalid concern source 'neighbour' (expected family, service_user, public, "
	 "professional, health, provider, cqc, whistleblower, anonymous or other)\n"},
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "medication",
	  "--source", "family", "--received", "2018-02-30 10:00", "--note", "x", NULL},
	 "carewatch: error: invalid received time '2018-02-30 10:00' (February 2018 has 28 days)\n"},
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "medication",
	  "--source", "family", "--note", "   ", NULL},
	 "carewatch: error: note is empty\n"},
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "medication",
	  "--source", "family", NULL},
	 "carewatch: error: missing --note TEXT\n"},
	{{"concern", "add", "Nowhere Manor", "--risk", "high", "--category", "medication",
	  "--source", "family", "--note", "x", NULL},
	 "carewatch: error: no provider matches 'Nowhere Manor'\n"},
	{{"visit", "add", "Ashfield House", "--kind", "social", "--outcome", "no_concerns", NULL},
	 "carewatch: error: invalid visit kind 'social' (expected routine, response or pamms)\n"},
	{{"visit", "add", "Ashfield House", "--kind", "routine", "--outcome", "fine", NULL},
	 "carewatch: error: invalid visit outcome 'fine' (expected no_concerns, minor_concerns, "
	 "significant_concerns or serious_concerns)\n"},
	{{"safeguarding", "add", "Ashfield House", "--category", "theft", NULL},
	 "carewatch: error: invalid safeguarding category 'theft' (expected resident_on_resident, "
	 "medication_error, neglect, financial_abuse, physical_abuse_by_staff, sexual_abuse, "
	 "abuse_by_service_user or other)\n"},
	{{"safeguarding", "add", "Ashfield House", "--category", "neglect", "--outcome", "proven", NULL},
	 "carewatch: error: invalid safeguarding outcome 'proven' (expected open, substantiated, "
	 "partially_substantiated, not_substantiated or inconclusive)\n"},
	{{"cqc", "add", "Ashfield House", "--published", "2024-03-01", "--overall", "excellent", NULL},
	 "carewatch: error: invalid CQC rating 'excellent' (expected outstanding, good, "
	 "requires_improvement or inadequate)\n"},
	{{"cqc", "add", "Ashfield House", "--published", "01/03/2024", "--overall", "good", NULL},
	 "carewatch: error: invalid published date '01/03/2024' (expected YYYY-MM-DD)\n"},
	{{"ipc", "add", "Ashfield House", "--result", "compliant", "--score", "101", NULL},
	 "carewatch: error: score 101 is out of range (0 to 100)\n"},
	{{"ipc", "add", "Ashfield House", "--result", "passed", NULL},
	 "carewatch: error: invalid IPC result 'passed' (expected compliant, partially_compliant or "
	 "non_compliant)\n"},
	{{"survey", "add", "Ashfield House", "--satisfaction", "eighty", "--respondents", "3", NULL},
	 "carewatch: error: invalid satisfaction 'eighty' (expected a whole number)\n"},
	{{"survey", "add", "Ashfield House", "--satisfaction", "80", "--respondents", "0", NULL},
	 "carewatch: error: respondents 0 is out of range (1 to 100000)\n"},
	{{"notice", "add", "Ashfield House", "--kind", "warning", "--note", "x", NULL},
	 "carewatch: error: invalid notice kind 'warning' (expected improvement, performance or default)\n"},
	{{"restriction", "add", "Ashfield House", "--kind", "some", "--note", "x", NULL},
	 "carewatch: error: invalid restriction kind 'some' (expected all or partial)\n"},
	{{"loss", "add", "Ashfield House", "--kind", "fire", NULL},
	 "carewatch: error: invalid loss kind 'fire' (expected closure, nursing_deregistration or "
	 "beds_lost)\n"},
	{{"loss", "add", "Ashfield House", "--kind", "beds_lost", "--beds", "-3", NULL},
	 "carewatch: error: beds -3 is out of range (0 to 10000)\n"},
	{{"concern", "add", "Ashfield House", "--risk", "high", "--category", "medication",
	  "--source", "family", "--note", "x", "--id", "not-a-uuid", NULL},
	 "carewatch: error: invalid --id 'not-a-uuid' (expected a UUID)\n"},
};

static const char count_all_sql[] =
	"SELECT (SELECT count(*) FROM concern) + (SELECT count(*) FROM visit)"
	" + (SELECT count(*) FROM safeguarding) + (SELECT count(*) FROM cqc_rating)"
	" + (SELECT count(*) FROM ipc_inspection) + (SELECT count(*) FROM survey)"
	" + (SELECT count(*) FROM performance_notice) + (SELECT count(*) FROM restriction)"
	" + (SELECT count(*) FROM provider_loss) + (SELECT count(*) FROM case_file)"
	" + (SELECT count(*) FROM audit_log)";

static void
test_record_bad_values_are_refused_and_write_nothing(void **state)
{
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = tl_count(owner, count_all_sql);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out, *err;
		int rc = tl_run(bad[i].argv, NULL, &out, &err, ALICE);
		int want = strstr(bad[i].message, "no provider") ? 5 : 2;

		if (rc != want || strncmp(err, bad[i].message, strlen(bad[i].message)) != 0)
			fail_msg("case %zu (%s %s): exit %d, stderr:\n%s\nexpected exit %d and:\n%s", i,
				 bad[i].argv[0], bad[i].argv[3], rc, err, want, bad[i].message);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
	assert_int_equal(tl_count(owner, count_all_sql), before);
}

static void
test_record_ambiguous_provider_lists_candidates(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("ipc", "add", "ashfield", "--result", "compliant"), NULL, &out,
				&err, ALICE), 5);
	assert_non_null(strstr(err, "carewatch: error: provider 'ashfield' is ambiguous: 2 matches\n"));
	assert_non_null(strstr(err, "detail: Ashfield House (residential, north, 1-1010701645); "
				    "Ashfield Lodge (nursing, west)\n"));
	free(out);
	free(err);
}

/* "today" and "yesterday" are taken wherever a date is, a time field
 * included (the day's midnight, London time). */
static void
test_record_today_and_yesterday_for_a_time(void **state)
{
	const char *id = "33333333-3333-4333-8333-333333333333";

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("visit", "add", "Ashfield Lodge", "--kind", "routine", "--outcome",
				"no_concerns", "--date", "yesterday", "--id", id), ALICE, 0));
	assert_string_equal(tl_query1(owner, "SELECT (visited_at AT TIME ZONE 'Europe/London')::text"
					     " = ((now() AT TIME ZONE 'Europe/London')::date - 1)::text || ' 00:00:00'"
					     " FROM visit WHERE id = '33333333-3333-4333-8333-333333333333'"),
			    "t");
}

static void
test_record_same_uuid_twice_stores_once(void **state)
{
	const char *id = "22222222-2222-4222-8222-222222222222";
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tl_run(TL_ARGV("concern", "add", "Ashfield Lodge", "--risk", "medium",
						"--category", "staffing", "--source", "anonymous",
						"--note", "Night shift short-staffed", "--id", id),
					NULL, &out, &err, ALICE), 0);
		if (i == 0)
			assert_non_null(strstr(out, "recorded concern 22222222-2222-4222-8222-222222222222 for Ashfield Lodge\n"));
		else
			assert_string_equal(out, "already recorded: concern 22222222-2222-4222-8222-222222222222"
						 " for Ashfield Lodge (nothing written)\n");
		free(out);
		free(err);
	}
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern WHERE id = '22222222-2222-4222-8222-222222222222'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE concern_id = '22222222-2222-4222-8222-222222222222'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'concern'"
					 " AND row_id = '22222222-2222-4222-8222-222222222222'"), 1);
}

static void
test_record_officer_cannot_alter_intelligence_or_audit(void **state)
{
	static const char *const sql[] = {
		"UPDATE concern SET risk = 'low'",
		"DELETE FROM concern",
		"UPDATE safeguarding SET outcome = 'not_substantiated'",
		"DELETE FROM cqc_rating",
		"UPDATE visit SET outcome = 'no_concerns'",
		"DELETE FROM restriction_lift",
		"UPDATE audit_log SET role = 'someone'",
		"DELETE FROM audit_log",
		"INSERT INTO audit_log (tbl, row_id, op, change) VALUES ('x', 'y', 'INSERT', '{}')",
		"TRUNCATE concern",
	};
	PGconn *alice, *mary;

	(void)state;
	if (!tl_db_available())
		skip();
	alice = tl_connect("cwt_alice");
	mary = tl_connect("cwt_mary");
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		PGconn *who[2] = {alice, mary};
		for (int w = 0; w < 2; w++) {
			PGresult *r = PQexec(who[w], sql[i]);
			const char *state_ = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (state_ == NULL || strcmp(state_, "42501") != 0)
				fail_msg("%s as %s: expected permission denied, got %s", sql[i],
					 w ? "manager" : "officer", state_ ? state_ : "success");
			PQclear(r);
		}
	}
	PQfinish(alice);
	PQfinish(mary);
}

static void
test_record_each_write_is_audited_with_its_role(void **state)
{
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'survey'");
	free(tl_run_out(TL_ARGV("survey", "add", "Ashfield Lodge", "--satisfaction", "91", "--respondents", "11",
		       "--id", "33333333-3333-4333-8333-333333333333"), ALICE, 0));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'survey'"), before + 1);
	assert_string_equal(tl_query1(owner, "SELECT role || ' ' || op || ' ' || (change->>'satisfaction')"
					     " FROM audit_log WHERE tbl = 'survey'"
					     " AND row_id = '33333333-3333-4333-8333-333333333333'"),
			    "cwt_alice INSERT 91");
	/* Free text is audited by length, never copied into the audit trail. */
	free(tl_run_out(TL_ARGV("concern", "add", "Ashfield Lodge", "--risk", "low", "--category", "other",
		       "--source", "public", "--note", "Secret details about a named person",
		       "--id", "44444444-4444-4444-8444-444444444444"), ALICE, 0));
	assert_string_equal(tl_query1(owner, "SELECT change->>'summary' FROM audit_log WHERE tbl = 'concern'"
					     " AND row_id = '44444444-4444-4444-8444-444444444444'"),
			    "<text, 35 chars>");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE change::text LIKE '%Secret%'"), 0);
}

static void
test_record_provider_show_and_case_work(void **state)
{
	char *out, *err;
	char number[32];

	(void)state;
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("provider", "show", "1-1010701645"), NULL, &out, &err, ALICE), 0);
	assert_non_null(strstr(out, "Ashfield House\n  care type    Residential\n  locality     North\n"));
	assert_non_null(strstr(out, "Open cases"));
	assert_non_null(strstr(out, "Latest CQC ratings"));
	assert_non_null(strstr(out, "Well-led  Inadequate"));
	assert_non_null(strstr(out, "high risk, medication, safeguarding: Missed medication on two evenings"));
	free(out);
	free(err);
	snprintf(number, sizeof(number), "%s",
		 tl_query1(owner, "SELECT c.number FROM case_file c JOIN provider p ON p.id = c.provider_id"
				  " WHERE p.name = 'Ashfield House' AND c.risk = 'high'"));
	assert_int_equal(tl_run(TL_ARGV("worklist", "--officer", "cwt_alice", "--format", "csv"), NULL, &out, &err, ALICE), 0);
	assert_non_null(strstr(out, "case,provider,risk,state,opened,due,officer,status\n"));
	assert_non_null(strstr(out, ",Ashfield House,high,open,"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("case", "respond", number, "--kind", "phone", "--at",
					"2024-05-07 09:15", "--note", "Called the manager"),
				NULL, &out, &err, ALICE), 0);
	free(out);
	free(err);
	/* Received Fri 3 May 2024 18:30, high risk (5 working days), with the
	 * early May bank holiday on Monday 6th: due Mon 13 May 23:59 BST. */
	assert_string_equal(tl_query1(owner, "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
					     " FROM case_file c JOIN provider p ON p.id = c.provider_id"
					     " WHERE p.name = 'Ashfield House' AND c.risk = 'high'"),
			    "2024-05-13 22:59:59");
	assert_string_equal(tl_query1(owner, "SELECT state || ' ' || to_char(responded_at AT TIME ZONE 'UTC',"
					     " 'YYYY-MM-DD HH24:MI') FROM case_file c JOIN provider p"
					     " ON p.id = c.provider_id WHERE p.name = 'Ashfield House' AND c.risk = 'high'"),
			    "responded 2024-05-07 08:15");
	assert_int_equal(tl_run(TL_ARGV("case", "close", number, "--note", "Resolved"), NULL, &out, &err, ALICE), 0);
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("case", "close", number, "--note", "Again"), NULL, &out, &err, ALICE), 7);
	assert_non_null(strstr(err, "is already closed"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("case", "show", "999999"), NULL, &out, &err, ALICE), 5);
	assert_string_equal(err, "carewatch: error: no case 999999\n");
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_each_kind_round_trips),
		cmocka_unit_test(test_record_provider_show_and_case_work),
		cmocka_unit_test(test_record_bad_values_are_refused_and_write_nothing),
		cmocka_unit_test(test_record_ambiguous_provider_lists_candidates),
		cmocka_unit_test(test_record_same_uuid_twice_stores_once),
		cmocka_unit_test(test_record_today_and_yesterday_for_a_time),
		cmocka_unit_test(test_record_officer_cannot_alter_intelligence_or_audit),
		cmocka_unit_test(test_record_each_write_is_audited_with_its_role),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
