/* cmd_state.c - `dive state ...`: deployment state in the state store. */
#include "cmd.h"

static const struct dive_opt history_opts[] = {
	{ "limit", 0, DIVE_OPT_INT, "N", "at most N transitions (default 50)", 1, 100000 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_state_verbs[] = {
	{ "show", NULL, 0, 1, DIVE_NEEDS_STATE, NULL, "[CODE]", "current state of one instance or all", 3 },
	{ "history", NULL, 1, 1, DIVE_NEEDS_STATE, history_opts, "CODE", "state transitions of an instance", 3 },
	{ "import-legacy", NULL, 1, 1, DIVE_NEEDS_STATE, NULL, "DIR",
	  "import the predecessor's .dive-state/<code>.state files", 3 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
