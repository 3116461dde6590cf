/*
 * test_db.c - the SQL wrapper on a real database: batches (pipeline mode)
 * answer in order, stop at the first failure and leave the connection
 * usable; results can be read early while the rest still runs; one batch
 * at a time has the connection; a transaction's BEGIN travels with its
 * first statement (COPY and raw libpq use included) and a failed unit
 * writes nothing; statements are prepared on their third run, in a batch
 * too; the session user comes without a query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "carewatch/db.h"

static const char *dbname;
static struct cw_db *db;

static int
setup(void **state)
{
	struct cw_error err;

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_db", false);
	cw_error_clear(&err);
	db = cw_db_open(NULL, &err);
	if (db == NULL)
		fail_msg("cannot connect: %s", err.msg);
	if (!cw_db_exec(db, "CREATE TABLE t (n int PRIMARY KEY, s text)", 0, NULL, &err))
		fail_msg("cannot create t: %s", err.msg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cw_db_close(db);
	if (dbname)
		tl_db_drop(dbname);
	return 0;
}

/* Empty t, then check the connection is usable (not left in a pipeline). */
static void
reset(void)
{
	struct cw_error err;

	cw_error_clear(&err);
	assert_true(cw_db_exec(db, "DELETE FROM t", 0, NULL, &err));
}

/* The connection answers a plain query (it was not left in a pipeline). */
static void
assert_usable(void)
{
	struct cw_error err;
	char buf[8];

	cw_error_clear(&err);
	assert_true(cw_db_value(db, "SELECT 'ok'", 0, NULL, buf, sizeof(buf), NULL, &err));
	assert_string_equal(buf, "ok");
	assert_int_equal(PQpipelineStatus(cw_db_conn(db)), PQ_PIPELINE_OFF);
}

static long
count_t(void)
{
	struct cw_error err;
	char buf[32];

	cw_error_clear(&err);
	assert_true(cw_db_value(db, "SELECT count(*) FROM t", 0, NULL, buf, sizeof(buf), NULL, &err));
	return atol(buf);
}

static void
test_db_batch_answers_in_order(void **state)
{
	struct cw_db_batch b;
	struct cw_error err;
	const char *one[2] = {"1", "one"}, *two[2] = {"2", "two"};
	int i1, i2, i3, i4;

	(void)state;
	if (!tl_db_available())
		skip();
	reset();
	cw_error_clear(&err);
	cw_db_batch_init(&b, db);
	i1 = cw_db_batch_add(&b, "INSERT INTO t VALUES ($1, $2) RETURNING n", 2, one);
	i2 = cw_db_batch_add(&b, "INSERT INTO t VALUES ($1, $2) RETURNING n", 2, two);
	/* Each statement sees the ones before it. */
	i3 = cw_db_batch_add(&b, "SELECT string_agg(s, ',' ORDER BY n) FROM t", 0, NULL);
	i4 = cw_db_batch_add(&b, "SELECT 40 + 2", 0, NULL);
	assert_int_equal(i1, 0);
	assert_int_equal(i4, 3);
	assert_null(cw_db_batch_result(&b, i1));        /* nothing before it runs */
	assert_true(cw_db_batch_run(&b, &err));
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, i1), 0, 0), "1");
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, i2), 0, 0), "2");
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, i3), 0, 0), "one,two");
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, i4), 0, 0), "42");
	/* A batch that has run takes no more. */
	assert_int_equal(cw_db_batch_add(&b, "SELECT 1", 0, NULL), -1);
	cw_db_batch_free(&b);
	/* Outside a transaction each statement committed on its own. */
	assert_int_equal(count_t(), 2);
}

static void
test_db_batch_stops_at_the_first_failure(void **state)
{
	struct cw_db_batch b;
	struct cw_error err;
	const char *one[2] = {"1", "one"};
	int ok1;

	(void)state;
	if (!tl_db_available())
		skip();
	reset();
	cw_error_clear(&err);
	cw_db_batch_init(&b, db);
	ok1 = cw_db_batch_add(&b, "SELECT 1", 0, NULL);
	(void)cw_db_batch_add(&b, "SELECT 1 / 0", 0, NULL);
	(void)cw_db_batch_add(&b, "INSERT INTO t VALUES ($1, $2)", 2, one);
	assert_false(cw_db_batch_run(&b, &err));
	assert_string_equal(err.sqlstate, "22012");
	assert_int_equal(err.code, CW_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "division by zero"));
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, ok1), 0, 0), "1");
	cw_db_batch_free(&b);
	/* The INSERT after the failure was skipped; the connection still works. */
	assert_usable();
	assert_int_equal(count_t(), 0);

	/* A batch freed without running is drained, and nothing is lost. */
	cw_db_batch_init(&b, db);
	(void)cw_db_batch_add(&b, "INSERT INTO t VALUES ($1, $2)", 2, one);
	cw_db_batch_free(&b);
	assert_int_equal(count_t(), 1);
}

static void
test_db_batch_reads_early_while_the_rest_runs(void **state)
{
	struct cw_db_batch b;
	struct cw_error err;
	int first, slow;

	(void)state;
	if (!tl_db_available())
		skip();
	cw_error_clear(&err);
	cw_db_batch_init(&b, db);
	first = cw_db_batch_add(&b, "SELECT 'early'", 0, NULL);
	cw_db_batch_send(&b);
	slow = cw_db_batch_add(&b, "SELECT 'late' FROM pg_sleep(0.05)", 0, NULL);
	assert_true(cw_db_batch_wait(&b, first, &err));
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, first), 0, 0), "early");
	assert_null(cw_db_batch_result(&b, slow));
	/* More can be added after an early read. */
	(void)cw_db_batch_add(&b, "SELECT 3", 0, NULL);
	assert_true(cw_db_batch_run(&b, &err));
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, slow), 0, 0), "late");
	assert_string_equal(PQgetvalue(cw_db_batch_result(&b, 2), 0, 0), "3");
	cw_db_batch_free(&b);

	/* An early read reports a failure among the results it read. */
	cw_db_batch_init(&b, db);
	first = cw_db_batch_add(&b, "SELECT 1 / 0", 0, NULL);
	(void)cw_db_batch_add(&b, "SELECT 2", 0, NULL);
	assert_false(cw_db_batch_wait(&b, first, &err));
	assert_string_equal(err.sqlstate, "22012");
	cw_db_batch_free(&b);
	assert_usable();
}

static void
test_db_one_batch_at_a_time(void **state)
{
	struct cw_db_batch a, b;
	struct cw_error err;
	int i;

	(void)state;
	if (!tl_db_available())
		skip();
	cw_error_clear(&err);
	cw_db_batch_init(&a, db);
	cw_db_batch_init(&b, db);
	i = cw_db_batch_add(&a, "SELECT 'a'", 0, NULL);
	assert_int_equal(cw_db_batch_add(&b, "SELECT 'b'", 0, NULL), -1);
	assert_false(cw_db_batch_run(&b, &err));
	assert_string_equal(err.msg, "another batch was open");
	cw_error_clear(&err);
	assert_null(cw_db_query(db, "SELECT 1", 0, NULL, &err));
	assert_string_equal(err.msg, "a statement was run while a batch was open");
	cw_error_clear(&err);
	assert_true(cw_db_batch_run(&a, &err));
	assert_string_equal(PQgetvalue(cw_db_batch_result(&a, i), 0, 0), "a");
	cw_db_batch_free(&a);
	cw_db_batch_free(&b);
	assert_usable();

	/* At most CW_DB_BATCH_MAX statements; the rest is refused, not lost
	 * silently: the run fails and says why. */
	cw_db_batch_init(&a, db);
	for (int k = 0; k < CW_DB_BATCH_MAX; k++)
		assert_int_equal(cw_db_batch_add(&a, "SELECT 1", 0, NULL), k);
	assert_int_equal(cw_db_batch_add(&a, "SELECT 1", 0, NULL), -1);
	assert_false(cw_db_batch_run(&a, &err));
	assert_string_equal(err.msg, "too many statements in one batch (at most 16)");
	cw_db_batch_free(&a);
	assert_usable();
}

struct work {
	int step;                       /* which unit test_db_transaction runs */
	int status;                     /* PQtransactionStatus seen inside */
};

static bool
work_fn(struct cw_db *d, void *ctx, struct cw_error *err)
{
	struct work *w = ctx;
	const char *one[2] = {"1", "one"}, *two[2] = {"2", "two"};
	PGconn *c;

	switch (w->step) {
	case 0:                         /* a statement, then look at the session */
		if (!cw_db_exec(d, "INSERT INTO t VALUES ($1, $2)", 2, one, err))
			return false;
		w->status = PQtransactionStatus(cw_db_conn(d));
		return true;
	case 1:                         /* raw libpq first: the BEGIN goes before it */
		c = cw_db_conn(d);
		w->status = PQtransactionStatus(c);
		return cw_db_exec(d, "INSERT INTO t VALUES ($1, $2)", 2, two, err);
	case 2: {                       /* COPY first */
		PGresult *r = cw_db_query(d, "COPY t FROM STDIN", 0, NULL, err);
		if (r == NULL)
			return false;
		PQclear(r);
		c = cw_db_conn(d);
		if (PQputCopyData(c, "3\tthree\n", 8) != 1 || PQputCopyEnd(c, NULL) != 1)
			return cw_error_set(err, CW_EXIT_FAIL, "copy failed");
		while ((r = PQgetResult(c)) != NULL)
			PQclear(r);
		w->status = PQtransactionStatus(c);
		return true;
	}
	case 3:                         /* a batch first, failing at its second */
		{
			struct cw_db_batch b;
			const char *four[2] = {"4", "four"};
			bool ok;

			cw_db_batch_init(&b, d);
			(void)cw_db_batch_add(&b, "INSERT INTO t VALUES ($1, $2)", 2, four);
			(void)cw_db_batch_add(&b, "INSERT INTO t VALUES ($1, $2)", 2, one);
			ok = cw_db_batch_run(&b, err);
			cw_db_batch_free(&b);
			return ok;
		}
	default:                        /* nothing at all */
		return true;
	}
}

static void
test_db_transaction_begin_goes_with_the_first_statement(void **state)
{
	struct work w = {0};
	struct cw_error err;

	(void)state;
	if (!tl_db_available())
		skip();
	reset();
	cw_error_clear(&err);
	assert_true(cw_db_transaction(db, "READ COMMITTED", work_fn, &w, NULL, &err));
	assert_int_equal(w.status, PQTRANS_INTRANS);
	w.step = 1;
	assert_true(cw_db_transaction(db, "SERIALIZABLE", work_fn, &w, NULL, &err));
	assert_int_equal(w.status, PQTRANS_INTRANS);
	w.step = 2;
	assert_true(cw_db_transaction(db, "READ COMMITTED", work_fn, &w, NULL, &err));
	assert_int_equal(w.status, PQTRANS_INTRANS);
	assert_int_equal(count_t(), 3);
	/* A failing unit writes nothing, its first statement included. */
	w.step = 3;
	assert_false(cw_db_transaction(db, "READ COMMITTED", work_fn, &w, NULL, &err));
	assert_string_equal(err.sqlstate, "23505");
	assert_int_equal(count_t(), 3);
	/* A unit that runs nothing ends cleanly, and the session is idle. */
	w.step = 4;
	cw_error_clear(&err);
	assert_true(cw_db_transaction(db, "READ COMMITTED", work_fn, &w, NULL, &err));
	assert_int_equal(PQtransactionStatus(cw_db_conn(db)), PQTRANS_IDLE);
}

static long
prepared(void)
{
	struct cw_error err;
	char buf[32];

	cw_error_clear(&err);
	assert_true(cw_db_value(db, "SELECT count(*) FROM pg_prepared_statements WHERE statement"
				    " LIKE 'SELECT $1::int + %'", 0, NULL, buf, sizeof(buf), NULL, &err));
	return atol(buf);
}

static void
test_db_prepares_on_the_third_run(void **state)
{
	static const char sql[] = "SELECT $1::int + 1";
	static const char sql2[] = "SELECT $1::int + 2";
	const char *p[1] = {"41"};
	struct cw_error err;
	char buf[16];

	(void)state;
	if (!tl_db_available())
		skip();
	cw_error_clear(&err);
	for (int run = 1; run <= 4; run++) {
		assert_true(cw_db_value(db, sql, 1, p, buf, sizeof(buf), NULL, &err));
		assert_string_equal(buf, "42");
		/* A one-shot command's two runs never pay for a PREPARE. */
		assert_int_equal(prepared(), run >= 3 ? 1 : 0);
	}
	/* In a batch too (its Parse travels with it). */
	for (int run = 1; run <= 3; run++) {
		struct cw_db_batch b;
		int i;

		cw_db_batch_init(&b, db);
		i = cw_db_batch_add(&b, sql2, 1, p);
		assert_true(cw_db_batch_run(&b, &err));
		assert_string_equal(PQgetvalue(cw_db_batch_result(&b, i), 0, 0), "43");
		cw_db_batch_free(&b);
		assert_int_equal(prepared(), run >= 3 ? 2 : 1);
	}
}

static void
test_db_user_is_the_session_user(void **state)
{
	struct cw_error err;
	char buf[128];

	(void)state;
	if (!tl_db_available())
		skip();
	cw_error_clear(&err);
	assert_true(cw_db_value(db, "SELECT session_user", 0, NULL, buf, sizeof(buf), NULL, &err));
	assert_string_equal(cw_db_user(db), buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_batch_answers_in_order),
		cmocka_unit_test(test_db_batch_stops_at_the_first_failure),
		cmocka_unit_test(test_db_batch_reads_early_while_the_rest_runs),
		cmocka_unit_test(test_db_one_batch_at_a_time),
		cmocka_unit_test(test_db_transaction_begin_goes_with_the_first_statement),
		cmocka_unit_test(test_db_prepares_on_the_third_run),
		cmocka_unit_test(test_db_user_is_the_session_user),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
