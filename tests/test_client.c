/*
 * test_client.c - the terminal client through the real binary, command
 * group by command group: help for every command; wrong usage; every
 * vocabulary option refused with its exact message; unknown and ambiguous
 * providers; provider list/find/show/explain, case, worklist and officer
 * list in table, CSV and JSON; the shell reading commands from a pipe; and
 * completion (complete.h) against a real database.  Recording each kind
 * and its field errors are in test_record.c, the dispatcher's own errors in
 * test_cli.c, the guided form and the interactive shell in test_form.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "carewatch/cmd.h"
#include "carewatch/complete.h"
#include "carewatch/record.h"

static const char *dbname;
static PGconn *owner;
static char case_overdue[32], case_birch[32], case_cedar[32];

#define OLIVE "PGUSER=cwt_olive"
#define MGR "PGUSER=cwt_mgr"
#define OSCAR "PGUSER=cwt_oscar"

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Run, assert the exit code, and return stdout (caller frees). */
static char *
run_out(const char *const argv[], const char *env, int want)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != want)
		fail_msg("%s %s: exit %d, expected %d\nstdout: %s\nstderr: %s", argv[0],
			 argv[1] ? argv[1] : "", rc, want, out, err);
	free(err);
	return out;
}

/* Run, assert the exit code and that stderr starts with msg; nothing on stdout. */
static void
run_err(const char *const argv[], const char *env, int want, const char *msg)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != want || strncmp(err, msg, strlen(msg)) != 0)
		fail_msg("%s %s %s: exit %d, stderr:\n%s\nexpected exit %d and:\n%s", argv[0],
			 argv[1] ? argv[1] : "", argv[1] && argv[2] ? argv[2] : "", rc, err, want, msg);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

/* A script for `carewatch shell` on standard input: each argv quoted into
 * one line, so one process runs many commands (tests stay fast) exactly as
 * `carewatch ARGV...` would. */
struct script {
	char *text;
	size_t len;
};

static void
script_add(struct script *s, const char *const argv[])
{
	for (int i = 0; argv[i]; i++) {
		char *q = cw_quote_word(argv[i]);
		size_t n = strlen(q);
		s->text = realloc(s->text, s->len + n + 2);
		memcpy(s->text + s->len, q, n);
		s->len += n;
		s->text[s->len++] = argv[i + 1] ? ' ' : '\n';
		s->text[s->len] = '\0';
		free(q);
	}
}

/* Run the script; every command in it must succeed. */
static void
script_ok(struct script *s, const char *env)
{
	char *out, *err;
	int rc = tl_run(TL_ARGV("shell"), s->text, &out, &err, env);

	if (rc != 0 || err[0] != '\0')
		fail_msg("script failed (exit %d):\n%s\nstderr:\n%s", rc, s->text, err);
	free(out);
	free(err);
	free(s->text);
	s->text = NULL;
	s->len = 0;
}

/* The i-th "carewatch: error: ..." message of stderr, up to the next one
 * (static buffer); "" when there are fewer. */
static const char *
nth_error(const char *err, int i)
{
	static char buf[2048];
	const char *p = err, *next;

	for (int k = 0; k < i && p; k++)
		p = strstr(p + 1, "carewatch: error: ");
	if (p == NULL || strncmp(p, "carewatch: error: ", 18) != 0)
		return "";
	next = strstr(p + 1, "carewatch: error: ");
	snprintf(buf, sizeof(buf), "%.*s", (int)(next ? (size_t)(next - p) : strlen(p)), p);
	return buf;
}

static const char *
case_of(const char *provider, const char *risk)
{
	static char sql[400];

	snprintf(sql, sizeof(sql), "SELECT c.number FROM case_file c JOIN provider p ON p.id = c.provider_id"
		 " WHERE p.name = '%s' AND c.risk = '%s' ORDER BY c.number LIMIT 1", provider, risk);
	return tl_query1(owner, sql);
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_client", true);
	{
		struct script own = {0}, olive = {0}, later = {0};
		script_add(&own, TL_ARGV("db", "role", "add", "cwt_olive", "--as", "officer"));
		script_add(&own, TL_ARGV("db", "role", "add", "cwt_mgr", "--as", "manager"));
		script_add(&own, TL_ARGV("db", "role", "add", "cwt_oscar", "--as", "officer"));
		script_add(&own, TL_ARGV("officer", "add", "cwt_olive", "--name", "Olive Example", "--fte",
					 "1", "--locality", "north,west"));
		script_add(&own, TL_ARGV("officer", "add", "cwt_oscar", "--name", "Oscar Example", "--fte",
					 "0.5", "--locality", "south"));
		script_add(&own, TL_ARGV("provider", "add", "Ashfield House", "--care-type", "residential",
					 "--locality", "north", "--cqc-id", "1-1010701645", "--beds", "40",
					 "--id", "11111111-1111-4111-8111-111111111111"));
		script_add(&own, TL_ARGV("provider", "add", "Ashfield Lodge", "--care-type", "nursing",
					 "--locality", "west", "--cqc-id", "1-2000000002"));
		script_add(&own, TL_ARGV("provider", "add", "Birch Court", "--care-type", "home_care",
					 "--locality", "south"));
		script_add(&own, TL_ARGV("provider", "add", "Cedar View Day Centre", "--care-type",
					 "day_care", "--locality", "norwich"));
		script_add(&own, TL_ARGV("rules", "activate", tl_path("../rules/default.rules")));
		script_ok(&own, NULL);
		/* An overdue case of Olive's, a current one, one of Oscar's, and an
		 * unassigned one (nobody covers Norwich). */
		script_add(&olive, TL_ARGV("concern", "add", "Ashfield House", "--risk", "high", "--category",
					   "medication", "--source", "family", "--received", "2024-05-03 18:30",
					   "--note", "Missed doses"));
		script_add(&olive, TL_ARGV("concern", "add", "Ashfield House", "--risk", "very_high",
					   "--category", "staffing", "--source", "whistleblower", "--note",
					   "No nurse on nights"));
		script_add(&olive, TL_ARGV("concern", "add", "Birch Court", "--risk", "medium", "--category",
					   "communication", "--source", "service_user", "--note", "Late calls"));
		script_add(&olive, TL_ARGV("concern", "add", "Cedar View Day Centre", "--risk", "medium",
					   "--category", "environment", "--source", "public", "--note",
					   "Broken ramp"));
		script_add(&olive, TL_ARGV("restriction", "add", "Ashfield Lodge", "--kind", "partial",
					   "--note", "Nurse staffing", "--from", "2024-04-01"));
		script_add(&olive, TL_ARGV("notice", "add", "Ashfield Lodge", "--kind", "improvement",
					   "--note", "Care plans", "--issued", "2024-04-02"));
		script_add(&olive, TL_ARGV("cqc", "add", "Ashfield Lodge", "--published", "2024-03-01",
					   "--safe", "requires_improvement", "--overall", "good"));
		script_ok(&olive, OLIVE);
		/* The scorer stores these scores; the next writes move Ashfield
		 * House up from them (the trend column). */
		tl_scorer_drain();
		/* Inadequate in Safe and a substantiated safeguarding: very high. */
		script_add(&later, TL_ARGV("cqc", "add", "Ashfield House", "--published", "2024-06-01",
					   "--safe", "inadequate", "--overall", "requires_improvement"));
		script_add(&later, TL_ARGV("safeguarding", "add", "Ashfield House", "--category",
					   "physical_abuse_by_staff", "--outcome", "substantiated"));
		script_ok(&later, OLIVE);
		tl_scorer_drain();
	}
	owner = tl_connect(NULL);
	snprintf(case_overdue, sizeof(case_overdue), "%s", case_of("Ashfield House", "high"));
	snprintf(case_birch, sizeof(case_birch), "%s", case_of("Birch Court", "medium"));
	snprintf(case_cedar, sizeof(case_cedar), "%s", case_of("Cedar View Day Centre", "medium"));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* ---- help and usage: no database needed -------------------------------- */

static void
test_client_every_command_has_help(void **state)
{
	struct script sc = {0};
	char *out, *err;
	const char *from;
	int rc, n = 0;

	(void)state;
	/* COMMAND --help for every command but the shell itself, in one run. */
	for (int i = 0; cw_commands[i]; i++) {
		const char *argv[8] = {0};
		char words[128], *save = NULL;
		int k = 0;

		if (strcmp(cw_commands[i]->name, "shell") == 0)
			continue;
		snprintf(words, sizeof(words), "%s", cw_commands[i]->name);
		for (char *w = strtok_r(words, " ", &save); w && k < 5; w = strtok_r(NULL, " ", &save))
			argv[k++] = w;
		argv[k] = "--help";
		script_add(&sc, argv);
	}
	rc = tl_run(TL_ARGV("shell"), sc.text, &out, &err, "PGHOST=/nonexistent-carewatch");
	assert_int_equal(rc, 0);
	/* The only error is the shell's own connection; --help never connects. */
	assert_string_equal(nth_error(err, 1), "");
	from = out;
	for (int i = 0; cw_commands[i]; i++) {
		const struct cw_cmd *c = cw_commands[i];
		char want[300];
		const char *at, *next;

		if (strcmp(c->name, "shell") == 0)
			continue;
		snprintf(want, sizeof(want), "usage: carewatch %s%s%s [options]\n\n%s\n", c->name,
			 c->synopsis ? " " : "", c->synopsis ? c->synopsis : "", c->summary);
		at = strstr(from, want);
		if (at == NULL) {
			fail_msg("'%s --help' does not start with:\n%s", c->name, want);
			return;
		}
		next = strstr(at + 1, "usage: carewatch ");
		if (next == NULL)
			next = at + strlen(at);
		/* Every option of the command is listed, with --help (and --format). */
		for (int k = 0; k < cw_cmd_nopts(c) + 2; k++) {
			char opt[80];
			const char *o;
			if (k == cw_cmd_nopts(c) + 1 && !(c->flags & CW_CMD_FORMAT))
				continue;
			snprintf(opt, sizeof(opt), "\n  --%s",
				 k < cw_cmd_nopts(c) ? cw_cmd_opt(c, k).name : k == cw_cmd_nopts(c) ? "help" : "format");
			o = strstr(at, opt);
			if (o == NULL || o > next)
				fail_msg("'%s --help' does not list %s", c->name, opt + 3);
		}
		from = at + 1;
		n++;
	}
	assert_true(n > 30);
	free(out);
	free(err);
	free(sc.text);
}

static void
test_client_help_command_matches_dash_dash_help(void **state)
{
	char *a, *b;

	(void)state;
	a = run_out(TL_ARGV("help", "case", "respond"), "PGHOST=/nonexistent-carewatch", 0);
	b = run_out(TL_ARGV("case", "respond", "--help"), "PGHOST=/nonexistent-carewatch", 0);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "(visit, phone, email, letter or meeting)"));
	free(a);
	free(b);
	a = run_out(TL_ARGV("help", "shell"), "PGHOST=/nonexistent-carewatch", 0);
	assert_non_null(strstr(a, "usage: carewatch shell [options]"));
	free(a);
	run_err(TL_ARGV("help", "provider", "lsit"), "PGHOST=/nonexistent-carewatch", 2,
		"carewatch: error: unknown command 'provider lsit'\n"
		"hint: the most similar command is 'carewatch provider list'\n");
	/* No command at all: the list of commands, and exit 2. */
	a = run_out(TL_ARGV("--db", "host=/nonexistent-carewatch"), NULL, 2);
	assert_non_null(strstr(a, "  shell "));
	assert_non_null(strstr(a, "\n  worklist  "));
	free(a);
}

/* Each exit 2, with this message. */
static const struct {
	const char *argv[10];
	const char *err;
} usage[] = {
	{{"provider", "show", NULL}, "carewatch: error: 'carewatch provider show' needs P\n"},
	{{"provider", "show", "a", "b", NULL},
	 "carewatch: error: unexpected argument 'b' for 'carewatch provider show'\n"},
	{{"provider", "find", NULL}, "carewatch: error: 'carewatch provider find' needs TEXT\n"},
	{{"provider", "explain", NULL}, "carewatch: error: 'carewatch provider explain' needs P\n"},
	{{"provider", "explain", "x", "--as-of", NULL},
	 "carewatch: error: option '--as-of' needs a value (DATE)\n"},
	{{"provider", "list", "north", NULL},
	 "carewatch: error: unexpected argument 'north' for 'carewatch provider list'\n"},
	{{"provider", "list", "--score", NULL},
	 "carewatch: error: unknown option '--score' for 'carewatch provider list'\n"},
	{{"provider", "show", "x", "--format", "csv", NULL},
	 "carewatch: error: invalid output format 'csv' for 'carewatch provider show'"
	 " (expected table or json)\n"},
	{{"case", "show", NULL}, "carewatch: error: 'carewatch case show' needs CASE\n"},
	{{"case", "respond", NULL}, "carewatch: error: 'carewatch case respond' needs CASE\n"},
	{{"case", "close", "1", "2", NULL},
	 "carewatch: error: unexpected argument '2' for 'carewatch case close'\n"},
	{{"case", "list", "--officer", NULL},
	 "carewatch: error: option '--officer' needs a value (LOGIN)\n"},
	{{"case", "list", "--mine=yes", NULL}, "carewatch: error: option '--mine' takes no value\n"},
	{{"case", "frobnicate", NULL}, "carewatch: error: unknown command 'case frobnicate'\n"},
	{{"case", NULL}, "carewatch: error: 'case' needs a subcommand: list, show, respond, close, reopen, assign\n"},
	{{"worklist", "a", NULL}, "carewatch: error: unexpected argument 'a' for 'carewatch worklist'\n"},
	{{"officer", "list", "--format", "yaml", NULL},
	 "carewatch: error: invalid output format 'yaml' (expected table, csv or json)\n"},
	{{"officer", "add", NULL}, "carewatch: error: 'carewatch officer add' needs LOGIN\n"},
	{{"visit", "add", NULL}, "carewatch: error: 'carewatch visit add' needs P\n"},
	{{"worklist", "--format", NULL}, "carewatch: error: option '--format' needs a value (F)\n"},
};

static void
test_client_wrong_usage_is_exit_2_before_connecting(void **state)
{
	struct script sc = {0};
	char *out, *err;
	int rc;

	(void)state;
	/* The database is unreachable: usage is checked first, so these are 2,
	 * not 3 (one process per command for the exit codes of a few)... */
	run_err(TL_ARGV("provider", "show"), "PGHOST=/nonexistent-carewatch", 2, usage[0].err);
	run_err(TL_ARGV("visit", "add"), "PGHOST=/nonexistent-carewatch", 2,
		"carewatch: error: 'carewatch visit add' needs P\n"
		"hint: usage: carewatch visit add P (on a terminal, with no P, it asks for each field)\n");
	run_err(TL_ARGV("shell", "now"), "PGHOST=/nonexistent-carewatch", 2,
		"carewatch: error: unexpected argument 'now' for 'carewatch shell'\n");
	/* ... and all of them, in order, through one shell. */
	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++)
		script_add(&sc, usage[i].argv);
	rc = tl_run(TL_ARGV("shell"), sc.text, &out, &err, "PGHOST=/nonexistent-carewatch");
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	assert_true(starts(err, "carewatch: error: cannot connect to the database\n"));
	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		const char *got = nth_error(err, (int)i + 1);
		char want[256], *w = want;

		/* In the shell a command is typed without "carewatch", and the
		 * messages say it that way. */
		for (const char *m = usage[i].err; *m && w < want + sizeof(want) - 1;) {
			if (strncmp(m, "'carewatch ", 11) == 0) {
				*w++ = '\'';
				m += 11;
			} else
				*w++ = *m++;
		}
		*w = '\0';
		if (strncmp(got, want, strlen(want)) != 0)
			fail_msg("%s %s: got\n%s\nexpected\n%s", usage[i].argv[0],
				 usage[i].argv[1] ? usage[i].argv[1] : "", got, want);
	}
	free(out);
	free(err);
	free(sc.text);
}

/* A valid value for a required field, so that only the bad one fails. */
static const char *
valid_for(const struct cw_field *f)
{
	switch (f->type) {
	case CW_F_VOCAB:
		return f->vocab->words[0];
	case CW_F_DATE:
		return "2024-01-01";
	case CW_F_TIME:
		return "now";
	case CW_F_INT:
		return f->min > 1 ? "5" : "1";
	case CW_F_UUID:
		return "11111111-1111-4111-8111-111111111111";
	default:
		return "x";
	}
}

static const char count_all_sql[] =
	"SELECT (SELECT count(*) FROM concern) + (SELECT count(*) FROM visit)"
	" + (SELECT count(*) FROM safeguarding) + (SELECT count(*) FROM cqc_rating)"
	" + (SELECT count(*) FROM ipc_inspection) + (SELECT count(*) FROM survey)"
	" + (SELECT count(*) FROM performance_notice) + (SELECT count(*) FROM restriction)"
	" + (SELECT count(*) FROM provider_loss) + (SELECT count(*) FROM case_file)"
	" + (SELECT count(*) FROM provider) + (SELECT count(*) FROM officer)"
	" + (SELECT count(*) FROM audit_log)";

/* Every option of every command that takes a vocabulary word (from the
 * command table itself, so a new one is covered when it is added) refuses
 * a wrong word with "invalid <what> '<word>' (expected ...)", exit 2, and
 * writes nothing. */
static void
test_client_every_vocabulary_option_refuses_a_wrong_word(void **state)
{
	struct script sc = {0};
	char bad_opt[128][64], want[128][700], *out, *err;
	long before;
	int tested = 0, rc;

	(void)state;
	if (!tl_db_available())
		skip();
	before = tl_count(owner, count_all_sql);
	/* One process: the messages say which check refused, and nothing is
	 * written; exit 2 for each is shown below for one of each path. */
	for (int i = 0; cw_commands[i]; i++) {
		const struct cw_cmd *c = cw_commands[i];
		int nopts = cw_cmd_nopts(c);

		for (int k = 0; k < nopts; k++) {
			struct cw_opt o = cw_cmd_opt(c, k);
			const char *argv[64] = {0};
			char words[128], exp[512], *save = NULL;
			char *opts[CW_KIND_MAX_FIELDS + 1];
			int n = 0, nopt = 0;

			if (o.vocab == NULL)
				continue;
			snprintf(words, sizeof(words), "%s", c->name);
			for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
				argv[n++] = w;
			for (int p = 0; p < (c->min_pos ? c->min_pos : c->kind ? 1 : 0); p++)
				argv[n++] = "Ashfield House";
			/* Kinds check their fields in order: give the required ones. */
			for (int f = 0; c->kind && f < c->kind->nfields; f++) {
				const struct cw_field *fd = &c->kind->fields[f];
				char opt[64];
				if (!fd->required || f == k)
					continue;
				snprintf(opt, sizeof(opt), "--%s", fd->name);
				opts[nopt] = strdup(opt);
				argv[n++] = opts[nopt++];
				argv[n++] = valid_for(fd);
			}
			snprintf(bad_opt[tested], sizeof(bad_opt[tested]), "--%s", o.name);
			argv[n++] = bad_opt[tested];
			argv[n++] = "zzz-not-a-word";
			script_add(&sc, argv);
			snprintf(want[tested], sizeof(want[tested]),
				 "carewatch: error: invalid %s 'zzz-not-a-word' (expected %s)\n", o.vocab->what,
				 cw_vocab_expected(o.vocab, exp, sizeof(exp)));
			for (int a = 0; a < nopt; a++)
				free(opts[a]);
			tested++;
			assert_true(tested < 128);
		}
	}
	rc = tl_run(TL_ARGV("shell"), sc.text, &out, &err, OLIVE);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	for (int i = 0; i < tested; i++)
		if (strcmp(nth_error(err, i), want[i]) != 0)
			fail_msg("%s: got\n%s\nexpected\n%s", bad_opt[i], nth_error(err, i), want[i]);
	assert_string_equal(nth_error(err, tested), "");
	free(out);
	free(err);
	free(sc.text);
	/* The exit code, for a word checked by the parser and one checked by a kind. */
	run_err(TL_ARGV("provider", "list", "--care-type", "castle"), OLIVE, 2,
		"carewatch: error: invalid care type 'castle' (expected home_care, residential, nursing, "
		"supported_living, housing_with_care or day_care)\n");
	run_err(TL_ARGV("safeguarding", "add", "Ashfield House", "--category", "neglect", "--outcome", "maybe"),
		OLIVE, 2, "carewatch: error: invalid safeguarding outcome 'maybe'");
	/* provider add/list --care-type, list --band, case respond --kind,
	 * officer add --post, db role add --as and every kind's fields. */
	assert_true(tested >= 20);
	assert_int_equal(tl_count(owner, count_all_sql), before);
}

/* ---- providers ------------------------------------------------------------ */

static void
test_client_unknown_and_ambiguous_providers(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	run_err(TL_ARGV("provider", "show", "Nowhere Manor"), OLIVE, 5,
		"carewatch: error: no provider matches 'Nowhere Manor'\n"
		"hint: try 'carewatch provider find TEXT'\n");
	run_err(TL_ARGV("provider", "show", "1-9999999999"), OLIVE, 5,
		"carewatch: error: no provider matches '1-9999999999'\n");
	run_err(TL_ARGV("provider", "show", "99999999-9999-4999-8999-999999999999"), OLIVE, 5,
		"carewatch: error: no provider matches '99999999-9999-4999-8999-999999999999'\n");
	run_err(TL_ARGV("provider", "explain", "Nowhere"), OLIVE, 5,
		"carewatch: error: no provider matches 'Nowhere'\n");
	run_err(TL_ARGV("provider", "show", "ashfield"), OLIVE, 5,
		"carewatch: error: provider 'ashfield' is ambiguous: 2 matches\n"
		"detail: Ashfield House (residential, north, 1-1010701645); "
		"Ashfield Lodge (nursing, west, 1-2000000002)\n"
		"hint: give more of the name, or the CQC location ID\n");
	run_err(TL_ARGV("provider", "explain", "ASHFIELD"), OLIVE, 5,
		"carewatch: error: provider 'ASHFIELD' is ambiguous: 2 matches\n");
	run_err(TL_ARGV("restriction", "lift", "Nowhere"), OLIVE, 5,
		"carewatch: error: no provider matches 'Nowhere'\n");
	/* LIKE wildcards in a name are literal: '%' matches no provider. */
	run_err(TL_ARGV("provider", "show", "%"), OLIVE, 5, "carewatch: error: no provider matches '%'\n");
}

static void
test_client_provider_list_ranks_and_filters(void **state)
{
	char *out;
	const char *house, *birch;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("provider", "list"), OLIVE, 0);
	assert_non_null(strstr(out, "Providers by risk\n"));
	assert_non_null(strstr(out, "Provider"));
	assert_non_null(strstr(out, "Open cases"));
	assert_non_null(strstr(out, "(4 rows)\n"));
	/* Highest score first: two serious concerns outrank one medium. */
	house = strstr(out, "Ashfield House");
	birch = strstr(out, "Birch Court");
	assert_non_null(house);
	assert_non_null(birch);
	assert_true(house < birch);
	/* High bands are marked for a screen without colour. */
	assert_non_null(strstr(out, "\n! Ashfield House"));
	assert_non_null(strstr(out, "\n  Cedar View Day Centre"));
	free(out);
	out = run_out(TL_ARGV("provider", "list", "--care-type", "home_care"), OLIVE, 0);
	assert_non_null(strstr(out, "Birch Court"));
	assert_null(strstr(out, "Ashfield"));
	assert_non_null(strstr(out, "(1 row)\n"));
	free(out);
	out = run_out(TL_ARGV("provider", "list", "--locality", "North"), OLIVE, 0);
	assert_non_null(strstr(out, "Ashfield House"));
	assert_null(strstr(out, "Birch"));
	free(out);
	out = run_out(TL_ARGV("provider", "list", "--band", "Very high", "--format", "csv"), OLIVE, 0);
	assert_true(starts(out, "name,care_type,locality,cqc_location_id,score,band,trend,open_cases,id\n"
				"Ashfield House,residential,north,1-1010701645,"));
	assert_non_null(strstr(out, ",very_high,up,2,11111111-1111-4111-8111-111111111111\n"));
	assert_null(strstr(out, "Lodge"));
	free(out);
	out = run_out(TL_ARGV("provider", "list", "--band", "low", "--format", "csv"), OLIVE, 0);
	assert_null(strstr(out, "Ashfield House"));
	free(out);
	out = run_out(TL_ARGV("provider", "list", "--sort", "name", "--format", "csv"), OLIVE, 0);
	assert_non_null(strstr(out, "name,care_type,locality,cqc_location_id,score,band,trend,open_cases,id\n"
				    "Ashfield House,residential,north,1-1010701645,"));
	assert_true(strstr(out, "Ashfield Lodge") < strstr(out, "Birch Court"));
	assert_true(strstr(out, "Birch Court") < strstr(out, "Cedar View"));
	assert_non_null(strstr(out, ",11111111-1111-4111-8111-111111111111\n"));
	free(out);
	/* JSON: scores and counts are numbers, an unscored band is null. */
	out = run_out(TL_ARGV("provider", "list", "--locality", "north", "--format", "json"), OLIVE, 0);
	assert_non_null(strstr(out, "[\n {\"name\": \"Ashfield House\", \"care_type\": \"residential\","
				    " \"locality\": \"north\", \"cqc_location_id\": \"1-1010701645\", \"score\": "));
	assert_non_null(strstr(out, "\"open_cases\": 2, \"id\": \"11111111-1111-4111-8111-111111111111\"}"));
	assert_non_null(strstr(out, "\n]\n"));
	free(out);
	run_err(TL_ARGV("provider", "list", "--sort", "risk"), OLIVE, 2,
		"carewatch: error: invalid --sort 'risk' (expected score or name)\n");
}

static void
test_client_provider_find_by_name_id_and_uuid(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("provider", "find", "ashfield"), OLIVE, 0);
	assert_non_null(strstr(out, "Ashfield House"));
	assert_non_null(strstr(out, "Ashfield Lodge"));
	assert_non_null(strstr(out, "(2 rows)\n"));
	free(out);
	out = run_out(TL_ARGV("provider", "find", "1-2000000002", "--format", "csv"), OLIVE, 0);
	assert_non_null(strstr(out, "\nAshfield Lodge,nursing,west,1-2000000002,"));
	assert_null(strstr(out, "Ashfield House"));
	free(out);
	out = run_out(TL_ARGV("provider", "find", "11111111-1111-4111-8111-111111111111", "--format",
			      "json"), OLIVE, 0);
	assert_non_null(strstr(out, "\"name\": \"Ashfield House\""));
	free(out);
	/* Nothing found is an empty list, not an error. */
	out = run_out(TL_ARGV("provider", "find", "zzz"), OLIVE, 0);
	assert_non_null(strstr(out, "(0 rows)\n"));
	free(out);
	out = run_out(TL_ARGV("provider", "find", "zzz", "--format", "json"), OLIVE, 0);
	assert_string_equal(out, "[]\n");
	free(out);
}

static void
test_client_provider_show_is_the_whole_picture(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("provider", "show", "lodge"), OLIVE, 0);
	assert_true(starts(out, "Ashfield Lodge\n  care type    Nursing\n  locality     West\n"
				"  CQC ID       1-2000000002\n"));
	assert_non_null(strstr(out, "  risk score   "));
	assert_non_null(strstr(out, "\nOpen restrictions and notices\n"));
	assert_non_null(strstr(out, "restriction  partial      2024-04-01"));
	assert_non_null(strstr(out, "notice       improvement  2024-04-02"));
	assert_non_null(strstr(out, "\nLatest CQC ratings\n"));
	assert_non_null(strstr(out, "Overall  Good                  2024-03-01"));
	assert_non_null(strstr(out, "Safe     Requires improvement  2024-03-01"));
	assert_non_null(strstr(out, "\nTimeline\n"));
	assert_non_null(strstr(out, "2024-04-01  restriction  partial placements: Nurse staffing"));
	free(out);
	out = run_out(TL_ARGV("provider", "show", "Ashfield House"), OLIVE, 0);
	assert_non_null(strstr(out, "\nOpen cases\n"));
	assert_non_null(strstr(out, "very_high  open"));
	assert_non_null(strstr(out, "high       open"));
	free(out);
}

static void
test_client_provider_explain_shows_each_contribution(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("provider", "explain", "Ashfield House"), OLIVE, 0);
	assert_non_null(strstr(out, "Ashfield House: score as of "));
	assert_non_null(strstr(out, "concern.very_high"));
	assert_non_null(strstr(out, "\ntotal "));
	assert_non_null(strstr(out, ": band "));
	free(out);
	out = run_out(TL_ARGV("provider", "explain", "1-1010701645", "--format", "json"), OLIVE, 0);
	assert_true(starts(out, "{\"total\":"));
	assert_non_null(strstr(out, "\"contributions\":["));
	assert_non_null(strstr(out, "\"rule\":\"concern.very_high\""));
	free(out);
	out = run_out(TL_ARGV("provider", "explain", "Ashfield House", "--format", "csv"), OLIVE, 0);
	assert_non_null(strstr(out, "concern.very_high,"));
	free(out);
	/* Before any intelligence existed there is nothing to score. */
	out = run_out(TL_ARGV("provider", "explain", "Ashfield House", "--as-of", "2020-01-01"), OLIVE, 0);
	assert_null(strstr(out, "concern."));
	assert_non_null(strstr(out, "total 0.00: band Low"));
	free(out);
	run_err(TL_ARGV("provider", "explain", "Ashfield House", "--as-of", "2024-13-01"), OLIVE, 2,
		"carewatch: error: invalid date '2024-13-01' (month must be 01 to 12)\n");
}

/* ---- cases and worklists ---------------------------------------------- */

static void
test_client_case_list_filters_and_marks_overdue(void **state)
{
	char *out, line[64];

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("case", "list"), OLIVE, 0);
	assert_non_null(strstr(out, "Case"));
	assert_non_null(strstr(out, "(4 rows)\n"));
	/* Overdue cases are marked. */
	assert_non_null(strstr(out, "OVERDUE"));
	assert_non_null(strstr(out, "\n! "));
	free(out);
	out = run_out(TL_ARGV("case", "list", "--overdue", "--format", "csv"), OLIVE, 0);
	assert_true(starts(out, "case,provider,risk,state,opened,due,officer,status"));
	snprintf(line, sizeof(line), "\n%s,Ashfield House,high,open,", case_overdue);
	assert_non_null(strstr(out, line));
	assert_non_null(strstr(out, ",OVERDUE"));
	assert_null(strstr(out, "very_high"));
	free(out);
	out = run_out(TL_ARGV("case", "list", "--mine", "--format", "csv"), OLIVE, 0);
	assert_non_null(strstr(out, ",Ashfield House,very_high,open,"));
	assert_null(strstr(out, "Birch Court"));
	free(out);
	out = run_out(TL_ARGV("case", "list", "--officer", "cwt_oscar", "--format", "json"), OLIVE, 0);
	assert_non_null(strstr(out, "\"provider\": \"Birch Court\""));
	assert_non_null(strstr(out, "\"officer\": \"cwt_oscar\""));
	assert_null(strstr(out, "Ashfield"));
	free(out);
	out = run_out(TL_ARGV("case", "list", "--unassigned", "--format", "csv"), OLIVE, 0);
	assert_non_null(strstr(out, ",Cedar View Day Centre,medium,open,"));
	assert_non_null(strstr(out, ",(unassigned),"));
	free(out);
}

static void
test_client_case_show_respond_assign_and_close(void **state)
{
	char *out, want[160];
	const char *id = "55555555-5555-4555-8555-555555555555";

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("case", "show", case_birch), OLIVE, 0);
	snprintf(want, sizeof(want), "Case %s: Medium risk concern\n  provider   Birch Court\n", case_birch);
	assert_true(starts(out, want));
	assert_non_null(strstr(out, "  concern    communication: Late calls\n"));
	assert_non_null(strstr(out, "\nHistory\n"));
	assert_non_null(strstr(out, "assigned  cwt_oscar (lowest_load, by cwt_olive)"));
	free(out);
	/* '#12' reads as case 12. */
	snprintf(want, sizeof(want), "#%s", case_birch);
	free(run_out(TL_ARGV("case", "show", want), OLIVE, 0));
	/* Only the case's officer (or the manager) works it. */
	snprintf(want, sizeof(want), "carewatch: error: case %s is assigned to 'cwt_oscar'; responding to"
		 " a case is for its officer or the quality manager\n", case_birch);
	run_err(TL_ARGV("case", "respond", case_birch, "--kind", "phone", "--note", "x"), OLIVE, 4, want);
	out = run_out(TL_ARGV("case", "respond", case_birch, "--kind", "phone",
			      "--note", "Spoke to the registered manager", "--id", id), OSCAR, 0);
	snprintf(want, sizeof(want), "recorded the response to case %s\n", case_birch);
	assert_string_equal(out, want);
	free(out);
	out = run_out(TL_ARGV("case", "respond", case_birch, "--kind", "phone", "--id", id), OSCAR, 0);
	snprintf(want, sizeof(want), "already recorded: response to case %s (nothing written)\n", case_birch);
	assert_string_equal(out, want);
	free(out);
	out = run_out(TL_ARGV("case", "show", case_birch), OLIVE, 0);
	assert_non_null(strstr(out, "  state      responded\n"));
	assert_non_null(strstr(out, "responded  phone: Spoke to the registered manager (by cwt_oscar)"));
	free(out);
	run_err(TL_ARGV("case", "respond", "999999"), OLIVE, 5, "carewatch: error: no case 999999\n");
	run_err(TL_ARGV("case", "show", "twelve"), OLIVE, 2, "carewatch: error: invalid case number 'twelve'\n");
	/* Moving cases is the manager's. */
	run_err(TL_ARGV("case", "assign", case_cedar, "--officer", "cwt_olive"), OLIVE, 4,
		"carewatch: error: assigning cases is for the quality manager\n");
	run_err(TL_ARGV("case", "assign", case_cedar), MGR, 2,
		"carewatch: error: 'carewatch case assign' needs --officer LOGIN, --mine or --unassign\n");
	/* Olive does not cover Norwich: only forced, with a reason. */
	snprintf(want, sizeof(want), "carewatch: error: case %s cannot go to 'cwt_olive': does not cover"
		 " the locality (force it, with a reason)\n", case_cedar);
	run_err(TL_ARGV("case", "assign", case_cedar, "--officer", "cwt_olive"), MGR, 7, want);
	out = run_out(TL_ARGV("case", "assign", case_cedar, "--officer", "cwt_olive", "--force", "--note",
			      "Nobody covers Norwich this month"), MGR, 0);
	snprintf(want, sizeof(want), "case %s assigned to cwt_olive\n", case_cedar);
	assert_string_equal(out, want);
	free(out);
	out = run_out(TL_ARGV("case", "assign", case_cedar, "--unassign"), MGR, 0);
	snprintf(want, sizeof(want), "case %s is now unassigned\n", case_cedar);
	assert_string_equal(out, want);
	free(out);
	out = run_out(TL_ARGV("case", "close", case_birch, "--note", "Calls on time since"), OSCAR, 0);
	snprintf(want, sizeof(want), "closed case %s\n", case_birch);
	assert_string_equal(out, want);
	free(out);
	out = run_out(TL_ARGV("case", "list", "--open", "--format", "csv"), OLIVE, 0);
	assert_null(strstr(out, "Birch Court"));
	free(out);
}

static void
test_client_worklist_is_by_due_time_with_overdue_marked(void **state)
{
	char *out;
	const char *overdue, *current;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("worklist"), OLIVE, 0);
	assert_non_null(strstr(out, "Worklist of cwt_olive"));
	overdue = strstr(out, "OVERDUE");
	current = strstr(out, "very_high");
	assert_non_null(overdue);
	assert_non_null(current);
	assert_true(overdue < current);
	assert_non_null(strstr(out, "\n! "));
	assert_null(strstr(out, "Birch Court"));
	free(out);
	out = run_out(TL_ARGV("worklist", "--officer", "cwt_oscar", "--format", "csv"), OLIVE, 0);
	assert_true(starts(out, "case,provider,risk,state,opened,due,officer,status"));
	assert_null(strstr(out, "Ashfield"));
	free(out);
	/* An unknown login is said, not shown as an empty worklist. */
	out = run_out(TL_ARGV("worklist", "--officer", "nobody_here", "--format", "json"), OLIVE, 5);
	assert_string_equal(out, "");
	free(out);
}

static void
test_client_officer_list_in_each_format(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = run_out(TL_ARGV("officer", "list"), OLIVE, 0);
	assert_non_null(strstr(out, "QA team\n"));
	assert_non_null(strstr(out, "cwt_olive  Olive Example  qa_officer  1.00  north,west"));
	assert_non_null(strstr(out, "cwt_oscar  Oscar Example  qa_officer  0.50  south"));
	assert_non_null(strstr(out, "(2 rows)\n"));
	free(out);
	out = run_out(TL_ARGV("officer", "list", "--format", "csv"), OLIVE, 0);
	assert_string_equal(out, "login,name,post,fte,localities,on_leave,active,takes_cases\n"
				 "cwt_olive,Olive Example,qa_officer,1.00,\"north,west\",no,yes,yes\n"
				 "cwt_oscar,Oscar Example,qa_officer,0.50,south,no,yes,yes\n");
	free(out);
	out = run_out(TL_ARGV("officer", "list", "--format", "json"), OLIVE, 0);
	assert_non_null(strstr(out, "{\"login\": \"cwt_olive\", \"name\": \"Olive Example\","
				    " \"post\": \"qa_officer\", \"fte\": 1.00, \"localities\": \"north,west\","));
	free(out);
}

/* ---- the shell, fed from a pipe ----------------------------------------- */

/* An unknown name in a filter is said, never shown as an empty list: a
 * locality is reference data (exit 2, with the ones there are), an officer
 * or a provider is not found (exit 5). */
static void
test_client_unknown_names_in_filters(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("provider", "list", "--locality", "Nowhere"), NULL, &out, &err, OLIVE),
			 2);
	assert_string_equal(out, "");
	/* One lookup and one message behind every --locality (provider.c's
	 * cw_locality_resolve): the same words from each command that takes one. */
	{
		static const char *const want =
			"carewatch: error: unknown locality 'Nowhere' (expected east, north, norwich, south or west)\n";
		assert_string_equal(err, want);
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("officer", "add", "cwt_nobody", "--name", "N", "--fte", "1",
						"--locality", "north,Nowhere"), NULL, &out, &err, MGR), 2);
		assert_string_equal(err, want);
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("provider", "add", "Nowhere House", "--care-type", "residential",
						"--locality", "Nowhere"), NULL, &out, &err, OLIVE), 2);
		assert_string_equal(err, want);
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("response", "--locality", "Nowhere"), NULL, &out, &err, MGR), 2);
		assert_string_equal(err, want);
		free(out);
		free(err);
		assert_int_equal(tl_run(TL_ARGV("report", "concerns", "--locality", "Nowhere"), NULL, &out, &err,
					MGR), 2);
		assert_string_equal(err, want);
		free(out);
		free(err);
	}
	/* A locality by its name, in any case, is the same filter as its code. */
	out = run_out(TL_ARGV("provider", "list", "--locality", "NORTH", "--format", "csv"), OLIVE, 0);
	err = run_out(TL_ARGV("provider", "list", "--locality", "north", "--format", "csv"), OLIVE, 0);
	assert_string_equal(out, err);
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("case", "list", "--officer", "nobody_here"), NULL, &out, &err, OLIVE),
			 5);
	assert_string_equal(out, "");
	assert_string_equal(err, "carewatch: error: no officer has the login 'nobody_here'\n"
				 "hint: 'carewatch officer list' shows the team's logins\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("audit", "--provider", "Qwzx Manor"), NULL, &out, &err, MGR), 5);
	free(out);
	free(err);
	/* provider find cuts at --limit and says so, as case list does. */
	out = run_out(TL_ARGV("provider", "find", "a", "--limit", "1"), OLIVE, 0);
	assert_non_null(strstr(out, "(showing 1 of "));
	assert_non_null(strstr(out, " matches, the closest first; --limit 0 for all)"));
	free(out);
	out = run_out(TL_ARGV("provider", "find", "a", "--limit", "0", "--format", "csv"), OLIVE, 0);
	assert_null(strstr(out, "showing"));
	free(out);
}

/* psql's \? and `help NOUN` in the shell, and messages that name what is
 * typed there: "case list", not "carewatch case list". */
static void
test_client_shell_help_and_messages_fit_the_shell(void **state)
{
	char *out, *err;
	int rc;

	(void)state;
	rc = tl_run(TL_ARGV("shell"), "\\?\n\\? case\nhelp report\ncase\nconcren add\n", &out, &err,
		    "PGHOST=/nonexistent-carewatch");
	assert_int_equal(rc, 2);
	/* \? is help: the whole list, with the shell's own footer. */
	assert_non_null(strstr(out, "  concern add P "));
	assert_non_null(strstr(out, "Type 'help NOUN' (or \\? NOUN) for a noun's commands"));
	assert_null(strstr(out, "Run 'carewatch help NOUN'"));
	assert_non_null(strstr(out, "The case commands:\n\n  case list "));
	assert_non_null(strstr(out, "Run 'case COMMAND --help' for one command's options."));
	assert_non_null(strstr(out, "The report commands:\n\n  report dashboard "));
	assert_non_null(strstr(err, "carewatch: error: 'case' needs a subcommand: list, show, respond, close,"
				    " reopen, assign\nhint: 'help case' describes them\n"));
	assert_non_null(strstr(err, "hint: the most similar command is 'concern add'\n"));
	assert_null(strstr(err, "'carewatch "));
	free(out);
	free(err);
}

static void
test_client_shell_runs_lines_from_standard_input(void **state)
{
	char *out, *err;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	rc = tl_run(TL_ARGV("shell"),
		    "# the morning's checks\n"
		    "\n"
		    "officer list --format csv\n"
		    "officer list\n"
		    "carewatch provider show \"Ashfield House\"\n"
		    "provider find 'Ash'\"field \"Lo\\dge\n"
		    "provider show 'Ashfield\n"
		    "shell\n"
		    "provider qqqqqqqq\n"
		    "help worklist\n",
		    &out, &err, OLIVE);
	/* The last failure decides the exit code. */
	assert_int_equal(rc, 2);
	/* --format applies to its own line only. */
	assert_non_null(strstr(out, "login,name,post,fte,localities,on_leave,active,takes_cases\n"));
	assert_non_null(strstr(out, "QA team\n"));
	assert_non_null(strstr(out, "Ashfield House\n  care type    Residential\n"));
	assert_non_null(strstr(out, "Ashfield Lodge"));
	assert_non_null(strstr(out, "usage: carewatch worklist [options]"));
	assert_string_equal(err,
			    "carewatch: error: unterminated single quote\n"
			    "hint: close the quote, or put a backslash before a quote meant literally\n"
			    "carewatch: error: already in the shell\n"
			    "carewatch: error: unknown command 'provider qqqqqqqq'\n"
			    "hint: the provider commands are: add, find, show, edit, list, explain\n");
	free(out);
	free(err);
	/* A line's --db is a connection for that line; quit ends the input. */
	rc = tl_run(TL_ARGV("shell"), "officer list --db 'host=/nonexistent-carewatch'\nquit\nofficer list\n",
		    &out, &err, OLIVE);
	assert_int_equal(rc, 3);
	assert_non_null(strstr(err, "carewatch: error: cannot connect to the database\n"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* Without a database the shell still starts, and says why commands fail. */
	rc = tl_run(TL_ARGV("shell"), "version\nofficer list\n", &out, &err, "PGHOST=/nonexistent-carewatch");
	assert_int_equal(rc, 3);
	assert_true(starts(out, "carewatch "));
	assert_non_null(strstr(err, "carewatch: error: cannot connect to the database\n"));
	free(out);
	free(err);
}

/* ---- completion, as Tab sees it ----------------------------------------- */

static bool
has(const struct cw_words *w, const char *s)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->v[i], s) == 0)
			return true;
	return false;
}

static void
test_client_split_line_like_a_shell(void **state)
{
	static const struct {
		const char *line;
		int n;
		const char *words[6];
	} ok[] = {
		{"", 0, {NULL}},
		{"   \t ", 0, {NULL}},
		{"provider list", 2, {"provider", "list"}},
		{"  provider   show  \"Ashfield House\" ", 3, {"provider", "show", "Ashfield House"}},
		{"show 'St John'\\''s Court'", 2, {"show", "St John's Court"}},
		{"a\\ b \"say \\\"hi\\\" \\\\ \\n\"", 2, {"a b", "say \"hi\" \\ \\n"}},
		{"x\"y z\"w 'q'", 2, {"xy zw", "q"}},
		{"list # a comment", 1, {"list"}},
		{"# only a comment", 0, {NULL}},
		{"a#b", 1, {"a#b"}},
		{"''", 1, {""}},
		{"caf\xC3\xA9 \xE6\x97\xA5", 2, {"caf\xC3\xA9", "\xE6\x97\xA5"}},
	};
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
		{"show 'Ashfield", "unterminated single quote"},
		{"show \"Ashfield", "unterminated double quote"},
		{"a \"b\\\"", "unterminated double quote"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct cw_words w = {0};
		struct cw_error err;
		cw_error_clear(&err);
		assert_true(cw_split_line(ok[i].line, false, &w, NULL, &err));
		if (w.n != ok[i].n)
			fail_msg("case %zu '%s': %d words, expected %d", i, ok[i].line, w.n, ok[i].n);
		for (int k = 0; k < w.n; k++)
			assert_string_equal(w.v[k], ok[i].words[k]);
		cw_words_free(&w);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_words w = {0};
		struct cw_error err;
		char q;
		cw_error_clear(&err);
		assert_false(cw_split_line(bad[i].line, false, &w, NULL, &err));
		assert_int_equal(err.code, CW_EXIT_USAGE);
		assert_string_equal(err.msg, bad[i].msg);
		assert_int_equal(w.n, 0);
		cw_words_free(&w);
		/* Completion reads the same line as far as it goes. */
		assert_true(cw_split_line(bad[i].line, true, &w, &q, &err));
		assert_true(q == '\'' || q == '"');
		cw_words_free(&w);
	}
	/* What cw_quote_word writes, cw_split_line reads back. */
	{
		static const char *const words[] = {"plain", "St John's Court", "say \"hi\"", "back\\slash",
						    "#hash", "", "tab\there"};
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			struct cw_words w = {0};
			struct cw_error err;
			char *q = cw_quote_word(words[i]);
			cw_error_clear(&err);
			assert_true(cw_split_line(q, false, &w, NULL, &err));
			assert_int_equal(w.n, 1);
			assert_string_equal(w.v[0], words[i]);
			if (i == 0)
				assert_string_equal(q, "plain");
			free(q);
			cw_words_free(&w);
		}
	}
}

static void
test_client_completion_of_commands_options_and_values(void **state)
{
	struct cw_words w = {0};
	const char *const extra[] = {"quit", "exit", NULL};
	bool files;

	(void)state;
	/* Command words, and the shell's own. */
	cw_complete_line(NULL, "", "pro", extra, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "provider");
	cw_words_free(&w);
	cw_complete_line(NULL, "", "", extra, &w, &files);
	assert_true(has(&w, "case") && has(&w, "concern") && has(&w, "worklist") && has(&w, "quit") &&
		    has(&w, "shell"));
	cw_words_free(&w);
	cw_complete_line(NULL, "provider ", "", extra, &w, &files);
	assert_true(has(&w, "add") && has(&w, "find") && has(&w, "list") && has(&w, "show") &&
		    has(&w, "explain"));
	assert_false(has(&w, "quit"));
	cw_words_free(&w);
	cw_complete_line(NULL, "carewatch case ", "res", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "respond");
	cw_words_free(&w);
	cw_complete_line(NULL, "carewatch case ", "re", NULL, &w, &files);
	assert_int_equal(w.n, 2);
	assert_true(has(&w, "respond") && has(&w, "reopen"));
	cw_words_free(&w);
	/* Options from the command table, with the common ones. */
	cw_complete_line(NULL, "concern add X ", "--s", NULL, &w, &files);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.v[0], "--safeguarding");
	assert_string_equal(w.v[1], "--source");
	cw_words_free(&w);
	cw_complete_line(NULL, "provider list ", "--", NULL, &w, &files);
	assert_true(has(&w, "--band") && has(&w, "--care-type") && has(&w, "--format") &&
		    has(&w, "--db") && has(&w, "--help") && has(&w, "--sort") && has(&w, "--wide"));
	cw_words_free(&w);
	cw_complete_line(NULL, "case respond ", "--", NULL, &w, &files);
	assert_false(has(&w, "--format"));
	assert_false(has(&w, "--wide"));
	cw_words_free(&w);
	/* A show is a table or one JSON object, never CSV. */
	cw_complete_line(NULL, "provider show X --format ", "", NULL, &w, &files);
	assert_true(has(&w, "json") && has(&w, "table") && !has(&w, "csv"));
	cw_words_free(&w);
	/* Vocabulary values, loosely matched and given in their canonical form. */
	cw_complete_line(NULL, "concern add X --risk ", "v", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "very_high");
	cw_words_free(&w);
	cw_complete_line(NULL, "concern add X --risk high --category ", "", NULL, &w, &files);
	assert_int_equal(w.n, cw_vocab_concern_category.n);
	cw_words_free(&w);
	cw_complete_line(NULL, "provider list --band ", "Very-h", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "very_high");
	cw_words_free(&w);
	cw_complete_line(NULL, "case list ", "--format=j", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "--format=json");
	cw_words_free(&w);
	cw_complete_line(NULL, "case respond 4 --kind ", "", NULL, &w, &files);
	assert_true(has(&w, "visit") && has(&w, "phone") && has(&w, "meeting"));
	cw_words_free(&w);
	cw_complete_line(NULL, "concern add X --received ", "n", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "now");
	cw_words_free(&w);
	/* help COMMAND, and FILE left to readline's file names. */
	cw_complete_line(NULL, "help ", "wor", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "worklist");
	cw_words_free(&w);
	cw_complete_line(NULL, "rules check ", "ru", NULL, &w, &files);
	assert_true(files);
	assert_int_equal(w.n, 0);
	cw_words_free(&w);
	/* Nothing to offer for free text. */
	cw_complete_line(NULL, "concern add X --note ", "", NULL, &w, &files);
	assert_int_equal(w.n, 0);
	assert_false(files);
	cw_words_free(&w);
}

static void
test_client_completion_from_the_database(void **state)
{
	struct cw_words w = {0};
	struct cw_error err;
	struct cw_db *db;
	bool files;

	(void)state;
	if (!tl_db_available())
		skip();
	cw_error_clear(&err);
	setenv("PGUSER", "cwt_olive", 1);
	db = cw_db_open(NULL, &err);
	unsetenv("PGUSER");
	assert_non_null(db);
	/* Provider names: prefix matches first, then names containing the text. */
	assert_true(cw_complete_provider(db, "ash", 50, &w, &err));
	assert_int_equal(w.n, 2);
	assert_string_equal(w.v[0], "Ashfield House");
	assert_string_equal(w.v[1], "Ashfield Lodge");
	cw_words_free(&w);
	assert_true(cw_complete_provider(db, "court", 50, &w, &err));
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "Birch Court");
	cw_words_free(&w);
	assert_true(cw_complete_provider(db, "1-10", 50, &w, &err));
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "1-1010701645");
	cw_words_free(&w);
	/* The user's text is a parameter and its LIKE wildcards are literal. */
	assert_true(cw_complete_provider(db, "%", 50, &w, &err));
	assert_int_equal(w.n, 0);
	assert_true(cw_complete_provider(db, "_", 50, &w, &err));
	assert_int_equal(w.n, 0);
	assert_true(cw_complete_provider(db, "'; DROP TABLE provider; --", 50, &w, &err));
	assert_int_equal(w.n, 0);
	assert_true(cw_complete_provider(db, "", 2, &w, &err));
	assert_int_equal(w.n, 2);
	cw_words_free(&w);
	/* Through a command line: P, localities, officers and open cases. */
	cw_complete_line(db, "provider show ", "cedar", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "Cedar View Day Centre");
	cw_words_free(&w);
	cw_complete_line(db, "concern add ", "Birch", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	cw_words_free(&w);
	cw_complete_line(db, "provider list --locality ", "n", NULL, &w, &files);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.v[0], "north");
	assert_string_equal(w.v[1], "norwich");
	cw_words_free(&w);
	cw_complete_line(db, "worklist --officer ", "cwt_o", NULL, &w, &files);
	assert_int_equal(w.n, 2);
	cw_words_free(&w);
	cw_complete_line(db, "case assign 1 --officer ", "cwt_os", NULL, &w, &files);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.v[0], "cwt_oscar");
	cw_words_free(&w);
	cw_complete_line(db, "case show ", "", NULL, &w, &files);
	assert_true(has(&w, case_overdue));
	cw_words_free(&w);
	/* Once the positional is given, options are offered. */
	cw_complete_line(db, "provider show Birch ", "", NULL, &w, &files);
	assert_true(has(&w, "--help"));
	cw_words_free(&w);
	cw_db_close(db);
}

/* Out of memory while a list is built: an error and nothing printed, never
 * a shorter list that looks whole (the test build's hook fails the N-th
 * row added, as a failed allocation would). */
static void
test_client_a_list_that_lost_a_row_is_not_printed(void **state)
{
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	setenv("CW_TEST_TABLE_ADD_FAIL", "2", 1);
	assert_int_equal(tl_run(TL_ARGV("officer", "list"), NULL, &out, &err, MGR), 1);
	unsetenv("CW_TEST_TABLE_ADD_FAIL");
	assert_string_equal(out, "");
	assert_string_equal(err, "carewatch: error: out of memory: the list was not printed\n");
	free(out);
	free(err);
	/* A report section the same way. */
	setenv("CW_TEST_TABLE_ADD_FAIL", "1", 1);
	assert_int_equal(tl_run(TL_ARGV("report", "concerns"), NULL, &out, &err,
				MGR), 1);
	unsetenv("CW_TEST_TABLE_ADD_FAIL");
	assert_non_null(strstr(err, "carewatch: error: "));
	free(out);
	free(err);
	/* Without the hook the same list prints. */
	assert_int_equal(tl_run(TL_ARGV("officer", "list"), NULL, &out, &err, MGR), 0);
	assert_non_null(strstr(out, "rows)"));
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_every_command_has_help),
		cmocka_unit_test(test_client_help_command_matches_dash_dash_help),
		cmocka_unit_test(test_client_wrong_usage_is_exit_2_before_connecting),
		cmocka_unit_test(test_client_split_line_like_a_shell),
		cmocka_unit_test(test_client_completion_of_commands_options_and_values),
		cmocka_unit_test(test_client_every_vocabulary_option_refuses_a_wrong_word),
		cmocka_unit_test(test_client_unknown_and_ambiguous_providers),
		cmocka_unit_test(test_client_provider_list_ranks_and_filters),
		cmocka_unit_test(test_client_provider_find_by_name_id_and_uuid),
		cmocka_unit_test(test_client_provider_show_is_the_whole_picture),
		cmocka_unit_test(test_client_provider_explain_shows_each_contribution),
		cmocka_unit_test(test_client_completion_from_the_database),
		cmocka_unit_test(test_client_case_list_filters_and_marks_overdue),
		cmocka_unit_test(test_client_case_show_respond_assign_and_close),
		cmocka_unit_test(test_client_worklist_is_by_due_time_with_overdue_marked),
		cmocka_unit_test(test_client_officer_list_in_each_format),
		cmocka_unit_test(test_client_shell_runs_lines_from_standard_input),
		cmocka_unit_test(test_client_shell_help_and_messages_fit_the_shell),
		cmocka_unit_test(test_client_unknown_names_in_filters),
		cmocka_unit_test(test_client_a_list_that_lost_a_row_is_not_printed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
