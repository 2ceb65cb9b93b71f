/* itest_pipeline.c - the phase pipeline with fake side effects against the
 * real PostgreSQL: success, rollback, interruption and resume, a killed run,
 * dry run, a held lock. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/lock.h"
#include "dive/pg.h"
#include "dive/pipeline.h"
#include "dive/state.h"
#include "dive/store.h"
#include "itest.h"

static const char *url;

/* What the fake side effects did, shared with forked children. */
struct world {
	int created[8];      /* how many times each service was "created" */
	int undone[8];
	char undo_order[64];
	int fail_in;         /* phase that fails, -1 none */
	int stop_in;         /* phase whose step requests a stop, -1 none */
	int block_in;        /* phase whose step blocks forever (killed), -1 none */
	int ready;
};

static struct world *w;

static const char *const services[] = { "postgres", "keycloak", "backend" };

static int create(struct pipeline *p, void *arg, cJSON **detail)
{
	int i = (int)(long)arg;

	w->created[i]++;
	*detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(*detail, "index", i);
	return 0;
}

static int fail_step(struct pipeline *p, void *arg, cJSON **detail)
{
	dive_error_set(DIVE_EUNHEALTHY, "service 'keycloak' not healthy after 1s (itest)");
	dive_error_set_code(ERRC_SERVICE_TIMEOUT);
	return DIVE_EUNHEALTHY;
}

static int stop_step(struct pipeline *p, void *arg, cJSON **detail)
{
	pipeline_request_stop();
	return 0;
}

static int block_step(struct pipeline *p, void *arg, cJSON **detail)
{
	w->ready = 1;
	for (;;)
		pause();
	return 0;
}

#define PHASE_FN(name, PH)                                                                   \
	static int name(struct pipeline *p, void *user)                                       \
	{                                                                                     \
		int i, rc;                                                                    \
		if (PH == DIVE_PHASE_DEPLOYMENT)                                              \
			for (i = 0; i < 3; i++)                                               \
				if ((rc = pipeline_step(p, services[i], "create", create,     \
							(void *)(long)i, NULL)) < 0)          \
					return rc;                                            \
		if (w->stop_in == PH && !pipeline_resuming(p))                                \
			if ((rc = pipeline_step(p, "", "stop", stop_step, NULL, NULL)) < 0)   \
				return rc;                                                    \
		if (w->block_in == PH && !pipeline_resuming(p))                               \
			if ((rc = pipeline_step(p, "", "block", block_step, NULL, NULL)) < 0) \
				return rc;                                                    \
		if (w->fail_in == PH)                                                         \
			return pipeline_step(p, "keycloak", "wait-healthy", fail_step, NULL, NULL); \
		return 0;                                                                     \
	}

PHASE_FN(ph_preflight, DIVE_PHASE_PREFLIGHT)
PHASE_FN(ph_init, DIVE_PHASE_INITIALIZATION)
PHASE_FN(ph_deploy, DIVE_PHASE_DEPLOYMENT)
PHASE_FN(ph_config, DIVE_PHASE_CONFIGURATION)
PHASE_FN(ph_verify, DIVE_PHASE_VERIFICATION)

static const struct pipeline_phase_def phases[] = {
	{ DIVE_PHASE_PREFLIGHT, ph_preflight },
	{ DIVE_PHASE_INITIALIZATION, ph_init },
	{ DIVE_PHASE_DEPLOYMENT, ph_deploy },
	{ DIVE_PHASE_CONFIGURATION, ph_config },
	{ DIVE_PHASE_VERIFICATION, ph_verify },
};

static int undo_create(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	int i = cJSON_GetObjectItem(detail, "index")->valueint;

	w->undone[i]++;
	strncat(w->undo_order, service, sizeof(w->undo_order) - strlen(w->undo_order) - 2);
	strcat(w->undo_order, ",");
	return 0;
}

static const struct pipeline_undo undos[] = { { "create", undo_create } };

static void opts_init(struct pipeline_opts *o, const char *code)
{
	memset(o, 0, sizeof(*o));
	o->code = code;
	o->mode = "deploy";
	o->actor = "itest";
	o->from_phase = -1;
	o->rollback = 1;
	o->phases = phases;
	o->nphases = 5;
	o->undos = undos;
	o->nundos = 1;
}

static void world_reset(void)
{
	memset(w, 0, sizeof(*w));
	w->fail_in = w->stop_in = w->block_in = -1;
}

static int setup(void **state)
{
	struct store *s = NULL;

	url = itest_new_db("pipe");
	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (store_open(&s, url, STORE_MIGRATE) < 0)
		return -1;
	store_close(s);
	return 0;
}

static int teardown(void **state)
{
	itest_drop_db();
	return 0;
}

static int count(struct store *s, const char *sql, const char *param)
{
	const char *params[1] = { param };
	PGresult *res = NULL;
	int n;

	assert_int_equal(pg_exec(s->conn, &res, sql, param ? 1 : 0, params), 0);
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static struct store *open_store(void)
{
	struct store *s = NULL;

	assert_int_equal(store_open(&s, url, STORE_MIGRATE), 0);
	return s;
}

static void pipeline__success_walks_every_phase_with_checkpoints(void **state)
{
	struct store *s = open_store();
	struct pipeline_opts o;
	struct pipeline_result r;
	struct state_instance st;

	world_reset();
	opts_init(&o, "DEU");
	assert_int_equal(pipeline_run(s, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_SUCCEEDED);
	assert_int_equal(state_get(s, &st, "DEU"), 0);
	assert_int_equal(st.state, DIVE_STATE_COMPLETE);
	assert_int_equal(w->created[0] + w->created[1] + w->created[2], 3);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.checkpoints WHERE code = $1", "DEU"), 6);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.steps s JOIN dive.runs r ON r.id = s.run_id"
				  " WHERE r.code = $1 AND s.status = 'done'", "DEU"), 3);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.runs WHERE code = $1 AND outcome = 'succeeded'", "DEU"), 1);
	/* UNKNOWN -> INITIALIZING -> DEPLOYING -> CONFIGURING -> VERIFYING -> COMPLETE */
	assert_int_equal(count(s, "SELECT count(*) FROM dive.transitions WHERE code = $1", "DEU"), 5);
	pipeline_result_release(&r);
	/* a second deploy is a new run from COMPLETE */
	assert_int_equal(pipeline_run(s, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_SUCCEEDED);
	pipeline_result_release(&r);
	store_close(s);
}

static void pipeline__failure_rolls_back_its_own_steps_in_reverse(void **state)
{
	struct store *s = open_store();
	struct pipeline_opts o;
	struct pipeline_result r;
	struct state_instance st;

	world_reset();
	w->fail_in = DIVE_PHASE_CONFIGURATION;
	opts_init(&o, "FRA");
	assert_int_equal(pipeline_run(s, &o, &r), DIVE_EUNHEALTHY);
	assert_int_equal(r.outcome, PIPELINE_ROLLED_BACK);
	assert_int_equal(r.failed_phase, DIVE_PHASE_CONFIGURATION);
	assert_string_equal(r.failed_service, "keycloak");
	assert_int_equal(r.error_code, ERRC_SERVICE_TIMEOUT);
	assert_string_equal(w->undo_order, "backend,keycloak,postgres,");
	assert_int_equal(state_get(s, &st, "FRA"), 0);
	assert_int_equal(st.state, DIVE_STATE_FAILED);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.errors WHERE instance = $1 AND code = 1204"
				  " AND remediation <> ''", "FRA"), 1);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.runs WHERE code = $1 AND outcome = 'rolled_back'", "FRA"),
			 1);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.transitions WHERE code = $1 AND to_state = 'ROLLING_BACK'",
			       "FRA"), 1);
	pipeline_result_release(&r);
	store_close(s);
}

static void pipeline__interrupt_then_resume_skips_done_steps(void **state)
{
	struct store *s = open_store();
	struct pipeline_opts o;
	struct pipeline_result r;
	struct state_instance st;

	world_reset();
	w->stop_in = DIVE_PHASE_CONFIGURATION;
	opts_init(&o, "ITA");
	assert_int_equal(pipeline_run(s, &o, &r), DIVE_EINTR);
	assert_int_equal(r.outcome, PIPELINE_INTERRUPTED);
	pipeline_result_release(&r);
	assert_int_equal(state_get(s, &st, "ITA"), 0);
	assert_int_equal(st.state, DIVE_STATE_INTERRUPTED);
	assert_int_equal(w->created[0], 1);

	/* without --resume it is refused and says how to continue */
	assert_int_equal(pipeline_run(s, &o, &r), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "--resume"));
	pipeline_result_release(&r);

	o.resume = 1;
	assert_int_equal(pipeline_run(s, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_SUCCEEDED);
	assert_int_equal(w->created[0], 1); /* not created again */
	assert_int_equal(w->created[2], 1);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.runs WHERE code = $1", "ITA"), 1);
	assert_int_equal(count(s, "SELECT resumes FROM dive.runs WHERE code = $1", "ITA"), 1);
	pipeline_result_release(&r);
	store_close(s);
}

static void pipeline__killed_run_is_interrupted_and_resumable(void **state)
{
	struct store *s = open_store();
	struct pipeline_opts o;
	struct pipeline_result r;
	struct state_instance st;
	pid_t child;
	int i;

	world_reset();
	w->block_in = DIVE_PHASE_DEPLOYMENT;
	opts_init(&o, "ESP");
	child = fork();
	if (child == 0) {
		struct store *cs = NULL;

		if (store_open(&cs, url, STORE_MIGRATE) < 0)
			_exit(3);
		pipeline_run(cs, &o, &r);
		_exit(4);
	}
	for (i = 0; i < 500 && !w->ready; i++)
		usleep(10000);
	assert_true(w->ready);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(state_get(s, &st, "ESP"), 0);
	assert_int_equal(st.state, DIVE_STATE_DEPLOYING);

	/* the next command finds the dead run, marks it INTERRUPTED, refuses */
	assert_int_equal(pipeline_run(s, &o, &r), DIVE_ECONFLICT);
	pipeline_result_release(&r);
	assert_int_equal(state_get(s, &st, "ESP"), 0);
	assert_int_equal(st.state, DIVE_STATE_INTERRUPTED);

	w->block_in = -1;
	o.resume = 1;
	assert_int_equal(pipeline_run(s, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_SUCCEEDED);
	assert_int_equal(w->created[0], 1); /* done before the kill: skipped */
	pipeline_result_release(&r);
	store_close(s);
}

static void pipeline__dry_run_writes_nothing(void **state)
{
	struct store *s = open_store();
	struct pipeline_opts o;
	struct pipeline_result r;
	int before[4];

	world_reset();
	before[0] = count(s, "SELECT count(*) FROM dive.instances", NULL);
	before[1] = count(s, "SELECT count(*) FROM dive.runs", NULL);
	before[2] = count(s, "SELECT count(*) FROM dive.steps", NULL);
	before[3] = count(s, "SELECT count(*) FROM dive.transitions", NULL);
	opts_init(&o, "POL");
	o.dry_run = 1;
	assert_int_equal(pipeline_run(s, &o, &r), 0);
	assert_int_equal(r.outcome, PIPELINE_PLANNED);
	assert_int_equal(cJSON_GetArraySize(r.steps), 3);
	assert_int_equal(w->created[0], 0);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.instances", NULL), before[0]);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.runs", NULL), before[1]);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.steps", NULL), before[2]);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.transitions", NULL), before[3]);
	pipeline_result_release(&r);
	store_close(s);
}

static void pipeline__held_lock_refuses_at_once(void **state)
{
	struct store *s = open_store();
	struct lock_request req = { "dive lock hold NLD", "maintenance", 0, 0 };
	struct dive_lock *l = NULL;
	struct pipeline_opts o;
	struct pipeline_result r;

	world_reset();
	assert_int_equal(lock_acquire(&l, url, "instance:NLD", &req, NULL), 0);
	opts_init(&o, "NLD");
	assert_int_equal(pipeline_run(s, &o, &r), DIVE_ELOCKED);
	assert_int_equal(r.outcome, PIPELINE_REFUSED);
	assert_non_null(strstr(r.error, "maintenance"));
	assert_int_equal(count(s, "SELECT count(*) FROM dive.runs WHERE code = $1", "NLD"), 0);
	pipeline_result_release(&r);
	lock_release(l);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipeline__success_walks_every_phase_with_checkpoints),
		cmocka_unit_test(pipeline__failure_rolls_back_its_own_steps_in_reverse),
		cmocka_unit_test(pipeline__interrupt_then_resume_skips_done_steps),
		cmocka_unit_test(pipeline__killed_run_is_interrupted_and_resumable),
		cmocka_unit_test(pipeline__dry_run_writes_nothing),
		cmocka_unit_test(pipeline__held_lock_refuses_at_once),
	};

	return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
