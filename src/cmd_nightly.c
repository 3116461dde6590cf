/*
 * cmd_nightly.c - `carewatch nightly`, `flags`, `flag accept|dismiss`.
 *
 * The batch itself is nightly.c; this is its command line (quiet unless on a
 * terminal, so cron mails only errors) and the quality manager's review of
 * the placement-restriction flags it raises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/nightly.h"
#include "carewatch/record.h"
#include "carewatch/scoring.h"

static int
run_nightly(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_nightly_opts opts = {0};
	struct cw_nightly_report rep;
	struct cw_error err;
	char asof[40];

	cw_error_clear(&err);
	if (cw_flag(a, "show-query")) {
		/* The one statement the run streams, for EXPLAIN and benchmarks. */
		printf("%s\n", cw_intel_rows_sql);
		return CW_EXIT_OK;
	}
	opts.conninfo = ctx->conninfo;
	opts.dry_run = cw_flag(a, "dry-run");
	{
		static const struct cw_field readers_f = {"readers", CW_F_INT, NULL, false, 1,
							  CW_NIGHTLY_READERS_MAX, "N", "", NULL};
		char n[16];
		bool is_null;
		if (!cw_field_check(&readers_f, cw_arg(a, "readers"), n, sizeof(n), &is_null, &err))
			return cw_fail(&err);
		opts.readers = is_null ? CW_NIGHTLY_READERS_DEFAULT : atoi(n);
	}
	opts.as_of = (cw_time)time(NULL);
	if (cw_arg(a, "as-of")) {
		struct cw_date d;
		if (!cw_date_parse(cw_arg(a, "as-of"), "as-of", &d, &err))
			return cw_fail(&err);
		opts.as_of = cw_london_end_of_day(d);
	}
	opts.progress = isatty(STDERR_FILENO) && !cw_flag(a, "quiet") ? stderr : NULL;
	if (!cw_nightly_run(ctx->db, &opts, &rep, &err))
		return cw_fail(&err);
	if (cw_flag(a, "quiet") && !opts.dry_run)
		return CW_EXIT_OK;
	cw_time_format(opts.as_of, asof, sizeof(asof));
	printf("%s as of %s under '%s' (%.12s): %ld providers, %ld records in %.1f s\n",
	       opts.dry_run ? "dry run" : "nightly run", asof, rep.ruleset, rep.hash, rep.providers,
	       rep.records, rep.seconds);
	if (rep.history) {
		char later[40];
		cw_time_format(rep.published_as_of, later, sizeof(later));
		printf("history only (the run as of %s is published): %s %ld score%s; current scores, flags"
		       " and overdue marks unchanged\n",
		       later, opts.dry_run ? "would write" : "wrote", rep.scores_written,
		       rep.scores_written == 1 ? "" : "s");
		return CW_EXIT_OK;
	}
	printf("%s %ld score%s, %ld band change%s, %ld flag%s raised, %ld lapsed, %ld case%s newly overdue\n",
	       opts.dry_run ? "would write" : "wrote", rep.scores_written, rep.scores_written == 1 ? "" : "s",
	       rep.band_changes, rep.band_changes == 1 ? "" : "s", rep.flags_raised,
	       rep.flags_raised == 1 ? "" : "s", rep.flags_lapsed, rep.cases_overdue,
	       rep.cases_overdue == 1 ? "" : "s");
	if (rep.month_end[0])
		printf("%s the month-end case counts for %s\n", opts.dry_run ? "would record" : "recorded",
		       rep.month_end);
	return CW_EXIT_OK;
}

static int
run_flags(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"flag", "Flag", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", false},
		{"care_type", "Care type", CW_COL_HIDE(1)}, {"locality", "Locality", CW_COL_HIDE(2)},
		{"score", "Score", true}, {"band", "Band", false}, {"raised", "Raised", CW_COL_DATE},
		{"state", "State", false}, {"reasons", "Reasons", false},
	};
	const char *p[1] = {cw_flag(a, "all") ? "f" : "t"};
	struct cw_error err;
	struct cw_table *t;
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(ctx->db,
			"SELECT f.number::text, p.name, p.care_type, p.locality, f.score::text, f.band,"
			" to_char(f.recorded_at, 'YYYY-MM-DD'), f.state, f.reasons"
			" FROM restriction_flag f JOIN provider p ON p.id = f.provider_id"
			" WHERE NOT $1::bool OR f.state = 'open'"
			" ORDER BY f.state = 'open' DESC, f.score DESC, f.number",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	t = cw_db_table(r, cw_flag(a, "all") ? "Placement-restriction flags"
					   : "Open placement-restriction flags (accept or dismiss each)",
			 cols, 9);
	PQclear(r);
	return cw_emit(ctx, t);
}

struct decide_job {
	const char *flag_id, *note, *kind, *restriction_id, *from;
	bool accept;
	int changed;
};

/* api.flag_decide checks the caller is the quality manager and the flag is
 * open, records the session user as the decider and, on acceptance,
 * creates the restriction; false back means a retry of the same decision. */
static bool
decide_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct decide_job *job = ctx;
	const char *p[6] = {job->flag_id, job->accept ? "t" : "f", job->note,
			    job->accept ? job->kind : NULL, job->accept ? job->from : NULL,
			    job->accept ? job->restriction_id : NULL};
	char v[8];

	if (!cw_db_value(db, "SELECT api.flag_decide($1, $2, $3, $4, $5, $6)", 6, p, v, sizeof(v),
			 NULL, err))
		return false;
	job->changed = v[0] == 't';
	return true;
}

static int
decide(struct cw_ctx *ctx, const struct cw_args *a, bool accept)
{
	static const struct cw_field note_f = {"note", CW_F_TEXT, NULL, true, 1, CW_TEXT_MAX, "TEXT", "", NULL};
	static const struct cw_field from_f = {"from", CW_F_DATE, NULL, false, 0, CW_F_ANY_DAY, "DATE",
					       "", "today"};
	struct decide_job job = {0};
	char from[16];
	struct cw_error err;
	char id[CW_UUID_LEN], state[16], rid[CW_UUID_LEN], *note = malloc(CW_TEXT_BYTES);
	const char *p[1] = {a->pos[0]};
	bool found, is_null;
	int kind = 0;
	PGresult *r;

	cw_error_clear(&err);
	if (!cw_field_check(&note_f, cw_arg(a, "note"), note, CW_TEXT_BYTES, &is_null, &err)) {
		free(note);
		return cw_fail(&err);
	}
	if (!cw_field_check(&from_f, cw_arg(a, "from"), from, sizeof(from), &is_null, &err)) {
		free(note);
		return cw_fail(&err);
	}
	job.from = from;
	if (cw_arg(a, "kind") && (kind = cw_vocab_parse(&cw_vocab_restriction_kind, cw_arg(a, "kind"))) < 0)
		kind = 0;
	r = cw_db_query(ctx->db, "SELECT id, state FROM restriction_flag WHERE number::text = $1"
				 " OR id::text = lower($1)", 1, p, &err);
	if (r == NULL) {
		free(note);
		return cw_fail(&err);
	}
	found = PQntuples(r) == 1;
	if (found) {
		snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
		snprintf(state, sizeof(state), "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	if (!found) {
		free(note);
		cw_error_set(&err, CW_EXIT_NOTFOUND, "no flag %.40s", a->pos[0]);
		cw_error_hint(&err, "'carewatch flags' lists the open flags");
		return cw_fail(&err);
	}
	if (strcmp(state, "open") != 0) {
		free(note);
		cw_error_set(&err, CW_EXIT_CONFLICT, "flag %s is already %s", a->pos[0], state);
		return cw_fail(&err);
	}
	{
		/* Derive the restriction's id from the flag's (UUID v5 of "restriction"). */
		char base[CW_UUID_LEN];
		snprintf(base, sizeof(base), "%s", id);
		cw_uuid_derive(base, "restriction", rid);
	}
	job.flag_id = id;
	job.note = note;
	job.kind = cw_vocab_restriction_kind.words[kind];
	job.restriction_id = rid;
	job.accept = accept;
	if (!cw_db_transaction(ctx->db, "READ COMMITTED", decide_work, &job, NULL, &err)) {
		free(note);
		return cw_fail(&err);
	}
	free(note);
	if (job.changed == 0) {
		/* A retry after a lost COMMIT: the decision stands as recorded. */
		printf("flag %s was already %s by you; nothing changed\n", a->pos[0],
		       accept ? "accepted" : "dismissed");
		return CW_EXIT_OK;
	}
	if (accept)
		printf("accepted flag %s: restriction %s on %s placements from %s\n", a->pos[0], rid,
		       job.kind, from);
	else
		printf("dismissed flag %s\n", a->pos[0]);
	return CW_EXIT_OK;
}

static int
run_accept(struct cw_ctx *ctx, const struct cw_args *a)
{
	return decide(ctx, a, true);
}

static int
run_dismiss(struct cw_ctx *ctx, const struct cw_args *a)
{
	return decide(ctx, a, false);
}

static const struct cw_opt nightly_opts[] = {
	{"as-of", "DATE", "score as known at the end of DATE (default now)", NULL},
	{"dry-run", NULL, "compute and report what would change, write nothing", NULL},
	{"quiet", NULL, "print nothing unless something fails (for cron)", NULL},
	{"readers", "N", "read over N connections, scored by N threads (1 to 8, default 2)",
	 NULL},
	{"show-query", NULL, "print the query that streams the intelligence, and exit", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt flags_opts[] = {
	{"open", NULL, "only open flags (the default)", NULL},
	{"all", NULL, "every flag, decided ones too", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt accept_opts[] = {
	{"note", "TEXT", "why (required)", NULL},
	{"kind", "K", "restriction on all placements (default) or partial", &cw_vocab_restriction_kind},
	{"from", "DATE", "first day of the restriction (default today)", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt dismiss_opts[] = {
	{"note", "TEXT", "why (required)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_nightly = {
	.name = "nightly", .summary = "recompute every score, raise flags, mark overdue cases",
	.help = "Atomic (all results appear at one commit), idempotent (a rerun for the same as-of "
		"changes nothing) and exclusive (a second concurrent run exits 6).  A run for an as-of "
		"before the latest published run's writes score history only.  See docs/operations.md.",
	.opts = nightly_opts, .max_pos = 0, .flags = CW_CMD_DB, .run = run_nightly,
};
const struct cw_cmd cw_cmd_flags = {
	.name = "flags", .summary = "placement-restriction flags for the quality manager to review",
	.opts = flags_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_flags,
};
const struct cw_cmd cw_cmd_flag_accept = {
	.name = "flag accept", .synopsis = "FLAG", .summary = "accept a flag: restrict placements",
	.opts = accept_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_accept,
};
const struct cw_cmd cw_cmd_flag_dismiss = {
	.name = "flag dismiss", .synopsis = "FLAG", .summary = "dismiss a flag after review",
	.opts = dismiss_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_dismiss,
};
