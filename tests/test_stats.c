/*
 * test_stats.c - the backtest's statistics without a database, on fixtures
 * worked out by hand in the comments: the AUC with ties counted half, an
 * error (not a number) when every outcome is of one kind, the bootstrap
 * interval's determinism (same seed, any order, same bits) and its value on
 * a case small enough to enumerate, the top-k share with a tie straddling
 * the boundary, and the ROC curve whose area is the AUC.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testcore.h"
#include "carewatch/stats.h"

/* Adverse scores 3, 2, 2; others 2, 1.  The six pairs: 3>2, 3>1, 2=2 (half),
 * 2=2 (half), 2>1, 2>1: 5 of 6, AUC 0.8333. */
static const double TIE_SCORE[] = {3, 2, 2, 2, 1};
static const bool TIE_ADV[] = {true, true, true, false, false};

static void
test_stats_auc_ties_count_half(void **state)
{
	struct cw_error err;
	double auc = -1;

	(void)state;
	cw_error_clear(&err);
	assert_true(cw_stats_auc(TIE_SCORE, TIE_ADV, 5, &auc, &err));
	assert_true(fabs(auc - 5.0 / 6.0) < 1e-12);

	/* Every score equal: every pair a tie, 0.5. */
	{
		static const double s[] = {4, 4, 4, 4};
		static const bool y[] = {true, false, false, true};
		assert_true(cw_stats_auc(s, y, 4, &auc, &err));
		assert_true(auc == 0.5);
	}
	/* Perfect and perfectly wrong. */
	{
		static const double s[] = {1, 2, 3, 4};
		static const bool up[] = {false, false, true, true};
		static const bool down[] = {true, true, false, false};
		assert_true(cw_stats_auc(s, up, 4, &auc, &err));
		assert_true(auc == 1.0);
		assert_true(cw_stats_auc(s, down, 4, &auc, &err));
		assert_true(auc == 0.0);
	}
	/* The order of the observations does not matter. */
	{
		static const double s[] = {1, 2, 2, 2, 3};
		static const bool y[] = {false, false, true, true, true};
		assert_true(cw_stats_auc(s, y, 5, &auc, &err));
		assert_true(fabs(auc - 5.0 / 6.0) < 1e-12);
	}
}

static void
test_stats_auc_one_class_is_an_error(void **state)
{
	static const double s[] = {1, 2, 3};
	static const bool all[] = {true, true, true};
	static const bool none[] = {false, false, false};
	struct cw_error err;
	double auc = 42;

	(void)state;
	cw_error_clear(&err);
	assert_false(cw_stats_auc(s, all, 3, &auc, &err));
	assert_int_equal(err.code, CW_EXIT_CONFLICT);
	assert_string_equal(err.msg, "cannot compute an AUC: all 3 observations had an adverse outcome");
	assert_true(auc == 42);
	cw_error_clear(&err);
	assert_false(cw_stats_auc(s, none, 3, &auc, &err));
	assert_string_equal(err.msg, "cannot compute an AUC: none of the 3 observations had an adverse outcome");
	cw_error_clear(&err);
	assert_false(cw_stats_auc(s, none, 0, &auc, &err));
	assert_string_equal(err.msg, "cannot compute an AUC: there are no observations");
	assert_false(cw_stats_roc(s, all, 3, (const double[]){0.5}, (double[]){0}, 1, &err));
	assert_string_equal(err.msg, "cannot compute an AUC: all 3 observations had an adverse outcome");
	assert_true(auc == 42);
}

/* A sample of 60 observations in 12 clusters, two groups, two scores. */
#define BN 60
struct boot_fixture {
	double s0[BN], s1[BN];
	bool y[BN];
	uint32_t c[BN];
	uint8_t g[BN];
};

static void
boot_fill(struct boot_fixture *f, bool reversed)
{
	for (int k = 0; k < BN; k++) {
		int i = reversed ? BN - 1 - k : k;
		/* Outcomes on a fixed pattern; s0 follows them loosely, s1 less. */
		f->y[i] = (k * 7) % 5 < 2;
		f->s0[i] = (double)((k * 13) % 7) + (f->y[i] ? 2.5 : 0);
		f->s1[i] = (double)((k * 11) % 5) + (f->y[i] ? 0.5 : 0);
		f->c[i] = (uint32_t)(k / 5);
		f->g[i] = (uint8_t)(k % 2);
	}
}

static void
boot_run(const struct boot_fixture *f, uint64_t seed, struct cw_stats_auc *out, struct cw_stats_auc *diff)
{
	const double *scores[2] = {f->s0, f->s1};
	static const int pairs[1][2] = {{0, 1}};
	struct cw_stats_sample x = {BN, f->y, f->c, 12, f->g, 2, 2, scores};
	struct cw_error err;

	cw_error_clear(&err);
	assert_true(cw_stats_auc_bootstrap(&x, 500, seed, 1, pairs, out, diff, &err));
}

static void
test_stats_interval_is_deterministic(void **state)
{
	struct boot_fixture a, b;
	struct cw_stats_auc oa[6], da[3], ob[6], db[3], oc[6], dc[3];
	struct cw_error err;
	double auc;

	(void)state;
	boot_fill(&a, false);
	boot_fill(&b, true);
	boot_run(&a, CW_STATS_SEED, oa, da);
	boot_run(&a, CW_STATS_SEED, ob, db);
	/* Twice: the same bits. */
	assert_memory_equal(oa, ob, sizeof(oa));
	assert_memory_equal(da, db, sizeof(da));
	/* The observations in reverse order (each keeping its cluster): the
	 * same bits again. */
	boot_run(&b, CW_STATS_SEED, ob, db);
	assert_memory_equal(oa, ob, sizeof(oa));
	assert_memory_equal(da, db, sizeof(da));
	/* Another seed: the same estimates, another interval. */
	boot_run(&a, CW_STATS_SEED + 1, oc, dc);
	assert_true(oc[0].auc == oa[0].auc);
	assert_true(oc[0].lo != oa[0].lo || oc[0].hi != oa[0].hi);

	/* The estimates are cw_stats_auc's, and each lies in its interval. */
	cw_error_clear(&err);
	assert_true(cw_stats_auc(a.s0, a.y, BN, &auc, &err));
	assert_true(oa[0].auc == auc);
	assert_true(cw_stats_auc(a.s1, a.y, BN, &auc, &err));
	assert_true(oa[1].auc == auc);
	for (int i = 0; i < 6; i++) {
		assert_true(oa[i].ok);
		assert_true(oa[i].lo <= oa[i].auc && oa[i].auc <= oa[i].hi);
		assert_int_equal(oa[i].replicates, 500);
	}
	assert_int_equal(oa[0].n, BN);
	assert_int_equal(oa[2].n + oa[4].n, BN);
	assert_true(fabs(da[0].auc - (oa[0].auc - oa[1].auc)) < 1e-15);
	assert_true(da[0].lo <= da[0].auc && da[0].auc <= da[0].hi);
}

/* Two clusters: A holds an adverse observation scoring 2 and another
 * scoring 1 (AUC 1 alone); B an adverse one scoring 1 and another scoring 2
 * (AUC 0 alone).  A replicate draws A twice (AUC 1, chance 1/4), B twice
 * (AUC 0, 1/4) or each once (the whole sample: 2>1, 2=2, 1=1, 1<2, AUC
 * 0.5).  So the interval runs from exactly 0 to exactly 1. */
static void
test_stats_interval_enumerated(void **state)
{
	static const double s[] = {2, 1, 1, 2};
	static const bool y[] = {true, false, true, false};
	static const uint32_t c[] = {0, 0, 1, 1};
	const double *scores[1] = {s};
	struct cw_stats_sample x = {4, y, c, 2, NULL, 0, 1, scores};
	struct cw_stats_auc out;
	struct cw_error err;

	(void)state;
	cw_error_clear(&err);
	assert_true(cw_stats_auc_bootstrap(&x, 1000, CW_STATS_SEED, 0, NULL, &out, NULL, &err));
	assert_true(out.ok);
	assert_true(out.auc == 0.5);
	assert_true(out.lo == 0.0);
	assert_true(out.hi == 1.0);
	assert_int_equal(out.replicates, 1000);
}

/* A group with one kind of outcome has no AUC, and says why; the others
 * are unaffected. */
static void
test_stats_interval_one_class_group(void **state)
{
	static const double s[] = {3, 1, 2, 5, 4};
	static const bool y[] = {true, false, false, false, false};
	static const uint32_t c[] = {0, 1, 2, 3, 4};
	static const uint8_t g[] = {0, 0, 0, 1, 1};
	const double *scores[1] = {s};
	struct cw_stats_sample x = {5, y, c, 5, g, 2, 1, scores};
	struct cw_stats_auc out[3];
	struct cw_error err;

	(void)state;
	cw_error_clear(&err);
	assert_true(cw_stats_auc_bootstrap(&x, 200, CW_STATS_SEED, 0, NULL, out, NULL, &err));
	/* All: the adverse 3 beats 1 and 2, loses to 5 and 4: 2 of 4. */
	assert_true(out[0].ok);
	assert_true(out[0].auc == 0.5);
	/* Group 0: 3 beats 1 and 2. */
	assert_true(out[1].ok);
	assert_true(out[1].auc == 1.0);
	assert_false(out[2].ok);
	assert_string_equal(out[2].why, "cannot compute an AUC: none of the 2 observations had an adverse outcome");
	assert_int_equal(out[2].n, 2);
	/* Invalid input is an error, not a figure. */
	{
		static const uint32_t bad[] = {0, 1, 2, 3, 9};
		struct cw_stats_sample y2 = {5, y, bad, 5, g, 2, 1, scores};
		assert_false(cw_stats_auc_bootstrap(&y2, 10, 1, 0, NULL, out, NULL, &err));
		assert_string_equal(err.msg, "observation 4 has an invalid cluster or group");
	}
}

/* Scores 9 8 7 7 7 5 4 3 2 1, adverse at 9, one 7, another 7 and 4: four
 * in all.  Top 10% (k = 1): the 9, 1 of 4.  Top 20% (k = 2): 9 and 8, still
 * 1.  Top 30% (k = 3): 9, 8 and one place of the three 7s, which hold 2
 * adverse: 1 + 2/3.  Top 25% rounds to k = 3 too.  Top 50%: 9, 8 and all
 * the 7s: 3. */
static void
test_stats_top_share(void **state)
{
	static const double s[] = {5, 7, 9, 1, 7, 3, 8, 2, 7, 4};
	static const bool y[] = {false, true, true, false, false, false, false, false, true, true};
	struct cw_error err;
	double got;
	long adverse;

	(void)state;
	cw_error_clear(&err);
	assert_true(cw_stats_top_share(s, y, 10, 0.1, &got, &adverse, &err));
	assert_int_equal(adverse, 4);
	assert_true(got == 1.0);
	assert_true(cw_stats_top_share(s, y, 10, 0.2, &got, &adverse, &err));
	assert_true(got == 1.0);
	assert_true(cw_stats_top_share(s, y, 10, 0.3, &got, &adverse, &err));
	assert_true(fabs(got - (1.0 + 2.0 / 3.0)) < 1e-12);
	assert_true(cw_stats_top_share(s, y, 10, 0.25, &got, &adverse, &err));
	assert_true(fabs(got - (1.0 + 2.0 / 3.0)) < 1e-12);
	assert_true(cw_stats_top_share(s, y, 10, 0.5, &got, &adverse, &err));
	assert_true(got == 3.0);
	assert_true(cw_stats_top_share(s, y, 10, 1.0, &got, &adverse, &err));
	assert_true(got == 4.0);
	assert_true(cw_stats_top_share(s, y, 10, 0.0, &got, &adverse, &err));
	assert_true(got == 0.0);
	assert_false(cw_stats_top_share(s, y, 10, 1.5, &got, &adverse, &err));
	assert_string_equal(err.msg, "invalid share 1.5 of observations (expected 0 to 1)");
}

/* The tie fixture's curve: corners (0, 1/3) after the 3, (1/2, 1) after the
 * 2s, (1, 1).  At 25% false positives: 1/3 + (1/4)/(1/2) x 2/3 = 2/3.  Its
 * area, 1/2 x (1/3 + 1)/2 + 1/2 x 1 = 5/6, is the AUC. */
static void
test_stats_roc_curve(void **state)
{
	static const double fpr[] = {0, 0.25, 0.5, 0.75, 1};
	double tpr[5];
	struct cw_error err;

	(void)state;
	cw_error_clear(&err);
	assert_true(cw_stats_roc(TIE_SCORE, TIE_ADV, 5, fpr, tpr, 5, &err));
	assert_true(fabs(tpr[0] - 1.0 / 3.0) < 1e-12);
	assert_true(fabs(tpr[1] - 2.0 / 3.0) < 1e-12);
	assert_true(tpr[2] == 1.0);
	assert_true(tpr[3] == 1.0);
	assert_true(tpr[4] == 1.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_auc_ties_count_half),
		cmocka_unit_test(test_stats_auc_one_class_is_an_error),
		cmocka_unit_test(test_stats_interval_is_deterministic),
		cmocka_unit_test(test_stats_interval_enumerated),
		cmocka_unit_test(test_stats_interval_one_class_group),
		cmocka_unit_test(test_stats_top_share),
		cmocka_unit_test(test_stats_roc_curve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
