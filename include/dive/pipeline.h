/*
 * pipeline.h - the phase pipeline: preflight -> initialization ->
 * deployment -> configuration -> verification, every side effect a step.
 *
 * A run holds its instance lock for its whole life (a dedicated connection,
 * lock.h), moves the instance through the state machine one phase at a time
 * (a checkpoint of the finished phase with each transition), and records each
 * side effect as a step with an idempotency key "<phase>/<service>/<action>"
 * that is stable across retries and resumes (DESIGN §2):
 *
 *   phase functions call pipeline_step() for each side effect; a step already
 *   done in this run is skipped on --resume and its recorded detail handed
 *   back; a failed step records its error (errlog) with the step.
 *
 * On failure, with rollback auto, the run goes to ROLLING_BACK and undoes its
 * own done steps in reverse order through the undo table (by action name,
 * from the detail recorded with the step, so a crashed run can be undone by
 * another process), then FAILED.  SIGINT/SIGTERM stop the run between steps
 * (and inside waits that poll pipeline_interrupted()): the state becomes
 * INTERRUPTED, the lock is released, DIVE_EINTR is returned.
 *
 * The preflight phase runs in every run, whatever phase it starts at
 * (--from-phase, --resume): it checks and changes nothing.
 *
 * Before every step and every phase the run checks that it still holds its
 * lock: once the lock's session is gone (killed, cut off, the server
 * restarted) it stops with ERRC_LOCK_LOST before any further side effect,
 * records why, and leaves the instance INTERRUPTED for --resume (no
 * rollback: that would change the stack without the lock).
 *
 * Every error recorded in the run (a failed step, a recovered fault, a
 * degradation) counts against the severity thresholds (errcodes.h:
 * critical 0, high 1, medium 3, low 10 warns); once one that stops is
 * exceeded, the next step fails with ERRC_ERROR_THRESHOLD and the run ends
 * as a failure (rollback follows).  A resumed run is judged on what this
 * attempt records; the result carries the counts of the whole run.
 *
 * --dry-run: no lock, no run, no state row; phases run with
 * pipeline_dry_run() true and pipeline_step() only adds the step to the plan.
 */
#ifndef DIVE_PIPELINE_H
#define DIVE_PIPELINE_H

#include <cjson/cJSON.h>

#include "dive/errcodes.h"
#include "dive/runstore.h"
#include "dive/state_machine.h"
#include "dive/store.h"

enum dive_phase {
	DIVE_PHASE_PREFLIGHT,
	DIVE_PHASE_INITIALIZATION,
	DIVE_PHASE_DEPLOYMENT,
	DIVE_PHASE_CONFIGURATION,
	DIVE_PHASE_VERIFICATION,
	DIVE_PHASE__COUNT
};

const char *dive_phase_name(enum dive_phase ph);
int dive_phase_parse(enum dive_phase *out, const char *name);
/* The instance state while the phase runs (PREFLIGHT: none, returns -1). */
int dive_phase_state(enum dive_phase ph);

struct pipeline;

/* A side effect.  *detail (may stay NULL) is recorded and given to undo. */
typedef int (*pipeline_action_fn)(struct pipeline *p, void *arg, cJSON **detail);

struct pipeline_phase_def {
	enum dive_phase phase;
	int (*run)(struct pipeline *p, void *user);
};

struct pipeline_undo {
	const char *action;
	int (*undo)(struct pipeline *p, const char *service, const cJSON *detail, void *user);
};

enum pipeline_event_kind {
	PIPELINE_EV_PHASE_START,
	PIPELINE_EV_PHASE_DONE,
	PIPELINE_EV_STEP_START,
	PIPELINE_EV_STEP_DONE,
	PIPELINE_EV_STEP_SKIPPED,
	PIPELINE_EV_STEP_FAILED,
	PIPELINE_EV_ROLLBACK,
	PIPELINE_EV_NOTE,
};

struct pipeline_event {
	enum pipeline_event_kind kind;
	enum dive_phase phase;
	const char *service;   /* may be "" */
	const char *action;    /* may be "" */
	const char *message;   /* may be NULL; never contains secrets */
	long long elapsed_ms;  /* since the run started */
};

struct pipeline_opts {
	const char *code;           /* validated instance code, "DEU" */
	const char *mode;           /* "deploy", "up", "hub-up" */
	const char *actor;          /* "dive spoke deploy DEU" (no options: no secrets) */
	int resume;                 /* continue the interrupted run */
	int from_phase;             /* -1, or the first phase to run */
	int rollback;               /* 1: auto, 0: none */
	int dry_run;
	long lock_wait_ms;
	const struct pipeline_phase_def *phases; /* in order */
	size_t nphases;
	const struct pipeline_undo *undos;
	size_t nundos;
	void *user;             /* handed to phases and undo */
	const struct runstore *runstore; /* NULL: the state store given to pipeline_run (runstore_pg) */
	void (*progress)(void *arg, const struct pipeline_event *ev);
	void *progress_arg;
};

enum pipeline_outcome {
	PIPELINE_SUCCEEDED,
	PIPELINE_FAILED,
	PIPELINE_ROLLED_BACK,
	PIPELINE_INTERRUPTED,
	PIPELINE_REFUSED,       /* nothing was started: lock held, bad state, ... */
	PIPELINE_PLANNED,       /* dry run */
};

struct pipeline_result {
	long long run_id;
	enum pipeline_outcome outcome;
	long long phase_ms[DIVE_PHASE__COUNT]; /* -1 when not run */
	long long total_ms;
	int failed_phase;          /* -1 */
	char failed_service[64];
	char error[512];           /* the error that ended the run */
	int error_code;            /* taxonomy code, 0 if none */
	int errors[ERRSEV__COUNT]; /* errors the run recorded, by severity */
	char warning[160];         /* a warning threshold passed, or "" */
	cJSON *steps;              /* [{phase, service, action, status, ms}], owned; the plan in a dry run */
};

const char *pipeline_outcome_name(enum pipeline_outcome o);

/* Run it.  Returns 0 on success, else the error that ended or refused it. */
int pipeline_run(struct store *s, const struct pipeline_opts *o, struct pipeline_result *out);
void pipeline_result_release(struct pipeline_result *r);

/*
 * Claim code for a change: take its instance lock (req: who, how long to
 * wait) and close a dead run found under it (an in-progress state is
 * recorded INTERRUPTED, state and run).  On 0 *lock is held (release it with
 * rs->unlock) and *st is the instance's current state.  pipeline_run() and
 * every other command that changes an instance (down, clean) claim it so.
 */
struct lock_request;
int pipeline_claim(const struct runstore *rs, const char *code, const struct lock_request *req, void **lock,
		   struct state_instance *st);

/* For phase functions. */
int pipeline_step(struct pipeline *p, const char *service, const char *action, pipeline_action_fn fn, void *arg,
		  const cJSON **detail_out);
int pipeline_dry_run(const struct pipeline *p);
int pipeline_interrupted(const struct pipeline *p);
int pipeline_resuming(const struct pipeline *p);
struct store *pipeline_store(struct pipeline *p);
const char *pipeline_code(const struct pipeline *p);
long long pipeline_run_id(const struct pipeline *p);
/* Add key: value to the checkpoint of the running phase (takes value). */
void pipeline_checkpoint_set(struct pipeline *p, const char *key, cJSON *value);
/* A line of progress (no secrets). */
void pipeline_note(struct pipeline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record that a known transient fault was recovered (errlog + note); it counts against the thresholds. */
void pipeline_recovered(struct pipeline *p, int code, const char *service, const char *what);
/* Record a problem that does not fail its step (the run goes on degraded); it counts against the thresholds. */
void pipeline_degraded(struct pipeline *p, int code, const char *service, const char *what);

/* The signal flag the pipeline installs (SIGINT/SIGTERM); for tests. */
void pipeline_request_stop(void);

#endif
