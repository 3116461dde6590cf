/*
 * lazylib.c - the cw_ wrappers of lazylib.h: each library dlopen()ed on its
 * first call, every symbol this program uses resolved at once (under
 * pthread_once, so the workbook reader's inflating thread may be first).
 *
 * Each wrapper is declared with __typeof__ of the real function before it
 * is defined, so a prototype that differs from the library header's is a
 * compile error.  curl_easy_setopt and curl_easy_getinfo are variadic: the
 * one argument after the option is read by the option's type, as curl's
 * own header classifies options (long, pointer, function, curl_off_t).
 */
#define CW_LAZYLIB_IMPL 1
#include "carewatch/lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <zip.h>

#include "carewatch/error.h"

struct lib {
	const char *soname;     /* as linked at build time (Debian 12's) */
	const char *name;       /* for messages and cw_lazylib_loaded */
	const char *const *syms;
	void **fns;
	int n;
	pthread_once_t once;
	int loaded;
};

static void
load(struct lib *l)
{
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "carewatch: error: cannot load %s, which this command needs (%s)\n"
				"hint: tools/install-deps.sh installs it\n",
			l->soname, dlerror());
		exit(CW_EXIT_FAIL);
	}
	for (int i = 0; i < l->n; i++) {
		l->fns[i] = dlsym(h, l->syms[i]);
		if (l->fns[i] == NULL) {
			fprintf(stderr, "carewatch: error: %s has no %s (another version than this build's?)\n",
				l->soname, l->syms[i]);
			exit(CW_EXIT_FAIL);
		}
	}
	l->loaded = 1;
}

/* One library: its symbol names and a table of their addresses, both from
 * the X-macro list, and the once-loader. */
#define NAME_OF(ret, fn, params, args) #fn,
#define SLOT_OF(ret, fn, params, args) void *fn; /* NOLINT(bugprone-macro-parentheses) */
#define LIBRARY(var, soname_, label, LIST)                                             \
	static const char *const var##_syms[] = {LIST(NAME_OF)};                        \
	static struct {                                                                 \
		LIST(SLOT_OF)                                                           \
	} var##_fn;                                                                     \
	static struct lib var = {soname_, label, var##_syms, (void **)&var##_fn,        \
				 (int)(sizeof(var##_syms) / sizeof(var##_syms[0])),     \
				 PTHREAD_ONCE_INIT, 0};                                 \
	static void var##_load(void) { load(&var); } /* NOLINT(bugprone-macro-parentheses) */
/* real := the loaded address of fn, loading var's library the first time. */
#define REAL(var, fn, real)                                                             \
	do {                                                                            \
		pthread_once(&var.once, var##_load); /* NOLINT(bugprone-macro-parentheses) */ \
		memcpy(&(real), &var##_fn.fn, sizeof(real));                            \
	} while (0)
/* The wrapper: same type as the real function, forwarding to it. */
#define WRAP(var, ret, fn, params, args)                                                \
	__typeof__(fn) cw_##fn;                                                         \
	ret cw_##fn params                                                              \
	{                                                                               \
		__typeof__(&fn) real; /* NOLINT(bugprone-macro-parentheses) */          \
		REAL(var, fn, real);                                                    \
		return real args;                                                       \
	}

/* ---- libcurl (cqc sync) ---- */

/* The two variadic ones are written out below; the table has all nine. */
#define CURL_LIST(X)                                                                     \
	X(void, curl_easy_cleanup, (CURL *k), (k))                                       \
	X(CURL *, curl_easy_init, (void), ())                                            \
	X(CURLcode, curl_easy_perform, (CURL *k), (k))                                   \
	X(const char *, curl_easy_strerror, (CURLcode c), (c))                           \
	X(CURLcode, curl_global_init, (long flags), (flags))                             \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s)) \
	X(void, curl_slist_free_all, (struct curl_slist *l), (l))
#define CURL_ALL(X)                                                                      \
	CURL_LIST(X)                                                                     \
	X(CURLcode, curl_easy_getinfo, (CURL *k, CURLINFO i, ...), (k, i))               \
	X(CURLcode, curl_easy_setopt, (CURL *k, CURLoption o, ...), (k, o))
LIBRARY(curl, "libcurl.so.4", "libcurl", CURL_ALL)
#define CURL_WRAP(ret, fn, params, args) WRAP(curl, ret, fn, params, args)
CURL_LIST(CURL_WRAP)

__typeof__(curl_easy_setopt) cw_curl_easy_setopt;
CURLcode
cw_curl_easy_setopt(CURL *k, CURLoption o, ...)
{
	__typeof__(&curl_easy_setopt) real;
	CURLcode rc;
	va_list ap;

	REAL(curl, curl_easy_setopt, real);
	va_start(ap, o);
	if (o < CURLOPTTYPE_OBJECTPOINT) { /* NOLINT(bugprone-branch-clone): curl_off_t is long here, not everywhere */
		rc = real(k, o, va_arg(ap, long));
	} else if (o >= CURLOPTTYPE_FUNCTIONPOINT && o < CURLOPTTYPE_OFF_T) {
		typedef void (*any_fn)(void);
		rc = real(k, o, va_arg(ap, any_fn));
	} else if (o >= CURLOPTTYPE_OFF_T && o < CURLOPTTYPE_BLOB) {
		rc = real(k, o, va_arg(ap, curl_off_t));
	} else {
		/* Object pointers, strings, lists and blobs. */
		rc = real(k, o, va_arg(ap, void *));
	}
	va_end(ap);
	return rc;
}

__typeof__(curl_easy_getinfo) cw_curl_easy_getinfo;
CURLcode
cw_curl_easy_getinfo(CURL *k, CURLINFO i, ...)
{
	__typeof__(&curl_easy_getinfo) real;
	CURLcode rc;
	va_list ap;

	REAL(curl, curl_easy_getinfo, real);
	va_start(ap, i);
	rc = real(k, i, va_arg(ap, void *));     /* every CURLINFO takes a pointer */
	va_end(ap);
	return rc;
}

/* ---- libxml2 (the workbook reader) ---- */

#define XML_LIST(X)                                                                      \
	X(xmlParserCtxtPtr, xmlCreatePushParserCtxt,                                     \
	  (xmlSAXHandlerPtr sax, void *user, const char *chunk, int size, const char *file), \
	  (sax, user, chunk, size, file))                                                \
	X(int, xmlCtxtUseOptions, (xmlParserCtxtPtr c, int options), (c, options))       \
	X(const xmlChar *, xmlDictLookup, (xmlDictPtr d, const xmlChar *name, int len), (d, name, len)) \
	X(void, xmlFreeParserCtxt, (xmlParserCtxtPtr c), (c))                            \
	X(int, xmlParseChunk, (xmlParserCtxtPtr c, const char *chunk, int size, int terminate), \
	  (c, chunk, size, terminate))                                                   \
	X(void, xmlSetGenericErrorFunc, (void *ctx, xmlGenericErrorFunc handler), (ctx, handler)) \
	X(void, xmlStopParser, (xmlParserCtxtPtr c), (c))
LIBRARY(xml, "libxml2.so.2", "libxml2", XML_LIST)
#define XML_WRAP(ret, fn, params, args) WRAP(xml, ret, fn, params, args)
XML_LIST(XML_WRAP)

/* ---- libzip (the workbooks, read and written) ---- */

#define ZIP_LIST(X)                                                                      \
	X(int, zip_close, (zip_t *z), (z))                                               \
	X(void, zip_discard, (zip_t *z), (z))                                            \
	X(int, zip_fclose, (zip_file_t *f), (f))                                         \
	X(zip_int64_t, zip_file_add, (zip_t *z, const char *name, zip_source_t *s, zip_flags_t fl), \
	  (z, name, s, fl))                                                              \
	X(zip_file_t *, zip_fopen_index, (zip_t *z, zip_uint64_t i, zip_flags_t fl), (z, i, fl)) \
	X(zip_int64_t, zip_fread, (zip_file_t *f, void *buf, zip_uint64_t n), (f, buf, n)) \
	X(zip_int64_t, zip_name_locate, (zip_t *z, const char *name, zip_flags_t fl), (z, name, fl)) \
	X(zip_t *, zip_open, (const char *path, int flags, int *errorp), (path, flags, errorp)) \
	X(int, zip_set_file_compression,                                                 \
	  (zip_t *z, zip_uint64_t i, zip_int32_t method, zip_uint32_t level), (z, i, method, level)) \
	X(zip_source_t *, zip_source_buffer, (zip_t *z, const void *data, zip_uint64_t len, int freep), \
	  (z, data, len, freep))                                                         \
	X(zip_source_t *, zip_source_file,                                               \
	  (zip_t *z, const char *path, zip_uint64_t start, zip_int64_t len), (z, path, start, len)) \
	X(int, zip_stat_index, (zip_t *z, zip_uint64_t i, zip_flags_t fl, zip_stat_t *st), \
	  (z, i, fl, st))                                                                \
	X(void, zip_stat_init, (zip_stat_t *st), (st))                                   \
	X(const char *, zip_strerror, (zip_t *z), (z))
LIBRARY(zip, "libzip.so.4", "libzip", ZIP_LIST)
#define ZIP_WRAP(ret, fn, params, args) WRAP(zip, ret, fn, params, args)
ZIP_LIST(ZIP_WRAP)

/* ---- libjansson (CQC's API answers) ---- */

#define JSON_LIST(X)                                                                     \
	X(json_t *, json_array_get, (const json_t *a, size_t i), (a, i))                 \
	X(size_t, json_array_size, (const json_t *a), (a))                               \
	X(void, json_delete, (json_t *j), (j))                                           \
	X(json_int_t, json_integer_value, (const json_t *j), (j))                        \
	X(json_t *, json_loadb, (const char *buf, size_t len, size_t flags, json_error_t *e), \
	  (buf, len, flags, e))                                                          \
	X(json_t *, json_object_get, (const json_t *o, const char *key), (o, key))       \
	X(const char *, json_string_value, (const json_t *j), (j))
LIBRARY(jansson, "libjansson.so.4", "libjansson", JSON_LIST)
#define JSON_WRAP(ret, fn, params, args) WRAP(jansson, ret, fn, params, args)
JSON_LIST(JSON_WRAP)

const char *
cw_lazylib_loaded(void)
{
	static char buf[64];
	const struct lib *all[] = {&curl, &xml, &zip, &jansson};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->loaded)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
						all[i]->name);
	return buf;
}
