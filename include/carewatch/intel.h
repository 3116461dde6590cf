/*
 * intel.h - a provider's facts and intelligence as plain structs.
 *
 * This is the rule evaluator's input (see score.h).  The database code fills
 * it (for one provider when intelligence is recorded, or provider by provider
 * while the nightly batch streams every record), and the evaluator reads it
 * without ever touching the database.  Times are seconds since the Unix epoch
 * in UTC (cw_time); a date is its midnight UTC.  Only the current version of
 * each record is given: superseded corrections are left out by the loader.
 */
#ifndef CAREWATCH_INTEL_H
#define CAREWATCH_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carewatch/vocab.h"

typedef int64_t cw_time;
#define CW_TIME_NONE INT64_MIN  /* an absent time (open-ended, not lifted...) */
#define CW_DAY 86400

/* Text form of a UUID plus NUL. */
#define CW_UUID_LEN 37

struct cw_rec_concern {
	char id[CW_UUID_LEN];
	cw_time at;                          /* received */
	enum cw_risk risk;
	enum cw_concern_category category;
	bool safeguarding;                   /* has a safeguarding element */
};

struct cw_rec_visit {
	char id[CW_UUID_LEN];
	cw_time at;
	enum cw_visit_kind kind;
	enum cw_visit_outcome outcome;
};

struct cw_rec_safeguarding {
	char id[CW_UUID_LEN];
	cw_time at;                          /* referred */
	enum cw_sg_category category;
	enum cw_sg_outcome outcome;
};

/* One CQC domain rating as published.  A provider's current rating in a
 * domain is its latest published one on or before the as-of time. */
struct cw_rec_cqc {
	char id[CW_UUID_LEN];
	cw_time at;                          /* publication date */
	cw_time inspected;                   /* inspection date or CW_TIME_NONE */
	enum cw_domain domain;
	enum cw_rating rating;
};

struct cw_rec_ipc {
	char id[CW_UUID_LEN];
	cw_time at;
	enum cw_ipc_result result;
	int score;                           /* percent 0..100, or -1 when not scored */
};

struct cw_rec_survey {
	char id[CW_UUID_LEN];
	cw_time at;
	int satisfaction;                    /* percent satisfied, 0..100 */
	int respondents;
};

struct cw_rec_restriction {
	char id[CW_UUID_LEN];
	cw_time at;                          /* from */
	cw_time until;                       /* planned end or CW_TIME_NONE */
	cw_time lifted;                      /* lifted at or CW_TIME_NONE */
	enum cw_restriction_kind kind;
};

struct cw_rec_notice {
	char id[CW_UUID_LEN];
	cw_time at;                          /* issued */
	cw_time closed;                      /* closed at or CW_TIME_NONE */
	enum cw_notice_kind kind;
};

struct cw_rec_loss {
	char id[CW_UUID_LEN];
	cw_time at;
	enum cw_loss_kind kind;
	int beds;
};

/* A final PAMMS audit (drafts are not loaded: only a final audit counts).
 * A provider's current PAMMS rating is its latest published on or before
 * the as-of time. */
struct cw_rec_pamms {
	char id[CW_UUID_LEN];
	cw_time at;                          /* publication: the day it became final */
	cw_time audited;                     /* the audit visit */
	enum cw_pamms_rating overall;
};

#define CW_ARRAY(type) struct { type *v; size_t n, cap; }

struct cw_provider_intel {
	char provider_id[CW_UUID_LEN];
	enum cw_care_type care_type;
	int beds;                            /* -1 when unknown */
	CW_ARRAY(struct cw_rec_concern) concerns;
	CW_ARRAY(struct cw_rec_visit) visits;
	CW_ARRAY(struct cw_rec_safeguarding) safeguardings;
	CW_ARRAY(struct cw_rec_cqc) cqc;
	CW_ARRAY(struct cw_rec_ipc) ipc;
	CW_ARRAY(struct cw_rec_survey) surveys;
	CW_ARRAY(struct cw_rec_restriction) restrictions;
	CW_ARRAY(struct cw_rec_notice) notices;
	CW_ARRAY(struct cw_rec_loss) losses;
	CW_ARRAY(struct cw_rec_pamms) pamms;
};

/* Zero-initialise.  Never fails. */
void cw_intel_init(struct cw_provider_intel *pi);
/* Empty every list but keep the memory, so a streaming caller reuses it for
 * the next provider (memory bounded by the busiest provider).  Never fails. */
void cw_intel_reset(struct cw_provider_intel *pi);
/* Free the lists.  The struct itself is the caller's. */
void cw_intel_free(struct cw_provider_intel *pi);

/* Append a copy of rec.  Return false only when out of memory. */
bool cw_intel_add_concern(struct cw_provider_intel *pi, const struct cw_rec_concern *rec);
bool cw_intel_add_visit(struct cw_provider_intel *pi, const struct cw_rec_visit *rec);
bool cw_intel_add_safeguarding(struct cw_provider_intel *pi, const struct cw_rec_safeguarding *rec);
bool cw_intel_add_cqc(struct cw_provider_intel *pi, const struct cw_rec_cqc *rec);
bool cw_intel_add_ipc(struct cw_provider_intel *pi, const struct cw_rec_ipc *rec);
bool cw_intel_add_survey(struct cw_provider_intel *pi, const struct cw_rec_survey *rec);
bool cw_intel_add_restriction(struct cw_provider_intel *pi, const struct cw_rec_restriction *rec);
bool cw_intel_add_notice(struct cw_provider_intel *pi, const struct cw_rec_notice *rec);
bool cw_intel_add_loss(struct cw_provider_intel *pi, const struct cw_rec_loss *rec);
bool cw_intel_add_pamms(struct cw_provider_intel *pi, const struct cw_rec_pamms *rec);

#endif
