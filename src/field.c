/*
 * field.c - checking what people type, field by field: the field types,
 * text fit to store, dates and times not yet come, vocabularies, UUIDs
 * (field.h).  Pure: every module that takes input uses it, the database
 * layer included, so it may use none of them (tools/layers.sh).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "carewatch/calendar.h"
#include "carewatch/field.h"
#include "carewatch/output.h"

bool
cw_field_free_text(const struct cw_field *f)
{
	return f->type == CW_F_TEXT && f->metavar && strcmp(f->metavar, "TEXT") == 0;
}

void
cw_uuid_new(char out[CW_UUID_LEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

void
cw_uuid_derive(const char base[CW_UUID_LEN], const char *name, char out[CW_UUID_LEN])
{
	uuid_t b, u;

	uuid_parse(base, b);
	uuid_generate_sha1(u, b, name, strlen(name));
	uuid_unparse_lower(u, out);
}

bool
cw_uuid_valid(const char *s)
{
	uuid_t u;

	return s != NULL && strlen(s) == 36 && uuid_parse(s, u) == 0;
}

bool
cw_text_check(const char *field, const char *s, long max, bool one_line, struct cw_error *err)
{
	const unsigned char *p = (const unsigned char *)s;
	long chars = 0;
	bool blank = true;

	while (*p) {
		uint32_t cp;
		int len = cw_utf8_next(p, &cp);

		if (len < 0)
			return cw_error_field(err, field, "%s is not valid UTF-8 (byte %ld)", field,
					      (long)(p - (const unsigned char *)s) + 1);
		/* C0 (CR included: it rewrites the line), DEL and C1 (U+0080 to
		 * U+009F: CSI, OSC and the rest of 8-bit terminal control). */
		if ((cp < 0x20 && cp != '\t' && (cp != '\n' || one_line)) ||
		    (cp >= 0x7F && cp < 0xA0))
			return cw_error_field(err, field,
					      "%s contains a control character (U+%04X) at character %ld",
					      field, (unsigned)cp, chars + 1);
		if (cp != ' ' && cp != '\t' && cp != '\n')
			blank = false;
		p += len;
		chars++;
	}
	if (chars > max)
		return cw_error_field(err, field, "%s is too long (%ld characters; at most %ld)", field,
				      chars, max);
	if (blank)
		return cw_error_field(err, field, "%s is empty", field);
	return true;
}

/* Calendar errors say "invalid date '...'": name the field in them, as in
 * "invalid published date '01/03/2024' (expected YYYY-MM-DD)". */
static bool
name_field(struct cw_error *err, const char *field)
{
	char msg[sizeof(err->msg)];

	if (strncmp(err->msg, "invalid ", 8) == 0) {
		snprintf(msg, sizeof(msg), "invalid %s %s", field, err->msg + 8);
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	}
	snprintf(err->field, sizeof(err->field), "%s", field);
	return false;
}

bool
cw_field_check(const struct cw_field *f, const char *value, char *out, size_t size, bool *is_null,
	       struct cw_error *err)
{
	const char *v = value;
	struct cw_date d;
	int idx;

	*is_null = false;
	out[0] = '\0';
	if (f->type == CW_F_BOOL) {
		bool yes;
		if (v == NULL || strcmp(v, "") == 0) {
			/* A flag given on the command line is "" (true); absent is false. */
			yes = v != NULL;
		} else if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "y") == 0 ||
			   strcasecmp(v, "true") == 0) {
			yes = true;
		} else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "n") == 0 ||
			   strcasecmp(v, "false") == 0) {
			yes = false;
		} else {
			return cw_error_field(err, f->name, "invalid %s '%.20s' (expected yes or no)",
					      f->name, v);
		}
		snprintf(out, size, "%s", yes ? "true" : "false");
		return true;
	}
	if (v == NULL || *v == '\0') {
		if (f->required) {
			if (f->vocab) {
				char exp[512];
				return cw_error_field(err, f->name, "missing --%s (expected %s)", f->name,
						      cw_vocab_expected(f->vocab, exp, sizeof(exp)));
			}
			return cw_error_field(err, f->name, "missing --%s %s", f->name,
					      f->metavar ? f->metavar : "");
		}
		v = f->dflt;
		if (v == NULL) {
			*is_null = true;
			return true;
		}
	}
	switch (f->type) {
	case CW_F_TEXT:
		if (!cw_text_check(f->name, v, f->max, false, err))
			return false;
		snprintf(out, size, "%s", v);
		return true;
	case CW_F_VOCAB:
		if (!cw_vocab_check(f->vocab, f->name, v, &idx, err))
			return false;
		snprintf(out, size, "%s", f->vocab->words[idx]);
		return true;
	case CW_F_DATE: {
		const struct cw_date today = cw_london_date((cw_time)time(NULL));
		if (strcmp(v, "today") == 0 || strcmp(v, "yesterday") == 0) {
			d = v[0] == 't' ? today : cw_date_add_days(today, -1);
		} else if (!cw_date_parse(v, f->name, &d, err)) {
			return name_field(err, f->name);
		}
		if (f->max != CW_F_ANY_DAY && cw_date_cmp(d, cw_date_add_days(today, f->max)) > 0) {
			char day[CW_DATE_LEN];
			cw_date_format(d, day, sizeof(day));
			if (f->max == 0)
				return cw_error_field(err, f->name, "%s %s is in the future (at the latest today)",
						      f->name, day);
			return cw_error_field(err, f->name, "%s %s is too far in the future (at most %ld days"
					      " from today)", f->name, day, f->max);
		}
		cw_date_format(d, out, size);
		return true;
	}
	case CW_F_TIME: {
		/* Clocks differ by a little: five minutes ahead is still now. */
		const cw_time now = (cw_time)time(NULL), skew = (cw_time)5 * 60;
		cw_time t;
		if (strcmp(v, "now") == 0) {
			t = now;
		} else if (strlen(v) == 10 || strcmp(v, "today") == 0 || strcmp(v, "yesterday") == 0) {
			const struct cw_date today = cw_london_date(now);
			if (v[0] == 't' || v[0] == 'y')
				d = v[0] == 't' ? today : cw_date_add_days(today, -1);
			else if (!cw_date_parse(v, f->name, &d, err))
				return name_field(err, f->name);
			/* A bare date is midnight London time. */
			struct cw_datetime lt = {d.y, d.m, d.d, 0, 0, 0, 0};
			t = cw_london_to_time(lt);
		} else if (!cw_datetime_parse(v, f->name, &t, err)) {
			return name_field(err, f->name);
		}
		if (f->max != CW_F_ANY_DAY && t > now + skew + (cw_time)f->max * 86400) {
			char when[64];
			cw_time_format(t, when, sizeof(when));
			return cw_error_field(err, f->name, "%s %s is in the future (at the latest now)",
					      f->name, when);
		}
		cw_time_format_utc(t, out, size);
		return true;
	}
	case CW_F_INT: {
		char *end;
		long n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || !(isdigit((unsigned char)v[0]) || v[0] == '-'))
			return cw_error_field(err, f->name, "invalid %s '%.20s' (expected a whole number)",
					      f->name, v);
		if (n < f->min || n > f->max)
			return cw_error_field(err, f->name, "%s %ld is out of range (%ld to %ld)", f->name,
					      n, f->min, f->max);
		snprintf(out, size, "%ld", n);
		return true;
	}
	case CW_F_UUID:
		if (!cw_uuid_valid(v))
			return cw_error_field(err, f->name, "invalid %s '%.40s' (expected a UUID)", f->name, v);
		snprintf(out, size, "%s", v);
		return true;
	case CW_F_BOOL:
		break;
	}
	return cw_error_set(err, CW_EXIT_FAIL, "unknown field type");
}
