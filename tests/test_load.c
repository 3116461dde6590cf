/*
 * test_load.c - 8 concurrent writers x 500 concerns through the engine API,
 * with a nightly run in the middle: exactly 4,000 concerns and cases, each
 * case assigned once to an officer who covers its locality, continuity kept
 * (one officer per provider), no error left to the user, none of the writes
 * lost to the nightly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carewatch/record.h"
#include "testlib.h"

#define WRITERS 8
#define EACH 500
#define PROVIDERS 40

static const char *dbname;
static PGconn *owner;

static int
setup(void **state)
{
	static const char *const loc[] = {"north", "south", "east", "west", "norwich"};
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_load", true);
	owner = tl_connect(NULL);
	tl_query1(owner, "INSERT INTO officer (login, name, fte) VALUES"
			 " ('lo_a', 'A', 1), ('lo_b', 'B', 0.5), ('lo_c', 'C', 1), ('lo_d', 'D', 0.8),"
			 " ('lo_e', 'E', 1), ('lo_f', 'F', 1)");
	tl_query1(owner, "INSERT INTO officer_locality VALUES ('lo_a', 'north'), ('lo_a', 'east'),"
			 " ('lo_b', 'north'), ('lo_c', 'south'), ('lo_c', 'west'), ('lo_d', 'west'),"
			 " ('lo_d', 'norwich'), ('lo_e', 'norwich'), ('lo_e', 'east'), ('lo_f', 'south')");
	for (int i = 0; i < PROVIDERS; i++) {
		char sql[300];
		snprintf(sql, sizeof(sql), "INSERT INTO provider (id, name, care_type, locality) VALUES"
			 " ('88888888-8888-4888-8888-%012d', 'Load Home %02d', 'residential', '%s')",
			 i, i, loc[i % 5]);
		tl_query1(owner, sql);
	}
	assert_int_equal(tl_run(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL,
				&out, &err, NULL), 0);
	free(out);
	free(err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* One writer: EACH concerns through cw_record on its own connection.
 * Exits with the number of failures (0 expected). */
static int
writer(int w)
{
	static const char *const risks[] = {"low", "medium", "high", "very_high"};
	struct cw_error err;
	struct cw_db *db;
	int failures = 0;

	cw_error_clear(&err);
	db = cw_db_open(NULL, &err);
	if (db == NULL)
		return 100;
	for (int i = 0; i < EACH; i++) {
		char provider[40], summary[64];
		const char *values[6];
		struct cw_record_result res;

		snprintf(provider, sizeof(provider), "88888888-8888-4888-8888-%012d", (w * 7 + i) % PROVIDERS);
		snprintf(summary, sizeof(summary), "writer %d concern %d", w, i);
		values[0] = risks[(w + i) % 4];
		values[1] = "staffing";
		values[2] = "public";
		values[3] = NULL;
		values[4] = NULL;
		values[5] = summary;
		if (!cw_record(db, &cw_kind_concern, provider, values, NULL, &res, &err)) {
			fprintf(stderr, "writer %d: %s (%s)\n", w, err.msg, err.sqlstate);
			failures++;
		}
	}
	cw_db_close(db);
	return failures > 99 ? 99 : failures;
}

static void
test_load_eight_writers_and_a_nightly(void **state)
{
	pid_t pids[WRITERS], nightly;
	int status;

	(void)state;
	if (!tl_db_available())
		skip();
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0)
			_exit(writer(w));
	}
	/* A nightly run while the writers are busy. */
	while (tl_count(owner, "SELECT count(*) FROM concern") < 1000)
		usleep(100 * 1000);
	nightly = fork();
	if (nightly == 0) {
		char *out, *err;
		int rc = tl_run(TL_ARGV("nightly"), NULL, &out, &err, NULL);
		if (rc != 0)
			fprintf(stderr, "nightly: %s", err);
		_exit(rc);
	}
	for (int w = 0; w < WRITERS; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(waitpid(nightly, &status, 0), nightly);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM concern"), WRITERS * EACH);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file"), WRITERS * EACH);
	/* Each case assigned exactly once, to an officer covering its locality. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM (SELECT case_id FROM case_assignment"
					 " GROUP BY case_id HAVING count(*) = 1) x"), WRITERS * EACH);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM case_file c JOIN provider p ON p.id = c.provider_id"
					 " WHERE c.assigned_to IS NULL OR NOT EXISTS (SELECT 1 FROM officer_locality l"
					 " WHERE l.login = c.assigned_to AND l.locality = p.locality)"), 0);
	/* Continuity: all of a provider's open cases are with one officer. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM (SELECT provider_id FROM case_file"
					 " WHERE state <> 'closed' GROUP BY provider_id"
					 " HAVING count(DISTINCT assigned_to) > 1) x"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM nightly_run WHERE outcome = 'succeeded'"), 1);
	/* Every provider's current score is its latest, none lost or doubled. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_current_score"), PROVIDERS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_eight_writers_and_a_nightly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
