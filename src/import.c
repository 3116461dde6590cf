/*
 * import.c - parsing CQC's care directory and "Latest ratings" CSV files
 * into validated staging rows (see import.h; the rules are in
 * docs/import.md).
 *
 * Pure: no database.  Every data row is sorted into staged, skipped (with a
 * reason) or rejected (with line, column and reason) here, so the database
 * side only ever sees clean rows and the whole decision can be unit-tested
 * and fuzzed.  Staged rows are COPY text lines for the TEMP staging tables
 * of import_db.c, with client-made UUID v5 ids (so a retried transaction
 * and a re-imported file write the same ids).
 *
 * The order of the checks matters: a row's shape (field count, quoting,
 * UTF-8) is checked first, because nothing else can be read without it;
 * then the filters (local authority, adult social care, rating or not),
 * because a row that is not ours is skipped whatever else is in it; then
 * the fields we store, whose faults reject the row.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "carewatch/import.h"
#include "carewatch/output.h"
#include "carewatch/sha256.h"
#include "carewatch/vocab.h"

/* ---- CQC's layouts ---- */

static const char *const dir_header[] = {
	"Name", "Also known as", "Address", "Postcode", "Phone number",
	"Service's website (if available)", "Service types", "Date of latest check",
	"Specialisms/services", "Provider name", "Local authority", "Region", "Location URL",
	"CQC Location ID (for office use only)", "CQC Provider ID (for office use only)",
};
enum { D_NAME = 0, D_POSTCODE = 3, D_SERVICE_TYPES = 6, D_PROVIDER_NAME = 9, D_LA = 10,
       D_LOCATION_ID = 13, D_PROVIDER_ID = 14, D_NCOLS = 15 };

static const char *const rat_header[] = {
	"Location ID", "Location ODS Code", "Location Name", "Care Home?", "Location Type",
	"Location Primary Inspection Category", "Location Street Address",
	"Location Address Line 2", "Location City", "Location Post Code",
	"Location Local Authority", "Location Region", "Location NHS Region",
	"Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
	"Location Commissioning CCG Name", "Service / Population Group", "Domain",
	"Latest Rating", "Publication Date", "Report Type", "Inherited Rating (Y/N)", "URL",
	"Provider ID", "Provider Name", "Brand ID", "Brand Name",
};
enum { R_LOCATION_ID = 0, R_TYPE = 4, R_LA = 10, R_GROUP = 17, R_DOMAIN = 18, R_RATING = 19,
       R_PUBLISHED = 20, R_NCOLS = 28 };

#define PREAMBLE_MAX 10    /* records searched for the header */
#define NAME_MAX_CHARS 300 /* organisation.name, provider.name */

static const char *const skip_words[CW_SKIP__N] = {
	"blank", "other_local_authority", "not_adult_social_care", "not_a_rating",
	"population_group_duplicate", "repeated_row", "no_locality", "unknown_location",
};
static const char *const skip_labels[CW_SKIP__N] = {
	"blank row", "other local authority", "not adult social care", "not a rating",
	"population group duplicate", "repeated row", "postcode district not mapped",
	"location not in carewatch",
};

const char *
cw_import_skip_word(enum cw_import_skip s)
{
	return (unsigned)s < CW_SKIP__N ? skip_words[s] : "?";
}

const char *
cw_import_skip_label(enum cw_import_skip s)
{
	return (unsigned)s < CW_SKIP__N ? skip_labels[s] : "?";
}

/* ---- small helpers ---- */

/* s without leading and trailing spaces and tabs, copied into buf (cut at
 * size - 1 bytes; *cut says so). */
static const char *
trimmed(const char *s, char *buf, size_t size, bool *cut)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (cut)
		*cut = n >= size;
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static bool
eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

/* CQC location and provider IDs: "1-" and 3 to 15 digits (the CHECK of
 * provider.cqc_location_id and organisation.cqc_provider_id). */
static bool
cqc_id_ok(const char *s)
{
	size_t n = 0;

	if (s[0] != '1' || s[1] != '-')
		return false;
	for (s += 2; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return false;
	return n >= 3 && n <= 15;
}

/* UTF-8 characters in s (the string is valid UTF-8: the reader checked). */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* A character a stored name must not hold: a control character (C0, DEL
 * or C1, which terminals obey) or a byte order mark (U+FEFF, which is only
 * allowed as a file's first bytes, where the reader skips it). */
static bool
bad_char(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xFEFF;
}

/* The first bad_char in s (valid UTF-8: the reader checked): true with the
 * character and its 1-based character position. */
static bool
find_bad_char(const char *s, uint32_t *cp, long *at)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	*at = 0;
	while ((n = cw_utf8_next(p, cp)) > 0) {
		++*at;
		if (bad_char(*cp))
			return true;
		p += n;
	}
	return false;
}

/* A value quoted for a message: at most 40 bytes, cut on a character
 * boundary, control characters and byte order marks as '?'. */
static const char *
q(const char *s, char *buf, size_t size)
{
	size_t n = 0, max = size > 44 ? 40 : size - 4;

	while (*s && n < max) {
		uint32_t cp;
		int len = cw_utf8_next((const unsigned char *)s, &cp);

		if (len > 1 && (size_t)len > max - n)
			break;
		if (len <= 0 || bad_char(cp)) {
			buf[n++] = '?';
			s += len > 0 ? len : 1;
			continue;
		}
		memcpy(buf + n, s, (size_t)len);
		n += (size_t)len;
		s += len;
	}
	if (*s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* ---- pure rules, exported for tests ---- */

int
cw_import_care_type(const char *service_types)
{
	static const struct { const char *name; enum cw_care_type ct; } map[] = {
		{"Nursing homes", CW_CARE_NURSING},
		{"Residential homes", CW_CARE_RESIDENTIAL},
		{"Homecare agencies", CW_CARE_HOME_CARE},
		{"Supported living", CW_CARE_SUPPORTED_LIVING},
		{"Extra Care housing services", CW_CARE_HOUSING_WITH_CARE},
	};
	int best = -1;
	const char *p = service_types;

	/* The first matching name in map order wins, wherever it is listed. */
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		char tok[80];

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			for (int i = 0; i < (int)(sizeof(map) / sizeof(map[0])); i++)
				if (eq_nocase(tok, map[i].name) && (best < 0 || i < best))
					best = i;
		}
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return best < 0 ? -1 : (int)map[best].ct;
}

bool
cw_import_postcode(const char *in, char out[9], char district[9])
{
	char c[9];
	size_t n = 0, olen;

	/* Letters and digits only, upper-cased; spaces anywhere are dropped. */
	for (; *in; in++) {
		if (*in == ' ' || *in == '\t')
			continue;
		if (!isalnum((unsigned char)*in) || n == 7)
			return false;
		c[n++] = (char)toupper((unsigned char)*in);
	}
	if (n < 5)
		return false;
	c[n] = '\0';
	/* Inward code: digit letter letter.  Outward: A9, A99, AA9, AA99, A9A, AA9A. */
	if (!isdigit((unsigned char)c[n - 3]) || !isalpha((unsigned char)c[n - 2]) ||
	    !isalpha((unsigned char)c[n - 1]))
		return false;
	olen = n - 3;         /* 2 to 4: n is 5 to 7 */
	if (!isalpha((unsigned char)c[0]))
		return false;
	{
		size_t i = isalpha((unsigned char)c[1]) ? 2 : 1;
		if (i >= olen || !isdigit((unsigned char)c[i]))
			return false;
		for (i++; i < olen; i++)
			if (i != olen - 1 || !isalnum((unsigned char)c[i]))
				return false;
	}
	memcpy(district, c, olen);
	district[olen] = '\0';
	snprintf(out, 9, "%s %s", district, c + olen);
	return true;
}

bool
cw_import_dmy(const char *s, struct cw_date *out, char *why, size_t why_size)
{
	char iso[16];
	struct cw_error e;
	const char *open, *close;

	for (int i = 0; i < 10; i++) {
		bool want_slash = i == 2 || i == 5;
		if (want_slash ? s[i] != '/' : !isdigit((unsigned char)s[i])) {
			snprintf(why, why_size, "expected dd/mm/yyyy");
			return false;
		}
	}
	if (s[10] != '\0') {
		snprintf(why, why_size, "expected dd/mm/yyyy");
		return false;
	}
	/* The calendar module knows which dates are real; reuse its reason. */
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", s + 6, s + 3, s);
	cw_error_clear(&e);
	if (cw_date_parse(iso, "date", out, &e))
		return true;
	open = strrchr(e.msg, '(');
	close = open ? strchr(open, ')') : NULL;
	if (open && close)
		snprintf(why, why_size, "%.*s", (int)(close - open - 1), open + 1);
	else
		snprintf(why, why_size, "not a real date");
	return false;
}

/* ---- duplicate detection: open addressing over an entry array ---- */

struct ientry {
	char loc[20];                  /* CQC location ID */
	int32_t day;                   /* ratings: publication date (days since 1970) */
	unsigned char domain, rating, pri;
	uint64_t sum;                  /* directory: hash of the staged line */
	long line;
};

struct cw_import_index {
	struct ientry *e;
	size_t n, cap;
	uint32_t *slot;                /* entry index + 1; 0 empty */
	size_t nslots;                 /* power of two */
};

static uint64_t
fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
key_hash(const char *loc, int domain, int32_t day)
{
	uint64_t h = fnv(loc, strlen(loc), 14695981039346656037ULL);

	h = fnv(&domain, sizeof(domain), h);
	return fnv(&day, sizeof(day), h);
}

static void
index_free(struct cw_import_index *x)
{
	if (x == NULL)
		return;
	free(x->e);
	free(x->slot);
	free(x);
}

static bool
index_rehash(struct cw_import_index *x, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));

	if (s == NULL)
		return false;
	for (size_t i = 0; i < x->n; i++) {
		size_t k = (size_t)key_hash(x->e[i].loc, x->e[i].domain, x->e[i].day) & (nslots - 1);
		while (s[k])
			k = (k + 1) & (nslots - 1);
		s[k] = (uint32_t)(i + 1);
	}
	free(x->slot);
	x->slot = s;
	x->nslots = nslots;
	return true;
}

/* The entry for (loc, domain, day): *found says whether it existed; a new
 * one is added otherwise.  NULL only when out of memory. */
static struct ientry *
index_get(struct cw_import_index *x, const char *loc, int domain, int32_t day, bool *found)
{
	size_t k;

	if ((x->n + 1) * 2 > x->nslots && !index_rehash(x, x->nslots ? x->nslots * 2 : 1024))
		return NULL;
	k = (size_t)key_hash(loc, domain, day) & (x->nslots - 1);
	while (x->slot[k]) {
		struct ientry *e = &x->e[x->slot[k] - 1];
		if (e->domain == domain && e->day == day && strcmp(e->loc, loc) == 0) {
			*found = true;
			return e;
		}
		k = (k + 1) & (x->nslots - 1);
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 1024;
		struct ientry *ne = realloc(x->e, cap * sizeof(*ne));
		if (ne == NULL)
			return NULL;
		x->e = ne;
		x->cap = cap;
	}
	memset(&x->e[x->n], 0, sizeof(x->e[x->n]));
	snprintf(x->e[x->n].loc, sizeof(x->e[x->n].loc), "%s", loc);
	x->e[x->n].domain = (unsigned char)domain;
	x->e[x->n].day = day;
	x->slot[k] = (uint32_t)(x->n + 1);
	*found = false;
	return &x->e[x->n++];
}

/* ---- the batch ---- */

void
cw_import_batch_init(struct cw_import_batch *b, enum cw_import_kind kind)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
}

void
cw_import_batch_free(struct cw_import_batch *b)
{
	free(b->rejects);
	free(b->copy);
	index_free(b->index);
	b->rejects = NULL;
	b->copy = NULL;
	b->index = NULL;
}

static bool
copy_add(struct cw_import_batch *b, const char *s, size_t n)
{
	if (b->copy_len + n + 1 > b->copy_cap) {
		size_t cap = b->copy_cap ? b->copy_cap : 65536;
		char *p;
		while (cap < b->copy_len + n + 1)
			cap *= 2;
		p = realloc(b->copy, cap);
		if (p == NULL)
			return false;
		b->copy = p;
		b->copy_cap = cap;
	}
	memcpy(b->copy + b->copy_len, s, n);
	b->copy_len += n;
	b->copy[b->copy_len] = '\0';
	return true;
}

/* Append one COPY text field (escaped) and its separator ('\t' or '\n'). */
static bool
copy_field(struct cw_import_batch *b, const char *s, char sep)
{
	const char *run = s;

	for (; *s; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n"
			      : *s == '\r' ? "\\r" : NULL;
		if (e) {
			if (!copy_add(b, run, (size_t)(s - run)) || !copy_add(b, e, 2))
				return false;
			run = s + 1;
		}
	}
	return copy_add(b, run, (size_t)(s - run)) && copy_add(b, &sep, 1);
}

static void
record_reject(struct cw_import_batch *b, const struct cw_import_reject *rj)
{
	b->rejected++;
	if (b->nrejects >= CW_IMPORT_MAX_REJECTS)
		return;
	if ((b->nrejects & (b->nrejects - 1)) == 0) {
		/* Grown at 1, 2, 4, ... entries: most files have none. */
		size_t cap = b->nrejects ? 2 * b->nrejects : 1;
		struct cw_import_reject *p = realloc(b->rejects, cap * sizeof(*p));
		if (p == NULL)
			return;    /* still counted; the detail is lost */
		b->rejects = p;
	}
	b->rejects[b->nrejects++] = *rj;
}

/* Fill rj for a fault at (line, column) of the reader's current record. */
static void
locate(const struct cw_csv *r, struct cw_import_reject *rj, long line, int column)
{
	size_t len;
	const char *text = cw_csv_source_line(r, line, &len);

	rj->line = line;
	rj->column = column;
	if (text)
		cw_csv_excerpt(text, len, column, rj->excerpt, sizeof(rj->excerpt));
	else
		rj->excerpt[0] = '\0';
}

/* Reject the current row because of field i (i >= nfields: the row's end). */
static void reject(struct cw_import_batch *b, const struct cw_csv *r, int i, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void
reject(struct cw_import_batch *b, const struct cw_csv *r, int i, const char *field,
       const char *fmt, ...)
{
	struct cw_import_reject rj;
	va_list ap;
	long line;
	int column;

	memset(&rj, 0, sizeof(rj));
	cw_csv_field_pos(r, i, &line, &column);
	locate(r, &rj, line, column);
	snprintf(rj.field, sizeof(rj.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(rj.msg, sizeof(rj.msg), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	record_reject(b, &rj);
}

static void
count_value(struct cw_import_value *v, int *n, int max, const char *value)
{
	char buf[64];

	q(value, buf, sizeof(buf));
	for (int i = 0; i < *n; i++)
		if (strcmp(v[i].value, buf) == 0) {
			v[i].n++;
			return;
		}
	if (*n < max) {
		snprintf(v[*n].value, sizeof(v[*n].value), "%s", buf);
		v[*n].n = 1;
		(*n)++;
	}
}

static bool
all_empty(const struct cw_csv *r)
{
	for (int i = 0; i < cw_csv_nfields(r); i++) {
		const char *s = cw_csv_get(r, i);
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s)
			return false;
	}
	return true;
}

/* Made-up but fixed namespace: ids derived from CQC's IDs never change. */
static const char import_ns[] = "8a7c3e2f-5b14-4d6e-9f01-c2a3b4d5e6f7";

static void
uuid_for(const char *kind, const char *key, char out[CW_UUID_LEN])
{
	uuid_t ns, id;
	char name[96];
	int n = snprintf(name, sizeof(name), "%s:%s", kind, key);

	uuid_parse(import_ns, ns);
	uuid_generate_sha1(id, ns, name, (size_t)(n < (int)sizeof(name) ? n : (int)sizeof(name) - 1));
	uuid_unparse_lower(id, out);
}

/* A text field we store: trimmed, present, one line without control
 * characters or byte order marks, at most NAME_MAX_CHARS characters.  False
 * (row rejected) otherwise.  The reason says where, never what: a name is
 * shown only as the file's line under the message. */
static bool
text_field(struct cw_import_batch *b, const struct cw_csv *r, int i, const char *name, char *buf,
	   size_t size)
{
	uint32_t cp;
	long at;
	bool cut;

	trimmed(cw_csv_get(r, i), buf, size, &cut);
	if (buf[0] == '\0')
		{
		reject(b, r, i, name, "missing %s", name);
		return false;
	}
	if (find_bad_char(buf, &cp, &at))
		{
		reject(b, r, i, name, "%s contains %s (U+%04X) at character %ld", name,
		       cp == 0xFEFF ? "a byte order mark" : "a control character", (unsigned)cp, at);
		return false;
	}
	if (cut || utf8_chars(buf) > NAME_MAX_CHARS)
		{
		reject(b, r, i, name, "%s longer than %d characters", name, NAME_MAX_CHARS);
		return false;
	}
	return true;
}

static bool
id_field(struct cw_import_batch *b, const struct cw_csv *r, int i, const char *name, char *buf,
	 size_t size)
{
	char qb[48];

	trimmed(cw_csv_get(r, i), buf, size, NULL);
	if (buf[0] == '\0')
		{
		reject(b, r, i, name, "missing %s", name);
		return false;
	}
	if (!cqc_id_ok(buf))
		{
		reject(b, r, i, name, "invalid %s '%s' (expected 1- and 3 to 15 digits)", name,
			      q(cw_csv_get(r, i), qb, sizeof(qb)));
		return false;
	}
	return true;
}

/* False when the local authority filter excludes the row. */
static bool
in_scope(const struct cw_csv *r, int la_field, const struct cw_import_opts *o)
{
	char la[128];

	if (o->local_authority == NULL || o->local_authority[0] == '\0')
		return true;
	trimmed(cw_csv_get(r, la_field), la, sizeof(la), NULL);
	return eq_nocase(la, o->local_authority);
}

/* ---- the care directory ---- */

static bool
directory_row(struct cw_import_batch *b, const struct cw_csv *r, const struct cw_import_opts *o)
{
	char name[1300], pname[1300], loc[24], prov[24], pc[9], district[9], raw_pc[64];
	char id[CW_UUID_LEN], org[CW_UUID_LEN], lineno[24], qb[48];
	size_t mark = b->copy_len;
	struct ientry *e;
	uint64_t sum;
	bool found;
	int ct;

	if (!in_scope(r, D_LA, o)) {
		b->skipped[CW_SKIP_OTHER_LA]++;
		return true;
	}
	ct = cw_import_care_type(cw_csv_get(r, D_SERVICE_TYPES));
	if (ct < 0) {
		b->skipped[CW_SKIP_NOT_ASC]++;
		return true;
	}
	if (!id_field(b, r, D_LOCATION_ID, dir_header[D_LOCATION_ID], loc, sizeof(loc)) ||
	    !id_field(b, r, D_PROVIDER_ID, dir_header[D_PROVIDER_ID], prov, sizeof(prov)) ||
	    !text_field(b, r, D_NAME, dir_header[D_NAME], name, sizeof(name)) ||
	    !text_field(b, r, D_PROVIDER_NAME, dir_header[D_PROVIDER_NAME], pname, sizeof(pname)))
		return true;
	trimmed(cw_csv_get(r, D_POSTCODE), raw_pc, sizeof(raw_pc), NULL);
	if (raw_pc[0] == '\0')
		{
		reject(b, r, D_POSTCODE, "Postcode", "missing Postcode");
		return true;
	}
	if (!cw_import_postcode(raw_pc, pc, district))
		{
		reject(b, r, D_POSTCODE, "Postcode", "invalid Postcode '%s'",
			      q(raw_pc, qb, sizeof(qb)));
		return true;
	}
	uuid_for("provider", loc, id);
	uuid_for("organisation", prov, org);
	snprintf(lineno, sizeof(lineno), "%ld", cw_csv_line(r));
	if (!copy_field(b, lineno, '\t') || !copy_field(b, loc, '\t') || !copy_field(b, prov, '\t') ||
	    !copy_field(b, id, '\t') || !copy_field(b, org, '\t') || !copy_field(b, name, '\t') ||
	    !copy_field(b, pname, '\t') || !copy_field(b, cw_vocab_word(&cw_vocab_care_type, ct), '\t') ||
	    !copy_field(b, pc, '\t') || !copy_field(b, district, '\n'))
		return false;
	/* The same location twice: the same row again is skipped; a different
	 * one is a contradiction in the file and rejected. */
	sum = fnv(b->copy + mark + strlen(lineno), b->copy_len - mark - strlen(lineno),
		  14695981039346656037ULL);
	e = index_get(b->index, loc, 0, 0, &found);
	if (e == NULL)
		return false;
	if (found) {
		b->copy_len = mark;
		b->copy[mark] = '\0';
		if (e->sum == sum) {
			b->skipped[CW_SKIP_REPEATED]++;
			return true;
		}
		reject(b, r, D_LOCATION_ID, dir_header[D_LOCATION_ID],
		       "%s '%s' is also on line %ld, with different details", dir_header[D_LOCATION_ID], loc,
		       e->line);
		return true;
	}
	e->sum = sum;
	e->line = cw_csv_line(r);
	b->staged++;
	return true;
}

/* ---- latest ratings ---- */

/* Publication dates CQC can have published: from 1 January 2010 (CQC
 * began registering adult social care in 2010) to tomorrow (a file made
 * late in the day in another time zone); 0001 or 9999 is a fault in the
 * file, not a rating. */
#define FIRST_PUBLISHED ((struct cw_date){2010, 1, 1})

static bool
ratings_row(struct cw_import_batch *b, const struct cw_csv *r, const struct cw_import_opts *o,
	    int64_t last_day)
{
	char loc[24], type[64], dom[64], rat[128], pub[32], grp[64], why[96], qb[48];
	struct cw_date d;
	struct ientry *e;
	int domain, rating, pri;
	bool found;

	if (!in_scope(r, R_LA, o)) {
		b->skipped[CW_SKIP_OTHER_LA]++;
		return true;
	}
	if (!eq_nocase(trimmed(cw_csv_get(r, R_TYPE), type, sizeof(type), NULL), "Social Care Org")) {
		b->skipped[CW_SKIP_NOT_ASC]++;
		return true;
	}
	if (!id_field(b, r, R_LOCATION_ID, rat_header[R_LOCATION_ID], loc, sizeof(loc)))
		return true;
	trimmed(cw_csv_get(r, R_DOMAIN), dom, sizeof(dom), NULL);
	domain = cw_vocab_parse(&cw_vocab_domain, dom);
	if (domain < 0)
		{
		reject(b, r, R_DOMAIN, "Domain",
			      "invalid Domain '%s' (expected Safe, Effective, Caring, Responsive,"
			      " Well-led or Overall)", q(dom, qb, sizeof(qb)));
		return true;
	}
	trimmed(cw_csv_get(r, R_RATING), rat, sizeof(rat), NULL);
	if (rat[0] == '\0')
		{
		reject(b, r, R_RATING, "Latest Rating", "missing Latest Rating");
		return true;
	}
	rating = cw_vocab_parse(&cw_vocab_rating, rat);
	if (rating < 0) {
		b->skipped[CW_SKIP_NOT_RATING]++;
		count_value(b->not_rating, &b->n_not_rating, CW_IMPORT_MAX_VALUES, rat);
		return true;
	}
	trimmed(cw_csv_get(r, R_PUBLISHED), pub, sizeof(pub), NULL);
	if (pub[0] == '\0')
		{
		reject(b, r, R_PUBLISHED, "Publication Date", "missing Publication Date");
		return true;
	}
	if (!cw_import_dmy(pub, &d, why, sizeof(why)))
		{
		reject(b, r, R_PUBLISHED, "Publication Date", "invalid Publication Date '%s' (%s)",
			      q(pub, qb, sizeof(qb)), why);
		return true;
	}
	if (cw_date_to_days(d) < cw_date_to_days(FIRST_PUBLISHED) || cw_date_to_days(d) > last_day) {
		reject(b, r, R_PUBLISHED, "Publication Date", "invalid Publication Date '%s' (%s)",
		       q(pub, qb, sizeof(qb)), cw_date_to_days(d) > last_day ? "later than tomorrow"
		       : "before 01/01/2010, when CQC began");
		return true;
	}
	/* "Overall" is the location's own rating; any other group (Care
	 * Homes) repeats it and gives way to it. */
	pri = eq_nocase(trimmed(cw_csv_get(r, R_GROUP), grp, sizeof(grp), NULL), "Overall") ? 0 : 1;
	e = index_get(b->index, loc, domain, (int32_t)cw_date_to_days(d), &found);
	if (e == NULL)
		return false;
	if (!found) {
		e->rating = (unsigned char)rating;
		e->pri = (unsigned char)pri;
		e->line = cw_csv_line(r);
		b->staged++;
		return true;
	}
	if (e->pri == pri) {
		if (e->rating == rating) {
			b->skipped[CW_SKIP_REPEATED]++;
			return true;
		}
		{
		reject(b, r, R_RATING, "Latest Rating",
			      "conflicting Latest Rating '%s': line %ld rates the same location, domain"
			      " and publication date '%s'", q(rat, qb, sizeof(qb)), e->line,
			      cw_vocab_label(&cw_vocab_rating, e->rating));
		return true;
	}
	}
	b->skipped[CW_SKIP_GROUP_DUPLICATE]++;
	if (pri < e->pri) {
		e->rating = (unsigned char)rating;
		e->pri = (unsigned char)pri;
		e->line = cw_csv_line(r);
	}
	return true;
}

/* The chosen ratings, in the order first seen, as staging rows. */
static bool
ratings_emit(struct cw_import_batch *b)
{
	for (size_t i = 0; i < b->index->n; i++) {
		const struct ientry *e = &b->index->e[i];
		char key[64], id[CW_UUID_LEN], lineno[24], date[CW_DATE_LEN];

		cw_date_format(cw_date_from_days(e->day), date, sizeof(date));
		snprintf(key, sizeof(key), "%s/%s/%s", e->loc, cw_vocab_word(&cw_vocab_domain, e->domain),
			 date);
		uuid_for("cqc_rating", key, id);
		snprintf(lineno, sizeof(lineno), "%ld", e->line);
		if (!copy_field(b, lineno, '\t') || !copy_field(b, id, '\t') ||
		    !copy_field(b, e->loc, '\t') ||
		    !copy_field(b, cw_vocab_word(&cw_vocab_domain, e->domain), '\t') ||
		    !copy_field(b, cw_vocab_word(&cw_vocab_rating, e->rating), '\t') ||
		    !copy_field(b, date, '\n'))
			return false;
	}
	return true;
}

/* ---- the file ---- */

static void
hash_chunk(void *arg, const void *buf, size_t len)
{
	cw_sha256_update(arg, buf, len);
}

static bool
fatal_at(struct cw_import_batch *b, const struct cw_csv *r, long line, int column,
	 struct cw_error *err, const char *msg)
{
	memset(&b->fatal, 0, sizeof(b->fatal));
	if (line > 0)
		locate(r, &b->fatal, line, column);
	snprintf(b->fatal.msg, sizeof(b->fatal.msg), "%s", msg);
	cw_error_set(err, CW_EXIT_USAGE, "cannot import %s: %s", b->file, msg);
	return false;
}

static const char *
kind_name(enum cw_import_kind k)
{
	return k == CW_IMPORT_DIRECTORY ? "care directory" : "Latest ratings (Locations sheet)";
}

/* Is the current record header h (n columns)?  0 no; 1 yes; -1 it starts
 * like it but differs (msg says where; *col is the column). */
static int
is_header(const struct cw_csv *r, const char *const *h, int n, char *msg, size_t size, int *col)
{
	char qb[48];

	if (strcmp(cw_csv_get(r, 0), h[0]) != 0)
		return 0;
	for (int i = 1; i < n; i++) {
		if (i >= cw_csv_nfields(r)) {
			*col = i;
			snprintf(msg, size, "header has %d columns (expected %d, the next '%s')",
				 cw_csv_nfields(r), n, h[i]);
			return -1;
		}
		if (strcmp(cw_csv_get(r, i), h[i]) != 0) {
			*col = i;
			snprintf(msg, size, "header column %d is '%s' (expected '%s')", i + 1,
				 q(cw_csv_get(r, i), qb, sizeof(qb)), h[i]);
			return -1;
		}
	}
	if (cw_csv_nfields(r) > n) {
		*col = n;
		snprintf(msg, size, "header has %d columns (expected %d, ending '%s')",
			 cw_csv_nfields(r), n, h[n - 1]);
		return -1;
	}
	return 1;
}

static bool
parse_rows(struct cw_import_batch *b, struct cw_csv *r, const struct cw_import_opts *o,
	   struct cw_error *err)
{
	const char *const *h = b->kind == CW_IMPORT_DIRECTORY ? dir_header : rat_header;
	const char *const *other = b->kind == CW_IMPORT_DIRECTORY ? rat_header : dir_header;
	int n = b->kind == CW_IMPORT_DIRECTORY ? D_NCOLS : R_NCOLS;
	int on = b->kind == CW_IMPORT_DIRECTORY ? R_NCOLS : D_NCOLS;
	struct cw_csv_error ce;
	enum cw_csv_status st;
	char msg[256];
	long line, records = 0;
	int col;
	const int64_t tomorrow = cw_date_to_days(cw_london_date((cw_time)time(NULL))) + 1;

	/* Preamble, then the header. */
	for (;;) {
		st = cw_csv_next(r, &ce);
		if (st == CW_CSV_FATAL)
			return fatal_at(b, r, ce.line, ce.column, err, ce.msg);
		if (st == CW_CSV_EOF || ++records > PREAMBLE_MAX) {
			snprintf(msg, sizeof(msg), "no CQC %s header in the first %d lines", kind_name(b->kind),
				 PREAMBLE_MAX);
			fatal_at(b, r, 0, 0, err, msg);
			cw_error_hint(err, "the header starts '%s,%s,%s,...'", h[0], h[1], h[2]);
			return false;
		}
		if (st != CW_CSV_ROW)
			continue;    /* a malformed preamble line is still preamble */
		switch (is_header(r, h, n, msg, sizeof(msg), &col)) {
		case 1:
			b->header_line = cw_csv_line(r);
			goto rows;
		case -1:
			cw_csv_field_pos(r, col, &line, &col);
			return fatal_at(b, r, line, col, err, msg);
		default:
			break;
		}
		if (is_header(r, other, on, msg, sizeof(msg), &col) == 1) {
			snprintf(msg, sizeof(msg), "this is CQC's %s, not the %s", kind_name(
				 b->kind == CW_IMPORT_DIRECTORY ? CW_IMPORT_RATINGS : CW_IMPORT_DIRECTORY),
				 kind_name(b->kind));
			fatal_at(b, r, 0, 0, err, msg);
			cw_error_hint(err, "use 'carewatch import %s'",
				      b->kind == CW_IMPORT_DIRECTORY ? "cqc-ratings" : "cqc-directory");
			return false;
		}
	}
rows:
	for (;;) {
		st = cw_csv_next(r, &ce);
		if (st == CW_CSV_EOF)
			break;
		if (st == CW_CSV_FATAL)
			return fatal_at(b, r, ce.line, ce.column, err, ce.msg);
		b->read++;
		if (st == CW_CSV_BAD) {
			struct cw_import_reject rj;
			memset(&rj, 0, sizeof(rj));
			locate(r, &rj, ce.line, ce.column);
			snprintf(rj.msg, sizeof(rj.msg), "%s", ce.msg);
			record_reject(b, &rj);
			continue;
		}
		if (all_empty(r)) {
			b->skipped[CW_SKIP_BLANK]++;
			continue;
		}
		if (cw_csv_nfields(r) != n) {
			reject(b, r, cw_csv_nfields(r) < n ? cw_csv_nfields(r) : n, NULL,
			       "%s row: %d fields (expected %d)", cw_csv_nfields(r) < n ? "short" : "long",
			       cw_csv_nfields(r), n);
			continue;
		}
		if (!(b->kind == CW_IMPORT_DIRECTORY ? directory_row(b, r, o)
						      : ratings_row(b, r, o, tomorrow)))
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	if (b->kind == CW_IMPORT_RATINGS && !ratings_emit(b))
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	return true;
}

bool
cw_import_parse(struct cw_import_batch *b, struct cw_csv *r, const struct cw_import_opts *o,
		struct cw_error *err)
{
	struct cw_sha256 md;
	bool ok;

	snprintf(b->file, sizeof(b->file), "%s", o->file ? o->file : "-");
	b->index = calloc(1, sizeof(*b->index));
	if (b->index == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	cw_sha256_init(&md);
	cw_csv_on_read(r, hash_chunk, &md);
	ok = parse_rows(b, r, o, err);
	b->bom = cw_csv_had_bom(r);
	b->crlf = cw_csv_had_crlf(r);
	cw_csv_on_read(r, NULL, NULL);
	if (ok)
		cw_sha256_final_hex(&md, b->sha256);
	return ok;
}
