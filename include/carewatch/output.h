/*
 * output.h - tables built, then printed as an aligned table, CSV or JSON.
 *
 * Every list and report builds a struct cw_table and hands it to
 * cw_table_print, so all of them take --format table|csv|json alike.  Table
 * widths are measured in display columns (UTF-8 aware, wide characters count
 * two), numbers are right-aligned, the table fits itself to the terminal by
 * cutting text and hiding what can be spared, never by cutting an
 * identifier or a date, and a footer gives the row count.  Stored text is
 * shown on a terminal through one rule (cw_text_put): control characters and
 * invalid UTF-8 become visible escapes, so a record can never move the
 * cursor, clear the screen or retitle the window.  CSV carries the text
 * exactly, except that a cell a spreadsheet would run as a formula is
 * neutralised; JSON escapes what JSON must (docs/client.md, "Text on the
 * screen and in spreadsheets").
 */
#ifndef CAREWATCH_OUTPUT_H
#define CAREWATCH_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum cw_format { CW_FMT_TABLE, CW_FMT_CSV, CW_FMT_JSON, CW_FMT_HTML };

/* What a column holds, in cw_col.flags, which says how a table narrower
 * than its rows treats it (cw_table_print).  Only text is ever cut: a cut
 * identifier or date is useless.  The flags are the third member, where
 * tables have always said true for a number, so {"key", "Label", false}
 * and {"key", "Label", true} keep their meaning. */
enum {
	CW_COL_NUMBER = 1 << 0,   /* right-aligned; a JSON number when it parses as one */
	CW_COL_ID = 1 << 1,       /* case number, CQC ID, login, code: never cut */
	CW_COL_DATE = 1 << 2,     /* a date or a time: never cut */
	CW_COL_UUID = 1 << 3,     /* never cut; in a fitted table only with --wide */
	CW_COL_BOOL = 1 << 4,     /* "yes" or "no": JSON true / false; never cut */
};
/* May be hidden when the table cannot fit even with its text cut to
 * CW_COL_MIN; a higher n (1 to 15) is hidden first. */
#define CW_COL_HIDE(n) ((unsigned)(n) << 8)
#define CW_COL_HIDE_OF(flags) (((flags) >> 8) & 0xFu)

struct cw_col {
	const char *key;        /* CSV header and JSON key: lower_snake_case */
	const char *label;      /* table header */
	unsigned flags;         /* CW_COL_*; 0 for text, always shown */
};

/* Text columns are cut no narrower than CW_COL_MIN (or their widest cell)
 * before a column is hidden, and no narrower than CW_COL_LAST ever. */
#define CW_COL_MIN 12
#define CW_COL_LAST 8

struct cw_table;

/* A table with ncols columns described by cols (copied).  title may be NULL.
 * Returns NULL only when out of memory.  Caller frees with cw_table_free(). */
struct cw_table *cw_table_new(const char *title, const struct cw_col *cols, int ncols);
void cw_table_free(struct cw_table *t);

/* Append a row of ncols cells (copied; NULL prints empty / JSON null).
 * Returns false only when out of memory (or t is NULL, cw_table_new having
 * run out).  The policy for a table (docs/architecture.md): a failed add is
 * remembered, and cw_table_ok() is then false, so callers may add rows
 * without checking each one and check once before printing: cw_emit and
 * cw_report_print refuse a table that lost a row, rather than print a
 * shorter list as if it were whole. */
bool cw_table_add(struct cw_table *t, const char *const *cells);
/* False when t is NULL or a row could not be added. */
bool cw_table_ok(const struct cw_table *t);

/* Mark the last added row (e.g. overdue): shown in bold red on a colour
 * terminal, with `mark` in the table's leading marker column otherwise. */
void cw_table_mark_last(struct cw_table *t, const char *mark);

/* Footer line under the table (replaces "(N rows)"); CSV/JSON ignore it. */
void cw_table_footer(struct cw_table *t, const char *footer);

size_t cw_table_rows(const struct cw_table *t);

/* Reading a built table back (renderers such as html.c).  Strings are owned
 * by t; a cell may be NULL (null).  Out-of-range indexes give NULL / 0. */
int cw_table_ncols(const struct cw_table *t);
const struct cw_col *cw_table_col(const struct cw_table *t, int col);
const char *cw_table_cell(const struct cw_table *t, size_t row, int col);
const char *cw_table_title(const struct cw_table *t);
const char *cw_table_footer_text(const struct cw_table *t);

/* The width that prints a table whole: every column, none cut (--wide). */
#define CW_WIDTH_ALL (-1)

/* Print in format to f.  width: terminal columns; 0 for no limit (output
 * that is not a terminal): nothing is cut but UUID columns are still left
 * out; CW_WIDTH_ALL (--wide) for every column.  colour: use ANSI colour
 * (callers pass cw_output_colour()).
 *
 * Fitting a table to width: UUID columns are left out; then, if the rows
 * are still too wide, text columns are cut, widest first, down to
 * CW_COL_MIN; if even that is too wide, columns marked CW_COL_HIDE are hidden
 * (highest CW_COL_HIDE first, the rightmost of equals first) until it fits,
 * and the text columns get back what the hidden ones freed; with nothing
 * left to hide, text is cut further, to CW_COL_LAST.  IDs, dates, booleans
 * and numbers are never cut: a table that cannot fit without cutting one
 * is printed wider than width.  A line under the footer names
 * the columns left out ("(2 columns hidden: Trend, ID; --wide or --format
 * csv for all)").  CSV and JSON always have every column, in full. */
void cw_table_print(const struct cw_table *t, FILE *f, enum cw_format format, int width,
		    bool colour);

/* The JSON that --format json prints, in pieces, for a command whose
 * output is one object made of tables (provider show, case show): the
 * array of all rows (without a newline after it), and row's "key": value
 * members without the braces.  Cells are typed as in the array: null,
 * true / false (CW_COL_BOOL), numbers (CW_COL_NUMBER), strings. */
void cw_json_array(const struct cw_table *t, FILE *f);
void cw_json_members(const struct cw_table *t, size_t row, FILE *f);

/* Parse "table", "csv", "json" (and "html" when allow_html).  -1 when none. */
int cw_format_parse(const char *s, bool allow_html);

/* Terminal width of stdout (COLUMNS, then the tty), or 0 when not a tty. */
int cw_output_width(void);
/* True when stdout is a terminal and NO_COLOR is unset or empty. */
bool cw_output_colour(void);
/* While the pager holds stdout in a file, the terminal's descriptor, so the
 * two above still describe the terminal the output will reach; -1 to go
 * back to stdout itself. */
void cw_output_set_terminal(int fd);

/* Decode one UTF-8 sequence at s: returns its length in bytes and sets *cp,
 * 0 at the terminating NUL, or -1 for an invalid or overlong sequence or a
 * surrogate (the caller skips one byte).  Never reads past a NUL. */
int cw_utf8_next(const unsigned char *s, uint32_t *cp);

/* Display width of UTF-8 text as cw_text_put shows it on one line: an
 * escape counts its characters (\u001b six, \n two, \xff four). */
int cw_display_width(const char *s);

/* Write stored text s to a terminal (or anything a person reads).  The one
 * rule, used by the table printer and every show command: each C0 control
 * character, DEL and C1 control character (U+0080 to U+009F) is written as
 * an escape, \n \r \t for newline, carriage return and tab and \u00XX for
 * the others (ESC is \u001b, CSI \u009b), and a byte that is not UTF-8 as
 * \xHH.  indent NULL: s is one line, so newline and tab are escaped too;
 * otherwise newlines and tabs are kept and each newline is followed by
 * indent (multi-line free text under a heading).  A backslash is written as
 * it is.  Never fails (write errors are the stream's). */
void cw_text_put(FILE *f, const char *s, const char *indent);

/* s as cw_text_put shows it on one line, into buf (NUL-terminated, cut
 * before an escape or character that does not fit).  For messages and
 * titles built with snprintf.  Returns buf; never fails. */
char *cw_text_escape(const char *s, char *buf, size_t size);

/* Write s as a JSON string literal (with quotes): control characters,
 * DEL and C1 controls escaped, invalid UTF-8 as U+FFFD. */
void cw_json_string(FILE *f, const char *s);
/* Write s as one CSV field: quoted when it holds a comma, quote or line
 * break; and, as OWASP advises against CSV injection, a field beginning
 * with '=', '+', '-', '@', tab or carriage return is prefixed with a single
 * quote and quoted, so a spreadsheet shows it as text instead of running
 * it.  (cw_table_print leaves a plain decimal number such as -3.5 in a
 * numeric column alone.) */
void cw_csv_field(FILE *f, const char *s);

#endif
