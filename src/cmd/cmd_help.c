/* cmd_help.c - `dive help [COMMAND [VERB]]`: the generated help. */
#include <string.h>

#include "cmd.h"
#include "dive/error.h"
#include "dive/exitcode.h"

static int cmd_help(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_group *g;
	const struct dive_verb *v;

	if (dive_opt_given(inv, "man")) {
		if (inv->argc)
			return dive_fail(ctx, DIVE_EUSAGE, "'dive help --man' is the whole manual: it takes no command");
		dive_help_man(ctx->out, dive_groups);
		return DIVE_EXIT_OK;
	}
	if (inv->argc == 0) {
		dive_help_top(ctx->out, dive_groups);
		return DIVE_EXIT_OK;
	}
	for (g = dive_groups; g->name; g++)
		if (!strcmp(g->name, inv->argv[0]))
			break;
	if (!g->name)
		return dive_fail(ctx, DIVE_EUSAGE, "no help for '%.64s': not a dive command", inv->argv[0]);
	if (inv->argc == 1 || g->leaf) {
		dive_help_group(ctx->out, g);
		return DIVE_EXIT_OK;
	}
	for (v = g->verbs; v->name; v++) {
		if (!strcmp(v->name, inv->argv[1])) {
			dive_help_verb(ctx->out, g, v);
			return DIVE_EXIT_OK;
		}
	}
	return dive_fail(ctx, DIVE_EUSAGE, "no help for '%s %.64s': not a verb", g->name, inv->argv[1]);
}

static const struct dive_opt help_opts[] = {
	{ .name = "man", .type = DIVE_OPT_BOOL, .help = "print the manual page of every command (roff: man -l -)" },
	DIVE_OPT_END,
};

const struct dive_verb cmd_help_verb = {
	.name = "help", .fn = cmd_help, .max_args = 2, .opts = help_opts, .usage = "[COMMAND [VERB]]", .summary = "show help for a command",
};
