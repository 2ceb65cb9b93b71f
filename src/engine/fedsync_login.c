/* fedsync_login.c - a federated login walked for real through the IdPs dive configured (see fedsync.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/deploy.h"
#include "dive/compose.h"
#include "dive/docker.h"
#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedsync.h"
#include "dive/guard.h"
#include "dive/lock.h"
#include "dive/log.h"
#include "dive/mongo.h"
#include "dive/oidc.h"
#include "dive/policy.h"
#include "dive/ports.h"
#include "dive/secrets.h"
#include "dive/settings.h"
#include "dive/stack.h"
#include "dive/state_machine.h"
#include "dive/store.h"
#include "dive/xalloc.h"

#include "fedsync_priv.h"

/* A secret of code from the provider, required: SECRET_MISSING names it. */
static int need_secret(struct fedsync *fs, struct dive_secret *out, const char *code, const char *key)
{
	int rc = secrets_get(fs->secrets, code, key, out);

	if (rc == DIVE_ENOTFOUND) {
		rc = dive_error_set(DIVE_EUSAGE, "secret '%s' of '%s' is not set: deploy it first", key, code);
		dive_error_set_code(ERRC_SECRET_MISSING);
	}
	return rc;
}

static long long mono_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The app of code, its issuer where its Keycloak is published (a spoke on another engine: its engine's host). */
static int app_of(struct fedsync *fs, struct fed_app *out, const char *code)
{
	char host[ENGINE_URL_MAX + 1], base[ENGINE_URL_MAX + 32];
	struct dive_ports p;
	int remote = 0, rc;

	if (strcmp(code, FED_HUB_CODE) &&
	    (rc = engines_instance_host(host, sizeof(host), &remote, fs->o.store, code)) < 0)
		return rc;
	if (!remote)
		return federation_app(out, code);
	if ((rc = ports_for(&p, country_find(code))) < 0)
		return rc;
	engines_http_url(base, sizeof(base), host, p.keycloak_http);
	return federation_app_at(out, code, base);
}

int fedsync_verify_login(struct fedsync *fs, struct fedsync_login *out, const struct dive_country *c,
			 enum fed_login_dir dir)
{
	const char *entry = dir == FED_LOGIN_SPOKE_TO_HUB ? FED_HUB_CODE : c->code;
	const char *home = dir == FED_LOGIN_SPOKE_TO_HUB ? c->code : FED_HUB_CODE;
	struct dive_secret client = DIVE_SECRET_INIT, password = DIVE_SECRET_INIT;
	struct oidc_login_opts o;
	struct oidc_login_result r;
	struct fed_app app, user;
	struct fed_names n;
	struct kc_result res;
	struct call call;
	struct kc *kc = NULL;
	long long t0 = mono_ms_now();
	const char *clearance, *country;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	out->dir = dir;
	if ((rc = fsx_check_spoke(c)) < 0 || (rc = federation_names(&n, c->code)) < 0 ||
	    (rc = app_of(fs, &app, entry)) < 0 || (rc = federation_app(&user, home)) < 0)
		return rc;
	snprintf(out->idp, sizeof(out->idp), "%s", dir == FED_LOGIN_SPOKE_TO_HUB ? n.hub_idp : n.spoke_idp);
	snprintf(out->name, sizeof(out->name), "federated login %s -> %s through %s", home, entry, out->idp);
	if ((rc = need_secret(fs, &client, entry, "KEYCLOAK_CLIENT_SECRET")) < 0 ||
	    (rc = need_secret(fs, &password, home, FED_VERIFY_PASSWORD_KEY)) < 0)
		goto out;
	/*
	 * Every check is a first login: the visitor's account in the entry
	 * realm (made by an earlier check, linked to an identity that may be
	 * gone) is removed first, so first-broker-login is walked each time.
	 */
	if ((rc = fsx_session(fs, &kc, entry)) < 0)
		goto out;
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_user_delete;
	call.kc = kc;
	call.realm = app.realm;
	call.name = user.verify_user;
	call.res = &res;
	if ((rc = fsx_kguard(fs, entry, &call)) < 0)
		goto out;
	memset(&o, 0, sizeof(o));
	o.issuer = app.issuer;
	o.client_id = app.client_id;
	o.client_secret = &client;
	o.redirect_uri = app.redirect_uri;
	o.idp_hint = out->idp;
	o.username = user.verify_user;
	o.password = &password;
	o.timeout_ms = 30000;
	rc = oidc_login(&r, &o);
	if (rc < 0) {
		out->step = r.failed;
		out->status = r.status;
		goto out;
	}
	/* the attributes crossed over: the home realm's values, in the entry realm's ID token */
	clearance = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.claims, "clearance"));
	country = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.claims, "countryOfAffiliation"));
	snprintf(out->clearance, sizeof(out->clearance), "%s", clearance ? clearance : "");
	snprintf(out->country, sizeof(out->country), "%s", country ? country : "");
	if (!clearance || strcmp(clearance, FED_VERIFY_CLEARANCE) || !country || strcmp(country, home)) {
		out->step = OIDC_STEP_ID_TOKEN;
		rc = dive_error_set(DIVE_EFAIL, "the ID token of '%s' lacks the attributes of '%s' (clearance '%s', "
						"countryOfAffiliation '%s'; expected '%s' and '%s')",
				    app.realm, user.verify_user, out->clearance, out->country, FED_VERIFY_CLEARANCE, home);
		dive_error_set_code(ERRC_FEDERATION_VERIFY);
		goto out;
	}
	out->ok = 1;
	snprintf(out->detail, sizeof(out->detail), "%s signed in at %s: clearance %s, countryOfAffiliation %s (%d requests)",
		 user.verify_user, app.realm, out->clearance, out->country, r.hops);
out:
	if (rc < 0) {
		out->code = dive_error_last_code() ? dive_error_last_code() : ERRC_AUTH_FLOW;
		snprintf(out->detail, sizeof(out->detail), "%s", dive_error_last());
	}
	out->ms = mono_ms_now() - t0;
	oidc_login_result_release(&r);
	dive_secret_release(&client);
	dive_secret_release(&password);
	return rc;
}
