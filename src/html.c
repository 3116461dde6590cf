/*
 * html.c - one self-contained HTML file with inline SVG charts (html.h).
 *
 * Charts are drawn by hand rather than by a library: three kinds cover every
 * figure in the annual quality reports (stacked bars of ratings, stacked
 * columns of monthly counts, lines against a target), and hand-written SVG
 * keeps the file free of scripts and the output byte-for-byte reproducible.
 * Geometry is in SVG user units with a viewBox, so charts scale with the
 * page and print sharply.  Numbers are printed with "%.1f" under the C
 * numeric locale (main.c sets only LC_CTYPE).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "carewatch/html.h"
#include "carewatch/output.h"

#define CHART_W 760.0
#define FONT 12.0
#define CHAR_W 6.6              /* average advance of a 12px sans-serif character */

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
#define NPALETTE ((int)(sizeof(palette) / sizeof(palette[0])))

/* One UTF-8 sequence (output.h's decoder), refusing also the non-characters
 * U+FFFE and U+FFFF, which XML does not allow. */
static int
utf8_len(const unsigned char *s, uint32_t *cp)
{
	int len = cw_utf8_next(s, cp);

	if (len > 0 && (*cp == 0xFFFE || *cp == 0xFFFF))
		return -1;
	return len;
}

void
cw_html_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n;

	if (s == NULL)
		return;
	while ((n = utf8_len(p, &cp)) != 0) {
		if (n < 0) {
			fputs("\xEF\xBF\xBD", f);
			p++;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* XML 1.0 allows tab, LF and CR only among the C0 controls;
			 * C1 controls are legal but never wanted in a report. */
			if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp < 0xA0))
				fputs("\xEF\xBF\xBD", f);
			else
				fwrite(p, 1, (size_t)n, f);
		}
		p += n;
	}
}

/* Approximate rendered width of s at the chart font, in user units. */
static double
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	double w = 0;
	uint32_t cp;
	int n;

	while (p && (n = utf8_len(p, &cp)) != 0) {
		w += CHAR_W;
		p += n < 0 ? 1 : n;
	}
	return w;
}

static const char *
series_colour(const struct cw_chart *c, int i)
{
	const char *col = c->series[i].colour;

	if (col && col[0] == '#' && strlen(col) == 7 && strspn(col + 1, "0123456789abcdefABCDEF") == 6)
		return col;
	return palette[i % NPALETTE];
}

/* Dark text on light fills, white on dark ones (relative luminance). */
static const char *
ink_for(const char *hex)
{
	unsigned r = 0, g = 0, b = 0;

	if (sscanf(hex, "#%2x%2x%2x", &r, &g, &b) != 3)
		return "#000000";
	return 0.2126 * r + 0.7152 * g + 0.0722 * b > 150 ? "#1a1a1a" : "#ffffff";
}

static double
value_at(const struct cw_chart *c, int s, int k)
{
	double v = c->series[s].values ? c->series[s].values[k] : NAN;
	return isfinite(v) ? v : NAN;
}

/* A step of 1, 2 or 5 times a power of ten giving at most about `ticks`
 * intervals up to max; whole numbers when integers is set. */
static double
nice_step(double max, int ticks, bool integers)
{
	double raw, mag, r, step;

	if (!(max > 0))
		return 1;
	raw = max / ticks;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
	if (integers && step < 1)
		step = 1;
	return step;
}

/* "12", "12.5" or "0.25": the shortest of up to two decimals. */
static void
fmt_num(char *buf, size_t size, double v)
{
	if (fabs(v - round(v)) < 1e-9)
		snprintf(buf, size, "%.0f", v);
	else if (fabs(v * 10 - round(v * 10)) < 1e-9)
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.2f", v);
}

static void
svg_text(FILE *f, double x, double y, const char *anchor, const char *cls, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
	if (anchor)
		fprintf(f, " text-anchor=\"%s\"", anchor);
	if (cls)
		fprintf(f, " class=\"%s\"", cls);
	fputc('>', f);
	cw_html_text(f, s);
	fputs("</text>", f);
}

/* The legend, left to right, wrapping; returns the height it takes.  With
 * f NULL it only measures (charts place their plot below it). */
static double
legend(FILE *f, const struct cw_chart *c, double y, bool target)
{
	double x = 0, rowh = 20, h = rowh;

	for (int i = 0; i < c->nseries + (target ? 1 : 0); i++) {
		const char *name = i < c->nseries ? c->series[i].name
						  : (c->target_label ? c->target_label : "target");
		double w = 18 + text_width(name ? name : "") + 16;

		if (x > 0 && x + w > CHART_W) {
			x = 0;
			y += rowh;
			h += rowh;
		}
		if (f == NULL) {
			x += w;
			continue;
		}
		if (i < c->nseries && c->kind == CW_CHART_LINES)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
				   " stroke-width=\"3\"/>",
				x, y + 6, x + 14, y + 6, series_colour(c, i));
		else if (i < c->nseries)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>",
				x, y, series_colour(c, i));
		else
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"target\"/>",
				x, y + 6, x + 14, y + 6);
		svg_text(f, x + 18, y + 10.5, NULL, NULL, name ? name : "");
		x += w;
	}
	return h + 8;
}

static void
svg_open(FILE *f, const struct cw_chart *c, double h)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 %.0f %.0f\""
		   " width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"",
		CHART_W, h, CHART_W, h);
	cw_html_text(f, c->title ? c->title : "chart");
	fputs("\">", f);
	if (c->title) {
		fputs("<title>", f);
		cw_html_text(f, c->title);
		fputs("</title>", f);
	}
}

static void
hbars(FILE *f, const struct cw_chart *c)
{
	double labelw = 60, barh = 22, gap = 9, top, h, barw, maxtotal = 0;

	for (int k = 0; k < c->ncats; k++) {
		double t = 0, w = text_width(c->cats[k] ? c->cats[k] : "") + 12;
		for (int s = 0; s < c->nseries; s++)
			if (!isnan(value_at(c, s, k)) && value_at(c, s, k) > 0)
				t += value_at(c, s, k);
		if (t > maxtotal)
			maxtotal = t;
		if (w > labelw)
			labelw = w;
	}
	if (labelw > 220)
		labelw = 220;
	barw = CHART_W - labelw - 80;
	top = legend(NULL, c, 0, false);
	h = top + c->ncats * (barh + gap) + 4;
	svg_open(f, c, h);
	legend(f, c, 0, false);
	for (int k = 0; k < c->ncats; k++) {
		double y = top + k * (barh + gap), x = labelw, total = 0;
		char buf[48];

		for (int s = 0; s < c->nseries; s++)
			if (value_at(c, s, k) > 0)
				total += value_at(c, s, k);
		svg_text(f, labelw - 8, y + barh / 2 + 4, "end", NULL, c->cats[k] ? c->cats[k] : "");
		if (!(total > 0)) {
			bool withheld = false;
			for (int s = 0; s < c->nseries; s++)
				withheld = withheld || isnan(value_at(c, s, k));
			svg_text(f, labelw, y + barh / 2 + 4, NULL, "muted", withheld ? "not shown" : "none");
			continue;
		}
		for (int s = 0; s < c->nseries; s++) {
			double v = value_at(c, s, k), w, share;
			char label[48];

			if (!(v > 0))
				continue;
			share = 100.0 * v / total;
			w = c->percent ? barw * v / total : barw * v / maxtotal;
			fmt_num(buf, sizeof(buf), v);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
				   "<title>",
				x, y, w, barh, series_colour(c, s));
			cw_html_text(f, c->cats[k]);
			fputs(", ", f);
			cw_html_text(f, c->series[s].name);
			fprintf(f, ": %s (%.1f%%)</title></rect>", buf, share);
			if (c->percent)
				snprintf(label, sizeof(label), "%.0f%%", share);
			else
				snprintf(label, sizeof(label), "%s", buf);
			if (w >= text_width(label) + 6)
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\""
					   " style=\"fill:%s\">%s</text>",
					x + w / 2, y + barh / 2 + 4, ink_for(series_colour(c, s)), label);
			x += w;
		}
		fmt_num(buf, sizeof(buf), total);
		{
			char tl[64];
			snprintf(tl, sizeof(tl), c->percent ? "n = %s" : "%s", buf);
			svg_text(f, x + 6, y + barh / 2 + 4, NULL, "muted", tl);
		}
	}
	fputs("</svg>", f);
}

/* Which category labels to print along the x axis: every k-th. */
static int
label_every(int ncats, double slot)
{
	int k = 1;

	while (slot * k < 44 && k < ncats)
		k++;
	return k;
}

/* Horizontal grid lines and value labels of a plot area; returns the scale
 * (user units per value unit). */
static double
y_axis(FILE *f, const struct cw_chart *c, double left, double top, double ph, double max,
       bool integers)
{
	double step = nice_step(max, 5, integers), ymax, scale;
	char buf[32];

	ymax = ceil(max / step - 1e-9) * step;
	if (!(ymax > 0))
		ymax = step;
	scale = ph / ymax;
	for (int k = 0; k * step <= ymax + step / 2; k++) {
		double v = k * step, y = top + ph - v * scale;
		char label[40];
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>", left, y,
			CHART_W - 10, y, k == 0 ? "axis" : "grid");
		fmt_num(buf, sizeof(buf), v);
		snprintf(label, sizeof(label), "%s%s", buf, c->percent ? "%" : "");
		svg_text(f, left - 6, y + 4, "end", "muted", label);
	}
	if (c->y_label) {
		fprintf(f, "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\""
			   " text-anchor=\"middle\" class=\"muted\">",
			top + ph / 2, top + ph / 2);
		cw_html_text(f, c->y_label);
		fputs("</text>", f);
	}
	return scale;
}

static void
x_labels(FILE *f, const struct cw_chart *c, double left, double slot, double y)
{
	int every = label_every(c->ncats, slot);

	for (int k = 0; k < c->ncats; k += every)
		svg_text(f, left + slot * (k + 0.5), y, "middle", NULL, c->cats[k] ? c->cats[k] : "");
}

static void
columns(FILE *f, const struct cw_chart *c)
{
	double left = 56, top, ph = 220, h, slot, colw, max = 0, scale;

	top = legend(NULL, c, 0, false) + 8;
	for (int k = 0; k < c->ncats; k++) {
		double t = 0;
		for (int s = 0; s < c->nseries; s++)
			if (value_at(c, s, k) > 0)
				t += value_at(c, s, k);
		if (t > max)
			max = t;
	}
	h = top + ph + 30;
	svg_open(f, c, h);
	legend(f, c, 0, false);
	scale = y_axis(f, c, left, top, ph, max, true);
	slot = (CHART_W - 10 - left) / c->ncats;
	colw = slot * 0.7 > 44 ? 44 : slot * 0.7;
	for (int k = 0; k < c->ncats; k++) {
		double x = left + slot * k + (slot - colw) / 2, y = top + ph, total = 0;
		char buf[32];

		for (int s = 0; s < c->nseries; s++) {
			double v = value_at(c, s, k), hh;
			if (!(v > 0))
				continue;
			total += v;
			hh = v * scale;
			y -= hh;
			fmt_num(buf, sizeof(buf), v);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				x, y, colw, hh, series_colour(c, s));
			cw_html_text(f, c->cats[k]);
			fputs(", ", f);
			cw_html_text(f, c->series[s].name);
			fprintf(f, ": %s</title></rect>", buf);
		}
		if (total > 0 && slot >= 22) {
			fmt_num(buf, sizeof(buf), total);
			svg_text(f, x + colw / 2, y - 4, "middle", "small", buf);
		}
	}
	x_labels(f, c, left, slot, top + ph + 18);
	fputs("</svg>", f);
}

static void
lines(FILE *f, const struct cw_chart *c)
{
	double left = 56, top, ph = 220, h, slot, max = 0, scale;
	bool target = !isnan(c->target) && isfinite(c->target);
	bool integers = !c->percent;

	top = legend(NULL, c, 0, target) + 8;
	for (int s = 0; s < c->nseries; s++)
		for (int k = 0; k < c->ncats; k++) {
			double v = value_at(c, s, k);
			if (!isnan(v) && v > max)
				max = v;
			if (!isnan(v) && v != floor(v))
				integers = false;
		}
	if (target && c->target > max)
		max = c->target;
	if (c->percent)
		max = 100;
	h = top + ph + 30;
	svg_open(f, c, h);
	legend(f, c, 0, target);
	scale = y_axis(f, c, left, top, ph, max, integers);
	slot = (CHART_W - 10 - left) / c->ncats;
	if (target) {
		double y = top + ph - c->target * scale;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"target\"/>", left, y,
			CHART_W - 10, y);
	}
	for (int s = 0; s < c->nseries; s++) {
		const char *col = series_colour(c, s);
		bool open = false;

		for (int k = 0; k < c->ncats; k++) {
			double v = value_at(c, s, k);
			if (isnan(v)) {
				if (open)
					fputs("\"/>", f);
				open = false;
				continue;
			}
			if (!open)
				fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"",
					col);
			fprintf(f, "%s%.1f,%.1f", open ? " " : "", left + slot * (k + 0.5), top + ph - v * scale);
			open = true;
		}
		if (open)
			fputs("\"/>", f);
		for (int k = 0; k < c->ncats; k++) {
			double v = value_at(c, s, k);
			char buf[32];
			if (isnan(v))
				continue;
			fmt_num(buf, sizeof(buf), v);
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>",
				left + slot * (k + 0.5), top + ph - v * scale, col);
			cw_html_text(f, c->series[s].name);
			fputs(", ", f);
			cw_html_text(f, c->cats[k]);
			fprintf(f, ": %s%s</title></circle>", buf, c->percent ? "%" : "");
		}
	}
	x_labels(f, c, left, slot, top + ph + 18);
	fputs("</svg>", f);
}

void
cw_html_chart_svg(FILE *f, const struct cw_chart *c)
{
	if (c->ncats <= 0 || c->nseries <= 0 || c->cats == NULL || c->series == NULL) {
		svg_open(f, c, 40);
		svg_text(f, 0, 24, NULL, "muted", "no data for this chart");
		fputs("</svg>", f);
		return;
	}
	switch (c->kind) {
	case CW_CHART_HBARS:
		hbars(f, c);
		break;
	case CW_CHART_COLUMNS:
		columns(f, c);
		break;
	case CW_CHART_LINES:
		lines(f, c);
		break;
	}
}

void
cw_html_table(FILE *f, const struct cw_table *t)
{
	int nc = cw_table_ncols(t);
	size_t nr = cw_table_rows(t);

	fputs("<table>\n<thead><tr>", f);
	for (int c = 0; c < nc; c++) {
		const struct cw_col *col = cw_table_col(t, c);
		fprintf(f, "<th scope=\"col\"%s>", (col->flags & CW_COL_NUMBER) ? " class=\"num\"" : "");
		cw_html_text(f, col->label);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t r = 0; r < nr; r++) {
		const char *first = cw_table_cell(t, r, 0);
		fputs(first && strcmp(first, "Total") == 0 ? "<tr class=\"total\">" : "<tr>", f);
		for (int c = 0; c < nc; c++) {
			const struct cw_col *col = cw_table_col(t, c);
			const char *v = cw_table_cell(t, r, c);
			if (c == 0)
				fputs("<th scope=\"row\">", f);
			else
				fputs((col->flags & CW_COL_NUMBER) ? "<td class=\"num\">" : "<td>", f);
			cw_html_text(f, v);
			fputs(c == 0 ? "</th>" : "</td>", f);
		}
		fputs("</tr>\n", f);
	}
	if (nr == 0)
		fprintf(f, "<tr><td colspan=\"%d\" class=\"muted\">none</td></tr>\n", nc);
	fputs("</tbody>\n</table>\n", f);
}

/* Kept free of '<' and '&' so it is valid XML character data as it stands. */
static const char style[] =
	"body{font-family:\"Segoe UI\",Arial,Helvetica,sans-serif;color:#1a1a1a;margin:2em auto;"
	"max-width:62em;padding:0 1.5em;line-height:1.45}\n"
	"h1{font-size:1.7em;margin:0 0 .2em}\n"
	"h2{font-size:1.25em;margin:1.6em 0 .4em;padding-top:.6em;border-top:2px solid #4e79a7}\n"
	"header p{margin:.2em 0}\n"
	".subtitle{font-size:1.1em}\n"
	".generated,.muted,.definition{color:#555}\n"
	".definition{font-size:.92em}\n"
	".summary{font-weight:600}\n"
	"nav ol{columns:2;font-size:.92em}\n"
	"figure{margin:.8em 0}\n"
	"figcaption{font-size:.85em;color:#555}\n"
	"svg.chart{width:100%;height:auto;font-family:inherit;font-size:12px}\n"
	"svg.chart text{fill:#1a1a1a}\n"
	"svg.chart text.muted{fill:#555}\n"
	"svg.chart text.small{font-size:10px;fill:#333}\n"
	"svg.chart .grid{stroke:#ddd;stroke-width:1}\n"
	"svg.chart .axis{stroke:#888;stroke-width:1}\n"
	"svg.chart .target{stroke:#c00000;stroke-width:2;stroke-dasharray:7 5}\n"
	"table{border-collapse:collapse;margin:.6em 0 1em;font-size:.92em}\n"
	"th,td{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}\n"
	"thead th{border-bottom:2px solid #555;background:#f2f4f7}\n"
	"tbody th{font-weight:normal}\n"
	".num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.total th,tr.total td{font-weight:600;border-top:2px solid #555}\n"
	".footer{font-size:.9em;color:#555}\n"
	".audience{display:inline-block;font-weight:600;padding:.15em .6em;border:2px solid #4e79a7}\n"
	".audience.internal{border-color:#c00000;color:#c00000}\n"
	"footer.note{margin-top:2em;padding-top:.6em;border-top:2px solid #4e79a7;font-size:.92em}\n"
	"@page{size:A4;margin:14mm}\n"
	"@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}"
	"nav{display:none}section{break-inside:avoid-page;page-break-inside:avoid}"
	"h2{break-after:avoid;page-break-after:avoid}"
	"table,figure{break-inside:avoid;page-break-inside:avoid}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

bool
cw_html_write(FILE *f, const struct cw_html_doc *doc)
{
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en-GB\""
	      " xml:lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<meta name=\"generator\" content=\"carewatch\"/>\n<title>", f);
	cw_html_text(f, doc->title);
	if (doc->audience) {
		fputs(" \xE2\x80\x93 ", f);
		cw_html_text(f, doc->audience);
	}
	fputs("</title>\n<style>\n", f);
	fputs(style, f);
	fputs("</style>\n</head>\n<body>\n<header>\n", f);
	if (doc->audience) {
		fprintf(f, "<p class=\"audience%s\">", doc->audience_internal ? " internal" : "");
		cw_html_text(f, doc->audience);
		fputs("</p>\n", f);
	}
	fputs("<h1>", f);
	cw_html_text(f, doc->title);
	fputs("</h1>\n", f);
	if (doc->subtitle) {
		fputs("<p class=\"subtitle\">", f);
		cw_html_text(f, doc->subtitle);
		fputs("</p>\n", f);
	}
	if (doc->generated) {
		fputs("<p class=\"generated\">", f);
		cw_html_text(f, doc->generated);
		fputs("</p>\n", f);
	}
	fputs("</header>\n", f);
	if (doc->nsections > 2) {
		fputs("<nav>\n<h2>Contents</h2>\n<ol>\n", f);
		for (int i = 0; i < doc->nsections; i++) {
			fprintf(f, "<li><a href=\"#s%d\">", i + 1);
			cw_html_text(f, doc->sections[i].title);
			fputs("</a></li>\n", f);
		}
		fputs("</ol>\n</nav>\n", f);
	}
	fputs("<main>\n", f);
	for (int i = 0; i < doc->nsections; i++) {
		const struct cw_html_section *s = &doc->sections[i];

		fprintf(f, "<section id=\"s%d\">\n", i + 1);
		/* A one-section document's heading is the page's own. */
		if (doc->nsections > 1 || !doc->title || !s->title || strcmp(doc->title, s->title) != 0) {
			fputs("<h2>", f);
			if (doc->nsections > 1)
				fprintf(f, "%d. ", i + 1);
			cw_html_text(f, s->title);
			fputs("</h2>\n", f);
		}
		if (s->summary && s->summary[0]) {
			fputs("<p class=\"summary\">", f);
			cw_html_text(f, s->summary);
			fputs("</p>\n", f);
		}
		if (s->chart) {
			fputs("<figure>\n", f);
			cw_html_chart_svg(f, s->chart);
			if (s->chart->title) {
				fputs("\n<figcaption>", f);
				cw_html_text(f, s->chart->title);
				fputs("</figcaption>", f);
			}
			fputs("\n</figure>\n", f);
		}
		if (s->table) {
			cw_html_table(f, s->table);
			if (cw_table_footer_text(s->table)) {
				fputs("<p class=\"footer\">", f);
				cw_html_text(f, cw_table_footer_text(s->table));
				fputs("</p>\n", f);
			}
		}
		if (s->definition && s->definition[0]) {
			fputs("<p class=\"definition\">", f);
			cw_html_text(f, s->definition);
			fputs("</p>\n", f);
		}
		fputs("</section>\n", f);
	}
	fputs("</main>\n", f);
	if (doc->note) {
		fputs("<footer class=\"note\">\n<p>", f);
		cw_html_text(f, doc->note);
		fputs("</p>\n</footer>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	return fflush(f) == 0 && !ferror(f);
}
