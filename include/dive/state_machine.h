/*
 * state_machine.h - the deployment states and the transitions allowed
 * between them, as data.
 *
 * The same table is in migrations/0001_state.sql, where a trigger enforces
 * it for every writer; tests/integration/itest_state.c fails when the two
 * disagree.  To add a state or transition, change both in one commit (a new
 * migration for the database side).
 */
#ifndef DIVE_STATE_MACHINE_H
#define DIVE_STATE_MACHINE_H

#include <stddef.h>

enum dive_state {
	DIVE_STATE_UNKNOWN,
	DIVE_STATE_INITIALIZING,
	DIVE_STATE_DEPLOYING,
	DIVE_STATE_CONFIGURING,
	DIVE_STATE_VERIFYING,
	DIVE_STATE_COMPLETE,
	DIVE_STATE_FAILED,
	DIVE_STATE_ROLLING_BACK,
	DIVE_STATE_CLEANUP,
	DIVE_STATE_INTERRUPTED,
	DIVE_STATE_STOPPED,
	DIVE_STATE__COUNT
};

struct dive_state_pair {
	enum dive_state from, to;
};

const char *dive_state_name(enum dive_state s);
/* Exact, upper-case name; DIVE_EUSAGE otherwise. */
int dive_state_parse(enum dive_state *out, const char *name);
/* A run is working on the instance in this state (a live lock must exist). */
int dive_state_in_progress(enum dive_state s);
int dive_state_allowed(enum dive_state from, enum dive_state to);
/* The allowed transitions; returns the count. */
size_t dive_state_pairs(const struct dive_state_pair **out);

#endif
