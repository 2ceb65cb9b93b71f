/*
 * test_pipeline.c - the phase pipeline against an in-memory run store
 * (runstore.h): steps and resume, rollback order, a lost lock, the error
 * thresholds, a dead run under a free lock, the claim, a dry run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/lock.h"
#include "dive/guard.h"
#include "dive/breaker.h"
#include "dive/pipeline.h"
#include "dive/xalloc.h"

/* --- the fake store -------------------------------------------------------- */

#define MAX_STEPS 64
#define MAX_ERRORS 64

struct fstep {
	long long id, run;
	char key[192], service[64], action[64], status[16];
	char *detail;
	char outcome[16];         /* the breaker outcome recorded with the step's end: "", "success", "failure" */
};

struct fake {
	int locked, lock_alive, lock_refused;
	int lock_checks;          /* lock_check calls */
	int lose_lock_after;      /* lock_check fails from this call on (0: never) */
	struct state_instance st;
	long long next_run, run;
	char run_outcome[16];
	struct fstep steps[MAX_STEPS];
	int nsteps;
	int codes[MAX_ERRORS];
	int nerrors;
	int checkpoints;          /* bit per phase */
	int writes;               /* every call that would write */
	char moves[512];          /* "DEPLOYING,COMPLETE," */
};

static int f_lock(void *data, void **out, const char *code, const struct lock_request *req)
{
	struct fake *f = data;

	(void)code;
	(void)req;
	if (f->lock_refused || f->locked)
		return dive_error_set(DIVE_ELOCKED, "held");
	f->locked = 1;
	f->lock_alive = 1;
	*out = f;
	return 0;
}

static int f_lock_check(void *data, void *lock)
{
	struct fake *f = data;

	assert_ptr_equal(lock, f);
	f->lock_checks++;
	if (f->lose_lock_after && f->lock_checks >= f->lose_lock_after)
		f->lock_alive = 0;
	return f->lock_alive ? 0 : dive_error_set(DIVE_ELOCKED, "lost");
}

static void f_unlock(void *data, void *lock)
{
	struct fake *f = data;

	assert_ptr_equal(lock, f);
	f->locked = 0;
}

static int f_state_get(void *data, struct state_instance *out, const char *code)
{
	struct fake *f = data;

	*out = f->st;
	snprintf(out->code, sizeof(out->code), "%s", code);
	return 0;
}

static int f_state_move(void *data, const struct state_change *c, long long *v)
{
	struct fake *f = data;

	f->writes++;
	if (c->version != f->st.version || c->from != f->st.state)
		return dive_error_set(DIVE_ECONFLICT, "version");
	if (!dive_state_allowed(c->from, c->to))
		return dive_error_set(DIVE_ECONFLICT, "illegal %s -> %s", dive_state_name(c->from),
				      dive_state_name(c->to));
	f->st.state = c->to;
	f->st.version++;
	f->st.run_id = c->run_id;
	*v = f->st.version;
	strncat(f->moves, dive_state_name(c->to), sizeof(f->moves) - strlen(f->moves) - 2);
	strcat(f->moves, ",");
	return 0;
}

static int f_close_dead_run(void *data, struct state_instance *st, const char *actor)
{
	struct fake *f = data;

	(void)actor;
	assert_true(f->locked);
	f->writes++;
	f->st.state = DIVE_STATE_INTERRUPTED;
	f->st.version++;
	snprintf(f->run_outcome, sizeof(f->run_outcome), "interrupted");
	*st = f->st;
	return 0;
}

static int f_run_begin(void *data, long long *id, const char *code, const char *mode, const char *actor)
{
	struct fake *f = data;

	(void)code;
	(void)mode;
	(void)actor;
	f->writes++;
	*id = f->run = ++f->next_run;
	snprintf(f->run_outcome, sizeof(f->run_outcome), "running");
	return 0;
}

static int f_run_resume(void *data, long long id)
{
	struct fake *f = data;

	f->writes++;
	if (id != f->run || strcmp(f->run_outcome, "interrupted"))
		return dive_error_set(DIVE_ECONFLICT, "not interrupted");
	snprintf(f->run_outcome, sizeof(f->run_outcome), "running");
	return 0;
}

static int f_run_end(void *data, long long id, const char *outcome)
{
	struct fake *f = data;

	f->writes++;
	assert_int_equal(id, f->run);
	snprintf(f->run_outcome, sizeof(f->run_outcome), "%s", outcome);
	return 0;
}

static struct fstep *find_step(struct fake *f, long long run, const char *key)
{
	int i;

	for (i = 0; i < f->nsteps; i++)
		if (f->steps[i].run == run && !strcmp(f->steps[i].key, key))
			return &f->steps[i];
	return NULL;
}

static int f_step_begin(void *data, const struct run_step_key *k, long long *step_id)
{
	struct fake *f = data;
	struct fstep *s = find_step(f, k->run_id, k->key);

	f->writes++;
	if (s && !strcmp(s->status, "done")) {
		*step_id = 0;
		return 0;
	}
	if (!s) {
		assert_true(f->nsteps < MAX_STEPS);
		s = &f->steps[f->nsteps++];
		s->id = f->nsteps;
		s->run = k->run_id;
		snprintf(s->key, sizeof(s->key), "%s", k->key);
		snprintf(s->service, sizeof(s->service), "%s", k->service);
		snprintf(s->action, sizeof(s->action), "%s", k->action);
	}
	snprintf(s->status, sizeof(s->status), "running");
	*step_id = s->id;
	return 0;
}

static int f_step_detail(void *data, long long run_id, const char *key, char **json)
{
	struct fstep *s = find_step(data, run_id, key);

	*json = s && s->detail ? xstrdup(s->detail) : NULL;
	return 0;
}

static int f_step_set(struct fake *f, long long id, const char *status)
{
	f->writes++;
	assert_true(id >= 1 && id <= f->nsteps);
	snprintf(f->steps[id - 1].status, sizeof(f->steps[id - 1].status), "%s", status);
	return 0;
}

static void f_outcome(struct fake *f, long long step_id, const struct breaker_outcome *bo)
{
	snprintf(f->steps[step_id - 1].outcome, sizeof(f->steps[0].outcome), "%s",
		 bo && bo->pending ? breaker_event_name(bo->type) : "");
}

static int f_step_done(void *data, long long step_id, const char *detail_json, const struct breaker_outcome *bo)
{
	struct fake *f = data;

	f_outcome(f, step_id, bo);
	free(f->steps[step_id - 1].detail);
	f->steps[step_id - 1].detail = detail_json ? xstrdup(detail_json) : NULL;
	return f_step_set(f, step_id, "done");
}

static int f_step_failed(void *data, long long step_id, const char *message, int code,
			 const struct breaker_outcome *bo)
{
	(void)message;
	(void)code;
	f_outcome(data, step_id, bo);
	return f_step_set(data, step_id, "failed");
}

static int f_step_undone(void *data, long long step_id)
{
	return f_step_set(data, step_id, "undone");
}

static int f_done_steps(void *data, long long run_id, struct run_step **out, size_t *n)
{
	struct fake *f = data;
	int i;

	*out = xcalloc(MAX_STEPS, sizeof(**out));
	*n = 0;
	for (i = f->nsteps - 1; i >= 0; i--) {
		struct run_step *r;

		if (f->steps[i].run != run_id || strcmp(f->steps[i].status, "done"))
			continue;
		r = &(*out)[(*n)++];
		r->id = f->steps[i].id;
		snprintf(r->service, sizeof(r->service), "%s", f->steps[i].service);
		snprintf(r->action, sizeof(r->action), "%s", f->steps[i].action);
		r->detail_json = xstrdup(f->steps[i].detail ? f->steps[i].detail : "{}");
	}
	return 0;
}

static int f_checkpoint_put(void *data, long long run_id, const char *code, const char *phase, const char *payload)
{
	struct fake *f = data;
	enum dive_phase ph;

	(void)run_id;
	(void)code;
	(void)payload;
	f->writes++;
	assert_int_equal(dive_phase_parse(&ph, phase), 0);
	f->checkpoints |= 1 << ph;
	return 0;
}

static int f_checkpoint_phases(void *data, long long run_id, char ***out)
{
	struct fake *f = data;
	int i, n = 0;

	(void)run_id;
	*out = xcalloc(DIVE_PHASE__COUNT + 1, sizeof(char *));
	for (i = 0; i < DIVE_PHASE__COUNT; i++)
		if (f->checkpoints & (1 << i))
			(*out)[n++] = xstrdup(dive_phase_name((enum dive_phase)i));
	return 0;
}

static int f_error_record(void *data, int code, const char *component, const char *message, const char *ctx,
			  const char *instance, long long run_id, long long step_id)
{
	struct fake *f = data;

	(void)component;
	(void)message;
	(void)ctx;
	(void)instance;
	(void)run_id;
	(void)step_id;
	f->writes++;
	assert_non_null(errcode_find(code));
	assert_true(f->nerrors < MAX_ERRORS);
	f->codes[f->nerrors++] = code;
	return 0;
}

static int f_error_counts(void *data, long long run_id, int counts[ERRSEV__COUNT])
{
	struct fake *f = data;
	int i;

	(void)run_id;
	memset(counts, 0, sizeof(int) * ERRSEV__COUNT);
	for (i = 0; i < f->nerrors; i++)
		counts[errcode_find(f->codes[i])->severity]++;
	return 0;
}

static const struct runstore fake_ops = {
	.lock = f_lock, .lock_check = f_lock_check, .unlock = f_unlock,
	.state_get = f_state_get, .state_move = f_state_move, .close_dead_run = f_close_dead_run,
	.run_begin = f_run_begin, .run_resume = f_run_resume, .run_end = f_run_end,
	.step_begin = f_step_begin, .step_detail = f_step_detail, .step_done = f_step_done,
	.step_failed = f_step_failed, .step_undone = f_step_undone, .done_steps = f_done_steps,
	.checkpoint_put = f_checkpoint_put, .checkpoint_phases = f_checkpoint_phases,
	.error_record = f_error_record, .error_counts = f_error_counts,
};

static void fake_release(struct fake *f)
{
	int i;

	for (i = 0; i < f->nsteps; i++)
		free(f->steps[i].detail);
}

static const char *step_status(struct fake *f, const char *key)
{
	struct fstep *s = find_step(f, f->run, key);

	return s ? s->status : "none";
}

/* --- the phases: a script of steps ---------------------------------------- */

struct script {
	int fail_at;              /* the step number (1-based, over the run) that fails; 0: none */
	int fail_code;
	int medium;               /* degradations recorded in deployment */
	int recovered_high;       /* recovered high errors recorded in deployment */
	int ran;                  /* steps whose action ran */
	int undone[16];           /* step numbers undone, in order */
	int nundone;
	int nsvc;                 /* services in deployment (default 3) */
	int guarded;              /* each action makes two guarded calls (the first fails once) */
	int reported[BREAKER_EV__COUNT]; /* outcomes the breaker side heard at once, by type */
	int flaky;                /* attempts of the current first call */
};

/* The breaker side of the guarded calls: every call admitted, every report counted. */
static int g_allow(void *data, struct breaker_ticket *out, const char *name)
{
	(void)data;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->pass = BREAKER_PASS_CALL;
	return 0;
}

static int g_report(void *data, const struct breaker_ticket *t, enum breaker_event_type type, const char *message)
{
	struct script *s = data;

	(void)t;
	(void)message;
	s->reported[type]++;
	return 0;
}

static int g_flaky(void *arg, long *http_status, int *code)
{
	struct script *s = arg;

	*code = 0;
	if (s->flaky++ == 0) {
		*http_status = 500;
		return dive_error_set(DIVE_EFAIL, "engine busy");
	}
	*http_status = 200;
	return 0;
}

static int g_down(void *arg, long *http_status, int *code)
{
	(void)arg;
	*http_status = 0;
	*code = 0;
	return dive_error_set(DIVE_EUNAVAIL, "engine gone");
}

static int guarded_calls(struct script *s, int fail)
{
	static const struct retry_policy quick = { "docker", 1, 1.0, 1, 3, 1000, RETRY_JITTER_NONE, "test" };
	struct guard_ops ops = { g_allow, g_report, s };
	struct guard_call call = { 0 };
	int rc;

	call.breaker = "docker:local";
	call.cls = RETRY_DOCKER;
	call.policy = &quick;
	call.op = g_flaky;
	call.arg = s;
	s->flaky = 0;
	if ((rc = guard_run(&ops, &call, NULL)) < 0)
		return rc;
	call.op = fail ? g_down : g_flaky; /* g_flaky's second call succeeds at once */
	return guard_run(&ops, &call, NULL);
}

static int act(struct pipeline *p, void *arg, cJSON **detail)
{
	struct script *s = arg;

	(void)p;
	s->ran++;
	*detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(*detail, "n", s->ran);
	if (s->guarded) {
		int rc = guarded_calls(s, s->fail_at && s->ran == s->fail_at);

		if (rc < 0)
			return rc;
	}
	if (s->fail_at && s->ran == s->fail_at) {
		dive_error_set(DIVE_EFAIL, "step %d failed", s->ran);
		dive_error_set_code(s->fail_code ? s->fail_code : ERRC_CONTAINER_START);
		return DIVE_EFAIL;
	}
	return 0;
}

static int phase_init(struct pipeline *p, void *user)
{
	return pipeline_step(p, "", "secrets", act, user, NULL);
}

static int phase_deploy(struct pipeline *p, void *user)
{
	struct script *s = user;
	static const char *const svcs[] = { "postgres", "keycloak", "backend", "frontend", "kas", "opa" };
	int i, rc, n = s->nsvc ? s->nsvc : 3;

	for (i = 0; i < s->medium; i++)
		pipeline_degraded(p, ERRC_API_HEALTH, "backend", "degraded");
	for (i = 0; i < s->recovered_high; i++)
		pipeline_recovered(p, ERRC_DATABASE_CHECK, "postgres", "recovered");
	for (i = 0; i < n; i++)
		if ((rc = pipeline_step(p, svcs[i], "start", act, user, NULL)) < 0)
			return rc;
	return 0;
}

static int phase_config(struct pipeline *p, void *user)
{
	return pipeline_step(p, "keycloak", "realm", act, user, NULL);
}

static int phase_verify(struct pipeline *p, void *user)
{
	return pipeline_step(p, "", "check", act, user, NULL);
}

static int undo_start(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct script *s = user;

	(void)p;
	(void)service;
	s->undone[s->nundone++] = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(detail, "n"));
	return 0;
}

static const struct pipeline_phase_def phases[] = {
	{ DIVE_PHASE_INITIALIZATION, phase_init },
	{ DIVE_PHASE_DEPLOYMENT, phase_deploy },
	{ DIVE_PHASE_CONFIGURATION, phase_config },
	{ DIVE_PHASE_VERIFICATION, phase_verify },
};

static const struct pipeline_undo undos[] = { { "start", undo_start } };

static void opts(struct pipeline_opts *o, struct runstore *rs, struct fake *f, struct script *s)
{
	*rs = fake_ops;
	rs->data = f;
	memset(o, 0, sizeof(*o));
	o->code = "DEU";
	o->mode = "deploy";
	o->actor = "test";
	o->from_phase = -1;
	o->rollback = 1;
	o->phases = phases;
	o->nphases = sizeof(phases) / sizeof(phases[0]);
	o->undos = undos;
	o->nundos = 1;
	o->user = s;
	o->runstore = rs;
}

static int has_code(const struct fake *f, int code)
{
	int i;

	for (i = 0; i < f->nerrors; i++)
		if (f->codes[i] == code)
			return 1;
	return 0;
}

/* --- the tests ------------------------------------------------------------- */

static void pipeline__a_clean_run_records_every_step_and_ends_complete(void **state)
{
	struct fake f = { 0 };
	struct script s = { 0 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	if (pipeline_run(NULL, &o, &r) != 0)
		fail_msg("%s (moves %s)", r.error, f.moves);
	assert_int_equal(r.outcome, PIPELINE_SUCCEEDED);
	assert_int_equal(s.ran, 6);
	assert_string_equal(step_status(&f, "deployment/keycloak/start"), "done");
	assert_string_equal(f.moves, "INITIALIZING,DEPLOYING,CONFIGURING,VERIFYING,COMPLETE,");
	assert_string_equal(f.run_outcome, "succeeded");
	assert_false(f.locked);
	assert_int_equal(f.nerrors, 0);
	/* the lock is checked before every step and every phase */
	assert_true(f.lock_checks >= 6 + 4);
	pipeline_result_release(&r);
	fake_release(&f);
}

static void pipeline__a_failed_step_is_recorded_and_rolled_back_newest_first(void **state)
{
	struct fake f = { 0 };
	struct script s = { .fail_at = 4 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	assert_int_equal(pipeline_run(NULL, &o, &r), DIVE_EFAIL);
	assert_int_equal(r.outcome, PIPELINE_ROLLED_BACK);
	assert_int_equal(r.error_code, ERRC_CONTAINER_START);
	assert_string_equal(r.failed_service, "backend");
	assert_int_equal(r.failed_phase, DIVE_PHASE_DEPLOYMENT);
	/* steps 2 and 3 (postgres, keycloak) started; undone newest first; the failed one is not undone */
	assert_int_equal(s.nundone, 2);
	assert_int_equal(s.undone[0], 3);
	assert_int_equal(s.undone[1], 2);
	assert_string_equal(step_status(&f, "deployment/backend/start"), "failed");
	assert_string_equal(step_status(&f, "deployment/postgres/start"), "undone");
	assert_int_equal(f.nerrors, 1);
	assert_int_equal(f.codes[0], ERRC_CONTAINER_START);
	assert_int_equal(f.st.state, DIVE_STATE_FAILED);
	assert_string_equal(f.run_outcome, "rolled_back");
	assert_false(f.locked);
	pipeline_result_release(&r);
	fake_release(&f);
}

static void pipeline__a_lost_lock_stops_before_the_next_side_effect(void **state)
{
	struct fake f = { 0 };
	struct script s = { 0 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;
	int checks_at_loss;

	(void)state;
	opts(&o, &rs, &f, &s);
	/* checks: into initialization, secrets, out of it, into deployment, postgres, keycloak: lost there */
	f.lose_lock_after = 6;
	checks_at_loss = f.lose_lock_after;
	assert_int_equal(pipeline_run(NULL, &o, &r), DIVE_ELOCKED);
	assert_int_equal(r.outcome, PIPELINE_INTERRUPTED);
	assert_int_equal(r.error_code, ERRC_LOCK_LOST);
	/* secrets and postgres ran; keycloak and everything after did not */
	assert_int_equal(s.ran, 2);
	assert_string_equal(step_status(&f, "deployment/keycloak/start"), "none");
	/* no rollback without the lock, and the loss is recorded */
	assert_int_equal(s.nundone, 0);
	assert_true(has_code(&f, ERRC_LOCK_LOST));
	assert_int_equal(f.st.state, DIVE_STATE_INTERRUPTED);
	assert_string_equal(f.run_outcome, "interrupted");
	assert_int_equal(f.lock_checks, checks_at_loss);
	pipeline_result_release(&r);
	fake_release(&f);
}

static void pipeline__four_medium_errors_stop_the_run_and_two_are_reported(void **state)
{
	struct fake f = { 0 }, g = { 0 };
	struct script s = { .medium = 4 }, t = { .medium = 2 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	assert_int_equal(pipeline_run(NULL, &o, &r), DIVE_EFAIL);
	assert_int_equal(r.outcome, PIPELINE_ROLLED_BACK);
	assert_int_equal(r.error_code, ERRC_ERROR_THRESHOLD);
	assert_non_null(strstr(r.error, "4 medium errors"));
	/* the threshold stops the next step: no service of deployment started */
	assert_int_equal(s.ran, 1);
	assert_true(has_code(&f, ERRC_ERROR_THRESHOLD));
	assert_int_equal(r.errors[ERRSEV_MEDIUM], 4);
	pipeline_result_release(&r);
	fake_release(&f);

	opts(&o, &rs, &g, &t);
	assert_int_equal(pipeline_run(NULL, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_SUCCEEDED);
	assert_int_equal(r.errors[ERRSEV_MEDIUM], 2);
	assert_int_equal(t.ran, 6);
	pipeline_result_release(&r);
	fake_release(&g);
}

static void pipeline__a_second_recovered_high_error_stops_the_run(void **state)
{
	struct fake f = { 0 }, g = { 0 };
	struct script s = { .recovered_high = 2 }, t = { .recovered_high = 1 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	assert_int_equal(pipeline_run(NULL, &o, &r), DIVE_EFAIL);
	assert_int_equal(r.error_code, ERRC_ERROR_THRESHOLD);
	pipeline_result_release(&r);
	fake_release(&f);
	opts(&o, &rs, &g, &t);
	assert_int_equal(pipeline_run(NULL, &o, &r), 0);
	assert_int_equal(r.errors[ERRSEV_HIGH], 1);
	pipeline_result_release(&r);
	fake_release(&g);
}

static void pipeline__a_dead_run_under_a_free_lock_is_interrupted_then_resumed(void **state)
{
	struct fake f = { 0 };
	struct script s = { 0 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	/* run 1 died in deployment after initialization's checkpoint and the postgres step */
	f.next_run = f.run = 1;
	f.st.state = DIVE_STATE_DEPLOYING;
	f.st.version = 3;
	f.st.run_id = 1;
	f.checkpoints = 1 << DIVE_PHASE_INITIALIZATION;
	f.nsteps = 1;
	f.steps[0] = (struct fstep){ .id = 1, .run = 1, .key = "deployment/postgres/start", .service = "postgres",
				     .action = "start", .status = "done" };
	snprintf(f.run_outcome, sizeof(f.run_outcome), "running");
	opts(&o, &rs, &f, &s);

	/* without --resume: refused, but the dead run is closed */
	assert_int_equal(pipeline_run(NULL, &o, &r), DIVE_ECONFLICT);
	assert_int_equal(r.outcome, PIPELINE_REFUSED);
	assert_int_equal(r.error_code, ERRC_INSTANCE_INTERRUPTED);
	assert_int_equal(f.st.state, DIVE_STATE_INTERRUPTED);
	assert_string_equal(f.run_outcome, "interrupted");
	assert_int_equal(s.ran, 0);
	assert_false(f.locked);
	pipeline_result_release(&r);

	/* --resume: initialization is skipped, postgres is skipped, the rest runs; the critical error the
	 * dead run recorded stays in the report but does not stop this attempt (nor does a medium one) */
	f.codes[f.nerrors++] = ERRC_LOCK_LOST;
	s.medium = 1;
	o.resume = 1;
	assert_int_equal(pipeline_run(NULL, &o, &r), 0);
	assert_int_equal(r.errors[ERRSEV_CRITICAL], 1);
	assert_int_equal(r.errors[ERRSEV_MEDIUM], 1);
	assert_int_equal(r.run_id, 1);
	assert_int_equal(s.ran, 4); /* keycloak, backend, realm, check */
	assert_string_equal(f.run_outcome, "succeeded");
	assert_int_equal(f.st.state, DIVE_STATE_COMPLETE);
	pipeline_result_release(&r);
	fake_release(&f);
}

/* A step's last guarded outcome is recorded with the step's end; the others are reported at once. */
static void pipeline__a_steps_breaker_outcome_is_recorded_with_the_step(void **state)
{
	struct fake f = { 0 };
	struct script s = { .guarded = 1, .fail_at = 2, .fail_code = ERRC_DOCKER_UNREACHABLE };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	o.rollback = 0;
	assert_true(pipeline_run(NULL, &o, &r) < 0);
	assert_int_equal(s.ran, 2);
	/* step 1: the last call's success went with the step */
	assert_string_equal(step_status(&f, "initialization//secrets"), "done");
	assert_string_equal(f.steps[0].outcome, "success");
	/* step 2: its last call failed for good: the failure went with the failed step */
	assert_string_equal(f.steps[1].status, "failed");
	assert_string_equal(f.steps[1].outcome, "failure");
	/* heard at once: the failed first attempt of each step's first call (reported before the retry),
	 * the first call's success of each step (when the second call ended), and step 2's retried failures */
	assert_int_equal(s.reported[BREAKER_EV_SUCCESS], 2);
	assert_int_equal(s.reported[BREAKER_EV_FAILURE], 2 + 2);
	/* outside a step a guarded call reports everything itself */
	memset(s.reported, 0, sizeof(s.reported));
	assert_int_equal(guarded_calls(&s, 0), 0);
	assert_int_equal(s.reported[BREAKER_EV_SUCCESS], 2);
	assert_int_equal(s.reported[BREAKER_EV_FAILURE], 1);
	pipeline_result_release(&r);
	fake_release(&f);
}

static void pipeline__a_held_lock_refuses_and_changes_nothing(void **state)
{
	struct fake f = { .lock_refused = 1 };
	struct script s = { 0 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	assert_int_equal(pipeline_run(NULL, &o, &r), DIVE_ELOCKED);
	assert_int_equal(r.outcome, PIPELINE_REFUSED);
	assert_int_equal(f.writes, 0);
	assert_int_equal(s.ran, 0);
	pipeline_result_release(&r);
}

static void pipeline__a_dry_run_touches_no_store_and_lists_every_step(void **state)
{
	struct fake f = { 0 };
	struct script s = { 0 };
	struct pipeline_opts o;
	struct runstore rs;
	struct pipeline_result r;

	(void)state;
	opts(&o, &rs, &f, &s);
	o.dry_run = 1;
	assert_int_equal(pipeline_run(NULL, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_PLANNED);
	assert_int_equal(f.writes, 0);
	assert_int_equal(f.lock_checks, 0);
	assert_false(f.locked);
	assert_int_equal(s.ran, 0);
	assert_int_equal(cJSON_GetArraySize(r.steps), 6);
	pipeline_result_release(&r);
}

static void pipeline__claim_closes_a_dead_run_and_holds_the_lock(void **state)
{
	struct fake f = { 0 };
	struct runstore rs = fake_ops;
	struct lock_request req = { "test", NULL, 0, 0 };
	struct state_instance st;
	void *lock = NULL;

	(void)state;
	rs.data = &f;
	f.st.state = DIVE_STATE_CONFIGURING;
	f.st.version = 7;
	f.run = 4;
	assert_int_equal(pipeline_claim(&rs, "DEU", &req, &lock, &st), 0);
	assert_ptr_equal(lock, &f);
	assert_true(f.locked);
	assert_int_equal(st.state, DIVE_STATE_INTERRUPTED);
	rs.unlock(rs.data, lock);
	/* a second claimer while it is held: refused, nothing written */
	f.writes = 0;
	assert_int_equal(pipeline_claim(&rs, "DEU", &req, &lock, &st), 0);
	assert_int_equal(pipeline_claim(&rs, "DEU", &req, &lock, &st), DIVE_ELOCKED);
	assert_int_equal(f.writes, 0);
	rs.unlock(rs.data, &f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipeline__a_clean_run_records_every_step_and_ends_complete),
		cmocka_unit_test(pipeline__a_failed_step_is_recorded_and_rolled_back_newest_first),
		cmocka_unit_test(pipeline__a_lost_lock_stops_before_the_next_side_effect),
		cmocka_unit_test(pipeline__four_medium_errors_stop_the_run_and_two_are_reported),
		cmocka_unit_test(pipeline__a_second_recovered_high_error_stops_the_run),
		cmocka_unit_test(pipeline__a_dead_run_under_a_free_lock_is_interrupted_then_resumed),
		cmocka_unit_test(pipeline__a_steps_breaker_outcome_is_recorded_with_the_step),
		cmocka_unit_test(pipeline__a_held_lock_refuses_and_changes_nothing),
		cmocka_unit_test(pipeline__a_dry_run_touches_no_store_and_lists_every_step),
		cmocka_unit_test(pipeline__claim_closes_a_dead_run_and_holds_the_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
