/*
 * db.h - the one way carewatch talks SQL.
 *
 * Every statement goes through cw_db_query/cw_db_exec: values are always
 * parameters (never formatted into SQL), the result status is checked, the
 * SQLSTATE is kept in the error, and results are freed on every path.  A
 * statement run a second time on the same connection is prepared and reused.
 * cw_db_transaction() runs a unit of work and retries it on serialization
 * failure, deadlock and a lost connection (reconnecting): callers make the
 * work idempotent with client-made UUIDs, so a retry writes exactly once.
 * Errors are classified by SQLSTATE only, never by message text.
 */
#ifndef CAREWATCH_DB_H
#define CAREWATCH_DB_H

#include <stdbool.h>
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

/* The underlying connection, for COPY.  Owned by db. */
PGconn *cw_db_conn(struct cw_db *db);

/* The role the session runs as (session_user), cached.  Owned by db. */
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

typedef bool (*cw_db_work)(struct cw_db *db, void *ctx, struct cw_error *err);

/* BEGIN (at the given isolation: "READ COMMITTED" or "SERIALIZABLE"); work;
 * COMMIT.  On 40001/40P01 the whole unit is retried (up to 8 times, with a
 * short randomised back-off); on a lost connection it reconnects once and
 * retries.  *retried (may be NULL) counts the retries, so a caller can tell
 * the user that a write was already recorded.  Work must not COMMIT. */
bool cw_db_transaction(struct cw_db *db, const char *isolation, cw_db_work work, void *ctx,
		       int *retried, struct cw_error *err) __attribute__((warn_unused_result));

/* True when err says the connection was lost or could not be made. */
bool cw_db_error_is_connection(const struct cw_error *err);

/* Test hook: when the environment variable CW_TEST_DROP_AFTER_COMMIT is set,
 * the connection is cut right after the next COMMIT is sent and before its
 * reply is read, as a network failure would (tests/test_retry.c). */

#endif
