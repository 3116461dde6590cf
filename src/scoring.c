/*
 * scoring.c - gathering a provider's intelligence, scoring it, storing the
 * score (see scoring.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/calendar.h"
#include "carewatch/scoring.h"

/* Every kind as (provider_id, kind, id, at, a, b, c), times as epoch seconds
 * and dates as their midnight UTC, as intel.h expects.  Free text is never
 * read: the batch role is not granted it. */
#define INTEL_ROWS(where)                                                                       \
	"SELECT provider_id, 'concern', id, extract(epoch FROM received_at)::bigint, risk, category,"  \
	"  safeguarding::text FROM concern_current " where                                           \
	" UNION ALL SELECT provider_id, 'visit', id, extract(epoch FROM visited_at)::bigint, kind,"    \
	"  outcome, NULL FROM visit_current " where                                                  \
	" UNION ALL SELECT provider_id, 'safeguarding', id, (referred_on - date '1970-01-01')::bigint * 86400,"\
	"  category, outcome, NULL FROM safeguarding_current " where                                 \
	" UNION ALL SELECT provider_id, 'cqc', id, (published_on - date '1970-01-01')::bigint * 86400,"\
	"  domain, rating, ((inspected_on - date '1970-01-01')::bigint * 86400)::text"               \
	"  FROM cqc_rating_current " where                                                           \
	" UNION ALL SELECT provider_id, 'ipc', id, (inspected_on - date '1970-01-01')::bigint * 86400,"\
	"  result, score::text, NULL FROM ipc_inspection_current " where                             \
	" UNION ALL SELECT provider_id, 'survey', id, (surveyed_on - date '1970-01-01')::bigint * 86400,"\
	"  satisfaction::text, respondents::text, NULL FROM survey_current " where                   \
	" UNION ALL SELECT r.provider_id, 'restriction', r.id,"                                       \
	"  (r.starts_on - date '1970-01-01')::bigint * 86400, r.kind,"                               \
	"  ((r.ends_on - date '1970-01-01')::bigint * 86400)::text,"                                 \
	"  ((l.lifted_on - date '1970-01-01')::bigint * 86400)::text"                                \
	"  FROM restriction_current r LEFT JOIN restriction_lift l ON l.restriction_id = r.id "      \
	where                                                                                        \
	" UNION ALL SELECT provider_id, 'notice', id, (issued_on - date '1970-01-01')::bigint * 86400,"\
	"  kind, ((closed_on - date '1970-01-01')::bigint * 86400)::text, NULL"                       \
	"  FROM performance_notice_current " where                                                   \
	" UNION ALL SELECT provider_id, 'loss', id, (occurred_on - date '1970-01-01')::bigint * 86400,"\
	"  kind, beds_lost::text, NULL FROM provider_loss_current " where

const char cw_intel_rows_one_sql[] = INTEL_ROWS("WHERE provider_id = $1");
const char cw_intel_rows_sql[] = "SELECT * FROM (" INTEL_ROWS("") ") x ORDER BY 1";

static struct {
	char hash[65];
	struct cw_ruleset *rs;
} cache;

const struct cw_ruleset *
cw_scoring_active(struct cw_db *db, bool *none, struct cw_error *err)
{
	PGresult *r = cw_db_query(db, "SELECT hash, name, body FROM active_ruleset", 0, NULL, err);
	struct cw_rules_error rerr;

	*none = false;
	if (r == NULL)
		return NULL;
	if (PQntuples(r) == 0) {
		PQclear(r);
		*none = true;
		return NULL;
	}
	if (cache.rs == NULL || strcmp(cache.hash, PQgetvalue(r, 0, 0)) != 0) {
		cw_rules_free(cache.rs);
		cache.rs = cw_rules_parse(PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
					  (size_t)PQgetlength(r, 0, 2), &rerr);
		if (cache.rs == NULL) {
			cw_error_set(err, CW_EXIT_FAIL, "the active ruleset '%s' no longer parses",
				     PQgetvalue(r, 0, 1));
			cw_error_detail(err, "line %d: %s", rerr.line, rerr.msg);
			PQclear(r);
			return NULL;
		}
		snprintf(cache.hash, sizeof(cache.hash), "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return cache.rs;
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
	cw_time t = num(at);
	int x, y;

#define COPY_ID(rec) snprintf((rec).id, sizeof((rec).id), "%s", id)
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
#undef COPY_ID
	return false;
}

bool
cw_intel_load(struct cw_db *db, const char *provider_id, struct cw_provider_intel *pi,
	      struct cw_error *err)
{
	const char *p[1] = {provider_id};
	PGresult *r;
	int ct;

	cw_intel_reset(pi);
	r = cw_db_query(db, "SELECT care_type, beds FROM provider WHERE id = $1", 1, p, err);
	if (r == NULL)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return cw_error_set(err, CW_EXIT_NOTFOUND, "no provider with id %s", provider_id);
	}
	snprintf(pi->provider_id, sizeof(pi->provider_id), "%s", provider_id);
	ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(r, 0, 0));
	pi->care_type = ct < 0 ? CW_CARE_HOME_CARE : (enum cw_care_type)ct;
	pi->beds = PQgetisnull(r, 0, 1) ? -1 : atoi(PQgetvalue(r, 0, 1));
	PQclear(r);
	r = cw_db_query(db, cw_intel_rows_one_sql, 1, p, err);
	if (r == NULL)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		if (!cw_intel_add_row(pi, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
				      PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4),
				      PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
				      PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6))) {
			PQclear(r);
			return cw_error_set(err, CW_EXIT_FAIL, "unexpected %s record %s", PQgetvalue(r, i, 1),
					    PQgetvalue(r, i, 2));
		}
	}
	PQclear(r);
	return true;
}

bool
cw_scoring_store(struct cw_db *db, const char *provider_id, const struct cw_score *s,
		 const char *cause, const char *run_id, struct cw_error *err)
{
	char score[32], asof[40];
	char *json = cw_score_to_json(s);
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
	ok = cw_db_exec(db,
			"INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score,"
			" band, flag, detail, cause, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			10, p, err);
	free(json);
	return ok;
}

bool
cw_scoring_refresh_in_txn(struct cw_db *db, const char *provider_id, char *score,
			  size_t score_size, char *band, size_t band_size, struct cw_error *err)
{
	const struct cw_ruleset *rs;
	struct cw_provider_intel pi;
	struct cw_score s;
	bool none, ok;

	score[0] = band[0] = '\0';
	rs = cw_scoring_active(db, &none, err);
	if (rs == NULL)
		return none;
	cw_intel_init(&pi);
	memset(&s, 0, sizeof(s));
	ok = cw_intel_load(db, provider_id, &pi, err) &&
	     cw_score_evaluate(rs, &pi, (cw_time)time(NULL), &s, err) &&
	     cw_scoring_store(db, provider_id, &s, "record", NULL, err);
	if (ok) {
		snprintf(score, score_size, "%.2f", s.total);
		snprintf(band, band_size, "%s", cw_vocab_word(&cw_vocab_risk, (int)s.band));
	}
	cw_score_free(&s);
	cw_intel_free(&pi);
	return ok;
}
