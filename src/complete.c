/*
 * complete.c - splitting lines, tab completion and readline (complete.h).
 *
 * Completion answers "what could this word be?" from the command table, the
 * vocabularies and the database, and never guesses from a list of its own.
 * Readline is driven through its callback interface so that Ctrl-C can
 * abandon a line (or a form) without readline's default of killing the
 * program, and so that a resize is picked up while waiting for a key.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "carewatch/complete.h"

bool
cw_words_add(struct cw_words *w, const char *s)
{
	char *copy;

	if (w->n + 2 > w->cap) {
		int ncap = w->cap ? w->cap * 2 : 16;
		char **nv = realloc(w->v, (size_t)ncap * sizeof(*nv));
		if (nv == NULL)
			return false;
		w->v = nv;
		w->cap = ncap;
	}
	if ((copy = strdup(s)) == NULL)
		return false;
	w->v[w->n++] = copy;
	w->v[w->n] = NULL;
	return true;
}

void
cw_words_free(struct cw_words *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

/* The splitter's states: where the next character goes.
 *
 *   state    on blank        on '        on "        on \              on other
 *   GAP      -               SQ, word    DQ, word    next literal, IN  IN, word
 *   IN       end word, GAP   SQ          DQ          next literal      IN
 *   SQ       literal         IN          literal     literal           literal
 *   DQ       literal         literal     IN          \" \\ literal     literal
 */
enum split_state { GAP, IN, SQ, DQ };

bool
cw_split_line(const char *line, bool partial, struct cw_words *out, char *open_quote,
	      struct cw_error *err)
{
	size_t len = strlen(line);
	char *word = malloc(len + 1);
	size_t wl = 0;
	enum split_state st = GAP;
	const char *p;

	if (open_quote)
		*open_quote = 0;
	if (word == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (p = line; *p; p++) {
		char c = *p;

		switch (st) {
		case GAP:
		case IN:
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				if (st == IN) {
					word[wl] = '\0';
					if (!cw_words_add(out, word))
						goto oom;
					wl = 0;
				}
				st = GAP;
			} else if (c == '#' && st == GAP) {
				goto done;     /* a comment runs to the end of the line */
			} else if (c == '\'') {
				st = SQ;
			} else if (c == '"') {
				st = DQ;
			} else if (c == '\\') {
				if (p[1] != '\0')
					p++;
				word[wl++] = *p;
				st = IN;
			} else {
				word[wl++] = c;
				st = IN;
			}
			break;
		case SQ:
			if (c == '\'')
				st = IN;
			else
				word[wl++] = c;
			break;
		case DQ:
			if (c == '"')
				st = IN;
			else if (c == '\\' && (p[1] == '"' || p[1] == '\\'))
				word[wl++] = *++p;
			else
				word[wl++] = c;
			break;
		}
	}
	if (st == SQ || st == DQ) {
		if (!partial) {
			free(word);
			cw_words_free(out);
			cw_error_set(err, CW_EXIT_USAGE, "unterminated %s quote",
				     st == SQ ? "single" : "double");
			cw_error_hint(err, "close the quote, or put a backslash before a quote meant literally");
			return false;
		}
		if (open_quote)
			*open_quote = st == SQ ? '\'' : '"';
	}
	if (st != GAP) {
		word[wl] = '\0';
		if (!cw_words_add(out, word))
			goto oom;
	}
done:
	free(word);
	return true;
oom:
	free(word);
	cw_words_free(out);
	return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
}

/* Compare ignoring case, with '-' and ' ' the same as '_'. */
static int
fold(int c)
{
	c = tolower((unsigned char)c);
	return c == '-' || c == ' ' ? '_' : c;
}

static bool
starts_folded(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (*s == '\0' || fold(*s) != fold(*prefix))
			return false;
	return true;
}

void
cw_complete_vocab(const struct cw_vocab *v, const char *text, struct cw_words *out)
{
	for (int i = 0; i < v->n; i++)
		if (starts_folded(v->words[i], text))
			(void)cw_words_add(out, v->words[i]);
}

/* Rows of a one-parameter query as candidates; a failed query gives none
 * (completion must never get in the way of typing). */
static void
complete_query(struct cw_db *db, const char *sql, int n, const char *const *params,
	       struct cw_words *out)
{
	struct cw_error err;
	PGresult *r;

	if (db == NULL || PQstatus(cw_db_conn(db)) != CONNECTION_OK)
		return;
	cw_error_clear(&err);
	r = cw_db_query(db, sql, n, params, &err);
	if (r == NULL)
		return;
	for (int i = 0; i < PQntuples(r); i++)
		if (!PQgetisnull(r, i, 0))
			(void)cw_words_add(out, PQgetvalue(r, i, 0));
	PQclear(r);
}

bool
cw_complete_provider(struct cw_db *db, const char *text, int limit, struct cw_words *out,
		     struct cw_error *err)
{
	char lim[16];
	const char *p[2] = {text, lim};
	PGresult *r;

	snprintf(lim, sizeof(lim), "%d", limit);
	if (strncmp(text, "1-", 2) == 0)
		r = cw_db_query(db, "SELECT cqc_location_id FROM provider"
				    " WHERE left(cqc_location_id, length($1)) = $1"
				    " ORDER BY cqc_location_id LIMIT $2::int", 2, p, err);
	else
		/* The user's text is a LIKE pattern only after escaping its
		 * wildcards; the trigram index on lower(name) serves it. */
		r = cw_db_query(db,
				"WITH q AS (SELECT replace(replace(replace(lower($1), '\\', '\\\\'),"
				"  '%', '\\%'), '_', '\\_') AS e)"
				" SELECT name FROM (SELECT DISTINCT p.name, lower(p.name) LIKE q.e || '%' AS prefix"
				"  FROM provider p, q WHERE lower(p.name) LIKE '%' || q.e || '%') x"
				" ORDER BY prefix DESC, name LIMIT $2::int",
				2, p, err);
	if (r == NULL)
		return false;
	for (int i = 0; i < PQntuples(r); i++)
		if (!cw_words_add(out, PQgetvalue(r, i, 0))) {
			PQclear(r);
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
		}
	PQclear(r);
	return true;
}

static void
complete_officer(struct cw_db *db, const char *text, struct cw_words *out)
{
	const char *p[1] = {text};

	complete_query(db, "SELECT login FROM officer WHERE active AND left(login, length($1)) = $1"
			   " ORDER BY login", 1, p, out);
}

static void
complete_locality(struct cw_db *db, const char *text, struct cw_words *out)
{
	const char *p[1] = {text};

	complete_query(db, "SELECT code FROM locality WHERE left(code, length($1)) = lower($1)"
			   " ORDER BY code", 1, p, out);
}

static void
complete_case(struct cw_db *db, const char *text, struct cw_words *out)
{
	const char *p[1] = {text};

	complete_query(db, "SELECT number::text FROM case_file WHERE state <> 'closed'"
			   " AND left(number::text, length($1)) = $1 ORDER BY number LIMIT 500",
		       1, p, out);
}

/* Number of leading words of words[] that spell cmd's name, or 0. */
static int
cmd_words(const struct cw_cmd *cmd, char *const *words, int n)
{
	const char *name = cmd->name;
	int i = 0;

	while (*name) {
		size_t len = strcspn(name, " ");
		if (i >= n || strlen(words[i]) != len || strncmp(words[i], name, len) != 0)
			return 0;
		i++;
		name += len;
		if (*name == ' ')
			name++;
	}
	return i;
}

/* The command words that can follow words[0..n) (the next word of every
 * command name starting with them), starting with text. */
static void
complete_command(char *const *words, int n, const char *text, const char *const *extra,
		 struct cw_words *out)
{
	for (int i = 0; cw_commands[i]; i++) {
		const char *name = cw_commands[i]->name;
		char word[64];
		int k;
		size_t len;

		for (k = 0; k < n; k++) {
			len = strcspn(name, " ");
			if (strlen(words[k]) != len || strncmp(words[k], name, len) != 0)
				break;
			name += len;
			if (*name == ' ')
				name++;
		}
		if (k < n || *name == '\0')
			continue;
		len = strcspn(name, " ");
		snprintf(word, sizeof(word), "%.*s", (int)len, name);
		if (strncmp(word, text, strlen(text)) == 0)
			(void)cw_words_add(out, word);
	}
	if (n == 0)
		for (; extra && *extra; extra++)
			if (strncmp(*extra, text, strlen(text)) == 0)
				(void)cw_words_add(out, *extra);
}

/* The option named name (without "--") of cmd, including the common ones. */
static bool
lookup_opt(const struct cw_cmd *cmd, const char *name, size_t len, struct cw_opt *o)
{
	static const struct cw_opt common[] = {
		{"db", "CONNINFO", "", NULL}, {"format", "F", "", NULL}, {"help", NULL, "", NULL},
		{"wide", NULL, "", NULL},
	};
	int n = cw_cmd_nopts(cmd);

	for (int i = 0; i < n; i++) {
		struct cw_opt c = cw_cmd_opt(cmd, i);
		if (strlen(c.name) == len && strncmp(c.name, name, len) == 0) {
			*o = c;
			return true;
		}
	}
	for (int i = 0; i < 4; i++)
		if (strlen(common[i].name) == len && strncmp(common[i].name, name, len) == 0 &&
		    ((i != 1 && i != 3) || (cmd->flags & CW_CMD_FORMAT))) {
			*o = common[i];
			return true;
		}
	return false;
}

static void
complete_options(const struct cw_cmd *cmd, const char *text, struct cw_words *out)
{
	int n = cw_cmd_nopts(cmd);
	char buf[80];

	for (int i = 0; i < n + 4; i++) {
		const char *name = i < n ? cw_cmd_opt(cmd, i).name
				 : i == n ? "db" : i == n + 1 ? "format" : i == n + 2 ? "help" : "wide";
		if ((i == n + 1 || i == n + 3) && !(cmd->flags & CW_CMD_FORMAT))
			continue;
		snprintf(buf, sizeof(buf), "--%s", name);
		if (strncmp(buf, text, strlen(text)) == 0)
			(void)cw_words_add(out, buf);
	}
}

/* Values of option o, each with prefix in front (for "--format=js"). */
static void
complete_value(struct cw_db *db, const struct cw_cmd *cmd, const struct cw_opt *o,
	       const char *prefix, const char *text, struct cw_words *out, bool *filenames)
{
	struct cw_words vals = {0};

	if (o->vocab) {
		cw_complete_vocab(o->vocab, text, &vals);
	} else if (strcmp(o->name, "format") == 0) {
		static const char *const fmts[] = {"table", "csv", "json", "html"};
		for (int i = 0; i < ((cmd->flags & CW_CMD_HTML) ? 4 : 3); i++)
			if (strncmp(fmts[i], text, strlen(text)) == 0 &&
			    !(i == 1 && (cmd->flags & CW_CMD_NO_CSV)))
				(void)cw_words_add(&vals, fmts[i]);
	} else if (strcmp(o->name, "locality") == 0) {
		complete_locality(db, text, &vals);
	} else if (strcmp(o->name, "officer") == 0) {
		complete_officer(db, text, &vals);
	} else if (o->metavar && strcmp(o->metavar, "FILE") == 0) {
		*filenames = true;
	} else if (o->metavar && strcmp(o->metavar, "DATE") == 0 && strncmp("today", text, strlen(text)) == 0) {
		(void)cw_words_add(&vals, "today");
	} else if (o->metavar && strcmp(o->metavar, "WHEN") == 0 && strncmp("now", text, strlen(text)) == 0) {
		(void)cw_words_add(&vals, "now");
	}
	for (int i = 0; i < vals.n; i++) {
		size_t size = strlen(prefix) + strlen(vals.v[i]) + 1;
		char *s = malloc(size);
		if (s == NULL)
			break;
		snprintf(s, size, "%s%s", prefix, vals.v[i]);
		(void)cw_words_add(out, s);
		free(s);
	}
	cw_words_free(&vals);
}

/* The kind of the k-th positional argument from cmd's synopsis
 * ("CASE [OFFICER]", "RESTRICTION|P"): 'P' provider, 'O' officer, 'C' case,
 * 'F' file, 'M' command, 0 nothing to complete, -1 no such argument. */
static int
positional_kind(const struct cw_cmd *cmd, int k)
{
	const char *s = cmd->synopsis;
	char tok[64];
	int i = 0;

	if (s == NULL || k >= cmd->max_pos)
		return -1;
	while (*s) {
		size_t len;
		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (len == 0)
			break;
		if (i == k) {
			char *alt, *save = NULL;
			size_t j = 0;
			for (size_t c = 0; c < len && j + 1 < sizeof(tok); c++)
				if (s[c] != '[' && s[c] != ']' && s[c] != '.')
					tok[j++] = s[c];
			tok[j] = '\0';
			for (alt = strtok_r(tok, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
				/* `provider find TEXT` looks for a name too. */
				if (strcmp(alt, "P") == 0 ||
				    (strcmp(alt, "TEXT") == 0 && strcmp(cmd->name, "provider find") == 0))
					return 'P';
				if (strcmp(alt, "OFFICER") == 0 || strcmp(alt, "LOGIN") == 0)
					return 'O';
				if (strcmp(alt, "CASE") == 0)
					return 'C';
				if (strcmp(alt, "FILE") == 0)
					return 'F';
				if (strcmp(alt, "COMMAND") == 0)
					return 'M';
			}
			return 0;
		}
		i++;
		s += len;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop duplicates. */
static void
tidy(struct cw_words *w)
{
	int j = 0;

	if (w->n < 2)
		return;
	qsort(w->v, (size_t)w->n, sizeof(*w->v), cmp_str);
	for (int i = 0; i < w->n; i++) {
		if (j > 0 && strcmp(w->v[j - 1], w->v[i]) == 0) {
			free(w->v[i]);
			continue;
		}
		w->v[j++] = w->v[i];
	}
	w->n = j;
	w->v[j] = NULL;
}

void
cw_complete_line(struct cw_db *db, const char *before, const char *text, const char *const *extra,
		 struct cw_words *out, bool *filenames)
{
	struct cw_words w = {0};
	struct cw_error err;
	char quote;
	char **words;
	int n, used = 0, npos = 0;
	const struct cw_cmd *cmd = NULL;

	*filenames = false;
	cw_error_clear(&err);
	if (!cw_split_line(before, true, &w, &quote, &err))
		return;
	if (quote && w.n > 0) {
		/* The open quote belongs to the word being completed. */
		free(w.v[--w.n]);
		w.v[w.n] = NULL;
	}
	words = w.v;
	n = w.n;
	if (n > 0 && strcmp(words[0], "carewatch") == 0) {
		words++;
		n--;
	}
	for (int i = 0; cw_commands[i]; i++) {
		int k = cmd_words(cw_commands[i], words, n);
		if (k > used) {
			used = k;
			cmd = cw_commands[i];
		}
	}
	if (cmd == NULL) {
		complete_command(words, n, text, extra, out);
		goto out;
	}
	if (strcmp(cmd->name, "help") == 0 && text[0] != '-') {
		complete_command(words + used, n - used, text, NULL, out);
		goto out;
	}
	if (strncmp(text, "--", 2) == 0 && strchr(text, '=')) {
		const char *eq = strchr(text, '=');
		struct cw_opt o;
		char prefix[80];
		if (lookup_opt(cmd, text + 2, (size_t)(eq - text - 2), &o) && o.metavar) {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(eq - text + 1), text);
			complete_value(db, cmd, &o, prefix, eq + 1, out, filenames);
		}
		goto out;
	}
	if (text[0] == '-') {
		complete_options(cmd, text, out);
		goto out;
	}
	/* Walk the words after the command: options (and their values) and
	 * positionals, to see what the word being completed is. */
	for (int i = used; i < n; i++) {
		const char *a = words[i];
		struct cw_opt o;
		if (strncmp(a, "--", 2) == 0 && a[2] != '\0' && !strchr(a, '=') &&
		    lookup_opt(cmd, a + 2, strlen(a + 2), &o) && o.metavar) {
			if (i + 1 == n) {
				complete_value(db, cmd, &o, "", text, out, filenames);
				goto out;
			}
			i++;
		} else if (strncmp(a, "--", 2) != 0) {
			npos++;
		}
	}
	switch (positional_kind(cmd, npos)) {
	case 'P':
		if (db != NULL && !cw_complete_provider(db, text, 200, out, &err))
			cw_error_clear(&err);     /* no candidates; typing goes on */
		break;
	case 'O':
		complete_officer(db, text, out);
		break;
	case 'C':
		complete_case(db, text, out);
		break;
	case 'F':
		*filenames = true;
		break;
	case 'M':
		complete_command(NULL, 0, text, NULL, out);
		break;
	case -1:
		complete_options(cmd, text, out);
		break;
	default:
		break;
	}
out:
	tidy(out);
	cw_words_free(&w);
}

/* ---- readline ---------------------------------------------------------- */

static struct cw_ctx *rl_ctx;
static enum cw_complete_what rl_what;
static const struct cw_vocab *rl_vocab;
static const char *const *rl_extra;

/* Does s need quoting to stay one word when the shell line is split? */
static bool
needs_quotes(const char *s)
{
	return s[0] == '#' || strpbrk(s, " \t\n\r\"'\\") != NULL;
}

/* s inside double quotes: " and \ escaped.  Caller frees. */
static char *
dq_escape(const char *s, bool open, bool close)
{
	char *out = malloc(strlen(s) * 2 + 3), *o = out;

	if (out == NULL)
		return NULL;
	if (open)
		*o++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	if (close)
		*o++ = '"';
	*o = '\0';
	return out;
}

char *
cw_quote_word(const char *s)
{
	return *s && !needs_quotes(s) ? strdup(s) : dq_escape(s, true, true);
}

/* Length of the prefix v[0..n) all share, ignoring case. */
static size_t
common_prefix(char *const *v, int n)
{
	size_t len = strlen(v[0]);

	for (int i = 1; i < n; i++) {
		size_t k = 0;
		while (k < len && v[i][k] && tolower((unsigned char)v[i][k]) == tolower((unsigned char)v[0][k]))
			k++;
		len = k;
	}
	/* Never end in the middle of a UTF-8 sequence. */
	while (len > 0 && ((unsigned char)v[0][len] & 0xC0) == 0x80)
		len--;
	return len;
}

/* Readline's match list from candidates: [0] is what replaces the word
 * (the one candidate, or what they all share when it extends what was
 * typed), then the candidates to list.  On a shell line a candidate with
 * blanks or quotes is quoted so that it stays one word. */
static char **
to_matches(struct cw_words *w, const char *text, bool shell)
{
	char **m;
	char *first, *lcd;
	size_t len;
	int q = shell ? rl_completion_quote_character : 0, npre = 0;
	bool quote = false, single;

	if (shell && q == '\'') {
		/* Inside '...' nothing can stand for a ': drop such candidates. */
		int j = 0;
		for (int i = 0; i < w->n; i++) {
			if (strchr(w->v[i], '\'')) {
				free(w->v[i]);
				continue;
			}
			w->v[j++] = w->v[i];
		}
		w->n = j;
	}
	if (w->v)
		w->v[w->n] = NULL;
	if (w->n == 0)
		return NULL;
	m = calloc((size_t)w->n + 2, sizeof(*m));
	if (m == NULL)
		return NULL;
	/* What replaces the word: the names starting with what was typed
	 * decide (a provider name found by a fragment inside it must not undo
	 * the typing); with none, what all the candidates share. */
	for (int i = 0; i < w->n; i++)
		if (strncasecmp(w->v[i], text, strlen(text)) == 0)
			m[1 + npre++] = w->v[i];
	/* One name starts so: it is the answer (the rest are listed). */
	single = w->n == 1 || npre == 1;
	if (npre == 0)
		for (int i = 0; i < w->n; i++)
			m[1 + npre++] = w->v[i];
	len = npre == 1 ? strlen(m[1]) : common_prefix(m + 1, npre);
	lcd = strndup(m[1], len);
	for (int i = 0; shell && q == 0 && i < npre; i++)
		quote |= needs_quotes(m[1 + i]);
	if (lcd && !single && (len < strlen(text) || strncasecmp(lcd, text, strlen(text)) != 0)) {
		/* The candidates share nothing that extends it: keep what was typed. */
		free(lcd);
		lcd = strdup(text);
		quote = false;
	}
	if (lcd == NULL) {
		free(m);
		return NULL;
	}
	if (quote)
		first = dq_escape(lcd, true, single);
	else if (shell && q == '"')
		first = dq_escape(lcd, false, false);
	else
		first = strdup(lcd);
	free(lcd);
	m[0] = first;
	for (int i = 0; i < w->n; i++)
		m[i + 1] = w->n > 1 ? strdup(w->v[i]) : NULL;
	return m;
}

static char **
attempt_completion(const char *text, int start, int end)
{
	struct cw_words w = {0};
	struct cw_error err;
	struct cw_db *db = rl_ctx ? rl_ctx->db : NULL;
	bool filenames = false;
	char **m = NULL;

	(void)end;
	rl_attempted_completion_over = 1;     /* no file names unless asked */
	cw_error_clear(&err);
	switch (rl_what) {
	case CW_COMPLETE_COMMAND: {
		char *before = strndup(rl_line_buffer, (size_t)start);
		if (before == NULL)
			return NULL;
		cw_complete_line(db, before, text, rl_extra, &w, &filenames);
		free(before);
		if (filenames) {
			rl_attempted_completion_over = 0;
			cw_words_free(&w);
			return NULL;
		}
		m = to_matches(&w, text, true);
		break;
	}
	case CW_COMPLETE_PROVIDER:
		if (db && PQstatus(cw_db_conn(db)) == CONNECTION_OK)
			if (!cw_complete_provider(db, text, 200, &w, &err))
				cw_error_clear(&err);
		m = to_matches(&w, text, false);
		break;
	case CW_COMPLETE_VOCAB:
		if (rl_vocab)
			cw_complete_vocab(rl_vocab, text, &w);
		m = to_matches(&w, text, false);
		break;
	case CW_COMPLETE_NOTHING:
		break;
	}
	cw_words_free(&w);
	return m;
}

void
cw_complete_init(struct cw_ctx *ctx)
{
	static bool done;

	rl_ctx = ctx;
	if (done)
		return;
	done = true;
	rl_readline_name = "carewatch";        /* for $if carewatch in ~/.inputrc */
	rl_change_environment = 0;             /* leave LINES and COLUMNS alone */
	rl_catch_signals = 0;                  /* Ctrl-C is ours (cw_read_line) */
	rl_attempted_completion_function = attempt_completion;
	cw_complete_set(CW_COMPLETE_NOTHING, NULL, NULL);
}

void
cw_complete_set(enum cw_complete_what what, const struct cw_vocab *vocab, const char *const *extra)
{
	static char shell_breaks[] = " \t";
	static char no_breaks[] = "";
	static char quotes[] = "\"'";

	rl_what = what;
	rl_vocab = vocab;
	rl_extra = extra;
	if (what == CW_COMPLETE_COMMAND) {
		rl_completer_word_break_characters = shell_breaks;
		rl_completer_quote_characters = quotes;
	} else {
		/* A form's answer is one value, blanks and all. */
		rl_completer_word_break_characters = no_breaks;
		rl_completer_quote_characters = NULL;
	}
}

static volatile sig_atomic_t got_sigint, got_winch;
static char *cb_line;
static bool cb_done;

static void
on_line(char *line)
{
	cb_line = line;
	cb_done = true;
	rl_callback_handler_remove();
}

static void
on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

static void
on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

enum cw_read_status
cw_read_line(const char *prompt, const char *prefill, char **line)
{
	struct sigaction sa, old_int, old_winch;
	enum cw_read_status st = CW_READ_LINE;
	int fd = fileno(rl_instream ? rl_instream : stdin);

	*line = NULL;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigint;           /* no SA_RESTART: select() returns */
	sigaction(SIGINT, &sa, &old_int);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);
	got_sigint = got_winch = 0;
	cb_done = false;
	cb_line = NULL;
	rl_callback_handler_install(prompt, on_line);
	if (prefill && *prefill) {
		rl_insert_text(prefill);
		rl_redisplay();
	}
	while (!cb_done) {
		fd_set fds;
		int r;

		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		r = select(fd + 1, &fds, NULL, NULL, NULL);
		if (r < 0 && errno == EINTR) {
			if (got_sigint) {
				got_sigint = 0;
				/* Show the abandoned line whole, then leave it. */
				rl_point = rl_end;
				rl_redisplay();
				fputs("^C\n", rl_outstream ? rl_outstream : stdout);
				fflush(rl_outstream ? rl_outstream : stdout);
				rl_free_line_state();
				rl_callback_sigcleanup();
				rl_callback_handler_remove();
				st = CW_READ_INTERRUPT;
				break;
			}
			if (got_winch) {
				got_winch = 0;
				rl_resize_terminal();
			}
			continue;
		}
		if (r < 0) {
			rl_callback_handler_remove();
			st = CW_READ_EOF;
			break;
		}
		rl_callback_read_char();
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	if (st == CW_READ_LINE) {
		if (cb_line == NULL) {
			/* Ctrl-D: end the prompt's line as a shell does. */
			fputc('\n', rl_outstream ? rl_outstream : stdout);
			st = CW_READ_EOF;
		} else {
			*line = cb_line;
		}
	}
	fflush(rl_outstream ? rl_outstream : stdout);
	return st;
}
