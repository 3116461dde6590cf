/*
 * ods.c - streaming one sheet of an OpenDocument spreadsheet (see ods.h).
 *
 * Why not a spreadsheet library: CQC's national ratings workbook has a
 * content.xml of over 1 GB, and readers that build the document in memory
 * have been seen to pass 3 GB.  Here libzip inflates content.xml chunk by
 * chunk into expat, and expat is suspended (XML_StopParser, resumable) at
 * the end of every row of the wanted sheet, so the caller pulls rows one at
 * a time and memory is the current row plus expat's buffer.
 *
 * Pure: no database.  Hostile files are refused before they cost much: the
 * zip's declared and actual inflated sizes and the inflation ratio are
 * limited, and a document type declaration stops the parse at once, so no
 * entity is ever defined, let alone expanded.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <zip.h>

#include "carewatch/ods.h"

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define SEP '|'
#define CHUNK 65536
#define MAX_REPEAT_SPACES 1000
#define RATIO_SLACK ((uint64_t)16 << 20)
#define SHEETS_MAX 1024

struct field {
	size_t off, len;
};

struct cw_ods {
	zip_t *zip;
	zip_file_t *entry;
	uint64_t comp_size, inflated;
	XML_Parser xp;
	char *want;                    /* the sheet's name */
	char sheets[SHEETS_MAX];       /* names seen, comma-separated */
	bool in_sheet, sheet_found, sheet_done, eof_xml, suspended;
	int sheet_depth, depth;
	/* the row being built */
	char *buf;
	size_t len, cap;
	struct field *f;
	int nf;
	bool row_open, row_ready, row_bad, too_long;
	long row_repeat, repeat_left;
	long row_no, next_row;         /* the current row's number; the next one's */
	long pending_empty;
	/* the cell being built */
	bool in_cell;
	long cell_repeat;
	size_t cell_start;
	int paragraphs, in_p, in_note;
	char vtype[16], value[64];
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
	XML_StopParser(r->xp, XML_FALSE);
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

/* Is name (expat's "URI|local") ns's local? */
static bool
is(const XML_Char *name, const char *ns, const char *local)
{
	size_t n = strlen(ns);

	return strncmp(name, ns, n) == 0 && name[n] == SEP && strcmp(name + n + 1, local) == 0;
}

static const char *
attr(const XML_Char **atts, const char *ns, const char *local)
{
	for (int i = 0; atts[i]; i += 2)
		if (is(atts[i], ns, local))
			return atts[i + 1];
	return NULL;
}

static long
repeat_of(const char *v)
{
	char *end;
	long n;

	if (v == NULL)
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

/* A field of the current row: buf[off, off+len), NUL-terminated; off
 * EMPTY for an empty field. */
#define EMPTY ((size_t)-1)

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
		char d[11];
		snprintf(d, sizeof(d), "%.2s/%.2s/%.4s", r->value + 8, r->value + 5, r->value);
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

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct cw_ods *r = ud;

	r->depth++;
	if (is(name, NS_TABLE, "table")) {
		const char *n = attr(atts, NS_TABLE, "name");
		size_t used = strlen(r->sheets);
		if (r->in_sheet)
			return;    /* a table inside the sheet: its rows are its own */
		if (n && used + strlen(n) + 3 < sizeof(r->sheets))
			snprintf(r->sheets + used, sizeof(r->sheets) - used, "%s%s", used ? ", " : "", n);
		if (n && !r->sheet_found && name_wanted(r->want, n)) {
			r->in_sheet = r->sheet_found = true;
			r->sheet_depth = r->depth;
		}
		return;
	}
	if (!r->in_sheet)
		return;
	if (is(name, NS_TABLE, "table-row")) {
		r->row_open = true;
		r->row_bad = r->too_long = false;
		r->len = 0;
		r->nf = 0;
		r->pending_empty = 0;
		r->row_repeat = repeat_of(attr(atts, NS_TABLE, "number-rows-repeated"));
		r->row_no = r->next_row;
	} else if (r->row_open && (is(name, NS_TABLE, "table-cell") ||
				   is(name, NS_TABLE, "covered-table-cell"))) {
		const char *vt = attr(atts, NS_OFFICE, "value-type");
		const char *v = NULL;
		r->in_cell = true;
		r->cell_repeat = repeat_of(attr(atts, NS_TABLE, "number-columns-repeated"));
		r->cell_start = r->len;
		r->paragraphs = 0;
		r->in_p = 0;
		r->in_note = 0;
		snprintf(r->vtype, sizeof(r->vtype), "%s", vt ? vt : "");
		if (vt && strcmp(vt, "date") == 0)
			v = attr(atts, NS_OFFICE, "date-value");
		else if (vt)
			v = attr(atts, NS_OFFICE, "value");
		snprintf(r->value, sizeof(r->value), "%s", v ? v : "");
	} else if (r->in_cell && is(name, NS_OFFICE, "annotation")) {
		r->in_note++;
	} else if (r->in_cell && r->in_note == 0) {
		if (is(name, NS_TEXT, "p")) {
			if (r->paragraphs++ > 0)
				put(r, "\n", 1);
			r->in_p++;
		} else if (r->in_p && is(name, NS_TEXT, "s")) {
			long c = repeat_of(attr(atts, NS_TEXT, "c"));
			for (long k = 0; k < c && k < MAX_REPEAT_SPACES; k++)
				put(r, " ", 1);
		} else if (r->in_p && is(name, NS_TEXT, "tab")) {
			put(r, "\t", 1);
		} else if (r->in_p && is(name, NS_TEXT, "line-break")) {
			put(r, "\n", 1);
		} else if (r->in_p) {
			r->in_p++;    /* span, a: their text is the paragraph's */
		}
	}
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct cw_ods *r = ud;
	int depth = r->depth--;

	if (r->in_sheet && depth == r->sheet_depth && is(name, NS_TABLE, "table")) {
		r->in_sheet = false;
		r->sheet_done = true;
		XML_StopParser(r->xp, XML_TRUE);
		return;
	}
	if (!r->in_sheet)
		return;
	if (r->in_cell) {
		if (is(name, NS_TABLE, "table-cell") || is(name, NS_TABLE, "covered-table-cell"))
			end_cell(r);
		else if (is(name, NS_OFFICE, "annotation"))
			r->in_note--;
		else if (r->in_note == 0 && r->in_p > 0 && !is(name, NS_TEXT, "s") &&
			 !is(name, NS_TEXT, "tab") && !is(name, NS_TEXT, "line-break"))
			r->in_p--;
		return;
	}
	if (r->row_open && is(name, NS_TABLE, "table-row")) {
		r->row_open = false;
		r->next_row = r->row_no + r->row_repeat;
		if (r->nf == 0 && !r->row_bad && !r->too_long)
			return;    /* empty rows, however many: nothing to read */
		r->row_ready = true;
		r->repeat_left = r->row_repeat - 1;
		XML_StopParser(r->xp, XML_TRUE);
	}
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct cw_ods *r = ud;

	if (r->in_cell && r->in_p > 0 && r->in_note == 0)
		put(r, s, (size_t)len);
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
	   int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	fail(ud, "content.xml has a document type declaration (refused: entity definitions are not"
		 " allowed in a workbook)");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
	  const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid, (void)pubid,
		(void)notation;
	fail(ud, "content.xml defines an entity (refused)");
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
	char b[CHUNK];
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

struct cw_ods *
cw_ods_open(const char *path, const char *sheet, char *msg, size_t size)
{
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
	r->xp = XML_ParserCreateNS(NULL, SEP);
	if (r->xp == NULL) {
		snprintf(msg, size, "out of memory");
		cw_ods_free(r);
		return NULL;
	}
	XML_SetUserData(r->xp, r);
	XML_SetElementHandler(r->xp, on_start, on_end);
	XML_SetCharacterDataHandler(r->xp, on_text);
	XML_SetStartDoctypeDeclHandler(r->xp, on_doctype);
	XML_SetEntityDeclHandler(r->xp, on_entity);
	XML_SetParamEntityParsing(r->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	return r;
}

void
cw_ods_free(struct cw_ods *r)
{
	if (r == NULL)
		return;
	if (r->xp)
		XML_ParserFree(r->xp);
	if (r->entry)
		zip_fclose(r->entry);
	if (r->zip)
		zip_discard(r->zip);
	free(r->want);
	free(r->buf);
	free(r->f);
	free(r->text);
	free(r);
}

/* Feed the parser the next chunk of content.xml (or resume it). */
static bool
pump(struct cw_ods *r)
{
	enum XML_Status st;

	if (r->suspended) {
		r->suspended = false;
		st = XML_ResumeParser(r->xp);
	} else {
		void *b = XML_GetBuffer(r->xp, CHUNK);
		zip_int64_t n;
		if (b == NULL) {
			fail(r, "out of memory");
			return false;
		}
		n = zip_fread(r->entry, b, CHUNK);
		if (n < 0) {
			fail(r, "a corrupt zip archive (content.xml does not inflate, or fails its CRC check)");
			return false;
		}
		r->inflated += (uint64_t)n;
		if (r->inflated > CW_ODS_MAX_XML ||
		    (r->comp_size && r->inflated > r->comp_size * CW_ODS_MAX_RATIO + RATIO_SLACK)) {
			fail(r, "content.xml inflates far beyond its compressed size (refused as a zip bomb)");
			return false;
		}
		r->eof_xml = n == 0;
		st = XML_ParseBuffer(r->xp, (int)n, r->eof_xml);
	}
	if (st == XML_STATUS_SUSPENDED) {
		r->suspended = true;
		return true;
	}
	if (st == XML_STATUS_ERROR) {
		if (!r->fatal) {
			char m[160];
			snprintf(m, sizeof(m), "content.xml is not well-formed XML (line %lu: %s)",
				 (unsigned long)XML_GetCurrentLineNumber(r->xp),
				 XML_ErrorString(XML_GetErrorCode(r->xp)));
			r->fatal = true;
			snprintf(r->msg, sizeof(r->msg), "%s", m);
		}
		return false;
	}
	return true;
}

enum cw_csv_status
cw_ods_next(struct cw_ods *r, struct cw_csv_error *err)
{
	memset(err, 0, sizeof(*err));
	if (r->repeat_left > 0 && !r->row_bad) {
		/* A repeated row again: the same fields, the next row number. */
		r->repeat_left--;
		r->row_no++;
		return CW_CSV_ROW;
	}
	r->row_ready = false;
	while (!r->row_ready && !r->sheet_done && !r->fatal) {
		if (r->eof_xml && !r->suspended)
			break;
		if (!pump(r))
			break;
	}
	if (r->fatal) {
		snprintf(err->msg, sizeof(err->msg), "%s", r->msg);
		return CW_CSV_FATAL;
	}
	if (r->row_ready) {
		err->line = r->row_no;
		if (r->too_long) {
			err->column = 1;
			snprintf(err->msg, sizeof(err->msg), "row longer than %d bytes", CW_CSV_MAX_RECORD);
			r->fatal = true;
			snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
			return CW_CSV_FATAL;
		}
		if (r->row_bad) {
			err->column = CW_CSV_MAX_FIELDS + 1;
			snprintf(err->msg, sizeof(err->msg), "more than %d fields", CW_CSV_MAX_FIELDS);
			return CW_CSV_BAD;
		}
		return CW_CSV_ROW;
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
	return r->nf;
}

const char *
cw_ods_get(const struct cw_ods *r, int i)
{
	return i >= 0 && i < r->nf && r->f[i].off != EMPTY ? r->buf + r->f[i].off : "";
}

long
cw_ods_row(const struct cw_ods *r)
{
	return r->row_no;
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
	size_t need = 1, n = 0;

	for (int k = 0; k < r->nf; k++)
		need += r->f[k].len + 1;
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
	for (int k = 0; k < r->nf; k++) {
		if (k)
			w->text[n++] = ',';
		if (k == i)
			*column = (int)n + 1;
		if (r->f[k].len)
			memcpy(w->text + n, r->buf + r->f[k].off, r->f[k].len);
		for (size_t c = n; c < n + r->f[k].len; c++)
			if (w->text[c] == '\n' || w->text[c] == '\t')
				w->text[c] = ' ';
		n += r->f[k].len;
	}
	if (i >= r->nf)
		*column = (int)n + 1;
	w->text[n] = '\0';
	*len = n;
	return w->text ? w->text : "";
}
