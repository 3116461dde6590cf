/*
 * cqc_api.h - CQC's public API (https://api.service.cqc.org.uk/public/v1):
 * reading its JSON (pure) and fetching it (libcurl, with retries).
 *
 *   /changes/location?startTimestamp=S&endTimestamp=E&page=N&perPage=M
 *       the locations changed in [S, E) (UTC, YYYY-MM-DDTHH:MM:SSZ), paged:
 *       total, page, totalPages, nextPageUri, changes[] (location IDs);
 *   /locations/{id}
 *       numberOfBeds, deregistrationDate, currentRatings.overall.{rating,
 *       reportDate, keyQuestionRatings[]}, and newer assessments (the single
 *       assessment framework) under assessment[] with ratings.overall and
 *       ratings.asgRatings[] (per service group, with keyQuestionRatings[]).
 *
 * A location's ratings are those of its newest publication: currentRatings
 * or the newest assessment, whichever was published later (an assessment
 * on the same date wins).  Rate limiting comes as HTTP 429 or as HTTP 200
 * whose body is {"statusCode": 429, ...} ("soft 429"): both are retried.
 *
 * No database here: cqc_sync.c stores what this reads.
 */
#ifndef CAREWATCH_CQC_API_H
#define CAREWATCH_CQC_API_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/calendar.h"
#include "carewatch/error.h"
#include "carewatch/framework.h"

enum cw_cqc_verdict {
	CW_CQC_OK,
	CW_CQC_RATE_LIMITED,     /* a soft 429: the body says statusCode 429 */
	CW_CQC_MALFORMED,        /* not JSON, or not the shape expected (why says) */
};

struct cw_cqc_changes {
	long total, page, total_pages;
	char (*ids)[24];           /* location IDs, malloc'd; caller frees */
	size_t nids;
};

#define CW_CQC_MAX_RATINGS 128
#define CW_CQC_MAX_GROUPS 16

struct cw_cqc_rating {
	int group;                 /* -1: the location's own; else an index into groups */
	int domain, rating;        /* cw_vocab_domain, cw_vocab_rating */
	struct cw_date published;
	enum cw_framework framework;
};

struct cw_cqc_location {
	char id[24];
	long beds;                 /* -1 when not given */
	bool deregistered;
	struct cw_date deregistered_on;
	const char *source;        /* "currentRatings", "assessment" or "none" */
	struct cw_cqc_rating r[CW_CQC_MAX_RATINGS];
	int nr;
	char groups[CW_CQC_MAX_GROUPS][201];
	int ngroups;
	int not_ratings;           /* labels such as "Not rated" seen in the source used */
};

/* Parse a /changes/location page.  Fills out (ids appended to out->ids,
 * which may already hold earlier pages'). */
enum cw_cqc_verdict cw_cqc_changes_parse(const char *body, size_t len, struct cw_cqc_changes *out,
					 char *why, size_t why_size);

/* Parse a /locations/{id} body into out (zeroed first). */
enum cw_cqc_verdict cw_cqc_location_parse(const char *body, size_t len, struct cw_cqc_location *out,
					  char *why, size_t why_size);

/* ---- fetching ---- */

struct cw_cqc_config {
	char api[512];             /* base URL, no trailing slash */
	char key[256];             /* the subscription key: never printed */
	char user_agent[128];
	long timeout;              /* seconds for a whole request */
	int retries;               /* attempts after the first, on 429, soft 429 or a cut connection */
	long backoff_ms;           /* first wait; doubled each time (Retry-After when given) */
	int window_hours;          /* /changes/location window */
};

/* The configuration: defaults, then the config file (CAREWATCH_CONFIG, or
 * $XDG_CONFIG_HOME/carewatch/cqc.conf, or ~/.config/carewatch/cqc.conf:
 * "name = value" lines: api, key_file, user_agent, timeout, retries,
 * backoff_ms, window_hours), then the environment (CAREWATCH_CQC_KEY_FILE,
 * CAREWATCH_CQC_API).  The key is read from the key file (one line; a file
 * others may read is refused).  False with err (naming the file, never the
 * key) when there is no key. */
bool cw_cqc_config_load(struct cw_cqc_config *c, struct cw_error *err)
	__attribute__((warn_unused_result));

struct cw_cqc_stats {
	long requests, retries, not_found;
};

/* GET base + path.  *body (malloc'd, NUL-terminated; caller frees) and
 * *status.  A 404 is returned (status 404) for the caller to count; 429,
 * soft 429 (when soft_429_json) and cut connections are retried up to
 * c->retries times with backoff; 401/403, other errors, a timeout and
 * retries used up fail with err naming the endpoint (never the key). */
bool cw_cqc_get(const struct cw_cqc_config *c, const char *path, char **body, size_t *len,
		long *status, struct cw_cqc_stats *st, struct cw_error *err)
	__attribute__((warn_unused_result));

#endif
