/* test_sched.c - the eager scheduler against a fake engine. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/sched.h"

/*
 * pthread_create, wrapped at link time (tests/CMakeLists.txt: --wrap): the
 * next refuse_threads calls fail with EAGAIN, as when a machine is out of
 * threads.
 */
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
static int refuse_threads;

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	if (refuse_threads > 0) {
		refuse_threads--;
		return EAGAIN;
	}
	return __real_pthread_create(t, a, fn, arg);
}

/* The fake engine: each service becomes `final` `delay_ms` after its start. */
struct fake_svc {
	long delay_ms;
	enum sched_health final;
	enum sched_health first;    /* reported first (for flapping), or SCHED_H_STARTING */
	long first_ms;
	int start_fails;
	int exit_code;
};

struct fake {
	struct fake_svc svc[16];
	int use_events;             /* 1: notify; 0: only polled health */
	long long started_at[16];
	int starts;
	pthread_mutex_t mu;
	int inflight, max_inflight;
	int timers;                 /* timer threads still running */
};

struct timer {
	struct sched *s;
	int i;
	struct fake *f;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *timer(void *arg)
{
	struct timer *t = arg;
	struct fake_svc *fs = &t->f->svc[t->i];

	if (fs->first != SCHED_H_STARTING) {
		usleep((useconds_t)fs->first_ms * 1000);
		sched_notify(t->s, t->i, fs->first, fs->exit_code);
	}
	usleep((useconds_t)(fs->delay_ms - (fs->first != SCHED_H_STARTING ? fs->first_ms : 0)) * 1000);
	sched_notify(t->s, t->i, fs->final, fs->exit_code);
	pthread_mutex_lock(&t->f->mu);
	t->f->timers--;
	pthread_mutex_unlock(&t->f->mu);
	free(t);
	return NULL;
}

static int fake_start(void *u, struct sched *s, int i)
{
	struct fake *f = u;

	pthread_mutex_lock(&f->mu);
	f->started_at[i] = now_ms();
	f->starts++;
	if (++f->inflight > f->max_inflight)
		f->max_inflight = f->inflight;
	pthread_mutex_unlock(&f->mu);
	usleep(20000); /* creating a container takes a moment */
	pthread_mutex_lock(&f->mu);
	f->inflight--;
	pthread_mutex_unlock(&f->mu);
	if (f->svc[i].start_fails)
		return dive_error_set(DIVE_ECONFLICT, "docker: name already in use (fake)");
	if (f->use_events) {
		struct timer *t = malloc(sizeof(*t));
		pthread_t th;

		t->s = s;
		t->i = i;
		t->f = f;
		pthread_mutex_lock(&f->mu);
		f->timers++;
		pthread_mutex_unlock(&f->mu);
		pthread_create(&th, NULL, timer, t);
		pthread_detach(th);
	}
	return 0;
}

static int fake_health(void *u, int i, enum sched_health *out, int *code)
{
	struct fake *f = u;
	long long since;

	pthread_mutex_lock(&f->mu);
	since = now_ms() - f->started_at[i];
	pthread_mutex_unlock(&f->mu);
	*code = f->svc[i].exit_code;
	if (since >= f->svc[i].delay_ms)
		*out = f->svc[i].final;
	else if (f->svc[i].first != SCHED_H_STARTING && since >= f->svc[i].first_ms)
		*out = f->svc[i].first;
	else
		*out = SCHED_H_STARTING;
	return 0;
}

static void fake_init(struct fake *f, int events)
{
	int i;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->use_events = events;
	for (i = 0; i < 16; i++) {
		f->svc[i].delay_ms = 30;
		f->svc[i].final = SCHED_H_HEALTHY;
		f->svc[i].first = SCHED_H_STARTING;
	}
}

/* sched_notify must not outlive the run: wait for the timers */
static void fake_detached(void *u, struct sched *s)
{
	struct fake *f = u;

	for (;;) {
		int left;

		pthread_mutex_lock(&f->mu);
		left = f->timers;
		pthread_mutex_unlock(&f->mu);
		if (!left)
			return;
		usleep(5000);
	}
}

static struct sched_ops ops_for(struct fake *f, long poll_ms)
{
	struct sched_ops o = { fake_start, fake_health, NULL, f, poll_ms, NULL, fake_detached };

	return o;
}

/* slow (0), fast (1), needs-fast (2, healthy dep on 1) */
static const struct sched_dep dep_fast[] = { { 1, SCHED_COND_HEALTHY, 1 } };

static void sched__starts_a_service_before_an_unrelated_slow_sibling_is_healthy(void **state)
{
	const struct sched_service svcs[] = {
		{ "slow", NULL, 0, 5000, 0 },
		{ "fast", NULL, 0, 5000, 0 },
		{ "needs-fast", dep_fast, 1, 5000, 0 },
	};
	struct sched_outcome out[3];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 1);
	f.svc[0].delay_ms = 600;
	f.svc[1].delay_ms = 50;
	o = ops_for(&f, 10000); /* readiness from events only */
	assert_int_equal(sched_run(svcs, 3, 0, &o, out), 0);
	assert_int_equal(out[0].status, SCHED_READY);
	assert_int_equal(out[2].status, SCHED_READY);
	/* level batches would wait for "slow"; eager start does not */
	assert_true(out[2].start_ms < out[0].ready_ms);
	assert_true(out[2].start_ms >= out[1].ready_ms);
}

static void sched__unhealthy_dependency_blocks_its_dependents_and_names_both(void **state)
{
	const struct sched_service svcs[] = {
		{ "postgres", NULL, 0, 5000, 0 },
		{ "keycloak", (const struct sched_dep[]){ { 0, SCHED_COND_HEALTHY, 1 } }, 1, 5000, 0 },
		{ "backend", (const struct sched_dep[]){ { 1, SCHED_COND_HEALTHY, 1 } }, 1, 5000, 0 },
	};
	struct sched_outcome out[3];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 1);
	f.svc[0].final = SCHED_H_UNHEALTHY;
	o = ops_for(&f, 50);
	assert_int_equal(sched_run(svcs, 3, 0, &o, out), DIVE_EUNHEALTHY);
	assert_int_equal(out[0].status, SCHED_FAILED);
	assert_int_equal(out[1].status, SCHED_BLOCKED);
	assert_int_equal(out[2].status, SCHED_BLOCKED);
	assert_int_equal(f.starts, 1); /* never started */
	assert_non_null(strstr(out[1].error, "'keycloak'"));
	assert_non_null(strstr(out[1].error, "'postgres'"));
	assert_non_null(strstr(dive_error_last(), "postgres"));
}

static void sched__times_out_a_service_that_never_gets_healthy(void **state)
{
	const struct sched_service svcs[] = { { "keycloak", NULL, 0, 200, 0 } };
	struct sched_outcome out[1];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 0);
	f.svc[0].delay_ms = 100000;
	o = ops_for(&f, 20);
	assert_int_equal(sched_run(svcs, 1, 0, &o, out), DIVE_ETIMEOUT);
	assert_non_null(strstr(out[0].error, "not healthy after"));
	assert_int_equal(dive_error_last_code(), 1204);
}

static void sched__tolerates_unhealthy_until_the_timeout_when_asked(void **state)
{
	const struct sched_service strict[] = { { "strict", NULL, 0, 2000, 0 } };
	const struct sched_service tolerant[] = { { "tolerant", NULL, 0, 2000, 1 } };
	struct sched_outcome out[1];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 1);
	f.svc[0].first = SCHED_H_UNHEALTHY;
	f.svc[0].first_ms = 20;
	f.svc[0].delay_ms = 150;
	o = ops_for(&f, 10000);
	assert_int_equal(sched_run(strict, 1, 0, &o, out), DIVE_EUNHEALTHY);
	assert_int_equal(out[0].status, SCHED_FAILED);
	assert_int_equal(sched_run(tolerant, 1, 0, &o, out), 0);
	assert_int_equal(out[0].status, SCHED_READY);
}

static void sched__fails_fast_once_a_service_failed(void **state)
{
	const struct sched_service svcs[] = {
		{ "broken", NULL, 0, 5000, 0 },
		{ "slow", NULL, 0, 5000, 0 },
		{ "after-slow", (const struct sched_dep[]){ { 1, SCHED_COND_HEALTHY, 1 } }, 1, 5000, 0 },
	};
	struct sched_outcome out[3];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 1);
	f.svc[0].final = SCHED_H_UNHEALTHY;
	f.svc[0].delay_ms = 30;
	f.svc[1].delay_ms = 3000;
	o = ops_for(&f, 10000);
	assert_int_equal(sched_run(svcs, 3, 0, &o, out), DIVE_EUNHEALTHY);
	/* not waited for: the run was already lost */
	assert_int_equal(out[1].status, SCHED_RUNNING);
	assert_int_equal(out[2].status, SCHED_BLOCKED);
	assert_true(out[0].start_ms >= 0);
}

static void sched__polls_when_no_event_arrives(void **state)
{
	const struct sched_service svcs[] = {
		{ "a", NULL, 0, 3000, 0 },
		{ "b", (const struct sched_dep[]){ { 0, SCHED_COND_STARTED, 1 } }, 1, 3000, 0 },
	};
	struct sched_outcome out[2];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 0);
	o = ops_for(&f, 20);
	assert_int_equal(sched_run(svcs, 2, 0, &o, out), 0);
	assert_int_equal(out[1].status, SCHED_READY);
}

static void sched__caps_concurrent_starts(void **state)
{
	struct sched_service svcs[6];
	struct sched_outcome out[6];
	struct fake f;
	struct sched_ops o;
	int i;

	for (i = 0; i < 6; i++)
		svcs[i] = (struct sched_service){ "s", NULL, 0, 3000, 0 };
	fake_init(&f, 1);
	o = ops_for(&f, 50);
	assert_int_equal(sched_run(svcs, 6, 2, &o, out), 0);
	assert_true(f.max_inflight <= 2);
	assert_int_equal(f.starts, 6);
}

static void sched__completed_condition_waits_for_a_clean_exit(void **state)
{
	const struct sched_service good[] = {
		{ "init", NULL, 0, 3000, 0 },
		{ "app", (const struct sched_dep[]){ { 0, SCHED_COND_COMPLETED, 1 } }, 1, 3000, 0 },
	};
	struct sched_outcome out[2];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 1);
	f.svc[0].final = SCHED_H_EXITED_OK;
	o = ops_for(&f, 50);
	assert_int_equal(sched_run(good, 2, 0, &o, out), 0);
	assert_int_equal(out[1].status, SCHED_READY);
	assert_true(out[1].start_ms >= out[0].ready_ms);

	fake_init(&f, 1);
	f.svc[0].final = SCHED_H_EXITED_FAIL;
	f.svc[0].exit_code = 3;
	o = ops_for(&f, 50);
	assert_int_equal(sched_run(good, 2, 0, &o, out), DIVE_EUNHEALTHY);
	assert_int_equal(out[1].status, SCHED_BLOCKED);
	assert_non_null(strstr(out[0].error, "exited with code 3"));
}

static void sched__start_failure_is_reported_as_is(void **state)
{
	const struct sched_service svcs[] = { { "kas", NULL, 0, 3000, 0 } };
	struct sched_outcome out[1];
	struct fake f;
	struct sched_ops o;

	fake_init(&f, 1);
	f.svc[0].start_fails = 1;
	o = ops_for(&f, 50);
	assert_int_equal(sched_run(svcs, 1, 0, &o, out), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "already in use"));
}

static void sched__a_thread_that_cannot_be_created_fails_its_service_at_once(void **state)
{
	const struct sched_service svcs[] = { { "postgres", NULL, 0, 3000, 0 }, { "redis", NULL, 0, 3000, 0 } };
	struct sched_outcome out[2];
	struct fake f;
	struct sched_ops o;
	int rc;

	fake_init(&f, 0);
	o = ops_for(&f, 20);
	alarm(20); /* it used to wait forever for a start that never ran */
	refuse_threads = 1;
	rc = sched_run(svcs, 2, 1, &o, out);
	refuse_threads = 0;
	alarm(0);
	assert_int_equal(rc, DIVE_EFAIL);
	assert_string_equal(dive_error_last(), "service 'postgres' not started: cannot create a thread: Resource "
					       "temporarily unavailable");
	assert_int_equal(out[0].status, SCHED_FAILED);
	assert_int_equal(f.starts, 0); /* one start at a time: redis never began */
	assert_int_equal(out[1].status, SCHED_BLOCKED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sched__starts_a_service_before_an_unrelated_slow_sibling_is_healthy),
		cmocka_unit_test(sched__unhealthy_dependency_blocks_its_dependents_and_names_both),
		cmocka_unit_test(sched__times_out_a_service_that_never_gets_healthy),
		cmocka_unit_test(sched__tolerates_unhealthy_until_the_timeout_when_asked),
		cmocka_unit_test(sched__fails_fast_once_a_service_failed),
		cmocka_unit_test(sched__polls_when_no_event_arrives),
		cmocka_unit_test(sched__caps_concurrent_starts),
		cmocka_unit_test(sched__completed_condition_waits_for_a_clean_exit),
		cmocka_unit_test(sched__start_failure_is_reported_as_is),
		cmocka_unit_test(sched__a_thread_that_cannot_be_created_fails_its_service_at_once),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
