/*
 * backfill.c - month-end score history (backfill.h).
 *
 * Two connections, as the nightly has them: `db` (the caller's) holds the
 * score_history lock and writes, in one transaction; `rd` reads in a
 * REPEATABLE READ READ ONLY snapshot, so the provider list and the records
 * agree, and streams every record once (intelstream.c).  While a provider's
 * records are in memory it is scored at each month end it was open, and its
 * rows go straight into the COPY on `db`:
 *
 *   db: BEGIN; api.score_history_begin()  (who is calling; the lock, or busy)
 *       the active ruleset
 *   rd: BEGIN REPEATABLE READ READ ONLY; the providers; COPY ... TO STDOUT
 *   db: COPY api.score_history_stage FROM STDIN   (rows as rd's arrive)
 *       api.score_history_apply(run, ruleset, months)  (checks, upserts,
 *       removes, logs)
 *       COMMIT
 *
 * Any failure rolls both back: nothing of the run is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/backfill.h"
#include "carewatch/copybuf.h"
#include "carewatch/intelstream.h"
#include "carewatch/record.h"
#include "carewatch/score.h"
#include "carewatch/scoring.h"

struct run {
	struct cw_db *db;
	const struct cw_ruleset *rs;
	struct cw_backfill_report *rep;
	struct cw_stream_provider *provs;
	char (*ids)[CW_UUID_LEN];
	size_t nprovs;
	char asof[CW_BACKFILL_MAX_MONTHS][40];  /* each month end as UTC text */
	struct cw_copybuf out;
	FILE *progress;
};

/* Score provider i at every month end it was open, and send its rows. */
static bool
each_provider(void *ctx, size_t i, struct cw_provider_intel *pi, struct cw_error *err)
{
	struct run *r = ctx;
	const struct cw_stream_provider *p = &r->provs[i];
	cw_time left = cw_intel_left_market(p, pi);
	bool any = false;

	pi->care_type = p->care;
	pi->beds = p->beds;
	r->out.n = 0;
	for (int m = 0; m < r->rep->nmonths; m++) {
		struct cw_backfill_month *mo = &r->rep->months[m];
		struct cw_score s;
		bool ok;

		if (!cw_intel_open_at(p, left, mo->at))
			continue;
		memset(&s, 0, sizeof(s));
		if (!cw_score_evaluate_summary(r->rs, pi, mo->at, &s, err)) {
			cw_score_free(&s);
			return false;
		}
		ok = cw_copybuf_field(&r->out, r->ids[i], '\t') && cw_copybuf_field(&r->out, r->asof[m], '\t') &&
		     cw_scoring_copy_fields(&r->out, &s, '\n');
		mo->scored++;
		mo->bands[s.band]++;
		mo->flagged += s.flag;
		cw_score_free(&s);
		if (!ok)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		r->rep->scores++;
		any = true;
	}
	r->rep->providers += any;
	if (r->progress && (i + 1) % 500 == 0)
		fprintf(r->progress, "\rscores backfill: %zu of %zu providers", i + 1, r->nprovs);
	return r->out.n == 0 || cw_db_copy_put(r->db, r->out.p, r->out.n, "score history", err);
}

static bool
plan(const struct cw_backfill_opts *o, struct run *r, struct cw_error *err)
{
	struct cw_backfill_report *rep = r->rep;
	int n = cw_month_span(o->from, o->to, CW_BACKFILL_MAX_MONTHS, o->now, err);

	if (n == 0) {
		if (cw_date_cmp(o->from, o->to) <= 0 && cw_london_month_end(o->to, 0) > o->now) {
			struct cw_date now = cw_london_date(o->now);
			cw_error_detail(err, "a month still running has no month end yet; the nightly scores it");
			now.d = 1;
			now = cw_date_add_days(now, -1);
			cw_error_hint(err, "--to names the last month that is over: %04d-%02d", now.y, now.m);
		}
		return false;
	}
	rep->nmonths = n;
	for (int m = 0; m < n; m++) {
		struct cw_backfill_month *mo = &rep->months[m];
		int idx = o->from.y * 12 + (o->from.m - 1) + m;
		snprintf(mo->month, sizeof(mo->month), "%04d-%02d", idx / 12, idx % 12 + 1);
		mo->at = cw_london_month_end(o->from, m);
		cw_time_format_utc(mo->at, r->asof[m], sizeof(r->asof[m]));
	}
	return true;
}

/* Stream and score on rd while the rows go into the staging table on db. */
static bool
stage(struct run *r, struct cw_db *rd, struct cw_error *err)
{
	PGresult *res;
	bool ok;

	if (!cw_db_exec(rd, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err) ||
	    !cw_db_exec(rd, "SET LOCAL work_mem = '256MB'", 0, NULL, err) ||
	    !cw_intel_providers_load(rd, &r->provs, &r->ids, &r->nprovs, err))
		return false;
	r->rep->listed = (long)r->nprovs;
	res = cw_db_query(r->db, "COPY api.score_history_stage (provider_id, as_of, score, band, flag, detail)"
				 " FROM STDIN", 0, NULL, err);
	if (res == NULL)
		return false;
	PQclear(res);
	ok = cw_intel_stream(rd, (const char(*)[CW_UUID_LEN])r->ids, r->nprovs, each_provider, r,
			     &r->rep->records, err);
	if (r->progress && r->nprovs >= 500)
		fputc('\n', r->progress);
	if (!ok) {
		cw_db_copy_end(r->db, "aborted", "score history", err);
		return false;
	}
	return cw_db_copy_end(r->db, NULL, "score history", err) && cw_db_exec(rd, "COMMIT", 0, NULL, err);
}

/* The months as a date[] literal of first days: "{2025-06-01,...}". */
static bool
months_array(const struct cw_backfill_report *rep, struct cw_copybuf *b)
{
	bool ok = cw_copybuf_str(b, "{");

	for (int m = 0; ok && m < rep->nmonths; m++)
		ok = cw_copybuf_str(b, m ? "," : "") && cw_copybuf_str(b, rep->months[m].month) &&
		     cw_copybuf_str(b, "-01");
	return ok && cw_copybuf_str(b, "}");
}

static bool
apply(struct run *r, struct cw_error *err)
{
	struct cw_copybuf months = {0};
	PGresult *res;
	bool ok;

	if (!months_array(r->rep, &months)) {
		cw_copybuf_free(&months);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	res = cw_db_query(r->db, "SELECT written, removed FROM api.score_history_apply($1, $2, $3::date[])", 3,
			  (const char *const[]){r->rep->run_id, r->rep->hash, months.p}, err);
	cw_copybuf_free(&months);
	ok = res != NULL && PQntuples(res) == 1;
	if (ok) {
		r->rep->written = atol(PQgetvalue(res, 0, 0));
		r->rep->removed = atol(PQgetvalue(res, 0, 1));
	} else if (res != NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "unexpected reply from api.score_history_apply");
	}
	PQclear(res);
	return ok;
}

static void
rollback_quietly(struct cw_db *db)
{
	PGconn *c = db ? cw_db_conn(db) : NULL;
	struct cw_error ign;

	if (c && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE &&
	    !cw_db_exec(db, "ROLLBACK", 0, NULL, &ign)) {
		/* the session is gone, and its transaction with it */
	}
}

bool
cw_backfill_run(struct cw_db *db, const struct cw_backfill_opts *o, struct cw_backfill_report *rep,
		struct cw_error *err)
{
	struct run r;
	struct cw_db *rd = NULL;
	struct timespec t0, t1;
	char got[8];
	bool ok = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.rep = rep;
	r.progress = o->progress;
	if (!plan(o, &r, err))
		return false;
	cw_uuid_new(rep->run_id);
	if (!cw_db_exec(db, "BEGIN", 0, NULL, err) ||
	    !cw_db_value(db, "SELECT api.score_history_begin()", 0, NULL, got, sizeof(got), NULL, err))
		goto done;
	if (got[0] != 't') {
		cw_error_set(err, CW_EXIT_BUSY, "another score backfill is in progress");
		cw_error_hint(err, "wait for it to finish; backfills never overlap");
		goto done;
	}
	r.rs = cw_scoring_active_required(db, err);
	if (r.rs == NULL)
		goto done;
	snprintf(rep->ruleset, sizeof(rep->ruleset), "%s", cw_rules_name(r.rs));
	snprintf(rep->hash, sizeof(rep->hash), "%s", cw_rules_hash(r.rs));
	rd = cw_db_open(o->conninfo, err);
	if (rd == NULL || !stage(&r, rd, err) || !apply(&r, err) || !cw_db_exec(db, "COMMIT", 0, NULL, err))
		goto done;
	ok = true;
done:
	if (!ok)
		rollback_quietly(db);
	rollback_quietly(rd);
	cw_db_close(rd);
	free(r.provs);
	free(r.ids);
	cw_copybuf_free(&r.out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return ok;
}
