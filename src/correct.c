/*
 * correct.c - correcting and withdrawing intelligence (correct.h).
 *
 * The client does what needs the rules and the calendar -- every field
 * given checked as `KIND add` checks it, the record as corrected checked
 * as a whole, a concern's new due time worked out -- and the database does
 * the rest in one function call per row (schema/030_corrections.sql):
 * who may, whether the record is still current, the new row carrying over
 * every field not given, the reason, the case.  The old values read here
 * are never free text, so a read-only login gets as far as the function,
 * which says who may take the step.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/calendar.h"
#include "carewatch/closure.h"
#include "carewatch/correct.h"
#include "carewatch/output.h"
#include "carewatch/rules.h"
#include "carewatch/scoring.h"
#include "carewatch/worklist.h"

#define NKINDS 10

static const char *const domains[] = {"safe", "effective", "caring", "responsive", "well_led",
				      "overall"};

const struct cw_kind *
cw_kind_named(const char *name)
{
	size_t len = strcspn(name, " ");

	for (int i = 0; i < cw_kinds_n; i++)
		if (strlen(cw_kinds[i]->name) == len && strncmp(cw_kinds[i]->name, name, len) == 0)
			return cw_kinds[i];
	return NULL;
}

static int
kind_index(const struct cw_kind *kind)
{
	for (int i = 0; i < cw_kinds_n && i < NKINDS; i++)
		if (cw_kinds[i] == kind)
			return i;
	return -1;
}

/* The kind's table ("concern", "cqc_rating", ...) in a static buffer. */
static const char *
kind_table(const struct cw_kind *kind)
{
	static char tables[NKINDS][64];
	int k = kind_index(kind);
	char buf[512];
	const char *table = "", *cols[2 + CW_KIND_MAX_FIELDS];

	if (k < 0)
		return "";
	if (tables[k][0] == '\0' &&
	    cw_kind_columns(kind, buf, sizeof(buf), &table, cols, 2 + CW_KIND_MAX_FIELDS) > 0)
		snprintf(tables[k], sizeof(tables[k]), "%s", table);
	return tables[k];
}

/* "a1b2c3d4" or a whole UUID into the range of ids it names. */
static bool
parse_ref(const struct cw_kind *kind, const char *ref, char lo[CW_UUID_LEN], char hi[CW_UUID_LEN],
	  struct cw_error *err)
{
	static const char tmpl[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t n = ref ? strlen(ref) : 0;
	char q[64];

	if (n < 8 || n > 36)
		goto bad;
	for (size_t i = 0; i < 36; i++) {
		char c = i < n ? (char)tolower((unsigned char)ref[i]) : 0;

		if (tmpl[i] == '-') {
			if (i < n && c != '-')
				goto bad;
			lo[i] = hi[i] = '-';
		} else if (i < n) {
			if (!isxdigit((unsigned char)c))
				goto bad;
			lo[i] = hi[i] = c;
		} else {
			lo[i] = '0';
			hi[i] = 'f';
		}
	}
	lo[36] = hi[36] = '\0';
	return true;
bad:
	cw_error_field(err, "id", "invalid %s id '%s' (expected its UUID, or its first 8 or more characters)",
		       kind->what, cw_text_escape(ref ? ref : "", q, sizeof(q)));
	return false;
}

bool
cw_record_find(struct cw_db *db, const struct cw_kind *kind, const char *ref, struct cw_found *out,
	       struct cw_error *err)
{
	/* Per kind, built once and kept (db.c caches statements by their text). */
	static char range_sql[NKINDS][512];
	static const char cqc_any_sql[] =
		"SELECT r.id::text, r.domain, r.provider_id::text, p.name FROM cqc_rating r"
		" JOIN provider p ON p.id = r.provider_id WHERE r.id = ANY ($1::uuid[]) ORDER BY r.id";
	const bool cqc = kind == &cw_kind_cqc;
	int k = kind_index(kind), n;
	char lo[CW_UUID_LEN], hi[CW_UUID_LEN], q[64];
	const char *p[2] = {lo, hi};
	PGresult *r;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (k < 0)
		return cw_error_set(err, CW_EXIT_FAIL, "%s is not a known kind", kind->name);
	if (!parse_ref(kind, ref, lo, hi, err))
		return false;
	if (range_sql[k][0] == '\0')
		snprintf(range_sql[k], sizeof(range_sql[k]),
			 "SELECT r.id::text, %s, r.provider_id::text, p.name FROM %s r"
			 " JOIN provider p ON p.id = r.provider_id"
			 " WHERE r.id BETWEEN $1::uuid AND $2::uuid ORDER BY r.id LIMIT %d",
			 cqc ? "r.domain" : "''", kind_table(kind), CW_FOUND_MAX_ROWS + 1);
	r = cw_db_query(db, range_sql[k], 2, p, err);
	if (r == NULL)
		return false;
	bool derived = PQntuples(r) == 0 && cqc && strcmp(lo, hi) == 0;

	if (derived) {
		/* The id `cqc add` printed: its rows' ids are derived from it. */
		char arr[6 * (CW_UUID_LEN + 1) + 3] = "{";
		const char *ap[1] = {arr};

		for (int d = 0; d < 6; d++) {
			char rowid[CW_UUID_LEN];
			cw_uuid_derive(lo, domains[d], rowid);
			snprintf(arr + strlen(arr), sizeof(arr) - strlen(arr), "%s%s%s", d ? "," : "", rowid,
				 d == 5 ? "}" : "");
		}
		PQclear(r);
		r = cw_db_query(db, cqc_any_sql, 1, ap, err);
		if (r == NULL)
			return false;
	}
	n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		cw_error_set(err, CW_EXIT_NOTFOUND, "no %s %s", kind->what, cw_text_escape(ref, q, sizeof(q)));
		cw_error_hint(err, "'carewatch %s list' shows the %s records and their ids", kind->name,
			      kind->name);
		return false;
	}
	/* A prefix names one row; a whole CQC record id names all its rows. */
	if (n > 1 && (strcmp(lo, hi) != 0 || !cqc)) {
		PQclear(r);
		cw_error_set(err, CW_EXIT_NOTFOUND, "%s id '%s' is the start of more than one %s's id",
			     kind->what, cw_text_escape(ref, q, sizeof(q)), kind->what);
		cw_error_hint(err, "give more of the id (or all of it)");
		return false;
	}
	snprintf(out->id, sizeof(out->id), "%s", derived ? lo : PQgetvalue(r, 0, 0));
	for (int i = 0; i < n && i < CW_FOUND_MAX_ROWS; i++) {
		snprintf(out->rows[i].id, sizeof(out->rows[i].id), "%s", PQgetvalue(r, i, 0));
		snprintf(out->rows[i].domain, sizeof(out->rows[i].domain), "%s", PQgetvalue(r, i, 1));
	}
	out->nrows = n < CW_FOUND_MAX_ROWS ? n : CW_FOUND_MAX_ROWS;
	snprintf(out->provider_id, sizeof(out->provider_id), "%s", PQgetvalue(r, 0, 2));
	snprintf(out->provider_name, sizeof(out->provider_name), "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	return true;
}

void
cw_found_array(const struct cw_found *f, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "{");

	for (int i = 0; i < f->nrows && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", f->rows[i].id);
	if (len < size)
		snprintf(buf + len, size - len, "}");
}

/* The reason: required, one to 20000 characters of text. */
static bool
check_because(const char *because, const char *step, struct cw_error *err)
{
	if (because == NULL || because[0] == '\0') {
		cw_error_field(err, "because", "missing --because TEXT (why the record is %s)", step);
		return false;
	}
	return cw_text_check("because", because, CW_TEXT_MAX, false, err);
}

/* The id of row i's step: the step's own id for a single row; for the rows
 * of a CQC record, one derived from it and the row (so a retry derives the
 * same ids, and the new rows of a corrected record are found by its id as
 * `cqc add`'s are). */
static void
row_step_id(const struct cw_found *f, int i, const char *id, char out[CW_UUID_LEN])
{
	if (f->nrows == 1 && strcmp(f->rows[0].id, f->id) == 0)
		snprintf(out, CW_UUID_LEN, "%s", id);
	else
		cw_uuid_derive(id, f->rows[i].domain, out);
}

/* ---- withdrawing ---- */

struct withdraw_job {
	const char *because;
	struct cw_change_result *res;
};

static bool
withdraw_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct withdraw_job *job = ctx;
	struct cw_change_result *res = job->res;
	const struct cw_found *f = &res->found;
	int written = 0;

	res->case_number = 0;
	for (int i = 0; i < f->nrows; i++) {
		char wid[CW_UUID_LEN];
		const char *p[4] = {wid, f->kind->name, f->rows[i].id, job->because};
		PGresult *r;

		row_step_id(f, i, res->id, wid);
		r = cw_db_query(db, "SELECT written, coalesce(case_number::text, '')"
				    " FROM api.record_withdraw($1, $2, $3, $4)", 4, p, err);
		if (r == NULL)
			return false;
		if (PQntuples(r) == 1) {
			written += PQgetvalue(r, 0, 0)[0] == 't';
			if (PQgetvalue(r, 0, 1)[0])
				res->case_number = atol(PQgetvalue(r, 0, 1));
		}
		PQclear(r);
	}
	res->already = written == 0;
	return true;
}

bool
cw_record_withdraw(struct cw_db *db, const struct cw_kind *kind, const char *ref, const char *because,
		   const char *id, struct cw_change_result *res, struct cw_error *err)
{
	struct withdraw_job job = {because, res};

	memset(res, 0, sizeof(*res));
	if (id && !cw_uuid_valid(id))
		return cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", id);
	if (!check_because(because, "withdrawn", err))
		return false;
	if (!cw_record_find(db, kind, ref, &res->found, err))
		return false;
	if (id)
		snprintf(res->id, sizeof(res->id), "%s", id);
	else
		cw_uuid_new(res->id);
	return cw_db_transaction(db, "READ COMMITTED", withdraw_work, &job, NULL, err);
}

/* ---- correcting ---- */

/* What to select for field f's column c as text in the form the field's
 * check writes (so old and new values compare as strings). */
static void
column_text(const struct cw_field *f, const char *c, char *buf, size_t size)
{
	switch (f->type) {
	case CW_F_TIME:
		snprintf(buf, size, "coalesce(to_char(r.%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')", c);
		break;
	case CW_F_DATE:
		snprintf(buf, size, "coalesce(to_char(r.%s, 'YYYY-MM-DD'), '')", c);
		break;
	default:
		snprintf(buf, size, "coalesce(r.%s::text, '')", c);
		break;
	}
}

/* The old values of f's rows: old[row][field] ("" for NULL), free text
 * left out (NULL).  For a concern also its case: number, due (UTC text)
 * and title, into the last three columns of row 0. */
struct old_values {
	char v[CW_FOUND_MAX_ROWS][CW_KIND_MAX_FIELDS][48];
	bool known[CW_KIND_MAX_FIELDS];
	long case_number;
	char case_due[40];
	char case_title[208];
};

static bool
read_old(struct cw_db *db, const struct cw_found *f, struct old_values *o, struct cw_error *err)
{
	static char sql[NKINDS][2048];
	const struct cw_kind *kind = f->kind;
	const bool cqc = kind == &cw_kind_cqc, concern = kind == &cw_kind_concern;
	int k = kind_index(kind);
	char arr[CW_FOUND_ARRAY_LEN];
	const char *p[1] = {arr};
	PGresult *r;

	memset(o, 0, sizeof(*o));
	if (sql[k][0] == '\0') {
		char buf[512], col[256];
		const char *table = "", *cols[2 + CW_KIND_MAX_FIELDS] = {0};
		size_t len;

		if (cqc) {
			static const struct cw_field date_f = {"published", CW_F_DATE, NULL, false, 0, 0,
							       NULL, NULL, NULL};
			len = (size_t)snprintf(sql[k], sizeof(sql[k]), "SELECT r.id::text");
			column_text(&date_f, "published_on", col, sizeof(col));
			len += (size_t)snprintf(sql[k] + len, sizeof(sql[k]) - len, ", %s", col);
			column_text(&date_f, "inspected_on", col, sizeof(col));
			len += (size_t)snprintf(sql[k] + len, sizeof(sql[k]) - len, ", %s, r.rating", col);
		} else {
			if (cw_kind_columns(kind, buf, sizeof(buf), &table, cols, 2 + CW_KIND_MAX_FIELDS) !=
			    2 + kind->nfields)
				return cw_error_set(err, CW_EXIT_FAIL, "the %s INSERT does not parse", kind->name);
			len = (size_t)snprintf(sql[k], sizeof(sql[k]), "SELECT r.id::text");
			for (int i = 0; i < kind->nfields; i++) {
				if (cw_field_free_text(&kind->fields[i]))
					snprintf(col, sizeof(col), "NULL");
				else
					column_text(&kind->fields[i], cols[2 + i], col, sizeof(col));
				len += (size_t)snprintf(sql[k] + len, sizeof(sql[k]) - len, ", %s", col);
			}
		}
		if (concern)
			len += (size_t)snprintf(sql[k] + len, sizeof(sql[k]) - len,
						", coalesce(c.number::text, ''),"
						" coalesce(to_char(c.due_at AT TIME ZONE 'UTC',"
						" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(c.title, '')"
						" FROM concern r LEFT JOIN case_file c ON c.concern_id = r.id");
		else
			len += (size_t)snprintf(sql[k] + len, sizeof(sql[k]) - len, " FROM %s r",
						kind_table(kind));
		len += (size_t)snprintf(sql[k] + len, sizeof(sql[k]) - len, " WHERE r.id = ANY ($1::uuid[])");
		if (len >= sizeof(sql[k])) {
			sql[k][0] = '\0';
			return cw_error_set(err, CW_EXIT_FAIL, "the %s query is too long", kind->name);
		}
	}
	cw_found_array(f, arr, sizeof(arr));
	r = cw_db_query(db, sql[k], 1, p, err);
	if (r == NULL)
		return false;
	for (int row = 0; row < PQntuples(r); row++) {
		int i;

		for (i = 0; i < f->nrows && strcmp(f->rows[i].id, PQgetvalue(r, row, 0)) != 0; i++)
			;
		if (i == f->nrows)
			continue;
		if (cqc) {
			/* fields: published, inspected, then one per domain */
			snprintf(o->v[i][0], sizeof(o->v[i][0]), "%s", PQgetvalue(r, row, 1));
			snprintf(o->v[i][1], sizeof(o->v[i][1]), "%s", PQgetvalue(r, row, 2));
			for (int d = 0; d < 6; d++)
				if (strcmp(f->rows[i].domain, domains[d]) == 0)
					snprintf(o->v[i][2 + d], sizeof(o->v[i][2 + d]), "%s", PQgetvalue(r, row, 3));
			continue;
		}
		for (int j = 0; j < kind->nfields; j++) {
			o->known[j] = !cw_field_free_text(&kind->fields[j]);
			snprintf(o->v[i][j], sizeof(o->v[i][j]), "%s", PQgetvalue(r, row, 1 + j));
		}
		if (concern) {
			int c = 1 + kind->nfields;
			o->case_number = PQgetvalue(r, row, c)[0] ? atol(PQgetvalue(r, row, c)) : 0;
			snprintf(o->case_due, sizeof(o->case_due), "%s", PQgetvalue(r, row, c + 1));
			snprintf(o->case_title, sizeof(o->case_title), "%s", PQgetvalue(r, row, c + 2));
		}
	}
	if (cqc)
		for (int j = 0; j < 2; j++)
			o->known[j] = true;
	PQclear(r);
	return true;
}

/* Fields a correction says only "changed" of: free text (never repeated
 * back) and a list of ratings (too long to show both ways; the old one is
 * not read whole).  The server says when nothing changed after all. */
static bool
said_changed(const struct cw_field *f)
{
	return cw_field_free_text(f) || f->type == CW_F_RATINGS;
}

/* Append "name" or "name a -> b" to list. */
static void
note_change(char *list, size_t size, const char *name, const char *was, const char *now)
{
	size_t len = strlen(list);

	if (was == NULL)
		snprintf(list + len, size - len, "%s%s changed", len ? ", " : "", name);
	else
		snprintf(list + len, size - len, "%s%s %s -> %s", len ? ", " : "", name,
			 was[0] ? was : "(none)", now && now[0] ? now : "(none)");
}

/* The JSON object of one row's new values (column -> text or null), in a
 * malloc'd string (caller frees); NULL when out of memory. */
static char *
values_json(const char *const *cols, const char *const *vals, const bool *given, int n)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	bool first = true;

	if (f == NULL)
		return NULL;
	fputc('{', f);
	for (int i = 0; i < n; i++) {
		if (!given[i])
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		cw_json_string(f, cols[i]);
		fputc(':', f);
		if (vals[i])
			cw_json_string(f, vals[i]);
		else
			fputs("null", f);
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct correct_job {
	const char *because;
	char *json[CW_FOUND_MAX_ROWS];  /* NULL: the row is not corrected */
	const char *due;                /* a concern's new due time (UTC text), NULL none */
	const char *title;
	struct cw_change_result *res;
};

static bool
correct_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct correct_job *job = ctx;
	struct cw_change_result *res = job->res;
	const struct cw_found *f = &res->found;
	int written = 0, tried = 0;

	for (int i = 0; i < f->nrows; i++) {
		char nid[CW_UUID_LEN];
		const char *p[7] = {nid, f->kind->name, f->rows[i].id, job->json[i], job->because, job->due,
				    job->title};
		PGresult *r;

		if (job->json[i] == NULL)
			continue;
		tried++;
		row_step_id(f, i, res->id, nid);
		r = cw_db_query(db, "SELECT written, coalesce(case_number::text, ''),"
				    " coalesce(to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
				    " due_moved"
				    " FROM api.record_correct($1, $2, $3, $4::jsonb, $5, $6::timestamptz, $7)",
				7, p, err);
		if (r == NULL)
			return false;
		if (PQntuples(r) == 1) {
			written += PQgetvalue(r, 0, 0)[0] == 't';
			if (PQgetvalue(r, 0, 1)[0])
				res->case_number = atol(PQgetvalue(r, 0, 1));
			snprintf(res->due, sizeof(res->due), "%s", PQgetvalue(r, 0, 2));
			res->due_moved = PQgetvalue(r, 0, 3)[0] == 't';
		}
		PQclear(r);
	}
	res->already = tried > 0 && written == 0;
	return true;
}

/* A concern whose risk level or received time changes: its case's new due
 * time, from the active rules' target for the risk and the calendar, as
 * when the case was opened (cases.c), and the default title for the new
 * risk when the case still has the old one's. */
static bool
concern_due(struct cw_db *db, const struct old_values *o, const char *risk_was, const char *risk,
	    const char *received, char *due, size_t due_size, char *title, size_t title_size,
	    struct cw_error *err)
{
	const struct cw_ruleset *rs;
	struct cw_calendar *cal;
	bool none = false;
	int was = cw_vocab_parse(&cw_vocab_risk, risk_was), now = cw_vocab_parse(&cw_vocab_risk, risk);
	int days;
	cw_time at;
	char old_title[208];

	due[0] = title[0] = '\0';
	if (now < 0)
		return cw_error_field(err, "risk", "invalid risk level '%.20s'", risk);
	if (!cw_time_parse_utc(received, "received", &at, err))
		return false;
	rs = cw_scoring_active(db, &none, err);
	if (rs == NULL && !none)
		return false;
	days = rs ? cw_rules_response_days(rs, (enum cw_risk)now) : -1;
	if (days >= 0) {
		if ((cal = cw_closure_calendar(db, err)) == NULL)
			return false;
		cw_time_format_utc(cw_calendar_due(cal, at, days), due, due_size);
		cw_calendar_free(cal);
	}
	snprintf(old_title, sizeof(old_title), "%s risk concern", was >= 0 ? cw_vocab_label(&cw_vocab_risk, was) : "");
	if (strcmp(old_title, o->case_title) == 0)
		snprintf(title, title_size, "%s risk concern", cw_vocab_label(&cw_vocab_risk, now));
	return true;
}

bool
cw_record_correct(struct cw_db *db, const struct cw_kind *kind, const char *ref,
		  const char *const *values, const bool *clear_flag, const char *because,
		  const char *id, struct cw_change_result *res, struct cw_error *err)
{
	const bool cqc = kind == &cw_kind_cqc, concern = kind == &cw_kind_concern;
	struct correct_job job = {.because = because, .res = res};
	char (*vals)[CW_TEXT_MAX * 4 + 8];
	const char *norm[CW_KIND_MAX_FIELDS] = {0};
	bool given[CW_KIND_MAX_FIELDS] = {0}, any = false, ok = false, text_given = false;
	struct old_values *o = NULL;
	char due[40] = "", title[208] = "";
	char buf[512];
	const char *table = "", *cols[2 + CW_KIND_MAX_FIELDS] = {0};

	memset(res, 0, sizeof(*res));
	if (id && !cw_uuid_valid(id))
		return cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", id);
	vals = calloc((size_t)kind->nfields, sizeof(*vals));
	o = calloc(1, sizeof(*o));
	if (vals == NULL || o == NULL) {
		free(vals);
		free(o);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	/* 1. Every field given, checked as `KIND add` checks it (in the same
	 * order: the first fault is the one `add` would name), then the reason. */
	for (int i = 0; i < kind->nfields; i++) {
		const struct cw_field *f = &kind->fields[i];
		const char *v = values[i];
		bool is_null;

		if (clear_flag && clear_flag[i]) {
			if (v) {
				cw_error_field(err, f->name, "--%s and --no-%s contradict each other", f->name,
					       f->name);
				goto out;
			}
			v = "no";
		}
		if (v == NULL)
			continue;
		if (v[0] == '\0' && f->type != CW_F_BOOL) {
			/* An empty value clears what may be absent, nothing else. */
			if (f->required || f->dflt) {
				cw_error_field(err, f->name, "--%s cannot be cleared (give the value it should have)",
					       f->name);
				goto out;
			}
			given[i] = true;
			norm[i] = NULL;
			any = true;
			continue;
		}
		if (!cw_field_check(f, v, vals[i], sizeof(vals[i]), &is_null, err))
			goto out;
		given[i] = true;
		norm[i] = is_null ? NULL : vals[i];
		any = true;
		text_given = text_given || said_changed(f);
	}
	if (!check_because(because, "corrected", err))
		goto out;
	if (!any) {
		cw_error_set(err, CW_EXIT_USAGE, "nothing to correct: give the fields to change");
		cw_error_hint(err, "'carewatch %s correct --help' lists them; fields not given keep their"
				   " recorded values", kind->name);
		goto out;
	}
	if (id)
		snprintf(res->id, sizeof(res->id), "%s", id);
	else
		cw_uuid_new(res->id);
	/* 2. The record, and what it holds now. */
	if (!cw_record_find(db, kind, ref, &res->found, err) || !read_old(db, &res->found, o, err))
		goto out;
	if (!cqc && cw_kind_columns(kind, buf, sizeof(buf), &table, cols, 2 + CW_KIND_MAX_FIELDS) !=
			    2 + kind->nfields) {
		cw_error_set(err, CW_EXIT_FAIL, "the %s INSERT does not parse", kind->name);
		goto out;
	}
	/* 3. Each row as corrected, checked as a whole. */
	for (int row = 0; row < res->found.nrows; row++) {
		const char *merged[CW_KIND_MAX_FIELDS] = {0}, *rcols[CW_KIND_MAX_FIELDS] = {0};
		const char *rvals[CW_KIND_MAX_FIELDS] = {0};
		bool rgiven[CW_KIND_MAX_FIELDS] = {0};
		int n = 0;

		for (int i = 0; i < kind->nfields; i++) {
			const char *was = o->known[i] ? o->v[row][i] : NULL;
			merged[i] = given[i] ? norm[i] : (was && was[0] ? was : NULL);
		}
		if (cqc) {
			/* published and inspected apply to every row; a rating to its domain's. */
			int d;
			for (d = 0; d < 6 && strcmp(res->found.rows[row].domain, domains[d]) != 0; d++)
				;
			for (int i = 2; i < 8; i++)
				if (i != 2 + d)
					merged[i] = NULL;
			static const char *const cqc_cols[] = {"published_on", "inspected_on", "rating"};
			const int fields[3] = {0, 1, d < 6 ? 2 + d : -1};

			for (int j = 0; j < 3; j++) {
				int i = fields[j];
				if (i < 0 || !given[i])
					continue;
				rcols[n] = cqc_cols[j];
				rvals[n] = norm[i];
				rgiven[n] = true;
				n++;
				/* The dates are the record's: said once, not per row. */
				if (strcmp(o->v[row][i], norm[i] ? norm[i] : "") != 0 &&
				    (j == 2 || !strstr(res->changed, kind->fields[i].name)))
					note_change(res->changed, sizeof(res->changed), kind->fields[i].name,
						    o->v[row][i], norm[i]);
			}
		} else {
			for (int i = 0; i < kind->nfields; i++) {
				if (!given[i])
					continue;
				rcols[n] = cols[2 + i];
				rvals[n] = norm[i];
				rgiven[n] = true;
				n++;
				if (said_changed(&kind->fields[i]))
					note_change(res->changed, sizeof(res->changed), kind->fields[i].name, NULL, NULL);
				else if (strcmp(o->v[row][i], norm[i] ? norm[i] : "") != 0)
					note_change(res->changed, sizeof(res->changed), kind->fields[i].name,
						    o->v[row][i], norm[i]);
			}
		}
		if (kind->check && !kind->check(merged, err))
			goto out;
		if (n > 0 && (job.json[row] = values_json(rcols, rvals, rgiven, n)) == NULL) {
			cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			goto out;
		}
	}
	if (cqc) {
		/* A domain given must be one the record rates. */
		for (int d = 0; d < 6; d++) {
			bool has = false;
			if (!given[2 + d])
				continue;
			for (int row = 0; row < res->found.nrows; row++)
				has = has || strcmp(res->found.rows[row].domain, domains[d]) == 0;
			if (!has) {
				cw_error_field(err, kind->fields[2 + d].name,
					       "CQC rating %s has no %s rating to correct", res->found.id,
					       kind->fields[2 + d].help);
				cw_error_hint(err, "a correction changes the ratings the record holds; 'carewatch cqc"
						   " add' records a new one");
				goto out;
			}
		}
	}
	if (res->changed[0] == '\0' && !text_given) {
		cw_error_set(err, CW_EXIT_USAGE, "nothing to correct: %s %s already holds those values",
			     kind->what, res->found.id);
		goto out;
	}
	/* 4. A concern's case: a new risk or received time, a new due time. */
	if (concern && o->case_number > 0 && ((given[0] && norm[0] && strcmp(o->v[0][0], norm[0]) != 0) ||
					      (given[4] && norm[4] && strcmp(o->v[0][4], norm[4]) != 0))) {
		const char *risk = given[0] ? norm[0] : o->v[0][0], *received = given[4] ? norm[4] : o->v[0][4];

		if (!concern_due(db, o, o->v[0][0], risk, received, due, sizeof(due), title, sizeof(title), err))
			goto out;
		job.due = due[0] ? due : NULL;
		job.title = title[0] ? title : NULL;
		snprintf(res->due_was, sizeof(res->due_was), "%s", o->case_due);
	}
	/* 5. The write: one call per row, in one transaction. */
	ok = cw_db_transaction(db, "READ COMMITTED", correct_work, &job, NULL, err);
out:
	for (int i = 0; i < CW_FOUND_MAX_ROWS; i++)
		free(job.json[i]);
	free(vals);
	free(o);
	return ok;
}
