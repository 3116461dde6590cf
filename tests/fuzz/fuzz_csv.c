/*
 * fuzz_csv.c - libFuzzer target for the streaming CSV reader.
 *
 * CQC's files come from a web site and through Excel, so the reader must
 * survive any bytes: no crash, no read past the input (which is not
 * NUL-terminated), no leak, no undefined behaviour.  Beyond not crashing it
 * checks what the reader promises (csv.h): a ROW's fields are valid UTF-8
 * with no NUL inside, every field's position lies within its record's lines,
 * line numbers only go forward, the error excerpt of any position can be
 * made, and reading the same bytes from memory and through a FILE gives the
 * same records.  Built and run by tools/fuzz.sh (`make fuzz`).
 *
 * FUZZ_SOURCES: src/csv.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of everything the reader said about the input. */
static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

static uint64_t
read_all(struct cw_csv *r)
{
	struct cw_csv_error e;
	enum cw_csv_status st;
	uint64_t h = 14695981039346656037ULL;
	long last = 0;
	char buf[600];

	while ((st = cw_csv_next(r, &e)) != CW_CSV_EOF) {
		long line = cw_csv_line(r), end_line;
		int col;

		h = mix(h, &st, sizeof(st));
		if (st == CW_CSV_FATAL) {
			h = mix(h, e.msg, strlen(e.msg));
			break;
		}
		if (line <= last)
			abort();                 /* records go forward */
		last = line;
		h = mix(h, &line, sizeof(line));
		cw_csv_field_pos(r, cw_csv_nfields(r), &end_line, &col);
		if (st == CW_CSV_BAD) {
			size_t len;
			const char *text = cw_csv_source_line(r, e.line, &len);
			if (e.line < line || e.line > end_line || e.column < 1 || text == NULL)
				abort();         /* a fault is inside its record */
			cw_csv_excerpt(text, len, e.column, buf, sizeof(buf));
			h = mix(h, e.msg, strlen(e.msg));
			h = mix(h, &e.line, sizeof(e.line));
			h = mix(h, &e.column, sizeof(e.column));
			continue;
		}
		for (int i = 0; i < cw_csv_nfields(r); i++) {
			const char *f = cw_csv_get(r, i);
			size_t n = cw_csv_get_len(r, i), len;
			long fl;
			int fc;
			const char *text;

			if (strlen(f) != n || cw_utf8_invalid_at(f, n) != n)
				abort();         /* no NUL inside, valid UTF-8 */
			cw_csv_field_pos(r, i, &fl, &fc);
			text = cw_csv_source_line(r, fl, &len);
			if (fl < line || fl > end_line || fc < 1 || text == NULL || (size_t)fc > len + 1)
				abort();
			cw_csv_excerpt(text, len, fc, buf, sizeof(buf));
			h = mix(h, f, n + 1);
			h = mix(h, &fl, sizeof(fl));
			h = mix(h, &fc, sizeof(fc));
		}
	}
	h = mix(h, "bom", cw_csv_had_bom(r));
	return mix(h, "crlf", cw_csv_had_crlf(r));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_csv *r = cw_csv_open_mem(data, size);
	uint64_t from_mem, from_file;
	FILE *f;

	if (r == NULL)
		return 0;
	from_mem = read_all(r);
	cw_csv_free(r);
	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (f == NULL)
		return 0;
	r = cw_csv_open(f);
	if (r != NULL) {
		from_file = read_all(r);
		cw_csv_free(r);
		if (from_file != from_mem)
			abort();                 /* FILE and memory readers agree */
	}
	fclose(f);
	return 0;
}
