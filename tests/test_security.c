/*
 * test_security.c - who may do what, hostile text, and retries.
 *
 * A matrix over the four roles checked against the real database; text with
 * quotes, semicolons, backslashes, SQL, percent signs, 100 kB, invalid UTF-8
 * and control characters stored exactly or refused clearly; free text never
 * in the server log; a connection cut after COMMIT retried to exactly one
 * write with "already recorded"; `carewatch audit` for managers only.
 */
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_sec_off"
#define MANAGER "PGUSER=cwt_sec_mgr"
#define BATCH "PGUSER=cwt_sec_batch"
#define READONLY "PGUSER=cwt_sec_ro"

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_security", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sec_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sec_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sec_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_sec_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_sec_off", "--name", "Sec Officer", "--fte", "1",
			     "--locality", "norwich"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Elm House", "--care-type", "residential", "--locality",
			     "norwich", "--id", "55555555-5555-4555-8555-555555555555"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Elm House", "--risk", "high", "--category", "staffing",
			     "--source", "public", "--note", "Seed concern"), OFFICER, 0));
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* Each statement as each role: allowed (1) or refused with 42501 (0). */
static const struct {
	const char *sql;
	int officer, manager, batch, readonly;
} matrix[] = {
	{"SELECT count(*) FROM provider", 1, 1, 1, 1},
	{"SELECT * FROM concern LIMIT 1", 1, 1, 0, 0},   /* includes the free text */
	{"SELECT count(id) FROM concern", 1, 1, 1, 1},
	{"SELECT summary FROM concern", 1, 1, 0, 0},
	{"SELECT summary FROM safeguarding", 1, 1, 0, 0},
	{"SELECT reason FROM restriction", 1, 1, 0, 0},
	{"SELECT count(*) FROM audit_log", 0, 1, 0, 0},
	{"INSERT INTO concern (id, provider_id, risk, category, source, safeguarding, received_at,"
	 " summary) VALUES (gen_random_uuid(), '55555555-5555-4555-8555-555555555555', 'low', 'other',"
	 " 'public', false, now(), 'x')", 1, 1, 0, 0},
	{"UPDATE concern SET risk = 'low'", 0, 0, 0, 0},
	{"DELETE FROM concern", 0, 0, 0, 0},
	{"UPDATE cqc_rating SET rating = 'good'", 0, 0, 0, 0},
	{"DELETE FROM audit_log", 0, 0, 0, 0},
	{"UPDATE officer SET fte = 0.5 WHERE login = 'cwt_sec_off'", 0, 0, 0, 0},
	{"SELECT api.officer_set('cwt_sec_off', 'Olive', 0.5, 'qa_officer', '{north}')", 0, 1, 0, 0},
	{"INSERT INTO ruleset_activation (id, ruleset_id) SELECT gen_random_uuid(), id FROM ruleset",
	 0, 1, 0, 0},
	{"UPDATE case_file SET assigned_to = NULL", 0, 0, 0, 0},
	{"UPDATE case_file SET responded_at = now()", 0, 0, 0, 0},
	{"INSERT INTO case_file (id, provider_id, risk, title, opened_at) SELECT gen_random_uuid(),"
	 " id, 'low', 't', now() FROM provider LIMIT 1", 0, 0, 0, 0},
	{"UPDATE restriction_flag SET state = 'dismissed'", 0, 0, 1, 0},
	{"INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score, band,"
	 " flag, detail, cause) SELECT p.id, now(), r.name, r.hash, 0, 'low', false, '{}', 'record'"
	 " FROM provider p, ruleset r LIMIT 1", 0, 0, 1, 0},
	{"INSERT INTO nightly_run (id, as_of, ruleset_name, ruleset_hash) VALUES"
	 " (gen_random_uuid(), now(), 'x', 'y')", 0, 0, 1, 0},
	{"UPDATE provider_score SET score = 0", 0, 0, 0, 0},
	{"SELECT carewatch_role_add('intruder', 'manager')", 0, 0, 0, 0},
};

static void
test_security_role_matrix(void **state)
{
	const char *roles[4] = {"cwt_sec_off", "cwt_sec_mgr", "cwt_sec_batch", "cwt_sec_ro"};

	(void)state;
	if (!tl_db_available())
		skip();
	for (int w = 0; w < 4; w++) {
		PGconn *c = tl_connect(roles[w]);
		for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
			int want = w == 0 ? matrix[i].officer : w == 1 ? matrix[i].manager
				 : w == 2 ? matrix[i].batch : matrix[i].readonly;
			PGresult *r = PQexec(c, "BEGIN");
			const char *st;
			PQclear(r);
			r = PQexec(c, matrix[i].sql);
			st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (want && st != NULL)
				fail_msg("%s may: %s\nbut got %s: %s", roles[w], matrix[i].sql, st,
					 PQresultErrorMessage(r));
			if (!want && (st == NULL || strcmp(st, "42501") != 0))
				fail_msg("%s may not: %s\nbut got %s", roles[w], matrix[i].sql,
					 st ? st : "success");
			PQclear(r);
			r = PQexec(c, "ROLLBACK");
			PQclear(r);
		}
		PQfinish(c);
	}
}

static void
test_security_commands_refused_by_role(void **state)
{
	char *out, *err;
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = tl_count(owner, "SELECT count(id) FROM concern");
	/* The batch and read-only roles cannot write intelligence. */
	assert_int_equal(tl_run(TL_ARGV("concern", "add", "Elm House", "--risk", "low", "--category",
					"other", "--source", "public", "--note", "not allowed"),
				NULL, &out, &err, BATCH), 4);
	/* A refusal says who may take the step, never the table refused. */
	assert_string_equal(err, "carewatch: error: permission denied for role cwt_sec_batch: intelligence"
				 " and case work (recording it and reading its notes) is for QA officers and the"
				 " quality manager\n"
				 "hint: ask the database owner: carewatch db role add cwt_sec_batch --as officer\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("visit", "add", "Elm House", "--kind", "routine", "--outcome",
					"no_concerns"), NULL, &out, &err, READONLY), 4);
	assert_string_equal(err, "carewatch: error: permission denied for role cwt_sec_ro: intelligence"
				 " and case work (recording it and reading its notes) is for QA officers and the"
				 " quality manager\n"
				 "hint: ask the database owner: carewatch db role add cwt_sec_ro --as officer\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("provider", "add", "Sneaky Lodge", "--care-type", "nursing",
					"--locality", "north"), NULL, &out, &err, READONLY), 4);
	assert_null(strstr(err, "table"));
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(id) FROM concern"), before);
	/* Read-only can still look at the ranked list. */
	free(tl_run_out(TL_ARGV("provider", "list"), READONLY, 0));
	/* Only managers read the audit trail. */
	assert_int_equal(tl_run(TL_ARGV("audit"), NULL, &out, &err, OFFICER), 4);
	assert_non_null(strstr(err, ": the audit trail is for the quality manager\n"));
	assert_null(strstr(err, "audit_log"));
	free(out);
	free(err);
	out = tl_run_out(TL_ARGV("audit", "--provider", "Elm House", "--format", "csv"), MANAGER, 0);
	assert_non_null(strstr(out, "at,role,table,op,row_id,change\n"));
	assert_non_null(strstr(out, ",cwt_sec_off,concern,INSERT,"));
	assert_null(strstr(out, "Seed concern"));
	free(out);
	out = tl_run_out(TL_ARGV("audit", "--officer", "cwt_sec_off", "--table", "case_file", "--since",
			      "2020-01-01"), MANAGER, 0);
	assert_non_null(strstr(out, "case_file"));
	free(out);
}

static const char *const hostile[] = {
	"O'Brien said \"no\"; then left",
	"back\\slash \\\\ and \\n not a newline",
	"'; DROP TABLE concern; --",
	"100% sure, 50%% maybe, _underscore_ %s %n",
	"line one\nline two\ttabbed",
	"emoji \xF0\x9F\x98\x80 and accents \xC3\xA9\xC3\xA8 and CJK \xE6\xBC\xA2\xE5\xAD\x97",
};

static void
test_security_hostile_text_is_stored_exactly(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char id[64], sql[200];
		const char *params[1] = {id};
		PGresult *r;

		snprintf(id, sizeof(id), "66666666-6666-4666-8666-%012zu", i);
		free(tl_run_out(TL_ARGV("concern", "add", "Elm House", "--risk", "low", "--category", "other",
				     "--source", "anonymous", "--note", hostile[i], "--id", id),
			     OFFICER, 0));
		snprintf(sql, sizeof(sql), "SELECT summary FROM concern WHERE id = $1");
		r = PQexecParams(owner, sql, 1, NULL, params, NULL, NULL, 0);
		assert_int_equal(PQntuples(r), 1);
		assert_string_equal(PQgetvalue(r, 0, 0), hostile[i]);
		PQclear(r);
	}
	assert_string_equal(tl_query1(owner, "SELECT to_regclass('concern') IS NOT NULL"), "t");
	/* A provider name with quotes and SQL in it, and a find with '%'. */
	free(tl_run_out(TL_ARGV("provider", "add", "St Mary's; DELETE FROM provider; --", "--care-type",
			     "nursing", "--locality", "west"), NULL, 0));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider WHERE name = "
					 "'St Mary''s; DELETE FROM provider; --'"), 1);
	{
		char *out = tl_run_out(TL_ARGV("provider", "find", "%", "--format", "csv"), NULL, 0);
		/* '%' is matched literally: no provider name contains it. */
		assert_string_equal(out, "name,care_type,locality,cqc_location_id,score,band,trend,open_cases,id\n");
		free(out);
	}
}

static void
test_security_bad_text_is_refused_without_echo(void **state)
{
	static char big[102401];
	const struct {
		const char *text;
		const char *message;
	} bad[] = {
		{big, "carewatch: error: note is too long (102400 characters; at most 20000)\n"},
		{"bad \xC3\x28 byte", "carewatch: error: note is not valid UTF-8 (byte 5)\n"},
		{"bell \x07 here", "carewatch: error: note contains a control character (U+0007) at character 6\n"},
		{"esc \x1B[31m red", "carewatch: error: note contains a control character (U+001B) at character 5\n"},
	};
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	memset(big, 'x', sizeof(big) - 1);
	before = tl_count(owner, "SELECT count(id) FROM concern");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out, *err;
		assert_int_equal(tl_run(TL_ARGV("concern", "add", "Elm House", "--risk", "low", "--category",
						"other", "--source", "public", "--note", bad[i].text),
					NULL, &out, &err, OFFICER), 2);
		assert_string_equal(err, bad[i].message);
		free(out);
		free(err);
	}
	assert_int_equal(tl_count(owner, "SELECT count(id) FROM concern"), before);
}

static void
test_security_free_text_never_reaches_the_server_log(void **state)
{
	const char *secret = "Mrs Xylophone-Quartz was hurt";
	char path[1200], *log;
	PGconn *su;
	FILE *f;
	long len;

	(void)state;
	if (!tl_db_available())
		skip();
	/* A write that fails on the server (the batch role may not insert). */
	free(tl_run_out(TL_ARGV("concern", "add", "Elm House", "--risk", "high", "--category", "other",
			     "--source", "family", "--note", secret), BATCH, 4));
	su = tl_connect("postgres");
	snprintf(path, sizeof(path), "%s", tl_query1(su, "SHOW data_directory"));
	PQfinish(su);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/../server.log");
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot read the server log at %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	log = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(log, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	/* The failure is logged (so the log is the right one), the text is not. */
	assert_non_null(strstr(log, "permission denied for table concern"));
	assert_null(strstr(log, "Xylophone"));
	free(log);
}

static void
test_security_retry_after_lost_commit_writes_once(void **state)
{
	char *out, *err;
	const char *id = "77777777-7777-4777-8777-777777777777";

	(void)state;
	if (!tl_db_available())
		skip();
	/* The connection is cut after COMMIT is sent, before its reply is read:
	 * the client reconnects, retries with the same id, and finds it. */
	assert_int_equal(tl_run(TL_ARGV("concern", "add", "Elm House", "--risk", "medium", "--category",
					"nutrition", "--source", "family", "--note", "Meals missed",
					"--id", id),
				NULL, &out, &err, "CW_TEST_DROP_AFTER_COMMIT=1"), 0);
	assert_string_equal(out, "already recorded: concern 77777777-7777-4777-8777-777777777777 for Elm House"
				 " (nothing written)\n");
	free(out);
	free(err);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern WHERE id = '77777777-7777-4777-8777-777777777777'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file WHERE concern_id = '77777777-7777-4777-8777-777777777777'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE row_id = '77777777-7777-4777-8777-777777777777'"), 1);
}

/* True when the file holds the bytes of s (a binary's strings). */
static bool
file_holds(const char *path, const char *s)
{
	FILE *f = fopen(path, "rb");
	size_t n = strlen(s), have = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	bool found = false;
	size_t got;

	assert_non_null(f);
	assert_non_null(buf);
	while ((got = fread(buf + have, 1, cap - have, f)) > 0) {
		have += got;
		if (have == cap) {
			char *more = realloc(buf, cap * 2);
			assert_non_null(more);
			buf = more;
			cap *= 2;
		}
	}
	fclose(f);
	for (size_t i = 0; !found && i + n <= have; i++)
		found = memcmp(buf + i, s, n) == 0;
	free(buf);
	return found;
}

/* The fault the test above injects is in the test build only: the release
 * objects (build/rel, what bin/carewatch and cwgen link; make check builds
 * db.o there for cwgen) do not read the variable at all. */
static void
test_security_test_hook_not_in_the_release_build(void **state)
{
	(void)state;
	assert_true(file_holds(tl_path("../build/test/db.o"), "CW_TEST_DROP_AFTER_COMMIT"));
	assert_false(file_holds(tl_path("../build/rel/db.o"), "CW_TEST_DROP_AFTER_COMMIT"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_role_matrix),
		cmocka_unit_test(test_security_commands_refused_by_role),
		cmocka_unit_test(test_security_hostile_text_is_stored_exactly),
		cmocka_unit_test(test_security_bad_text_is_refused_without_echo),
		cmocka_unit_test(test_security_free_text_never_reaches_the_server_log),
		cmocka_unit_test(test_security_retry_after_lost_commit_writes_once),
		cmocka_unit_test(test_security_test_hook_not_in_the_release_build),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
