/* rotate.c - a secret replaced by a new CSPRNG value, written to the provider and applied (see secretops.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/deploy.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedsync.h"
#include "dive/guard.h"
#include "dive/lock.h"
#include "dive/secretops.h"
#include "dive/secrets.h"
#include "dive/store.h"
#include "secretops_priv.h"

#define ROTATE_BYTES 24   /* 48 hex digits, as generated secrets are */

/*
 * Secrets a service keeps in its data volume from its first start: a new
 * value in the environment would not reach the stored one, and the services
 * that sign in with it would be locked out.
 */
static const struct {
	const char *key;
	const char *why;
} kept_in_volume[] = {
	{ "POSTGRES_PASSWORD", "PostgreSQL keeps the password in its data volume since its first start" },
	{ "MONGO_PASSWORD", "MongoDB keeps the root password in its data volume since its first start" },
	{ "KEYCLOAK_ADMIN_PASSWORD", "Keycloak creates its admin from it once, on its first start" },
};

static const char *refused(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(kept_in_volume) / sizeof(kept_in_volume[0]); i++)
		if (!strcmp(kept_in_volume[i].key, key))
			return kept_in_volume[i].why;
	return NULL;
}

/* The services whose environment holds ${key}. */
static cJSON *services_using(const struct secretops_stack *st, const char *key)
{
	cJSON *list = cJSON_CreateArray();
	char ref[80];
	size_t i, k;

	snprintf(ref, sizeof(ref), "${%s}", key);
	for (i = 0; i < st->compose->nservices; i++) {
		const struct compose_service *s = &st->compose->services[i];

		for (k = 0; k < s->nenvironment; k++)
			if (s->environment[k].value && strstr(s->environment[k].value, ref)) {
				cJSON_AddItemToArray(list, cJSON_CreateString(s->name));
				break;
			}
	}
	return list;
}

/* A deploy of c through the pipeline, its recreated services and its checks added to doc. */
static int apply_redeploy(const struct secretops_opts *o, const struct dive_country *c, cJSON *doc)
{
	struct deploy_opts d = { 0 };
	struct deploy_report rep;
	const cJSON *s;
	cJSON *recreated = cJSON_AddArrayToObject(doc, "recreated");
	int rc;

	d.kind = c->kind == DIVE_COUNTRY_HUB ? STACK_HUB : STACK_SPOKE;
	d.country = c;
	d.mode = "deploy";
	d.actor = o->actor;
	d.from_phase = -1;
	d.rollback = 1;
	d.lock_wait_ms = o->lock_wait_ms;
	d.docker_host = o->docker_host;
	d.secrets_spec = o->spec;
	d.instances_dir = o->instances_dir;
	d.progress = o->progress;
	d.user = o->user;
	rc = deploy_run(o->store, &d, &rep);
	cJSON_AddNumberToObject(doc, "run_id", (double)rep.pipeline.run_id);
	cJSON_AddStringToObject(doc, "outcome", pipeline_outcome_name(rep.pipeline.outcome));
	cJSON_ArrayForEach(s, rep.services)
		if (cJSON_IsTrue(cJSON_GetObjectItem(s, "created")))
			cJSON_AddItemToArray(recreated, cJSON_CreateString(cJSON_GetStringValue(cJSON_GetObjectItem(s,
												      "service"))));
	cJSON_AddItemToObject(doc, "checks", cJSON_Duplicate(rep.checks, 1));
	if (rc < 0 && rep.pipeline.error[0]) {
		int code = rep.pipeline.error_code;

		dive_error_set(rc, "%s", rep.pipeline.error);
		if (code)
			dive_error_set_code(code);
	}
	deploy_report_release(&rep);
	return rc;
}

static int apply_federation(const struct secretops_opts *o, const struct dive_country *c,
			    const struct dive_country *other, const char *key, cJSON *doc)
{
	const struct dive_country *spoke = c->kind == DIVE_COUNTRY_HUB ? other : c;
	struct fedsync_opts fo = { 0 };
	struct fedsync_report rep = { 0 };
	struct fedsync *fs = NULL;
	cJSON *changed = cJSON_AddArrayToObject(doc, "changed");
	size_t i;
	int rc;

	fo.store = o->store;
	fo.docker_host = o->docker_host;
	fo.instances_dir = o->instances_dir;
	fo.secrets_spec = o->spec;
	fo.actor = o->actor;
	fo.lock_wait_ms = o->lock_wait_ms;
	if ((rc = fedsync_open(&fs, &fo)) < 0)
		return rc;
	fedsync_secret_replaced(fs, c->code, key);
	/* approve of an approved spoke: both sides' objects brought to what dive wants, the secret written */
	rc = fedsync_approve(fs, &rep, spoke, 0);
	for (i = 0; i < rep.n; i++)
		if (rep.v[i].done && rep.v[i].outcome != KC_UNCHANGED) {
			cJSON *e = cJSON_CreateObject();
			struct fed_names names;
			const char *realm = "", *name = "";

			fed_action_target(&rep.v[i].action, &realm, &name, &names);
			cJSON_AddStringToObject(e, "object", fed_obj_name(rep.v[i].action.obj));
			cJSON_AddStringToObject(e, "name", name);
			cJSON_AddStringToObject(e, "realm", realm);
			cJSON_AddStringToObject(e, "fields", rep.v[i].changed);
			cJSON_AddItemToArray(changed, e);
		}
	fedsync_report_release(&rep);
	fedsync_close(fs);
	/*
	 * Then the spoke's verification phase, through a deploy of the spoke
	 * (nothing of it changed, so nothing is recreated: the state machine
	 * has no way from COMPLETE into verification alone until issue 11's
	 * 'spoke verify').  The federated login through both IdPs joins that
	 * phase with issue 11; until then it checks services and objects.
	 */
	return rc < 0 ? rc : apply_redeploy(o, spoke, doc);
}

static int lock_free_now(const struct secretops_opts *o, const struct dive_country *c)
{
	struct lock_request req = { o->actor, "rotating a secret", o->lock_wait_ms, 0 };
	struct dive_lock *l = NULL;
	char name[32];
	int rc;

	if (!o->store)
		return 0;
	lock_name_instance(name, c->code);
	rc = lock_acquire(&l, o->store->url, name, &req, NULL);
	lock_release(l);
	return rc;
}

int secretops_rotate(const struct secretops_opts *o, const struct dive_country *c, const char *key, cJSON **out)
{
	struct secrets_provider *p = NULL;
	struct secretops_stack st;
	struct dive_secret old = DIVE_SECRET_INIT, fresh = DIVE_SECRET_INIT;
	const struct dive_country *other = NULL;
	const char *why, *how;
	cJSON *doc = NULL;
	char hex[2 * ROTATE_BYTES + 1], where[512];
	int rc, fed;

	*out = NULL;
	if (!secrets_valid_key(key))
		return dive_error_set(DIVE_EUSAGE, "invalid secret name '%.64s' (A-Z, 0-9, _)", key);
	if ((rc = secretops_stack_load(&st, c)) < 0)
		return rc;
	fed = secretops_federation_key(key, c, &other);
	if (!fed && !secretops_stack_has(&st, key)) {
		rc = dive_error_set(DIVE_EUSAGE, "'%s' is not a secret of %s: 'dive secrets list %s' names them", key,
				    c->code, c->code);
		goto out;
	}
	if ((why = refused(key))) {
		rc = dive_error_set(DIVE_EUSAGE, "cannot rotate %s of %s: %s; a new value would lock its services out",
				    key, c->code, why);
		goto out;
	}
	how = fed ? "federation" : "redeploy";
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "code", c->code);
	cJSON_AddStringToObject(doc, "key", key);
	cJSON_AddStringToObject(doc, "how", how);
	cJSON_AddItemToObject(doc, "services", fed ? cJSON_CreateArray() : services_using(&st, key));
	if (fed)
		cJSON_AddStringToObject(doc, "federation", other->code);
	cJSON_AddBoolToObject(doc, "dry_run", o->dry_run);
	if ((rc = guard_secrets_open(&p, o->spec, o->instances_dir, o->store)) < 0)
		goto out;
	secrets_where(p, c->code, where, sizeof(where));
	cJSON_AddStringToObject(doc, "provider", p->name);
	cJSON_AddStringToObject(doc, "where", where);
	/* a rotation replaces: a secret that was never set belongs to a deploy, not here */
	rc = secrets_get(p, c->code, key, &old);
	dive_secret_release(&old);
	if (rc == DIVE_ENOTFOUND) {
		rc = dive_error_set(DIVE_EUSAGE, "%s of %s was never set: deploy %s first", key, c->code, c->code);
		dive_error_set_code(ERRC_SECRET_MISSING);
	}
	if (rc < 0 || o->dry_run)
		goto out;
	/*
	 * A run in progress on the instance would start with the old value:
	 * refuse before writing.  The deploy takes the lock again for itself.
	 */
	if (!fed && (rc = lock_free_now(o, c)) < 0)
		goto out;
	if ((rc = secrets_random_hex(hex, ROTATE_BYTES)) < 0)
		goto out;
	dive_secret_set(&fresh, hex);
	explicit_bzero(hex, sizeof(hex));
	rc = secrets_put(p, c->code, key, &fresh);
	dive_secret_release(&fresh);
	secrets_close(p);
	p = NULL;
	if (rc < 0)
		goto out;
	cJSON_AddBoolToObject(doc, "stored", 1);
	rc = fed ? apply_federation(o, c, other, key, doc) : apply_redeploy(o, c, doc);
	cJSON_AddBoolToObject(doc, "applied", rc == 0);
out:
	secrets_close(p);
	secretops_stack_release(&st);
	*out = doc;
	return rc;
}
