/*
 * vocab.h - the controlled vocabularies of DESIGN.md, in one place.
 *
 * Every word a user may type for a care type, rating, domain, risk level,
 * intelligence category or outcome is listed here once.  The same tables feed
 * input validation (with the "expected a, b or c" message), tab completion,
 * --help text, rules-file parsing and the CHECK constraints' documentation.
 * Enum values index the word lists, so `cw_vocab_word(&cw_vocab_risk, CW_RISK_HIGH)`
 * is "high".  Ratings and risks are ordered (best/lowest first).
 */
#ifndef CAREWATCH_VOCAB_H
#define CAREWATCH_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/error.h"

struct cw_vocab {
	const char *what;              /* "risk level": used in messages */
	const char *const *words;      /* command-line / CSV / JSON words */
	const char *const *labels;     /* display labels ("Very high") */
	int n;
};

enum cw_care_type { CW_CARE_HOME_CARE, CW_CARE_RESIDENTIAL, CW_CARE_NURSING,
	CW_CARE_SUPPORTED_LIVING, CW_CARE_HOUSING_WITH_CARE, CW_CARE_DAY_CARE, CW_CARE__N };
enum cw_rating { CW_RATING_OUTSTANDING, CW_RATING_GOOD, CW_RATING_REQUIRES_IMPROVEMENT,
	CW_RATING_INADEQUATE, CW_RATING__N };
enum cw_domain { CW_DOMAIN_SAFE, CW_DOMAIN_EFFECTIVE, CW_DOMAIN_CARING,
	CW_DOMAIN_RESPONSIVE, CW_DOMAIN_WELL_LED, CW_DOMAIN_OVERALL, CW_DOMAIN__N };
enum cw_risk { CW_RISK_LOW, CW_RISK_MEDIUM, CW_RISK_HIGH, CW_RISK_VERY_HIGH, CW_RISK__N };
enum cw_concern_category { CW_CC_CARE_PRACTICE, CW_CC_MEDICATION, CW_CC_STAFFING,
	CW_CC_ENVIRONMENT, CW_CC_MANAGEMENT, CW_CC_COMMUNICATION, CW_CC_INFECTION_CONTROL,
	CW_CC_NUTRITION, CW_CC_OTHER, CW_CC__N };
enum cw_concern_source { CW_SRC_FAMILY, CW_SRC_SERVICE_USER, CW_SRC_PUBLIC,
	CW_SRC_PROFESSIONAL, CW_SRC_HEALTH, CW_SRC_PROVIDER, CW_SRC_CQC,
	CW_SRC_WHISTLEBLOWER, CW_SRC_ANONYMOUS, CW_SRC_OTHER, CW_SRC__N };
enum cw_visit_kind { CW_VISIT_ROUTINE, CW_VISIT_RESPONSE, CW_VISIT_PAMMS, CW_VISIT__N };
enum cw_visit_outcome { CW_VO_NO_CONCERNS, CW_VO_MINOR_CONCERNS, CW_VO_SIGNIFICANT_CONCERNS,
	CW_VO_SERIOUS_CONCERNS, CW_VO__N };
enum cw_sg_category { CW_SG_RESIDENT_ON_RESIDENT, CW_SG_MEDICATION_ERROR, CW_SG_NEGLECT,
	CW_SG_FINANCIAL_ABUSE, CW_SG_PHYSICAL_ABUSE_BY_STAFF, CW_SG_SEXUAL_ABUSE,
	CW_SG_ABUSE_BY_SERVICE_USER, CW_SG_OTHER, CW_SG__N };
enum cw_sg_outcome { CW_SGO_OPEN, CW_SGO_SUBSTANTIATED, CW_SGO_PARTIALLY_SUBSTANTIATED,
	CW_SGO_NOT_SUBSTANTIATED, CW_SGO_INCONCLUSIVE, CW_SGO__N };
enum cw_ipc_result { CW_IPC_COMPLIANT, CW_IPC_PARTIALLY_COMPLIANT, CW_IPC_NON_COMPLIANT, CW_IPC__N };
enum cw_restriction_kind { CW_RESTRICT_ALL, CW_RESTRICT_PARTIAL, CW_RESTRICT__N };
enum cw_notice_kind { CW_NOTICE_IMPROVEMENT, CW_NOTICE_PERFORMANCE, CW_NOTICE_DEFAULT, CW_NOTICE__N };
enum cw_loss_kind { CW_LOSS_CLOSURE, CW_LOSS_NURSING_DEREGISTRATION, CW_LOSS_BEDS_LOST, CW_LOSS__N };
enum cw_case_state { CW_CASE_OPEN, CW_CASE_RESPONDED, CW_CASE_CLOSED, CW_CASE__N };
/* PAMMS (the ADASS regional Provider Assessment and Market Management
 * Solution): a standard's or an audit's overall rating, best first. */
enum cw_pamms_rating { CW_PAMMS_EXCELLENT, CW_PAMMS_GOOD, CW_PAMMS_REQUIRES_IMPROVEMENT,
	CW_PAMMS_POOR, CW_PAMMS__N };
enum cw_pamms_action_status { CW_PAMMS_ACTION_OPEN, CW_PAMMS_ACTION_DONE,
	CW_PAMMS_ACTION_DROPPED, CW_PAMMS_ACTION__N };

extern const struct cw_vocab cw_vocab_care_type;
extern const struct cw_vocab cw_vocab_rating;
extern const struct cw_vocab cw_vocab_domain;
extern const struct cw_vocab cw_vocab_risk;        /* also risk bands */
extern const struct cw_vocab cw_vocab_concern_category;
extern const struct cw_vocab cw_vocab_concern_source;
extern const struct cw_vocab cw_vocab_visit_kind;
extern const struct cw_vocab cw_vocab_visit_outcome;
extern const struct cw_vocab cw_vocab_sg_category;
extern const struct cw_vocab cw_vocab_sg_outcome;
extern const struct cw_vocab cw_vocab_ipc_result;
extern const struct cw_vocab cw_vocab_restriction_kind;
extern const struct cw_vocab cw_vocab_notice_kind;
extern const struct cw_vocab cw_vocab_loss_kind;
extern const struct cw_vocab cw_vocab_case_state;
extern const struct cw_vocab cw_vocab_pamms_rating;
extern const struct cw_vocab cw_vocab_pamms_action_status;

/* Index of word s in v, or -1.  Matches the word exactly, or ignoring case
 * with '-' or ' ' for '_' ("Very high", "well-led" are accepted).  Never fails. */
int cw_vocab_parse(const struct cw_vocab *v, const char *s);

/* As cw_vocab_parse, but on no match fills err (code CW_EXIT_USAGE, field set)
 * with "invalid <what> '<s>' (expected a, b or c)" and returns false. */
bool cw_vocab_check(const struct cw_vocab *v, const char *field, const char *s,
		    int *out, struct cw_error *err) __attribute__((warn_unused_result));

/* Word and label for index i; "?" when out of range.  Never fail. */
const char *cw_vocab_word(const struct cw_vocab *v, int i);
const char *cw_vocab_label(const struct cw_vocab *v, int i);

/* Writes "a, b or c" into buf (truncated to size).  Returns buf. */
char *cw_vocab_expected(const struct cw_vocab *v, char *buf, size_t size);

#endif
