/*
 * fuzz_rules.c - libFuzzer target for the rules parser (and, when a file
 * parses, the evaluator, its JSON and the error formatter).
 *
 * Rules files come from analysts and from `rules check` on any file a user
 * names, so the parser must survive any bytes: no crash, no read past the
 * buffer (the input is not NUL-terminated), no leak, no undefined behaviour.
 * A ruleset that parses is also run over a fixed provider so that every
 * condition and weight the fuzzer invents goes through cw_score_evaluate.
 * Built and run by tools/fuzz.sh (`make fuzz`), never by `make unit`.
 *
 * FUZZ_SOURCES: src/rules.c src/score.c src/vocab.c src/error.c src/intel.c src/sha256.c src/copybuf.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/intel.h"
#include "carewatch/rules.h"
#include "carewatch/score.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One of each kind of record, some open, some old, some in the future. */
static void
provider(struct cw_provider_intel *pi, enum cw_care_type ct)
{
	const cw_time day = CW_DAY, now = 19905 * day;   /* 2024-07-01 */
	struct cw_rec_concern c = {"c", now - 3 * day, CW_RISK_VERY_HIGH, CW_CC_STAFFING, true};
	struct cw_rec_visit v = {"v", now - 40 * day, CW_VISIT_PAMMS, CW_VO_SERIOUS_CONCERNS};
	struct cw_rec_safeguarding s = {"s", now - 80 * day, CW_SG_NEGLECT, CW_SGO_SUBSTANTIATED};
	struct cw_rec_cqc q1 = {"q1", now - 400 * day, CW_TIME_NONE, CW_DOMAIN_OVERALL,
				CW_RATING_INADEQUATE};
	struct cw_rec_cqc q2 = {"q2", now - 10 * day, now - 90 * day, CW_DOMAIN_SAFE,
				CW_RATING_REQUIRES_IMPROVEMENT};
	struct cw_rec_ipc i = {"i", now - 200 * day, CW_IPC_NON_COMPLIANT, 40};
	struct cw_rec_survey u = {"u", now - 30 * day, 55, 12};
	struct cw_rec_restriction r = {"r", now - 20 * day, CW_TIME_NONE, CW_TIME_NONE, CW_RESTRICT_ALL};
	struct cw_rec_notice n = {"n", now - 60 * day, CW_TIME_NONE, CW_NOTICE_DEFAULT};
	struct cw_rec_loss l = {"l", now + 5 * day, CW_LOSS_BEDS_LOST, 4};

	cw_intel_init(pi);
	pi->care_type = ct;
	if (!cw_intel_add_concern(pi, &c) || !cw_intel_add_concern(pi, &c) ||
	    !cw_intel_add_visit(pi, &v) || !cw_intel_add_safeguarding(pi, &s) ||
	    !cw_intel_add_cqc(pi, &q1) || !cw_intel_add_cqc(pi, &q2) || !cw_intel_add_ipc(pi, &i) ||
	    !cw_intel_add_survey(pi, &u) || !cw_intel_add_restriction(pi, &r) ||
	    !cw_intel_add_notice(pi, &n) || !cw_intel_add_loss(pi, &l))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_rules_error err;
	struct cw_ruleset *rs;
	char buf[1024];

	rs = cw_rules_parse("fuzz.rules", (const char *)data, size, &err);
	if (rs == NULL) {
		/* Every error names a line (or 0) and a message, and formats. */
		if (err.msg[0] == '\0' || err.line < 0 || (err.line > 0 && err.col < 1))
			abort();
		cw_rules_error_format(&err, buf, sizeof(buf));
		cw_rules_error_format(&err, buf, 7);
		return 0;
	}
	if (strlen(cw_rules_hash(rs)) != 64 || cw_rules_name(rs)[0] == '\0')
		abort();
	for (int ct = 0; ct < CW_CARE__N; ct++) {
		struct cw_provider_intel pi;
		struct cw_score s;
		struct cw_error e;
		char *json;

		provider(&pi, (enum cw_care_type)ct);
		cw_error_clear(&e);
		if (!cw_score_evaluate(rs, &pi, 19905 * (cw_time)CW_DAY, &s, &e))
			abort();
		if (s.total < 0 || (int)s.band < 0 || s.band >= CW_RISK__N)
			abort();
		json = cw_score_to_json(&s);
		if (json == NULL)
			abort();
		free(json);
		cw_score_free(&s);
		cw_intel_free(&pi);
	}
	cw_rules_free(rs);
	return 0;
}
