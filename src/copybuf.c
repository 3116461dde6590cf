/*
 * copybuf.c - COPY text rows (see copybuf.h).  Escaping copies runs of plain
 * bytes at once: the nightly writes 30,000 rows here per run.
 */
#include <stdlib.h>
#include <string.h>

#include "carewatch/copybuf.h"

bool
cw_copybuf_add(struct cw_copybuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;
		while (cap < b->n + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL)
			return false;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return true;
}

bool
cw_copybuf_str(struct cw_copybuf *b, const char *s)
{
	return cw_copybuf_add(b, s, strlen(s));
}

bool
cw_copybuf_field(struct cw_copybuf *b, const char *s, char sep)
{
	if (s == NULL)
		return cw_copybuf_add(b, "\\N", 2) && cw_copybuf_add(b, &sep, 1);
	for (;;) {
		size_t run = strcspn(s, "\\\t\n\r");
		const char *e;

		if (!cw_copybuf_add(b, s, run))
			return false;
		s += run;
		if (*s == '\0')
			break;
		e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : "\\r";
		if (!cw_copybuf_add(b, e, 2))
			return false;
		s++;
	}
	return cw_copybuf_add(b, &sep, 1);
}

void
cw_str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
cw_copybuf_free(struct cw_copybuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}
