/*
 * cmd_agent.c - `carewatch agent status|stop`: the connection agent (agent.h)
 * for the current connection settings.  Starting one needs no command:
 * with CAREWATCH_AGENT=1 the first database command starts it.
 */
#include <stdio.h>

#include "carewatch/agent.h"
#include "carewatch/cmd.h"

static int
run_status(struct cw_ctx *ctx, const struct cw_args *a)
{
	char path[256];

	(void)a;
	if (!cw_agent_running(ctx, path, sizeof(path))) {
		puts("no agent is running for these connection settings");
		return CW_EXIT_NOTFOUND;
	}
	printf("an agent is running: %s\n", path);
	return CW_EXIT_OK;
}

static int
run_stop(struct cw_ctx *ctx, const struct cw_args *a)
{
	(void)a;
	if (!cw_agent_stop(ctx)) {
		puts("no agent is running for these connection settings");
		return CW_EXIT_NOTFOUND;
	}
	puts("agent stopped");
	return CW_EXIT_OK;
}

#define AGENT_HELP                                                                                \
	"With CAREWATCH_AGENT=1, the first database command starts an agent that keeps a warm "  \
	"connection for later one-shot commands (CAREWATCH_AGENT_IDLE seconds, default 600, "     \
	"then it exits); its socket is private to you.  See carewatch(1), ENVIRONMENT."

const struct cw_cmd cw_cmd_agent_status = {
	.name = "agent status", .summary = "say whether a connection agent is running",
	.help = AGENT_HELP, .max_pos = 0, .flags = CW_CMD_LOCAL, .run = run_status,
};
const struct cw_cmd cw_cmd_agent_stop = {
	.name = "agent stop", .summary = "stop the connection agent", .help = AGENT_HELP,
	.max_pos = 0, .flags = CW_CMD_LOCAL, .run = run_stop,
};
