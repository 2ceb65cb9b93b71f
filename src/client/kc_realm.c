/* kc_realm.c - realms: get, create or update selected fields, delete (see keycloak.h). */
#include <stdlib.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "kc_internal.h"

static char *realm_path(const struct kc_target *t)
{
	char *r = kc_seg(t->realm);
	char *p = xasprintf("/realms/%s", r);

	free(r);
	return p;
}

static int realm_get(struct kc *kc, cJSON **out, const struct kc_target *t)
{
	char *path = realm_path(t);
	int rc = kc_admin(kc, out, "GET", path, NULL);

	free(path);
	if (rc == 0 && !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "keycloak: realm '%s' answered with something else than an object",
				      t->realm);
	}
	return rc;
}

static char *realm_create_path(const struct kc_target *t)
{
	(void)t;
	return xstrdup("/realms");
}

static char *realm_update_path(const struct kc_target *t, const cJSON *live)
{
	(void)live;
	return realm_path(t);
}

static const struct kc_kind realm_kind = {
	.what = "realm",
	.key = "realm",
	.create_code = ERRC_REALM_CREATE,
	.update_code = ERRC_KEYCLOAK_CONFIG,
	.partial_put = 1,
	.get = realm_get,
	.create_path = realm_create_path,
	.update_path = realm_update_path,
};

int kc_realm_get(struct kc *kc, cJSON **out, const char *realm)
{
	struct kc_target t = { realm, NULL, realm };
	int rc;

	*out = NULL;
	if ((rc = kc_check_name("realm", realm)) < 0)
		return rc;
	return realm_get(kc, out, &t);
}

int kc_realm_apply(struct kc *kc, struct kc_result *res, const cJSON *desired)
{
	struct kc_target t = { NULL, NULL, NULL };
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	t.realm = t.name = kc_str(desired, "realm");
	if ((rc = kc_check_name("realm", t.realm)) < 0)
		return rc;
	return kc_apply_object(kc, res, &realm_kind, &t, desired, NULL);
}

int kc_realm_delete(struct kc *kc, struct kc_result *res, const char *realm)
{
	struct kc_target t = { realm, NULL, realm };
	char *path;
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = kc_check_name("realm", realm)) < 0)
		return rc;
	path = realm_path(&t);
	rc = kc_delete_path(kc, res, path, "realm", ERRC_KEYCLOAK_CONFIG);
	free(path);
	return rc;
}
