/*
 * rules.h - rules files: the configurable weightings behind every risk score.
 *
 * A rules file (rules/default.rules, format in docs/rules.md) says how much each
 * piece of intelligence weighs, per care type, how fast it fades, how much one
 * factor may add at most, the band thresholds, the floors and overrides on the
 * band, when a placement-restriction flag is raised, and the team's response
 * targets and caseload weights.  This module parses one into a struct
 * cw_ruleset; score.h evaluates it.  The parser is strict on purpose: unknown
 * or duplicate keys, out-of-range numbers and unknown vocabulary are errors
 * naming file, line and column, because a silently ignored weighting is a
 * wrong score nobody can explain.
 *
 * The ruleset is immutable once parsed.  Its layout is public so that the
 * evaluator (score.c) can read it; every other module uses the accessors.
 */
#ifndef CAREWATCH_RULES_H
#define CAREWATCH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carewatch/vocab.h"

/* A parse or load error.  line and col are 1-based; line 0 means the error is
 * about the file as a whole (cannot read it, a mandatory key is missing from
 * a section that is absent), and text is then empty. */
struct cw_rules_error {
	char file[256];
	int line, col;
	char msg[256];
	char text[512];         /* the offending line, without its line end */
};

/* The intelligence kinds that score, in the order contributions are listed. */
enum cw_factor { CW_FACTOR_CONCERN, CW_FACTOR_SAFEGUARDING, CW_FACTOR_VISIT,
	CW_FACTOR_CQC, CW_FACTOR_IPC, CW_FACTOR_SURVEY, CW_FACTOR_RESTRICTION,
	CW_FACTOR_NOTICE, CW_FACTOR_LOSS, CW_FACTOR_PAMMS, CW_FACTOR__N };

/* Section name of a factor ("concern", ...); "?" when out of range. */
const char *cw_rules_factor_name(enum cw_factor f);

#define CW_SURVEY_BANDS 100     /* survey.below_1 .. survey.below_100 */

/* Index of every number a care type's weighting holds.  Weights and caps
 * are in hundredths of a point, safeguarding outcome multipliers in
 * hundredths (100 = x1), days and counts are whole. */
enum {
	CW_P_CONCERN = 0,                                       /* + enum cw_risk */
	CW_P_CONCERN_SG_EXTRA = CW_P_CONCERN + CW_RISK__N,
	CW_P_SG_CATEGORY,                                       /* + enum cw_sg_category */
	CW_P_SG_OUTCOME = CW_P_SG_CATEGORY + CW_SG__N,          /* + enum cw_sg_outcome */
	CW_P_VISIT = CW_P_SG_OUTCOME + CW_SGO__N,               /* + enum cw_visit_outcome */
	CW_P_CQC = CW_P_VISIT + CW_VO__N,                       /* + domain * CW_RATING__N + rating */
	CW_P_IPC = CW_P_CQC + CW_DOMAIN__N * CW_RATING__N,      /* + enum cw_ipc_result */
	CW_P_SURVEY_BELOW = CW_P_IPC + CW_IPC__N,               /* + (N - 1): satisfaction < N */
	CW_P_SURVEY_MIN_RESPONDENTS = CW_P_SURVEY_BELOW + CW_SURVEY_BANDS,
	CW_P_RESTRICTION,                                       /* + enum cw_restriction_kind */
	CW_P_NOTICE = CW_P_RESTRICTION + CW_RESTRICT__N,        /* + enum cw_notice_kind */
	CW_P_LOSS = CW_P_NOTICE + CW_NOTICE__N,                 /* + enum cw_loss_kind */
	CW_P_PAMMS = CW_P_LOSS + CW_LOSS__N,                    /* + enum cw_pamms_rating */
	CW_P_HALF_LIFE = CW_P_PAMMS + CW_PAMMS__N,              /* + enum cw_factor; 0 = no decay */
	CW_P_WINDOW = CW_P_HALF_LIFE + CW_FACTOR__N,            /* + enum cw_factor; 0 = no window */
	CW_P_CAP = CW_P_WINDOW + CW_FACTOR__N,                  /* + enum cw_factor */
	CW_P__N = CW_P_CAP + CW_FACTOR__N
};

/* The weighting that applies to one care type: the main sections with that
 * care type's [care_type ...] overrides applied.  set[] marks values the file
 * gave (it matters for survey bands, which exist only when set). */
struct cw_params {
	int64_t v[CW_P__N];
	bool set[CW_P__N];
};

/* Conditions: terms joined by "and" (docs/rules.md, "Conditions"). */
enum cw_cond_kind {
	CW_COND_SCORE,          /* score OP number            (num: hundredths) */
	CW_COND_BAND,           /* band OP risk               (value: enum cw_risk) */
	CW_COND_CARE_TYPE,      /* care_type = / != type      (value: enum cw_care_type) */
	CW_COND_CQC,            /* cqc.DOMAIN OP rating       (sub: domain, value: rating) */
	CW_COND_WITHIN,         /* FACTOR.VALUE within N days (num: days) */
	CW_COND_OPEN,           /* restriction.KIND [not] open, notice.KIND [not] open
				 * (op: CW_CMP_EQ for open, CW_CMP_NE for not open) */
	CW_COND_PAMMS,          /* pamms.overall OP rating    (value: enum cw_pamms_rating) */
};
enum cw_cmp { CW_CMP_EQ, CW_CMP_NE, CW_CMP_LT, CW_CMP_LE, CW_CMP_GT, CW_CMP_GE };

/* For CW_COND_WITHIN / CW_COND_OPEN: which field of the record value names. */
enum cw_cond_field {
	CW_FIELD_MAIN,          /* risk, outcome, result, kind */
	CW_FIELD_CATEGORY,      /* safeguarding category */
	CW_FIELD_SG_ELEMENT,    /* concern.safeguarding: the safeguarding element */
};

#define CW_COND_MAX_TERMS 8

struct cw_cond_term {
	enum cw_cond_kind kind;
	enum cw_cmp op;
	enum cw_factor factor;  /* WITHIN and OPEN */
	enum cw_cond_field field;
	int sub;
	int value;
	int64_t num;
	char text[96];          /* the term as written, normalised spacing */
};

struct cw_cond {
	int line;               /* where it was written, for messages */
	int n;
	struct cw_cond_term terms[CW_COND_MAX_TERMS];
};

/* A floor (band at least `band`) or an override (band exactly `band`). */
struct cw_band_rule {
	enum cw_risk band;
	struct cw_cond cond;
};

struct cw_ruleset {
	char name[64];
	char description[256];
	char hash[65];                          /* SHA-256 of the file bytes, lowercase hex */
	int64_t band_min[CW_RISK__N];           /* hundredths; band_min[CW_RISK_LOW] is 0 */
	int response_days[CW_RISK__N];          /* working days; -1 = no target */
	int response_target_pct;
	int64_t case_weight[CW_RISK__N];        /* hundredths */
	struct cw_params params[CW_CARE__N];    /* indexed by enum cw_care_type */
	struct cw_band_rule *floors;
	size_t n_floors;
	struct cw_band_rule *overrides;         /* first match wins */
	size_t n_overrides;
	struct cw_cond *flags;                  /* any match raises the flag */
	size_t n_flags;
	int pamms_follow_up_months;             /* [pamms] follow_up_months, 6 unless set */
	int pamms_plan_days;                    /* [pamms] action_plan_days, 14 unless set */
};

/* Parse text (len bytes, need not be NUL-terminated; NUL bytes are an error)
 * read from filename (used in messages only).  Returns a ruleset the caller
 * frees with cw_rules_free(), or NULL with *err filled (err may not be NULL).
 * Stops at the first error.  Never prints. */
struct cw_ruleset *cw_rules_parse(const char *filename, const char *text, size_t len,
				  struct cw_rules_error *err) __attribute__((warn_unused_result));

/* Read path (at most 1 MiB) and parse it.  As cw_rules_parse; a file that
 * cannot be read is an error with line 0. */
struct cw_ruleset *cw_rules_load(const char *path, struct cw_rules_error *err)
	__attribute__((warn_unused_result));

/* Free rs and everything it owns; NULL is fine. */
void cw_rules_free(struct cw_ruleset *rs);

/* The ruleset's declared name ([ruleset] name) and the lowercase hex SHA-256
 * of the exact file bytes.  Owned by rs.  Never fail. */
const char *cw_rules_name(const struct cw_ruleset *rs);
const char *cw_rules_hash(const struct cw_ruleset *rs);

/* Working days to respond to a concern of risk r; -1 = no target.  Never fails
 * (-1 for an out-of-range r). */
int cw_rules_response_days(const struct cw_ruleset *rs, enum cw_risk r);

/* Caseload weight of one open case of risk r (the worklist balancer's unit).
 * 0 for an out-of-range r.  Never fails. */
double cw_rules_case_weight(const struct cw_ruleset *rs, enum cw_risk r);

/* The share of responses due on time that the team aims for, in percent. */
int cw_rules_response_target_pct(const struct cw_ruleset *rs);

/* PAMMS follow-up: the months after a Requires Improvement or Poor audit is
 * published by which the follow-up audit is due, and the days after it by
 * which the provider's action plan is due ([pamms] follow_up_months and
 * action_plan_days; 6 and 14, PAMMS's own, when the file does not say).
 * Never fail. */
int cw_rules_pamms_follow_up_months(const struct cw_ruleset *rs);
int cw_rules_pamms_plan_days(const struct cw_ruleset *rs);

/* Write "FILE:LINE:COL: error: MSG\n  <line>\n  <spaces>^\n" into buf
 * (truncated to size, always NUL-terminated when size > 0).  A line-0 error
 * is just "FILE: error: MSG\n".  Tabs in the line are kept in the caret line
 * so the caret lines up.  Never fails. */
void cw_rules_error_format(const struct cw_rules_error *e, char *buf, size_t size);

#endif
