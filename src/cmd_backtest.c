/*
 * cmd_backtest.c - `carewatch backtest` and `carewatch rules diff FILE
 * --backtest`: does the score predict, and does a candidate ruleset predict
 * better than the active one?
 *
 * The engine is backtest.c and the statistics stats.c; this file reads the
 * options, picks the rulesets (the active one, a --rules file, or for `rules
 * diff` both side by side) and lays the results out as a report (report.h),
 * so every format comes from the same tables: an aligned table, CSV blocks,
 * one JSON object, or an HTML page with the ROC curve and the calibration
 * bars as SVG (html.c).  Nothing is written to the database.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carewatch/backtest.h"
#include "carewatch/cmd.h"
#include "carewatch/report.h"
#include "carewatch/scoring.h"

struct bt_input {
	struct cw_backtest_opts o;
	struct cw_ruleset *owned[CW_BT_MAX_RULES];     /* loaded from files: freed here */
	char labels[CW_BT_MAX_RULES][80];
	char hashes[CW_BT_MAX_RULES][65];
};

/* --outcome rating,restriction,closure: a comma-separated set. */
static bool
parse_outcomes(const char *s, unsigned *mask, struct cw_error *err)
{
	char buf[256], *save = NULL;

	*mask = 0;
	if (s == NULL) {
		*mask = CW_BT_ALL;
		return true;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int k;
		while (*w == ' ')
			w++;
		if (!cw_vocab_check(&cw_vocab_bt_outcome, "outcome", w, &k, err))
			return false;
		*mask |= 1u << k;
	}
	if (*mask == 0)
		return cw_error_field(err, "outcome", "missing outcome (expected rating, restriction or closure)");
	return true;
}

static bool
read_common(const struct cw_args *a, struct bt_input *in, struct cw_error *err)
{
	const char *h = cw_arg(a, "horizon");

	memset(in, 0, sizeof(*in));
	in->o.horizon = 12;
	in->o.replicates = CW_STATS_REPLICATES;
	in->o.seed = CW_STATS_SEED;
	in->o.as_of = (cw_time)time(NULL);
	if (cw_arg(a, "from") == NULL)
		return cw_error_field(err, "from", "missing --from YYYY-MM (the first month end to score)");
	if (cw_arg(a, "to") == NULL)
		return cw_error_field(err, "to", "missing --to YYYY-MM (the last month end to score)");
	if (!cw_month_parse(cw_arg(a, "from"), "from", &in->o.from, err) ||
	    !cw_month_parse(cw_arg(a, "to"), "to", &in->o.to, err))
		return false;
	if (h) {
		char *end;
		long v = strtol(h, &end, 10);
		if (end == h || *end || v < 1 || v > 60)
			return cw_error_field(err, "horizon", "invalid horizon '%.20s' (expected 1 to 60 months)", h);
		in->o.horizon = (int)v;
	}
	if (cw_arg(a, "as-of")) {
		struct cw_date d;
		if (!cw_date_parse(cw_arg(a, "as-of"), "as-of", &d, err))
			return false;
		in->o.as_of = cw_london_end_of_day(d);
	}
	if (!parse_outcomes(cw_arg(a, "outcome"), &in->o.outcomes, err))
		return false;
	in->o.progress = isatty(STDERR_FILENO) && !cw_flag(a, "quiet") ? stderr : NULL;
	return true;
}

/* Load rules file k; a fault is printed as `rules check` prints it (file,
 * line, column, the line and a caret) and its exit code returned, else 0. */
static int
load_file(struct bt_input *in, int k, const char *path)
{
	struct cw_rules_error rerr;
	char buf[2048];

	in->owned[k] = cw_rules_load(path, &rerr);
	if (in->owned[k] == NULL) {
		cw_rules_error_format(&rerr, buf, sizeof(buf));
		fputs(buf, stderr);
		return rerr.line == 0 ? CW_EXIT_FAIL : CW_EXIT_USAGE;
	}
	in->o.rules[k] = in->owned[k];
	return 0;
}

static bool
load_active(struct cw_db *db, struct bt_input *in, int k, struct cw_error *err)
{
	bool none;

	in->o.rules[k] = cw_scoring_active(db, &none, err);
	if (in->o.rules[k] == NULL) {
		if (none) {
			cw_error_set(err, CW_EXIT_NOTFOUND, "no ruleset is active");
			cw_error_hint(err, "activate one with 'carewatch rules activate FILE', or give --rules FILE");
		}
		return false;
	}
	return true;
}

static void
input_free(struct bt_input *in)
{
	for (int k = 0; k < CW_BT_MAX_RULES; k++)
		cw_rules_free(in->owned[k]);
}

/* ---- laying out the results ------------------------------------------ */

static const char *
fmt(char *buf, size_t size, const char *f, double v)
{
	if (!isfinite(v))
		return NULL;
	snprintf(buf, size, f, v);
	return buf;
}

static const char *
pct(char *buf, size_t size, double part, double whole)
{
	if (!(whole > 0))
		return NULL;
	snprintf(buf, size, "%.1f", 100.0 * part / whole);
	return buf;
}

static const char *
sector_label(int g)
{
	return g == 0 ? "All providers" : cw_vocab_label(&cw_vocab_care_type, g - 1);
}

#define NO_INTERVAL "no interval: in more than 10% of the bootstrap replicates one kind of outcome was missing"

/* "0.781 (0.752 to 0.808)" or the reason there is none. */
static void
auc_text(const struct cw_stats_auc *a, char *buf, size_t size)
{
	if (!a->ok)
		snprintf(buf, size, "no AUC (%s)", a->why);
	else if (isnan(a->lo))
		snprintf(buf, size, "%.3f (no interval)", a->auc);
	else
		snprintf(buf, size, "%.3f (%.3f to %.3f)", a->auc, a->lo, a->hi);
}

static bool
add_auc(struct cw_report *rep, const struct cw_backtest *b, struct cw_error *err)
{
	static const struct cw_col cols[] = {
		{"sector", "Sector", false}, {"model", "Scored by", false},
		{"observations", "Observations", true}, {"adverse", "Adverse", true},
		{"auc", "AUC", true}, {"low", "95% low", true}, {"high", "95% high", true},
		{"note", "Note", CW_COL_HIDE(1)},
	};
	struct cw_report_section *s = cw_report_section_add(rep, "auc", "Discrimination: AUC by sector", err);
	char sum[400] = "";

	if (s == NULL || (s->table = cw_table_new(s->title, cols, 8)) == NULL)
		return s ? cw_error_set(err, CW_EXIT_FAIL, "out of memory") : false;
	for (int g = 0; g <= CW_CARE__N; g++) {
		if (b->auc[(size_t)g * (size_t)b->nmodels].n == 0 && g > 0)
			continue;
		for (int m = 0; m < b->nmodels; m++) {
			const struct cw_stats_auc *a = &b->auc[g * b->nmodels + m];
			char n[24], adv[24], v[3][24];
			const char *cells[8] = {sector_label(g), b->model[m], n, adv,
						a->ok ? fmt(v[0], 24, "%.3f", a->auc) : NULL,
						a->ok ? fmt(v[1], 24, "%.3f", a->lo) : NULL,
						a->ok ? fmt(v[2], 24, "%.3f", a->hi) : NULL,
						!a->ok ? a->why : isnan(a->lo) ? NO_INTERVAL : NULL};
			snprintf(n, sizeof(n), "%ld", a->n);
			snprintf(adv, sizeof(adv), "%ld", a->adverse);
			cw_table_add(s->table, cells);
		}
	}
	snprintf(s->definition, sizeof(s->definition),
		 "Each observation is a provider open at a month end whose outcome window has passed. "
		 "The AUC is the chance that an observation followed by an adverse outcome scored higher "
		 "than one that was not (ties count half): 0.5 is chance, 1 is perfect.  The 95%% interval "
		 "comes from a bootstrap that resamples providers (all their month ends together), "
		 "1,000 replicates with a fixed seed, so a rerun gives the same figures.");
	for (int m = 0; m < b->nmodels; m++) {
		char t[200];
		auc_text(&b->auc[m], t, sizeof(t));
		snprintf(sum + strlen(sum), sizeof(sum) - strlen(sum), "%s%s: %s", m ? "; " : "All providers, ",
			 b->model[m], t);
	}
	snprintf(s->summary, sizeof(s->summary), "%.398s.", sum);
	return true;
}

static bool
add_diff(struct cw_report *rep, const struct cw_backtest *b, struct cw_error *err)
{
	static const struct cw_col cols[] = {
		{"sector", "Sector", false}, {"comparison", "Comparison", false},
		{"difference", "AUC difference", true}, {"low", "95% low", true}, {"high", "95% high", true},
		{"note", "Note", CW_COL_HIDE(1)},
	};
	struct cw_report_section *s = cw_report_section_add(rep, "auc_difference",
							    "Which predicts better: differences in AUC", err);
	char sum[400] = "";

	if (s == NULL || (s->table = cw_table_new(s->title, cols, 6)) == NULL)
		return s ? cw_error_set(err, CW_EXIT_FAIL, "out of memory") : false;
	for (int g = 0; g <= CW_CARE__N; g++) {
		if (b->auc[(size_t)g * (size_t)b->nmodels].n == 0 && g > 0)
			continue;
		for (int k = 0; k < b->npairs; k++) {
			const struct cw_stats_auc *d = &b->diff[g * b->npairs + k];
			char cmp[200], v[3][24];
			/* No "+" sign in a cell: CSV readers take it for a formula. */
			const char *cells[6] = {sector_label(g), cmp, d->ok ? fmt(v[0], 24, "%.3f", d->auc) : NULL,
						d->ok ? fmt(v[1], 24, "%.3f", d->lo) : NULL,
						d->ok ? fmt(v[2], 24, "%.3f", d->hi) : NULL,
						!d->ok ? d->why : isnan(d->lo) ? NO_INTERVAL : NULL};
			snprintf(cmp, sizeof(cmp), "%s minus %s", b->model[b->pairs[k][0]], b->model[b->pairs[k][1]]);
			cw_table_add(s->table, cells);
		}
	}
	snprintf(s->definition, sizeof(s->definition),
		 "The first AUC minus the second, on the same observations; the interval comes from the "
		 "same bootstrap replicates (paired), so an interval wholly above 0 means the first ranks "
		 "providers better than the second.");
	for (int k = 0; k < b->npairs; k++) {
		const struct cw_stats_auc *d = &b->diff[k];
		char t[200];
		if (!d->ok)
			snprintf(t, sizeof(t), "no difference (%s)", d->why);
		else if (isnan(d->lo))
			snprintf(t, sizeof(t), "%+.3f", d->auc);
		else
			snprintf(t, sizeof(t), "%+.3f (%+.3f to %+.3f)", d->auc, d->lo, d->hi);
		snprintf(sum + strlen(sum), sizeof(sum) - strlen(sum), "%s%s minus %s: %s", k ? "; " : "",
			 b->model[b->pairs[k][0]], b->model[b->pairs[k][1]], t);
	}
	snprintf(s->summary, sizeof(s->summary), "%.398s.", sum);
	return true;
}

static bool
add_budget(struct cw_report *rep, const struct cw_backtest *b, struct cw_error *err)
{
	static const struct cw_col cols[] = {
		{"model", "Scored by", false}, {"adverse", "Adverse outcomes", true},
		{"top10", "In the top 10%", true}, {"top10_pct", "Share %", true},
		{"top20", "In the top 20%", true}, {"top20_pct", "Share %", true},
	};
	struct cw_report_section *s = cw_report_section_add(rep, "visit_budget",
							    "Visit budget: adverse outcomes among the highest scores", err);

	if (s == NULL || (s->table = cw_table_new(s->title, cols, 6)) == NULL)
		return s ? cw_error_set(err, CW_EXIT_FAIL, "out of memory") : false;
	for (int m = 0; m < b->nmodels; m++) {
		char adv[24], t10[24], p10[24], t20[24], p20[24];
		const char *cells[6] = {b->model[m], adv, t10, pct(p10, 24, b->top_captured[0][m], (double)b->top_adverse),
					t20, pct(p20, 24, b->top_captured[1][m], (double)b->top_adverse)};
		snprintf(adv, sizeof(adv), "%ld", b->top_adverse);
		snprintf(t10, sizeof(t10), "%.1f", b->top_captured[0][m]);
		snprintf(t20, sizeof(t20), "%.1f", b->top_captured[1][m]);
		cw_table_add(s->table, cells);
	}
	snprintf(s->definition, sizeof(s->definition),
		 "At each month end, the 10%% (and 20%%) of open providers with the highest scores: the "
		 "providers a visit budget of that size would reach first.  Counted: the adverse outcomes "
		 "that followed among them, over all month ends, as a share of all adverse outcomes.  "
		 "Providers tied at the edge of the budget count in proportion.");
	if (b->top_adverse > 0) {
		char *p = s->summary;
		size_t left = sizeof(s->summary);
		for (int m = 0; m < b->nmodels; m++) {
			int k = snprintf(p, left, "%s%s: %.1f%% of adverse outcomes in the top 10%%, %.1f%% in the top 20%%",
					 m ? "; " : "", b->model[m], 100.0 * b->top_captured[0][m] / (double)b->top_adverse,
					 100.0 * b->top_captured[1][m] / (double)b->top_adverse);
			if (k < 0 || (size_t)k >= left)
				break;
			p += k;
			left -= (size_t)k;
		}
		if (left > 1)
			snprintf(p, left, ".");
	}
	return true;
}

static const char *const rate_colour[] = {"#d7301f"};

static bool
add_calibration(struct cw_report *rep, const struct cw_backtest *b, int m, struct cw_error *err)
{
	static const struct cw_col cols[] = {
		{"band", "Band", false}, {"observations", "Observations", true},
		{"adverse", "Adverse", true}, {"rate_pct", "Adverse %", true},
	};
	static const char *const base_labels[CW_BT_BASE_CATS] = {"Outstanding", "Good", "Requires improvement",
								  "Inadequate", "Not rated"};
	bool base = m == b->nmodels - 1;
	char key[40], title[200];
	struct cw_report_section *s;
	int ncat = base ? CW_BT_BASE_CATS : CW_RISK__N;

	snprintf(key, sizeof(key), base ? "calibration_baseline" : "calibration_%d", m + 1);
	snprintf(title, sizeof(title), "Calibration: adverse outcomes by %s (%s)", base ? "rating" : "band",
		 b->model[m]);
	if ((s = cw_report_section_add(rep, key, title, err)) == NULL)
		return false;
	if ((s->table = cw_table_new(title, cols, 4)) == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (int c = 0; c < ncat; c++) {
		const struct cw_bt_cell *cell = base ? &b->base[c] : &b->band[m][c];
		char n[24], adv[24], rate[24];
		const char *cells[4] = {base ? base_labels[c] : cw_vocab_label(&cw_vocab_risk, c), n, adv,
					pct(rate, 24, (double)cell->adverse, (double)cell->n)};
		snprintf(n, sizeof(n), "%ld", cell->n);
		snprintf(adv, sizeof(adv), "%ld", cell->adverse);
		cw_table_add(s->table, cells);
	}
	snprintf(s->definition, sizeof(s->definition),
		 base ? "Observations by the provider's overall CQC rating at the month end, and how many "
			"were followed by an adverse outcome.  A useful rating has a rate that rises from "
			"Outstanding to Inadequate."
		      : "Observations by the band the rules gave at the month end, and how many were "
			"followed by an adverse outcome.  Well-calibrated bands have a rate that rises with "
			"the band, each clearly above the one below.");
	s->chart.on = true;
	s->chart.kind = CW_CHART_COLUMNS;
	s->chart.cat_col = 0;
	s->chart.ncols = 1;
	s->chart.cols[0] = 3;
	s->chart.colours = rate_colour;
	snprintf(s->chart.y_label, sizeof(s->chart.y_label), "adverse %%");
	return true;
}

static bool
add_roc(struct cw_report *rep, const struct cw_backtest *b, struct cw_error *err)
{
	struct cw_col cols[CW_BT_MAX_MODELS + 2];
	struct cw_report_section *s = cw_report_section_add(rep, "roc", "ROC curve: adverse outcomes found against false alarms", err);
	static const char *const keys[] = {"tpr_1_pct", "tpr_2_pct", "tpr_3_pct"};

	if (s == NULL)
		return false;
	cols[0] = (struct cw_col){"fpr_pct", "False positives %", true};
	for (int m = 0; m < b->nmodels; m++) {
		char label[120];
		snprintf(label, sizeof(label), "%s: true positives %%", b->model[m]);
		cols[1 + m] = (struct cw_col){keys[m], cw_report_keep(rep, label), true};
	}
	cols[1 + b->nmodels] = (struct cw_col){"chance_pct", "Chance", true};
	if ((s->table = cw_table_new(s->title, cols, b->nmodels + 2)) == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (int p = 0; p < CW_BT_ROC_POINTS; p++) {
		char v[CW_BT_MAX_MODELS + 2][24];
		const char *cells[CW_BT_MAX_MODELS + 2];
		snprintf(v[0], 24, "%.0f", 100.0 * b->roc_fpr[p]);
		cells[0] = v[0];
		for (int m = 0; m < b->nmodels; m++)
			cells[1 + m] = fmt(v[1 + m], 24, "%.1f", 100.0 * b->roc[m][p]);
		snprintf(v[1 + b->nmodels], 24, "%.0f", 100.0 * b->roc_fpr[p]);
		cells[1 + b->nmodels] = v[1 + b->nmodels];
		cw_table_add(s->table, cells);
	}
	snprintf(s->definition, sizeof(s->definition),
		 "Going down the scores from the highest, the share of adverse outcomes found (true "
		 "positives) against the share of the other observations passed on the way (false "
		 "positives).  The higher the curve above the chance line, the better; the area under it "
		 "is the AUC.");
	s->chart.on = true;
	s->chart.kind = CW_CHART_LINES;
	s->chart.cat_col = 0;
	s->chart.ncols = b->nmodels + 1;
	for (int m = 0; m <= b->nmodels; m++)
		s->chart.cols[m] = 1 + m;
	s->chart.percent = true;
	snprintf(s->chart.y_label, sizeof(s->chart.y_label), "true positives");
	return true;
}

static bool
add_months(struct cw_report *rep, const struct cw_backtest *b, const struct cw_backtest_opts *o,
	   struct cw_error *err)
{
	struct cw_col cols[4 + 2 * CW_BT_MAX_MODELS];
	struct cw_report_section *s = cw_report_section_add(rep, "months", "Month by month: providers, outcomes and flags", err);
	static const char *const fkeys[] = {"flags_1", "flags_2", "flags_3"};
	static const char *const akeys[] = {"flagged_adverse_1", "flagged_adverse_2", "flagged_adverse_3"};
	int nc = 4 + 2 * b->nmodels;
	long lo = -1, hi = -1, sum = 0;

	if (s == NULL)
		return false;
	cols[0] = (struct cw_col){"month", "Month end", CW_COL_DATE};
	cols[1] = (struct cw_col){"outcome_known", "Outcome known", false};
	cols[2] = (struct cw_col){"providers", "Providers", true};
	cols[3] = (struct cw_col){"adverse", "Adverse", true};
	for (int m = 0; m < b->nmodels; m++) {
		char l1[120], l2[120];
		bool base = m == b->nmodels - 1;
		snprintf(l1, sizeof(l1), base ? "Rated Inadequate (%s)" : "Flags (%s)", b->model[m]);
		snprintf(l2, sizeof(l2), "of them adverse (%s)", b->model[m]);
		cols[4 + 2 * m] = (struct cw_col){fkeys[m], cw_report_keep(rep, l1), true};
		cols[5 + 2 * m] = (struct cw_col){akeys[m], cw_report_keep(rep, l2), true};
	}
	if ((s->table = cw_table_new(s->title, cols, nc)) == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (int i = 0; i < b->nmonths; i++) {
		const struct cw_bt_month *mo = &b->months[i];
		char v[4 + 2 * CW_BT_MAX_MODELS][24];
		const char *cells[4 + 2 * CW_BT_MAX_MODELS];
		cells[0] = mo->month;
		cells[1] = mo->complete ? "yes" : "not yet";
		snprintf(v[2], 24, "%ld", mo->providers);
		cells[2] = v[2];
		snprintf(v[3], 24, "%ld", mo->adverse);
		cells[3] = mo->complete ? v[3] : NULL;
		for (int m = 0; m < b->nmodels; m++) {
			snprintf(v[4 + 2 * m], 24, "%ld", mo->flags[m]);
			snprintf(v[5 + 2 * m], 24, "%ld", mo->flags_adverse[m]);
			cells[4 + 2 * m] = v[4 + 2 * m];
			cells[5 + 2 * m] = mo->complete ? v[5 + 2 * m] : NULL;
		}
		cw_table_add(s->table, cells);
		if (lo < 0 || mo->flags[0] < lo)
			lo = mo->flags[0];
		if (mo->flags[0] > hi)
			hi = mo->flags[0];
		sum += mo->flags[0];
	}
	snprintf(s->definition, sizeof(s->definition),
		 "Providers open at each month end, how many had an adverse outcome within the next %d "
		 "month%s (once that window has passed), and how many the rules would have flagged for a "
		 "placement restriction that day (the CQC baseline: how many were rated Inadequate), with "
		 "how many of those the adverse outcome followed.",
		 o->horizon, o->horizon == 1 ? "" : "s");
	if (b->nmonths > 0)
		snprintf(s->summary, sizeof(s->summary),
			 "%s would have raised %ld to %ld placement-restriction flags at a month end (%.1f on average).",
			 b->model[0], lo, hi, (double)sum / b->nmonths);
	s->chart.on = true;
	s->chart.kind = CW_CHART_LINES;
	s->chart.cat_col = 0;
	s->chart.ncols = b->nmodels - 1;
	for (int m = 0; m < b->nmodels - 1; m++)
		s->chart.cols[m] = 4 + 2 * m;
	s->chart.month_labels = true;
	snprintf(s->chart.y_label, sizeof(s->chart.y_label), "flags");
	return true;
}

static int
print_results(struct cw_ctx *ctx, const struct bt_input *in, const struct cw_backtest *b, const char *what)
{
	struct cw_report *rep = cw_report_new(NULL);
	struct cw_error err;
	char asof[40], outcomes[160] = "", sub[600];
	bool ok;

	cw_error_clear(&err);
	if (rep == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	for (int k = 0; k < 3; k++)
		if (in->o.outcomes & (1u << k))
			snprintf(outcomes + strlen(outcomes), sizeof(outcomes) - strlen(outcomes), "%s%s",
				 outcomes[0] ? ", " : "", cw_vocab_word(&cw_vocab_bt_outcome, k));
	cw_date_format(cw_london_date(in->o.as_of), asof, sizeof(asof));
	snprintf(rep->title, sizeof(rep->title), "%s", what);
	snprintf(sub, sizeof(sub),
		 "Month ends %s to %s (%d, %d with the outcome known by %s); adverse outcome within %d "
		 "month%s: %s; %ld providers, %ld records, %ld observations, %ld adverse",
		 b->months[0].month, b->months[b->nmonths - 1].month, b->nmonths, b->ncomplete, asof,
		 in->o.horizon, in->o.horizon == 1 ? "" : "s", outcomes, b->providers, b->records,
		 b->observations, b->adverse);
	snprintf(rep->subtitle, sizeof(rep->subtitle), "%.299s", sub);
	ok = add_auc(rep, b, &err) && add_diff(rep, b, &err) && add_budget(rep, b, &err);
	for (int m = 0; ok && m < b->nmodels; m++)
		ok = add_calibration(rep, b, m, &err);
	ok = ok && add_roc(rep, b, &err) && add_months(rep, b, &in->o, &err);
	if (!ok) {
		cw_report_free(rep);
		return cw_fail(&err);
	}
	ok = cw_report_print(rep, stdout, ctx->format, ctx->wide ? CW_WIDTH_ALL : ctx->width, ctx->colour);
	cw_report_free(rep);
	if (!ok) {
		cw_error_set(&err, CW_EXIT_FAIL, "could not write the backtest");
		return cw_fail(&err);
	}
	return CW_EXIT_OK;
}

static int
run_and_print(struct cw_ctx *ctx, struct bt_input *in, const char *what)
{
	struct cw_backtest *b = calloc(1, sizeof(*b));
	struct cw_error err;
	int rc;

	cw_error_clear(&err);
	if (b == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	for (int k = 0; k < in->o.nrules; k++)
		in->o.labels[k] = in->labels[k];
	if (!cw_backtest_run(ctx->db, &in->o, b, &err)) {
		free(b);
		return cw_fail(&err);
	}
	if (in->o.progress)
		fprintf(in->o.progress, "backtest: %ld providers at %d month ends from %ld records in %.1f s\n",
			b->providers, b->nmonths, b->records, b->seconds);
	rc = print_results(ctx, in, b, what);
	free(b);
	return rc;
}

static int
run_backtest(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct bt_input in;
	struct cw_error err;
	char what[300];
	int rc;

	cw_error_clear(&err);
	if (!read_common(a, &in, &err))
		return cw_fail(&err);
	in.o.nrules = 1;
	if (cw_arg(a, "rules") && (rc = load_file(&in, 0, cw_arg(a, "rules"))) != 0)
		return rc;
	if (!cw_arg(a, "rules") && !load_active(ctx->db, &in, 0, &err))
		return cw_fail(&err);
	snprintf(in.labels[0], sizeof(in.labels[0]), "%s", cw_rules_name(in.o.rules[0]));
	snprintf(what, sizeof(what), "Backtest of ruleset '%s' (%s, sha256 %.12s) against the CQC rating alone",
		 cw_rules_name(in.o.rules[0]), cw_arg(a, "rules") ? cw_arg(a, "rules") : "active",
		 cw_rules_hash(in.o.rules[0]));
	rc = run_and_print(ctx, &in, what);
	input_free(&in);
	return rc;
}

int
cw_backtest_rules_diff(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct bt_input in;
	struct cw_error err;
	char what[400];
	int rc;

	cw_error_clear(&err);
	if (!cw_flag(a, "backtest")) {
		cw_error_set(&err, CW_EXIT_USAGE, "--from, --to, --horizon, --outcome and --as-of are for --backtest");
		cw_error_hint(&err, "carewatch rules diff FILE --backtest --from YYYY-MM --to YYYY-MM");
		return cw_fail(&err);
	}
	if (!read_common(a, &in, &err))
		return cw_fail(&err);
	in.o.nrules = 2;
	if ((rc = load_file(&in, 1, a->pos[0])) != 0)
		return rc;
	if (!load_active(ctx->db, &in, 0, &err)) {
		input_free(&in);
		return cw_fail(&err);
	}
	snprintf(in.labels[0], sizeof(in.labels[0]), "active '%s'", cw_rules_name(in.o.rules[0]));
	snprintf(in.labels[1], sizeof(in.labels[1]), "candidate '%s'", cw_rules_name(in.o.rules[1]));
	snprintf(what, sizeof(what),
		 "Backtest of candidate '%s' (%s, sha256 %.12s) against the active '%s' (sha256 %.12s)",
		 cw_rules_name(in.o.rules[1]), a->pos[0], cw_rules_hash(in.o.rules[1]),
		 cw_rules_name(in.o.rules[0]), cw_rules_hash(in.o.rules[0]));
	rc = run_and_print(ctx, &in, what);
	input_free(&in);
	return rc;
}

#define BACKTEST_OPTS                                                                                   \
	{"from", "YYYY-MM", "the first month end to score (required)", NULL},                                  \
	{"to", "YYYY-MM", "the last month end to score (required)", NULL},                                     \
	{"horizon", "MONTHS", "an adverse outcome counts within this many months after (default 12)", NULL},   \
	{"outcome", "LIST", "adverse outcomes, comma-separated: rating, restriction, closure (default all)",   \
	 NULL},                                                                                                \
	{"as-of", "DATE", "what is known: outcome windows must end by the end of DATE (default now)", NULL},  \
	{"quiet", NULL, "no progress on a terminal", NULL}

static const struct cw_opt backtest_opts[] = {
	BACKTEST_OPTS,
	{"rules", "FILE", "backtest this rules file instead of the active ruleset (nothing is stored)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_opt cw_backtest_diff_opts[] = {
	{"backtest", NULL, "compare the two on past month ends instead of today's bands", NULL},
	BACKTEST_OPTS,
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_backtest = {
	.name = "backtest", .summary = "does the score predict? score past month ends, check what followed",
	.help = "At each month end from --from to --to, every provider open then is scored with the "
		"rules as its records stood that day, and with its CQC overall rating alone; an "
		"adverse outcome is a Requires improvement or Inadequate rating published, a "
		"restriction on all placements imposed or a closure within --horizon months.  Prints "
		"the AUC with a 95% interval overall and by care type, the share of adverse outcomes "
		"among the top 10% and 20% of scores, the outcome rate by band, the ROC curve and the "
		"flags raised at each month end.  Writes nothing.  See docs/rules.md, \"Backtesting\".",
	.opts = backtest_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_HTML,
	.run = run_backtest,
};
