/*
 * copybuf.h - a growable byte buffer for building PostgreSQL COPY text rows.
 *
 * The nightly batch and the importers stream tens of thousands of rows into
 * COPY FROM STDIN; each row is built here, its fields escaped for COPY's text
 * format (backslash, tab, newline, carriage return), then sent in chunks.
 * Also the bounded string copy those hot loops use.
 */
#ifndef CAREWATCH_COPYBUF_H
#define CAREWATCH_COPYBUF_H
#include <stdbool.h>
#include <stddef.h>

struct cw_copybuf {
	char *p;        /* NUL-terminated after every call that succeeds */
	size_t n, cap;
};

/* Append n bytes of s as they are.  False only when out of memory. */
bool cw_copybuf_add(struct cw_copybuf *b, const char *s, size_t n) __attribute__((warn_unused_result));
/* Append s as they are. */
bool cw_copybuf_str(struct cw_copybuf *b, const char *s) __attribute__((warn_unused_result));
/* Append s escaped as one COPY text field, then sep ('\t' or '\n'); a NULL s
 * is written as \N. */
bool cw_copybuf_field(struct cw_copybuf *b, const char *s, char sep) __attribute__((warn_unused_result));
/* src into dst[size] (size > 0), cut to fit and NUL-terminated: snprintf's
 * "%s" without its cost, for the loops that copy ten million record ids. */
void cw_str_copy(char *dst, size_t size, const char *src);
/* Free the bytes and empty b. */
void cw_copybuf_free(struct cw_copybuf *b);
#endif
