/*
 * test_scoring.c - scores on a real database: activating a ruleset stores
 * it by hash and queues everyone, and the scorer rescores them (the
 * manager's activation writes no score itself); recorded intelligence is
 * rescored by the scorer; every stored score names the ruleset's name, hash
 * and as-of; `provider explain` is reproducible to the last digit; `rules
 * diff` writes nothing; an officer may not activate rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#include "carewatch/scoring.h"

static const char *dbname;
static PGconn *owner;

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_scoring", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sam", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_sam", "--name", "Sam", "--fte", "0.8", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_mia", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Beech Court", "--care-type", "nursing", "--locality",
			     "east", "--beds", "52"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Cedar Homecare", "--care-type", "home_care",
			     "--locality", "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("cqc", "add", "Beech Court", "--published", "2024-01-10", "--safe",
			     "inadequate", "--well-led", "inadequate", "--overall", "inadequate"), NULL, 0));
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
test_scoring_activate_stores_by_hash_and_rescores(void **state)
{
	char *out, *err;
	char expect[300];
	const char *hash;

	(void)state;
	if (!tl_db_available())
		skip();
	/* A manager activates: the activation is recorded and every active
	 * provider queued, and no score is written by the manager's login. */
	assert_int_equal(tl_run(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, &out, &err,
				"PGUSER=cwt_mia"), 0);
	assert_non_null(strstr(out, "activated ruleset 'norfolk-default' (sha256 "));
	assert_non_null(strstr(out, "; queued 2 providers: the scorer rescores them\n"
				    "no scorer is connected to this database: the scores change once"));
	assert_string_equal(err, "");
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue WHERE cause = 'activate'"), 2);
	assert_string_equal(tl_query1(owner, "SELECT activated_by FROM active_ruleset"), "cwt_mia");
	/* The scorer stores the new scores, as the activation's. */
	tl_scorer_drain();
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue"), 0);
	hash = tl_query1(owner, "SELECT hash FROM active_ruleset");
	assert_int_equal(strlen(hash), 64);
	snprintf(expect, sizeof(expect),
		 "SELECT count(*) FROM provider_score WHERE cause = 'activate' AND ruleset_hash = '%s'"
		 " AND ruleset_name = 'norfolk-default' AND recorded_by = 'cwt_scorer'", hash);
	assert_int_equal(tl_count(owner, expect), 2);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_current_score"), 2);
	/* Overall inadequate puts Beech Court at least in band high. */
	assert_string_equal(tl_query1(owner, "SELECT s.band IN ('high', 'very_high') FROM"
					     " provider_current_score s JOIN provider p ON p.id = s.provider_id"
					     " WHERE p.name = 'Beech Court'"), "t");
	/* Activating the same file again stores the ruleset once. */
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM ruleset"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM ruleset_activation"), 2);
	tl_scorer_drain();
	out = tl_run_out(TL_ARGV("rules", "show", "--summary"), NULL, 0);
	assert_non_null(strstr(out, "# active ruleset 'norfolk-default'\n# sha256 "));
	assert_non_null(strstr(out, hash));
	free(out);
}

static void
test_scoring_recording_updates_the_score_at_once(void **state)
{
	char *out;
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = tl_count(owner, "SELECT count(*) FROM provider_score s JOIN provider p"
				 " ON p.id = s.provider_id WHERE p.name = 'Cedar Homecare'");
	out = tl_run_out(TL_ARGV("concern", "add", "Cedar Homecare", "--risk", "very_high", "--category",
			      "medication", "--source", "health", "--safeguarding", "--note",
			      "Insulin not given"), "PGUSER=cwt_sam", 0);
	assert_non_null(strstr(out, "assigned to cwt_sam"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue q JOIN provider p ON p.id = q.provider_id"
					 " WHERE p.name = 'Cedar Homecare' AND q.cause = 'record'"), 1);
	tl_scorer_drain();
	assert_true(tl_count(owner, "SELECT count(*) FROM provider_score s JOIN provider p"
				    " ON p.id = s.provider_id WHERE p.name = 'Cedar Homecare'") > before);
	/* The current score is the scorer's, made because of the record. */
	assert_string_equal(tl_query1(owner, "SELECT s.cause || ' ' || s.recorded_by || ' ' ||"
					     " (s.score > 0)::text FROM provider_current_score c"
					     " JOIN provider_score s ON s.id = c.score_id JOIN provider p"
					     " ON p.id = c.provider_id WHERE p.name = 'Cedar Homecare'"),
			    "record cwt_scorer true");
	assert_string_equal(tl_query1(owner, "SELECT c.previous_score IS NOT NULL AND c.score > c.previous_score"
					     " FROM provider_current_score c JOIN provider p"
					     " ON p.id = c.provider_id WHERE p.name = 'Cedar Homecare'"), "t");
}

static void
test_scoring_explain_is_reproducible(void **state)
{
	char *a, *b, *table;

	(void)state;
	if (!tl_db_available())
		skip();
	a = tl_run_out(TL_ARGV("provider", "explain", "Beech Court", "--as-of", "2024-06-30", "--format",
			    "json"), NULL, 0);
	b = tl_run_out(TL_ARGV("provider", "explain", "Beech Court", "--as-of", "2024-06-30", "--format",
			    "json"), NULL, 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"ruleset\""));
	assert_non_null(strstr(a, "\"contributions\""));
	assert_non_null(strstr(a, "well_led"));
	table = tl_run_out(TL_ARGV("provider", "explain", "Beech Court", "--as-of", "2024-06-30"), NULL, 0);
	assert_non_null(strstr(table, "Beech Court: score as of 2024-06-30 23:59"));
	assert_non_null(strstr(table, "total "));
	assert_non_null(strstr(table, "band "));
	free(a);
	free(b);
	free(table);
	/* Before the rating was published it does not count. */
	a = tl_run_out(TL_ARGV("provider", "explain", "Beech Court", "--as-of", "2023-12-31", "--format",
			    "json"), NULL, 0);
	assert_null(strstr(a, "well_led"));
	free(a);
}

static void
test_scoring_diff_writes_nothing(void **state)
{
	char path[] = "/tmp/cwt-rules.XXXXXX";
	char cmd[1200];
	char *out;
	long scores, audit;
	int fd;

	(void)state;
	if (!tl_db_available())
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* A candidate where everything scoring at all is at least medium. */
	snprintf(cmd, sizeof(cmd), "sed -e 's/^name = .*/name = candidate/' -e 's/^medium = 15$/medium = 0.01/'"
				   " %s > %s", tl_path("../rules/default.rules"), path);
	assert_int_equal(system(cmd), 0);
	scores = tl_count(owner, "SELECT count(*) FROM provider_score");
	audit = tl_count(owner, "SELECT count(*) FROM audit_log");
	out = tl_run_out(TL_ARGV("rules", "diff", path), NULL, 0);
	assert_non_null(strstr(out, "Bands: active (rows) against candidate (columns)"));
	assert_non_null(strstr(out, "Providers that change band"));
	free(out);
	out = tl_run_out(TL_ARGV("rules", "diff", path, "--format", "csv"), NULL, 0);
	assert_non_null(strstr(out, "provider,from_band,to_band,from_score,to_score,id\n"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), scores);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log"), audit);
	unlink(path);
}

static void
test_scoring_officer_cannot_activate_rules(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL,
				&out, &err, "PGUSER=cwt_sam"), 4);
	assert_string_equal(err, "carewatch: error: permission denied for role cwt_sam: activating rules"
				 " is for the quality manager\n"
				 "hint: ask the database owner: carewatch db role add cwt_sam --as manager\n");
	free(out);
	free(err);
}

/* The plan of sql (one uuid parameter: provider p) as one string. */
static char *
plan_of(const char *sql, const char *p)
{
	size_t len = strlen(sql) + 16, used = 0;
	char *explain = malloc(len), *plan = calloc(1, 1);
	const char *params[1] = {p};
	PGresult *r;

	snprintf(explain, len, "EXPLAIN %s", sql);
	r = PQexecParams(owner, explain, 1, NULL, params, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	for (int i = 0; i < PQntuples(r); i++) {
		size_t n = strlen(PQgetvalue(r, i, 0));
		char *more = realloc(plan, used + n + 2);
		assert_non_null(more);
		plan = more;
		memcpy(plan + used, PQgetvalue(r, i, 0), n);
		used += n;
		plan[used++] = '\n';
		plan[used] = '\0';
	}
	PQclear(r);
	free(explain);
	return plan;
}

static void
test_scoring_one_provider_read_is_indexed_on_every_table(void **state)
{
	char pid[64], *plan;

	(void)state;
	if (!tl_db_available())
		skip();
	/* The scorer's and the one-shot commands' read of one provider: an
	 * index on provider_id for every table (cqc_rating had none, so
	 * rescoring the country read it 29,211 times).  The test tables are
	 * tiny, so the planner is told seq scans cost the earth. */
	snprintf(pid, sizeof(pid), "%s", tl_query1(owner, "SELECT id FROM provider WHERE name = 'Beech Court'"));
	tl_query1(owner, "SET enable_seqscan = off");
	plan = plan_of(cw_intel_rows_one_sql, pid);
	tl_query1(owner, "RESET enable_seqscan");
	/* A bitmap scan ("Bitmap Index Scan on cqc_rating_provider") or, with
	 * 020's wider rows, a plain one ("Index Scan using cqc_rating_provider"). */
	if (strstr(plan, "Seq Scan") ||
	    (!strstr(plan, "on cqc_rating_provider") && !strstr(plan, "using cqc_rating_provider ")))
		fail_msg("the one-provider read is not indexed:\n%s", plan);
	free(plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scoring_activate_stores_by_hash_and_rescores),
		cmocka_unit_test(test_scoring_recording_updates_the_score_at_once),
		cmocka_unit_test(test_scoring_explain_is_reproducible),
		cmocka_unit_test(test_scoring_diff_writes_nothing),
		cmocka_unit_test(test_scoring_officer_cannot_activate_rules),
		cmocka_unit_test(test_scoring_one_provider_read_is_indexed_on_every_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
