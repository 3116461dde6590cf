/*
 * scorer.h - the scoring service: rescore the providers on the score queue.
 *
 * No person's login may write a score.  Every write that can change one
 * (intelligence, a restriction lift, a provider's facts, a ruleset
 * activation) puts the provider on score_queue by trigger and notifies
 * `carewatch_score` (schema/013, schema/014); `carewatch scorer`, running as
 * the batch role, takes providers off the queue with api.score_claim() and
 * stores the scores the evaluator gives on the stored records, in the same
 * transaction, so a crash loses nothing and a stored score is always the
 * evaluator's.  A few providers at a time go through the one-provider reads
 * (cw_intel_load_many); a large queue (after `rules activate` or a big
 * import) goes through the nightly's streaming engine (cw_nightly_rescore),
 * so rescoring everyone takes about as long as one nightly run.
 */
#ifndef CAREWATCH_SCORER_H
#define CAREWATCH_SCORER_H

#include <signal.h>
#include <stdbool.h>

#include "carewatch/db.h"

struct cw_scorer_opts {
	const char *conninfo;          /* the streaming engine's reading connection (NULL: libpq defaults) */
	int batch;                     /* providers per transaction on the incremental path (1 or more) */
	long bulk_at;                  /* from this many queued, the streaming engine */
};

struct cw_scorer_report {
	long claimed;                  /* providers taken off the queue */
	long scored;                   /* scores appended */
	long skipped;                  /* taken, not scored: closed providers, or no active ruleset */
	long records;                  /* records the streaming engine read */
	int transactions;
	int bulk;                      /* of which through the streaming engine */
	double seconds;
};

/* Drain the queue: transaction after transaction until it is empty, or
 * what is left is held by writers not yet committed (or by another scorer),
 * or *stop (may be NULL) becomes true between transactions.  Returns false
 * with err filled; whatever was committed before stays committed. */
bool cw_scorer_drain(struct cw_db *db, const struct cw_scorer_opts *opts, const volatile sig_atomic_t *stop,
		     struct cw_scorer_report *rep, struct cw_error *err) __attribute__((warn_unused_result));

/* One line of counts (never data) for the log: "rescored 3 providers ...".
 * Writes at most size bytes to buf; never fails. */
void cw_scorer_report_format(const struct cw_scorer_report *rep, char *buf, size_t size);

#endif
