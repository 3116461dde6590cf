/*
 * cmd_provider_edit.c - `carewatch provider edit`: correct a provider's care
 * type, locality, beds, status or name, saying why.
 *
 * Day care providers are in none of CQC's files, so nothing but this
 * command corrects them.  People have no UPDATE on provider: the change is
 * made by api.provider_edit (schema/023_provider_edit.sql), which checks the
 * caller is an officer or manager, writes one provider_change row per field
 * changed and queues the provider for rescoring.  Every value is checked
 * here first, with the same messages as `provider add`, so a bad one never
 * reaches the server.  The client makes the request's UUID (--id to give
 * it), so a retry after a lost connection writes once and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"
#include "carewatch/report.h"

static const char *const status_words[] = {"active", "closed"};
static const char *const status_labels[] = {"Active", "Closed"};
static const struct cw_vocab status_vocab = {"status", status_words, status_labels, 2};

/* api.provider_edit's parameters, in its order:
 *   $1 provider id  $2 request id  $3 care type  $4 locality  $5 beds
 *   $6 status  $7 closed on  $8 name  $9 note */
struct edit_job {
	const char *params[9];
	PGresult *changes;             /* field_name, value_was, value_now, already */
};

static bool
edit_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct edit_job *job = ctx;
	PGresult *r = cw_db_query(db, "SELECT * FROM api.provider_edit($1, $2, $3, $4, $5, $6, $7, $8, $9)",
				  9, job->params, err);

	if (r == NULL)
		return false;
	PQclear(job->changes);          /* an earlier attempt's, when retried */
	job->changes = r;
	return true;
}

/* How a field is named on the screen: its option's words. */
static const char *
field_label(const char *field)
{
	if (strcmp(field, "care_type") == 0)
		return "care type";
	if (strcmp(field, "closed_on") == 0)
		return "closed on";
	return field;
}

/* "Ashfield House: locality north -> south, beds 40 -> 42", stored text
 * escaped (output.h); a value not recorded before is "none". */
static void
print_changes(const char *name, PGresult *r)
{
	cw_text_put(stdout, name, NULL);
	fputs(":", stdout);
	for (int i = 0; i < PQntuples(r); i++) {
		printf("%s %s ", i ? "," : "", field_label(PQgetvalue(r, i, 0)));
		cw_text_put(stdout, PQgetisnull(r, i, 1) ? "none" : PQgetvalue(r, i, 1), NULL);
		fputs(" -> ", stdout);
		cw_text_put(stdout, PQgetisnull(r, i, 2) ? "none" : PQgetvalue(r, i, 2), NULL);
	}
}

static int
run_edit(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_field beds_f = {"beds", CW_F_INT, NULL, false, 0, 10000, "N", "", NULL};
	static const struct cw_field closed_f = {"closed-on", CW_F_DATE, NULL, false, 0, 0, "DATE", "",
						 NULL};
	const char *care = cw_arg(a, "care-type"), *loc = cw_arg(a, "locality");
	const char *status = cw_arg(a, "status"), *name = cw_arg(a, "name"), *id = cw_arg(a, "id");
	const char *note = cw_arg(a, "note");
	struct edit_job job = {{NULL}, NULL};
	struct cw_error err;
	char beds[16], closed[16], loc_code[40], loc_name[128], pid[CW_UUID_LEN], pname[304], request[CW_UUID_LEN];
	char member[8];
	bool beds_null, closed_null;
	int ct = -1, st = -1;

	cw_error_clear(&err);
	/* Every value first, in the order of the synopsis; nothing is sent
	 * until all are good. */
	if (care && !cw_vocab_check(&cw_vocab_care_type, "care-type", care, &ct, &err))
		return cw_fail(&err);
	if (loc && *loc == '\0') {
		cw_error_field(&err, "locality", "missing --locality L");
		return cw_fail(&err);
	}
	if (!cw_field_check(&beds_f, cw_arg(a, "beds"), beds, sizeof(beds), &beds_null, &err))
		return cw_fail(&err);
	if (status && !cw_vocab_check(&status_vocab, "status", status, &st, &err))
		return cw_fail(&err);
	if (!cw_field_check(&closed_f, cw_arg(a, "closed-on"), closed, sizeof(closed), &closed_null,
			    &err))
		return cw_fail(&err);
	if (st == 1 && closed_null) {
		cw_error_field(&err, "closed-on", "--status closed needs --closed-on DATE (the day it closed)");
		return cw_fail(&err);
	}
	if (st == 0 && !closed_null) {
		cw_error_field(&err, "closed-on", "--closed-on is for --status closed, not active");
		return cw_fail(&err);
	}
	if (name && !cw_text_check("name", name, 300, true, &err))
		return cw_fail(&err);
	if (note == NULL || *note == '\0') {
		cw_error_field(&err, "note", "missing --note TEXT (why the provider is edited)");
		return cw_fail(&err);
	}
	if (!cw_text_check("note", note, CW_TEXT_MAX, false, &err))
		return cw_fail(&err);
	if (id && !cw_uuid_valid(id)) {
		cw_error_field(&err, "id", "invalid --id '%.40s' (expected a UUID)", id);
		return cw_fail(&err);
	}
	if (!care && !loc && beds_null && !status && closed_null && !name) {
		cw_error_set(&err, CW_EXIT_USAGE, "nothing to change");
		cw_error_hint(&err, "give one or more of --care-type, --locality, --beds, --status,"
				    " --closed-on and --name");
		return cw_fail(&err);
	}
	/* Refuse a read-only login before looking anything up, saying who may
	 * (the function checks again: it is the boundary). */
	if (!cw_db_value(ctx->db, "SELECT api.is_member('carewatch_officer')", 0, NULL, member,
			 sizeof(member), NULL, &err))
		return cw_fail(&err);
	if (member[0] != 't') {
		cw_error_set(&err, CW_EXIT_DENIED, "editing providers is for QA officers and managers");
		return cw_fail(&err);
	}
	if (loc && !cw_locality_resolve(ctx->db, loc, loc_code, sizeof(loc_code), loc_name, sizeof(loc_name), &err))
		return cw_fail(&err);
	if (!cw_provider_resolve(ctx->db, a->pos[0], pid, pname, sizeof(pname), &err))
		return cw_fail(&err);
	if (id)
		snprintf(request, sizeof(request), "%s", id);
	else
		cw_uuid_new(request);
	job.params[0] = pid;
	job.params[1] = request;
	job.params[2] = ct >= 0 ? cw_vocab_care_type.words[ct] : NULL;
	job.params[3] = loc ? loc_code : NULL;
	job.params[4] = beds_null ? NULL : beds;
	job.params[5] = st >= 0 ? status_words[st] : NULL;
	job.params[6] = closed_null ? NULL : closed;
	job.params[7] = name;
	job.params[8] = note;
	if (!cw_db_transaction(ctx->db, "READ COMMITTED", edit_work, &job, NULL, &err)) {
		PQclear(job.changes);
		if (strcmp(err.sqlstate, "55000") == 0)
			cw_error_hint(&err, "leave out --id to make a new edit");
		return cw_fail(&err);
	}
	if (PQntuples(job.changes) > 0 && PQgetvalue(job.changes, 0, 3)[0] == 't')
		fputs("already recorded: ", stdout);
	print_changes(pname, job.changes);
	puts(PQntuples(job.changes) > 0 && PQgetvalue(job.changes, 0, 3)[0] == 't'
		     ? " (nothing written)" : "");
	PQclear(job.changes);
	return CW_EXIT_OK;
}

static const struct cw_opt edit_opts[] = {
	{"care-type", "T", "the care type", &cw_vocab_care_type},
	{"locality", "L", "the locality (reference data)", NULL},
	{"beds", "N", "the number of beds", NULL},
	{"status", "S", "whether it is open (closed needs --closed-on)", &status_vocab},
	{"closed-on", "DATE", "the day it closed", NULL},
	{"name", "NAME", "the provider's name", NULL},
	{"note", "TEXT", "why (required; kept with the change)", NULL},
	{"id", "UUID", "the edit's id (made for you; give it to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_provider_edit = {
	.name = "provider edit", .synopsis = "P",
	.summary = "change a provider's care type, locality, beds, status or name",
	.help = "Only the fields given change; each change is kept with who made it, when and the"
		" --note, and the provider is queued to be rescored.  Prints what changed, e.g."
		" 'Ashfield House: locality north -> south, beds 40 -> 42'.  For QA officers and"
		" managers.",
	.opts = edit_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_edit,
};
