/*
 * pager.h - long output through a pager, as git and psql do.
 *
 * A command whose output is a list, a report or the help writes into a
 * temporary file while it runs; at the end, output that fits the terminal
 * is written to it directly and longer output goes to $CAREWATCH_PAGER,
 * else $PAGER, else `less -FRX`.  Only when stdout is a terminal and
 * --no-pager was not given; an empty pager or "cat" means none.  Errors go
 * to stderr at once and are never paged, and a statement cancelled with
 * Ctrl-C never leaves a pager waiting (why the output is held, as psql
 * holds a result, rather than piped as it is written).
 */
#ifndef CAREWATCH_PAGER_H
#define CAREWATCH_PAGER_H

#include <stdbool.h>

struct cw_pager {
	int held;        /* the temporary file stdout writes into, -1 when none */
	int terminal;    /* stdout's descriptor before, the terminal */
};

/* The pager command to use, or NULL for none (environment as above; the
 * default only when `less` is on PATH). */
const char *cw_pager_command(void);

/* When stdout is a terminal and a pager is configured, hold stdout in a
 * temporary file until cw_pager_finish.  Tables still fit, and colour
 * still follows, the terminal meanwhile.  Returns false (stdout untouched)
 * otherwise. */
bool cw_pager_start(struct cw_pager *p);

/* Give stdout back its terminal and show what was held: directly when it
 * fits, else through the pager (or directly when the pager cannot be run).
 * Returns false when the output could not be written; the user quitting
 * the pager early is not an error. */
bool cw_pager_finish(struct cw_pager *p);

#endif
