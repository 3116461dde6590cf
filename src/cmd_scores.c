/*
 * cmd_scores.c - `carewatch scores backfill`: month-end score history for
 * months that are over, without touching the current scores.
 *
 * The engine is backfill.c; this reads --from and --to, runs it, and prints
 * what it stored month by month (a table, CSV or JSON): providers scored at
 * each month end, by band, and how many met the flag rules then (history:
 * no flag is raised).  Quiet with --quiet, for scripts and cron.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carewatch/backfill.h"
#include "carewatch/cmd.h"

static int
run_backfill(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"month", "Month end", CW_COL_DATE}, {"scored", "Scored", CW_COL_NUMBER},
		{"low", "Low", CW_COL_NUMBER}, {"medium", "Medium", CW_COL_NUMBER},
		{"high", "High", CW_COL_NUMBER}, {"very_high", "Very high", CW_COL_NUMBER},
		{"flag_rules_met", "Flag rules met", CW_COL_NUMBER},
	};
	struct cw_backfill_opts o = {0};
	struct cw_backfill_report *rep = calloc(1, sizeof(*rep));
	struct cw_error err;
	struct cw_table *t;
	char title[200], footer[400];

	cw_error_clear(&err);
	if (rep == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	o.conninfo = ctx->conninfo;
	o.now = (cw_time)time(NULL);
	o.progress = isatty(STDERR_FILENO) && !cw_flag(a, "quiet") ? stderr : NULL;
	if (cw_arg(a, "from") == NULL)
		cw_error_field(&err, "from", "missing --from YYYY-MM (the first month end to score)");
	else if (cw_arg(a, "to") == NULL)
		cw_error_field(&err, "to", "missing --to YYYY-MM (the last month end to score)");
	if (err.code || !cw_month_parse(cw_arg(a, "from"), "from", &o.from, &err) ||
	    !cw_month_parse(cw_arg(a, "to"), "to", &o.to, &err) || !cw_backfill_run(ctx->db, &o, rep, &err)) {
		free(rep);
		return cw_fail(&err);
	}
	if (cw_flag(a, "quiet")) {
		free(rep);
		return CW_EXIT_OK;
	}
	snprintf(title, sizeof(title), "Score history at month ends %s to %s under '%s' (%.12s)",
		 rep->months[0].month, rep->months[rep->nmonths - 1].month, rep->ruleset, rep->hash);
	t = cw_table_new(title, cols, 7);
	for (int m = 0; t && m < rep->nmonths; m++) {
		const struct cw_backfill_month *mo = &rep->months[m];
		char n[6][24];
		const char *cells[7] = {mo->month, n[0], n[1], n[2], n[3], n[4], n[5]};
		snprintf(n[0], sizeof(n[0]), "%ld", mo->scored);
		for (int b = 0; b < CW_RISK__N; b++)
			snprintf(n[1 + b], sizeof(n[1 + b]), "%ld", mo->bands[b]);
		snprintf(n[5], sizeof(n[5]), "%ld", mo->flagged);
		(void)cw_table_add(t, cells);
	}
	snprintf(footer, sizeof(footer),
		 "%d month end%s: %ld scores of %ld providers from %ld records in %.1f s; %ld row%s written, "
		 "%ld removed (current scores and flags unchanged)",
		 rep->nmonths, rep->nmonths == 1 ? "" : "s", rep->scores, rep->providers, rep->records,
		 rep->seconds, rep->written, rep->written == 1 ? "" : "s", rep->removed);
	if (t)
		cw_table_footer(t, footer);
	free(rep);
	if (t == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	return cw_emit(ctx, t);
}

static const struct cw_opt backfill_opts[] = {
	{"from", "YYYY-MM", "the first month whose month end is scored", NULL},
	{"to", "YYYY-MM", "the last one (a month that is over)", NULL},
	{"quiet", NULL, "print nothing unless something fails", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_scores_backfill = {
	.name = "scores backfill", .summary = "month-end score history for months that are over",
	.help = "At the end of each month from --from to --to (the last day, 23:59:59 London time), "
		"every provider registered and open then is scored with the active ruleset from the "
		"records dated on or before that moment (as 'provider explain --as-of' scores them), and "
		"the scores are stored as score history: one per provider and month end, read by the "
		"reports' risk-band chart.  Current scores, flags and the score queue are never touched; "
		"a rerun replaces the months it covers and leaves unchanged rows as they were.  A month "
		"still running is refused (exit 2), as is --to before --from.  For the batch role (the "
		"nightly's login) or the database owner.  See docs/operations.md.",
	.opts = backfill_opts, .max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT, .run = run_backfill,
};
