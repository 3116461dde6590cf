/*
 * test_backfill.c - `carewatch scores backfill` on a real database.
 *
 * A hand-made county of seven providers scored with tests/rules/backtest.rules
 * (whole-number weights, no decay) at the January and February 2024 month
 * ends, every score worked out in the comments: who was registered and open
 * then (a provider registered after a month end and one closed before it are
 * not scored; one registered on the last day is), which records count (dated
 * on or before 23:59:59 London on the last day, however long after they were
 * recorded), the bands and the flag rules.  Then: the current scores, flags,
 * queue and run log are byte-identical after a backfill; a rerun writes
 * nothing and leaves every row as it was; a provider closed later loses its
 * month end; the risk-band report and the dashboard read the history (and,
 * for a month it covers, nothing else); months still running, reversed
 * spans and people's logins are refused, through the binary and over raw
 * libpq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"
#include "carewatch/calendar.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_bf_olive"
#define READER "PGUSER=cwt_bf_ana"
#define BATCH "PGUSER=cwt_bf_batch"

static void
add(const char *const argv[])
{
	free(tl_run_out(argv, OFFICER, 0));
}

/*
 * The county, tests/rules/backtest.rules (bands: medium 10, high 20, very
 * high 30; a flag for a very high concern within 60 days):
 *
 *   Ash House (residential)   Overall RI published 2023-06-01: 10, medium at
 *                             both month ends.  Inadequate published
 *                             2024-03-15 is after both: not counted.
 *   Birch Lodge (residential) Overall Good; a high concern at 23:30 on
 *                             31 January (GMT): 8, low, in January; a very
 *                             high one at 00:10 on 1 February: 8 + 15 = 23,
 *                             high and flagged in February.
 *   Cedar Homecare (home care) a very high concern 2024-01-20: 15, medium,
 *                             flagged in January; all placements restricted
 *                             from 2024-02-10: 15 + 30 = 45, very high,
 *                             flagged (40 days) in February.
 *   Damson Day Centre (day care) registered 2024-02-05: not scored in
 *                             January; 0, low, in February.
 *   Elm Nursing Home (nursing) a high concern 2024-01-10: 8, low, in
 *                             January; a closure recorded 2024-02-20: not
 *                             scored in February.
 *   Fir Court (residential)   closed 2023-12-15 (provider edit): never.
 *   Gorse Homecare (home care) registered 2024-01-31, the last day: 0, low,
 *                             at both.
 *
 * January: 5 scored, low 3 (Birch, Elm, Gorse), medium 2 (Ash, Cedar), 1
 * flag rule met.  February: 5 scored, low 2 (Damson, Gorse), medium 1
 * (Ash), high 1 (Birch), very high 1 (Cedar), 2 flag rules met.
 */
static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_backfill", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bf_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bf_ana", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bf_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_bf_olive", "--name", "Olive", "--fte", "1", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("rules/backtest.rules")), NULL, 0));
	add(TL_ARGV("provider", "add", "Ash House", "--care-type", "residential", "--locality", "east",
		    "--registered", "2015-04-01"));
	add(TL_ARGV("provider", "add", "Birch Lodge", "--care-type", "residential", "--locality", "east"));
	add(TL_ARGV("provider", "add", "Cedar Homecare", "--care-type", "home_care", "--locality", "east"));
	add(TL_ARGV("provider", "add", "Damson Day Centre", "--care-type", "day_care", "--locality", "east",
		    "--registered", "2024-02-05"));
	add(TL_ARGV("provider", "add", "Elm Nursing Home", "--care-type", "nursing", "--locality", "east",
		    "--registered", "2019-09-01"));
	add(TL_ARGV("provider", "add", "Fir Court", "--care-type", "residential", "--locality", "east",
		    "--registered", "2012-01-01"));
	add(TL_ARGV("provider", "add", "Gorse Homecare", "--care-type", "home_care", "--locality", "east",
		    "--registered", "2024-01-31"));
	add(TL_ARGV("cqc", "add", "Ash House", "--published", "2023-06-01", "--overall", "requires_improvement"));
	add(TL_ARGV("cqc", "add", "Ash House", "--published", "2024-03-15", "--overall", "inadequate"));
	add(TL_ARGV("cqc", "add", "Birch Lodge", "--published", "2023-06-01", "--overall", "good"));
	add(TL_ARGV("concern", "add", "Birch Lodge", "--risk", "high", "--category", "staffing", "--source",
		    "family", "--received", "2024-01-31 23:30", "--note", "Night staffing"));
	add(TL_ARGV("concern", "add", "Birch Lodge", "--risk", "very_high", "--category", "medication", "--source",
		    "family", "--received", "2024-02-01 00:10", "--note", "Missed doses"));
	add(TL_ARGV("concern", "add", "Cedar Homecare", "--risk", "very_high", "--category", "medication",
		    "--source", "family", "--received", "2024-01-20 10:00", "--note", "Missed insulin"));
	add(TL_ARGV("restriction", "add", "Cedar Homecare", "--kind", "all", "--from", "2024-02-10", "--note",
		    "Serious concerns"));
	add(TL_ARGV("concern", "add", "Elm Nursing Home", "--risk", "high", "--category", "staffing", "--source",
		    "professional", "--received", "2024-01-10 10:00", "--note", "Short-staffed nights"));
	add(TL_ARGV("loss", "add", "Elm Nursing Home", "--kind", "closure", "--date", "2024-02-20", "--beds", "30"));
	add(TL_ARGV("provider", "edit", "Fir Court", "--status", "closed", "--closed-on", "2023-12-15", "--note",
		    "Deregistered"));
	owner = tl_connect(NULL);
	/* The current picture the backfill must leave alone: a nightly run now
	 * (scores, flags), and a history-only run for 31 January (as the
	 * nightly scores the past: every provider active today, Damson too). */
	free(tl_run_out(TL_ARGV("nightly"), BATCH, 0));
	free(tl_run_out(TL_ARGV("nightly", "--as-of", "2024-01-31"), BATCH, 0));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

static void
expect_line(const char *out, const char *line)
{
	if (strstr(out, line) == NULL) {
		fprintf(stderr, "expected\n%s\nin\n%s\n", line, out);
		fail_msg("expected text not found");
	}
}

/* Everything outside the score history a backfill could touch, as one
 * digest: current and past scores, flags, the queue, nightly runs,
 * providers, cases and the audit trail. */
static char *
everything_else(void)
{
	return strdup(tl_query1(owner,
				"SELECT md5(concat_ws('|',"
				" (SELECT string_agg(x::text, ',' ORDER BY id) FROM provider_score x),"
				" (SELECT string_agg(x::text, ',' ORDER BY provider_id) FROM provider_current_score x),"
				" (SELECT string_agg(x::text, ',' ORDER BY number) FROM restriction_flag x),"
				" (SELECT string_agg(x::text, ',' ORDER BY provider_id) FROM score_queue x),"
				" (SELECT string_agg(x::text, ',' ORDER BY id) FROM nightly_run x),"
				" (SELECT string_agg(x::text, ',' ORDER BY id) FROM provider x),"
				" (SELECT string_agg(x::text, ',' ORDER BY id) FROM case_file x),"
				" (SELECT string_agg(x::text, ',' ORDER BY id) FROM audit_log x)))"));
}

/* The score history, every column of every row. */
static char *
history(void)
{
	return strdup(tl_query1(owner, "SELECT coalesce(md5(string_agg(h::text, ',' ORDER BY provider_id, as_of)),"
				       " 'none') FROM score_history h"));
}

/* Provider, London month end, score, band, flag of every history row. */
static const char *
history_rows(void)
{
	return tl_query1(owner, "SELECT string_agg(p.name || ' ' || to_char(h.as_of AT TIME ZONE 'Europe/London',"
				" 'YYYY-MM-DD HH24:MI:SS') || ' ' || h.score || ' ' || h.band || ' ' || h.flag, E'\\n'"
				" ORDER BY p.name, h.as_of) FROM score_history h JOIN provider p ON p.id = h.provider_id");
}

static const char want_rows[] =
	"Ash House 2024-01-31 23:59:59 10.00 medium false\n"
	"Ash House 2024-02-29 23:59:59 10.00 medium false\n"
	"Birch Lodge 2024-01-31 23:59:59 8.00 low false\n"
	"Birch Lodge 2024-02-29 23:59:59 23.00 high true\n"
	"Cedar Homecare 2024-01-31 23:59:59 15.00 medium true\n"
	"Cedar Homecare 2024-02-29 23:59:59 45.00 very_high true\n"
	"Damson Day Centre 2024-02-29 23:59:59 0.00 low false\n"
	"Elm Nursing Home 2024-01-31 23:59:59 8.00 low false\n"
	"Gorse Homecare 2024-01-31 23:59:59 0.00 low false\n"
	"Gorse Homecare 2024-02-29 23:59:59 0.00 low false";

static void
test_backfill_hand_computed_and_nothing_else_touched(void **state)
{
	char *before, *after, *out;

	(void)state;
	if (!tl_db_available())
		skip();
	before = everything_else();
	out = tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--format", "csv"),
			 BATCH, 0);
	/* month, scored, low, medium, high, very high, flag rules met */
	assert_string_equal(out, "month,scored,low,medium,high,very_high,flag_rules_met\n"
				 "2024-01,5,3,2,0,0,1\n2024-02,5,2,1,1,1,2\n");
	free(out);
	after = everything_else();
	assert_string_equal(before, after);
	free(after);
	assert_string_equal(history_rows(), want_rows);
	/* Stamped with the ruleset, the batch login and one run. */
	assert_string_equal(tl_query1(owner, "SELECT count(DISTINCT run_id) || ' ' || string_agg(DISTINCT ruleset_name,"
					     " ',') || ' ' || string_agg(DISTINCT recorded_by, ',') FROM score_history"),
			    "1 backtest-fixture cwt_bf_batch");
	assert_string_equal(tl_query1(owner, "SELECT providers || ' ' || scores || ' ' || written || ' ' || removed"
					     " FROM score_history_run"),
			    "6 10 10 0");
	/* A stored month-end score is the one provider explain gives for that day. */
	out = tl_run_out(TL_ARGV("provider", "explain", "Cedar Homecare", "--as-of", "2024-02-29", "--format", "json"),
			 READER, 0);
	expect_line(out, "{\"total\":45.00,\"band\":\"very_high\",");
	free(out);

	/* The database owner may run it too; the same rows, written once. */
	out = tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02"), NULL, 0);
	expect_line(out, "2 month ends: 10 scores of 6 providers from ");
	expect_line(out, "0 rows written, 0 removed (current scores and flags unchanged)");
	free(out);
	after = everything_else();
	assert_string_equal(before, after);
	free(after);
	free(before);
}

static void
test_backfill_rerun_writes_nothing_and_replaces_what_changed(void **state)
{
	char *first, *again;
	long runs;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--quiet"), BATCH, 0));
	first = history();
	runs = tl_count(owner, "SELECT count(*) FROM score_history_run");
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--quiet"), BATCH, 0));
	again = history();
	/* Every column of every row, recorded_at and run_id included. */
	assert_string_equal(first, again);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_history"), 10);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM (SELECT 1 FROM score_history"
					 " GROUP BY provider_id, as_of HAVING count(*) > 1) d"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_history_run"), runs + 1);
	assert_string_equal(tl_query1(owner, "SELECT written || ' ' || removed FROM score_history_run"
					     " ORDER BY recorded_at DESC LIMIT 1"), "0 0");
	/* One month alone: the other is left as it was. */
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-02", "--to", "2024-02", "--quiet"), BATCH, 0));
	free(again);
	again = history();
	assert_string_equal(first, again);
	free(again);

	/* Gorse turns out to have closed on 10 February: a rerun removes its
	 * February month end and keeps everything else. */
	add(TL_ARGV("provider", "edit", "Gorse Homecare", "--status", "closed", "--closed-on", "2024-02-10",
		    "--note", "Closed"));
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--quiet"), BATCH, 0));
	assert_string_equal(tl_query1(owner, "SELECT written || ' ' || removed FROM score_history_run"
					     " ORDER BY recorded_at DESC LIMIT 1"), "0 1");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_history h JOIN provider p ON p.id = h.provider_id"
					 " WHERE p.name = 'Gorse Homecare'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_history"), 9);
	/* Reopened: back as it was. */
	add(TL_ARGV("provider", "edit", "Gorse Homecare", "--status", "active", "--note", "Reopened"));
	tl_query1(owner, "DELETE FROM provider_loss WHERE provider_id = (SELECT id FROM provider"
			 " WHERE name = 'Gorse Homecare')");
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--quiet"), BATCH, 0));
	assert_string_equal(history_rows(), want_rows);
	free(first);
}

/* Does the HTML report's risk-band section say its chart has no data? */
static bool
risk_chart_empty(const char *html)
{
	const char *body = strstr(html, "<main>");
	const char *s = body ? strstr(body, "Providers by risk band at month end") : NULL;
	const char *end, *none, *svg;

	if (s == NULL)
		fail_msg("no risk-band section in the report");
	end = strstr(s, "</section>");
	none = strstr(s, "no data for this chart");
	svg = strstr(s, "<svg");
	assert_true(end != NULL && svg != NULL && svg < end);
	return none != NULL && none < end;
}

static void
test_backfill_report_reads_the_history(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Before: a history-only nightly for 31 January is all there is.  It
	 * scored Damson, not registered until February, and February carries
	 * its scores on (Cedar medium, not very high). */
	tl_query1(owner, "TRUNCATE score_history");
	out = tl_run_out(TL_ARGV("report", "risk-bands", "--from", "2024-01", "--to", "2024-02", "--format", "csv"),
			 READER, 0);
	expect_line(out, "\n2024-01,Day care,1,0,0,0,1,0.0\n");
	expect_line(out, "\n2024-02,Home care,1,1,0,0,2,0.0\n");
	free(out);
	out = tl_run_out(TL_ARGV("report", "dashboard", "--month", "2023-12", "--format", "html"), READER, 0);
	assert_true(risk_chart_empty(out));
	free(out);

	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--quiet"), BATCH, 0));
	/* After: the month ends from the history alone (no Damson in January). */
	out = tl_run_out(TL_ARGV("report", "risk-bands", "--from", "2024-01", "--to", "2024-02", "--format", "csv"),
			 READER, 0);
	assert_string_equal(out, "month,care_type,low,medium,high,very_high,scored,high_or_very_high_pct\n"
				 "2024-01,Home care,1,1,0,0,2,0.0\n"
				 "2024-01,Residential,1,1,0,0,2,0.0\n"
				 "2024-01,Nursing,1,0,0,0,1,0.0\n"
				 "2024-02,Home care,1,0,0,1,2,50.0\n"
				 "2024-02,Residential,0,1,1,0,2,50.0\n"
				 "2024-02,Day care,1,0,0,0,1,0.0\n");
	free(out);
	/* The dashboard's and the annual report's risk-band sections. */
	out = tl_run_out(TL_ARGV("report", "dashboard", "--month", "2024-02", "--format", "csv"), READER, 0);
	expect_line(out, "\n2024-02,Home care,1,0,0,1,2,50.0\n2024-02,Residential,0,1,1,0,2,50.0\n");
	free(out);
	out = tl_run_out(TL_ARGV("report", "annual", "--year", "2023/24", "--format", "csv"), READER, 0);
	expect_line(out, "\n2024-01,Home care,1,1,0,0,2,0.0\n");
	free(out);
	out = tl_run_out(TL_ARGV("report", "risk-bands", "--from", "2024-02", "--to", "2024-02"), READER, 0);
	expect_line(out, "At the end of February 2024, 2 of 5 scored providers (40.0%) were at high or very high risk.");
	free(out);
	out = tl_run_out(TL_ARGV("report", "dashboard", "--month", "2024-02", "--format", "html"), READER, 0);
	assert_false(risk_chart_empty(out));
	free(out);
	out = tl_run_out(TL_ARGV("report", "annual", "--year", "2023/24", "--format", "html"), READER, 0);
	assert_false(risk_chart_empty(out));
	free(out);
}

static void
test_backfill_refuses_months_not_over_and_reversed_spans(void **state)
{
	struct cw_date today = cw_london_date((cw_time)time(NULL));
	char month[16], next[16], last[16], *err, *before;
	struct cw_date prev = cw_date_add_days((struct cw_date){today.y, today.m, 1}, -1);

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(month, sizeof(month), "%04d-%02d", today.y, today.m);
	snprintf(next, sizeof(next), "%04d-%02d", today.m == 12 ? today.y + 1 : today.y, today.m % 12 + 1);
	snprintf(last, sizeof(last), "%04d-%02d", prev.y, prev.m);
	before = history();
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", month), NULL, NULL, &err,
				BATCH), 2);
	expect_line(err, "has not ended by");
	expect_line(err, "detail: a month still running has no month end yet; the nightly scores it");
	expect_line(err, last);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", next, "--to", next), NULL, NULL, &err, BATCH),
			 2);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", "2024-02", "--to", "2024-01"), NULL, NULL,
				&err, BATCH), 2);
	expect_line(err, "carewatch: error: --to 2024-01 is before --from 2024-02");
	free(err);
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--to", "2024-01"), NULL, NULL, &err, BATCH), 2);
	expect_line(err, "missing --from YYYY-MM");
	free(err);
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", "2024-1", "--to", "2024-02"), NULL, NULL,
				&err, BATCH), 2);
	expect_line(err, "invalid month '2024-1'");
	free(err);
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", "2003-01", "--to", "2024-02"), NULL, NULL,
				&err, BATCH), 2);
	expect_line(err, "is too many (at most 240)");
	free(err);
	/* The server refuses a month not over even from a caller that skips
	 * the client's check. */
	tl_query1(owner, "BEGIN");
	{
		PGresult *r = PQexec(owner, "SELECT api.score_history_apply(gen_random_uuid(),"
					    " (SELECT hash FROM active_ruleset), ARRAY[date_trunc('month', now())::date])");
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "22023");
		expect_line(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), "has not ended yet");
		PQclear(r);
	}
	tl_query1(owner, "ROLLBACK");
	err = history();
	assert_string_equal(before, err);
	free(err);
	free(before);
}

static void
test_backfill_people_may_not_write_scores(void **state)
{
	static const char *const people[] = {"cwt_bf_olive", "cwt_bf_ana"};
	static const char *const writes[] = {
		"SELECT api.score_history_begin()",
		"SELECT api.score_history_apply(gen_random_uuid(), 'x', ARRAY[date '2024-01-01'])",
		"INSERT INTO api.score_history_stage (provider_id, as_of, score, band, flag, detail)"
		" SELECT id, '2024-01-31 23:59:59+00', 99, 'very_high', true, '{}' FROM provider LIMIT 1",
		"INSERT INTO score_history SELECT provider_id, as_of + interval '1 month', ruleset_name,"
		" ruleset_hash, score, band, flag, detail, run_id, recorded_by, recorded_at FROM score_history LIMIT 1",
		"UPDATE score_history SET score = 0",
		"DELETE FROM score_history",
		"TRUNCATE score_history",
		"INSERT INTO score_history_run SELECT * FROM score_history_run LIMIT 1",
		"INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score, band, flag,"
		" detail, cause) SELECT provider_id, as_of, ruleset_name, ruleset_hash, score, band, flag,"
		" detail, 'nightly' FROM score_history LIMIT 1",
	};
	char *before, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02", "--quiet"), BATCH, 0));
	before = history();
	/* Through the binary: exit 4, saying who may. */
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02"), NULL, NULL,
				&err, OFFICER), 4);
	expect_line(err, "permission denied for role cwt_bf_olive: writing scores and the nightly's figures is for"
			 " the scorer and the nightly (the batch role)");
	free(err);
	assert_int_equal(tl_run(TL_ARGV("scores", "backfill", "--from", "2024-01", "--to", "2024-02"), NULL, NULL,
				&err, READER), 4);
	expect_line(err, "permission denied for role cwt_bf_ana");
	free(err);
	/* Over raw libpq, each write as each person. */
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		PGconn *c = tl_connect(people[i]);
		for (size_t k = 0; k < sizeof(writes) / sizeof(writes[0]); k++) {
			PGresult *r = PQexec(c, writes[k]);
			if (PQresultStatus(r) != PGRES_FATAL_ERROR ||
			    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501") != 0) {
				fprintf(stderr, "%s: %s: %s\n", people[i], writes[k], PQresultErrorMessage(r));
				fail_msg("a person's write was not refused");
			}
			PQclear(r);
		}
		/* Reading the history is for everyone (the reports). */
		assert_int_equal(tl_count(c, "SELECT count(*) FROM score_history"), 10);
		PQfinish(c);
	}
	/* The function checks the caller itself, EXECUTE or not. */
	tl_query1(owner, "GRANT EXECUTE ON FUNCTION api.score_history_apply(uuid, text, date[]) TO carewatch_officer");
	{
		PGconn *c = tl_connect("cwt_bf_olive");
		PGresult *r = PQexec(c, "SELECT api.score_history_apply(gen_random_uuid(), 'x', ARRAY[date '2024-01-01'])");
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
		expect_line(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), "storing score history is for the batch role");
		PQclear(r);
		PQfinish(c);
	}
	tl_query1(owner, "REVOKE EXECUTE ON FUNCTION api.score_history_apply(uuid, text, date[]) FROM carewatch_officer");
	err = history();
	assert_string_equal(before, err);
	free(err);
	free(before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backfill_hand_computed_and_nothing_else_touched),
		cmocka_unit_test(test_backfill_rerun_writes_nothing_and_replaces_what_changed),
		cmocka_unit_test(test_backfill_report_reads_the_history),
		cmocka_unit_test(test_backfill_refuses_months_not_over_and_reversed_spans),
		cmocka_unit_test(test_backfill_people_may_not_write_scores),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
