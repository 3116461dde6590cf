/*
 * vocab.c - the word lists behind vocab.h.  The SQL CHECK constraints in
 * schema/ list the same words; tests/test_vocab.c checks the two agree.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "carewatch/vocab.h"

#define VOCAB(name, what_, ...)                                                   \
	static const char *const name##_words[] = {__VA_ARGS__};                  \
	const struct cw_vocab cw_vocab_##name = {what_, name##_words, name##_labels, \
		(int)(sizeof(name##_words) / sizeof(name##_words[0]))}

static const char *const care_type_labels[] = {"Home care", "Residential", "Nursing",
	"Supported living", "Housing with care", "Day care"};
VOCAB(care_type, "care type", "home_care", "residential", "nursing", "supported_living",
      "housing_with_care", "day_care");

static const char *const rating_labels[] = {"Outstanding", "Good", "Requires improvement",
	"Inadequate"};
VOCAB(rating, "CQC rating", "outstanding", "good", "requires_improvement", "inadequate");

static const char *const domain_labels[] = {"Safe", "Effective", "Caring", "Responsive",
	"Well-led", "Overall"};
VOCAB(domain, "CQC domain", "safe", "effective", "caring", "responsive", "well_led", "overall");

static const char *const risk_labels[] = {"Low", "Medium", "High", "Very high"};
VOCAB(risk, "risk level", "low", "medium", "high", "very_high");

static const char *const concern_category_labels[] = {"Care practice", "Medication",
	"Staffing", "Environment", "Management", "Communication", "Infection control",
	"Nutrition", "Other"};
VOCAB(concern_category, "concern category", "care_practice", "medication", "staffing",
      "environment", "management", "communication", "infection_control", "nutrition", "other");

static const char *const concern_source_labels[] = {"Family or friend", "Service user",
	"Member of the public", "Social care professional", "Health professional",
	"Provider (self-report)", "CQC", "Whistleblower", "Anonymous", "Other"};
VOCAB(concern_source, "concern source", "family", "service_user", "public", "professional",
      "health", "provider", "cqc", "whistleblower", "anonymous", "other");

static const char *const visit_kind_labels[] = {"Routine monitoring", "Response",
	"PAMMS audit"};
VOCAB(visit_kind, "visit kind", "routine", "response", "pamms");

static const char *const visit_outcome_labels[] = {"No concerns", "Minor concerns",
	"Significant concerns", "Serious concerns"};
VOCAB(visit_outcome, "visit outcome", "no_concerns", "minor_concerns",
      "significant_concerns", "serious_concerns");

static const char *const sg_category_labels[] = {"Resident on resident",
	"Medication error", "Neglect", "Financial abuse", "Physical abuse by staff",
	"Sexual abuse", "Abuse by service user", "Other"};
VOCAB(sg_category, "safeguarding category", "resident_on_resident", "medication_error",
      "neglect", "financial_abuse", "physical_abuse_by_staff", "sexual_abuse",
      "abuse_by_service_user", "other");

static const char *const sg_outcome_labels[] = {"Open", "Substantiated",
	"Partially substantiated", "Not substantiated", "Inconclusive"};
VOCAB(sg_outcome, "safeguarding outcome", "open", "substantiated", "partially_substantiated",
      "not_substantiated", "inconclusive");

static const char *const ipc_result_labels[] = {"Compliant", "Partially compliant",
	"Non-compliant"};
VOCAB(ipc_result, "IPC result", "compliant", "partially_compliant", "non_compliant");

static const char *const restriction_kind_labels[] = {"All placements", "Partial"};
VOCAB(restriction_kind, "restriction kind", "all", "partial");

static const char *const notice_kind_labels[] = {"Improvement notice", "Performance notice",
	"Default notice"};
VOCAB(notice_kind, "notice kind", "improvement", "performance", "default");

static const char *const loss_kind_labels[] = {"Closure", "Nursing de-registration",
	"Beds lost"};
VOCAB(loss_kind, "loss kind", "closure", "nursing_deregistration", "beds_lost");

static const char *const case_state_labels[] = {"Open", "Responded", "Closed"};
VOCAB(case_state, "case state", "open", "responded", "closed");

/* PAMMS's four-point scale, as the audits print it. */
static const char *const pamms_rating_labels[] = {"Excellent", "Good", "Requires Improvement",
	"Poor"};
VOCAB(pamms_rating, "PAMMS rating", "excellent", "good", "requires_improvement", "poor");

static const char *const pamms_action_status_labels[] = {"Open", "Done", "Dropped"};
VOCAB(pamms_action_status, "action status", "open", "done", "dropped");

/* Case-insensitive compare treating '-', ' ' and '_' alike. */
static bool
loose_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca == '-' || ca == ' ')
			ca = '_';
		if (cb == '-' || cb == ' ')
			cb = '_';
		if (ca != cb)
			return false;
	}
	return *a == '\0' && *b == '\0';
}

int
cw_vocab_parse(const struct cw_vocab *v, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < v->n; i++)
		if (strcmp(s, v->words[i]) == 0)
			return i;
	for (int i = 0; i < v->n; i++)
		if (loose_equal(s, v->words[i]) || loose_equal(s, v->labels[i]))
			return i;
	return -1;
}

char *
cw_vocab_expected(const struct cw_vocab *v, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < v->n && len < size; i++) {
		const char *sep = i == 0 ? "" : (i == v->n - 1 ? " or " : ", ");
		int w = snprintf(buf + len, size - len, "%s%s", sep, v->words[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return buf;
}

bool
cw_vocab_check(const struct cw_vocab *v, const char *field, const char *s, int *out,
	       struct cw_error *err)
{
	char expected[512];
	int i = cw_vocab_parse(v, s);

	if (i >= 0) {
		*out = i;
		return true;
	}
	cw_vocab_expected(v, expected, sizeof(expected));
	if (s == NULL || *s == '\0')
		return cw_error_field(err, field, "missing %s (expected %s)", v->what, expected);
	return cw_error_field(err, field, "invalid %s '%.40s' (expected %s)", v->what, s, expected);
}

const char *
cw_vocab_word(const struct cw_vocab *v, int i)
{
	return i >= 0 && i < v->n ? v->words[i] : "?";
}

const char *
cw_vocab_label(const struct cw_vocab *v, int i)
{
	return i >= 0 && i < v->n ? v->labels[i] : "?";
}
