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

#include <libpq-fe.h>

#include "testcore.h"

/* True when run-tests.sh started a server for this run. */
bool tl_db_available(void);

/* Create a fresh database cloned from the migrated template (or empty when
 * migrated is false); returns its name in a static buffer and sets PGDATABASE
 * so that the binary and tl_connect() use it.  Fails the test on error. */
const char *tl_db_create(const char *prefix, bool migrated);
void tl_db_drop(const char *name);
/* The usual end of a test group: close owner and drop dbname (either may
 * be NULL, as when the group skipped for want of a server).  Returns 0, for
 * cmocka's group teardown. */
int tl_group_teardown(PGconn *owner, const char *dbname);

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


/* A real terminal: tmux runs the sanitised binary in a pane, the test types
 * with send-keys and reads the screen with capture-pane.  tl_term_init
 * makes dir (the panes' sockets, HOME and history file) and says whether
 * tmux is there; tl_term_end ends the pane and removes dir. */
bool tl_term_init(const char *dir);
void tl_term_end(void);

/* Start `carewatch ARGS` as login user in a fresh pane of width columns,
 * then "[exit N]" when it ends.  colour: leave NO_COLOR unset. */
void tl_term_start(const char *user, const char *args, int width, bool colour);

/* Start `carewatch shell` as tl_term_start does, 100 columns wide, and wait
 * for its prompt, which is returned ("carewatch USER@DB> ", static buffer). */
const char *tl_term_shell(const char *user, bool colour);

/* Type text literally (it must not contain a single quote); press a key
 * named as tmux names it (Enter, Tab, C-c). */
void tl_type(const char *text);
void tl_key(const char *name);

/* The pane's whole history; joined keeps wrapped lines whole; escapes
 * keeps colour.  Caller frees. */
char *tl_screen(bool joined, bool escapes);

/* Wait until text is on the screen n times and return the screen (caller
 * frees); fail showing the screen after 30 seconds.  tl_wait_free frees it. */
char *tl_wait_for(const char *text, int n);
void tl_wait_free(const char *text, int n);

/* True when the test cluster's server log (CW_SERVER_LOG, exported by
 * tests/run-tests.sh) contains needle, compared byte for byte.  Fails the
 * test when there is no server or the log cannot be read. */
bool tl_server_log_contains(const char *needle);

/* Run `carewatch scorer --once` as a batch login (cwt_scorer, created on
 * first use) on the current test database, so the scores of everything
 * written so far are stored; fails the test unless it exits 0. */
void tl_scorer_drain(void);

#endif
