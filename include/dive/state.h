/*
 * state.h - deployment state in the state store: current state per
 * instance, transitions, runs, checkpoints, interrupted-run detection.
 *
 * A transition is one statement (and so one transaction, or part of the
 * caller's): the instance row moves with optimistic concurrency on its
 * version, the history row and the checkpoint are inserted with it.  The
 * C table (state_machine.h) refuses illegal transitions before anything is
 * sent; the database trigger refuses them for every other writer.
 *
 * Errors: DIVE_EUSAGE (bad code/state/JSON), DIVE_ECONFLICT (illegal
 * transition or lost the version race), DIVE_EUNAVAIL (store unreachable).
 */
#ifndef DIVE_STATE_H
#define DIVE_STATE_H

#include <cjson/cJSON.h>

#include "dive/state_machine.h"
#include "dive/store.h"

struct state_instance {
	char code[4];
	enum dive_state state;
	long long version;
	long long run_id;        /* 0: none */
	char updated_at[40];
	char updated_by[64];
	char reason[256];
};

struct state_change {
	const char *code;
	enum dive_state from;          /* what the caller believes is current */
	long long version;             /* ... at this version */
	enum dive_state to;
	const char *actor;             /* who: "dive spoke deploy", "operator" */
	const char *reason;            /* may be NULL */
	const char *metadata_json;     /* object or NULL; validated */
	long long run_id;              /* 0: none */
	const char *checkpoint_phase;  /* NULL: no checkpoint */
	const char *checkpoint_json;   /* payload object or NULL */
};

/* Current state; an instance never seen is UNKNOWN at version 0 (not inserted). */
int state_get(struct store *s, struct state_instance *out, const char *code);
/* All instances with a row, ordered by code. */
int state_list(struct store *s, struct state_instance **out, size_t *n);

/* One transition; *new_version receives the version it produced. */
int state_transition(struct store *s, const struct state_change *chg, long long *new_version);

/* History, newest first, as a JSON array of objects. */
int state_history(struct store *s, cJSON **out, const char *code, int limit);

/* Runs. */
int run_begin(struct store *s, long long *out_id, const char *code, const char *mode, const char *actor);
int run_end(struct store *s, long long id, const char *outcome);
/* The run an instance points at, as JSON (NULL when none). */
int run_describe(struct store *s, cJSON **out, long long id);
/*
 * The instance configuration's hash (instcfg.h) on run run_id (when > 0)
 * and, with applied, on the instance's row with the time (its last
 * successful deploy).  Migration 0016.
 */
int state_config_record(struct store *s, long long run_id, const char *code, const char *hash, int applied);

/*
 * For the holder of code's instance lock: if st (re-read first) is in an
 * in-progress state, the run that left it is dead; record INTERRUPTED,
 * state and run together in one transaction.  st is refreshed.
 */
int state_close_dead_run(struct store *s, struct state_instance *st, const char *actor);

/*
 * If code is in an in-progress state while no live session holds its
 * instance lock, take the lock, record INTERRUPTED (state and run) and
 * release it.  *marked says whether it did; st is refreshed.
 */
int state_detect_interrupted(struct store *s, struct state_instance *st, int *marked);

/*
 * Import one legacy state (legacy.h) for code, bypassing the state machine
 * through the explicit dive.import switch.  Idempotent: a file already
 * imported (same SHA-256) or an instance that already has history is
 * skipped with *why set.  *imported is 1 when a row was written.
 */
struct legacy_state;
int state_import_legacy(struct store *s, const char *code, const struct legacy_state *ls, int *imported,
			char *why, size_t why_len);

#endif
