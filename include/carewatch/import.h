/*
 * import.h - importing CQC's published files: the care directory (providers
 * and organisations) and the "Latest ratings" Locations sheet (the rating
 * history).  docs/import.md describes both files and every rule.
 *
 * Two halves, so the first can be tested and fuzzed without a server:
 *
 *   parse  (import.c, pure)   CSV -> validated staging rows in COPY text
 *                             format, with skip counts by reason and every
 *                             rejected row's line, column and reason;
 *   store  (import_db.c)      one transaction: the import lock, COPY the
 *                             rows into the api staging table, then
 *                             api.import_*_apply (schema/015_import_api.sql):
 *                             set-based upserts and the import_run row, the
 *                             written providers queued for rescoring.
 *
 * A row is read (every data row after the header), then exactly one of:
 * imported, updated, unchanged, skipped (with a reason) or rejected.
 */
#ifndef CAREWATCH_IMPORT_H
#define CAREWATCH_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/calendar.h"
#include "carewatch/copybuf.h"
#include "carewatch/csv.h"
#include "carewatch/db.h"
#include "carewatch/error.h"
#include "carewatch/framework.h"
#include "carewatch/intel.h"

/* The files: the weekly care directory (CSV), the monthly Latest ratings
 * (Locations sheet; .ods or CSV), HSCA Active Locations and Deactivated
 * Locations (.ods or CSV). */
enum cw_import_kind { CW_IMPORT_DIRECTORY, CW_IMPORT_RATINGS, CW_IMPORT_ACTIVE, CW_IMPORT_DEACTIVATED };

/* Why a row was skipped: the file is fine, the row is just not ours. */
enum cw_import_skip {
	CW_SKIP_BLANK,             /* every field empty */
	CW_SKIP_OTHER_LA,          /* --local-authority given; the row is elsewhere */
	CW_SKIP_NOT_ASC,           /* not adult social care: GPs, dentists, hospitals... */
	CW_SKIP_NOT_RATING,        /* Latest Rating such as "Not rated" */
	CW_SKIP_GROUP_DUPLICATE,   /* the Overall group's rating again under Care Homes */
	CW_SKIP_REPEATED,          /* the same row again */
	CW_SKIP_SAME_DATE,         /* another rating of the same location, domain and date */
	CW_SKIP_SERVICE_LEVEL,     /* a service's rating, stored per service (cqc_service_rating) */
	CW_SKIP_NOT_DEACTIVATED,   /* deactivated locations: a row whose status is not Deactivated */
	CW_SKIP_NO_LOCALITY,       /* a new provider whose postcode district is not mapped */
	CW_SKIP_UNKNOWN_LOCATION,  /* a rating for a location carewatch does not hold */
	CW_SKIP__N
};

/* "other_local_authority" (CSV/JSON) and "other local authority" (table).
 * "?" when out of range.  Never fail. */
const char *cw_import_skip_word(enum cw_import_skip s);
const char *cw_import_skip_label(enum cw_import_skip s);

#define CW_IMPORT_MAX_REJECTS 1000   /* kept in detail; all are counted */
#define CW_IMPORT_MAX_VALUES 8       /* distinct values listed per summary line */

struct cw_import_reject {
	long line;                 /* physical line, 1-based */
	int column;                /* byte column, 1-based */
	char field[48];            /* CQC's column name, or "" for the whole row */
	char msg[256];
	char excerpt[512];         /* the line and a caret (cw_csv_excerpt) */
};

/* A value and how many rows had it (non-rating values, unmapped districts). */
struct cw_import_value {
	char value[64];
	long n;
};

struct cw_import_opts {
	const char *file;              /* name for messages ("-" is standard input) */
	const char *local_authority;   /* NULL: every local authority */
};

/* The id of a row made from CQC's IDs (UUID v5 of "kind:key" in carewatch's
 * namespace), so files and the API sync give the same row the same id.
 * Never fails. */
void cw_import_uuid(const char *kind, const char *key, char out[37]);

/* The date in a CQC file name ("01_April_2024_Latest_ratings.ods" ->
 * 2024-04-01).  False when the name has none. */
bool cw_import_file_date(const char *name, struct cw_date *out);

#define CW_IMPORT_MAX_COLS 32
#define CW_IMPORT_MAX_SERVICE_TYPES 64

struct cw_import_index;

struct cw_import_batch {
	enum cw_import_kind kind;
	char file[256];
	long header_line;
	long read;                     /* data rows after the header */
	long skipped[CW_SKIP__N];
	long rejected;
	struct cw_import_reject *rejects;      /* the first CW_IMPORT_MAX_REJECTS */
	size_t nrejects;
	struct cw_import_reject fatal;         /* set when parsing stopped (line 0: no position) */
	struct cw_import_value not_rating[CW_IMPORT_MAX_VALUES];
	int n_not_rating;
	char *copy;                    /* staging rows, COPY text format */
	size_t copy_len, copy_cap;
	long staged;                   /* rows in copy */
	struct cw_copybuf services;    /* ratings: service-level rating rows */
	long staged_services;
	struct cw_copybuf la_counts;   /* ratings: every local authority's counts */
	long staged_la_counts;
	long derived;                  /* ratings: location ratings from services (Not Rated rows) */
	struct cw_date file_date;      /* ratings: the file's date (name, else latest publication) */
	bool workbook;                 /* read from an .ods sheet (line = sheet row, column = cell) */
	char sheet[64];
	int ncols;                     /* the header's */
	int col[CW_IMPORT_MAX_COLS];   /* each field the importer reads: its column, or -1 */
	int service_type_col[CW_IMPORT_MAX_SERVICE_TYPES];   /* active: "Service type - ..." columns */
	char service_type_word[CW_IMPORT_MAX_SERVICE_TYPES][64];
	int n_service_types;
	char sha256[65];               /* of the whole file as read */
	bool bom, crlf;
	struct cw_import_index *index; /* duplicate detection (internal) */
};

/* ---- parsing: pure, never touches the database ---- */

/* Empty batch of kind.  Never fails.  Free with cw_import_batch_free. */
void cw_import_batch_init(struct cw_import_batch *b, enum cw_import_kind kind);
void cw_import_batch_free(struct cw_import_batch *b);

/* Read every record of r into b: find the header (after up to 10 preamble
 * lines) and check it exactly, then sort each row into staged, skipped or
 * rejected.  Returns false when the file cannot be imported at all (no or
 * wrong header, a fatal CSV error, out of memory): err is filled and, when
 * there is a position, b->fatal has it.  Rejected rows are not a failure:
 * the caller decides (--skip-bad). */
bool cw_import_parse(struct cw_import_batch *b, struct cw_csv *r, const struct cw_import_opts *o,
		     struct cw_error *err) __attribute__((warn_unused_result));

/* The same for an .ods workbook at path: the kind's sheet (Locations,
 * HSCA_Active_Locations, Deactivated_Locations), the header below any banner
 * rows.  Every failure to read the workbook (not a zip, another kind of
 * file, a zip or XML bomb, a missing sheet) is one error naming the file. */
bool cw_import_parse_ods(struct cw_import_batch *b, const char *path, const struct cw_import_opts *o,
			 struct cw_error *err) __attribute__((warn_unused_result));

/* The care type of a directory row's "Service types" ('|'-separated, as
 * DESIGN.md: nursing before residential before home care before supported
 * living before housing with care), or -1 when none is adult social care
 * the council commissions.  Never fails. */
int cw_import_care_type(const char *service_types);

/* Normalise a UK postcode ("nr1  3qu" -> "NR1 3QU") into out and its
 * district ("NR1") into district.  False when it is not a postcode.  Both
 * buffers need 9 bytes. */
bool cw_import_postcode(const char *in, char out[9], char district[9]);

/* Strict dd/mm/yyyy.  False with the reason in why (e.g. "February 2023 has
 * 28 days", "expected dd/mm/yyyy") when it is not a real date. */
bool cw_import_dmy(const char *s, struct cw_date *out, char *why, size_t why_size);

/* ---- storing: one transaction ---- */

struct cw_import_result {
	char run_id[CW_UUID_LEN];
	long imported;                 /* providers created / ratings stored */
	long updated;                  /* providers changed (directory only) */
	long unchanged;                /* already held exactly */
	long skipped_no_locality;      /* also added into the batch's skipped[] */
	long skipped_unknown_location;
	long organisations_created, organisations_updated;
	long services_imported;        /* ratings: service-level ratings stored */
	long la_counts_written;        /* ratings: comparison counts written */
	long closed, losses;           /* deactivated: providers closed, provider loss recorded */
	long queued;                   /* providers written, so on score_queue for the scorer */
	struct cw_import_value districts[CW_IMPORT_MAX_VALUES];   /* unmapped, most rows first */
	int n_districts;
	char previous[128];            /* "" or when/by whom this same file was imported before */
	double seconds;
};

/* Send len bytes of COPY text to the COPY ... FROM STDIN that sql starts, and
 * finish it (for the API sync's staging rows too). */
bool cw_import_copy(struct cw_db *db, const char *sql, const char *data, size_t len, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Fail with CW_EXIT_DENIED unless the session's login is a manager, saying
 * "WHAT is for managers": checked before a large file is read. */
bool cw_import_may(struct cw_db *db, const char *what, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Store b's staged rows (rejected rows are never in it) and log the run, in
 * one transaction (retried whole on serialization failure); the providers
 * written are queued for rescoring, none is scored here.  Imports are
 * serialised by the import lock (api.lock_take).  Fills res; updates
 * b->skipped[]. */
bool cw_import_store(struct cw_db *db, struct cw_import_batch *b, const struct cw_import_opts *o,
		     struct cw_import_result *res, struct cw_error *err)
	__attribute__((warn_unused_result));

/* ---- the postcode district map (postcode_district) ---- */

#define CW_DISTRICT_LEN 8

struct cw_district {
	char district[CW_DISTRICT_LEN];   /* normalised: "NR1" */
	char locality[64];                /* its locality code */
	char outcome[16];                 /* added, changed, unchanged or removed */
};

/* Normalise a postcode district (" nr1 " -> "NR1") into out and check it is
 * one (1-2 letters, a digit, an optional digit or letter).  False with err
 * (CW_EXIT_USAGE, field "district") when not.  Never touches the database. */
bool cw_import_district_parse(const char *in, char out[CW_DISTRICT_LEN], struct cw_error *err)
	__attribute__((warn_unused_result));

/* Map district to the locality named by locality (code or name), with area
 * (places, for people; NULL is none) through api.postcode_district_set.
 * Everything is checked before any write: a bad district or area is
 * CW_EXIT_USAGE, an unknown locality CW_EXIT_NOTFOUND.  Fills out. */
bool cw_import_district_set(struct cw_db *db, const char *district, const char *locality,
			    const char *area, struct cw_district *out, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Remove district from the map (api.postcode_district_remove); providers keep
 * their locality.  CW_EXIT_NOTFOUND when it is not in the map.  Fills out
 * (the locality it had). */
bool cw_import_district_remove(struct cw_db *db, const char *district, struct cw_district *out,
			       struct cw_error *err) __attribute__((warn_unused_result));

#endif
