/*
 * testlib.h - shared helpers for the cmocka tests.
 *
 * Integration tests get a database of their own cloned from the migrated
 * template that tests/run-tests.sh prepares, and run the real (sanitised)
 * binary with tl_run().  Under `make unit` (CW_UNIT_ONLY) there is no server
 * and tl_db_available() is false: integration groups then skip.
 */
#ifndef CAREWATCH_TESTLIB_H
#define CAREWATCH_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>
#include <libpq-fe.h>

/* True when run-tests.sh started a server for this run. */
bool tl_db_available(void);

/* Create a fresh database cloned from the migrated template (or empty when
 * migrated is false); returns its name in a static buffer and sets PGDATABASE
 * so that the binary and tl_connect() use it.  Fails the test on error. */
const char *tl_db_create(const char *prefix, bool migrated);
void tl_db_drop(const char *name);

/* Connect to the current test database as role (NULL: the owner).
 * Fails the test on error; caller closes with PQfinish. */
PGconn *tl_connect(const char *role);

/* Run SQL as the owner and return the first column of the first row in a
 * static buffer ("" when no row).  Fails the test on error. */
const char *tl_query1(PGconn *c, const char *sql);
long tl_count(PGconn *c, const char *sql);

/* Run bin/carewatch with argv (NULL-terminated) and optional stdin text,
 * capturing output.  Returns the exit code; *out and *err (may be NULL) are
 * malloc'd, caller frees.  extra_env is "NAME=value" or NULL. */
int tl_run(const char *const argv[], const char *stdin_text, char **out, char **err,
	   const char *extra_env);

/* Run the binary as tl_run does and fail the test, showing both outputs,
 * unless it exits with want; returns stdout (caller frees). */
char *tl_run_out(const char *const argv[], const char *extra_env, int want);

/* A NULL-terminated argument list for tl_run and tl_run_out. */
#define TL_ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Path of a file under tests/ (static buffer). */
const char *tl_path(const char *rel);

#endif
