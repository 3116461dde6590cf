/*
 * cmd_shell.c - `carewatch shell`: the day's work at one prompt.
 *
 * Each line is split like a shell line (quotes, backslashes) and run with
 * cw_cmd_run_line, exactly as `carewatch LINE` would run it, but on one
 * connection kept open between commands (so statements stay prepared and a
 * concern takes a few milliseconds).  The prompt names the database and the
 * login; Tab completes commands, options, vocabulary words and provider
 * names (complete.h); history is kept between sessions.
 *
 * A connection that dies between commands (a server restart, an idle
 * timeout, a terminated backend) is noticed before the next command, said
 * plainly, and replaced; one that dies during a command fails that command
 * with exit 3 (a write in flight is retried once by cw_db_transaction and
 * stored once), and the next command connects again.  Ctrl-C at the prompt
 * abandons the line; during a command it cancels the running statement.
 *
 * Without a terminal the shell reads commands from standard input, one per
 * line, with no prompt and no history, and exits with the status of the
 * last command that failed (0 when none did): a simple batch runner.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "carewatch/cmd.h"
#include "carewatch/complete.h"

#define HISTORY_KEEP 1000

static const char *const shell_words[] = {"quit", "exit", "\\?", NULL};

/* $CAREWATCH_HISTORY, else ~/.carewatch_history; NULL when neither. */
static const char *
history_path(char *buf, size_t size)
{
	const char *env = getenv("CAREWATCH_HISTORY"), *home = getenv("HOME");

	if (env && *env)
		return env;
	if (home == NULL || *home == '\0')
		return NULL;
	snprintf(buf, size, "%s/.carewatch_history", home);
	return buf;
}

/* The line as the history file keeps it: free text (options whose value
 * is TEXT: summaries, notes, reasons) may name people and is left out, as
 * it is left out of logs.  Caller frees. */
static char *
history_line(const char *line, const struct cw_words *w)
{
	const struct cw_cmd *cmd;
	struct cw_error err;
	size_t len = 0, used_len = 0;
	bool dropped = false;
	int used = 0, skip;
	char *out;

	cw_error_clear(&err);
	skip = w->n > 0 && strcmp(w->v[0], "carewatch") == 0;
	cmd = cw_cmd_find(w->n - skip, w->v + skip, &used, &err);
	if (cmd == NULL)
		return strdup(line);
	for (int i = 0; i < w->n; i++)
		len += strlen(w->v[i]) * 2 + 4;
	if ((out = calloc(1, len + 1)) == NULL)
		return NULL;
	for (int i = 0; i < w->n; i++) {
		const char *a = w->v[i];
		int n = cw_cmd_nopts(cmd);
		bool text = false;

		if (i >= skip + used && strncmp(a, "--", 2) == 0)
			for (int k = 0; k < n; k++) {
				struct cw_opt o = cw_cmd_opt(cmd, k);
				size_t nl = strlen(o.name);
				if (o.metavar && strcmp(o.metavar, "TEXT") == 0 &&
				    strncmp(a + 2, o.name, nl) == 0 && (a[2 + nl] == '\0' || a[2 + nl] == '='))
					text = true;
			}
		if (text) {
			dropped = true;
			if (strchr(a, '=') == NULL)
				i++;    /* and its value */
			continue;
		}
		{
			char *q = cw_quote_word(a);
			size_t ql;
			if (q == NULL)
				break;
			ql = strlen(q);
			if (used_len + ql + 2 > len + 1) {
				free(q);
				break;
			}
			if (used_len)
				out[used_len++] = ' ';
			memcpy(out + used_len, q, ql + 1);
			used_len += ql;
			free(q);
		}
	}
	if (!dropped) {
		free(out);
		return strdup(line);
	}
	return out;
}

static void
history_append(const char *path, const char *line, const struct cw_words *w)
{
	char *kept = history_line(line, w);
	FILE *f;

	if (kept == NULL || path == NULL) {
		free(kept);
		return;
	}
	if ((f = fopen(path, "a")) != NULL) {
		fchmod(fileno(f), 0600);
		fprintf(f, "%s\n", kept);
		fclose(f);
	}
	free(kept);
}

/* Ctrl-C while a command runs cancels its statement (PQcancel is safe in a
 * signal handler); the command then fails with the server's message. */
static PGcancel *volatile running;

static void
on_sigint(int sig)
{
	char buf[256];
	PGcancel *c = running;

	(void)sig;
	if (c)
		(void)PQcancel(c, buf, sizeof(buf));
}

static int
run_one(struct cw_ctx *ctx, struct cw_words *w)
{
	struct cw_ctx line = *ctx;
	struct sigaction sa, old;
	bool own = false;
	char **argv = w->v;
	int argc = w->n, rc;

	if (argc > 0 && strcmp(argv[0], "carewatch") == 0) {
		argv++;
		argc--;
	}
	if (argc > 0 && (strcmp(argv[0], "\\?") == 0 || strcmp(argv[0], "\\h") == 0 ||
			 strcmp(argv[0], "?") == 0)) {
		char *help = strdup("help");   /* psql's \? ; "\? case" is "help case" */
		if (help == NULL)
			return CW_EXIT_FAIL;
		free(argv[0]);
		argv[0] = help;
	}
	if (argc > 0 && strcmp(argv[0], "shell") == 0) {
		fprintf(stderr, "carewatch: error: already in the shell\n");
		return CW_EXIT_USAGE;
	}
	/* --db on a line is a connection for that line only. */
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--db") == 0 || strncmp(argv[i], "--db=", 5) == 0)
			own = true;
	if (own)
		line.db = NULL;
	else
		cw_ctx_check_connection(ctx);
	if (!own)
		line.db = ctx->db;
	line.width = cw_output_width();   /* the terminal may have been resized */
	running = line.db ? PQgetCancel(cw_db_conn(line.db)) : NULL;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigint;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old);
	rc = cw_cmd_run_line(&line, argc, argv);
	sigaction(SIGINT, &old, NULL);
	if (running) {
		PGcancel *c = running;
		running = NULL;
		PQfreeCancel(c);
	}
	if (own) {
		cw_db_close(line.db);
		return rc;
	}
	ctx->db = line.db;                 /* the dispatcher may have connected */
	if (ctx->db && PQstatus(cw_db_conn(ctx->db)) != CONNECTION_OK) {
		/* Lost during the command, which said so: start afresh next time. */
		cw_db_close(ctx->db);
		ctx->db = NULL;
		fprintf(stderr, "carewatch: the next command will connect again\n");
	}
	return rc;
}

static void
make_prompt(struct cw_ctx *ctx, char *buf, size_t size)
{
	char where[200];

	if (ctx->db)
		snprintf(where, sizeof(where), "%s@%s", cw_db_user(ctx->db), PQdb(cw_db_conn(ctx->db)));
	else
		snprintf(where, sizeof(where), "(not connected)");
	if (ctx->colour)
		snprintf(buf, size, "\001\033[1m\002carewatch %s>\001\033[0m\002 ", where);
	else
		snprintf(buf, size, "carewatch %s> ", where);
}

static int
run_shell(struct cw_ctx *ctx, const struct cw_args *a)
{
	char pathbuf[1024], prompt[400];
	const char *path = NULL;
	struct cw_error err;
	int last_failed = 0;
	char *line = NULL;
	size_t cap = 0;
	enum cw_msg_place place;

	(void)a;
	if (ctx->in_shell) {
		fprintf(stderr, "carewatch: error: already in the shell\n");
		return CW_EXIT_USAGE;
	}
	ctx->in_shell = true;
	place = cw_error_place(CW_AT_SHELL);
	cw_error_clear(&err);
	if (!cw_ctx_connect(ctx, &err))
		cw_error_print(&err);     /* the shell still runs; commands retry */
	if (ctx->interactive) {
		path = history_path(pathbuf, sizeof(pathbuf));
		using_history();
		stifle_history(HISTORY_KEEP);
		if (path)
			(void)read_history(path);
		printf("carewatch shell: 'help' or \\? lists the commands ('help case' a noun's), "
		       "Tab completes, 'quit' or Ctrl-D leaves.\n");
	}
	for (;;) {
		struct cw_words w = {0};
		int rc;

		free(line);
		line = NULL;
		if (ctx->interactive) {
			enum cw_read_status st;
			cw_complete_init(ctx);
			cw_complete_set(CW_COMPLETE_COMMAND, NULL, shell_words);
			make_prompt(ctx, prompt, sizeof(prompt));
			st = cw_read_line(prompt, NULL, &line);
			if (st == CW_READ_EOF)
				break;
			if (st == CW_READ_INTERRUPT)
				continue;
		} else {
			ssize_t n = getline(&line, &cap, stdin);
			if (n < 0)
				break;
			line[strcspn(line, "\r\n")] = '\0';
		}
		cw_error_clear(&err);
		if (!cw_split_line(line, false, &w, NULL, &err)) {
			last_failed = cw_fail(&err);
			cw_words_free(&w);
			continue;
		}
		if (w.n == 0) {
			cw_words_free(&w);
			continue;
		}
		if (ctx->interactive) {
			HIST_ENTRY *prev = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
			if (prev == NULL || strcmp(prev->line, line) != 0) {
				add_history(line);
				history_append(path, line, &w);
			}
		}
		if (w.n == 1 && (strcmp(w.v[0], "quit") == 0 || strcmp(w.v[0], "exit") == 0 ||
				 strcmp(w.v[0], "\\q") == 0)) {
			cw_words_free(&w);
			break;
		}
		rc = run_one(ctx, &w);
		if (rc != CW_EXIT_OK)
			last_failed = rc;
		cw_words_free(&w);
	}
	free(line);
	if (path)
		(void)history_truncate_file(path, HISTORY_KEEP);
	ctx->in_shell = false;
	(void)cw_error_place(place);
	return ctx->interactive ? CW_EXIT_OK : last_failed;
}

const struct cw_cmd cw_cmd_shell = {
	.name = "shell", .summary = "an interactive session: prompt, history, Tab completion",
	.help = "Runs carewatch commands typed at a prompt, on one database connection. "
		"Tab completes commands, options, allowed values and provider names; history is "
		"kept in ~/.carewatch_history (or $CAREWATCH_HISTORY), without free text. "
		"Without a terminal, runs the commands on standard input, one per line, and exits "
		"with the status of the last one that failed.",
	.max_pos = 0, .run = run_shell,
};
