/*
 * deploy_verify.c - the verification phase: nothing is reported that was
 * not checked, and a check counts only if it walks the path a user walks
 * (DESIGN §4): every service healthy, the realm and its app client there,
 * and for a federated spoke a real login each way through the identity
 * providers dive configured (fedsync_verify_login()).  The first failed
 * check names the run's error and its taxonomy code.
 */
#include <stdio.h>
#include <string.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedstore.h"
#include "dive/fedsync.h"
#include "dive/policy.h"

struct verdict {
	struct deploy *d;
	int failures;
	int code;                /* taxonomy code of the first failure */
	char first[768];         /* what the first failure says */
};

static void add(struct verdict *v, const char *name, const char *status, const char *detail, long long ms)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "check", name);
	cJSON_AddBoolToObject(o, "ok", !strcmp(status, "ok"));
	cJSON_AddStringToObject(o, "status", status);
	if (detail && *detail)
		cJSON_AddStringToObject(o, "detail", detail);
	if (ms >= 0)
		cJSON_AddNumberToObject(o, "ms", (double)ms);
	cJSON_AddItemToArray(v->d->report->checks, o);
}

static void ok(struct verdict *v, const char *name, const char *detail)
{
	add(v, name, "ok", detail, -1);
}

static void skipped(struct verdict *v, const char *name, const char *why)
{
	add(v, name, "skipped", why, -1);
}

static void failed(struct verdict *v, const char *name, const char *detail, int code, const char *first_fmt_name)
{
	add(v, name, "failed", detail, -1);
	if (v->failures++ == 0) {
		v->code = code;
		snprintf(v->first, sizeof(v->first), "%s: %.300s", first_fmt_name, detail ? detail : "failed");
	}
}

static void services(struct verdict *v)
{
	struct deploy *d = v->d;
	char what[128];
	size_t i;

	for (i = 0; i < d->graph->n; i++) {
		const char *name = d->graph->nodes[i].svc->name;
		int idx = compose_service_index(d->compose, name), code = 0, rc;
		enum sched_health h = SCHED_H_STARTING;

		rc = apply_health(&d->apply, idx, &h, &code);
		snprintf(what, sizeof(what), "service %s healthy", name);
		if (rc == 0 && (h == SCHED_H_HEALTHY || h == SCHED_H_EXITED_OK))
			ok(v, what, NULL);
		else
			failed(v, what, rc < 0 ? dive_error_last() : "its health check does not pass", ERRC_HEALTH_CHECK,
			       what);
	}
}

static void keycloak_objects(struct verdict *v)
{
	struct deploy *d = v->d;
	struct kc *kc = NULL;
	cJSON *rep = NULL;
	char realm[64], what[128];

	deploy_realm_name(d, realm, sizeof(realm));
	if (deploy_keycloak_open(d, &kc) < 0) {
		failed(v, "keycloak admin login", dive_error_last(), ERRC_KEYCLOAK_AUTH_FAILED, "keycloak admin login");
		return;
	}
	snprintf(what, sizeof(what), "keycloak realm %s exists", realm);
	if (kc_realm_get(kc, &rep, realm) == 0) {
		ok(v, what, NULL);
		cJSON_Delete(rep);
		rep = NULL;
		snprintf(what, sizeof(what), "keycloak client %s exists", realm);
		if (kc_client_find(kc, &rep, realm, realm) == 0 && rep)
			ok(v, what, NULL);
		else
			failed(v, what, "missing", ERRC_CLIENT_CREATE, what);
	} else {
		failed(v, what, "missing", ERRC_REALM_CREATE, what);
	}
	cJSON_Delete(rep);
	kc_close(kc);
}

/* A spoke's federation: its registration, then a login each way when it is approved. */
static void federation(struct verdict *v)
{
	static const enum fed_login_dir dirs[] = { FED_LOGIN_SPOKE_TO_HUB, FED_LOGIN_HUB_TO_SPOKE };
	struct deploy *d = v->d;
	struct fedsync_status st;
	struct fedsync *fs = NULL;
	char why[256];
	size_t i;

	memset(&st, 0, sizeof(st));
	if (deploy_fedsync_open(d, &fs) < 0 || fedsync_status(fs, &st, d->o->country) < 0) {
		failed(v, "federation registration", dive_error_last(), ERRC_FEDERATION_VERIFY, "federation registration");
		goto out;
	}
	if (!st.registered || st.spoke.status != FED_APPROVED) {
		snprintf(why, sizeof(why), "the spoke is %s: no federated login to check",
			 st.registered ? fed_status_name(st.spoke.status) : "not registered");
		skipped(v, "federation registration approved", why);
		for (i = 0; i < 2; i++)
			skipped(v, i == 0 ? "federated login spoke -> hub" : "federated login hub -> spoke", why);
		goto out;
	}
	ok(v, "federation registration approved", NULL);
	for (i = 0; i < 2; i++) {
		struct fedsync_login l;

		fedsync_verify_login(fs, &l, d->o->country, dirs[i]);
		add(v, l.name, l.ok ? "ok" : "failed", l.detail, l.ms);
		if (!l.ok && v->failures++ == 0) {
			v->code = l.code ? l.code : ERRC_AUTH_FLOW;
			snprintf(v->first, sizeof(v->first), "%s failed: %.300s", l.name, l.detail);
		}
	}
out:
	fedsync_status_release(&st);
	fedsync_close(fs);
}

/*
 * The spoke's OPA holds the hub's policy: the revision last published (it
 * arrives within a second or two of a publish, once the client is connected), the trusted issuers it
 * carried, and a fixed decision each way.
 */
static void policy(struct verdict *v)
{
	struct deploy *d = v->d;
	struct policy_spoke_check pc;
	struct policy_pub last;
	char what[128];
	int rc, found = 0;

	memset(&last, 0, sizeof(last));
	if (policy_store_last(d->store, &last, &found) < 0 || !found) {
		failed(v, "hub policy published", found ? dive_error_last() : "no publication of the hub's policy is recorded",
		       ERRC_POLICY_DISTRIBUTION, "hub policy published");
		goto out;
	}
	/* Up to 150 s: after the hub's OPAL server restarts, a spoke's client reconnects on its own
	 * backoff (2 min between tries seen after `hub down` / `hub up`); the check ends at the match. */
	rc = policy_check_spoke_at(&pc, d->o->country, &last, 150000, d->engine_host);
	snprintf(what, sizeof(what), "policy revision at %s's OPA", d->o->country->code);
	if (rc < 0) {
		failed(v, what, dive_error_last(), ERRC_POLICY_DISTRIBUTION, what);
		goto out;
	}
	{
		char detail[200];

		snprintf(detail, sizeof(detail), "holds '%s', the hub published '%s'", pc.revision[0] ? pc.revision : "none",
			 last.revision);
		if (pc.revision_ok)
			add(v, what, "ok", detail, pc.ms);
		else
			failed(v, what, detail, ERRC_POLICY_DISTRIBUTION, what);
	}
	snprintf(what, sizeof(what), "trusted issuers at %s's OPA", d->o->country->code);
	if (pc.issuers_ok)
		ok(v, what, pc.issuers_detail);
	else
		failed(v, what, pc.issuers_detail, ERRC_POLICY_DISTRIBUTION, what);
	snprintf(what, sizeof(what), "policy decision at %s's OPA", d->o->country->code);
	if (pc.decision_ok)
		ok(v, what, pc.decision_detail);
	else
		failed(v, what, pc.decision_detail, ERRC_POLICY_DISTRIBUTION, what);
out:
	policy_pub_release(&last);
}

/* The hub: a publication of its policy is recorded (every spoke's verification compares with it). */
static void hub_policy(struct verdict *v)
{
	struct policy_pub last;
	char detail[160];
	int found = 0;

	if (policy_store_last(v->d->store, &last, &found) < 0 || !found) {
		failed(v, "hub policy published", found ? dive_error_last() : "no publication is recorded",
		       ERRC_POLICY_DISTRIBUTION, "hub policy published");
		return;
	}
	snprintf(detail, sizeof(detail), "revision %s, %d trusted issuers", last.revision,
		 cJSON_GetArraySize(last.issuers));
	ok(v, "hub policy published", detail);
	policy_pub_release(&last);
}

int deploy_phase_verification(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	struct verdict v;
	int rc;

	if (pipeline_dry_run(p))
		return 0;
	if ((rc = deploy_load(d, 0)) < 0)
		return rc;
	if (!d->secrets_loaded)
		deploy_load_secrets(d, 0, NULL);
	memset(&v, 0, sizeof(v));
	v.d = d;
	services(&v);
	keycloak_objects(&v);
	if (d->o->kind == STACK_SPOKE) {
		federation(&v);
		policy(&v);
	} else {
		hub_policy(&v);
	}
	pipeline_checkpoint_set(p, "checks", cJSON_Duplicate(d->report->checks, 1));
	if (v.failures) {
		dive_error_set(DIVE_EUNHEALTHY, "%s (%d check%s failed)", v.first, v.failures, v.failures > 1 ? "s" : "");
		dive_error_set_code(v.code ? v.code : ERRC_HEALTH_CHECK);
		return DIVE_EUNHEALTHY;
	}
	return 0;
}
