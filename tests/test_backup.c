/*
 * test_backup.c - the backup and restore in docs/security.md, done for real:
 * pg_dump a populated database in custom format as the owner, pg_restore it
 * into a new database, and check every table's rows, the audit trail, the
 * migrations and the grants came back and the client works on the copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static const char *const tables[] = {
	"provider", "officer", "concern", "visit", "safeguarding", "cqc_rating", "case_file",
	"case_assignment", "audit_log", "schema_migration", "ruleset", "provider_score",
	"provider_current_score",
};

static void
counts(PGconn *c, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		len += (size_t)snprintf(buf + len, size - len, "%s=%ld ", tables[i], tl_count(c, sql));
	}
}

static void
test_backup_dump_and_restore_round_trip(void **state)
{
	char name[64], copy[80], before[1024], after[1024], file[] = "/tmp/cwt-dump.XXXXXX";
	char cmd[2000];
	const char *bin = getenv("CW_TEST_PGBIN") ? getenv("CW_TEST_PGBIN") : "/usr/lib/postgresql/15/bin";
	PGconn *c, *su;
	int fd;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(name, sizeof(name), "%s", tl_db_create("cwt_backup", true));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_bk_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_bk_off", "--name", "B", "--fte", "1", "--locality",
			     "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Hazel View", "--care-type", "residential", "--locality",
			     "west"), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Hazel View", "--risk", "high", "--category",
			     "care_practice", "--source", "family", "--note", "Pressure sores"),
		     "PGUSER=cwt_bk_off", 0));
	free(tl_run_out(TL_ARGV("cqc", "add", "Hazel View", "--published", "2024-05-01", "--overall", "good"),
		     "PGUSER=cwt_bk_off", 0));
	c = tl_connect(NULL);
	counts(c, before, sizeof(before));
	PQfinish(c);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	/* The backup, exactly as docs/security.md gives it. */
	snprintf(cmd, sizeof(cmd), "%s/pg_dump -Fc -d %s -f %s", bin, name, file);
	assert_int_equal(system(cmd), 0);
	snprintf(copy, sizeof(copy), "%s_restored", name);
	su = tl_connect("postgres");
	snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s", copy);
	tl_query1(su, cmd);
	snprintf(cmd, sizeof(cmd), "CREATE DATABASE %s OWNER cw_owner TEMPLATE template0", copy);
	tl_query1(su, cmd);
	snprintf(cmd, sizeof(cmd), "%s/pg_restore --exit-on-error -d %s %s", bin, copy, file);
	assert_int_equal(system(cmd), 0);
	unlink(file);
	setenv("PGDATABASE", copy, 1);
	c = tl_connect(NULL);
	counts(c, after, sizeof(after));
	assert_string_equal(before, after);
	/* Grants came back: an officer still cannot alter intelligence. */
	{
		PGconn *off = tl_connect("cwt_bk_off");
		PGresult *r = PQexec(off, "DELETE FROM concern");
		assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
		PQclear(r);
		PQfinish(off);
	}
	PQfinish(c);
	{
		char *out = tl_run_out(TL_ARGV("db", "migrate"), NULL, 0);
		assert_non_null(strstr(out, "database is up to date"));
		free(out);
	}
	free(tl_run_out(TL_ARGV("concern", "add", "Hazel View", "--risk", "low", "--category", "other",
			     "--source", "public", "--note", "After restore"), "PGUSER=cwt_bk_off", 0));
	snprintf(cmd, sizeof(cmd), "DROP DATABASE %s WITH (FORCE)", copy);
	tl_query1(su, cmd);
	PQfinish(su);
	tl_db_drop(name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_dump_and_restore_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
