/* cmd_lock.c - `dive lock ...`: advisory locks that exclude for real. */
#include "cmd.h"

static const struct dive_opt hold_opts[] = {
	{ "for", 0, DIVE_OPT_INT, "SECONDS", "how long to hold the lock", 1, 7 * 86400 },
	{ "message", 'm', DIVE_OPT_STRING, "TEXT", "shown to whoever finds the lock held", 0, 0 },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt release_opts[] = {
	{ "force", 0, DIVE_OPT_BOOL, NULL, "end the holder's database session", 0, 0 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_lock_verbs[] = {
	{ "status", NULL, 0, 1, DIVE_NEEDS_STATE, NULL, "[CODE]", "live lock holders", 3 },
	{ "hold", NULL, 1, 1, DIVE_NEEDS_STATE, hold_opts, "CODE", "hold an instance lock for a maintenance window", 3 },
	{ "release", NULL, 1, 1, DIVE_NEEDS_STATE, release_opts, "CODE", "end the holder of an instance lock (--force)", 3 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
