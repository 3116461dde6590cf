/*
 * db.h - the one way carewatch talks SQL.
 *
 * Every statement goes through cw_db_query/cw_db_exec: values are always
 * parameters (never formatted into SQL), the result status is checked, the
 * SQLSTATE is kept in the error, and results are freed on every path.  A
 * statement run a third time on the same connection is prepared and reused
 * (a one-shot command runs nothing that often, so it never pays for the
 * extra round trip a PREPARE costs).  Independent statements can travel
 * together in one round trip as a batch (libpq pipeline mode).
 * cw_db_transaction() runs a unit of work and retries it on serialization
 * failure, deadlock and a lost connection (reconnecting): callers make the
 * work idempotent with client-made UUIDs, so a retry writes exactly once.
 * Errors are classified by SQLSTATE only, never by message text.
 */
#ifndef CAREWATCH_DB_H
#define CAREWATCH_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "carewatch/error.h"

struct cw_db;

/* Connect the libpq way: conninfo is a connection string or URI (--db), or
 * NULL to use the PG* environment variables and service files.  Sets the
 * session time zone to Europe/London.  Returns NULL with err filled
 * (CW_EXIT_UNAVAILABLE).  Caller frees with cw_db_close(). */
struct cw_db *cw_db_open(const char *conninfo, struct cw_error *err)
	__attribute__((warn_unused_result));
void cw_db_close(struct cw_db *db);

/* The underlying connection, for COPY.  Owned by db.  Inside
 * cw_db_transaction the BEGIN travels with the work's first statement;
 * asking for the connection sends it first, so raw libpq calls made with the
 * connection run inside the transaction. */
PGconn *cw_db_conn(struct cw_db *db);

/* The role the session runs as (session_user), as the server reported it at
 * connection time (no query).  Owned by db. */
const char *cw_db_user(struct cw_db *db);

/* Run sql with n text parameters (NULL entries are SQL NULL).  Returns the
 * result (caller PQclear()s) or NULL with err filled: code from the SQLSTATE
 * (42501 -> CW_EXIT_DENIED, 08xxx -> CW_EXIT_UNAVAILABLE, 23xxx/22xxx ->
 * CW_EXIT_USAGE, else CW_EXIT_FAIL) and err->sqlstate set. */
PGresult *cw_db_query(struct cw_db *db, const char *sql, int n, const char *const *params,
		      struct cw_error *err) __attribute__((warn_unused_result));

/* As cw_db_query for statements whose rows are not needed. */
bool cw_db_exec(struct cw_db *db, const char *sql, int n, const char *const *params,
		struct cw_error *err) __attribute__((warn_unused_result));

/* Run one statement and copy the first column of its first row into buf
 * ("" when there is no row, *found false).  found may be NULL. */
bool cw_db_value(struct cw_db *db, const char *sql, int n, const char *const *params,
		 char *buf, size_t size, bool *found, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Run a trusted multi-statement SQL script of our own (a migration file):
 * never user text.  Returns false with err filled. */
bool cw_db_script(struct cw_db *db, const char *sql, struct cw_error *err)
	__attribute__((warn_unused_result));

/* A batch: statements sent together and answered in one round trip (libpq
 * pipeline mode), for statements that do not need each other's results.
 * They run in the order added, each with its own snapshot as usual; when one
 * fails, the ones after it are skipped.  Usage:
 *
 *   struct cw_db_batch b;
 *   cw_db_batch_init(&b, db);
 *   int i = cw_db_batch_add(&b, sql, n, params);   (params copied at once)
 *   ok = cw_db_batch_run(&b, err);
 *   PGresult *r = cw_db_batch_result(&b, i);       (owned by the batch)
 *   cw_db_batch_free(&b);                          (always, even on failure)
 *
 * To overlap the caller's work with the server's, cw_db_batch_send starts
 * the server on what is queued so far, and cw_db_batch_wait reads the
 * results up to one statement while the rest are still running; more
 * statements can be added after either.  No COPY in a batch; a batch that
 * has run takes no more statements; while a batch is open (added to, not
 * yet run) nothing else may use the connection, another batch included.
 * The fields are private. */
#define CW_DB_BATCH_MAX 16
#define CW_DB_BATCH_MAX_TEXT "16"

struct cw_db_batch {
	struct cw_db *db;
	int n;                          /* statements added */
	int nread;                      /* statements whose results were read */
	int flushed;                    /* statements a Flush was sent after */
	bool open;                      /* in pipeline mode, not yet run */
	bool begin;                     /* the transaction's deferred BEGIN went first */
	bool broken;                    /* could not send or read: run fails */
	const char *why;                /* why a statement was refused, or NULL */
	short stmt[CW_DB_BATCH_MAX];    /* statement cache slot, -1 when none */
	bool prepare[CW_DB_BATCH_MAX];  /* a Parse for the slot went before it */
	bool query[CW_DB_BATCH_MAX];    /* the statement itself was sent */
	PGresult *begin_res;
	PGresult *res[CW_DB_BATCH_MAX];
};

void cw_db_batch_init(struct cw_db_batch *b, struct cw_db *db);

/* Queue (send) one statement; returns its index for cw_db_batch_result, or
 * -1 when it could not be queued (cw_db_batch_run then fails and says why). */
int cw_db_batch_add(struct cw_db_batch *b, const char *sql, int n, const char *const *params);

/* Have the server start on the statements queued so far and send their
 * results as soon as it has them (so send right after a statement whose
 * result is wanted early).  Never fails (a failure shows when results are
 * read). */
void cw_db_batch_send(struct cw_db_batch *b);

/* Read the results up to statement i now.  Returns false with err filled
 * when one of them failed or the connection did. */
bool cw_db_batch_wait(struct cw_db_batch *b, int i, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Wait for every result.  Returns false with err filled (as cw_db_query
 * would) from the first statement that failed. */
bool cw_db_batch_run(struct cw_db_batch *b, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Statement i's result once read (by run or wait), or NULL.  Owned by the
 * batch: valid until cw_db_batch_free. */
PGresult *cw_db_batch_result(const struct cw_db_batch *b, int i);

/* Take statement i's result out of the batch: the caller PQclear()s it. */
PGresult *cw_db_batch_take(struct cw_db_batch *b, int i);

/* Free the results (and, if the batch was never run, read and drop its
 * answers so the connection is usable again).  Never fails. */
void cw_db_batch_free(struct cw_db_batch *b);

typedef bool (*cw_db_work)(struct cw_db *db, void *ctx, struct cw_error *err);

/* BEGIN (at the given isolation: "READ COMMITTED" or "SERIALIZABLE"); work;
 * COMMIT.  The BEGIN is not a round trip of its own: it goes with the work's
 * first statement (or batch).  On 40001/40P01 the whole unit is retried (up to 8 times, with a
 * short randomised back-off); on a lost connection it reconnects once and
 * retries.  *retried (may be NULL) counts the retries, so a caller can tell
 * the user that a write was already recorded.  Work must not COMMIT. */
bool cw_db_transaction(struct cw_db *db, const char *isolation, cw_db_work work, void *ctx,
		       int *retried, struct cw_error *err) __attribute__((warn_unused_result));

/* COPY FROM STDIN, once the COPY statement has started it with cw_db_query:
 * send n bytes of rows (false with err filled when the connection failed;
 * what names the rows, as in "lost the connection while writing scores"),
 * then end it.  cw_db_copy_end with abort_msg NULL finishes the COPY and is
 * true when the server took every row; otherwise err says "storing WHAT
 * failed: " and the server's message (never its detail, which can quote a
 * row), with the SQLSTATE.  With abort_msg the COPY is abandoned (the server
 * keeps none of it) and the result is false, err left as the caller filled
 * it.  Either way db is out of COPY mode afterwards. */
bool cw_db_copy_put(struct cw_db *db, const char *data, size_t n, const char *what,
		    struct cw_error *err) __attribute__((warn_unused_result));
bool cw_db_copy_end(struct cw_db *db, const char *abort_msg, const char *what, struct cw_error *err);

/* True when err says the connection was lost or could not be made. */
bool cw_db_error_is_connection(const struct cw_error *err);

/* Test hook, in the test build only (-DCW_TEST_HOOKS; bin/carewatch has
 * none): when the environment variable CW_TEST_DROP_AFTER_COMMIT is set, the
 * connection is cut right after the next COMMIT is sent and before its
 * reply is read, as a network failure would (tests/test_security.c; the
 * release binary's absence of it, tests/test_install.c). */

/* Every row of r as a table of ncols columns (the first ncols of r); SQL
 * NULL is a NULL cell (empty in a table, null in JSON).  The one way a
 * query becomes a list: a table that could not take a row says so when it
 * is printed (output.h's policy).  NULL only when out of memory. */
struct cw_col;
struct cw_table;
struct cw_table *cw_db_table(const PGresult *r, const char *title, const struct cw_col *cols,
			     int ncols);

#endif
