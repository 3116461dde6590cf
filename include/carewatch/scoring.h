/*
 * scoring.h - the database side of scoring: gather, evaluate, store.
 *
 * The evaluator (score.h) is pure; this module feeds it.  It loads the
 * active ruleset (cached by content hash), loads one provider's current
 * intelligence into a struct cw_provider_intel, and appends the result to
 * provider_score with the ruleset's name and hash and the as-of time.
 * The scorer (scorer.h) rescores the providers that intelligence was
 * recorded about; the nightly batch recomputes all.  The reads and the write each come in two halves, _queue
 * (add the statement to a db.h batch) and _take (read its result once the
 * batch has run), so a one-shot write can send them together with its own
 * statements; cw_scoring_refresh_in_txn strings them together for a caller
 * with nothing else to send.
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

/* The active ruleset for a run that cannot go without one: as
 * cw_scoring_active, but no ruleset is an error (CW_EXIT_NOTFOUND, with the
 * hint to activate one).  Owned by this module. */
const struct cw_ruleset *cw_scoring_active_required(struct cw_db *db, struct cw_error *err);

/* The same in halves: queue the query (returns its batch index), then take
 * the ruleset from the run batch (same results as cw_scoring_active). */
int cw_scoring_active_queue(struct cw_db_batch *b);
const struct cw_ruleset *cw_scoring_active_take(const struct cw_db_batch *b, int i, bool *none,
						struct cw_error *err);

/* The intelligence rows of every provider (cw_intel_rows_sql, ordered by
 * provider, read from the *_current views) or of the one provider $1
 * (cw_intel_rows_one_sql, the same rows read from the tables with the same
 * "nobody supersedes it" test, which plans faster on a new connection): the
 * one query behind both the ongoing score and the nightly batch.  Columns:
 * provider_id, kind, id, at (epoch), a, b, c. */
extern const char cw_intel_rows_sql[];
/* cw_intel_rows_sql without its ORDER BY, for a stream to add its own
 * condition on provider_id first (cw_intel_stream_sql, intelstream.h). */
extern const char cw_intel_rows_unordered_sql[];
extern const char cw_intel_rows_one_sql[];
/* The same rows for the providers in the uuid array $1, ordered by provider
 * (the scorer's batches). */
extern const char cw_intel_rows_some_sql[];

/* Add one row of that query to pi.  Returns false on a malformed row. */
bool cw_intel_add_row(struct cw_provider_intel *pi, const char *kind, const char *id,
		      const char *at, const char *a, const char *b, const char *c);
/* The same with the row's time already a number (the nightly reads it in
 * binary); a, b and c as the query gives them, NULL for SQL NULL. */
bool cw_intel_add(struct cw_provider_intel *pi, const char *kind, const char *id, cw_time at,
		  const char *a, const char *b, const char *c) __attribute__((warn_unused_result));

/* Load provider_id's facts and current intelligence into pi (reset first). */
bool cw_intel_load(struct cw_db *db, const char *provider_id, struct cw_provider_intel *pi,
		   struct cw_error *err) __attribute__((warn_unused_result));

/* The same in halves: queue the two queries (returns the first's batch
 * index), then fill pi from the run batch.  A provider that does not exist
 * is CW_EXIT_NOTFOUND. */
int cw_intel_load_queue(struct cw_db_batch *b, const char *provider_id);
bool cw_intel_load_take(const struct cw_db_batch *b, int i, const char *provider_id,
			struct cw_provider_intel *pi, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Called by cw_intel_load_many for each provider, in id order, with its
 * facts and current intelligence in pi (owned by the loader, valid during
 * the call) and whether it is active.  Returning false stops the load. */
typedef bool (*cw_intel_each_fn)(void *ctx, const char *provider_id, bool active,
				 const struct cw_provider_intel *pi, struct cw_error *err);

/* Load the n providers ids[] (uuid text) in one round trip and call fn for
 * each one that exists.  Returns false with err filled (or fn's error). */
bool cw_intel_load_many(struct cw_db *db, const char *const *ids, size_t n, cw_intel_each_fn fn,
			void *ctx, struct cw_error *err) __attribute__((warn_unused_result));

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

/* A score's stored fields as COPY text, appended to b after whatever the
 * caller put first: score, band, flag ("t"/"f") and detail (the summary,
 * cw_score_summary_json), tab-separated, the last followed by last ('\t'
 * when the caller adds fields, '\n' to end the row): the nightly's and the
 * score history's rows.  False only when out of memory. */
struct cw_copybuf;
bool cw_scoring_copy_fields(struct cw_copybuf *b, const struct cw_score *s, char last)
	__attribute__((warn_unused_result));

/* The same, queued on batch b (whose run reports any failure).  Returns
 * false only when the score cannot be encoded (out of memory). */
bool cw_scoring_store_queue(struct cw_db_batch *b, const char *provider_id,
			    const struct cw_score *s, const char *cause, const char *run_id,
			    struct cw_error *err) __attribute__((warn_unused_result));

#endif
