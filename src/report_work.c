/*
 * report_work.c - the QA team's workload and the market's risk (report.h):
 * concerns by risk level, response compliance, active cases at month end,
 * safeguardings, risk bands over time, placement restrictions at month end
 * and provider loss.
 *
 * Month ends are London time: a case opened at 23:30 BST on 31 March is
 * active at the end of March, and a concern received then counts in March.
 * "At month end" figures are computed from the history (opened/closed times,
 * restriction dates and lifts, score history), so no snapshot is kept and
 * any past month can be reported again.  Where a figure is broken down by a
 * dimension (care type, locality, category, month) the query returns
 * (row, column, count) triples and pivot() lays them out, so every row and
 * column appears even when its count is zero.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/report.h"

#define FILTER(c, l) " AND ($" #c "::text IS NULL OR p.care_type = $" #c ")" \
		     " AND ($" #l "::text IS NULL OR p.locality = $" #l ")"

/* The months from..to as generate_series rows m (timestamp at day 1). */
#define MONTHS_SQL " generate_series($1::date, $2::date, interval '1 month') m"

/* Start of month $1 and of the month after $2, as London instants. */
#define PERIOD_START " ($1::date::timestamp AT TIME ZONE 'Europe/London')"
#define PERIOD_END " (($2::date + interval '1 month')::timestamp AT TIME ZONE 'Europe/London')"

/* The months of the period as London instants, computed once: cut[1] is the
 * start of month $1 and cut[n + 1] the end of month $2, so
 * width_bucket(t, cut) is the month (1..n) instant t falls in - a binary
 * search instead of a time-zone conversion for each of a million rows.  The
 * CTE `months` numbers the months (i) with their YYYY-MM. */
#define CUTS_SQL                                                                          \
	" t AS (SELECT ARRAY(SELECT (m::timestamp AT TIME ZONE 'Europe/London')"           \
	"   FROM generate_series($1::date, $2::date + interval '1 month', interval '1 month') m)" \
	"   AS cut),"                                                                          \
	" months AS (SELECT i, to_char($1::date + (i - 1) * interval '1 month', 'YYYY-MM') AS month" \
	"   FROM t, generate_series(1, array_length(t.cut, 1) - 1) i)"

struct dim {
	int n;
	const char **keys;
	const char **labels;
};

/* Care types as a dimension (vocabulary order). */
static struct dim
care_type_dim(void)
{
	return (struct dim){cw_vocab_care_type.n, (const char **)cw_vocab_care_type.words,
			    (const char **)cw_vocab_care_type.labels};
}

/* The months from..to as keys "YYYY-MM" kept by rep. */
static bool
month_dim(struct cw_report *rep, struct cw_date from, struct cw_date to, struct dim *d,
	  const char **keys, int max, struct cw_error *err)
{
	d->n = 0;
	for (struct cw_date m = from; cw_date_cmp(m, to) <= 0; m = cw_report_add_months(m, 1)) {
		char buf[16];
		if (d->n == max)
			return cw_error_set(err, CW_EXIT_USAGE, "a report covers at most %d months", max);
		snprintf(buf, sizeof(buf), "%04d-%02d", m.y, m.m);
		keys[d->n] = cw_report_keep(rep, buf);
		if (keys[d->n] == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		d->n++;
	}
	d->keys = keys;
	d->labels = keys;
	return true;
}

#define MAX_DIM 128

/* Localities as a dimension, from the reference table (name order). */
static bool
locality_dim(struct cw_db *db, struct cw_report *rep, struct dim *d, const char **keys,
	     const char **labels, struct cw_error *err)
{
	PGresult *r = cw_report_localities(db, err);

	if (r == NULL)
		return false;
	d->n = 0;
	for (int i = 0; i < PQntuples(r) && i < MAX_DIM; i++) {
		keys[i] = cw_report_keep(rep, PQgetvalue(r, i, 0));
		labels[i] = cw_report_keep(rep, PQgetvalue(r, i, 1));
		if (keys[i] == NULL || labels[i] == NULL) {
			PQclear(r);
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		}
		d->n++;
	}
	PQclear(r);
	d->keys = keys;
	d->labels = labels;
	return true;
}

static int
dim_find(const struct dim *d, const char *key)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->keys[i], key) == 0)
			return i;
	return -1;
}

/* Lay out (row key, column key, count) triples of r as a table: a first
 * column of row labels, one column per column key, a total column and,
 * when total_row, a "Total" row.  The dimensions' strings must outlive the
 * table (static, or kept by the report). */
static struct cw_table *
pivot(PGresult *r, const char *title, const struct cw_col *first,
      const struct dim *rows, const struct dim *cols, bool total_row, struct cw_error *err)
{
	struct cw_col tc[MAX_DIM + 2];
	long *counts = calloc((size_t)(rows->n + 1) * (size_t)(cols->n + 1), sizeof(long));
	const char *cells[MAX_DIM + 2];
	char (*buf)[24] = calloc(MAX_DIM + 2, sizeof(*buf));
	struct cw_table *t = NULL;
	int nc = cols->n + 2;

	if (counts == NULL || buf == NULL || cols->n > MAX_DIM) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		goto out;
	}
	tc[0] = *first;
	for (int c = 0; c < cols->n; c++)
		tc[c + 1] = (struct cw_col){cols->keys[c], cols->labels[c], true};
	tc[nc - 1] = (struct cw_col){"total", "Total", true};
	for (int i = 0; i < PQntuples(r); i++) {
		int ri = dim_find(rows, PQgetvalue(r, i, 0)), ci = dim_find(cols, PQgetvalue(r, i, 1));
		long v = atol(PQgetvalue(r, i, 2));
		if (ri < 0 || ci < 0)
			continue;       /* outside the layout (e.g. a locality added since) */
		counts[ri * (cols->n + 1) + ci] += v;
		counts[ri * (cols->n + 1) + cols->n] += v;
		counts[rows->n * (cols->n + 1) + ci] += v;
		counts[rows->n * (cols->n + 1) + cols->n] += v;
	}
	t = cw_table_new(title, tc, nc);
	if (t == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		goto out;
	}
	for (int ri = 0; ri < rows->n + (total_row ? 1 : 0); ri++) {
		cells[0] = ri < rows->n ? rows->labels[ri] : "Total";
		for (int c = 0; c <= cols->n; c++) {
			snprintf(buf[c + 1], sizeof(buf[0]), "%ld", counts[ri * (cols->n + 1) + c]);
			cells[c + 1] = buf[c + 1];
		}
		if (!cw_table_add(t, cells)) {
			cw_table_free(t);
			t = NULL;
			cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			goto out;
		}
	}
out:
	free(counts);
	free(buf);
	return t;
}

/* Chart the columns 1..n of t whose total (last row, or the sum over rows)
 * is not zero, so empty care types do not crowd the legend. */
static int
nonzero_columns(const struct cw_table *t, int first, int last, bool total_row, int *out, int max)
{
	size_t rows = cw_table_rows(t);
	int n = 0;

	for (int c = first; c <= last && n < max; c++) {
		double sum = 0;
		if (total_row && rows > 0)
			sum = cw_report_num(t, rows - 1, c);
		else
			for (size_t r = 0; r < rows; r++)
				sum += cw_report_num(t, r, c);
		if (sum > 0)
			out[n++] = c;
	}
	return n;
}

/* How a pivot (above) is published: every column a count, each row adding
 * up to its total column and, with a total row, the rows to it. */
static struct cw_report_public
pivot_public(const struct cw_table *t, bool total_row, int summary_col)
{
	int last = cw_table_ncols(t) - 1;

	return (struct cw_report_public){.counts = CW_COL_RANGE(1, last), .nsums = 1,
					 .sums = {CW_COL_RANGE(1, last)}, .total_row = total_row,
					 .summary_first = 0, .summary_last = -1,
					 .summary_cols = CW_COL_BIT(summary_col), .summary_base = NAN};
}

static bool
section_with(struct cw_report *rep, struct cw_report_section **out, const char *key,
	     const char *title, PGresult *r, struct cw_error *err)
{
	*out = cw_report_section_add(rep, key, title, err);
	if (*out == NULL) {
		PQclear(r);
		return false;
	}
	return true;
}

static double
pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

/* "2018-03" -> "March 2018" (buf), for sentences. */
static const char *
month_words(const char *key, char *buf, size_t size)
{
	struct cw_date d;
	struct cw_error ignored;

	if (cw_month_parse(key, "month", &d, &ignored))
		return cw_report_month_text(d, buf, size);
	snprintf(buf, size, "%s", key);
	return buf;
}

static void
period_text(struct cw_date from, struct cw_date to, char *buf, size_t size)
{
	char a[40], b[40];

	cw_report_month_text(from, a, sizeof(a));
	cw_report_month_text(to, b, sizeof(b));
	if (cw_date_cmp(from, to) == 0)
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s to %s", a, b);
}

/* A section title: what (printf-style), then ", <period> (<scope>)". */
static void __attribute__((format(printf, 6, 7)))
period_title(char *buf, size_t size, struct cw_date from, struct cw_date to,
	     const struct cw_report_filter *flt, const char *fmt, ...)
{
	char period[96], scope[160];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	period_text(from, to, period, sizeof(period));
	snprintf(buf + n, size - n, ", %s (%s)", period, cw_report_scope(flt, scope, sizeof(scope)));
}

/* ---- concerns ---- */

static const struct cw_col concern_cols[] = {
	{"month", "Month", CW_COL_DATE}, {"low", "Low", true}, {"medium", "Medium", true},
	{"high", "High", true}, {"very_high", "Very high", true}, {"total", "Total", true},
	{"medium_or_higher", "Medium or higher", true}, {"safeguarding", "With safeguarding", true},
};

bool
cw_report_concerns(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		   struct cw_date from, struct cw_date to, struct cw_error *err)
{
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], title[240];
	const char *p[4] = {cw_report_iso(from, d1), cw_report_iso(to, d2), flt->care_type,
			    flt->locality};
	struct cw_report_section *s;
	size_t n;
	PGresult *r;

	r = cw_db_query(db,
			"WITH" CUTS_SQL ","
			" k AS ("
			" SELECT width_bucket(c.received_at, t.cut) AS i, c.risk, c.safeguarding"
			"   FROM t, concern_current c JOIN provider p ON p.id = c.provider_id"
			"  WHERE c.received_at >=" PERIOD_START " AND c.received_at <" PERIOD_END
			FILTER(3, 4) ")"
			" SELECT coalesce(m.month, 'Total'),"
			"   count(k.risk) FILTER (WHERE k.risk = 'low'),"
			"   count(k.risk) FILTER (WHERE k.risk = 'medium'),"
			"   count(k.risk) FILTER (WHERE k.risk = 'high'),"
			"   count(k.risk) FILTER (WHERE k.risk = 'very_high'), count(k.risk),"
			"   count(k.risk) FILTER (WHERE k.risk <> 'low'),"
			"   count(k.risk) FILTER (WHERE k.safeguarding)"
			"   FROM months m LEFT JOIN k ON k.i = m.i"
			"  GROUP BY GROUPING SETS ((m.i, m.month), ()) ORDER BY grouping(m.i, m.month), m.i",
			4, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt, "Concerns received by risk level");
	s = cw_report_section_of(rep, "concerns", title, r, concern_cols, 8, err);
	if (s == NULL)
		return false;
	PQclear(r);
	n = cw_table_rows(s->table);
	snprintf(s->definition, sizeof(s->definition),
		 "Concerns (current versions, corrections replacing what they correct) by the month they "
		 "were received, London time, and the risk level they were rated; with safeguarding is "
		 "those with a safeguarding element.");
	if (n > 0) {
		double tot = cw_report_num(s->table, n - 1, 5), mh = cw_report_num(s->table, n - 1, 6);
		double sg = cw_report_num(s->table, n - 1, 7);
		snprintf(s->summary, sizeof(s->summary),
			 "%.0f concerns received, %.0f (%.1f%%) rated medium, high or very high risk and "
			 "%.0f (%.1f%%) with a safeguarding element.",
			 tot, mh, pct(mh, tot), sg, pct(sg, tot));
		/* Risk levels add up to the total, medium or higher is medium, high
		 * and very high, and the total row is the months. */
		if (!cw_report_publish(rep, s,
				       &(struct cw_report_public){
					       .counts = CW_COL_RANGE(1, 7), .nsums = 3,
					       .sums = {CW_COL_RANGE(1, 5), CW_COL_RANGE(2, 4) | CW_COL_BIT(6),
							CW_COL_BIT(1) | CW_COL_BIT(5) | CW_COL_BIT(6)},
					       .total_row = true, .summary_first = -1, .summary_last = -1,
					       .summary_cols = CW_COL_RANGE(5, 7), .summary_base = tot},
				       NULL, err))
			return false;
	}
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_COLUMNS, .cat_col = 0,
					    .ncols = 4, .cols = {1, 2, 3, 4}, .nrows = (int)n - 1,
					    .target = NAN, .colours = cw_report_band_colours,
					    .month_labels = true};
	snprintf(s->chart.y_label, sizeof(s->chart.y_label), "concerns");
	return true;
}

/* ---- response compliance ---- */

static const struct cw_col response_cols[] = {
	{"month", "Month due", CW_COL_DATE}, {"due", "Due", true}, {"on_time", "On time", true},
	{"late", "Late", true}, {"open_past_due", "Open past due", true},
	{"not_yet_due", "Not yet due", true}, {"on_time_pct", "On time %", true},
	{"target", "Target %", true},
};
static const char *const response_colours[] = {"#4e79a7"};

bool
cw_report_response(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		   struct cw_date from, struct cw_date to, int target_pct, struct cw_error *err)
{
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], tgt[16], title[240];
	const char *p[5] = {cw_report_iso(from, d1), cw_report_iso(to, d2), flt->care_type,
			    flt->locality, tgt};
	struct cw_report_section *s;
	size_t n;
	PGresult *r;

	snprintf(tgt, sizeof(tgt), "%d", target_pct);
	r = cw_db_query(db,
			"WITH" CUTS_SQL ","
			" c AS ("
			" SELECT width_bucket(f.due_at, t.cut) AS i,"
			"   CASE WHEN f.withdrawn_at IS NOT NULL THEN NULL"
			"        WHEN f.responded_at IS NOT NULL AND f.responded_at <= f.due_at THEN 'on_time'"
			"        WHEN f.responded_at IS NOT NULL THEN 'late'"
			"        WHEN f.closed_at IS NOT NULL AND f.closed_at <= f.due_at THEN NULL"
			"        WHEN f.due_at < now() THEN 'open_past_due'"
			"        ELSE 'not_yet_due' END AS outcome"
			"   FROM t, case_file f JOIN provider p ON p.id = f.provider_id"
			"  WHERE f.due_at >=" PERIOD_START " AND f.due_at <" PERIOD_END FILTER(3, 4) ")"
			" SELECT coalesce(m.month, 'Total'), count(c.outcome),"
			"   count(c.outcome) FILTER (WHERE c.outcome = 'on_time'),"
			"   count(c.outcome) FILTER (WHERE c.outcome = 'late'),"
			"   count(c.outcome) FILTER (WHERE c.outcome = 'open_past_due'),"
			"   count(c.outcome) FILTER (WHERE c.outcome = 'not_yet_due'),"
			"   round(100.0 * count(c.outcome) FILTER (WHERE c.outcome = 'on_time')"
			"     / nullif(count(c.outcome) FILTER (WHERE c.outcome <> 'not_yet_due'), 0), 1),"
			"   $5::int::text"
			"   FROM months m LEFT JOIN c ON c.i = m.i"
			"  GROUP BY GROUPING SETS ((m.i, m.month), ()) ORDER BY grouping(m.i, m.month), m.i",
			5, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt, "Response times against the %d%% target",
		     target_pct);
	s = cw_report_section_of(rep, "response", title, r, response_cols, 8, err);
	if (s == NULL)
		return false;
	PQclear(r);
	n = cw_table_rows(s->table);
	snprintf(s->definition, sizeof(s->definition),
		 "Cases whose response was due in each month (London time), by the due time set when the "
		 "case opened. On time: the first response recorded on the case was at or before the due "
		 "time; late: after it; open past due: no response and the due time has passed; not yet "
		 "due: no response and still time. A case closed before its due time without a response "
		 "is not counted, nor is the case of a withdrawn concern. On time %% = on time / (on time "
		 "+ late + open past due).");
	if (n > 0) {
		double due = cw_report_num(s->table, n - 1, 1), on = cw_report_num(s->table, n - 1, 2);
		double late = cw_report_num(s->table, n - 1, 3), open = cw_report_num(s->table, n - 1, 4);
		double share = cw_report_num(s->table, n - 1, 6);
		if (due > 0 && !isnan(share))
			snprintf(s->summary, sizeof(s->summary),
				 "%.0f of %.0f responses due by now were on time: %.1f%% against the %d%% "
				 "target (%s); %.0f late and %.0f open past due.",
				 on, on + late + open, share, target_pct,
				 share >= target_pct ? "met" : "missed", late, open);
		else
			snprintf(s->summary, sizeof(s->summary), "No response fell due in the period.");
	}
	/* Due is on time, late, open past due and not yet due; the share is
	 * of the first three (8, a base a reader can work out); the total row
	 * is the months. */
	if (!cw_report_publish(rep, s,
			       &(struct cw_report_public){
				       .counts = CW_COL_RANGE(1, 5), .locked = CW_COL_BIT(8), .nsums = 3,
				       .sums = {CW_COL_RANGE(1, 5), CW_COL_RANGE(2, 4) | CW_COL_BIT(8),
						CW_COL_BIT(1) | CW_COL_BIT(5) | CW_COL_BIT(8)},
				       .total_row = true, .npcts = 1, .pcts = {{6, 2, 8}}, .nderived = 1,
				       .derived = {{8, CW_COL_RANGE(2, 4)}}, .summary_first = -1,
				       .summary_last = -1, .summary_cols = CW_COL_RANGE(1, 4) | CW_COL_BIT(6),
				       .summary_base = NAN},
			       NULL, err))
		return false;
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_LINES, .cat_col = 0, .ncols = 1,
					    .cols = {6}, .nrows = (int)n - 1, .percent = true,
					    .target = target_pct, .colours = response_colours,
					    .month_labels = true};
	snprintf(s->chart.target_label, sizeof(s->chart.target_label), "target %d%%", target_pct);
	return true;
}

/* ---- active cases at month end ---- */

bool
cw_report_active_cases(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		       struct cw_date from, struct cw_date to, enum cw_report_dim by,
		       struct cw_error *err)
{
	static const struct cw_col first = {"month", "Month end", CW_COL_DATE};
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], title[240];
	bool loc = by == CW_DIM_LOCALITY;
	const char *p[5] = {cw_report_iso(from, d1), cw_report_iso(to, d2), flt->care_type,
			    flt->locality, loc ? "locality" : "care_type"};
	const char *mkeys[MAX_DIM], *lkeys[MAX_DIM], *llabels[MAX_DIM];
	struct dim months, cols;
	struct cw_report_section *s;
	PGresult *r;

	if (!month_dim(rep, from, to, &months, mkeys, MAX_DIM, err))
		return false;
	if (loc) {
		if (!locality_dim(db, rep, &cols, lkeys, llabels, err))
			return false;
	} else {
		cols = care_type_dim();
	}
	/* A case is +1 from its opening and -1 from its closing (never before
	 * its opening); the count at a month end is the sum of the events
	 * before it.  Events before the period fold into its first month, and
	 * only cases not closed before the period are read (an index range). */
	r = cw_db_query(db,
			"WITH" CUTS_SQL ","
			" ev AS ("
			" SELECT CASE $5::text WHEN 'locality' THEN p.locality ELSE p.care_type END AS key,"
			"        greatest(width_bucket(e.at, t.cut), 1) AS i, e.d"
			"   FROM t, case_file f JOIN provider p ON p.id = f.provider_id"
			"   CROSS JOIN LATERAL (VALUES (f.opened_at, 1),"
			"     (CASE WHEN f.closed_at IS NOT NULL THEN greatest(f.opened_at, f.closed_at) END, -1))"
			"     e(at, d)"
			"  WHERE coalesce(f.closed_at, 'infinity'::timestamptz) >=" PERIOD_START
			"    AND f.opened_at <" PERIOD_END " AND e.at <" PERIOD_END " AND f.withdrawn_at IS NULL"
			FILTER(3, 4) "),"
			" b AS (SELECT key, i, sum(d) AS d FROM ev GROUP BY key, i)"
			" SELECT m.month, k.key,"
			"        sum(coalesce(b.d, 0)) OVER (PARTITION BY k.key ORDER BY m.i)"
			"   FROM (SELECT DISTINCT key FROM b) k CROSS JOIN months m"
			"   LEFT JOIN b ON b.key = k.key AND b.i = m.i",
			5, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt, "Active cases at month end by %s",
		     loc ? "locality" : "care type");
	if (!section_with(rep, &s, loc ? "active_cases_by_locality" : "active_cases", title, r, err))
		return false;
	s->table = pivot(r, title, &first, &months, &cols, false, err);
	PQclear(r);
	if (s->table == NULL)
		return false;
	snprintf(s->definition, sizeof(s->definition),
		 "Cases open at the end of the last day of each month (London time): opened on or before "
		 "it and not closed by then, whatever their state (open or responded), by the %s of the "
		 "provider.",
		 loc ? "locality" : "care type");
	{
		size_t n = cw_table_rows(s->table);
		int tc = cols.n + 1;
		char a[40], b[40];
		if (n > 1)
			snprintf(s->summary, sizeof(s->summary),
				 "%.0f active case%s at the end of %s (%.0f at the end of %s).",
				 cw_report_num(s->table, n - 1, tc),
				 cw_report_num(s->table, n - 1, tc) == 1 ? "" : "s", month_words(mkeys[n - 1], b, sizeof(b)),
				 cw_report_num(s->table, 0, tc), month_words(mkeys[0], a, sizeof(a)));
		else if (n == 1)
			snprintf(s->summary, sizeof(s->summary), "%.0f active case%s at the end of %s.",
				 cw_report_num(s->table, 0, tc), cw_report_num(s->table, 0, tc) == 1 ? "" : "s",
				 month_words(mkeys[0], a, sizeof(a)));
		struct cw_report_public pub = pivot_public(s->table, false, tc);
		if (!cw_report_publish(rep, s, &pub, NULL, err))
			return false;
	}
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_COLUMNS, .cat_col = 0,
					    .nrows = -1, .target = NAN, .month_labels = true};
	s->chart.ncols = nonzero_columns(s->table, 1, cols.n, false, s->chart.cols, CW_REPORT_MAX_SERIES);
	snprintf(s->chart.y_label, sizeof(s->chart.y_label), "cases");
	return true;
}

/* ---- safeguardings ---- */

bool
cw_report_safeguarding(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		       struct cw_date from, struct cw_date to, enum cw_report_dim by,
		       struct cw_error *err)
{
	static const struct cw_col cat_first = {"category", "Category", false};
	static const struct cw_col month_first = {"month", "Month", CW_COL_DATE};
	struct cw_date end = cw_report_month_end(to);
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], title[240];
	bool monthly = by == CW_DIM_MONTH;
	const char *p[5] = {cw_report_iso(from, d1), cw_report_iso(end, d2), flt->care_type,
			    flt->locality, monthly ? "month" : "category"};
	const char *mkeys[MAX_DIM];
	struct dim rows, cols = care_type_dim();
	struct cw_report_section *s;
	PGresult *r;

	if (monthly) {
		if (!month_dim(rep, from, to, &rows, mkeys, MAX_DIM, err))
			return false;
	} else {
		rows = (struct dim){cw_vocab_sg_category.n, (const char **)cw_vocab_sg_category.words,
				    (const char **)cw_vocab_sg_category.labels};
	}
	r = cw_db_query(db,
			"SELECT CASE $5::text WHEN 'month' THEN to_char(s.referred_on, 'YYYY-MM')"
			"       ELSE s.category END, p.care_type, count(*)"
			"  FROM safeguarding_current s JOIN provider p ON p.id = s.provider_id"
			" WHERE s.referred_on BETWEEN $1::date AND $2::date" FILTER(3, 4)
			" GROUP BY 1, 2",
			5, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt,
		     "Provider-related safeguardings by %s and care type", monthly ? "month" : "category");
	if (!section_with(rep, &s, monthly ? "safeguarding_by_month" : "safeguarding", title, r, err))
		return false;
	s->table = pivot(r, title, monthly ? &month_first : &cat_first, &rows, &cols, true, err);
	PQclear(r);
	if (s->table == NULL)
		return false;
	snprintf(s->definition, sizeof(s->definition),
		 "Safeguarding referrals (MASH) involving a provider, by the date of referral, %s, and "
		 "the care type of the provider.",
		 monthly ? "by month" : "by the category of abuse or neglect");
	{
		size_t n = cw_table_rows(s->table);
		double tot = cw_report_num(s->table, n - 1, cols.n + 1);
		if (!monthly && tot > 0) {
			size_t top = 0;
			for (size_t i = 0; i + 1 < n; i++)
				if (cw_report_num(s->table, i, cols.n + 1) >
				    cw_report_num(s->table, top, cols.n + 1))
					top = i;
			snprintf(s->summary, sizeof(s->summary),
				 "%.0f safeguardings; the most common category was %s (%.0f, %.1f%%).", tot,
				 cw_table_cell(s->table, top, 0), cw_report_num(s->table, top, cols.n + 1),
				 pct(cw_report_num(s->table, top, cols.n + 1), tot));
		} else {
			snprintf(s->summary, sizeof(s->summary), "%.0f safeguardings.", tot);
		}
		struct cw_report_public pub = pivot_public(s->table, true, cols.n + 1);
		pub.summary_base = monthly ? NAN : tot;
		if (!cw_report_publish(rep, s, &pub, NULL, err))
			return false;
		if (monthly) {
			s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_COLUMNS,
							    .cat_col = 0, .nrows = (int)n - 1,
							    .target = NAN, .month_labels = true};
			s->chart.ncols = nonzero_columns(s->table, 1, cols.n, true, s->chart.cols,
							 CW_REPORT_MAX_SERIES);
			snprintf(s->chart.y_label, sizeof(s->chart.y_label), "safeguardings");
		} else {
			/* One bar per care type, shares of each category. */
			s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_HBARS,
							    .by_rows = true, .cat_col = 0,
							    .nrows = (int)n - 1, .percent = true,
							    .target = NAN};
			s->chart.ncols = nonzero_columns(s->table, 1, cols.n, true, s->chart.cols,
							 CW_REPORT_MAX_SERIES);
		}
	}
	return true;
}

/* ---- risk bands over time ---- */

static const struct cw_col band_cols[] = {
	{"month", "Month end", CW_COL_DATE}, {"care_type", "Care type", false}, {"low", "Low", true},
	{"medium", "Medium", true}, {"high", "High", true}, {"very_high", "Very high", true},
	{"scored", "Scored", true}, {"high_or_very_high_pct", "High or very high %", true},
};

bool
cw_report_risk_bands(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		     struct cw_date from, struct cw_date to, struct cw_error *err)
{
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], title[240];
	const char *p[4] = {cw_report_iso(from, d1), cw_report_iso(to, d2), flt->care_type,
			    flt->locality};
	const char *mkeys[MAX_DIM];
	struct dim months;
	struct cw_report_section *s;
	PGresult *r;

	if (!month_dim(rep, from, to, &months, mkeys, MAX_DIM, err))
		return false;
	/* A month end the score history covers (`scores backfill`) is read from
	 * it alone: it scored exactly the providers open then.  Other months
	 * take each provider's latest score made for a time before the cutoff. */
	r = cw_db_query(db,
			"WITH cut AS ("
			" SELECT m::date AS first, (m + interval '1 month' - interval '1 day')::date AS month_end,"
			"        ((m + interval '1 month')::timestamp AT TIME ZONE 'Europe/London') AS cutoff"
			"   FROM" MONTHS_SQL "),"
			" months AS ("
			" SELECT c.*, EXISTS (SELECT 1 FROM score_history h"
			"                      WHERE h.as_of = c.cutoff - interval '1 second') AS backfilled"
			"   FROM cut c),"
			" s AS ("
			" SELECT m.first, p.care_type, sc.band"
			"   FROM months m CROSS JOIN report_provider p"
			"   CROSS JOIN LATERAL (SELECT h.band FROM score_history h"
			"      WHERE m.backfilled AND h.provider_id = p.id AND h.as_of = m.cutoff - interval '1 second'"
			"    UNION ALL (SELECT x.band FROM provider_score x"
			"      WHERE NOT m.backfilled AND x.provider_id = p.id AND x.as_of < m.cutoff"
			"      ORDER BY x.as_of DESC, x.id DESC LIMIT 1)) sc"
			"  WHERE (p.closed_on IS NULL OR p.closed_on > m.month_end)" FILTER(3, 4) ")"
			" SELECT to_char(s.first, 'YYYY-MM'), ct.label,"
			"   count(*) FILTER (WHERE s.band = 'low'), count(*) FILTER (WHERE s.band = 'medium'),"
			"   count(*) FILTER (WHERE s.band = 'high'),"
			"   count(*) FILTER (WHERE s.band = 'very_high'), count(*),"
			"   round(100.0 * count(*) FILTER (WHERE s.band IN ('high', 'very_high')) / count(*), 1),"
			"   ct.code"
			"   FROM s JOIN care_type ct ON ct.code = s.care_type"
			"  GROUP BY s.first, ct.sort_order, ct.label, ct.code ORDER BY s.first, ct.sort_order",
			4, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt, "Providers by risk band at month end");
	s = cw_report_section_of(rep, "risk_bands", title, r, band_cols, 8, err);
	if (s == NULL)
		return false;
	/* The summary: the last month end, every care type. */
	{
		double last_hv = 0, last_n = 0;
		int first = PQntuples(r);
		char last[40];

		for (int i = 0; i < PQntuples(r); i++)
			if (strcmp(PQgetvalue(r, i, 0), mkeys[months.n - 1]) == 0) {
				first = i < first ? i : first;
				last_hv += atof(PQgetvalue(r, i, 4)) + atof(PQgetvalue(r, i, 5));
				last_n += atof(PQgetvalue(r, i, 6));
			}
		month_words(mkeys[months.n - 1], last, sizeof(last));
		if (last_n > 0)
			snprintf(s->summary, sizeof(s->summary),
				 "At the end of %s, %.0f of %.0f scored providers (%.1f%%) were at high or very "
				 "high risk.",
				 last, last_hv, last_n, pct(last_hv, last_n));
		else
			snprintf(s->summary, sizeof(s->summary), "No provider had a risk score at the end of %s.",
				 last);
		/* The bands add up to the scored; high or very high (8, behind the
		 * share) is high plus very high. */
		if (!cw_report_publish(rep, s,
				       &(struct cw_report_public){
					       .counts = CW_COL_RANGE(2, 6) | CW_COL_BIT(8), .nsums = 3,
					       .sums = {CW_COL_RANGE(2, 6), CW_COL_RANGE(4, 5) | CW_COL_BIT(8),
							CW_COL_RANGE(2, 3) | CW_COL_BIT(6) | CW_COL_BIT(8)},
					       .npcts = 1, .pcts = {{7, 8, 6}}, .nderived = 1,
					       .derived = {{8, CW_COL_RANGE(4, 5)}}, .summary_first = first,
					       .summary_last = -1, .summary_cols = CW_COL_RANGE(4, 6),
					       .summary_base = last_n},
				       NULL, err)) {
			PQclear(r);
			return false;
		}
	}
	/* The chart: months x care types, the high-or-very-high share as the
	 * table shows it (row i of the table is row i of r). */
	{
		struct cw_col cc[CW_CARE__N + 1];
		const char *cells[CW_CARE__N + 1];
		char vals[CW_CARE__N][16];
		bool present[CW_CARE__N] = {false};
		int map[CW_CARE__N], nc = 0;

		for (int i = 0; i < PQntuples(r); i++) {
			int ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(r, i, 8));
			if (ct >= 0)
				present[ct] = true;
		}
		cc[0] = (struct cw_col){"month", "Month end", CW_COL_DATE};
		for (int ct = 0; ct < CW_CARE__N; ct++)
			if (present[ct]) {
				map[ct] = ++nc;
				cc[nc] = (struct cw_col){cw_vocab_care_type.words[ct],
							 cw_vocab_care_type.labels[ct], true};
			}
		s->chart_table = cw_table_new(title, cc, nc + 1);
		for (int m = 0; s->chart_table && m < months.n; m++) {
			cells[0] = mkeys[m];
			for (int c = 1; c <= nc; c++)
				cells[c] = NULL;
			for (int i = 0; i < PQntuples(r); i++) {
				int ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(r, i, 8));
				const char *v = cw_table_cell(s->table, (size_t)i, 7);
				if (ct < 0 || strcmp(PQgetvalue(r, i, 0), mkeys[m]) != 0)
					continue;
				snprintf(vals[ct], sizeof(vals[ct]), "%s", v ? v : "");
				cells[map[ct]] = vals[ct];
			}
			(void)cw_table_add(s->chart_table, cells);
		}
		s->chart = (struct cw_report_chart){.on = s->chart_table != NULL, .kind = CW_CHART_LINES,
						    .cat_col = 0, .ncols = nc, .nrows = -1,
						    .percent = true, .target = NAN, .month_labels = true};
		for (int c = 0; c < nc; c++)
			s->chart.cols[c] = c + 1;
	}
	PQclear(r);
	snprintf(s->definition, sizeof(s->definition),
		 "At the end of each month (London time), each open provider's risk score then, by band "
		 "and care type: the month-end score history ('carewatch scores backfill': every provider "
		 "registered and open at the month end, scored from the records dated on or before it) "
		 "where it covers the month, else each provider's latest score computed for a time on or "
		 "before the month end (scores made when intelligence was recorded and by nightly runs). "
		 "Providers not scored then are not counted. The chart shows the share at high or very "
		 "high risk.");
	return true;
}

/* ---- placement restrictions at month end ---- */

bool
cw_report_restrictions(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		       struct cw_date from, struct cw_date to, const char *kind, struct cw_error *err)
{
	static const struct cw_col first = {"month", "Month end", CW_COL_DATE};
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], title[240];
	const char *p[5] = {cw_report_iso(from, d1), cw_report_iso(to, d2), flt->care_type,
			    flt->locality, kind};
	const char *mkeys[MAX_DIM];
	struct dim months, cols = care_type_dim();
	struct cw_report_section *s;
	PGresult *r;

	if (!month_dim(rep, from, to, &months, mkeys, MAX_DIM, err))
		return false;
	r = cw_db_query(db,
			"WITH months AS ("
			" SELECT to_char(m, 'YYYY-MM') AS month,"
			"        (m + interval '1 month' - interval '1 day')::date AS month_end"
			"   FROM" MONTHS_SQL ")"
			" SELECT m.month, p.care_type, count(DISTINCT k.provider_id)"
			"   FROM months m"
			"   JOIN restriction_current k ON k.starts_on <= m.month_end"
			"    AND (k.ends_on IS NULL OR k.ends_on >= m.month_end)"
			"    AND NOT EXISTS (SELECT 1 FROM restriction_lift f"
			"                     WHERE f.restriction_id = k.id AND f.lifted_on <= m.month_end)"
			"   JOIN report_provider p ON p.id = k.provider_id"
			"    AND (p.closed_on IS NULL OR p.closed_on > m.month_end)"
			"  WHERE ($5::text = 'any' OR k.kind = $5::text)" FILTER(3, 4)
			"  GROUP BY 1, 2",
			5, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt, "Providers with %s at month end",
		     strcmp(kind, "all") == 0       ? "a restriction on all placements"
		     : strcmp(kind, "partial") == 0 ? "a partial placement restriction"
						    : "any placement restriction");
	if (!section_with(rep, &s, "restrictions", title, r, err))
		return false;
	s->table = pivot(r, title, &first, &months, &cols, false, err);
	PQclear(r);
	if (s->table == NULL)
		return false;
	snprintf(s->definition, sizeof(s->definition),
		 "Providers under a placement restriction (%s) on the last day of each month: it started "
		 "on or before that day, its planned end (if any) is not before it, and it had not been "
		 "lifted (placements may start again on the day of the lift). A provider with several "
		 "restrictions counts once.",
		 strcmp(kind, "any") == 0 ? "all placements or partial" : kind);
	{
		size_t n = cw_table_rows(s->table);
		double lo = 1e18, hi = 0;
		for (size_t i = 0; i < n; i++) {
			double v = cw_report_num(s->table, i, cols.n + 1);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		char last[40];
		/* One row per month of the period. */
		if (n > 0 && months.n > 0)
			snprintf(s->summary, sizeof(s->summary),
				 "%.0f providers restricted at the end of %s; between %.0f and %.0f at each "
				 "month end in the period.",
				 cw_report_num(s->table, n - 1, cols.n + 1),
				 month_words(mkeys[months.n - 1], last, sizeof(last)), lo, hi);
		struct cw_report_public pub = pivot_public(s->table, false, cols.n + 1);
		if (!cw_report_publish(rep, s, &pub, NULL, err))
			return false;
	}
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_COLUMNS, .cat_col = 0,
					    .nrows = -1, .target = NAN, .month_labels = true};
	s->chart.ncols = nonzero_columns(s->table, 1, cols.n, false, s->chart.cols, CW_REPORT_MAX_SERIES);
	snprintf(s->chart.y_label, sizeof(s->chart.y_label), "providers");
	return true;
}

/* ---- provider loss ---- */

static const struct cw_col loss_cols[] = {
	{"care_type", "Care type", false}, {"closures", "Closures", true},
	{"closure_beds", "Beds lost in closures", true},
	{"nursing_deregistrations", "Nursing de-registrations", true},
	{"deregistered_beds", "Nursing beds de-registered", true},
	{"other_beds_lost", "Other beds lost", true}, {"beds_lost", "Beds lost", true},
};
static const char *const loss_colours[] = {"#d7301f", "#f1a340", "#bab0ac"};

bool
cw_report_loss(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
	       struct cw_date from, struct cw_date to, struct cw_error *err)
{
	struct cw_date end = cw_report_month_end(to);
	char d1[CW_DATE_LEN], d2[CW_DATE_LEN], title[240];
	const char *p[4] = {cw_report_iso(from, d1), cw_report_iso(end, d2), flt->care_type,
			    flt->locality};
	struct cw_report_section *s;
	size_t n;
	PGresult *r;

	r = cw_db_query(db,
			"SELECT coalesce(ct.label, 'Total'),"
			"   count(x.kind) FILTER (WHERE x.kind = 'closure'),"
			"   coalesce(sum(x.beds) FILTER (WHERE x.kind = 'closure'), 0),"
			"   count(x.kind) FILTER (WHERE x.kind = 'nursing_deregistration'),"
			"   coalesce(sum(x.beds) FILTER (WHERE x.kind = 'nursing_deregistration'), 0),"
			"   coalesce(sum(x.beds) FILTER (WHERE x.kind = 'beds_lost'), 0),"
			"   coalesce(sum(x.beds), 0)"
			"  FROM care_type ct LEFT JOIN ("
			"   SELECT p.care_type, l.kind,"
			"          CASE WHEN l.kind = 'closure' THEN coalesce(nullif(l.beds_lost, 0), p.beds, 0)"
			"               ELSE l.beds_lost END AS beds"
			"     FROM provider_loss_current l JOIN provider p ON p.id = l.provider_id"
			"    WHERE l.occurred_on BETWEEN $1::date AND $2::date" FILTER(3, 4)
			"  ) x ON x.care_type = ct.code"
			" GROUP BY GROUPING SETS ((ct.sort_order, ct.label), ())"
			" ORDER BY grouping(ct.sort_order, ct.label), ct.sort_order",
			4, p, err);
	if (r == NULL)
		return false;
	period_title(title, sizeof(title), from, to, flt, "Provider loss: closures and beds lost");
	s = cw_report_section_of(rep, "loss", title, r, loss_cols, 7, err);
	if (s == NULL)
		return false;
	PQclear(r);
	n = cw_table_rows(s->table);
	snprintf(s->definition, sizeof(s->definition),
		 "Provider loss recorded with a date in the period, by the care type of the provider: "
		 "closures (beds lost: as recorded, or the provider's registered beds when none were "
		 "recorded), de-registrations of nursing beds, and other beds lost.");
	if (n > 0) {
		double cl = cw_report_num(s->table, n - 1, 1), clb = cw_report_num(s->table, n - 1, 2);
		double dr = cw_report_num(s->table, n - 1, 3), drb = cw_report_num(s->table, n - 1, 4);
		double all = cw_report_num(s->table, n - 1, 6);
		snprintf(s->summary, sizeof(s->summary),
			 "%.0f closure%s with the loss of %.0f beds; %.0f nursing de-registration%s (%.0f "
			 "nursing beds); %.0f beds lost in all.",
			 cl, cl == 1 ? "" : "s", clb, dr, dr == 1 ? "" : "s", drb, all);
	}
	/* Beds lost are those of closures, de-registrations and others; the
	 * total row is the care types. */
	if (!cw_report_publish(rep, s,
			       &(struct cw_report_public){
				       .counts = CW_COL_RANGE(1, 6), .nsums = 1,
				       .sums = {CW_COL_BIT(2) | CW_COL_RANGE(4, 6)}, .total_row = true,
				       .summary_first = -1, .summary_last = -1,
				       .summary_cols = CW_COL_RANGE(1, 4) | CW_COL_BIT(6), .summary_base = NAN},
			       NULL, err))
		return false;
	s->chart = (struct cw_report_chart){.on = true, .kind = CW_CHART_HBARS, .cat_col = 0, .ncols = 3,
					    .cols = {2, 4, 5}, .nrows = (int)n - 1, .percent = false,
					    .target = NAN, .colours = loss_colours};
	return true;
}
