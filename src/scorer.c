/*
 * scorer.c - draining the score queue (see scorer.h).
 *
 * Each transaction takes providers off the queue (api.score_claim: DELETE
 * of the oldest rows FOR UPDATE SKIP LOCKED), then reads the active ruleset
 * and their intelligence, then appends their scores, and commits: the
 * providers leave the queue exactly when their scores are stored.
 *
 * Why no write is ever left unscored.  A writer's statement trigger upserts
 * the provider's queue row (ON CONFLICT DO UPDATE), which locks the row until
 * the writer commits.  Take a writer W recording about provider P and a
 * scorer S, both READ COMMITTED:
 *
 *   - W's trigger runs before S's claim.  W holds P's row (new, or updated
 *     and locked), so S's SKIP LOCKED passes over it (a new row is not even
 *     visible); P stays queued, and S sees W's commit (and its
 *     notification) next time.  If W committed before the claim, S takes P
 *     and its reads, which come after the claim, see W's record.
 *   - W's trigger runs after S's claim.  S holds (has deleted) P's row, so
 *     W's upsert waits for S to commit, then finds no row and queues P anew;
 *     W cannot commit before S does, so S's reads never miss a committed
 *     record of W's without P being queued again.
 *
 * The same holds for an activation (its trigger upserts every active
 * provider's row), which is why the ruleset is read after the claim, and for
 * the bulk path, whose second connection's snapshot starts after the claim.
 * The scores' as-of is taken after the claim too, so no record committed
 * before it counts as being in the future.
 * The cost: a writer about a provider in the batch being scored waits for
 * that batch's commit, so batches stay small (opts->batch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/calendar.h"
#include "carewatch/copybuf.h"
#include "carewatch/locks.h"
#include "carewatch/nightly.h"
#include "carewatch/scorer.h"
#include "carewatch/scoring.h"

/* One transaction's work and results (reset at each try: the work may be
 * retried by cw_db_transaction). */
struct step {
	const struct cw_scorer_opts *o;
	char asof[40];
	cw_time as_of;
	const struct cw_ruleset *rs;
	const PGresult *claim;          /* incremental: (claimed, claim_cause) in id order */
	int next;                       /* the claim row the next provider is looked up from */
	struct cw_copybuf json;         /* incremental: the scores, a JSON array */
	long claimed, scored, skipped, records;
	bool busy;                      /* bulk: the nightly lock was held */
};

static void
step_reset(struct step *st)
{
	st->claimed = st->scored = st->skipped = st->records = 0;
	st->busy = false;
	st->next = 0;
	st->json.n = 0;
	st->rs = NULL;
}

static long
tuples(PGresult *res)
{
	long n = res ? atol(PQcmdTuples(res)) : 0;
	PQclear(res);
	return n;
}

/* The as-of of the scores: taken after the claim, so every record the
 * claimed providers had when they were taken is at or before it. */
static void
stamp(struct step *st)
{
	st->as_of = (cw_time)time(NULL);
	cw_time_format_utc(st->as_of, st->asof, sizeof(st->asof));
}

/* The active ruleset, read after the claim (see the top of the file);
 * NULL without an error when none is active. */
static bool
read_ruleset(struct cw_db *db, struct step *st, struct cw_error *err)
{
	bool none;

	st->rs = cw_scoring_active(db, &none, err);
	return st->rs != NULL || none;
}

/* cw_intel_load_many's callback: score one claimed provider into st->json. */
static bool
score_one(void *ctx, const char *provider_id, bool active, const struct cw_provider_intel *pi,
	  struct cw_error *err)
{
	struct step *st = ctx;
	const char *cause = "record";
	struct cw_score s;
	char head[200];
	char *summary;
	bool ok;

	if (!active) {
		st->skipped++;
		return true;
	}
	while (st->next < PQntuples(st->claim) && strcmp(PQgetvalue(st->claim, st->next, 0), provider_id) < 0)
		st->next++;
	if (st->next < PQntuples(st->claim) && strcmp(PQgetvalue(st->claim, st->next, 0), provider_id) == 0)
		cause = PQgetvalue(st->claim, st->next, 1);
	memset(&s, 0, sizeof(s));
	if (!cw_score_evaluate_summary(st->rs, pi, st->as_of, &s, err))
		return false;
	summary = cw_score_summary_json(&s);
	/* Ids, bands and causes are uuids and vocabulary words: nothing to escape. */
	snprintf(head, sizeof(head), "%s{\"p\":\"%s\",\"s\":\"%.2f\",\"b\":\"%s\",\"f\":%s,\"c\":\"%s\",\"d\":",
		 st->json.n ? "," : "[", provider_id, s.total, cw_vocab_word(&cw_vocab_risk, (int)s.band),
		 s.flag ? "true" : "false", cause);
	ok = summary != NULL && cw_copybuf_str(&st->json, head) && cw_copybuf_str(&st->json, summary) &&
	     cw_copybuf_str(&st->json, "}");
	free(summary);
	cw_score_free(&s);
	if (!ok)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	st->scored++;
	return true;
}

/* A few providers through the one-provider reads, all stored by one
 * set-based INSERT (the publish trigger runs once). */
static bool
batch_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct step *st = ctx;
	char n[16];
	const char *p[1] = {n};
	const char **ids = NULL;
	PGresult *claim;
	bool ok = true;

	step_reset(st);
	snprintf(n, sizeof(n), "%d", st->o->batch);
	claim = cw_db_query(db, "SELECT claimed::text, claim_cause FROM api.score_claim($1::int)", 1, p, err);
	if (claim == NULL)
		return false;
	st->claimed = PQntuples(claim);
	stamp(st);
	if (st->claimed == 0 || !read_ruleset(db, st, err)) {
		ok = st->claimed == 0;
		goto out;
	}
	if (st->rs == NULL) {
		st->skipped = st->claimed;
		goto out;
	}
	ids = calloc((size_t)st->claimed, sizeof(*ids));
	if (ids == NULL) {
		ok = cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(claim); i++)
		ids[i] = PQgetvalue(claim, i, 0);
	st->claim = claim;
	ok = cw_intel_load_many(db, ids, (size_t)st->claimed, score_one, st, err);
	st->claim = NULL;
	/* A claimed provider that no longer exists is not scored either. */
	st->skipped = st->claimed - st->scored;
	if (ok && st->scored > 0) {
		const char *q[4] = {st->json.p, st->asof, cw_rules_name(st->rs), cw_rules_hash(st->rs)};
		ok = cw_copybuf_str(&st->json, "]");
		if (!ok) {
			cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			goto out;
		}
		q[0] = st->json.p;
		ok = cw_db_exec(db,
				"INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score,"
				" band, flag, detail, cause)"
				" SELECT r.p, $2, $3, $4, r.s, r.b, r.f, r.d, r.c"
				" FROM jsonb_to_recordset($1::jsonb) AS r (p uuid, s numeric, b text, f boolean,"
				"  d jsonb, c text) ORDER BY r.p",
				4, q, err);
	}
out:
	free(ids);
	PQclear(claim);
	return ok;
}

/* Everyone queued through the streaming engine, under the nightly lock (a
 * rescore of everyone and a nightly run never overlap). */
static bool
bulk_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct step *st = ctx;
	char got[8];
	PGresult *res;

	step_reset(st);
	if (!cw_db_value(db, CW_LOCK_NIGHTLY_TRY_SQL, 0, NULL, got, sizeof(got), NULL, err))
		return false;
	if (got[0] != 't') {
		st->busy = true;
		return true;
	}
	if (!cw_db_exec(db, "CREATE TEMP TABLE scorer_claim (provider_id uuid PRIMARY KEY, cause text NOT NULL)"
			    " ON COMMIT DROP", 0, NULL, err))
		return false;
	res = cw_db_query(db, "INSERT INTO scorer_claim SELECT claimed, claim_cause FROM api.score_claim(NULL)",
			  0, NULL, err);
	if (res == NULL)
		return false;
	st->claimed = tuples(res);
	stamp(st);
	if (!read_ruleset(db, st, err))
		return false;
	if (st->rs == NULL) {
		st->skipped = st->claimed;
		return true;
	}
	if (!cw_nightly_rescore(db, st->o->conninfo, st->rs, st->as_of, &st->scored, &st->records, err))
		return false;
	st->skipped = st->claimed - st->scored;
	return true;
}

static void
add(struct cw_scorer_report *rep, const struct step *st, bool bulk)
{
	rep->claimed += st->claimed;
	rep->scored += st->scored;
	rep->skipped += st->skipped;
	rep->records += st->records;
	rep->transactions++;
	if (bulk)
		rep->bulk++;
}

bool
cw_scorer_drain(struct cw_db *db, const struct cw_scorer_opts *opts, const volatile sig_atomic_t *stop,
		struct cw_scorer_report *rep, struct cw_error *err)
{
	struct step st;
	struct timespec t0, t1;
	bool ok = true;

	memset(rep, 0, sizeof(*rep));
	memset(&st, 0, sizeof(st));
	st.o = opts;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ok && !(stop && *stop)) {
		char queued[24];

		if (!cw_db_value(db, "SELECT count(*) FROM score_queue", 0, NULL, queued, sizeof(queued), NULL, err)) {
			ok = false;
			break;
		}
		if (atol(queued) == 0)
			break;
		if (atol(queued) >= opts->bulk_at) {
			if (!cw_db_transaction(db, "READ COMMITTED", bulk_work, &st, NULL, err)) {
				ok = false;
				break;
			}
			if (!st.busy) {
				add(rep, &st, true);
				continue;
			}
			/* A nightly run holds the lock: a batch now, the bulk after. */
		}
		if (!cw_db_transaction(db, "READ COMMITTED", batch_work, &st, NULL, err)) {
			ok = false;
			break;
		}
		add(rep, &st, false);
		/* The rest is held by writers not yet committed (their commits
		 * notify) or by another scorer. */
		if (st.claimed == 0)
			break;
	}
	cw_copybuf_free(&st.json);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return ok;
}

void
cw_scorer_report_format(const struct cw_scorer_report *rep, char *buf, size_t size)
{
	char engine[96] = "";

	if (rep->bulk > 0)
		snprintf(engine, sizeof(engine), ", %d through the streaming engine (%ld records read)", rep->bulk,
			 rep->records);
	snprintf(buf, size, "rescored %ld provider%s (%ld taken off the queue, %ld not scored) in %d transaction%s%s,"
			    " %.2f s",
		 rep->scored, rep->scored == 1 ? "" : "s", rep->claimed, rep->skipped, rep->transactions,
		 rep->transactions == 1 ? "" : "s", engine, rep->seconds);
}
