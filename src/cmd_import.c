/*
 * cmd_import.c - `carewatch import cqc-directory | cqc-ratings FILE`, and
 * `carewatch district set | remove | list`, the postcode district map the
 * directory import places new providers with.
 *
 * The file is read and checked whole before anything is written: every
 * rejected row is listed on stderr as FILE:LINE:COLUMN with the reason and
 * (for the first few) the line with a caret, and with any rejected row
 * nothing is imported unless --skip-bad is given.  Then one transaction
 * stores it (import_db.c) and the summary says what happened to every row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/import.h"
#include "carewatch/ods.h"

#define EXCERPTS 10     /* rejected rows shown with their line and a caret */

static void
print_reject(const char *file, const char *sheet, const struct cw_import_reject *rj, bool excerpt)
{
	if (rj->line > 0 && sheet && sheet[0])
		fprintf(stderr, "%s:%s:%ld:%d: %s\n", file, sheet, rj->line, rj->column, rj->msg);
	else if (rj->line > 0)
		fprintf(stderr, "%s:%ld:%d: %s\n", file, rj->line, rj->column, rj->msg);
	else
		fprintf(stderr, "%s: %s\n", file, rj->msg);
	if (excerpt && rj->excerpt[0])
		fprintf(stderr, "%s\n", rj->excerpt);
}

static void
print_rejects(const struct cw_import_batch *b)
{
	for (size_t i = 0; i < b->nrejects; i++)
		print_reject(b->file, b->sheet, &b->rejects[i], i < EXCERPTS);
	if (b->rejected > (long)b->nrejects)
		fprintf(stderr, "%s: ... and %ld more rejected rows (the first %zu are listed)\n", b->file,
			b->rejected - (long)b->nrejects, b->nrejects);
}

static void
add_row(struct cw_table *t, const char *outcome, const char *reason, long n)
{
	char num[24];
	const char *cells[3] = {outcome, reason, num};

	snprintf(num, sizeof(num), "%ld", n);
	cw_table_add(t, cells);
}

static const struct cw_col summary_cols[] = {
	{"outcome", "Outcome", false},
	{"reason", "Reason", false},
	{"rows", "Rows", true},
};

static struct cw_table *
summary(const struct cw_import_batch *b, const struct cw_import_result *res, bool skip_bad)
{
	char title[400], footer[1024];
	size_t len = 0;
	struct cw_table *t;

	static const char *const what[] = {"care directory", "ratings", "active locations",
					   "deactivated locations"};
	bool loc = b->kind == CW_IMPORT_ACTIVE || b->kind == CW_IMPORT_DEACTIVATED;

	snprintf(title, sizeof(title), "CQC %s import: %s%s%s", what[b->kind], b->file,
		 b->workbook ? ", sheet " : "", b->workbook ? b->sheet : "");
	t = cw_table_new(title, summary_cols, 3);
	if (t == NULL)
		return NULL;
	add_row(t, "read", "", b->read);
	if (!loc)
		add_row(t, "imported", "", res->imported);
	if (b->kind != CW_IMPORT_RATINGS)
		add_row(t, "updated", "", res->updated);
	add_row(t, "unchanged", "", res->unchanged);
	for (int i = 0; i < CW_SKIP__N; i++)
		if (b->skipped[i])
			add_row(t, "skipped", cw_import_skip_label((enum cw_import_skip)i), b->skipped[i]);
	add_row(t, "rejected", skip_bad && b->rejected ? "not imported (--skip-bad)" : "", b->rejected);
	if (b->kind == CW_IMPORT_DIRECTORY) {
		add_row(t, "organisations created", "", res->organisations_created);
		add_row(t, "organisations updated", "", res->organisations_updated);
	}
	if (b->kind == CW_IMPORT_RATINGS) {
		/* Only when there are any, like the skip reasons. */
		if (b->derived)
			add_row(t, "location ratings from services", "", b->derived);
		if (res->services_imported)
			add_row(t, "service ratings imported", "", res->services_imported);
		if (res->la_counts_written)
			add_row(t, "comparison counts written", "", res->la_counts_written);
	}
	if (b->kind == CW_IMPORT_DEACTIVATED) {
		add_row(t, "providers closed", "", res->closed);
		add_row(t, "provider loss recorded", "", res->losses);
	}
	add_row(t, "providers queued for rescoring", "", res->queued);

	/* Table only: what the counts do not say. */
#define FOOT(...) do { int k_ = snprintf(footer + len, sizeof(footer) - len, __VA_ARGS__); \
	if (k_ > 0 && (size_t)k_ < sizeof(footer) - len) len += (size_t)k_; } while (0)
	FOOT("stored in %.2f s in one transaction", res->seconds);
	if (res->previous[0])
		FOOT("; this same file was imported %s", res->previous);
	if (b->n_not_rating) {
		FOOT("\nnot ratings:");
		for (int i = 0; i < b->n_not_rating; i++)
			FOOT("%s '%s' %ld", i ? "," : "", b->not_rating[i].value, b->not_rating[i].n);
	}
	if (res->n_districts) {
		FOOT("\npostcode districts not mapped to a locality:");
		for (int i = 0; i < res->n_districts; i++)
			FOOT("%s %s (%ld)", i ? "," : "", res->districts[i].value, res->districts[i].n);
		FOOT("\n(a manager adds one with: carewatch district set DISTRICT --locality L;"
		     " see docs/import.md)");
	}
	if (b->skipped[CW_SKIP_UNKNOWN_LOCATION])
		FOOT("\n%s for locations carewatch does not hold are skipped:"
		     " import the care directory first", loc ? "rows" : "ratings");
	if (b->kind == CW_IMPORT_RATINGS && b->file_date.y)
		FOOT("\ncomparison counts as at %04d-%02d-%02d", b->file_date.y, b->file_date.m,
		     b->file_date.d);
#undef FOOT
	cw_table_footer(t, footer);
	return t;
}

static int
run_import(struct cw_ctx *ctx, const struct cw_args *a, enum cw_import_kind kind)
{
	const char *path = a->pos[0];
	struct cw_import_opts o = {.file = path, .local_authority = cw_arg(a, "local-authority")};
	bool skip_bad = cw_flag(a, "skip-bad"), is_stdin = strcmp(path, "-") == 0;
	struct cw_import_batch b;
	struct cw_import_result res;
	struct cw_error err;
	struct cw_table *t;
	struct cw_csv *r;
	FILE *f;
	bool ok;

	cw_error_clear(&err);
	if (o.local_authority && o.local_authority[0] == '\0') {
		cw_error_field(&err, "local-authority", "empty --local-authority (e.g. Norfolk)");
		return cw_fail(&err);
	}
	/* Refuse before reading a national file, not after. */
	if (!cw_import_may(ctx->db, "importing CQC files", &err))
		return cw_fail(&err);
	f = is_stdin ? stdin : fopen(path, "rb");
	if (f == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "cannot open '%s': %s", path, strerror(errno));
		return cw_fail(&err);
	}
	cw_import_batch_init(&b, kind);
	if (!is_stdin && cw_ods_is_zip(path)) {
		/* A workbook: read from its sheet, by name, as a stream. */
		fclose(f);
		if (kind == CW_IMPORT_DIRECTORY) {
			cw_error_set(&err, CW_EXIT_USAGE, "cannot import %s: the care directory is read as CSV,"
				     " as CQC publishes it (CQC_directory.csv)", path);
			return cw_fail(&err);
		}
		ok = cw_import_parse_ods(&b, path, &o, &err);
	} else {
		r = cw_csv_open(f);
		if (r == NULL) {
			if (!is_stdin)
				fclose(f);
			cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
			return cw_fail(&err);
		}
		ok = cw_import_parse(&b, r, &o, &err);
		cw_csv_free(r);
		if (!is_stdin)
			fclose(f);
	}
	if (!ok) {
		if (b.fatal.line > 0)
			print_reject(b.file, b.sheet, &b.fatal, true);
		cw_import_batch_free(&b);
		return cw_fail(&err);
	}
	print_rejects(&b);
	if (b.rejected > 0 && !skip_bad) {
		cw_error_set(&err, CW_EXIT_USAGE, "%ld of %ld rows in %s rejected; nothing imported",
			     b.rejected, b.read, b.file);
		cw_error_hint(&err, "correct the rows listed above, or pass --skip-bad to import the rest");
		cw_import_batch_free(&b);
		return cw_fail(&err);
	}
	if (!cw_import_store(ctx->db, &b, &o, &res, &err)) {
		cw_import_batch_free(&b);
		return cw_fail(&err);
	}
	t = summary(&b, &res, skip_bad);
	cw_import_batch_free(&b);
	if (t == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	return cw_emit(ctx, t);
}

static int
run_directory(struct cw_ctx *ctx, const struct cw_args *a)
{
	return run_import(ctx, a, CW_IMPORT_DIRECTORY);
}

static int
run_ratings(struct cw_ctx *ctx, const struct cw_args *a)
{
	return run_import(ctx, a, CW_IMPORT_RATINGS);
}

static int
run_active(struct cw_ctx *ctx, const struct cw_args *a)
{
	return run_import(ctx, a, CW_IMPORT_ACTIVE);
}

static int
run_deactivated(struct cw_ctx *ctx, const struct cw_args *a)
{
	return run_import(ctx, a, CW_IMPORT_DEACTIVATED);
}

static const struct cw_opt import_opts[] = {
	{"local-authority", "NAME", "only rows of this local authority, e.g. Norfolk (default: all)", NULL},
	{"skip-bad", NULL, "import the other rows when some are rejected (default: import nothing)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_import_directory = {
	.name = "import cqc-directory", .synopsis = "FILE",
	.summary = "import CQC's care directory: providers and organisations",
	.help = "Reads CQC's \"Care directory with ratings\" CSV as published (preamble lines,"
		" then the header, checked exactly; quoted fields, UTF-8 BOM, CRLF or LF; FILE - is"
		" standard input).  Creates or updates providers by CQC location ID and organisations"
		" by CQC provider ID.  The care type comes from Service types (nursing homes, else"
		" residential homes, homecare agencies, supported living, Extra Care housing); other"
		" services (GPs, dentists, hospitals...) are skipped and counted.  A new provider's"
		" locality comes from its postcode district (the map `district list` shows).  Rejected rows"
		" are listed as FILE:LINE:COLUMN with the reason; with any, nothing is imported"
		" unless --skip-bad.  Re-importing a file changes nothing.  Needs the manager role.",
	.opts = import_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_directory,
};

const struct cw_cmd cw_cmd_import_ratings = {
	.name = "import cqc-ratings", .synopsis = "FILE",
	.summary = "import CQC's latest ratings (.ods workbook or Locations sheet as CSV): the rating history",
	.help = "Reads CQC's \"Latest ratings\" workbook (.ods, its Locations sheet, streamed) or"
		" that sheet saved as CSV (FILE - is standard input).  The header is found by its"
		" columns below any banner rows and matched ignoring case (Key Question is Domain)."
		"  Only Social Care Org rows; each rating keeps its framework (2014, single assessment,"
		" sector); service ratings are kept per service, and a location whose own row is Not"
		" Rated counts with the worst of its services' ratings; two ratings on one date are one"
		" (CQC's own over an inherited one, else the worse); values that are not ratings are"
		" skipped and counted.  Each location, domain and publication date is stored once, so"
		" importing each month's file builds the rating history and re-importing one changes"
		" nothing.  Every local authority's counts by care type and rating are kept for `report"
		" compare`.  Locations carewatch does not hold are skipped: import the care directory"
		" first.  Rejected rows are listed as FILE:LINE:COLUMN; with any, nothing is imported"
		" unless --skip-bad.  Needs the manager role.",
	.opts = import_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_ratings,
};

const struct cw_cmd cw_cmd_import_active = {
	.name = "import cqc-active", .synopsis = "FILE",
	.summary = "import CQC's HSCA Active Locations: beds, dormancy, service types",
	.help = "Reads CQC's \"HSCA Active Locations\" workbook (.ods, sheet HSCA_Active_Locations,"
		" streamed; the header found below the notice rows) or that sheet as CSV.  For every"
		" provider carewatch holds: its beds (Care homes beds), whether it is dormant (Dormant"
		" (Y/N)) and its service types (the Service type - ... columns marked Y), written only"
		" where they differ.  Needs the manager role.",
	.opts = import_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_active,
};

const struct cw_cmd cw_cmd_import_deactivated = {
	.name = "import cqc-deactivated", .synopsis = "FILE",
	.summary = "import CQC's Deactivated Locations: closures and beds lost",
	.help = "Reads CQC's \"Deactivated Locations\" workbook (.ods, streamed) or its sheet as CSV."
		"  Every provider carewatch holds that is listed is closed on its HSCA end date with its"
		" beds at deactivation, and the closure is recorded once as provider loss (beds lost),"
		" so it counts in `report loss`.  Re-importing changes nothing.  Needs the manager role.",
	.opts = import_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_deactivated,
};

/* ---- the postcode district map ---- */

static int
run_district_set(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_district d;
	struct cw_error err;
	char check[CW_DISTRICT_LEN];

	cw_error_clear(&err);
	if (!cw_import_district_parse(a->pos[0], check, &err) ||
	    !cw_import_may(ctx->db, "changing the postcode district map", &err) ||
	    !cw_import_district_set(ctx->db, a->pos[0], cw_arg(a, "locality"), cw_arg(a, "area"), &d, &err))
		return cw_fail(&err);
	if (strcmp(d.outcome, "unchanged") == 0)
		printf("postcode district %s already maps to %s (nothing written)\n", d.district, d.locality);
	else
		printf("%s postcode district %s: %s\n", d.outcome, d.district, d.locality);
	return CW_EXIT_OK;
}

static int
run_district_remove(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_district d;
	struct cw_error err;
	char check[CW_DISTRICT_LEN];

	cw_error_clear(&err);
	if (!cw_import_district_parse(a->pos[0], check, &err) ||
	    !cw_import_may(ctx->db, "changing the postcode district map", &err) ||
	    !cw_import_district_remove(ctx->db, a->pos[0], &d, &err))
		return cw_fail(&err);
	printf("removed postcode district %s (was %s); its providers keep their locality\n", d.district,
	       d.locality);
	return CW_EXIT_OK;
}

static const struct cw_col district_cols[] = {
	{"district", "District", CW_COL_ID},
	{"locality", "Locality", CW_COL_ID},
	{"area", "Area", false},
};

static int
run_district_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	const char *loc = cw_arg(a, "locality");
	const char *p[1] = {loc};
	struct cw_error err;
	struct cw_table *t;
	PGresult *r;
	char footer[64];

	cw_error_clear(&err);
	/* Natural order: NR1, NR2 ... NR10, then PE14. */
	r = cw_db_query(ctx->db, "SELECT d.district, d.locality, d.area FROM postcode_district d"
				 " WHERE $1::text IS NULL OR d.locality = lower($1)"
				 "    OR d.locality = (SELECT code FROM locality WHERE lower(name) = lower($1))"
				 " ORDER BY substring(d.district FROM '^[A-Z]+'),"
				 "  substring(d.district FROM '[0-9]+')::int, d.district", 1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	t = cw_table_new("Postcode districts", district_cols, 3);
	for (int i = 0; t != NULL && i < PQntuples(r); i++) {
		const char *cells[3] = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)};
		if (!cw_table_add(t, cells)) {
			cw_table_free(t);
			t = NULL;
		}
	}
	snprintf(footer, sizeof(footer), "%d district%s", PQntuples(r), PQntuples(r) == 1 ? "" : "s");
	PQclear(r);
	if (t == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	cw_table_footer(t, footer);
	return cw_emit(ctx, t);
}

static const struct cw_opt district_set_opts[] = {
	{"locality", "L", "the locality new providers in the district are placed in (code or name)", NULL},
	{"area", "TEXT", "the places the district covers, for people (at most 200 characters)", NULL},
	{NULL, NULL, NULL, NULL},
};

static const struct cw_opt district_list_opts[] = {
	{"locality", "L", "only this locality's districts", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_district_set = {
	.name = "district set", .synopsis = "DISTRICT",
	.summary = "map a postcode district to a locality (for the directory import)",
	.help = "Adds DISTRICT (the outward code of a postcode, e.g. NR33; any case) to the postcode"
		" district map, or moves it to another locality or changes its area.  The map is how"
		" `import cqc-directory` places a new provider in a locality; providers already held"
		" keep theirs.  Exit 2 for a malformed district or area, 5 for an unknown locality."
		"  Audited.  Needs the manager role.",
	.opts = district_set_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB,
	.run = run_district_set,
};

const struct cw_cmd cw_cmd_district_remove = {
	.name = "district remove", .synopsis = "DISTRICT",
	.summary = "remove a postcode district from the map",
	.help = "Removes DISTRICT from the postcode district map: new providers there are skipped by"
		" `import cqc-directory` until it is mapped again; providers already held keep their"
		" locality.  Exit 5 when it is not in the map.  Audited.  Needs the manager role.",
	.min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB,
	.run = run_district_remove,
};

const struct cw_cmd cw_cmd_district_list = {
	.name = "district list",
	.summary = "list the postcode district map",
	.help = "Lists every postcode district in the map with its locality and area, in natural"
		" order (NR1, NR2 ... NR10), optionally one locality's.",
	.opts = district_list_opts, .min_pos = 0, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_district_list,
};
