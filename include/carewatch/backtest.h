/*
 * backtest.h - does the score predict?  Scoring the past and checking it
 * against what happened next.
 *
 * At each month end T of a range, every provider open at T is scored with a
 * ruleset as its records stood at T (the evaluator of score.h: records dated
 * after T do not count), and with a baseline that knows only its latest CQC
 * overall rating published by T.  The outcome is an adverse event in
 * (T, T + horizon]: an overall rating of Requires improvement or Inadequate
 * published, a restriction on all placements imposed, or the service closing
 * (each selectable).  The results are stats.h's figures for each ruleset and
 * the baseline: AUC with a 95% interval overall and by care type, the share
 * of adverse outcomes among the top 10% and 20% of scores at each month end,
 * the outcome rate by band, the ROC curve, and the flags the rules would
 * have raised at each month end.
 *
 * Nothing is stored: one read-only transaction streams every record once
 * (intelstream.h) and each provider is scored at every month end while its
 * records are in memory, so memory is bounded by providers x month ends,
 * never by records.  Records are read as they are now: a correction
 * recorded after T replaces what it corrects (docs/rules.md, "Backtesting").
 */
#ifndef CAREWATCH_BACKTEST_H
#define CAREWATCH_BACKTEST_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/db.h"
#include "carewatch/rules.h"
#include "carewatch/stats.h"
#include "carewatch/vocab.h"

/* The outcomes, as a bit set. */
enum { CW_BT_RATING = 1, CW_BT_RESTRICTION = 2, CW_BT_CLOSURE = 4, CW_BT_ALL = 7 };

#define CW_BT_MAX_RULES 2               /* rulesets compared in one run */
#define CW_BT_MAX_MODELS (CW_BT_MAX_RULES + 1)
#define CW_BT_MAX_PAIRS 3
#define CW_BT_MAX_MONTHS 240
#define CW_BT_ROC_POINTS 21             /* false-positive rates 0%, 5%, ..., 100% */
#define CW_BT_BASE_CATS 5               /* baseline: outstanding, good, RI, inadequate, not rated */

struct cw_backtest_opts {
	struct cw_date from, to;        /* first days of the first and last months */
	int horizon;                    /* months, 1 to 60 */
	unsigned outcomes;              /* CW_BT_* bits, at least one */
	cw_time as_of;                  /* what is known: an outcome window must end by it */
	int nrules;                     /* 1 or 2 */
	const struct cw_ruleset *rules[CW_BT_MAX_RULES];
	const char *labels[CW_BT_MAX_RULES];    /* "norfolk-default", "candidate ..." */
	int replicates;                 /* bootstrap replicates (CW_STATS_REPLICATES) */
	uint64_t seed;                  /* CW_STATS_SEED */
	FILE *progress;                 /* NULL: quiet */
};

struct cw_bt_month {
	char month[16];                 /* "YYYY-MM" */
	cw_time at;                     /* T: the month's last day, 23:59:59 London */
	cw_time until;                  /* T + horizon */
	bool complete;                  /* until <= as_of: the outcome is known */
	long providers;                 /* open at T */
	long adverse;                   /* of them with an adverse outcome (complete only) */
	long flags[CW_BT_MAX_MODELS];   /* flagged at T (baseline: rated Inadequate) */
	long flags_adverse[CW_BT_MAX_MODELS];
};

struct cw_bt_cell {
	long n, adverse;
};

/* Everything a run found.  Models are the rulesets in order, then the
 * baseline (index nrules). */
struct cw_backtest {
	int nmodels;
	char model[CW_BT_MAX_MODELS][80];
	int nmonths;
	struct cw_bt_month months[CW_BT_MAX_MONTHS];
	int ncomplete;
	long providers;                 /* providers listed (open at some month end or not) */
	long records;                   /* intelligence records read */
	long observations;              /* (provider, complete month end) pairs */
	long adverse;
	/* AUCs: auc[g * nmodels + m], g = 0 all, g = 1 + care type. */
	struct cw_stats_auc auc[(CW_CARE__N + 1) * CW_BT_MAX_MODELS];
	int npairs;
	int pairs[CW_BT_MAX_PAIRS][2];  /* model a minus model b */
	struct cw_stats_auc diff[(CW_CARE__N + 1) * CW_BT_MAX_PAIRS];
	/* Adverse outcomes among the top 10% / 20% at each month end, summed. */
	double top_captured[2][CW_BT_MAX_MODELS];
	long top_adverse;
	/* Calibration: rulesets by band, the baseline by rating category. */
	struct cw_bt_cell band[CW_BT_MAX_RULES][CW_RISK__N];
	struct cw_bt_cell base[CW_BT_BASE_CATS];
	double roc_fpr[CW_BT_ROC_POINTS];
	double roc[CW_BT_MAX_MODELS][CW_BT_ROC_POINTS];  /* NAN when not computable */
	double seconds;
};

/* Name of outcome bit b ("rating", "restriction", "closure"). */
extern const struct cw_vocab cw_vocab_bt_outcome;

/* Run the backtest on db (which must not be in a transaction; the run opens
 * a read-only one and ends it).  Fills *out (caller-owned; no pointers to
 * free).  Fails with err: a month range or horizon out of bounds
 * (CW_EXIT_USAGE), a month that has not ended by as_of (CW_EXIT_USAGE), or
 * a database error.  Writes nothing. */
bool cw_backtest_run(struct cw_db *db, const struct cw_backtest_opts *opts, struct cw_backtest *out,
		     struct cw_error *err) __attribute__((warn_unused_result));

/* The command line (cmd_backtest.c): `rules diff FILE --backtest ...` runs
 * this with the active ruleset and FILE side by side; its options are
 * cw_backtest_diff_opts.  Returns the exit code, having printed. */
int cw_backtest_rules_diff(struct cw_ctx *ctx, const struct cw_args *a);
extern const struct cw_opt cw_backtest_diff_opts[];

#endif
