/*
 * test_score.c - the rule evaluator, table-driven: tests/rules/score/cases.txt
 * holds rules + intelligence + as-of with the expected total, bands, flag,
 * reasons, adjustments and every contribution; failures are reported by the
 * case file's line.  Also: the result does not depend on record order or on
 * a fresh load of the rules, the JSON form is exact, and the default rules
 * give sensible bands for typical providers.  No database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/intel.h"
#include "carewatch/rules.h"
#include "carewatch/score.h"
#include "testcore.h"

#define MAX_CASES 64
#define MAX_ITEMS 32

struct titem {
	int line;
	char rule[64], id[CW_UUID_LEN], raw[16], dec[16], cap[16];
	char note[128];
	bool has_note;
};

struct tcase {
	int line;
	char name[64];
	char rules[64];
	cw_time as_of;
	struct cw_provider_intel pi;
	char total[16], band[16], score_band[16], flag[8];
	char reasons[1024], adjustments[1024];
	struct titem items[MAX_ITEMS];
	int nitems;
};

static struct tcase cases[MAX_CASES];
static int ncases;

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static cw_time
date_at(const char *s)
{
	int y, m, d;

	if (strcmp(s, "-") == 0)
		return CW_TIME_NONE;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		fail_msg("bad date '%s'", s);
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (cw_time)(era * 146097 + doe - 719468) * CW_DAY;
}

/* Copy s into d (size n), truncating. */
static void
cpy(char *d, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (l >= n)
		l = n - 1;
	memcpy(d, s, l);
	d[l] = '\0';
}

static int
word(const struct cw_vocab *v, const char *s, int line)
{
	int i = cw_vocab_parse(v, s);

	if (i < 0)
		fail_msg("cases.txt:%d: not a %s: '%s'", line, v->what, s);
	return i;
}

static void
join(char *buf, size_t size, const char *text)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len ? "; " : "", text);
}

/* Read cases.txt into cases[]. */
static int
load_cases(void **state)
{
	FILE *f = fopen(tl_path("rules/score/cases.txt"), "r");
	char line[1024];
	int lineno = 0;
	struct tcase *c = NULL;

	(void)state;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char a[10][128];
		int n;
		const char *rest;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		memset(a, 0, sizeof(a));
		n = sscanf(line, "%127s %127s %127s %127s %127s %127s %127s %127s", a[0], a[1], a[2],
			   a[3], a[4], a[5], a[6], a[7]);
		if (strcmp(a[0], "case") == 0) {
			if (ncases == MAX_CASES)
				return -1;
			c = &cases[ncases++];
			memset(c, 0, sizeof(*c));
			cw_intel_init(&c->pi);
			c->line = lineno;
			cpy(c->name, sizeof(c->name), a[1]);
			continue;
		}
		if (c == NULL)
			return -1;
		if (strcmp(a[0], "rules") == 0) {
			cpy(c->rules, sizeof(c->rules), a[1]);
		} else if (strcmp(a[0], "care_type") == 0) {
			c->pi.care_type = (enum cw_care_type)word(&cw_vocab_care_type, a[1], lineno);
		} else if (strcmp(a[0], "as_of") == 0) {
			c->as_of = date_at(a[1]);
		} else if (strcmp(a[0], "concern") == 0) {
			struct cw_rec_concern r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.risk = (enum cw_risk)word(&cw_vocab_risk, a[3], lineno);
			r.safeguarding = n > 4 && strcmp(a[4], "safeguarding") == 0;
			assert_true(cw_intel_add_concern(&c->pi, &r));
		} else if (strcmp(a[0], "safeguarding") == 0) {
			struct cw_rec_safeguarding r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.category = (enum cw_sg_category)word(&cw_vocab_sg_category, a[3], lineno);
			r.outcome = (enum cw_sg_outcome)word(&cw_vocab_sg_outcome, a[4], lineno);
			assert_true(cw_intel_add_safeguarding(&c->pi, &r));
		} else if (strcmp(a[0], "visit") == 0) {
			struct cw_rec_visit r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.kind = (enum cw_visit_kind)word(&cw_vocab_visit_kind, a[3], lineno);
			r.outcome = (enum cw_visit_outcome)word(&cw_vocab_visit_outcome, a[4], lineno);
			assert_true(cw_intel_add_visit(&c->pi, &r));
		} else if (strcmp(a[0], "cqc") == 0) {
			struct cw_rec_cqc r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.domain = (enum cw_domain)word(&cw_vocab_domain, a[3], lineno);
			r.rating = (enum cw_rating)word(&cw_vocab_rating, a[4], lineno);
			r.inspected = n > 5 ? date_at(a[5]) : CW_TIME_NONE;
			assert_true(cw_intel_add_cqc(&c->pi, &r));
		} else if (strcmp(a[0], "ipc") == 0) {
			struct cw_rec_ipc r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.result = (enum cw_ipc_result)word(&cw_vocab_ipc_result, a[3], lineno);
			r.score = -1;
			assert_true(cw_intel_add_ipc(&c->pi, &r));
		} else if (strcmp(a[0], "survey") == 0) {
			struct cw_rec_survey r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.satisfaction = atoi(a[3]);
			r.respondents = atoi(a[4]);
			assert_true(cw_intel_add_survey(&c->pi, &r));
		} else if (strcmp(a[0], "restriction") == 0) {
			struct cw_rec_restriction r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.kind = (enum cw_restriction_kind)word(&cw_vocab_restriction_kind, a[3], lineno);
			r.until = n > 4 ? date_at(a[4]) : CW_TIME_NONE;
			r.lifted = n > 5 ? date_at(a[5]) : CW_TIME_NONE;
			assert_true(cw_intel_add_restriction(&c->pi, &r));
		} else if (strcmp(a[0], "notice") == 0) {
			struct cw_rec_notice r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.kind = (enum cw_notice_kind)word(&cw_vocab_notice_kind, a[3], lineno);
			r.closed = n > 4 ? date_at(a[4]) : CW_TIME_NONE;
			assert_true(cw_intel_add_notice(&c->pi, &r));
		} else if (strcmp(a[0], "loss") == 0) {
			struct cw_rec_loss r = {0};
			cpy(r.id, sizeof(r.id), a[1]);
			r.at = date_at(a[2]);
			r.kind = (enum cw_loss_kind)word(&cw_vocab_loss_kind, a[3], lineno);
			r.beds = atoi(a[4]);
			assert_true(cw_intel_add_loss(&c->pi, &r));
		} else if (strcmp(a[0], "expect") == 0) {
			rest = line + strlen("expect ") + strlen(a[1]) + 1;
			if (strcmp(a[1], "total") == 0)
				cpy(c->total, sizeof(c->total), a[2]);
			else if (strcmp(a[1], "band") == 0)
				cpy(c->band, sizeof(c->band), a[2]);
			else if (strcmp(a[1], "score_band") == 0)
				cpy(c->score_band, sizeof(c->score_band), a[2]);
			else if (strcmp(a[1], "flag") == 0)
				cpy(c->flag, sizeof(c->flag), a[2]);
			else if (strcmp(a[1], "reason") == 0)
				join(c->reasons, sizeof(c->reasons), rest);
			else if (strcmp(a[1], "adjustment") == 0)
				join(c->adjustments, sizeof(c->adjustments), rest);
			else
				return -1;
		} else if (strcmp(a[0], "item") == 0) {
			struct titem *it;
			if (c->nitems == MAX_ITEMS)
				return -1;
			it = &c->items[c->nitems++];
			it->line = lineno;
			cpy(it->rule, sizeof(it->rule), a[1]);
			cpy(it->id, sizeof(it->id), a[2]);
			cpy(it->raw, sizeof(it->raw), a[3]);
			cpy(it->dec, sizeof(it->dec), a[4]);
			cpy(it->cap, sizeof(it->cap), a[5]);
		} else if (strcmp(a[0], "note") == 0) {
			if (c->nitems == 0)
				return -1;
			c->items[c->nitems - 1].has_note = true;
			cpy(c->items[c->nitems - 1].note, sizeof(c->items[0].note), line + strlen("note "));
		} else if (strcmp(a[0], "end") == 0) {
			c = NULL;
		} else {
			fprintf(stderr, "cases.txt:%d: unknown line '%s'\n", lineno, a[0]);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return ncases > 0 ? 0 : -1;
}

static int
free_cases(void **state)
{
	(void)state;
	for (int i = 0; i < ncases; i++)
		cw_intel_free(&cases[i].pi);
	return 0;
}

static struct cw_ruleset *
load_rules(const char *rel)
{
	char path[512], msg[2048];
	struct cw_rules_error e;
	struct cw_ruleset *rs;

	cpy(path, sizeof(path), tl_path(rel));
	rs = cw_rules_load(path, &e);
	if (rs == NULL) {
		cw_rules_error_format(&e, msg, sizeof(msg));
		fail_msg("%s", msg);
	}
	return rs;
}

static struct cw_ruleset *
case_rules(const struct tcase *c)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "rules/score/%s", c->rules);
	return load_rules(rel);
}

/* Compare one field; print "cases.txt:LINE: case: what: expected X, got Y". */
static int
check(const struct tcase *c, int line, const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return 0;
	print_error("cases.txt:%d: %s: %s: expected '%s', got '%s'\n", line, c->name, what, want, got);
	return 1;
}

static int
check_case(const struct tcase *c, const struct cw_score *s)
{
	char got[64];
	int bad = 0;
	size_t n = (size_t)c->nitems;

	snprintf(got, sizeof(got), "%.2f", s->total);
	bad += check(c, c->line, "total", c->total, got);
	bad += check(c, c->line, "band", c->band, cw_vocab_word(&cw_vocab_risk, s->band));
	bad += check(c, c->line, "score_band", c->score_band, cw_vocab_word(&cw_vocab_risk, s->score_band));
	bad += check(c, c->line, "flag", c->flag, s->flag ? "yes" : "no");
	bad += check(c, c->line, "flag reasons", c->reasons, s->flag_reasons);
	bad += check(c, c->line, "adjustments", c->adjustments, s->adjustments);
	if (s->n != n) {
		print_error("cases.txt:%d: %s: %zu contributions, expected %zu\n", c->line, c->name, s->n, n);
		for (size_t i = 0; i < s->n; i++)
			print_error("  got %s %s %.2f %.2f %.2f (%s)\n", s->items[i].rule,
				    s->items[i].record_id, s->items[i].raw, s->items[i].decayed,
				    s->items[i].capped, s->items[i].note);
		return bad + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct titem *w = &c->items[i];
		const struct cw_contribution *g = &s->items[i];
		bad += check(c, w->line, "rule", w->rule, g->rule);
		bad += check(c, w->line, "record", w->id, g->record_id);
		snprintf(got, sizeof(got), "%.2f", g->raw);
		bad += check(c, w->line, "raw", w->raw, got);
		snprintf(got, sizeof(got), "%.2f", g->decayed);
		bad += check(c, w->line, "decayed", w->dec, got);
		snprintf(got, sizeof(got), "%.2f", g->capped);
		bad += check(c, w->line, "capped", w->cap, got);
		if (w->has_note)
			bad += check(c, w->line + 1, "note", w->note, g->note);
	}
	return bad;
}

/* Every case of cases.txt, every field. */
static void
test_score_table(void **state)
{
	int bad = 0;

	(void)state;
	assert_true(ncases >= 20);
	for (int i = 0; i < ncases; i++) {
		struct cw_ruleset *rs = case_rules(&cases[i]);
		struct cw_score s;
		struct cw_error err;
		cw_error_clear(&err);
		if (!cw_score_evaluate(rs, &cases[i].pi, cases[i].as_of, &s, &err)) {
			print_error("cases.txt:%d: %s: %s\n", cases[i].line, cases[i].name, err.msg);
			bad++;
		} else {
			bad += check_case(&cases[i], &s);
		}
		cw_score_free(&s);
		cw_rules_free(rs);
	}
	assert_int_equal(bad, 0);
}

#define REVERSE(list)                                                            \
	for (size_t i = 0; i < (list).n / 2; i++) {                              \
		__typeof__((list).v[0]) t_ = (list).v[i];                        \
		(list).v[i] = (list).v[(list).n - 1 - i];                        \
		(list).v[(list).n - 1 - i] = t_;                                 \
	}

static void
reverse_all(struct cw_provider_intel *pi)
{
	REVERSE(pi->concerns)
	REVERSE(pi->visits)
	REVERSE(pi->safeguardings)
	REVERSE(pi->cqc)
	REVERSE(pi->ipc)
	REVERSE(pi->surveys)
	REVERSE(pi->restrictions)
	REVERSE(pi->notices)
	REVERSE(pi->losses)
}

static char *
score_json_as(const struct cw_ruleset *rs, const struct cw_provider_intel *pi, cw_time as_of,
	      char *(*to_json)(const struct cw_score *))
{
	struct cw_score s;
	struct cw_error err;
	char *json;

	cw_error_clear(&err);
	assert_true(cw_score_evaluate(rs, pi, as_of, &s, &err));
	json = to_json(&s);
	assert_non_null(json);
	cw_score_free(&s);
	return json;
}

static char *
score_json(const struct cw_ruleset *rs, const struct cw_provider_intel *pi, cw_time as_of)
{
	return score_json_as(rs, pi, as_of, cw_score_to_json);
}

/* The same data, rules and as-of give the same result to the last digit:
 * twice in a row, with the records in the opposite order, and with the
 * rules loaded afresh from the file (as after a restart). */
static void
test_score_deterministic(void **state)
{
	(void)state;
	for (int i = 0; i < ncases; i++) {
		struct cw_ruleset *rs = case_rules(&cases[i]), *again;
		char *a = score_json(rs, &cases[i].pi, cases[i].as_of);
		char *b = score_json(rs, &cases[i].pi, cases[i].as_of);
		char *c, *d;

		assert_string_equal(a, b);
		reverse_all(&cases[i].pi);
		c = score_json(rs, &cases[i].pi, cases[i].as_of);
		reverse_all(&cases[i].pi);
		assert_string_equal(a, c);
		again = case_rules(&cases[i]);
		assert_string_equal(cw_rules_hash(rs), cw_rules_hash(again));
		d = score_json(again, &cases[i].pi, cases[i].as_of);
		assert_string_equal(a, d);
		free(a);
		free(b);
		free(c);
		free(d);
		cw_rules_free(again);
		cw_rules_free(rs);
	}
}

/* The summary evaluation (no notes; what the nightly and every write use)
 * gives the full evaluation's numbers, order and adjustments exactly, and
 * leaves every note empty: checked on every fixture case. */
static void
test_score_summary_evaluation_matches(void **state)
{
	(void)state;
	for (int i = 0; i < ncases; i++) {
		struct cw_ruleset *rs = case_rules(&cases[i]);
		struct cw_score full, brief;
		struct cw_error err;
		char *a, *b;

		cw_error_clear(&err);
		assert_true(cw_score_evaluate(rs, &cases[i].pi, cases[i].as_of, &full, &err));
		assert_true(cw_score_evaluate_summary(rs, &cases[i].pi, cases[i].as_of, &brief, &err));
		assert_int_equal(full.n, brief.n);
		for (size_t k = 0; k < full.n; k++) {
			const struct cw_contribution *f = &full.items[k], *g = &brief.items[k];
			if (strcmp(f->rule, g->rule) != 0 || strcmp(f->record_id, g->record_id) != 0 ||
			    f->raw != g->raw || f->decayed != g->decayed || f->capped != g->capped)
				fail_msg("%s: contribution %zu differs", cases[i].name, k);
			assert_string_equal(g->note, "");
		}
		a = cw_score_summary_json(&full);
		b = cw_score_summary_json(&brief);
		assert_string_equal(a, b);
		free(a);
		free(b);
		cw_score_free(&full);
		cw_score_free(&brief);
		cw_rules_free(rs);
	}
}

static const struct tcase *
find_case(const char *name)
{
	for (int i = 0; i < ncases; i++)
		if (strcmp(cases[i].name, name) == 0)
			return &cases[i];
	fail_msg("no case %s", name);
	return NULL;
}

/* The JSON stored in score history and printed by --format json. */
static void
test_score_json_exact(void **state)
{
	const struct tcase *c = find_case("concern-weights");
	struct cw_ruleset *rs = case_rules(c);
	char *json = score_json(rs, &c->pi, c->as_of);
	char want[2048];

	(void)state;
	snprintf(want, sizeof(want),
		 "{\"total\":13.00,\"band\":\"medium\",\"score_band\":\"medium\",\"flag\":false,"
		 "\"flag_reasons\":[],\"adjustments\":[],\"ruleset\":\"score-fixture\",\"hash\":\"%s\","
		 "\"as_of\":\"2024-07-01T00:00:00Z\",\"contributions\":["
		 "{\"rule\":\"concern.high+safeguarding_extra\",\"record_id\":\"c3\",\"kind\":\"concern\","
		 "\"at\":\"2024-07-01T00:00:00Z\",\"raw\":10.00,\"decayed\":10.00,\"capped\":10.00,"
		 "\"note\":\"8.00 + safeguarding 2.00; 0 d old, half-life 10 d: x1.000000\"},"
		 "{\"rule\":\"concern.low\",\"record_id\":\"c1\",\"kind\":\"concern\","
		 "\"at\":\"2024-07-01T00:00:00Z\",\"raw\":1.00,\"decayed\":1.00,\"capped\":1.00,"
		 "\"note\":\"0 d old, half-life 10 d: x1.000000\"},"
		 "{\"rule\":\"concern.medium\",\"record_id\":\"c2\",\"kind\":\"concern\","
		 "\"at\":\"2024-07-01T00:00:00Z\",\"raw\":2.00,\"decayed\":2.00,\"capped\":2.00,"
		 "\"note\":\"0 d old, half-life 10 d: x1.000000\"}]}",
		 cw_rules_hash(rs));
	assert_string_equal(json, want);
	free(json);

	/* Lists become arrays; negative numbers keep their sign. */
	c = find_case("very-high-flags");
	json = score_json(rs, &c->pi, c->as_of);
	assert_non_null(strstr(json, "\"flag\":true,\"flag_reasons\":[\"score >= 30 (score 45.00)\","
				     "\"band = very_high and restriction.all not open\"],"
				     "\"adjustments\":[\"concern capped: 24.00 scaled to 20.00\","
				     "\"cqc capped: 26.00 scaled to 25.00\"]"));
	free(json);
	c = find_case("negative-total-raised-to-zero");
	json = score_json(rs, &c->pi, c->as_of);
	assert_non_null(strstr(json, "\"raw\":-4.00,\"decayed\":-4.00,\"capped\":-4.00"));
	free(json);
	cw_rules_free(rs);
}

/* The summary stored with each score: the same head, then per factor the
 * number of records and the sums of their weights, hand-added from the
 * cases' items (very-high-flags: 6.67 + 6.67 + 6.66 = 20.00 and
 * 5.77 + 9.62 + 9.61 = 25.00, the caps). */
static void
test_score_summary_json_exact(void **state)
{
	const struct tcase *c = find_case("concern-weights");
	struct cw_ruleset *rs = case_rules(c);
	char *json = score_json_as(rs, &c->pi, c->as_of, cw_score_summary_json);
	char want[1024];

	(void)state;
	snprintf(want, sizeof(want),
		 "{\"total\":13.00,\"band\":\"medium\",\"score_band\":\"medium\",\"flag\":false,"
		 "\"flag_reasons\":[],\"adjustments\":[],\"ruleset\":\"score-fixture\",\"hash\":\"%s\","
		 "\"as_of\":\"2024-07-01T00:00:00Z\",\"records\":3,\"factors\":{\"concern\":"
		 "{\"records\":3,\"raw\":13.00,\"decayed\":13.00,\"contribution\":13.00}}}",
		 cw_rules_hash(rs));
	assert_string_equal(json, want);
	free(json);
	c = find_case("very-high-flags");
	json = score_json_as(rs, &c->pi, c->as_of, cw_score_summary_json);
	assert_non_null(strstr(json, "\"records\":6,\"factors\":{"
				     "\"concern\":{\"records\":3,\"raw\":24.00,\"decayed\":24.00,\"contribution\":20.00},"
				     "\"cqc\":{\"records\":3,\"raw\":26.00,\"decayed\":26.00,\"contribution\":25.00}}}"));
	free(json);
	c = find_case("negative-total-raised-to-zero");
	json = score_json_as(rs, &c->pi, c->as_of, cw_score_summary_json);
	assert_non_null(strstr(json, "\"raw\":-4.00,\"decayed\":-4.00,\"contribution\":-4.00"));
	free(json);
	cw_rules_free(rs);
}

/* Record ids and notes are escaped (ids come from the database, but the
 * JSON must be valid whatever they hold). */
static void
test_score_json_escapes(void **state)
{
	struct cw_ruleset *rs = load_rules("rules/score/base.rules");
	struct cw_provider_intel pi;
	struct cw_rec_concern r = {0};
	char *json;

	(void)state;
	cw_intel_init(&pi);
	pi.care_type = CW_CARE_NURSING;
	snprintf(r.id, sizeof(r.id), "a\"b\\c\nd\x01");
	r.at = date_at("2024-07-01");
	r.risk = CW_RISK_LOW;
	assert_true(cw_intel_add_concern(&pi, &r));
	json = score_json(rs, &pi, date_at("2024-07-01"));
	assert_non_null(strstr(json, "\"record_id\":\"a\\\"b\\\\c\\u000ad\\u0001\""));
	free(json);
	cw_intel_free(&pi);
	cw_rules_free(rs);
}

/* Bad input is an error value, and the score is left empty and freeable. */
static void
test_score_rejects_invalid_input(void **state)
{
	struct cw_ruleset *rs = load_rules("rules/score/base.rules");
	struct cw_provider_intel pi;
	struct cw_rec_cqc q = {0};
	struct cw_score s;
	struct cw_error err;

	(void)state;
	cw_intel_init(&pi);
	snprintf(pi.provider_id, sizeof(pi.provider_id), "p1");
	pi.care_type = (enum cw_care_type)42;
	cw_error_clear(&err);
	assert_false(cw_score_evaluate(rs, &pi, 0, &s, &err));
	assert_string_equal(err.msg, "invalid care type 42 for provider p1");
	assert_null(s.items);
	assert_int_equal(s.n, 0);
	cw_score_free(&s);

	pi.care_type = CW_CARE_NURSING;
	snprintf(q.id, sizeof(q.id), "q1");
	q.domain = CW_DOMAIN_SAFE;
	q.rating = (enum cw_rating)7;
	assert_true(cw_intel_add_cqc(&pi, &q));
	assert_false(cw_score_evaluate(rs, &pi, 0, &s, &err));
	assert_string_equal(err.msg, "invalid CQC rating 7 in record q1");
	cw_score_free(&s);

	assert_false(cw_score_evaluate(NULL, &pi, 0, &s, &err));
	cw_score_free(&s);
	cw_intel_free(&pi);
	cw_rules_free(rs);
}

/* Records with absent or extreme times neither crash nor count. */
static void
test_score_extreme_times(void **state)
{
	struct cw_ruleset *rs = load_rules("rules/score/base.rules");
	struct cw_provider_intel pi;
	struct cw_rec_concern r = {0};
	struct cw_rec_restriction x = {0};
	struct cw_score s;
	struct cw_error err;

	(void)state;
	cw_intel_init(&pi);
	pi.care_type = CW_CARE_RESIDENTIAL;
	snprintf(r.id, sizeof(r.id), "none");
	r.at = CW_TIME_NONE;
	r.risk = CW_RISK_HIGH;
	assert_true(cw_intel_add_concern(&pi, &r));
	snprintf(r.id, sizeof(r.id), "ancient");
	r.at = INT64_MIN + 1;
	assert_true(cw_intel_add_concern(&pi, &r));
	snprintf(x.id, sizeof(x.id), "r");
	x.at = CW_TIME_NONE;
	x.until = x.lifted = CW_TIME_NONE;
	assert_true(cw_intel_add_restriction(&pi, &x));
	cw_error_clear(&err);
	assert_true(cw_score_evaluate(rs, &pi, INT64_MAX, &s, &err));
	assert_int_equal(s.n, 0);          /* far outside the 30-day window */
	assert_true(s.total == 0.0);
	cw_score_free(&s);
	cw_intel_free(&pi);
	cw_rules_free(rs);
}

/* The default rules on typical providers (as of 2024-07-01). */
static void
test_score_default_rules_profiles(void **state)
{
	struct cw_ruleset *rs = load_rules("../rules/default.rules");
	struct cw_provider_intel pi;
	struct cw_score s;
	struct cw_error err;
	cw_time as_of = date_at("2024-07-01");

	(void)state;
	cw_error_clear(&err);
	cw_intel_init(&pi);

	/* A care home rated Good throughout: nothing to score. */
	pi.care_type = CW_CARE_RESIDENTIAL;
	for (int d = 0; d < CW_DOMAIN__N; d++) {
		struct cw_rec_cqc q = {0};
		snprintf(q.id, sizeof(q.id), "good-%d", d);
		q.at = date_at("2024-01-01");
		q.inspected = CW_TIME_NONE;
		q.domain = (enum cw_domain)d;
		q.rating = CW_RATING_GOOD;
		assert_true(cw_intel_add_cqc(&pi, &q));
	}
	assert_true(cw_score_evaluate(rs, &pi, as_of, &s, &err));
	assert_true(s.total == 0.0);
	assert_int_equal(s.band, CW_RISK_LOW);
	assert_int_equal(s.n, 6);
	assert_false(s.flag);
	cw_score_free(&s);

	/* Requires improvement in Safe, Well-led and Overall, published today:
	 * 10 + 10 + 6 = 26, medium - a provider the team works with. */
	cw_intel_reset(&pi);
	pi.care_type = CW_CARE_RESIDENTIAL;
	for (int d = 0; d < 3; d++) {
		static const enum cw_domain dom[] = {CW_DOMAIN_SAFE, CW_DOMAIN_WELL_LED, CW_DOMAIN_OVERALL};
		struct cw_rec_cqc q = {0};
		snprintf(q.id, sizeof(q.id), "ri-%d", d);
		q.at = as_of;
		q.inspected = CW_TIME_NONE;
		q.domain = dom[d];
		q.rating = CW_RATING_REQUIRES_IMPROVEMENT;
		assert_true(cw_intel_add_cqc(&pi, &q));
	}
	assert_true(cw_score_evaluate(rs, &pi, as_of, &s, &err));
	assert_true(s.total == 26.0);
	assert_int_equal(s.band, CW_RISK_MEDIUM);
	assert_string_equal(s.adjustments, "");
	cw_score_free(&s);

	/* Home care, Overall and Well-led Inadequate today (12 + 20), and a
	 * substantiated neglect 30 days ago (10 x 2^(-30/180) = 8.91): 40.91,
	 * high, and a flag for the quality manager. */
	cw_intel_reset(&pi);
	pi.care_type = CW_CARE_HOME_CARE;
	{
		struct cw_rec_cqc q = {0};
		struct cw_rec_safeguarding g = {0};
		snprintf(q.id, sizeof(q.id), "q-overall");
		q.at = as_of;
		q.inspected = CW_TIME_NONE;
		q.domain = CW_DOMAIN_OVERALL;
		q.rating = CW_RATING_INADEQUATE;
		assert_true(cw_intel_add_cqc(&pi, &q));
		snprintf(q.id, sizeof(q.id), "q-well-led");
		q.domain = CW_DOMAIN_WELL_LED;
		assert_true(cw_intel_add_cqc(&pi, &q));
		snprintf(g.id, sizeof(g.id), "sg");
		g.at = date_at("2024-06-01");
		g.category = CW_SG_NEGLECT;
		g.outcome = CW_SGO_SUBSTANTIATED;
		assert_true(cw_intel_add_safeguarding(&pi, &g));
	}
	assert_true(cw_score_evaluate(rs, &pi, as_of, &s, &err));
	assert_true(s.total == 40.91);
	assert_int_equal(s.band, CW_RISK_HIGH);
	assert_true(s.flag);
	assert_string_equal(s.flag_reasons,
			    "cqc.overall = inadequate (inadequate, published 2024-07-01) and "
			    "safeguarding.substantiated within 90 days (latest 2024-06-01) and "
			    "restriction.all not open");
	assert_int_equal(s.n, 3);
	assert_string_equal(s.items[0].rule, "safeguarding.neglect.substantiated");
	assert_true(s.items[0].decayed == 8.91);
	assert_string_equal(s.items[1].rule, "cqc.overall.inadequate");
	assert_string_equal(s.items[2].rule, "cqc.well_led.inadequate");
	assert_true(s.items[2].raw == 20.0);
	cw_score_free(&s);

	/* An all-placements restriction (30, medium) is floored to high; a
	 * closure then sets the provider to low. */
	cw_intel_reset(&pi);
	pi.care_type = CW_CARE_NURSING;
	{
		struct cw_rec_restriction x = {0};
		struct cw_rec_loss l = {0};
		snprintf(x.id, sizeof(x.id), "stop");
		x.at = date_at("2024-05-01");
		x.until = x.lifted = CW_TIME_NONE;
		x.kind = CW_RESTRICT_ALL;
		assert_true(cw_intel_add_restriction(&pi, &x));
		assert_true(cw_score_evaluate(rs, &pi, as_of, &s, &err));
		assert_true(s.total == 30.0);
		assert_int_equal(s.score_band, CW_RISK_MEDIUM);
		assert_int_equal(s.band, CW_RISK_HIGH);
		assert_string_equal(s.adjustments, "floor high: band raised from medium to high because "
				    "restriction.all open (since 2024-05-01)");
		cw_score_free(&s);
		snprintf(l.id, sizeof(l.id), "closed");
		l.at = date_at("2024-06-30");
		l.kind = CW_LOSS_CLOSURE;
		assert_true(cw_intel_add_loss(&pi, &l));
		assert_true(cw_score_evaluate(rs, &pi, as_of, &s, &err));
		assert_int_equal(s.band, CW_RISK_LOW);
		assert_string_equal(s.adjustments, "floor high: band raised from medium to high because "
				    "restriction.all open (since 2024-05-01); override low: band set from "
				    "high to low because loss.closure within 3650 days (latest 2024-06-30)");
		cw_score_free(&s);
	}
	cw_intel_free(&pi);
	cw_rules_free(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_score_table),
		cmocka_unit_test(test_score_deterministic),
		cmocka_unit_test(test_score_json_exact),
		cmocka_unit_test(test_score_summary_json_exact),
		cmocka_unit_test(test_score_summary_evaluation_matches),
		cmocka_unit_test(test_score_json_escapes),
		cmocka_unit_test(test_score_rejects_invalid_input),
		cmocka_unit_test(test_score_extreme_times),
		cmocka_unit_test(test_score_default_rules_profiles),
	};

	return cmocka_run_group_tests(tests, load_cases, free_cases);
}
