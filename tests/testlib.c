/*
 * testlib.c - test database cloning, running the real binary and driving it
 * in a terminal (testlib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

int
tl_group_teardown(PGconn *owner, const char *dbname)
{
	if (owner)
		PQfinish(owner);
	if (dbname)
		tl_db_drop(dbname);
	return 0;
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

static char term_dir[64];
static int pane;               /* each pane gets a tmux server (socket) of its own */

bool
tl_term_init(const char *dir)
{
	snprintf(term_dir, sizeof(term_dir), "%s", dir);
	mkdir(term_dir, 0700);
	return system("command -v tmux >/dev/null 2>&1") == 0;
}

void
tl_term_end(void)
{
	char cmd[256];

	if (term_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock kill-server 2>/dev/null; rm -rf %s", term_dir,
		 pane, term_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test: could not clean up %s\n", term_dir);
	term_dir[0] = '\0';
}

/* Run tmux on our own server socket; fails the test when tmux does. */
static void
tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
tmux(const char *fmt, ...)
{
	char args[2048], cmd[2300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock -f /dev/null %s", term_dir, pane, args);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* End the pane's server, if any.  The next pane uses a new socket: a
 * server on its way out removes its socket file, which must not be the
 * new server's. */
static void
tmux_stop(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock kill-server 2>/dev/null", term_dir, pane);
	if (system(cmd) != 0) {
		/* none was running */
	}
	pane++;
}

void
tl_term_start(const char *user, const char *args, int width, bool colour)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/run.sh", term_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "cd %s\nexport PGHOST='%s' PGPORT='%s' PGDATABASE='%s' PGUSER='%s' HOME='%s'\n"
		   "export CAREWATCH_HISTORY='%s/history' TZ=UTC LANG=C.UTF-8\nunset COLUMNS LINES %s\n"
		   "trap : INT\n\"$CW_BIN\" %s\necho \"[exit $?]\"\nexec sleep 600\n",
		term_dir, getenv("PGHOST"), getenv("PGPORT") ? getenv("PGPORT") : "", getenv("PGDATABASE"), user,
		term_dir, term_dir, colour ? "NO_COLOR" : "", args);    /* run-tests.sh sets NO_COLOR */
	fclose(f);
	tmux_stop();
	tmux("new-session -d -s cw -x %d -y 50 'sh %s'", width, path);
}

const char *
tl_term_shell(const char *user, bool colour)
{
	static char prompt[200];

	snprintf(prompt, sizeof(prompt), "carewatch %s@%s> ", user, getenv("PGDATABASE"));
	tl_term_start(user, "shell", 100, colour);
	tl_wait_free(prompt, 1);
	return prompt;
}

void
tl_type(const char *text)
{
	tmux("send-keys -t cw -l -- '%s'", text);
}

void
tl_key(const char *name)
{
	tmux("send-keys -t cw %s", name);
}

/* A capture that fails (tmux busy, a signal) is taken again. */
char *
tl_screen(bool joined, bool escapes)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock capture-pane -p %s %s -t cw -S -400 2>/dev/null",
		 term_dir, pane, joined ? "-J" : "", escapes ? "-e" : "");
	for (int attempt = 0;; attempt++) {
		char *buf = calloc(1, 1), chunk[4096];
		size_t len = 0, n;
		FILE *p = popen(cmd, "r");

		assert_non_null(p);
		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
			char *more = realloc(buf, len + n + 1);
			assert_non_null(more);
			buf = more;
			memcpy(buf + len, chunk, n);
			len += n;
			buf[len] = '\0';
		}
		bool bad = ferror(p) != 0;
		if ((pclose(p) == 0 && !bad) || attempt == 5)
			return buf;
		free(buf);
	}
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* 30 seconds: a loaded machine. */
char *
tl_wait_for(const char *text, int n)
{
	struct timespec nap = {0, 50 * 1000 * 1000};

	for (int i = 0; i < 600; i++) {
		char *s = tl_screen(true, false);
		if (count(s, text) >= n)
			return s;
		free(s);
		nanosleep(&nap, NULL);
	}
	{
		/* cmocka's messages are short: the screen goes to stderr whole. */
		char *s = tl_screen(true, false);
		fprintf(stderr, "test: waited 30 s for '%s' (x%d); the screen:\n%s\n", text, n, s);
		free(s);
		fail();
	}
	return NULL;
}

void
tl_wait_free(const char *text, int n)
{
	free(tl_wait_for(text, n));
}

bool
tl_server_log_contains(const char *needle)
{
	const char *path = getenv("CW_SERVER_LOG");
	size_t n = strlen(needle), len = 0, cap = 0, got;
	char *buf = NULL, chunk[65536];
	bool found = false;
	FILE *f = path && *path ? fopen(path, "rb") : NULL;

	if (f == NULL) {
		fail_msg("cannot read the server log '%s' (run the test with tests/run-tests.sh): %s",
			 path ? path : "", strerror(errno));
		return false;
	}
	/* The whole log, searched byte by byte: it may hold NUL bytes. */
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + got > cap) {
			char *grown = realloc(buf, (len + got) * 2);

			if (grown == NULL) {
				free(buf);
				fclose(f);
				fail_msg("out of memory reading the server log");
				return false;
			}
			buf = grown;
			cap = (len + got) * 2;
		}
		memcpy(buf + len, chunk, got);
		len += got;
	}
	fclose(f);
	for (size_t i = 0; !found && i + n <= len; i++)
		found = memcmp(buf + i, needle, n) == 0;
	found = found || n == 0;
	free(buf);
	return found;
}

void
tl_scorer_drain(void)
{
	static bool have_login;     /* logins are the cluster's: one for the whole program */

	if (!have_login) {
		free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_scorer", "--as", "batch"), NULL, 0));
		have_login = true;
	}
	free(tl_run_out(TL_ARGV("scorer", "--once"), "PGUSER=cwt_scorer", 0));
}
