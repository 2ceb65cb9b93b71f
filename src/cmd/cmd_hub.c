/* cmd_hub.c - `dive hub ...`: the USA hub stack. */
#include <stdio.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/exitcode.h"

static int cmd_hub_up(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_deploy(ctx, inv, STACK_HUB, country_find("USA"), "deploy");
}

static int cmd_hub_verify(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_deploy(ctx, inv, STACK_HUB, country_find("USA"), "verify");
}

static int cmd_hub_down(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_down(ctx, inv, STACK_HUB, country_find("USA"), 0);
}

static int cmd_hub_status(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	cJSON *arr = ctx->json ? cJSON_CreateArray() : NULL;
	int healthy = 1, rc = cmd_stack_status(ctx, STACK_HUB, country_find("USA"), arr, &healthy);

	if (rc < 0) {
		cJSON_Delete(arr);
		return dive_fail_last(ctx, rc, "cannot read hub status");
	}
	if (arr) {
		cJSON *doc = cJSON_DetachItemFromArray(arr, 0);

		cJSON_Delete(arr);
		dive_print_json(ctx, doc);
	}
	return healthy ? DIVE_EXIT_OK : DIVE_EXIT_UNHEALTHY;
}

static const struct dive_opt up_opts[] = {
	{ "resume", 0, DIVE_OPT_BOOL, NULL, "continue an interrupted run, skipping steps already done", 0, 0 },
	{ "from-phase", 0, DIVE_OPT_STRING, "PHASE", "start at PHASE (preflight, initialization, deployment, configuration, verification)", 0, 0 },
	{ "rollback", 0, DIVE_OPT_STRING, "auto|none", "on failure, roll back to the last good checkpoint (default auto)", 0, 0 },
	{ "parallel", 0, DIVE_OPT_INT, "N", "start at most N services at once", 1, 64 },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt verify_opts[] = {
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt down_opts[] = {
	DIVE_OPT_YES,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

const struct dive_verb cmd_hub_verbs[] = {
	{ "up", cmd_hub_up, 0, 0, DIVE_STATE_BOOTSTRAP | DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN, up_opts,
	  NULL, "deploy or update the hub through the five-phase pipeline", 6 },
	{ "verify", cmd_hub_verify, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK, verify_opts, NULL,
	  "check the deployed hub: every service healthy, its realm and app client there", 11 },
	{ "down", cmd_hub_down, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN | DIVE_DESTRUCTIVE,
	  down_opts, NULL, "stop and remove the hub's containers", 6 },
	{ "status", cmd_hub_status, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, NULL, NULL,
	  "state and health of every hub service", 6 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
