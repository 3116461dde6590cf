/*
 * test_ods.c - reading one sheet of an OpenDocument workbook as a stream
 * (src/ods.c) and writing workbooks (src/ods_write.c).  No server.
 *
 * Workbooks are built here with libzip from content.xml written by hand
 * (every way a cell can be spelt: typed values, repeats, paragraphs,
 * spaces, spans, notes) or with the writer, then read back.  Hostile and
 * broken files -- not a zip, a truncated zip, an OpenDocument text, an
 * Excel workbook, no content.xml, a zip bomb, a billion-laughs DTD,
 * malformed XML, a missing sheet, a row of 300 cells -- each give one
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "testlib.h"
#include "carewatch/ods.h"

#define NS " xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\"" \
	   " xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\"" \
	   " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
#define DOC(body) "<?xml version=\"1.0\"?><office:document-content" NS "><office:body>" \
	"<office:spreadsheet>" body "</office:spreadsheet></office:body></office:document-content>"

static char path[64];

/* A zip of the given entries (name, data; data NULL ends), at path. */
static const char *
zip_of(const char *const *entries, const size_t *lens)
{
	zip_t *z;
	int e = 0;

	snprintf(path, sizeof(path), "/tmp/cwt-ods-%d.ods", (int)getpid());
	z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e);
	assert_non_null(z);
	for (int i = 0; entries[i]; i += 2) {
		size_t n = lens && lens[i / 2] ? lens[i / 2] : strlen(entries[i + 1]);
		zip_source_t *s = zip_source_buffer(z, entries[i + 1], n, 0);
		assert_non_null(s);
		assert_true(zip_file_add(z, entries[i], s, 0) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	return path;
}

static const char *
workbook(const char *content)
{
	const char *e[] = {"mimetype", "application/vnd.oasis.opendocument.spreadsheet", "content.xml",
			   content, NULL};
	return zip_of(e, NULL);
}

/* Open p's sheet and read to the first fatal or the end; the message of
 * the failure ("" when none). */
static const char *
failure(const char *p, const char *sheet)
{
	static char msg[200];
	struct cw_csv_error ce;
	struct cw_ods *r = cw_ods_open(p, sheet, msg, sizeof(msg));
	enum cw_csv_status st;

	if (r == NULL)
		return msg;
	while ((st = cw_ods_next(r, &ce)) == CW_CSV_ROW || st == CW_CSV_BAD)
		;
	snprintf(msg, sizeof(msg), "%s", st == CW_CSV_FATAL ? ce.msg : "");
	cw_ods_free(r);
	return msg;
}

static void
test_ods_cells_as_spreadsheets_spell_them(void **state)
{
	static const char content[] = DOC(
		"<table:table table:name=\"Providers\"><table:table-row><table:table-cell"
		" office:value-type=\"string\"><text:p>not this</text:p></table:table-cell></table:table-row>"
		"</table:table>"
		"<table:table table:name=\"Locations\">"
		"<table:table-column table:number-columns-repeated=\"5\"/>"
		"<table:table-row><table:table-cell><text:p>Notice: a new system</text:p></table:table-cell>"
		"</table:table-row>"
		"<table:table-row table:number-rows-repeated=\"3\"><table:table-cell"
		" table:number-columns-repeated=\"1024\"/></table:table-row>"
		"<table:table-row><table:table-cell office:value-type=\"date\" office:date-value=\"2024-03-15\">"
		"<text:p>15 Mar 2024</text:p></table:table-cell>"
		"<table:table-cell office:value-type=\"float\" office:value=\"12\"><text:p>12.00</text:p>"
		"</table:table-cell><table:table-cell table:number-columns-repeated=\"2\"/>"
		"<table:table-cell office:value-type=\"string\"><text:p>a<text:s text:c=\"2\"/>b"
		"<text:span>c</text:span>&amp;</text:p><text:p>second</text:p>"
		"<office:annotation><text:p>a note</text:p></office:annotation></table:table-cell>"
		"<table:table-cell table:number-columns-repeated=\"3\" office:value-type=\"string\">"
		"<text:p>N</text:p></table:table-cell>"
		"<table:table-cell table:number-columns-repeated=\"16000\"/></table:table-row>"
		"<table:table-row table:number-rows-repeated=\"2\"><table:table-cell><text:p>x</text:p>"
		"</table:table-cell></table:table-row>"
		"<table:table-row table:number-rows-repeated=\"1048000\"><table:table-cell"
		" table:number-columns-repeated=\"1024\"/></table:table-row>"
		"</table:table>");
	const char *want[] = {"15/03/2024", "12", "", "", "a  bc&\nsecond", "N", "N", "N"};
	struct cw_csv_error ce;
	char msg[160];
	struct cw_ods *r;
	size_t len;
	int col;

	(void)state;
	r = cw_ods_open(workbook(content), "locations", msg, sizeof(msg));
	assert_non_null(r);
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_ROW);
	assert_int_equal(cw_ods_row(r), 1);
	assert_string_equal(cw_ods_get(r, 0), "Notice: a new system");
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_ROW);
	/* The empty rows count in the numbering; trailing empty cells are not fields. */
	assert_int_equal(cw_ods_row(r), 5);
	assert_int_equal(cw_ods_nfields(r), 8);
	for (int i = 0; i < 8; i++)
		assert_string_equal(cw_ods_get(r, i), want[i]);
	assert_string_equal(cw_ods_get(r, 8), "");
	assert_string_equal(cw_ods_row_text(r, 4, &len, &col), "15/03/2024,12,,,a  bc& second,N,N,N");
	assert_int_equal(col, 17);
	/* A repeated row is read as often as it is repeated. */
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_ROW);
	assert_int_equal(cw_ods_row(r), 6);
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_ROW);
	assert_int_equal(cw_ods_row(r), 7);
	assert_string_equal(cw_ods_get(r, 0), "x");
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_EOF);
	assert_string_equal(cw_ods_sheets(r), "Providers, Locations");
	cw_ods_free(r);
	unlink(path);
}

static void
test_ods_row_of_too_many_cells_is_bad_and_reading_goes_on(void **state)
{
	char *content = malloc(40000);
	struct cw_csv_error ce;
	char msg[160];
	struct cw_ods *r;
	size_t n;

	(void)state;
	assert_non_null(content);
	n = (size_t)snprintf(content, 40000, "<?xml version=\"1.0\"?><office:document-content" NS
			     "><office:body><office:spreadsheet><table:table table:name=\"Locations\">"
			     "<table:table-row>");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(content + n, 40000 - n, "<table:table-cell><text:p>%d</text:p>"
				      "</table:table-cell>", i);
	snprintf(content + n, 40000 - n, "</table:table-row><table:table-row><table:table-cell>"
		 "<text:p>ok</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
		 "</office:body></office:document-content>");
	r = cw_ods_open(workbook(content), "Locations", msg, sizeof(msg));
	assert_non_null(r);
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_BAD);
	assert_string_equal(ce.msg, "more than 256 fields");
	assert_int_equal(ce.line, 1);
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_ROW);
	assert_string_equal(cw_ods_get(r, 0), "ok");
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_EOF);
	cw_ods_free(r);
	free(content);
	unlink(path);
}

static void
test_ods_broken_and_hostile_files_are_refused(void **state)
{
	static const char laughs[] =
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
		"<office:document-content" NS "><office:body><office:spreadsheet>"
		"<table:table table:name=\"Locations\"><table:table-row><table:table-cell><text:p>&lol3;"
		"</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
		"</office:body></office:document-content>";
	FILE *f;
	char *bomb;
	size_t bomb_len = (size_t)64 << 20;

	(void)state;
	/* Not a zip at all. */
	snprintf(path, sizeof(path), "/tmp/cwt-ods-%d.ods", (int)getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("Location ID,Domain\n", f);
	fclose(f);
	assert_false(cw_ods_is_zip(path));
	assert_string_equal(failure(path, "Locations"), "not a zip archive (an .ods workbook is one)");
	/* A truncated zip. */
	workbook(DOC("<table:table table:name=\"Locations\"/>"));
	assert_true(cw_ods_is_zip(path));
	assert_int_equal(truncate(path, 60), 0);
	assert_string_equal(failure(path, "Locations"), "a corrupt zip archive (cut short or damaged)");
	{
		const char *odt[] = {"mimetype", "application/vnd.oasis.opendocument.text", "content.xml",
				     DOC(""), NULL};
		const char *xlsx[] = {"[Content_Types].xml", "<Types/>", NULL};
		const char *bare[] = {"mimetype", "application/vnd.oasis.opendocument.spreadsheet", NULL};
		assert_string_equal(failure(zip_of(odt, NULL), "Locations"),
				    "an OpenDocument file of another kind ('application/vnd.oasis.opendocument"
				    ".text'), not a spreadsheet");
		assert_string_equal(failure(zip_of(xlsx, NULL), "Locations"),
				    "an Excel workbook (.xlsx), not an OpenDocument spreadsheet (save it as .ods"
				    " or CSV)");
		assert_string_equal(failure(zip_of(bare, NULL), "Locations"),
				    "an OpenDocument workbook without content.xml");
	}
	/* 64 MiB of spaces deflate to about 64 KiB: a bomb, refused while
	 * inflating (the declared size is under the limit). */
	bomb = malloc(bomb_len);
	assert_non_null(bomb);
	memset(bomb, ' ', bomb_len);
	memcpy(bomb, "<?xml version=\"1.0\"?><a>", 24);
	{
		const char *e[] = {"mimetype", "application/vnd.oasis.opendocument.spreadsheet", "content.xml",
				   bomb, NULL};
		size_t lens[] = {0, bomb_len};
		assert_string_equal(failure(zip_of(e, lens), "Locations"),
				    "content.xml inflates far beyond its compressed size (refused as a zip bomb)");
	}
	free(bomb);
	assert_string_equal(failure(workbook(laughs), "Locations"),
			    "content.xml has a document type declaration (refused: entity definitions are"
			    " not allowed in a workbook)");
	assert_non_null(strstr(failure(workbook("<?xml version=\"1.0\"?><office:document-content" NS
						"><table:table table:name=\"Locations\"></office:document-content>"),
				       "Locations"),
			       "content.xml is not well-formed XML (line 1: "));
	assert_string_equal(failure(workbook(DOC("<table:table table:name=\"Providers\"/>"
						 "<table:table table:name=\"Notes\"/>")), "Locations|Sheet1"),
			    "no sheet 'Locations' in the workbook (sheets: Providers, Notes)");
	unlink(path);
}

static void
test_ods_writer_round_trip(void **state)
{
	static const char *const rows[][5] = {
		{"CQC data: notice", NULL, NULL, NULL, NULL},
		{"Location ID", "Care homes beds", "Publication Date", "Name", "Note"},
		{"1-101", "12", "15/03/2024", "Ashfield <House> & \"Co\"", ""},
		{"1-102", "", "01/01/2024", "Two\nlines", "x"},
	};
	struct cw_csv_error ce;
	struct cw_odsw *w;
	struct cw_ods *r;
	char msg[160];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/cwt-ods-%d.ods", (int)getpid());
	w = cw_odsw_open(path, msg, sizeof(msg));
	assert_non_null(w);
	assert_true(cw_odsw_sheet(w, "Notes"));
	assert_true(cw_odsw_row(w, rows[1], 1));
	assert_true(cw_odsw_sheet(w, "HSCA_Active_Locations"));
	for (int i = 0; i < 4; i++)
		assert_true(cw_odsw_row(w, rows[i], i == 0 ? 1 : 5));
	assert_true(cw_odsw_close(w, msg, sizeof(msg)));
	r = cw_ods_open(path, "HSCA Active Locations|HSCA_Active_Locations", msg, sizeof(msg));
	assert_non_null(r);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(cw_ods_next(r, &ce), CW_CSV_ROW);
		assert_int_equal(cw_ods_row(r), i + 1);
		for (int k = 0; k < (i == 0 ? 1 : 5); k++)
			assert_string_equal(cw_ods_get(r, k), rows[i][k] ? rows[i][k] : "");
	}
	assert_int_equal(cw_ods_next(r, &ce), CW_CSV_EOF);
	cw_ods_free(r);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ods_cells_as_spreadsheets_spell_them),
		cmocka_unit_test(test_ods_row_of_too_many_cells_is_bad_and_reading_goes_on),
		cmocka_unit_test(test_ods_broken_and_hostile_files_are_refused),
		cmocka_unit_test(test_ods_writer_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
