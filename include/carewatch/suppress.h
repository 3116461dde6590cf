/*
 * suppress.h - small-cell suppression of a table of figures for publication.
 *
 * A public report (docs/reports.md, "Audience") shows no count from 1 to 4
 * and no percentage of fewer than 10, and it must not let a reader work a
 * suppressed figure out from the figures around it: when a row adds up to
 * its total and one figure in it is hidden, the total gives it away, so a
 * second figure is hidden too (secondary suppression).  This module decides
 * which figures of a grid to hide; the report code (report.c) gathers the
 * grid from a built table and writes the markers.  It is pure: plain arrays
 * in, states out, so tests/test_suppress.c checks it without a server.
 *
 *   state             shown as  why
 *   CW_SUP_SHOWN      itself
 *   CW_SUP_SMALL      "<5"      a count from 1 to 4 (0 stays 0)
 *   CW_SUP_HIDDEN     "*"       would give a suppressed figure away: the
 *                               other hidden figure of a sum, or a
 *                               percentage of a suppressed count
 *   CW_SUP_FEW        "n<10"    a percentage of fewer than 10
 */
#ifndef CAREWATCH_SUPPRESS_H
#define CAREWATCH_SUPPRESS_H

#include <stdbool.h>
#include <stdint.h>

/* Counts below this and above zero are suppressed ("<5"). */
#define CW_SUP_MIN_COUNT 5
/* Percentages of a base below this (and above zero) are not shown ("n<10"). */
#define CW_SUP_MIN_BASE 10
/* Columns a grid may have (the masks are 64-bit). */
#define CW_SUP_MAX_COLS 64
#define CW_SUP_MAX_SUMS 4
#define CW_SUP_MAX_PCTS 6

enum cw_sup_state { CW_SUP_SHOWN, CW_SUP_SMALL, CW_SUP_HIDDEN, CW_SUP_FEW };

/* A percentage column: each row's figure is 100 * num / den, num and den
 * being columns of the same grid (shown or not). */
struct cw_sup_pct {
	int col, num, den;
};

struct cw_sup_grid {
	int rows, cols;                 /* cols <= CW_SUP_MAX_COLS */
	const double *v;                /* rows x cols, row-major; NAN where there is no figure */
	unsigned char *state;           /* rows x cols, written: enum cw_sup_state */
	uint64_t counts;                /* columns of counts (1 << col) */
	uint64_t locked;                /* columns a reader knows anyway (a base shown elsewhere):
					 * never hidden to protect another figure */
	int nsums;
	uint64_t sums[CW_SUP_MAX_SUMS]; /* in every row, a set of columns whose figures are tied by
					 * one sum (the parts and their total together) */
	bool total_row;                 /* the last row is the sum of the others in every count column */
	int npcts;
	struct cw_sup_pct pcts[CW_SUP_MAX_PCTS];
};

/* Decide the state of every cell of g: counts 1-4 are CW_SUP_SMALL; then,
 * as long as one of the grid's sums (a row's set, or a count column with
 * the total row) has exactly one hidden figure, the smallest other figure
 * of that sum still shown (a non-zero one when there is one; never a
 * locked column) becomes CW_SUP_HIDDEN; last, a percentage is CW_SUP_FEW
 * when its base is from 1 to 9, CW_SUP_HIDDEN when its count is hidden.
 * Cells outside counts and percentages stay CW_SUP_SHOWN.  Never fails. */
void cw_sup_apply(struct cw_sup_grid *g);

#endif
