/*
 * agent.c - the connection agent (see agent.h for what and why).
 *
 * The request, caller to agent: one sendmsg carrying the caller's fds 0, 1
 * and 2 (SCM_RIGHTS) and a 4-byte payload length, then the payload: a
 * sequence of NUL-terminated strings -- the protocol version, the output
 * format, the working directory, the number of environment settings and
 * each as NAME=VALUE (or NAME alone: unset), the number of words and each
 * word.  The reply is the command's exit status, 4 bytes.  Both ends are
 * processes of the same user on the same machine.
 */
#define _GNU_SOURCE     /* struct ucred (SO_PEERCRED) and accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "carewatch/agent.h"
#include "carewatch/cmd.h"
#include "carewatch/copybuf.h"
#include "carewatch/sha256.h"

#define PROTOCOL "carewatch-agent 1"
#define MAX_PAYLOAD ((size_t)256 * 1024)
#define MAX_WORDS 256

/* What a command's output depends on besides its words and fds. */
static const char *const forwarded_env[] = {"NO_COLOR", "COLUMNS", "TZ", NULL};
/* What picks the database and the login: each combination its own agent. */
static const char *const key_env[] = {
	"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE",
	"PGOPTIONS", "PGPASSFILE", "PGSSLMODE", "PGCONNECT_TIMEOUT", "PGTZ", NULL,
};

/* The socket's directory, made 0700 if missing and refused unless it is a
 * directory of ours that nobody else can enter. */
static bool
agent_dir(char *dir, size_t size)
{
	const char *env = getenv("CAREWATCH_AGENT_DIR"), *run = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (env && *env)
		snprintf(dir, size, "%s", env);
	else if (run && *run)
		snprintf(dir, size, "%s/carewatch", run);
	else
		snprintf(dir, size, "/tmp/carewatch-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return false;
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	       (st.st_mode & 077) == 0;
}

/* The socket for ctx's connection settings and this binary. */
static bool
socket_path(const struct cw_ctx *ctx, char *path, size_t size)
{
	struct cw_sha256 h;
	struct stat st;
	char dir[200], key[65], exe[64];

	if (!agent_dir(dir, sizeof(dir)))
		return false;
	cw_sha256_init(&h);
	cw_sha256_update(&h, ctx->conninfo ? ctx->conninfo : "", strlen(ctx->conninfo ? ctx->conninfo : ""));
	for (int i = 0; key_env[i]; i++) {
		const char *v = getenv(key_env[i]);
		cw_sha256_update(&h, "\n", 1);
		if (v)
			cw_sha256_update(&h, v, strlen(v) + 1);
	}
	/* A rebuilt or upgraded binary does not talk to an old agent. */
	if (stat("/proc/self/exe", &st) == 0) {
		snprintf(exe, sizeof(exe), "\n%lu:%lu:%lld", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
			 (long long)st.st_mtime);
		cw_sha256_update(&h, exe, strlen(exe));
	}
	cw_sha256_final_hex(&h, key);
	return (size_t)snprintf(path, size, "%s/agent-%.16s.sock", dir, key) < size &&
	       strlen(path) < sizeof(((struct sockaddr_un *)NULL)->sun_path);
}

static bool
set_sun_path(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		return false;
	memcpy(sa->sun_path, path, n + 1);
	return true;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || !set_sun_path(&sa, path)) {
		if (fd >= 0)
			close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static bool
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

static bool
read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		c += r;
		n -= (size_t)r;
	}
	return true;
}

/* ---- the agent -------------------------------------------------------- */

struct agent {
	struct cw_ctx ctx;              /* its connection lives on between commands */
	int listen_fd;
	char path[256];
	bool stop;
};

/* The request's words and settings, parsed from the payload in place. */
struct request {
	char *buf;
	int format;
	const char *cwd;
	int nenv, nwords;
	char *env[16];
	char *words[MAX_WORDS];
};

static bool
parse_request(struct request *q, char *buf, uint32_t len)
{
	char *p = buf, *end = buf + len;
	char *s[4];

	if (len == 0 || end[-1] != '\0')
		return false;
	for (int i = 0; i < 4; i++) {
		if (p >= end)
			return false;
		s[i] = p;
		p += strlen(p) + 1;
	}
	if (strcmp(s[0], PROTOCOL) != 0)
		return false;
	q->format = atoi(s[1]);
	q->cwd = s[2];
	q->nenv = atoi(s[3]);
	if (q->nenv < 0 || q->nenv > (int)(sizeof(q->env) / sizeof(q->env[0])))
		return false;
	for (int i = 0; i < q->nenv; i++, p += strlen(p) + 1) {
		if (p >= end)
			return false;
		q->env[i] = p;
	}
	if (p >= end)
		return false;
	q->nwords = atoi(p);
	p += strlen(p) + 1;
	if (q->nwords < 1 || q->nwords >= MAX_WORDS)
		return false;
	for (int i = 0; i < q->nwords; i++, p += strlen(p) + 1) {
		if (p >= end)
			return false;
		q->words[i] = p;
	}
	q->words[q->nwords] = NULL;
	return p == end && q->format >= CW_FMT_TABLE && q->format <= CW_FMT_HTML;
}

/* Receive one request on c and run it with the caller's fds as 0, 1, 2. */
static void
serve(struct agent *ag, int c)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	uint32_t len = 0;
	struct iovec iov = {&len, sizeof(len)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int fds[3] = {-1, -1, -1}, saved[3] = {-1, -1, -1};
	int32_t rc = CW_AGENT_DECLINE;
	struct request q;
	char *buf = NULL;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != getuid())
		return;
	if (recvmsg(c, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(len))
		return;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(3 * sizeof(int)))
		return;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	if (len == 0 || len > MAX_PAYLOAD || (buf = malloc(len)) == NULL || !read_all(c, buf, len) ||
	    !parse_request(&q, buf, len))
		goto out;
	if (q.nwords == 2 && strcmp(q.words[0], "agent") == 0 && strcmp(q.words[1], "stop") == 0) {
		ag->stop = true;
		rc = CW_EXIT_OK;
		goto out;
	}
	if (chdir(q.cwd) != 0)
		goto out;        /* declined: the caller runs it where it is */
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++) {
		saved[i] = dup(i);
		if (saved[i] < 0 || dup2(fds[i], i) < 0)
			goto restore;
	}
	clearerr(stdin);
	clearerr(stdout);
	clearerr(stderr);
	for (int i = 0; forwarded_env[i]; i++)
		unsetenv(forwarded_env[i]);
	for (int i = 0; i < q.nenv; i++) {
		char *eq = strchr(q.env[i], '=');
		if (eq) {
			*eq = '\0';
			setenv(q.env[i], eq + 1, 1);
		}
	}
	tzset();
	ag->ctx.format = (enum cw_format)q.format;
	ag->ctx.width = cw_output_width();
	ag->ctx.colour = cw_output_colour();
	ag->ctx.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	cw_ctx_check_connection(&ag->ctx);
	rc = cw_cmd_run_line(&ag->ctx, q.nwords, q.words);
	fflush(stdout);
	fflush(stderr);
restore:
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		}
	}
out:
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(buf);
	(void)write_all(c, &rc, sizeof(rc));
}

static int
idle_ms(void)
{
	const char *e = getenv("CAREWATCH_AGENT_IDLE");
	long s = e && *e ? atol(e) : 600;

	return (int)((s < 1 ? 1 : s > 86400 ? 86400 : s) * 1000);
}

/* The agent's life, in the detached grandchild: listen, serve, exit when
 * idle or told to stop.  Never returns. */
static void __attribute__((noreturn))
agent_main(const struct cw_ctx *ctx, const char *path)
{
	struct agent ag;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int null = open("/dev/null", O_RDWR);

	/* Let go of the caller's terminal and pipes at once: whoever waits for
	 * their end of file must not wait for the agent. */
	for (int i = 0; i < 3; i++)
		if (null >= 0)
			dup2(null, i);
	if (null > 2)
		close(null);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	memset(&ag, 0, sizeof(ag));
	ag.ctx = *ctx;
	ag.ctx.db = NULL;
	ag.ctx.in_agent = true;
	snprintf(ag.path, sizeof(ag.path), "%s", path);
	/* Its backend is told apart in pg_stat_activity. */
	setenv("PGAPPNAME", "carewatch agent", 1);
	ag.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	umask(077);
	/* bind fails if another agent won the race to start: it serves. */
	if (ag.listen_fd < 0 || !set_sun_path(&sa, path) ||
	    bind(ag.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ag.listen_fd, 16) != 0)
		_exit(0);
	while (!ag.stop) {
		struct pollfd p = {.fd = ag.listen_fd, .events = POLLIN};
		int n = poll(&p, 1, idle_ms()), c;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		c = accept4(ag.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(&ag, c);
		close(c);
	}
	unlink(ag.path);
	close(ag.listen_fd);
	cw_db_close(ag.ctx.db);
	exit(0);
}

/* Start an agent for the next command, detached (double fork: no zombie,
 * no controlling terminal). */
static void
spawn(const struct cw_ctx *ctx, const char *path)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		agent_main(ctx, path);
	}
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
}

/* ---- the caller ------------------------------------------------------- */

/* Append s and its NUL to the payload. */
static bool
put(struct cw_copybuf *b, const char *s)
{
	return b->n + strlen(s) < MAX_PAYLOAD && cw_copybuf_add(b, s, strlen(s) + 1);
}

/* Send argv to the agent on fd c; its exit status in *rc. */
static bool
request(int c, const struct cw_ctx *ctx, int argc, char **argv, int32_t *rc)
{
	struct cw_copybuf b = {0};
	char cwd[4096], num[16], kv[512];
	int nenv = 0, fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	uint32_t len;
	bool ok;
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&len, sizeof(len)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	for (int i = 0; forwarded_env[i]; i++)
		nenv += getenv(forwarded_env[i]) != NULL;
	snprintf(num, sizeof(num), "%d", (int)ctx->format);
	ok = put(&b, PROTOCOL) && put(&b, num) && put(&b, cwd);
	snprintf(num, sizeof(num), "%d", nenv);
	ok = ok && put(&b, num);
	for (int i = 0; ok && forwarded_env[i]; i++) {
		const char *v = getenv(forwarded_env[i]);
		if (v == NULL)
			continue;
		if ((size_t)snprintf(kv, sizeof(kv), "%s=%s", forwarded_env[i], v) >= sizeof(kv))
			ok = false;
		else
			ok = put(&b, kv);
	}
	snprintf(num, sizeof(num), "%d", argc);
	ok = ok && argc < MAX_WORDS && put(&b, num);
	for (int i = 0; ok && i < argc; i++)
		ok = put(&b, argv[i]);
	if (!ok) {
		cw_copybuf_free(&b);
		return false;
	}
	len = (uint32_t)b.n;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	fflush(stdout);
	fflush(stderr);
	ok = sendmsg(c, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(len) && write_all(c, b.p, b.n) &&
	     read_all(c, rc, sizeof(*rc));
	cw_copybuf_free(&b);
	return ok;
}

static bool
wanted(void)
{
	const char *e = getenv("CAREWATCH_AGENT");

	return e && (strcmp(e, "1") == 0 || strcmp(e, "on") == 0 || strcmp(e, "yes") == 0);
}

bool
cw_agent_try(const struct cw_ctx *ctx, int argc, char **argv, int *rc)
{
	const struct cw_cmd *cmd;
	struct cw_error err;
	char path[256];
	int used, c;
	int32_t got = CW_AGENT_DECLINE;
	bool ok;

	if (!wanted() || ctx->db != NULL)
		return false;
	cw_error_clear(&err);
	cmd = cw_cmd_find(argc, argv, &used, &err);
	/* Database commands, and the record commands (which connect themselves). */
	if (cmd == NULL || !((cmd->flags & CW_CMD_DB) || cmd->kind) || (cmd->flags & CW_CMD_LOCAL) ||
	    !socket_path(ctx, path, sizeof(path)))
		return false;
	c = connect_to(path);
	if (c < 0) {
		/* None yet, or a dead one's socket: start one for next time. */
		if (errno == ECONNREFUSED)
			unlink(path);
		if (errno == ENOENT || errno == ECONNREFUSED)
			spawn(ctx, path);
		return false;
	}
	ok = request(c, ctx, argc, argv, &got);
	close(c);
	if (!ok || got == CW_AGENT_DECLINE)
		return false;
	*rc = got;
	return true;
}

bool
cw_agent_running(const struct cw_ctx *ctx, char *path, size_t size)
{
	int c;

	if (!socket_path(ctx, path, size) || (c = connect_to(path)) < 0)
		return false;
	close(c);
	return true;
}

bool
cw_agent_stop(const struct cw_ctx *ctx)
{
	char path[256];
	char *words[] = {(char *)"agent", (char *)"stop", NULL};
	int32_t got = -1;
	int c;

	if (!socket_path(ctx, path, sizeof(path)) || (c = connect_to(path)) < 0)
		return false;
	if (!request(c, ctx, 2, words, &got)) {
		close(c);
		return false;
	}
	/* The agent removes its socket as it exits: wait for that, briefly. */
	close(c);
	for (int i = 0; i < 200 && access(path, F_OK) == 0; i++)
		nanosleep(&(struct timespec){0, 10000000L}, NULL);
	return got == CW_EXIT_OK;
}
