/*
 * cmd_db.c - `carewatch db migrate | db status | db role add`.
 *
 * The operator's commands for a database: apply the numbered migrations in
 * schema/ (compiled in), show which are applied, and create a person's login
 * in one of the four carewatch group roles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carewatch/cmd.h"
#include "carewatch/migrate.h"

static bool
load_set(const struct cw_args *a, struct cw_migration_set *set, struct cw_error *err)
{
	if (cw_arg(a, "dir"))
		return cw_migration_set_load(cw_arg(a, "dir"), set, err);
	cw_migration_set_embedded(set);
	return true;
}

static int
run_migrate(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	struct cw_migration_set set;
	int applied = 0;
	bool ok;

	cw_error_clear(&err);
	if (!load_set(a, &set, &err))
		return cw_fail(&err);
	ok = cw_migrate_run(ctx->db, &set, &applied, &err);
	if (ok) {
		if (applied == 0)
			printf("database is up to date (%d migration%s applied)\n", set.n,
			       set.n == 1 ? "" : "s");
		else
			printf("applied %d migration%s; database is at version %03d\n", applied,
			       applied == 1 ? "" : "s", set.n ? set.v[set.n - 1].version : 0);
	}
	cw_migration_set_free(&set);
	return ok ? CW_EXIT_OK : cw_fail(&err);
}

static int
run_status(struct cw_ctx *ctx, const struct cw_args *a)
{
	static const struct cw_col cols[] = {
		{"version", "Version", true}, {"name", "Name", false}, {"state", "State", false},
		{"applied_at", "Applied", CW_COL_DATE}, {"applied_by", "By", CW_COL_ID},
		{"checksum", "Checksum", CW_COL_ID | CW_COL_HIDE(1)},
	};
	struct cw_error err;
	struct cw_migration_set set;
	struct cw_migration_state *st;
	struct cw_table *t;
	int n, pending = 0;

	cw_error_clear(&err);
	if (!load_set(a, &set, &err))
		return cw_fail(&err);
	if (!cw_migrate_status(ctx->db, &set, &st, &n, &err)) {
		cw_migration_set_free(&set);
		return cw_fail(&err);
	}
	t = cw_table_new("Schema migrations", cols, 6);
	for (int i = 0; i < n; i++) {
		char ver[16], sum[13];
		const char *state = st[i].unknown ? "unknown to this carewatch"
				    : st[i].changed ? "CHANGED since applied"
				    : st[i].applied ? "applied" : "pending";
		const char *cells[6] = {ver, st[i].name, state, st[i].applied_at, st[i].applied_by, sum};

		snprintf(ver, sizeof(ver), "%03d", st[i].version);
		snprintf(sum, sizeof(sum), "%.12s", st[i].checksum);
		cw_table_add(t, cells);
		if (st[i].changed || st[i].unknown)
			cw_table_mark_last(t, "!");
		if (!st[i].applied)
			pending++;
	}
	{
		char footer[96];
		snprintf(footer, sizeof(footer), "(%d migration%s, %d pending)", n, n == 1 ? "" : "s",
			 pending);
		cw_table_footer(t, footer);
	}
	free(st);
	cw_migration_set_free(&set);
	return cw_emit(ctx, t);
}

static const struct cw_vocab role_kinds = {
	"role kind", (const char *const[]){"officer", "manager", "batch", "readonly"},
	(const char *const[]){"QA officer", "Quality manager", "Nightly batch", "Read-only"}, 4,
};

static int
run_role_add(struct cw_ctx *ctx, const struct cw_args *a)
{
	struct cw_error err;
	const char *kind = cw_arg(a, "as");
	const char *params[2] = {a->pos[0], kind};
	char created[8];
	int k;

	cw_error_clear(&err);
	if (kind == NULL) {
		cw_error_field(&err, "as", "missing --as (expected officer, manager, batch or readonly)");
		return cw_fail(&err);
	}
	if (!cw_vocab_check(&role_kinds, "as", kind, &k, &err))
		return cw_fail(&err);
	params[1] = role_kinds.words[k];
	if (!cw_db_value(ctx->db, "SELECT carewatch_role_add($1, $2)", 2, params, created,
			 sizeof(created), NULL, &err))
		return cw_fail(&err);
	printf("%s login %s as carewatch_%s\n", created[0] == 't' ? "created" : "granted existing",
	       a->pos[0], params[1]);
	return CW_EXIT_OK;
}

static const struct cw_opt migrate_opts[] = {
	{"dir", "DIR", "read NNN_name.sql migrations from DIR instead of the built-in set", NULL},
	{NULL, NULL, NULL, NULL},
};

static const struct cw_opt role_opts[] = {
	{"as", "KIND", "the group role to join", &role_kinds},
	{NULL, NULL, NULL, NULL},
};

const struct cw_cmd cw_cmd_db_migrate = {
	.name = "db migrate", .summary = "apply pending schema migrations, in order",
	.help = "Each migration runs in its own transaction and is recorded with its SHA-256; "
		"a database whose applied migration has since changed is refused.",
	.opts = migrate_opts, .max_pos = 0, .flags = CW_CMD_DB, .run = run_migrate,
};

const struct cw_cmd cw_cmd_db_status = {
	.name = "db status", .summary = "list migrations: applied, pending or changed",
	.opts = migrate_opts, .max_pos = 0, .flags = CW_CMD_PAGE | CW_CMD_DB | CW_CMD_FORMAT, .run = run_status,
};

const struct cw_cmd cw_cmd_db_role_add = {
	.name = "db role add", .synopsis = "LOGIN", .summary = "create a person's login in a carewatch role",
	.help = "Run as the database owner.  KIND is officer, manager, batch or readonly; an existing "
		"login is granted the role.",
	.opts = role_opts, .min_pos = 1, .max_pos = 1, .flags = CW_CMD_DB, .run = run_role_add,
};
