/*
 * cmd_response.c - `carewatch response [--month YYYY-MM] [--locality L]`:
 * the team's response-time target.
 *
 * For the cases whose due time fell in the month: how many were answered on
 * time, late, are still open past due, or were closed unanswered, and the
 * percentage on time against the active ruleset's target (90%); then the
 * breaches, and the cases at risk now (no response yet, due by the end of the
 * next working day, counting the council's closure days).  The counting is in
 * worklist.c; this file lays it out.  With --format csv or json one table is
 * printed: the summary, or the list --breaches or --at-risk asks for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/closure.h"
#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/rules.h"
#include "carewatch/scoring.h"
#include "carewatch/worklist.h"

static const struct cw_col summary_cols[] = {
	{"risk", "Risk", false}, {"due", "Due", true}, {"on_time", "On time", true},
	{"late", "Late", true}, {"open_past_due", "Open past due", true},
	{"closed_unanswered", "Closed unanswered", true}, {"not_yet_due", "Not yet due", true},
	{"on_time_pct", "On time %", true},
};

static const struct cw_col list_cols[] = {
	{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", false},
	{"locality", "Locality", CW_COL_HIDE(1)}, {"risk", "Risk", false},
	{"officer", "Officer", CW_COL_ID}, {"due", "Due", CW_COL_DATE},
	{"responded", "Responded", CW_COL_DATE}, {"outcome", "Outcome", false},
	{"working_days", "Working days", true},
};

static void
summary_row(struct cw_table *t, const char *label, const long n[CW_RESP__N])
{
	char cell[CW_RESP__N + 2][32];
	const char *cells[8];
	long due = 0;
	double pct = cw_response_pct(n);

	for (int o = 0; o < CW_RESP__N; o++) {
		due += n[o];
		snprintf(cell[o], sizeof(cell[o]), "%ld", n[o]);
		cells[2 + o] = cell[o];
	}
	snprintf(cell[CW_RESP__N], sizeof(cell[0]), "%ld", due);
	snprintf(cell[CW_RESP__N + 1], sizeof(cell[0]), "%.1f", pct);
	cells[0] = label;
	cells[1] = cell[CW_RESP__N];
	cells[7] = pct >= 0 ? cell[CW_RESP__N + 1] : NULL;     /* nothing decided: empty / null */
	cw_table_add(t, cells);
}

static struct cw_table *
summary_table(struct cw_db *db, const struct cw_response_summary *s, const char *period,
	      const char *where)
{
	const struct cw_ruleset *rs;
	bool none = false;
	struct cw_error ignore;
	char title[200], footer[300];
	double pct = cw_response_pct(s->total);
	long decided = cw_response_decided(s->total);
	struct cw_table *t;

	snprintf(title, sizeof(title), "Response times: cases due in %s (%s), target %d%% on time",
		 period, where, s->target_pct);
	if ((t = cw_table_new(title, summary_cols, 8)) == NULL)
		return NULL;
	/* A row for every risk level with a target, and any other with cases. */
	cw_error_clear(&ignore);
	rs = cw_scoring_active(db, &none, &ignore);
	for (int r = 0; r < CW_RISK__N; r++) {
		long any = 0;
		for (int o = 0; o < CW_RESP__N; o++)
			any += s->n[r][o];
		if (any || (rs && cw_rules_response_days(rs, (enum cw_risk)r) >= 0)) {
			summary_row(t, cw_vocab_word(&cw_vocab_risk, r), s->n[r]);
			if (cw_response_pct(s->n[r]) >= 0 && cw_response_pct(s->n[r]) + 1e-9 < s->target_pct)
				cw_table_mark_last(t, "!");
		}
	}
	summary_row(t, "all", s->total);
	if (pct >= 0 && pct + 1e-9 < s->target_pct)
		cw_table_mark_last(t, "!");
	if (pct < 0)
		snprintf(footer, sizeof(footer), "no case due in %s has been decided yet", period);
	else
		snprintf(footer, sizeof(footer), "%.1f%% on time (%ld of %ld) against the target of %d%%: %s",
			 pct, s->total[CW_RESP_ON_TIME], decided, s->target_pct,
			 pct + 1e-9 >= s->target_pct ? "target met" : "below target");
	cw_table_footer(t, footer);
	return t;
}

/* The breaches or at-risk cases; the last column counts working days late
 * (breaches) or left (at risk). */
static struct cw_table *
list_table(const char *title, PGresult *r, const struct cw_calendar *cal, cw_time now, bool at_risk)
{
	struct cw_table *t = cw_table_new(title, list_cols, 9);

	if (t == NULL)
		return NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[9];
		char days[24] = "";
		cw_time due = strtoll(PQgetvalue(r, i, CW_RESP_COL_DUE_EPOCH), NULL, 10);
		const char *resp = PQgetvalue(r, i, CW_RESP_COL_RESPONDED_EPOCH);
		const char *outcome = PQgetvalue(r, i, CW_RESP_COL_OUTCOME);

		for (int c = 0; c < 8; c++)
			cells[c] = PQgetvalue(r, i, c);
		if (at_risk)
			snprintf(days, sizeof(days), "%d", cw_calendar_working_days_between(cal, now, due));
		else if (resp[0])
			snprintf(days, sizeof(days), "%d",
				 cw_calendar_working_days_between(cal, due, strtoll(resp, NULL, 10)));
		else if (strcmp(outcome, "open_past_due") == 0)
			snprintf(days, sizeof(days), "%d", cw_calendar_working_days_between(cal, due, now));
		if (cells[CW_RESP_COL_OFFICER][0] == '\0')
			cells[CW_RESP_COL_OFFICER] = "(unassigned)";
		if (cells[CW_RESP_COL_RESPONDED][0] == '\0')
			cells[CW_RESP_COL_RESPONDED] = NULL;
		cells[8] = days[0] ? days : NULL;
		cw_table_add(t, cells);
	}
	return t;
}

static int
run_response(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_response_summary s;
	struct cw_calendar *cal = NULL;
	struct cw_error err;
	struct cw_date first;
	char locality[40], period[40], where[64], title[200], until_s[CW_DATE_LONG_LEN];
	const char *loc = NULL;
	bool breaches = cw_flag(a, "breaches"), at_risk = cw_flag(a, "at-risk");
	bool all = !breaches && !at_risk;
	cw_time now = (cw_time)time(NULL), from, to, until;
	struct cw_table *t;
	PGresult *r;
	int rc = CW_EXIT_FAIL;

	cw_error_clear(&err);
	if (breaches && at_risk) {
		cw_error_set(&err, CW_EXIT_USAGE, "--breaches and --at-risk are separate lists: give one");
		return cw_fail(&err);
	}
	if (cw_arg(a, "month")) {
		if (!cw_month_parse(cw_arg(a, "month"), "month", &first, &err))
			return cw_fail(&err);
	} else {
		first = cw_london_date(now);
		first.d = 1;
	}
	if (cw_arg(a, "locality")) {
		if (!cw_locality_resolve(ctx->db, cw_arg(a, "locality"), locality, sizeof(locality), NULL, 0,
					 &err))
			return cw_fail(&err);
		loc = locality;
		snprintf(where, sizeof(where), "locality %s", locality);
	} else {
		snprintf(where, sizeof(where), "all localities");
	}
	snprintf(period, sizeof(period), "%04d-%02d", first.y, first.m);
	cw_worklist_month_period(first, &from, &to);
	if ((cal = cw_closure_calendar(ctx->db, &err)) == NULL)
		return cw_fail(&err);
	until = cw_worklist_at_risk_until(cal, now);
	cw_date_format_long(cw_london_date(until), until_s, sizeof(until_s));

	if (all) {
		if (!cw_response_summarise(ctx->db, from, to, now, loc, &s, &err))
			goto fail;
		if ((t = summary_table(ctx->db, &s, period, where)) == NULL)
			goto oom;
		if (ctx->format != CW_FMT_TABLE) {
			rc = cw_emit(ctx, t);
			goto out;
		}
		cw_emit(ctx, t);
		putchar('\n');
	}
	if (all || breaches) {
		if ((r = cw_response_breaches(ctx->db, from, to, now, loc, &err)) == NULL)
			goto fail;
		snprintf(title, sizeof(title), "Breaches: cases due in %s not answered on time (%d)", period,
			 PQntuples(r));
		if (all && PQntuples(r) == 0) {
			/* An empty table says less than a word. */
			PQclear(r);
			printf("%s: none\n\n", title);
		} else {
			t = list_table(title, r, cal, now, false);
			PQclear(r);
			if (t == NULL)
				goto oom;
			cw_table_footer(t, "working days: late by (answered late) or overdue by (still open)");
			if (breaches) {
				rc = cw_emit(ctx, t);
				goto out;
			}
			cw_emit(ctx, t);
			putchar('\n');
		}
	}
	if ((r = cw_response_at_risk(ctx->db, now, until, loc, &err)) == NULL)
		goto fail;
	snprintf(title, sizeof(title), "At risk now: no response yet and due by the end of %s (%d)",
		 until_s, PQntuples(r));
	if (all && PQntuples(r) == 0) {
		PQclear(r);
		printf("%s: none\n", title);
		rc = CW_EXIT_OK;
		goto out;
	}
	t = list_table(title, r, cal, now, true);
	PQclear(r);
	if (t == NULL)
		goto oom;
	cw_table_footer(t, "working days: left before the due time");
	rc = cw_emit(ctx, t);
	goto out;
oom:
	cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
fail:
	rc = cw_fail(&err);
out:
	cw_calendar_free(cal);
	return rc;
}

static const struct cw_opt response_opts[] = {
	{"month", "YYYY-MM", "the month the due times fell in (default: this month)", NULL},
	{"locality", "L", "only providers in this locality", NULL},
	{"breaches", NULL, "only the list of cases not answered on time", NULL},
	{"at-risk", NULL, "only the list of cases due by the end of the next working day", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_response = {
	.name = "response", .summary = "response times against the target, breaches, cases at risk",
	.help = "For the cases whose due time fell in the month: answered on time (the first"
		" response at or before the due time), late, still open past due, or closed"
		" unanswered, by risk level, and the percentage on time against the active"
		" ruleset's target.  Then the breaches, and the cases at risk now: no response"
		" yet and due by the end of the next working day (weekends, bank holidays and"
		" closure days skipped).  With --format csv or json only the summary is printed,"
		" or the list --breaches or --at-risk asks for.",
	.opts = response_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_response,
};
