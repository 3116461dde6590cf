/*
 * correct.h - correcting and withdrawing intelligence already recorded.
 *
 * A mistake is never erased: a correction is a new record that supersedes
 * the old one (every field not given carried over, the whole validated as
 * a new record is), and a withdrawal (entered in error) is a record of its
 * own; both carry a reason and go through api.record_correct and
 * api.record_withdraw (schema/030_corrections.sql), which check who is
 * calling and that the record is still current.  Scores, cases and reports
 * use current records only; `KIND show` keeps the whole history.
 *
 * A record is named by its id: the UUID `KIND add` printed, or its first
 * characters (8 at least) when no other record of the kind starts with
 * them.  A CQC record (`cqc add` writes one row per domain) is named by
 * the id `cqc add` printed, meaning all its domain rows, or by one row's id.
 */
#ifndef CAREWATCH_CORRECT_H
#define CAREWATCH_CORRECT_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/db.h"
#include "carewatch/record.h"

#define CW_FOUND_MAX_ROWS 6

/* A record found by its reference. */
struct cw_found {
	const struct cw_kind *kind;
	char id[CW_UUID_LEN];          /* the record (for CQC: as given, maybe no row's id) */
	int nrows;                     /* rows of the kind's table: 1, or up to 6 for CQC */
	struct {
		char id[CW_UUID_LEN];
		char domain[16];       /* CQC: the row's domain; "" otherwise */
	} rows[CW_FOUND_MAX_ROWS];
	char provider_id[CW_UUID_LEN];
	char provider_name[304];
};

/* f's row ids as a PostgreSQL uuid[] literal ("{id,id}") into buf, which
 * CW_FOUND_ARRAY_LEN always holds.  Never fails. */
#define CW_FOUND_ARRAY_LEN (CW_FOUND_MAX_ROWS * (CW_UUID_LEN + 1) + 3)
void cw_found_array(const struct cw_found *f, char *buf, size_t size);

/* Find the record ref of kind.  Not found, or a prefix shared by several
 * records: CW_EXIT_NOTFOUND; a malformed reference: CW_EXIT_USAGE.  Reads
 * no free text, so any login that may read the kind may find it. */
bool cw_record_find(struct cw_db *db, const struct cw_kind *kind, const char *ref,
		    struct cw_found *out, struct cw_error *err) __attribute__((warn_unused_result));

struct cw_change_result {
	char id[CW_UUID_LEN];          /* the withdrawal's or the correction's id */
	struct cw_found found;         /* the record withdrawn or corrected */
	bool already;                  /* this id was recorded before: nothing written */
	long case_number;              /* a concern's case, 0 when it has none */
	/* corrections of a concern whose case's due time moved: */
	bool due_moved;
	char due[40];                  /* the due time now (UTC text; "" no target) */
	char due_was[40];
	char changed[512];             /* "risk high -> very_high, source family -> public" */
};

/* Withdraw record ref of kind (entered in error) with reason because.  id:
 * the withdrawal's UUID, or NULL to make one (a retry with the same id
 * writes nothing and sets res->already).  A concern's case is withdrawn
 * with it.  Validation before any SQL; nothing is written on error. */
bool cw_record_withdraw(struct cw_db *db, const struct cw_kind *kind, const char *ref,
			const char *because, const char *id, struct cw_change_result *res,
			struct cw_error *err) __attribute__((warn_unused_result));

/* Correct record ref of kind: values[i] is the text given for
 * kind->fields[i] (NULL: keep the recorded value; "" clears an optional
 * field that has no default), clear_flag[i] true sets a yes/no field to no
 * (may be NULL).  Every field given is checked as `KIND add` checks it, and
 * the record as corrected as a whole (dates in order, not in the future).
 * id: the correction's UUID or NULL.  A concern's case follows: a new risk
 * level or received time moves its due time (res->due_moved). */
bool cw_record_correct(struct cw_db *db, const struct cw_kind *kind, const char *ref,
		       const char *const *values, const bool *clear_flag, const char *because,
		       const char *id, struct cw_change_result *res, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The kind whose command group is name's first word ("concern", or
 * "concern list"), or NULL. */
const struct cw_kind *cw_kind_named(const char *name);

#endif
