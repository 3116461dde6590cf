/*
 * intelstream.h - every provider's current intelligence in one pass, provider
 * by provider.
 *
 * The nightly batch's read (nightly.c) as a module of its own: the one query
 * behind every score (cw_intel_rows_sql, scoring.h), ordered by provider,
 * streamed with COPY in binary, each record with its time, handed to the
 * caller one provider at a time in a reused struct cw_provider_intel.  So
 * memory holds one provider's records plus the caller's list of providers,
 * whatever the number of records.  The backtest uses it to score every
 * provider at many as-of times from a single read.
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

#endif
