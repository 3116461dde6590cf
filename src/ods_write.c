/*
 * ods_write.c - writing OpenDocument spreadsheets (see ods.h), so that the
 * tests and the generator (tools/cwgen.c) can make workbooks in CQC's
 * layouts without a spreadsheet program.  Written the way LibreOffice
 * writes them, verbose markup and all, because the reader's speed and
 * memory are measured against files of that shape.
 *
 * Pure: no database.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carewatch/lazylib.h" /* libcurl, libjansson, libxml2, libzip */
#include "carewatch/ods.h"

#define PAD_ROWS 1048000L
#define PAD_COLS 1024

struct cw_odsw {
	char *path, *tmp;
	FILE *f;
	bool in_sheet, failed;
};

static const char content_head[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
	" xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\""
	" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
	" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\""
	" xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\""
	" xmlns:number=\"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0\""
	" xmlns:calcext=\"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0\""
	" office:version=\"1.3\">"
	"<office:automatic-styles>"
	"<style:style style:name=\"co1\" style:family=\"table-column\"/>"
	"<style:style style:name=\"ro1\" style:family=\"table-row\"/>"
	"<style:style style:name=\"ce1\" style:family=\"table-cell\" style:parent-style-name=\"Default\"/>"
	"<style:style style:name=\"ce2\" style:family=\"table-cell\" style:parent-style-name=\"Default\""
	" style:data-style-name=\"N37\"/>"
	"</office:automatic-styles><office:body><office:spreadsheet>";
static const char content_tail[] = "</office:spreadsheet></office:body></office:document-content>\n";
static const char manifest[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\""
	" manifest:version=\"1.3\">"
	"<manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\""
	" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>"
	"<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
	"</manifest:manifest>\n";
static const char mimetype[] = "application/vnd.oasis.opendocument.spreadsheet";

struct cw_odsw *
cw_odsw_open(const char *path, char *msg, size_t size)
{
	struct cw_odsw *w = calloc(1, sizeof(*w));
	size_t n = strlen(path) + 32;

	if (w == NULL || (w->path = strdup(path)) == NULL || (w->tmp = malloc(n)) == NULL) {
		snprintf(msg, size, "out of memory");
		if (w)
			free(w->path);
		free(w);
		return NULL;
	}
	snprintf(w->tmp, n, "%s.content-%d.xml", path, (int)getpid());
	w->f = fopen(w->tmp, "wb");
	if (w->f == NULL) {
		snprintf(msg, size, "cannot write %s", w->tmp);
		free(w->tmp);
		free(w->path);
		free(w);
		return NULL;
	}
	fputs(content_head, w->f);
	return w;
}

static void
end_sheet(struct cw_odsw *w)
{
	if (!w->in_sheet)
		return;
	fprintf(w->f, "<table:table-row table:style-name=\"ro1\" table:number-rows-repeated=\"%ld\">"
		      "<table:table-cell table:number-columns-repeated=\"%d\"/></table:table-row>"
		      "</table:table>", PAD_ROWS, PAD_COLS);
	w->in_sheet = false;
}

static void
put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\n': fputs("</text:p><text:p>", f); break;
		default: fputc(*s, f);
		}
	}
}

bool
cw_odsw_sheet(struct cw_odsw *w, const char *name)
{
	end_sheet(w);
	fputs("<table:table table:name=\"", w->f);
	put_text(w->f, name);
	fputs("\" table:style-name=\"ta1\"><table:table-column table:style-name=\"co1\""
	      " table:number-columns-repeated=\"64\" table:default-cell-style-name=\"Default\"/>", w->f);
	w->in_sheet = true;
	return !ferror(w->f);
}

static bool
is_dmy(const char *s)
{
	for (int i = 0; i < 10; i++)
		if (i == 2 || i == 5 ? s[i] != '/' : !isdigit((unsigned char)s[i]))
			return false;
	return s[10] == '\0';
}

static bool
is_whole(const char *s)
{
	if (*s == '\0' || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

bool
cw_odsw_row(struct cw_odsw *w, const char *const *cells, int n)
{
	int empty = 0;

	fputs("<table:table-row table:style-name=\"ro1\">", w->f);
	for (int i = 0; i < n; i++) {
		const char *c = cells[i] ? cells[i] : "";
		if (*c == '\0') {
			empty++;
			continue;
		}
		if (empty > 1)
			fprintf(w->f, "<table:table-cell table:number-columns-repeated=\"%d\"/>", empty);
		else if (empty == 1)
			fputs("<table:table-cell/>", w->f);
		empty = 0;
		if (is_dmy(c))
			fprintf(w->f, "<table:table-cell table:style-name=\"ce2\" office:value-type=\"date\""
				      " office:date-value=\"%.4s-%.2s-%.2s\" calcext:value-type=\"date\">"
				      "<text:p>%s</text:p></table:table-cell>", c + 6, c + 3, c, c);
		else if (is_whole(c) && strlen(c) < 10)
			fprintf(w->f, "<table:table-cell table:style-name=\"ce1\" office:value-type=\"float\""
				      " office:value=\"%s\" calcext:value-type=\"float\"><text:p>%s</text:p>"
				      "</table:table-cell>", c, c);
		else {
			fputs("<table:table-cell table:style-name=\"ce1\" office:value-type=\"string\""
			      " calcext:value-type=\"string\"><text:p>", w->f);
			put_text(w->f, c);
			fputs("</text:p></table:table-cell>", w->f);
		}
	}
	fprintf(w->f, "<table:table-cell table:number-columns-repeated=\"%d\"/></table:table-row>",
		PAD_COLS - n > 0 ? PAD_COLS - n : 1);
	return !ferror(w->f);
}

bool
cw_odsw_close(struct cw_odsw *w, char *msg, size_t size)
{
	zip_t *z = NULL;
	zip_source_t *s;
	zip_int64_t i;
	int zerr = 0;
	bool ok = false;

	end_sheet(w);
	fputs(content_tail, w->f);
	if (ferror(w->f) | (fclose(w->f) != 0)) {
		snprintf(msg, size, "cannot write %s", w->tmp);
		goto out;
	}
	z = zip_open(w->path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (z == NULL) {
		snprintf(msg, size, "cannot create %s", w->path);
		goto out;
	}
	s = zip_source_buffer(z, mimetype, sizeof(mimetype) - 1, 0);
	if (s == NULL || (i = zip_file_add(z, "mimetype", s, ZIP_FL_ENC_UTF_8)) < 0 ||
	    zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0) != 0)
		goto zfail;
	s = zip_source_buffer(z, manifest, sizeof(manifest) - 1, 0);
	if (s == NULL || zip_file_add(z, "META-INF/manifest.xml", s, ZIP_FL_ENC_UTF_8) < 0)
		goto zfail;
	s = zip_source_file(z, w->tmp, 0, -1);
	if (s == NULL || (i = zip_file_add(z, "content.xml", s, ZIP_FL_ENC_UTF_8)) < 0 ||
	    zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_DEFLATE, 6) != 0)
		goto zfail;
	if (zip_close(z) != 0)
		goto zfail;
	z = NULL;
	ok = true;
	goto out;
zfail:
	snprintf(msg, size, "cannot write %s: %s", w->path, zip_strerror(z));
	zip_discard(z);
	z = NULL;
out:
	unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	free(w);
	return ok;
}
