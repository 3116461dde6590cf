/*
 * cmd_cqc.c - `carewatch cqc sync`: CQC's API changes since the last sync,
 * stored window by window (cqc_sync.c), for cron or a systemd timer
 * (docs/operations.md).  The subscription key is read from a file named in
 * the environment or the config file, never from the command line.
 */
#include <stdio.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/cqc_sync.h"

static const struct cw_col sync_cols[] = {
	{"outcome", "Outcome", false},
	{"rows", "Count", true},
};

static bool
add(struct cw_table *t, const char *what, long n)
{
	char num[24];
	const char *cells[2] = {what, num};

	snprintf(num, sizeof(num), "%ld", n);
	return cw_table_add(t, cells);
}

static int
run_sync(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_cqc_config c;
	struct cw_cqc_sync_result res;
	struct cw_error err;
	struct cw_table *t;
	char v[8], footer[160];
	bool ok;

	cw_error_clear(&err);
	/* Refuse before any request: only managers and the batch may store. */
	if (!cw_db_value(ctx->db, "SELECT pg_has_role(session_user, 'carewatch_manager', 'MEMBER')"
				  " OR pg_has_role(session_user, 'carewatch_batch', 'MEMBER')", 0, NULL, v,
			 sizeof(v), NULL, &err))
		return cw_fail(&err);
	if (v[0] != 't') {
		cw_error_set(&err, CW_EXIT_DENIED, "permission denied for role %s: cqc sync is for managers and"
			     " the batch", cw_db_user(ctx->db));
		return cw_fail(&err);
	}
	if (!cw_cqc_config_load(&c, &err))
		return cw_fail(&err);
	ok = cw_cqc_sync(ctx->db, &c, cw_arg(a, "from"), cw_arg(a, "until"), &res, &err);
	if (!ok) {
		if (res.windows)
			fprintf(stderr, "carewatch: %ld window%s stored before the failure; the cursor is at %s\n",
				res.windows, res.windows == 1 ? "" : "s", res.cursor);
		return cw_fail(&err);
	}
	t = cw_table_new("CQC API sync", sync_cols, 2);
	ok = t && add(t, "windows stored", res.windows) && add(t, "changed locations", res.changes) &&
	     add(t, "held by carewatch", res.held) && add(t, "not found (404)", res.not_found) &&
	     add(t, "ratings imported", res.imported) && add(t, "ratings unchanged", res.unchanged) &&
	     add(t, "service ratings imported", res.services) && add(t, "beds updated", res.beds) &&
	     add(t, "providers closed", res.closed) && add(t, "requests", res.http.requests) &&
	     add(t, "retries (rate limit or cut connection)", res.http.retries);
	if (!ok) {
		cw_table_free(t);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	snprintf(footer, sizeof(footer), "the cursor is at %s", res.cursor);
	cw_table_footer(t, footer);
	return cw_emit(ctx, t);
}

static const struct cw_opt sync_opts[] = {
	{"from", "TIME", "the first sync only: start here (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)", NULL},
	{"until", "TIME", "stop here (default: now)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_cqc_sync = {
	.name = "cqc sync",
	.summary = "store CQC's API changes since the last sync: ratings, beds, deregistrations",
	.help = "Asks CQC's API which locations changed since the cursor (stored in the database),"
		" window by window, fetches those carewatch holds and stores their ratings (the newest"
		" publication's: currentRatings or assessment[], with their framework and service"
		" ratings), beds and deregistrations; each window is stored whole and only then moves"
		" the cursor.  404s are counted and skipped; rate limits (429, soft 429) and cut"
		" connections are retried with backoff.  The key is read from the file named by"
		" CAREWATCH_CQC_KEY_FILE or key_file in the config file (docs/import.md).  For managers"
		" and the batch; runs from cron or a systemd timer (docs/operations.md).",
	.opts = sync_opts, .min_pos = 0, .max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_sync,
};
