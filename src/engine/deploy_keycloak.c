/* deploy_keycloak.c - the configuration phase: the instance's realm and clients (see deploy_priv.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "dive/federation.h"
#include "dive/fedsync.h"
#include "dive/guard.h"
#include "dive/policy.h"

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

int deploy_keycloak_open(struct deploy *d, struct kc **out)
{
	struct guard_ops gops;
	struct guard_call call = { 0 };
	struct kc_login_arg arg;
	char url[128], breaker[32];
	const char *pw = NULL;
	int secret = 0, rc;

	*out = NULL;
	/* the engine's address: 127.0.0.1 for the local one (issue 18: no loopback assumption) */
	snprintf(url, sizeof(url), "http://%s%s%s:%d", strchr(d->engine_host, ':') ? "[" : "", d->engine_host,
		 strchr(d->engine_host, ':') ? "]" : "", d->ports.keycloak_http);
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
		return rc;
	}
	/* every admin call of the phase from here on: retries and the same breaker */
	guard_kc_install(*out, &d->kc_guard, d->store, &d->store_mu, breaker);
	return 0;
}

void deploy_realm_name(const struct deploy *d, char *out, size_t n)
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

	deploy_realm_name(ks->d, realm, sizeof(realm));
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

/* The user profile declares the DIVE attributes, or Keycloak 26 drops them from users and tokens. */
static int do_user_profile(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct kc_result res = { 0 };
	char realm[64];
	int rc;

	deploy_realm_name(ks->d, realm, sizeof(realm));
	if ((rc = kc_user_profile_apply(ks->kc, &res, realm)) < 0)
		return rc;
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "realm", realm);
	cJSON_AddStringToObject(*detail, "outcome", kc_outcome_name(res.outcome));
	return 0;
}

/* The app client the instance's frontend signs in with, and the mappers that put the DIVE attributes in its tokens. */
static int do_client(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct kc_result res = { 0 };
	struct dive_secret secret = DIVE_SECRET_INIT;
	struct fed_app app;
	cJSON *desired = NULL, *mappers = NULL;
	const cJSON *m;
	const char *redirects[2], *origins[2], *v = NULL;
	int rc, is_secret = 0, mapped = 0;

	if ((rc = federation_app(&app, ks->d->o->country->code)) < 0)
		return rc;
	redirects[0] = app.redirect_uri;
	origins[0] = app.origin;
	redirects[1] = origins[1] = NULL;
	if ((rc = kc_desired_client(&desired, app.client_id, redirects, origins)) < 0)
		return rc;
	if (interp_lookup(&ks->d->env, "KEYCLOAK_CLIENT_SECRET", &v, &is_secret) == 1 && v)
		dive_secret_set(&secret, v);
	rc = kc_client_apply(ks->kc, &res, app.realm, desired, dive_secret_is_set(&secret) ? &secret : NULL);
	dive_secret_release(&secret);
	cJSON_Delete(desired);
	if (rc == 0)
		rc = kc_desired_client_mappers(&mappers);
	cJSON_ArrayForEach(m, mappers) {
		struct kc_result mres = { 0 };

		if (rc < 0 || (rc = kc_client_mapper_apply(ks->kc, &mres, app.realm, app.client_id, m)) < 0)
			break;
		mapped += mres.outcome != KC_UNCHANGED;
	}
	cJSON_Delete(mappers);
	if (rc < 0) {
		if (!dive_error_last_code())
			dive_error_set_code(ERRC_CLIENT_CREATE);
		return rc;
	}
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "realm", app.realm);
	cJSON_AddStringToObject(*detail, "client", app.client_id);
	cJSON_AddStringToObject(*detail, "outcome", kc_outcome_name(res.outcome));
	cJSON_AddNumberToObject(*detail, "mappers_changed", mapped);
	return 0;
}

/*
 * The verification user: a dummy account whose login through the
 * federation the verification phase walks.  Its password is the instance's
 * secret (generated once by the provider, never printed or stored elsewhere).
 */
static int do_verify_user(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct dive_secret pw = DIVE_SECRET_INIT;
	struct kc_result res = { 0 };
	struct kc_user_attrs attrs;
	struct fed_app app;
	cJSON *desired = NULL;
	int rc, gen = 0;

	if ((rc = federation_app(&app, ks->d->o->country->code)) < 0)
		return rc;
	attrs.clearance = FED_VERIFY_CLEARANCE;
	attrs.country = app.code;
	attrs.unique_id = app.verify_unique_id;
	attrs.coi = FED_VERIFY_COI;
	if ((rc = kc_desired_user(&desired, app.verify_user, app.verify_email, "DIVE", "Verification", &attrs)) < 0)
		return rc;
	rc = secrets_ensure(ks->d->secrets, app.code, FED_VERIFY_PASSWORD_KEY, 24, &pw, &gen);
	if (rc == 0)
		rc = kc_user_apply(ks->kc, &res, app.realm, desired, &pw);
	dive_secret_release(&pw);
	cJSON_Delete(desired);
	if (rc < 0)
		return rc;
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "realm", app.realm);
	cJSON_AddStringToObject(*detail, "user", app.verify_user);
	cJSON_AddStringToObject(*detail, "outcome", kc_outcome_name(res.outcome));
	cJSON_AddBoolToObject(*detail, "password_generated", gen);
	return 0;
}

int deploy_fedsync_open(struct deploy *d, struct fedsync **out)
{
	struct fedsync_opts fo;

	memset(&fo, 0, sizeof(fo));
	fo.store = d->store;
	fo.docker_host = d->o->docker_host;
	fo.instances_dir = d->o->instances_dir;
	fo.secrets_spec = d->o->secrets_spec;
	fo.actor = d->o->actor;
	fo.lock_wait_ms = d->o->lock_wait_ms > 0 ? d->o->lock_wait_ms : 30000;
	if (d->o->instance) {
		fo.display_name = d->o->instance->value[IK_DISPLAY_NAME];
		fo.scopes = d->o->instance->value[IK_SCOPES];
	}
	return fedsync_open(out, &fo);
}

/*
 * A spoke's federation with the hub: registered, approved when the hub's
 * policy says so, both directions created or updated by diff (fedsync.h).
 * Under hub:shared (the run holds the instance lock already).
 */
static int do_federate(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct fedsync_report rep;
	struct fed_policy pol;
	struct fedsync *fs = NULL;
	size_t i, changed = 0;
	int rc;

	memset(&rep, 0, sizeof(rep));
	if ((rc = fedsync_policy(&pol)) < 0 || (rc = deploy_fedsync_open(ks->d, &fs)) < 0)
		goto out;
	/* federation.approval of instance.yml decides for this spoke, unless it defers to the hub's policy */
	if (ks->d->o->instance && strcmp(ks->d->o->instance->value[IK_APPROVAL], "hub")) {
		const struct instcfg *ic = ks->d->o->instance;
		char where[sizeof(pol.source)];

		pol.auto_approve = !strcmp(ic->value[IK_APPROVAL], "auto");
		instcfg_source_text(where, sizeof(where), ic, IK_APPROVAL);
		snprintf(pol.source, sizeof(pol.source), "%.200s (federation.approval)", where);
	}
	rc = fedsync_federate(fs, &rep, ks->d->o->country, FEDSYNC_LOCKED, &pol);
	if (rc < 0) {
		if (!dive_error_last_code())
			dive_error_set_code(ERRC_FEDERATION_SETUP);
		goto out;
	}
	for (i = 0; i < rep.n; i++)
		changed += rep.v[i].outcome != KC_UNCHANGED;
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "status", fed_status_name(rep.spoke.status));
	cJSON_AddStringToObject(*detail, "policy", pol.auto_approve ? "auto" : "manual");
	cJSON_AddBoolToObject(*detail, "registered", rep.registered_now);
	cJSON_AddBoolToObject(*detail, "approved", rep.approved_now);
	cJSON_AddNumberToObject(*detail, "objects", (double)rep.n);
	cJSON_AddNumberToObject(*detail, "changed", (double)changed);
	if (rep.spoke.status == FED_PENDING)
		pipeline_note(p, "federation: %s is registered and waits for 'dive federation approve %s' (policy %s)",
			      ks->d->o->country->code, ks->d->o->country->code, pol.source);
	else if (rep.spoke.status == FED_SUSPENDED)
		pipeline_note(p, "federation: %s is suspended; its identity providers stay disabled",
			      ks->d->o->country->code);
out:
	fedsync_report_release(&rep);
	fedsync_close(fs);
	return rc;
}

/*
 * The hub's policy to every spoke's OPA (policy.h): the tree published
 * last (or the repository's policies/) with the trusted issuers of now.
 */
static int do_publish(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct policy_result r;
	struct fedsync *fs = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = deploy_fedsync_open(ks->d, &fs)) == 0)
		rc = fedsync_publish_policy(fs, &r, NULL, 0);
	if (rc == 0) {
		*detail = cJSON_CreateObject();
		cJSON_AddStringToObject(*detail, "revision", r.pub.revision);
		cJSON_AddBoolToObject(*detail, "published", !r.unchanged);
		cJSON_AddNumberToObject(*detail, "issuers", cJSON_GetArraySize(r.pub.issuers));
		cJSON_AddNumberToObject(*detail, "ms", (double)r.ms);
	} else if (!dive_error_last_code()) {
		dive_error_set_code(ERRC_POLICY_DISTRIBUTION);
	}
	policy_result_release(&r);
	fedsync_close(fs);
	return rc;
}

int deploy_phase_configuration(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	struct kc_step ks = { d, NULL };
	int rc, spoke = d->o->kind == STACK_SPOKE;

	if (pipeline_dry_run(p)) {
		pipeline_step(p, "keycloak", "realm", NULL, NULL, NULL);
		pipeline_step(p, "keycloak", "user-profile", NULL, NULL, NULL);
		pipeline_step(p, "keycloak", "client", NULL, NULL, NULL);
		pipeline_step(p, "keycloak", "verify-user", NULL, NULL, NULL);
		return pipeline_step(p, spoke ? "federation" : "opal-server", spoke ? "federate" : "publish", NULL, NULL,
				     NULL);
	}
	if (!d->secrets_loaded && (rc = deploy_load_secrets(d, 0, NULL)) < 0)
		return rc;
	if ((rc = deploy_keycloak_open(d, &ks.kc)) < 0)
		return rc;
	rc = pipeline_step(p, "keycloak", "realm", do_realm, &ks, NULL);
	if (rc == 0)
		rc = pipeline_step(p, "keycloak", "user-profile", do_user_profile, &ks, NULL);
	if (rc == 0)
		rc = pipeline_step(p, "keycloak", "client", do_client, &ks, NULL);
	if (rc == 0)
		rc = pipeline_step(p, "keycloak", "verify-user", do_verify_user, &ks, NULL);
	kc_close(ks.kc);
	if (rc == 0 && spoke)
		rc = pipeline_step(p, "federation", "federate", do_federate, &ks, NULL);
	else if (rc == 0)
		rc = pipeline_step(p, "opal-server", "publish", do_publish, &ks, NULL);
	return rc;
}

/* A federation this run registered is withdrawn with it; one that was there before stays. */
int deploy_undo_federate(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	struct fedsync_report rep;
	struct fedsync *fs = NULL;
	int rc;

	if (!cJSON_IsTrue(cJSON_GetObjectItem(detail, "registered")))
		return 0;
	memset(&rep, 0, sizeof(rep));
	if ((rc = deploy_fedsync_open(d, &fs)) == 0)
		rc = fedsync_unregister(fs, &rep, d->o->country, "the deploy that registered it was rolled back",
					FEDSYNC_LOCKED);
	fedsync_report_release(&rep);
	fedsync_close(fs);
	return rc;
}

int deploy_undo_realm(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItem(detail, "outcome"));
	const char *realm = cJSON_GetStringValue(cJSON_GetObjectItem(detail, "realm"));
	struct kc_result res;
	struct kc *kc = NULL;
	int rc;

	if (!outcome || strcmp(outcome, "created") || !realm)
		return 0;
	if ((rc = deploy_keycloak_open(d, &kc)) < 0)
		return rc;
	rc = kc_realm_delete(kc, &res, realm);
	kc_close(kc);
	return rc;
}
