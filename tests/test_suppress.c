/*
 * test_suppress.c - small-cell suppression without a database, on grids
 * worked out by hand in the comments: counts 1-4 hidden and 0 kept, a row
 * with one hidden count losing its next smallest (non-zero) figure too, a
 * total row protecting the columns, the hiding that repeats until no sum
 * gives a figure away, a locked base never hidden, and percentages not shown
 * on a base under 10 or when their count is hidden.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testcore.h"
#include "carewatch/suppress.h"

/* The states of a grid as one string a row a line: '.' shown, '<' small,
 * '*' hidden, 'n' few. */
static void
states(const struct cw_sup_grid *g, char *out)
{
	static const char mark[] = {'.', '<', '*', 'n'};
	int k = 0;

	for (int r = 0; r < g->rows; r++) {
		for (int c = 0; c < g->cols; c++)
			out[k++] = mark[g->state[r * g->cols + c]];
		out[k++] = '\n';
	}
	out[k] = '\0';
}

/* Apply the rule to g and compare its states with want. */
static void
expect_states(struct cw_sup_grid *g, const char *want)
{
	char got[256];

	cw_sup_apply(g);
	states(g, got);
	assert_string_equal(got, want);
}

static void
test_suppress_small_counts_and_their_row(void **state)
{
	/* label, a, b, c, total: row 0 has one small count (2), so its next
	 * smallest non-zero figure (c = 6, not the zero) goes too; row 1 has two
	 * (1 and 3): nothing more; row 2 none. */
	static const double v[] = {
		NAN, 2, 0, 6, 8,
		NAN, 1, 3, 20, 24,
		NAN, 10, 0, 30, 40,
	};
	unsigned char st[15];
	struct cw_sup_grid g = {.rows = 3, .cols = 5, .v = v, .state = st,
				.counts = 0x1e, .nsums = 1, .sums = {0x1e}};

	(void)state;
	expect_states(&g, ".<.*.\n.<<..\n.....\n");
}

static void
test_suppress_total_row_protects_columns(void **state)
{
	/* Two rows and a total row.  Row 0: a = 3 is small; its row then loses
	 * b = 7 (smaller than the total 10).  Column a: 3 hidden, 12 and 15
	 * shown: 12 goes (smaller than 15); column b: 7 hidden, 8 goes.  Row 1
	 * now has two hidden figures (12, 8), and so has every column: nothing
	 * in the grid can be worked out. */
	static const double v[] = {
		NAN, 3, 7, 10,
		NAN, 12, 8, 20,
		NAN, 15, 15, 30,
	};
	unsigned char st[12];
	struct cw_sup_grid g = {.rows = 3, .cols = 4, .v = v, .state = st, .counts = 0xe,
				.nsums = 1, .sums = {0xe}, .total_row = true};

	(void)state;
	expect_states(&g, ".<*.\n.**.\n....\n");
}

static void
test_suppress_locked_base_and_percentages(void **state)
{
	/* Trend-like: the shares of a base the reader knows (column 4, locked).
	 * Counts a, b, c in columns 1-3, their shares in 5-7.  Row 0 (base 12):
	 * c = 2 is small; the base is locked, so b = 10 goes (a is 0); both
	 * shares follow their counts and a's 0.0 stays.  Row 1 (base 7): every
	 * share is "n<10", counts 5 and 2: 2 small, 5 hidden with it. */
	static const double v[] = {
		NAN, 0, 10, 2, 12, 0.0, 83.3, 16.7,
		NAN, 5, 0, 2, 7, 71.4, 0.0, 28.6,
	};
	unsigned char st[16];
	struct cw_sup_grid g = {.rows = 2, .cols = 8, .v = v, .state = st, .counts = 0xe, .locked = 0x10,
				.nsums = 1, .sums = {0x1e}, .npcts = 3,
				.pcts = {{5, 1, 4}, {6, 2, 4}, {7, 3, 4}}};

	(void)state;
	expect_states(&g, "..*<..**\n.*.<.nnn\n");
}

static void
test_suppress_nothing_small_nothing_hidden(void **state)
{
	/* Zeros stay; a base of 0 leaves its (empty) share alone. */
	static const double v[] = {NAN, 0, 0, 0, NAN, NAN, 5, 25, 30, 83.3};
	unsigned char st[10];
	struct cw_sup_grid g = {.rows = 2, .cols = 5, .v = v, .state = st, .counts = 0xe,
				.nsums = 1, .sums = {0xe}, .npcts = 1, .pcts = {{4, 2, 3}}};

	(void)state;
	expect_states(&g, ".....\n.....\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suppress_small_counts_and_their_row),
		cmocka_unit_test(test_suppress_total_row_protects_columns),
		cmocka_unit_test(test_suppress_locked_base_and_percentages),
		cmocka_unit_test(test_suppress_nothing_small_nothing_hidden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
