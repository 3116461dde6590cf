/*
 * nightly.h - the nightly batch: recompute every active provider's score,
 * raise placement-restriction flags, mark overdue cases, record month-end
 * figures; atomically, idempotently, never two at once.
 *
 * The intelligence is streamed with one COPY (ordered by provider) on a
 * reading connection while results stream with COPY into a staging table on
 * a second, writing connection; memory holds one provider's records at a
 * time plus the provider list, so it is bounded by providers, not records.
 * Everything the run publishes is written by set-based statements from the
 * staging table and becomes visible at one COMMIT.  A session advisory lock
 * makes a second concurrent run fail at once (CW_EXIT_BUSY).
 */
#ifndef CAREWATCH_NIGHTLY_H
#define CAREWATCH_NIGHTLY_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"

struct cw_nightly_opts {
	const char *conninfo;          /* for the second connection (NULL: libpq defaults) */
	cw_time as_of;                 /* score as known at this instant */
	bool dry_run;                  /* compute and count, write nothing */
	FILE *progress;                /* NULL: quiet (cron); else a terminal */
};

struct cw_nightly_report {
	char run_id[CW_UUID_LEN];
	char ruleset[64];
	char hash[65];
	long providers;                /* active providers scored */
	long records;                  /* intelligence records read */
	long scores_written;           /* history rows added (0 on an identical rerun) */
	long band_changes;             /* providers whose band differs from before */
	long flags_raised;
	long flags_lapsed;
	long cases_overdue;            /* cases newly marked overdue */
	char month_end[8];             /* "YYYY-MM" whose month-end counts were recorded, or "" */
	double seconds;
};

/* Run the batch.  Returns false with err filled; CW_EXIT_BUSY when another
 * run holds the lock, CW_EXIT_NOTFOUND when no ruleset is active. */
bool cw_nightly_run(struct cw_db *db, const struct cw_nightly_opts *opts,
		    struct cw_nightly_report *rep, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
