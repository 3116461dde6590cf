/*
 * csv.c - the streaming CSV reader (see csv.h for what it accepts).
 *
 * Why not Debian's libcsv: its callbacks hand over field text but not where
 * the field began, it accepts a stray quote or text after a closing quote
 * silently (unless strict, when it stops at the first), and it knows nothing
 * of line numbers or UTF-8.  The importers' errors are the point, so the
 * reader is written for them; it is one state machine over bytes.
 *
 *   state      byte      action
 *   START      "         QUOTED (the field is quoted)
 *   START      ,         empty field; START
 *   START/UNQ  LF, CRLF  end of field and record
 *   START/UNQ  CR other  fault; the CR is data
 *   UNQ        "         fault; the quote is data
 *   START/UNQ  other     data; UNQ
 *   QUOTED     ""        one quote of data
 *   QUOTED     "         AFTER (closing quote)
 *   QUOTED     CRLF      LF of data (so CRLF and LF files read the same)
 *   QUOTED     other     data (LF and commas included)
 *   AFTER      , LF CRLF as START
 *   AFTER      other     fault; the byte is data; UNQ
 *   QUOTED     EOF       fault at the opening quote
 *
 * Every byte of a record is also kept as read ("raw"), so positions are
 * offsets into it: a field's position is the raw offset of its first byte,
 * and a fault's is the raw offset of the byte that caused it.  Only the
 * first fault of a record is kept; the record is still read to its end, so
 * the next record starts where it should.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/csv.h"

#define INBUF ((size_t)256 * 1024)

enum state { ST_START, ST_UNQUOTED, ST_QUOTED, ST_AFTER };

struct cw_csv {
	FILE *f;
	unsigned char *own;             /* FILE mode: our buffer */
	const unsigned char *in;        /* current input bytes */
	size_t pos, end;
	bool eof, read_error, started, bom, crlf, mem;
	void (*on_read)(void *, const void *, size_t);
	void *arg;
	long line;                      /* physical line of the next byte */

	char *raw;                      /* the record as read */
	size_t rawlen, rawcap;
	char *data;                     /* field text, each NUL-terminated */
	size_t datalen, datacap;
	size_t fstart[CW_CSV_MAX_FIELDS], flen[CW_CSV_MAX_FIELDS], fraw[CW_CSV_MAX_FIELDS];
	int nfields;
	long rec_line;
	bool overflow;                  /* more than CW_CSV_MAX_FIELDS fields */
	bool too_long;
	bool bad;
	size_t bad_off;
	char bad_msg[160];
};

static struct cw_csv *
new_reader(void)
{
	struct cw_csv *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rawcap = 4096;
	r->datacap = 4096;
	r->raw = malloc(r->rawcap);
	r->data = malloc(r->datacap);
	if (r->raw == NULL || r->data == NULL) {
		cw_csv_free(r);
		return NULL;
	}
	r->line = 1;
	return r;
}

struct cw_csv *
cw_csv_open(FILE *f)
{
	struct cw_csv *r = new_reader();

	if (r == NULL)
		return NULL;
	r->own = malloc(INBUF);
	if (r->own == NULL) {
		cw_csv_free(r);
		return NULL;
	}
	r->f = f;
	r->in = r->own;
	return r;
}

struct cw_csv *
cw_csv_open_mem(const void *buf, size_t len)
{
	struct cw_csv *r = new_reader();

	if (r == NULL)
		return NULL;
	r->mem = true;
	r->in = buf;
	r->end = len;
	return r;
}

void
cw_csv_free(struct cw_csv *r)
{
	if (r == NULL)
		return;
	free(r->own);
	free(r->raw);
	free(r->data);
	free(r);
}

void
cw_csv_on_read(struct cw_csv *r, void (*fn)(void *arg, const void *buf, size_t len), void *arg)
{
	r->on_read = fn;
	r->arg = arg;
}

/* Read more input, keeping the `keep` bytes before pos (for the BOM check and
 * one byte of pushback).  False at end of input or on a read error. */
static bool
refill(struct cw_csv *r)
{
	size_t n, keep;

	if (r->mem || r->eof)
		return false;
	keep = r->pos > 0 ? 1 : 0;
	if (keep)
		r->own[0] = r->own[r->pos - 1];
	n = fread(r->own + keep, 1, INBUF - keep, r->f);
	if (n == 0) {
		r->eof = true;
		r->read_error = ferror(r->f) != 0;
		r->pos = r->end = keep;
		return false;
	}
	if (r->on_read)
		r->on_read(r->arg, r->own + keep, n);
	r->pos = keep;
	r->end = keep + n;
	return true;
}

static inline int
getb(struct cw_csv *r)
{
	if (r->pos < r->end || refill(r))
		return r->in[r->pos++];
	return -1;
}

/* Push back the byte getb just returned (always still in the buffer). */
static inline void
ungetb(struct cw_csv *r)
{
	r->pos--;
}

static bool
grow(char **p, size_t *cap, size_t need)
{
	size_t c = *cap;
	char *np;

	if (need <= c)
		return true;
	while (c < need)
		c *= 2;
	np = realloc(*p, c);
	if (np == NULL)
		return false;
	*p = np;
	*cap = c;
	return true;
}

static inline bool
raw_add(struct cw_csv *r, int c)
{
	if (r->rawlen + 1 > r->rawcap && !grow(&r->raw, &r->rawcap, r->rawlen + 1))
		return false;
	r->raw[r->rawlen++] = (char)c;
	if (r->rawlen > CW_CSV_MAX_RECORD)
		r->too_long = true;
	return true;
}

static inline bool
data_add(struct cw_csv *r, int c)
{
	if (r->datalen + 2 > r->datacap && !grow(&r->data, &r->datacap, r->datalen + 2))
		return false;
	r->data[r->datalen++] = (char)c;
	return true;
}

/* The fast path: copy the run of ordinary bytes (no quote, comma outside
 * quotes, CR, LF or NUL) that starts at the next input byte into the record
 * at once, as the byte-by-byte machine would.  A run never crosses the end
 * of the buffered input; the machine takes over at whatever follows. */
static bool
copy_run(struct cw_csv *r, bool quoted)
{
	const unsigned char *p = r->in + r->pos;
	size_t n = r->end - r->pos, i = 0;

	if (quoted)
		while (i < n && p[i] != '"' && p[i] != '\r' && p[i] != '\n' && p[i] != 0)
			i++;
	else
		while (i < n && p[i] != ',' && p[i] != '"' && p[i] != '\r' && p[i] != '\n' && p[i] != 0)
			i++;
	if (i == 0)
		return true;
	if (!grow(&r->raw, &r->rawcap, r->rawlen + i) || !grow(&r->data, &r->datacap, r->datalen + i + 2))
		return false;
	memcpy(r->raw + r->rawlen, p, i);
	memcpy(r->data + r->datalen, p, i);
	r->rawlen += i;
	r->datalen += i;
	r->pos += i;
	if (r->rawlen > CW_CSV_MAX_RECORD)
		r->too_long = true;
	return true;
}

static void
fault(struct cw_csv *r, size_t off, const char *msg)
{
	if (r->bad)
		return;
	r->bad = true;
	r->bad_off = off;
	snprintf(r->bad_msg, sizeof(r->bad_msg), "%s", msg);
}

static void
field_begin(struct cw_csv *r)
{
	if (r->nfields == CW_CSV_MAX_FIELDS) {
		char m[64];
		snprintf(m, sizeof(m), "more than %d fields", CW_CSV_MAX_FIELDS);
		fault(r, r->rawlen, m);
		r->overflow = true;
		return;          /* further text joins the last field */
	}
	r->fstart[r->nfields] = r->datalen;
	r->fraw[r->nfields] = r->rawlen;
	r->nfields++;
}

static bool
field_end(struct cw_csv *r)
{
	int i = r->nfields - 1;

	if (r->overflow)
		return true;
	r->flen[i] = r->datalen - r->fstart[i];
	if (!data_add(r, '\0'))
		return false;
	return true;
}

/* Line and column of raw offset off in the current record. */
static void
raw_pos(const struct cw_csv *r, size_t off, long *line, int *column)
{
	size_t bol = 0;
	long l = r->rec_line;

	if (off > r->rawlen)
		off = r->rawlen;
	for (size_t i = 0; i < off; i++)
		if (r->raw[i] == '\n') {
			l++;
			bol = i + 1;
		}
	*line = l;
	*column = (int)(off - bol) + 1;
}

static enum cw_csv_status
fail(struct cw_csv *r, struct cw_csv_error *err, enum cw_csv_status st, size_t off, const char *msg)
{
	if (err) {
		raw_pos(r, off, &err->line, &err->column);
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	}
	return st;
}

static void
describe_byte(int c, char *buf, size_t size)
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else if (c == ' ')
		snprintf(buf, size, "space");
	else
		snprintf(buf, size, "byte 0x%02x", (unsigned)c);
}

enum cw_csv_status
cw_csv_next(struct cw_csv *r, struct cw_csv_error *err)
{
	enum state st = ST_START;
	size_t qopen = 0;
	int c, d;

	r->rawlen = r->datalen = 0;
	r->nfields = 0;
	r->overflow = r->too_long = r->bad = false;
	if (!r->started) {
		r->started = true;
		if (r->mem && r->on_read && r->end > 0)
			r->on_read(r->arg, r->in, r->end);
		/* A BOM is three bytes: make sure they are all in the buffer. */
		while (!r->mem && r->end < 3 && !r->eof) {
			size_t n = fread(r->own + r->end, 1, INBUF - r->end, r->f);
			if (n == 0) {
				r->eof = true;
				r->read_error = ferror(r->f) != 0;
				break;
			}
			if (r->on_read)
				r->on_read(r->arg, r->own + r->end, n);
			r->end += n;
		}
		if (r->end - r->pos >= 3 && r->in[r->pos] == 0xEF && r->in[r->pos + 1] == 0xBB &&
		    r->in[r->pos + 2] == 0xBF) {
			r->pos += 3;
			r->bom = true;
		}
	}
	/* Empty lines between records are skipped (they still count). */
	for (;;) {
		c = getb(r);
		if (c == '\n') {
			r->line++;
			continue;
		}
		if (c == '\r') {
			d = getb(r);
			if (d == '\n') {
				r->crlf = true;
				r->line++;
				continue;
			}
			if (d >= 0)
				ungetb(r);
		}
		break;
	}
	r->rec_line = r->line;
	if (c < 0) {
		if (r->read_error)
			return fail(r, err, CW_CSV_FATAL, 0, "read error");
		return CW_CSV_EOF;
	}
	field_begin(r);
	for (;; c = getb(r)) {
		if (r->too_long) {
			char m[160];
			snprintf(m, sizeof(m), "record longer than %d bytes (is a quote not closed?)",
				 CW_CSV_MAX_RECORD);
			return fail(r, err, CW_CSV_FATAL, 0, m);
		}
		if (c < 0) {
			if (r->read_error)
				return fail(r, err, CW_CSV_FATAL, r->rawlen, "read error");
			if (st == ST_QUOTED)
				fault(r, qopen, "quoted field not closed before the end of the file");
			break;
		}
		if (st == ST_QUOTED) {
			if (c == '"') {
				d = getb(r);
				if (d == '"') {
					if (!raw_add(r, c) || !raw_add(r, d) || !data_add(r, '"'))
						goto oom;
					continue;
				}
				if (d >= 0)
					ungetb(r);
				if (!raw_add(r, c))
					goto oom;
				st = ST_AFTER;
				continue;
			}
			if (c == '\r') {
				d = getb(r);
				if (d == '\n') {
					r->crlf = true;
					r->line++;
					if (!raw_add(r, c) || !raw_add(r, d) || !data_add(r, '\n'))
						goto oom;
					continue;
				}
				if (d >= 0)
					ungetb(r);
			} else if (c == '\n') {
				r->line++;
			} else if (c == 0) {
				fault(r, r->rawlen, "NUL byte in a field");
				if (!raw_add(r, c))
					goto oom;
				continue;
			}
			if (!raw_add(r, c) || !data_add(r, c) || !copy_run(r, true))
				goto oom;
			continue;
		}
		/* START, UNQUOTED or AFTER */
		if (c == ',') {
			if (!field_end(r) || !raw_add(r, c))
				goto oom;
			field_begin(r);
			st = ST_START;
			continue;
		}
		if (c == '\n') {
			r->line++;
			break;
		}
		if (c == '\r') {
			d = getb(r);
			if (d == '\n') {
				r->crlf = true;
				r->line++;
				break;
			}
			if (d >= 0)
				ungetb(r);
			fault(r, r->rawlen, "carriage return not followed by a line feed");
		} else if (st == ST_AFTER) {
			char what[24], m[96];
			describe_byte(c, what, sizeof(what));
			snprintf(m, sizeof(m), "unexpected %s after a closing quote", what);
			fault(r, r->rawlen, m);
		} else if (c == '"') {
			if (st == ST_START) {
				qopen = r->rawlen;
				if (!raw_add(r, c))
					goto oom;
				st = ST_QUOTED;
				continue;
			}
			fault(r, r->rawlen, "unexpected '\"' in an unquoted field (quote the field and double the quote)");
		} else if (c == 0) {
			fault(r, r->rawlen, "NUL byte in a field");
			if (!raw_add(r, c))
				goto oom;
			st = ST_UNQUOTED;
			continue;
		}
		if (!raw_add(r, c) || !data_add(r, c))
			goto oom;
		st = ST_UNQUOTED;
		if (c != '"' && c != '\r' && c != 0 && !copy_run(r, false))
			goto oom;
	}
	if (!field_end(r))
		goto oom;
	if (!r->bad) {
		size_t at = cw_utf8_invalid_at(r->raw, r->rawlen);
		if (at < r->rawlen) {
			char m[96];
			snprintf(m, sizeof(m), "invalid UTF-8 (byte 0x%02x); save the file as 'CSV UTF-8'",
				 (unsigned)(unsigned char)r->raw[at]);
			fault(r, at, m);
		}
	}
	if (r->bad)
		return fail(r, err, CW_CSV_BAD, r->bad_off, r->bad_msg);
	return CW_CSV_ROW;
oom:
	return fail(r, err, CW_CSV_FATAL, 0, "out of memory");
}

int
cw_csv_nfields(const struct cw_csv *r)
{
	return r->nfields;
}

const char *
cw_csv_get(const struct cw_csv *r, int i)
{
	if (i < 0 || i >= r->nfields)
		return "";
	return r->data + r->fstart[i];
}

size_t
cw_csv_get_len(const struct cw_csv *r, int i)
{
	if (i < 0 || i >= r->nfields)
		return 0;
	return r->flen[i];
}

long
cw_csv_line(const struct cw_csv *r)
{
	return r->rec_line;
}

void
cw_csv_field_pos(const struct cw_csv *r, int i, long *line, int *column)
{
	if (i < 0 || i >= r->nfields) {
		raw_pos(r, r->rawlen, line, column);
		return;
	}
	raw_pos(r, r->fraw[i], line, column);
}

const char *
cw_csv_source_line(const struct cw_csv *r, long line, size_t *len)
{
	long l = r->rec_line;
	size_t bol = 0, eol;

	if (line < l)
		return NULL;
	for (size_t i = 0; i < r->rawlen && l < line; i++)
		if (r->raw[i] == '\n') {
			l++;
			bol = i + 1;
		}
	if (l != line)
		return NULL;
	eol = bol;
	while (eol < r->rawlen && r->raw[eol] != '\n')
		eol++;
	if (eol > bol && r->raw[eol - 1] == '\r')
		eol--;
	*len = eol - bol;
	return r->raw + bol;
}

bool
cw_csv_had_bom(const struct cw_csv *r)
{
	return r->bom;
}

bool
cw_csv_had_crlf(const struct cw_csv *r)
{
	return r->crlf;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

size_t
cw_utf8_invalid_at(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t k;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, len - i);
		if (k == 0)
			return i;
		i += k;
	}
	return len;
}

char *
cw_csv_excerpt(const char *text, size_t len, int column, char *buf, size_t size)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t at = column > 0 ? (size_t)column - 1 : 0, start = 0, end = len, o = 0;
	int caret = 0;
	bool cut_left, cut_right;

	if (size == 0)
		return buf;
	if (at > len)
		at = len;
	/* A window of 76 bytes around the column, on character boundaries. */
	if (len > 76) {
		start = at > 36 ? at - 36 : 0;
		if (start + 76 > len)
			start = len - 76;
		end = start + 76;
		while (start > 0 && start < len && (t[start] & 0xC0) == 0x80)
			start++;
		while (end < len && end > start && (t[end] & 0xC0) == 0x80)
			end--;
	}
	cut_left = start > 0;
	cut_right = end < len;
#define PUT(ch) do { if (o + 1 < size) buf[o++] = (char)(ch); } while (0)
	PUT(' ');
	PUT(' ');
	if (cut_left) {
		PUT('.'); PUT('.'); PUT('.');
		caret += 3;
	}
	for (size_t i = start; i < end;) {
		size_t k = t[i] < 0x80 ? 1 : utf8_seq(t + i, end - i);
		if (i < at)
			caret++;
		if (k == 0) {
			PUT('?');
			i++;
		} else if (k == 1) {
			PUT(t[i] < 0x20 || t[i] == 0x7f ? ' ' : t[i]);
			i++;
		} else if ((k == 2 && t[i] == 0xC2 && t[i + 1] < 0xA0) ||
			   (k == 3 && t[i] == 0xEF && t[i + 1] == 0xBB && t[i + 2] == 0xBF)) {
			/* C1 controls (terminals obey them) and a BOM (invisible,
			 * so the caret would look one off) show as a space too. */
			PUT(' ');
			i += k;
		} else {
			if (o + k < size) {
				memcpy(buf + o, t + i, k);
				o += k;
			}
			i += k;
		}
	}
	if (cut_right) {
		PUT('.'); PUT('.'); PUT('.');
	}
	PUT('\n');
	for (int k = 0; k < 2 + caret; k++)
		PUT(' ');
	PUT('^');
#undef PUT
	buf[o] = '\0';
	return buf;
}
