/*
 * test_pooling.c - one-shot commands run in their own process on their own
 * connection, with no helper process of carewatch's own: a site that wants
 * warm server connections puts PgBouncer in front (docs/client.md).
 *
 * carewatch once had an opt-in connection agent (CAREWATCH_AGENT=1) that ran
 * one-shot commands on a long-lived process's connection.  Attacked, it sent
 * a command's `--db` to the wrong database (a concern meant for a training
 * database landed in production; a list showed another database's rows) and
 * wrote files with its own umask.  These tests make those attacks the way
 * they were made, with CAREWATCH_AGENT=1 in the environment, and assert that
 * each command now does what its own command line says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char db_a[64], db_b[64], conn_b[96], dir[64];

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	/* B is "training", A "production" and the default (PGDATABASE).  The
	 * same provider name in both, so a command sent to the wrong one
	 * succeeds there instead of failing. */
	snprintf(db_b, sizeof(db_b), "%s", tl_db_create("cwt_pool_b", true));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Fir Grange", "--care-type", "residential", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Only In Bravo", "--care-type", "nursing", "--locality",
			     "west"), NULL, 0));
	snprintf(db_a, sizeof(db_a), "%s", tl_db_create("cwt_pool_a", true));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Fir Grange", "--care-type", "residential", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Only In Alpha", "--care-type", "home_care", "--locality",
			     "north"), NULL, 0));
	snprintf(conn_b, sizeof(conn_b), "dbname=%s", db_b);
	/* The variable the attacks used, and a directory of this run's own
	 * for anything a binary that still honoured it would leave. */
	snprintf(dir, sizeof(dir), "/tmp/cwt-pooling.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	setenv("CAREWATCH_AGENT", "1", 1);
	setenv("CAREWATCH_AGENT_DIR", dir, 1);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (db_a[0] == '\0')
		return 0;
	unsetenv("CAREWATCH_AGENT");
	tl_db_drop(db_a);
	tl_db_drop(db_b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Connect to database name as the owner (PGDATABASE is A's throughout). */
static PGconn *
connect_to(const char *name)
{
	PGconn *c;

	setenv("PGDATABASE", name, 1);
	c = tl_connect(NULL);
	setenv("PGDATABASE", db_a, 1);
	return c;
}

/* Backends on A or B other than the caller's own: none once every command
 * has exited (a backend takes a moment to go after its client has). */
static long
lingering_backends(PGconn *c)
{
	char sql[256];
	long n = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_stat_activity WHERE datname IN ('%s', '%s')"
		 " AND pid <> pg_backend_pid()", db_a, db_b);
	for (int i = 0; i < 100 && (n = tl_count(c, sql)) > 0; i++)
		usleep(20 * 1000);
	return n;
}

static long
concerns(PGconn *c, const char *summary)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM concern WHERE summary = '%s'", summary);
	return tl_count(c, sql);
}

static long
cases_of(PGconn *c, const char *summary)
{
	char sql[300];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM case_file f JOIN concern k ON k.id = f.concern_id WHERE k.summary = '%s'",
		 summary);
	return tl_count(c, sql);
}

/* A few commands on the default database first, as an officer's day would
 * have started (and as would have started a helper for it). */
static void
warm_up_on_a(void)
{
	for (int i = 0; i < 3; i++) {
		char *out = tl_run_out(TL_ARGV("provider", "list", "--format", "csv"), NULL, 0);
		assert_non_null(strstr(out, "Only In Alpha"));
		assert_null(strstr(out, "Only In Bravo"));
		free(out);
		usleep(100 * 1000);
	}
}

static void
test_pooling_db_option_decides_where_a_concern_is_written(void **state)
{
	PGconn *a, *b;
	char *out;

	(void)state;
	if (db_a[0] == '\0')
		skip();
	a = connect_to(db_a);
	b = connect_to(db_b);
	warm_up_on_a();

	/* --db before the command. */
	out = tl_run_out(TL_ARGV("--db", conn_b, "concern", "add", "Fir Grange", "--risk", "high", "--category",
			      "medication", "--source", "family", "--note", "Training concern one"), NULL, 0);
	assert_non_null(strstr(out, "recorded concern "));
	free(out);
	assert_int_equal(concerns(b, "Training concern one"), 1);
	assert_int_equal(cases_of(b, "Training concern one"), 1);
	assert_int_equal(concerns(a, "Training concern one"), 0);

	/* --db after the command's words: the command's own option. */
	out = tl_run_out(TL_ARGV("concern", "add", "Fir Grange", "--risk", "high", "--category", "medication",
			      "--source", "family", "--note", "Training concern two", "--db", conn_b),
			 NULL, 0);
	assert_non_null(strstr(out, "recorded concern "));
	free(out);
	assert_int_equal(concerns(b, "Training concern two"), 1);
	assert_int_equal(cases_of(b, "Training concern two"), 1);
	assert_int_equal(concerns(a, "Training concern two"), 0);

	/* And without --db, the default database: once, one case. */
	free(tl_run_out(TL_ARGV("concern", "add", "Fir Grange", "--risk", "high", "--category", "medication",
			     "--source", "family", "--note", "Production concern"), NULL, 0));
	assert_int_equal(concerns(a, "Production concern"), 1);
	assert_int_equal(cases_of(a, "Production concern"), 1);
	assert_int_equal(concerns(b, "Production concern"), 0);

	/* Nothing of carewatch's stays connected once its commands are done
	 * (b is the test's own, so it goes first). */
	PQfinish(b);
	assert_int_equal(lingering_backends(a), 0);
	PQfinish(a);
}

static void
test_pooling_db_option_decides_which_rows_a_list_shows(void **state)
{
	char *out;

	(void)state;
	if (db_a[0] == '\0')
		skip();
	warm_up_on_a();
	out = tl_run_out(TL_ARGV("--db", conn_b, "provider", "list", "--format", "csv"), NULL, 0);
	assert_non_null(strstr(out, "Only In Bravo"));
	assert_null(strstr(out, "Only In Alpha"));
	free(out);
	out = tl_run_out(TL_ARGV("provider", "list", "--format", "csv", "--db", conn_b), NULL, 0);
	assert_non_null(strstr(out, "Only In Bravo"));
	assert_null(strstr(out, "Only In Alpha"));
	free(out);
	warm_up_on_a();
}

/* Each of the six dashboards `--all --out` writes has the mode the caller's
 * umask gives a new file. */
static void
assert_dashboards_mode(const char *out_dir, mode_t want)
{
	static const char *const scopes[] = {"county", "north", "south", "east", "west", "norwich"};
	char path[256];
	struct stat st;

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		snprintf(path, sizeof(path), "%s/dashboard-2018-03-%s.html", out_dir, scopes[i]);
		assert_int_equal(stat(path, &st), 0);
		if ((st.st_mode & 0777) != want)
			fail_msg("%s has mode %03o, not %03o", path, (unsigned)(st.st_mode & 0777), (unsigned)want);
	}
}

static void
test_pooling_files_written_follow_the_umask(void **state)
{
	char d022[128], d002[128];
	mode_t old;

	(void)state;
	if (db_a[0] == '\0')
		skip();
	warm_up_on_a();
	snprintf(d022, sizeof(d022), "%s/u022", dir);
	snprintf(d002, sizeof(d002), "%s/u002", dir);
	assert_int_equal(mkdir(d022, 0755), 0);
	assert_int_equal(mkdir(d002, 0755), 0);

	old = umask(022);
	free(tl_run_out(TL_ARGV("report", "dashboard", "--month", "2018-03", "--all", "--out", d022), NULL, 0));
	umask(002);
	free(tl_run_out(TL_ARGV("report", "dashboard", "--month", "2018-03", "--all", "--out", d002), NULL, 0));
	umask(old);
	assert_dashboards_mode(d022, 0644);
	assert_dashboards_mode(d002, 0664);
}

/* The agent's commands are gone from the table, and so from help, the man
 * page and completion, which all read it. */
static void
test_pooling_agent_commands_are_gone(void **state)
{
	char *out, *err;

	(void)state;
	assert_int_equal(tl_run(TL_ARGV("agent", "status"), NULL, &out, &err, NULL), 2);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "carewatch: error: unknown command 'agent'\n"));
	free(out);
	free(err);
	out = tl_run_out(TL_ARGV("help"), NULL, 0);
	assert_null(strstr(out, "agent"));
	free(out);
	out = tl_run_out(TL_ARGV("help", "--man"), NULL, 0);
	assert_null(strstr(out, "agent"));
	assert_null(strstr(out, "AGENT"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pooling_db_option_decides_where_a_concern_is_written),
		cmocka_unit_test(test_pooling_db_option_decides_which_rows_a_list_shows),
		cmocka_unit_test(test_pooling_files_written_follow_the_umask),
		cmocka_unit_test(test_pooling_agent_commands_are_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
