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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "carewatch/output.h"

static const char *dbname;
static PGconn *owner;
static char dir[64];
static bool tmux_ok;
static int pane;               /* each pane gets a tmux server (socket) of its own */

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

/* Run tmux on our own server socket; fails the test when tmux does. */
static void
tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
tmux(const char *fmt, ...)
{
	char args[2048], cmd[2300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock -f /dev/null %s", dir, pane, args);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* End the pane's server, if any.  The next pane uses a new socket: a
 * server on its way out removes its socket file, which must not be the
 * new server's. */
static void
tmux_stop(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock kill-server 2>/dev/null", dir, pane);
	if (system(cmd) != 0) {
		/* none was running */
	}
	pane++;
}

/* Type text literally (it must not contain a single quote). */
static void
type(const char *text)
{
	tmux("send-keys -t cw -l -- '%s'", text);
}

static void
key(const char *name)
{
	tmux("send-keys -t cw %s", name);
}

/* The pane's whole history; joined keeps wrapped lines whole; escapes
 * keeps colour.  A capture that fails (tmux busy, a signal) is taken
 * again.  Caller frees. */
static char *
screen(bool joined, bool escapes)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock capture-pane -p %s %s -t cw -S -400 2>/dev/null",
		 dir, pane, joined ? "-J" : "", escapes ? "-e" : "");
	for (int attempt = 0;; attempt++) {
		char *buf = calloc(1, 1), chunk[4096];
		size_t len = 0, n;
		FILE *p = popen(cmd, "r");

		assert_non_null(p);
		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
			char *more = realloc(buf, len + n + 1);
			assert_non_null(more);
			buf = more;
			memcpy(buf + len, chunk, n);
			len += n;
			buf[len] = '\0';
		}
		bool bad = ferror(p) != 0;
		if ((pclose(p) == 0 && !bad) || attempt == 5)
			return buf;
		free(buf);
	}
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Wait until text is on the screen n times (the screen is returned, caller
 * frees); fail with the screen after 30 seconds (a loaded machine). */
static char *
wait_for(const char *text, int n)
{
	struct timespec nap = {0, 50 * 1000 * 1000};

	for (int i = 0; i < 600; i++) {
		char *s = screen(true, false);
		if (count(s, text) >= n)
			return s;
		free(s);
		nanosleep(&nap, NULL);
	}
	{
		/* cmocka's messages are short: the screen goes to stderr whole. */
		char *s = screen(true, false);
		fprintf(stderr, "test: waited 30 s for '%s' (x%d); the screen:\n%s\n", text, n, s);
		free(s);
		fail();
	}
	return NULL;
}

static void
wait_free(const char *text, int n)
{
	free(wait_for(text, n));
}

/* Start `carewatch ARGS` in a fresh pane of width columns as Fiona, then
 * "[exit N]" when it ends.  colour: leave NO_COLOR unset. */
static void
start(const char *args, int width, bool colour)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/run.sh", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "cd %s\nexport PGHOST='%s' PGPORT='%s' PGDATABASE='%s' PGUSER=cwt_fiona HOME='%s'\n"
		   "export CAREWATCH_HISTORY='%s/history' TZ=UTC LANG=C.UTF-8\nunset COLUMNS LINES %s\n"
		   "trap : INT\n\"$CW_BIN\" %s\necho \"[exit $?]\"\nexec sleep 600\n",
		dir, getenv("PGHOST"), getenv("PGPORT") ? getenv("PGPORT") : "", getenv("PGDATABASE"), dir,
		dir, colour ? "NO_COLOR" : "", args);    /* run-tests.sh sets NO_COLOR */
	fclose(f);
	tmux_stop();
	tmux("new-session -d -s cw -x %d -y 50 'sh %s'", width, path);
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	tmux_ok = system("command -v tmux >/dev/null 2>&1") == 0;
	snprintf(dir, sizeof(dir), "/tmp/cwt-form.%d", (int)getpid());
	mkdir(dir, 0700);
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
	char cmd[256];

	(void)state;
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "tmux -S %s/tmux%d.sock kill-server 2>/dev/null; rm -rf %s", dir,
			 pane, dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test: could not clean up %s\n", dir);
	}
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
	start("concern add", 100, false);
	wait_free("Provider (name or part of it, CQC location ID or UUID): ", 1);
	/* Tab: what every match shares, then the one match. */
	type("ashf");
	key("Tab");
	wait_free("UUID): Ashfield ", 1);
	type("L");
	key("Tab");
	wait_free("UUID): Ashfield Lodge", 1);
	key("Enter");
	/* A wrong word: the command line's message, and the question again. */
	wait_free("Risk level of the concern (low, medium, high or very_high): ", 1);
	type("urgent");
	key("Enter");
	wait_free("carewatch: error: invalid risk level 'urgent' (expected low, medium, high or very_high)\n"
		  "Risk level of the concern (low, medium, high or very_high): ", 1);
	type("very");
	key("Tab");
	wait_free("Risk level of the concern (low, medium, high or very_high): very_high", 1);
	key("Enter");
	wait_free("What the concern is about (care_practice, ", 1);
	type("medi");
	key("Tab");
	key("Enter");
	wait_free("Who raised it (", 1);
	type("whistle");
	key("Tab");
	key("Enter");
	wait_free("The concern has a safeguarding element (yes or no) [no]: ", 1);
	type("y");
	key("Enter");
	wait_free("When it was received (YYYY-MM-DD HH:MM, London time) [now]: ", 1);
	type("2024-05-03 18:30");
	key("Enter");
	wait_free("What was reported (kept out of logs): ", 1);
	type("Night staff could not find the MAR charts");
	key("Enter");
	s = wait_for("Record this concern? (yes, no or edit): ", 1);
	assert_non_null(strstr(s, "About to record this concern:\n"
				  "  provider      Ashfield Lodge\n"
				  "  risk          very_high\n"
				  "  category      medication\n"
				  "  source        whistleblower\n"
				  "  safeguarding  yes\n"
				  "  received      2024-05-03 18:30 BST\n"
				  "  summary       Night staff could not find the MAR charts\n"));
	free(s);
	/* Nothing is written before the confirmation. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), 0);
	type("yes");
	key("Enter");
	s = wait_for("[exit ", 1);
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
	start("concern add --risk low --category other", 100, false);
	wait_free("Provider (name or part of it, CQC location ID or UUID): ", 1);
	type("court");            /* a fragment: the provider it found is shown */
	key("Enter");
	wait_free("\n  Birch Court\nWho raised it (", 1);
	type("public");
	key("Enter");
	wait_free("[no]: ", 1);
	key("Enter");
	wait_free("[now]: ", 1);
	key("Enter");
	wait_free("What was reported (kept out of logs): ", 1);
	type("Door left open");
	key("Enter");
	s = wait_for("Record this concern? (yes, no or edit): ", 1);
	assert_null(strstr(s, "Risk level of the concern"));
	assert_non_null(strstr(s, "  risk          low\n  category      other\n"));
	assert_non_null(strstr(s, "  safeguarding  no\n  received      now\n"));
	free(s);
	type("no");
	key("Enter");
	s = wait_for("[exit ", 1);
	assert_non_null(strstr(s, "carewatch: cancelled: nothing recorded\n[exit 1]"));
	free(s);
	/* Ctrl-C in the middle of another kind's form. */
	start("visit add", 100, false);
	wait_free("Provider (", 1);
	type("Birch Court");
	key("Enter");
	wait_free("Routine monitoring, response or PAMMS audit (routine, response or pamms): ", 1);
	key("C-c");
	s = wait_for("[exit ", 1);
	assert_non_null(strstr(s, "carewatch: cancelled: nothing recorded\n[exit 1]"));
	free(s);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), before);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM visit"), 0);
}

static void
test_form_shell_completes_and_survives_a_lost_connection(void **state)
{
	char *s, prompt[128], *table, *end, *save = NULL;
	PGconn *su;
	bool long_row = false;

	(void)state;
	if (!tl_db_available() || !tmux_ok)
		skip();
	snprintf(prompt, sizeof(prompt), "carewatch cwt_fiona@%s> ", dbname);
	start("shell", 100, true);
	wait_free(prompt, 1);
	/* Commands, subcommands, then a provider name with a blank: quoted. */
	type("prov");
	key("Tab");
	type("fi");
	key("Tab");
	type("ashf");
	key("Tab");
	wait_free("> provider find \"Ashfield ", 1);
	type("H");
	key("Tab");
	wait_free("> provider find \"Ashfield House\" ", 1);
	key("Enter");
	wait_free("(1 row)", 1);
	/* A colour terminal: bold headers.  The table is cut to the pane. */
	type("provider list --sort name");
	key("Enter");
	wait_free("(4 rows)", 1);
	s = screen(false, true);
	assert_non_null(strstr(s, "\033[1m"));
	free(s);
	/* The table fits the pane: no line of it (wrapped lines joined) is
	 * wider than 100 columns, and the long name is cut with an ellipsis. */
	s = screen(true, false);
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
	type("concern add Birch --risk low --category other --source public --summary \"Mr Example fell\"");
	key("Enter");
	wait_free("recorded concern ", 1);
	/* The server ends the shell's backend while it waits at the prompt. */
	su = tl_connect("postgres");
	assert_int_equal(tl_count(su, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				      " WHERE usename = 'cwt_fiona'"), 1);
	for (int i = 0; i < 1000 && tl_count(su, "SELECT count(*) FROM pg_stat_activity"
						" WHERE usename = 'cwt_fiona'") > 0; i++)
		usleep(20 * 1000);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_fiona'"), 0);
	type("officer list");
	key("Enter");
	s = wait_for("QA team", 1);
	assert_non_null(strstr(s, "> officer list\ncarewatch: the connection to the database was lost;"
				  " reconnecting\nQA team\n"));
	free(s);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_fiona'"), 1);
	/* And the next command too, on the same new connection. */
	type("worklist --format csv");
	key("Enter");
	wait_free("case,provider,risk,state,opened,due,officer,status", 1);
	assert_int_equal(tl_count(su, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'cwt_fiona'"), 1);
	PQfinish(su);
	/* Ctrl-C while a command waits on the server cancels that statement;
	 * the shell stays, on the same connection.  (A statement's first run
	 * in the session: db.c re-sends one whose PQprepare failed, so a
	 * cancelled second run would wait again -- reported separately.) */
	tl_query1(owner, "BEGIN");
	tl_query1(owner, "LOCK TABLE case_file IN ACCESS EXCLUSIVE MODE");
	type("case list --format csv");
	key("Enter");
	wait_free("> case list --format csv\n", 1);
	usleep(300 * 1000);
	key("C-c");
	wait_free("carewatch: error: canceling statement due to user request\n", 1);
	tl_query1(owner, "ROLLBACK");
	type("case list --format csv");
	key("Enter");
	wait_free("case,provider,risk,state,opened,due,officer,status\n", 2);
	type("quit");
	key("Enter");
	s = wait_for("[exit ", 1);
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
