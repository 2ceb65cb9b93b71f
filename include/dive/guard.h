/*
 * guard.h - a guarded call: one operation on an endpoint, run under the
 * retry policy of its class (retry.h) and through the circuit breaker of
 * its endpoint (breaker.h).  The Docker, Keycloak and MongoDB clients are
 * called through it; they make one attempt each and know nothing of either.
 *
 * Each attempt asks the breaker first.  When it refuses, the attempt fails
 * at once with DIVE_ECIRCUIT (ERRC_CIRCUIT_OPEN, the message says when the
 * next probe is allowed), the endpoint is not touched, and the retry driver
 * stops: an open breaker is never retried.  Otherwise the operation runs and
 * its outcome is reported to the breaker:
 *
 *   0                                   success
 *   DIVE_EINTR, DIVE_ECIRCUIT,          abandoned: frees a probe slot, counts nothing
 *     DIVE_ENOTIMPL
 *   retryable (retry_is_retryable)      failure: the endpoint is down, slow or broken
 *   anything else (a 404, bad input,    success: the endpoint answered; the request
 *     a permanent taxonomy code)          was wrong, which a breaker does not count
 *
 * An outcome is reported before the driver sleeps for the next attempt,
 * so other processes see it at once.  The last attempt's outcome is
 * reported before guard_run() returns, unless the call sets defer_last:
 * then it is left in report->deferred for guard_finish_tx(), which records
 * it inside the caller's transaction with the step it ends (DESIGN §1):
 *
 *   rc = guard_run(&ops, &call, &rep);          (call.defer_last = 1)
 *   store_begin(s);
 *   ... the step row, errlog_record(), state_transition() ...
 *   guard_finish_tx(s, &rep.deferred);
 *   store_commit(s);
 *
 * A breaker store that fails while asking fails the attempt with its own
 * error (ERRC_STATE_UNREACHABLE when unreachable, retried as that code's
 * class says); one that fails while recording does not change the call's
 * result: a probe slot it held is freed when its probe timeout passes.
 *
 * The breaker side is a struct of function pointers, so the engine and the
 * unit tests can run a guarded call against a fake (tests/unit/test_breaker.c).
 */
#ifndef DIVE_GUARD_H
#define DIVE_GUARD_H

#include "dive/breaker.h"
#include "dive/retry.h"

struct store;

/* Where the breaker lives.  guard_ops_store() fills it for the state store. */
struct guard_ops {
	/* breaker_allow(): 0 with *out filled, DIVE_ECIRCUIT with the message, or another error. */
	int (*allow)(void *data, struct breaker_ticket *out, const char *name);
	/* type is BREAKER_EV_SUCCESS, BREAKER_EV_FAILURE or BREAKER_EV_ABANDON. */
	int (*report)(void *data, const struct breaker_ticket *t, enum breaker_event_type type, const char *message);
	void *data;
};

void guard_ops_store(struct guard_ops *out, struct store *s);

struct guard_call {
	const char *breaker;                /* the endpoint: "mongo:hub", "keycloak:deu", "docker" */
	enum retry_class cls;               /* whose retry policy applies */
	const struct retry_policy *policy;  /* NULL: the policy in force for cls (retry_policy_get) */
	/* One attempt: as retry_run's op (sets *http_status and *code when known). */
	int (*op)(void *arg, long *http_status, int *code);
	void *arg;
	const struct retry_clock *clock;    /* NULL: the real clock */
	int defer_last;                     /* leave the last outcome in report->deferred */
};

/* The last attempt's outcome, not yet reported (defer_last): breaker.h's struct breaker_outcome. */
#define guard_outcome breaker_outcome

struct guard_report {
	struct retry_report retry;          /* attempts, sleeps, how it stopped */
	int calls;                          /* attempts that reached the endpoint */
	int refused;                        /* 1 when the breaker refused an attempt */
	int report_errors;                  /* outcomes the breaker store could not record */
	struct guard_outcome deferred;
};

/*
 * Run call.  Returns 0, or the last attempt's error unchanged, message and
 * taxonomy code included (DIVE_ECIRCUIT when the breaker refused it).
 * out may be NULL unless defer_last is set.
 */
int guard_run(const struct guard_ops *ops, const struct guard_call *call, struct guard_report *out);

/* Report a deferred outcome inside the caller's open transaction (breaker_outcome_record_tx). */
int guard_finish_tx(struct store *s, const struct guard_outcome *o);

/*
 * A step's outcome slot.  Between guard_defer_begin(slot) and
 * guard_defer_end(previous) on one thread, the last outcome of each
 * guarded call made on that thread is left in *slot instead of being
 * reported (an earlier one still in the slot is reported then), so the
 * step's record and its breaker change commit together (runstore.h
 * step_done / step_failed; DESIGN §1).  begin returns the slot it
 * replaces, for end.  A slot whose step record fails is lost: the breaker
 * frees a probe slot it held when its probe timeout passes.
 */
struct breaker_outcome *guard_defer_begin(struct breaker_outcome *slot);
void guard_defer_end(struct breaker_outcome *previous);

/*
 * The secrets provider, guarded: secrets_open() (secrets.h), then, when s is
 * not NULL, a hook that runs each of the provider's calls to a server (the
 * vault: provider) through guard_run() with the breakers in s and the retry
 * policy of the class the provider names.  The engine's callers (deploy,
 * fedsync, the secrets verbs) open providers only through this.
 */
struct secrets_provider;
int guard_secrets_open(struct secrets_provider **out, const char *spec, const char *instances_dir, struct store *s);

/*
 * The clients, guarded: each of d's buffered calls (docker.h, "Guarding")
 * or kc's admin calls (keycloak.h) runs under the retry class cls and
 * through the breaker named breaker in s (engines_breaker_name():
 * "docker:local"; "keycloak:deu").  mu, when not NULL, is held around each
 * use of s (the caller's lock of its store connection; it must be
 * recursive when a guarded call can be made while it is held).  A store
 * that is NULL, not ready or inside a transaction at the time of a call
 * gives that call retries without a breaker.  g must outlive the client;
 * the install functions fill it and install it.
 */
#include <pthread.h>

struct docker;
struct kc;

struct guard_hook {
	struct store *store;
	pthread_mutex_t *mu;
	enum retry_class cls;
	char breaker[BREAKER_NAME_MAX + 1];
};

void guard_docker_install(struct docker *d, struct guard_hook *g, struct store *s, pthread_mutex_t *mu,
			  const char *breaker);
void guard_kc_install(struct kc *kc, struct guard_hook *g, struct store *s, pthread_mutex_t *mu,
		      const char *breaker);

#endif
