/*
 * test_import.c - importing CQC's care directory and latest ratings.
 *
 * Unit part (no server): the care type, postcode and date rules, and the
 * parser's verdict on a list of bad rows, each with its exact reason, line
 * and column and nothing staged for it.
 *
 * Integration part: small files in CQC's exact layouts, built here (the
 * directory with its four preamble lines, a UTF-8 BOM and CRLF line ends;
 * the ratings with LF), imported by the real binary as a manager: quoted
 * commas and line breaks, a Care Homes duplicate, a value that is not a
 * rating, a GP row, a row from another local authority, an unmapped
 * postcode district, a location carewatch does not hold, a malformed date
 * and a short row.  Re-importing a file changes nothing (not even the audit
 * log); the next month's file adds to the history; --skip-bad imports the
 * good rows; an officer may not import; imported ratings rescore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "carewatch/import.h"

/* ---- building files in CQC's layouts ---- */

static const char dir_header[] =
	"Name,Also known as,Address,Postcode,Phone number,Service's website (if available),"
	"Service types,Date of latest check,Specialisms/services,Provider name,Local authority,"
	"Region,Location URL,CQC Location ID (for office use only),CQC Provider ID (for office use only)";

static const char rat_header[] =
	"Location ID,Location ODS Code,Location Name,Care Home?,Location Type,"
	"Location Primary Inspection Category,Location Street Address,Location Address Line 2,"
	"Location City,Location Post Code,Location Local Authority,Location Region,"
	"Location NHS Region,Location ONSPD CCG Code,Location ONSPD CCG,"
	"Location Commissioning CCG Code,Location Commissioning CCG Name,"
	"Service / Population Group,Domain,Latest Rating,Publication Date,Report Type,"
	"Inherited Rating (Y/N),URL,Provider ID,Provider Name,Brand ID,Brand Name";

struct text {
	char *p;
	size_t n, cap;
};

static void
put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	memcpy(t->p + t->n, s, n + 1);
	t->n += n;
}

/* One field as Excel writes it: quoted when it holds a comma, quote or
 * line break, quotes doubled. */
static void
put_field(struct text *t, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		put(t, s);
		return;
	}
	put(t, "\"");
	for (; *s; s++) {
		char c[3] = {*s, *s == '"' ? '"' : '\0', '\0'};
		put(t, c);
	}
	put(t, "\"");
}

static void
put_row(struct text *t, const char *const *f, int n, const char *eol)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(t, ",");
		put_field(t, f[i]);
	}
	put(t, eol);
}

/* A directory row: name, postcode, service types, provider name, LA,
 * location ID, provider ID (the rest filled as CQC fills them). */
static void
dir_row(struct text *t, const char *name, const char *address, const char *postcode,
	const char *types, const char *provider, const char *la, const char *loc, const char *prov)
{
	char url[80];
	const char *f[15];

	snprintf(url, sizeof(url), "https://www.cqc.org.uk/location/%s", loc);
	f[0] = name; f[1] = ""; f[2] = address; f[3] = postcode; f[4] = "01603 000000";
	f[5] = ""; f[6] = types; f[7] = "01/02/2024"; f[8] = "Dementia|Caring for adults over 65 yrs";
	f[9] = provider; f[10] = la; f[11] = "East"; f[12] = url; f[13] = loc; f[14] = prov;
	put_row(t, f, 15, "\r\n");
}

static void
dir_start(struct text *t)
{
	put(t, "\xEF\xBB\xBF" "CQC Locations data,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,\r\n"
	       "This data was produced on 01 April 2024,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,\r\n");
	put(t, dir_header);
	put(t, "\r\n");
}

static void
rat_row(struct text *t, const char *loc, const char *type, const char *la, const char *group,
	const char *domain, const char *rating, const char *date)
{
	char url[80];
	const char *f[28];

	snprintf(url, sizeof(url), "https://www.cqc.org.uk/location/%s", loc);
	f[0] = loc; f[1] = ""; f[2] = "Ashfield House, Norwich"; f[3] = "Y"; f[4] = type;
	f[5] = "Residential social care"; f[6] = "1 High Street, Thorpe"; f[7] = "";
	f[8] = "Norwich"; f[9] = "NR1 3QU"; f[10] = la; f[11] = "East"; f[12] = "East of England";
	f[13] = "26A"; f[14] = "NHS Norfolk and Waveney"; f[15] = "26A";
	f[16] = "NHS Norfolk and Waveney ICB - 26A"; f[17] = group; f[18] = domain; f[19] = rating;
	f[20] = date; f[21] = "Location"; f[22] = "N"; f[23] = url; f[24] = "1-100000001";
	f[25] = "Ashfield Care, Ltd"; f[26] = "BD000"; f[27] = "-";
	put_row(t, f, 28, "\n");
}

static const char *const domains[6] = {"Safe", "Effective", "Caring", "Responsive", "Well-led", "Overall"};

/* The first month's ratings: 17 rows (see the expected summary below). */
static void
ratings_month1(struct text *t)
{
	static const char *const ash[6] = {"Requires improvement", "Good", "Good", "Good",
					   "Inadequate", "Requires improvement"};

	put(t, rat_header);
	put(t, "\n");
	for (int d = 0; d < 6; d++) {
		rat_row(t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", domains[d], ash[d],
			"15/03/2024");
		/* The same rating again under the Care Homes population group. */
		rat_row(t, "1-1010701645", "Social Care Org", "Norfolk", "Care Homes", domains[d], ash[d],
			"15/03/2024");
	}
	rat_row(t, "1-1010701646", "Social Care Org", "Norfolk", "Overall", "Safe",
		"Insufficient evidence to rate", "01/02/2024");
	rat_row(t, "1-1010701646", "Social Care Org", "Norfolk", "Overall", "Overall", "Good",
		"01/02/2024");
	rat_row(t, "1-555000001", "Primary Medical Services", "Norfolk", "Overall", "Overall", "Good",
		"01/01/2024");
	rat_row(t, "1-555000002", "Social Care Org", "Suffolk", "Overall", "Overall", "Good",
		"01/01/2024");
	rat_row(t, "1-555000003", "Social Care Org", "Norfolk", "Overall", "Overall", "Outstanding",
		"01/01/2024");
}

/* The files the tests write, removed by the group teardown. */
static char paths[16][64];

static const char *
write_file(const char *tag, const struct text *t)
{
	static int next;
	char *path = paths[next++ % 16];
	FILE *f;

	snprintf(path, 64, "/tmp/cwt-import-%s-%d.csv", tag, (int)getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(t->p, 1, t->n, f), t->n);
	fclose(f);
	return path;
}

/* ---- unit: the rules ---- */

static void
test_import_care_type_from_service_types(void **state)
{
	static const struct { const char *in; int want; } cases[] = {
		{"Nursing homes", CW_CARE_NURSING},
		{"Residential homes|Nursing homes", CW_CARE_NURSING},
		{"Nursing homes|Residential homes", CW_CARE_NURSING},
		{"Residential homes", CW_CARE_RESIDENTIAL},
		{"Homecare agencies", CW_CARE_HOME_CARE},
		{"Homecare agencies|Supported living", CW_CARE_HOME_CARE},
		{"Supported living", CW_CARE_SUPPORTED_LIVING},
		{"Extra Care housing services", CW_CARE_HOUSING_WITH_CARE},
		{" Residential homes | Shared Lives ", CW_CARE_RESIDENTIAL},
		{"Doctors/GPs", -1},
		{"Dentists|Hospitals", -1},
		{"Shared Lives", -1},
		{"", -1},
		{"|||", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cw_import_care_type(cases[i].in) != cases[i].want)
			fail_msg("'%s': got %d, want %d", cases[i].in, cw_import_care_type(cases[i].in),
				 cases[i].want);
}

static void
test_import_postcodes(void **state)
{
	static const struct { const char *in, *norm, *district; } ok[] = {
		{"NR1 3QU", "NR1 3QU", "NR1"}, {"nr1  3qu", "NR1 3QU", "NR1"},
		{"NR133QU", "NR13 3QU", "NR13"}, {"PE30 1AB", "PE30 1AB", "PE30"},
		{"W1A 1AA", "W1A 1AA", "W1A"}, {"EC1A 1BB", "EC1A 1BB", "EC1A"},
		{"M1 1AE", "M1 1AE", "M1"}, {" IP22 4AA ", "IP22 4AA", "IP22"},
	};
	static const char *const bad[] = {"NR1", "", "123 456", "NR1 3Q", "NR1-3QU", "NR1 3QUX",
					  "ABCDE 1AA", "N 1AA", "NR1 AQU", "1R1 3QU", "NRR 3QU"};
	char norm[9], district[9];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!cw_import_postcode(ok[i].in, norm, district))
			fail_msg("'%s' refused", ok[i].in);
		assert_string_equal(norm, ok[i].norm);
		assert_string_equal(district, ok[i].district);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cw_import_postcode(bad[i], norm, district))
			fail_msg("'%s' accepted as %s", bad[i], norm);
}

static void
test_import_dates(void **state)
{
	static const struct { const char *in, *why; } cases[] = {
		{"15/03/2024", NULL}, {"29/02/2024", NULL}, {"31/12/1999", NULL},
		{"31/02/2024", "February 2024 has 29 days"},
		{"29/02/2023", "February 2023 has 28 days"},
		{"15/13/2024", "month must be 01 to 12"},
		{"00/01/2024", "day must be 01 to 31 in January 2024"},
		{"2024-03-15", "expected dd/mm/yyyy"}, {"1/3/2024", "expected dd/mm/yyyy"},
		{"15/03/24", "expected dd/mm/yyyy"}, {"15/03/2024 10:00", "expected dd/mm/yyyy"},
		{"", "expected dd/mm/yyyy"},
	};
	struct cw_date d;
	char why[96];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = cw_import_dmy(cases[i].in, &d, why, sizeof(why));
		if (ok != (cases[i].why == NULL) || (!ok && strcmp(why, cases[i].why) != 0))
			fail_msg("'%s': %s '%s'", cases[i].in, ok ? "accepted" : "refused", ok ? "" : why);
	}
	assert_true(cw_import_dmy("15/03/2024", &d, why, sizeof(why)));
	assert_int_equal(d.y, 2024);
	assert_int_equal(d.m, 3);
	assert_int_equal(d.d, 15);
}

/* Parse text as kind; the batch is the caller's to free. */
static bool
parse(enum cw_import_kind kind, const struct text *t, const char *la, struct cw_import_batch *b,
      struct cw_error *err)
{
	struct cw_import_opts o = {.file = "t.csv", .local_authority = la};
	struct cw_csv *r = cw_csv_open_mem(t->p, t->n);
	bool ok;

	assert_non_null(r);
	cw_import_batch_init(b, kind);
	cw_error_clear(err);
	ok = cw_import_parse(b, r, &o, err);
	cw_csv_free(r);
	return ok;
}

/* Bad ratings rows, one per file after the header: the exact reason and
 * position, and nothing staged. */
static const struct {
	const char *f[5];          /* location, type, domain, rating, date */
	int col;                   /* field index the caret points at */
	const char *msg;
} bad_ratings[] = {
	{{"1-1010701645", "Social Care Org", "Safe", "Good", "31/02/2024"}, 20,
	 "invalid Publication Date '31/02/2024' (February 2024 has 29 days)"},
	{{"1-1010701645", "Social Care Org", "Safe", "Good", "2024-02-01"}, 20,
	 "invalid Publication Date '2024-02-01' (expected dd/mm/yyyy)"},
	{{"1-1010701645", "Social Care Org", "Safe", "Good", ""}, 20, "missing Publication Date"},
	{{"1-1010701645", "Social Care Org", "Safety", "Good", "01/02/2024"}, 18,
	 "invalid Domain 'Safety' (expected Safe, Effective, Caring, Responsive, Well-led or Overall)"},
	{{"1-1010701645", "Social Care Org", "Safe", "", "01/02/2024"}, 19, "missing Latest Rating"},
	{{"RXX01", "Social Care Org", "Safe", "Good", "01/02/2024"}, 0,
	 "invalid Location ID 'RXX01' (expected 1- and 3 to 15 digits)"},
	{{"", "Social Care Org", "Safe", "Good", "01/02/2024"}, 0, "missing Location ID"},
};

static void
test_import_bad_rating_rows_are_rejected_with_their_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_ratings) / sizeof(bad_ratings[0]); i++) {
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;
		struct cw_csv *r;
		struct cw_csv_error ce;
		long line;
		int col;

		put(&t, "\xEF\xBB\xBF");
		put(&t, rat_header);
		put(&t, "\r\n");
		rat_row(&t, bad_ratings[i].f[0], bad_ratings[i].f[1], "Norfolk", "Overall",
			bad_ratings[i].f[2], bad_ratings[i].f[3], bad_ratings[i].f[4]);
		assert_true(parse(CW_IMPORT_RATINGS, &t, "Norfolk", &b, &err));
		assert_int_equal(b.read, 1);
		assert_int_equal(b.staged, 0);
		assert_int_equal(b.copy_len, 0);
		assert_int_equal(b.rejected, 1);
		assert_int_equal(b.nrejects, 1);
		if (strcmp(b.rejects[0].msg, bad_ratings[i].msg) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, b.rejects[0].msg, bad_ratings[i].msg);
		/* The position is where that field starts on line 2. */
		r = cw_csv_open_mem(t.p, t.n);
		assert_int_equal(cw_csv_next(r, &ce), CW_CSV_ROW);
		assert_int_equal(cw_csv_next(r, &ce), CW_CSV_ROW);
		cw_csv_field_pos(r, bad_ratings[i].col, &line, &col);
		cw_csv_free(r);
		assert_int_equal(b.rejects[0].line, 2);
		assert_int_equal(b.rejects[0].column, col);
		assert_non_null(strchr(b.rejects[0].excerpt, '^'));
		cw_import_batch_free(&b);
		free(t.p);
	}
}

/* Rows that are fine but not ours are skipped, and only then checked. */
static void
test_import_filters_come_before_checks(void **state)
{
	struct text t = {0};
	struct cw_import_batch b;
	struct cw_error err;

	(void)state;
	put(&t, rat_header);
	put(&t, "\n");
	/* A GP and another authority's home with bad dates: skipped, not rejected. */
	rat_row(&t, "1-1", "Primary Medical Services", "Norfolk", "Overall", "Safe", "Good", "bad");
	rat_row(&t, "1-1010701645", "Social Care Org", "Suffolk", "Overall", "Safe", "Good", "bad");
	/* Not rated: no publication date needed. */
	rat_row(&t, "1-1010701645", "Social Care Org", "norfolk", "Overall", "Safe", "Not rated", "");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Caring",
		"Insufficient evidence to rate", "");
	put(&t, ",,,,,,,,,,,,,,,,,,,,,,,,,,,\n");
	assert_true(parse(CW_IMPORT_RATINGS, &t, "Norfolk", &b, &err));
	assert_int_equal(b.read, 5);
	assert_int_equal(b.rejected, 0);
	assert_int_equal(b.skipped[CW_SKIP_NOT_ASC], 1);
	assert_int_equal(b.skipped[CW_SKIP_OTHER_LA], 1);
	assert_int_equal(b.skipped[CW_SKIP_NOT_RATING], 2);
	assert_int_equal(b.skipped[CW_SKIP_BLANK], 1);
	assert_int_equal(b.n_not_rating, 2);
	assert_string_equal(b.not_rating[0].value, "Not rated");
	assert_string_equal(b.not_rating[1].value, "Insufficient evidence to rate");
	cw_import_batch_free(&b);
	/* Without --local-authority every authority is in. */
	assert_true(parse(CW_IMPORT_RATINGS, &t, NULL, &b, &err));
	assert_int_equal(b.skipped[CW_SKIP_OTHER_LA], 0);
	assert_int_equal(b.rejected, 1);
	assert_string_equal(b.rejects[0].msg, "invalid Publication Date 'bad' (expected dd/mm/yyyy)");
	cw_import_batch_free(&b);
	free(t.p);
}

/* Overall wins over Care Homes whichever comes first (the Care Homes row is
 * kept as that service's rating); the same group twice with two ratings on
 * one date is one rating, the worse. */
static void
test_import_population_groups(void **state)
{
	struct text t = {0};
	struct cw_import_batch b;
	struct cw_error err;

	(void)state;
	put(&t, rat_header);
	put(&t, "\n");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Care Homes", "Safe", "Inadequate",
		"15/03/2024");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe", "Good", "15/03/2024");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe", "Good", "15/03/2024");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe", "Outstanding",
		"15/03/2024");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe", "Good", "16/03/2024");
	assert_true(parse(CW_IMPORT_RATINGS, &t, NULL, &b, &err));
	assert_int_equal(b.read, 5);
	assert_int_equal(b.staged, 2);
	assert_int_equal(b.skipped[CW_SKIP_GROUP_DUPLICATE], 1);
	assert_int_equal(b.skipped[CW_SKIP_REPEATED], 1);
	assert_int_equal(b.skipped[CW_SKIP_SAME_DATE], 1);
	assert_int_equal(b.rejected, 0);
	/* Staged: the Overall group's Good (line 3) and the next day's. */
	assert_non_null(strstr(b.copy, "3\t"));
	assert_non_null(strstr(b.copy, "\t1-1010701645\tsafe\tgood\t2024-03-15\tsaf\tlocation\n"));
	assert_non_null(strstr(b.copy, "\t1-1010701645\tsafe\tgood\t2024-03-16\tsaf\tlocation\n"));
	assert_null(strstr(b.copy, "inadequate"));
	/* The Care Homes group's rating is that service's. */
	assert_int_equal(b.staged_services, 1);
	assert_non_null(strstr(b.services.p, "\t1-1010701645\tCare Homes\tsafe\tinadequate\t2024-03-15\tsaf\n"));
	cw_import_batch_free(&b);
	free(t.p);
}

static void
test_import_directory_rows(void **state)
{
	static const struct { const char *name, *pc, *types, *prov, *loc, *provid, *msg; } bad[] = {
		{"", "NR1 3QU", "Residential homes", "P", "1-201", "1-301", "missing Name"},
		{"A\x01" "B", "NR1 3QU", "Residential homes", "P", "1-201", "1-301",
		 "Name contains a control character (U+0001) at character 2"},
		{"A", "NR1", "Residential homes", "P", "1-201", "1-301", "invalid Postcode 'NR1'"},
		{"A", "", "Residential homes", "P", "1-201", "1-301", "missing Postcode"},
		{"A", "NR1 3QU", "Residential homes", "", "1-201", "1-301", "missing Provider name"},
		{"A", "NR1 3QU", "Residential homes", "P", "201", "1-301",
		 "invalid CQC Location ID (for office use only) '201' (expected 1- and 3 to 15 digits)"},
		{"A", "NR1 3QU", "Residential homes", "P", "1-201", "1-3x1",
		 "invalid CQC Provider ID (for office use only) '1-3x1' (expected 1- and 3 to 15 digits)"},
	};
	char longname[400];

	(void)state;
	memset(longname, 'n', 301);
	longname[301] = '\0';
	for (size_t i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;
		bool last = i == sizeof(bad) / sizeof(bad[0]);

		dir_start(&t);
		if (last)
			dir_row(&t, longname, "x", "NR1 3QU", "Nursing homes", "P", "Norfolk", "1-201", "1-301");
		else
			dir_row(&t, bad[i].name, "x", bad[i].pc, bad[i].types, bad[i].prov, "Norfolk",
				bad[i].loc, bad[i].provid);
		assert_true(parse(CW_IMPORT_DIRECTORY, &t, "Norfolk", &b, &err));
		assert_int_equal(b.header_line, 5);
		assert_int_equal(b.rejected, 1);
		assert_int_equal(b.staged, 0);
		assert_int_equal(b.rejects[0].line, 6);
		assert_string_equal(b.rejects[0].msg, last ? "Name longer than 300 characters" : bad[i].msg);
		cw_import_batch_free(&b);
		free(t.p);
	}
}

static void
test_import_directory_duplicates(void **state)
{
	struct text t = {0};
	struct cw_import_batch b;
	struct cw_error err;

	(void)state;
	dir_start(&t);
	dir_row(&t, "Ashfield House", "x", "NR1 3QU", "Nursing homes", "P", "Norfolk", "1-201", "1-301");
	dir_row(&t, "Ashfield House", "x", "NR1 3QU", "Nursing homes", "P", "Norfolk", "1-201", "1-301");
	dir_row(&t, "Ashfield Hall", "x", "NR1 3QU", "Nursing homes", "P", "Norfolk", "1-201", "1-301");
	assert_true(parse(CW_IMPORT_DIRECTORY, &t, "Norfolk", &b, &err));
	assert_int_equal(b.read, 3);
	assert_int_equal(b.staged, 1);
	assert_int_equal(b.skipped[CW_SKIP_REPEATED], 1);
	assert_int_equal(b.rejected, 1);
	assert_string_equal(b.rejects[0].msg, "CQC Location ID (for office use only) '1-201' is also on"
					      " line 6, with different details");
	assert_true(b.bom);
	assert_true(b.crlf);
	assert_int_equal(strlen(b.sha256), 64);
	cw_import_batch_free(&b);
	free(t.p);
}

static const struct {
	const char *in;
	enum cw_import_kind kind;
	const char *msg;
	long line;
	int column;
} bad_files[] = {
	{"Location ID,Location ODS Code,Location Nme\n", CW_IMPORT_RATINGS,
	 "cannot import t.csv: not CQC's Latest ratings (Locations sheet) header: no 'Location Type'"
	 " column", 1, 1},
	{"Location ID,Location ODS Code,Location Type,Location Local Authority,"
	 "Service / Population Group,Key Questions,Latest Rating,Publication Date\n", CW_IMPORT_RATINGS,
	 "cannot import t.csv: not CQC's Latest ratings (Locations sheet) header: no 'Domain' column"
	 " (nor 'Key Question')", 1, 1},
	{"Title\n\n1\n2\n3\n4\n5\n6\n7\n8\n9\nLocation ID\n", CW_IMPORT_RATINGS,
	 "cannot import t.csv: no CQC Latest ratings (Locations sheet) header in the first 10 lines", 0, 0},
	{"", CW_IMPORT_DIRECTORY,
	 "cannot import t.csv: no CQC care directory header in the first 10 lines", 0, 0},
	{"\"never closed\n", CW_IMPORT_DIRECTORY,
	 "cannot import t.csv: no CQC care directory header in the first 10 lines", 0, 0},
};

static void
test_import_bad_files_are_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;

		put(&t, bad_files[i].in);
		assert_false(parse(bad_files[i].kind, &t, NULL, &b, &err));
		if (strcmp(err.msg, bad_files[i].msg) != 0)
			fail_msg("case %zu: got '%s'", i, err.msg);
		assert_int_equal(err.code, CW_EXIT_USAGE);
		assert_int_equal(b.fatal.line, bad_files[i].line);
		assert_int_equal(b.fatal.column, bad_files[i].column);
		assert_int_equal(b.staged, 0);
		cw_import_batch_free(&b);
		free(t.p);
	}
	{
		/* A ratings file given to the directory importer says so. */
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;
		ratings_month1(&t);
		assert_false(parse(CW_IMPORT_DIRECTORY, &t, NULL, &b, &err));
		assert_string_equal(err.msg, "cannot import t.csv: this is CQC's Latest ratings (Locations"
					     " sheet), not the care directory");
		assert_string_equal(err.hint, "use 'carewatch import cqc-ratings'");
		cw_import_batch_free(&b);
		free(t.p);
	}
}

/* ---- integration ---- */

static const char *dbname;
static PGconn *owner;

#define MANAGER "PGUSER=cwt_imp_mary"
#define OFFICER "PGUSER=cwt_imp_olly"
#define READONLY "PGUSER=cwt_imp_rita"

static char *
run(int want, const char *const argv[], const char *env)
{
	char *out, *err;
	int rc = tl_run(argv, NULL, &out, &err, env);

	if (rc != want)
		fail_msg("exit %d (want %d)\nstdout: %s\nstderr: %s", rc, want, out, err);
	free(err);
	return out;
}

static int
setup(void **state)
{
	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_import", true);
	free(run(0, TL_ARGV("db", "role", "add", "cwt_imp_mary", "--as", "manager"), NULL));
	free(run(0, TL_ARGV("db", "role", "add", "cwt_imp_olly", "--as", "officer"), NULL));
	free(run(0, TL_ARGV("db", "role", "add", "cwt_imp_rita", "--as", "readonly"), NULL));
	free(run(0, TL_ARGV("rules", "activate", tl_path("../rules/default.rules")), NULL));
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
	for (int i = 0; i < 16; i++)
		if (paths[i][0])
			unlink(paths[i]);
	return 0;
}

static void
directory_month1(struct text *t)
{
	dir_start(t);
	dir_row(t, "Ashfield House", "1 High Street, Thorpe\nNorwich", "nr1 3qu",
		"Residential homes|Nursing homes", "Ashfield Care, Ltd", "Norfolk", "1-1010701645",
		"1-100000001");
	dir_row(t, "Beech Lodge, Cromer", "2 Cliff Road, Cromer", "NR27 9AA", "Residential homes",
		"Beech Care", "Norfolk", "1-1010701646", "1-100000002");
	dir_row(t, "Carrow Home Care", "5 Carrow Road", "NR30 1AA",
		"Homecare agencies|Supported living", "Ashfield Care, Ltd", "Norfolk", "1-1010701649",
		"1-100000001");
	dir_row(t, "Downham Living", "3 Bridge Street", "PE38 9AA", "Supported living",
		"Fen Support \"CIC\"", "Norfolk", "1-1010701650", "1-100000005");
	dir_row(t, "Eastgate Court", "7 Mere Street", "IP22 4AA", "Extra Care housing services",
		"Fen Support \"CIC\"", "Norfolk", "1-1010701651", "1-100000005");
	dir_row(t, "Dr Smith's Surgery", "9 Unthank Road", "NR2 2AA", "Doctors/GPs", "Dr A Smith",
		"Norfolk", "1-555000001", "1-555000000");
	dir_row(t, "Ipswich Care", "1 Quay, Ipswich", "IP1 1AA", "Homecare agencies", "Quay Care",
		"Suffolk", "1-555000002", "1-555000009");
	dir_row(t, "Lowestoft Lodge", "1 Sea Road", "NR32 1AA", "Residential homes", "Sea Care",
		"Norfolk", "1-555000004", "1-555000008");
}

static const char directory_summary1[] =
	"outcome,reason,rows\n"
	"read,,8\n"
	"imported,,5\n"
	"updated,,0\n"
	"unchanged,,0\n"
	"skipped,other local authority,1\n"
	"skipped,not adult social care,1\n"
	"skipped,postcode district not mapped,1\n"
	"rejected,,0\n"
	"organisations created,,3\n"
	"organisations updated,,0\n"
	"providers queued for rescoring,,5\n";

static const char providers_sql[] =
	"SELECT string_agg(concat_ws('|', p.name, p.care_type, p.locality, p.postcode, o.cqc_provider_id,"
	" o.name), E'\\n' ORDER BY p.cqc_location_id) FROM provider p JOIN organisation o"
	" ON o.id = p.organisation_id";

static const char everything_sql[] =
	"SELECT (SELECT count(*) FROM provider) || '/' || (SELECT count(*) FROM organisation) || '/'"
	" || (SELECT count(*) FROM cqc_rating) || '/' || (SELECT count(*) FROM provider_score) || '/'"
	" || (SELECT count(*) FROM audit_log WHERE tbl <> 'import_run')";

static void
test_import_directory_creates_providers_and_organisations(void **state)
{
	struct text t = {0};
	const char *path;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	directory_month1(&t);
	path = write_file("dir1", &t);
	out = run(0, TL_ARGV("import", "cqc-directory", path, "--local-authority", "Norfolk",
			     "--format", "csv"), MANAGER);
	assert_string_equal(out, directory_summary1);
	free(out);
	assert_string_equal(tl_query1(owner, providers_sql),
			    "Ashfield House|nursing|norwich|NR1 3QU|1-100000001|Ashfield Care, Ltd\n"
			    "Beech Lodge, Cromer|residential|north|NR27 9AA|1-100000002|Beech Care\n"
			    "Carrow Home Care|home_care|east|NR30 1AA|1-100000001|Ashfield Care, Ltd\n"
			    "Downham Living|supported_living|west|PE38 9AA|1-100000005|Fen Support \"CIC\"\n"
			    "Eastgate Court|housing_with_care|south|IP22 4AA|1-100000005|Fen Support \"CIC\"");
	/* One audit row per provider and organisation, naming the manager. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'provider'"
					 " AND op = 'INSERT' AND role = 'cwt_imp_mary'"
					 " AND change ->> 'cqc_location_id' LIKE '1-10107016%'"), 5);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log a JOIN organisation o"
					 " ON o.id::text = a.row_id WHERE a.tbl = 'organisation'"
					 " AND a.op = 'INSERT' AND a.role = 'cwt_imp_mary'"), 3);
	/* As with `provider add`, no score until there is intelligence. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_current_score"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM import_run WHERE kind = 'cqc_directory'"
					 " AND rows_read = 8 AND imported = 5 AND skipped = 3"
					 " AND recorded_by = 'cwt_imp_mary'"), 1);
	free(t.p);
}

static void
test_import_directory_reimport_changes_nothing(void **state)
{
	struct text t = {0};
	const char *path;
	char before[256], *out, *err;
	const char *providers;

	(void)state;
	if (!tl_db_available())
		skip();
	directory_month1(&t);
	path = write_file("dir1", &t);
	snprintf(before, sizeof(before), "%s", tl_query1(owner, everything_sql));
	providers = strdup(tl_query1(owner, providers_sql));
	/* Standard input, this time. */
	assert_int_equal(tl_run(TL_ARGV("import", "cqc-directory", "-", "--local-authority", "norfolk",
					"--format", "csv"), t.p, &out, &err, MANAGER), 0);
	assert_non_null(strstr(out, "imported,,0\nupdated,,0\nunchanged,,5\n"));
	assert_non_null(strstr(out, "organisations created,,0\norganisations updated,,0\n"
				    "providers queued for rescoring,,0\n"));
	free(out);
	free(err);
	/* The table says it is the same file as before. */
	out = run(0, TL_ARGV("import", "cqc-directory", path, "--local-authority", "Norfolk"), MANAGER);
	assert_non_null(strstr(out, "this same file was imported"));
	assert_non_null(strstr(out, "by cwt_imp_mary"));
	assert_non_null(strstr(out, "postcode districts not mapped to a locality: NR32 (1)"));
	free(out);
	assert_string_equal(tl_query1(owner, everything_sql), before);
	assert_string_equal(tl_query1(owner, providers_sql), providers);
	free((void *)providers);
	free(t.p);
}

static void
test_import_directory_updates_what_changed(void **state)
{
	struct text t = {0};
	const char *path;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* A manager placed Carrow in Norwich by hand: a re-import keeps that. */
	assert_string_equal(tl_query1(owner, "UPDATE provider SET locality = 'norwich'"
					     " WHERE cqc_location_id = '1-1010701649' RETURNING locality"),
			    "norwich");
	dir_start(&t);
	/* Ashfield de-registers its nursing beds; Beech moves to King's Lynn;
	 * the organisation is renamed. */
	dir_row(&t, "Ashfield House", "1 High Street", "NR1 3QU", "Residential homes",
		"Ashfield Care Group", "Norfolk", "1-1010701645", "1-100000001");
	dir_row(&t, "Beech Lodge, Cromer", "4 Tower Street", "PE30 1AA", "Residential homes",
		"Beech Care", "Norfolk", "1-1010701646", "1-100000002");
	dir_row(&t, "Carrow Home Care", "5 Carrow Road", "NR30 1AA",
		"Homecare agencies|Supported living", "Ashfield Care Group", "Norfolk", "1-1010701649",
		"1-100000001");
	path = write_file("dir2", &t);
	out = run(0, TL_ARGV("import", "cqc-directory", path, "--format", "csv"), MANAGER);
	assert_string_equal(out, "outcome,reason,rows\nread,,3\nimported,,0\nupdated,,2\nunchanged,,1\n"
				 "rejected,,0\norganisations created,,0\norganisations updated,,1\n"
				 "providers queued for rescoring,,2\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws('|', name, care_type, locality),"
					     " ',' ORDER BY cqc_location_id) FROM provider"
					     " WHERE cqc_location_id IN ('1-1010701645', '1-1010701646',"
					     " '1-1010701649')"),
			    "Ashfield House|residential|norwich,Beech Lodge, Cromer|residential|west,"
			    "Carrow Home Care|home_care|norwich");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'provider'"
					 " AND op = 'UPDATE' AND role = 'cwt_imp_mary'"
					 " AND change ? 'care_type'"), 1);
	free(t.p);
}

static const char ratings_summary1[] =
	"outcome,reason,rows\n"
	"read,,17\n"
	"imported,,7\n"
	"unchanged,,0\n"
	"skipped,other local authority,1\n"
	"skipped,not adult social care,1\n"
	"skipped,not a rating,1\n"
	"skipped,population group duplicate,6\n"
	"skipped,location not in carewatch,1\n"
	"rejected,,0\n"
	"comparison counts written,,4\n"
	"providers queued for rescoring,,2\n";

static void
test_import_ratings_with_bad_rows_import_nothing(void **state)
{
	struct text t = {0};
	const char *path;
	char before[256], *out, *err;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	ratings_month1(&t);
	rat_row(&t, "1-1010701646", "Social Care Org", "Norfolk", "Overall", "Caring", "Good",
		"31/02/2024");
	put(&t, "1-1010701646,,Beech Lodge,Y,Social Care Org\n");
	path = write_file("rat-bad", &t);
	snprintf(before, sizeof(before), "%s/%ld", tl_query1(owner, everything_sql),
		 tl_count(owner, "SELECT count(*) FROM import_run"));
	rc = tl_run(TL_ARGV("import", "cqc-ratings", path, "--local-authority", "Norfolk"), NULL, &out,
		    &err, MANAGER);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	{
		char want[2048];
		snprintf(want, sizeof(want),
			 "%s:19:239: invalid Publication Date '31/02/2024' (February 2024 has 29 days)\n"
			 "  ...veney ICB - 26A,Overall,Caring,Good,31/02/2024,Location,N,https://www.cqc.or...\n"
			 "                                         ^\n"
			 "%s:20:44: short row: 5 fields (expected 28)\n"
			 "  1-1010701646,,Beech Lodge,Y,Social Care Org\n"
			 "                                             ^\n"
			 "carewatch: error: 2 of 19 rows in %s rejected; nothing imported\n"
			 "hint: correct the rows listed above, or pass --skip-bad to import the rest\n",
			 path, path, path);
		assert_string_equal(err, want);
	}
	free(out);
	free(err);
	{
		char now[256];
		snprintf(now, sizeof(now), "%s/%ld", tl_query1(owner, everything_sql),
			 tl_count(owner, "SELECT count(*) FROM import_run"));
		assert_string_equal(now, before);
	}
	free(t.p);
}

static void
test_import_ratings_store_one_rating_per_domain_and_date(void **state)
{
	struct text t = {0};
	const char *path;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	ratings_month1(&t);
	path = write_file("rat1", &t);
	assert_string_equal(tl_query1(owner, "WITH d AS (DELETE FROM score_queue RETURNING 1)"
					     " SELECT count(*) > 0 FROM d"), "t");
	out = run(0, TL_ARGV("import", "cqc-ratings", path, "--local-authority", "Norfolk", "--format",
			     "csv"), MANAGER);
	assert_string_equal(out, ratings_summary1);
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws('|', p.cqc_location_id, r.domain,"
					     " r.rating, r.published_on, r.source, r.inspected_on IS NULL,"
					     " r.recorded_by), E'\\n' ORDER BY p.cqc_location_id, r.domain)"
					     " FROM cqc_rating r JOIN provider p ON p.id = r.provider_id"),
			    "1-1010701645|caring|good|2024-03-15|import|t|cwt_imp_mary\n"
			    "1-1010701645|effective|good|2024-03-15|import|t|cwt_imp_mary\n"
			    "1-1010701645|overall|requires_improvement|2024-03-15|import|t|cwt_imp_mary\n"
			    "1-1010701645|responsive|good|2024-03-15|import|t|cwt_imp_mary\n"
			    "1-1010701645|safe|requires_improvement|2024-03-15|import|t|cwt_imp_mary\n"
			    "1-1010701645|well_led|inadequate|2024-03-15|import|t|cwt_imp_mary\n"
			    "1-1010701646|overall|good|2024-02-01|import|t|cwt_imp_mary");
	/* The import writes no score: the two providers whose ratings are new
	 * are on the score queue for the scorer (the directory import queued
	 * every provider it created; the queue was emptied first). */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_score"), 0);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(p.cqc_location_id, ',' ORDER BY"
					     " p.cqc_location_id) FROM score_queue q JOIN provider p"
					     " ON p.id = q.provider_id"),
			    "1-1010701645,1-1010701646");
	/* The audit rows and the run name the manager, not carewatch_api. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'cqc_rating'"
					 " AND op = 'INSERT' AND role = 'cwt_imp_mary'"), 7);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE role <> 'cwt_imp_mary'"
					 " AND role <> 'cw_owner'"), 0);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM import_run WHERE kind = 'cqc_ratings'"
					 " AND rows_read = 17 AND imported = 7 AND unchanged = 0 AND skipped = 10"
					 " AND rejected = 0 AND queued = 2 AND rescored = 0"
					 " AND (skipped_by_reason ->> 'unknown_location')::int = 1"
					 " AND recorded_by = 'cwt_imp_mary'"), 1);
	free(t.p);
}

static void
test_import_ratings_reimport_changes_nothing(void **state)
{
	struct text t = {0};
	const char *path;
	char before[256], *out;

	(void)state;
	if (!tl_db_available())
		skip();
	ratings_month1(&t);
	path = write_file("rat1", &t);
	snprintf(before, sizeof(before), "%s", tl_query1(owner, everything_sql));
	out = run(0, TL_ARGV("import", "cqc-ratings", path, "--local-authority", "Norfolk", "--format",
			     "json"), MANAGER);
	assert_non_null(strstr(out, "{\"outcome\": \"imported\", \"reason\": \"\", \"rows\": 0}"));
	assert_non_null(strstr(out, "{\"outcome\": \"unchanged\", \"reason\": \"\", \"rows\": 7}"));
	assert_non_null(strstr(out, "{\"outcome\": \"providers queued for rescoring\", \"reason\": \"\","
				    " \"rows\": 0}"));
	free(out);
	assert_string_equal(tl_query1(owner, everything_sql), before);
	free(t.p);
}

static void
test_import_ratings_next_month_builds_history(void **state)
{
	struct text t = {0};
	const char *path;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	ratings_month1(&t);
	/* Re-inspected: Ashfield's Safe is now Good, published in June. */
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe", "Good", "20/06/2024");
	path = write_file("rat2", &t);
	out = run(0, TL_ARGV("import", "cqc-ratings", path, "--local-authority", "Norfolk", "--format",
			     "csv"), MANAGER);
	assert_non_null(strstr(out, "read,,18\nimported,,1\nunchanged,,7\n"));
	assert_non_null(strstr(out, "providers queued for rescoring,,1\n"));
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(r.rating || '@' || r.published_on, ','"
					     " ORDER BY r.published_on) FROM cqc_rating r"
					     " JOIN provider p ON p.id = r.provider_id"
					     " WHERE p.cqc_location_id = '1-1010701645' AND r.domain = 'safe'"),
			    "requires_improvement@2024-03-15,good@2024-06-20");
	free(t.p);
}

static void
test_import_skip_bad_imports_the_rest(void **state)
{
	struct text t = {0};
	const char *path;
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	put(&t, rat_header);
	put(&t, "\n");
	rat_row(&t, "1-1010701649", "Social Care Org", "Norfolk", "Overall", "Overall", "Good",
		"01/05/2024");
	rat_row(&t, "1-1010701649", "Social Care Org", "Norfolk", "Overall", "Safe", "Good", "1/5/2024");
	path = write_file("rat-skip", &t);
	assert_int_equal(tl_run(TL_ARGV("import", "cqc-ratings", path, "--skip-bad", "--format", "csv"),
				NULL, &out, &err, MANAGER), 0);
	assert_string_equal(out, "outcome,reason,rows\nread,,2\nimported,,1\nunchanged,,0\n"
				 "rejected,not imported (--skip-bad),1\ncomparison counts written,,1\n"
				 "providers queued for rescoring,,1\n");
	assert_non_null(strstr(err, ":3:"));
	assert_non_null(strstr(err, "invalid Publication Date '1/5/2024' (expected dd/mm/yyyy)"));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM cqc_rating r JOIN provider p"
					 " ON p.id = r.provider_id WHERE p.cqc_location_id = '1-1010701649'"), 1);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM import_run WHERE rejected = 1"
					 " AND imported = 1"), 1);
	free(out);
	free(err);
	free(t.p);
}

static void
test_import_is_for_managers(void **state)
{
	struct text t = {0};
	const char *path;
	char before[256], *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	ratings_month1(&t);
	path = write_file("rat-officer", &t);
	snprintf(before, sizeof(before), "%s", tl_query1(owner, everything_sql));
	assert_int_equal(tl_run(TL_ARGV("import", "cqc-ratings", path), NULL, &out, &err, OFFICER), 4);
	assert_string_equal(err, "carewatch: error: permission denied for role cwt_imp_olly: importing"
				 " CQC files is for managers\n"
				 "hint: ask the database owner: carewatch db role add cwt_imp_olly --as manager\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("import", "cqc-directory", path), NULL, &out, &err, OFFICER), 4);
	free(out);
	free(err);
	assert_string_equal(tl_query1(owner, everything_sql), before);
	/* The reference data is readable by everyone, changeable by managers
	 * through the api functions only. */
	assert_string_equal(tl_query1(owner, "SELECT has_column_privilege('carewatch_readonly',"
					     " 'postcode_district', 'locality', 'SELECT')::text"
					     " || has_table_privilege('carewatch_officer', 'postcode_district', 'INSERT')::text"
					     " || has_table_privilege('carewatch_manager', 'postcode_district', 'INSERT')::text"
					     " || has_function_privilege('carewatch_officer',"
					     "    'api.postcode_district_set(text, text, text)', 'EXECUTE')::text"
					     " || has_function_privilege('carewatch_manager',"
					     "    'api.postcode_district_set(text, text, text)', 'EXECUTE')::text"),
			    "truefalsefalsefalsetrue");
	free(t.p);
}

/* The statement-level audit of the bulk tables writes what the row-level
 * trigger wrote: one row per inserted, changed or deleted row, the whole
 * row for an insert or delete, old and new of each changed column for an
 * update, nothing for an update that changes nothing. */
static void
test_import_set_audit_is_row_by_row(void **state)
{
	long before;

	(void)state;
	if (!tl_db_available())
		skip();
	assert_string_equal(tl_query1(owner, "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger"
					     " WHERE tgrelid = 'provider'::regclass AND tgname LIKE 'audit%'"),
			    "audit_provider_delete,audit_provider_insert,audit_provider_update");
	/* Every insert's audit row is the row as inserted. */
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log a JOIN provider p"
					 " ON a.row_id = p.id::text WHERE a.tbl = 'provider' AND a.op = 'INSERT'"
					 " AND a.change = to_jsonb(p)"),
			 tl_count(owner, "SELECT count(*) FROM provider p WHERE NOT EXISTS (SELECT 1"
					 " FROM audit_log u WHERE u.tbl = 'provider' AND u.op = 'UPDATE'"
					 " AND u.row_id = p.id::text)"));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'provider'"
					 " AND op = 'INSERT'"), tl_count(owner, "SELECT count(*) FROM provider"));
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log a JOIN cqc_rating r"
					 " ON a.row_id = r.id::text WHERE a.tbl = 'cqc_rating' AND a.op = 'INSERT'"
					 " AND a.change = to_jsonb(r)"),
			 tl_count(owner, "SELECT count(*) FROM cqc_rating"));
	before = tl_count(owner, "SELECT count(*) FROM audit_log");
	assert_string_equal(tl_query1(owner, "UPDATE provider SET name = name RETURNING 'x'"), "x");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log"), before);
	assert_string_equal(tl_query1(owner, "UPDATE provider SET beds = 12"
					     " WHERE cqc_location_id = '1-1010701650' RETURNING beds::text"), "12");
	assert_string_equal(tl_query1(owner, "SELECT op || ' ' || change::text || ' ' || role FROM audit_log"
					     " ORDER BY id DESC LIMIT 1"),
			    "UPDATE {\"beds\": {\"new\": 12, \"old\": null}} cw_owner");
	assert_string_equal(tl_query1(owner, "INSERT INTO organisation (id, name)"
					     " VALUES ('00000000-0000-4000-8000-00000000000a', 'Gone Ltd')"
					     " RETURNING name"), "Gone Ltd");
	assert_string_equal(tl_query1(owner, "DELETE FROM organisation"
					     " WHERE id = '00000000-0000-4000-8000-00000000000a' RETURNING name"),
			    "Gone Ltd");
	assert_string_equal(tl_query1(owner, "SELECT string_agg(op || ' ' || (change ->> 'name'), ','"
					     " ORDER BY id) FROM audit_log"
					     " WHERE row_id = '00000000-0000-4000-8000-00000000000a'"),
			    "INSERT Gone Ltd,DELETE Gone Ltd");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log"), before + 3);
}

static void
test_import_norfolk_districts_ship(void **state)
{
	(void)state;
	if (!tl_db_available())
		skip();
	assert_string_equal(tl_query1(owner, "SELECT string_agg(locality || ':' || n, ',' ORDER BY locality)"
					     " FROM (SELECT locality, count(*) n FROM postcode_district"
					     " GROUP BY locality) x"),
			    "east:4,north:11,norwich:8,south:16,west:11");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM postcode_district"
					 " WHERE district IN ('NR32', 'NR33', 'IP23')"), 0);
}

/* ---- attacks over raw libpq, as each person's login would make them ---- */

/* Run sql as c inside a transaction that is rolled back, and fail unless it
 * is refused with SQLSTATE want.  Returns the primary message (static). */
static const char *
refused_with(PGconn *c, const char *sql, int n, const char *const *params, const char *want)
{
	static char msg[512];
	PGresult *r = PQexec(c, "BEGIN");
	const char *st;

	PQclear(r);
	r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (st == NULL || strcmp(st, want) != 0)
		fail_msg("%s: want %s, got %s: %s", sql, want, st ? st : "success", PQresultErrorMessage(r));
	snprintf(msg, sizeof(msg), "%s", PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
	PQclear(r);
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	return msg;
}

static const char *
refused(PGconn *c, const char *sql, const char *want)
{
	return refused_with(c, sql, 0, NULL, want);
}

/* Everything an import or a manager could change, as one text. */
static const char state_sql[] =
	"SELECT (SELECT count(*) FROM provider) || '/' || (SELECT count(*) FROM organisation) || '/'"
	" || (SELECT count(*) FROM cqc_rating) || '/' || (SELECT count(*) FROM provider_score) || '/'"
	" || (SELECT count(*) FROM audit_log) || '/' || (SELECT count(*) FROM import_run) || '/'"
	" || (SELECT md5(string_agg(concat_ws('|', name, care_type, locality, postcode), ','"
	"     ORDER BY id)) FROM provider) || '/'"
	" || (SELECT md5(string_agg(concat_ws('|', district, locality, area), ',' ORDER BY district))"
	"     FROM postcode_district) || '/'"
	" || (SELECT md5(string_agg(concat_ws('|', id, rating), ',' ORDER BY id)) FROM cqc_rating)";

static void
test_import_manager_cannot_write_by_hand(void **state)
{
	char before[512];
	PGconn *m;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s", tl_query1(owner, state_sql));
	m = tl_connect("cwt_imp_mary");
	refused(m, "UPDATE provider SET name = 'Renamed by hand'", "42501");
	refused(m, "UPDATE provider SET locality = 'west' WHERE cqc_location_id = '1-1010701645'", "42501");
	refused(m, "UPDATE organisation SET name = 'Renamed by hand'", "42501");
	refused(m, "DELETE FROM provider", "42501");
	refused(m, "DELETE FROM postcode_district WHERE district = 'NR1'", "42501");
	refused(m, "UPDATE postcode_district SET locality = 'west'", "42501");
	refused(m, "INSERT INTO postcode_district (district, locality) VALUES ('NR99', 'east')", "42501");
	refused(m, "UPDATE cqc_rating SET rating = 'outstanding'", "42501");
	refused(m, "DELETE FROM cqc_rating", "42501");
	refused(m, "INSERT INTO import_run (id, kind, file_name, file_sha256, rows_read, imported, updated,"
		   " unchanged, skipped, rejected, skipped_by_reason) VALUES (gen_random_uuid(),"
		   " 'cqc_ratings', 'x.csv', repeat('a', 64), 0, 0, 0, 0, 0, 0, '{}')", "42501");
	/* The staging tables: the transaction key cannot be chosen (so rows
	 * cannot be slipped into another import), and nobody reads them. */
	refused(m, "INSERT INTO api.import_stage_rating (txn, line) VALUES ('1', 1)", "42501");
	refused(m, "SELECT count(*) FROM api.import_stage_rating", "42501");
	refused(m, "TRUNCATE api.import_stage_directory", "42501");
	/* The advisory key the import used to take means nothing now. */
	refused(m, "SELECT api.import_require_manager()", "42501");
	PQfinish(m);
	assert_string_equal(tl_query1(owner, state_sql), before);
}

/* Scores come from the scorer only: with the import no longer writing any,
 * a manager's login holds no INSERT on provider_score once `concern add`
 * stops writing scores itself (the scorer's migration revokes the officer
 * role's INSERT, which managers inherit). */
static void
test_import_manager_cannot_write_scores(void **state)
{
	char before[512];
	PGconn *m;

	(void)state;
	if (!tl_db_available())
		skip();
	if (strcmp(tl_query1(owner, "SELECT has_table_privilege('carewatch_officer', 'provider_score',"
				    " 'INSERT')::text"), "true") == 0) {
		print_message("carewatch_officer still holds INSERT on provider_score (the scorer's"
			      " migration revokes it)\n");
		skip();
	}
	snprintf(before, sizeof(before), "%s", tl_query1(owner, state_sql));
	m = tl_connect("cwt_imp_mary");
	refused(m, "INSERT INTO provider_score (provider_id, as_of, ruleset_name, ruleset_hash, score, band,"
		   " flag, detail, cause) SELECT id, now(), 'x', 'y', 0, 'low', false, '{}', 'import'"
		   " FROM provider", "42501");
	PQfinish(m);
	assert_string_equal(tl_query1(owner, state_sql), before);
}

static void
test_import_apply_is_for_managers(void **state)
{
	char before[512];
	const char *who[2] = {"cwt_imp_olly", "cwt_imp_rita"};

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s", tl_query1(owner, state_sql));
	for (int w = 0; w < 2; w++) {
		PGconn *c = tl_connect(who[w]);
		refused(c, "SELECT * FROM api.import_ratings_apply(gen_random_uuid(), 'x.csv', repeat('a', 64),"
			   " NULL, '{}', 0, '2024-04-01')", "42501");
		refused(c, "SELECT * FROM api.import_directory_apply(gen_random_uuid(), 'x.csv', repeat('a', 64),"
			   " NULL, '{}', 0)", "42501");
		refused(c, "SELECT api.postcode_district_set('NR99', 'east', '')", "42501");
		refused(c, "SELECT api.postcode_district_remove('NR1')", "42501");
		refused(c, "INSERT INTO api.import_stage_rating (line) VALUES (1)", "42501");
		PQfinish(c);
	}
	assert_string_equal(tl_query1(owner, state_sql), before);
}

/* The import lock is a row lock that only managers may take: a reader
 * holding the old advisory key no longer holds an import up, readonly and
 * officer logins cannot take the new one, and an import does wait for it. */
static void
test_import_lock_is_for_managers_only(void **state)
{
	struct text t = {0};
	const char *path;
	PGconn *ro, *off, *m;
	PGresult *r;
	char *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	ratings_month1(&t);
	path = write_file("rat-lock", &t);
	ro = tl_connect("cwt_imp_rita");
	r = PQexec(ro, "SELECT pg_advisory_lock(4242006)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	/* Were the import still to wait for that key, lock_timeout would make
	 * it fail instead of hang. */
	setenv("PGOPTIONS", "-c lock_timeout=10s", 1);
	out = run(0, TL_ARGV("import", "cqc-ratings", path, "--local-authority", "Norfolk", "--format",
			     "csv"), MANAGER);
	assert_non_null(strstr(out, "unchanged,,7\n"));
	free(out);
	refused(ro, "SELECT api.lock_take('import')", "42501");
	off = tl_connect("cwt_imp_olly");
	assert_string_equal(refused(off, "SELECT api.lock_take('import')", "42501"),
			    "the import lock is not for this role");
	assert_string_equal(refused(off, "SELECT api.lock_take('import', false)", "42501"),
			    "the import lock is not for this role");
	/* A manager's import in progress (its lock held) makes the next one wait. */
	m = tl_connect("cwt_imp_mary");
	r = PQexec(m, "BEGIN");
	PQclear(r);
	r = PQexec(m, "SELECT api.lock_take('import')");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	setenv("PGOPTIONS", "-c lock_timeout=300ms", 1);
	assert_int_equal(tl_run(TL_ARGV("import", "cqc-ratings", path), NULL, &out, &err, MANAGER), 1);
	assert_non_null(strstr(err, "lock timeout"));
	free(out);
	free(err);
	unsetenv("PGOPTIONS");
	r = PQexec(m, "ROLLBACK");
	PQclear(r);
	PQfinish(m);
	PQfinish(off);
	PQfinish(ro);
	free(t.p);
}

/* What a table CHECK would refuse is refused by the function first, with
 * the line and the field and none of the value: nothing written, and the
 * server log never sees the text. */
static void
test_import_apply_checks_staged_rows(void **state)
{
	static const char secret[] = "Zebrafinch-Quillwort";
	static const struct {
		const char *insert;
		const char *message;
	} bad[] = {
		{"INSERT INTO api.import_stage_directory (line, location_id, cqc_provider_id, new_id, org_id,"
		 " name, provider_name, care_type, postcode, district) VALUES (12, '1-1010701699',"
		 " '1-100000001', gen_random_uuid(), gen_random_uuid(), repeat('Zebrafinch-Quillwort ', 20),"
		 " 'Ashfield Care, Ltd', 'residential', 'NR1 1AA', 'NR1')",
		 "staged directory row at line 12 has an invalid name"},
		{"INSERT INTO api.import_stage_directory (line, location_id, cqc_provider_id, new_id, org_id,"
		 " name, provider_name, care_type, postcode, district) VALUES (13, '1-1010701699',"
		 " '1-100000001', gen_random_uuid(), gen_random_uuid(), 'Zebrafinch-Quillwort' || chr(155) || '2J',"
		 " 'Ashfield Care, Ltd', 'residential', 'NR1 1AA', 'NR1')",
		 "staged directory row at line 13 has an invalid name"},
		{"INSERT INTO api.import_stage_directory (line, location_id, cqc_provider_id, new_id, org_id,"
		 " name, provider_name, care_type, postcode, district) VALUES (14, '1-1010701699',"
		 " '1-100000001', gen_random_uuid(), gen_random_uuid(), 'Elm House', 'Ashfield Care, Ltd',"
		 " 'Zebrafinch-Quillwort', 'NR1 1AA', 'NR1')",
		 "staged directory row at line 14 has an invalid care type"},
		{"INSERT INTO api.import_stage_directory (line, location_id, cqc_provider_id, new_id, org_id,"
		 " name, provider_name, care_type, postcode, district) VALUES (15, '1-1010701699',"
		 " '1-100000001', gen_random_uuid(), gen_random_uuid(), 'Elm House', 'Ashfield Care, Ltd',"
		 " 'residential', 'Zebrafinch-Quillwort', 'NR1')",
		 "staged directory row at line 15 has an invalid postcode"},
		{"INSERT INTO api.import_stage_rating (line, id, location_id, domain, rating, published_on)"
		 " VALUES (7, gen_random_uuid(), '1-1010701645', 'Zebrafinch-Quillwort', 'good', '2024-01-01')",
		 "staged rating at line 7 has an invalid domain"},
		{"INSERT INTO api.import_stage_rating (line, id, location_id, domain, rating, published_on)"
		 " VALUES (8, gen_random_uuid(), '1-1010701645', 'safe', 'Zebrafinch-Quillwort', '2024-01-01')",
		 "staged rating at line 8 has an invalid rating"},
		{"INSERT INTO api.import_stage_rating (line, id, location_id, domain, rating, published_on)"
		 " VALUES (9, gen_random_uuid(), '1-1010701645', 'safe', 'good', NULL)",
		 "staged rating at line 9 has an invalid publication date"},
	};
	char before[512], path[1200], *log;
	PGconn *m, *su;
	FILE *f;
	long len;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s", tl_query1(owner, state_sql));
	m = tl_connect("cwt_imp_mary");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool dir = strstr(bad[i].insert, "stage_directory") != NULL;
		PGresult *r = PQexec(m, "BEGIN");
		const char *st;

		PQclear(r);
		r = PQexec(m, bad[i].insert);
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		r = PQexec(m, dir ? "SELECT * FROM api.import_directory_apply(gen_random_uuid(), 'x.csv',"
				    " repeat('a', 64), NULL, '{}', 0)"
				  : "SELECT * FROM api.import_ratings_apply(gen_random_uuid(), 'x.csv',"
				    " repeat('a', 64), NULL, '{}', 0, '2024-04-01')");
		st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (st == NULL || strcmp(st, "22023") != 0)
			fail_msg("%s: want 22023, got %s: %s", bad[i].insert, st ? st : "success",
				 PQresultErrorMessage(r));
		assert_string_equal(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY), bad[i].message);
		PQclear(r);
		r = PQexec(m, "ROLLBACK");
		PQclear(r);
	}
	/* The counts only the client knows are checked too. */
	assert_string_equal(refused(m, "SELECT * FROM api.import_ratings_apply(gen_random_uuid(), 'x.csv',"
				       " repeat('a', 64), NULL, '{\"unknown_location\": 5}', 0, '2024-04-01')", "22023"),
			    "invalid skipped row counts");
	assert_string_equal(refused(m, "SELECT * FROM api.import_ratings_apply(gen_random_uuid(), 'x.csv',"
				       " repeat('a', 64), NULL, '{}', -1, '2024-04-01')", "22023"),
			    "invalid rejected row count");
	{
		/* As the client sends values: parameters, never in the statement. */
		const char *p[1] = {"Zebrafinch-Quillwort\n.csv"};
		assert_string_equal(refused_with(m, "SELECT * FROM api.import_ratings_apply(gen_random_uuid(),"
						    " $1, repeat('a', 64), NULL, '{}', 0, '2024-04-01')", 1, p, "22023"),
				    "invalid import file name");
	}
	PQfinish(m);
	assert_string_equal(tl_query1(owner, state_sql), before);

	su = tl_connect("postgres");
	snprintf(path, sizeof(path), "%s/../server.log", tl_query1(su, "SHOW data_directory"));
	PQfinish(su);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot read the server log at %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	log = calloc(1, (size_t)len + 1);
	assert_non_null(log);
	assert_int_equal(fread(log, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	/* The refusals are logged (so this is the right log), the text is not. */
	assert_non_null(strstr(log, "staged rating at line 7 has an invalid domain"));
	assert_null(strstr(log, secret));
	assert_null(strstr(log, "Failing row contains"));
	free(log);
}

/* `district set | remove | list`: checked in C first (exit 2 for a bad
 * district, 5 for an unknown locality), audited under the manager's login,
 * and a district added is what places the next import's new provider. */
static void
test_import_district_commands(void **state)
{
	struct text t = {0};
	const char *path;
	char before[512], *out, *err;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s", tl_query1(owner, state_sql));
	assert_int_equal(tl_run(TL_ARGV("district", "set", "NR3X3", "--locality", "east"), NULL, &out, &err,
				MANAGER), 2);
	assert_string_equal(err, "carewatch: error: invalid postcode district 'NR3X3' (expected the outward"
				 " code of a postcode, e.g. NR1 or PE30)\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("district", "set", "NR32", "--locality", "Lowestoft"), NULL, &out,
				&err, MANAGER), 5);
	assert_string_equal(err, "carewatch: error: unknown locality 'Lowestoft' (expected east, north,"
				 " norwich, south or west)\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("district", "set", "NR32", "--locality", "east", "--area",
					"Lowestoft\x1b]0;pwned\a"), NULL, &out, &err, MANAGER), 2);
	assert_string_equal(err, "carewatch: error: invalid --area: control characters are not allowed\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("district", "set", "NR32", "--locality", "east"), NULL, &out, &err,
				OFFICER), 4);
	assert_string_equal(err, "carewatch: error: permission denied for role cwt_imp_olly: changing the"
				 " postcode district map is for managers\n"
				 "hint: ask the database owner: carewatch db role add cwt_imp_olly --as manager\n");
	free(out);
	free(err);
	assert_int_equal(tl_run(TL_ARGV("district", "remove", "NR99"), NULL, &out, &err, MANAGER), 5);
	assert_string_equal(err, "carewatch: error: no postcode district 'NR99' in the map\n");
	free(out);
	free(err);
	assert_string_equal(tl_query1(owner, state_sql), before);

	out = run(0, TL_ARGV("district", "set", " nr32 ", "--locality", "East", "--area", "Lowestoft"),
		  MANAGER);
	assert_string_equal(out, "added postcode district NR32: east\n");
	free(out);
	out = run(0, TL_ARGV("district", "set", "NR32", "--locality", "east", "--area", "Lowestoft"), MANAGER);
	assert_string_equal(out, "postcode district NR32 already maps to east (nothing written)\n");
	free(out);
	out = run(0, TL_ARGV("district", "list", "--locality", "east", "--format", "csv"), MANAGER);
	assert_string_equal(out, "district,locality,area\n"
				 "NR13,east,\"Acle, Blofield, Brundall\"\n"
				 "NR29,east,\"Martham, Hemsby, Ormesby\"\n"
				 "NR30,east,Great Yarmouth\n"
				 "NR31,east,\"Gorleston, Bradwell, Hopton-on-Sea\"\n"
				 "NR32,east,Lowestoft\n");
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'postcode_district'"
					 " AND op = 'INSERT' AND role = 'cwt_imp_mary'"
					 " AND change ->> 'district' = 'NR32'"), 1);

	/* Lowestoft Lodge (NR32) was skipped by the first import; now it is placed. */
	directory_month1(&t);
	path = write_file("dir-nr32", &t);
	out = run(0, TL_ARGV("import", "cqc-directory", path, "--local-authority", "Norfolk", "--format",
			     "csv"), MANAGER);
	assert_non_null(strstr(out, "read,,8\nimported,,1\n"));
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT locality FROM provider WHERE cqc_location_id = '1-555000004'"),
			    "east");

	out = run(0, TL_ARGV("district", "remove", "nr32"), MANAGER);
	assert_string_equal(out, "removed postcode district NR32 (was east); its providers keep their locality\n");
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl = 'postcode_district'"
					 " AND op = 'DELETE' AND role = 'cwt_imp_mary'"
					 " AND change ->> 'district' = 'NR32'"), 1);
	assert_string_equal(tl_query1(owner, "SELECT locality FROM provider WHERE cqc_location_id = '1-555000004'"),
			    "east");
	free(t.p);
}

/* ---- unit: text that must not be stored, dates CQC cannot have published ---- */

/* Names that would reach a terminal as control sequences (C1 controls are
 * 8-bit CSI and OSC), a byte order mark inside a name (only a file's first
 * bytes may be one), a carriage return or line break inside a quoted name:
 * each row rejected with where, never what, and counted as rejected. */
static void
test_import_directory_names_with_control_characters_or_a_bom_are_rejected(void **state)
{
	static const struct { const char *name, *prov; int col; const char *msg; } bad[] = {
		{"Ash\xC2\x9B" "2Jfield", "P", 0, "Name contains a control character (U+009B) at character 4"},
		{"Ashfield\xC2\x9D" "0;owned\xC2\x9C", "P", 0,
		 "Name contains a control character (U+009D) at character 9"},
		{"Ash\xEF\xBB\xBF" "field", "P", 0, "Name contains a byte order mark (U+FEFF) at character 4"},
		{"\xEF\xBB\xBF" "Ashfield", "P", 0, "Name contains a byte order mark (U+FEFF) at character 1"},
		{"Ash\rfield", "P", 0, "Name contains a control character (U+000D) at character 4"},
		{"Ash\nfield", "P", 0, "Name contains a control character (U+000A) at character 4"},
		{"Ash\x1b[2Jfield", "P", 0, "Name contains a control character (U+001B) at character 4"},
		{"Ash\x7f" "field", "P", 0, "Name contains a control character (U+007F) at character 4"},
		{"Ashfield", "Care \xC2\x85Ltd", 9,
		 "Provider name contains a control character (U+0085) at character 6"},
		{"Ashfield", "Care\xEF\xBB\xBF Ltd", 9,
		 "Provider name contains a byte order mark (U+FEFF) at character 5"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;

		dir_start(&t);
		dir_row(&t, "Good Lodge", "x", "NR1 3QU", "Nursing homes", "P", "Norfolk", "1-202", "1-302");
		dir_row(&t, bad[i].name, "x", "NR1 3QU", "Residential homes", bad[i].prov, "Norfolk",
			"1-201", "1-301");
		assert_true(parse(CW_IMPORT_DIRECTORY, &t, "Norfolk", &b, &err));
		assert_int_equal(b.read, 2);
		assert_int_equal(b.staged, 1);
		assert_int_equal(b.rejected, 1);
		if (strcmp(b.rejects[0].msg, bad[i].msg) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, b.rejects[0].msg, bad[i].msg);
		assert_int_equal(b.rejects[0].line, 7);
		assert_string_equal(b.rejects[0].field, bad[i].col ? "Provider name" : "Name");
		/* Only the good row is staged; the excerpt under the message
		 * never carries a control character or a BOM to the terminal. */
		assert_non_null(strstr(b.copy, "Good Lodge"));
		assert_null(strstr(b.copy, "Ash"));
		for (const char *p = b.rejects[0].excerpt; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\n')
				fail_msg("case %zu: control character in the excerpt", i);
		assert_null(strstr(b.rejects[0].excerpt, "\xC2\x9B"));
		assert_null(strstr(b.rejects[0].excerpt, "\xC2\x9D"));
		assert_null(strstr(b.rejects[0].excerpt, "\xEF\xBB\xBF"));
		cw_import_batch_free(&b);
		free(t.p);
	}
}

/* Publication dates from 01/01/2010 (CQC began) to tomorrow are accepted;
 * 0001, 2009, 9999 and the day after tomorrow are faults in the file. */
static void
test_import_publication_dates_outside_cqc_years_are_rejected(void **state)
{
	struct cw_date today = cw_london_date((cw_time)time(NULL));
	char tomorrow[16], after[16], iso[16];
	const struct { const char *date, *msg; } cases[] = {
		{"01/01/0001", "invalid Publication Date '01/01/0001' (before 01/01/2010, when CQC began)"},
		{"31/12/2009", "invalid Publication Date '31/12/2009' (before 01/01/2010, when CQC began)"},
		{"31/12/9999", "invalid Publication Date '31/12/9999' (later than tomorrow)"},
		{after, NULL},
		{"01/01/2010", ""},
		{tomorrow, ""},
	};
	struct cw_date d;

	(void)state;
	d = cw_date_from_days(cw_date_to_days(today) + 1);
	snprintf(tomorrow, sizeof(tomorrow), "%02d/%02d/%04d", d.d, d.m, d.y);
	d = cw_date_from_days(cw_date_to_days(today) + 2);
	snprintf(after, sizeof(after), "%02d/%02d/%04d", d.d, d.m, d.y);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;
		char want[96];

		if (cases[i].msg == NULL)
			snprintf(want, sizeof(want), "invalid Publication Date '%s' (later than tomorrow)",
				 cases[i].date);
		else
			snprintf(want, sizeof(want), "%s", cases[i].msg);
		put(&t, rat_header);
		put(&t, "\n");
		rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe", "Good",
			cases[i].date);
		assert_true(parse(CW_IMPORT_RATINGS, &t, "Norfolk", &b, &err));
		assert_int_equal(b.read, 1);
		if (want[0] == '\0') {
			assert_int_equal(b.rejected, 0);
			assert_int_equal(b.staged, 1);
			snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", cases[i].date + 6, cases[i].date + 3,
				 cases[i].date);
			assert_non_null(strstr(b.copy, iso));
		} else {
			assert_int_equal(b.staged, 0);
			assert_int_equal(b.copy_len, 0);
			assert_int_equal(b.rejected, 1);
			if (strcmp(b.rejects[0].msg, want) != 0)
				fail_msg("case %zu: got '%s', want '%s'", i, b.rejects[0].msg, want);
			assert_string_equal(b.rejects[0].field, "Publication Date");
		}
		cw_import_batch_free(&b);
		free(t.p);
	}
}

/* A value quoted in a reason never carries a C1 control or a BOM either. */
/* A service group is stored (cqc_service_rating.service_group) and shown:
 * a C1 control character or a byte order mark inside it rejects the row,
 * as they do in a directory name. */
static void
test_import_service_groups_with_c1_or_a_bom_are_rejected(void **state)
{
	static const char *const groups[] = {"Care\xC2\x9B" "2J Homes", "Care\xEF\xBB\xBF" "Homes"};

	(void)state;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct text t = {0};
		struct cw_import_batch b;
		struct cw_error err;

		put(&t, rat_header);
		put(&t, "\n");
		rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", groups[i], "Safe", "Good",
			"15/03/2024");
		assert_true(parse(CW_IMPORT_RATINGS, &t, "Norfolk", &b, &err));
		assert_int_equal(b.read, 1);
		assert_int_equal(b.staged, 0);
		assert_int_equal(b.rejected, 1);
		assert_string_equal(b.rejects[0].field, "Service / Population Group");
		assert_non_null(strstr(b.rejects[0].msg, "invalid Service / Population Group 'Care?"));
		cw_import_batch_free(&b);
		free(t.p);
	}
}

static void
test_import_quoted_values_in_reasons_are_safe(void **state)
{
	struct text t = {0};
	struct cw_import_batch b;
	struct cw_error err;

	(void)state;
	put(&t, rat_header);
	put(&t, "\n");
	rat_row(&t, "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Saf\xC2\x9B" "e", "Good",
		"01/02/2024");
	rat_row(&t, "\xEF\xBB\xBF" "1-1010701645", "Social Care Org", "Norfolk", "Overall", "Safe",
		"Good", "01/02/2024");
	assert_true(parse(CW_IMPORT_RATINGS, &t, "Norfolk", &b, &err));
	assert_int_equal(b.rejected, 2);
	assert_string_equal(b.rejects[0].msg, "invalid Domain 'Saf?e' (expected Safe, Effective, Caring,"
					      " Responsive, Well-led or Overall)");
	assert_string_equal(b.rejects[1].msg, "invalid Location ID '?1-1010701645' (expected 1- and 3 to"
					      " 15 digits)");
	cw_import_batch_free(&b);
	free(t.p);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_import_care_type_from_service_types),
		cmocka_unit_test(test_import_postcodes),
		cmocka_unit_test(test_import_dates),
		cmocka_unit_test(test_import_bad_rating_rows_are_rejected_with_their_reason),
		cmocka_unit_test(test_import_filters_come_before_checks),
		cmocka_unit_test(test_import_population_groups),
		cmocka_unit_test(test_import_directory_rows),
		cmocka_unit_test(test_import_directory_duplicates),
		cmocka_unit_test(test_import_bad_files_are_refused),
		cmocka_unit_test(test_import_directory_names_with_control_characters_or_a_bom_are_rejected),
		cmocka_unit_test(test_import_publication_dates_outside_cqc_years_are_rejected),
		cmocka_unit_test(test_import_service_groups_with_c1_or_a_bom_are_rejected),
		cmocka_unit_test(test_import_quoted_values_in_reasons_are_safe),
	};
	const struct CMUnitTest db[] = {
		cmocka_unit_test(test_import_norfolk_districts_ship),
		cmocka_unit_test(test_import_directory_creates_providers_and_organisations),
		cmocka_unit_test(test_import_directory_reimport_changes_nothing),
		cmocka_unit_test(test_import_directory_updates_what_changed),
		cmocka_unit_test(test_import_ratings_with_bad_rows_import_nothing),
		cmocka_unit_test(test_import_ratings_store_one_rating_per_domain_and_date),
		cmocka_unit_test(test_import_ratings_reimport_changes_nothing),
		cmocka_unit_test(test_import_ratings_next_month_builds_history),
		cmocka_unit_test(test_import_skip_bad_imports_the_rest),
		cmocka_unit_test(test_import_is_for_managers),
		cmocka_unit_test(test_import_set_audit_is_row_by_row),
		cmocka_unit_test(test_import_manager_cannot_write_by_hand),
		cmocka_unit_test(test_import_manager_cannot_write_scores),
		cmocka_unit_test(test_import_apply_is_for_managers),
		cmocka_unit_test(test_import_lock_is_for_managers_only),
		cmocka_unit_test(test_import_apply_checks_staged_rows),
		cmocka_unit_test(test_import_district_commands),
	};
	int rc = cmocka_run_group_tests_name("import rules", unit, NULL, NULL);

	return rc | cmocka_run_group_tests_name("import end to end", db, setup, teardown);
}
