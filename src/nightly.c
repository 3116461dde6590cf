/*
 * nightly.c - the nightly batch and the scorer's bulk rescore (see nightly.h
 * for the design).
 *
 * Two connections: `db` (the caller's) holds the run lock and does every
 * write in one transaction; `rd` streams the intelligence with COPY TO
 * STDOUT.  A COPY can't run in both directions on one connection, and this
 * way the results stream into the staging table while the records stream out,
 * so neither side buffers the night's work in memory.
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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "carewatch/calendar.h"
#include "carewatch/copybuf.h"
#include "carewatch/nightly.h"
#include "carewatch/record.h"
#include "carewatch/scoring.h"
#include "carewatch/worklist.h"

struct prov {
	char id[CW_UUID_LEN];
	uuid_t bin;                     /* the id as the binary stream has it */
	enum cw_care_type care_type;
	int beds;
};

struct run {
	struct cw_db *db, *rd;
	const struct cw_ruleset *rs;
	const struct cw_nightly_opts *opts;
	struct cw_nightly_report *rep;
	struct prov *provs;
	size_t nprovs, next;
	struct cw_provider_intel pi;
	struct cw_copybuf out;
	char asof[40];
	const char *failure;            /* what failed, in api.nightly_finish's words */
	char *copy_sql;                 /* the COPY sent on rd: db.c's statement cache points
					   at it, so it lives as long as rd */
};

static bool
copy_put(struct run *r, struct cw_error *err)
{
	if (PQputCopyData(cw_db_conn(r->db), r->out.p, (int)r->out.n) != 1) {
		r->failure = "storing";
		return cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while writing scores");
	}
	return true;
}

/* Score the provider whose records are in r->pi and stream the result. */
static bool
emit(struct run *r, const struct prov *p, struct cw_error *err)
{
	struct cw_score s;
	char num[32];
	char *json;
	bool ok;

	memset(&s, 0, sizeof(s));
	snprintf(r->pi.provider_id, sizeof(r->pi.provider_id), "%s", p->id);
	r->pi.care_type = p->care_type;
	r->pi.beds = p->beds;
	if (!cw_score_evaluate_summary(r->rs, &r->pi, r->opts->as_of, &s, err)) {
		r->failure = "scoring";
		return false;
	}
	json = cw_score_summary_json(&s);
	snprintf(num, sizeof(num), "%.2f", s.total);
	r->out.n = 0;
	ok = json != NULL && cw_copybuf_field(&r->out, p->id, '\t') && cw_copybuf_field(&r->out, num, '\t') &&
	     cw_copybuf_field(&r->out, cw_vocab_word(&cw_vocab_risk, (int)s.band), '\t') &&
	     cw_copybuf_field(&r->out, s.flag ? "t" : "f", '\t') && cw_copybuf_field(&r->out, json, '\t') &&
	     cw_copybuf_field(&r->out, s.flag_reasons, '\n');
	free(json);
	cw_score_free(&s);
	if (!ok)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	r->rep->providers++;
	if (r->opts->progress && r->rep->providers % 500 == 0)
		fprintf(r->opts->progress, "\rnightly: scored %ld of %zu providers", r->rep->providers,
			r->nprovs);
	return copy_put(r, err);
}

/* Score every listed provider before `upto` (NULL: all), in id order (a
 * uuid's order is its bytes' order, in PostgreSQL as here). */
static bool
flush_until(struct run *r, const unsigned char *upto, struct cw_error *err)
{
	while (r->next < r->nprovs && (upto == NULL || memcmp(r->provs[r->next].bin, upto, 16) < 0)) {
		/* r->out owns its buffer across calls (freed at the end of the run);
		 * the analyzer loses it through cw_copybuf_add's realloc. */
		if (!emit(r, &r->provs[r->next], err))
			return false; // NOLINT(clang-analyzer-unix.Malloc)
		cw_intel_reset(&r->pi); // NOLINT(clang-analyzer-unix.Malloc)
		r->next++;
	}
	return true;
}

/* The intelligence arrives in COPY's binary format (PostgreSQL manual, "COPY",
 * "Binary Format"): a header once, then per row a 16-bit field count and per
 * field a 32-bit length (-1 for NULL) and the bytes, all big-endian; a count
 * of -1 ends it.  Binary spares the server turning two uuids and a bigint
 * into text for each of ten million rows (a quarter of the stream's time).
 * The fields are the query's seven: provider uuid, kind, record uuid, time
 * (int8), then three texts. */
static const char copy_signature[11] = "PGCOPY\n\377\r\n";

struct field {
	const unsigned char *p;
	int32_t len;                    /* -1: NULL */
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The fields of one row message; 0 at the end marker, -1 when malformed. */
static int
binary_row(const unsigned char *p, size_t len, bool *header, struct field *f, int n)
{
	const unsigned char *end = p + len;
	int16_t count;

	if (!*header) {
		if (len < 19 || memcmp(p, copy_signature, sizeof(copy_signature)) != 0 ||
		    be32(p + 15) > len - 19)
			return -1;
		p += 19 + be32(p + 15);
		*header = true;
	}
	if (end - p < 2)
		return -1;
	count = (int16_t)(p[0] << 8 | p[1]);
	p += 2;
	if (count == -1)
		return 0;
	if (count != n)
		return -1;
	for (int k = 0; k < n; k++) {
		if (end - p < 4)
			return -1;
		f[k].len = (int32_t)be32(p);
		p += 4;
		f[k].p = p;
		if (f[k].len == -1)
			continue;
		if (f[k].len < 0 || end - p < f[k].len)
			return -1;
		p += f[k].len;
	}
	return p == end ? n : -1;
}

/* A text field as a C string in buf (NULL for SQL NULL); false when it does
 * not fit, which no vocabulary word or number comes near. */
static bool
field_text(const struct field *f, char *buf, size_t size, const char **out)
{
	if (f->len == -1) {
		*out = NULL;
		return true;
	}
	if ((size_t)f->len >= size)
		return false;
	memcpy(buf, f->p, (size_t)f->len);
	buf[f->len] = '\0';
	*out = buf;
	return true;
}

/* Add one streamed record to r->pi. */
static bool
add_record(struct run *r, const struct field *f, struct cw_error *err)
{
	char kind[16], a[64], b[64], c[64], id[CW_UUID_LEN];
	const char *k, *pa, *pb, *pc;
	uint64_t at;

	if (f[2].len != 16 || f[3].len != 8 || !field_text(&f[1], kind, sizeof(kind), &k) || k == NULL ||
	    !field_text(&f[4], a, sizeof(a), &pa) || !field_text(&f[5], b, sizeof(b), &pb) ||
	    !field_text(&f[6], c, sizeof(c), &pc))
		return cw_error_set(err, CW_EXIT_FAIL, "malformed intelligence row from the database");
	uuid_unparse_lower(f[2].p, id);
	at = (uint64_t)be32(f[3].p) << 32 | be32(f[3].p + 4);
	if (!cw_intel_add(&r->pi, k, id, (cw_time)(int64_t)at, pa, pb, pc))
		return cw_error_set(err, CW_EXIT_FAIL, "unexpected %s record %s", k, id);
	return true;
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
	if (r->provs == NULL) {
		PQclear(res);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < r->nprovs; i++) {
		int ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(res, (int)i, 1));
		snprintf(r->provs[i].id, sizeof(r->provs[i].id), "%s", PQgetvalue(res, (int)i, 0));
		if (uuid_parse(r->provs[i].id, r->provs[i].bin) != 0) {
			PQclear(res);
			return cw_error_set(err, CW_EXIT_FAIL, "malformed provider id from the database");
		}
		r->provs[i].care_type = ct < 0 ? CW_CARE_HOME_CARE : (enum cw_care_type)ct;
		r->provs[i].beds = atoi(PQgetvalue(res, (int)i, 2));
	}
	PQclear(res);
	return true;
}

/* Stream every record (ordered by provider) and score as providers end. */
static bool
stream_and_score(struct run *r, struct cw_error *err)
{
	PGconn *rc = cw_db_conn(r->rd);
	size_t cmdlen = strlen(cw_intel_rows_sql) + sizeof("COPY () TO STDOUT (FORMAT binary)");
	char *cmd = r->copy_sql = malloc(cmdlen);
	char *row = NULL;
	int n;
	unsigned char cur[16];
	bool have_cur = false, skipping = false, header = false, ended = false;

	if (cmd == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	snprintf(cmd, cmdlen, "COPY (%s) TO STDOUT (FORMAT binary)", cw_intel_rows_sql);
	if (!cw_db_exec(r->rd, "SET work_mem = '256MB'", 0, NULL, err))
		return false;
	{
		PGresult *res = cw_db_query(r->rd, cmd, 0, NULL, err);
		if (res == NULL)
			return false;
		PQclear(res);
	}
	while ((n = PQgetCopyData(rc, &row, 0)) > 0) {
		struct field f[7];
		int got = ended ? -1 : binary_row((const unsigned char *)row, (size_t)n, &header, f, 7);

		if (got == 0) {
			ended = true;
			PQfreemem(row);
			continue;
		}
		if (got != 7 || f[0].len != 16) {
			PQfreemem(row);
			return cw_error_set(err, CW_EXIT_FAIL, "malformed intelligence row from the database");
		}
		r->rep->records++;
		if (!have_cur || memcmp(f[0].p, cur, 16) != 0) {
			/* A new provider: finish every listed provider before it. */
			if (have_cur && !skipping) {
				if (!emit(r, &r->provs[r->next], err)) {
					PQfreemem(row);
					return false;
				}
				cw_intel_reset(&r->pi);
				r->next++;
			}
			memcpy(cur, f[0].p, 16);
			have_cur = true;
			if (!flush_until(r, cur, err)) {
				PQfreemem(row);
				return false;
			}
			/* Records of a closed (unlisted) provider are not scored. */
			skipping = !(r->next < r->nprovs && memcmp(r->provs[r->next].bin, cur, 16) == 0);
		}
		if (!skipping && !add_record(r, f, err)) {
			PQfreemem(row);
			return false;
		}
		PQfreemem(row);
	}
	if (n == -2) {
		return cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while reading: %s",
				    PQerrorMessage(rc));
	}
	{
		PGresult *res;
		while ((res = PQgetResult(rc)) != NULL) {
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				cw_error_set(err, CW_EXIT_FAIL, "reading intelligence failed: %s",
					     PQresultErrorMessage(res));
				PQclear(res);
				return false;
			}
			PQclear(res);
		}
	}
	if (have_cur && !skipping) {
		if (!emit(r, &r->provs[r->next], err))
			return false;
		cw_intel_reset(&r->pi);
		r->next++;
	}
	return flush_until(r, NULL, err);
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
 * in db's open transaction: the records stream out on r->rd while the scores
 * stream in on db.  r->pi is initialised and r->rd open. */
static bool
stage_scores(struct run *r, struct cw_error *err)
{
	PGresult *res;
	bool copy_ok = true;

	r->failure = "reading";
	if (!load_providers(r, err))
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
		PQputCopyEnd(cw_db_conn(r->db), "aborted");
		while ((res = PQgetResult(cw_db_conn(r->db))) != NULL)
			PQclear(res);
		return false;
	}
	r->failure = "storing";
	if (PQputCopyEnd(cw_db_conn(r->db), NULL) != 1)
		return cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while writing scores");
	while ((res = PQgetResult(cw_db_conn(r->db))) != NULL) {
		if (copy_ok && PQresultStatus(res) != PGRES_COMMAND_OK) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			/* The server's message, never its detail (which could quote a row). */
			cw_error_set(err, CW_EXIT_FAIL, "storing scores failed: %s",
				     PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
					     ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "no message");
			if (st)
				snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st);
			copy_ok = false;
		}
		PQclear(res);
	}
	if (copy_ok && r->opts->progress && r->rep->providers >= 500)
		fputc('\n', r->opts->progress);
	return copy_ok;
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
	 * derived so a rerun adds none. */
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
			  " ON CONFLICT DO NOTHING",
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
	bool none, ok = false, logged = false, saved = false;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.db = db;
	r.opts = opts;
	r.rep = rep;
	cw_intel_init(&r.pi);
	cw_time_format_utc(opts->as_of, r.asof, sizeof(r.asof));
	if (!cw_db_exec(db, "BEGIN", 0, NULL, err))
		goto done;
	if (!cw_db_value(db, "SELECT api.lock_take('nightly', false)", 0, NULL, got, sizeof(got), NULL, err))
		goto rollback;
	if (got[0] != 't') {
		rollback_quietly(db);
		busy_error(db, err);
		goto done;
	}
	r.rs = cw_scoring_active(db, &none, err);
	if (r.rs == NULL) {
		if (none) {
			cw_error_set(err, CW_EXIT_NOTFOUND, "no ruleset is active");
			cw_error_hint(err, "activate one with 'carewatch rules activate rules/default.rules'");
		}
		goto rollback;
	}
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
	cw_intel_free(&r.pi);
	free(r.provs);
	cw_copybuf_free(&r.out);
	cw_db_close(r.rd);
	free(r.copy_sql);
	return ok;
}

bool
cw_nightly_rescore(struct cw_db *db, const char *conninfo, const struct cw_ruleset *rs, cw_time as_of,
		   long *scored, long *records, struct cw_error *err)
{
	struct cw_nightly_opts opts = {conninfo, as_of, false, NULL};
	struct cw_nightly_report rep;
	struct run r;
	PGresult *res = NULL;
	bool ok;

	*scored = *records = 0;
	memset(&rep, 0, sizeof(rep));
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.opts = &opts;
	r.rep = &rep;
	r.rs = rs;
	cw_intel_init(&r.pi);
	cw_time_format_utc(as_of, r.asof, sizeof(r.asof));
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
	cw_intel_free(&r.pi);
	free(r.provs);
	cw_copybuf_free(&r.out);
	cw_db_close(r.rd);
	free(r.copy_sql);
	return ok;
}
