/*
 * error.h - one error value that library code fills and main prints.
 *
 * Library functions never print and never exit: they fill a struct cw_error
 * once, at the point the failure is understood, and return false/-1/NULL.
 * The command dispatcher prints it as
 *
 *     carewatch: error: invalid risk level 'urgent' (expected low, medium, high or very_high)
 *     detail: ...
 *     hint: ...
 *
 * and exits with the error's code.  Tests assert on msg and code directly.
 * Messages never contain free text from concerns or safeguardings (names of
 * fields and vocabulary values only), so they are safe to log.
 */
#ifndef CAREWATCH_ERROR_H
#define CAREWATCH_ERROR_H

#include <stdbool.h>

/* Documented exit codes (docs/carewatch.1, README.md). */
enum cw_exit {
	CW_EXIT_OK = 0,         /* success */
	CW_EXIT_FAIL = 1,       /* the operation failed (database error, I/O) */
	CW_EXIT_USAGE = 2,      /* bad usage or invalid input; nothing written */
	CW_EXIT_UNAVAILABLE = 3,/* cannot connect, or the connection was lost */
	CW_EXIT_DENIED = 4,     /* the database role may not do this */
	CW_EXIT_NOTFOUND = 5,   /* no such provider, case, officer, ... (or ambiguous) */
	CW_EXIT_BUSY = 6,       /* another nightly run (or score backfill) holds the lock */
	CW_EXIT_CONFLICT = 7,   /* refused because of the data's state (e.g. changed migration) */
};

struct cw_error {
	int code;               /* an enum cw_exit value; 0 when no error */
	char sqlstate[6];       /* PG_DIAG_SQLSTATE when the database reported it */
	char field[48];         /* the input field at fault, when there is one */
	char msg[512];
	char detail[512];
	char hint[256];
};

/* Reset to "no error".  Never fails. */
void cw_error_clear(struct cw_error *e);

/* Set code and message (replaces any earlier message).  Always returns false,
 * so callers can write `return cw_error_set(err, ...);`. */
bool cw_error_set(struct cw_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As cw_error_set, and record which input field was at fault. */
bool cw_error_field(struct cw_error *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void cw_error_detail(struct cw_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cw_error_hint(struct cw_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "carewatch: error: ..." (and detail:/hint: lines) to stderr. */
void cw_error_print(const struct cw_error *e);

/* Where messages are read, so that they say what can be done there: on the
 * command line "run 'carewatch case list'"; in the shell "run 'case list'"
 * (the shell runs commands without the program name); in a guided form,
 * where no command can be run, a hint naming one is replaced by what the
 * form offers.  Returns the previous place, to put back. */
enum cw_msg_place { CW_AT_COMMAND_LINE, CW_AT_SHELL, CW_AT_FORM };
enum cw_msg_place cw_error_place(enum cw_msg_place place);

/* Print a one-off message in the same style; for main and the shell. */
void cw_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void cw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
