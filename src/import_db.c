/*
 * import_db.c - storing a parsed CQC file (see import.h): one transaction of
 * set-based SQL, whatever the file's size.
 *
 *   1. pg_advisory_xact_lock: imports run one at a time.
 *   2. COPY the batch's rows into a TEMP staging table (ON COMMIT DROP).
 *   3. INSERT ... SELECT / ON CONFLICT from the staging table:
 *        directory: organisations by CQC provider ID (created or renamed),
 *                   providers by CQC location ID (created, or changed only
 *                   where a value differs, so a re-import writes nothing);
 *        ratings:   cqc_rating rows with source 'import' and an id derived
 *                   from (location, domain, publication date); the unique
 *                   index cqc_rating_once makes each stored once.
 *   4. Rescore the affected providers (new ratings, changed care types)
 *      under the active ruleset, set-based: one query lists
 *      them, one cursor streams their intelligence in provider order (memory
 *      bounded by one provider's records and one batch of rows), the pure
 *      evaluator scores each, and the scores go back with COPY into
 *      provider_score (cause 'import'), whose trigger publishes the current
 *      score.  This is scoring.c's per-provider refresh done for a set: the
 *      same query (cw_intel_rows_sql), the same evaluator, the same storage.
 *   5. One import_run row with the counts.
 *
 * cw_db_transaction retries the whole unit on a serialization failure or a
 * lost connection; everything in it is derived from the batch in memory and
 * every id is made from CQC's IDs, so a retry writes exactly what the first
 * attempt would have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/import.h"
#include "carewatch/record.h"
#include "carewatch/copybuf.h"
#include "carewatch/scoring.h"
#include "carewatch/vocab.h"

#define IMPORT_LOCK "4242006"
#define FETCH_ROWS "10000"
#define COPY_CHUNK ((size_t)1 << 20)

/* Send len bytes to the COPY FROM STDIN that sql starts, and finish it. */
static bool
copy_in(struct cw_db *db, const char *sql, const char *data, size_t len, struct cw_error *err)
{
	PGconn *c = cw_db_conn(db);
	PGresult *r = cw_db_query(db, sql, 0, NULL, err);
	bool ok = true;

	if (r == NULL)
		return false;
	PQclear(r);
	for (size_t off = 0; off < len; off += COPY_CHUNK) {
		size_t n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
		if (PQputCopyData(c, data + off, (int)n) != 1) {
			ok = false;
			break;
		}
	}
	if (PQputCopyEnd(c, ok ? NULL : "send failed") != 1)
		ok = false;
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ok) {
			const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			cw_error_set(err, st && strncmp(st, "08", 2) == 0 ? CW_EXIT_UNAVAILABLE : CW_EXIT_FAIL,
				     "loading the staging table failed: %s", m ? m : "unknown error");
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st ? st : "XX000");
			ok = false;
		} else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			ok = false;
		}
		PQclear(r);
	}
	if (!ok && err->code == 0) {
		cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while loading the file");
		snprintf(err->sqlstate, sizeof(err->sqlstate), "08006");
	}
	return ok;
}

/* ---- the affected providers: sorted, unique ---- */

struct idset {
	char (*id)[CW_UUID_LEN];
	size_t n, cap;
};

static bool
idset_add(struct idset *s, const char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char (*p)[CW_UUID_LEN] = realloc(s->id, cap * sizeof(*p));
		if (p == NULL)
			return false;
		s->id = p;
		s->cap = cap;
	}
	snprintf(s->id[s->n++], CW_UUID_LEN, "%s", id);
	return true;
}

static int
idcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sort and drop repeats.  The text form of a UUID sorts as PostgreSQL sorts
 * uuid (lower-case hex, fixed layout), which the merge in rescore needs. */
static void
idset_finish(struct idset *s)
{
	size_t w = 0;

	qsort(s->id, s->n, sizeof(*s->id), idcmp);
	for (size_t i = 0; i < s->n; i++)
		if (w == 0 || strcmp(s->id[w - 1], s->id[i]) != 0)
			memmove(s->id[w++], s->id[i], CW_UUID_LEN);
	s->n = w;
}

/* "{id,id,...}" for a uuid[] parameter.  Caller frees. */
static char *
idset_array(const struct idset *s)
{
	char *a = malloc(s->n * CW_UUID_LEN + 3), *p = a;

	if (a == NULL)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, s->id[i], CW_UUID_LEN - 1);
		p += CW_UUID_LEN - 1;
	}
	*p++ = '}';
	*p = '\0';
	return a;
}

/* ---- the unit of work ---- */

struct job {
	struct cw_import_batch *b;
	const struct cw_import_opts *o;
	struct cw_import_result *res;
	struct idset affected;
};

static long
num(const PGresult *r, int row, int col)
{
	return PQntuples(r) > row && !PQgetisnull(r, row, col) ? atol(PQgetvalue(r, row, col)) : 0;
}

static bool
store_directory(struct cw_db *db, struct job *j, struct cw_error *err)
{
	struct cw_import_result *res = j->res;
	PGresult *r;

	if (!cw_db_exec(db, "CREATE TEMP TABLE import_directory_rows (line int NOT NULL,"
			    " location_id text NOT NULL, cqc_provider_id text NOT NULL, new_id uuid NOT NULL,"
			    " org_id uuid NOT NULL, name text NOT NULL, provider_name text NOT NULL,"
			    " care_type text NOT NULL, postcode text NOT NULL, district text NOT NULL)"
			    " ON COMMIT DROP", 0, NULL, err) ||
	    !copy_in(db, "COPY import_directory_rows FROM STDIN", j->b->copy, j->b->copy_len, err) ||
	    /* Each row with its locality (from the postcode map) and the
	     * provider already holding its CQC location ID, if any. */
	    !cw_db_exec(db, "CREATE TEMP TABLE import_directory ON COMMIT DROP AS"
			    " SELECT d.*, pd.locality, p.id AS provider_id, p.care_type AS old_care_type"
			    " FROM import_directory_rows d"
			    " LEFT JOIN postcode_district pd ON pd.district = d.district"
			    " LEFT JOIN provider p ON p.cqc_location_id = d.location_id", 0, NULL, err) ||
	    !cw_db_exec(db, "ANALYZE import_directory", 0, NULL, err))
		return false;

	/* A new provider needs a locality; one already held keeps its own. */
	r = cw_db_query(db, "SELECT district, count(*) FROM import_directory"
			    " WHERE provider_id IS NULL AND locality IS NULL"
			    " GROUP BY district ORDER BY count(*) DESC, district", 0, NULL, err);
	if (r == NULL)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		res->skipped_no_locality += num(r, i, 1);
		if (res->n_districts < CW_IMPORT_MAX_VALUES) {
			struct cw_import_value *v = &res->districts[res->n_districts++];
			snprintf(v->value, sizeof(v->value), "%s", PQgetvalue(r, i, 0));
			v->n = num(r, i, 1);
		}
	}
	PQclear(r);

	/* Organisations by CQC provider ID: the first row's name wins. */
	r = cw_db_query(db,
			"WITH src AS (SELECT DISTINCT ON (cqc_provider_id) cqc_provider_id, provider_name, org_id"
			"   FROM import_directory WHERE provider_id IS NOT NULL OR locality IS NOT NULL"
			"  ORDER BY cqc_provider_id, line),"
			" up AS (INSERT INTO organisation AS o (id, name, cqc_provider_id)"
			"   SELECT org_id, provider_name, cqc_provider_id FROM src"
			"   ON CONFLICT (cqc_provider_id) DO UPDATE SET name = EXCLUDED.name"
			"   WHERE o.name IS DISTINCT FROM EXCLUDED.name"
			"   RETURNING (xmax = 0) AS created)"
			" SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up",
			0, NULL, err);
	if (r == NULL)
		return false;
	res->organisations_created = num(r, 0, 0);
	res->organisations_updated = num(r, 0, 1);
	PQclear(r);

	/* Providers already held: change only what differs.  The locality
	 * follows the postcode only when the postcode moved to a mapped
	 * district, so a locality a manager set by hand survives re-imports. */
	r = cw_db_query(db,
			"UPDATE provider p SET name = d.name, care_type = d.care_type, postcode = d.postcode,"
			"  organisation_id = o.id,"
			"  locality = CASE WHEN p.postcode IS DISTINCT FROM d.postcode"
			"                  THEN coalesce(d.locality, p.locality) ELSE p.locality END"
			" FROM import_directory d JOIN organisation o ON o.cqc_provider_id = d.cqc_provider_id"
			" WHERE p.id = d.provider_id"
			"   AND (p.name, p.care_type, p.postcode, p.organisation_id)"
			"       IS DISTINCT FROM (d.name, d.care_type, d.postcode, o.id)"
			" RETURNING p.id, d.old_care_type IS DISTINCT FROM d.care_type",
			0, NULL, err);
	if (r == NULL)
		return false;
	res->updated = PQntuples(r);
	for (int i = 0; i < PQntuples(r); i++)
		if (PQgetvalue(r, i, 1)[0] == 't' && !idset_add(&j->affected, PQgetvalue(r, i, 0))) {
			PQclear(r);
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		}
	PQclear(r);

	/* New providers.  Like `provider add`, a new provider has no score
	 * until it has intelligence (its ratings, next) or the nightly run. */
	r = cw_db_query(db,
			"WITH ins AS (INSERT INTO provider (id, organisation_id, name, care_type, locality,"
			"  cqc_location_id, postcode)"
			" SELECT d.new_id, o.id, d.name, d.care_type, d.locality, d.location_id, d.postcode"
			" FROM import_directory d JOIN organisation o ON o.cqc_provider_id = d.cqc_provider_id"
			" WHERE d.provider_id IS NULL AND d.locality IS NOT NULL"
			" ON CONFLICT DO NOTHING RETURNING 1)"
			" SELECT count(*) FROM ins",
			0, NULL, err);
	if (r == NULL)
		return false;
	res->imported = num(r, 0, 0);
	PQclear(r);
	res->unchanged = j->b->staged - res->imported - res->updated - res->skipped_no_locality;
	return true;
}

static bool
store_ratings(struct cw_db *db, struct job *j, struct cw_error *err)
{
	struct cw_import_result *res = j->res;
	PGresult *r;
	char buf[32];

	if (!cw_db_exec(db, "CREATE TEMP TABLE import_rating (line int NOT NULL, id uuid NOT NULL,"
			    " location_id text NOT NULL, domain text NOT NULL, rating text NOT NULL,"
			    " published_on date NOT NULL) ON COMMIT DROP", 0, NULL, err) ||
	    !copy_in(db, "COPY import_rating FROM STDIN", j->b->copy, j->b->copy_len, err) ||
	    !cw_db_exec(db, "ANALYZE import_rating", 0, NULL, err) ||
	    !cw_db_value(db, "SELECT count(*) FROM import_rating r WHERE NOT EXISTS"
			     " (SELECT 1 FROM provider p WHERE p.cqc_location_id = r.location_id)",
			     0, NULL, buf, sizeof(buf), NULL, err))
		return false;
	res->skipped_unknown_location = atol(buf);

	/* Stored once per (provider, domain, publication date): a rating held
	 * already (imported before, or typed in with `cqc add`) stays.  The
	 * anti-join leaves only new ratings to insert, so a month's file,
	 * mostly ratings already held, costs little; ON CONFLICT still guards
	 * against a rating typed in meanwhile (imports themselves are
	 * serialised by the lock).  In provider order, the index insertions
	 * and the foreign-key checks touch each page once (a quarter faster
	 * than file order at national size). */
	r = cw_db_query(db,
			"WITH ins AS (INSERT INTO cqc_rating (id, provider_id, domain, rating, published_on,"
			"  source)"
			" SELECT r.id, p.id, r.domain, r.rating, r.published_on, 'import'"
			" FROM import_rating r JOIN provider p ON p.cqc_location_id = r.location_id"
			" WHERE NOT EXISTS (SELECT 1 FROM cqc_rating c WHERE c.provider_id = p.id"
			"   AND c.domain = r.domain AND c.published_on = r.published_on"
			"   AND c.supersedes IS NULL)"
			" ORDER BY p.id, r.domain, r.published_on"
			" ON CONFLICT DO NOTHING RETURNING provider_id)"
			" SELECT provider_id, count(*) FROM ins GROUP BY provider_id",
			0, NULL, err);
	if (r == NULL)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		res->imported += num(r, i, 1);
		if (!idset_add(&j->affected, PQgetvalue(r, i, 0))) {
			PQclear(r);
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		}
	}
	PQclear(r);
	res->unchanged = j->b->staged - res->imported - res->skipped_unknown_location;
	return true;
}

/* ---- rescoring the affected providers ---- */

struct prov {
	char id[CW_UUID_LEN];
	enum cw_care_type care_type;
	int beds;
};

struct scorer {
	struct cw_db *db;
	const struct cw_ruleset *rs;
	cw_time as_of;
	char as_of_text[CW_DATETIME_LEN];
	struct prov *provs;
	size_t n, next;
	struct cw_provider_intel pi;
	struct cw_copybuf out;                 /* provider_score rows, COPY text */
	long scored;
};

static bool
flush_scores(struct scorer *s, struct cw_error *err)
{
	bool ok;

	if (s->out.n == 0)
		return true;
	ok = copy_in(s->db, "COPY provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score,"
			    " band, flag, detail, cause) FROM STDIN", s->out.p, s->out.n, err);
	s->out.n = 0;
	return ok;
}

/* Score provs[next] from the records gathered in s->pi and queue the row. */
static bool
score_next(struct scorer *s, struct cw_error *err)
{
	const struct prov *p = &s->provs[s->next++];
	struct cw_score sc;
	char total[32];
	char *json;
	bool ok;

	memset(&sc, 0, sizeof(sc));
	snprintf(s->pi.provider_id, sizeof(s->pi.provider_id), "%s", p->id);
	s->pi.care_type = p->care_type;
	s->pi.beds = p->beds;
	if (!cw_score_evaluate_summary(s->rs, &s->pi, s->as_of, &sc, err)) {
		cw_score_free(&sc);
		return false;
	}
	json = cw_score_summary_json(&sc);
	snprintf(total, sizeof(total), "%.2f", sc.total);
	ok = json != NULL && cw_copybuf_field(&s->out, p->id, '\t') && cw_copybuf_field(&s->out, s->as_of_text, '\t') &&
	     cw_copybuf_field(&s->out, sc.ruleset, '\t') && cw_copybuf_field(&s->out, sc.hash, '\t') &&
	     cw_copybuf_field(&s->out, total, '\t') &&
	     cw_copybuf_field(&s->out, cw_vocab_word(&cw_vocab_risk, (int)sc.band), '\t') &&
	     cw_copybuf_field(&s->out, sc.flag ? "t" : "f", '\t') && cw_copybuf_field(&s->out, json, '\t') &&
	     cw_copybuf_field(&s->out, "import", '\n');
	free(json);
	cw_score_free(&sc);
	cw_intel_reset(&s->pi);
	if (!ok)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	s->scored++;
	return s->out.n < 8 * COPY_CHUNK || flush_scores(s, err);
}

/* Score every provider before `upto` in id order (NULL: all that are left). */
static bool
score_until(struct scorer *s, const char *upto, struct cw_error *err)
{
	while (s->next < s->n && (upto == NULL || strcmp(s->provs[s->next].id, upto) < 0))
		if (!score_next(s, err))
			return false;
	return true;
}

static bool
rescore(struct cw_db *db, struct job *j, struct cw_error *err)
{
	/* db.c keeps statement texts by pointer to reuse them, so this one,
	 * built from cw_intel_rows_sql at run time, lives as long as the
	 * process (it is made once). */
	static char *declare_sql;
	struct scorer s;
	const char *p[1];
	char *arr;
	PGresult *r;
	bool none, ok = false;

	j->res->rescored = 0;
	if (j->affected.n == 0)
		return true;
	memset(&s, 0, sizeof(s));
	s.rs = cw_scoring_active(db, &none, err);
	if (s.rs == NULL)
		return none;       /* no ruleset yet: nothing to score with */
	if (declare_sql == NULL) {
		static const char fmt[] = "DECLARE import_intel NO SCROLL CURSOR FOR SELECT * FROM (%s) i"
					  " WHERE i.provider_id = ANY($1::uuid[]) ORDER BY 1";
		size_t len = strlen(cw_intel_rows_sql) + sizeof(fmt);
		declare_sql = malloc(len);
		if (declare_sql == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		snprintf(declare_sql, len, fmt, cw_intel_rows_sql);
	}
	idset_finish(&j->affected);
	arr = idset_array(&j->affected);
	if (arr == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	p[0] = arr;
	s.db = db;
	s.as_of = (cw_time)time(NULL);
	cw_time_format_utc(s.as_of, s.as_of_text, sizeof(s.as_of_text));
	cw_intel_init(&s.pi);

	/* As the nightly batch: active providers only. */
	r = cw_db_query(db, "SELECT id, care_type, coalesce(beds, -1) FROM provider"
			    " WHERE id = ANY($1::uuid[]) AND status = 'active' ORDER BY id", 1, p, err);
	if (r == NULL)
		goto out;
	s.n = (size_t)PQntuples(r);
	s.provs = calloc(s.n + 1, sizeof(*s.provs));
	if (s.provs == NULL) {
		PQclear(r);
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		int ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(r, (int)i, 1));
		snprintf(s.provs[i].id, sizeof(s.provs[i].id), "%s", PQgetvalue(r, (int)i, 0));
		s.provs[i].care_type = ct < 0 ? CW_CARE_HOME_CARE : (enum cw_care_type)ct;
		s.provs[i].beds = atoi(PQgetvalue(r, (int)i, 2));
	}
	PQclear(r);

	/* The providers' intelligence, in provider order.  The array
	 * parameter is a plain qual, so PostgreSQL pushes it into every arm of
	 * the query's UNION ALL and reads only these providers' rows. */
	if (!cw_db_exec(db, declare_sql, 1, p, err))
		goto out;
	for (;;) {
		int n;
		r = cw_db_query(db, "FETCH FORWARD " FETCH_ROWS " FROM import_intel", 0, NULL, err);
		if (r == NULL)
			goto out;
		n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			const char *pid = PQgetvalue(r, i, 0);
			if (!score_until(&s, pid, err)) {
				PQclear(r);
				goto out;
			}
			if (s.next < s.n && strcmp(s.provs[s.next].id, pid) == 0 &&
			    !cw_intel_add_row(&s.pi, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
					      PQgetvalue(r, i, 3),
					      PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
					      PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
					      PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6))) {
				cw_error_set(err, CW_EXIT_FAIL, "unexpected %s record %s", PQgetvalue(r, i, 1),
					     PQgetvalue(r, i, 2));
				PQclear(r);
				goto out;
			}
		}
		PQclear(r);
		if (n == 0)
			break;
	}
	ok = cw_db_exec(db, "CLOSE import_intel", 0, NULL, err) && score_until(&s, NULL, err) &&
	     flush_scores(&s, err);
	j->res->rescored = s.scored;
out:
	cw_intel_free(&s.pi);
	free(s.provs);
	free(s.out.p);
	free(arr);
	return ok;
}

/* ---- the transaction ---- */

static bool
log_run(struct cw_db *db, struct job *j, struct cw_error *err)
{
	const struct cw_import_batch *b = j->b;
	const struct cw_import_result *res = j->res;
	struct cw_copybuf js = {0};
	char n[9][24], skipped_total[24];
	long skipped = 0;
	const char *p[16];
	bool ok;

	for (int i = 0; i < CW_SKIP__N; i++) {
		long v = b->skipped[i] + (i == CW_SKIP_NO_LOCALITY ? res->skipped_no_locality : 0) +
			 (i == CW_SKIP_UNKNOWN_LOCATION ? res->skipped_unknown_location : 0);
		char item[80];
		skipped += v;
		snprintf(item, sizeof(item), "%s\"%s\": %ld", js.n ? ", " : "{",
			 cw_import_skip_word((enum cw_import_skip)i), v);
		if (!cw_copybuf_str(&js, item)) {
			free(js.p);
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		}
	}
	if (!cw_copybuf_str(&js, "}")) {
		free(js.p);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	snprintf(skipped_total, sizeof(skipped_total), "%ld", skipped);
	snprintf(n[0], sizeof(n[0]), "%ld", b->read);
	snprintf(n[1], sizeof(n[1]), "%ld", res->imported);
	snprintf(n[2], sizeof(n[2]), "%ld", res->updated);
	snprintf(n[3], sizeof(n[3]), "%ld", res->unchanged);
	snprintf(n[4], sizeof(n[4]), "%ld", b->rejected);
	snprintf(n[5], sizeof(n[5]), "%ld", res->organisations_created);
	snprintf(n[6], sizeof(n[6]), "%ld", res->organisations_updated);
	snprintf(n[7], sizeof(n[7]), "%ld", res->rescored);
	p[0] = res->run_id;
	p[1] = b->kind == CW_IMPORT_DIRECTORY ? "cqc_directory" : "cqc_ratings";
	p[2] = b->file;
	p[3] = b->sha256;
	p[4] = j->o->local_authority;
	p[5] = n[0];
	p[6] = n[1];
	p[7] = n[2];
	p[8] = n[3];
	p[9] = skipped_total;
	p[10] = n[4];
	p[11] = js.p;
	p[12] = n[5];
	p[13] = n[6];
	p[14] = n[7];
	ok = cw_db_exec(db,
			"INSERT INTO import_run (id, kind, file_name, file_sha256, local_authority, rows_read,"
			" imported, updated, unchanged, skipped, rejected, skipped_by_reason,"
			" organisations_created, organisations_updated, rescored)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
			15, p, err);
	free(js.p);
	return ok;
}

static bool
work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct job *j = ctx;
	struct cw_import_result *res = j->res;
	char run_id[CW_UUID_LEN];
	const char *p[2];
	PGresult *r;

	/* A retry starts again from the batch: forget the last attempt. */
	snprintf(run_id, sizeof(run_id), "%s", res->run_id);
	memset(res, 0, sizeof(*res));
	snprintf(res->run_id, sizeof(res->run_id), "%s", run_id);
	j->affected.n = 0;

	if (!cw_db_exec(db, "SELECT pg_advisory_xact_lock(" IMPORT_LOCK ")", 0, NULL, err))
		return false;
	p[0] = j->b->sha256;
	p[1] = j->b->kind == CW_IMPORT_DIRECTORY ? "cqc_directory" : "cqc_ratings";
	r = cw_db_query(db, "SELECT to_char(recorded_at, 'YYYY-MM-DD HH24:MI'), recorded_by"
			    " FROM import_run WHERE file_sha256 = $1 AND kind = $2"
			    " ORDER BY recorded_at DESC LIMIT 1", 2, p, err);
	if (r == NULL)
		return false;
	if (PQntuples(r) == 1)
		snprintf(res->previous, sizeof(res->previous), "%s by %s", PQgetvalue(r, 0, 0),
			 PQgetvalue(r, 0, 1));
	PQclear(r);
	if (!(j->b->kind == CW_IMPORT_DIRECTORY ? store_directory(db, j, err) : store_ratings(db, j, err)))
		return false;
	return rescore(db, j, err) && log_run(db, j, err);
}

bool
cw_import_may(struct cw_db *db, struct cw_error *err)
{
	char v[8];

	if (!cw_db_value(db, "SELECT has_table_privilege('import_run', 'INSERT')"
			     " AND has_table_privilege('provider', 'UPDATE')", 0, NULL, v, sizeof(v), NULL, err))
		return false;
	if (v[0] == 't')
		return true;
	cw_error_set(err, CW_EXIT_DENIED, "permission denied for role %s: importing CQC files is for managers",
		     cw_db_user(db));
	cw_error_hint(err, "ask the database owner: carewatch db role add %s --as manager", cw_db_user(db));
	return false;
}

bool
cw_import_store(struct cw_db *db, struct cw_import_batch *b, const struct cw_import_opts *o,
		struct cw_import_result *res, struct cw_error *err)
{
	struct job j;
	struct timespec t0, t1;
	bool ok;

	memset(res, 0, sizeof(*res));
	memset(&j, 0, sizeof(j));
	j.b = b;
	j.o = o;
	j.res = res;
	cw_uuid_new(res->run_id);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok = cw_db_transaction(db, "READ COMMITTED", work, &j, NULL, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(j.affected.id);
	if (!ok)
		return false;
	b->skipped[CW_SKIP_NO_LOCALITY] += res->skipped_no_locality;
	b->skipped[CW_SKIP_UNKNOWN_LOCATION] += res->skipped_unknown_location;
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return true;
}
