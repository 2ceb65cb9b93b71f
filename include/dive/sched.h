/*
 * sched.h - eager scheduler: each service starts the moment each of its own
 * dependencies meets its condition (never in level batches), at most
 * `parallel` starts at once, and is ready when its health says so.
 *
 * The engine behind it is a struct sched_ops (the real one creates
 * containers and reads Docker health events; tests use a fake).  Readiness
 * arrives by sched_notify() from any thread (an events stream) and, as a
 * fallback, by polling ops->health every poll_ms.  A dependency that fails,
 * is unhealthy past its tolerance or exits fails its dependents with the
 * reason; nothing that depends on it is ever started.
 */
#ifndef DIVE_SCHED_H
#define DIVE_SCHED_H

enum sched_cond {
	SCHED_COND_STARTED,     /* service_started */
	SCHED_COND_HEALTHY,     /* service_healthy */
	SCHED_COND_COMPLETED,   /* service_completed_successfully */
};

enum sched_health {
	SCHED_H_STARTING,       /* running, health not decided yet */
	SCHED_H_HEALTHY,        /* healthy, or running with no health check */
	SCHED_H_UNHEALTHY,
	SCHED_H_EXITED_OK,
	SCHED_H_EXITED_FAIL,
};

enum sched_status {
	SCHED_WAITING,          /* dependencies not met yet */
	SCHED_STARTING,         /* being created/started */
	SCHED_RUNNING,          /* started, not ready yet */
	SCHED_READY,
	SCHED_FAILED,
	SCHED_BLOCKED,          /* never started: a dependency failed */
};

struct sched_dep {
	int index;
	enum sched_cond cond;
	int required;           /* compose `required: false` deps are skipped when absent */
};

struct sched_service {
	const char *name;
	const struct sched_dep *deps;
	int ndeps;
	long timeout_ms;        /* from start to ready */
	int tolerate_unhealthy; /* 1: unhealthy is not terminal before the timeout */
};

struct sched;

struct sched_ops {
	/* Create-or-keep and start service i (blocking, called from a worker thread). */
	int (*start)(void *u, struct sched *s, int i);
	/* Current health of service i (fallback to events). */
	int (*health)(void *u, int i, enum sched_health *out, int *exit_code);
	/* Stop asked for (SIGINT)?  May be NULL. */
	int (*stopped)(void *u);
	void *u;
	long poll_ms;           /* fallback polling period; default 500 */
	/* Called once before any start, with the run to notify (may be NULL). */
	void (*attached)(void *u, struct sched *s);
	/* Called once before the run is freed: stop whatever calls sched_notify (may be NULL). */
	void (*detached)(void *u, struct sched *s);
};

struct sched_outcome {
	enum sched_status status;
	long long start_ms;     /* from the scheduler's start; -1 if never started */
	long long ready_ms;     /* -1 if never ready */
	int recreated;          /* set by ops->start through sched_set_recreated() */
	char error[320];
};

/*
 * Run the scheduler over n services.  out has n entries.  Returns 0 when
 * every service is ready, else the first failure's error (DIVE_EUNHEALTHY,
 * DIVE_ETIMEOUT, DIVE_EINTR, or what start returned), naming the service.
 */
int sched_run(const struct sched_service *svcs, int n, int parallel, const struct sched_ops *ops,
	      struct sched_outcome *out);

/* From any thread: service i's health changed. */
void sched_notify(struct sched *s, int i, enum sched_health h, int exit_code);
/* From ops->start: the container was (re)created rather than kept. */
void sched_set_recreated(struct sched *s, int i, int recreated);

const char *sched_status_name(enum sched_status st);

#endif
