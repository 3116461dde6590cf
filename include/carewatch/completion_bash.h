/*
 * completion_bash.h - the bash completion script, generated from the
 * command table.
 *
 * `carewatch help --bash-completion` prints it and `make install` installs
 * it as share/bash-completion/completions/carewatch.  The script is data
 * (case statements) plus one walk of the typed words in bash; the data is
 * what the shell's own Tab completion (complete.h) answers for each command
 * word, option and vocabulary, asked without a database, so the two cannot
 * disagree.  Candidates that need the database (provider names, officers,
 * localities, case numbers) are not in it.
 */
#ifndef CAREWATCH_COMPLETION_BASH_H
#define CAREWATCH_COMPLETION_BASH_H

#include <stdbool.h>
#include <stdio.h>

#include "carewatch/error.h"

/* Write the script to f: it defines _carewatch and runs
 * `complete -F _carewatch carewatch`.  False with err filled (CW_EXIT_FAIL)
 * only when out of memory, and then nothing was written.  Write errors are
 * left in f's error indicator for the caller (the dispatcher checks
 * stdout). */
bool cw_completion_bash(FILE *f, struct cw_error *err) __attribute__((warn_unused_result));

#endif
