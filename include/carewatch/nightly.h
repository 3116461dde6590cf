/*
 * nightly.h - the nightly batch: recompute every active provider's score,
 * raise placement-restriction flags, mark overdue cases, record month-end
 * figures; atomically, idempotently, never two at once.
 *
 * The intelligence is streamed with COPY (ordered by provider) on reading
 * connections, each reading one range of provider ids in one shared
 * snapshot (REPEATABLE READ, exported by the first and imported by the
 * others, so N readers read exactly what one would) and each scored by a
 * thread of its own, while results stream with COPY into a staging table
 * on the writing connection; memory holds one provider's records per
 * reader at a time plus the provider list, so it is bounded by providers,
 * not records.
 * Everything the run publishes is written by set-based statements from the
 * staging table and becomes visible at one COMMIT.  The run is one
 * transaction holding the nightly lock (api.lock_take, a row lock no reader
 * can take), so a second concurrent run fails at once (CW_EXIT_BUSY).
 *
 * A run for an as-of before the latest published run's writes history only:
 * score rows with that as-of, which never become the current scores (the
 * publish trigger keeps the latest as-of current), and no flags, overdue
 * marks or month-end counts.
 *
 * The same engine, in scores-only mode, is the scorer's bulk path
 * (cw_nightly_rescore, scorer.h): after `rules activate` or a large import
 * it rescores thousands of providers in the time of one nightly run.
 */
#ifndef CAREWATCH_NIGHTLY_H
#define CAREWATCH_NIGHTLY_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"
#include "carewatch/rules.h"

/* Readers (connections streaming the intelligence, each with a thread
 * scoring its range of providers) when the caller does not say. */
#define CW_NIGHTLY_READERS_DEFAULT 2
#define CW_NIGHTLY_READERS_MAX 8

struct cw_nightly_opts {
	const char *conninfo;          /* for the other connections (NULL: libpq defaults) */
	cw_time as_of;                 /* score as known at this instant */
	bool dry_run;                  /* compute and count, write nothing */
	FILE *progress;                /* NULL: quiet (cron); else a terminal */
	int readers;                   /* 1 .. CW_NIGHTLY_READERS_MAX; 0: the default */
};

struct cw_nightly_report {
	char run_id[CW_UUID_LEN];
	char ruleset[64];
	char hash[65];
	long providers;                /* active providers scored */
	long records;                  /* intelligence records read */
	long scores_written;           /* history rows added (0 on an identical rerun) */
	long band_changes;             /* providers whose band differs from before (0: history only) */
	long flags_raised;
	long flags_lapsed;
	long cases_overdue;            /* cases newly marked overdue */
	char month_end[8];             /* "YYYY-MM" whose month-end counts were recorded, or "" */
	bool history;                  /* a later run is published: history only */
	cw_time published_as_of;       /* that run's as-of, when history */
	double seconds;
};

/* Run the batch.  Returns false with err filled; CW_EXIT_BUSY when another
 * run holds the lock, CW_EXIT_NOTFOUND when no ruleset is active. */
bool cw_nightly_run(struct cw_db *db, const struct cw_nightly_opts *opts,
		    struct cw_nightly_report *rep, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The scorer's bulk path: in db's open transaction, which holds the nightly
 * lock and has the providers it took off the queue in the temporary table
 * scorer_claim (provider_id uuid, cause text), score every active provider
 * under rs as of as_of with the streaming engine (a second connection made
 * from conninfo reads) and append the scores of the claimed ones, each with
 * its cause.  No flags, overdue marks, month-end counts or run row.
 * *scored: scores appended; *records: records read.  The caller commits. */
bool cw_nightly_rescore(struct cw_db *db, const char *conninfo, const struct cw_ruleset *rs,
			cw_time as_of, long *scored, long *records, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
