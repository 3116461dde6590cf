/*
 * scoring.h - the database side of scoring: gather, evaluate, store.
 *
 * The evaluator (score.h) is pure; this module feeds it.  It loads the
 * active ruleset (cached by content hash), loads one provider's current
 * intelligence into a struct cw_provider_intel, and appends the result to
 * provider_score with the ruleset's name and hash and the as-of time.
 * Recording intelligence calls cw_scoring_refresh_in_txn so a provider's
 * score is always current ("ongoing"); the nightly batch recomputes all.
 */
#ifndef CAREWATCH_SCORING_H
#define CAREWATCH_SCORING_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"
#include "carewatch/rules.h"
#include "carewatch/score.h"

/* The active ruleset, or NULL: then *none is true when simply no ruleset was
 * ever activated (not an error), false when err is filled.  Owned by this
 * module (valid until the next call). */
const struct cw_ruleset *cw_scoring_active(struct cw_db *db, bool *none, struct cw_error *err);

/* The intelligence rows of every provider (or one, when provider_id is set),
 * ordered by provider: the one query behind both the ongoing score and the
 * nightly batch.  Columns: provider_id, kind, id, at (epoch), a, b, c. */
extern const char cw_intel_rows_sql[];
extern const char cw_intel_rows_one_sql[];

/* Add one row of that query to pi.  Returns false on a malformed row. */
bool cw_intel_add_row(struct cw_provider_intel *pi, const char *kind, const char *id,
		      const char *at, const char *a, const char *b, const char *c);

/* Load provider_id's facts and current intelligence into pi (reset first). */
bool cw_intel_load(struct cw_db *db, const char *provider_id, struct cw_provider_intel *pi,
		   struct cw_error *err) __attribute__((warn_unused_result));

/* Score provider_id now under the active ruleset and append the result.  With
 * no active ruleset it does nothing and leaves score/band "".  Must run inside
 * the caller's transaction. */
bool cw_scoring_refresh_in_txn(struct cw_db *db, const char *provider_id, char *score,
			       size_t score_size, char *band, size_t band_size, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Append one computed score.  cause: "record", "nightly" or "activate";
 * run_id may be NULL. */
bool cw_scoring_store(struct cw_db *db, const char *provider_id, const struct cw_score *s,
		      const char *cause, const char *run_id, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
