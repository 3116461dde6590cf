/*
 * test_pager.c - long output goes through a pager on a terminal, as git's
 * does: the real binary in a pseudo-terminal (forkpty), with a pager
 * program the test writes that records it ran and what it was given.  No
 * database needed: `help` is a paged command.
 */
#include <errno.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char dir[] = "/tmp/cw-pager-XXXXXX";
static char stub[300], quitter[300];

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(buf);
	if (f == NULL)
		return buf;
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	/* The pager: "NAME ran" in marker, its input in paged-NAME. */
	snprintf(stub, sizeof(stub), "%s/pager.sh", dir);
	f = fopen(stub, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "#!/bin/sh\necho \"$1 ran\" >> %s/marker\ncat > %s/paged-$1\n", dir, dir);
	fclose(f);
	/* A pager the user quits at once: reads nothing and exits. */
	snprintf(quitter, sizeof(quitter), "%s/quit.sh", dir);
	f = fopen(quitter, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "#!/bin/sh\necho \"quit ran\" >> %s/marker\nexit 0\n", dir);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
reset(void)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/marker", dir);
	unlink(path);
}

/* Run carewatch ARGV with stdout (and stdin, stderr) on a pseudo-terminal,
 * the environment set as given ("NAME=value" to set, "NAME" to unset).
 * Returns the exit status; *screen is what reached the terminal. */
static int
run_pty_size(int rows, int cols, const char *const argv[], const char *const env[], const char *input,
	     char **screen)
{
	int master, status;
	pid_t pid;
	size_t len = 0, cap = 1 << 20;
	char *buf = calloc(1, cap);
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};

	assert_non_null(buf);
	pid = forkpty(&master, NULL, NULL, &ws);
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *bin = getenv("CW_BIN");
		const char *args[32];
		int n = 0;

		for (int i = 0; env[i]; i++) {
			const char *eq = strchr(env[i], '=');
			if (eq == NULL) {
				unsetenv(env[i]);
			} else {
				char name[64];
				snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
				setenv(name, eq + 1, 1);
			}
		}
		args[n++] = bin;
		for (int i = 0; argv[i] && n < 31; i++)
			args[n++] = argv[i];
		args[n] = NULL;
		execv(bin, (char *const *)args);
		_exit(127);
	}
	if (input != NULL)
		assert_int_equal(write(master, input, strlen(input)), (ssize_t)strlen(input));
	for (;;) {
		ssize_t r = read(master, buf + len, cap - len - 1);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;   /* EIO: the child and everything it started closed the terminal */
	}
	buf[len] = '\0';
	close(master);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*screen = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
run_pty(const char *const argv[], const char *const env[], const char *input, char **screen)
{
	return run_pty_size(24, 100, argv, env, input, screen);
}

static char *
marker(void)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/marker", dir);
	return slurp(path);
}

static char *
paged(const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/paged-%s", dir, name);
	return slurp(path);
}

static void
test_pager_long_output_on_a_terminal_goes_through_carewatch_pager(void **state)
{
	char env1[400], env2[400], *screen, *m, *p;

	(void)state;
	reset();
	snprintf(env1, sizeof(env1), "CAREWATCH_PAGER=sh %s carewatch", stub);
	snprintf(env2, sizeof(env2), "PAGER=sh %s pager", stub);
	assert_int_equal(run_pty(TL_ARGV("help"), (const char *const[]){env1, env2, NULL}, NULL,
				 &screen), 0);
	m = marker();
	p = paged("carewatch");
	/* CAREWATCH_PAGER beats PAGER, and the whole help went to it. */
	assert_string_equal(m, "carewatch ran\n");
	assert_non_null(strstr(p, "usage: carewatch"));
	assert_non_null(strstr(p, "provider list"));
	assert_null(strstr(screen, "provider list"));
	free(screen);
	free(m);
	free(p);
}

static void
test_pager_pager_is_used_without_carewatch_pager(void **state)
{
	char env[400], *screen, *m, *p;

	(void)state;
	reset();
	snprintf(env, sizeof(env), "PAGER=sh %s pager", stub);
	assert_int_equal(run_pty(TL_ARGV("help"), (const char *const[]){"CAREWATCH_PAGER", env, NULL},
				 NULL, &screen), 0);
	m = marker();
	p = paged("pager");
	assert_string_equal(m, "pager ran\n");
	assert_non_null(strstr(p, "provider list"));
	free(screen);
	free(m);
	free(p);
}

static void
test_pager_no_pager_and_cat_and_empty_write_to_the_terminal(void **state)
{
	char env[400], *screen, *m;
	const char *const none[] = {"cat", ""};

	(void)state;
	snprintf(env, sizeof(env), "CAREWATCH_PAGER=sh %s carewatch", stub);
	reset();
	assert_int_equal(run_pty(TL_ARGV("--no-pager", "help"), (const char *const[]){env, NULL},
				 NULL, &screen), 0);
	m = marker();
	assert_string_equal(m, "");
	assert_non_null(strstr(screen, "provider list"));
	free(screen);
	free(m);
	for (int i = 0; i < 2; i++) {
		char e[64];
		snprintf(e, sizeof(e), "CAREWATCH_PAGER=%s", none[i]);
		reset();
		assert_int_equal(run_pty(TL_ARGV("help"), (const char *const[]){e, NULL}, NULL, &screen),
				 0);
		m = marker();
		assert_string_equal(m, "");
		assert_non_null(strstr(screen, "provider list"));
		free(screen);
		free(m);
	}
}

static void
test_pager_never_when_stdout_is_not_a_terminal(void **state)
{
	char env[400], *out, *err, *m;

	(void)state;
	reset();
	snprintf(env, sizeof(env), "CAREWATCH_PAGER=sh %s carewatch", stub);
	assert_int_equal(tl_run(TL_ARGV("help"), NULL, &out, &err, env), 0);
	m = marker();
	assert_string_equal(m, "");
	assert_non_null(strstr(out, "provider list"));
	free(out);
	free(err);
	free(m);
}

static void
test_pager_quitting_the_pager_early_is_not_an_error(void **state)
{
	char env[400], *screen, *m;

	(void)state;
	reset();
	snprintf(env, sizeof(env), "CAREWATCH_PAGER=sh %s", quitter);
	assert_int_equal(run_pty(TL_ARGV("help"), (const char *const[]){env, NULL}, NULL, &screen), 0);
	m = marker();
	assert_string_equal(m, "quit ran\n");
	assert_null(strstr(screen, "could not write"));
	free(screen);
	free(m);
}

static void
test_pager_commands_that_are_not_lists_are_not_paged(void **state)
{
	char env[400], *screen, *m;

	(void)state;
	reset();
	snprintf(env, sizeof(env), "CAREWATCH_PAGER=sh %s carewatch", stub);
	assert_int_equal(run_pty(TL_ARGV("version"), (const char *const[]){env, NULL}, NULL, &screen),
			 0);
	m = marker();
	assert_string_equal(m, "");
	assert_non_null(strstr(screen, "carewatch"));
	free(screen);
	free(m);
}

static void
test_pager_the_shell_pages_each_command(void **state)
{
	char env[400], *screen, *m, *p;

	(void)state;
	reset();
	snprintf(env, sizeof(env), "CAREWATCH_PAGER=sh %s carewatch", stub);
	/* No server is needed for `help`; the shell starts without one. */
	assert_int_equal(run_pty(TL_ARGV("--db", "host=/nonexistent-socket-dir", "shell"),
				 (const char *const[]){env, "TERM=dumb", NULL}, "help\nhelp\nquit\n",
				 &screen),
			 0);
	m = marker();
	p = paged("carewatch");
	assert_string_equal(m, "carewatch ran\ncarewatch ran\n");
	assert_non_null(strstr(p, "provider list"));
	free(screen);
	free(m);
	free(p);
}

static void
test_pager_output_that_fits_the_terminal_is_not_paged(void **state)
{
	char env[400], *screen, *m;

	(void)state;
	reset();
	snprintf(env, sizeof(env), "CAREWATCH_PAGER=sh %s carewatch", stub);
	/* The help is about 105 lines of up to 122 columns: it fits 200 x 160. */
	assert_int_equal(run_pty_size(200, 160, TL_ARGV("help"), (const char *const[]){env, NULL}, NULL,
				      &screen), 0);
	m = marker();
	assert_string_equal(m, "");
	assert_non_null(strstr(screen, "usage: carewatch"));
	assert_non_null(strstr(screen, "provider list"));
	free(screen);
	free(m);
}

static void
test_pager_a_pager_that_cannot_run_still_shows_the_output(void **state)
{
	char *screen;

	(void)state;
	assert_int_equal(run_pty(TL_ARGV("help"),
				 (const char *const[]){"CAREWATCH_PAGER=no-such-pager-program", NULL}, NULL,
				 &screen), 0);
	assert_non_null(strstr(screen, "carewatch: warning: could not run the pager 'no-such-pager-program'"));
	assert_non_null(strstr(screen, "provider list"));
	free(screen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pager_long_output_on_a_terminal_goes_through_carewatch_pager),
		cmocka_unit_test(test_pager_pager_is_used_without_carewatch_pager),
		cmocka_unit_test(test_pager_no_pager_and_cat_and_empty_write_to_the_terminal),
		cmocka_unit_test(test_pager_never_when_stdout_is_not_a_terminal),
		cmocka_unit_test(test_pager_quitting_the_pager_early_is_not_an_error),
		cmocka_unit_test(test_pager_commands_that_are_not_lists_are_not_paged),
		cmocka_unit_test(test_pager_the_shell_pages_each_command),
		cmocka_unit_test(test_pager_output_that_fits_the_terminal_is_not_paged),
		cmocka_unit_test(test_pager_a_pager_that_cannot_run_still_shows_the_output),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
