/*
 * test_balance.c - assignment and caseload balancing without a database:
 * leave, locality cover, continuity, FTE weighting, deterministic ties,
 * nobody eligible; the suggester reaching the 15% band on a skewed team,
 * explaining why it cannot on others, never splitting a provider or breaking
 * cover, and giving the same moves for the same input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testcore.h"
#include "carewatch/balance.h"

static const char *const NORTH[] = {"north"};
static const char *const WEST[] = {"west"};
static const char *const NORTH_SOUTH[] = {"north", "south"};

#define LOCS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* low, medium, high, very high */
static const double W[CW_RISK__N] = {1.0, 2.0, 3.0, 5.0};
static const double ONES[CW_RISK__N] = {1.0, 1.0, 1.0, 1.0};

static const struct cw_new_case NEW_NORTH = {"p-new", "north", CW_RISK_HIGH};

/* ----------------------------------------------------------- assignment -- */

static void
test_balance_assign_lowest_load_per_fte(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 6.0},
		{"bob", 0.5, true, false, LOCS(NORTH), 2.5},   /* 5.0 per FTE */
		{"carol", 1.0, true, false, LOCS(NORTH), 5.5},
	};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	cw_error_clear(&err);
	assert_int_equal(cw_balance_assign(o, 3, &NEW_NORTH, NULL, 0, W, &a, &err), 1);
	assert_int_equal(a.officer, 1);
	assert_int_equal(a.how, CW_ASSIGN_LEAST_LOADED);
	assert_true(a.weight == 3.0);
	assert_true(a.load_per_fte == 5.0);
	assert_string_equal(a.reason, "lowest load per FTE (5.00) of 3 available officers covering 'north'");
	assert_int_equal(err.code, 0);
}

static void
test_balance_assign_fte_weighting_tie_then_lower_load(void **state)
{
	/* 0.5 FTE with half the load ties with 1.0 FTE: the lower load wins. */
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 4.0},
		{"bob", 0.5, true, false, LOCS(NORTH), 2.0},
	};
	struct cw_officer swapped[] = {o[1], o[0]};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	assert_int_equal(cw_balance_assign(o, 2, &NEW_NORTH, NULL, 0, W, &a, &err), 1);
	assert_string_equal(a.reason, "lowest load per FTE (4.00) of 2 available officers covering "
			    "'north'; tied with alice on load per FTE, lower load (2.0 against 4.0)");
	assert_int_equal(cw_balance_assign(swapped, 2, &NEW_NORTH, NULL, 0, W, &a, &err), 0);
	assert_string_equal(swapped[a.officer].login, "bob");
	/* FTE counts: 0.6 FTE with 1.5 is 2.5 per FTE, more than 2.4 at full time */
	o[0].load = 2.4;
	o[1].fte = 0.6;
	o[1].load = 1.5;
	assert_int_equal(cw_balance_assign(o, 2, &NEW_NORTH, NULL, 0, W, &a, &err), 0);
	/* ... and 1.5 / 0.6 ties with 2.5 despite rounding */
	o[0].load = 2.5;
	assert_int_equal(cw_balance_assign(o, 2, &NEW_NORTH, NULL, 0, W, &a, &err), 1);
}

static void
test_balance_assign_ties_by_login(void **state)
{
	struct cw_officer o[] = {
		{"zoe", 1.0, true, false, LOCS(NORTH), 3.0},
		{"adam", 1.0, true, false, LOCS(NORTH), 3.0},
		{"mia", 1.0, true, false, LOCS(NORTH), 3.0},
	};
	struct cw_officer rotated[] = {o[2], o[0], o[1]};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	assert_int_equal(cw_balance_assign(o, 3, &NEW_NORTH, NULL, 0, W, &a, &err), 1);
	assert_string_equal(a.reason, "lowest load per FTE (3.00) of 3 available officers covering "
			    "'north'; tied with mia on load per FTE and load, first by login");
	/* the same answer whatever the input order */
	assert_int_equal(cw_balance_assign(rotated, 3, &NEW_NORTH, NULL, 0, W, &a, &err), 2);
	assert_string_equal(rotated[a.officer].login, "adam");
}

static void
test_balance_assign_skips_leave_and_inactive(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, true, LOCS(NORTH), 0.0},    /* on leave */
		{"bob", 1.0, false, false, LOCS(NORTH), 0.0},    /* inactive */
		{"carol", 1.0, true, false, LOCS(NORTH), 9.0},
		{"dan", 1.0, true, false, LOCS(NORTH), 7.0},
	};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	assert_int_equal(cw_balance_assign(o, 4, &NEW_NORTH, NULL, 0, W, &a, &err), 3);
	assert_string_equal(a.reason, "lowest load per FTE (7.00) of 2 available officers covering 'north'");
}

static void
test_balance_assign_locality_cover(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(WEST), 0.0},
		{"bob", 1.0, true, false, LOCS(NORTH_SOUTH), 8.0},
		{"carol", 1.0, true, false, LOCS(NORTH), 9.0},
	};
	struct cw_new_case west = {"p-w", "west", CW_RISK_LOW};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	assert_int_equal(cw_balance_assign(o, 3, &NEW_NORTH, NULL, 0, W, &a, &err), 1);
	assert_int_equal(cw_balance_assign(o, 3, &west, NULL, 0, W, &a, &err), 0);
	assert_true(a.weight == 1.0);
	/* locality codes are compared exactly */
	west.locality = "West";
	assert_int_equal(cw_balance_assign(o, 3, &west, NULL, 0, W, &a, &err), -1);
	assert_string_equal(a.reason, "no officer covers locality 'West'");
}

static void
test_balance_assign_continuity(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 1.0},
		{"bob", 1.0, true, false, LOCS(NORTH), 12.0},
		{"carol", 0.5, true, false, LOCS(NORTH), 5.0},   /* 10 per FTE */
		{"dan", 1.0, true, false, LOCS(WEST), 0.0},
	};
	int holders[] = {1, 1, 2};
	int one[] = {1};
	int away[] = {3};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	/* bob holds the provider: continuity beats alice's lighter load */
	assert_int_equal(cw_balance_assign(o, 4, &NEW_NORTH, one, 1, W, &a, &err), 1);
	assert_int_equal(a.how, CW_ASSIGN_CONTINUITY);
	assert_string_equal(a.reason, "continuity: bob already holds an open case for this provider");
	/* two holders: the lower load per FTE (carol, 10 against 12) */
	assert_int_equal(cw_balance_assign(o, 4, &NEW_NORTH, holders, 3, W, &a, &err), 2);
	assert_string_equal(a.reason, "continuity: carol already holds an open case for this provider "
			    "(lowest load per FTE of the 2 available officers who do)");
	/* a holder on leave does not get it; the reason says so */
	o[1].on_leave = true;
	assert_int_equal(cw_balance_assign(o, 4, &NEW_NORTH, one, 1, W, &a, &err), 0);
	assert_int_equal(a.how, CW_ASSIGN_LEAST_LOADED);
	assert_string_equal(a.reason, "lowest load per FTE (1.00) of 2 available officers covering "
			    "'north'; bob holds this provider's open cases but is on leave");
	/* a holder who does not cover the locality does not get it either */
	assert_int_equal(cw_balance_assign(o, 4, &NEW_NORTH, away, 1, W, &a, &err), 0);
	assert_string_equal(a.reason, "lowest load per FTE (1.00) of 2 available officers covering "
			    "'north'; dan holds this provider's open cases but does not cover 'north'");
}

static void
test_balance_assign_nobody_eligible(void **state)
{
	struct cw_officer o[] = {
		{"bob", 1.0, true, true, LOCS(NORTH), 0.0},
		{"alice", 1.0, true, false, LOCS(WEST), 0.0},
		{"carol", 1.0, true, true, LOCS(NORTH_SOUTH), 0.0},
		{"dave", 1.0, false, false, LOCS(NORTH), 0.0},
	};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	cw_error_clear(&err);
	assert_int_equal(cw_balance_assign(o, 4, &NEW_NORTH, NULL, 0, W, &a, &err), -1);
	assert_int_equal(a.officer, -1);
	assert_int_equal(a.how, CW_ASSIGN_NOBODY);
	assert_string_equal(a.reason, "no active officer covering locality 'north' is available "
			    "(on leave: bob, carol; inactive: dave)");
	assert_int_equal(err.code, 0);
	assert_int_equal(cw_balance_assign(o + 3, 1, &NEW_NORTH, NULL, 0, W, &a, &err), -1);
	assert_string_equal(a.reason, "no active officer covering locality 'north' is available "
			    "(inactive: dave)");
	assert_int_equal(cw_balance_assign(o, 1, &NEW_NORTH, NULL, 0, W, &a, &err), -1);
	assert_string_equal(a.reason, "no active officer covering locality 'north' is available "
			    "(on leave: bob)");
	/* an empty team */
	assert_int_equal(cw_balance_assign(NULL, 0, &NEW_NORTH, NULL, 0, W, &a, &err), -1);
	assert_int_equal(a.how, CW_ASSIGN_NOBODY);
	assert_string_equal(a.reason, "no officer covers locality 'north'");
}

static void
test_balance_assign_rejects_invalid_input(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 1.0},
		{"bob", 0.0, true, false, LOCS(NORTH), 1.0},
	};
	double neg[CW_RISK__N] = {1, -2, 3, 4};
	struct cw_new_case bad = {"p", "north", CW_RISK__N};
	int holders[] = {2};
	struct cw_assignment a;
	struct cw_error err;

	(void)state;
	assert_int_equal(cw_balance_assign(o, 2, &NEW_NORTH, NULL, 0, W, &a, &err), -1);
	assert_int_equal(a.how, CW_ASSIGN_INVALID);
	assert_string_equal(err.msg, "invalid FTE 0 for officer bob (expected a number > 0)");
	assert_string_equal(a.reason, err.msg);
	assert_int_equal(cw_balance_assign(o, 1, &NEW_NORTH, NULL, 0, neg, &a, &err), -1);
	assert_string_equal(err.msg, "invalid weight -2 for risk level 'medium' (expected a number >= 0)");
	assert_int_equal(cw_balance_assign(o, 1, &bad, NULL, 0, W, &a, &err), -1);
	assert_string_equal(err.msg, "invalid risk level 4 for the case to assign");
	assert_int_equal(cw_balance_assign(o, 1, &NEW_NORTH, holders, 1, W, &a, &err), -1);
	assert_string_equal(err.msg, "provider holder 2 is not an officer index");
	assert_int_equal(a.how, CW_ASSIGN_INVALID);
	o[0].load = NAN;
	assert_int_equal(cw_balance_assign(o, 1, &NEW_NORTH, NULL, 0, W, &a, &err), -1);
	assert_string_equal(err.msg, "invalid load nan for officer alice (expected a number >= 0)");
}

/* -------------------------------------------------------------- figures -- */

static void
test_balance_figures(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 10.0},
		{"bob", 0.5, true, false, LOCS(NORTH), 3.0},
		{"carol", 1.0, true, true, LOCS(NORTH), 4.0},
	};
	struct cw_officer_figures f[3];
	struct cw_team_figures t;

	(void)state;
	cw_balance_figures(o, 3, f, &t);
	assert_true(t.total_load == 17.0);
	assert_true(t.available_load == 13.0);
	assert_true(t.available_fte == 1.5);
	assert_int_equal(t.n_available, 2);
	assert_float_equal(t.mean_load_per_fte, 13.0 / 1.5, 1e-12);
	assert_true(t.max_load_per_fte == 10.0);
	assert_float_equal(t.imbalance, 10.0 / (13.0 / 1.5), 1e-12);
	assert_false(t.in_band);
	assert_true(f[1].load_per_fte == 6.0);
	assert_float_equal(f[0].share, 10.0 / 17.0, 1e-12);
	assert_float_equal(f[0].fair_share, 1.0 / 1.5, 1e-12);
	assert_float_equal(f[1].fair_share, 0.5 / 1.5, 1e-12);
	assert_true(f[2].fair_share == 0.0);    /* away: should carry nothing */
	assert_float_equal(f[2].share, 4.0 / 17.0, 1e-12);
	assert_false(f[2].available);
	assert_false(f[2].in_band);
	assert_false(f[0].in_band);             /* 10 > 8.67 * 1.15 */
	assert_false(f[1].in_band);             /* 6 < 8.67 * 0.85 */

	/* within 15% both ways counts as in the band, at its edges too:
	 * alice 10.75 (+7.5%), bob 8.5 per FTE (-15%), mean 10 */
	o[0].load = 10.75;
	o[1].load = 4.25;
	cw_balance_figures(o, 2, f, &t);
	assert_float_equal(t.mean_load_per_fte, 10.0, 1e-12);
	assert_true(t.in_band);
	assert_true(f[0].in_band && f[1].in_band);

	/* nobody available; no load at all */
	cw_balance_figures(o + 2, 1, f, &t);
	assert_int_equal(t.n_available, 0);
	assert_true(t.imbalance == 0.0);
	assert_true(t.mean_load_per_fte == 0.0);
	o[0].load = o[1].load = 0.0;
	cw_balance_figures(o, 2, NULL, &t);
	assert_true(t.imbalance == 1.0);
	assert_true(t.in_band);
	cw_balance_figures(NULL, 0, NULL, &t);
	assert_true(t.total_load == 0.0 && t.n_available == 0 && t.in_band);
}

/* ------------------------------------------------------------ suggestion -- */

/* Checks what every suggestion must respect: moves go to available officers
 * who cover the case, whole provider blocks move, no provider is spread over
 * more officers than before, and the after figures add up. */
static void
check_invariants(const struct cw_officer *o, size_t no, const struct cw_open_case *c, size_t nc,
		 const double *w, const struct cw_suggestion *s)
{
	int *after = malloc((nc ? nc : 1) * sizeof(int));
	double *load = calloc(no ? no : 1, sizeof(double));

	assert_non_null(after);
	assert_non_null(load);
	for (size_t i = 0; i < nc; i++)
		after[i] = c[i].officer;
	for (size_t k = 0; k < s->n_moves; k++) {
		const struct cw_move *m = &s->moves[k];
		bool cover = false;
		assert_true(m->case_index < nc);
		assert_ptr_equal(m->case_id, c[m->case_index].id);
		assert_int_equal(m->from, c[m->case_index].officer);
		assert_true(m->to >= 0 && (size_t)m->to < no && m->to != m->from);
		assert_true(o[m->to].active && !o[m->to].on_leave);
		for (size_t l = 0; l < o[m->to].n_localities; l++)
			cover = cover || strcmp(o[m->to].localities[l], c[m->case_index].locality) == 0;
		assert_true(cover);
		if (k > 0)
			assert_true(s->moves[k - 1].case_index < m->case_index);
		after[m->case_index] = m->to;
	}
	for (size_t i = 0; i < nc; i++) {
		size_t holders_before = 0, holders_after = 0;
		if (after[i] >= 0)
			load[after[i]] += w[c[i].risk];
		for (size_t j = 0; j < nc; j++) {
			bool same = strcmp(c[i].provider_id, c[j].provider_id) == 0;
			/* a block (same provider, same holder) stays together */
			if (same && c[i].officer == c[j].officer && c[i].officer >= 0)
				assert_int_equal(after[i], after[j]);
		}
		/* distinct holders of this provider, before and after */
		for (size_t j = 0; j < nc; j++) {
			bool first_b = true, first_a = true;
			if (strcmp(c[i].provider_id, c[j].provider_id) != 0)
				continue;
			for (size_t k = 0; k < j; k++) {
				if (strcmp(c[k].provider_id, c[j].provider_id) != 0)
					continue;
				if (c[k].officer == c[j].officer)
					first_b = false;
				if (after[k] == after[j])
					first_a = false;
			}
			holders_before += first_b && c[j].officer >= 0;
			holders_after += first_a && after[j] >= 0;
		}
		if (holders_before > 0)
			assert_true(holders_after <= holders_before);
	}
	for (size_t i = 0; i < no; i++)
		assert_float_equal(s->after[i].load, load[i], 1e-9);
	free(after);
	free(load);
}

static void
test_balance_suggest_reaches_band_on_skewed_team(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 0},
		{"bob", 1.0, true, false, LOCS(NORTH_SOUTH), 0},
		{"carol", 1.0, true, false, LOCS(NORTH), 0},
		{"dan", 0.5, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[40];
	char ids[40][16], provs[40][16];
	size_t n = 0;
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	/* alice: 14 providers of one medium case and one provider of three
	 * (a block of 6); bob: 2 cases; carol: 1; dan: none. */
	for (int i = 0; i < 14; i++) {
		snprintf(ids[n], sizeof(ids[n]), "c%02zu", n);
		snprintf(provs[n], sizeof(provs[n]), "pa%02d", i);
		c[n] = (struct cw_open_case){ids[n], provs[n], "north", CW_RISK_MEDIUM, 0};
		n++;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(ids[n], sizeof(ids[n]), "c%02zu", n);
		c[n] = (struct cw_open_case){ids[n], "pbig", "north", CW_RISK_MEDIUM, 0};
		n++;
	}
	c[n++] = (struct cw_open_case){"b1", "pb1", "north", CW_RISK_MEDIUM, 1};
	c[n++] = (struct cw_open_case){"b2", "pb2", "south", CW_RISK_MEDIUM, 1};
	c[n++] = (struct cw_open_case){"k1", "pc1", "north", CW_RISK_MEDIUM, 2};

	assert_true(cw_balance_suggest(o, 4, c, n, W, &s, &err));
	/* before: 34, 4, 2, 0 over 3.5 FTE */
	assert_float_equal(s.team_before.mean_load_per_fte, 40.0 / 3.5, 1e-9);
	assert_float_equal(s.team_before.imbalance, 34.0 / (40.0 / 3.5), 1e-9);
	assert_false(s.team_before.in_band);
	assert_true(s.reached);
	assert_true(s.team_after.in_band);
	assert_string_equal(s.why, "");
	assert_int_equal(s.n_stranded, 0);
	assert_true(s.team_after.imbalance <= 1.15 + 1e-9);
	assert_float_equal(s.team_after.total_load, 40.0, 1e-9);
	for (int i = 0; i < 4; i++) {
		assert_true(s.after[i].in_band);
		assert_float_equal(s.after[i].fair_share, o[i].fte / 3.5, 1e-12);
	}
	/* FTE weighting: dan (0.5 FTE) ends with about half a full-timer's load */
	assert_true(s.after[3].load > 0 && s.after[3].load < s.after[0].load);
	check_invariants(o, 4, c, n, W, &s);
	cw_suggestion_free(&s);
	cw_suggestion_free(&s);  /* emptied: a second free is harmless */
}

static void
test_balance_suggest_impossible_locality(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 0},
		{"bob", 1.0, true, false, LOCS(WEST), 0},
		{"carol", 1.0, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[] = {
		{"a1", "pn1", "north", CW_RISK_MEDIUM, 0},
		{"w1", "pw1", "west", CW_RISK_MEDIUM, 1},
		{"w2", "pw2", "west", CW_RISK_MEDIUM, 1},
		{"w3", "pw3", "west", CW_RISK_MEDIUM, 1},
		{"w4", "pw4", "west", CW_RISK_MEDIUM, 1},
		{"w5", "pw5", "west", CW_RISK_MEDIUM, 1},
		{"w6", "pw6", "west", CW_RISK_MEDIUM, 1},
		{"k1", "pn2", "north", CW_RISK_MEDIUM, 2},
		{"k2", "pn3", "north", CW_RISK_MEDIUM, 2},
	};
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	assert_true(cw_balance_suggest(o, 3, c, 9, W, &s, &err));
	assert_false(s.reached);
	/* north evens out between alice and carol; west cannot move */
	assert_int_equal(s.n_moves, 0);
	assert_non_null(strstr(s.why, "officer bob (12.00 per FTE, band 5.10 to 6.90) covers only "
				      "'west', which has no other available officer"));
	assert_non_null(strstr(s.why, "officer alice (2.00 per FTE, band 5.10 to 6.90)"));
	assert_int_equal(s.n_stranded, 0);
	check_invariants(o, 3, c, 9, W, &s);
	cw_suggestion_free(&s);
}

static void
test_balance_suggest_impossible_single_block(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 0},
		{"bob", 1.0, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[10];
	char ids[10][16];
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	for (int i = 0; i < 9; i++) {
		snprintf(ids[i], sizeof(ids[i]), "a%d", i);
		c[i] = (struct cw_open_case){ids[i], "pbig", "north", CW_RISK_LOW, 0};
	}
	c[9] = (struct cw_open_case){"b0", "psmall", "north", CW_RISK_LOW, 1};
	assert_true(cw_balance_suggest(o, 2, c, 10, ONES, &s, &err));
	assert_false(s.reached);
	assert_int_equal(s.n_moves, 0);
	assert_string_equal(s.why,
			    "officer alice (9.00 per FTE, band 4.25 to 5.75): a single provider block "
			    "of 9.0 exceeds the band of every officer who could take it; officer bob "
			    "(1.00 per FTE, band 4.25 to 5.75): a single provider block of 9.0 exceeds "
			    "the band");
	assert_float_equal(s.team_after.imbalance, 1.8, 1e-12);
	cw_suggestion_free(&s);
}

static void
test_balance_suggest_leave_inactive_and_unassigned(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, true, LOCS(NORTH), 0},      /* on leave */
		{"bob", 1.0, true, false, LOCS(NORTH), 0},
		{"carol", 1.0, true, false, LOCS(NORTH), 0},
		{"dave", 1.0, false, false, LOCS(NORTH_SOUTH), 0}, /* inactive */
	};
	struct cw_open_case c[] = {
		{"l1", "pl1", "north", CW_RISK_LOW, 0},
		{"l2", "pl2", "north", CW_RISK_LOW, 0},
		{"b1", "pb1", "north", CW_RISK_LOW, 1},
		{"b2", "pb2", "north", CW_RISK_LOW, 1},
		{"b3", "pb3", "north", CW_RISK_LOW, 1},
		{"b4", "pb4", "north", CW_RISK_LOW, 1},
		{"c1", "pc1", "north", CW_RISK_LOW, 2},
		{"c2", "pc2", "north", CW_RISK_LOW, 2},
		{"c3", "pc3", "north", CW_RISK_LOW, 2},
		{"c4", "pc4", "north", CW_RISK_LOW, 2},
		{"d1", "px", "north", CW_RISK_LOW, 3},
		{"d2", "px", "north", CW_RISK_LOW, 3},
		{"d3", "psouth", "south", CW_RISK_LOW, 3},
		{"u1", "pc4", "north", CW_RISK_LOW, -1},    /* waits; carol holds pc4 */
	};
	struct cw_suggestion s;
	struct cw_error err;
	int to_alice = 0;
	int where_u1 = -2, where_d1 = -2, where_d2 = -2;

	(void)state;
	assert_true(cw_balance_suggest(o, 4, c, 14, ONES, &s, &err));
	check_invariants(o, 4, c, 14, ONES, &s);
	for (size_t k = 0; k < s.n_moves; k++) {
		const struct cw_move *m = &s.moves[k];
		to_alice += m->to == 0;
		assert_true(m->from != 0);   /* band reachable: leave cases stay put */
		if (strcmp(m->case_id, "u1") == 0)
			where_u1 = m->to;
		if (strcmp(m->case_id, "d1") == 0)
			where_d1 = m->to;
		if (strcmp(m->case_id, "d2") == 0)
			where_d2 = m->to;
	}
	assert_int_equal(to_alice, 0);
	assert_int_equal(where_u1, 2);           /* continuity with carol's pc4 */
	assert_true(where_d1 == 1 || where_d1 == 2);
	assert_int_equal(where_d1, where_d2);    /* dave's px moves as one block */
	assert_true(s.reached);
	assert_true(s.after[3].load == 1.0);     /* the south case has nowhere to go */
	assert_int_equal(s.n_stranded, 1);
	assert_string_equal(s.why, "1 case of inactive officer dave cannot move: no available "
			    "officer covers 'south'");
	assert_false(s.before[0].available);
	assert_true(s.before[0].load == 2.0 && s.after[0].load == 2.0);
	cw_suggestion_free(&s);
}

static void
test_balance_suggest_moves_leave_cases_only_as_last_resort(void **state)
{
	/* bob has nothing and nobody available has anything to give: the
	 * officer on leave is the only donor. */
	struct cw_officer o[] = {
		{"alice", 1.0, true, true, LOCS(NORTH), 0},
		{"bob", 1.0, true, false, LOCS(NORTH), 0},
		{"carol", 1.0, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[] = {
		{"a1", "p1", "north", CW_RISK_LOW, 0},
		{"a2", "p2", "north", CW_RISK_LOW, 0},
		{"a3", "p3", "north", CW_RISK_LOW, 0},
		{"k1", "p4", "north", CW_RISK_LOW, 2},
		{"k2", "p5", "north", CW_RISK_LOW, 2},
	};
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	assert_true(cw_balance_suggest(o, 3, c, 5, ONES, &s, &err));
	check_invariants(o, 3, c, 5, ONES, &s);
	assert_true(s.reached);
	assert_true(s.n_moves >= 1);
	for (size_t k = 0; k < s.n_moves; k++)
		assert_int_equal(s.moves[k].to, 1);
	assert_true(s.after[1].in_band && s.after[2].in_band);
	cw_suggestion_free(&s);
}

/* A pseudo-random team: the same seed gives the same input. */
static void
random_team(unsigned seed, struct cw_officer *o, size_t no, struct cw_open_case *c, size_t nc,
	    char (*ids)[12], char (*provs)[12])
{
	static const char *const L[][2] = {{"north", "south"}, {"east", NULL}, {"west", "north"},
					   {"south", NULL}, {"east", "west"}};
	static const char *const names[] = {"amy", "ben", "cat", "dev", "eve", "fay", "gus", "hal"};
	static const char *const locs[] = {"north", "south", "east", "west"};

	for (size_t i = 0; i < no; i++) {
		seed = seed * 1103515245u + 12345u;
		o[i].login = names[i % 8];
		o[i].fte = (seed >> 16) % 3 == 0 ? 0.6 : 1.0;
		o[i].active = i != 5;
		o[i].on_leave = i == 6;
		o[i].localities = L[i % 5];
		o[i].n_localities = L[i % 5][1] ? 2 : 1;
		o[i].load = 0;
	}
	for (size_t k = 0; k < nc; k++) {
		unsigned p;
		seed = seed * 1103515245u + 12345u;
		p = (seed >> 16) % 60;
		snprintf(ids[k], 12, "case%03zu", k);
		snprintf(provs[k], 12, "prov%02u", p);
		c[k].id = ids[k];
		c[k].provider_id = provs[k];
		c[k].locality = locs[p % 4];    /* a provider has one locality */
		c[k].risk = (enum cw_risk)((seed >> 20) % CW_RISK__N);
		/* skewed: most cases on whoever covers the locality first */
		c[k].officer = p % 4 == 0 ? 0 : p % 4 == 1 ? 3 : p % 4 == 2 ? 1 : 2;
		if (k % 17 == 0)
			c[k].officer = -1;
		if (k % 23 == 0)
			c[k].officer = 5;
	}
}

static void
test_balance_suggest_is_deterministic(void **state)
{
	enum { NO = 8, NC = 240 };
	struct cw_officer o[NO];
	struct cw_open_case c[NC];
	char ids[NC][12], provs[NC][12];
	struct cw_suggestion s1, s2;
	struct cw_error err;

	(void)state;
	for (unsigned seed = 1; seed <= 5; seed++) {
		random_team(seed, o, NO, c, NC, ids, provs);
		assert_true(cw_balance_suggest(o, NO, c, NC, W, &s1, &err));
		assert_true(cw_balance_suggest(o, NO, c, NC, W, &s2, &err));
		assert_int_equal(s1.n_moves, s2.n_moves);
		assert_true(s1.n_moves > 0);
		for (size_t k = 0; k < s1.n_moves; k++) {
			assert_int_equal(s1.moves[k].case_index, s2.moves[k].case_index);
			assert_int_equal(s1.moves[k].from, s2.moves[k].from);
			assert_int_equal(s1.moves[k].to, s2.moves[k].to);
		}
		assert_int_equal(s1.reached, s2.reached);
		assert_string_equal(s1.why, s2.why);
		/* spread never gets worse */
		assert_true(s1.team_after.imbalance <= s1.team_before.imbalance + 1e-9 ||
			    s1.team_before.mean_load_per_fte < s1.team_after.mean_load_per_fte);
		if (!s1.reached || s1.n_stranded > 0)
			assert_true(strlen(s1.why) > 0);
		check_invariants(o, NO, c, NC, W, &s1);
		cw_suggestion_free(&s1);
		cw_suggestion_free(&s2);
	}
}

static void
test_balance_suggest_empty_team(void **state)
{
	struct cw_open_case c[] = {
		{"u1", "p1", "north", CW_RISK_HIGH, -1},
		{"u2", "p2", "north", CW_RISK_LOW, -1},
	};
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	assert_true(cw_balance_suggest(NULL, 0, NULL, 0, W, &s, &err));
	assert_true(s.reached);
	assert_int_equal(s.n_moves, 0);
	assert_int_equal(s.n_stranded, 0);
	assert_string_equal(s.why, "");
	assert_true(s.team_after.imbalance == 0.0);
	cw_suggestion_free(&s);

	assert_true(cw_balance_suggest(NULL, 0, c, 2, W, &s, &err));
	assert_false(s.reached);
	assert_int_equal(s.n_moves, 0);
	assert_int_equal(s.n_stranded, 2);
	assert_string_equal(s.why, "no officer is available (active and not on leave); 2 unassigned "
			    "cases cannot move: no available officer covers 'north'");
	cw_suggestion_free(&s);
}

static void
test_balance_suggest_more_officers_than_cases(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 0},
		{"bob", 1.0, true, false, LOCS(NORTH), 0},
		{"carol", 1.0, true, false, LOCS(NORTH), 0},
		{"dan", 1.0, true, false, LOCS(NORTH), 0},
		{"eve", 1.0, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[] = {
		{"a1", "p1", "north", CW_RISK_HIGH, 0},
		{"a2", "p2", "north", CW_RISK_HIGH, 0},
	};
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	/* mean 1.2: nobody can be within 15% of it; one case moves to even it */
	assert_true(cw_balance_suggest(o, 5, c, 2, W, &s, &err));
	check_invariants(o, 5, c, 2, W, &s);
	assert_int_equal(s.n_moves, 1);
	assert_string_equal(s.moves[0].case_id, "a1");
	assert_int_equal(s.moves[0].to, 1);
	assert_false(s.reached);
	assert_non_null(strstr(s.why, "officer carol (0.00 per FTE, band 1.02 to 1.38): a single "
				      "provider block of 3.0 exceeds the band"));
	cw_suggestion_free(&s);
}

static void
test_balance_suggest_already_balanced_moves_nothing(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 0},
		{"bob", 0.5, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[] = {
		{"a1", "p1", "north", CW_RISK_HIGH, 0},
		{"a2", "p2", "north", CW_RISK_MEDIUM, 0},
		{"a3", "p3", "north", CW_RISK_LOW, 0},
		{"b1", "p4", "north", CW_RISK_HIGH, 1},
	};
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	/* 6 per FTE each */
	assert_true(cw_balance_suggest(o, 2, c, 4, W, &s, &err));
	assert_true(s.reached);
	assert_int_equal(s.n_moves, 0);
	assert_true(s.team_before.imbalance == 1.0);
	assert_true(s.before[1].load_per_fte == 6.0);
	cw_suggestion_free(&s);
}

static void
test_balance_suggest_rejects_invalid_input(void **state)
{
	struct cw_officer o[] = {
		{"alice", 1.0, true, false, LOCS(NORTH), 0},
	};
	struct cw_open_case c[] = {
		{"c1", "p1", "north", CW_RISK_HIGH, 5},
	};
	struct cw_open_case noid[] = {
		{NULL, "p1", "north", CW_RISK_HIGH, 0},
	};
	struct cw_suggestion s;
	struct cw_error err;

	(void)state;
	assert_false(cw_balance_suggest(o, 1, c, 1, W, &s, &err));
	assert_string_equal(err.msg, "open case c1 names officer 5, not an officer index");
	assert_null(s.moves);
	assert_null(s.why);
	assert_int_equal(s.n_moves, 0);
	assert_false(cw_balance_suggest(o, 1, noid, 1, W, &s, &err));
	assert_string_equal(err.msg, "open case 0 has no id, provider or locality");
	o[0].fte = -1;
	assert_false(cw_balance_suggest(o, 1, c, 0, W, &s, &err));
	assert_string_equal(err.msg, "invalid FTE -1 for officer alice (expected a number > 0)");
	o[0].fte = 1;
	assert_false(cw_balance_suggest(o, 1, c, 0, NULL, &s, &err));
	assert_string_equal(err.msg, "no risk weights given to the balancer");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_balance_assign_lowest_load_per_fte),
		cmocka_unit_test(test_balance_assign_fte_weighting_tie_then_lower_load),
		cmocka_unit_test(test_balance_assign_ties_by_login),
		cmocka_unit_test(test_balance_assign_skips_leave_and_inactive),
		cmocka_unit_test(test_balance_assign_locality_cover),
		cmocka_unit_test(test_balance_assign_continuity),
		cmocka_unit_test(test_balance_assign_nobody_eligible),
		cmocka_unit_test(test_balance_assign_rejects_invalid_input),
		cmocka_unit_test(test_balance_figures),
		cmocka_unit_test(test_balance_suggest_reaches_band_on_skewed_team),
		cmocka_unit_test(test_balance_suggest_impossible_locality),
		cmocka_unit_test(test_balance_suggest_impossible_single_block),
		cmocka_unit_test(test_balance_suggest_leave_inactive_and_unassigned),
		cmocka_unit_test(test_balance_suggest_moves_leave_cases_only_as_last_resort),
		cmocka_unit_test(test_balance_suggest_is_deterministic),
		cmocka_unit_test(test_balance_suggest_empty_team),
		cmocka_unit_test(test_balance_suggest_more_officers_than_cases),
		cmocka_unit_test(test_balance_suggest_already_balanced_moves_nothing),
		cmocka_unit_test(test_balance_suggest_rejects_invalid_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
