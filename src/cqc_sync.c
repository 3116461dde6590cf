/*
 * cqc_sync.c - `carewatch cqc sync` against the database (see cqc_sync.h):
 * the cursor, which changed locations carewatch holds, the staging rows and
 * the one transaction per window.
 *
 * Everything fetched for a window is read and checked before anything is
 * written, so a malformed answer, a refused key or a timeout half way
 * through a window stores none of it; ids are made from CQC's IDs as the
 * file imports make them, so a rating synced and the same rating imported
 * from next month's file are one row.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/copybuf.h"
#include "carewatch/cqc_sync.h"
#include "carewatch/import.h"
#include "carewatch/locks.h"
#include "carewatch/record.h"
#include "carewatch/vocab.h"

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC) to seconds.  False otherwise. */
static bool
parse_utc(const char *s, time_t *out)
{
	struct tm tm;
	char rest[8];
	int n;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) == 10)
		n = sscanf(s, "%4d-%2d-%2d%1s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, rest) == 3 ? 3 : 0;
	else
		n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%1s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec, rest) == 6 && s[strlen(s) - 1] == 'Z' ? 6 : 0;
	if (n == 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return true;
}

static void
fmt_utc(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct window {
	struct cw_copybuf ratings, services, locations;
	long line, changes, not_found;
	char start[32], end[32];
};

static void
window_free(struct window *w)
{
	cw_copybuf_free(&w->ratings);
	cw_copybuf_free(&w->services);
	cw_copybuf_free(&w->locations);
}

static bool
num_field(struct cw_copybuf *b, long v, char sep)
{
	char n[24];

	snprintf(n, sizeof(n), "%ld", v);
	return cw_copybuf_field(b, n, sep);
}

static bool
rating_row(struct window *w, const char *loc, const struct cw_cqc_rating *r, const char *basis)
{
	char date[CW_DATE_LEN], key[96], id[CW_UUID_LEN];

	cw_date_format(r->published, date, sizeof(date));
	snprintf(key, sizeof(key), "%s/%s/%s", loc, cw_vocab_word(&cw_vocab_domain, r->domain), date);
	cw_import_uuid("cqc_rating", key, id);
	return num_field(&w->ratings, ++w->line, '\t') && cw_copybuf_field(&w->ratings, id, '\t') &&
	       cw_copybuf_field(&w->ratings, loc, '\t') &&
	       cw_copybuf_field(&w->ratings, cw_vocab_word(&cw_vocab_domain, r->domain), '\t') &&
	       cw_copybuf_field(&w->ratings, cw_vocab_word(&cw_vocab_rating, r->rating), '\t') &&
	       cw_copybuf_field(&w->ratings, date, '\t') &&
	       cw_copybuf_field(&w->ratings, cw_framework_word(r->framework), '\t') &&
	       cw_copybuf_field(&w->ratings, basis, '\n');
}

/* One location's rows: its own ratings, its services', for a domain and
 * date it has none of its own the worst of its services', and its beds and
 * deregistration. */
static bool
location_rows(struct window *w, const struct cw_cqc_location *l)
{
	bool own[CW_DOMAIN__N] = {false};
	int worst[CW_DOMAIN__N];
	struct cw_cqc_rating derived[CW_DOMAIN__N];

	for (int d = 0; d < CW_DOMAIN__N; d++)
		worst[d] = -1;
	for (int i = 0; i < l->nr; i++) {
		const struct cw_cqc_rating *r = &l->r[i];
		bool dup = false;
		for (int k = 0; k < i; k++)
			dup |= l->r[k].group == r->group && l->r[k].domain == r->domain &&
			       cw_date_to_days(l->r[k].published) == cw_date_to_days(r->published);
		if (dup)
			continue;
		if (r->group < 0) {
			own[r->domain] = true;
			if (!rating_row(w, l->id, r, "location"))
				return false;
		} else {
			char date[CW_DATE_LEN], key[320], id[CW_UUID_LEN];
			cw_date_format(r->published, date, sizeof(date));
			snprintf(key, sizeof(key), "%s/%s/%s/%s", l->id, l->groups[r->group],
				 cw_vocab_word(&cw_vocab_domain, r->domain), date);
			cw_import_uuid("cqc_service_rating", key, id);
			if (!num_field(&w->services, ++w->line, '\t') || !cw_copybuf_field(&w->services, id, '\t') ||
			    !cw_copybuf_field(&w->services, l->id, '\t') ||
			    !cw_copybuf_field(&w->services, l->groups[r->group], '\t') ||
			    !cw_copybuf_field(&w->services, cw_vocab_word(&cw_vocab_domain, r->domain), '\t') ||
			    !cw_copybuf_field(&w->services, cw_vocab_word(&cw_vocab_rating, r->rating), '\t') ||
			    !cw_copybuf_field(&w->services, date, '\t') ||
			    !cw_copybuf_field(&w->services, cw_framework_word(r->framework), '\n'))
				return false;
			if (r->rating > worst[r->domain]) {
				worst[r->domain] = r->rating;
				derived[r->domain] = *r;
			}
		}
	}
	for (int d = 0; d < CW_DOMAIN__N; d++)
		if (!own[d] && worst[d] >= 0 && !rating_row(w, l->id, &derived[d], "services"))
			return false;
	if (l->beds < 0 && !l->deregistered)
		return true;
	if (!num_field(&w->locations, ++w->line, '\t') || !cw_copybuf_field(&w->locations, l->id, '\t'))
		return false;
	if (l->beds >= 0 ? !num_field(&w->locations, l->beds, '\t') : !cw_copybuf_str(&w->locations, "\\N\t"))
		return false;
	if (!cw_copybuf_str(&w->locations, "\\N\t\\N\t"))
		return false;
	if (l->deregistered) {
		char date[CW_DATE_LEN], key[64], id[CW_UUID_LEN];
		cw_date_format(l->deregistered_on, date, sizeof(date));
		snprintf(key, sizeof(key), "closure/%s/%s", l->id, date);
		cw_import_uuid("provider_loss", key, id);
		return cw_copybuf_field(&w->locations, date, '\t') && cw_copybuf_field(&w->locations, id, '\n');
	}
	return cw_copybuf_str(&w->locations, "\\N\t\\N\n");
}

/* The array literal of the IDs in ids that look like CQC's ("1-" and digits). */
static char *
id_array(const struct cw_cqc_changes *ch)
{
	struct cw_copybuf a = {0};
	bool ok = cw_copybuf_str(&a, "{");

	for (size_t i = 0; ok && i < ch->nids; i++) {
		const char *s = ch->ids[i];
		bool good = s[0] == '1' && s[1] == '-' && s[2];
		for (const char *p = s + 2; good && *p; p++)
			good = *p >= '0' && *p <= '9';
		if (good)
			ok = (a.n > 1 ? cw_copybuf_str(&a, ",") : true) && cw_copybuf_str(&a, s);
	}
	if (!ok || !cw_copybuf_str(&a, "}")) {
		free(a.p);
		return NULL;
	}
	return a.p;
}

/* Fetch and read the window [start, end): every page of changes, the held
 * ones' details.  Nothing written. */
static bool
fetch_window(struct cw_db *db, const struct cw_cqc_config *c, struct window *w,
	     struct cw_cqc_sync_result *res, struct cw_error *err)
{
	struct cw_cqc_changes ch = {0};
	char path[256], why[200], *body, *ids;
	const char *p[1];
	PGresult *r;
	size_t len;
	long status;
	bool ok = true;

	for (long page = 1; ok; page++) {
		long before = (long)ch.nids;
		snprintf(path, sizeof(path), "/changes/location?startTimestamp=%s&endTimestamp=%s&page=%ld"
			 "&perPage=1000", w->start, w->end, page);
		if (!cw_cqc_get(c, path, &body, &len, &status, &res->http, err)) {
			ok = false;
			break;
		}
		if (status == 404) {
			ok = cw_error_set(err, CW_EXIT_UNAVAILABLE, "HTTP 404 from the CQC API at %s%s", c->api, path);
			break;
		}
		if (cw_cqc_changes_parse(body, len, &ch, why, sizeof(why)) != CW_CQC_OK) {
			ok = cw_error_set(err, CW_EXIT_UNAVAILABLE, "a malformed answer from the CQC API at %s%s: %s",
					  c->api, path, why);
			free(body);
			break;
		}
		free(body);
		if (page >= ch.total_pages || (long)ch.nids == before)
			break;
	}
	if (!ok) {
		free(ch.ids);
		return false;
	}
	w->changes = (long)ch.nids;
	ids = id_array(&ch);
	free(ch.ids);
	if (ids == NULL)
		return cw_error_set(err, CW_EXIT_FAIL, "out of memory");
	p[0] = ids;
	r = cw_db_query(db, "SELECT DISTINCT cqc_location_id FROM provider WHERE cqc_location_id = ANY($1::text[])"
			    " ORDER BY 1", 1, p, err);
	free(ids);
	if (r == NULL)
		return false;
	res->held += PQntuples(r);
	for (int i = 0; ok && i < PQntuples(r); i++) {
		struct cw_cqc_location *l = malloc(sizeof(*l));
		if (l == NULL) {
			ok = cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			break;
		}
		snprintf(path, sizeof(path), "/locations/%s", PQgetvalue(r, i, 0));
		if (!cw_cqc_get(c, path, &body, &len, &status, &res->http, err)) {
			ok = false;
		} else if (status == 404) {
			w->not_found++;    /* changed, then gone: counted, skipped */
		} else {
			if (cw_cqc_location_parse(body, len, l, why, sizeof(why)) != CW_CQC_OK)
				ok = cw_error_set(err, CW_EXIT_UNAVAILABLE, "a malformed answer from the CQC API at"
						  " %s%s: %s", c->api, path, why);
			else if (strcmp(l->id, PQgetvalue(r, i, 0)) != 0)
				ok = cw_error_set(err, CW_EXIT_UNAVAILABLE, "the CQC API at %s%s answered for another"
						  " location", c->api, path);
			else if (!location_rows(w, l))
				ok = cw_error_set(err, CW_EXIT_FAIL, "out of memory");
			free(body);
		}
		free(l);
	}
	PQclear(r);
	return ok;
}

struct job {
	struct window *w;
	struct cw_cqc_sync_result *res;
	char run[CW_UUID_LEN];
	long imported, unchanged, services, beds, closed;
};

static long
num(const PGresult *r, int col)
{
	return PQntuples(r) == 1 && !PQgetisnull(r, 0, col) ? atol(PQgetvalue(r, 0, col)) : 0;
}

static bool
store(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct job *j = ctx;
	struct window *w = j->w;
	char changes[24], nf[24];
	const char *p[5] = {j->run, w->start, w->end, changes, nf};
	PGresult *r;

	snprintf(changes, sizeof(changes), "%ld", w->changes);
	snprintf(nf, sizeof(nf), "%ld", w->not_found);
	if (!cw_db_exec(db, CW_LOCK_IMPORT_SQL, 0, NULL, err) ||
	    (w->ratings.n && !cw_import_copy(db, "COPY api.import_stage_rating (line, id, location_id, domain,"
					     " rating, published_on, framework, basis) FROM STDIN",
					     w->ratings.p, w->ratings.n, err)) ||
	    (w->services.n && !cw_import_copy(db, "COPY api.import_stage_service_rating (line, id, location_id,"
					      " service_group, domain, rating, published_on, framework) FROM STDIN",
					      w->services.p, w->services.n, err)) ||
	    (w->locations.n && !cw_import_copy(db, "COPY api.import_stage_location (line, location_id, beds,"
					       " dormant, service_types, closed_on, loss_id) FROM STDIN",
					       w->locations.p, w->locations.n, err)))
		return false;
	r = cw_db_query(db, "SELECT * FROM api.cqc_sync_apply($1, $2, $3, $4, $5)", 5, p, err);
	if (r == NULL)
		return false;
	j->imported = num(r, 0);
	j->unchanged = num(r, 1);
	j->services = num(r, 4);
	j->beds = num(r, 5);
	j->closed = num(r, 6);
	PQclear(r);
	return true;
}

bool
cw_cqc_sync(struct cw_db *db, const struct cw_cqc_config *c, const char *from, const char *until,
	    struct cw_cqc_sync_result *res, struct cw_error *err)
{
	char cursor[32];
	bool have;
	time_t start, end;

	memset(res, 0, sizeof(*res));
	if (!cw_db_value(db, "SELECT to_char(api.cqc_sync_cursor() AT TIME ZONE 'UTC',"
			     " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 0, NULL, cursor, sizeof(cursor), &have, err))
		return false;
	have = have && cursor[0];
	if (have && from)
		return cw_error_field(err, "from", "--from is for the first sync only: the cursor is at %s",
				      cursor);
	if (!have && from == NULL) {
		cw_error_field(err, "from", "no sync cursor yet: the first sync needs --from (e.g. the date of"
			       " the ratings file last imported)");
		return false;
	}
	if (!parse_utc(have ? cursor : from, &start))
		return cw_error_field(err, "from", "invalid --from '%.40s' (expected YYYY-MM-DD or"
				      " YYYY-MM-DDTHH:MM:SSZ, UTC)", from);
	if (until && !parse_utc(until, &end))
		return cw_error_field(err, "until", "invalid --until '%.40s' (expected YYYY-MM-DD or"
				      " YYYY-MM-DDTHH:MM:SSZ, UTC)", until);
	if (until == NULL)
		end = time(NULL);
	fmt_utc(start, res->cursor);
	while (start < end) {
		time_t stop = start + (time_t)c->window_hours * 3600;
		struct window w;
		struct job j;

		if (stop > end)
			stop = end;
		memset(&w, 0, sizeof(w));
		fmt_utc(start, w.start);
		fmt_utc(stop, w.end);
		if (!fetch_window(db, c, &w, res, err)) {
			window_free(&w);
			return false;
		}
		memset(&j, 0, sizeof(j));
		j.w = &w;
		j.res = res;
		cw_uuid_new(j.run);
		if (!cw_db_transaction(db, "READ COMMITTED", store, &j, NULL, err)) {
			window_free(&w);
			return false;
		}
		res->windows++;
		res->changes += w.changes;
		res->not_found += w.not_found;
		res->imported += j.imported;
		res->unchanged += j.unchanged;
		res->services += j.services;
		res->beds += j.beds;
		res->closed += j.closed;
		window_free(&w);
		start = stop;
		fmt_utc(start, res->cursor);
	}
	return true;
}
