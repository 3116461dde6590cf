/*
 * cqc_sync.h - `carewatch cqc sync`: the CQC API's changes stored window by
 * window (see docs/import.md).
 *
 * From the cursor kept in the database (cqc_sync_state) to now, in windows
 * of window_hours: every changed location ID of the window (all pages of
 * /changes/location), the details of those carewatch holds
 * (/locations/{id}; a 404 is counted and skipped), their ratings (the
 * newest publication's, with their framework; service ratings and, for a
 * location Not Rated itself, the worst of its services'), beds and
 * deregistration -- then one transaction stores the window and moves the
 * cursor to its end (api.cqc_sync_apply).  A window that fails anywhere is
 * not stored and leaves the cursor where it was; the windows before it stay
 * stored.
 */
#ifndef CAREWATCH_CQC_SYNC_H
#define CAREWATCH_CQC_SYNC_H

#include <stdbool.h>

#include "carewatch/cqc_api.h"
#include "carewatch/db.h"
#include "carewatch/error.h"

struct cw_cqc_sync_result {
	long windows, changes, held, not_found, imported, unchanged, services, beds, closed;
	struct cw_cqc_stats http;
	char cursor[32];               /* the cursor afterwards, YYYY-MM-DDTHH:MM:SSZ */
};

/* Sync from the stored cursor (or from, which is for the first sync only:
 * NULL when there is a cursor) to until (NULL: now).  Timestamps are
 * YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC.  Fills res even on failure (the
 * windows stored before it). */
bool cw_cqc_sync(struct cw_db *db, const struct cw_cqc_config *c, const char *from, const char *until,
		 struct cw_cqc_sync_result *res, struct cw_error *err) __attribute__((warn_unused_result));

#endif
