/*
 * cases.h - the case engine: open, assign, respond to and close cases.
 *
 * A concern opens a case in the same transaction that records it: its due
 * time comes from the active ruleset's response target for the concern's
 * risk level and the working-day calendar (calendar.h, with the council's
 * closure days), and it is assigned by the balancer (balance.h) among the
 * officers who are active, not on leave and cover the provider's locality;
 * when nobody is eligible it waits, unassigned, for the manager.  Every
 * change appends to the case's history tables and is audited.
 */
#ifndef CAREWATCH_CASES_H
#define CAREWATCH_CASES_H

#include <stdbool.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"
#include "carewatch/rules.h"

struct cw_case_open {
	/* in */
	const char *provider_id;
	const char *concern_id;        /* NULL for a case opened by hand */
	const char *risk;              /* vocab word */
	const char *opened_at;         /* UTC text "YYYY-MM-DDTHH:MM:SSZ" or "now" */
	const char *title;             /* NULL: made from the concern */
	/* out */
	char id[CW_UUID_LEN];
	long number;
	char due[40];                  /* UTC text, "" when the risk has no target */
	char assigned_to[64];          /* "" when unassigned */
	char why[512];                 /* how the assignment was decided */
	bool already;                  /* the case existed (a retried write) */
	/* private: the steps' state */
	int risk_index;
	cw_time at;
	char opened[40];
	int q_closure, q_locality, q_team, q_insert;
};

/* Open (or find, for a retried concern) the case inside the caller's
 * transaction. */
bool cw_case_open_in_txn(struct cw_db *db, struct cw_case_open *c, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The same in steps, for a caller that sends the case's statements with
 * its own (db.h batches) and knows the case cannot exist yet (its concern
 * was inserted by this transaction):
 *
 *   cw_case_open_queue   checks c and queues the reads on a batch: closure
 *                        days, the assignment lock, the provider's locality
 *                        and every officer's cover, leave and load (the lock
 *                        is taken before the loads are read);
 *   cw_case_open_finish  once that batch has run: the due time (rs: the
 *                        active ruleset or NULL), the balancer's choice, and
 *                        the INSERTs of case and assignment queued on a second
 *                        batch (skipped by the server if the case exists);
 *   cw_case_open_done    once that has run: the case number (or, if the case
 *                        existed after all, the existing case, already set).
 *
 * Each returns false with err filled. */
bool cw_case_open_queue(struct cw_db_batch *reads, struct cw_case_open *c, struct cw_error *err)
	__attribute__((warn_unused_result));
bool cw_case_open_finish(const struct cw_db_batch *reads, struct cw_case_open *c,
			 const struct cw_ruleset *rs, struct cw_db_batch *writes, struct cw_error *err)
	__attribute__((warn_unused_result));
bool cw_case_open_done(struct cw_db *db, const struct cw_db_batch *writes, struct cw_case_open *c,
		       struct cw_error *err) __attribute__((warn_unused_result));

/* Resolve a case reference (its number, or its UUID) to its id. */
bool cw_case_resolve(struct cw_db *db, const char *ref, char id_out[CW_UUID_LEN], long *number,
		     struct cw_error *err) __attribute__((warn_unused_result));

/* Record a response (kind: visit, phone, email, letter or meeting; at: a
 * time as for record fields, NULL for now).  The first response sets the
 * case's responded time.  id makes it idempotent (NULL: made here). */
bool cw_case_respond(struct cw_db *db, const char *case_ref, const char *kind, const char *at,
		     const char *note, const char *id, bool *already, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Close a case with a note.  Closing a closed case is refused. */
bool cw_case_close(struct cw_db *db, const char *case_ref, const char *note, struct cw_error *err)
	__attribute__((warn_unused_result));
/* Reopen a closed case with a reason (api.case_reopen: the case's officer or
 * the quality manager; back to responded, or open if it never had a
 * response).  Exit 7 when the case is not closed. */
bool cw_case_reopen(struct cw_db *db, const char *case_ref, const char *reason,
		    struct cw_error *err) __attribute__((warn_unused_result));

/* Give a case to officer (login), or to nobody (NULL), recording why.  An
 * officer who could not take it (takes no cases, does not cover the
 * locality, on leave on the day it is due) is refused with exit 7 unless
 * force, which needs note (the reason, kept with the assignment). */
bool cw_case_assign(struct cw_db *db, const char *case_ref, const char *officer,
		    const char *reason, bool force, const char *note, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
