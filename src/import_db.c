/*
 * import_db.c - storing a parsed CQC file (see import.h): one transaction of
 * set-based SQL, whatever the file's size, and the postcode district map.
 *
 * People hold no UPDATE on what an import writes (schema/015_import_api.sql),
 * so the writing is the server's: the client
 *
 *   1. takes the import lock (api.lock_take('import'): a row lock only
 *      managers may take, so no reader can hold an import up);
 *   2. COPYs the batch's rows into the staging table of its kind
 *      (api.import_stage_directory / api.import_stage_rating), keyed by the
 *      transaction;
 *   3. calls api.import_directory_apply / api.import_ratings_apply, which
 *      check every staged value, do the set-based upserts, empty the staging
 *      table and log the run with the counts they computed, and return them:
 *        directory: organisations by CQC provider ID (created or renamed),
 *                   providers by CQC location ID (created, or changed only
 *                   where a value differs, so a re-import writes nothing);
 *        ratings:   cqc_rating rows with source 'import' and an id derived
 *                   from (location, domain, publication date); the unique
 *                   index cqc_rating_once makes each stored once.
 *
 * No scores are written here: the score_queue triggers queue every provider
 * the import wrote and the scorer rescores them.
 *
 * cw_db_transaction retries the whole unit on a serialization failure or a
 * lost connection; everything in it is derived from the batch in memory and
 * every id is made from CQC's IDs, so a retry writes exactly what the first
 * attempt would have.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/copybuf.h"
#include "carewatch/import.h"
#include "carewatch/locks.h"
#include "carewatch/output.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"

#define COPY_CHUNK ((size_t)1 << 20)

/* Send len bytes to the COPY FROM STDIN that sql starts, and finish it. */
static bool
copy_in(struct cw_db *db, const char *sql, const char *data, size_t len, struct cw_error *err)
{
	PGconn *c = cw_db_conn(db);
	PGresult *r = cw_db_query(db, sql, 0, NULL, err);
	bool ok = true;

	if (r == NULL)
		return false;
	PQclear(r);
	for (size_t off = 0; off < len; off += COPY_CHUNK) {
		size_t n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
		if (PQputCopyData(c, data + off, (int)n) != 1) {
			ok = false;
			break;
		}
	}
	if (PQputCopyEnd(c, ok ? NULL : "send failed") != 1)
		ok = false;
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ok) {
			const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			cw_error_set(err, st && strncmp(st, "08", 2) == 0 ? CW_EXIT_UNAVAILABLE : CW_EXIT_FAIL,
				     "loading the staging table failed: %s", m ? m : "unknown error");
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st ? st : "XX000");
			ok = false;
		} else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			ok = false;
		}
		PQclear(r);
	}
	if (!ok && err->code == 0) {
		cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while loading the file");
		snprintf(err->sqlstate, sizeof(err->sqlstate), "08006");
	}
	return ok;
}

bool
cw_import_copy(struct cw_db *db, const char *sql, const char *data, size_t len, struct cw_error *err)
{
	return copy_in(db, sql, data, len, err);
}

/* ---- the unit of work ---- */

struct job {
	struct cw_import_batch *b;
	const struct cw_import_opts *o;
	struct cw_import_result *res;
};

static long
num(const PGresult *r, int row, int col)
{
	return PQntuples(r) > row && !PQgetisnull(r, row, col) ? atol(PQgetvalue(r, row, col)) : 0;
}

/* The next element of a PostgreSQL array's text form ("{NR32,PE1}"), whose
 * elements need no quoting (districts, numbers), into buf; advances *p.
 * False at the end. */
static bool
array_next(const char **p, char *buf, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '{')
		s++;
	if (*s == '\0' || *s == '}')
		return false;
	while (*s && *s != ',' && *s != '}') {
		if (n + 1 < size)
			buf[n++] = *s;
		s++;
	}
	buf[n] = '\0';
	if (*s == ',')
		s++;
	*p = s;
	return true;
}

/* The parse's skip counts the server cannot know, as the JSON object
 * api.import_*_apply takes.  Caller frees; NULL when out of memory. */
static char *
parse_skipped_json(const struct cw_import_batch *b)
{
	struct cw_copybuf js = {0};

	for (int i = 0; i < CW_SKIP__N; i++) {
		char item[80];
		if (i == CW_SKIP_NO_LOCALITY || i == CW_SKIP_UNKNOWN_LOCATION)
			continue;
		snprintf(item, sizeof(item), "%s\"%s\": %ld", js.n ? ", " : "{",
			 cw_import_skip_word((enum cw_import_skip)i), b->skipped[i]);
		if (!cw_copybuf_str(&js, item)) {
			free(js.p);
			return NULL;
		}
	}
	if (!cw_copybuf_str(&js, "}")) {
		free(js.p);
		return NULL;
	}
	return js.p;
}

static const char directory_copy[] =
	"COPY api.import_stage_directory (line, location_id, cqc_provider_id, new_id, org_id, name,"
	" provider_name, care_type, postcode, district) FROM STDIN";
static const char ratings_copy[] =
	"COPY api.import_stage_rating (line, id, location_id, domain, rating, published_on, framework,"
	" basis) FROM STDIN";
static const char services_copy[] =
	"COPY api.import_stage_service_rating (line, id, location_id, service_group, domain, rating,"
	" published_on, framework) FROM STDIN";
static const char la_counts_copy[] =
	"COPY api.import_stage_la_count (id, local_authority, region, care_type, rating, n) FROM STDIN";
static const char locations_copy[] =
	"COPY api.import_stage_location (line, location_id, beds, dormant, service_types, closed_on,"
	" loss_id) FROM STDIN";

static const char *
run_kind(enum cw_import_kind k)
{
	static const char *const words[] = {"cqc_directory", "cqc_ratings", "cqc_active", "cqc_deactivated"};
	return words[k];
}

/* Active and deactivated locations: COPY, then api.import_locations_apply. */
static bool
store_locations(struct cw_db *db, struct job *j, const char *skipped, const char *rejected,
		struct cw_error *err)
{
	const struct cw_import_batch *b = j->b;
	struct cw_import_result *res = j->res;
	char date[CW_DATE_LEN];
	const char *p[8];
	PGresult *r;

	if (!copy_in(db, locations_copy, b->copy, b->copy_len, err))
		return false;
	cw_date_format(cw_london_date((cw_time)time(NULL)), date, sizeof(date));
	p[0] = res->run_id;
	p[1] = b->file;
	p[2] = b->sha256;
	p[3] = j->o->local_authority;
	p[4] = skipped;
	p[5] = rejected;
	p[6] = b->kind == CW_IMPORT_ACTIVE ? "active" : "deactivated";
	p[7] = date;
	r = cw_db_query(db, "SELECT * FROM api.import_locations_apply($1, $2, $3, $4, $5, $6, $7, $8)", 8,
			p, err);
	if (r == NULL)
		return false;
	res->updated = num(r, 0, 0);
	res->unchanged = num(r, 0, 1);
	res->skipped_unknown_location = num(r, 0, 2);
	res->closed = num(r, 0, 3);
	res->losses = num(r, 0, 4);
	res->queued = num(r, 0, 5);
	PQclear(r);
	return true;
}

static bool
store(struct cw_db *db, struct job *j, struct cw_error *err)
{
	const struct cw_import_batch *b = j->b;
	struct cw_import_result *res = j->res;
	bool dir = b->kind == CW_IMPORT_DIRECTORY;
	char rejected[24], *skipped;
	const char *p[7];
	char date[CW_DATE_LEN];
	PGresult *r;

	skipped = parse_skipped_json(b);
	if (skipped == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	snprintf(rejected, sizeof(rejected), "%ld", b->rejected);
	if (b->kind == CW_IMPORT_ACTIVE || b->kind == CW_IMPORT_DEACTIVATED) {
		bool ok = store_locations(db, j, skipped, rejected, err);
		free(skipped);
		return ok;
	}
	if (!copy_in(db, dir ? directory_copy : ratings_copy, b->copy, b->copy_len, err) ||
	    (!dir && b->services.n && !copy_in(db, services_copy, b->services.p, b->services.n, err)) ||
	    (!dir && b->la_counts.n && !copy_in(db, la_counts_copy, b->la_counts.p, b->la_counts.n, err))) {
		free(skipped);
		return false;
	}
	p[0] = res->run_id;
	p[1] = b->file;
	p[2] = b->sha256;
	p[3] = j->o->local_authority;
	p[4] = skipped;
	p[5] = rejected;
	if (b->file_date.y)
		cw_date_format(b->file_date, date, sizeof(date));
	else
		cw_date_format(cw_london_date((cw_time)time(NULL)), date, sizeof(date));
	p[6] = date;
	r = cw_db_query(db, dir ? "SELECT * FROM api.import_directory_apply($1, $2, $3, $4, $5, $6)"
				: "SELECT * FROM api.import_ratings_apply($1, $2, $3, $4, $5, $6, $7)",
			dir ? 6 : 7, p, err);
	free(skipped);
	if (r == NULL)
		return false;
	if (dir) {
		const char *d, *n;
		char dv[sizeof(res->districts[0].value)], nv[24];

		res->imported = num(r, 0, 0);
		res->updated = num(r, 0, 1);
		res->unchanged = num(r, 0, 2);
		res->skipped_no_locality = num(r, 0, 3);
		res->organisations_created = num(r, 0, 4);
		res->organisations_updated = num(r, 0, 5);
		res->queued = num(r, 0, 6);
		d = PQntuples(r) == 1 ? PQgetvalue(r, 0, 7) : "";
		n = PQntuples(r) == 1 ? PQgetvalue(r, 0, 8) : "";
		while (res->n_districts < CW_IMPORT_MAX_VALUES && array_next(&d, dv, sizeof(dv)) &&
		       array_next(&n, nv, sizeof(nv))) {
			struct cw_import_value *v = &res->districts[res->n_districts++];
			snprintf(v->value, sizeof(v->value), "%s", dv);
			v->n = atol(nv);
		}
	} else {
		res->imported = num(r, 0, 0);
		res->unchanged = num(r, 0, 1);
		res->skipped_unknown_location = num(r, 0, 2);
		res->queued = num(r, 0, 3);
		res->services_imported = num(r, 0, 4);
		res->la_counts_written = num(r, 0, 5);
	}
	PQclear(r);
	return true;
}

static bool
work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct job *j = ctx;
	struct cw_import_result *res = j->res;
	char run_id[CW_UUID_LEN];
	const char *p[2];
	PGresult *r;

	/* A retry starts again from the batch: forget the last attempt. */
	snprintf(run_id, sizeof(run_id), "%s", res->run_id);
	memset(res, 0, sizeof(*res));
	snprintf(res->run_id, sizeof(res->run_id), "%s", run_id);

	if (!cw_db_exec(db, CW_LOCK_IMPORT_SQL, 0, NULL, err))
		return false;
	p[0] = j->b->sha256;
	p[1] = run_kind(j->b->kind);
	r = cw_db_query(db, "SELECT to_char(recorded_at, 'YYYY-MM-DD HH24:MI'), recorded_by"
			    " FROM import_run WHERE file_sha256 = $1 AND kind = $2"
			    " ORDER BY recorded_at DESC LIMIT 1", 2, p, err);
	if (r == NULL)
		return false;
	if (PQntuples(r) == 1)
		snprintf(res->previous, sizeof(res->previous), "%s by %s", PQgetvalue(r, 0, 0),
			 PQgetvalue(r, 0, 1));
	PQclear(r);
	return store(db, j, err);
}

bool
cw_import_may(struct cw_db *db, const char *what, struct cw_error *err)
{
	char v[8];

	/* The test api.import_require_manager() makes. */
	if (!cw_db_value(db, "SELECT pg_has_role(session_user, 'carewatch_manager', 'MEMBER')", 0, NULL, v,
			 sizeof(v), NULL, err))
		return false;
	if (v[0] == 't')
		return true;
	cw_error_set(err, CW_EXIT_DENIED, "permission denied for role %s: %s is for managers", cw_db_user(db),
		     what);
	cw_error_hint(err, "ask the database owner: carewatch db role add %s --as manager", cw_db_user(db));
	return false;
}

bool
cw_import_store(struct cw_db *db, struct cw_import_batch *b, const struct cw_import_opts *o,
		struct cw_import_result *res, struct cw_error *err)
{
	struct job j;
	struct timespec t0, t1;
	bool ok;

	memset(res, 0, sizeof(*res));
	memset(&j, 0, sizeof(j));
	j.b = b;
	j.o = o;
	j.res = res;
	cw_uuid_new(res->run_id);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok = cw_db_transaction(db, "READ COMMITTED", work, &j, NULL, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ok)
		return false;
	b->skipped[CW_SKIP_NO_LOCALITY] += res->skipped_no_locality;
	b->skipped[CW_SKIP_UNKNOWN_LOCATION] += res->skipped_unknown_location;
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return true;
}

/* ---- the postcode district map ---- */

#define AREA_MAX 200

/* "Mrs\tX" -> "Mrs?X": a quoted value with no control characters. */
static const char *
quoted(const char *s, size_t max, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)max, s);
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return buf;
}

bool
cw_import_district_parse(const char *in, char out[CW_DISTRICT_LEN], struct cw_error *err)
{
	const char *s = in ? in : "";
	size_t len, letters = 0, i;
	char qb[48];

	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	/* ^[A-Z]{1,2}[0-9][0-9A-Z]?$, postcode_district's CHECK, ignoring case. */
	if (len >= 2 && len < CW_DISTRICT_LEN) {
		for (i = 0; i < len; i++)
			out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
		out[len] = '\0';
		while (letters < len && letters < 3 && out[letters] >= 'A' && out[letters] <= 'Z')
			letters++;
		i = letters + 1;
		if (letters >= 1 && letters <= 2 && out[letters] >= '0' && out[letters] <= '9' &&
		    (i == len || (i + 1 == len && ((out[i] >= '0' && out[i] <= '9') ||
						   (out[i] >= 'A' && out[i] <= 'Z')))))
			return true;
	}
	out[0] = '\0';
	return cw_error_field(err, "district",
			      "invalid postcode district '%s' (expected the outward code of a postcode,"
			      " e.g. NR1 or PE30)", quoted(in ? in : "", 20, qb, sizeof(qb)));
}

/* The locality code for text naming one (code or name), or exit 5 listing
 * them. */
static bool
district_locality(struct cw_db *db, const char *text, char *out, size_t size, struct cw_error *err)
{
	if (text == NULL || text[0] == '\0')
		return cw_error_field(err, "locality", "missing --locality (e.g. north)");
	if (cw_locality_resolve(db, text, out, size, NULL, 0, err))
		return true;
	/* The map is reference data pointing at reference data: exit 5. */
	if (err->code == CW_EXIT_USAGE)
		err->code = CW_EXIT_NOTFOUND;
	return false;
}

/* An area is one line of at most AREA_MAX characters of valid UTF-8, no
 * control characters (C0, DEL, C1) and no byte order mark. */
static bool
district_area_ok(const char *area, struct cw_error *err)
{
	const unsigned char *s = (const unsigned char *)area;
	size_t chars = 0;
	uint32_t cp;
	int k;

	while ((k = cw_utf8_next(s, &cp)) > 0) {
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfeff)
			return cw_error_field(err, "area", "invalid --area: control characters are not allowed");
		chars++;
		s += k;
	}
	if (k < 0)
		return cw_error_field(err, "area", "invalid --area: not UTF-8 text");
	if (chars > AREA_MAX)
		return cw_error_field(err, "area", "--area is %zu characters long (at most %d)", chars,
				      AREA_MAX);
	return true;
}

bool
cw_import_district_set(struct cw_db *db, const char *district, const char *locality, const char *area,
		       struct cw_district *out, struct cw_error *err)
{
	const char *p[3];

	memset(out, 0, sizeof(*out));
	if (!cw_import_district_parse(district, out->district, err) ||
	    !district_area_ok(area ? area : "", err) ||
	    !district_locality(db, locality, out->locality, sizeof(out->locality), err))
		return false;
	p[0] = out->district;
	p[1] = out->locality;
	p[2] = area ? area : "";
	return cw_db_value(db, "SELECT api.postcode_district_set($1, $2, $3)", 3, p, out->outcome,
			   sizeof(out->outcome), NULL, err);
}

bool
cw_import_district_remove(struct cw_db *db, const char *district, struct cw_district *out,
			  struct cw_error *err)
{
	const char *p[1];
	char removed[8];

	memset(out, 0, sizeof(*out));
	if (!cw_import_district_parse(district, out->district, err))
		return false;
	p[0] = out->district;
	if (!cw_db_value(db, "SELECT locality FROM postcode_district WHERE district = $1", 1, p,
			 out->locality, sizeof(out->locality), NULL, err) ||
	    !cw_db_value(db, "SELECT api.postcode_district_remove($1)", 1, p, removed, sizeof(removed), NULL,
			 err))
		return false;
	if (removed[0] == 't') {
		snprintf(out->outcome, sizeof(out->outcome), "removed");
		return true;
	}
	cw_error_field(err, "district", "no postcode district '%s' in the map", out->district);
	err->code = CW_EXIT_NOTFOUND;
	return false;
}
