/*
 * completion_bash.c - the bash completion script (completion_bash.h).
 *
 * The script is tables plus a walk.  The tables are what cw_complete_line()
 * (complete.c, the shell's Tab) answers, with no database, for each place a
 * word can be typed: the command words after each prefix of a command name,
 * each command's options, each option's values and each positional
 * argument.  So this file only decides which questions to ask; it never
 * reads the options' vocabularies itself.  Equal answers share one case
 * branch, which keeps the script small.
 *
 * The bash side is a fixed function, written below, that walks the words
 * already typed to find the command and whether the word under the cursor
 * is an option's value.  It uses nothing from the bash-completion package,
 * so sourcing the script is enough.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/completion_bash.h"
#include "carewatch/complete.h"

/* Answers for one table: key i (a case pattern's text) has value i (the
 * branch's body).  ok turns false when memory ran out. */
struct table {
	struct cw_words keys, vals;
	bool ok;
};

static void
table_add(struct table *t, const char *key, const char *val)
{
	if (!cw_words_add(&t->keys, key) || !cw_words_add(&t->vals, val))
		t->ok = false;
}

static void
table_free(struct table *t)
{
	cw_words_free(&t->keys);
	cw_words_free(&t->vals);
}

/* Words the script may carry between single quotes and in compgen -W
 * without quoting: every command word, option and vocabulary word today. */
static bool
plain(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.' || *s == ' '))
			return false;
	return true;
}

/* "r='a b c'" from the candidates (words that are not plain are left out:
 * a blank or quote would split or break them in compgen -W), with "; f=1"
 * when the value is a file name.  Caller frees; NULL when out of memory. */
static char *
answer(const struct cw_words *w, bool files, const char *more)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);
	const char *sep = "";

	if (m == NULL)
		return NULL;
	fputs("r='", m);
	for (int i = 0; i < w->n; i++)
		if (plain(w->v[i]) && strchr(w->v[i], ' ') == NULL) {
			fprintf(m, "%s%s", sep, w->v[i]);
			sep = " ";
		}
	fputc('\'', m);
	if (files)
		fputs("; f=1", m);
	if (more)
		fputs(more, m);
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Ask complete.c what may be typed after before (a line ending in a blank,
 * or "" for the first word) when text has been typed, and add the answer to
 * t under key. */
static void
ask(struct table *t, const char *key, const char *before, const char *text, const char *more)
{
	struct cw_words w = {0};
	bool files = false;
	char *a;

	cw_complete_line(NULL, before, text, NULL, &w, &files);
	a = answer(&w, files, more);
	if (a == NULL)
		t->ok = false;
	else
		table_add(t, key, a);
	free(a);
	cw_words_free(&w);
}

/* A case statement over $1 (or "$1 $2"): keys with the same answer share a
 * branch; the default branch is dflt. */
static void
emit_case(FILE *f, const char *name, const char *comment, const char *subject,
	  const struct table *t, const char *dflt)
{
	char *done = calloc((size_t)t->keys.n + 1, 1);

	fprintf(f, "\n# %s\n%s()\n{\n\tcase %s in\n", comment, name, subject);
	for (int i = 0; done && i < t->keys.n; i++) {
		size_t col = 1;
		if (done[i])
			continue;
		fputc('\t', f);
		for (int j = i; j < t->keys.n; j++) {
			if (done[j] || strcmp(t->vals.v[i], t->vals.v[j]) != 0)
				continue;
			done[j] = 1;
			if (j != i) {
				if (col + strlen(t->keys.v[j]) > 90) {
					fputs("|\\\n\t", f);
					col = 1;
				} else {
					fputc('|', f);
				}
			}
			col += (size_t)fprintf(f, "'%s'", t->keys.v[j]) + 1;
		}
		fprintf(f, ") %s ;;\n", t->vals.v[i]);
	}
	fprintf(f, "\t*) %s ;;\n\tesac\n}\n", dflt);
	free(done);
}

/* The nodes of the command tree that are not whole commands: "" and every
 * proper prefix of a command name ("db", "db role"), in table order. */
static void
prefixes(struct cw_words *out, bool *ok)
{
	if (!cw_words_add(out, ""))
		*ok = false;
	for (int i = 0; cw_commands[i]; i++) {
		const char *name = cw_commands[i]->name;
		for (const char *sp = strchr(name, ' '); sp; sp = strchr(sp + 1, ' ')) {
			char buf[128];
			bool seen = false;
			snprintf(buf, sizeof(buf), "%.*s", (int)(sp - name), name);
			for (int k = 0; k < out->n; k++)
				seen |= strcmp(out->v[k], buf) == 0;
			if (!seen && !cw_words_add(out, buf))
				*ok = false;
		}
	}
}

/* The fixed part: the walk over COMP_WORDS.  Global options are main.c's
 * (they come before the command word and are not in the table). */
static const char walk[] =
	"\n"
	"# Complete the word COMP_WORDS[COMP_CWORD] of a carewatch command line.\n"
	"_carewatch()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} w path='' cmd='' hpath='' want='' pre=''\n"
	"\tlocal r='' f=0 m=0 i=1 npos=0\n"
	"\tCOMPREPLY=()\n"
	"\t# The words before the cursor: global options, the command words, then\n"
	"\t# options (with their values) and positional arguments.  Bash may split\n"
	"\t# --risk=high into --risk, = and high.\n"
	"\twhile [ \"$i\" -lt \"$COMP_CWORD\" ]; do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\ti=$((i + 1))\n"
	"\t\tif [ -n \"$want\" ]; then\n"
	"\t\t\t[ \"$w\" = = ] || want=''\n"
	"\t\t\tcontinue\n"
	"\t\tfi\n"
	"\t\tcase $w in\n"
	"\t\t= | --*=*) ;;\n"
	"\t\t-*)\n"
	"\t\t\tif [ -n \"$cmd\" ] || [ -z \"$path\" ]; then\n"
	"\t\t\t\t_carewatch_value \"$cmd\" \"$w\" && want=$w\n"
	"\t\t\tfi ;;\n"
	"\t\t*)\n"
	"\t\t\tif [ \"$cmd\" = help ]; then\n"
	"\t\t\t\thpath=${hpath:+$hpath }$w\n"
	"\t\t\telif [ \"$npos\" -eq 0 ] && _carewatch_words \"$path\" && [[ \" $r \" == *\" $w \"* ]]; then\n"
	"\t\t\t\tpath=${path:+$path }$w\n"
	"\t\t\t\tcmd=''\n"
	"\t\t\t\t_carewatch_cmd \"$path\" && cmd=$path\n"
	"\t\t\telif [ -n \"$cmd\" ]; then\n"
	"\t\t\t\tnpos=$((npos + 1))\n"
	"\t\t\telse\n"
	"\t\t\t\treturn 0\n"
	"\t\t\tfi ;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\tr='' f=0\n"
	"\tif [ -n \"$want\" ]; then\n"
	"\t\t[ \"$cur\" = = ] && cur=''\n"
	"\t\t_carewatch_value \"$cmd\" \"$want\"\n"
	"\telif [[ $cur == --*=* ]]; then\n"
	"\t\t# --format=j when COMP_WORDBREAKS has no '=': keep the option.\n"
	"\t\tpre=${cur%%=*}=\n"
	"\t\t_carewatch_value \"$cmd\" \"${cur%%=*}\" || r=''\n"
	"\t\tcur=${cur#*=}\n"
	"\telif [ -z \"$cmd\" ]; then\n"
	"\t\tif [ -z \"$path\" ] && [[ $cur == -* ]]; then\n"
	"\t\t\tr='--db --format --help --no-pager --version --wide'\n"
	"\t\telse\n"
	"\t\t\t_carewatch_words \"$path\"\n"
	"\t\tfi\n"
	"\telif [[ $cur == -* ]]; then\n"
	"\t\t_carewatch_cmd \"$cmd\"\n"
	"\telif [ \"$cmd\" = help ]; then\n"
	"\t\t_carewatch_words \"$hpath\"\n"
	"\telse\n"
	"\t\t_carewatch_cmd \"$cmd\"\n"
	"\t\tif [ \"$npos\" -lt \"$m\" ]; then\n"
	"\t\t\tr=''\n"
	"\t\t\t_carewatch_pos \"$cmd\" \"$npos\"\n"
	"\t\tfi\n"
	"\tfi\n"
	"\tif [ \"$f\" = 1 ]; then\n"
	"\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"\telse\n"
	"\t\tmapfile -t COMPREPLY < <(compgen -W \"$r\" -- \"$cur\")\n"
	"\tfi\n"
	"\tif [ -n \"$pre\" ]; then\n"
	"\t\tCOMPREPLY=(\"${COMPREPLY[@]/#/$pre}\")\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"\n"
	"complete -F _carewatch carewatch\n";

bool
cw_completion_bash(FILE *f, struct cw_error *err)
{
	struct table words = {.ok = true}, cmds = {.ok = true}, vals = {.ok = true}, pos = {.ok = true};
	struct cw_words nodes = {0};
	bool ok = true;
	char before[512], key[512], more[32];

	prefixes(&nodes, &ok);
	for (int i = 0; i < nodes.n; i++) {
		snprintf(before, sizeof(before), "%s%s", nodes.v[i], *nodes.v[i] ? " " : "");
		ask(&words, nodes.v[i], before, "", NULL);
	}
	/* The global options' values (main.c): --format takes html too. */
	table_add(&vals, " --db", "r=''");
	table_add(&vals, " --format", "r='table csv json html'");
	for (int i = 0; cw_commands[i]; i++) {
		const struct cw_cmd *c = cw_commands[i];
		int n = cw_cmd_nopts(c);

		if (!plain(c->name))
			continue;
		snprintf(before, sizeof(before), "%s ", c->name);
		snprintf(more, sizeof(more), "; m=%d", c->max_pos < CW_MAX_POS ? c->max_pos : CW_MAX_POS);
		ask(&cmds, c->name, before, "--", more);
		/* Values of every option that takes one, the common ones too. */
		for (int j = -2; j < n; j++) {
			struct cw_opt o = j >= 0 ? cw_cmd_opt(c, j)
					 : (struct cw_opt){j == -2 ? "db" : "format", "V", "", NULL};
			if (o.metavar == NULL || !plain(o.name) ||
			    (j == -1 && !(c->flags & CW_CMD_FORMAT)))
				continue;
			snprintf(key, sizeof(key), "%s --%s", c->name, o.name);
			snprintf(before, sizeof(before), "%s --%s ", c->name, o.name);
			ask(&vals, key, before, "", NULL);
		}
		/* Positional arguments with something to offer without a
		 * database (file names, command names). */
		for (int k = 0; k < c->max_pos && k < CW_MAX_POS; k++) {
			struct cw_words w = {0};
			bool files = false;
			size_t len = (size_t)snprintf(before, sizeof(before), "%s ", c->name);
			for (int x = 0; x < k && len + 3 < sizeof(before); x++)
				len += (size_t)snprintf(before + len, sizeof(before) - len, "x ");
			cw_complete_line(NULL, before, "", NULL, &w, &files);
			if (w.n > 0 || files) {
				snprintf(key, sizeof(key), "%s %d", c->name, k);
				ask(&pos, key, before, "", NULL);
			}
			cw_words_free(&w);
		}
	}
	ok = ok && words.ok && cmds.ok && vals.ok && pos.ok;
	if (ok) {
		fputs("# bash completion for carewatch, generated from its command table by\n"
		      "# `carewatch help --bash-completion`; do not edit.  Installed by `make install`\n"
		      "# as share/bash-completion/completions/carewatch; or source it from ~/.bashrc.\n"
		      "# Provider names, officers, localities and case numbers (from the database)\n"
		      "# are completed only in `carewatch shell`.\n", f);
		emit_case(f, "_carewatch_words", "r: the command words that may follow the words $1",
			  "$1", &words, "return 1");
		emit_case(f, "_carewatch_cmd",
			  "r: the options of command $1, m: how many positional arguments it takes",
			  "$1", &cmds, "return 1");
		emit_case(f, "_carewatch_value",
			  "r: the values of option $2 of command $1 (f=1: a file name); 1 for a flag",
			  "\"$1 $2\"", &vals, "return 1");
		emit_case(f, "_carewatch_pos", "r: candidates for positional argument $2 of command $1",
			  "\"$1 $2\"", &pos, "r=''");
		fputs(walk, f);
	}
	table_free(&words);
	table_free(&cmds);
	table_free(&vals);
	table_free(&pos);
	cw_words_free(&nodes);
	if (!ok)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory writing the bash completion script");
	return true;
}
