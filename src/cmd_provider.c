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
	{"name", "Provider", false}, {"care_type", "Care type", false},
	{"locality", "Locality", false}, {"cqc_location_id", "CQC ID", false},
	{"score", "Score", true}, {"band", "Band", false}, {"trend", "Trend", false},
	{"open_cases", "Open cases", true}, {"id", "ID", false},
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
	const char *p[1] = {a->pos[0]};
	struct cw_error err;
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(ctx->db,
			"SELECT" PROVIDER_COLUMNS
			" FROM provider p LEFT JOIN provider_current_score s ON s.provider_id = p.id"
			" WHERE lower(p.name) LIKE '%' || replace(replace(replace(lower($1), '\\', '\\\\'),"
			"  '%', '\\%'), '_', '\\_') || '%'"
			"  OR p.cqc_location_id = $1 OR p.id::text = lower($1)"
			" ORDER BY similarity(lower(p.name), lower($1)) DESC, p.name LIMIT 50",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	{
		struct cw_table *t = provider_table(NULL, r);
		PQclear(r);
		return cw_emit(ctx, t);
	}
}

static int
run_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *sort = cw_arg(a, "sort");
	const char *p[3] = {cw_arg(a, "band"), cw_arg(a, "care-type"), cw_arg(a, "locality")};
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
const struct cw_cmd cw_cmd_provider_find = {
	.name = "provider find", .synopsis = "TEXT", .summary = "find providers by name, CQC ID or id",
	.min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB | CW_CMD_FORMAT, .run = run_find,
};
const struct cw_cmd cw_cmd_provider_list = {
	.name = "provider list", .summary = "providers ranked by risk score, for targeting visits",
	.opts = list_opts, .max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT, .run = run_list,
};
