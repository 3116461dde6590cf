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

/* A CW_F_RATINGS list: "CODE=RATING" items, ',' between them (spaces
 * around each ignored), CODE one to ten ASCII letters, digits and '.'
 * starting with a letter or digit, RATING a word of f->vocab; no code
 * twice.  out gets "CODE=word,CODE=word" in the order given. */
static bool
ratings_check(const struct cw_field *f, const char *v, char *out, size_t size, struct cw_error *err)
{
	size_t len = 0;
	int items = 0;

	out[0] = '\0';
	for (const char *p = v; *p;) {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p), cn;
		char item[64], code[16], q[80], exp[256];
		int idx;

		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) - 1 ? n : sizeof(item) - 1), p);
		eq = memchr(p, '=', n);
		cn = eq ? (size_t)(eq - p) : 0;
		if (eq == NULL || cn == 0 || cn > 10 || !isalnum((unsigned char)p[0]))
			return cw_error_field(err, f->name, "invalid --%s '%s' (expected %s, e.g. 8=poor)",
					      f->name, cw_text_escape(item, q, sizeof(q)), f->metavar);
		for (size_t i = 0; i < cn; i++)
			if (!(isalnum((unsigned char)p[i]) || p[i] == '.') || (unsigned char)p[i] >= 0x80)
				return cw_error_field(err, f->name, "invalid --%s '%s' (a code is letters,"
						      " digits and '.', e.g. 8=poor)", f->name,
						      cw_text_escape(item, q, sizeof(q)));
		memcpy(code, p, cn);
		code[cn] = '\0';
		snprintf(item, sizeof(item), "%.*s", (int)(n - cn - 1 < 40 ? n - cn - 1 : 40), eq + 1);
		if ((idx = cw_vocab_parse(f->vocab, item)) < 0)
			return cw_error_field(err, f->name, "invalid %s '%s' for %s %s (expected %s)",
					      f->vocab->what, cw_text_escape(item, q, sizeof(q)), f->name, code,
					      cw_vocab_expected(f->vocab, exp, sizeof(exp)));
		/* The same code twice: ",8=" or "8=" at the start of what is out. */
		for (const char *o = out; (o = strstr(o, code)) != NULL; o++)
			if ((o == out || o[-1] == ',') && o[cn] == '=')
				return cw_error_field(err, f->name, "%s %s is rated twice", f->name, code);
		len += (size_t)snprintf(out + len, size > len ? size - len : 0, "%s%s=%s", items ? "," : "",
					code, f->vocab->words[idx]);
		if (len >= size || (long)len > f->max)
			return cw_error_field(err, f->name, "too many --%s ratings (at most %ld characters)",
					      f->name, f->max);
		items++;
		p += end ? (size_t)(end - p) + 1 : strlen(p);
		if (end && *p == '\0')
			break;
	}
	if (items == 0)
		return cw_error_field(err, f->name, "missing --%s %s", f->name, f->metavar);
	return true;
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
	case CW_F_RATINGS:
		return ratings_check(f, v, out, size, err);
	case CW_F_BOOL:
		break;
	}
	return cw_error_set(err, CW_EXIT_FAIL, "unknown field type");
}
