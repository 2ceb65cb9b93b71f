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
#include "dive/guard.h"

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

static int do_client(struct pipeline *p, void *arg, cJSON **detail)
{
	struct kc_step *ks = arg;
	struct kc_result res = { 0 };
	struct dive_secret secret = DIVE_SECRET_INIT;
	cJSON *desired = NULL;
	char realm[64], redirect[128], origin[64];
	const char *redirects[2] = { redirect, NULL }, *origins[2] = { origin, NULL }, *v = NULL;
	int rc, is_secret = 0;

	deploy_realm_name(ks->d, realm, sizeof(realm));
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

int deploy_phase_configuration(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	struct kc_step ks = { d, NULL };
	int rc;

	if (pipeline_dry_run(p)) {
		pipeline_step(p, "keycloak", "realm", NULL, NULL, NULL);
		return pipeline_step(p, "keycloak", "client", NULL, NULL, NULL);
	}
	if (!d->secrets_loaded && (rc = deploy_load_secrets(d, 0, NULL)) < 0)
		return rc;
	if ((rc = deploy_keycloak_open(d, &ks.kc)) < 0)
		return rc;
	rc = pipeline_step(p, "keycloak", "realm", do_realm, &ks, NULL);
	if (rc == 0)
		rc = pipeline_step(p, "keycloak", "client", do_client, &ks, NULL);
	kc_close(ks.kc);
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
