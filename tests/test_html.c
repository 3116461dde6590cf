/*
 * test_html.c - the HTML/SVG renderer alone (no database): text escaping,
 * a document that is well-formed XML with every kind of chart, charts that
 * draw what they are given (bar widths in proportion, gaps in lines, the
 * target line), and nothing that would fetch or run anything; the audience
 * in the title and a banner, the closing note, and a bar whose figures are
 * withheld labelled as such.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testcore.h"
#include "carewatch/html.h"

/* Run fn(f, arg) into memory and return the text (caller frees). */
static char *
capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
write_text(FILE *f, const void *s)
{
	cw_html_text(f, s);
}

static void
write_doc(FILE *f, const void *doc)
{
	assert_true(cw_html_write(f, doc));
}

static void
write_chart(FILE *f, const void *c)
{
	cw_html_chart_svg(f, c);
}

static void
test_html_text_is_escaped_and_invalid_utf8_replaced(void **state)
{
	char *out;

	(void)state;
	out = capture(write_text, "a<b>&\"c'd");
	assert_string_equal(out, "a&lt;b&gt;&amp;&quot;c&#39;d");
	free(out);
	/* A lone continuation byte, a truncated sequence, a control character
	 * and an overlong '/' each become U+FFFD; good UTF-8 is kept. */
	out = capture(write_text, "x\x80y\xE2\x82z\x01w\xC0\xAF-\xC2\xA3");
	assert_string_equal(out, "x\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBDw"
				 "\xEF\xBF\xBD\xEF\xBF\xBD-\xC2\xA3");
	free(out);
	out = capture(write_text, "tab\tand\nnewline");
	assert_string_equal(out, "tab\tand\nnewline");
	free(out);
}

/* A small XML well-formedness check: elements nest and close, attributes
 * are quoted and hold no '<', entities are the five XML ones or numeric,
 * and there is exactly one root element.  Returns NULL or what is wrong. */
static const char *
xml_problem(const char *s)
{
	static char why[160];
	char stack[64][32];
	int depth = 0, roots = 0;
	const char *p = s;

	while (*p) {
		if (*p == '&') {
			static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
			bool ok = false;
			for (int i = 0; i < 5; i++)
				ok = ok || strncmp(p, ents[i], strlen(ents[i])) == 0;
			if (!ok && p[1] == '#') {
				const char *q = p + 2;
				while ((*q >= '0' && *q <= '9') || *q == 'x' || (*q >= 'a' && *q <= 'f'))
					q++;
				ok = q > p + 2 && *q == ';';
			}
			if (!ok) {
				snprintf(why, sizeof(why), "bad entity at: %.20s", p);
				return why;
			}
			p++;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		if (strncmp(p, "<!--", 4) == 0) {
			const char *e = strstr(p, "-->");
			if (e == NULL)
				return "unclosed comment";
			p = e + 3;
			continue;
		}
		if (strncmp(p, "<!DOCTYPE", 9) == 0) {
			p = strchr(p, '>');
			if (p == NULL)
				return "unclosed doctype";
			p++;
			continue;
		}
		if (p[1] == '/') {
			size_t n = strcspn(p + 2, ">");
			if (depth == 0 || strlen(stack[depth - 1]) != n || strncmp(stack[depth - 1], p + 2, n) != 0) {
				snprintf(why, sizeof(why), "</%.*s> closes <%s>", (int)n, p + 2,
					 depth ? stack[depth - 1] : "(nothing)");
				return why;
			}
			depth--;
			p += n + 3;
			continue;
		}
		{
			size_t n = strcspn(p + 1, " />\n");
			char name[32];
			const char *q = p + 1 + n;
			snprintf(name, sizeof(name), "%.*s", (int)n, p + 1);
			for (;;) {
				while (*q == ' ' || *q == '\n')
					q++;
				if (*q == '/' && q[1] == '>') {
					q += 2;
					break;
				}
				if (*q == '>') {
					if (depth == 0)
						roots++;
					if (depth == 64)
						return "too deep";
					snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
					q++;
					break;
				}
				/* name="value" */
				while (*q && *q != '=' && *q != '>' && *q != ' ')
					q++;
				if (*q != '=' || (q[1] != '"' && q[1] != '\'')) {
					snprintf(why, sizeof(why), "unquoted attribute in <%s>", name);
					return why;
				}
				{
					char quote = q[1];
					const char *e = strchr(q + 2, quote);
					if (e == NULL || memchr(q + 2, '<', (size_t)(e - q - 2))) {
						snprintf(why, sizeof(why), "bad attribute value in <%s>", name);
						return why;
					}
					q = e + 1;
				}
			}
			p = q;
		}
	}
	if (depth != 0) {
		snprintf(why, sizeof(why), "<%s> never closed", stack[depth - 1]);
		return why;
	}
	return roots == 1 ? NULL : "not exactly one root element";
}

static const char *const cats[] = {"Safe", "Well-led & <Overall>", "Caring"};
static const double out_v[] = {1, 5, 0}, good_v[] = {3, 15, 2}, ri_v[] = {NAN, 0, 2};
static const struct cw_chart_series bar_series[] = {
	{"Outstanding", "#1b7837", out_v}, {"Good", NULL, good_v}, {"Requires \"improvement\"", "bogus", ri_v},
};
static const char *const months[] = {"Apr 17", "May 17", "Jun 17", "Jul 17", "Aug 17"};
static const double gob[] = {72.5, 74.0, NAN, 76.1, 78.0}, ri_line[] = {25, 24, 23, 22, 21};
static const struct cw_chart_series line_series[] = {{"Good or better", NULL, gob}, {"RI", NULL, ri_line}};

static struct cw_table *
sample_table(void)
{
	static const struct cw_col cols[] = {{"domain", "Domain", false}, {"good", "Good & better", true}};
	struct cw_table *t = cw_table_new("Ratings <as at> 31 March", cols, 2);
	const char *r1[] = {"Caf\xC3\xA9 \"Rose\" & Crown", "3"};
	const char *r2[] = {"bad \xFF byte", NULL};
	const char *r3[] = {"Total", "3"};

	assert_true(cw_table_add(t, r1));
	assert_true(cw_table_add(t, r2));
	assert_true(cw_table_add(t, r3));
	cw_table_footer(t, "(3 rows) <end>");
	return t;
}

static void
test_html_document_is_well_formed_and_self_contained(void **state)
{
	struct cw_table *t = sample_table();
	struct cw_chart bars = {CW_CHART_HBARS, "Ratings & domains", 3, cats, 3, bar_series, true, NAN,
				NULL, NULL};
	struct cw_chart cols = bars, lines = {CW_CHART_LINES, "Trend", 5, months, 2, line_series, true,
					      80, "target 80%", "% of providers"};
	struct cw_chart empty = {CW_CHART_COLUMNS, "Nothing", 0, NULL, 0, NULL, false, NAN, NULL, NULL};
	struct cw_html_section secs[] = {
		{"Ratings <by> domain", "Each provider's latest & greatest", "76% good or better", &bars, t},
		{"Columns", NULL, NULL, &cols, NULL},
		{"Lines", "defined", NULL, &lines, t},
		{"Empty", NULL, "", &empty, NULL},
	};
	struct cw_html_doc doc = {"Quality dashboard: March 2018 <draft>", "North & West", "today", 4, secs,
				  NULL, false, NULL};
	const char *problem;
	char *out;

	(void)state;
	cols.kind = CW_CHART_COLUMNS;
	cols.percent = false;
	out = capture(write_doc, &doc);
	problem = xml_problem(out);
	if (problem)
		fail_msg("not well-formed: %s", problem);
	assert_true(strncmp(out, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"", 58) == 0);
	assert_non_null(strstr(out, "<meta charset=\"utf-8\"/>"));
	assert_non_null(strstr(out, "@media print"));
	assert_non_null(strstr(out, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(out, "<title>Quality dashboard: March 2018 &lt;draft&gt;</title>"));
	assert_non_null(strstr(out, "Caf\xC3\xA9 &quot;Rose&quot; &amp; Crown"));
	assert_non_null(strstr(out, "bad \xEF\xBF\xBD byte"));
	assert_non_null(strstr(out, "<tr class=\"total\">"));
	assert_non_null(strstr(out, "<nav>"));           /* four sections: contents */
	assert_non_null(strstr(out, "no data for this chart"));
	/* Nothing runs and nothing is fetched: the only URLs are namespaces. */
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "https:"));
	assert_null(strstr(out, "src="));
	assert_null(strstr(out, "url("));
	assert_null(strstr(out, "@import"));
	{
		const char *p = out;
		while ((p = strstr(p, "http://")) != NULL) {
			assert_true(strncmp(p, "http://www.w3.org/", 18) == 0);
			p++;
		}
	}
	/* And xmllint agrees (it is installed with the build dependencies). */
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/cwt-html-XXXXXX";
		int fd = mkstemp(path);
		char cmd[128];
		assert_true(fd >= 0);
		assert_int_equal(write(fd, out, strlen(out)), (ssize_t)strlen(out));
		close(fd);
		snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
		assert_int_equal(system(cmd), 0);
		unlink(path);
	}
	free(out);
	cw_table_free(t);
}

/* The width attributes of the <rect>s drawn for bars (legend swatches,
 * 12 units wide, left out), in order. */
static int
rect_widths(const char *svg, double *w, int max)
{
	const char *p = svg;
	int n = 0;

	while ((p = strstr(p, "<rect ")) != NULL && n < max) {
		const char *a = strstr(p, "width=\"");
		double v = a ? atof(a + 7) : 0;
		if (v != 12)
			w[n++] = v;
		p++;
	}
	return n;
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static void
test_html_bars_are_in_proportion(void **state)
{
	/* Two bars with the same shares (1:3) but different totals. */
	static const char *const two[] = {"A", "B"};
	static const double a[] = {1, 2}, b[] = {3, 6};
	static const struct cw_chart_series s[] = {{"a", NULL, a}, {"b", NULL, b}};
	struct cw_chart c = {CW_CHART_HBARS, "t", 2, two, 2, s, true, NAN, NULL, NULL};
	double w[8];
	char *out;

	(void)state;
	out = capture(write_chart, &c);
	assert_int_equal(rect_widths(out, w, 8), 4);
	/* Percent bars: both bars are the same length, 25% and 75%. */
	assert_true(fabs(w[0] - w[2]) < 0.11 && fabs(w[1] - w[3]) < 0.11);
	assert_true(fabs(w[1] - 3 * w[0]) < 0.3);
	assert_non_null(strstr(out, ">25%</text>"));
	assert_non_null(strstr(out, "n = 8"));
	free(out);
	/* Count bars: the second is twice the first. */
	c.percent = false;
	out = capture(write_chart, &c);
	assert_int_equal(rect_widths(out, w, 8), 4);
	assert_true(fabs((w[2] + w[3]) - 2 * (w[0] + w[1])) < 0.3);
	free(out);
	/* Stacked columns: one rect per positive value, totals on top. */
	c.kind = CW_CHART_COLUMNS;
	out = capture(write_chart, &c);
	assert_int_equal(rect_widths(out, w, 8), 4);
	assert_non_null(strstr(out, ">4</text>"));
	assert_non_null(strstr(out, ">8</text>"));
	free(out);
}

static void
test_html_lines_break_at_gaps_and_draw_the_target(void **state)
{
	struct cw_chart c = {CW_CHART_LINES, "Trend", 5, months, 2, line_series, true, 80, "target 80%",
			     NULL};
	char *out;

	(void)state;
	out = capture(write_chart, &c);
	/* The first series has a gap (NAN) in the middle: two polylines; the
	 * second none: one.  Every real value has its marker. */
	assert_int_equal(count(out, "<polyline"), 3);
	assert_int_equal(count(out, "<circle"), 4 + 5);
	assert_int_equal(count(out, "class=\"target\""), 2);  /* the line and its legend */
	assert_non_null(strstr(out, ">target 80%</text>"));
	assert_non_null(strstr(out, ">100%</text>"));        /* a percent axis runs to 100 */
	assert_non_null(strstr(out, ">Apr 17</text>"));
	free(out);
	/* Without a target there is no target line. */
	c.target = NAN;
	out = capture(write_chart, &c);
	assert_int_equal(count(out, "class=\"target\""), 0);
	free(out);
}

static void
test_html_audience_banner_note_and_withheld_bars(void **state)
{
	static const char *const two[] = {"North", "South"};
	static const double a[] = {NAN, 0}, b[] = {NAN, 0};
	static const struct cw_chart_series s[] = {{"a", NULL, a}, {"b", NULL, b}};
	struct cw_chart c = {CW_CHART_HBARS, "t", 2, two, 2, s, true, NAN, NULL, NULL};
	struct cw_html_section sec = {"Only", NULL, NULL, &c, NULL};
	struct cw_html_doc doc = {"Annual report", NULL, NULL, 1, &sec, "Public", false,
				  "Counts from 1 to 4 are shown as <5."};
	char *out;

	(void)state;
	out = capture(write_doc, &doc);
	assert_null(xml_problem(out));
	assert_non_null(strstr(out, "<title>Annual report \xE2\x80\x93 Public</title>"));
	assert_non_null(strstr(out, "<header>\n<p class=\"audience\">Public</p>\n<h1>Annual report</h1>"));
	assert_non_null(strstr(out, "<footer class=\"note\">\n<p>Counts from 1 to 4 are shown as &lt;5.</p>"));
	/* North's figures are withheld (NAN): "not shown"; South has none. */
	assert_non_null(strstr(out, ">not shown</text>"));
	assert_non_null(strstr(out, ">none</text>"));
	free(out);
	/* The internal version warns; no note. */
	doc.audience = "Internal \xE2\x80\x93 not for publication";
	doc.audience_internal = true;
	doc.note = NULL;
	out = capture(write_doc, &doc);
	assert_non_null(strstr(out, "<p class=\"audience internal\">Internal \xE2\x80\x93 not for publication</p>"));
	assert_null(strstr(out, "<footer"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_text_is_escaped_and_invalid_utf8_replaced),
		cmocka_unit_test(test_html_document_is_well_formed_and_self_contained),
		cmocka_unit_test(test_html_bars_are_in_proportion),
		cmocka_unit_test(test_html_lines_break_at_gaps_and_draw_the_target),
		cmocka_unit_test(test_html_audience_banner_note_and_withheld_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
