/*
 * test_agreement.c - the three screens that show a provider's score agree
 * after every kind of write (issue 14: "provider show and provider list say
 * 128.45 while provider explain says 158.45, until the nightly").
 *
 * `provider show` and `provider list` read the stored score, which the
 * scorer writes once a write has queued the provider (013's triggers);
 * `provider explain` evaluates the rules afresh.  After each kind of write
 * and one pass of the scorer (`scorer --once`, as the running scorer does
 * within a second), all three must give the same total and band; the
 * same after a correction and a withdrawal.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testlib.h"

#define OFFICER "PGUSER=cwt_ag_olive"
#define MANAGER "PGUSER=cwt_ag_mgr"

static const char *dbname;
static PGconn *owner;

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_agreement", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_ag_olive", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_ag_mgr", "--as", "manager"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_ag_olive", "--name", "Olive", "--fte", "1",
				"--locality", "north"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Alder House", "--care-type", "residential",
				"--locality", "north", "--beds", "40"), NULL, 0));
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

/* A number member of a JSON object that may be written as a string. */
static double
number_of(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v))
		return atof(json_string_value(v));
	fail_msg("no number '%s' in the JSON", key);
	return NAN;
}

static json_t *
json_of(const char *const argv[])
{
	char *out = tl_run_out(argv, OFFICER, 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);

	if (j == NULL)
		fail_msg("not JSON (%s):\n%s", je.text, out);
	free(out);
	return j;
}

/* The stored score (provider show) and the rules' total (explain). */
static void
show_and_explain(double *stored, double *fresh)
{
	json_t *show = json_of(TL_ARGV("provider", "show", "Alder House", "--format", "json"));
	json_t *explain = json_of(TL_ARGV("provider", "explain", "Alder House", "--format", "json"));

	*stored = number_of(show, "score");
	*fresh = number_of(explain, "total");
	json_decref(show);
	json_decref(explain);
}

/* The total and band on each screen, compared. */
static void
screens_agree(const char *after)
{
	json_t *show = json_of(TL_ARGV("provider", "show", "Alder House", "--format", "json"));
	json_t *list = json_of(TL_ARGV("provider", "list", "--format", "json"));
	json_t *explain = json_of(TL_ARGV("provider", "explain", "Alder House", "--format", "json"));
	json_t *row = NULL;
	double s, l, e;

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *r = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(r, "name"));
		if (name && strcmp(name, "Alder House") == 0)
			row = r;
	}
	if (row == NULL)
		fail_msg("after %s: Alder House is not in provider list", after);
	s = number_of(show, "score");
	l = number_of(row, "score");
	e = number_of(explain, "total");
	if (fabs(s - e) > 0.005 || fabs(l - e) > 0.005)
		fail_msg("after %s: provider show says %.2f, provider list %.2f, provider explain %.2f", after,
			 s, l, e);
	if (strcmp(json_string_value(json_object_get(show, "band")),
		   json_string_value(json_object_get(explain, "band"))) != 0 ||
	    strcmp(json_string_value(json_object_get(row, "band")),
		   json_string_value(json_object_get(explain, "band"))) != 0)
		fail_msg("after %s: the bands differ (show %s, list %s, explain %s)", after,
			 json_string_value(json_object_get(show, "band")),
			 json_string_value(json_object_get(row, "band")),
			 json_string_value(json_object_get(explain, "band")));
	json_decref(show);
	json_decref(list);
	json_decref(explain);
}

static void
test_agreement_show_list_and_explain_after_every_kind_of_write(void **state)
{
	static const struct {
		const char *what;
		const char *argv[20];
		const char *env;
	} writes[] = {
		{"a concern", {"concern", "add", "Alder House", "--risk", "high", "--category", "medication",
			       "--source", "family", "--note", "Missed doses", NULL}, OFFICER},
		{"a visit", {"visit", "add", "Alder House", "--kind", "routine", "--outcome",
			     "serious_concerns", NULL}, OFFICER},
		{"a safeguarding", {"safeguarding", "add", "Alder House", "--category",
				    "physical_abuse_by_staff", "--outcome", "substantiated", NULL}, OFFICER},
		{"a CQC rating", {"cqc", "add", "Alder House", "--published", "yesterday", "--safe",
				  "inadequate", "--overall", "requires_improvement", NULL}, OFFICER},
		{"an IPC inspection", {"ipc", "add", "Alder House", "--result", "non_compliant", NULL}, OFFICER},
		{"a survey", {"survey", "add", "Alder House", "--satisfaction", "40", "--respondents", "25",
			      NULL}, OFFICER},
		{"a notice", {"notice", "add", "Alder House", "--kind", "default", "--note", "Care plans", NULL},
		 OFFICER},
		{"a restriction", {"restriction", "add", "Alder House", "--kind", "all", "--note", "Staffing",
				   NULL}, OFFICER},
		{"a restriction lifted", {"restriction", "lift", "Alder House", "--note", "Staffing restored",
					  NULL}, OFFICER},
		{"a provider loss", {"loss", "add", "Alder House", "--kind", "beds_lost", "--beds", "4", NULL},
		 OFFICER},
	};

	int moved = 0;

	(void)state;
	if (!tl_db_available())
		skip();
	screens_agree("set-up");
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		char *out, *err;
		double stored, fresh;
		int rc;

		rc = tl_run(writes[i].argv, NULL, &out, &err, writes[i].env);
		if (rc != 0)
			fail_msg("%s: exit %d\n%s", writes[i].what, rc, err);
		free(out);
		free(err);
		/* The write queued the provider: one pass of the scorer stores it.
		 * Until then the stored score is the old one (so this test would
		 * see a write that queued nothing). */
		assert_true(tl_count(owner, "SELECT count(*) FROM score_queue") >= 1);
		show_and_explain(&stored, &fresh);
		if (fabs(stored - fresh) > 0.005)
			moved++;
		tl_scorer_drain();
		assert_int_equal(tl_count(owner, "SELECT count(*) FROM score_queue"), 0);
		screens_agree(writes[i].what);
	}
	/* Most writes move the score: the screens agreed on new figures, not
	 * on one that never changed. */
	assert_true(moved >= 6);
	/* A correction and a withdrawal (030) rescore too. */
	{
		char concern[40], notice[40];
		const struct {
			const char *what;
			const char *argv[12];
		} changes[] = {
			{"a correction", {"concern", "correct", concern, "--risk", "very_high", "--because",
					  "Rated too low", NULL}},
			{"a withdrawal", {"notice", "withdraw", notice, "--because", "Entered in error", NULL}},
		};

		snprintf(concern, sizeof(concern), "%s", tl_query1(owner, "SELECT id FROM concern_current"));
		snprintf(notice, sizeof(notice), "%s",
			 tl_query1(owner, "SELECT id FROM performance_notice_current"));
		for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
			double stored, fresh;

			free(tl_run_out(changes[i].argv, OFFICER, 0));
			assert_true(tl_count(owner, "SELECT count(*) FROM score_queue") >= 1);
			show_and_explain(&stored, &fresh);
			assert_true(fabs(stored - fresh) > 0.005);
			tl_scorer_drain();
			screens_agree(changes[i].what);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agreement_show_list_and_explain_after_every_kind_of_write),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
