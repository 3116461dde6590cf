/*
 * pamms.h - PAMMS audits beyond recording them: draft to final, the action
 * plan, and what falls due after a final audit.
 *
 * An audit is recorded as any intelligence kind is (record.h, kind
 * "pamms"), as a draft.  This module takes the steps after that, each
 * through one api function that checks who is calling and whether the step
 * is legal (schema/034_pamms.sql): finalising (the publication day; only a
 * final audit is scored), adding actions against an audit rated Requires
 * Improvement or Poor, closing them.  It also says when the follow-up work
 * is due, from the active ruleset's [pamms] section (rules.h): the action
 * plan within action_plan_days of publication, the follow-up audit
 * follow_up_months after it; and what is overdue on an officer's worklist.
 */
#ifndef CAREWATCH_PAMMS_H
#define CAREWATCH_PAMMS_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"

/* The follow-up months and action plan days of the active ruleset ([pamms];
 * 6 and 14 when no ruleset is active or it does not say).  False with err
 * filled on a database error or an active ruleset that does not parse. */
bool cw_pamms_due_rules(struct cw_db *db, int *follow_up_months, int *plan_days, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Where one audit stands. */
struct cw_pamms_state {
	char id[CW_UUID_LEN];
	char provider_id[CW_UUID_LEN];
	char provider_name[304];
	char overall[32];              /* vocabulary word */
	char audited[16];              /* YYYY-MM-DD */
	bool final;
	char published[16];            /* YYYY-MM-DD, "" for a draft */
	bool needs_plan;               /* final and rated Requires Improvement or Poor */
	char plan_due[16];             /* YYYY-MM-DD when needs_plan, else "" */
	char follow_up_due[16];        /* YYYY-MM-DD when needs_plan, else "" */
	long actions, open_actions, overdue_actions;
	char followed_by[CW_UUID_LEN]; /* a current audit that follows this one, "" when none */
	int plan_days, follow_up_months;   /* the rules the dates come from */
};

/* The state of audit id (a whole UUID).  CW_EXIT_NOTFOUND when there is no
 * such audit.  Reads no free text (a read-only login may). */
bool cw_pamms_state(struct cw_db *db, const char *id, struct cw_pamms_state *out, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Make audit ref (its id or the first 8 or more characters of it) final,
 * published on `on` (YYYY-MM-DD, NULL: today).  The finalisation's id is
 * derived from the audit's, so the same command run again is a retry:
 * *already says nothing was written.  out gets the audit's state after. */
bool cw_pamms_finalise(struct cw_db *db, const char *ref, const char *on, bool *already,
		       struct cw_pamms_state *out, struct cw_error *err) __attribute__((warn_unused_result));

/* Add an action to the plan of final audit ref: owner (the person
 * responsible, one line), due (YYYY-MM-DD, any day), note (what is to be
 * done).  id: the action's UUID, or NULL to make one.  Every value is
 * checked before any SQL.  *number gets the action's number, *already
 * whether this id was recorded before (nothing written). */
bool cw_pamms_action_add(struct cw_db *db, const char *ref, const char *owner, const char *due,
			 const char *note, const char *id, long *number, bool *already,
			 struct cw_pamms_state *audit, struct cw_error *err) __attribute__((warn_unused_result));

/* Close action number (as people type it) as done or dropped (status).
 * *already: it was so before (nothing written). */
bool cw_pamms_action_close(struct cw_db *db, const char *number, const char *status, bool *already,
			   struct cw_error *err) __attribute__((warn_unused_result));

/* Columns of cw_pamms_overdue's rows, all text. */
enum {
	CW_PAMMS_DUE_ITEM,             /* "action 12", "action plan", "follow-up audit" */
	CW_PAMMS_DUE_PROVIDER,
	CW_PAMMS_DUE_AUDIT,            /* the audit's first 8 characters */
	CW_PAMMS_DUE_RATING,           /* the audit's overall rating word */
	CW_PAMMS_DUE_DUE,              /* YYYY-MM-DD */
	CW_PAMMS_DUE_DAYS,             /* days overdue */
	CW_PAMMS__DUE_COLS
};

/* What is overdue after the final audits recorded by login that are rated
 * Requires Improvement or Poor (current ones: not corrected, not
 * withdrawn): open actions past their due date, action plans with no
 * action past plan_days after publication, and follow-up audits not
 * recorded by follow_up_months after it; oldest due first.  No free text.
 * Caller PQclear()s; NULL with err filled. */
PGresult *cw_pamms_overdue(struct cw_db *db, const char *login, int plan_days, int follow_up_months,
			   struct cw_error *err) __attribute__((warn_unused_result));

#endif
