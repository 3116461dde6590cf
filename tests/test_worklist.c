/*
 * test_worklist.c - the worklist end to end through the real binary: who a
 * new case goes to (leave, locality cover, continuity, FTE weighting,
 * nobody eligible); deadlines that explain themselves across a bank holiday
 * and a closure day; the response report's exact percentage; `caseload`
 * figures, `--suggest` reaching the 15% band or saying why not, `--apply`
 * moving the cases with audit rows (its batches and --undo:
 * test_caseload_batch.c); the month-end counts, recomputed in
 * place and joining a caller's transaction.
 *
 * Each test has a database of its own (cloned from the migrated template).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "carewatch/db.h"
#include "carewatch/worklist.h"

static PGconn *owner;
static const char *dbname;

#define MARY "PGUSER=cww_mary"
#define OLLY "PGUSER=cww_olly"

static int
run(const char *const argv[], const char *env, char **out)
{
	char *o, *e;
	int rc = tl_run(argv, NULL, &o, &e, env);

	if (rc != 0)
		fprintf(stderr, "exit %d from %s %s\nstdout: %s\nstderr: %s\n", rc, argv[0],
			argv[1] ? argv[1] : "", o, e);
	free(e);
	if (out)
		*out = o;
	else
		free(o);
	return rc;
}

static void
run_ok(const char *const argv[], const char *env)
{
	assert_int_equal(run(argv, env, NULL), 0);
}

/* stdout of a command that must succeed (caller frees). */
static char *
output(const char *const argv[], const char *env)
{
	char *out;

	assert_int_equal(run(argv, env, &out), 0);
	return out;
}

static void
sql(const char *q)
{
	(void)tl_query1(owner, q);
}

static void
contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL) {
		fprintf(stderr, "expected to find:\n%s\nin:\n%s\n", needle, hay);
		fail();
	}
}

static int
db_setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cww", true);
	run_ok(TL_ARGV("db", "role", "add", "cww_mary", "--as", "manager"), NULL);
	run_ok(TL_ARGV("db", "role", "add", "cww_olly", "--as", "officer"), NULL);
	run_ok(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL);
	owner = tl_connect(NULL);
	return 0;
}

/* The counts the triggers keep (caseload_count) equal a recount of the
 * cases, whatever the test did to them. */
static void
counts_agree(void)
{
	if (tl_count(owner, "SELECT count(*) FROM ("
			    " (SELECT holder, risk, open FROM caseload_count WHERE open <> 0"
			    "  EXCEPT SELECT coalesce(assigned_to, ''), risk, count(*)::int FROM case_file"
			    "  WHERE state <> 'closed' GROUP BY 1, 2)"
			    " UNION ALL"
			    " (SELECT coalesce(assigned_to, ''), risk, count(*)::int FROM case_file"
			    "  WHERE state <> 'closed' GROUP BY 1, 2"
			    "  EXCEPT SELECT holder, risk, open FROM caseload_count WHERE open <> 0)) d") != 0)
		fail_msg("caseload_count disagrees with the cases: %s",
			 tl_query1(owner, "SELECT string_agg(holder || '/' || risk || '=' || open, ' ')"
					  " FROM caseload_count"));
}

static int
db_teardown(void **state)
{
	(void)state;
	if (owner)
		PQfinish(owner);
	owner = NULL;
	if (dbname)
		tl_db_drop(dbname);
	dbname = NULL;
	return 0;
}

static void
provider(const char *name, const char *care_type, const char *locality)
{
	run_ok(TL_ARGV("provider", "add", name, "--care-type", care_type, "--locality", locality), NULL);
}

static void
concern(const char *prov, const char *risk, const char *received)
{
	if (received)
		run_ok(TL_ARGV("concern", "add", prov, "--risk", risk, "--category", "care_practice",
			       "--source", "family", "--received", received, "--note", "Test concern"),
		       NULL);
	else
		run_ok(TL_ARGV("concern", "add", prov, "--risk", risk, "--category", "care_practice",
			       "--source", "family", "--note", "Test concern"),
		       NULL);
}

/* The officer a provider's newest case went to, or "" when unassigned. */
static const char *
holder(const char *prov)
{
	static char buf[64];
	char q[256];

	snprintf(q, sizeof(q),
		 "SELECT coalesce(c.assigned_to, '') FROM case_file c JOIN provider p ON p.id = c.provider_id"
		 " WHERE p.name = '%s' ORDER BY c.number DESC LIMIT 1", prov);
	snprintf(buf, sizeof(buf), "%s", tl_query1(owner, q));
	return buf;
}

static char today_minus1[16], today_plus10[16];

static void
leave_dates(void)
{
	snprintf(today_minus1, sizeof(today_minus1), "%s",
		 tl_query1(owner, "SELECT ((now() AT TIME ZONE 'Europe/London')::date - 1)::text"));
	snprintf(today_plus10, sizeof(today_plus10), "%s",
		 tl_query1(owner, "SELECT ((now() AT TIME ZONE 'Europe/London')::date + 10)::text"));
}

/* Leave, locality cover, continuity, FTE weighting, ties, nobody eligible:
 * each concern logged through the binary opens a case and assigns it. */
static void
test_worklist_assignment_through_the_binary(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	leave_dates();
	run_ok(TL_ARGV("officer", "add", "alice", "--name", "Alice", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "bob", "--name", "Bob", "--fte", "0.5", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "carol", "--name", "Carol", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "dave", "--name", "Dave", "--fte", "1", "--locality", "west"), NULL);
	run_ok(TL_ARGV("officer", "add", "erin", "--name", "Erin", "--fte", "1", "--locality", "south"), NULL);
	run_ok(TL_ARGV("officer", "leave", "carol", "--from", today_minus1, "--to", today_plus10), NULL);
	run_ok(TL_ARGV("officer", "leave", "erin", "--from", today_minus1, "--to", today_plus10), NULL);
	provider("North 1", "residential", "north");
	provider("North 2", "residential", "north");
	provider("North 3", "nursing", "north");
	provider("North 4", "home_care", "north");
	provider("North 5", "residential", "north");
	provider("North 6", "residential", "north");
	provider("West 1", "residential", "west");
	provider("South 1", "residential", "south");
	provider("East 1", "residential", "east");

	/* FTE weighting (high = 1.5 each; bob is half time).  Step by step:
	 * 0/1 ties 0/0.5 and 0 ties 0 load: login order, alice (1.5 per FTE);
	 * bob 0 < 1.5: bob (3.0); alice 1.5 < 3.0: alice (3.0); tied at 3.0,
	 * bob's lower load (1.5 against 3.0): bob (6.0); then alice twice.
	 * Carol, on leave, gets nothing although she has the lowest load. */
	concern("North 1", "high", NULL);
	assert_string_equal(holder("North 1"), "alice");
	concern("North 2", "high", NULL);
	assert_string_equal(holder("North 2"), "bob");
	concern("North 3", "high", NULL);
	assert_string_equal(holder("North 3"), "alice");
	concern("North 4", "high", NULL);
	assert_string_equal(holder("North 4"), "bob");
	concern("North 5", "high", NULL);
	assert_string_equal(holder("North 5"), "alice");
	concern("North 6", "high", NULL);
	assert_string_equal(holder("North 6"), "alice");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE assigned_to = 'carol'"), 0);

	/* Continuity: alice and bob are both at 6.0 per FTE and least-loaded
	 * would pick bob (lower load), but alice holds North 1's open case. */
	concern("North 1", "medium", NULL);
	assert_string_equal(holder("North 1"), "alice");
	assert_string_equal(tl_query1(owner, "SELECT a.reason FROM case_assignment a JOIN case_file c"
					     " ON c.id = a.case_id ORDER BY c.number DESC LIMIT 1"),
			    "continuity");

	/* Locality cover: only dave covers west, whatever the loads. */
	concern("West 1", "very_high", NULL);
	assert_string_equal(holder("West 1"), "dave");

	/* Nobody eligible: erin covers south but is on leave; nobody covers
	 * east.  Both wait in the unassigned queue, never forced on anyone. */
	concern("South 1", "high", NULL);
	assert_string_equal(holder("South 1"), "");
	concern("East 1", "medium", NULL);
	assert_string_equal(holder("East 1"), "");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment WHERE reason = 'unassigned'"), 2);
	out = output(TL_ARGV("case", "list", "--unassigned", "--format", "csv"), NULL);
	contains(out, ",South 1,high,open,");
	contains(out, ",East 1,medium,open,");
	free(out);

	/* The caseload sees the same: the queue, carol on leave. */
	out = output(TL_ARGV("caseload"), MARY);
	contains(out, "unassigned queue: 2 cases waiting");
	contains(out, "on leave to ");
	free(out);

	/* The worklist: alice's cases by due time. */
	out = output(TL_ARGV("worklist", "--officer", "alice", "--format", "csv"), NULL);
	contains(out, ",North 1,high,open,");
	contains(out, ",North 6,high,open,");
	free(out);
	counts_agree();
}

/* A concern received on the Friday evening before the early May bank
 * holiday with a one-working-day target is due at the end of Tuesday, and
 * `case show` says why; a closure day on that Tuesday moves it to Wednesday. */
static void
test_worklist_deadline_explains_itself_across_a_bank_holiday(void **state)
{
	char *out;
	char number[24];

	(void)state;
	if (!tl_db_available())
		skip();
	provider("Holiday House", "residential", "north");
	provider("Closure Court", "residential", "north");
	concern("Holiday House", "very_high", "2024-05-03 18:30");
	assert_string_equal(tl_query1(owner, "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
					     " FROM case_file"),
			    "2024-05-07 22:59:59");
	snprintf(number, sizeof(number), "%s", tl_query1(owner, "SELECT number FROM case_file"));
	out = output(TL_ARGV("case", "show", number), NULL);
	contains(out, "  due        2024-05-07 23:59 BST\n"
		      "             due Tue 7 May 2024 23:59 BST: 1 working day after Fri 3 May 2024,"
		      " not counting Mon 6 May 2024 (Early May bank holiday); the target for very high risk is"
		      " 1 working day\n");
	free(out);

	/* A council closure on the Tuesday (data, not code) pushes the next
	 * such concern to Wednesday, and the explanation names it. */
	sql("INSERT INTO closure_day (day, reason) VALUES ('2024-05-07', 'Staff training day')");
	concern("Closure Court", "very_high", "2024-05-03 19:00");
	assert_string_equal(tl_query1(owner, "SELECT to_char(c.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
					     " FROM case_file c JOIN provider p ON p.id = c.provider_id"
					     " WHERE p.name = 'Closure Court'"),
			    "2024-05-08 22:59:59");
	snprintf(number, sizeof(number), "%s",
		 tl_query1(owner, "SELECT c.number FROM case_file c JOIN provider p ON p.id = c.provider_id"
				  " WHERE p.name = 'Closure Court'"));
	out = output(TL_ARGV("case", "show", number), NULL);
	contains(out, "due Wed 8 May 2024 23:59 BST: 1 working day after Fri 3 May 2024, not counting"
		      " Mon 6 May 2024 (Early May bank holiday), Tue 7 May 2024 (Staff training day)");
	free(out);
	/* The first case keeps the due time it was given; its explanation now
	 * says the calendar changed after it was set. */
	snprintf(number, sizeof(number), "%s",
		 tl_query1(owner, "SELECT c.number FROM case_file c JOIN provider p ON p.id = c.provider_id"
				  " WHERE p.name = 'Holiday House'"));
	out = output(TL_ARGV("case", "show", number), NULL);
	contains(out, "  due        2024-05-07 23:59 BST\n");
	contains(out, "as set when the case was opened");
	free(out);

	/* In the May report it is answered on time at 17:00 on the Tuesday. */
	run_ok(TL_ARGV("case", "respond", number, "--kind", "visit", "--at", "2024-05-07 17:00"), NULL);
	out = output(TL_ARGV("response", "--month", "2024-05", "--format", "csv"), NULL);
	contains(out, "very_high,2,1,0,1,0,0,50.0\n");
	free(out);
	counts_agree();
}

/* The newest case's number (static buffer). */
static const char *
newest(void)
{
	return tl_query1(owner, "SELECT max(number) FROM case_file");
}

static void
respond(const char *at)
{
	char number[24];

	snprintf(number, sizeof(number), "%s", newest());
	run_ok(TL_ARGV("case", "respond", number, "--kind", "phone", "--at", at), NULL);
}

/* June 2024: five answered on time, one late, one still open past due, one
 * closed after its due time without a response; one closed before its due
 * time unanswered (a duplicate) is not counted, a low-risk case has no
 * target and one due in July is not June's.  5 of 8 = 62.5%; in the north
 * 4 of 7 = 57.1%. */
static void
test_worklist_response_month_gives_the_exact_percentage(void **state)
{
	char *out;
	char number[24], atrisk[24];

	(void)state;
	if (!tl_db_available())
		skip();
	provider("June North", "residential", "north");
	provider("June West", "home_care", "west");
	/* high: 5 working days, medium 10, very high 1 (rules/default.rules). */
	concern("June North", "high", "2024-06-03 10:00");       /* due Mon 10 Jun */
	respond("2024-06-07 09:00");                              /* on time */
	concern("June North", "high", "2024-06-03 11:00");       /* due Mon 10 Jun */
	respond("2024-06-10 16:00");                              /* on time, the same day */
	concern("June North", "medium", "2024-06-03 12:00");     /* due Mon 17 Jun */
	respond("2024-06-14 12:00");                              /* on time */
	concern("June North", "very_high", "2024-06-12 09:00");  /* due Thu 13 Jun */
	respond("2024-06-13 23:30");                              /* on time, late evening */
	concern("June West", "very_high", "2024-06-12 09:30");   /* due Thu 13 Jun */
	respond("2024-06-12 15:00");                              /* on time (west) */
	concern("June North", "high", "2024-06-10 10:00");       /* due Mon 17 Jun */
	respond("2024-06-18 10:00");                              /* late by one working day */
	concern("June North", "very_high", "2024-06-11 10:00");  /* due Wed 12 Jun: never answered */
	concern("June North", "high", "2024-06-04 10:00");       /* due Tue 11 Jun */
	snprintf(number, sizeof(number), "%s", newest());
	run_ok(TL_ARGV("case", "close", number, "--note", "Closed without a response"), NULL);
	concern("June North", "high", "2024-06-05 10:00");       /* due Wed 12 Jun */
	snprintf(number, sizeof(number), "%s", newest());
	run_ok(TL_ARGV("case", "close", number, "--note", "Duplicate of an earlier concern"), NULL);
	/* Closed on the 6th, before its due time, unanswered: not counted. */
	sql("UPDATE case_file SET closed_at = '2024-06-06 12:00+01' WHERE number = (SELECT max(number) FROM case_file)");
	concern("June North", "low", "2024-06-05 10:00");        /* no target */
	concern("June North", "very_high", "2024-06-28 17:00");  /* due Mon 1 Jul */

	out = output(TL_ARGV("response", "--month", "2024-06", "--format", "csv"), NULL);
	assert_string_equal(out,
			    "risk,due,on_time,late,open_past_due,closed_unanswered,not_yet_due,on_time_pct\n"
			    "medium,1,1,0,0,0,0,100.0\n"
			    "high,4,2,1,0,1,0,50.0\n"
			    "very_high,3,2,0,1,0,0,66.7\n"
			    "all,8,5,1,1,1,0,62.5\n");
	free(out);
	out = output(TL_ARGV("response", "--month", "2024-06", "--locality", "North", "--format", "csv"), NULL);
	contains(out, "all,7,4,1,1,1,0,57.1\n");
	free(out);
	out = output(TL_ARGV("response", "--month", "2024-07", "--format", "csv"), NULL);
	contains(out, "all,1,0,0,1,0,0,0.0\n");
	free(out);

	/* The breaches, by due time, with working days late. */
	out = output(TL_ARGV("response", "--month", "2024-06", "--breaches", "--format", "csv"), NULL);
	contains(out, "case,provider,locality,risk,officer,due,responded,outcome,working_days\n");
	contains(out, ",June North,north,high,(unassigned),2024-06-11 23:59,,closed_unanswered,\n");
	contains(out, ",June North,north,very_high,(unassigned),2024-06-12 23:59,,open_past_due,");
	contains(out, ",June North,north,high,(unassigned),2024-06-17 23:59,2024-06-18 10:00,late,1\n");
	assert_non_null(strstr(out, "closed_unanswered") < strstr(out, "open_past_due") ? out : NULL);
	free(out);

	/* The table says it in words against the 90% target. */
	out = output(TL_ARGV("response", "--month", "2024-06"), NULL);
	contains(out, "Response times: cases due in 2024-06 (all localities), target 90% on time");
	contains(out, "62.5% on time (5 of 8) against the target of 90%: below target");
	contains(out, "Breaches: cases due in 2024-06 not answered on time (3)");
	free(out);

	/* At risk now: a very high concern logged now is due by the end of the
	 * next working day with no response yet; a high one (5 days) is not. */
	concern("June West", "very_high", NULL);
	snprintf(atrisk, sizeof(atrisk), "%s", newest());
	concern("June North", "high", NULL);
	out = output(TL_ARGV("response", "--at-risk", "--format", "csv"), NULL);
	{
		char line[64];
		snprintf(line, sizeof(line), "\n%s,June West,west,very_high,", atrisk);
		contains(out, line);
	}
	assert_null(strstr(out, "June North"));
	free(out);

	/* Bad input names the field. */
	assert_int_equal(tl_run(TL_ARGV("response", "--month", "2024-13"), NULL, &out, NULL, NULL), 2);
	free(out);
	{
		char *err;
		assert_int_equal(tl_run(TL_ARGV("response", "--locality", "atlantis"), NULL, &out, &err, NULL), 2);
		contains(err, "carewatch: error: unknown locality 'atlantis' (expected east, north, norwich, south or west)\n");
		free(out);
		free(err);
	}
	counts_agree();
}

/* A skewed team by SQL: amy (1.0) holds 12 medium cases, one per provider;
 * ben (1.0) 3, one of them overdue; cat (0.5) none; dan is on leave. */
static void
skewed_team(void)
{
	leave_dates();
	run_ok(TL_ARGV("officer", "add", "amy", "--name", "Amy", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "ben", "--name", "Ben", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "cat", "--name", "Cat", "--fte", "0.5", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "dan", "--name", "Dan", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "leave", "dan", "--from", today_minus1, "--to", today_plus10), NULL);
	sql("INSERT INTO provider (id, name, care_type, locality)"
	    " SELECT gen_random_uuid(), 'Skew ' || g, 'residential', 'north' FROM generate_series(1, 15) g");
	sql("INSERT INTO case_file (id, provider_id, risk, title, opened_at, due_at, assigned_to)"
	    " SELECT gen_random_uuid(), p.id, 'medium', 'Skewed', now() - interval '1 day',"
	    "  CASE WHEN p.name = 'Skew 15' THEN now() - interval '1 hour' ELSE now() + interval '5 days' END,"
	    "  CASE WHEN p.name IN ('Skew 13', 'Skew 14', 'Skew 15') THEN 'ben' ELSE 'amy' END"
	    " FROM provider p WHERE p.name LIKE 'Skew %' ORDER BY substr(p.name, 6)::int");
}

static void
test_worklist_caseload_figures(void **state)
{
	char *out, expect[1024];

	(void)state;
	if (!tl_db_available())
		skip();
	skewed_team();
	/* Loads 12, 3, 0 (medium weighs 1); available FTE 2.5; mean 6.0 per FTE;
	 * imbalance 12 / 6 = 2.00; shares of 15 against FTE / 2.5. */
	out = output(TL_ARGV("caseload", "--format", "csv"), NULL);
	snprintf(expect, sizeof(expect),
		 "officer,fte,low,medium,high,very_high,open,load,load_per_fte,share_pct,fair_share_pct,"
		 "vs_mean,overdue,status\n"
		 "amy,1.00,0,12,0,0,12,12.00,12.00,80.0,40.0,2.00,0,above band\n"
		 "ben,1.00,0,3,0,0,3,3.00,3.00,20.0,40.0,0.50,1,below band\n"
		 "cat,0.50,0,0,0,0,0,0.00,0.00,0.0,20.0,0.00,0,below band\n"
		 "dan,1.00,0,0,0,0,0,0.00,0.00,0.0,0.0,,0,on leave to %s\n"
		 "TEAM,2.50,0,15,0,0,15,15.00,6.00,100.0,100.0,2.00,1,3 outside 15%%\n"
		 "(unassigned),,0,0,0,0,0,0.00,,,,,0,\n",
		 today_plus10);
	assert_string_equal(out, expect);
	free(out);
	out = output(TL_ARGV("caseload"), NULL);
	contains(out, "imbalance 2.00 (most loaded available officer / team mean of 6.00 per FTE);"
		      " 0 of 3 available officers within 15% (5.10 to 6.90)\nunassigned queue: empty\n");
	free(out);
	/* A former officer with nothing left is not listed. */
	sql("UPDATE officer SET active = false WHERE login = 'dan'");
	out = output(TL_ARGV("caseload", "--format", "csv"), NULL);
	assert_null(strstr(out, "dan,"));
	free(out);
	counts_agree();
}

/* --suggest on the skewed team reaches the band: the only loads in band
 * are 6, 6 and 3 (cat is half time), so amy hands 3 cases to ben and 3 to
 * cat.  --apply makes exactly those moves in one transaction, as a manager
 * only, each audited. */
static void
test_worklist_caseload_suggest_and_apply(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	skewed_team();
	out = output(TL_ARGV("caseload", "--suggest", "--format", "csv"), NULL);
	/* header + 6 moves, each of one case from amy. */
	{
		int lines = 0, to_ben = 0, to_cat = 0;
		for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
			lines++;
		for (const char *p = out; (p = strstr(p, ",amy,ben\n")) != NULL; p++)
			to_ben++;
		for (const char *p = out; (p = strstr(p, ",amy,cat\n")) != NULL; p++)
			to_cat++;
		assert_int_equal(lines, 7);
		assert_int_equal(to_ben, 3);
		assert_int_equal(to_cat, 3);
	}
	contains(out, "case,provider,locality,risk,weight,from,to\n");
	free(out);
	out = output(TL_ARGV("caseload", "--suggest"), NULL);
	contains(out, "Suggested moves (6)");
	contains(out, "after these moves the imbalance is 1.00 and every available officer is within"
		      " 15% of the mean (5.10 to 6.90 per FTE)");
	contains(out, "'carewatch caseload --apply --note TEXT' makes these moves, after showing them again");
	free(out);
	/* Nothing moved by suggesting. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE assigned_to = 'amy'"), 12);

	/* An officer may look but not move. */
	assert_int_equal(tl_run(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing"), NULL, &out, &err,
				OLLY), 4);
	contains(err, "carewatch: error: only a quality manager may move cases (role cww_olly)\n");
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment"), 0);

	sql("TRUNCATE audit_log");
	out = output(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing"), MARY);
	contains(out, "Moves to make (6)");
	contains(out, "moved 6 cases as batch 1; each is in its case's history as 'rebalance'");
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE assigned_to = 'amy'"), 6);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE assigned_to = 'ben'"), 6);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE assigned_to = 'cat'"), 3);
	/* One history row per move, by the manager, and the audit of both. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment WHERE reason = 'rebalance'"
					 " AND recorded_by = 'cww_mary' AND officer IN ('ben', 'cat')"), 6);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'case_file'"
					 " AND op = 'UPDATE' AND role = 'cww_mary'"
					 " AND change->'assigned_to'->>'old' = 'amy'"), 6);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'case_assignment'"
					 " AND op = 'INSERT' AND role = 'cww_mary'"), 6);
	/* The moved case's history shows it. */
	{
		char number[24], *show;
		snprintf(number, sizeof(number), "%s",
			 tl_query1(owner, "SELECT c.number FROM case_file c JOIN case_assignment a"
					  " ON a.case_id = c.id LIMIT 1"));
		show = output(TL_ARGV("case", "show", number), NULL);
		contains(show, "(rebalance, by cww_mary): Balancing");
		free(show);
	}
	/* Balanced now: nothing more to do, and applying again moves nothing. */
	out = output(TL_ARGV("caseload", "--suggest"), NULL);
	contains(out, "no moves needed: every available officer is within 15% of the mean");
	free(out);
	out = output(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing"), MARY);
	contains(out, "no moves needed");
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment"), 6);
	counts_agree();
}

/* When the band cannot be reached, --suggest says why, officer by officer,
 * and names cases nobody can take. */
static void
test_worklist_caseload_suggest_explains_when_the_band_is_out_of_reach(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	run_ok(TL_ARGV("officer", "add", "amy", "--name", "Amy", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "ben", "--name", "Ben", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "wes", "--name", "Wes", "--fte", "1", "--locality", "west"), NULL);
	provider("Big Home", "nursing", "north");
	provider("Small Home", "residential", "north");
	provider("West Home", "residential", "west");
	provider("East Home", "residential", "east");
	/* amy: 9 cases at one provider (continuity keeps them together);
	 * ben: 1; wes: 8 in west, which nobody else covers; one east case
	 * waits unassigned because nobody covers east. */
	sql("INSERT INTO case_file (id, provider_id, risk, title, opened_at, due_at, assigned_to)"
	    " SELECT gen_random_uuid(), p.id, 'medium', 'Block', now(), now() + interval '9 days',"
	    "  CASE p.name WHEN 'Big Home' THEN 'amy' WHEN 'Small Home' THEN 'ben'"
	    "   WHEN 'West Home' THEN 'wes' END"
	    " FROM provider p CROSS JOIN generate_series(1, 9) g"
	    " WHERE (p.name = 'Big Home') OR (p.name = 'Small Home' AND g = 1)"
	    "  OR (p.name = 'West Home' AND g <= 8) OR (p.name = 'East Home' AND g = 1)");
	out = output(TL_ARGV("caseload", "--suggest"), NULL);
	/* Loads 9, 1 and 8 (west): mean 18 / 3 = 6.00, band 5.10 to 6.90. */
	contains(out, "\nthe 15% band cannot be reached without breaking continuity or locality cover"
		      " (imbalance 1.50 after 0 moves):\n"
		      "  - officer amy (9.00 per FTE, band 5.10 to 6.90): a single provider block of 9.0"
		      " exceeds the band of every officer who could take it\n"
		      "  - officer ben (1.00 per FTE, band 5.10 to 6.90): a single provider block of 9.0"
		      " exceeds the band\n"
		      "  - officer wes (8.00 per FTE, band 5.10 to 6.90) covers only 'west', which has no"
		      " other available officer\n"
		      "  - 1 unassigned case cannot move: no available officer covers 'east'\n");
	free(out);
	/* In CSV the moves table stays parseable and the reason goes to stderr. */
	assert_int_equal(tl_run(TL_ARGV("caseload", "--suggest", "--format", "csv"), NULL, &out, &err, NULL), 0);
	assert_string_equal(out, "case,provider,locality,risk,weight,from,to\n");
	contains(err, "carewatch: warning: the 15% band cannot be reached");
	free(out);
	free(err);
	counts_agree();
}

/* Month-end counts: London month ends, every care type x locality, and a
 * recomputation replaces the month's rows. */
static void
test_worklist_month_end_counts(void **state)
{
	char *out, *err;
	struct cw_error e;
	struct cw_db *db;

	(void)state;
	if (!tl_db_available())
		skip();
	provider("Month Home", "residential", "north");
	provider("Month Care", "home_care", "west");
	sql("INSERT INTO case_file (id, provider_id, risk, title, opened_at, closed_at, state, assigned_to)"
	    " SELECT gen_random_uuid(), p.id, 'medium', v.t, v.o::timestamptz, v.c::timestamptz,"
	    "  CASE WHEN v.c IS NULL THEN 'open' ELSE 'closed' END, NULL"
	    " FROM (VALUES ('Month Home', 'a', '2024-04-10 10:00+01', NULL),"
	    "  ('Month Home', 'b', '2024-05-10 10:00+01', '2024-05-20 10:00+01'),"
	    "  ('Month Home', 'c', '2024-05-31 23:30+01', NULL),"     /* in May, London */
	    "  ('Month Home', 'd', '2024-06-01 00:30+01', NULL),"     /* 31 May in UTC, June in London */
	    "  ('Month Home', 'e', '2024-03-01 10:00+00', '2024-06-01 00:10+01'),"
	    "  ('Month Care', 'f', '2024-05-02 10:00+01', NULL)) v(pname, t, o, c)"
	    " JOIN provider p ON p.name = v.pname");
	out = output(TL_ARGV("caseload", "--month-end", "2024-05", "--format", "csv"), MARY);
	contains(out, "month,care_type,locality,active\n");
	contains(out, "2024-05,residential,north,3\n");
	contains(out, "2024-05,home_care,west,1\n");
	contains(out, "2024-05,nursing,north,0\n");
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM month_end_cases WHERE month = '2024-05-01'"),
			 tl_count(owner, "SELECT (SELECT count(*) FROM care_type) * (SELECT count(*) FROM locality)"));
	assert_int_equal(tl_count(owner, "SELECT sum(active) FROM month_end_cases WHERE month = '2024-05-01'"), 4);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'month_end_cases'"
					 " AND role = 'cww_mary' AND op = 'INSERT'"), 30);

	/* Recomputing after a correction replaces the month's rows. */
	sql("UPDATE case_file SET state = 'closed', closed_at = '2024-05-15 12:00+01' WHERE title = 'a'");
	run_ok(TL_ARGV("caseload", "--month-end", "2024-05"), MARY);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM month_end_cases WHERE month = '2024-05-01'"), 30);
	assert_int_equal(tl_count(owner, "SELECT active FROM month_end_cases WHERE month = '2024-05-01'"
					 " AND care_type = 'residential' AND locality = 'north'"), 2);

	/* The nightly's entry point: inside the caller's transaction it joins
	 * it (rolled back here, so April is not kept), outside it commits. */
	cw_error_clear(&e);
	db = cw_db_open(NULL, &e);
	assert_non_null(db);
	assert_true(cw_db_exec(db, "BEGIN", 0, NULL, &e));
	assert_true(cw_worklist_record_month_end(db, (struct cw_date){2024, 4, 17}, &e));
	assert_int_equal(PQtransactionStatus(cw_db_conn(db)), PQTRANS_INTRANS);
	assert_true(cw_db_exec(db, "ROLLBACK", 0, NULL, &e));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM month_end_cases WHERE month = '2024-04-01'"), 0);
	assert_true(cw_worklist_record_month_end(db, (struct cw_date){2024, 4, 1}, &e));
	/* End of April: a (opened 10 April) and e. */
	assert_int_equal(tl_count(owner, "SELECT active FROM month_end_cases WHERE month = '2024-04-01'"
					 " AND care_type = 'residential' AND locality = 'north'"), 2);
	/* A month not over yet is refused. */
	assert_false(cw_worklist_record_month_end(db, (struct cw_date){2999, 1, 1}, &e));
	assert_string_equal(e.msg, "month 2999-01 has not ended yet");
	assert_int_equal(e.code, 2);
	cw_db_close(db);

	/* The nightly batch's role may write them. */
	run_ok(TL_ARGV("db", "role", "add", "cww_bert", "--as", "batch"), NULL);
	run_ok(TL_ARGV("caseload", "--month-end", "2024-03"), "PGUSER=cww_bert");
	assert_int_equal(tl_count(owner, "SELECT sum(active) FROM month_end_cases WHERE month = '2024-03-01'"), 1);

	/* Officers may read the counts but not write them. */
	assert_int_equal(tl_run(TL_ARGV("caseload", "--month-end", "2024-05"), NULL, &out, &err, OLLY), 4);
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("caseload", "--month-end", "2024-5"), NULL, &out, &err, MARY), 2);
	contains(err, "invalid month '2024-5'");
	free(out);
	free(err);
	counts_agree();
}

/* A receiver covering several localities takes cases in any of them, and
 * only in them: bob covers east and west, so amy's three west cases, not
 * her north ones, go to him. */
static void
test_worklist_suggest_respects_every_locality_covered(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	run_ok(TL_ARGV("officer", "add", "amy", "--name", "Amy", "--fte", "1", "--locality", "north,west"), NULL);
	run_ok(TL_ARGV("officer", "add", "bob", "--name", "Bob", "--fte", "1", "--locality", "east,west"), NULL);
	sql("INSERT INTO provider (id, name, care_type, locality)"
	    " SELECT gen_random_uuid(), l || ' Home ' || g, 'residential', l"
	    " FROM unnest(ARRAY['north', 'west']) l, generate_series(1, 3) g");
	sql("INSERT INTO case_file (id, provider_id, risk, title, opened_at, due_at, assigned_to)"
	    " SELECT gen_random_uuid(), id, 'medium', 'Spread', now(), now() + interval '9 days', 'amy'"
	    " FROM provider ORDER BY name");
	out = output(TL_ARGV("caseload", "--suggest", "--format", "csv"), NULL);
	contains(out, ",west Home 1,west,medium,1.00,amy,bob\n");
	contains(out, ",west Home 2,west,medium,1.00,amy,bob\n");
	contains(out, ",west Home 3,west,medium,1.00,amy,bob\n");
	assert_null(strstr(out, "north Home"));
	free(out);
	counts_agree();
}

/* The kept counts follow every way a case can change: opened, assigned,
 * moved, closed, deleted, an officer renamed (ON UPDATE CASCADE), TRUNCATE;
 * and the rebuild puts right counts a bulk load with triggers off left
 * wrong (managers and the batch may run it, officers may not). */
static void
test_worklist_kept_counts_follow_every_change(void **state)
{
	PGconn *olly, *mary;
	PGresult *r;

	(void)state;
	if (!tl_db_available())
		skip();
	run_ok(TL_ARGV("officer", "add", "amy", "--name", "Amy", "--fte", "1", "--locality", "north"), NULL);
	run_ok(TL_ARGV("officer", "add", "ben", "--name", "Ben", "--fte", "1", "--locality", "north"), NULL);
	provider("Count House", "residential", "north");
	provider("Count Lodge", "residential", "north");
	concern("Count House", "high", NULL);
	concern("Count Lodge", "medium", NULL);
	concern("Count Lodge", "low", NULL);
	counts_agree();
	assert_int_equal(tl_count(owner, "SELECT sum(open) FROM caseload_count"), 3);
	run_ok(TL_ARGV("case", "assign", newest(), "--officer", "amy"), NULL);
	counts_agree();
	run_ok(TL_ARGV("case", "respond", newest(), "--kind", "phone"), NULL);
	counts_agree();
	run_ok(TL_ARGV("case", "close", newest(), "--note", "Done"), NULL);
	counts_agree();
	assert_int_equal(tl_count(owner, "SELECT sum(open) FROM caseload_count"), 2);
	sql("UPDATE officer SET login = 'amelia' WHERE login = 'amy'");
	counts_agree();
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_count WHERE holder = 'amy' AND open <> 0"), 0);
	sql("INSERT INTO case_file (id, provider_id, risk, title, opened_at, assigned_to)"
	    " SELECT gen_random_uuid(), id, 'very_high', 'Bulk', now(), NULL FROM provider");
	counts_agree();
	sql("DELETE FROM case_file WHERE title = 'Bulk'");
	counts_agree();

	/* A load that bypassed the triggers leaves the counts wrong; the
	 * rebuild recounts them. */
	sql("UPDATE caseload_count SET open = open + 40");
	mary = tl_connect("cww_mary");
	r = PQexec(mary, "SELECT caseload_count_rebuild()");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "2");
	PQclear(r);
	PQfinish(mary);
	counts_agree();
	olly = tl_connect("cww_olly");
	r = PQexec(olly, "SELECT caseload_count_rebuild()");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
	PQclear(r);
	r = PQexec(olly, "UPDATE caseload_count SET open = 0");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
	PQclear(r);
	PQfinish(olly);

	sql("TRUNCATE case_file CASCADE");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_count"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_worklist_assignment_through_the_binary, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_deadline_explains_itself_across_a_bank_holiday,
						db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_response_month_gives_the_exact_percentage, db_setup,
						db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_caseload_figures, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_caseload_suggest_and_apply, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_caseload_suggest_explains_when_the_band_is_out_of_reach,
						db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_month_end_counts, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_suggest_respects_every_locality_covered,
						db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_worklist_kept_counts_follow_every_change, db_setup,
						db_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
