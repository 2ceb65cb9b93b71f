/* cmd_spoke.c - `dive spoke ...`: spoke stacks, one per country code. */
#include "cmd.h"

static const struct dive_opt deploy_opts[] = {
	{ "resume", 0, DIVE_OPT_BOOL, NULL, "continue an interrupted run, skipping steps already done", 0, 0 },
	{ "from-phase", 0, DIVE_OPT_STRING, "PHASE", "start at PHASE (preflight, initialization, deployment, configuration, verification)", 0, 0 },
	{ "rollback", 0, DIVE_OPT_STRING, "auto|none", "on failure, roll back to the last good checkpoint (default auto)", 0, 0 },
	{ "parallel", 0, DIVE_OPT_INT, "N", "start at most N services at once", 1, 64 },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt down_opts[] = {
	DIVE_OPT_YES,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

#define STATE_DOCKER (DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER)

const struct dive_verb cmd_spoke_verbs[] = {
	{ "deploy", NULL, 1, 1, STATE_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN, deploy_opts, "CODE",
	  "deploy a spoke through the five-phase pipeline", 6 },
	{ "up", NULL, 1, 1, STATE_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN, deploy_opts, "CODE",
	  "start an initialised spoke (skips initialization)", 6 },
	{ "down", NULL, 1, 1, STATE_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN | DIVE_DESTRUCTIVE, down_opts, "CODE",
	  "stop and remove a spoke's containers, nothing else", 6 },
	{ "status", NULL, 0, 1, STATE_DOCKER, NULL, "[CODE]", "state and health of one spoke or all", 6 },
	{ "list", NULL, 0, 0, DIVE_NEEDS_STATE, NULL, NULL, "spokes known to the state store", 6 },
	{ "ports", NULL, 1, 1, 0, NULL, "CODE", "host ports of a spoke", 6 },
	{ "clean", NULL, 1, 1, STATE_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN | DIVE_DESTRUCTIVE, down_opts, "CODE",
	  "remove a spoke's containers, volumes and network (asks first)", 6 },
	{ "list-countries", NULL, 0, 0, 0, NULL, NULL, "the 32 NATO members and 6 partners dive knows", 6 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
