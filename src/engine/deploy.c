/* deploy.c - hub and spoke stacks through the pipeline: the context, the run, status and down (see deploy.h). */
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
#include "dive/fedsync.h"
#include "dive/lock.h"
#include "dive/stack.h"
#include "dive/state.h"

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

int deploy_load(struct deploy *d, int real)
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
int deploy_load_secrets(struct deploy *d, int generate, cJSON *generated)
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
struct deploy *deploy_enter(struct pipeline *p, void *user)
{
	struct deploy *d = user;

	d->p = p;
	return d;
}

/* --- undo ----------------------------------------------------------------------------- */

static const struct pipeline_undo undos[] = {
	{ "start", deploy_undo_start },
	{ "networks", deploy_undo_networks },
	{ "realm", deploy_undo_realm },
	{ "federate", deploy_undo_federate },
};

/* --- the run ------------------------------------------------------------------------- */

/* verify: the verification phase alone (preflight always runs), on a deployed instance */
static const struct pipeline_phase_def phases_verify[] = {
	{ DIVE_PHASE_PREFLIGHT, deploy_phase_preflight },
	{ DIVE_PHASE_VERIFICATION, deploy_phase_verification },
};

static const struct pipeline_phase_def phases_deploy[] = {
	{ DIVE_PHASE_PREFLIGHT, deploy_phase_preflight },
	{ DIVE_PHASE_INITIALIZATION, deploy_phase_initialization },
	{ DIVE_PHASE_DEPLOYMENT, deploy_phase_deployment },
	{ DIVE_PHASE_CONFIGURATION, deploy_phase_configuration },
	{ DIVE_PHASE_VERIFICATION, deploy_phase_verification },
};

int deploy_ctx_open(struct deploy *d, const struct deploy_opts *o, struct store *s)
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
	if ((rc = secrets_open(&d->secrets, o->secrets_spec, o->instances_dir)) < 0)
		return rc;
	if ((rc = stack_env_for(&d->stack_env, o->country)) < 0)
		return rc;
	interp_env_table(&d->env, &d->secret_vars, &d->stack_env);
	return 0;
}

void deploy_ctx_close(struct deploy *d)
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
	rc = deploy_ctx_open(&d, o, s);
	d.report = out;
	if (rc < 0) {
		deploy_ctx_close(&d);
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
	/* up and verify: an initialised instance; its secrets must exist */
	d.generate_secrets = !(o->mode && (!strcmp(o->mode, "up") || !strcmp(o->mode, "verify")));
	if (o->mode && !strcmp(o->mode, "verify")) {
		po.phases = phases_verify;
		po.nphases = sizeof(phases_verify) / sizeof(phases_verify[0]);
		po.rollback = 0; /* a check changes nothing: there is nothing to undo */
	}
	rc = pipeline_run(s, &po, &out->pipeline);
	deploy_ctx_close(&d);
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
	rc = deploy_ctx_open(&d, &o, s);
	if (rc == 0)
		rc = docker_negotiate(d.docker);
	if (rc == 0)
		rc = deploy_load(&d, 0);
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
	deploy_ctx_close(&d);
	return rc;
}

/*
 * A spoke cleaned away is withdrawn from the federation too (under the same
 * instance lock): its registration revoked, the hub's IdP and client for it
 * deleted.  When the hub cannot be reached the clean still stands; the
 * report says what is left for `dive federation unregister`.
 */
static int hub_store_runs(struct docker *dk)
{
	cJSON *list = NULL, *c;
	int runs = 0;

	if (apply_status(dk, &list, "dive-hub") == 0)
		cJSON_ArrayForEach(c, list) {
			const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(c, "service"));
			const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(c, "state"));

			runs |= svc && state && !strcmp(svc, "mongodb") && !strcmp(state, "running");
		}
	cJSON_Delete(list);
	dive_error_clear();
	return runs;
}

static void withdraw(struct store *s, struct docker *dk, const struct deploy_down_env *env,
		     const struct dive_country *c, const char *actor, cJSON *removed)
{
	struct fedsync_opts fo;
	struct fedsync_report rep;
	struct fedsync *fs = NULL;
	int rc;

	if (!getenv(FEDSYNC_STORE_URL_ENV) && !hub_store_runs(dk)) {
		cJSON_AddStringToObject(removed, "federation_left", "the hub's federation store is not running");
		return;
	}
	memset(&fo, 0, sizeof(fo));
	memset(&rep, 0, sizeof(rep));
	fo.store = s;
	fo.docker_host = env->docker_host;
	fo.instances_dir = env->instances_dir;
	fo.secrets_spec = env->secrets_spec;
	fo.actor = actor;
	fo.lock_wait_ms = 30000;
	rc = fedsync_open(&fs, &fo);
	if (rc == 0)
		rc = fedsync_unregister(fs, &rep, c, "the spoke was cleaned", FEDSYNC_LOCKED);
	if (rc == 0)
		cJSON_AddStringToObject(removed, "federation", rep.registered ? "unregistered" : "not registered");
	else
		cJSON_AddStringToObject(removed, "federation_left", dive_error_last());
	dive_error_clear();
	fedsync_report_release(&rep);
	fedsync_close(fs);
}

int deploy_down(struct store *s, const struct deploy_down_env *env, enum stack_kind kind, const struct dive_country *c,
		int clean, int dry_run, const char *actor, long lock_wait_ms, cJSON **removed)
{
	const char *docker_host = env->docker_host;
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
	if (rc == 0 && clean && kind == STACK_SPOKE && *removed)
		withdraw(s, dk, env, c, actor, *removed);
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
