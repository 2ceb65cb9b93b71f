/* cmd_hub.c - `dive hub ...`: the USA hub stack. */
#include "cmd.h"

static const struct dive_opt up_opts[] = {
	{ "resume", 0, DIVE_OPT_BOOL, NULL, "continue an interrupted run, skipping steps already done", 0, 0 },
	{ "rollback", 0, DIVE_OPT_STRING, "auto|none", "on failure, roll back to the last good checkpoint (default auto)", 0, 0 },
	{ "parallel", 0, DIVE_OPT_INT, "N", "start at most N services at once", 1, 64 },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt down_opts[] = {
	{ "volumes", 0, DIVE_OPT_BOOL, NULL, "also remove the hub's volumes", 0, 0 },
	DIVE_OPT_YES,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

const struct dive_verb cmd_hub_verbs[] = {
	{ "up", NULL, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN, up_opts,
	  NULL, "deploy or update the hub through the five-phase pipeline", 6 },
	{ "down", NULL, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN | DIVE_DESTRUCTIVE,
	  down_opts, NULL, "stop and remove the hub's containers", 6 },
	{ "status", NULL, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, NULL, NULL,
	  "state and health of every hub service", 6 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
