/*
 * cmd_correct.c - `carewatch KIND correct ID` and `KIND withdraw ID` for
 * every intelligence kind (correct.h does the work).
 *
 * Option names: a record's own text is --note, as in `KIND add` (a
 * concern's summary, a visit's notes, a notice's or restriction's reason);
 * why a record is corrected or withdrawn is --because, on both steps and
 * every kind, so the two never share a name (docs/client.md, "Correcting
 * and withdrawing").
 */
#include <stdio.h>
#include <string.h>

#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/correct.h"

/* "2026-12-09 23:59 GMT" from stored UTC text ("" stays ""). */
static const char *
london(const char *utc, char *buf, size_t size)
{
	struct cw_error ign;
	cw_time t;

	if (utc[0] && cw_time_parse_utc(utc, "due", &t, &ign))
		return cw_time_format(t, buf, size);
	snprintf(buf, size, "%s", utc);
	return buf;
}

/* " (2 ratings: safe, overall)" for a CQC record of several rows. */
static void
rows_said(const struct cw_found *f, char *buf, size_t size)
{
	buf[0] = '\0';
	if (f->nrows < 2)
		return;
	snprintf(buf, size, " (%d ratings:", f->nrows);
	for (int i = 0; i < f->nrows; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s %s", i ? "," : "", f->rows[i].domain);
	snprintf(buf + strlen(buf), size - strlen(buf), ")");
}

static int
run_withdraw(struct cw_ctx *ctx, const struct cw_args *a)
{
	const struct cw_kind *kind = cw_kind_named(a->cmd->name);
	struct cw_change_result res = {0};
	struct cw_error err;
	char rows[160];

	cw_error_clear(&err);
	if (!cw_record_withdraw(ctx->db, kind, a->pos[0], cw_arg(a, "because"), cw_arg(a, "id"), &res, &err))
		return cw_fail(&err);
	rows_said(&res.found, rows, sizeof(rows));
	if (res.already) {
		printf("already withdrawn: %s %s%s for %s (nothing written)\n", kind->what, res.found.id, rows,
		       res.found.provider_name);
		return CW_EXIT_OK;
	}
	printf("withdrew %s %s%s for %s: scores, cases and reports leave it out; its history keeps it"
	       " ('carewatch %s show %s')\n",
	       kind->what, res.found.id, rows, res.found.provider_name, kind->name, res.found.id);
	if (res.case_number > 0)
		printf("case %ld is withdrawn with it: closed, off the worklist and out of the response-time"
		       " figures\n", res.case_number);
	return CW_EXIT_OK;
}

static int
run_correct(struct cw_ctx *ctx, const struct cw_args *a)
{
	const struct cw_kind *kind = a->cmd->kind;
	const char *values[CW_KIND_MAX_FIELDS] = {0};
	bool clear[CW_KIND_MAX_FIELDS] = {0};
	struct cw_change_result res = {0};
	struct cw_error err;
	char rows[160], now[CW_DATETIME_LEN + 8], was[CW_DATETIME_LEN + 8];
	char list[2048];                /* a repeated option's values (one such field a kind) */

	cw_error_clear(&err);
	for (int i = 0; i < kind->nfields; i++) {
		char no[48];

		values[i] = kind->fields[i].type == CW_F_RATINGS
				    ? cw_arg_all(a, kind->fields[i].name, list, sizeof(list))
				    : cw_arg(a, kind->fields[i].name);
		snprintf(no, sizeof(no), "no-%s", kind->fields[i].name);
		clear[i] = kind->fields[i].type == CW_F_BOOL && cw_flag(a, no);
	}
	if (!cw_record_correct(ctx->db, kind, a->pos[0], values, clear, cw_arg(a, "because"), cw_arg(a, "id"),
			       &res, &err))
		return cw_fail(&err);
	rows_said(&res.found, rows, sizeof(rows));
	if (res.already) {
		printf("already corrected: %s %s corrects %s%s for %s (nothing written)\n", kind->what, res.id,
		       res.found.id, rows, res.found.provider_name);
		return CW_EXIT_OK;
	}
	printf("corrected %s %s%s for %s: %s\n", kind->what, res.found.id, rows, res.found.provider_name,
	       res.changed);
	printf("the correction is %s %s; the record it replaces stays in its history ('carewatch %s show"
	       " %s')\n", kind->what, res.id, kind->name, res.id);
	if (res.case_number > 0 && res.due_moved) {
		if (res.due[0])
			printf("case %ld is now due %s%s%s%s\n", res.case_number, london(res.due, now, sizeof(now)),
			       res.due_was[0] ? " (was " : "", london(res.due_was, was, sizeof(was)),
			       res.due_was[0] ? ")" : "");
		else
			printf("case %ld now has no response target (it was due %s)\n", res.case_number,
			       london(res.due_was, was, sizeof(was)));
	}
	return CW_EXIT_OK;
}

static const struct cw_opt withdraw_opts[] = {
	{"because", "TEXT", "why it is withdrawn: entered in error, the wrong provider, a duplicate"
			    " (required; kept out of logs)", NULL},
	{"id", "UUID", "the withdrawal's id (made for you; give it to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt correct_opts[] = {
	{"because", "TEXT", "why it is corrected (required; kept with the correction, out of logs)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt concern_correct_opts[] = {
	{"because", "TEXT", "why it is corrected (required; kept with the correction, out of logs)", NULL},
	{"no-safeguarding", NULL, "the concern has no safeguarding element after all", NULL},
	{NULL, NULL, NULL, NULL},
};

#define ID_HELP                                                                                   \
	"ID is the record's id, as 'add' printed it or 'list' shows it (its first 8 characters do when" \
	" no other record's id starts with them)."
#define CORRECT_HELP                                                                              \
	ID_HELP "  Give only the fields that change: the others keep their recorded values.  Each is"   \
	" checked as 'add' checks it (a date may not be in the future), and the record as corrected"   \
	" as a whole; an empty value (--to '') clears an optional field.  The correction is a new"      \
	" record that supersedes the old one: scores, cases and reports use it, and 'show' keeps"      \
	" both, with --because.  Only the current record can be corrected: one corrected already"      \
	" names its correction.  The provider is not a field: withdraw a record filed against the"     \
	" wrong provider and add it again."
#define WITHDRAW_HELP                                                                             \
	ID_HELP "  A withdrawn record (entered in error) is kept, with --because, in its history"      \
	" ('show'), and left out of scores, cases and reports; the provider is rescored.  Only the"    \
	" current record can be withdrawn: one corrected already names its correction."

/* The correct and withdraw commands of one kind.  var, kindv and optv are
 * object names, which cannot be parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define CHANGE_CMDS(var, kindv, nm, a_what, optv, cextra, wextra)                                \
	const struct cw_cmd cw_cmd_##var##_correct = {                                           \
		.name = nm " correct", .synopsis = "ID",                                         \
		.summary = "correct " a_what ": a new record that supersedes it",                \
		.help = CORRECT_HELP cextra, .opts = optv, .kind = &kindv, .min_pos = 1,          \
		.max_pos = 1, .flags = CW_CMD_DB, .run = run_correct};                           \
	const struct cw_cmd cw_cmd_##var##_withdraw = {                                          \
		.name = nm " withdraw", .synopsis = "ID",                                        \
		.summary = "withdraw " a_what " entered in error",                               \
		.help = WITHDRAW_HELP wextra, .opts = withdraw_opts, .min_pos = 1, .max_pos = 1,  \
		.flags = CW_CMD_DB, .run = run_withdraw}
/* NOLINTEND(bugprone-macro-parentheses) */

CHANGE_CMDS(concern, cw_kind_concern, "concern", "a concern", concern_correct_opts,
	    "  A concern's case follows it: a new risk level or received time moves the case's due"
	    " time (the command says to when).",
	    "  A withdrawn concern's case is withdrawn with it: closed, off the worklist and out of the"
	    " response-time figures.");
CHANGE_CMDS(visit, cw_kind_visit, "visit", "a visit", correct_opts, "", "");
CHANGE_CMDS(safeguarding, cw_kind_safeguarding, "safeguarding", "a safeguarding", correct_opts, "", "");
CHANGE_CMDS(cqc, cw_kind_cqc, "cqc", "a CQC rating", correct_opts,
	    "  For a CQC record ID is the id 'cqc add' printed (every domain it rated) or one domain"
	    " rating's id; --published and --inspected apply to each of its ratings, --safe and the"
	    " others to that domain's.",
	    "  For a CQC record ID is the id 'cqc add' printed (every domain it rated) or one domain"
	    " rating's id.");
CHANGE_CMDS(ipc, cw_kind_ipc, "ipc", "an IPC inspection", correct_opts, "", "");
CHANGE_CMDS(survey, cw_kind_survey, "survey", "a survey", correct_opts, "", "");
CHANGE_CMDS(notice, cw_kind_notice, "notice", "a performance notice", correct_opts, "", "");
CHANGE_CMDS(restriction, cw_kind_restriction, "restriction", "a placement restriction", correct_opts,
	    "  A lifted restriction stays lifted when it is corrected.", "");
CHANGE_CMDS(loss, cw_kind_loss, "loss", "a provider loss", correct_opts, "", "");
CHANGE_CMDS(pamms, cw_kind_pamms, "pamms", "a PAMMS audit", correct_opts,
	    "  A final audit's correction is final from the same day, and its action plan moves to the"
	    " correction; --follows takes the whole UUID of the audit followed, and --standard"
	    " replaces every standard's rating (repeat it for each; --standard '' clears them).",
	    "  A withdrawn audit's action plan leaves every worklist with it.");
