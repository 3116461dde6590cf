/*
 * cmd.h - the command table: one entry per subcommand.
 *
 * Each src/cmd_<group>.c defines its struct cw_cmd entries; src/commands.c
 * lists them all in cw_commands[].  Dispatch (main.c), `carewatch help`,
 * `COMMAND --help`, the man page (`carewatch help --man`), the shell and tab
 * completion all read that one table, so they cannot disagree.  The
 * dispatcher owns the boring parts: unknown or ambiguous commands with a
 * hint, option parsing and its errors (exit 2), connecting when the command
 * needs the database, and checking stdout was written before exit.
 */
#ifndef CAREWATCH_CMD_H
#define CAREWATCH_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/db.h"
#include "carewatch/output.h"
#include "carewatch/vocab.h"

struct cw_kind;

struct cw_opt {
	const char *name;              /* long option without "--" */
	const char *metavar;           /* value placeholder, or NULL for a flag */
	const char *help;
	const struct cw_vocab *vocab;  /* allowed words (validated, completed) */
};

#define CW_MAX_OPTS 32
#define CW_MAX_POS 16

enum {
	CW_CMD_DB = 1 << 0,            /* connect before running */
	CW_CMD_FORMAT = 1 << 1,        /* accepts --format table|csv|json and --wide */
	CW_CMD_HTML = 1 << 2,          /* --format also accepts html */
	CW_CMD_PAGE = 1 << 3,          /* lists and reports: through the pager on a terminal */
	CW_CMD_NO_CSV = 1 << 4,        /* --format table or json only (one object, not rows) */
};

struct cw_ctx;
struct cw_args;

struct cw_cmd {
	const char *name;              /* "provider add": one or two words */
	const char *synopsis;          /* positional arguments, e.g. "P" */
	const char *summary;           /* one line for `carewatch help` */
	const char *help;              /* paragraph for --help and the man page */
	const struct cw_opt *opts;     /* {NULL}-terminated; may be NULL */
	const struct cw_kind *kind;    /* record commands: options from its fields */
	int min_pos, max_pos;
	unsigned flags;
	int (*run)(struct cw_ctx *ctx, const struct cw_args *args);
};

struct cw_ctx {
	struct cw_db *db;              /* connected when the command has CW_CMD_DB */
	const char *conninfo;          /* --db, or NULL for libpq defaults */
	enum cw_format format;
	int width;                     /* terminal columns, 0 when not a terminal */
	bool wide;                     /* --wide: tables not fitted to width, every column shown */
	bool colour;
	bool interactive;              /* stdin and stdout are terminals */
	bool in_shell;                 /* commands run from `carewatch shell` */
	bool no_pager;                 /* --no-pager: never page (pager.h) */
};

struct cw_args {
	const struct cw_cmd *cmd;
	int npos;
	const char *pos[CW_MAX_POS];
	int nopts;
	const char *names[CW_MAX_OPTS];
	const char *values[CW_MAX_OPTS];   /* "" for flags */
};

extern const struct cw_cmd *const cw_commands[];

/* Connect ctx->db if it is not connected.  In the shell a failure says the
 * next command tries again, not how to configure the connection. */
bool cw_ctx_connect(struct cw_ctx *ctx, struct cw_error *err) __attribute__((warn_unused_result));

/* Replace ctx->db if its connection was lost while idle (the server
 * restarted, a timeout, a terminated backend), saying so on stderr, so the
 * command about to run works.  For the shell. */
void cw_ctx_check_connection(struct cw_ctx *ctx);

/* The value of option name, or NULL when not given.  Never fails. */
const char *cw_arg(const struct cw_args *a, const char *name);
/* Every value given for option name, in order, joined with ',' into buf
 * (an option that may be repeated: a CW_F_RATINGS field's), or NULL when it
 * was not given; empty values are left out, so --standard '' alone is "",
 * which clears the list in a correction.  Never fails (truncated at size). */
const char *cw_arg_all(const struct cw_args *a, const char *name, char *buf, size_t size);
/* True when flag name was given. */
bool cw_flag(const struct cw_args *a, const char *name);

/* Find the command named by words in argv; *used = words consumed.  On no
 * match fills err with a hint of the nearest name (exit 2). */
const struct cw_cmd *cw_cmd_find(int argc, char **argv, int *used, struct cw_error *err);

/* True when word is the first of several commands ("case", "report"). */
bool cw_cmd_is_group(const char *word);
/* List the commands of group with their summaries (`carewatch help case`). */
void cw_cmd_print_group(const char *group, FILE *f);

/* Parse options and positionals for cmd (argv after the command words). */
bool cw_cmd_parse(const struct cw_cmd *cmd, int argc, char **argv, struct cw_args *out,
		  struct cw_ctx *ctx, struct cw_error *err) __attribute__((warn_unused_result));

/* Run a full command line (argv without the program name) in ctx: find,
 * parse, connect if needed (reusing ctx->db), run.  Returns the exit code,
 * having printed any error.  Used by main and by the shell. */
int cw_cmd_run_line(struct cw_ctx *ctx, int argc, char **argv);

/* The same, with options the user gave before the command word (global,
 * nglobal words: --format F, --wide), parsed with the command's own as if
 * they followed the command words: one parser, one set of rules. */
int cw_cmd_run_with(struct cw_ctx *ctx, int nglobal, char **global, int argc, char **argv);

/* Print usage and options of cmd (for --help). */
void cw_cmd_usage(const struct cw_cmd *cmd, FILE *f);

/* Number of options of cmd and the i-th, including those from its kind. */
int cw_cmd_nopts(const struct cw_cmd *cmd);
struct cw_opt cw_cmd_opt(const struct cw_cmd *cmd, int i);

/* Print an error and return its exit code (convenience for handlers). */
int cw_fail(const struct cw_error *err);

/* Whether to go ahead with a step whose exact effect was just printed:
 * yes (--yes given) goes ahead; on a terminal (ctx->interactive) question
 * is asked with " [y/N] " and only y or yes (any case) goes ahead; anywhere
 * else it is a usage error (exit 2) saying that --yes is needed, so a
 * script never changes data it did not ask for.  Returns 1 to go ahead, 0
 * when the person answered no (or stdin ended), -1 with err filled. */
int cw_confirm(const struct cw_ctx *ctx, bool yes, const char *question, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Print a table in the context's format (fitted to ctx->width unless
 * ctx->wide), free it, and return 0. */
int cw_emit(struct cw_ctx *ctx, struct cw_table *t);

#endif
