/*
 * nightly.c - the nightly batch and the scorer's bulk rescore (see nightly.h
 * for the design).
 *
 * Connections: `db` (the caller's) holds the run lock and does every write
 * in one transaction; the readers (`rd` and, with --readers N, N - 1 more)
 * stream the intelligence with COPY TO STDOUT.  A COPY can't run in both
 * directions on one connection, and this way the results stream into the
 * staging table while the records stream out, so neither side buffers the
 * night's work in memory.
 *
 * The lock is the row lock api.lock_take('nightly') takes for the calling
 * transaction, so the whole run is one transaction on `db`:
 *
 *   BEGIN; lock; active ruleset; is a later run published? (history only)
 *   api.nightly_abandon()            runs left 'running' by a kill
 *   rd: INSERT nightly_run ...        the start row, committed at once so the
 *                                     run shows while it runs
 *   SAVEPOINT run; stage; publish; api.nightly_finish('succeeded'); COMMIT
 *
 * On a failure the savepoint is rolled back and the run finished as 'failed'
 * in the same transaction, still under the lock; if `db` itself is gone, the
 * start row is finished from `rd`, or left for the next run to abandon.
 *
 * Several readers (stage_scores): `rd` opens a REPEATABLE READ transaction,
 * reads the provider list and exports its snapshot; every other reader
 * starts its transaction in that snapshot (SET TRANSACTION SNAPSHOT), so
 * together they read exactly what `rd` alone would.  The list is cut into
 * N ranges of provider id, one per reader; each range is streamed and
 * scored by its own thread (the first on this one), and every thread's
 * results go into the one COPY on `db` under the run's lock, in whatever
 * order they come: everything after reads the staging table ordered by
 * provider.  The evaluator is pure (score.h: no state but its arguments),
 * so the threads share nothing else but the read-only ruleset and list.
 * A reader that fails stops the others (its thread cancels their COPYs) and
 * the run fails as with one reader.  If the machine has fewer free cores,
 * the threads simply take turns; if no thread can be made, the ranges are
 * read one after another on this thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/calendar.h"
#include "carewatch/copybuf.h"
#include "carewatch/intelstream.h"
#include "carewatch/locks.h"
#include "carewatch/nightly.h"
#include "carewatch/record.h"
#include "carewatch/scoring.h"
#include "carewatch/worklist.h"

struct prov {
	char id[CW_UUID_LEN];
	enum cw_care_type care_type;
	int beds;
};

struct run;

/* One reader and the range of the provider list it streams.  Its thread
 * writes only here and, under the run's lock, to the run's shared fields. */
struct part {
	struct run *r;
	int index;
	struct cw_db *rd;               /* part 0's is the run's rd; the others' are the part's own */
	PGcancel *cancel;               /* to stop its COPY from another part's thread */
	size_t lo, n;                   /* providers lo .. lo + n - 1 of the list */
	char *sql;                      /* its COPY; freed only once rd is closed (db.c keeps the text) */
	char snap_sql[96];              /* SET TRANSACTION SNAPSHOT '...', kept for the same reason */
	struct cw_copybuf out;
	long records;
	const char *failure;            /* what failed, in api.nightly_finish's words */
	struct cw_error err;
	bool ok;
	bool streaming;                 /* its COPY may still be running (under the run's lock) */
	bool threaded;                  /* runs on a thread of its own */
	pthread_t thread;
};

struct run {
	struct cw_db *db, *rd;
	const struct cw_ruleset *rs;
	const struct cw_nightly_opts *opts;
	struct cw_nightly_report *rep;
	struct prov *provs;
	char (*ids)[CW_UUID_LEN];       /* the providers' ids, in order, for the stream */
	size_t nprovs;
	char asof[40];
	const char *failure;            /* what failed, in api.nightly_finish's words */
	struct part parts[CW_NIGHTLY_READERS_MAX];
	int nparts;
	/* Taken for db's COPY, rep->providers, the progress line, stopped,
	 * failed and every part's streaming flag. */
	pthread_mutex_t lock;
	bool stopped;                   /* a part failed: the others stop */
	int failed;                     /* the part that failed first, or -1 */
};

static void
run_init(struct run *r, struct cw_db *db, const struct cw_nightly_opts *opts,
	 struct cw_nightly_report *rep)
{
	memset(r, 0, sizeof(*r));
	r->db = db;
	r->opts = opts;
	r->rep = rep;
	r->failed = -1;
	pthread_mutex_init(&r->lock, NULL);
	cw_time_format_utc(opts->as_of, r->asof, sizeof(r->asof));
}

/* Close every reader, then free what their statement caches pointed to. */
static void
run_free(struct run *r)
{
	for (int k = 0; k < CW_NIGHTLY_READERS_MAX; k++) {
		struct part *pt = &r->parts[k];
		if (pt->cancel)
			PQfreeCancel(pt->cancel);
		if (k > 0)
			cw_db_close(pt->rd);
		cw_copybuf_free(&pt->out);
	}
	cw_db_close(r->rd);
	for (int k = 0; k < CW_NIGHTLY_READERS_MAX; k++)
		free(r->parts[k].sql);
	free(r->provs);
	free(r->ids);
	pthread_mutex_destroy(&r->lock);
}

/* Put one scored provider's row, already in pt->out, into db's COPY. */
static bool
put_row(struct part *pt, struct cw_error *err)
{
	struct run *r = pt->r;
	bool ok = true;

	pthread_mutex_lock(&r->lock);
	if (r->stopped) {
		/* Another part failed; its error is the run's. */
		ok = cw_error_set(err, CW_EXIT_FAIL, "stopped: another reader failed");
	} else if (!cw_db_copy_put(r->db, pt->out.p, pt->out.n, "scores", err)) {
		pt->failure = "storing";
		ok = false;
	} else {
		r->rep->providers++;
		if (r->opts->progress && r->rep->providers % 500 == 0)
			fprintf(r->opts->progress, "\rnightly: scored %ld of %zu providers", r->rep->providers,
				r->nprovs);
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* Score provider i of the part's range, whose records the stream has put
 * in pi, and stream the result.  Runs on the part's thread: the evaluation
 * and the row's text outside the lock, only the put under it. */
static bool
emit(void *ctx, size_t i, struct cw_provider_intel *pi, struct cw_error *err)
{
	struct part *pt = ctx;
	struct run *r = pt->r;
	const struct prov *p = &r->provs[pt->lo + i];
	struct cw_score s;
	bool ok;

	memset(&s, 0, sizeof(s));
	pi->care_type = p->care_type;
	pi->beds = p->beds;
	if (!cw_score_evaluate_summary(r->rs, pi, r->opts->as_of, &s, err)) {
		pt->failure = "scoring";
		return false;
	}
	pt->out.n = 0;
	ok = cw_copybuf_field(&pt->out, p->id, '\t') && cw_scoring_copy_fields(&pt->out, &s, '\t') &&
	     cw_copybuf_field(&pt->out, s.flag_reasons, '\n');
	cw_score_free(&s);
	if (!ok)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	return put_row(pt, err);
}

static bool
load_providers(struct run *r, struct cw_error *err)
{
	PGresult *res = cw_db_query(r->rd, "SELECT id, care_type, coalesce(beds, -1) FROM provider"
					   " WHERE status = 'active' ORDER BY id", 0, NULL, err);
	if (res == NULL)
		return false;
	r->nprovs = (size_t)PQntuples(res);
	r->provs = calloc(r->nprovs + 1, sizeof(*r->provs));
	r->ids = calloc(r->nprovs + 1, sizeof(*r->ids));
	if (r->provs == NULL || r->ids == NULL) {
		PQclear(res);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < r->nprovs; i++) {
		int ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(res, (int)i, 1));
		snprintf(r->provs[i].id, sizeof(r->provs[i].id), "%s", PQgetvalue(res, (int)i, 0));
		snprintf(r->ids[i], sizeof(r->ids[i]), "%s", PQgetvalue(res, (int)i, 0));
		r->provs[i].care_type = ct < 0 ? CW_CARE_HOME_CARE : (enum cw_care_type)ct;
		r->provs[i].beds = atoi(PQgetvalue(res, (int)i, 2));
	}
	PQclear(res);
	return true;
}

/* A snapshot id as pg_export_snapshot gives it (hex digits and dashes):
 * anything else is not put into SQL. */
static bool
snapshot_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < 64 && strspn(id, "0123456789ABCDEFabcdef-") == n;
}

/* A reader's transaction: in the first reader's snapshot (snap_sql, for
 * the others: before anything else, as PostgreSQL requires); room to sort
 * its range; and, when there are several readers, no parallel workers: the
 * readers are the parallelism, and each one's two workers would only fight
 * the others for the same cores (on 2 cores, two half streams took 13.2 s
 * each with them, 9.6 s without).  SET LOCAL, so that nothing outlives the
 * transaction (a pooler's next client never sees it). */
static bool
reader_begin(struct cw_db *rd, const char *snap_sql, bool several, struct cw_error *err)
{
	return cw_db_exec(rd, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, err) &&
	       (snap_sql == NULL || cw_db_exec(rd, snap_sql, 0, NULL, err)) &&
	       cw_db_exec(rd, "SET LOCAL work_mem = '256MB'", 0, NULL, err) &&
	       (!several || cw_db_exec(rd, "SET LOCAL max_parallel_workers_per_gather = 0", 0, NULL, err));
}

/* Begin the readers' transaction on rd and read the provider list in it;
 * then cut the list into the parts' ranges and start every other reader's
 * transaction in rd's snapshot.  Each reader's COPY is built here. */
static bool
open_readers(struct run *r, struct cw_error *err)
{
	int want = r->opts->readers > 0 ? r->opts->readers : CW_NIGHTLY_READERS_DEFAULT;
	char snap[64] = "";

	if (want > CW_NIGHTLY_READERS_MAX)
		want = CW_NIGHTLY_READERS_MAX;
	if (!reader_begin(r->rd, NULL, want > 1, err) ||
	    (want > 1 && !cw_db_value(r->rd, "SELECT pg_export_snapshot()", 0, NULL, snap, sizeof(snap), NULL,
				      err)) ||
	    !load_providers(r, err))
		return false;
	if (want > 1 && !snapshot_id_ok(snap))
		return cw_error_set(err, CW_EXIT_FAIL, "unexpected snapshot id from the database");
	/* No more readers than providers (and one even for none: the records
	 * of closed providers still stream past). */
	r->nparts = (size_t)want > r->nprovs ? (r->nprovs > 0 ? (int)r->nprovs : 1) : want;
	for (int k = 0; k < r->nparts; k++) {
		struct part *pt = &r->parts[k];
		size_t hi = r->nprovs * (size_t)(k + 1) / (size_t)r->nparts;

		pt->r = r;
		pt->index = k;
		pt->lo = r->nprovs * (size_t)k / (size_t)r->nparts;
		pt->n = hi - pt->lo;
		/* The ranges meet at a listed provider's id and the first and last
		 * are open, so every record streams on exactly one reader. */
		pt->sql = cw_intel_stream_sql(k > 0 ? r->ids[pt->lo] : NULL, k < r->nparts - 1 ? r->ids[hi] : NULL);
		if (pt->sql == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		if (k == 0) {
			pt->rd = r->rd;
		} else {
			snprintf(pt->snap_sql, sizeof(pt->snap_sql), "SET TRANSACTION SNAPSHOT '%s'", snap);
			if ((pt->rd = cw_db_open(r->opts->conninfo, err)) == NULL ||
			    !reader_begin(pt->rd, pt->snap_sql, true, err))
				return false;
		}
		if ((pt->cancel = PQgetCancel(cw_db_conn(pt->rd))) == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		cw_error_clear(&pt->err);
	}
	return true;
}

/* End every reader's transaction (read only: nothing to keep), so rd can
 * log a failure afterwards if it must. */
static void
close_readers(struct run *r)
{
	struct cw_error ign;

	for (int k = 0; k < r->nparts; k++) {
		PGconn *c = r->parts[k].rd ? cw_db_conn(r->parts[k].rd) : NULL;
		if (c && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE &&
		    !cw_db_exec(r->parts[k].rd, "ROLLBACK", 0, NULL, &ign)) {
			/* the session is gone, and its transaction with it */
		}
	}
}

/* A part's thread: stream its range and score each active provider as its
 * records end (intelstream.c: the same read as the backtest's); records
 * of closed (unlisted) providers are skipped.  The first part to fail
 * stops the others, cancelling the COPYs still running. */
static void *
part_run(void *arg)
{
	struct part *pt = arg;
	struct run *r = pt->r;
	bool ok, go;

	pthread_mutex_lock(&r->lock);
	go = !r->stopped;
	pthread_mutex_unlock(&r->lock);
	ok = go && cw_intel_stream_sql_run(pt->rd, pt->sql, (const char(*)[CW_UUID_LEN])(r->ids + pt->lo),
					   pt->n, emit, pt, &pt->records, &pt->err);
	pthread_mutex_lock(&r->lock);
	pt->streaming = false;
	pt->ok = ok;
	if (!ok && !r->stopped) {
		char buf[256];
		r->stopped = true;
		r->failed = pt->index;
		for (int k = 0; k < r->nparts; k++)
			if (k != pt->index && r->parts[k].streaming)
				(void)PQcancel(r->parts[k].cancel, buf, sizeof(buf));
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Every part's stream, part 0 on this thread and each other on its own;
 * then the counts, or the first failure as the run's. */
static bool
stream_and_score(struct run *r, struct cw_error *err)
{
	for (int k = 0; k < r->nparts; k++)
		r->parts[k].streaming = true;
	for (int k = 1; k < r->nparts; k++)
		r->parts[k].threaded = pthread_create(&r->parts[k].thread, NULL, part_run, &r->parts[k]) == 0;
	(void)part_run(&r->parts[0]);
	for (int k = 1; k < r->nparts; k++)
		if (r->parts[k].threaded)
			(void)pthread_join(r->parts[k].thread, NULL);
	/* No thread to be had: the same work, one range after another. */
	for (int k = 1; k < r->nparts; k++)
		if (!r->parts[k].threaded)
			(void)part_run(&r->parts[k]);
	for (int k = 0; k < r->nparts; k++)
		r->rep->records += r->parts[k].records;
	if (r->failed >= 0) {
		const struct part *pt = &r->parts[r->failed];
		*err = pt->err;
		r->failure = pt->failure ? pt->failure : "reading";
		return false;
	}
	return true;
}

static long
count_of(PGresult *res)
{
	long n = res ? atol(PQcmdTuples(res)) : 0;
	PQclear(res);
	return n;
}

/* The month-end case counts of the month before the as-of, the first time a
 * run sees that month over (so a rerun changes nothing). */
static bool
record_month_end(struct run *r, struct cw_error *err)
{
	struct cw_date first = cw_london_date(r->opts->as_of), prev;
	char month[16], have[8];
	const char *p[1] = {month};

	first.d = 1;
	prev = cw_date_add_days(first, -1);
	prev.d = 1;
	cw_date_format(prev, month, sizeof(month));
	if (!cw_db_value(r->db, "SELECT EXISTS (SELECT 1 FROM month_end_cases WHERE month = $1::date)",
			 1, p, have, sizeof(have), NULL, err))
		return false;
	if (have[0] == 't')
		return true;
	if (!cw_worklist_record_month_end(r->db, prev, err))
		return false;
	snprintf(r->rep->month_end, sizeof(r->rep->month_end), "%.7s", month);
	return true;
}

/* Stage every active provider's score in the temporary table nightly_score,
 * in db's open transaction: the records stream out on the readers while
 * the scores stream in on db.  r->rd is open; the other readers are opened
 * here, and every reader's transaction is over when this returns. */
static bool
stage(struct run *r, struct cw_error *err)
{
	PGresult *res;

	r->failure = "reading";
	if (!open_readers(r, err))
		return false;
	r->failure = "storing";
	if (!cw_db_exec(r->db, "CREATE TEMP TABLE nightly_score (provider_id uuid PRIMARY KEY,"
			       " score numeric(10,2) NOT NULL, band text NOT NULL, flag boolean NOT NULL,"
			       " detail jsonb NOT NULL, reasons text NOT NULL) ON COMMIT DROP", 0, NULL, err))
		return false;
	res = cw_db_query(r->db, "COPY nightly_score FROM STDIN", 0, NULL, err);
	if (res == NULL)
		return false;
	PQclear(res);
	r->failure = "reading";
	if (!stream_and_score(r, err)) {
		(void)cw_db_copy_end(r->db, "aborted", "scores", err);
		return false;
	}
	r->failure = "storing";
	if (!cw_db_copy_end(r->db, NULL, "scores", err))
		return false;
	if (r->opts->progress && r->rep->providers >= 500)
		fputc('\n', r->opts->progress);
	return true;
}

static bool
stage_scores(struct run *r, struct cw_error *err)
{
	bool ok = stage(r, err);

	close_readers(r);
	return ok;
}

/* Publish the staged scores set-based; everything in the open transaction.
 * A history-only run writes its scores and nothing else. */
static bool
publish(struct run *r, struct cw_error *err)
{
	const char *p[4] = {r->asof, r->rep->ruleset, r->rep->hash, r->rep->run_id};
	PGresult *res;

	if (!r->opts->dry_run && !r->rep->history) {
		/* Which providers change band (for the report), before publishing. */
		res = cw_db_query(r->db,
				  "SELECT count(*) FROM nightly_score n LEFT JOIN provider_current_score c"
				  " ON c.provider_id = n.provider_id WHERE c.band IS DISTINCT FROM n.band",
				  0, NULL, err);
		if (res == NULL)
			return false;
		r->rep->band_changes = atol(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	/* A rerun for the same as-of, rules and data adds nothing: a score is
	 * written unless the provider's latest one for this as-of is the same
	 * (one probe of provider_score_as_of each).  Whether it becomes the
	 * current one is the publish trigger's decision (schema/014): only when
	 * no later as-of is current. */
	res = cw_db_query(r->db,
			  "INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score,"
			  " band, flag, detail, cause, run_id)"
			  " SELECT n.provider_id, $1, $2, $3, n.score, n.band, n.flag, n.detail, 'nightly', $4"
			  " FROM nightly_score n"
			  " LEFT JOIN LATERAL (SELECT ps.ruleset_hash, ps.score, ps.band, ps.flag FROM provider_score ps"
			  "  WHERE ps.provider_id = n.provider_id AND ps.as_of = $1::timestamptz"
			  "  ORDER BY ps.id DESC LIMIT 1) l ON true"
			  " WHERE l.score IS NULL OR l.ruleset_hash <> $3 OR l.score <> n.score OR l.band <> n.band"
			  "  OR l.flag <> n.flag ORDER BY n.provider_id",
			  4, p, err);
	if (res == NULL)
		return false;
	r->rep->scores_written = count_of(res);
	if (r->rep->history)
		return true;
	/* Raise a flag unless one is open, the manager dismissed one at a score
	 * at least as high, or placements are already restricted; the id is
	 * derived so a rerun adds none.  Numbered in provider order, whatever
	 * order the readers staged them in. */
	res = cw_db_query(r->db,
			  "INSERT INTO restriction_flag (id, provider_id, run_id, as_of, score, band, reasons)"
			  " SELECT md5(n.provider_id::text || $1::timestamptz::text)::uuid, n.provider_id,"
			  "  $2::uuid, $1, n.score, n.band, n.reasons FROM nightly_score n"
			  " WHERE n.flag AND NOT EXISTS (SELECT 1 FROM restriction_flag f"
			  "  WHERE f.provider_id = n.provider_id AND (f.state = 'open'"
			  "   OR (f.state = 'dismissed' AND f.score >= n.score)))"
			  " AND NOT EXISTS (SELECT 1 FROM restriction_current x WHERE x.provider_id = n.provider_id"
			  "  AND x.kind = 'all' AND x.starts_on <= $1::timestamptz::date"
			  "  AND (x.ends_on IS NULL OR x.ends_on >= $1::timestamptz::date)"
			  "  AND NOT EXISTS (SELECT 1 FROM restriction_lift l WHERE l.restriction_id = x.id"
			  "   AND l.lifted_on <= $1::timestamptz::date))"
			  " ORDER BY n.provider_id ON CONFLICT DO NOTHING",
			  2, (const char *const[]){r->asof, r->rep->run_id}, err);
	if (res == NULL)
		return false;
	r->rep->flags_raised = count_of(res);
	res = cw_db_query(r->db,
			  "UPDATE restriction_flag f SET state = 'lapsed' FROM nightly_score n"
			  " WHERE f.provider_id = n.provider_id AND f.state = 'open' AND NOT n.flag",
			  0, NULL, err);
	if (res == NULL)
		return false;
	r->rep->flags_lapsed = count_of(res);
	res = cw_db_query(r->db,
			  "UPDATE case_file SET overdue_at = due_at WHERE state = 'open'"
			  " AND due_at < $1::timestamptz AND overdue_at IS NULL",
			  1, p, err);
	if (res == NULL)
		return false;
	r->rep->cases_overdue = count_of(res);
	return record_month_end(r, err);
}

/* Finish the run row through api.nightly_finish: failure NULL for success,
 * else one of its words, with the SQLSTATE when the server gave one. */
static bool
finish_run_row(struct cw_db *db, const struct cw_nightly_report *rep, const char *failure,
	       const char *sqlstate, struct cw_error *err)
{
	char n[6][24];
	const char *p[10];

	snprintf(n[0], sizeof(n[0]), "%ld", rep->providers);
	snprintf(n[1], sizeof(n[1]), "%ld", rep->records);
	snprintf(n[2], sizeof(n[2]), "%ld", rep->scores_written);
	snprintf(n[3], sizeof(n[3]), "%ld", rep->flags_raised);
	snprintf(n[4], sizeof(n[4]), "%ld", rep->flags_lapsed);
	snprintf(n[5], sizeof(n[5]), "%ld", rep->cases_overdue);
	p[0] = rep->run_id;
	p[1] = failure ? "failed" : "succeeded";
	p[2] = failure;
	p[3] = failure && sqlstate && sqlstate[0] ? sqlstate : NULL;
	for (int i = 0; i < 6; i++)
		p[4 + i] = n[i];
	return cw_db_exec(db, "SELECT api.nightly_finish($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10, p,
			  err);
}

static bool
busy_error(struct cw_db *db, struct cw_error *err)
{
	char who[200] = "";
	struct cw_error ign;

	if (!cw_db_value(db, "SELECT to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') || ' by ' || recorded_by"
			     " FROM nightly_run WHERE outcome = 'running' ORDER BY started_at DESC LIMIT 1",
			 0, NULL, who, sizeof(who), NULL, &ign))
		who[0] = '\0';
	cw_error_set(err, CW_EXIT_BUSY, "another nightly run is in progress%s%s%s", who[0] ? " (started " : "",
		     who, who[0] ? ")" : "");
	if (who[0] == '\0')
		cw_error_detail(err, "the scorer may be rescoring every provider (after 'rules activate')");
	cw_error_hint(err, "wait for it to finish; runs never overlap");
	return false;
}

static bool
in_transaction(struct cw_db *db)
{
	PGconn *c = cw_db_conn(db);

	return PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE &&
	       PQtransactionStatus(c) != PQTRANS_UNKNOWN;
}

static void
rollback_quietly(struct cw_db *db)
{
	struct cw_error ign;

	if (in_transaction(db) && !cw_db_exec(db, "ROLLBACK", 0, NULL, &ign)) {
		/* the session is gone, and its transaction with it */
	}
}

/* The run failed after its start row was committed: record why, still
 * under the lock when db's transaction survives; else from rd (the lock is
 * free once db's session is gone); else the next run marks it abandoned. */
static void
record_failure(struct run *r, bool saved, struct cw_error *err)
{
	const char *failure = cw_db_error_is_connection(err) ? "connection"
			      : r->failure			 ? r->failure
								 : "publishing";
	struct cw_error ign;

	if (saved && in_transaction(r->db) && cw_db_exec(r->db, "ROLLBACK TO SAVEPOINT run", 0, NULL, &ign) &&
	    finish_run_row(r->db, r->rep, failure, err->sqlstate, &ign) &&
	    cw_db_exec(r->db, "COMMIT", 0, NULL, &ign))
		return;
	rollback_quietly(r->db);
	if (r->rd && finish_run_row(r->rd, r->rep, failure, err->sqlstate, &ign))
		return;
	cw_error_detail(err, "the run could not be logged as failed either; the next run marks it abandoned");
}

bool
cw_nightly_run(struct cw_db *db, const struct cw_nightly_opts *opts, struct cw_nightly_report *rep,
	       struct cw_error *err)
{
	struct run r;
	struct timespec t0, t1;
	char got[8], latest[32];
	bool ok = false, logged = false, saved = false;

	memset(rep, 0, sizeof(*rep));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_init(&r, db, opts, rep);
	if (!cw_db_exec(db, "BEGIN", 0, NULL, err))
		goto done;
	if (!cw_db_value(db, CW_LOCK_NIGHTLY_TRY_SQL, 0, NULL, got, sizeof(got), NULL, err))
		goto rollback;
	if (got[0] != 't') {
		rollback_quietly(db);
		busy_error(db, err);
		goto done;
	}
	r.rs = cw_scoring_active_required(db, err);
	if (r.rs == NULL)
		goto rollback;
	snprintf(rep->ruleset, sizeof(rep->ruleset), "%s", cw_rules_name(r.rs));
	snprintf(rep->hash, sizeof(rep->hash), "%s", cw_rules_hash(r.rs));
	cw_uuid_new(rep->run_id);
	/* A run for an as-of before the latest published one writes history
	 * only; we hold the lock, so that answer stands for the whole run. */
	if (!cw_db_value(db, "SELECT coalesce(extract(epoch FROM max(as_of))::bigint::text, '')"
			     " FROM nightly_run WHERE outcome = 'succeeded' AND as_of > $1::timestamptz",
			 1, (const char *const[]){r.asof}, latest, sizeof(latest), NULL, err))
		goto rollback;
	rep->history = latest[0] != '\0';
	rep->published_as_of = rep->history ? (cw_time)strtoll(latest, NULL, 10) : 0;
	r.rd = cw_db_open(opts->conninfo, err);
	if (r.rd == NULL)
		goto rollback;
	if (!opts->dry_run) {
		const char *p[4] = {rep->run_id, r.asof, rep->ruleset, rep->hash};
		/* We hold the lock, so a 'running' row is a run that was killed.
		 * The new start row commits at once, on the reading connection. */
		if (!cw_db_exec(db, "SELECT api.nightly_abandon()", 0, NULL, err) ||
		    !cw_db_exec(r.rd, "INSERT INTO nightly_run (id, as_of, ruleset_name, ruleset_hash)"
				      " VALUES ($1, $2, $3, $4)", 4, p, err))
			goto rollback;
		logged = true;
		if (!cw_db_exec(db, "SAVEPOINT run", 0, NULL, err))
			goto fail;
		saved = true;
	}
	if (!stage_scores(&r, err))
		goto fail;
	r.failure = "publishing";
	if (!publish(&r, err))
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (opts->dry_run) {
		ok = cw_db_exec(db, "ROLLBACK", 0, NULL, err);
		goto done;
	}
	if (!finish_run_row(db, rep, NULL, NULL, err) || !cw_db_exec(db, "COMMIT", 0, NULL, err))
		goto fail;
	ok = true;
	goto done;
fail:
	if (logged) {
		record_failure(&r, saved, err);
		goto done;
	}
rollback:
	rollback_quietly(db);
done:
	run_free(&r);
	return ok;
}

bool
cw_nightly_rescore(struct cw_db *db, const char *conninfo, const struct cw_ruleset *rs, cw_time as_of,
		   long *scored, long *records, struct cw_error *err)
{
	struct cw_nightly_opts opts = {.conninfo = conninfo, .as_of = as_of};
	struct cw_nightly_report rep;
	struct run r;
	PGresult *res = NULL;
	bool ok;

	*scored = *records = 0;
	memset(&rep, 0, sizeof(rep));
	run_init(&r, db, &opts, &rep);
	r.rs = rs;
	snprintf(rep.ruleset, sizeof(rep.ruleset), "%s", cw_rules_name(rs));
	snprintf(rep.hash, sizeof(rep.hash), "%s", cw_rules_hash(rs));
	r.rd = cw_db_open(conninfo, err);
	ok = r.rd != NULL && stage_scores(&r, err);
	if (ok) {
		const char *p[3] = {r.asof, rep.ruleset, rep.hash};
		/* Every active provider was scored; the claimed ones are stored,
		 * each with the reason it was queued. */
		res = cw_db_query(db,
				  "INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score,"
				  " band, flag, detail, cause)"
				  " SELECT n.provider_id, $1, $2, $3, n.score, n.band, n.flag, n.detail, c.cause"
				  " FROM nightly_score n JOIN scorer_claim c ON c.provider_id = n.provider_id"
				  " ORDER BY n.provider_id",
				  3, p, err);
		ok = res != NULL;
		*scored = count_of(res);
	}
	*records = rep.records;
	run_free(&r);
	return ok;
}
