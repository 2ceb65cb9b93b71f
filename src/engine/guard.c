/* guard.c - one call through the retry policy of its class and the breaker of its endpoint (see guard.h). */
#include <stdio.h>
#include <string.h>

#include "dive/breaker_store.h"
#include "dive/docker.h"
#include "dive/keycloak.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/guard.h"
#include "dive/log.h"
#include "dive/retry.h"
#include "dive/secrets.h"
#include "dive/store.h"

/* The step slot of this thread (guard_defer_begin), or NULL. */
static _Thread_local struct breaker_outcome *defer_slot;

struct breaker_outcome *guard_defer_begin(struct breaker_outcome *slot)
{
	struct breaker_outcome *prev = defer_slot;

	memset(slot, 0, sizeof(*slot));
	defer_slot = slot;
	return prev;
}

void guard_defer_end(struct breaker_outcome *previous)
{
	defer_slot = previous;
}

struct guard_state {
	const struct guard_ops *ops;
	const struct guard_call *call;
	const struct retry_clock *inner;
	struct guard_report *rep;
	struct guard_outcome pending;
};

/* What an attempt's result tells the breaker about the endpoint. */
static enum breaker_event_type classify(int rc, long http, int code)
{
	if (rc == 0)
		return BREAKER_EV_SUCCESS;
	if (rc == DIVE_EINTR || rc == DIVE_ECIRCUIT || rc == DIVE_ENOTIMPL)
		return BREAKER_EV_ABANDON;
	/* Retryable means the endpoint is down, slow or broken; anything else is an answer. */
	return retry_is_retryable(rc, http, code) ? BREAKER_EV_FAILURE : BREAKER_EV_SUCCESS;
}

static void flush(struct guard_state *g)
{
	struct guard_outcome *o = &g->pending;

	if (!o->pending)
		return;
	o->pending = 0;
	if (g->ops->report(g->ops->data, &o->ticket, o->type, o->type == BREAKER_EV_FAILURE ? o->message : NULL) < 0) {
		g->rep->report_errors++;
		dive_debug("breaker %s: could not record %s: %s", o->ticket.name, breaker_event_name(o->type),
			   dive_error_last());
	}
}

static int attempt(void *arg, long *http_status, int *code)
{
	struct guard_state *g = arg;
	struct breaker_ticket t;
	enum breaker_event_type type;
	int rc;

	flush(g); /* the sleep before this attempt did it already, unless there was none */
	rc = g->ops->allow(g->ops->data, &t, g->call->breaker);
	if (rc == DIVE_ECIRCUIT) {
		g->rep->refused = 1;
		*code = ERRC_CIRCUIT_OPEN;
		dive_error_set_code(ERRC_CIRCUIT_OPEN);
		return rc;
	}
	if (rc < 0) {
		if (rc == DIVE_EUNAVAIL) {
			*code = ERRC_STATE_UNREACHABLE;
			dive_error_set_code(ERRC_STATE_UNREACHABLE);
		}
		return rc;
	}
	g->rep->calls++;
	rc = g->call->op(g->call->arg, http_status, code);
	if (t.pass == BREAKER_PASS_NONE)
		return rc; /* a disabled breaker wants no news */
	type = classify(rc, *http_status, *code);
	memset(&g->pending, 0, sizeof(g->pending));
	g->pending.pending = 1;
	g->pending.ticket = t;
	g->pending.type = type;
	if (type == BREAKER_EV_FAILURE)
		snprintf(g->pending.message, sizeof(g->pending.message), "%s", dive_error_last());
	return rc;
}

/* The driver's clock, with the pending outcome reported before each sleep. */
static long long clock_now(void *data)
{
	const struct guard_state *g = data;

	return g->inner->now_ms(g->inner->data);
}

static void clock_sleep(void *data, long ms)
{
	struct guard_state *g = data;

	flush(g);
	g->inner->sleep_ms(g->inner->data, ms);
}

int guard_run(const struct guard_ops *ops, const struct guard_call *call, struct guard_report *out)
{
	struct guard_report local;
	struct guard_state g;
	struct retry_clock clock;
	const struct retry_policy *p = call->policy;
	struct dive_error_saved saved;
	int rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (!p && (rc = retry_policy_get(&p, call->cls)) < 0)
		return rc;
	memset(&g, 0, sizeof(g));
	g.ops = ops;
	g.call = call;
	g.inner = call->clock ? call->clock : &retry_clock_real;
	g.rep = out;
	clock.now_ms = clock_now;
	clock.sleep_ms = clock_sleep;
	clock.data = &g;
	clock.rng = g.inner->rng;
	rc = retry_run(p, attempt, &g, &clock, &out->retry);
	if (!g.pending.pending)
		return rc;
	if (call->defer_last) {
		out->deferred = g.pending;
		return rc;
	}
	if (defer_slot) {
		/* the step records this one; an earlier call's outcome it was holding is reported now */
		struct guard_outcome last = g.pending;

		dive_error_save(&saved);
		if (defer_slot->pending) {
			g.pending = *defer_slot;
			flush(&g);
		}
		*defer_slot = last;
		if (rc < 0)
			dive_error_restore(&saved);
		return rc;
	}
	/* Recording must not replace the call's own error. */
	dive_error_save(&saved);
	flush(&g);
	if (rc < 0)
		dive_error_restore(&saved);
	return rc;
}

/* The state store as the breaker side. */

static int store_allow(void *data, struct breaker_ticket *out, const char *name)
{
	return breaker_allow(data, out, name);
}

static int store_report(void *data, const struct breaker_ticket *t, enum breaker_event_type type, const char *message)
{
	switch (type) {
	case BREAKER_EV_SUCCESS:
		return breaker_record(data, t, 1, NULL);
	case BREAKER_EV_FAILURE:
		return breaker_record(data, t, 0, message);
	case BREAKER_EV_ABANDON:
		return breaker_release(data, t);
	default:
		return dive_error_set(DIVE_EUSAGE, "internal: '%s' is not an outcome", breaker_event_name(type));
	}
}

void guard_ops_store(struct guard_ops *out, struct store *s)
{
	out->allow = store_allow;
	out->report = store_report;
	out->data = s;
}

int guard_finish_tx(struct store *s, const struct guard_outcome *o)
{
	return breaker_outcome_record_tx(s, o);
}

/* The secrets provider's hook: one provider attempt is one guarded attempt. */

struct secrets_arg {
	secrets_attempt_fn op;
	void *arg;
};

static int secrets_op(void *arg, long *http_status, int *code)
{
	struct secrets_arg *a = arg;

	return a->op(a->arg, http_status, code);
}

static int secrets_run(void *data, const char *cls, const char *breaker, secrets_attempt_fn op, void *arg)
{
	struct guard_ops ops;
	struct guard_call call;
	struct secrets_arg a = { op, arg };
	enum retry_class rc;

	if (retry_class_parse(&rc, cls) < 0)
		return DIVE_EUSAGE;
	guard_ops_store(&ops, data);
	memset(&call, 0, sizeof(call));
	call.breaker = breaker;
	call.cls = rc;
	call.op = secrets_op;
	call.arg = &a;
	return guard_run(&ops, &call, NULL);
}

int guard_secrets_open(struct secrets_provider **out, const char *spec, const char *instances_dir, struct store *s)
{
	struct secrets_guard g = { secrets_run, s };
	int rc = secrets_open(out, spec, instances_dir);

	if (rc == 0 && s)
		secrets_set_guard(*out, &g);
	return rc;
}

/* The clients' hook: one client attempt is one guarded attempt. */

struct hook_ops {
	struct guard_hook *g;
	int use_store;
};

static int hook_allow(void *data, struct breaker_ticket *out, const char *name)
{
	struct hook_ops *o = data;
	int rc;

	memset(out, 0, sizeof(*out));
	if (o->g->mu)
		pthread_mutex_lock(o->g->mu);
	/* the store is looked at per attempt: a retry may find it back, or busy */
	o->use_store = store_idle(o->g->store);
	rc = o->use_store ? breaker_allow(o->g->store, out, name) : 0; /* a zero ticket: pass, report nothing */
	if (o->g->mu)
		pthread_mutex_unlock(o->g->mu);
	return rc;
}

static int hook_report(void *data, const struct breaker_ticket *t, enum breaker_event_type type, const char *message)
{
	struct hook_ops *o = data;
	int rc = 0;

	if (!o->use_store || t->pass == BREAKER_PASS_NONE)
		return 0;
	if (o->g->mu)
		pthread_mutex_lock(o->g->mu);
	if (store_idle(o->g->store))
		rc = store_report(o->g->store, t, type, message);
	if (o->g->mu)
		pthread_mutex_unlock(o->g->mu);
	return rc;
}

static int hook_run(void *data, int (*op)(void *arg, long *http_status, int *code), void *arg)
{
	struct guard_hook *g = data;
	struct hook_ops o = { g, 0 };
	struct guard_ops ops = { hook_allow, hook_report, &o };
	struct guard_call call;

	memset(&call, 0, sizeof(call));
	call.breaker = g->breaker;
	call.cls = g->cls;
	call.op = op;
	call.arg = arg;
	return guard_run(&ops, &call, NULL);
}

static void hook_fill(struct guard_hook *g, struct store *s, pthread_mutex_t *mu, enum retry_class cls,
		      const char *breaker)
{
	memset(g, 0, sizeof(*g));
	g->store = s;
	g->mu = mu;
	g->cls = cls;
	snprintf(g->breaker, sizeof(g->breaker), "%s", breaker);
}

void guard_docker_install(struct docker *d, struct guard_hook *g, struct store *s, pthread_mutex_t *mu,
			  const char *breaker)
{
	struct docker_guard dg = { hook_run, g };

	hook_fill(g, s, mu, RETRY_DOCKER, breaker);
	docker_set_guard(d, &dg);
}

void guard_kc_install(struct kc *kc, struct guard_hook *g, struct store *s, pthread_mutex_t *mu,
		      const char *breaker)
{
	struct kc_guard kg = { hook_run, g };

	hook_fill(g, s, mu, RETRY_KEYCLOAK, breaker);
	kc_set_guard(kc, &kg);
}
