/*
 * scoring.c - gathering a provider's intelligence, scoring it, storing the
 * score (see scoring.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/calendar.h"
#include "carewatch/copybuf.h"
#include "carewatch/scoring.h"

/* Every kind as (provider_id, kind, id, at, a, b, c), times as epoch seconds
 * and dates as their midnight UTC, as intel.h expects.  Free text is never
 * read: the batch role is not granted it.  FROM(t) and WHERE(t) say where a
 * kind's current rows come from (x is the row; l a restriction's lift; f a
 * PAMMS audit's finalisation: only a final audit is read, from the day it
 * was published).
 *
 * For every provider they come from the *_current views.  For one provider
 * they come from the tables with the views' own test ("no row supersedes
 * it and it is not withdrawn", schema/030_corrections.sql) written out:
 * the same rows, but a new connection plans it faster, since nothing has
 * to open and expand ten view definitions first, and a one-shot command
 * is always on a new connection. */
#define INTEL_ROWS(FROM, WHERE)                                                                   \
	"SELECT x.provider_id, 'concern', x.id, extract(epoch FROM x.received_at)::bigint, x.risk,"    \
	"  x.category, x.safeguarding::text FROM " FROM("concern") WHERE("concern")                   \
	" UNION ALL SELECT x.provider_id, 'visit', x.id, extract(epoch FROM x.visited_at)::bigint,"    \
	"  x.kind, x.outcome, NULL FROM " FROM("visit") WHERE("visit")                                 \
	" UNION ALL SELECT x.provider_id, 'safeguarding', x.id,"                                       \
	"  (x.referred_on - date '1970-01-01')::bigint * 86400, x.category, x.outcome, NULL"           \
	"  FROM " FROM("safeguarding") WHERE("safeguarding")                                           \
	" UNION ALL SELECT x.provider_id, 'cqc', x.id, (x.published_on - date '1970-01-01')::bigint * 86400,"\
	"  x.domain, x.rating, ((x.inspected_on - date '1970-01-01')::bigint * 86400)::text"           \
	"  FROM " FROM("cqc_rating") WHERE("cqc_rating")                                               \
	" UNION ALL SELECT x.provider_id, 'ipc', x.id, (x.inspected_on - date '1970-01-01')::bigint * 86400,"\
	"  x.result, x.score::text, NULL FROM " FROM("ipc_inspection") WHERE("ipc_inspection")          \
	" UNION ALL SELECT x.provider_id, 'survey', x.id, (x.surveyed_on - date '1970-01-01')::bigint * 86400,"\
	"  x.satisfaction::text, x.respondents::text, NULL FROM " FROM("survey") WHERE("survey")        \
	" UNION ALL SELECT x.provider_id, 'restriction', x.id,"                                        \
	"  (x.starts_on - date '1970-01-01')::bigint * 86400, x.kind,"                                 \
	"  ((x.ends_on - date '1970-01-01')::bigint * 86400)::text,"                                   \
	"  ((l.lifted_on - date '1970-01-01')::bigint * 86400)::text"                                  \
	"  FROM " FROM("restriction") " LEFT JOIN restriction_lift l ON l.restriction_id = x.id"       \
	WHERE("restriction")                                                                           \
	" UNION ALL SELECT x.provider_id, 'notice', x.id, (x.issued_on - date '1970-01-01')::bigint * 86400,"\
	"  x.kind, ((x.closed_on - date '1970-01-01')::bigint * 86400)::text, NULL"                    \
	"  FROM " FROM("performance_notice") WHERE("performance_notice")                               \
	" UNION ALL SELECT x.provider_id, 'loss', x.id, (x.occurred_on - date '1970-01-01')::bigint * 86400,"\
	"  x.kind, x.beds_lost::text, NULL FROM " FROM("provider_loss") WHERE("provider_loss")          \
	" UNION ALL SELECT x.provider_id, 'pamms', x.id, (f.published_on - date '1970-01-01')::bigint * 86400,"\
	"  x.overall, ((x.audited_on - date '1970-01-01')::bigint * 86400)::text, NULL"                \
	"  FROM " FROM("pamms_audit") " JOIN pamms_final f ON f.audit_id = x.id" WHERE("pamms_audit")

#define FROM_VIEW(t) t "_current x"
#define WHERE_ALL(t) ""
#define FROM_TABLE(t) t " x"
#define NOT_WITHDRAWN " AND NOT EXISTS (SELECT 1 FROM record_withdrawal w WHERE w.record_id = x.id)"
#define WHERE_ONE(t) " WHERE x.provider_id = $1 AND NOT EXISTS (SELECT 1 FROM " t " s" \
	" WHERE s.supersedes = x.id)" NOT_WITHDRAWN
#define WHERE_SOME(t) " WHERE x.provider_id = ANY ($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM " t " s" \
	" WHERE s.supersedes = x.id)" NOT_WITHDRAWN

const char cw_intel_rows_one_sql[] = INTEL_ROWS(FROM_TABLE, WHERE_ONE);
const char cw_intel_rows_some_sql[] = "SELECT * FROM (" INTEL_ROWS(FROM_TABLE, WHERE_SOME) ") i ORDER BY 1";
const char cw_intel_rows_unordered_sql[] = "SELECT * FROM (" INTEL_ROWS(FROM_VIEW, WHERE_ALL) ") i";
const char cw_intel_rows_sql[] = "SELECT * FROM (" INTEL_ROWS(FROM_VIEW, WHERE_ALL) ") i ORDER BY 1";

static struct {
	char hash[65];
	struct cw_ruleset *rs;
} cache;

#define ACTIVE_SQL "SELECT hash, name, body FROM active_ruleset"

int
cw_scoring_active_queue(struct cw_db_batch *b)
{
	return cw_db_batch_add(b, ACTIVE_SQL, 0, NULL);
}

/* The ruleset in r (the active_ruleset query's result), parsed once per
 * content hash. */
static const struct cw_ruleset *
active_from(const PGresult *r, bool *none, struct cw_error *err)
{
	struct cw_rules_error rerr;

	*none = false;
	if (PQntuples(r) == 0) {
		*none = true;
		return NULL;
	}
	if (cache.rs == NULL || strcmp(cache.hash, PQgetvalue(r, 0, 0)) != 0) {
		cw_rules_free(cache.rs);
		cache.hash[0] = '\0';
		cache.rs = cw_rules_parse(PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
					  (size_t)PQgetlength(r, 0, 2), &rerr);
		if (cache.rs == NULL) {
			cw_error_set(err, CW_EXIT_FAIL, "the active ruleset '%s' no longer parses",
				     PQgetvalue(r, 0, 1));
			cw_error_detail(err, "line %d: %s", rerr.line, rerr.msg);
			return NULL;
		}
		snprintf(cache.hash, sizeof(cache.hash), "%s", PQgetvalue(r, 0, 0));
	}
	return cache.rs;
}

const struct cw_ruleset *
cw_scoring_active_take(const struct cw_db_batch *b, int i, bool *none, struct cw_error *err)
{
	const PGresult *r = cw_db_batch_result(b, i);

	*none = false;
	if (r == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "the active ruleset was not read");
		return NULL;
	}
	return active_from(r, none, err);
}

const struct cw_ruleset *
cw_scoring_active(struct cw_db *db, bool *none, struct cw_error *err)
{
	PGresult *r = cw_db_query(db, ACTIVE_SQL, 0, NULL, err);
	const struct cw_ruleset *rs;

	*none = false;
	if (r == NULL)
		return NULL;
	rs = active_from(r, none, err);
	PQclear(r);
	return rs;
}

const struct cw_ruleset *
cw_scoring_active_required(struct cw_db *db, struct cw_error *err)
{
	bool none;
	const struct cw_ruleset *rs = cw_scoring_active(db, &none, err);

	if (rs == NULL && none) {
		cw_error_set(err, CW_EXIT_NOTFOUND, "no ruleset is active");
		cw_error_hint(err, "activate one with 'carewatch rules activate rules/default.rules'");
	}
	return rs;
}

static cw_time
num(const char *s)
{
	return s && *s ? (cw_time)strtoll(s, NULL, 10) : CW_TIME_NONE;
}

bool
cw_intel_add_row(struct cw_provider_intel *pi, const char *kind, const char *id, const char *at,
		 const char *a, const char *b, const char *c)
{
	return cw_intel_add(pi, kind, id, num(at), a, b, c);
}

bool
cw_intel_add(struct cw_provider_intel *pi, const char *kind, const char *id, cw_time t, const char *a,
	     const char *b, const char *c)
{
	int x, y;

#define COPY_ID(rec) cw_str_copy((rec).id, sizeof((rec).id), id)
	if (strcmp(kind, "concern") == 0) {
		struct cw_rec_concern rec;
		if ((x = cw_vocab_parse(&cw_vocab_risk, a)) < 0 ||
		    (y = cw_vocab_parse(&cw_vocab_concern_category, b)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.risk = (enum cw_risk)x;
		rec.category = (enum cw_concern_category)y;
		rec.safeguarding = c && c[0] == 't';
		return cw_intel_add_concern(pi, &rec);
	}
	if (strcmp(kind, "visit") == 0) {
		struct cw_rec_visit rec;
		if ((x = cw_vocab_parse(&cw_vocab_visit_kind, a)) < 0 ||
		    (y = cw_vocab_parse(&cw_vocab_visit_outcome, b)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.kind = (enum cw_visit_kind)x;
		rec.outcome = (enum cw_visit_outcome)y;
		return cw_intel_add_visit(pi, &rec);
	}
	if (strcmp(kind, "safeguarding") == 0) {
		struct cw_rec_safeguarding rec;
		if ((x = cw_vocab_parse(&cw_vocab_sg_category, a)) < 0 ||
		    (y = cw_vocab_parse(&cw_vocab_sg_outcome, b)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.category = (enum cw_sg_category)x;
		rec.outcome = (enum cw_sg_outcome)y;
		return cw_intel_add_safeguarding(pi, &rec);
	}
	if (strcmp(kind, "cqc") == 0) {
		struct cw_rec_cqc rec;
		if ((x = cw_vocab_parse(&cw_vocab_domain, a)) < 0 ||
		    (y = cw_vocab_parse(&cw_vocab_rating, b)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.inspected = num(c);
		rec.domain = (enum cw_domain)x;
		rec.rating = (enum cw_rating)y;
		return cw_intel_add_cqc(pi, &rec);
	}
	if (strcmp(kind, "ipc") == 0) {
		struct cw_rec_ipc rec;
		if ((x = cw_vocab_parse(&cw_vocab_ipc_result, a)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.result = (enum cw_ipc_result)x;
		rec.score = b && *b ? atoi(b) : -1;
		return cw_intel_add_ipc(pi, &rec);
	}
	if (strcmp(kind, "survey") == 0) {
		struct cw_rec_survey rec;
		COPY_ID(rec);
		rec.at = t;
		rec.satisfaction = a ? atoi(a) : 0;
		rec.respondents = b ? atoi(b) : 0;
		return cw_intel_add_survey(pi, &rec);
	}
	if (strcmp(kind, "restriction") == 0) {
		struct cw_rec_restriction rec;
		if ((x = cw_vocab_parse(&cw_vocab_restriction_kind, a)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.kind = (enum cw_restriction_kind)x;
		rec.until = num(b);
		rec.lifted = num(c);
		return cw_intel_add_restriction(pi, &rec);
	}
	if (strcmp(kind, "notice") == 0) {
		struct cw_rec_notice rec;
		if ((x = cw_vocab_parse(&cw_vocab_notice_kind, a)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.kind = (enum cw_notice_kind)x;
		rec.closed = num(b);
		return cw_intel_add_notice(pi, &rec);
	}
	if (strcmp(kind, "loss") == 0) {
		struct cw_rec_loss rec;
		if ((x = cw_vocab_parse(&cw_vocab_loss_kind, a)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.kind = (enum cw_loss_kind)x;
		rec.beds = b ? atoi(b) : 0;
		return cw_intel_add_loss(pi, &rec);
	}
	if (strcmp(kind, "pamms") == 0) {
		struct cw_rec_pamms rec;
		if ((x = cw_vocab_parse(&cw_vocab_pamms_rating, a)) < 0)
			return false;
		COPY_ID(rec);
		rec.at = t;
		rec.audited = num(b);
		rec.overall = (enum cw_pamms_rating)x;
		return cw_intel_add_pamms(pi, &rec);
	}
#undef COPY_ID
	return false;
}

#define FACTS_SQL "SELECT care_type, beds FROM provider WHERE id = $1"

int
cw_intel_load_queue(struct cw_db_batch *b, const char *provider_id)
{
	const char *p[1] = {provider_id};
	int i = cw_db_batch_add(b, FACTS_SQL, 1, p);

	/* The rows' index is always the facts' plus one (or the batch failed). */
	(void)cw_db_batch_add(b, cw_intel_rows_one_sql, 1, p);
	return i;
}

/* Reset pi for provider_id with facts row i (care type, beds). */
static void
facts_into(struct cw_provider_intel *pi, const char *provider_id, const PGresult *facts, int i)
{
	int ct;

	cw_intel_reset(pi);
	snprintf(pi->provider_id, sizeof(pi->provider_id), "%s", provider_id);
	ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(facts, i, 0));
	pi->care_type = ct < 0 ? CW_CARE_HOME_CARE : (enum cw_care_type)ct;
	pi->beds = PQgetisnull(facts, i, 1) ? -1 : atoi(PQgetvalue(facts, i, 1));
}

/* Add row i of an intelligence rows result to pi. */
static bool
row_into(struct cw_provider_intel *pi, const PGresult *rows, int i, struct cw_error *err)
{
	if (!cw_intel_add_row(pi, PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 2), PQgetvalue(rows, i, 3),
			      PQgetisnull(rows, i, 4) ? NULL : PQgetvalue(rows, i, 4),
			      PQgetisnull(rows, i, 5) ? NULL : PQgetvalue(rows, i, 5),
			      PQgetisnull(rows, i, 6) ? NULL : PQgetvalue(rows, i, 6)))
		return cw_error_set(err, CW_EXIT_FAIL, "unexpected %s record %s", PQgetvalue(rows, i, 1),
				    PQgetvalue(rows, i, 2));
	return true;
}

/* Fill pi from the facts query's result and the rows query's. */
static bool
intel_from(const PGresult *facts, const PGresult *rows, const char *provider_id,
	   struct cw_provider_intel *pi, struct cw_error *err)
{
	if (PQntuples(facts) != 1) {
		cw_intel_reset(pi);
		return cw_error_set(err, CW_EXIT_NOTFOUND, "no provider with id %s", provider_id);
	}
	facts_into(pi, provider_id, facts, 0);
	for (int i = 0; i < PQntuples(rows); i++)
		if (!row_into(pi, rows, i, err))
			return false;
	return true;
}

bool
cw_intel_load_take(const struct cw_db_batch *b, int i, const char *provider_id,
		   struct cw_provider_intel *pi, struct cw_error *err)
{
	const PGresult *facts = cw_db_batch_result(b, i);
	const PGresult *rows = cw_db_batch_result(b, i < 0 ? -1 : i + 1);

	if (facts == NULL || rows == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "the intelligence of provider %s was not read",
				    provider_id);
	return intel_from(facts, rows, provider_id, pi, err);
}

bool
cw_intel_load(struct cw_db *db, const char *provider_id, struct cw_provider_intel *pi,
	      struct cw_error *err)
{
	struct cw_db_batch b;
	bool ok;
	int i;

	/* Both queries in one round trip. */
	cw_db_batch_init(&b, db);
	i = cw_intel_load_queue(&b, provider_id);
	ok = cw_db_batch_run(&b, err) && cw_intel_load_take(&b, i, provider_id, pi, err);
	cw_db_batch_free(&b);
	return ok;
}

bool
cw_intel_load_many(struct cw_db *db, const char *const *ids, size_t n, cw_intel_each_fn fn, void *ctx,
		   struct cw_error *err)
{
	struct cw_provider_intel pi;
	struct cw_db_batch b;
	const PGresult *facts, *rows;
	char *array;
	const char *p[1];
	size_t len = 3;
	bool ok;
	int qf, qr, r = 0;

	if (n == 0)
		return true;
	/* One array parameter of the ids (uuids: nothing in them to escape). */
	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	array = malloc(len);
	if (array == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	len = 0;
	array[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(ids[i]);
		memcpy(array + len, ids[i], l);
		len += l;
		array[len++] = i + 1 < n ? ',' : '}';
	}
	array[len] = '\0';
	p[0] = array;
	cw_db_batch_init(&b, db);
	qf = cw_db_batch_add(&b, "SELECT care_type, beds, id::text, status = 'active' FROM provider"
				 " WHERE id = ANY ($1::uuid[]) ORDER BY id", 1, p);
	qr = cw_db_batch_add(&b, cw_intel_rows_some_sql, 1, p);
	free(array);
	if (!cw_db_batch_run(&b, err)) {
		cw_db_batch_free(&b);
		return false;
	}
	facts = cw_db_batch_result(&b, qf);
	rows = cw_db_batch_result(&b, qr);
	ok = facts != NULL && rows != NULL;
	if (!ok)
		cw_error_set(err, CW_EXIT_FAIL, "the intelligence of %zu providers was not read", n);
	cw_intel_init(&pi);
	/* Both are in id order (a uuid's text sorts as its bytes do). */
	for (int f = 0; ok && f < PQntuples(facts); f++) {
		const char *id = PQgetvalue(facts, f, 2);

		facts_into(&pi, id, facts, f);
		while (r < PQntuples(rows) && strcmp(PQgetvalue(rows, r, 0), id) < 0)
			r++;
		for (; ok && r < PQntuples(rows) && strcmp(PQgetvalue(rows, r, 0), id) == 0; r++)
			ok = row_into(&pi, rows, r, err);
		ok = ok && fn(ctx, id, PQgetvalue(facts, f, 3)[0] == 't', &pi, err);
	}
	cw_intel_free(&pi);
	cw_db_batch_free(&b);
	return ok;
}

#define STORE_SQL                                                                        \
	"INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score, band,"\
	" flag, detail, cause, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"

/* Send (b != NULL: queue on b) or run the INSERT of one score. */
static bool
store(struct cw_db *db, struct cw_db_batch *b, const char *provider_id, const struct cw_score *s,
      const char *cause, const char *run_id, struct cw_error *err)
{
	char score[32], asof[40];
	char *json = cw_score_summary_json(s);
	const char *p[10];
	bool ok;

	if (json == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	snprintf(score, sizeof(score), "%.2f", s->total);
	cw_time_format_utc(s->as_of, asof, sizeof(asof));
	p[0] = provider_id;
	p[1] = asof;
	p[2] = s->ruleset;
	p[3] = s->hash;
	p[4] = score;
	p[5] = cw_vocab_word(&cw_vocab_risk, (int)s->band);
	p[6] = s->flag ? "true" : "false";
	p[7] = json;
	p[8] = cause;
	p[9] = run_id;
	if (b) {
		/* The parameters are copied as the statement is queued; a failure
		 * to queue is reported when the batch runs. */
		(void)cw_db_batch_add(b, STORE_SQL, 10, p);
		ok = true;
	} else {
		ok = cw_db_exec(db, STORE_SQL, 10, p, err);
	}
	free(json);
	return ok;
}

bool
cw_scoring_copy_fields(struct cw_copybuf *b, const struct cw_score *s, char last)
{
	char num[32];
	char *json = cw_score_summary_json(s);
	bool ok;

	snprintf(num, sizeof(num), "%.2f", s->total);
	ok = json != NULL && cw_copybuf_field(b, num, '\t') &&
	     cw_copybuf_field(b, cw_vocab_word(&cw_vocab_risk, (int)s->band), '\t') &&
	     cw_copybuf_field(b, s->flag ? "t" : "f", '\t') && cw_copybuf_field(b, json, last);
	free(json);
	return ok;
}

bool
cw_scoring_store(struct cw_db *db, const char *provider_id, const struct cw_score *s,
		 const char *cause, const char *run_id, struct cw_error *err)
{
	return store(db, NULL, provider_id, s, cause, run_id, err);
}

bool
cw_scoring_store_queue(struct cw_db_batch *b, const char *provider_id, const struct cw_score *s,
		       const char *cause, const char *run_id, struct cw_error *err)
{
	return store(b->db, b, provider_id, s, cause, run_id, err);
}

bool
cw_scoring_refresh_in_txn(struct cw_db *db, const char *provider_id, char *score,
			  size_t score_size, char *band, size_t band_size, struct cw_error *err)
{
	const struct cw_ruleset *rs;
	struct cw_provider_intel pi;
	struct cw_db_batch reads, write;
	struct cw_score s;
	bool none, ok;
	int qr, qi;

	score[0] = band[0] = '\0';
	/* The ruleset and the intelligence in one round trip, the score in another. */
	cw_db_batch_init(&reads, db);
	qr = cw_scoring_active_queue(&reads);
	qi = cw_intel_load_queue(&reads, provider_id);
	if (!cw_db_batch_run(&reads, err)) {
		cw_db_batch_free(&reads);
		return false;
	}
	rs = cw_scoring_active_take(&reads, qr, &none, err);
	if (rs == NULL) {
		cw_db_batch_free(&reads);
		return none;
	}
	cw_intel_init(&pi);
	memset(&s, 0, sizeof(s));
	cw_db_batch_init(&write, db);
	ok = cw_intel_load_take(&reads, qi, provider_id, &pi, err) &&
	     cw_score_evaluate_summary(rs, &pi, (cw_time)time(NULL), &s, err) &&
	     cw_scoring_store_queue(&write, provider_id, &s, "record", NULL, err) &&
	     cw_db_batch_run(&write, err);
	if (ok) {
		snprintf(score, score_size, "%.2f", s.total);
		snprintf(band, band_size, "%s", cw_vocab_word(&cw_vocab_risk, (int)s.band));
	}
	cw_db_batch_free(&write);
	cw_db_batch_free(&reads);
	cw_score_free(&s);
	cw_intel_free(&pi);
	return ok;
}
