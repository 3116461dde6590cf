/*
 * backfill.h - month-end score history, computed after the fact and stored
 * apart from the current picture (`carewatch scores backfill`).
 *
 * For each London month end T of a range of months that are over, every
 * provider open at T (registered by then, or not known, and not closed:
 * intelstream.h's cw_intel_open_at, the backtest's rule) is scored with the
 * active ruleset and the nightly's evaluator (score.h) as its records stood
 * at T: only records dated on or before T count, each in its current
 * version, exactly as `nightly --as-of` and `provider explain --as-of` read
 * them, so a stored month-end score is the one `provider explain P --as-of
 * <last day>` shows.  The scores go to score_history
 * (schema/031_score_history.sql), one row per provider and month end,
 * through api.score_history_apply; provider_score, provider_current_score,
 * restriction flags and score_queue are never touched.  A rerun replaces
 * the months it covers: unchanged rows stay as they were, changed ones are
 * rewritten, rows of providers no longer open then are removed.
 *
 * One pass over the records whatever the number of months: a read-only
 * snapshot streams every record in provider order (intelstream.h) while
 * the scores stream with COPY into the staging table on the caller's
 * connection, one transaction that publishes every month at once or none.
 * Memory holds one provider's records and the provider list.
 */
#ifndef CAREWATCH_BACKFILL_H
#define CAREWATCH_BACKFILL_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/calendar.h"
#include "carewatch/db.h"
#include "carewatch/intel.h"
#include "carewatch/vocab.h"

#define CW_BACKFILL_MAX_MONTHS 240

struct cw_backfill_opts {
	const char *conninfo;           /* for the reading connection (NULL: libpq defaults) */
	struct cw_date from, to;        /* first days of the first and last months */
	cw_time now;                    /* every month must have ended by then */
	FILE *progress;                 /* NULL: quiet */
};

struct cw_backfill_month {
	char month[16];                 /* "YYYY-MM" */
	cw_time at;                     /* its month end: the last day, 23:59:59 London */
	long scored;                    /* providers open then, scored */
	long bands[CW_RISK__N];         /* of them, by band */
	long flagged;                   /* of them, with the flag rules met */
};

struct cw_backfill_report {
	char run_id[CW_UUID_LEN];
	char ruleset[64];
	char hash[65];
	int nmonths;
	struct cw_backfill_month months[CW_BACKFILL_MAX_MONTHS];
	long listed;                    /* providers in the database */
	long providers;                 /* of them, open at one month end or more */
	long scores;                    /* provider-month scores computed */
	long records;                   /* intelligence records read */
	long written;                   /* history rows added or changed (0 on a rerun) */
	long removed;                   /* rows of providers no longer open at a month end */
	double seconds;
};

/* Compute and store the history for the months o->from to o->to.  db is
 * the caller's connection, not in a transaction (the run opens one and ends
 * it).  Fills *rep (caller-owned, no pointers to free).  Fails with err:
 * CW_EXIT_USAGE for --to before --from, too many months or a month not over
 * by o->now (nothing written); CW_EXIT_DENIED unless the session is the
 * batch role or the database owner; CW_EXIT_BUSY when another backfill is
 * running; CW_EXIT_NOTFOUND when no ruleset is active; else a database
 * error, with nothing written. */
bool cw_backfill_run(struct cw_db *db, const struct cw_backfill_opts *o, struct cw_backfill_report *rep,
		     struct cw_error *err) __attribute__((warn_unused_result));

#endif
