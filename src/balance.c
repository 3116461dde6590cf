/*
 * balance.c - assignment of new cases and the caseload balancer (balance.h).
 *
 * Both are plain functions over arrays so that the rules the quality manager
 * relies on (leave, locality cover, continuity, FTE weighting, deterministic
 * ties) are tested without a database.  The balancer works on *blocks*: the
 * open cases of one provider held by one officer.  Only whole blocks move, so
 * a move can merge a provider's cases onto one officer but never split them.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/balance.h"

#define TIE_EPS 1e-9

/* ------------------------------------------------------------- helpers -- */

/* Equal within a relative TIE_EPS: 1.5/0.6 and 2.5/1.0 are a tie. */
static bool
near(double a, double b)
{
	double s = fmax(1.0, fmax(fabs(a), fabs(b)));

	return fabs(a - b) <= TIE_EPS * s;
}

static bool
covers(const struct cw_officer *o, const char *locality)
{
	for (size_t i = 0; i < o->n_localities; i++)
		if (strcmp(o->localities[i], locality) == 0)
			return true;
	return false;
}

static bool
is_available(const struct cw_officer *o)
{
	return o->active && !o->on_leave && o->fte > 0;
}

static double
ratio(double load, double fte)
{
	return fte > 0 ? load / fte : 0.0;
}

/* How the ordering of two officers was decided (for explanations). */
enum decided { BY_RATIO, BY_LOAD, BY_LOGIN, BY_INDEX };

/* The assignment order: lower load per FTE, lower load, login, index.
 * Negative when officer a (load la) comes before b (load lb). */
static int
officer_order(const struct cw_officer *o, int a, double la, int b, double lb,
	      enum decided *how)
{
	double ra = ratio(la, o[a].fte), rb = ratio(lb, o[b].fte);
	int c;

	*how = BY_RATIO;
	if (!near(ra, rb))
		return ra < rb ? -1 : 1;
	*how = BY_LOAD;
	if (!near(la, lb))
		return la < lb ? -1 : 1;
	*how = BY_LOGIN;
	if ((c = strcmp(o[a].login, o[b].login)) != 0)
		return c;
	*how = BY_INDEX;
	return a < b ? -1 : (a > b);
}

/* A growing string for explanations; remembers running out of memory. */
struct dstr {
	char *s;
	size_t len, cap;
	bool oom;
};

static void dstr_add(struct dstr *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
dstr_add(struct dstr *d, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (d->oom)
		return;
	va_start(ap, fmt);
	w = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	if (d->len + (size_t)w + 1 > d->cap) {
		size_t cap = (d->len + (size_t)w + 1) * 2;
		char *s = realloc(d->s, cap);
		if (s == NULL) {
			d->oom = true;
			return;
		}
		d->s = s;
		d->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(d->s + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	d->len += (size_t)w;
}

/* A bounded string for cw_assignment.reason: truncates silently. */
struct fstr {
	char *buf;
	size_t size, len;
};

static void fstr_add(struct fstr *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fstr_add(struct fstr *f, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (f->len + 1 >= f->size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(f->buf + f->len, f->size - f->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		f->len = f->len + (size_t)w < f->size ? f->len + (size_t)w : f->size - 1;
}

static bool
check_weights(const double weights[CW_RISK__N], struct cw_error *err)
{
	if (weights == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "no risk weights given to the balancer");
	for (int r = 0; r < CW_RISK__N; r++)
		if (!isfinite(weights[r]) || weights[r] < 0)
			return cw_error_set(err, CW_EXIT_FAIL,
					    "invalid weight %g for risk level '%s' (expected a number >= 0)",
					    weights[r], cw_vocab_word(&cw_vocab_risk, r));
	return true;
}

static bool
check_officers(const struct cw_officer *o, size_t n, bool check_load, struct cw_error *err)
{
	if (n > 0 && o == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "no officer array given to the balancer");
	if (n > INT32_MAX)
		return cw_error_set(err, CW_EXIT_FAIL, "too many officers (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		const char *who = o[i].login ? o[i].login : "?";
		if (o[i].login == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "officer %zu has no login", i);
		if (!isfinite(o[i].fte) || o[i].fte <= 0)
			return cw_error_set(err, CW_EXIT_FAIL,
					    "invalid FTE %g for officer %s (expected a number > 0)",
					    o[i].fte, who);
		if (check_load && (!isfinite(o[i].load) || o[i].load < 0))
			return cw_error_set(err, CW_EXIT_FAIL,
					    "invalid load %g for officer %s (expected a number >= 0)",
					    o[i].load, who);
		if (o[i].n_localities > 0 && o[i].localities == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "officer %s has no locality list", who);
		for (size_t k = 0; k < o[i].n_localities; k++)
			if (o[i].localities[k] == NULL)
				return cw_error_set(err, CW_EXIT_FAIL,
						    "officer %s has a missing locality code", who);
	}
	return true;
}

/* ----------------------------------------------------------- assignment -- */

static const char *
absence(const struct cw_officer *o)
{
	return !o->active ? "inactive" : "on leave";
}

int
cw_balance_assign(const struct cw_officer *officers, size_t n_officers,
		  const struct cw_new_case *c, const int *holders, size_t n_holders,
		  const double weights[CW_RISK__N], struct cw_assignment *out,
		  struct cw_error *err)
{
	struct fstr r = {out->reason, sizeof(out->reason), 0};
	int best = -1, runner = -1, n_eligible = 0, n_holding = 0;
	enum decided how;

	memset(out, 0, sizeof(*out));
	out->officer = -1;
	out->how = CW_ASSIGN_INVALID;
	if (!check_officers(officers, n_officers, true, err) || !check_weights(weights, err))
		goto invalid;
	if (c == NULL || c->provider_id == NULL || c->locality == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "the case to assign has no provider or locality");
		goto invalid;
	}
	if ((int)c->risk < 0 || c->risk >= CW_RISK__N) {
		cw_error_set(err, CW_EXIT_FAIL, "invalid risk level %d for the case to assign",
			     (int)c->risk);
		goto invalid;
	}
	if (n_holders > 0 && holders == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "no holder array given to the balancer");
		goto invalid;
	}
	for (size_t k = 0; k < n_holders; k++)
		if (holders[k] < 0 || (size_t)holders[k] >= n_officers) {
			cw_error_set(err, CW_EXIT_FAIL, "provider holder %d is not an officer index",
				     holders[k]);
			goto invalid;
		}
	out->weight = weights[c->risk];

	/* Continuity: an eligible holder of the provider's open cases. */
	for (size_t k = 0; k < n_holders; k++) {
		int h = holders[k];
		if (h == best || !is_available(&officers[h]) || !covers(&officers[h], c->locality))
			continue;
		if (best < 0 || officer_order(officers, h, officers[h].load, best,
					      officers[best].load, &how) < 0)
			best = h;
	}
	if (best >= 0) {
		for (int i = 0; i < (int)n_officers; i++)
			for (size_t k = 0; k < n_holders; k++)
				if (holders[k] == i) {
					n_holding += is_available(&officers[i]) &&
						     covers(&officers[i], c->locality);
					break;
				}
		out->officer = best;
		out->how = CW_ASSIGN_CONTINUITY;
		out->load_per_fte = ratio(officers[best].load, officers[best].fte);
		fstr_add(&r, "continuity: %s already holds an open case for this provider",
			 officers[best].login);
		if (n_holding > 1)
			fstr_add(&r, " (lowest load per FTE of the %d available officers who do)",
				 n_holding);
		return best;
	}

	/* Least loaded: the first and second in the assignment order. */
	for (int i = 0; i < (int)n_officers; i++) {
		if (!is_available(&officers[i]) || !covers(&officers[i], c->locality))
			continue;
		n_eligible++;
		if (best < 0 || officer_order(officers, i, officers[i].load, best,
					      officers[best].load, &how) < 0) {
			runner = best;
			best = i;
		} else if (runner < 0 || officer_order(officers, i, officers[i].load, runner,
						       officers[runner].load, &how) < 0) {
			runner = i;
		}
	}
	if (best >= 0) {
		out->officer = best;
		out->how = CW_ASSIGN_LEAST_LOADED;
		out->load_per_fte = ratio(officers[best].load, officers[best].fte);
		fstr_add(&r, "lowest load per FTE (%.2f) of %d available officer%s covering '%s'",
			 out->load_per_fte, n_eligible, n_eligible == 1 ? "" : "s", c->locality);
		if (runner >= 0) {
			officer_order(officers, best, officers[best].load, runner,
				      officers[runner].load, &how);
			if (how == BY_LOAD)
				fstr_add(&r, "; tied with %s on load per FTE, lower load (%.1f against %.1f)",
					 officers[runner].login, officers[best].load,
					 officers[runner].load);
			else if (how == BY_LOGIN || how == BY_INDEX)
				fstr_add(&r, "; tied with %s on load per FTE and load, first by login",
					 officers[runner].login);
		}
		for (size_t k = 0; k < n_holders; k++) {
			const struct cw_officer *h = &officers[holders[k]];
			bool seen = false;
			for (size_t j = 0; j < k; j++)
				seen = seen || holders[j] == holders[k];
			if (seen)
				continue;
			if (!is_available(h))
				fstr_add(&r, "; %s holds this provider's open cases but is %s", h->login,
					 absence(h));
			else
				fstr_add(&r, "; %s holds this provider's open cases but does not cover '%s'",
					 h->login, c->locality);
		}
		return best;
	}

	/* Nobody: say who covers the locality and why each is unavailable. */
	out->how = CW_ASSIGN_NOBODY;
	{
		int n_leave = 0, n_inactive = 0;
		for (size_t i = 0; i < n_officers; i++) {
			if (!covers(&officers[i], c->locality))
				continue;
			if (officers[i].active)
				n_leave++;
			else
				n_inactive++;
		}
		if (n_leave + n_inactive == 0) {
			fstr_add(&r, "no officer covers locality '%s'", c->locality);
			return -1;
		}
		fstr_add(&r, "no active officer covering locality '%s' is available (", c->locality);
		for (int pass = 0; pass < 2; pass++) {
			int listed = 0;
			if ((pass == 0 && n_leave == 0) || (pass == 1 && n_inactive == 0))
				continue;
			fstr_add(&r, "%s", pass == 0 ? "on leave: " : (n_leave > 0 ? "; inactive: " :
									  "inactive: "));
			for (size_t i = 0; i < n_officers; i++) {
				if (officers[i].active != (pass == 0) ||
				    !covers(&officers[i], c->locality))
					continue;
				fstr_add(&r, "%s%s", listed++ ? ", " : "", officers[i].login);
			}
		}
		fstr_add(&r, ")");
	}
	return -1;

invalid:
	fstr_add(&r, "%s", err ? err->msg : "invalid input to the balancer");
	return -1;
}

/* -------------------------------------------------------------- figures -- */

/* Officer i's load: from load[] when given, else officers[i].load. */
static double
load_of(const struct cw_officer *o, const double *load, size_t i)
{
	return load != NULL ? load[i] : o[i].load;
}

static void
figures(const struct cw_officer *o, size_t n, const double *load,
	struct cw_officer_figures *per, struct cw_team_figures *team)
{
	struct cw_team_figures t;
	double lo, hi;

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < n; i++) {
		double l = load_of(o, load, i);
		t.total_load += l;
		if (is_available(&o[i])) {
			double r = ratio(l, o[i].fte);
			t.available_load += l;
			t.available_fte += o[i].fte;
			if (t.n_available == 0 || r > t.max_load_per_fte)
				t.max_load_per_fte = r;
			t.n_available++;
		}
	}
	t.mean_load_per_fte = t.available_fte > 0 ? t.available_load / t.available_fte : 0.0;
	if (t.n_available == 0)
		t.imbalance = 0.0;
	else if (t.mean_load_per_fte == 0)
		t.imbalance = 1.0;
	else
		t.imbalance = t.max_load_per_fte / t.mean_load_per_fte;
	lo = t.mean_load_per_fte * (1 - CW_BALANCE_BAND);
	hi = t.mean_load_per_fte * (1 + CW_BALANCE_BAND);
	t.in_band = true;
	for (size_t i = 0; i < n; i++) {
		double l = load_of(o, load, i);
		bool avail = is_available(&o[i]);
		double r = ratio(l, o[i].fte);
		bool in = avail && (r >= lo || near(r, lo)) && (r <= hi || near(r, hi));
		if (avail && !in)
			t.in_band = false;
		if (per != NULL) {
			per[i].load = l;
			per[i].load_per_fte = r;
			per[i].share = t.total_load > 0 ? l / t.total_load : 0.0;
			per[i].fair_share = avail && t.available_fte > 0 ? o[i].fte / t.available_fte : 0.0;
			per[i].available = avail;
			per[i].in_band = in;
		}
	}
	*team = t;
}

void
cw_balance_figures(const struct cw_officer *officers, size_t n_officers,
		   struct cw_officer_figures *per, struct cw_team_figures *team)
{
	figures(officers, n_officers, NULL, per, team);
}

/* ------------------------------------------------------------ suggestion -- */

/*
 * The balancer's working state.  Cases are sorted by provider then original
 * holder, so a block (one provider, one original holder) is a run of that
 * order and a provider's blocks are adjacent (pfirst).  Blocks move by
 * changing holder; the blocks of one provider with the same holder form a
 * unit, which always moves whole.  Each officer (and "unassigned", list no)
 * keeps a linked list of the blocks it holds, and each locality a list of the
 * available officers covering it, so one step of the greedy search looks only
 * at one donor's units and at the officers who could take them.
 */
#define NONE SIZE_MAX

struct block {
	int prov;               /* interned provider */
	int orig, holder;       /* officer index, -1 unassigned */
	double weight;
	size_t first, count;    /* run in st->order */
	int loc;                /* interned locality when all cases share one, else -1 */
	size_t next, prev;      /* in the holder's list, NONE at the ends */
};

struct state {
	const struct cw_officer *o;
	int no;
	const struct cw_open_case *cases;
	size_t nc;
	const double *weights;
	size_t *order;          /* case indices by provider, holder, index */
	int *case_loc;          /* interned locality of each case */
	size_t nloc;
	const char **locs;      /* distinct localities, sorted */
	bool *cover;            /* [officer * nloc + loc] */
	size_t *rec_first;      /* available officers covering locality l are */
	int *rec;               /* rec[rec_first[l] .. rec_first[l + 1]) */
	struct block *b;
	size_t nb;
	size_t *pfirst;         /* blocks of provider p: [pfirst[p], pfirst[p + 1]) */
	size_t np;
	size_t *head;           /* no + 1 block lists; list no is "unassigned" */
	size_t *scratch;        /* nb entries */
	double *load;
	bool *avail;
	bool *tried;
	/* Donor search (see greedy): available officers in donor order, each
	 * one's position there, and donors known to have no improving move,
	 * listed under each locality they hold cases in until a possible
	 * receiver there loses load. */
	int *rank;
	size_t *pos;
	size_t nrank;
	bool *stuck;
	struct ivec *stuck_in_loc;
};

struct ivec {
	int *v;
	size_t n, cap;
};

typedef int order_fn(const void *ctx, size_t a, size_t b);

/* Stable merge sort of v (n indices) with a context, tmp as scratch; C11 has
 * no qsort_r and the order must not depend on the library. */
static void
msort(size_t *v, size_t *tmp, size_t n, order_fn *cmp, const void *ctx)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	msort(v, tmp, h, cmp, ctx);
	msort(v + h, tmp, n - h, cmp, ctx);
	while (i < h && j < n)
		tmp[k++] = cmp(ctx, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static int
by_locality(const void *ctx, size_t a, size_t b)
{
	const struct cw_open_case *c = ctx;

	return strcmp(c[a].locality, c[b].locality);
}

static int
by_provider_holder(const void *ctx, size_t a, size_t b)
{
	const struct cw_open_case *c = ctx;
	int r = strcmp(c[a].provider_id, c[b].provider_id);

	if (r != 0)
		return r;
	if (c[a].officer != c[b].officer)
		return c[a].officer < c[b].officer ? -1 : 1;
	return a < b ? -1 : (a > b);
}

static int
locality_id(const struct state *st, const char *loc)
{
	size_t lo = 0, hi = st->nloc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->locs[mid], loc);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static size_t
list_of(const struct state *st, int h)
{
	return h < 0 ? (size_t)st->no : (size_t)h;
}

static void
unlink_block(struct state *st, size_t i)
{
	struct block *b = &st->b[i];

	if (b->prev != NONE)
		st->b[b->prev].next = b->next;
	else
		st->head[list_of(st, b->holder)] = b->next;
	if (b->next != NONE)
		st->b[b->next].prev = b->prev;
}

static void
link_block(struct state *st, size_t i, int h)
{
	size_t l = list_of(st, h);
	struct block *b = &st->b[i];

	b->holder = h;
	b->prev = NONE;
	b->next = st->head[l];
	if (b->next != NONE)
		st->b[b->next].prev = i;
	st->head[l] = i;
}

static void
state_free(struct state *st)
{
	free(st->order);
	free(st->case_loc);
	free(st->locs);
	free(st->cover);
	free(st->rec_first);
	free(st->rec);
	free(st->b);
	free(st->pfirst);
	free(st->head);
	free(st->scratch);
	free(st->load);
	free(st->avail);
	free(st->tried);
	free(st->rank);
	free(st->pos);
	free(st->stuck);
	for (size_t l = 0; st->stuck_in_loc != NULL && l < st->nloc; l++)
		free(st->stuck_in_loc[l].v);
	free(st->stuck_in_loc);
}

/* Interns localities, builds cover and receiver lists.  false: out of memory. */
static bool
init_localities(struct state *st, size_t *tmp)
{
	size_t nc = st->nc, no = (size_t)st->no, nrec = 0;

	for (size_t i = 0; i < nc; i++)
		st->order[i] = i;
	msort(st->order, tmp, nc, by_locality, st->cases);
	st->nloc = 0;
	for (size_t k = 0; k < nc; k++) {
		const char *l = st->cases[st->order[k]].locality;
		if (st->nloc == 0 || strcmp(st->locs[st->nloc - 1], l) != 0)
			st->locs[st->nloc++] = l;
		st->case_loc[st->order[k]] = (int)st->nloc - 1;
	}
	st->cover = calloc(no * st->nloc + 1, sizeof(bool));
	st->rec_first = calloc(st->nloc + 1, sizeof(size_t));
	if (st->cover == NULL || st->rec_first == NULL)
		return false;
	for (size_t i = 0; i < no; i++) {
		st->avail[i] = is_available(&st->o[i]);
		for (size_t k = 0; k < st->o[i].n_localities; k++) {
			int l = locality_id(st, st->o[i].localities[k]);
			bool *c = l >= 0 ? &st->cover[i * st->nloc + (size_t)l] : NULL;
			if (c != NULL && !*c) {
				*c = true;
				nrec += st->avail[i];
			}
		}
	}
	st->rec = malloc((nrec + 1) * sizeof(int));
	if (st->rec == NULL)
		return false;
	for (size_t l = 0, n = 0; l < st->nloc; l++) {
		st->rec_first[l] = n;
		for (size_t i = 0; i < no; i++)
			if (st->avail[i] && st->cover[i * st->nloc + l])
				st->rec[n++] = (int)i;
		st->rec_first[l + 1] = n;
	}
	return true;
}

static bool
state_init(struct state *st, struct cw_error *err)
{
	size_t nc = st->nc, no = (size_t)st->no, one = nc ? nc : 1;
	size_t *tmp = malloc(one * sizeof(size_t));
	bool ok;

	st->order = malloc(one * sizeof(size_t));
	st->case_loc = malloc(one * sizeof(int));
	st->locs = malloc(one * sizeof(char *));
	st->b = malloc(one * sizeof(struct block));
	st->pfirst = malloc((nc + 1) * sizeof(size_t));
	st->head = malloc((no + 1) * sizeof(size_t));
	st->scratch = malloc(one * sizeof(size_t));
	st->load = calloc(no + 1, sizeof(double));
	st->avail = calloc(no + 1, sizeof(bool));
	st->tried = calloc(no + 1, sizeof(bool));
	st->rank = malloc((no + 1) * sizeof(int));
	st->pos = malloc((no + 1) * sizeof(size_t));
	st->stuck = calloc(no + 1, sizeof(bool));
	ok = tmp && st->order && st->case_loc && st->locs && st->b && st->pfirst && st->head &&
	     st->scratch && st->load && st->avail && st->tried && st->rank && st->pos &&
	     st->stuck && init_localities(st, tmp) &&
	     (st->stuck_in_loc = calloc(st->nloc + 1, sizeof(struct ivec))) != NULL;
	if (!ok) {
		free(tmp);
		cw_error_set(err, CW_EXIT_FAIL, "out of memory balancing %zu cases", nc);
		return false;
	}

	/* Blocks and providers. */
	for (size_t i = 0; i < nc; i++)
		st->order[i] = i;
	msort(st->order, tmp, nc, by_provider_holder, st->cases);
	free(tmp);
	st->nb = st->np = 0;
	for (size_t k = 0; k < nc; k++) {
		const struct cw_open_case *c = &st->cases[st->order[k]];
		const struct cw_open_case *prev = k ? &st->cases[st->order[k - 1]] : NULL;
		bool new_prov = prev == NULL || strcmp(prev->provider_id, c->provider_id) != 0;
		struct block *b;
		if (new_prov)
			st->pfirst[st->np++] = st->nb;
		if (new_prov || prev->officer != c->officer) {
			b = &st->b[st->nb++];
			b->prov = (int)st->np - 1;
			b->orig = b->holder = c->officer;
			b->weight = 0;
			b->first = k;
			b->count = 0;
			b->loc = st->case_loc[st->order[k]];
		}
		b = &st->b[st->nb - 1];
		b->weight += st->weights[c->risk];
		b->count++;
		if (b->loc != st->case_loc[st->order[k]])
			b->loc = -1;
		if (c->officer >= 0)
			st->load[c->officer] += st->weights[c->risk];
	}
	st->pfirst[st->np] = st->nb;
	for (size_t i = 0; i <= no; i++)
		st->head[i] = NONE;
	for (size_t i = st->nb; i > 0; i--)  /* backwards: lists start in block order */
		link_block(st, i - 1, st->b[i - 1].holder);
	return true;
}

/* Whether officer y covers every case of block i. */
static bool
covers_block(const struct state *st, int y, size_t i)
{
	const struct block *b = &st->b[i];
	const bool *row = &st->cover[(size_t)y * st->nloc];

	if (b->loc >= 0)
		return row[b->loc];
	for (size_t k = b->first; k < b->first + b->count; k++)
		if (!row[st->case_loc[st->order[k]]])
			return false;
	return true;
}

/* A unit: the blocks of provider prov held by holder, the first being
 * first_block; it moves as one. */
struct unit {
	int prov, holder;
	size_t first_block;
	double weight;
};

/* The unit block i leads (false when i is not the first block of its
 * provider with its holder, so each unit is seen once). */
static bool
unit_at(const struct state *st, size_t i, struct unit *u)
{
	const struct block *b = &st->b[i];
	size_t end = st->pfirst[b->prov + 1];

	for (size_t j = st->pfirst[b->prov]; j < i; j++)
		if (st->b[j].holder == b->holder)
			return false;
	u->prov = b->prov;
	u->holder = b->holder;
	u->first_block = i;
	u->weight = 0;
	for (size_t j = i; j < end; j++)
		if (st->b[j].holder == b->holder)
			u->weight += st->b[j].weight;
	return true;
}

static bool
covers_unit(const struct state *st, int y, const struct unit *u)
{
	for (size_t j = u->first_block; j < st->pfirst[u->prov + 1]; j++)
		if (st->b[j].holder == u->holder && !covers_block(st, y, j))
			return false;
	return true;
}

/* The available officers who might take u: those covering its first case's
 * locality (covers_unit settles the rest). */
static void
receivers(const struct state *st, const struct unit *u, const int **first, const int **end)
{
	const struct block *b = &st->b[u->first_block];
	int l = b->loc >= 0 ? b->loc : st->case_loc[st->order[b->first]];

	*first = st->rec + st->rec_first[l];
	*end = st->rec + st->rec_first[l + 1];
}

/* Whether officer y already holds a block of provider p. */
static bool
holds_provider(const struct state *st, int y, int p)
{
	for (size_t i = st->pfirst[p]; i < st->pfirst[p + 1]; i++)
		if (st->b[i].holder == y)
			return true;
	return false;
}

static void
move_unit(struct state *st, const struct unit *u, int to)
{
	for (size_t j = u->first_block; j < st->pfirst[u->prov + 1]; j++) {
		struct block *b = &st->b[j];
		if (b->holder != u->holder)
			continue;
		if (b->holder >= 0)
			st->load[b->holder] -= b->weight;
		unlink_block(st, j);
		link_block(st, j, to);
		st->load[to] += b->weight;
	}
}

/* The receiver for a unit that must move (unassigned, or held by an inactive
 * officer): an available covering holder of the provider, else the first
 * available covering officer in the assignment order; -1 when none. */
static int
forced_receiver(const struct state *st, const struct unit *u)
{
	const int *y, *end;
	int best = -1;
	bool best_holds = false;
	enum decided how;

	receivers(st, u, &y, &end);
	for (; y < end; y++) {
		bool holds;
		if (!covers_unit(st, *y, u))
			continue;
		holds = holds_provider(st, *y, u->prov);
		if (best < 0 || (holds && !best_holds) ||
		    (holds == best_holds &&
		     officer_order(st->o, *y, st->load[*y], best, st->load[best], &how) < 0)) {
			best = *y;
			best_holds = holds;
		}
	}
	return best;
}

/* Place unassigned cases and those held by inactive officers. */
static void
place_forced(struct state *st)
{
	for (int h = -1; h < st->no; h++) {
		size_t n = 0;
		if (h >= 0 && st->o[h].active)
			continue;
		for (size_t i = st->head[list_of(st, h)]; i != NONE; i = st->b[i].next)
			st->scratch[n++] = i;
		for (size_t k = 0; k < n; k++) {
			struct unit u;
			int y;
			if (st->b[st->scratch[k]].holder != h || !unit_at(st, st->scratch[k], &u))
				continue;
			if ((y = forced_receiver(st, &u)) >= 0)
				move_unit(st, &u, y);
		}
	}
}

static bool
outside_band(double r, double lo, double hi)
{
	return (r < lo && !near(r, lo)) || (r > hi && !near(r, hi));
}

/* Available totals, and whether the band holds (false when nobody is
 * available). */
static bool
band_holds(const struct state *st, double *L, double *F)
{
	double lo, hi;

	*L = *F = 0;
	for (int i = 0; i < st->no; i++)
		if (st->avail[i]) {
			*L += st->load[i];
			*F += st->o[i].fte;
		}
	if (*F <= 0)
		return false;
	lo = *L / *F * (1 - CW_BALANCE_BAND);
	hi = *L / *F * (1 + CW_BALANCE_BAND);
	for (int i = 0; i < st->no; i++)
		if (st->avail[i] && outside_band(st->load[i] / st->o[i].fte, lo, hi))
			return false;
	return true;
}

/* Spread: sum over available officers of fte * (load per FTE - mean)^2,
 * which is sum(load^2 / fte) - L^2 / F.  A move changes two terms, so its
 * effect is computed in constant time. */
static double
move_delta(const struct state *st, int d, int y, double w, double L, double F)
{
	double ly = st->load[y], fy = st->o[y].fte;
	double gain = ((ly + w) * (ly + w) - ly * ly) / fy;

	if (d >= 0 && st->avail[d]) {
		double ld = st->load[d], fd = st->o[d].fte;
		return gain + ((ld - w) * (ld - w) - ld * ld) / fd;
	}
	return gain - ((L + w) * (L + w) - L * L) / F;  /* the team takes on the load */
}

/* Make the move out of donor d that most reduces the spread, if any does.
 * Near-equal reductions prefer a receiver already holding the provider
 * (merging), then the lighter unit, then the assignment order. */
static bool
try_donor(struct state *st, int d, double L, double F, double eps, int *to)
{
	struct unit u, best_u = {0, 0, 0, 0};
	double best_delta = 0;
	bool best_merge = false;
	int best_y = -1;
	enum decided how;

	for (size_t i = st->head[d]; i != NONE; i = st->b[i].next) {
		const int *y, *end;
		if (!unit_at(st, i, &u))
			continue;
		receivers(st, &u, &y, &end);
		for (; y < end; y++) {
			double delta;
			bool merge, better;
			if (*y == d || !covers_unit(st, *y, &u))
				continue;
			delta = move_delta(st, d, *y, u.weight, L, F);
			if (delta >= -eps)
				continue;
			merge = holds_provider(st, *y, u.prov);
			if (best_y < 0 || delta < best_delta - eps)
				better = true;
			else if (delta > best_delta + eps)
				better = false;
			else if (merge != best_merge)
				better = merge;
			else if (!near(u.weight, best_u.weight))
				better = u.weight < best_u.weight;
			else
				better = best_u.prov == u.prov &&
					 officer_order(st->o, *y, st->load[*y], best_y,
						       st->load[best_y], &how) < 0;
			if (better) {
				best_u = u;
				best_y = *y;
				best_delta = delta;
				best_merge = merge;
			}
		}
	}
	if (best_y < 0)
		return false;
	move_unit(st, &best_u, best_y);
	*to = best_y;
	return true;
}

/* Donor order: higher load per FTE first, then higher load, then login and
 * index.  Negative when a comes before b. */
static int
donor_order(const struct state *st, int a, int b)
{
	enum decided how;
	int c = officer_order(st->o, a, st->load[a], b, st->load[b], &how);

	return how <= BY_LOAD ? -c : c;
}

static int
by_donor_order(const void *ctx, size_t a, size_t b)
{
	const struct state *st = ctx;

	return donor_order(st, st->rank[a], st->rank[b]);
}

/* Puts the available officers in donor order.  false: out of memory. */
static bool
rank_init(struct state *st)
{
	size_t n = 0, no = (size_t)st->no + 1;
	size_t *idx = malloc(no * sizeof(size_t)), *tmp = malloc(no * sizeof(size_t));

	if (idx == NULL || tmp == NULL) {
		free(idx);
		free(tmp);
		return false;
	}
	for (int i = 0; i < st->no; i++)
		if (st->avail[i])
			st->rank[n++] = i;
	for (size_t k = 0; k < n; k++)
		idx[k] = k;
	msort(idx, tmp, n, by_donor_order, st);
	for (size_t k = 0; k < n; k++)
		tmp[k] = (size_t)st->rank[idx[k]];
	for (size_t k = 0; k < n; k++) {
		st->rank[k] = (int)tmp[k];
		st->pos[tmp[k]] = k;
	}
	st->nrank = n;
	free(idx);
	free(tmp);
	return true;
}

/* Moves officer i to its place in the donor order after its load changed. */
static void
rank_update(struct state *st, int i)
{
	size_t p, lo = 0, hi;

	if (!st->avail[i])
		return;
	p = st->pos[i];
	memmove(&st->rank[p], &st->rank[p + 1], (st->nrank - p - 1) * sizeof(int));
	hi = st->nrank - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (donor_order(st, st->rank[mid], i) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&st->rank[lo + 1], &st->rank[lo], (st->nrank - 1 - lo) * sizeof(int));
	st->rank[lo] = i;
	for (size_t k = 0; k < st->nrank; k++)
		st->pos[st->rank[k]] = k;
}

/* Donor d has no improving move: remember it under each locality whose
 * officers it could give to.  Out of memory only means it is tried again. */
static void
stick(struct state *st, int d)
{
	for (size_t i = st->head[d]; i != NONE; i = st->b[i].next) {
		const struct block *b = &st->b[i];
		int l = b->loc >= 0 ? b->loc : st->case_loc[st->order[b->first]];
		struct ivec *v = &st->stuck_in_loc[l];
		if (v->n > 0 && v->v[v->n - 1] == d)
			continue;
		if (v->n == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 8;
			int *nv = realloc(v->v, cap * sizeof(int));
			if (nv == NULL)
				return;
			v->v = nv;
			v->cap = cap;
		}
		v->v[v->n++] = d;
	}
	st->stuck[d] = true;
}

/* Officer y lost load: donors stuck in the localities y covers may now give
 * to y. */
static void
unstick_around(struct state *st, int y)
{
	for (size_t l = 0; l < st->nloc; l++) {
		struct ivec *v = &st->stuck_in_loc[l];
		if (!st->cover[(size_t)y * st->nloc + l])
			continue;
		for (size_t k = 0; k < v->n; k++)
			st->stuck[v->v[k]] = false;
		v->n = 0;
	}
}

static void
unstick_all(struct state *st)
{
	for (size_t l = 0; l < st->nloc; l++)
		st->stuck_in_loc[l].n = 0;
	memset(st->stuck, 0, (size_t)st->no * sizeof(bool));
}

/*
 * Greedy: while the band does not hold, the first available officer in donor
 * order with an improving move makes its best one; officers on leave give
 * (most loaded first) only when no available officer can.  Every move lowers
 * the spread by more than eps, so no state repeats and the loop ends;
 * max_moves is a second guard.
 *
 * A donor found without an improving move stays skipped until its own load
 * changes or an officer who could receive from it loses load: a move's
 * effect on the spread depends only on the two officers' loads (and, for a
 * donor on leave, the team total, which is why those are never skipped and
 * every skip is dropped after one of their moves).
 */
static void
greedy(struct state *st)
{
	size_t max_moves = 2 * st->nb + 16;
	double L, F;

	if (!rank_init(st))
		return;
	for (size_t moves = 0; moves < max_moves && !band_holds(st, &L, &F) && F > 0; moves++) {
		double eps = TIE_EPS, scale = 1.0;
		int d = -1, to = -1;
		bool moved = false;

		for (int i = 0; i < st->no; i++)
			scale += st->load[i] * st->load[i] / st->o[i].fte;
		eps *= scale;
		for (size_t k = 0; k < st->nrank && !moved; k++) {
			d = st->rank[k];
			if (st->stuck[d] || st->load[d] <= 0)
				continue;
			if (!(moved = try_donor(st, d, L, F, eps, &to)))
				stick(st, d);
		}
		if (moved) {
			st->stuck[to] = false;
			unstick_around(st, d);
			rank_update(st, d);
			rank_update(st, to);
			continue;
		}
		memset(st->tried, 0, (size_t)st->no * sizeof(bool));
		for (;;) {
			d = -1;
			for (int i = 0; i < st->no; i++) {
				if (!st->o[i].active || !st->o[i].on_leave || st->tried[i] ||
				    st->load[i] <= 0)
					continue;
				if (d < 0 || (!near(st->load[i], st->load[d]) ? st->load[i] > st->load[d]
					      : strcmp(st->o[i].login, st->o[d].login) < 0))
					d = i;
			}
			if (d < 0)
				break;
			st->tried[d] = true;
			if ((moved = try_donor(st, d, L, F, eps, &to)))
				break;
		}
		if (!moved)
			break;
		unstick_all(st);
		rank_update(st, to);
	}
}

/* ---------------------------------------------------------- explanation -- */

/* Whether h holds a case in locality l that no other available officer
 * covers. */
static bool
stuck_in(const struct state *st, int h, size_t l)
{
	bool has = false;

	for (size_t i = st->head[h]; i != NONE && !has; i = st->b[i].next) {
		const struct block *b = &st->b[i];
		for (size_t j = b->first; j < b->first + b->count && !has; j++)
			has = st->case_loc[st->order[j]] == (int)l;
	}
	for (size_t k = has ? st->rec_first[l] : 0; has && k < st->rec_first[l + 1]; k++)
		if (st->rec[k] != h)
			return false;
	return has;
}

/* Why officer i, above the band, could not give. */
static void
explain_over(const struct state *st, int i, double hi, struct dstr *why)
{
	const struct cw_officer *o = &st->o[i];
	double smallest = -1;
	bool any_unit = false, any_fit = false, room = false;
	struct unit u;
	int n = 0;
	size_t first = 0;

	for (size_t b = st->head[i]; b != NONE; b = st->b[b].next) {
		const int *y, *end;
		if (!unit_at(st, b, &u))
			continue;
		receivers(st, &u, &y, &end);
		for (; y < end; y++) {
			double ry = st->load[*y] / st->o[*y].fte;
			if (*y == i || !covers_unit(st, *y, &u))
				continue;
			any_unit = true;
			if (smallest < 0 || u.weight < smallest)
				smallest = u.weight;
			if ((st->load[*y] + u.weight) / st->o[*y].fte <= hi)
				any_fit = true;
			if (ry < hi && !near(ry, hi))
				room = true;
		}
	}
	if (any_unit) {
		if (any_fit)
			dstr_add(why, ": no single block move narrows the spread further");
		else if (room)
			dstr_add(why, ": a single provider block of %.1f exceeds the band of every "
				 "officer who could take it", smallest);
		else
			dstr_add(why, ": every officer who could take these cases is already at the "
				 "top of the band");
		return;
	}
	for (size_t l = 0; l < st->nloc; l++)
		if (stuck_in(st, i, l) && n++ == 0)
			first = l;
	if (n == 1 && o->n_localities == 1 && strcmp(st->locs[first], o->localities[0]) == 0) {
		dstr_add(why, " covers only '%s', which has no other available officer",
			 o->localities[0]);
	} else if (n > 0) {
		dstr_add(why, " holds cases only in ");
		n = 0;
		for (size_t l = 0; l < st->nloc; l++)
			if (stuck_in(st, i, l))
				dstr_add(why, "%s'%s'", n++ ? ", " : "", st->locs[l]);
		dstr_add(why, ", which no other available officer covers");
	} else {
		dstr_add(why, ": none of these cases can move to another available officer");
	}
}

/* Why officer i, below the band, could not receive. */
static void
explain_under(const struct state *st, int i, double mean, double hi, struct dstr *why)
{
	const struct cw_officer *o = &st->o[i];
	double smallest = -1;
	bool any_unit = false, any_fit = false, giver = false;
	struct unit u;

	for (int h = -1; h < st->no; h++) {
		if (h == i)
			continue;
		for (size_t b = st->head[list_of(st, h)]; b != NONE; b = st->b[b].next) {
			if (!unit_at(st, b, &u) || !covers_unit(st, i, &u))
				continue;
			any_unit = true;
			if (smallest < 0 || u.weight < smallest)
				smallest = u.weight;
			if ((st->load[i] + u.weight) / o->fte <= hi)
				any_fit = true;
			if (h < 0 || !st->avail[h] || st->load[h] / st->o[h].fte > mean)
				giver = true;
		}
	}
	if (!any_unit) {
		if (o->n_localities == 1)
			dstr_add(why, " covers only '%s', where no other officer holds cases",
				 o->localities[0]);
		else
			dstr_add(why, ": no other officer holds cases in the localities covered");
	} else if (!any_fit) {
		dstr_add(why, ": a single provider block of %.1f exceeds the band", smallest);
	} else if (!giver) {
		dstr_add(why, ": the officers holding cases it could take are at or below the "
			 "mean themselves");
	} else {
		dstr_add(why, ": no single block move narrows the spread further");
	}
}

static void
explain_officer(const struct state *st, int i, double mean, struct dstr *why)
{
	double lo = mean * (1 - CW_BALANCE_BAND), hi = mean * (1 + CW_BALANCE_BAND);
	double r = st->load[i] / st->o[i].fte;

	if (why->len > 0)
		dstr_add(why, "; ");
	dstr_add(why, "officer %s (%.2f per FTE, band %.2f to %.2f)", st->o[i].login, r, lo, hi);
	if (r > hi)
		explain_over(st, i, hi, why);
	else
		explain_under(st, i, mean, hi, why);
}

static int
by_stranded(const void *ctx, size_t a, size_t b)
{
	const struct state *st = ctx;
	const struct block *ba = &st->b[a], *bb = &st->b[b];

	if (ba->holder != bb->holder)
		return ba->holder < bb->holder ? -1 : 1;
	return a < b ? -1 : (a > b);
}

/* Stranded cases: one clause per holder (nobody or an inactive officer)
 * naming the localities that no available officer covers. */
static bool
explain_stranded(struct state *st, size_t *n_stranded, struct dstr *why)
{
	size_t *v = st->scratch;
	size_t *tmp = malloc((st->nb ? st->nb : 1) * sizeof(size_t));
	size_t n = 0;

	if (tmp == NULL)
		return false;
	*n_stranded = 0;
	for (size_t i = 0; i < st->nb; i++) {
		int h = st->b[i].holder;
		if (h < 0 || !st->o[h].active) {
			v[n++] = i;
			*n_stranded += st->b[i].count;
		}
	}
	msort(v, tmp, n, by_stranded, st);
	for (size_t k = 0; k < n;) {
		int h = st->b[v[k]].holder, listed = 0;
		size_t cases = 0, j = k;
		for (; j < n && st->b[v[j]].holder == h; j++)
			cases += st->b[v[j]].count;
		if (why->len > 0)
			dstr_add(why, "; ");
		if (h < 0)
			dstr_add(why, "%zu unassigned case%s", cases, cases == 1 ? "" : "s");
		else
			dstr_add(why, "%zu case%s of inactive officer %s", cases, cases == 1 ? "" : "s",
				 st->o[h].login);
		dstr_add(why, " cannot move: no available officer covers ");
		for (size_t l = 0; l < st->nloc; l++) {
			bool has = false;
			for (size_t m = k; m < j && !has; m++) {
				const struct block *b = &st->b[v[m]];
				for (size_t q = b->first; q < b->first + b->count && !has; q++)
					has = st->case_loc[st->order[q]] == (int)l;
			}
			if (has && st->rec_first[l] == st->rec_first[l + 1])
				dstr_add(why, "%s'%s'", listed++ ? ", " : "", st->locs[l]);
		}
		if (listed == 0)
			dstr_add(why, "all the localities of one provider's cases");
		k = j;
	}
	free(tmp);
	return true;
}

/* ---------------------------------------------------------------- entry -- */

static bool
check_cases(const struct cw_open_case *cases, size_t n, size_t n_officers, struct cw_error *err)
{
	if (n > 0 && cases == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "no case array given to the balancer");
	for (size_t i = 0; i < n; i++) {
		const struct cw_open_case *c = &cases[i];
		if (c->id == NULL || c->provider_id == NULL || c->locality == NULL)
			return cw_error_set(err, CW_EXIT_FAIL,
					    "open case %zu has no id, provider or locality", i);
		if ((int)c->risk < 0 || c->risk >= CW_RISK__N)
			return cw_error_set(err, CW_EXIT_FAIL, "open case %s has invalid risk level %d",
					    c->id, (int)c->risk);
		if (c->officer < -1 || (c->officer >= 0 && (size_t)c->officer >= n_officers))
			return cw_error_set(err, CW_EXIT_FAIL,
					    "open case %s names officer %d, not an officer index",
					    c->id, c->officer);
	}
	return true;
}

void
cw_suggestion_free(struct cw_suggestion *s)
{
	if (s == NULL)
		return;
	free(s->moves);
	free(s->before);
	free(s->after);
	free(s->why);
	memset(s, 0, sizeof(*s));
}

bool
cw_balance_suggest(const struct cw_officer *officers, size_t n_officers,
		   const struct cw_open_case *cases, size_t n_cases,
		   const double weights[CW_RISK__N], struct cw_suggestion *out,
		   struct cw_error *err)
{
	struct state st;
	struct dstr why = {NULL, 0, 0, false};
	double L, F;
	size_t *block_of = NULL;

	memset(out, 0, sizeof(*out));
	if (!check_officers(officers, n_officers, false, err) || !check_weights(weights, err) ||
	    !check_cases(cases, n_cases, n_officers, err))
		return false;
	memset(&st, 0, sizeof(st));
	st.o = officers;
	st.no = (int)n_officers;
	st.cases = cases;
	st.nc = n_cases;
	st.weights = weights;
	out->before = calloc(n_officers ? n_officers : 1, sizeof(*out->before));
	out->after = calloc(n_officers ? n_officers : 1, sizeof(*out->after));
	out->moves = calloc(n_cases ? n_cases : 1, sizeof(*out->moves));
	block_of = calloc(n_cases ? n_cases : 1, sizeof(size_t));
	if (!out->before || !out->after || !out->moves || !block_of) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory balancing %zu cases", n_cases);
		goto fail;
	}
	if (!state_init(&st, err))
		goto fail;
	figures(officers, n_officers, st.load, out->before, &out->team_before);

	place_forced(&st);
	greedy(&st);

	/* Moves, in the order of the cases given. */
	for (size_t bi = 0; bi < st.nb; bi++)
		for (size_t k = st.b[bi].first; k < st.b[bi].first + st.b[bi].count; k++)
			block_of[st.order[k]] = bi;
	for (size_t i = 0; i < n_cases; i++) {
		const struct block *b = &st.b[block_of[i]];
		if (b->holder != b->orig) {
			struct cw_move *m = &out->moves[out->n_moves++];
			m->case_index = i;
			m->case_id = cases[i].id;
			m->from = b->orig;
			m->to = b->holder;
		}
	}
	figures(officers, n_officers, st.load, out->after, &out->team_after);

	out->reached = band_holds(&st, &L, &F) || (F <= 0 && n_cases == 0);
	if (!out->reached && F <= 0) {
		dstr_add(&why, "no officer is available (active and not on leave)");
	} else if (!out->reached) {
		double mean = L / F;
		for (int i = 0; i < st.no; i++)
			if (st.avail[i] && outside_band(st.load[i] / officers[i].fte,
							mean * (1 - CW_BALANCE_BAND),
							mean * (1 + CW_BALANCE_BAND)))
				explain_officer(&st, i, mean, &why);
	}
	if (!explain_stranded(&st, &out->n_stranded, &why) || why.oom ||
	    (why.s == NULL && (why.s = calloc(1, 1)) == NULL)) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory explaining the balance");
		goto fail;
	}
	out->why = why.s;
	free(block_of);
	state_free(&st);
	return true;

fail:
	free(why.s);
	free(block_of);
	state_free(&st);
	cw_suggestion_free(out);
	return false;
}
