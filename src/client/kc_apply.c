/* kc_apply.c - the create-or-update loop every managed kind shares (see kc_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "dive/buf.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/log.h"
#include "dive/xalloc.h"
#include "kc_internal.h"

char *kc_seg(const char *s)
{
	struct dive_buf b;

	dive_buf_init(&b, 3 * KC_NAME_MAX + 1);
	if (http_urlencode(&b, s) < 0) {
		/* names are checked first, so this cannot happen */
		dive_buf_release(&b);
		return xstrdup("-");
	}
	return dive_buf_detach(&b);
}

const char *kc_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int kc_fail(int rc, int code)
{
	if (rc < 0 && !dive_error_last_code())
		dive_error_set_code(code);
	return rc;
}

int kc_delete_path(struct kc *kc, struct kc_result *res, const char *path, const char *what, int code)
{
	int rc;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	rc = kc_admin(kc, NULL, "DELETE", path, NULL);
	if (rc == DIVE_ENOTFOUND) {
		dive_debug("keycloak: %s already absent", what);
		return 0;
	}
	if (rc < 0)
		return kc_fail(rc, code);
	res->outcome = KC_DELETED;
	return 0;
}

static int create(struct kc *kc, const struct kc_kind *k, const struct kc_target *t, const cJSON *desired,
		  const struct dive_secret *secret)
{
	cJSON *body = cJSON_Duplicate(desired, 1);
	char *path = k->create_path(t);
	int rc;

	if (secret && dive_secret_is_set(secret) && k->put_secret)
		k->put_secret(body, secret);
	rc = kc_admin(kc, NULL, "POST", path, body);
	kc_json_wipe_delete(body);
	free(path);
	return rc;
}

static int update(struct kc *kc, const struct kc_kind *k, const struct kc_target *t, const cJSON *live,
		  const cJSON *desired, const struct dive_secret *secret)
{
	cJSON *body = k->partial_put ? cJSON_Duplicate(desired, 1) : kc_rep_merge(live, desired);
	char *path = k->update_path(t, live);
	int rc;

	if (secret && dive_secret_is_set(secret) && k->put_secret)
		k->put_secret(body, secret);
	rc = kc_admin(kc, NULL, "PUT", path, body);
	kc_json_wipe_delete(body);
	free(path);
	return rc;
}

int kc_apply_object(struct kc *kc, struct kc_result *res, const struct kc_kind *k, const struct kc_target *t,
		    const cJSON *desired, const struct dive_secret *secret)
{
	struct dive_error_saved saved; /* a failed create, reported after a second GET */
	cJSON *live = NULL;
	const char *name;
	int rc, differs, raced = 0, secret_differs = 0, create_rc = 0;

	res->outcome = KC_UNCHANGED;
	res->changed[0] = '\0';
	name = kc_str(desired, k->key);
	if (!cJSON_IsObject(desired) || !name)
		return dive_error_set(DIVE_EUSAGE, "keycloak: desired %s has no \"%s\"", k->what, k->key);
	if (strcmp(name, t->name))
		return dive_error_set(DIVE_EUSAGE, "keycloak: desired %s is '%s', not '%s'", k->what, name, t->name);
again:
	rc = k->get(kc, &live, t);
	if (rc == DIVE_ENOTFOUND) {
		if (raced) {
			/* the create's own 409, named for what was created (not the generic conflict code) */
			dive_error_restore(&saved);
			dive_error_set_code(k->create_code);
			return create_rc;
		}
		rc = create(kc, k, t, desired, secret);
		if (rc == 0) {
			res->outcome = KC_CREATED;
			dive_debug("keycloak: created %s '%s' in '%s'", k->what, t->name, t->realm);
			return 0;
		}
		if (rc == DIVE_ECONFLICT || (k->create_400_raced && kc->last_status == 400)) {
			/* someone else created it between our GET and POST: read it, diff */
			dive_error_save(&saved);
			create_rc = rc;
			raced = 1;
			goto again;
		}
		return kc_fail(rc, k->create_code);
	}
	if (rc < 0)
		return kc_fail(rc, k->update_code);

	differs = kc_rep_diff(live, desired, res->changed, sizeof(res->changed));
	if (secret && dive_secret_is_set(secret) && k->secret_differs && k->secret_differs(live, secret)) {
		secret_differs = 1;
		if (!differs)
			snprintf(res->changed, sizeof(res->changed), "secret");
		else if (strlen(res->changed) + 9 < sizeof(res->changed))
			strcat(res->changed, ", secret");
	}
	if (!differs && !secret_differs) {
		kc_json_wipe_delete(live);
		return 0;
	}
	rc = update(kc, k, t, live, desired, secret_differs ? secret : NULL);
	kc_json_wipe_delete(live);
	if (rc < 0)
		return kc_fail(rc, k->update_code);
	res->outcome = KC_UPDATED;
	dive_debug("keycloak: updated %s '%s' in '%s' (%s)", k->what, t->name, t->realm, res->changed);
	return 0;
}

int kc_get_named(struct kc *kc, cJSON **out, const char *list_path, const char *name)
{
	cJSON *list = NULL, *e;
	int rc;

	*out = NULL;
	rc = kc_admin(kc, &list, "GET", list_path, NULL);
	if (rc < 0)
		return rc;
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(list);
		return dive_error_set(DIVE_EFAIL, "keycloak GET %s did not answer with a list", list_path);
	}
	cJSON_ArrayForEach(e, list) {
		const char *n = kc_str(e, "name");

		if (n && !strcmp(n, name)) {
			*out = cJSON_DetachItemViaPointer(list, e);
			break;
		}
	}
	cJSON_Delete(list);
	if (!*out)
		return dive_error_set(DIVE_ENOTFOUND, "keycloak: '%s' not found in %s", name, list_path);
	return 0;
}

int kc_dedupe_named(struct kc *kc, int *removed, const char *list_path, const char *item_prefix,
		    const char *name, int code)
{
	cJSON *list = NULL, *e;
	int rc, seen = 0;

	*removed = 0;
	rc = kc_admin(kc, &list, "GET", list_path, NULL);
	if (rc == DIVE_ENOTFOUND)
		return 0; /* no parent yet: the create that follows says so */
	if (rc < 0)
		return kc_fail(rc, code);
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(list);
		return kc_fail(dive_error_set(DIVE_EFAIL, "keycloak GET %s did not answer with a list", list_path),
			       code);
	}
	cJSON_ArrayForEach(e, list) {
		const char *n = kc_str(e, "name"), *id = kc_str(e, "id");
		char *seg, *path;

		if (!n || strcmp(n, name) || !seen++)
			continue;
		if (!id || kc_check_name("mapper id", id) < 0)
			continue;
		seg = kc_seg(id);
		path = xasprintf("%s/%s", item_prefix, seg);
		rc = kc_admin(kc, NULL, "DELETE", path, NULL);
		free(seg);
		free(path);
		if (rc == DIVE_ENOTFOUND) {
			rc = 0; /* someone else removed it */
			continue;
		}
		if (rc < 0)
			break;
		(*removed)++;
	}
	cJSON_Delete(list);
	if (rc < 0)
		return kc_fail(rc, code);
	if (*removed)
		dive_debug("keycloak: removed %d duplicate(s) of '%s' in %s", *removed, name, list_path);
	return 0;
}
