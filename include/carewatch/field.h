/*
 * field.h - checking what people type, one field at a time.
 *
 * Every value a person gives (an option, a form answer, an imported cell)
 * is described by a struct cw_field and checked by cw_field_check before
 * any SQL: the error names the field and what is allowed, never the value
 * of free text.  Text fit to store (cw_text_check) and record ids (UUIDs)
 * are here too.  A pure module (no database): the intelligence kinds
 * (record.h), cases, providers and the commands all use it.
 */
#ifndef CAREWATCH_FIELD_H
#define CAREWATCH_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "carewatch/error.h"
#include "carewatch/intel.h"
#include "carewatch/vocab.h"

/* The longest free text a person may store (a note, a summary, a reason),
 * in characters: every free-text column's CHECK says the same
 * (tests/test_textsafe.c runs each).  CW_TEXT_BYTES holds that much in
 * UTF-8 (up to 4 bytes a character) with room for the NUL. */
#define CW_TEXT_MAX 20000
#define CW_TEXT_BYTES (CW_TEXT_MAX * 4 + 8)

enum cw_ftype {
	CW_F_TEXT,        /* free text, length 1..max */
	CW_F_VOCAB,       /* one word of vocab */
	CW_F_DATE,        /* YYYY-MM-DD or "today" */
	CW_F_TIME,        /* "YYYY-MM-DD HH:MM" (Europe/London), a date, or "now" */
	CW_F_INT,         /* integer min..max */
	CW_F_BOOL,        /* a flag on the command line; yes/no in the form */
	CW_F_UUID,        /* a record id */
	CW_F_RATINGS,     /* CODE=RATING[,CODE=RATING...]: a word of vocab per code (a PAMMS
			   * audit's standards); max: characters; the option may be repeated */
};

struct cw_field {
	const char *name;              /* option name and form label key */
	enum cw_ftype type;
	const struct cw_vocab *vocab;
	bool required;
	long min, max;                 /* INT range; TEXT maximum length; DATE and TIME: how
					* many days after today it may be (0: not after
					* today, or now for a time; CW_F_ANY_DAY: no limit) */
	const char *metavar;
	const char *help;
	const char *dflt;              /* default when not given ("now", "no", ...) */
};

/* A DATE or TIME field's max when the day may be any, past or future (a
 * restriction's planned last day). */
#define CW_F_ANY_DAY (-1)

/* True when f is free text people write (a summary, notes, a reason; its
 * metavar is TEXT): kept from read-only logins, out of messages and logs.
 * A reference such as a MASH number is not.  Never fails. */
bool cw_field_free_text(const struct cw_field *f);

/* Check text typed or imported for storing: valid UTF-8, no control
 * characters (C0, DEL or C1) other than tab and newline, and no newline
 * either when one_line (names, titles, references, logins); not blank; at
 * most max characters.  On failure err names field and says where (byte or
 * character position), never what: the text may be sensitive. */
bool cw_text_check(const char *field, const char *s, long max, bool one_line, struct cw_error *err)
	__attribute__((warn_unused_result));

/* Validate one value for field f, writing its normalised text form (what
 * goes to SQL) into out.  NULL or "" for an optional field gives the default
 * or SQL NULL (*is_null).  err names the field. */
bool cw_field_check(const struct cw_field *f, const char *value, char *out, size_t size,
		    bool *is_null, struct cw_error *err) __attribute__((warn_unused_result));

/* Make a new random UUID (libuuid) in out.  Never fails. */
void cw_uuid_new(char out[CW_UUID_LEN]);
/* The UUID v5 of name within base (a UUID): the id of a row derived from
 * another (a case from its concern, a CQC domain row from its record), so a
 * retry derives the same id and writes nothing new.  Never fails. */
void cw_uuid_derive(const char base[CW_UUID_LEN], const char *name, char out[CW_UUID_LEN]);
/* True when s is a UUID in canonical text form. */
bool cw_uuid_valid(const char *s);

#endif
