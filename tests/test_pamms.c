/*
 * test_pamms.c - PAMMS audits and their action plans (issue 18).
 *
 * Through the real binary, with rules/default.rules ([pamms]: poor 12,
 * requires_improvement 6, good 0, half-life 365 days, window 730, cap 12,
 * action plans 14 days, follow-up audits 6 months; floor medium at
 * Requires Improvement or worse): an audit recorded as a draft counts
 * nowhere; finalised, it scores exactly what a hand computation gives, in
 * `provider explain --as-of`, in the stored score the scorer writes, in
 * the month-end history the streaming read gives (`scores backfill`);
 * the audit after support is linked to the one before and replaces it in
 * the score; an action plan's overdue action, a missing action plan and
 * an overdue follow-up audit are on the recorder's worklist; a correction
 * of a final audit is final and takes its actions, a withdrawal takes the
 * audit out of the score and its actions off the worklist.  Refusals (a
 * bad rating word, an unknown provider, another provider's audit
 * followed, read-only and batch logins) have their exit codes and write
 * nothing.
 *
 * Over raw libpq: read-only and batch logins cannot finalise or add
 * actions, no person can write pamms_final or pamms_action behind the api
 * functions or UPDATE an action, read-only reads no summary, note or
 * owner, and no free text reaches the server log.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_pm_olive"
#define OTHER "PGUSER=cwt_pm_omar"
#define MANAGER "PGUSER=cwt_pm_mgr"
#define READONLY "PGUSER=cwt_pm_ro"
#define BATCH "PGUSER=cwt_pm_batch"

static int
setup(void **state)
{
	static const char *const homes[][2] = {
		{"Alder House", "residential"}, {"Birch Court", "nursing"}, {"Cedar Lodge", "residential"},
		{"Damson Court", "residential"}, {"Elm Grange", "home_care"},
	};

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_pamms", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pm_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pm_omar", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pm_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pm_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pm_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_pm_olive", "--name", "Olive", "--fte", "1",
				"--locality", "north"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_pm_omar", "--name", "Omar", "--fte", "1",
				"--locality", "north"), NULL, 0));
	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]); i++)
		free(tl_run_out(TL_ARGV("provider", "add", homes[i][0], "--care-type", homes[i][1], "--locality",
					"north", "--beds", "20"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	tl_scorer_drain();
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* Run the binary as login (env) and check exit code and stdout exactly. */
static void
succeeds(const char *const argv[], const char *env, const char *want)
{
	char *out = tl_run_out(argv, env, 0);

	assert_string_equal(out, want);
	free(out);
}

/* Run the binary and check the exit code and stderr exactly, stdout empty. */
static void
refused(const char *const argv[], const char *env, int code, const char *want)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != code || strcmp(err, want) != 0)
		fail_msg("exit %d, stderr:\n%s\nexpected exit %d and:\n%s", rc, err, code, want);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

/* The audit id `pamms add` printed ("recorded PAMMS audit UUID for ..."). */
static void
recorded_id(const char *out, char id[37])
{
	const char *p = strstr(out, "recorded PAMMS audit ");

	assert_non_null(p);
	snprintf(id, 37, "%.36s", p + strlen("recorded PAMMS audit "));
}

/* Record an audit through the binary as the officer; its id into id. */
static void
audit_add(const char *const argv[], char id[37])
{
	char *out = tl_run_out(argv, OFFICER, 0);

	recorded_id(out, id);
	free(out);
}

/* Everything the PAMMS steps could write. */
static long
written(void)
{
	return tl_count(owner, "SELECT (SELECT count(*) FROM pamms_audit) + (SELECT count(*) FROM pamms_final)"
			       " + (SELECT count(*) FROM pamms_action) + (SELECT count(*) FROM record_correction)"
			       " + (SELECT count(*) FROM record_withdrawal) + (SELECT count(*) FROM audit_log)");
}

/* `provider explain P --as-of D --format json`, whole (caller frees). */
static char *
explain(const char *provider, const char *as_of)
{
	return tl_run_out(TL_ARGV("provider", "explain", provider, "--as-of", as_of, "--format", "json"),
			  OFFICER, 0);
}

/* Run SQL as login with params; the SQLSTATE ("" when it worked), static. */
static const char *
sqlstate_of(const char *login, const char *sql, int n, const char *const *params)
{
	static char st[8];
	PGconn *c = tl_connect(login);
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);

	st[0] = '\0';
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
		snprintf(st, sizeof(st), "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
	PQclear(r);
	PQfinish(c);
	return st;
}

/* The stored current score of a provider, after the scorer has run. */
static double
stored_score(const char *provider)
{
	char sql[256];

	tl_scorer_drain();
	snprintf(sql, sizeof(sql), "SELECT s.score FROM provider_current_score s JOIN provider p"
		 " ON p.id = s.provider_id WHERE p.name = '%s'", provider);
	return atof(tl_query1(owner, sql));
}

/* What a final audit of raw points published on `published` adds to the
 * provider's stored score: its age in whole days at the score's as-of,
 * then docs/rules.md's steps 2 and 3 (window 730, half-life 365). */
static double
expected_now(const char *provider, double raw, const char *published)
{
	char sql[400];
	long age;
	long long ppm;

	snprintf(sql, sizeof(sql), "SELECT floor((extract(epoch FROM s.as_of)"
		 " - extract(epoch FROM date '%s')) / 86400)::bigint FROM provider_current_score s"
		 " JOIN provider p ON p.id = s.provider_id WHERE p.name = '%s'", published, provider);
	age = atol(tl_query1(owner, sql));
	if (age > 730)
		return 0.0;
	ppm = llround(exp2(-(double)age / 365.0) * 1e6);
	return (double)llround(raw * 100.0 * (double)ppm / 1e6) / 100.0;
}

/* ---- an audit before and after support ---- */

static void
test_pamms_draft_then_final_scored_as_the_rules_say(void **state)
{
	char first[37], second[37], want[1024], *out;
	double now;

	(void)state;
	if (!tl_db_available())
		skip();
	audit_add(TL_ARGV("pamms", "add", "Alder House", "--overall", "Poor", "--audited", "2025-01-06",
			  "--standard", "8=poor", "--standard", "3=requires-improvement,1=good", "--note",
			  "Quokka-01 medicines unrecorded for three residents"), first);
	/* A draft: no contribution anywhere, stored or recomputed. */
	out = explain("Alder House", "2025-03-21");
	assert_non_null(strstr(out, "\"total\":0.00,"));
	assert_null(strstr(out, "pamms."));
	free(out);
	assert_true(fabs(stored_score("Alder House")) < 0.005);
	assert_string_equal(tl_query1(owner, "SELECT standards FROM pamms_audit WHERE follows IS NULL"
					     " AND overall = 'poor'"),
			    "8=poor,3=requires_improvement,1=good");

	snprintf(want, sizeof(want),
		 "PAMMS audit %s for Alder House is final, published 2025-01-20: it counts in the risk score"
		 " from that day (the scorer rescores Alder House)\n"
		 "rated Poor: the provider's action plan is due by 2025-02-03 (14 days after publication), the"
		 " follow-up audit by 2025-07-20 (6 months)\n", first);
	{
		char ref[9];
		snprintf(ref, sizeof(ref), "%.8s", first);
		succeeds(TL_ARGV("pamms", "finalise", ref, "--on", "2025-01-20"), OFFICER, want);
	}
	/* The same step again writes nothing; another day is refused. */
	snprintf(want, sizeof(want), "already final: PAMMS audit %s for Alder House, published 2025-01-20"
		 " (nothing written)\n"
		 "rated Poor: the provider's action plan is due by 2025-02-03 (14 days after publication), the"
		 " follow-up audit by 2025-07-20 (6 months)\n", first);
	succeeds(TL_ARGV("pamms", "finalise", first, "--on", "2025-01-20"), OFFICER, want);
	snprintf(want, sizeof(want), "carewatch: error: PAMMS audit %s is already final (published"
		 " 2025-01-20)\n", first);
	refused(TL_ARGV("pamms", "finalise", first, "--on", "2025-01-21"), OFFICER, 7, want);

	/* By hand: published 2025-01-20, as of the end of 2025-03-21 it is 60
	 * whole days old; 2^(-60/365) = 0.892310 (to millionths); 12 x that =
	 * 10.70772, 10.71.  10.71 is under medium (15): band low by score,
	 * raised to medium by the floor for a PAMMS Requires Improvement or worse. */
	out = explain("Alder House", "2025-03-21");
	assert_non_null(strstr(out, "{\"total\":10.71,\"band\":\"medium\",\"score_band\":\"low\","));
	assert_non_null(strstr(out, "floor medium: band raised from low to medium because pamms.overall >="
				    " requires_improvement (poor, published 2025-01-20)"));
	assert_non_null(strstr(out, "{\"rule\":\"pamms.poor\",\"record_id\":\""));
	assert_non_null(strstr(out, "\"kind\":\"pamms\",\"at\":\"2025-01-20T00:00:00Z\",\"raw\":12.00,"
				    "\"decayed\":10.71,\"capped\":10.71,\"note\":\"60 d old, half-life 365 d:"
				    " x0.892310\"}"));
	free(out);
	/* Before its publication it did not exist yet. */
	out = explain("Alder House", "2025-01-19");
	assert_non_null(strstr(out, "\"total\":0.00,"));
	free(out);
	/* The stored score: the same steps at the scorer's as-of. */
	now = stored_score("Alder House");
	assert_true(fabs(now - expected_now("Alder House", 12.0, "2025-01-20")) < 0.005);

	/* The nightly's streaming read (scores backfill): at the end of
	 * February 2025, 39 days old, 2^(-39/365) = 0.928614, 12 x that =
	 * 11.143368, 11.14. */
	free(tl_run_out(TL_ARGV("scores", "backfill", "--from", "2025-02", "--to", "2025-02"), BATCH, 0));
	assert_string_equal(tl_query1(owner, "SELECT h.score || ' ' || h.band FROM score_history h JOIN provider p"
					     " ON p.id = h.provider_id WHERE p.name = 'Alder House'"
					     " AND h.as_of = '2025-02-28 23:59:59+00'"),
			    "11.14 medium");

	/* The audit after support, linked to the one before (named by its
	 * first 8 characters), Good: once final it replaces the Poor. */
	{
		char ref[9];
		snprintf(ref, sizeof(ref), "%.8s", first);
		audit_add(TL_ARGV("pamms", "add", "Alder House", "--overall", "good", "--audited", "2025-07-07",
				  "--follows", ref, "--note", "Quokka-02 MAR charts complete"), second);
	}
	snprintf(want, sizeof(want), "SELECT follows FROM pamms_audit WHERE id = '%s'", second);
	assert_string_equal(tl_query1(owner, want), first);
	free(tl_run_out(TL_ARGV("pamms", "finalise", second, "--on", "2025-07-21"), OFFICER, 0));
	/* The day before: the Poor, 181 days old: 2^(-181/365) = 0.709124,
	 * 12 x that = 8.509488, 8.51.  From the 21st: Good, 0.00, and no floor. */
	out = explain("Alder House", "2025-07-20");
	assert_non_null(strstr(out, "{\"total\":8.51,\"band\":\"medium\","));
	free(out);
	out = explain("Alder House", "2025-07-21");
	assert_non_null(strstr(out, "{\"total\":0.00,\"band\":\"low\",\"score_band\":\"low\",\"flag\":false,"
				    "\"flag_reasons\":[],\"adjustments\":[],"));
	assert_non_null(strstr(out, "{\"rule\":\"pamms.good\""));
	assert_null(strstr(out, "pamms.poor"));
	free(out);
	assert_true(fabs(stored_score("Alder House")) < 0.005);
	/* `pamms show` of the first names its follow-up; the list says final. */
	out = tl_run_out(TL_ARGV("pamms", "show", first), OFFICER, 0);
	snprintf(want, sizeof(want), "Followed up by: PAMMS audit %s\n", second);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "PAMMS: final, published 2025-01-20 (scored from that day)\n"));
	assert_non_null(strstr(out, "Note: Quokka-01 medicines unrecorded"));
	free(out);
	out = tl_run_out(TL_ARGV("pamms", "list", "--provider", "Alder House", "--format", "csv"), OFFICER, 0);
	snprintf(want, sizeof(want), "%.8s,2025-07-07,Alder House,good,,%s,final 2025-07-21,Quokka-02 MAR"
		 " charts complete,cwt_pm_olive,", second, first);
	assert_non_null(strstr(out, want));
	free(out);
	/* Read-only sees the audits without their notes. */
	out = tl_run_out(TL_ARGV("pamms", "list", "--format", "csv"), READONLY, 0);
	assert_non_null(strstr(out, "id,audited,provider,overall,standard,follows,state,recorded_by,"));
	assert_null(strstr(out, "Quokka"));
	free(out);
}

/* ---- the action plan ---- */

static void
test_pamms_action_plan_overdue_on_the_worklist(void **state)
{
	char audit[37], good[37], want[2048], ref[9], *out;
	long number;
	const char *late;

	(void)state;
	if (!tl_db_available())
		skip();
	audit_add(TL_ARGV("pamms", "add", "Birch Court", "--overall", "requires_improvement", "--audited",
			  "2025-02-03", "--standard", "12=poor", "--note", "Quokka-03 night staffing short"), audit);
	snprintf(ref, sizeof(ref), "%.8s", audit);
	/* An action plan follows the final report. */
	snprintf(want, sizeof(want), "carewatch: error: PAMMS audit %s is a draft: an action plan follows the"
		 " final report\n", audit);
	refused(TL_ARGV("pamms", "action", "add", ref, "--owner", "Registered manager", "--due", "2025-03-10",
			"--note", "Quokka-04 rota"), OFFICER, 7, want);
	free(tl_run_out(TL_ARGV("pamms", "finalise", ref, "--on", "2025-02-10"), OFFICER, 0));
	/* Not yet an action: the plan itself is overdue since 2025-02-24. */
	out = tl_run_out(TL_ARGV("worklist"), OFFICER, 0);
	late = tl_query1(owner, "SELECT ((now() AT TIME ZONE 'Europe/London')::date - date '2025-02-24')::text");
	snprintf(want, sizeof(want), "! action plan      Birch Court  %s     Requires Improvement  2025-02-24 ",
		 ref);
	if (strstr(out, want) == NULL || strstr(out, late) == NULL)
		fail_msg("no overdue action plan (%s days) in:\n%s", late, out);
	free(out);

	out = tl_run_out(TL_ARGV("pamms", "action", "add", ref, "--owner", "Registered manager", "--due",
				 "2025-03-10", "--note", "Quokka-05 recruit two night carers"), OFFICER, 0);
	number = atol(tl_query1(owner, "SELECT max(number) FROM pamms_action"));
	snprintf(want, sizeof(want), "added action %ld on the plan of PAMMS audit %s for Birch Court (1 action,"
		 " 1 open)\n", number, ref);
	assert_string_equal(out, want);
	free(out);
	/* The worklist of the audit's recorder: the action overdue since
	 * 2025-03-10 and the follow-up audit since 2025-08-10 (6 months after
	 * 2025-02-10); the plan is in, so it is no longer listed. */
	out = tl_run_out(TL_ARGV("worklist"), OFFICER, 0);
	assert_non_null(strstr(out, "PAMMS follow-up overdue after the audits cwt_pm_olive recorded (! overdue)\n"));
	snprintf(want, sizeof(want), "! action %-9ld Birch Court  %s     Requires Improvement  2025-03-10 ", number, ref);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "! follow-up audit  Birch Court  %s     Requires Improvement  2025-08-10 ", ref);
	assert_non_null(strstr(out, want));
	assert_null(strstr(out, "action plan      Birch Court"));
	late = tl_query1(owner, "SELECT ((now() AT TIME ZONE 'Europe/London')::date - date '2025-03-10')::text");
	assert_non_null(strstr(out, late));
	/* The Alder House Poor of the first test has no plan (its follow-up is in). */
	assert_non_null(strstr(out, "! action plan      Alder House"));
	assert_null(strstr(out, "follow-up audit  Alder House"));
	assert_null(strstr(out, "Quokka"));
	free(out);
	/* Not on another officer's; scripts' formats keep the case list. */
	out = tl_run_out(TL_ARGV("worklist", "--officer", "cwt_pm_omar"), OFFICER, 0);
	assert_null(strstr(out, "PAMMS"));
	free(out);
	out = tl_run_out(TL_ARGV("worklist", "--format", "json"), OFFICER, 0);
	assert_null(strstr(out, "PAMMS"));
	free(out);
	/* The same, in any format, from the action list. */
	out = tl_run_out(TL_ARGV("pamms", "action", "list", "--overdue", "--mine", "--format", "csv"), OFFICER, 0);
	snprintf(want, sizeof(want), "action,provider,audit,owner,due,status,closed,note,audit_uuid\n"
		 "%ld,Birch Court,%s,Registered manager,2025-03-10,overdue,,Quokka-05 recruit two night carers,%s\n",
		 number, ref, audit);
	assert_string_equal(out, want);
	free(out);
	out = tl_run_out(TL_ARGV("pamms", "action", "list", ref, "--format", "csv"), READONLY, 0);
	snprintf(want, sizeof(want), "action,provider,audit,due,status,closed,audit_uuid\n"
		 "%ld,Birch Court,%s,2025-03-10,overdue,,%s\n", number, ref, audit);
	assert_string_equal(out, want);
	free(out);

	/* Done: off the worklist; again, nothing written; dropped now, refused. */
	snprintf(ref, sizeof(ref), "%ld", number);
	snprintf(want, sizeof(want), "action %ld is done\n", number);
	succeeds(TL_ARGV("pamms", "action", "done", ref), OFFICER, want);
	snprintf(want, sizeof(want), "already done: action %ld (nothing written)\n", number);
	succeeds(TL_ARGV("pamms", "action", "done", ref), OFFICER, want);
	snprintf(want, sizeof(want), "carewatch: error: action %ld is already done\n", number);
	refused(TL_ARGV("pamms", "action", "drop", ref), OFFICER, 7, want);
	out = tl_run_out(TL_ARGV("worklist"), OFFICER, 0);
	snprintf(want, sizeof(want), "action %ld ", number);
	assert_null(strstr(out, want));
	free(out);
	refused(TL_ARGV("pamms", "action", "done", "999999"), OFFICER, 5, "carewatch: error: no action 999999\n");

	/* Only Requires Improvement and Poor need a plan. */
	audit_add(TL_ARGV("pamms", "add", "Elm Grange", "--overall", "good", "--audited", "2025-04-01", "--note",
			  "Quokka-06 all good"), good);
	free(tl_run_out(TL_ARGV("pamms", "finalise", good, "--on", "2025-04-02"), OFFICER, 0));
	snprintf(want, sizeof(want), "carewatch: error: PAMMS audit %s is rated good: only Requires Improvement"
		 " and Poor need an action plan\n", good);
	refused(TL_ARGV("pamms", "action", "add", good, "--owner", "Manager", "--due", "2025-05-01", "--note",
			"Quokka-07"), OFFICER, 2, want);
}

/* ---- corrections and withdrawals ---- */

static void
test_pamms_correct_and_withdraw_an_audit(void **state)
{
	char audit[37], fixed[37], want[1024], ref[9], *out;
	const char *p;

	(void)state;
	if (!tl_db_available())
		skip();
	audit_add(TL_ARGV("pamms", "add", "Damson Court", "--overall", "poor", "--audited", "2025-03-03",
			  "--note", "Quokka-08 falls not reviewed"), audit);
	free(tl_run_out(TL_ARGV("pamms", "finalise", audit, "--on", "2025-03-03"), OFFICER, 0));
	free(tl_run_out(TL_ARGV("pamms", "action", "add", audit, "--owner", "Deputy manager", "--due", "2025-04-01",
				"--note", "Quokka-09 falls reviews weekly"), OFFICER, 0));
	out = tl_run_out(TL_ARGV("pamms", "correct", audit, "--overall", "requires_improvement", "--standard",
				 "6=requires_improvement", "--because", "Quokka-10 moderation changed the rating"),
			 OFFICER, 0);
	snprintf(want, sizeof(want), "corrected PAMMS audit %s for Damson Court: overall poor ->"
		 " requires_improvement, standard changed\n", audit);
	assert_non_null(strstr(out, want));
	p = strstr(out, "the correction is PAMMS audit ");
	assert_non_null(p);
	snprintf(fixed, sizeof(fixed), "%.36s", p + strlen("the correction is PAMMS audit "));
	free(out);
	/* The correction is final from the same day and holds the plan. */
	snprintf(want, sizeof(want), "SELECT to_char(f.published_on, 'YYYY-MM-DD') || ' ' || (SELECT count(*)"
		 " FROM pamms_action n WHERE n.audit_id = f.audit_id) FROM pamms_final f WHERE f.audit_id = '%s'",
		 fixed);
	assert_string_equal(tl_query1(owner, want), "2025-03-03 1");
	/* Requires Improvement on its publication day: 6.00, no decay. */
	out = explain("Damson Court", "2025-03-03");
	assert_non_null(strstr(out, "{\"total\":6.00,\"band\":\"medium\","));
	assert_non_null(strstr(out, "\"rule\":\"pamms.requires_improvement\""));
	assert_null(strstr(out, "pamms.poor"));
	free(out);
	out = tl_run_out(TL_ARGV("pamms", "show", fixed), OFFICER, 0);
	assert_non_null(strstr(out, "Action plan: due 2025-03-17 (14 days after publication); 1 action, 1 open,"
				    " 1 overdue"));
	free(out);
	/* The old version is corrected: steps name the correction. */
	snprintf(want, sizeof(want), "carewatch: error: PAMMS audit %s was already corrected by %s; add the"
		 " action to %s instead\n", audit, fixed, fixed);
	refused(TL_ARGV("pamms", "action", "add", audit, "--owner", "X", "--due", "2025-05-01", "--note",
			"Quokka-11"), OFFICER, 7, want);

	/* Withdrawn: out of the score, its plan off every list. */
	snprintf(ref, sizeof(ref), "%.8s", fixed);
	out = tl_run_out(TL_ARGV("pamms", "withdraw", ref, "--because", "Quokka-12 audit of the wrong home"),
			 OFFICER, 0);
	snprintf(want, sizeof(want), "withdrew PAMMS audit %s for Damson Court: scores, cases and reports leave"
		 " it out; its history keeps it ('carewatch pamms show %s')\n", fixed, fixed);
	assert_string_equal(out, want);
	free(out);
	out = explain("Damson Court", "2025-03-03");
	assert_non_null(strstr(out, "\"total\":0.00,"));
	free(out);
	assert_true(fabs(stored_score("Damson Court")) < 0.005);
	out = tl_run_out(TL_ARGV("pamms", "action", "list", "--provider", "Damson Court", "--format", "csv"),
			 OFFICER, 0);
	assert_string_equal(out, "action,provider,audit,owner,due,status,closed,note,audit_uuid\n");
	free(out);
	out = tl_run_out(TL_ARGV("worklist"), OFFICER, 0);
	assert_null(strstr(out, "Damson Court"));
	free(out);
	out = tl_run_out(TL_ARGV("recent", "--format", "csv"), OFFICER, 0);
	snprintf(want, sizeof(want), "pamms corrected,%.8s,Damson Court,\"requires_improvement, audited"
		 " 2025-03-03\",withdrawn", fixed);
	assert_non_null(strstr(out, want));
	free(out);
	assert_false(tl_server_log_contains("Quokka"));
}

/* ---- refusals ---- */

static void
test_pamms_refusals_write_nothing(void **state)
{
	char audit[37], other[37], want[1024], *out;
	long before;
	const char *p[5];

	(void)state;
	if (!tl_db_available())
		skip();
	audit_add(TL_ARGV("pamms", "add", "Cedar Lodge", "--overall", "poor", "--audited", "2025-05-05",
			  "--note", "Quokka-20 a draft"), audit);
	audit_add(TL_ARGV("pamms", "add", "Elm Grange", "--overall", "poor", "--audited", "2025-05-05",
			  "--note", "Quokka-21 another home"), other);
	/* A draft only: Cedar Lodge scores nothing. */
	assert_true(fabs(stored_score("Cedar Lodge")) < 0.005);
	before = written();
	refused(TL_ARGV("pamms", "add", "Cedar Lodge", "--overall", "great", "--note", "Quokka-22"), OFFICER, 2,
		"carewatch: error: invalid PAMMS rating 'great' (expected excellent, good, requires_improvement or"
		" poor)\n");
	refused(TL_ARGV("pamms", "add", "Cedar Lodge", "--overall", "good", "--standard", "4=ok", "--note",
			"Quokka-23"), OFFICER, 2,
		"carewatch: error: invalid PAMMS rating 'ok' for standard 4 (expected excellent, good,"
		" requires_improvement or poor)\n");
	refused(TL_ARGV("pamms", "add", "Cedar Lodge", "--overall", "good", "--standard", "4=good",
			"--standard", "4=poor", "--note", "Quokka-24"), OFFICER, 2,
		"carewatch: error: standard 4 is rated twice\n");
	refused(TL_ARGV("pamms", "add", "Nowhere Manor", "--overall", "good", "--note", "Quokka-25"), OFFICER, 5,
		"carewatch: error: no provider matches 'Nowhere Manor'\nhint: try 'carewatch provider find TEXT'\n");
	snprintf(want, sizeof(want), "carewatch: error: PAMMS audit %s is not Cedar Lodge's (it is Elm Grange's)\n"
		 "hint: a follow-up audit follows the same provider's earlier audit\n", other);
	refused(TL_ARGV("pamms", "add", "Cedar Lodge", "--overall", "good", "--follows", other, "--note",
			"Quokka-26"), OFFICER, 2, want);
	refused(TL_ARGV("pamms", "add", "Cedar Lodge", "--overall", "good", "--note", "Quokka-27"), READONLY, 4,
		"carewatch: error: permission denied for role cwt_pm_ro: this step is not open to its carewatch"
		" role\nhint: ask the database owner which role you need ('carewatch db role --help')\n");
	refused(TL_ARGV("pamms", "finalise", audit), READONLY, 4,
		"carewatch: error: finalising a PAMMS audit is for QA officers and managers\n");
	refused(TL_ARGV("pamms", "finalise", audit), BATCH, 4,
		"carewatch: error: finalising a PAMMS audit is for QA officers and managers\n");
	refused(TL_ARGV("pamms", "finalise", audit, "--on", "2025-05-04"), OFFICER, 2,
		"carewatch: error: the publication date is before the audit (2025-05-05)\n");
	refused(TL_ARGV("pamms", "finalise", audit, "--on", "2099-01-01"), OFFICER, 2,
		"carewatch: error: on 2099-01-01 is in the future (at the latest today)\n");
	refused(TL_ARGV("pamms", "action", "add", audit, "--owner", "X", "--due", "2025-06-01", "--note",
			"Quokka-28"), BATCH, 4, "carewatch: error: action plans are for QA officers and managers\n");
	refused(TL_ARGV("pamms", "action", "add", audit, "--due", "2025-06-01", "--note", "Quokka-29"), OFFICER, 2,
		"carewatch: error: missing --owner NAME (who at the provider is responsible)\n");
	refused(TL_ARGV("pamms", "correct", audit, "--overall", "good", "--because", "Quokka-30"), READONLY, 4,
		"carewatch: error: correcting records is for QA officers and managers\n");
	refused(TL_ARGV("pamms", "withdraw", audit, "--because", "Quokka-31"), BATCH, 4,
		"carewatch: error: withdrawing records is for QA officers and managers\n");
	assert_int_equal(written(), before);

	/* Over libpq: the steps are the functions', for officers and managers. */
	p[0] = "0c0c0c0c-0000-4000-8000-000000000001";
	p[1] = audit;
	p[2] = "2025-05-06";
	assert_string_equal(sqlstate_of("cwt_pm_ro", "SELECT api.pamms_finalise($1, $2, $3)", 3, p), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_batch", "SELECT api.pamms_finalise($1, $2, $3)", 3, p), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_olive", "INSERT INTO pamms_final (id, audit_id, provider_id,"
					" published_on) SELECT $1, id, provider_id, $3::date FROM pamms_audit"
					" WHERE id = $2", 3, p), "42501");
	p[2] = "Someone";
	p[3] = "2025-06-01";
	p[4] = "Quokka-32";
	assert_string_equal(sqlstate_of("cwt_pm_ro", "SELECT * FROM api.pamms_action_add($1, $2, $3, $4, $5)", 5, p),
			    "42501");
	assert_string_equal(sqlstate_of("cwt_pm_olive", "INSERT INTO pamms_action (id, audit_id, provider_id, note,"
					" owner, due_on) SELECT $1, id, provider_id, $5, $3, $4::date FROM pamms_audit"
					" WHERE id = $2", 5, p), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_mgr", "UPDATE pamms_action SET status = 'done'", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_olive", "UPDATE pamms_audit SET overall = 'good'", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_mgr", "DELETE FROM pamms_audit", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_ro", "INSERT INTO pamms_audit (id, provider_id, overall,"
					" audited_on, summary) SELECT gen_random_uuid(), provider_id, 'good',"
					" '2025-05-05', 'Quokka-33' FROM pamms_audit LIMIT 1", 0, NULL), "42501");
	/* Read-only and the batch read no summary, note or owner. */
	assert_string_equal(sqlstate_of("cwt_pm_ro", "SELECT summary FROM pamms_audit", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_batch", "SELECT summary FROM pamms_audit_current", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_ro", "SELECT note FROM pamms_action", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_ro", "SELECT owner FROM pamms_action", 0, NULL), "42501");
	assert_string_equal(sqlstate_of("cwt_pm_ro", "SELECT id, overall, standards FROM pamms_audit", 0, NULL), "");
	/* An officer's INSERT behind the command: an unknown standard refused by the table. */
	assert_string_equal(sqlstate_of("cwt_pm_olive", "INSERT INTO pamms_audit (id, provider_id, overall,"
					" audited_on, standards, summary) SELECT gen_random_uuid(), provider_id, 'good',"
					" '2025-05-05', '99=good', 'Quokka-34' FROM pamms_audit LIMIT 1", 0, NULL),
			    "22023");
	/* The reference data is the quality manager's to load. */
	p[0] = "17";
	p[1] = "management";
	p[2] = "Governance";
	p[3] = "17";
	assert_string_equal(sqlstate_of("cwt_pm_olive", "SELECT api.pamms_standard_set($1, $2, $3, $4::int)", 4, p),
			    "42501");
	assert_int_equal(written(), before);
	assert_string_equal(sqlstate_of("cwt_pm_mgr", "SELECT api.pamms_standard_set($1, $2, $3, $4::int)", 4, p), "");
	out = tl_run_out(TL_ARGV("pamms", "standards", "--format", "csv"), READONLY, 0);
	assert_non_null(strstr(out, "code,standard,domain,domain_code\n"
				    "1,Respecting and involving service users,Involvement and information,involvement\n"
				    "2,Consent,Involvement and information,involvement\n"
				    "3,Care and welfare of service users,Personalised care and support,personalised\n"));
	assert_non_null(strstr(out, "16,Records,Quality of management,management\n"
				    "17,Governance,Quality of management,management\n"));
	free(out);
	assert_false(tl_server_log_contains("Quokka"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pamms_draft_then_final_scored_as_the_rules_say),
		cmocka_unit_test(test_pamms_action_plan_overdue_on_the_worklist),
		cmocka_unit_test(test_pamms_correct_and_withdraw_an_audit),
		cmocka_unit_test(test_pamms_refusals_write_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
