/*
 * record.c - the intelligence kinds and the one path that records them.
 *
 * Adding a kind means adding a struct cw_kind here (fields and INSERT) and a
 * table in schema/: the command-line options, guided form, validation and
 * audit follow from it.  See record.h for the contract.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <uuid/uuid.h>

#include "carewatch/calendar.h"
#include "carewatch/cases.h"
#include "carewatch/output.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"
#include "carewatch/scoring.h"


/* Each kind's checks across fields (below, with the table of CHECKs). */
static bool safeguarding_check(const char *const *v, struct cw_error *err);
static bool cqc_check(const char *const *v, struct cw_error *err);
static bool notice_check(const char *const *v, struct cw_error *err);
static bool restriction_check(const char *const *v, struct cw_error *err);

static const struct cw_field concern_fields[] = {
	{"risk", CW_F_VOCAB, &cw_vocab_risk, true, 0, 0, "R", "risk level of the concern", NULL},
	{"category", CW_F_VOCAB, &cw_vocab_concern_category, true, 0, 0, "C", "what the concern is about", NULL},
	{"source", CW_F_VOCAB, &cw_vocab_concern_source, true, 0, 0, "S", "who raised it", NULL},
	{"safeguarding", CW_F_BOOL, NULL, false, 0, 0, NULL, "the concern has a safeguarding element", "no"},
	{"received", CW_F_TIME, NULL, false, 0, 0, "WHEN", "when it was received (YYYY-MM-DD HH:MM, London time)", "now"},
	{"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "what was reported (kept out of logs)", NULL},
};
const struct cw_kind cw_kind_concern = {
	"concern", "concern", concern_fields, 6,
	"INSERT INTO concern (id, provider_id, risk, category, source, safeguarding, received_at, summary)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id",
	NULL,
};

static const struct cw_field visit_fields[] = {
	{"kind", CW_F_VOCAB, &cw_vocab_visit_kind, true, 0, 0, "K", "routine monitoring, response or PAMMS audit", NULL},
	{"outcome", CW_F_VOCAB, &cw_vocab_visit_outcome, true, 0, 0, "O", "what the visit found", NULL},
	{"date", CW_F_TIME, NULL, false, 0, 0, "WHEN", "when the visit took place", "now"},
	{"note", CW_F_TEXT, NULL, false, 1, CW_TEXT_MAX, "TEXT", "visit notes (kept out of logs)", NULL},
};
const struct cw_kind cw_kind_visit = {
	"visit", "visit", visit_fields, 4,
	"INSERT INTO visit (id, provider_id, kind, outcome, visited_at, notes)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id",
	NULL,
};

static const struct cw_field safeguarding_fields[] = {
	{"category", CW_F_VOCAB, &cw_vocab_sg_category, true, 0, 0, "C", "category of abuse or neglect", NULL},
	{"outcome", CW_F_VOCAB, &cw_vocab_sg_outcome, false, 0, 0, "O", "outcome of the enquiry", "open"},
	{"referred", CW_F_DATE, NULL, false, 0, 0, "DATE", "date of the MASH referral", "today"},
	{"mash-ref", CW_F_TEXT, NULL, false, 1, 30, "REF", "MASH reference", NULL},
	{"note", CW_F_TEXT, NULL, false, 1, CW_TEXT_MAX, "TEXT", "what happened (kept out of logs)", NULL},
};
const struct cw_kind cw_kind_safeguarding = {
	"safeguarding", "safeguarding", safeguarding_fields, 5,
	"INSERT INTO safeguarding (id, provider_id, category, outcome, referred_on, mash_ref, summary)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id",
	safeguarding_check,
};

/* The CQC kind writes one row per domain given (see record_cqc). */
static const struct cw_field cqc_fields[] = {
	{"published", CW_F_DATE, NULL, true, 0, 1, "DATE", "publication date of the report", NULL},
	{"inspected", CW_F_DATE, NULL, false, 0, 0, "DATE", "inspection date", NULL},
	{"safe", CW_F_VOCAB, &cw_vocab_rating, false, 0, 0, "RATING", "Safe", NULL},
	{"effective", CW_F_VOCAB, &cw_vocab_rating, false, 0, 0, "RATING", "Effective", NULL},
	{"caring", CW_F_VOCAB, &cw_vocab_rating, false, 0, 0, "RATING", "Caring", NULL},
	{"responsive", CW_F_VOCAB, &cw_vocab_rating, false, 0, 0, "RATING", "Responsive", NULL},
	{"well-led", CW_F_VOCAB, &cw_vocab_rating, false, 0, 0, "RATING", "Well-led", NULL},
	{"overall", CW_F_VOCAB, &cw_vocab_rating, true, 0, 0, "RATING", "Overall", NULL},
};
const struct cw_kind cw_kind_cqc = {
	"cqc", "CQC rating", cqc_fields, 8,
	"INSERT INTO cqc_rating (id, provider_id, domain, rating, published_on, inspected_on)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
	cqc_check,
};

static const struct cw_field ipc_fields[] = {
	{"result", CW_F_VOCAB, &cw_vocab_ipc_result, true, 0, 0, "R", "inspection result", NULL},
	{"score", CW_F_INT, NULL, false, 0, 100, "PCT", "audit score in percent", NULL},
	{"date", CW_F_DATE, NULL, false, 0, 0, "DATE", "inspection date", "today"},
};
const struct cw_kind cw_kind_ipc = {
	"ipc", "IPC inspection", ipc_fields, 3,
	"INSERT INTO ipc_inspection (id, provider_id, result, score, inspected_on)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id",
	NULL,
};

static const struct cw_field survey_fields[] = {
	{"satisfaction", CW_F_INT, NULL, true, 0, 100, "PCT", "percent of respondents satisfied", NULL},
	{"respondents", CW_F_INT, NULL, true, 1, 100000, "N", "number of respondents", NULL},
	{"date", CW_F_DATE, NULL, false, 0, 0, "DATE", "survey date", "today"},
};
const struct cw_kind cw_kind_survey = {
	"survey", "survey", survey_fields, 3,
	"INSERT INTO survey (id, provider_id, satisfaction, respondents, surveyed_on)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id",
	NULL,
};

static const struct cw_field notice_fields[] = {
	{"kind", CW_F_VOCAB, &cw_vocab_notice_kind, true, 0, 0, "K", "kind of notice", NULL},
	{"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "why it was issued", NULL},
	{"issued", CW_F_DATE, NULL, false, 0, 0, "DATE", "date issued", "today"},
	{"closed", CW_F_DATE, NULL, false, 0, 0, "DATE", "date it was closed, if it is", NULL},
};
const struct cw_kind cw_kind_notice = {
	"notice", "performance notice", notice_fields, 4,
	"INSERT INTO performance_notice (id, provider_id, kind, reason, issued_on, closed_on)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id",
	notice_check,
};

static const struct cw_field restriction_fields[] = {
	{"kind", CW_F_VOCAB, &cw_vocab_restriction_kind, true, 0, 0, "K", "all placements or partial", NULL},
	{"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "why placements are restricted", NULL},
	{"from", CW_F_DATE, NULL, false, 0, CW_F_ANY_DAY, "DATE", "first day of the restriction", "today"},
	{"to", CW_F_DATE, NULL, false, 0, CW_F_ANY_DAY, "DATE", "planned last day, if known", NULL},
};
const struct cw_kind cw_kind_restriction = {
	"restriction", "placement restriction", restriction_fields, 4,
	"INSERT INTO restriction (id, provider_id, kind, reason, starts_on, ends_on)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id",
	restriction_check,
};

static const struct cw_field loss_fields[] = {
	{"kind", CW_F_VOCAB, &cw_vocab_loss_kind, true, 0, 0, "K", "closure, nursing de-registration or beds lost", NULL},
	{"beds", CW_F_INT, NULL, false, 0, 10000, "N", "beds lost", "0"},
	{"date", CW_F_DATE, NULL, false, 0, 0, "DATE", "when it happened", "today"},
	{"note", CW_F_TEXT, NULL, false, 1, CW_TEXT_MAX, "TEXT", "note", NULL},
};
const struct cw_kind cw_kind_loss = {
	"loss", "provider loss", loss_fields, 4,
	"INSERT INTO provider_loss (id, provider_id, kind, beds_lost, occurred_on, note)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id",
	NULL,
};

/* A PAMMS audit is recorded as a draft; `pamms finalise` (api.pamms_finalise)
 * makes it final, and only then does it count (schema/034_pamms.sql). */
static const struct cw_field pamms_fields[] = {
	{"overall", CW_F_VOCAB, &cw_vocab_pamms_rating, true, 0, 0, "RATING", "the overall rating", NULL},
	{"audited", CW_F_DATE, NULL, false, 0, 0, "DATE", "the day of the audit visit", "today"},
	{"standard", CW_F_RATINGS, &cw_vocab_pamms_rating, false, 0, 1000, "CODE=RATING",
	 "a standard's rating, e.g. 8=poor (repeat for each; 'carewatch pamms standards' lists the codes)",
	 NULL},
	{"follows", CW_F_UUID, NULL, false, 0, 0, "AUDIT", "the same provider's earlier audit this one follows up",
	 NULL},
	{"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "what the audit found (kept out of logs)", NULL},
};
const struct cw_kind cw_kind_pamms = {
	"pamms", "PAMMS audit", pamms_fields, 5,
	"INSERT INTO pamms_audit (id, provider_id, overall, audited_on, standards, follows, summary)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id",
	NULL,
};

const struct cw_kind *const cw_kinds[] = {
	&cw_kind_concern, &cw_kind_visit, &cw_kind_safeguarding, &cw_kind_cqc, &cw_kind_ipc,
	&cw_kind_survey, &cw_kind_notice, &cw_kind_restriction, &cw_kind_loss, &cw_kind_pamms,
};
const int cw_kinds_n = (int)(sizeof(cw_kinds) / sizeof(cw_kinds[0]));


/* The CHECK constraints on the kinds' tables (schema/002_intelligence.sql)
 * and what refuses a value that breaks one before any SQL:
 *
 *   table.column                          CHECK                         checked by
 *   concern.risk, category, source        IN (...)                      vocab (vocab.c: the same words)
 *   concern.summary                       length 1 to 20000             TEXT, 1 to CW_TEXT_MAX, not blank
 *   visit.kind, outcome                   IN (...)                      vocab
 *   visit.notes                           length <= 20000               TEXT
 *   safeguarding.category, outcome        IN (...)                      vocab
 *   safeguarding.mash_ref                 ~ '^[A-Za-z0-9/-]{1,30}$'     safeguarding_check
 *   safeguarding.summary                  length <= 20000               TEXT
 *   cqc_rating.domain                     IN (...)                      one row per domain field
 *   cqc_rating.rating                     IN (...)                      vocab
 *   cqc_rating.source                     IN ('manual', 'import')       the column default
 *   cqc_rating (table)                    inspected_on <= published_on  cqc_check
 *   ipc_inspection.result                 IN (...)                      vocab
 *   ipc_inspection.score                  0 to 100                      INT 0 to 100
 *   survey.satisfaction                   0 to 100                      INT 0 to 100
 *   survey.respondents                    1 to 100000                   INT 1 to 100000
 *   performance_notice.kind               IN (...)                      vocab
 *   performance_notice.reason             length 1 to 20000             TEXT
 *   performance_notice (table)            closed_on >= issued_on        notice_check
 *   restriction.kind                      IN (...)                      vocab
 *   restriction.reason                    length 1 to 20000             TEXT
 *   restriction (table)                   ends_on >= starts_on          restriction_check
 *   provider_loss.kind                    IN (...)                      vocab
 *   provider_loss.beds_lost               0 to 10000                    INT 0 to 10000
 *   provider_loss.note                    length <= 20000               TEXT
 *   pamms_audit.overall                   IN (...)                      vocab
 *   pamms_audit.standards                 CODE=rating list, <= 1000     RATINGS (field.c); the
 *                                                                       codes: the table's trigger
 *   pamms_audit.summary                   length 1 to 20000             TEXT
 *   pamms_audit.audited_on                not after today               DATE, max 0
 *
 * tests/test_textsafe.c holds the same list, each CHECK with a bad input
 * that is run, and compares it with the catalog: a new CHECK fails that
 * test until it is checked here and listed there. */

/* "--to 2024-04-01 is before --from 2024-04-11": a later date field
 * (index later) given before an earlier one; both normalised YYYY-MM-DD. */
static bool
not_before(const struct cw_kind *k, const char *const *v, int earlier, int later,
	   struct cw_error *err)
{
	if (v[earlier] == NULL || v[later] == NULL || strcmp(v[later], v[earlier]) >= 0)
		return true;
	return cw_error_field(err, k->fields[later].name, "--%s %s is before --%s %s",
			      k->fields[later].name, v[later], k->fields[earlier].name, v[earlier]);
}

static bool
safeguarding_check(const char *const *v, struct cw_error *err)
{
	const char *ref = v[3];

	if (ref == NULL)
		return true;
	if (!cw_text_check("mash-ref", ref, 30, true, err))
		return false;
	for (const char *c = ref; *c; c++) {
		unsigned char ch = (unsigned char)*c;
		char q[200];

		/* Up to the first fault every character is ASCII: byte = character. */
		if (!((ch < 0x80 && isalnum(ch)) || ch == '/' || ch == '-'))
			return cw_error_field(err, "mash-ref",
					      "invalid mash-ref '%s' (expected up to 30 letters, digits,"
					      " '/' and '-'; character %ld is not one)",
					      cw_text_escape(ref, q, sizeof(q)), (long)(c - ref) + 1);
	}
	return true;
}

static bool
cqc_check(const char *const *v, struct cw_error *err)
{
	if (v[1] == NULL || strcmp(v[1], v[0]) <= 0)
		return true;
	return cw_error_field(err, "inspected", "--inspected %s is after --published %s", v[1], v[0]);
}

static bool
notice_check(const char *const *v, struct cw_error *err)
{
	return not_before(&cw_kind_notice, v, 2, 3, err);
}

static bool
restriction_check(const char *const *v, struct cw_error *err)
{
	return not_before(&cw_kind_restriction, v, 2, 3, err);
}


struct record_job {
	const struct cw_kind *kind;
	const char *params[2 + CW_KIND_MAX_FIELDS];
	char (*vals)[CW_TEXT_MAX * 4 + 8];
	bool given[CW_KIND_MAX_FIELDS]; /* named by the user (not a default) */
	struct cw_record_result *res;
};

/* CQC: one row per domain given; each row's id is derived from the
 * record's id and the domain (UUID v5), so a retry inserts nothing new.
 * Queues the INSERTs on b; returns how many were queued. */
static int
queue_cqc(struct cw_db_batch *b, struct record_job *job, int *first)
{
	static const char *const domains[] = {"safe", "effective", "caring", "responsive",
					      "well_led", "overall"};
	int given = 0;

	*first = -1;
	for (int d = 0; d < 6; d++) {
		char rowid[CW_UUID_LEN];
		const char *p[6];
		int i;

		if (job->params[2 + 2 + d] == NULL)
			continue;
		cw_uuid_derive(job->res->id, domains[d], rowid);
		p[0] = rowid;
		p[1] = job->params[1];
		p[2] = domains[d];
		p[3] = job->params[2 + 2 + d];
		p[4] = job->params[2];
		p[5] = job->params[3];
		i = cw_db_batch_add(b, job->kind->insert_sql, 6, p);
		if (given++ == 0)
			*first = i;
	}
	return given;
}

int
cw_kind_columns(const struct cw_kind *kind, char *buf, size_t size, const char **table,
	       const char **cols, int max)
{
	static const char insert_into[] = "INSERT INTO ";
	char *open, *close, *save = NULL;
	int n = 0;

	snprintf(buf, size, "%s", kind->insert_sql + sizeof(insert_into) - 1);
	open = strchr(buf, '(');
	close = open ? strchr(open, ')') : NULL;
	if (open == NULL || close == NULL)
		return -1;
	open[-1] = '\0';
	*close = '\0';
	*table = buf;
	for (char *c = strtok_r(open + 1, ", ", &save); c && n < max; c = strtok_r(NULL, ", ", &save))
		cols[n++] = c;
	return n;
}

/* A record id given again: the stored row must hold what was given now
 * (fields the user named, and the provider).  Otherwise it is refused,
 * exit 7, naming the fields that differ; nothing is written.  The check is
 * one statement: "SELECT col IS NOT DISTINCT FROM $k, ... FROM t WHERE id =
 * $1", made from the kind's own INSERT, so the server compares each value
 * in its column's type (a time given as UTC text against a timestamptz). */
static bool
record_same(struct cw_db *db, const struct record_job *job, struct cw_error *err)
{
	const struct cw_kind *kind = job->kind;
	/* Built once per kind and kept: db.c caches statements by their text,
	 * which must outlive the connection. */
	static char compare[sizeof(cw_kinds) / sizeof(cw_kinds[0])][2048];
	char buf[512], differ[256] = "", *sql = NULL;
	const char *table = "", *cols[2 + CW_KIND_MAX_FIELDS] = {0};
	int n = cw_kind_columns(kind, buf, sizeof(buf), &table, cols, 2 + CW_KIND_MAX_FIELDS);
	size_t len;
	PGresult *r;

	if (kind == &cw_kind_cqc)
		return true;            /* see record_cqc_same */
	if (n != 2 + kind->nfields)
		return cw_error_set(err, CW_EXIT_FAIL, "the %s INSERT has %d columns", kind->name, n);
	for (int k = 0; k < cw_kinds_n; k++)
		if (cw_kinds[k] == kind)
			sql = compare[k];
	if (sql == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "%s is not a known kind", kind->name);
	if (sql[0] == '\0') {
		/* Column 1 is always provider_id.  Only the kind's own column and
		 * table names go into the text; every value is a parameter. */
		static const char head[] = "SELECT provider_id = $2";
		const size_t size = sizeof(compare[0]);

		len = (size_t)snprintf(sql, size, "%s", head);
		for (int i = 2; i < n && len < size; i++)
			len += (size_t)snprintf(sql + len, size - len, ", %s IS NOT DISTINCT FROM $%d",
						cols[i] ? cols[i] : "NULL", i + 1);
		if (len < size)
			len += (size_t)snprintf(sql + len, size - len, " FROM %s WHERE id = $1", table);
		if (len >= size) {
			sql[0] = '\0';
			return cw_error_set(err, CW_EXIT_FAIL, "the %s comparison is too long", kind->name);
		}
	}
	r = cw_db_query(db, sql, n, job->params, err);
	if (r == NULL)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return cw_error_set(err, CW_EXIT_CONFLICT, "%s %s was not found after its insert",
				    kind->what, job->res->id);
	}
	for (int i = 1; i < n; i++) {
		const char *name = i == 1 ? "provider" : kind->fields[i - 2].name;
		if (i >= 2 && !job->given[i - 2])
			continue;
		if (PQgetvalue(r, 0, i - 1)[0] != 't') {
			size_t dl = strlen(differ);
			snprintf(differ + dl, sizeof(differ) - dl, "%s%s", dl ? ", " : "", name);
		}
	}
	PQclear(r);
	if (differ[0] == '\0')
		return true;
	cw_error_set(err, CW_EXIT_CONFLICT, "%s %s is already recorded with different content: %s",
		     kind->what, job->res->id, differ);
	cw_error_detail(err, "nothing was written");
	cw_error_hint(err, "a retry repeats the same values; for a new record give a new --id (or none)");
	return false;
}

/* The CQC kind's rows (one per domain given, ids derived from the
 * record's) compared the same way: a domain given now whose row is missing
 * or holds another rating, or other dates, differs.  No row at all means the
 * same ratings were already stored under another record (an import): that
 * is "already recorded", as before. */
static bool
record_cqc_same(struct cw_db *db, const struct record_job *job, struct cw_error *err)
{
	static const char *const domains[] = {"safe", "effective", "caring", "responsive",
					      "well_led", "overall"};
	char differ[256] = "";
	int found = 0;

	for (int d = 0; d < 6; d++) {
		char rowid[CW_UUID_LEN];
		const char *p[5];
		PGresult *r;

		if (job->params[2 + 2 + d] == NULL)
			continue;
		cw_uuid_derive(job->res->id, domains[d], rowid);
		p[0] = rowid;
		p[1] = job->params[1];
		p[2] = job->params[2 + 2 + d];
		p[3] = job->params[2];
		p[4] = job->params[3];
		r = cw_db_query(db,
				"SELECT provider_id = $2 AND rating = $3 AND published_on = $4"
				" AND inspected_on IS NOT DISTINCT FROM $5::date FROM cqc_rating WHERE id = $1",
				5, p, err);
		if (r == NULL)
			return false;
		if (PQntuples(r) == 1)
			found++;
		if (PQntuples(r) != 1 || PQgetvalue(r, 0, 0)[0] != 't') {
			size_t dl = strlen(differ);
			snprintf(differ + dl, sizeof(differ) - dl, "%s%s", dl ? ", " : "",
				 job->kind->fields[2 + d].name);
		}
		PQclear(r);
	}
	if (found == 0 || differ[0] == '\0')
		return true;
	cw_error_set(err, CW_EXIT_CONFLICT, "%s %s is already recorded with different content: %s",
		     job->kind->what, job->res->id, differ);
	cw_error_detail(err, "nothing was written");
	cw_error_hint(err, "a retry repeats the same values; for a new record give a new --id (or none)");
	return false;
}

/* The write, in two round trips after the BEGIN that goes with the first:
 *
 *   1. the record's INSERT(s); for a concern, the active ruleset (its
 *      response targets and case weights) and the case's reads (closure
 *      days, the assignment lock, locality, officers' loads);
 *   2. for a concern, its case and first assignment (api.case_open).
 *
 * The score is not written here: the insert's trigger queues the provider
 * and the scorer (batch role) rescores it (schema/013_locks_queue.sql), so
 * no person's login can store a score.  A retried write whose first attempt
 * committed finds its rows: it writes nothing more and reports the case it
 * opened then, or refuses if the retry carries other content. */
static bool
record_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct record_job *job = ctx;
	const bool concern = job->kind == &cw_kind_concern;
	struct cw_case_open open = {
		.provider_id = job->params[1],
		.concern_id = job->res->id,
		.risk = job->params[2],
		.opened_at = job->params[6],
	};
	struct cw_db_batch reads, writes;
	const struct cw_ruleset *rs = NULL;
	struct cw_error rules_err;
	int q_ins, given = 1, inserted = 0, q_rules = -1;
	bool ok = false, none = false;

	cw_db_batch_init(&reads, db);
	cw_db_batch_init(&writes, db);
	cw_error_clear(&rules_err);
	if (concern) {
		q_rules = cw_scoring_active_queue(&reads);
		cw_db_batch_send(&reads);
	}
	if (job->kind == &cw_kind_cqc)
		given = queue_cqc(&reads, job, &q_ins);
	else
		q_ins = cw_db_batch_add(&reads, job->kind->insert_sql, 2 + job->kind->nfields,
					job->params);
	if (concern && !cw_case_open_queue(&reads, &open, err))
		goto out;
	if (concern) {
		/* Parse the ruleset while the server runs the rest. */
		if (!cw_db_batch_wait(&reads, q_rules, err))
			goto out;
		rs = cw_scoring_active_take(&reads, q_rules, &none, &rules_err);
	}
	if (!cw_db_batch_run(&reads, err))
		goto out;
	for (int i = 0; i < given; i++)
		inserted += PQntuples(cw_db_batch_result(&reads, q_ins + i));
	job->res->already = given > 0 && inserted == 0;
	if (job->res->already) {
		/* Nothing more is written; a concern reports its case. */
		if (!(job->kind == &cw_kind_cqc ? record_cqc_same(db, job, err)
						: record_same(db, job, err)) ||
		    (concern && !cw_case_open_in_txn(db, &open, err)))
			goto out;
	} else if (concern) {
		if (rs == NULL && !none) {
			*err = rules_err;
			goto out;
		}
		if (!cw_case_open_finish(&reads, &open, rs, &writes, err) ||
		    !cw_db_batch_run(&writes, err) || !cw_case_open_done(db, &writes, &open, err))
			goto out;
	}
	if (concern) {
		job->res->case_number = open.number;
		snprintf(job->res->case_id, sizeof(job->res->case_id), "%s", open.id);
		snprintf(job->res->due, sizeof(job->res->due), "%s", open.due);
		snprintf(job->res->assigned_to, sizeof(job->res->assigned_to), "%s",
			 open.assigned_to);
	}
	ok = true;
out:
	cw_db_batch_free(&writes);
	cw_db_batch_free(&reads);
	return ok;
}

bool
cw_record(struct cw_db *db, const struct cw_kind *kind, const char *provider_ref,
	  const char *const *values, const char *id, struct cw_record_result *res,
	  struct cw_error *err)
{
	struct record_job job = {.kind = kind, .res = res};
	bool ok, any_rating = false;
	int retried = 0;

	memset(res, 0, sizeof(*res));
	job.vals = calloc((size_t)kind->nfields, sizeof(*job.vals));
	if (job.vals == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	/* 1. Validate everything before any SQL. */
	if (id && !cw_uuid_valid(id)) {
		free(job.vals);
		return cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", id);
	}
	for (int i = 0; i < kind->nfields; i++) {
		bool is_null;
		if (!cw_field_check(&kind->fields[i], values[i], job.vals[i], sizeof(job.vals[i]),
				    &is_null, err)) {
			free(job.vals);
			return false;
		}
		job.params[2 + i] = is_null ? NULL : job.vals[i];
		job.given[i] = values[i] != NULL;
		if (kind == &cw_kind_cqc && i >= 2 && !is_null)
			any_rating = true;
	}
	if (kind->check && !kind->check(&job.params[2], err)) {
		free(job.vals);
		return false;
	}
	(void)any_rating;
	if (id)
		snprintf(res->id, sizeof(res->id), "%s", id);
	else
		cw_uuid_new(res->id);
	/* 2. Resolve the provider (read-only). */
	if (!cw_provider_resolve(db, provider_ref, res->provider_id, res->provider_name,
				 sizeof(res->provider_name), err)) {
		free(job.vals);
		return false;
	}
	job.params[0] = res->id;
	job.params[1] = res->provider_id;
	/* 3. Write, retrying safely: the same id is stored once. */
	ok = cw_db_transaction(db, "READ COMMITTED", record_work, &job, &retried, err);
	free(job.vals);
	return ok;
}
