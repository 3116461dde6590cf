/*
 * cmd_officer.c - `carewatch officer add | leave | list`: the QA team as
 * reference data (login, name, FTE, localities covered, leave), which the
 * balancer reads when it assigns cases.
 *
 * Every value is checked against the officer tables' CHECKs
 * (schema/001_foundation.sql) before any SQL:
 *
 *   column                 CHECK                          checked by
 *   officer.login          ~ '^[a-z_][a-z0-9_]{0,62}$'    login_ok
 *   officer.name           length 1 to 200                one line of text, 1 to 200
 *   officer.fte            numeric(3,2), > 0 and <= 1     fte_ok (at most two decimals,
 *                                                         so rounding cannot make it 0)
 *   officer.post           IN (...)                       the posts vocabulary
 *   officer_leave          first_day <= last_day          run_leave
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/calendar.h"
#include "carewatch/cmd.h"
#include "carewatch/output.h"
#include "carewatch/provider.h"
#include "carewatch/record.h"

static const struct cw_vocab posts = {
	"post", (const char *const[]){"qa_officer", "market_assurance", "quality_manager"},
	(const char *const[]){"QA officer", "Market assurance officer", "Quality manager"}, 3,
};

/* A login as the officer table holds it (and PostgreSQL folds unquoted). */
static bool
login_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return n <= 63;
}

/* Digits with at most two decimals, above 0 and at most 1: what
 * numeric(3,2) stores unrounded ("0.001" would round to 0.00). */
static bool
fte_ok(const char *s)
{
	const char *dot = strchr(s, '.');
	double f;
	char *end;

	if (s[strspn(s, "0123456789.")] != '\0' || strspn(s, "0123456789") == 0 ||
	    (dot && (strchr(dot + 1, '.') || strlen(dot + 1) < 1 || strlen(dot + 1) > 2)))
		return false;
	f = strtod(s, &end);
	return *end == '\0' && f > 0 && f <= 1;
}

struct officer_job {
	const char *login, *name, *fte, *post;
	const char *takes_cases;       /* "t", "f", or NULL: as before (new: by post) */
	char localities[256];          /* comma-separated codes, validated */
};

/* add is also "update": run it again to change name, FTE, post or cover.
 * api.officer_set checks the caller is the quality manager. */
static bool
officer_work(struct cw_db *db, void *ctx, struct cw_error *err)
{
	struct officer_job *job = ctx;
	char locs[sizeof(job->localities) + 2];
	const char *p[6] = {job->login, job->name, job->fte, job->post, locs, job->takes_cases};

	snprintf(locs, sizeof(locs), "{%s}", job->localities);
	return cw_db_exec(db, "SELECT api.officer_set($1, $2, $3::numeric, $4, $5::text[], $6::boolean)",
			  6, p, err);
}

static int
run_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct officer_job job = {0};
	struct cw_error err;
	char q[80], *locs, *tok, *save = NULL;
	const char *fte = cw_arg(a, "fte");
	int post = 0;

	cw_error_clear(&err);
	job.login = a->pos[0];
	if (!login_ok(job.login)) {
		cw_error_field(&err, "login", "invalid login '%s' (expected a lower-case letter or '_', then"
			       " up to 62 lower-case letters, digits and '_')", cw_text_escape(job.login, q, 72));
		return cw_fail(&err);
	}
	if (cw_arg(a, "name") == NULL || cw_arg(a, "name")[0] == '\0') {
		cw_error_field(&err, "name", "missing --name NAME");
		return cw_fail(&err);
	}
	if (!cw_text_check("name", cw_arg(a, "name"), 200, true, &err))
		return cw_fail(&err);
	job.name = cw_arg(a, "name");
	if (fte == NULL) {
		cw_error_field(&err, "fte", "missing --fte (full-time equivalent, e.g. 1 or 0.6)");
		return cw_fail(&err);
	}
	if (!fte_ok(fte)) {
		cw_error_field(&err, "fte", "invalid --fte '%s' (expected a number above 0, at most 1,"
			       " with at most two decimals)", cw_text_escape(fte, q, 24));
		return cw_fail(&err);
	}
	job.fte = fte;
	if (cw_arg(a, "post") && !cw_vocab_check(&posts, "post", cw_arg(a, "post"), &post, &err))
		return cw_fail(&err);
	job.post = posts.words[post];
	if (cw_arg(a, "takes-cases")) {
		static const struct cw_field takes_f = {"takes-cases", CW_F_BOOL, NULL, false, 0, 0, NULL,
							"", NULL};
		char yes[8];
		bool is_null;
		if (!cw_field_check(&takes_f, cw_arg(a, "takes-cases"), yes, sizeof(yes), &is_null, &err))
			return cw_fail(&err);
		job.takes_cases = yes[0] == 't' ? "t" : "f";
	}
	if (cw_arg(a, "locality") == NULL) {
		cw_error_field(&err, "locality", "missing --locality (the localities the officer covers, e.g. north,west)");
		return cw_fail(&err);
	}
	locs = strdup(cw_arg(a, "locality"));
	for (tok = strtok_r(locs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char code[40];

		while (*tok == ' ')
			tok++;
		if (!cw_locality_resolve(ctx->db, tok, code, sizeof(code), NULL, 0, &err)) {
			free(locs);
			return cw_fail(&err);
		}
		{
			size_t len = strlen(job.localities);
			snprintf(job.localities + len, sizeof(job.localities) - len, "%s%s",
				 len ? "," : "", code);
		}
	}
	free(locs);
	if (job.localities[0] == '\0') {
		cw_error_field(&err, "locality", "missing --locality");
		return cw_fail(&err);
	}
	if (!cw_db_transaction(ctx->db, "READ COMMITTED", officer_work, &job, NULL, &err))
		return cw_fail(&err);
	printf("officer %s (%s), %s FTE, covers %s\n", job.login, job.name, job.fte, job.localities);
	return CW_EXIT_OK;
}

static int
run_leave(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	struct cw_date from, to;
	char f[16], t[16], id[CW_UUID_LEN];
	const char *p[4] = {id, a->pos[0], f, t};
	bool found;
	char buf[8];

	cw_error_clear(&err);
	if (cw_arg(a, "from") == NULL || cw_arg(a, "to") == NULL) {
		cw_error_field(&err, cw_arg(a, "from") ? "to" : "from", "missing --%s DATE",
			       cw_arg(a, "from") ? "to" : "from");
		return cw_fail(&err);
	}
	{
		/* Leave may be booked ahead; today and yesterday read as dates. */
		static const struct cw_field from_f = {"from", CW_F_DATE, NULL, true, 0, CW_F_ANY_DAY,
						       "DATE", "", NULL};
		static const struct cw_field to_f = {"to", CW_F_DATE, NULL, true, 0, CW_F_ANY_DAY, "DATE",
						     "", NULL};
		bool is_null;
		if (!cw_field_check(&from_f, cw_arg(a, "from"), f, sizeof(f), &is_null, &err) ||
		    !cw_field_check(&to_f, cw_arg(a, "to"), t, sizeof(t), &is_null, &err) ||
		    !cw_date_parse(f, "from", &from, &err) || !cw_date_parse(t, "to", &to, &err))
			return cw_fail(&err);
	}
	if (cw_date_cmp(from, to) > 0) {
		cw_error_field(&err, "to", "--to %s is before --from %s", cw_arg(a, "to"), cw_arg(a, "from"));
		return cw_fail(&err);
	}
	if (!cw_db_value(ctx->db, "SELECT 1 FROM officer WHERE login = $1", 1, p + 1, buf, sizeof(buf),
			 &found, &err))
		return cw_fail(&err);
	if (!found) {
		cw_error_set(&err, CW_EXIT_NOTFOUND, "no officer '%.40s'", a->pos[0]);
		return cw_fail(&err);
	}
	cw_date_format(from, f, sizeof(f));
	cw_date_format(to, t, sizeof(t));
	if (cw_arg(a, "id")) {
		if (!cw_uuid_valid(cw_arg(a, "id"))) {
			cw_error_field(&err, "id", "invalid --id '%.40s' (expected a UUID)", cw_arg(a, "id"));
			return cw_fail(&err);
		}
		snprintf(id, sizeof(id), "%s", cw_arg(a, "id"));
	} else {
		cw_uuid_new(id);
	}
	if (!cw_db_exec(ctx->db, "SELECT api.officer_leave_add($1, $2, $3, $4)", 4, p, &err))
		return cw_fail(&err);
	printf("%s is on leave from %s to %s\n", a->pos[0], f, t);
	return CW_EXIT_OK;
}

static int
run_list(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"login", "Login", CW_COL_ID}, {"name", "Name", false}, {"post", "Post", false},
		{"fte", "FTE", true}, {"localities", "Localities", false},
		{"on_leave", "On leave today", CW_COL_BOOL}, {"active", "Active", CW_COL_BOOL},
		{"takes_cases", "Takes cases", CW_COL_BOOL},
	};
	struct cw_error err;
	struct cw_table *t;
	PGresult *r;

	(void)a;
	cw_error_clear(&err);
	r = cw_db_query(ctx->db,
			"SELECT o.login, o.name, o.post, o.fte::text,"
			" coalesce((SELECT string_agg(l.locality, ',' ORDER BY l.locality)"
			"  FROM officer_locality l WHERE l.login = o.login), ''),"
			" CASE WHEN EXISTS (SELECT 1 FROM officer_leave v WHERE v.login = o.login"
			"  AND current_date BETWEEN v.first_day AND v.last_day) THEN 'yes' ELSE 'no' END,"
			" CASE WHEN o.active THEN 'yes' ELSE 'no' END,"
			" CASE WHEN o.takes_cases THEN 'yes' ELSE 'no' END"
			" FROM officer o ORDER BY o.login",
			0, NULL, &err);
	if (r == NULL)
		return cw_fail(&err);
	t = cw_db_table(r, "QA team", cols, 8);
	PQclear(r);
	return cw_emit(ctx, t);
}

static const struct cw_opt add_opts[] = {
	{"name", "NAME", "display name", NULL},
	{"fte", "F", "full-time equivalent, above 0 and at most 1", NULL},
	{"locality", "L[,L]", "localities covered (reference data)", NULL},
	{"post", "POST", "qa_officer (default), market_assurance or quality_manager", &posts},
	{"takes-cases", "yes|no", "whether new cases go to them and they count in the caseload"
	 " (default: QA officers yes, the other posts no)", NULL},
	{NULL, NULL, NULL, NULL},
};

static const struct cw_opt leave_opts[] = {
	{"from", "DATE", "first day of leave", NULL},
	{"to", "DATE", "last day of leave", NULL},
	{"id", "UUID", "the leave record's id (to retry safely)", NULL},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_officer_add = {
	.name = "officer add", .synopsis = "LOGIN", .summary = "add an officer (or update one)",
	.opts = add_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_add,
};
const struct cw_cmd cw_cmd_officer_leave = {
	.name = "officer leave", .synopsis = "LOGIN", .summary = "record an officer's leave",
	.help = "Officers on leave are not given new cases on those days.",
	.opts = leave_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_leave,
};
const struct cw_cmd cw_cmd_officer_list = {
	.name = "officer list", .summary = "list the QA team",
	.max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_list,
};
