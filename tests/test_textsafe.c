/*
 * test_textsafe.c - text is safe wherever it is shown, and no value that a
 * table's CHECK would refuse ever reaches the server.
 *
 * Why: a value that passes the client but breaks a CHECK makes the server
 * log "DETAIL: Failing row contains (...)", the row's free text included;
 * and text with control characters, stored once, can clear an officer's
 * screen, print a fake "ALL CLEAR" and retitle the window.  So:
 *
 *   - every CHECK on the tables the client writes (record kinds, provider
 *     and organisation, officer and leave) is listed here with the bad
 *     input that would break it; the list is compared with the catalog both
 *     ways, and each bad input is run through the real binary: exact
 *     message naming the field, exit 2, nothing written, and none of the
 *     free text the case used in the server log;
 *   - control characters are refused at input (C0, DEL, C1; newline too in
 *     one-line fields), saying where and never what;
 *   - text that older data holds is shown by `provider show`, `case show`
 *     and the tables as visible escapes; CSV cells that a spreadsheet would
 *     run are neutralised;
 *   - the test cluster's log settings (tools/pgcluster.sh) keep a failing
 *     statement's row, text and parameters out of the log even when psql
 *     sends one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "carewatch/record.h"

static const char *dbname;
static PGconn *owner;

#define OFFICER "PGUSER=cwt_ts_off"

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_textsafe", true);
	free(tl_run_out(TL_ARGV("db", "role", "add", "cwt_ts_off", "--as", "officer"), NULL, 0));
	free(tl_run_out(TL_ARGV("officer", "add", "cwt_ts_off", "--name", "Tess Officer", "--fte", "1",
			     "--locality", "north"), NULL, 0));
	free(tl_run_out(TL_ARGV("provider", "add", "Elm House", "--care-type", "residential", "--locality",
			     "north", "--cqc-id", "1-1020304050", "--id",
			     "66666666-6666-4666-8666-666666666666"), NULL, 0));
	free(tl_run_out(TL_ARGV("restriction", "add", "Elm House", "--kind", "partial", "--note",
			     "Seed restriction", "--from", "2024-01-10"), OFFICER, 0));
	free(tl_run_out(TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL, 0));
	owner = tl_connect(NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tl_group_teardown(owner, dbname);
}

/* Everything a refused command might have written. */
static const char count_all_sql[] =
	"SELECT (SELECT count(*) FROM concern) + (SELECT count(*) FROM visit)"
	" + (SELECT count(*) FROM safeguarding) + (SELECT count(*) FROM cqc_rating)"
	" + (SELECT count(*) FROM ipc_inspection) + (SELECT count(*) FROM survey)"
	" + (SELECT count(*) FROM performance_notice) + (SELECT count(*) FROM restriction)"
	" + (SELECT count(*) FROM restriction_lift) + (SELECT count(*) FROM provider_loss)"
	" + (SELECT count(*) FROM provider) + (SELECT count(*) FROM organisation)"
	" + (SELECT count(*) FROM officer) + (SELECT count(*) FROM officer_locality)"
	" + (SELECT count(*) FROM officer_leave) + (SELECT count(*) FROM case_file)"
	" + (SELECT count(*) FROM provider_score) + (SELECT count(*) FROM audit_log)"
	" + (SELECT count(*) FROM pamms_audit)";

/* Long values: 20,001 and 301 and 201 characters, each starting with a
 * marker no other test uses, so the log scan can look for it. */
static char long20001[20002], long301[302], long201[202];

static void
fill(char *buf, size_t n, const char *marker)
{
	memset(buf, 'q', n);
	memcpy(buf, marker, strlen(marker));
	buf[n] = '\0';
}

/* The bad inputs.  tag names the case for the CHECK list below; free is
 * the case's free text (the marker that must never reach the server log);
 * env is the login that runs it (NULL: the owner). */
static const struct bad_input {
	const char *tag;
	const char *argv[24];
	const char *env;
	const char *message;
	const char *free;
} bad[] = {
	/* ---- finding B: values that passed the client and broke a CHECK ---- */
	{"mash-ref-space",
	 {"safeguarding", "add", "Elm House", "--category", "neglect", "--mash-ref", "AB 12", "--note",
	  "Xenolith-01 told the MASH about Mrs Quartzfield", NULL}, OFFICER,
	 "carewatch: error: invalid mash-ref 'AB 12' (expected up to 30 letters, digits, '/' and '-';"
	 " character 3 is not one)\n", "Xenolith-01"},
	{"mash-ref-newline",
	 {"safeguarding", "add", "Elm House", "--category", "neglect", "--mash-ref", "AB\n12", "--note",
	  "Xenolith-02 summary", NULL}, OFFICER,
	 "carewatch: error: mash-ref contains a control character (U+000A) at character 3\n", "Xenolith-02"},
	{"restriction-to-before-from",
	 {"restriction", "add", "Elm House", "--kind", "all", "--note",
	  "Xenolith-03 named a resident", "--from", "2024-04-11", "--to", "2024-04-01", NULL}, OFFICER,
	 "carewatch: error: --to 2024-04-01 is before --from 2024-04-11\n", "Xenolith-03"},
	{"notice-closed-before-issued",
	 {"notice", "add", "Elm House", "--kind", "performance", "--note", "Xenolith-04 late care plans",
	  "--issued", "2024-04-10", "--closed", "2024-04-01", NULL}, OFFICER,
	 "carewatch: error: --closed 2024-04-01 is before --issued 2024-04-10\n", "Xenolith-04"},
	{"cqc-inspected-after-published",
	 {"cqc", "add", "Elm House", "--published", "2024-03-01", "--inspected", "2024-03-05",
	  "--overall", "good", NULL}, OFFICER,
	 "carewatch: error: --inspected 2024-03-05 is after --published 2024-03-01\n", NULL},

	/* ---- finding A: control characters refused at input ---- */
	{"summary-cr",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "public",
	  "--note", "Xenolith-05 fine\rALL CLEAR", NULL}, OFFICER,
	 "carewatch: error: note contains a control character (U+000D) at character 17\n", "Xenolith-05"},
	{"summary-c1",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "public",
	  "--note", "Xenolith-06 \xC2\x9B" "2J cleared", NULL}, OFFICER,
	 "carewatch: error: note contains a control character (U+009B) at character 13\n", "Xenolith-06"},
	{"summary-osc",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "public",
	  "--note", "Xenolith-07 \x1b]0;owned\x07", NULL}, OFFICER,
	 "carewatch: error: note contains a control character (U+001B) at character 13\n", "Xenolith-07"},
	{"notes-del",
	 {"visit", "add", "Elm House", "--kind", "routine", "--outcome", "no_concerns", "--note",
	  "Xenolith-08\x7f", NULL}, OFFICER,
	 "carewatch: error: note contains a control character (U+007F) at character 12\n", "Xenolith-08"},
	{"provider-name-esc",
	 {"provider", "add", "Xenolith-09 \x1b[2J\x1b[HALL CLEAR", "--care-type", "nursing", "--locality",
	  "north", NULL}, NULL,
	 "carewatch: error: name contains a control character (U+001B) at character 13\n", "Xenolith-09"},
	{"provider-name-newline",
	 {"provider", "add", "Xenolith-10\nHouse", "--care-type", "nursing", "--locality", "north", NULL},
	 NULL, "carewatch: error: name contains a control character (U+000A) at character 12\n",
	 "Xenolith-10"},
	{"organisation-name-c1",
	 {"provider", "add", "Xenolith-11 House", "--care-type", "nursing", "--locality", "north",
	  "--cqc-provider-id", "1-900900900", "--organisation", "Evil\xC2\x9D" "0;owned\xC2\x9C Ltd", NULL},
	 NULL, "carewatch: error: organisation contains a control character (U+009D) at character 5\n",
	 "Xenolith-11"},
	{"organisation-name-newline",
	 {"provider", "add", "Xenolith-12 House", "--care-type", "nursing", "--locality", "north",
	  "--cqc-provider-id", "1-900900901", "--organisation", "Two\nLines Ltd", NULL},
	 NULL, "carewatch: error: organisation contains a control character (U+000A) at character 4\n",
	 "Xenolith-12"},
	{"officer-name-cr",
	 {"officer", "add", "cwt_ts_bad", "--name", "Xenolith-13\rALL CLEAR", "--fte", "1", "--locality",
	  "north", NULL}, NULL,
	 "carewatch: error: name contains a control character (U+000D) at character 12\n", "Xenolith-13"},
	{"officer-name-newline",
	 {"officer", "add", "cwt_ts_bad", "--name", "Xenolith-14\nSecond", "--fte", "1", "--locality",
	  "north", NULL}, NULL,
	 "carewatch: error: name contains a control character (U+000A) at character 12\n", "Xenolith-14"},

	/* ---- event times that have not happened yet (issue 14) ---- */
	{"concern-received-future",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "public",
	  "--received", "2099-12-25 10:00", "--note", "Xenolith-90", NULL}, OFFICER,
	 "carewatch: error: received 2099-12-25 10:00 GMT is in the future (at the latest now)\n",
	 "Xenolith-90"},
	{"visit-date-future",
	 {"visit", "add", "Elm House", "--kind", "routine", "--outcome", "no_concerns", "--date",
	  "2099-02-01", "--note", "Xenolith-91", NULL}, OFFICER,
	 "carewatch: error: date 2099-02-01 00:00 GMT is in the future (at the latest now)\n",
	 "Xenolith-91"},
	{"safeguarding-referred-future",
	 {"safeguarding", "add", "Elm House", "--category", "neglect", "--referred", "2099-01-01",
	  "--note", "Xenolith-92", NULL}, OFFICER,
	 "carewatch: error: referred 2099-01-01 is in the future (at the latest today)\n", "Xenolith-92"},
	{"cqc-published-future",
	 {"cqc", "add", "Elm House", "--published", "2099-01-01", "--overall", "good", NULL}, OFFICER,
	 "carewatch: error: published 2099-01-01 is too far in the future (at most 1 days from today)\n",
	 NULL},
	{"ipc-date-future",
	 {"ipc", "add", "Elm House", "--result", "compliant", "--date", "2099-01-01", NULL}, OFFICER,
	 "carewatch: error: date 2099-01-01 is in the future (at the latest today)\n", NULL},
	{"survey-date-future",
	 {"survey", "add", "Elm House", "--satisfaction", "80", "--respondents", "10", "--date",
	  "2099-01-01", NULL}, OFFICER,
	 "carewatch: error: date 2099-01-01 is in the future (at the latest today)\n", NULL},
	{"loss-date-future",
	 {"loss", "add", "Elm House", "--kind", "closure", "--date", "2099-01-01", "--note",
	  "Xenolith-93", NULL}, OFFICER,
	 "carewatch: error: date 2099-01-01 is in the future (at the latest today)\n", "Xenolith-93"},

	/* ---- every other CHECK, one bad input each ---- */
	{"concern-risk",
	 {"concern", "add", "Elm House", "--risk", "urgent", "--category", "other", "--source", "public",
	  "--note", "Xenolith-20", NULL}, OFFICER,
	 "carewatch: error: invalid risk level 'urgent' (expected low, medium, high or very_high)\n",
	 "Xenolith-20"},
	{"concern-category",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "gossip", "--source", "public",
	  "--note", "Xenolith-21", NULL}, OFFICER,
	 "carewatch: error: invalid concern category 'gossip' (expected care_practice,"
	 " medication, staffing, environment, management, communication,"
	 " infection_control, nutrition or other)\n", "Xenolith-21"},
	{"concern-source",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "neighbour",
	  "--note", "Xenolith-22", NULL}, OFFICER,
	 "carewatch: error: invalid concern source 'neighbour' (expected family,"
	 " service_user, public, professional, health, provider, cqc, whistleblower,"
	 " anonymous or other)\n", "Xenolith-22"},
	{"concern-summary-long",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "public",
	  "--note", long20001, NULL}, OFFICER,
	 "carewatch: error: note is too long (20001 characters; at most 20000)\n", NULL},
	{"concern-summary-blank",
	 {"concern", "add", "Elm House", "--risk", "low", "--category", "other", "--source", "public",
	  "--note", " \n\t ", NULL}, OFFICER, "carewatch: error: note is empty\n", NULL},
	{"visit-kind",
	 {"visit", "add", "Elm House", "--kind", "social", "--outcome", "no_concerns", "--note",
	  "Xenolith-23", NULL}, OFFICER,
	 "carewatch: error: invalid visit kind 'social' (expected routine, response or"
	 " pamms)\n", "Xenolith-23"},
	{"visit-outcome",
	 {"visit", "add", "Elm House", "--kind", "routine", "--outcome", "fine", "--note", "Xenolith-24",
	  NULL}, OFFICER,
	 "carewatch: error: invalid visit outcome 'fine' (expected no_concerns,"
	 " minor_concerns, significant_concerns or serious_concerns)\n", "Xenolith-24"},
	{"visit-notes-long",
	 {"visit", "add", "Elm House", "--kind", "routine", "--outcome", "no_concerns", "--note",
	  long20001, NULL}, OFFICER,
	 "carewatch: error: note is too long (20001 characters; at most 20000)\n", NULL},
	{"safeguarding-category",
	 {"safeguarding", "add", "Elm House", "--category", "bullying", "--note", "Xenolith-25", NULL},
	 OFFICER,
	 "carewatch: error: invalid safeguarding category 'bullying' (expected"
	 " resident_on_resident, medication_error, neglect, financial_abuse,"
	 " physical_abuse_by_staff, sexual_abuse, abuse_by_service_user or other)\n", "Xenolith-25"},
	{"safeguarding-outcome",
	 {"safeguarding", "add", "Elm House", "--category", "neglect", "--outcome", "unknown",
	  "--note", "Xenolith-26", NULL}, OFFICER,
	 "carewatch: error: invalid safeguarding outcome 'unknown' (expected open,"
	 " substantiated, partially_substantiated, not_substantiated or inconclusive)\n", "Xenolith-26"},
	{"safeguarding-summary-long",
	 {"safeguarding", "add", "Elm House", "--category", "neglect", "--note", long20001, NULL},
	 OFFICER, "carewatch: error: note is too long (20001 characters; at most 20000)\n", NULL},
	{"mash-ref-long",
	 {"safeguarding", "add", "Elm House", "--category", "neglect", "--mash-ref",
	  "MASH/2024/0000000000000000000001", "--note", "Xenolith-27", NULL}, OFFICER,
	 "carewatch: error: mash-ref is too long (32 characters; at most 30)\n", "Xenolith-27"},
	{"cqc-rating",
	 {"cqc", "add", "Elm House", "--published", "2024-03-01", "--overall", "excellent", NULL}, OFFICER,
	 "carewatch: error: invalid CQC rating 'excellent' (expected outstanding, good,"
	 " requires_improvement or inadequate)\n", NULL},
	{"ipc-result",
	 {"ipc", "add", "Elm House", "--result", "failed", NULL}, OFFICER,
	 "carewatch: error: invalid IPC result 'failed' (expected compliant,"
	 " partially_compliant or non_compliant)\n", NULL},
	{"ipc-score",
	 {"ipc", "add", "Elm House", "--result", "compliant", "--score", "101", NULL}, OFFICER,
	 "carewatch: error: score 101 is out of range (0 to 100)\n", NULL},
	{"survey-satisfaction",
	 {"survey", "add", "Elm House", "--satisfaction", "101", "--respondents", "5", NULL}, OFFICER,
	 "carewatch: error: satisfaction 101 is out of range (0 to 100)\n", NULL},
	{"survey-respondents",
	 {"survey", "add", "Elm House", "--satisfaction", "80", "--respondents", "0", NULL}, OFFICER,
	 "carewatch: error: respondents 0 is out of range (1 to 100000)\n", NULL},
	{"notice-kind",
	 {"notice", "add", "Elm House", "--kind", "warning", "--note", "Xenolith-28", NULL}, OFFICER,
	 "carewatch: error: invalid notice kind 'warning' (expected improvement,"
	 " performance or default)\n",
	 "Xenolith-28"},
	{"notice-reason-blank",
	 {"notice", "add", "Elm House", "--kind", "performance", "--note", "   ", NULL}, OFFICER,
	 "carewatch: error: note is empty\n", NULL},
	{"restriction-kind",
	 {"restriction", "add", "Elm House", "--kind", "some", "--note", "Xenolith-29", NULL}, OFFICER,
	 "carewatch: error: invalid restriction kind 'some' (expected all or partial)\n", "Xenolith-29"},
	{"restriction-reason-long",
	 {"restriction", "add", "Elm House", "--kind", "all", "--note", long20001, NULL}, OFFICER,
	 "carewatch: error: note is too long (20001 characters; at most 20000)\n", NULL},
	{"lift-note-long",
	 {"restriction", "lift", "Elm House", "--note", long20001, NULL}, OFFICER,
	 "carewatch: error: note is too long (20001 characters; at most 20000)\n", NULL},
	{"loss-kind",
	 {"loss", "add", "Elm House", "--kind", "sale", "--note", "Xenolith-30", NULL}, OFFICER,
	 "carewatch: error: invalid loss kind 'sale' (expected closure,"
	 " nursing_deregistration or beds_lost)\n",
	 "Xenolith-30"},
	{"loss-beds",
	 {"loss", "add", "Elm House", "--kind", "beds_lost", "--beds", "10001", "--note", "Xenolith-31",
	  NULL}, OFFICER, "carewatch: error: beds 10001 is out of range (0 to 10000)\n", "Xenolith-31"},
	{"loss-note-long",
	 {"loss", "add", "Elm House", "--kind", "closure", "--note", long20001, NULL}, OFFICER,
	 "carewatch: error: note is too long (20001 characters; at most 20000)\n", NULL},
	{"provider-name-long",
	 {"provider", "add", long301, "--care-type", "nursing", "--locality", "north", NULL}, NULL,
	 "carewatch: error: name is too long (301 characters; at most 300)\n", "Xenolith-32"},
	{"provider-cqc-id",
	 {"provider", "add", "Xenolith-33 House", "--care-type", "nursing", "--locality", "north",
	  "--cqc-id", "1-12", NULL}, NULL,
	 "carewatch: error: invalid CQC location ID '1-12' (expected 1- and 3 to 15 digits)\n",
	 "Xenolith-33"},
	{"provider-postcode",
	 {"provider", "add", "Xenolith-34 House", "--care-type", "nursing", "--locality", "north",
	  "--postcode", "NR1 3QU AAAA", NULL}, NULL,
	 "carewatch: error: invalid postcode 'NR1 3QU AAAA' (expected 2 to 10 letters, digits and spaces)\n",
	 "Xenolith-34"},
	{"provider-postcode-esc",
	 {"provider", "add", "Xenolith-35 House", "--care-type", "nursing", "--locality", "north",
	  "--postcode", "NR1\x1b[2J", NULL}, NULL,
	 "carewatch: error: invalid postcode 'NR1\\u001b[2J' (expected 2 to 10 letters, digits and spaces)\n",
	 "Xenolith-35"},
	{"provider-beds",
	 {"provider", "add", "Xenolith-36 House", "--care-type", "nursing", "--locality", "north",
	  "--beds", "10001", NULL}, NULL, "carewatch: error: beds 10001 is out of range (0 to 10000)\n",
	 "Xenolith-36"},
	{"organisation-cqc-id",
	 {"provider", "add", "Xenolith-37 House", "--care-type", "nursing", "--locality", "north",
	  "--cqc-provider-id", "1-1234567890123456", NULL}, NULL,
	 "carewatch: error: invalid CQC provider ID '1-1234567890123456' (expected 1- and 3 to 15 digits)\n",
	 "Xenolith-37"},
	{"organisation-name-long",
	 {"provider", "add", "Xenolith-38 House", "--care-type", "nursing", "--locality", "north",
	  "--cqc-provider-id", "1-900900902", "--organisation", long301, NULL}, NULL,
	 "carewatch: error: organisation is too long (301 characters; at most 300)\n", "Xenolith-38"},
	{"officer-login",
	 {"officer", "add", "Bob.Smith", "--name", "Xenolith-39", "--fte", "1", "--locality", "north", NULL},
	 NULL, "carewatch: error: invalid login 'Bob.Smith' (expected a lower-case letter or '_', then up to"
	 " 62 lower-case letters, digits and '_')\n", "Xenolith-39"},
	{"officer-name-long",
	 {"officer", "add", "cwt_ts_bad", "--name", long201, "--fte", "1", "--locality", "north", NULL},
	 NULL, "carewatch: error: name is too long (201 characters; at most 200)\n", NULL},
	{"officer-fte-rounds-to-zero",
	 {"officer", "add", "cwt_ts_bad", "--name", "Xenolith-40", "--fte", "0.001", "--locality", "north",
	  NULL}, NULL, "carewatch: error: invalid --fte '0.001' (expected a number above 0, at most 1, with"
	 " at most two decimals)\n", "Xenolith-40"},
	{"officer-fte-hex",
	 {"officer", "add", "cwt_ts_bad", "--name", "Xenolith-41", "--fte", "0x0.8", "--locality", "north",
	  NULL}, NULL, "carewatch: error: invalid --fte '0x0.8' (expected a number above 0, at most 1, with"
	 " at most two decimals)\n", "Xenolith-41"},
	{"officer-post",
	 {"officer", "add", "cwt_ts_bad", "--name", "Xenolith-42", "--fte", "1", "--locality", "north",
	  "--post", "boss", NULL}, NULL,
	 "carewatch: error: invalid post 'boss' (expected qa_officer, market_assurance or"
	 " quality_manager)\n", "Xenolith-42"},
	{"pamms-overall",
	 {"pamms", "add", "Elm House", "--overall", "adequate", "--note", "Xenolith-43", NULL}, OFFICER,
	 "carewatch: error: invalid PAMMS rating 'adequate' (expected excellent, good,"
	 " requires_improvement or poor)\n", "Xenolith-43"},
	{"pamms-standard-rating",
	 {"pamms", "add", "Elm House", "--overall", "good", "--standard", "8=fine", "--note", "Xenolith-44",
	  NULL}, OFFICER,
	 "carewatch: error: invalid PAMMS rating 'fine' for standard 8 (expected excellent, good,"
	 " requires_improvement or poor)\n", "Xenolith-44"},
	{"pamms-standard-form",
	 {"pamms", "add", "Elm House", "--overall", "good", "--standard", "8 poor", "--note", "Xenolith-45",
	  NULL}, OFFICER,
	 "carewatch: error: invalid --standard '8 poor' (expected CODE=RATING, e.g. 8=poor)\n", "Xenolith-45"},
	{"pamms-standard-unknown",
	 {"pamms", "add", "Elm House", "--overall", "good", "--standard", "1=good,99=poor", "--note",
	  "Xenolith-46", NULL}, OFFICER,
	 "carewatch: error: unknown PAMMS standard '99' (expected 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,"
	 " 14, 15, 16)\nhint: 'carewatch pamms standards' lists the standards and their codes\n",
	 "Xenolith-46"},
	{"pamms-summary-long",
	 {"pamms", "add", "Elm House", "--overall", "good", "--note", long20001, NULL}, OFFICER,
	 "carewatch: error: note is too long (20001 characters; at most 20000)\n", "Xenolith-long"},
	{"pamms-audited-future",
	 {"pamms", "add", "Elm House", "--overall", "good", "--audited", "2099-01-01", "--note",
	  "Xenolith-47", NULL}, OFFICER,
	 "carewatch: error: audited 2099-01-01 is in the future (at the latest today)\n", "Xenolith-47"},
	{"leave-to-before-from",
	 {"officer", "leave", "cwt_ts_off", "--from", "2024-05-10", "--to", "2024-05-01", NULL}, NULL,
	 "carewatch: error: --to 2024-05-01 is before --from 2024-05-10\n", NULL},
};

/* Every CHECK on the tables the client writes, and the bad input above
 * that would break it, or why no input can ("not input: ...").  Compared
 * with the catalog both ways: a new CHECK fails this test until its check
 * is in the client and its bad input is listed here. */
static const struct {
	const char *table, *constraint, *covered_by;
} checks[] = {
	{"concern", "concern_category_check", "concern-category"},
	{"concern", "concern_received_not_future", "concern-received-future"},
	{"concern", "concern_risk_check", "concern-risk"},
	{"concern", "concern_source_check", "concern-source"},
	{"concern", "concern_summary_check", "concern-summary-long concern-summary-blank"},
	{"cqc_rating", "cqc_rating_basis_check", "not input: the column's default, 'location'"},
	{"cqc_rating", "cqc_rating_check", "cqc-inspected-after-published"},
	{"cqc_rating", "cqc_rating_domain_check", "not input: one row per domain option, named by it"},
	{"cqc_rating", "cqc_rating_framework_check", "not input: cqc add leaves it to 020's trigger"},
	{"cqc_rating", "cqc_rating_published_not_future", "cqc-published-future"},
	{"cqc_rating", "cqc_rating_rating_check", "cqc-rating"},
	{"cqc_rating", "cqc_rating_source_check", "not input: the column's default, 'manual'"},
	{"ipc_inspection", "ipc_inspection_inspected_not_future", "ipc-date-future"},
	{"ipc_inspection", "ipc_inspection_result_check", "ipc-result"},
	{"ipc_inspection", "ipc_inspection_score_check", "ipc-score"},
	{"officer", "officer_fte_check", "officer-fte-rounds-to-zero officer-fte-hex"},
	{"officer", "officer_login_check", "officer-login"},
	{"officer", "officer_name_check", "officer-name-long"},
	{"officer", "officer_post_check", "officer-post"},
	{"officer_leave", "officer_leave_check", "leave-to-before-from"},
	{"organisation", "organisation_cqc_provider_id_check", "organisation-cqc-id"},
	{"organisation", "organisation_name_check", "organisation-name-long"},
	{"pamms_audit", "pamms_audit_audited_not_future", "pamms-audited-future"},
	{"pamms_audit", "pamms_audit_overall_check", "pamms-overall"},
	{"pamms_audit", "pamms_audit_standards_check", "pamms-standard-rating pamms-standard-form"},
	{"pamms_audit", "pamms_audit_summary_check", "pamms-summary-long"},
	{"performance_notice", "performance_notice_check", "notice-closed-before-issued"},
	{"performance_notice", "performance_notice_kind_check", "notice-kind"},
	{"performance_notice", "performance_notice_reason_check", "notice-reason-blank"},
	{"provider", "provider_beds_check", "provider-beds"},
	{"provider", "provider_check", "not input: provider add never sets closed_on"},
	{"provider", "provider_check1", "not input: provider add never sets status or closed_on"},
	{"provider", "provider_cqc_location_id_check", "provider-cqc-id"},
	{"provider", "provider_name_check", "provider-name-long"},
	{"provider", "provider_postcode_check", "provider-postcode"},
	{"provider", "provider_service_types_check", "not input: only cqc-active imports set it"},
	{"provider", "provider_status_check", "not input: the column's default, 'active'"},
	{"provider_loss", "provider_loss_beds_lost_check", "loss-beds"},
	{"provider_loss", "provider_loss_kind_check", "loss-kind"},
	{"provider_loss", "provider_loss_note_check", "loss-note-long"},
	{"provider_loss", "provider_loss_occurred_not_future", "loss-date-future"},
	{"restriction", "restriction_check", "restriction-to-before-from"},
	{"restriction", "restriction_kind_check", "restriction-kind"},
	{"restriction", "restriction_reason_check", "restriction-reason-long"},
	{"restriction_lift", "restriction_lift_note_check", "lift-note-long"},
	{"safeguarding", "safeguarding_category_check", "safeguarding-category"},
	{"safeguarding", "safeguarding_mash_ref_check", "mash-ref-space mash-ref-newline mash-ref-long"},
	{"safeguarding", "safeguarding_outcome_check", "safeguarding-outcome"},
	{"safeguarding", "safeguarding_referred_not_future", "safeguarding-referred-future"},
	{"safeguarding", "safeguarding_summary_check", "safeguarding-summary-long"},
	{"survey", "survey_respondents_check", "survey-respondents"},
	{"survey", "survey_satisfaction_check", "survey-satisfaction"},
	{"survey", "survey_surveyed_not_future", "survey-date-future"},
	{"visit", "visit_kind_check", "visit-kind"},
	{"visit", "visit_notes_check", "visit-notes-long"},
	{"visit", "visit_outcome_check", "visit-outcome"},
	{"visit", "visit_visited_not_future", "visit-date-future"},
};

static const struct bad_input *
find_bad(const char *tag, size_t len)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strlen(bad[i].tag) == len && strncmp(bad[i].tag, tag, len) == 0)
			return &bad[i];
	return NULL;
}

static void
test_textsafe_every_table_check_is_listed_with_its_bad_input(void **state)
{
	char want[8192] = "";
	const char *got;

	(void)state;
	if (!tl_db_available())
		skip();
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const char *c = checks[i].covered_by;

		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s.%s", i ? "," : "",
			 checks[i].table, checks[i].constraint);
		if (strncmp(c, "not input: ", 11) == 0)
			continue;
		/* Each tag names a bad input that is run below. */
		while (*c) {
			size_t n = strcspn(c, " ");
			if (find_bad(c, n) == NULL)
				fail_msg("%s: no bad input '%.*s'", checks[i].constraint, (int)n, c);
			c += n + (c[n] == ' ');
		}
	}
	got = tl_query1(owner, "SELECT string_agg(conrelid::regclass::text || '.' || conname, ','"
			       " ORDER BY conrelid::regclass::text, conname) FROM pg_constraint"
			       " WHERE contype = 'c' AND conrelid::regclass::text IN ('concern', 'visit',"
			       " 'safeguarding', 'cqc_rating', 'ipc_inspection', 'survey', 'performance_notice',"
			       " 'restriction', 'restriction_lift', 'provider_loss', 'provider', 'organisation',"
			       " 'officer', 'officer_locality', 'officer_leave', 'pamms_audit')");
	assert_string_equal(got, want);
}

static void
test_textsafe_bad_input_is_refused_before_any_sql(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	fill(long20001, 20001, "Xenolith-long");
	fill(long301, 301, "Xenolith-32");
	fill(long201, 201, "Xenolith-long");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long before = tl_count(owner, count_all_sql);
		char *out, *err;
		int rc = tl_run(bad[i].argv, NULL, &out, &err, bad[i].env);

		if (rc != 2 || strcmp(err, bad[i].message) != 0)
			fail_msg("%s: exit %d, stderr:\n%s\nexpected exit 2 and:\n%s", bad[i].tag, rc, err,
				 bad[i].message);
		assert_string_equal(out, "");
		if (tl_count(owner, count_all_sql) != before)
			fail_msg("%s: something was written", bad[i].tag);
		free(out);
		free(err);
	}
	/* None of the cases' free text reached the server. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bad[i].free && tl_server_log_contains(bad[i].free))
			fail_msg("%s: '%s' is in the server log", bad[i].tag, bad[i].free);
	assert_false(tl_server_log_contains("Xenolith"));
}

/* A statement that does reach the server and break a CHECK (psql, as an
 * attacker or a careless analyst would send it: literals in the text, or
 * parameters): the log says which constraint, never the row, the statement
 * or the parameters. */
static void
test_textsafe_server_log_keeps_no_failing_row_or_statement(void **state)
{
	PGconn *off;
	PGresult *r;
	const char *params[2] = {"CD 34", "Pelican-Zither-param was hurt"};

	(void)state;
	if (!tl_db_available())
		skip();
	off = tl_connect("cwt_ts_off");
	r = PQexec(off, "INSERT INTO safeguarding (id, provider_id, referred_on, mash_ref, category,"
			" outcome, summary) VALUES ('0e0e0e0e-0000-4000-8000-000000000001',"
			" '66666666-6666-4666-8666-666666666666', '2024-05-01', 'AB 12', 'neglect', 'open',"
			" 'Pelican-Zither-literal was hurt')");
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
	PQclear(r);
	r = PQexecParams(off, "INSERT INTO safeguarding (id, provider_id, referred_on, mash_ref, category,"
			      " outcome, summary) VALUES ('0e0e0e0e-0000-4000-8000-000000000002',"
			      " '66666666-6666-4666-8666-666666666666', '2024-05-01', $1, 'neglect', 'open', $2)",
			 2, NULL, params, NULL, NULL, 0);
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
	PQclear(r);
	PQfinish(off);
	assert_true(tl_server_log_contains("violates check constraint \"safeguarding_mash_ref_check\""));
	assert_false(tl_server_log_contains("Failing row"));
	assert_false(tl_server_log_contains("Pelican-Zither"));
	assert_false(tl_server_log_contains("CD 34"));
	assert_false(tl_server_log_contains("INSERT INTO safeguarding"));
}

/* Older data (rows written before these checks, or by the owner) holds
 * control characters: `provider show` and `case show` show them as
 * escapes, keep a summary's lines (indented), and never write a raw
 * control character to the terminal. */
static void
test_textsafe_show_commands_escape_what_older_data_holds(void **state)
{
	char *out, number[16];

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("provider", "add", "Hostile House", "--care-type", "nursing", "--locality",
			     "north", "--cqc-provider-id", "1-900900909", "--organisation", "Evil Ltd",
			     "--id", "77777777-7777-4777-8777-777777777777"), NULL, 0));
	free(tl_run_out(TL_ARGV("concern", "add", "Hostile House", "--risk", "high", "--category", "other",
			     "--source", "public", "--note", "First line\nsecond line"), OFFICER, 0));
	/* As the owner, the way older rows came to hold them. */
	tl_query1(owner, "UPDATE provider SET name = E'Hostile\\x1b[2J\\x1b[HALL CLEAR\\x1b]0;owned\\x07'"
			 " WHERE id = '77777777-7777-4777-8777-777777777777' RETURNING id");
	tl_query1(owner, "UPDATE organisation SET name = E'Evil\\u009d0;t\\u009c\\r Ltd'"
			 " WHERE cqc_provider_id = '1-900900909' RETURNING id");
	tl_query1(owner, "UPDATE concern SET summary = E'First line\\r\\n\\x1b[31msecond\\tline'"
			 " WHERE provider_id = '77777777-7777-4777-8777-777777777777' RETURNING id");
	out = tl_run_out(TL_ARGV("provider", "show", "77777777-7777-4777-8777-777777777777"), OFFICER, 0);
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("raw control character 0x%02x in provider show:\n%s", (unsigned char)*p, out);
	assert_null(strstr(out, "\xC2\x9D"));
	assert_true(strncmp(out, "Hostile\\u001b[2J\\u001b[HALL CLEAR\\u001b]0;owned\\u0007\n", 53) == 0);
	assert_non_null(strstr(out, "\n  organisation Evil\\u009d0;t\\u009c\\r Ltd\n"));
	/* The timeline table shows the summary on one line, escaped. */
	assert_non_null(strstr(out, "First line\\r\\n\\u001b[31msecond\\tline"));
	free(out);
	snprintf(number, sizeof(number), "%s",
		 tl_query1(owner, "SELECT number FROM case_file"
				  " WHERE provider_id = '77777777-7777-4777-8777-777777777777'"));
	out = tl_run_out(TL_ARGV("case", "show", number), OFFICER, 0);
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			fail_msg("raw control character 0x%02x in case show:\n%s", (unsigned char)*p, out);
	assert_non_null(strstr(out, "\n  provider   Hostile\\u001b[2J\\u001b[HALL CLEAR\\u001b]0;owned\\u0007\n"));
	/* Free text keeps its lines, indented under the label; CR and ESC
	 * are still escaped, the tab kept. */
	assert_non_null(strstr(out, "\n  concern    other: First line\\r\n"
				    "             \\u001b[31msecond\tline\n"));
	free(out);
	/* An ambiguous name lists the candidates' stored names, escaped. */
	free(tl_run_out(TL_ARGV("provider", "add", "Hostile Lodge", "--care-type", "nursing", "--locality",
			     "north"), NULL, 0));
	{
		char *err;
		assert_int_equal(tl_run(TL_ARGV("provider", "show", "hostile"), NULL, &out, &err, OFFICER), 5);
		assert_null(strchr(err, '\x1b'));
		assert_non_null(strstr(err, "detail: Hostile\\u001b[2J\\u001b[HALL CLEAR\\u001b]0;owned\\u0007"
					    " (nursing, north); Hostile Lodge (nursing, north)\n"));
		free(out);
		free(err);
	}
}

/* A provider name a spreadsheet would run: CSV neutralises it; the
 * numeric columns keep their numbers. */
static void
test_textsafe_csv_neutralises_formula_names(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	free(tl_run_out(TL_ARGV("provider", "add", "=HYPERLINK(\"http://evil.example\",\"Spreadsheet House\")",
			     "--care-type", "nursing", "--locality", "north"), NULL, 0));
	out = tl_run_out(TL_ARGV("provider", "find", "Spreadsheet House", "--format", "csv"), OFFICER, 0);
	assert_non_null(strstr(out, "\n\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Spreadsheet House\"\")\","
				    "nursing,north,,"));
	assert_non_null(strstr(out, ",0,"));
	free(out);
}

/* ---- without a server: the checks themselves ---- */

static void
test_textsafe_text_check_refuses_control_characters_saying_where(void **state)
{
	static const struct {
		const char *s;
		bool one_line;
		const char *msg;       /* NULL: accepted */
	} cases[] = {
		{"Plain text, with a tab\tand\nlines", false, NULL},
		{"caf\xC3\xA9 \xE6\x97\xA5 \xC2\xA0nbsp", true, NULL},
		{"two\nlines", true, "f contains a control character (U+000A) at character 4"},
		{"cr\rhere", false, "f contains a control character (U+000D) at character 3"},
		{"nul-free \x01", false, "f contains a control character (U+0001) at character 10"},
		{"esc \x1b[2J", false, "f contains a control character (U+001B) at character 5"},
		{"del \x7f", false, "f contains a control character (U+007F) at character 5"},
		{"c1 \xC2\x80 first", false, "f contains a control character (U+0080) at character 4"},
		{"\xC3\xA9 csi \xC2\x9B" "2J", false, "f contains a control character (U+009B) at character 7"},
		{"c1 \xC2\x9F last", false, "f contains a control character (U+009F) at character 4"},
		{"bad \xC3\x28", false, "f is not valid UTF-8 (byte 5)"},
		{"overlong \xC0\xAF", false, "f is not valid UTF-8 (byte 10)"},
		{"", false, "f is empty"},
		{" \t\n ", false, "f is empty"},
		{"\t", true, "f is empty"},
		{"abcdef", false, "f is too long (6 characters; at most 5)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_error err;
		bool ok;

		cw_error_clear(&err);
		ok = cw_text_check("f", cases[i].s, strcmp(cases[i].s, "abcdef") == 0 ? 5 : 100,
				   cases[i].one_line, &err);
		if (ok != (cases[i].msg == NULL) || (!ok && strcmp(err.msg, cases[i].msg) != 0))
			fail_msg("case %zu: %s '%s', want '%s'", i, ok ? "accepted" : "refused", err.msg,
				 cases[i].msg ? cases[i].msg : "(accepted)");
		if (!ok) {
			assert_string_equal(err.field, "f");
			assert_int_equal(err.code, 2);
		}
	}
}

/* Each kind's hook on normalised values (what cw_record hands it). */
static void
test_textsafe_kind_checks_cover_the_table_checks(void **state)
{
	static const struct {
		const struct cw_kind *kind;
		const char *v[8];
		const char *field, *msg;      /* msg NULL: accepted */
	} cases[] = {
		{&cw_kind_safeguarding, {"neglect", "open", "2024-04-02", "MASH/2024-17", NULL}, NULL, NULL},
		{&cw_kind_safeguarding, {"neglect", "open", "2024-04-02", NULL, NULL}, NULL, NULL},
		{&cw_kind_safeguarding, {"neglect", "open", "2024-04-02", "AB 12", NULL}, "mash-ref",
		 "invalid mash-ref 'AB 12' (expected up to 30 letters, digits, '/' and '-'; character 3 is not one)"},
		{&cw_kind_safeguarding, {"neglect", "open", "2024-04-02", "AB_12", NULL}, "mash-ref",
		 "invalid mash-ref 'AB_12' (expected up to 30 letters, digits, '/' and '-'; character 3 is not one)"},
		{&cw_kind_safeguarding, {"neglect", "open", "2024-04-02", "\xC3\x89" "12", NULL}, "mash-ref",
		 "invalid mash-ref '\xC3\x89" "12' (expected up to 30 letters, digits, '/' and '-'; character 1 is"
		 " not one)"},
		/* A tab passes the text check (tab is not refused at input) but not
		 * the pattern; the message shows it escaped. */
		{&cw_kind_safeguarding, {"neglect", "open", "2024-04-02", "AB\t12", NULL}, "mash-ref",
		 "invalid mash-ref 'AB\\t12' (expected up to 30 letters, digits, '/' and '-'; character 3 is not one)"},
		{&cw_kind_cqc, {"2024-03-01", "2024-03-01", NULL, NULL, NULL, NULL, NULL, "good"}, NULL, NULL},
		{&cw_kind_cqc, {"2024-03-01", NULL, NULL, NULL, NULL, NULL, NULL, "good"}, NULL, NULL},
		{&cw_kind_cqc, {"2024-03-01", "2024-03-02", NULL, NULL, NULL, NULL, NULL, "good"}, "inspected",
		 "--inspected 2024-03-02 is after --published 2024-03-01"},
		{&cw_kind_notice, {"performance", "r", "2024-04-10", "2024-04-10"}, NULL, NULL},
		{&cw_kind_notice, {"performance", "r", "2024-04-10", NULL}, NULL, NULL},
		{&cw_kind_notice, {"performance", "r", "2024-04-10", "2024-04-09"}, "closed",
		 "--closed 2024-04-09 is before --issued 2024-04-10"},
		{&cw_kind_restriction, {"all", "r", "2024-04-11", "2024-04-11"}, NULL, NULL},
		{&cw_kind_restriction, {"all", "r", "2024-04-11", "2023-12-31"}, "to",
		 "--to 2023-12-31 is before --from 2024-04-11"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_error err;
		bool ok;

		cw_error_clear(&err);
		assert_non_null(cases[i].kind->check);
		ok = cases[i].kind->check(cases[i].v, &err);
		if (ok != (cases[i].msg == NULL) || (!ok && strcmp(err.msg, cases[i].msg) != 0))
			fail_msg("case %zu (%s): %s '%s', want '%s'", i, cases[i].kind->name,
				 ok ? "accepted" : "refused", err.msg, cases[i].msg ? cases[i].msg : "(accepted)");
		if (!ok)
			assert_string_equal(err.field, cases[i].field);
	}
	/* The kinds whose table has no CHECK across fields have no hook. */
	assert_null(cw_kind_concern.check);
	assert_null(cw_kind_visit.check);
	assert_null(cw_kind_ipc.check);
	assert_null(cw_kind_survey.check);
	assert_null(cw_kind_loss.check);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_textsafe_text_check_refuses_control_characters_saying_where),
		cmocka_unit_test(test_textsafe_kind_checks_cover_the_table_checks),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textsafe_every_table_check_is_listed_with_its_bad_input),
		cmocka_unit_test(test_textsafe_bad_input_is_refused_before_any_sql),
		cmocka_unit_test(test_textsafe_server_log_keeps_no_failing_row_or_statement),
		cmocka_unit_test(test_textsafe_show_commands_escape_what_older_data_holds),
		cmocka_unit_test(test_textsafe_csv_neutralises_formula_names),
	};

	int rc = cmocka_run_group_tests_name("text checks", unit, NULL, NULL);

	return rc | cmocka_run_group_tests_name("text safety end to end", tests, setup, teardown);
}
