/*
 * record.h - recording intelligence: one table-driven path for every kind.
 *
 * Each intelligence kind (concern, visit, safeguarding, cqc, ipc, survey,
 * notice, restriction, loss) is described once by a struct cw_kind: its
 * fields with type, vocabulary, range and help.  From that one description
 * come the command-line options, the guided form's prompts, validation
 * (every field checked before any SQL; the error names the field and what
 * is allowed) and the INSERT.  Recording is idempotent: the record's UUID is
 * made on the client, and a second insert of the same UUID stores nothing
 * and reports "already recorded".
 */
#ifndef CAREWATCH_RECORD_H
#define CAREWATCH_RECORD_H

#include <stdbool.h>

#include "carewatch/db.h"
#include "carewatch/intel.h"
#include "carewatch/vocab.h"

enum cw_ftype {
	CW_F_TEXT,        /* free text, length 1..max */
	CW_F_VOCAB,       /* one word of vocab */
	CW_F_DATE,        /* YYYY-MM-DD or "today" */
	CW_F_TIME,        /* "YYYY-MM-DD HH:MM" (Europe/London), a date, or "now" */
	CW_F_INT,         /* integer min..max */
	CW_F_BOOL,        /* a flag on the command line; yes/no in the form */
	CW_F_UUID,        /* a record id */
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

#define CW_KIND_MAX_FIELDS 12
/* A DATE or TIME field's max when the day may be any, past or future (a
 * restriction's planned last day). */
#define CW_F_ANY_DAY (-1)

struct cw_kind {
	const char *name;              /* "concern": also the command group */
	const char *what;              /* "concern": used in messages */
	const struct cw_field *fields;
	int nfields;
	const char *insert_sql;        /* $1 id, $2 provider id, $3.. the fields in order */
	/* What the kind's table CHECKs that no one field's check covers (a
	 * pattern, one date not before another), run on the normalised values
	 * after every field passed: v[i] is fields[i]'s value, NULL when
	 * absent.  Fills err naming the field.  NULL: nothing more to check.
	 * So no value the table would refuse reaches the server, whose error
	 * would log the failing row, free text and all. */
	bool (*check)(const char *const *v, struct cw_error *err);
};

extern const struct cw_kind cw_kind_concern, cw_kind_visit, cw_kind_safeguarding,
	cw_kind_cqc, cw_kind_ipc, cw_kind_survey, cw_kind_notice, cw_kind_restriction,
	cw_kind_loss;
extern const struct cw_kind *const cw_kinds[];
extern const int cw_kinds_n;

/* True when f is free text people write (a summary, notes, a reason; its
 * metavar is TEXT): kept from read-only logins, out of messages and logs.
 * A reference such as a MASH number is not.  Never fails. */
bool cw_field_free_text(const struct cw_field *f);

/* The table and columns of kind's INSERT ("INSERT INTO t (c0, c1, ...)"):
 * *table and cols[0..] point into buf (c0 is id, c1 provider_id, then one
 * column per field in order; the CQC kind, which writes a row per domain,
 * has its own).  Returns the number of columns, or -1 when the INSERT does
 * not parse (a programming error). */
int cw_kind_columns(const struct cw_kind *kind, char *buf, size_t size, const char **table,
		    const char **cols, int max);

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

struct cw_record_result {
	char id[CW_UUID_LEN];          /* the record's id */
	char provider_id[CW_UUID_LEN];
	char provider_name[304];
	bool already;                  /* this id was recorded before: nothing written */
	/* concerns open a case: */
	long case_number;              /* 0 when no case was opened */
	char case_id[CW_UUID_LEN];
	char due[40];                  /* "" when the risk level has no target */
	char assigned_to[64];          /* "" when it waits in the unassigned queue */
	/* the provider's score after recording ("" when no ruleset is active) */
	char score[16];
	char band[16];
};

/* Record one item of intelligence of kind about provider_ref (a UUID, CQC
 * location ID or unambiguous name).  values[i] is the text given for
 * kind->fields[i] (NULL when absent).  id: the record's UUID, or NULL to make
 * one.  All input is validated before any SQL; nothing is written on error. */
bool cw_record(struct cw_db *db, const struct cw_kind *kind, const char *provider_ref,
	       const char *const *values, const char *id, struct cw_record_result *res,
	       struct cw_error *err) __attribute__((warn_unused_result));

/* Make a new random UUID (libuuid) in out.  Never fails. */
void cw_uuid_new(char out[CW_UUID_LEN]);
/* The UUID v5 of name within base (a UUID): the id of a row derived from
 * another (a case from its concern, a CQC domain row from its record), so a
 * retry derives the same id and writes nothing new.  Never fails. */
void cw_uuid_derive(const char base[CW_UUID_LEN], const char *name, char out[CW_UUID_LEN]);
/* True when s is a UUID in canonical text form. */
bool cw_uuid_valid(const char *s);

#endif
