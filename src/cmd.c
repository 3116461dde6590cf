/*
 * cmd.c - finding, parsing and running commands from the one table (cmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
			/* A ratings list's words follow CODE=: no word alone completes it. */
			return (struct cw_opt){f->name, f->type == CW_F_BOOL ? NULL : f->metavar,
					       f->help, f->type == CW_F_RATINGS ? NULL : f->vocab};
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

const char *
cw_arg_all(const struct cw_args *a, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	bool any = false;

	buf[0] = '\0';
	for (int i = 0; i < a->nopts; i++) {
		if (strcmp(a->names[i], name) != 0)
			continue;
		if (a->values[i][0] && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", a->values[i]);
		any = true;
	}
	return any ? buf : NULL;
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

/* Edit distance with adjacent transpositions (optimal string alignment),
 * for "did you mean": "concren" is one step from "concern". */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[64][64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			int best = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* How far a typed word may be from a name and still be suggested: one
 * slip in a short word, two in a longer one, or the start of the name. */
static int
similarity(const char *typed, const char *name)
{
	size_t lt = strlen(typed);
	int d = distance(typed, name);

	if (lt >= 3 && strncmp(typed, name, lt) == 0)
		return 0;
	return d <= (lt >= 5 ? 2 : 1) ? d : 99;
}

/* The first word of command i, copied into buf. */
static const char *
first_word(int i, char *buf, size_t size)
{
	const char *name = cw_commands[i]->name;

	snprintf(buf, size, "%.*s", (int)strcspn(name, " "), name);
	return buf;
}

bool
cw_cmd_is_group(const char *word)
{
	size_t l = strlen(word);

	for (int i = 0; cw_commands[i]; i++)
		if (strncmp(cw_commands[i]->name, word, l) == 0 && cw_commands[i]->name[l] == ' ')
			return true;
	return false;
}

void
cw_cmd_print_group(const char *group, FILE *f)
{
	size_t l = strlen(group);

	for (int i = 0; cw_commands[i]; i++) {
		const struct cw_cmd *c = cw_commands[i];
		char left[64];

		if (strncmp(c->name, group, l) != 0 || c->name[l] != ' ')
			continue;
		snprintf(left, sizeof(left), "%s%s%s", c->name, c->synopsis ? " " : "",
			 c->synopsis ? c->synopsis : "");
		fprintf(f, "  %-34s %s\n", left, c->summary);
	}
}

/* "add, list, show" for the hint under "'case' needs a subcommand". */
static void
group_words(const char *group, char *buf, size_t size)
{
	size_t l = strlen(group), used = 0;

	buf[0] = '\0';
	for (int i = 0; cw_commands[i]; i++) {
		const char *name = cw_commands[i]->name;
		if (strncmp(name, group, l) != 0 || name[l] != ' ' || used + 2 >= size)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name + l + 1);
		if (used >= size)
			used = size - 1;
	}
}

/* The commands most like what was typed, as "'carewatch a' or 'carewatch b'";
 * argv[0] is not a command's first word.  Empty when none is near. */
static void
nearest_commands(int argc, char **argv, char *buf, size_t size)
{
	char word[64], seen[64][64];
	int best = 99, nseen = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; cw_commands[i]; i++) {
			int d = similarity(argv[0], first_word(i, word, sizeof(word)));
			bool dup = false;
			char full[160];

			if (pass == 0) {
				if (d < best)
					best = d;
				continue;
			}
			if (d != best || best == 99)
				continue;
			for (int k = 0; k < nseen; k++)
				dup = dup || strcmp(seen[k], word) == 0;
			if (dup || nseen == 64)
				continue;
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", word);
			/* "provder list": the noun corrected, and the rest kept when
			 * it then names a command. */
			snprintf(full, sizeof(full), "%s", word);
			if (argc >= 2 && cw_cmd_is_group(word)) {
				char two[128];
				snprintf(two, sizeof(two), "%s %.60s", word, argv[1]);
				for (int k = 0; cw_commands[k]; k++)
					if (strcmp(cw_commands[k]->name, two) == 0)
						snprintf(full, sizeof(full), "%s", two);
			}
			if (used + strlen(full) + 20 < size)
				used += (size_t)snprintf(buf + used, size - used, "%s'carewatch %s'",
							 used ? " or " : "", full);
		}
}

const struct cw_cmd *
cw_cmd_find(int argc, char **argv, int *used, struct cw_error *err)
{
	const struct cw_cmd *best = NULL;
	char near[512];

	*used = 0;
	if (argc < 1)
		return NULL;
	for (int i = 0; cw_commands[i]; i++) {
		const struct cw_cmd *c = cw_commands[i];
		int n = match_words(c->name, argc, argv);

		if (n > *used) {
			best = c;
			*used = n;
		}
	}
	if (best)
		return best;
	if (cw_cmd_is_group(argv[0])) {
		size_t l = strlen(argv[0]);
		const char *sub = NULL;
		int subd = 99;

		group_words(argv[0], near, sizeof(near));
		if (argc < 2 || argv[1][0] == '-') {
			cw_error_set(err, CW_EXIT_USAGE, "'%.60s' needs a subcommand: %s", argv[0], near);
			cw_error_hint(err, "'carewatch help %.60s' describes them", argv[0]);
			return NULL;
		}
		for (int i = 0; cw_commands[i]; i++) {
			const char *name = cw_commands[i]->name;
			char w2[64];
			int d;

			if (strncmp(name, argv[0], l) != 0 || name[l] != ' ')
				continue;
			snprintf(w2, sizeof(w2), "%.*s", (int)strcspn(name + l + 1, " "), name + l + 1);
			d = similarity(argv[1], w2);
			if (d < subd) {
				subd = d;
				sub = name;
			}
		}
		cw_error_set(err, CW_EXIT_USAGE, "unknown command '%.60s %.60s'", argv[0], argv[1]);
		if (sub)
			cw_error_hint(err, "the most similar command is 'carewatch %s'", sub);
		else
			cw_error_hint(err, "the %s commands are: %s", argv[0], near);
		return NULL;
	}
	cw_error_set(err, CW_EXIT_USAGE, "unknown command '%.60s'", argv[0]);
	nearest_commands(argc, argv, near, sizeof(near));
	if (near[0])
		cw_error_hint(err, "the most similar command%s %s", strstr(near, " or ") ? "s are" : " is",
			      near);
	else
		cw_error_hint(err, "run 'carewatch help' for the list of commands");
	return NULL;
}

/* Spellings an option had before one name was chosen for each concept:
 * free text is --note everywhere, the officer is --officer. */
static const struct {
	const char *old, *now;
} renamed_opts[] = {
	/* Why a record is corrected or withdrawn is --because (cmd_correct.c);
	 * first, so those commands suggest it rather than their --note. */
	{"reason", "because"}, {"why", "because"},
	{"summary", "note"}, {"notes", "note"}, {"reason", "note"}, {"comment", "note"},
	{"text", "note"}, {"role", "officer"}, {"user", "officer"}, {"login", "officer"},
};

static bool find_opt(const struct cw_cmd *cmd, const char *name, struct cw_opt *out);

/* The hint under "unknown option '--name'": the option's present name, the
 * nearest by spelling, or the command's --help. */
static void
unknown_opt_hint(const struct cw_cmd *cmd, const char *name, struct cw_error *err)
{
	const char *best = NULL;
	int bestd = 99, n = cw_cmd_nopts(cmd);
	struct cw_opt o;
	static const char *const common[] = {"db", "format", "help"};

	for (size_t i = 0; i < sizeof(renamed_opts) / sizeof(renamed_opts[0]); i++)
		if (strcmp(name, renamed_opts[i].old) == 0 && find_opt(cmd, renamed_opts[i].now, &o)) {
			cw_error_hint(err, "did you mean '--%s'? (one name on every command: --%s)",
				      renamed_opts[i].now, renamed_opts[i].now);
			return;
		}
	for (int i = 0; i < n + 3; i++) {
		const char *cand = i < n ? cw_cmd_opt(cmd, i).name : common[i - n];
		int d = similarity(name, cand);

		if (i == n + 1 && !(cmd->flags & CW_CMD_FORMAT))
			continue;
		if (d < bestd) {
			bestd = d;
			best = cand;
		}
	}
	if (best)
		cw_error_hint(err, "did you mean '--%s'?", best);
	else
		cw_error_hint(err, "run 'carewatch %s --help' for its options", cmd->name);
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

		if (!only_pos && strcmp(a, "-h") == 0)
			a = "--help";
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
				struct cw_opt off;

				cw_error_set(err, CW_EXIT_USAGE, "unexpected argument '%.40s' for 'carewatch %s'",
					     a, cmd->name);
				if (out->npos == cmd->max_pos && find_opt(cmd, "officer", &off))
					cw_error_hint(err, "did you mean '--officer %.40s'? (an officer is chosen"
						      " with --officer LOGIN or --mine)", a);
				else
					cw_error_hint(err, "usage: carewatch %s %s", cmd->name,
						      cmd->synopsis ? cmd->synopsis : "");
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
			unknown_opt_hint(cmd, name, err);
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
		if (i == n + 1 && (cmd->flags & CW_CMD_HTML))
			o.help = "output format: table, csv, json or html";
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
cw_confirm(const struct cw_ctx *ctx, bool yes, const char *question, struct cw_error *err)
{
	char line[64];
	size_t n;

	if (yes)
		return 1;
	if (!ctx->interactive) {
		cw_error_field(err, "yes", "--yes is needed when not on a terminal (nothing was changed)");
		cw_error_hint(err, "check the changes printed above, then run the command again with --yes");
		return -1;
	}
	printf("%s [y/N] ", question);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

int
cw_emit(struct cw_ctx *ctx, struct cw_table *t)
{
	if (!cw_table_ok(t)) {
		cw_table_free(t);
		fprintf(stderr, "carewatch: error: out of memory: the list was not printed\n");
		return CW_EXIT_FAIL;
	}
	cw_table_print(t, stdout, ctx->format, ctx->wide ? CW_WIDTH_ALL : ctx->width, ctx->colour);
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
	return cw_cmd_run_with(ctx, 0, NULL, argc, argv);
}

int
cw_cmd_run_with(struct cw_ctx *ctx, int nglobal, char **global, int argc, char **argv)
{
	struct cw_error err;
	struct cw_args args;
	const struct cw_cmd *cmd;
	struct cw_pager pager;
	char **all;
	int used, rc;
	bool parsed;

	cw_error_clear(&err);
	cmd = cw_cmd_find(argc, argv, &used, &err);
	if (cmd == NULL)
		return cw_fail(&err);
	/* Options given before the command word are the command's own, read
	 * by the same rules: `carewatch --format html provider list` is
	 * refused as `provider list --format html` is. */
	all = malloc(sizeof(char *) * (size_t)(nglobal + argc - used + 1));
	if (all == NULL) {
		fprintf(stderr, "carewatch: error: out of memory\n");
		return CW_EXIT_FAIL;
	}
	for (int i = 0; i < nglobal; i++)
		all[i] = global[i];
	for (int i = used; i < argc; i++)
		all[nglobal + i - used] = argv[i];
	all[nglobal + argc - used] = NULL;
	parsed = cw_cmd_parse(cmd, nglobal + argc - used, all, &args, ctx, &err);
	free(all);
	if (!parsed)
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
