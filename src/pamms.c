/*
 * pamms.c - PAMMS audits after they are recorded: finalising, action
 * plans, and what falls due (pamms.h).
 *
 * Every step is one call of an api function in one transaction
 * (schema/034_pamms.sql); everything a person typed is checked here first,
 * so a mistake is named before any SQL and nothing is written.  The due
 * dates are worked out in SQL from the stored publication date and the
 * active ruleset's [pamms] numbers, passed as parameters, so a list and a
 * worklist agree to the day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/correct.h"
#include "carewatch/field.h"
#include "carewatch/pamms.h"
#include "carewatch/rules.h"
#include "carewatch/scoring.h"

bool
cw_pamms_due_rules(struct cw_db *db, int *follow_up_months, int *plan_days, struct cw_error *err)
{
	bool none = false;
	const struct cw_ruleset *rs = cw_scoring_active(db, &none, err);

	if (rs == NULL && !none)
		return false;
	/* PAMMS's own: a plan in 14 days, a second audit about six months on. */
	*follow_up_months = rs ? cw_rules_pamms_follow_up_months(rs) : 6;
	*plan_days = rs ? cw_rules_pamms_plan_days(rs) : 14;
	return true;
}

/* v(of, id): each audit `of` and every version it corrects, back to the
 * first: a follow-up names the version that was current when it was
 * recorded, which a correction since has replaced. */
#define VERSIONS_OF(audits)                                                                  \
	" v(of, id) AS (SELECT a, a FROM (" audits ") s(a) UNION ALL"                         \
	"  SELECT v.of, x.supersedes FROM v JOIN pamms_audit x ON x.id = v.id"                 \
	"   WHERE x.supersedes IS NOT NULL)"

/* $1 the audit, $2 plan days, $3 follow-up months.  London's today. */
static const char state_sql[] =
	"WITH RECURSIVE t AS (SELECT (now() AT TIME ZONE 'Europe/London')::date AS d),"
	VERSIONS_OF("SELECT $1::uuid")
	" SELECT x.id::text, x.provider_id::text, p.name, x.overall, to_char(x.audited_on, 'YYYY-MM-DD'),"
	"  coalesce(to_char(f.published_on, 'YYYY-MM-DD'), ''),"
	"  f.id IS NOT NULL AND x.overall IN ('requires_improvement', 'poor'),"
	"  coalesce(to_char(f.published_on + $2::int, 'YYYY-MM-DD'), ''),"
	"  coalesce(to_char((f.published_on + make_interval(months => $3::int))::date, 'YYYY-MM-DD'), ''),"
	"  (SELECT count(*) FROM pamms_action n WHERE n.audit_id = x.id),"
	"  (SELECT count(*) FROM pamms_action n WHERE n.audit_id = x.id AND n.status = 'open'),"
	"  (SELECT count(*) FROM pamms_action n, t WHERE n.audit_id = x.id AND n.status = 'open'"
	"    AND n.due_on < t.d),"
	"  coalesce((SELECT y.id::text FROM v JOIN pamms_audit_current y ON y.follows = v.id"
	"    ORDER BY y.audited_on DESC, y.id LIMIT 1), '')"
	" FROM pamms_audit x JOIN provider p ON p.id = x.provider_id"
	" LEFT JOIN pamms_final f ON f.audit_id = x.id WHERE x.id = $1";

bool
cw_pamms_state(struct cw_db *db, const char *id, struct cw_pamms_state *out, struct cw_error *err)
{
	char days[16], months[16];
	const char *p[3] = {id, days, months};
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if (!cw_pamms_due_rules(db, &out->follow_up_months, &out->plan_days, err))
		return false;
	snprintf(days, sizeof(days), "%d", out->plan_days);
	snprintf(months, sizeof(months), "%d", out->follow_up_months);
	if ((r = cw_db_query(db, state_sql, 3, p, err)) == NULL)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return cw_error_set(err, CW_EXIT_NOTFOUND, "no PAMMS audit %.36s", id);
	}
#define COPY(field, col) snprintf(out->field, sizeof(out->field), "%s", PQgetvalue(r, 0, col))
	COPY(id, 0);
	COPY(provider_id, 1);
	COPY(provider_name, 2);
	COPY(overall, 3);
	COPY(audited, 4);
	COPY(published, 5);
	COPY(plan_due, 7);
	COPY(follow_up_due, 8);
	COPY(followed_by, 12);
#undef COPY
	out->final = out->published[0] != '\0';
	out->needs_plan = PQgetvalue(r, 0, 6)[0] == 't';
	if (!out->needs_plan)
		out->plan_due[0] = out->follow_up_due[0] = '\0';
	out->actions = atol(PQgetvalue(r, 0, 9));
	out->open_actions = atol(PQgetvalue(r, 0, 10));
	out->overdue_actions = atol(PQgetvalue(r, 0, 11));
	PQclear(r);
	return true;
}

/* ---- finalising ---- */

struct step_job {
	const char *sql;
	const char *params[5];
	int n;
	char value[2][32];              /* the first row's first two columns */
};

static bool
step_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct step_job *job = ctx;
	PGresult *r = cw_db_query(db, job->sql, job->n, job->params, err);

	if (r == NULL)
		return false;
	for (int c = 0; c < 2; c++)
		snprintf(job->value[c], sizeof(job->value[c]), "%s",
			 PQntuples(r) == 1 && c < PQnfields(r) ? PQgetvalue(r, 0, c) : "");
	PQclear(r);
	return true;
}

bool
cw_pamms_finalise(struct cw_db *db, const char *ref, const char *on, bool *already,
		  struct cw_pamms_state *out, struct cw_error *err)
{
	static const struct cw_field on_f = {"on", CW_F_DATE, NULL, false, 0, 0, "DATE", "", "today"};
	struct step_job job = {.sql = "SELECT api.pamms_finalise($1, $2, $3)", .n = 3};
	char day[16], fid[CW_UUID_LEN];
	struct cw_found f;
	bool is_null;

	*already = false;
	memset(out, 0, sizeof(*out));
	if (!cw_field_check(&on_f, on, day, sizeof(day), &is_null, err) ||
	    !cw_record_find(db, &cw_kind_pamms, ref, &f, err))
		return false;
	/* One finalisation per audit: its id is the audit's, derived, so the
	 * same command again (a retry, or run twice) writes nothing more. */
	cw_uuid_derive(f.id, "final", fid);
	job.params[0] = fid;
	job.params[1] = f.id;
	job.params[2] = day;
	if (!cw_db_transaction(db, "READ COMMITTED", step_work, &job, NULL, err))
		return false;
	*already = job.value[0][0] != 't';
	return cw_pamms_state(db, f.id, out, err);
}

/* ---- action plans ---- */

bool
cw_pamms_action_add(struct cw_db *db, const char *ref, const char *owner, const char *due,
		    const char *note, const char *id, long *number, bool *already,
		    struct cw_pamms_state *audit, struct cw_error *err)
{
	static const struct cw_field due_f = {"due", CW_F_DATE, NULL, true, 0, CW_F_ANY_DAY, "DATE", "", NULL};
	static const struct cw_field note_f = {"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "", NULL};
	struct step_job job = {.sql = "SELECT written, number FROM api.pamms_action_add($1, $2, $3, $4, $5)",
			       .n = 5};
	char day[16], aid[CW_UUID_LEN];
	char *text = NULL;
	struct cw_found f;
	bool is_null, ok = false;

	*number = 0;
	*already = false;
	memset(audit, 0, sizeof(*audit));
	/* Everything typed, before any SQL, in the order of the options. */
	if (owner == NULL || owner[0] == '\0')
		return cw_error_field(err, "owner", "missing --owner NAME (who at the provider is responsible)");
	if (!cw_text_check("owner", owner, 200, true, err) ||
	    !cw_field_check(&due_f, due, day, sizeof(day), &is_null, err))
		return false;
	if ((text = malloc(CW_TEXT_BYTES)) == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	if (!cw_field_check(&note_f, note, text, CW_TEXT_BYTES, &is_null, err))
		goto out;
	if (id && !cw_uuid_valid(id)) {
		cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", id);
		goto out;
	}
	if (!cw_record_find(db, &cw_kind_pamms, ref, &f, err))
		goto out;
	if (id)
		snprintf(aid, sizeof(aid), "%s", id);
	else
		cw_uuid_new(aid);
	job.params[0] = aid;
	job.params[1] = f.id;
	job.params[2] = owner;
	job.params[3] = day;
	job.params[4] = text;
	if (!cw_db_transaction(db, "READ COMMITTED", step_work, &job, NULL, err))
		goto out;
	*already = job.value[0][0] != 't';
	*number = atol(job.value[1]);
	ok = cw_pamms_state(db, f.id, audit, err);
out:
	free(text);
	return ok;
}

bool
cw_pamms_action_close(struct cw_db *db, const char *number, const char *status, bool *already,
		      struct cw_error *err)
{
	static const struct cw_field number_f = {"action", CW_F_INT, NULL, true, 1, 2000000000, "N", "", NULL};
	struct step_job job = {.sql = "SELECT api.pamms_action_set($1, $2)", .n = 2};
	char n[16];
	bool is_null;

	*already = false;
	if (!cw_field_check(&number_f, number, n, sizeof(n), &is_null, err))
		return false;
	job.params[0] = n;
	job.params[1] = status;
	if (!cw_db_transaction(db, "READ COMMITTED", step_work, &job, NULL, err))
		return false;
	*already = job.value[0][0] != 't';
	return true;
}

/* ---- overdue ---- */

/* $1 the recorder, $2 plan days, $3 follow-up months. */
static const char overdue_sql[] =
	"WITH RECURSIVE t AS (SELECT (now() AT TIME ZONE 'Europe/London')::date AS d),"
	" a AS (SELECT x.id, x.overall, f.published_on, p.name FROM pamms_audit_current x"
	"   JOIN pamms_final f ON f.audit_id = x.id JOIN provider p ON p.id = x.provider_id"
	"  WHERE x.recorded_by = $1 AND x.overall IN ('requires_improvement', 'poor')),"
	VERSIONS_OF("SELECT id FROM a") ","
	" due AS ("
	"  SELECT 'action ' || n.number AS item, a.name, a.id, a.overall, n.due_on AS due, n.number AS o"
	"    FROM a JOIN pamms_action n ON n.audit_id = a.id WHERE n.status = 'open'"
	"  UNION ALL"
	"  SELECT 'action plan', a.name, a.id, a.overall, a.published_on + $2::int, 0 FROM a"
	"   WHERE NOT EXISTS (SELECT 1 FROM pamms_action n WHERE n.audit_id = a.id)"
	"  UNION ALL"
	"  SELECT 'follow-up audit', a.name, a.id, a.overall,"
	"         (a.published_on + make_interval(months => $3::int))::date, 0 FROM a"
	"   WHERE NOT EXISTS (SELECT 1 FROM v JOIN pamms_audit_current y ON y.follows = v.id"
	"                      WHERE v.of = a.id))"
	" SELECT due.item, due.name, left(due.id::text, 8), due.overall, to_char(due.due, 'YYYY-MM-DD'),"
	"  (t.d - due.due)::text"
	" FROM due, t WHERE due.due < t.d ORDER BY due.due, due.name, due.id, due.o";

PGresult *
cw_pamms_overdue(struct cw_db *db, const char *login, int plan_days, int follow_up_months,
		 struct cw_error *err)
{
	char days[16], months[16];
	const char *p[3] = {login, days, months};

	snprintf(days, sizeof(days), "%d", plan_days);
	snprintf(months, sizeof(months), "%d", follow_up_months);
	return cw_db_query(db, overdue_sql, 3, p, err);
}
