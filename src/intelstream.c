/*
 * intelstream.c - streaming every provider's intelligence (intelstream.h).
 *
 * The records arrive in COPY's binary format (PostgreSQL manual, "COPY",
 * "Binary Format"), as the nightly reads them: a header once, then per row a
 * 16-bit field count and per field a 32-bit length (-1 for NULL) and the
 * bytes, all big-endian; a count of -1 ends it.  The fields are the query's
 * seven: provider uuid, kind, record uuid, time (int8), then three texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "carewatch/intelstream.h"
#include "carewatch/scoring.h"

static const char copy_signature[11] = "PGCOPY\n\377\r\n";

struct field {
	const unsigned char *p;
	int32_t len;                    /* -1: NULL */
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The fields of one row message; 0 at the end marker, -1 when malformed. */
static int
binary_row(const unsigned char *p, size_t len, bool *header, struct field *f, int n)
{
	const unsigned char *end = p + len;
	int16_t count;

	if (!*header) {
		if (len < 19 || memcmp(p, copy_signature, sizeof(copy_signature)) != 0 ||
		    be32(p + 15) > len - 19)
			return -1;
		p += 19 + be32(p + 15);
		*header = true;
	}
	if (end - p < 2)
		return -1;
	count = (int16_t)(p[0] << 8 | p[1]);
	p += 2;
	if (count == -1)
		return 0;
	if (count != n)
		return -1;
	for (int k = 0; k < n; k++) {
		if (end - p < 4)
			return -1;
		f[k].len = (int32_t)be32(p);
		p += 4;
		f[k].p = p;
		if (f[k].len == -1)
			continue;
		if (f[k].len < 0 || end - p < f[k].len)
			return -1;
		p += f[k].len;
	}
	return p == end ? n : -1;
}

/* A text field as a C string in buf (NULL for SQL NULL); false when it does
 * not fit, which no vocabulary word or number comes near. */
static bool
field_text(const struct field *f, char *buf, size_t size, const char **out)
{
	if (f->len == -1) {
		*out = NULL;
		return true;
	}
	if ((size_t)f->len >= size)
		return false;
	memcpy(buf, f->p, (size_t)f->len);
	buf[f->len] = '\0';
	*out = buf;
	return true;
}

static bool
add_record(struct cw_provider_intel *pi, const struct field *f, struct cw_error *err)
{
	char kind[16], a[64], b[64], c[64], id[CW_UUID_LEN];
	const char *k, *pa, *pb, *pc;
	uint64_t at;

	if (f[2].len != 16 || f[3].len != 8 || !field_text(&f[1], kind, sizeof(kind), &k) || k == NULL ||
	    !field_text(&f[4], a, sizeof(a), &pa) || !field_text(&f[5], b, sizeof(b), &pb) ||
	    !field_text(&f[6], c, sizeof(c), &pc))
		return cw_error_set(err, CW_EXIT_FAIL, "malformed intelligence row from the database");
	uuid_unparse_lower(f[2].p, id);
	at = (uint64_t)be32(f[3].p) << 32 | be32(f[3].p + 4);
	if (!cw_intel_add(pi, k, id, (cw_time)(int64_t)at, pa, pb, pc))
		return cw_error_set(err, CW_EXIT_FAIL, "unexpected %s record %s", k, id);
	return true;
}

struct stream {
	const char (*ids)[CW_UUID_LEN];
	unsigned char (*bin)[16];
	size_t n, next;
	cw_intel_stream_fn fn;
	void *ctx;
	struct cw_provider_intel pi;
};

/* Hand provider s->next to the caller and move on. */
static bool
deliver(struct stream *s, struct cw_error *err)
{
	bool ok;

	snprintf(s->pi.provider_id, sizeof(s->pi.provider_id), "%s", s->ids[s->next]);
	ok = s->fn(s->ctx, s->next, &s->pi, err);
	cw_intel_reset(&s->pi);
	s->next++;
	return ok;
}

/* Every listed provider before upto (NULL: all that are left). */
static bool
deliver_until(struct stream *s, const unsigned char *upto, struct cw_error *err)
{
	while (s->next < s->n && (upto == NULL || memcmp(s->bin[s->next], upto, 16) < 0))
		if (!deliver(s, err))
			return false;
	return true;
}

/* The whole stream's COPY statement, kept for the process's life: db.c's
 * statement cache holds on to the text it was given.  Only the
 * single-threaded callers (backtest, backfill) come here. */
static const char *
copy_sql(void)
{
	static char *sql;

	if (sql == NULL)
		sql = cw_intel_stream_sql(NULL, NULL);
	return sql;
}

/* bound as libuuid spells it, into out; false when it is not a uuid. */
static bool
canonical_uuid(const char *bound, char out[CW_UUID_LEN])
{
	uuid_t u;

	if (uuid_parse(bound, u) != 0)
		return false;
	uuid_unparse_lower(u, out);
	return true;
}

char *
cw_intel_stream_sql(const char *from, const char *to)
{
	char lo[CW_UUID_LEN] = "", hi[CW_UUID_LEN] = "", where[160] = "";
	size_t len;
	char *sql;

	if ((from && !canonical_uuid(from, lo)) || (to && !canonical_uuid(to, hi)))
		return NULL;
	/* A range of provider_id, not a hash of it.  A range is a plain
	 * comparison the planner pushes down into every branch of the union,
	 * into each table's own scan: where a table is laid out by provider
	 * it reads just its range through the (provider_id, ...) index, and
	 * where it is not (intelligence arrives in time order: the national
	 * data's correlation is 0.01) it is a sequential scan whose filter
	 * costs a uuid comparison, so only the range's rows go on to the
	 * anti-joins, the sort and the output, which is where the time is
	 * (server CPU at national scale: 18.0 s for the whole ordered stream,
	 * 9.6 + 9.0 s for two halves).  A hash would be a function call on
	 * every row in every reader and could never use an index; and an
	 * ordered index scan instead of the sort is slower on such a table
	 * (8.2 s against 3.8 s for half the concerns: a random heap read per
	 * row). */
	if (from && to)
		snprintf(where, sizeof(where), " WHERE provider_id >= '%s'::uuid AND provider_id < '%s'::uuid", lo,
			 hi);
	else if (from)
		snprintf(where, sizeof(where), " WHERE provider_id >= '%s'::uuid", lo);
	else if (to)
		snprintf(where, sizeof(where), " WHERE provider_id < '%s'::uuid", hi);
	len = strlen(cw_intel_rows_unordered_sql) + strlen(where) +
	      sizeof("COPY ( ORDER BY 1) TO STDOUT (FORMAT binary)");
	if ((sql = malloc(len)) != NULL)
		snprintf(sql, len, "COPY (%s%s ORDER BY 1) TO STDOUT (FORMAT binary)", cw_intel_rows_unordered_sql,
			 where);
	return sql;
}

/* Stop a COPY that is still sending: cancel it, then read what is left. */
static void
abandon(PGconn *conn)
{
	PGcancel *c = PQgetCancel(conn);
	char buf[256], *row;
	PGresult *res;

	if (c) {
		(void)PQcancel(c, buf, sizeof(buf));
		PQfreeCancel(c);
	}
	while (PQgetCopyData(conn, &row, 0) > 0)
		PQfreemem(row);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

static bool
read_all(struct stream *s, PGconn *conn, long *records, struct cw_error *err)
{
	unsigned char cur[16];
	bool have_cur = false, skipping = false, header = false, ended = false;
	char *row = NULL;
	int n;

	while ((n = PQgetCopyData(conn, &row, 0)) > 0) {
		struct field f[7];
		int got = ended ? -1 : binary_row((const unsigned char *)row, (size_t)n, &header, f, 7);

		if (got == 0) {
			ended = true;
			PQfreemem(row);
			continue;
		}
		if (got != 7 || f[0].len != 16) {
			PQfreemem(row);
			return cw_error_set(err, CW_EXIT_FAIL, "malformed intelligence row from the database");
		}
		(*records)++;
		if (!have_cur || memcmp(f[0].p, cur, 16) != 0) {
			/* A new provider: finish every listed provider before it. */
			if (have_cur && !skipping && !deliver(s, err)) {
				PQfreemem(row);
				return false;
			}
			memcpy(cur, f[0].p, 16);
			have_cur = true;
			if (!deliver_until(s, cur, err)) {
				PQfreemem(row);
				return false;
			}
			/* Records of an unlisted provider are skipped. */
			skipping = !(s->next < s->n && memcmp(s->bin[s->next], cur, 16) == 0);
		}
		if (!skipping && !add_record(&s->pi, f, err)) {
			PQfreemem(row);
			return false;
		}
		PQfreemem(row);
	}
	if (n == -2)
		return cw_error_set(err, CW_EXIT_UNAVAILABLE, "lost the connection while reading: %s",
				    PQerrorMessage(conn));
	{
		PGresult *res;
		bool ok = true;
		while ((res = PQgetResult(conn)) != NULL) {
			if (ok && PQresultStatus(res) != PGRES_COMMAND_OK) {
				const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
				/* A connection failure, or the backend ended under us
				 * (57P0x: terminated, shut down, dropped, timed out). */
				bool gone = st && (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0);
				ok = cw_error_set(err, gone ? CW_EXIT_UNAVAILABLE : CW_EXIT_FAIL,
						  "reading intelligence failed: %s",
						  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
							  ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
							  : "no message");
				if (st)
					snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st);
			}
			PQclear(res);
		}
		if (!ok)
			return false;
	}
	if (have_cur && !skipping && !deliver(s, err))
		return false;
	return deliver_until(s, NULL, err);
}

bool
cw_intel_stream(struct cw_db *db, const char (*ids)[CW_UUID_LEN], size_t n, cw_intel_stream_fn fn,
		void *ctx, long *records, struct cw_error *err)
{
	const char *sql = copy_sql();

	*records = 0;
	if (sql == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	return cw_intel_stream_sql_run(db, sql, ids, n, fn, ctx, records, err);
}

bool
cw_intel_stream_sql_run(struct cw_db *db, const char *sql, const char (*ids)[CW_UUID_LEN], size_t n,
			cw_intel_stream_fn fn, void *ctx, long *records, struct cw_error *err)
{
	struct stream s;
	PGresult *res;
	bool ok;

	*records = 0;
	memset(&s, 0, sizeof(s));
	s.ids = ids;
	s.n = n;
	s.fn = fn;
	s.ctx = ctx;
	s.bin = calloc(n ? n : 1, sizeof(*s.bin));
	if (s.bin == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (uuid_parse(ids[i], s.bin[i]) != 0 || (i > 0 && memcmp(s.bin[i - 1], s.bin[i], 16) >= 0)) {
			free(s.bin);
			return cw_error_set(err, CW_EXIT_FAIL, "provider %zu of the list is not a uuid in order", i);
		}
	}
	cw_intel_init(&s.pi);
	res = cw_db_query(db, sql, 0, NULL, err);
	if (res == NULL) {
		free(s.bin);
		return false;
	}
	PQclear(res);
	ok = read_all(&s, cw_db_conn(db), records, err);
	if (!ok && PQstatus(cw_db_conn(db)) == CONNECTION_OK)
		abandon(cw_db_conn(db));
	cw_intel_free(&s.pi);
	free(s.bin);
	return ok;
}

bool
cw_intel_providers_load(struct cw_db *db, struct cw_stream_provider **provs, char (**ids)[CW_UUID_LEN],
			size_t *n, struct cw_error *err)
{
	PGresult *res = cw_db_query(db,
				    "SELECT id, care_type, coalesce(beds, -1),"
				    " (registered_on - date '1970-01-01')::bigint * 86400,"
				    " (closed_on - date '1970-01-01')::bigint * 86400"
				    " FROM provider ORDER BY id",
				    0, NULL, err);

	*provs = NULL;
	*ids = NULL;
	*n = 0;
	if (res == NULL)
		return false;
	*n = (size_t)PQntuples(res);
	*provs = calloc(*n ? *n : 1, sizeof(**provs));
	*ids = calloc(*n ? *n : 1, sizeof(**ids));
	if (*provs == NULL || *ids == NULL) {
		PQclear(res);
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < *n; i++) {
		struct cw_stream_provider *p = &(*provs)[i];
		int row = (int)i, ct = cw_vocab_parse(&cw_vocab_care_type, PQgetvalue(res, row, 1));
		snprintf((*ids)[i], sizeof((*ids)[i]), "%s", PQgetvalue(res, row, 0));
		p->care = ct < 0 ? CW_CARE_HOME_CARE : (enum cw_care_type)ct;
		p->beds = atoi(PQgetvalue(res, row, 2));
		p->registered = PQgetisnull(res, row, 3) ? CW_TIME_NONE
							 : (cw_time)strtoll(PQgetvalue(res, row, 3), NULL, 10);
		p->closed = PQgetisnull(res, row, 4) ? CW_TIME_NONE : (cw_time)strtoll(PQgetvalue(res, row, 4), NULL, 10);
	}
	PQclear(res);
	return true;
}

cw_time
cw_intel_left_market(const struct cw_stream_provider *p, const struct cw_provider_intel *pi)
{
	cw_time left = p->closed;

	for (size_t k = 0; k < pi->losses.n; k++)
		if (pi->losses.v[k].kind == CW_LOSS_CLOSURE && pi->losses.v[k].at != CW_TIME_NONE &&
		    (left == CW_TIME_NONE || pi->losses.v[k].at < left))
			left = pi->losses.v[k].at;
	return left;
}

bool
cw_intel_open_at(const struct cw_stream_provider *p, cw_time left, cw_time t)
{
	return (p->registered == CW_TIME_NONE || p->registered <= t) && (left == CW_TIME_NONE || left > t);
}
