/*
 * lazylib.h - libcurl, libxml2, libzip and libjansson loaded on first use.
 *
 * Four commands need them (cqc sync, the workbook imports, cwgen ods), yet
 * linking them made every run of carewatch map their 30-odd dependencies
 * (GnuTLS, LDAP, Kerberos, ICU, ...) before main: about half of a one-shot
 * command's start-up (issue 20).  So bin/carewatch does not link them: a
 * file that calls one includes this header *instead of* the library's own
 * (it includes them, after renaming), the names it uses become lazylib.c's
 * cw_ wrappers (same prototypes, checked there at compile time), and the
 * first call dlopen()s the library.  A
 * library call that skipped this header fails the link, not at run time.
 * If the library is not installed, the first call prints which one and
 * exits 1 (tools/install-deps.sh installs them).
 */
#ifndef CAREWATCH_LAZYLIB_H
#define CAREWATCH_LAZYLIB_H

#ifndef CW_LAZYLIB_IMPL
/* curl's type-checking macros would be redefinitions of ours. */
#define CURL_DISABLE_TYPECHECK 1

#define curl_easy_cleanup cw_curl_easy_cleanup
#define curl_easy_getinfo cw_curl_easy_getinfo
#define curl_easy_init cw_curl_easy_init
#define curl_easy_perform cw_curl_easy_perform
#define curl_easy_setopt cw_curl_easy_setopt
#define curl_easy_strerror cw_curl_easy_strerror
#define curl_global_init cw_curl_global_init
#define curl_slist_append cw_curl_slist_append
#define curl_slist_free_all cw_curl_slist_free_all

#define xmlCreatePushParserCtxt cw_xmlCreatePushParserCtxt
#define xmlCtxtUseOptions cw_xmlCtxtUseOptions
#define xmlDictLookup cw_xmlDictLookup
#define xmlFreeParserCtxt cw_xmlFreeParserCtxt
#define xmlParseChunk cw_xmlParseChunk
#define xmlSetGenericErrorFunc cw_xmlSetGenericErrorFunc
#define xmlStopParser cw_xmlStopParser

#define zip_close cw_zip_close
#define zip_discard cw_zip_discard
#define zip_fclose cw_zip_fclose
#define zip_file_add cw_zip_file_add
#define zip_fopen_index cw_zip_fopen_index
#define zip_fread cw_zip_fread
#define zip_name_locate cw_zip_name_locate
#define zip_open cw_zip_open
#define zip_set_file_compression cw_zip_set_file_compression
#define zip_source_buffer cw_zip_source_buffer
#define zip_source_file cw_zip_source_file
#define zip_stat_index cw_zip_stat_index
#define zip_stat_init cw_zip_stat_init
#define zip_strerror cw_zip_strerror

#define json_array_get cw_json_array_get
#define json_array_size cw_json_array_size
#define json_delete cw_json_delete
#define json_integer_value cw_json_integer_value
#define json_loadb cw_json_loadb
#define json_object_get cw_json_object_get
#define json_string_value cw_json_string_value

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <zip.h>

/* Without its type checks, curl.h makes these two macros that insist on
 * three arguments, of the real names; ours again. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_setopt cw_curl_easy_setopt
#define curl_easy_getinfo cw_curl_easy_getinfo
#endif

/* The libraries of this header that this process has loaded so far, as
 * "libcurl libzip" ("" when none), for tests. */
const char *cw_lazylib_loaded(void);

#endif
