/* deploy_status.c - what runs of one instance, and how healthy it is (see deploy.h). */
#include <stdio.h>
#include <string.h>

#include "deploy_priv.h"
#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/state.h"


int deploy_status(struct store *s, const char *docker_host, enum stack_kind kind, const struct dive_country *c,
		  cJSON **out, int *healthy)
{
	struct deploy_opts o;
	struct deploy d;
	struct state_instance st;
	cJSON *doc = cJSON_CreateObject(), *list = NULL, *svcs;
	size_t i;
	int rc, all = 1;

	*out = NULL;
	*healthy = 0;
	/* a remote engine through its breaker (docker:<name>): one that is down opens it */
	rc = deploy_ctx_observe(&d, &o, s, docker_host, kind, c);
	if (rc < 0 && d.engine_remote &&
	    (rc == DIVE_ECIRCUIT || dive_error_last_code() == ERRC_DOCKER_UNREACHABLE || rc == DIVE_EUNAVAIL)) {
		/* not absent, not healthy: unreachable, with the engine named (the audit treats it as unknown) */
		cJSON_AddStringToObject(doc, "code", c->code);
		cJSON_AddStringToObject(doc, "name", c->name);
		cJSON_AddStringToObject(doc, "project", d.project);
		cJSON_AddStringToObject(doc, "engine", d.engine);
		if (s && s->ready && state_get(s, &st, c->code) == 0)
			cJSON_AddStringToObject(doc, "state", dive_state_name(st.state));
		cJSON_AddStringToObject(doc, "health", "unreachable");
		cJSON_AddStringToObject(doc, "error", dive_error_last());
		cJSON_AddArrayToObject(doc, "services");
		cJSON_AddBoolToObject(doc, "healthy", 0);
		dive_error_clear();
		*out = doc;
		doc = NULL;
		rc = 0;
		goto out;
	}
	if (rc == 0)
		rc = deploy_load(&d, 0);
	if (rc == 0)
		rc = apply_status(d.docker, &list, d.project);
	if (rc < 0)
		goto out;
	cJSON_AddStringToObject(doc, "code", c->code);
	cJSON_AddStringToObject(doc, "name", c->name);
	cJSON_AddStringToObject(doc, "project", d.project);
	cJSON_AddStringToObject(doc, "engine", d.engine);
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
