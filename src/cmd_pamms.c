/*
 * cmd_pamms.c - `carewatch pamms add | finalise | standards` and `pamms
 * action add | done | drop | list`: PAMMS audits and their action plans.
 *
 * `pamms add` records a draft through the one recording path (record.h,
 * kind "pamms"), after the checks only the database can answer: the
 * standards rated are loaded ones, the audit followed is the same
 * provider's (named by the first 8 characters of its id, as `list` shows
 * them).  `pamms correct`, `withdraw`, `list` and `show` are every kind's
 * (cmd_correct.c, cmd_records.c); the steps after recording are pamms.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/correct.h"
#include "carewatch/form.h"
#include "carewatch/pamms.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"

/* "Requires Improvement" for "requires_improvement". */
static const char *
rating_label(const char *word)
{
	return cw_vocab_label(&cw_vocab_pamms_rating, cw_vocab_parse(&cw_vocab_pamms_rating, word));
}

/* What falls due after a final audit, one line, or nothing. */
static void
print_due(const struct cw_pamms_state *s)
{
	if (!s->needs_plan)
		return;
	printf("rated %s: the provider's action plan is due by %s (%d days after publication), the"
	       " follow-up audit by %s (%d months)\n", rating_label(s->overall), s->plan_due, s->plan_days,
	       s->follow_up_due, s->follow_up_months);
}

/* The codes of a normalised ratings list ("1=good,8=poor") not among the
 * loaded standards: CW_EXIT_USAGE naming the first and the codes there are. */
static bool
standards_known(struct cw_db *db, const char *list, struct cw_error *err)
{
	char arr[1200] = "{", q[64];
	const char *p[1] = {arr};
	size_t len = 1;
	PGresult *r;

	for (const char *s = list; *s;) {
		size_t n = strcspn(s, "=");
		/* Codes are letters, digits and '.' (field.c): safe in an array literal. */
		len += (size_t)snprintf(arr + len, sizeof(arr) > len ? sizeof(arr) - len : 0, "%s%.*s",
					len > 1 ? "," : "", (int)n, s);
		s += strcspn(s, ",");
		if (*s == ',')
			s++;
	}
	if (len + 2 > sizeof(arr))
		return cw_error_field(err, "standard", "too many --standard ratings");
	snprintf(arr + len, sizeof(arr) - len, "}");
	r = cw_db_query(db,
			"SELECT (SELECT c FROM unnest($1::text[]) WITH ORDINALITY u(c, o)"
			"         WHERE c NOT IN (SELECT code FROM pamms_standard) ORDER BY o LIMIT 1),"
			" (SELECT string_agg(code, ', ' ORDER BY position) FROM pamms_standard)",
			1, p, err);
	if (r == NULL)
		return false;
	if (!PQgetisnull(r, 0, 0)) {
		cw_error_field(err, "standard", "unknown PAMMS standard '%s' (expected %s)",
			       cw_text_escape(PQgetvalue(r, 0, 0), q, sizeof(q)),
			       PQgetisnull(r, 0, 1) ? "a loaded standard: none is loaded" : PQgetvalue(r, 0, 1));
		cw_error_hint(err, "'carewatch pamms standards' lists the standards and their codes");
		PQclear(r);
		return false;
	}
	PQclear(r);
	return true;
}

/* The audit followed as it stands now: the last correction of f, which
 * must not be withdrawn (a follow-up follows a current audit). */
static bool
current_version(struct cw_db *db, struct cw_found *f, struct cw_error *err)
{
	const char *p[1] = {f->id};
	PGresult *r = cw_db_query(db,
				  "WITH RECURSIVE c(id, depth) AS (SELECT $1::uuid, 0 UNION ALL"
				  "  SELECT x.id, c.depth + 1 FROM c JOIN pamms_audit x ON x.supersedes = c.id)"
				  " SELECT c.id::text, EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = c.id)"
				  " FROM c ORDER BY c.depth DESC LIMIT 1",
				  1, p, err);
	bool ok;

	if (r == NULL)
		return false;
	ok = PQntuples(r) == 1 && PQgetvalue(r, 0, 1)[0] != 't';
	if (PQntuples(r) == 1)
		snprintf(f->id, sizeof(f->id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!ok) {
		cw_error_field(err, "follows", "PAMMS audit %s was withdrawn: a follow-up follows a current audit",
			       f->id);
		cw_error_hint(err, "'carewatch pamms list --provider P' shows the current audits");
	}
	return ok;
}

static int
run_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	const struct cw_kind *kind = &cw_kind_pamms;
	const char *values[CW_KIND_MAX_FIELDS] = {0};
	char list[2048], norm[2048] = "", pid[CW_UUID_LEN], pname[304], q[320], *buf;
	struct cw_record_result res;
	struct cw_found followed;
	struct cw_error err;
	int standard = -1, follows = -1;

	cw_error_clear(&err);
	if (a->npos == 0 && !ctx->interactive) {
		cw_error_set(&err, CW_EXIT_USAGE, "'carewatch pamms add' needs P");
		cw_error_hint(&err, "usage: carewatch pamms add P --overall RATING --note TEXT (on a terminal,"
				    " with no P, it asks for each field)");
		return cw_fail(&err);
	}
	for (int i = 0; i < kind->nfields; i++) {
		const struct cw_field *f = &kind->fields[i];
		values[i] = f->type == CW_F_RATINGS ? cw_arg_all(a, f->name, list, sizeof(list)) : cw_arg(a, f->name);
		if (f->type == CW_F_RATINGS)
			standard = i;
		if (f->type == CW_F_UUID)
			follows = i;
	}
	if (a->npos == 0) {
		if (!cw_ctx_connect(ctx, &err))
			return cw_fail(&err);
		return cw_form_record(ctx, kind, values, cw_arg(a, "id"));
	}
	/* Every field as `add` checks it, before any SQL; the audit followed
	 * may be named by its first characters, so it is checked below. */
	if ((buf = malloc(CW_TEXT_BYTES)) == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	for (int i = 0; i < kind->nfields; i++) {
		bool is_null = true;

		if (i == follows)
			continue;
		if (!cw_field_check(&kind->fields[i], values[i], buf, CW_TEXT_BYTES, &is_null, &err)) {
			free(buf);
			return cw_fail(&err);
		}
		if (i == standard && !is_null)
			snprintf(norm, sizeof(norm), "%s", buf);
	}
	free(buf);
	if (!cw_ctx_connect(ctx, &err) || !cw_provider_resolve(ctx->db, a->pos[0], pid, pname, sizeof(pname), &err))
		return cw_fail(&err);
	if (follows >= 0 && values[follows] && values[follows][0]) {
		if (!cw_record_find(ctx->db, kind, values[follows], &followed, &err)) {
			snprintf(err.field, sizeof(err.field), "follows");
			return cw_fail(&err);
		}
		if (strcmp(followed.provider_id, pid) != 0) {
			cw_error_field(&err, "follows", "PAMMS audit %s is not %s's (it is %s's)", followed.id,
				       cw_text_escape(pname, q, sizeof(q)), followed.provider_name);
			cw_error_hint(&err, "a follow-up audit follows the same provider's earlier audit");
			return cw_fail(&err);
		}
		if (!current_version(ctx->db, &followed, &err))
			return cw_fail(&err);
		values[follows] = followed.id;
	}
	if (standard >= 0 && norm[0] && !standards_known(ctx->db, norm, &err))
		return cw_fail(&err);
	if (!cw_record(ctx->db, kind, pid, values, cw_arg(a, "id"), &res, &err))
		return cw_fail(&err);
	(void)cw_record_print(kind, &res);
	if (!res.already)
		printf("it is a draft: 'carewatch pamms finalise %.8s' makes it final when the report is"
		       " published (only a final audit counts in the risk score)\n", res.id);
	return CW_EXIT_OK;
}

static int
run_finalise(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_pamms_state s;
	struct cw_error err;
	bool already;

	cw_error_clear(&err);
	if (!cw_pamms_finalise(ctx->db, a->pos[0], cw_arg(a, "on"), &already, &s, &err))
		return cw_fail(&err);
	if (already)
		printf("already final: PAMMS audit %s for %s, published %s (nothing written)\n", s.id,
		       s.provider_name, s.published);
	else
		printf("PAMMS audit %s for %s is final, published %s: it counts in the risk score from that"
		       " day (the scorer rescores %s)\n", s.id, s.provider_name, s.published, s.provider_name);
	print_due(&s);
	return CW_EXIT_OK;
}

static int
run_action_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_pamms_state s;
	struct cw_error err;
	bool already;
	long number;

	cw_error_clear(&err);
	if (!cw_pamms_action_add(ctx->db, a->pos[0], cw_arg(a, "owner"), cw_arg(a, "due"), cw_arg(a, "note"),
				 cw_arg(a, "id"), &number, &already, &s, &err))
		return cw_fail(&err);
	printf("%s action %ld on the plan of PAMMS audit %.8s for %s (%ld action%s, %ld open)\n",
	       already ? "already recorded (nothing written):" : "added", number, s.id, s.provider_name,
	       s.actions, s.actions == 1 ? "" : "s", s.open_actions);
	return CW_EXIT_OK;
}

static int
run_action_close(struct cw_ctx *ctx, const struct cw_args *a, const char *status)
{
	struct cw_error err;
	bool already;

	cw_error_clear(&err);
	if (!cw_pamms_action_close(ctx->db, a->pos[0], status, &already, &err))
		return cw_fail(&err);
	if (already)
		printf("already %s: action %s (nothing written)\n", status, a->pos[0]);
	else
		printf("action %s is %s\n", a->pos[0], status);
	return CW_EXIT_OK;
}

static int
run_action_done(struct cw_ctx *ctx, const struct cw_args *a)
{
	return run_action_close(ctx, a, "done");
}

static int
run_action_drop(struct cw_ctx *ctx, const struct cw_args *a)
{
	return run_action_close(ctx, a, "dropped");
}

/* ---- lists ---- */

/* Columns: with the owner and the note for those who may read them. */
static const struct cw_col action_cols[2][9] = {
	{{"action", "Action", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", 0},
	 {"audit", "Audit", CW_COL_ID}, {"due", "Due", CW_COL_DATE}, {"status", "Status", 0},
	 {"closed", "Closed", CW_COL_DATE | CW_COL_HIDE(2)}, {"audit_uuid", "Audit UUID", CW_COL_UUID}},
	{{"action", "Action", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", 0},
	 {"audit", "Audit", CW_COL_ID}, {"owner", "Owner", CW_COL_HIDE(3)}, {"due", "Due", CW_COL_DATE},
	 {"status", "Status", 0}, {"closed", "Closed", CW_COL_DATE | CW_COL_HIDE(2)},
	 {"note", "Note", CW_COL_HIDE(1)}, {"audit_uuid", "Audit UUID", CW_COL_UUID}},
};

/* $1 audit, $2 provider, $3 open only, $4 overdue only, $5 the audits'
 * recorder; actions of current audits only. */
#define ACTION_SQL(owner, note)                                                                  \
	"WITH t AS (SELECT (now() AT TIME ZONE 'Europe/London')::date AS d)"                          \
	" SELECT n.number::text, p.name, left(n.audit_id::text, 8)," owner                            \
	"  to_char(n.due_on, 'YYYY-MM-DD'),"                                                          \
	"  CASE WHEN n.status = 'open' AND n.due_on < t.d THEN 'overdue' ELSE n.status END,"          \
	"  coalesce(to_char(n.closed_on, 'YYYY-MM-DD'), '')," note " n.audit_id::text"               \
	" FROM pamms_action n JOIN pamms_audit_current x ON x.id = n.audit_id"                        \
	" JOIN provider p ON p.id = n.provider_id, t"                                                 \
	" WHERE ($1::uuid IS NULL OR n.audit_id = $1) AND ($2::uuid IS NULL OR n.provider_id = $2)"   \
	"   AND (NOT $3::boolean OR n.status = 'open')"                                               \
	"   AND (NOT $4::boolean OR (n.status = 'open' AND n.due_on < t.d))"                          \
	"   AND ($5::text IS NULL OR x.recorded_by = $5)"                                             \
	" ORDER BY n.due_on, n.number"

static int
run_action_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const char *const sql[2] = {ACTION_SQL("", ""), ACTION_SQL(" n.owner,", " n.note,")};
	const char *p[5] = {NULL, NULL, cw_flag(a, "open") ? "t" : "f", cw_flag(a, "overdue") ? "t" : "f",
			    cw_flag(a, "mine") ? cw_db_user(ctx->db) : cw_arg(a, "officer")};
	char pid[CW_UUID_LEN], pname[304], title[400], q[320];
	struct cw_found f;
	struct cw_error err;
	struct cw_table *t;
	bool with;
	PGresult *r;

	cw_error_clear(&err);
	if (a->npos == 1) {
		if (!cw_record_find(ctx->db, &cw_kind_pamms, a->pos[0], &f, &err))
			return cw_fail(&err);
		p[0] = f.id;
	}
	if (cw_arg(a, "provider")) {
		if (!cw_provider_resolve(ctx->db, cw_arg(a, "provider"), pid, pname, sizeof(pname), &err))
			return cw_fail(&err);
		p[1] = pid;
	}
	r = cw_db_query(ctx->db, "SELECT has_column_privilege('pamms_action', 'note', 'SELECT')", 0, NULL, &err);
	if (r == NULL)
		return cw_fail(&err);
	with = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if ((r = cw_db_query(ctx->db, sql[with], 5, p, &err)) == NULL)
		return cw_fail(&err);
	snprintf(title, sizeof(title), "PAMMS actions%s%s", p[0] ? " of audit " : "", p[0] ? p[0] : "");
	if (p[1])
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " at %s",
			 cw_text_escape(pname, q, sizeof(q)));
	if (p[4])
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " of audits recorded by %.64s",
			 p[4]);
	snprintf(title + strlen(title), sizeof(title) - strlen(title), "%s, soonest due first",
		 cw_flag(a, "overdue") ? ", overdue" : cw_flag(a, "open") ? ", open" : "");
	/* Rows one by one (not cw_db_table): an overdue one is marked. */
	t = cw_table_new(title, action_cols[with], with ? 9 : 7);
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[9];
		for (int c = 0; c < (with ? 9 : 7); c++)
			cells[c] = PQgetvalue(r, i, c);
		if (cw_table_add(t, cells) && strcmp(cells[with ? 5 : 4], "overdue") == 0)
			cw_table_mark_last(t, "!");
	}
	PQclear(r);
	return cw_emit(ctx, t);
}

static int
run_standards(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"code", "Code", CW_COL_ID}, {"standard", "Standard", 0}, {"domain", "Domain", 0},
		{"domain_code", "Domain code", CW_COL_ID | CW_COL_HIDE(1)},
	};
	struct cw_error err;
	struct cw_table *t;
	PGresult *r;

	(void)a;
	cw_error_clear(&err);
	r = cw_db_query(ctx->db, "SELECT s.code, s.name, d.name, d.code FROM pamms_standard s"
				 " JOIN pamms_domain d ON d.code = s.domain ORDER BY d.position, s.position",
			0, NULL, &err);
	if (r == NULL)
		return cw_fail(&err);
	t = cw_db_table(r, "PAMMS standards by domain (reference data: api.pamms_standard_set)", cols, 4);
	PQclear(r);
	return cw_emit(ctx, t);
}

static const struct cw_opt finalise_opts[] = {
	{"on", "DATE", "the day the report was published (default today)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt action_add_opts[] = {
	{"owner", "NAME", "who at the provider is responsible (one line)", NULL},
	{"due", "DATE", "when it is to be done by", NULL},
	{"note", "TEXT", "what is to be done (kept out of logs)", NULL},
	{"id", "UUID", "the action's id (made for you; give it to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt action_list_opts[] = {
	{"provider", "P", "only this provider's", NULL},
	{"open", NULL, "only open actions", NULL},
	{"overdue", NULL, "only open actions past their due date", NULL},
	{"officer", "LOGIN", "only actions of audits this officer recorded (whose worklist they are on)", NULL},
	{"mine", NULL, "only actions of audits I recorded", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_pamms_add = {
	.name = "pamms add", .synopsis = "P", .summary = "record a PAMMS audit (a draft until finalised)",
	.help = "P is a provider's name (or an unambiguous part of it), CQC location ID or UUID.  The"
		" overall rating and each standard's (--standard CODE=RATING, repeated, or several"
		" joined by commas) are excellent, good, requires_improvement or poor; the codes are"
		" those 'carewatch pamms standards' lists.  --follows names the same provider's earlier"
		" audit that this one follows up (its id, or the first 8 characters of it), so the audits"
		" before and after support are linked.  The audit is a draft: only 'pamms finalise'"
		" makes it count.  With no P on a terminal, asks for each field in turn.",
	.kind = &cw_kind_pamms, .min_pos = 0, .max_pos = 1, .run = run_add,
};
const struct cw_cmd cw_cmd_pamms_finalise = {
	.name = "pamms finalise", .synopsis = "AUDIT", .summary = "make a draft PAMMS audit final (published)",
	.help = "AUDIT is the audit's id or its first 8 characters.  From the publication day the audit"
		" counts in the risk score ([pamms] in the rules); one rated Requires Improvement or"
		" Poor needs the provider's action plan within action_plan_days and a follow-up audit"
		" follow_up_months later (14 days and 6 months by default), which the command prints."
		"  Run again, it writes nothing.",
	.opts = finalise_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_finalise,
};
const struct cw_cmd cw_cmd_pamms_standards = {
	.name = "pamms standards", .summary = "the PAMMS domains and standards (reference data)",
	.help = "The standards an audit's --standard codes name, by domain: Norfolk's sixteen as"
		" shipped, or the council's own (a quality manager loads them with"
		" api.pamms_domain_set and api.pamms_standard_set; docs/client.md).",
	.max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT, .run = run_standards,
};
const struct cw_cmd cw_cmd_pamms_action_add = {
	.name = "pamms action add", .synopsis = "AUDIT", .summary = "add an action to a PAMMS audit's action plan",
	.help = "For a final audit rated Requires Improvement or Poor: what the provider will do"
		" (--note), who is responsible (--owner) and by when (--due).  An open action past its"
		" due date is on the worklist of the officer who recorded the audit.",
	.opts = action_add_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_action_add,
};
const struct cw_cmd cw_cmd_pamms_action_done = {
	.name = "pamms action done", .synopsis = "N", .summary = "mark a PAMMS action done",
	.help = "N is the action's number, as 'pamms action list' shows it.",
	.min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_action_done,
};
const struct cw_cmd cw_cmd_pamms_action_drop = {
	.name = "pamms action drop", .synopsis = "N", .summary = "drop a PAMMS action no longer needed",
	.help = "N is the action's number, as 'pamms action list' shows it.",
	.min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_action_drop,
};
const struct cw_cmd cw_cmd_pamms_action_list = {
	.name = "pamms action list", .synopsis = "[AUDIT]", .summary = "PAMMS actions, soonest due first",
	.help = "Every action of current audits, or those of AUDIT (its id or first 8 characters);"
		" an open action past its due date shows as overdue.  Owners and notes are shown to"
		" officers and managers.",
	.opts = action_list_opts, .min_pos = 0, .max_pos = 1,
	.flags = CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_PAGE, .run = run_action_list,
};
