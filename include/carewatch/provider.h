/*
 * provider.h - finding and adding providers.
 *
 * Officers name a provider the way they know it: its UUID, its CQC location
 * ID (1-1010701645) or a fragment of its name.  cw_provider_resolve turns
 * any of those into one provider, or says clearly that none or several match
 * (listing the candidates), so a record is never filed against a guess.
 */
#ifndef CAREWATCH_PROVIDER_H
#define CAREWATCH_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"

/* Resolve a locality by code or name (any case) into code and (unless NULL)
 * name buffers: the
 * one lookup behind every --locality (provider add/edit/list, officer add,
 * the reports).  Unknown: CW_EXIT_USAGE "unknown locality 'X' (expected
 * east, north, ... or west)", the localities there are. */
bool cw_locality_resolve(struct cw_db *db, const char *text, char *code, size_t code_size,
			 char *name, size_t name_size, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Resolve ref to one provider: id_out gets its UUID, name_out its name.
 * No match or several: CW_EXIT_NOTFOUND, with the candidates in detail. */
bool cw_provider_resolve(struct cw_db *db, const char *ref, char id_out[CW_UUID_LEN],
			 char *name_out, size_t name_size, struct cw_error *err)
	__attribute__((warn_unused_result));

struct cw_provider_new {
	const char *id;                /* NULL: made here */
	const char *name;
	const char *care_type;         /* vocab word */
	const char *locality;          /* locality code (reference data) */
	const char *cqc_location_id;   /* optional */
	const char *cqc_provider_id;   /* optional: the organisation */
	const char *organisation;      /* optional organisation name */
	const char *beds;              /* optional */
	const char *registered;        /* optional date */
	const char *postcode;          /* optional */
};

/* Validate and insert a provider (and its organisation when named).
 * id_out gets the id; *already is true when that id existed. */
bool cw_provider_add(struct cw_db *db, const struct cw_provider_new *p, char id_out[CW_UUID_LEN],
		     bool *already, struct cw_error *err) __attribute__((warn_unused_result));

#endif
