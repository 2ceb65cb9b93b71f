/* cmd_help.c - `dive help [COMMAND [VERB]]`: the generated help. */
#include <string.h>

#include "cmd.h"
#include "dive/error.h"
#include "dive/exitcode.h"

static int cmd_help(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_group *g;
	const struct dive_verb *v;

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

const struct dive_verb cmd_help_verb = {
	.name = "help", .fn = cmd_help, .max_args = 2, .usage = "[COMMAND [VERB]]", .summary = "show help for a command",
};
