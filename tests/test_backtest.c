/*
 * test_backtest.c - `carewatch backtest` and `rules diff --backtest` on a
 * real database.
 *
 * A hand-made county of five providers scored with tests/rules/backtest.rules
 * (whole-number weights, no decay) at two month ends, every figure worked out
 * in the comments: who was open, which outcome followed, the AUC of the rules
 * and of the CQC-only baseline overall and by sector (with the one-kind
 * sectors refused, not given a number), the visit budget, the calibration,
 * the flags, the outcome and horizon options and the bad inputs.  Then a
 * small generated county (build/cwgen): the same figures from two runs and
 * after the server restarts, a readonly analyst may run it, and a candidate
 * ruleset given with --rules writes nothing (every table compared before and
 * after).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static const char *dbname;
static char gendb[64];
static PGconn *owner;

#define OFFICER "PGUSER=cwt_bt_olive"

static void
add(const char *const argv[])
{
	free(tl_run_out(argv, OFFICER, 0));
}

/*
 * The county, with tests/rules/backtest.rules, month ends January and
 * February 2024, outcomes within 3 months:
 *
 *   Ash (residential)   Overall RI published 2023-06-01: 10 at both month
 *                       ends; Inadequate published 2024-03-15, inside both
 *                       windows: adverse twice.  CQC baseline 2 (RI).
 *   Birch (residential) Overall Good 2023-06-01: 0, never adverse.  Baseline 1.
 *   Cedar (home care)   a very high concern 2024-01-20: 15 at January (and
 *                       a flag); all placements restricted from 2024-02-10,
 *                       inside January's window (adverse) but before
 *                       February's: 15 + 30 = 45 then, not adverse, and
 *                       flagged again (the concern is 40 days old).
 *                       Baseline 1 (not rated).
 *   Damson (day care)   nothing: 0, never adverse.  Baseline 1.
 *   Elm (nursing)       a high concern 2024-01-10: 8; closed 2024-02-20,
 *                       inside January's window (adverse), so not open at
 *                       February's month end.  Baseline 1.
 *
 * Observations: 5 in January (3 adverse), 4 in February (1 adverse).
 * Rules: the adverse score 10, 15, 8 (January) and 10 (February); the
 * others 0, 0 (January) and 0, 45, 0 (February).  Each adverse one beats
 * the four zeros and loses to 45: 16 of 20 pairs, AUC 0.800.
 * Baseline: adverse 2, 1, 1, 2; others all 1: the 2s win 5 pairs each,
 * the 1s tie 5 each: (10 + 5) / 20 = 0.750.  Difference +0.050.
 */
static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_backtest", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bt_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bt_ana", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_bt_olive", "--name", "Olive", "--fte", "1", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("rules/backtest.rules")), NULL, 0));
	add(TL_ARGV("provider", "add", "Ash House", "--care-type", "residential", "--locality", "east"));
	add(TL_ARGV("provider", "add", "Birch Lodge", "--care-type", "residential", "--locality", "east"));
	add(TL_ARGV("provider", "add", "Cedar Homecare", "--care-type", "home_care", "--locality", "east"));
	add(TL_ARGV("provider", "add", "Damson Day Centre", "--care-type", "day_care", "--locality", "east"));
	add(TL_ARGV("provider", "add", "Elm Nursing Home", "--care-type", "nursing", "--locality", "east"));
	add(TL_ARGV("cqc", "add", "Ash House", "--published", "2023-06-01", "--overall", "requires_improvement"));
	add(TL_ARGV("cqc", "add", "Ash House", "--published", "2024-03-15", "--overall", "inadequate"));
	add(TL_ARGV("cqc", "add", "Birch Lodge", "--published", "2023-06-01", "--overall", "good"));
	add(TL_ARGV("concern", "add", "Cedar Homecare", "--risk", "very_high", "--category", "medication",
		    "--source", "family", "--received", "2024-01-20 10:00", "--note", "Missed insulin"));
	add(TL_ARGV("restriction", "add", "Cedar Homecare", "--kind", "all", "--from", "2024-02-10", "--note",
		    "Serious concerns"));
	add(TL_ARGV("concern", "add", "Elm Nursing Home", "--risk", "high", "--category", "staffing", "--source",
		    "professional", "--received", "2024-01-10 10:00", "--note", "Short-staffed nights"));
	add(TL_ARGV("loss", "add", "Elm Nursing Home", "--kind", "closure", "--date", "2024-02-20", "--beds", "30"));
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (owner)
		PQfinish(owner);
	if (gendb[0])
		tl_db_drop(gendb);
	if (dbname)
		tl_db_drop(dbname);
	return 0;
}

#define FIXTURE_ARGS "backtest", "--from", "2024-01", "--to", "2024-02", "--horizon", "3", "--as-of", "2024-12-31"

static void
expect_line(const char *out, const char *line)
{
	if (strstr(out, line) == NULL) {
		/* cmocka truncates long messages: the output goes to stderr whole. */
		fprintf(stderr, "expected the line\n%s\nin\n%s\n", line, out);
		fail_msg("expected line not found");
	}
}

static void
test_backtest_hand_worked_county(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS, "--format", "csv"), NULL, 0);
	/* Overall and by sector; one-kind sectors are refused with the reason. */
	expect_line(out, "\nAll providers,backtest-fixture,9,4,0.800,");
	expect_line(out, "\nAll providers,CQC rating only,9,4,0.750,");
	expect_line(out, "\nResidential,backtest-fixture,4,2,1.000,");
	/* Cedar: adverse at 15 (January), not at 45 (February); the baseline ties. */
	expect_line(out, "\nHome care,backtest-fixture,2,1,0.000,");
	expect_line(out, "\nHome care,CQC rating only,2,1,0.500,");
	expect_line(out, "\nNursing,backtest-fixture,1,1,,,,cannot compute an AUC: all 1 observations had an adverse outcome\n");
	expect_line(out, "\nDay care,CQC rating only,2,0,,,,cannot compute an AUC: none of the 2 observations had an adverse outcome\n");
	expect_line(out, "\nAll providers,backtest-fixture minus CQC rating only,0.050,");
	/* The visit budget: top 10% is 1 of January's 5 (Cedar for the rules,
	 * adverse; Ash for the baseline, adverse) and 0 of February's 4; top
	 * 20% adds 1 of February's: Cedar at 45 (not adverse), Ash at 2
	 * (adverse).  Of 4 adverse outcomes: 25%, 25%; 25%, 50%. */
	expect_line(out, "\nbacktest-fixture,4,1.0,25.0,1.0,25.0\n");
	expect_line(out, "\nCQC rating only,4,1.0,25.0,2.0,50.0\n");
	/* Calibration.  Low: Birch and Damson twice, Elm (adverse): 1 of 5.
	 * Medium: Ash twice and Cedar in January, all adverse.  Very high:
	 * Cedar in February, not adverse. */
	expect_line(out, "\nLow,5,1,20.0\nMedium,3,3,100.0\nHigh,0,0,\nVery high,1,0,0.0\n");
	expect_line(out, "\nOutstanding,0,0,\nGood,2,0,0.0\nRequires improvement,2,2,100.0\nInadequate,0,0,\n"
			 "Not rated,5,2,40.0\n");
	/* Month by month: Cedar flagged both times, adverse only after January;
	 * nobody rated Inadequate yet. */
	expect_line(out, "\n2024-01,yes,5,3,1,1,0,0\n2024-02,yes,4,1,1,0,0,0\n");
	/* The ROC curve at 0% false positives: none found by the rules yet,
	 * the baseline's top group (Ash twice, no false positive) finds 2 of 4. */
	expect_line(out, "\n0,0.0,50.0,0\n");
	free(out);

	/* Only ratings count: Ash at both month ends. */
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS, "--outcome", "rating", "--format", "csv"), NULL, 0);
	expect_line(out, "\nAll providers,backtest-fixture,9,2,");
	expect_line(out, "\n2024-01,yes,5,1,1,0,0,0\n2024-02,yes,4,1,1,0,0,0\n");
	free(out);
	/* A one-month horizon: January's window is February (Cedar's
	 * restriction, Elm's closure), February's is March (Ash's rating). */
	out = tl_run_out(TL_ARGV("backtest", "--from", "2024-01", "--to", "2024-02", "--horizon", "1", "--as-of",
				 "2024-12-31", "--format", "csv"), NULL, 0);
	expect_line(out, "\n2024-01,yes,5,2,1,1,0,0\n2024-02,yes,4,1,1,0,0,0\n");
	free(out);
	/* An as-of before the window ends: February's outcome is not known yet
	 * (its flags still count), and only January is observed. */
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS, "--as-of", "2024-05-15", "--format", "csv"), NULL, 0);
	expect_line(out, "\nAll providers,backtest-fixture,5,3,");
	expect_line(out, "\n2024-01,yes,5,3,1,1,0,0\n2024-02,not yet,4,,1,,0,\n");
	free(out);
	/* Before any outcome window has passed: scored and flagged, but no
	 * AUC, and the reason, not a number. */
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS, "--as-of", "2024-04-15", "--format", "csv"), NULL, 0);
	expect_line(out, "\nAll providers,backtest-fixture,0,0,,,,no month end in the range has its 3-month "
			 "outcome known by 2024-04-15\n");
	expect_line(out, "\n2024-01,not yet,5,,1,,0,\n2024-02,not yet,4,,1,,0,\n");
	free(out);
	/* The table and the JSON say the same. */
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS), NULL, 0);
	expect_line(out, "All providers, backtest-fixture: 0.800 (");
	expect_line(out, "backtest-fixture would have raised 1 to 1 placement-restriction flags at a month end");
	free(out);
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS, "--format", "json"), NULL, 0);
	expect_line(out, "{\"sector\": \"All providers\", \"model\": \"backtest-fixture\", \"observations\": 9, "
			 "\"adverse\": 4, \"auc\": 0.800, ");
	expect_line(out, "\"auc\": null, \"low\": null, \"high\": null, \"note\": \"cannot compute an AUC: all 1 "
			 "observations had an adverse outcome\"}");
	free(out);
	/* HTML: the ROC curve and the calibration bars as inline SVG. */
	out = tl_run_out(TL_ARGV(FIXTURE_ARGS, "--format", "html"), NULL, 0);
	expect_line(out, "<svg");
	expect_line(out, "ROC curve: adverse outcomes found against false alarms");
	expect_line(out, "Calibration: adverse outcomes by band (backtest-fixture)");
	expect_line(out, "<polyline");
	expect_line(out, "<rect");
	free(out);
}

static void
test_backtest_rules_diff_side_by_side(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* The default rules as the candidate against the active fixture. */
	out = tl_run_out(TL_ARGV("rules", "diff", tl_path("../rules/default.rules"), "--backtest", "--from", "2024-01",
				 "--to", "2024-02", "--horizon", "3", "--as-of", "2024-12-31", "--format", "csv"),
			 NULL, 0);
	expect_line(out, "\nAll providers,active 'backtest-fixture',9,4,0.800,");
	expect_line(out, "\nAll providers,candidate 'norfolk-default',9,4,");
	expect_line(out, "\nAll providers,CQC rating only,9,4,0.750,");
	expect_line(out, "\nAll providers,candidate 'norfolk-default' minus active 'backtest-fixture',");
	expect_line(out, "# calibration_2: Calibration: adverse outcomes by band (candidate 'norfolk-default')\n");
	free(out);
}

static void
test_backtest_bad_input(void **state)
{
	char *err;

	(void)state;
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("backtest", "--to", "2024-02"), NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "missing --from YYYY-MM (the first month end to score)"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("backtest", "--from", "2024-03", "--to", "2024-02"), NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "--to 2024-02 is before --from 2024-03"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("backtest", "--from", "2024-13", "--to", "2024-02"), NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "invalid month '2024-13'"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("backtest", "--from", "2024-01", "--to", "2024-02", "--horizon", "0"), NULL,
				NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "invalid horizon '0' (expected 1 to 60 months)"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("backtest", "--from", "2024-01", "--to", "2024-02", "--outcome",
					"rating,death"), NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "invalid outcome 'death' (expected rating, restriction or closure)"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("backtest", "--from", "2024-01", "--to", "2024-06", "--as-of", "2024-06-29"),
				NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "month 2024-06 has not ended by 2024-06-29"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("backtest", "--from", "2024-01", "--to", "2024-02", "--rules",
					tl_path("rules/bad/14-band-not-a-number.rules")), NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "14-band-not-a-number.rules:2:10: error: invalid number 'ten' for 'medium'"));
	free(err);
	assert_int_equal(tl_run(TL_ARGV("rules", "diff", tl_path("../rules/default.rules"), "--from", "2024-01"),
				NULL, NULL, &err, NULL), 2);
	assert_non_null(strstr(err, "--from, --to, --horizon, --outcome and --as-of are for --backtest"));
	free(err);
}

/* Every row of every table, hashed: equal digests mean nothing was written. */
static char *
digest(void)
{
	PGresult *r = PQexec(owner, "SELECT string_agg(format('SELECT %L || '':'' || coalesce(md5(string_agg(x::text, "
				    "'','' ORDER BY x::text)), '''') FROM %I x', tablename, tablename), ' UNION ALL '"
				    " ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'");
	char *sql, *out;

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	sql = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	{
		size_t len = strlen(sql) + 200;
		char *all = malloc(len);
		snprintf(all, len, "SELECT md5(string_agg(d, ',' ORDER BY d)) FROM (%s) s(d)", sql);
		out = strdup(tl_query1(owner, all));
		free(all);
	}
	free(sql);
	return out;
}

static char datadir[1024];

static int
run_pg_ctl(const char *action)
{
	char cmd[3000];
	const char *bin = getenv("CW_TEST_PGBIN");

	snprintf(cmd, sizeof(cmd), "%s%s/pg_ctl -D %s -l %s/../server.log -w -t 60 %s >/dev/null 2>&1",
		 geteuid() == 0 ? "runuser -u postgres -- " : "", bin ? bin : "/usr/lib/postgresql/15/bin",
		 datadir, datadir, action);
	return system(cmd);
}

static int
gen(const char *seed)
{
	char bin[1024], *saved = getenv("CW_BIN") ? strdup(getenv("CW_BIN")) : NULL, *out, *err;
	int rc;

	snprintf(bin, sizeof(bin), "%s/build/cwgen", getenv("CW_TOP") ? getenv("CW_TOP") : ".");
	if (access(bin, X_OK) != 0)
		fail_msg("%s is missing: run 'make build/cwgen'", bin);
	setenv("CW_BIN", bin, 1);
	rc = tl_run(TL_ARGV("--providers", "60", "--seed", seed, "--as-of", "2025-03-10", "--quiet", "--rules",
			    tl_path("../rules/default.rules")), NULL, &out, &err, NULL);
	if (rc != 0)
		fprintf(stderr, "cwgen exit %d\n%s%s", rc, out, err);
	free(out);
	free(err);
	if (saved) {
		setenv("CW_BIN", saved, 1);
		free(saved);
	} else {
		unsetenv("CW_BIN");
	}
	return rc;
}

#define GEN_ARGS "backtest", "--from", "2023-09", "--to", "2024-02", "--as-of", "2025-03-09"

static void
test_backtest_same_figures_twice_and_after_a_restart(void **state)
{
	char *a, *b, *c, *d, *before, *after, *out;
	PGconn *su;

	(void)state;
	if (!tl_db_available())
		skip();
	PQfinish(owner);
	snprintf(gendb, sizeof(gendb), "%s", tl_db_create("cwt_backtest_gen", true));
	owner = tl_connect(NULL);
	assert_int_equal(gen("3"), 0);
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bt_ana", "--as", "readonly"), NULL, 0));

	a = tl_run_out(TL_ARGV(GEN_ARGS, "--format", "csv"), NULL, 0);
	expect_line(a, "\nAll providers,norfolk-default,");
	b = tl_run_out(TL_ARGV(GEN_ARGS, "--format", "csv"), NULL, 0);
	assert_string_equal(a, b);
	/* A readonly analyst gets the same: a backtest needs no write privilege. */
	c = tl_run_out(TL_ARGV(GEN_ARGS, "--format", "csv"), "PGUSER=cwt_bt_ana", 0);
	assert_string_equal(a, c);

	/* The server restarted: the same figures. */
	su = tl_connect("postgres");
	snprintf(datadir, sizeof(datadir), "%s", tl_query1(su, "SHOW data_directory"));
	PQfinish(su);
	PQfinish(owner);
	owner = NULL;
	assert_int_equal(run_pg_ctl("restart -m fast"), 0);
	owner = tl_connect(NULL);
	d = tl_run_out(TL_ARGV(GEN_ARGS, "--format", "csv"), NULL, 0);
	assert_string_equal(a, d);

	/* A candidate ruleset writes nothing: every table as it was. */
	before = digest();
	out = tl_run_out(TL_ARGV(GEN_ARGS, "--rules", tl_path("rules/backtest.rules"), "--format", "csv"), NULL, 0);
	expect_line(out, "\nAll providers,backtest-fixture,");
	free(out);
	out = tl_run_out(TL_ARGV("rules", "diff", tl_path("rules/backtest.rules"), "--backtest", "--from", "2023-09",
				 "--to", "2024-02", "--as-of", "2025-03-09"), NULL, 0);
	free(out);
	after = digest();
	assert_string_equal(before, after);
	free(a);
	free(b);
	free(c);
	free(d);
	free(before);
	free(after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backtest_hand_worked_county),
		cmocka_unit_test(test_backtest_rules_diff_side_by_side),
		cmocka_unit_test(test_backtest_bad_input),
		cmocka_unit_test(test_backtest_same_figures_twice_and_after_a_restart),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
