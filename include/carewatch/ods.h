/*
 * ods.h - one sheet of an OpenDocument spreadsheet (.ods), row by row.
 *
 * CQC publishes its monthly files as .ods workbooks: a zip holding
 * content.xml, which for the national ratings workbook is over 1 GB of XML
 * for 26 MB of zip.  The reader streams it: libzip inflates content.xml a
 * chunk at a time into libxml2's SAX2 push parser, and the rows of the
 * wanted sheet queue for the caller, so memory is bounded by a chunk's rows
 * whatever the file's size.  The rows come out as the CSV reader's do (cw_csv_status,
 * fields as NUL-terminated text), so an importer reads either the same way.
 *
 * What a cell gives:
 *
 *   cell                                 field
 *   office:value-type="date"             its office:date-value as dd/mm/yyyy
 *   float, percentage, currency          its office:value ("12", not "12.00")
 *   string, boolean, none                the text of its text:p paragraphs
 *                                        (joined by a line feed; text:s is
 *                                        spaces, text:tab a tab)
 *   table:number-columns-repeated="n"    n fields (empty ones only when a
 *                                        non-empty cell follows)
 *   table:number-rows-repeated="n"       an empty row: skipped; otherwise n rows
 *
 * Refused, each with one message naming the file: not a zip, a zip that is
 * not an OpenDocument spreadsheet (its mimetype entry), no content.xml, a
 * corrupt entry (CRC), a content.xml whose inflated size passes
 * CW_ODS_MAX_XML or whose inflation ratio passes CW_ODS_MAX_RATIO (a zip
 * bomb), a document type declaration (CQC's files never have one: entity
 * definitions, and so entity expansion, are refused outright), malformed
 * XML, and a sheet that is not in the workbook (the sheets there are
 * listed).
 */
#ifndef CAREWATCH_ODS_H
#define CAREWATCH_ODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carewatch/csv.h"

#define CW_ODS_MAX_XML ((uint64_t)16 << 30)   /* bytes of content.xml: 16 GiB */
#define CW_ODS_MAX_RATIO 200                  /* inflated / compressed, past the first 16 MiB */

struct cw_ods;

/* Open the workbook at path and look for the sheet named sheet (compared
 * ignoring case; "A|B" takes the first sheet named A or B).  NULL when it cannot be read as a workbook at all, with the
 * reason in msg ("not a zip archive", "an OpenDocument text, not a
 * spreadsheet").  Caller frees with cw_ods_free(). */
struct cw_ods *cw_ods_open(const char *path, const char *sheet, char *msg, size_t size)
	__attribute__((warn_unused_result));
void cw_ods_free(struct cw_ods *r);

/* Called with every chunk of the workbook file as read (to hash it), before
 * the first cw_ods_next; the whole file is passed through once. */
bool cw_ods_hash_file(const char *path, void (*fn)(void *arg, const void *buf, size_t len), void *arg);

/* The next non-empty row of the sheet: CW_CSV_ROW, CW_CSV_EOF at the end of
 * the sheet, CW_CSV_BAD for a row with more than CW_CSV_MAX_FIELDS fields
 * (err says so; the reader goes on), CW_CSV_FATAL when the workbook cannot
 * be read further (err->msg says why; line 0 when there is no row to
 * blame).  A sheet not found by the end of content.xml is FATAL, the
 * message listing the sheets seen. */
enum cw_csv_status cw_ods_next(struct cw_ods *r, struct cw_csv_error *err);

/* The last row's fields (owned by the reader, valid until the next
 * cw_ods_next; "" out of range), its sheet row number (1-based, counting
 * empty and repeated rows, as a spreadsheet shows it).  Never fail. */
int cw_ods_nfields(const struct cw_ods *r);
const char *cw_ods_get(const struct cw_ods *r, int i);
long cw_ods_row(const struct cw_ods *r);

/* The last row as one comma-separated line (for an excerpt with a caret),
 * and the byte column (1-based) at which field i starts in it.  Owned by the
 * reader; never fails. */
const char *cw_ods_row_text(const struct cw_ods *r, int i, size_t *len, int *column);

/* The names of the sheets seen so far, comma-separated (owned by the
 * reader). */
const char *cw_ods_sheets(const struct cw_ods *r);

/* True when path starts like a zip archive ("PK\3\4"), which a CSV never
 * does.  False when it cannot be read. */
bool cw_ods_is_zip(const char *path);

/* ---- writing (tests and the generator) ---- */

/* A workbook written as LibreOffice writes one: mimetype first and stored,
 * META-INF/manifest.xml, and content.xml with a style on every cell, each
 * value typed (dd/mm/yyyy as a date, whole numbers as floats, the rest as
 * strings), runs of empty cells and empty rows as repeats, and the sheet
 * padded to a million rows with one repeated empty row.  content.xml is
 * streamed to a temporary file beside path, so memory stays small. */
struct cw_odsw;

/* NULL with the reason in msg when path cannot be written.  Caller ends
 * with cw_odsw_close (which frees it) whatever happens. */
struct cw_odsw *cw_odsw_open(const char *path, char *msg, size_t size)
	__attribute__((warn_unused_result));
/* Start the next sheet (ending the one before). */
bool cw_odsw_sheet(struct cw_odsw *w, const char *name);
/* One row of n cells (NULL or "" is an empty cell). */
bool cw_odsw_row(struct cw_odsw *w, const char *const *cells, int n);
/* Write the zip; false with the reason in msg.  Frees w. */
bool cw_odsw_close(struct cw_odsw *w, char *msg, size_t size);

#endif
