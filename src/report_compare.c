/*
 * report_compare.c - `carewatch report compare [--region R | --group NAME]`:
 * the quality reports' league tables (2017/18 2.6-2.7, 2016/17 2.10-2.14),
 * the council against the other councils of its region or of a family
 * group, by the share of adult social care locations rated good or
 * outstanding.
 *
 * The figures are the comparison counts every ratings import keeps for
 * every local authority in CQC's national file (cqc_la_rating, migration
 * 020), at the latest file date on or before --as-of: no other council's
 * providers are ever held.  The ranking, median and gap are computed here
 * from those counts; the group's members are reference data
 * (compare_group).  A public version (--audience public) shows the same
 * markers as every public report (docs/reports.md, "Audience") where a
 * council's count is from 1 to 4 or a share is of fewer than 10 locations;
 * the counts are CQC's own for whole councils, so nothing more is hidden.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "carewatch/cmd.h"
#include "carewatch/calendar.h"
#include "carewatch/report.h"

struct la_row {
	char name[128], region[128];
	long rated[3], gob[3];         /* all, care homes, community */
	double share;
	bool in_scope;
	int rank;
};

static double
pct(long gob, long rated)
{
	return rated > 0 ? 100.0 * (double)gob / (double)rated : NAN;
}

static void
fmt_pct(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", v);
}

static int
by_share(const void *a, const void *b)
{
	const struct la_row *x = a, *y = b;

	if (x->in_scope != y->in_scope)
		return x->in_scope ? -1 : 1;
	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const struct cw_col compare_cols[] = {
	{"rank", "Rank", true},
	{"local_authority", "Local authority", false},
	{"rated", "Rated", true},
	{"good_or_better", "Good or better", true},
	{"share", "Share %", true},
	{"care_homes", "Care homes %", true},
	{"community", "Community %", true},
};

/* A public table's count (1 to 4: "<5") and share (of 1 to 9: "n<10"; of
 * a count shown as "<5": "*"), counted into pub for its note. */
static void
protect_count(struct cw_report *pub, long n, char *buf, size_t size)
{
	if (n >= 1 && n < CW_SUP_MIN_COUNT) {
		snprintf(buf, size, "<5");
		pub->small++;
	}
}

static void
protect_share(struct cw_report *pub, long part, long base, char *buf, size_t size)
{
	if (base >= 1 && base < CW_SUP_MIN_BASE) {
		snprintf(buf, size, "n<10");
		pub->few++;
	} else if (part >= 1 && part < CW_SUP_MIN_COUNT) {
		snprintf(buf, size, "*");
		pub->hidden++;
	}
}

/* One row; x is the council's counts, when the row is a council's and pub
 * (the public report) protects them. */
static bool
add(struct cw_table *t, const char *rank, const char *name, long rated, long gob, double share,
    double ch, double co, const struct la_row *x, struct cw_report *pub)
{
	char r[24], g[24], s[24], c1[24], c2[24];
	const char *cells[7] = {rank, name, r, g, s, c1, c2};

	if (rated >= 0) {
		snprintf(r, sizeof(r), "%ld", rated);
		snprintf(g, sizeof(g), "%ld", gob);
	} else {
		r[0] = g[0] = '\0';
	}
	fmt_pct(share, s, sizeof(s));
	fmt_pct(ch, c1, sizeof(c1));
	fmt_pct(co, c2, sizeof(c2));
	/* Summary rows (median, averages, gap) have no care-type columns. */
	if (isinf(ch))
		c1[0] = '\0';
	if (isinf(co))
		c2[0] = '\0';
	if (x && pub) {
		protect_count(pub, x->rated[0], r, sizeof(r));
		protect_count(pub, x->gob[0], g, sizeof(g));
		protect_share(pub, x->gob[0], x->rated[0], s, sizeof(s));
		protect_share(pub, x->gob[1], x->rated[1], c1, sizeof(c1));
		protect_share(pub, x->gob[2], x->rated[2], c2, sizeof(c2));
	}
	return cw_table_add(t, cells);
}

static const char compare_sql[] =
	"WITH d AS (SELECT max(as_of) AS as_of FROM cqc_la_rating"
	"            WHERE $1::date IS NULL OR as_of <= $1::date)"
	" SELECT r.local_authority, min(r.region), to_char(d.as_of, 'YYYY-MM-DD'),"
	"        sum(r.locations),"
	"        coalesce(sum(r.locations) FILTER (WHERE r.rating IN ('outstanding', 'good')), 0),"
	"        coalesce(sum(r.locations) FILTER (WHERE r.care_type = 'care_home'), 0),"
	"        coalesce(sum(r.locations) FILTER (WHERE r.care_type = 'care_home'"
	"                                           AND r.rating IN ('outstanding', 'good')), 0),"
	"        coalesce(sum(r.locations) FILTER (WHERE r.care_type = 'community'), 0),"
	"        coalesce(sum(r.locations) FILTER (WHERE r.care_type = 'community'"
	"                                           AND r.rating IN ('outstanding', 'good')), 0),"
	"        $2::text IS NOT NULL AND EXISTS (SELECT 1 FROM compare_group g WHERE g.name = $2"
	"                                         AND lower(g.local_authority) = lower(r.local_authority))"
	"   FROM cqc_la_rating r JOIN d ON r.as_of = d.as_of"
	"  GROUP BY r.local_authority, d.as_of ORDER BY r.local_authority";

static int
run_compare(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *region = cw_arg(a, "region"), *group = cw_arg(a, "group");
	const char *home = cw_arg(a, "local-authority"), *as_of = cw_arg(a, "as-of");
	char home_buf[256], date[16] = "", title[512], footer[512], rank[16], scope[160];
	struct la_row *rows = NULL, *me = NULL;
	struct cw_table *t = NULL;
	struct cw_report *rep = NULL, *pub = NULL;
	struct cw_report_section *s;
	struct cw_error err;
	bool ok;
	struct cw_date d;
	double *shares = NULL, median = NAN;
	long pooled[2][2] = {{0, 0}, {0, 0}};   /* scope, England: rated, good or better */
	int n, nscope = 0, code;
	const char *p[2];
	PGresult *r;

	cw_error_clear(&err);
	if (region && group) {
		cw_error_field(&err, "region", "--region and --group cannot be given together");
		return cw_fail(&err);
	}
	if (as_of && !cw_date_parse(as_of, "as-of", &d, &err))
		return cw_fail(&err);
	if (group) {
		char found[8];
		const char *gp[1] = {group};
		bool there;
		if (!cw_db_value(ctx->db, "SELECT 1 FROM compare_group WHERE name = $1 LIMIT 1", 1, gp, found,
				 sizeof(found), &there, &err))
			return cw_fail(&err);
		if (!there) {
			char list[256] = "";
			if (!cw_db_value(ctx->db, "SELECT coalesce(string_agg(DISTINCT name, ', '), 'none')"
						  " FROM compare_group", 0, NULL, list, sizeof(list), NULL, &err))
				return cw_fail(&err);
			cw_error_field(&err, "group", "no comparison group '%.40s' (groups: %s)", group, list);
			err.code = CW_EXIT_NOTFOUND;
			return cw_fail(&err);
		}
	}
	if (home == NULL) {
		bool there;
		if (!cw_db_value(ctx->db, "SELECT local_authority FROM import_run WHERE kind = 'cqc_ratings'"
					  " AND local_authority IS NOT NULL ORDER BY recorded_at DESC LIMIT 1",
				 0, NULL, home_buf, sizeof(home_buf), &there, &err))
			return cw_fail(&err);
		if (!there) {
			cw_error_field(&err, "local-authority", "no local authority to compare: no ratings file"
				       " was imported with --local-authority");
			cw_error_hint(&err, "pass --local-authority NAME, e.g. Norfolk");
			return cw_fail(&err);
		}
		home = home_buf;
	}
	p[0] = as_of;
	p[1] = group;
	r = cw_db_query(ctx->db, compare_sql, 2, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		cw_error_set(&err, CW_EXIT_NOTFOUND, "no comparison counts%s%s: import CQC's national ratings"
			     " file (import cqc-ratings keeps every authority's counts)", as_of ? " on or before " : "",
			     as_of ? as_of : "");
		return cw_fail(&err);
	}
	rows = calloc((size_t)n, sizeof(*rows));
	shares = calloc((size_t)n, sizeof(*shares));
	if (rows == NULL || shares == NULL) {
		PQclear(r);
		free(rows);
		free(shares);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	snprintf(date, sizeof(date), "%s", PQgetvalue(r, 0, 2));
	for (int i = 0; i < n; i++) {
		struct la_row *x = &rows[i];
		snprintf(x->name, sizeof(x->name), "%s", PQgetvalue(r, i, 0));
		snprintf(x->region, sizeof(x->region), "%s", PQgetvalue(r, i, 1));
		for (int k = 0; k < 3; k++) {
			x->rated[k] = atol(PQgetvalue(r, i, 3 + 2 * k));
			x->gob[k] = atol(PQgetvalue(r, i, 4 + 2 * k));
		}
		x->share = pct(x->gob[0], x->rated[0]);
		if (strcasecmp(x->name, home) == 0)
			me = x;
	}
	/* The scope: the group's members, a region, or the home council's region. */
	if (region == NULL && group == NULL) {
		if (me == NULL) {
			PQclear(r);
			cw_error_field(&err, "local-authority", "no local authority '%.60s' in the counts of %s",
				       home, date);
			free(rows);
			free(shares);
			return cw_fail(&err);
		}
		region = me->region;
	}
	for (int i = 0; i < n; i++) {
		struct la_row *x = &rows[i];
		x->in_scope = group ? PQgetvalue(r, i, 9)[0] == 't' : strcasecmp(x->region, region) == 0;
		pooled[1][0] += x->rated[0];
		pooled[1][1] += x->gob[0];
		if (x->in_scope) {
			pooled[0][0] += x->rated[0];
			pooled[0][1] += x->gob[0];
			shares[nscope++] = x->share;
		}
	}
	PQclear(r);
	{
		char home_name[256];
		snprintf(home_name, sizeof(home_name), "%.200s", me ? me->name : home);
		qsort(rows, (size_t)n, sizeof(*rows), by_share);
		me = NULL;
		for (int i = 0; i < n; i++)
			if (strcasecmp(rows[i].name, home_name) == 0)
				me = &rows[i];
	}
	/* Equal shares share a rank (1, 2, 2, 4). */
	for (int i = 0; i < nscope; i++)
		rows[i].rank = i > 0 && rows[i].share == rows[i - 1].share ? rows[i - 1].rank : i + 1;
	qsort(shares, (size_t)nscope, sizeof(*shares), by_double);
	if (nscope > 0)
		median = nscope % 2 ? shares[nscope / 2] : (shares[nscope / 2 - 1] + shares[nscope / 2]) / 2;
	if (group)
		snprintf(scope, sizeof(scope), "group %.60s", group);
	else
		snprintf(scope, sizeof(scope), "%.60s region", region);
	snprintf(title, sizeof(title), "CQC ratings compared, %s: good or outstanding, %s", scope, date);
	t = cw_table_new(title, compare_cols, 7);
	rep = cw_report_new(title);
	if (rep && cw_arg(a, "audience") &&
	    cw_vocab_parse(&cw_report_audience, cw_arg(a, "audience")) == CW_AUDIENCE_PUBLIC) {
		rep->audience = CW_AUDIENCE_PUBLIC;
		pub = rep;
	}
	code = t == NULL;
	for (int i = 0; t && !code && i < nscope; i++) {
		struct la_row *x = &rows[i];
		snprintf(rank, sizeof(rank), "%d", x->rank);
		code = !add(t, rank, x->name, x->rated[0], x->gob[0], x->share, pct(x->gob[1], x->rated[1]),
			    pct(x->gob[2], x->rated[2]), x, pub);
	}
	if (t && !code)
		code = !add(t, "", "median", -1, 0, median, INFINITY, INFINITY, NULL, NULL);
	if (t && !code) {
		char name[200];
		snprintf(name, sizeof(name), "%s average", scope);
		code = !add(t, "", name, pooled[0][0], pooled[0][1], pct(pooled[0][1], pooled[0][0]), INFINITY,
			    INFINITY, NULL, NULL);
	}
	if (t && !code)
		code = !add(t, "", "England", pooled[1][0], pooled[1][1], pct(pooled[1][1], pooled[1][0]),
			    INFINITY, INFINITY, NULL, NULL);
	if (t && !code && me && me->in_scope) {
		char name[200];
		snprintf(name, sizeof(name), "gap to median (%s)", me->name);
		code = !add(t, "", name, -1, 0, me->share - median, INFINITY, INFINITY, NULL, NULL);
		snprintf(footer, sizeof(footer), "%s is ranked %d of %d at %.1f%%; the median is %.1f%%, a gap"
			 " of %.1f points", me->name, me->rank, nscope, me->share, median, me->share - median);
		cw_table_footer(t, footer);
	} else if (t && !code) {
		snprintf(footer, sizeof(footer), "%s is not in the %s", home, scope);
		cw_table_footer(t, footer);
	}
	free(rows);
	free(shares);
	s = t && !code && rep ? cw_report_section_add(rep, "compare", title, &err) : NULL;
	if (s == NULL) {
		cw_table_free(t);
		cw_report_free(rep);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	s->table = t;
	ok = cw_report_print(rep, stdout, ctx->format, ctx->wide ? CW_WIDTH_ALL : ctx->width, ctx->colour);
	cw_report_free(rep);
	if (!ok) {
		cw_error_set(&err, CW_EXIT_FAIL, "could not write the report");
		return cw_fail(&err);
	}
	return CW_EXIT_OK;
}

static const struct cw_opt compare_opts[] = {
	{"region", "R", "compare with the councils of region R (default: the council's own region)", NULL},
	{"group", "NAME", "compare with a group of similar councils (reference data), e.g. family", NULL},
	{"local-authority", "NAME", "the council compared (default: the last ratings import's)", NULL},
	{"as-of", "DATE", "the counts of the latest ratings file on or before DATE (default: the latest)",
	 NULL},
	{"audience", "A", "internal (default) or public: small numbers suppressed", &cw_report_audience},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_report_compare = {
	.name = "report compare",
	.summary = "the council against its region or family group: share rated good or outstanding",
	.help = "Ranks the councils of a region (--region, default the council's own) or of a"
		" comparison group (--group, e.g. family: the similar councils of the quality report) by"
		" the share of their adult social care locations rated good or outstanding, overall and"
		" for care homes and community services, with the median, the group's and England's"
		" averages and the council's gap to the median.  The figures are the counts every"
		" `import cqc-ratings` of CQC's national file keeps for every local authority, at the"
		" file's date.",
	.opts = compare_opts, .min_pos = 0, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_compare,
};
