/*
 * cmd_records.c - `carewatch KIND list`, `KIND show ID` and `recent`:
 * finding the records to correct or withdraw, and what became of them.
 *
 * Both come from the kind's one description (record.h): a column per
 * field, the kind's date first, then who recorded it and the record it
 * corrects.  Lists hold current records (what scores use); `show` any
 * record, with its history: recorded, each correction and its reason, a
 * withdrawal.  Free text (a concern's summary, a correction's reason) is
 * shown to those who may read it and left out for read-only logins, which
 * see the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/correct.h"
#include "carewatch/pamms.h"
#include "carewatch/provider.h"

#define NKINDS 10
#define MAX_COLS (CW_KIND_MAX_FIELDS + 8)

/* The CQC kind's rows are one per domain: listed by these, not its fields. */
static const struct cw_field cqc_row_fields[] = {
	{"published", CW_F_DATE, NULL, false, 0, 0, NULL, "", NULL},
	{"domain", CW_F_VOCAB, NULL, false, 0, 0, NULL, "", NULL},
	{"rating", CW_F_VOCAB, NULL, false, 0, 0, NULL, "", NULL},
	{"inspected", CW_F_DATE, NULL, false, 0, 0, NULL, "", NULL},
	{"source", CW_F_VOCAB, NULL, false, 0, 0, NULL, "", NULL},
};
static const char *const cqc_row_columns[] = {"published_on", "domain", "rating", "inspected_on",
					      "source"};

/* One kind's list: its SQL (with and without free text) and columns. */
struct list_spec {
	bool built;
	char table[64];
	char text_column[32];          /* "" when the kind has no free text */
	char sql[2][4096];             /* [with free text] */
	struct cw_col cols[2][MAX_COLS];
	char keys[MAX_COLS][40], labels[MAX_COLS][40];
	int ncols[2];
	int text_index;                /* the text's column in cols[1], or -1 */
	int slot;                      /* the kind's index in cw_kinds */
};

/* "mash-ref" as a JSON key (mash_ref) and a heading (Mash ref). */
static void
names_of(const char *name, char *key, char *label, size_t size)
{
	snprintf(key, size, "%s", name);
	snprintf(label, size, "%s", name);
	for (char *c = key; *c; c++)
		if (*c == '-')
			*c = '_';
	for (char *c = label; *c; c++)
		if (*c == '-')
			*c = ' ';
	if (label[0] >= 'a' && label[0] <= 'z')
		label[0] = (char)(label[0] - 'a' + 'A');
}

/* The field's column as shown: London time, dates, yes/no. */
static void
shown(const struct cw_field *f, const char *c, char *buf, size_t size)
{
	switch (f->type) {
	case CW_F_TIME:
		snprintf(buf, size, "to_char(r.%s AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI')", c);
		break;
	case CW_F_DATE:
		snprintf(buf, size, "to_char(r.%s, 'YYYY-MM-DD')", c);
		break;
	case CW_F_BOOL:
		snprintf(buf, size, "CASE WHEN r.%s THEN 'yes' ELSE 'no' END", c);
		break;
	default:
		snprintf(buf, size, "r.%s::text", c);
		break;
	}
}

static unsigned
flags_of(const struct cw_field *f)
{
	switch (f->type) {
	case CW_F_TIME:
	case CW_F_DATE:
		return CW_COL_DATE;
	case CW_F_BOOL:
		return CW_COL_BOOL;
	case CW_F_INT:
		return CW_COL_NUMBER;
	default:
		return cw_field_free_text(f) ? CW_COL_HIDE(1) : 0;
	}
}

/* The statement behind `KIND list` and `KIND show`, for the current rows
 * (list) or all (show: $4 names the rows):
 *   $1 provider id or NULL, $2 only the caller's, $3 on or after (London
 *   date) or NULL, $4 the rows (uuid[]) or NULL, $5 limit or NULL;
 * columns: the short id, the kind's date, the provider, each other field
 * (free text last, when with_text), recorded by, recorded at, the short id
 * of the record it corrects, the id; then the count of every matching row. */
static const struct list_spec *
spec_of(const struct cw_kind *kind)
{
	static struct list_spec specs[NKINDS];
	struct list_spec *s = NULL;
	const bool cqc = kind == &cw_kind_cqc;
	const struct cw_field *fields = cqc ? cqc_row_fields : kind->fields;
	const int nfields = cqc ? 5 : kind->nfields;
	const char *cols[2 + CW_KIND_MAX_FIELDS] = {0}, *table = "";
	char buf[512];
	int date = -1;

	for (int i = 0; i < cw_kinds_n && i < NKINDS; i++)
		if (cw_kinds[i] == kind) {
			s = &specs[i];
			s->slot = i;
		}
	if (s == NULL)
		return NULL;
	if (s->built)
		return s;
	if (cw_kind_columns(kind, buf, sizeof(buf), &table, cols, 2 + CW_KIND_MAX_FIELDS) < 2)
		return NULL;
	snprintf(s->table, sizeof(s->table), "%s", table);
	if (cqc)
		for (int i = 0; i < 5; i++)
			cols[2 + i] = cqc_row_columns[i];
	for (int i = 0; i < nfields && date < 0; i++)
		if (fields[i].type == CW_F_DATE || fields[i].type == CW_F_TIME)
			date = i;
	s->text_index = -1;
	for (int with = 0; with < 2; with++) {
		char *sql = s->sql[with], col[200];
		size_t len, size = sizeof(s->sql[with]);
		int n = 0, text = -1;

		s->cols[with][n++] = (struct cw_col){"id", "ID", CW_COL_ID};
		names_of(fields[date].name, s->keys[1], s->labels[1], sizeof(s->keys[1]));
		s->cols[with][n++] = (struct cw_col){s->keys[1], s->labels[1], CW_COL_DATE};
		s->cols[with][n++] = (struct cw_col){"provider", "Provider", 0};
		shown(&fields[date], cols[2 + date], col, sizeof(col));
		len = (size_t)snprintf(sql, size, "SELECT left(r.id::text, 8), %s, p.name", col);
		for (int i = 0; i < nfields; i++) {
			if (i == date || cw_field_free_text(&fields[i]))
				continue;
			names_of(fields[i].name, s->keys[n], s->labels[n], sizeof(s->keys[n]));
			s->cols[with][n] = (struct cw_col){s->keys[n], s->labels[n], flags_of(&fields[i])};
			n++;
			shown(&fields[i], cols[2 + i], col, sizeof(col));
			len += (size_t)snprintf(sql + len, size - len, ", %s", col);
		}
		if (kind == &cw_kind_pamms) {
			/* A PAMMS audit's state: a draft, or final since its publication. */
			s->cols[with][n++] = (struct cw_col){"state", "State", 0};
			len += (size_t)snprintf(sql + len, size - len,
						", coalesce((SELECT 'final ' || to_char(f.published_on, 'YYYY-MM-DD')"
						" FROM pamms_final f WHERE f.audit_id = r.id), 'draft')");
		}
		for (int i = 0; i < nfields; i++)
			if (cw_field_free_text(&fields[i])) {
				snprintf(s->text_column, sizeof(s->text_column), "%s", cols[2 + i]);
				text = i;
			}
		if (with && text >= 0) {
			s->text_index = n;
			names_of(fields[text].name, s->keys[n], s->labels[n], sizeof(s->keys[n]));
			s->cols[with][n] = (struct cw_col){s->keys[n], s->labels[n], CW_COL_HIDE(1)};
			n++;
			len += (size_t)snprintf(sql + len, size - len, ", r.%s", cols[2 + text]);
		}
		s->cols[with][n++] = (struct cw_col){"recorded_by", "By", CW_COL_ID | CW_COL_HIDE(2)};
		s->cols[with][n++] = (struct cw_col){"recorded_at", "Recorded", CW_COL_DATE | CW_COL_HIDE(3)};
		s->cols[with][n++] = (struct cw_col){"corrects", "Corrects", CW_COL_ID | CW_COL_HIDE(4)};
		s->cols[with][n++] = (struct cw_col){"uuid", "UUID", CW_COL_UUID};
		s->ncols[with] = n;
		len += (size_t)snprintf(
			sql + len, size - len,
			", r.recorded_by, to_char(r.recorded_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI'),"
			" coalesce(left(r.supersedes::text, 8), ''), r.id::text, count(*) OVER ()"
			" FROM %s r JOIN provider p ON p.id = r.provider_id"
			" WHERE ($1::uuid IS NULL OR r.provider_id = $1)"
			" AND (NOT $2::boolean OR r.recorded_by = session_user)"
			" AND ($3::date IS NULL OR r.%s >= %s)"
			" AND ($4::uuid[] IS NULL OR r.id = ANY ($4::uuid[]))"
			" AND ($4::uuid[] IS NOT NULL OR (NOT EXISTS (SELECT 1 FROM %s s WHERE s.supersedes = r.id)"
			"      AND NOT EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = r.id)))"
			" ORDER BY r.%s DESC, r.recorded_at DESC, r.id LIMIT $5::int",
			s->table, cols[2 + date],
			fields[date].type == CW_F_TIME ? "($3::date::timestamp AT TIME ZONE 'Europe/London')" : "$3::date",
			s->table, cols[2 + date]);
		if (len >= size)
			return NULL;
	}
	s->built = true;
	return s;
}

/* May this login read the kind's free text, and the reasons of
 * corrections and withdrawals (officers and managers)?  reasons may be NULL. */
static bool
reads_text(struct cw_ctx *ctx, const struct list_spec *s, bool *text, bool *reasons, struct cw_error *err)
{
	const char *p[2] = {s->text_column[0] ? s->table : "record_correction",
			    s->text_column[0] ? s->text_column : "reason"};
	PGresult *r = cw_db_query(ctx->db, "SELECT has_column_privilege($1, $2, 'SELECT'),"
					   " has_column_privilege('record_correction', 'reason', 'SELECT')",
				  2, p, err);

	if (r == NULL)
		return false;
	*text = s->text_column[0] && PQgetvalue(r, 0, 0)[0] == 't';
	if (reasons)
		*reasons = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	return true;
}

/* Rows of r (the spec's statement, sql[with]) as a table of its columns;
 * skip_text leaves the free text out (show prints it whole below). */
static struct cw_table *
rows_table(const struct list_spec *s, bool with, bool skip_text, const char *title, const PGresult *r)
{
	struct cw_col cols[MAX_COLS];
	int n = 0, skip = skip_text && with ? s->text_index : -1;
	struct cw_table *t;

	for (int c = 0; c < s->ncols[with]; c++)
		if (c != skip)
			cols[n++] = s->cols[with][c];
	t = cw_table_new(title, cols, n);
	for (int i = 0; t && i < PQntuples(r); i++) {
		const char *cells[MAX_COLS];
		int k = 0;

		for (int c = 0; c < s->ncols[with]; c++)
			if (c != skip)
				cells[k++] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
		if (!cw_table_add(t, cells)) {
			cw_table_free(t);
			return NULL;
		}
	}
	return t;
}

/* Print t (NULL: out of memory), saying when total rows matched and fewer
 * are shown: nothing is cut silently. */
static int
emit_counted(struct cw_ctx *ctx, struct cw_table *t, long total)
{
	struct cw_error err;

	if (t == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	if (total > (long)cw_table_rows(t)) {
		char footer[128];
		snprintf(footer, sizeof(footer), "(showing %zu of %ld; --limit 0 for all)", cw_table_rows(t),
			 total);
		cw_table_footer(t, footer);
	}
	return cw_emit(ctx, t);
}

/* Rows of r, columns 0..n-1, as a table of cols (NULL when out of memory). */
static struct cw_table *
table_from(const char *title, const struct cw_col *cols, int n, const PGresult *r)
{
	struct cw_table *t = cw_table_new(title, cols, n);

	for (int i = 0; t && i < PQntuples(r); i++) {
		const char *cells[MAX_COLS];
		for (int c = 0; c < n && c < MAX_COLS; c++)
			cells[c] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
		if (!cw_table_add(t, cells)) {
			cw_table_free(t);
			return NULL;
		}
	}
	return t;
}

static int
run_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field limit_f = {"limit", CW_F_INT, NULL, false, 0, 1000000, "N", "", "50"};
	static const struct cw_field since_f = {"since", CW_F_DATE, NULL, false, 0, CW_F_ANY_DAY, "DATE", "",
						NULL};
	const struct cw_kind *kind = cw_kind_named(a->cmd->name);
	const struct list_spec *s = spec_of(kind);
	char limit[16], since[16], pid[CW_UUID_LEN], pname[304], title[400], q[320];
	const char *p[5] = {NULL, cw_flag(a, "mine") ? "t" : "f", NULL, NULL, limit};
	struct cw_error err;
	struct cw_table *t;
	bool is_null, with;
	long total;
	PGresult *r;

	cw_error_clear(&err);
	if (s == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "the %s list cannot be built", kind->name);
		return cw_fail(&err);
	}
	if (!cw_field_check(&limit_f, cw_arg(a, "limit"), limit, sizeof(limit), &is_null, &err) ||
	    !cw_field_check(&since_f, cw_arg(a, "since"), since, sizeof(since), &is_null, &err))
		return cw_fail(&err);
	p[2] = is_null ? NULL : since;
	if (strcmp(limit, "0") == 0)
		p[4] = NULL;
	if (cw_arg(a, "provider")) {
		if (!cw_provider_resolve(ctx->db, cw_arg(a, "provider"), pid, pname, sizeof(pname), &err))
			return cw_fail(&err);
		p[0] = pid;
	}
	if (!reads_text(ctx, s, &with, NULL, &err))
		return cw_fail(&err);
	r = cw_db_query(ctx->db, s->sql[with], 5, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	snprintf(title, sizeof(title), "Current %s records", kind->what);
	if (p[0])
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " at %s",
			 cw_text_escape(pname, q, sizeof(q)));
	if (cw_flag(a, "mine"))
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " recorded by %.64s",
			 cw_db_user(ctx->db));
	if (p[2])
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " dated %s or later", since);
	snprintf(title + strlen(title), sizeof(title) - strlen(title), ", newest first");
	total = PQntuples(r) ? atol(PQgetvalue(r, 0, s->ncols[with])) : 0;
	t = rows_table(s, with, false, title, r);
	PQclear(r);
	return emit_counted(ctx, t, total);
}

/* ---- show ---- */

static const struct cw_col history_cols[] = {
	{"when", "When", CW_COL_DATE}, {"step", "Step", 0}, {"by", "By", CW_COL_ID},
	{"record", "Record", CW_COL_ID}, {"because", "Because", 0}, {"uuid", "UUID", CW_COL_UUID},
};

/* The history of the records $1 (uuid[]) of table t: each one's chain of
 * corrections back to the first record and on to the last, and any
 * withdrawal, oldest first.  %1$s the table, %2$s the reason column or
 * NULL (read-only logins). */
#define HISTORY_SQL                                                                                \
	"WITH RECURSIVE back(id, supersedes, depth) AS ("                                          \
	"  SELECT id, supersedes, 0 FROM %1$s WHERE id = ANY ($1::uuid[])"                          \
	"  UNION ALL SELECT x.id, x.supersedes, b.depth - 1 FROM %1$s x JOIN back b ON x.id = b.supersedes),"\
	" fwd(id, depth) AS ("                                                                       \
	"  SELECT id, 0 FROM %1$s WHERE id = ANY ($1::uuid[])"                                      \
	"  UNION ALL SELECT x.id, f.depth + 1 FROM %1$s x JOIN fwd f ON x.supersedes = f.id),"       \
	" chain AS (SELECT id, min(depth) AS depth FROM (SELECT id, depth FROM back UNION ALL"        \
	"  SELECT id, depth FROM fwd) c GROUP BY id)"                                                \
	" SELECT to_char(h.at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI'), h.step, h.who,"  \
	"  left(h.id::text, 8), h.why, h.id::text FROM ("                                            \
	"  SELECT x.recorded_at AS at, CASE WHEN x.supersedes IS NULL THEN 'recorded'"               \
	"         ELSE 'corrected ' || left(x.supersedes::text, 8) END AS step,"                     \
	"         x.recorded_by AS who, x.id, %2$s AS why, ch.depth, 0 AS o"                           \
	"    FROM chain ch JOIN %1$s x ON x.id = ch.id LEFT JOIN record_correction c ON c.id = x.id" \
	"  UNION ALL"                                                                                \
	"  SELECT w.recorded_at, 'withdrawn', w.recorded_by, w.record_id, %3$s, ch.depth, 1"          \
	"    FROM chain ch JOIN record_withdrawal w ON w.record_id = ch.id) h"                        \
	" ORDER BY h.at, h.depth, h.o, h.id"

static struct cw_table *
history_of(struct cw_ctx *ctx, const struct list_spec *s, const char *rows, bool with, const char *title,
	   struct cw_error *err)
{
	static char sql[NKINDS][2][2048];
	char (*slot)[2048] = sql[s->slot];
	const char *p[1] = {rows};
	struct cw_table *t;
	PGresult *r;

	if (slot[with][0] == '\0')
		snprintf(slot[with], sizeof(slot[with]), HISTORY_SQL, s->table, with ? "c.reason" : "NULL::text",
			 with ? "w.reason" : "NULL::text");
	r = cw_db_query(ctx->db, slot[with], 1, p, err);
	if (r == NULL)
		return NULL;
	t = table_from(title, history_cols, 6, r);
	PQclear(r);
	if (t == NULL)
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	return t;
}

/* Where the record stands: current, corrected (by which), withdrawn. */
static bool
status_of(struct cw_ctx *ctx, const struct list_spec *s, const char *rows, char *buf, size_t size,
	  char *case_buf, size_t case_size, struct cw_error *err)
{
	static char sql[NKINDS][1024];
	char (*slot)[1024] = &sql[s->slot];
	const char *p[1] = {rows};
	PGresult *r;

	if ((*slot)[0] == '\0')
		snprintf(*slot, sizeof(*slot),
			 "SELECT coalesce(string_agg(DISTINCT CASE"
			 "  WHEN w.record_id IS NOT NULL THEN 'withdrawn ' || to_char(w.recorded_at AT TIME ZONE"
			 "   'Europe/London', 'YYYY-MM-DD HH24:MI') || ' by ' || w.recorded_by"
			 "  WHEN n.id IS NOT NULL THEN 'corrected by ' || n.id"
			 "  ELSE 'current' END, '; '), ''),"
			 " coalesce((SELECT string_agg(c.number || ' (' || c.state"
			 "   || CASE WHEN c.withdrawn_at IS NOT NULL THEN ', withdrawn' ELSE '' END || ')', ', ')"
			 "   FROM case_file c WHERE c.concern_id = ANY ($1::uuid[])), '')"
			 " FROM unnest($1::uuid[]) u(id)"
			 " LEFT JOIN record_withdrawal w ON w.record_id = u.id"
			 " LEFT JOIN LATERAL (SELECT s.id FROM %s s WHERE s.supersedes = u.id) n ON true",
			 s->table);
	r = cw_db_query(ctx->db, *slot, 1, p, err);
	if (r == NULL)
		return false;
	snprintf(buf, size, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	snprintf(case_buf, case_size, "%s", PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
	PQclear(r);
	return true;
}

/* A PAMMS audit's state under its Status line: final or a draft, what is
 * due after it and its action plan (pamms.h). */
static void
pamms_print(const struct cw_pamms_state *ps)
{
	if (!ps->final) {
		printf("PAMMS: a draft (audited %s; not scored until 'carewatch pamms finalise %.8s')\n",
		       ps->audited, ps->id);
		return;
	}
	printf("PAMMS: final, published %s (scored from that day)\n", ps->published);
	if (ps->needs_plan)
		printf("Action plan: due %s (%d days after publication); %ld action%s, %ld open, %ld overdue"
		       " ('carewatch pamms action list %.8s')\n", ps->plan_due, ps->plan_days, ps->actions,
		       ps->actions == 1 ? "" : "s", ps->open_actions, ps->overdue_actions, ps->id);
	if (ps->followed_by[0])
		printf("Followed up by: PAMMS audit %s\n", ps->followed_by);
	else if (ps->needs_plan)
		printf("Follow-up audit: due %s (%d months after publication)\n", ps->follow_up_due,
		       ps->follow_up_months);
}

static void
json_or_null(const char *s)
{
	if (s[0])
		cw_json_string(stdout, s);
	else
		fputs("null", stdout);
}

static void
pamms_json(const struct cw_pamms_state *ps)
{
	fputs(", \"pamms\": {\"state\": ", stdout);
	cw_json_string(stdout, ps->final ? "final" : "draft");
	fputs(", \"published\": ", stdout);
	json_or_null(ps->published);
	fputs(", \"action_plan_due\": ", stdout);
	json_or_null(ps->plan_due);
	fputs(", \"follow_up_due\": ", stdout);
	json_or_null(ps->follow_up_due);
	printf(", \"actions\": %ld, \"open_actions\": %ld, \"overdue_actions\": %ld, \"followed_by\": ",
	       ps->actions, ps->open_actions, ps->overdue_actions);
	json_or_null(ps->followed_by);
	fputs("}", stdout);
}

static int
run_show(struct cw_ctx *ctx, const struct cw_args *a)
{
	const struct cw_kind *kind = cw_kind_named(a->cmd->name);
	const struct list_spec *s = spec_of(kind);
	char rows[CW_FOUND_ARRAY_LEN], status[512], cases[256], title[400], q[320];
	const char *p[5] = {NULL, "f", NULL, rows, NULL};
	struct cw_found f;
	struct cw_error err;
	struct cw_table *t, *h;
	struct cw_pamms_state ps = {0};
	bool with, reasons;
	PGresult *r;

	cw_error_clear(&err);
	if (s == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "the %s record cannot be shown", kind->name);
		return cw_fail(&err);
	}
	if (ctx->format == CW_FMT_CSV) {
		cw_error_field(&err, "format", "'carewatch %s show' is a table or JSON, not CSV", kind->name);
		cw_error_hint(&err, "use --format json (one object with the record's history), or 'carewatch %s"
				    " list --format csv'", kind->name);
		return cw_fail(&err);
	}
	if (!cw_record_find(ctx->db, kind, a->pos[0], &f, &err))
		return cw_fail(&err);
	cw_found_array(&f, rows, sizeof(rows));
	if (!reads_text(ctx, s, &with, &reasons, &err))
		return cw_fail(&err);
	if ((r = cw_db_query(ctx->db, s->sql[with], 5, p, &err)) == NULL)
		return cw_fail(&err);
	snprintf(title, sizeof(title), "%s %s for %s", kind->what, f.id,
		 cw_text_escape(f.provider_name, q, sizeof(q)));
	title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 'a' + 'A' : title[0]);
	t = rows_table(s, with, ctx->format != CW_FMT_JSON, ctx->format == CW_FMT_JSON ? NULL : title, r);
	if (t == NULL || !status_of(ctx, s, rows, status, sizeof(status), cases, sizeof(cases), &err) ||
	    (h = history_of(ctx, s, rows, reasons, ctx->format == CW_FMT_JSON ? NULL : "\nHistory", &err)) == NULL) {
		PQclear(r);
		cw_table_free(t);
		return cw_fail(&err);
	}
	if (kind == &cw_kind_pamms && !cw_pamms_state(ctx->db, f.id, &ps, &err)) {
		PQclear(r);
		cw_table_free(t);
		cw_table_free(h);
		return cw_fail(&err);
	}
	if (ctx->format == CW_FMT_JSON) {
		fputs("{\"kind\": ", stdout);
		cw_json_string(stdout, kind->name);
		fputs(", \"id\": ", stdout);
		cw_json_string(stdout, f.id);
		fputs(", \"provider\": ", stdout);
		cw_json_string(stdout, f.provider_name);
		fputs(", \"provider_id\": ", stdout);
		cw_json_string(stdout, f.provider_id);
		fputs(", \"status\": ", stdout);
		cw_json_string(stdout, status);
		fputs(", \"case\": ", stdout);
		if (cases[0])
			cw_json_string(stdout, cases);
		else
			fputs("null", stdout);
		if (kind == &cw_kind_pamms)
			pamms_json(&ps);
		fputs(",\n \"rows\": ", stdout);
		cw_json_array(t, stdout);
		fputs(",\n \"history\": ", stdout);
		cw_json_array(h, stdout);
		fputs("}\n", stdout);
		PQclear(r);
		cw_table_free(t);
		cw_table_free(h);
		return CW_EXIT_OK;
	}
	cw_table_footer(t, "");
	cw_table_print(t, stdout, ctx->format, ctx->wide ? 0 : ctx->width, ctx->colour);
	cw_table_free(t);
	/* The text under the table, whole, its lines indented. */
	if (with && s->text_index >= 0 && PQntuples(r) > 0 && !PQgetisnull(r, 0, s->text_index)) {
		printf("%s: ", s->labels[s->text_index]);
		cw_text_put(stdout, PQgetvalue(r, 0, s->text_index), "  ");
		putchar('\n');
	}
	PQclear(r);
	printf("Status: %s\n", status);
	if (cases[0])
		printf("Case: %s\n", cases);
	if (kind == &cw_kind_pamms)
		pamms_print(&ps);
	return cw_emit(ctx, h);
}

/* ---- recent ---- */

static const struct cw_col recent_cols[] = {
	{"recorded_at", "Recorded", CW_COL_DATE}, {"what", "What", 0}, {"id", "ID", CW_COL_ID},
	{"provider", "Provider", 0}, {"detail", "Detail", CW_COL_HIDE(1)}, {"now", "Now", 0},
	{"uuid", "UUID", CW_COL_UUID},
};

/* What the caller recorded across the kinds, newest first; $1 the limit. */
#define MINE(kind, table, detail)                                                                \
	" SELECT '" kind "' AS kind, r.id, r.provider_id, r.recorded_at,"                          \
	"  CASE WHEN r.supersedes IS NULL THEN 'recorded' ELSE 'corrected' END AS step,"         \
	"  " detail " AS detail,"                                                                  \
	"  CASE WHEN EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = r.id) THEN 'withdrawn'"\
	"       WHEN EXISTS (SELECT 1 FROM " table " s WHERE s.supersedes = r.id) THEN 'corrected'" \
	"       ELSE 'current' END AS now"                                                          \
	" FROM " table " r WHERE r.recorded_by = session_user"
#define RECENT_SQL                                                                                \
	"WITH mine AS ("                                                                            \
	MINE("concern", "concern", "r.risk || ' risk, ' || r.category"                              \
	     " || CASE WHEN r.safeguarding THEN ', safeguarding' ELSE '' END") " UNION ALL"          \
	MINE("visit", "visit", "r.kind || ', ' || r.outcome") " UNION ALL"                          \
	MINE("safeguarding", "safeguarding", "r.category || ', ' || r.outcome") " UNION ALL"        \
	MINE("cqc", "cqc_rating", "r.domain || ' ' || r.rating || ', published ' || r.published_on") \
	" UNION ALL"                                                                                 \
	MINE("ipc", "ipc_inspection", "r.result || coalesce(', ' || r.score || '%', '')") " UNION ALL"\
	MINE("survey", "survey", "r.satisfaction || '% satisfied, ' || r.respondents || ' respondents'")\
	" UNION ALL"                                                                                 \
	MINE("notice", "performance_notice", "r.kind || ', issued ' || r.issued_on") " UNION ALL"   \
	MINE("restriction", "restriction", "r.kind || ' placements from ' || r.starts_on")          \
	" UNION ALL"                                                                                 \
	MINE("loss", "provider_loss", "r.kind || CASE WHEN r.beds_lost > 0 THEN ', ' || r.beds_lost"\
	     " || ' beds' ELSE '' END") " UNION ALL"                                                 \
	MINE("pamms", "pamms_audit", "r.overall || ', audited ' || r.audited_on") " UNION ALL"      \
	" SELECT w.kind, w.record_id, w.provider_id, w.recorded_at, 'withdrew', '', 'withdrawn'"    \
	" FROM record_withdrawal w WHERE w.recorded_by = session_user)"                             \
	" SELECT to_char(m.recorded_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI'),"        \
	"  m.kind || ' ' || m.step, left(m.id::text, 8), p.name, m.detail, m.now, m.id::text,"       \
	"  count(*) OVER ()"                                                                          \
	" FROM mine m JOIN provider p ON p.id = m.provider_id"                                      \
	" ORDER BY m.recorded_at DESC, m.id LIMIT $1::int"

static int
run_recent(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field limit_f = {"limit", CW_F_INT, NULL, false, 0, 1000000, "N", "", "20"};
	char limit[16], title[160];
	const char *p[1] = {limit};
	struct cw_error err;
	struct cw_table *t;
	bool is_null;
	long total;
	PGresult *r;

	cw_error_clear(&err);
	if (!cw_field_check(&limit_f, cw_arg(a, "limit"), limit, sizeof(limit), &is_null, &err))
		return cw_fail(&err);
	if (strcmp(limit, "0") == 0)
		p[0] = NULL;
	if ((r = cw_db_query(ctx->db, RECENT_SQL, 1, p, &err)) == NULL)
		return cw_fail(&err);
	snprintf(title, sizeof(title), "Recorded by %s, newest first", cw_db_user(ctx->db));
	t = table_from(title, recent_cols, 7, r);
	total = PQntuples(r) ? atol(PQgetvalue(r, 0, 7)) : 0;
	PQclear(r);
	return emit_counted(ctx, t, total);
}

static const struct cw_opt list_opts[] = {
	{"provider", "P", "only this provider's (name, CQC location ID or UUID)", NULL},
	{"mine", NULL, "only those I recorded", NULL},
	{"since", "DATE", "only those dated on or after DATE (the record's own date; today, yesterday)", NULL},
	{"limit", "N", "at most N rows, newest first (default 50; 0 for all)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt recent_opts[] = {
	{"limit", "N", "at most N rows (default 20; 0 for all)", NULL},
	{NULL, NULL, NULL, NULL},
};

#define LIST_HELP                                                                                \
	"The current records (those scores use: not corrected, not withdrawn), newest first by their" \
	" own date, each with the short id that 'show', 'correct' and 'withdraw' take; a correction"  \
	" names the record it corrects."
#define SHOW_HELP                                                                                \
	"ID as 'list' shows it (or the whole UUID).  Any record, current or not: its fields, where it" \
	" stands (current, corrected by, withdrawn) and its history -- recorded, each correction and" \
	" withdrawal with who, when and --because (for those who may read notes)."

/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define LIST_CMDS(var, nm, plural)                                                              \
	const struct cw_cmd cw_cmd_##var##_list = {                                            \
		.name = nm " list", .summary = "list current " plural ", newest first",          \
		.help = LIST_HELP, .opts = list_opts, .max_pos = 0,                              \
		.flags = CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_PAGE, .run = run_list};              \
	const struct cw_cmd cw_cmd_##var##_show = {                                            \
		.name = nm " show", .synopsis = "ID",                                            \
		.summary = "show one of the " plural ", its corrections and withdrawal",         \
		.help = SHOW_HELP, .min_pos = 1, .max_pos = 1,                                   \
		.flags = CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_NO_CSV | CW_CMD_PAGE, .run = run_show}
/* NOLINTEND(bugprone-macro-parentheses) */

LIST_CMDS(concern, "concern", "concerns");
LIST_CMDS(visit, "visit", "visits");
LIST_CMDS(safeguarding, "safeguarding", "safeguardings");
LIST_CMDS(cqc, "cqc", "CQC ratings");
LIST_CMDS(ipc, "ipc", "IPC inspections");
LIST_CMDS(survey, "survey", "surveys");
LIST_CMDS(notice, "notice", "performance notices");
LIST_CMDS(restriction, "restriction", "placement restrictions");
LIST_CMDS(loss, "loss", "provider losses");
LIST_CMDS(pamms, "pamms", "PAMMS audits");

const struct cw_cmd cw_cmd_recent = {
	.name = "recent", .summary = "what I recorded lately, every kind, newest first",
	.help = "Every record, correction and withdrawal made under my login, newest first, with where"
		" each stands now (current, corrected or withdrawn) and its short id for 'KIND show'.",
	.opts = recent_opts, .max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_PAGE,
	.run = run_recent,
};
