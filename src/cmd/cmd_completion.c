/* cmd_completion.c - `dive completion bash|zsh`: a completion script generated from the command tables (gendoc.c). */
#include <string.h>

#include "cmd.h"
#include "dive/error.h"
#include "dive/exitcode.h"

static int cmd_completion(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	if (!strcmp(inv->argv[0], "bash"))
		dive_completion_bash(ctx->out, dive_groups);
	else
		dive_completion_zsh(ctx->out, dive_groups);
	return DIVE_EXIT_OK;
}

static int validate_completion(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	(void)ctx;
	if (strcmp(inv->argv[0], "bash") && strcmp(inv->argv[0], "zsh"))
		return dive_error_set(DIVE_EUSAGE, "no completion for '%.32s': bash or zsh", inv->argv[0]);
	return 0;
}

const struct dive_verb cmd_completion_verb = {
	.name = "completion", .fn = cmd_completion, .validate = validate_completion, .min_args = 1, .max_args = 1,
	.usage = "bash|zsh", .summary = "print a completion script: source <(dive completion bash)", .issue = 19,
};
