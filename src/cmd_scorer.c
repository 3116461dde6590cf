/*
 * cmd_scorer.c - `carewatch scorer`: the scoring service's command line.
 *
 * The draining is scorer.c; this is the service around it: LISTEN on
 * `carewatch_score`, drain, wait on the connection's socket for the next
 * notification (or a periodic timeout, a safety net for a notification
 * lost while reconnecting), reconnect with back-off when the connection is
 * lost, and stop cleanly on SIGTERM or SIGINT between transactions.  Run by
 * systemd (docs/operations.md); `--once` drains and exits, for cron and the
 * tests.  One line of counts per drain goes to stderr (the journal), never
 * data.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/cmd.h"
#include "carewatch/scorer.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* A whole-number option in [lo, hi], or def when not given. */
static bool
number_opt(const struct cw_args *a, const char *name, long lo, long hi, long def, long *out,
	   struct cw_error *err)
{
	const char *v = cw_arg(a, name);
	char *end;

	*out = def;
	if (v == NULL)
		return true;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || *out < lo || *out > hi)
		return cw_error_field(err, name, "invalid --%s '%.20s' (expected %ld to %ld)", name, v, lo, hi);
	return true;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("scorer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Sleep up to seconds, waking early on a stop signal. */
static void
nap(long seconds)
{
	struct timespec ts = {seconds, 0};

	while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Set up this session (a new one after any reconnect).  The name makes the
 * scorer visible to `rules activate` in pg_stat_activity.  Its reads are a
 * few providers' records by index: starting parallel workers costs more
 * than they save (national scale, 100 providers: 185 ms serial, 280 to
 * 370 ms with two workers).  The streaming engine reads on a connection of
 * its own, which keeps them. */
static bool
session_setup(struct cw_db *db, bool listen, struct cw_error *err)
{
	return cw_db_exec(db, "SET application_name = 'carewatch scorer'", 0, NULL, err) &&
	       cw_db_exec(db, "SET max_parallel_workers_per_gather = 0", 0, NULL, err) &&
	       (!listen || cw_db_exec(db, "LISTEN carewatch_score", 0, NULL, err));
}

/* Wait for a notification (true; notifications read and dropped: they carry
 * nothing), the timeout (true) or a stop signal (true, with stopping set).
 * False when the connection was lost. */
static bool
wait_for_work(struct cw_db *db, long timeout_s)
{
	PGconn *c = cw_db_conn(db);
	struct timespec start, now;
	bool got = false;
	PGnotify *n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = {PQsocket(c), POLLIN, 0};
		long left;
		int rc;

		if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
			return false;
		while ((n = PQnotifies(c)) != NULL) {
			PQfreemem(n);
			got = true;
		}
		if (got || stopping)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_s * 1000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return true;
		if (pfd.fd < 0)
			return false;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			return false;
	}
}

static int
run_scorer(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_scorer_opts opts = {0};
	struct cw_scorer_report rep;
	struct sigaction sa;
	struct cw_error err;
	char line[300];
	long batch, bulk_at, wait_s, backoff = 1;
	int pid = 0;

	cw_error_clear(&err);
	if (!number_opt(a, "batch", 1, 10000, 100, &batch, &err) ||
	    !number_opt(a, "bulk-at", 1, 100000000, 1000, &bulk_at, &err) ||
	    !number_opt(a, "wait", 1, 3600, 60, &wait_s, &err))
		return cw_fail(&err);
	opts.conninfo = ctx->conninfo;
	opts.batch = (int)batch;
	opts.bulk_at = bulk_at;
	if (cw_flag(a, "once")) {
		if (!session_setup(ctx->db, false, &err) || !cw_scorer_drain(ctx->db, &opts, NULL, &rep, &err))
			return cw_fail(&err);
		cw_scorer_report_format(&rep, line, sizeof(line));
		say("%s", line);
		return CW_EXIT_OK;
	}
	/* No SA_RESTART: a signal ends poll() and nanosleep() at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	say("listening for work on carewatch_score");
	while (!stopping) {
		if (ctx->db == NULL) {
			ctx->db = cw_db_open(ctx->conninfo, &err);
			if (ctx->db == NULL) {
				say("cannot connect to the database; trying again in %ld s", backoff);
				nap(backoff);
				backoff = backoff * 2 > 30 ? 30 : backoff * 2;
				continue;
			}
			say("connected again");
		}
		/* A new session (ours, or the one a retried transaction made)
		 * listens afresh and drains what it may have missed. */
		if (PQbackendPID(cw_db_conn(ctx->db)) != pid) {
			if (!session_setup(ctx->db, true, &err))
				goto lost_or_fatal;
			pid = PQbackendPID(cw_db_conn(ctx->db));
		}
		if (!cw_scorer_drain(ctx->db, &opts, &stopping, &rep, &err))
			goto lost_or_fatal;
		backoff = 1;
		if (rep.claimed > 0) {
			cw_scorer_report_format(&rep, line, sizeof(line));
			say("%s", line);
		}
		if (PQbackendPID(cw_db_conn(ctx->db)) != pid)
			continue;
		if (!wait_for_work(ctx->db, wait_s)) {
			cw_error_set(&err, CW_EXIT_UNAVAILABLE, "lost the connection to the database");
			snprintf(err.sqlstate, sizeof(err.sqlstate), "08006");
			goto lost_or_fatal;
		}
		continue;
lost_or_fatal:
		if (cw_db_error_is_connection(&err) || PQstatus(cw_db_conn(ctx->db)) != CONNECTION_OK) {
			say("lost the connection to the database; reconnecting");
			cw_db_close(ctx->db);
			ctx->db = NULL;
			pid = 0;
			continue;
		}
		if (err.code == CW_EXIT_DENIED)
			return cw_fail(&err);
		/* Anything else (a ruleset that no longer parses, say): say so,
		 * and try again at the next notification or timeout. */
		cw_error_print(&err);
		cw_error_clear(&err);
		if (!wait_for_work(ctx->db, wait_s)) {
			cw_db_close(ctx->db);
			ctx->db = NULL;
			pid = 0;
		}
	}
	say("stopped");
	return CW_EXIT_OK;
}

static const struct cw_opt scorer_opts[] = {
	{"once", NULL, "drain the queue once and exit (cron, tests)", NULL},
	{"batch", "N", "providers per transaction (default 100)", NULL},
	{"bulk-at", "N", "queue length from which everyone is rescored by streaming (default 1000)", NULL},
	{"wait", "SECONDS", "drain at least this often even without a notification (default 60)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_scorer = {
	.name = "scorer", .summary = "the scoring service: rescore providers as intelligence is recorded",
	.help = "Run as a login in carewatch_batch, by systemd (docs/operations.md).  Listens on "
		"carewatch_score, takes the providers queued by every write off score_queue and stores "
		"their scores in the same transaction; a large queue (after 'rules activate') is "
		"rescored with the nightly's streaming engine.  Stops cleanly on SIGTERM or SIGINT.",
	.opts = scorer_opts, .max_pos = 0, .flags = CW_CMD_DB, .run = run_scorer,
};
