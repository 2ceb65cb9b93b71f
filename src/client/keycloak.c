/* keycloak.c - Keycloak admin REST client (see keycloak.h). */
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/keycloak.h"
#include "dive/xalloc.h"

#define KC_TIMEOUT_MS 30000
#define KC_MAX_BODY (8u << 20)
#define KC_REFRESH_MARGIN 15 /* seconds before expiry */

int kc_open(struct kc **out, const char *base_url, struct http_transport *t)
{
	struct kc *kc;
	size_t n;

	*out = NULL;
	if (!base_url || (strncmp(base_url, "http://", 7) && strncmp(base_url, "https://", 8)))
		return dive_error_set(DIVE_EUSAGE, "keycloak URL must start with http:// or https://");
	n = strlen(base_url);
	if (n > 1024)
		return dive_error_set(DIVE_EUSAGE, "keycloak URL is too long");
	kc = xcalloc(1, sizeof(*kc));
	kc->transport = t ? t : &http_curl;
	kc->base = xstrndup(base_url, base_url[n - 1] == '/' ? n - 1 : n);
	kc->timeout_ms = KC_TIMEOUT_MS;
	*out = kc;
	return 0;
}

void kc_close(struct kc *kc)
{
	if (!kc)
		return;
	dive_secret_release(&kc->user);
	dive_secret_release(&kc->password);
	dive_secret_release(&kc->token);
	free(kc->base);
	free(kc);
}

static int status_error(long status, const char *method, const char *what)
{
	if (status == 401 || status == 403)
		return dive_error_set(DIVE_EUSAGE, "keycloak refused %s %s (%ld): check the admin credentials",
				      method, what, status);
	if (status == 404)
		return dive_error_set(DIVE_ENOTFOUND, "keycloak: %s not found", what);
	if (status == 409)
		return dive_error_set(DIVE_ECONFLICT, "keycloak: %s already exists", what);
	return dive_error_set(DIVE_EFAIL, "keycloak %s %s failed (%ld)", method, what, status);
}

static int token_request(struct kc *kc)
{
	static const char *const form_hdr[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	struct dive_buf form;
	cJSON *doc = NULL, *tok, *exp;
	char *url = xasprintf("%s/realms/master/protocol/openid-connect/token", kc->base);
	int rc;

	dive_buf_init(&form, 8192);
	rc = dive_buf_adds(&form, "grant_type=password&client_id=admin-cli&username=");
	if (!rc)
		rc = http_urlencode(&form, dive_secret_reveal(&kc->user));
	if (!rc)
		rc = dive_buf_adds(&form, "&password=");
	if (!rc)
		rc = http_urlencode(&form, dive_secret_reveal(&kc->password));
	if (rc < 0) {
		rc = dive_error_set(DIVE_EUSAGE, "keycloak admin credentials are too long");
		goto out;
	}
	req.method = "POST";
	req.url = url;
	req.headers = form_hdr;
	req.body = form.ptr;
	req.body_len = form.len;
	req.timeout_ms = kc->timeout_ms;
	req.max_body = 1 << 20;
	rc = http_perform(kc->transport, &req, &resp);
	if (rc < 0)
		goto out;
	doc = cJSON_Parse(dive_buf_str(&resp.body));
	if (resp.status == 400 || resp.status == 401) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");

		/* OAuth says 400 invalid_grant for wrong credentials (Keycloak 26) */
		rc = dive_error_set(DIVE_EUSAGE, "keycloak refused the admin credentials (%s)",
				    cJSON_IsString(e) ? e->valuestring : "unauthorized");
		goto out;
	}
	if (resp.status != 200) {
		rc = status_error(resp.status, "POST", "admin token");
		goto out;
	}
	tok = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
	exp = cJSON_GetObjectItemCaseSensitive(doc, "expires_in");
	if (!cJSON_IsString(tok)) {
		rc = dive_error_set(DIVE_EFAIL, "keycloak token answer has no access_token");
		goto out;
	}
	dive_secret_set(&kc->token, tok->valuestring);
	kc->token_expires = time(NULL) + (cJSON_IsNumber(exp) ? (time_t)exp->valuedouble : 60);
out:
	if (form.ptr)
		explicit_bzero(form.ptr, form.len);
	dive_buf_release(&form);
	if (resp.body.ptr)
		explicit_bzero(resp.body.ptr, resp.body.len);
	cJSON_Delete(doc);
	http_resp_release(&resp);
	free(url);
	return rc;
}

int kc_login(struct kc *kc, const char *user, const char *password)
{
	dive_secret_set(&kc->user, user);
	dive_secret_set(&kc->password, password);
	return token_request(kc);
}

int kc_admin(struct kc *kc, cJSON **out, const char *method, const char *path, const cJSON *body)
{
	static const char *const ct = "Content-Type: application/json";
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	const char *hdrs[3];
	char *auth = NULL, *url = NULL, *text = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!dive_secret_is_set(&kc->token))
		return dive_error_set(DIVE_EUSAGE, "keycloak: not logged in");
	if (time(NULL) + KC_REFRESH_MARGIN >= kc->token_expires && (rc = token_request(kc)) < 0)
		return rc;
	auth = xasprintf("Authorization: Bearer %s", dive_secret_reveal(&kc->token));
	hdrs[0] = auth;
	hdrs[1] = body ? ct : NULL;
	hdrs[2] = NULL;
	url = xasprintf("%s/admin%s", kc->base, path);
	text = body ? cJSON_PrintUnformatted(body) : NULL;
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.timeout_ms = kc->timeout_ms;
	req.max_body = KC_MAX_BODY;
	rc = http_perform(kc->transport, &req, &resp);
	if (rc < 0)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		rc = status_error(resp.status, method, path);
		goto out;
	}
	if (out && resp.body.len) {
		*out = cJSON_Parse(dive_buf_str(&resp.body));
		if (!*out)
			rc = dive_error_set(DIVE_EFAIL, "keycloak %s %s answered with invalid JSON", method, path);
	}
out:
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
	cJSON_free(text);
	http_resp_release(&resp);
	return rc;
}

int kc_realm_names(struct kc *kc, cJSON **out)
{
	cJSON *doc = NULL, *r, *names;
	int rc;

	*out = NULL;
	rc = kc_admin(kc, &doc, "GET", "/realms", NULL);
	if (rc < 0)
		return rc;
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return dive_error_set(DIVE_EFAIL, "keycloak /admin/realms did not answer with a list");
	}
	names = cJSON_CreateArray();
	cJSON_ArrayForEach(r, doc) {
		cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "realm");

		if (cJSON_IsString(n))
			cJSON_AddItemToArray(names, cJSON_CreateString(n->valuestring));
	}
	cJSON_Delete(doc);
	*out = names;
	return 0;
}
