/* kc_user.c - users and the realm's user profile (see keycloak.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "kc_internal.h"

/* --- the user profile: the DIVE attributes declared, so Keycloak keeps them ------ */

static cJSON *desired_attribute(const struct kc_dive_attribute *a)
{
	cJSON *o = cJSON_CreateObject(), *perm;
	const char *view[] = { "admin", "user" }, *edit[] = { "admin" };

	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "displayName", a->name);
	perm = cJSON_AddObjectToObject(o, "permissions");
	cJSON_AddItemToObject(perm, "view", cJSON_CreateStringArray(view, 2));
	cJSON_AddItemToObject(perm, "edit", cJSON_CreateStringArray(edit, 1));
	cJSON_AddBoolToObject(o, "multivalued", a->multivalued);
	return o;
}

static cJSON *find_attribute(cJSON *attrs, const char *name)
{
	cJSON *a;

	cJSON_ArrayForEach(a, attrs) {
		const char *n = kc_str(a, "name");

		if (n && !strcmp(n, name))
			return a;
	}
	return NULL;
}

int kc_user_profile_apply(struct kc *kc, struct kc_result *res, const char *realm)
{
	char *seg, *path;
	cJSON *up = NULL, *attrs;
	size_t i, changes = 0;
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = kc_check_name("realm", realm)) < 0)
		return rc;
	seg = kc_seg(realm);
	path = xasprintf("/realms/%s/users/profile", seg);
	free(seg);
	rc = kc_admin(kc, &up, "GET", path, NULL);
	if (rc == 0 && !cJSON_IsArray(attrs = cJSON_GetObjectItemCaseSensitive(up, "attributes")))
		rc = dive_error_set(DIVE_EFAIL, "keycloak: the user profile of '%s' has no attribute list", realm);
	for (i = 0; rc == 0 && i < kc_dive_attribute_count(); i++) {
		const struct kc_dive_attribute *a = kc_dive_attribute_at(i);
		cJSON *want = desired_attribute(a), *live = find_attribute(attrs, a->name);

		if (!live) {
			cJSON_AddItemToArray(attrs, want);
			changes++;
		} else if (kc_rep_diff(live, want, NULL, 0) > 0) {
			cJSON_ReplaceItemViaPointer(attrs, live, kc_rep_merge(live, want));
			cJSON_Delete(want);
			changes++;
		} else {
			cJSON_Delete(want);
		}
	}
	if (rc == 0 && changes) {
		rc = kc_admin(kc, NULL, "PUT", path, up);
		if (rc == 0) {
			res->outcome = KC_UPDATED;
			snprintf(res->changed, sizeof(res->changed), "attributes (%zu DIVE attribute%s declared)", changes,
				 changes == 1 ? "" : "s");
		}
	}
	cJSON_Delete(up);
	free(path);
	return kc_fail(rc, ERRC_KEYCLOAK_CONFIG);
}

/* --- users, by username ------------------------------------------------------------- */

static char *users_path(const char *realm)
{
	char *seg = kc_seg(realm), *p = xasprintf("/realms/%s/users", seg);

	free(seg);
	return p;
}

/* The full representation of username in realm (0), DIVE_ENOTFOUND, or an error. */
static int user_find(struct kc *kc, cJSON **out, const char *realm, const char *username)
{
	char *base = users_path(realm), *name = kc_seg(username), *path;
	cJSON *list = NULL, *u;
	int rc;

	*out = NULL;
	path = xasprintf("%s?exact=true&briefRepresentation=false&username=%s", base, name);
	rc = kc_admin(kc, &list, "GET", path, NULL);
	free(base);
	free(name);
	free(path);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(u, list) {
		const char *n = kc_str(u, "username");

		if (n && !strcasecmp(n, username)) {
			*out = cJSON_DetachItemViaPointer(list, u);
			break;
		}
	}
	cJSON_Delete(list);
	return *out ? 0 : DIVE_ENOTFOUND;
}

static int set_password(struct kc *kc, const char *realm, const char *id, const struct dive_secret *password)
{
	char *base = users_path(realm), *seg = kc_seg(id), *path = xasprintf("%s/%s/reset-password", base, seg);
	cJSON *cred = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(cred, "type", "password");
	cJSON_AddStringToObject(cred, "value", dive_secret_reveal(password));
	cJSON_AddBoolToObject(cred, "temporary", 0);
	rc = kc_admin(kc, NULL, "PUT", path, cred);
	kc_json_wipe_delete(cred);
	free(base);
	free(seg);
	free(path);
	return rc;
}

int kc_user_apply(struct kc *kc, struct kc_result *res, const char *realm, const cJSON *desired,
		  const struct dive_secret *password)
{
	const char *username = kc_str(desired, "username");
	cJSON *live = NULL;
	char *path = NULL;
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = kc_check_name("realm", realm)) < 0 || (rc = kc_check_name("user", username)) < 0)
		return rc;
	if (!password || !dive_secret_is_set(password))
		return dive_error_set(DIVE_EUSAGE, "keycloak: user '%s' needs a password", username);
	rc = user_find(kc, &live, realm, username);
	if (rc == DIVE_ENOTFOUND) {
		path = users_path(realm);
		rc = kc_admin(kc, NULL, "POST", path, desired);
		if (rc == DIVE_ECONFLICT)
			rc = 0; /* made meanwhile: read it back below */
		if (rc == 0)
			res->outcome = KC_CREATED;
		if (rc == 0)
			rc = user_find(kc, &live, realm, username);
	} else if (rc == 0 && kc_rep_diff(live, desired, res->changed, sizeof(res->changed)) > 0) {
		cJSON *body = kc_rep_merge(live, desired);
		char *base = users_path(realm), *seg = kc_seg(kc_str(live, "id") ? kc_str(live, "id") : "-");

		path = xasprintf("%s/%s", base, seg);
		rc = kc_admin(kc, NULL, "PUT", path, body);
		if (rc == 0)
			res->outcome = KC_UPDATED;
		cJSON_Delete(body);
		free(base);
		free(seg);
	}
	/* the password is write-only: set it every time, so the provider's value is the one in force */
	if (rc == 0 && kc_str(live, "id"))
		rc = set_password(kc, realm, kc_str(live, "id"), password);
	cJSON_Delete(live);
	free(path);
	return kc_fail(rc, ERRC_KEYCLOAK_CONFIG);
}

int kc_user_delete(struct kc *kc, struct kc_result *res, const char *realm, const char *username)
{
	cJSON *live = NULL;
	char *base, *seg, *path;
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	if ((rc = kc_check_name("realm", realm)) < 0 || (rc = kc_check_name("user", username)) < 0)
		return rc;
	rc = user_find(kc, &live, realm, username);
	if (rc == DIVE_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	base = users_path(realm);
	seg = kc_seg(kc_str(live, "id") ? kc_str(live, "id") : "-");
	path = xasprintf("%s/%s", base, seg);
	rc = kc_delete_path(kc, res, path, "user", ERRC_KEYCLOAK_CONFIG);
	free(base);
	free(seg);
	free(path);
	cJSON_Delete(live);
	return rc;
}
