/*
 * output.c - printing struct cw_table as a table, CSV or JSON (output.h).
 *
 * The table layout follows PostgreSQL's fe_utils/print.c: measure every cell
 * in display columns first, then print; numbers right, text left.
 */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "carewatch/output.h"

struct cw_table {
	char *title;
	char *footer;
	struct cw_col *cols;
	int ncols;
	char ***rows;           /* rows[r][c], NULL = null */
	char **marks;
	size_t nrows, cap;
	bool failed;            /* a row could not be added: never printed short */
};

bool
cw_table_ok(const struct cw_table *t)
{
	return t != NULL && !t->failed;
}

struct cw_table *
cw_table_new(const char *title, const struct cw_col *cols, int ncols)
{
	struct cw_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cols = malloc(sizeof(*cols) * (size_t)ncols);
	if (t->cols == NULL) {
		free(t);
		return NULL;
	}
	memcpy(t->cols, cols, sizeof(*cols) * (size_t)ncols);
	t->ncols = ncols;
	t->title = title ? strdup(title) : NULL;
	return t;
}

void
cw_table_free(struct cw_table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
		free(t->marks[r]);
	}
	free(t->rows);
	free(t->marks);
	free(t->cols);
	free(t->title);
	free(t->footer);
	free(t);
}

bool
cw_table_add(struct cw_table *t, const char *const *cells)
{
	char **row;

	if (t == NULL)
		return false;
#ifdef CW_TEST_HOOKS
	/* CW_TEST_TABLE_ADD_FAIL=N: the N-th row added fails as if memory ran
	 * out (tests/test_client.c). */
	{
		static long calls;
		const char *n = getenv("CW_TEST_TABLE_ADD_FAIL");
		if (n && ++calls == atol(n)) {
			t->failed = true;
			return false;
		}
	}
#endif
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		char ***nr = realloc(t->rows, ncap * sizeof(*nr));
		char **nm;

		if (nr == NULL) {
			t->failed = true;
			return false;
		}
		t->rows = nr;
		nm = realloc(t->marks, ncap * sizeof(*nm));
		if (nm == NULL) {
			t->failed = true;
			return false;
		}
		t->marks = nm;
		t->cap = ncap;
	}
	row = calloc((size_t)t->ncols, sizeof(*row));
	if (row == NULL) {
		t->failed = true;
		return false;
	}
	for (int c = 0; c < t->ncols; c++) {
		row[c] = cells[c] ? strdup(cells[c]) : NULL;
		if (cells[c] && row[c] == NULL) {
			while (c-- > 0)
				free(row[c]);
			free(row);
			t->failed = true;
			return false;
		}
	}
	t->rows[t->nrows] = row;
	t->marks[t->nrows] = NULL;
	t->nrows++;
	return true;
}

void
cw_table_mark_last(struct cw_table *t, const char *mark)
{
	if (t == NULL || t->nrows == 0)
		return;
	free(t->marks[t->nrows - 1]);
	t->marks[t->nrows - 1] = mark ? strdup(mark) : NULL;
	if (mark && t->marks[t->nrows - 1] == NULL)
		t->failed = true;
}

void
cw_table_footer(struct cw_table *t, const char *footer)
{
	if (t == NULL)
		return;
	free(t->footer);
	t->footer = footer ? strdup(footer) : NULL;
	if (footer && t->footer == NULL)
		t->failed = true;     /* "(showing 50 of 212)" lost would read as whole */
}

size_t
cw_table_rows(const struct cw_table *t)
{
	return t->nrows;
}

int
cw_table_ncols(const struct cw_table *t)
{
	return t->ncols;
}

const struct cw_col *
cw_table_col(const struct cw_table *t, int col)
{
	return col >= 0 && col < t->ncols ? &t->cols[col] : NULL;
}

const char *
cw_table_cell(const struct cw_table *t, size_t row, int col)
{
	return row < t->nrows && col >= 0 && col < t->ncols ? t->rows[row][col] : NULL;
}

const char *
cw_table_title(const struct cw_table *t)
{
	return t->title;
}

const char *
cw_table_footer_text(const struct cw_table *t)
{
	return t->footer;
}

int
cw_utf8_next(const unsigned char *s, uint32_t *cp)
{
	int len;
	uint32_t c = s[0];

	if (c == 0)
		return 0;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		c &= 0x07;
	} else
		return -1;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	return len;
}

/* Display width of a code point that is shown as itself. */
static int
cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);

	if (w >= 0)
		return w;
	/* No UTF-8 locale (cron, CI): treat the common zero-width and wide
	 * ranges by hand, so a combining accent does not shift a column. */
	if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x0483 && cp <= 0x0489) ||
	    (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
	    (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) ||
	    (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
	    (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0xFEFF || (cp >= 0xE0100 && cp <= 0xE01EF))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	    (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0x1F300 && cp <= 0x1FAFF))
		return 2;
	return 1;
}

/* One piece of stored text as it is shown (the rule in output.h, in this
 * one place): the character at p, or its escape.  Returns how many bytes of
 * p it covers (0 at the end).  *show and *len say what to write (p itself,
 * or esc, which holds 8 bytes), *cols how many columns that takes.
 * keep_lines: newline and tab are themselves (multi-line text). */
static int
shown(const unsigned char *p, bool keep_lines, char esc[8], const char **show, size_t *len,
      int *cols)
{
	uint32_t cp;
	int n = cw_utf8_next(p, &cp);

	if (n == 0)
		return 0;
	*show = esc;
	if (n < 0) {
		snprintf(esc, 8, "\\x%02x", p[0]);
		n = 1;
	} else if (keep_lines && (cp == '\n' || cp == '\t')) {
		*show = (const char *)p;
		*len = 1;
		*cols = cp == '\t' ? 1 : 0;
		return 1;
	} else if (cp == '\n' || cp == '\r' || cp == '\t') {
		snprintf(esc, 8, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
	} else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
		snprintf(esc, 8, "\\u%04x", (unsigned)cp);
	} else {
		*show = (const char *)p;
		*len = (size_t)n;
		*cols = cp_width(cp);
		return n;
	}
	*len = strlen(esc);
	*cols = (int)*len;
	return n;
}

int
cw_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *show;
	char esc[8];
	size_t len;
	int w = 0, n, cols;

	while ((n = shown(p, false, esc, &show, &len, &cols)) != 0) {
		w += cols;
		p += n;
	}
	return w;
}

void
cw_text_put(FILE *f, const char *s, const char *indent)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const char *show;
	char esc[8];
	size_t len;
	int n, cols;

	while ((n = shown(p, indent != NULL, esc, &show, &len, &cols)) != 0) {
		fwrite(show, 1, len, f);
		if (indent && *p == '\n')
			fputs(indent, f);
		p += n;
	}
}

char *
cw_text_escape(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const char *show;
	char esc[8];
	size_t len, used = 0;
	int n, cols;

	if (size == 0)
		return buf;
	while ((n = shown(p, false, esc, &show, &len, &cols)) != 0 && used + len < size) {
		memcpy(buf + used, show, len);
		used += len;
		p += n;
	}
	buf[used] = '\0';
	return buf;
}

/* Print s safely, at most maxw columns (an ellipsis marks a cut), padded to
 * width pad on the left (right=true) or right. */
static void
put_cell(FILE *f, const char *s, int maxw, int pad, bool right)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int full = cw_display_width((const char *)p), used = 0, n, w;
	bool cut = full > maxw;
	int limit = cut ? maxw - 1 : maxw;
	const char *show;
	char esc[8];
	size_t len;

	if (right)
		for (int i = (cut ? maxw : full); i < pad; i++)
			fputc(' ', f);
	while ((n = shown(p, false, esc, &show, &len, &w)) != 0) {
		if (used + w > limit)
			break;
		fwrite(show, 1, len, f);
		p += n;
		used += w;
	}
	if (cut) {
		fputs("\xE2\x80\xA6", f);
		used++;
	}
	if (!right)
		for (int i = used; i < pad; i++)
			fputc(' ', f);
}

static bool
is_number(const struct cw_table *t, int c)
{
	return (t->cols[c].flags & CW_COL_NUMBER) != 0;
}

/* Cut to fit: only text, never an identifier, date, boolean or number. */
static bool
cuttable(const struct cw_col *c)
{
	return (c->flags & (CW_COL_NUMBER | CW_COL_ID | CW_COL_DATE | CW_COL_UUID | CW_COL_BOOL)) == 0;
}

/* Width of the shown columns at widths w, with the two-space gaps and the
 * marker column. */
static int
shown_width(const struct cw_table *t, const int *w, const bool *show, bool marks)
{
	int total = marks ? 2 : 0, n = 0;

	for (int c = 0; c < t->ncols; c++)
		if (show[c])
			total += w[c] + (n++ ? 2 : 0);
	return total;
}

/* Narrowest a column is cut to when text is cut no narrower than min. */
static int
floor_of(const struct cw_table *t, const int *w, int c, int min)
{
	return cuttable(&t->cols[c]) && w[c] > min ? min : w[c];
}

/* Cut the widest shown text column by one, repeatedly, until the table
 * fits width or every text column is at min. */
static void
narrow(const struct cw_table *t, int *w, const int *natural, const bool *show, bool marks,
       int width, int min)
{
	for (int total = shown_width(t, w, show, marks); total > width; total--) {
		int widest = -1;
		for (int c = 0; c < t->ncols; c++)
			if (show[c] && w[c] > floor_of(t, natural, c, min) &&
			    (widest < 0 || w[c] > w[widest]))
				widest = c;
		if (widest < 0)
			break;
		w[widest]--;
	}
}

/* Decide which columns are shown and how wide (the rule in output.h).
 * w holds each column's natural width and is narrowed in place. */
static void
fit_columns(const struct cw_table *t, int *w, bool *show, bool marks, int width)
{
	int *natural = malloc(sizeof(int) * (size_t)t->ncols);
	int *floor = malloc(sizeof(int) * (size_t)t->ncols);

	if (natural == NULL || floor == NULL) {
		free(natural);
		free(floor);
		return;         /* out of memory: printed unfitted */
	}
	for (int c = 0; c < t->ncols; c++) {
		show[c] = !(t->cols[c].flags & CW_COL_UUID);
		natural[c] = w[c];
		floor[c] = floor_of(t, w, c, CW_COL_MIN);
	}
	/* Hide what may be hidden while even the narrowest layout is too wide. */
	while (shown_width(t, floor, show, marks) > width) {
		int drop = -1;
		for (int c = 0; c < t->ncols; c++)
			if (show[c] && CW_COL_HIDE_OF(t->cols[c].flags) > 0 &&
			    (drop < 0 || CW_COL_HIDE_OF(t->cols[c].flags) >= CW_COL_HIDE_OF(t->cols[drop].flags)))
				drop = c;
		if (drop < 0)
			break;
		show[drop] = false;
	}
	narrow(t, w, natural, show, marks, width, CW_COL_MIN);
	/* Nothing left to hide and still too wide: text is cut further (to
	 * CW_COL_LAST) before the lines are let run past the terminal. */
	narrow(t, w, natural, show, marks, width, CW_COL_LAST);
	free(natural);
	free(floor);
}

/* The line that says which columns a fitted table left out: named when
 * that fits the width, else only counted. */
static void
hidden_note(const struct cw_table *t, FILE *f, const bool *show, int hidden, int width)
{
	static const char tail[] = "; --wide or --format csv for all)\n";
	char names[512] = "", count[48];
	size_t used = 0;

	snprintf(count, sizeof(count), "(%d column%s hidden", hidden, hidden == 1 ? "" : "s");
	for (int c = 0, n = 0; c < t->ncols && used < sizeof(names); c++)
		if (!show[c]) {
			const char *label = t->cols[c].label[0] ? t->cols[c].label : t->cols[c].key;
			char one[128];
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", n++ ? ", " : ": ",
						 cw_text_escape(label, one, sizeof(one)));
		}
	if (used < sizeof(names) && (width <= 0 ||
	    cw_display_width(count) + cw_display_width(names) + (int)strlen(tail) - 1 <= width))
		fprintf(f, "%s%s%s", count, names, tail);
	else
		fprintf(f, "%s%s", count, tail);
}

static void
print_table(const struct cw_table *t, FILE *f, int width, bool colour)
{
	int *w = calloc((size_t)t->ncols, sizeof(int));
	bool *show = calloc((size_t)t->ncols, sizeof(bool));
	bool marks = false;
	int last = -1, hidden = 0;

	if (w == NULL || show == NULL) {
		free(w);
		free(show);
		fputs("(out of memory)\n", f);
		return;
	}
	for (size_t r = 0; r < t->nrows; r++)
		if (t->marks[r])
			marks = true;
	for (int c = 0; c < t->ncols; c++) {
		w[c] = cw_display_width(t->cols[c].label);
		for (size_t r = 0; r < t->nrows; r++) {
			int cw = t->rows[r][c] ? cw_display_width(t->rows[r][c]) : 0;
			if (cw > w[c])
				w[c] = cw;
		}
		show[c] = true;
	}
	if (width > 0)
		fit_columns(t, w, show, marks, width);
	else if (width == 0)      /* no width to fit, but UUIDs are still for --wide */
		for (int c = 0; c < t->ncols; c++)
			show[c] = !(t->cols[c].flags & CW_COL_UUID);
	for (int c = 0; c < t->ncols; c++) {
		if (show[c])
			last = c;
		else
			hidden++;
	}
	if (t->title) {
		if (colour)
			fputs("\033[1m", f);
		cw_text_put(f, t->title, "");
		fputs(colour ? "\033[0m\n" : "\n", f);
	}
	if (marks)
		fputs("  ", f);
	for (int c = 0, n = 0; c < t->ncols; c++) {
		if (!show[c])
			continue;
		if (n++)
			fputs("  ", f);
		if (colour)
			fputs("\033[1m", f);
		put_cell(f, t->cols[c].label, w[c], c == last && !is_number(t, c) ? 0 : w[c],
			 is_number(t, c));
		if (colour)
			fputs("\033[0m", f);
	}
	fputc('\n', f);
	if (marks)
		fputs("  ", f);
	for (int c = 0, n = 0; c < t->ncols; c++) {
		if (!show[c])
			continue;
		if (n++)
			fputs("  ", f);
		for (int i = 0; i < w[c]; i++)
			fputs("\xE2\x94\x80", f);
	}
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		bool hot = t->marks[r] != NULL;

		if (marks) {
			put_cell(f, hot ? t->marks[r] : "", 1, 1, false);
			fputc(' ', f);
		}
		if (hot && colour)
			fputs("\033[1;31m", f);
		for (int c = 0, n = 0; c < t->ncols; c++) {
			if (!show[c])
				continue;
			if (n++)
				fputs("  ", f);
			put_cell(f, t->rows[r][c], w[c], c == last && !is_number(t, c) ? 0 : w[c],
				 is_number(t, c));
		}
		if (hot && colour)
			fputs("\033[0m", f);
		fputc('\n', f);
	}
	if (t->footer) {
		cw_text_put(f, t->footer, "");
		fputc('\n', f);
	} else
		fprintf(f, "(%zu row%s)\n", t->nrows, t->nrows == 1 ? "" : "s");
	if (hidden > 0)
		hidden_note(t, f, show, hidden, width);
	free(w);
	free(show);
}

/* A plain decimal number: an optional minus, digits, optionally a point
 * and digits ("-3", "812.50").  What carewatch's numeric columns hold. */
static bool
plain_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* One CSV cell.  OWASP's advice on CSV injection: a cell beginning with
 * '=', '+', '-', '@', tab or carriage return is one a spreadsheet may run
 * as a formula (=HYPERLINK(...), -2+3+cmd|...), so it gets a leading single
 * quote, which spreadsheets show as text, and is quoted.  A plain number in
 * a column the table declares numeric is data ("-3.5" must stay a number),
 * so it is left as it is; anything else in that column is treated as text. */
static void
csv_cell(FILE *f, const char *s, bool number)
{
	bool formula, quote;

	if (s == NULL)
		return;
	formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL && !(number && plain_number(s));
	quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
cw_csv_field(FILE *f, const char *s)
{
	csv_cell(f, s, false);
}

void
cw_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n;

	fputc('"', f);
	while ((n = cw_utf8_next(p, &cp)) != 0) {
		if (n < 0) {           /* invalid UTF-8 cannot be JSON: replace */
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			fprintf(f, "\\u%04x", (unsigned)cp);   /* C1 too: JSON on a terminal */
		else
			fwrite(p, 1, (size_t)n, f);
		p += n;
	}
	fputc('"', f);
}

static bool
is_json_number(const char *s)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '+' || *s == '.' ||
	    (s[0] == '0' && s[1] != '\0' && s[1] != '.') || strchr(s, 'x') || strchr(s, 'X') ||
	    strpbrk(s, "inIN"))
		return false;
	(void)strtod(s, &end);
	return *end == '\0';
}

/* "true" or "false" for a boolean cell as carewatch writes one (yes/no,
 * or PostgreSQL's t/f and true/false), NULL for anything else, which stays
 * a string. */
static const char *
json_bool(const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "t") == 0 || strcmp(v, "true") == 0)
		return "true";
	if (strcmp(v, "no") == 0 || strcmp(v, "f") == 0 || strcmp(v, "false") == 0)
		return "false";
	return NULL;
}

/* One cell as JSON: null, true / false in a boolean column, a number in a
 * numeric column when it is one, else a string. */
static void
json_cell(FILE *f, const char *v, unsigned flags)
{
	if (v == NULL)
		fputs("null", f);
	else if ((flags & CW_COL_BOOL) && json_bool(v) != NULL)
		fputs(json_bool(v), f);
	else if ((flags & CW_COL_NUMBER) && is_json_number(v))
		fputs(v, f);
	else
		cw_json_string(f, v);
}

void
cw_json_members(const struct cw_table *t, size_t row, FILE *f)
{
	if (row >= t->nrows)
		return;
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputs(", ", f);
		cw_json_string(f, t->cols[c].key);
		fputs(": ", f);
		json_cell(f, t->rows[row][c], t->cols[c].flags);
	}
}

void
cw_json_array(const struct cw_table *t, FILE *f)
{
	fputc('[', f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(r ? ",\n {" : "\n {", f);
		cw_json_members(t, r, f);
		fputc('}', f);
	}
	fputs(t->nrows ? "\n]" : "]", f);
}

void
cw_table_print(const struct cw_table *t, FILE *f, enum cw_format format, int width, bool colour)
{
	switch (format) {
	case CW_FMT_CSV:
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			cw_csv_field(f, t->cols[c].key);
		}
		fputc('\n', f);
		for (size_t r = 0; r < t->nrows; r++) {
			for (int c = 0; c < t->ncols; c++) {
				if (c)
					fputc(',', f);
				csv_cell(f, t->rows[r][c], is_number(t, c));
			}
			fputc('\n', f);
		}
		break;
	case CW_FMT_JSON:
		cw_json_array(t, f);
		fputc('\n', f);
		break;
	case CW_FMT_TABLE:
	case CW_FMT_HTML:
	default:
		print_table(t, f, width, colour);
		break;
	}
}

int
cw_format_parse(const char *s, bool allow_html)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "table") == 0)
		return CW_FMT_TABLE;
	if (strcasecmp(s, "csv") == 0)
		return CW_FMT_CSV;
	if (strcasecmp(s, "json") == 0)
		return CW_FMT_JSON;
	if (allow_html && strcasecmp(s, "html") == 0)
		return CW_FMT_HTML;
	return -1;
}

static int terminal_fd = STDOUT_FILENO;

void
cw_output_set_terminal(int fd)
{
	terminal_fd = fd < 0 ? STDOUT_FILENO : fd;
}

int
cw_output_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && atoi(env) > 0)
		return atoi(env);
	if (isatty(terminal_fd) && ioctl(terminal_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

bool
cw_output_colour(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(terminal_fd) && (nc == NULL || nc[0] == '\0');
}
