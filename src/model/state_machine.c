/* state_machine.c - states and allowed transitions as data (see state_machine.h). */
#include <string.h>

#include "dive/error.h"
#include "dive/state_machine.h"

static const struct {
	const char *name;
	int in_progress;
} states[DIVE_STATE__COUNT] = {
	[DIVE_STATE_UNKNOWN] = { "UNKNOWN", 0 },
	[DIVE_STATE_INITIALIZING] = { "INITIALIZING", 1 },
	[DIVE_STATE_DEPLOYING] = { "DEPLOYING", 1 },
	[DIVE_STATE_CONFIGURING] = { "CONFIGURING", 1 },
	[DIVE_STATE_VERIFYING] = { "VERIFYING", 1 },
	[DIVE_STATE_COMPLETE] = { "COMPLETE", 0 },
	[DIVE_STATE_FAILED] = { "FAILED", 0 },
	[DIVE_STATE_ROLLING_BACK] = { "ROLLING_BACK", 1 },
	[DIVE_STATE_CLEANUP] = { "CLEANUP", 1 },
	[DIVE_STATE_INTERRUPTED] = { "INTERRUPTED", 0 },
	[DIVE_STATE_STOPPED] = { "STOPPED", 0 },
};

#define T(a, b) { DIVE_STATE_##a, DIVE_STATE_##b }
static const struct dive_state_pair pairs[] = {
	T(UNKNOWN, INITIALIZING), T(UNKNOWN, CLEANUP),
	T(INITIALIZING, DEPLOYING), T(INITIALIZING, FAILED), T(INITIALIZING, INTERRUPTED),
	T(INITIALIZING, ROLLING_BACK),
	T(DEPLOYING, CONFIGURING), T(DEPLOYING, FAILED), T(DEPLOYING, INTERRUPTED), T(DEPLOYING, ROLLING_BACK),
	T(CONFIGURING, VERIFYING), T(CONFIGURING, FAILED), T(CONFIGURING, INTERRUPTED),
	T(CONFIGURING, ROLLING_BACK),
	T(VERIFYING, COMPLETE), T(VERIFYING, FAILED), T(VERIFYING, INTERRUPTED), T(VERIFYING, ROLLING_BACK),
	T(COMPLETE, INITIALIZING), T(COMPLETE, DEPLOYING), T(COMPLETE, VERIFYING), T(COMPLETE, CLEANUP),
	T(FAILED, INITIALIZING), T(FAILED, DEPLOYING), T(FAILED, VERIFYING), T(FAILED, ROLLING_BACK), T(FAILED, CLEANUP),
	T(ROLLING_BACK, FAILED), T(ROLLING_BACK, INTERRUPTED),
	T(CLEANUP, UNKNOWN), T(CLEANUP, STOPPED), T(CLEANUP, FAILED), T(CLEANUP, INTERRUPTED),
	T(STOPPED, INITIALIZING), T(STOPPED, DEPLOYING), T(STOPPED, CLEANUP),
	T(INTERRUPTED, INITIALIZING), T(INTERRUPTED, DEPLOYING), T(INTERRUPTED, CONFIGURING),
	T(INTERRUPTED, VERIFYING), T(INTERRUPTED, ROLLING_BACK), T(INTERRUPTED, CLEANUP),
	T(INTERRUPTED, FAILED),
};
#undef T

const char *dive_state_name(enum dive_state s)
{
	return (unsigned)s < DIVE_STATE__COUNT ? states[s].name : "INVALID";
}

int dive_state_parse(enum dive_state *out, const char *name)
{
	int i;

	for (i = 0; i < DIVE_STATE__COUNT; i++) {
		if (!strcmp(states[i].name, name)) {
			*out = (enum dive_state)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "unknown state '%.32s'", name);
}

int dive_state_in_progress(enum dive_state s)
{
	return (unsigned)s < DIVE_STATE__COUNT && states[s].in_progress;
}

int dive_state_allowed(enum dive_state from, enum dive_state to)
{
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i].from == from && pairs[i].to == to)
			return 1;
	return 0;
}

size_t dive_state_pairs(const struct dive_state_pair **out)
{
	*out = pairs;
	return sizeof(pairs) / sizeof(pairs[0]);
}
