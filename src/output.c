/*
 * output.c - printing struct cw_table as a table, CSV or JSON (output.h).
 *
 * The table layout follows PostgreSQL's fe_utils/print.c: measure every cell
 * in display columns first, then print; numbers right, text left.
 */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
};

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

	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		char ***nr = realloc(t->rows, ncap * sizeof(*nr));
		char **nm;

		if (nr == NULL)
			return false;
		t->rows = nr;
		nm = realloc(t->marks, ncap * sizeof(*nm));
		if (nm == NULL)
			return false;
		t->marks = nm;
		t->cap = ncap;
	}
	row = calloc((size_t)t->ncols, sizeof(*row));
	if (row == NULL)
		return false;
	for (int c = 0; c < t->ncols; c++)
		row[c] = cells[c] ? strdup(cells[c]) : NULL;
	t->rows[t->nrows] = row;
	t->marks[t->nrows] = NULL;
	t->nrows++;
	return true;
}

void
cw_table_mark_last(struct cw_table *t, const char *mark)
{
	if (t->nrows == 0)
		return;
	free(t->marks[t->nrows - 1]);
	t->marks[t->nrows - 1] = mark ? strdup(mark) : NULL;
}

void
cw_table_footer(struct cw_table *t, const char *footer)
{
	free(t->footer);
	t->footer = footer ? strdup(footer) : NULL;
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

static int
cp_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 1;        /* shown as U+FFFD */
	w = wcwidth((wchar_t)cp);
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

int
cw_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0, n;
	uint32_t cp;

	while ((n = cw_utf8_next(p, &cp)) != 0) {
		if (n < 0) {
			w += 1;
			p++;
			continue;
		}
		w += cp_width(cp);
		p += n;
	}
	return w;
}

/* Print s safely, at most maxw columns (an ellipsis marks a cut), padded to
 * width pad on the left (right=true) or right. */
static void
put_cell(FILE *f, const char *s, int maxw, int pad, bool right)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int full = cw_display_width((const char *)p), used = 0, n;
	bool cut = full > maxw;
	int limit = cut ? maxw - 1 : maxw;
	uint32_t cp;

	if (right)
		for (int i = (cut ? maxw : full); i < pad; i++)
			fputc(' ', f);
	while ((n = cw_utf8_next(p, &cp)) != 0) {
		int w = n < 0 ? 1 : cp_width(cp);

		if (used + w > limit)
			break;
		if (n < 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
			fputs("\xEF\xBF\xBD", f);
			p += n < 0 ? 1 : n;
		} else {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		}
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

/* Titles and footers may carry names typed by users (an officer's login,
 * a provider): newlines are kept, other control characters and invalid
 * UTF-8 are shown as U+FFFD as in cells. */
static void
put_lines(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n;

	while ((n = cw_utf8_next(p, &cp)) != 0) {
		if (n > 0 && cp == '\n') {
			fputc('\n', f);
		} else if (n < 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
			fputs("\xEF\xBF\xBD", f);
			n = n < 0 ? 1 : n;
		} else {
			fwrite(p, 1, (size_t)n, f);
		}
		p += n;
	}
}

static void
print_table(const struct cw_table *t, FILE *f, int width, bool colour)
{
	int *w = calloc((size_t)t->ncols, sizeof(int));
	bool marks = false;
	int total = 0;

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
		total += w[c] + (c ? 2 : 0);
	}
	if (marks)
		total += 2;
	/* Too wide for the terminal: shrink the widest text column, repeatedly. */
	while (width > 0 && total > width) {
		int widest = -1;
		for (int c = 0; c < t->ncols; c++)
			if (!t->cols[c].number && w[c] > 8 && (widest < 0 || w[c] > w[widest]))
				widest = c;
		if (widest < 0)
			break;
		w[widest]--;
		total--;
	}
	if (t->title) {
		if (colour)
			fputs("\033[1m", f);
		put_lines(f, t->title);
		fputs(colour ? "\033[0m\n" : "\n", f);
	}
	if (marks)
		fputs("  ", f);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
			fputs("  ", f);
		if (colour)
			fputs("\033[1m", f);
		put_cell(f, t->cols[c].label, w[c], c == t->ncols - 1 && !t->cols[c].number ? 0 : w[c],
			 t->cols[c].number);
		if (colour)
			fputs("\033[0m", f);
	}
	fputc('\n', f);
	if (marks)
		fputs("  ", f);
	for (int c = 0; c < t->ncols; c++) {
		if (c)
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
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputs("  ", f);
			put_cell(f, t->rows[r][c], w[c],
				 c == t->ncols - 1 && !t->cols[c].number ? 0 : w[c], t->cols[c].number);
		}
		if (hot && colour)
			fputs("\033[0m", f);
		fputc('\n', f);
	}
	if (t->footer) {
		put_lines(f, t->footer);
		fputc('\n', f);
	} else
		fprintf(f, "(%zu row%s)\n", t->nrows, t->nrows == 1 ? "" : "s");
	free(w);
}

void
cw_csv_field(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
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
		else if (cp < 0x20)
			fprintf(f, "\\u%04x", (unsigned)cp);
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

static void
print_json(const struct cw_table *t, FILE *f)
{
	fputc('[', f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(r ? ",\n {" : "\n {", f);
		for (int c = 0; c < t->ncols; c++) {
			const char *v = t->rows[r][c];
			if (c)
				fputs(", ", f);
			cw_json_string(f, t->cols[c].key);
			fputs(": ", f);
			if (v == NULL)
				fputs("null", f);
			else if (t->cols[c].number && is_json_number(v))
				fputs(v, f);
			else
				cw_json_string(f, v);
		}
		fputc('}', f);
	}
	fputs(t->nrows ? "\n]\n" : "]\n", f);
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
				cw_csv_field(f, t->rows[r][c]);
			}
			fputc('\n', f);
		}
		break;
	case CW_FMT_JSON:
		print_json(t, f);
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
	if (strcmp(s, "table") == 0)
		return CW_FMT_TABLE;
	if (strcmp(s, "csv") == 0)
		return CW_FMT_CSV;
	if (strcmp(s, "json") == 0)
		return CW_FMT_JSON;
	if (allow_html && strcmp(s, "html") == 0)
		return CW_FMT_HTML;
	return -1;
}

int
cw_output_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && atoi(env) > 0)
		return atoi(env);
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

bool
cw_output_colour(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}
