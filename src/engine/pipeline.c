/* pipeline.c - phases, steps, checkpoints, resume, rollback (see pipeline.h). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/lock.h"
#include "dive/guard.h"
#include "dive/pipeline.h"
#include "dive/runstore.h"
#include "dive/state.h"
#include "dive/xalloc.h"

struct pipeline {
	struct store *store;
	struct runstore rs;
	void *lock;                  /* the instance lock (rs.lock) */
	const struct pipeline_opts *o;
	struct pipeline_result *res;
	long long run_id;
	long long t0_ms;
	enum dive_phase phase;
	cJSON *checkpoint;           /* payload of the running phase */
	struct state_instance st;    /* what we believe is current */
	int resuming;
	cJSON *detail_keep;          /* detail of the last skipped step (owned) */
	int recorded;                /* the failure that ends the run is in dive.errors already */
	int lock_lost;               /* the lock's session is gone: no further side effect */
	int halt;                    /* an error threshold was exceeded: the run stops at the next step */
	int baseline[ERRSEV__COUNT]; /* errors the run had before this attempt (a resume): not counted again */
	char halt_msg[256];
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void pipeline_request_stop(void)
{
	stop_requested = 1;
}

static const char *const phase_names[DIVE_PHASE__COUNT] = {
	"preflight", "initialization", "deployment", "configuration", "verification",
};

static const int phase_states[DIVE_PHASE__COUNT] = {
	-1, DIVE_STATE_INITIALIZING, DIVE_STATE_DEPLOYING, DIVE_STATE_CONFIGURING, DIVE_STATE_VERIFYING,
};

const char *dive_phase_name(enum dive_phase ph)
{
	return (unsigned)ph < DIVE_PHASE__COUNT ? phase_names[ph] : "invalid";
}

int dive_phase_parse(enum dive_phase *out, const char *name)
{
	int i;

	for (i = 0; i < DIVE_PHASE__COUNT; i++) {
		if (!strcmp(phase_names[i], name)) {
			*out = (enum dive_phase)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "unknown phase '%.32s' (preflight, initialization, deployment, "
					   "configuration, verification)", name);
}

int dive_phase_state(enum dive_phase ph)
{
	return (unsigned)ph < DIVE_PHASE__COUNT ? phase_states[ph] : -1;
}

const char *pipeline_outcome_name(enum pipeline_outcome o)
{
	static const char *const names[] = { "succeeded", "failed", "rolled_back", "interrupted", "refused", "planned" };

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void emit(struct pipeline *p, enum pipeline_event_kind kind, const char *service, const char *action,
		 const char *message)
{
	struct pipeline_event ev;

	if (!p->o->progress)
		return;
	ev.kind = kind;
	ev.phase = p->phase;
	ev.service = service ? service : "";
	ev.action = action ? action : "";
	ev.message = message;
	ev.elapsed_ms = mono_ms() - p->t0_ms;
	p->o->progress(p->o->progress_arg, &ev);
}

void pipeline_note(struct pipeline *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(p, PIPELINE_EV_NOTE, NULL, NULL, msg);
}

int pipeline_dry_run(const struct pipeline *p)
{
	return p->o->dry_run;
}

int pipeline_interrupted(const struct pipeline *p)
{
	return stop_requested != 0 || p->lock_lost || p->halt;
}

int pipeline_resuming(const struct pipeline *p)
{
	return p->resuming;
}

struct store *pipeline_store(struct pipeline *p)
{
	return p->store;
}

const char *pipeline_code(const struct pipeline *p)
{
	return p->o->code;
}

long long pipeline_run_id(const struct pipeline *p)
{
	return p->run_id;
}

void pipeline_checkpoint_set(struct pipeline *p, const char *key, cJSON *value)
{
	if (!p->checkpoint)
		p->checkpoint = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(p->checkpoint, key);
	cJSON_AddItemToObject(p->checkpoint, key, value);
}

static void add_step_result(struct pipeline *p, const char *service, const char *action, const char *status,
			    long long ms)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "phase", dive_phase_name(p->phase));
	cJSON_AddStringToObject(o, "service", service);
	cJSON_AddStringToObject(o, "action", action);
	cJSON_AddStringToObject(o, "status", status);
	if (ms >= 0)
		cJSON_AddNumberToObject(o, "ms", (double)ms);
	cJSON_AddItemToArray(p->res->steps, o);
}

/* --- the lock and the error thresholds ------------------------------------- */

/*
 * Before every side effect: the run goes on only while its lock's session
 * lives (DESIGN §3).  Once lost, it stays lost: nothing more is changed.
 */
static int lock_lost_error(const struct pipeline *p)
{
	dive_error_set(DIVE_ELOCKED, "the instance lock of '%s' was lost (its database session ended): the run "
				     "stopped before any further change", p->o->code);
	dive_error_set_code(ERRC_LOCK_LOST);
	return DIVE_ELOCKED;
}

static int check_lock(struct pipeline *p)
{
	if (!p->lock_lost && (!p->lock || p->rs.lock_check(p->rs.data, p->lock) == 0))
		return 0;
	p->lock_lost = 1;
	return lock_lost_error(p);
}

/* The run's recorded errors against the severity thresholds (errcodes.h). */
static void check_thresholds(struct pipeline *p)
{
	int counts[ERRSEV__COUNT] = { 0 }, i;
	char why[160];
	enum errthr_action act;

	if (p->rs.error_counts(p->rs.data, p->run_id, counts) < 0) {
		dive_error_clear(); /* the record itself failed: the step that raised it decides */
		return;
	}
	memcpy(p->res->errors, counts, sizeof(counts));
	for (i = 0; i < ERRSEV__COUNT; i++)
		counts[i] -= p->baseline[i];
	act = (enum errthr_action)errthreshold_exceeded(counts, why, sizeof(why));
	if (act == ERRTHR_STOP && !p->halt) {
		p->halt = 1;
		snprintf(p->halt_msg, sizeof(p->halt_msg), "%s: the run stops", why);
		emit(p, PIPELINE_EV_NOTE, NULL, NULL, p->halt_msg);
	} else if (act == ERRTHR_WARN && !p->res->warning[0]) {
		snprintf(p->res->warning, sizeof(p->res->warning), "%s", why);
		emit(p, PIPELINE_EV_NOTE, NULL, NULL, why);
	}
}

static int halted(struct pipeline *p)
{
	dive_error_set(DIVE_EFAIL, "%s", p->halt_msg);
	dive_error_set_code(ERRC_ERROR_THRESHOLD);
	return DIVE_EFAIL;
}

/* Why the next side effect must not happen, or 0. */
static int may_continue(struct pipeline *p, const char *key)
{
	if (stop_requested) {
		dive_error_set(DIVE_EINTR, "interrupted before '%s'", key);
		dive_error_set_code(ERRC_CANCELLED);
		return DIVE_EINTR;
	}
	if (p->halt)
		return halted(p);
	return check_lock(p);
}

/* --- steps ---------------------------------------------------------------- */

/* errlog's component: the service, or the pipeline itself */
static const char *component(const char *service)
{
	return service && *service ? service : "pipeline";
}

static int taxonomy_or(int code, int fallback)
{
	return code ? code : fallback;
}

static void record_error(struct pipeline *p, int code, const char *service, const char *msg, const char *ctx,
			 long long step_id)
{
	if (p->rs.error_record(p->rs.data, code, component(service), msg, ctx, p->o->code, p->run_id, step_id) < 0)
		dive_error_clear(); /* losing the record must not change what the run does */
	check_thresholds(p);
}

static int step_skip(struct pipeline *p, const char *key, const char *service, const char *action,
		     const cJSON **detail_out)
{
	char *json = NULL;
	int rc = p->rs.step_detail(p->rs.data, p->run_id, key, &json);

	if (rc < 0)
		return rc;
	cJSON_Delete(p->detail_keep);
	p->detail_keep = json ? cJSON_Parse(json) : NULL;
	free(json);
	if (detail_out)
		*detail_out = p->detail_keep;
	add_step_result(p, service, action, "skipped", -1);
	emit(p, PIPELINE_EV_STEP_SKIPPED, service, action, NULL);
	return 0;
}

int pipeline_step(struct pipeline *p, const char *service, const char *action, pipeline_action_fn fn, void *arg,
		  const cJSON **detail_out)
{
	struct run_step_key k;
	struct breaker_outcome bo, *prev_slot;
	char key[192];
	cJSON *detail = NULL;
	long long t0, step_id = 0;
	char *text;
	int rc;

	if (detail_out)
		*detail_out = NULL;
	snprintf(key, sizeof(key), "%s/%s/%s", dive_phase_name(p->phase), service, action);
	if (p->o->dry_run) {
		add_step_result(p, service, action, "planned", -1);
		return 0;
	}
	if ((rc = may_continue(p, key)) < 0)
		return rc;
	k.run_id = p->run_id;
	k.phase = dive_phase_name(p->phase);
	k.service = service;
	k.action = action;
	k.key = key;
	if ((rc = p->rs.step_begin(p->rs.data, &k, &step_id)) < 0)
		return rc;
	if (step_id == 0) /* done before, in this run: skip, hand back what it recorded */
		return step_skip(p, key, service, action, detail_out);
	emit(p, PIPELINE_EV_STEP_START, service, action, NULL);
	t0 = mono_ms();
	dive_error_clear();
	prev_slot = guard_defer_begin(&bo);
	rc = fn(p, arg, &detail);
	guard_defer_end(prev_slot);
	if (rc == 0) {
		text = detail ? cJSON_PrintUnformatted(detail) : NULL;
		rc = p->rs.step_done(p->rs.data, step_id, text, &bo);
		cJSON_free(text);
		cJSON_Delete(p->detail_keep);
		p->detail_keep = detail;
		if (detail_out)
			*detail_out = detail;
		add_step_result(p, service, action, "done", mono_ms() - t0);
		emit(p, PIPELINE_EV_STEP_DONE, service, action, NULL);
		return rc;
	}
	{
		struct dive_error_saved failure;
		int err = rc;

		dive_error_save(&failure);
		cJSON_Delete(detail);
		p->rs.step_failed(p->rs.data, step_id, failure.msg, failure.code, &bo);
		if (err != DIVE_EINTR) {
			record_error(p, taxonomy_or(failure.code, ERRC_INTERNAL), service, failure.msg, NULL, step_id);
			p->recorded = 1;
		}
		add_step_result(p, service, action, err == DIVE_EINTR ? "interrupted" : "failed", mono_ms() - t0);
		emit(p, PIPELINE_EV_STEP_FAILED, service, action, failure.msg);
		snprintf(p->res->failed_service, sizeof(p->res->failed_service), "%s", service);
		return dive_error_restore(&failure);
	}
}

void pipeline_recovered(struct pipeline *p, int code, const char *service, const char *what)
{
	if (!p->o->dry_run)
		record_error(p, code, service, what, "{\"recovered\": true}", 0);
	emit(p, PIPELINE_EV_NOTE, service, "recover", what);
}

void pipeline_degraded(struct pipeline *p, int code, const char *service, const char *what)
{
	if (!p->o->dry_run)
		record_error(p, code, service, what, "{\"degraded\": true}", 0);
	emit(p, PIPELINE_EV_NOTE, service, "degraded", what);
}

/* --- state ---------------------------------------------------------------- */

static int move(struct pipeline *p, enum dive_state to, const char *reason, const char *cp_phase)
{
	struct state_change c = { 0 };
	char *payload = NULL;
	long long v = 0;
	int rc;

	c.code = p->o->code;
	c.from = p->st.state;
	c.version = p->st.version;
	c.to = to;
	c.actor = p->o->actor;
	c.reason = reason;
	c.run_id = p->run_id;
	if (cp_phase) {
		payload = p->checkpoint ? cJSON_PrintUnformatted(p->checkpoint) : NULL;
		c.checkpoint_phase = cp_phase;
		c.checkpoint_json = payload ? payload : "{}";
	}
	rc = p->rs.state_move(p->rs.data, &c, &v);
	cJSON_free(payload);
	if (rc < 0)
		return rc;
	p->st.state = to;
	p->st.version = v;
	return 0;
}

/* Phases of the run with a checkpoint: bit i set when phase i finished. */
static int finished_phases(struct pipeline *p, unsigned *mask)
{
	char **names = NULL;
	size_t i;
	int rc;

	*mask = 0;
	if ((rc = p->rs.checkpoint_phases(p->rs.data, p->run_id, &names)) < 0)
		return rc;
	for (i = 0; names && names[i]; i++) {
		enum dive_phase ph = DIVE_PHASE_PREFLIGHT;

		if (dive_phase_parse(&ph, names[i]) == 0)
			*mask |= 1u << ph;
	}
	runstore_free_names(names);
	dive_error_clear();
	return 0;
}

static int checkpoint(struct pipeline *p, enum dive_phase ph)
{
	char *payload = p->checkpoint ? cJSON_PrintUnformatted(p->checkpoint) : NULL;
	int rc = p->rs.checkpoint_put(p->rs.data, p->run_id, p->o->code, dive_phase_name(ph), payload ? payload : "{}");

	cJSON_free(payload);
	return rc;
}

/* --- rollback ------------------------------------------------------------- */

static int rollback(struct pipeline *p, int *undo_failures)
{
	struct run_step *steps = NULL;
	size_t n = 0, i, j;
	int rc;

	*undo_failures = 0;
	if ((rc = p->rs.done_steps(p->rs.data, p->run_id, &steps, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		for (j = 0; j < p->o->nundos; j++) {
			cJSON *detail;
			int urc;

			if (strcmp(p->o->undos[j].action, steps[i].action))
				continue;
			detail = cJSON_Parse(steps[i].detail_json);
			emit(p, PIPELINE_EV_ROLLBACK, steps[i].service, steps[i].action, "undo");
			urc = p->o->undos[j].undo(p, steps[i].service, detail, p->o->user);
			cJSON_Delete(detail);
			if (urc < 0) {
				struct dive_error_saved e;

				dive_error_save(&e);
				(*undo_failures)++;
				p->rs.error_record(p->rs.data, ERRC_ROLLBACK_FAILED, component(steps[i].service), e.msg,
						   NULL, p->o->code, p->run_id, steps[i].id);
			} else {
				p->rs.step_undone(p->rs.data, steps[i].id);
			}
		}
	}
	runstore_free_steps(steps, n);
	return 0;
}

/* --- the run -------------------------------------------------------------- */

static void install_signals(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

static int refuse(struct pipeline_result *out, int rc)
{
	out->outcome = PIPELINE_REFUSED;
	snprintf(out->error, sizeof(out->error), "%s", dive_error_last());
	out->error_code = dive_error_last_code();
	return rc;
}

/* Which phase to start at, and check the state allows it. */
static int plan_start(struct pipeline *p, size_t *first)
{
	const struct pipeline_opts *o = p->o;
	size_t i;

	*first = 0;
	if (p->resuming)
		return 0; /* every phase is visited; finished ones are skipped, preflight checks again */
	if (o->from_phase >= 0) {
		for (i = 0; i < o->nphases; i++)
			if ((int)o->phases[i].phase == o->from_phase)
				break;
		if (i == o->nphases)
			return dive_error_set(DIVE_EUSAGE, "this command has no phase '%s'",
					      dive_phase_name((enum dive_phase)o->from_phase));
		*first = i;
	}
	return 0;
}

int pipeline_claim(const struct runstore *rs, const char *code, const struct lock_request *req, void **lock,
		   struct state_instance *st)
{
	int rc;

	*lock = NULL;
	if ((rc = rs->lock(rs->data, lock, code, req)) < 0)
		return rc;
	/* under the lock: whatever is "in progress" belongs to a dead run */
	rc = rs->state_get(rs->data, st, code);
	if (rc == 0 && dive_state_in_progress(st->state))
		rc = rs->close_dead_run(rs->data, st, req->command);
	if (rc < 0) {
		struct dive_error_saved e;

		dive_error_save(&e);
		rs->unlock(rs->data, *lock);
		*lock = NULL;
		return dive_error_restore(&e);
	}
	return 0;
}

/* Start the run: a new one, or the interrupted one with --resume. */
static int begin(struct pipeline *p)
{
	const struct pipeline_opts *o = p->o;
	int rc;

	if (p->st.state == DIVE_STATE_INTERRUPTED && !o->resume) {
		dive_error_set(DIVE_ECONFLICT, "'%s' was interrupted (run %lld); continue it with --resume", o->code,
			       p->st.run_id);
		dive_error_set_code(ERRC_INSTANCE_INTERRUPTED);
		return DIVE_ECONFLICT;
	}
	if (!o->resume)
		return p->rs.run_begin(p->rs.data, &p->run_id, o->code, o->mode, o->actor);
	if (p->st.state != DIVE_STATE_INTERRUPTED || !p->st.run_id)
		return dive_error_set(DIVE_EUSAGE, "'%s' has no interrupted run to resume (it is %s)", o->code,
				      dive_state_name(p->st.state));
	if ((rc = p->rs.run_resume(p->rs.data, p->st.run_id)) < 0)
		return rc;
	p->run_id = p->st.run_id;
	p->resuming = 1;
	return 0;
}

/* Every phase in order, from first; 0 or the error that stopped them. */
static int run_phases(struct pipeline *p, size_t first)
{
	const struct pipeline_opts *o = p->o;
	unsigned done_mask = 0;
	size_t i;
	int rc = 0;

	if (p->resuming)
		finished_phases(p, &done_mask);
	for (i = 0; i < o->nphases; i++) {
		enum dive_phase ph = o->phases[i].phase;
		int target = dive_phase_state(ph);
		long long t0 = mono_ms();

		/* preflight checks whatever phase the run starts at; it changes nothing */
		if (i < first && ph != DIVE_PHASE_PREFLIGHT)
			continue;
		p->phase = ph;
		if (p->resuming && ph != DIVE_PHASE_PREFLIGHT && (done_mask & (1u << ph))) {
			emit(p, PIPELINE_EV_NOTE, NULL, NULL, "phase finished before the interruption: skipped");
			continue;
		}
		if (target >= 0 && p->st.state != (enum dive_state)target) {
			if ((rc = may_continue(p, dive_phase_name(ph))) < 0 ||
			    (rc = move(p, (enum dive_state)target, dive_phase_name(ph), NULL)) < 0) {
				p->res->failed_phase = ph;
				return rc;
			}
		}
		cJSON_Delete(p->checkpoint);
		p->checkpoint = NULL;
		emit(p, PIPELINE_EV_PHASE_START, NULL, NULL, NULL);
		rc = o->phases[i].run(p, o->user);
		/* a phase that ignored what stopped it (a wait that saw the flag) still stops here */
		if (rc == 0)
			rc = may_continue(p, dive_phase_name(ph));
		p->res->phase_ms[ph] = mono_ms() - t0;
		if (rc < 0) {
			p->res->failed_phase = ph;
			return rc;
		}
		/* the phase's checkpoint, with the run's bookkeeping */
		if ((rc = checkpoint(p, ph)) < 0)
			return rc;
		emit(p, PIPELINE_EV_PHASE_DONE, NULL, NULL, NULL);
	}
	return may_continue(p, "complete");
}

/* The run failed, was stopped or lost its lock: record it and end it (rollback when asked). */
static int end_failed(struct pipeline *p, int err)
{
	const struct pipeline_opts *o = p->o;
	struct pipeline_result *out = p->res;
	struct dive_error_saved e;
	int undo_failures = 0;

	/* what a lost lock stopped (a wait that saw the flag) reports the loss, not its own cancellation */
	if (p->lock_lost && dive_error_last_code() != ERRC_LOCK_LOST)
		err = lock_lost_error(p);
	dive_error_save(&e);
	if (!p->lock_lost && (err == DIVE_EINTR || stop_requested)) {
		err = e.err = DIVE_EINTR;
		if (!e.code)
			e.code = ERRC_CANCELLED;
	}
	snprintf(out->error, sizeof(out->error), "%.*s", (int)sizeof(out->error) - 1, e.msg);
	out->error_code = e.code;
	if (!p->recorded) {
		/* ended outside any step (a scheduler verdict, a check, the lock, a signal): record it too */
		char ctxjson[64];

		snprintf(ctxjson, sizeof(ctxjson), "{\"phase\": \"%s\"}",
			 out->failed_phase >= 0 ? dive_phase_name((enum dive_phase)out->failed_phase) : "");
		p->rs.error_record(p->rs.data, taxonomy_or(e.code, ERRC_INTERNAL),
				   component(out->failed_service[0] ? out->failed_service : NULL), e.msg, ctxjson,
				   o->code, p->run_id, 0);
		dive_error_clear();
	}
	if (p->lock_lost || err == DIVE_EINTR) {
		/* no rollback: without the lock nothing may change, and a stopped run is resumed */
		out->outcome = PIPELINE_INTERRUPTED;
		if (move(p, DIVE_STATE_INTERRUPTED, p->lock_lost ? "the instance lock was lost" : "interrupted by a signal",
			 NULL) == 0)
			p->rs.run_end(p->rs.data, p->run_id, "interrupted");
	} else if (o->rollback && dive_state_allowed(p->st.state, DIVE_STATE_ROLLING_BACK)) {
		out->outcome = PIPELINE_ROLLED_BACK;
		emit(p, PIPELINE_EV_ROLLBACK, NULL, NULL, e.msg);
		if (move(p, DIVE_STATE_ROLLING_BACK, e.msg, NULL) == 0) {
			rollback(p, &undo_failures);
			move(p, DIVE_STATE_FAILED, undo_failures ? "rollback incomplete" : e.msg, NULL);
		}
		p->rs.run_end(p->rs.data, p->run_id, undo_failures ? "failed" : "rolled_back");
		if (undo_failures)
			out->outcome = PIPELINE_FAILED;
	} else {
		out->outcome = PIPELINE_FAILED;
		if (dive_state_allowed(p->st.state, DIVE_STATE_FAILED))
			move(p, DIVE_STATE_FAILED, e.msg, NULL);
		p->rs.run_end(p->rs.data, p->run_id, "failed");
	}
	return dive_error_restore(&e);
}

static int plan_only(struct pipeline *p)
{
	const struct pipeline_opts *o = p->o;
	size_t i;
	int rc;

	/* the plan: every phase, every step, no side effect at all */
	for (i = 0; i < o->nphases; i++) {
		p->phase = o->phases[i].phase;
		if ((int)p->phase < o->from_phase && p->phase != DIVE_PHASE_PREFLIGHT)
			continue;
		if ((rc = o->phases[i].run(p, o->user)) < 0)
			return refuse(p->res, rc);
	}
	p->res->outcome = PIPELINE_PLANNED;
	p->res->total_ms = mono_ms() - p->t0_ms;
	return 0;
}

int pipeline_run(struct store *s, const struct pipeline_opts *o, struct pipeline_result *out)
{
	struct pipeline p;
	struct lock_request req = { 0 };
	struct sigaction old_int, old_term;
	size_t i, first = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->failed_phase = -1;
	for (i = 0; i < DIVE_PHASE__COUNT; i++)
		out->phase_ms[i] = -1;
	out->steps = cJSON_CreateArray();
	memset(&p, 0, sizeof(p));
	p.store = s;
	if (o->runstore)
		p.rs = *o->runstore;
	else
		runstore_pg(&p.rs, s);
	p.o = o;
	p.res = out;
	p.t0_ms = mono_ms();
	stop_requested = 0;
	if (o->dry_run)
		return plan_only(&p);

	req.command = o->actor;
	req.wait_ms = o->lock_wait_ms;
	if ((rc = pipeline_claim(&p.rs, o->code, &req, &p.lock, &p.st)) < 0)
		return refuse(out, rc);
	install_signals(&old_int, &old_term);
	if ((rc = begin(&p)) < 0 || (rc = plan_start(&p, &first)) < 0) {
		struct dive_error_saved e;

		dive_error_save(&e);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		p.rs.unlock(p.rs.data, p.lock);
		dive_error_restore(&e);
		return refuse(out, rc);
	}
	out->run_id = p.run_id;
	/* the thresholds judge this attempt: what a resumed run recorded before stays in its report only */
	if (p.resuming && p.rs.error_counts(p.rs.data, p.run_id, p.baseline) < 0) {
		memset(p.baseline, 0, sizeof(p.baseline));
		dive_error_clear();
	}

	rc = run_phases(&p, first);
	out->total_ms = mono_ms() - p.t0_ms;
	if (rc == 0) {
		rc = move(&p, DIVE_STATE_COMPLETE, "verified", "complete");
		if (rc == 0)
			rc = p.rs.run_end(p.rs.data, p.run_id, "succeeded");
		out->outcome = rc == 0 ? PIPELINE_SUCCEEDED : PIPELINE_FAILED;
	} else {
		rc = end_failed(&p, rc);
	}
	{
		/* what the run recorded, by severity, for its report */
		int counts[ERRSEV__COUNT] = { 0 };

		if (p.rs.error_counts(p.rs.data, p.run_id, counts) == 0)
			memcpy(out->errors, counts, sizeof(counts));
	}
	cJSON_Delete(p.checkpoint);
	cJSON_Delete(p.detail_keep);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	{
		struct dive_error_saved e;

		dive_error_save(&e);
		p.rs.unlock(p.rs.data, p.lock);
		dive_error_restore(&e);
	}
	return rc;
}

void pipeline_result_release(struct pipeline_result *r)
{
	cJSON_Delete(r->steps);
	r->steps = NULL;
}
