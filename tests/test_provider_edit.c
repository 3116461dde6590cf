/*
 * test_provider_edit.c - `carewatch provider edit` and api.provider_edit.
 *
 * Through the real binary: an officer's edit changes only the fields given,
 * writes one provider_change row per field changed, queues a rescore and
 * shows in `provider show`; bad values, an unknown provider, a no-op and a
 * closing without its day are refused with exit codes and messages, writing
 * nothing; a retried --id writes once.  Over raw libpq: people still cannot
 * UPDATE provider or write its history, read-only logins cannot call the
 * function or read the notes, and psql gets the function's own answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_pe_off"
#define MANAGER "PGUSER=cwt_pe_mgr"
#define READONLY "PGUSER=cwt_pe_ro"

#define ASHFIELD "11111111-1111-4111-8111-111111111111"
#define BIRCH "22222222-2222-4222-8222-222222222222"
#define CEDAR "33333333-3333-4333-8333-333333333333"

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_pedit", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pe_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pe_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_pe_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Ashfield House", "--care-type", "residential",
			     "--locality", "north", "--beds", "40", "--id", ASHFIELD), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Birch Day Centre", "--care-type", "day_care",
			     "--locality", "east", "--id", BIRCH), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Cedar Lodge", "--care-type", "nursing", "--locality",
			     "west", "--beds", "20", "--registered", "2010-05-01", "--id", CEDAR),
		     NULL, 0));
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* provider_change rows of one provider. */
static long
changes(const char *pid)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM provider_change WHERE provider_id = '%s'", pid);
	return tl_count(owner, sql);
}

/* Run the binary expecting exit want, and check stderr holds msg and
 * stdout is empty. */
static void
refused(const char *const argv[], const char *env, int want, const char *msg)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != want || strstr(err, msg) == NULL)
		fail_msg("want exit %d and \"%s\"\ngot exit %d\nstdout: %s\nstderr: %s", want, msg, rc,
			 out, err);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

static void
test_provider_edit_locality_and_beds(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* The scorer has taken the provider off the queue. */
	tl_query1(owner, "DELETE FROM score_queue WHERE provider_id = '" ASHFIELD "'");
	out = tl_run_out(TL_ARGV("provider", "edit", "Ashfield House", "--locality", "South", "--beds",
			      "42", "--note", "moved; extension opened"), OFFICER, 0);
	assert_string_equal(out, "Ashfield House: locality north -> south, beds 40 -> 42\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT locality || ' ' || beds || ' ' || care_type"
					     " FROM provider WHERE id = '" ASHFIELD "'"),
			    "south 42 residential");
	assert_string_equal(tl_query1(owner,
				      "SELECT string_agg(concat_ws('|', field, old_value, new_value,"
				      " changed_by, note), ';' ORDER BY field) FROM provider_change"
				      " WHERE provider_id = '" ASHFIELD "'"),
			    "beds|40|42|cwt_pe_off|moved; extension opened;"
			    "locality|north|south|cwt_pe_off|moved; extension opened");
	/* One request: both rows share its id and time. */
	assert_string_equal(tl_query1(owner, "SELECT count(DISTINCT (request_id, changed_at))"
					     " FROM provider_change WHERE provider_id = '" ASHFIELD "'"),
			    "1");
	/* Queued for rescoring, and the scorer was told. */
	assert_string_equal(tl_query1(owner, "SELECT count(*) FROM score_queue"
					     " WHERE provider_id = '" ASHFIELD "'"), "1");
	out = tl_run_out(TL_ARGV("provider", "show", "Ashfield House"), OFFICER, 0);
	assert_non_null(strstr(out, "  locality     South\n"));
	assert_non_null(strstr(out, "  beds         42\n"));
	assert_non_null(strstr(out, "locality north -> south"));
	free(out);
	/* The rescore sees the new facts: the scorer drains the queue. */
	tl_scorer_drain();
	assert_string_equal(tl_query1(owner, "SELECT count(*) FROM score_queue"
					     " WHERE provider_id = '" ASHFIELD "'"), "0");
}

static void
test_provider_edit_bad_values_refused(void **state)
{
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = changes(BIRCH);
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--care-type", "castle", "--note", "x"),
		OFFICER, 2, "invalid care type 'castle' (expected home_care, residential,");
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--locality", "atlantis", "--note", "x"),
		OFFICER, 2, "unknown locality 'atlantis' (expected east, north, norwich, south or west)");
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--beds", "-3", "--note", "x"), OFFICER, 2,
		"beds");
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--beds", "12"), OFFICER, 2,
		"missing --note TEXT");
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--note", "nothing given"), OFFICER, 2,
		"carewatch: error: nothing to change\n");
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--beds", "12", "--note", "x", "--id",
			"not-a-uuid"), OFFICER, 2, "invalid --id 'not-a-uuid' (expected a UUID)");
	refused(TL_ARGV("provider", "edit", "Nowhere Lodge", "--beds", "12", "--note", "x"), OFFICER, 5,
		"no provider matches 'Nowhere Lodge'");
	assert_int_equal(changes(BIRCH), before);
	assert_string_equal(tl_query1(owner, "SELECT care_type || ' ' || locality || ' '"
					     " || coalesce(beds::text, '-') FROM provider WHERE id = '" BIRCH "'"),
			    "day_care east -");
}

static void
test_provider_edit_noop_refused(void **state)
{
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = changes(BIRCH);
	refused(TL_ARGV("provider", "edit", "Birch Day Centre", "--care-type", "day_care", "--locality",
			"east", "--note", "Nothing-to-change secret note"), OFFICER, 2,
		"nothing to change: the provider already has those values");
	assert_int_equal(changes(BIRCH), before);
	/* The refusal's note never reaches the server log. */
	assert_false(tl_server_log_contains("Nothing-to-change secret note"));
}

static void
test_provider_edit_retry_writes_once(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	out = tl_run_out(TL_ARGV("provider", "edit", BIRCH, "--beds", "15", "--care-type", "home_care",
			      "--note", "recounted", "--id", "44444444-4444-4444-8444-444444444444"),
			 OFFICER, 0);
	assert_string_equal(out, "Birch Day Centre: care type day_care -> home_care, beds none -> 15\n");
	free(out);
	assert_int_equal(changes(BIRCH), 2);
	out = tl_run_out(TL_ARGV("provider", "edit", BIRCH, "--beds", "15", "--care-type", "home_care",
			      "--note", "recounted", "--id", "44444444-4444-4444-8444-444444444444"),
			 OFFICER, 0);
	assert_string_equal(out, "already recorded: Birch Day Centre: care type day_care -> home_care,"
				 " beds none -> 15 (nothing written)\n");
	free(out);
	assert_int_equal(changes(BIRCH), 2);
	/* The same id for another edit is refused. */
	refused(TL_ARGV("provider", "edit", BIRCH, "--beds", "16", "--note", "recounted", "--id",
			"44444444-4444-4444-8444-444444444444"), OFFICER, 7,
		"already recorded with different content");
	assert_int_equal(changes(BIRCH), 2);
	assert_string_equal(tl_query1(owner, "SELECT beds FROM provider WHERE id = '" BIRCH "'"), "15");
}

static void
test_provider_edit_readonly_refused(void **state)
{
	char *out, *err;
	PGconn *c;
	PGresult *r;

	(void)state;
	if (!tl_db_available())
		skip();
	assert_int_equal(tl_run(TL_ARGV("provider", "edit", "Cedar Lodge", "--beds", "25", "--note",
					"not mine to change"), NULL, &out, &err, READONLY), 4);
	assert_string_equal(out, "");
	assert_string_equal(err, "carewatch: error: editing providers is for QA officers and managers\n");
	assert_null(strstr(err, "table"));
	assert_null(strstr(err, "provider_change"));
	free(out);
	free(err);
	assert_int_equal(changes(CEDAR), 0);
	/* Over libpq: no EXECUTE, and the history without its notes. */
	c = tl_connect("cwt_pe_ro");
	r = PQexec(c, "SELECT * FROM api.provider_edit('" CEDAR "', gen_random_uuid(), NULL, NULL, 25,"
		      " NULL, NULL, NULL, 'x')");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
	PQclear(r);
	r = PQexec(c, "SELECT note FROM provider_change");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
	PQclear(r);
	r = PQexec(c, "SELECT field, old_value, new_value, changed_by FROM provider_change");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	PQfinish(c);
	assert_string_equal(tl_query1(owner, "SELECT beds FROM provider WHERE id = '" CEDAR "'"), "20");
}

/* Each statement as the officer over libpq: refused with 42501. */
static const char *const officer_refused[] = {
	"UPDATE provider SET beds = 99 WHERE id = '" CEDAR "'",
	"UPDATE provider SET locality = 'north'",
	"DELETE FROM provider WHERE id = '" CEDAR "'",
	"INSERT INTO provider_change (id, provider_id, request_id, field, old_value, new_value, note)"
	" VALUES (gen_random_uuid(), '" CEDAR "', gen_random_uuid(), 'beds', '20', '99', 'forged')",
	"UPDATE provider_change SET note = 'rewritten'",
	"DELETE FROM provider_change",
};

static void
test_provider_edit_direct_update_refused(void **state)
{
	PGconn *c;
	PGresult *r;

	(void)state;
	if (!tl_db_available())
		skip();
	c = tl_connect("cwt_pe_off");
	for (size_t i = 0; i < sizeof(officer_refused) / sizeof(officer_refused[0]); i++) {
		const char *st;
		r = PQexec(c, officer_refused[i]);
		st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (st == NULL || strcmp(st, "42501") != 0)
			fail_msg("officer may not: %s\nbut got %s", officer_refused[i], st ? st : "success");
		PQclear(r);
	}
	/* psql gets the function's answers: a value out of range, then a
	 * change, returned field by field. */
	r = PQexec(c, "SELECT * FROM api.provider_edit('" CEDAR "', gen_random_uuid(), NULL, NULL,"
		      " 10001, NULL, NULL, NULL, 'x')");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "22023");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
			    "invalid number of beds (expected 0 to 10000)");
	PQclear(r);
	r = PQexec(c, "SELECT * FROM api.provider_edit('" CEDAR "', gen_random_uuid(), NULL, NULL,"
		      " 24, NULL, NULL, NULL, NULL)");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "22023");
	PQclear(r);
	r = PQexec(c, "SELECT field_name, value_was, value_now, already FROM api.provider_edit('" CEDAR
		      "', gen_random_uuid(), NULL, NULL, 24, NULL, NULL, NULL, 'by psql')");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "beds");
	assert_string_equal(PQgetvalue(r, 0, 1), "20");
	assert_string_equal(PQgetvalue(r, 0, 2), "24");
	assert_string_equal(PQgetvalue(r, 0, 3), "f");
	PQclear(r);
	PQfinish(c);
	assert_string_equal(tl_query1(owner, "SELECT beds FROM provider WHERE id = '" CEDAR "'"), "24");
}

static void
test_provider_edit_closing_needs_its_day(void **state)
{
	PGconn *c;
	PGresult *r;
	char *out;
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	before = changes(CEDAR);
	refused(TL_ARGV("provider", "edit", "Cedar Lodge", "--status", "closed", "--note", "closed down"),
		OFFICER, 2, "--status closed needs --closed-on DATE");
	refused(TL_ARGV("provider", "edit", "Cedar Lodge", "--closed-on", "2024-03-31", "--note", "x"),
		OFFICER, 2, "only a closed provider has a closing day");
	refused(TL_ARGV("provider", "edit", "Cedar Lodge", "--status", "closed", "--closed-on",
			"2009-01-01", "--note", "x"),
		OFFICER, 2, "the closing day is before the provider was registered");
	refused(TL_ARGV("provider", "edit", "Cedar Lodge", "--status", "shut", "--closed-on", "2024-03-31",
			"--note", "x"), OFFICER, 2, "invalid status 'shut' (expected active or closed)");
	/* The function holds the same rule for psql. */
	c = tl_connect("cwt_pe_off");
	r = PQexec(c, "SELECT * FROM api.provider_edit('" CEDAR "', gen_random_uuid(), NULL, NULL, NULL,"
		      " 'closed', NULL, NULL, 'x')");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "22023");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
			    "closing a provider needs the day it closed");
	PQclear(r);
	PQfinish(c);
	assert_int_equal(changes(CEDAR), before);
	out = tl_run_out(TL_ARGV("provider", "edit", "Cedar Lodge", "--status", "closed", "--closed-on",
			      "2024-03-31", "--note", "closed down"), MANAGER, 0);
	assert_string_equal(out, "Cedar Lodge: status active -> closed, closed on none -> 2024-03-31\n");
	free(out);
	/* The closure counts in the market figures as CQC's deactivations do:
	 * one provider_loss row, its day and its beds, recorded by the manager. */
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws(' ', l.kind, l.occurred_on,"
					     " l.beds_lost = coalesce(p.beds, 0), l.recorded_by), ';')"
					     " FROM provider_loss l JOIN provider p ON p.id = l.provider_id"
					     " WHERE l.provider_id = '" CEDAR "'"),
			    "closure 2024-03-31 t cwt_pe_mgr");
	/* Reopening clears the day; renaming is the manager's too. */
	out = tl_run_out(TL_ARGV("provider", "edit", "Cedar Lodge", "--status", "active", "--name",
			      "Cedar Lodge Nursing Home", "--note", "reopened under a new name"),
			 MANAGER, 0);
	assert_string_equal(out, "Cedar Lodge: name Cedar Lodge -> Cedar Lodge Nursing Home,"
				 " status closed -> active, closed on 2024-03-31 -> none\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT concat_ws(' ', name, status, closed_on)"
					     " FROM provider WHERE id = '" CEDAR "'"),
			    "Cedar Lodge Nursing Home active");
	/* Reopening keeps the loss: the closure happened. */
	assert_string_equal(tl_query1(owner, "SELECT count(*) FROM provider_loss"
					     " WHERE provider_id = '" CEDAR "'"), "1");
	assert_int_equal(changes(CEDAR), before + 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_edit_locality_and_beds),
		cmocka_unit_test(test_provider_edit_bad_values_refused),
		cmocka_unit_test(test_provider_edit_noop_refused),
		cmocka_unit_test(test_provider_edit_retry_writes_once),
		cmocka_unit_test(test_provider_edit_readonly_refused),
		cmocka_unit_test(test_provider_edit_direct_update_refused),
		cmocka_unit_test(test_provider_edit_closing_needs_its_day),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
