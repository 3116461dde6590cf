/*
 * cmd_caseload.c - `carewatch caseload [--suggest | --apply | --month-end M]`:
 * the quality manager's view of who holds what.
 *
 * Plain `caseload` shows each officer's open cases by risk level, the
 * weighted load, load per FTE, share of the team's load against the fair
 * share, and the team's imbalance; `--suggest` adds the moves the balancer
 * (balance.h) proposes to bring everyone within 15% of the mean, and
 * `--apply` carries them out in one audited transaction (worklist.h).
 * `--month-end` records the month's active case counts for the dashboards.
 * With --format csv or json one table is printed: the officers, or with
 * --suggest/--apply the moves (a band that cannot be reached is then a
 * warning on stderr).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/worklist.h"

static const struct cw_col load_cols[] = {
	{"officer", "Officer", CW_COL_ID}, {"fte", "FTE", true},
	/* The count in each band may be hidden to fit: Load weighs them up. */
	{"low", "Low", CW_COL_NUMBER | CW_COL_HIDE(1)}, {"medium", "Medium", CW_COL_NUMBER | CW_COL_HIDE(1)},
	{"high", "High", CW_COL_NUMBER | CW_COL_HIDE(1)},
	{"very_high", "Very high", CW_COL_NUMBER | CW_COL_HIDE(1)},
	{"open", "Open", true}, {"load", "Load", true},
	{"load_per_fte", "Per FTE", true}, {"share_pct", "Share %", true},
	{"fair_share_pct", "Fair %", true}, {"vs_mean", "vs mean", true},
	{"overdue", "Overdue", true}, {"after_per_fte", "After", true},
	{"moves", "Moves", false}, {"status", "Status", false},
};
enum { COL_AFTER = 13, COL_MOVES = 14, COL_STATUS = 15, NCOLS = 16 };

static const struct cw_col move_cols[] = {
	{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", false},
	{"locality", "Locality", CW_COL_HIDE(1)}, {"risk", "Risk", false}, {"weight", "Weight", true},
	{"from", "From", CW_COL_ID}, {"to", "To", CW_COL_ID},
};

/* v with `decimals` (1 or 2) places, like printf("%.*f"), written by hand:
 * printf's floating-point path was a tenth of the whole command's time at
 * national scale (1,700 officers x 8 figures).  A half in the next place
 * rounds away from zero (6.25 gives 6.3; printf gives 6.2 for halves that
 * are exact in binary); values beyond 1e13, NaN and infinities go to
 * printf. */
static void
fixed(char *buf, size_t size, double v, int decimals)
{
	long long scale = decimals == 1 ? 10 : 100;
	double x = v * (double)scale;
	char tmp[32];
	int n = 0, i = 0;
	unsigned long long u;
	bool neg;

	if (!(x > -1e15 && x < 1e15)) {
		snprintf(buf, size, "%.*f", decimals, v);
		return;
	}
	neg = llround(x) < 0;
	u = (unsigned long long)(neg ? -llround(x) : llround(x));
	for (int d = 0; d < decimals; d++, u /= 10)
		tmp[n++] = (char)('0' + u % 10);
	tmp[n++] = '.';
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (neg)
		tmp[n++] = '-';
	while (n > 0 && (size_t)i + 1 < size)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
}

/* A count as decimal text, by hand for the same reason. */
static void
whole(char *buf, size_t size, long v)
{
	fixed(buf, size, (double)v, 1);
	buf[strcspn(buf, ".")] = '\0';
}

/* The cells shared by officers, the team and the queue: counts by risk level,
 * open, load. */
static void
count_cells(const struct cw_caseload_counts *k, char cell[][32], const char **cells)
{
	long open = 0;

	for (int r = 0; r < CW_RISK__N; r++) {
		whole(cell[2 + r], 32, k->open[r]);
		open += k->open[r];
	}
	whole(cell[6], 32, open);
	fixed(cell[7], 32, k->load, 2);
	whole(cell[12], 32, k->overdue);
	for (int c = 2; c <= 7; c++)
		cells[c] = cell[c];
	cells[12] = cell[12];
}

static long
open_of(const struct cw_caseload_counts *k)
{
	long n = 0;

	for (int r = 0; r < CW_RISK__N; r++)
		n += k->open[r];
	return n;
}

static struct cw_table *
caseload_table(const struct cw_caseload *cl, const struct cw_suggestion *s)
{
	const struct cw_team_figures *team = &cl->team;
	struct cw_caseload_counts sum = {{0}, 0, 0};
	char title[256], cell[NCOLS][32], status[96];
	int ncols = s ? NCOLS : NCOLS - 2;
	long *in = NULL, *out = NULL;
	struct cw_table *t;
	int outside = 0;

	snprintf(title, sizeof(title),
		 "Caseload (weights: low %g, medium %g, high %g, very high %g; ruleset %s)",
		 cl->weights[CW_RISK_LOW], cl->weights[CW_RISK_MEDIUM], cl->weights[CW_RISK_HIGH],
		 cl->weights[CW_RISK_VERY_HIGH], cl->ruleset[0] ? cl->ruleset : "none active");
	if (s) {
		/* Status sits last; without --suggest the two "after" columns go. */
		struct cw_col cols[NCOLS];
		memcpy(cols, load_cols, sizeof(cols));
		t = cw_table_new(title, cols, ncols);
		in = calloc(cl->n_officers + 1, sizeof(*in));
		out = calloc(cl->n_officers + 1, sizeof(*out));
		for (size_t i = 0; in && out && i < s->n_moves; i++) {
			in[s->moves[i].to]++;
			if (s->moves[i].from >= 0)
				out[s->moves[i].from]++;
		}
	} else {
		struct cw_col cols[NCOLS - 2];
		memcpy(cols, load_cols, sizeof(struct cw_col) * 13);
		cols[13] = load_cols[COL_STATUS];
		t = cw_table_new(title, cols, ncols);
	}
	if (t == NULL) {
		free(in);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < cl->n_officers; i++) {
		const struct cw_officer *o = &cl->officers[i];
		const struct cw_officer_figures *f = &cl->per[i];
		const char *cells[NCOLS] = {0};

		if (!o->active && open_of(&cl->counts[i]) == 0 && !cl->no_cases[i][0])
			continue;       /* a former officer with nothing left */
		if (cl->no_cases[i][0])
			continue;       /* not in the balance: listed apart, below */
		for (int r = 0; r < CW_RISK__N; r++)
			sum.open[r] += cl->counts[i].open[r];
		sum.overdue += cl->counts[i].overdue;
		cells[0] = o->login;
		fixed(cell[1], 32, o->fte, 2);
		cells[1] = cell[1];
		count_cells(&cl->counts[i], cell, cells);
		fixed(cell[8], 32, f->load_per_fte, 2);
		fixed(cell[9], 32, 100.0 * f->share, 1);
		fixed(cell[10], 32, 100.0 * f->fair_share, 1);
		for (int c = 8; c <= 10; c++)
			cells[c] = cell[c];
		if (f->available && team->mean_load_per_fte > 0) {
			fixed(cell[11], 32, f->load_per_fte / team->mean_load_per_fte, 2);
			cells[11] = cell[11];
		}
		if (!o->active)
			snprintf(status, sizeof(status), "inactive");
		else if (o->on_leave)
			snprintf(status, sizeof(status), "on leave to %s", cl->leave_until[i]);
		else if (f->in_band)
			status[0] = '\0';
		else
			snprintf(status, sizeof(status), "%s band",
				 f->load_per_fte > team->mean_load_per_fte ? "above" : "below");
		if (f->available && !f->in_band)
			outside++;
		if (s) {
			char moves[48] = "";
			fixed(cell[COL_AFTER], 32, s->after[i].load_per_fte, 2);
			cells[COL_AFTER] = cell[COL_AFTER];
			if (in && out && (in[i] || out[i]))
				snprintf(moves, sizeof(moves), "+%ld -%ld", in[i], out[i]);
			cells[COL_MOVES] = moves;
			cells[COL_STATUS] = status;
			cw_table_add(t, cells);
		} else {
			cells[13] = status;
			cw_table_add(t, cells);
		}
		if (f->available && !f->in_band)
			cw_table_mark_last(t, "!");
	}
	{
		const char *cells[NCOLS] = {0};
		sum.load = team->total_load;
		cells[0] = "TEAM";
		fixed(cell[1], 32, team->available_fte, 2);
		cells[1] = cell[1];
		count_cells(&sum, cell, cells);
		fixed(cell[8], 32, team->mean_load_per_fte, 2);
		cells[8] = cell[8];
		cells[9] = cells[10] = "100.0";
		/* The team's "vs mean" is the imbalance: the largest of the column. */
		fixed(cell[11], 32, team->imbalance, 2);
		cells[11] = cell[11];
		if (team->n_available == 0)
			snprintf(status, sizeof(status), "nobody available");
		else if (outside == 0)
			snprintf(status, sizeof(status), "all within 15%%");
		else
			snprintf(status, sizeof(status), "%d outside 15%%", outside);
		if (s) {
			fixed(cell[COL_AFTER], 32, s->team_after.mean_load_per_fte, 2);
			cells[COL_AFTER] = cell[COL_AFTER];
			cells[COL_STATUS] = status;
		} else {
			cells[13] = status;
		}
		cw_table_add(t, cells);
	}
	{
		const char *cells[NCOLS] = {0};
		cells[0] = "(unassigned)";
		count_cells(&cl->unassigned, cell, cells);
		cells[s ? COL_STATUS : 13] = open_of(&cl->unassigned) ? "waiting for a manager" : "";
		cw_table_add(t, cells);
	}
	/* Apart from the balance: the team members who take no cases (market
	 * assurance, the quality manager), with any case they hold by hand. */
	for (size_t i = 0; i < cl->n_officers; i++) {
		const char *cells[NCOLS] = {0};
		const char *post = cl->no_cases[i];

		if (!post[0])
			continue;
		cells[0] = cl->officers[i].login;
		fixed(cell[1], 32, cl->officers[i].fte, 2);
		cells[1] = cell[1];
		count_cells(&cl->counts[i], cell, cells);
		snprintf(status, sizeof(status), "takes no cases (%s)",
			 strcmp(post, "market_assurance") == 0 ? "market assurance"
			 : strcmp(post, "quality_manager") == 0 ? "quality manager" : "QA officer");
		cells[s ? COL_STATUS : 13] = status;
		cw_table_add(t, cells);
	}
	free(in);
	free(out);
	return t;
}

/* Footer under the caseload table: the imbalance and the queue in words. */
static void
caseload_footer(struct cw_table *t, const struct cw_caseload *cl)
{
	const struct cw_team_figures *team = &cl->team;
	long queue = open_of(&cl->unassigned);
	char line[512];
	int inside = 0;

	for (size_t i = 0; i < cl->n_officers; i++)
		inside += cl->per[i].in_band;
	if (team->n_available == 0)
		snprintf(line, sizeof(line), "no officer is available (active and not on leave)");
	else
		snprintf(line, sizeof(line),
			 "imbalance %.2f (most loaded available officer / team mean of %.2f per FTE);"
			 " %d of %d available officers within 15%% (%.2f to %.2f)",
			 team->imbalance, team->mean_load_per_fte, inside, team->n_available,
			 team->mean_load_per_fte * (1 - CW_BALANCE_BAND),
			 team->mean_load_per_fte * (1 + CW_BALANCE_BAND));
	{
		size_t len = strlen(line);
		if (queue)
			snprintf(line + len, sizeof(line) - len,
				 "\nunassigned queue: %ld case%s waiting ('carewatch case list --unassigned')",
				 queue, queue == 1 ? "" : "s");
		else
			snprintf(line + len, sizeof(line) - len, "\nunassigned queue: empty");
	}
	cw_table_footer(t, line);
}

static struct cw_table *
moves_table(const struct cw_caseload *cl, const struct cw_suggestion *s, bool applied)
{
	char title[64];
	struct cw_table *t;

	snprintf(title, sizeof(title), "%s (%zu)", applied ? "Moves made" : "Suggested moves", s->n_moves);
	if ((t = cw_table_new(title, move_cols, 7)) == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_moves; i++) {
		const struct cw_move *m = &s->moves[i];
		const struct cw_open_case *c = &cl->cases[m->case_index];
		char number[24], weight[24];
		const char *cells[7];

		snprintf(number, sizeof(number), "%ld", cl->numbers[m->case_index]);
		fixed(weight, sizeof(weight), cl->weights[c->risk], 2);
		cells[0] = number;
		cells[1] = cl->provider_names[m->case_index];
		cells[2] = c->locality;
		cells[3] = cw_vocab_word(&cw_vocab_risk, (int)c->risk);
		cells[4] = weight;
		cells[5] = m->from >= 0 ? cl->officers[m->from].login : "(unassigned)";
		cells[6] = cl->officers[m->to].login;
		cw_table_add(t, cells);
	}
	return t;
}

/* Append the balancer's reasons ("a; b; c") to buf: one per line under
 * the verdict in a table, as given on one line otherwise. */
static void
add_reasons(char *buf, size_t size, const char *why, bool lines)
{
	size_t len = strlen(buf);

	if (!lines) {
		snprintf(buf + len, size - len, "%s", why);
		return;
	}
	while (*why && len + 1 < size) {
		const char *end = strstr(why, "; ");
		int n = end ? (int)(end - why) : (int)strlen(why);
		snprintf(buf + len, size - len, "\n  - %.*s", n, why);
		len = strlen(buf);
		why += n + (end ? 2 : 0);
	}
}

/* Whether the band is reached, or why not. */
static void
verdict(const struct cw_suggestion *s, char *buf, size_t size, bool lines)
{
	const struct cw_team_figures *a = &s->team_after;

	if (s->reached && s->n_moves == 0 && s->why[0] == '\0') {
		snprintf(buf, size, "no moves needed: every available officer is within 15%% of the mean");
		return;
	}
	if (s->reached)
		snprintf(buf, size,
			 "after %s moves the imbalance is %.2f and every available officer is within"
			 " 15%% of the mean (%.2f to %.2f per FTE)%s",
			 s->n_moves == 1 ? "this" : "these", a->imbalance,
			 a->mean_load_per_fte * (1 - CW_BALANCE_BAND),
			 a->mean_load_per_fte * (1 + CW_BALANCE_BAND), s->why[0] ? "; but:" : "");
	else
		snprintf(buf, size,
			 "the 15%% band cannot be reached without breaking continuity or locality cover"
			 " (imbalance %.2f after %zu move%s):",
			 a->imbalance, s->n_moves, s->n_moves == 1 ? "" : "s");
	if (s->why[0]) {
		if (!lines)
			strncat(buf, " ", size - strlen(buf) - 1);
		add_reasons(buf, size, s->why, lines);
	}
}

static int
run_month_end(struct cw_ctx *ctx, const char *month)
{
	static const struct cw_col cols[] = {
		{"month", "Month", CW_COL_DATE}, {"care_type", "Care type", false},
		{"locality", "Locality", false}, {"active", "Active cases", true},
	};
	struct cw_error err;
	struct cw_date first;
	char day[CW_DATE_LEN], title[96];
	const char *p[1] = {day};
	struct cw_table *t;
	PGresult *r;
	long total = 0;

	cw_error_clear(&err);
	if (!cw_month_parse(month, "month-end", &first, &err) ||
	    !cw_worklist_record_month_end(ctx->db, first, &err))
		return cw_fail(&err);
	cw_date_format(first, day, sizeof(day));
	r = cw_db_query(ctx->db,
			"SELECT to_char(m.month, 'YYYY-MM'), m.care_type, m.locality, m.active::text"
			" FROM month_end_cases m JOIN care_type t ON t.code = m.care_type"
			" JOIN locality l ON l.code = m.locality"
			" WHERE m.month = $1::date ORDER BY t.sort_order, l.code",
			1, p, &err);
	if (r == NULL)
		return cw_fail(&err);
	snprintf(title, sizeof(title), "Active cases at the end of %.7s, recorded for the dashboards", day);
	t = cw_table_new(title, cols, 4);
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[4] = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
					PQgetvalue(r, i, 3)};
		total += atol(cells[3]);
		cw_table_add(t, cells);
	}
	snprintf(title, sizeof(title), "%d rows; %ld active cases in all", PQntuples(r), total);
	cw_table_footer(t, title);
	PQclear(r);
	return cw_emit(ctx, t);
}

static int
run_caseload(struct cw_ctx *ctx, const struct cw_args *a)
{
	bool suggest = cw_flag(a, "suggest"), apply = cw_flag(a, "apply");
	struct cw_suggestion s;
	struct cw_caseload cl;
	struct cw_error err;
	struct cw_table *t;
	char line[4096];
	bool table = ctx->format == CW_FMT_TABLE;

	cw_error_clear(&err);
	memset(&s, 0, sizeof(s));
	memset(&cl, 0, sizeof(cl));
	if (cw_arg(a, "month-end")) {
		if (suggest || apply) {
			cw_error_set(&err, CW_EXIT_USAGE, "--month-end cannot be combined with --suggest or --apply");
			return cw_fail(&err);
		}
		return run_month_end(ctx, cw_arg(a, "month-end"));
	}
	if (apply) {
		if (!cw_caseload_apply(ctx->db, &cl, &s, &err))
			return cw_fail(&err);
	} else {
		if (!cw_caseload_load(ctx->db, suggest, &cl, &err))
			return cw_fail(&err);
		if (suggest && !cw_balance_suggest(cl.officers, cl.n_officers, cl.cases, cl.n_cases,
						   cl.weights, &s, &err)) {
			cw_caseload_free(&cl);
			return cw_fail(&err);
		}
	}
	if (!suggest && !apply) {
		t = caseload_table(&cl, NULL);
		if (t)
			caseload_footer(t, &cl);
		cw_caseload_free(&cl);
		if (t == NULL) {
			cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
			return cw_fail(&err);
		}
		return cw_emit(ctx, t);
	}
	verdict(&s, line, sizeof(line), table);
	if (table) {
		t = caseload_table(&cl, &s);
		if (t) {
			caseload_footer(t, &cl);
			cw_emit(ctx, t);
		}
		putchar('\n');
		if (s.n_moves == 0) {
			/* Nothing to list: just the verdict. */
			printf("%s\n", line);
			cw_suggestion_free(&s);
			cw_caseload_free(&cl);
			return t ? CW_EXIT_OK : cw_fail(&err);
		}
	}
	t = moves_table(&cl, &s, apply);
	if (t && table) {
		size_t len = strlen(line);
		if (apply)
			snprintf(line + len, sizeof(line) - len,
				 "\nmoved %zu case%s in one transaction; each is in its case's history as 'rebalance'",
				 s.n_moves, s.n_moves == 1 ? "" : "s");
		else
			snprintf(line + len, sizeof(line) - len,
				 "\n'carewatch caseload --apply' makes these moves (quality managers only)");
		cw_table_footer(t, line);
	} else if (!s.reached || s.why[0]) {
		cw_warn("%s", line);
	}
	cw_suggestion_free(&s);
	cw_caseload_free(&cl);
	if (t == NULL) {
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	return cw_emit(ctx, t);
}

static const struct cw_opt caseload_opts[] = {
	{"suggest", NULL, "propose moves that bring every officer within 15% of the mean", NULL},
	{"apply", NULL, "make the suggested moves in one transaction (quality managers)", NULL},
	{"month-end", "YYYY-MM", "record that month's active case counts for the dashboards", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_caseload = {
	.name = "caseload", .summary = "open cases, weighted load and balance per officer",
	.help = "Per officer: open cases by risk level, load (cases weighted by the active"
		" ruleset's [caseload] weights), FTE, load per FTE, share of the team's load"
		" against the fair share (FTE / available FTE), overdue cases; the team's totals"
		" and its imbalance (the most loaded available officer's load per FTE over the"
		" mean); the unassigned queue.  --suggest proposes whole-provider moves that keep"
		" continuity and locality cover and says when the 15% band cannot be reached;"
		" --apply makes them in one audited transaction.  With --format csv or json the"
		" officers are printed, or with --suggest/--apply the moves.",
	.opts = caseload_opts, .max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_caseload,
};
