/* sched.c - eager dependency-driven start (see sched.h). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/sched.h"
#include "dive/xalloc.h"

#define SCHED_MAX 128
#define QUEUE_MAX 1024

struct note {
	int i;
	enum sched_health h;
	int exit_code;
};

struct sched {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct sched_service *svcs;
	int n;
	const struct sched_ops *ops;
	struct sched_outcome *out;
	long long t0;
	int starting;               /* starts in flight */
	int start_rc[SCHED_MAX];    /* result of each start, when done */
	int start_done[SCHED_MAX];
	char start_err[SCHED_MAX][256];
	int start_code[SCHED_MAX];
	long long last_poll[SCHED_MAX];
	enum sched_health health[SCHED_MAX];
	int exit_code[SCHED_MAX];
	struct note queue[QUEUE_MAX];
	int nqueue;
	pthread_t threads[SCHED_MAX];
	int thread_used[SCHED_MAX];
};

struct start_arg {
	struct sched *s;
	int i;
};

const char *sched_status_name(enum sched_status st)
{
	static const char *const names[] = { "waiting", "starting", "running", "ready", "failed", "blocked" };

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sched_notify(struct sched *s, int i, enum sched_health h, int exit_code)
{
	if (i < 0 || i >= s->n)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->nqueue < QUEUE_MAX) {
		s->queue[s->nqueue].i = i;
		s->queue[s->nqueue].h = h;
		s->queue[s->nqueue].exit_code = exit_code;
		s->nqueue++;
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void sched_set_recreated(struct sched *s, int i, int recreated)
{
	if (i < 0 || i >= s->n)
		return;
	pthread_mutex_lock(&s->mu);
	s->out[i].recreated = recreated;
	pthread_mutex_unlock(&s->mu);
}

static void *start_thread(void *arg)
{
	struct start_arg *a = arg;
	struct sched *s = a->s;
	int i = a->i, rc;

	free(a);
	dive_error_clear();
	rc = s->ops->start(s->ops->u, s, i);
	pthread_mutex_lock(&s->mu);
	s->start_rc[i] = rc;
	s->start_done[i] = 1;
	if (rc < 0) {
		snprintf(s->start_err[i], sizeof(s->start_err[i]), "%s", dive_error_last());
		s->start_code[i] = dive_error_last_code();
	}
	s->starting--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void fail(struct sched *s, int i, enum sched_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct sched *s, int i, enum sched_status st, const char *fmt, ...)
{
	va_list ap;

	s->out[i].status = st;
	va_start(ap, fmt);
	vsnprintf(s->out[i].error, sizeof(s->out[i].error), fmt, ap);
	va_end(ap);
}

/* Does dependency d of a service meet its condition?  1 yes, 0 not yet, -1 never. */
static int dep_met(struct sched *s, const struct sched_dep *d)
{
	const struct sched_outcome *o = &s->out[d->index];

	if (o->status == SCHED_FAILED || o->status == SCHED_BLOCKED)
		return -1;
	switch (d->cond) {
	case SCHED_COND_STARTED:
		return o->status == SCHED_RUNNING || o->status == SCHED_READY;
	case SCHED_COND_HEALTHY:
		return o->status == SCHED_READY;
	case SCHED_COND_COMPLETED:
		if (s->health[d->index] == SCHED_H_EXITED_OK)
			return 1;
		return s->health[d->index] == SCHED_H_EXITED_FAIL ? -1 : 0;
	}
	return 0;
}

/* Apply a health observation to a running service. */
static void observe(struct sched *s, int i, enum sched_health h, int exit_code, long long now)
{
	struct sched_outcome *o = &s->out[i];
	char code[16];

	s->health[i] = h;
	s->exit_code[i] = exit_code;
	if (o->status != SCHED_RUNNING)
		return;
	switch (h) {
	case SCHED_H_HEALTHY:
	case SCHED_H_EXITED_OK:
		o->status = SCHED_READY;
		o->ready_ms = now - s->t0;
		break;
	case SCHED_H_UNHEALTHY:
		if (!s->svcs[i].tolerate_unhealthy)
			fail(s, i, SCHED_FAILED, "service '%s' turned unhealthy", s->svcs[i].name);
		break;
	case SCHED_H_EXITED_FAIL:
		snprintf(code, sizeof(code), "%d", exit_code);
		fail(s, i, SCHED_FAILED, "service '%s' exited with code %s", s->svcs[i].name, code);
		break;
	case SCHED_H_STARTING:
		break;
	}
}

/* Done when nothing can change any more; once a service failed, the run
 * fails too: services still waiting for readiness are not waited for. */
static int any_failed(const struct sched *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->out[i].status == SCHED_FAILED)
			return 1;
	return 0;
}

static int all_settled(struct sched *s)
{
	int i, failed = 0;

	for (i = 0; i < s->n; i++)
		failed |= s->out[i].status == SCHED_FAILED;
	for (i = 0; i < s->n; i++) {
		enum sched_status st = s->out[i].status;

		if (st == SCHED_RUNNING && failed)
			continue;
		if (st != SCHED_READY && st != SCHED_FAILED && st != SCHED_BLOCKED)
			return 0;
	}
	return s->starting == 0;
}

int sched_run(const struct sched_service *svcs, int n, int parallel, const struct sched_ops *ops,
	      struct sched_outcome *out)
{
	struct sched *s;
	long poll_ms = ops->poll_ms > 0 ? ops->poll_ms : 500;
	int i, rc = 0, stopping = 0;

	if (n < 0 || n > SCHED_MAX)
		return dive_error_set(DIVE_EUSAGE, "at most %d services", SCHED_MAX);
	if (parallel <= 0)
		parallel = n > 0 ? n : 1;
	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->svcs = svcs;
	s->n = n;
	s->ops = ops;
	s->out = out;
	s->t0 = mono_ms();
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].status = SCHED_WAITING;
		out[i].start_ms = -1;
		out[i].ready_ms = -1;
	}

	if (ops->attached)
		ops->attached(ops->u, s);
	pthread_mutex_lock(&s->mu);
	while (!all_settled(s)) {
		long long now = mono_ms(), wake = now + poll_ms;
		int progressed = 0;

		if (!stopping && ops->stopped && ops->stopped(ops->u))
			stopping = 1;

		/* notifications from events and finished starts */
		for (i = 0; i < s->nqueue; i++)
			observe(s, s->queue[i].i, s->queue[i].h, s->queue[i].exit_code, now);
		if (s->nqueue)
			progressed = 1;
		s->nqueue = 0;
		for (i = 0; i < n; i++) {
			if (out[i].status != SCHED_STARTING || !s->start_done[i])
				continue;
			progressed = 1;
			if (s->start_rc[i] < 0) {
				out[i].status = SCHED_FAILED;
				snprintf(out[i].error, sizeof(out[i].error), "%s", s->start_err[i]);
			} else {
				out[i].status = SCHED_RUNNING;
				s->last_poll[i] = 0; /* look at it now */
			}
		}

		/* start what can start; block what never can */
		for (i = 0; i < n; i++) {
			int d, met = 1;

			if (out[i].status != SCHED_WAITING)
				continue;
			if (stopping) {
				fail(s, i, SCHED_BLOCKED, "service '%s' not started: interrupted", svcs[i].name);
				progressed = 1;
				continue;
			}
			for (d = 0; d < svcs[i].ndeps && met == 1; d++) {
				int m = dep_met(s, &svcs[i].deps[d]);

				if (m < 0) {
					const char *dep = svcs[svcs[i].deps[d].index].name;
					char why[160];

					snprintf(why, sizeof(why), "%.150s", out[svcs[i].deps[d].index].error);
					snprintf(out[i].error, sizeof(out[i].error),
						 "service '%.40s' not started: its dependency '%.40s' failed: %s",
						 svcs[i].name, dep, why);
					out[i].status = SCHED_BLOCKED;
					progressed = 1;
					met = -1;
				} else if (m == 0) {
					met = 0;
				}
			}
			if (met == 1 && any_failed(s)) {
				fail(s, i, SCHED_BLOCKED, "service '%s' not started: the run failed first", svcs[i].name);
				progressed = 1;
				continue;
			}
			if (met == 0 && any_failed(s)) {
				fail(s, i, SCHED_BLOCKED, "service '%s' not started: the run failed first", svcs[i].name);
				progressed = 1;
				continue;
			}
			if (met == 1 && s->starting < parallel) {
				struct start_arg *a = xmalloc(sizeof(*a));
				int err;

				a->s = s;
				a->i = i;
				out[i].status = SCHED_STARTING;
				out[i].start_ms = now - s->t0;
				s->starting++;
				s->thread_used[i] = 1;
				if ((err = pthread_create(&s->threads[i], NULL, start_thread, a)) != 0) {
					/* no thread, no start: the service fails now instead of waiting forever */
					free(a);
					s->starting--;
					s->thread_used[i] = 0;
					s->start_rc[i] = DIVE_EFAIL;
					fail(s, i, SCHED_FAILED, "service '%s' not started: cannot create a thread: %s",
					     svcs[i].name, strerror(err));
				}
				progressed = 1;
			}
		}

		/* deadlines, and the polling fallback */
		for (i = 0; i < n; i++) {
			long long deadline;

			if (out[i].status != SCHED_RUNNING)
				continue;
			if (stopping) {
				fail(s, i, SCHED_FAILED, "service '%s' not ready: interrupted", svcs[i].name);
				progressed = 1;
				continue;
			}
			deadline = s->t0 + out[i].start_ms + svcs[i].timeout_ms;
			if (now >= deadline) {
				char secs[32];

				snprintf(secs, sizeof(secs), "%.0fs", svcs[i].timeout_ms / 1000.0);
				if (s->health[i] == SCHED_H_UNHEALTHY)
					fail(s, i, SCHED_FAILED, "service '%s' still unhealthy after %s", svcs[i].name, secs);
				else
					fail(s, i, SCHED_FAILED, "service '%s' not healthy after %s (timeout)", svcs[i].name,
					     secs);
				progressed = 1;
				continue;
			}
			if (deadline < wake)
				wake = deadline;
			if (now - s->last_poll[i] >= poll_ms && ops->health) {
				enum sched_health h = SCHED_H_STARTING;
				int code = 0;

				s->last_poll[i] = now;
				pthread_mutex_unlock(&s->mu);
				if (ops->health(ops->u, i, &h, &code) < 0)
					h = SCHED_H_STARTING;
				pthread_mutex_lock(&s->mu);
				observe(s, i, h, code, mono_ms());
				progressed = 1;
			} else if (s->last_poll[i] + poll_ms < wake) {
				wake = s->last_poll[i] + poll_ms;
			}
		}
		if (progressed || s->nqueue)
			continue;
		{
			struct timespec ts;

			if (wake < now + 5)
				wake = now + 5;
			ts.tv_sec = wake / 1000;
			ts.tv_nsec = (wake % 1000) * 1000000L;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
	}
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < n; i++)
		if (s->thread_used[i])
			pthread_join(s->threads[i], NULL);
	if (ops->detached)
		ops->detached(ops->u, s);

	for (i = 0; i < n && rc == 0; i++) {
		if (out[i].status == SCHED_FAILED) {
			int code = s->start_code[i];

			if (stopping) {
				rc = dive_error_set(DIVE_EINTR, "%s", out[i].error);
			} else if (strstr(out[i].error, "timeout")) {
				rc = dive_error_set(DIVE_ETIMEOUT, "%s", out[i].error);
				code = ERRC_SERVICE_TIMEOUT;
			} else if (s->start_rc[i] < 0) {
				rc = dive_error_set(s->start_rc[i], "%s", out[i].error);
			} else {
				rc = dive_error_set(DIVE_EUNHEALTHY, "%s", out[i].error);
				code = s->health[i] == SCHED_H_EXITED_FAIL ? ERRC_CONTAINER_EXITED : ERRC_CONTAINER_UNHEALTHY;
			}
			if (code)
				dive_error_set_code(code);
		}
	}
	for (i = 0; i < n && rc == 0; i++)
		if (out[i].status == SCHED_BLOCKED) {
			rc = dive_error_set(stopping ? DIVE_EINTR : DIVE_EUNHEALTHY, "%s", out[i].error);
			if (!stopping)
				dive_error_set_code(ERRC_SERVICE_DEPENDENCY);
		}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc;
}
