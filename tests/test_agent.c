/*
 * test_agent.c - the connection agent (agent.h): with CAREWATCH_AGENT=1 the
 * first command starts it and later one-shot commands run on its warm
 * connection, with the same output, errors and exit codes as without it;
 * a write is stored once; a lost connection is replaced; it serves only from
 * a private directory, stops when told and when idle.
 *
 * Skipped under `make valgrind`: valgrind keeps its own copy of the caller's
 * stderr in the detached agent, which then holds the test's output files
 * open for as long as it lives.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define OFFICER "PGUSER=cwt_agent_olive"

static const char *dbname;
static char dir[64], sockdir[128];

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available() || getenv("CW_VALGRIND"))
		return 0;
	dbname = tl_db_create("cwt_agent", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_agent_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_agent_olive", "--name", "Olive Example", "--fte", "1",
			     "--locality", "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Fir Grange", "--care-type", "residential", "--locality",
			     "east"), NULL, 0));
	snprintf(dir, sizeof(dir), "/tmp/cwt-agent.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sockdir, sizeof(sockdir), "%s/sock", dir);
	setenv("CAREWATCH_AGENT_DIR", sockdir, 1);
	setenv("CAREWATCH_AGENT", "1", 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[200];

	(void)state;
	if (dbname == NULL)
		return 0;
	(void)tl_run(TL_ARGV("agent", "stop"), NULL, NULL, NULL, OFFICER);
	unsetenv("CAREWATCH_AGENT");
	tl_db_drop(dbname);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Wait (up to 5 s) until `agent status` exits with want. */
static void
wait_status(int want)
{
	int rc = -1;

	for (int i = 0; i < 100; i++) {
		rc = tl_run(TL_ARGV("agent", "status"), NULL, NULL, NULL, OFFICER);
		if (rc == want)
			return;
		usleep(50 * 1000);
	}
	fail_msg("agent status exited %d, not %d", rc, want);
}

/* The agent's backend: its pid, or "" when it has none. */
static char *
agent_backend(PGconn *su)
{
	return strdup(tl_query1(su, "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity"
				    " WHERE application_name = 'carewatch agent'"));
}

/* Wait (up to 2 s) until the agent's backend has gone. */
static void
wait_no_backend(PGconn *su)
{
	for (int i = 0; i < 100 && tl_count(su, "SELECT count(*) FROM pg_stat_activity"
						" WHERE application_name = 'carewatch agent'") > 0; i++)
		usleep(20 * 1000);
}

/* Nothing (no socket) is left in path. */
static void
assert_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			fail_msg("a socket in %s: %s", path, e->d_name);
	closedir(d);
}

static void
test_agent_runs_one_shot_commands_on_a_warm_connection(void **state)
{
	PGconn *su;
	char *out, *err, *pid, *pid2;
	struct stat st;
	int rc;

	(void)state;
	if (dbname == NULL)
		skip();
	su = tl_connect(NULL);
	free(tl_run_out(TL_ARGV("agent", "status"), OFFICER, 5));
	/* The first command runs itself and starts the agent. */
	out = tl_run_out(TL_ARGV("provider", "list", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, "Fir Grange,residential,east"));
	free(out);
	wait_status(0);
	/* Its directory and socket are the user's alone. */
	assert_int_equal(stat(sockdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* It connects at its first command, as the caller would have. */
	pid = agent_backend(su);
	assert_string_equal(pid, "");
	free(pid);
	out = tl_run_out(TL_ARGV("officer", "list", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, "cwt_agent_olive,Olive Example"));
	free(out);
	pid = agent_backend(su);
	assert_true(pid[0] != '\0' && strchr(pid, ',') == NULL);
	assert_string_equal(tl_query1(su, "SELECT usename FROM pg_stat_activity"
					  " WHERE application_name = 'carewatch agent'"), "cwt_agent_olive");

	/* A write through the agent: the same output, stored once, by the
	 * officer, on the agent's connection (its backend is the same one). */
	out = tl_run_out(TL_ARGV("concern", "add", "Fir", "--risk", "high", "--category", "medication",
			      "--source", "family", "--summary", "Through the agent"), OFFICER, 0);
	assert_non_null(strstr(out, "recorded concern "));
	assert_non_null(strstr(out, " for Fir Grange\n"));
	assert_non_null(strstr(out, "case "));
	free(out);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM concern WHERE summary = 'Through the agent'"
				      " AND recorded_by = 'cwt_agent_olive'"), 1);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM case_file c JOIN concern k ON k.id = c.concern_id"
				      " WHERE k.summary = 'Through the agent'"), 1);
	pid2 = agent_backend(su);
	assert_string_equal(pid, pid2);
	free(pid2);

	/* The format given on the command line reaches the agent. */
	out = tl_run_out(TL_ARGV("--format", "json", "provider", "list"), OFFICER, 0);
	assert_true(out[0] == '[');
	assert_non_null(strstr(out, "{\"name\": \"Fir Grange\", \"care_type\": \"residential\""));
	free(out);

	/* Errors and exit codes are the command's own, on the caller's stderr. */
	rc = tl_run(TL_ARGV("provider", "show", "Nowhere"), NULL, &out, &err, OFFICER);
	assert_int_equal(rc, 5);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "carewatch: error: no provider matches 'Nowhere'\n"));
	free(out);
	free(err);
	rc = tl_run(TL_ARGV("concern", "add", "Fir", "--risk", "purple", "--category", "medication",
			    "--source", "family", "--summary", "Refused"), NULL, &out, &err, OFFICER);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "'purple'"));
	free(out);
	free(err);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM concern WHERE summary = 'Refused'"), 0);
	pid2 = agent_backend(su);
	assert_string_equal(pid, pid2);
	free(pid2);

	/* Its backend ended: the next command says so, reconnects, and works. */
	{
		PGconn *pg = tl_connect("postgres");
		char sql[200];
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
		tl_query1(pg, sql);
		PQfinish(pg);
	}
	wait_no_backend(su);
	rc = tl_run(TL_ARGV("concern", "add", "Fir", "--risk", "low", "--category", "medication", "--source",
			    "family", "--summary", "After the cut"), NULL, &out, &err, OFFICER);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(err, "carewatch: the connection to the database was lost; reconnecting\n"));
	assert_non_null(strstr(out, "recorded concern "));
	free(out);
	free(err);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM concern WHERE summary = 'After the cut'"), 1);
	pid2 = agent_backend(su);
	assert_true(pid2[0] != '\0' && strcmp(pid, pid2) != 0);
	free(pid2);
	free(pid);

	/* Stopped: its socket and its connection go. */
	out = tl_run_out(TL_ARGV("agent", "stop"), OFFICER, 0);
	assert_string_equal(out, "agent stopped\n");
	free(out);
	free(tl_run_out(TL_ARGV("agent", "status"), OFFICER, 5));
	wait_no_backend(su);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity"
				      " WHERE application_name = 'carewatch agent'"), 0);
	assert_empty_dir(sockdir);
	PQfinish(su);
}

/* An idle agent exits by itself; a directory others can enter is not used. */
static void
test_agent_idles_out_and_refuses_an_open_directory(void **state)
{
	char open_dir[160];
	char *out;

	(void)state;
	if (dbname == NULL)
		skip();
	(void)tl_run(TL_ARGV("agent", "stop"), NULL, NULL, NULL, OFFICER);
	setenv("CAREWATCH_AGENT_IDLE", "1", 1);
	free(tl_run_out(TL_ARGV("officer", "list"), OFFICER, 0));
	wait_status(0);
	usleep(2500 * 1000);
	free(tl_run_out(TL_ARGV("agent", "status"), OFFICER, 5));
	unsetenv("CAREWATCH_AGENT_IDLE");

	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	assert_int_equal(mkdir(open_dir, 0755), 0);
	assert_int_equal(chmod(open_dir, 0755), 0);
	setenv("CAREWATCH_AGENT_DIR", open_dir, 1);
	out = tl_run_out(TL_ARGV("officer", "list", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, "cwt_agent_olive"));
	free(out);
	usleep(300 * 1000);
	free(tl_run_out(TL_ARGV("agent", "status"), OFFICER, 5));
	assert_empty_dir(open_dir);
	setenv("CAREWATCH_AGENT_DIR", sockdir, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_runs_one_shot_commands_on_a_warm_connection),
		cmocka_unit_test(test_agent_idles_out_and_refuses_an_open_directory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
