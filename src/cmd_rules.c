/*
 * cmd_rules.c - `carewatch rules check | activate | show | diff` and
 * `provider explain`: the scoring rules as a user sees them.
 *
 * `rules check` needs no database.  `activate` stores the ruleset by content
 * hash and makes it active; the activation's trigger queues every active
 * provider and the scorer (`carewatch scorer`, the batch role) rescores them:
 * no person's login writes a score.  `diff` scores everyone under both
 * rulesets and writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carewatch/backtest.h"
#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"
#include "carewatch/scoring.h"

static struct cw_ruleset *
load_or_fail(const char *path, int *rc)
{
	struct cw_rules_error rerr;
	struct cw_ruleset *rs = cw_rules_load(path, &rerr);
	char buf[2048];

	if (rs == NULL) {
		cw_rules_error_format(&rerr, buf, sizeof(buf));
		fputs(buf, stderr);
		*rc = rerr.line == 0 ? CW_EXIT_FAIL : CW_EXIT_USAGE;
	}
	return rs;
}

static int
run_check(struct cw_ctx *ctx, const struct cw_args *a)
{
	int rc = 0;
	struct cw_ruleset *rs = load_or_fail(a->pos[0], &rc);

	(void)ctx;
	if (rs == NULL)
		return rc;
	printf("%s: ok: ruleset '%s', sha256 %s\n", a->pos[0], cw_rules_name(rs), cw_rules_hash(rs));
	printf("response targets (working days): medium %d, high %d, very high %d; target %d%% on time\n",
	       cw_rules_response_days(rs, CW_RISK_MEDIUM), cw_rules_response_days(rs, CW_RISK_HIGH),
	       cw_rules_response_days(rs, CW_RISK_VERY_HIGH), cw_rules_response_target_pct(rs));
	cw_rules_free(rs);
	return CW_EXIT_OK;
}

/* Score every active provider under rs at as_of, calling fn for each. */
typedef bool (*each_score_fn)(void *ctx, const char *provider_id, const struct cw_score *s,
			      struct cw_error *err);

static bool
score_all(struct cw_db *db, const struct cw_ruleset *rs, cw_time as_of, each_score_fn fn,
	  void *ctx, struct cw_error *err)
{
	struct cw_provider_intel pi;
	PGresult *r;
	bool ok = true;

	/* One query per provider keeps memory bounded by the busiest provider;
	 * the nightly batch streams instead (cmd_nightly.c). */
	r = cw_db_query(db, "SELECT id FROM provider WHERE status = 'active' ORDER BY id", 0, NULL, err);
	if (r == NULL)
		return false;
	cw_intel_init(&pi);
	for (int i = 0; ok && i < PQntuples(r); i++) {
		struct cw_score s;

		memset(&s, 0, sizeof(s));
		ok = cw_intel_load(db, PQgetvalue(r, i, 0), &pi, err) &&
		     cw_score_evaluate_summary(rs, &pi, as_of, &s, err) && fn(ctx, PQgetvalue(r, i, 0), &s, err);
		cw_score_free(&s);
	}
	cw_intel_free(&pi);
	PQclear(r);
	return ok;
}

struct activate_job {
	const struct cw_ruleset *rs;
	const char *body;
	char id[CW_UUID_LEN], act[CW_UUID_LEN];
	char queued[24], scorers[24];
};

/* Record the activation; the trigger on ruleset_activation queues every
 * active provider for the scorer in this same transaction. */
static bool
activate_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct activate_job *job = ctx;
	const char *p[4] = {job->id, cw_rules_name(job->rs), cw_rules_hash(job->rs), job->body};
	const char *q[2] = {job->act, cw_rules_hash(job->rs)};

	return cw_db_exec(db, "INSERT INTO ruleset (id, name, hash, body) VALUES ($1, $2, $3, $4)"
			      " ON CONFLICT (hash) DO NOTHING", 4, p, err) &&
	       cw_db_exec(db, "INSERT INTO ruleset_activation (id, ruleset_id)"
			      " SELECT $1, id FROM ruleset WHERE hash = $2", 2, q, err) &&
	       cw_db_value(db, "SELECT count(*) FROM score_queue WHERE cause = 'activate'", 0, NULL, job->queued,
			   sizeof(job->queued), NULL, err) &&
	       /* Any login sees other sessions' application names. */
	       cw_db_value(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
			       " AND application_name = 'carewatch scorer'", 0, NULL, job->scorers,
			   sizeof(job->scorers), NULL, err);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static int
run_activate(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct activate_job job;
	struct cw_error err;
	int rc = 0;

	cw_error_clear(&err);
	memset(&job, 0, sizeof(job));
	job.rs = load_or_fail(a->pos[0], &rc);
	if (job.rs == NULL)
		return rc;
	job.body = slurp(a->pos[0]);
	if (job.body == NULL) {
		cw_rules_free((struct cw_ruleset *)job.rs);
		cw_error_set(&err, CW_EXIT_FAIL, "cannot read %s", a->pos[0]);
		return cw_fail(&err);
	}
	cw_uuid_new(job.id);
	cw_uuid_new(job.act);
	if (!cw_db_transaction(ctx->db, "READ COMMITTED", activate_work, &job, NULL, &err)) {
		free((char *)job.body);
		cw_rules_free((struct cw_ruleset *)job.rs);
		return cw_fail(&err);
	}
	printf("activated ruleset '%s' (sha256 %s); queued %s provider%s: the scorer rescores them\n",
	       cw_rules_name(job.rs), cw_rules_hash(job.rs), job.queued, strcmp(job.queued, "1") == 0 ? "" : "s");
	/* Said on stdout, with the result: it is what happens next, not a fault. */
	if (strcmp(job.scorers, "0") == 0)
		printf("no scorer is connected to this database: the scores change once 'carewatch scorer'"
		       " runs (docs/operations.md)\n");
	free((char *)job.body);
	cw_rules_free((struct cw_ruleset *)job.rs);
	return CW_EXIT_OK;
}

static int
run_show(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	PGresult *r;

	cw_error_clear(&err);
	r = cw_db_query(ctx->db, "SELECT name, hash, to_char(activated_at, 'YYYY-MM-DD HH24:MI'),"
				 " activated_by, body FROM active_ruleset", 0, NULL, &err);
	if (r == NULL)
		return cw_fail(&err);
	if (PQntuples(r) == 0) {
		PQclear(r);
		cw_error_set(&err, CW_EXIT_NOTFOUND, "no ruleset is active");
		cw_error_hint(&err, "activate one with 'carewatch rules activate rules/default.rules'");
		return cw_fail(&err);
	}
	printf("# active ruleset '%s'\n# sha256 %s\n# activated %s by %s\n", PQgetvalue(r, 0, 0),
	       PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
	if (!cw_flag(a, "summary"))
		fputs(PQgetvalue(r, 0, 4), stdout);
	PQclear(r);
	return CW_EXIT_OK;
}

struct diff_job {
	const struct cw_ruleset *cand;
	cw_time as_of;
	long matrix[CW_RISK__N][CW_RISK__N];
	struct cw_table *moves;
	struct cw_db *db;
};

static bool
diff_one(void *ctx, const char *provider_id, const struct cw_score *cur, struct cw_error *err)
{
	struct diff_job *job = ctx;
	struct cw_provider_intel pi;
	struct cw_score s;
	bool ok;

	cw_intel_init(&pi);
	memset(&s, 0, sizeof(s));
	ok = cw_intel_load(job->db, provider_id, &pi, err) &&
	     cw_score_evaluate_summary(job->cand, &pi, job->as_of, &s, err);
	if (ok) {
		job->matrix[cur->band][s.band]++;
		if (cur->band != s.band) {
			char from[16], to[16], name[304] = "";
			const char *p[1] = {provider_id};
			const char *cells[6];
			struct cw_error ign;

			if (!cw_db_value(job->db, "SELECT name FROM provider WHERE id = $1", 1, p, name,
					 sizeof(name), NULL, &ign))
				name[0] = '\0';
			snprintf(from, sizeof(from), "%.2f", cur->total);
			snprintf(to, sizeof(to), "%.2f", s.total);
			cells[0] = name;
			cells[1] = cw_vocab_word(&cw_vocab_risk, (int)cur->band);
			cells[2] = cw_vocab_word(&cw_vocab_risk, (int)s.band);
			cells[3] = from;
			cells[4] = to;
			cells[5] = provider_id;
			cw_table_add(job->moves, cells);
		}
	}
	cw_score_free(&s);
	cw_intel_free(&pi);
	return ok;
}

static int
run_diff(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col mcols[] = {
		{"active_band", "Active \\ candidate", false}, {"low", "Low", true},
		{"medium", "Medium", true}, {"high", "High", true}, {"very_high", "Very high", true},
	};
	static const struct cw_col pcols[] = {
		{"provider", "Provider", false}, {"from_band", "From", false}, {"to_band", "To", false},
		{"from_score", "Score now", true}, {"to_score", "Candidate", true}, {"id", "ID", CW_COL_UUID},
	};
	struct diff_job job;
	struct cw_error err;
	const struct cw_ruleset *active;
	struct cw_table *m;
	bool none;
	int rc = 0;

	cw_error_clear(&err);
	/* Any option but --db and --format belongs to --backtest. */
	for (int i = 0; i < a->nopts; i++)
		if (strcmp(a->names[i], "db") != 0 && strcmp(a->names[i], "format") != 0)
			return cw_backtest_rules_diff(ctx, a);
	if (ctx->format == CW_FMT_HTML) {
		cw_error_set(&err, CW_EXIT_USAGE, "--format html is for --backtest");
		return cw_fail(&err);
	}
	memset(&job, 0, sizeof(job));
	job.cand = load_or_fail(a->pos[0], &rc);
	if (job.cand == NULL)
		return rc;
	active = cw_scoring_active(ctx->db, &none, &err);
	if (active == NULL) {
		if (none) {
			cw_error_set(&err, CW_EXIT_NOTFOUND, "no ruleset is active to compare with");
			cw_error_hint(&err, "'carewatch rules activate FILE' makes one active");
		}
		cw_rules_free((struct cw_ruleset *)job.cand);
		return cw_fail(&err);
	}
	job.as_of = (cw_time)time(NULL);
	job.db = ctx->db;
	job.moves = cw_table_new("Providers that change band", pcols, 6);
	/* Reads in one snapshot so both rulesets see the same data. */
	if (!cw_db_exec(ctx->db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, &err) ||
	    !score_all(ctx->db, active, job.as_of, diff_one, &job, &err)) {
		cw_table_free(job.moves);
		cw_rules_free((struct cw_ruleset *)job.cand);
		return cw_fail(&err);
	}
	if (!cw_db_exec(ctx->db, "COMMIT", 0, NULL, &err))
		return cw_fail(&err);
	m = cw_table_new("Bands: active (rows) against candidate (columns)", mcols, 5);
	for (int i = 0; i < CW_RISK__N; i++) {
		char n[CW_RISK__N][24];
		const char *cells[5] = {cw_vocab_label(&cw_vocab_risk, i), n[0], n[1], n[2], n[3]};
		for (int j = 0; j < CW_RISK__N; j++)
			snprintf(n[j], sizeof(n[j]), "%ld", job.matrix[i][j]);
		cw_table_add(m, cells);
	}
	cw_table_footer(m, "");
	if (ctx->format == CW_FMT_TABLE) {
		cw_emit(ctx, m);
		putchar('\n');
	} else {
		cw_table_free(m);
	}
	cw_rules_free((struct cw_ruleset *)job.cand);
	return cw_emit(ctx, job.moves);
}

static int
run_explain(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"rule", "Rule", false}, {"date", "Date", CW_COL_DATE}, {"raw", "Weight", true},
		{"decayed", "After decay", true}, {"contribution", "Contribution", true},
		{"note", "How", false},
	};
	struct cw_error err;
	struct cw_provider_intel pi;
	struct cw_score s;
	const struct cw_ruleset *rs;
	char pid[CW_UUID_LEN], pname[304];
	cw_time as_of = (cw_time)time(NULL);
	bool none;
	struct cw_table *t;

	cw_error_clear(&err);
	if (cw_arg(a, "as-of")) {
		struct cw_date d;
		if (!cw_date_parse(cw_arg(a, "as-of"), "as-of", &d, &err))
			return cw_fail(&err);
		as_of = cw_london_end_of_day(d);
	}
	if (!cw_provider_resolve(ctx->db, a->pos[0], pid, pname, sizeof(pname), &err))
		return cw_fail(&err);
	rs = cw_scoring_active(ctx->db, &none, &err);
	if (rs == NULL) {
		if (none) {
			cw_error_set(&err, CW_EXIT_NOTFOUND, "no ruleset is active");
			cw_error_hint(&err, "activate one with 'carewatch rules activate rules/default.rules'");
		}
		return cw_fail(&err);
	}
	cw_intel_init(&pi);
	memset(&s, 0, sizeof(s));
	if (!cw_intel_load(ctx->db, pid, &pi, &err) || !cw_score_evaluate(rs, &pi, as_of, &s, &err)) {
		cw_intel_free(&pi);
		return cw_fail(&err);
	}
	if (ctx->format == CW_FMT_JSON) {
		char *json = cw_score_to_json(&s);
		printf("%s\n", json);
		free(json);
	} else {
		char title[512], footer[1400], asof[40];
		cw_time_format(as_of, asof, sizeof(asof));
		snprintf(title, sizeof(title), "%s: score as of %s under '%s'", pname, asof, s.ruleset);
		t = cw_table_new(title, cols, 6);
		for (size_t i = 0; i < s.n; i++) {
			const struct cw_contribution *c = &s.items[i];
			char date[16], raw[24], dec[24], cap[24];
			const char *cells[6] = {c->rule, date, raw, dec, cap, c->note};
			cw_date_format(cw_date_from_time(c->at), date, sizeof(date));
			snprintf(raw, sizeof(raw), "%.2f", c->raw);
			snprintf(dec, sizeof(dec), "%.2f", c->decayed);
			snprintf(cap, sizeof(cap), "%.2f", c->capped);
			cw_table_add(t, cells);
		}
		snprintf(footer, sizeof(footer), "total %.2f: band %s%s%s%s%s", s.total,
			 cw_vocab_label(&cw_vocab_risk, (int)s.band),
			 s.adjustments[0] ? "\nadjustments: " : "", s.adjustments,
			 s.flag ? "\nplacement-restriction flag: " : "", s.flag ? s.flag_reasons : "");
		cw_table_footer(t, footer);
		cw_emit(ctx, t);
	}
	cw_score_free(&s);
	cw_intel_free(&pi);
	return CW_EXIT_OK;
}

static const struct cw_opt show_opts[] = {
	{"summary", NULL, "only the name, hash and activation, not the rules text", NULL},
	{NULL, NULL, NULL, NULL},
};
static const struct cw_opt explain_opts[] = {
	{"as-of", "DATE", "score as known at the end of DATE (default now)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_rules_check = {
	.name = "rules check", .synopsis = "FILE", .summary = "validate a rules file (no database needed)",
	.help = "Errors name the file, line and column, and show the line with a caret.",
	.min_pos = 1, .max_pos = 1, .run = run_check,
};
const struct cw_cmd cw_cmd_rules_activate = {
	.name = "rules activate", .synopsis = "FILE",
	.summary = "store a ruleset and make it active; the scorer rescores everyone",
	.min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_activate,
};
const struct cw_cmd cw_cmd_rules_show = {
	.name = "rules show", .summary = "print the active ruleset and its hash",
	.opts = show_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB, .run = run_show,
};
const struct cw_cmd cw_cmd_rules_diff = {
	.name = "rules diff", .synopsis = "FILE",
	.summary = "compare bands under the active and a candidate ruleset (writes nothing)",
	.help = "With --backtest, compares how well the two predicted on past month ends instead "
		"(carewatch backtest, side by side).",
	.opts = cw_backtest_diff_opts, .min_pos = 1, .max_pos = 1,
	.flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT | CW_CMD_HTML, .run = run_diff,
};
const struct cw_cmd cw_cmd_provider_explain = {
	.name = "provider explain", .synopsis = "P",
	.summary = "show how a provider's score is made, contribution by contribution",
	.opts = explain_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_explain,
};
