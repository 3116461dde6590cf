/*
 * stats.h - the statistics of a backtest: how well a score ranks providers
 * by an adverse outcome that came later.
 *
 * Pure C, no database: observations are plain arrays (a score per
 * observation, whether the outcome followed, and for the interval which
 * provider each observation belongs to).  Every figure is exact and
 * reproducible: the AUC is computed from integer counts, ties are settled by
 * a rule rather than by the order the observations arrive in, and the
 * interval's resampling draws from a generator with a fixed seed, so the
 * same observations in any order give the same figures to the last bit.
 * docs/rules.md ("Backtesting") says how to read them.
 *
 *   AUC          Mann-Whitney: the chance that an observation followed by an
 *                adverse outcome scores higher than one that was not, a tie
 *                counting half.  0.5 is no better than chance, 1 is perfect.
 *   interval     95% percentile interval of a cluster bootstrap: whole
 *                clusters (providers, with all their month ends) resampled
 *                with replacement, so observations of one provider are not
 *                counted as if they were independent.
 *   top share    of the adverse outcomes, the share among the highest-scoring
 *                k observations (a visit budget).
 *   ROC          true-positive rate at chosen false-positive rates.
 */
#ifndef CAREWATCH_STATS_H
#define CAREWATCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carewatch/error.h"

/* The AUC of score against adverse over n observations.  An AUC needs both
 * kinds of observation: when every outcome is adverse, none is, or n is 0,
 * it fails with err saying which (CW_EXIT_CONFLICT) and leaves *auc alone.
 * Never prints. */
bool cw_stats_auc(const double *score, const bool *adverse, size_t n, double *auc,
		  struct cw_error *err) __attribute__((warn_unused_result));

/* Observations several scores are compared on, for cw_stats_auc_bootstrap. */
struct cw_stats_sample {
	size_t n;                       /* observations */
	const bool *adverse;            /* n outcomes */
	const uint32_t *cluster;        /* n cluster ids, each < nclusters: resampled together */
	uint32_t nclusters;
	const uint8_t *group;           /* n group ids, each < ngroups (a sector), or NULL */
	int ngroups;
	int nscores;                    /* score vectors, each of n values */
	const double *const *score;
};

/* One AUC (or difference of two AUCs) with its interval. */
struct cw_stats_auc {
	bool ok;                        /* false: not computable, why says so */
	double auc;                     /* the estimate (a difference: a minus b) */
	double lo, hi;                  /* 95% interval; NAN when too few replicates were usable */
	long n, adverse;                /* observations and adverse ones in the group */
	int replicates;                 /* replicates the interval came from */
	char why[160];
};

#define CW_STATS_REPLICATES 1000
#define CW_STATS_SEED UINT64_C(20161703)

/* The AUC of every score over all observations and within each group, with
 * cluster-bootstrap intervals from `replicates` resamples drawn with `seed`
 * (each replicate resamples clusters and computes every AUC on the same
 * resample, so differences are paired).  out has (ngroups + 1) * nscores
 * entries: out[g * nscores + s] is score s over all observations (g = 0) or
 * within group g - 1.  diff has (ngroups + 1) * npairs entries:
 * diff[g * npairs + k] is the AUC of score pairs[k][0] minus that of
 * pairs[k][1].  A replicate in which a group has only one kind of outcome
 * is left out of that group's interval; with fewer than 90% of replicates
 * usable the interval is NAN.  Fails (err filled) only on invalid input or
 * when out of memory; a group whose AUC cannot be computed gets ok = false
 * and why. */
bool cw_stats_auc_bootstrap(const struct cw_stats_sample *x, int replicates, uint64_t seed,
			    int npairs, const int (*pairs)[2], struct cw_stats_auc *out,
			    struct cw_stats_auc *diff, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The adverse outcomes among the k highest-scoring of n observations, k =
 * frac * n rounded to the nearest whole number (frac in [0, 1]).  When
 * observations with one score straddle the k-th place, each of them counts
 * in proportion to the places left (as if the tie were broken at random),
 * so *captured may be fractional and never depends on order.  *adverse gets
 * the number of adverse outcomes among all n.  The share is *captured /
 * *adverse; callers sum both over several sets (month ends) first.  Fails
 * only for frac out of range.  Never prints. */
bool cw_stats_top_share(const double *score, const bool *adverse, size_t n, double frac,
			double *captured, long *adverse_n, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The ROC curve at the npoints false-positive rates fpr[] (each in [0, 1]):
 * tpr[i] is the true-positive rate there, on the curve that joins the
 * points after each group of equal scores by straight lines (its area is
 * the AUC, ties half).  Fails as cw_stats_auc does. */
bool cw_stats_roc(const double *score, const bool *adverse, size_t n, const double *fpr,
		  double *tpr, int npoints, struct cw_error *err) __attribute__((warn_unused_result));

#endif
