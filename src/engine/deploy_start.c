/* deploy_start.c - the deployment phase: every service started as soon as its dependencies are ready (see deploy_priv.h). */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "dive/pg.h"
#include "dive/plan.h"
#include "dive/sched.h"
#include "dive/stack.h"

/* --- deployment ------------------------------------------------------------------ */

struct start_ctx {
	struct deploy *d;
	int svc;          /* compose index */
	int ran;
	int created;
};

static int do_start(struct pipeline *p, void *arg, cJSON **detail)
{
	struct start_ctx *sc = arg;

	sc->ran = 1;
	return apply_ensure(&sc->d->apply, sc->svc, detail, &sc->created);
}

static int sched_start(void *u, struct sched *s, int node)
{
	struct deploy *d = u;
	struct start_ctx sc = { d, compose_service_index(d->compose, d->graph->nodes[node].svc->name), 0, 0 };
	int rc;

	pthread_mutex_lock(&d->store_mu);
	rc = pipeline_step(d->p, d->graph->nodes[node].svc->name, "start", do_start, &sc, NULL);
	pthread_mutex_unlock(&d->store_mu);
	if (rc == 0 && !sc.ran) {
		/* done before this resume: make sure it runs, keep it as it is */
		cJSON *detail = NULL;

		rc = apply_ensure(&d->apply, sc.svc, &detail, &sc.created);
		cJSON_Delete(detail);
	}
	sched_set_recreated(s, node, sc.created);
	return rc;
}

static int sched_index(void *u, int compose_index)
{
	struct deploy *d = u;

	return graph_index(d->graph, d->compose->services[compose_index].name);
}

/* Health with the one-restart recovery of a container that turned unhealthy. */
static int health(struct deploy *d, int compose_index, enum sched_health *h, int *code)
{
	int rc = apply_health(&d->apply, compose_index, h, code);
	const struct compose_service *s = &d->compose->services[compose_index];

	if (rc == 0 && *h == SCHED_H_UNHEALTHY && !d->restarted[compose_index] &&
	    !(s->dive && s->dive->unhealthy == COMPOSE_UNHEALTHY_TOLERATE)) {
		char name[128];

		d->restarted[compose_index] = 1;
		apply_container_name(&d->apply, compose_index, name, sizeof(name));
		if (docker_container_stop(d->docker, name, 10) == 0 && docker_container_start(d->docker, name) == 0) {
			pthread_mutex_lock(&d->store_mu);
			pipeline_recovered(d->p, ERRC_CONTAINER_UNHEALTHY, s->name,
					   "container turned unhealthy: restarted once");
			pthread_mutex_unlock(&d->store_mu);
			*h = SCHED_H_STARTING;
		}
	}
	return rc;
}

static int sched_health(void *u, int node, enum sched_health *h, int *code)
{
	struct deploy *d = u;

	return health(d, compose_service_index(d->compose, d->graph->nodes[node].svc->name), h, code);
}

static int hook_health(void *u, int compose_index, enum sched_health *h, int *code)
{
	return health(u, compose_index, h, code);
}

/* Docker health events feed the scheduler from the moment it runs. */
static void sched_attached(void *u, struct sched *s)
{
	struct deploy *d = u;

	apply_events_start(&d->apply, s);
}

static void sched_detached(void *u, struct sched *s)
{
	struct deploy *d = u;

	apply_events_stop(&d->apply);
}

static int sched_stopped(void *u)
{
	struct deploy *d = u;

	return pipeline_interrupted(d->p);
}

static const char sql_sample[] =
	"INSERT INTO dive.metric_samples (name, instance, subject, value, unit) VALUES"
	" ('service_ready_ms', $1, $2, $3::double precision, 'ms')";

static const char sql_learned[] =
	"SELECT count(*), coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY value), 0) FROM"
	" (SELECT value FROM dive.metric_samples WHERE name = 'service_ready_ms' AND subject = $1"
	"  ORDER BY at DESC LIMIT 20) s";

/* The learned timeout: 1.5 x P95 of the last successful readiness times, from 5 samples on. */
static int learned(const struct graph_timeout_source *src, const char *project, const char *service, long *ms)
{
	struct deploy *d = src->data;
	char subject[96];
	const char *params[1] = { subject };
	PGresult *res = NULL;
	int rc, n;

	if (!d->store || !d->store->ready)
		return 0;
	snprintf(subject, sizeof(subject), "%s/%s", stack_kind_name(d->o->kind), service);
	pthread_mutex_lock(&d->store_mu);
	rc = pg_exec(d->store->conn, &res, sql_learned, 1, params);
	pthread_mutex_unlock(&d->store_mu);
	if (rc < 0)
		return rc;
	n = atoi(PQgetvalue(res, 0, 0));
	*ms = (long)(1.5 * atof(PQgetvalue(res, 0, 1)));
	PQclear(res);
	return n >= 5 ? 1 : 0;
}

static void record_samples(struct deploy *d, const struct sched_outcome *out)
{
	size_t i;

	for (i = 0; i < d->graph->n; i++) {
		char subject[96], value[32];
		const char *params[3] = { d->o->country->code, subject, value };

		if (out[i].status != SCHED_READY || out[i].ready_ms < 0)
			continue;
		snprintf(subject, sizeof(subject), "%s/%s", stack_kind_name(d->o->kind), d->graph->nodes[i].svc->name);
		snprintf(value, sizeof(value), "%lld", out[i].ready_ms - out[i].start_ms);
		pg_exec(d->store->conn, NULL, sql_sample, 3, params);
	}
}

int deploy_phase_deployment(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	struct graph_timeout_source src = { learned, d };
	struct plan plan;
	const struct sched_service *svcs;
	struct sched_outcome *out;
	struct sched_ops ops = { sched_start, sched_health, sched_stopped, d, 1000, sched_attached, sched_detached };
	size_t i;
	cJSON *containers;
	int rc;

	if (pipeline_dry_run(p)) {
		for (i = 0; i < d->graph->n; i++)
			pipeline_step(p, d->graph->nodes[i].svc->name, "start", NULL, NULL, NULL);
		return 0;
	}
	/* a resume skips initialization: read the secrets (never generate here) */
	if (!d->secrets_loaded && (rc = deploy_load_secrets(d, 0, NULL)) < 0)
		return rc;
	if ((rc = deploy_load(d, 1)) < 0)
		return rc;
	d->apply.run_id = pipeline_run_id(p);
	plan_build(&plan, d->graph, &src);
	svcs = plan.svcs;
	out = xcalloc(d->graph->n, sizeof(*out));
	d->apply.health_hook = hook_health;
	d->apply.sched_index = sched_index;
	d->apply.hook_arg = d;
	rc = sched_run(svcs, (int)d->graph->n, d->o->parallel, &ops, out);
	apply_events_stop(&d->apply);

	containers = cJSON_CreateObject();
	for (i = 0; i < d->graph->n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "service", svcs[i].name);
		cJSON_AddStringToObject(o, "status", sched_status_name(out[i].status));
		cJSON_AddBoolToObject(o, "created", out[i].recreated);
		cJSON_AddNumberToObject(o, "start_ms", (double)out[i].start_ms);
		cJSON_AddNumberToObject(o, "ready_ms", (double)out[i].ready_ms);
		cJSON_AddNumberToObject(o, "timeout_ms", (double)svcs[i].timeout_ms);
		cJSON_AddStringToObject(o, "timeout_from", graph_timeout_from_name(plan.from[i]));
		if (out[i].error[0])
			cJSON_AddStringToObject(o, "error", out[i].error);
		cJSON_AddItemToArray(d->report->services, o);
		{
			char name[128];

			apply_container_name(&d->apply, compose_service_index(d->compose, svcs[i].name), name, sizeof(name));
			cJSON_AddStringToObject(containers, svcs[i].name, name);
		}
	}
	pipeline_checkpoint_set(p, "containers", containers);
	if (rc == 0) {
		record_samples(d, out);
	} else {
		/* name the service that failed the run (the scheduler's first failure) */
		for (i = 0; i < d->graph->n; i++)
			if (out[i].status == SCHED_FAILED) {
				snprintf(d->report->pipeline.failed_service, sizeof(d->report->pipeline.failed_service),
					 "%s", svcs[i].name);
				break;
			}
	}
	plan_free(&plan);
	free(out);
	return rc;
}

int deploy_undo_start(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(detail, "container"));

	if (!cJSON_IsTrue(cJSON_GetObjectItem(detail, "created")) || !id || !*id)
		return 0; /* kept from before this run: not ours to undo */
	return docker_container_remove(d->docker, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING);
}
