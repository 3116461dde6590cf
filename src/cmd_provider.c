/*
 * cmd_provider.c - `carewatch provider add | find | list | show`.
 *
 * `provider show` is a provider's whole picture on one screen; `list` is the
 * ranked list the team targets proactive visits from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/report.h"
#include "carewatch/record.h"

static int
run_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_provider_new p = {
		.id = cw_arg(a, "id"), .name = a->pos[0], .care_type = cw_arg(a, "care-type"),
		.locality = cw_arg(a, "locality"), .cqc_location_id = cw_arg(a, "cqc-id"),
		.cqc_provider_id = cw_arg(a, "cqc-provider-id"),
		.organisation = cw_arg(a, "organisation"), .beds = cw_arg(a, "beds"),
		.registered = cw_arg(a, "registered"), .postcode = cw_arg(a, "postcode"),
	};
	struct cw_error err;
	char id[CW_UUID_LEN];
	bool already = false;

	cw_error_clear(&err);
	if (p.care_type == NULL) {
		char exp[256];
		cw_error_field(&err, "care-type", "missing --care-type (expected %s)",
			       cw_vocab_expected(&cw_vocab_care_type, exp, sizeof(exp)));
		return cw_fail(&err);
	}
	if (!cw_provider_add(ctx->db, &p, id, &already, &err))
		return cw_fail(&err);
	printf("%s provider %s %s\n", already ? "already recorded:" : "added", id, p.name);
	return CW_EXIT_OK;
}

static const struct cw_col list_cols[] = {
	{"name", "Provider", false}, {"care_type", "Care type", CW_COL_HIDE(1)},
	{"locality", "Locality", CW_COL_HIDE(2)}, {"cqc_location_id", "CQC ID", CW_COL_ID},
	{"score", "Score", true}, {"band", "Band", false}, {"trend", "Trend", CW_COL_HIDE(3)},
	{"open_cases", "Open cases", true}, {"id", "ID", CW_COL_UUID},
};

/* Rows of list_cols from r, whose columns are in that order. */
static struct cw_table *
provider_table(const char *title, PGresult *r)
{
	struct cw_table *t = cw_table_new(title, list_cols, 9);

	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[9];
		for (int c = 0; c < 9; c++)
			cells[c] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
		cw_table_add(t, cells);
		if (cells[5] && (strcmp(cells[5], "high") == 0 || strcmp(cells[5], "very_high") == 0))
			cw_table_mark_last(t, "!");
	}
	return t;
}

#define PROVIDER_COLUMNS                                                                      \
	" p.name, p.care_type, p.locality, p.cqc_location_id, s.score::text, s.band,"          \
	" CASE WHEN s.previous_score IS NULL THEN '' WHEN s.score > s.previous_score THEN 'up'"\
	"      WHEN s.score < s.previous_score THEN 'down' ELSE 'same' END,"                   \
	" (SELECT count(*) FROM case_file c WHERE c.provider_id = p.id AND c.state <> 'closed')::text,"\
	" p.id::text"

static int
run_find(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field limit_f = {"limit", CW_F_INT, NULL, false, 0, 1000000, "N", "", "50"};
	char limit[16];
	const char *p[2] = {a->pos[0], limit};
	struct cw_error err;
	struct cw_table *t;
	bool is_null;
	long total;
	PGresult *r;

	cw_error_clear(&err);
	if (!cw_field_check(&limit_f, cw_arg(a, "limit"), limit, sizeof(limit), &is_null, &err))
		return cw_fail(&err);
	/* The count of every match comes with the rows shown (never cut silently). */
	r = cw_db_query(ctx->db,
			"SELECT" PROVIDER_COLUMNS ", count(*) OVER ()"
			" FROM provider p LEFT JOIN provider_current_score s ON s.provider_id = p.id"
			" WHERE lower(p.name) LIKE '%' || replace(replace(replace(lower($1), '\\', '\\\\'),"
			"  '%', '\\%'), '_', '\\_') || '%'"
			"  OR p.cqc_location_id = $1 OR p.id::text = lower($1)"
			" ORDER BY similarity(lower(p.name), lower($1)) DESC, p.name"
			" LIMIT nullif($2::int, 0)",
			2, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	total = PQntuples(r) > 0 ? atol(PQgetvalue(r, 0, PQnfields(r) - 1)) : 0;
	t = provider_table(NULL, r);
	if (total > PQntuples(r)) {
		char footer[128];
		snprintf(footer, sizeof(footer), "(showing %d of %ld matches, the closest first; --limit 0 for all)",
			 PQntuples(r), total);
		cw_table_footer(t, footer);
	}
	PQclear(r);
	return cw_emit(ctx, t);
}

static int
run_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *sort = cw_arg(a, "sort");
	const char *p[3] = {cw_arg(a, "band"), cw_arg(a, "care-type"), cw_arg(a, "locality")};
	char loc[64], locname[128];
	struct cw_error err;
	PGresult *r;
	int band, ct;

	cw_error_clear(&err);
	/* The parser has validated both; normalise "Very high" to very_high. */
	if (p[0] && (band = cw_vocab_parse(&cw_vocab_risk, p[0])) >= 0)
		p[0] = cw_vocab_risk.words[band];
	if (p[1] && (ct = cw_vocab_parse(&cw_vocab_care_type, p[1])) >= 0)
		p[1] = cw_vocab_care_type.words[ct];
	if (sort && strcmp(sort, "score") != 0 && strcmp(sort, "name") != 0) {
		cw_error_field(&err, "sort", "invalid --sort '%.20s' (expected score or name)", sort);
		return cw_fail(&err);
	}
	/* An unknown locality is a mistake to say, not an empty list. */
	if (p[2]) {
		if (!cw_locality_resolve(ctx->db, p[2], loc, sizeof(loc), locname, sizeof(locname), &err))
			return cw_fail(&err);
		p[2] = loc;
	}
	r = cw_db_query(ctx->db,
			sort && strcmp(sort, "name") == 0
				? "SELECT" PROVIDER_COLUMNS
				  " FROM provider p LEFT JOIN provider_current_score s ON s.provider_id = p.id"
				  " WHERE p.status = 'active' AND ($1::text IS NULL OR s.band = $1)"
				  " AND ($2::text IS NULL OR p.care_type = $2)"
				  " AND ($3::text IS NULL OR p.locality = lower($3))"
				  " ORDER BY p.name"
				: "SELECT" PROVIDER_COLUMNS
				  " FROM provider p LEFT JOIN provider_current_score s ON s.provider_id = p.id"
				  " WHERE p.status = 'active' AND ($1::text IS NULL OR s.band = $1)"
				  " AND ($2::text IS NULL OR p.care_type = $2)"
				  " AND ($3::text IS NULL OR p.locality = lower($3))"
				  " ORDER BY s.score DESC NULLS LAST, p.name",
			3, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	{
		struct cw_table *t = provider_table("Providers by risk", r);
		PQclear(r);
		return cw_emit(ctx, t);
	}
}

/* One query's rows as a small table under a heading.  limit: the query's
 * $2, or NULL for a query of $1 alone; a query with one column more than
 * the table gives in it the count of all its rows (*total, else the rows
 * returned), so a cut section says how much it cut.  A NULL is kept: empty
 * in a table, null in JSON. */
static struct cw_table *
section(struct cw_ctx *ctx, const char *title, const struct cw_col *cols, int ncols, const char *sql,
	const char *pid, const char *limit, long *total, struct cw_error *err)
{
	const char *p[2] = {pid, limit};
	PGresult *r = cw_db_query(ctx->db, sql, limit ? 2 : 1, p, err);
	struct cw_table *t;

	if (r == NULL)
		return NULL;
	t = cw_table_new(title, cols, ncols);
	if (t == NULL) {
		PQclear(r);
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		return NULL;
	}
	*total = PQntuples(r);
	if (PQnfields(r) == ncols + 1 && PQntuples(r) > 0)
		*total = atol(PQgetvalue(r, 0, ncols));
	if (*total > PQntuples(r)) {
		char footer[128];
		snprintf(footer, sizeof(footer), "(showing %d of %ld; --limit 0 for all)", PQntuples(r),
			 *total);
		cw_table_footer(t, footer);
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[8];
		for (int c = 0; c < ncols && c < 8; c++)
			cells[c] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
		if (!cw_table_add(t, cells)) {
			PQclear(r);
			cw_table_free(t);
			cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			return NULL;
		}
	}
	PQclear(r);
	return t;
}

/* "  label        value": a stored value on one line, escaped. */
static void
show_field(const char *label, const char *value)
{
	printf("  %-12s ", label);
	cw_text_put(stdout, value, NULL);
	putchar('\n');
}

/* The sections of `provider show`, in order.  Each query takes the
 * provider's id as $1; the table and JSON ask for codes where the table
 * shows labels (CQC domains and ratings). */
static const struct cw_col case_cols[] = {
	{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"risk", "Risk", false},
	{"state", "State", false}, {"due", "Due", CW_COL_DATE}, {"officer", "Officer", CW_COL_ID},
};
static const struct cw_col open_cols[] = {
	{"what", "What", false}, {"kind", "Kind", false}, {"from", "From", CW_COL_DATE},
	{"to", "Until", CW_COL_DATE},
};
static const struct cw_col cqc_cols[] = {
	{"domain", "Domain", false}, {"rating", "Rating", false}, {"published", "Published", CW_COL_DATE},
};
static const struct cw_col tl_cols[] = {
	{"date", "Date", CW_COL_DATE}, {"kind", "Kind", false}, {"detail", "Detail", false},
};

static const struct show_section {
	const char *title, *key;       /* table heading, JSON member */
	const struct cw_col *cols;
	int ncols;
	bool limited;                  /* takes --limit as $2 */
	const char *sql, *json_sql;    /* json_sql NULL: sql */
} show_sections[] = {
	{"Open cases", "open_cases", case_cols, 5, false,
	 "SELECT number::text, risk, state, coalesce(to_char(due_at, 'YYYY-MM-DD HH24:MI'), '-'),"
	 " coalesce(assigned_to, '(unassigned)') FROM case_file"
	 " WHERE provider_id = $1 AND state <> 'closed' ORDER BY due_at NULLS LAST",
	 "SELECT number::text, risk, state, to_char(due_at, 'YYYY-MM-DD HH24:MI'), assigned_to"
	 " FROM case_file WHERE provider_id = $1 AND state <> 'closed' ORDER BY due_at NULLS LAST"},
	{"Open restrictions and notices", "restrictions_and_notices", open_cols, 4, false,
	 "SELECT 'restriction', r.kind, r.starts_on::text, coalesce(r.ends_on::text, '')"
	 " FROM restriction_current r WHERE r.provider_id = $1"
	 " AND NOT EXISTS (SELECT 1 FROM restriction_lift l WHERE l.restriction_id = r.id)"
	 " AND (r.ends_on IS NULL OR r.ends_on >= current_date)"
	 " UNION ALL SELECT 'notice', n.kind, n.issued_on::text, ''"
	 " FROM performance_notice_current n WHERE n.provider_id = $1"
	 " AND (n.closed_on IS NULL OR n.closed_on > current_date) ORDER BY 3",
	 "SELECT 'restriction', r.kind, r.starts_on::text, r.ends_on::text"
	 " FROM restriction_current r WHERE r.provider_id = $1"
	 " AND NOT EXISTS (SELECT 1 FROM restriction_lift l WHERE l.restriction_id = r.id)"
	 " AND (r.ends_on IS NULL OR r.ends_on >= current_date)"
	 " UNION ALL SELECT 'notice', n.kind, n.issued_on::text, NULL"
	 " FROM performance_notice_current n WHERE n.provider_id = $1"
	 " AND (n.closed_on IS NULL OR n.closed_on > current_date) ORDER BY 3"},
	{"Latest CQC ratings", "cqc_ratings", cqc_cols, 3, false,
	 "SELECT DISTINCT ON (domain) CASE domain WHEN 'well_led' THEN 'Well-led'"
	 " ELSE initcap(domain) END, replace(initcap(replace(rating, '_', ' ')), 'Requires Improvement',"
	 " 'Requires improvement'), published_on::text FROM cqc_rating_current WHERE provider_id = $1"
	 " ORDER BY domain, published_on DESC",
	 "SELECT DISTINCT ON (domain) domain, rating, published_on::text FROM cqc_rating_current"
	 " WHERE provider_id = $1 ORDER BY domain, published_on DESC"},
	{"Timeline", "timeline", tl_cols, 3, true,
	 "SELECT x.*, count(*) OVER () FROM ("
	 " SELECT to_char(received_at, 'YYYY-MM-DD') d, 'concern' k, risk || ' risk, ' || category"
	 "  || CASE WHEN safeguarding THEN ', safeguarding' ELSE '' END || ': ' || summary FROM concern_current WHERE provider_id = $1"
	 " UNION ALL SELECT to_char(visited_at, 'YYYY-MM-DD'), kind || ' visit', replace(outcome, '_', ' ')"
	 "  FROM visit_current WHERE provider_id = $1"
	 " UNION ALL SELECT referred_on::text, 'safeguarding', category || ' (' || outcome || ')'"
	 "  FROM safeguarding_current WHERE provider_id = $1"
	 " UNION ALL SELECT published_on::text, 'CQC', string_agg(domain || ' ' || rating, ', ')"
	 "  FROM cqc_rating_current WHERE provider_id = $1 GROUP BY published_on"
	 " UNION ALL SELECT inspected_on::text, 'IPC', result || coalesce(' ' || score || '%', '')"
	 "  FROM ipc_inspection_current WHERE provider_id = $1"
	 " UNION ALL SELECT surveyed_on::text, 'survey', satisfaction || '% satisfied of ' || respondents"
	 "  FROM survey_current WHERE provider_id = $1"
	 " UNION ALL SELECT starts_on::text, 'restriction', kind || ' placements: ' || reason"
	 "  FROM restriction_current WHERE provider_id = $1"
	 " UNION ALL SELECT issued_on::text, 'notice', kind || ': ' || reason"
	 "  FROM performance_notice_current WHERE provider_id = $1"
	 " UNION ALL SELECT occurred_on::text, 'loss', kind || ', ' || beds_lost || ' beds'"
	 "  FROM provider_loss_current WHERE provider_id = $1"
	 " UNION ALL SELECT to_char(changed_at, 'YYYY-MM-DD'), 'edit', replace(field, '_', ' ') || ' '"
	 "  || coalesce(old_value, 'none') || ' -> ' || coalesce(new_value, 'none')"
	 "  FROM provider_change WHERE provider_id = $1"
	 ") x ORDER BY 1 DESC LIMIT nullif($2::int, 0)", NULL},
};
#define N_SHOW_SECTIONS ((int)(sizeof(show_sections) / sizeof(show_sections[0])))

/* The header of provider show as JSON: codes, not labels, and null for
 * what is not known. */
static const struct cw_col show_json_cols[] = {
	{"id", "ID", CW_COL_UUID}, {"name", "Provider", false}, {"care_type", "Care type", false},
	{"locality", "Locality", false}, {"cqc_location_id", "CQC ID", CW_COL_ID},
	{"organisation", "Organisation", false}, {"beds", "Beds", CW_COL_NUMBER},
	{"status", "Status", false}, {"score", "Score", CW_COL_NUMBER}, {"band", "Band", false},
	{"previous_score", "Previous score", CW_COL_NUMBER},
	{"scored_at", "Scored", CW_COL_DATE}, {"restriction_flag", "Flag", CW_COL_BOOL},
};
#define N_SHOW_JSON_COLS ((int)(sizeof(show_json_cols) / sizeof(show_json_cols[0])))

/* provider show --format json: one object, the header's members then an
 * array for each section, and timeline_total (the timeline's length before
 * --limit). */
static int
show_json(struct cw_ctx *ctx, const char *pid, const char *limit)
{
	const char *p[1] = {pid};
	struct cw_error err;
	struct cw_table *head, *sec[N_SHOW_SECTIONS] = {NULL};
	long total[N_SHOW_SECTIONS] = {0};
	const char *cells[N_SHOW_JSON_COLS];
	PGresult *r;
	int rc = CW_EXIT_OK;

	cw_error_clear(&err);
	r = cw_db_query(ctx->db,
			"SELECT p.id, p.name, p.care_type, p.locality, p.cqc_location_id, o.name,"
			" p.beds::text, p.status, s.score::text, s.band, s.previous_score::text,"
			" to_char(s.updated_at, 'YYYY-MM-DD HH24:MI'), coalesce(s.flag, false)::text"
			" FROM provider p LEFT JOIN organisation o ON o.id = p.organisation_id"
			" LEFT JOIN provider_current_score s ON s.provider_id = p.id WHERE p.id = $1",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	head = cw_table_new(NULL, show_json_cols, N_SHOW_JSON_COLS);
	for (int c = 0; c < N_SHOW_JSON_COLS; c++)
		cells[c] = PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
	if (head == NULL || !cw_table_add(head, cells)) {
		PQclear(r);
		cw_table_free(head);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	PQclear(r);
	for (int i = 0; i < N_SHOW_SECTIONS && rc == CW_EXIT_OK; i++) {
		const struct show_section *x = &show_sections[i];
		sec[i] = section(ctx, x->title, x->cols, x->ncols, x->json_sql ? x->json_sql : x->sql, pid,
				 x->limited ? limit : NULL, &total[i], &err);
		if (sec[i] == NULL)
			rc = cw_fail(&err);
	}
	if (rc == CW_EXIT_OK) {
		fputc('{', stdout);
		cw_json_members(head, 0, stdout);
		for (int i = 0; i < N_SHOW_SECTIONS; i++) {
			printf(",\n \"%s\": ", show_sections[i].key);
			cw_json_array(sec[i], stdout);
			if (show_sections[i].limited)
				printf(",\n \"%s_total\": %ld", show_sections[i].key, total[i]);
		}
		fputs("}\n", stdout);
	}
	cw_table_free(head);
	for (int i = 0; i < N_SHOW_SECTIONS; i++)
		cw_table_free(sec[i]);
	return rc;
}

static int
run_show(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field limit_f = {"limit", CW_F_INT, NULL, false, 0, 1000000, "N", "",
						"40"};
	struct cw_error err;
	char pid[CW_UUID_LEN], name[304], limit[16];
	const char *p[1] = {pid};
	bool is_null;
	PGresult *r;

	cw_error_clear(&err);
	if (ctx->format != CW_FMT_TABLE && ctx->format != CW_FMT_JSON) {
		cw_error_field(&err, "format", "'carewatch provider show' is a table or JSON, not %s",
			       ctx->format == CW_FMT_CSV ? "CSV" : "HTML");
		cw_error_hint(&err, "use --format json (one object holding every section)");
		return cw_fail(&err);
	}
	if (!cw_field_check(&limit_f, cw_arg(a, "limit"), limit, sizeof(limit), &is_null, &err))
		return cw_fail(&err);
	if (!cw_provider_resolve(ctx->db, a->pos[0], pid, name, sizeof(name), &err))
		return cw_fail(&err);
	if (ctx->format == CW_FMT_JSON)
		return show_json(ctx, pid, limit);
	r = cw_db_query(ctx->db,
			"SELECT p.name, t.label, l.name, coalesce(p.cqc_location_id, '-'),"
			" coalesce(o.name, '-'), coalesce(p.beds::text, '-'), p.status,"
			" coalesce(s.score::text, '-'), coalesce(s.band, '-'),"
			" CASE WHEN s.previous_score IS NULL THEN '' WHEN s.score > s.previous_score"
			"  THEN ' (up from ' || s.previous_score || ')' WHEN s.score < s.previous_score"
			"  THEN ' (down from ' || s.previous_score || ')' ELSE '' END,"
			" coalesce(to_char(s.updated_at, 'YYYY-MM-DD HH24:MI'), 'never'), p.id,"
			" coalesce(s.flag::text, 'false')"
			" FROM provider p JOIN care_type t ON t.code = p.care_type"
			" JOIN locality l ON l.code = p.locality"
			" LEFT JOIN organisation o ON o.id = p.organisation_id"
			" LEFT JOIN provider_current_score s ON s.provider_id = p.id WHERE p.id = $1",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	/* Stored text, shown through the one escaping rule (output.h). */
	cw_text_put(stdout, PQgetvalue(r, 0, 0), NULL);
	putchar('\n');
	show_field("care type", PQgetvalue(r, 0, 1));
	show_field("locality", PQgetvalue(r, 0, 2));
	show_field("CQC ID", PQgetvalue(r, 0, 3));
	show_field("organisation", PQgetvalue(r, 0, 4));
	show_field("beds", PQgetvalue(r, 0, 5));
	show_field("status", PQgetvalue(r, 0, 6));
	show_field("id", PQgetvalue(r, 0, 11));
	printf("  risk score   %s, band %s%s (scored %s)%s\n", PQgetvalue(r, 0, 7), PQgetvalue(r, 0, 8),
	       PQgetvalue(r, 0, 9), PQgetvalue(r, 0, 10),
	       PQgetvalue(r, 0, 12)[0] == 't' ? "; placement-restriction flag raised" : "");
	PQclear(r);
	for (int i = 0; i < N_SHOW_SECTIONS; i++) {
		const struct show_section *x = &show_sections[i];
		long total;
		struct cw_table *t = section(ctx, x->title, x->cols, x->ncols, x->sql, pid,
					     x->limited ? limit : NULL, &total, &err);
		if (t == NULL)
			return cw_fail(&err);
		putchar('\n');
		cw_emit(ctx, t);
	}
	return CW_EXIT_OK;
}

static const struct cw_opt add_opts[] = {
	{"care-type", "T", "care type", &cw_vocab_care_type},
	{"locality", "L", "locality (reference data)", NULL},
	{"cqc-id", "ID", "CQC location ID, e.g. 1-1010701645", NULL},
	{"cqc-provider-id", "ID", "CQC provider ID of the organisation", NULL},
	{"organisation", "NAME", "organisation name (with --cqc-provider-id)", NULL},
	{"beds", "N", "number of beds", NULL},
	{"registered", "DATE", "registration date", NULL},
	{"postcode", "PC", "postcode", NULL},
	{"id", "UUID", "the provider's id (made for you; give it to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};

static const struct cw_opt list_opts[] = {
	{"band", "B", "only providers in this risk band", &cw_vocab_risk},
	{"care-type", "T", "only this care type", &cw_vocab_care_type},
	{"locality", "L", "only this locality", NULL},
	{"sort", "KEY", "score (default, highest first) or name", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_provider_add = {
	.name = "provider add", .synopsis = "NAME", .summary = "add a provider (one service at one site)",
	.opts = add_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_add,
};
static const struct cw_opt find_opts[] = {
	{"limit", "N", "at most N matches, the closest first (default 50; 0 for all)", NULL},
	{NULL, NULL, NULL, NULL},
};
const struct cw_cmd cw_cmd_provider_find = {
	.name = "provider find", .synopsis = "TEXT", .summary = "find providers by name, CQC ID or id",
	.opts = find_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_find,
};
static const struct cw_opt show_opts[] = {
	{"limit", "N", "at most N timeline entries, newest first (default 40; 0 for all)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_provider_show = {
	.name = "provider show", .synopsis = "P",
	.summary = "a provider's whole picture: score, cases, restrictions, CQC, timeline",
	.help = "--format json gives one object: the provider's fields (codes, not labels; null for"
		" what is not known), then open_cases, restrictions_and_notices, cqc_ratings and"
		" timeline as arrays, and timeline_total, the timeline's length before --limit.",
	.opts = show_opts, .min_pos = 1, .max_pos = 1,
	.flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_NO_CSV, .run = run_show,
};
const struct cw_cmd cw_cmd_provider_list = {
	.name = "provider list", .summary = "providers ranked by risk score, for targeting visits",
	.opts = list_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_list,
};
