/*
 * test_report.c - the reports end to end through the real binary, against a
 * small market built with carewatch's own commands (provider add, cqc add,
 * concern add, case respond/close, safeguarding add, restriction add/lift,
 * loss add) whose every figure is worked out by hand below.  Covers the
 * as-of boundary (a rating published on the as-of date counts; one published
 * the day after does not), London month ends, the target setting, every
 * report's HTML checked by xmllint, the six dashboards of --all, the
 * read-only role running every report, and bad input; and the audiences:
 * a public dashboard or annual report names no provider the internal one
 * lists, in any format, small counts show as "<5" with their percentages
 * withheld, a share of fewer than 10 as "n<10", the note only in public,
 * and each command's default audience.
 *
 * The market (localities East, North, Norwich, South, West):
 *
 *   provider             care type    locality  overall ratings published
 *   Alder House          residential  north     2017-01-10 RI, 2017-06-15 RI, 2018-03-31 good
 *   Birch Court Nursing  nursing      north     2016-11-01 good, 2017-09-20 RI, 2018-04-01 good
 *   Cherry Home Care     home_care    south     2016-05-05 outstanding
 *   Damson House         residential  south     2017-02-14 inadequate, 2017-08-30 RI, 2018-02-01 RI
 *   Elder Nursing        nursing      norwich   2017-05-01 good
 *   Fig Day Centre       day_care     east      (not rated)
 *   Grove House          residential  west      2016-06-01 good; closed 2017-02-15 (25 beds)
 *
 * Safe and Well-led are published with each overall rating (the same word,
 * except Alder House well-led inadequate in 2017-01, Cherry Home Care
 * well-led outstanding, Elder Nursing safe RI); Birch Court's 2018-04-01
 * publication is overall only; Cherry Home Care is also rated caring
 * outstanding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;
static char tmpdir[64];

#define RORY "PGUSER=cwt_rory"
#define MARY "PGUSER=cwt_mary"

static void
run_ok(const char *const argv[], const char *env)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != 0) {
		fprintf(stderr, "exit %d from:", rc);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\nstdout: %s\nstderr: %s\n", out, err);
	}
	assert_int_equal(rc, 0);
	free(out);
	free(err);
}

/* Run a report and compare its whole output with expected. */
static void
expect_output(const char *const argv[], const char *env, const char *expected)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != 0 || strcmp(out, expected) != 0) {
		fprintf(stderr, "command:");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fail_msg("exit %d\n--- got:\n%s--- expected:\n%s--- stderr:\n%s", rc, out, expected, err);
	}
	free(out);
	free(err);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The case opened by the concern received at `received` (UTC text). */
static const char *
case_of(const char *received)
{
	static char number[32];
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT c.number FROM case_file c JOIN concern k ON k.id = c.concern_id"
		 " WHERE k.received_at = '%s'", received);
	snprintf(number, sizeof(number), "%s", tl_query1(owner, sql));
	assert_true(number[0] != '\0');
	return number;
}

/* Close a case, then date the closure as if it had been closed at `at`
 * (the owner may correct history; `case close` stamps the current time). */
static void
close_case_at(const char *received, const char *at)
{
	char sql[256], number[32];

	snprintf(number, sizeof(number), "%s", case_of(received));
	run_ok(TL_ARGV("case", "close", number, "--note", "Resolved"), NULL);
	snprintf(sql, sizeof(sql), "UPDATE case_file SET closed_at = '%s' WHERE number = %s", at, number);
	tl_query1(owner, sql);
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_report", true);
	owner = tl_connect(NULL);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cwt-report-%d", (int)getpid());
	assert_int_equal(mkdir(tmpdir, 0700) == 0 || access(tmpdir, W_OK) == 0, 1);
	run_ok(TL_ARGV("db", "role", "add", "cwt_rory", "--as", "readonly"), NULL);
	run_ok(TL_ARGV("db", "role", "add", "cwt_mary", "--as", "manager"), NULL);
	run_ok(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL);
	run_ok(TL_ARGV("provider", "add", "Alder House", "--care-type", "residential", "--locality",
		       "north", "--beds", "30"), NULL);
	run_ok(TL_ARGV("provider", "add", "Birch Court Nursing", "--care-type", "nursing", "--locality",
		       "north", "--beds", "40"), NULL);
	run_ok(TL_ARGV("provider", "add", "Cherry Home Care", "--care-type", "home_care", "--locality",
		       "south"), NULL);
	run_ok(TL_ARGV("provider", "add", "Damson House", "--care-type", "residential", "--locality",
		       "south", "--beds", "20", "--cqc-id", "1-1000000004"), NULL);
	run_ok(TL_ARGV("provider", "add", "Elder Nursing", "--care-type", "nursing", "--locality",
		       "norwich", "--beds", "50"), NULL);
	run_ok(TL_ARGV("provider", "add", "Fig Day Centre", "--care-type", "day_care", "--locality",
		       "east"), NULL);
	run_ok(TL_ARGV("provider", "add", "Grove House", "--care-type", "residential", "--locality",
		       "west", "--beds", "25"), NULL);

	/* CQC ratings. */
	run_ok(TL_ARGV("cqc", "add", "Alder", "--published", "2017-01-10", "--overall",
		       "requires_improvement", "--safe", "requires_improvement", "--well-led", "inadequate"),
	       NULL);
	run_ok(TL_ARGV("cqc", "add", "Alder", "--published", "2017-06-15", "--overall",
		       "requires_improvement", "--safe", "requires_improvement", "--well-led",
		       "requires_improvement"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Alder", "--published", "2018-03-31", "--overall", "good", "--safe",
		       "good", "--well-led", "good"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Birch", "--published", "2016-11-01", "--overall", "good", "--safe",
		       "good", "--well-led", "good"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Birch", "--published", "2017-09-20", "--overall",
		       "requires_improvement", "--safe", "requires_improvement", "--well-led",
		       "requires_improvement"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Birch", "--published", "2018-04-01", "--overall", "good"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Cherry", "--published", "2016-05-05", "--overall", "outstanding",
		       "--safe", "good", "--well-led", "outstanding", "--caring", "outstanding"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Damson", "--published", "2017-02-14", "--overall", "inadequate",
		       "--safe", "inadequate", "--well-led", "inadequate"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Damson", "--published", "2017-08-30", "--overall",
		       "requires_improvement", "--safe", "requires_improvement", "--well-led",
		       "requires_improvement"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Damson", "--published", "2018-02-01", "--overall",
		       "requires_improvement", "--safe", "requires_improvement", "--well-led",
		       "requires_improvement"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Elder", "--published", "2017-05-01", "--overall", "good", "--safe",
		       "requires_improvement", "--well-led", "good"), NULL);
	run_ok(TL_ARGV("cqc", "add", "Grove", "--published", "2016-06-01", "--overall", "good", "--safe",
		       "good", "--well-led", "good"), NULL);

	/* Provider loss: Grove House closes (no beds given: its 25 registered
	 * beds), Birch Court de-registers 12 nursing beds, Alder House loses 3. */
	run_ok(TL_ARGV("loss", "add", "Grove", "--kind", "closure", "--date", "2017-02-15"), NULL);
	run_ok(TL_ARGV("loss", "add", "Birch", "--kind", "nursing_deregistration", "--beds", "12",
		       "--date", "2017-10-01"), NULL);
	run_ok(TL_ARGV("loss", "add", "Alder", "--kind", "beds_lost", "--beds", "3", "--date",
		       "2017-11-01"), NULL);

	/* Concerns (London times) and the cases they open.  Due times from the
	 * default rules: high 5 working days, medium 10, very high 1, low none. */
	run_ok(TL_ARGV("concern", "add", "Alder", "--risk", "high", "--category", "medication", "--source",
		       "family", "--safeguarding", "--received", "2018-01-15 10:00", "--note", "c1"), NULL);
	run_ok(TL_ARGV("concern", "add", "Damson", "--risk", "medium", "--category", "staffing",
		       "--source", "public", "--received", "2018-01-31 23:30", "--note", "c2"), NULL);
	run_ok(TL_ARGV("concern", "add", "Birch", "--risk", "very_high", "--category", "care_practice",
		       "--source", "health", "--received", "2018-02-28 23:30", "--note", "c3"), NULL);
	run_ok(TL_ARGV("concern", "add", "Cherry", "--risk", "low", "--category", "communication",
		       "--source", "service_user", "--received", "2018-03-31 23:30", "--note", "c4"), NULL);
	run_ok(TL_ARGV("concern", "add", "Elder", "--risk", "medium", "--category", "nutrition",
		       "--source", "family", "--safeguarding", "--received", "2018-03-05 09:00", "--note",
		       "c5"), NULL);
	run_ok(TL_ARGV("concern", "add", "Elder", "--risk", "high", "--category", "environment",
		       "--source", "professional", "--received", "2018-03-12 09:00", "--note", "c6"), NULL);
	/* c1 due Mon 22 Jan: answered that afternoon (on time). */
	run_ok(TL_ARGV("case", "respond", case_of("2018-01-15 10:00:00+00"), "--kind", "visit", "--at",
		       "2018-01-22 17:00"), NULL);
	/* c2 due Wed 14 Feb: answered the next morning (late). */
	run_ok(TL_ARGV("case", "respond", case_of("2018-01-31 23:30:00+00"), "--kind", "phone", "--at",
		       "2018-02-15 09:00"), NULL);
	/* c3 due Thu 1 Mar: never answered (open past due).  c5 due Mon 19 Mar:
	 * answered at 23:00 that day (on time). */
	run_ok(TL_ARGV("case", "respond", case_of("2018-03-05 09:00:00+00"), "--kind", "email", "--at",
		       "2018-03-19 23:00"), NULL);
	/* Closures: c1 on 10 Feb; c2 at 23:30 BST on 31 March (before the end
	 * of March in London); c6 the day after it opened, before its due time,
	 * without a response (so it is not counted against the target). */
	close_case_at("2018-01-15 10:00:00+00", "2018-02-10 12:00:00+00");
	close_case_at("2018-01-31 23:30:00+00", "2018-03-31 22:30:00+00");
	close_case_at("2018-03-12 09:00:00+00", "2018-03-13 12:00:00+00");

	/* Safeguardings. */
	run_ok(TL_ARGV("safeguarding", "add", "Alder", "--category", "resident_on_resident", "--referred",
		       "2018-01-05"), NULL);
	run_ok(TL_ARGV("safeguarding", "add", "Alder", "--category", "resident_on_resident", "--referred",
		       "2018-03-31"), NULL);
	run_ok(TL_ARGV("safeguarding", "add", "Cherry", "--category", "financial_abuse", "--referred",
		       "2018-02-10"), NULL);
	run_ok(TL_ARGV("safeguarding", "add", "Birch", "--category", "medication_error", "--referred",
		       "2018-04-01"), NULL);
	run_ok(TL_ARGV("safeguarding", "add", "Elder", "--category", "medication_error", "--referred",
		       "2017-12-31"), NULL);

	/* Placement restrictions: Damson all placements 10 Jan, lifted 31 Mar;
	 * Birch partial 1 Dec to (planned) 28 Feb; Alder all from 15 Feb. */
	run_ok(TL_ARGV("restriction", "add", "Damson", "--kind", "all", "--note", "r1", "--from",
		       "2018-01-10"), NULL);
	run_ok(TL_ARGV("restriction", "add", "Birch", "--kind", "partial", "--note", "r2", "--from",
		       "2017-12-01", "--to", "2018-02-28"), NULL);
	run_ok(TL_ARGV("restriction", "add", "Alder", "--kind", "all", "--note", "r3", "--from",
		       "2018-02-15"), NULL);
	run_ok(TL_ARGV("restriction", "lift", "Damson", "--on", "2018-03-31"), NULL);

	/* Score history as the nightly run leaves it.  Damson's March score is
	 * at 23:30 BST on 31 March (still March in London); Birch's is at 00:30
	 * BST on 1 April (April). */
	tl_query1(owner,
		  "INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score, band,"
		  " flag, detail, cause)"
		  " SELECT p.id, v.as_of::timestamptz, r.name, r.hash, v.score, v.band, false, '{}', 'nightly'"
		  "   FROM (VALUES ('Alder House', '2018-01-31 12:00+00', 20, 'medium'),"
		  "                ('Alder House', '2018-02-28 12:00+00', 40, 'high'),"
		  "                ('Damson House', '2018-01-31 12:00+00', 45, 'high'),"
		  "                ('Damson House', '2018-03-31 22:30+00', 70, 'very_high'),"
		  "                ('Birch Court Nursing', '2018-03-31 23:30+00', 5, 'low'))"
		  "        v(name, as_of, score, band)"
		  "   JOIN provider p ON p.name = v.name CROSS JOIN active_ruleset r");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (owner)
		PQfinish(owner);
	if (dbname)
		tl_db_drop(dbname);
	if (tmpdir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		assert_int_equal(system(cmd), 0);
	}
	return 0;
}

static void
test_report_ratings_counts_latest_rating_on_or_before_as_of(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	/* 31 March 2018: Alder's good published that day counts; Birch's good
	 * of 1 April does not; Grove (closed) is left out. */
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2018-03-31", "--format", "csv"), NULL,
		      "domain,outstanding,good,requires_improvement,inadequate,total\n"
		      "Safe,0,2,3,0,5\n"
		      "Effective,0,0,0,0,0\n"
		      "Caring,1,0,0,0,1\n"
		      "Responsive,0,0,0,0,0\n"
		      "Well-led,1,2,2,0,5\n"
		      "Overall,1,2,2,0,5\n");
	/* The day before: Alder is still requires improvement. */
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2018-03-30", "--format", "csv"), NULL,
		      "domain,outstanding,good,requires_improvement,inadequate,total\n"
		      "Safe,0,1,4,0,5\n"
		      "Effective,0,0,0,0,0\n"
		      "Caring,1,0,0,0,1\n"
		      "Responsive,0,0,0,0,0\n"
		      "Well-led,1,1,3,0,5\n"
		      "Overall,1,1,3,0,5\n");
	/* The day after: Birch is good overall; its safe and well-led stay at
	 * the September ratings (the April publication rated overall only). */
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2018-04-01", "--format", "csv"), NULL,
		      "domain,outstanding,good,requires_improvement,inadequate,total\n"
		      "Safe,0,2,3,0,5\n"
		      "Effective,0,0,0,0,0\n"
		      "Caring,1,0,0,0,1\n"
		      "Responsive,0,0,0,0,0\n"
		      "Well-led,1,2,2,0,5\n"
		      "Overall,1,3,1,0,5\n");
	/* Before Grove closed it counts (January 2017: Alder, Birch, Cherry,
	 * Grove rated). */
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2017-01-31", "--format", "csv"), NULL,
		      "domain,outstanding,good,requires_improvement,inadequate,total\n"
		      "Safe,0,3,1,0,4\n"
		      "Effective,0,0,0,0,0\n"
		      "Caring,1,0,0,0,1\n"
		      "Responsive,0,0,0,0,0\n"
		      "Well-led,1,2,0,1,4\n"
		      "Overall,1,2,1,0,4\n");
}

static void
test_report_ratings_filters_by_care_type_and_locality(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2018-03-31", "--care-type", "nursing",
			      "--format", "csv"), NULL,
		      "domain,outstanding,good,requires_improvement,inadequate,total\n"
		      "Safe,0,0,2,0,2\n"
		      "Effective,0,0,0,0,0\n"
		      "Caring,0,0,0,0,0\n"
		      "Responsive,0,0,0,0,0\n"
		      "Well-led,0,1,1,0,2\n"
		      "Overall,0,1,1,0,2\n");
	/* A locality by its name, in any case. */
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2018-03-31", "--locality", "NORTH",
			      "--format", "csv"), NULL,
		      "domain,outstanding,good,requires_improvement,inadequate,total\n"
		      "Safe,0,1,1,0,2\n"
		      "Effective,0,0,0,0,0\n"
		      "Caring,0,0,0,0,0\n"
		      "Responsive,0,0,0,0,0\n"
		      "Well-led,0,1,1,0,2\n"
		      "Overall,0,1,1,0,2\n");
	/* The table says what it counts and sums it up. */
	expect_output(TL_ARGV("report", "ratings", "--as-of", "2018-03-31", "--care-type", "Nursing"), NULL,
		      "CQC ratings by domain as at 31 March 2018 (Nursing)\n"
		      "Domain      Outstanding  Good  Requires improvement  Inadequate  Total\n"
		      "──────────  ───────────  ────  ────────────────────  ──────────  ─────\n"
		      "Safe                  0     0                     2           0      2\n"
		      "Effective             0     0                     0           0      0\n"
		      "Caring                0     0                     0           0      0\n"
		      "Responsive            0     0                     0           0      0\n"
		      "Well-led              0     1                     1           0      2\n"
		      "Overall               0     1                     1           0      2\n"
		      "(6 rows)\n"
		      "As at 31 March 2018, 2 providers had a published overall rating: 1 (50.0%) good or "
		      "better, 1 (50.0%) requires improvement and 0 (0.0%) inadequate.\n");
}

static void
test_report_trend_shares_at_month_ends_against_the_target(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Jan 2017: Alder RI, Birch good, Cherry outstanding, Grove good.
	 * Feb: Grove closed, Damson inadequate.  Mar: as Feb.  2016-01: nobody
	 * rated yet (no percentages). */
	expect_output(TL_ARGV("report", "trend", "--from", "2017-01", "--to", "2017-03", "--format", "csv"),
		      NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2017-01,25.0,50.0,25.0,0.0,75.0,80.0\n"
		      "2017-02,25.0,25.0,25.0,25.0,50.0,80.0\n"
		      "2017-03,25.0,25.0,25.0,25.0,50.0,80.0\n");
	expect_output(TL_ARGV("report", "trend", "--from", "2016-01", "--to", "2016-01", "--format", "csv"),
		      NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2016-01,,,,,,80.0\n");
	/* Feb 2018: Alder RI, Birch RI, Cherry outstanding, Damson RI, Elder
	 * good; Alder good from 31 March, Birch good from 1 April. */
	expect_output(TL_ARGV("report", "trend", "--from", "2018-02", "--to", "2018-04", "--format", "csv"),
		      NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2018-02,20.0,20.0,60.0,0.0,40.0,80.0\n"
		      "2018-03,20.0,40.0,40.0,0.0,60.0,80.0\n"
		      "2018-04,20.0,60.0,20.0,0.0,80.0,80.0\n");
	expect_output(TL_ARGV("report", "trend", "--from", "2016-12", "--to", "2016-12", "--care-type",
			      "residential", "--format", "csv"), NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2016-12,0.0,100.0,0.0,0.0,100.0,80.0\n");
	expect_output(TL_ARGV("report", "trend", "--from", "2017-01", "--to", "2017-01", "--locality",
			      "south", "--format", "csv"), NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2017-01,100.0,0.0,0.0,0.0,100.0,80.0\n");
	/* --target overrides the setting for every month. */
	expect_output(TL_ARGV("report", "trend", "--from", "2018-03", "--to", "2018-03", "--target", "85",
			      "--format", "csv"), NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2018-03,20.0,40.0,40.0,0.0,60.0,85.0\n");
	/* The setting is a history: a manager raises it to 85% from April
	 * 2018; the read-only role may not; the same day twice is refused. */
	assert_int_equal(tl_run(TL_ARGV("report", "target", "85", "--from", "2018-04-01"), NULL, &out,
				&err, RORY), 4);
	free(out);
	free(err);
	expect_output(TL_ARGV("report", "target", "85", "--from", "2018-04-01"), MARY,
		      "good-or-better target 85.0% from 2018-04-01\n");
	assert_int_equal(tl_run(TL_ARGV("report", "target", "90", "--from", "2018-04-01"), NULL, &out,
				&err, MARY), 7);
	assert_string_equal(err, "carewatch: error: a target from 2018-04-01 is already recorded\n"
				 "hint: targets are a history: record the new one from another day\n");
	free(out);
	free(err);
	expect_output(TL_ARGV("report", "trend", "--from", "2018-02", "--to", "2018-04", "--format", "csv"),
		      RORY,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2018-02,20.0,20.0,60.0,0.0,40.0,80.0\n"
		      "2018-03,20.0,40.0,40.0,0.0,60.0,80.0\n"
		      "2018-04,20.0,60.0,20.0,0.0,80.0,85.0\n");
	assert_int_equal(tl_run(TL_ARGV("report", "target", "--format", "csv"), NULL, &out, &err, RORY), 0);
	assert_true(starts_with(out, "effective_from,target,recorded_by,recorded_at\n"
				     "2000-01-01,80.0,cw_owner,"));
	assert_non_null(strstr(out, "\n2018-04-01,85.0,cwt_mary,"));
	free(out);
	free(err);
}

static void
test_report_ratings_by_locality_and_care_type(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	expect_output(TL_ARGV("report", "ratings-by-locality", "--as-of", "2018-03-31", "--format", "csv"),
		      NULL,
		      "locality,outstanding,good,requires_improvement,inadequate,total,good_or_better\n"
		      "East,0,0,0,0,0,\n"
		      "North,0,1,1,0,2,50.0\n"
		      "Norwich,0,1,0,0,1,100.0\n"
		      "South,1,0,1,0,2,50.0\n"
		      "West,0,0,0,0,0,\n"
		      "Total,1,2,2,0,5,60.0\n");
	expect_output(TL_ARGV("report", "ratings-by-care-type", "--as-of", "2018-03-31", "--format",
			      "csv"), NULL,
		      "care_type,outstanding,good,requires_improvement,inadequate,total,good_or_better\n"
		      "Home care,1,0,0,0,1,100.0\n"
		      "Residential,0,1,1,0,2,50.0\n"
		      "Nursing,0,1,1,0,2,50.0\n"
		      "Supported living,0,0,0,0,0,\n"
		      "Housing with care,0,0,0,0,0,\n"
		      "Total,1,2,2,0,5,60.0\n");
}

static void
test_report_shift_and_underperforming(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	/* Rated before April 2017 and re-rated by 31 March 2018: Alder RI ->
	 * good (up), Birch good -> RI (down), Damson inadequate -> RI (up).
	 * Cherry was not re-rated, Elder not rated at the start, Grove closed. */
	expect_output(TL_ARGV("report", "shift", "--from", "2017-04", "--to", "2018-03", "--format", "csv"),
		      NULL,
		      "start_rating,rerated,to_outstanding,to_good,to_requires_improvement,to_inadequate,"
		      "went_up,stayed,went_down\n"
		      "Outstanding,0,0,0,0,0,0,0,0\n"
		      "Good,1,0,0,1,0,0,0,1\n"
		      "Requires improvement,1,0,1,0,0,1,0,0\n"
		      "Inadequate,1,0,0,1,0,1,0,0\n"
		      "Total,3,0,1,2,0,2,0,1\n");
	/* 31 March 2018: only Damson (Alder's good counts that day); its band
	 * is its score at 23:30 BST that day; its restriction was lifted that
	 * day. */
	expect_output(TL_ARGV("report", "underperforming", "--as-of", "2018-03-31", "--format", "csv"), NULL,
		      "provider,cqc_location_id,care_type,locality,inspections,first_rated,latest_rated,"
		      "latest_rating,risk_band,restriction\n"
		      "Damson House,1-1000000004,Residential,South,3,2017-02-14,2018-02-01,"
		      "Requires improvement,Very high,\n");
	expect_output(TL_ARGV("report", "underperforming", "--as-of", "2018-03-30", "--format", "csv"), NULL,
		      "provider,cqc_location_id,care_type,locality,inspections,first_rated,latest_rated,"
		      "latest_rating,risk_band,restriction\n"
		      "Damson House,1-1000000004,Residential,South,3,2017-02-14,2018-02-01,"
		      "Requires improvement,High,All placements\n"
		      "Alder House,,Residential,North,2,2017-01-10,2017-06-15,Requires improvement,High,"
		      "All placements\n");
	expect_output(TL_ARGV("report", "underperforming", "--as-of", "2018-03-30", "--inspections", "3",
			      "--format", "csv"), NULL,
		      "provider,cqc_location_id,care_type,locality,inspections,first_rated,latest_rated,"
		      "latest_rating,risk_band,restriction\n"
		      "Damson House,1-1000000004,Residential,South,3,2017-02-14,2018-02-01,"
		      "Requires improvement,High,All placements\n");
}

static void
test_report_concerns_and_response_compliance(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	/* By the London month of receipt: 23:30 on 31 Jan (GMT) is January,
	 * 23:30 on 31 March (BST) is March. */
	expect_output(TL_ARGV("report", "concerns", "--from", "2018-01", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "month,low,medium,high,very_high,total,medium_or_higher,safeguarding\n"
		      "2018-01,0,1,1,0,2,2,1\n"
		      "2018-02,0,0,0,1,1,1,0\n"
		      "2018-03,1,1,1,0,3,2,1\n"
		      "Total,1,2,2,1,6,5,2\n");
	/* By the month due: c1 on time (January); c2 late (February); March:
	 * c3 open past due, c5 on time, c6 closed before due without a
	 * response (not counted). */
	expect_output(TL_ARGV("report", "response", "--from", "2018-01", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "month,due,on_time,late,open_past_due,not_yet_due,on_time_pct,target\n"
		      "2018-01,1,1,0,0,0,100.0,90\n"
		      "2018-02,1,0,1,0,0,0.0,90\n"
		      "2018-03,2,1,0,1,0,50.0,90\n"
		      "Total,4,2,1,1,0,50.0,90\n");
	/* A response still to come is not yet due, and not in the share: a
	 * concern received now, in the month its response falls due. */
	run_ok(TL_ARGV("concern", "add", "Elder", "--risk", "high", "--category", "staffing", "--source",
		       "provider", "--note", "now"), NULL);
	{
		char month[8], want[256];
		snprintf(month, sizeof(month), "%s",
			 tl_query1(owner, "SELECT to_char(c.due_at AT TIME ZONE 'Europe/London', 'YYYY-MM')"
					  " FROM case_file c JOIN concern k ON k.id = c.concern_id"
					  " WHERE k.summary = 'now'"));
		assert_int_equal(strlen(month), 7);
		snprintf(want, sizeof(want),
			 "month,due,on_time,late,open_past_due,not_yet_due,on_time_pct,target\n"
			 "%s,1,0,0,0,1,,90\n"
			 "Total,1,0,0,0,1,,90\n", month);
		expect_output(TL_ARGV("report", "response", "--from", month, "--to", month, "--format",
				      "csv"), NULL, want);
	}
	expect_output(TL_ARGV("report", "response", "--from", "2018-03", "--to", "2018-03", "--locality",
			      "norwich", "--target", "95", "--format", "csv"), NULL,
		      "month,due,on_time,late,open_past_due,not_yet_due,on_time_pct,target\n"
		      "2018-03,1,1,0,0,0,100.0,95\n"
		      "Total,1,1,0,0,0,100.0,95\n");
}

static void
test_report_active_cases_at_month_end(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	/* Jan: c1 (Alder), c2 (Damson, opened 23:30 on the 31st).  Feb: c2, c3
	 * (Birch, 23:30 on the 28th).  Mar: c3, c4 (Cherry, 23:30 BST on the
	 * 31st), c5; c2 closed at 23:30 BST on the 31st; c6 closed in a day. */
	expect_output(TL_ARGV("report", "active-cases", "--from", "2018-01", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "month,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "2018-01,0,2,0,0,0,0,2\n"
		      "2018-02,0,1,1,0,0,0,2\n"
		      "2018-03,1,0,2,0,0,0,3\n");
	/* Cases opened before the period still count (c3 opened in February). */
	expect_output(TL_ARGV("report", "active-cases", "--from", "2018-03", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "month,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "2018-03,1,0,2,0,0,0,3\n");
	expect_output(TL_ARGV("report", "active-cases", "--from", "2018-02", "--to", "2018-02", "--format",
			      "csv"), NULL,
		      "month,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "2018-02,0,1,1,0,0,0,2\n");
	expect_output(TL_ARGV("report", "active-cases", "--from", "2018-01", "--to", "2018-03", "--by",
			      "locality", "--format", "csv"), NULL,
		      "month,east,north,norwich,south,west,total\n"
		      "2018-01,0,1,0,1,0,2\n"
		      "2018-02,0,1,0,1,0,2\n"
		      "2018-03,0,1,1,1,0,3\n");
}

static void
test_report_safeguarding_risk_bands_restrictions_and_loss(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	expect_output(TL_ARGV("report", "safeguarding", "--from", "2018-01", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "category,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "Resident on resident,0,2,0,0,0,0,2\n"
		      "Medication error,0,0,0,0,0,0,0\n"
		      "Neglect,0,0,0,0,0,0,0\n"
		      "Financial abuse,1,0,0,0,0,0,1\n"
		      "Physical abuse by staff,0,0,0,0,0,0,0\n"
		      "Sexual abuse,0,0,0,0,0,0,0\n"
		      "Abuse by service user,0,0,0,0,0,0,0\n"
		      "Other,0,0,0,0,0,0,0\n"
		      "Total,1,2,0,0,0,0,3\n");
	expect_output(TL_ARGV("report", "safeguarding", "--from", "2018-01", "--to", "2018-03", "--by",
			      "month", "--format", "csv"), NULL,
		      "month,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "2018-01,0,1,0,0,0,0,1\n"
		      "2018-02,1,0,0,0,0,0,1\n"
		      "2018-03,0,1,0,0,0,0,1\n"
		      "Total,1,2,0,0,0,0,3\n");
	/* Latest score at or before each London month end; scores recorded
	 * today (by the commands above) are after all of these. */
	expect_output(TL_ARGV("report", "risk-bands", "--from", "2018-01", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "month,care_type,low,medium,high,very_high,scored,high_or_very_high_pct\n"
		      "2018-01,Residential,0,1,1,0,2,50.0\n"
		      "2018-02,Residential,0,0,2,0,2,100.0\n"
		      "2018-03,Residential,0,0,1,1,2,100.0\n");
	/* All placements: Damson from 10 Jan (lifted 31 Mar), Alder from 15 Feb. */
	expect_output(TL_ARGV("report", "restrictions", "--from", "2017-12", "--to", "2018-03", "--format",
			      "csv"), NULL,
		      "month,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "2017-12,0,0,0,0,0,0,0\n"
		      "2018-01,0,1,0,0,0,0,1\n"
		      "2018-02,0,2,0,0,0,0,2\n"
		      "2018-03,0,1,0,0,0,0,1\n");
	/* Birch's partial restriction runs to its planned end, 28 Feb. */
	expect_output(TL_ARGV("report", "restrictions", "--from", "2017-12", "--to", "2018-03", "--kind",
			      "any", "--format", "csv"), NULL,
		      "month,home_care,residential,nursing,supported_living,housing_with_care,day_care,total\n"
		      "2017-12,0,0,1,0,0,0,1\n"
		      "2018-01,0,1,1,0,0,0,2\n"
		      "2018-02,0,2,1,0,0,0,3\n"
		      "2018-03,0,1,0,0,0,0,1\n");
	expect_output(TL_ARGV("report", "loss", "--from", "2017-01", "--to", "2018-03", "--format", "csv"),
		      NULL,
		      "care_type,closures,closure_beds,nursing_deregistrations,deregistered_beds,"
		      "other_beds_lost,beds_lost\n"
		      "Home care,0,0,0,0,0,0\n"
		      "Residential,1,25,0,0,3,28\n"
		      "Nursing,0,0,1,12,0,12\n"
		      "Supported living,0,0,0,0,0,0\n"
		      "Housing with care,0,0,0,0,0,0\n"
		      "Day care,0,0,0,0,0,0\n"
		      "Total,1,25,1,12,3,40\n");
}

/* Every report as HTML: one well-formed file (xmllint), with a chart. */
static const struct {
	const char *name;
	const char *argv[12];
} html_reports[] = {
	{"ratings", {"report", "ratings", "--as-of", "2018-03-31", NULL}},
	{"trend", {"report", "trend", "--from", "2017-04", "--to", "2018-03", NULL}},
	{"by-locality", {"report", "ratings-by-locality", "--as-of", "2018-03-31", NULL}},
	{"by-care-type", {"report", "ratings-by-care-type", "--as-of", "2018-03-31", NULL}},
	{"shift", {"report", "shift", "--from", "2017-04", "--to", "2018-03", NULL}},
	{"underperforming", {"report", "underperforming", "--as-of", "2018-03-30", NULL}},
	{"concerns", {"report", "concerns", "--from", "2018-01", "--to", "2018-03", NULL}},
	{"response", {"report", "response", "--from", "2018-01", "--to", "2018-03", NULL}},
	{"active-cases", {"report", "active-cases", "--from", "2018-01", "--to", "2018-03", NULL}},
	{"safeguarding", {"report", "safeguarding", "--from", "2018-01", "--to", "2018-03", NULL}},
	{"safeguarding-month", {"report", "safeguarding", "--by", "month", "--from", "2018-01", "--to",
				"2018-03", NULL}},
	{"risk-bands", {"report", "risk-bands", "--from", "2018-01", "--to", "2018-03", NULL}},
	{"restrictions", {"report", "restrictions", "--from", "2017-12", "--to", "2018-03", NULL}},
	{"loss", {"report", "loss", "--from", "2017-01", "--to", "2018-03", NULL}},
	{"dashboard", {"report", "dashboard", "--month", "2018-03", NULL}},
	{"dashboard-south", {"report", "dashboard", "--month", "2018-03", "--locality", "south", NULL}},
	{"annual", {"report", "annual", "--year", "2017/18", NULL}},
};

static void
xmllint_ok(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
	if (system(cmd) != 0)
		fail_msg("xmllint rejects %s", path);
}

static void
test_report_every_report_is_well_formed_html(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(html_reports) / sizeof(html_reports[0]); i++) {
		const char *argv[16];
		char path[128], *out, *err;
		int n = 0, rc;
		FILE *f;

		for (; html_reports[i].argv[n]; n++)
			argv[n] = html_reports[i].argv[n];
		argv[n++] = "--format";
		argv[n++] = "html";
		argv[n] = NULL;
		/* The read-only role runs every report: no free text is read. */
		rc = tl_run(argv, NULL, &out, &err, RORY);
		if (rc != 0)
			fail_msg("%s: exit %d: %s", html_reports[i].name, rc, err);
		snprintf(path, sizeof(path), "%s/%s.html", tmpdir, html_reports[i].name);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(out, f);
		assert_int_equal(fclose(f), 0);
		xmllint_ok(path);
		if (strcmp(html_reports[i].name, "underperforming") != 0 && strstr(out, "<svg") == NULL)
			fail_msg("%s: no chart", html_reports[i].name);
		assert_null(strstr(out, "<script"));
		free(out);
		free(err);
	}
}

static void
test_report_dashboard_all_writes_six_and_packs_print_every_format(void **state)
{
	static const char *const scopes[] = {"county", "east", "north", "norwich", "south", "west"};
	char *out, *err;
	char dir[128];

	(void)state;
	if (!tl_db_available())
		skip();
	/* --out names a directory not made yet, two levels deep: made. */
	snprintf(dir, sizeof(dir), "%s/packs/2018-03", tmpdir);
	assert_int_equal(tl_run(TL_ARGV("report", "dashboard", "--month", "2018-03", "--all", "--out",
					dir), NULL, &out, &err, NULL), 0);
	for (size_t i = 0; i < 6; i++) {
		char path[160], line[192];
		snprintf(path, sizeof(path), "%s/dashboard-2018-03-%s.html", dir, scopes[i]);
		snprintf(line, sizeof(line), "wrote %s\n", path);
		assert_non_null(strstr(out, line));
		xmllint_ok(path);
	}
	free(out);
	free(err);
	/* The locality dashboard is about that locality. */
	assert_int_equal(tl_run(TL_ARGV("report", "dashboard", "--month", "2018-03", "--locality", "south",
					"--format", "json"), NULL, &out, &err, NULL), 0);
	assert_true(starts_with(out, "{\"title\": \"Quality dashboard: March 2018\", \"subtitle\": "
				     "\"South locality"));
	assert_non_null(strstr(out, "{\"key\": \"ratings\", \"title\": \"CQC ratings by domain as at 31 "
				    "March 2018 (all care types, South locality)\", \"rows\": ["));
	assert_null(strstr(out, "\"key\": \"ratings_by_locality\""));
	free(out);
	free(err);
	/* The annual report: CSV blocks, one per table, each with its header;
	 * sectors without ratings (supported living, housing with care) are
	 * left out of the per-sector tables. */
	assert_int_equal(tl_run(TL_ARGV("report", "annual", "--year", "2017/18", "--format", "csv"), NULL,
				&out, &err, NULL), 0);
	assert_true(starts_with(out, "# ratings: CQC ratings by domain as at 31 March 2018 (all care "
				     "types)\ndomain,outstanding,good,requires_improvement,inadequate,total\n"
				     "Safe,0,2,3,0,5\n"));
	assert_non_null(strstr(out, "\n\n# ratings_nursing: CQC ratings by domain as at 31 March 2018 "
				    "(Nursing)\n"));
	assert_null(strstr(out, "ratings_supported_living"));
	assert_non_null(strstr(out, "\n\n# trend: Overall CQC ratings at each month end, April 2017 to "
				    "March 2018 (all care types)\n"
				    "month,outstanding,good,requires_improvement,inadequate,good_or_better,"
				    "target\n2017-04,25.0,25.0,25.0,25.0,50.0,80.0\n"));
	assert_non_null(strstr(out, "\n\n# restrictions: Providers with a restriction on all placements"
				    " at month end, October 2014 to March 2018 (all care types)\n"));
	free(out);
	free(err);
	/* A whole pack as a table, with each section's summary. */
	assert_int_equal(tl_run(TL_ARGV("report", "annual", "--year", "2017/18"), NULL, &out, &err, NULL), 0);
	assert_true(starts_with(out, "Adult social care annual quality report 2017/18\n"));
	assert_non_null(strstr(out, "\nOf 3 providers rated at the start and re-rated, 2 (66.7%) went "
				    "up, 0 (0.0%) stayed and 1 (33.3%) went down."));
	assert_non_null(strstr(out, "\n2 of 4 responses due by now were on time: 50.0% against the 90% "
				    "target (missed); 1 late and 1 open past due.\n"));
	free(out);
	free(err);
}

static const struct {
	const char *argv[12];
	const char *err;
} bad[] = {
	{{"report", "annual", "--year", "2017/19", NULL},
	 "carewatch: error: invalid council year '2017/19' (expected 2017/18 for April 2017 to March 2018)\n"},
	{{"report", "annual", "--year", "17/18", NULL},
	 "carewatch: error: invalid council year '17/18' (expected YYYY/YY, e.g. 2017/18 for April 2017 "
	 "to March 2018)\n"},
	{{"report", "annual", NULL}, "carewatch: error: missing --year YYYY/YY (e.g. 2017/18)\n"},
	{{"report", "ratings", "--locality", "Atlantis", NULL},
	 "carewatch: error: unknown locality 'Atlantis' (expected east, north, norwich, south or west)\n"},
	{{"report", "ratings", "--care-type", "hospital", NULL},
	 "carewatch: error: invalid care type 'hospital' (expected home_care, residential, nursing, "
	 "supported_living, housing_with_care or day_care)\n"},
	{{"report", "ratings", "--as-of", "2018-02-30", NULL},
	 "carewatch: error: invalid date '2018-02-30' (February 2018 has 28 days)\n"},
	{{"report", "trend", "--from", "2018-05", "--to", "2018-01", NULL},
	 "carewatch: error: --from 2018-05 is after --to 2018-01\n"},
	{{"report", "trend", "--from", "2000-01", "--to", "2018-01", NULL},
	 "carewatch: error: the period is 217 months long (at most 120)\n"},
	{{"report", "trend", "--target", "120", NULL},
	 "carewatch: error: invalid target '120' (expected a percentage above 0 and at most 100)\n"},
	{{"report", "concerns", "--to", "2018-13", NULL},
	 "carewatch: error: invalid month '2018-13' (month must be 01 to 12)\n"},
	{{"report", "underperforming", "--inspections", "0", NULL},
	 "carewatch: error: invalid --inspections '0' (expected a whole number from 1 to 100)\n"},
	{{"report", "restrictions", "--kind", "some", NULL},
	 "carewatch: error: invalid restriction kind 'some' (expected all, partial or any)\n"},
	{{"report", "dashboard", NULL}, "carewatch: error: missing --month YYYY-MM\n"},
	{{"report", "dashboard", "--month", "2018-03", "--all", "--locality", "north", NULL},
	 "carewatch: error: give --locality or --all, not both\n"},
	{{"report", "dashboard", "--month", "2018-03", "--all", "--out", "/dev/null/dir", NULL},
	 "carewatch: error: --out '/dev/null/dir': '/dev/null' is not a directory\n"},
	{{"report", "ratings", "--format", "xml", NULL},
	 "carewatch: error: invalid output format 'xml' (expected table, csv, json or html)\n"},
	{{"report", "target", "85.55", NULL},
	 "carewatch: error: invalid target '85.55' (at most one decimal place)\n"},
	{{"report", "ratings", "--audience", "everyone", NULL},
	 "carewatch: error: invalid audience 'everyone' (expected internal or public)\n"},
	{{"report", "annual", "--year", "2017/18", "--audience", "press", NULL},
	 "carewatch: error: invalid audience 'press' (expected internal or public)\n"},
};

static void
test_report_bad_input_is_refused_clearly(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out, *err;
		int rc = tl_run(bad[i].argv, NULL, &out, &err, NULL);
		if (rc != 2 || strcmp(err, bad[i].err) != 0)
			fail_msg("case %zu: exit %d, stderr:\n%s\nexpected exit 2 and:\n%s", i, rc, err,
				 bad[i].err);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
}

/* A period to come is refused the same way by every report (exit 2,
 * naming it, nothing printed); one still running is shown with a warning
 * that its figures are provisional.  Months come from today in London. */
static void
test_report_periods_to_come_refused_running_ones_provisional(void **state)
{
	time_t now = time(NULL);
	struct tm lt;
	char this_month[16], next_month[16], last_month[16], this_year[16], next_year[16], tomorrow[16];
	char msg[200];
	int y, m;

	(void)state;
	if (!tl_db_available())
		skip();
	setenv("TZ", "Europe/London", 1);
	tzset();
	localtime_r(&now, &lt);
	y = lt.tm_year + 1900;
	m = lt.tm_mon + 1;
	snprintf(this_month, sizeof(this_month), "%04d-%02d", y, m);
	snprintf(next_month, sizeof(next_month), "%04d-%02d", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	snprintf(last_month, sizeof(last_month), "%04d-%02d", m == 1 ? y - 1 : y, m == 1 ? 12 : m - 1);
	/* Council years run April to March. */
	snprintf(this_year, sizeof(this_year), "%04d/%02d", m >= 4 ? y : y - 1, (m >= 4 ? y + 1 : y) % 100);
	snprintf(next_year, sizeof(next_year), "%04d/%02d", m >= 4 ? y + 1 : y, (m >= 4 ? y + 2 : y + 1) % 100);
	now += 86400;
	localtime_r(&now, &lt);
	strftime(tomorrow, sizeof(tomorrow), "%Y-%m-%d", &lt);
	setenv("TZ", "UTC", 1);
	tzset();
	{
		const struct {
			const char *argv[8];
			const char *what;
		} to_come[] = {
			{{"report", "response", "--to", next_month, NULL}, "--to "},
			{{"report", "dashboard", "--month", next_month, NULL}, "--month "},
			{{"report", "annual", "--year", next_year, NULL}, "the council year "},
		};
		for (size_t i = 0; i < sizeof(to_come) / sizeof(to_come[0]); i++) {
			char *out, *err;
			int rc = tl_run(to_come[i].argv, NULL, &out, &err, NULL);

			snprintf(msg, sizeof(msg), "carewatch: error: %s%s has not begun yet: reports are of past"
				 " and present periods\n", to_come[i].what, to_come[i].argv[3]);
			if (rc != 2 || strncmp(err, msg, strlen(msg)) != 0)
				fail_msg("%s %s %s: exit %d\n%s\nexpected\n%s", to_come[i].argv[1], to_come[i].argv[2],
					 to_come[i].argv[3], rc, err, msg);
			assert_string_equal(out, "");
			free(out);
			free(err);
		}
	}
	{
		char *out, *err;

		assert_int_equal(tl_run(TL_ARGV("report", "concerns", "--to", this_month), NULL, &out, &err, NULL), 0);
		snprintf(msg, sizeof(msg), "carewatch: warning: --to %s has not ended yet: its figures are"
			 " provisional (the last complete month is %s)\n", this_month, last_month);
		assert_string_equal(err, msg);
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("report", "annual", "--year", this_year, "--format", "csv"), NULL,
					&out, &err, NULL), 0);
		assert_non_null(strstr(err, "has not ended yet: its figures are provisional"));
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("report", "ratings", "--as-of", tomorrow), NULL, &out, &err, NULL), 2);
		assert_non_null(strstr(err, "is in the future (at the latest today)"));
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("report", "concerns", "--to", last_month), NULL, &out, &err, NULL), 0);
		assert_string_equal(err, "");
		free(out);
		free(err);
	}
}

/* The public note, as each format carries it. */
static const char *const public_marks[] = {
	"\n# note: Public version.",                         /* csv */
	"\"audience\": \"public\", \"note\": \"Public version.", /* json */
	"\nNote: Public version.",                           /* table */
	"<footer class=\"note\">\n<p>Public version.",       /* html */
};

/* Every provider of the market, its one CQC ID, and the names the internal
 * packs list (read from their underperforming block). */
static const char *const fixture_names[] = {
	"Alder House", "Birch Court Nursing", "Cherry Home Care", "Damson House", "Elder Nursing",
	"Fig Day Centre", "Grove House", "1-1000000004",
};

/* The first field of each row of the CSV block `# key:` of out, appended
 * to names (at most max); returns how many. */
static int
block_names(const char *out, const char *key, char names[][64], int max)
{
	char head[64];
	const char *p;
	int n = 0;

	snprintf(head, sizeof(head), "# %s: ", key);
	p = strstr(out, head);
	assert_non_null(p);
	p = strchr(p, '\n') + 1;   /* the title line */
	p = strchr(p, '\n') + 1;   /* the header */
	while (*p && *p != '\n' && n < max) {
		size_t len = strcspn(p, ",\n");
		snprintf(names[n++], sizeof(names[0]), "%.*s", (int)len, p);
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return n;
}

static void
test_report_public_packs_name_no_provider_in_any_format(void **state)
{
	static const char *const formats[] = {"csv", "json", "table", "html"};
	static const struct {
		const char *argv[8];
	} packs[] = {
		{{"report", "annual", "--year", "2017/18", NULL}},
		{{"report", "dashboard", "--month", "2018-03", NULL}},
		{{"report", "dashboard", "--month", "2018-03", "--locality", "south", NULL}},
	};
	char names[16][64];

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t k = 0; k < sizeof(packs) / sizeof(packs[0]); k++) {
		const char *argv[16];
		int n = 0, nnames;
		char *out;

		for (; packs[k].argv[n]; n++)
			argv[n] = packs[k].argv[n];
		/* The internal list: its names, and the fixture's. */
		argv[n] = "--format";
		argv[n + 1] = "csv";
		argv[n + 2] = NULL;
		out = tl_run_out(argv, NULL, 0);
		nnames = block_names(out, "underperforming", names, 8);
		assert_true(nnames >= 1);
		assert_string_equal(names[0], "Damson House");
		for (size_t i = 0; i < sizeof(fixture_names) / sizeof(fixture_names[0]); i++)
			snprintf(names[nnames++], sizeof(names[0]), "%s", fixture_names[i]);
		assert_null(strstr(out, "# note:"));
		free(out);
		for (size_t f = 0; f < 4; f++) {
			argv[n] = "--format";
			argv[n + 1] = formats[f];
			argv[n + 2] = "--audience";
			argv[n + 3] = f == 2 ? "Public" : "public";  /* any case */
			argv[n + 4] = NULL;
			out = tl_run_out(argv, RORY, 0);
			for (int i = 0; i < nnames; i++)
				if (strstr(out, names[i]))
					fail_msg("%s %s --format %s --audience public names '%s'", argv[1], argv[3],
						 formats[f], names[i]);
			if (strstr(out, public_marks[f]) == NULL)
				fail_msg("%s --format %s: no note:\n%s", argv[1], formats[f], out);
			if (f == 0)   /* the list becomes counts by care type */
				assert_non_null(strstr(out, "care_type,providers,inspections\nHome care,0,0\n"
							    "Residential,<5,<5\nNursing,0,0\n"));
			free(out);
		}
	}
}

static void
test_report_public_small_counts_and_small_bases(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	/* Two rated residential homes: each count is "<5", each share "n<10";
	 * the note says how many. */
	expect_output(TL_ARGV("report", "ratings-by-care-type", "--as-of", "2018-03-31", "--audience",
			      "public", "--format", "csv"), NULL,
		      "care_type,outstanding,good,requires_improvement,inadequate,total,good_or_better\n"
		      "Home care,<5,0,0,0,<5,n<10\n"
		      "Residential,0,<5,<5,0,<5,n<10\n"
		      "Nursing,0,<5,<5,0,<5,n<10\n"
		      "Supported living,0,0,0,0,0,\n"
		      "Housing with care,0,0,0,0,0,\n"
		      "Total,<5,<5,<5,0,5,n<10\n"
		      "\n"
		      "# note: Public version. Small numbers are suppressed so that no person or provider "
		      "can be identified: a count from 1 to 4 is shown as <5 (0 as 0), a percentage of "
		      "fewer than 10 as n<10, and * marks a figure hidden because, with the totals or the "
		      "figures beside it, it would give a suppressed one away (a percentage of a count "
		      "shown as <5, or a second figure of a row or column). A bar of a chart with a "
		      "suppressed figure is not drawn. In this report: 11 counts shown as <5, 0 figures "
		      "as * and 4 percentages as n<10.\n");
	/* The same internal is what test_report_ratings_by_locality_and_care_type
	 * expects with no --audience: every figure, no note. */
	{
		char *a = tl_run_out(TL_ARGV("report", "ratings-by-care-type", "--as-of", "2018-03-31",
					     "--format", "csv"), NULL, 0);
		char *b = tl_run_out(TL_ARGV("report", "ratings-by-care-type", "--as-of", "2018-03-31",
					     "--audience", "internal", "--format", "csv"), NULL, 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	/* A public one-table JSON is the object, so the note goes with it. */
	{
		char *out = tl_run_out(TL_ARGV("report", "underperforming", "--as-of", "2018-03-30",
					       "--audience", "public", "--format", "json"), NULL, 0);
		assert_true(starts_with(out, "{\"title\": \"Persistently underperforming providers as at 30 "
					     "March 2018"));
		if (strstr(out, "{\"care_type\": \"Residential\", \"providers\": \"<5\", "
				"\"inspections\": 5}") == NULL)
			fail_msg("got:\n%s", out);
		assert_non_null(strstr(out, "is in the internal version only."));
		assert_null(strstr(out, "House"));
		free(out);
	}
}

static void
test_report_default_audience_by_command_and_format(void **state)
{
	static const struct {
		const char *argv[12];
		bool public;
	} cases[] = {
		/* What the council publishes, as it publishes it: public. */
		{{"report", "annual", "--year", "2017/18", "--format", "html", NULL}, true},
		{{"report", "dashboard", "--month", "2018-03", "--format", "html", NULL}, true},
		/* Asked for. */
		{{"report", "annual", "--year", "2017/18", "--format", "html", "--audience", "internal", NULL},
		 false},
		{{"report", "annual", "--year", "2017/18", "--format", "csv", "--audience", "public", NULL},
		 true},
		/* Any other format, and any other report: internal. */
		{{"report", "annual", "--year", "2017/18", "--format", "csv", NULL}, false},
		{{"report", "annual", "--year", "2017/18", "--format", "json", NULL}, false},
		{{"report", "dashboard", "--month", "2018-03", NULL}, false},
		{{"report", "underperforming", "--as-of", "2018-03-30", "--format", "html", NULL}, false},
		{{"report", "underperforming", "--as-of", "2018-03-30", NULL}, false},
	};

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = tl_run_out(cases[i].argv, NULL, 0);
		bool html = strstr(out, "<!DOCTYPE html>") != NULL;
		bool named = strstr(out, "Damson House") != NULL;
		bool noted = strstr(out, "Public version.") != NULL;
		if (named == cases[i].public || noted != cases[i].public)
			fail_msg("case %zu (%s %s): named %d, noted %d, expected %s", i, cases[i].argv[1],
				 cases[i].argv[3], named, noted, cases[i].public ? "public" : "internal");
		if (html)
			assert_non_null(strstr(out, cases[i].public ? "<p class=\"audience\">Public</p>"
								    : "<p class=\"audience internal\">Internal "
								      "\xE2\x80\x93 not for publication</p>"));
		free(out);
	}
	/* --audience internal prints what no --audience printed before. */
	{
		char *a = tl_run_out(TL_ARGV("report", "annual", "--year", "2017/18", "--format", "csv"), NULL, 0);
		char *b = tl_run_out(TL_ARGV("report", "annual", "--year", "2017/18", "--format", "csv",
					     "--audience", "internal"), NULL, 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	/* The target's public history leaves out who recorded each one. */
	{
		char *out = tl_run_out(TL_ARGV("report", "target", "--format", "csv", "--audience", "public"),
				       NULL, 0);
		assert_true(starts_with(out, "effective_from,target\n2000-01-01,80.0\n"));
		assert_non_null(strstr(out, "\n# note: Public version."));
		assert_null(strstr(out, "cw_owner"));
		free(out);
	}
	/* --all writes HTML, so public files; as CSV, internal ones. */
	{
		char dir[128], cmd[512];
		char *out;

		snprintf(dir, sizeof(dir), "%s/audience", tmpdir);
		out = tl_run_out(TL_ARGV("report", "dashboard", "--month", "2018-03", "--all", "--out", dir), NULL, 0);
		free(out);
		snprintf(cmd, sizeof(cmd), "grep -q '<p class=\"audience\">Public</p>' %s/dashboard-2018-03-south.html"
			 " && ! grep -q 'Damson House' %s/dashboard-2018-03-south.html", dir, dir);
		assert_int_equal(system(cmd), 0);
		out = tl_run_out(TL_ARGV("report", "dashboard", "--month", "2018-03", "--all", "--out", dir,
					 "--format", "csv"), NULL, 0);
		free(out);
		snprintf(cmd, sizeof(cmd), "grep -q 'Damson House' %s/dashboard-2018-03-south.csv", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* Last: twelve residential homes in 2015, closed at the end of that year,
 * so the figures of every other test stay as they are.  Seven are rated by
 * 15 January (five good, two inadequate), five more good on 1 March: in
 * January a share of 7 ("n<10"); in March 12 rated, 2 inadequate (a count
 * of 2: "<5", its share withheld), good hidden too ("*": with the zeros
 * and the total it would give the 2 away) and good or better with it. */
static void
test_report_public_trend_withholds_a_count_of_two_and_small_bases(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	for (int i = 1; i <= 12; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Larch Lodge %02d", i);
		run_ok(TL_ARGV("provider", "add", name, "--care-type", "residential", "--locality", "east"),
		       NULL);
		run_ok(TL_ARGV("cqc", "add", name, "--published", i <= 7 ? "2015-01-15" : "2015-03-01",
			       "--overall", i == 6 || i == 7 ? "inadequate" : "good"), NULL);
		run_ok(TL_ARGV("loss", "add", name, "--kind", "closure", "--date", "2015-12-31"), NULL);
	}
	expect_output(TL_ARGV("report", "trend", "--from", "2015-01", "--to", "2015-03", "--format", "csv"),
		      NULL,
		      "month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
		      "2015-01,0.0,71.4,0.0,28.6,71.4,80.0\n"
		      "2015-02,0.0,71.4,0.0,28.6,71.4,80.0\n"
		      "2015-03,0.0,83.3,0.0,16.7,83.3,80.0\n");
	{
		char *out = tl_run_out(TL_ARGV("report", "trend", "--from", "2015-01", "--to", "2015-03",
					       "--format", "csv", "--audience", "public"), NULL, 0);
		assert_true(starts_with(out,
					"month,outstanding,good,requires_improvement,inadequate,good_or_better,target\n"
					"2015-01,n<10,n<10,n<10,n<10,n<10,80.0\n"
					"2015-02,n<10,n<10,n<10,n<10,n<10,80.0\n"
					"2015-03,0.0,*,0.0,*,*,80.0\n\n# note: "));
		assert_non_null(strstr(out, "In this report: 0 counts shown as <5, 3 figures as * and 10 "
					    "percentages as n<10.\n"));
		free(out);
		/* The counts themselves: the 2 is "<5", good hidden beside it. */
		out = tl_run_out(TL_ARGV("report", "ratings", "--as-of", "2015-03-31", "--format", "csv",
					 "--audience", "public"), NULL, 0);
		assert_non_null(strstr(out, "\nOverall,0,*,0,<5,12\n"));
		free(out);
		/* Its sentence would cite the 2: not summarised. */
		out = tl_run_out(TL_ARGV("report", "ratings", "--as-of", "2015-03-31", "--audience", "public"),
				 NULL, 0);
		assert_non_null(strstr(out, "\nNot summarised in the public version"));
		assert_null(strstr(out, "16.7"));
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_ratings_counts_latest_rating_on_or_before_as_of),
		cmocka_unit_test(test_report_ratings_filters_by_care_type_and_locality),
		cmocka_unit_test(test_report_trend_shares_at_month_ends_against_the_target),
		cmocka_unit_test(test_report_ratings_by_locality_and_care_type),
		cmocka_unit_test(test_report_shift_and_underperforming),
		cmocka_unit_test(test_report_concerns_and_response_compliance),
		cmocka_unit_test(test_report_active_cases_at_month_end),
		cmocka_unit_test(test_report_safeguarding_risk_bands_restrictions_and_loss),
		cmocka_unit_test(test_report_every_report_is_well_formed_html),
		cmocka_unit_test(test_report_dashboard_all_writes_six_and_packs_print_every_format),
		cmocka_unit_test(test_report_bad_input_is_refused_clearly),
		cmocka_unit_test(test_report_periods_to_come_refused_running_ones_provisional),
		cmocka_unit_test(test_report_public_packs_name_no_provider_in_any_format),
		cmocka_unit_test(test_report_public_small_counts_and_small_bases),
		cmocka_unit_test(test_report_default_audience_by_command_and_format),
		/* Last: it adds providers (closed in 2015). */
		cmocka_unit_test(test_report_public_trend_withholds_a_count_of_two_and_small_bases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
