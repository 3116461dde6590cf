/*
 * form.h - the guided form: recording intelligence by answering prompts.
 *
 * `carewatch concern add` with no arguments on a terminal asks for the
 * provider and then each field of the kind in turn (the same struct cw_kind
 * that gives the command-line options, so every kind gets a form for free).
 * Each prompt shows what is allowed and the default; readline gives line
 * editing, a history of earlier answers per field (Up arrow) and Tab
 * completion of provider names and of each vocabulary (complete.h).  An
 * answer is checked at once with the very functions the command line uses
 * (cw_provider_resolve, cw_field_check), so a bad one gets the same message
 * and the question again.  A summary and a confirmation come before
 * anything is written; writing is the caller's (cw_record).
 *
 * Answers to fields other than free text are remembered between runs in
 * $CAREWATCH_FORM_HISTORY (default ~/.carewatch_form_history); free text
 * (summaries, notes, reasons) may name people and is never written there.
 */
#ifndef CAREWATCH_FORM_H
#define CAREWATCH_FORM_H

#include <stdbool.h>

#include "carewatch/cmd.h"
#include "carewatch/record.h"

struct cw_form {
	const struct cw_kind *kind;
	char provider_id[CW_UUID_LEN];        /* resolved: cw_record gets the UUID */
	char provider_name[304];
	char *provider;                       /* the reference as typed */
	char *values[CW_KIND_MAX_FIELDS];     /* answers as typed; NULL: the default */
};

enum cw_form_outcome {
	CW_FORM_CONFIRMED,                    /* answered and confirmed: record it */
	CW_FORM_CANCELLED,                    /* Ctrl-C, Ctrl-D or "no": write nothing */
};

/* Run the form for kind on the terminal (ctx->interactive; ctx->db
 * connected): the provider, then each field.  presets (per field, NULL when
 * not given; may be NULL) are answers given as options on the command line:
 * valid ones are not asked again, and all are offered when editing.  On
 * CW_FORM_CONFIRMED form holds valid answers for cw_record.  Returns false
 * with err filled only when the database fails (a lost connection,
 * permission).  Caller frees form with cw_form_free() whatever the
 * outcome. */
bool cw_form_run(struct cw_ctx *ctx, const struct cw_kind *kind, const char *const *presets,
		 struct cw_form *form, enum cw_form_outcome *outcome, struct cw_error *err)
	__attribute__((warn_unused_result));

void cw_form_free(struct cw_form *form);

/* The whole guided path of a record command: run the form, record what was
 * confirmed with cw_record (id: the record's UUID, or NULL to make one) and
 * print the result with cw_record_print.  Returns the exit code, having
 * printed any error; a cancelled form writes nothing and returns
 * CW_EXIT_FAIL. */
int cw_form_record(struct cw_ctx *ctx, const struct cw_kind *kind, const char *const *presets,
		   const char *id);

/* Print what cw_record did: the record, and for a concern its case number,
 * due time and officer, and the provider's new score.  Returns CW_EXIT_OK.
 * Defined with the record commands (cmd_record.c), which print the same. */
int cw_record_print(const struct cw_kind *kind, const struct cw_record_result *res);

/* The prompt for field f (without colour): its help, what is allowed and
 * the default, e.g. "Risk level of the concern (low, medium, high,
 * very_high)".  Written to buf; returns buf.  Never fails. */
char *cw_form_label(const struct cw_field *f, char *buf, size_t size);

#endif
