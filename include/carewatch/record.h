/*
 * record.h - recording intelligence: one table-driven path for every kind.
 *
 * Each intelligence kind (concern, visit, safeguarding, cqc, ipc, survey,
 * notice, restriction, loss, pamms) is described once by a struct cw_kind: its
 * fields with type, vocabulary, range and help.  From that one description
 * come the command-line options, the guided form's prompts, validation
 * (every field checked before any SQL; the error names the field and what
 * is allowed) and the INSERT.  Recording is idempotent: the record's UUID is
 * made on the client, and a second insert of the same UUID stores nothing
 * and reports "already recorded".
 */
#ifndef CAREWATCH_RECORD_H
#define CAREWATCH_RECORD_H

#include <stdbool.h>

#include "carewatch/db.h"
#include "carewatch/field.h"
#include "carewatch/intel.h"
#include "carewatch/vocab.h"


#define CW_KIND_MAX_FIELDS 12

struct cw_kind {
	const char *name;              /* "concern": also the command group */
	const char *what;              /* "concern": used in messages */
	const struct cw_field *fields;
	int nfields;
	const char *insert_sql;        /* $1 id, $2 provider id, $3.. the fields in order */
	/* What the kind's table CHECKs that no one field's check covers (a
	 * pattern, one date not before another), run on the normalised values
	 * after every field passed: v[i] is fields[i]'s value, NULL when
	 * absent.  Fills err naming the field.  NULL: nothing more to check.
	 * So no value the table would refuse reaches the server, whose error
	 * would log the failing row, free text and all. */
	bool (*check)(const char *const *v, struct cw_error *err);
};

extern const struct cw_kind cw_kind_concern, cw_kind_visit, cw_kind_safeguarding,
	cw_kind_cqc, cw_kind_ipc, cw_kind_survey, cw_kind_notice, cw_kind_restriction,
	cw_kind_loss, cw_kind_pamms;
extern const struct cw_kind *const cw_kinds[];
extern const int cw_kinds_n;


/* The table and columns of kind's INSERT ("INSERT INTO t (c0, c1, ...)"):
 * *table and cols[0..] point into buf (c0 is id, c1 provider_id, then one
 * column per field in order; the CQC kind, which writes a row per domain,
 * has its own).  Returns the number of columns, or -1 when the INSERT does
 * not parse (a programming error). */
int cw_kind_columns(const struct cw_kind *kind, char *buf, size_t size, const char **table,
		    const char **cols, int max);



struct cw_record_result {
	char id[CW_UUID_LEN];          /* the record's id */
	char provider_id[CW_UUID_LEN];
	char provider_name[304];
	bool already;                  /* this id was recorded before: nothing written */
	/* concerns open a case: */
	long case_number;              /* 0 when no case was opened */
	char case_id[CW_UUID_LEN];
	char due[40];                  /* "" when the risk level has no target */
	char assigned_to[64];          /* "" when it waits in the unassigned queue */
	/* the provider's score after recording ("" when no ruleset is active) */
	char score[16];
	char band[16];
};

/* Record one item of intelligence of kind about provider_ref (a UUID, CQC
 * location ID or unambiguous name).  values[i] is the text given for
 * kind->fields[i] (NULL when absent).  id: the record's UUID, or NULL to make
 * one.  All input is validated before any SQL; nothing is written on error. */
bool cw_record(struct cw_db *db, const struct cw_kind *kind, const char *provider_ref,
	       const char *const *values, const char *id, struct cw_record_result *res,
	       struct cw_error *err) __attribute__((warn_unused_result));


#endif
