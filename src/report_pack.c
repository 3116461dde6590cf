/*
 * report_pack.c - the monthly quality dashboard and the annual quality
 * report (report.h), composed from the single reports.
 *
 * [16/17 3.13.1] "six quality dashboards per month, one covering Norfolk and
 * one for each of the five localities" evaluating "CQC results, provider
 * related safeguardings, provider risk scores": a dashboard is the month's
 * picture with the twelve months to it for context.  The annual report
 * follows the order of the 2017/18 report: ratings by domain (all care types,
 * then each sector), overall ratings against the RIG target month by month,
 * localities, the shift in ratings, persistently underperforming providers,
 * then the team's casework, safeguarding, risk, placement restrictions and
 * provider loss.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/report.h"
#include "carewatch/scoring.h"

/* [16/17 2.9.1] "despite a total of 61 inspections": a provider rated below
 * good at two inspections in a row is the start of a persistent pattern. */
#define UNDERPERFORMING_MIN 2

bool
cw_report_response_target(struct cw_db *db, int *pct, struct cw_error *err)
{
	bool none = false;
	const struct cw_ruleset *rs = cw_scoring_active(db, &none, err);

	if (rs == NULL && !none)
		return false;
	*pct = rs ? cw_rules_response_target_pct(rs) : 90;
	return true;
}

/* Drop the last section (an empty per-sector table the report can do
 * without). */
static void
drop_last(struct cw_report *rep)
{
	if (rep->n == 0)
		return;
	rep->n--;
	cw_table_free(rep->sections[rep->n].table);
	cw_table_free(rep->sections[rep->n].chart_table);
	rep->sections[rep->n].table = NULL;
	rep->sections[rep->n].chart_table = NULL;
}

/* Whether a cell holds a figure other than zero: a number, or a public
 * report's "<5" or "*" (a suppressed figure is not nothing). */
static bool
has_figure(const struct cw_table *t, size_t row, int col)
{
	const char *v = cw_table_cell(t, row, col);

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static void
rekey(struct cw_report *rep, const char *key, const char *suffix)
{
	snprintf(rep->sections[rep->n - 1].key, sizeof(rep->sections[0].key), "%s_%s", key, suffix);
}

/* The monthly series, casework and risk sections shared by both packs. */
static bool
work_sections(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
	      struct cw_date from, struct cw_date to, struct cw_date bands_from,
	      struct cw_date restrictions_from, struct cw_error *err)
{
	int target;

	if (!cw_report_response_target(db, &target, err))
		return false;
	return cw_report_active_cases(db, rep, flt, from, to, CW_DIM_CARE_TYPE, err) &&
	       cw_report_concerns(db, rep, flt, from, to, err) &&
	       cw_report_response(db, rep, flt, from, to, target, err) &&
	       cw_report_safeguarding(db, rep, flt, from, to, CW_DIM_MONTH, err) &&
	       cw_report_safeguarding(db, rep, flt, from, to, CW_DIM_CATEGORY, err) &&
	       cw_report_risk_bands(db, rep, flt, bands_from, to, err) &&
	       cw_report_restrictions(db, rep, flt, restrictions_from, to, "all", err) &&
	       cw_report_loss(db, rep, flt, from, to, err);
}

bool
cw_report_dashboard(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		    struct cw_date month, struct cw_error *err)
{
	struct cw_date end = cw_report_month_end(month), from = cw_report_add_months(month, -11);
	char m[40];

	snprintf(rep->title, sizeof(rep->title), "Quality dashboard: %s",
		 cw_report_month_text(month, m, sizeof(m)));
	if (flt->locality)
		snprintf(rep->subtitle, sizeof(rep->subtitle),
			 "%s locality: ratings as at the end of the month; casework, safeguarding and risk "
			 "over the twelve months to it",
			 flt->locality_name ? flt->locality_name : flt->locality);
	else
		snprintf(rep->subtitle, sizeof(rep->subtitle),
			 "All localities: ratings as at the end of the month; casework, safeguarding and "
			 "risk over the twelve months to it");
	if (!cw_report_ratings(db, rep, flt, end, err) ||
	    !cw_report_ratings_by(db, rep, flt, end, CW_DIM_CARE_TYPE, err) ||
	    !cw_report_trend(db, rep, flt, from, month, NAN, err))
		return false;
	if (flt->locality == NULL && !cw_report_ratings_by(db, rep, flt, end, CW_DIM_LOCALITY, err))
		return false;
	return cw_report_shift(db, rep, flt, from, month, err) &&
	       cw_report_underperforming(db, rep, flt, end, UNDERPERFORMING_MIN, err) &&
	       work_sections(db, rep, flt, from, month, from, from, err);
}

bool
cw_report_annual(struct cw_db *db, struct cw_report *rep, int year, struct cw_error *err)
{
	struct cw_date from = {year, 4, 1}, to = {year + 1, 3, 1};
	struct cw_date end = cw_report_month_end(to);
	struct cw_report_filter all = {0};
	PGresult *types;

	snprintf(rep->title, sizeof(rep->title), "Adult social care annual quality report %d/%02d", year,
		 (year + 1) % 100);
	snprintf(rep->subtitle, sizeof(rep->subtitle),
		 "Council year 1 April %d to 31 March %d: CQC ratings as at the year end, the year's "
		 "trends, casework, safeguarding, risk, placement restrictions and provider loss",
		 year, year + 1);
	types = cw_db_query(db, "SELECT code FROM care_type WHERE cqc_regulated ORDER BY sort_order", 0,
			    NULL, err);
	if (types == NULL)
		return false;
	if (!cw_report_ratings(db, rep, &all, end, err))
		goto fail;
	/* Each CQC-regulated sector that has rated providers. */
	for (int i = 0; i < PQntuples(types); i++) {
		struct cw_report_filter one = {.care_type = PQgetvalue(types, i, 0)};
		if (!cw_report_ratings(db, rep, &one, end, err))
			goto fail;
		if (!has_figure(rep->sections[rep->n - 1].table, 5, 5))
			drop_last(rep);
		else
			rekey(rep, "ratings", one.care_type);
	}
	if (!cw_report_ratings_by(db, rep, &all, end, CW_DIM_CARE_TYPE, err) ||
	    !cw_report_trend(db, rep, &all, from, to, NAN, err))
		goto fail;
	for (int i = 0; i < PQntuples(types); i++) {
		struct cw_report_filter one = {.care_type = PQgetvalue(types, i, 0)};
		const struct cw_table *t;
		bool any = false;
		if (!cw_report_trend(db, rep, &one, from, to, NAN, err))
			goto fail;
		t = rep->sections[rep->n - 1].table;
		for (size_t r = 0; r < cw_table_rows(t); r++)
			any = any || has_figure(t, r, 5);
		if (!any)
			drop_last(rep);
		else
			rekey(rep, "trend", one.care_type);
	}
	PQclear(types);
	types = NULL;
	/* [17/18 3.10.1] "over the past 18 months"; [17/18 3.11.1] "over the
	 * past three and a half years". */
	return cw_report_ratings_by(db, rep, &all, end, CW_DIM_LOCALITY, err) &&
	       cw_report_shift(db, rep, &all, from, to, err) &&
	       cw_report_underperforming(db, rep, &all, end, UNDERPERFORMING_MIN, err) &&
	       work_sections(db, rep, &all, from, to, cw_report_add_months(to, -17),
			     cw_report_add_months(to, -41), err);
fail:
	PQclear(types);
	return false;
}
