/*
 * report_ratings.c - the CQC rating reports (report.h): ratings by domain,
 * the monthly trend against the RIG target, ratings by locality and care
 * type, the shift in ratings over a period, and persistently
 * underperforming providers.
 *
 * All of them read the rating history, never a "current rating" column: a
 * provider's rating on day D is its latest rating in that domain published
 * on or before D (ties on one day go to the later recorded), so the report
 * for any past date can be run again.  Providers that closed on or before
 * the date (report_provider.closed_on) are left out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/report.h"

/* The provider filter every query takes as parameters $c (care type) and
 * $l (locality); NULL means all. */
#define FILTER(c, l) " AND ($" #c "::text IS NULL OR p.care_type = $" #c ")" \
		     " AND ($" #l "::text IS NULL OR p.locality = $" #l ")"

#define RATING_LABEL(x)                                                                     \
	" CASE " x " WHEN 'outstanding' THEN 'Outstanding' WHEN 'good' THEN 'Good'"          \
	" WHEN 'requires_improvement' THEN 'Requires improvement'"                          \
	" WHEN 'inadequate' THEN 'Inadequate' END"

#define BY_RATING(x)                                                                          \
	" count(" x ") FILTER (WHERE " x " = 'outstanding'),"                                 \
	" count(" x ") FILTER (WHERE " x " = 'good'),"                                        \
	" count(" x ") FILTER (WHERE " x " = 'requires_improvement'),"                        \
	" count(" x ") FILTER (WHERE " x " = 'inadequate')"

static const struct cw_col rating_cols[] = {
	{"domain", "Domain", false}, {"outstanding", "Outstanding", true}, {"good", "Good", true},
	{"requires_improvement", "Requires improvement", true}, {"inadequate", "Inadequate", true},
	{"total", "Total", true},
};

static double
pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

bool
cw_report_ratings(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		  struct cw_date as_of, struct cw_error *err)
{
	char day[CW_DATE_LEN], scope[160], when[40], title[200];
	const char *p[3] = {cw_report_iso(as_of, day), flt->care_type, flt->locality};
	struct cw_report_section *s;
	PGresult *r;

	r = cw_db_query(db,
			"WITH latest AS ("
			" SELECT DISTINCT ON (r.provider_id, r.domain) r.domain, r.rating"
			"   FROM cqc_rating_current r JOIN report_provider p ON p.id = r.provider_id"
			"  WHERE r.published_on <= $1::date"
			"    AND (p.closed_on IS NULL OR p.closed_on > $1::date)" FILTER(2, 3)
			"  ORDER BY r.provider_id, r.domain, r.published_on DESC, r.recorded_at DESC, r.id DESC)"
			" SELECT d.label," BY_RATING("l.rating") ", count(l.rating)"
			"   FROM (VALUES (1, 'safe', 'Safe'), (2, 'effective', 'Effective'),"
			"         (3, 'caring', 'Caring'), (4, 'responsive', 'Responsive'),"
			"         (5, 'well_led', 'Well-led'), (6, 'overall', 'Overall')) d(ord, domain, label)"
			"   LEFT JOIN latest l ON l.domain = d.domain"
			"  GROUP BY d.ord, d.label ORDER BY d.ord",
			3, p, err);
	if (r == NULL)
		return false;
	cw_report_day_text(as_of, when, sizeof(when));
	snprintf(title, sizeof(title), "CQC ratings by domain as at %s (%s)", when,
		 cw_report_scope(flt, scope, sizeof(scope)));
	s = cw_report_section_of(rep, "ratings", title, r, rating_cols, 6, err);
	if (s == NULL)
		return false;
	PQclear(r);
	snprintf(s->definition, sizeof(s->definition),
		 "Each provider's latest CQC rating in each domain published on or before %s (a rating "
		 "published on that day counts; one published the day after does not). Providers closed "
		 "by then are left out; a provider counts in a domain once it has been rated in it.",
		 when);
	{
		double out = cw_report_num(s->table, 5, 1), good = cw_report_num(s->table, 5, 2);
		double ri = cw_report_num(s->table, 5, 3), inad = cw_report_num(s->table, 5, 4);
		double n = cw_report_num(s->table, 5, 5);
		if (n > 0)
			snprintf(s->summary, sizeof(s->summary),
				 "As at %s, %.0f provider%s had a published overall rating: %.0f (%.1f%%) good "
				 "or better, %.0f (%.1f%%) requires improvement and %.0f (%.1f%%) inadequate.",
				 when, n, n == 1 ? "" : "s", out + good, pct(out + good, n), ri, pct(ri, n), inad, pct(inad, n));
		else
			snprintf(s->summary, sizeof(s->summary), "No provider had a published rating as at %s.",
				 when);
		/* Each domain's ratings add up to its total. */
		if (!cw_report_publish(rep, s,
				       &(struct cw_report_public){
					       .counts = CW_COL_RANGE(1, 5), .nsums = 1, .sums = {CW_COL_RANGE(1, 5)},
					       .summary_first = 5, .summary_last = 5,
					       .summary_cols = CW_COL_RANGE(1, 5), .summary_base = n},
				       NULL, err))
			return false;
	}
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_HBARS, .cat_col = 0, .ncols = 4,
					    .cols = {1, 2, 3, 4}, .nrows = -1, .percent = true,
					    .target = NAN, .colours = cw_report_rating_colours};
	return true;
}

static const struct cw_col trend_cols[] = {
	{"month", "Month", CW_COL_DATE}, {"outstanding", "Outstanding %", true}, {"good", "Good %", true},
	{"requires_improvement", "Requires improvement %", true},
	{"inadequate", "Inadequate %", true}, {"good_or_better", "Good or better %", true},
	{"target", "Target %", true},
};

static const char *const trend_colours[] = {"#1b7837", "#f1a340", "#d7301f", "#c00000"};

bool
cw_report_trend(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		struct cw_date from, struct cw_date to, double target_pct, struct cw_error *err)
{
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], tgt[16], scope[160], m1[40], m2[40], title[240];
	const char *p[5] = {cw_report_iso(from, d1), cw_report_iso(to, d2), flt->care_type,
			    flt->locality, NULL};
	struct cw_report_section *s;
	size_t nrows;
	PGresult *r;
	long first_rated = 0, last_rated = 0;
	int met = 0, measured = 0;
	bool same_target = true;

	if (!isnan(target_pct)) {
		snprintf(tgt, sizeof(tgt), "%.1f", target_pct);
		p[4] = tgt;
	}
	r = cw_db_query(db,
			"WITH months AS ("
			" SELECT (m + interval '1 month' - interval '1 day')::date AS month_end"
			"   FROM generate_series($1::date, $2::date, interval '1 month') m),"
			" hist AS ("
			" SELECT r.rating, r.published_on, p.closed_on,"
			"        lead(r.published_on) OVER (PARTITION BY r.provider_id"
			"             ORDER BY r.published_on, r.recorded_at, r.id) AS next_on"
			"   FROM cqc_rating_current r JOIN report_provider p ON p.id = r.provider_id"
			"  WHERE r.domain = 'overall'"
			"    AND r.published_on <= ($2::date + interval '1 month' - interval '1 day')::date"
			FILTER(3, 4) "),"
			" counted AS ("
			" SELECT m.month_end, h.rating FROM months m JOIN hist h"
			"     ON h.published_on <= m.month_end AND (h.next_on IS NULL OR h.next_on > m.month_end)"
			"    AND (h.closed_on IS NULL OR h.closed_on > m.month_end))"
			" SELECT to_char(m.month_end, 'YYYY-MM'),"
			"   round(100.0 * count(c.rating) FILTER (WHERE c.rating = 'outstanding')"
			"         / nullif(count(c.rating), 0), 1),"
			"   round(100.0 * count(c.rating) FILTER (WHERE c.rating = 'good')"
			"         / nullif(count(c.rating), 0), 1),"
			"   round(100.0 * count(c.rating) FILTER (WHERE c.rating = 'requires_improvement')"
			"         / nullif(count(c.rating), 0), 1),"
			"   round(100.0 * count(c.rating) FILTER (WHERE c.rating = 'inadequate')"
			"         / nullif(count(c.rating), 0), 1),"
			"   round(100.0 * count(c.rating) FILTER (WHERE c.rating IN ('outstanding', 'good'))"
			"         / nullif(count(c.rating), 0), 1),"
			"   to_char(coalesce($5::numeric,"
			"     (SELECT s.value FROM report_setting s WHERE s.name = 'good_or_better_target'"
			"         AND s.effective_from <= m.month_end ORDER BY s.effective_from DESC LIMIT 1),"
			"     80), 'FM990.0'),"
			"   count(c.rating),"
			BY_RATING("c.rating") ","
			"   count(c.rating) FILTER (WHERE c.rating IN ('outstanding', 'good'))"
			"  FROM months m LEFT JOIN counted c ON c.month_end = m.month_end"
			" GROUP BY m.month_end ORDER BY m.month_end",
			5, p, err);
	if (r == NULL)
		return false;
	cw_report_month_text(from, m1, sizeof(m1));
	cw_report_month_text(to, m2, sizeof(m2));
	snprintf(title, sizeof(title), "Overall CQC ratings at each month end, %s to %s (%s)", m1, m2,
		 cw_report_scope(flt, scope, sizeof(scope)));
	s = cw_report_section_of(rep, "trend", title, r, trend_cols, 7, err);
	if (s == NULL)
		return false;
	nrows = (size_t)PQntuples(r);
	if (nrows > 0) {
		first_rated = atol(PQgetvalue(r, 0, 7));
		last_rated = atol(PQgetvalue(r, (int)nrows - 1, 7));
	}
	for (size_t i = 0; i < nrows; i++) {
		double gb = cw_report_num(s->table, i, 5), t = cw_report_num(s->table, i, 6);
		if (!isnan(gb)) {
			measured++;
			met += gb >= t;
		}
		if (i > 0 && t != cw_report_num(s->table, 0, 6))
			same_target = false;
	}
	snprintf(s->definition, sizeof(s->definition),
		 "At the last day of each month, each provider's latest overall CQC rating published on or "
		 "before that day, as a share of the providers rated then (closed providers left out), to "
		 "one decimal place. Good or better is outstanding plus good; the target is %s.",
		 isnan(target_pct) ? "the good-or-better target in force at that month end "
				     "(carewatch report target)"
				   : "the one given with --target");
	if (nrows > 0 && measured > 0) {
		double g0 = cw_report_num(s->table, 0, 5), g1 = cw_report_num(s->table, nrows - 1, 5);
		double t1 = cw_report_num(s->table, nrows - 1, 6);
		char a[64] = "no rated providers", b[64] = "no rated providers";
		if (!isnan(g0))
			snprintf(a, sizeof(a), "%.1f%% (of %ld)", g0, first_rated);
		if (!isnan(g1))
			snprintf(b, sizeof(b), "%.1f%% (of %ld)", g1, last_rated);
		snprintf(s->summary, sizeof(s->summary),
			 "Good or better: %s at the end of %s and %s at the end of %s, against a target of "
			 "%.1f%%; the target was met in %d of %d months.",
			 a, m1, b, m2, t1, met, measured);
	} else {
		snprintf(s->summary, sizeof(s->summary), "No provider had a published overall rating in the period.");
	}
	/* The grid: the shares (columns 1-5), then the result's rated
	 * providers (7: a base a reader has from the ratings table) and the
	 * counts behind the shares (8-12).  A month's ratings add up to its
	 * rated providers, and good or better is outstanding plus good. */
	if (!cw_report_publish(rep, s,
			       &(struct cw_report_public){
				       .counts = CW_COL_RANGE(8, 12), .locked = CW_COL_BIT(7), .nsums = 3,
				       .sums = {CW_COL_RANGE(7, 11), CW_COL_RANGE(8, 9) | CW_COL_BIT(12),
						CW_COL_BIT(7) | CW_COL_RANGE(10, 12)},
				       .npcts = 5,
				       .pcts = {{1, 8, 7}, {2, 9, 7}, {3, 10, 7}, {4, 11, 7}, {5, 12, 7}},
				       .nextra = 6, .extra_from = 7, .summary_first = 0, .summary_last = -1,
				       .summary_cols = CW_COL_BIT(5), .summary_base = NAN},
			       r, err)) {
		PQclear(r);
		return false;
	}
	PQclear(r);
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_LINES, .cat_col = 0,
					    .ncols = same_target ? 3 : 4, .cols = {5, 3, 4, 6},
					    .nrows = -1, .percent = true, .colours = trend_colours,
					    .month_labels = true};
	s->chart.target = same_target && nrows > 0 ? cw_report_num(s->table, 0, 6) : NAN;
	if (!isnan(s->chart.target))
		snprintf(s->chart.target_label, sizeof(s->chart.target_label), "target %.1f%%",
			 s->chart.target);
	return true;
}

static const struct cw_col by_locality_cols[] = {
	{"locality", "Locality", false}, {"outstanding", "Outstanding", true}, {"good", "Good", true},
	{"requires_improvement", "Requires improvement", true}, {"inadequate", "Inadequate", true},
	{"total", "Total", true}, {"good_or_better", "Good or better %", true},
};
static const struct cw_col by_care_type_cols[] = {
	{"care_type", "Care type", false}, {"outstanding", "Outstanding", true}, {"good", "Good", true},
	{"requires_improvement", "Requires improvement", true}, {"inadequate", "Inadequate", true},
	{"total", "Total", true}, {"good_or_better", "Good or better %", true},
};

bool
cw_report_ratings_by(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		     struct cw_date as_of, enum cw_report_dim by, struct cw_error *err)
{
	char day[CW_DATE_LEN], scope[160], when[40], title[240];
	bool loc = by == CW_DIM_LOCALITY;
	const char *p[4] = {cw_report_iso(as_of, day), flt->care_type, flt->locality,
			    loc ? "locality" : "care_type"};
	struct cw_report_section *s;
	PGresult *r;
	size_t n;

	r = cw_db_query(db,
			"WITH latest AS ("
			" SELECT DISTINCT ON (r.provider_id) r.rating,"
			"        CASE $4::text WHEN 'locality' THEN p.locality ELSE p.care_type END AS key"
			"   FROM cqc_rating_current r JOIN report_provider p ON p.id = r.provider_id"
			"  WHERE r.domain = 'overall' AND r.published_on <= $1::date"
			"    AND (p.closed_on IS NULL OR p.closed_on > $1::date)" FILTER(2, 3)
			"  ORDER BY r.provider_id, r.published_on DESC, r.recorded_at DESC, r.id DESC),"
			" dims AS ("
			" SELECT code, name, row_number() OVER (ORDER BY name)::int AS ord FROM locality"
			"  WHERE $4::text = 'locality'"
			" UNION ALL SELECT code, label, sort_order FROM care_type"
			"  WHERE $4::text = 'care_type' AND cqc_regulated)"
			" SELECT coalesce(d.name, 'Total')," BY_RATING("l.rating") ", count(l.rating),"
			"   round(100.0 * count(l.rating) FILTER (WHERE l.rating IN ('outstanding', 'good'))"
			"         / nullif(count(l.rating), 0), 1)"
			"   FROM dims d LEFT JOIN latest l ON l.key = d.code"
			"  GROUP BY GROUPING SETS ((d.ord, d.name), ())"
			"  ORDER BY grouping(d.ord, d.name), d.ord",
			4, p, err);
	if (r == NULL)
		return false;
	cw_report_day_text(as_of, when, sizeof(when));
	snprintf(title, sizeof(title), "Overall CQC ratings by %s as at %s (%s)",
		 loc ? "locality" : "care type", when, cw_report_scope(flt, scope, sizeof(scope)));
	s = cw_report_section_of(rep, loc ? "ratings_by_locality" : "ratings_by_care_type", title, r,
				 loc ? by_locality_cols : by_care_type_cols, 7, err);
	if (s == NULL)
		return false;
	PQclear(r);
	n = cw_table_rows(s->table);
	snprintf(s->definition, sizeof(s->definition),
		 "Each provider's latest overall CQC rating published on or before %s, by the %s the "
		 "provider is in%s. Good or better is outstanding plus good, as a share of the rated "
		 "providers in that row.",
		 when, loc ? "locality" : "care type",
		 loc ? "" : " (care types CQC regulates; day care is not rated)");
	if (n > 1) {
		/* The best and worst rows by good-or-better share. */
		size_t best = 0, worst = 0;
		bool any = false;
		for (size_t i = 0; i + 1 < n; i++) {
			double v = cw_report_num(s->table, i, 6);
			if (isnan(v))
				continue;
			if (!any || v > cw_report_num(s->table, best, 6))
				best = i;
			if (!any || v < cw_report_num(s->table, worst, 6))
				worst = i;
			any = true;
		}
		if (any)
			snprintf(s->summary, sizeof(s->summary),
				 "Good or better: %.1f%% overall; highest %s (%.1f%%), lowest %s (%.1f%%).",
				 cw_report_num(s->table, n - 1, 6), cw_table_cell(s->table, best, 0),
				 cw_report_num(s->table, best, 6), cw_table_cell(s->table, worst, 0),
				 cw_report_num(s->table, worst, 6));
	}
	/* Each row's ratings add up to its total, and the total row the rows
	 * above it; good or better (7, behind the share) is outstanding plus
	 * good. */
	if (!cw_report_publish(rep, s,
			       &(struct cw_report_public){
				       .counts = CW_COL_RANGE(1, 5) | CW_COL_BIT(7), .nsums = 3,
				       .sums = {CW_COL_RANGE(1, 5), CW_COL_RANGE(1, 2) | CW_COL_BIT(7),
						CW_COL_RANGE(3, 5) | CW_COL_BIT(7)},
				       .total_row = true, .npcts = 1, .pcts = {{6, 7, 5}}, .nderived = 1,
				       .derived = {{7, CW_COL_RANGE(1, 2)}}, .summary_first = 0,
				       .summary_last = -1, .summary_cols = CW_COL_BIT(6), .summary_base = NAN},
			       NULL, err))
		return false;
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_HBARS, .cat_col = 0, .ncols = 4,
					    .cols = {1, 2, 3, 4}, .nrows = -1, .percent = true,
					    .target = NAN, .colours = cw_report_rating_colours};
	return true;
}

static const struct cw_col shift_cols[] = {
	{"start_rating", "Rating at start", false}, {"rerated", "Re-rated", true},
	{"to_outstanding", "To outstanding", true}, {"to_good", "To good", true},
	{"to_requires_improvement", "To requires improvement", true},
	{"to_inadequate", "To inadequate", true}, {"went_up", "Went up", true},
	{"stayed", "Stayed", true}, {"went_down", "Went down", true},
};
static const char *const shift_colours[] = {"#1b7837", "#bab0ac", "#d7301f"};

bool
cw_report_shift(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		struct cw_date from, struct cw_date to, struct cw_error *err)
{
	struct cw_date end = cw_report_month_end(to);
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], scope[160], a[40], b[40], title[240];
	const char *p[4] = {cw_report_iso(from, d1), cw_report_iso(end, d2), flt->care_type,
			    flt->locality};
	struct cw_report_section *s;
	PGresult *r;
	size_t n;
	double base = NAN;

	r = cw_db_query(db,
			"WITH hist AS ("
			" SELECT r.provider_id, r.rating, r.published_on, r.recorded_at, r.id"
			"   FROM cqc_rating_current r JOIN report_provider p ON p.id = r.provider_id"
			"  WHERE r.domain = 'overall' AND r.published_on <= $2::date"
			"    AND (p.closed_on IS NULL OR p.closed_on > $2::date)" FILTER(3, 4) "),"
			" s0 AS (SELECT DISTINCT ON (provider_id) provider_id, rating FROM hist"
			"  WHERE published_on < $1::date"
			"  ORDER BY provider_id, published_on DESC, recorded_at DESC, id DESC),"
			" s1 AS (SELECT DISTINCT ON (provider_id) provider_id, rating FROM hist"
			"  WHERE published_on >= $1::date"
			"  ORDER BY provider_id, published_on DESC, recorded_at DESC, id DESC),"
			" pairs AS ("
			" SELECT s0.rating AS r0, s1.rating AS r1,"
			"   array_position(ARRAY['outstanding', 'good', 'requires_improvement', 'inadequate'],"
			"                  s0.rating) AS k0,"
			"   array_position(ARRAY['outstanding', 'good', 'requires_improvement', 'inadequate'],"
			"                  s1.rating) AS k1"
			"   FROM s0 JOIN s1 USING (provider_id))"
			" SELECT coalesce(d.label, 'Total'), count(x.r0)," BY_RATING("x.r1") ","
			"   count(x.r0) FILTER (WHERE x.k1 < x.k0), count(x.r0) FILTER (WHERE x.k1 = x.k0),"
			"   count(x.r0) FILTER (WHERE x.k1 > x.k0)"
			"   FROM (VALUES (1, 'outstanding', 'Outstanding'), (2, 'good', 'Good'),"
			"         (3, 'requires_improvement', 'Requires improvement'),"
			"         (4, 'inadequate', 'Inadequate')) d(ord, rating, label)"
			"   LEFT JOIN pairs x ON x.r0 = d.rating"
			"  GROUP BY GROUPING SETS ((d.ord, d.label), ())"
			"  ORDER BY grouping(d.ord, d.label), d.ord",
			4, p, err);
	if (r == NULL)
		return false;
	cw_report_day_text(from, a, sizeof(a));
	cw_report_day_text(end, b, sizeof(b));
	snprintf(title, sizeof(title), "Shift in overall CQC ratings, %s to %s (%s)", a, b,
		 cw_report_scope(flt, scope, sizeof(scope)));
	s = cw_report_section_of(rep, "shift", title, r, shift_cols, 9, err);
	if (s == NULL)
		return false;
	PQclear(r);
	n = cw_table_rows(s->table);
	snprintf(s->definition, sizeof(s->definition),
		 "Providers with an overall CQC rating published before %s (their rating at the start) "
		 "and at least one more published from %s to %s: where their latest rating at the end "
		 "stands against the one at the start. Providers closed by the end are left out.",
		 a, a, b);
	if (n == 5) {
		double tot = cw_report_num(s->table, 4, 1), up = cw_report_num(s->table, 4, 6);
		double same = cw_report_num(s->table, 4, 7), down = cw_report_num(s->table, 4, 8);
		double g = cw_report_num(s->table, 1, 1), gdown = cw_report_num(s->table, 1, 8);
		double ri = cw_report_num(s->table, 2, 1), ristay = cw_report_num(s->table, 2, 7);
		int len;
		if (tot > 0) {
			len = snprintf(s->summary, sizeof(s->summary),
				       "Of %.0f providers rated at the start and re-rated, %.0f (%.1f%%) went "
				       "up, %.0f (%.1f%%) stayed and %.0f (%.1f%%) went down.",
				       tot, up, pct(up, tot), same, pct(same, tot), down, pct(down, tot));
			if (g > 0 && len > 0 && (size_t)len < sizeof(s->summary))
				len += snprintf(s->summary + len, sizeof(s->summary) - (size_t)len,
						" %.1f%% of those starting good went down.", pct(gdown, g));
			if (ri > 0 && len > 0 && (size_t)len < sizeof(s->summary))
				snprintf(s->summary + len, sizeof(s->summary) - (size_t)len,
					 " %.1f%% of those starting at requires improvement stayed there.",
					 pct(ristay, ri));
		} else {
			snprintf(s->summary, sizeof(s->summary),
				 "No provider rated at the start was re-rated in the period.");
		}
		/* The shares in the sentence are of all re-rated, of those
		 * starting good and of those starting at requires improvement. */
		base = tot;
		base = g > 0 && g < base ? g : base;
		base = ri > 0 && ri < base ? ri : base;
	}
	/* A row's re-rated add up by where they went and by up, stayed and
	 * down; the total row is the rows above it. */
	if (!cw_report_publish(rep, s,
			       &(struct cw_report_public){
				       .counts = CW_COL_RANGE(1, 8), .nsums = 2,
				       .sums = {CW_COL_RANGE(1, 5), CW_COL_BIT(1) | CW_COL_RANGE(6, 8)},
				       .total_row = true, .summary_first = 1, .summary_last = 4,
				       .summary_cols = CW_COL_BIT(1) | CW_COL_RANGE(6, 8), .summary_base = base},
			       NULL, err))
		return false;
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_HBARS, .cat_col = 0, .ncols = 3,
					    .cols = {6, 7, 8}, .nrows = -1, .percent = true,
					    .target = NAN, .colours = shift_colours};
	return true;
}

static const struct cw_col under_cols[] = {
	{"provider", "Provider", false}, {"cqc_location_id", "CQC ID", CW_COL_ID},
	{"care_type", "Care type", CW_COL_HIDE(2)}, {"locality", "Locality", CW_COL_HIDE(3)},
	{"inspections", "Inspections", true}, {"first_rated", "First rated", CW_COL_DATE | CW_COL_HIDE(1)},
	{"latest_rated", "Latest rated", CW_COL_DATE}, {"latest_rating", "Latest rating", false},
	{"risk_band", "Risk band", false}, {"restriction", "Restriction", false},
};

static const struct cw_col under_public_cols[] = {
	{"care_type", "Care type", false}, {"providers", "Providers", true},
	{"inspections", "Inspections", true},
};

/* The public form of the list: providers and inspections by care type
 * (the seeds' "16 were residential care homes and four were nursing
 * homes"), no provider named beside its risk band or restriction.  r is the
 * list (care type label in column 2, inspections in 4); s->table is
 * replaced. */
static bool
underperforming_counts(struct cw_db *db, struct cw_report *rep, struct cw_report_section *s,
		       const PGresult *r, struct cw_error *err)
{
	PGresult *types = cw_db_query(db, "SELECT label FROM care_type WHERE cqc_regulated ORDER BY sort_order",
				      0, NULL, err);
	struct cw_table *t;
	bool ok;

	if (types == NULL)
		return false;
	t = cw_table_new(s->title, under_public_cols, 3);
	ok = t != NULL;
	for (int i = 0; ok && i <= PQntuples(types); i++) {
		const char *label = i < PQntuples(types) ? PQgetvalue(types, i, 0) : "Total";
		long n[2] = {0, 0};
		char a[24], b[24];
		const char *cells[3] = {label, a, b};
		/* The total row counts every provider of the list. */
		for (int k = 0; k < PQntuples(r); k++)
			if (i == PQntuples(types) || strcmp(PQgetvalue(r, k, 2), label) == 0) {
				n[0]++;
				n[1] += atol(PQgetvalue(r, k, 4));
			}
		snprintf(a, sizeof(a), "%ld", n[0]);
		snprintf(b, sizeof(b), "%ld", n[1]);
		ok = cw_table_add(t, cells);
	}
	PQclear(types);
	if (!ok) {
		cw_table_free(t);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	cw_table_free(s->table);
	s->table = t;
	snprintf(rep->withheld, sizeof(rep->withheld),
		 "Persistently underperforming providers are counted by care type; which providers they "
		 "are, with their risk bands and placement restrictions, is in the internal version only.");
	return cw_report_publish(rep, s,
				 &(struct cw_report_public){.counts = CW_COL_RANGE(1, 2), .total_row = true,
							    .summary_first = -1, .summary_last = -1,
							    .summary_cols = CW_COL_RANGE(1, 2),
							    .summary_base = NAN},
				 NULL, err);
}

bool
cw_report_underperforming(struct cw_db *db, struct cw_report *rep,
			  const struct cw_report_filter *flt, struct cw_date as_of,
			  int min_inspections, struct cw_error *err)
{
	char day[CW_DATE_LEN], scope[160], when[40], title[240], nbuf[16], footer[160];
	const char *p[4] = {cw_report_iso(as_of, day), flt->care_type, flt->locality, nbuf};
	struct cw_report_section *s;
	long inspections = 0;
	PGresult *r;
	int n;

	snprintf(nbuf, sizeof(nbuf), "%d", min_inspections);
	r = cw_db_query(db,
			"WITH o AS ("
			" SELECT r.provider_id, r.rating, r.published_on, r.recorded_at, r.id"
			"   FROM cqc_rating_current r JOIN report_provider p ON p.id = r.provider_id"
			"  WHERE r.domain = 'overall' AND r.published_on <= $1::date"
			"    AND (p.closed_on IS NULL OR p.closed_on > $1::date)" FILTER(2, 3) "),"
			" a AS ("
			" SELECT provider_id, count(DISTINCT published_on) AS inspections,"
			"        min(published_on) AS first_on, max(published_on) AS last_on,"
			"        (array_agg(rating ORDER BY published_on DESC, recorded_at DESC, id DESC))[1]"
			"          AS latest"
			"   FROM o GROUP BY provider_id"
			" HAVING bool_and(rating IN ('requires_improvement', 'inadequate'))"
			"    AND count(DISTINCT published_on) >= $4::int)"
			" SELECT p.name, p.cqc_location_id, ct.label, l.name, a.inspections,"
			"   to_char(a.first_on, 'YYYY-MM-DD'), to_char(a.last_on, 'YYYY-MM-DD'),"
			RATING_LABEL("a.latest") ","
			"   CASE sc.band WHEN 'low' THEN 'Low' WHEN 'medium' THEN 'Medium'"
			"     WHEN 'high' THEN 'High' WHEN 'very_high' THEN 'Very high' END,"
			"   CASE rs.kind WHEN 'all' THEN 'All placements' WHEN 'partial' THEN 'Partial' END"
			"   FROM a JOIN provider p ON p.id = a.provider_id"
			"   JOIN care_type ct ON ct.code = p.care_type JOIN locality l ON l.code = p.locality"
			"   LEFT JOIN LATERAL (SELECT x.band FROM provider_score x"
			"      WHERE x.provider_id = a.provider_id"
			"        AND x.as_of < (($1::date + 1)::timestamp AT TIME ZONE 'Europe/London')"
			"      ORDER BY x.as_of DESC, x.id DESC LIMIT 1) sc ON true"
			"   LEFT JOIN LATERAL (SELECT min(k.kind) AS kind FROM restriction_current k"
			"      WHERE k.provider_id = a.provider_id AND k.starts_on <= $1::date"
			"        AND (k.ends_on IS NULL OR k.ends_on >= $1::date)"
			"        AND NOT EXISTS (SELECT 1 FROM restriction_lift f"
			"                         WHERE f.restriction_id = k.id AND f.lifted_on <= $1::date))"
			"     rs ON true"
			"  ORDER BY a.inspections DESC, p.name, p.id",
			4, p, err);
	if (r == NULL)
		return false;
	cw_report_day_text(as_of, when, sizeof(when));
	snprintf(title, sizeof(title),
		 "Persistently underperforming providers as at %s: never good or better in %d or more "
		 "inspections (%s)",
		 when, min_inspections, cw_report_scope(flt, scope, sizeof(scope)));
	s = cw_report_section_of(rep, "underperforming", title, r, under_cols, 10, err);
	if (s == NULL)
		return false;
	n = PQntuples(r);
	for (int i = 0; i < n; i++)
		inspections += atol(PQgetvalue(r, i, 4));
	snprintf(footer, sizeof(footer), "(%d provider%s, %ld inspection%s)", n, n == 1 ? "" : "s",
		 inspections, inspections == 1 ? "" : "s");
	snprintf(s->definition, sizeof(s->definition),
		 "Providers whose every overall CQC rating published on or before %s was requires "
		 "improvement or inadequate, with at least %d such ratings (each publication date counts "
		 "as one inspection). %s",
		 when, min_inspections,
		 rep->audience == CW_AUDIENCE_PUBLIC
			 ? "Counted by care type: which providers they are, with their risk bands and any "
			   "placement restriction, is in the internal version of this report."
			 : "The risk band is the provider's latest score on or before that day; the "
			   "restriction is any placement restriction in force on it.");
	snprintf(s->summary, sizeof(s->summary),
		 "%d provider%s never rated good or better despite %ld inspection%s between them.", n,
		 n == 1 ? " was" : "s were", inspections, inspections == 1 ? "" : "s");
	if (rep->audience == CW_AUDIENCE_PUBLIC) {
		bool ok = underperforming_counts(db, rep, s, r, err);
		PQclear(r);
		return ok;
	}
	PQclear(r);
	cw_table_footer(s->table, footer);
	return true;
}
