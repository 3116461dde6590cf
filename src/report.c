/*
 * report.c - the report container, its inputs and its output (report.h).
 *
 * The reports themselves are in report_ratings.c (CQC ratings), report_work.c
 * (the QA team's casework and intelligence) and report_pack.c (the monthly
 * dashboard and the annual report that compose them).  This file holds what
 * they share: sections and their tables, parsing of years and targets,
 * publishing a section for its audience (small numbers suppressed through
 * suppress.h), and printing in every format, including turning a section's
 * chart description into html.h's plain chart structs.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/report.h"

const char *const cw_report_rating_colours[] = {"#1b7837", "#7fbf7b", "#f1a340", "#d7301f"};
const char *const cw_report_band_colours[] = {"#7fbf7b", "#fee08b", "#fc8d59", "#d73027"};

const struct cw_vocab cw_report_audience = {
	"audience", (const char *const[]){"internal", "public"},
	(const char *const[]){"Internal", "Public"}, 2,
};

struct cw_report *
cw_report_new(const char *title)
{
	struct cw_report *rep = calloc(1, sizeof(*rep));

	if (rep)
		snprintf(rep->title, sizeof(rep->title), "%s", title ? title : "");
	return rep;
}

void
cw_report_free(struct cw_report *rep)
{
	if (rep == NULL)
		return;
	for (int i = 0; i < rep->n; i++) {
		cw_table_free(rep->sections[i].table);
		cw_table_free(rep->sections[i].chart_table);
	}
	for (int i = 0; i < rep->nstrings; i++)
		free(rep->strings[i]);
	free(rep->strings);
	free(rep->sections);
	free(rep);
}

struct cw_report_section *
cw_report_section_add(struct cw_report *rep, const char *key, const char *title,
		      struct cw_error *err)
{
	struct cw_report_section *s;

	if (rep->n == rep->cap) {
		int ncap = rep->cap ? rep->cap * 2 : 8;
		struct cw_report_section *ns = realloc(rep->sections, sizeof(*ns) * (size_t)ncap);
		if (ns == NULL) {
			cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			return NULL;
		}
		rep->sections = ns;
		rep->cap = ncap;
	}
	s = &rep->sections[rep->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->title, sizeof(s->title), "%s", title);
	s->chart.target = NAN;
	s->chart.nrows = -1;
	return s;
}

struct cw_report_section *
cw_report_section_of(struct cw_report *rep, const char *key, const char *title, PGresult *r,
		     const struct cw_col *cols, int ncols, struct cw_error *err)
{
	struct cw_report_section *s = cw_report_section_add(rep, key, title, err);

	if (s != NULL && (s->table = cw_report_table_of(r, title, cols, ncols)) == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		s = NULL;
	}
	if (s == NULL)
		PQclear(r);
	return s;
}

const char *
cw_report_keep(struct cw_report *rep, const char *s)
{
	char *copy;

	if (rep->nstrings == rep->capstrings) {
		int ncap = rep->capstrings ? rep->capstrings * 2 : 32;
		char **ns = realloc(rep->strings, sizeof(*ns) * (size_t)ncap);
		if (ns == NULL)
			return NULL;
		rep->strings = ns;
		rep->capstrings = ncap;
	}
	copy = strdup(s ? s : "");
	if (copy == NULL)
		return NULL;
	rep->strings[rep->nstrings++] = copy;
	return copy;
}

struct cw_table *
cw_report_table_of(PGresult *r, const char *title, const struct cw_col *cols, int ncols)
{
	return cw_db_table(r, title, cols, ncols);
}

double
cw_report_num(const struct cw_table *t, size_t row, int col)
{
	const char *s = cw_table_cell(t, row, col);
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return NAN;
	v = strtod(s, &end);
	return *end == '\0' ? v : NAN;
}

static const char *const month_names[] = {"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December"};

const char *
cw_report_day_text(struct cw_date d, char *buf, size_t size)
{
	snprintf(buf, size, "%d %s %04d", d.d, month_names[(d.m - 1) % 12], d.y);
	return buf;
}

const char *
cw_report_month_text(struct cw_date d, char *buf, size_t size)
{
	snprintf(buf, size, "%s %04d", month_names[(d.m - 1) % 12], d.y);
	return buf;
}

const char *
cw_report_iso(struct cw_date d, char *buf)
{
	return cw_date_format(d, buf, CW_DATE_LEN);
}

struct cw_date
cw_report_month_end(struct cw_date d)
{
	return (struct cw_date){d.y, d.m, cw_days_in_month(d.y, d.m)};
}

struct cw_date
cw_report_add_months(struct cw_date d, int n)
{
	int m = d.y * 12 + (d.m - 1) + n;

	return (struct cw_date){m / 12, m % 12 + 1, 1};
}

const char *
cw_report_scope(const struct cw_report_filter *flt, char *buf, size_t size)
{
	int ct = flt && flt->care_type ? cw_vocab_parse(&cw_vocab_care_type, flt->care_type) : -1;
	const char *loc = flt && flt->locality ? (flt->locality_name ? flt->locality_name : flt->locality)
					       : NULL;

	if (ct >= 0 && loc)
		snprintf(buf, size, "%s, %s locality", cw_vocab_label(&cw_vocab_care_type, ct), loc);
	else if (ct >= 0)
		snprintf(buf, size, "%s", cw_vocab_label(&cw_vocab_care_type, ct));
	else if (loc)
		snprintf(buf, size, "all care types, %s locality", loc);
	else
		snprintf(buf, size, "all care types");
	return buf;
}

bool
cw_report_session(struct cw_db *db, struct cw_error *err)
{
	return cw_db_exec(db, "SET jit = off", 0, NULL, err);
}

/* ---- inputs ---- */

PGresult *
cw_report_localities(struct cw_db *db, struct cw_error *err)
{
	return cw_db_query(db, "SELECT code, name FROM locality ORDER BY name", 0, NULL, err);
}

bool
cw_report_year_parse(const char *s, int *year, struct cw_error *err)
{
	int y, next;
	char sep, extra;

	if (s && strlen(s) == 7 && isdigit((unsigned char)s[0]) &&
	    sscanf(s, "%4d%c%2d%c", &y, &sep, &next, &extra) == 3 && (sep == '/' || sep == '-') &&
	    isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6])) {
		if (y >= 1990 && y <= 9998 && next == (y + 1) % 100) {
			*year = y;
			return true;
		}
		return cw_error_field(err, "year",
				      "invalid council year '%.20s' (expected %04d/%02d for April %04d to March"
				      " %04d)",
				      s, y, (y + 1) % 100, y, y + 1);
	}
	return cw_error_field(err, "year",
			      "invalid council year '%.20s' (expected YYYY/YY, e.g. 2017/18 for April 2017"
			      " to March 2018)",
			      s ? s : "");
}

bool
cw_report_pct_parse(const char *s, const char *field, double *out, struct cw_error *err)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || !(isdigit((unsigned char)s[0])))
		return cw_error_field(err, field, "invalid %s '%.20s' (expected a percentage such as 80 or"
					     " 85.5)", field, s ? s : "");
	v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (*end != '\0' || !(v > 0 && v <= 100))
		return cw_error_field(err, field, "invalid %s '%.20s' (expected a percentage above 0 and"
					     " at most 100)", field, s);
	if (fabs(v * 10 - round(v * 10)) > 1e-9)
		return cw_error_field(err, field, "invalid %s '%.20s' (at most one decimal place)", field, s);
	*out = v;
	return true;
}

bool
cw_report_target(struct cw_db *db, struct cw_date d, double *pct, struct cw_error *err)
{
	char day[CW_DATE_LEN], buf[32];
	const char *p[1] = {cw_report_iso(d, day)};
	bool found;

	if (!cw_db_value(db,
			 "SELECT value FROM report_setting WHERE name = 'good_or_better_target'"
			 " AND effective_from <= $1::date ORDER BY effective_from DESC LIMIT 1",
			 1, p, buf, sizeof(buf), &found, err))
		return false;
	*pct = found ? strtod(buf, NULL) : 80.0;
	return true;
}

/* ---- publishing ---- */

static const char *const markers[] = {NULL, "<5", "*", "n<10"};

/* The grid of s's figures for suppress.h: the table's numbers, the extra
 * columns of the result, then the derived sums.  Caller frees. */
static double *
public_grid(const struct cw_table *t, const struct cw_report_public *pub, const PGresult *extra,
	    int gcols)
{
	size_t rows = cw_table_rows(t);
	int tcols = cw_table_ncols(t);
	double *v = malloc(sizeof(double) * (rows ? rows : 1) * (size_t)gcols);

	if (v == NULL)
		return NULL;
	for (size_t r = 0; r < rows; r++) {
		double *row = v + r * (size_t)gcols;
		for (int c = 0; c < gcols; c++)
			row[c] = NAN;
		for (int c = 0; c < tcols; c++)
			row[c] = cw_report_num(t, r, c);
		for (int j = 0; extra && j < pub->nextra && (int)r < PQntuples(extra); j++)
			if (!PQgetisnull(extra, (int)r, pub->extra_from + j))
				row[tcols + j] = strtod(PQgetvalue(extra, (int)r, pub->extra_from + j), NULL);
		for (int k = 0; k < pub->nderived; k++) {
			double sum = 0;
			for (int c = 0; c < gcols; c++)
				if (pub->derived[k].of >> c & 1u)
					sum += row[c];
			if (pub->derived[k].col < gcols)
				row[pub->derived[k].col] = sum;
		}
	}
	return v;
}

/* Whether a public summary may stay: none of the figures it reads is
 * withheld and its shares are of 10 or more. */
static bool
summary_publishable(const struct cw_sup_grid *g, const struct cw_report_public *pub)
{
	int first = pub->summary_first < 0 ? g->rows + pub->summary_first : pub->summary_first;
	int last = pub->summary_last < 0 ? g->rows + pub->summary_last : pub->summary_last;

	if (pub->summary_base > 0 && pub->summary_base < CW_SUP_MIN_BASE)
		return false;
	for (int r = first < 0 ? 0 : first; r <= last && r < g->rows; r++)
		for (int c = 0; c < g->cols; c++)
			if ((pub->summary_cols >> c & 1u) && g->state[r * g->cols + c] != CW_SUP_SHOWN)
				return false;
	return true;
}

bool
cw_report_publish(struct cw_report *rep, struct cw_report_section *s,
		  const struct cw_report_public *pub, const PGresult *extra, struct cw_error *err)
{
	const struct cw_table *t = s->table;
	int tcols, gcols;
	size_t rows;
	struct cw_sup_grid g;
	struct cw_col cols[CW_SUP_MAX_COLS];
	const char *cells[CW_SUP_MAX_COLS];
	struct cw_table *out;
	double *v;
	bool ok = true;

	if (rep->audience != CW_AUDIENCE_PUBLIC || t == NULL)
		return true;
	rows = cw_table_rows(t);
	tcols = cw_table_ncols(t);
	gcols = tcols + pub->nextra + pub->nderived;
	if (gcols > CW_SUP_MAX_COLS)
		return cw_error_set(err, CW_EXIT_FAIL, "the table '%s' has too many columns to publish",
				    s->title);
	v = public_grid(t, pub, extra, gcols);
	g = (struct cw_sup_grid){.rows = (int)rows, .cols = gcols, .v = v,
				 .state = malloc(rows ? rows * (size_t)gcols : 1), .counts = pub->counts,
				 .locked = pub->locked, .nsums = pub->nsums, .total_row = pub->total_row,
				 .npcts = pub->npcts};
	memcpy(g.sums, pub->sums, sizeof(g.sums));
	memcpy(g.pcts, pub->pcts, sizeof(g.pcts));
	for (int c = 0; c < tcols; c++)
		cols[c] = *cw_table_col(t, c);
	out = v && g.state ? cw_table_new(cw_table_title(t), cols, tcols) : NULL;
	if (out == NULL) {
		free(v);
		free(g.state);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	cw_sup_apply(&g);
	for (size_t r = 0; ok && r < rows; r++) {
		for (int c = 0; c < tcols; c++) {
			int st = g.state[r * (size_t)gcols + (size_t)c];
			cells[c] = st == CW_SUP_SHOWN ? cw_table_cell(t, r, c) : markers[st];
			rep->small += st == CW_SUP_SMALL;
			rep->hidden += st == CW_SUP_HIDDEN;
			rep->few += st == CW_SUP_FEW;
		}
		ok = cw_table_add(out, cells);
	}
	if (ok && cw_table_footer_text(t))
		cw_table_footer(out, cw_table_footer_text(t));
	if (ok && s->summary[0] && !summary_publishable(&g, pub))
		snprintf(s->summary, sizeof(s->summary),
			 "Not summarised in the public version: the sentence would cite figures suppressed "
			 "to protect small numbers.");
	free(v);
	free(g.state);
	if (!ok) {
		cw_table_free(out);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	cw_table_free(s->table);
	s->table = out;
	return true;
}

const char *
cw_report_note(const struct cw_report *rep, char *buf, size_t size)
{
	int len = snprintf(buf, size,
			   "Public version. Small numbers are suppressed so that no person or provider can "
			   "be identified: a count from 1 to 4 is shown as <5 (0 as 0), a percentage of "
			   "fewer than 10 as n<10, and * marks a figure hidden because, with the totals or "
			   "the figures beside it, it would give a suppressed one away (a percentage of a "
			   "count shown as <5, or a second figure of a row or column). A bar of a chart "
			   "with a suppressed figure is not drawn.");

	if (len < 0 || (size_t)len >= size)
		return buf;
	if (rep->small + rep->hidden + rep->few == 0)
		len += snprintf(buf + len, size - (size_t)len, " Nothing in this report needed suppressing.");
	else
		len += snprintf(buf + len, size - (size_t)len,
				" In this report: %d count%s shown as <5, %d figure%s as * and %d "
				"percentage%s as n<10.",
				rep->small, rep->small == 1 ? "" : "s", rep->hidden, rep->hidden == 1 ? "" : "s",
				rep->few, rep->few == 1 ? "" : "s");
	if (rep->withheld[0] && len > 0 && (size_t)len < size)
		snprintf(buf + len, size - (size_t)len, " %s", rep->withheld);
	return buf;
}

/* ---- output ---- */

/* "2017-04" -> "Apr 17"; anything else is kept. */
static void
short_month(const char *in, char *out, size_t size)
{
	static const char *const abbr[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec"};
	int y, m;

	if (in && strlen(in) == 7 && sscanf(in, "%4d-%2d", &y, &m) == 2 && m >= 1 && m <= 12)
		snprintf(out, size, "%s %02d", abbr[m - 1], y % 100);
	else
		snprintf(out, size, "%s", in ? in : "");
}

/* The chart of section s as html.h structs, in storage the caller frees
 * with chart_free(). */
struct chart_store {
	struct cw_chart chart;
	struct cw_chart_series series[CW_REPORT_MAX_SERIES * 4];
	char **cats;
	double *values;
};

static void
chart_free(struct chart_store *cs)
{
	if (cs->cats) {
		for (int i = 0; i < cs->chart.ncats; i++)
			free(cs->cats[i]);
		free(cs->cats);
	}
	free(cs->values);
}

static bool
chart_build(const struct cw_report_section *s, bool public, struct chart_store *cs)
{
	const struct cw_report_chart *ch = &s->chart;
	const struct cw_table *t = s->chart_table ? s->chart_table : s->table;
	int rows = (int)cw_table_rows(t), ncats, nseries;

	memset(cs, 0, sizeof(*cs));
	if (ch->nrows >= 0 && ch->nrows < rows)
		rows = ch->nrows;
	ncats = ch->by_rows ? ch->ncols : rows;
	nseries = ch->by_rows ? rows : ch->ncols;
	if (nseries > (int)(sizeof(cs->series) / sizeof(cs->series[0])))
		nseries = (int)(sizeof(cs->series) / sizeof(cs->series[0]));
	cs->cats = calloc((size_t)(ncats ? ncats : 1), sizeof(char *));
	cs->values = calloc((size_t)(ncats > 0 && nseries > 0 ? ncats * nseries : 1), sizeof(double));
	if (cs->cats == NULL || cs->values == NULL)
		return false;
	for (int k = 0; k < ncats; k++) {
		char buf[64];
		const char *label = ch->by_rows ? cw_table_col(t, ch->cols[k])->label
						: cw_table_cell(t, (size_t)k, ch->cat_col);
		if (ch->month_labels)
			short_month(label, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", label ? label : "");
		cs->cats[k] = strdup(buf);
		cs->chart.ncats = k + 1;
		if (cs->cats[k] == NULL)
			return false;
	}
	for (int i = 0; i < nseries; i++) {
		double *v = cs->values + (size_t)i * (size_t)ncats;
		for (int k = 0; k < ncats; k++)
			v[k] = ch->by_rows ? cw_report_num(t, (size_t)i, ch->cols[k])
					   : cw_report_num(t, (size_t)k, ch->cols[i]);
		cs->series[i].name = ch->by_rows ? cw_table_cell(t, (size_t)i, ch->cat_col)
						 : cw_table_col(t, ch->cols[i])->label;
		cs->series[i].colour = ch->colours ? ch->colours[i] : NULL;
		cs->series[i].values = v;
	}
	/* A stacked bar with a suppressed figure would show the rest of its
	 * total, and so the figure: a public chart leaves the whole bar out. */
	for (int k = 0; public && ch->kind != CW_CHART_LINES && k < ncats; k++) {
		bool withheld = false;
		for (int i = 0; i < nseries; i++)
			withheld = withheld || isnan(cs->values[(size_t)i * (size_t)ncats + (size_t)k]);
		for (int i = 0; withheld && i < nseries; i++)
			cs->values[(size_t)i * (size_t)ncats + (size_t)k] = NAN;
	}
	cs->chart.kind = ch->kind;
	cs->chart.title = s->title;
	cs->chart.cats = (const char *const *)cs->cats;
	cs->chart.nseries = nseries;
	cs->chart.series = cs->series;
	cs->chart.percent = ch->percent;
	cs->chart.target = ch->target;
	cs->chart.target_label = ch->target_label[0] ? ch->target_label : NULL;
	cs->chart.y_label = ch->y_label[0] ? ch->y_label : NULL;
	return true;
}

static bool
print_html(const struct cw_report *rep, FILE *f)
{
	struct cw_html_section *hs = calloc((size_t)(rep->n ? rep->n : 1), sizeof(*hs));
	struct chart_store *cs = calloc((size_t)(rep->n ? rep->n : 1), sizeof(*cs));
	bool public = rep->audience == CW_AUDIENCE_PUBLIC;
	struct cw_html_doc doc = {.title = rep->title, .subtitle = rep->subtitle[0] ? rep->subtitle : NULL,
				  .nsections = rep->n, .sections = hs,
				  .audience = public ? "Public" : "Internal \xE2\x80\x93 not for publication",
				  .audience_internal = !public};
	char generated[96], day[CW_DATE_LEN], note[1200];
	bool ok = hs != NULL && cs != NULL;

	if (public)
		doc.note = cw_report_note(rep, note, sizeof(note));

	snprintf(generated, sizeof(generated), "Produced by carewatch on %s",
		 cw_date_format(cw_london_date((cw_time)time(NULL)), day, sizeof(day)));
	doc.generated = generated;
	for (int i = 0; ok && i < rep->n; i++) {
		const struct cw_report_section *s = &rep->sections[i];
		hs[i].title = s->title;
		hs[i].definition = s->definition;
		hs[i].summary = s->summary;
		hs[i].table = s->table;
		if (s->chart.on && s->table) {
			ok = chart_build(s, public, &cs[i]);
			hs[i].chart = &cs[i].chart;
		}
	}
	if (ok)
		ok = cw_html_write(f, &doc);
	for (int i = 0; cs && i < rep->n; i++)
		chart_free(&cs[i]);
	free(cs);
	free(hs);
	return ok;
}

bool
cw_report_print(const struct cw_report *rep, FILE *f, enum cw_format format, int width, bool colour)
{
	bool public = rep->audience == CW_AUDIENCE_PUBLIC;
	char note[1200];

	/* A section that lost a row is not printed short (output.h). */
	for (int i = 0; i < rep->n; i++)
		if (rep->sections[i].table && !cw_table_ok(rep->sections[i].table))
			return false;
	if (format == CW_FMT_HTML)
		return print_html(rep, f);
	if (public)
		cw_report_note(rep, note, sizeof(note));
	if (rep->n == 1 && format == CW_FMT_CSV) {
		cw_table_print(rep->sections[0].table, f, format, width, colour);
		if (public) {
			fputs("\n# note: ", f);
			fputs(note, f);
			fputc('\n', f);
		}
		return fflush(f) == 0 && !ferror(f);
	}
	/* A public report's JSON is always the object, so its note travels
	 * with the figures. */
	if (rep->n == 1 && format == CW_FMT_JSON && !public) {
		cw_table_print(rep->sections[0].table, f, format, width, colour);
		return fflush(f) == 0 && !ferror(f);
	}
	if (format == CW_FMT_JSON) {
		fputs("{\"title\": ", f);
		cw_json_string(f, rep->title);
		fputs(", \"subtitle\": ", f);
		cw_json_string(f, rep->subtitle);
		if (public) {
			fputs(", \"audience\": \"public\", \"note\": ", f);
			cw_json_string(f, note);
		}
		fputs(", \"sections\": [", f);
		for (int i = 0; i < rep->n; i++) {
			fputs(i ? ",\n{\"key\": " : "\n{\"key\": ", f);
			cw_json_string(f, rep->sections[i].key);
			fputs(", \"title\": ", f);
			cw_json_string(f, rep->sections[i].title);
			fputs(", \"rows\": ", f);
			cw_table_print(rep->sections[i].table, f, CW_FMT_JSON, 0, false);
			fputs("}", f);
		}
		fputs("]}\n", f);
		return fflush(f) == 0 && !ferror(f);
	}
	if (format == CW_FMT_TABLE && rep->n > 1) {
		if (colour)
			fprintf(f, "\033[1m%s\033[0m\n", rep->title);
		else
			fprintf(f, "%s\n", rep->title);
		if (rep->subtitle[0])
			fprintf(f, "%s\n", rep->subtitle);
		fputc('\n', f);
	}
	for (int i = 0; i < rep->n; i++) {
		if (i)
			fputc('\n', f);
		if (format == CW_FMT_CSV) {
			fputs("# ", f);
			fputs(rep->sections[i].key, f);
			fputs(": ", f);
			fputs(rep->sections[i].title, f);
			fputc('\n', f);
		}
		cw_table_print(rep->sections[i].table, f, format, width, colour);
		if (format == CW_FMT_TABLE && rep->sections[i].summary[0])
			fprintf(f, "%s\n", rep->sections[i].summary);
	}
	if (public)
		fprintf(f, format == CW_FMT_CSV ? "\n# note: %s\n" : "\nNote: %s\n", note);
	return fflush(f) == 0 && !ferror(f);
}
