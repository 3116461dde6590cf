/*
 * test_nightly.c - the nightly batch on a real database: it scores every
 * active provider and a rerun for the same as-of changes nothing; flags are
 * raised once and reviewed by the manager only; a second concurrent run is
 * refused with exit 6, and no reader can take or hold its lock; a run killed
 * mid-way leaves the previous scores and flags as they were, and the rerun
 * gives the scores of an uninterrupted run; a run for an earlier as-of than
 * the latest published one writes history only; run history is append-only
 * for the batch role too; one reader, two and three publish the same to
 * the byte on twin databases, and a reader killed mid-stream publishes
 * nothing and its rerun gives what an uninterrupted run gives.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define BATCH "PGUSER=cwt_batch"
#define MANAGER "PGUSER=cwt_mgr"

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_nightly", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_ollie", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_reader", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_ollie", "--name", "Ollie", "--fte", "1", "--locality",
			     "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Beech Court", "--care-type", "nursing", "--locality",
			     "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Cedar Homecare", "--care-type", "home_care",
			     "--locality", "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Damson Day Centre", "--care-type", "day_care",
			     "--locality", "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("cqc", "add", "Beech Court", "--published", "2024-01-10", "--safe",
			     "inadequate", "--well-led", "inadequate", "--overall", "inadequate"), NULL, 0));
	free(tl_run_out(TL_ARGV("safeguarding", "add", "Beech Court", "--category", "neglect", "--outcome",
			     "substantiated", "--referred", "2024-06-01"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Cedar Homecare", "--risk", "medium", "--category",
			     "staffing", "--source", "family", "--received", "2024-06-10 09:00",
			     "--note", "Late calls"), "PGUSER=cwt_ollie", 0));
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
test_nightly_scores_everyone_and_a_rerun_changes_nothing(void **state)
{
	char *out;
	long scores, flags, audit;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("nightly", "--as-of", "2024-06-30"), BATCH, 0);
	assert_non_null(strstr(out, "nightly run as of 2024-06-30 23:59 BST under 'norfolk-default'"));
	assert_non_null(strstr(out, ": 3 providers, "));
	assert_non_null(strstr(out, "wrote 3 scores"));
	assert_non_null(strstr(out, "1 flag raised"));
	assert_non_null(strstr(out, "recorded the month-end case counts for 2024-05\n"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score WHERE cause = 'nightly'"
					 " AND as_of = '2024-06-30 22:59:59+00' AND recorded_by = 'cwt_batch'"), 3);
	assert_string_equal(tl_query1(owner, "SELECT s.band FROM provider_current_score s JOIN provider p"
					     " ON p.id = s.provider_id WHERE p.name = 'Beech Court'"), "very_high");
	scores = tl_count(owner, "SELECT count(*) FROM provider_score");
	flags = tl_count(owner, "SELECT count(*) FROM restriction_flag");
	audit = tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl <> 'nightly_run'");
	out = tl_run_out(TL_ARGV("nightly", "--as-of", "2024-06-30"), BATCH, 0);
	assert_non_null(strstr(out, "wrote 0 scores, 0 band changes, 0 flags raised, 0 lapsed, 0 cases newly overdue\n"));
	assert_null(strstr(out, "month-end"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), scores);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM restriction_flag"), flags);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl <> 'nightly_run'"), audit);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run WHERE outcome = 'succeeded'"), 2);
	/* A dry run writes nothing at all, not even its log. */
	out = tl_run_out(TL_ARGV("nightly", "--as-of", "2024-07-31", "--dry-run"), BATCH, 0);
	assert_non_null(strstr(out, "dry run as of 2024-07-31"));
	assert_non_null(strstr(out, "would write 3 scores"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), scores);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run"), 2);
	/* The medium concern's case fell due in June and had no response. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE overdue_at IS NOT NULL"), 1);
}

static void
test_nightly_flags_are_reviewed_by_the_manager(void **state)
{
	char *out, *err;
	char number[16];

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("flags", "--format", "csv"), MANAGER, 0);
	assert_non_null(strstr(out, "flag,provider,care_type,locality,score,band,raised,state,reasons\n"));
	assert_non_null(strstr(out, ",Beech Court,nursing,south,"));
	free(out);
	snprintf(number, sizeof(number), "%s", tl_query1(owner, "SELECT number FROM restriction_flag"));
	/* An officer may not decide flags; the batch may not either. */
	assert_int_equal(tl_run(TL_ARGV("flag", "accept", number, "--note", "x"), NULL, &out, &err,
				"PGUSER=cwt_ollie"), 4);
	/* Said as who may decide, never as the table refused. */
	assert_non_null(strstr(err, "flag decisions are for the quality manager"));
	assert_null(strstr(err, "restriction_flag"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("flag", "accept", number), NULL, &out, &err, MANAGER), 2);
	assert_string_equal(err, "carewatch: error: missing --note TEXT\n");
	free(out);
	free(err);
	out = tl_run_out(TL_ARGV("flag", "accept", number, "--note", "Agreed at QA meeting", "--from",
			      "2024-07-01"), MANAGER, 0);
	assert_non_null(strstr(out, "on all placements from 2024-07-01"));
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT f.state || ' ' || f.decided_by || ' ' || r.kind"
					     " FROM restriction_flag f JOIN restriction r ON r.id = f.restriction_id"),
			    "accepted cwt_mgr all");
	assert_int_equal(tl_run(TL_ARGV("flag", "dismiss", number, "--note", "x"), NULL, &out, &err, MANAGER), 7);
	assert_non_null(strstr(err, "is already accepted"));
	free(out);
	free(err);
	/* Restricted now: a later night raises no new flag for it. */
	out = tl_run_out(TL_ARGV("nightly", "--as-of", "2024-07-15"), BATCH, 0);
	assert_non_null(strstr(out, "0 flags raised"));
	free(out);
}

static void
test_nightly_second_concurrent_run_is_refused(void **state)
{
	PGconn *holder;
	PGresult *r;
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Another batch session holds the nightly lock, as a run does. */
	holder = tl_connect("cwt_batch");
	r = PQexec(holder, "BEGIN; SELECT api.lock_take('nightly')");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	assert_int_equal(tl_run(TL_ARGV("nightly", "--as-of", "2024-08-01"), NULL, &out, &err, BATCH), 6);
	assert_non_null(strstr(err, "carewatch: error: another nightly run is in progress"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	PQfinish(holder);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run WHERE as_of = '2024-08-01 22:59:59+00'"), 0);
}

/* Run sql on c and return its SQLSTATE ("" when it succeeded). */
static const char *
sqlstate_of(PGconn *c, const char *sql)
{
	static char st[8];
	PGresult *r = PQexec(c, sql);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(st, sizeof(st), "%s", s ? s : "");
	PQclear(r);
	return st;
}

static void
test_nightly_readers_cannot_take_or_block_the_lock(void **state)
{
	PGconn *reader, *officer;
	PGresult *r;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* The old advisory key (4242003), held by a readonly login: no longer
	 * the nightly's lock, so the run goes ahead. */
	reader = tl_connect("cwt_reader");
	r = PQexec(reader, "SELECT pg_advisory_lock(4242003)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	out = tl_run_out(TL_ARGV("nightly", "--as-of", "2024-08-02"), BATCH, 0);
	assert_non_null(strstr(out, "nightly run as of 2024-08-02"));
	free(out);
	/* And the real lock is not for readers, nor for officers. */
	assert_string_equal(sqlstate_of(reader, "SELECT api.lock_take('nightly')"), "42501");
	assert_string_equal(sqlstate_of(reader, "SELECT api.lock_take('nightly', false)"), "42501");
	officer = tl_connect("cwt_ollie");
	assert_string_equal(sqlstate_of(officer, "SELECT api.lock_take('nightly')"), "42501");
	assert_string_equal(sqlstate_of(officer, "SELECT api.lock_take('nightly', false)"), "42501");
	PQfinish(officer);
	PQfinish(reader);
}

static pid_t
spawn(const char *const argv[], const char *env)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *args[16] = {getenv("CW_BIN")};
		int n = 0;
		while (n < 14 && argv[n]) {
			args[n + 1] = argv[n];
			n++;
		}
		putenv((char *)env);
		if (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	return pid;
}

static void
test_nightly_killed_run_leaves_previous_results(void **state)
{
	PGconn *blocker, *super;
	PGresult *r;
	char before[4096], after[4096];
	pid_t pid;
	int status, waited = 0;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("concern", "add", "Damson Day Centre", "--risk", "very_high", "--category",
			     "care_practice", "--source", "professional", "--safeguarding", "--received",
			     "2024-08-20 10:00", "--note", "Attendee injured"), "PGUSER=cwt_ollie", 0));
	snprintf(before, sizeof(before), "%s",
		 tl_query1(owner, "SELECT string_agg(provider_id || ':' || score || ':' || band || ':' || flag, ','"
				  " ORDER BY provider_id) FROM provider_current_score"));
	/* Hold the current-score table so the run blocks while publishing... */
	blocker = tl_connect(NULL);
	r = PQexec(blocker, "BEGIN; LOCK TABLE provider_current_score IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	pid = spawn(TL_ARGV("nightly", "--as-of", "2024-08-31"), BATCH);
	assert_true(pid > 0);
	/* ...wait until it is blocked on our lock, then kill it outright
	 * (only a superuser sees other roles' wait events). */
	super = tl_connect("postgres");
	while (tl_count(super, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_batch'"
			       " AND wait_event_type = 'Lock'") == 0) {
		usleep(50 * 1000);
		assert_true(++waited < 400);
	}
	/* While it runs, a second run is refused at once, naming the first. */
	{
		char *err2;
		assert_int_equal(tl_run(TL_ARGV("nightly", "--as-of", "2024-08-31"), NULL, &out, &err2, BATCH), 6);
		assert_non_null(strstr(err2, "carewatch: error: another nightly run is in progress (started "));
		assert_non_null(strstr(err2, " by cwt_batch)\n"));
		free(out);
		free(err2);
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	r = PQexec(blocker, "ROLLBACK");
	PQclear(r);
	PQfinish(blocker);
	/* The server ends the killed client's transaction: nothing published. */
	waited = 0;
	while (tl_count(super, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_batch'") > 0) {
		usleep(50 * 1000);
		assert_true(++waited < 400);
	}
	PQfinish(super);
	snprintf(after, sizeof(after), "%s",
		 tl_query1(owner, "SELECT string_agg(provider_id || ':' || score || ':' || band || ':' || flag, ','"
				  " ORDER BY provider_id) FROM provider_current_score"));
	assert_string_equal(before, after);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score WHERE as_of = '2024-08-31 22:59:59+00'"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run WHERE outcome = 'running'"), 1);
	/* The rerun completes; the killed run is recorded as abandoned. */
	out = tl_run_out(TL_ARGV("nightly", "--as-of", "2024-08-31"), BATCH, 0);
	assert_non_null(strstr(out, "wrote 3 scores"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run WHERE outcome = 'abandoned'"), 1);
	/* Its scores are exactly those of a fresh, uninterrupted computation. */
	{
		PGresult *ps = PQexec(owner, "SELECT p.name, s.score::text FROM provider_score s"
					     " JOIN provider p ON p.id = s.provider_id"
					     " WHERE s.as_of = '2024-08-31 22:59:59+00' ORDER BY p.name");
		assert_int_equal(PQntuples(ps), 3);
		for (int i = 0; i < 3; i++) {
			char *json = tl_run_out(TL_ARGV("provider", "explain", PQgetvalue(ps, i, 0), "--as-of",
						     "2024-08-31", "--format", "json"), NULL, 0);
			char want[64];
			snprintf(want, sizeof(want), "{\"total\":%s,", PQgetvalue(ps, i, 1));
			if (strncmp(json, want, strlen(want)) != 0)
				fail_msg("%s: stored %s, explain gives %.40s", PQgetvalue(ps, i, 0),
					 PQgetvalue(ps, i, 1), json);
			free(json);
		}
		PQclear(ps);
	}
}

/* "YYYY-MM-DD" days ago from now (UTC; the tests keep a day's margin). */
static const char *
days_ago(int days, char *buf, size_t size)
{
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
	return buf;
}

/* Everything the current picture is made of, as one string. */
static char *
current_picture(void)
{
	return strdup(tl_query1(owner, "SELECT (SELECT string_agg(c::text, ',' ORDER BY provider_id)"
				       "  FROM provider_current_score c) || '|' ||"
				       " (SELECT string_agg(f::text, ',' ORDER BY number) FROM restriction_flag f) || '|' ||"
				       " (SELECT coalesce(string_agg(id || ':' || overdue_at, ',' ORDER BY id), '')"
				       "  FROM case_file WHERE overdue_at IS NOT NULL)"));
}

static void
test_nightly_earlier_as_of_writes_history_only(void **state)
{
	char when[32], day[16], week_ago[16], sql[400];
	char *out, *before, *after;
	long scores, active;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Elm Lodge: a very high safeguarding concern three days ago, so it is
	 * flagged today and was not a week ago (a history run must not lapse
	 * the flag).  Fig Tree House: one nine days ago and placements
	 * restricted since two days ago, so it is not flagged today and would
	 * have been a week ago (a history run must not raise a flag). */
	free(tl_run_out(TL_ARGV("provider", "add", "Elm Lodge", "--care-type", "residential", "--locality",
			     "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Fig Tree House", "--care-type", "residential",
			     "--locality", "south"), NULL, 0));
	snprintf(when, sizeof(when), "%s 10:00", days_ago(3, day, sizeof(day)));
	free(tl_run_out(TL_ARGV("concern", "add", "Elm Lodge", "--risk", "very_high", "--category", "care_practice",
			     "--source", "professional", "--safeguarding", "--received", when, "--note",
			     "Resident found on the floor"), "PGUSER=cwt_ollie", 0));
	snprintf(when, sizeof(when), "%s 10:00", days_ago(9, day, sizeof(day)));
	free(tl_run_out(TL_ARGV("concern", "add", "Fig Tree House", "--risk", "very_high", "--category",
			     "medication", "--source", "health", "--safeguarding", "--received", when, "--note",
			     "Medicines missed"), "PGUSER=cwt_ollie", 0));
	free(tl_run_out(TL_ARGV("restriction", "add", "Fig Tree House", "--kind", "all", "--from",
			     days_ago(2, day, sizeof(day)), "--note", "Medicines"), "PGUSER=cwt_mgr", 0));
	/* Publish today. */
	out = tl_run_out(TL_ARGV("nightly"), BATCH, 0);
	assert_null(strstr(out, "history only"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM restriction_flag f JOIN provider p ON p.id = f.provider_id"
					 " WHERE p.name = 'Elm Lodge' AND f.state = 'open'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM restriction_flag f JOIN provider p ON p.id = f.provider_id"
					 " WHERE p.name = 'Fig Tree House'"), 0);
	before = current_picture();
	scores = tl_count(owner, "SELECT count(*) FROM provider_score");
	active = tl_count(owner, "SELECT count(*) FROM provider WHERE status = 'active'");
	/* A week ago: history only. */
	days_ago(7, week_ago, sizeof(week_ago));
	out = tl_run_out(TL_ARGV("nightly", "--as-of", week_ago), BATCH, 0);
	assert_non_null(strstr(out, "history only (the run as of "));
	assert_non_null(strstr(out, "current scores, flags and overdue marks unchanged\n"));
	free(out);
	after = current_picture();
	assert_string_equal(before, after);
	free(after);
	/* The history rows are there, one per active provider, as of that day. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM provider_score WHERE cause = 'nightly' AND as_of ="
				   " ('%s'::date + 1)::timestamp AT TIME ZONE 'Europe/London' - interval '1 second'",
		 week_ago);
	assert_int_equal(tl_count(owner, sql), active);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), scores + active);
	/* A rerun of that night adds nothing; a score row from anyone with an
	 * older as-of never becomes current either. */
	out = tl_run_out(TL_ARGV("nightly", "--as-of", week_ago), BATCH, 0);
	assert_non_null(strstr(out, "wrote 0 scores"));
	free(out);
	tl_query1(owner, "INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score, band,"
			 " flag, detail, cause) SELECT provider_id, '2020-01-01', ruleset_name, ruleset_hash, 99,"
			 " 'very_high', true, '{}', 'record' FROM provider_score WHERE id = (SELECT max(id) FROM provider_score)");
	after = current_picture();
	assert_string_equal(before, after);
	free(after);
	free(before);
}

static void
test_nightly_run_history_is_append_only(void **state)
{
	PGconn *batch, *officer;
	char before[8192], sql[400], run[40];

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s",
		 tl_query1(owner, "SELECT string_agg(n::text, ',' ORDER BY id) FROM nightly_run n"));
	snprintf(run, sizeof(run), "%s",
		 tl_query1(owner, "SELECT id FROM nightly_run WHERE outcome = 'succeeded' ORDER BY started_at LIMIT 1"));
	batch = tl_connect("cwt_batch");
	/* No rewriting a run, not even by the batch role. */
	assert_string_equal(sqlstate_of(batch, "UPDATE nightly_run SET outcome = 'succeeded', message = NULL"
					       " WHERE outcome <> 'succeeded'"), "42501");
	assert_string_equal(sqlstate_of(batch, "DELETE FROM nightly_run"), "42501");
	/* A start row is a start: no inserting a finished run. */
	assert_string_equal(sqlstate_of(batch, "INSERT INTO nightly_run (id, as_of, ruleset_name, ruleset_hash, outcome)"
					       " VALUES (gen_random_uuid(), now(), 'x', 'y', 'succeeded')"), "42501");
	/* Finishing goes through the function, which moves 'running' rows only. */
	{
		PGresult *r;
		snprintf(sql, sizeof(sql), "SELECT api.nightly_finish('%s', 'failed', 'reading', NULL, 0, 0, 0, 0, 0, 0)",
			 run);
		r = PQexec(batch, sql);
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "55000");
		snprintf(sql, sizeof(sql), "nightly run %s is already succeeded", run);
		assert_string_equal(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), sql);
		PQclear(r);
	}
	/* Nor another login's run, nor free text for a message. */
	tl_query1(owner, "INSERT INTO nightly_run (id, as_of, ruleset_name, ruleset_hash)"
			 " VALUES ('00000000-0000-4000-8000-000000000014', now(), 'x', 'y')");
	assert_string_equal(sqlstate_of(batch, "SELECT api.nightly_finish('00000000-0000-4000-8000-000000000014',"
					       " 'succeeded', NULL, NULL, 0, 0, 0, 0, 0, 0)"), "42501");
	assert_string_equal(sqlstate_of(batch, "SELECT api.nightly_finish('00000000-0000-4000-8000-000000000014',"
					       " 'failed', 'Ms Example phoned', NULL, 0, 0, 0, 0, 0, 0)"), "22023");
	tl_query1(owner, "DELETE FROM nightly_run WHERE id = '00000000-0000-4000-8000-000000000014'");
	officer = tl_connect("cwt_ollie");
	assert_string_equal(sqlstate_of(officer, "SELECT api.nightly_abandon()"), "42501");
	snprintf(sql, sizeof(sql), "SELECT api.nightly_finish('%s', 'failed', 'reading', NULL, 0, 0, 0, 0, 0, 0)", run);
	assert_string_equal(sqlstate_of(officer, sql), "42501");
	PQfinish(officer);
	PQfinish(batch);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(n::text, ',' ORDER BY id) FROM nightly_run n"), before);
}

static void
test_nightly_failed_run_is_logged_without_free_text(void **state)
{
	PGconn *blocker;
	PGresult *r;
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	/* The run cannot publish (the current scores are locked and it may
	 * wait only 200 ms): it fails, and says why in the log's own words. */
	blocker = tl_connect(NULL);
	r = PQexec(blocker, "BEGIN; LOCK TABLE provider_current_score IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	setenv("PGOPTIONS", "-c lock_timeout=200", 1);
	assert_int_equal(tl_run(TL_ARGV("nightly", "--as-of", "2024-09-30"), NULL, &out, &err, BATCH), 1);
	unsetenv("PGOPTIONS");
	free(out);
	free(err);
	r = PQexec(blocker, "ROLLBACK");
	PQclear(r);
	PQfinish(blocker);
	assert_string_equal(tl_query1(owner, "SELECT outcome || ': ' || message FROM nightly_run"
					     " WHERE as_of = '2024-09-30 22:59:59+00'"),
			    "failed: publishing the results failed (SQLSTATE 55P03)");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score WHERE as_of = '2024-09-30 22:59:59+00'"), 0);
}

/* The twin databases' data: providers of every care type with ids spread
 * over the uuid space (so every reader's range has some), a few closed
 * ones (their records stream past and are skipped), concerns, a
 * correction, safeguardings, visits and CQC ratings, enough for some
 * providers to be flagged and others not. */
static const char twin_data[] =
	"INSERT INTO provider (id, name, care_type, locality, beds)"
	" SELECT md5('twin' || i)::uuid, 'Twin ' || i,"
	"  (ARRAY['home_care','residential','nursing','supported_living','housing_with_care','day_care'])[1 + i % 6],"
	"  'south', CASE WHEN i % 6 IN (1, 2) THEN 10 + i % 40 END FROM generate_series(1, 120) i;"
	"UPDATE provider SET status = 'closed', closed_on = '2024-01-31' WHERE name IN ('Twin 7', 'Twin 50', 'Twin 93');"
	"INSERT INTO concern (id, provider_id, received_at, risk, category, source, safeguarding, summary)"
	" SELECT md5('c' || i || '-' || j)::uuid, md5('twin' || i)::uuid,"
	"  timestamptz '2024-06-30 12:00+00' - ((i * 7 + j * 13) % 400) * interval '1 day' - j * interval '1 hour',"
	"  (ARRAY['low','medium','high','very_high'])[1 + (i * j) % 4], 'staffing', 'family', (i + j) % 5 = 0, 'x'"
	" FROM generate_series(1, 120) i, generate_series(1, 8) j WHERE j <= i % 9;"
	/* Flagged on the first night (and lapsed after), or on the second. */
	"INSERT INTO concern (id, provider_id, received_at, risk, category, source, safeguarding, summary)"
	" SELECT md5('f' || i)::uuid, md5('twin' || i)::uuid,"
	"  CASE WHEN i % 10 = 0 THEN timestamptz '2024-05-25 10:00+00' ELSE timestamptz '2024-06-25 10:00+00' END,"
	"  'very_high', 'care_practice', 'professional', true, 'x' FROM generate_series(5, 120, 5) i;"
	"INSERT INTO concern (id, provider_id, supersedes, received_at, risk, category, source, safeguarding, summary)"
	" SELECT md5('correction')::uuid, provider_id, id, received_at, 'low', category, source, false, 'x'"
	" FROM concern WHERE id = md5('c3-3')::uuid;"
	"INSERT INTO safeguarding (id, provider_id, referred_on, category, outcome)"
	" SELECT md5('s' || i)::uuid, md5('twin' || i)::uuid, date '2024-06-30' - (i * 3) % 200, 'neglect',"
	"  (ARRAY['open','substantiated','partially_substantiated','not_substantiated'])[1 + i % 4]"
	" FROM generate_series(4, 120, 4) i;"
	"INSERT INTO visit (id, provider_id, visited_at, kind, outcome)"
	" SELECT md5('v' || i)::uuid, md5('twin' || i)::uuid, timestamptz '2024-05-01 10:00+00' - i * interval '1 day',"
	"  'routine', (ARRAY['no_concerns','minor_concerns','significant_concerns','serious_concerns'])[1 + i % 4]"
	" FROM generate_series(5, 120, 5) i;"
	"INSERT INTO cqc_rating (id, provider_id, domain, rating, published_on, inspected_on)"
	" SELECT md5('q' || i || d)::uuid, md5('twin' || i)::uuid, d,"
	"  (ARRAY['outstanding','good','requires_improvement','inadequate'])[1 + (i / 3) % 4],"
	"  date '2024-01-10' - i, date '2023-12-01' - i"
	" FROM generate_series(3, 120, 3) i, unnest(ARRAY['safe','well_led','overall']) d";

/* What the nightly runs of the current database published, ids and
 * clock times left out (the twins differ only in those): every score in
 * the order written, every flag in number order, the current scores,
 * the overdue marks and the succeeded runs' counts.  Caller frees. */
static char *
published(void)
{
	PGconn *c = tl_connect(NULL);
	PGresult *r = PQexec(c,
			     "SELECT (SELECT string_agg(concat_ws(':', provider_id, as_of, ruleset_name, ruleset_hash,"
			     "   score, band, flag, detail, cause), E'\\n' ORDER BY id) FROM provider_score) || '|' ||"
			     " (SELECT coalesce(string_agg(concat_ws(':', provider_id, as_of, score, band, reasons, state),"
			     "   E'\\n' ORDER BY number), '') FROM restriction_flag) || '|' ||"
			     " (SELECT string_agg(concat_ws(':', provider_id, score, band, flag, previous_score,"
			     "   previous_band, as_of), E'\\n' ORDER BY provider_id) FROM provider_current_score) || '|' ||"
			     " (SELECT coalesce(string_agg(c.received_at || ':' || f.overdue_at, E'\\n'"
			     "   ORDER BY c.received_at), '') FROM case_file f JOIN concern c ON c.id = f.concern_id"
			     "   WHERE f.overdue_at IS NOT NULL) || '|' ||"
			     " (SELECT string_agg(concat_ws(':', as_of, ruleset_hash, providers, records, scores_written,"
			     "   flags_raised, flags_lapsed, cases_overdue), E'\\n' ORDER BY as_of) FROM nightly_run"
			     "   WHERE outcome = 'succeeded')");
	char *s;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s", PQerrorMessage(c));
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return s;
}

/* Twin databases a and b have published the same. */
static void
twins_same(const char *a, const char *b)
{
	char *pa, *pb;

	setenv("PGDATABASE", a, 1);
	pa = published();
	setenv("PGDATABASE", b, 1);
	pb = published();
	assert_string_equal(pa, pb);
	free(pa);
	free(pb);
}

/* Run the nightly on database db with n readers and return its stdout. */
static char *
nightly_on(const char *db, const char *as_of, const char *readers)
{
	setenv("PGDATABASE", db, 1);
	return tl_run_out(TL_ARGV("nightly", "--as-of", as_of, "--readers", readers), BATCH, 0);
}

static void
test_nightly_two_readers_publish_what_one_publishes(void **state)
{
	char a[64], b[72], sql[400];
	char *before, *after, *out;
	PGconn *c, *super, *blocker;
	PGresult *r;
	pid_t pid;
	int status, waited = 0;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Twin A gets the data; twin B is made from it as a template, so the
	 * two are the same to the byte before either runs. */
	snprintf(a, sizeof(a), "%s", tl_db_create("cwt_twin_a", true));
	c = tl_connect(NULL);
	r = PQexec(c, twin_data);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_ollie", "--name", "Ollie", "--fte", "1", "--locality",
			     "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Twin 11", "--risk", "high", "--category", "staffing",
			     "--source", "family", "--received", "2024-05-20 09:00", "--note", "Late calls"),
			"PGUSER=cwt_ollie", 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Twin 88", "--risk", "medium", "--category", "medication",
			     "--source", "health", "--received", "2024-06-25 09:00", "--note", "Missed doses"),
			"PGUSER=cwt_ollie", 0));
	snprintf(b, sizeof(b), "%s_b", a);
	setenv("PGDATABASE", "postgres", 1);
	super = tl_connect("postgres");
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY", b, a);
	r = PQexec(super, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s", PQerrorMessage(super));
	PQclear(r);

	/* Night one: one reader against two. */
	out = nightly_on(a, "2024-05-31", "1");
	assert_non_null(strstr(out, ": 117 providers, "));
	assert_non_null(strstr(out, "wrote 117 scores, 117 band changes, 12 flags raised, 0 lapsed, 1 case newly overdue\n"));
	free(out);
	free(nightly_on(b, "2024-05-31", "2"));
	twins_same(a, b);

	/* Night two on B: a reader killed mid-stream.  Both readers wait on a
	 * table they read; one is terminated; the run fails, publishes
	 * nothing and says so in its run row. */
	before = published();
	blocker = tl_connect(NULL);
	r = PQexec(blocker, "BEGIN; LOCK TABLE provider_loss IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	pid = spawn(TL_ARGV("nightly", "--as-of", "2024-06-30", "--readers", "2"), BATCH);
	assert_true(pid > 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_batch'"
				   " AND datname = '%s' AND wait_event_type = 'Lock' AND query LIKE 'COPY (%%'", b);
	while (tl_count(super, sql) < 2) {
		usleep(50 * 1000);
		assert_true(++waited < 400);
	}
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'cwt_batch'"
				   " AND datname = '%s' AND query LIKE 'COPY (%%' ORDER BY backend_start DESC LIMIT 1", b);
	assert_string_equal(tl_query1(super, sql), "t");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	r = PQexec(blocker, "ROLLBACK");
	PQclear(r);
	PQfinish(blocker);
	after = published();
	assert_string_equal(before, after);
	free(before);
	free(after);
	c = tl_connect(NULL);
	/* 57P01 or 08006, as the terminated backend's last words arrive or not. */
	assert_non_null(strstr(tl_query1(c, "SELECT outcome || ': ' || message FROM nightly_run"
					    " WHERE as_of = '2024-06-30 22:59:59+00'"),
			       "failed: the connection to the database was lost (SQLSTATE "));
	PQfinish(c);
	/* The rerun on B and an uninterrupted run on A publish the same. */
	free(nightly_on(b, "2024-06-30", "2"));
	out = nightly_on(a, "2024-06-30", "1");
	assert_non_null(strstr(out, "flags raised, "));
	assert_null(strstr(out, " 0 flags raised, 0 lapsed"));
	free(out);
	twins_same(a, b);

	/* Night three: three readers on A, one on B; then a rerun with two
	 * writes nothing. */
	free(nightly_on(a, "2024-07-31", "3"));
	free(nightly_on(b, "2024-07-31", "1"));
	twins_same(a, b);
	c = tl_connect(NULL);
	assert_true(tl_count(c, "SELECT count(*) FROM restriction_flag WHERE state = 'lapsed'") > 0);
	PQfinish(c);
	out = nightly_on(b, "2024-07-31", "2");
	assert_non_null(strstr(out, "wrote 0 scores, 0 band changes, 0 flags raised, 0 lapsed, 0 cases newly overdue\n"));
	free(out);

	PQfinish(super);
	tl_db_drop(b);
	tl_db_drop(a);
	setenv("PGDATABASE", dbname, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nightly_scores_everyone_and_a_rerun_changes_nothing),
		cmocka_unit_test(test_nightly_flags_are_reviewed_by_the_manager),
		cmocka_unit_test(test_nightly_second_concurrent_run_is_refused),
		cmocka_unit_test(test_nightly_readers_cannot_take_or_block_the_lock),
		cmocka_unit_test(test_nightly_killed_run_leaves_previous_results),
		cmocka_unit_test(test_nightly_earlier_as_of_writes_history_only),
		cmocka_unit_test(test_nightly_run_history_is_append_only),
		cmocka_unit_test(test_nightly_failed_run_is_logged_without_free_text),
		cmocka_unit_test(test_nightly_two_readers_publish_what_one_publishes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
