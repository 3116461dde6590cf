/*
 * test_cli.c - the dispatcher through the real binary, no database needed:
 * help, wrong usage and its exit codes, and the man page kept in step with
 * the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void
test_cli_man_page_matches_the_command_table(void **state)
{
	char *out, *err, *page;

	(void)state;
	assert_int_equal(tl_run(TL_ARGV("help", "--man"), NULL, &out, &err, NULL), 0);
	page = read_all(tl_path("../docs/carewatch.1"));
	assert_non_null(page);
	if (strcmp(out, page) != 0)
		fail_msg("docs/carewatch.1 is out of date: run 'make man'");
	assert_non_null(strstr(out, ".B concern add"));
	free(out);
	free(err);
	free(page);
}

static const struct {
	const char *argv[8];
	int rc;
	const char *err;
} usage[] = {
	{{"frobnicate", NULL}, 2, "carewatch: error: unknown command 'frobnicate'\n"},
	{{"provider", "lsit", NULL}, 2,
	 "carewatch: error: unknown command 'provider lsit'\n"
	 "hint: the most similar command is 'carewatch provider list'\n"},
	{{"provider", NULL}, 2,
	 "carewatch: error: 'provider' needs a subcommand: add, find, show, edit, list, explain\n"
	 "hint: 'carewatch help provider' describes them\n"},
	/* Did-you-mean for a mistyped noun, as git's "The most similar command is". */
	{{"provder", "list", NULL}, 2,
	 "carewatch: error: unknown command 'provder'\n"
	 "hint: the most similar command is 'carewatch provider list'\n"},
	{{"concren", "add", "X", NULL}, 2,
	 "carewatch: error: unknown command 'concren'\n"
	 "hint: the most similar command is 'carewatch concern add'\n"},
	{{"zzzzzz", NULL}, 2,
	 "carewatch: error: unknown command 'zzzzzz'\nhint: run 'carewatch help' for the list of commands\n"},
	/* ... and for a mistyped option, or one spelt as it used to be. */
	{{"concern", "add", "X", "--rsik", "high", NULL}, 2,
	 "carewatch: error: unknown option '--rsik' for 'carewatch concern add'\n"
	 "hint: did you mean '--risk'?\n"},
	{{"concern", "add", "X", "--summary", "Falls", NULL}, 2,
	 "carewatch: error: unknown option '--summary' for 'carewatch concern add'\n"
	 "hint: did you mean '--note'? (one name on every command: --note)\n"},
	{{"visit", "add", "X", "--notes", "Fine", NULL}, 2,
	 "carewatch: error: unknown option '--notes' for 'carewatch visit add'\n"
	 "hint: did you mean '--note'?"},
	{{"case", "reopen", "1", "--reason", "Again", NULL}, 2,
	 "carewatch: error: unknown option '--reason' for 'carewatch case reopen'\n"
	 "hint: did you mean '--note'?"},
	{{"restriction", "add", "X", "--reason", "Why", NULL}, 2,
	 "carewatch: error: unknown option '--reason' for 'carewatch restriction add'\nhint: did you mean '--note'?"},
	/* Why a record is corrected or withdrawn is --because, on every kind. */
	{{"concern", "withdraw", "X", "--reason", "Why", NULL}, 2,
	 "carewatch: error: unknown option '--reason' for 'carewatch concern withdraw'\n"
	 "hint: did you mean '--because'? (one name on every command: --because)\n"},
	{{"restriction", "correct", "X", "--reason", "Why", NULL}, 2,
	 "carewatch: error: unknown option '--reason' for 'carewatch restriction correct'\n"
	 "hint: did you mean '--because'?"},
	{{"concern", "correct", NULL}, 2, "carewatch: error: 'carewatch concern correct' needs ID\n"},
	{{"audit", "--role", "alice", NULL}, 2,
	 "carewatch: error: unknown option '--role' for 'carewatch audit'\nhint: did you mean '--officer'?"},
	{{"worklist", "alice", NULL}, 2,
	 "carewatch: error: unexpected argument 'alice' for 'carewatch worklist'\n"
	 "hint: did you mean '--officer alice'?"},
	/* Formats without regard to case: accepted, so the next step (the
	 * connection) is what fails. */
	{{"provider", "list", "--format", "CSV", NULL}, 3, "carewatch: error: "},
	{{"--format", "JSON", "officer", "list", NULL}, 3, "carewatch: error: "},
	{{"report", "shift", "--format", "HTML", NULL}, 3, "carewatch: error: "},
	/* One parser: an option before the command word is read by the
	 * command's rules, exactly as after it. */
	{{"--format", "html", "provider", "list", NULL}, 2,
	 "carewatch: error: invalid output format 'html' (expected table, csv or json)\n"},
	{{"provider", "list", "--format", "html", NULL}, 2,
	 "carewatch: error: invalid output format 'html' (expected table, csv or json)\n"},
	{{"--format", "csv", "provider", "show", "X", NULL}, 2,
	 "carewatch: error: invalid output format 'csv' for 'carewatch provider show'"},
	{{"--wide", "version", NULL}, 2,
	 "carewatch: error: unknown option '--wide' for 'carewatch version'\n"},
	{{"--wide", "provider", "list", NULL}, 3, "carewatch: error: "},
	{{"concern", "add", NULL}, 2, "carewatch: error: 'carewatch concern add' needs P\n"},
	{{"concern", "add", "X", "--risk", NULL}, 2, "carewatch: error: option '--risk' needs a value (R)\n"},
	{{"concern", "add", "X", "--urgent", NULL}, 2,
	 "carewatch: error: unknown option '--urgent' for 'carewatch concern add'\n"},
	{{"concern", "add", "X", "-r", "high", NULL}, 2,
	 "carewatch: error: unknown option '-r' for 'carewatch concern add'\n"},
	{{"provider", "list", "--band", "severe", NULL}, 2,
	 "carewatch: error: invalid risk level 'severe' (expected low, medium, high or very_high)\n"},
	{{"provider", "list", "--format", "xml", NULL}, 2,
	 "carewatch: error: invalid output format 'xml' (expected table, csv or json)\n"},
	{{"rules", "check", "a", "b", NULL}, 2,
	 "carewatch: error: unexpected argument 'b' for 'carewatch rules check'\n"},
	{{"--bogus", NULL}, 2, "carewatch: error: unknown option '--bogus'\n"},
	{{"db", "role", "add", "x", "--as", "boss", NULL}, 2,
	 "carewatch: error: invalid role kind 'boss' (expected officer, manager, batch or readonly)\n"},
};

static void
test_cli_wrong_usage_is_exit_2_with_a_clear_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		char *out, *err;
		int rc = tl_run(usage[i].argv, NULL, &out, &err, "PGHOST=/nonexistent");
		if (rc != usage[i].rc || strncmp(err, usage[i].err, strlen(usage[i].err)) != 0)
			fail_msg("case %zu: exit %d, stderr:\n%s\nexpected exit %d and:\n%s", i, rc, err,
				 usage[i].rc, usage[i].err);
		free(out);
		free(err);
	}
}

static void
test_cli_help_lists_every_group_and_command_help_shows_options(void **state)
{
	char *out, *err;

	(void)state;
	assert_int_equal(tl_run(TL_ARGV("help"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "  concern add P"));
	assert_non_null(strstr(out, "  rules check FILE"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("concern", "add", "--help"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "usage: carewatch concern add P [options]\n"));
	assert_non_null(strstr(out, "(low, medium, high or very_high)"));
	free(out);
	free(err);
}

/* `help NOUN`, -h wherever --help goes, and every format in --help. */
static void
test_cli_help_noun_and_dash_h(void **state)
{
	char *out, *err;

	(void)state;
	assert_int_equal(tl_run(TL_ARGV("help", "case"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "The case commands:"));
	assert_non_null(strstr(out, "  case close CASE "));
	assert_non_null(strstr(out, "  case assign CASE "));
	assert_null(strstr(out, "concern add"));
	assert_string_equal(err, "");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("help", "case", "close"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "usage: carewatch case close CASE [options]"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("-h"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "usage: carewatch [--db CONNINFO]"));
	assert_non_null(strstr(out, "'carewatch help NOUN'"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("case", "list", "-h"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "usage: carewatch case list [options]"));
	assert_non_null(strstr(out, "--officer LOGIN"));
	free(out);
	free(err);
	/* A report's --help names html, which it takes. */
	assert_int_equal(tl_run(TL_ARGV("report", "shift", "--help"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "output format: table, csv, json or html"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("officer", "list", "--help"), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, "output format: table, csv or json\n"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("help", "frobnicate"), NULL, &out, &err, NULL), 2);
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
	free(out);
	free(err);
}

/* One name per concept: free text is --note and the officer --officer on
 * every command that takes them; the old spellings appear nowhere.  The
 * one other free text is why a record is corrected or withdrawn: --because,
 * on those two steps of every kind and nowhere else (a correction's --note
 * is the record's own text, as in `KIND add`). */
static void
test_cli_one_option_name_per_concept(void **state)
{
	static const char *const retired[] = {"--summary TEXT", "--notes TEXT", "--reason TEXT",
					      "--role LOGIN", "[OFFICER] [options]"};
	char *out, *err;

	(void)state;
	assert_int_equal(tl_run(TL_ARGV("help", "--man"), NULL, &out, &err, NULL), 0);
	/* The man page writes options as roff: "\-\-summary". */
	assert_null(strstr(out, "\\-\\-summary\\fR \\fITEXT"));
	assert_null(strstr(out, "\\-\\-notes\\fR"));
	assert_null(strstr(out, "\\-\\-reason\\fR"));
	assert_non_null(strstr(out, "\\-\\-note\\fR \\fITEXT"));
	{
		int because = 0;
		for (const char *p = out; (p = strstr(p, "\\-\\-because\\fR \\fITEXT")) != NULL; p++)
			because++;
		/* correct and withdraw of the ten kinds */
		assert_int_equal(because, 20);
	}
	free(out);
	free(err);
	for (const char *const *cmd = (const char *const[]){"concern add", "visit add", "safeguarding add",
		 "notice add", "restriction add", "case close", "case reopen", "case assign", "case respond",
		 "worklist", "audit", "case list", "concern correct", "concern withdraw", "visit correct",
		 "cqc correct", "cqc withdraw", "notice correct", "restriction withdraw", "survey correct",
		 NULL}; *cmd; cmd++) {
		const bool change = strstr(*cmd, " correct") || strstr(*cmd, " withdraw");
		char line[64], *sp;
		const char *argv[5] = {NULL};

		snprintf(line, sizeof(line), "%s", *cmd);
		argv[0] = line;
		sp = strchr(line, ' ');
		if (sp) {
			*sp = '\0';
			argv[1] = sp + 1;
		}
		argv[sp ? 2 : 1] = "--help";
		assert_int_equal(tl_run(argv, NULL, &out, &err, NULL), 0);
		for (size_t i = 0; i < sizeof(retired) / sizeof(retired[0]); i++)
			if (strstr(out, retired[i]))
				fail_msg("'%s --help' still offers %s", *cmd, retired[i]);
		if (change && !strstr(out, "--because TEXT"))
			fail_msg("'%s --help' does not take the reason as --because", *cmd);
		if (!change && strstr(out, "--because"))
			fail_msg("'%s --help' offers --because, which is for correct and withdraw", *cmd);
		if (strstr(out, "TEXT") && !strstr(out, "--note TEXT") && !change)
			fail_msg("'%s --help' takes free text under another name than --note", *cmd);
		if (change) {
			/* Its free text is the record's --note and the step's --because only. */
			for (const char *p = out + 9; (p = strstr(p, " TEXT")) != NULL; p++)
				if (strncmp(p - 6, "--note", 6) != 0 && strncmp(p - 9, "--because", 9) != 0)
					fail_msg("'%s --help' takes free text under another name", *cmd);
		}
		if (strstr(out, "LOGIN") && !strstr(out, "--officer LOGIN"))
			fail_msg("'%s --help' chooses an officer other than with --officer", *cmd);
		free(out);
		free(err);
	}
}

static void
test_cli_unreachable_database_is_exit_3(void **state)
{
	char *out, *err;

	(void)state;
	assert_int_equal(tl_run(TL_ARGV("provider", "list"), NULL, &out, &err,
				"PGHOST=/nonexistent-carewatch-socket-dir"), 3);
	assert_non_null(strstr(err, "carewatch: error: cannot connect to the database\n"));
	assert_non_null(strstr(err, "hint: set PGHOST"));
	free(out);
	free(err);
}

static void
test_cli_rules_check_shows_file_line_column_and_caret(void **state)
{
	char *out, *err, path[1100];

	(void)state;
	snprintf(path, sizeof(path), "%s", tl_path("rules/bad/02-unknown-section.rules"));
	assert_int_equal(tl_run(TL_ARGV("rules", "check", path), NULL, &out, &err, NULL), 2);
	assert_non_null(strstr(err, "02-unknown-section.rules:"));
	assert_non_null(strstr(err, ": error: "));
	assert_non_null(strstr(err, "\n  ^") ? strstr(err, "\n  ^") : strstr(err, "^\n"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s", tl_path("../rules/default.rules"));
	assert_int_equal(tl_run(TL_ARGV("rules", "check", path), NULL, &out, &err, NULL), 0);
	assert_non_null(strstr(out, ": ok: ruleset 'norfolk-default', sha256 "));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("rules", "check", "/nonexistent.rules"), NULL, &out, &err, NULL), 1);
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_man_page_matches_the_command_table),
		cmocka_unit_test(test_cli_wrong_usage_is_exit_2_with_a_clear_message),
		cmocka_unit_test(test_cli_help_lists_every_group_and_command_help_shows_options),
		cmocka_unit_test(test_cli_help_noun_and_dash_h),
		cmocka_unit_test(test_cli_one_option_name_per_concept),
		cmocka_unit_test(test_cli_unreachable_database_is_exit_3),
		cmocka_unit_test(test_cli_rules_check_shows_file_line_column_and_caret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
