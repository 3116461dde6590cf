/*
 * cmd_case.c - `carewatch case list | show | respond | close | assign` and
 * `worklist`: an officer's day.  The worklist is one index scan on
 * case_file_worklist (assigned_to, due_at) for open cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cases.h"
#include "carewatch/cmd.h"
#include "carewatch/pamms.h"
#include "carewatch/record.h"
#include "carewatch/worklist.h"

static const struct cw_col case_cols[] = {
	{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", false},
	{"risk", "Risk", false}, {"state", "State", CW_COL_HIDE(2)},
	{"opened", "Opened", CW_COL_DATE | CW_COL_HIDE(3)}, {"due", "Due", CW_COL_DATE},
	{"officer", "Officer", CW_COL_ID | CW_COL_HIDE(1)}, {"status", "", false},
};

/* Columns in case_cols order; the last says overdue / due today. */
#define CASE_COLUMNS                                                                         \
	" c.number::text, p.name, c.risk, c.state, to_char(c.opened_at, 'YYYY-MM-DD HH24:MI'),"\
	" coalesce(to_char(c.due_at, 'YYYY-MM-DD HH24:MI'), '-'), coalesce(c.assigned_to, '(unassigned)'),"\
	" CASE WHEN c.state = 'open' AND c.due_at < now() THEN 'OVERDUE'"                     \
	"      WHEN c.state = 'open' AND (c.due_at AT TIME ZONE 'Europe/London')::date"        \
	"           = (now() AT TIME ZONE 'Europe/London')::date THEN 'due today'"            \
	"      ELSE '' END"

/* Rows of r as the case table; total > rows shown says so in the footer
 * (nothing is ever cut silently), with how to see them all. */
static int
emit_cases_of(struct cw_ctx *ctx, const char *title, PGresult *r, long total)
{
	struct cw_table *t = cw_table_new(title, case_cols, 8);

	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[8];
		for (int c = 0; c < 8; c++)
			cells[c] = PQgetvalue(r, i, c);
		cw_table_add(t, cells);
		if (strcmp(cells[7], "OVERDUE") == 0)
			cw_table_mark_last(t, "!");
		else if (cells[7][0])
			cw_table_mark_last(t, "*");
	}
	if (total > PQntuples(r)) {
		char footer[128];
		snprintf(footer, sizeof(footer), "(showing %d of %ld; --limit 0 for all)", PQntuples(r),
			 total);
		cw_table_footer(t, footer);
	}
	PQclear(r);
	return cw_emit(ctx, t);
}

static int
emit_cases(struct cw_ctx *ctx, const char *title, PGresult *r)
{
	return emit_cases_of(ctx, title, r, 0);
}

/* --officer LOGIN names someone on the team, or it is exit 5 (as an
 * unknown provider or case is), not an empty list. */
static bool
officer_exists(struct cw_ctx *ctx, const char *login, struct cw_error *err)
{
	const char *p[1] = {login};
	PGresult *r = cw_db_query(ctx->db, "SELECT 1 FROM officer WHERE login = $1", 1, p, err);
	bool found;

	if (r == NULL)
		return false;
	found = PQntuples(r) > 0;
	PQclear(r);
	if (!found) {
		cw_error_set(err, CW_EXIT_NOTFOUND, "no officer has the login '%.64s'", login);
		cw_error_hint(err, "'carewatch officer list' shows the team's logins");
	}
	return found;
}

/* Under the cases, in a table only: the PAMMS follow-up overdue after the
 * final audits the officer recorded (pamms.h).  CSV and JSON stay the
 * case list scripts read; 'pamms action list --overdue --officer L' is the
 * same in any format.  Nothing when nothing is overdue. */
static int
emit_pamms_overdue(struct cw_ctx *ctx, const char *who)
{
	static const struct cw_col cols[] = {
		{"item", "Overdue", 0}, {"provider", "Provider", 0}, {"audit", "PAMMS audit", CW_COL_ID},
		{"rating", "Rated", CW_COL_HIDE(1)}, {"due", "Due", CW_COL_DATE},
		{"days", "Days late", CW_COL_NUMBER},
	};
	struct cw_error err;
	struct cw_table *t;
	char title[160];
	int months, days;
	PGresult *r;

	cw_error_clear(&err);
	if (!cw_pamms_due_rules(ctx->db, &months, &days, &err) ||
	    (r = cw_pamms_overdue(ctx->db, who, days, months, &err)) == NULL)
		return cw_fail(&err);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return CW_EXIT_OK;
	}
	putchar('\n');
	snprintf(title, sizeof(title), "PAMMS follow-up overdue after the audits %.64s recorded (! overdue)",
		 who);
	t = cw_table_new(title, cols, 6);
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[CW_PAMMS__DUE_COLS];
		for (int c = 0; c < CW_PAMMS__DUE_COLS; c++)
			cells[c] = PQgetvalue(r, i, c);
		cells[CW_PAMMS_DUE_RATING] = cw_vocab_label(&cw_vocab_pamms_rating,
							     cw_vocab_parse(&cw_vocab_pamms_rating, cells[CW_PAMMS_DUE_RATING]));
		if (cw_table_add(t, cells))
			cw_table_mark_last(t, "!");
	}
	PQclear(r);
	return cw_emit(ctx, t);
}

static int
run_worklist(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *named = cw_flag(a, "mine") ? NULL : cw_arg(a, "officer");
	const char *who = named ? named : cw_db_user(ctx->db);
	const char *p[1] = {who};
	struct cw_error err;
	char title[160];
	PGresult *r;
	bool officer;

	cw_error_clear(&err);
	/* An unknown login is a mistake to say, not an empty worklist. */
	if (named) {
		if (!officer_exists(ctx, named, &err))
			return cw_fail(&err);
		officer = true;
	} else {
		r = cw_db_query(ctx->db, "SELECT 1 FROM officer WHERE login = $1", 1, p, &err);
		if (r == NULL)
			return cw_fail(&err);
		officer = PQntuples(r) > 0;
		PQclear(r);
	}
	r = cw_db_query(ctx->db,
			"SELECT" CASE_COLUMNS " FROM case_file c JOIN provider p ON p.id = c.provider_id"
			" WHERE c.assigned_to = $1 AND c.state <> 'closed'"
			" ORDER BY c.due_at NULLS LAST, c.number",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	snprintf(title, sizeof(title), "Worklist of %s: open cases by due time (! overdue, * due today)",
		 who);
	if (!officer) {
		/* The database owner, a manager's login that is not on the team:
		 * say why the list is empty rather than show nothing. */
		struct cw_table *t = cw_table_new(title, case_cols, 8);
		char footer[256];

		PQclear(r);
		snprintf(footer, sizeof(footer),
			 "(you are logged in as %.64s, who is not an officer, so no case is assigned to you;"
			 " --officer LOGIN shows an officer's worklist, 'carewatch officer list' the logins)",
			 who);
		cw_table_footer(t, footer);
		return cw_emit(ctx, t);
	}
	if (ctx->format != CW_FMT_TABLE)
		return emit_cases(ctx, title, r);
	(void)emit_cases(ctx, title, r);
	return emit_pamms_overdue(ctx, who);
}

static int
run_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field limit_f = {"limit", CW_F_INT, NULL, false, 0, 1000000, "N", "",
						"500"};
	const char *officer = cw_flag(a, "mine") ? cw_db_user(ctx->db) : cw_arg(a, "officer");
	char limit[16];
	const char *p[5] = {officer, cw_flag(a, "open") || cw_flag(a, "overdue") ? "t" : "f",
			    cw_flag(a, "overdue") ? "t" : "f", cw_flag(a, "unassigned") ? "t" : "f",
			    limit};
	struct cw_error err;
	bool is_null;
	long total;
	PGresult *r;

	cw_error_clear(&err);
	if (!cw_field_check(&limit_f, cw_arg(a, "limit"), limit, sizeof(limit), &is_null, &err))
		return cw_fail(&err);
	if (cw_arg(a, "officer") && !cw_flag(a, "mine") && !officer_exists(ctx, officer, &err))
		return cw_fail(&err);
	/* The count of every matching case comes with the rows shown. */
	r = cw_db_query(ctx->db,
			"SELECT" CASE_COLUMNS ", count(*) OVER ()"
			" FROM case_file c JOIN provider p ON p.id = c.provider_id"
			" WHERE ($1::text IS NULL OR c.assigned_to = $1)"
			" AND (NOT $2::bool OR c.state <> 'closed')"
			" AND (NOT $3::bool OR (c.state = 'open' AND c.due_at < now()))"
			" AND (NOT $4::bool OR (c.assigned_to IS NULL AND c.state <> 'closed'))"
			" ORDER BY c.due_at NULLS LAST, c.number LIMIT nullif($5::int, 0)",
			5, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	total = PQntuples(r) ? atol(PQgetvalue(r, 0, 8)) : 0;
	return emit_cases_of(ctx, NULL, r, total);
}

/* Every step of a case, in the order it happened (schema/018_case_history.sql). */
static const struct cw_col history_cols[] = {
	{"when", "When", CW_COL_DATE}, {"event", "Event", false}, {"detail", "Detail", false},
};
#define HISTORY_SQL                                                                                \
	"SELECT to_char(at, 'YYYY-MM-DD HH24:MI'), kind,"                                          \
	"  CASE kind WHEN 'assigned' THEN coalesce(officer, '(unassigned)') || ' (' || detail"     \
	"   || ', by ' || recorded_by || ')' || coalesce(': ' || note, '')"                         \
	"   ELSE concat_ws(': ', CASE kind WHEN 'opened' THEN detail || ' risk' ELSE nullif(detail, '')"\
	"   END, note) || ' (by ' || recorded_by || ')' END"                                        \
	" FROM case_event WHERE case_id = $1 ORDER BY at, id"

/* The history as a table (title NULL for JSON); NULL with err set. */
static struct cw_table *
history_table(struct cw_ctx *ctx, const char *id, const char *title, struct cw_error *err)
{
	const char *p[1] = {id};
	PGresult *r = cw_db_query(ctx->db, HISTORY_SQL, 1, p, err);
	struct cw_table *t;

	if (r == NULL)
		return NULL;
	t = cw_table_new(title, history_cols, 3);
	for (int i = 0; t && i < PQntuples(r); i++) {
		const char *cells[3] = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)};
		if (!cw_table_add(t, cells)) {
			cw_table_free(t);
			t = NULL;
		}
	}
	PQclear(r);
	if (t == NULL)
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	return t;
}

/* case show --format json: the case's fields (codes and logins; null for
 * what has not happened) and its history as an array. */
static const struct cw_col show_json_cols[] = {
	{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"id", "ID", CW_COL_UUID},
	{"title", "Title", false}, {"provider", "Provider", false},
	{"provider_id", "Provider ID", CW_COL_UUID}, {"risk", "Risk", false},
	{"state", "State", false}, {"officer", "Officer", CW_COL_ID},
	{"opened", "Opened", CW_COL_DATE}, {"due", "Due", CW_COL_DATE},
	{"responded", "Responded", CW_COL_DATE}, {"closed", "Closed", CW_COL_DATE},
	{"concern_category", "Category", false}, {"concern_summary", "Concern", false},
	{"closure_note", "Closure", false}, {"due_explained", "Why due then", false},
};
#define N_SHOW_JSON_COLS ((int)(sizeof(show_json_cols) / sizeof(show_json_cols[0])))

static int
show_json(struct cw_ctx *ctx, const char *id)
{
	const char *p[1] = {id};
	const char *cells[N_SHOW_JSON_COLS];
	struct cw_error err;
	struct cw_table *head, *hist;
	char why[512] = "";
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(ctx->db,
			"SELECT c.number::text, c.id, c.title, p.name, p.id, c.risk, c.state, c.assigned_to,"
			" to_char(c.opened_at, 'YYYY-MM-DD HH24:MI'), to_char(c.due_at, 'YYYY-MM-DD HH24:MI'),"
			" to_char(c.responded_at, 'YYYY-MM-DD HH24:MI'),"
			" to_char(c.closed_at, 'YYYY-MM-DD HH24:MI'), k.category, k.summary, c.closure_note,"
			" extract(epoch FROM c.opened_at)::bigint, extract(epoch FROM c.due_at)::bigint"
			" FROM case_file c JOIN provider p ON p.id = c.provider_id"
			" LEFT JOIN concern k ON k.id = c.concern_id WHERE c.id = $1",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	if (!PQgetisnull(r, 0, 16) &&
	    !cw_worklist_explain_due(ctx->db, PQgetvalue(r, 0, 5), strtoll(PQgetvalue(r, 0, 15), NULL, 10),
				     strtoll(PQgetvalue(r, 0, 16), NULL, 10), why, sizeof(why), &err)) {
		PQclear(r);
		return cw_fail(&err);
	}
	for (int c = 0; c < N_SHOW_JSON_COLS - 1; c++)
		cells[c] = PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
	cells[N_SHOW_JSON_COLS - 1] = why[0] ? why : NULL;
	head = cw_table_new(NULL, show_json_cols, N_SHOW_JSON_COLS);
	if (head == NULL || !cw_table_add(head, cells)) {
		PQclear(r);
		cw_table_free(head);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	PQclear(r);
	if ((hist = history_table(ctx, id, NULL, &err)) == NULL) {
		cw_table_free(head);
		return cw_fail(&err);
	}
	fputc('{', stdout);
	cw_json_members(head, 0, stdout);
	fputs(",\n \"history\": ", stdout);
	cw_json_array(hist, stdout);
	fputs("}\n", stdout);
	cw_table_free(head);
	cw_table_free(hist);
	return CW_EXIT_OK;
}

static int
run_show(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	char id[CW_UUID_LEN];
	const char *p[1] = {id};
	struct cw_table *t;
	PGresult *r;

	cw_error_clear(&err);
	if (ctx->format != CW_FMT_TABLE && ctx->format != CW_FMT_JSON) {
		cw_error_field(&err, "format", "'carewatch case show' is a table or JSON, not %s",
			       ctx->format == CW_FMT_CSV ? "CSV" : "HTML");
		cw_error_hint(&err, "use --format json (one object with the case's history)");
		return cw_fail(&err);
	}
	if (!cw_case_resolve(ctx->db, a->pos[0], id, NULL, &err))
		return cw_fail(&err);
	if (ctx->format == CW_FMT_JSON)
		return show_json(ctx, id);
	r = cw_db_query(ctx->db,
			"SELECT c.number, p.name, c.risk, c.state || CASE WHEN c.withdrawn_at IS NOT NULL"
			"   THEN ' (its concern was withdrawn)' ELSE '' END, c.title,"
			" to_char(c.opened_at, 'YYYY-MM-DD HH24:MI TZ'),"
			" coalesce(to_char(c.due_at, 'YYYY-MM-DD HH24:MI TZ'), 'no response target'),"
			" coalesce(to_char(c.responded_at, 'YYYY-MM-DD HH24:MI TZ'), '-'),"
			" coalesce(to_char(c.closed_at, 'YYYY-MM-DD HH24:MI TZ'), '-'),"
			" coalesce(c.assigned_to, '(unassigned)'), coalesce(k.category, ''),"
			" coalesce(k.summary, ''), coalesce(c.closure_note, ''),"
			" extract(epoch FROM c.opened_at)::bigint,"
			" coalesce(extract(epoch FROM c.due_at)::bigint::text, '')"
			" FROM case_file c JOIN provider p ON p.id = c.provider_id"
			" LEFT JOIN concern k ON k.id = c.concern_id WHERE c.id = $1",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	/* Stored text goes through the one escaping rule (output.h): names
	 * and the title on one line, free text with its lines indented. */
	printf("Case %s: ", PQgetvalue(r, 0, 0));
	cw_text_put(stdout, PQgetvalue(r, 0, 4), NULL);
	fputs("\n  provider   ", stdout);
	cw_text_put(stdout, PQgetvalue(r, 0, 1), NULL);
	printf("\n  risk       %s\n  state      %s\n  officer    ", PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
	cw_text_put(stdout, PQgetvalue(r, 0, 9), NULL);
	printf("\n  opened     %s\n  due        %s\n", PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6));
	/* Deadlines that explain themselves: which days were counted, and why. */
	if (PQgetvalue(r, 0, 14)[0]) {
		char why[512];
		cw_time opened = strtoll(PQgetvalue(r, 0, 13), NULL, 10);
		cw_time due = strtoll(PQgetvalue(r, 0, 14), NULL, 10);

		if (!cw_worklist_explain_due(ctx->db, PQgetvalue(r, 0, 2), opened, due, why, sizeof(why),
					     &err)) {
			PQclear(r);
			return cw_fail(&err);
		}
		printf("             %s\n", why);
	}
	printf("  responded  %s\n  closed     %s\n", PQgetvalue(r, 0, 7), PQgetvalue(r, 0, 8));
	if (PQgetvalue(r, 0, 10)[0]) {
		printf("  concern    %s: ", PQgetvalue(r, 0, 10));
		cw_text_put(stdout, PQgetvalue(r, 0, 11), "             ");
		putchar('\n');
	}
	if (PQgetvalue(r, 0, 12)[0]) {
		fputs("  closure    ", stdout);
		cw_text_put(stdout, PQgetvalue(r, 0, 12), "             ");
		putchar('\n');
	}
	PQclear(r);
	if ((t = history_table(ctx, id, "\nHistory", &err)) == NULL)
		return cw_fail(&err);
	return cw_emit(ctx, t);
}

static int
run_respond(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	bool already = false;

	cw_error_clear(&err);
	if (!cw_case_respond(ctx->db, a->pos[0], cw_arg(a, "kind") ? cw_arg(a, "kind") : "visit",
			     cw_arg(a, "at"), cw_arg(a, "note"), cw_arg(a, "id"), &already, &err))
		return cw_fail(&err);
	printf(already ? "already recorded: response to case %s (nothing written)\n"
		       : "recorded the response to case %s\n", a->pos[0]);
	return CW_EXIT_OK;
}

static int
run_close(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;

	cw_error_clear(&err);
	if (!cw_case_close(ctx->db, a->pos[0], cw_arg(a, "note"), &err))
		return cw_fail(&err);
	printf("closed case %s\n", a->pos[0]);
	return CW_EXIT_OK;
}

static int
run_reopen(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;

	cw_error_clear(&err);
	if (!cw_case_reopen(ctx->db, a->pos[0], cw_arg(a, "note"), &err))
		return cw_fail(&err);
	printf("reopened case %s\n", a->pos[0]);
	return CW_EXIT_OK;
}

static int
run_assign(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	const char *to = cw_flag(a, "mine") ? cw_db_user(ctx->db) : cw_arg(a, "officer");

	cw_error_clear(&err);
	if ((to == NULL) == !cw_flag(a, "unassign")) {
		cw_error_set(&err, CW_EXIT_USAGE, to ? "'carewatch case assign' takes --officer or --unassign, not both"
						: "'carewatch case assign' needs --officer LOGIN, --mine or --unassign");
		return cw_fail(&err);
	}
	if (!cw_case_assign(ctx->db, a->pos[0], to, to ? "manual" : "unassigned", cw_flag(a, "force"),
			    cw_arg(a, "note"), &err))
		return cw_fail(&err);
	printf(to ? "case %s assigned to %s\n" : "case %s is now unassigned%s\n", a->pos[0], to ? to : "");
	return CW_EXIT_OK;
}

static const struct cw_opt list_opts[] = {
	{"mine", NULL, "only my cases", NULL},
	{"officer", "LOGIN", "only this officer's cases", NULL},
	{"open", NULL, "only cases not closed", NULL},
	{"overdue", NULL, "only open cases past their due time", NULL},
	{"unassigned", NULL, "only the unassigned queue", NULL},
	{"limit", "N", "at most N cases, soonest due first (default 500; 0 for all)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt worklist_opts[] = {
	{"officer", "LOGIN", "this officer's worklist", NULL},
	{"mine", NULL, "my own (the default)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_vocab response_kinds = {
	"response kind", (const char *const[]){"visit", "phone", "email", "letter", "meeting"},
	(const char *const[]){"Visit", "Phone call", "Email", "Letter", "Meeting"}, 5,
};
static const struct cw_opt respond_opts[] = {
	{"kind", "K", "how the provider was contacted (default visit)", &response_kinds},
	{"at", "WHEN", "when (YYYY-MM-DD HH:MM, London; default now)", NULL},
	{"note", "TEXT", "what was done (kept out of logs)", NULL},
	{"id", "UUID", "the response's id (to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt close_opts[] = {
	{"note", "TEXT", "why the case is closed", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt reopen_opts[] = {
	{"note", "TEXT", "why the case is reopened (kept out of logs)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt assign_opts[] = {
	{"officer", "LOGIN", "the officer to give it to", NULL},
	{"mine", NULL, "take it yourself", NULL},
	{"unassign", NULL, "put the case back in the unassigned queue", NULL},
	{"force", NULL, "give it to an officer who takes no cases, does not cover the locality"
	 " or is on leave on the day it is due (needs --note)", NULL},
	{"note", "TEXT", "why the assignment is forced (kept with it)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_case_list = {
	.name = "case list", .summary = "list cases by due time",
	.opts = list_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_list,
};
const struct cw_cmd cw_cmd_case_show = {
	.name = "case show", .synopsis = "CASE", .summary = "one case with its history",
	.help = "--format json gives one object: the case's fields (codes and logins; null for what"
		" has not happened: responded, closed, an unassigned officer) and its history as an"
		" array.",
	.min_pos = 1, .max_pos = 1,
	.flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_NO_CSV, .run = run_show,
};
const struct cw_cmd cw_cmd_case_respond = {
	.name = "case respond", .synopsis = "CASE", .summary = "record a response to a case",
	.help = "The first response recorded is the case's response for the response-time target.",
	.opts = respond_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_respond,
};
const struct cw_cmd cw_cmd_case_close = {
	.name = "case close", .synopsis = "CASE", .summary = "close a case with a note",
	.opts = close_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_close,
};
const struct cw_cmd cw_cmd_case_reopen = {
	.name = "case reopen", .synopsis = "CASE", .summary = "reopen a closed case, with a reason",
	.help = "The case goes back to responded if it ever had a response, else to open (and its"
		" response target counts again).  For the case's officer or the quality manager; a"
		" closed case takes no response until it is reopened.",
	.opts = reopen_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_reopen,
};
const struct cw_cmd cw_cmd_case_assign = {
	.name = "case assign", .synopsis = "CASE", .summary = "give a case to an officer",
	.opts = assign_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_assign,
};
const struct cw_cmd cw_cmd_worklist = {
	.name = "worklist", .summary = "an officer's open cases by due time",
	.help = "Your own (the database login you connect as), or with --officer LOGIN another's.",
	.opts = worklist_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_worklist,
};
