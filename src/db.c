/*
 * db.c - the SQL wrapper (see db.h for the contract).
 *
 * Statements are identified by their text.  The first run of a statement uses
 * PQexecParams (one round trip, best for one-shot commands); a statement run
 * again on the same connection is prepared once and then executed by name,
 * which is what the nightly batch and the shell want.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "carewatch/db.h"

#define STMT_CACHE 128

struct stmt {
	const char *sql;        /* statement text (callers pass string literals) */
	unsigned runs;
	bool prepared;
};

struct cw_db {
	PGconn *conn;
	char *conninfo;         /* NULL: libpq defaults */
	char user[128];
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

PGconn *
cw_db_conn(struct cw_db *db)
{
	return db->conn;
}

const char *
cw_db_user(struct cw_db *db)
{
	if (db->user[0] == '\0') {
		PGresult *r = PQexec(db->conn, "SELECT session_user");

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
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	    strcmp(s, "57P03") == 0)
		return CW_EXIT_UNAVAILABLE;
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
		return CW_EXIT_USAGE;
	return CW_EXIT_FAIL;
}

bool
cw_db_error_is_connection(const struct cw_error *err)
{
	return err->code == CW_EXIT_UNAVAILABLE;
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
	} else if (strcmp(state, "42501") == 0) {
		cw_error_set(err, CW_EXIT_DENIED, "permission denied for role %s", PQuser(db->conn));
		cw_error_detail(err, "%s", primary ? primary : "");
		cw_error_hint(err, "ask the database owner to grant the right carewatch role");
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

PGresult *
cw_db_query(struct cw_db *db, const char *sql, int n, const char *const *params,
	    struct cw_error *err)
{
	int idx = -1;
	struct stmt *st = stmt_for(db, sql, &idx);
	char name[16];
	PGresult *r;
	ExecStatusType s;

	snprintf(name, sizeof(name), "cw%d", idx);
	if (st && st->runs >= 1 && !st->prepared) {
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
	s = PQresultStatus(r);
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK || s == PGRES_COPY_IN ||
	    s == PGRES_COPY_OUT)
		return r;
	fill_error(db, r, err);
	PQclear(r);
	return NULL;
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
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(r);

	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
		PQclear(r);
		return true;
	}
	fill_error(db, r, err);
	PQclear(r);
	return false;
}

/* COMMIT, optionally simulating a network cut after the server has the
 * COMMIT but before we read its reply (CW_TEST_DROP_AFTER_COMMIT). */
static bool
commit(struct cw_db *db, struct cw_error *err)
{
	static bool dropped;
	PGresult *r;

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
	return cw_db_exec(db, "COMMIT", 0, NULL, err);
}

static void
rollback_quietly(struct cw_db *db)
{
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
		if (cw_db_exec(db, begin, 0, NULL, err) && work(db, ctx, err) && commit(db, err))
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
