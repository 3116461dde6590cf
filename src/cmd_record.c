/*
 * cmd_record.c - `carewatch concern add`, `visit add`, ... : recording every
 * intelligence kind from its struct cw_kind (record.h), plus
 * `restriction lift`.  Options, help and validation come from the kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/calendar.h"
#include "carewatch/cases.h"
#include "carewatch/cmd.h"
#include "carewatch/form.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"

int
cw_record_print(const struct cw_kind *kind, const struct cw_record_result *res)
{
	if (res->already) {
		printf("already recorded: %s %s for %s (nothing written)\n", kind->what, res->id,
		       res->provider_name);
		return CW_EXIT_OK;
	}
	printf("recorded %s %s for %s\n", kind->what, res->id, res->provider_name);
	if (res->case_number > 0) {
		char due[64] = "no response target";
		if (res->due[0]) {
			cw_time t;
			struct cw_error ign;
			if (cw_time_parse_utc(res->due, "due", &t, &ign))
				cw_time_format(t, due, sizeof(due));
			else
				snprintf(due, sizeof(due), "%s", res->due);
		}
		printf("case %ld opened: due %s, %s%s\n", res->case_number, due,
		       res->assigned_to[0] ? "assigned to " : "waiting in the unassigned queue",
		       res->assigned_to);
	}
	/* The scorer rescores the provider from the stored records (docs/security.md). */
	return CW_EXIT_OK;
}

static int
run_record(struct cw_ctx *ctx, const struct cw_args *a)
{
	const struct cw_kind *kind = a->cmd->kind;
	const char *values[CW_KIND_MAX_FIELDS];
	char list[2048];                /* a repeated option's values (one such field a kind) */
	struct cw_record_result res;
	struct cw_error err;

	cw_error_clear(&err);
	/* No P: the guided form on a terminal (form.h), a usage error
	 * elsewhere -- checked before connecting, as the dispatcher would. */
	if (a->npos == 0 && !ctx->interactive) {
		cw_error_set(&err, CW_EXIT_USAGE, "'carewatch %s' needs P", a->cmd->name);
		cw_error_hint(&err, "usage: carewatch %s P (on a terminal, with no P, it asks for each field)",
			      a->cmd->name);
		return cw_fail(&err);
	}
	if (!cw_ctx_connect(ctx, &err))
		return cw_fail(&err);
	for (int i = 0; i < kind->nfields; i++)
		values[i] = kind->fields[i].type == CW_F_RATINGS
				    ? cw_arg_all(a, kind->fields[i].name, list, sizeof(list))
				    : cw_arg(a, kind->fields[i].name);
	if (a->npos == 0)
		return cw_form_record(ctx, kind, values, cw_arg(a, "id"));
	if (!cw_record(ctx->db, kind, a->pos[0], values, cw_arg(a, "id"), &res, &err))
		return cw_fail(&err);
	return cw_record_print(kind, &res);
}

/* `visit add P --case N`: a response visit is recorded once, as the visit
 * and as the case's response (kind visit, at the visit's time, with its
 * note), instead of `visit add` then `case respond`.  The case is checked
 * first (it exists, is the provider's, is not closed), so a mistake writes
 * nothing; the response takes the visit's id, so a retry with --id writes
 * neither twice. */
static int
run_visit_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	const struct cw_kind *kind = a->cmd->kind;
	const char *values[CW_KIND_MAX_FIELDS], *ref = cw_arg(a, "case");
	struct cw_record_result res;
	struct cw_error err;
	char pid[CW_UUID_LEN], cid[CW_UUID_LEN], pname[304];
	const char *p[1] = {cid};
	bool already = false;
	long number;
	PGresult *r;

	if (ref == NULL)
		return run_record(ctx, a);
	cw_error_clear(&err);
	if (a->npos == 0) {
		cw_error_set(&err, CW_EXIT_USAGE, "'carewatch visit add --case N' needs P");
		return cw_fail(&err);
	}
	if (!cw_ctx_connect(ctx, &err) || !cw_provider_resolve(ctx->db, a->pos[0], pid, pname, sizeof(pname), &err) ||
	    !cw_case_resolve(ctx->db, ref, cid, &number, &err))
		return cw_fail(&err);
	r = cw_db_query(ctx->db, "SELECT provider_id::text, state FROM case_file WHERE id = $1", 1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), pid) != 0) {
		PQclear(r);
		cw_error_field(&err, "case", "case %ld is not %.300s's", number, pname);
		return cw_fail(&err);
	}
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 1), "closed") == 0 && cw_arg(a, "id") == NULL) {
		PQclear(r);
		cw_error_set(&err, CW_EXIT_CONFLICT, "case %ld is closed: nothing recorded", number);
		cw_error_hint(&err, "'carewatch case reopen %ld --note TEXT' first, if it needs a response", number);
		return cw_fail(&err);
	}
	PQclear(r);
	for (int i = 0; i < kind->nfields; i++)
		values[i] = cw_arg(a, kind->fields[i].name);
	if (!cw_record(ctx->db, kind, a->pos[0], values, cw_arg(a, "id"), &res, &err))
		return cw_fail(&err);
	(void)cw_record_print(kind, &res);
	if (!cw_case_respond(ctx->db, ref, "visit", cw_arg(a, "date"), cw_arg(a, "note"), res.id, &already,
			     &err)) {
		cw_error_hint(&err, "the visit is recorded; run the same command again (with --id %s) to"
				    " record the response", res.id);
		return cw_fail(&err);
	}
	printf(already ? "already recorded: the visit as case %ld's response (nothing written)\n"
		       : "recorded the visit as case %ld's response\n", number);
	return CW_EXIT_OK;
}

static const struct cw_opt visit_opts[] = {
	{"case", "N", "the case this visit responds to: recorded as its response too", NULL},
	{NULL, NULL, NULL, NULL},
};

/* One entry per kind; var and kindv are a declarator and an object name,
 * which cannot be parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define RECORD_CMD(var, kindv, nm, sum)                                                      \
	const struct cw_cmd var = {.name = nm, .synopsis = "P", .summary = sum,                \
				   .help = "P is a provider's name (or an unambiguous part of it), " \
					   "CQC location ID or UUID.  With no P on a terminal, " \
					   "asks for each field in turn (a guided form).",   \
				   .kind = &kindv, .min_pos = 0, .max_pos = 1,               \
				   .run = run_record}     /* connects itself: see run_record */
/* NOLINTEND(bugprone-macro-parentheses) */

RECORD_CMD(cw_cmd_concern_add, cw_kind_concern, "concern add",
	   "log a concern; opens a case with a due time and an officer");
const struct cw_cmd cw_cmd_visit_add = {
	.name = "visit add", .synopsis = "P", .summary = "record a monitoring, response or PAMMS visit",
	.help = "P is a provider's name (or an unambiguous part of it), CQC location ID or UUID.  "
		"With no P on a terminal, asks for each field in turn (a guided form).  With --case N "
		"the visit is also case N's response, in one command.",
	.kind = &cw_kind_visit, .opts = visit_opts, .min_pos = 0, .max_pos = 1,
	.run = run_visit_add,
};
RECORD_CMD(cw_cmd_safeguarding_add, cw_kind_safeguarding, "safeguarding add",
	   "record a provider-related safeguarding (MASH referral)");
RECORD_CMD(cw_cmd_cqc_add, cw_kind_cqc, "cqc add", "record a published CQC rating (by domain)");
RECORD_CMD(cw_cmd_ipc_add, cw_kind_ipc, "ipc add", "record a public health IPC inspection");
RECORD_CMD(cw_cmd_survey_add, cw_kind_survey, "survey add", "record a customer satisfaction survey");
RECORD_CMD(cw_cmd_notice_add, cw_kind_notice, "notice add", "record a performance notice");
RECORD_CMD(cw_cmd_restriction_add, cw_kind_restriction, "restriction add",
	   "record a placement restriction (all placements or partial)");
RECORD_CMD(cw_cmd_loss_add, cw_kind_loss, "loss add",
	   "record provider loss: closure, nursing de-registration, beds lost");

struct lift_job {
	const char *params[4];
	int inserted;
};

static bool
lift_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct lift_job *job = ctx;
	char v[8];

	/* api.restriction_lift checks the restriction is current and not lifted
	 * and the day is not before it started; false back is a retry. */
	if (!cw_db_value(db, "SELECT api.restriction_lift($1, $2, $3, $4)", 4, job->params, v,
			 sizeof(v), NULL, err))
		return false;
	job->inserted = v[0] == 't';
	return true;
}

static int
run_lift(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field on_f = {"on", CW_F_DATE, NULL, false, 0, 1, "DATE", "", "today"};
	static const struct cw_field note_f = {"note", CW_F_TEXT, NULL, false, 1, CW_TEXT_MAX, "TEXT", "", NULL};
	struct cw_error err;
	struct lift_job job = {0};
	char on[16], note[CW_TEXT_BYTES], id[CW_UUID_LEN], rid[CW_UUID_LEN] = "";
	char pid[CW_UUID_LEN], pname[304];
	bool is_null;
	const char *ref = a->pos[0];

	cw_error_clear(&err);
	if (!cw_field_check(&on_f, cw_arg(a, "on"), on, sizeof(on), &is_null, &err) ||
	    !cw_field_check(&note_f, cw_arg(a, "note"), note, sizeof(note), &is_null, &err))
		return cw_fail(&err);
	job.params[3] = is_null ? NULL : note;
	if (cw_arg(a, "id") && !cw_uuid_valid(cw_arg(a, "id"))) {
		cw_error_field(&err, "id", "invalid --id '%.40s' (expected a UUID)", cw_arg(a, "id"));
		return cw_fail(&err);
	}
	if (cw_uuid_valid(ref)) {
		/* A restriction's id, or else a provider's. */
		const char *p[1] = {ref};
		bool found;
		if (!cw_db_value(ctx->db, "SELECT id FROM restriction_current WHERE id = $1", 1, p, rid,
				 sizeof(rid), &found, &err))
			return cw_fail(&err);
	}
	if (rid[0] == '\0') {
		const char *p[1] = {pid};
		PGresult *r;
		if (!cw_provider_resolve(ctx->db, ref, pid, pname, sizeof(pname), &err))
			return cw_fail(&err);
		r = cw_db_query(ctx->db,
				"SELECT r.id FROM restriction_current r WHERE r.provider_id = $1"
				" AND NOT EXISTS (SELECT 1 FROM restriction_lift l WHERE l.restriction_id = r.id)"
				" AND (r.ends_on IS NULL OR r.ends_on >= current_date)",
				1, p, &err);
		if (r == NULL)
			return cw_fail(&err);
		if (PQntuples(r) != 1) {
			cw_error_set(&err, CW_EXIT_NOTFOUND, "%s has %d open restrictions", pname, PQntuples(r));
			if (PQntuples(r) > 1)
				cw_error_hint(&err, "name the restriction by its id (see 'carewatch provider show')");
			PQclear(r);
			return cw_fail(&err);
		}
		snprintf(rid, sizeof(rid), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	if (cw_arg(a, "id"))
		snprintf(id, sizeof(id), "%s", cw_arg(a, "id"));
	else
		cw_uuid_new(id);
	job.params[0] = id;
	job.params[1] = rid;
	job.params[2] = on;
	if (!cw_db_transaction(ctx->db, "READ COMMITTED", lift_work, &job, NULL, &err))
		return cw_fail(&err);
	if (job.inserted == 0)
		printf("already lifted: restriction %s (nothing written)\n", rid);
	else
		printf("lifted restriction %s from %s\n", rid, on);
	return CW_EXIT_OK;
}

static const struct cw_opt lift_opts[] = {
	{"on", "DATE", "the day placements may start again (default today)", NULL},
	{"note", "TEXT", "why it was lifted", NULL},
	{"id", "UUID", "the lift's id (made for you; give it to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_restriction_lift = {
	.name = "restriction lift", .synopsis = "RESTRICTION|P",
	.summary = "lift a placement restriction",
	.help = "Name the restriction by its id, or the provider when it has exactly one open restriction.",
	.opts = lift_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_lift,
};
