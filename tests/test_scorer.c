/*
 * test_scorer.c - the scoring service on a real database: a drained queue
 * leaves every provider with exactly the score the evaluator gives on the
 * stored records (checked in this process with the evaluator itself, at the
 * stored as-of, detail included), through the one-provider reads and through
 * the streaming engine alike; a second `--once` writes nothing; a writer not
 * yet committed is never lost (its queued provider is skipped, or it waits for
 * the scorer's commit and queues the provider again); a running scorer picks
 * up an officer's concern and reconnects after losing its connection, and
 * stops cleanly on SIGTERM; people cannot write current scores or take
 * providers off the queue.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "carewatch/db.h"
#include "carewatch/score.h"
#include "carewatch/scoring.h"

static const char *dbname;
static PGconn *owner;
static pid_t scorer_pid;                /* a scorer the tests started, stopped in teardown */

#define OFFICER "PGUSER=cwt_sc_olga"
#define SCORER "PGUSER=cwt_scorer"

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_scorer", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sc_olga", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sc_max", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sc_rita", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_sc_olga", "--name", "Olga", "--fte", "1", "--locality",
			     "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Hazel House", "--care-type", "nursing", "--locality", "west",
			     "--beds", "40"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Ivy Homecare", "--care-type", "home_care", "--locality",
			     "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Juniper Day Centre", "--care-type", "day_care", "--locality",
			     "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("cqc", "add", "Hazel House", "--published", "2024-03-01", "--safe", "inadequate",
			     "--well-led", "requires_improvement", "--overall", "requires_improvement"), NULL, 0));
	free(tl_run_out(TL_ARGV("safeguarding", "add", "Hazel House", "--category", "neglect", "--outcome",
			     "substantiated", "--referred", "2024-05-01"), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Ivy Homecare", "--risk", "high", "--category", "staffing",
			     "--source", "family", "--note", "Missed calls"), OFFICER, 0));
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (scorer_pid > 0) {
		kill(scorer_pid, SIGKILL);
		waitpid(scorer_pid, NULL, 0);
	}
	if (owner)
		PQfinish(owner);
	if (dbname)
		tl_db_drop(dbname);
	return 0;
}

/* Every current score of an active provider is the evaluator's on the
 * stored records at its stored as-of, to the last digit and the stored
 * detail; returns how many.  A closed provider is no longer scored, so its
 * last score stands while its records move on (its closure is one of them,
 * a provider_loss row, 027). */
static int
assert_scores_are_the_evaluators(void)
{
	struct cw_error err;
	struct cw_db *db;
	const struct cw_ruleset *rs;
	PGresult *r;
	bool none;
	int n;

	cw_error_clear(&err);
	db = cw_db_open(NULL, &err);
	if (db == NULL)
		fail_msg("connect: %s", err.msg);
	rs = cw_scoring_active(db, &none, &err);
	assert_non_null(rs);
	r = PQexec(owner, "SELECT s.provider_id, extract(epoch FROM s.as_of)::bigint, s.score::text, s.band,"
			  " s.flag::text, s.detail::text, s.ruleset_hash, s.id FROM provider_current_score c"
			  " JOIN provider_score s ON s.id = c.score_id"
			  " JOIN provider p ON p.id = s.provider_id AND p.status = 'active' ORDER BY 1");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct cw_provider_intel pi;
		struct cw_score s;
		char total[32], *json;
		const char *p[2];
		PGresult *same;

		cw_intel_init(&pi);
		memset(&s, 0, sizeof(s));
		if (!cw_intel_load(db, PQgetvalue(r, i, 0), &pi, &err) ||
		    !cw_score_evaluate_summary(rs, &pi, (cw_time)strtoll(PQgetvalue(r, i, 1), NULL, 10), &s, &err))
			fail_msg("evaluate %s: %s", PQgetvalue(r, i, 0), err.msg);
		snprintf(total, sizeof(total), "%.2f", s.total);
		assert_string_equal(PQgetvalue(r, i, 2), total);
		assert_string_equal(PQgetvalue(r, i, 3), cw_vocab_word(&cw_vocab_risk, (int)s.band));
		assert_string_equal(PQgetvalue(r, i, 4), s.flag ? "true" : "false");
		assert_string_equal(PQgetvalue(r, i, 6), cw_rules_hash(rs));
		json = cw_score_summary_json(&s);
		p[0] = json;
		p[1] = PQgetvalue(r, i, 7);
		same = PQexecParams(owner, "SELECT detail = $1::jsonb FROM provider_score WHERE id = $2::bigint", 2,
				    NULL, p, NULL, NULL, 0);
		if (strcmp(PQgetvalue(same, 0, 0), "t") != 0)
			fail_msg("%s: stored detail %s, evaluator %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 5), json);
		PQclear(same);
		free(json);
		cw_score_free(&s);
		cw_intel_free(&pi);
	}
	PQclear(r);
	cw_db_close(db);
	return n;
}

/* The scores the scorer stored for the provider named. */
static long
scores_of(const char *name)
{
	char sql[300];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM provider_score s JOIN provider p ON p.id = s.provider_id"
				   " WHERE p.name = '%s' AND s.recorded_by = 'cwt_scorer'", name);
	return tl_count(owner, sql);
}

static void
test_scorer_drained_queue_gives_the_evaluators_scores(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	assert_true(tl_count(owner, "SELECT count(*) FROM score_queue") >= 3);
	tl_scorer_drain();
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue"), 0);
	assert_int_equal(assert_scores_are_the_evaluators(), 3);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_current_score c JOIN provider_score s"
					 " ON s.id = c.score_id WHERE s.recorded_by = 'cwt_scorer'"), 3);
}

static void
test_scorer_once_twice_writes_nothing_the_second_time(void **state)
{
	char *out, *err;
	long scores, audit;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("visit", "add", "Juniper Day Centre", "--kind", "routine", "--outcome",
			     "minor_concerns"), OFFICER, 0));
	assert_int_equal(tl_run(TL_ARGV("scorer", "--once"), NULL, &out, &err, SCORER), 0);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "scorer: rescored 1 provider (1 taken off the queue, 0 not scored) in 1"));
	free(out);
	free(err);
	scores = tl_count(owner, "SELECT count(*) FROM provider_score");
	audit = tl_count(owner, "SELECT count(*) FROM audit_log");
	assert_int_equal(tl_run(TL_ARGV("scorer", "--once"), NULL, &out, &err, SCORER), 0);
	assert_non_null(strstr(err, "scorer: rescored 0 providers (0 taken off the queue, 0 not scored)"
				    " in 0 transactions, "));
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), scores);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log"), audit);
	assert_scores_are_the_evaluators();
}

static void
test_scorer_streaming_engine_gives_the_same_scores(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	/* An activation queues everyone; from one queued provider on, the
	 * scorer uses the nightly's streaming engine. */
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Kestrel Court", "--care-type", "residential", "--locality",
			     "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("restriction", "add", "Kestrel Court", "--kind", "partial", "--from", "2024-06-01",
			     "--note", "Fire doors"), "PGUSER=cwt_sc_max", 0));
	assert_int_equal(tl_run(TL_ARGV("scorer", "--once", "--bulk-at", "1"), NULL, &out, &err, SCORER), 0);
	assert_non_null(strstr(err, "scorer: rescored 4 providers (4 taken off the queue, 0 not scored) in 1"
				    " transaction, 1 through the streaming engine ("));
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score s JOIN provider_current_score c"
					 " ON c.score_id = s.id WHERE s.cause = 'activate'"), 3);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score s JOIN provider p"
					 " ON p.id = s.provider_id WHERE p.name = 'Kestrel Court' AND s.cause = 'record'"
					 " AND s.recorded_by = 'cwt_scorer'"), 1);
	assert_int_equal(assert_scores_are_the_evaluators(), 4);
	/* A closed provider is not scored, in either path, and leaves the queue. */
	tl_query1(owner, "UPDATE provider SET status = 'closed', closed_on = '2024-07-01' WHERE name = 'Kestrel Court'");
	assert_int_equal(tl_run(TL_ARGV("scorer", "--once", "--bulk-at", "1"), NULL, &out, &err, SCORER), 0);
	assert_non_null(strstr(err, "scorer: rescored 0 providers (1 taken off the queue, 1 not scored)"));
	free(out);
	free(err);
	tl_query1(owner, "UPDATE provider SET status = 'closed', closed_on = '2024-07-02' WHERE name = 'Kestrel Court'");
	assert_int_equal(tl_run(TL_ARGV("scorer", "--once"), NULL, &out, &err, SCORER), 0);
	assert_non_null(strstr(err, "scorer: rescored 0 providers (1 taken off the queue, 1 not scored)"));
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue"), 0);
}

/* An officer's concern about p, sent as raw SQL on c (not waiting). */
static void
send_concern(PGconn *c, const char *provider)
{
	char sql[600];

	snprintf(sql, sizeof(sql), "BEGIN; INSERT INTO concern (id, provider_id, received_at, risk, category, source,"
				   " safeguarding, summary) SELECT gen_random_uuid(), id, now(), 'very_high', 'medication',"
				   " 'health', true, 'Raw insert' FROM provider WHERE name = '%s'", provider);
	assert_int_equal(PQsendQuery(c, sql), 1);
}

static void
finish_ok(PGconn *c)
{
	PGresult *r;

	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("%s", PQresultErrorMessage(r));
		PQclear(r);
	}
}

static void
test_scorer_a_writer_not_yet_committed_is_never_lost(void **state)
{
	PGconn *w, *s, *super;
	PGresult *r;
	long before;
	int waited = 0;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Ivy Homecare is queued (a committed write) when a second writer,
	 * not yet committed, adds a concern: the scorer must not take the row
	 * and score Ivy without that concern, leaving nothing queued. */
	tl_query1(owner, "UPDATE provider SET beds = NULL WHERE name = 'Ivy Homecare'");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue"), 1);
	w = tl_connect("cwt_sc_olga");
	send_concern(w, "Ivy Homecare");
	finish_ok(w);
	before = scores_of("Ivy Homecare");
	tl_scorer_drain();                       /* skips the row the writer holds; does not wait */
	assert_int_equal(scores_of("Ivy Homecare"), before);
	r = PQexec(w, "COMMIT");
	PQclear(r);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue q JOIN provider p ON p.id = q.provider_id"
					 " WHERE p.name = 'Ivy Homecare'"), 1);
	tl_scorer_drain();
	assert_int_equal(scores_of("Ivy Homecare"), before + 1);
	assert_scores_are_the_evaluators();
	/* The other order: the scorer has taken Juniper off the queue and not
	 * committed yet; a writer's concern waits for that commit, then queues
	 * Juniper again. */
	tl_query1(owner, "UPDATE provider SET beds = NULL WHERE name = 'Juniper Day Centre'");
	tl_scorer_drain();
	tl_query1(owner, "UPDATE provider SET beds = NULL WHERE name = 'Juniper Day Centre'");
	s = tl_connect("cwt_scorer");
	r = PQexec(s, "BEGIN; SELECT * FROM api.score_claim(10)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	PQclear(r);
	send_concern(w, "Juniper Day Centre");
	super = tl_connect("postgres");
	while (tl_count(super, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_sc_olga'"
			       " AND wait_event_type = 'Lock'") == 0) {
		usleep(50 * 1000);
		assert_true(++waited < 400);
	}
	PQfinish(super);
	r = PQexec(s, "COMMIT");
	PQclear(r);
	finish_ok(w);
	r = PQexec(w, "COMMIT");
	PQclear(r);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue q JOIN provider p ON p.id = q.provider_id"
					 " WHERE p.name = 'Juniper Day Centre'"), 1);
	tl_scorer_drain();
	assert_scores_are_the_evaluators();
	PQfinish(s);
	PQfinish(w);
}

/* Poll (up to 10 s) until the provider has more than n scores. */
static bool
scored_within_10s(const char *provider, long n)
{
	for (int i = 0; i < 200; i++) {
		if (scores_of(provider) > n)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static void
test_scorer_service_picks_up_new_concerns(void **state)
{
	char log[] = "/tmp/cwt-scorer-log.XXXXXX";
	pid_t pid;
	long before;
	int fd, status, waited = 0;
	char buf[4096];
	ssize_t len;
	PGconn *super;

	(void)state;
	if (!tl_db_available())
		skip();
	tl_scorer_drain();
	fd = mkstemp(log);
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, 2);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		putenv((char *)SCORER);
		execl(getenv("CW_BIN"), getenv("CW_BIN"), "scorer", "--wait", "30", (char *)NULL);
		_exit(127);
	}
	scorer_pid = pid;
	/* It is listening once its session shows up by name. */
	super = tl_connect("postgres");
	while (tl_count(super, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'carewatch scorer'") == 0) {
		usleep(50 * 1000);
		assert_true(++waited < 400);
	}
	before = scores_of("Hazel House");
	free(tl_run_out(TL_ARGV("concern", "add", "Hazel House", "--risk", "medium", "--category", "nutrition",
			     "--source", "family", "--note", "Weight loss"), OFFICER, 0));
	assert_true(scored_within_10s("Hazel House", before));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_current_score c JOIN provider p"
					 " ON p.id = c.provider_id JOIN provider_score s ON s.id = c.score_id"
					 " WHERE p.name = 'Hazel House' AND s.recorded_by = 'cwt_scorer'"), 1);
	/* Its connection is cut: it connects again and carries on. */
	tl_query1(super, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
			 " WHERE application_name = 'carewatch scorer'");
	before = scores_of("Ivy Homecare");
	free(tl_run_out(TL_ARGV("concern", "add", "Ivy Homecare", "--risk", "low", "--category", "other",
			     "--source", "public", "--note", "Parking"), OFFICER, 0));
	assert_true(scored_within_10s("Ivy Homecare", before));
	PQfinish(super);
	/* SIGTERM: it stops cleanly, between transactions. */
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	scorer_pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(log);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_non_null(strstr(buf, "scorer: listening for work on carewatch_score\n"));
	assert_non_null(strstr(buf, "scorer: rescored 1 provider (1 taken off the queue, 0 not scored)"));
	assert_non_null(strstr(buf, "scorer: lost the connection to the database; reconnecting\n"));
	assert_non_null(strstr(buf, "scorer: stopped\n"));
	/* Counts only: no summary text, no provider name. */
	assert_null(strstr(buf, "Parking"));
	assert_null(strstr(buf, "Ivy"));
	assert_scores_are_the_evaluators();
}

/* The SQLSTATE of sql run on c ("" when it succeeded). */
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
test_scorer_people_cannot_write_current_scores_or_the_queue(void **state)
{
	static const char *const logins[] = {"cwt_sc_olga", "cwt_sc_max", "cwt_sc_rita"};
	char before[4096];

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s",
		 tl_query1(owner, "SELECT string_agg(c::text, ',' ORDER BY provider_id) FROM provider_current_score c"));
	tl_query1(owner, "UPDATE provider SET beds = NULL WHERE name = 'Hazel House'");
	for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
		PGconn *c = tl_connect(logins[i]);
		assert_string_equal(sqlstate_of(c, "INSERT INTO provider_current_score (provider_id, score_id, score, band,"
						   " flag, as_of, updated_at) SELECT id, (SELECT max(id) FROM provider_score),"
						   " 0, 'low', false, now() + interval '1 year', now() FROM provider"
						   " WHERE name = 'Juniper Day Centre'"), "42501");
		assert_string_equal(sqlstate_of(c, "UPDATE provider_current_score SET band = 'low'"), "42501");
		assert_string_equal(sqlstate_of(c, "DELETE FROM score_queue"), "42501");
		assert_string_equal(sqlstate_of(c, "SELECT * FROM api.score_claim(100)"), "42501");
		PQfinish(c);
	}
	/* The batch role takes providers off the queue only with their scores. */
	{
		PGconn *c = tl_connect("cwt_scorer");
		assert_string_equal(sqlstate_of(c, "DELETE FROM score_queue"), "42501");
		PQfinish(c);
	}
	assert_string_equal(tl_query1(owner, "SELECT string_agg(c::text, ',' ORDER BY provider_id)"
					     " FROM provider_current_score c"), before);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue"), 1);
	tl_scorer_drain();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scorer_drained_queue_gives_the_evaluators_scores),
		cmocka_unit_test(test_scorer_once_twice_writes_nothing_the_second_time),
		cmocka_unit_test(test_scorer_streaming_engine_gives_the_same_scores),
		cmocka_unit_test(test_scorer_a_writer_not_yet_committed_is_never_lost),
		cmocka_unit_test(test_scorer_service_picks_up_new_concerns),
		cmocka_unit_test(test_scorer_people_cannot_write_current_scores_or_the_queue),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
