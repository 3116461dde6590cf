/*
 * complete.h - line input for people at a terminal: splitting a line into
 * words, tab completion, and reading a line with GNU readline.
 *
 * The guided form (form.h) and `carewatch shell` both read lines here, so
 * they edit, complete and treat Ctrl-C alike.  What can be completed comes
 * from the places that define it, never from a second list: command words
 * and options from the command table (cmd.h), allowed values from the
 * vocabularies (vocab.h), and provider names, CQC location IDs, localities,
 * officers and open case numbers from the database with parameterised
 * queries.  The word-level functions are plain (words in, words out) so the
 * tests call them without a terminal; the readline glue is a thin layer on
 * top.
 */
#ifndef CAREWATCH_COMPLETE_H
#define CAREWATCH_COMPLETE_H

#include <stdbool.h>

#include "carewatch/cmd.h"
#include "carewatch/db.h"
#include "carewatch/error.h"
#include "carewatch/vocab.h"

/* A growable list of strings it owns. */
struct cw_words {
	char **v;                      /* NULL-terminated when n > 0 */
	int n, cap;
};

/* Append a copy of s; false only when out of memory. */
bool cw_words_add(struct cw_words *w, const char *s);
/* Free the strings and the list; w is empty afterwards.  Never fails. */
void cw_words_free(struct cw_words *w);

/* Split line the way a shell would: words are separated by blanks; '...'
 * is literal; in "..." a backslash escapes " and \ only; outside quotes a
 * backslash escapes the next character; a word starting with # begins a
 * comment.  On an unterminated quote: with partial (completion) the open
 * word ends the line and *open_quote (may be NULL) gets the quote
 * character; without, CW_EXIT_USAGE "unterminated quote" and out is left
 * empty.  out must be
 * empty; caller frees it with cw_words_free(). */
bool cw_split_line(const char *line, bool partial, struct cw_words *out, char *open_quote,
		   struct cw_error *err) __attribute__((warn_unused_result));

/* s as one word of a line that cw_split_line reads back as s: as it is
 * when it needs no quoting, else in double quotes with " and \ escaped.
 * Caller frees; NULL only when out of memory. */
char *cw_quote_word(const char *s);

/* Words of v starting with text, ignoring case and '-' / '_' differences
 * ("very" gives very_high).  Appended to out. */
void cw_complete_vocab(const struct cw_vocab *v, const char *text, struct cw_words *out);

/* Provider names containing text (ignoring case; names starting with it
 * first), or CQC location IDs starting with text when text starts "1-".
 * At most limit, appended to out.  False with err filled when the query
 * fails. */
bool cw_complete_provider(struct cw_db *db, const char *text, int limit, struct cw_words *out,
			  struct cw_error *err) __attribute__((warn_unused_result));

/* Candidates for the word text of a command line (the shell), given the
 * part of the line before that word.  Completes command words (and the
 * NULL-terminated extra words, e.g. the shell's "quit", in first position),
 * then the command's options, an option's value (vocabulary, format,
 * locality, officer) and positional arguments (providers for P, officers,
 * open case numbers, command names for `help`).  *filenames is set when the
 * word is a FILE, for the caller to complete file names.  db may be NULL
 * (no database candidates).  Appended to out, sorted and without
 * duplicates. */
void cw_complete_line(struct cw_db *db, const char *before, const char *text,
		      const char *const *extra, struct cw_words *out, bool *filenames);

/* What Tab completes in the next cw_read_line. */
enum cw_complete_what {
	CW_COMPLETE_NOTHING,
	CW_COMPLETE_COMMAND,           /* a whole command line (the shell) */
	CW_COMPLETE_PROVIDER,          /* the whole line is a provider reference */
	CW_COMPLETE_VOCAB,             /* the whole line is one word of a vocabulary */
};

/* Set up readline for carewatch (once): completion through ctx->db (read
 * at each Tab, so a reconnected shell is seen), no changes to LINES and
 * COLUMNS.  ctx must outlive all reads. */
void cw_complete_init(struct cw_ctx *ctx);
/* Choose what Tab completes; vocab for CW_COMPLETE_VOCAB, extra first words
 * for CW_COMPLETE_COMMAND (NULL-terminated, may be NULL). */
void cw_complete_set(enum cw_complete_what what, const struct cw_vocab *vocab,
		     const char *const *extra);

enum cw_read_status {
	CW_READ_LINE,                  /* *line is the text (caller frees) */
	CW_READ_EOF,                   /* Ctrl-D on an empty line, or end of input */
	CW_READ_INTERRUPT,             /* Ctrl-C: the line was abandoned */
};

/* Read one line at the terminal with readline: prompt, editing, history
 * (the caller adds lines to it), completion as set, and prefill already
 * typed in (may be NULL).  Ctrl-C abandons the line instead of killing the
 * program. */
enum cw_read_status cw_read_line(const char *prompt, const char *prefill, char **line);

#endif
