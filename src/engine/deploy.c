/* deploy.c - hub and spoke stacks through the pipeline (see deploy.h). */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dive/apply.h"
#include "dive/compose.h"
#include "dive/deploy.h"
#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/graph.h"
#include "dive/guard.h"
#include "dive/keycloak.h"
#include "dive/lock.h"
#include "dive/pg.h"
#include "dive/plan.h"
#include "dive/ports.h"
#include "dive/sched.h"
#include "dive/secrets.h"
#include "dive/stack.h"
#include "dive/state.h"
#include "dive/xalloc.h"

#define DISK_MIN_BYTES (1ULL << 30)
#define KC_ADMIN_USER "admin"

struct deploy {
	const struct deploy_opts *o;
	struct store *store;
	struct docker *docker;
	struct secrets_provider *secrets;
	struct interp_table secret_vars;
	struct interp_env stack_env, env;
	int secrets_loaded;
	struct compose *compose;
	int compose_real;            /* loaded with every secret (not placeholders) */
	struct graph *graph;
	struct apply apply;
	char project[64];
	char code_lower[4];
	struct dive_ports ports;
	struct pipeline *p;
	pthread_mutex_t store_mu;    /* the store's connection, shared with scheduler threads */
	int restarted[COMPOSE_SERVICES_MAX];
	int generate_secrets;        /* deploy: create missing secrets; up: an initialised instance, read only */
	struct deploy_report *report;
};

void deploy_project(char *out, size_t n, enum stack_kind kind, const struct dive_country *c)
{
	char lower[4];

	country_lower(lower, c);
	if (kind == STACK_HUB)
		snprintf(out, n, "dive-hub");
	else
		snprintf(out, n, "dive-spoke-%s", lower);
}

/* --- loading ----------------------------------------------------------------- */

static int load(struct deploy *d, int real)
{
	char *path = NULL;
	int rc;

	if (d->compose && (d->compose_real || !real))
		return 0;
	graph_free(d->graph);
	compose_free(d->compose);
	d->graph = NULL;
	d->compose = NULL;
	if ((rc = stack_path(&path, d->o->kind)) < 0)
		return rc;
	d->env.flags = real ? 0 : INTERP_PLACEHOLDERS;
	rc = compose_load(&d->compose, path, &d->env);
	free(path);
	if (rc == 0)
		rc = graph_build(&d->graph, d->compose, NULL);
	if (rc == 0)
		rc = apply_init(&d->apply, d->docker, d->compose, d->project, d->o->country->code,
				d->p ? pipeline_run_id(d->p) : 0);
	d->compose_real = real && rc == 0;
	return rc;
}

/* Every secret the stack declares, from the provider; generated when asked. */
static int load_secrets(struct deploy *d, int generate, cJSON *generated)
{
	size_t i;
	int rc = 0;

	if (!d->compose)
		return dive_error_set(DIVE_EFAIL, "internal: stack not loaded");
	for (i = 0; i < d->compose->dive.nsecrets && rc == 0; i++) {
		const char *key = d->compose->dive.secrets[i];
		struct dive_secret v = DIVE_SECRET_INIT;
		int gen = 0;

		rc = generate ? secrets_ensure(d->secrets, d->o->country->code, key, 24, &v, &gen)
			      : secrets_get(d->secrets, d->o->country->code, key, &v);
		if (rc == DIVE_ENOTFOUND) {
			if (!generate)
				rc = dive_error_set(DIVE_EUSAGE, "secret '%s' of '%s' is missing: it was never "
								 "initialised (run 'dive %s%s' first)",
						    key, d->o->country->code,
						    d->o->kind == STACK_HUB ? "hub up" : "spoke deploy ",
						    d->o->kind == STACK_HUB ? "" : d->o->country->code);
			dive_error_set_code(ERRC_SECRET_MISSING);
		}
		if (rc == 0) {
			interp_table_set(&d->secret_vars, key, dive_secret_reveal(&v), 1);
			if (gen && generated)
				cJSON_AddItemToArray(generated, cJSON_CreateString(key));
		}
		dive_secret_release(&v);
	}
	d->secrets_loaded = rc == 0;
	return rc;
}

/*
 * Every phase starts here: the steps a phase records (from scheduler threads
 * too) belong to the pipeline it runs in, whichever phase the run began at.
 */
static struct deploy *enter(struct pipeline *p, void *user)
{
	struct deploy *d = user;

	d->p = p;
	return d;
}

/* --- preflight ----------------------------------------------------------------- */

static int port_free(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok, one = 1;

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Host ports our own containers publish (they may hold them). */
static int ours_publishes(cJSON *ours, int port)
{
	const cJSON *c, *p;

	cJSON_ArrayForEach(c, ours)
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(c, "Ports")) {
			const cJSON *pub = cJSON_GetObjectItem(p, "PublicPort");

			if (cJSON_IsNumber(pub) && pub->valueint == port)
				return 1;
		}
	return 0;
}

static int check_ports(struct deploy *d)
{
	char proj[96];
	const char *labels[2] = { proj, NULL };
	cJSON *ours = NULL;
	size_t i, k;
	int rc;

	snprintf(proj, sizeof(proj), "dive.project=%s", d->project);
	if ((rc = docker_container_list(d->docker, &ours, labels)) < 0)
		return rc;
	for (i = 0; i < d->compose->nservices && rc == 0; i++)
		for (k = 0; k < d->compose->services[i].nports && rc == 0; k++) {
			int port = d->compose->services[i].ports[k].host_port;

			if (port <= 0 || ours_publishes(ours, port) || port_free(port))
				continue;
			rc = dive_error_set(DIVE_EUSAGE, "port %d (%s of %s) is in use by another program on 127.0.0.1",
					    port, d->compose->services[i].name, d->project);
			dive_error_set_code(ERRC_PORT_IN_USE);
		}
	cJSON_Delete(ours);
	return rc;
}

static int check_disk(struct deploy *d)
{
	struct statvfs sv;
	const char *where = access("/var/lib/docker", F_OK) == 0 ? "/var/lib/docker" : "/";

	if (statvfs(where, &sv) < 0)
		return 0;
	if ((unsigned long long)sv.f_bavail * sv.f_frsize < DISK_MIN_BYTES) {
		dive_error_set(DIVE_EUSAGE, "less than 1 GiB free under %s", where);
		dive_error_set_code(ERRC_DISK_SPACE_LOW);
		return DIVE_EUSAGE;
	}
	return 0;
}

static int check_images(struct deploy *d)
{
	size_t i;

	for (i = 0; i < d->graph->n; i++) {
		int idx = compose_service_index(d->compose, d->graph->nodes[i].svc->name);
		const char *img = apply_image(&d->apply, idx);
		cJSON *info = NULL;
		int rc = docker_image_inspect(d->docker, &info, img);

		cJSON_Delete(info);
		if (rc == DIVE_ENOTFOUND) {
			dive_error_set(DIVE_EUSAGE, "image '%s' for service '%s' is missing: run 'dive images build'", img,
				       d->graph->nodes[i].svc->name);
			dive_error_set_code(ERRC_IMAGE_MISSING);
			return DIVE_EUSAGE;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_hub(struct deploy *d)
{
	cJSON *list = NULL, *c;
	int rc, keycloak = 0, healthy = 0;

	if (d->o->kind == STACK_HUB)
		return 0;
	if ((rc = apply_status(d->docker, &list, "dive-hub")) < 0)
		return rc;
	cJSON_ArrayForEach(c, list) {
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(c, "service"));
		const char *health = cJSON_GetStringValue(cJSON_GetObjectItem(c, "health"));

		if (svc && !strcmp(svc, "keycloak")) {
			keycloak = 1;
			healthy = health && !strcmp(health, "healthy");
		}
	}
	cJSON_Delete(list);
	if (!keycloak) {
		dive_error_set(DIVE_EUSAGE, "the hub is not deployed: run 'dive hub up' first");
		dive_error_set_code(ERRC_HUB_NOT_FOUND);
		return DIVE_EUSAGE;
	}
	if (!healthy) {
		dive_error_set(DIVE_EUNHEALTHY, "the hub's Keycloak is not healthy: see 'dive hub status'");
		dive_error_set_code(ERRC_HUB_UNHEALTHY);
		return DIVE_EUNHEALTHY;
	}
	return 0;
}

static int preflight_checks(struct deploy *d)
{
	int rc;

	if ((rc = docker_negotiate(d->docker)) < 0) {
		dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
		return rc;
	}
	if ((rc = load(d, 0)) < 0)
		return rc;
	if ((rc = check_images(d)) < 0 || (rc = check_ports(d)) < 0 || (rc = check_disk(d)) < 0 ||
	    (rc = check_hub(d)) < 0)
		return rc;
	/* up starts an initialised instance: its secrets must all be there already */
	if (!d->generate_secrets && (rc = load_secrets(d, 0, NULL)) < 0)
		return rc;
	return 0;
}

static int do_bootstrap_note(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;

	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "store", "hub postgres");
	cJSON_AddNumberToObject(*detail, "port", d->ports.postgres);
	return 0;
}

static int phase_preflight(struct pipeline *p, void *user)
{
	struct deploy *d = enter(p, user);
	int rc;

	if (d->o->bootstrapped &&
	    (rc = pipeline_step(p, "postgres", "bootstrap-state-store", do_bootstrap_note, d, NULL)) < 0)
		return rc;
	if ((rc = preflight_checks(d)) < 0)
		return rc;
	pipeline_note(p, "%s: %zu services, %d levels", d->project, d->graph->n, d->graph->nlevels);
	return 0;
}

/* --- initialization -------------------------------------------------------------- */

static int do_secrets(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;
	cJSON *gen = cJSON_CreateArray();
	int rc = load_secrets(d, d->generate_secrets, gen);

	*detail = cJSON_CreateObject();
	cJSON_AddItemToObject(*detail, "generated", gen); /* names only, never values */
	return rc;
}

static int do_networks(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;

	return apply_networks(&d->apply, detail);
}

static int do_volumes(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;

	return apply_volumes(&d->apply, detail);
}

static int phase_initialization(struct pipeline *p, void *user)
{
	struct deploy *d = enter(p, user);
	int rc;

	if ((rc = pipeline_step(p, "", "secrets", do_secrets, d, NULL)) < 0)
		return rc;
	if (!pipeline_dry_run(p) && (rc = load(d, 1)) < 0)
		return rc;
	if ((rc = pipeline_step(p, "", "networks", do_networks, d, NULL)) < 0)
		return rc;
	return pipeline_step(p, "", "volumes", do_volumes, d, NULL);
}

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

static int phase_deployment(struct pipeline *p, void *user)
{
	struct deploy *d = enter(p, user);
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
	if (!d->secrets_loaded && (rc = load_secrets(d, 0, NULL)) < 0)
		return rc;
	if ((rc = load(d, 1)) < 0)
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

/* --- configuration: Keycloak --------------------------------------------------------- */

struct kc_login_arg {
	struct kc *kc;
	const char *password;
};

static int kc_login_op(void *arg, long *http_status, int *code)
{
	struct kc_login_arg *a = arg;
	int rc = kc_login(a->kc, KC_ADMIN_USER, a->password);

	if (rc < 0)
		*code = rc == DIVE_EUSAGE ? ERRC_KEYCLOAK_AUTH_FAILED : ERRC_KEYCLOAK_UNREACHABLE;
	return rc;
}

static int keycloak_open(struct deploy *d, struct kc **out)
{
	struct guard_ops gops;
	struct guard_call call = { 0 };
	struct kc_login_arg arg;
	char url[64], breaker[32];
	const char *pw = NULL;
	int secret = 0, rc;

	*out = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", d->ports.keycloak_http);
	if (interp_lookup(&d->env, "KEYCLOAK_ADMIN_PASSWORD", &pw, &secret) != 1 || !pw) {
		dive_error_set(DIVE_EUSAGE, "secret 'KEYCLOAK_ADMIN_PASSWORD' of '%s' is not set", d->o->country->code);
		dive_error_set_code(ERRC_SECRET_MISSING);
		return DIVE_EUSAGE;
	}
	if ((rc = kc_open(out, url, NULL)) < 0)
		return rc;
	arg.kc = *out;
	arg.password = pw;
	snprintf(breaker, sizeof(breaker), "keycloak:%s", d->code_lower);
	guard_ops_store(&gops, d->store);
	call.breaker = breaker;
	call.cls = RETRY_KEYCLOAK;
	call.op = kc_login_op;
	call.arg = &arg;
	rc = guard_run(&gops, &call, NULL);
	if (rc < 0) {
		kc_close(*out);
		*out = NULL;
	}
	return rc;
}

static void realm_name(const struct deploy *d, char *out, size_t n)
{
	snprintf(out, n, "dive-v3-broker-%s", d->code_lower);
}

struct kc_step {
	struct deploy *d;
	struct kc *kc;
};

static int do_realm(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct kc_result res = { 0 };
	cJSON *desired = NULL;
	char realm[64];
	int rc;

	realm_name(ks->d, realm, sizeof(realm));
	if ((rc = kc_desired_realm(&desired, realm, ks->d->o->country->name)) < 0)
		return rc;
	rc = kc_realm_apply(ks->kc, &res, desired);
	cJSON_Delete(desired);
	if (rc < 0) {
		if (!dive_error_last_code())
			dive_error_set_code(ERRC_REALM_CREATE);
		return rc;
	}
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "realm", realm);
	cJSON_AddStringToObject(*detail, "outcome", kc_outcome_name(res.outcome));
	return 0;
}

static int do_client(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct kc_result res = { 0 };
	struct dive_secret secret = DIVE_SECRET_INIT;
	cJSON *desired = NULL;
	char realm[64], redirect[128], origin[64];
	const char *redirects[2] = { redirect, NULL }, *origins[2] = { origin, NULL }, *v = NULL;
	int rc, is_secret = 0;

	realm_name(ks->d, realm, sizeof(realm));
	snprintf(redirect, sizeof(redirect), "http://localhost:%d/api/auth/callback/keycloak", ks->d->ports.frontend);
	snprintf(origin, sizeof(origin), "http://localhost:%d", ks->d->ports.frontend);
	if ((rc = kc_desired_client(&desired, realm, redirects, origins)) < 0)
		return rc;
	if (interp_lookup(&ks->d->env, "KEYCLOAK_CLIENT_SECRET", &v, &is_secret) == 1 && v)
		dive_secret_set(&secret, v);
	rc = kc_client_apply(ks->kc, &res, realm, desired, dive_secret_is_set(&secret) ? &secret : NULL);
	dive_secret_release(&secret);
	cJSON_Delete(desired);
	if (rc < 0) {
		if (!dive_error_last_code())
			dive_error_set_code(ERRC_CLIENT_CREATE);
		return rc;
	}
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "realm", realm);
	cJSON_AddStringToObject(*detail, "client", realm);
	cJSON_AddStringToObject(*detail, "outcome", kc_outcome_name(res.outcome));
	return 0;
}

static int phase_configuration(struct pipeline *p, void *user)
{
	struct deploy *d = enter(p, user);
	struct kc_step ks = { d, NULL };
	int rc;

	if (pipeline_dry_run(p)) {
		pipeline_step(p, "keycloak", "realm", NULL, NULL, NULL);
		return pipeline_step(p, "keycloak", "client", NULL, NULL, NULL);
	}
	if (!d->secrets_loaded && (rc = load_secrets(d, 0, NULL)) < 0)
		return rc;
	if ((rc = keycloak_open(d, &ks.kc)) < 0)
		return rc;
	rc = pipeline_step(p, "keycloak", "realm", do_realm, &ks, NULL);
	if (rc == 0)
		rc = pipeline_step(p, "keycloak", "client", do_client, &ks, NULL);
	kc_close(ks.kc);
	return rc;
}

/* --- verification ---------------------------------------------------------------- */

static void check(struct deploy *d, const char *name, int ok, const char *detail)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "check", name);
	cJSON_AddBoolToObject(o, "ok", ok);
	if (detail)
		cJSON_AddStringToObject(o, "detail", detail);
	cJSON_AddItemToArray(d->report->checks, o);
}

static int phase_verification(struct pipeline *p, void *user)
{
	struct deploy *d = enter(p, user);
	struct kc *kc = NULL;
	cJSON *rep = NULL;
	char realm[64], what[128], first_bad[256] = "";
	size_t i;
	int rc, failures = 0;

	if (pipeline_dry_run(p))
		return 0;
	if ((rc = load(d, 0)) < 0)
		return rc;
	for (i = 0; i < d->graph->n; i++) {
		int idx = compose_service_index(d->compose, d->graph->nodes[i].svc->name), code = 0;
		enum sched_health h = SCHED_H_STARTING;

		rc = apply_health(&d->apply, idx, &h, &code);
		snprintf(what, sizeof(what), "service %s healthy", d->graph->nodes[i].svc->name);
		check(d, what, rc == 0 && (h == SCHED_H_HEALTHY || h == SCHED_H_EXITED_OK),
		      rc < 0 ? dive_error_last() : NULL);
		if (rc < 0 || !(h == SCHED_H_HEALTHY || h == SCHED_H_EXITED_OK)) {
			if (!failures++)
				snprintf(first_bad, sizeof(first_bad), "service '%s' is not healthy at verification",
					 d->graph->nodes[i].svc->name);
		}
	}
	if (!d->secrets_loaded)
		load_secrets(d, 0, NULL);
	realm_name(d, realm, sizeof(realm));
	rc = keycloak_open(d, &kc);
	if (rc == 0) {
		int realm_ok = kc_realm_get(kc, &rep, realm) == 0;

		cJSON_Delete(rep);
		rep = NULL;
		snprintf(what, sizeof(what), "keycloak realm %s exists", realm);
		check(d, what, realm_ok, NULL);
		if (!realm_ok && !failures++)
			snprintf(first_bad, sizeof(first_bad), "realm '%s' is missing at verification", realm);
		if (realm_ok) {
			int client_ok = kc_client_find(kc, &rep, realm, realm) == 0 && rep;

			cJSON_Delete(rep);
			snprintf(what, sizeof(what), "keycloak client %s exists", realm);
			check(d, what, client_ok, NULL);
			if (!client_ok && !failures++)
				snprintf(first_bad, sizeof(first_bad), "client '%s' is missing at verification", realm);
		}
		kc_close(kc);
	} else {
		check(d, "keycloak admin login", 0, dive_error_last());
		if (!failures++)
			snprintf(first_bad, sizeof(first_bad), "cannot log in to keycloak: %.200s", dive_error_last());
	}
	pipeline_checkpoint_set(p, "checks", cJSON_Duplicate(d->report->checks, 1));
	if (failures) {
		dive_error_set(DIVE_EUNHEALTHY, "%s (%d check%s failed)", first_bad, failures, failures > 1 ? "s" : "");
		dive_error_set_code(ERRC_HEALTH_CHECK);
		return DIVE_EUNHEALTHY;
	}
	return 0;
}

/* --- undo --------------------------------------------------------------------------- */

static int undo_start(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(detail, "container"));

	if (!cJSON_IsTrue(cJSON_GetObjectItem(detail, "created")) || !id || !*id)
		return 0; /* kept from before this run: not ours to undo */
	return docker_container_remove(d->docker, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING);
}

static int undo_networks(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	const cJSON *n;

	cJSON_ArrayForEach(n, cJSON_GetObjectItem(detail, "networks"))
		if (cJSON_IsString(n))
			docker_network_remove(d->docker, n->valuestring, DOCKER_REMOVE_IGNORE_MISSING);
	return 0;
}

static int undo_realm(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItem(detail, "outcome"));
	const char *realm = cJSON_GetStringValue(cJSON_GetObjectItem(detail, "realm"));
	struct kc_result res;
	struct kc *kc = NULL;
	int rc;

	if (!outcome || strcmp(outcome, "created") || !realm)
		return 0;
	if ((rc = keycloak_open(d, &kc)) < 0)
		return rc;
	rc = kc_realm_delete(kc, &res, realm);
	kc_close(kc);
	return rc;
}

static const struct pipeline_undo undos[] = {
	{ "start", undo_start },
	{ "networks", undo_networks },
	{ "realm", undo_realm },
};

/* --- the run ------------------------------------------------------------------------- */

static const struct pipeline_phase_def phases_deploy[] = {
	{ DIVE_PHASE_PREFLIGHT, phase_preflight },
	{ DIVE_PHASE_INITIALIZATION, phase_initialization },
	{ DIVE_PHASE_DEPLOYMENT, phase_deployment },
	{ DIVE_PHASE_CONFIGURATION, phase_configuration },
	{ DIVE_PHASE_VERIFICATION, phase_verification },
};

static int open_common(struct deploy *d, const struct deploy_opts *o, struct store *s)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->o = o;
	d->store = s;
	pthread_mutex_init(&d->store_mu, NULL);
	deploy_project(d->project, sizeof(d->project), o->kind, o->country);
	country_lower(d->code_lower, o->country);
	if ((rc = ports_for(&d->ports, o->country)) < 0)
		return rc;
	if ((rc = docker_open(&d->docker, o->docker_host, NULL)) < 0)
		return rc;
	if ((rc = guard_secrets_open(&d->secrets, o->secrets_spec, o->instances_dir, s)) < 0)
		return rc;
	if ((rc = stack_env_for(&d->stack_env, o->country)) < 0)
		return rc;
	interp_env_table(&d->env, &d->secret_vars, &d->stack_env);
	return 0;
}

static void close_common(struct deploy *d)
{
	apply_events_stop(&d->apply);
	graph_free(d->graph);
	compose_free(d->compose);
	stack_env_release(&d->stack_env);
	interp_table_release(&d->secret_vars);
	secrets_close(d->secrets);
	docker_close(d->docker);
	pthread_mutex_destroy(&d->store_mu);
}

int deploy_run(struct store *s, const struct deploy_opts *o, struct deploy_report *out)
{
	struct pipeline_opts po = { 0 };
	struct deploy d;
	int rc;

	memset(out, 0, sizeof(*out));
	out->services = cJSON_CreateArray();
	out->checks = cJSON_CreateArray();
	rc = open_common(&d, o, s);
	d.report = out;
	if (rc < 0) {
		close_common(&d);
		out->pipeline.outcome = PIPELINE_REFUSED;
		return rc;
	}
	po.code = o->country->code;
	po.mode = o->mode ? o->mode : "deploy";
	po.actor = o->actor;
	po.resume = o->resume;
	po.from_phase = o->from_phase;
	po.rollback = o->rollback;
	po.dry_run = o->dry_run;
	po.lock_wait_ms = o->lock_wait_ms;
	po.phases = phases_deploy;
	po.nphases = sizeof(phases_deploy) / sizeof(phases_deploy[0]);
	po.undos = undos;
	po.nundos = sizeof(undos) / sizeof(undos[0]);
	po.user = &d;
	po.progress = o->progress;
	po.progress_arg = o->user;
	/* up: an initialised instance started again; its secrets must exist */
	d.generate_secrets = !(o->mode && !strcmp(o->mode, "up"));
	rc = pipeline_run(s, &po, &out->pipeline);
	close_common(&d);
	return rc;
}

void deploy_report_release(struct deploy_report *r)
{
	pipeline_result_release(&r->pipeline);
	cJSON_Delete(r->services);
	cJSON_Delete(r->checks);
	r->services = r->checks = NULL;
}

/* --- status and down --------------------------------------------------------------- */

int deploy_status(struct store *s, const char *docker_host, enum stack_kind kind, const struct dive_country *c,
		  cJSON **out, int *healthy)
{
	struct deploy_opts o = { 0 };
	struct deploy d;
	struct state_instance st;
	cJSON *doc = cJSON_CreateObject(), *list = NULL, *svcs;
	size_t i;
	int rc, all = 1;

	*out = NULL;
	*healthy = 0;
	o.kind = kind;
	o.country = c;
	o.docker_host = docker_host;
	o.instances_dir = ".";
	o.secrets_spec = "env";
	rc = open_common(&d, &o, s);
	if (rc == 0)
		rc = docker_negotiate(d.docker);
	if (rc == 0)
		rc = load(&d, 0);
	if (rc == 0)
		rc = apply_status(d.docker, &list, d.project);
	if (rc < 0)
		goto out;
	cJSON_AddStringToObject(doc, "code", c->code);
	cJSON_AddStringToObject(doc, "name", c->name);
	cJSON_AddStringToObject(doc, "project", d.project);
	if (s && s->ready && state_get(s, &st, c->code) == 0) {
		cJSON_AddStringToObject(doc, "state", dive_state_name(st.state));
		cJSON_AddNumberToObject(doc, "version", (double)st.version);
	}
	svcs = cJSON_AddArrayToObject(doc, "services");
	for (i = 0; i < d.graph->n; i++) {
		const char *name = d.graph->nodes[i].svc->name, *state = "missing", *health = "none";
		const cJSON *c2;
		cJSON *o2 = cJSON_CreateObject();
		int ok;

		cJSON_ArrayForEach(c2, list) {
			const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(c2, "service"));

			if (svc && !strcmp(svc, name)) {
				state = cJSON_GetStringValue(cJSON_GetObjectItem(c2, "state"));
				health = cJSON_GetStringValue(cJSON_GetObjectItem(c2, "health"));
				cJSON_AddStringToObject(o2, "container", cJSON_GetStringValue(cJSON_GetObjectItem(c2, "name")));
			}
		}
		ok = state && !strcmp(state, "running") && health && (!strcmp(health, "healthy") || !strcmp(health, "none"));
		all &= ok;
		cJSON_AddStringToObject(o2, "service", name);
		cJSON_AddStringToObject(o2, "state", state ? state : "unknown");
		cJSON_AddStringToObject(o2, "health", health ? health : "none");
		cJSON_AddBoolToObject(o2, "healthy", ok);
		cJSON_AddItemToArray(svcs, o2);
	}
	cJSON_AddBoolToObject(doc, "healthy", all);
	*healthy = all;
	*out = doc;
	doc = NULL;
out:
	cJSON_Delete(list);
	cJSON_Delete(doc);
	close_common(&d);
	return rc;
}

int deploy_down(struct store *s, const char *docker_host, enum stack_kind kind, const struct dive_country *c,
		int clean, int dry_run, const char *actor, long lock_wait_ms, cJSON **removed)
{
	struct lock_request req = { actor, NULL, lock_wait_ms, 0 };
	struct dive_lock *lock = NULL;
	struct state_instance st;
	struct state_change chg = { 0 };
	struct docker *dk = NULL;
	char project[64], lname[32];
	long long v = 0;
	int rc;

	*removed = NULL;
	deploy_project(project, sizeof(project), kind, c);
	if ((rc = docker_open(&dk, docker_host, NULL)) < 0 || (rc = docker_negotiate(dk)) < 0) {
		docker_close(dk);
		return rc;
	}
	if (dry_run) {
		rc = apply_down(dk, project, clean, 1, removed);
		docker_close(dk);
		return rc;
	}
	lock_name_instance(lname, c->code);
	if ((rc = lock_acquire(&lock, s->url, lname, &req, NULL)) < 0)
		goto out;
	if ((rc = state_get(s, &st, c->code)) < 0)
		goto out;
	chg.code = c->code;
	chg.actor = actor;
	if (st.state != DIVE_STATE_CLEANUP) {
		if (dive_state_in_progress(st.state)) {
			/* we hold the lock: whoever was running is gone */
			chg.from = st.state;
			chg.version = st.version;
			chg.to = DIVE_STATE_INTERRUPTED;
			chg.reason = "found in progress with no live run";
			if ((rc = state_transition(s, &chg, &v)) < 0)
				goto out;
			st.state = DIVE_STATE_INTERRUPTED;
			st.version = v;
		}
		chg.from = st.state;
		chg.version = st.version;
		chg.to = DIVE_STATE_CLEANUP;
		chg.reason = clean ? "clean: containers, networks and volumes" : "down: containers and networks";
		if ((rc = state_transition(s, &chg, &v)) < 0)
			goto out;
		st.version = v;
	}
	rc = apply_down(dk, project, clean, 0, removed);
	chg.from = DIVE_STATE_CLEANUP;
	chg.version = st.version;
	chg.to = rc == 0 ? (clean ? DIVE_STATE_UNKNOWN : DIVE_STATE_STOPPED) : DIVE_STATE_FAILED;
	chg.reason = rc == 0 ? (clean ? "cleaned" : "stopped") : "removal failed";
	{
		char msg[512];
		int err = rc;

		snprintf(msg, sizeof(msg), "%s", dive_error_last());
		if (state_transition(s, &chg, &v) < 0 && err == 0)
			rc = DIVE_EFAIL;
		if (err < 0)
			dive_error_set(err, "%s", msg);
	}
out:
	lock_release(lock);
	docker_close(dk);
	return rc;
}

/* --- the state store of a machine with none configured ------------------------------- */

#define BOOTSTRAP_DB "dive_state"
#define BOOTSTRAP_WAIT_MS 120000

int deploy_state_url(struct dive_secret *out, const char *instances_dir)
{
	const struct dive_country *usa = country_find("USA");
	struct secrets_provider *sp = NULL;
	struct dive_secret pw = DIVE_SECRET_INIT;
	struct dive_ports ports;
	char *url;
	int rc;

	if ((rc = ports_for(&ports, usa)) < 0 || (rc = secrets_open(&sp, getenv("DIVE_SECRETS"), instances_dir)) < 0)
		return rc;
	rc = secrets_get(sp, "USA", "POSTGRES_PASSWORD", &pw);
	secrets_close(sp);
	if (rc < 0)
		return rc;
	/* generated secrets are hex: nothing to escape in the URI */
	url = xasprintf("postgresql://postgres:%s@127.0.0.1:%d/%s", dive_secret_reveal(&pw), ports.postgres,
			BOOTSTRAP_DB);
	dive_secret_set(out, url);
	explicit_bzero(url, strlen(url));
	free(url);
	dive_secret_release(&pw);
	return 0;
}

int deploy_bootstrap_store(struct dive_secret *out, const char *docker_host, const char *instances_dir)
{
	struct deploy_opts o = { 0 };
	struct deploy_report rep;
	struct deploy d;
	struct dive_secret admin = DIVE_SECRET_INIT;
	cJSON *detail = NULL;
	PGconn *c = NULL;
	long waited = 0;
	int rc, created = 0, idx, code = 0;

	memset(&rep, 0, sizeof(rep));
	o.kind = STACK_HUB;
	o.country = country_find("USA");
	o.docker_host = docker_host;
	o.instances_dir = instances_dir;
	o.secrets_spec = getenv("DIVE_SECRETS"); /* the provider of every other command: a vault keeps them off disk */
	rc = open_common(&d, &o, NULL);
	d.report = &rep;
	if (rc == 0)
		rc = docker_negotiate(d.docker);
	if (rc == 0)
		rc = load(&d, 0);
	if (rc == 0)
		rc = load_secrets(&d, 1, NULL);
	if (rc == 0)
		rc = load(&d, 1);
	if (rc == 0)
		rc = apply_networks(&d.apply, NULL);
	if (rc == 0)
		rc = apply_volumes(&d.apply, NULL);
	idx = rc == 0 ? compose_service_index(d.compose, "postgres") : -1;
	if (rc == 0 && idx < 0)
		rc = dive_error_set(DIVE_EUSAGE, "the hub stack has no 'postgres' service to keep the state in");
	if (rc == 0)
		rc = apply_ensure(&d.apply, idx, &detail, &created);
	cJSON_Delete(detail);
	while (rc == 0) {
		enum sched_health h = SCHED_H_STARTING;

		if ((rc = apply_health(&d.apply, idx, &h, &code)) < 0 || h == SCHED_H_HEALTHY)
			break;
		if (h == SCHED_H_EXITED_FAIL || h == SCHED_H_EXITED_OK || waited >= BOOTSTRAP_WAIT_MS) {
			rc = dive_error_set(DIVE_EUNHEALTHY, "the hub's postgres did not become healthy to hold the state");
			dive_error_set_code(ERRC_STATE_UNREACHABLE);
			break;
		}
		usleep(250000);
		waited += 250;
	}
	if (rc == 0) {
		/* the database, created once, on the server's maintenance database */
		const char *pw = NULL;
		int secret = 0;
		char *url;

		interp_lookup(&d.env, "POSTGRES_PASSWORD", &pw, &secret);
		url = xasprintf("postgresql://postgres:%s@127.0.0.1:%d/postgres", pw ? pw : "", d.ports.postgres);
		dive_secret_set(&admin, url);
		explicit_bzero(url, strlen(url));
		free(url);
		rc = pg_connect(&c, dive_secret_reveal(&admin), "dive-bootstrap");
		if (rc == 0) {
			const char *params[1] = { BOOTSTRAP_DB };
			PGresult *res = NULL;

			rc = pg_exec(c, &res, "SELECT 1 FROM pg_database WHERE datname = $1", 1, params);
			if (rc == 0 && PQntuples(res) == 0)
				rc = pg_command(c, "CREATE DATABASE " BOOTSTRAP_DB);
			PQclear(res);
		}
		pg_close(c);
	}
	if (rc == 0)
		rc = deploy_state_url(out, instances_dir);
	dive_secret_release(&admin);
	close_common(&d);
	cJSON_Delete(rep.services);
	cJSON_Delete(rep.checks);
	return rc;
}
