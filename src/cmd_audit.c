/*
 * cmd_audit.c - `carewatch audit`: who did what, when, to which record.
 *
 * Reads audit_log (managers and the owner only).  Free text never reaches
 * the audit trail (the trigger records its length), so this output is safe
 * to show on a shared screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"

static int
run_audit(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"at", "When", CW_COL_DATE}, {"role", "Who", CW_COL_ID}, {"table", "Table", CW_COL_ID},
		{"op", "Did", false}, {"row_id", "Row", CW_COL_UUID}, {"change", "What", false},
	};
	struct cw_error err;
	char pid[CW_UUID_LEN], since[16], limit[16];
	const char *p[5] = {NULL, cw_flag(a, "mine") ? cw_db_user(ctx->db) : cw_arg(a, "officer"), NULL,
			    cw_arg(a, "table"), limit};
	struct cw_table *t;
	PGresult *r;
	long n = 200;

	cw_error_clear(&err);
	if (cw_arg(a, "provider")) {
		if (!cw_provider_resolve(ctx->db, cw_arg(a, "provider"), pid, NULL, 0, &err))
			return cw_fail(&err);
		p[0] = pid;
	}
	if (cw_arg(a, "since")) {
		struct cw_date d;
		if (!cw_date_parse(cw_arg(a, "since"), "since", &d, &err))
			return cw_fail(&err);
		cw_date_format(d, since, sizeof(since));
		p[2] = since;
	}
	if (cw_arg(a, "limit")) {
		char *end;
		n = strtol(cw_arg(a, "limit"), &end, 10);
		if (*end != '\0' || n < 1 || n > 100000) {
			cw_error_field(&err, "limit", "invalid --limit '%.20s' (expected 1 to 100000)",
				       cw_arg(a, "limit"));
			return cw_fail(&err);
		}
	}
	snprintf(limit, sizeof(limit), "%ld", n);
	r = cw_db_query(ctx->db,
			"SELECT to_char(a.at, 'YYYY-MM-DD HH24:MI:SS'), a.role, a.tbl, a.op, a.row_id,"
			" a.change::text FROM audit_log a"
			" WHERE ($1::text IS NULL OR a.row_id = $1 OR a.change ->> 'provider_id' = $1"
			"   OR a.change ->> 'case_id' IN (SELECT id::text FROM case_file WHERE provider_id::text = $1))"
			" AND ($2::text IS NULL OR a.role = $2)"
			" AND ($3::date IS NULL OR a.at >= ($3::date)::timestamp AT TIME ZONE 'Europe/London')"
			" AND ($4::text IS NULL OR a.tbl = $4)"
			" ORDER BY a.at DESC, a.id DESC LIMIT $5::int",
			5, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	t = cw_db_table(r, "Audit trail (newest first)", cols, 6);
	PQclear(r);
	return cw_emit(ctx, t);
}

static const struct cw_opt audit_opts[] = {
	{"provider", "P", "only changes to this provider and its records and cases", NULL},
	{"officer", "LOGIN", "only changes made by this login", NULL},
	{"mine", NULL, "only my own changes", NULL},
	{"since", "DATE", "only changes on or after DATE", NULL},
	{"table", "TABLE", "only changes to this table (concern, case_file, ...)", NULL},
	{"limit", "N", "at most N rows (default 200)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_audit = {
	.name = "audit", .summary = "who did what and when (managers)",
	.help = "Every insert, update and delete is audited with the database login, time, table, "
		"row and what changed; free text is recorded by length only.",
	.opts = audit_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_audit,
};
