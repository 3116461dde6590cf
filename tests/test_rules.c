/*
 * test_rules.c - the rules-file parser: the default ruleset, every construct
 * of the format, and the bad-input corpus in tests/rules/bad/ (each file with
 * a .expected sidecar holding the exact formatted error).  No database.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/rules.h"
#include "testlib.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parse a C string; fail the test with the formatted error if it fails. */
static struct cw_ruleset *
parse_ok(const char *text)
{
	struct cw_rules_error e;
	char msg[2048];
	struct cw_ruleset *rs = cw_rules_parse("t.rules", text, strlen(text), &e);

	if (rs == NULL) {
		cw_rules_error_format(&e, msg, sizeof(msg));
		print_error("%s", msg);
		fail();
	}
	return rs;
}

/* Parse and return the formatted error (static buffer); fail if it parses. */
static const char *
parse_err(const char *text)
{
	static char msg[2048];
	struct cw_rules_error e;
	struct cw_ruleset *rs = cw_rules_parse("t.rules", text, strlen(text), &e);

	assert_null(rs);
	cw_rules_error_format(&e, msg, sizeof(msg));
	return msg;
}

/* tests/rules/minimal.rules followed by extra text. */
static char *
minimal_plus(const char *extra)
{
	size_t n, m = strlen(extra);
	char *base = slurp(tl_path("rules/minimal.rules"), &n);
	char *all = malloc(n + m + 1);

	assert_non_null(all);
	memcpy(all, base, n);
	memcpy(all + n, extra, m + 1);
	free(base);
	return all;
}

static void
test_rules_default_file_parses(void **state)
{
	struct cw_rules_error e;
	struct cw_ruleset *rs;
	char msg[2048];

	(void)state;
	rs = cw_rules_load(tl_path("../rules/default.rules"), &e);
	if (rs == NULL) {
		cw_rules_error_format(&e, msg, sizeof(msg));
		print_error("%s", msg);
		fail();
	}
	assert_string_equal(cw_rules_name(rs), "norfolk-default");
	assert_int_equal(strlen(cw_rules_hash(rs)), 64);
	assert_int_equal(cw_rules_response_days(rs, CW_RISK_LOW), -1);
	assert_int_equal(cw_rules_response_days(rs, CW_RISK_MEDIUM), 10);
	assert_int_equal(cw_rules_response_days(rs, CW_RISK_HIGH), 5);
	assert_int_equal(cw_rules_response_days(rs, CW_RISK_VERY_HIGH), 1);
	assert_int_equal(cw_rules_response_days(rs, (enum cw_risk)9), -1);
	assert_int_equal(cw_rules_response_target_pct(rs), 90);
	assert_true(cw_rules_case_weight(rs, CW_RISK_LOW) == 0.25);
	assert_true(cw_rules_case_weight(rs, CW_RISK_MEDIUM) == 1.0);
	assert_true(cw_rules_case_weight(rs, CW_RISK_HIGH) == 1.5);
	assert_true(cw_rules_case_weight(rs, CW_RISK_VERY_HIGH) == 2.0);
	assert_true(cw_rules_case_weight(rs, (enum cw_risk)-1) == 0.0);
	/* Care homes: Safe and Well-led weigh more; home care: Well-led and
	 * Responsive; everyone else the [cqc] defaults. */
	assert_int_equal(rs->params[CW_CARE_RESIDENTIAL].v[CW_P_CQC + CW_DOMAIN_SAFE * CW_RATING__N +
							  CW_RATING_INADEQUATE], 2000);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_CQC + CW_DOMAIN_WELL_LED * CW_RATING__N +
						      CW_RATING_REQUIRES_IMPROVEMENT], 1000);
	assert_int_equal(rs->params[CW_CARE_HOME_CARE].v[CW_P_CQC + CW_DOMAIN_RESPONSIVE * CW_RATING__N +
							CW_RATING_INADEQUATE], 1600);
	assert_int_equal(rs->params[CW_CARE_HOME_CARE].v[CW_P_CQC + CW_DOMAIN_SAFE * CW_RATING__N +
							CW_RATING_INADEQUATE], 1600);
	assert_int_equal(rs->params[CW_CARE_SUPPORTED_LIVING].v[CW_P_CQC + CW_DOMAIN_SAFE * CW_RATING__N +
							       CW_RATING_INADEQUATE], 1600);
	assert_int_equal(rs->params[CW_CARE_DAY_CARE].v[CW_P_CONCERN + CW_RISK_VERY_HIGH], 1500);
	assert_int_equal(rs->band_min[CW_RISK_MEDIUM], 1500);
	assert_int_equal(rs->band_min[CW_RISK_HIGH], 3500);
	assert_int_equal(rs->band_min[CW_RISK_VERY_HIGH], 10000);
	assert_int_equal(rs->n_floors, 6);
	assert_int_equal(rs->n_overrides, 1);
	assert_int_equal(rs->n_flags, 3);
	/* [pamms]: Overall's weights, PAMMS's own timetable. */
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_PAMMS + CW_PAMMS_POOR], 1200);
	assert_int_equal(rs->params[CW_CARE_HOME_CARE].v[CW_P_PAMMS + CW_PAMMS_EXCELLENT], -300);
	assert_int_equal(rs->params[CW_CARE_HOME_CARE].v[CW_P_HALF_LIFE + CW_FACTOR_PAMMS], 365);
	assert_int_equal(cw_rules_pamms_plan_days(rs), 14);
	assert_int_equal(cw_rules_pamms_follow_up_months(rs), 6);
	cw_rules_free(rs);
}

/* The hash is SHA-256 of the exact bytes (value from sha256sum). */
static void
test_rules_hash_is_sha256_of_the_bytes(void **state)
{
	size_t n;
	char *text, *crlf;
	struct cw_ruleset *a, *b;
	struct cw_rules_error e;

	(void)state;
	text = slurp(tl_path("rules/minimal.rules"), &n);
	a = cw_rules_parse("minimal.rules", text, n, &e);
	assert_non_null(a);
	assert_string_equal(cw_rules_hash(a),
			    "715f28377b7f92980d960183594307b5f841e1cd83afa6bb79801769eb121d4d");
	assert_string_equal(cw_rules_name(a), "minimal");

	/* One byte more (a trailing space): another hash, the same rules. */
	crlf = malloc(n + 2);
	assert_non_null(crlf);
	memcpy(crlf, text, n);
	crlf[n] = ' ';
	crlf[n + 1] = '\0';
	b = cw_rules_parse("minimal.rules", crlf, n + 1, &e);
	assert_non_null(b);
	assert_string_not_equal(cw_rules_hash(a), cw_rules_hash(b));
	assert_memory_equal(a->params, b->params, sizeof(a->params));
	cw_rules_free(a);
	cw_rules_free(b);
	free(crlf);
	free(text);
}

/* CRLF line ends and a UTF-8 byte-order mark change nothing but the hash. */
static void
test_rules_crlf_and_bom(void **state)
{
	size_t n, m = 0;
	char *text = slurp(tl_path("../rules/default.rules"), &n);
	char *dos = malloc(2 * n + 4);
	struct cw_rules_error e;
	struct cw_ruleset *a, *b;

	(void)state;
	assert_non_null(dos);
	memcpy(dos, "\xEF\xBB\xBF", 3);
	m = 3;
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\n')
			dos[m++] = '\r';
		dos[m++] = text[i];
	}
	a = cw_rules_parse("unix", text, n, &e);
	assert_non_null(a);
	b = cw_rules_parse("dos", dos, m, &e);
	assert_non_null(b);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->description, b->description);
	assert_memory_equal(a->params, b->params, sizeof(a->params));
	assert_memory_equal(a->band_min, b->band_min, sizeof(a->band_min));
	assert_int_equal(a->n_flags, b->n_flags);
	for (size_t i = 0; i < a->n_flags; i++)
		assert_memory_equal(&a->flags[i], &b->flags[i], sizeof(a->flags[i]));
	assert_string_not_equal(a->hash, b->hash);
	cw_rules_free(a);
	cw_rules_free(b);
	free(dos);
	free(text);
}

/* The parser reads exactly len bytes: no terminator needed (ASan would
 * catch a read past the end). */
static void
test_rules_reads_only_len_bytes(void **state)
{
	size_t n;
	char *text = slurp(tl_path("rules/minimal.rules"), &n);
	char *exact = malloc(n);
	struct cw_rules_error e;
	struct cw_ruleset *rs;

	(void)state;
	assert_non_null(exact);
	memcpy(exact, text, n);
	rs = cw_rules_parse("exact", exact, n, &e);
	assert_non_null(rs);
	cw_rules_free(rs);
	/* Cut in the middle of the last line: "cap = 4" is still valid. */
	rs = cw_rules_parse("exact", exact, n - 2, &e);
	assert_non_null(rs);
	assert_int_equal(rs->params[0].v[CW_P_CAP + CW_FACTOR_LOSS], 400);
	cw_rules_free(rs);
	/* Cut after "cap =": a missing value, on the last line. */
	rs = cw_rules_parse("exact", exact, n - 4, &e);
	assert_null(rs);
	assert_string_equal(e.msg, "missing value for 'cap'");
	assert_string_equal(e.text, "cap =");
	free(exact);
	free(text);
}

static void
test_rules_load_missing_file(void **state)
{
	struct cw_rules_error e;
	char msg[512];

	(void)state;
	assert_null(cw_rules_load("/nonexistent/carewatch.rules", &e));
	assert_int_equal(e.line, 0);
	cw_rules_error_format(&e, msg, sizeof(msg));
	assert_string_equal(msg, "/nonexistent/carewatch.rules: error: cannot open: "
			    "No such file or directory\n");
}

static void
test_rules_error_format_small_buffers(void **state)
{
	struct cw_rules_error e;
	char buf[128];
	const char *full;

	(void)state;
	memset(&e, 0, sizeof(e));
	snprintf(e.file, sizeof(e.file), "x.rules");
	e.line = 3;
	e.col = 5;
	snprintf(e.msg, sizeof(e.msg), "something is wrong here");
	snprintf(e.text, sizeof(e.text), "key = value");
	cw_rules_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "x.rules:3:5: error: something is wrong here\n  key = value\n      ^\n");
	full = "x.rules:3:5: error: something is wrong here\n  key = value\n      ^\n";
	for (size_t size = 1; size < strlen(full) + 1; size++) {
		memset(buf, 'Z', sizeof(buf));
		cw_rules_error_format(&e, buf, size);
		assert_true(strlen(buf) < size);
		assert_memory_equal(buf, full, strlen(buf));
	}
	cw_rules_error_format(&e, buf, 0);   /* writes nothing, does not crash */
}

/* Every file in tests/rules/bad/ fails with exactly its .expected text. */
static void
test_rules_bad_corpus(void **state)
{
	char dir[1024], path[1300], exp_path[1300];
	struct dirent **names;
	int n, files = 0, failures = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", tl_path("rules/bad"));
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name), tn, en;
		struct cw_rules_error e;
		struct cw_ruleset *rs;
		char got[2048];

		if (len > 6 && strcmp(name + len - 6, ".rules") == 0) {
			char *text, *want;
			files++;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			snprintf(exp_path, sizeof(exp_path), "%s/%.*s.expected", dir, (int)(len - 6), name);
			text = slurp(path, &tn);
			want = slurp(exp_path, &en);
			rs = cw_rules_parse(name, text, tn, &e);
			if (rs != NULL) {
				print_error("%s: parsed, expected:\n%s", name, want);
				failures++;
				cw_rules_free(rs);
			} else {
				cw_rules_error_format(&e, got, sizeof(got));
				if (strcmp(got, want) != 0) {
					print_error("%s:\n--- got\n%s--- expected\n%s", name, got, want);
					failures++;
				}
			}
			free(text);
			free(want);
		}
		free(names[i]);
	}
	free(names);
	assert_true(files >= 40);
	assert_int_equal(failures, 0);
}

/* Every key of every factor section is accepted, lands in its own slot, and
 * can be overridden per care type. */
static void
test_rules_every_factor_key(void **state)
{
	static const struct {
		const char *section;
		const struct cw_vocab *v;
		const char *prefix;
		int base;
	} lists[] = {
		{"concern", &cw_vocab_risk, "", CW_P_CONCERN},
		{"safeguarding", &cw_vocab_sg_category, "category.", CW_P_SG_CATEGORY},
		{"safeguarding", &cw_vocab_sg_outcome, "outcome.", CW_P_SG_OUTCOME},
		{"visit", &cw_vocab_visit_outcome, "", CW_P_VISIT},
		{"ipc", &cw_vocab_ipc_result, "", CW_P_IPC},
		{"restriction", &cw_vocab_restriction_kind, "", CW_P_RESTRICTION},
		{"notice", &cw_vocab_notice_kind, "", CW_P_NOTICE},
		{"loss", &cw_vocab_loss_kind, "", CW_P_LOSS},
	};
	char *text = malloc(65536), line[160];
	size_t len = 0;
	struct cw_ruleset *rs;
	int value = 1;

	(void)state;
	assert_non_null(text);
	text[0] = '\0';
#define ADD(...) do { snprintf(line, sizeof(line), __VA_ARGS__); \
		memcpy(text + len, line, strlen(line) + 1); len += strlen(line); } while (0)
	ADD("[ruleset]\nname = all-keys\n[bands]\nmedium = 1\nhigh = 2\nvery_high = 3\n");
	ADD("[response]\nlow = 20\nmedium = 20\nhigh = 20\nvery_high = 20\ntarget_pct = 1\n");
	ADD("[caseload]\nlow = 0\nmedium = 0\nhigh = 0\nvery_high = 10\n");
	/* Care-type overrides first: sections may come in any order. */
	ADD("[care_type housing_with_care]\ncqc.caring.outstanding = -0.5\nsurvey.below_100 = 1\n"
	    "concern.half_life_days = 3650\n");
	for (int f = 0; f < CW_FACTOR__N; f++) {
		ADD("[%s]\ncap = 1000\n", cw_rules_factor_name((enum cw_factor)f));
		if (f != CW_FACTOR_RESTRICTION && f != CW_FACTOR_NOTICE)
			ADD("half_life_days = %d\nwindow_days = %d\n", f + 1, 100 + f);
		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
			if (strcmp(lists[l].section, cw_rules_factor_name((enum cw_factor)f)) == 0)
				for (int i = 0; i < lists[l].v->n; i++, value++)
					ADD("%s%s = %d.%02d\n", lists[l].prefix, lists[l].v->words[i],
					    value / 100, value % 100);
		if (f == CW_FACTOR_CONCERN)
			ADD("safeguarding_extra = -100\n");
		if (f == CW_FACTOR_CQC)
			for (int d = 0; d < CW_DOMAIN__N; d++)
				for (int r = 0; r < CW_RATING__N; r++)
					ADD("%s.%s = %d\n", cw_vocab_word(&cw_vocab_domain, d),
					    cw_vocab_word(&cw_vocab_rating, r), d * 10 + r);
		if (f == CW_FACTOR_SURVEY)
			ADD("below_1 = 100\nbelow_55 = 5.5\nmin_respondents = 10000\n");
	}
#undef ADD
	rs = parse_ok(text);
	value = 1;
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (int i = 0; i < lists[l].v->n; i++, value++) {
			assert_int_equal(rs->params[CW_CARE_NURSING].v[lists[l].base + i], value);
			assert_true(rs->params[CW_CARE_NURSING].set[lists[l].base + i]);
		}
	for (int d = 0; d < CW_DOMAIN__N; d++)
		for (int r = 0; r < CW_RATING__N; r++)
			assert_int_equal(rs->params[CW_CARE_HOME_CARE].v[CW_P_CQC + d * CW_RATING__N + r],
					 (d * 10 + r) * 100);
	for (int f = 0; f < CW_FACTOR__N; f++) {
		assert_int_equal(rs->params[CW_CARE_DAY_CARE].v[CW_P_CAP + f], 100000);
		if (f != CW_FACTOR_RESTRICTION && f != CW_FACTOR_NOTICE) {
			assert_int_equal(rs->params[CW_CARE_DAY_CARE].v[CW_P_HALF_LIFE + f], f + 1);
			assert_int_equal(rs->params[CW_CARE_DAY_CARE].v[CW_P_WINDOW + f], 100 + f);
		}
	}
	assert_int_equal(rs->params[CW_CARE_RESIDENTIAL].v[CW_P_CONCERN_SG_EXTRA], -10000);
	assert_int_equal(rs->params[CW_CARE_RESIDENTIAL].v[CW_P_SURVEY_BELOW + 0], 10000);
	assert_int_equal(rs->params[CW_CARE_RESIDENTIAL].v[CW_P_SURVEY_BELOW + 54], 550);
	assert_false(rs->params[CW_CARE_RESIDENTIAL].set[CW_P_SURVEY_BELOW + 99]);
	assert_int_equal(rs->params[CW_CARE_RESIDENTIAL].v[CW_P_SURVEY_MIN_RESPONDENTS], 10000);
	/* The override applies to its care type only. */
	assert_int_equal(rs->params[CW_CARE_HOUSING_WITH_CARE].v[CW_P_CQC + CW_DOMAIN_CARING * CW_RATING__N +
								CW_RATING_OUTSTANDING], -50);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_CQC + CW_DOMAIN_CARING * CW_RATING__N +
						      CW_RATING_OUTSTANDING], 2000);
	assert_true(rs->params[CW_CARE_HOUSING_WITH_CARE].set[CW_P_SURVEY_BELOW + 99]);
	assert_int_equal(rs->params[CW_CARE_HOUSING_WITH_CARE].v[CW_P_HALF_LIFE + CW_FACTOR_CONCERN], 3650);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_HALF_LIFE + CW_FACTOR_CONCERN], 1);
	assert_int_equal(cw_rules_response_days(rs, CW_RISK_LOW), 20);
	assert_true(cw_rules_case_weight(rs, CW_RISK_VERY_HIGH) == 10.0);
	cw_rules_free(rs);
	free(text);
}

/* [pamms] may be left out (a ruleset stored before PAMMS audits were
 * recorded still parses: audits weigh 0, PAMMS's own timetable applies);
 * when given it is a factor section like the others, plus the two
 * follow-up numbers, which are the whole ruleset's. */
static void
test_rules_pamms_section(void **state)
{
	struct cw_ruleset *rs;
	char *text;

	(void)state;
	text = minimal_plus("");
	rs = parse_ok(text);
	free(text);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_PAMMS + CW_PAMMS_POOR], 0);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_CAP + CW_FACTOR_PAMMS], 0);
	assert_int_equal(cw_rules_pamms_plan_days(rs), 14);
	assert_int_equal(cw_rules_pamms_follow_up_months(rs), 6);
	cw_rules_free(rs);

	text = minimal_plus("[pamms]\nexcellent = -1\ngood = 0.5\nrequires_improvement = 6\npoor = 12\n"
			    "half_life_days = 365\nwindow_days = 730\ncap = 12\nfollow_up_months = 4\n"
			    "action_plan_days = 10\n[care_type day_care]\npamms.poor = 2\n[conditions]\n"
			    "floor medium when pamms.overall >= Requires-Improvement\n");
	rs = parse_ok(text);
	free(text);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_PAMMS + CW_PAMMS_EXCELLENT], -100);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_PAMMS + CW_PAMMS_GOOD], 50);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_PAMMS + CW_PAMMS_POOR], 1200);
	assert_int_equal(rs->params[CW_CARE_DAY_CARE].v[CW_P_PAMMS + CW_PAMMS_POOR], 200);
	assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_WINDOW + CW_FACTOR_PAMMS], 730);
	assert_int_equal(cw_rules_pamms_follow_up_months(rs), 4);
	assert_int_equal(cw_rules_pamms_plan_days(rs), 10);
	assert_int_equal(rs->n_floors, 1);
	assert_int_equal(rs->floors[0].cond.terms[0].kind, CW_COND_PAMMS);
	assert_int_equal(rs->floors[0].cond.terms[0].op, CW_CMP_GE);
	assert_int_equal(rs->floors[0].cond.terms[0].value, CW_PAMMS_REQUIRES_IMPROVEMENT);
	assert_string_equal(rs->floors[0].cond.terms[0].text, "pamms.overall >= requires_improvement");
	cw_rules_free(rs);

	/* Each fault named where it is. */
	static const struct {
		const char *extra, *msg;
	} bad[] = {
		{"[pamms]\ncap = 1\n", "t.rules:45:1: error: missing key 'half_life_days' in [pamms] (0 means no"
		 " decay)\n  [pamms]\n  ^\n"},
		{"[pamms]\nhalf_life_days = 0\ncap = 1\nfollow_up_months = 0\n",
		 "t.rules:48:20: error: 0 is out of range for 'follow_up_months' (expected 1 to 36)\n"
		 "  follow_up_months = 0\n                     ^\n"},
		{"[pamms]\nhalf_life_days = 0\ncap = 1\naction_plan_days = 14\naction_plan_days = 14\n",
		 "t.rules:49:1: error: duplicate key 'action_plan_days' in [pamms] (first at line 48)\n"
		 "  action_plan_days = 14\n  ^\n"},
		{"[pamms]\nhalf_life_days = 0\ncap = 1\nfair = 3\n",
		 "t.rules:48:1: error: unknown key 'fair' in [pamms] (expected a PAMMS rating (excellent, good,"
		 " requires_improvement, poor), follow_up_months, action_plan_days, half_life_days,"
		 " window_days or cap)\n  fair = 3\n  ^\n"},
		{"[care_type nursing]\npamms.follow_up_months = 3\n",
		 "t.rules:46:1: error: 'pamms.follow_up_months' cannot differ by care type: only factor weights"
		 " can\n  pamms.follow_up_months = 3\n  ^\n"},
		{"[conditions]\nfloor high when pamms.poor within 30 days\n",
		 "t.rules:46:23: error: expected 'pamms.overall', found 'pamms.poor' (a PAMMS audit's condition is"
		 " its overall rating)\n  floor high when pamms.poor within 30 days\n                        ^\n"},
		{"[conditions]\nfloor high when pamms.overall = inadequate\n",
		 "t.rules:46:33: error: invalid PAMMS rating 'inadequate' (expected excellent, good,"
		 " requires_improvement or poor)\n  floor high when pamms.overall = inadequate\n"
		 "                                  ^\n"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = minimal_plus(bad[i].extra);
		assert_string_equal(parse_err(text), bad[i].msg);
		free(text);
	}
}

/* Vocabulary in keys and conditions goes through cw_vocab_parse, so
 * labels like Well-led are accepted; two spellings of one key are a
 * duplicate. */
static void
test_rules_vocabulary_spellings(void **state)
{
	char *text;
	struct cw_ruleset *rs;

	(void)state;
	text = minimal_plus("[care_type Home-care]\ncqc.Well-led.Inadequate = 12\n"
			    "[conditions]\nfloor High when cqc.Well-led >= Requires-improvement\n");
	rs = parse_ok(text);
	assert_int_equal(rs->params[CW_CARE_HOME_CARE].v[CW_P_CQC + CW_DOMAIN_WELL_LED * CW_RATING__N +
							CW_RATING_INADEQUATE], 1200);
	assert_int_equal(rs->n_floors, 1);
	assert_int_equal(rs->floors[0].band, CW_RISK_HIGH);
	assert_string_equal(rs->floors[0].cond.terms[0].text, "cqc.well_led >= requires_improvement");
	cw_rules_free(rs);
	free(text);

	text = minimal_plus("[care_type nursing]\ncqc.safe.inadequate = 1\ncqc.Safe.Inadequate = 2\n");
	assert_string_equal(parse_err(text),
			    "t.rules:47:1: error: duplicate key 'cqc.Safe.Inadequate' for care type "
			    "'nursing' (first at line 46)\n  cqc.Safe.Inadequate = 2\n  ^\n");
	free(text);
}

/* Every kind of condition term, parsed into its parts and its canonical
 * text (used in flag reasons and adjustments). */
static void
test_rules_condition_terms(void **state)
{
	char *text;
	struct cw_ruleset *rs;
	const struct cw_cond *c;

	(void)state;
	text = minimal_plus(
		"[conditions]\n"
		"# every term kind\n"
		"flag when score >= 59.5 and band > medium and care_type != day_care\n"
		"flag when cqc.overall = inadequate and safeguarding.substantiated within 90 days\n"
		"flag when concern.safeguarding within 1 day and safeguarding.neglect within 30 days\n"
		"flag when visit.serious_concerns within 60 days and ipc.non_compliant within 365 days "
		"and loss.beds_lost within 10 days\n"
		"flag when restriction.partial open and notice.default not open and score<10\n"
		"floor very_high when cqc.safe=inadequate and concern.very_high within 14 days\n"
		"override medium when score <= 0\n"
		"floor high when restriction.all open   # a comment after a rule\n");
	rs = parse_ok(text);
	assert_int_equal(rs->n_flags, 5);
	c = &rs->flags[0];
	assert_int_equal(c->n, 3);
	assert_int_equal(c->terms[0].kind, CW_COND_SCORE);
	assert_int_equal(c->terms[0].op, CW_CMP_GE);
	assert_int_equal(c->terms[0].num, 5950);
	assert_string_equal(c->terms[0].text, "score >= 59.5");
	assert_int_equal(c->terms[1].kind, CW_COND_BAND);
	assert_int_equal(c->terms[1].op, CW_CMP_GT);
	assert_int_equal(c->terms[1].value, CW_RISK_MEDIUM);
	assert_int_equal(c->terms[2].kind, CW_COND_CARE_TYPE);
	assert_int_equal(c->terms[2].op, CW_CMP_NE);
	assert_int_equal(c->terms[2].value, CW_CARE_DAY_CARE);
	c = &rs->flags[1];
	assert_int_equal(c->terms[0].kind, CW_COND_CQC);
	assert_int_equal(c->terms[0].sub, CW_DOMAIN_OVERALL);
	assert_int_equal(c->terms[0].value, CW_RATING_INADEQUATE);
	assert_int_equal(c->terms[1].kind, CW_COND_WITHIN);
	assert_int_equal(c->terms[1].factor, CW_FACTOR_SAFEGUARDING);
	assert_int_equal(c->terms[1].field, CW_FIELD_MAIN);
	assert_int_equal(c->terms[1].value, CW_SGO_SUBSTANTIATED);
	assert_int_equal(c->terms[1].num, 90);
	c = &rs->flags[2];
	assert_int_equal(c->terms[0].field, CW_FIELD_SG_ELEMENT);
	assert_string_equal(c->terms[0].text, "concern.safeguarding within 1 day");
	assert_int_equal(c->terms[1].field, CW_FIELD_CATEGORY);
	assert_int_equal(c->terms[1].value, CW_SG_NEGLECT);
	c = &rs->flags[3];
	assert_int_equal(c->n, 3);
	assert_int_equal(c->terms[0].factor, CW_FACTOR_VISIT);
	assert_int_equal(c->terms[1].factor, CW_FACTOR_IPC);
	assert_int_equal(c->terms[2].factor, CW_FACTOR_LOSS);
	assert_int_equal(c->terms[2].value, CW_LOSS_BEDS_LOST);
	c = &rs->flags[4];
	assert_int_equal(c->terms[0].kind, CW_COND_OPEN);
	assert_int_equal(c->terms[0].op, CW_CMP_EQ);
	assert_int_equal(c->terms[1].kind, CW_COND_OPEN);
	assert_int_equal(c->terms[1].op, CW_CMP_NE);
	assert_string_equal(c->terms[1].text, "notice.default not open");
	assert_string_equal(c->terms[2].text, "score < 10");
	assert_int_equal(rs->n_floors, 2);
	assert_int_equal(rs->floors[0].band, CW_RISK_VERY_HIGH);
	assert_int_equal(rs->floors[0].cond.line, 52);
	assert_int_equal(rs->n_overrides, 1);
	assert_int_equal(rs->overrides[0].band, CW_RISK_MEDIUM);
	cw_rules_free(rs);
	free(text);
}

/* Numbers: at most two decimals, a sign, nothing else. */
static void
test_rules_numbers(void **state)
{
	static const struct {
		const char *value;
		int64_t hundredths;     /* or -1 for "rejected" */
	} cases[] = {
		{"0.5", 50}, {"+2", 200}, {"10.05", 1005}, {"007", 700}, {"-0", 0},
		{".5", -1}, {"5.", -1}, {"1e2", -1}, {"0x10", -1}, {"1,5", -1}, {"- 1", -1},
		{"10.001", -1}, {"99999999999", -1}, {"", -1},
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *all;
		struct cw_rules_error e;
		struct cw_ruleset *rs;
		snprintf(text, sizeof(text), "[care_type nursing]\nconcern.low = %s\n", cases[i].value);
		all = minimal_plus(text);
		rs = cw_rules_parse("n.rules", all, strlen(all), &e);
		if (cases[i].hundredths < 0) {
			assert_null(rs);
			assert_int_equal(e.line, 46);
		} else {
			assert_non_null(rs);
			assert_int_equal(rs->params[CW_CARE_NURSING].v[CW_P_CONCERN + CW_RISK_LOW],
					 cases[i].hundredths);
			cw_rules_free(rs);
		}
		free(all);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_default_file_parses),
		cmocka_unit_test(test_rules_hash_is_sha256_of_the_bytes),
		cmocka_unit_test(test_rules_crlf_and_bom),
		cmocka_unit_test(test_rules_reads_only_len_bytes),
		cmocka_unit_test(test_rules_load_missing_file),
		cmocka_unit_test(test_rules_error_format_small_buffers),
		cmocka_unit_test(test_rules_bad_corpus),
		cmocka_unit_test(test_rules_every_factor_key),
		cmocka_unit_test(test_rules_pamms_section),
		cmocka_unit_test(test_rules_vocabulary_spellings),
		cmocka_unit_test(test_rules_condition_terms),
		cmocka_unit_test(test_rules_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
