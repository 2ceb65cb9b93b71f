/* deploy_verify.c - the verification phase: nothing is reported that was not checked (see deploy_priv.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"

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

int deploy_phase_verification(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	struct kc *kc = NULL;
	cJSON *rep = NULL;
	char realm[64], what[128], first_bad[256] = "";
	size_t i;
	int rc, failures = 0;

	if (pipeline_dry_run(p))
		return 0;
	if ((rc = deploy_load(d, 0)) < 0)
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
		deploy_load_secrets(d, 0, NULL);
	deploy_realm_name(d, realm, sizeof(realm));
	rc = deploy_keycloak_open(d, &kc);
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
