/*
 * runstore.h - what a run records, behind one seam: the instance lock, the
 * instance's state, the run row, its steps, checkpoints and errors.
 *
 * The pipeline (pipeline.h) talks to the state store only through these
 * functions, so its logic (resume, rollback, lock loss, thresholds) is
 * unit-tested against an in-memory fake (tests/unit/test_pipeline.c) and
 * run for real against PostgreSQL by runstore_pg().  Each function returns
 * 0 or a DIVE_E* error with its message set, as the client it wraps does.
 *
 * Steps are keyed by (run, "<phase>/<service>/<action>"): step_begin on a
 * key already done in the run sets *step_id to 0 (skip it); on a key that
 * failed or was interrupted it starts a new attempt of the same row.
 */
#ifndef DIVE_RUNSTORE_H
#define DIVE_RUNSTORE_H

#include <stddef.h>

#include "dive/errcodes.h"
#include "dive/state.h"

struct breaker_outcome;
struct lock_request;

/* A done step, for rollback (newest first). */
struct run_step {
	long long id;
	char service[64];
	char action[64];
	char *detail_json;      /* owned; "{}" when none */
};

struct run_step_key {
	long long run_id;
	const char *phase, *service, *action, *key;
};

struct runstore {
	void *data;

	/* The instance lock, on a session of its own (lock.h); lock_check fails once that session is gone. */
	int (*lock)(void *data, void **out, const char *code, const struct lock_request *req);
	int (*lock_check)(void *data, void *lock);
	void (*unlock)(void *data, void *lock);

	int (*state_get)(void *data, struct state_instance *out, const char *code);
	int (*state_move)(void *data, const struct state_change *c, long long *new_version);
	/* Under the instance lock: an in-progress state belongs to a dead run; record it INTERRUPTED (state and run). */
	int (*close_dead_run)(void *data, struct state_instance *st, const char *actor);

	int (*run_begin)(void *data, long long *id, const char *code, const char *mode, const char *actor);
	/* An interrupted run continues: DIVE_ECONFLICT when it is not interrupted. */
	int (*run_resume)(void *data, long long id);
	int (*run_end)(void *data, long long id, const char *outcome);

	int (*step_begin)(void *data, const struct run_step_key *k, long long *step_id);
	/* The detail a done step recorded (*json owned by the caller, NULL when none). */
	int (*step_detail)(void *data, long long run_id, const char *key, char **json);
	/* bo (may be NULL): the breaker outcome of the step's last guarded call, recorded in the same transaction */
	int (*step_done)(void *data, long long step_id, const char *detail_json, const struct breaker_outcome *bo);
	int (*step_failed)(void *data, long long step_id, const char *message, int code,
			   const struct breaker_outcome *bo);
	int (*step_undone)(void *data, long long step_id);
	int (*done_steps)(void *data, long long run_id, struct run_step **out, size_t *n);

	int (*checkpoint_put)(void *data, long long run_id, const char *code, const char *phase, const char *payload);
	/* The phases of the run with a checkpoint, as names in *out (NULL-ended, caller frees with runstore_free_names). */
	int (*checkpoint_phases)(void *data, long long run_id, char ***out);

	/* errlog_record() and errlog_counts() (errlog.h). */
	int (*error_record)(void *data, int code, const char *component, const char *message, const char *context_json,
			    const char *instance, long long run_id, long long step_id);
	int (*error_counts)(void *data, long long run_id, int counts[ERRSEV__COUNT]);
};

/* The real one: the state store s (its connection for records, new sessions for locks). */
void runstore_pg(struct runstore *out, struct store *s);

void runstore_free_steps(struct run_step *steps, size_t n);
void runstore_free_names(char **names);

#endif
