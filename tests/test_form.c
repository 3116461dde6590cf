/*
 * test_form.c - the client as a person uses it, in a real terminal: tmux
 * runs the sanitised binary in a pane, the test types with send-keys and
 * reads the screen with capture-pane.
 *
 * The guided `concern add` is driven through a wrong answer (the flags'
 * message and the question again), Tab completion of a provider name and
 * of vocabulary words, the summary and the confirmation, and the stored row
 * is checked; declining, Ctrl-C and answers given as options are checked
 * too.  `carewatch shell` is driven through completion of a command line,
 * colour and a table cut to the pane's width, a backend terminated by the
 * server between commands (the shell says so plainly and the next command
 * runs on a new connection), and Ctrl-C cancelling a statement that waits
 * on a lock.  Skipped without tmux or a server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "carewatch/output.h"

static const char *dbname;
static PGconn *owner;
static char dir[64];
static bool tmux_ok;

#define FIONA "PGUSER=cwt_fiona"
#define LONG_NAME "The Old Rectory Residential and Nursing Home for Older People (Ashfield Road Site)"

static void
run_ok(const char *const argv[], const char *env)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != 0)
		fail_msg("%s %s: exit %d\nstdout: %s\nstderr: %s", argv[0], argv[1] ? argv[1] : "", rc, out, err);
	free(out);
	free(err);
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/cwt-form.%d", (int)getpid());
	tmux_ok = tl_term_init(dir);
	dbname = tl_db_create("cwt_form", true);
	run_ok(TL_ARGV("db", "role", "add", "cwt_fiona", "--as", "officer"), NULL);
	run_ok(TL_ARGV("officer", "add", "cwt_fiona", "--name", "Fiona Example", "--fte", "1",
		       "--locality", "north,west,south"), NULL);
	run_ok(TL_ARGV("provider", "add", "Ashfield House", "--care-type", "residential",
		       "--locality", "north", "--cqc-id", "1-1010701645"), NULL);
	run_ok(TL_ARGV("provider", "add", "Ashfield Lodge", "--care-type", "nursing",
		       "--locality", "west"), NULL);
	run_ok(TL_ARGV("provider", "add", "Birch Court", "--care-type", "home_care",
		       "--locality", "south"), NULL);
	run_ok(TL_ARGV("provider", "add", LONG_NAME, "--care-type", "residential", "--locality", "north",
		       "--id", "77777777-7777-4777-8777-777777777777"), NULL);
	run_ok(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL);
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_term_end();
	if (owner)
		PQfinish(owner);
	if (dbname)
		tl_db_drop(dbname);
	return 0;
}

static char *
read_file(const char *name)
{
	char path[128];
	FILE *f;
	char *buf = calloc(1, 65536);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return buf;
	if (fread(buf, 1, 65535, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void
test_form_concern_add_guided_end_to_end(void **state)
{
	char *s, want[200], number[32];
	const char *p;

	(void)state;
	if (!tl_db_available() || !tmux_ok)
		skip();
	tl_term_start("cwt_fiona", "concern add", 100, false);
	tl_wait_free("Provider (name or part of it, CQC location ID or UUID): ", 1);
	/* No such provider: the hint is what the form offers, not a command
	 * that cannot be run from inside it. */
	tl_type("Qwzx Manor");
	tl_key("Enter");
	tl_wait_free("hint: Tab completes the answer; Ctrl-C leaves the form and records nothing\n"
		     "Provider (name or part of it, CQC location ID or UUID): ", 1);
	s = tl_screen(true, false);
	assert_null(strstr(s, "'carewatch "));
	free(s);
	tl_key("C-u");     /* the wrong answer is offered again for editing */
	/* Tab: what every match shares, then the one match. */
	tl_type("ashf");
	tl_key("Tab");
	tl_wait_free("UUID): Ashfield ", 1);
	tl_type("L");
	tl_key("Tab");
	tl_wait_free("UUID): Ashfield Lodge", 1);
	tl_key("Enter");
	/* A wrong word: the command line's message, and the question again. */
	tl_wait_free("Risk level of the concern (low, medium, high or very_high): ", 1);
	tl_type("urgent");
	tl_key("Enter");
	tl_wait_free("carewatch: error: invalid risk level 'urgent' (expected low, medium, high or very_high)\n"
		  "Risk level of the concern (low, medium, high or very_high): ", 1);
	tl_type("very");
	tl_key("Tab");
	tl_wait_free("Risk level of the concern (low, medium, high or very_high): very_high", 1);
	tl_key("Enter");
	tl_wait_free("What the concern is about (care_practice, ", 1);
	tl_type("medi");
	tl_key("Tab");
	tl_key("Enter");
	tl_wait_free("Who raised it (", 1);
	tl_type("whistle");
	tl_key("Tab");
	tl_key("Enter");
	tl_wait_free("The concern has a safeguarding element (yes or no) [no]: ", 1);
	tl_type("y");
	tl_key("Enter");
	tl_wait_free("When it was received (YYYY-MM-DD HH:MM, London time) [now]: ", 1);
	/* A day without a time: the form asks when in the day, rather than
	 * take midnight; a wrong time is asked again. */
	tl_type("2024-05-03");
	tl_key("Enter");
	tl_wait_free("At what time on 2024-05-03 (HH:MM, London time): ", 1);
	tl_type("25:00");
	tl_key("Enter");
	tl_wait_free("carewatch: error: invalid time of day '25:00' (expected HH:MM, e.g. 14:30)\n"
		     "At what time on 2024-05-03 (HH:MM, London time): ", 1);
	tl_type("18:30");
	tl_key("Enter");
	tl_wait_free("What was reported (kept out of logs): ", 1);
	tl_type("Night staff could not find the MAR charts");
	tl_key("Enter");
	s = tl_wait_for("Record this concern? (yes, no or edit): ", 1);
	assert_non_null(strstr(s, "About to record this concern:\n"
				  "  provider      Ashfield Lodge\n"
				  "  risk          very_high\n"
				  "  category      medication\n"
				  "  source        whistleblower\n"
				  "  safeguarding  yes\n"
				  "  received      2024-05-03 18:30 BST\n"
				  "  note          Night staff could not find the MAR charts\n"));
	free(s);
	/* Nothing is written before the confirmation. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), 0);
	tl_type("yes");
	tl_key("Enter");
	s = tl_wait_for("[exit ", 1);
	if (strstr(s, "[exit 0]") == NULL)
		fail_msg("the form did not exit 0:\n%s", s);
	/* The stored row is what was answered. */
	assert_int_equal(tl_count(owner,
				  "SELECT count(*) FROM concern k JOIN provider p ON p.id = k.provider_id"
				  " WHERE p.name = 'Ashfield Lodge' AND k.risk = 'very_high'"
				  " AND k.category = 'medication' AND k.source = 'whistleblower' AND k.safeguarding"
				  " AND k.received_at = '2024-05-03 17:30:00+00'"
				  " AND k.summary = 'Night staff could not find the MAR charts'"
				  " AND k.recorded_by = 'cwt_fiona'"), 1);
	/* The case number and due time printed are the stored ones. */
	snprintf(number, sizeof(number), "%s", tl_query1(owner, "SELECT number FROM case_file"));
	snprintf(want, sizeof(want), "case %s opened: due %s, assigned to cwt_fiona\n", number,
		 tl_query1(owner, "SELECT to_char(due_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI')"
				  " || CASE WHEN (due_at AT TIME ZONE 'Europe/London') - (due_at AT TIME ZONE 'UTC')"
				  " = interval '1 hour' THEN ' BST' ELSE ' GMT' END FROM case_file"));
	p = strstr(s, "recorded concern ");
	assert_non_null(p);
	if (strstr(p, want) == NULL)
		fail_msg("expected '%s' after the record; the screen:\n%s", want, s);
	free(s);
	/* Answers are remembered for next time, free text never. */
	s = read_file(".carewatch_form_history");
	assert_non_null(strstr(s, "provider\tAshfield Lodge\n"));
	assert_non_null(strstr(s, "concern.risk\tvery_high\n"));
	assert_null(strstr(s, "MAR charts"));
	free(s);
}

static void
test_form_options_preset_answers_and_no_writes_nothing(void **state)
{
	char *s;
	long before;

	(void)state;
	if (!tl_db_available() || !tmux_ok)
		skip();
	before = tl_count(owner, "SELECT count(*) FROM concern");
	/* Options given without P are answers already: not asked again. */
	tl_term_start("cwt_fiona", "concern add --risk low --category other", 100, false);
	tl_wait_free("Provider (name or part of it, CQC location ID or UUID): ", 1);
	tl_type("court");            /* a fragment: the provider it found is shown */
	tl_key("Enter");
	tl_wait_free("\n  Birch Court\nWho raised it (", 1);
	tl_type("public");
	tl_key("Enter");
	tl_wait_free("[no]: ", 1);
	tl_key("Enter");
	tl_wait_free("[now]: ", 1);
	tl_key("Enter");
	tl_wait_free("What was reported (kept out of logs): ", 1);
	tl_type("Door left open");
	tl_key("Enter");
	s = tl_wait_for("Record this concern? (yes, no or edit): ", 1);
	assert_null(strstr(s, "Risk level of the concern"));
	assert_non_null(strstr(s, "  risk          low\n  category      other\n"));
	assert_non_null(strstr(s, "  safeguarding  no\n  received      now\n"));
	free(s);
	tl_type("no");
	tl_key("Enter");
	s = tl_wait_for("[exit ", 1);
	assert_non_null(strstr(s, "carewatch: cancelled: nothing recorded\n[exit 1]"));
	free(s);
	/* Ctrl-C in the middle of another kind's form. */
	tl_term_start("cwt_fiona", "visit add", 100, false);
	tl_wait_free("Provider (", 1);
	tl_type("Birch Court");
	tl_key("Enter");
	tl_wait_free("Routine monitoring, response or PAMMS audit (routine, response or pamms): ", 1);
	tl_key("C-c");
	s = tl_wait_for("[exit ", 1);
	assert_non_null(strstr(s, "carewatch: cancelled: nothing recorded\n[exit 1]"));
	free(s);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), before);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM visit"), 0);
}

static void
test_form_shell_completes_and_survives_a_lost_connection(void **state)
{
	char *s, *table, *end, *save = NULL;
	PGconn *su;
	bool long_row = false;

	(void)state;
	if (!tl_db_available() || !tmux_ok)
		skip();
	tl_term_shell("cwt_fiona", true);
	/* Commands, subcommands, then a provider name with a blank: quoted. */
	tl_type("prov");
	tl_key("Tab");
	tl_type("fi");
	tl_key("Tab");
	tl_type("ashf");
	tl_key("Tab");
	tl_wait_free("> provider find \"Ashfield ", 1);
	tl_type("H");
	tl_key("Tab");
	tl_wait_free("> provider find \"Ashfield House\" ", 1);
	tl_key("Enter");
	tl_wait_free("(1 row)", 1);
	/* A colour terminal: bold headers.  The table is cut to the pane. */
	tl_type("provider list --sort name");
	tl_key("Enter");
	tl_wait_free("(4 rows)", 1);
	s = tl_screen(false, true);
	assert_non_null(strstr(s, "\033[1m"));
	free(s);
	/* The table fits the pane: no line of it (wrapped lines joined) is
	 * wider than 100 columns, and the long name is cut with an ellipsis. */
	s = tl_screen(true, false);
	table = strstr(s, "> provider list --sort name\n");
	assert_non_null(table);
	end = strstr(table, "(4 rows)");
	assert_non_null(end);
	*end = '\0';
	for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (cw_display_width(line) > 100)
			fail_msg("a table line is %d columns wide in a pane of 100:\n%s", cw_display_width(line), line);
		if (strstr(line, "The Old R"))
			long_row = strstr(line, "\xE2\x80\xA6") != NULL;
	}
	assert_true(long_row);
	free(s);
	/* Free text typed on a line is not kept in the history file. */
	tl_type("concern add Birch --risk low --category other --source public --note \"Mr Example fell\"");
	tl_key("Enter");
	tl_wait_free("recorded concern ", 1);
	/* The server ends the shell's backend while it waits at the prompt. */
	su = tl_connect("postgres");
	assert_int_equal(tl_count(su, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				      " WHERE usename = 'cwt_fiona'"), 1);
	for (int i = 0; i < 1000 && tl_count(su, "SELECT count(*) FROM pg_stat_activity"
						" WHERE usename = 'cwt_fiona'") > 0; i++)
		usleep(20 * 1000);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_fiona'"), 0);
	tl_type("officer list");
	tl_key("Enter");
	s = tl_wait_for("QA team", 1);
	assert_non_null(strstr(s, "> officer list\ncarewatch: the connection to the database was lost;"
				  " reconnecting\nQA team\n"));
	free(s);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_fiona'"), 1);
	/* And the next command too, on the same new connection. */
	tl_type("worklist --format csv");
	tl_key("Enter");
	tl_wait_free("case,provider,risk,state,opened,due,officer,status", 1);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_fiona'"), 1);
	PQfinish(su);
	/* Ctrl-C while a command waits on the server cancels that statement;
	 * the shell stays, on the same connection.  (A statement's first run
	 * in the session: db.c re-sends one whose PQprepare failed, so a
	 * cancelled second run would wait again -- reported separately.) */
	tl_query1(owner, "BEGIN");
	tl_query1(owner, "LOCK TABLE case_file IN ACCESS EXCLUSIVE MODE");
	tl_type("case list --format csv");
	tl_key("Enter");
	tl_wait_free("> case list --format csv\n", 1);
	usleep(300 * 1000);
	tl_key("C-c");
	tl_wait_free("carewatch: error: canceling statement due to user request\n", 1);
	tl_query1(owner, "ROLLBACK");
	tl_type("case list --format csv");
	tl_key("Enter");
	tl_wait_free("case,provider,risk,state,opened,due,officer,status\n", 2);
	tl_type("quit");
	tl_key("Enter");
	s = tl_wait_for("[exit ", 1);
	assert_non_null(strstr(s, "[exit 0]"));
	free(s);
	s = read_file("history");
	assert_non_null(strstr(s, "provider find \"Ashfield House\" \n"));
	assert_non_null(strstr(s, "concern add Birch --risk low --category other --source public\n"));
	assert_null(strstr(s, "Mr Example"));
	assert_non_null(strstr(s, "officer list\n"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_concern_add_guided_end_to_end),
		cmocka_unit_test(test_form_options_preset_answers_and_no_writes_nothing),
		cmocka_unit_test(test_form_shell_completes_and_survives_a_lost_connection),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
