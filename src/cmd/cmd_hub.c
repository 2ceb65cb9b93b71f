/* cmd_hub.c - `dive hub ...`: the USA hub stack. */
#include <stdio.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/deploy.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/secret.h"
#include "dive/store.h"

/*
 * The state store for hub up: the configured one, else the hub's own, which
 * this command starts when it is missing or down (DIVE_STATE_BOOTSTRAP: the
 * dispatcher leaves it to us, after every input was checked).  A dry run
 * starts nothing: its plan needs no store.
 */
static int open_or_bootstrap(struct dive_ctx *ctx)
{
	struct dive_secret url = DIVE_SECRET_INIT;
	int rc, none = 0;

	if ((rc = dive_state_open(ctx, &none)) < 0 || !none || ctx->dry_run)
		return rc;
	if (!ctx->quiet && !ctx->json)
		fprintf(ctx->err, "no state store configured: starting the hub's PostgreSQL for it\n");
	rc = deploy_bootstrap_store(&url, ctx->docker_host, ctx->instances_dir);
	if (rc == 0) {
		ctx->bootstrapped = 1;
		rc = store_open(&ctx->store, dive_secret_reveal(&url), STORE_MIGRATE);
	}
	dive_secret_release(&url);
	return rc;
}

static int cmd_hub_up(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	int rc = open_or_bootstrap(ctx);

	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot use the state store");
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

const struct dive_verb cmd_hub_verbs[] = {
	{ .name = "up", .fn = cmd_hub_up, .opts = cmd_stack_deploy_opts, .issue = 6,
	  .flags = DIVE_STATE_BOOTSTRAP | DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN,
	  .summary = "deploy or update the hub through the five-phase pipeline" },
	{ .name = "verify", .fn = cmd_hub_verify, .opts = cmd_stack_verify_opts, .issue = 11,
	  .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN,
	  .summary = "check the deployed hub: every service healthy, its realm and app client there" },
	{ .name = "down", .fn = cmd_hub_down, .opts = cmd_stack_down_opts, .issue = 6,
	  .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN | DIVE_DESTRUCTIVE,
	  .summary = "stop and remove the hub's containers" },
	{ .name = "status", .fn = cmd_hub_status, .issue = 6, .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER,
	  .summary = "state and health of every hub service" },
	{ .name = "logs", .fn = cmd_hub_logs, .validate = cmd_stack_logs_validate, .max_args = 1, .issue = 19,
	  .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, .opts = cmd_stack_logs_opts, .usage = "[SERVICE]",
	  .summary = "the hub's container logs, each line after its service, in time order" },
	DIVE_VERB_END,
};
