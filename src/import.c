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
#include <strings.h>
#include <time.h>

#include <uuid/uuid.h>

#include "carewatch/import.h"
#include "carewatch/ods.h"
#include "carewatch/output.h"
#include "carewatch/sha256.h"
#include "carewatch/vocab.h"

/* ---- CQC's layouts ---- */

/* The fields the importers read, whichever file they come from. */
enum {
	C_LOCATION_ID, C_TYPE, C_CARE_HOME, C_LA, C_REGION, C_GROUP, C_DOMAIN, C_RATING,
	C_PUBLISHED, C_INHERITED, C_FRAMEWORK,
	C_NAME, C_POSTCODE, C_SERVICE_TYPES, C_PROVIDER_NAME, C_PROVIDER_ID,
	C_BEDS, C_DORMANT, C_END_DATE, C_STATUS,
	C__N
};

/* A column: its name in CQC's header (compared ignoring case and spaces at
 * either end), an older vintage's name for it, and whether the file is not
 * CQC's without it. */
struct colspec {
	int field;
	const char *name, *alias;
	bool required;
};

static const struct colspec dir_cols[] = {
	{C_NAME, "Name", NULL, true},
	{C_POSTCODE, "Postcode", NULL, true},
	{C_SERVICE_TYPES, "Service types", NULL, true},
	{C_PROVIDER_NAME, "Provider name", NULL, true},
	{C_LA, "Local authority", NULL, true},
	{C_LOCATION_ID, "CQC Location ID (for office use only)", NULL, true},
	{C_PROVIDER_ID, "CQC Provider ID (for office use only)", NULL, true},
	{-1, NULL, NULL, false},
};

/* Older vintages lack Location ODS Code, Location NHS Region and Inherited
 * Rating (Y/N) and call Domain "Key Question". */
static const struct colspec rat_cols[] = {
	{C_LOCATION_ID, "Location ID", NULL, true},
	{C_TYPE, "Location Type", NULL, true},
	{C_LA, "Location Local Authority", NULL, true},
	{C_GROUP, "Service / Population Group", NULL, true},
	{C_DOMAIN, "Domain", "Key Question", true},
	{C_RATING, "Latest Rating", NULL, true},
	{C_PUBLISHED, "Publication Date", NULL, true},
	{C_CARE_HOME, "Care Home?", NULL, false},
	{C_REGION, "Location Region", NULL, false},
	{C_INHERITED, "Inherited Rating (Y/N)", NULL, false},
	{C_FRAMEWORK, "Assessment Framework", "Framework", false},
	{-1, NULL, NULL, false},
};

/* HSCA Active Locations: about 122 columns, of which these, and every
 * "Service type - ..." column (Y or N). */
static const struct colspec act_cols[] = {
	{C_LOCATION_ID, "Location ID", NULL, true},
	{C_LA, "Location Local Authority", NULL, true},
	{C_BEDS, "Care homes beds", NULL, true},
	{C_DORMANT, "Dormant (Y/N)", NULL, true},
	{C_TYPE, "Location Type/Sector", "Location Type", false},
	{-1, NULL, NULL, false},
};

static const struct colspec deact_cols[] = {
	{C_LOCATION_ID, "Location ID", NULL, true},
	{C_LA, "Location Local Authority", NULL, true},
	{C_END_DATE, "Location HSCA End Date", NULL, true},
	{C_BEDS, "Care homes beds at point of deactivation", "Care homes beds", false},
	{C_STATUS, "Location Status", NULL, false},
	{C_TYPE, "Location Type/Sector", "Location Type", false},
	{-1, NULL, NULL, false},
};

static const struct colspec *const kind_cols[] = {dir_cols, rat_cols, act_cols, deact_cols};
/* The sheet of each kind's workbook ('|' between the names CQC has used). */
static const char *const kind_sheet[] = {"CQC_directory|Directory", "Locations",
					 "HSCA_Active_Locations|HSCA Active Locations",
					 "Deactivated_Locations|Deactivated Locations|Deactivated"};
static const char *const kind_command[] = {"cqc-directory", "cqc-ratings", "cqc-active",
					   "cqc-deactivated"};
#define N_KINDS 4
#define SERVICE_TYPE_PREFIX "Service type - "

#define PREAMBLE_MAX 10    /* records searched for the header */
#define NAME_MAX_CHARS 300 /* organisation.name, provider.name */
#define GROUP_MAX_CHARS 200 /* cqc_service_rating.service_group */

static const char *const skip_words[CW_SKIP__N] = {
	"blank", "other_local_authority", "not_adult_social_care", "not_a_rating",
	"population_group_duplicate", "repeated_row", "same_date_duplicate", "service_level",
	"not_deactivated", "no_locality", "unknown_location",
};
static const char *const skip_labels[CW_SKIP__N] = {
	"blank row", "other local authority", "not adult social care", "not a rating",
	"population group duplicate", "repeated row", "same-date duplicate",
	"service-level rating (kept per service)", "not deactivated", "postcode district not mapped",
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

/* True when s holds a bad_char anywhere. */
static bool
has_bad_char(const char *s)
{
	uint32_t cp;
	long at;

	return find_bad_char(s, &cp, &at);
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

static const char *const framework_words[] = {"legacy", "saf", "sector"};

const char *
cw_framework_word(enum cw_framework f)
{
	return (unsigned)f <= CW_FRAMEWORK_SECTOR ? framework_words[f] : "?";
}

enum cw_framework
cw_import_framework(const char *column, struct cw_date published)
{
	char c[96];

	trimmed(column ? column : "", c, sizeof(c), NULL);
	for (char *p = c; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strstr(c, "sector"))
		return CW_FRAMEWORK_SECTOR;
	if (strstr(c, "single assessment") || strcmp(c, "saf") == 0)
		return CW_FRAMEWORK_SAF;
	if (strstr(c, "2014") || strstr(c, "legacy") || strstr(c, "kloe") || strstr(c, "key lines"))
		return CW_FRAMEWORK_LEGACY;
	/* CQC began assessing under the single assessment framework on
	 * 21 November 2023. */
	return cw_date_to_days(published) >= cw_date_to_days((struct cw_date){2023, 11, 21})
		? CW_FRAMEWORK_SAF : CW_FRAMEWORK_LEGACY;
}

bool
cw_import_file_date(const char *name, struct cw_date *out)
{
	static const char *const months[] = {"january", "february", "march", "april", "may", "june",
					     "july", "august", "september", "october", "november",
					     "december"};

	/* DD_Month_YYYY (or with spaces or dashes) anywhere in the name. */
	for (const char *p = name; *p; p++) {
		const char *s = p, *m;
		int d = 0, y = 0, mo = -1, k;
		char iso[32];
		struct cw_error e;

		if (!isdigit((unsigned char)*s) || (p > name && isdigit((unsigned char)p[-1])))
			continue;
		for (k = 0; k < 2 && isdigit((unsigned char)*s); k++)
			d = d * 10 + (*s++ - '0');
		if (*s != '_' && *s != ' ' && *s != '-')
			continue;
		m = ++s;
		while (isalpha((unsigned char)*s))
			s++;
		for (int i = 0; i < 12; i++)
			if ((size_t)(s - m) == strlen(months[i]) && strncasecmp(m, months[i], (size_t)(s - m)) == 0)
				mo = i + 1;
		if (mo < 0 || (*s != '_' && *s != ' ' && *s != '-'))
			continue;
		s++;
		for (k = 0; k < 4 && isdigit((unsigned char)*s); k++)
			y = y * 10 + (*s++ - '0');
		if (k != 4 || isdigit((unsigned char)*s))
			continue;
		snprintf(iso, sizeof(iso), "%04d-%02d-%02d", y, mo, d);
		cw_error_clear(&e);
		if (cw_date_parse(iso, "date", out, &e))
			return true;
	}
	return false;
}

/* ---- duplicate detection: open addressing over an entry array ---- */

/* Ratings are keyed by (location, group, domain, publication date): group 0
 * is the location's own (the Overall population group), GROUP_DERIVED a
 * location rating made from its services' ones, and any other a service or
 * population group (its interned name's id + 1). */
#define GROUP_DERIVED 0xFFFF

struct ientry {
	char loc[20];                  /* CQC location ID */
	int32_t day;                   /* ratings: publication date (days since 1970) */
	uint16_t group;
	unsigned char domain, rating, framework, inherited;
	/* comparisons (one entry per location): */
	unsigned char care_home, cmp_rating, cmp_basis;   /* basis: 0 none, 1 location, 2 services */
	uint16_t la, region;
	int32_t cmp_day;
	uint64_t sum;                  /* directory, locations: hash of the staged line */
	long line;
};

struct cw_import_index {
	struct ientry *e;
	size_t n, cap;
	uint32_t *slot;                /* entry index + 1; 0 empty */
	size_t nslots;                 /* power of two */
	struct cw_import_index *cmp;   /* ratings: one entry per location, for the comparisons */
	char **names;                  /* interned groups, local authorities, regions */
	int nnames, capnames;
	uint32_t *name_slot;           /* name id + 1; 0 empty */
	size_t name_nslots;
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
key_hash(const char *loc, int group, int domain, int32_t day)
{
	uint64_t h = fnv(loc, strlen(loc), 14695981039346656037ULL);
	int k = group * 8 + domain;

	h = fnv(&k, sizeof(k), h);
	return fnv(&day, sizeof(day), h);
}

static void
index_free(struct cw_import_index *x)
{
	if (x == NULL)
		return;
	index_free(x->cmp);
	for (int i = 0; i < x->nnames; i++)
		free(x->names[i]);
	free(x->names);
	free(x->name_slot);
	free(x->e);
	free(x->slot);
	free(x);
}

/* The id of name (interned on first sight), or -1 when out of memory or
 * past 65,000 names. */
static int
intern(struct cw_import_index *x, const char *name)
{
	uint64_t h = fnv(name, strlen(name), 14695981039346656037ULL);
	size_t k;

	if ((size_t)(x->nnames + 1) * 2 > x->name_nslots) {
		size_t ns = x->name_nslots ? x->name_nslots * 2 : 256;
		uint32_t *s = calloc(ns, sizeof(*s));
		if (s == NULL)
			return -1;
		for (int i = 0; i < x->nnames; i++) {
			size_t j = (size_t)fnv(x->names[i], strlen(x->names[i]), 14695981039346656037ULL) & (ns - 1);
			while (s[j])
				j = (j + 1) & (ns - 1);
			s[j] = (uint32_t)(i + 1);
		}
		free(x->name_slot);
		x->name_slot = s;
		x->name_nslots = ns;
	}
	k = (size_t)h & (x->name_nslots - 1);
	while (x->name_slot[k]) {
		int id = (int)x->name_slot[k] - 1;
		if (strcmp(x->names[id], name) == 0)
			return id;
		k = (k + 1) & (x->name_nslots - 1);
	}
	if (x->nnames >= 65000)
		return -1;
	if (x->nnames == x->capnames) {
		int cap = x->capnames ? x->capnames * 2 : 64;
		char **p = realloc(x->names, (size_t)cap * sizeof(*p));
		if (p == NULL)
			return -1;
		x->names = p;
		x->capnames = cap;
	}
	x->names[x->nnames] = strdup(name);
	if (x->names[x->nnames] == NULL)
		return -1;
	x->name_slot[k] = (uint32_t)(x->nnames + 1);
	return x->nnames++;
}

static bool
index_rehash(struct cw_import_index *x, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));

	if (s == NULL)
		return false;
	for (size_t i = 0; i < x->n; i++) {
		size_t k = (size_t)key_hash(x->e[i].loc, x->e[i].group, x->e[i].domain, x->e[i].day) &
			   (nslots - 1);
		while (s[k])
			k = (k + 1) & (nslots - 1);
		s[k] = (uint32_t)(i + 1);
	}
	free(x->slot);
	x->slot = s;
	x->nslots = nslots;
	return true;
}

/* The entry for (loc, group, domain, day): *found says whether it existed;
 * a new one is added otherwise.  NULL only when out of memory. */
static struct ientry *
index_get(struct cw_import_index *x, const char *loc, int group, int domain, int32_t day,
	  bool *found)
{
	size_t k;

	if ((x->n + 1) * 2 > x->nslots && !index_rehash(x, x->nslots ? x->nslots * 2 : 1024))
		return NULL;
	k = (size_t)key_hash(loc, group, domain, day) & (x->nslots - 1);
	while (x->slot[k]) {
		struct ientry *e = &x->e[x->slot[k] - 1];
		if (e->domain == domain && e->group == group && e->day == day && strcmp(e->loc, loc) == 0) {
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
	x->e[x->n].group = (uint16_t)group;
	x->e[x->n].day = day;
	x->slot[k] = (uint32_t)(x->n + 1);
	*found = false;
	return &x->e[x->n++];
}

/* The entry for (loc, group, domain, day), or NULL. */
static const struct ientry *
index_find(const struct cw_import_index *x, const char *loc, int group, int domain, int32_t day)
{
	size_t k;

	if (x->nslots == 0)
		return NULL;
	k = (size_t)key_hash(loc, group, domain, day) & (x->nslots - 1);
	while (x->slot[k]) {
		const struct ientry *e = &x->e[x->slot[k] - 1];
		if (e->domain == domain && e->group == group && e->day == day && strcmp(e->loc, loc) == 0)
			return e;
		k = (k + 1) & (x->nslots - 1);
	}
	return NULL;
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
	cw_copybuf_free(&b->services);
	cw_copybuf_free(&b->la_counts);
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

/* ---- where rows come from: a CSV file or a workbook's sheet ---- */

struct src {
	struct cw_csv *csv;
	struct cw_ods *ods;
};

static int
s_n(const struct src *r)
{
	return r->csv ? cw_csv_nfields(r->csv) : cw_ods_nfields(r->ods);
}

static const char *
s_get(const struct src *r, int i)
{
	if (i < 0)
		return "";
	return r->csv ? cw_csv_get(r->csv, i) : cw_ods_get(r->ods, i);
}

static long
s_line(const struct src *r)
{
	return r->csv ? cw_csv_line(r->csv) : cw_ods_row(r->ods);
}

static enum cw_csv_status
s_next(struct src *r, struct cw_csv_error *e)
{
	return r->csv ? cw_csv_next(r->csv, e) : cw_ods_next(r->ods, e);
}

/* Fill rj for a fault at (line, column) of the CSV reader's current record. */
static void
locate(const struct src *r, struct cw_import_reject *rj, long line, int column)
{
	size_t len;
	const char *text;
	int col;

	rj->line = line;
	rj->column = column;
	rj->excerpt[0] = '\0';
	if (r->ods) {
		/* A sheet's row: its cells joined by commas, the caret under the cell. */
		text = cw_ods_row_text(r->ods, column - 1, &len, &col);
		if (len)
			cw_csv_excerpt(text, len, col, rj->excerpt, sizeof(rj->excerpt));
		return;
	}
	text = cw_csv_source_line(r->csv, line, &len);
	if (text)
		cw_csv_excerpt(text, len, column, rj->excerpt, sizeof(rj->excerpt));
}

/* Where field i starts: the CSV's line and byte column, or the sheet's row
 * and cell number. */
static void
s_pos(const struct src *r, int i, long *line, int *column)
{
	if (r->csv) {
		cw_csv_field_pos(r->csv, i, line, column);
		return;
	}
	*line = cw_ods_row(r->ods);
	*column = i + 1;
}

/* Reject the current row because of field i (i >= nfields: the row's end). */
static void reject(struct cw_import_batch *b, const struct src *r, int i, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void
reject(struct cw_import_batch *b, const struct src *r, int i, const char *field,
       const char *fmt, ...)
{
	struct cw_import_reject rj;
	va_list ap;
	long line;
	int column;

	memset(&rj, 0, sizeof(rj));
	s_pos(r, i < 0 ? s_n(r) : i, &line, &column);
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
all_empty(const struct src *r)
{
	for (int i = 0; i < s_n(r); i++) {
		const char *s = s_get(r, i);
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
	char name[400];
	int n = snprintf(name, sizeof(name), "%s:%s", kind, key);

	uuid_parse(import_ns, ns);
	uuid_generate_sha1(id, ns, name, (size_t)(n < (int)sizeof(name) ? n : (int)sizeof(name) - 1));
	uuid_unparse_lower(id, out);
}

void
cw_import_uuid(const char *kind, const char *key, char out[37])
{
	uuid_for(kind, key, out);
}

/* The field the importer calls f in the current row ("" when the header
 * has no such column). */
static const char *
fld(const struct cw_import_batch *b, const struct src *r, int f)
{
	return s_get(r, b->col[f]);
}

/* The header's name for field f, for messages. */
static const char *
fname(const struct cw_import_batch *b, int f)
{
	for (const struct colspec *c = kind_cols[b->kind]; c->name; c++)
		if (c->field == f)
			return c->name;
	return "?";
}

/* A text field we store: trimmed, present, one line without control
 * characters or byte order marks, at most max characters.  False (row
 * rejected) otherwise.  The reason says where, never what: a name is shown
 * only as the file's line under the message. */
static bool
text_field(struct cw_import_batch *b, const struct src *r, int f, char *buf, size_t size, int max)
{
	const char *name = fname(b, f);
	uint32_t cp;
	long at;
	bool cut;

	trimmed(fld(b, r, f), buf, size, &cut);
	if (buf[0] == '\0') {
		reject(b, r, b->col[f], name, "missing %s", name);
		return false;
	}
	if (find_bad_char(buf, &cp, &at)) {
		reject(b, r, b->col[f], name, "%s contains %s (U+%04X) at character %ld", name,
		       cp == 0xFEFF ? "a byte order mark" : "a control character", (unsigned)cp, at);
		return false;
	}
	if (cut || utf8_chars(buf) > (size_t)max) {
		reject(b, r, b->col[f], name, "%s longer than %d characters", name, max);
		return false;
	}
	return true;
}

static bool
id_field(struct cw_import_batch *b, const struct src *r, int f, char *buf, size_t size)
{
	const char *name = fname(b, f);
	char qb[48];

	trimmed(fld(b, r, f), buf, size, NULL);
	if (buf[0] == '\0') {
		reject(b, r, b->col[f], name, "missing %s", name);
		return false;
	}
	if (!cqc_id_ok(buf)) {
		reject(b, r, b->col[f], name, "invalid %s '%s' (expected 1- and 3 to 15 digits)", name,
		       q(fld(b, r, f), qb, sizeof(qb)));
		return false;
	}
	return true;
}

/* False when the local authority filter excludes the row. */
static bool
in_scope(const struct cw_import_batch *b, const struct src *r, const struct cw_import_opts *o)
{
	char la[128];

	if (o->local_authority == NULL || o->local_authority[0] == '\0')
		return true;
	trimmed(fld(b, r, C_LA), la, sizeof(la), NULL);
	return eq_nocase(la, o->local_authority);
}

/* The staged line's number as text. */
static void
line_text(const struct src *r, char out[24])
{
	snprintf(out, 24, "%ld", s_line(r));
}

/* ---- the care directory ---- */

static bool
directory_row(struct cw_import_batch *b, const struct src *r, const struct cw_import_opts *o)
{
	char name[1300], pname[1300], loc[24], prov[24], pc[9], district[9], raw_pc[64];
	char id[CW_UUID_LEN], org[CW_UUID_LEN], lineno[24], qb[48];
	size_t mark = b->copy_len;
	struct ientry *e;
	uint64_t sum;
	bool found;
	int ct;

	if (!in_scope(b, r, o)) {
		b->skipped[CW_SKIP_OTHER_LA]++;
		return true;
	}
	ct = cw_import_care_type(fld(b, r, C_SERVICE_TYPES));
	if (ct < 0) {
		b->skipped[CW_SKIP_NOT_ASC]++;
		return true;
	}
	if (!id_field(b, r, C_LOCATION_ID, loc, sizeof(loc)) ||
	    !id_field(b, r, C_PROVIDER_ID, prov, sizeof(prov)) ||
	    !text_field(b, r, C_NAME, name, sizeof(name), NAME_MAX_CHARS) ||
	    !text_field(b, r, C_PROVIDER_NAME, pname, sizeof(pname), NAME_MAX_CHARS))
		return true;
	trimmed(fld(b, r, C_POSTCODE), raw_pc, sizeof(raw_pc), NULL);
	if (raw_pc[0] == '\0') {
		reject(b, r, b->col[C_POSTCODE], "Postcode", "missing Postcode");
		return true;
	}
	if (!cw_import_postcode(raw_pc, pc, district)) {
		reject(b, r, b->col[C_POSTCODE], "Postcode", "invalid Postcode '%s'", q(raw_pc, qb, sizeof(qb)));
		return true;
	}
	uuid_for("provider", loc, id);
	uuid_for("organisation", prov, org);
	line_text(r, lineno);
	if (!copy_field(b, lineno, '\t') || !copy_field(b, loc, '\t') || !copy_field(b, prov, '\t') ||
	    !copy_field(b, id, '\t') || !copy_field(b, org, '\t') || !copy_field(b, name, '\t') ||
	    !copy_field(b, pname, '\t') || !copy_field(b, cw_vocab_word(&cw_vocab_care_type, ct), '\t') ||
	    !copy_field(b, pc, '\t') || !copy_field(b, district, '\n'))
		return false;
	/* The same location twice: the same row again is skipped; a different
	 * one is a contradiction in the file and rejected. */
	sum = fnv(b->copy + mark + strlen(lineno), b->copy_len - mark - strlen(lineno),
		  14695981039346656037ULL);
	e = index_get(b->index, loc, 0, 0, 0, &found);
	if (e == NULL)
		return false;
	if (found) {
		b->copy_len = mark;
		b->copy[mark] = '\0';
		if (e->sum == sum) {
			b->skipped[CW_SKIP_REPEATED]++;
			return true;
		}
		reject(b, r, b->col[C_LOCATION_ID], fname(b, C_LOCATION_ID),
		       "%s '%s' is also on line %ld, with different details", fname(b, C_LOCATION_ID), loc,
		       e->line);
		return true;
	}
	e->sum = sum;
	e->line = s_line(r);
	b->staged++;
	return true;
}

/* ---- latest ratings ---- */

static bool
yes(const char *s)
{
	char t[8];

	trimmed(s, t, sizeof(t), NULL);
	return eq_nocase(t, "Y") || eq_nocase(t, "Yes");
}

/* Which of two ratings of one location, domain and date counts: CQC's own
 * (not inherited from a previous registration) over an inherited one, and
 * otherwise the worse, so a same-date pair never flatters a service. */
static bool
beats(int rating, bool inherited, const struct ientry *e)
{
	if (inherited != (e->inherited != 0))
		return !inherited;
	return rating > e->rating;
}

/* Remember a location's overall rating for the comparisons: the newest;
 * on one date the location's own over its services', and the worst of its
 * services'. */
static bool
compare_note(struct cw_import_batch *b, const struct src *r, const char *loc, int group, int rating,
	     int32_t day)
{
	struct cw_import_index *x = b->index;
	char la[128], region[128];
	struct ientry *e;
	bool found;
	int basis = group == 0 ? 1 : 2;

	if (x->cmp == NULL && (x->cmp = calloc(1, sizeof(*x->cmp))) == NULL)
		return false;
	e = index_get(x->cmp, loc, 0, 0, 0, &found);
	if (e == NULL)
		return false;
	if (!found) {
		int li, ri;
		trimmed(fld(b, r, C_LA), la, sizeof(la), NULL);
		trimmed(fld(b, r, C_REGION), region, sizeof(region), NULL);
		if (la[0] == '\0' || has_bad_char(la) || has_bad_char(region))
			return true;    /* no authority to count it under */
		li = intern(x, la);
		ri = intern(x, region);
		if (li < 0 || ri < 0)
			return false;
		e->la = (uint16_t)li;
		e->region = (uint16_t)ri;
		e->care_home = (unsigned char)yes(fld(b, r, C_CARE_HOME));
	}
	if (e->cmp_basis == 0 || day > e->cmp_day ||
	    (day == e->cmp_day && (basis < e->cmp_basis ||
				   (basis == e->cmp_basis && rating > e->cmp_rating)))) {
		e->cmp_day = day;
		e->cmp_basis = (unsigned char)basis;
		e->cmp_rating = (unsigned char)rating;
	}
	return true;
}

/* Publication dates CQC can have published: from 1 January 2010 (CQC
 * began registering adult social care in 2010) to tomorrow (a file made
 * late in the day in another time zone); 0001 or 9999 is a fault in the
 * file, not a rating. */
#define FIRST_PUBLISHED ((struct cw_date){2010, 1, 1})

static bool
published_ok(struct cw_date d, int64_t last_day)
{
	return cw_date_to_days(d) >= cw_date_to_days(FIRST_PUBLISHED) && cw_date_to_days(d) <= last_day;
}

static bool
ratings_row(struct cw_import_batch *b, const struct src *r, const struct cw_import_opts *o,
	    int64_t last_day)
{
	char loc[24], type[64], dom[64], rat[128], pub[32], grp[GROUP_MAX_CHARS * 4 + 8], why[96], qb[48];
	struct cw_date d;
	struct ientry *e;
	int domain, rating, group = 0;
	bool found, inherited, cut;
	enum cw_framework fw;

	if (!eq_nocase(trimmed(fld(b, r, C_TYPE), type, sizeof(type), NULL), "Social Care Org")) {
		b->skipped[CW_SKIP_NOT_ASC]++;
		return true;
	}
	trimmed(fld(b, r, C_GROUP), grp, sizeof(grp), &cut);
	if (!eq_nocase(grp, "Overall")) {
		if (grp[0] == '\0')
			group = 0;    /* no group: the location's own */
		else if (cut || has_bad_char(grp) || utf8_chars(grp) > GROUP_MAX_CHARS)
			group = -1;
		else if ((group = intern(b->index, grp)) < 0)
			return false;
		else
			group++;
	}
	trimmed(fld(b, r, C_LOCATION_ID), loc, sizeof(loc), NULL);
	trimmed(fld(b, r, C_DOMAIN), dom, sizeof(dom), NULL);
	trimmed(fld(b, r, C_RATING), rat, sizeof(rat), NULL);
	trimmed(fld(b, r, C_PUBLISHED), pub, sizeof(pub), NULL);
	domain = cw_vocab_parse(&cw_vocab_domain, dom);
	rating = cw_vocab_parse(&cw_vocab_rating, rat);
	/* Every authority's overall ratings count in the comparisons, whatever
	 * --local-authority keeps. */
	if (domain == CW_DOMAIN_OVERALL && rating >= 0 && group >= 0 && cqc_id_ok(loc) &&
	    cw_import_dmy(pub, &d, why, sizeof(why)) && published_ok(d, last_day) &&
	    !compare_note(b, r, loc, group, rating, (int32_t)cw_date_to_days(d)))
		return false;
	if (!in_scope(b, r, o)) {
		b->skipped[CW_SKIP_OTHER_LA]++;
		return true;
	}
	if (!id_field(b, r, C_LOCATION_ID, loc, sizeof(loc)))
		return true;
	if (domain < 0) {
		reject(b, r, b->col[C_DOMAIN], "Domain",
		       "invalid Domain '%s' (expected Safe, Effective, Caring, Responsive,"
		       " Well-led or Overall)", q(dom, qb, sizeof(qb)));
		return true;
	}
	if (rat[0] == '\0') {
		reject(b, r, b->col[C_RATING], "Latest Rating", "missing Latest Rating");
		return true;
	}
	if (rating < 0) {
		/* Not rated, Not applicable, Regulations met, No Approved Rating,
		 * Inspected but not rated, Insufficient evidence to rate. */
		b->skipped[CW_SKIP_NOT_RATING]++;
		count_value(b->not_rating, &b->n_not_rating, CW_IMPORT_MAX_VALUES, rat);
		return true;
	}
	if (pub[0] == '\0') {
		reject(b, r, b->col[C_PUBLISHED], "Publication Date", "missing Publication Date");
		return true;
	}
	if (!cw_import_dmy(pub, &d, why, sizeof(why))) {
		reject(b, r, b->col[C_PUBLISHED], "Publication Date", "invalid Publication Date '%s' (%s)",
		       q(pub, qb, sizeof(qb)), why);
		return true;
	}
	if (!published_ok(d, last_day)) {
		reject(b, r, b->col[C_PUBLISHED], "Publication Date", "invalid Publication Date '%s' (%s)",
		       q(pub, qb, sizeof(qb)), cw_date_to_days(d) > last_day ? "later than tomorrow"
		       : "before 01/01/2010, when CQC began");
		return true;
	}
	if (group < 0) {
		reject(b, r, b->col[C_GROUP], "Service / Population Group",
		       "invalid Service / Population Group '%s' (control characters, or longer than %d"
		       " characters)", q(grp, qb, sizeof(qb)), GROUP_MAX_CHARS);
		return true;
	}
	inherited = yes(fld(b, r, C_INHERITED));
	fw = cw_import_framework(fld(b, r, C_FRAMEWORK), d);
	e = index_get(b->index, loc, group, domain, (int32_t)cw_date_to_days(d), &found);
	if (e == NULL)
		return false;
	if (!found) {
		e->rating = (unsigned char)rating;
		e->inherited = (unsigned char)inherited;
		e->framework = (unsigned char)fw;
		e->line = s_line(r);
		return true;
	}
	if (e->rating == rating) {
		b->skipped[CW_SKIP_REPEATED]++;
		return true;
	}
	/* Two ratings on one date: one counts (beats), the other is skipped. */
	b->skipped[CW_SKIP_SAME_DATE]++;
	if (beats(rating, inherited, e)) {
		e->rating = (unsigned char)rating;
		e->inherited = (unsigned char)inherited;
		e->framework = (unsigned char)fw;
		e->line = s_line(r);
	}
	return true;
}

static bool
rating_copy(struct cw_import_batch *b, const struct ientry *e, const char *basis)
{
	char key[64], id[CW_UUID_LEN], lineno[24], date[CW_DATE_LEN];

	cw_date_format(cw_date_from_days(e->day), date, sizeof(date));
	snprintf(key, sizeof(key), "%s/%s/%s", e->loc, cw_vocab_word(&cw_vocab_domain, e->domain), date);
	uuid_for("cqc_rating", key, id);
	snprintf(lineno, sizeof(lineno), "%ld", e->line);
	b->staged++;
	return copy_field(b, lineno, '\t') && copy_field(b, id, '\t') && copy_field(b, e->loc, '\t') &&
	       copy_field(b, cw_vocab_word(&cw_vocab_domain, e->domain), '\t') &&
	       copy_field(b, cw_vocab_word(&cw_vocab_rating, e->rating), '\t') &&
	       copy_field(b, date, '\t') &&
	       copy_field(b, cw_framework_word((enum cw_framework)e->framework), '\t') &&
	       copy_field(b, basis, '\n');
}

static bool
service_copy(struct cw_import_batch *b, const struct ientry *e)
{
	const char *grp = b->index->names[e->group - 1];
	char key[GROUP_MAX_CHARS * 4 + 96], id[CW_UUID_LEN], lineno[24], date[CW_DATE_LEN];

	cw_date_format(cw_date_from_days(e->day), date, sizeof(date));
	snprintf(key, sizeof(key), "%s/%s/%s/%s", e->loc, grp, cw_vocab_word(&cw_vocab_domain, e->domain),
		 date);
	uuid_for("cqc_service_rating", key, id);
	snprintf(lineno, sizeof(lineno), "%ld", e->line);
	b->staged_services++;
	return cw_copybuf_field(&b->services, lineno, '\t') && cw_copybuf_field(&b->services, id, '\t') &&
	       cw_copybuf_field(&b->services, e->loc, '\t') && cw_copybuf_field(&b->services, grp, '\t') &&
	       cw_copybuf_field(&b->services, cw_vocab_word(&cw_vocab_domain, e->domain), '\t') &&
	       cw_copybuf_field(&b->services, cw_vocab_word(&cw_vocab_rating, e->rating), '\t') &&
	       cw_copybuf_field(&b->services, date, '\t') &&
	       cw_copybuf_field(&b->services, cw_framework_word((enum cw_framework)e->framework), '\n');
}

/* Every authority's counts by care type and rating, as staging rows. */
static bool
la_counts_emit(struct cw_import_batch *b)
{
	struct cw_import_index *x = b->index, *c = x->cmp;
	long *n;
	char date[CW_DATE_LEN];

	if (c == NULL || c->n == 0)
		return true;
	n = calloc((size_t)x->nnames * 8, sizeof(*n));
	if (n == NULL)
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].cmp_basis)
			n[(size_t)c->e[i].la * 8 + (size_t)c->e[i].care_home * 4 + c->e[i].cmp_rating]++;
	cw_date_format(b->file_date, date, sizeof(date));
	for (int la = 0; la < x->nnames; la++) {
		int region = -1;
		for (size_t i = 0; i < c->n && region < 0; i++)
			if (c->e[i].cmp_basis && c->e[i].la == la)
				region = c->e[i].region;
		for (int k = 0; k < 8; k++) {
			char key[300], id[CW_UUID_LEN], num[24];
			const char *ct = k >= 4 ? "care_home" : "community";
			const char *rt = cw_vocab_word(&cw_vocab_rating, k % 4);
			bool ok;
			if (n[(size_t)la * 8 + (size_t)k] == 0)
				continue;
			snprintf(key, sizeof(key), "%s/%s/%s/%s", date, x->names[la], ct, rt);
			uuid_for("cqc_la_rating", key, id);
			snprintf(num, sizeof(num), "%ld", n[(size_t)la * 8 + (size_t)k]);
			ok = cw_copybuf_field(&b->la_counts, id, '\t') &&
			     cw_copybuf_field(&b->la_counts, x->names[la], '\t') &&
			     cw_copybuf_field(&b->la_counts, region >= 0 ? x->names[region] : "", '\t') &&
			     cw_copybuf_field(&b->la_counts, ct, '\t') && cw_copybuf_field(&b->la_counts, rt, '\t') &&
			     cw_copybuf_field(&b->la_counts, num, '\n');
			if (!ok) {
				free(n);
				return false;
			}
			b->staged_la_counts++;
		}
	}
	free(n);
	return true;
}

/* The chosen ratings as staging rows: each location's own, then the
 * services' (each kept), and for a location, domain and date with no
 * rating of its own (its row Not Rated), the worst of its services'. */
static bool
ratings_emit(struct cw_import_batch *b)
{
	struct cw_import_index *x = b->index;
	size_t n = x->n;
	int32_t latest = INT32_MIN;

	for (size_t i = 0; i < n; i++) {
		struct ientry e = x->e[i];
		const struct ientry *own;
		struct ientry *d;
		bool found;

		if (e.day > latest)
			latest = e.day;
		if (e.group == 0) {
			if (!rating_copy(b, &e, "location"))
				return false;
			continue;
		}
		own = index_find(x, e.loc, 0, e.domain, e.day);
		/* A service's rating is kept unless it only repeats the
		 * location's own (a care home's Care Homes rows). */
		if ((own == NULL || own->rating != e.rating) && !service_copy(b, &e))
			return false;
		if (own) {
			/* The location's own rating stands. */
			b->skipped[CW_SKIP_GROUP_DUPLICATE]++;
			continue;
		}
		d = index_get(x, e.loc, GROUP_DERIVED, e.domain, e.day, &found);
		if (d == NULL)
			return false;
		if (!found) {
			*d = e;
			d->group = GROUP_DERIVED;
		} else {
			b->skipped[CW_SKIP_SERVICE_LEVEL]++;
			if (e.rating > d->rating) {
				d->rating = e.rating;
				d->line = e.line;
			}
		}
	}
	for (size_t i = n; i < x->n; i++)
		if (x->e[i].group == GROUP_DERIVED) {
			b->derived++;
			if (!rating_copy(b, &x->e[i], "services"))
				return false;
		}
	if (!b->file_date.y && latest != INT32_MIN)
		b->file_date = cw_date_from_days(latest);
	return la_counts_emit(b);
}

/* ---- active and deactivated locations ---- */

/* A service type column's word: "Service type - Care home service with
 * nursing" -> "care_home_service_with_nursing". */
static void
service_word(const char *header, char *out, size_t size)
{
	size_t n = 0;
	bool gap = false;

	for (const char *s = header + strlen(SERVICE_TYPE_PREFIX); *s && n + 2 < size; s++) {
		if (isalnum((unsigned char)*s)) {
			if (gap && n > 0)
				out[n++] = '_';
			out[n++] = (char)tolower((unsigned char)*s);
			gap = false;
		} else {
			gap = true;
		}
	}
	out[n] = '\0';
}

static bool
location_row(struct cw_import_batch *b, const struct src *r, const struct cw_import_opts *o)
{
	char loc[24], beds[32], dorm[16], end[32], why[96], qb[48], lineno[24], status[64], type[64];
	char types[CW_IMPORT_MAX_SERVICE_TYPES * 66 + 4], lid[CW_UUID_LEN], key[64];
	bool deact = b->kind == CW_IMPORT_DEACTIVATED, found;
	size_t mark = b->copy_len;
	struct cw_date d;
	struct ientry *e;
	uint64_t sum;
	long nbeds = -1;

	if (!in_scope(b, r, o)) {
		b->skipped[CW_SKIP_OTHER_LA]++;
		return true;
	}
	if (b->col[C_TYPE] >= 0 &&
	    !eq_nocase(trimmed(fld(b, r, C_TYPE), type, sizeof(type), NULL), "Social Care Org")) {
		b->skipped[CW_SKIP_NOT_ASC]++;
		return true;
	}
	if (deact && b->col[C_STATUS] >= 0 &&
	    !eq_nocase(trimmed(fld(b, r, C_STATUS), status, sizeof(status), NULL), "Deactivated")) {
		b->skipped[CW_SKIP_NOT_DEACTIVATED]++;
		return true;
	}
	if (!id_field(b, r, C_LOCATION_ID, loc, sizeof(loc)))
		return true;
	trimmed(fld(b, r, C_BEDS), beds, sizeof(beds), NULL);
	if (beds[0]) {
		char *stop;
		nbeds = strtol(beds, &stop, 10);
		if (*stop || nbeds < 0 || nbeds > 10000 || !isdigit((unsigned char)beds[0])) {
			reject(b, r, b->col[C_BEDS], fname(b, C_BEDS), "invalid %s '%s' (expected 0 to 10000)",
			       fname(b, C_BEDS), q(beds, qb, sizeof(qb)));
			return true;
		}
	}
	line_text(r, lineno);
	if (!copy_field(b, lineno, '\t') || !copy_field(b, loc, '\t') ||
	    !copy_add(b, nbeds >= 0 ? beds : "\\N", nbeds >= 0 ? strlen(beds) : 2) || !copy_add(b, "\t", 1))
		return false;
	if (deact) {
		trimmed(fld(b, r, C_END_DATE), end, sizeof(end), NULL);
		if (end[0] == '\0' || !cw_import_dmy(end, &d, why, sizeof(why))) {
			b->copy_len = mark;
			b->copy[mark] = '\0';
			if (end[0] == '\0')
				reject(b, r, b->col[C_END_DATE], fname(b, C_END_DATE), "missing %s",
				       fname(b, C_END_DATE));
			else
				reject(b, r, b->col[C_END_DATE], fname(b, C_END_DATE), "invalid %s '%s' (%s)",
				       fname(b, C_END_DATE), q(end, qb, sizeof(qb)), why);
			return true;
		}
		cw_date_format(d, end, sizeof(end));
		snprintf(key, sizeof(key), "closure/%s/%s", loc, end);
		uuid_for("provider_loss", key, lid);
		if (!copy_add(b, "\\N\t\\N\t", 6) || !copy_field(b, end, '\t') || !copy_field(b, lid, '\n'))
			return false;
	} else {
		size_t n = 0;
		trimmed(fld(b, r, C_DORMANT), dorm, sizeof(dorm), NULL);
		if (dorm[0] && !eq_nocase(dorm, "Y") && !eq_nocase(dorm, "N")) {
			b->copy_len = mark;
			b->copy[mark] = '\0';
			reject(b, r, b->col[C_DORMANT], "Dormant (Y/N)", "invalid Dormant (Y/N) '%s' (expected Y or N)",
			       q(dorm, qb, sizeof(qb)));
			return true;
		}
		types[n++] = '{';
		for (int i = 0; i < b->n_service_types; i++)
			if (yes(s_get(r, b->service_type_col[i])))
				n += (size_t)snprintf(types + n, sizeof(types) - n, "%s%s", n > 1 ? "," : "",
						      b->service_type_word[i]);
		types[n++] = '}';
		types[n] = '\0';
		if (!copy_add(b, dorm[0] ? (eq_nocase(dorm, "Y") ? "t" : "f") : "\\N", dorm[0] ? 1 : 2) ||
		    !copy_add(b, "\t", 1) || !copy_field(b, types, '\t') || !copy_add(b, "\\N\t\\N\n", 6))
			return false;
	}
	sum = fnv(b->copy + mark + strlen(lineno), b->copy_len - mark - strlen(lineno),
		  14695981039346656037ULL);
	e = index_get(b->index, loc, 0, 0, 0, &found);
	if (e == NULL)
		return false;
	if (found) {
		b->copy_len = mark;
		b->copy[mark] = '\0';
		if (e->sum == sum) {
			b->skipped[CW_SKIP_REPEATED]++;
			return true;
		}
		reject(b, r, b->col[C_LOCATION_ID], "Location ID",
		       "Location ID '%s' is also on line %ld, with different details", loc, e->line);
		return true;
	}
	e->sum = sum;
	e->line = s_line(r);
	b->staged++;
	return true;
}

/* ---- the file ---- */

static void
hash_chunk(void *arg, const void *buf, size_t len)
{
	cw_sha256_update(arg, buf, len);
}

static bool
fatal_at(struct cw_import_batch *b, const struct src *r, long line, int column,
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
	switch (k) {
	case CW_IMPORT_DIRECTORY: return "care directory";
	case CW_IMPORT_RATINGS: return "Latest ratings (Locations sheet)";
	case CW_IMPORT_ACTIVE: return "HSCA Active Locations";
	case CW_IMPORT_DEACTIVATED: return "Deactivated Locations";
	}
	return "?";
}

/* The column of the current row named name or alias (ignoring case and
 * spaces at either end), or -1. */
static int
find_col(const struct src *r, const char *name, const char *alias)
{
	char cell[128];

	for (int i = 0; i < s_n(r); i++) {
		trimmed(s_get(r, i), cell, sizeof(cell), NULL);
		if (eq_nocase(cell, name) || (alias && eq_nocase(cell, alias)))
			return i;
	}
	return -1;
}

/* How the current record reads as kind k's header: 1 it is one (b->col
 * filled when b is given), 0 not a header, -1 it has k's key column but
 * lacks another required one (named in msg). */
static int
header_as(const struct src *r, enum cw_import_kind k, struct cw_import_batch *b, char *msg, size_t size)
{
	const struct colspec *c = kind_cols[k];

	if (find_col(r, c[0].name, c[0].alias) < 0)
		return 0;
	for (; c->name; c++) {
		int i = find_col(r, c->name, c->alias);
		if (i < 0 && c->required) {
			if (c->alias)
				snprintf(msg, size, "not CQC's %s header: no '%s' column (nor '%s')", kind_name(k),
					 c->name, c->alias);
			else
				snprintf(msg, size, "not CQC's %s header: no '%s' column", kind_name(k), c->name);
			return -1;
		}
		if (b)
			b->col[c->field] = i;
	}
	return 1;
}

static void
header_extras(struct cw_import_batch *b, const struct src *r)
{
	b->ncols = s_n(r);
	if (b->kind != CW_IMPORT_ACTIVE)
		return;
	for (int i = 0; i < s_n(r) && b->n_service_types < CW_IMPORT_MAX_SERVICE_TYPES; i++) {
		const char *h = s_get(r, i);
		if (strncasecmp(h, SERVICE_TYPE_PREFIX, strlen(SERVICE_TYPE_PREFIX)) == 0) {
			b->service_type_col[b->n_service_types] = i;
			service_word(h, b->service_type_word[b->n_service_types],
				     sizeof(b->service_type_word[0]));
			if (b->service_type_word[b->n_service_types][0])
				b->n_service_types++;
		}
	}
}

static bool
parse_rows(struct cw_import_batch *b, struct src *r, const struct cw_import_opts *o,
	   struct cw_error *err)
{
	struct cw_csv_error ce;
	enum cw_csv_status st;
	char msg[256];
	long records = 0;
	const int64_t tomorrow = cw_date_to_days(cw_london_date((cw_time)time(NULL))) + 1;

	for (int i = 0; i < CW_IMPORT_MAX_COLS; i++)
		b->col[i] = -1;
	/* Banner or preamble rows, then the header, recognised by its columns. */
	for (;;) {
		int v;
		st = s_next(r, &ce);
		if (st == CW_CSV_FATAL)
			return fatal_at(b, r, ce.line, ce.column, err, ce.msg);
		if (st == CW_CSV_EOF || ++records > PREAMBLE_MAX) {
			snprintf(msg, sizeof(msg), "no CQC %s header in the first %d %s", kind_name(b->kind),
				 PREAMBLE_MAX, r->ods ? "rows" : "lines");
			fatal_at(b, r, 0, 0, err, msg);
			cw_error_hint(err, "the header has the columns '%s', '%s', ...", kind_cols[b->kind][0].name,
				      kind_cols[b->kind][1].name);
			return false;
		}
		if (st != CW_CSV_ROW)
			continue;    /* a malformed preamble line is still preamble */
		v = header_as(r, b->kind, b, msg, sizeof(msg));
		if (v == 1) {
			b->header_line = s_line(r);
			header_extras(b, r);
			break;
		}
		/* Another of CQC's files? */
		for (int k = 0; k < N_KINDS; k++) {
			char other[256];
			if (k == (int)b->kind || header_as(r, (enum cw_import_kind)k, NULL, other, sizeof(other)) != 1)
				continue;
			snprintf(msg, sizeof(msg), "this is CQC's %s, not the %s", kind_name((enum cw_import_kind)k),
				 kind_name(b->kind));
			fatal_at(b, r, 0, 0, err, msg);
			cw_error_hint(err, "use 'carewatch import %s'", kind_command[k]);
			return false;
		}
		if (v == -1) {
			long line;
			int col;
			s_pos(r, 0, &line, &col);
			return fatal_at(b, r, line, col, err, msg);
		}
	}
	for (;;) {
		st = s_next(r, &ce);
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
		/* A CSV row has the header's fields; a sheet's row leaves out its
		 * empty cells at the end. */
		if (r->csv && s_n(r) != b->ncols) {
			reject(b, r, s_n(r) < b->ncols ? s_n(r) : b->ncols, NULL,
			       "%s row: %d fields (expected %d)", s_n(r) < b->ncols ? "short" : "long", s_n(r),
			       b->ncols);
			continue;
		}
		if (!(b->kind == CW_IMPORT_DIRECTORY ? directory_row(b, r, o)
		      : b->kind == CW_IMPORT_RATINGS ? ratings_row(b, r, o, tomorrow) : location_row(b, r, o)))
			return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	}
	if (b->kind == CW_IMPORT_RATINGS && !ratings_emit(b))
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	return true;
}

static bool
batch_start(struct cw_import_batch *b, const struct cw_import_opts *o, struct cw_error *err)
{
	snprintf(b->file, sizeof(b->file), "%s", o->file ? o->file : "-");
	b->index = calloc(1, sizeof(*b->index));
	if (b->index == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	if (b->kind == CW_IMPORT_RATINGS) {
		const char *base = strrchr(b->file, '/');
		cw_import_file_date(base ? base + 1 : b->file, &b->file_date);
	}
	return true;
}

bool
cw_import_parse(struct cw_import_batch *b, struct cw_csv *csv, const struct cw_import_opts *o,
		struct cw_error *err)
{
	struct cw_sha256 md;
	struct src r = {csv, NULL};
	bool ok;

	if (!batch_start(b, o, err))
		return false;
	cw_sha256_init(&md);
	cw_csv_on_read(csv, hash_chunk, &md);
	ok = parse_rows(b, &r, o, err);
	b->bom = cw_csv_had_bom(csv);
	b->crlf = cw_csv_had_crlf(csv);
	cw_csv_on_read(csv, NULL, NULL);
	if (ok)
		cw_sha256_final_hex(&md, b->sha256);
	return ok;
}

/* Is name one of the ", "-separated sheets (ignoring case)? */
static bool
sheet_listed(const char *sheets, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = sheets; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncasecmp(p, name, n) == 0)
			return true;
		p += k;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

bool
cw_import_parse_ods(struct cw_import_batch *b, const char *path, const struct cw_import_opts *o,
		    struct cw_error *err)
{
	struct cw_sha256 md;
	struct src r = {NULL, NULL};
	char msg[200];
	bool ok;

	if (!batch_start(b, o, err))
		return false;
	b->workbook = true;
	snprintf(b->sheet, sizeof(b->sheet), "%.*s", (int)strcspn(kind_sheet[b->kind], "|"),
		 kind_sheet[b->kind]);
	r.ods = cw_ods_open(path, kind_sheet[b->kind], msg, sizeof(msg));
	if (r.ods == NULL)
		return fatal_at(b, &r, 0, 0, err, msg);
	ok = parse_rows(b, &r, o, err);
	if (!ok && strstr(err->msg, "no sheet '")) {
		/* A workbook of another kind: say which. */
		for (int k = 0; k < N_KINDS; k++) {
			char want[128], *tok, *save = NULL;
			snprintf(want, sizeof(want), "%s", kind_sheet[k]);
			for (tok = strtok_r(want, "|", &save); tok && k != (int)b->kind;
			     tok = strtok_r(NULL, "|", &save)) {
				if (sheet_listed(cw_ods_sheets(r.ods), tok)) {
					cw_error_hint(err, "this is CQC's %s workbook: use 'carewatch import %s'",
						      kind_name((enum cw_import_kind)k), kind_command[k]);
					k = N_KINDS;
					break;
				}
			}
		}
	}
	cw_ods_free(r.ods);
	if (!ok)
		return false;
	cw_sha256_init(&md);
	if (!cw_ods_hash_file(path, hash_chunk, &md))
		return cw_error_set(err, CW_EXIT_FAIL, "cannot read %s", b->file);
	cw_sha256_final_hex(&md, b->sha256);
	return true;
}
