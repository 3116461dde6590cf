/*
 * suppress.c - small-cell suppression for published tables (suppress.h).
 *
 * Primary suppression hides the small counts themselves; secondary
 * suppression then makes sure no sum the table shows pins one of them
 * down.  A sum with exactly one hidden figure gives it away (the total less
 * the others), so one more figure of it is hidden: the smallest, to lose as
 * little as possible, and a non-zero one where there is one, because a
 * hidden zero beside a hidden count tells a reader the count is the
 * difference.  Hiding a figure can leave another sum it belongs to with
 * one hidden figure, so the pass repeats until nothing changes (each round
 * hides at least one more cell, so it ends).  This is the simple rule the
 * council's statisticians use for a table with its totals; it does not
 * search for every combination of sums across tables (docs/reports.md says
 * what it leaves open).
 */
#include <math.h>
#include <stddef.h>

#include "carewatch/suppress.h"

static bool
in(uint64_t mask, int col)
{
	return col >= 0 && col < CW_SUP_MAX_COLS && (mask >> col & 1u) != 0;
}

/* One sum: its cells' indexes into the grid (a row's columns, or a
 * column's rows: a column longer than this is protected in its first
 * SUM_MAX rows only, more than any report has). */
#define SUM_MAX 512
struct sum {
	int n;
	int cells[SUM_MAX];
};

/* Protect one sum: returns true when it hid a cell. */
static bool
protect(struct cw_sup_grid *g, const struct sum *s)
{
	int hidden = 0, pick = -1;

	for (int i = 0; i < s->n; i++)
		hidden += g->state[s->cells[i]] != CW_SUP_SHOWN;
	if (hidden != 1)
		return false;
	for (int i = 0; i < s->n; i++) {
		int c = s->cells[i];
		double v = g->v[c], best = pick >= 0 ? g->v[pick] : 0;
		if (g->state[c] != CW_SUP_SHOWN || in(g->locked, c % g->cols))
			continue;
		/* The smallest non-zero figure; a zero only when there is no other. */
		if (pick < 0 || (v > 0 && (best == 0 || v < best)))
			pick = c;
	}
	if (pick < 0)
		return false;   /* nothing left to hide: every other figure is known anyway */
	g->state[pick] = CW_SUP_HIDDEN;
	return true;
}

void
cw_sup_apply(struct cw_sup_grid *g)
{
	struct sum s;
	bool changed = true;

	for (int r = 0; r < g->rows; r++)
		for (int c = 0; c < g->cols; c++) {
			double v = g->v[r * g->cols + c];
			g->state[r * g->cols + c] = in(g->counts, c) && v >= 1 && v < CW_SUP_MIN_COUNT
							    ? CW_SUP_SMALL
							    : CW_SUP_SHOWN;
		}
	while (changed) {
		changed = false;
		for (int r = 0; r < g->rows; r++)
			for (int k = 0; k < g->nsums; k++) {
				s.n = 0;
				for (int c = 0; c < g->cols; c++)
					if (in(g->sums[k], c) && !isnan(g->v[r * g->cols + c]))
						s.cells[s.n++] = r * g->cols + c;
				changed = protect(g, &s) || changed;
			}
		for (int c = 0; g->total_row && c < g->cols; c++) {
			if (!in(g->counts, c))
				continue;
			s.n = 0;
			for (int r = 0; r < g->rows && s.n < SUM_MAX; r++)
				if (!isnan(g->v[r * g->cols + c]))
					s.cells[s.n++] = r * g->cols + c;
			changed = protect(g, &s) || changed;
		}
	}
	for (int k = 0; k < g->npcts; k++) {
		const struct cw_sup_pct *p = &g->pcts[k];
		if (p->col < 0 || p->col >= g->cols || p->num < 0 || p->num >= g->cols || p->den < 0 ||
		    p->den >= g->cols)
			continue;
		for (int r = 0; r < g->rows; r++) {
			double base = g->v[r * g->cols + p->den];
			unsigned char *st = &g->state[r * g->cols + p->col];
			if (base > 0 && base < CW_SUP_MIN_BASE)
				*st = CW_SUP_FEW;
			else if (base >= CW_SUP_MIN_BASE && g->state[r * g->cols + p->num] != CW_SUP_SHOWN)
				*st = CW_SUP_HIDDEN;
		}
	}
}
