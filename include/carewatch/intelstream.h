/*
 * intelstream.h - every provider's current intelligence in one pass, provider
 * by provider.
 *
 * The nightly batch's read (nightly.c) as a module of its own: the one query
 * behind every score (cw_intel_rows_sql, scoring.h), ordered by provider,
 * streamed with COPY in binary, each record with its time, handed to the
 * caller one provider at a time in a reused struct cw_provider_intel.  So
 * memory holds one provider's records plus the caller's list of providers,
 * whatever the number of records.  The backtest and the score history
 * (backfill.h) use it to score every provider at many as-of times from a
 * single read, with the provider list and the "open then" rule below.
 */
#ifndef CAREWATCH_INTELSTREAM_H
#define CAREWATCH_INTELSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"

/* Called once for provider i of the caller's list, in list order, with pi
 * holding its records (none when it has none; pi->provider_id set, care
 * type and beds left for the caller to fill).  pi is reset after the call.
 * Returning false stops the stream with err as the error. */
typedef bool (*cw_intel_stream_fn)(void *ctx, size_t i, struct cw_provider_intel *pi,
				   struct cw_error *err);

/* Stream on db (inside the caller's transaction, if it has one) and call fn
 * for each of the n providers ids[] (uuid text), which must be in ascending
 * uuid order (ORDER BY id); records of providers not listed are skipped.
 * *records gets the number of rows read.  On failure the COPY is cancelled
 * and drained, so db stays usable unless the connection itself was lost. */
bool cw_intel_stream(struct cw_db *db, const char (*ids)[CW_UUID_LEN], size_t n,
		     cw_intel_stream_fn fn, void *ctx, long *records, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The stream's COPY statement for the records of providers from <= id < to
 * only (either NULL: unbounded), so that several connections can each read
 * a range of the providers (the nightly's readers, nightly.c).  from and to
 * must be uuid text; they are written into the statement as literals (COPY
 * takes no parameters), after a round trip through libuuid, so only its own
 * canonical spelling ever reaches the SQL.  Returns a string the caller frees
 * with free() only after closing every connection that ran it (db.c's
 * statement cache keeps the text), or NULL when out of memory or a bound is
 * not a uuid. */
char *cw_intel_stream_sql(const char *from, const char *to) __attribute__((warn_unused_result));

/* cw_intel_stream with the statement sql from cw_intel_stream_sql: only the
 * records of its range arrive, and ids[] should list that range's
 * providers (any outside it are called with no records).  Safe to run on
 * several connections at once, one thread each, as long as fn is. */
bool cw_intel_stream_sql_run(struct cw_db *db, const char *sql, const char (*ids)[CW_UUID_LEN],
			     size_t n, cw_intel_stream_fn fn, void *ctx, long *records,
			     struct cw_error *err) __attribute__((warn_unused_result));

/* What scoring a provider's past needs besides its records: the evaluator's
 * care type and beds, and when it was registered and closed. */
struct cw_stream_provider {
	enum cw_care_type care;
	int beds;                       /* -1 when not known */
	cw_time registered;             /* registered_on (midnight UTC); CW_TIME_NONE: not known */
	cw_time closed;                 /* closed_on (midnight UTC); CW_TIME_NONE while open */
};

/* Every provider, open or closed, in id order (the stream's): *provs and
 * *ids, n entries each, which the caller frees with free() (also after a
 * failure, when they may be NULL). */
bool cw_intel_providers_load(struct cw_db *db, struct cw_stream_provider **provs,
			     char (**ids)[CW_UUID_LEN], size_t *n, struct cw_error *err)
	__attribute__((warn_unused_result));

/* The day p left the market, given its records pi: its closed_on or its
 * first closure record, whichever is earlier (as view report_provider has
 * it); CW_TIME_NONE when neither.  Never fails. */
cw_time cw_intel_left_market(const struct cw_stream_provider *p, const struct cw_provider_intel *pi);

/* Was p open at t: registered on or before t (or not known), and not left
 * the market (left, from cw_intel_left_market) on or before t? */
bool cw_intel_open_at(const struct cw_stream_provider *p, cw_time left, cw_time t);

#endif
