/*
 * test_corrections.c - correcting and withdrawing intelligence (issue 14).
 *
 * Through the real binary: a withdrawal takes the record out of the score
 * (to the figure a hand computation from rules/default.rules gives), a
 * withdrawn concern's case leaves the worklist and the response-time
 * figures, a retried --id writes once, and every refusal (unknown or
 * malformed id, no reason, a record withdrawn already, a read-only or batch
 * login) has its exact message and exit code and writes nothing.  A
 * correction moves the score as the rules say and a concern's case due
 * time as the calendar says.  KIND list, KIND show and recent show what is
 * current, each record's history and what I recorded, cut only with a
 * footer that says so.
 *
 * Over raw libpq: api.record_correct and api.record_withdraw refuse
 * read-only and batch logins, people cannot write a correction or a
 * withdrawal behind the functions' backs, a retry writes once, a record
 * already corrected or withdrawn is refused naming what happened, and no
 * reason reaches the server log.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_cor_olive"
#define OTHER "PGUSER=cwt_cor_omar"
#define MANAGER "PGUSER=cwt_cor_mgr"
#define READONLY "PGUSER=cwt_cor_ro"
#define BATCH "PGUSER=cwt_cor_batch"

#define ALDER "a1a1a1a1-0000-4000-8000-000000000001"
#define BIRCH "b2b2b2b2-0000-4000-8000-000000000002"

/* One provider per scoring test, so each hand computation starts from 0. */
static const char *const homes[] = {"Cedar Lodge", "Damson Court", "Elm Grange", "Fir Tree House",
				    "Gorse Hall"};

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_corrections", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cor_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cor_omar", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cor_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cor_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_cor_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_cor_olive", "--name", "Olive", "--fte", "1",
				"--locality", "north"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Alder House", "--care-type", "residential",
				"--locality", "north", "--beds", "40", "--id", ALDER), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Birch Court", "--care-type", "nursing",
				"--locality", "north", "--beds", "30", "--id", BIRCH), NULL, 0));
	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]); i++)
		free(tl_run_out(TL_ARGV("provider", "add", homes[i], "--care-type", "residential", "--locality",
					"north", "--beds", "20"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	tl_scorer_drain();
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* Run SQL as login with params; return the SQLSTATE ("" when it worked)
 * in a static buffer, and the first value of the first row in *value (may
 * be NULL).  The message goes into msg when given. */
static const char *
call(const char *login, const char *sql, int n, const char *const *params, char *value,
     size_t vsize, char *msg, size_t msize)
{
	static char state_buf[8];
	PGconn *c = tl_connect(login);
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);

	state_buf[0] = '\0';
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
		snprintf(state_buf, sizeof(state_buf), "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
	if (value)
		snprintf(value, vsize, "%s", s == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	if (msg)
		snprintf(msg, msize, "%s", s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK ? ""
					  : PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
	PQclear(r);
	PQfinish(c);
	return state_buf;
}

/* The id of the record a command printed ("recorded concern UUID for ..."). */
static void
recorded_id(const char *out, char id[37])
{
	const char *p = strstr(out, "recorded ");

	id[0] = '\0';
	for (; p && *p; p++)
		if (strlen(p) >= 36 && p[8] == '-' && p[13] == '-' && p[18] == '-' && p[23] == '-') {
			snprintf(id, 37, "%.36s", p);
			return;
		}
	fail_msg("no record id in:\n%s", out);
}

/* Record a concern at Alder House through the binary; its id into id. */
static void
concern_add(const char *risk, const char *note, char id[37])
{
	char *out = tl_run_out(TL_ARGV("concern", "add", "Alder House", "--risk", risk, "--category",
				       "medication", "--source", "family", "--note", note),
			       OFFICER, 0);

	recorded_id(out, id);
	free(out);
}

static long
count_of(const char *sql)
{
	return tl_count(owner, sql);
}

/* The case number a concern add printed ("case N opened"), or 0. */
static long
case_number_in(const char *out)
{
	const char *p = strstr(out, "\ncase ");

	return p ? atol(p + 6) : 0;
}

static json_t *
json_run(const char *const argv[], const char *env)
{
	char *out = tl_run_out(argv, env, 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);

	if (j == NULL)
		fail_msg("not JSON (%s):\n%s", je.text, out);
	free(out);
	return j;
}

static double
number_in(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v))
		return atof(json_string_value(v));
	if (json_is_null(v))
		return 0;
	fail_msg("no number '%s' in the JSON", key);
	return NAN;
}

/* The provider's stored score once the scorer has run, checked against
 * `provider explain`'s fresh total (the two must agree: test_agreement). */
static double
score_of(const char *provider)
{
	json_t *show, *explain;
	double s, e;

	tl_scorer_drain();
	show = json_run(TL_ARGV("provider", "show", provider, "--format", "json"), OFFICER);
	explain = json_run(TL_ARGV("provider", "explain", provider, "--format", "json"), OFFICER);
	s = number_in(show, "score");
	e = number_in(explain, "total");
	json_decref(show);
	json_decref(explain);
	if (fabs(s - e) > 0.005)
		fail_msg("%s: provider show says %.2f, provider explain %.2f", provider, s, e);
	return s;
}

/* One figure of `response --month M`'s "all" row. */
static long
response_all(const char *month, const char *key)
{
	json_t *j = json_run(TL_ARGV("response", "--month", month, "--format", "json"), MANAGER);
	long v = -1;

	for (size_t i = 0; i < json_array_size(j); i++) {
		json_t *row = json_array_get(j, i);
		if (strcmp(json_string_value(json_object_get(row, "risk")), "all") == 0)
			v = (long)number_in(row, key);
	}
	json_decref(j);
	return v;
}

/* Run the binary expecting exit want, stdout empty and stderr exactly msg. */
static void
refused(const char *const argv[], const char *env, int want, const char *msg)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != want || strcmp(err, msg) != 0 || out[0] != '\0')
		fail_msg("want exit %d and stderr:\n%s\ngot exit %d\nstdout: %s\nstderr: %s", want, msg, rc,
			 out, err);
	free(out);
	free(err);
}

/* Run the binary expecting exit 0 and stdout exactly want. */
static void
succeeds(const char *const argv[], const char *env, const char *want)
{
	char *out = tl_run_out(argv, env, 0);

	if (strcmp(out, want) != 0)
		fail_msg("want stdout:\n%s\ngot:\n%s", want, out);
	free(out);
}

/* Over raw libpq the functions refuse read-only and batch logins with
 * 42501 and a message saying who may; nothing is written. */
static void
test_corrections_api_refuses_readonly_and_batch(void **state)
{
	static const char *const logins[] = {"cwt_cor_ro", "cwt_cor_batch"};
	char id[37], msg[300];
	const char *p[2];

	(void)state;
	if (!tl_db_available())
		skip();
	concern_add("medium", "Refusal test", id);
	p[0] = id;
	for (size_t i = 0; i < 2; i++) {
		p[1] = "ro reason";
		assert_string_equal(call(logins[i], "SELECT * FROM api.record_withdraw(gen_random_uuid(),"
					 " 'concern', $1, $2)", 2, p, NULL, 0, msg, sizeof(msg)),
				    "42501");
		assert_string_equal(msg, "withdrawing records is for QA officers and managers");
		assert_string_equal(call(logins[i], "SELECT * FROM api.record_correct(gen_random_uuid(),"
					 " 'concern', $1, '{\"risk\": \"high\"}', $2)", 2, p, NULL, 0, msg,
					 sizeof(msg)),
				    "42501");
		assert_string_equal(msg, "correcting records is for QA officers and managers");
	}
	assert_int_equal(count_of("SELECT count(*) FROM record_withdrawal"), 0);
	assert_int_equal(count_of("SELECT count(*) FROM record_correction"), 0);
	assert_int_equal(count_of("SELECT count(*) FROM concern WHERE supersedes IS NOT NULL"), 0);
}

/* People cannot write a correction or a withdrawal except through the
 * functions: no INSERT of `supersedes`, none into the two tables, no
 * UPDATE or DELETE. */
static void
test_corrections_people_cannot_write_around_the_functions(void **state)
{
	static const char *const logins[] = {"cwt_cor_olive", "cwt_cor_mgr", "cwt_cor_ro"};
	char id[37];
	const char *p[2];

	(void)state;
	if (!tl_db_available())
		skip();
	concern_add("low", "Bypass test", id);
	p[0] = id;
	p[1] = ALDER;
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(call(logins[i], "INSERT INTO concern (id, provider_id, supersedes,"
					 " received_at, risk, category, source, safeguarding, summary)"
					 " VALUES (gen_random_uuid(), $2, $1, now(), 'high', 'other', 'public',"
					 " false, 'x')", 2, p, NULL, 0, NULL, 0),
				    "42501");
		assert_string_equal(call(logins[i], "INSERT INTO record_withdrawal (id, kind, record_id,"
					 " provider_id, reason) VALUES (gen_random_uuid(), 'concern', $1, $2, 'x')",
					 2, p, NULL, 0, NULL, 0),
				    "42501");
		assert_string_equal(call(logins[i], "INSERT INTO record_correction (id, kind, supersedes,"
					 " provider_id, reason) VALUES (gen_random_uuid(), 'concern', $1, $2, 'x')",
					 2, p, NULL, 0, NULL, 0),
				    "42501");
		assert_string_equal(call(logins[i], "UPDATE concern SET risk = 'high' WHERE id = $1", 1, p,
					 NULL, 0, NULL, 0),
				    "42501");
		assert_string_equal(call(logins[i], "DELETE FROM concern WHERE id = $1", 1, p, NULL, 0,
					 NULL, 0),
				    "42501");
	}
	assert_int_equal(count_of("SELECT count(*) FROM record_withdrawal"), 0);
	assert_int_equal(count_of("SELECT count(*) FROM concern WHERE supersedes IS NOT NULL"), 0);
}

/* psql gets the functions' own answers: a withdrawal is written once for
 * one id, the same id with another reason is refused, a withdrawn record
 * cannot be corrected or withdrawn again, an unknown one is P0002; a
 * correction of a corrected record names the correction.  No reason is in
 * the server log. */
static void
test_corrections_api_steps_over_libpq(void **state)
{
	char a[37], b[37], v[64], msg[400], want[400];
	const char *p[4];

	(void)state;
	if (!tl_db_available())
		skip();
	concern_add("medium", "Libpq withdraw", a);
	concern_add("medium", "Libpq correct", b);
	p[0] = "c0c0c0c0-0000-4000-8000-00000000000a";
	p[1] = a;
	p[2] = "Tangerine reason typed in psql";
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_withdraw($1, 'concern', $2, $3)",
				 3, p, v, sizeof(v), NULL, 0), "");
	assert_string_equal(v, "t");
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_withdraw($1, 'concern', $2, $3)",
				 3, p, v, sizeof(v), NULL, 0), "");
	assert_string_equal(v, "f");
	assert_int_equal(count_of("SELECT count(*) FROM record_withdrawal"), 1);
	p[2] = "Another reason";
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_withdraw($1, 'concern', $2, $3)",
				 3, p, NULL, 0, msg, sizeof(msg)), "55000");
	assert_string_equal(msg, "withdrawal c0c0c0c0-0000-4000-8000-00000000000a is already recorded with"
				 " different content");
	/* Withdrawn: neither corrected nor withdrawn again. */
	p[0] = a;
	p[1] = "Mandarin reason";
	assert_string_equal(call("cwt_cor_omar", "SELECT written FROM api.record_withdraw(gen_random_uuid(),"
				 " 'concern', $1, $2)", 2, p, NULL, 0, msg, sizeof(msg)), "55000");
	assert_non_null(strstr(msg, " was already withdrawn (by cwt_cor_olive, "));
	assert_string_equal(call("cwt_cor_omar", "SELECT written FROM api.record_correct(gen_random_uuid(),"
				 " 'concern', $1, '{\"risk\": \"high\"}', $2)", 2, p, NULL, 0, msg, sizeof(msg)),
			    "55000");
	assert_non_null(strstr(msg, " was already withdrawn "));
	/* Unknown record, unknown kind, a field that is not the kind's. */
	p[0] = "deadbeef-0000-4000-8000-000000000000";
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_withdraw(gen_random_uuid(),"
				 " 'concern', $1, $2)", 2, p, NULL, 0, msg, sizeof(msg)), "P0002");
	assert_string_equal(msg, "no concern deadbeef-0000-4000-8000-000000000000");
	p[0] = b;
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_withdraw(gen_random_uuid(),"
				 " 'visit', $1, $2)", 2, p, NULL, 0, msg, sizeof(msg)), "P0002");
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_correct(gen_random_uuid(),"
				 " 'concern', $1, '{\"provider_id\": \"" BIRCH "\"}', $2)", 2, p, NULL, 0, msg,
				 sizeof(msg)), "22023");
	assert_string_equal(msg, "a concern correction changes only received_at, risk, category, source,"
				 " safeguarding, summary");
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_correct(gen_random_uuid(),"
				 " 'concern', $1, '{\"risk\": \"medium\"}', $2)", 2, p, NULL, 0, msg, sizeof(msg)),
			    "22023");
	snprintf(want, sizeof(want), "nothing to correct: concern %s already holds those values", b);
	assert_string_equal(msg, want);
	/* A value the table refuses is named by its constraint, not shown. */
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_correct(gen_random_uuid(),"
				 " 'concern', $1, '{\"risk\": \"Kumquat risk\"}', $2)", 2, p, NULL, 0, msg,
				 sizeof(msg)), "22023");
	assert_string_equal(msg, "the corrected concern is not valid (concern_risk_check)");
	/* Corrected once; the original then names its correction. */
	p[0] = "c0c0c0c0-0000-4000-8000-00000000000b";
	p[1] = b;
	p[2] = "Clementine reason";
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_correct($1, 'concern', $2,"
				 " '{\"risk\": \"high\"}', $3, now() + interval '5 days')", 3, p, v, sizeof(v),
				 NULL, 0), "");
	assert_string_equal(v, "t");
	assert_string_equal(call("cwt_cor_olive", "SELECT written FROM api.record_correct($1, 'concern', $2,"
				 " '{\"risk\": \"high\"}', $3, now() + interval '5 days')", 3, p, v, sizeof(v),
				 NULL, 0), "");
	assert_string_equal(v, "f");
	p[0] = b;
	assert_string_equal(call("cwt_cor_omar", "SELECT written FROM api.record_correct(gen_random_uuid(),"
				 " 'concern', $1, '{\"risk\": \"low\"}', $2)", 2, p, NULL, 0, msg, sizeof(msg)),
			    "55000");
	snprintf(want, sizeof(want), "concern %s was already corrected by %s; correct %s instead", b,
		 "c0c0c0c0-0000-4000-8000-00000000000b", "c0c0c0c0-0000-4000-8000-00000000000b");
	assert_string_equal(msg, want);
	assert_int_equal(count_of("SELECT count(*) FROM record_correction"), 1);
	assert_false(tl_server_log_contains("Tangerine"));
	assert_false(tl_server_log_contains("Mandarin"));
	assert_false(tl_server_log_contains("Clementine"));
	assert_false(tl_server_log_contains("Kumquat"));
}


/* A withdrawn concern leaves the score (8, a high-risk concern received
 * now, to 0), its case leaves the worklist and the month's response-time
 * figures (an on-time case fewer), and a retry writes once. */
static void
test_corrections_withdrawn_concern_leaves_score_case_and_response(void **state)
{
	char id[37], sql[256], month[8], want[1024], *out;
	long number, due, on_time;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("concern", "add", "Cedar Lodge", "--risk", "high", "--category", "staffing",
				 "--source", "family", "--note", "Night staffing"), OFFICER, 0);
	recorded_id(out, id);
	number = case_number_in(out);
	free(out);
	assert_true(number > 0);
	snprintf(sql, sizeof(sql), "%ld", number);
	free(tl_run_out(TL_ARGV("case", "respond", sql, "--kind", "phone", "--note", "Called the manager"),
			OFFICER, 0));
	/* high = 8, received seconds ago: 8 x 2^(-age / 90 days) = 8.00. */
	assert_true(fabs(score_of("Cedar Lodge") - 8.0) < 0.01);
	snprintf(sql, sizeof(sql), "SELECT to_char(due_at AT TIME ZONE 'Europe/London', 'YYYY-MM')"
		 " FROM case_file WHERE number = %ld", number);
	snprintf(month, sizeof(month), "%s", tl_query1(owner, sql));
	due = response_all(month, "due");
	on_time = response_all(month, "on_time");
	assert_true(on_time >= 1);
	out = tl_run_out(TL_ARGV("worklist", "--format", "json"), OFFICER, 0);
	assert_non_null(strstr(out, "Cedar Lodge"));
	free(out);

	snprintf(want, sizeof(want),
		 "withdrew concern %s for Cedar Lodge: scores, cases and reports leave it out; its history keeps"
		 " it ('carewatch concern show %s')\n"
		 "case %ld is withdrawn with it: closed, off the worklist and out of the response-time figures\n",
		 id, id, number);
	/* Named by its first 8 characters. */
	snprintf(sql, sizeof(sql), "%.8s", id);
	succeeds(TL_ARGV("concern", "withdraw", sql, "--because", "Entered against the wrong home (Persimmon)",
			 "--id", "d0d0d0d0-0000-4000-8000-000000000001"), OFFICER, want);
	/* The write queued the provider; the scorer stores 0: nothing else is recorded at Cedar Lodge. */
	assert_true(count_of("SELECT count(*) FROM score_queue") >= 1);
	assert_true(fabs(score_of("Cedar Lodge") - 0.0) < 0.005);
	assert_int_equal(response_all(month, "due"), due - 1);
	assert_int_equal(response_all(month, "on_time"), on_time - 1);
	out = tl_run_out(TL_ARGV("worklist", "--format", "json"), OFFICER, 0);
	assert_null(strstr(out, "Cedar Lodge"));
	free(out);
	snprintf(sql, sizeof(sql), "SELECT state || ' ' || (withdrawn_at IS NOT NULL) FROM case_file"
		 " WHERE number = %ld", number);
	assert_string_equal(tl_query1(owner, sql), "closed true");

	/* A retry with the same --id writes nothing more. */
	snprintf(want, sizeof(want), "already withdrawn: concern %s for Cedar Lodge (nothing written)\n", id);
	succeeds(TL_ARGV("concern", "withdraw", id, "--because", "Entered against the wrong home (Persimmon)",
			 "--id", "d0d0d0d0-0000-4000-8000-000000000001"), OFFICER, want);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM record_withdrawal WHERE record_id = '%s'", id);
	assert_int_equal(count_of(sql), 1);
	/* Without it, a second withdrawal is refused. */
	{
		char *err;
		int rc = tl_run(TL_ARGV("concern", "withdraw", id, "--because", "Again"), NULL, &out, &err, OTHER);

		snprintf(want, sizeof(want), "carewatch: error: concern %s was already withdrawn (by cwt_cor_olive, ", id);
		assert_int_equal(rc, 7);
		assert_string_equal(out, "");
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("stderr: %s", err);
		free(out);
		free(err);
	}
	assert_int_equal(count_of(sql), 1);
	assert_false(tl_server_log_contains("Persimmon"));
}

/* Every kind withdraws the same way; a CQC record by the id `cqc add`
 * printed takes all its domain ratings with it.  Scores by hand: a
 * default notice is 20, an all-placements restriction 30 (neither fades). */
static void
test_corrections_withdraw_every_kind(void **state)
{
	static const struct {
		const char *argv[16];
	} adds[] = {
		{{"visit", "add", "Damson Court", "--kind", "routine", "--outcome", "minor_concerns", NULL}},
		{{"safeguarding", "add", "Damson Court", "--category", "neglect", NULL}},
		{{"cqc", "add", "Damson Court", "--published", "yesterday", "--safe", "inadequate", "--overall",
		  "inadequate", NULL}},
		{{"ipc", "add", "Damson Court", "--result", "non_compliant", NULL}},
		{{"survey", "add", "Damson Court", "--satisfaction", "40", "--respondents", "25", NULL}},
		{{"loss", "add", "Damson Court", "--kind", "beds_lost", "--beds", "2", NULL}},
		{{"notice", "add", "Damson Court", "--kind", "default", "--note", "Care plans", NULL}},
		{{"restriction", "add", "Damson Court", "--kind", "all", "--note", "Staffing", NULL}},
	};
	char id[37], want[512];
	long before = count_of("SELECT count(*) FROM record_withdrawal");

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		char *out = tl_run_out(adds[i].argv, OFFICER, 0);
		const char *kind = adds[i].argv[0];
		double score;

		recorded_id(out, id);
		free(out);
		score = score_of("Damson Court");
		if (strcmp(kind, "notice") == 0)
			assert_true(fabs(score - 20.0) < 0.005);
		if (strcmp(kind, "restriction") == 0)
			assert_true(fabs(score - 30.0) < 0.005);
		out = tl_run_out(TL_ARGV(kind, "withdraw", id, "--because", "Test entry"), OFFICER, 0);
		if (strncmp(out, "withdrew ", 9) != 0 || !strstr(out, id))
			fail_msg("%s withdraw: %s", kind, out);
		free(out);
		/* Nothing else stays at Damson Court: each withdrawal takes it back to 0. */
		if (fabs(score_of("Damson Court")) > 0.005)
			fail_msg("after the %s withdrawal Damson Court scores %.2f, not 0", kind,
				 score_of("Damson Court"));
	}
	/* The CQC record had two rows: both withdrawn. */
	assert_int_equal(count_of("SELECT count(*) FROM record_withdrawal") - before, 9);
	assert_int_equal(count_of("SELECT count(*) FROM cqc_rating_current c JOIN provider p ON p.id ="
				  " c.provider_id WHERE p.name = 'Damson Court'"), 0);
	snprintf(want, sizeof(want), "carewatch: error: no performance notice deadbeef\n"
		 "hint: 'carewatch notice list' shows the notice records and their ids\n");
	refused(TL_ARGV("notice", "withdraw", "deadbeef", "--because", "x"), OFFICER, 5, want);
}

/* Refusals through the binary: each message and exit code, nothing written. */
static void
test_corrections_withdraw_refusals_write_nothing(void **state)
{
	char id[37];
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	concern_add("medium", "Refusals", id);
	before = count_of("SELECT count(*) FROM record_withdrawal");
	refused(TL_ARGV("concern", "withdraw", "0000000a", "--because", "x"), OFFICER, 5,
		"carewatch: error: no concern 0000000a\n"
		"hint: 'carewatch concern list' shows the concern records and their ids\n");
	refused(TL_ARGV("concern", "withdraw", "abc", "--because", "x"), OFFICER, 2,
		"carewatch: error: invalid concern id 'abc' (expected its UUID, or its first 8 or more"
		" characters)\n");
	refused(TL_ARGV("concern", "withdraw", id), OFFICER, 2,
		"carewatch: error: missing --because TEXT (why the record is withdrawn)\n");
	refused(TL_ARGV("concern", "withdraw", id, "--because", "x", "--id", "nope"), OFFICER, 2,
		"carewatch: error: invalid --id 'nope' (expected a UUID)\n");
	refused(TL_ARGV("concern", "withdraw", id, "--because", "Read-only try"), READONLY, 4,
		"carewatch: error: withdrawing records is for QA officers and managers\n");
	refused(TL_ARGV("concern", "withdraw", id, "--because", "Batch try"), BATCH, 4,
		"carewatch: error: withdrawing records is for QA officers and managers\n");
	refused(TL_ARGV("concern", "withdraw"), OFFICER, 2,
		"carewatch: error: 'carewatch concern withdraw' needs ID\n"
		"hint: usage: carewatch concern withdraw ID\n");
	assert_int_equal(count_of("SELECT count(*) FROM record_withdrawal"), before);
}

/* A concern corrected from high to very high with a safeguarding element:
 * the score goes from 8 to 15 + 3 = 18 (rules/default.rules, received
 * now), and its case takes the new risk and the due time a very high
 * concern received at the same time gets (1 working day instead of 5),
 * saying so. */
static void
test_corrections_corrected_concern_moves_its_case(void **state)
{
	char id[37], sql[400], received[32], due_was[32], due_now[32], other_due[32], want[1024], *out;
	const char *nid = "e0e0e0e0-0000-4000-8000-000000000001";
	long number;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("concern", "add", "Elm Grange", "--risk", "high", "--category", "care_practice",
				 "--source", "professional", "--note", "Bruising noticed"), OFFICER, 0);
	recorded_id(out, id);
	number = case_number_in(out);
	free(out);
	assert_true(fabs(score_of("Elm Grange") - 8.0) < 0.01);
	snprintf(sql, sizeof(sql), "SELECT to_char(received_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI')"
		 " FROM concern WHERE id = '%s'", id);
	snprintf(received, sizeof(received), "%s", tl_query1(owner, sql));
	/* The due time as carewatch prints it: London time and its zone. */
	snprintf(sql, sizeof(sql), "SELECT to_char(due_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI')"
		 " || CASE WHEN (due_at AT TIME ZONE 'Europe/London') - (due_at AT TIME ZONE 'UTC')"
		 " = interval '1 hour' THEN ' BST' ELSE ' GMT' END FROM case_file WHERE number = %ld", number);
	snprintf(due_was, sizeof(due_was), "%s", tl_query1(owner, sql));

	out = tl_run_out(TL_ARGV("concern", "correct", id, "--risk", "very_high", "--safeguarding", "--because",
				 "The GP confirmed a safeguarding referral (Quince)", "--id", nid), OFFICER, 0);
	snprintf(due_now, sizeof(due_now), "%s", tl_query1(owner, sql));
	snprintf(want, sizeof(want),
		 "corrected concern %s for Elm Grange: risk high -> very_high, safeguarding false -> true\n"
		 "the correction is concern %s; the record it replaces stays in its history"
		 " ('carewatch concern show %s')\n"
		 "case %ld is now due %s (was %s)\n", id, nid, nid, number, due_now, due_was);
	if (strcmp(out, want) != 0)
		fail_msg("want:\n%s\ngot:\n%s", want, out);
	free(out);
	assert_true(strcmp(due_now, due_was) < 0);
	/* The same rule as a very high concern received at the same time. */
	out = tl_run_out(TL_ARGV("concern", "add", "Fir Tree House", "--risk", "very_high", "--category", "other",
				 "--source", "public", "--received", received, "--note", "Same minute"), OFFICER, 0);
	snprintf(sql, sizeof(sql), "SELECT to_char(due_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI')"
		 " || CASE WHEN (due_at AT TIME ZONE 'Europe/London') - (due_at AT TIME ZONE 'UTC')"
		 " = interval '1 hour' THEN ' BST' ELSE ' GMT' END FROM case_file WHERE number = %ld",
		 case_number_in(out));
	snprintf(other_due, sizeof(other_due), "%s", tl_query1(owner, sql));
	free(out);
	assert_string_equal(due_now, other_due);
	/* The case follows the correction. */
	snprintf(sql, sizeof(sql), "SELECT risk || ' ' || concern_id || ' ' || title FROM case_file WHERE number = %ld",
		 number);
	snprintf(want, sizeof(want), "very_high %s Very high risk concern", nid);
	assert_string_equal(tl_query1(owner, sql), want);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM case_event e JOIN case_file c ON c.id = e.case_id"
		 " WHERE c.number = %ld AND e.kind = 'corrected'", number);
	assert_int_equal(count_of(sql), 1);
	/* very high 15 + safeguarding 3, received seconds ago. */
	assert_true(fabs(score_of("Elm Grange") - 18.0) < 0.01);
	/* A retry writes once. */
	snprintf(want, sizeof(want), "already corrected: concern %s corrects %s for Elm Grange (nothing written)\n",
		 nid, id);
	succeeds(TL_ARGV("concern", "correct", id, "--risk", "very_high", "--safeguarding", "--because",
			 "The GP confirmed a safeguarding referral (Quince)", "--id", nid), OFFICER, want);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM concern WHERE supersedes = '%s'", id);
	assert_int_equal(count_of(sql), 1);
	/* Back to no safeguarding element: 15. */
	free(tl_run_out(TL_ARGV("concern", "correct", nid, "--no-safeguarding", "--because", "Referral was for"
				" another home"), OFFICER, 0));
	assert_true(fabs(score_of("Elm Grange") - 15.0) < 0.01);
	assert_false(tl_server_log_contains("Quince"));
}

/* A notice corrected twice, the original then refused naming the
 * correction; by hand: default 20, performance 10, improvement 5; the last
 * withdrawn: 0.  A corrected restriction that was lifted stays lifted. */
static void
test_corrections_correct_notice_and_restriction(void **state)
{
	char id[37], rid[37], want[600], *out;
	const char *n1 = "f0f0f0f0-0000-4000-8000-000000000001", *n2 = "f0f0f0f0-0000-4000-8000-000000000002";

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("notice", "add", "Gorse Hall", "--kind", "default", "--note", "Late returns"),
			 OFFICER, 0);
	recorded_id(out, id);
	free(out);
	assert_true(fabs(score_of("Gorse Hall") - 20.0) < 0.005);
	snprintf(want, sizeof(want),
		 "corrected performance notice %s for Gorse Hall: kind default -> performance\n"
		 "the correction is performance notice %s; the record it replaces stays in its history"
		 " ('carewatch notice show %s')\n", id, n1, n1);
	succeeds(TL_ARGV("notice", "correct", id, "--kind", "performance", "--because", "Typed the wrong kind",
			 "--id", n1), OFFICER, want);
	assert_true(fabs(score_of("Gorse Hall") - 10.0) < 0.005);
	snprintf(want, sizeof(want), "carewatch: error: performance notice %s was already corrected by %s;"
		 " correct %s instead\n", id, n1, n1);
	refused(TL_ARGV("notice", "correct", id, "--kind", "improvement", "--because", "Again"), OFFICER, 7, want);
	free(tl_run_out(TL_ARGV("notice", "correct", n1, "--kind", "improvement", "--note", "Late returns, first"
				" notice", "--because", "It was the first", "--id", n2), OFFICER, 0));
	assert_true(fabs(score_of("Gorse Hall") - 5.0) < 0.005);
	/* The text carried over unless given: the second correction's is new. */
	assert_string_equal(tl_query1(owner, "SELECT reason FROM performance_notice WHERE id = '"
				      "f0f0f0f0-0000-4000-8000-000000000001'"), "Late returns");
	assert_string_equal(tl_query1(owner, "SELECT reason FROM performance_notice WHERE id = '"
				      "f0f0f0f0-0000-4000-8000-000000000002'"), "Late returns, first notice");
	snprintf(want, sizeof(want), "carewatch: error: performance notice %s was already corrected by %s;"
		 " withdraw %s instead\n", n1, n2, n2);
	refused(TL_ARGV("notice", "withdraw", n1, "--because", "x"), OFFICER, 7, want);
	free(tl_run_out(TL_ARGV("notice", "withdraw", n2, "--because", "Never issued"), OFFICER, 0));
	assert_true(fabs(score_of("Gorse Hall") - 0.0) < 0.005);

	out = tl_run_out(TL_ARGV("restriction", "add", "Gorse Hall", "--kind", "all", "--note", "Staffing",
				 "--from", "yesterday"), OFFICER, 0);
	recorded_id(out, rid);
	free(out);
	assert_true(fabs(score_of("Gorse Hall") - 30.0) < 0.005);
	free(tl_run_out(TL_ARGV("restriction", "lift", rid, "--note", "Staff back"), OFFICER, 0));
	assert_true(fabs(score_of("Gorse Hall") - 0.0) < 0.005);
	free(tl_run_out(TL_ARGV("restriction", "correct", rid, "--kind", "partial", "--because", "Only nursing"
				" beds were closed"), OFFICER, 0));
	/* partial would be 12 if the lift were lost */
	assert_true(fabs(score_of("Gorse Hall") - 0.0) < 0.005);
	assert_int_equal(count_of("SELECT count(*) FROM restriction_current r JOIN restriction_lift l"
				  " ON l.restriction_id = r.id JOIN provider p ON p.id = r.provider_id"
				  " WHERE p.name = 'Gorse Hall' AND r.kind = 'partial'"), 1);
}

/* Refused corrections: each message and exit code, nothing written. */
static void
test_corrections_correct_refusals_write_nothing(void **state)
{
	char id[37], rid[37], cid[37], want[600], *out;
	long concerns, corrections;

	(void)state;
	if (!tl_db_available())
		skip();
	concern_add("medium", "Correct refusals", id);
	out = tl_run_out(TL_ARGV("restriction", "add", "Birch Court", "--kind", "partial", "--note", "Beds",
				 "--from", "2026-01-10"), OFFICER, 0);
	recorded_id(out, rid);
	free(out);
	out = tl_run_out(TL_ARGV("cqc", "add", "Birch Court", "--published", "2026-01-05", "--overall", "good"),
			 OFFICER, 0);
	recorded_id(out, cid);
	free(out);
	concerns = count_of("SELECT count(*) FROM concern");
	corrections = count_of("SELECT count(*) FROM record_correction");
	refused(TL_ARGV("concern", "correct", id, "--because", "x"), OFFICER, 2,
		"carewatch: error: nothing to correct: give the fields to change\n"
		"hint: 'carewatch concern correct --help' lists them; fields not given keep their recorded"
		" values\n");
	snprintf(want, sizeof(want), "carewatch: error: nothing to correct: concern %s already holds those"
		 " values\n", id);
	refused(TL_ARGV("concern", "correct", id, "--risk", "medium", "--because", "x"), OFFICER, 2, want);
	refused(TL_ARGV("concern", "correct", id, "--received", "2099-12-25 09:00", "--because", "x"), OFFICER, 2,
		"carewatch: error: received 2099-12-25 09:00 GMT is in the future (at the latest now)\n");
	refused(TL_ARGV("concern", "correct", id, "--risk", "urgent", "--because", "x"), OFFICER, 2,
		"carewatch: error: invalid risk level 'urgent' (expected low, medium, high or very_high)\n");
	refused(TL_ARGV("concern", "correct", id, "--risk", "high"), OFFICER, 2,
		"carewatch: error: missing --because TEXT (why the record is corrected)\n");
	refused(TL_ARGV("concern", "correct", id, "--note", "", "--because", "x"), OFFICER, 2,
		"carewatch: error: --note cannot be cleared (give the value it should have)\n");
	refused(TL_ARGV("concern", "correct", id, "--safeguarding", "--no-safeguarding", "--because", "x"), OFFICER,
		2, "carewatch: error: --safeguarding and --no-safeguarding contradict each other\n");
	refused(TL_ARGV("concern", "correct", "feedface", "--risk", "high", "--because", "x"), OFFICER, 5,
		"carewatch: error: no concern feedface\n"
		"hint: 'carewatch concern list' shows the concern records and their ids\n");
	refused(TL_ARGV("concern", "correct", id, "--risk", "high", "--because", "Read-only try"), READONLY, 4,
		"carewatch: error: correcting records is for QA officers and managers\n");
	refused(TL_ARGV("concern", "correct", id, "--risk", "high", "--because", "Batch try"), BATCH, 4,
		"carewatch: error: correcting records is for QA officers and managers\n");
	/* The record as corrected is checked whole: the new end before the kept start. */
	refused(TL_ARGV("restriction", "correct", rid, "--to", "2026-01-02", "--because", "x"), OFFICER, 2,
		"carewatch: error: --to 2026-01-02 is before --from 2026-01-10\n");
	refused(TL_ARGV("cqc", "correct", cid, "--inspected", "2026-02-01", "--because", "x"), OFFICER, 2,
		"carewatch: error: --inspected 2026-02-01 is after --published 2026-01-05\n");
	snprintf(want, sizeof(want), "carewatch: error: CQC rating %s has no Caring rating to correct\n"
		 "hint: a correction changes the ratings the record holds; 'carewatch cqc add' records a new"
		 " one\n", cid);
	refused(TL_ARGV("cqc", "correct", cid, "--caring", "good", "--because", "x"), OFFICER, 2, want);
	assert_int_equal(count_of("SELECT count(*) FROM concern"), concerns);
	assert_int_equal(count_of("SELECT count(*) FROM record_correction"), corrections);
	/* An optional field cleared, and a CQC record corrected by its id. */
	free(tl_run_out(TL_ARGV("restriction", "correct", rid, "--to", "2026-03-01", "--because", "Planned end"),
			OFFICER, 0));
	out = tl_run_out(TL_ARGV("cqc", "correct", cid, "--overall", "requires_improvement", "--because",
				 "Misread the report"), OFFICER, 0);
	snprintf(want, sizeof(want), "corrected CQC rating %s for Birch Court: overall good ->"
		 " requires_improvement\n", cid);
	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("want:\n%s\ngot:\n%s", want, out);
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT rating FROM cqc_rating_current c JOIN provider p ON"
				      " p.id = c.provider_id WHERE p.name = 'Birch Court'"), "requires_improvement");
}

/* KIND list holds current records only (a correction names what it
 * corrects), cuts with a footer that says so, --mine and --provider
 * narrow it; KIND show has the whole history, reasons for officers only;
 * recent is what I recorded. */
static void
test_corrections_list_show_and_recent(void **state)
{
	char a[37], b[37], want[400], *out, *err;
	const char *nid = "a0a0a0a0-0000-4000-8000-0000000000c1";
	json_t *j, *hist;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("visit", "add", "Birch Court", "--kind", "pamms", "--outcome", "no_concerns",
				 "--note", "Audit fine"), OTHER, 0);
	recorded_id(out, a);
	free(out);
	out = tl_run_out(TL_ARGV("visit", "add", "Birch Court", "--kind", "routine", "--outcome", "minor_concerns"),
			 OTHER, 0);
	recorded_id(out, b);
	free(out);
	free(tl_run_out(TL_ARGV("visit", "correct", a, "--outcome", "minor_concerns", "--because", "Two actions"
				" were agreed (Loquat)", "--id", nid), OTHER, 0));
	free(tl_run_out(TL_ARGV("visit", "withdraw", b, "--because", "Duplicate of the audit"), OTHER, 0));
	/* Only the correction is current; it names what it corrects. */
	j = json_run(TL_ARGV("visit", "list", "--provider", "Birch Court", "--format", "json"), OFFICER);
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "uuid")), nid);
	snprintf(want, sizeof(want), "%.8s", a);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "corrects")), want);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "note")), "Audit fine");
	json_decref(j);
	/* --mine: Omar's only; read-only logins list without the notes. */
	j = json_run(TL_ARGV("visit", "list", "--mine", "--format", "json"), OTHER);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	j = json_run(TL_ARGV("visit", "list", "--mine", "--format", "json"), OFFICER);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	j = json_run(TL_ARGV("visit", "list", "--provider", "Birch Court", "--format", "json"), READONLY);
	assert_int_equal(json_array_size(j), 1);
	assert_null(json_object_get(json_array_get(j, 0), "note"));
	json_decref(j);
	j = json_run(TL_ARGV("visit", "list", "--since", "2099-01-01", "--format", "json"), OFFICER);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	/* No silent cut. */
	out = tl_run_out(TL_ARGV("concern", "list", "--limit", "1"), OFFICER, 0);
	snprintf(want, sizeof(want), "(showing 1 of %ld; --limit 0 for all)\n",
		 count_of("SELECT count(*) FROM concern_current"));
	if (strstr(out, want) == NULL)
		fail_msg("no '%s' in:\n%s", want, out);
	free(out);
	refused(TL_ARGV("visit", "list", "--provider", "Nowhere Hall"), OFFICER, 5,
		"carewatch: error: no provider matches 'Nowhere Hall'\nhint: try 'carewatch provider find TEXT'\n");

	/* show: the original, with its correction and why. */
	j = json_run(TL_ARGV("visit", "show", a, "--format", "json"), OFFICER);
	snprintf(want, sizeof(want), "corrected by %s", nid);
	assert_string_equal(json_string_value(json_object_get(j, "status")), want);
	hist = json_object_get(j, "history");
	assert_int_equal(json_array_size(hist), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 0), "step")), "recorded");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "because")),
			    "Two actions were agreed (Loquat)");
	json_decref(j);
	/* ... and the same from the correction; a read-only login sees no reason. */
	j = json_run(TL_ARGV("visit", "show", nid, "--format", "json"), READONLY);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "current");
	hist = json_object_get(j, "history");
	assert_int_equal(json_array_size(hist), 2);
	assert_true(json_is_null(json_object_get(json_array_get(hist, 1), "because")));
	json_decref(j);
	/* The withdrawn one, as a table. */
	out = tl_run_out(TL_ARGV("visit", "show", b), OFFICER, 0);
	assert_non_null(strstr(out, "Status: withdrawn "));
	assert_non_null(strstr(out, " by cwt_cor_omar\n"));
	assert_non_null(strstr(out, "withdrawn"));
	assert_non_null(strstr(out, "Duplicate of the audit"));
	free(out);
	rc = tl_run(TL_ARGV("visit", "show", b, "--format", "csv"), NULL, &out, &err, OFFICER);
	assert_int_equal(rc, 2);
	free(out);
	free(err);

	/* recent: what Omar recorded, newest first, the withdrawal too. */
	j = json_run(TL_ARGV("recent", "--format", "json"), OTHER);
	assert_int_equal(json_array_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "what")), "visit withdrew");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "what")), "visit corrected");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "now")), "current");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 3), "now")), "corrected");
	json_decref(j);
	out = tl_run_out(TL_ARGV("recent", "--limit", "2"), OTHER, 0);
	assert_non_null(strstr(out, "(showing 2 of 4; --limit 0 for all)\n"));
	free(out);
	assert_false(tl_server_log_contains("Loquat"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corrections_api_refuses_readonly_and_batch),
		cmocka_unit_test(test_corrections_people_cannot_write_around_the_functions),
		cmocka_unit_test(test_corrections_api_steps_over_libpq),
		cmocka_unit_test(test_corrections_withdrawn_concern_leaves_score_case_and_response),
		cmocka_unit_test(test_corrections_withdraw_every_kind),
		cmocka_unit_test(test_corrections_withdraw_refusals_write_nothing),
		cmocka_unit_test(test_corrections_corrected_concern_moves_its_case),
		cmocka_unit_test(test_corrections_correct_notice_and_restriction),
		cmocka_unit_test(test_corrections_correct_refusals_write_nothing),
		cmocka_unit_test(test_corrections_list_show_and_recent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
