/*
 * cmd_caseload.c - `carewatch caseload [--suggest | --apply | --undo BATCH |
 * --batches | --month-end M]`: the quality manager's view of who holds what.
 *
 * Plain `caseload` shows each officer's open cases by risk level, the
 * weighted load, load per FTE, share of the team's load against the fair
 * share, and the team's imbalance; `--suggest` adds the moves the balancer
 * (balance.h) proposes to bring everyone within 15% of the mean.
 * `--apply` shows those moves, asks (or takes --yes), and makes exactly
 * them as one numbered batch with a note; `--undo` moves a batch's cases
 * back, shown and asked the same way; `--batches` lists the batches
 * (worklist.h, schema/029_caseload_batch.sql).  `--month-end` records the
 * month's active case counts for the dashboards.  With --format csv or
 * json one table is printed: the officers, or the moves (a band that
 * cannot be reached is then a warning on stderr, and so is the outcome).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/record.h"
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
moves_table(const struct cw_caseload *cl, const struct cw_suggestion *s, const char *what)
{
	char title[64];
	struct cw_table *t;

	snprintf(title, sizeof(title), "%s (%zu)", what, s->n_moves);
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

/* The option values of --apply and --undo, checked before anything is
 * read: the note (required), the request id (made here unless --id). */
static bool
batch_args(const struct cw_args *a, const char *why, char request[CW_UUID_LEN], struct cw_error *err)
{
	const char *note = cw_arg(a, "note"), *id = cw_arg(a, "id");

	if (note == NULL || *note == '\0')
		return cw_error_field(err, "note", "missing --note TEXT (%s; kept with the batch)", why);
	if (!cw_text_check("note", note, CW_TEXT_MAX, false, err))
		return false;
	if (id && !cw_uuid_valid(id))
		return cw_error_field(err, "id", "invalid --id '%.40s' (expected a UUID)", id);
	if (id)
		snprintf(request, CW_UUID_LEN, "%s", id);
	else
		cw_uuid_new(request);
	return true;
}

/* A line of the outcome: in a table on stdout, under it; with --format csv
 * or json on stderr, so stdout stays the one table printed before. */
static void outcome(const struct cw_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
outcome(const struct cw_ctx *ctx, const char *fmt, ...)
{
	FILE *f = ctx->format == CW_FMT_TABLE ? stdout : stderr;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/*
 * --apply: the preview (the caseload with After and Moves, then the moves
 * themselves), the confirmation, then exactly those moves as one batch.
 * Nothing is read before the manager check and nothing is written before
 * the confirmation; the moves shown are the moves sent, and the function
 * refuses them all if any case changed in between.
 */
static int
run_apply(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_suggestion s;
	struct cw_caseload cl;
	struct cw_batch_result done;
	struct cw_error err;
	struct cw_table *t = NULL;
	char line[4096], question[64], request[CW_UUID_LEN];
	bool table = ctx->format == CW_FMT_TABLE;
	int rc = CW_EXIT_OK, go;

	cw_error_clear(&err);
	memset(&s, 0, sizeof(s));
	if (!batch_args(a, "why the cases are moved", request, &err) || !cw_caseload_may_move(ctx->db, &err) ||
	    !cw_caseload_load(ctx->db, true, &cl, &err))
		return cw_fail(&err);
	if (!cw_balance_suggest(cl.officers, cl.n_officers, cl.cases, cl.n_cases, cl.weights, &s, &err)) {
		cw_caseload_free(&cl);
		return cw_fail(&err);
	}
	verdict(&s, line, sizeof(line), table);
	if (table) {
		if ((t = caseload_table(&cl, &s)) == NULL)
			goto oom;
		caseload_footer(t, &cl);
		cw_emit(ctx, t);
		putchar('\n');
		if (s.n_moves == 0) {
			printf("%s\nnothing was moved\n", line);
			goto out;
		}
	}
	if ((t = moves_table(&cl, &s, "Moves to make")) == NULL)
		goto oom;
	if (table)
		cw_table_footer(t, line);
	else if (!s.reached || s.why[0])
		cw_warn("%s", line);
	cw_emit(ctx, t);
	if (s.n_moves == 0)
		goto out;
	snprintf(question, sizeof(question), "Move these %zu case%s?", s.n_moves, s.n_moves == 1 ? "" : "s");
	if ((go = cw_confirm(ctx, cw_flag(a, "yes"), question, &err)) < 0) {
		rc = cw_fail(&err);
		goto out;
	}
	if (go == 0) {
		outcome(ctx, "nothing was moved");
		goto out;
	}
	if (!cw_caseload_apply(ctx->db, &cl, &s, request, cw_arg(a, "note"), &done, &err)) {
		rc = cw_fail(&err);
		goto out;
	}
	if (done.already)
		outcome(ctx, "already recorded: batch %ld moved %ld case%s (nothing written)", done.batch,
			done.moved, done.moved == 1 ? "" : "s");
	else
		outcome(ctx, "moved %ld case%s as batch %ld; each is in its case's history as 'rebalance'"
			" ('carewatch caseload --undo %ld --note TEXT' moves them back)",
			done.moved, done.moved == 1 ? "" : "s", done.batch, done.batch);
out:
	cw_suggestion_free(&s);
	cw_caseload_free(&cl);
	return rc;
oom:
	cw_suggestion_free(&s);
	cw_caseload_free(&cl);
	cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
	return cw_fail(&err);
}

static const struct cw_col undo_cols[] = {
	{"case", "Case", CW_COL_NUMBER | CW_COL_ID}, {"provider", "Provider", false},
	{"from", "From", CW_COL_ID}, {"to", "To", CW_COL_ID},
};

/* --undo BATCH: the moves back (every check made, nothing written), the
 * confirmation, then the moves as a new batch that names the one undone. */
static int
run_undo(struct cw_ctx *ctx, const struct cw_args *a, const char *batch)
{
	const char *note = cw_arg(a, "note");
	char request[CW_UUID_LEN], title[96], question[64], *end;
	struct cw_error err;
	struct cw_table *t;
	PGresult *r;
	long n;
	int go;

	cw_error_clear(&err);
	if (strtol(batch, &end, 10) <= 0 || *end != '\0' || strlen(batch) > 18) {
		cw_error_field(&err, "undo", "invalid --undo '%.40s' (expected a batch number)", batch);
		cw_error_hint(&err, "'carewatch caseload --batches' lists them");
		return cw_fail(&err);
	}
	if (!batch_args(a, "why the moves are undone", request, &err))
		return cw_fail(&err);
	if ((r = cw_caseload_undo(ctx->db, batch, request, note, true, &err)) == NULL)
		return cw_fail(&err);
	n = PQntuples(r);
	if (n > 0 && PQgetvalue(r, 0, CW_UNDO_COL_ALREADY)[0] == 't') {
		outcome(ctx, "already recorded: batch %s moved the %ld case%s of batch %s back (nothing written)",
			PQgetvalue(r, 0, CW_UNDO_COL_BATCH), n, n == 1 ? "" : "s", batch);
		PQclear(r);
		return CW_EXIT_OK;
	}
	snprintf(title, sizeof(title), "Moves back of batch %s (%ld)", batch, n);
	if ((t = cw_table_new(title, undo_cols, 4)) == NULL) {
		PQclear(r);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	for (int i = 0; i < n; i++) {
		const char *to = PQgetvalue(r, i, CW_UNDO_COL_TO);
		const char *cells[4] = {PQgetvalue(r, i, CW_UNDO_COL_CASE), PQgetvalue(r, i, CW_UNDO_COL_PROVIDER),
					PQgetvalue(r, i, CW_UNDO_COL_FROM), to[0] ? to : "(unassigned)"};
		cw_table_add(t, cells);
	}
	PQclear(r);
	cw_emit(ctx, t);
	snprintf(question, sizeof(question), "Move these %ld case%s back?", n, n == 1 ? "" : "s");
	if ((go = cw_confirm(ctx, cw_flag(a, "yes"), question, &err)) < 0)
		return cw_fail(&err);
	if (go == 0) {
		outcome(ctx, "nothing was moved");
		return CW_EXIT_OK;
	}
	if ((r = cw_caseload_undo(ctx->db, batch, request, note, false, &err)) == NULL)
		return cw_fail(&err);
	n = PQntuples(r);
	if (n > 0 && PQgetvalue(r, 0, CW_UNDO_COL_ALREADY)[0] == 't')
		outcome(ctx, "already recorded: batch %s moved the %ld case%s of batch %s back (nothing written)",
			PQgetvalue(r, 0, CW_UNDO_COL_BATCH), n, n == 1 ? "" : "s", batch);
	else if (n > 0)
		outcome(ctx, "moved %ld case%s back as batch %s, which undoes batch %s", n, n == 1 ? "" : "s",
			PQgetvalue(r, 0, CW_UNDO_COL_BATCH), batch);
	PQclear(r);
	return CW_EXIT_OK;
}

/* --batches: every batch, oldest first; the note only for those who read
 * free text (officers and managers: readonly has no grant on it). */
static int
run_batches(struct cw_ctx *ctx)
{
	static const struct cw_col cols[] = {
		{"batch", "Batch", CW_COL_NUMBER | CW_COL_ID}, {"made_at", "When", CW_COL_DATE},
		{"made_by", "By", CW_COL_ID}, {"moves", "Moves", CW_COL_NUMBER},
		{"undoes", "Undoes", CW_COL_NUMBER}, {"undone_by", "Undone by", CW_COL_NUMBER},
		{"note", "Note", false},
	};
#define BATCHES_SQL(note)                                                                         \
	"SELECT b.id, to_char(b.made_at, 'YYYY-MM-DD HH24:MI'), b.made_by, count(m.id),"          \
	" coalesce(b.undoes::text, ''), coalesce(u.id::text, '')" note                              \
	" FROM caseload_batch b LEFT JOIN caseload_move m ON m.batch_id = b.id"                     \
	" LEFT JOIN caseload_batch u ON u.undoes = b.id GROUP BY b.id, u.id ORDER BY b.id"
	struct cw_error err;
	struct cw_table *t;
	char reader[8], footer[160];
	PGresult *r;
	int ncols;

	cw_error_clear(&err);
	if (!cw_db_value(ctx->db, "SELECT api.is_member('carewatch_officer')", 0, NULL, reader,
			 sizeof(reader), NULL, &err))
		return cw_fail(&err);
	ncols = reader[0] == 't' ? 7 : 6;
	r = cw_db_query(ctx->db, ncols == 7 ? BATCHES_SQL(", b.note") : BATCHES_SQL(""), 0, NULL, &err);
#undef BATCHES_SQL
	if (r == NULL)
		return cw_fail(&err);
	if ((t = cw_table_new("Caseload batches", cols, ncols)) == NULL) {
		PQclear(r);
		cw_error_set(&err, CW_EXIT_FAIL, "out of memory");
		return cw_fail(&err);
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *cells[7];
		for (int c = 0; c < ncols; c++)
			cells[c] = PQgetvalue(r, i, c);
		cw_table_add(t, cells);
	}
	snprintf(footer, sizeof(footer), "%d batch%s; 'carewatch caseload --undo N --note TEXT' moves a"
		 " batch's cases back", PQntuples(r), PQntuples(r) == 1 ? "" : "es");
	cw_table_footer(t, footer);
	PQclear(r);
	return cw_emit(ctx, t);
}

static int
run_caseload(struct cw_ctx *ctx, const struct cw_args *a)
{
	bool suggest = cw_flag(a, "suggest"), apply = cw_flag(a, "apply"), batches = cw_flag(a, "batches");
	const char *undo = cw_arg(a, "undo"), *month_end = cw_arg(a, "month-end");
	static const char *const batch_only[] = {"note", "yes", "id"};
	struct cw_suggestion s;
	struct cw_caseload cl;
	struct cw_error err;
	struct cw_table *t;
	char line[4096];
	bool table = ctx->format == CW_FMT_TABLE;

	cw_error_clear(&err);
	{
		/* One mode at a time (--suggest --apply is --apply). */
		const char *modes[4];
		int n = 0;

		if (apply || suggest)
			modes[n++] = apply ? "apply" : "suggest";
		if (undo)
			modes[n++] = "undo";
		if (batches)
			modes[n++] = "batches";
		if (month_end)
			modes[n++] = "month-end";
		if (n > 1) {
			cw_error_set(&err, CW_EXIT_USAGE, "--%s cannot be combined with --%s", modes[1], modes[0]);
			return cw_fail(&err);
		}
	}
	for (size_t i = 0; i < sizeof(batch_only) / sizeof(batch_only[0]); i++)
		if (cw_arg(a, batch_only[i]) && !apply && !undo) {
			cw_error_field(&err, batch_only[i], "--%s is for --apply and --undo", batch_only[i]);
			return cw_fail(&err);
		}
	if (month_end)
		return run_month_end(ctx, month_end);
	if (batches)
		return run_batches(ctx);
	if (undo)
		return run_undo(ctx, a, undo);
	if (apply)
		return run_apply(ctx, a);
	memset(&s, 0, sizeof(s));
	if (!cw_caseload_load(ctx->db, suggest, &cl, &err))
		return cw_fail(&err);
	if (suggest && !cw_balance_suggest(cl.officers, cl.n_officers, cl.cases, cl.n_cases,
					   cl.weights, &s, &err)) {
		cw_caseload_free(&cl);
		return cw_fail(&err);
	}
	if (!suggest) {
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
	t = moves_table(&cl, &s, "Suggested moves");
	if (t && table) {
		size_t len = strlen(line);
		snprintf(line + len, sizeof(line) - len,
			 "\n'carewatch caseload --apply --note TEXT' makes these moves, after showing them"
			 " again (quality managers only)");
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
	{"apply", NULL, "show the suggested moves, then make them as one batch (quality managers)", NULL},
	{"undo", "BATCH", "show, then make, the moves that put a batch's cases back (quality managers)", NULL},
	{"batches", NULL, "list the batches of moves: when, who, how many, undone or not", NULL},
	{"note", "TEXT", "why the cases are moved (required with --apply and --undo)", NULL},
	{"yes", NULL, "make the moves without asking (needed when not on a terminal)", NULL},
	{"id", "UUID", "the batch request's id (made for you; give it to retry safely)", NULL},
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
		" continuity and locality cover and says when the 15% band cannot be reached."
		"  --apply --note TEXT prints the exact moves (case, provider, from, to), asks"
		" 'Move these N cases? [y/N]' on a terminal (elsewhere it needs --yes, or exits 2"
		" with nothing moved), then makes exactly those moves as one numbered batch, or none"
		" if any of the cases closed or changed hands meanwhile (exit 7: run it again)."
		"  --undo BATCH --note TEXT moves a batch's cases back to the officers they came"
		" from, as a new batch, if none has closed or moved since and the batch was not"
		" undone already; it shows and asks the same way.  --batches lists the batches."
		"  With --format csv or json the officers are printed, or with --suggest, --apply"
		" and --undo the moves (the outcome line then goes to stderr).",
	.opts = caseload_opts, .max_pos = 0, .flags = CW_CMD_DB | CW_CMD_FORMAT,
	.run = run_caseload,
};
