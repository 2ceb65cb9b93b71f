/*
 * bench_apply.c - dive's eager scheduler on a stack file, without the state
 * store: what bench/compose-vs-dive times against `docker compose up -d
 * --wait` (issue 5).
 *
 *   bench_apply [options] FILE     up, print the run as JSON, then down
 *   bench_apply --plan FILE        the nominal critical path of FILE, as JSON
 *   bench_apply --down [options]   remove the project (containers, networks,
 *                                  volumes: only objects with its label)
 *
 * Options: --project NAME (default bench-dive), --keep (do not remove after
 * the run), --parallel N (0: no cap, as `dive ... up` without --parallel),
 * --poll-ms N (the fallback polling period; 1000 as in deploy.c),
 * --serialize (one apply_ensure at a time, as deploy.c does through its
 * store mutex; the store itself is not used).
 *
 * The run is wired as src/engine/deploy.c wires phase_deployment: the
 * stack file is read with the process environment (compose_load), the graph
 * built (graph_build), networks and volumes made (apply_networks,
 * apply_volumes), then sched_run with start = apply_ensure, health =
 * apply_health, and Docker health events fed to the scheduler between
 * attached/detached (apply_events_start/stop).  Timeouts are graph_timeout
 * without a learned source.  Without the pipeline there are no checkpoints,
 * no recorded steps and no one-restart recovery of an unhealthy container.
 *
 * Times are milliseconds on CLOCK_MONOTONIC from the start of main:
 * wall_ms is when sched_run returned with every service ready (what `up -d
 * --wait` returning means), all_ready_ms when the scheduler saw the last one
 * ready, setup_ms when the scheduler began, and each service's start_ms
 * (its apply_ensure began) and ready_ms (the scheduler saw it ready).
 *
 * The plan: a service becomes ready STARTUP_DELAY_MS (its environment, or
 * STARTUP_DELAY seconds) after it starts, and its health check reports it
 * at the first probe after that, every interval: (floor(delay / interval)
 * + 1) * interval.  A service starts when each dependency is ready
 * (service_healthy, service_completed_successfully) or started
 * (service_started).  The critical path is the latest ready time, and the
 * chain that leads to it.  Services without a health check are ready when
 * they run; one with the image's check is taken at the stand-in's 1s.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>

#include "dive/apply.h"
#include "dive/compose.h"
#include "dive/docker.h"
#include "dive/error.h"
#include "dive/graph.h"
#include "dive/plan.h"
#include "dive/interp.h"
#include "dive/sched.h"
#include "dive/xalloc.h"

#define IMAGE_INTERVAL_MS 1000L   /* dive/standin:local's HEALTHCHECK --interval */
#define DOCKER_DEFAULT_INTERVAL_MS 30000L

struct bench {
	struct compose *compose;
	struct graph *graph;
	struct docker *docker;
	struct apply apply;
	int serialize;
	pthread_mutex_t mu;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static long long t_origin;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long since_origin(void)
{
	return mono_ms() - t_origin;
}

static int compose_index_of(const struct bench *b, int node)
{
	return compose_service_index(b->compose, b->graph->nodes[node].svc->name);
}

/* --- the scheduler's engine: apply.h, as deploy.c wires it ----------------------- */

static int op_start(void *u, struct sched *s, int node)
{
	struct bench *b = u;
	cJSON *detail = NULL;
	int created = 0, rc;

	if (b->serialize)
		pthread_mutex_lock(&b->mu);
	rc = apply_ensure(&b->apply, compose_index_of(b, node), &detail, &created);
	if (b->serialize)
		pthread_mutex_unlock(&b->mu);
	cJSON_Delete(detail);
	sched_set_recreated(s, node, created);
	return rc;
}

static int op_health(void *u, int node, enum sched_health *h, int *code)
{
	struct bench *b = u;

	return apply_health(&b->apply, compose_index_of(b, node), h, code);
}

static int op_stopped(void *u)
{
	return interrupted;
}

static void op_attached(void *u, struct sched *s)
{
	struct bench *b = u;

	apply_events_start(&b->apply, s);
}

static void op_detached(void *u, struct sched *s)
{
	struct bench *b = u;

	apply_events_stop(&b->apply);
}

static int hook_index(void *u, int compose_index)
{
	struct bench *b = u;

	return graph_index(b->graph, b->compose->services[compose_index].name);
}

/* --- the plan --------------------------------------------------------------------- */

static long service_delay_ms(const struct compose_service *s)
{
	size_t k;

	for (k = 0; k < s->nenvironment; k++)
		if (!strcmp(s->environment[k].name, "STARTUP_DELAY_MS") && s->environment[k].value)
			return atol(s->environment[k].value);
	for (k = 0; k < s->nenvironment; k++)
		if (!strcmp(s->environment[k].name, "STARTUP_DELAY") && s->environment[k].value)
			return (long)(atof(s->environment[k].value) * 1000 + 0.5);
	return 0;
}

static long service_interval_ms(const struct compose_service *s)
{
	switch (s->healthcheck.kind) {
	case COMPOSE_HC_NONE:
		return 0;
	case COMPOSE_HC_IMAGE:
		return IMAGE_INTERVAL_MS;
	default:
		return s->healthcheck.interval_ms ? s->healthcheck.interval_ms : DOCKER_DEFAULT_INTERVAL_MS;
	}
}

static cJSON *plan(const struct graph *g)
{
	long long *start = xcalloc(g->n, sizeof(*start)), *ready = xcalloc(g->n, sizeof(*ready));
	long *nominal = xcalloc(g->n, sizeof(*nominal)), *delay = xcalloc(g->n, sizeof(*delay));
	int *pred = xcalloc(g->n, sizeof(*pred));
	cJSON *doc = cJSON_CreateObject(), *svcs, *chain;
	size_t o, k, i, last = 0;
	long long delays = 0;
	int cur;

	for (o = 0; o < g->n; o++) {
		const struct graph_node *nd = &g->nodes[g->order[o]];
		long iv = service_interval_ms(nd->svc);

		i = g->order[o];
		delay[i] = service_delay_ms(nd->svc);
		nominal[i] = iv ? (delay[i] / iv + 1) * iv : delay[i];
		pred[i] = -1;
		for (k = 0; k < nd->ndeps; k++) {
			size_t dn = nd->deps[k].node;
			long long at = nd->deps[k].condition == COMPOSE_SERVICE_STARTED ? start[dn] : ready[dn];

			if (at > start[i] || (pred[i] < 0 && at == start[i] && at > 0)) {
				start[i] = at;
				pred[i] = (int)dn;
			}
		}
		ready[i] = start[i] + nominal[i];
		if (ready[i] > ready[last])
			last = i;
	}
	chain = cJSON_CreateArray();
	for (cur = (int)last; cur >= 0; cur = pred[cur]) {
		cJSON_InsertItemInArray(chain, 0, cJSON_CreateString(g->nodes[cur].svc->name));
		delays += delay[cur];
	}
	cJSON_AddNumberToObject(doc, "critical_path_ms", (double)ready[last]);
	cJSON_AddNumberToObject(doc, "delay_path_ms", (double)delays);
	cJSON_AddItemToObject(doc, "chain", chain);
	svcs = cJSON_AddArrayToObject(doc, "services");
	for (i = 0; i < g->n; i++) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddStringToObject(s, "service", g->nodes[i].svc->name);
		cJSON_AddNumberToObject(s, "delay_ms", (double)delay[i]);
		cJSON_AddNumberToObject(s, "interval_ms", (double)service_interval_ms(g->nodes[i].svc));
		cJSON_AddNumberToObject(s, "readiness_ms", (double)nominal[i]);
		cJSON_AddNumberToObject(s, "start_ms", (double)start[i]);
		cJSON_AddNumberToObject(s, "ready_ms", (double)ready[i]);
		cJSON_AddItemToArray(svcs, s);
	}
	free(start);
	free(ready);
	free(nominal);
	free(delay);
	free(pred);
	return doc;
}

/* --- up, down ------------------------------------------------------------------- */

static int down(struct docker *d, const char *project, cJSON *doc)
{
	cJSON *removed = NULL;
	long long t = mono_ms();
	int rc = apply_down(d, project, 1, 0, &removed);

	cJSON_AddNumberToObject(doc, "down_ms", (double)(mono_ms() - t));
	if (removed)
		cJSON_AddItemToObject(doc, "removed", removed);
	if (rc < 0)
		cJSON_AddStringToObject(doc, "down_error", dive_error_last());
	return rc;
}

static int up(struct bench *b, const char *project, int parallel, long poll_ms, cJSON *doc)
{
	struct sched_ops ops = { op_start, op_health, op_stopped, b, poll_ms, op_attached, op_detached };
	struct sched_outcome *out = xcalloc(b->graph->n, sizeof(*out));
	struct plan plan;
	const struct sched_service *svcs;
	cJSON *list;
	size_t i;
	long long t_sched;
	int rc;

	plan_build(&plan, b->graph, NULL);
	svcs = plan.svcs;

	rc = apply_networks(&b->apply, NULL);
	if (rc == 0)
		rc = apply_volumes(&b->apply, NULL);
	if (rc < 0) {
		cJSON_AddStringToObject(doc, "error", dive_error_last());
		goto out;
	}
	b->apply.sched_index = hook_index;
	b->apply.hook_arg = b;
	t_sched = since_origin();
	cJSON_AddNumberToObject(doc, "setup_ms", (double)t_sched);
	rc = sched_run(svcs, (int)b->graph->n, parallel, &ops, out);
	cJSON_AddNumberToObject(doc, "wall_ms", (double)since_origin());
	{
		long long last = -1;

		for (i = 0; i < b->graph->n; i++)
			if (out[i].ready_ms > last)
				last = out[i].ready_ms;
		/* the scheduler saw the last service ready (wall_ms - this: the run's wind-down) */
		cJSON_AddNumberToObject(doc, "all_ready_ms", last < 0 ? -1.0 : (double)(t_sched + last));
	}
	apply_events_stop(&b->apply);
	cJSON_AddBoolToObject(doc, "ok", rc == 0);
	if (rc < 0)
		cJSON_AddStringToObject(doc, "error", dive_error_last());
	list = cJSON_AddArrayToObject(doc, "services");
	for (i = 0; i < b->graph->n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "service", svcs[i].name);
		cJSON_AddStringToObject(o, "status", sched_status_name(out[i].status));
		cJSON_AddBoolToObject(o, "created", out[i].recreated);
		cJSON_AddNumberToObject(o, "start_ms", out[i].start_ms < 0 ? -1.0 : (double)(t_sched + out[i].start_ms));
		cJSON_AddNumberToObject(o, "ready_ms", out[i].ready_ms < 0 ? -1.0 : (double)(t_sched + out[i].ready_ms));
		if (out[i].error[0])
			cJSON_AddStringToObject(o, "error", out[i].error);
		cJSON_AddItemToArray(list, o);
	}
out:
	plan_free(&plan);
	free(out);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_apply [--project NAME] [--keep] [--parallel N] [--poll-ms N] [--serialize] FILE\n"
			"       bench_apply --plan FILE\n"
			"       bench_apply --down [--project NAME]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *project = "bench-dive", *host = getenv("DOCKER_HOST");
	int keep = 0, do_plan = 0, only_down = 0, parallel = 0, i, rc = 0;
	long poll_ms = 1000;
	struct bench b;
	struct interp_env env;
	struct sigaction sa;
	cJSON *doc = cJSON_CreateObject();
	char *text;

	t_origin = mono_ms();
	memset(&b, 0, sizeof(b));
	pthread_mutex_init(&b.mu, NULL);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else if (!strcmp(argv[i], "--plan"))
			do_plan = 1;
		else if (!strcmp(argv[i], "--down"))
			only_down = 1;
		else if (!strcmp(argv[i], "--serialize"))
			b.serialize = 1;
		else if (!strcmp(argv[i], "--project") && i + 1 < argc)
			project = argv[++i];
		else if (!strcmp(argv[i], "--parallel") && i + 1 < argc)
			parallel = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--poll-ms") && i + 1 < argc)
			poll_ms = atol(argv[++i]);
		else if (argv[i][0] == '-' || file)
			return usage();
		else
			file = argv[i];
	}
	if ((!file && !only_down) || (do_plan && only_down) || parallel < 0 || poll_ms <= 0)
		return usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	cJSON_AddStringToObject(doc, "project", project);
	if (file) {
		interp_env_process(&env);
		cJSON_AddStringToObject(doc, "file", file);
		if ((rc = compose_load(&b.compose, file, &env)) < 0 || (rc = graph_build(&b.graph, b.compose, NULL)) < 0) {
			fprintf(stderr, "bench_apply: %s\n", dive_error_last());
			goto out;
		}
	}
	if (do_plan) {
		cJSON_Delete(doc);
		doc = plan(b.graph);
		goto out;
	}
	if ((rc = docker_open(&b.docker, host, NULL)) < 0 || (rc = docker_negotiate(b.docker)) < 0) {
		fprintf(stderr, "bench_apply: %s\n", dive_error_last());
		goto out;
	}
	cJSON_AddStringToObject(doc, "engine", b.docker->engine_version);
	cJSON_AddStringToObject(doc, "api", b.docker->api);
	if (only_down) {
		if ((rc = down(b.docker, project, doc)) < 0)
			fprintf(stderr, "bench_apply: down: %s\n", dive_error_last());
		goto out;
	}
	if ((rc = apply_init(&b.apply, b.docker, b.compose, project, "BEN", 0)) < 0) {
		fprintf(stderr, "bench_apply: %s\n", dive_error_last());
		goto out;
	}
	cJSON_AddNumberToObject(doc, "parallel", parallel);
	cJSON_AddNumberToObject(doc, "poll_ms", (double)poll_ms);
	cJSON_AddBoolToObject(doc, "serialize", b.serialize);
	rc = up(&b, project, parallel, poll_ms, doc);
	if (rc < 0)
		fprintf(stderr, "bench_apply: %s\n", dive_error_last());
	if (!keep && down(b.docker, project, doc) < 0 && rc == 0)
		rc = -1;
out:
	if (rc == 0 || !do_plan) {
		text = cJSON_PrintUnformatted(doc);
		if (text)
			printf("%s\n", text);
		free(text);
	}
	cJSON_Delete(doc);
	docker_close(b.docker);
	graph_free(b.graph);
	compose_free(b.compose);
	curl_global_cleanup();
	return rc < 0 ? 1 : 0;
}
