/* keycloak.c - Keycloak admin session: tokens and one admin call (see keycloak.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/keycloak.h"
#include "dive/log.h"
#include "dive/xalloc.h"
#include "kc_internal.h"

#define KC_TIMEOUT_MS 30000
#define KC_MAX_BODY (8u << 20)
#define KC_TOKEN_MAX_BODY (1u << 20)
#define KC_REFRESH_MARGIN 15   /* at most this many seconds before expiry */
#define KC_DETAIL_MAX 200      /* bytes of Keycloak's own error message kept */

/* The names dive puts in URLs (kc_internal.h); here because every admin call starts with one. */
int kc_check_name(const char *what, const char *name)
{
	size_t i, n;

	if (!name || !name[0])
		return dive_error_set(DIVE_EUSAGE, "keycloak: no %s name", what);
	n = strlen(name);
	if (n > KC_NAME_MAX)
		return dive_error_set(DIVE_EUSAGE, "keycloak: %s name is longer than %d bytes", what, KC_NAME_MAX);
	for (i = 0; i < n; i++) {
		if (!isprint((unsigned char)name[i]) || (unsigned char)name[i] > 126)
			return dive_error_set(DIVE_EUSAGE, "keycloak: %s name has a non-printable byte", what);
	}
	return 0;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

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
	kc->client_id = xstrdup("admin-cli");
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
	free(kc->client_id);
	free(kc->base);
	free(kc);
}

/*
 * Keycloak's own reason, from {"errorMessage": ...}, {"error_description": ...}
 * or {"error": ...}: bounded and reduced to printable ASCII.
 */
static void body_detail(char *out, size_t n, const struct dive_buf *body)
{
	static const char *const keys[] = { "errorMessage", "error_description", "error" };
	cJSON *doc = body->len ? cJSON_Parse(dive_buf_str(body)) : NULL;
	const char *msg = NULL;
	size_t i, j = 0;

	out[0] = '\0';
	for (i = 0; doc && !msg && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, keys[i]);

		if (cJSON_IsString(e) && e->valuestring[0])
			msg = e->valuestring;
	}
	for (i = 0; msg && msg[i] && j + 1 < n && j < KC_DETAIL_MAX; i++)
		out[j++] = isprint((unsigned char)msg[i]) ? msg[i] : '?';
	out[j] = '\0';
	cJSON_Delete(doc);
}

static int status_error(long status, const char *method, const char *what, const struct dive_buf *body)
{
	char detail[KC_DETAIL_MAX + 1];
	int rc;

	body_detail(detail, sizeof(detail), body);
	if (status == 401 || status == 403) {
		rc = dive_error_set(DIVE_EUSAGE, "keycloak refused %s %s (%ld): check the admin credentials",
				    method, what, status);
		dive_error_set_code(ERRC_KEYCLOAK_AUTH_FAILED);
		return rc;
	}
	if (status == 404)
		return dive_error_set(DIVE_ENOTFOUND, "keycloak: %s not found", what);
	if (status == 409) {
		rc = dive_error_set(DIVE_ECONFLICT, "keycloak: %s already exists%s%s", what, detail[0] ? ": " : "",
				    detail);
		dive_error_set_code(ERRC_KEYCLOAK_CONFIG); /* an answer about the object: not retried */
		return rc;
	}
	return dive_error_set(DIVE_EFAIL, "keycloak %s %s failed (%ld)%s%s", method, what, status,
			      detail[0] ? ": " : "", detail);
}

static void transport_code(int rc)
{
	if (rc == DIVE_EUNAVAIL || rc == DIVE_ETIMEOUT)
		dive_error_set_code(ERRC_KEYCLOAK_UNREACHABLE);
}

static void wipe_buf(struct dive_buf *b)
{
	if (b->ptr)
		explicit_bzero(b->ptr, b->len);
}

static int token_request(struct kc *kc)
{
	static const char *const form_hdr[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	struct dive_buf form;
	cJSON *doc = NULL, *tok, *exp;
	char *url = xasprintf("%s/realms/master/protocol/openid-connect/token", kc->base);
	long life;
	int rc;

	dive_buf_init(&form, 8192);
	if (kc->grant == KC_GRANT_CLIENT) {
		rc = dive_buf_adds(&form, "grant_type=client_credentials&client_id=");
		if (!rc)
			rc = http_urlencode(&form, kc->client_id);
		if (!rc)
			rc = dive_buf_adds(&form, "&client_secret=");
	} else {
		rc = dive_buf_adds(&form, "grant_type=password&client_id=admin-cli&username=");
		if (!rc)
			rc = http_urlencode(&form, dive_secret_reveal(&kc->user));
		if (!rc)
			rc = dive_buf_adds(&form, "&password=");
	}
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
	req.max_body = KC_TOKEN_MAX_BODY;
	kc->last_status = 0;
	rc = http_perform(kc->transport, &req, &resp);
	if (rc < 0) {
		transport_code(rc);
		goto out;
	}
	kc->last_status = resp.status;
	doc = cJSON_Parse(dive_buf_str(&resp.body));
	if (resp.status == 400 || resp.status == 401) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");

		/* OAuth says 400 invalid_grant (password) or 401 invalid_client
		 * (client secret) for wrong credentials */
		rc = dive_error_set(DIVE_EUSAGE, "keycloak refused the admin credentials (%s)",
				    cJSON_IsString(e) && strlen(e->valuestring) < 64 ? e->valuestring : "unauthorized");
		dive_error_set_code(ERRC_KEYCLOAK_AUTH_FAILED);
		goto out;
	}
	if (resp.status != 200) {
		rc = status_error(resp.status, "POST", "admin token", &resp.body);
		if (resp.status >= 500)
			dive_error_set_code(ERRC_KEYCLOAK_UNREACHABLE);
		goto out;
	}
	tok = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
	exp = cJSON_GetObjectItemCaseSensitive(doc, "expires_in");
	if (!cJSON_IsString(tok) || !tok->valuestring[0]) {
		rc = dive_error_set(DIVE_EFAIL, "keycloak token answer has no access_token");
		goto out;
	}
	life = cJSON_IsNumber(exp) && exp->valuedouble >= 1 && exp->valuedouble < 86400 * 365
		? (long)exp->valuedouble : 60;
	dive_secret_set(&kc->token, tok->valuestring);
	kc->token_life = life;
	kc->token_expires = mono_now() + life;
out:
	wipe_buf(&form);
	dive_buf_release(&form);
	wipe_buf(&resp.body);
	kc_json_wipe_delete(doc);
	http_resp_release(&resp);
	free(url);
	return rc;
}

int kc_login(struct kc *kc, const char *user, const char *password)
{
	kc->grant = KC_GRANT_PASSWORD;
	free(kc->client_id);
	kc->client_id = xstrdup("admin-cli");
	dive_secret_set(&kc->user, user ? user : "");
	dive_secret_set(&kc->password, password ? password : "");
	return token_request(kc);
}

int kc_login_client(struct kc *kc, const char *client_id, const struct dive_secret *secret)
{
	int rc;

	if ((rc = kc_check_name("admin client", client_id)) < 0)
		return rc;
	if (!secret || !dive_secret_is_set(secret))
		return dive_error_set(DIVE_EUSAGE, "no secret for keycloak admin client '%s'", client_id);
	kc->grant = KC_GRANT_CLIENT;
	free(kc->client_id);
	kc->client_id = xstrdup(client_id);
	dive_secret_release(&kc->user);
	dive_secret_set(&kc->password, dive_secret_reveal(secret));
	return token_request(kc);
}

/* A new token when the current one is within a quarter of its life (at most
 * KC_REFRESH_MARGIN seconds) of expiring. */
static int token_fresh(struct kc *kc)
{
	long margin = kc->token_life / 4;

	if (margin > KC_REFRESH_MARGIN)
		margin = KC_REFRESH_MARGIN;
	if (mono_now() + margin >= kc->token_expires)
		return token_request(kc);
	return 0;
}

/* One exchange with the current token: 0 with *status set, or a transport error. */
static int admin_once(struct kc *kc, struct http_resp *resp, const char *method, const char *url,
		      const char *text)
{
	static const char *const ct = "Content-Type: application/json";
	struct http_req req = { 0 };
	const char *hdrs[3];
	char *auth = xasprintf("Authorization: Bearer %s", dive_secret_reveal(&kc->token));
	int rc;

	hdrs[0] = auth;
	hdrs[1] = text ? ct : NULL;
	hdrs[2] = NULL;
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.timeout_ms = kc->timeout_ms;
	req.max_body = KC_MAX_BODY;
	kc->last_status = 0;
	rc = http_perform(kc->transport, &req, resp);
	if (rc == 0)
		kc->last_status = resp->status;
	else
		transport_code(rc);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	return rc;
}

struct admin_call {
	struct kc *kc;
	cJSON **out;
	const char *method, *path, *url, *text;
};

/* One attempt: the exchange, a new token and one repeat on an early 401, the answer mapped. */
static int admin_attempt(void *arg, long *http_status, int *code)
{
	struct admin_call *a = arg;
	struct kc *kc = a->kc;
	struct http_resp resp = { 0 };
	int rc;

	if ((rc = token_fresh(kc)) < 0)
		goto out;
	rc = admin_once(kc, &resp, a->method, a->url, a->text);
	if (rc == 0 && resp.status == 401) {
		/* the token was refused before its time: get another, repeat once */
		dive_debug("keycloak %s %s: 401, getting a new token", a->method, a->path);
		wipe_buf(&resp.body);
		http_resp_release(&resp);
		if ((rc = token_request(kc)) < 0)
			goto out;
		rc = admin_once(kc, &resp, a->method, a->url, a->text);
	}
	if (rc < 0)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		rc = status_error(resp.status, a->method, a->path, &resp.body);
		if (resp.status >= 500 || resp.status == 429)
			dive_error_set_code(ERRC_KEYCLOAK_UNREACHABLE);
		goto out;
	}
	if (a->out && resp.body.len) {
		*a->out = cJSON_Parse(dive_buf_str(&resp.body));
		if (!*a->out)
			rc = dive_error_set(DIVE_EFAIL, "keycloak %s %s answered with invalid JSON", a->method, a->path);
	}
out:
	*http_status = kc->last_status;
	if (rc < 0)
		*code = dive_error_last_code();
	/* the answer may hold a secret (client secrets, IdP config) */
	wipe_buf(&resp.body);
	http_resp_release(&resp);
	return rc;
}

int kc_admin(struct kc *kc, cJSON **out, const char *method, const char *path, const cJSON *body)
{
	struct admin_call a;
	char *url = NULL, *text = NULL;
	long status = 0;
	int rc, code = 0;

	if (out)
		*out = NULL;
	if (!dive_secret_is_set(&kc->token))
		return dive_error_set(DIVE_EUSAGE, "keycloak: not logged in");
	url = xasprintf("%s/admin%s", kc->base, path);
	text = body ? cJSON_PrintUnformatted(body) : NULL;
	a.kc = kc;
	a.out = out;
	a.method = method;
	a.path = path;
	a.url = url;
	a.text = text;
	rc = kc->guard.run ? kc->guard.run(kc->guard.data, admin_attempt, &a) : admin_attempt(&a, &status, &code);
	/* the request may hold a secret too */
	if (text) {
		explicit_bzero(text, strlen(text));
		cJSON_free(text);
	}
	free(url);
	return rc;
}

void kc_set_guard(struct kc *kc, const struct kc_guard *g)
{
	if (g)
		kc->guard = *g;
	else
		memset(&kc->guard, 0, sizeof(kc->guard));
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
