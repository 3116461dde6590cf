/*
 * testlib.c - test database cloning and running the real binary (testlib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

bool
tl_db_available(void)
{
	return getenv("CW_TEST_TEMPLATE") != NULL && getenv("CW_UNIT_ONLY") == NULL;
}

static void
no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
connect_db(const char *db, const char *role)
{
	const char *keys[] = {"dbname", "user", NULL};
	const char *vals[] = {db, role, NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 0);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "test: connect %s as %s: %s", db, role ? role : "(default)",
			PQerrorMessage(c));
		PQfinish(c);
		fail();
	}
	PQsetNoticeProcessor(c, no_notice, NULL);
	return c;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "test: %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		fail();
	}
	PQclear(r);
}

const char *
tl_db_create(const char *prefix, bool migrated)
{
	static char name[64];
	char sql[256];
	PGconn *c;

	snprintf(name, sizeof(name), "%s_%d", prefix, (int)getpid());
	c = connect_db("postgres", "postgres");
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	exec_ok(c, sql);
	if (migrated)
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s OWNER cw_owner STRATEGY FILE_COPY", name,
			 getenv("CW_TEST_TEMPLATE"));
	else
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER cw_owner", name);
	exec_ok(c, sql);
	PQfinish(c);
	setenv("PGDATABASE", name, 1);
	return name;
}

void
tl_db_drop(const char *name)
{
	char sql[256];
	PGconn *c = connect_db("postgres", "postgres");

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	exec_ok(c, sql);
	PQfinish(c);
}

PGconn *
tl_connect(const char *role)
{
	return connect_db(getenv("PGDATABASE"), role ? role : "cw_owner");
}

const char *
tl_query1(PGconn *c, const char *sql)
{
	static char buf[4096];
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "test: %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		fail();
	}
	buf[0] = '\0';
	if (PQntuples(r) > 0 && PQnfields(r) > 0)
		snprintf(buf, sizeof(buf), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return buf;
}

long
tl_count(PGconn *c, const char *sql)
{
	return strtol(tl_query1(c, sql), NULL, 10);
}

static char *
slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);
			assert_non_null(nb);
			buf = nb;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

int
tl_run(const char *const argv[], const char *stdin_text, char **out, char **err,
       const char *extra_env)
{
	const char *bin = getenv("CW_BIN");
	char outname[] = "/tmp/cwt-out.XXXXXX", errname[] = "/tmp/cwt-err.XXXXXX";
	char inname[] = "/tmp/cwt-in.XXXXXX";
	int ofd = mkstemp(outname), efd = mkstemp(errname), ifd = mkstemp(inname);
	int n = 0, status = 0;
	pid_t pid;

	assert_true(ofd >= 0 && efd >= 0 && ifd >= 0);
	unlink(outname);
	unlink(errname);
	unlink(inname);
	if (stdin_text)
		assert_true(write(ifd, stdin_text, strlen(stdin_text)) == (ssize_t)strlen(stdin_text));
	lseek(ifd, 0, SEEK_SET);
	while (argv[n])
		n++;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char **args = calloc((size_t)n + 2, sizeof(*args));
		args[0] = bin ? bin : "bin/carewatch";
		for (int i = 0; i < n; i++)
			args[i + 1] = argv[i];
		dup2(ifd, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		if (extra_env)
			putenv((char *)extra_env);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = slurp_fd(ofd);
	if (err)
		*err = slurp_fd(efd);
	close(ofd);
	close(efd);
	close(ifd);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

char *
tl_run_out(const char *const argv[], const char *extra_env, int want)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, extra_env);

	if (rc != want)
		fail_msg("%s %s: exit %d (wanted %d)\nstdout: %s\nstderr: %s", argv[0],
			 argv[1] ? argv[1] : "", rc, want, out, err);
	free(err);
	return out;
}

const char *
tl_path(const char *rel)
{
	static char buf[1024];
	const char *top = getenv("CW_TOP");

	snprintf(buf, sizeof(buf), "%s/tests/%s", top ? top : ".", rel);
	return buf;
}
