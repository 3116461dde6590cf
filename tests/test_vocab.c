/*
 * test_vocab.c - every vocabulary in vocab.c is the list the database allows.
 *
 * The client checks a word before it sends it (so a mistake gets a message
 * naming the words, and no free text reaches the server log), and the
 * schema checks it again for psql.  The two lists are written twice, in C
 * and in SQL; this test reads the database's list out of the catalog (the
 * column's CHECK ... = ANY (ARRAY[...]), or the reference table its
 * foreign key names) for each column a vocabulary feeds and compares them
 * as sets (both sorted as C strings), so a word added to one side alone fails here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/vocab.h"
#include "testlib.h"

struct use {
	const struct cw_vocab *v;
	const char *table, *column;
};

/* Each column a vocabulary's words are written to. */
static const struct use uses[] = {
	{&cw_vocab_care_type, "provider", "care_type"},
	{&cw_vocab_rating, "cqc_rating", "rating"},
	{&cw_vocab_domain, "cqc_rating", "domain"},
	{&cw_vocab_risk, "concern", "risk"},
	{&cw_vocab_risk, "provider_score", "band"},
	{&cw_vocab_risk, "case_file", "risk"},
	{&cw_vocab_concern_category, "concern", "category"},
	{&cw_vocab_concern_source, "concern", "source"},
	{&cw_vocab_visit_kind, "visit", "kind"},
	{&cw_vocab_visit_outcome, "visit", "outcome"},
	{&cw_vocab_sg_category, "safeguarding", "category"},
	{&cw_vocab_sg_outcome, "safeguarding", "outcome"},
	{&cw_vocab_ipc_result, "ipc_inspection", "result"},
	{&cw_vocab_restriction_kind, "restriction", "kind"},
	{&cw_vocab_notice_kind, "performance_notice", "kind"},
	{&cw_vocab_loss_kind, "provider_loss", "kind"},
	{&cw_vocab_case_state, "case_file", "state"},
	{&cw_vocab_pamms_rating, "pamms_audit", "overall"},
	{&cw_vocab_pamms_action_status, "pamms_action", "status"},
};

/* The words the database allows in table.column, sorted and comma-joined:
 * the quoted words of the column's own list CHECK, or else the keys of the
 * table its foreign key references.  "" when it has neither. */
static const char *
allowed(PGconn *c, const char *table, const char *column)
{
	static char buf[2000];
	const char *p[2] = {table, column};
	PGresult *r = PQexecParams(
		c,
		"WITH col AS (SELECT a.attrelid, a.attnum FROM pg_attribute a"
		"              WHERE a.attrelid = $1::regclass AND a.attname = $2),"
		" chk AS (SELECT m[1] AS w FROM pg_constraint k JOIN col ON k.conrelid = col.attrelid"
		"           CROSS JOIN LATERAL regexp_matches(pg_get_constraintdef(k.oid), '''([^'']*)''', 'g') m"
		"          WHERE k.contype = 'c' AND k.conkey = ARRAY[col.attnum]"
		"            AND pg_get_constraintdef(k.oid) LIKE '%= ANY (ARRAY[%'),"
		" fk AS (SELECT k.confrelid, k.confkey[1] AS key FROM pg_constraint k JOIN col"
		"           ON k.conrelid = col.attrelid WHERE k.contype = 'f' AND k.conkey = ARRAY[col.attnum])"
		" SELECT coalesce((SELECT string_agg(w, ',' ORDER BY w COLLATE \"C\") FROM chk),"
		"                 (SELECT format('SELECT string_agg(%I::text, '','' ORDER BY %I::text COLLATE \"C\") FROM %s',"
		"                                a.attname, a.attname, fk.confrelid::regclass)"
		"                    FROM fk JOIN pg_attribute a ON a.attrelid = fk.confrelid AND a.attnum = fk.key),"
		"                 '')",
		2, NULL, p, NULL, NULL, 0);
	const char *v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s.%s: %s", table, column, PQerrorMessage(c));
	v = PQgetvalue(r, 0, 0);
	if (strncmp(v, "SELECT ", 7) == 0) {
		/* A reference table: read its keys. */
		PGresult *k = PQexec(c, v);
		if (PQresultStatus(k) != PGRES_TUPLES_OK)
			fail_msg("%s.%s: %s", table, column, PQerrorMessage(c));
		snprintf(buf, sizeof(buf), "%s", PQgetvalue(k, 0, 0));
		PQclear(k);
	} else {
		snprintf(buf, sizeof(buf), "%s", v);
	}
	PQclear(r);
	return buf;
}

/* The vocabulary's words, sorted (as strcmp, the C collation) and comma-joined. */
static void
words(const struct cw_vocab *v, char *buf, size_t size)
{
	const char *w[64];
	size_t len = 0;

	assert_true(v->n <= 64);
	for (int i = 0; i < v->n; i++)
		w[i] = v->words[i];
	for (int i = 1; i < v->n; i++)
		for (int j = i; j > 0 && strcmp(w[j - 1], w[j]) > 0; j--) {
			const char *t = w[j];
			w[j] = w[j - 1];
			w[j - 1] = t;
		}
	buf[0] = '\0';
	for (int i = 0; i < v->n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", w[i]);
}

static void
test_vocab_every_list_is_the_databases(void **state)
{
	PGconn *c;
	char want[2000];
	int bad = 0;

	(void)state;
	if (!tl_db_available())
		skip();
	tl_db_create("cwt_vocab", true);
	c = tl_connect(NULL);
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		const char *got;

		words(uses[i].v, want, sizeof(want));
		got = allowed(c, uses[i].table, uses[i].column);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "%s.%s (%s):\n  database: %s\n  vocab.c:  %s\n", uses[i].table,
				uses[i].column, uses[i].v->what, got[0] ? got : "(no list found)", want);
			bad++;
		}
	}
	PQfinish(c);
	assert_int_equal(bad, 0);
}

/* The comparison sees a word the database allows and vocab.c does not. */
static void
test_vocab_a_word_added_in_sql_alone_is_caught(void **state)
{
	PGconn *c;
	char want[2000];

	(void)state;
	if (!tl_db_available())
		skip();
	tl_db_create("cwt_vocab_drift", true);
	c = tl_connect(NULL);
	words(&cw_vocab_visit_kind, want, sizeof(want));
	assert_string_equal(allowed(c, "visit", "kind"), want);
	tl_query1(c, "ALTER TABLE visit DROP CONSTRAINT visit_kind_check");
	tl_query1(c, "ALTER TABLE visit ADD CONSTRAINT visit_kind_check"
		     " CHECK (kind IN ('routine', 'response', 'pamms', 'unannounced'))");
	assert_string_not_equal(allowed(c, "visit", "kind"), want);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vocab_every_list_is_the_databases),
		cmocka_unit_test(test_vocab_a_word_added_in_sql_alone_is_caught),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
