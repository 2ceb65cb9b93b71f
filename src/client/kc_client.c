/* kc_client.c - clients, their secrets and protocol mappers (see keycloak.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "kc_internal.h"

static char *clients_path(const char *realm)
{
	char *r = kc_seg(realm);
	char *p = xasprintf("/realms/%s/clients", r);

	free(r);
	return p;
}

static char *client_path(const char *realm, const char *id)
{
	char *r = kc_seg(realm), *i = kc_seg(id);
	char *p = xasprintf("/realms/%s/clients/%s", r, i);

	free(r);
	free(i);
	return p;
}

/* The client with exactly this clientId, secret included (internal use only). */
static int client_get(struct kc *kc, cJSON **out, const struct kc_target *t)
{
	cJSON *list = NULL, *e;
	char *base = clients_path(t->realm), *q = kc_seg(t->name);
	char *path = xasprintf("%s?clientId=%s&first=0&max=20", base, q);
	int rc;

	*out = NULL;
	rc = kc_admin(kc, &list, "GET", path, NULL);
	free(base);
	free(q);
	free(path);
	if (rc < 0)
		return rc;
	if (!cJSON_IsArray(list)) {
		kc_json_wipe_delete(list);
		return dive_error_set(DIVE_EFAIL, "keycloak: the clients of realm '%s' are not a list", t->realm);
	}
	cJSON_ArrayForEach(e, list) {
		const char *cid = kc_str(e, "clientId");

		if (cid && !strcmp(cid, t->name) && kc_str(e, "id")) {
			*out = cJSON_DetachItemViaPointer(list, e);
			break;
		}
	}
	kc_json_wipe_delete(list);
	if (!*out)
		return dive_error_set(DIVE_ENOTFOUND, "keycloak: client '%s' not found in realm '%s'", t->name,
				      t->realm);
	return 0;
}

static void strip_secret(cJSON *rep)
{
	kc_json_wipe_delete(cJSON_DetachItemFromObjectCaseSensitive(rep, "secret"));
}

static char *client_create_path(const struct kc_target *t)
{
	return clients_path(t->realm);
}

static char *client_update_path(const struct kc_target *t, const cJSON *live)
{
	return client_path(t->realm, kc_str(live, "id"));
}

static void client_put_secret(cJSON *body, const struct dive_secret *s)
{
	kc_json_wipe_delete(cJSON_DetachItemFromObjectCaseSensitive(body, "secret"));
	cJSON_AddStringToObject(body, "secret", dive_secret_reveal(s));
}

static int client_secret_differs(const cJSON *live, const struct dive_secret *s)
{
	const char *v = kc_str(live, "secret");

	return !v || strcmp(v, dive_secret_reveal(s)) != 0;
}

static const struct kc_kind client_kind = {
	.what = "client",
	.key = "clientId",
	.create_code = ERRC_CLIENT_CREATE,
	.update_code = ERRC_KEYCLOAK_CONFIG,
	.get = client_get,
	.create_path = client_create_path,
	.update_path = client_update_path,
	.put_secret = client_put_secret,
	.secret_differs = client_secret_differs,
};

static int check(const char *realm, const char *client_id)
{
	int rc = kc_check_name("realm", realm);

	return rc < 0 ? rc : kc_check_name("client", client_id);
}

int kc_client_find(struct kc *kc, cJSON **out, const char *realm, const char *client_id)
{
	struct kc_target t = { realm, NULL, client_id };
	int rc;

	*out = NULL;
	if ((rc = check(realm, client_id)) < 0)
		return rc;
	if ((rc = client_get(kc, out, &t)) < 0)
		return rc;
	strip_secret(*out);
	return 0;
}

int kc_client_apply(struct kc *kc, struct kc_result *res, const char *realm, const cJSON *desired,
		    const struct dive_secret *secret)
{
	struct kc_target t = { realm, NULL, kc_str(desired, "clientId") };
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = check(realm, t.name)) < 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(desired, "secret"))
		return dive_error_set(DIVE_EUSAGE, "keycloak: desired client '%s' holds a secret; pass it apart",
				      t.name);
	return kc_apply_object(kc, res, &client_kind, &t, desired, secret);
}

int kc_client_delete(struct kc *kc, struct kc_result *res, const char *realm, const char *client_id)
{
	struct kc_target t = { realm, NULL, client_id };
	cJSON *live = NULL;
	char *path;
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = check(realm, client_id)) < 0)
		return rc;
	rc = client_get(kc, &live, &t);
	if (rc == DIVE_ENOTFOUND)
		return 0;
	if (rc < 0)
		return kc_fail(rc, ERRC_KEYCLOAK_CONFIG);
	path = client_path(realm, kc_str(live, "id"));
	kc_json_wipe_delete(live);
	rc = kc_delete_path(kc, res, path, "client", ERRC_KEYCLOAK_CONFIG);
	free(path);
	return rc;
}

static int secret_call(struct kc *kc, struct dive_secret *out, const char *realm, const char *client_id,
		       const char *method)
{
	struct kc_target t = { realm, NULL, client_id };
	cJSON *live = NULL, *doc = NULL;
	const char *v;
	char *base = NULL, *path = NULL;
	int rc;

	if ((rc = check(realm, client_id)) < 0)
		return rc;
	rc = client_get(kc, &live, &t);
	if (rc < 0)
		return kc_fail(rc, ERRC_CLIENT_SECRET);
	base = client_path(realm, kc_str(live, "id"));
	path = xasprintf("%s/client-secret", base);
	rc = kc_admin(kc, &doc, method, path, NULL);
	if (rc < 0) {
		kc_fail(rc, ERRC_CLIENT_SECRET);
		goto out;
	}
	v = kc_str(doc, "value");
	if (!v || !v[0]) {
		rc = dive_error_set(DIVE_EFAIL, "keycloak: client '%s' in realm '%s' has no secret (is it public?)",
				    client_id, realm);
		dive_error_set_code(ERRC_CLIENT_SECRET);
		goto out;
	}
	dive_secret_set(out, v);
out:
	kc_json_wipe_delete(doc);
	kc_json_wipe_delete(live);
	free(base);
	free(path);
	return rc;
}

int kc_client_secret_get(struct kc *kc, struct dive_secret *out, const char *realm, const char *client_id)
{
	return secret_call(kc, out, realm, client_id, "GET");
}

int kc_client_secret_regenerate(struct kc *kc, struct dive_secret *out, const char *realm,
				const char *client_id)
{
	return secret_call(kc, out, realm, client_id, "POST");
}

/* Protocol mappers: t->parent is the client's id. */

static char *cmapper_list_path(const struct kc_target *t)
{
	char *c = client_path(t->realm, t->parent);
	char *p = xasprintf("%s/protocol-mappers/models", c);

	free(c);
	return p;
}

static int cmapper_get(struct kc *kc, cJSON **out, const struct kc_target *t)
{
	char *path = cmapper_list_path(t);
	int rc = kc_get_named(kc, out, path, t->name);

	free(path);
	return rc;
}

static char *cmapper_update_path(const struct kc_target *t, const cJSON *live)
{
	char *l = cmapper_list_path(t), *i = kc_seg(kc_str(live, "id") ? kc_str(live, "id") : "-");
	char *p = xasprintf("%s/%s", l, i);

	free(l);
	free(i);
	return p;
}

static const struct kc_kind cmapper_kind = {
	.what = "client protocol mapper",
	.key = "name",
	.create_code = ERRC_PROTOCOL_MAPPERS,
	.update_code = ERRC_PROTOCOL_MAPPERS,
	.create_400_raced = 1,
	.get = cmapper_get,
	.create_path = cmapper_list_path,
	.update_path = cmapper_update_path,
};

int kc_client_mapper_apply(struct kc *kc, struct kc_result *res, const char *realm, const char *client_id,
			   const cJSON *desired)
{
	struct kc_target t = { realm, NULL, kc_str(desired, "name") };
	cJSON *client = NULL;
	char *list = NULL;
	int rc, removed = 0;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = check(realm, client_id)) < 0 || (rc = kc_check_name("mapper", t.name)) < 0)
		return rc;
	rc = kc_client_find(kc, &client, realm, client_id);
	if (rc < 0)
		return kc_fail(rc, ERRC_PROTOCOL_MAPPERS);
	t.parent = kc_str(client, "id");
	list = cmapper_list_path(&t);
	rc = kc_dedupe_named(kc, &removed, list, list, t.name, ERRC_PROTOCOL_MAPPERS);
	if (rc == 0)
		rc = kc_apply_object(kc, res, &cmapper_kind, &t, desired, NULL);
	if (rc == 0 && removed && res->outcome == KC_UNCHANGED) {
		res->outcome = KC_UPDATED;
		snprintf(res->changed, sizeof(res->changed), "duplicates removed");
	}
	free(list);
	cJSON_Delete(client);
	return rc;
}
