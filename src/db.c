/*
 * db.c - the SQL wrapper (see db.h for the contract).
 *
 * Statements are identified by their text.  The first two runs of a
 * statement use unnamed statements (PQexecParams: one round trip each, best
 * for one-shot commands, which run nothing more often than that); a
 * statement run a third time on the same connection is prepared once and
 * then executed by name, which is what the nightly batch and the shell want.
 *
 * Round trips are the one-shot command's other cost, so a transaction's
 * BEGIN is deferred and sent in the same pipeline as the work's first
 * statement, and callers can batch independent statements (cw_db_batch_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "carewatch/db.h"
#include "carewatch/output.h"

#define STMT_CACHE 128

struct stmt {
	const char *sql;        /* statement text (callers pass string literals) */
	unsigned runs;
	bool prepared;
};

/* Runs before a statement is prepared: the third run prepares it. */
#define PREPARE_AFTER 2

struct cw_db {
	PGconn *conn;
	char *conninfo;         /* NULL: libpq defaults */
	char user[128];
	const char *begin;      /* a transaction's BEGIN not sent yet, or NULL */
	bool in_batch;          /* a batch has the connection in pipeline mode */
	const char *last_sql;   /* the statement running, for refusals (read or write) */
	struct stmt stmts[STMT_CACHE];
	int nstmts;
};

static void
quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static bool
connect_now(struct cw_db *db, struct cw_error *err)
{
	/* The session's time zone is set at connection time (no extra round
	 * trip); it comes before dbname so that a --db string can override it. */
	const char *pgopts = getenv("PGOPTIONS");
	char options[512];
	const char *keys[] = {"options", "dbname", "fallback_application_name", NULL};
	const char *vals[] = {options, db->conninfo, "carewatch", NULL};

	snprintf(options, sizeof(options), "%s%s-c TimeZone=Europe/London",
		 pgopts ? pgopts : "", pgopts ? " " : "");
	if (db->conn)
		PQfinish(db->conn);
	/* expand_dbname: dbname may be a full connection string or URI. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	db->nstmts = 0;
	db->user[0] = '\0';
	db->begin = NULL;
	db->in_batch = false;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(db->conn);
		size_t len = strlen(m);

		cw_error_set(err, CW_EXIT_UNAVAILABLE, "cannot connect to the database");
		/* libpq's message names host and port, never data: safe to show. */
		cw_error_detail(err, "%.*s", (int)(len && m[len - 1] == '\n' ? len - 1 : len), m);
		cw_error_hint(err, "set PGHOST, PGPORT, PGDATABASE and PGUSER, or pass --db CONNINFO");
		snprintf(err->sqlstate, sizeof(err->sqlstate), "08001");
		return false;
	}
	PQsetNoticeProcessor(db->conn, quiet_notice, NULL);
	return true;
}

struct cw_db *
cw_db_open(const char *conninfo, struct cw_error *err)
{
	struct cw_db *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		return NULL;
	}
	if (conninfo && (db->conninfo = strdup(conninfo)) == NULL) {
		free(db);
		cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		return NULL;
	}
	if (!connect_now(db, err)) {
		cw_db_close(db);
		return NULL;
	}
	return db;
}

void
cw_db_close(struct cw_db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

/* Send a deferred BEGIN now, on its own (before COPY or raw libpq use). */
static bool
flush_begin(struct cw_db *db, struct cw_error *err);

PGconn *
cw_db_conn(struct cw_db *db)
{
	struct cw_error ignore;

	/* A failure here is a lost connection, which the caller's next call on
	 * the connection reports. */
	if (db->begin)
		(void)flush_begin(db, &ignore);
	return db->conn;
}

const char *
cw_db_user(struct cw_db *db)
{
	if (db->user[0] == '\0') {
		/* The server reports session_authorization (the session user) at
		 * start-up; ask only if it did not (a pooler may hide it). */
		const char *who = PQparameterStatus(db->conn, "session_authorization");
		PGresult *r;

		if (who && *who) {
			snprintf(db->user, sizeof(db->user), "%s", who);
			return db->user;
		}
		r = PQexec(db->conn, "SELECT session_user");
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			snprintf(db->user, sizeof(db->user), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return db->user[0] ? db->user : "?";
}

static int
code_for_sqlstate(const char *s)
{
	if (strcmp(s, "42501") == 0)
		return CW_EXIT_DENIED;
	/* Raised by the api functions (schema/016_trust_boundary.sql). */
	if (strcmp(s, "P0002") == 0)
		return CW_EXIT_NOTFOUND;
	if (strcmp(s, "55000") == 0)
		return CW_EXIT_CONFLICT;
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	    strcmp(s, "57P03") == 0)
		return CW_EXIT_UNAVAILABLE;
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
		return CW_EXIT_USAGE;
	return CW_EXIT_FAIL;
}

bool
cw_db_copy_put(struct cw_db *db, const char *data, size_t n, const char *what, struct cw_error *err)
{
	if (PQputCopyData(db->conn, data, (int)n) != 1)
		return cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while writing %s", what);
	return true;
}

bool
cw_db_copy_end(struct cw_db *db, const char *abort_msg, const char *what, struct cw_error *err)
{
	PGresult *res;
	bool ok = abort_msg == NULL;

	if (PQputCopyEnd(db->conn, abort_msg) != 1 && ok) {
		ok = false;
		cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while writing %s", what);
	}
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (ok && PQresultStatus(res) != PGRES_COMMAND_OK) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			cw_error_set(err, st ? code_for_sqlstate(st) : CW_EXIT_FAIL, "storing %s failed: %s", what,
				     m ? m : "no message");
			if (st)
				snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st);
			ok = false;
		}
		PQclear(res);
	}
	return ok;
}

bool
cw_db_error_is_connection(const struct cw_error *err)
{
	return err->code == CW_EXIT_UNAVAILABLE;
}

/* Who may do what the server refused with "permission denied for table X":
 * the step in the user's words, never the table's name.  Reading is told
 * apart from writing by the statement (a SELECT, or anything else). */
static const struct {
	const char *const *objects;    /* NULL-terminated names, or prefixes ending in '*' */
	const char *write, *read;      /* the step; NULL: as for write */
	const char *who;
	const char *as;                /* `db role add LOGIN --as AS` gives it */
	const char *read_who, *read_as; /* when reading is open to more; NULL: as above */
} refusals[] = {
	{(const char *const[]){"restriction_flag", NULL}, "flag decisions", NULL, "the quality manager",
	 "manager", NULL, NULL},
	{(const char *const[]){"ruleset", "ruleset_activation", NULL}, "activating rules", NULL,
	 "the quality manager", "manager", NULL, NULL},
	{(const char *const[]){"officer", "officer_locality", "officer_leave", NULL}, "changing the team",
	 NULL, "the quality manager", "manager", NULL, NULL},
	{(const char *const[]){"closure_day", NULL}, "council closure days", NULL, "the quality manager",
	 "manager", NULL, NULL},
	{(const char *const[]){"case_assignment", NULL}, "moving cases", NULL, "the quality manager",
	 "manager", NULL, NULL},
	{(const char *const[]){"caseload_batch", "caseload_move", NULL}, "moving cases",
	 "reading the notes of caseload batches", "the quality manager", "manager",
	 "QA officers and the quality manager", "officer"},
	{(const char *const[]){"audit_log", NULL}, "changing the audit trail", "the audit trail",
	 "the quality manager", "manager", NULL, NULL},
	{(const char *const[]){"import_*", "cqc_*", "postcode_district", "compare_group", NULL},
	 "importing CQC data", NULL, "the quality manager", "manager", NULL, NULL},
	{(const char *const[]){"provider_score", "provider_current_score", "score_queue", "nightly_run",
			       "caseload_count", "month_end_cases", "score_history*", NULL},
	 "writing scores and the nightly's figures", NULL, "the scorer and the nightly (the batch role)",
	 "batch", NULL, NULL},
	{(const char *const[]){"provider", "organisation", "locality", "care_type", NULL},
	 "adding providers", "looking up providers", "QA officers and the quality manager", "officer",
	 "QA officers, the quality manager and read-only logins", "readonly"},
	{(const char *const[]){"concern", "visit", "safeguarding", "cqc_rating", "ipc_inspection", "survey",
			       "restriction", "restriction_lift", "performance_notice", "provider_loss",
			       "case_*", NULL},
	 "intelligence and case work (recording it and reading its notes)", NULL,
	 "QA officers and the quality manager", "officer", NULL, NULL},
};

static bool
names_object(const char *const *objects, const char *name)
{
	for (; *objects; objects++) {
		size_t l = strlen(*objects);
		if ((*objects)[l - 1] == '*' ? strncmp(*objects, name, l - 1) == 0
					       : strcmp(*objects, name) == 0)
			return true;
	}
	return false;
}

/* "permission denied for table concern" as "permission denied for role
 * olive: recording intelligence and case work is for QA officers and the
 * quality manager", with how the role is given. */
static void
fill_refusal(struct cw_db *db, const char *primary, struct cw_error *err)
{
	const char *obj = strrchr(primary, ' ');
	const char *user = PQuser(db->conn);
	const char *sql = db->last_sql ? db->last_sql : "";
	bool reading = strncasecmp(sql, "SELECT", 6) == 0 ||
		       (strncasecmp(sql, "WITH", 4) == 0 && !strstr(sql, "INSERT") && !strstr(sql, "UPDATE") &&
			!strstr(sql, "DELETE"));

	obj = obj ? obj + 1 : "";
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (names_object(refusals[i].objects, obj)) {
			const char *step = reading && refusals[i].read ? refusals[i].read : refusals[i].write;
			bool wider = reading && refusals[i].read_who;

			cw_error_set(err, CW_EXIT_DENIED, "permission denied for role %s: %s %s for %s", user,
				     step, strstr(step, "decisions") ? "are" : "is",
				     wider ? refusals[i].read_who : refusals[i].who);
			cw_error_hint(err, "ask the database owner: carewatch db role add %s --as %s", user,
				      wider ? refusals[i].read_as : refusals[i].as);
			return;
		}
	cw_error_set(err, CW_EXIT_DENIED, "permission denied for role %s: this step is not open to its"
		     " carewatch role", user);
	cw_error_hint(err, "ask the database owner which role you need ('carewatch db role --help')");
}

/* Fill err from a failed result (r may be NULL when the connection broke). */
static void
fill_error(struct cw_db *db, const PGresult *r, struct cw_error *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;

	if (state == NULL && PQstatus(db->conn) == CONNECTION_BAD)
		state = "08006";
	if (state == NULL)
		state = "XX000";
	if (strncmp(state, "08", 2) == 0 || PQstatus(db->conn) == CONNECTION_BAD) {
		cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection to the database");
		cw_error_hint(err, "check the server is running; a retried command writes once");
	} else if (strcmp(state, "42501") == 0 && primary &&
		   strncmp(primary, "permission denied for ", 22) != 0) {
		/* An api function's refusal says who may take the step. */
		cw_error_set(err, CW_EXIT_DENIED, "%s", primary);
	} else if (strcmp(state, "42501") == 0 && primary) {
		fill_refusal(db, primary, err);
	} else {
		/* Server messages name constraints and columns; user text appears
		 * only in DETAIL lines of some errors, which we do not pass on for
		 * unique and check violations. */
		cw_error_set(err, code_for_sqlstate(state), "%s",
			     primary ? primary : "database error");
		if (detail && strncmp(state, "23", 2) != 0)
			cw_error_detail(err, "%s", detail);
		if (hint)
			cw_error_hint(err, "%s", hint);
	}
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
}

static struct stmt *
stmt_for(struct cw_db *db, const char *sql, int *index)
{
	for (int i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql || strcmp(db->stmts[i].sql, sql) == 0) {
			*index = i;
			return &db->stmts[i];
		}
	if (db->nstmts == STMT_CACHE)
		return NULL;
	*index = db->nstmts;
	db->stmts[db->nstmts] = (struct stmt){.sql = sql};
	return &db->stmts[db->nstmts++];
}

/* The name a cached statement is prepared under. */
static void
stmt_name(int index, char *name, size_t size)
{
	snprintf(name, size, "cw%d", index);
}

static bool
result_ok(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK || s == PGRES_COPY_IN ||
	       s == PGRES_COPY_OUT;
}

/* COPY cannot run in a pipeline: it needs the BEGIN sent first. */
static bool
is_copy(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	return strncasecmp(sql, "COPY", 4) == 0;
}

static bool
flush_begin(struct cw_db *db, struct cw_error *err)
{
	const char *begin = db->begin;
	PGresult *r;

	db->begin = NULL;
	r = PQexec(db->conn, begin);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		PQclear(r);
		return true;
	}
	fill_error(db, r, err);
	PQclear(r);
	return false;
}

PGresult *
cw_db_query(struct cw_db *db, const char *sql, int n, const char *const *params,
	    struct cw_error *err)
{
	int idx = -1;
	struct stmt *st;
	char name[16];
	PGresult *r;

	if (db->in_batch) {
		/* A caller bug: the batch's results would be taken for this one. */
		cw_error_set(err, CW_EXIT_FAIL, "a statement was run while a batch was open");
		return NULL;
	}
	db->last_sql = sql;
	if (db->begin) {
		struct cw_db_batch b;

		if (is_copy(sql)) {
			if (!flush_begin(db, err))
				return NULL;
		} else {
			/* BEGIN and this statement in one round trip. */
			cw_db_batch_init(&b, db);
			idx = cw_db_batch_add(&b, sql, n, params);
			r = cw_db_batch_run(&b, err) ? cw_db_batch_take(&b, idx) : NULL;
			cw_db_batch_free(&b);
			return r;
		}
	}
	st = stmt_for(db, sql, &idx);
	stmt_name(idx, name, sizeof(name));
	if (st && st->runs >= PREPARE_AFTER && !st->prepared) {
		r = PQprepare(db->conn, name, sql, n, NULL);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			st->prepared = true;
		PQclear(r);
	}
	if (st && st->prepared)
		r = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
	else
		r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (st)
		st->runs++;
	if (result_ok(r))
		return r;
	fill_error(db, r, err);
	PQclear(r);
	return NULL;
}

void
cw_db_batch_init(struct cw_db_batch *b, struct cw_db *db)
{
	memset(b, 0, sizeof(*b));
	b->db = db;
}

/* Refuse a statement: the batch will fail, saying why (NULL: as the
 * connection says). */
static int
refuse(struct cw_db_batch *b, const char *why)
{
	b->broken = true;
	if (b->why == NULL)
		b->why = why;
	return -1;
}

int
cw_db_batch_add(struct cw_db_batch *b, const char *sql, int n, const char *const *params)
{
	PGconn *c = b->db->conn;
	struct stmt *st;
	int i = b->n, idx = -1;
	char name[16];

	if (b->broken)
		return -1;
	if (i == CW_DB_BATCH_MAX)
		return refuse(b, "too many statements in one batch (at most " CW_DB_BATCH_MAX_TEXT ")");
	if (!b->open) {
		if (b->n > 0)
			return refuse(b, "a batch that has run takes no more statements");
		if (b->db->in_batch)
			return refuse(b, "another batch was open");
		if (PQstatus(c) != CONNECTION_OK || !PQenterPipelineMode(c))
			return refuse(b, NULL);
		b->open = true;
		b->db->in_batch = true;
		if (b->db->begin) {
			if (!PQsendQueryParams(c, b->db->begin, 0, NULL, NULL, NULL, NULL, 0))
				return refuse(b, NULL);
			b->db->begin = NULL;
			b->begin = true;
		}
	}
	st = stmt_for(b->db, sql, &idx);
	b->stmt[i] = (short)(st ? idx : -1);
	b->prepare[i] = b->query[i] = false;
	stmt_name(idx, name, sizeof(name));
	if (st && st->runs >= PREPARE_AFTER && !st->prepared) {
		/* Parse now, then run by name; undone if the Parse fails. */
		if (!PQsendPrepare(c, name, sql, n, NULL))
			return refuse(b, NULL);
		st->prepared = true;
		b->prepare[i] = true;
		b->n = i + 1;           /* its answer is to be read */
	}
	if (st && st->prepared)
		b->query[i] = PQsendQueryPrepared(c, name, n, params, NULL, NULL, 0);
	else
		b->query[i] = PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (!b->query[i])
		return refuse(b, NULL);
	if (st)
		st->runs++;
	b->n = i + 1;
	return i;
}

/* The next result of the pipeline, having read past the NULL that ends a
 * statement's results; NULL when the connection failed. */
static PGresult *
next_result(PGconn *c)
{
	PGresult *r = PQgetResult(c);

	if (r && PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PGresult *x;
		while ((x = PQgetResult(c)) != NULL)
			PQclear(x);
	}
	return r;
}

/* Read the answers of an open batch up to (not including) statement upto:
 * the BEGIN's first, then each statement's (after its Parse's, if any).
 * False when the connection failed on the way. */
static bool
read_upto(struct cw_db_batch *b, int upto)
{
	PGconn *c = b->db->conn;
	PGresult *r;

	if (b->begin && b->begin_res == NULL && (b->begin_res = next_result(c)) == NULL)
		return false;
	for (; b->nread < upto; b->nread++) {
		int i = b->nread;

		if (b->prepare[i]) {
			if ((r = next_result(c)) == NULL)
				return false;
			if (PQresultStatus(r) != PGRES_COMMAND_OK && b->stmt[i] >= 0)
				b->db->stmts[b->stmt[i]].prepared = false;
			b->prepare[i] = false;
			PQclear(r);
		}
		if (b->query[i] && (b->res[i] = next_result(c)) == NULL)
			return false;
	}
	return true;
}

/* Read every answer of an open batch, the sync's last, and leave pipeline
 * mode.  False when the connection failed on the way. */
static bool
batch_finish(struct cw_db_batch *b)
{
	PGconn *c = b->db->conn;
	PGresult *r;
	bool ok;

	b->open = false;
	b->db->in_batch = false;
	ok = PQpipelineSync(c) == 1 && read_upto(b, b->n);
	if (ok) {
		r = next_result(c);
		ok = r != NULL && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	if (!ok) {
		/* A Parse whose answer never came may not exist on the server. */
		for (int i = 0; i < b->n; i++)
			if (b->prepare[i] && b->stmt[i] >= 0)
				b->db->stmts[b->stmt[i]].prepared = false;
		b->broken = true;
	}
	if (!PQexitPipelineMode(c))
		ok = false;
	return ok;
}

/* err from the first failure among the answers read so far. */
static bool
batch_error(struct cw_db_batch *b, struct cw_error *err)
{
	if (b->begin_res && !result_ok(b->begin_res)) {
		fill_error(b->db, b->begin_res, err);
		return true;
	}
	for (int i = 0; i < b->nread; i++)
		if (b->res[i] && !result_ok(b->res[i])) {
			/* The first failure; those after it were skipped. */
			fill_error(b->db, b->res[i], err);
			return true;
		}
	return false;
}

/* err for a batch that could not be sent or read. */
static void
batch_broken(struct cw_db_batch *b, struct cw_error *err)
{
	if (b->why) {
		/* A caller's mistake, not the server's. */
		cw_error_set(err, CW_EXIT_FAIL, "%s", b->why);
		return;
	}
	fill_error(b->db, NULL, err);
	if (err->code != CW_EXIT_UNAVAILABLE)
		cw_error_set(err, CW_EXIT_FAIL, "unexpected reply from the database");
}

void
cw_db_batch_send(struct cw_db_batch *b)
{
	/* The Flush message has the server send the results so far as soon as
	 * it has them, rather than at the end of the batch.  Errors surface
	 * when the results are read. */
	if (b->open && !b->broken) {
		if (b->flushed < b->n && PQsendFlushRequest(b->db->conn) == 1)
			b->flushed = b->n;
		(void)PQflush(b->db->conn);
	}
}

bool
cw_db_batch_wait(struct cw_db_batch *b, int i, struct cw_error *err)
{
	if (b->broken || !b->open || i < 0 || i >= b->n) {
		if (!b->open && !b->broken && i >= 0 && i < b->n)
			return !batch_error(b, err);       /* already run */
		batch_broken(b, err);
		return false;
	}
	if (i >= b->nread) {
		cw_db_batch_send(b);
		if (b->flushed <= i || PQflush(b->db->conn) != 0 || !read_upto(b, i + 1))
			b->broken = true;
	}
	if (batch_error(b, err))
		return false;
	if (b->broken) {
		batch_broken(b, err);
		return false;
	}
	return true;
}

bool
cw_db_batch_run(struct cw_db_batch *b, struct cw_error *err)
{
	bool read_ok;

	if (!b->open) {
		if (b->broken) {
			batch_broken(b, err);
			return false;
		}
		return true;            /* nothing added, or already run */
	}
	read_ok = batch_finish(b);
	if (batch_error(b, err))
		return false;
	if (!read_ok || b->broken) {
		batch_broken(b, err);
		return false;
	}
	return true;
}

PGresult *
cw_db_batch_result(const struct cw_db_batch *b, int i)
{
	return i >= 0 && i < b->nread ? b->res[i] : NULL;
}

PGresult *
cw_db_batch_take(struct cw_db_batch *b, int i)
{
	PGresult *r = cw_db_batch_result(b, i);

	if (r)
		b->res[i] = NULL;
	return r;
}

void
cw_db_batch_free(struct cw_db_batch *b)
{
	if (b->open)
		(void)batch_finish(b);
	for (int i = 0; i < b->n; i++) {
		PQclear(b->res[i]);
		b->res[i] = NULL;
	}
	PQclear(b->begin_res);
	b->begin_res = NULL;
	b->n = b->nread = b->flushed = 0;
}

bool
cw_db_exec(struct cw_db *db, const char *sql, int n, const char *const *params,
	   struct cw_error *err)
{
	PGresult *r = cw_db_query(db, sql, n, params, err);

	if (r == NULL)
		return false;
	PQclear(r);
	return true;
}

bool
cw_db_value(struct cw_db *db, const char *sql, int n, const char *const *params, char *buf,
	    size_t size, bool *found, struct cw_error *err)
{
	PGresult *r = cw_db_query(db, sql, n, params, err);
	bool have;

	if (r == NULL)
		return false;
	have = PQntuples(r) > 0 && PQnfields(r) > 0;
	snprintf(buf, size, "%s", have ? PQgetvalue(r, 0, 0) : "");
	if (found)
		*found = have;
	PQclear(r);
	return true;
}

bool
cw_db_script(struct cw_db *db, const char *sql, struct cw_error *err)
{
	PGresult *r;
	ExecStatusType s;

	if (db->begin && !flush_begin(db, err))
		return false;
	db->last_sql = sql;
	r = PQexec(db->conn, sql);
	s = PQresultStatus(r);

	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
		PQclear(r);
		return true;
	}
	fill_error(db, r, err);
	PQclear(r);
	return false;
}

/* COMMIT.  The test build (-DCW_TEST_HOOKS, Makefile) can simulate a
 * network cut after the server has the COMMIT but before we read its reply
 * (CW_TEST_DROP_AFTER_COMMIT, test_security); the release binary has no
 * such hook. */
static bool
commit(struct cw_db *db, struct cw_error *err)
{
#ifdef CW_TEST_HOOKS
	static bool dropped;
	PGresult *r;
#endif

	if (db->begin) {
		/* The work ran no statement: there is no transaction to end. */
		db->begin = NULL;
		return true;
	}
#ifdef CW_TEST_HOOKS
	if (!dropped && getenv("CW_TEST_DROP_AFTER_COMMIT")) {
		dropped = true;
		if (PQsendQuery(db->conn, "COMMIT")) {
			PQflush(db->conn);
			usleep(300 * 1000);     /* let the server commit */
			shutdown(PQsocket(db->conn), SHUT_RDWR);
		}
		while ((r = PQgetResult(db->conn)) != NULL)
			PQclear(r);
		fill_error(db, NULL, err);
		if (err->code != CW_EXIT_UNAVAILABLE) {
			cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection to the database");
			snprintf(err->sqlstate, sizeof(err->sqlstate), "08006");
		}
		return false;
	}
#endif
	return cw_db_exec(db, "COMMIT", 0, NULL, err);
}

static void
rollback_quietly(struct cw_db *db)
{
	db->begin = NULL;
	if (PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(db->conn, "ROLLBACK");
		PQclear(r);
	}
}

bool
cw_db_transaction(struct cw_db *db, const char *isolation, cw_db_work work, void *ctx,
		  int *retried, struct cw_error *err)
{
	bool reconnected = false;
	int tries = 0;
	const char *begin = strcmp(isolation, "SERIALIZABLE") == 0
				    ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
				    : "BEGIN ISOLATION LEVEL READ COMMITTED";

	if (retried)
		*retried = 0;
	for (;;) {
		/* BEGIN goes with the work's first statement (see cw_db_query). */
		db->begin = begin;
		if (work(db, ctx, err) && commit(db, err))
			return true;
		rollback_quietly(db);
		if ((strcmp(err->sqlstate, "40001") == 0 || strcmp(err->sqlstate, "40P01") == 0) &&
		    tries < 8) {
			struct timespec ts = {0, (long)(1 + rand() % 20) * 1000000L * (tries + 1)};
			nanosleep(&ts, NULL);
		} else if (cw_db_error_is_connection(err) && !reconnected) {
			struct cw_error cerr;
			reconnected = true;
			if (!connect_now(db, &cerr)) {
				*err = cerr;
				return false;
			}
		} else {
			return false;
		}
		tries++;
		if (retried)
			*retried = tries;
		cw_error_clear(err);
	}
}

struct cw_table *
cw_db_table(const PGresult *r, const char *title, const struct cw_col *cols, int ncols)
{
	struct cw_table *t = cw_table_new(title, cols, ncols);
	const char *cells[64];

	if (t == NULL || ncols > 64)
		return t;
	for (int i = 0; i < PQntuples(r); i++) {
		for (int c = 0; c < ncols; c++)
			cells[c] = c < PQnfields(r) && !PQgetisnull(r, i, c) ? PQgetvalue(r, i, c) : NULL;
		if (!cw_table_add(t, cells))
			break;
	}
	return t;
}
