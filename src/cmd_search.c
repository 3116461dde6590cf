/*
 * cmd_search.c - `carewatch search TEXT [--provider P] [--since D]`: the
 * notes people wrote, found by word stems.
 *
 * The search itself is api.search (schema/021_search.sql): PostgreSQL text
 * search with the 'english' configuration over concern summaries, visit
 * notes, case notes and flag decision notes, newest first (032).  The
 * function decides who may search (officers and managers, who may read the
 * free text anyway), so psql gets the same answer and the same refusal as
 * this command.  Here: the options are checked, the provider resolved, and
 * the hits printed.  The table shows no ids; CSV and JSON add the
 * provider's and the record's, for a script to follow up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"

/* The first five are the table; ids follow in CSV and JSON only. */
static const struct cw_col search_cols[] = {
	{"date", "Date", false},         {"provider", "Provider", false},
	{"kind", "Kind", false},         {"case", "Case", true},
	{"snippet", "Snippet", false},   {"provider_id", "Provider id", false},
	{"record_id", "Record id", false},
};

static int
run_search(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field limit_f = {"limit", CW_F_INT, NULL, false, 0, 1000000, "N", "",
						"50"};
	static const struct cw_field since_f = {"since", CW_F_DATE, NULL, false, 0, 0, "DATE", "",
						NULL};
	const char *text = a->pos[0];
	char pid[CW_UUID_LEN], since[16], limit[16], shown[96], title[160];
	const char *p[4] = {text, NULL, NULL, limit};
	int ncols = ctx->format == CW_FMT_TABLE ? 5 : 7;
	struct cw_error err;
	struct cw_table *t;
	bool is_null;
	bool more;
	PGresult *r;

	cw_error_clear(&err);
	if (!cw_text_check("TEXT", text, 1000, true, &err))
		return cw_fail(&err);
	if (!cw_field_check(&limit_f, cw_arg(a, "limit"), limit, sizeof(limit), &is_null, &err))
		return cw_fail(&err);
	if (!cw_field_check(&since_f, cw_arg(a, "since"), since, sizeof(since), &is_null, &err))
		return cw_fail(&err);
	if (!is_null)
		p[2] = since;
	if (cw_arg(a, "provider")) {
		if (!cw_provider_resolve(ctx->db, cw_arg(a, "provider"), pid, NULL, 0, &err))
			return cw_fail(&err);
		p[1] = pid;
	}
	r = cw_db_query(ctx->db,
			"SELECT to_char(s.at, 'YYYY-MM-DD'), s.provider, s.kind, s.case_number::text,"
			" s.snippet, s.provider_id::text, s.record_id::text, s.more"
			" FROM api.search($1, $2::uuid, $3::date, $4::int) s",
			4, p, &err);
	if (r == NULL) {
		if (strcmp(err.sqlstate, "22023") == 0)
			cw_error_hint(&err, "TEXT is words, \"a phrase\", -word to leave out"
					    " notes with a word, or 'or' between alternatives");
		return cw_fail(&err);
	}
	more = PQntuples(r) && PQgetvalue(r, 0, 7)[0] == 't';
	snprintf(title, sizeof(title), "Notes matching '%s', newest first",
		 cw_text_escape(text, shown, sizeof(shown)));
	t = cw_db_table(r, title, search_cols, ncols);
	if (more) {
		char footer[160];
		snprintf(footer, sizeof(footer),
			 "(showing the %d newest; more notes match: --limit 0 for all, or narrow with"
			 " --provider or --since)", PQntuples(r));
		cw_table_footer(t, footer);
	}
	PQclear(r);
	return cw_emit(ctx, t);
}

static const struct cw_opt search_opts[] = {
	{"provider", "P", "only this provider's notes (name, CQC location ID or id)", NULL},
	{"since", "DATE", "only notes of records on or after DATE", NULL},
	{"limit", "N", "at most N hits, newest first (default 50; 0 for all)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_search = {
	.name = "search", .synopsis = "TEXT",
	.summary = "find concerns, visit notes, case notes and flag notes by their words",
	.help = "Searches concern summaries, visit notes, case notes (responses, closures,"
		" reopenings, forced assignments) and flag decision notes with PostgreSQL's English"
		" text search: words match by their stem (\"falling\" finds \"falls\"), common words"
		" such as \"the\" are ignored, \"a phrase\" matches words in order, -word leaves out"
		" notes with that word and 'or' between words finds either.  Newest first; matched"
		" words are shown between asterisks.  For QA officers and the"
		" quality manager: readonly and batch logins cannot read notes, so cannot search them.",
	.opts = search_opts, .min_pos = 1, .max_pos = 1,
	.flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_search,
};
