/*
 * stats.c - AUC, its cluster-bootstrap interval, the top-k share and the ROC
 * curve (stats.h).
 *
 * Observations are sorted by score once per score; every AUC after that,
 * the estimate and each bootstrap replicate alike, is one pass over that
 * order with integer weights (how often each observation's cluster was
 * drawn), summing integer counts: twice the Mann-Whitney numerator is
 * sum over tie groups of adverse x (2 x others below + others in the group).
 * So a replicate costs one pass, not a sort, and no figure depends on the
 * order observations were given in or on floating-point summation order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/rng.h"
#include "carewatch/stats.h"

/* ---- random numbers (rng.h) ------------------------------------------- */

/* Uniform in [0, n), n > 0: the top 53 bits scaled, exact in IEEE doubles. */
static uint32_t
rng_below(struct cw_rng *r, uint32_t n)
{
	double u = (double)(cw_rng_next(r) >> 11) * 0x1.0p-53;
	uint32_t k = (uint32_t)(u * (double)n);

	return k < n ? k : n - 1;
}

/* ---- sorting by score ------------------------------------------------ */

struct keyed {
	double score;
	size_t i;
};

static int
keyed_cmp(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;

	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return a->i < b->i ? -1 : (a->i > b->i ? 1 : 0);
}

/* Indices of score in ascending order (ties by index); NULL when out of
 * memory.  Caller frees. */
static size_t *
order_of(const double *score, size_t n)
{
	struct keyed *k = malloc((n ? n : 1) * sizeof(*k));
	size_t *o = malloc((n ? n : 1) * sizeof(*o));

	if (k == NULL || o == NULL) {
		free(k);
		free(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		k[i].score = score[i];
		k[i].i = i;
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	for (size_t i = 0; i < n; i++)
		o[i] = k[i].i;
	free(k);
	return o;
}

static bool
one_class_error(long n, long adverse, struct cw_error *err)
{
	if (n == 0)
		return cw_error_set(err, CW_EXIT_CONFLICT, "cannot compute an AUC: there are no observations");
	if (adverse == n)
		return cw_error_set(err, CW_EXIT_CONFLICT,
				    "cannot compute an AUC: all %ld observations had an adverse outcome", n);
	return cw_error_set(err, CW_EXIT_CONFLICT,
			    "cannot compute an AUC: none of the %ld observations had an adverse outcome", n);
}

bool
cw_stats_auc(const double *score, const bool *adverse, size_t n, double *auc, struct cw_error *err)
{
	size_t *o;
	int64_t num2 = 0, below = 0, pos = 0;

	for (size_t i = 0; i < n; i++)
		pos += adverse[i];
	if (pos == 0 || pos == (int64_t)n)
		return one_class_error((long)n, (long)pos, err);
	if ((o = order_of(score, n)) == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (size_t i = 0, j; i < n; i = j) {
		int64_t p = 0, q = 0;
		for (j = i; j < n && score[o[j]] == score[o[i]]; j++) {
			if (adverse[o[j]])
				p++;
			else
				q++;
		}
		num2 += p * (2 * below + q);
		below += q;
	}
	free(o);
	*auc = (double)num2 / (2.0 * (double)pos * (double)below);
	return true;
}

/* ---- the bootstrap --------------------------------------------------- */

/* Per group (0 = all, g + 1 = group g): the running sums of one pass. */
struct acc {
	int64_t num2, below, pos;
	int64_t gp, gq;                 /* the current tie group's adverse and other weights */
	bool touched;
};

/* One weighted pass over score s's order: aucs[g] for every group, NAN when
 * the group has only one kind of outcome under these weights.  w: weight
 * of each cluster. */
static void
weighted_aucs(const struct cw_stats_sample *x, const double *score, const size_t *o,
	      const uint32_t *w, struct acc *acc, int *touched, double *aucs)
{
	int ng = x->ngroups + 1;

	for (int g = 0; g < ng; g++)
		memset(&acc[g], 0, sizeof(acc[g]));
	for (size_t i = 0, j; i < x->n; i = j) {
		int nt = 0;
		for (j = i; j < x->n && score[o[j]] == score[o[i]]; j++) {
			size_t k = o[j];
			int64_t wk = w ? (int64_t)w[x->cluster[k]] : 1;
			int gs[2] = {0, x->group ? x->group[k] + 1 : -1};
			if (wk == 0)
				continue;
			for (int t = 0; t < 2; t++) {
				struct acc *a;
				if (gs[t] < 0)
					continue;
				a = &acc[gs[t]];
				if (!a->touched) {
					a->touched = true;
					touched[nt++] = gs[t];
				}
				if (x->adverse[k])
					a->gp += wk;
				else
					a->gq += wk;
			}
		}
		for (int t = 0; t < nt; t++) {
			struct acc *a = &acc[touched[t]];
			a->num2 += a->gp * (2 * a->below + a->gq);
			a->below += a->gq;
			a->pos += a->gp;
			a->gp = a->gq = 0;
			a->touched = false;
		}
	}
	for (int g = 0; g < ng; g++)
		aucs[g] = acc[g].pos > 0 && acc[g].below > 0
				  ? (double)acc[g].num2 / (2.0 * (double)acc[g].pos * (double)acc[g].below)
				  : NAN;
}

static int
double_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : (a > b ? 1 : 0);
}

/* The p-quantile of sorted v[0..k-1] (k > 0), interpolated linearly. */
static double
quantile(const double *v, int k, double p)
{
	double h = (k - 1) * p;
	int lo = (int)floor(h);

	if (lo + 1 >= k)
		return v[k - 1];
	return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

/* Fill the interval of r from its k usable replicate values v (sorted here). */
static void
interval(struct cw_stats_auc *r, double *v, int k, int replicates)
{
	r->replicates = k;
	r->lo = r->hi = NAN;
	if (replicates <= 0 || k < (replicates * 9 + 9) / 10)
		return;
	qsort(v, (size_t)k, sizeof(*v), double_cmp);
	r->lo = quantile(v, k, 0.025);
	r->hi = quantile(v, k, 0.975);
}

static bool
sample_valid(const struct cw_stats_sample *x, int npairs, const int (*pairs)[2], struct cw_error *err)
{
	if (x->nscores < 1 || x->score == NULL || x->ngroups < 0 || x->ngroups > 250 ||
	    (x->n > 0 && (x->adverse == NULL || x->cluster == NULL || (x->ngroups > 0 && x->group == NULL))))
		return cw_error_set(err, CW_EXIT_FAIL, "invalid sample for the bootstrap");
	for (size_t i = 0; i < x->n; i++)
		if (x->cluster[i] >= x->nclusters || (x->group && x->group[i] >= x->ngroups))
			return cw_error_set(err, CW_EXIT_FAIL, "observation %zu has an invalid cluster or group", i);
	for (int k = 0; k < npairs; k++)
		if (pairs[k][0] < 0 || pairs[k][0] >= x->nscores || pairs[k][1] < 0 ||
		    pairs[k][1] >= x->nscores)
			return cw_error_set(err, CW_EXIT_FAIL, "invalid score pair %d", k);
	return true;
}

bool
cw_stats_auc_bootstrap(const struct cw_stats_sample *x, int replicates, uint64_t seed, int npairs,
		       const int (*pairs)[2], struct cw_stats_auc *out, struct cw_stats_auc *diff,
		       struct cw_error *err)
{
	int ng, ns = x->nscores, nb = replicates > 0 ? replicates : 0;
	size_t **order = NULL;
	uint32_t *w = NULL;
	struct acc *acc = NULL;
	int *touched = NULL;
	double *aucs = NULL, *rep = NULL, *vals = NULL;
	bool ok = false;
	struct cw_rng r;

	if (!sample_valid(x, npairs, pairs, err))
		return false;
	ng = x->ngroups + 1;
	order = calloc((size_t)ns, sizeof(*order));
	w = calloc(x->nclusters ? x->nclusters : 1, sizeof(*w));
	acc = calloc((size_t)ng, sizeof(*acc));
	touched = calloc((size_t)ng, sizeof(*touched));
	aucs = calloc((size_t)ng * (size_t)ns, sizeof(*aucs));
	/* rep[(g * ns + s) * nb + b]: replicate b of score s in group g. */
	rep = calloc((size_t)ng * (size_t)ns * (size_t)(nb ? nb : 1), sizeof(*rep));
	vals = calloc((size_t)(nb ? nb : 1), sizeof(*vals));
	if (order == NULL || w == NULL || acc == NULL || touched == NULL || aucs == NULL || rep == NULL ||
	    vals == NULL)
		goto oom;
	for (int s = 0; s < ns; s++)
		if ((order[s] = order_of(x->score[s], x->n)) == NULL)
			goto oom;

	/* The estimates, with every weight 1. */
	for (int s = 0; s < ns; s++) {
		weighted_aucs(x, x->score[s], order[s], NULL, acc, touched, aucs + (size_t)s * (size_t)ng);
		for (int g = 0; g < ng; g++) {
			struct cw_stats_auc *o = &out[g * ns + s];
			memset(o, 0, sizeof(*o));
			o->n = (long)(acc[g].pos + acc[g].below);
			o->adverse = (long)acc[g].pos;
			o->auc = aucs[s * ng + g];
			o->lo = o->hi = NAN;
			o->ok = !isnan(o->auc);
			if (!o->ok) {
				struct cw_error e;
				one_class_error(o->n, o->adverse, &e);
				snprintf(o->why, sizeof(o->why), "%.159s", e.msg);
			}
		}
	}
	for (int g = 0; g < ng; g++)
		for (int k = 0; k < npairs; k++) {
			const struct cw_stats_auc *a = &out[g * ns + pairs[k][0]], *b = &out[g * ns + pairs[k][1]];
			struct cw_stats_auc *d = &diff[g * npairs + k];
			memset(d, 0, sizeof(*d));
			d->n = a->n;
			d->adverse = a->adverse;
			d->ok = a->ok && b->ok;
			d->auc = d->ok ? a->auc - b->auc : NAN;
			d->lo = d->hi = NAN;
			if (!d->ok)
				snprintf(d->why, sizeof(d->why), "%s", a->ok ? b->why : a->why);
		}

	/* The replicates: every score on the same resample of clusters. */
	cw_rng_seed(&r, seed);
	for (int b = 0; b < nb; b++) {
		memset(w, 0, (x->nclusters ? x->nclusters : 1) * sizeof(*w));
		for (uint32_t c = 0; c < x->nclusters; c++)
			w[rng_below(&r, x->nclusters)]++;
		for (int s = 0; s < ns; s++) {
			weighted_aucs(x, x->score[s], order[s], w, acc, touched, aucs + (size_t)s * (size_t)ng);
			for (int g = 0; g < ng; g++)
				rep[(size_t)(g * ns + s) * (size_t)nb + (size_t)b] = aucs[s * ng + g];
		}
	}
	for (int g = 0; g < ng; g++) {
		for (int s = 0; s < ns; s++) {
			const double *v = rep + (size_t)(g * ns + s) * (size_t)nb;
			int k = 0;
			for (int b = 0; b < nb; b++)
				if (!isnan(v[b]))
					vals[k++] = v[b];
			if (out[g * ns + s].ok)
				interval(&out[g * ns + s], vals, k, nb);
		}
		for (int p = 0; p < npairs; p++) {
			const double *va = rep + (size_t)(g * ns + pairs[p][0]) * (size_t)nb;
			const double *vb = rep + (size_t)(g * ns + pairs[p][1]) * (size_t)nb;
			int k = 0;
			for (int b = 0; b < nb; b++)
				if (!isnan(va[b]) && !isnan(vb[b]))
					vals[k++] = va[b] - vb[b];
			if (diff[g * npairs + p].ok)
				interval(&diff[g * npairs + p], vals, k, nb);
		}
	}
	ok = true;
	goto done;
oom:
	cw_error_set(err, CW_EXIT_FAIL, "out of memory");
done:
	for (int s = 0; order && s < ns; s++)
		free(order[s]);
	free(order);
	free(w);
	free(acc);
	free(touched);
	free(aucs);
	free(rep);
	free(vals);
	return ok;
}

/* ---- the top-k share ------------------------------------------------- */

bool
cw_stats_top_share(const double *score, const bool *adverse, size_t n, double frac, double *captured,
		   long *adverse_n, struct cw_error *err)
{
	size_t *o;
	double k, got = 0, left;
	long pos = 0;

	if (!(frac >= 0 && frac <= 1))
		return cw_error_set(err, CW_EXIT_FAIL, "invalid share %g of observations (expected 0 to 1)", frac);
	for (size_t i = 0; i < n; i++)
		pos += adverse[i];
	*adverse_n = pos;
	*captured = 0;
	k = floor(frac * (double)n + 0.5);
	if (n == 0 || k == 0)
		return true;
	if ((o = order_of(score, n)) == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	/* From the highest score down, whole tie groups while they fit. */
	left = k;
	for (size_t end = n; end > 0 && left > 0;) {
		size_t start = end;
		long p = 0;
		while (start > 0 && score[o[start - 1]] == score[o[end - 1]])
			start--;
		for (size_t j = start; j < end; j++)
			p += adverse[o[j]];
		if ((double)(end - start) <= left) {
			got += (double)p;
			left -= (double)(end - start);
		} else {
			got += (double)p * left / (double)(end - start);
			left = 0;
		}
		end = start;
	}
	free(o);
	*captured = got;
	return true;
}

/* ---- the ROC curve --------------------------------------------------- */

bool
cw_stats_roc(const double *score, const bool *adverse, size_t n, const double *fpr, double *tpr,
	     int npoints, struct cw_error *err)
{
	size_t *o;
	long pos = 0, neg;
	double *vx, *vy;
	size_t nv = 0;

	for (size_t i = 0; i < n; i++)
		pos += adverse[i];
	neg = (long)n - pos;
	if (pos == 0 || neg == 0)
		return one_class_error((long)n, pos, err);
	o = order_of(score, n);
	vx = malloc((n + 1) * sizeof(*vx));
	vy = malloc((n + 1) * sizeof(*vy));
	if (o == NULL || vx == NULL || vy == NULL) {
		free(o);
		free(vx);
		free(vy);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	/* The curve's corners, from the highest score down: after each tie
	 * group, (false positives, true positives) so far. */
	vx[0] = vy[0] = 0;
	nv = 1;
	{
		long tp = 0, fp = 0;
		for (size_t end = n; end > 0;) {
			size_t start = end;
			while (start > 0 && score[o[start - 1]] == score[o[end - 1]])
				start--;
			for (size_t j = start; j < end; j++) {
				if (adverse[o[j]])
					tp++;
				else
					fp++;
			}
			vx[nv] = (double)fp / (double)neg;
			vy[nv] = (double)tp / (double)pos;
			nv++;
			end = start;
		}
	}
	for (int i = 0; i < npoints; i++) {
		double f = fpr[i] < 0 ? 0 : fpr[i] > 1 ? 1 : fpr[i];
		size_t k = 1;
		/* The first corner at or beyond f; a vertical run (no false
		 * positives added) keeps the highest rate reached at f. */
		while (k < nv && vx[k] < f)
			k++;
		if (k >= nv) {
			tpr[i] = 1;
		} else if (vx[k] == f) {
			while (k + 1 < nv && vx[k + 1] == f)
				k++;
			tpr[i] = vy[k];
		} else {
			double t = (f - vx[k - 1]) / (vx[k] - vx[k - 1]);
			tpr[i] = vy[k - 1] + t * (vy[k] - vy[k - 1]);
		}
	}
	free(o);
	free(vx);
	free(vy);
	return true;
}
