/*
 * agent.h - the connection agent: a warm database connection kept between
 * one-shot commands, in the manner of ssh's ControlMaster.
 *
 * A one-shot `carewatch concern add` spends most of its time on the server's
 * first use of each table in a new backend (docs/client.md).  With
 * CAREWATCH_AGENT=1 the first database command starts, in the background, an
 * agent process that keeps one connection (with its prepared statements and
 * caches) open; later commands pass it their arguments, working directory and
 * standard input, output and error (SCM_RIGHTS over a unix socket) and exit
 * with its answer.  The agent runs the command exactly as the command line
 * would, writing straight to the caller's terminal or pipe.
 *
 * Who may use it: the socket lives in a directory only its user can enter
 * ($CAREWATCH_AGENT_DIR, else $XDG_RUNTIME_DIR/carewatch, else
 * /tmp/carewatch-UID, mode 0700, checked), and the agent serves only callers
 * of its own uid (SO_PEERCRED).  Each connection setting (--db and the PG*
 * variables) and each carewatch binary gets its own agent.  An agent exits
 * after CAREWATCH_AGENT_IDLE seconds (default 600) without a command, or on
 * `carewatch agent stop`.  Commands that read files or the terminal, or run
 * long (the shell, guided forms, imports, the nightly, migrations, rules
 * activation), always run in the calling process.
 */
#ifndef CAREWATCH_AGENT_H
#define CAREWATCH_AGENT_H
#include <stdbool.h>

struct cw_ctx;

/* Exit status with which the agent declines a command (it never runs it):
 * the caller runs it itself. */
#define CW_AGENT_DECLINE 125

/* Run argv (after the global options) through the agent when
 * CAREWATCH_AGENT is set and the command may run there.  True when the agent
 * ran it, with *rc its exit status; false when the caller must run it (no
 * agent yet: one is started for the next command; not wanted; declined). */
bool cw_agent_try(const struct cw_ctx *ctx, int argc, char **argv, int *rc);

/* Whether an agent serves ctx's connection settings; its socket path. */
bool cw_agent_running(const struct cw_ctx *ctx, char *path, size_t size);

/* Ask that agent to exit.  True when one was running. */
bool cw_agent_stop(const struct cw_ctx *ctx);
#endif
