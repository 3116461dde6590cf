/*
 * ods.c - streaming one sheet of an OpenDocument spreadsheet (see ods.h).
 *
 * Why not a spreadsheet library: CQC's national ratings workbook has a
 * content.xml of over 1 GB, and readers that build the document in memory
 * have been seen to pass 3 GB.  Here libzip inflates content.xml a chunk at
 * a time (on a thread of its own, a few chunks ahead) into libxml2's SAX2
 * push parser, whose callbacks build the rows of
 * the wanted sheet into a small queue the caller pulls from, so memory is
 * what one chunk's rows need.  (libxml2's SAX2 read a national workbook in
 * half expat's time; its xmlTextReader builds a node per element and is
 * slower than both.)
 *
 * Pure: no database.  Hostile files are refused before they cost much: the
 * zip's declared and actual inflated sizes and the inflation ratio are
 * limited; entities are never substituted (no XML_PARSE_NOENT), no DTD is
 * loaded and nothing is fetched (XML_PARSE_NONET), and a document type
 * declaration or an entity declaration stops the parse at once; libxml2's
 * own limits (no XML_PARSE_HUGE) bound a single text node and the depth.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include "carewatch/lazylib.h" /* libcurl, libjansson, libxml2, libzip */
#include "carewatch/ods.h"

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define CHUNK 65536
#define RING 8                 /* inflated chunks ahead of the parser */
#define MAX_REPEAT_SPACES 1000
#define RATIO_SLACK ((uint64_t)16 << 20)
#define SHEETS_MAX 1024
#define EMPTY ((size_t)-1)

/* The names compared, interned in the parser's dictionary once: libxml2
 * hands SAX2 callbacks its interned names and URIs, so a pointer compare
 * tells a name (string compares were an eighth of a national import). */
enum { N_TABLE, N_TABLE_ROW, N_TABLE_CELL, N_COVERED, N_NAME, N_ROWS_REP, N_COLS_REP, N_ANNOTATION,
       N_VALUE_TYPE, N_DATE_VALUE, N_VALUE, N_P, N_S, N_TAB, N_LINE_BREAK, N_C, N_URI_OFFICE,
       N_URI_TABLE, N_URI_TEXT, N__N };
static const char *const names[N__N] = {
	"table", "table-row", "table-cell", "covered-table-cell", "name", "number-rows-repeated",
	"number-columns-repeated", "annotation", "value-type", "date-value", "value", "p", "s", "tab",
	"line-break", "c", NS_OFFICE, NS_TABLE, NS_TEXT,
};

struct field {
	size_t off, len;               /* off EMPTY: an empty field */
};

/* A finished row waiting for the caller: its fields' text follows it. */
struct qrow {
	struct qrow *next;
	long row_no, repeat;
	bool bad, too_long;
	int nf;
	size_t len;
	struct field *f;               /* into the same allocation */
	char *buf;
};

/* content.xml is inflated on a thread of its own (inflating and checking
 * the CRC were a sixth of the time), RING chunks ahead of the parser. */
enum { INFLATE_OK, INFLATE_CORRUPT, INFLATE_BOMB };

struct chunk {
	char b[CHUNK];
	zip_int64_t n;             /* 0 the end; -1 failed (why says how) */
};

struct inflater {
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk ring[RING];
	unsigned filled, taken;    /* chunks published and consumed, ever */
	int why;
};

struct cw_ods {
	zip_t *zip;
	zip_file_t *entry;
	uint64_t comp_size, inflated;
	struct inflater *inf;
	xmlParserCtxtPtr xp;
	char *want;                    /* the sheet's names, '|'-separated */
	char sheets[SHEETS_MAX];       /* names seen, comma-separated */
	bool in_sheet, sheet_found, sheet_done, eof_xml;
	int sheet_depth, depth;
	/* the row being built */
	char *buf;
	size_t len, cap;
	struct field *f;
	int nf;
	bool row_open, row_bad, too_long;
	long row_repeat, row_no, next_row, pending_empty;
	/* the cell being built */
	bool in_cell;
	long cell_repeat;
	size_t cell_start;
	int paragraphs, in_p, in_note;
	char vtype[16], value[64];
	const xmlChar *nm[N__N];       /* names, interned */
	/* rows ready, and the one the caller reads */
	struct qrow *head, *tail, *cur;
	long repeat_left;
	/* the failure, once */
	bool fatal;
	char msg[160];
	/* the row as text, for excerpts */
	char *text;
	size_t text_cap;
};

static void
fail(struct cw_ods *r, const char *msg)
{
	if (!r->fatal) {
		r->fatal = true;
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
	}
	if (r->xp)
		xmlStopParser(r->xp);
}

/* Is n one of the '|'-separated names in want (ignoring case)? */
static bool
name_wanted(const char *want, const char *n)
{
	size_t len = strlen(n);

	for (const char *p = want; *p;) {
		const char *bar = strchr(p, '|');
		size_t k = bar ? (size_t)(bar - p) : strlen(p);
		if (k == len && strncasecmp(p, n, k) == 0)
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

#define is(r, local, uri, ns, name) ((local) == (r)->nm[name] && (uri) == (r)->nm[ns])

/* An attribute's value (libxml2 gives start and end) into out, cut to fit;
 * false when absent. */
static bool
attr(const struct cw_ods *r, int n, const xmlChar **atts, int ns, int name, char *out, size_t size)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = atts + (ptrdiff_t)5 * i;    /* localname, prefix, URI, value, end */
		if (is(r, a[0], a[2], ns, name)) {
			size_t len = (size_t)(a[4] - a[3]);
			if (len >= size)
				len = size - 1;
			memcpy(out, a[3], len);
			out[len] = '\0';
			return true;
		}
	}
	out[0] = '\0';
	return false;
}

static long
repeat_of(const char *v)
{
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 1;
	n = strtol(v, &end, 10);
	return n >= 1 && *end == '\0' ? n : 1;
}

/* Room for n more bytes and a NUL in buf. */
static bool
reserve(struct cw_ods *r, size_t n)
{
	if (r->len + n + 1 > CW_CSV_MAX_RECORD) {
		r->too_long = true;
		return false;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;
		while (cap < r->len + n + 1)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (p == NULL) {
			fail(r, "out of memory");
			return false;
		}
		r->buf = p;
		r->cap = cap;
	}
	return true;
}

static bool
put(struct cw_ods *r, const char *s, size_t n)
{
	if (!reserve(r, n))
		return false;
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return true;
}

static bool
add_field(struct cw_ods *r, size_t off, size_t len)
{
	if (r->nf >= CW_CSV_MAX_FIELDS) {
		r->row_bad = true;
		return false;
	}
	r->f[r->nf].off = off;
	r->f[r->nf].len = len;
	r->nf++;
	return true;
}

/* Keep buf[at, len) as a field: count its NUL in. */
static bool
seal(struct cw_ods *r, size_t at)
{
	if (!put(r, "", 0))
		return false;
	r->len++;
	return add_field(r, at, r->len - 1 - at);
}

static void
end_cell(struct cw_ods *r)
{
	size_t start = r->cell_start, len;

	r->in_cell = false;
	/* The typed value beats the displayed text: dates as dd/mm/yyyy,
	 * numbers as written. */
	if (strcmp(r->vtype, "date") == 0 && strlen(r->value) >= 10 && r->value[4] == '-' &&
	    r->value[7] == '-') {
		char d[11] = {r->value[8], r->value[9], '/', r->value[5], r->value[6], '/', r->value[0],
			      r->value[1], r->value[2], r->value[3], '\0'};
		r->len = start;
		if (!put(r, d, 10))
			return;
	} else if ((strcmp(r->vtype, "float") == 0 || strcmp(r->vtype, "percentage") == 0 ||
		    strcmp(r->vtype, "currency") == 0) && r->value[0]) {
		r->len = start;
		if (!put(r, r->value, strlen(r->value)))
			return;
	}
	len = r->len - start;
	if (len == 0) {
		r->pending_empty += r->cell_repeat;
		return;
	}
	/* Empty cells before a non-empty one are fields after all. */
	for (; r->pending_empty > 0; r->pending_empty--)
		if (!add_field(r, EMPTY, 0))
			return;
	if (!seal(r, start))
		return;
	for (long k = 1; k < r->cell_repeat; k++) {
		size_t at = r->len;
		if (r->nf >= CW_CSV_MAX_FIELDS) {
			r->row_bad = true;
			return;
		}
		/* buf may move: copy from an offset, not a pointer. */
		if (!reserve(r, len))
			return;
		memmove(r->buf + at, r->buf + start, len);
		r->len = at + len;
		if (!seal(r, at))
			return;
	}
}

/* The finished row onto the queue. */
static void
queue_row(struct cw_ods *r)
{
	size_t fsz = (size_t)r->nf * sizeof(struct field);
	struct qrow *q = malloc(sizeof(*q) + fsz + r->len + 1);

	if (q == NULL) {
		fail(r, "out of memory");
		return;
	}
	q->next = NULL;
	q->row_no = r->row_no;
	q->repeat = r->row_repeat;
	q->bad = r->row_bad;
	q->too_long = r->too_long;
	q->nf = r->nf;
	q->len = r->len;
	q->f = (struct field *)(q + 1);
	q->buf = (char *)q->f + fsz;
	if (fsz)
		memcpy(q->f, r->f, fsz);
	if (r->len)
		memcpy(q->buf, r->buf, r->len);
	q->buf[r->len] = '\0';
	if (r->tail)
		r->tail->next = q;
	else
		r->head = q;
	r->tail = q;
}

static void
on_start(void *ud, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
	 const xmlChar **ns, int nattr, int ndefaulted, const xmlChar **atts)
{
	struct cw_ods *r = ud;
	char v[64];

	(void)prefix, (void)nns, (void)ns, (void)ndefaulted;
	r->depth++;
	if (r->fatal)
		return;
	if (is(r, local, uri, N_URI_TABLE, N_TABLE)) {
		char n[256];
		size_t used = strlen(r->sheets);
		if (r->in_sheet || !attr(r, nattr, atts, N_URI_TABLE, N_NAME, n, sizeof(n)))
			return;    /* a table inside the sheet: its rows are its own */
		if (used + strlen(n) + 3 < sizeof(r->sheets))
			snprintf(r->sheets + used, sizeof(r->sheets) - used, "%s%s", used ? ", " : "", n);
		if (!r->sheet_found && !r->sheet_done && name_wanted(r->want, n)) {
			r->in_sheet = r->sheet_found = true;
			r->sheet_depth = r->depth;
		}
		return;
	}
	if (!r->in_sheet)
		return;
	if (is(r, local, uri, N_URI_TABLE, N_TABLE_ROW)) {
		r->row_open = true;
		r->row_bad = r->too_long = false;
		r->len = 0;
		r->nf = 0;
		r->pending_empty = 0;
		attr(r, nattr, atts, N_URI_TABLE, N_ROWS_REP, v, sizeof(v));
		r->row_repeat = repeat_of(v);
		r->row_no = r->next_row;
	} else if (r->row_open && !r->in_cell && (is(r, local, uri, N_URI_TABLE, N_TABLE_CELL) ||
						  is(r, local, uri, N_URI_TABLE, N_COVERED))) {
		r->in_cell = true;
		attr(r, nattr, atts, N_URI_TABLE, N_COLS_REP, v, sizeof(v));
		r->cell_repeat = repeat_of(v);
		r->cell_start = r->len;
		r->paragraphs = 0;
		r->in_p = 0;
		r->in_note = 0;
		attr(r, nattr, atts, N_URI_OFFICE, N_VALUE_TYPE, r->vtype, sizeof(r->vtype));
		attr(r, nattr, atts, N_URI_OFFICE, strcmp(r->vtype, "date") == 0 ? N_DATE_VALUE : N_VALUE,
		     r->value, sizeof(r->value));
	} else if (r->in_cell && is(r, local, uri, N_URI_OFFICE, N_ANNOTATION)) {
		r->in_note++;
	} else if (r->in_cell && r->in_note == 0) {
		if (is(r, local, uri, N_URI_TEXT, N_P)) {
			if (r->paragraphs++ > 0)
				put(r, "\n", 1);
			r->in_p++;
		} else if (r->in_p && is(r, local, uri, N_URI_TEXT, N_S)) {
			long c;
			attr(r, nattr, atts, N_URI_TEXT, N_C, v, sizeof(v));
			c = repeat_of(v);
			for (long k = 0; k < c && k < MAX_REPEAT_SPACES; k++)
				put(r, " ", 1);
		} else if (r->in_p && is(r, local, uri, N_URI_TEXT, N_TAB)) {
			put(r, "\t", 1);
		} else if (r->in_p && is(r, local, uri, N_URI_TEXT, N_LINE_BREAK)) {
			put(r, "\n", 1);
		} else if (r->in_p) {
			r->in_p++;    /* span, a: their text is the paragraph's */
		}
	}
}

static void
on_end(void *ud, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct cw_ods *r = ud;
	int depth = r->depth--;

	(void)prefix;
	if (r->fatal || !r->in_sheet)
		return;
	if (depth == r->sheet_depth && is(r, local, uri, N_URI_TABLE, N_TABLE)) {
		r->in_sheet = false;
		r->sheet_done = true;
		return;
	}
	if (r->in_cell) {
		if (is(r, local, uri, N_URI_TABLE, N_TABLE_CELL) || is(r, local, uri, N_URI_TABLE, N_COVERED))
			end_cell(r);
		else if (is(r, local, uri, N_URI_OFFICE, N_ANNOTATION))
			r->in_note--;
		else if (r->in_note == 0 && r->in_p > 0 && !is(r, local, uri, N_URI_TEXT, N_S) &&
			 !is(r, local, uri, N_URI_TEXT, N_TAB) && !is(r, local, uri, N_URI_TEXT, N_LINE_BREAK))
			r->in_p--;
		return;
	}
	if (r->row_open && is(r, local, uri, N_URI_TABLE, N_TABLE_ROW)) {
		r->row_open = false;
		r->next_row = r->row_no + r->row_repeat;
		if (r->nf == 0 && !r->row_bad && !r->too_long)
			return;    /* empty rows, however many: nothing to read */
		queue_row(r);
	}
}

static void
on_text(void *ud, const xmlChar *s, int len)
{
	struct cw_ods *r = ud;

	if (r->in_cell && r->in_p > 0 && r->in_note == 0)
		put(r, (const char *)s, (size_t)len);
}

static void
on_doctype(void *ud, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	fail(ud, "content.xml has a document type declaration (refused: entity definitions are not"
		 " allowed in a workbook)");
}

static void
on_entity(void *ud, const xmlChar *name, int type, const xmlChar *pub, const xmlChar *sys,
	  xmlChar *content)
{
	(void)name, (void)type, (void)pub, (void)sys, (void)content;
	fail(ud, "content.xml defines an entity (refused)");
}

/* libxml2 would print its messages on stderr: kept for the one message. */
static void
on_error(void *ud, xmlErrorPtr e)
{
	struct cw_ods *r = ud;

	if (r->fatal || e == NULL || e->level < XML_ERR_ERROR)
		return;
	{
		char m[160];
		size_t n;
		snprintf(m, sizeof(m), "content.xml is not well-formed XML (line %d: %s", e->line,
			 e->message ? e->message : "error");
		n = strlen(m);
		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			m[--n] = '\0';
		snprintf(m + n, sizeof(m) - n, ")");
		fail(r, m);
	}
}

static void
quiet(void *ud, const char *fmt, ...)
{
	(void)ud, (void)fmt;
}

bool
cw_ods_is_zip(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	return n == 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
}

bool
cw_ods_hash_file(const char *path, void (*fn)(void *arg, const void *buf, size_t len), void *arg)
{
	char b[65536];
	FILE *f = fopen(path, "rb");
	size_t n;
	bool ok;

	if (f == NULL)
		return false;
	while ((n = fread(b, 1, sizeof(b), f)) > 0)
		fn(arg, b, n);
	ok = !ferror(f);
	fclose(f);
	return ok;
}

/* The mimetype entry's verdict: NULL when it says spreadsheet, else why not. */
static const char *
check_mimetype(zip_t *z, char *msg, size_t size)
{
	static const char want[] = "application/vnd.oasis.opendocument.spreadsheet";
	zip_int64_t i = zip_name_locate(z, "mimetype", 0);
	char m[128];
	zip_file_t *f;
	zip_int64_t n;

	if (i < 0) {
		if (zip_name_locate(z, "[Content_Types].xml", 0) >= 0)
			return "an Excel workbook (.xlsx), not an OpenDocument spreadsheet (save it as .ods or CSV)";
		return "a zip archive that is not an OpenDocument workbook (no mimetype entry)";
	}
	f = zip_fopen_index(z, (zip_uint64_t)i, 0);
	if (f == NULL)
		return "a corrupt zip archive (its mimetype entry cannot be read)";
	n = zip_fread(f, m, sizeof(m) - 1);
	zip_fclose(f);
	if (n < 0)
		return "a corrupt zip archive (its mimetype entry cannot be read)";
	m[n] = '\0';
	if (strcmp(m, want) == 0)
		return NULL;
	for (char *c = m; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	snprintf(msg, size, "an OpenDocument file of another kind ('%.60s'), not a spreadsheet", m);
	return msg;
}

static void *
inflate_main(void *arg)
{
	struct cw_ods *r = arg;
	struct inflater *f = r->inf;

	for (;;) {
		struct chunk *c;
		bool last;

		pthread_mutex_lock(&f->mu);
		while (f->filled - f->taken == RING && !f->stop)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		pthread_mutex_unlock(&f->mu);
		/* This slot is the parser's only once published below. */
		c = &f->ring[f->filled % RING];
		c->n = zip_fread(r->entry, c->b, sizeof(c->b));
		if (c->n < 0) {
			f->why = INFLATE_CORRUPT;
		} else {
			r->inflated += (uint64_t)c->n;
			if (r->inflated > CW_ODS_MAX_XML ||
			    (r->comp_size && r->inflated > r->comp_size * CW_ODS_MAX_RATIO + RATIO_SLACK)) {
				c->n = -1;
				f->why = INFLATE_BOMB;
			}
		}
		last = c->n <= 0;
		pthread_mutex_lock(&f->mu);
		f->filled++;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		if (last)
			break;
	}
	return NULL;
}

struct cw_ods *
cw_ods_open(const char *path, const char *sheet, char *msg, size_t size)
{
	static xmlSAXHandler sax;
	struct cw_ods *r;
	zip_stat_t st;
	zip_int64_t idx;
	const char *why;
	char mbuf[160];
	int zerr = 0;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(msg, size, "out of memory");
		return NULL;
	}
	r->next_row = 1;
	r->want = strdup(sheet);
	r->f = calloc(CW_CSV_MAX_FIELDS, sizeof(*r->f));
	if (r->want == NULL || r->f == NULL) {
		snprintf(msg, size, "out of memory");
		cw_ods_free(r);
		return NULL;
	}
	r->zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (r->zip == NULL) {
		/* A zip's first bytes but no directory at its end: cut short. */
		snprintf(msg, size, "%s", zerr == ZIP_ER_NOZIP && !cw_ods_is_zip(path)
				 ? "not a zip archive (an .ods workbook is one)"
				 : zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ ? "cannot be read"
				 : "a corrupt zip archive (cut short or damaged)");
		cw_ods_free(r);
		return NULL;
	}
	why = check_mimetype(r->zip, mbuf, sizeof(mbuf));
	if (why) {
		snprintf(msg, size, "%s", why);
		cw_ods_free(r);
		return NULL;
	}
	idx = zip_name_locate(r->zip, "content.xml", 0);
	zip_stat_init(&st);
	if (idx < 0 || zip_stat_index(r->zip, (zip_uint64_t)idx, 0, &st) != 0) {
		snprintf(msg, size, "an OpenDocument workbook without content.xml");
		cw_ods_free(r);
		return NULL;
	}
	if ((st.valid & ZIP_STAT_SIZE) && st.size > CW_ODS_MAX_XML) {
		snprintf(msg, size, "content.xml would inflate to %llu bytes (more than %llu: refused as a"
			 " zip bomb)", (unsigned long long)st.size, (unsigned long long)CW_ODS_MAX_XML);
		cw_ods_free(r);
		return NULL;
	}
	r->comp_size = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
	r->entry = zip_fopen_index(r->zip, (zip_uint64_t)idx, 0);
	if (r->entry == NULL) {
		snprintf(msg, size, "a corrupt zip archive (content.xml cannot be read: %s)",
			 zip_strerror(r->zip));
		cw_ods_free(r);
		return NULL;
	}
	if (sax.initialized != XML_SAX2_MAGIC) {
		xmlSetGenericErrorFunc(NULL, quiet);
		memset(&sax, 0, sizeof(sax));
		sax.initialized = XML_SAX2_MAGIC;
		sax.startElementNs = on_start;
		sax.endElementNs = on_end;
		sax.characters = on_text;
		sax.internalSubset = on_doctype;
		sax.externalSubset = on_doctype;
		sax.entityDecl = on_entity;
		sax.serror = on_error;
	}
	r->xp = xmlCreatePushParserCtxt(&sax, r, NULL, 0, "content.xml");
	if (r->xp == NULL) {
		snprintf(msg, size, "out of memory");
		cw_ods_free(r);
		return NULL;
	}
	for (int i = 0; i < N__N; i++)
		if ((r->nm[i] = xmlDictLookup(r->xp->dict, (const xmlChar *)names[i], -1)) == NULL) {
			snprintf(msg, size, "out of memory");
			cw_ods_free(r);
			return NULL;
		}
	/* No NOENT (entities stay unexpanded), no DTDLOAD, no HUGE. */
	xmlCtxtUseOptions(r->xp, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	r->inf = calloc(1, sizeof(*r->inf));
	if (r->inf == NULL || pthread_mutex_init(&r->inf->mu, NULL) != 0) {
		free(r->inf);
		r->inf = NULL;
		snprintf(msg, size, "out of memory");
		cw_ods_free(r);
		return NULL;
	}
	pthread_cond_init(&r->inf->cv, NULL);
	if (pthread_create(&r->inf->thread, NULL, inflate_main, r) != 0) {
		snprintf(msg, size, "cannot start a thread");
		cw_ods_free(r);
		return NULL;
	}
	r->inf->started = true;
	return r;
}

static void
free_rows(struct qrow *q)
{
	while (q) {
		struct qrow *n = q->next;
		free(q);
		q = n;
	}
}

void
cw_ods_free(struct cw_ods *r)
{
	if (r == NULL)
		return;
	if (r->inf) {
		if (r->inf->started) {
			pthread_mutex_lock(&r->inf->mu);
			r->inf->stop = true;
			pthread_cond_broadcast(&r->inf->cv);
			pthread_mutex_unlock(&r->inf->mu);
			pthread_join(r->inf->thread, NULL);
		}
		pthread_cond_destroy(&r->inf->cv);
		pthread_mutex_destroy(&r->inf->mu);
		free(r->inf);
	}
	if (r->xp)
		xmlFreeParserCtxt(r->xp);
	if (r->entry)
		zip_fclose(r->entry);
	if (r->zip)
		zip_discard(r->zip);
	free_rows(r->head);
	free(r->cur);
	free(r->want);
	free(r->buf);
	free(r->f);
	free(r->text);
	free(r);
}

/* Feed the parser the next chunk of content.xml, as the inflater has it. */
static bool
pump(struct cw_ods *r)
{
	struct inflater *f = r->inf;
	struct chunk *c;
	zip_int64_t n;

	pthread_mutex_lock(&f->mu);
	while (f->filled == f->taken)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	c = &f->ring[f->taken % RING];
	n = c->n;
	if (n < 0) {
		fail(r, f->why == INFLATE_BOMB
			? "content.xml inflates far beyond its compressed size (refused as a zip bomb)"
			: "a corrupt zip archive (content.xml does not inflate, or fails its CRC check)");
	} else {
		r->eof_xml = n == 0;
		if (xmlParseChunk(r->xp, c->b, (int)n, r->eof_xml) != 0 && !r->fatal && !r->sheet_done)
			fail(r, "content.xml is not well-formed XML");
	}
	pthread_mutex_lock(&f->mu);
	f->taken++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return !r->fatal;
}

enum cw_csv_status
cw_ods_next(struct cw_ods *r, struct cw_csv_error *err)
{
	memset(err, 0, sizeof(*err));
	if (r->cur && r->repeat_left > 0 && !r->cur->bad) {
		/* A repeated row again: the same fields, the next row number. */
		r->repeat_left--;
		r->cur->row_no++;
		return CW_CSV_ROW;
	}
	free(r->cur);
	r->cur = NULL;
	while (r->head == NULL && !r->sheet_done && !r->fatal && !r->eof_xml)
		if (!pump(r))
			break;
	if (r->head) {
		r->cur = r->head;
		r->head = r->cur->next;
		if (r->head == NULL)
			r->tail = NULL;
		r->repeat_left = r->cur->repeat - 1;
		err->line = r->cur->row_no;
		if (r->cur->too_long) {
			err->column = 1;
			snprintf(err->msg, sizeof(err->msg), "row longer than %d bytes", CW_CSV_MAX_RECORD);
			fail(r, err->msg);
			return CW_CSV_FATAL;
		}
		if (r->cur->bad) {
			err->column = CW_CSV_MAX_FIELDS + 1;
			snprintf(err->msg, sizeof(err->msg), "more than %d fields", CW_CSV_MAX_FIELDS);
			return CW_CSV_BAD;
		}
		return CW_CSV_ROW;
	}
	if (r->fatal) {
		snprintf(err->msg, sizeof(err->msg), "%s", r->msg);
		return CW_CSV_FATAL;
	}
	if (!r->sheet_found) {
		char first[48];
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(r->want, "|"), r->want);
		snprintf(err->msg, sizeof(err->msg), "no sheet '%s' in the workbook (sheets: %.60s)", first,
			 r->sheets[0] ? r->sheets : "none");
		return CW_CSV_FATAL;
	}
	return CW_CSV_EOF;
}

int
cw_ods_nfields(const struct cw_ods *r)
{
	return r->cur ? r->cur->nf : 0;
}

const char *
cw_ods_get(const struct cw_ods *r, int i)
{
	const struct qrow *q = r->cur;

	return q && i >= 0 && i < q->nf && q->f[i].off != EMPTY ? q->buf + q->f[i].off : "";
}

long
cw_ods_row(const struct cw_ods *r)
{
	return r->cur ? r->cur->row_no : 0;
}

const char *
cw_ods_sheets(const struct cw_ods *r)
{
	return r->sheets;
}

const char *
cw_ods_row_text(const struct cw_ods *r, int i, size_t *len, int *column)
{
	struct cw_ods *w = (struct cw_ods *)r;   /* the text buffer is a cache */
	const struct qrow *q = r->cur;
	size_t need = 1, n = 0;
	int nf = q ? q->nf : 0;

	for (int k = 0; k < nf; k++)
		need += q->f[k].len + 1;
	if (need > w->text_cap) {
		char *p = realloc(w->text, need);
		if (p == NULL) {
			*len = 0;
			*column = 1;
			return "";
		}
		w->text = p;
		w->text_cap = need;
	}
	*column = 1;
	for (int k = 0; k < nf; k++) {
		if (k)
			w->text[n++] = ',';
		if (k == i)
			*column = (int)n + 1;
		if (q->f[k].len)
			memcpy(w->text + n, q->buf + q->f[k].off, q->f[k].len);
		for (size_t c = n; c < n + q->f[k].len; c++)
			if (w->text[c] == '\n' || w->text[c] == '\t')
				w->text[c] = ' ';
		n += q->f[k].len;
	}
	if (i >= nf)
		*column = (int)n + 1;
	w->text[n] = '\0';
	*len = n;
	return w->text;
}
