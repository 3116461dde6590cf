/*
 * backtest.c - scoring the past against what happened next (backtest.h).
 *
 * One read-only transaction: the provider list, then one stream of every
 * record in provider order (intelstream.h).  While a provider's records are
 * in memory it is scored at every month end it was open, under each ruleset
 * (score.h's evaluator, the nightly's summary mode) and the baseline, and
 * the outcome that followed is read from the same records: a later overall
 * rating, restriction or closure is itself a record.  Only the small
 * observation per (provider, month end) is kept; the statistics (stats.h)
 * run on those once the stream has ended.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/backtest.h"
#include "carewatch/intelstream.h"
#include "carewatch/score.h"

static const char *const outcome_words[] = {"rating", "restriction", "closure"};
static const char *const outcome_labels[] = {"Requires improvement or Inadequate published",
	"Restriction on all placements", "Closure"};
const struct cw_vocab cw_vocab_bt_outcome = {"outcome", outcome_words, outcome_labels, 3};

/* Observations, one per (provider, month end with a known outcome). */
struct obs {
	size_t n, cap;
	double *score[CW_BT_MAX_MODELS];
	bool *adverse;
	uint32_t *cluster;
	uint8_t *group;
	uint16_t *month;
	uint8_t *band[CW_BT_MAX_RULES];
	uint8_t *basecat;
};

struct run {
	const struct cw_backtest_opts *o;
	struct cw_backtest *out;
	struct cw_stream_provider *provs;
	char (*ids)[CW_UUID_LEN];       /* the providers' ids, for the stream */
	size_t nprovs;
	struct obs obs;
	uint32_t nclusters;
	long scored;
};

static bool
obs_grow(struct obs *b, int nrules)
{
	size_t cap = b->cap ? b->cap * 2 : 4096;

#define GROW(p)                                                          \
	do {                                                             \
		void *np_ = realloc((p), cap * sizeof(*(p)));            \
		if (np_ == NULL)                                         \
			return false;                                    \
		(p) = np_;                                               \
	} while (0)
	for (int m = 0; m <= nrules; m++)
		GROW(b->score[m]);
	for (int m = 0; m < nrules; m++)
		GROW(b->band[m]);
	GROW(b->adverse);
	GROW(b->cluster);
	GROW(b->group);
	GROW(b->month);
	GROW(b->basecat);
#undef GROW
	b->cap = cap;
	return true;
}

static void
obs_free(struct obs *b)
{
	for (int m = 0; m < CW_BT_MAX_MODELS; m++)
		free(b->score[m]);
	for (int m = 0; m < CW_BT_MAX_RULES; m++)
		free(b->band[m]);
	free(b->adverse);
	free(b->cluster);
	free(b->group);
	free(b->month);
	free(b->basecat);
	memset(b, 0, sizeof(*b));
}

/* The latest overall rating published by t (ties as the evaluator breaks
 * them: later inspection, then greater id), or -1 when none. */
static int
overall_at(const struct cw_provider_intel *pi, cw_time t)
{
	const struct cw_rec_cqc *best = NULL;

	for (size_t i = 0; i < pi->cqc.n; i++) {
		const struct cw_rec_cqc *r = &pi->cqc.v[i];
		if (r->domain != CW_DOMAIN_OVERALL || r->at == CW_TIME_NONE || r->at > t)
			continue;
		if (best == NULL || r->at > best->at || (r->at == best->at && r->inspected > best->inspected) ||
		    (r->at == best->at && r->inspected == best->inspected && strcmp(r->id, best->id) > 0))
			best = r;
	}
	return best ? (int)best->rating : -1;
}

/* Did an adverse event of the selected kinds follow in (t, until]? */
static bool
adverse_after(const struct cw_provider_intel *pi, cw_time closed, cw_time t, cw_time until, unsigned mask)
{
#define IN_WINDOW(x) ((x) != CW_TIME_NONE && (x) > t && (x) <= until)
	if ((mask & CW_BT_CLOSURE) && IN_WINDOW(closed))
		return true;
	if (mask & CW_BT_RATING)
		for (size_t i = 0; i < pi->cqc.n; i++)
			if (pi->cqc.v[i].domain == CW_DOMAIN_OVERALL &&
			    pi->cqc.v[i].rating >= CW_RATING_REQUIRES_IMPROVEMENT && IN_WINDOW(pi->cqc.v[i].at))
				return true;
	if (mask & CW_BT_RESTRICTION)
		for (size_t i = 0; i < pi->restrictions.n; i++)
			if (pi->restrictions.v[i].kind == CW_RESTRICT_ALL && IN_WINDOW(pi->restrictions.v[i].at))
				return true;
#undef IN_WINDOW
	return false;
}

/* Score one provider at every month end it was open. */
static bool
each_provider(void *ctx, size_t i, struct cw_provider_intel *pi, struct cw_error *err)
{
	struct run *r = ctx;
	const struct cw_backtest_opts *o = r->o;
	struct cw_backtest *out = r->out;
	const struct cw_stream_provider *p = &r->provs[i];
	cw_time closed = cw_intel_left_market(p, pi);
	bool clustered = false;

	pi->care_type = p->care;
	pi->beds = p->beds;
	for (int m = 0; m < out->nmonths; m++) {
		struct cw_bt_month *mo = &out->months[m];
		double score[CW_BT_MAX_MODELS];
		uint8_t band[CW_BT_MAX_RULES];
		bool flag[CW_BT_MAX_MODELS], adverse = false;
		int rating;

		if (!cw_intel_open_at(p, closed, mo->at))
			continue;
		for (int k = 0; k < o->nrules; k++) {
			struct cw_score s;
			memset(&s, 0, sizeof(s));
			if (!cw_score_evaluate_summary(o->rules[k], pi, mo->at, &s, err)) {
				cw_score_free(&s);
				return false;
			}
			score[k] = s.total;
			band[k] = (uint8_t)s.band;
			flag[k] = s.flag;
			cw_score_free(&s);
		}
		/* The baseline: the overall rating's order, best 0 to worst 3; a
		 * provider with none counts as Good (the rating says nothing). */
		rating = overall_at(pi, mo->at);
		score[o->nrules] = rating < 0 ? (double)CW_RATING_GOOD : (double)rating;
		flag[o->nrules] = rating == CW_RATING_INADEQUATE;
		mo->providers++;
		r->scored++;
		if (mo->complete)
			adverse = adverse_after(pi, closed, mo->at, mo->until, o->outcomes);
		for (int k = 0; k <= o->nrules; k++) {
			mo->flags[k] += flag[k];
			mo->flags_adverse[k] += flag[k] && adverse;
		}
		if (!mo->complete)
			continue;
		mo->adverse += adverse;
		if (r->obs.n == r->obs.cap && !obs_grow(&r->obs, o->nrules))
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		if (!clustered) {
			r->nclusters++;
			clustered = true;
		}
		for (int k = 0; k <= o->nrules; k++)
			r->obs.score[k][r->obs.n] = score[k];
		for (int k = 0; k < o->nrules; k++)
			r->obs.band[k][r->obs.n] = band[k];
		r->obs.adverse[r->obs.n] = adverse;
		r->obs.cluster[r->obs.n] = r->nclusters - 1;
		r->obs.group[r->obs.n] = (uint8_t)p->care;
		r->obs.month[r->obs.n] = (uint16_t)m;
		r->obs.basecat[r->obs.n] = (uint8_t)(rating < 0 ? CW_BT_BASE_CATS - 1 : rating);
		r->obs.n++;
	}
	if (o->progress && (i + 1) % 1000 == 0)
		fprintf(o->progress, "\rbacktest: %zu of %zu providers scored", i + 1, r->nprovs);
	return true;
}

static bool
plan_months(const struct cw_backtest_opts *o, struct cw_backtest *out, struct cw_error *err)
{
	int n = cw_month_span(o->from, o->to, CW_BT_MAX_MONTHS, o->as_of, err);

	if (n == 0) {
		/* The span was refused; when for a month not over, say which are. */
		if (cw_date_cmp(o->from, o->to) <= 0 && cw_london_month_end(o->to, 0) > o->as_of)
			cw_error_hint(err, "a backtest scores month ends that are over; --to names the last");
		return false;
	}
	if (o->horizon < 1 || o->horizon > 60)
		return cw_error_field(err, "horizon", "invalid horizon %d (expected 1 to 60 months)", o->horizon);
	if (o->nrules < 1 || o->nrules > CW_BT_MAX_RULES || (o->outcomes & CW_BT_ALL) == 0)
		return cw_error_set(err, CW_EXIT_FAIL, "nothing to backtest");
	out->nmonths = n;
	for (int m = 0; m < n; m++) {
		struct cw_bt_month *mo = &out->months[m];
		int idx = o->from.y * 12 + (o->from.m - 1) + m;
		snprintf(mo->month, sizeof(mo->month), "%04d-%02d", idx / 12, idx % 12 + 1);
		mo->at = cw_london_month_end(o->from, m);
		mo->until = cw_london_month_end(o->from, m + o->horizon);
		mo->complete = mo->until <= o->as_of;
		out->ncomplete += mo->complete;
	}
	return true;
}

/* The statistics of the observations. */
static bool
compute(struct run *r, struct cw_error *err)
{
	const struct cw_backtest_opts *o = r->o;
	struct cw_backtest *out = r->out;
	const struct obs *b = &r->obs;
	const double *scores[CW_BT_MAX_MODELS];
	struct cw_stats_sample x;
	size_t *bymonth = NULL, start[CW_BT_MAX_MONTHS + 1];
	double *ms = NULL;
	bool *my = NULL;

	for (int k = 0; k < out->nmodels; k++)
		scores[k] = b->score[k];
	x = (struct cw_stats_sample){b->n, b->adverse, b->cluster, r->nclusters, b->group, CW_CARE__N,
				     out->nmodels, scores};
	if (!cw_stats_auc_bootstrap(&x, o->replicates, o->seed, out->npairs,
				    (const int (*)[2])out->pairs, out->auc, out->diff, err))
		return false;
	if (b->n == 0) {
		/* Say why there is nothing, rather than that there is nothing. */
		char asof[CW_DATE_LEN], why[160];
		cw_date_format(cw_london_date(o->as_of), asof, sizeof(asof));
		snprintf(why, sizeof(why), "no month end in the range has its %d-month outcome known by %s",
			 o->horizon, asof);
		for (int g = 0; g < (CW_CARE__N + 1) * out->nmodels; g++)
			snprintf(out->auc[g].why, sizeof(out->auc[g].why), "%s", why);
		for (int g = 0; g < (CW_CARE__N + 1) * out->npairs; g++)
			snprintf(out->diff[g].why, sizeof(out->diff[g].why), "%s", why);
	}

	/* Calibration. */
	for (size_t i = 0; i < b->n; i++) {
		for (int k = 0; k < o->nrules; k++) {
			out->band[k][b->band[k][i]].n++;
			out->band[k][b->band[k][i]].adverse += b->adverse[i];
		}
		out->base[b->basecat[i]].n++;
		out->base[b->basecat[i]].adverse += b->adverse[i];
	}

	/* ROC curves. */
	for (int p = 0; p < CW_BT_ROC_POINTS; p++)
		out->roc_fpr[p] = (double)p / (CW_BT_ROC_POINTS - 1);
	for (int k = 0; k < out->nmodels; k++) {
		struct cw_error ign;
		if (!cw_stats_roc(b->score[k], b->adverse, b->n, out->roc_fpr, out->roc[k], CW_BT_ROC_POINTS, &ign))
			for (int p = 0; p < CW_BT_ROC_POINTS; p++)
				out->roc[k][p] = NAN;
	}

	/* The visit budget, month end by month end: observations grouped by
	 * month (a counting sort keeps provider order within each). */
	bymonth = malloc((b->n ? b->n : 1) * sizeof(*bymonth));
	ms = malloc((b->n ? b->n : 1) * sizeof(*ms));
	my = malloc((b->n ? b->n : 1) * sizeof(*my));
	if (bymonth == NULL || ms == NULL || my == NULL) {
		free(bymonth);
		free(ms);
		free(my);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	memset(start, 0, sizeof(start));
	for (size_t i = 0; i < b->n; i++)
		start[b->month[i] + 1]++;
	for (int m = 0; m < out->nmonths; m++)
		start[m + 1] += start[m];
	{
		size_t fill[CW_BT_MAX_MONTHS];
		memcpy(fill, start, sizeof(fill));
		for (size_t i = 0; i < b->n; i++)
			bymonth[fill[b->month[i]]++] = i;
	}
	for (int m = 0; m < out->nmonths; m++) {
		size_t n = start[m + 1] - start[m];
		for (int k = 0; k < out->nmodels; k++) {
			for (size_t j = 0; j < n; j++) {
				ms[j] = b->score[k][bymonth[start[m] + j]];
				my[j] = b->adverse[bymonth[start[m] + j]];
			}
			for (int t = 0; t < 2; t++) {
				double got;
				long adv;
				if (!cw_stats_top_share(ms, my, n, t == 0 ? 0.10 : 0.20, &got, &adv, err)) {
					free(bymonth);
					free(ms);
					free(my);
					return false;
				}
				out->top_captured[t][k] += got;
				if (k == 0 && t == 0)
					out->top_adverse += adv;
			}
		}
	}
	free(bymonth);
	free(ms);
	free(my);
	return true;
}

bool
cw_backtest_run(struct cw_db *db, const struct cw_backtest_opts *o, struct cw_backtest *out,
		struct cw_error *err)
{
	struct run r;
	struct timespec t0, t1;
	struct cw_error ign;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.out = out;
	if (!plan_months(o, out, err))
		return false;
	out->nmodels = o->nrules + 1;
	for (int k = 0; k < o->nrules; k++)
		snprintf(out->model[k], sizeof(out->model[k]), "%s", o->labels[k] ? o->labels[k]
										   : cw_rules_name(o->rules[k]));
	snprintf(out->model[o->nrules], sizeof(out->model[o->nrules]), "CQC rating only");
	/* Differences: each ruleset against the baseline; a candidate (the
	 * second ruleset) against the first too. */
	for (int k = 0; k < o->nrules; k++) {
		out->pairs[out->npairs][0] = k;
		out->pairs[out->npairs][1] = o->nrules;
		out->npairs++;
	}
	if (o->nrules == 2) {
		out->pairs[out->npairs][0] = 1;
		out->pairs[out->npairs][1] = 0;
		out->npairs++;
	}

	/* One snapshot for the list and the stream; read only, so the run
	 * cannot write even by mistake. */
	ok = cw_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err) &&
	     cw_db_exec(db, "SET LOCAL work_mem = '256MB'", 0, NULL, err) && cw_intel_providers_load(db, &r.provs, &r.ids, &r.nprovs, err);
	if (ok)
		ok = cw_intel_stream(db, (const char(*)[CW_UUID_LEN])r.ids, r.nprovs, each_provider, &r,
				     &out->records, err);
	if (o->progress && r.nprovs >= 1000)
		fputc('\n', o->progress);
	if (ok)
		ok = cw_db_exec(db, "COMMIT", 0, NULL, err);
	else if (!cw_db_exec(db, "ROLLBACK", 0, NULL, &ign))
		cw_error_hint(err, "the session ended; nothing was written");
	out->providers = (long)r.nprovs;
	out->observations = (long)r.obs.n;
	for (size_t i = 0; i < r.obs.n; i++)
		out->adverse += r.obs.adverse[i];
	if (ok)
		ok = compute(&r, err);
	obs_free(&r.obs);
	free(r.provs);
	free(r.ids);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return ok;
}
