/*
 * error.c - filling and printing struct cw_error (see error.h for why errors
 * are values rather than prints scattered through the library).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/error.h"

void
cw_error_clear(struct cw_error *e)
{
	memset(e, 0, sizeof(*e));
}

static void
vset(char *buf, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(buf, size, fmt, ap);
}

bool
cw_error_set(struct cw_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return false;
	cw_error_clear(e);
	e->code = code;
	va_start(ap, fmt);
	vset(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

bool
cw_error_field(struct cw_error *e, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return false;
	cw_error_clear(e);
	e->code = CW_EXIT_USAGE;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vset(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

void
cw_error_detail(struct cw_error *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vset(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void
cw_error_hint(struct cw_error *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vset(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

static enum cw_msg_place msg_place = CW_AT_COMMAND_LINE;

enum cw_msg_place
cw_error_place(enum cw_msg_place place)
{
	enum cw_msg_place old = msg_place;

	msg_place = place;
	return old;
}

/* One line of a message; in the shell "'carewatch case list'" is written
 * "'case list'", which is what is typed there. */
static void
put_line(const char *label, const char *text)
{
	static const char prog[] = "'carewatch ";

	fputs(label, stderr);
	if (msg_place == CW_AT_SHELL) {
		const char *p;
		while ((p = strstr(text, prog)) != NULL) {
			fwrite(text, 1, (size_t)(p - text) + 1, stderr);
			text = p + sizeof(prog) - 1;
		}
	}
	fputs(text, stderr);
	fputc('\n', stderr);
}

void
cw_error_print(const struct cw_error *e)
{
	put_line("carewatch: error: ", e->msg[0] ? e->msg : "unknown error");
	if (e->detail[0])
		put_line("detail: ", e->detail);
	if (e->hint[0]) {
		if (msg_place == CW_AT_FORM && strstr(e->hint, "'carewatch ") != NULL)
			put_line("hint: ", "Tab completes the answer; Ctrl-C leaves the form and records nothing");
		else
			put_line("hint: ", e->hint);
	}
}

void
cw_die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("carewatch: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CW_EXIT_USAGE);
}

void
cw_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("carewatch: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
