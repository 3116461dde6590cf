/*
 * test_search.c - `carewatch search` and api.search (schema/021_search.sql,
 * 032_search_fast.sql).
 *
 * A few concerns, a visit and a case closure at two providers, then:
 * English stemming ("falling" finds "falls"), case notes found with their
 * case number, --provider, --since and --limit, the usage errors, and the
 * trust boundary: readonly and batch logins are refused by the binary and
 * over raw libpq alike, and cannot read the text columns directly either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_srch_off"
#define READONLY "PGUSER=cwt_srch_ro"
#define BATCH "PGUSER=cwt_srch_batch"

#define ALDER_FALL "a1a1a1a1-0000-4000-8000-000000000001"
#define ALDER_MEDS "a1a1a1a1-0000-4000-8000-000000000002"
#define BIRCH_FALL "b2b2b2b2-0000-4000-8000-000000000001"
#define BIRCH_VISIT "b2b2b2b2-0000-4000-8000-000000000002"

static void
concern(const char *provider, const char *id, const char *received, const char *summary)
{
	free(tl_run_out(TL_ARGV("concern", "add", provider, "--risk", "medium", "--category", "other",
			     "--source", "family", "--received", received, "--note", summary,
			     "--id", id), OFFICER, 0));
}

static int
setup(void **state)
{
	char sql[200];

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_search", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_srch_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_srch_ro", "--as", "readonly"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_srch_batch", "--as", "batch"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_srch_off", "--name", "Search Officer", "--fte",
			     "1", "--locality", "norwich"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Alder Court", "--care-type", "residential",
			     "--locality", "norwich", "--cqc-id", "1-2000000001"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Birch Lodge", "--care-type", "nursing",
			     "--locality", "norwich"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	concern("Alder Court", ALDER_FALL, "2025-03-01 10:00", "Resident falls twice in the lounge at night.");
	concern("Alder Court", ALDER_MEDS, "2026-10-01 09:00", "Medication missed on the evening round.");
	concern("Birch Lodge", BIRCH_FALL, "2026-11-01 14:30", "Daughter says her mother falls often.");
	free(tl_run_out(TL_ARGV("visit", "add", "Birch Lodge", "--kind", "response", "--outcome",
			     "minor_concerns", "--date", "2026-11-15 11:00", "--note",
			     "Falls log incomplete; staff said the sensor mat was unplugged.",
			     "--id", BIRCH_VISIT), OFFICER, 0));
	owner = tl_connect(NULL);
	snprintf(sql, sizeof(sql), "SELECT number FROM case_file WHERE concern_id = '%s'", ALDER_MEDS);
	free(tl_run_out(TL_ARGV("case", "close", tl_query1(owner, sql), "--note",
			     "Provider retrained the evening round staff; checked at a visit."),
		     OFFICER, 0));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* Lines of out that contain needle. */
static int
lines_with(const char *out, const char *needle)
{
	int n = 0;
	for (const char *l = out; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, len);
		if (strstr(line, needle))
			n++;
		free(line);
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

static void
test_search_english_stems_match(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* "falling" is not in any note; its stem is that of "falls". */
	out = tl_run_out(TL_ARGV("search", "falling"), OFFICER, 0);
	assert_int_equal(lines_with(out, "Alder Court"), 1);
	assert_int_equal(lines_with(out, "Birch Lodge"), 2);
	assert_int_equal(lines_with(out, "concern"), 2);
	assert_int_equal(lines_with(out, "visit"), 1);
	assert_non_null(strstr(out, "*falls*"));
	assert_non_null(strstr(out, "2025-03-01"));
	assert_null(strstr(out, "Medication"));
	assert_non_null(strstr(out, "(3 rows)"));
	/* No UUIDs in the table. */
	assert_null(strstr(out, ALDER_FALL));
	assert_null(strstr(out, BIRCH_VISIT));
	free(out);
}

static void
test_search_finds_case_notes_with_their_case(void **state)
{
	char sql[200], number[32], want[64];
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(sql, sizeof(sql), "SELECT number FROM case_file WHERE concern_id = '%s'", ALDER_MEDS);
	snprintf(number, sizeof(number), "%s", tl_query1(owner, sql));
	/* "retraining" stems as "retrained" does; only the closure note has it. */
	out = tl_run_out(TL_ARGV("search", "retraining", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, "date,provider,kind,case,snippet,provider_id,record_id\n"));
	snprintf(want, sizeof(want), ",Alder Court,closure,%s,", number);
	assert_non_null(strstr(out, want));
	assert_int_equal(lines_with(out, ","), 2);
	free(out);
	/* Both the concern and the closure mention the evening round: the
	 * concern's line carries its case's number too. */
	out = tl_run_out(TL_ARGV("search", "\"evening round\"", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), ",Alder Court,concern,%s,", number);
	assert_non_null(strstr(out, want));
	assert_int_equal(lines_with(out, ","), 3);
	free(out);
}

static void
test_search_provider_since_and_limit(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* By name fragment and by CQC location ID. */
	out = tl_run_out(TL_ARGV("search", "falls", "--provider", "Alder"), OFFICER, 0);
	assert_int_equal(lines_with(out, "Alder Court"), 1);
	assert_int_equal(lines_with(out, "Birch Lodge"), 0);
	free(out);
	out = tl_run_out(TL_ARGV("search", "falls", "--provider", "1-2000000001", "--format", "json"),
			 OFFICER, 0);
	assert_non_null(strstr(out, "\"record_id\": \"" ALDER_FALL "\""));
	assert_null(strstr(out, BIRCH_FALL));
	free(out);
	/* --since leaves out the 2025 concern. */
	out = tl_run_out(TL_ARGV("search", "falls", "--since", "2026-01-01", "--format", "csv"),
			 OFFICER, 0);
	assert_non_null(strstr(out, BIRCH_FALL));
	assert_non_null(strstr(out, BIRCH_VISIT));
	assert_null(strstr(out, ALDER_FALL));
	free(out);
	out = tl_run_out(TL_ARGV("search", "falls", "--since", "2026-11-02"), OFFICER, 0);
	assert_int_equal(lines_with(out, "Birch Lodge"), 1);
	assert_non_null(strstr(out, "2026-11-15"));
	free(out);
	/* A cut list says so. */
	out = tl_run_out(TL_ARGV("search", "falls", "--limit", "1"), OFFICER, 0);
	assert_non_null(strstr(out, "(showing the 1 newest; more notes match: --limit 0 for all,"
				    " or narrow with --provider or --since)"));
	assert_non_null(strstr(out, "2026-11-15"));
	free(out);
	/* Exactly as many as the limit: nothing more to say. */
	out = tl_run_out(TL_ARGV("search", "falls", "--limit", "3"), OFFICER, 0);
	assert_null(strstr(out, "more notes match"));
	assert_non_null(strstr(out, "(3 rows)"));
	free(out);
	out = tl_run_out(TL_ARGV("search", "falls", "--limit", "2"), OFFICER, 0);
	assert_non_null(strstr(out, "(showing the 2 newest; more notes match"));
	assert_null(strstr(out, "2025-03-01"));
	free(out);
	out = tl_run_out(TL_ARGV("search", "falls", "--limit", "0"), OFFICER, 0);
	assert_non_null(strstr(out, "(3 rows)"));
	free(out);
}

static void
test_search_usage_errors(void **state)
{
	const struct {
		const char *const *argv;
		int code;
		const char *msg;
	} bad[] = {
		{TL_ARGV("search", ""), 2, "TEXT"},
		{TL_ARGV("search", "   "), 2, "TEXT"},
		{TL_ARGV("search", "the and of"), 2, "no words to search for"},
		{TL_ARGV("search", "!! ?? ..."), 2, "no words to search for"},
		{TL_ARGV("search", "falls", "--limit", "-1"), 2, "limit"},
		{TL_ARGV("search", "falls", "--since", "2026-13-01"), 2, "month"},
		{TL_ARGV("search", "falls", "--provider", "Nowhere House"), 5, "Nowhere"},
		{TL_ARGV("search"), 2, "search"},
	};
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = tl_run(bad[i].argv, NULL, &out, &err, OFFICER);
		if (rc != bad[i].code || strstr(err, bad[i].msg) == NULL ||
		    strncmp(err, "carewatch: error: ", 18) != 0)
			fail_msg("case %zu: exit %d (want %d), stderr:\n%s", i, rc, bad[i].code, err);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
	/* The text searched for is never in the server log. */
	free(tl_run_out(TL_ARGV("search", "Quixotically"), OFFICER, 0));
	assert_int_equal(tl_run(TL_ARGV("search", "Quixotically", "--limit", "-5"), NULL, &out, &err,
				OFFICER), 2);
	free(out);
	free(err);
	assert_false(tl_server_log_contains("Quixotically"));
}

static void
test_search_refused_for_readonly_and_batch(void **state)
{
	static const char *const direct[] = {
		"SELECT summary FROM concern", "SELECT notes FROM visit", "SELECT note FROM case_event",
		"SELECT closure_note FROM case_file", "SELECT decision_note FROM restriction_flag",
		"SELECT count(*) FROM concern WHERE to_tsvector('english', summary) @@ 'fall'",
		/* 032's parsed words are as private as the notes. */
		"SELECT summary_tsv FROM concern", "SELECT notes_tsv FROM visit",
		"SELECT note_tsv FROM case_event", "SELECT decision_note_tsv FROM restriction_flag",
	};
	static const char *const who[] = {"cwt_srch_ro", "cwt_srch_batch"};
	char *out, *err;
	PGresult *r;
	PGconn *c;

	(void)state;
	if (!tl_db_available())
		skip();
	/* The binary: exit 4 with who may. */
	assert_int_equal(tl_run(TL_ARGV("search", "falls"), NULL, &out, &err, READONLY), 4);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "carewatch: error: searching notes is for QA officers and the"
				    " quality manager"));
	assert_null(strstr(err, "falls"));
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("search", "falls"), NULL, &out, &err, BATCH), 4);
	free(out);
	free(err);
	for (size_t w = 0; w < 2; w++) {
		c = tl_connect(who[w]);
		/* psql: the function refuses the same way... */
		r = PQexec(c, "SELECT * FROM api.search('falls', NULL, NULL, 10)");
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
		assert_non_null(strstr(PQresultErrorMessage(r), "searching notes is for QA officers"));
		PQclear(r);
		/* ...and the text is not readable around it. */
		for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
			r = PQexec(c, direct[i]);
			if (PQresultStatus(r) != PGRES_FATAL_ERROR ||
			    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501") != 0)
				fail_msg("%s read: %s", who[w], direct[i]);
			PQclear(r);
		}
		PQfinish(c);
	}
	/* An officer over raw libpq gets the rows the binary shows. */
	c = tl_connect("cwt_srch_off");
	r = PQexec(c, "SELECT kind, provider, more FROM api.search('falling', NULL, NULL, 0)"
		      " ORDER BY kind, provider");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 3);
	assert_string_equal(PQgetvalue(r, 2, 0), "visit");
	assert_string_equal(PQgetvalue(r, 0, 2), "f");
	PQclear(r);
	/* Newest first; with a limit, more says whether the rest was cut. */
	r = PQexec(c, "SELECT to_char(at, 'YYYY-MM-DD'), kind, more"
		      " FROM api.search('falling', NULL, NULL, 2)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 2);
	assert_string_equal(PQgetvalue(r, 0, 0), "2026-11-15");
	assert_string_equal(PQgetvalue(r, 0, 1), "visit");
	assert_string_equal(PQgetvalue(r, 1, 0), "2026-11-01");
	assert_string_equal(PQgetvalue(r, 1, 2), "t");
	PQclear(r);
	PQfinish(c);
}

/* A withdrawn record (030) is not found; a corrected one is found as its
 * correction. */
static void
test_search_leaves_withdrawn_and_corrected_records_out(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("concern", "withdraw", ALDER_FALL, "--because", "Entered for the wrong home"),
			OFFICER, 0));
	free(tl_run_out(TL_ARGV("concern", "correct", BIRCH_FALL, "--note",
				"Daughter says her mother stumbles often.", "--because", "Her words"),
			OFFICER, 0));
	out = tl_run_out(TL_ARGV("search", "falls", "--format", "csv"), OFFICER, 0);
	assert_null(strstr(out, ALDER_FALL));
	assert_null(strstr(out, BIRCH_FALL));
	assert_non_null(strstr(out, BIRCH_VISIT));
	free(out);
	out = tl_run_out(TL_ARGV("search", "stumbles", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, ",Birch Lodge,concern,"));
	assert_null(strstr(out, BIRCH_FALL));
	free(out);
	out = tl_run_out(TL_ARGV("search", "stumbles", "--provider", "Birch"), OFFICER, 0);
	assert_non_null(strstr(out, "(1 row)"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_english_stems_match),
		cmocka_unit_test(test_search_finds_case_notes_with_their_case),
		cmocka_unit_test(test_search_provider_since_and_limit),
		cmocka_unit_test(test_search_usage_errors),
		cmocka_unit_test(test_search_refused_for_readonly_and_batch),
		cmocka_unit_test(test_search_leaves_withdrawn_and_corrected_records_out),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
