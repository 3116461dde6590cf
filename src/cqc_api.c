/*
 * cqc_api.c - reading the CQC API's JSON (see cqc_api.h) with jansson.
 *
 * Pure: no database, no network.  The shapes are read tolerantly (a field
 * CQC has not sent is absent, not an error) but a body that is not JSON, or
 * whose required parts have the wrong type, is MALFORMED with the reason,
 * so a sync never stores half of a response it misread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/lazylib.h" /* libcurl, libjansson, libxml2, libzip */
#include "carewatch/cqc_api.h"
#include "carewatch/vocab.h"

static enum cw_cqc_verdict
malformed(char *why, size_t size, const char *what)
{
	snprintf(why, size, "%s", what);
	return CW_CQC_MALFORMED;
}

/* A soft 429: an object whose statusCode is 429. */
static bool
soft_429(const json_t *j)
{
	const json_t *s = json_object_get(j, "statusCode");

	return json_is_integer(s) && json_integer_value(s) == 429;
}

static json_t *
load(const char *body, size_t len, char *why, size_t size)
{
	json_error_t e;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL)
		snprintf(why, size, "not JSON (line %d: %.80s)", e.line, e.text);
	else if (!json_is_object(j)) {
		snprintf(why, size, "not a JSON object");
		json_decref(j);
		j = NULL;
	}
	return j;
}

enum cw_cqc_verdict
cw_cqc_changes_parse(const char *body, size_t len, struct cw_cqc_changes *out, char *why,
		     size_t why_size)
{
	json_t *j = load(body, len, why, why_size), *changes, *v;
	size_t i;

	if (j == NULL)
		return CW_CQC_MALFORMED;
	if (soft_429(j)) {
		json_decref(j);
		return CW_CQC_RATE_LIMITED;
	}
	changes = json_object_get(j, "changes");
	if (!json_is_array(changes)) {
		json_decref(j);
		return malformed(why, why_size, "no changes[] array");
	}
	out->total = json_integer_value(json_object_get(j, "total"));
	out->page = json_integer_value(json_object_get(j, "page"));
	out->total_pages = json_integer_value(json_object_get(j, "totalPages"));
	{
		char (*p)[24] = realloc(out->ids, (out->nids + json_array_size(changes) + 1) * sizeof(*p));
		if (p == NULL) {
			json_decref(j);
			return malformed(why, why_size, "out of memory");
		}
		out->ids = p;
	}
	json_array_foreach(changes, i, v) {
		const char *id = json_string_value(v);
		if (id == NULL || strlen(id) >= sizeof(out->ids[0])) {
			json_decref(j);
			return malformed(why, why_size, "a change that is not a location ID");
		}
		snprintf(out->ids[out->nids++], sizeof(out->ids[0]), "%s", id);
	}
	json_decref(j);
	return CW_CQC_OK;
}

/* "2024-05-01" or "2024-05-01T10:00:00Z": the date.  False otherwise. */
static bool
iso_date(const json_t *v, struct cw_date *d)
{
	const char *s = json_string_value(v);
	char day[11];
	struct cw_error e;

	if (s == NULL || strlen(s) < 10)
		return false;
	memcpy(day, s, 10);
	day[10] = '\0';
	cw_error_clear(&e);
	return cw_date_parse(day, "date", d, &e);
}

static long
days(struct cw_date d)
{
	return d.y ? cw_date_to_days(d) : -1;
}

/* Add a rating (group -1 the location's own), or count a label. */
static void
add_rating(struct cw_cqc_location *out, int group, const char *domain, const json_t *rating,
	   struct cw_date published, enum cw_framework fw)
{
	int dom = cw_vocab_parse(&cw_vocab_domain, domain);
	int rat = cw_vocab_parse(&cw_vocab_rating, json_string_value(rating));

	if (json_string_value(rating) == NULL || dom < 0 || !published.y)
		return;
	if (rat < 0) {
		out->not_ratings++;
		return;
	}
	if (out->nr >= CW_CQC_MAX_RATINGS)
		return;
	out->r[out->nr++] = (struct cw_cqc_rating){group, dom, rat, published, fw};
}

static void
key_questions(struct cw_cqc_location *out, int group, const json_t *kqs, struct cw_date published,
	      enum cw_framework fw)
{
	const json_t *kq;
	size_t i;

	json_array_foreach(kqs, i, kq) {
		struct cw_date d = published;
		iso_date(json_object_get(kq, "reportDate"), &d);
		add_rating(out, group, json_string_value(json_object_get(kq, "name")),
			   json_object_get(kq, "rating"), d, fw);
	}
}

/* An assessment's publication date: the first of the fields CQC has used. */
static bool
assessment_date(const json_t *a, struct cw_date *d)
{
	static const char *const names[] = {"publicationDate", "assessmentPlanPublishedDate",
					    "publishedDate", "assessmentDate"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (iso_date(json_object_get(a, names[i]), d))
			return true;
	return false;
}

static const char *
group_name(const json_t *g)
{
	static const char *const names[] = {"name", "assessmentServiceGroup", "serviceGroup", "title"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *s = json_string_value(json_object_get(g, names[i]));
		if (s && *s)
			return s;
	}
	return NULL;
}

static void
from_assessment(struct cw_cqc_location *out, const json_t *a, struct cw_date published)
{
	const json_t *ratings = json_object_get(a, "ratings"), *overall, *g;
	const char *fwtext = json_string_value(json_object_get(a, "framework"));
	enum cw_framework fw = cw_import_framework(fwtext ? fwtext : "single assessment", published);
	size_t i;

	overall = json_object_get(ratings, "overall");
	if (json_is_array(overall))
		overall = json_array_get(overall, 0);
	if (json_is_object(overall)) {
		add_rating(out, -1, "Overall", json_object_get(overall, "rating"), published, fw);
		key_questions(out, -1, json_object_get(overall, "keyQuestionRatings"), published, fw);
	}
	json_array_foreach(json_object_get(ratings, "asgRatings"), i, g) {
		const char *name = group_name(g);
		int k;
		if (name == NULL || strlen(name) > 200)
			continue;
		for (k = 0; k < out->ngroups && strcmp(out->groups[k], name) != 0; k++)
			;
		if (k == out->ngroups) {
			if (out->ngroups == CW_CQC_MAX_GROUPS)
				continue;
			snprintf(out->groups[out->ngroups++], sizeof(out->groups[0]), "%s", name);
		}
		add_rating(out, k, "Overall", json_object_get(g, "rating"), published, fw);
		key_questions(out, k, json_object_get(g, "keyQuestionRatings"), published, fw);
	}
}

enum cw_cqc_verdict
cw_cqc_location_parse(const char *body, size_t len, struct cw_cqc_location *out, char *why,
		      size_t why_size)
{
	json_t *j, *cur, *asm_list, *a, *newest = NULL, *beds;
	struct cw_date cur_date = {0, 0, 0}, asm_date = {0, 0, 0};
	const char *id;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->beds = -1;
	out->source = "none";
	j = load(body, len, why, why_size);
	if (j == NULL)
		return CW_CQC_MALFORMED;
	if (soft_429(j)) {
		json_decref(j);
		return CW_CQC_RATE_LIMITED;
	}
	id = json_string_value(json_object_get(j, "locationId"));
	if (id == NULL || strlen(id) >= sizeof(out->id)) {
		json_decref(j);
		return malformed(why, why_size, "no locationId");
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	beds = json_object_get(j, "numberOfBeds");
	if (json_is_integer(beds) && json_integer_value(beds) >= 0 && json_integer_value(beds) <= 10000)
		out->beds = (long)json_integer_value(beds);
	out->deregistered = iso_date(json_object_get(j, "deregistrationDate"), &out->deregistered_on);

	cur = json_object_get(json_object_get(j, "currentRatings"), "overall");
	if (json_is_object(cur))
		iso_date(json_object_get(cur, "reportDate"), &cur_date);
	asm_list = json_object_get(j, "assessment");
	if (asm_list && !json_is_array(asm_list)) {
		json_decref(j);
		return malformed(why, why_size, "assessment is not an array");
	}
	json_array_foreach(asm_list, i, a) {
		struct cw_date d;
		if (json_is_object(json_object_get(a, "ratings")) && assessment_date(a, &d) &&
		    days(d) > days(asm_date)) {
			asm_date = d;
			newest = a;
		}
	}
	/* The newest publication wins; an assessment on the same day too. */
	if (newest && days(asm_date) >= days(cur_date)) {
		out->source = "assessment";
		from_assessment(out, newest, asm_date);
	} else if (cur_date.y) {
		enum cw_framework fw = cw_import_framework(NULL, cur_date);
		out->source = "currentRatings";
		add_rating(out, -1, "Overall", json_object_get(cur, "rating"), cur_date, fw);
		key_questions(out, -1, json_object_get(cur, "keyQuestionRatings"), cur_date, fw);
	}
	json_decref(j);
	return CW_CQC_OK;
}
