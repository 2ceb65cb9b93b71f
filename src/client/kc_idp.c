/* kc_idp.c - identity providers and their mappers (see keycloak.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "kc_internal.h"

static char *instances_path(const char *realm)
{
	char *r = kc_seg(realm);
	char *p = xasprintf("/realms/%s/identity-provider/instances", r);

	free(r);
	return p;
}

static char *idp_path(const char *realm, const char *alias)
{
	char *l = instances_path(realm), *a = kc_seg(alias);
	char *p = xasprintf("%s/%s", l, a);

	free(l);
	free(a);
	return p;
}

static int idp_get(struct kc *kc, cJSON **out, const struct kc_target *t)
{
	char *path = idp_path(t->realm, t->name);
	int rc = kc_admin(kc, out, "GET", path, NULL);

	free(path);
	if (rc == 0 && !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "keycloak: identity provider '%s' is not an object", t->name);
	}
	return rc;
}

static char *idp_create_path(const struct kc_target *t)
{
	return instances_path(t->realm);
}

static char *idp_update_path(const struct kc_target *t, const cJSON *live)
{
	(void)live;
	return idp_path(t->realm, t->name);
}

static void idp_put_secret(cJSON *body, const struct dive_secret *s)
{
	cJSON *config = cJSON_GetObjectItemCaseSensitive(body, "config");

	if (!cJSON_IsObject(config)) {
		cJSON_DeleteItemFromObjectCaseSensitive(body, "config");
		config = cJSON_AddObjectToObject(body, "config");
	}
	kc_json_wipe_delete(cJSON_DetachItemFromObjectCaseSensitive(config, "clientSecret"));
	cJSON_AddStringToObject(config, "clientSecret", dive_secret_reveal(s));
}

/* The secret is write-only: Keycloak shows "**********", so no secret_differs. */
static const struct kc_kind idp_kind = {
	.what = "identity provider",
	.key = "alias",
	.create_code = ERRC_IDP_CREATE,
	.update_code = ERRC_KEYCLOAK_CONFIG,
	.get = idp_get,
	.create_path = idp_create_path,
	.update_path = idp_update_path,
	.put_secret = idp_put_secret,
};

static int check(const char *realm, const char *alias)
{
	int rc = kc_check_name("realm", realm);

	return rc < 0 ? rc : kc_check_name("identity provider", alias);
}

static void result_reset(struct kc_result *res)
{
	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
}

int kc_idp_get(struct kc *kc, cJSON **out, const char *realm, const char *alias)
{
	struct kc_target t = { realm, NULL, alias };
	int rc;

	*out = NULL;
	if ((rc = check(realm, alias)) < 0)
		return rc;
	return idp_get(kc, out, &t);
}

int kc_idp_list(struct kc *kc, cJSON **out, const char *realm)
{
	char *path;
	int rc;

	*out = NULL;
	if ((rc = kc_check_name("realm", realm)) < 0)
		return rc;
	path = instances_path(realm);
	rc = kc_admin(kc, out, "GET", path, NULL);
	free(path);
	if (rc < 0)
		return rc;
	if (!*out) {
		*out = cJSON_CreateArray();
	} else if (!cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "keycloak: the identity providers of realm '%s' are not a list",
				      realm);
	}
	return 0;
}

int kc_idp_apply(struct kc *kc, struct kc_result *res, const char *realm, const cJSON *desired,
		 const struct dive_secret *secret)
{
	struct kc_target t = { realm, NULL, kc_str(desired, "alias") };
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(desired, "config");
	int rc;

	result_reset(res);
	if ((rc = check(realm, t.name)) < 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(config, "clientSecret"))
		return dive_error_set(DIVE_EUSAGE,
				      "keycloak: desired identity provider '%s' holds a secret; pass it apart", t.name);
	return kc_apply_object(kc, res, &idp_kind, &t, desired, secret);
}

/* GET, change one thing, PUT the whole representation back. */
static int idp_modify(struct kc *kc, struct kc_result *res, const char *realm, const char *alias, int enabled,
		      const struct dive_secret *secret)
{
	struct kc_target t = { realm, NULL, alias };
	cJSON *live = NULL, *e;
	char *path;
	int rc;

	result_reset(res);
	if ((rc = check(realm, alias)) < 0)
		return rc;
	rc = idp_get(kc, &live, &t);
	if (rc < 0)
		return kc_fail(rc, ERRC_KEYCLOAK_CONFIG);
	if (secret) {
		idp_put_secret(live, secret);
		snprintf(res->changed, sizeof(res->changed), "config.clientSecret");
	} else {
		e = cJSON_GetObjectItemCaseSensitive(live, "enabled");
		if (cJSON_IsBool(e) && !cJSON_IsTrue(e) == !enabled) {
			cJSON_Delete(live);
			return 0;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(live, "enabled");
		cJSON_AddBoolToObject(live, "enabled", enabled);
		snprintf(res->changed, sizeof(res->changed), "enabled");
	}
	path = idp_path(realm, alias);
	rc = kc_admin(kc, NULL, "PUT", path, live);
	free(path);
	kc_json_wipe_delete(live);
	if (rc < 0) {
		res->changed[0] = '\0';
		return kc_fail(rc, secret ? ERRC_CLIENT_SECRET : ERRC_KEYCLOAK_CONFIG);
	}
	res->outcome = KC_UPDATED;
	return 0;
}

int kc_idp_set_enabled(struct kc *kc, struct kc_result *res, const char *realm, const char *alias, int enabled)
{
	return idp_modify(kc, res, realm, alias, enabled, NULL);
}

int kc_idp_set_secret(struct kc *kc, struct kc_result *res, const char *realm, const char *alias,
		      const struct dive_secret *secret)
{
	result_reset(res);
	if (!secret || !dive_secret_is_set(secret))
		return dive_error_set(DIVE_EUSAGE, "keycloak: no secret for identity provider '%s'",
				      alias ? alias : "");
	return idp_modify(kc, res, realm, alias, 0, secret);
}

int kc_idp_delete(struct kc *kc, struct kc_result *res, const char *realm, const char *alias)
{
	char *path;
	int rc;

	result_reset(res);
	if ((rc = check(realm, alias)) < 0)
		return rc;
	path = idp_path(realm, alias);
	rc = kc_delete_path(kc, res, path, "identity provider", ERRC_KEYCLOAK_CONFIG);
	free(path);
	return rc;
}

/* Mappers: t->parent is the IdP's alias. */

static char *mappers_path(const struct kc_target *t)
{
	char *i = idp_path(t->realm, t->parent);
	char *p = xasprintf("%s/mappers", i);

	free(i);
	return p;
}

static int mapper_get(struct kc *kc, cJSON **out, const struct kc_target *t)
{
	char *path = mappers_path(t);
	int rc = kc_get_named(kc, out, path, t->name);

	free(path);
	return rc;
}

static char *mapper_update_path(const struct kc_target *t, const cJSON *live)
{
	char *l = mappers_path(t), *i = kc_seg(kc_str(live, "id") ? kc_str(live, "id") : "-");
	char *p = xasprintf("%s/%s", l, i);

	free(l);
	free(i);
	return p;
}

static const struct kc_kind mapper_kind = {
	.what = "identity provider mapper",
	.key = "name",
	.create_code = ERRC_PROTOCOL_MAPPERS,
	.update_code = ERRC_PROTOCOL_MAPPERS,
	.create_400_raced = 1,
	.get = mapper_get,
	.create_path = mappers_path,
	.update_path = mapper_update_path,
};

int kc_idp_mappers(struct kc *kc, cJSON **out, const char *realm, const char *alias)
{
	struct kc_target t = { realm, alias, NULL };
	char *path;
	int rc;

	*out = NULL;
	if ((rc = check(realm, alias)) < 0)
		return rc;
	path = mappers_path(&t);
	rc = kc_admin(kc, out, "GET", path, NULL);
	free(path);
	if (rc == 0 && !cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "keycloak: the mappers of '%s' are not a list", alias);
	}
	return rc;
}

int kc_idp_mapper_apply(struct kc *kc, struct kc_result *res, const char *realm, const char *alias,
			const cJSON *desired)
{
	struct kc_target t = { realm, alias, kc_str(desired, "name") };
	char *list;
	int rc, removed = 0;

	result_reset(res);
	if ((rc = check(realm, alias)) < 0 || (rc = kc_check_name("mapper", t.name)) < 0)
		return rc;
	list = mappers_path(&t);
	rc = kc_dedupe_named(kc, &removed, list, list, t.name, ERRC_PROTOCOL_MAPPERS);
	if (rc == 0)
		rc = kc_apply_object(kc, res, &mapper_kind, &t, desired, NULL);
	if (rc == 0 && removed && res->outcome == KC_UNCHANGED) {
		res->outcome = KC_UPDATED;
		snprintf(res->changed, sizeof(res->changed), "duplicates removed");
	}
	free(list);
	return rc;
}
