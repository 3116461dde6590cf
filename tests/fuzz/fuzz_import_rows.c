/*
 * fuzz_import_rows.c - libFuzzer target for the CQC importers' row parsers
 * and validators (import.c), without a database.
 *
 * The first input byte chooses the importer (bit 0: directory or ratings),
 * whether a --local-authority filter is given (bit 1) and whether CQC's
 * exact header (and, for the directory, its four preamble lines) is put in
 * front of the rest (bit 2), so the fuzzer spends its time in the rows
 * rather than finding the header.  Besides no crash, leak or undefined
 * behaviour, it checks the importer's book-keeping: every row read is
 * staged, skipped or rejected exactly once; the staging text has one line
 * per staged row with the table's number of columns; every reject has a
 * position inside the file and a message.  Built and run by tools/fuzz.sh.
 *
 * FUZZ_SOURCES: src/import.c src/csv.c src/vocab.c src/calendar.c src/error.c src/sha256.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char dir_head[] =
	"CQC Locations data,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,\r\n"
	"This data was produced on 01 April 2024,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,\r\n"
	"Name,Also known as,Address,Postcode,Phone number,Service's website (if available),"
	"Service types,Date of latest check,Specialisms/services,Provider name,Local authority,"
	"Region,Location URL,CQC Location ID (for office use only),CQC Provider ID (for office use only)\r\n";

static const char rat_head[] =
	"Location ID,Location ODS Code,Location Name,Care Home?,Location Type,"
	"Location Primary Inspection Category,Location Street Address,Location Address Line 2,"
	"Location City,Location Post Code,Location Local Authority,Location Region,"
	"Location NHS Region,Location ONSPD CCG Code,Location ONSPD CCG,"
	"Location Commissioning CCG Code,Location Commissioning CCG Name,"
	"Service / Population Group,Domain,Latest Rating,Publication Date,Report Type,"
	"Inherited Rating (Y/N),URL,Provider ID,Provider Name,Brand ID,Brand Name\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum cw_import_kind kind;
	const char *head;
	struct cw_import_opts o = {.file = "fuzz.csv"};
	struct cw_import_batch b;
	struct cw_error err;
	struct cw_csv *r;
	char *buf;
	size_t hlen, len, lines = 0;
	long total;
	int cols;

	if (size == 0)
		return 0;
	kind = (data[0] & 1) ? CW_IMPORT_RATINGS : CW_IMPORT_DIRECTORY;
	if (data[0] & 2)
		o.local_authority = "Norfolk";
	head = kind == CW_IMPORT_RATINGS ? rat_head : dir_head;
	hlen = (data[0] & 4) ? strlen(head) : 0;
	cols = kind == CW_IMPORT_RATINGS ? 6 : 10;
	len = hlen + size - 1;
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, data + 1, size - 1);
	r = cw_csv_open_mem(buf, len);
	if (r == NULL) {
		free(buf);
		return 0;
	}
	cw_import_batch_init(&b, kind);
	cw_error_clear(&err);
	if (cw_import_parse(&b, r, &o, &err)) {
		total = b.staged + b.rejected;
		for (int i = 0; i < CW_SKIP__N; i++)
			total += b.skipped[i];
		if (total != b.read || b.skipped[CW_SKIP_NO_LOCALITY] || b.skipped[CW_SKIP_UNKNOWN_LOCATION])
			abort();                 /* each row counted once; DB reasons never here */
		if (strlen(b.sha256) != 64 || b.nrejects > (size_t)b.rejected)
			abort();
		for (size_t i = 0; i < b.copy_len; i++) {
			if (b.copy[i] == '\t')
				cols--;
			if (b.copy[i] == '\n') {
				if (cols != 1)
					abort(); /* every staged line has the table's columns */
				cols = kind == CW_IMPORT_RATINGS ? 6 : 10;
				lines++;
			}
		}
		if (lines != (size_t)b.staged || (b.copy_len && b.copy[b.copy_len - 1] != '\n'))
			abort();
		for (size_t i = 0; i < b.nrejects; i++)
			if (b.rejects[i].line < 1 || b.rejects[i].column < 1 || b.rejects[i].msg[0] == '\0')
				abort();
	} else if (err.msg[0] == '\0' || err.code == 0) {
		abort();                         /* a refusal always says why */
	}
	cw_import_batch_free(&b);
	cw_csv_free(r);
	free(buf);
	return 0;
}
