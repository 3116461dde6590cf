/*
 * provider.c - resolving provider references and adding providers.
 *
 * Adding checks every value against what the provider and organisation
 * tables' CHECKs hold (schema/001_foundation.sql) before any SQL:
 *
 *   column                          CHECK                      checked by
 *   provider.name                   length 1 to 300            one line of text, 1 to 300
 *   provider.cqc_location_id        ~ '^1-[0-9]{3,15}$'        cqc_id_ok
 *   provider.postcode               length <= 10               postcode_ok
 *   provider.beds                   0 to 10000                 INT 0 to 10000
 *   provider.status, closed_on      (not set here)             the defaults
 *   organisation.name               length 1 to 300            one line of text, 1 to 300
 *   organisation.cqc_provider_id    ~ '^1-[0-9]{3,15}$'        cqc_id_ok
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/calendar.h"
#include "carewatch/output.h"
#include "carewatch/provider.h"
#include "carewatch/field.h"

static bool
looks_like_cqc_id(const char *s)
{
	if (strncmp(s, "1-", 2) != 0 || s[2] == '\0')
		return false;
	for (s += 2; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A CQC location or provider ID as the tables hold them: "1-" and 3 to 15
 * digits. */
static bool
cqc_id_ok(const char *s)
{
	size_t n = strlen(s);

	return looks_like_cqc_id(s) && n >= 5 && n <= 17;
}

/* A postcode as typed: letters, digits and spaces, 2 to 10 of them. */
static bool
postcode_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 10)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != ' ')
			return false;
	return true;
}

bool
cw_provider_resolve(struct cw_db *db, const char *ref, char id_out[CW_UUID_LEN], char *name_out,
		    size_t name_size, struct cw_error *err)
{
	const char *params[1] = {ref};
	PGresult *r;
	int n;

	if (ref == NULL || *ref == '\0')
		return cw_error_field(err, "provider", "missing provider (a name, CQC location ID or UUID)");
	if (cw_uuid_valid(ref)) {
		r = cw_db_query(db, "SELECT id, name, care_type, locality, cqc_location_id"
				    " FROM provider WHERE id = $1", 1, params, err);
	} else if (looks_like_cqc_id(ref)) {
		r = cw_db_query(db, "SELECT id, name, care_type, locality, cqc_location_id"
				    " FROM provider WHERE cqc_location_id = $1", 1, params, err);
	} else {
		/* A name exactly as stored (what completion and copy-and-paste
		 * give: the common case) is one lookup in provider_name and wins
		 * outright, even over a name differing only in case.  Only when
		 * it is not exactly one provider is the full search run: its plan
		 * costs the trigram index's, which a one-shot command pays on
		 * every run. */
		r = cw_db_query(db, "SELECT id, name, care_type, locality, cqc_location_id"
				    " FROM provider WHERE name = $1", 1, params, err);
		if (r && PQntuples(r) != 1) {
			PQclear(r);
			/* An exact name, in any case, wins over fragments (the
			 * fragment search is skipped when there is one); LIKE's
			 * wildcards in the user's text are escaped so they match
			 * literally.  The pattern is an expression of $1, so the
			 * planner sees it and uses the trigram index when it is
			 * selective; sorting by lower(name) keeps it from walking
			 * provider_name in order instead. */
			r = cw_db_query(db,
					"WITH exact AS (SELECT id, name, care_type, locality, cqc_location_id"
					"  FROM provider WHERE lower(name) = lower($1))"
					" SELECT * FROM exact"
					" UNION ALL"
					" (SELECT id, name, care_type, locality, cqc_location_id FROM provider"
					"  WHERE lower(name) LIKE '%' || replace(replace(replace(lower($1),"
					"   '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"
					"   AND NOT EXISTS (SELECT 1 FROM exact)"
					"  ORDER BY lower(name), name LIMIT 11)",
					1, params, err);
		}
	}
	if (r == NULL)
		return false;
	n = PQntuples(r);
	if (n == 1) {
		snprintf(id_out, CW_UUID_LEN, "%s", PQgetvalue(r, 0, 0));
		if (name_out)
			snprintf(name_out, name_size, "%s", PQgetvalue(r, 0, 1));
		PQclear(r);
		return true;
	}
	if (n == 0) {
		cw_error_set(err, CW_EXIT_NOTFOUND, "no provider matches '%.60s'", ref);
		cw_error_hint(err, "try 'carewatch provider find TEXT'");
	} else {
		char list[480];
		size_t len = 0;

		for (int i = 0; i < n && i < 10 && len < sizeof(list); i++) {
			char name[128];
			/* Stored names are shown escaped, like every stored text. */
			int w = snprintf(list + len, sizeof(list) - len, "%s%s (%s, %s%s%s)", i ? "; " : "",
					 cw_text_escape(PQgetvalue(r, i, 1), name, sizeof(name)),
					 PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
					 PQgetisnull(r, i, 4) ? "" : ", ", PQgetvalue(r, i, 4));
			if (w < 0)
				break;
			len += (size_t)w;
		}
		cw_error_set(err, CW_EXIT_NOTFOUND, "provider '%.60s' is ambiguous: %s%d match%s", ref,
			     n > 10 ? "more than " : "", n > 10 ? 10 : n, n == 1 ? "" : "es");
		cw_error_detail(err, "%s%s", list, n > 10 ? "; ..." : "");
		cw_error_hint(err, "give more of the name, or the CQC location ID");
	}
	snprintf(err->field, sizeof(err->field), "provider");
	PQclear(r);
	return false;
}

struct add_job {
	const char *params[9];          /* the provider INSERT's parameters */
	const char *cqc_provider_id;
	const char *org_name;
	char new_org[CW_UUID_LEN];
	char org_id[CW_UUID_LEN];
	bool already;
};

static bool
add_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct add_job *job = ctx;
	PGresult *r;

	job->params[8] = NULL;
	if (job->cqc_provider_id != NULL) {
		/* The organisation, by CQC provider ID, is created when first seen. */
		const char *op[3] = {job->new_org, job->org_name, job->cqc_provider_id};
		r = cw_db_query(db,
				"WITH ins AS (INSERT INTO organisation (id, name, cqc_provider_id)"
				" VALUES ($1, $2, $3) ON CONFLICT (cqc_provider_id) DO NOTHING RETURNING id)"
				" SELECT id FROM ins UNION ALL"
				" SELECT id FROM organisation WHERE cqc_provider_id = $3",
				3, op, err);
		if (r == NULL)
			return false;
		snprintf(job->org_id, sizeof(job->org_id), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		job->params[8] = job->org_id;
	}
	r = cw_db_query(db,
			"INSERT INTO provider (id, name, care_type, locality, cqc_location_id, beds,"
			" registered_on, postcode, organisation_id)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING RETURNING id",
			9, job->params, err);
	if (r == NULL)
		return false;
	job->already = PQntuples(r) == 0;
	PQclear(r);
	return true;
}

/* One lookup for every command that takes a locality (provider.h). */
bool
cw_locality_resolve(struct cw_db *db, const char *text, char *code, size_t code_size, char *name,
		    size_t name_size, struct cw_error *err)
{
	const char *p[1] = {text};
	PGresult *r = cw_db_query(db,
				  "SELECT code, name, (code = lower($1) OR lower(name) = lower($1)) AS hit"
				  " FROM locality ORDER BY name",
				  1, p, err);
	char list[512] = "", q[64];
	size_t len = 0;
	int n;

	if (r == NULL)
		return false;
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		if (strcmp(PQgetvalue(r, i, 2), "t") == 0) {
			snprintf(code, code_size, "%s", PQgetvalue(r, i, 0));
			if (name != NULL)
				snprintf(name, name_size, "%s", PQgetvalue(r, i, 1));
			PQclear(r);
			return true;
		}
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						i == 0 ? "" : (i == n - 1 ? " or " : ", "),
						PQgetvalue(r, i, 0));
	}
	PQclear(r);
	cw_error_field(err, "locality", "unknown locality '%s' (expected %s)", cw_text_escape(text, q, 44),
		       list);
	return false;
}

bool
cw_provider_add(struct cw_db *db, const struct cw_provider_new *in, char id_out[CW_UUID_LEN],
		bool *already, struct cw_error *err)
{
	static const struct cw_field beds_f = {"beds", CW_F_INT, NULL, false, 0, 10000, "N", "", NULL};
	static const struct cw_field reg_f = {"registered", CW_F_DATE, NULL, false, 0, 0, "DATE", "", NULL};
	struct add_job job;
	char beds[16], reg[16], loc[40], q[64];
	bool is_null;
	int ct;

	memset(&job, 0, sizeof(job));
	if (in->name == NULL || in->name[0] == '\0')
		return cw_error_field(err, "name", "missing provider name");
	if (!cw_text_check("name", in->name, 300, true, err))
		return false;
	if (in->organisation && !cw_text_check("organisation", in->organisation, 300, true, err))
		return false;
	if (!cw_vocab_check(&cw_vocab_care_type, "care-type", in->care_type, &ct, err))
		return false;
	if (in->cqc_location_id && !cqc_id_ok(in->cqc_location_id))
		return cw_error_field(err, "cqc-id",
				      "invalid CQC location ID '%s' (expected 1- and 3 to 15 digits)",
				      cw_text_escape(in->cqc_location_id, q, 24));
	if (in->cqc_provider_id && !cqc_id_ok(in->cqc_provider_id))
		return cw_error_field(err, "cqc-provider-id",
				      "invalid CQC provider ID '%s' (expected 1- and 3 to 15 digits)",
				      cw_text_escape(in->cqc_provider_id, q, 24));
	if (in->id && !cw_uuid_valid(in->id))
		return cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", in->id);
	if (!cw_field_check(&beds_f, in->beds, beds, sizeof(beds), &is_null, err))
		return false;
	job.params[5] = is_null ? NULL : beds;
	if (!cw_field_check(&reg_f, in->registered, reg, sizeof(reg), &is_null, err))
		return false;
	job.params[6] = is_null ? NULL : reg;
	if (in->postcode && !postcode_ok(in->postcode))
		return cw_error_field(err, "postcode",
				      "invalid postcode '%s' (expected 2 to 10 letters, digits and spaces)",
				      cw_text_escape(in->postcode, q, 24));
	if (in->locality == NULL || *in->locality == '\0')
		return cw_error_field(err, "locality", "missing --locality");
	if (!cw_locality_resolve(db, in->locality, loc, sizeof(loc), NULL, 0, err))
		return false;
	if (in->id)
		snprintf(id_out, CW_UUID_LEN, "%s", in->id);
	else
		cw_uuid_new(id_out);
	cw_uuid_new(job.new_org);
	job.params[0] = id_out;
	job.params[1] = in->name;
	job.params[2] = cw_vocab_care_type.words[ct];
	job.params[3] = loc;
	job.params[4] = in->cqc_location_id;
	job.params[7] = in->postcode;
	job.cqc_provider_id = in->cqc_provider_id;
	job.org_name = in->organisation ? in->organisation : in->name;
	if (!cw_db_transaction(db, "READ COMMITTED", add_work, &job, NULL, err))
		return false;
	*already = job.already;
	return true;
}
