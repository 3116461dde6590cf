/*
 * test_corrections.c - correcting and withdrawing intelligence (issue 14).
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
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	tl_scorer_drain();
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (owner)
		PQfinish(owner);
	if (dbname)
		tl_db_drop(dbname);
	return 0;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corrections_api_refuses_readonly_and_batch),
		cmocka_unit_test(test_corrections_people_cannot_write_around_the_functions),
		cmocka_unit_test(test_corrections_api_steps_over_libpq),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
