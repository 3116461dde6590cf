/*
 * score.h - the rule evaluator: one provider's intelligence to an explainable
 * risk score.
 *
 * Pure C, no database: the caller gathers a struct cw_provider_intel (intel.h),
 * picks a ruleset (rules.h) and an as-of time, and gets back the total, the
 * band, the placement-restriction flag with its reasons, the floors and
 * overrides that applied, and every contribution: which rule, which record,
 * the raw weight, after decay, after the factor's cap.  Records dated after
 * as-of are ignored ("as known then").  All arithmetic is done in integer
 * hundredths of a point (only the decay factor comes from exp2, rounded to
 * millionths first), so the same data, rules and as-of give the same score to
 * the last digit whatever the order the records arrive in.  docs/rules.md
 * describes the computation step by step.
 */
#ifndef CAREWATCH_SCORE_H
#define CAREWATCH_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/error.h"
#include "carewatch/intel.h"
#include "carewatch/rules.h"
#include "carewatch/vocab.h"

/* One record's part in the score.  Values are exact hundredths. */
struct cw_contribution {
	char rule[64];                  /* "concern.high", "cqc.well_led.inadequate", ... */
	char record_id[CW_UUID_LEN];
	char kind[24];                  /* factor: "concern", "cqc", ... */
	cw_time at;                     /* the record's date (CQC: publication) */
	double raw;                     /* the weight the rule gives */
	double decayed;                 /* after the half-life for its age */
	double capped;                  /* after the factor cap share: what it adds */
	char note[96];                  /* how raw and decayed came about */
};

struct cw_score {
	double total;                   /* sum of capped, at least 0 */
	enum cw_risk band;              /* after floors and overrides */
	enum cw_risk score_band;        /* from the thresholds alone */
	bool flag;                      /* raise a placement-restriction flag */
	char flag_reasons[512];         /* "; "-separated, one per matching flag rule */
	char adjustments[512];          /* "; "-separated floors/overrides/corrections applied */
	struct cw_contribution *items;  /* owned; sorted as in docs/rules.md */
	size_t n;
	cw_time as_of;
	char ruleset[64];               /* the ruleset's name and hash, for storage */
	char hash[65];
};

/* Score pi under rs as known at as_of.  Fills *out (overwritten; release with
 * cw_score_free, also after a failure, which leaves it empty).  Fails only
 * for an invalid care type in pi or when out of memory, filling err.  Never
 * prints. */
bool cw_score_evaluate(const struct cw_ruleset *rs, const struct cw_provider_intel *pi,
		       cw_time as_of, struct cw_score *out, struct cw_error *err)
	__attribute__((warn_unused_result));

/* As cw_score_evaluate, with the same numbers, order and adjustments, but
 * every contribution's note left empty: for the nightly and bulk rescoring,
 * which store cw_score_summary_json and so never read the notes. */
bool cw_score_evaluate_summary(const struct cw_ruleset *rs, const struct cw_provider_intel *pi,
			       cw_time as_of, struct cw_score *out, struct cw_error *err)
	__attribute__((warn_unused_result));
/* Free the contributions and empty s; the struct itself is the caller's. */
void cw_score_free(struct cw_score *s);

/* s as a JSON object: {"total", "band", "score_band", "flag", "flag_reasons":[..],
 * "adjustments":[..], "ruleset", "hash", "as_of", "contributions":[{rule,
 * record_id, kind, at, raw, decayed, capped, note}, ...]} with numbers
 * printed to exactly 2 decimals and times as ISO 8601 UTC.  Caller frees with
 * free().  Returns NULL only when out of memory. */
char *cw_score_to_json(const struct cw_score *s) __attribute__((warn_unused_result));
/* What a stored score keeps: the same fields up to "as_of", then
 * "records" (how many contributed) and "factors": {"concern": {"records", "raw",
 * "decayed", "contribution"}, ...} summed per factor in exact hundredths.
 * Small (well under 1 kB) whatever the record count; the full list is
 * recomputed exactly by `provider explain --as-of` (docs/rules.md).  Caller
 * frees with free(); NULL only when out of memory. */
char *cw_score_summary_json(const struct cw_score *s) __attribute__((warn_unused_result));

#endif
