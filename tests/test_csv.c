/*
 * test_csv.c - the streaming CSV reader: every layout quirk CQC's files have
 * (BOM, CRLF or LF, quoted commas, doubled quotes, line breaks inside quotes,
 * empty lines, no final line end), positions of fields and faults, records
 * split across the read buffer, and a list of bad inputs each with its exact
 * error, after which the next record is still read correctly.  No database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testcore.h"
#include "carewatch/csv.h"

/* Every record of r as "line:field|field|..." lines ('\n' in a field shown
 * as "\n"), or for a BAD record "line:BAD L:C msg".  Caller frees. */
static char *
dump(struct cw_csv *r)
{
	size_t cap = 1 << 16, n = 0;
	char *out = calloc(1, cap);
	struct cw_csv_error e;
	enum cw_csv_status st;

	assert_non_null(out);
	while ((st = cw_csv_next(r, &e)) != CW_CSV_EOF) {
		if (n + 4096 > cap) {
			char *bigger = realloc(out, cap * 2);
			assert_non_null(bigger);
			out = bigger;
			cap *= 2;
		}
		if (st == CW_CSV_FATAL) {
			n += (size_t)snprintf(out + n, cap - n, "FATAL %ld:%d %s\n", e.line, e.column, e.msg);
			break;
		}
		n += (size_t)snprintf(out + n, cap - n, "%ld:", cw_csv_line(r));
		if (st == CW_CSV_BAD) {
			n += (size_t)snprintf(out + n, cap - n, "BAD %ld:%d %s\n", e.line, e.column, e.msg);
			continue;
		}
		for (int i = 0; i < cw_csv_nfields(r); i++) {
			const char *f = cw_csv_get(r, i);
			assert_int_equal(strlen(f), cw_csv_get_len(r, i));
			if (i)
				out[n++] = '|';
			for (; *f && n + 8 < cap; f++) {
				if (*f == '\n') {
					out[n++] = '\\';
					out[n++] = 'n';
				} else {
					out[n++] = *f;
				}
			}
		}
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

static char *
dump_mem(const char *in, size_t len)
{
	struct cw_csv *r = cw_csv_open_mem(in, len);
	char *out;

	assert_non_null(r);
	out = dump(r);
	cw_csv_free(r);
	return out;
}

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
} good[] = {
	{"LF", S("a,b\nc,d\n"), "1:a|b\n2:c|d\n"},
	{"CRLF", S("a,b\r\nc,d\r\n"), "1:a|b\n2:c|d\n"},
	{"BOM", S("\xEF\xBB\xBFName,Postcode\r\n"), "1:Name|Postcode\n"},
	{"BOM only", S("\xEF\xBB\xBF"), ""},
	{"BOM later is data", S("a\n\xEF\xBB\xBF" "b\n"), "1:a\n2:\xEF\xBB\xBF" "b\n"},
	{"quoted comma", S("\"1 High Street, Norwich\",NR1 3QU\n"), "1:1 High Street, Norwich|NR1 3QU\n"},
	{"doubled quote", S("\"say \"\"hi\"\"\",x\n"), "1:say \"hi\"|x\n"},
	{"only a doubled quote", S("\"\"\"\"\n"), "1:\"\n"},
	{"LF inside quotes", S("\"two\nlines\",x\nnext\n"), "1:two\\nlines|x\n3:next\n"},
	{"CRLF inside quotes is LF", S("\"two\r\nlines\"\r\nnext\r\n"), "1:two\\nlines\n3:next\n"},
	{"no final line end", S("a,b\nc,\"d\""), "1:a|b\n2:c|d\n"},
	{"empty lines skipped but counted", S("\n\na\r\n\r\nb\n\n"), "3:a\n5:b\n"},
	{"empty fields", S(",,\n"), "1:||\n"},
	{"a quoted empty field is a record", S("\"\"\n"), "1:\n"},
	{"spaces kept", S(" a , b \n"), "1: a | b \n"},
	{"UTF-8", S("Caf\xC3\xA9,\xE2\x80\x99,\xF0\x9F\x98\x80\n"), "1:Caf\xC3\xA9|\xE2\x80\x99|\xF0\x9F\x98\x80\n"},
	{"CQC preamble", S("CQC Locations data,,,\r\n,,,\r\nName,Postcode,Local authority,Region\r\n"),
	 "1:CQC Locations data|||\n2:|||\n3:Name|Postcode|Local authority|Region\n"},
	{"empty input", S(""), ""},
};

static void
test_csv_layouts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *out = dump_mem(good[i].in, good[i].len);
		if (strcmp(out, good[i].want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", good[i].name, out, good[i].want);
		free(out);
	}
}

/* Each bad input: the exact error, and the record after it read correctly. */
static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
} bad[] = {
	{"quote in an unquoted field", S("ab\"c,d\nnext\n"),
	 "1:BAD 1:3 unexpected '\"' in an unquoted field (quote the field and double the quote)\n2:next\n"},
	{"text after a closing quote", S("x,\"abc\"d,e\nnext\n"),
	 "1:BAD 1:8 unexpected 'd' after a closing quote\n2:next\n"},
	{"space after a closing quote", S("\"abc\" ,d\nnext\n"),
	 "1:BAD 1:6 unexpected space after a closing quote\n2:next\n"},
	{"control byte after a closing quote", S("\"abc\"\t\nnext\n"),
	 "1:BAD 1:6 unexpected byte 0x09 after a closing quote\n2:next\n"},
	{"bare carriage return", S("a\rb,c\nnext\n"),
	 "1:BAD 1:2 carriage return not followed by a line feed\n2:next\n"},
	{"bare carriage return at the end", S("a,b\r"),
	 "1:BAD 1:4 carriage return not followed by a line feed\n"},
	{"quote never closed", S("a,\"open\nmore,b\n"),
	 "1:BAD 1:3 quoted field not closed before the end of the file\n"},
	{"NUL byte", S("a\0b,c\nnext\n"), "1:BAD 1:2 NUL byte in a field\n2:next\n"},
	{"NUL byte in quotes", S("\"a\0b\"\nnext\n"), "1:BAD 1:3 NUL byte in a field\n2:next\n"},
	{"Windows-1252 text", S("Caf\xE9,x\nnext\n"),
	 "1:BAD 1:4 invalid UTF-8 (byte 0xe9); save the file as 'CSV UTF-8'\n2:next\n"},
	{"overlong UTF-8", S("a,\xC0\xAF\nnext\n"),
	 "1:BAD 1:3 invalid UTF-8 (byte 0xc0); save the file as 'CSV UTF-8'\n2:next\n"},
	{"UTF-8 surrogate", S("\xED\xA0\x80\nnext\n"),
	 "1:BAD 1:1 invalid UTF-8 (byte 0xed); save the file as 'CSV UTF-8'\n2:next\n"},
	{"UTF-8 beyond U+10FFFF", S("x\xF4\x90\x80\x80\n"),
	 "1:BAD 1:2 invalid UTF-8 (byte 0xf4); save the file as 'CSV UTF-8'\n"},
	{"UTF-8 cut short", S("ab\xE2\x80\n"),
	 "1:BAD 1:3 invalid UTF-8 (byte 0xe2); save the file as 'CSV UTF-8'\n"},
	{"fault on the second line of a record", S("\"a\nb\"x,c\nnext\n"),
	 "1:BAD 2:3 unexpected 'x' after a closing quote\n3:next\n"},
	{"first fault wins", S("a\"b,\"c\"d\nnext\n"),
	 "1:BAD 1:2 unexpected '\"' in an unquoted field (quote the field and double the quote)\n2:next\n"},
};

static void
test_csv_bad_inputs_give_exact_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = dump_mem(bad[i].in, bad[i].len);
		if (strcmp(out, bad[i].want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", bad[i].name, out, bad[i].want);
		free(out);
	}
}

static void
test_csv_too_many_fields(void **state)
{
	char in[2048], *out;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < CW_CSV_MAX_FIELDS + 3; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%d", i ? "," : "", i % 10);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\nnext\n");
	out = dump_mem(in, n);
	/* 256 one-digit fields and their commas: the 257th starts at column 513. */
	assert_string_equal(out, "1:BAD 1:513 more than 256 fields\n2:next\n");
	free(out);
}

static void
test_csv_record_too_long_is_fatal(void **state)
{
	size_t n = CW_CSV_MAX_RECORD + 100;
	char *in = malloc(n), *out;

	(void)state;
	assert_non_null(in);
	in[0] = 'a';
	in[1] = '\n';
	in[2] = '"';
	memset(in + 3, 'x', n - 3);
	out = dump_mem(in, n);
	assert_string_equal(out, "1:a\nFATAL 2:1 record longer than 1048576 bytes (is a quote not closed?)\n");
	free(out);
	free(in);
}

static void
test_csv_field_positions(void **state)
{
	static const char in[] = "\xEF\xBB\xBF" "a,\"b,c\",d\r\n\"x\r\ny\",\"\",z\r\n";
	struct cw_csv *r = cw_csv_open_mem(in, sizeof(in) - 1);
	struct cw_csv_error e;
	const char *text;
	size_t len;
	long line;
	int col;

	(void)state;
	assert_non_null(r);
	assert_int_equal(cw_csv_next(r, &e), CW_CSV_ROW);
	assert_true(cw_csv_had_bom(r));
	cw_csv_field_pos(r, 1, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 3);          /* the opening quote; the BOM is not a column */
	cw_csv_field_pos(r, 2, &line, &col);
	assert_int_equal(col, 9);
	cw_csv_field_pos(r, 3, &line, &col);  /* past the last field: the record's end */
	assert_int_equal(col, 10);
	text = cw_csv_source_line(r, 1, &len);
	assert_non_null(text);
	assert_int_equal(len, 9);
	assert_memory_equal(text, "a,\"b,c\",d", 9);
	assert_null(cw_csv_source_line(r, 2, &len));

	assert_int_equal(cw_csv_next(r, &e), CW_CSV_ROW);
	assert_true(cw_csv_had_crlf(r));
	assert_int_equal(cw_csv_line(r), 2);
	assert_string_equal(cw_csv_get(r, 0), "x\ny");
	assert_string_equal(cw_csv_get(r, 1), "");
	cw_csv_field_pos(r, 1, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 4);
	text = cw_csv_source_line(r, 3, &len);
	assert_non_null(text);
	assert_int_equal(len, 7);            /* y",""," + z: the CR is not part of the line */
	assert_memory_equal(text, "y\",\"\",z", 7);
	assert_string_equal(cw_csv_get(r, 9), "");
	assert_int_equal(cw_csv_get_len(r, -1), 0);
	assert_int_equal(cw_csv_next(r, &e), CW_CSV_EOF);
	assert_int_equal(cw_csv_next(r, &e), CW_CSV_EOF);
	cw_csv_free(r);
}

/* The same records through a FILE, long enough that records, CRLFs, a
 * doubled quote and the BOM check meet the 256 KiB buffer's edges. */
static void
test_csv_file_reader_across_buffers(void **state)
{
	FILE *f = tmpfile();
	struct cw_csv *r;
	struct cw_csv_error e;
	enum cw_csv_status st;
	long rows = 0;
	size_t bytes = 0;

	(void)state;
	assert_non_null(f);
	fputs("\xEF\xBB\xBF", f);
	for (int i = 0; i < 40000; i++)
		fprintf(f, "%d,\"quoted, \"\"%d\"\"\",\"multi\r\nline\"\r\n", i, i);
	rewind(f);
	r = cw_csv_open(f);
	assert_non_null(r);
	while ((st = cw_csv_next(r, &e)) == CW_CSV_ROW) {
		char want[64];
		snprintf(want, sizeof(want), "%ld", rows);
		assert_string_equal(cw_csv_get(r, 0), want);
		snprintf(want, sizeof(want), "quoted, \"%ld\"", rows);
		assert_string_equal(cw_csv_get(r, 1), want);
		assert_string_equal(cw_csv_get(r, 2), "multi\nline");
		assert_int_equal(cw_csv_line(r), 2 * rows + 1);
		bytes += cw_csv_get_len(r, 1);
		rows++;
	}
	assert_int_equal(st, CW_CSV_EOF);
	assert_int_equal(rows, 40000);
	assert_true(bytes > 256 * 1024);
	assert_true(cw_csv_had_bom(r));
	cw_csv_free(r);
	fclose(f);
}

static size_t seen;

static void
count_bytes(void *arg, const void *buf, size_t len)
{
	(void)arg;
	(void)buf;
	seen += len;
}

static void
test_csv_on_read_sees_every_byte(void **state)
{
	static const char in[] = "\xEF\xBB\xBF" "a,b\nc\n";
	struct cw_csv *r = cw_csv_open_mem(in, sizeof(in) - 1);
	struct cw_csv_error e;

	(void)state;
	seen = 0;
	cw_csv_on_read(r, count_bytes, NULL);
	while (cw_csv_next(r, &e) == CW_CSV_ROW)
		;
	assert_int_equal(seen, sizeof(in) - 1);
	cw_csv_free(r);
}

static void
test_csv_excerpt(void **state)
{
	char buf[512], line[300];

	(void)state;
	assert_string_equal(cw_csv_excerpt("a,b,31/02/2024", 14, 5, buf, sizeof(buf)),
			    "  a,b,31/02/2024\n      ^");
	/* The caret counts characters, not bytes. */
	assert_string_equal(cw_csv_excerpt("Caf\xC3\xA9,x", 7, 7, buf, sizeof(buf)),
			    "  Caf\xC3\xA9,x\n       ^");
	/* Control characters are spaces; invalid bytes are '?'. */
	assert_string_equal(cw_csv_excerpt("a\tb\x1b\xff", 5, 2, buf, sizeof(buf)),
			    "  a b ?\n   ^");
	/* Past the end: the caret follows the text. */
	assert_string_equal(cw_csv_excerpt("abc", 3, 4, buf, sizeof(buf)), "  abc\n     ^");
	/* A long line is cut around the column. */
	memset(line, 'x', sizeof(line));
	line[150] = 'Y';
	cw_csv_excerpt(line, sizeof(line), 151, buf, sizeof(buf));
	assert_string_equal(buf, "  ...xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\n"
				 "                                         ^");
	cw_csv_excerpt(line, sizeof(line), 1, buf, sizeof(buf));
	assert_true(strncmp(buf, "  xxx", 5) == 0);
	assert_non_null(strstr(buf, "...\n  ^"));
	/* A small buffer is cut, never overrun. */
	cw_csv_excerpt("abcdef", 6, 3, buf, 6);
	assert_string_equal(buf, "  abc");
}

static void
test_csv_utf8_validation(void **state)
{
	(void)state;
	assert_int_equal(cw_utf8_invalid_at("plain", 5), 5);
	assert_int_equal(cw_utf8_invalid_at("\xC3\xA9\xE2\x80\x99\xF0\x9F\x98\x80", 9), 9);
	assert_int_equal(cw_utf8_invalid_at("ab\x80", 3), 2);            /* stray continuation */
	assert_int_equal(cw_utf8_invalid_at("\xE0\x80\x80", 3), 0);      /* overlong */
	assert_int_equal(cw_utf8_invalid_at("\xF5\x80\x80\x80", 4), 0);  /* out of range */
	assert_int_equal(cw_utf8_invalid_at("a\xC3", 2), 1);             /* cut short */
}

/* An excerpt goes to the terminal under an import's reasons: C1 controls
 * (8-bit CSI, OSC) are spaces like C0 ones, and so is a BOM inside a line
 * (invisible, it would put the caret one column off). */
static void
test_csv_excerpt_shows_c1_controls_and_a_bom_as_spaces(void **state)
{
	char buf[512];

	(void)state;
	assert_string_equal(cw_csv_excerpt("a\xC2\x9B" "2J,b", 7, 6, buf, sizeof(buf)), "  a 2J,b\n      ^");
	assert_string_equal(cw_csv_excerpt("a\xC2\x9D" "0;t\xC2\x9C,b", 10, 1, buf, sizeof(buf)),
			    "  a 0;t ,b\n  ^");
	assert_string_equal(cw_csv_excerpt("x,\xEF\xBB\xBF" "1-101,y", 12, 3, buf, sizeof(buf)),
			    "  x, 1-101,y\n    ^");
	/* The next character after the C1 range is text: U+00A0 is kept. */
	assert_string_equal(cw_csv_excerpt("a\xC2\xA0" "b", 4, 1, buf, sizeof(buf)), "  a\xC2\xA0" "b\n  ^");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_layouts),
		cmocka_unit_test(test_csv_bad_inputs_give_exact_errors),
		cmocka_unit_test(test_csv_too_many_fields),
		cmocka_unit_test(test_csv_record_too_long_is_fatal),
		cmocka_unit_test(test_csv_field_positions),
		cmocka_unit_test(test_csv_file_reader_across_buffers),
		cmocka_unit_test(test_csv_on_read_sees_every_byte),
		cmocka_unit_test(test_csv_excerpt),
		cmocka_unit_test(test_csv_utf8_validation),
		cmocka_unit_test(test_csv_excerpt_shows_c1_controls_and_a_bom_as_spaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
