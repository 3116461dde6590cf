/*
 * form.c - the guided form for recording intelligence (form.h).
 *
 * Everything the form knows about a kind comes from its struct cw_kind:
 * the prompts from each field's help, type, vocabulary, range and default;
 * the checks from cw_field_check; the provider from cw_provider_resolve.  So
 * a new field or kind needs no change here, and the form can never accept
 * what `concern add P --risk ...` would refuse, or word it differently.
 *
 * Readline has one history list; the form swaps in a list per question
 * (the provider, concern.risk, ...) so that Up recalls earlier answers to
 * the same question, and swaps the shell's list back afterwards.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "carewatch/calendar.h"
#include "carewatch/complete.h"
#include "carewatch/form.h"
#include "carewatch/provider.h"

#define VALUE_MAX CW_TEXT_BYTES      /* the longest text a field takes, in bytes */
#define HIST_KEEP 50                   /* answers remembered per question */
#define HIST_KEYS 64

/* ---- per-question history ----------------------------------------------- */

struct hist {
	char key[64];                  /* "provider", "concern.risk", ... */
	bool persist;                  /* written to the history file */
	struct cw_words lines;         /* oldest first */
};

static struct hist hists[HIST_KEYS];
static int nhists;
static bool hist_loaded;

static struct hist *
hist_for(const char *key, bool persist)
{
	for (int i = 0; i < nhists; i++)
		if (strcmp(hists[i].key, key) == 0) {
			hists[i].persist |= persist;
			return &hists[i];
		}
	if (nhists == HIST_KEYS)
		return NULL;
	snprintf(hists[nhists].key, sizeof(hists[nhists].key), "%s", key);
	hists[nhists].persist = persist;
	return &hists[nhists++];
}

static void
hist_remember(struct hist *h, const char *line)
{
	if (h == NULL || line == NULL || *line == '\0' || strpbrk(line, "\t\n\r"))
		return;
	if (h->lines.n > 0 && strcmp(h->lines.v[h->lines.n - 1], line) == 0)
		return;
	if (h->lines.n == HIST_KEEP) {
		free(h->lines.v[0]);
		memmove(h->lines.v, h->lines.v + 1, (size_t)(h->lines.n - 1) * sizeof(char *));
		h->lines.n--;
		h->lines.v[h->lines.n] = NULL;
	}
	(void)cw_words_add(&h->lines, line);
}

/* $CAREWATCH_FORM_HISTORY, else ~/.carewatch_form_history; NULL for none. */
static const char *
hist_path(char *buf, size_t size)
{
	const char *env = getenv("CAREWATCH_FORM_HISTORY"), *home = getenv("HOME");

	if (env && *env)
		return env;
	if (home == NULL || *home == '\0')
		return NULL;
	snprintf(buf, size, "%s/.carewatch_form_history", home);
	return buf;
}

/* Lines "key<TAB>answer", oldest first.  A missing or unreadable file is
 * simply no history. */
static void
hist_load(void)
{
	char path[1024], line[2048];
	const char *p = hist_path(path, sizeof(path));
	FILE *f;

	if (hist_loaded)
		return;
	hist_loaded = true;
	if (p == NULL || (f = fopen(p, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		line[strcspn(line, "\n")] = '\0';
		if (tab == NULL)
			continue;
		*tab = '\0';
		hist_remember(hist_for(line, true), tab + 1);
	}
	fclose(f);
}

/* Rewrite the file with the questions that may be kept (never free text),
 * readable by its owner only, replaced in one rename. */
static void
hist_save(void)
{
	char path[1024], tmp[1100];
	const char *p = hist_path(path, sizeof(path));
	FILE *f;
	mode_t old;

	if (p == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	old = umask(077);
	f = fopen(tmp, "w");
	umask(old);
	if (f == NULL)
		return;
	for (int i = 0; i < nhists; i++)
		for (int j = 0; hists[i].persist && j < hists[i].lines.n; j++)
			fprintf(f, "%s\t%s\n", hists[i].key, hists[i].lines.v[j]);
	if (fclose(f) != 0 || rename(tmp, p) != 0)
		remove(tmp);
}

/* Readline's list, set aside while the form runs (the shell's commands). */
static struct cw_words set_aside;

static void
history_set_aside(void)
{
	HIST_ENTRY **list = history_list();

	for (int i = 0; list && list[i]; i++)
		(void)cw_words_add(&set_aside, list[i]->line);
	clear_history();
}

static void
history_use(const struct hist *h)
{
	clear_history();
	for (int i = 0; h && i < h->lines.n; i++)
		add_history(h->lines.v[i]);
}

static void
history_restore(void)
{
	clear_history();
	for (int i = 0; i < set_aside.n; i++)
		add_history(set_aside.v[i]);
	cw_words_free(&set_aside);
}

/* ---- prompts -------------------------------------------------------------- */

char *
cw_form_label(const struct cw_field *f, char *buf, size_t size)
{
	const char *help = f->help && *f->help ? f->help : f->name;
	char allowed[600] = "", dflt[80] = "";

	switch (f->type) {
	case CW_F_VOCAB:
		cw_vocab_expected(f->vocab, allowed, sizeof(allowed));
		break;
	case CW_F_BOOL:
		snprintf(allowed, sizeof(allowed), "yes or no");
		break;
	case CW_F_DATE:
		if (strstr(help, "YYYY") == NULL)
			snprintf(allowed, sizeof(allowed), "YYYY-MM-DD");
		break;
	case CW_F_TIME:
		if (strstr(help, "YYYY") == NULL)
			snprintf(allowed, sizeof(allowed), "YYYY-MM-DD HH:MM, London time");
		break;
	case CW_F_INT:
		snprintf(allowed, sizeof(allowed), "%ld to %ld", f->min, f->max);
		break;
	case CW_F_UUID:
		snprintf(allowed, sizeof(allowed), "a UUID");
		break;
	case CW_F_RATINGS: {
		char words[400];
		snprintf(allowed, sizeof(allowed), "CODE=RATING, commas between; a rating is %s",
			 cw_vocab_expected(f->vocab, words, sizeof(words)));
		break;
	}
	case CW_F_TEXT:
		break;
	}
	if (f->dflt)
		snprintf(dflt, sizeof(dflt), " [%s]", f->dflt);
	else if (!f->required)
		snprintf(dflt, sizeof(dflt), " [optional]");
	snprintf(buf, size, "%c%s%s%s%s%s", toupper((unsigned char)help[0]), help + 1,
		 allowed[0] ? " (" : "", allowed, allowed[0] ? ")" : "", dflt);
	return buf;
}

/* "Label: " for readline, bold on a colour terminal (the \001 \002 pairs
 * tell readline the escapes take no columns). */
static void
make_prompt(const struct cw_ctx *ctx, const char *label, char *buf, size_t size)
{
	if (ctx->colour)
		snprintf(buf, size, "\001\033[1m\002%s\001\033[0m\002: ", label);
	else
		snprintf(buf, size, "%s: ", label);
}

static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static const struct cw_vocab yes_no = {
	"answer", (const char *const[]){"yes", "no"}, (const char *const[]){"Yes", "No"}, 2,
};
static const struct cw_vocab today_word = {
	"date", (const char *const[]){"today"}, (const char *const[]){"Today"}, 1,
};
static const struct cw_vocab now_word = {
	"time", (const char *const[]){"now"}, (const char *const[]){"Now"}, 1,
};
static const struct cw_vocab confirm_words = {
	"answer", (const char *const[]){"yes", "no", "edit"},
	(const char *const[]){"Yes", "No", "Edit"}, 3,
};

/* What Tab offers for field f. */
static void
complete_for_field(const struct cw_field *f)
{
	switch (f->type) {
	case CW_F_VOCAB:
		cw_complete_set(CW_COMPLETE_VOCAB, f->vocab, NULL);
		break;
	case CW_F_BOOL:
		cw_complete_set(CW_COMPLETE_VOCAB, &yes_no, NULL);
		break;
	case CW_F_DATE:
		cw_complete_set(CW_COMPLETE_VOCAB, &today_word, NULL);
		break;
	case CW_F_TIME:
		cw_complete_set(CW_COMPLETE_VOCAB, &now_word, NULL);
		break;
	default:
		cw_complete_set(CW_COMPLETE_NOTHING, NULL, NULL);
		break;
	}
}

/* Ask one question until the answer passes check (which prints why not).
 * *answer gets the accepted text (NULL when left empty) and the return is
 * true; false means cancelled (or a database failure when err->code). */
typedef bool (*checker)(void *arg, const char *value, struct cw_error *err);

static bool
ask(struct cw_ctx *ctx, const char *label, const char *prefill, bool keep_bad, struct hist *h,
    checker check, void *arg, char **answer, struct cw_error *err)
{
	char prompt[1024];
	char *again = NULL;
	bool ok = false;

	make_prompt(ctx, label, prompt, sizeof(prompt));
	history_use(h);
	for (;;) {
		char *line = NULL, *v;
		struct cw_error e;
		enum cw_read_status st = cw_read_line(prompt, again ? again : prefill, &line);

		free(again);
		again = NULL;
		if (st != CW_READ_LINE)
			break;
		v = trim(line);
		cw_error_clear(&e);
		if (check(arg, *v ? v : NULL, &e)) {
			free(*answer);
			*answer = *v ? strdup(v) : NULL;
			hist_remember(h, v);
			free(line);
			ok = true;
			break;
		}
		if (e.code != CW_EXIT_USAGE && e.code != CW_EXIT_NOTFOUND) {
			*err = e;      /* the database failed: no point asking again */
			free(line);
			break;
		}
		/* The same message the command line gives; then the question again. */
		cw_error_print(&e);
		if (keep_bad && *v)
			again = strdup(v);
		free(line);
	}
	return ok;
}

struct field_arg {
	const struct cw_field *f;
	char *norm;                    /* VALUE_MAX bytes: the normalised value */
	bool is_null;
};

static bool
check_field(void *arg, const char *value, struct cw_error *err)
{
	struct field_arg *fa = arg;

	return cw_field_check(fa->f, value, fa->norm, VALUE_MAX, &fa->is_null, err);
}

struct provider_arg {
	struct cw_ctx *ctx;
	struct cw_form *form;
};

static bool
check_provider(void *arg, const char *value, struct cw_error *err)
{
	struct provider_arg *pa = arg;

	return cw_provider_resolve(pa->ctx->db, value ? value : "", pa->form->provider_id,
				   pa->form->provider_name, sizeof(pa->form->provider_name), err);
}

static bool
check_confirm(void *arg, const char *value, struct cw_error *err)
{
	char *choice = arg;

	if (value && (strcasecmp(value, "y") == 0 || strcasecmp(value, "yes") == 0))
		*choice = 'y';
	else if (value && (strcasecmp(value, "n") == 0 || strcasecmp(value, "no") == 0))
		*choice = 'n';
	else if (value && (strcasecmp(value, "e") == 0 || strcasecmp(value, "edit") == 0))
		*choice = 'e';
	else
		return cw_error_set(err, CW_EXIT_USAGE, "please answer yes, no or edit");
	return true;
}

/* The value as the summary shows it: vocabulary words, yes/no, London time. */
static void
shown_value(const struct cw_field *f, const char *answer, const char *norm, bool is_null,
	    char *out, size_t size)
{
	if (is_null) {
		snprintf(out, size, "-");
		return;
	}
	switch (f->type) {
	case CW_F_BOOL:
		snprintf(out, size, "%s", strcmp(norm, "true") == 0 ? "yes" : "no");
		break;
	case CW_F_TIME: {
		cw_time t;
		struct cw_error ign;
		if (answer == NULL || strcmp(answer, "now") == 0)
			snprintf(out, size, "now");
		else if (cw_time_parse_utc(norm, f->name, &t, &ign))
			cw_time_format(t, out, size);
		else
			snprintf(out, size, "%s", norm);
		break;
	}
	case CW_F_TEXT:
		snprintf(out, size, "%s", answer ? answer : norm);
		break;
	default:
		snprintf(out, size, "%s", norm);
		break;
	}
}

void
cw_form_free(struct cw_form *form)
{
	free(form->provider);
	form->provider = NULL;
	for (int i = 0; i < CW_KIND_MAX_FIELDS; i++) {
		free(form->values[i]);
		form->values[i] = NULL;
	}
}

/* A time answered with a day only ("2024-05-03", "today", "yesterday"):
 * the day, as YYYY-MM-DD, in day; false when the answer holds a time. */
static bool
day_only(const char *v, char *day, size_t size)
{
	struct cw_date d, today = cw_london_date((cw_time)time(NULL));
	struct cw_error e;

	if (v == NULL)
		return false;
	cw_error_clear(&e);
	if (strcmp(v, "today") == 0 || strcmp(v, "yesterday") == 0)
		d = v[0] == 't' ? today : cw_date_add_days(today, -1);
	else if (strlen(v) != 10 || !cw_date_parse(v, "date", &d, &e))
		return false;
	cw_date_format(d, day, size);
	return true;
}

struct time_of_day_arg {
	struct field_arg *fa;
	const char *day;
	char whole[32];                /* the last accepted answer, "YYYY-MM-DD HH:MM" */
};

/* "HH:MM" on the day asked for, checked as the whole time would be (not
 * in the future); the answer is kept as "YYYY-MM-DD HH:MM". */
static bool
check_time_of_day(void *arg, const char *value, struct cw_error *err)
{
	struct time_of_day_arg *ta = arg;
	char whole[32];
	int h, m, used = 0;

	if (value == NULL || sscanf(value, "%2d:%2d%n", &h, &m, &used) != 2 || value[used] != '\0' ||
	    h < 0 || h > 23 || m < 0 || m > 59)
		return cw_error_field(err, ta->fa->f->name, "invalid time of day '%.10s' (expected HH:MM,"
				      " e.g. 14:30)", value ? value : "");
	snprintf(whole, sizeof(whole), "%s %02d:%02d", ta->day, h, m);
	if (!check_field(ta->fa, whole, err))
		return false;
	memcpy(ta->whole, whole, sizeof(whole));
	return true;
}

/* The form asks when in the day, rather than take midnight for a time
 * given as a day only (a concern "received 2024-05-03" at 00:00 would be
 * due hours early). */
static bool
ask_time_of_day(struct cw_ctx *ctx, struct field_arg *fa, char **value, struct cw_error *err)
{
	char day[16], label[96];
	char *hm = NULL;
	struct time_of_day_arg ta = {fa, day, ""};

	if (!day_only(*value, day, sizeof(day)))
		return true;
	snprintf(label, sizeof(label), "At what time on %s (HH:MM, London time)", day);
	cw_complete_set(CW_COMPLETE_NOTHING, NULL, NULL);
	if (!ask(ctx, label, NULL, false, NULL, check_time_of_day, &ta, &hm, err))
		return false;
	free(hm);
	free(*value);
	*value = strdup(ta.whole);
	return *value != NULL;
}

/* One pass over every question; ask_all false skips the answers given on
 * the command line that are valid. */
static bool
form_pass(struct cw_ctx *ctx, struct cw_form *form, bool ask_all, const bool *given, char *norm,
	  struct cw_error *err)
{
	const struct cw_kind *kind = form->kind;
	struct provider_arg pa = {ctx, form};
	char key[96], label[1024];
	struct cw_error e;

	cw_complete_set(CW_COMPLETE_PROVIDER, NULL, NULL);
	if (!ask(ctx, "Provider (name or part of it, CQC location ID or UUID)", form->provider, true,
		 hist_for("provider", true), check_provider, &pa, &form->provider, err))
		return false;
	if (form->provider && strcmp(form->provider, form->provider_name) != 0)
		printf("  %s\n", form->provider_name);   /* what the fragment found */
	for (int i = 0; i < kind->nfields; i++) {
		const struct cw_field *f = &kind->fields[i];
		struct field_arg fa = {f, norm, false};
		const char *pre = form->values[i];

		cw_error_clear(&e);
		if (!ask_all && given[i] && check_field(&fa, pre, &e))
			continue;
		if (e.code)
			cw_error_print(&e);
		snprintf(key, sizeof(key), "%s.%s", kind->name, f->name);
		complete_for_field(f);
		cw_form_label(f, label, sizeof(label));
		if (!ask(ctx, label, pre, f->type == CW_F_TEXT, hist_for(key, f->type != CW_F_TEXT),
			 check_field, &fa, &form->values[i], err))
			return false;
		if (f->type == CW_F_TIME && !ask_time_of_day(ctx, &fa, &form->values[i], err))
			return false;
	}
	return true;
}

static void
print_summary(const struct cw_form *form, char *norm)
{
	const struct cw_kind *kind = form->kind;
	int w = (int)strlen("provider");

	for (int i = 0; i < kind->nfields; i++)
		if ((int)strlen(kind->fields[i].name) > w)
			w = (int)strlen(kind->fields[i].name);
	printf("\nAbout to record this %s:\n  %-*s  %s\n", kind->what, w, "provider",
	       form->provider_name);
	for (int i = 0; i < kind->nfields; i++) {
		const struct cw_field *f = &kind->fields[i];
		char shown[200];
		bool is_null;
		struct cw_error ign;

		if (!cw_field_check(f, form->values[i], norm, VALUE_MAX, &is_null, &ign))
			snprintf(norm, VALUE_MAX, "?");
		if (f->type == CW_F_TEXT && !is_null) {
			/* A value given as an option may hold line breaks or tabs:
			 * shown on the summary's one line. */
			printf("  %-*s  ", w, f->name);
			for (const char *c = form->values[i]; *c; c++)
				putchar(*c == '\n' || *c == '\r' || *c == '\t' ? ' ' : *c);
			putchar('\n');
		} else {
			shown_value(f, form->values[i], norm, is_null, shown, sizeof(shown));
			printf("  %-*s  %s\n", w, f->name, shown);
		}
	}
}

bool
cw_form_run(struct cw_ctx *ctx, const struct cw_kind *kind, const char *const *presets,
	    struct cw_form *form, enum cw_form_outcome *outcome, struct cw_error *err)
{
	bool given[CW_KIND_MAX_FIELDS] = {false};
	char *norm = malloc(VALUE_MAX);
	bool ok = false, first = true;
	char *answer = NULL;
	enum cw_msg_place place;

	memset(form, 0, sizeof(*form));
	form->kind = kind;
	*outcome = CW_FORM_CANCELLED;
	cw_error_clear(err);
	if (norm == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (int i = 0; presets && i < kind->nfields; i++) {
		const char *v = presets[i];
		if (v == NULL)
			continue;
		given[i] = true;
		/* A flag on the command line is "" for "given": yes. */
		form->values[i] = strdup(kind->fields[i].type == CW_F_BOOL && *v == '\0' ? "yes" : v);
	}
	cw_complete_init(ctx);
	hist_load();
	history_set_aside();
	printf("New %s.  Tab completes, Up recalls earlier answers, Ctrl-C cancels.\n", kind->what);
	place = cw_error_place(CW_AT_FORM);
	for (;;) {
		char label[160], choice = 0;

		if (!form_pass(ctx, form, !first, given, norm, err))
			break;
		first = false;
		print_summary(form, norm);
		snprintf(label, sizeof(label), "Record this %s? (yes, no or edit)", kind->what);
		cw_complete_set(CW_COMPLETE_VOCAB, &confirm_words, NULL);
		if (!ask(ctx, label, NULL, false, NULL, check_confirm, &choice, &answer, err))
			break;
		if (choice == 'y') {
			*outcome = CW_FORM_CONFIRMED;
			ok = true;
			break;
		}
		if (choice == 'n') {
			ok = true;
			break;
		}
		printf("Enter keeps an answer; change the ones you need.\n");
	}
	(void)cw_error_place(place);
	free(answer);
	free(norm);
	cw_complete_set(CW_COMPLETE_NOTHING, NULL, NULL);
	history_restore();
	hist_save();
	/* Cancelled by Ctrl-C or Ctrl-D is not a failure of the program. */
	return ok || err->code == 0;
}

int
cw_form_record(struct cw_ctx *ctx, const struct cw_kind *kind, const char *const *presets,
	       const char *id)
{
	struct cw_form form;
	struct cw_record_result res;
	enum cw_form_outcome outcome;
	struct cw_error err;
	const char *values[CW_KIND_MAX_FIELDS];
	int rc;

	cw_error_clear(&err);
	if (id && !cw_uuid_valid(id)) {
		/* As the command line would, before asking anything. */
		cw_error_field(&err, "id", "invalid --id '%.40s' (expected a UUID)", id);
		return cw_fail(&err);
	}
	if (!cw_form_run(ctx, kind, presets, &form, &outcome, &err)) {
		cw_form_free(&form);
		return cw_fail(&err);
	}
	if (outcome != CW_FORM_CONFIRMED) {
		cw_form_free(&form);
		fprintf(stderr, "carewatch: cancelled: nothing recorded\n");
		return CW_EXIT_FAIL;
	}
	for (int i = 0; i < kind->nfields; i++)
		values[i] = form.values[i];
	rc = cw_record(ctx->db, kind, form.provider_id, values, id, &res, &err)
		     ? cw_record_print(kind, &res)
		     : cw_fail(&err);
	cw_form_free(&form);
	return rc;
}
