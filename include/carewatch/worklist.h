/*
 * worklist.h - the database side of the team's casework figures: the
 * caseload (who holds what, weighted by risk), rebalancing moves made as
 * numbered batches that can be undone, the response-time report against the target,
 * and the month-end active case counts kept for the dashboards.
 *
 * The decisions are made by the pure cores: balance.h (figures and moves)
 * and calendar.h (due times, working days, closures).  This module gathers
 * their input set-based (one query for the team with cover and leave, one
 * for the open cases, never one per officer) and stores what they decide.
 * docs/worklist.md describes every figure.
 */
#ifndef CAREWATCH_WORKLIST_H
#define CAREWATCH_WORKLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/balance.h"
#include "carewatch/calendar.h"
#include "carewatch/db.h"
#include "carewatch/intel.h"
#include "carewatch/vocab.h"

/* The caseload weight of each risk level from the active ruleset (1 each
 * when no ruleset was ever activated), and the ruleset's name ("" then).
 * name may be NULL.  Returns false with err filled on a database error. */
bool cw_worklist_weights(struct cw_db *db, double weights[CW_RISK__N], char *name,
			 size_t name_size, struct cw_error *err) __attribute__((warn_unused_result));

/* ---- caseload ---- */

/* What one officer (or the unassigned queue) holds. */
struct cw_caseload_counts {
	long open[CW_RISK__N];         /* open cases (not closed) by risk level */
	long overdue;                  /* open, no response yet, past the due time */
	double load;                   /* sum of open cases x weight */
};

struct cw_caseload {
	double weights[CW_RISK__N];
	char ruleset[64];              /* active ruleset's name, "" when none */
	/* Every officer, in login order (strcmp), as the balancer takes them;
	 * officers[i].load is filled.  Strings are owned by the caseload. */
	struct cw_officer *officers;
	const char **leave_until;      /* last day of today's leave "YYYY-MM-DD", or "" */
	const char **no_cases;         /* the post of an active officer who takes no
					* cases (not available, not in the balance), or "" */
	struct cw_caseload_counts *counts;
	size_t n_officers;
	struct cw_caseload_counts unassigned;
	struct cw_officer_figures *per;    /* cw_balance_figures, n_officers entries */
	struct cw_team_figures team;
	/* Only when loaded with cases: every open case, by case number.  cases[]
	 * feeds cw_balance_suggest; numbers and provider_names index alike. */
	struct cw_open_case *cases;
	long *numbers;
	const char **provider_names;
	size_t n_cases;
	void *priv;                    /* query results the strings point into */
};

/* Load the team (cover, today's leave) and the open cases.  with_cases false:
 * only counts by officer and risk level (the counts the triggers of
 * 005_worklist.sql keep, and the overdue cases counted now); true:
 * every open case as well, for cw_balance_suggest.  Caller frees with
 * cw_caseload_free() on success; on failure out is empty and err filled. */
bool cw_caseload_load(struct cw_db *db, bool with_cases, struct cw_caseload *out,
		      struct cw_error *err) __attribute__((warn_unused_result));

/* Free what cw_caseload_load allocated and empty cl.  NULL is fine. */
void cw_caseload_free(struct cw_caseload *cl);

/* Index of login in cl->officers, or -1.  Never fails. */
int cw_caseload_find(const struct cw_caseload *cl, const char *login);

/* ---- moving cases in batches (schema/029_caseload_batch.sql) ---- */

/* Whether the caller may move cases (a quality manager): false with err
 * filled (CW_EXIT_DENIED, saying who may) when not, or on a database error.
 * `caseload --apply` asks before reading anything.  The api functions
 * below check again: they are the boundary. */
bool cw_caseload_may_move(struct cw_db *db, struct cw_error *err) __attribute__((warn_unused_result));

/* What one batch did. */
struct cw_batch_result {
	long batch;                    /* the batch's number, as people type it */
	long moved;                    /* cases moved */
	bool already;                  /* a retry of a recorded request: nothing written now */
};

/*
 * `caseload --apply`'s last step: make exactly the moves s proposes for cl
 * (what the manager was shown, s->n_moves > 0) as one batch with note,
 * through api.caseload_apply: all or none, and none when any case has
 * closed or changed hands since cl was loaded (CW_EXIT_CONFLICT, naming
 * the first such case: the command is run again, for a fresh preview).
 * Each move is an ordinary reassignment (a case_assignment row, reason
 * 'rebalance', with the note; its case_event; audit rows).  request is the
 * client-made UUID that makes a retry after a lost connection write once
 * (out->already).  Needs the manager's grant (CW_EXIT_DENIED).  Returns
 * false with err filled.
 */
bool cw_caseload_apply(struct cw_db *db, const struct cw_caseload *cl, const struct cw_suggestion *s,
		       const char *request, const char *note, struct cw_batch_result *out,
		       struct cw_error *err) __attribute__((warn_unused_result));

/* Columns of cw_caseload_undo's rows, all text. */
enum {
	CW_UNDO_COL_BATCH,             /* the new batch's number, "" for a dry run */
	CW_UNDO_COL_CASE,              /* case number */
	CW_UNDO_COL_PROVIDER,
	CW_UNDO_COL_FROM,              /* the officer who holds the case now */
	CW_UNDO_COL_TO,                /* the officer it goes back to, "" for the queue */
	CW_UNDO_COL_ALREADY,           /* "t" for a retry of a recorded request */
	CW_UNDO__COLS
};

/*
 * `caseload --undo BATCH`: move every case of batch (its number, as text)
 * back to the officer it came from, as a new batch with note that names
 * it, through api.caseload_undo: all or none, and none when any case has
 * closed or moved since (CW_EXIT_CONFLICT, naming the first), when the
 * batch was undone already (CW_EXIT_CONFLICT, naming the batch that undid
 * it) or when it does not exist (CW_EXIT_NOTFOUND).  dry_run makes every
 * check and writes nothing: the preview.  request as for cw_caseload_apply.
 * Returns one row per case, by case number (columns above); caller
 * PQclear()s.  NULL with err filled.
 */
PGresult *cw_caseload_undo(struct cw_db *db, const char *batch, const char *request, const char *note,
			   bool dry_run, struct cw_error *err) __attribute__((warn_unused_result));

/* ---- response-time report ---- */

/*
 * How a case due in the period fared.  The response is the case's first
 * recorded response (case_file.responded_at).
 *   on_time            responded at or before the due time
 *   late               responded after the due time
 *   open_past_due      no response, not closed, past the due time
 *   closed_unanswered  closed after its due time without any response
 *   not_yet_due        no response, not closed, due time still to come
 * A case closed by its due time without a response (withdrawn, a
 * duplicate) is not counted at all, as in the dashboards' response
 * compliance (report_work.c).  The percentage on time is on_time /
 * (on_time + late + open_past_due + closed_unanswered); not_yet_due cases
 * are not decided yet.
 */
enum cw_response_outcome {
	CW_RESP_ON_TIME, CW_RESP_LATE, CW_RESP_OPEN_PAST_DUE, CW_RESP_CLOSED_UNANSWERED,
	CW_RESP_NOT_YET_DUE, CW_RESP__N
};

/* "on_time", "late", ... ("?" out of range).  Never fails. */
const char *cw_response_outcome_word(enum cw_response_outcome o);

struct cw_response_summary {
	cw_time from, to;              /* the period: [from, to) */
	cw_time now;                   /* the instant outcomes were judged at */
	int target_pct;                /* the active ruleset's, 90 when none */
	long n[CW_RISK__N][CW_RESP__N];/* cases due in the period by risk and outcome */
	long total[CW_RESP__N];
};

/* Cases decided (every outcome but not_yet_due) of counts[CW_RESP__N]. */
long cw_response_decided(const long counts[CW_RESP__N]);

/* Percentage answered on time of counts[CW_RESP__N], or -1 when no case is
 * decided.  Never fails. */
double cw_response_pct(const long counts[CW_RESP__N]);

/* The period of a month (first = its first day): from 00:00 London on the
 * 1st to 00:00 London on the 1st of the next month.  Never fails. */
void cw_worklist_month_period(struct cw_date first, cw_time *from, cw_time *to);

/* Count the cases whose due time falls in [from, to), judged at now,
 * optionally only providers in locality (a code, NULL for all). */
bool cw_response_summarise(struct cw_db *db, cw_time from, cw_time to, cw_time now,
			   const char *locality, struct cw_response_summary *out,
			   struct cw_error *err) __attribute__((warn_unused_result));

/* Columns of the two case lists below. */
enum {
	CW_RESP_COL_NUMBER, CW_RESP_COL_PROVIDER, CW_RESP_COL_LOCALITY, CW_RESP_COL_RISK,
	CW_RESP_COL_OFFICER,            /* "" when unassigned */
	CW_RESP_COL_DUE,                /* London "YYYY-MM-DD HH:MM" */
	CW_RESP_COL_RESPONDED,          /* London "YYYY-MM-DD HH:MM", "" when none */
	CW_RESP_COL_OUTCOME,            /* cw_response_outcome_word */
	CW_RESP_COL_DUE_EPOCH,          /* seconds since the epoch */
	CW_RESP_COL_RESPONDED_EPOCH,    /* seconds since the epoch, "" when none */
	CW_RESP__COLS
};

/* The breaches of the same period (late, open past due, closed unanswered),
 * by due time then case number.  Caller PQclear()s; NULL with err filled. */
PGresult *cw_response_breaches(struct cw_db *db, cw_time from, cw_time to, cw_time now,
			       const char *locality, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The end of the next working day after now's London date: an open case
 * with no response is at risk when now <= due <= this instant, which is
 * cw_calendar_working_days_between(now, due) <= 1.  Never fails. */
cw_time cw_worklist_at_risk_until(const struct cw_calendar *cal, cw_time now);

/* Open cases with no response due in [now, until], by due time; columns as
 * cw_response_breaches (outcome "not_yet_due").  Caller PQclear()s; NULL with
 * err filled. */
PGresult *cw_response_at_risk(struct cw_db *db, cw_time now, cw_time until,
			      const char *locality, struct cw_error *err)
	__attribute__((warn_unused_result));

/* ---- deadlines that explain themselves ---- */

/* One line saying how a case's stored due time was reached, from the risk
 * level's target in the active ruleset and the calendar with closures (see
 * cw_calendar_explain_due).  When today's rules or closures give another
 * answer than the one stored when the case was opened, the line says so.
 * opened and due are stored instants.  Returns false with err filled on a
 * database error. */
bool cw_worklist_explain_due(struct cw_db *db, const char *risk, cw_time opened, cw_time due,
			     char *buf, size_t size, struct cw_error *err)
	__attribute__((warn_unused_result));

/* ---- month-end counts ---- */

/*
 * Record the active cases at the end of month (any day of it; the month's
 * first day is stored) by care type and locality, one row for every pair
 * (zero included), in month_end_cases for the dashboards.  A case is active
 * at month end when it was opened before 00:00 London on the 1st of the next
 * month and not closed by then; care type and locality are the provider's.
 * Idempotent: recomputing a month replaces its rows.  Called outside a
 * transaction it runs in one of its own; called inside the caller's
 * transaction (the nightly batch) it joins it, so it is published with the
 * rest of the caller's work.  A month that has not ended yet is refused
 * (CW_EXIT_USAGE).  Needs the manager's or the batch's grant.
 */
bool cw_worklist_record_month_end(struct cw_db *db, struct cw_date month, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
