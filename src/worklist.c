/*
 * worklist.c - the caseload, rebalancing, the response-time report and the
 * month-end counts (worklist.h).
 *
 * The balancer and the calendar decide; this file only feeds them and stores
 * their answers.  Input is gathered set-based: the team in one query (cover
 * and today's leave aggregated per officer by joins, not per-officer
 * subqueries) and the open cases in another: for plain `caseload`, which
 * must answer in milliseconds at national scale, the counts the triggers of
 * 005_worklist.sql keep per holder and risk level plus the overdue cases;
 * for `--suggest` and `--apply`, one row per open case.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/closure.h"
#include "carewatch/field.h"
#include "carewatch/rules.h"
#include "carewatch/scoring.h"
#include "carewatch/worklist.h"


bool
cw_worklist_weights(struct cw_db *db, double weights[CW_RISK__N], char *name, size_t name_size,
		    struct cw_error *err)
{
	bool none = false;
	const struct cw_ruleset *rs = cw_scoring_active(db, &none, err);

	if (rs == NULL && !none)
		return false;
	/* The same fallback as new-case assignment (cases.c): every case 1. */
	for (int i = 0; i < CW_RISK__N; i++)
		weights[i] = rs ? cw_rules_case_weight(rs, (enum cw_risk)i) : 1.0;
	if (name)
		snprintf(name, name_size, "%s", rs ? cw_rules_name(rs) : "");
	return true;
}

/* ---- caseload ---- */

struct caseload_priv {
	PGresult *team, *cases;
	const char **locs;              /* every officer's localities, into team */
};

void
cw_caseload_free(struct cw_caseload *cl)
{
	struct caseload_priv *p;

	if (cl == NULL)
		return;
	p = cl->priv;
	if (p) {
		PQclear(p->team);
		PQclear(p->cases);
		free(p->locs);
		free(p);
	}
	free(cl->officers);
	free(cl->leave_until);
	free(cl->no_cases);
	free(cl->counts);
	free(cl->per);
	free(cl->cases);
	free(cl->numbers);
	free(cl->provider_names);
	memset(cl, 0, sizeof(*cl));
}

static int
by_login(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cw_officer *)elem)->login);
}

int
cw_caseload_find(const struct cw_caseload *cl, const char *login)
{
	const struct cw_officer *o;

	if (cl->n_officers == 0 || login == NULL)
		return -1;
	o = bsearch(login, cl->officers, cl->n_officers, sizeof(*cl->officers), by_login);
	return o ? (int)(o - cl->officers) : -1;
}

/* The team: one row per (officer, locality covered), or one with locality
 * "" for an officer who covers none, in strcmp order of login (COLLATE "C",
 * so bsearch agrees whatever the database's collation): the rows of one
 * officer are consecutive.  Not aggregated in SQL: at national scale the
 * per-officer string_agg cost more than the rest of the query.  Columns:
 * login, FTE, active, locality, last day of today's leave (or ""), and the
 * post of an active officer who takes no cases (or ""). */
static const char team_sql[] =
	"SELECT o.login, o.fte::float8, o.active AND o.takes_cases, coalesce(l.locality, ''),"
	" coalesce(to_char(v.until, 'YYYY-MM-DD'), ''),"
	" CASE WHEN o.active AND NOT o.takes_cases THEN o.post ELSE '' END"
	" FROM officer o"
	" LEFT JOIN officer_locality l ON l.login = o.login"
	" LEFT JOIN (SELECT login, max(last_day) AS until FROM officer_leave"
	"   WHERE (now() AT TIME ZONE 'Europe/London')::date BETWEEN first_day AND last_day"
	"   GROUP BY login) v ON v.login = o.login"
	" ORDER BY o.login COLLATE \"C\"";

/* Open cases by holder and risk level, as the triggers of 005_worklist.sql
 * keep them (a few thousand rows at national scale, however many cases),
 * then the overdue cases by holder, counted now from the partial index
 * case_file_open_due.  Columns: holder ("" for the queue), risk (NULL on an
 * overdue row), open, overdue. */
static const char counts_sql[] =
	"SELECT holder, risk, open, 0 FROM caseload_count WHERE open <> 0"
	" UNION ALL"
	" SELECT coalesce(assigned_to, ''), NULL, 0, count(*) FROM case_file"
	" WHERE state = 'open' AND due_at < now() GROUP BY assigned_to";

/* Every open case, for the balancer (by case number: a stable input order,
 * so the same data always gives the same moves). */
static const char cases_sql[] =
	"SELECT c.id, c.number, c.provider_id, p.name, p.locality, c.risk,"
	" coalesce(c.assigned_to, ''), c.state = 'open' AND c.due_at < now()"
	" FROM case_file c JOIN provider p ON p.id = c.provider_id"
	" WHERE c.state <> 'closed' ORDER BY c.number";

static bool
oom(struct cw_error *err)
{
	return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
}

static bool
load_team(struct cw_caseload *cl, struct caseload_priv *p, struct cw_error *err)
{
	int rows = PQntuples(p->team);
	size_t n = 0, t = 0;

	for (int i = 0; i < rows; i++)
		if (i == 0 || strcmp(PQgetvalue(p->team, i, 0), PQgetvalue(p->team, i - 1, 0)) != 0)
			n++;
	cl->n_officers = n;
	cl->officers = calloc(n + 1, sizeof(*cl->officers));
	cl->leave_until = calloc(n + 1, sizeof(*cl->leave_until));
	cl->no_cases = calloc(n + 1, sizeof(*cl->no_cases));
	cl->counts = calloc(n + 1, sizeof(*cl->counts));
	cl->per = calloc(n + 1, sizeof(*cl->per));
	p->locs = calloc((size_t)rows + 1, sizeof(*p->locs));
	if (!cl->officers || !cl->leave_until || !cl->no_cases || !cl->counts || !cl->per || !p->locs)
		return oom(err);
	/* An officer's rows are consecutive, so their localities are too: each
	 * officer's list is a slice of p->locs starting at their first row. */
	for (int i = 0; i < rows; i++) {
		struct cw_officer *o;
		const char *loc = PQgetvalue(p->team, i, 3);

		if (i > 0 && strcmp(PQgetvalue(p->team, i, 0), PQgetvalue(p->team, i - 1, 0)) != 0)
			t++;
		o = &cl->officers[t];
		if (o->login == NULL) {
			o->login = PQgetvalue(p->team, i, 0);
			o->fte = atof(PQgetvalue(p->team, i, 1));
			o->active = PQgetvalue(p->team, i, 2)[0] == 't';
			cl->leave_until[t] = PQgetvalue(p->team, i, 4);
			cl->no_cases[t] = PQgetvalue(p->team, i, 5);
			o->on_leave = cl->leave_until[t][0] != '\0';
			o->localities = p->locs + i;
		}
		if (loc[0])
			p->locs[i] = loc;
		o->n_localities += loc[0] != '\0';
	}
	return true;
}

static struct cw_caseload_counts *
counts_of(struct cw_caseload *cl, const char *login, struct cw_error *err)
{
	int i;

	if (login[0] == '\0')
		return &cl->unassigned;
	if ((i = cw_caseload_find(cl, login)) < 0) {
		/* Cannot happen (assigned_to references officer) unless an officer
		 * was added between the two queries: say so rather than miscount. */
		cw_error_set(err, CW_EXIT_FAIL, "case holder '%.63s' is not in the team", login);
		cw_error_hint(err, "run the command again");
		return NULL;
	}
	return &cl->counts[i];
}

static bool
load_counts(struct cw_db *db, struct cw_caseload *cl, struct cw_error *err)
{
	PGresult *r = cw_db_query(db, counts_sql, 0, NULL, err);

	if (r == NULL)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		struct cw_caseload_counts *k = counts_of(cl, PQgetvalue(r, i, 0), err);
		int risk;

		if (k == NULL) {
			PQclear(r);
			return false;
		}
		risk = PQgetisnull(r, i, 1) ? -1 : cw_vocab_parse(&cw_vocab_risk, PQgetvalue(r, i, 1));
		if (risk >= 0)
			k->open[risk] += atol(PQgetvalue(r, i, 2));
		k->overdue += atol(PQgetvalue(r, i, 3));
	}
	PQclear(r);
	return true;
}

static bool
load_cases(struct cw_db *db, struct cw_caseload *cl, struct caseload_priv *p,
	   struct cw_error *err)
{
	size_t n;

	if ((p->cases = cw_db_query(db, cases_sql, 0, NULL, err)) == NULL)
		return false;
	n = (size_t)PQntuples(p->cases);
	cl->cases = calloc(n + 1, sizeof(*cl->cases));
	cl->numbers = calloc(n + 1, sizeof(*cl->numbers));
	cl->provider_names = calloc(n + 1, sizeof(*cl->provider_names));
	if (!cl->cases || !cl->numbers || !cl->provider_names)
		return oom(err);
	cl->n_cases = n;
	for (size_t i = 0; i < n; i++) {
		struct cw_open_case *c = &cl->cases[i];
		const char *holder = PQgetvalue(p->cases, (int)i, 6);
		struct cw_caseload_counts *k = counts_of(cl, holder, err);
		int risk = cw_vocab_parse(&cw_vocab_risk, PQgetvalue(p->cases, (int)i, 5));

		if (k == NULL)
			return false;
		c->id = PQgetvalue(p->cases, (int)i, 0);
		cl->numbers[i] = atol(PQgetvalue(p->cases, (int)i, 1));
		c->provider_id = PQgetvalue(p->cases, (int)i, 2);
		cl->provider_names[i] = PQgetvalue(p->cases, (int)i, 3);
		c->locality = PQgetvalue(p->cases, (int)i, 4);
		c->risk = risk < 0 ? CW_RISK_LOW : (enum cw_risk)risk;
		c->officer = holder[0] ? cw_caseload_find(cl, holder) : -1;
		k->open[c->risk]++;
		k->overdue += PQgetvalue(p->cases, (int)i, 7)[0] == 't';
	}
	return true;
}

static double
weighted(const struct cw_caseload_counts *k, const double w[CW_RISK__N])
{
	double load = 0;

	for (int r = 0; r < CW_RISK__N; r++)
		load += (double)k->open[r] * w[r];
	return load;
}

bool
cw_caseload_load(struct cw_db *db, bool with_cases, struct cw_caseload *out,
		 struct cw_error *err)
{
	struct caseload_priv *p;

	memset(out, 0, sizeof(*out));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return oom(err);
	out->priv = p;
	if (!cw_worklist_weights(db, out->weights, out->ruleset, sizeof(out->ruleset), err) ||
	    (p->team = cw_db_query(db, team_sql, 0, NULL, err)) == NULL ||
	    !load_team(out, p, err) ||
	    !(with_cases ? load_cases(db, out, p, err) : load_counts(db, out, err))) {
		cw_caseload_free(out);
		return false;
	}
	for (size_t i = 0; i < out->n_officers; i++)
		out->officers[i].load = out->counts[i].load = weighted(&out->counts[i], out->weights);
	out->unassigned.load = weighted(&out->unassigned, out->weights);
	cw_balance_figures(out->officers, out->n_officers, out->per, &out->team);
	return true;
}

/* A growing string for the array parameters of --apply. */
struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void buf_add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->s && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n + 1;
			char *s = realloc(b->s, cap);
			if (s == NULL) {
				b->failed = true;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

bool
cw_caseload_may_move(struct cw_db *db, struct cw_error *err)
{
	char may[8];

	if (!cw_db_value(db, "SELECT api.is_member('carewatch_manager')", 0, NULL, may, sizeof(may),
			 NULL, err))
		return false;
	if (may[0] != 't') {
		cw_error_set(err, CW_EXIT_DENIED, "only a quality manager may move cases (role %.63s)",
			     cw_db_user(db));
		cw_error_hint(err, "'carewatch caseload --suggest' shows the moves without making them");
		return false;
	}
	return true;
}

struct apply_job {
	const char *params[5];         /* api.caseload_apply's, in its order */
	struct cw_batch_result *out;
};

/* One attempt: a retry after a lost connection sends the same request id,
 * and the function answers it with the batch it made the first time. */
static bool
apply_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct apply_job *job = ctx;
	PGresult *r = cw_db_query(db, "SELECT batch_no, moved, already FROM api.caseload_apply($1::uuid,"
				  " $2::uuid[], $3::text[], $4::text[], $5)", 5, job->params, err);

	if (r == NULL)
		return false;
	if (PQntuples(r) == 1) {
		job->out->batch = atol(PQgetvalue(r, 0, 0));
		job->out->moved = atol(PQgetvalue(r, 0, 1));
		job->out->already = PQgetvalue(r, 0, 2)[0] == 't';
	}
	PQclear(r);
	return true;
}

/* Array literals for unnest(): every element double-quoted (a login could
 * be "null"), a missing officer written as an unquoted NULL.  Logins and
 * UUIDs hold no quote or backslash (CHECK constraints), so nothing needs
 * escaping; the values still travel as parameters. */
bool
cw_caseload_apply(struct cw_db *db, const struct cw_caseload *cl, const struct cw_suggestion *s,
		  const char *request, const char *note, struct cw_batch_result *out,
		  struct cw_error *err)
{
	struct buf ids = {0}, from = {0}, to = {0};
	struct apply_job job = {{NULL}, out};
	bool ok = false;

	memset(out, 0, sizeof(*out));
	buf_add(&ids, "{");
	buf_add(&from, "{");
	buf_add(&to, "{");
	for (size_t i = 0; i < s->n_moves; i++) {
		const struct cw_move *m = &s->moves[i];
		const char *sep = i ? "," : "";

		buf_add(&ids, "%s\"%s\"", sep, m->case_id);
		if (m->from >= 0)
			buf_add(&from, "%s\"%s\"", sep, cl->officers[m->from].login);
		else
			buf_add(&from, "%sNULL", sep);
		buf_add(&to, "%s\"%s\"", sep, cl->officers[m->to].login);
	}
	buf_add(&ids, "}");
	buf_add(&from, "}");
	buf_add(&to, "}");
	if (ids.failed || from.failed || to.failed) {
		oom(err);
		goto done;
	}
	job.params[0] = request;
	job.params[1] = ids.s;
	job.params[2] = from.s;
	job.params[3] = to.s;
	job.params[4] = note;
	/* The function takes the assignment lock, then checks every case is
	 * still open and held by the officer the preview showed: if one is
	 * not, it refuses (55000) and nothing is retried, since the moves
	 * shown are no longer the moves to make. */
	ok = cw_db_transaction(db, "READ COMMITTED", apply_work, &job, NULL, err);
done:
	free(ids.s);
	free(from.s);
	free(to.s);
	return ok;
}

struct undo_job {
	const char *params[4];
	PGresult *moves;
};

static bool
undo_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct undo_job *job = ctx;
	PGresult *r = cw_db_query(db, "SELECT coalesce(batch_no::text, ''), case_no, provider_name,"
				  " coalesce(move_from, ''), coalesce(move_to, ''), already"
				  " FROM api.caseload_undo($1::uuid, $2::bigint, $3, $4::boolean)",
				  4, job->params, err);

	if (r == NULL)
		return false;
	PQclear(job->moves);            /* an earlier attempt's, when retried */
	job->moves = r;
	return true;
}

PGresult *
cw_caseload_undo(struct cw_db *db, const char *batch, const char *request, const char *note,
		 bool dry_run, struct cw_error *err)
{
	struct undo_job job = {{request, batch, note, dry_run ? "t" : "f"}, NULL};

	/* A dry run writes nothing: one statement, nothing to retry. */
	if (dry_run)
		return undo_work(db, &job, err) ? job.moves : NULL;
	if (!cw_db_transaction(db, "READ COMMITTED", undo_work, &job, NULL, err)) {
		PQclear(job.moves);
		return NULL;
	}
	return job.moves;
}

/* ---- response-time report ---- */

static const char *const outcome_words[CW_RESP__N] = {
	"on_time", "late", "open_past_due", "closed_unanswered", "not_yet_due",
};

const char *
cw_response_outcome_word(enum cw_response_outcome o)
{
	return (int)o >= 0 && o < CW_RESP__N ? outcome_words[o] : "?";
}

long
cw_response_decided(const long counts[CW_RESP__N])
{
	return counts[CW_RESP_ON_TIME] + counts[CW_RESP_LATE] + counts[CW_RESP_OPEN_PAST_DUE] +
	       counts[CW_RESP_CLOSED_UNANSWERED];
}

double
cw_response_pct(const long counts[CW_RESP__N])
{
	long decided = cw_response_decided(counts);

	return decided > 0 ? 100.0 * (double)counts[CW_RESP_ON_TIME] / (double)decided : -1;
}

void
cw_worklist_month_period(struct cw_date first, cw_time *from, cw_time *to)
{
	struct cw_datetime a = {first.y, first.m, 1, 0, 0, 0, 0};
	struct cw_datetime b = {first.m == 12 ? first.y + 1 : first.y, first.m == 12 ? 1 : first.m + 1,
				1, 0, 0, 0, 0};

	*from = cw_london_to_time(a);
	*to = cw_london_to_time(b);
}

/* How a case due in the period fared, judged at $3 (worklist.h); NULL for a
 * case closed by its due time without a response, and for the case of a
 * withdrawn concern (schema/030_corrections.sql), neither of which is
 * counted (the same rule as the dashboards' response compliance,
 * report_work.c). */
#define OUTCOME_SQL                                                                         \
	"CASE WHEN c.withdrawn_at IS NOT NULL THEN NULL"                                      \
	"     WHEN c.responded_at IS NOT NULL AND c.responded_at <= c.due_at THEN 'on_time'"  \
	"     WHEN c.responded_at IS NOT NULL THEN 'late'"                                    \
	"     WHEN c.closed_at IS NOT NULL AND c.closed_at <= c.due_at THEN NULL"             \
	"     WHEN c.state = 'closed' THEN 'closed_unanswered'"                               \
	"     WHEN c.due_at < $3::timestamptz THEN 'open_past_due'"                           \
	"     ELSE 'not_yet_due' END"

#define LIST_COLUMNS                                                                        \
	" c.number, p.name, p.locality, c.risk, coalesce(c.assigned_to, ''),"                 \
	" to_char(c.due_at, 'YYYY-MM-DD HH24:MI'),"                                           \
	" coalesce(to_char(c.responded_at, 'YYYY-MM-DD HH24:MI'), ''), " OUTCOME_SQL ","      \
	" extract(epoch FROM c.due_at)::bigint,"                                              \
	" coalesce(extract(epoch FROM c.responded_at)::bigint::text, '')"

static void
utc_text(cw_time t, char *buf, size_t size)
{
	cw_time_format_utc(t, buf, size);
}

bool
cw_response_summarise(struct cw_db *db, cw_time from, cw_time to, cw_time now,
		      const char *locality, struct cw_response_summary *out, struct cw_error *err)
{
	char f[CW_DATETIME_LEN], t[CW_DATETIME_LEN], n[CW_DATETIME_LEN];
	const char *p[4] = {f, t, n, locality};
	const struct cw_ruleset *rs;
	bool none = false;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	out->from = from;
	out->to = to;
	out->now = now;
	rs = cw_scoring_active(db, &none, err);
	if (rs == NULL && !none)
		return false;
	/* The team's standing target (DESIGN.md) when no ruleset says otherwise. */
	out->target_pct = rs ? cw_rules_response_target_pct(rs) : 90;
	utc_text(from, f, sizeof(f));
	utc_text(to, t, sizeof(t));
	utc_text(now, n, sizeof(n));
	r = cw_db_query(db,
			"SELECT c.risk, " OUTCOME_SQL ", count(*)"
			" FROM case_file c JOIN provider p ON p.id = c.provider_id"
			" WHERE c.due_at >= $1::timestamptz AND c.due_at < $2::timestamptz"
			" AND ($4::text IS NULL OR p.locality = $4) GROUP BY 1, 2",
			4, p, err);
	if (r == NULL)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		int risk = cw_vocab_parse(&cw_vocab_risk, PQgetvalue(r, i, 0));
		long count = atol(PQgetvalue(r, i, 2));

		if (PQgetisnull(r, i, 1))
			continue;       /* closed by its due time unanswered: not counted */
		for (int o = 0; o < CW_RESP__N; o++)
			if (strcmp(PQgetvalue(r, i, 1), outcome_words[o]) == 0 && risk >= 0) {
				out->n[risk][o] += count;
				out->total[o] += count;
			}
	}
	PQclear(r);
	return true;
}

PGresult *
cw_response_breaches(struct cw_db *db, cw_time from, cw_time to, cw_time now,
		     const char *locality, struct cw_error *err)
{
	char f[CW_DATETIME_LEN], t[CW_DATETIME_LEN], n[CW_DATETIME_LEN];
	const char *p[4] = {f, t, n, locality};

	utc_text(from, f, sizeof(f));
	utc_text(to, t, sizeof(t));
	utc_text(now, n, sizeof(n));
	return cw_db_query(db,
			   "SELECT" LIST_COLUMNS
			   " FROM case_file c JOIN provider p ON p.id = c.provider_id"
			   " WHERE c.due_at >= $1::timestamptz AND c.due_at < $2::timestamptz"
			   " AND ($4::text IS NULL OR p.locality = $4) AND c.withdrawn_at IS NULL"
			   " AND (c.responded_at > c.due_at OR (c.responded_at IS NULL"
			   "      AND (c.closed_at > c.due_at OR (c.state <> 'closed' AND c.due_at < $3::timestamptz))))"
			   " ORDER BY c.due_at, c.number",
			   4, p, err);
}

cw_time
cw_worklist_at_risk_until(const struct cw_calendar *cal, cw_time now)
{
	return cw_london_end_of_day(cw_calendar_next_working_day(cal, cw_london_date(now)));
}

PGresult *
cw_response_at_risk(struct cw_db *db, cw_time now, cw_time until, const char *locality,
		    struct cw_error *err)
{
	char n[CW_DATETIME_LEN], u[CW_DATETIME_LEN];
	/* $3 is "now" for OUTCOME_SQL (every row is not yet due). */
	const char *p[4] = {n, u, n, locality};

	utc_text(now, n, sizeof(n));
	utc_text(until, u, sizeof(u));
	return cw_db_query(db,
			   "SELECT" LIST_COLUMNS
			   " FROM case_file c JOIN provider p ON p.id = c.provider_id"
			   " WHERE c.state <> 'closed' AND c.responded_at IS NULL"
			   " AND c.due_at >= $1::timestamptz AND c.due_at <= $2::timestamptz"
			   " AND ($4::text IS NULL OR p.locality = $4)"
			   " ORDER BY c.due_at, c.number",
			   4, p, err);
}

/* ---- deadlines that explain themselves ---- */

bool
cw_worklist_explain_due(struct cw_db *db, const char *risk, cw_time opened, cw_time due,
			char *buf, size_t size, struct cw_error *err)
{
	const struct cw_ruleset *rs;
	struct cw_calendar *cal;
	bool none = false;
	int r = cw_vocab_parse(&cw_vocab_risk, risk), days, n;
	char level[32];
	size_t len;

	rs = cw_scoring_active(db, &none, err);
	if (rs == NULL && !none)
		return false;
	if ((cal = cw_closure_calendar(db, err)) == NULL)
		return false;
	days = rs && r >= 0 ? cw_rules_response_days(rs, (enum cw_risk)r) : -1;
	/* "very high", as it reads in a sentence. */
	snprintf(level, sizeof(level), "%s", cw_vocab_label(&cw_vocab_risk, r));
	level[0] = (char)tolower((unsigned char)level[0]);
	n = cw_calendar_working_days_between(cal, opened, due);
	if (days >= 0 && cw_calendar_due(cal, opened, days) == due) {
		/* The usual case: today's rules and calendar give the stored answer. */
		cw_calendar_explain_due(cal, opened, days, buf, size);
		len = strlen(buf);
		snprintf(buf + len, size - len, "; the target for %s risk is %d working day%s", level,
			 days, days == 1 ? "" : "s");
	} else if (n >= 0 && cw_calendar_due(cal, opened, n) == due) {
		/* The rules (or closures) changed since the case was opened. */
		cw_calendar_explain_due(cal, opened, n, buf, size);
		len = strlen(buf);
		if (days >= 0)
			snprintf(buf + len, size - len,
				 "; set when the case was opened (the target for %s risk is now %d working day%s)",
				 level, days, days == 1 ? "" : "s");
		else
			snprintf(buf + len, size - len, "; set when the case was opened");
	} else {
		char when[CW_DATETIME_LEN];
		int k = snprintf(buf, size, "due %s, as set when the case was opened",
				 cw_time_format(due, when, sizeof(when)));
		len = k < 0 ? 0 : (size_t)k < size ? (size_t)k : size - 1;
		if (days >= 0 && len + 2 < size) {
			snprintf(buf + len, size - len, "; today's rules and closures would give: ");
			len = strlen(buf);
			cw_calendar_explain_due(cal, opened, days, buf + len, size - len);
		}
	}
	cw_calendar_free(cal);
	return true;
}

/* ---- month-end counts ---- */

struct month_end_job {
	const char *params[1];          /* the month's first day */
};

static bool
month_end_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct month_end_job *job = ctx;

	/* The function works out the month's end (London midnight) itself and
	 * serialises recomputations of the counts. */
	return cw_db_exec(db, "SELECT api.month_end_record($1::date)", 1, job->params, err);
}

bool
cw_worklist_record_month_end(struct cw_db *db, struct cw_date month, struct cw_error *err)
{
	struct month_end_job job;
	struct cw_date first = {month.y, month.m, 1};
	char day[CW_DATE_LEN], end[CW_DATETIME_LEN], ended[8];
	cw_time from, to;

	if (!cw_date_valid(first))
		return cw_error_field(err, "month", "invalid month %04d-%02d", month.y, month.m);
	cw_worklist_month_period(first, &from, &to);
	cw_date_format(first, day, sizeof(day));
	cw_time_format_utc(to, end, sizeof(end));
	{
		const char *p[1] = {end};
		if (!cw_db_value(db, "SELECT now() >= $1::timestamptz", 1, p, ended, sizeof(ended), NULL, err))
			return false;
	}
	if (ended[0] != 't') {
		cw_error_field(err, "month", "month %.7s has not ended yet", day);
		cw_error_hint(err, "month-end counts are kept for months that are over");
		return false;
	}
	job.params[0] = day;
	/* Inside the caller's transaction (the nightly batch): join it, so the
	 * counts are published with the rest of its work, or not at all. */
	if (PQtransactionStatus(cw_db_conn(db)) == PQTRANS_INTRANS)
		return month_end_work(db, &job, err);
	return cw_db_transaction(db, "READ COMMITTED", month_end_work, &job, NULL, err);
}
