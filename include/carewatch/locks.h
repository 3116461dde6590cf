/*
 * locks.h - the application's locks, each named once.
 *
 * Every lock is a row of app_lock taken FOR UPDATE by api.lock_take
 * (schema/013_locks_queue.sql): only writers may take one, no reader can
 * hold one, and each is released at the transaction's end.  With `false`
 * the call does not wait and answers whether it got the lock.
 */
#ifndef CAREWATCH_LOCKS_H
#define CAREWATCH_LOCKS_H

/* Held while a case's officer is chosen and written (and by `caseload
 * --apply` while it moves cases), so loads are compared one at a time. */
#define CW_LOCK_ASSIGN_SQL "SELECT api.lock_take('assign')"
/* Held by an import or a CQC sync from its staging to its apply: one at a
 * time, so two runs never interleave their upserts. */
#define CW_LOCK_IMPORT_SQL "SELECT api.lock_take('import')"
/* Tried (no wait) by the nightly and the scorer: one scoring pass at a
 * time; the answer is 't' or 'f'. */
#define CW_LOCK_NIGHTLY_TRY_SQL "SELECT api.lock_take('nightly', false)"

#endif
