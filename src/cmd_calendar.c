/*
 * cmd_calendar.c - `carewatch calendar closure add | list | remove`: the
 * council's own closure days, which the working-day calendar skips when it
 * sets a new case's due time (calendar.h; loaded by worklist.c).
 *
 * The rules live in the database (schema/022_closure_days.sql), where psql
 * meets them too: only the quality manager adds or removes a day, never a
 * Saturday or Sunday, never a day already gone, and a removal says why.
 * The client checks what it can before any SQL (the date, the note, and
 * bank holidays, which only calendar.c knows) and reports the server's
 * refusals as they come:
 *
 *   outcome                                   exit
 *   written                                   0
 *   add retried with the same reason          0 ("nothing written")
 *   bad date, weekend, bank holiday, past     2
 *   not the quality manager                   4
 *   remove of a day that is not closed        5
 *   add of a day closed for another reason    7
 *
 * Cases already open keep the due times they were given: the calendar is
 * read when a case is opened, and changing it later does not move them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/output.h"
#include "carewatch/record.h"

#define REASON_MAX 200   /* closure_day.reason's CHECK */
#define NOTE_MAX 2000    /* closure_day_removal.note's CHECK */

static const char *const weekday_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
					    "Friday", "Saturday", "Sunday"};

/* A DATE argument ("today" and "yesterday" too) as YYYY-MM-DD in out;
 * errors name it by field ("invalid closure date '2027-02-30' (...)"). */
static bool
day_arg(const char *field, const char *v, struct cw_date *d, char out[CW_DATE_LEN], struct cw_error *err)
{
	const struct cw_field day_f = {field, CW_F_DATE, NULL, true, 0, CW_F_ANY_DAY, "DATE", "", NULL};
	bool is_null;

	return cw_field_check(&day_f, v, out, CW_DATE_LEN, &is_null, err) &&
	       cw_date_parse(out, field, d, err);
}

/* Checks shared by add and remove: the day and the --note. */
static bool
closure_args(const struct cw_args *a, long note_max, bool one_line, struct cw_date *d,
	     char day[CW_DATE_LEN], struct cw_error *err)
{
	const char *note = cw_arg(a, "note");
	const char *holiday;

	if (!day_arg("closure", a->pos[0], d, day, err))
		return false;
	if (note == NULL)
		return cw_error_field(err, "note", "missing --note TEXT");
	if (!cw_text_check("note", note, note_max, one_line, err))
		return false;
	/* Bank holidays are computed here, not stored: a closure on one would
	 * change nothing, so it is refused as a weekend is (by the server). */
	holiday = cw_calendar_holiday_name(NULL, *d);
	if (holiday != NULL) {
		cw_error_field(err, "day", "%s is a bank holiday (%s), never a working day: closure days are"
			       " the council's own", day, holiday);
		return false;
	}
	return true;
}

static int
run_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	struct cw_date d;
	char day[CW_DATE_LEN], written[8];
	const char *p[2];

	cw_error_clear(&err);
	if (!closure_args(a, REASON_MAX, true, &d, day, &err))
		return cw_fail(&err);
	p[0] = day;
	p[1] = cw_arg(a, "note");
	if (!cw_db_value(ctx->db, "SELECT api.closure_add($1::date, $2)", 2, p, written, sizeof(written),
			 NULL, &err))
		return cw_fail(&err);
	if (written[0] == 't')
		printf("added closure day %s (cases opened from now on skip it; open cases keep their due"
		       " times)\n", day);
	else
		printf("%s is already a closure day for that reason (nothing written)\n", day);
	return CW_EXIT_OK;
}

static int
run_remove(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	struct cw_date d;
	char day[CW_DATE_LEN], reason[8];
	const char *p[2];

	cw_error_clear(&err);
	if (!closure_args(a, NOTE_MAX, false, &d, day, &err))
		return cw_fail(&err);
	p[0] = day;
	p[1] = cw_arg(a, "note");
	/* The reason it had comes back; only whether it came is needed. */
	if (!cw_db_value(ctx->db, "SELECT api.closure_remove($1::date, $2) IS NOT NULL", 2, p, reason,
			 sizeof(reason), NULL, &err))
		return cw_fail(&err);
	printf("removed closure day %s (cases opened from now on count it as a working day; open cases"
	       " keep their due times)\n", day);
	return CW_EXIT_OK;
}

/* --year YYYY: four digits, 0001 to 9999. */
static bool
year_arg(const char *v, int *year, struct cw_error *err)
{
	if (strlen(v) != 4 || strspn(v, "0123456789") != 4 || strcmp(v, "0000") == 0)
		return cw_error_field(err, "year", "invalid year '%.20s' (expected YYYY, e.g. 2027)", v);
	*year = atoi(v);
	return true;
}

static const struct cw_col list_cols[] = {
	{"day", "Day", CW_COL_DATE},
	{"weekday", "Weekday", 0},
	{"reason", "Reason", 0},
};

static int
run_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	struct cw_table *t;
	struct cw_date d;
	PGresult *r;
	char from[CW_DATE_LEN], first[CW_DATE_LEN], last[CW_DATE_LEN], footer[128];
	const char *p[3] = {NULL, NULL, NULL};
	int year = 0, n;

	cw_error_clear(&err);
	if (cw_arg(a, "year") && !year_arg(cw_arg(a, "year"), &year, &err))
		return cw_fail(&err);
	if (cw_arg(a, "from")) {
		if (!day_arg("from", cw_arg(a, "from"), &d, from, &err))
			return cw_fail(&err);
		p[0] = from;
	} else if (year == 0) {
		/* By default the days still to come: those that change due times. */
		cw_date_format(cw_london_date((cw_time)time(NULL)), from, sizeof(from));
		p[0] = from;
	}
	if (year) {
		cw_date_format((struct cw_date){year, 1, 1}, first, sizeof(first));
		cw_date_format((struct cw_date){year, 12, 31}, last, sizeof(last));
		p[1] = first;
		p[2] = last;
	}
	r = cw_db_query(ctx->db, "SELECT to_char(day, 'YYYY-MM-DD'), reason FROM closure_day"
				 " WHERE ($1::date IS NULL OR day >= $1::date)"
				 "   AND ($2::date IS NULL OR day BETWEEN $2::date AND $3::date)"
				 " ORDER BY day", 3, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	n = PQntuples(r);
	t = cw_table_new("Council closure days", list_cols, 3);
	for (int i = 0; t != NULL && i < n; i++) {
		const char *cells[3] = {PQgetvalue(r, i, 0), "", PQgetvalue(r, i, 1)};
		if (cw_date_parse(cells[0], "day", &d, &err))
			cells[1] = weekday_names[cw_date_weekday(d) - 1];
		if (!cw_table_add(t, cells)) {
			cw_table_free(t);
			t = NULL;
		}
	}
	PQclear(r);
	if (t == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	if (year && p[0])
		snprintf(footer, sizeof(footer), "%d closure day%s in %04d from %s", n, n == 1 ? "" : "s", year,
			 from);
	else if (year)
		snprintf(footer, sizeof(footer), "%d closure day%s in %04d", n, n == 1 ? "" : "s", year);
	else
		snprintf(footer, sizeof(footer), "%d closure day%s from %s", n, n == 1 ? "" : "s", from);
	cw_table_footer(t, footer);
	return cw_emit(ctx, t);
}

static const struct cw_opt add_opts[] = {
	{"note", "TEXT", "why the council is closed that day (one line, at most 200 characters)", NULL},
	{NULL, NULL, NULL, NULL},
};

static const struct cw_opt remove_opts[] = {
	{"note", "TEXT", "why the closure day is removed (kept with the removal; at most 2000 characters)",
	 NULL},
	{NULL, NULL, NULL, NULL},
};

static const struct cw_opt list_opts[] = {
	{"year", "YYYY", "the closure days of one calendar year, past ones included", NULL},
	{"from", "DATE", "the closure days from DATE on (default today, unless --year is given)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_calendar_closure_add = {
	.name = "calendar closure add", .synopsis = "DATE",
	.summary = "add a council closure day (skipped when due times are set)",
	.help = "Adds DATE (YYYY-MM-DD, or today) as a day the council is closed: cases opened from"
		" now on do not count it as a working day when their due time is set.  Cases already"
		" open keep their due times.  --note gives the reason, shown by `calendar closure list`."
		"  A weekday only: a Saturday, Sunday or bank holiday is never a working day, so it is"
		" refused (exit 2), as is a day before today.  Adding a day again with the same reason"
		" writes nothing and succeeds; with another reason it is refused (exit 7).  Audited."
		"  Needs the manager role (exit 4 otherwise).",
	.opts = add_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB,
	.run = run_add,
};

const struct cw_cmd cw_cmd_calendar_closure_list = {
	.name = "calendar closure list",
	.summary = "list the council closure days",
	.help = "Lists the council's closure days with their weekday and reason, in date order: by"
		" default those from today on, which are the ones that still change due times.",
	.opts = list_opts, .min_pos = 0, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_list,
};

const struct cw_cmd cw_cmd_calendar_closure_remove = {
	.name = "calendar closure remove", .synopsis = "DATE",
	.summary = "remove a council closure day",
	.help = "Removes DATE from the closure days: cases opened from now on count it as a working"
		" day again; cases already open keep their due times.  --note says why, and is kept"
		" with the removal, with who removed it and when.  Exit 5 when DATE is not a closure"
		" day, 2 for a day before today.  Audited.  Needs the manager role (exit 4 otherwise).",
	.opts = remove_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB,
	.run = run_remove,
};
