/*
 * html.h - reports as one self-contained HTML file with inline SVG charts.
 *
 * The monthly dashboards and the annual quality report go to committees as
 * files people open, print and attach to papers, so the output is one file
 * that needs nothing else: styles inline, charts as inline SVG, no scripts,
 * no fonts, images or anything fetched from the network.  The markup is
 * XHTML-compatible (well-formed XML: every element closed, every attribute
 * quoted, only the five XML entities) so `xmllint --noout` can check it, and
 * a print stylesheet keeps sections and tables from breaking across pages.
 *
 * The module is pure: it takes plain structs (tables are output.h's struct
 * cw_table, charts are numbers) and writes to a FILE, so it is unit-tested
 * without a database (tests/test_html.c).  Text is escaped; invalid UTF-8 and
 * control characters become U+FFFD, so stored text can never break the file.
 */
#ifndef CAREWATCH_HTML_H
#define CAREWATCH_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/output.h"

enum cw_chart_kind {
	CW_CHART_HBARS,         /* one horizontal stacked bar per category (domains, localities) */
	CW_CHART_COLUMNS,       /* one vertical stacked bar per category (months) */
	CW_CHART_LINES,         /* one line per series across the categories (months) */
};

struct cw_chart_series {
	const char *name;       /* legend text */
	const char *colour;     /* "#rrggbb", or NULL for the next palette colour */
	const double *values;   /* ncats values; NAN means no value (a gap in a line) */
};

struct cw_chart {
	enum cw_chart_kind kind;
	const char *title;      /* the figure's caption (also the SVG's accessible name) */
	int ncats;
	const char *const *cats;        /* category labels: bars, or points on the x axis */
	int nseries;
	const struct cw_chart_series *series;
	bool percent;           /* HBARS: each bar shows shares of its total (100%);
				 * LINES: the y axis runs 0 to 100% */
	double target;          /* LINES: a dashed horizontal target line; NAN for none */
	const char *target_label;       /* e.g. "target 80%" (NULL: "target") */
	const char *y_label;    /* unit of the value axis, e.g. "cases" (may be NULL) */
};

struct cw_html_section {
	const char *title;
	const char *definition; /* what is counted and when (may be NULL) */
	const char *summary;    /* the finding in a sentence (may be NULL) */
	const struct cw_chart *chart;   /* may be NULL */
	const struct cw_table *table;   /* may be NULL; a first cell "Total" is a total row */
};

struct cw_html_doc {
	const char *title;
	const char *subtitle;   /* may be NULL */
	const char *generated;  /* e.g. "Produced by carewatch on 2018-04-03" (may be NULL) */
	int nsections;
	const struct cw_html_section *sections;
	const char *audience;   /* who it is for, in the title and a banner ("Public"); may be NULL */
	bool audience_internal; /* the banner warns: not for publication */
	const char *note;       /* a closing footnote (what a public report suppressed); may be NULL */
};

/* Write doc as one HTML file to f.  A document with more than two sections
 * gets a table of contents.  A horizontal bar with no figure above zero is
 * labelled "none", or "not shown" when a figure of it is NAN (withheld).
 * Returns false when writing to f failed. */
bool cw_html_write(FILE *f, const struct cw_html_doc *doc);

/* Write one chart as an <svg> element.  A chart with no categories or no
 * series writes a short "no data" figure instead.  Never fails. */
void cw_html_chart_svg(FILE *f, const struct cw_chart *c);

/* Write one table as a <table> element.  Never fails. */
void cw_html_table(FILE *f, const struct cw_table *t);

/* Write s as XML character data (also safe inside a quoted attribute):
 * & < > " ' escaped; invalid UTF-8 and control characters other than tab
 * and newline written as U+FFFD.  NULL writes nothing.  Never fails. */
void cw_html_text(FILE *f, const char *s);

#endif
