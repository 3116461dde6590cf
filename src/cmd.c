/*
 * cmd.c - finding, parsing and running commands from the one table (cmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carewatch/cmd.h"
#include "carewatch/pager.h"
#include "carewatch/record.h"

static const struct cw_opt common_db = {"db", "CONNINFO",
	"connection string or URI (default: PG* variables, service file)", NULL};
static const struct cw_opt common_format = {"format", "F", "output format: table, csv or json", NULL};
static const struct cw_opt common_help = {"help", NULL, "show this help", NULL};
static const struct cw_opt common_wide = {"wide", NULL,
	"a table as wide as its rows: no column cut or hidden, UUIDs too", NULL};

int
cw_cmd_nopts(const struct cw_cmd *cmd)
{
	int n = 0;

	if (cmd->kind)
		n += cmd->kind->nfields + 1;     /* + --id */
	for (const struct cw_opt *o = cmd->opts; o && o->name; o++)
		n++;
	return n;
}

struct cw_opt
cw_cmd_opt(const struct cw_cmd *cmd, int i)
{
	if (cmd->kind) {
		if (i < cmd->kind->nfields) {
			const struct cw_field *f = &cmd->kind->fields[i];
			return (struct cw_opt){f->name, f->type == CW_F_BOOL ? NULL : f->metavar,
					       f->help, f->vocab};
		}
		if (i == cmd->kind->nfields)
			return (struct cw_opt){"id", "UUID",
					       "the record's id (made for you; give it to retry safely)",
					       NULL};
		i -= cmd->kind->nfields + 1;
	}
	return cmd->opts[i];
}

const char *
cw_arg(const struct cw_args *a, const char *name)
{
	for (int i = a->nopts - 1; i >= 0; i--)
		if (strcmp(a->names[i], name) == 0)
			return a->values[i];
	return NULL;
}

bool
cw_flag(const struct cw_args *a, const char *name)
{
	return cw_arg(a, name) != NULL;
}

/* Number of argv words that spell name ("db role add" needs three), or 0. */
static int
match_words(const char *name, int argc, char **argv)
{
	int n = 0;

	while (*name) {
		size_t len = strcspn(name, " ");
		if (n >= argc || strlen(argv[n]) != len || strncmp(argv[n], name, len) != 0)
			return 0;
		n++;
		name += len;
		if (*name == ' ')
			name++;
	}
	return n;
}

/* Levenshtein distance, for "did you mean". */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (a[i - 1] != b[j - 1]);
			int del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

const struct cw_cmd *
cw_cmd_find(int argc, char **argv, int *used, struct cw_error *err)
{
	const struct cw_cmd *best = NULL;
	char typed[128];
	const char *near = NULL;
	int neard = 99;
	bool group = false;

	*used = 0;
	if (argc < 1)
		return NULL;
	for (int i = 0; cw_commands[i]; i++) {
		const struct cw_cmd *c = cw_commands[i];
		int n = match_words(c->name, argc, argv);
		size_t l1 = strcspn(c->name, " ");

		if (n > *used) {
			best = c;
			*used = n;
		}
		if (strlen(argv[0]) == l1 && strncmp(c->name, argv[0], l1) == 0)
			group = true;
	}
	if (best)
		return best;
	if (group && argc >= 2)
		snprintf(typed, sizeof(typed), "%.60s %.60s", argv[0], argv[1]);
	else
		snprintf(typed, sizeof(typed), "%.100s", argv[0]);
	for (int i = 0; cw_commands[i]; i++) {
		int d = distance(typed, cw_commands[i]->name);
		if (d < neard) {
			neard = d;
			near = cw_commands[i]->name;
		}
	}
	if (group && argc < 2) {
		cw_error_set(err, CW_EXIT_USAGE, "'%s' needs a subcommand", typed);
		cw_error_hint(err, "run 'carewatch help' to see the %s commands", typed);
	} else {
		cw_error_set(err, CW_EXIT_USAGE, "unknown command '%s'", typed);
		if (near && neard <= 3)
			cw_error_hint(err, "did you mean 'carewatch %s'?", near);
		else
			cw_error_hint(err, "run 'carewatch help' for the list of commands");
	}
	return NULL;
}

static bool
find_opt(const struct cw_cmd *cmd, const char *name, struct cw_opt *out)
{
	int n = cw_cmd_nopts(cmd);

	for (int i = 0; i < n; i++) {
		struct cw_opt o = cw_cmd_opt(cmd, i);
		if (strcmp(o.name, name) == 0) {
			*out = o;
			return true;
		}
	}
	if (strcmp(name, "db") == 0) {
		*out = common_db;
		return true;
	}
	if (strcmp(name, "help") == 0) {
		*out = common_help;
		return true;
	}
	if (strcmp(name, "format") == 0 && (cmd->flags & CW_CMD_FORMAT)) {
		*out = common_format;
		return true;
	}
	if (strcmp(name, "wide") == 0 && (cmd->flags & CW_CMD_FORMAT)) {
		*out = common_wide;
		return true;
	}
	return false;
}

bool
cw_cmd_parse(const struct cw_cmd *cmd, int argc, char **argv, struct cw_args *out,
	     struct cw_ctx *ctx, struct cw_error *err)
{
	bool only_pos = false;

	memset(out, 0, sizeof(*out));
	out->cmd = cmd;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		char name[64];
		const char *val = NULL, *eq;
		struct cw_opt o;

		if (only_pos || a[0] != '-' || a[1] != '-' || a[2] == '\0') {
			if (!only_pos && strcmp(a, "--") == 0) {
				only_pos = true;
				continue;
			}
			if (!only_pos && a[0] == '-' && a[1] != '\0' && a[1] != '-' &&
			    !(a[1] >= '0' && a[1] <= '9')) {
				cw_error_set(err, CW_EXIT_USAGE, "unknown option '%.40s' for 'carewatch %s'",
					     a, cmd->name);
				cw_error_hint(err, "options are long: run 'carewatch %s --help'", cmd->name);
				return false;
			}
			if (out->npos == CW_MAX_POS || out->npos == cmd->max_pos) {
				cw_error_set(err, CW_EXIT_USAGE, "unexpected argument '%.40s' for 'carewatch %s'",
					     a, cmd->name);
				cw_error_hint(err, "usage: carewatch %s %s", cmd->name, cmd->synopsis ? cmd->synopsis : "");
				return false;
			}
			out->pos[out->npos++] = a;
			continue;
		}
		eq = strchr(a + 2, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - a - 2) : strlen(a + 2)), a + 2);
		if (!find_opt(cmd, name, &o)) {
			cw_error_set(err, CW_EXIT_USAGE, "unknown option '--%.40s' for 'carewatch %s'", name,
				     cmd->name);
			cw_error_hint(err, "run 'carewatch %s --help' for its options", cmd->name);
			return false;
		}
		if (o.metavar) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				cw_error_set(err, CW_EXIT_USAGE, "option '--%s' needs a value (%s)", name, o.metavar);
				return false;
			}
			if (o.vocab && cmd->kind == NULL) {
				int ignored;
				if (!cw_vocab_check(o.vocab, name, val, &ignored, err))
					return false;
			}
		} else {
			if (eq)
				return cw_error_set(err, CW_EXIT_USAGE, "option '--%s' takes no value", name);
			val = "";
		}
		if (out->nopts == CW_MAX_OPTS)
			return cw_error_set(err, CW_EXIT_USAGE, "too many options");
		out->names[out->nopts] = o.name;
		out->values[out->nopts] = val;
		out->nopts++;
	}
	if (cw_flag(out, "help"))
		return true;
	if (cw_arg(out, "db"))
		ctx->conninfo = cw_arg(out, "db");
	if (cw_arg(out, "format")) {
		int f = cw_format_parse(cw_arg(out, "format"), (cmd->flags & CW_CMD_HTML) != 0);
		if (f < 0)
			return cw_error_field(err, "format", "invalid output format '%.20s' (expected %s)",
					      cw_arg(out, "format"),
					      (cmd->flags & CW_CMD_HTML) ? "table, csv, json or html"
									  : "table, csv or json");
		if (f == CW_FMT_CSV && (cmd->flags & CW_CMD_NO_CSV)) {
			cw_error_field(err, "format", "invalid output format 'csv' for 'carewatch %s'"
				       " (expected table or json)", cmd->name);
			cw_error_hint(err, "its JSON is one object holding every section");
			return false;
		}
		ctx->format = (enum cw_format)f;
	}
	if (cw_flag(out, "wide"))
		ctx->wide = true;
	if (out->npos < cmd->min_pos) {
		cw_error_set(err, CW_EXIT_USAGE, "'carewatch %s' needs %s", cmd->name,
			     cmd->synopsis ? cmd->synopsis : "more arguments");
		cw_error_hint(err, "usage: carewatch %s %s", cmd->name, cmd->synopsis ? cmd->synopsis : "");
		return false;
	}
	return true;
}

void
cw_cmd_usage(const struct cw_cmd *cmd, FILE *f)
{
	int n = cw_cmd_nopts(cmd);

	fprintf(f, "usage: carewatch %s%s%s [options]\n\n%s\n", cmd->name, cmd->synopsis ? " " : "",
		cmd->synopsis ? cmd->synopsis : "", cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s\n", cmd->help);
	fputs("\noptions:\n", f);
	for (int i = 0; i < n + 4; i++) {
		struct cw_opt o = i < n ? cw_cmd_opt(cmd, i)
					: (i == n ? common_db : i == n + 1 ? common_format
							 : i == n + 2 ? common_wide : common_help);
		char left[64], allowed[512];

		if ((i == n + 1 || i == n + 2) && !(cmd->flags & CW_CMD_FORMAT))
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", o.name, o.metavar ? " " : "",
			 o.metavar ? o.metavar : "");
		fprintf(f, "  %-24s %s\n", left, o.help);
		if (o.vocab)
			fprintf(f, "  %-24s   (%s)\n", "", cw_vocab_expected(o.vocab, allowed, sizeof(allowed)));
	}
}

int
cw_fail(const struct cw_error *err)
{
	cw_error_print(err);
	return err->code ? err->code : CW_EXIT_FAIL;
}

int
cw_emit(struct cw_ctx *ctx, struct cw_table *t)
{
	cw_table_print(t, stdout, ctx->format, ctx->wide ? 0 : ctx->width, ctx->colour);
	cw_table_free(t);
	return CW_EXIT_OK;
}

/* Notice a connection that died while we waited at the prompt: libpq only
 * finds out when it reads, and a terminated backend has left its FATAL
 * message and end-of-file on the socket.  Replaced at once, so the command
 * about to run works. */
void
cw_ctx_check_connection(struct cw_ctx *ctx)
{
	PGconn *c;
	struct cw_error err;

	if (ctx->db == NULL)
		return;
	c = cw_db_conn(ctx->db);
	for (int i = 0; i < 3 && PQstatus(c) == CONNECTION_OK; i++)
		if (!PQconsumeInput(c))
			break;
	if (PQstatus(c) == CONNECTION_OK)
		return;
	fprintf(stderr, "carewatch: the connection to the database was lost; reconnecting\n");
	cw_db_close(ctx->db);
	cw_error_clear(&err);
	/* When this fails the command's own attempt says why (or, for one
	 * that needs no database, the prompt says "not connected"). */
	ctx->db = cw_db_open(ctx->conninfo, &err);
}

bool
cw_ctx_connect(struct cw_ctx *ctx, struct cw_error *err)
{
	if (ctx->db != NULL)
		return true;
	ctx->db = cw_db_open(ctx->conninfo, err);
	if (ctx->db == NULL && ctx->in_shell)
		cw_error_hint(err, "is the server running? the shell stays open and the next command"
				   " tries to connect again");
	return ctx->db != NULL;
}

int
cw_cmd_run_line(struct cw_ctx *ctx, int argc, char **argv)
{
	struct cw_error err;
	struct cw_args args;
	const struct cw_cmd *cmd;
	struct cw_pager pager;
	int used, rc;

	cw_error_clear(&err);
	cmd = cw_cmd_find(argc, argv, &used, &err);
	if (cmd == NULL)
		return cw_fail(&err);
	if (!cw_cmd_parse(cmd, argc - used, argv + used, &args, ctx, &err))
		return cw_fail(&err);
	if (cw_flag(&args, "help")) {
		cw_cmd_usage(cmd, stdout);
		return CW_EXIT_OK;
	}
	if ((cmd->flags & CW_CMD_DB) && !cw_ctx_connect(ctx, &err))
		return cw_fail(&err);
	if (!ctx->no_pager && (cmd->flags & CW_CMD_PAGE) &&
	    cw_pager_start(&pager)) {
		rc = cmd->run(ctx, &args);
		if (!cw_pager_finish(&pager)) {
			fprintf(stderr, "carewatch: error: could not write the output\n");
			return CW_EXIT_FAIL;
		}
		return rc;
	}
	rc = cmd->run(ctx, &args);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "carewatch: error: could not write the output\n");
		return CW_EXIT_FAIL;
	}
	return rc;
}
