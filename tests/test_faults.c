/*
 * test_faults.c - the PostgreSQL server killed (SIGKILL) in the middle of a
 * nightly run: after restart the previous results are intact, and a rerun
 * completes with the scores a clean computation gives.
 *
 * This test stops and restarts the whole test cluster, so it runs its own
 * database and leaves the server running again when it ends.
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
teardown(void **state)
{
	(void)state;
	if (dbname)
		tl_db_drop(dbname);
	return 0;
}

static void
pg_ctl(const char *action)
{
	char cmd[3000];
	const char *bin = getenv("CW_TEST_PGBIN");

	snprintf(cmd, sizeof(cmd), "%s%s/pg_ctl -D %s -l %s/../server.log -w -t 60 %s >/dev/null 2>&1",
		 geteuid() == 0 ? "runuser -u postgres -- " : "", bin ? bin : "/usr/lib/postgresql/15/bin",
		 datadir, datadir, action);
	assert_int_equal(system(cmd), 0);
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
	r = PQexec(owner, "SELECT p.name, s.score::text FROM provider_current_score s"
			  " JOIN provider p ON p.id = s.provider_id ORDER BY p.name");
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_server_killed_during_nightly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
