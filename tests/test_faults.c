/*
 * test_faults.c - the PostgreSQL server killed (SIGKILL) in the middle of a
 * nightly run: after restart the previous results are intact, and a rerun
 * completes with the scores a clean computation gives.  And the server
 * stopped while an officer sits at `carewatch shell` in a real terminal
 * (tmux, testlib.h): a command then fails with a plain message, the shell
 * stays at its prompt, and once the server is back the next command
 * reconnects and a write is stored once.
 *
 * These tests stop and restart the whole test cluster, so they run their
 * own database and leave the server running again when they end.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static const char *dbname;
static char datadir[1024];
static char dir[64];
static bool tmux_ok;

static int
setup(void **state)
{
	PGconn *su;

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_faults", true);
	su = tl_connect("postgres");
	/* The test cluster trades durability for speed (synchronous_commit
	 * off); a crash test needs commits that survive the crash. */
	{
		char sql[200];
		snprintf(sql, sizeof(sql), "ALTER DATABASE %s SET synchronous_commit = on", dbname);
		tl_query1(su, sql);
	}
	snprintf(datadir, sizeof(datadir), "%s", tl_query1(su, "SHOW data_directory"));
	PQfinish(su);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_fault_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_fault_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_fault_olive", "--name", "Olive Example", "--fte", "1",
			     "--locality", "east"), NULL, 0));
	snprintf(dir, sizeof(dir), "/tmp/cwt-faults.%d", (int)getpid());
	tmux_ok = tl_term_init(dir);
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Fir Grange", "--care-type", "residential", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Gorse Care", "--care-type", "home_care", "--locality",
			     "east"), NULL, 0));
	free(tl_run_out(TL_ARGV("cqc", "add", "Fir Grange", "--published", "2024-02-01", "--safe",
			     "requires_improvement", "--well-led", "requires_improvement", "--overall",
			     "requires_improvement"), NULL, 0));
	free(tl_run_out(TL_ARGV("nightly", "--as-of", "2024-03-31"), "PGUSER=cwt_fault_batch", 0));
	return 0;
}

static int
run_pg_ctl(const char *action)
{
	char cmd[3000];
	const char *bin = getenv("CW_TEST_PGBIN");

	snprintf(cmd, sizeof(cmd), "%s%s/pg_ctl -D %s -l %s/../server.log -w -t 60 %s >/dev/null 2>&1",
		 geteuid() == 0 ? "runuser -u postgres -- " : "", bin ? bin : "/usr/lib/postgresql/15/bin",
		 datadir, datadir, action);
	return system(cmd);
}

static void
pg_ctl(const char *action)
{
	assert_int_equal(run_pg_ctl(action), 0);
}

static int
teardown(void **state)
{
	(void)state;
	tl_term_end();
	/* A test that failed with the server stopped: the programs after this
	 * one need it running. */
	if (datadir[0] && run_pg_ctl("status") != 0 && run_pg_ctl("start") != 0)
		fprintf(stderr, "test: could not start the server again\n");
	if (dbname)
		tl_db_drop(dbname);
	return 0;
}

/* SIGKILL every process whose working directory is the data directory;
 * returns how many were still there. */
static int
kill_cluster_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char link[300], cwd[1024];
		ssize_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(link, sizeof(link), "/proc/%s/cwd", de->d_name);
		len = readlink(link, cwd, sizeof(cwd) - 1);
		if (len <= 0)
			continue;
		cwd[len] = '\0';
		if (strcmp(cwd, datadir) == 0) {
			kill((pid_t)atol(de->d_name), SIGKILL);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void
test_faults_server_killed_during_nightly(void **state)
{
	PGconn *owner, *blocker;
	PGresult *r;
	char before[2048], path[1100], line[32];
	pid_t nightly;
	int status, waited = 0;
	long postmaster;
	FILE *f;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("safeguarding", "add", "Gorse Care", "--category", "financial_abuse",
			     "--outcome", "substantiated", "--referred", "2024-04-10"), NULL, 0));
	owner = tl_connect(NULL);
	snprintf(before, sizeof(before), "%s",
		 tl_query1(owner, "SELECT string_agg(provider_id || ':' || score || ':' || band, ','"
				  " ORDER BY provider_id) FROM provider_current_score"));
	/* Block the run while it publishes, so the kill lands mid-run. */
	blocker = tl_connect(NULL);
	r = PQexec(blocker, "BEGIN; LOCK TABLE provider_current_score IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	nightly = fork();
	if (nightly == 0) {
		char *out, *err;
		_exit(tl_run(TL_ARGV("nightly", "--as-of", "2024-04-30"), NULL, &out, &err,
			     "PGUSER=cwt_fault_batch"));
	}
	while (tl_count(owner, "SELECT count(*) FROM pg_locks WHERE NOT granted") == 0) {
		usleep(50 * 1000);
		assert_true(++waited < 400);
	}
	/* SIGKILL the postmaster: every backend dies with it, as in a crash. */
	snprintf(path, sizeof(path), "%s/postmaster.pid", datadir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	postmaster = atol(line);
	assert_true(postmaster > 1);
	assert_int_equal(kill((pid_t)postmaster, SIGKILL), 0);
	assert_int_equal(waitpid(nightly, &status, 0), nightly);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);   /* the connection was lost */
	PQfinish(blocker);
	PQfinish(owner);
	/* Kill the rest of this server (its processes' working directory is
	 * the data directory; other clusters on the machine are left alone),
	 * then restart it, as after a crash. */
	waited = 0;
	while (kill_cluster_processes() > 0) {
		usleep(100 * 1000);
		assert_true(++waited < 100);
	}
	/* The killed postmaster may linger as a zombie of whoever started it,
	 * which its successor would take for a live server: its lock files go. */
	unlink(path);
	if (getenv("PGHOST") && getenv("PGPORT")) {
		char sock[1200];
		snprintf(sock, sizeof(sock), "%s/.s.PGSQL.%s.lock", getenv("PGHOST"), getenv("PGPORT"));
		unlink(sock);
	}
	pg_ctl("start");
	owner = tl_connect(NULL);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(provider_id || ':' || score || ':' || band, ','"
					     " ORDER BY provider_id) FROM provider_current_score"),
			    before);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score WHERE as_of = '2024-04-30 22:59:59+00'"), 0);
	/* The rerun completes and matches a clean computation, provider by provider. */
	free(tl_run_out(TL_ARGV("nightly", "--as-of", "2024-04-30"), "PGUSER=cwt_fault_batch", 0));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run WHERE outcome = 'abandoned'"), 1);
	/* (The run's rows: a score the scorer stored since, as of now, is the
	 * current one.) */
	r = PQexec(owner, "SELECT p.name, s.score::text FROM provider_score s"
			  " JOIN provider p ON p.id = s.provider_id"
			  " WHERE s.as_of = '2024-04-30 22:59:59+00' ORDER BY p.name");
	assert_int_equal(PQntuples(r), 2);
	for (int i = 0; i < 2; i++) {
		char want[64];
		char *json = tl_run_out(TL_ARGV("provider", "explain", PQgetvalue(r, i, 0), "--as-of",
					     "2024-04-30", "--format", "json"), NULL, 0);
		snprintf(want, sizeof(want), "{\"total\":%s,", PQgetvalue(r, i, 1));
		if (strncmp(json, want, strlen(want)) != 0)
			fail_msg("%s: stored %s, clean computation %.40s", PQgetvalue(r, i, 0),
				 PQgetvalue(r, i, 1), json);
		free(json);
	}
	PQclear(r);
	PQfinish(owner);
}

/* Fail, showing the screen, unless the output after line typed at the
 * prompt starts with want; returns that output. */
static const char *
expect_after(const char *screen, const char *line, const char *want)
{
	char typed[300];
	const char *p;

	snprintf(typed, sizeof(typed), "> %s\n", line);
	p = strstr(screen, typed);
	if (p == NULL || strncmp(p + strlen(typed), want, strlen(want)) != 0)
		fail_msg("expected after '%s':\n%s\nthe screen:\n%s", line, want, screen);
	return p + strlen(typed);
}

static void
test_faults_server_stopped_under_the_shell(void **state)
{
	char want[600], *s;
	const char *prompt, *out;
	PGconn *owner;

	(void)state;
	if (!tl_db_available() || !tmux_ok)
		skip();
	prompt = tl_term_shell("cwt_fault_olive", false);
	tl_type("provider find Gorse --format csv");
	tl_key("Enter");
	tl_wait_free(prompt, 2);
	/* The whole server stops (fast: it ends every backend) while the
	 * officer is at the prompt. */
	pg_ctl("stop -m fast");
	tl_type("provider find Fir --format csv");
	tl_key("Enter");
	tl_wait_free("carewatch (not connected)> ", 1);
	tl_type("officer list --format csv");
	tl_key("Enter");
	s = tl_wait_for("carewatch (not connected)> ", 2);
	/* Said plainly, naming the socket it tried; the shell stays at its
	 * prompt, and the next command says so again without the first line. */
	snprintf(want, sizeof(want), "carewatch: the connection to the database was lost; reconnecting\n"
				     "carewatch: error: cannot connect to the database\n"
				     "detail: connection to server on socket \"%s/.s.PGSQL.%s\" failed:"
				     " No such file or directory\n",
		 getenv("PGHOST"), getenv("PGPORT"));
	expect_after(s, "provider find Fir --format csv", want);
	expect_after(s, "officer list --format csv", "carewatch: error: cannot connect to the database\n");
	/* The hint is about the server, not about how to set up a connection. */
	assert_non_null(strstr(s, "\nhint: is the server running? the shell stays open and the next command"
				  " tries to connect again\n"));
	assert_null(strstr(s, "set PGHOST"));
	assert_null(strstr(s, "[exit "));
	free(s);
	/* The server is back (same data directory, socket and port): the next
	 * command connects by itself and a write is stored once. */
	pg_ctl("start");
	tl_type("provider list --sort name --format csv");
	tl_key("Enter");
	tl_wait_free(prompt, 3);
	tl_type("concern add \"Fir Grange\" --risk low --category other --source public"
		" --note \"Server stopped under the shell\"");
	tl_key("Enter");
	s = tl_wait_for(prompt, 4);
	out = expect_after(s, "provider list --sort name --format csv",
			   "name,care_type,locality,cqc_location_id,score,band,trend,open_cases,id\n"
			   "Fir Grange,residential,east,,");
	assert_non_null(strstr(out, "\nGorse Care,home_care,east,,"));
	out = expect_after(s, "concern add \"Fir Grange\" --risk low --category other --source public"
			      " --note \"Server stopped under the shell\"", "recorded concern ");
	assert_non_null(strstr(out, " for Fir Grange\ncase "));
	assert_null(strstr(s, "[exit "));
	free(s);
	owner = tl_connect(NULL);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"
					 " WHERE summary = 'Server stopped under the shell'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM pg_stat_activity"
					 " WHERE usename = 'cwt_fault_olive'"), 1);
	PQfinish(owner);
	/* The same process all along: Ctrl-D leaves it, cleanly (sanitisers
	 * too). */
	tl_key("C-d");
	s = tl_wait_for("[exit ", 1);
	assert_non_null(strstr(s, "[exit 0]"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_server_killed_during_nightly),
		cmocka_unit_test(test_faults_server_stopped_under_the_shell),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
