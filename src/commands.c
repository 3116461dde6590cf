/*
 * commands.c - the one table of commands (see cmd.h).  Order here is the
 * order of `carewatch help` and the man page.
 */
#include "carewatch/cmd.h"

extern const struct cw_cmd cw_cmd_help, cw_cmd_version;
extern const struct cw_cmd cw_cmd_db_migrate, cw_cmd_db_status, cw_cmd_db_role_add;

const struct cw_cmd *const cw_commands[] = {
	&cw_cmd_db_migrate,
	&cw_cmd_db_status,
	&cw_cmd_db_role_add,
	&cw_cmd_help,
	&cw_cmd_version,
	NULL,
};
