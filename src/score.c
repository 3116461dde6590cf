/*
 * score.c - the rule evaluator: a ruleset, one provider's intelligence and an
 * as-of time to a score that explains itself (score.h, docs/rules.md).
 *
 * The steps, each visible in the output:
 *   1. every record dated on or before as-of (and inside its factor's window)
 *      becomes a contribution with the raw weight its rule gives;
 *   2. the raw weight fades with the record's age in whole days by the
 *      factor's half-life (open restrictions and notices do not fade);
 *   3. a factor whose contributions add up to more than its cap has its
 *      positive contributions scaled down to exactly the cap;
 *   4. the total (at least 0) picks the band; floors raise it, the first
 *      matching override sets it; the flag rules are tested last.
 * Everything is integer hundredths of a point, and the cap shares are
 * apportioned by largest remainder in a fixed order, so the result does not
 * depend on the order the records were loaded in.  The one floating-point
 * step, exp2 for the decay, is rounded to millionths before it is used.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/copybuf.h"
#include "carewatch/score.h"

struct item {
	struct cw_contribution c;
	enum cw_factor f;
	int64_t raw, dec, cap;          /* hundredths */
	int64_t rem;                    /* cap apportioning remainder */
	size_t order;
};

struct eval {
	const struct cw_ruleset *rs;
	const struct cw_provider_intel *pi;
	const struct cw_params *P;
	cw_time as_of;
	const struct cw_rec_cqc *current[CW_DOMAIN__N];
	const struct cw_rec_pamms *pamms;      /* the current final audit, or NULL */
	int64_t total;
	enum cw_risk band;
	struct item *items;
	size_t n;
	bool notes;                     /* write each contribution's note */
};

/* a / b rounded half away from zero; b > 0. */
static int64_t
round_div(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

/* Whole days from at to as_of; callers have checked at <= as_of.  Unsigned
 * so that no pair of times can overflow. */
static int64_t
age_days(cw_time as_of, cw_time at)
{
	return (int64_t)(((uint64_t)as_of - (uint64_t)at) / CW_DAY);
}

static void
fmt_date(char *buf, size_t size, cw_time t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "?");
}

static void
fmt_iso(char *buf, size_t size, cw_time t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
}

static void
fmt_h(char *buf, size_t size, int64_t h)
{
	int64_t a = h < 0 ? -h : h;

	snprintf(buf, size, "%s%lld.%02lld", h < 0 ? "-" : "", (long long)(a / 100),
		 (long long)(a % 100));
}

/* Append text to a "; "-separated list, ending in "..." when it is full. */
static void
append(char *buf, size_t size, const char *text)
{
	size_t len = strlen(buf), tl = strlen(text), sep = len ? 2 : 0;

	if (len + 4 >= size && len >= 3 && strcmp(buf + len - 3, "...") == 0)
		return;
	if (len + sep + tl < size) {
		snprintf(buf + len, size - len, "%s%s", sep ? "; " : "", text);
		return;
	}
	if (size >= 4) {
		snprintf(buf + len, size - len, "%s%s", sep ? "; " : "", text);
		memcpy(buf + size - 4, "...", 4);
	}
}

/* Callers va_start ap; clang-analyzer 14 loses track of that across the
 * call and reports valist.Uninitialized, a known false positive. */
static void
vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(buf, size, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
}

static bool
in_range(int v, int n)
{
	return v >= 0 && v < n;
}

/* ---- contributions --------------------------------------------------- */

static struct item * __attribute__((format(printf, 6, 7)))
add_item(struct eval *x, enum cw_factor f, const char *id, cw_time at, int64_t raw,
	 const char *fmt, ...)
{
	struct item *it = &x->items[x->n++];
	va_list ap;

	memset(it, 0, sizeof(*it));
	it->f = f;
	it->raw = it->dec = raw;
	it->c.at = at;
	cw_str_copy(it->c.kind, sizeof(it->c.kind), cw_rules_factor_name(f));
	cw_str_copy(it->c.record_id, sizeof(it->c.record_id), id);
	va_start(ap, fmt);
	vformat(it->c.rule, sizeof(it->c.rule), fmt, ap);
	va_end(ap);
	return it;
}

/* Age and decay an event; the note gets the raw detail plus the decay. */
static void
decay(struct eval *x, struct item *it, const char *detail)
{
	int64_t age = age_days(x->as_of, it->c.at);
	int64_t hl = x->P->v[CW_P_HALF_LIFE + it->f];
	char buf[256];

	if (hl <= 0) {
		if (!x->notes)
			return;
		snprintf(buf, sizeof(buf), "%s%s%lld d old, no decay", detail, detail[0] ? "; " : "",
			 (long long)age);
	} else {
		long long ppm = llround(exp2(-(double)age / (double)hl) * 1e6);
		it->dec = round_div(it->raw * ppm, 1000000);
		if (!x->notes)
			return;
		snprintf(buf, sizeof(buf), "%s%s%lld d old, half-life %lld d: x%lld.%06lld", detail,
			 detail[0] ? "; " : "", (long long)age, (long long)hl, ppm / 1000000,
			 ppm % 1000000);
	}
	snprintf(it->c.note, sizeof(it->c.note), "%.95s", buf);
}

/* The note of an open restriction or notice. */
static void
open_note(const struct eval *x, struct item *it)
{
	char day[24];

	if (!x->notes)
		return;
	fmt_date(day, sizeof(day), it->c.at);
	snprintf(it->c.note, sizeof(it->c.note), "open since %s, no decay", day);
}

/* Dated on or before as-of and inside the factor's window. */
static bool
counts(const struct eval *x, enum cw_factor f, cw_time at)
{
	int64_t win = x->P->v[CW_P_WINDOW + f];

	if (at == CW_TIME_NONE || at > x->as_of)
		return false;
	return win <= 0 || age_days(x->as_of, at) <= win;
}

static bool
restriction_open(const struct cw_rec_restriction *r, cw_time as_of)
{
	return r->at != CW_TIME_NONE && r->at <= as_of &&
	       (r->lifted == CW_TIME_NONE || r->lifted > as_of) &&
	       (r->until == CW_TIME_NONE || r->until > as_of);
}

static bool
notice_open(const struct cw_rec_notice *r, cw_time as_of)
{
	return r->at != CW_TIME_NONE && r->at <= as_of &&
	       (r->closed == CW_TIME_NONE || r->closed > as_of);
}

/* Is a the later publication of the same domain?  Ties go to the later
 * inspection, then the greater id, so the choice never depends on order. */
static bool
cqc_later(const struct cw_rec_cqc *a, const struct cw_rec_cqc *b)
{
	if (a->at != b->at)
		return a->at > b->at;
	if (a->inspected != b->inspected)
		return a->inspected > b->inspected;
	return strcmp(a->id, b->id) > 0;
}

/* The same for PAMMS audits: the later publication, then the later audit
 * visit, then the greater id. */
static bool
pamms_later(const struct cw_rec_pamms *a, const struct cw_rec_pamms *b)
{
	if (a->at != b->at)
		return a->at > b->at;
	if (a->audited != b->audited)
		return a->audited > b->audited;
	return strcmp(a->id, b->id) > 0;
}

static bool
check_records(const struct cw_provider_intel *pi, struct cw_error *err)
{
	const char *bad = NULL, *id = "";
	int v = 0;

#define CHECK(list, field, limit, what)                                              \
	for (size_t i = 0; i < pi->list.n && bad == NULL; i++)                   \
		if (!in_range((int)pi->list.v[i].field, limit)) {                    \
			bad = what;                                              \
			id = pi->list.v[i].id;                                   \
			v = (int)pi->list.v[i].field;                            \
		}
	CHECK(concerns, risk, CW_RISK__N, "concern risk level")
	CHECK(visits, outcome, CW_VO__N, "visit outcome")
	CHECK(safeguardings, category, CW_SG__N, "safeguarding category")
	CHECK(safeguardings, outcome, CW_SGO__N, "safeguarding outcome")
	CHECK(cqc, domain, CW_DOMAIN__N, "CQC domain")
	CHECK(cqc, rating, CW_RATING__N, "CQC rating")
	CHECK(ipc, result, CW_IPC__N, "IPC result")
	CHECK(restrictions, kind, CW_RESTRICT__N, "restriction kind")
	CHECK(notices, kind, CW_NOTICE__N, "notice kind")
	CHECK(losses, kind, CW_LOSS__N, "loss kind")
	CHECK(pamms, overall, CW_PAMMS__N, "PAMMS rating")
#undef CHECK
	if (bad != NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "invalid %s %d in record %.36s", bad, v, id);
	return true;
}

static void
collect(struct eval *x)
{
	const struct cw_provider_intel *pi = x->pi;
	const struct cw_params *P = x->P;
	char d[64] = "";

	for (size_t i = 0; i < pi->concerns.n; i++) {
		const struct cw_rec_concern *r = &pi->concerns.v[i];
		if (!counts(x, CW_FACTOR_CONCERN, r->at))
			continue;
		const char *w = cw_vocab_word(&cw_vocab_risk, r->risk);
		int64_t raw = P->v[CW_P_CONCERN + r->risk];
		struct item *it;
		if (r->safeguarding) {
			char a[24], b[24];
			raw += P->v[CW_P_CONCERN_SG_EXTRA];
			it = add_item(x, CW_FACTOR_CONCERN, r->id, r->at, raw,
				      "concern.%s+safeguarding_extra", w);
			if (x->notes) {
				fmt_h(a, sizeof(a), P->v[CW_P_CONCERN + r->risk]);
				fmt_h(b, sizeof(b), P->v[CW_P_CONCERN_SG_EXTRA]);
				snprintf(d, sizeof(d), "%s + safeguarding %s", a, b);
			}
		} else {
			it = add_item(x, CW_FACTOR_CONCERN, r->id, r->at, raw, "concern.%s", w);
			d[0] = '\0';
		}
		decay(x, it, d);
	}
	for (size_t i = 0; i < pi->safeguardings.n; i++) {
		const struct cw_rec_safeguarding *r = &pi->safeguardings.v[i];
		if (!counts(x, CW_FACTOR_SAFEGUARDING, r->at))
			continue;
		int64_t cat = P->v[CW_P_SG_CATEGORY + r->category];
		int64_t mult = P->v[CW_P_SG_OUTCOME + r->outcome];
		char a[24], b[24];
		struct item *it = add_item(x, CW_FACTOR_SAFEGUARDING, r->id, r->at,
					   round_div(cat * mult, 100), "safeguarding.%s.%s",
					   cw_vocab_word(&cw_vocab_sg_category, r->category),
					   cw_vocab_word(&cw_vocab_sg_outcome, r->outcome));
		if (x->notes) {
			fmt_h(a, sizeof(a), cat);
			fmt_h(b, sizeof(b), mult);
			snprintf(d, sizeof(d), "%s x %s", a, b);
		}
		decay(x, it, d);
	}
	for (size_t i = 0; i < pi->visits.n; i++) {
		const struct cw_rec_visit *r = &pi->visits.v[i];
		if (!counts(x, CW_FACTOR_VISIT, r->at))
			continue;
		struct item *it = add_item(x, CW_FACTOR_VISIT, r->id, r->at,
					   P->v[CW_P_VISIT + r->outcome], "visit.%s",
					   cw_vocab_word(&cw_vocab_visit_outcome, r->outcome));
		decay(x, it, cw_vocab_word(&cw_vocab_visit_kind,
					   in_range((int)r->kind, CW_VISIT__N) ? (int)r->kind : -1));
	}
	for (int dm = 0; dm < CW_DOMAIN__N; dm++) {
		const struct cw_rec_cqc *r = x->current[dm];
		if (r == NULL || !counts(x, CW_FACTOR_CQC, r->at))
			continue;
		struct item *it = add_item(x, CW_FACTOR_CQC, r->id, r->at,
					   P->v[CW_P_CQC + dm * CW_RATING__N + r->rating], "cqc.%s.%s",
					   cw_vocab_word(&cw_vocab_domain, dm),
					   cw_vocab_word(&cw_vocab_rating, r->rating));
		decay(x, it, "");
	}
	for (size_t i = 0; i < pi->ipc.n; i++) {
		const struct cw_rec_ipc *r = &pi->ipc.v[i];
		if (!counts(x, CW_FACTOR_IPC, r->at))
			continue;
		struct item *it = add_item(x, CW_FACTOR_IPC, r->id, r->at, P->v[CW_P_IPC + r->result],
					   "ipc.%s", cw_vocab_word(&cw_vocab_ipc_result, r->result));
		decay(x, it, "");
	}
	for (size_t i = 0; i < pi->surveys.n; i++) {
		const struct cw_rec_survey *r = &pi->surveys.v[i];
		if (!counts(x, CW_FACTOR_SURVEY, r->at))
			continue;
		int band = -1;
		struct item *it;
		if (r->respondents < P->v[CW_P_SURVEY_MIN_RESPONDENTS]) {
			it = add_item(x, CW_FACTOR_SURVEY, r->id, r->at, 0, "survey.min_respondents");
			snprintf(d, sizeof(d), "%d respondents, fewer than %lld: not counted",
				 r->respondents, (long long)P->v[CW_P_SURVEY_MIN_RESPONDENTS]);
			decay(x, it, d);
			continue;
		}
		for (int b = 1; b <= CW_SURVEY_BANDS && band < 0; b++)
			if (P->set[CW_P_SURVEY_BELOW + b - 1] && r->satisfaction < b)
				band = b;
		if (band < 0) {
			it = add_item(x, CW_FACTOR_SURVEY, r->id, r->at, 0, "survey");
			snprintf(d, sizeof(d), "%d%% satisfied: in no band", r->satisfaction);
		} else {
			it = add_item(x, CW_FACTOR_SURVEY, r->id, r->at,
				      P->v[CW_P_SURVEY_BELOW + band - 1], "survey.below_%d", band);
			snprintf(d, sizeof(d), "%d%% satisfied, %d respondents", r->satisfaction,
				 r->respondents);
		}
		decay(x, it, d);
	}
	for (size_t i = 0; i < pi->restrictions.n; i++) {
		const struct cw_rec_restriction *r = &pi->restrictions.v[i];
		if (!restriction_open(r, x->as_of))
			continue;
		struct item *it = add_item(x, CW_FACTOR_RESTRICTION, r->id, r->at,
					   P->v[CW_P_RESTRICTION + r->kind], "restriction.%s",
					   cw_vocab_word(&cw_vocab_restriction_kind, r->kind));
		open_note(x, it);
	}
	for (size_t i = 0; i < pi->notices.n; i++) {
		const struct cw_rec_notice *r = &pi->notices.v[i];
		if (!notice_open(r, x->as_of))
			continue;
		struct item *it = add_item(x, CW_FACTOR_NOTICE, r->id, r->at,
					   P->v[CW_P_NOTICE + r->kind], "notice.%s",
					   cw_vocab_word(&cw_vocab_notice_kind, r->kind));
		open_note(x, it);
	}
	for (size_t i = 0; i < pi->losses.n; i++) {
		const struct cw_rec_loss *r = &pi->losses.v[i];
		if (!counts(x, CW_FACTOR_LOSS, r->at))
			continue;
		struct item *it = add_item(x, CW_FACTOR_LOSS, r->id, r->at, P->v[CW_P_LOSS + r->kind],
					   "loss.%s", cw_vocab_word(&cw_vocab_loss_kind, r->kind));
		d[0] = '\0';
		if (r->beds > 0)
			snprintf(d, sizeof(d), "%d beds", r->beds);
		decay(x, it, d);
	}
	if (x->pamms != NULL && counts(x, CW_FACTOR_PAMMS, x->pamms->at)) {
		/* Only the current rating, as for CQC: a follow-up audit replaces
		 * the one it follows, so the support between them shows. */
		const struct cw_rec_pamms *r = x->pamms;
		struct item *it = add_item(x, CW_FACTOR_PAMMS, r->id, r->at, P->v[CW_P_PAMMS + r->overall],
					   "pamms.%s", cw_vocab_word(&cw_vocab_pamms_rating, r->overall));
		decay(x, it, "");
	}
}

/* The documented order: factor, newest first, rule, record id (then the
 * values, so that even duplicated ids sort the same every time). */
static int
item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int c;

	if (a->f != b->f)
		return a->f < b->f ? -1 : 1;
	if (a->c.at != b->c.at)
		return a->c.at > b->c.at ? -1 : 1;
	if ((c = strcmp(a->c.rule, b->c.rule)) != 0)
		return c;
	if ((c = strcmp(a->c.record_id, b->c.record_id)) != 0)
		return c;
	if (a->dec != b->dec)
		return a->dec > b->dec ? -1 : 1;
	return strcmp(a->c.note, b->c.note);
}

/* Largest remainder first, then list order. */
static int
rem_cmp(const void *pa, const void *pb)
{
	const struct item *a = *(const struct item *const *)pa, *b = *(const struct item *const *)pb;

	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	return a->order < b->order ? -1 : (a->order > b->order ? 1 : 0);
}

/* Step 3: scale a factor's positive contributions so that it adds exactly
 * its cap.  Returns false when out of memory. */
static bool
apply_cap(struct eval *x, struct item *it, size_t n, char *adjust, size_t adjust_size)
{
	int64_t cap = x->P->v[CW_P_CAP + it[0].f], pos = 0, neg = 0;
	char a[32], b[32], msg[128];

	for (size_t i = 0; i < n; i++) {
		it[i].cap = it[i].dec;
		if (it[i].dec > 0)
			pos += it[i].dec;
		else
			neg += it[i].dec;
	}
	if (pos + neg <= cap)
		return true;

	int64_t target = cap - neg, given = 0;
	size_t np = 0;
	struct item **byrem = malloc(n * sizeof(struct item *));
	if (byrem == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (it[i].dec <= 0)
			continue;
		it[i].cap = it[i].dec * target / pos;
		it[i].rem = it[i].dec * target % pos;
		given += it[i].cap;
		byrem[np++] = &it[i];
	}
	qsort(byrem, np, sizeof(struct item *), rem_cmp);
	for (size_t i = 0; given < target && i < np; i++, given++)
		byrem[i]->cap++;
	free(byrem);

	fmt_h(a, sizeof(a), pos + neg);
	fmt_h(b, sizeof(b), cap);
	snprintf(msg, sizeof(msg), "%s capped: %s scaled to %s", cw_rules_factor_name(it[0].f), a, b);
	append(adjust, adjust_size, msg);
	return true;
}

/* ---- conditions ------------------------------------------------------ */

static bool
cmp_int(int64_t a, enum cw_cmp op, int64_t b)
{
	switch (op) {
	case CW_CMP_EQ: return a == b;
	case CW_CMP_NE: return a != b;
	case CW_CMP_LT: return a < b;
	case CW_CMP_LE: return a <= b;
	case CW_CMP_GT: return a > b;
	case CW_CMP_GE: return a >= b;
	}
	return false;
}

/* The latest record of t's kind within t->num days, or CW_TIME_NONE. */
static cw_time
latest_within(const struct eval *x, const struct cw_cond_term *t)
{
	const struct cw_provider_intel *pi = x->pi;
	cw_time best = CW_TIME_NONE;

#define SCAN(list, match)                                                        \
	for (size_t i = 0; i < pi->list.n; i++) {                                \
		cw_time at = pi->list.v[i].at;                                   \
		if (at == CW_TIME_NONE || at > x->as_of ||                       \
		    age_days(x->as_of, at) > t->num || !(match))                 \
			continue;                                                \
		if (best == CW_TIME_NONE || at > best)                           \
			best = at;                                               \
	}
	switch (t->factor) {
	case CW_FACTOR_CONCERN:
		if (t->field == CW_FIELD_SG_ELEMENT)
			SCAN(concerns, pi->concerns.v[i].safeguarding)
		else
			SCAN(concerns, (int)pi->concerns.v[i].risk == t->value)
		break;
	case CW_FACTOR_SAFEGUARDING:
		if (t->field == CW_FIELD_CATEGORY)
			SCAN(safeguardings, (int)pi->safeguardings.v[i].category == t->value)
		else
			SCAN(safeguardings, (int)pi->safeguardings.v[i].outcome == t->value)
		break;
	case CW_FACTOR_VISIT:
		SCAN(visits, (int)pi->visits.v[i].outcome == t->value)
		break;
	case CW_FACTOR_IPC:
		SCAN(ipc, (int)pi->ipc.v[i].result == t->value)
		break;
	case CW_FACTOR_LOSS:
		SCAN(losses, (int)pi->losses.v[i].kind == t->value)
		break;
	default:
		break;
	}
#undef SCAN
	return best;
}

/* Does term t hold?  ev gets the evidence to show after the term. */
static bool
eval_term(const struct eval *x, const struct cw_cond_term *t, char *ev, size_t evn)
{
	const struct cw_provider_intel *pi = x->pi;
	char d[24];

	ev[0] = '\0';
	switch (t->kind) {
	case CW_COND_SCORE:
		fmt_h(d, sizeof(d), x->total);
		snprintf(ev, evn, " (score %s)", d);
		return cmp_int(x->total, t->op, t->num);
	case CW_COND_BAND:
		return cmp_int(x->band, t->op, t->value);
	case CW_COND_CARE_TYPE:
		return cmp_int(pi->care_type, t->op, t->value);
	case CW_COND_CQC: {
		const struct cw_rec_cqc *r = in_range(t->sub, CW_DOMAIN__N) ? x->current[t->sub] : NULL;
		if (r == NULL)
			return false;
		fmt_date(d, sizeof(d), r->at);
		snprintf(ev, evn, " (%s, published %s)", cw_vocab_word(&cw_vocab_rating, r->rating), d);
		return cmp_int(r->rating, t->op, t->value);
	}
	case CW_COND_PAMMS: {
		const struct cw_rec_pamms *r = x->pamms;
		if (r == NULL)
			return false;
		fmt_date(d, sizeof(d), r->at);
		snprintf(ev, evn, " (%s, published %s)", cw_vocab_word(&cw_vocab_pamms_rating, r->overall), d);
		return cmp_int(r->overall, t->op, t->value);
	}
	case CW_COND_WITHIN: {
		cw_time at = latest_within(x, t);
		if (at == CW_TIME_NONE)
			return false;
		fmt_date(d, sizeof(d), at);
		snprintf(ev, evn, " (latest %s)", d);
		return true;
	}
	case CW_COND_OPEN: {
		cw_time since = CW_TIME_NONE;
		if (t->factor == CW_FACTOR_RESTRICTION) {
			for (size_t i = 0; i < pi->restrictions.n; i++)
				if ((int)pi->restrictions.v[i].kind == t->value &&
				    restriction_open(&pi->restrictions.v[i], x->as_of) &&
				    (since == CW_TIME_NONE || pi->restrictions.v[i].at < since))
					since = pi->restrictions.v[i].at;
		} else {
			for (size_t i = 0; i < pi->notices.n; i++)
				if ((int)pi->notices.v[i].kind == t->value &&
				    notice_open(&pi->notices.v[i], x->as_of) &&
				    (since == CW_TIME_NONE || pi->notices.v[i].at < since))
					since = pi->notices.v[i].at;
		}
		if (since != CW_TIME_NONE && t->op == CW_CMP_EQ) {
			fmt_date(d, sizeof(d), since);
			snprintf(ev, evn, " (since %s)", d);
		}
		return (since != CW_TIME_NONE) == (t->op == CW_CMP_EQ);
	}
	}
	return false;
}

/* Does every term of c hold?  why gets "term (evidence) and term ...". */
static bool
eval_cond(const struct eval *x, const struct cw_cond *c, char *why, size_t size)
{
	size_t len = 0;

	why[0] = '\0';
	for (int i = 0; i < c->n; i++) {
		char ev[96];
		if (!eval_term(x, &c->terms[i], ev, sizeof(ev)))
			return false;
		if (len < size) {
			int k = snprintf(why + len, size - len, "%s%s%s", i ? " and " : "",
					 c->terms[i].text, ev);
			if (k > 0)
				len += (size_t)k;
		}
	}
	return true;
}

/* ---- the whole evaluation -------------------------------------------- */

static bool
evaluate(const struct cw_ruleset *rs, const struct cw_provider_intel *pi, cw_time as_of, bool notes,
	 struct cw_score *out, struct cw_error *err)
{
	struct eval x;
	size_t cap;
	char why[400], msg[512], a[32];

	memset(out, 0, sizeof(*out));
	out->as_of = as_of;
	if (rs == NULL || pi == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "no ruleset or no provider to score");
	snprintf(out->ruleset, sizeof(out->ruleset), "%s", rs->name);
	snprintf(out->hash, sizeof(out->hash), "%s", rs->hash);
	if (!in_range((int)pi->care_type, CW_CARE__N))
		return cw_error_set(err, CW_EXIT_FAIL, "invalid care type %d for provider %.36s",
				    (int)pi->care_type, pi->provider_id);
	if (!check_records(pi, err))
		return false;

	memset(&x, 0, sizeof(x));
	x.rs = rs;
	x.pi = pi;
	x.P = &rs->params[pi->care_type];
	x.as_of = as_of;
	x.notes = notes;
	for (size_t i = 0; i < pi->cqc.n; i++) {
		const struct cw_rec_cqc *r = &pi->cqc.v[i];
		if (r->at == CW_TIME_NONE || r->at > as_of)
			continue;
		if (x.current[r->domain] == NULL || cqc_later(r, x.current[r->domain]))
			x.current[r->domain] = r;
	}
	for (size_t i = 0; i < pi->pamms.n; i++) {
		const struct cw_rec_pamms *r = &pi->pamms.v[i];
		if (r->at == CW_TIME_NONE || r->at > as_of)
			continue;
		if (x.pamms == NULL || pamms_later(r, x.pamms))
			x.pamms = r;
	}

	cap = pi->concerns.n + pi->safeguardings.n + pi->visits.n + CW_DOMAIN__N + pi->ipc.n +
	      pi->surveys.n + pi->restrictions.n + pi->notices.n + pi->losses.n + 1;
	x.items = calloc(cap ? cap : 1, sizeof(*x.items));
	if (x.items == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	collect(&x);
	qsort(x.items, x.n, sizeof(*x.items), item_cmp);
	for (size_t i = 0; i < x.n; i++)
		x.items[i].order = i;
	for (size_t i = 0, j; i < x.n; i = j) {
		for (j = i; j < x.n && x.items[j].f == x.items[i].f; j++)
			;
		if (!apply_cap(&x, &x.items[i], j - i, out->adjustments, sizeof(out->adjustments))) {
			free(x.items);
			memset(out->adjustments, 0, sizeof(out->adjustments));
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		}
	}

	x.total = 0;
	for (size_t i = 0; i < x.n; i++)
		x.total += x.items[i].cap;
	if (x.total < 0) {
		fmt_h(a, sizeof(a), x.total);
		snprintf(msg, sizeof(msg), "total raised to 0.00 from %s", a);
		append(out->adjustments, sizeof(out->adjustments), msg);
		x.total = 0;
	}
	x.band = CW_RISK_LOW;
	for (int r = CW_RISK__N - 1; r > CW_RISK_LOW; r--)
		if (x.total >= rs->band_min[r]) {
			x.band = (enum cw_risk)r;
			break;
		}
	out->score_band = x.band;

	for (size_t i = 0; i < rs->n_floors; i++) {
		const struct cw_band_rule *f = &rs->floors[i];
		if (f->band <= x.band || !eval_cond(&x, &f->cond, why, sizeof(why)))
			continue;
		snprintf(msg, sizeof(msg), "floor %s: band raised from %s to %s because %s",
			 cw_vocab_word(&cw_vocab_risk, f->band), cw_vocab_word(&cw_vocab_risk, x.band),
			 cw_vocab_word(&cw_vocab_risk, f->band), why);
		append(out->adjustments, sizeof(out->adjustments), msg);
		x.band = f->band;
	}
	for (size_t i = 0; i < rs->n_overrides; i++) {
		const struct cw_band_rule *o = &rs->overrides[i];
		if (!eval_cond(&x, &o->cond, why, sizeof(why)))
			continue;
		snprintf(msg, sizeof(msg), "override %s: band set from %s to %s because %s",
			 cw_vocab_word(&cw_vocab_risk, o->band), cw_vocab_word(&cw_vocab_risk, x.band),
			 cw_vocab_word(&cw_vocab_risk, o->band), why);
		append(out->adjustments, sizeof(out->adjustments), msg);
		x.band = o->band;
		break;
	}
	for (size_t i = 0; i < rs->n_flags; i++)
		if (eval_cond(&x, &rs->flags[i], why, sizeof(why))) {
			out->flag = true;
			append(out->flag_reasons, sizeof(out->flag_reasons), why);
		}

	out->total = (double)x.total / 100.0;
	out->band = x.band;
	out->n = x.n;
	out->items = calloc(x.n ? x.n : 1, sizeof(*out->items));
	if (out->items == NULL) {
		free(x.items);
		memset(out, 0, sizeof(*out));
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < x.n; i++) {
		out->items[i] = x.items[i].c;
		out->items[i].raw = (double)x.items[i].raw / 100.0;
		out->items[i].decayed = (double)x.items[i].dec / 100.0;
		out->items[i].capped = (double)x.items[i].cap / 100.0;
	}
	free(x.items);
	return true;
}

void
cw_score_free(struct cw_score *s)
{
	if (s == NULL)
		return;
	free(s->items);
	memset(s, 0, sizeof(*s));
}

bool
cw_score_evaluate(const struct cw_ruleset *rs, const struct cw_provider_intel *pi,
		  cw_time as_of, struct cw_score *out, struct cw_error *err)
{
	return evaluate(rs, pi, as_of, true, out, err);
}

bool
cw_score_evaluate_summary(const struct cw_ruleset *rs, const struct cw_provider_intel *pi,
			  cw_time as_of, struct cw_score *out, struct cw_error *err)
{
	return evaluate(rs, pi, as_of, false, out, err);
}

/* ---- JSON ------------------------------------------------------------ */

struct sb {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 1024;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sb *b, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_add(b, buf, strlen(buf));
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			sb_add(b, e, 2);
		} else if (c < 0x20) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_add(b, s, 1);
		}
	}
	sb_add(b, "\"", 1);
}

/* A number printed from its exact hundredths. */
static void
sb_num(struct sb *b, double v)
{
	char buf[32];

	fmt_h(buf, sizeof(buf), llround(v * 100.0));
	sb_add(b, buf, strlen(buf));
}

/* A "; "-separated list as a JSON array of strings. */
static void
sb_list(struct sb *b, const char *s)
{
	sb_add(b, "[", 1);
	for (bool first = true; *s; first = false) {
		const char *e = strstr(s, "; ");
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char item[512];
		snprintf(item, sizeof(item), "%.*s", (int)n, s);
		if (!first)
			sb_add(b, ",", 1);
		sb_str(b, item);
		s += n;
		if (e)
			s += 2;
	}
	sb_add(b, "]", 1);
}

/* The fields both JSON forms share, up to and including "as_of". */
static void
sb_head(struct sb *b, const struct cw_score *s)
{
	char t[40];

	sb_add(b, "{\"total\":", 9);
	sb_num(b, s->total);
	sb_printf(b, ",\"band\":\"%s\",\"score_band\":\"%s\",\"flag\":%s,\"flag_reasons\":",
		  cw_vocab_word(&cw_vocab_risk, s->band), cw_vocab_word(&cw_vocab_risk, s->score_band),
		  s->flag ? "true" : "false");
	sb_list(b, s->flag_reasons);
	sb_add(b, ",\"adjustments\":", 15);
	sb_list(b, s->adjustments);
	sb_add(b, ",\"ruleset\":", 11);
	sb_str(b, s->ruleset);
	sb_add(b, ",\"hash\":", 8);
	sb_str(b, s->hash);
	fmt_iso(t, sizeof(t), s->as_of);
	sb_printf(b, ",\"as_of\":\"%s\"", t);
}

static char *
sb_done(struct sb *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

char *
cw_score_to_json(const struct cw_score *s)
{
	struct sb b = {0};
	char t[40];

	sb_head(&b, s);
	sb_add(&b, ",\"contributions\":[", 18);
	for (size_t i = 0; i < s->n; i++) {
		const struct cw_contribution *c = &s->items[i];
		sb_add(&b, i ? ",{\"rule\":" : "{\"rule\":", i ? 9 : 8);
		sb_str(&b, c->rule);
		sb_add(&b, ",\"record_id\":", 13);
		sb_str(&b, c->record_id);
		sb_add(&b, ",\"kind\":", 8);
		sb_str(&b, c->kind);
		fmt_iso(t, sizeof(t), c->at);
		sb_printf(&b, ",\"at\":\"%s\",\"raw\":", t);
		sb_num(&b, c->raw);
		sb_add(&b, ",\"decayed\":", 11);
		sb_num(&b, c->decayed);
		sb_add(&b, ",\"capped\":", 10);
		sb_num(&b, c->capped);
		sb_add(&b, ",\"note\":", 8);
		sb_str(&b, c->note);
		sb_add(&b, "}", 1);
	}
	sb_add(&b, "]}", 2);
	return sb_done(&b);
}

char *
cw_score_summary_json(const struct cw_score *s)
{
	/* Per factor, in order of first appearance (the contributions' order). */
	struct {
		const char *kind;
		long records;
		int64_t raw, decayed, capped;
	} f[32];
	size_t nf = 0;
	struct sb b = {0};

	for (size_t i = 0; i < s->n; i++) {
		const struct cw_contribution *c = &s->items[i];
		size_t k = 0;
		while (k < nf && strcmp(f[k].kind, c->kind) != 0)
			k++;
		if (k == nf) {
			if (nf == sizeof(f) / sizeof(f[0]))
				continue;   /* cannot happen: a ruleset has far fewer factors */
			memset(&f[nf], 0, sizeof(f[nf]));
			f[nf++].kind = c->kind;
		}
		f[k].records++;
		f[k].raw += llround(c->raw * 100.0);
		f[k].decayed += llround(c->decayed * 100.0);
		f[k].capped += llround(c->capped * 100.0);
	}
	sb_head(&b, s);
	sb_printf(&b, ",\"records\":%zu,\"factors\":{", s->n);
	for (size_t k = 0; k < nf; k++) {
		char raw[32], dec[32], cap[32];
		fmt_h(raw, sizeof(raw), f[k].raw);
		fmt_h(dec, sizeof(dec), f[k].decayed);
		fmt_h(cap, sizeof(cap), f[k].capped);
		if (k)
			sb_add(&b, ",", 1);
		sb_str(&b, f[k].kind);
		sb_printf(&b, ":{\"records\":%ld,\"raw\":%s,\"decayed\":%s,\"contribution\":%s}",
			  f[k].records, raw, dec, cap);
	}
	sb_add(&b, "}}", 2);
	return sb_done(&b);
}
