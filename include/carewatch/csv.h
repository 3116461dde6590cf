/*
 * csv.h - a streaming CSV reader that knows where every byte came from.
 *
 * CQC publishes its directory and ratings as CSV saved by Excel: RFC 4180
 * quoting (fields with commas, quotes or line breaks are quoted, a quote
 * inside is doubled), an optional UTF-8 byte order mark, CRLF or LF line
 * ends.  The reader takes exactly that, one record at a time from a FILE or
 * a memory buffer, with memory bounded by the longest record, and says for
 * every field which physical line and byte column it started on, so an
 * importer can report "line 7, column 143" and show the line with a caret.
 *
 * What it accepts and how it reads it:
 *
 *   input                         result
 *   EF BB BF at the very start    skipped (a BOM anywhere else is data)
 *   CRLF or LF                    ends a record (each counts as one line)
 *   an empty line                 skipped, but counted in line numbers
 *   "a,b"                         one field  a,b
 *   "say ""hi"""                  one field  say "hi"
 *   "two<CRLF>lines"              one field  two<LF>lines (CRLF inside quotes becomes LF)
 *   last record without a line end  read as a record
 *
 * Malformed records are reported, not guessed at (CW_CSV_BAD, the first
 * fault in the record): a quote inside an unquoted field, text after a
 * closing quote, a carriage return not followed by a line feed, a NUL byte,
 * invalid UTF-8, more than CW_CSV_MAX_FIELDS fields, and a quoted field still
 * open at the end of the file.  After a BAD record the reader carries on
 * with the next one, so an importer can list every bad row.  A record longer
 * than CW_CSV_MAX_RECORD bytes and a read error are fatal (CW_CSV_FATAL):
 * nothing after them can be trusted.
 */
#ifndef CAREWATCH_CSV_H
#define CAREWATCH_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CW_CSV_MAX_FIELDS 256
#define CW_CSV_MAX_RECORD 1048576   /* bytes: 1 MiB */

enum cw_csv_status {
	CW_CSV_EOF = 0,         /* no more records */
	CW_CSV_ROW = 1,         /* a record: fields available */
	CW_CSV_BAD = 2,         /* a malformed record (err filled); fields as far as read */
	CW_CSV_FATAL = 3,       /* cannot go on (err filled) */
};

struct cw_csv_error {
	long line;              /* physical line of the fault, 1-based */
	int column;             /* byte column in that line, 1-based (after any BOM) */
	char msg[160];          /* "unexpected 'x' after a closing quote" */
};

struct cw_csv;

/* A reader of f (not closed by the reader), or of len bytes at buf (not
 * copied: buf must outlive the reader).  NULL only when out of memory.
 * Caller frees with cw_csv_free(). */
struct cw_csv *cw_csv_open(FILE *f) __attribute__((warn_unused_result));
struct cw_csv *cw_csv_open_mem(const void *buf, size_t len) __attribute__((warn_unused_result));
void cw_csv_free(struct cw_csv *r);

/* Called with every chunk of input as it is read (e.g. to hash the file),
 * BOM included.  Set before the first cw_csv_next. */
void cw_csv_on_read(struct cw_csv *r, void (*fn)(void *arg, const void *buf, size_t len),
		    void *arg);

/* Read the next record.  err is filled for CW_CSV_BAD and CW_CSV_FATAL. */
enum cw_csv_status cw_csv_next(struct cw_csv *r, struct cw_csv_error *err);

/* The last record's fields: NUL-terminated (a field holding a NUL byte is
 * BAD), owned by the reader and valid until the next cw_csv_next.  Index out
 * of range gives "".  Never fail. */
int cw_csv_nfields(const struct cw_csv *r);
const char *cw_csv_get(const struct cw_csv *r, int i);
size_t cw_csv_get_len(const struct cw_csv *r, int i);

/* The physical line the last record started on (1-based). */
long cw_csv_line(const struct cw_csv *r);
/* Where field i of the last record starts (its opening quote if quoted). */
void cw_csv_field_pos(const struct cw_csv *r, int i, long *line, int *column);
/* Physical line `line` of the last record as read (quotes and all, without
 * its line end), or NULL when the record does not span that line.  *len
 * gets its length.  Owned by the reader. */
const char *cw_csv_source_line(const struct cw_csv *r, long line, size_t *len);

/* True once a BOM was skipped; true once a CRLF line end was seen. */
bool cw_csv_had_bom(const struct cw_csv *r);
bool cw_csv_had_crlf(const struct cw_csv *r);

/* Format `text` (one physical line, len bytes) for an error message as two
 * lines indented by two spaces, the text and a caret under byte column
 * `column` (no final newline):
 *
 *   1-101,Safe,"Good",31/02/2024
 *                     ^
 *
 * Long lines are cut to a window around the column, marked with "...";
 * control characters (C0, DEL and C1) and byte order marks show as
 * spaces.  Writes at most size bytes (NUL included) into buf and returns
 * buf.  Never fails. */
char *cw_csv_excerpt(const char *text, size_t len, int column, char *buf, size_t size);

/* Byte offset of the first invalid UTF-8 sequence in s (RFC 3629: no
 * overlong forms, surrogates or code points above U+10FFFF), or len when s
 * is valid.  Never fails. */
size_t cw_utf8_invalid_at(const char *s, size_t len);

#endif
