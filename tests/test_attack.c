/*
 * test_attack.c - the database is the trust boundary: each attack of issue 12
 * made as an attacker would, over raw libpq as the officer, manager, batch
 * and readonly logins, or with the client and the flags shown.
 *
 * Each test asserts the attack is refused with a clear message, that
 * nothing changed, and that the refusal left none of the attacker's free
 * text in the server log.  Every api function is also called by a wrong
 * caller and in a wrong state.  (The connection agent's attacks are gone
 * with the agent; the nightly's, the imports' and the text-safety attacks
 * have tests beside their modules.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define OFFICER "PGUSER=cwt_atk_off"
#define OTHER "PGUSER=cwt_atk_oth"
#define MANAGER "PGUSER=cwt_atk_mgr"

static const char *dbname;
static PGconn *owner;
static char case_off[40], case_oth[40];          /* case ids, one per officer */
static char flag_id[40];

/* A statement as a role: its SQLSTATE ("" for success) in a static buffer. */
static const char *
attempt(const char *role, const char *sql)
{
	static char state[8];
	PGconn *c = tl_connect(role);
	PGresult *r = PQexec(c, sql);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(state, sizeof(state), "%s", s ? s : "");
	PQclear(r);
	PQfinish(c);
	return state;
}

/* As attempt(), also returning the primary message (static). */
static const char *
attempt_msg(const char *role, const char *sql, const char **msg)
{
	static char state[8], text[512];
	PGconn *c = tl_connect(role);
	PGresult *r = PQexec(c, sql);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	snprintf(state, sizeof(state), "%s", s ? s : "");
	snprintf(text, sizeof(text), "%s", m ? m : "");
	*msg = text;
	PQclear(r);
	PQfinish(c);
	return state;
}

static bool
server_log_has(const char *needle)
{
	const char *path = getenv("CW_SERVER_LOG");
	FILE *f;
	char line[8192];
	bool found = false;

	assert_non_null(path);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void
sql_ok(const char *sql)
{
	tl_query1(owner, sql);
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_attack", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_atk_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_atk_oth", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_atk_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_atk_bat", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_atk_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_atk_off", "--name", "Atk Officer", "--fte", "1",
			     "--locality", "north"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_atk_oth", "--name", "Other Officer", "--fte", "1",
			     "--locality", "south"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Oak House", "--care-type", "residential",
			     "--locality", "north", "--id", "66666666-6666-4666-8666-666666666666"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Pine Lodge", "--care-type", "nursing",
			     "--locality", "south", "--id", "77777777-7777-4777-8777-777777777777"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Oak House", "--risk", "high", "--category", "staffing",
			     "--source", "public", "--note", "Seed concern at Oak",
			     "--received", "2026-01-05 10:00"), OFFICER, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Pine Lodge", "--risk", "high", "--category", "staffing",
			     "--source", "public", "--note", "Seed concern at Pine",
			     "--received", "2026-01-05 10:00"), OTHER, 0));
	owner = tl_connect(NULL);
	snprintf(case_off, sizeof(case_off), "%s",
		 tl_query1(owner, "SELECT id FROM case_file WHERE assigned_to = 'cwt_atk_off'"));
	snprintf(case_oth, sizeof(case_oth), "%s",
		 tl_query1(owner, "SELECT id FROM case_file WHERE assigned_to = 'cwt_atk_oth'"));
	/* An open placement-restriction flag, as the nightly would raise it. */
	sql_ok("INSERT INTO restriction_flag (id, provider_id, as_of, score, band, reasons,"
	       " recorded_by, recorded_at) VALUES ('88888888-8888-4888-8888-888888888888',"
	       " '66666666-6666-4666-8666-666666666666', now(), 200, 'very_high', 'score', 'x', now())");
	snprintf(flag_id, sizeof(flag_id), "88888888-8888-4888-8888-888888888888");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* 1. Forged scores: no person's login writes a score row or the current
 * score, and nothing changes. */
static void
test_attack_forged_scores_are_refused(void **state)
{
	static const char *const roles[] = {"cwt_atk_off", "cwt_atk_mgr", "cwt_atk_ro"};
	long scores, current;

	(void)state;
	if (!tl_db_available())
		skip();
	scores = tl_count(owner, "SELECT count(*) FROM provider_score");
	current = tl_count(owner, "SELECT count(*) FROM provider_current_score");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		assert_string_equal(attempt(roles[i],
			"INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score,"
			" band, flag, detail, cause) SELECT '66666666-6666-4666-8666-666666666666', now(),"
			" name, hash, 0, 'low', false, '{}', 'record' FROM ruleset"), "42501");
		assert_string_equal(attempt(roles[i],
			"INSERT INTO provider_current_score (provider_id, score_id, score, band, flag, as_of,"
			" updated_at) SELECT provider_id, id, 0, 'low', false, now(), now()"
			" FROM provider_score LIMIT 1"), "42501");
		assert_string_equal(attempt(roles[i], "UPDATE provider_current_score SET band = 'low'"),
				    "42501");
		assert_string_equal(attempt(roles[i], "DELETE FROM provider_score"), "42501");
		assert_string_equal(attempt(roles[i], "DELETE FROM score_queue"), "42501");
	}
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), scores);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_current_score"), current);
	/* Recording puts the provider on the scorer's queue instead. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue WHERE provider_id ="
				     " '66666666-6666-4666-8666-666666666666'"), 1);
}

/* 2. Rewritten casework: no UPDATE or INSERT on cases for people; the
 * functions refuse another officer's case, a hand assignment by an officer,
 * a closed case and a response before the case opened. */
static void
test_attack_casework_cannot_be_rewritten(void **state)
{
	char sql[512];
	const char *msg;
	long responses, assignments;

	(void)state;
	if (!tl_db_available())
		skip();
	responses = tl_count(owner, "SELECT count(*) FROM case_response");
	assignments = tl_count(owner, "SELECT count(*) FROM case_assignment");
	assert_string_equal(attempt("cwt_atk_off", "UPDATE case_file SET responded_at = opened_at"), "42501");
	assert_string_equal(attempt("cwt_atk_off", "UPDATE case_file SET closure_note = 'rewritten'"), "42501");
	assert_string_equal(attempt("cwt_atk_mgr", "UPDATE case_file SET assigned_to = 'cwt_atk_off'"), "42501");
	assert_string_equal(attempt("cwt_atk_off",
		"INSERT INTO case_file (id, provider_id, risk, title, opened_at, assigned_to)"
		" VALUES (gen_random_uuid(), '77777777-7777-4777-8777-777777777777', 'high', 't', now(),"
		" 'cwt_atk_oth')"), "42501");
	assert_string_equal(attempt("cwt_atk_off",
		"INSERT INTO case_assignment (id, case_id, officer, reason) SELECT gen_random_uuid(), id,"
		" 'cwt_atk_oth', 'manual' FROM case_file"), "42501");
	/* A colleague's case through the functions. */
	snprintf(sql, sizeof(sql), "SELECT api.case_respond(gen_random_uuid(), '%s', now(), 'phone',"
		 " 'Forged response text')", case_oth);
	assert_string_equal(attempt_msg("cwt_atk_off", sql, &msg), "42501");
	assert_string_equal(msg, "case 2 is assigned to 'cwt_atk_oth'; responding to a case is for its"
				 " officer or the quality manager");
	snprintf(sql, sizeof(sql), "SELECT api.case_close('%s', 'Forged closure text')", case_oth);
	assert_string_equal(attempt_msg("cwt_atk_off", sql, &msg), "42501");
	/* A hand assignment needs the manager. */
	snprintf(sql, sizeof(sql), "SELECT api.case_assign(ARRAY[gen_random_uuid()], ARRAY['%s'::uuid],"
		 " ARRAY['cwt_atk_oth'], ARRAY['cwt_atk_off'], 'manual')", case_oth);
	assert_string_equal(attempt_msg("cwt_atk_off", sql, &msg), "42501");
	assert_string_equal(msg, "assigning cases is for the quality manager");
	/* Opening a case for a colleague's concern, assigned by hand. */
	assert_string_equal(attempt_msg("cwt_atk_off",
		"SELECT api.case_open(gen_random_uuid(), c.id, 't', now(), 'cwt_atk_oth',"
		" gen_random_uuid(), 'manual') FROM concern c WHERE c.recorded_by = 'cwt_atk_oth'", &msg),
		"42501");
	assert_string_equal(msg, "a case is opened by the officer who recorded its concern");
	/* The client: a response before the case opened is refused as input. */
	{
		char *out, *err;
		const char *num = tl_query1(owner, "SELECT number FROM case_file WHERE assigned_to = 'cwt_atk_off'");
		char n[16];
		snprintf(n, sizeof(n), "%s", num);
		assert_int_equal(tl_run(TL_ARGV("case", "respond", n, "--kind", "phone", "--at",
						"2025-12-01 09:00", "--note", "Backdated response words"),
					NULL, &out, &err, OFFICER), 2);
		assert_string_equal(err, "carewatch: error: the response time is before case 1 was opened\n");
		free(out);
		free(err);
		assert_false(server_log_has("Backdated response words"));
	}
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_response"), responses);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_assignment"), assignments);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE state <> 'open'"), 0);
	assert_false(server_log_has("Forged response text"));
	assert_false(server_log_has("Forged closure text"));
}

/* 3. Readonly (and batch) never read a manager's decision note or any
 * other free text. */
static void
test_attack_readonly_reads_no_free_text(void **state)
{
	static const char *const sql[] = {
		"SELECT decision_note FROM restriction_flag",
		"SELECT * FROM restriction_flag",
		"SELECT summary FROM concern",
		"SELECT closure_note FROM case_file",
		"SELECT note FROM case_response",
		"SELECT reason FROM restriction",
		"SELECT * FROM audit_log",
		"SELECT note FROM closure_day_removal",
		"SELECT note FROM caseload_batch",
	};
	/* Every column a readonly login can read whose name says it holds
	 * what a person wrote, and why each is not a person's words: the rules
	 * files (configuration), an assignment's reason (a vocabulary word:
	 * 'rebalance', 'leave', ...), and a closure day's reason ("Christmas
	 * Day"), which the council publishes. */
	static const char free_text[] =
		"SELECT coalesce(string_agg(table_name || '.' || column_name, ' '"
		"                           ORDER BY table_name, column_name), '')"
		"  FROM information_schema.columns"
		" WHERE table_schema = 'public' AND data_type = 'text'"
		"   AND column_name ~ '(^|_)(note|notes|summary|reason|comment|text|body)$'"
		"   AND has_column_privilege('cwt_atk_ro', format('%I', table_name), column_name, 'SELECT')";

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		assert_string_equal(attempt("cwt_atk_ro", sql[i]), "42501");
		assert_string_equal(attempt("cwt_atk_bat", sql[i]), "42501");
	}
	assert_string_equal(tl_query1(owner, free_text),
			    "active_ruleset.body case_assignment.reason closure_day.reason"
			    " closure_day_removal.reason ruleset.body");
	/* What reports need stays readable. */
	assert_string_equal(attempt("cwt_atk_ro", "SELECT number, state, band, decided_by FROM restriction_flag"), "");
}

/* 4. No lock a reader can take blocks a writer: a readonly login holding
 * every advisory key the first version used does not stop an officer's
 * concern, and it cannot take the application's row locks. */
static void
test_attack_reader_locks_block_no_writer(void **state)
{
	static const char *const keys[] = {"4242001", "4242002", "4242003", "4242004", "4242005"};
	PGconn *ro = tl_connect("cwt_atk_ro");
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char sql[64];
		PGresult *r;
		snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%s)", keys[i]);
		r = PQexec(ro, sql);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		PQclear(r);
	}
	/* lock_timeout: a regression fails here instead of hanging. */
	sql_ok("ALTER ROLE cwt_atk_off SET lock_timeout = '20s'");
	out = tl_run_out(TL_ARGV("concern", "add", "Oak House", "--risk", "medium", "--category", "other",
				 "--source", "public", "--note", "Written under a reader's locks"),
			 OFFICER, 0);
	sql_ok("ALTER ROLE cwt_atk_off RESET lock_timeout");
	assert_non_null(strstr(out, "recorded concern"));
	free(out);
	PQfinish(ro);
	assert_string_equal(attempt("cwt_atk_ro", "SELECT api.lock_take('assign')"), "42501");
	assert_string_equal(attempt("cwt_atk_ro", "SELECT api.lock_take('nightly', false)"), "42501");
	assert_string_equal(attempt("cwt_atk_off", "SELECT api.lock_take('import')"), "42501");
	assert_string_equal(attempt("cwt_atk_ro", "SELECT * FROM app_lock FOR UPDATE"), "42501");
	assert_string_equal(attempt("cwt_atk_ro", "SELECT * FROM case_file FOR SHARE"), "42501");
	assert_string_equal(attempt("cwt_atk_ro", "BEGIN; LOCK TABLE case_file IN SHARE MODE; COMMIT"), "42501");
}

/* 8. The same --id with other content: exit 7 naming the fields; nothing
 * written.  The same content again is still "already recorded". */
static void
test_attack_changed_retry_is_refused(void **state)
{
	const char *id = "99999999-9999-4999-8999-999999999999";
	char *out, *err;
	long concerns;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("visit", "add", "Oak House", "--kind", "routine", "--outcome",
				 "no_concerns", "--note", "All well", "--id", id), OFFICER, 0);
	free(out);
	out = tl_run_out(TL_ARGV("visit", "add", "Oak House", "--kind", "routine", "--outcome",
				 "no_concerns", "--note", "All well", "--id", id), OFFICER, 0);
	assert_non_null(strstr(out, "already recorded"));
	free(out);
	assert_int_equal(tl_run(TL_ARGV("visit", "add", "Pine Lodge", "--kind", "routine", "--outcome",
					"serious_concerns", "--note", "All well", "--id", id),
				NULL, &out, &err, OFFICER), 7);
	assert_string_equal(err, "carewatch: error: visit 99999999-9999-4999-8999-999999999999 is already"
				 " recorded with different content: provider, outcome\n"
				 "detail: nothing was written\n"
				 "hint: a retry repeats the same values; for a new record give a new --id (or none)\n");
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_string_equal(tl_query1(owner, "SELECT outcome FROM visit WHERE id = '99999999-9999-4999-8999-999999999999'"),
			    "no_concerns");
	/* A concern given again with another risk level. */
	concerns = tl_count(owner, "SELECT count(*) FROM concern");
	free(tl_run_out(TL_ARGV("concern", "add", "Oak House", "--risk", "low", "--category", "other",
				"--source", "public", "--note", "First words",
				"--id", "99999999-0000-4999-8999-999999999999"), OFFICER, 0));
	assert_int_equal(tl_run(TL_ARGV("concern", "add", "Oak House", "--risk", "very_high", "--category",
					"other", "--source", "public", "--note", "Other words",
					"--id", "99999999-0000-4999-8999-999999999999"),
				NULL, &out, &err, OFFICER), 7);
	assert_true(strncmp(err, "carewatch: error: concern 99999999-0000-4999-8999-999999999999 is already"
				 " recorded with different content: risk, summary\n", 104) == 0);
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), concerns + 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE concern_id ="
				     " '99999999-0000-4999-8999-999999999999' AND risk = 'low'"), 1);
}

/* Also found: a decision note in the audit log verbatim, a decider named by
 * a parameter.  The decision is the session user's and its note is
 * audited by length. */
static void
test_attack_flag_decisions_are_the_managers_own(void **state)
{
	char sql[512];
	const char *msg;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(sql, sizeof(sql), "SELECT api.flag_decide('%s', false, 'Officer decides', NULL, NULL, NULL)",
		 flag_id);
	assert_string_equal(attempt_msg("cwt_atk_off", sql, &msg), "42501");
	assert_string_equal(msg, "flag decisions are for the quality manager");
	assert_string_equal(attempt("cwt_atk_mgr", "UPDATE restriction_flag SET decided_by = 'someone_else'"),
			    "42501");
	out = tl_run_out(TL_ARGV("flag", "dismiss", "1", "--note", "Named person said confidential words"),
			 MANAGER, 0);
	assert_string_equal(out, "dismissed flag 1\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT decided_by || ' ' || state FROM restriction_flag"),
			    "cwt_atk_mgr dismissed");
	assert_string_equal(tl_query1(owner, "SELECT change -> 'decision_note' ->> 'new' FROM audit_log"
					     " WHERE tbl = 'restriction_flag' AND op = 'UPDATE'"),
			    "<text, 36 chars>");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE change::text LIKE '%confidential%'"), 0);
	/* Decided once: a second decision is refused by state. */
	assert_string_equal(attempt_msg("cwt_atk_mgr", sql, &msg), "55000");
	assert_string_equal(msg, "flag 1 is already dismissed");
	assert_false(server_log_has("confidential words"));
	assert_false(server_log_has("Officer decides"));
}

/* Every write function, called by a wrong caller and in a wrong state. */
static void
test_attack_every_function_checks_caller_and_state(void **state)
{
	char sql[600];
	const struct {
		const char *role, *sql, *state;
	} wrong[] = {
		/* wrong caller */
		{"cwt_atk_ro", "SELECT api.officer_set('x_y', 'N', 1, 'qa_officer', '{north}')", "42501"},
		{"cwt_atk_off", "SELECT api.officer_set('x_y', 'N', 1, 'qa_officer', '{north}')", "42501"},
		{"cwt_atk_off", "SELECT api.officer_leave_add(gen_random_uuid(), 'cwt_atk_oth', current_date,"
				" current_date)", "42501"},
		{"cwt_atk_ro", "SELECT api.month_end_record('2026-01-01')", "42501"},
		{"cwt_atk_off", "SELECT api.month_end_record('2026-01-01')", "42501"},
		{"cwt_atk_ro", "SELECT api.restriction_lift(gen_random_uuid(), gen_random_uuid(), current_date,"
			       " NULL)", "42501"},
		{"cwt_atk_bat", "SELECT api.case_close(id, 'Batch closes') FROM case_file", "42501"},
		{"cwt_atk_ro", "SELECT api.case_open(gen_random_uuid(), id, 't', NULL, NULL, gen_random_uuid(),"
			       " 'unassigned') FROM concern", "42501"},
		{"cwt_atk_off", "SELECT api.caseload_apply(gen_random_uuid(), ARRAY[id], ARRAY[assigned_to],"
				" ARRAY['cwt_atk_oth'], 'Officer moves') FROM case_file LIMIT 1", "42501"},
		{"cwt_atk_bat", "SELECT * FROM api.caseload_undo(gen_random_uuid(), 1, 'Batch undoes')", "42501"},
		/* wrong state or value */
		{"cwt_atk_mgr", "SELECT api.officer_leave_add(gen_random_uuid(), 'cwt_atk_oth', current_date,"
				" current_date - 1)", "22023"},
		{"cwt_atk_mgr", "SELECT api.officer_leave_add(gen_random_uuid(), 'nobody_here', current_date,"
				" current_date)", "P0002"},
		{"cwt_atk_mgr", "SELECT api.month_end_record(date_trunc('month', now())::date)", "22023"},
		{"cwt_atk_mgr", "SELECT api.officer_set('x_y', 'N', 1.5, 'qa_officer', '{north}')", "22023"},
		{"cwt_atk_mgr", "SELECT api.officer_set('x_y', 'N', 1, 'qa_officer', '{atlantis}')", "P0002"},
		{"cwt_atk_mgr", "SELECT api.case_assign(ARRAY[gen_random_uuid()], ARRAY[id], ARRAY[assigned_to],"
				" ARRAY['no_such_officer'], 'manual') FROM case_file LIMIT 1", "P0002"},
		{"cwt_atk_off", "SELECT api.case_open(gen_random_uuid(), gen_random_uuid(), 't', NULL, NULL,"
				" gen_random_uuid(), 'unassigned')", "P0002"},
		{"cwt_atk_off", "SELECT api.restriction_lift(gen_random_uuid(), gen_random_uuid(), current_date,"
				" NULL)", "P0002"},
		{"cwt_atk_mgr", "SELECT * FROM api.caseload_undo(gen_random_uuid(), 999, 'n')", "P0002"},
		{"cwt_atk_mgr", "SELECT api.caseload_apply(gen_random_uuid(), ARRAY[id], ARRAY['nobody_here'],"
				" ARRAY['cwt_atk_oth'], 'n') FROM case_file WHERE assigned_to IS NOT NULL LIMIT 1",
		 "55000"},
	};

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		const char *msg;
		const char *st = attempt_msg(wrong[i].role, wrong[i].sql, &msg);
		if (strcmp(st, wrong[i].state) != 0)
			fail_msg("%s: %s gave %s (%s), expected %s", wrong[i].role, wrong[i].sql, st, msg,
				 wrong[i].state);
	}
	/* A closed case takes no response and cannot be closed again. */
	snprintf(sql, sizeof(sql), "SELECT api.case_close('%s', 'Done')", case_off);
	assert_string_equal(attempt("cwt_atk_off", sql), "");
	assert_string_equal(attempt("cwt_atk_off", sql), "55000");
	snprintf(sql, sizeof(sql), "SELECT api.case_respond(gen_random_uuid(), '%s', now(), 'phone', NULL)",
		 case_off);
	assert_string_equal(attempt("cwt_atk_off", sql), "55000");
	snprintf(sql, sizeof(sql), "SELECT api.case_assign(ARRAY[gen_random_uuid()], ARRAY['%s'::uuid],"
		 " ARRAY['cwt_atk_off'], ARRAY['cwt_atk_oth'], 'manual')", case_off);
	assert_string_equal(attempt("cwt_atk_mgr", sql), "55000");
	/* A lift: once, then refused; never before the restriction began. */
	sql_ok("INSERT INTO restriction (id, provider_id, kind, starts_on, reason) VALUES"
	       " ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '66666666-6666-4666-8666-666666666666', 'all',"
	       " current_date - 10, 'r')");
	assert_string_equal(attempt("cwt_atk_off", "SELECT api.restriction_lift(gen_random_uuid(),"
				    " 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', current_date - 11, NULL)"), "22023");
	assert_string_equal(attempt("cwt_atk_off", "SELECT api.restriction_lift(gen_random_uuid(),"
				    " 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', current_date, NULL)"), "");
	assert_string_equal(attempt("cwt_atk_off", "SELECT api.restriction_lift(gen_random_uuid(),"
				    " 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', current_date, NULL)"), "55000");
	assert_false(server_log_has("Batch closes"));
}

/* Also found: `caseload --apply` under concurrent load gave up ("cases
 * changed hands meanwhile", or a raw serialization error).  Rounds of two
 * applies racing two closes and two officers' concerns: every close and
 * concern succeeds; an apply either makes the moves it showed or, when one
 * of its cases closed or moved after it showed them, refuses them all
 * with a message naming the case (exit 7: the manager runs it again,
 * schema/029_caseload_batch.sql); never a raw error.  Every case's holder
 * is its last assignment's officer, and every batch's moves are there. */
static void
test_attack_caseload_apply_under_load_retries(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	/* Two more officers in the north, where Oak House is. */
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_atk_oth", "--name", "Other Officer", "--fte", "1",
				"--locality", "north,south"), NULL, 0));
	for (int i = 0; i < 12; i++)
		free(tl_run_out(TL_ARGV("concern", "add", "Oak House", "--risk", "medium", "--category",
					"staffing", "--source", "public", "--note", "Backlog"), OFFICER, 0));
	for (int round = 0; round < 6; round++) {
		pid_t kids[10];
		int n = 0;
		for (int k = 0; k < 10; k++) {
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				int rc;
				char *out, *err;
				if (k < 2) {
					rc = tl_run(TL_ARGV("caseload", "--apply", "--yes", "--note", "Under load"),
						    NULL, &out, &err, MANAGER);
					if (rc == 7 && strstr(err, "; nothing was moved\n") &&
					    strncmp(err, "carewatch: error: case ", 23) == 0)
						rc = 0;
				} else if (k < 4) {
					/* A case closed under the apply's feet (lowest, highest). */
					PGconn *c = tl_connect(NULL);
					char num[24];
					snprintf(num, sizeof(num), "%s", tl_query1(c, k == 2
						? "SELECT min(number) FROM case_file WHERE state <> 'closed'"
						: "SELECT max(number) FROM case_file WHERE state <> 'closed'"));
					PQfinish(c);
					rc = tl_run(TL_ARGV("case", "close", num, "--note", "Closed in the race"),
						    NULL, &out, &err, MANAGER);
				} else {
					/* Officers keep opening cases while the moves are
					 * worked out. */
					rc = 0;
					for (int i = 0; i < 4 && rc == 0; i++) {
						rc = tl_run(TL_ARGV("concern", "add", "Oak House", "--risk",
								    "high", "--category", "staffing", "--source",
								    "public", "--note", "Load"),
							    NULL, &out, &err, k % 2 ? OFFICER : OTHER);
						if (rc == 0) {
							free(out);
							free(err);
						}
					}
				}
				if (rc != 0)
					fprintf(stderr, "round %d child %d: exit %d\n%s", round, k, rc, err);
				_exit(rc == 0 ? 0 : 1);
			}
			kids[n++] = pid;
		}
		for (int k = 0; k < n; k++) {
			int st;
			assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
			assert_true(WIFEXITED(st));
			assert_int_equal(WEXITSTATUS(st), 0);
		}
	}
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file c WHERE c.assigned_to IS DISTINCT FROM"
				     " (SELECT a.officer FROM case_assignment a WHERE a.case_id = c.id"
				     "  ORDER BY a.recorded_at DESC, a.id DESC LIMIT 1)"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM caseload_move m"
				     " LEFT JOIN case_assignment a ON a.id = m.id AND a.case_id = m.case_id"
				     " AND a.officer IS NOT DISTINCT FROM m.to_officer WHERE a.id IS NULL"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attack_forged_scores_are_refused),
		cmocka_unit_test(test_attack_casework_cannot_be_rewritten),
		cmocka_unit_test(test_attack_readonly_reads_no_free_text),
		cmocka_unit_test(test_attack_reader_locks_block_no_writer),
		cmocka_unit_test(test_attack_changed_retry_is_refused),
		cmocka_unit_test(test_attack_flag_decisions_are_the_managers_own),
		cmocka_unit_test(test_attack_every_function_checks_caller_and_state),
		cmocka_unit_test(test_attack_caseload_apply_under_load_retries),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
