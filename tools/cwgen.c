/*
 * cwgen.c - a realistic, deterministic carewatch data set, loaded with COPY.
 *
 * Makes the Norfolk care market the council's two annual quality reports
 * describe (/work/shared/seeds: [16/17] and [17/18] below) and loads it
 * straight into a migrated carewatch database: providers in the five
 * localities with the reports' care-type mix, their organisations, the QA
 * team, two years of intelligence at the reports' volumes and the cases the
 * concerns opened.  `--scale national` makes the benchmark's data set: 30,000
 * providers and 10 million intelligence records.
 *
 * The world is not circular: each provider has a hidden quality that drifts
 * month by month, and the intelligence the team records and the ratings CQC
 * publishes (months after its inspections, at CQC's intervals) are each
 * drawn from it with noise of their own, never one from the other (see "the
 * hidden quality" below, and docs/operations.md).  So `carewatch backtest`
 * on this data measures something: how much the intelligence adds to the
 * rating in predicting what CQC and the team do next.
 *
 * Determinism: the same --seed, --as-of, scale and ruleset give the same rows
 * byte for byte (ids included).  Every random choice comes from xoshiro256**
 * streams seeded from --seed, one stream per part of the data, so changing how
 * one kind is made does not reshuffle the others.  Record ids are time-ordered
 * UUIDs (version 7 layout, the random part from the stream), which also keeps
 * the primary-key indexes append-mostly during the load; a case's id is made
 * from its concern's exactly as carewatch does (UUID v5 of "case").
 *
 * Loading: one transaction, one COPY ... FROM STDIN (text format) per table,
 * never row-by-row INSERTs.  The audit and stamp triggers would fire once per
 * row, so they are disabled for the load (ALTER TABLE ... DISABLE TRIGGER, as
 * the tables' owner, inside the transaction) and enabled again before COMMIT;
 * a superuser gets session_replication_role = replica instead.  So generated
 * rows are not in audit_log, and recorded_by names the officer who would have
 * logged each record rather than the role that ran the generator.
 *
 * What is left to carewatch: scores.  provider_current_score is filled by
 * the scorer or the nightly batch, never here.
 *
 * `cwgen ods OUT.ods [--banner TEXT]... --sheet NAME=FILE.csv ...` writes CSV
 * files (tools/gen-cqc-csv.sh's, say) as the sheets of an OpenDocument
 * workbook the way CQC publishes its monthly files: notice rows above the
 * header (each --banner before a --sheet goes above that sheet's header),
 * typed cells, the verbose markup of a desktop spreadsheet (src/ods_write.c).
 * For the import tests' workbooks and `make bench`.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "carewatch/balance.h"
#include "carewatch/calendar.h"
#include "carewatch/csv.h"
#include "carewatch/db.h"
#include "carewatch/ods.h"
#include "carewatch/rng.h"
#include "carewatch/rules.h"
#include "carewatch/vocab.h"

#define WINDOW_DAYS 730               /* two years of intelligence */
#define NEVER INT64_MAX

/* ---- small utilities ------------------------------------------------- */

static bool quiet;
static bool progress;          /* a terminal: rows counted as they go */
static bool verbose;           /* each table's rows and time, on stderr */

static void
die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	if (progress)
		fputc('\n', stderr);
	fputs("cwgen: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void
die_err(const struct cw_error *e)
{
	if (progress)
		fputc('\n', stderr);
	fprintf(stderr, "cwgen: error: %s\n", e->msg);
	if (e->detail[0])
		fprintf(stderr, "detail: %s\n", e->detail);
	if (e->hint[0])
		fprintf(stderr, "hint: %s\n", e->hint);
	exit(e->code ? e->code : CW_EXIT_FAIL);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die(CW_EXIT_FAIL, "out of memory");
	return p;
}

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (p == NULL)
		die(CW_EXIT_FAIL, "out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		die(CW_EXIT_FAIL, "out of memory");
	return d;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ----------------- */


/* One stream per part of the data set. */
enum stream { ST_PROVIDERS = 1, ST_ORGS, ST_OFFICERS, ST_CQC, ST_IPC, ST_SURVEY, ST_RESTRICT,
	ST_NOTICE, ST_LOSS, ST_SAFEGUARDING, ST_CONCERN, ST_CASE, ST_VISIT, ST_QUALITY };

/* Each stream its own sequence: the seed mixed with the stream's number. */
static void
rng_seed(struct cw_rng *r, uint64_t seed, enum stream stream)
{
	cw_rng_seed(r, seed ^ ((uint64_t)stream * 0xD1B54A32D192ED03ULL));
}

/* Uniform in [0, 1). */
static double
rng_unit(struct cw_rng *r)
{
	return (double)(cw_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static int64_t
rng_int(struct cw_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(cw_rng_next(r) % (uint64_t)(hi - lo + 1));
}

static bool
rng_chance(struct cw_rng *r, double p)
{
	return rng_unit(r) < p;
}

static double
rng_normal(struct cw_rng *r)
{
	double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double
rng_exp(struct cw_rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

/* The standard normal quantile of p in (0, 1) (Acklam's rational
 * approximation, relative error below 1.2e-9). */
static double
inv_normal(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
		2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
		2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00};
	double q, r;

	if (p <= 0)
		p = 1e-12;
	if (p >= 1)
		p = 1 - 1e-12;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - 0.02425) {
		q = sqrt(-2 * log(1 - p));
		return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* Index drawn with probability w[i] / sum(w). */
static int
rng_pick(struct cw_rng *r, const double *w, int n)
{
	double sum = 0, x;

	for (int i = 0; i < n; i++)
		sum += w[i];
	x = rng_unit(r) * sum;
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

#define PICK(r, arr) ((arr)[rng_int((r), 0, (int64_t)(sizeof(arr) / sizeof((arr)[0])) - 1)])

/* A random (version 4) UUID from the stream. */
static void
uuid_random(struct cw_rng *r, uint8_t u[16])
{
	uint64_t a = cw_rng_next(r), b = cw_rng_next(r);

	memcpy(u, &a, 8);
	memcpy(u + 8, &b, 8);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

/* A time-ordered (version 7 layout) UUID for a record made at t. */
static void
uuid_at(struct cw_rng *r, cw_time t, uint8_t u[16])
{
	uint64_t ms = (uint64_t)t * 1000 + (uint64_t)rng_int(r, 0, 999);

	uuid_random(r, u);
	for (int i = 0; i < 6; i++)
		u[i] = (uint8_t)(ms >> (40 - 8 * i));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x70);
}

/* ---- weighted sampling of providers ----------------------------------- */

struct sampler {
	int n;
	int *idx;
	double *cum;
};

static void
sampler_add(struct sampler *s, int i, double w)
{
	if (w <= 0)
		return;
	s->idx = xrealloc(s->idx, sizeof(int) * (size_t)(s->n + 1));
	s->cum = xrealloc(s->cum, sizeof(double) * (size_t)(s->n + 1));
	s->idx[s->n] = i;
	s->cum[s->n] = (s->n ? s->cum[s->n - 1] : 0) + w;
	s->n++;
}

static int
sampler_draw(const struct sampler *s, struct cw_rng *r)
{
	double x;
	int lo = 0, hi;

	if (s->n == 0)
		return -1;
	x = rng_unit(r) * s->cum[s->n - 1];
	hi = s->n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (s->cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return s->idx[lo];
}

static void
sampler_free(struct sampler *s)
{
	free(s->idx);
	free(s->cum);
	memset(s, 0, sizeof(*s));
}

/* ---- a set of strings, for unique names and logins ------------------- */

struct strset {
	char **slot;
	size_t cap, n;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Adds s (copied); false when it was already there. */
static bool
strset_add(struct strset *set, const char *s)
{
	size_t i;

	if ((set->n + 1) * 2 > set->cap) {
		struct strset bigger = {NULL, set->cap ? set->cap * 2 : 1024, 0};
		bigger.slot = xcalloc(bigger.cap, sizeof(char *));
		for (size_t k = 0; k < set->cap; k++) {
			if (set->slot[k] == NULL)
				continue;
			for (i = fnv1a(set->slot[k]) & (bigger.cap - 1); bigger.slot[i];
			     i = (i + 1) & (bigger.cap - 1))
				;
			bigger.slot[i] = set->slot[k];
			bigger.n++;
		}
		free(set->slot);
		*set = bigger;
	}
	for (i = fnv1a(s) & (set->cap - 1); set->slot[i]; i = (i + 1) & (set->cap - 1))
		if (strcmp(set->slot[i], s) == 0)
			return false;
	set->slot[i] = xstrdup(s);
	set->n++;
	return true;
}

static void
strset_free(struct strset *set)
{
	for (size_t k = 0; k < set->cap; k++)
		free(set->slot[k]);
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/* ---- COPY FROM STDIN, text format ----------------------------------- */

struct copy {
	PGconn *conn;
	const char *table;
	char *buf;
	size_t len, cap;
	int col;
	long rows;
	double started;
};

static long total_rows;

static void
copy_flush(struct copy *c)
{
	if (c->len && PQputCopyData(c->conn, c->buf, (int)c->len) != 1)
		die(CW_EXIT_FAIL, "COPY %s: %s", c->table, PQerrorMessage(c->conn));
	c->len = 0;
}

static void
copy_begin(struct copy *c, PGconn *conn, const char *table, const char *columns)
{
	char sql[512];
	PGresult *r;

	memset(c, 0, sizeof(*c));
	c->conn = conn;
	c->table = table;
	c->cap = 1 << 20;
	c->buf = xcalloc(1, c->cap);
	c->started = now_seconds();
	/* table and columns are this program's constants, never input. */
	snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN", table, columns);
	r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die(CW_EXIT_FAIL, "COPY %s: %s", table, PQerrorMessage(conn));
	PQclear(r);
}

static void
copy_end(struct copy *c)
{
	PGresult *r;

	copy_flush(c);
	if (PQputCopyEnd(c->conn, NULL) != 1)
		die(CW_EXIT_FAIL, "COPY %s: %s", c->table, PQerrorMessage(c->conn));
	while ((r = PQgetResult(c->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
			PQclear(r);
			die(state && strncmp(state, "08", 2) == 0 ? CW_EXIT_UNAVAILABLE : CW_EXIT_FAIL,
			    "COPY %s failed: %s", c->table, msg);
		}
		PQclear(r);
	}
	total_rows += c->rows;
	if (verbose)
		fprintf(stderr, "%s%-20s %10ld rows  %6.1f s\n", progress ? "\r" : "", c->table, c->rows,
			now_seconds() - c->started);
	free(c->buf);
	c->buf = NULL;
}

static char *
copy_room(struct copy *c, size_t n)
{
	if (c->len + n + 2 > c->cap) {
		copy_flush(c);
		if (n + 2 > c->cap) {
			c->cap = n + 2;
			c->buf = xrealloc(c->buf, c->cap);
		}
	}
	if (c->col++ > 0)
		c->buf[c->len++] = '\t';
	return c->buf + c->len;
}

static void
copy_raw(struct copy *c, const char *s, size_t n)
{
	char *p = copy_room(c, n);

	memcpy(p, s, n);
	c->len += n;
}

static void
copy_str(struct copy *c, const char *s)
{
	copy_raw(c, s, strlen(s));
}

/* Free text: backslash, tab and line ends escaped as COPY's text format wants. */
static void
copy_text(struct copy *c, const char *s)
{
	size_t n = strlen(s);
	char *p = copy_room(c, 2 * n), *q = p;

	for (; *s; s++) {
		switch (*s) {
		case '\\': *q++ = '\\'; *q++ = '\\'; break;
		case '\t': *q++ = '\\'; *q++ = 't'; break;
		case '\n': *q++ = '\\'; *q++ = 'n'; break;
		case '\r': *q++ = '\\'; *q++ = 'r'; break;
		default: *q++ = *s;
		}
	}
	c->len += (size_t)(q - p);
}

static void
copy_null(struct copy *c)
{
	copy_raw(c, "\\N", 2);
}

static void
copy_int(struct copy *c, long v)
{
	char b[24];

	copy_raw(c, b, (size_t)snprintf(b, sizeof(b), "%ld", v));
}

static void
copy_bool(struct copy *c, bool v)
{
	copy_raw(c, v ? "t" : "f", 1);
}

static void
copy_uuid(struct copy *c, const uint8_t u[16])
{
	static const char hex[] = "0123456789abcdef";
	char *p = copy_room(c, 36);

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	c->len += 36;
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

static void
fmt_date(int64_t day, char out[11])
{
	struct cw_date d = cw_date_from_days(day);

	put2(out, d.y / 100);
	put2(out + 2, d.y % 100);
	out[4] = '-';
	put2(out + 5, d.m);
	out[7] = '-';
	put2(out + 8, d.d);
	out[10] = '\0';
}

static void
copy_date(struct copy *c, int64_t day)
{
	char b[11];

	fmt_date(day, b);
	copy_raw(c, b, 10);
}

/* An instant as "YYYY-MM-DD HH:MM:SS+00": the session's time zone does not matter. */
static void
copy_time(struct copy *c, cw_time t)
{
	char b[24];
	int64_t day = t >= 0 ? t / CW_DAY : -((-t + CW_DAY - 1) / CW_DAY);
	int secs = (int)(t - day * CW_DAY);

	fmt_date(day, b);
	b[10] = ' ';
	put2(b + 11, secs / 3600);
	b[13] = ':';
	put2(b + 14, secs / 60 % 60);
	b[16] = ':';
	put2(b + 17, secs % 60);
	memcpy(b + 19, "+00", 3);
	copy_raw(c, b, 22);
}

static void
copy_row(struct copy *c)
{
	c->buf[c->len++] = '\n';
	c->col = 0;
	c->rows++;
	if (c->len > (1u << 20) - 4096)
		copy_flush(c);
	if (progress && (c->rows & 0xffff) == 0)
		fprintf(stderr, "\r%-20s %10ld rows", c->table, c->rows);
}

/* ---- the reports' figures -------------------------------------------- */

enum { LOC_N = 5 };
/* Norfolk's localities: the generator's towns lie in these (checked against
 * the locality reference table before anything is written). */
static const char *const loc_code[LOC_N] = {"north", "south", "east", "west", "norwich"};
/* Share of providers by locality; Norwich has fewer care homes, more home care. */
static const double loc_share[LOC_N] = {0.22, 0.21, 0.18, 0.21, 0.18};

struct town {
	const char *name;
	int loc;
	const char *district;
};

static const struct town towns[] = {
	{"Cromer", 0, "NR27"}, {"Sheringham", 0, "NR26"}, {"Holt", 0, "NR25"},
	{"Fakenham", 0, "NR21"}, {"North Walsham", 0, "NR28"}, {"Aylsham", 0, "NR11"},
	{"Wells-next-the-Sea", 0, "NR23"}, {"Stalham", 0, "NR12"}, {"Hoveton", 0, "NR12"},
	{"Reepham", 0, "NR10"}, {"Mundesley", 0, "NR11"},
	{"Diss", 1, "IP22"}, {"Wymondham", 1, "NR18"}, {"Attleborough", 1, "NR17"},
	{"Harleston", 1, "IP20"}, {"Long Stratton", 1, "NR15"}, {"Loddon", 1, "NR14"},
	{"Poringland", 1, "NR14"}, {"Hingham", 1, "NR9"}, {"Dereham", 1, "NR19"},
	{"Watton", 1, "IP25"}, {"Thetford", 1, "IP24"},
	{"Great Yarmouth", 2, "NR30"}, {"Gorleston", 2, "NR31"}, {"Caister-on-Sea", 2, "NR30"},
	{"Acle", 2, "NR13"}, {"Brundall", 2, "NR13"}, {"Martham", 2, "NR29"},
	{"Hemsby", 2, "NR29"}, {"Bradwell", 2, "NR31"},
	{"King's Lynn", 3, "PE30"}, {"Downham Market", 3, "PE38"}, {"Hunstanton", 3, "PE36"},
	{"Swaffham", 3, "PE37"}, {"Heacham", 3, "PE31"}, {"Terrington St Clement", 3, "PE34"},
	{"Dersingham", 3, "PE31"}, {"Snettisham", 3, "PE31"},
	{"Norwich", 4, "NR1"}, {"Norwich", 4, "NR2"}, {"Norwich", 4, "NR3"}, {"Norwich", 4, "NR4"},
	{"Norwich", 4, "NR5"}, {"Hellesdon", 4, "NR6"}, {"Sprowston", 4, "NR7"},
	{"Costessey", 4, "NR8"}, {"Thorpe St Andrew", 4, "NR7"}, {"Drayton", 4, "NR8"},
	{"Taverham", 4, "NR8"}, {"Old Catton", 4, "NR6"},
};
#define N_TOWNS ((int)(sizeof(towns) / sizeof(towns[0])))

/*
 * Care-type mix at Norfolk scale (760 providers over the two years, about 740
 * open at the end): [17/18 2.2] rated 147 home care, 295 residential and 63
 * nursing; [17/18 1.3.4] a further 205 day care providers on the accredited
 * list; supported living and housing with care make up the rest of the
 * CQC-regulated market.  A few more than the rated counts exist because new
 * services wait for their first inspection [16/17 2.2.3].
 */
static const int norfolk_mix[CW_CARE__N] = {152, 300, 66, 26, 10, 206};

/* CQC domain ratings as at 31 March 2018 [17/18 2.2], counts in the order
 * outstanding, good, requires improvement, inadequate; domains in enum
 * cw_domain order.  Supported living and housing with care follow the
 * all-care-types table. */
static const int cqc_table[4][CW_DOMAIN__N][CW_RATING__N] = {
	{ /* all care types */
		{0, 365, 124, 16}, {0, 416, 83, 6}, {9, 448, 46, 2}, {11, 400, 90, 4},
		{7, 360, 116, 22}, {5, 379, 106, 15} },
	{ /* home care */
		{0, 110, 36, 1}, {0, 130, 17, 0}, {3, 139, 5, 0}, {1, 123, 23, 0},
		{1, 118, 26, 2}, {1, 120, 25, 1} },
	{ /* residential */
		{0, 214, 70, 11}, {0, 238, 54, 3}, {5, 256, 33, 1}, {4, 236, 51, 4},
		{3, 201, 75, 16}, {1, 216, 67, 11} },
	{ /* nursing */
		{0, 41, 18, 4}, {0, 48, 12, 3}, {1, 53, 8, 1}, {6, 41, 16, 0},
		{3, 41, 15, 4}, {3, 43, 14, 3} },
};

/* How closely each domain follows a provider's overall quality.  [17/18
 * 2.2.5] Well-led and Safe predict the overall rating of care homes,
 * Well-led and Responsive that of home care; [16/17 2.2.4] Caring is the
 * weakest indicator. */
static const double domain_rho[3][CW_DOMAIN__N] = {
	{0.80, 0.70, 0.50, 0.70, 0.85, 1.0},   /* other */
	{0.65, 0.60, 0.50, 0.85, 0.90, 1.0},   /* home care */
	{0.88, 0.70, 0.50, 0.65, 0.90, 1.0},   /* care homes */
};

/* Share of concerns and of safeguardings by care type [17/18 3.4, 3.8]:
 * care homes bring most, home care and supported living much of the rest. */
static const double concern_share[CW_CARE__N] = {0.22, 0.44, 0.17, 0.09, 0.03, 0.05};
static const double sg_share[CW_CARE__N] = {0.17, 0.50, 0.18, 0.08, 0.03, 0.04};

/* Safeguarding categories by care type, in enum cw_sg_category order
 * (resident_on_resident, medication_error, neglect, financial_abuse,
 * physical_abuse_by_staff, sexual_abuse, abuse_by_service_user, other):
 * residential [16/17 3.3.2] 53% resident on resident, 25% medication errors
 * or neglect; nursing [3.4.2] 51% and 36%; home care [3.5.2] 60% medication,
 * significant financial abuse and neglect, 15% abuse by the service user;
 * day care [3.6.2] 73% attendee on attendee, 10% sexual; supported living
 * [17/18 3.8.7] medication, abuse by another service user, abuse or neglect
 * by care workers; housing with care [17/18 3.8.6] like home care plus
 * resident on resident. */
static const double sg_mix[CW_CARE__N][CW_SG__N] = {
	{0.00, 0.60, 0.09, 0.10, 0.04, 0.00, 0.15, 0.02},   /* home care */
	{0.53, 0.13, 0.12, 0.04, 0.08, 0.03, 0.00, 0.07},   /* residential */
	{0.51, 0.18, 0.18, 0.02, 0.05, 0.02, 0.00, 0.04},   /* nursing */
	{0.00, 0.33, 0.13, 0.06, 0.12, 0.03, 0.30, 0.03},   /* supported living */
	{0.20, 0.35, 0.12, 0.12, 0.04, 0.02, 0.10, 0.05},   /* housing with care */
	{0.00, 0.05, 0.04, 0.01, 0.02, 0.10, 0.73, 0.05},   /* day care */
};

/* [17/18 3.4] 200-250 provider-related concerns a month; [17/18 3.6] 258 of
 * medium, high or very high risk in six months (about 19%); [16/17 3.2.1]
 * about 45% with a safeguarding element, "about half" [17/18 3.8.1]. */
#define CONCERNS_PER_MONTH 225.0
static const double risk_mix[CW_RISK__N] = {0.81, 0.125, 0.055, 0.01};
/* [17/18 3.8] provider-related MASH referrals, with a cyclical pattern. */
#define SAFEGUARDINGS_PER_MONTH 105.0
/* [16/17 3.1.5] about 60 visits a month: response visits come from cases
 * (about 19 a month), the rest are routine monitoring and, from the two
 * market assurance officers [17/18 5.1.1], PAMMS audits. */
#define ROUTINE_VISITS_PER_MONTH 28.0
#define PAMMS_VISITS_PER_MONTH 12.0
/* [17/18 3.11.3] 10 to 15 care homes under an all-placements restriction at
 * any time; [17/18 3.12.1] ten closures a year with the loss of 235 beds;
 * [17/18 3.12.3] two nursing de-registrations in about two years. */
#define ALL_RESTRICTION_SLOTS 13
#define PARTIAL_RESTRICTION_SLOTS 4
#define CLOSURES_PER_YEAR 10
#define DEREGISTRATIONS_PER_YEAR 1.5
#define BEDS_LOST_PER_YEAR 3
#define NOTICES_PER_YEAR 6
/* [16/17 3.1.4] about 44 active cases per QA officer; [17/18 3.6] 92% of
 * medium and higher concerns responded to on time. */
#define CASES_PER_OFFICER 44
#define ON_TIME 0.92

/* ---- names ----------------------------------------------------------- */

static const char *const name_words[] = {
	"Ashfield", "Beechwood", "Birchwood", "Brambles", "Broadland", "Bure Valley", "Cedar",
	"Chestnut", "Clare", "Elm", "Fairhaven", "Fernbank", "Glebe", "Greenacres", "Hales",
	"Harbour", "Hawthorn", "Heathfield", "Hillcrest", "Holly", "Holmwood", "Kingfisher",
	"Larchwood", "Laurels", "Lime Tree", "Linden", "Longwater", "Maple", "Marshlands",
	"Meadow", "Mill", "Oak", "Oakwood", "Orchard", "Pinewood", "Primrose", "Priory",
	"Rectory", "Riverside", "Rowan", "St Edmund's", "St Mary's", "St Nicholas", "Seaview",
	"Silver Birch", "Southgate", "Springfield", "Sycamore", "The Beeches", "The Elms",
	"The Limes", "Thornage", "Wensum", "Waveney", "Westfield", "Willow", "Windmill",
	"Woodlands", "Yare", "Yew Tree", "Alder", "Bramley", "Brooklands", "Carlton",
	"Cherry Tree", "Cleve", "Dell", "Eastgate", "Elmhurst", "Foxley", "Glenwood", "Hazel",
	"Heron", "Ivy", "Jubilee", "Lavender", "Magnolia", "Manor Farm", "Mayfield", "Mulberry",
	"Oaklands", "Pastures", "Poppy", "Quayside", "Rosewood", "Sandpiper", "Saxon",
	"Somerley", "Sunnyside", "Swallow", "Tudor", "Valley", "Victoria", "Walnut", "Wherry",
	"Whitegates", "Wisteria", "Wren", "Abbey", "Acorn", "Amberley", "Badgers", "Bluebell",
	"Buttercup", "Castle", "Church Farm", "Coastal", "Cornfield", "Dove", "Fen", "Gable",
	"Harvest", "Heath", "Horizon", "Lakeside", "Lark", "Marram", "Meridian", "Morningside",
	"Nightingale", "Orwell", "Parkland", "Pebbles", "Reed", "Rivermead", "Samphire",
	"Skylark", "Staithe", "Thatched", "Tower", "Warren", "Wildflower",
};

static const char *const suffix_residential[] = {
	"House", "Lodge", "Court", "Manor", "Hall", "Residential Home", "Care Home", "Rest Home",
	"Gardens", "Grange", "View",
};
static const char *const suffix_nursing[] = {
	"Nursing Home", "Care Centre", "Nursing and Residential Home", "House", "Hall", "Manor",
	"Lodge",
};
static const char *const suffix_home_care[] = {
	"Home Care", "Care Services", "Homecare", "Care at Home", "Domiciliary Care",
	"Community Care", "Care Agency",
};
static const char *const suffix_supported[] = {
	"Supported Living", "Community Support", "Support Services", "Supported Living Services",
};
static const char *const suffix_housing[] = {
	"Court", "Extra Care Housing", "Housing with Care", "Gardens",
};
static const char *const suffix_day[] = {
	"Day Centre", "Day Services", "Resource Centre", "Day Club", "Friendship Club",
};

static const char *const group_first[] = {
	"Anglia", "Eastern Counties", "Broadland", "Heritage", "Coastal", "Wensum", "Fenland",
	"Meridian", "Sovereign", "Harmony", "Beacon", "Keystone", "Oakleaf", "Evergreen",
	"Cornerstone", "Greenfields", "Kingsway", "Lighthouse", "Riverside", "Trinity",
};
static const char *const group_second[] = {
	"Care Group", "Care Homes Ltd", "Healthcare Ltd", "Care Partnership", "Care Ltd",
	"Living Ltd", "Care Services Ltd", "Homes Ltd",
};

static const char *const first_names[] = {
	"Sarah", "James", "Priya", "Tom", "Helen", "Gary", "Rachel", "Mark", "Julie", "David",
	"Emma", "Paul", "Claire", "Andrew", "Louise", "Stephen", "Karen", "Michael", "Joanne",
	"Richard", "Nicola", "Simon", "Amanda", "Peter", "Lisa", "Ian", "Michelle", "Neil",
	"Kate", "Adrian", "Fiona", "Daniel", "Gemma", "Chris", "Angela", "Robert", "Hannah",
	"Martin", "Laura", "Graham", "Sophie", "Kevin", "Rebecca", "Anthony", "Alison", "Sean",
	"Deborah", "Lee", "Tracey", "Matthew", "Jo", "Aisha", "Tomasz", "Grace", "Oluwaseun",
	"Ewa", "Rajesh", "Catherine", "Owen", "Bethany",
};
static const char *const surnames[] = {
	"Hewitt", "Okafor", "Raman", "Blake", "Morris", "Pointer", "Adeyemi", "Gedge", "Ferris",
	"Kerrison", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
	"Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
	"Green", "Hall", "Wood", "Jackson", "Clarke", "Howes", "Bunting", "Gotts", "Thrower",
	"Rix", "Loades", "Spurgeon", "Utting", "Bircham", "Cubitt", "Daniels", "Eastaugh",
	"Feek", "Greenacre", "Hipkin", "Ketteringham", "Larter", "Mallett", "Nobbs", "Pegg",
	"Rudd", "Seago", "Tuck", "Wegg", "Youngs", "Kowalski", "Patel", "Nowak", "Mensah",
	"Chaudhry", "Ahmed", "Murphy", "O'Brien", "Sutton", "Barker", "Fisher", "Harvey",
};

/* ---- free text: the words officers write ------------------------------ */

static const char *const concern_text[CW_CC__N][6] = {
	{ "Family report their relative was left in soiled bedding until late morning.",
	  "Care worker reported to be rough when helping a resident to transfer from bed to chair.",
	  "Repositioning charts not completed for a person at risk of pressure ulcers.",
	  "Call bell left out of reach; the person waited over 40 minutes for help to the toilet.",
	  "Moving and handling plan not followed: a two-person transfer done by one care worker.",
	  "Daughter concerned that her mother is not being helped to wash or dress." },
	{ "Evening medication missed on two consecutive days.",
	  "Medication administration record has gaps for a person on blood thinners.",
	  "Wrong dose of pain relief given after the prescription changed.",
	  "Controlled drugs register does not balance.",
	  "Tablets left on the table and not taken; the care worker did not stay to prompt.",
	  "Insulin given late on several occasions." },
	{ "Night shift covered by one care worker for the whole home.",
	  "Heavy reliance on agency staff who do not know people's needs.",
	  "Visits cut short by care workers who have too many calls.",
	  "No registered manager in post for over three months.",
	  "Staff say they have not had moving and handling training.",
	  "Missed home care visits reported over a weekend." },
	{ "Broken window in a bedroom not repaired for weeks.",
	  "Strong smell of urine in the lounge and corridors.",
	  "Fire door wedged open on the first floor.",
	  "Heating not working in part of the building.",
	  "Trip hazards in the garden and unlit outside steps.",
	  "Hoist out of service awaiting repair; no replacement arranged." },
	{ "Complaint not answered by the provider within its own timescales.",
	  "Notifications to CQC not made following incidents.",
	  "Provider did not share its action plan after the last monitoring visit.",
	  "Care plans out of date and not reviewed after a hospital discharge.",
	  "Safeguarding incident not reported to the council.",
	  "Audits not carried out since the manager left." },
	{ "Family not told about their relative's fall until the next day.",
	  "Person not told that visit times had changed.",
	  "Relatives unable to get through to the office by phone.",
	  "Hospital discharge information not passed on to care staff.",
	  "Social worker not informed of a change in the person's needs.",
	  "GP advice not passed on to the night staff." },
	{ "Staff not wearing gloves and aprons when giving personal care.",
	  "Outbreak of diarrhoea and vomiting reported late to public health.",
	  "Soiled laundry stored next to clean linen.",
	  "Cleaning schedules not completed for communal bathrooms.",
	  "Sharps bin overfilled and left in a communal area.",
	  "Hand-washing facilities in the sluice not working." },
	{ "Person losing weight; food and fluid charts not kept.",
	  "Drinks left out of reach of a person who cannot pour for themselves.",
	  "Meals served cold and people not helped to eat.",
	  "Modified diet not followed for a person with swallowing difficulties.",
	  "Fridge empty at a home care visit; no shopping arranged.",
	  "Dietitian's advice not in the care plan." },
	{ "Anonymous caller raised general concerns about the running of the service.",
	  "Concerns about the way the provider handles people's money.",
	  "Neighbour reported shouting heard from the premises at night.",
	  "Concern about a person's belongings going missing.",
	  "Concern raised about the use of a door sensor without a best-interests decision.",
	  "Person's room moved without consulting the family." },
};

static const char *const visit_text[CW_VO__N][3] = {
	{ "No concerns found. Records in order and people spoke well of the staff.",
	  "Visit found good practice; the action plan from the last visit is complete.",
	  "No concerns. Manager engaged well and shared recent audits." },
	{ "Minor issues with record keeping; the manager agreed to address them within a week.",
	  "Some care plans need reviewing; otherwise care observed was kind and unhurried.",
	  "Small gaps in the MAR charts discussed with the deputy manager." },
	{ "Significant gaps in medication records and care plans; action plan requested.",
	  "Staffing levels on the day did not match the rota; follow-up visit booked.",
	  "Several people had not been repositioned as planned; concerns shared with CQC." },
	{ "Serious concerns about the safety of people using the service; placements reviewed.",
	  "People at risk from poor medication management; safeguarding referrals made.",
	  "Unsafe staffing and poor hygiene found; CQC and commissioners informed the same day." },
};

static const char *const response_text[] = {
	"Spoke to the registered manager, who is investigating and will report back.",
	"Visited and checked records; the provider has put an action plan in place.",
	"Discussed with the family and the provider; monitoring arrangements agreed.",
	"Asked the provider for a written account and their care records.",
	"Joint visit with the social worker; immediate actions agreed.",
};

static const char *const closure_text[] = {
	"Provider action plan received and checked at a follow-up visit; no further concerns.",
	"Concern not substantiated after review of records and staff interviews.",
	"Issues resolved with the provider; family informed of the outcome.",
	"Partly substantiated; improvements confirmed at a follow-up visit.",
	"Logged for the provider's risk profile; no further action needed.",
	"Referred to CQC for their information; council monitoring continues through routine visits.",
};

static const char *const restriction_all_text[] = {
	"Serious concerns about medication management found at a response visit.",
	"Inadequate CQC rating and safeguarding enquiries ongoing.",
	"Unsafe staffing levels at night; agency cover not assured.",
	"Several substantiated safeguardings in three months; leadership not effective.",
};
static const char *const restriction_partial_text[] = {
	"No new placements of people with nursing needs until clinical leadership is in place.",
	"New packages limited while missed visits are investigated.",
	"No placements of people living with dementia until staff training is complete.",
};
static const char *const notice_text[] = {
	"Repeated missed and late visits in breach of the contract.",
	"Failure to complete the agreed improvement plan.",
	"Quality standards not met at two consecutive monitoring visits.",
	"Staffing below the contracted level for three months.",
};
static const char *const sg_text[] = {
	"Provider-related referral from MASH; QA to support the enquiry.",
	"Referral raised by the provider itself after an incident.",
	"Referral from a health professional following a hospital admission.",
	"Referral from a family member; enquiry led by the locality team.",
};

/* ---- the data set ---------------------------------------------------- */

struct prov {
	uint8_t id[16];
	char *name;
	int org;
	int town;
	int loc;
	int care;              /* at the end (a de-registered nursing home is residential) */
	int care_then;         /* before a nursing de-registration */
	int beds;              /* at the end, -1 none */
	int beds_then;
	double bad;            /* hidden quality at the end: N(0,1), higher is worse */
	float *q;              /* hidden quality month by month (see quality()) */
	double vis;            /* how much intelligence it draws besides its quality */
	double nu;             /* why the team works with it besides its quality */
	int64_t reg_day;
	int64_t closed_day;    /* NEVER when open */
	int64_t change_day;    /* nursing de-registration or beds lost, NEVER when none */
	int64_t restricted_to; /* last day of its latest restriction (planning) */
	char cqc_id[16];
	char postcode[10];
	/* case simulation: officers holding this provider's open cases */
	int16_t hold_off[4];
	int16_t hold_n[4];
};

struct org {
	uint8_t id[16];
	char *name;
	char cqc_id[16];
	cw_time created;
};

enum post { POST_QA, POST_MAO, POST_MANAGER };
static const char *const post_word[] = {"qa_officer", "market_assurance", "quality_manager"};

struct officer {
	char login[64];
	char name[80];
	double fte;
	enum post post;
	int locs[2];
	int nlocs;
	uint8_t *away;         /* per day from day0, 1 on leave */
};

struct leave {
	uint8_t id[16];
	int officer;
	int64_t first, last;
	cw_time recorded_at;
};

struct gcase {
	uint8_t concern_id[16];
	uint8_t visit_id[16];      /* the response visit, when the response was one */
	uint8_t resp_id[16];
	uint8_t assign_id[16];
	int prov;
	cw_time opened, recorded, due, responded, closed;
	int16_t officer;           /* -1 unassigned */
	int16_t logger;            /* who logged the concern */
	uint8_t risk;
	int8_t resp_kind;          /* 0 visit, 1 phone, 2 email, 3 letter, 4 meeting; -1 none */
	uint8_t how;               /* 0 lowest_load, 1 continuity, 2 unassigned */
	uint8_t visit_outcome;
	uint8_t text;
};

static const char *const resp_kind_word[] = {"visit", "phone", "email", "letter", "meeting"};
static const char *const how_word[] = {"lowest_load", "continuity", "unassigned"};

struct scale {
	const char *name;
	int providers;
	int qa_officers;        /* 0: the Norfolk team of the reports */
	bool low_cases;         /* every concern opens a case; else medium and above */
	long records;           /* intelligence records to aim for; 0: the reports' volumes */
};

static struct {
	struct scale sc;
	uint64_t seed;
	int64_t day0;            /* first day of the window */
	int64_t end_day;         /* the as-of day: everything happens before it */
	cw_time t0, t_end;
	double events;           /* multiplier on the monthly volumes */
	double case_life;        /* mean days a case stays open after its response */

	struct prov *prov;
	int nprov;
	struct org *org;
	int norg;
	struct officer *off;
	int noff;
	struct leave *leave;
	int nleave;
	char analyst_login[64];  /* the information analyst: imports, surveys */
	int manager;             /* officer index of the quality manager */
	int away_days;           /* length of each officer's away[] */
	int *loc_qa[LOC_N];      /* QA officers covering each locality */
	int nloc_qa[LOC_N];
	int *mao;                /* market assurance officers */
	int nmao;

	int q_month0;            /* year * 12 + month - 1 of the quality path's first month */
	int nq;                  /* months in every provider's quality path */
	float *qbuf;             /* the paths, nq per provider */
	double inv_thr[CW_CARE__N];  /* involvement: see involvement() */

	struct gcase *cases;
	long ncases, capcases;

	const struct cw_ruleset *rs;
	struct cw_calendar *cal;
	double weight[CW_RISK__N];
	int response_days[CW_RISK__N];
	long counts[16];
} g;

static bool
active_on(const struct prov *p, int64_t day)
{
	return p->reg_day <= day && day < p->closed_day;
}

static int
care_on(const struct prov *p, int64_t day)
{
	return day < p->change_day ? p->care_then : p->care;
}

static bool
care_home(int care)
{
	return care == CW_CARE_RESIDENTIAL || care == CW_CARE_NURSING;
}

/* A London wall-clock time on day. */
static cw_time
at_london(int64_t day, int minute_of_day)
{
	struct cw_date d = cw_date_from_days(day);
	struct cw_datetime l = {d.y, d.m, d.d, minute_of_day / 60, minute_of_day % 60, 0, 0};

	return cw_london_to_time(l);
}

static bool
weekday(int64_t day)
{
	return cw_date_weekday(cw_date_from_days(day)) <= 5;
}

/* A working-hours time on a weekday of [from, to): for visits, inspections. */
static cw_time
office_time(struct cw_rng *r, int64_t from, int64_t to)
{
	int64_t day = rng_int(r, from, to - 1);

	for (int i = 0; i < 7 && !weekday(day); i++)
		day = day + 1 < to ? day + 1 : from;
	return at_london(day, (int)rng_int(r, 9 * 60 + 15, 16 * 60 + 30)) + rng_int(r, 0, 59);
}

/* Records are never stamped after the data set's end (the as-of day). */
static cw_time
clamp_before_end(cw_time t)
{
	return t < g.t_end ? t : g.t_end - 60;
}

/* A QA officer covering loc who is at work on day (any of them when all are
 * away; -1 when nobody covers it). */
static int
qa_covering(struct cw_rng *r, int loc, int64_t day)
{
	const int *list = g.loc_qa[loc];
	int n = g.nloc_qa[loc];

	if (n == 0)
		return -1;
	for (int tries = 0; tries < 8; tries++) {
		int i = list[rng_int(r, 0, n - 1)];
		if (!(day >= g.day0 && day - g.day0 < g.away_days && g.off[i].away[day - g.day0]))
			return i;
	}
	return list[rng_int(r, 0, n - 1)];
}

static const char *
login_of(int officer)
{
	return officer >= 0 ? g.off[officer].login : g.analyst_login;
}

/* ---- the QA team [16/17 3.1.1]: a quality manager, six QA officers (5.3
 * FTE) and two market assurance officers ---------------------------------- */

struct team_member {
	const char *login, *name;
	double fte;
	enum post post;
	int locs[2];
	int nlocs;
};

static const struct team_member norfolk_team[] = {
	{"shewitt", "Sarah Hewitt", 1.0, POST_QA, {0, 3}, 2},
	{"jokafor", "James Okafor", 1.0, POST_QA, {1, 4}, 2},
	{"praman", "Priya Raman", 1.0, POST_QA, {2, 4}, 2},
	{"tblake", "Tom Blake", 0.8, POST_QA, {3, 0}, 2},
	{"hmorris", "Helen Morris", 0.8, POST_QA, {1, 2}, 2},
	{"gpointer", "Gary Pointer", 0.7, POST_QA, {4, 0}, 2},
	{"radeyemi", "Rachel Adeyemi", 1.0, POST_MAO, {0, 0}, 0},
	{"mgedge", "Mark Gedge", 1.0, POST_MAO, {0, 0}, 0},
	{"jferris", "Julie Ferris", 1.0, POST_MANAGER, {0, 0}, 0},
};

static void
add_officer(const char *login, const char *name, double fte, enum post post, const int *locs,
	    int nlocs)
{
	struct officer *o;

	g.off = xrealloc(g.off, sizeof(*g.off) * (size_t)(g.noff + 1));
	o = &g.off[g.noff++];
	memset(o, 0, sizeof(*o));
	snprintf(o->login, sizeof(o->login), "%s", login);
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->fte = fte;
	o->post = post;
	o->nlocs = nlocs;
	for (int i = 0; i < nlocs; i++)
		o->locs[i] = locs[i];
	o->away = xcalloc((size_t)g.away_days, 1);
}

/* A unique login in the council's style: initial and surname, lower case. */
static void
make_login(struct strset *logins, const char *first, const char *last, char *out, size_t size)
{
	char base[48];
	size_t n = 0;

	base[n++] = (char)(first[0] - 'A' + 'a');
	for (const char *s = last; *s && n < sizeof(base) - 8; s++)
		if (*s >= 'A' && *s <= 'Z')
			base[n++] = (char)(*s - 'A' + 'a');
		else if (*s >= 'a' && *s <= 'z')
			base[n++] = *s;
	base[n] = '\0';
	snprintf(out, size, "%s", base);
	for (int k = 2; !strset_add(logins, out); k++)
		snprintf(out, size, "%s%d", base, k);
}

static void
add_leave(struct cw_rng *r, int officer, int64_t first, int64_t last)
{
	struct leave *l;

	g.leave = xrealloc(g.leave, sizeof(*g.leave) * (size_t)(g.nleave + 1));
	l = &g.leave[g.nleave++];
	l->officer = officer;
	l->first = first;
	l->last = last;
	/* Booked a few weeks ahead, by the manager. */
	l->recorded_at = clamp_before_end(office_time(r, first - 60, first - 13));
	uuid_at(r, l->recorded_at, l->id);
	for (int64_t d = first; d <= last; d++)
		if (d >= g.day0 && d - g.day0 < g.away_days)
			g.off[officer].away[d - g.day0] = 1;
}

static void
build_team(void)
{
	struct cw_rng r;
	struct strset logins = {0};

	rng_seed(&r, g.seed, ST_OFFICERS);
	g.away_days = WINDOW_DAYS + 62;
	if (g.sc.qa_officers == 0) {
		for (size_t i = 0; i < sizeof(norfolk_team) / sizeof(norfolk_team[0]); i++) {
			const struct team_member *m = &norfolk_team[i];
			add_officer(m->login, m->name, m->fte, m->post, m->locs, m->nlocs);
		}
		snprintf(g.analyst_login, sizeof(g.analyst_login), "dkerrison");
	} else {
		int nqa = g.sc.qa_officers, nmao = (nqa + 2) / 3, nman = nqa / 6 > 0 ? nqa / 6 : 1;
		static const double ftes[] = {0.6, 0.7, 0.8, 0.9};
		for (int i = 0; i < nqa + nmao + nman; i++) {
			const char *first = PICK(&r, first_names), *last = PICK(&r, surnames);
			char login[64], name[80];
			int locs[2], nlocs = 0;
			enum post post = i < nqa ? POST_QA : i < nqa + nmao ? POST_MAO : POST_MANAGER;
			double fte = rng_chance(&r, 0.7) ? 1.0 : PICK(&r, ftes);

			make_login(&logins, first, last, login, sizeof(login));
			snprintf(name, sizeof(name), "%s %s", first, last);
			if (post == POST_QA) {
				locs[nlocs++] = rng_pick(&r, loc_share, LOC_N);
				if (rng_chance(&r, 0.6)) {
					int second = (int)rng_int(&r, 0, LOC_N - 2);
					locs[nlocs++] = second >= locs[0] ? second + 1 : second;
				}
			}
			add_officer(login, name, fte, post, locs, nlocs);
		}
		make_login(&logins, "David", "Kerrison", g.analyst_login, sizeof(g.analyst_login));
	}
	strset_free(&logins);
	for (int i = 0; i < g.noff; i++) {
		const struct officer *o = &g.off[i];
		if (o->post == POST_MANAGER && g.manager < 0)
			g.manager = i;
		if (o->post == POST_MAO) {
			g.mao = xrealloc(g.mao, sizeof(int) * (size_t)(g.nmao + 1));
			g.mao[g.nmao++] = i;
		}
		for (int k = 0; k < o->nlocs && o->post == POST_QA; k++) {
			int l = o->locs[k];
			g.loc_qa[l] = xrealloc(g.loc_qa[l], sizeof(int) * (size_t)(g.nloc_qa[l] + 1));
			g.loc_qa[l][g.nloc_qa[l]++] = i;
		}
	}
	/* Leave: about 27 days a year in spells of one to ten days, from a
	 * month before the window to two months after (leave is booked ahead). */
	for (int i = 0; i < g.noff; i++) {
		int64_t d = g.day0 - 30 - rng_int(&r, 0, 60);
		/* Norfolk: Tom Blake is away now, so the demo shows leave at work. */
		bool special = g.sc.qa_officers == 0 && strcmp(g.off[i].login, "tblake") == 0;
		while (true) {
			int64_t len = rng_chance(&r, 0.3) ? rng_int(&r, 7, 13) : rng_int(&r, 1, 4);
			d += rng_int(&r, 35, 110);
			if (d > g.end_day + 60)
				break;
			if (special && d + len >= g.end_day - 20 && d <= g.end_day + 10)
				continue;
			add_leave(&r, i, d, d + len - 1);
			d += len;
		}
		if (special)
			add_leave(&r, i, g.end_day - 3, g.end_day + 6);
	}
}

/* ---- providers and organisations ------------------------------------- */

static int
add_org(struct cw_rng *r, const char *name, bool regulated, struct strset *ids)
{
	struct org *o;

	g.org = xrealloc(g.org, sizeof(*g.org) * (size_t)(g.norg + 1));
	o = &g.org[g.norg];
	memset(o, 0, sizeof(*o));
	uuid_random(r, o->id);
	o->name = xstrdup(name);
	if (regulated)
		do
			snprintf(o->cqc_id, sizeof(o->cqc_id), "1-%09ld", (long)rng_int(r, 100000000, 999999999));
		while (!strset_add(ids, o->cqc_id));
	return g.norg++;
}

static void
provider_name(struct cw_rng *r, struct strset *names, int care, int town, char *out, size_t size)
{
	const char *word, *suffix, *place = towns[town].name;

	for (int tries = 0;; tries++) {
		word = PICK(r, name_words);
		switch (care) {
		case CW_CARE_HOME_CARE: suffix = PICK(r, suffix_home_care); break;
		case CW_CARE_RESIDENTIAL: suffix = PICK(r, suffix_residential); break;
		case CW_CARE_NURSING: suffix = PICK(r, suffix_nursing); break;
		case CW_CARE_SUPPORTED_LIVING: suffix = PICK(r, suffix_supported); break;
		case CW_CARE_HOUSING_WITH_CARE: suffix = PICK(r, suffix_housing); break;
		default: suffix = PICK(r, suffix_day); break;
		}
		if (care == CW_CARE_DAY_CARE && rng_chance(r, 0.4))
			snprintf(out, size, "%s %s", place, suffix);
		else if (tries < 3)
			snprintf(out, size, "%s %s", word, suffix);
		else if (tries < 12)
			snprintf(out, size, "%s %s (%s)", word, suffix, place);
		else
			snprintf(out, size, "%s %s (%s %d)", word, suffix, place, tries - 10);
		if (strset_add(names, out))
			return;
	}
}

static int
pick_town(struct cw_rng *r, int loc)
{
	int first = -1, n = 0;

	for (int i = 0; i < N_TOWNS; i++)
		if (towns[i].loc == loc) {
			if (first < 0)
				first = i;
			n++;
		}
	return first + (int)rng_int(r, 0, n - 1);
}

/* When a provider registered on reg_day was added to carewatch. */
static cw_time
created_at(int64_t reg_day, int i)
{
	if (reg_day < g.day0)
		return at_london(g.day0 - 1, 10 * 60) + i % 3600;
	return at_london(reg_day + 3 + i % 10, 10 * 60 + i % 300);
}

static const double involved_share[CW_CARE__N] = {0.28, 0.62, 0.78, 0.55, 0.55, 0.22};

static void
build_providers(void)
{
	static const double chain_p[CW_CARE__N] = {0.2, 0.35, 0.45, 0.45, 0.5, 0.15};
	static const char letters[] = "ABDEFGHJLNPQRSTUWXYZ";
	struct cw_rng r, ro;
	struct strset names = {0}, ids = {0}, orgnames = {0};
	int counts[CW_CARE__N], total = 0, nchain[CW_CARE__N] = {0}, *chains[CW_CARE__N];
	double f = g.sc.providers / 760.0;
	int64_t cqc_start = cw_date_to_days((struct cw_date){2010, 10, 1});

	rng_seed(&r, g.seed, ST_PROVIDERS);
	rng_seed(&ro, g.seed, ST_ORGS);
	for (int c = 0; c < CW_CARE__N; c++) {
		counts[c] = (int)lround(norfolk_mix[c] * f);
		total += counts[c];
	}
	counts[CW_CARE_RESIDENTIAL] += g.sc.providers - total;
	if (counts[CW_CARE_RESIDENTIAL] < 0)
		counts[CW_CARE_RESIDENTIAL] = 0;

	/* Groups running several services: care home chains, home care
	 * franchises, supported living and housing with care landlords, and
	 * charities running several day centres (not CQC-registered). */
	for (int c = 0; c < CW_CARE__N; c++) {
		static const int norfolk_chains[CW_CARE__N] = {4, 8, 3, 3, 2, 4};
		int n = (int)lround(norfolk_chains[c] * f);
		chains[c] = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
		for (int k = 0; k < n; k++) {
			char name[160];
			int tries = 0;
			do {
				if (tries++ < 4)
					snprintf(name, sizeof(name), "%s %s", PICK(&ro, group_first),
						 PICK(&ro, group_second));
				else
					snprintf(name, sizeof(name), "%s %s %s", PICK(&ro, group_first),
						 PICK(&ro, name_words), PICK(&ro, group_second));
			} while (!strset_add(&orgnames, name));
			chains[c][nchain[c]++] = add_org(&ro, name, c != CW_CARE_DAY_CARE, &ids);
		}
	}

	g.prov = xcalloc((size_t)g.sc.providers, sizeof(*g.prov));
	for (int c = 0; c < CW_CARE__N; c++) {
		for (int k = 0; k < counts[c]; k++) {
			struct prov *p = &g.prov[g.nprov++];
			double lw[LOC_N];
			char name[200];

			uuid_random(&r, p->id);
			for (int l = 0; l < LOC_N; l++)
				lw[l] = loc_share[l] * (l == 4 ? (care_home(c) ? 0.7 : c == CW_CARE_HOME_CARE ? 1.6 : 1.0) : 1.0);
			p->loc = rng_pick(&r, lw, LOC_N);
			p->town = pick_town(&r, p->loc);
			p->care = p->care_then = c;
			p->bad = rng_normal(&r);
			p->vis = exp(0.35 * rng_normal(&r));
			if (c == CW_CARE_RESIDENTIAL)
				p->beds = (int)fmin(90, fmax(5, lround(exp(3.2 + 0.45 * rng_normal(&r)))));
			else if (c == CW_CARE_NURSING)
				p->beds = (int)fmin(120, fmax(20, lround(exp(3.75 + 0.35 * rng_normal(&r)))));
			else
				p->beds = -1;
			p->beds_then = p->beds;
			/* Most services predate the window; about 6% opened during it. */
			if (rng_chance(&r, 0.06))
				p->reg_day = rng_int(&r, g.day0, g.end_day - 30);
			else
				p->reg_day = rng_int(&r, cqc_start, g.day0 - 200);
			p->closed_day = p->change_day = NEVER;
			p->restricted_to = INT64_MIN;
			provider_name(&r, &names, c, p->town, name, sizeof(name));
			p->name = xstrdup(name);
			snprintf(p->postcode, sizeof(p->postcode), "%s %d%c%c", towns[p->town].district,
				 (int)rng_int(&r, 1, 9), letters[rng_int(&r, 0, 19)], letters[rng_int(&r, 0, 19)]);
			if (c != CW_CARE_DAY_CARE)
				do
					if (rng_chance(&r, 0.6))
						snprintf(p->cqc_id, sizeof(p->cqc_id), "1-1%09ld",
							 (long)rng_int(&r, 0, 999999999));
					else
						snprintf(p->cqc_id, sizeof(p->cqc_id), "1-%ld%08ld",
							 (long)rng_int(&r, 1, 5), (long)rng_int(&r, 0, 99999999));
				while (!strset_add(&ids, p->cqc_id));
			if (nchain[c] && rng_chance(&ro, chain_p[c])) {
				p->org = chains[c][rng_int(&ro, 0, nchain[c] - 1)];
			} else {
				char oname[260];
				switch (rng_int(&ro, 0, 3)) {
				case 0:
					snprintf(oname, sizeof(oname), "%s Ltd", p->name);
					break;
				case 1:
					snprintf(oname, sizeof(oname), "%s Care Ltd", PICK(&ro, surnames));
					break;
				case 2:
					snprintf(oname, sizeof(oname), "%s and %s Partnership", PICK(&ro, surnames),
						 PICK(&ro, surnames));
					break;
				default:
					snprintf(oname, sizeof(oname), c == CW_CARE_DAY_CARE ? "%s Community Trust"
											  : "%s Healthcare Ltd",
						 c == CW_CARE_DAY_CARE ? towns[p->town].name : PICK(&ro, name_words));
				}
				p->org = add_org(&ro, oname, c != CW_CARE_DAY_CARE, &ids);
				g.org[p->org].created = NEVER;
			}
			if (g.org[p->org].created == 0 || g.org[p->org].created > created_at(p->reg_day, g.nprov - 1))
				g.org[p->org].created = created_at(p->reg_day, g.nprov - 1);
		}
		free(chains[c]);
	}
	/* Latent quality by stratified sampling within each care type, so the
	 * ratings drawn from it reproduce the reports' tables closely rather
	 * than only on average. */
	{
		int *perm = xcalloc((size_t)g.nprov, sizeof(int));
		for (int c = 0; c < CW_CARE__N; c++) {
			int n = 0;
			for (int i = 0; i < g.nprov; i++)
				if (g.prov[i].care_then == c)
					perm[n++] = i;
			for (int i = n - 1; i > 0; i--) {
				int j = (int)rng_int(&r, 0, i), t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
			for (int i = 0; i < n; i++)
				g.prov[perm[i]].bad = inv_normal((i + rng_unit(&r)) / n);
			/* Why the team works with a provider besides its quality
			 * (see involvement()). */
			for (int i = 0; i < n; i++)
				g.prov[perm[i]].nu = rng_normal(&r);
		}
		free(perm);
	}
	strset_free(&names);
	strset_free(&ids);
	strset_free(&orgnames);
}

/* ---- the hidden quality ---------------------------------------------- */

/*
 * What makes the world not circular.  Each provider has a hidden quality
 * that drifts month by month: a stationary Gaussian (AR(1)) path with unit
 * variance, month-to-month correlation QUALITY_PHI (0.6 over a year, so
 * about half of a provider's standing is new after two years: [17/18 4.3]
 * 30.2% of providers rated good at the start of the year were downgraded
 * during it), higher is worse.  Its value on the data set's last day is
 * `bad`, drawn by stratified sampling so that the market's mix matches the
 * reports; the path runs backwards from there (the process is
 * time-reversible), QUALITY_YEARS before the window so that CQC's
 * inspection cycle is under way when the window opens.  A market-wide trend
 * makes everyone a little worse the further back, up to two years [16/17
 * 2.3.2: 57% good in January 2016, 73% by December].
 *
 * Everything else is drawn from quality(p, day), each with noise of its
 * own: which providers draw concerns and safeguardings and how grave they
 * are, what visits, IPC inspections and surveys find, restrictions,
 * notices and closures, and what CQC finds at its inspections, which it
 * publishes months later.  So the intelligence the team records and the
 * ratings CQC publishes are two noisy, differently delayed views of the
 * same thing, and neither is made from the other.
 */
#define QUALITY_PHI 0.9583
#define QUALITY_YEARS 4
#define TREND_PER_YEAR 0.15

static int
month_index(int64_t day)
{
	/* Most callers ask about one day for every provider in turn. */
	static int64_t last_day = INT64_MIN;
	static int last_k;
	struct cw_date d;
	int k;

	if (day == last_day)
		return last_k;
	d = cw_date_from_days(day);
	k = d.y * 12 + d.m - 1 - g.q_month0;
	last_day = day;
	last_k = k < 0 ? 0 : k >= g.nq ? g.nq - 1 : k;
	return last_k;
}

static double
quality(const struct prov *p, int64_t day)
{
	double back = (double)(g.end_day - day) / 365.0;

	back = back < 0 ? 0 : back > 2 ? 2 : back;
	return p->q[month_index(day)] + TREND_PER_YEAR * (back - 0.75);
}

/* [16/17 3.1.5] the team is involved with 40% of providers: 75% of nursing
 * homes, 60% of residential homes, 25% of home care agencies, 20% of day
 * services; mostly, but not only, the poorer ones.  A provider is involved
 * while its quality plus 0.7 nu clears its care type's threshold (set so
 * that the share holds at any time), with a soft edge: the weight moves
 * from 0 to 1 over about half a standard deviation. */
static double
involvement(const struct prov *p, int64_t day)
{
	double x = (quality(p, day) + 0.7 * p->nu - g.inv_thr[p->care_then]) / 0.25;

	return 0.5 * erfc(-x / M_SQRT2);
}

/* outsider when not involved, 1 when involved, in between near the edge. */
static double
involved_weight(const struct prov *p, int64_t day, double outsider)
{
	return outsider + (1 - outsider) * involvement(p, day);
}

static void
build_quality(void)
{
	struct cw_date first = cw_date_from_days(g.day0 - QUALITY_YEARS * 365);
	struct cw_date last = cw_date_from_days(g.end_day);
	double innov = sqrt(1 - QUALITY_PHI * QUALITY_PHI);
	struct cw_rng r;

	rng_seed(&r, g.seed, ST_QUALITY);
	g.q_month0 = first.y * 12 + first.m - 1;
	g.nq = last.y * 12 + last.m - 1 - g.q_month0 + 1;
	g.qbuf = xcalloc((size_t)g.nprov * (size_t)g.nq, sizeof(float));
	for (int c = 0; c < CW_CARE__N; c++)
		g.inv_thr[c] = sqrt(1 + 0.49) * inv_normal(1 - involved_share[c]);
	for (int i = 0; i < g.nprov; i++) {
		struct prov *p = &g.prov[i];
		double q = p->bad;
		p->q = g.qbuf + (size_t)i * (size_t)g.nq;
		for (int k = g.nq - 1; k >= 0; k--) {
			p->q[k] = (float)q;
			q = QUALITY_PHI * q + innov * rng_normal(&r);
		}
	}
}

/* ---- provider loss [17/18 3.12] --------------------------------------- */

struct loss {
	int prov;
	int kind;                 /* enum cw_loss_kind */
	int64_t day;
	int beds;
};
static struct loss *losses;
static int nlosses;

static void
plan_losses(void)
{
	double f = g.sc.providers / 760.0, years = WINDOW_DAYS / 365.0;
	int nclose = (int)lround(CLOSURES_PER_YEAR * years * f);
	int ndereg = (int)lround(DEREGISTRATIONS_PER_YEAR * years * f);
	int nbeds = (int)lround(BEDS_LOST_PER_YEAR * years * f);
	struct cw_rng r;

	rng_seed(&r, g.seed, ST_LOSS);
	losses = xcalloc((size_t)(nclose + ndereg + nbeds + 1), sizeof(*losses));
	for (int k = 0; k < nclose + ndereg + nbeds; k++) {
		int kind = k < nclose ? CW_LOSS_CLOSURE : k < nclose + ndereg ? CW_LOSS_NURSING_DEREGISTRATION
									    : CW_LOSS_BEDS_LOST;
		int64_t day = rng_int(&r, g.day0 + 20, g.end_day - 5);
		struct sampler from = {0};
		struct prov *p;
		struct loss *l;
		int i;

		/* Closures follow quality problems and vacancies, as they are on
		 * the day; small, old homes go first [17/18 3.12.3, 5.1.6]. */
		for (int j = 0; j < g.nprov; j++) {
			const struct prov *c = &g.prov[j];
			if (!care_home(c->care) || c->reg_day > g.day0 || c->closed_day != NEVER ||
			    c->change_day != NEVER || (kind == CW_LOSS_NURSING_DEREGISTRATION && c->care != CW_CARE_NURSING))
				continue;
			sampler_add(&from, j, kind == CW_LOSS_NURSING_DEREGISTRATION ? exp(0.8 * quality(c, day))
										 : exp(1.2 * quality(c, day)) * 30.0 / c->beds);
		}
		i = sampler_draw(&from, &r);
		sampler_free(&from);
		if (i < 0)
			continue;
		p = &g.prov[i];
		l = &losses[nlosses++];
		l->prov = i;
		l->kind = kind;
		l->day = day;
		if (kind == CW_LOSS_CLOSURE) {
			p->closed_day = l->day;
			l->beds = p->beds;
		} else if (kind == CW_LOSS_NURSING_DEREGISTRATION) {
			/* The home keeps its residents and beds, as a residential home. */
			p->change_day = l->day;
			p->care = CW_CARE_RESIDENTIAL;
			l->beds = (int)rng_int(&r, 8, p->beds / 2 + 8);
		} else {
			p->change_day = l->day;
			l->beds = (int)rng_int(&r, 2, p->beds / 4 + 2);
			p->beds = p->beds - l->beds >= 5 ? p->beds - l->beds : 5;
		}
	}
}

/* ---- loading: reference data ----------------------------------------- */

enum { K_CONCERN, K_VISIT, K_SAFEGUARDING, K_CQC, K_IPC, K_SURVEY, K_RESTRICTION, K_LIFT,
	K_NOTICE, K_LOSS, K_CASE, K_CASE_OPEN, K__N };

static void
load_team(PGconn *conn)
{
	struct copy c;

	/* created_at: the team was set up the day before the window opens. */
	copy_begin(&c, conn, "officer", "login, name, fte, post, active, takes_cases, created_at");
	for (int i = 0; i < g.noff; i++) {
		char fte[16];
		snprintf(fte, sizeof(fte), "%.2f", g.off[i].fte);
		copy_str(&c, g.off[i].login);
		copy_text(&c, g.off[i].name);
		copy_str(&c, fte);
		copy_str(&c, post_word[g.off[i].post]);
		copy_bool(&c, true);
		/* QA officers take cases; market assurance and the manager do not. */
		copy_bool(&c, strcmp(post_word[g.off[i].post], "qa_officer") == 0);
		copy_time(&c, at_london(g.day0 - 1, 9 * 60 + i % 120));
		copy_row(&c);
	}
	copy_end(&c);
	copy_begin(&c, conn, "officer_locality", "login, locality");
	for (int i = 0; i < g.noff; i++)
		for (int k = 0; k < g.off[i].nlocs; k++) {
			copy_str(&c, g.off[i].login);
			copy_str(&c, loc_code[g.off[i].locs[k]]);
			copy_row(&c);
		}
	copy_end(&c);
	copy_begin(&c, conn, "officer_leave", "id, login, first_day, last_day, recorded_by, recorded_at");
	for (int i = 0; i < g.nleave; i++) {
		const struct leave *l = &g.leave[i];
		copy_uuid(&c, l->id);
		copy_str(&c, g.off[l->officer].login);
		copy_date(&c, l->first);
		copy_date(&c, l->last);
		copy_str(&c, login_of(g.manager));
		copy_time(&c, l->recorded_at);
		copy_row(&c);
	}
	copy_end(&c);
}

static void
load_providers(PGconn *conn)
{
	struct copy c;

	/* created_at: the market as it stood was loaded the day before the
	 * window opens; services registered since were added a few days after. */
	copy_begin(&c, conn, "organisation", "id, name, cqc_provider_id, created_at");
	for (int i = 0; i < g.norg; i++) {
		copy_uuid(&c, g.org[i].id);
		copy_text(&c, g.org[i].name);
		if (g.org[i].cqc_id[0])
			copy_str(&c, g.org[i].cqc_id);
		else
			copy_null(&c);
		copy_time(&c, g.org[i].created);
		copy_row(&c);
	}
	copy_end(&c);
	copy_begin(&c, conn, "provider",
		   "id, organisation_id, name, care_type, locality, cqc_location_id, postcode, beds,"
		   " registered_on, closed_on, status, created_at");
	for (int i = 0; i < g.nprov; i++) {
		const struct prov *p = &g.prov[i];
		copy_uuid(&c, p->id);
		copy_uuid(&c, g.org[p->org].id);
		copy_text(&c, p->name);
		copy_str(&c, cw_vocab_word(&cw_vocab_care_type, p->care));
		copy_str(&c, loc_code[p->loc]);
		if (p->cqc_id[0])
			copy_str(&c, p->cqc_id);
		else
			copy_null(&c);
		copy_str(&c, p->postcode);
		if (p->beds >= 0)
			copy_int(&c, p->beds);
		else
			copy_null(&c);
		copy_date(&c, p->reg_day);
		if (p->closed_day != NEVER)
			copy_date(&c, p->closed_day);
		else
			copy_null(&c);
		copy_str(&c, p->closed_day != NEVER ? "closed" : "active");
		copy_time(&c, created_at(p->reg_day, i));
		copy_row(&c);
	}
	copy_end(&c);
}

/* ---- CQC ratings [17/18 2.2, 2.4, 4.3] ------------------------------- */

static int
sector_of(int care)
{
	switch (care) {
	case CW_CARE_HOME_CARE: return 1;
	case CW_CARE_RESIDENTIAL: return 2;
	case CW_CARE_NURSING: return 3;
	default: return 0;
	}
}

/* The rating a latent z (standard normal, higher is worse) gets in domain d
 * of sector s: quantiles of the reports' table, so ratings drawn for the
 * whole market reproduce it. */
static int
rating_of(int s, int d, double z)
{
	const int *row = cqc_table[s][d];
	double u = 0.5 * erfc(-z / M_SQRT2), total = row[0] + row[1] + row[2] + row[3], cum = 0;

	for (int k = 0; k < CW_RATING__N - 1; k++) {
		cum += row[k] / total;
		if (u < cum)
			return k;
	}
	return CW_RATING_INADEQUATE;
}

/* CQC's real delays.  [17/18 2.1.5] "there is a delay between the
 * assessment and publication": a report is published about two and a half
 * months after the inspection (35 days at least, a long tail).  Re-inspection
 * follows CQC's maximum intervals [17/18 2.4]: Inadequate within six months,
 * Requires improvement within a year, Good and Outstanding within 30 months
 * (in practice spread out to about three years); and CQC inspects sooner
 * when what it hears about a service gets worse (a responsive inspection),
 * so a provider whose quality has fallen well below par is inspected within
 * months. */
static int64_t
publication_delay(struct cw_rng *r)
{
	double d = 35 + exp(log(40.0) + 0.5 * rng_normal(r));

	return (int64_t)lround(d < 240 ? d : 240);
}

static int64_t
next_inspection(struct cw_rng *r, int overall)
{
	switch (overall) {
	case CW_RATING_INADEQUATE: return rng_int(r, 110, 190);
	case CW_RATING_REQUIRES_IMPROVEMENT: return rng_int(r, 220, 380);
	case CW_RATING_GOOD: return rng_int(r, 480, 1000);
	default: return rng_int(r, 600, 1100);
	}
}

#define MAX_INSPECTIONS 64
/* A Good rating stands for two years or more while the poorer ones are
 * re-inspected within months, so the ratings in force drift better than
 * the quality they measured; CQC's view is set this much stricter so that
 * the ratings in force at the end reproduce the reports' tables. */
#define CQC_OFFSET 0.3

static void
load_cqc(PGconn *conn)
{
	struct copy c;
	struct cw_rng r;
	int64_t cycle0 = g.day0 - QUALITY_YEARS * 365;

	rng_seed(&r, g.seed, ST_CQC);
	copy_begin(&c, conn, "cqc_rating",
		   "id, provider_id, domain, rating, published_on, inspected_on, source, recorded_by,"
		   " recorded_at");
	for (int i = 0; i < g.nprov; i++) {
		struct prov *p = &g.prov[i];
		int s = sector_of(p->care), rho_set = care_home(p->care) ? 2 : p->care == CW_CARE_HOME_CARE;
		int64_t insp[MAX_INSPECTIONS], pub[MAX_INSPECTIONS], t;
		double seen[MAX_INSPECTIONS];
		int n = 0, first = 0;

		if (p->care == CW_CARE_DAY_CARE)
			continue;   /* not regulated */
		/* The first inspection: a new service waits for it [16/17 2.2.3];
		 * an established one is somewhere in its cycle when the
		 * simulation starts. */
		if (p->reg_day + 150 > cycle0)
			t = p->reg_day + rng_int(&r, 150, 400);
		else
			t = cycle0 + rng_int(&r, 0, 900);
		while (n < MAX_INSPECTIONS && t < g.end_day && t < p->closed_day) {
			/* What the inspectors see: the quality that day, with noise. */
			double z = (quality(p, t) + CQC_OFFSET + 0.35 * rng_normal(&r)) / sqrt(1 + 0.35 * 0.35);
			int overall = rating_of(s, CW_DOMAIN_OVERALL, z);
			int64_t next = t + next_inspection(&r, overall);

			insp[n] = t;
			pub[n] = t + publication_delay(&r);
			seen[n] = z;
			if (pub[n] >= g.end_day || pub[n] >= p->closed_day)
				break;          /* inspected, not yet published */
			n++;
			/* A responsive inspection, month by month until the next one
			 * is due, once the report is out. */
			for (int64_t d = pub[n - 1] + 30; d < next; d += 30) {
				double x = quality(p, d) - 0.9;
				if (x > 0 && rng_chance(&r, fmin(0.35, 0.10 * x))) {
					next = d + rng_int(&r, 0, 27);
					break;
				}
			}
			t = next;
		}
		/* Ratings back to the one in force when the window opened. */
		for (int k = 0; k < n; k++)
			if (pub[k] < g.day0 - 30)
				first = k;
		for (int k = first; k < n; k++) {
			int64_t inspected = insp[k] < p->reg_day ? p->reg_day : insp[k];
			bool import = rng_chance(&r, 0.85);
			const char *by = import ? g.analyst_login : login_of(qa_covering(&r, p->loc, pub[k]));
			cw_time rec = clamp_before_end(office_time(&r, pub[k] + 1, pub[k] + 9));

			for (int d = 0; d < CW_DOMAIN__N; d++) {
				double rho = domain_rho[rho_set][d];
				double z = d == CW_DOMAIN_OVERALL ? seen[k]
								  : rho * seen[k] + sqrt(1 - rho * rho) * rng_normal(&r);
				uint8_t id[16];

				uuid_at(&r, rec, id);
				copy_uuid(&c, id);
				copy_uuid(&c, p->id);
				copy_str(&c, cw_vocab_word(&cw_vocab_domain, d));
				copy_str(&c, cw_vocab_word(&cw_vocab_rating, rating_of(s, d, z)));
				copy_date(&c, pub[k]);
				copy_date(&c, inspected);
				copy_str(&c, import ? "import" : "manual");
				copy_str(&c, by);
				copy_time(&c, rec);
				copy_row(&c);
			}
		}
	}
	g.counts[K_CQC] = c.rows;
	copy_end(&c);
}

/* ---- IPC inspections and satisfaction surveys [16/17 3.8.1; 17/18 4.5, 5.1.4] */

static void
load_ipc_surveys(PGconn *conn)
{
	struct copy c;
	struct cw_rng r;

	rng_seed(&r, g.seed, ST_IPC);
	copy_begin(&c, conn, "ipc_inspection",
		   "id, provider_id, inspected_on, result, score, recorded_by, recorded_at");
	for (int i = 0; i < g.nprov; i++) {
		const struct prov *p = &g.prov[i];
		if (!care_home(p->care_then) && !(p->care == CW_CARE_HOUSING_WITH_CARE && i % 3 == 0))
			continue;
		for (int64_t d = g.day0 + rng_int(&r, 0, 420); d < g.end_day; d += rng_int(&r, 300, 540)) {
			double qd = quality(p, d), pn = 0.05 * exp(0.5 * qd), pp = 0.22 * exp(0.3 * qd), u = rng_unit(&r);
			int result = u < pn ? CW_IPC_NON_COMPLIANT : u < pn + pp ? CW_IPC_PARTIALLY_COMPLIANT
								    : CW_IPC_COMPLIANT;
			cw_time at = office_time(&r, d, d + 1), rec;
			uint8_t id[16];

			if (!active_on(p, d))
				continue;
			rec = clamp_before_end(at + rng_int(&r, 2, 20) * CW_DAY);
			uuid_at(&r, rec, id);
			copy_uuid(&c, id);
			copy_uuid(&c, p->id);
			copy_date(&c, d);
			copy_str(&c, cw_vocab_word(&cw_vocab_ipc_result, result));
			if (rng_chance(&r, 0.1))
				copy_null(&c);
			else
				copy_int(&c, (long)(result == CW_IPC_COMPLIANT ? rng_int(&r, 85, 100)
						    : result == CW_IPC_PARTIALLY_COMPLIANT ? rng_int(&r, 65, 88)
											    : rng_int(&r, 30, 64)));
			copy_str(&c, login_of(qa_covering(&r, p->loc, d)));
			copy_time(&c, rec);
			copy_row(&c);
		}
	}
	g.counts[K_IPC] = c.rows;
	copy_end(&c);

	rng_seed(&r, g.seed, ST_SURVEY);
	copy_begin(&c, conn, "survey",
		   "id, provider_id, surveyed_on, satisfaction, respondents, recorded_by, recorded_at");
	for (int i = 0; i < g.nprov; i++) {
		const struct prov *p = &g.prov[i];
		int64_t d;

		/* Home care first; care homes joined in the second year. */
		if (p->care == CW_CARE_HOME_CARE)
			d = g.day0 + rng_int(&r, 60, 400);
		else if (care_home(p->care_then))
			d = g.day0 + 365 + rng_int(&r, 0, 200);
		else
			continue;
		for (; d < g.end_day - 7; d += rng_int(&r, 330, 400)) {
			long sat = lround(86 - 7 * quality(p, d) + 6 * rng_normal(&r));
			long resp = p->care == CW_CARE_HOME_CARE ? lround(exp(2.8 + 0.7 * rng_normal(&r)))
								 : lround(exp(2.3 + 0.5 * rng_normal(&r)));
			cw_time rec;
			uint8_t id[16];

			if (!active_on(p, d))
				continue;
			rec = clamp_before_end(office_time(&r, d + 7, d + 30));
			uuid_at(&r, rec, id);
			copy_uuid(&c, id);
			copy_uuid(&c, p->id);
			copy_date(&c, d);
			copy_int(&c, sat < 15 ? 15 : sat > 100 ? 100 : sat);
			copy_int(&c, resp < 1 ? 1 : resp > 300 ? 300 : resp);
			copy_str(&c, g.analyst_login);
			copy_time(&c, rec);
			copy_row(&c);
		}
	}
	g.counts[K_SURVEY] = c.rows;
	copy_end(&c);
}

/* ---- restrictions, notices, losses [17/18 3.9, 3.11, 3.12] ----------- */

struct restr {
	uint8_t id[16];
	int prov;
	int kind;
	int64_t from, to;          /* to: lifted on, NEVER while in force */
	const char *reason;
};

/* Who restrictions and notices fall on in the month of day: services poor
 * at the time, mostly those the team works with (built once a month). */
struct poor {
	struct sampler *homes, *any;
	bool *built;
};

static void
poor_month(struct poor *pp, int64_t day, struct sampler **homes, struct sampler **any)
{
	int m = month_index(day);

	if (pp->built == NULL) {
		pp->homes = xcalloc((size_t)g.nq, sizeof(*pp->homes));
		pp->any = xcalloc((size_t)g.nq, sizeof(*pp->any));
		pp->built = xcalloc((size_t)g.nq, sizeof(*pp->built));
	}
	if (!pp->built[m]) {
		for (int i = 0; i < g.nprov; i++) {
			const struct prov *p = &g.prov[i];
			double q = quality(p, day), inv = involved_weight(p, day, 0.1);
			if (care_home(p->care_then) && q > 0.4)
				sampler_add(&pp->homes[m], i, exp(1.5 * q) * p->vis * inv);
			if (p->care != CW_CARE_DAY_CARE && q > 0.1)
				sampler_add(&pp->any[m], i, exp(q) * p->vis * inv);
		}
		pp->built[m] = true;
	}
	*homes = &pp->homes[m];
	*any = &pp->any[m];
}

static void
poor_free(struct poor *pp)
{
	for (int m = 0; pp->built && m < g.nq; m++) {
		sampler_free(&pp->homes[m]);
		sampler_free(&pp->any[m]);
	}
	free(pp->homes);
	free(pp->any);
	free(pp->built);
}

static void
load_sanctions(PGconn *conn)
{
	double f = g.sc.providers / 760.0;
	int nall = (int)lround(ALL_RESTRICTION_SLOTS * f), npart = (int)lround(PARTIAL_RESTRICTION_SLOTS * f);
	struct poor poor = {0};
	struct restr *rs = NULL;
	size_t nrs = 0;
	struct copy c;
	struct cw_rng r;

	rng_seed(&r, g.seed, ST_RESTRICT);
	/* Each slot is a run of restrictions: "when one home comes off
	 * restriction another often replaces it" [17/18 3.11.4]. */
	for (int slot = 0; slot < nall + npart; slot++) {
		int kind = slot < nall ? CW_RESTRICT_ALL : CW_RESTRICT_PARTIAL;
		int64_t t = g.day0 - rng_int(&r, 0, 200);

		while (t < g.end_day) {
			int i = -1;
			struct sampler *homes, *any;
			poor_month(&poor, t, &homes, &any);
			for (int tries = 0; tries < 50 && i < 0; tries++) {
				int k = sampler_draw(kind == CW_RESTRICT_ALL ? homes : any, &r);
				if (k >= 0 && active_on(&g.prov[k], t) && g.prov[k].restricted_to < t &&
				    g.prov[k].closed_day > t + 30)
					i = k;
			}
			if (i < 0) {
				t += 30;
				continue;
			}
			rs = xrealloc(rs, sizeof(*rs) * (nrs + 1));
			rs[nrs].prov = i;
			rs[nrs].kind = kind;
			rs[nrs].from = t;
			rs[nrs].to = t + rng_int(&r, 60, kind == CW_RESTRICT_ALL ? 270 : 180);
			if (rs[nrs].to > g.prov[i].closed_day)
				rs[nrs].to = g.prov[i].closed_day;
			if (rs[nrs].to >= g.end_day)
				rs[nrs].to = NEVER;
			rs[nrs].reason = kind == CW_RESTRICT_ALL ? PICK(&r, restriction_all_text)
								 : PICK(&r, restriction_partial_text);
			uuid_at(&r, at_london(t, 600), rs[nrs].id);
			g.prov[i].restricted_to = rs[nrs].to;
			t = rs[nrs].to == NEVER ? g.end_day : rs[nrs].to + rng_int(&r, 0, 45);
			nrs++;
		}
	}
	copy_begin(&c, conn, "restriction",
		   "id, provider_id, kind, starts_on, ends_on, reason, recorded_by, recorded_at");
	for (size_t k = 0; k < nrs; k++) {
		copy_uuid(&c, rs[k].id);
		copy_uuid(&c, g.prov[rs[k].prov].id);
		copy_str(&c, cw_vocab_word(&cw_vocab_restriction_kind, rs[k].kind));
		copy_date(&c, rs[k].from);
		copy_null(&c);  /* open-ended until lifted */
		copy_text(&c, rs[k].reason);
		copy_str(&c, login_of(g.manager));
		copy_time(&c, clamp_before_end(at_london(rs[k].from, 600 + (int)rng_int(&r, 0, 360))));
		copy_row(&c);
	}
	g.counts[K_RESTRICTION] = c.rows;
	copy_end(&c);
	copy_begin(&c, conn, "restriction_lift", "id, restriction_id, lifted_on, note, recorded_by, recorded_at");
	for (size_t k = 0; k < nrs; k++) {
		uint8_t id[16];
		cw_time rec;
		if (rs[k].to == NEVER)
			continue;
		rec = clamp_before_end(at_london(rs[k].to, 600 + (int)rng_int(&r, 0, 360)));
		uuid_at(&r, rec, id);
		copy_uuid(&c, id);
		copy_uuid(&c, rs[k].id);
		copy_date(&c, rs[k].to);
		copy_text(&c, rs[k].to == g.prov[rs[k].prov].closed_day
			      ? "Service closed; residents moved with the support of the QA team."
			      : "Action plan completed and verified at a follow-up visit.");
		copy_str(&c, login_of(g.manager));
		copy_time(&c, rec);
		copy_row(&c);
	}
	g.counts[K_LIFT] = c.rows;
	copy_end(&c);
	free(rs);

	rng_seed(&r, g.seed, ST_NOTICE);
	copy_begin(&c, conn, "performance_notice",
		   "id, provider_id, kind, issued_on, closed_on, reason, recorded_by, recorded_at");
	for (int k = 0, n = (int)lround(NOTICES_PER_YEAR * 2 * f); k < n; k++) {
		static const double kinds[CW_NOTICE__N] = {0.6, 0.3, 0.1};
		int64_t d = rng_int(&r, g.day0, g.end_day - 1), closed = d + rng_int(&r, 60, 240);
		int i = -1;
		cw_time rec;
		uint8_t id[16];
		struct sampler *homes, *any;
		poor_month(&poor, d, &homes, &any);
		for (int tries = 0; tries < 50 && i < 0; tries++) {
			int j = sampler_draw(any, &r);
			if (j >= 0 && active_on(&g.prov[j], d))
				i = j;
		}
		if (i < 0)
			continue;
		rec = clamp_before_end(office_time(&r, d, d + 1));
		uuid_at(&r, rec, id);
		copy_uuid(&c, id);
		copy_uuid(&c, g.prov[i].id);
		copy_str(&c, cw_vocab_word(&cw_vocab_notice_kind, rng_pick(&r, kinds, CW_NOTICE__N)));
		copy_date(&c, d);
		if (closed < g.end_day)
			copy_date(&c, closed);
		else
			copy_null(&c);
		copy_text(&c, PICK(&r, notice_text));
		copy_str(&c, login_of(g.manager));
		copy_time(&c, rec);
		copy_row(&c);
	}
	g.counts[K_NOTICE] = c.rows;
	copy_end(&c);
	poor_free(&poor);

	rng_seed(&r, g.seed, ST_LOSS + 100);
	copy_begin(&c, conn, "provider_loss",
		   "id, provider_id, kind, occurred_on, beds_lost, note, recorded_by, recorded_at");
	for (int k = 0; k < nlosses; k++) {
		const struct loss *l = &losses[k];
		const struct prov *p = &g.prov[l->prov];
		cw_time rec = clamp_before_end(office_time(&r, l->day, l->day + 3));
		uint8_t id[16];

		uuid_at(&r, rec, id);
		copy_uuid(&c, id);
		copy_uuid(&c, p->id);
		copy_str(&c, cw_vocab_word(&cw_vocab_loss_kind, l->kind));
		copy_date(&c, l->day);
		copy_int(&c, l->beds);
		copy_text(&c, l->kind == CW_LOSS_CLOSURE
			      ? "Home closed; residents moved with the support of the QA and operational teams."
			      : l->kind == CW_LOSS_NURSING_DEREGISTRATION
			      ? "Nursing registration removed: unable to recruit registered nurses."
			      : "Beds taken out of use while the building is refurbished.");
		copy_str(&c, l->kind == CW_LOSS_CLOSURE ? login_of(g.manager)
							: login_of(qa_covering(&r, p->loc, l->day)));
		copy_time(&c, rec);
		copy_row(&c);
	}
	g.counts[K_LOSS] = c.rows;
	copy_end(&c);
}

/* ---- month by month: safeguardings, concerns and cases, visits ------- */

static int
cmp_time(const void *a, const void *b)
{
	cw_time x = *(const cw_time *)a, y = *(const cw_time *)b;

	return x < y ? -1 : x > y;
}

struct month {
	int64_t from, to;   /* [from, to) */
	int m;              /* 1..12 */
	double frac;        /* of an average month */
};

static int
months(struct month *out, int max)
{
	int n = 0;

	for (int64_t d = g.day0; d < g.end_day && n < max; n++) {
		struct cw_date c = cw_date_from_days(d);
		struct cw_date next = c.m == 12 ? (struct cw_date){c.y + 1, 1, 1} : (struct cw_date){c.y, c.m + 1, 1};
		int64_t to = cw_date_to_days(next);
		out[n].from = d;
		out[n].to = to < g.end_day ? to : g.end_day;
		out[n].m = c.m;
		out[n].frac = (double)(out[n].to - out[n].from) / cw_days_in_month(c.y, c.m);
		d = out[n].to;
	}
	return n;
}

/* How many of a kind in month mo: volume a month at Norfolk scale, a
 * seasonal swing, noise, and (for concerns) the reports' 200-250 range. */
static long
month_count(struct cw_rng *r, const struct month *mo, double per_month, double season, double lo,
	    double hi)
{
	double mean = per_month * g.events * mo->frac * (1 + season * sin(2 * M_PI * (mo->m - 1) / 12.0));
	double x = mean + rng_normal(r) * sqrt(mean) * 0.5;

	if (lo > 0) {
		double a = lo * g.events * mo->frac, b = hi * g.events * mo->frac;
		x = x < a ? a : x > b ? b : x;
	}
	return x < 0 ? 0 : lround(x);
}

/* A time on a day of the month when intelligence arrives: mostly office
 * hours on weekdays, some evenings and weekends. */
static cw_time
arrival_time(struct cw_rng *r, const struct month *mo)
{
	int64_t day = rng_int(r, mo->from, mo->to - 1);

	for (int i = 0; i < 10 && !weekday(day) && !rng_chance(r, 0.35); i++)
		day = rng_int(r, mo->from, mo->to - 1);
	if (!weekday(day))
		return at_london(day, (int)rng_int(r, 9 * 60, 20 * 60)) + rng_int(r, 0, 59);
	if (rng_chance(r, 0.75))
		return at_london(day, (int)rng_int(r, 8 * 60 + 30, 17 * 60 + 30)) + rng_int(r, 0, 59);
	return at_london(day, (int)rng_int(r, 7 * 60, 22 * 60)) + rng_int(r, 0, 59);
}

static struct sampler concern_by_care[CW_CARE__N], sg_by_care[CW_CARE__N], visit_any, pamms_homes;
static double risk_norm;   /* E[exp(0.35 quality)] over concerns this month, for the risk mix */

/* Who draws intelligence on day: bigger services, those poorer at the
 * time, those the team is involved with; the rest now and then. */
static double
intel_weight(const struct prov *p, int64_t day, double coef, double outsider)
{
	double size = care_home(p->care_then) ? pow(p->beds_then / 30.0, 0.8) : 1.0;

	return size * exp(coef * quality(p, day)) * p->vis * involved_weight(p, day, outsider);
}

static void
free_samplers(void)
{
	for (int c = 0; c < CW_CARE__N; c++) {
		sampler_free(&concern_by_care[c]);
		sampler_free(&sg_by_care[c]);
	}
	sampler_free(&visit_any);
	sampler_free(&pamms_homes);
}

/* The samplers of the month that starts on day, from the quality then. */
static void
build_samplers(int64_t day)
{
	double wsum[CW_CARE__N] = {0}, esum[CW_CARE__N] = {0};

	free_samplers();
	risk_norm = 0;
	for (int i = 0; i < g.nprov; i++) {
		const struct prov *p = &g.prov[i];
		double q = quality(p, day), w = intel_weight(p, day, 0.6, 0.05);
		sampler_add(&concern_by_care[p->care_then], i, w);
		wsum[p->care_then] += w;
		esum[p->care_then] += w * exp(0.35 * q);
		sampler_add(&sg_by_care[p->care_then], i, intel_weight(p, day, 0.5, 0.08));
		sampler_add(&visit_any, i, (care_home(p->care_then) ? 2.0 : 1.0) * exp(0.5 * q) *
					   involved_weight(p, day, 0.3));
		if (care_home(p->care_then) && q > -0.2)
			sampler_add(&pamms_homes, i, exp(q));
	}
	for (int c = 0; c < CW_CARE__N; c++)
		risk_norm += wsum[c] > 0 ? concern_share[c] * esum[c] / wsum[c] : concern_share[c];
}

/* A provider of a care type drawn by share, active on day (-1: none found). */
static int
draw_provider(struct cw_rng *r, struct sampler *by_care, const double *share, int64_t day)
{
	for (int tries = 0; tries < 30; tries++) {
		int i = sampler_draw(&by_care[rng_pick(r, share, CW_CARE__N)], r);
		if (i >= 0 && active_on(&g.prov[i], day))
			return i;
	}
	return -1;
}

static int64_t
day_of(cw_time t)
{
	return cw_date_to_days(cw_london_date(t));
}

static void
load_safeguardings(PGconn *conn, const struct month *mo, int nmo)
{
	struct copy c;
	struct cw_rng r;
	cw_time *times = NULL;
	size_t cap = 0;
	long seq = 0;
	int seq_year = 0;

	rng_seed(&r, g.seed, ST_SAFEGUARDING);
	copy_begin(&c, conn, "safeguarding",
		   "id, provider_id, referred_on, mash_ref, category, outcome, summary, recorded_by,"
		   " recorded_at");
	for (int m = 0; m < nmo; m++) {
		long n = month_count(&r, &mo[m], SAFEGUARDINGS_PER_MONTH, 0.15, 0, 0);
		build_samplers(mo[m].from);
		if ((size_t)n > cap)
			times = xrealloc(times, sizeof(*times) * (cap = (size_t)n));
		for (long k = 0; k < n; k++)
			times[k] = arrival_time(&r, &mo[m]);
		qsort(times, (size_t)n, sizeof(*times), cmp_time);
		for (long k = 0; k < n; k++) {
			int64_t day = day_of(times[k]), age = g.end_day - day;
			int i = draw_provider(&r, sg_by_care, sg_share, day), outcome, cat;
			struct cw_date d = cw_date_from_days(day);
			const struct prov *p;
			char ref[32];
			cw_time rec;
			uint8_t id[16];

			if (i < 0)
				continue;
			p = &g.prov[i];
			cat = rng_pick(&r, sg_mix[care_on(p, day)], CW_SG__N);
			if (rng_chance(&r, age < 28 ? 0.85 : age < 90 ? 0.4 : 0.03)) {
				outcome = CW_SGO_OPEN;
			} else {
				double w[CW_SGO__N] = {0, 0.25 * exp(0.3 * quality(p, day)), 0.15, 0.37, 0.20};
				outcome = rng_pick(&r, w, CW_SGO__N);
			}
			if (d.y != seq_year) {
				seq_year = d.y;
				seq = 0;
			}
			snprintf(ref, sizeof(ref), "MASH/%02d/%06ld", d.y % 100, ++seq);
			rec = clamp_before_end(office_time(&r, day, day + 3));
			uuid_at(&r, rec, id);
			copy_uuid(&c, id);
			copy_uuid(&c, p->id);
			copy_date(&c, day);
			copy_str(&c, ref);
			copy_str(&c, cw_vocab_word(&cw_vocab_sg_category, cat));
			copy_str(&c, cw_vocab_word(&cw_vocab_sg_outcome, outcome));
			if (rng_chance(&r, 0.8))
				copy_text(&c, PICK(&r, sg_text));
			else
				copy_null(&c);
			copy_str(&c, login_of(qa_covering(&r, p->loc, day)));
			copy_time(&c, rec);
			copy_row(&c);
		}
	}
	g.counts[K_SAFEGUARDING] = c.rows;
	copy_end(&c);
	free(times);
}

/* Closing cases in time order, to know every officer's load when the next
 * case arrives. */
struct heap {
	cw_time *key;
	long *val;
	long n, cap;
};

static void
heap_push(struct heap *h, cw_time key, long val)
{
	long i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->key = xrealloc(h->key, sizeof(*h->key) * (size_t)h->cap);
		h->val = xrealloc(h->val, sizeof(*h->val) * (size_t)h->cap);
	}
	for (i = h->n++; i > 0 && h->key[(i - 1) / 2] > key; i = (i - 1) / 2) {
		h->key[i] = h->key[(i - 1) / 2];
		h->val[i] = h->val[(i - 1) / 2];
	}
	h->key[i] = key;
	h->val[i] = val;
}

static long
heap_pop(struct heap *h)
{
	long top = h->val[0], i = 0;
	cw_time key = h->key[--h->n];
	long val = h->val[h->n];

	while (2 * i + 1 < h->n) {
		long ch = 2 * i + 1;
		if (ch + 1 < h->n && h->key[ch + 1] < h->key[ch])
			ch++;
		if (h->key[ch] >= key)
			break;
		h->key[i] = h->key[ch];
		h->val[i] = h->val[ch];
		i = ch;
	}
	h->key[i] = key;
	h->val[i] = val;
	return top;
}

static struct {
	struct heap closing;
	double *load;                    /* per officer */
	struct cw_officer *team[LOC_N];  /* the balancer's view of each locality */
	int *pos[LOC_N];                 /* officer index -> position in team[l], or -1 */
	struct cw_rng r;
	double life_low, life_after;     /* mean days open */
} cs;

static void
holder_add(struct prov *p, int officer, int delta)
{
	for (int k = 0; k < 4; k++)
		if (p->hold_n[k] > 0 && p->hold_off[k] == officer) {
			p->hold_n[k] = (int16_t)(p->hold_n[k] + delta);
			return;
		}
	if (delta <= 0)
		return;
	for (int k = 0; k < 4; k++)
		if (p->hold_n[k] <= 0) {
			p->hold_off[k] = (int16_t)officer;
			p->hold_n[k] = (int16_t)delta;
			return;
		}
}

static void
cases_init(long expected_cases)
{
	long target = (long)CASES_PER_OFFICER * (g.sc.qa_officers ? g.sc.qa_officers : 6);
	double per_day = (double)expected_cases / WINDOW_DAYS;

	rng_seed(&cs.r, g.seed, ST_CASE);
	cs.load = xcalloc((size_t)g.noff, sizeof(double));
	for (int l = 0; l < LOC_N; l++) {
		cs.team[l] = xcalloc((size_t)g.nloc_qa[l], sizeof(struct cw_officer));
		cs.pos[l] = xcalloc((size_t)g.noff, sizeof(int));
		for (int i = 0; i < g.noff; i++)
			cs.pos[l][i] = -1;
		for (int k = 0; k < g.nloc_qa[l]; k++) {
			const struct officer *o = &g.off[g.loc_qa[l][k]];
			cs.team[l][k].login = o->login;
			cs.team[l][k].fte = o->fte;
			cs.team[l][k].active = true;
			cs.team[l][k].localities = &loc_code[l];
			cs.team[l][k].n_localities = 1;
			cs.pos[l][g.loc_qa[l][k]] = k;
		}
	}
	/* Little's law: open cases = arrivals a day x days open.  [16/17
	 * 3.1.4] about 44 per officer. */
	cs.life_low = per_day > 0 ? (double)target / per_day : 30;
	cs.life_after = cs.life_low > 6 ? cs.life_low - 2 : 4;
}

static void
case_closings_until(cw_time t)
{
	while (cs.closing.n > 0 && cs.closing.key[0] <= t) {
		const struct gcase *k = &g.cases[heap_pop(&cs.closing)];
		if (k->officer >= 0) {
			cs.load[k->officer] -= g.weight[k->risk];
			holder_add(&g.prov[k->prov], k->officer, -1);
		}
	}
}

/* Open the case a concern starts, as carewatch would have: due time from the
 * ruleset and the calendar, officer from the balancer; then its life: a
 * response (92% of those with a target on time), then closure. */
static struct gcase *
open_case(int pi, const uint8_t concern_id[16], cw_time received, cw_time recorded, int risk)
{
	struct prov *p = &g.prov[pi];
	struct gcase *k;
	int l = p->loc, days = g.response_days[risk], holders[4], nh = 0;
	int64_t day = day_of(received);
	struct cw_new_case nc = {p->name, loc_code[l], (enum cw_risk)risk};
	struct cw_assignment a;
	struct cw_error err;
	struct cw_rng *r = &cs.r;
	cw_time closure;

	if (g.ncases == g.capcases) {
		g.capcases = g.capcases ? g.capcases * 2 : 4096;
		g.cases = xrealloc(g.cases, sizeof(*g.cases) * (size_t)g.capcases);
	}
	k = &g.cases[g.ncases];
	memset(k, 0, sizeof(*k));
	memcpy(k->concern_id, concern_id, 16);
	k->prov = pi;
	k->opened = received;
	k->recorded = recorded;
	k->risk = (uint8_t)risk;
	k->due = k->responded = k->closed = CW_TIME_NONE;
	k->resp_kind = -1;
	k->text = (uint8_t)rng_int(r, 0, 250);

	case_closings_until(received);
	for (int j = 0; j < g.nloc_qa[l]; j++) {
		int o = g.loc_qa[l][j];
		cs.team[l][j].load = cs.load[o];
		cs.team[l][j].on_leave = day >= g.day0 && day - g.day0 < g.away_days && g.off[o].away[day - g.day0];
	}
	for (int h = 0; h < 4; h++)
		if (p->hold_n[h] > 0 && cs.pos[l][p->hold_off[h]] >= 0)
			holders[nh++] = cs.pos[l][p->hold_off[h]];
	cw_error_clear(&err);
	if (cw_balance_assign(cs.team[l], (size_t)g.nloc_qa[l], &nc, holders, (size_t)nh, g.weight, &a, &err) >= 0) {
		k->officer = (int16_t)g.loc_qa[l][a.officer];
		k->how = a.how == CW_ASSIGN_CONTINUITY ? 1 : 0;
		cs.load[k->officer] += g.weight[risk];
		holder_add(p, k->officer, 1);
	} else {
		k->officer = -1;
		k->how = 2;
	}
	k->logger = (int16_t)(k->officer >= 0 && rng_chance(r, 0.75) ? k->officer : qa_covering(r, l, day));

	if (days >= 0) {
		k->due = cw_calendar_due(g.cal, received, days);
		if (rng_chance(r, ON_TIME)) {
			cw_time lo = recorded + 300, hi = k->due > lo + 600 ? k->due : lo + 600;
			k->responded = lo + (cw_time)(rng_unit(r) * (double)(hi - lo));
		} else {
			k->responded = k->due + (cw_time)(rng_unit(r) * 9.5 * CW_DAY) + 4 * 3600;
		}
		k->resp_kind = (int8_t)rng_pick(r, (const double[]){0.42, 0.33, 0.15, 0.03, 0.07}, 5);
	} else if (rng_chance(r, 0.35)) {
		k->responded = recorded + 3600 + (cw_time)(rng_unit(r) * 7 * CW_DAY);
		k->resp_kind = (int8_t)(rng_chance(r, 0.6) ? 1 : 2);
	}
	if (k->responded != CW_TIME_NONE && k->responded >= g.t_end)
		k->responded = CW_TIME_NONE;
	if (days >= 0)
		k->closed = k->responded != CW_TIME_NONE
				    ? k->responded + 3600 + (cw_time)(fmin(rng_exp(r, cs.life_after), 400) * CW_DAY)
				    : CW_TIME_NONE;
	else
		k->closed = received + 3600 + (cw_time)(fmin(rng_exp(r, cs.life_low), 400) * CW_DAY);
	if (k->responded != CW_TIME_NONE && k->closed != CW_TIME_NONE && k->closed < k->responded + 600)
		k->closed = k->responded + 600;
	if (p->closed_day != NEVER) {
		closure = at_london(p->closed_day, 12 * 60);
		if (k->closed == CW_TIME_NONE || k->closed > closure)
			k->closed = closure > received + 600 ? closure : received + 600;
		if (k->responded != CW_TIME_NONE && k->responded > k->closed)
			k->responded = k->closed;
	}
	if (k->closed != CW_TIME_NONE && k->closed >= g.t_end)
		k->closed = CW_TIME_NONE;
	if (k->resp_kind == 0 && k->responded != CW_TIME_NONE) {
		double qd = quality(p, day_of(k->responded));
		double w[CW_VO__N] = {0.2, 0.4, 0.3 * exp(0.3 * qd), 0.1 * exp(0.5 * qd) * (risk + 1) / 2.0};
		k->visit_outcome = (uint8_t)rng_pick(r, w, CW_VO__N);
		uuid_at(r, k->responded, k->visit_id);
	}
	if (k->responded != CW_TIME_NONE)
		uuid_at(r, k->responded, k->resp_id);
	uuid_at(r, recorded, k->assign_id);
	if (k->closed != CW_TIME_NONE)
		heap_push(&cs.closing, k->closed, g.ncases);
	g.ncases++;
	return k;
}

static void
load_concerns(PGconn *conn, const struct month *mo, int nmo)
{
	static const double cat_w[CW_CC__N] = {25, 18, 12, 7, 10, 10, 5, 6, 7};
	static const double cat_w_home[CW_CC__N] = {22, 27, 18, 3, 9, 11, 4, 4, 2};
	static const double src_w[CW_SRC__N] = {28, 8, 5, 25, 14, 8, 4, 4, 3, 1};
	struct copy c;
	struct cw_rng r;
	cw_time *times = NULL;
	size_t cap = 0;

	rng_seed(&r, g.seed, ST_CONCERN);
	copy_begin(&c, conn, "concern",
		   "id, provider_id, received_at, risk, category, source, safeguarding, summary,"
		   " recorded_by, recorded_at");
	for (int m = 0; m < nmo; m++) {
		long n = month_count(&r, &mo[m], CONCERNS_PER_MONTH, 0.08, 200, 250);
		build_samplers(mo[m].from);
		if ((size_t)n > cap)
			times = xrealloc(times, sizeof(*times) * (cap = (size_t)n));
		for (long k = 0; k < n; k++)
			times[k] = arrival_time(&r, &mo[m]);
		qsort(times, (size_t)n, sizeof(*times), cmp_time);
		for (long k = 0; k < n; k++) {
			int64_t day = day_of(times[k]);
			int i = draw_provider(&r, concern_by_care, concern_share, day), risk, cat, logger;
			double mh, u;
			const struct prov *p;
			cw_time rec;
			uint8_t id[16];

			if (i < 0)
				continue;
			p = &g.prov[i];
			/* Poorer services draw graver concerns; the market-wide mix
			 * stays at the reports' 19% medium or higher. */
			mh = fmin(0.6, (1 - risk_mix[0]) * exp(0.35 * quality(p, day)) / risk_norm);
			u = rng_unit(&r);
			risk = u >= mh ? CW_RISK_LOW : u < mh * 0.0526 ? CW_RISK_VERY_HIGH
				    : u < mh * 0.342 ? CW_RISK_HIGH : CW_RISK_MEDIUM;
			cat = rng_pick(&r, p->care_then == CW_CARE_HOME_CARE ? cat_w_home : cat_w, CW_CC__N);
			/* Logged within hours; low-risk ones out of hours wait for
			 * the next working day or two. */
			if (risk >= CW_RISK_HIGH)
				rec = times[k] + rng_int(&r, 5 * 60, 90 * 60);
			else if (risk == CW_RISK_MEDIUM || rng_chance(&r, 0.7))
				rec = times[k] + rng_int(&r, 5 * 60, 4 * 3600);
			else
				rec = office_time(&r, day + 1, day + 3);
			rec = clamp_before_end(rec);
			if (rec < times[k])
				rec = times[k];
			uuid_at(&r, times[k], id);
			if (g.sc.low_cases || risk >= CW_RISK_MEDIUM)
				logger = open_case(i, id, times[k], rec, risk)->logger;
			else
				logger = qa_covering(&r, p->loc, day);
			copy_uuid(&c, id);
			copy_uuid(&c, p->id);
			copy_time(&c, times[k]);
			copy_str(&c, cw_vocab_word(&cw_vocab_risk, risk));
			copy_str(&c, cw_vocab_word(&cw_vocab_concern_category, cat));
			copy_str(&c, cw_vocab_word(&cw_vocab_concern_source, rng_pick(&r, src_w, CW_SRC__N)));
			copy_bool(&c, rng_chance(&r, risk >= CW_RISK_MEDIUM ? 0.70 : 0.42));
			copy_text(&c, concern_text[cat][rng_int(&r, 0, 5)]);
			copy_str(&c, login_of(logger));
			copy_time(&c, rec);
			copy_row(&c);
		}
	}
	g.counts[K_CONCERN] = c.rows;
	copy_end(&c);
	free(times);
}

static void
visit_row(struct copy *c, struct cw_rng *r, const uint8_t id[16], const struct prov *p, cw_time at,
	  int kind, int outcome, int officer)
{
	copy_uuid(c, id);
	copy_uuid(c, p->id);
	copy_time(c, at);
	copy_str(c, cw_vocab_word(&cw_vocab_visit_kind, kind));
	copy_str(c, cw_vocab_word(&cw_vocab_visit_outcome, outcome));
	copy_text(c, visit_text[outcome][rng_int(r, 0, 2)]);
	copy_str(c, login_of(officer));
	copy_time(c, clamp_before_end(at + rng_int(r, 3600, 3 * CW_DAY)));
	copy_row(c);
}

static void
load_visits(PGconn *conn, const struct month *mo, int nmo)
{
	struct copy c;
	struct cw_rng r;

	rng_seed(&r, g.seed, ST_VISIT);
	copy_begin(&c, conn, "visit", "id, provider_id, visited_at, kind, outcome, notes, recorded_by, recorded_at");
	for (int m = 0; m < nmo; m++) {
		long nroutine = month_count(&r, &mo[m], ROUTINE_VISITS_PER_MONTH, 0, 0, 0);
		long npamms = month_count(&r, &mo[m], PAMMS_VISITS_PER_MONTH, 0, 0, 0);
		build_samplers(mo[m].from);
		for (long k = 0; k < nroutine + npamms; k++) {
			bool pamms = k >= nroutine;
			cw_time at = office_time(&r, mo[m].from, mo[m].to);
			int64_t day = day_of(at);
			int i = -1, officer;
			double w[CW_VO__N], q;
			uint8_t id[16];

			for (int tries = 0; tries < 30 && i < 0; tries++) {
				int j = sampler_draw(pamms ? &pamms_homes : &visit_any, &r);
				if (j >= 0 && active_on(&g.prov[j], day))
					i = j;
			}
			if (i < 0)
				continue;
			q = quality(&g.prov[i], day);
			w[0] = 0.5 * exp(-0.5 * q);
			w[1] = 0.35;
			w[2] = 0.12 * exp(0.5 * q);
			w[3] = 0.03 * exp(0.8 * q);
			officer = pamms && g.nmao ? g.mao[rng_int(&r, 0, g.nmao - 1)]
						  : qa_covering(&r, g.prov[i].loc, day);
			uuid_at(&r, at, id);
			visit_row(&c, &r, id, &g.prov[i], at, pamms ? CW_VISIT_PAMMS : CW_VISIT_ROUTINE,
				  rng_pick(&r, w, CW_VO__N), officer);
		}
	}
	for (long k = 0; k < g.ncases; k++) {
		const struct gcase *gc = &g.cases[k];
		if (gc->resp_kind == 0 && gc->responded != CW_TIME_NONE)
			visit_row(&c, &r, gc->visit_id, &g.prov[gc->prov], gc->responded, CW_VISIT_RESPONSE,
				  gc->visit_outcome, gc->officer >= 0 ? gc->officer : gc->logger);
	}
	g.counts[K_VISIT] = c.rows;
	copy_end(&c);
}

static void
load_cases(PGconn *conn)
{
	struct copy c;
	long open = 0;

	copy_begin(&c, conn, "case_file",
		   "id, provider_id, concern_id, risk, title, opened_at, due_at, state, responded_at,"
		   " closed_at, closure_note, assigned_to, recorded_by, recorded_at");
	for (long k = 0; k < g.ncases; k++) {
		const struct gcase *gc = &g.cases[k];
		char title[64];
		uuid_t id;

		uuid_generate_sha1(id, gc->concern_id, "case", 4);
		snprintf(title, sizeof(title), "%s risk concern", cw_vocab_label(&cw_vocab_risk, gc->risk));
		copy_uuid(&c, id);
		copy_uuid(&c, g.prov[gc->prov].id);
		copy_uuid(&c, gc->concern_id);
		copy_str(&c, cw_vocab_word(&cw_vocab_risk, gc->risk));
		copy_str(&c, title);
		copy_time(&c, gc->opened);
		if (gc->due != CW_TIME_NONE)
			copy_time(&c, gc->due);
		else
			copy_null(&c);
		copy_str(&c, gc->closed != CW_TIME_NONE ? "closed" : gc->responded != CW_TIME_NONE ? "responded" : "open");
		if (gc->responded != CW_TIME_NONE)
			copy_time(&c, gc->responded);
		else
			copy_null(&c);
		if (gc->closed != CW_TIME_NONE) {
			copy_time(&c, gc->closed);
			copy_text(&c, closure_text[gc->text % (sizeof(closure_text) / sizeof(closure_text[0]))]);
		} else {
			copy_null(&c);
			copy_null(&c);
			open++;
		}
		if (gc->officer >= 0)
			copy_str(&c, g.off[gc->officer].login);
		else
			copy_null(&c);
		copy_str(&c, login_of(gc->logger));
		copy_time(&c, gc->recorded);
		copy_row(&c);
	}
	g.counts[K_CASE] = c.rows;
	g.counts[K_CASE_OPEN] = open;
	copy_end(&c);

	copy_begin(&c, conn, "case_assignment", "id, case_id, officer, reason, recorded_by, recorded_at");
	for (long k = 0; k < g.ncases; k++) {
		const struct gcase *gc = &g.cases[k];
		uuid_t id;

		uuid_generate_sha1(id, gc->concern_id, "case", 4);
		copy_uuid(&c, gc->assign_id);
		copy_uuid(&c, id);
		if (gc->officer >= 0)
			copy_str(&c, g.off[gc->officer].login);
		else
			copy_null(&c);
		copy_str(&c, how_word[gc->how]);
		copy_str(&c, login_of(gc->logger));
		copy_time(&c, gc->recorded);
		copy_row(&c);
	}
	copy_end(&c);

	copy_begin(&c, conn, "case_response",
		   "id, case_id, responded_at, kind, visit_id, note, recorded_by, recorded_at");
	for (long k = 0; k < g.ncases; k++) {
		const struct gcase *gc = &g.cases[k];
		uuid_t id;

		if (gc->responded == CW_TIME_NONE)
			continue;
		uuid_generate_sha1(id, gc->concern_id, "case", 4);
		copy_uuid(&c, gc->resp_id);
		copy_uuid(&c, id);
		copy_time(&c, gc->responded);
		copy_str(&c, resp_kind_word[gc->resp_kind]);
		if (gc->resp_kind == 0)
			copy_uuid(&c, gc->visit_id);
		else
			copy_null(&c);
		copy_text(&c, response_text[gc->text % (sizeof(response_text) / sizeof(response_text[0]))]);
		copy_str(&c, login_of(gc->officer >= 0 ? gc->officer : gc->logger));
		copy_time(&c, clamp_before_end(gc->responded + 900));
		copy_row(&c);
	}
	copy_end(&c);
}

/* ---- main ------------------------------------------------------------- */

static const char usage[] =
	"usage: cwgen [--db CONNINFO] [--scale norfolk|national] [--seed N] [--as-of YYYY-MM-DD]\n"
	"             [--providers N] [--records N] [--rules FILE] [--if-empty] [--verbose|--quiet]\n"
	"\n"
	"Loads a realistic, deterministic data set into an empty, migrated carewatch\n"
	"database, as its owner, with COPY.\n"
	"\n"
	"  --scale norfolk   about 760 providers, the reports' volumes (default)\n"
	"  --scale national  30,000 providers, 10 million intelligence records, 50,000 open\n"
	"                    and about a million closed cases\n"
	"  --seed N          the same seed, as-of date and options give the same data (default 1)\n"
	"  --as-of DATE      the data's last day is the day before DATE (default: today, London)\n"
	"  --providers N     override the scale's number of providers; volumes follow\n"
	"  --records N       national: intelligence records to aim for (default 10,000,000)\n"
	"  --rules FILE      response targets and caseload weights when no ruleset is active\n"
	"                    (default rules/default.rules)\n"
	"  --if-empty        do nothing, successfully, when the database already holds data\n"
	"  --verbose         each table's rows and load time (always on a terminal)\n"
	"  --quiet           print nothing but errors\n";

static const char *const loaded_tables[] = {
	"officer", "officer_locality", "officer_leave", "organisation", "provider", "cqc_rating",
	"ipc_inspection", "survey", "restriction", "restriction_lift", "performance_notice",
	"provider_loss", "safeguarding", "concern", "visit", "case_file", "case_assignment",
	"case_response",
};
#define N_LOADED ((int)(sizeof(loaded_tables) / sizeof(loaded_tables[0])))

static void
exec_or_die(struct cw_db *db, const char *sql, int n, const char *const *params)
{
	struct cw_error err;

	cw_error_clear(&err);
	if (!cw_db_exec(db, sql, n, params, &err))
		die_err(&err);
}

static long
value_or_die(struct cw_db *db, const char *sql, int n, const char *const *params)
{
	struct cw_error err;
	char buf[64];

	cw_error_clear(&err);
	if (!cw_db_value(db, sql, n, params, buf, sizeof(buf), NULL, &err))
		die_err(&err);
	return atol(buf);
}

static char *
table_list(void)
{
	static char buf[1024];
	size_t n = 0;

	buf[n++] = '{';
	for (int i = 0; i < N_LOADED; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "", loaded_tables[i]);
	snprintf(buf + n, sizeof(buf) - n, "}");
	return buf;
}

/* The response targets and caseload weights: the active ruleset's, as
 * carewatch itself would use, else the file's. */
static void
load_rules(struct cw_db *db, const char *path)
{
	struct cw_rules_error rerr;
	struct cw_error err;
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(db, "SELECT name, body FROM active_ruleset", 0, NULL, &err);
	if (r == NULL)
		die_err(&err);
	if (PQntuples(r) == 1)
		g.rs = cw_rules_parse(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
				      (size_t)PQgetlength(r, 0, 1), &rerr);
	else
		g.rs = cw_rules_load(path, &rerr);
	PQclear(r);
	if (g.rs == NULL) {
		char buf[1024];
		cw_rules_error_format(&rerr, buf, sizeof(buf));
		die(CW_EXIT_USAGE, "cannot read the rules\n%s", buf);
	}
	for (int i = 0; i < CW_RISK__N; i++) {
		g.weight[i] = cw_rules_case_weight(g.rs, (enum cw_risk)i);
		g.response_days[i] = cw_rules_response_days(g.rs, (enum cw_risk)i);
	}
	g.cal = cw_calendar_new();
	if (g.cal == NULL)
		die(CW_EXIT_FAIL, "out of memory");
	r = cw_db_query(db, "SELECT to_char(day, 'YYYY-MM-DD'), reason FROM closure_day", 0, NULL, &err);
	if (r == NULL)
		die_err(&err);
	for (int i = 0; i < PQntuples(r); i++) {
		struct cw_date d;
		if (!cw_date_parse(PQgetvalue(r, i, 0), "day", &d, &err) ||
		    !cw_calendar_add_closure(g.cal, d, PQgetvalue(r, i, 1), &err))
			die_err(&err);
	}
	PQclear(r);
}

/* Turn the audit and stamp triggers of the loaded tables off (enable false)
 * or on again, inside the load's transaction.  Names come from the catalog
 * and are quoted as identifiers. */
static void
set_triggers(struct cw_db *db, bool enable)
{
	const char *p[1] = {table_list()};
	struct cw_error err;
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(db,
			"SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
			" WHERE NOT t.tgisinternal AND t.tgname ~ '^(audit|stamp)_'"
			" AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY ($1::text[])"
			" ORDER BY 1, 2", 1, p, &err);
	if (r == NULL)
		die_err(&err);
	for (int i = 0; i < PQntuples(r); i++) {
		PGconn *conn = cw_db_conn(db);
		char *tbl = PQescapeIdentifier(conn, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
		char *trg = PQescapeIdentifier(conn, PQgetvalue(r, i, 1), strlen(PQgetvalue(r, i, 1)));
		char sql[512];
		PGresult *x;

		if (tbl == NULL || trg == NULL)
			die(CW_EXIT_FAIL, "%s", PQerrorMessage(conn));
		snprintf(sql, sizeof(sql), "ALTER TABLE public.%s %s TRIGGER %s", tbl,
			 enable ? "ENABLE" : "DISABLE", trg);
		PQfreemem(tbl);
		PQfreemem(trg);
		x = PQexec(conn, sql);
		if (PQresultStatus(x) != PGRES_COMMAND_OK)
			die(CW_EXIT_FAIL, "%s", PQerrorMessage(conn));
		PQclear(x);
	}
	PQclear(r);
}

/*
 * Bulk loading the PostgreSQL way ("Populating a Database" in its manual):
 * the foreign keys of the loaded tables and their plain indexes (not those
 * behind a primary key or unique constraint) are dropped inside the load's
 * transaction and made again after the data is in: one index build and one
 * validating join each, instead of a check and an index insert per row.  The
 * statements come from the catalog (pg_get_constraintdef, pg_get_indexdef),
 * so they recreate exactly what the migrations made; if anything fails the
 * transaction rolls back and the schema is as it was.
 */
struct ddl {
	char **sql;
	int n;
};

static void
ddl_add(struct ddl *d, const char *sql)
{
	d->sql = xrealloc(d->sql, sizeof(char *) * (size_t)(d->n + 1));
	d->sql[d->n++] = xstrdup(sql);
}

static void
run_sql(PGconn *conn, const char *sql)
{
	PGresult *x = PQexec(conn, sql);

	if (PQresultStatus(x) != PGRES_COMMAND_OK) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
		PQclear(x);
		die(CW_EXIT_FAIL, "%s\ndetail: while running: %s", msg, sql);
	}
	PQclear(x);
}

static void
defer_constraints(struct cw_db *db, struct ddl *restore)
{
	const char *p[1] = {table_list()};
	struct cw_error err;
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(db,
			"SELECT 1, format('ALTER TABLE public.%I DROP CONSTRAINT %I', c.relname, k.conname),"
			"  format('ALTER TABLE public.%I ADD CONSTRAINT %I %s', c.relname, k.conname,"
			"         pg_get_constraintdef(k.oid))"
			"  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
			" WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace"
			"   AND c.relname = ANY ($1::text[])"
			" UNION ALL "
			"SELECT 2, format('DROP INDEX public.%I', ic.relname), pg_get_indexdef(i.indexrelid)"
			"  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
			"  JOIN pg_class ic ON ic.oid = i.indexrelid"
			" WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY ($1::text[])"
			"   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
			"                   AND k.conrelid = i.indrelid)"
			"   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass"
			"                   AND d.refobjid = i.indexrelid AND d.deptype = 'n')"
			" ORDER BY 1, 2", 1, p, &err);
	if (r == NULL)
		die_err(&err);
	/* Drop foreign keys before indexes; rebuild indexes before validating
	 * foreign keys (which then use them). */
	for (int i = 0; i < PQntuples(r); i++)
		run_sql(cw_db_conn(db), PQgetvalue(r, i, 1));
	for (int i = PQntuples(r) - 1; i >= 0; i--)
		ddl_add(restore, PQgetvalue(r, i, 2));
	PQclear(r);
}

static void
restore_constraints(struct cw_db *db, struct ddl *restore)
{
	double t = now_seconds();

	if (progress)
		fprintf(stderr, "indexes and foreign keys ...");
	for (int i = 0; i < restore->n; i++) {
		run_sql(cw_db_conn(db), restore->sql[i]);
		free(restore->sql[i]);
	}
	free(restore->sql);
	if (verbose)
		fprintf(stderr, "%s%-20s %10d made  %6.1f s\n", progress ? "\r" : "", "indexes, keys",
			restore->n, now_seconds() - t);
}

static long
parse_long(const char *opt, const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		die(CW_EXIT_USAGE, "invalid %s '%s' (expected a whole number from %ld to %ld)", opt, v, min, max);
	return n;
}

/* ---- cwgen ods: CSV files as a workbook's sheets ---------------------- */

static int
ods_main(int argc, char **argv)
{
	const char *banner[16];
	int nbanner = 0;
	char msg[200];
	struct cw_odsw *w;

	if (argc < 2 || argv[1][0] == '-')
		die(CW_EXIT_USAGE, "usage: cwgen ods OUT.ods [--banner TEXT]... --sheet NAME=FILE.csv ...");
	w = cw_odsw_open(argv[1], msg, sizeof(msg));
	if (w == NULL)
		die(CW_EXIT_FAIL, "%s", msg);
	for (int i = 2; i < argc; i++) {
		const char *eq;
		char name[128];
		struct cw_csv *r;
		struct cw_csv_error ce;
		enum cw_csv_status st;
		const char *cells[CW_CSV_MAX_FIELDS];
		FILE *f;
		long rows = 0;

		if (strcmp(argv[i], "--banner") == 0 && i + 1 < argc) {
			if (nbanner == 16)
				die(CW_EXIT_USAGE, "at most 16 --banner rows a sheet");
			banner[nbanner++] = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--sheet") != 0 || i + 1 >= argc || (eq = strchr(argv[i + 1], '=')) == NULL)
			die(CW_EXIT_USAGE, "unknown argument '%s' (expected --banner TEXT or --sheet NAME=FILE)",
			    argv[i]);
		i++;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]), argv[i]);
		f = fopen(eq + 1, "rb");
		if (f == NULL)
			die(CW_EXIT_FAIL, "cannot open '%s': %s", eq + 1, strerror(errno));
		r = cw_csv_open(f);
		if (r == NULL || !cw_odsw_sheet(w, name))
			die(CW_EXIT_FAIL, "out of memory");
		for (int k = 0; k < nbanner; k++)
			if (!cw_odsw_row(w, &banner[k], 1))
				die(CW_EXIT_FAIL, "cannot write %s", argv[1]);
		nbanner = 0;
		while ((st = cw_csv_next(r, &ce)) != CW_CSV_EOF) {
			if (st == CW_CSV_FATAL)
				die(CW_EXIT_USAGE, "%s:%ld:%d: %s", eq + 1, ce.line, ce.column, ce.msg);
			for (int k = 0; k < cw_csv_nfields(r); k++)
				cells[k] = cw_csv_get(r, k);
			if (!cw_odsw_row(w, cells, cw_csv_nfields(r)))
				die(CW_EXIT_FAIL, "cannot write %s", argv[1]);
			rows++;
		}
		cw_csv_free(r);
		fclose(f);
		if (!quiet)
			fprintf(stderr, "cwgen: sheet %s: %ld rows from %s\n", name, rows, eq + 1);
	}
	if (!cw_odsw_close(w, msg, sizeof(msg)))
		die(CW_EXIT_FAIL, "%s", msg);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conninfo = NULL, *rules = "rules/default.rules", *scale = "norfolk";
	const char *as_of = NULL;
	long providers = 0, records = 0;
	bool if_empty = false, super;
	struct month mo[32];
	struct cw_error err;
	struct ddl restore = {NULL, 0};
	struct cw_db *db;
	PGconn *conn;
	double started = now_seconds(), expected;
	int nmo;

	if (argc > 1 && strcmp(argv[1], "ods") == 0)
		return ods_main(argc - 1, argv + 1);
	g.seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		static const char *const with_value[] = {"--db", "--scale", "--seed", "--as-of",
							 "--providers", "--records", "--rules"};
		char name[32];
		const char *eq = strchr(a, '=');

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			if (strcmp(name, with_value[k]) == 0) {
				if (eq)
					v = eq + 1;
				else if (i + 1 < argc)
					v = argv[++i];
				else
					die(CW_EXIT_USAGE, "%s needs a value", name);
			}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--if-empty") == 0) {
			if_empty = true;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			quiet = true;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			verbose = true;
		} else if (v == NULL) {
			fputs(usage, stderr);
			die(CW_EXIT_USAGE, "unknown option '%s'", a);
		} else if (strcmp(name, "--db") == 0) {
			conninfo = v;
		} else if (strcmp(name, "--scale") == 0) {
			scale = v;
		} else if (strcmp(name, "--seed") == 0) {
			g.seed = (uint64_t)parse_long("--seed", v, 0, LONG_MAX);
		} else if (strcmp(name, "--as-of") == 0) {
			as_of = v;
		} else if (strcmp(name, "--providers") == 0) {
			providers = parse_long("--providers", v, 20, 1000000);
		} else if (strcmp(name, "--records") == 0) {
			records = parse_long("--records", v, 1000, 1000000000);
		} else {
			rules = v;
		}
	}
	if (strcmp(scale, "norfolk") == 0)
		g.sc = (struct scale){"norfolk", 760, 0, true, 0};
	else if (strcmp(scale, "national") == 0)
		g.sc = (struct scale){"national", 30000, 1136, false, 10000000};
	else
		die(CW_EXIT_USAGE, "invalid --scale '%s' (expected norfolk or national)", scale);
	if (providers) {
		if (g.sc.qa_officers)
			g.sc.qa_officers = (int)fmax(6, lround(g.sc.qa_officers * (double)providers / g.sc.providers));
		if (g.sc.records)
			g.sc.records = (long)((double)g.sc.records * (double)providers / g.sc.providers);
		g.sc.providers = (int)providers;
	}
	if (records) {
		if (g.sc.records == 0)
			die(CW_EXIT_USAGE, "--records is for --scale national (Norfolk follows the reports' volumes)");
		g.sc.records = records;
	}
	cw_error_clear(&err);
	if (as_of) {
		struct cw_date d;
		if (!cw_date_parse(as_of, "as-of", &d, &err))
			die_err(&err);
		g.end_day = cw_date_to_days(d);
	} else {
		g.end_day = cw_date_to_days(cw_london_date((cw_time)time(NULL)));
	}
	g.day0 = g.end_day - WINDOW_DAYS;
	g.t0 = at_london(g.day0, 0);
	g.t_end = at_london(g.end_day, 0);
	g.manager = -1;
	progress = !quiet && isatty(2);
	verbose = !quiet && (verbose || progress);

	db = cw_db_open(conninfo, &err);
	if (db == NULL)
		die_err(&err);
	conn = cw_db_conn(db);
	{
		const char *p[1] = {table_list()};
		if (value_or_die(db, "SELECT count(*) FROM unnest($1::text[]) t"
				     " WHERE to_regclass('public.' || t) IS NULL", 1, p) > 0)
			die(CW_EXIT_CONFLICT, "the database is not migrated\nhint: run 'carewatch db migrate' first");
		if (value_or_die(db, "SELECT count(*) FROM unnest($1::text[]) t"
				     " WHERE NOT pg_has_role(current_user,"
				     " (SELECT relowner FROM pg_class WHERE oid = to_regclass('public.' || t)), 'USAGE')",
				     1, p) > 0)
			die(CW_EXIT_DENIED, "cwgen loads as the owner of the carewatch tables, not as '%s'\n"
					    "hint: connect as the role that ran 'carewatch db migrate'", cw_db_user(db));
	}
	{
		const char *p[1] = {"{north,south,east,west,norwich}"};
		if (value_or_die(db, "SELECT count(*) FROM locality WHERE code = ANY ($1::text[])", 1, p) != LOC_N)
			die(CW_EXIT_CONFLICT, "the localities north, south, east, west and norwich are not all in"
					      " the locality table (the generator's towns are in them)");
	}
	super = value_or_die(db, "SELECT rolsuper::int FROM pg_roles WHERE rolname = current_user", 0, NULL) == 1;
	load_rules(db, rules);

	exec_or_die(db, "BEGIN", 0, NULL);
	exec_or_die(db, "SET LOCAL statement_timeout = 0", 0, NULL);
	/* The triggers are switched off (taking the tables' locks) before the
	 * emptiness check, so two generators cannot both find it empty. */
	exec_or_die(db, "SET LOCAL maintenance_work_mem = '512MB'", 0, NULL);
	if (super)
		exec_or_die(db, "SET LOCAL session_replication_role = replica", 0, NULL);
	else
		set_triggers(db, false);
	{
		long n = value_or_die(db, "SELECT (SELECT count(*) FROM provider) + (SELECT count(*) FROM officer)"
				      " + (SELECT count(*) FROM organisation) + (SELECT count(*) FROM concern)", 0, NULL);
		if (n > 0) {
			long np = value_or_die(db, "SELECT count(*) FROM provider", 0, NULL);
			exec_or_die(db, "ROLLBACK", 0, NULL);
			if (if_empty) {
				if (!quiet)
					printf("cwgen: the database already holds data (%ld providers): nothing generated\n", np);
				cw_db_close(db);
				return 0;
			}
			die(CW_EXIT_CONFLICT, "the database already holds data (%ld providers)\n"
					      "hint: the generator loads into an empty database; --if-empty makes this a no-op", np);
		}
	}

	defer_constraints(db, &restore);
	build_team();
	build_providers();
	build_quality();
	plan_losses();
	load_team(conn);
	load_providers(conn);
	load_cqc(conn);
	load_ipc_surveys(conn);
	load_sanctions(conn);
	nmo = months(mo, 32);
	{
		double frac = 0, per_unit;
		for (int m = 0; m < nmo; m++)
			frac += mo[m].frac;
		/* Response visits: medium and higher cases answered by a visit. */
		per_unit = CONCERNS_PER_MONTH + SAFEGUARDINGS_PER_MONTH + ROUTINE_VISITS_PER_MONTH +
			   PAMMS_VISITS_PER_MONTH + CONCERNS_PER_MONTH * (1 - risk_mix[0]) * 0.42 * 0.97;
		if (g.sc.records) {
			long done = g.counts[K_CQC] + g.counts[K_IPC] + g.counts[K_SURVEY] +
				    g.counts[K_RESTRICTION] + g.counts[K_NOTICE] + g.counts[K_LOSS];
			g.events = (double)(g.sc.records - done) / (frac * per_unit);
			if (g.events < 0.01)
				g.events = 0.01;
		} else {
			g.events = g.sc.providers / 760.0;
		}
		expected = frac * CONCERNS_PER_MONTH * g.events * (g.sc.low_cases ? 1.0 : 1 - risk_mix[0]);
	}
	cases_init((long)expected);
	load_safeguardings(conn, mo, nmo);
	load_concerns(conn, mo, nmo);
	load_visits(conn, mo, nmo);
	load_cases(conn);

	free_samplers();
	restore_constraints(db, &restore);
	if (!super)
		set_triggers(db, true);
	for (int i = 0; i < N_LOADED; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "ANALYZE %s", loaded_tables[i]);
		exec_or_die(db, sql, 0, NULL);
	}
	exec_or_die(db, "COMMIT", 0, NULL);

	if (!quiet) {
		long intel = 0, open_homes = 0;
		char d[11];
		for (int k = K_CONCERN; k <= K_LOSS; k++)
			intel += k == K_LIFT ? 0 : g.counts[k];
		for (int i = 0; i < g.nprov; i++)
			open_homes += g.prov[i].closed_day == NEVER;
		fmt_date(g.end_day, d);
		printf("cwgen: loaded the %s data set (seed %llu, as of %s) in %.1f s: %ld rows\n", g.sc.name,
		       (unsigned long long)g.seed, d, now_seconds() - started, total_rows);
		printf("  providers      %d (%ld open), %d organisations, %d officers\n", g.nprov, open_homes,
		       g.norg, g.noff);
		printf("  intelligence   %ld records: %ld concerns, %ld visits, %ld safeguardings,"
		       " %ld CQC ratings, %ld IPC, %ld surveys, %ld restrictions, %ld notices, %ld losses\n",
		       intel, g.counts[K_CONCERN], g.counts[K_VISIT], g.counts[K_SAFEGUARDING], g.counts[K_CQC],
		       g.counts[K_IPC], g.counts[K_SURVEY], g.counts[K_RESTRICTION], g.counts[K_NOTICE],
		       g.counts[K_LOSS]);
		printf("  cases          %ld (%ld open, %ld closed)\n", g.counts[K_CASE], g.counts[K_CASE_OPEN],
		       g.counts[K_CASE] - g.counts[K_CASE_OPEN]);
		printf("  not audited: generated rows are not in audit_log (triggers off for the load)\n");
	}
	cw_db_close(db);
	return 0;
}
