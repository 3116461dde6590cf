/*
 * main.c - carewatch's entry point: global options, then the command table.
 *
 *   carewatch [--db CONNINFO] [--format F] [--wide] [--no-pager] COMMAND [ARGS] [OPTIONS]
 *
 * Everything else (finding the command, parsing, connecting, checking that
 * stdout was written) is in cmd.c so that the shell runs lines the same way.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carewatch/cmd.h"

int
main(int argc, char **argv)
{
	struct cw_ctx ctx = {0};
	/* --format and --wide before the command word: checked by the
	 * command's parser with its own options (cw_cmd_run_with).  Each may
	 * come more than once; the last wins, as after the command. */
	char **global = calloc((size_t)argc + 1, sizeof(char *));
	int i = 1, nglobal = 0, rc;

	if (global == NULL)
		cw_die_usage("out of memory");
	setlocale(LC_CTYPE, "");
	ctx.format = CW_FMT_TABLE;
	ctx.width = cw_output_width();
	ctx.colour = cw_output_colour();
	ctx.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	/* Global options before the command word. */
	while (i < argc && (strncmp(argv[i], "--", 2) == 0 || strcmp(argv[i], "-h") == 0)) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			ctx.conninfo = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			ctx.conninfo = argv[i] + 5;
			i++;
		} else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			global[nglobal++] = argv[i++];
			global[nglobal++] = argv[i++];
		} else if (strncmp(argv[i], "--format=", 9) == 0 || strcmp(argv[i], "--wide") == 0) {
			global[nglobal++] = argv[i++];
		} else if (strcmp(argv[i], "--no-pager") == 0) {
			ctx.no_pager = true;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			argv[i] = (char *)"help";
			break;
		} else if (strcmp(argv[i], "--version") == 0) {
			argv[i] = (char *)"version";
			break;
		} else {
			cw_die_usage("unknown option '%.40s'\nhint: run 'carewatch help'", argv[i]);
		}
	}
	if (i >= argc) {
		char *help[] = {(char *)"help", NULL};
		(void)cw_cmd_run_line(&ctx, 1, help);
		free(global);
		return CW_EXIT_USAGE;     /* no command is a usage error, after the help */
	}
	rc = cw_cmd_run_with(&ctx, nglobal, global, argc - i, argv + i);
	cw_db_close(ctx.db);
	free(global);
	return rc;
}
