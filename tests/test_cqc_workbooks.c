/*
 * test_cqc_workbooks.c - CQC's monthly files as CQC publishes them since
 * 2023: .ods workbooks, the single assessment framework's rows, the active
 * and deactivated locations, and the comparisons they feed.
 *
 * Unit part: the framework rule and the file date.  Integration part: small
 * workbooks built here with the writer (src/ods_write.c) in CQC's layouts --
 * banner rows above the header, an old vintage's `Key Question` and
 * lower-case headers, a Care Homes row repeating the location's rating, a
 * location Not Rated at location level with ratings
 * per service, two ratings on one date, labels that are not ratings,
 * another council's rows -- imported by the real binary as a manager, each
 * checked against stored rows and summaries computed by hand; then the
 * regional and family-group tables of `report compare`; the active
 * locations' beds, dormancy and service types; the deactivated locations'
 * closures and provider loss; and broken workbooks, refused with one message
 * and nothing imported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "carewatch/import.h"
#include "carewatch/ods.h"

#define MANAGER "PGUSER=cwt_wb_mary"

static const char *dbname;
static PGconn *owner;
static char paths[8][80];

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

/* ---- unit ---- */

static void
test_cqc_workbooks_framework_rule(void **state)
{
	(void)state;
	assert_int_equal(cw_import_framework(NULL, (struct cw_date){2023, 11, 20}), CW_FRAMEWORK_LEGACY);
	assert_int_equal(cw_import_framework("", (struct cw_date){2023, 11, 21}), CW_FRAMEWORK_SAF);
	assert_int_equal(cw_import_framework("Sector framework (care homes)", (struct cw_date){2026, 9, 1}),
			 CW_FRAMEWORK_SECTOR);
	assert_int_equal(cw_import_framework("Single Assessment Framework", (struct cw_date){2023, 1, 1}),
			 CW_FRAMEWORK_SAF);
	assert_int_equal(cw_import_framework("2014 framework", (struct cw_date){2024, 1, 1}),
			 CW_FRAMEWORK_LEGACY);
	assert_string_equal(cw_framework_word(CW_FRAMEWORK_SECTOR), "sector");
}

static void
test_cqc_workbooks_file_date_from_name(void **state)
{
	struct cw_date d;

	(void)state;
	assert_true(cw_import_file_date("01_April_2024_Latest_ratings.ods", &d));
	assert_int_equal(d.y, 2024);
	assert_int_equal(d.m, 4);
	assert_int_equal(d.d, 1);
	assert_true(cw_import_file_date("HSCA 7 September 2026.ods", &d));
	assert_int_equal(d.m, 9);
	assert_false(cw_import_file_date("Latest_ratings.ods", &d));
	assert_false(cw_import_file_date("31_February_2024.ods", &d));
}

/* The generator writes CQC's layouts as workbooks: the active locations'
 * 122 columns below the notice row, the deactivated locations, the ratings;
 * each read back by the importer's parser without a fault. */
static void
test_cqc_workbooks_generator_writes_cqc_layouts(void **state)
{
	static const struct { const char *kind, *sheet; enum cw_import_kind ik; long header; } k[] = {
		{"active", "HSCA_Active_Locations", CW_IMPORT_ACTIVE, 2},
		{"deactivated", "Deactivated_Locations", CW_IMPORT_DEACTIVATED, 1},
		{"ratings", "Locations", CW_IMPORT_RATINGS, 3},
	};
	const char *top = getenv("CW_TOP") ? getenv("CW_TOP") : ".";

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char cmd[1024], csv[96], ods[96];
		struct cw_import_opts o = {.file = ods, .local_authority = NULL};
		struct cw_import_batch b;
		struct cw_error err;

		snprintf(csv, sizeof(csv), "/tmp/cwt-wb-gen-%d-%s.csv", (int)getpid(), k[i].kind);
		snprintf(ods, sizeof(ods), "/tmp/cwt-wb-gen-%d-%s.ods", (int)getpid(), k[i].kind);
		snprintf(cmd, sizeof(cmd), "%s/tools/gen-cqc-csv.sh %s 400 > %s && %s/build/cwgen ods %s %s"
			 " --sheet %s=%s 2>/dev/null", top, k[i].kind, csv, top, ods,
			 k[i].ik == CW_IMPORT_RATINGS ? "--banner 'Latest ratings' --banner ''" : "",
			 k[i].sheet, csv);
		assert_int_equal(system(cmd), 0);
		cw_import_batch_init(&b, k[i].ik);
		cw_error_clear(&err);
		if (!cw_import_parse_ods(&b, ods, &o, &err))
			fail_msg("%s: %s", k[i].kind, err.msg);
		assert_int_equal(b.header_line, k[i].header);
		assert_int_equal(b.rejected, 0);
		assert_true(b.read > 0);
		if (k[i].ik == CW_IMPORT_ACTIVE) {
			assert_int_equal(b.read, 400);
			assert_int_equal(b.ncols, 122);
			assert_int_equal(b.n_service_types, 30);
		}
		cw_import_batch_free(&b);
		unlink(csv);
		unlink(ods);
	}
}

/* ---- building workbooks ---- */

static const char *
wb_path(int i, const char *name)
{
	snprintf(paths[i], sizeof(paths[i]), "/tmp/cwt-wb-%d-%s", (int)getpid(), name);
	return paths[i];
}

static void
row(struct cw_odsw *w, const char *const *cells, int n)
{
	assert_true(cw_odsw_row(w, cells, n));
}

static void
finish(struct cw_odsw *w)
{
	char msg[160];

	if (!cw_odsw_close(w, msg, sizeof(msg)))
		fail_msg("%s", msg);
}

/* An old vintage's Locations sheet: banner rows, Key Question, headers in
 * another case, no ODS code, NHS region or inherited flag. */
static const char *const rat_header[] = {
	"Location ID", "Location Name", "care home?", "LOCATION TYPE",
	"Location Primary Inspection Category", "Location Local Authority", "Location Region",
	"Service / Population Group", "Key Question", "Latest Rating", "Publication Date", "Report Type",
	"URL", "Provider ID", "Provider Name",
};

static void
rat(struct cw_odsw *w, const char *loc, const char *home, const char *type, const char *la,
    const char *region, const char *group, const char *domain, const char *rating, const char *date)
{
	const char *f[15] = {loc, "A home", home, type, "Residential social care", la, region, group,
			     domain, rating, date, "Location", "https://www.cqc.org.uk/location/x",
			     "1-100000001", "A provider"};
	row(w, f, 15);
}

static const char *
ratings_workbook(void)
{
	const char *p = wb_path(0, "01_July_2024_Latest_ratings.ods");
	const char *banner1[] = {"Latest ratings"}, *banner2[] = {"Data as at 1 July 2024"};
	const char *prov[] = {"Provider ID", "Provider Name"}, *prov1[] = {"1-100000001", "A provider"};
	char msg[160];
	struct cw_odsw *w = cw_odsw_open(p, msg, sizeof(msg));

	assert_non_null(w);
	assert_true(cw_odsw_sheet(w, "Providers"));
	row(w, prov, 2);
	row(w, prov1, 2);
	assert_true(cw_odsw_sheet(w, "Locations"));
	row(w, banner1, 1);
	row(w, banner2, 1);
	row(w, NULL, 0);
	row(w, rat_header, 15);                                   /* row 4 */
	rat(w, "1-101", "Y", "Social Care Org", "Norfolk", "East", "Overall", "Safe", "Requires improvement",
	    "15/03/2024");
	rat(w, "1-101", "Y", "Social Care Org", "Norfolk", "East", "Overall", "Overall", "Good", "15/03/2024");
	rat(w, "1-101", "Y", "Social Care Org", "Norfolk", "East", "Care Homes", "Overall", "Good",
	    "15/03/2024");
	rat(w, "1-102", "Y", "Social Care Org", "Norfolk", "East", "Overall", "Overall", "Good", "01/02/2022");
	rat(w, "1-102", "Y", "Social Care Org", "Norfolk", "East", "Overall", "Overall", "Good", "10/06/2024");
	rat(w, "1-102", "Y", "Social Care Org", "Norfolk", "East", "Overall", "Overall", "Requires improvement",
	    "10/06/2024");                                        /* row 10: same date */
	rat(w, "1-104", "Y", "Social Care Org", "Norfolk", "East", "Overall", "Overall", "Not Rated",
	    "01/05/2024");
	rat(w, "1-104", "Y", "Social Care Org", "Norfolk", "East", "Community based adult social care services",
	    "Overall", "Good", "01/05/2024");
	rat(w, "1-104", "Y", "Social Care Org", "Norfolk", "East", "Residential social care", "Overall",
	    "Requires Improvement", "01/05/2024");              /* row 13: the API's spelling */
	rat(w, "1-104", "Y", "Social Care Org", "Norfolk", "East", "Community based adult social care services",
	    "Safe", "Inadequate", "01/05/2024");
	rat(w, "1-103", "N", "Social Care Org", "Norfolk", "East", "Overall", "Safe", "Not applicable", "");
	rat(w, "1-103", "N", "Social Care Org", "Norfolk", "East", "Overall", "Effective", "Regulations met", "");
	rat(w, "1-103", "N", "Social Care Org", "Norfolk", "East", "Overall", "Caring", "No Approved Rating", "");
	rat(w, "1-103", "N", "Social Care Org", "Norfolk", "East", "Overall", "Responsive",
	    "Inspected but not rated", "");
	rat(w, "1-103", "N", "Social Care Org", "Norfolk", "East", "Overall", "Overall", "Requires improvement",
	    "01/09/2023");
	rat(w, "1-201", "Y", "Social Care Org", "Suffolk", "East", "Overall", "Overall", "Good", "01/01/2024");
	rat(w, "1-202", "N", "Social Care Org", "Suffolk", "East", "Overall", "Overall", "Requires improvement",
	    "01/01/2024");
	rat(w, "1-203", "Y", "Social Care Org", "Suffolk", "East", "Overall", "Overall", "Good", "01/01/2024");
	rat(w, "1-301", "N", "Social Care Org", "Essex", "East", "Overall", "Overall", "Outstanding",
	    "01/01/2024");
	rat(w, "1-302", "Y", "Social Care Org", "Essex", "East", "Overall", "Overall", "Inadequate",
	    "01/01/2024");
	rat(w, "1-401", "Y", "Social Care Org", "Kent", "South East", "Overall", "Overall", "Good",
	    "01/01/2024");
	rat(w, "1-900", "N", "Primary Medical Services", "Norfolk", "East", "Overall", "Overall", "Good",
	    "01/01/2024");
	finish(w);
	return p;
}

/* ---- integration ---- */

static int
setup(void **state)
{
	FILE *f;
	const char *p;

	(void)state;
	if (!tl_db_available())
		return 0;
	dbname = tl_db_create("cwt_wb", true);
	free(run(0, TL_ARGV("db", "role", "add", "cwt_wb_mary", "--as", "manager"), NULL));
	owner = tl_connect(NULL);
	/* The council's providers, from the weekly directory (CSV, as ever). */
	p = wb_path(1, "directory.csv");
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("CQC Locations data,,,,,,,,,,,,,,\n"
	      "name,also known as,address,postcode,phone number,service's website (if available),"
	      "service types,date of latest check,specialisms/services,provider name,local authority,"
	      "region,location url,cqc location id (for office use only),"
	      "cqc provider id (for office use only)\n"
	      "Ashfield House,,1 High St,NR1 3QU,0,,Residential homes,,,Ash Care,Norfolk,East,u,1-101,1-100000001\n"
	      "Beech Lodge,,2 Cliff Rd,NR27 9AA,0,,Nursing homes,,,Ash Care,Norfolk,East,u,1-102,1-100000001\n"
	      "Carrow Care,,5 Carrow Rd,NR30 1AA,0,,Homecare agencies,,,Ash Care,Norfolk,East,u,1-103,1-100000001\n"
	      "Mill Services,,3 Mill Ln,NR2 2AA,0,,Homecare agencies|Residential homes,,,Ash Care,Norfolk,East,u,"
	      "1-104,1-100000001\n", f);
	fclose(f);
	free(run(0, TL_ARGV("import", "cqc-directory", p), MANAGER));
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
	for (int i = 0; i < 8; i++)
		if (paths[i][0])
			unlink(paths[i]);
	return 0;
}

static const char ratings_summary[] =
	"outcome,reason,rows\n"
	"read,,22\n"
	"imported,,7\n"
	"unchanged,,0\n"
	"skipped,other local authority,6\n"
	"skipped,not adult social care,1\n"
	"skipped,not a rating,5\n"
	"skipped,population group duplicate,1\n"
	"skipped,same-date duplicate,1\n"
	"skipped,service-level rating (kept per service),1\n"
	"rejected,,0\n"
	"location ratings from services,,2\n"
	"service ratings imported,,3\n"
	"comparison counts written,,8\n"
	"providers queued for rescoring,,4\n";

static const char ratings_sql[] =
	"SELECT string_agg(concat_ws('|', p.cqc_location_id, r.domain, r.rating, r.published_on,"
	" r.framework, r.basis), E'\\n' ORDER BY p.cqc_location_id, r.domain, r.published_on)"
	" FROM cqc_rating r JOIN provider p ON p.id = r.provider_id";

static const char services_sql[] =
	"SELECT string_agg(concat_ws('|', p.cqc_location_id, s.service_group, s.domain, s.rating,"
	" s.published_on, s.framework), E'\\n' ORDER BY p.cqc_location_id, s.service_group, s.domain)"
	" FROM cqc_service_rating s JOIN provider p ON p.id = s.provider_id";

static const char counts_sql[] =
	"SELECT string_agg(concat_ws('|', as_of, local_authority, region, care_type, rating, locations),"
	" E'\\n' ORDER BY local_authority, care_type, rating) FROM cqc_la_rating";

static void
test_cqc_workbooks_ratings_workbook_as_published(void **state)
{
	const char *p;
	char *out;
	long audit;

	(void)state;
	if (!tl_db_available())
		skip();
	p = ratings_workbook();
	out = run(0, TL_ARGV("import", "cqc-ratings", p, "--local-authority", "Norfolk", "--format", "csv"),
		  MANAGER);
	assert_string_equal(out, ratings_summary);
	free(out);
	/* 1-102: the worse of two same-date ratings; 1-103: before 21/11/2023,
	 * the 2014 framework; 1-104: Not Rated itself, so the worst of its
	 * services' ratings, per domain. */
	assert_string_equal(tl_query1(owner, ratings_sql),
			    "1-101|overall|good|2024-03-15|saf|location\n"
			    "1-101|safe|requires_improvement|2024-03-15|saf|location\n"
			    "1-102|overall|good|2022-02-01|legacy|location\n"
			    "1-102|overall|requires_improvement|2024-06-10|saf|location\n"
			    "1-103|overall|requires_improvement|2023-09-01|legacy|location\n"
			    "1-104|overall|requires_improvement|2024-05-01|saf|services\n"
			    "1-104|safe|inadequate|2024-05-01|saf|services");
	assert_string_equal(tl_query1(owner, services_sql),
			    "1-104|Community based adult social care services|overall|good|2024-05-01|saf\n"
			    "1-104|Community based adult social care services|safe|inadequate|2024-05-01|saf\n"
			    "1-104|Residential social care|overall|requires_improvement|2024-05-01|saf");
	/* Every authority's counts at the file's date (its name), none of
	 * their providers. */
	assert_string_equal(tl_query1(owner, counts_sql),
			    "2024-07-01|Essex|East|care_home|inadequate|1\n"
			    "2024-07-01|Essex|East|community|outstanding|1\n"
			    "2024-07-01|Kent|South East|care_home|good|1\n"
			    "2024-07-01|Norfolk|East|care_home|good|1\n"
			    "2024-07-01|Norfolk|East|care_home|requires_improvement|2\n"
			    "2024-07-01|Norfolk|East|community|requires_improvement|1\n"
			    "2024-07-01|Suffolk|East|care_home|good|2\n"
			    "2024-07-01|Suffolk|East|community|requires_improvement|1");
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider"), 4);
	assert_string_equal(tl_query1(owner, "SELECT file_date || '/' || service_ratings || '/' || rows_read"
					     " FROM import_run WHERE kind = 'cqc_ratings'"), "2024-07-01/3/22");
	/* The reports count 1-104 with its services' worst: Overall is 1 Good
	 * (1-101) and 3 Requires improvement (1-102's later rating, 1-103,
	 * 1-104); Safe 1 Requires improvement (1-101), 1 Inadequate (1-104). */
	out = run(0, TL_ARGV("report", "ratings", "--as-of", "2024-07-01", "--format", "csv"), MANAGER);
	assert_non_null(strstr(out, "\nSafe,0,0,1,1,2\n"));
	assert_non_null(strstr(out, "\nOverall,0,1,3,0,4\n"));
	free(out);
	/* Again: nothing changes, not even the audit log. */
	audit = tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl <> 'import_run'");
	out = run(0, TL_ARGV("import", "cqc-ratings", p, "--local-authority", "Norfolk", "--format", "csv"),
		  MANAGER);
	assert_non_null(strstr(out, "read,,22\nimported,,0\nunchanged,,7\n"));
	assert_null(strstr(out, "comparison counts written"));
	assert_null(strstr(out, "service ratings imported"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM audit_log WHERE tbl <> 'import_run'"), audit);
}

static void
test_cqc_workbooks_report_compare_region_and_group(void **state)
{
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	/* By hand, from the counts above: Suffolk 2/3, Essex 1/2, Norfolk 1/4;
	 * median 50.0; the East 4/9; England 5/10. */
	out = run(0, TL_ARGV("report", "compare", "--format", "csv"), MANAGER);
	assert_string_equal(out,
			    "rank,local_authority,rated,good_or_better,share,care_homes,community\n"
			    "1,Suffolk,3,2,66.7,100.0,0.0\n"
			    "2,Essex,2,1,50.0,0.0,100.0\n"
			    "3,Norfolk,4,1,25.0,33.3,0.0\n"
			    ",median,,,50.0,,\n"
			    ",East region average,9,4,44.4,,\n"
			    ",England,10,5,50.0,,\n"
			    ",gap to median (Norfolk),,,-25.0,,\n");
	free(out);
	/* The family group (reference data): of its 18, four have counts here. */
	out = run(0, TL_ARGV("report", "compare", "--group", "family", "--format", "csv"), MANAGER);
	assert_string_equal(out,
			    "rank,local_authority,rated,good_or_better,share,care_homes,community\n"
			    "1,Kent,1,1,100.0,100.0,\"'-\"\n"
			    "2,Suffolk,3,2,66.7,100.0,0.0\n"
			    "3,Essex,2,1,50.0,0.0,100.0\n"
			    "4,Norfolk,4,1,25.0,33.3,0.0\n"
			    ",median,,,58.3,,\n"
			    ",group family average,10,5,50.0,,\n"
			    ",England,10,5,50.0,,\n"
			    ",gap to median (Norfolk),,,-33.3,,\n");
	free(out);
	out = run(0, TL_ARGV("report", "compare", "--region", "south east"), MANAGER);
	assert_non_null(strstr(out, "Norfolk is not in the south east region"));
	free(out);
	free(run(5, TL_ARGV("report", "compare", "--group", "nope"), MANAGER));
	free(run(2, TL_ARGV("report", "compare", "--group", "family", "--region", "East"), MANAGER));
}

static const char *
active_workbook(void)
{
	const char *p = wb_path(2, "HSCA_Active_Locations.ods");
	static const char *const wanted[] = {"Location ID", "Location Name", "Care homes beds", "Dormant (Y/N)",
					     "Location Type/Sector", "Location Local Authority",
					     "Service type - Care home service with nursing",
					     "Service type - Care home service without nursing",
					     "Service type - Domiciliary care service",
					     "Service type - Supported living service"};
	const char *header[122], *cells[122];
	char filler[112][48], msg[160];
	struct cw_odsw *w = cw_odsw_open(p, msg, sizeof(msg));
	static const char *const data[][10] = {
		{"1-101", "Ashfield House", "30", "N", "Social Care Org", "Norfolk", "N", "Y", "N", "N"},
		{"1-102", "Beech Lodge", "45", "N", "Social Care Org", "Norfolk", "Y", "N", "N", "N"},
		{"1-103", "Carrow Care", "", "Y", "Social Care Org", "Norfolk", "N", "N", "Y", "Y"},
		{"1-999", "Not held", "10", "N", "Social Care Org", "Norfolk", "Y", "N", "N", "N"},
		{"1-201", "Suffolk home", "20", "N", "Social Care Org", "Suffolk", "Y", "N", "N", "N"},
	};

	assert_non_null(w);
	for (int i = 0; i < 112; i++)
		snprintf(filler[i], sizeof(filler[i]), "%s - column %d",
			 i % 2 ? "Regulated activity" : "Service user band", i);
	/* About 122 columns: the ones read among others. */
	for (int i = 0, j = 0; i < 122; i++)
		header[i] = i % 12 == 0 && i / 12 < 10 ? wanted[i / 12] : filler[j++];
	assert_true(cw_odsw_sheet(w, "HSCA_Active_Locations"));
	for (int i = 0; i < 7; i++) {
		const char *notice[] = {i == 0 ? "CQC is moving to a new system" : ""};
		row(w, notice, 1);
	}
	row(w, header, 122);                                         /* row 8 */
	for (size_t k = 0; k < sizeof(data) / sizeof(data[0]); k++) {
		for (int i = 0; i < 122; i++)
			cells[i] = i % 12 == 0 && i / 12 < 10 ? data[k][i / 12] : "N";
		row(w, cells, 122);
	}
	finish(w);
	return p;
}

static void
test_cqc_workbooks_active_locations_set_beds_dormancy_service_types(void **state)
{
	const char *p;
	char *out;

	(void)state;
	if (!tl_db_available())
		skip();
	p = active_workbook();
	out = run(0, TL_ARGV("import", "cqc-active", p, "--local-authority", "Norfolk", "--format", "csv"),
		  MANAGER);
	assert_string_equal(out, "outcome,reason,rows\nread,,5\nupdated,,3\nunchanged,,0\n"
				 "skipped,other local authority,1\nskipped,location not in carewatch,1\n"
				 "rejected,,0\nproviders queued for rescoring,,3\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT string_agg(concat_ws('|', cqc_location_id, beds, dormant,"
					     " service_types), E'\\n' ORDER BY cqc_location_id) FROM provider"),
			    "1-101|30|f|{care_home_service_without_nursing}\n"
			    "1-102|45|f|{care_home_service_with_nursing}\n"
			    "1-103|t|{domiciliary_care_service,supported_living_service}\n"
			    "1-104");
	out = run(0, TL_ARGV("import", "cqc-active", p, "--local-authority", "Norfolk", "--format", "csv"),
		  MANAGER);
	assert_non_null(strstr(out, "read,,5\nupdated,,0\nunchanged,,3\n"));
	free(out);
}

static void
test_cqc_workbooks_deactivated_locations_close_providers(void **state)
{
	const char *p = wb_path(3, "Deactivated_Locations.ods");
	static const char *const header[] = {"Location ID", "Location Name", "Location HSCA start date",
					     "Location HSCA End Date", "Care homes beds at point of deactivation",
					     "Location Local Authority"};
	static const char *const rows[][6] = {
		{"1-102", "Beech Lodge", "01/01/2010", "30/09/2024", "40", "Norfolk"},
		{"1-777", "Long gone", "01/01/2001", "01/01/2015", "12", "Norfolk"},
	};
	char msg[160], *out;
	struct cw_odsw *w;

	(void)state;
	if (!tl_db_available())
		skip();
	w = cw_odsw_open(p, msg, sizeof(msg));
	assert_non_null(w);
	assert_true(cw_odsw_sheet(w, "Deactivated_Locations"));
	row(w, header, 6);
	row(w, rows[0], 6);
	row(w, rows[1], 6);
	finish(w);
	out = run(0, TL_ARGV("import", "cqc-deactivated", p, "--format", "csv"), MANAGER);
	assert_string_equal(out, "outcome,reason,rows\nread,,2\nupdated,,1\nunchanged,,0\n"
				 "skipped,location not in carewatch,1\nrejected,,0\nproviders closed,,1\n"
				 "provider loss recorded,,1\nproviders queued for rescoring,,1\n");
	free(out);
	assert_string_equal(tl_query1(owner, "SELECT concat_ws('|', status, closed_on, beds) FROM provider"
					     " WHERE cqc_location_id = '1-102'"), "closed|2024-09-30|40");
	assert_string_equal(tl_query1(owner, "SELECT concat_ws('|', l.kind, l.occurred_on, l.beds_lost,"
					     " l.recorded_by) FROM provider_loss l JOIN provider p ON p.id ="
					     " l.provider_id"), "closure|2024-09-30|40|cwt_wb_mary");
	/* Provider loss is what the loss report counts. */
	out = run(0, TL_ARGV("report", "loss", "--from", "2024-09", "--to", "2024-09", "--format", "csv"),
		  MANAGER);
	assert_non_null(strstr(out, "40"));
	free(out);
	out = run(0, TL_ARGV("import", "cqc-deactivated", p, "--format", "csv"), MANAGER);
	assert_non_null(strstr(out, "updated,,0\nunchanged,,1\n"));
	assert_non_null(strstr(out, "provider loss recorded,,0\n"));
	free(out);
	assert_int_equal(tl_count(owner, "SELECT count(*) FROM provider_loss"), 1);
}

static void
test_cqc_workbooks_bad_workbooks_import_nothing(void **state)
{
	const char *p = wb_path(4, "bad.ods");
	const char *r = ratings_workbook();
	const char *a = active_workbook();
	char before[128], *out, *err, msg[160];
	struct cw_odsw *w;
	FILE *f;
	int rc;

	(void)state;
	if (!tl_db_available())
		skip();
	snprintf(before, sizeof(before), "%s", tl_query1(owner, "SELECT (SELECT count(*) FROM import_run)"
						  " || '/' || (SELECT count(*) FROM audit_log)"));
	/* A workbook of another kind. */
	rc = tl_run(TL_ARGV("import", "cqc-ratings", a), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 2);
	{
		char want[512];
		snprintf(want, sizeof(want), "carewatch: error: cannot import %s: no sheet 'Locations' in the"
			 " workbook (sheets: HSCA_Active_Locations)\nhint: this is CQC's HSCA Active Locations"
			 " workbook: use 'carewatch import cqc-active'\n", a);
		assert_string_equal(err, want);
	}
	free(out);
	free(err);
	/* A corrupt zip: the ratings workbook cut short. */
	assert_int_equal(truncate(r, 300), 0);
	rc = tl_run(TL_ARGV("import", "cqc-ratings", r), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "cannot import"));
	assert_non_null(strstr(err, "a corrupt zip archive (cut short or damaged)"));
	free(out);
	free(err);
	/* A header that is not CQC's. */
	w = cw_odsw_open(p, msg, sizeof(msg));
	assert_non_null(w);
	assert_true(cw_odsw_sheet(w, "Locations"));
	{
		const char *h[] = {"Location ID", "Name", "Rating"};
		row(w, h, 3);
	}
	finish(w);
	rc = tl_run(TL_ARGV("import", "cqc-ratings", p), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, ":Locations:1:1: not CQC's Latest ratings (Locations sheet) header:"
				    " no 'Location Type' column\n"));
	free(out);
	free(err);
	/* Not a workbook at all, but a zip. */
	f = fopen(p, "wb");
	assert_non_null(f);
	fputs("PK\x03\x04 and then nothing", f);
	fclose(f);
	rc = tl_run(TL_ARGV("import", "cqc-active", p), NULL, &out, &err, MANAGER);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(err, "a corrupt zip archive"));
	free(out);
	free(err);
	assert_string_equal(tl_query1(owner, "SELECT (SELECT count(*) FROM import_run) || '/' ||"
					     " (SELECT count(*) FROM audit_log)"), before);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_cqc_workbooks_framework_rule),
		cmocka_unit_test(test_cqc_workbooks_file_date_from_name),
		cmocka_unit_test(test_cqc_workbooks_generator_writes_cqc_layouts),
	};
	const struct CMUnitTest db[] = {
		cmocka_unit_test(test_cqc_workbooks_ratings_workbook_as_published),
		cmocka_unit_test(test_cqc_workbooks_report_compare_region_and_group),
		cmocka_unit_test(test_cqc_workbooks_active_locations_set_beds_dormancy_service_types),
		cmocka_unit_test(test_cqc_workbooks_deactivated_locations_close_providers),
		cmocka_unit_test(test_cqc_workbooks_bad_workbooks_import_nothing),
	};
	int rc = cmocka_run_group_tests(unit, NULL, NULL);

	return rc | cmocka_run_group_tests(db, setup, teardown);
}
