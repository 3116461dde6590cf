/*
 * cases.c - opening, assigning, responding to and closing cases (cases.h).
 *
 * Opening gathers the balancer's input with a few set-based queries and
 * serialises assignment with the 'assign' row lock (api.lock_take), so eight
 * officers logging concerns at once still see each other's new cases when
 * loads are compared.  The reads travel in one round trip and the write
 * (api.case_open: the case and its first assignment, checked) in another,
 * alongside whatever else the caller sends (record.c sends the concern).
 * Responding, closing and assigning go through api.case_respond,
 * api.case_close and api.case_assign, which check who is calling and the
 * case's state (schema/016_trust_boundary.sql): the database, not this
 * file, is where the case's rules hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/balance.h"
#include "carewatch/calendar.h"
#include "carewatch/cases.h"
#include "carewatch/closure.h"
#include "carewatch/field.h"
#include "carewatch/locks.h"
#include "carewatch/rules.h"
#include "carewatch/scoring.h"


#define LOCALITY_SQL "SELECT locality FROM provider WHERE id = $1"
/* One row per (officer, locality covered): FTE, active, on leave today, open
 * cases by risk level, and whether they hold an open case here. */
#define TEAM_SQL                                                                                 \
	"SELECT o.login, o.fte::float8, o.active AND o.takes_cases,"                              \
	" EXISTS (SELECT 1 FROM officer_leave v WHERE v.login = o.login"                           \
	"   AND (now() AT TIME ZONE 'Europe/London')::date BETWEEN v.first_day AND v.last_day),"    \
	" coalesce(l.locality, ''), k.low, k.medium, k.high, k.very_high, k.here"                \
	" FROM officer o"                                                                          \
	" LEFT JOIN officer_locality l ON l.login = o.login"                                      \
	" CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE c.risk = 'low') AS low,"               \
	"   count(*) FILTER (WHERE c.risk = 'medium') AS medium,"                                  \
	"   count(*) FILTER (WHERE c.risk = 'high') AS high,"                                      \
	"   count(*) FILTER (WHERE c.risk = 'very_high') AS very_high,"                            \
	"   coalesce(bool_or(c.provider_id = $1), false) AS here"                                 \
	"   FROM case_file c WHERE c.assigned_to = o.login AND c.state <> 'closed') k"            \
	" ORDER BY o.login, l.locality"
/* The case and its first assignment, through the function that checks the
 * caller may open it and the officer may take it
 * (schema/016_trust_boundary.sql): the case number, or NULL when the case
 * exists already. */
#define INSERT_SQL "SELECT api.case_open($1, $2, $3, $4, $5, $6, $7)"
#define EXISTING_SQL                                                                             \
	"SELECT number, coalesce(to_char(due_at AT TIME ZONE 'UTC',"                               \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(assigned_to, '')"                       \
	" FROM case_file WHERE id = $1"

/* Ask the balancer (balance.h) who should take a new case of risk at
 * provider_id in locality, given every officer's cover, leave and open cases
 * now (r: TEAM_SQL's rows). */
static bool
choose_officer(const PGresult *r, const struct cw_ruleset *rs, const char *provider_id,
	       const char *locality, enum cw_risk risk, char *out, size_t size, char *why,
	       size_t why_size, const char **reason, struct cw_error *err)
{
	double weights[CW_RISK__N];
	struct cw_officer *team;
	const char **locs;
	int *holders;
	size_t nholders = 0, nlocs = 0, nteam;
	struct cw_new_case nc;
	struct cw_assignment choice;
	int n = PQntuples(r), rc;

	for (int i = 0; i < CW_RISK__N; i++)
		weights[i] = rs ? cw_rules_case_weight(rs, (enum cw_risk)i) : 1.0;
	team = calloc((size_t)n + 1, sizeof(*team));
	locs = calloc((size_t)n + 1, sizeof(*locs));
	holders = calloc((size_t)n + 1, sizeof(*holders));
	if (team == NULL || locs == NULL || holders == NULL) {
		free(team);
		free(locs);
		free(holders);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	nteam = 0;
	for (int i = 0, t = -1; i < n; i++) {
		if (t < 0 || strcmp(team[t].login, PQgetvalue(r, i, 0)) != 0) {
			double load = 0;
			t++;
			for (int k = 0; k < CW_RISK__N; k++)
				load += weights[k] * atof(PQgetvalue(r, i, 5 + k));
			team[t].login = PQgetvalue(r, i, 0);
			team[t].fte = atof(PQgetvalue(r, i, 1));
			team[t].active = PQgetvalue(r, i, 2)[0] == 't';
			team[t].on_leave = PQgetvalue(r, i, 3)[0] == 't';
			team[t].localities = locs + nlocs;
			team[t].load = load;
			if (PQgetvalue(r, i, 9)[0] == 't')
				holders[nholders++] = t;
		}
		if (PQgetvalue(r, i, 4)[0]) {
			locs[nlocs++] = PQgetvalue(r, i, 4);
			team[t].n_localities++;
		}
		nteam = (size_t)t + 1;
	}
	nc.provider_id = provider_id;
	nc.locality = locality;
	nc.risk = risk;
	rc = cw_balance_assign(team, nteam, &nc, holders, nholders, weights, &choice, err);
	if (rc < 0 && choice.how == CW_ASSIGN_INVALID) {
		free(team);
		free(locs);
		free(holders);
		return false;
	}
	if (choice.officer >= 0) {
		snprintf(out, size, "%s", team[choice.officer].login);
		*reason = choice.how == CW_ASSIGN_CONTINUITY ? "continuity" : "lowest_load";
	} else {
		out[0] = '\0';
		*reason = "unassigned";
	}
	snprintf(why, why_size, "%s", choice.reason);
	free(team);
	free(locs);
	free(holders);
	return true;
}

bool
cw_case_open_queue(struct cw_db_batch *reads, struct cw_case_open *c, struct cw_error *err)
{
	const char *p[1] = {c->provider_id};

	c->number = 0;
	c->due[0] = c->assigned_to[0] = c->why[0] = '\0';
	c->already = false;
	c->q_closure = c->q_locality = c->q_team = c->q_insert = -1;
	if ((c->risk_index = cw_vocab_parse(&cw_vocab_risk, c->risk)) < 0)
		return cw_error_field(err, "risk", "invalid risk level '%.20s'", c->risk);
	if (c->opened_at == NULL || strcmp(c->opened_at, "now") == 0) {
		c->at = (cw_time)time(NULL);
	} else if (!cw_time_parse_utc(c->opened_at, "received", &c->at, err)) {
		/* record.c hands over the normalised UTC form of the received time. */
		return false;
	}
	cw_time_format_utc(c->at, c->opened, sizeof(c->opened));
	/* A case opened from a concern has an id derived from the concern's,
	 * so a retried concern finds its case rather than opening another. */
	if (c->concern_id)
		cw_uuid_derive(c->concern_id, "case", c->id);
	else
		cw_uuid_new(c->id);
	c->q_closure = cw_db_batch_add(reads, CW_CLOSURE_DAYS_SQL, 0, NULL);
	/* Assignment is serialised: the loads are read under the lock, so eight
	 * officers logging concerns at once still see each other's new cases.
	 * The batch runs in order, so the lock is held before they are read. */
	(void)cw_db_batch_add(reads, CW_LOCK_ASSIGN_SQL, 0, NULL);
	c->q_locality = cw_db_batch_add(reads, LOCALITY_SQL, 1, p);
	c->q_team = cw_db_batch_add(reads, TEAM_SQL, 1, p);
	return true;
}

bool
cw_case_open_finish(const struct cw_db_batch *reads, struct cw_case_open *c,
		    const struct cw_ruleset *rs, struct cw_db_batch *writes, struct cw_error *err)
{
	const PGresult *closure = cw_db_batch_result(reads, c->q_closure);
	const PGresult *locality = cw_db_batch_result(reads, c->q_locality);
	const PGresult *team = cw_db_batch_result(reads, c->q_team);
	const char *reason = "unassigned";
	char title[200], aid[CW_UUID_LEN];
	int days;

	if (closure == NULL || locality == NULL || team == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "the case's calendar and team were not read");
	if (PQntuples(locality) != 1)
		return cw_error_set(err, CW_EXIT_NOTFOUND, "no provider with id %s", c->provider_id);
	days = rs ? cw_rules_response_days(rs, (enum cw_risk)c->risk_index) : -1;
	if (days >= 0) {
		struct cw_calendar *cal = cw_closure_calendar_from(closure, err);
		if (cal == NULL)
			return false;
		cw_time_format_utc(cw_calendar_due(cal, c->at, days), c->due, sizeof(c->due));
		cw_calendar_free(cal);
	}
	if (!choose_officer(team, rs, c->provider_id, PQgetvalue(locality, 0, 0),
			    (enum cw_risk)c->risk_index, c->assigned_to, sizeof(c->assigned_to), c->why,
			    sizeof(c->why), &reason, err))
		return false;
	if (c->title)
		snprintf(title, sizeof(title), "%s", c->title);
	else
		snprintf(title, sizeof(title), "%s risk concern",
			 cw_vocab_label(&cw_vocab_risk, c->risk_index));
	cw_uuid_new(aid);
	{
		const char *p[7] = {c->id, c->concern_id, title, c->due[0] ? c->due : NULL,
				    c->assigned_to[0] ? c->assigned_to : NULL, aid, reason};
		c->q_insert = cw_db_batch_add(writes, INSERT_SQL, 7, p);
	}
	return true;
}

/* Fill c from the existing case (id c->id), if there is one. */
static bool
find_existing(struct cw_db *db, struct cw_case_open *c, bool *found, struct cw_error *err)
{
	const char *p[1] = {c->id};
	PGresult *r = cw_db_query(db, EXISTING_SQL, 1, p, err);

	if (r == NULL)
		return false;
	*found = PQntuples(r) == 1;
	if (*found) {
		c->number = atol(PQgetvalue(r, 0, 0));
		snprintf(c->due, sizeof(c->due), "%s", PQgetvalue(r, 0, 1));
		snprintf(c->assigned_to, sizeof(c->assigned_to), "%s", PQgetvalue(r, 0, 2));
		c->why[0] = '\0';
		c->already = true;
	}
	PQclear(r);
	return true;
}

bool
cw_case_open_done(struct cw_db *db, const struct cw_db_batch *writes, struct cw_case_open *c,
		  struct cw_error *err)
{
	const PGresult *r = cw_db_batch_result(writes, c->q_insert);
	bool found;

	if (r == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "the case was not written");
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		c->number = atol(PQgetvalue(r, 0, 0));
		return true;
	}
	/* It existed: the caller was wrong to think it could not. */
	if (!find_existing(db, c, &found, err))
		return false;
	if (!found)
		return cw_error_set(err, CW_EXIT_FAIL, "case %s was neither opened nor found", c->id);
	return true;
}

bool
cw_case_open_in_txn(struct cw_db *db, struct cw_case_open *c, struct cw_error *err)
{
	struct cw_db_batch reads, writes;
	bool none, found, ok;
	int qr;

	if (cw_vocab_parse(&cw_vocab_risk, c->risk) < 0)
		return cw_error_field(err, "risk", "invalid risk level '%.20s'", c->risk);
	if (c->concern_id) {
		cw_uuid_derive(c->concern_id, "case", c->id);
		if (!find_existing(db, c, &found, err))
			return false;
		if (found)
			return true;
	}
	cw_db_batch_init(&reads, db);
	cw_db_batch_init(&writes, db);
	ok = cw_case_open_queue(&reads, c, err);
	qr = cw_scoring_active_queue(&reads);
	ok = ok && cw_db_batch_run(&reads, err);
	if (ok) {
		const struct cw_ruleset *rs = cw_scoring_active_take(&reads, qr, &none, err);
		ok = (rs != NULL || none) && cw_case_open_finish(&reads, c, rs, &writes, err) &&
		     cw_db_batch_run(&writes, err) && cw_case_open_done(db, &writes, c, err);
	}
	cw_db_batch_free(&writes);
	cw_db_batch_free(&reads);
	return ok;
}

bool
cw_case_resolve(struct cw_db *db, const char *ref, char id_out[CW_UUID_LEN], long *number,
		struct cw_error *err)
{
	const char *p[1] = {ref};
	PGresult *r;
	const char *s = ref;

	if (ref == NULL || *ref == '\0')
		return cw_error_field(err, "case", "missing case number");
	if (*s == '#')
		p[0] = ++s;
	if (cw_uuid_valid(s))
		r = cw_db_query(db, "SELECT id, number FROM case_file WHERE id = $1", 1, p, err);
	else {
		for (const char *q = s; *q; q++)
			if (*q < '0' || *q > '9' || q - s > 15)
				return cw_error_field(err, "case", "invalid case number '%.20s'", ref);
		r = cw_db_query(db, "SELECT id, number FROM case_file WHERE number = $1::bigint", 1, p, err);
	}
	if (r == NULL)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return cw_error_set(err, CW_EXIT_NOTFOUND, "no case %.40s", ref);
	}
	snprintf(id_out, CW_UUID_LEN, "%s", PQgetvalue(r, 0, 0));
	if (number)
		*number = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	return true;
}

struct respond_job {
	const char *params[5];          /* id, case, at, kind, note */
	bool already;
};

/* api.case_respond checks the caller may work the case, that it is not
 * closed and that the time is not before it opened; false back means this
 * id was recorded before with the same content. */
static bool
respond_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct respond_job *job = ctx;
	char v[8];

	if (!cw_db_value(db, "SELECT api.case_respond($1, $2, $3, $4, $5)", 5, job->params, v,
			 sizeof(v), NULL, err))
		return false;
	job->already = v[0] == 'f';
	return true;
}

static const struct cw_vocab response_kinds = {
	"response kind", (const char *const[]){"visit", "phone", "email", "letter", "meeting"},
	(const char *const[]){"Visit", "Phone call", "Email", "Letter", "Meeting"}, 5,
};

bool
cw_case_respond(struct cw_db *db, const char *case_ref, const char *kind, const char *at,
		const char *note, const char *id, bool *already, struct cw_error *err)
{
	static const struct cw_field at_f = {"at", CW_F_TIME, NULL, false, 0, 0, "WHEN", "", "now"};
	static const struct cw_field note_f = {"note", CW_F_TEXT, NULL, false, 1, CW_TEXT_MAX, "TEXT", "", NULL};
	struct respond_job job = {0};
	char cid[CW_UUID_LEN], rid[CW_UUID_LEN], when[40], *text;
	bool is_null;
	int k;
	bool ok;

	if (!cw_vocab_check(&response_kinds, "kind", kind, &k, err))
		return false;
	if (!cw_field_check(&at_f, at, when, sizeof(when), &is_null, err))
		return false;
	/* Left out, it is the server's now (and a retry does not compare it). */
	bool at_given = at != NULL && strcmp(when, "now") != 0;
	text = malloc(CW_TEXT_BYTES);
	if (!cw_field_check(&note_f, note, text, CW_TEXT_BYTES, &is_null, err)) {
		free(text);
		return false;
	}
	if (id && !cw_uuid_valid(id)) {
		free(text);
		return cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", id);
	}
	if (!cw_case_resolve(db, case_ref, cid, NULL, err)) {
		free(text);
		return false;
	}
	if (id)
		snprintf(rid, sizeof(rid), "%s", id);
	else
		cw_uuid_new(rid);
	job.params[0] = rid;
	job.params[1] = cid;
	job.params[2] = at_given ? when : NULL;
	job.params[3] = response_kinds.words[k];
	job.params[4] = is_null ? NULL : text;
	ok = cw_db_transaction(db, "READ COMMITTED", respond_work, &job, NULL, err);
	free(text);
	if (ok && already)
		*already = job.already;
	return ok;
}

bool
cw_case_reopen(struct cw_db *db, const char *case_ref, const char *reason, struct cw_error *err)
{
	static const struct cw_field reason_f = {"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "",
						 NULL};
	char cid[CW_UUID_LEN], *text = malloc(CW_TEXT_BYTES);
	const char *p[2] = {cid, text};
	bool is_null, ok;

	if (text == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	ok = cw_field_check(&reason_f, reason, text, CW_TEXT_BYTES, &is_null, err) &&
	     cw_case_resolve(db, case_ref, cid, NULL, err) &&
	     cw_db_exec(db, "SELECT api.case_reopen($1, $2)", 2, p, err);
	free(text);
	return ok;
}

bool
cw_case_close(struct cw_db *db, const char *case_ref, const char *note, struct cw_error *err)
{
	static const struct cw_field note_f = {"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "", NULL};
	char cid[CW_UUID_LEN], *text = malloc(CW_TEXT_BYTES);
	const char *p[2] = {cid, text};
	bool is_null;
	PGresult *r;

	if (text == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	if (!cw_field_check(&note_f, note, text, CW_TEXT_BYTES, &is_null, err) ||
	    !cw_case_resolve(db, case_ref, cid, NULL, err)) {
		free(text);
		return false;
	}
	r = cw_db_query(db, "SELECT api.case_close($1, $2)", 2, p, err);
	free(text);
	if (r == NULL)
		return false;
	PQclear(r);
	return true;
}

bool
cw_case_assign(struct cw_db *db, const char *case_ref, const char *officer, const char *reason,
	       bool force, const char *note, struct cw_error *err)
{
	static const struct cw_field reason_f = {"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "",
						 NULL};
	char cid[CW_UUID_LEN], aid[CW_UUID_LEN], buf[8], *text = NULL;
	bool found, is_null, ok;

	if (note && !force)
		return cw_error_field(err, "note", "--note goes with --force");
	if (force) {
		if ((text = malloc(CW_TEXT_BYTES)) == NULL)
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		if (!cw_field_check(&reason_f, note, text, CW_TEXT_BYTES, &is_null, err)) {
			free(text);
			return false;
		}
	}
	if (!cw_case_resolve(db, case_ref, cid, NULL, err)) {
		free(text);
		return false;
	}
	if (officer) {
		const char *p[1] = {officer};
		if (!cw_db_value(db, "SELECT 1 FROM officer WHERE login = $1 AND active", 1, p, buf,
				 sizeof(buf), &found, err)) {
			free(text);
			return false;
		}
		if (!found) {
			free(text);
			return cw_error_set(err, CW_EXIT_NOTFOUND, "no active officer '%.40s'", officer);
		}
	}
	cw_uuid_new(aid);
	{
		/* One move, from whoever holds the case now. */
		const char *p[6] = {aid, cid, officer, reason, force ? "t" : "f", text};
		ok = cw_db_exec(db,
				"SELECT api.case_assign(ARRAY[$1::uuid], ARRAY[$2::uuid],"
				" ARRAY[(SELECT assigned_to FROM case_file WHERE id = $2::uuid)],"
				" ARRAY[$3::text], $4, $5::boolean, $6)",
				6, p, err);
	}
	free(text);
	return ok;
}
