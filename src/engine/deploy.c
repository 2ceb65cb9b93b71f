/* deploy.c - hub and spoke stacks through the pipeline: the context, the run, status and down (see deploy.h). */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/engines.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "dive/fedsync.h"
#include "dive/lock.h"
#include "dive/settings.h"
#include "dive/stack.h"
#include "dive/state.h"

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
	/* the instance configuration this run read; applied by a deploy that succeeded */
	if (o->instance && !o->dry_run && out->pipeline.run_id > 0) {
		struct dive_error_saved e;

		dive_error_save(&e);
		if (state_config_record(s, out->pipeline.run_id, o->country->code, o->instance->hash,
					rc == 0 && strcmp(po.mode, "verify")) < 0 && !out->pipeline.warning[0])
			snprintf(out->pipeline.warning, sizeof(out->pipeline.warning),
				 "configuration hash not recorded: %.120s", dive_error_last());
		dive_error_restore(&e);
	}
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

/* --- down ------------------------------------------------------------------------------ */

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

	if (!settings_getenv(FEDSYNC_STORE_URL_ENV) && !hub_store_runs(dk)) {
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
	struct runstore rs;
	void *lock = NULL;
	struct state_instance st;
	struct state_change chg = { 0 };
	struct docker *dk = NULL;
	struct guard_hook guard;
	char breaker[BREAKER_NAME_MAX + 1];
	char project[64], engine[ENGINE_NAME_MAX + 1] = ENGINE_LOCAL;
	long long v = 0;
	int rc;

	*removed = NULL;
	deploy_project(project, sizeof(project), kind, c);
	/* where the spoke is placed (issue 18): its containers are on that engine */
	if (kind == STACK_SPOKE && s && s->ready) {
		int deployed = 0;

		rc = engine_store_placement(s, c->code, engine, &deployed);
		if (rc == DIVE_ENOTFOUND)
			dive_error_clear();
		else if (rc < 0)
			return rc;
	}
	engines_breaker_name(breaker, engine);
	if ((rc = engines_open(&dk, NULL, s, engine, docker_host)) == 0)
		guard_docker_install(dk, &guard, s, NULL, breaker);
	if (rc < 0 || (rc = docker_negotiate(dk)) < 0) {
		docker_close(dk);
		return rc;
	}
	if (dry_run) {
		rc = apply_down(dk, project, clean, 1, removed);
		docker_close(dk);
		return rc;
	}
	runstore_pg(&rs, s);
	if ((rc = pipeline_claim(&rs, c->code, &req, &lock, &st)) < 0)
		goto out;
	chg.code = c->code;
	chg.actor = actor;
	if (st.state != DIVE_STATE_CLEANUP) {
		chg.from = st.state;
		chg.version = st.version;
		chg.to = DIVE_STATE_CLEANUP;
		chg.reason = clean ? "clean: containers, networks and volumes" : "down: containers and networks";
		if ((rc = state_transition(s, &chg, &v)) < 0)
			goto out;
		st.version = v;
	}
	rc = apply_down(dk, project, clean, 0, removed);
	if (rc == 0 && clean && kind == STACK_SPOKE && *removed) {
		struct docker *hub_dk = NULL;

		/* the hub (and its federation store) is on the local engine */
		if (strcmp(engine, ENGINE_LOCAL) && docker_open(&hub_dk, docker_host, NULL) == 0 && docker_negotiate(hub_dk) == 0)
			withdraw(s, hub_dk, env, c, actor, *removed);
		else
			withdraw(s, dk, env, c, actor, *removed);
		docker_close(hub_dk);
	}
	chg.from = DIVE_STATE_CLEANUP;
	chg.version = st.version;
	chg.to = rc == 0 ? (clean ? DIVE_STATE_UNKNOWN : DIVE_STATE_STOPPED) : DIVE_STATE_FAILED;
	chg.reason = rc == 0 ? (clean ? "cleaned" : "stopped") : "removal failed";
	if (rc < 0) {
		struct dive_error_saved e;

		dive_error_save(&e);
		state_transition(s, &chg, &v);
		rc = dive_error_restore(&e);
	} else {
		rc = state_transition(s, &chg, &v);
	}
out:
	if (lock) {
		struct dive_error_saved e;

		dive_error_save(&e);
		rs.unlock(rs.data, lock);
		dive_error_restore(&e);
	}
	docker_close(dk);
	return rc;
}
