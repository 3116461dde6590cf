/*
 * cmd_report.c - `carewatch report ...`: the monthly dashboards, the annual
 * quality report and each of their figures on its own (report.h).
 *
 * Every report takes --format table|csv|json|html; HTML is one self-contained
 * file to open, print or attach.  Monthly reports cover --from..--to (months,
 * both included; by default the twelve months to the last complete month);
 * point-in-time reports take --as-of (default today).  Every report takes
 * --audience internal|public: the dashboard and the annual report are what
 * the council publishes, so as HTML they are public unless asked; every
 * other report and format is internal unless asked.  docs/reports.md
 * defines each figure and the audiences.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/report.h"

#define MAX_MONTHS 120

struct inputs {
	struct cw_report_filter flt;
	char locality[64], locality_name[128];
	struct cw_date as_of, from, to;
};

static struct cw_date
today(void)
{
	return cw_london_date((cw_time)time(NULL));
}

/* A report is of periods that have begun: one still to come is refused,
 * and one still running (this month, this council year) is shown with a
 * warning that its figures are provisional -- the same way by every
 * report.  start and first_after bound the period; what names it
 * ("--to 2026-12"). */
static bool
period_begun(struct cw_date start, struct cw_date first_after, const char *field, const char *what,
	     struct cw_error *err)
{
	struct cw_date now = today(), last = cw_report_add_months((struct cw_date){now.y, now.m, 1}, -1);

	if (cw_date_cmp(first_after, now) <= 0)
		return true;
	if (cw_date_cmp(start, now) <= 0) {
		cw_warn("%s has not ended yet: its figures are provisional (the last complete month is"
			" %04d-%02d)", what, last.y, last.m);
		return true;
	}
	cw_error_field(err, field, "%s has not begun yet: reports are of past and present periods", what);
	cw_error_hint(err, "the last complete month is %04d-%02d (the default)", last.y, last.m);
	return false;
}

static bool
month_begun(struct cw_date month, const char *field, struct cw_error *err)
{
	char what[48];
	struct cw_date first = {month.y, month.m, 1};

	snprintf(what, sizeof(what), "--%s %04d-%02d", field, month.y, month.m);
	return period_begun(first, cw_report_add_months(first, 1), field, what, err);
}

/* Care type, locality, --as-of and --from/--to, validated and defaulted. */
static bool
read_inputs(struct cw_ctx *ctx, const struct cw_args *a, struct inputs *in, struct cw_error *err)
{
	const char *ct = cw_arg(a, "care-type"), *loc = cw_arg(a, "locality");
	const char *from = cw_arg(a, "from"), *to = cw_arg(a, "to"), *as_of = cw_arg(a, "as-of");
	struct cw_date now = today();
	int months;

	memset(in, 0, sizeof(*in));
	if (!cw_report_session(ctx->db, err))
		return false;
	if (ct) {
		int i = cw_vocab_parse(&cw_vocab_care_type, ct);
		if (i < 0) {
			int ignored;
			return cw_vocab_check(&cw_vocab_care_type, "care-type", ct, &ignored, err);
		}
		in->flt.care_type = cw_vocab_care_type.words[i];
	}
	if (loc) {
		if (!cw_locality_resolve(ctx->db, loc, in->locality, sizeof(in->locality),
					in->locality_name, sizeof(in->locality_name), err))
			return false;
		in->flt.locality = in->locality;
		in->flt.locality_name = in->locality_name;
	}
	in->as_of = now;
	if (as_of && !cw_date_parse(as_of, "as-of", &in->as_of, err))
		return false;
	if (as_of && cw_date_cmp(in->as_of, now) > 0)
		return cw_error_field(err, "as-of", "--as-of %s is in the future (at the latest today)", as_of);
	/* By default the twelve months to the last complete one. */
	in->to = cw_report_add_months((struct cw_date){now.y, now.m, 1}, -1);
	if (to && (!cw_month_parse(to, "to", &in->to, err) || !month_begun(in->to, "to", err)))
		return false;
	in->from = cw_report_add_months(in->to, -11);
	if (from && !cw_month_parse(from, "from", &in->from, err))
		return false;
	if (cw_date_cmp(in->from, in->to) > 0)
		return cw_error_field(err, "from", "--from %04d-%02d is after --to %04d-%02d",
				      in->from.y, in->from.m, in->to.y, in->to.m);
	months = (in->to.y - in->from.y) * 12 + in->to.m - in->from.m + 1;
	if (months > MAX_MONTHS)
		return cw_error_field(err, "from", "the period is %d months long (at most %d)", months,
				      MAX_MONTHS);
	return true;
}

/* The audience asked for, or the default: public for a report the council
 * publishes (published) in the format it publishes it in (HTML), internal
 * otherwise.  The word was checked when the options were parsed. */
static enum cw_audience
audience_of(const struct cw_args *a, enum cw_format format, bool published)
{
	const char *word = cw_arg(a, "audience");

	if (word)
		return cw_vocab_parse(&cw_report_audience, word) == CW_AUDIENCE_PUBLIC ? CW_AUDIENCE_PUBLIC
										   : CW_AUDIENCE_INTERNAL;
	return published && format == CW_FMT_HTML ? CW_AUDIENCE_PUBLIC : CW_AUDIENCE_INTERNAL;
}

/* A new report for the audience asked for.  NULL when out of memory. */
static struct cw_report *
report_for(const struct cw_args *a, enum cw_format format, bool published)
{
	struct cw_report *rep = cw_report_new(NULL);

	if (rep)
		rep->audience = audience_of(a, format, published);
	return rep;
}

/* Print rep in the context's format and free it. */
static int
emit(struct cw_ctx *ctx, struct cw_report *rep)
{
	bool ok = cw_report_print(rep, stdout, ctx->format, ctx->wide ? CW_WIDTH_ALL : ctx->width, ctx->colour);

	cw_report_free(rep);
	if (!ok) {
		struct cw_error err;
		cw_error_clear(&err);
		cw_error_set(&err, CW_EXIT_FAIL, "could not write the report");
		return cw_fail(&err);
	}
	return CW_EXIT_OK;
}

static const struct cw_vocab by_ct_loc = {
	"breakdown", (const char *const[]){"care_type", "locality"},
	(const char *const[]){"Care type", "Locality"}, 2,
};
static const struct cw_vocab by_cat_month = {
	"breakdown", (const char *const[]){"category", "month"},
	(const char *const[]){"Category", "Month"}, 2,
};
static const struct cw_vocab restriction_kinds = {
	"restriction kind", (const char *const[]){"all", "partial", "any"},
	(const char *const[]){"All placements", "Partial", "Any"}, 3,
};

/* One handler for every single report: which one is in the command's name. */
static int
run_single(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *name = a->cmd->name + strlen("report ");
	struct cw_report *rep;
	struct cw_error err;
	struct inputs in;
	bool ok;

	cw_error_clear(&err);
	if (!read_inputs(ctx, a, &in, &err))
		return cw_fail(&err);
	rep = report_for(a, ctx->format, false);
	if (rep == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	if (strcmp(name, "ratings") == 0) {
		ok = cw_report_ratings(ctx->db, rep, &in.flt, in.as_of, &err);
	} else if (strcmp(name, "trend") == 0) {
		double target = NAN;
		ok = !cw_arg(a, "target") || cw_report_pct_parse(cw_arg(a, "target"), "target", &target, &err);
		ok = ok && cw_report_trend(ctx->db, rep, &in.flt, in.from, in.to, target, &err);
	} else if (strcmp(name, "ratings-by-locality") == 0) {
		ok = cw_report_ratings_by(ctx->db, rep, &in.flt, in.as_of, CW_DIM_LOCALITY, &err);
	} else if (strcmp(name, "ratings-by-care-type") == 0) {
		ok = cw_report_ratings_by(ctx->db, rep, &in.flt, in.as_of, CW_DIM_CARE_TYPE, &err);
	} else if (strcmp(name, "shift") == 0) {
		ok = cw_report_shift(ctx->db, rep, &in.flt, in.from, in.to, &err);
	} else if (strcmp(name, "underperforming") == 0) {
		const char *n = cw_arg(a, "inspections");
		char *end = NULL;
		long min = n ? strtol(n, &end, 10) : 2;
		ok = !n || (end != n && *end == '\0' && min >= 1 && min <= 100) ||
		     cw_error_field(&err, "inspections",
				    "invalid --inspections '%.20s' (expected a whole number from 1 to 100)", n);
		ok = ok && cw_report_underperforming(ctx->db, rep, &in.flt, in.as_of, (int)min, &err);
	} else if (strcmp(name, "concerns") == 0) {
		ok = cw_report_concerns(ctx->db, rep, &in.flt, in.from, in.to, &err);
	} else if (strcmp(name, "response") == 0) {
		int target = 90;
		double given;
		if (cw_arg(a, "target")) {
			ok = cw_report_pct_parse(cw_arg(a, "target"), "target", &given, &err);
			target = (int)given;
			if (ok && given != floor(given))
				ok = cw_error_field(&err, "target", "invalid target '%.20s' (expected a whole "
								   "percentage)", cw_arg(a, "target"));
		} else {
			ok = cw_report_response_target(ctx->db, &target, &err);
		}
		ok = ok && cw_report_response(ctx->db, rep, &in.flt, in.from, in.to, target, &err);
	} else if (strcmp(name, "active-cases") == 0) {
		int by = cw_arg(a, "by") ? cw_vocab_parse(&by_ct_loc, cw_arg(a, "by")) : 0;
		ok = cw_report_active_cases(ctx->db, rep, &in.flt, in.from, in.to,
					    by == 1 ? CW_DIM_LOCALITY : CW_DIM_CARE_TYPE, &err);
	} else if (strcmp(name, "safeguarding") == 0) {
		int by = cw_arg(a, "by") ? cw_vocab_parse(&by_cat_month, cw_arg(a, "by")) : 0;
		ok = cw_report_safeguarding(ctx->db, rep, &in.flt, in.from, in.to,
					    by == 1 ? CW_DIM_MONTH : CW_DIM_CATEGORY, &err);
	} else if (strcmp(name, "risk-bands") == 0) {
		ok = cw_report_risk_bands(ctx->db, rep, &in.flt, in.from, in.to, &err);
	} else if (strcmp(name, "restrictions") == 0) {
		int kind = cw_arg(a, "kind") ? cw_vocab_parse(&restriction_kinds, cw_arg(a, "kind")) : 0;
		ok = cw_report_restrictions(ctx->db, rep, &in.flt, in.from, in.to,
					    restriction_kinds.words[kind < 0 ? 0 : kind], &err);
	} else if (strcmp(name, "loss") == 0) {
		ok = cw_report_loss(ctx->db, rep, &in.flt, in.from, in.to, &err);
	} else {
		ok = cw_error_set(&err, CW_EXIT_FAIL, "unknown report '%s'", name);
	}
	if (!ok) {
		cw_report_free(rep);
		return cw_fail(&err);
	}
	if (rep->n == 1)
		snprintf(rep->title, sizeof(rep->title), "%s", rep->sections[0].title);
	return emit(ctx, rep);
}

static const char *
extension(enum cw_format f)
{
	return f == CW_FMT_HTML ? "html" : f == CW_FMT_CSV ? "csv" : f == CW_FMT_JSON ? "json" : "txt";
}

/* Write one dashboard to dir/dashboard-YYYY-MM-<scope>.<ext>. */
static bool
write_dashboard(struct cw_ctx *ctx, const struct cw_args *a, const struct cw_report_filter *flt,
		struct cw_date month, const char *dir, enum cw_format format, struct cw_error *err)
{
	struct cw_report *rep = report_for(a, format, true);
	char path[4096];
	FILE *f;
	bool ok;

	if (rep == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	if (!cw_report_dashboard(ctx->db, rep, flt, month, err)) {
		cw_report_free(rep);
		return false;
	}
	snprintf(path, sizeof(path), "%s/dashboard-%04d-%02d-%s.%s", dir, month.y, month.m,
		 flt->locality ? flt->locality : "county", extension(format));
	f = fopen(path, "w");
	if (f == NULL) {
		cw_report_free(rep);
		return cw_error_set(err, CW_EXIT_FAIL, "cannot write %s: %s", path, strerror(errno));
	}
	ok = cw_report_print(rep, f, format, 0, false);
	ok = fclose(f) == 0 && ok;
	cw_report_free(rep);
	if (!ok)
		return cw_error_set(err, CW_EXIT_FAIL, "could not write %s", path);
	printf("wrote %s\n", path);
	return true;
}

/* --out DIR: made when missing, with its parents, as mkdir -p makes them;
 * something there that is not a directory is refused. */
static bool
make_dir(const char *dir, struct cw_error *err)
{
	char path[1024];
	struct stat st;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return cw_error_field(err, "out", "invalid --out '%.200s'", dir);
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (stat(path, &st) != 0) {
			if (errno != ENOENT || (mkdir(path, 0777) != 0 && errno != EEXIST))
				return cw_error_field(err, "out", "cannot make the directory '%.200s': %s", path,
						      strerror(errno));
		} else if (!S_ISDIR(st.st_mode)) {
			return cw_error_field(err, "out", "--out '%.200s': '%.200s' is not a directory", dir,
					      path);
		}
		if (i < len)
			path[i] = '/';
	}
	return true;
}

static int
run_dashboard(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *mtext = cw_arg(a, "month"), *dir = cw_arg(a, "out") ? cw_arg(a, "out") : ".";
	struct cw_error err;
	struct cw_date month;
	struct inputs in;
	struct cw_report *rep;

	cw_error_clear(&err);
	if (mtext == NULL) {
		cw_error_field(&err, "month", "missing --month YYYY-MM");
		return cw_fail(&err);
	}
	if (!cw_month_parse(mtext, "month", &month, &err) || !month_begun(month, "month", &err) ||
	    !read_inputs(ctx, a, &in, &err))
		return cw_fail(&err);
	if (cw_flag(a, "all")) {
		/* Files, one per locality and one for the county: HTML unless asked. */
		enum cw_format format = cw_arg(a, "format") ? ctx->format : CW_FMT_HTML;
		PGresult *r;
		if (in.flt.locality) {
			cw_error_set(&err, CW_EXIT_USAGE, "give --locality or --all, not both");
			return cw_fail(&err);
		}
		if (!make_dir(dir, &err))
			return cw_fail(&err);
		if (!write_dashboard(ctx, a, &in.flt, month, dir, format, &err))
			return cw_fail(&err);
		r = cw_report_localities(ctx->db, &err);
		if (r == NULL)
			return cw_fail(&err);
		for (int i = 0; i < PQntuples(r); i++) {
			struct cw_report_filter one = {.locality = PQgetvalue(r, i, 0),
						       .locality_name = PQgetvalue(r, i, 1)};
			if (!write_dashboard(ctx, a, &one, month, dir, format, &err)) {
				PQclear(r);
				return cw_fail(&err);
			}
		}
		PQclear(r);
		return CW_EXIT_OK;
	}
	if (cw_arg(a, "out")) {
		cw_error_set(&err, CW_EXIT_USAGE, "--out goes with --all (one dashboard prints to stdout)");
		return cw_fail(&err);
	}
	rep = report_for(a, ctx->format, true);
	if (rep == NULL || !cw_report_dashboard(ctx->db, rep, &in.flt, month, &err)) {
		cw_report_free(rep);
		if (rep == NULL)
			cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	return emit(ctx, rep);
}

static int
run_annual(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	struct cw_report *rep;
	int year;

	cw_error_clear(&err);
	if (cw_arg(a, "year") == NULL) {
		cw_error_field(&err, "year", "missing --year YYYY/YY (e.g. 2017/18)");
		return cw_fail(&err);
	}
	if (!cw_report_year_parse(cw_arg(a, "year"), &year, &err))
		return cw_fail(&err);
	{
		char what[48];
		snprintf(what, sizeof(what), "the council year %04d/%02d", year, (year + 1) % 100);
		if (!period_begun((struct cw_date){year, 4, 1}, (struct cw_date){year + 1, 4, 1}, "year", what,
				  &err))
			return cw_fail(&err);
	}
	if (!cw_report_session(ctx->db, &err))
		return cw_fail(&err);
	rep = report_for(a, ctx->format, true);
	if (rep == NULL || !cw_report_annual(ctx->db, rep, year, &err)) {
		cw_report_free(rep);
		if (rep == NULL)
			cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	return emit(ctx, rep);
}

static int
run_target(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"effective_from", "From", CW_COL_DATE}, {"target", "Good or better target %", true},
		{"recorded_by", "Recorded by", CW_COL_ID}, {"recorded_at", "Recorded", CW_COL_DATE},
	};
	struct cw_error err;
	PGresult *r;

	cw_error_clear(&err);
	if (a->npos == 1) {
		struct cw_date from = today();
		char day[CW_DATE_LEN], pct[16];
		double v;
		const char *p[2] = {day, pct};
		if (!cw_report_pct_parse(a->pos[0], "target", &v, &err) ||
		    (cw_arg(a, "from") && !cw_date_parse(cw_arg(a, "from"), "from", &from, &err)))
			return cw_fail(&err);
		cw_report_iso(from, day);
		snprintf(pct, sizeof(pct), "%.1f", v);
		r = cw_db_query(ctx->db,
				"INSERT INTO report_setting (name, effective_from, value, recorded_by, recorded_at)"
				" VALUES ('good_or_better_target', $1::date, $2::numeric, session_user, now())"
				" ON CONFLICT (name, effective_from) DO NOTHING RETURNING value",
				2, p, &err);
		if (r == NULL)
			return cw_fail(&err);
		if (PQntuples(r) == 0) {
			PQclear(r);
			cw_error_set(&err, CW_EXIT_CONFLICT, "a target from %s is already recorded", day);
			cw_error_hint(&err, "targets are a history: record the new one from another day");
			return cw_fail(&err);
		}
		PQclear(r);
		printf("good-or-better target %s%% from %s\n", pct, day);
		return CW_EXIT_OK;
	}
	if (cw_arg(a, "from")) {
		cw_error_set(&err, CW_EXIT_USAGE, "--from goes with a new target PCT");
		return cw_fail(&err);
	}
	r = cw_db_query(ctx->db,
			"SELECT to_char(effective_from, 'YYYY-MM-DD'), to_char(value, 'FM990.0'), recorded_by,"
			" to_char(recorded_at, 'YYYY-MM-DD HH24:MI')"
			" FROM report_setting WHERE name = 'good_or_better_target' ORDER BY effective_from",
			0, NULL, &err);
	if (r == NULL)
		return cw_fail(&err);
	{
		/* Who recorded a target is the council's own business. */
		static const char title[] = "Good-or-better (RIG) target history";
		struct cw_report *rep = report_for(a, ctx->format, false);
		bool public = rep && rep->audience == CW_AUDIENCE_PUBLIC;
		struct cw_report_section *s = rep ? cw_report_section_add(rep, "target", title, &err) : NULL;

		if (s)
			s->table = cw_report_table_of(r, title, cols, public ? 2 : 4);
		PQclear(r);
		if (s == NULL || s->table == NULL) {
			cw_report_free(rep);
			cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
			return cw_fail(&err);
		}
		snprintf(rep->title, sizeof(rep->title), "%s", title);
		if (public)
			snprintf(rep->withheld, sizeof(rep->withheld),
				 "Who recorded each target, and when, is in the internal version only.");
		return emit(ctx, rep);
	}
}

#define PERIOD_OPTS                                                                           \
	{"from", "YYYY-MM", "first month (default: eleven months before --to)", NULL},       \
	{"to", "YYYY-MM", "last month (default: the last complete month)", NULL}
#define FILTER_OPTS                                                                           \
	{"care-type", "T", "only this care type", &cw_vocab_care_type},                      \
	{"locality", "L", "only this locality (code or name)", NULL}
#define AUDIENCE_OPT                                                                          \
	{"audience", "A", "internal (default) or public: names no provider, suppresses small numbers", \
	 &cw_report_audience}
/* The dashboard and the annual report are what the council publishes. */
#define PUBLISHED_AUDIENCE_OPT                                                                \
	{"audience", "A", "public (default with --format html) or internal (default otherwise)",  \
	 &cw_report_audience}
#define END_OPTS {NULL, NULL, NULL, NULL}

static const struct cw_opt ratings_opts[] = {
	{"as-of", "DATE", "ratings published on or before this day (default today)", NULL},
	FILTER_OPTS, AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt trend_opts[] = {
	PERIOD_OPTS, FILTER_OPTS,
	{"target", "PCT", "good-or-better target (default: the target setting in force)", NULL},
	AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt by_locality_opts[] = {
	{"as-of", "DATE", "ratings published on or before this day (default today)", NULL},
	{"care-type", "T", "only this care type", &cw_vocab_care_type}, AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt by_care_type_opts[] = {
	{"as-of", "DATE", "ratings published on or before this day (default today)", NULL},
	{"locality", "L", "only this locality (code or name)", NULL}, AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt period_opts[] = {PERIOD_OPTS, FILTER_OPTS, AUDIENCE_OPT, END_OPTS};
static const struct cw_opt under_opts[] = {
	{"as-of", "DATE", "ratings published on or before this day (default today)", NULL},
	{"inspections", "N", "at least this many ratings below good (default 2)", NULL},
	FILTER_OPTS, AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt response_opts[] = {
	PERIOD_OPTS, FILTER_OPTS,
	{"target", "PCT", "on-time target (default: the active ruleset's, else 90)", NULL},
	AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt active_opts[] = {
	PERIOD_OPTS, FILTER_OPTS, {"by", "B", "columns by care type (default) or locality", &by_ct_loc},
	AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt sg_opts[] = {
	PERIOD_OPTS, FILTER_OPTS, {"by", "B", "rows by category (default) or month", &by_cat_month},
	AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt restriction_opts[] = {
	PERIOD_OPTS, FILTER_OPTS,
	{"kind", "K", "restrictions on all placements (default), partial, or any", &restriction_kinds},
	AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt dashboard_opts[] = {
	{"month", "YYYY-MM", "the month (required)", NULL},
	{"locality", "L", "one locality's dashboard (default: the county's)", NULL},
	{"all", NULL, "write the county's and every locality's dashboard as files", NULL},
	{"out", "DIR", "directory for --all (default the current one)", NULL},
	PUBLISHED_AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt annual_opts[] = {
	{"year", "YYYY/YY", "the council year, April to March (e.g. 2017/18)", NULL},
	PUBLISHED_AUDIENCE_OPT, END_OPTS,
};
static const struct cw_opt target_opts[] = {
	{"from", "DATE", "the day a new target takes effect (default today)", NULL},
	AUDIENCE_OPT, END_OPTS,
};

#define REPORT(var, nm, sum, hlp, o)                                                          \
	const struct cw_cmd var = {.name = (nm), .summary = (sum), .help = (hlp), .opts = (o), \
				   .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_HTML, \
				   .run = run_single}

REPORT(cw_cmd_report_ratings, "report ratings", "CQC ratings by domain as at a date",
       "Each provider's latest published rating in each domain on or before --as-of: Safe, "
       "Effective, Caring, Responsive, Well-led and Overall by rating.",
       ratings_opts);
REPORT(cw_cmd_report_trend, "report trend", "overall ratings at each month end against the target",
       "Percentages of rated providers at each overall rating and good or better, with the "
       "good-or-better (RIG) target, one row per month end.",
       trend_opts);
REPORT(cw_cmd_report_ratings_by_locality, "report ratings-by-locality",
       "overall ratings by locality as at a date", NULL, by_locality_opts);
REPORT(cw_cmd_report_ratings_by_care_type, "report ratings-by-care-type",
       "overall ratings by care type as at a date", NULL, by_care_type_opts);
REPORT(cw_cmd_report_shift, "report shift", "how re-rated providers' overall ratings moved",
       "Of providers rated before --from and re-rated by the end of --to: up, stayed, down, by "
       "starting rating.",
       period_opts);
REPORT(cw_cmd_report_underperforming, "report underperforming",
       "providers never rated good or better despite N inspections", NULL, under_opts);
REPORT(cw_cmd_report_concerns, "report concerns", "concerns received by month and risk level", NULL,
       period_opts);
REPORT(cw_cmd_report_response, "report response",
       "responses due by month: on time, late, open past due, against the target", NULL,
       response_opts);
REPORT(cw_cmd_report_active_cases, "report active-cases",
       "cases active at each month end by care type or locality", NULL, active_opts);
REPORT(cw_cmd_report_safeguarding, "report safeguarding",
       "safeguardings by category (or month) and care type", NULL, sg_opts);
REPORT(cw_cmd_report_risk_bands, "report risk-bands", "providers by risk band at each month end",
       NULL, period_opts);
REPORT(cw_cmd_report_restrictions, "report restrictions",
       "providers under a placement restriction at each month end", NULL, restriction_opts);
REPORT(cw_cmd_report_loss, "report loss", "provider loss: closures and beds lost by care type", NULL,
       period_opts);

const struct cw_cmd cw_cmd_report_dashboard = {
	.name = "report dashboard", .summary = "the monthly quality dashboard (county or a locality)",
	.help = "Ratings as at the month end, and casework, safeguarding, risk, restrictions and "
		"provider loss over the twelve months to it.  --all writes the county's and every "
		"locality's dashboard (six a month for Norfolk) into --out, as HTML unless --format "
		"says otherwise.  As HTML (what the council publishes) it is the public version "
		"unless --audience internal says otherwise: no provider named beside its risk band or "
		"restriction, small numbers suppressed, a note saying what and why; in other formats "
		"it is internal unless --audience public.",
	.opts = dashboard_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_HTML,
	.run = run_dashboard,
};
const struct cw_cmd cw_cmd_report_annual = {
	.name = "report annual", .summary = "the annual quality report's tables and charts",
	.help = "For a council year, April to March: ratings by domain (all care types and each "
		"sector) at the year end, monthly trends against the target, localities, rating "
		"shift, persistently underperforming providers, casework, safeguarding, risk, "
		"restrictions and provider loss.  As HTML (what the council publishes) it is the "
		"public version unless --audience internal says otherwise: no provider named beside its "
		"risk band or restriction, small numbers suppressed, a note saying what and why; in "
		"other formats it is internal unless --audience public.",
	.opts = annual_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_HTML,
	.run = run_annual,
};
const struct cw_cmd cw_cmd_report_target = {
	.name = "report target", .synopsis = "[PCT]",
	.summary = "show the good-or-better target's history, or set a new target",
	.help = "The RIG target: the share of providers to be rated good or better (80% at first). "
		"Setting one needs the manager role; it applies from --from on.",
	.opts = target_opts, .max_pos = 1, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_target,
};
