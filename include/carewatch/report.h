/*
 * report.h - the monthly quality dashboards and the annual quality report.
 *
 * Each report is one set-based query per table over the intelligence and
 * case history (never a snapshot), so any past month can be reported again
 * with the same figures.  A report is built into a struct cw_report: one or
 * more sections, each a struct cw_table (output.h) with what it counts and
 * how to chart it, then printed as a table, CSV, JSON or one self-contained
 * HTML file (html.h).  Reports read no free-text column, so the read-only
 * role may run every one.  docs/reports.md defines each figure.
 *
 *   report              section(s)                                source
 *   ratings             domain x rating as at a date              cqc_rating
 *   trend               overall rating shares at month ends       cqc_rating, report_setting
 *   ratings-by-*        overall rating by locality / care type    cqc_rating
 *   shift               start rating -> end rating over a period  cqc_rating
 *   underperforming     never good or better in N inspections     cqc_rating
 *   concerns            concerns received by month and risk       concern
 *   response            responses due by month: on time, late...  case_file
 *   active-cases        cases open at each month end              case_file
 *   safeguarding        by category or month, and care type       safeguarding
 *   risk-bands          providers by band at month ends           provider_score
 *   restrictions        providers restricted at month ends        restriction(_lift)
 *   loss                closures and beds lost by care type       provider_loss
 *   dashboard, annual   the above, composed for a month / a year
 *
 * A report is built for an audience (docs/reports.md, "Audience"): the
 * internal one has every figure and list; the public one names no provider
 * and suppresses small numbers (suppress.h), each report declaring how its
 * figures add up (struct cw_report_public) so that no suppressed figure can
 * be worked out from the others, and ends with a note saying what it left
 * out and why.
 */
#ifndef CAREWATCH_REPORT_H
#define CAREWATCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/calendar.h"
#include "carewatch/db.h"
#include "carewatch/html.h"
#include "carewatch/output.h"
#include "carewatch/suppress.h"

#define CW_REPORT_MAX_SERIES 16

/* Who a report is for: the QA team (every figure and list) or publication. */
enum cw_audience { CW_AUDIENCE_INTERNAL, CW_AUDIENCE_PUBLIC };
/* The words of --audience: internal, public. */
extern const struct cw_vocab cw_report_audience;

/* Which providers a report covers.  NULL fields mean all. */
struct cw_report_filter {
	const char *care_type;          /* vocab word */
	const char *locality;           /* locality code */
	const char *locality_name;      /* its display name (for titles) */
};

/* How a section is charted: categories and series come from table columns
 * (rows are categories) or, when by_rows is set, from table rows (columns
 * are categories).  Values that do not parse as numbers are gaps. */
struct cw_report_chart {
	bool on;
	enum cw_chart_kind kind;
	bool by_rows;
	int cat_col;                    /* column (or, by_rows, first column) of the labels */
	int ncols;                      /* series columns, or by_rows: category columns */
	int cols[CW_REPORT_MAX_SERIES];
	int nrows;                      /* rows to chart from the top (-1: all) */
	bool percent;
	double target;                  /* NAN for none */
	char target_label[48];
	char y_label[48];
	const char *const *colours;     /* per series, or NULL for the palette */
	bool month_labels;              /* categories are YYYY-MM: shown as "Apr 17" */
};

struct cw_report_section {
	char key[40];                   /* JSON key / CSV block name, lower_snake_case */
	char title[200];
	char definition[800];           /* what is counted and when */
	char summary[400];              /* the finding in a sentence ("" when none) */
	struct cw_table *table;
	struct cw_table *chart_table;   /* charted instead of table when set (a pivot of it) */
	struct cw_report_chart chart;
};

struct cw_report {
	char title[200];
	char subtitle[300];
	enum cw_audience audience;      /* set before any section is added */
	int small, hidden, few;         /* public: counts shown "<5", figures "*", shares "n<10" */
	char withheld[400];             /* public: what only the internal version has ("" none) */
	int n, cap;
	struct cw_report_section *sections;
	char **strings;                 /* strings the tables' columns point to */
	int nstrings, capstrings;
};

/* An empty report (internal: set audience before adding sections).  Caller
 * frees with cw_report_free().  NULL when out of memory. */
struct cw_report *cw_report_new(const char *title);
void cw_report_free(struct cw_report *rep);

/* ---- the reports: each appends one section (or a few) to rep; on failure
 * err is filled and rep keeps the sections it had.  Dates are calendar
 * dates; `from` and `to` of monthly reports are the first days of the first
 * and last months (both included). ---- */

/* Providers by domain x rating: each provider's latest published rating in
 * each domain on or before as_of (a rating published on as_of counts). */
bool cw_report_ratings(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		       struct cw_date as_of, struct cw_error *err) __attribute__((warn_unused_result));

/* Overall rating shares at each month end, good or better against the
 * target: target_pct, or when NAN the report_setting in force that month. */
bool cw_report_trend(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		     struct cw_date from, struct cw_date to, double target_pct, struct cw_error *err)
	__attribute__((warn_unused_result));

enum cw_report_dim { CW_DIM_LOCALITY, CW_DIM_CARE_TYPE, CW_DIM_CATEGORY, CW_DIM_MONTH };

/* Overall ratings as at as_of by locality or by (CQC-regulated) care type,
 * with a total row and the good-or-better share. */
bool cw_report_ratings_by(struct cw_db *db, struct cw_report *rep,
			  const struct cw_report_filter *flt, struct cw_date as_of,
			  enum cw_report_dim by, struct cw_error *err) __attribute__((warn_unused_result));

/* Of providers with an overall rating published before from and re-rated in
 * the months from..to, where their latest rating at the end went. */
bool cw_report_shift(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		     struct cw_date from, struct cw_date to, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Providers never rated good or better overall despite at least
 * min_inspections overall ratings published on or before as_of. */
bool cw_report_underperforming(struct cw_db *db, struct cw_report *rep,
			       const struct cw_report_filter *flt, struct cw_date as_of,
			       int min_inspections, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Concerns received in each month by risk level. */
bool cw_report_concerns(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
			struct cw_date from, struct cw_date to, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Cases whose due time fell in each month: on time, late, open past due,
 * not yet due, and the share on time against target_pct. */
bool cw_report_response(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
			struct cw_date from, struct cw_date to, int target_pct, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Cases active at each month end, by care type or by locality. */
bool cw_report_active_cases(struct cw_db *db, struct cw_report *rep,
			    const struct cw_report_filter *flt, struct cw_date from,
			    struct cw_date to, enum cw_report_dim by, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Safeguardings referred in from..to: by category (rows) or by month (rows),
 * and care type (columns). */
bool cw_report_safeguarding(struct cw_db *db, struct cw_report *rep,
			    const struct cw_report_filter *flt, struct cw_date from,
			    struct cw_date to, enum cw_report_dim by, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Providers by risk band and care type at each month end (latest score at
 * or before it). */
bool cw_report_risk_bands(struct cw_db *db, struct cw_report *rep,
			  const struct cw_report_filter *flt, struct cw_date from, struct cw_date to,
			  struct cw_error *err) __attribute__((warn_unused_result));

/* Providers under a placement restriction at each month end by care type;
 * kind "all", "partial" or "any". */
bool cw_report_restrictions(struct cw_db *db, struct cw_report *rep,
			    const struct cw_report_filter *flt, struct cw_date from,
			    struct cw_date to, const char *kind, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Closures, nursing de-registrations and beds lost in from..to by care type. */
bool cw_report_loss(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
		    struct cw_date from, struct cw_date to, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The monthly dashboard for month (its first day): county-wide when
 * locality is NULL, else that locality's. */
bool cw_report_dashboard(struct cw_db *db, struct cw_report *rep, const struct cw_report_filter *flt,
			 struct cw_date month, struct cw_error *err) __attribute__((warn_unused_result));

/* The annual quality report for the council year starting 1 April year. */
bool cw_report_annual(struct cw_db *db, struct cw_report *rep, int year, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The response-time target of the active ruleset ([response] target_pct),
 * or 90 when no ruleset has been activated. */
bool cw_report_response_target(struct cw_db *db, int *pct, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Prepare db's session for reports: JIT compilation off.  Report queries
 * are large joins PostgreSQL estimates as costly, so it JIT-compiles them,
 * which at national scale took longer (seconds) than it saved. */
bool cw_report_session(struct cw_db *db, struct cw_error *err) __attribute__((warn_unused_result));

/* ---- inputs ---- */

/* Every locality's code and name, in name order (for `dashboard --all`).
 * Caller PQclear()s the result (columns code, name). */
PGresult *cw_report_localities(struct cw_db *db, struct cw_error *err)
	__attribute__((warn_unused_result));

/* A council year "2017/18" (also "2017-18"): *year = 2017.  Usage error
 * naming the field otherwise. */
bool cw_report_year_parse(const char *s, int *year, struct cw_error *err)
	__attribute__((warn_unused_result));

/* A percentage "80" or "85.5" in (0, 100]. */
bool cw_report_pct_parse(const char *s, const char *field, double *out, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The good-or-better target in force on day d (report_setting). */
bool cw_report_target(struct cw_db *db, struct cw_date d, double *pct, struct cw_error *err)
	__attribute__((warn_unused_result));

/* ---- shared by src/report*.c (not for other callers) ---- */

/* Append an empty section (table NULL, chart off, target NAN).  Returns NULL
 * with err filled when out of memory. */
struct cw_report_section *cw_report_section_add(struct cw_report *rep, const char *key,
						const char *title, struct cw_error *err);
/* A copy of s owned by rep (for column keys and labels made at run time).
 * NULL when out of memory. */
const char *cw_report_keep(struct cw_report *rep, const char *s);
/* A new section of rep whose table is every row of r (cw_report_table_of).
 * r stays the caller's on success; on failure it is cleared, err is filled
 * and NULL returned. */
struct cw_report_section *cw_report_section_of(struct cw_report *rep, const char *key,
					       const char *title, PGresult *r,
					       const struct cw_col *cols, int ncols, struct cw_error *err);
/* A table of every row of r, cells as text (SQL NULL stays NULL). */
struct cw_table *cw_report_table_of(PGresult *r, const char *title, const struct cw_col *cols,
				    int ncols);
/* "all care types", "Residential, North" ... for titles.  Writes buf. */
const char *cw_report_scope(const struct cw_report_filter *flt, char *buf, size_t size);
/* "31 March 2018" / "March 2018" / "Mar 18" into buf. */
const char *cw_report_day_text(struct cw_date d, char *buf, size_t size);
const char *cw_report_month_text(struct cw_date d, char *buf, size_t size);
/* The last day of d's month; d moved by n months (day 1). */
struct cw_date cw_report_month_end(struct cw_date d);
struct cw_date cw_report_add_months(struct cw_date d, int n);
/* d as "YYYY-MM-DD" in buf (CW_DATE_LEN). */
const char *cw_report_iso(struct cw_date d, char *buf);
/* A number cell of t parsed, NAN when empty or not a number. */
double cw_report_num(const struct cw_table *t, size_t row, int col);

/* How a section's figures are published: the grid suppress.h protects is
 * the table's columns, then nextra columns read from a query result, then
 * derived columns (sums of others).  Columns are grid indexes. */
struct cw_report_public {
	uint64_t counts, locked;        /* as struct cw_sup_grid */
	int nsums;
	uint64_t sums[CW_SUP_MAX_SUMS];
	bool total_row;
	int npcts;
	struct cw_sup_pct pcts[CW_SUP_MAX_PCTS];
	int nderived;
	struct {
		int col;                /* a grid column after the table's and the extra ones */
		uint64_t of;            /* the sum of these columns */
	} derived[2];
	int nextra, extra_from;         /* grid columns from the result's column extra_from on */
	/* The rows (negative: from the end, -1 the last) and columns the
	 * section's summary reads, and the base of the shares it gives (NAN:
	 * none): a public summary that would cite a suppressed figure, or a
	 * share of fewer than 10, is replaced by a sentence saying so. */
	int summary_first, summary_last;
	uint64_t summary_cols;
	double summary_base;
};

/* Column c of a mask; columns first..last. */
#define CW_COL_BIT(c) ((uint64_t)1 << (c))
#define CW_COL_RANGE(first, last) ((~(uint64_t)0 >> (63 - (last))) & ~(CW_COL_BIT(first) - 1))

/* For a public rep, replace s's table by its published copy: counts 1-4
 * as "<5", figures that would give one away as "*", shares of fewer than 10
 * as "n<10" (pub says which are which; extra, when pub->nextra, holds the
 * extra columns, one row per table row); counts them into rep and checks
 * the summary.  Nothing for an internal rep.  False with err filled when out
 * of memory or the table is too wide to protect. */
bool cw_report_publish(struct cw_report *rep, struct cw_report_section *s,
		       const struct cw_report_public *pub, const PGresult *extra, struct cw_error *err)
	__attribute__((warn_unused_result));
/* A report's closing note on what its public version suppressed and why
 * (docs/reports.md), into buf.  Returns buf. */
const char *cw_report_note(const struct cw_report *rep, char *buf, size_t size);

/* Colours shared by the charts: ratings best first, risk bands lowest first. */
extern const char *const cw_report_rating_colours[];
extern const char *const cw_report_band_colours[];

/* ---- output ---- */

/* Print rep in format: a single-section report prints exactly as that
 * table would (CSV header, JSON array); a longer one prints each section
 * under its title (table), as "# key: title" CSV blocks separated by a
 * blank line, or as one JSON object {"title", "subtitle", "sections": [{key,
 * title, rows}]}.  HTML is one document (html.h).  Returns false on a write
 * error. */
bool cw_report_print(const struct cw_report *rep, FILE *f, enum cw_format format, int width,
		     bool colour);

#endif
