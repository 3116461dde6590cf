/*
 * balance.h - who gets a new case, and how to even out the team's caseload.
 *
 * Pure: plain structs in, plain structs out, no database.  The worklist code
 * loads officers, their localities, leave and open cases, calls these
 * functions and stores what they decide (audited).
 *
 * Load is the sum of an officer's open cases weighted by risk level (the
 * weights come from the active ruleset, one per enum cw_risk).  An officer is
 * *available* when active and not on leave on the day in question; only
 * available officers who cover a case's locality may receive it.  Locality
 * codes are compared exactly.
 *
 * Figures (docs/worklist.md):
 *   load per FTE     load / fte
 *   mean             total load of available officers / their total FTE
 *   imbalance        max(load per FTE over available officers) / mean;
 *                    1.0 when the mean is 0, 0 when nobody is available
 *   share            an officer's load / the load of every listed officer
 *   fair share       fte / total FTE of available officers (0 when unavailable)
 *   band             every available officer's load per FTE within 15% of
 *                    the mean (CW_BALANCE_BAND)
 */
#ifndef CAREWATCH_BALANCE_H
#define CAREWATCH_BALANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/error.h"
#include "carewatch/vocab.h"

#define CW_BALANCE_BAND 0.15

struct cw_officer {
	const char *login;
	double fte;                     /* > 0 (1.0 full time) */
	bool active;
	bool on_leave;                  /* on leave on the day in question */
	const char *const *localities;  /* locality codes covered */
	size_t n_localities;
	double load;                    /* current weighted load (cw_balance_assign and
					   cw_balance_figures; cw_balance_suggest
					   computes loads from the cases instead) */
};

/* The case being assigned. */
struct cw_new_case {
	const char *provider_id;
	const char *locality;
	enum cw_risk risk;
};

enum cw_assign_how {
	CW_ASSIGN_CONTINUITY,   /* an available holder of this provider's open cases */
	CW_ASSIGN_LEAST_LOADED, /* lowest load per FTE among available covering officers */
	CW_ASSIGN_NOBODY,       /* nobody available covers the locality: the case waits */
	CW_ASSIGN_INVALID,      /* invalid input: err says why */
};

struct cw_assignment {
	int officer;            /* index into officers, or -1 */
	enum cw_assign_how how;
	double weight;          /* the case's weight */
	double load_per_fte;    /* the chosen officer's, before the case */
	char reason[512];       /* one line for the audit trail and the screen */
};

/*
 * Choose the officer for a new case.  holders lists (as indices into
 * officers, duplicates allowed) the officers who hold an open case for the
 * same provider.  Rules, in order:
 *   1. only available officers covering c->locality are eligible;
 *   2. continuity: an eligible holder gets it (several: the lowest load per
 *      FTE, then the lower load, then login order);
 *   3. otherwise the eligible officer with the lowest load per FTE, ties
 *      broken by lower load, then login (strcmp), then index.
 * Loads per FTE within a relative 1e-9 of each other count as tied.
 * Returns the officer's index, or -1: nobody eligible (out->how
 * CW_ASSIGN_NOBODY and out->reason says who covers the locality and is away;
 * never forced), or invalid input (CW_ASSIGN_INVALID, err filled).  out is
 * always filled.
 */
int cw_balance_assign(const struct cw_officer *officers, size_t n_officers,
		      const struct cw_new_case *c, const int *holders, size_t n_holders,
		      const double weights[CW_RISK__N], struct cw_assignment *out,
		      struct cw_error *err);

struct cw_officer_figures {
	double load;
	double load_per_fte;
	double share;           /* 0..1 */
	double fair_share;      /* 0..1 */
	bool available;
	bool in_band;           /* available and within the band (false otherwise) */
};

struct cw_team_figures {
	double total_load;      /* every listed officer */
	double available_load;
	double available_fte;
	double mean_load_per_fte;
	double max_load_per_fte;  /* over available officers */
	double imbalance;
	int n_available;
	bool in_band;           /* every available officer in the band (true when none) */
};

/* Figures from officers[i].load.  per has n_officers entries (may be NULL).
 * An officer whose fte is not > 0 counts as unavailable with 0 load per FTE.
 * Never fails. */
void cw_balance_figures(const struct cw_officer *officers, size_t n_officers,
			struct cw_officer_figures *per, struct cw_team_figures *team);

/* An open case, for cw_balance_suggest. */
struct cw_open_case {
	const char *id;
	const char *provider_id;
	const char *locality;
	enum cw_risk risk;
	int officer;            /* index into officers, or -1 when unassigned */
};

struct cw_move {
	size_t case_index;      /* into the cases given */
	const char *case_id;    /* cases[case_index].id (borrowed) */
	int from;               /* officer index, or -1 for an unassigned case */
	int to;
};

struct cw_suggestion {
	struct cw_move *moves;  /* in the order of the cases given */
	size_t n_moves;
	struct cw_officer_figures *before, *after;  /* n_officers entries each */
	struct cw_team_figures team_before, team_after;
	bool reached;           /* the band holds after the moves */
	size_t n_stranded;      /* cases left unassigned or with an inactive officer */
	char *why;              /* "" when reached and nothing stranded; else the
				   reasons, separated by "; " */
};

/*
 * Propose moves that bring every available officer within the band, without
 * breaking continuity or locality cover:
 *   - a provider's open cases held by one officer move together, as a block,
 *     so no move ever spreads a provider over more officers;
 *   - a receiver is available and covers the locality of every case moved;
 *   - unassigned cases and those held by inactive officers are placed first
 *     (with an available holder of the same provider if there is one, else
 *     with the lowest load per FTE);
 *   - then, greedily, the most loaded officer hands over the block whose move
 *     most reduces the spread (sum over available officers of
 *     fte * (load per FTE - mean)^2); cases of officers on leave are moved
 *     only when no move between available officers helps.
 * Stops when the band holds or no move reduces the spread (each move reduces
 * it, so it terminates), and is deterministic for a given input order.
 * Loads come from the cases (officers[i].load is ignored).
 * Returns false with err filled for invalid input (a case naming an officer
 * out of range, fte not > 0, a missing id, a negative weight...) or when out
 * of memory; out is then empty.  On success the caller frees with
 * cw_suggestion_free().
 */
bool cw_balance_suggest(const struct cw_officer *officers, size_t n_officers,
			const struct cw_open_case *cases, size_t n_cases,
			const double weights[CW_RISK__N], struct cw_suggestion *out,
			struct cw_error *err) __attribute__((warn_unused_result));

/* Frees what cw_balance_suggest allocated and empties s.  NULL is fine. */
void cw_suggestion_free(struct cw_suggestion *s);

#endif
