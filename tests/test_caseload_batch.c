/*
 * test_caseload_batch.c - `carewatch caseload --apply`, `--undo BATCH` and
 * `--batches`, and the api functions behind them
 * (schema/029_caseload_batch.sql).
 *
 * Through the real binary: --apply without --note or (off a terminal)
 * without --yes is refused and writes nothing; with both it makes exactly
 * the moves it printed, as one batch, each move audited; a case that
 * changes between the preview and the answer refuses the whole batch; on a
 * terminal (tmux) the question is asked and only "y" moves anything;
 * --undo puts every assignment back as it was, audited, once; the officer
 * and readonly logins are refused through the binary and over raw libpq; a
 * retry after a connection cut at COMMIT writes once; the note never
 * reaches the server log.
 *
 * Each test has a database of its own (cloned from the migrated template)
 * with the skewed team of test_worklist.c: amy holds 12 cases, ben 3, cat
 * (half time) none, dan is on leave, and one case waits unassigned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static PGconn *owner;
static const char *dbname;

#define MARY "PGUSER=cwb_mary"
#define OLLY "PGUSER=cwb_olly"
#define RITA "PGUSER=cwb_rita"
#define SECRET "Quartzite-Umbrella reason"

static void
sql(const char *q)
{
	(void)tl_query1(owner, q);
}

static void
contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected to find:\n%s\nin:\n%s", needle, hay);
}

static int
db_setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwb", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwb_mary", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwb_olly", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwb_rita", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	owner = tl_connect(NULL);
	free(tl_run_out(TL_ARGV("officer", "add", "amy", "--name", "Amy", "--fte", "1", "--locality", "north"),
			NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "ben", "--name", "Ben", "--fte", "1", "--locality", "north"),
			NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cat", "--name", "Cat", "--fte", "0.5", "--locality",
				"north"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "dan", "--name", "Dan", "--fte", "1", "--locality", "north"),
			NULL, 0));
	sql("INSERT INTO officer_leave (id, login, first_day, last_day) VALUES (gen_random_uuid(), 'dan',"
	    " (now() AT TIME ZONE 'Europe/London')::date - 1, (now() AT TIME ZONE 'Europe/London')::date + 10)");
	sql("INSERT INTO provider (id, name, care_type, locality)"
	    " SELECT gen_random_uuid(), 'Skew ' || g, 'residential', 'north' FROM generate_series(1, 16) g");
	sql("INSERT INTO case_file (id, provider_id, risk, title, opened_at, due_at, assigned_to)"
	    " SELECT gen_random_uuid(), p.id, 'medium', 'Skewed', now() - interval '1 day',"
	    "  now() + interval '5 days',"
	    "  CASE WHEN p.name IN ('Skew 13', 'Skew 14', 'Skew 15') THEN 'ben'"
	    "       WHEN p.name = 'Skew 16' THEN NULL ELSE 'amy' END"
	    " FROM provider p WHERE p.name LIKE 'Skew %' ORDER BY substr(p.name, 6)::int");
	return 0;
}

static int
db_teardown(void **state)
{
	(void)state;
	tl_term_end();          /* a terminal test's pane, even when it failed */
	if (owner)
		PQfinish(owner);
	owner = NULL;
	if (dbname)
		tl_db_drop(dbname);
	dbname = NULL;
	return 0;
}

/* A directory of our own for the terminal tests' panes; whether tmux is
 * there. */
static bool
term_init(void)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/cwt-caseload.%d", (int)getpid());
	return tl_term_init(dir);
}

/* Every case's holder, "number=officer" by number ("" when unassigned). */
static char *
holders(void)
{
	return strdup(tl_query1(owner, "SELECT string_agg(number || '=' || coalesce(assigned_to, ''), ','"
				       " ORDER BY number) FROM case_file"));
}

/* Nothing of a batch anywhere: no batch, no move, no assignment row, no
 * assignment event, and every case held as before. */
static void
nothing_written(const char *before)
{
	char *now = holders();

	assert_string_equal(now, before);
	free(now);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_batch"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_event WHERE kind = 'assigned'"), 0);
}

/* The batches, moves, assignment rows and assignment events there are
 * (every assignment in these tests is a batch's move). */
static void
counts_are(long batches, long moves)
{
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_batch"), batches);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move"), moves);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment"), moves);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_event WHERE kind = 'assigned'"), moves);
}

/* Run q as role over raw libpq (as psql would) and check it is refused
 * with SQLSTATE state and primary message msg. */
static void
sql_refused(const char *role, const char *q, const char *state, const char *msg)
{
	PGconn *c = tl_connect(role);
	PGresult *r = PQexec(c, q);
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	if (st == NULL || strcmp(st, state) != 0 || strcmp(m, msg) != 0)
		fail_msg("%s: %s\nwant %s %s\ngot %s %s", role, q, state, msg, st ? st : "success", m ? m : "");
	PQclear(r);
	PQfinish(c);
}

/* Run the binary expecting exit want, with stderr exactly err_want (NULL:
 * not compared); returns stdout (caller frees). */
static char *
expect(const char *const argv[], const char *env, int want, const char *err_want)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != want || (err_want && strcmp(err, err_want) != 0))
		fail_msg("want exit %d and stderr \"%s\"\ngot exit %d\nstdout: %s\nstderr: %s", want,
			 err_want ? err_want : "(any)", rc, out, err);
	free(err);
	return out;
}

/* "case:from>to;" for each data line of `--format csv` moves (case,
 * provider, locality, risk, weight, from, to). */
static char *
printed_moves(const char *csv)
{
	size_t cap = strlen(csv) + 1, len = 0;
	char *out = calloc(1, cap);
	const char *line = strchr(csv, '\n');

	assert_non_null(out);
	assert_non_null(line);
	for (line++; *line; line = strchr(line, '\n') + 1) {
		char f[7][64];
		int n = sscanf(line, "%63[^,],%63[^,],%63[^,],%63[^,],%63[^,],%63[^,],%63[^\n]", f[0], f[1], f[2],
			       f[3], f[4], f[5], f[6]);
		assert_int_equal(n, 7);
		len += (size_t)snprintf(out + len, cap - len, "%s:%s>%s;", f[0], f[5], f[6]);
		if (strchr(line, '\n') == NULL)
			break;
	}
	return out;
}

/* The same string from what batch recorded. */
static char *
recorded_moves(int batch)
{
	char q[512];

	snprintf(q, sizeof(q),
		 "SELECT string_agg(c.number || ':' || coalesce(m.from_officer, '(unassigned)') || '>'"
		 " || coalesce(m.to_officer, '(unassigned)') || ';', '' ORDER BY c.number)"
		 " FROM caseload_move m JOIN case_file c ON c.id = m.case_id WHERE m.batch_id = %d", batch);
	return strdup(tl_query1(owner, q));
}

static void
test_caseload_batch_apply_needs_a_note_and_yes(void **state)
{
	char *before, *out;

	(void)state;
	if (!tl_db_available())
		skip();
	before = holders();
	/* No --note: a usage error naming it, before anything is read. */
	out = expect(TL_ARGV("caseload", "--apply", "--yes"), MARY, 2,
		     "carewatch: error: missing --note TEXT (why the cases are moved; kept with the batch)\n");
	assert_string_equal(out, "");
	free(out);
	out = expect(TL_ARGV("caseload", "--apply", "--yes", "--note", ""), MARY, 2,
		     "carewatch: error: missing --note TEXT (why the cases are moved; kept with the batch)\n");
	free(out);
	out = expect(TL_ARGV("caseload", "--apply", "--yes", "--note", "bell \x07 here"), MARY, 2,
		     "carewatch: error: note contains a control character (U+0007) at character 6\n");
	free(out);
	/* Piped, without --yes: the moves are shown, then refused. */
	out = expect(TL_ARGV("caseload", "--apply", "--note", "Balancing"), MARY, 2,
		     "carewatch: error: --yes is needed when not on a terminal (nothing was changed)\n"
		     "hint: check the changes printed above, then run the command again with --yes\n");
	contains(out, "Moves to make (");
	assert_null(strstr(out, "moved "));
	free(out);
	/* --yes, --note and --id belong to --apply and --undo. */
	out = expect(TL_ARGV("caseload", "--suggest", "--yes"), MARY, 2,
		     "carewatch: error: --yes is for --apply and --undo\n");
	free(out);
	out = expect(TL_ARGV("caseload", "--note", "x"), MARY, 2,
		     "carewatch: error: --note is for --apply and --undo\n");
	free(out);
	out = expect(TL_ARGV("caseload", "--apply", "--batches"), MARY, 2,
		     "carewatch: error: --batches cannot be combined with --apply\n");
	free(out);
	out = expect(TL_ARGV("caseload", "--apply", "--yes", "--note", "x", "--id", "nope"), MARY, 2,
		     "carewatch: error: invalid --id 'nope' (expected a UUID)\n");
	free(out);
	nothing_written(before);
	free(before);
}

/* --yes --note moves exactly the cases printed, from and to the officers
 * printed, as batch 1; each move has its assignment row (with the note),
 * its 'assigned' event and its audit row, all by the manager. */
static void
test_caseload_batch_apply_moves_exactly_the_printed_moves(void **state)
{
	char *out, *err, *printed, *recorded, *table;
	long n;

	(void)state;
	if (!tl_db_available())
		skip();
	sql("TRUNCATE audit_log");
	assert_int_equal(tl_run(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing after the winter",
					"--format", "csv"), NULL, &out, &err, MARY), 0);
	printed = printed_moves(out);
	recorded = recorded_moves(1);
	assert_string_equal(printed, recorded);
	for (n = 0, table = printed; (table = strchr(table, ';')) != NULL; table++)
		n++;
	assert_true(n >= 6);
	{
		char want[160];
		snprintf(want, sizeof(want), "moved %ld cases as batch 1; each is in its case's history as"
			 " 'rebalance' ('carewatch caseload --undo 1 --note TEXT' moves them back)\n", n);
		assert_string_equal(err, want);
	}
	free(out);
	free(err);
	/* The cases are where the moves put them. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move m JOIN case_file c ON c.id = m.case_id"
					 " WHERE c.assigned_to IS DISTINCT FROM m.to_officer"), 0);
	assert_string_equal(tl_query1(owner, "SELECT made_by || '|' || note || '|' || (undoes IS NULL)"
					     " FROM caseload_batch"), "cwb_mary|Balancing after the winter|true");
	counts_are(1, n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment a JOIN caseload_move m ON m.id = a.id"
					 " WHERE a.reason = 'rebalance' AND a.recorded_by = 'cwb_mary'"
					 " AND a.note = 'Balancing after the winter' AND a.officer = m.to_officer"), n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_event e JOIN caseload_move m"
					 " ON m.case_id = e.case_id AND m.to_officer = e.officer"
					 " WHERE e.kind = 'assigned' AND e.recorded_by = 'cwb_mary'"
					 " AND e.detail = 'rebalance'"), n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'case_file' AND op = 'UPDATE'"
					 " AND role = 'cwb_mary' AND change ? 'assigned_to'"), n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'caseload_batch'"
					 " AND role = 'cwb_mary' AND change->>'note' = '<text, 26 chars>'"), 1);
	/* The case's history says so, with the note. */
	{
		char number[24];
		snprintf(number, sizeof(number), "%s", tl_query1(owner, "SELECT min(c.number) FROM case_file c"
								       " JOIN caseload_move m ON m.case_id = c.id"));
		out = tl_run_out(TL_ARGV("case", "show", number), MARY, 0);
		contains(out, "(rebalance, by cwb_mary): Balancing after the winter");
		free(out);
	}
	/* The table form shows the same moves before making them; balanced
	 * now, a second --apply has nothing to do and writes nothing. */
	out = tl_run_out(TL_ARGV("caseload", "--apply", "--yes", "--note", "Again"), MARY, 0);
	contains(out, "no moves needed: every available officer is within 15% of the mean\nnothing was moved\n");
	free(out);
	counts_are(1, n);
	free(printed);
	free(recorded);
}

/* A case that changes hands or closes after the moves were worked out
 * refuses the whole batch, naming the case: over raw libpq (the moves as
 * the client sends them), and through the binary on a terminal, changed
 * while the question waits. */
static void
test_caseload_batch_case_changed_since_the_preview_is_refused(void **state)
{
	char q[1024], number[24], *before, *screen;

	(void)state;
	if (!tl_db_available())
		skip();
	/* Case 1 is amy's; the client believes it is ben's. */
	sql_refused("cwb_mary", "SELECT * FROM api.caseload_apply(gen_random_uuid(),"
		    " ARRAY[(SELECT id FROM case_file WHERE number = 2), (SELECT id FROM case_file WHERE number = 1)],"
		    " ARRAY['amy', 'ben'], ARRAY['cat', 'cat'], '" SECRET "')",
		    "55000", "case 1 is now held by 'amy', not by 'ben' as shown; nothing was moved");
	/* Case 3 closed. */
	sql("UPDATE case_file SET state = 'closed', closed_at = now() WHERE number = 3");
	before = holders();
	sql_refused("cwb_mary", "SELECT * FROM api.caseload_apply(gen_random_uuid(),"
		    " ARRAY[(SELECT id FROM case_file WHERE number = 2), (SELECT id FROM case_file WHERE number = 3)],"
		    " ARRAY['amy', 'amy'], ARRAY['cat', 'cat'], '" SECRET "')",
		    "55000", "case 3 was closed after the moves were shown; nothing was moved");
	nothing_written(before);

	/* On a terminal: the question waits while a colleague reassigns the
	 * first case of the preview; "y" is then refused, exit 7. */
	if (!term_init()) {
		free(before);
		return;
	}
	{
		/* The first move from amy, as --suggest shows it (the same data
		 * gives the same moves). */
		char *csv = tl_run_out(TL_ARGV("caseload", "--suggest", "--format", "csv"), MARY, 0);
		char *moves = printed_moves(csv), *amy = strstr(moves, ":amy>"), *start = amy;

		assert_non_null(amy);
		while (start > moves && start[-1] != ';')
			start--;
		snprintf(number, sizeof(number), "%.*s", (int)(amy - start), start);
		free(csv);
		free(moves);
	}
	tl_term_start("cwb_mary", "caseload --apply --note 'Balancing'", 200, false);
	screen = tl_wait_for("? [y/N] ", 1);
	free(screen);
	snprintf(q, sizeof(q), "UPDATE case_file SET assigned_to = 'ben' WHERE number = %s", number);
	sql(q);
	free(before);
	before = holders();
	tl_type("y");
	tl_key("Enter");
	screen = tl_wait_for("[exit 7]", 1);
	snprintf(q, sizeof(q), "carewatch: error: case %s is now held by 'ben', not by 'amy' as shown;"
		 " nothing was moved", number);
	contains(screen, q);
	contains(screen, "hint: run the command again to see the moves as they are now");
	free(screen);
	nothing_written(before);
	assert_false(tl_server_log_contains("Quartzite-Umbrella"));
	free(before);
}

/* On a terminal the question is asked: anything but y or yes moves
 * nothing; "yes" moves them. */
static void
test_caseload_batch_terminal_asks_before_moving(void **state)
{
	char *before, *screen;

	(void)state;
	if (!tl_db_available())
		skip();
	if (!term_init())
		skip();
	before = holders();
	tl_term_start("cwb_mary", "caseload --apply --note 'Balancing'", 200, false);
	tl_wait_free("Move these ", 1);
	tl_type("n");
	tl_key("Enter");
	screen = tl_wait_for("[exit 0]", 1);
	contains(screen, "cases? [y/N] n\nnothing was moved\n");
	free(screen);
	nothing_written(before);
	tl_term_start("cwb_mary", "caseload --apply --note 'Balancing'", 200, false);
	tl_wait_free("Move these ", 1);
	tl_type("yes");
	tl_key("Enter");
	screen = tl_wait_for("[exit 0]", 1);
	contains(screen, "cases as batch 1; each is in its case's history as 'rebalance'");
	free(screen);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_batch"), 1);
	free(before);
}

/* --apply then --undo leaves every assignment as it was (the queued case
 * back in the queue), each move audited both ways; undoing twice, or a
 * batch that is not there, is refused; --batches lists both. */
static void
test_caseload_batch_undo_restores_every_assignment(void **state)
{
	char *before, *after, *out;
	long n;

	(void)state;
	if (!tl_db_available())
		skip();
	before = holders();
	free(tl_run_out(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing"), MARY, 0));
	n = tl_count(owner, "SELECT count(*) FROM caseload_move");
	assert_true(n >= 6);
	/* The unassigned case was placed. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move WHERE from_officer IS NULL"), 1);
	after = holders();
	assert_string_not_equal(after, before);

	/* Without --yes off a terminal: shown, refused, nothing moved. */
	out = expect(TL_ARGV("caseload", "--undo", "1", "--note", "Dan is back"), MARY, 2,
		     "carewatch: error: --yes is needed when not on a terminal (nothing was changed)\n"
		     "hint: check the changes printed above, then run the command again with --yes\n");
	contains(out, "Moves back of batch 1 (");
	contains(out, "(unassigned)");
	free(out);
	out = expect(TL_ARGV("caseload", "--undo", "1", "--yes"), MARY, 2,
		     "carewatch: error: missing --note TEXT (why the moves are undone; kept with the batch)\n");
	free(out);
	{
		char *now = holders();
		assert_string_equal(now, after);
		free(now);
	}
	counts_are(1, n);

	sql("TRUNCATE audit_log");
	out = tl_run_out(TL_ARGV("caseload", "--undo", "1", "--note", "Dan is back", "--yes"), MARY, 0);
	{
		char want[96];
		snprintf(want, sizeof(want), "moved %ld cases back as batch 2, which undoes batch 1\n", n);
		contains(out, want);
	}
	free(out);
	{
		char *now = holders();
		assert_string_equal(now, before);
		free(now);
	}
	/* Each case moved twice: two assignment rows and two events, by the
	 * manager; the queued case went back with reason 'unassigned'. */
	counts_are(2, 2 * n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM (SELECT case_id FROM case_event"
					 " WHERE kind = 'assigned' AND recorded_by = 'cwb_mary'"
					 " GROUP BY case_id HAVING count(*) = 2) t"), n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_event WHERE kind = 'assigned'"
					 " AND officer IS NULL AND detail = 'unassigned' AND note = 'Dan is back'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'case_file' AND op = 'UPDATE'"
					 " AND role = 'cwb_mary' AND change ? 'assigned_to'"), n);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move m JOIN caseload_move o"
					 " ON o.case_id = m.case_id AND o.batch_id = 1"
					 " WHERE m.batch_id = 2 AND m.from_officer = o.to_officer"
					 " AND m.to_officer IS NOT DISTINCT FROM o.from_officer"), n);

	/* Twice: refused, naming the undo; nothing written. */
	out = expect(TL_ARGV("caseload", "--undo", "1", "--note", "Again", "--yes"), MARY, 7,
		     "carewatch: error: batch 1 was already undone by batch 2\n");
	assert_string_equal(out, "");
	free(out);
	out = expect(TL_ARGV("caseload", "--undo", "9", "--note", "Again", "--yes"), MARY, 5,
		     "carewatch: error: no caseload batch 9\n");
	free(out);
	out = expect(TL_ARGV("caseload", "--undo", "first", "--note", "Again", "--yes"), MARY, 2,
		     "carewatch: error: invalid --undo 'first' (expected a batch number)\n"
		     "hint: 'carewatch caseload --batches' lists them\n");
	free(out);
	counts_are(2, 2 * n);

	/* The list: number, when, who, moves, what undoes what; the note only
	 * for those who read free text. */
	out = tl_run_out(TL_ARGV("caseload", "--batches", "--format", "csv"), MARY, 0);
	contains(out, "batch,made_at,made_by,moves,undoes,undone_by,note\n1,");
	{
		char want[96];
		snprintf(want, sizeof(want), ",cwb_mary,%ld,,2,Balancing\n2,", n);
		contains(out, want);
		snprintf(want, sizeof(want), ",cwb_mary,%ld,1,,Dan is back\n", n);
		contains(out, want);
	}
	free(out);
	out = tl_run_out(TL_ARGV("caseload", "--batches", "--format", "csv"), RITA, 0);
	contains(out, "batch,made_at,made_by,moves,undoes,undone_by\n1,");
	assert_null(strstr(out, "Balancing"));
	free(out);
	out = tl_run_out(TL_ARGV("caseload", "--batches"), OLLY, 0);
	contains(out, "2 batches; 'carewatch caseload --undo N --note TEXT' moves a batch's cases back");
	free(out);
	free(before);
	free(after);
}

/* An undo refuses, naming the first case that changed, when one of the
 * batch's cases was closed or moved since; nothing moves back. */
static void
test_caseload_batch_undo_refused_when_a_case_changed(void **state)
{
	char number[24], want[256], *after, *out;
	long n;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing"), MARY, 0));
	n = tl_count(owner, "SELECT count(*) FROM caseload_move");
	/* One moved case reassigned by hand to dan's colleague cat... */
	snprintf(number, sizeof(number), "%s",
		 tl_query1(owner, "SELECT max(c.number) FROM case_file c JOIN caseload_move m ON m.case_id = c.id"
				  " WHERE m.to_officer = 'ben'"));
	free(tl_run_out(TL_ARGV("case", "assign", number, "--officer", "cat"), MARY, 0));
	after = holders();
	snprintf(want, sizeof(want), "carewatch: error: case %s was moved after batch 1 (it is now held by"
		 " 'cat'); nothing was moved back\n",
		 number);
	out = expect(TL_ARGV("caseload", "--undo", "1", "--note", SECRET, "--yes"), MARY, 7, want);
	assert_string_equal(out, "");
	free(out);
	/* ...and another closed. */
	snprintf(number, sizeof(number), "%s",
		 tl_query1(owner, "SELECT min(c.number) FROM case_file c JOIN caseload_move m ON m.case_id = c.id"));
	free(tl_run_out(TL_ARGV("case", "close", number, "--note", "Resolved"), MARY, 0));
	free(after);
	after = holders();
	snprintf(want, sizeof(want), "carewatch: error: case %s was closed after batch 1; nothing was moved"
		 " back\n", number);
	out = expect(TL_ARGV("caseload", "--undo", "1", "--note", SECRET, "--yes"), MARY, 7, want);
	free(out);
	{
		char *now = holders();
		assert_string_equal(now, after);
		free(now);
	}
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_batch"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move"), n);
	assert_false(tl_server_log_contains("Quartzite-Umbrella"));
	free(after);
}

/* Officers and readonly logins may look but not move: refused through the
 * binary before anything is read, and over raw libpq by the functions
 * themselves; nobody writes the tables but the functions; readonly reads
 * no note. */
static void
test_caseload_batch_only_the_manager_moves_cases(void **state)
{
	static const char *const apply_sql =
		"SELECT * FROM api.caseload_apply(gen_random_uuid(), ARRAY[(SELECT id FROM case_file"
		" WHERE number = 1)], ARRAY['amy'], ARRAY['cat'], '" SECRET "')";
	static const char *const undo_sql = "SELECT * FROM api.caseload_undo(gen_random_uuid(), 1, '" SECRET "')";
	const struct {
		const char *role, *sql, *state, *msg;
	} refused[] = {
		{"cwb_olly", apply_sql, "42501", "moving cases is for the quality manager"},
		{"cwb_rita", apply_sql, "42501", "moving cases is for the quality manager"},
		{"cwb_olly", undo_sql, "42501", "undoing moved cases is for the quality manager"},
		{"cwb_rita", undo_sql, "42501", "undoing moved cases is for the quality manager"},
		{"cwb_mary", "INSERT INTO caseload_batch (request_id, note) VALUES (gen_random_uuid(), 'x')", "42501",
		 "permission denied for table caseload_batch"},
		{"cwb_mary", "UPDATE caseload_move SET to_officer = 'amy'", "42501",
		 "permission denied for table caseload_move"},
		{"cwb_mary", "DELETE FROM caseload_batch", "42501", "permission denied for table caseload_batch"},
		{"cwb_rita", "SELECT note FROM caseload_batch", "42501", "permission denied for table caseload_batch"},
		{"cwb_mary", "SELECT api.caseload_changed(ARRAY[]::uuid[], ARRAY[]::text[])", "42501",
		 "permission denied for function caseload_changed"},
		/* a manager's wrong values */
		{"cwb_mary", "SELECT * FROM api.caseload_apply(gen_random_uuid(), ARRAY[]::uuid[], ARRAY[]::text[],"
			     " ARRAY[]::text[], 'n')", "22023", "no moves to make"},
		{"cwb_mary", "SELECT * FROM api.caseload_apply(gen_random_uuid(), ARRAY[(SELECT id FROM case_file"
			     " WHERE number = 1)], ARRAY['amy'], ARRAY['cat'], NULL)", "22023",
		 "a note saying why the cases are moved is required"},
		{"cwb_mary", "SELECT * FROM api.caseload_apply(gen_random_uuid(), ARRAY[(SELECT id FROM case_file"
			     " WHERE number = 1), (SELECT id FROM case_file WHERE number = 1)], ARRAY['amy', 'amy'],"
			     " ARRAY['cat', 'ben'], 'n')", "22023", "a case appears twice in the moves"},
		{"cwb_mary", "SELECT * FROM api.caseload_apply(gen_random_uuid(), ARRAY[(SELECT id FROM case_file"
			     " WHERE number = 1)], ARRAY['amy'], ARRAY['dan_not_here'], 'n')", "P0002",
		 "a case can only go to an active officer"},
		{"cwb_mary", "SELECT * FROM api.caseload_undo(gen_random_uuid(), 42, 'n')", "P0002",
		 "no caseload batch 42"},
	};
	char *before, *out;

	(void)state;
	if (!tl_db_available())
		skip();
	before = holders();
	out = expect(TL_ARGV("caseload", "--apply", "--yes", "--note", SECRET), OLLY, 4,
		     "carewatch: error: only a quality manager may move cases (role cwb_olly)\n"
		     "hint: 'carewatch caseload --suggest' shows the moves without making them\n");
	assert_string_equal(out, "");
	free(out);
	out = expect(TL_ARGV("caseload", "--apply", "--yes", "--note", SECRET), RITA, 4,
		     "carewatch: error: only a quality manager may move cases (role cwb_rita)\n"
		     "hint: 'carewatch caseload --suggest' shows the moves without making them\n");
	free(out);
	out = expect(TL_ARGV("caseload", "--undo", "1", "--yes", "--note", SECRET), OLLY, 4,
		     "carewatch: error: undoing moved cases is for the quality manager\n");
	assert_string_equal(out, "");
	free(out);
	out = expect(TL_ARGV("caseload", "--undo", "1", "--yes", "--note", SECRET), RITA, 4,
		     "carewatch: error: undoing moved cases is for the quality manager\n");
	free(out);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		sql_refused(refused[i].role, refused[i].sql, refused[i].state, refused[i].msg);
	nothing_written(before);
	/* What readonly may read of a batch: all but the note. */
	free(tl_run_out(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing"), MARY, 0));
	{
		PGconn *c = tl_connect("cwb_rita");
		long moves = tl_count(owner, "SELECT count(*) FROM caseload_move");
		assert_string_equal(tl_query1(c, "SELECT made_by FROM caseload_batch"), "cwb_mary");
		assert_true(moves > 0);
		assert_int_equal(tl_count(c, "SELECT count(*) FROM caseload_move"), moves);
		PQfinish(c);
	}
	assert_false(tl_server_log_contains("Quartzite-Umbrella"));
	free(before);
}

/* The connection cut after COMMIT (test build hook): the client reconnects
 * and retries with the same request id, which finds its batch; the moves
 * are made once.  A re-run with the same --id writes nothing either. */
static void
test_caseload_batch_retry_after_lost_commit_writes_once(void **state)
{
	const char *apply_id = "88888888-8888-4888-8888-888888888888";
	const char *undo_id = "99999999-9999-4999-8999-999999999999";
	char *before, *out, want[160];
	long n;

	(void)state;
	if (!tl_db_available())
		skip();
	before = holders();
	setenv("CW_TEST_DROP_AFTER_COMMIT", "1", 1);
	out = tl_run_out(TL_ARGV("caseload", "--apply", "--yes", "--note", "Balancing", "--id", apply_id), MARY, 0);
	unsetenv("CW_TEST_DROP_AFTER_COMMIT");
	n = tl_count(owner, "SELECT count(*) FROM caseload_move");
	snprintf(want, sizeof(want), "already recorded: batch 1 moved %ld cases (nothing written)\n", n);
	contains(out, want);
	free(out);
	counts_are(1, n);

	setenv("CW_TEST_DROP_AFTER_COMMIT", "1", 1);
	out = tl_run_out(TL_ARGV("caseload", "--undo", "1", "--yes", "--note", "Undone", "--id", undo_id), MARY, 0);
	unsetenv("CW_TEST_DROP_AFTER_COMMIT");
	snprintf(want, sizeof(want), "already recorded: batch 2 moved the %ld cases of batch 1 back"
		 " (nothing written)\n", n);
	contains(out, want);
	free(out);
	counts_are(2, 2 * n);
	/* Run again by hand with the same id: answered, nothing written. */
	out = tl_run_out(TL_ARGV("caseload", "--undo", "1", "--yes", "--note", "Undone", "--id", undo_id), MARY, 0);
	assert_string_equal(out, want);
	free(out);
	/* The same id for other content is refused. */
	out = expect(TL_ARGV("caseload", "--undo", "1", "--yes", "--note", "Other words", "--id", undo_id), MARY, 7,
		     NULL);
	free(out);
	counts_are(2, 2 * n);
	{
		char *now = holders();
		assert_string_equal(now, before);
		free(now);
	}
	free(before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caseload_batch_apply_needs_a_note_and_yes, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_apply_moves_exactly_the_printed_moves, db_setup,
						db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_case_changed_since_the_preview_is_refused,
						db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_terminal_asks_before_moving, db_setup,
						db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_undo_restores_every_assignment, db_setup,
						db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_undo_refused_when_a_case_changed, db_setup,
						db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_only_the_manager_moves_cases, db_setup,
						db_teardown),
		cmocka_unit_test_setup_teardown(test_caseload_batch_retry_after_lost_commit_writes_once, db_setup,
						db_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
