/*
 * pager.c - long output through a pager, as git and psql do (see pager.h).
 *
 * stdout's descriptor points at an unlinked temporary file for the length
 * of one command, so the shell can page each command and keep its
 * terminal.  While the pager runs, carewatch ignores SIGINT and SIGQUIT as
 * system(3) does: Ctrl-C belongs to the pager then.
 */
#include "carewatch/pager.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carewatch/output.h"

static bool
on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		struct stat st;

		if (n > 0 && n + strlen(prog) + 2 < sizeof(buf)) {
			(void)snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return true;
		}
		if (end == NULL)
			break;
		path = end + 1;
	}
	return false;
}

const char *
cw_pager_command(void)
{
	const char *p = getenv("CAREWATCH_PAGER");

	if (p == NULL)
		p = getenv("PAGER");
	if (p == NULL)
		return on_path("less") ? "less -FRX" : NULL;
	p += strspn(p, " \t");
	if (*p == '\0' || strcmp(p, "cat") == 0)
		return NULL;
	return p;
}

bool
cw_pager_start(struct cw_pager *p)
{
	FILE *tmp;

	p->held = -1;
	p->terminal = -1;
	if (!isatty(STDOUT_FILENO) || cw_pager_command() == NULL)
		return false;
	if (fflush(stdout) != 0 || (tmp = tmpfile()) == NULL)
		return false;
	p->held = dup(fileno(tmp));
	fclose(tmp);
	p->terminal = dup(STDOUT_FILENO);
	if (p->held < 0 || p->terminal < 0 || dup2(p->held, STDOUT_FILENO) < 0) {
		if (p->held >= 0)
			close(p->held);
		if (p->terminal >= 0)
			close(p->terminal);
		p->held = p->terminal = -1;
		return false;
	}
	cw_output_set_terminal(p->terminal);
	return true;
}

/* Whether the held output fits ROWS x COLS: fewer lines than rows (the
 * prompt needs one) and no line wider than the terminal, counting a UTF-8
 * character as one column and skipping colour escapes.  Erring towards
 * "does not fit" costs only a pager that, as `less -F`, exits at once. */
static bool
fits(int fd, int rows, int cols)
{
	unsigned char buf[65536];
	int lines = 0, width = 0;
	bool esc = false;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return true;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = buf[i];

			if (esc) {
				esc = !(c >= 0x40 && c <= 0x7e && c != '[');
			} else if (c == 0x1b) {
				esc = true;
			} else if (c == '\n') {
				if (++lines >= rows - 1)
					return false;
				width = 0;
			} else if ((c & 0xc0) != 0x80 && ++width > cols) {
				return false;
			}
		}
	}
	return true;
}

static bool
copy_out(int from, int to)
{
	char buf[65536];
	ssize_t n;

	if (lseek(from, 0, SEEK_SET) < 0)
		return false;
	while ((n = read(from, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return false;
			done += w;
		}
	}
	return n == 0;
}

/* Run the pager on the held file; its exit status, or -1. */
static int
run_pager(int held)
{
	struct sigaction ign, old_int, old_quit;
	const char *cmd = cw_pager_command();
	int status = -1;
	pid_t pid;

	if (lseek(held, 0, SEEK_SET) < 0)
		return -1;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		dup2(held, STDIN_FILENO);
		close(held);
		/* less: no screen clearing, colours through, quit when it
		 * fits, unless the user set their own LESS. */
		setenv("LESS", "FRX", 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool
cw_pager_finish(struct cw_pager *p)
{
	struct winsize ws;
	bool ok;

	if (p->held < 0)
		return true;
	ok = fflush(stdout) == 0 && !ferror(stdout);
	clearerr(stdout);
	dup2(p->terminal, STDOUT_FILENO);
	close(p->terminal);
	cw_output_set_terminal(-1);
	if (ok) {
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0)
			ws.ws_row = 24, ws.ws_col = 80;
		if (fits(p->held, ws.ws_row, ws.ws_col))
			ok = copy_out(p->held, STDOUT_FILENO);
		else if (run_pager(p->held) == 127) {
			/* sh could not find the pager: show the output anyway. */
			fprintf(stderr, "carewatch: warning: could not run the pager '%s'\n", cw_pager_command());
			ok = copy_out(p->held, STDOUT_FILENO);
		}
	}
	close(p->held);
	p->held = p->terminal = -1;
	return ok;
}
