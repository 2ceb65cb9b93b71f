/*
 * secrets_vault.c - the vault: secrets provider: HashiCorp Vault's KV v2 API
 * over libcurl (http.h), token or AppRole login (see secrets.h for the spec).
 *
 * Each request is one attempt run through p->guard (the engine's retry policy
 * "vault" and breaker "vault:<host>:<port>").  A value or a token lives only
 * in struct dive_secret, in the request or response buffers (wiped after
 * use) and in the X-Vault-Token header (wiped after the request); messages
 * name the server and the path, never either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/http.h"
#include "dive/keycloak.h"
#include "dive/secrets.h"
#include "dive/settings.h"
#include "dive/xalloc.h"
#include "secrets_priv.h"

#define VAULT_OPT_MAX 1024
#define VAULT_URL_MAX 512
#define VAULT_BODY_MAX (64u << 10)
#define VAULT_TIMEOUT_DEFAULT_S 10
#define VAULT_CONNECT_MAX_MS 5000
#define VAULT_LIST_MAX 1024
#define VAULT_DEFAULT_PATH "dive/<code>/<KEY>"

struct vault {
	char *url;              /* scheme://host[:port], no trailing slash */
	char *mount;
	char *tmpl;
	int approle;
	char *token_file;       /* auth=token: NULL means $VAULT_TOKEN */
	char *role_id;
	char *secret_id_file;
	char *approle_mount;
	char *ca;
	long timeout_ms;
	char breaker[72];
	struct dive_secret token;
	struct http_transport *http;
};

/* --- the spec ----------------------------------------------------------------- */

static int path_chars_ok(const char *s, int allow_placeholders)
{
	const char *c;

	if (!*s || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//") || strstr(s, ".."))
		return 0;
	for (c = s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		    *c == '.' || *c == '-' || *c == '/')
			continue;
		if (allow_placeholders && *c == '<') {
			if (!strncmp(c, "<code>", 6) || !strncmp(c, "<CODE>", 6)) {
				c += 5;
				continue;
			}
			if (!strncmp(c, "<KEY>", 5)) {
				c += 4;
				continue;
			}
		}
		return 0;
	}
	return 1;
}

static int loopback_host(const char *h, size_t n)
{
	return (n == 9 && !strncmp(h, "localhost", 9)) || (n == 5 && !strncmp(h, "[::1]", 5)) ||
	       (n >= 9 && !strncmp(h, "127.", 4));
}

/* scheme://host[:port][/]: no user, no path, no query; http only on loopback. */
static int parse_url(struct vault *v, const char *url)
{
	const char *host, *end, *port;
	size_t n = strlen(url), hn, i, k = 0;
	int tls;

	if (n > VAULT_URL_MAX)
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: the Vault URL is longer than %d bytes", VAULT_URL_MAX);
	tls = !strncmp(url, "https://", 8);
	if (!tls && strncmp(url, "http://", 7))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault:URL needs an http:// or https:// URL, not '%.64s'",
				      url);
	host = url + (tls ? 8 : 7);
	end = host + strcspn(host, "/?#@");
	if (*end == '@' || *end == '?' || *end == '#' || (*end == '/' && end[1]))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: the Vault URL '%.64s' must be scheme://host[:port] "
				      "(no user, path or query)", url);
	hn = (size_t)(end - host);
	port = host[0] == '[' ? memchr(host, ']', hn) : memchr(host, ':', hn);
	if (host[0] == '[')
		port = port && port + 1 < end && port[1] == ':' ? port + 1 : NULL;
	if (hn == 0 || (port && (port + 1 == end || strspn(port + 1, "0123456789") != (size_t)(end - port - 1))))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: the Vault URL '%.64s' has no usable host or port", url);
	if (!tls && !loopback_host(host, port ? (size_t)(port - host) : hn))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: plain http:// is accepted only for a loopback Vault; "
				      "use https:// for '%.64s'", url);
	v->url = xstrndup(url, (size_t)(end - url));
	/* the breaker: vault:<host>:<port>, in the characters breaker names allow */
	k = (size_t)snprintf(v->breaker, sizeof(v->breaker), "vault:");
	for (i = 0; i < hn && k < 64; i++) {
		char c = host[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':'))
			c = c == '[' || c == ']' ? 0 : '-';
		if (c)
			v->breaker[k++] = c;
	}
	if (!port && k + 5 < 64)
		k += (size_t)snprintf(v->breaker + k, sizeof(v->breaker) - k, ":%s", tls ? "443" : "80");
	v->breaker[k < 64 ? k : 64] = '\0';
	return 0;
}

static int set_opt(char **slot, const char *name, const char *val)
{
	if (*slot)
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault option '%s' is given twice", name);
	*slot = xstrdup(val);
	return 0;
}

static int parse_opt(struct vault *v, const char *opt, char **auth)
{
	const char *eq = strchr(opt, '=');
	char name[32];
	const char *val;
	size_t n;

	if (!eq || eq == opt || (size_t)(eq - opt) >= sizeof(name) || !eq[1] || strlen(eq + 1) > VAULT_OPT_MAX)
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault option '%.32s' is not NAME=VALUE", opt);
	n = (size_t)(eq - opt);
	memcpy(name, opt, n);
	name[n] = '\0';
	val = eq + 1;
	if (!strcmp(name, "mount"))
		return set_opt(&v->mount, name, val);
	if (!strcmp(name, "path"))
		return set_opt(&v->tmpl, name, val);
	if (!strcmp(name, "auth"))
		return set_opt(auth, name, val);
	if (!strcmp(name, "token-file"))
		return set_opt(&v->token_file, name, val);
	if (!strcmp(name, "role-id"))
		return set_opt(&v->role_id, name, val);
	if (!strcmp(name, "secret-id-file"))
		return set_opt(&v->secret_id_file, name, val);
	if (!strcmp(name, "approle-mount"))
		return set_opt(&v->approle_mount, name, val);
	if (!strcmp(name, "ca"))
		return set_opt(&v->ca, name, val);
	if (!strcmp(name, "timeout")) {
		char *endp;
		long s = strtol(val, &endp, 10);

		if (*endp || s < 1 || s > 120)
			return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault timeout=%.16s must be 1 to 120 seconds", val);
		v->timeout_ms = s * 1000;
		return 0;
	}
	return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: unknown vault option '%s' (mount, path, auth, token-file, "
			      "role-id, secret-id-file, approle-mount, ca, timeout)", name);
}

static int check_cfg(struct vault *v, const char *auth)
{
	if (!v->mount)
		v->mount = xstrdup("secret");
	if (!v->tmpl)
		v->tmpl = xstrdup(VAULT_DEFAULT_PATH);
	if (!v->approle_mount)
		v->approle_mount = xstrdup("approle");
	if (!v->timeout_ms)
		v->timeout_ms = VAULT_TIMEOUT_DEFAULT_S * 1000;
	if (!path_chars_ok(v->mount, 0) || !path_chars_ok(v->approle_mount, 0))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: a vault mount is a path of A-Z a-z 0-9 _ . - / "
				      "without leading, trailing or double slashes");
	if (!path_chars_ok(v->tmpl, 1) || !strstr(v->tmpl, "<KEY>") ||
	    (!strstr(v->tmpl, "<code>") && !strstr(v->tmpl, "<CODE>")))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault path=%.64s must name <KEY> and <code> (or "
				      "<CODE>) in A-Z a-z 0-9 _ . - /", v->tmpl);
	if (auth && strcmp(auth, "token") && strcmp(auth, "approle"))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault auth=%.16s is not token or approle", auth);
	v->approle = auth && !strcmp(auth, "approle");
	if (v->approle && (!v->role_id || !v->secret_id_file || v->token_file))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault auth=approle needs role-id=ID and "
				      "secret-id-file=FILE (and no token-file)");
	if (!v->approle && (v->role_id || v->secret_id_file))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: role-id and secret-id-file go with auth=approle");
	if (v->ca && strncmp(v->url, "https://", 8))
		return dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: ca=FILE needs an https:// Vault URL");
	return 0;
}

static void vault_release(struct vault *v)
{
	free(v->url);
	free(v->mount);
	free(v->tmpl);
	free(v->token_file);
	free(v->role_id);
	free(v->secret_id_file);
	free(v->approle_mount);
	free(v->ca);
	dive_secret_release(&v->token);
	free(v);
}

/* --- paths ------------------------------------------------------------------- */

/* The template with <code>, <CODE> and <KEY> filled in (key NULL: cut before "<KEY>"). */
static char *expand(const struct vault *v, const char *code, const char *key)
{
	struct dive_buf b;
	const char *t;
	char lower[4] = { (char)(code[0] | 0x20), (char)(code[1] | 0x20), (char)(code[2] | 0x20), 0 };

	dive_buf_init(&b, 4096);
	for (t = v->tmpl; *t;) {
		if (!strncmp(t, "<code>", 6)) {
			dive_buf_adds(&b, lower);
			t += 6;
		} else if (!strncmp(t, "<CODE>", 6)) {
			dive_buf_adds(&b, code);
			t += 6;
		} else if (!strncmp(t, "<KEY>", 5)) {
			if (!key)
				break;
			dive_buf_adds(&b, key);
			t += 5;
		} else {
			dive_buf_add(&b, t++, 1);
		}
	}
	return dive_buf_detach(&b);
}

/* --- one request -------------------------------------------------------------- */

struct req {
	struct vault *v;
	const char *method;
	char *api;                 /* after /v1/ */
	char *body;                /* may hold a secret: wiped and freed by req_release */
	const char *what;          /* "secret 'KEY' of 'DEU' (secret/dive/deu/KEY)" */
	int with_token;
	struct http_resp resp;
	int have_resp;
};

static void wipe_resp(struct http_resp *r)
{
	if (r->body.ptr)
		explicit_bzero(r->body.ptr, r->body.len);
	http_resp_release(r);
}

static void req_release(struct req *r)
{
	if (r->body) {
		explicit_bzero(r->body, strlen(r->body));
		free(r->body);
	}
	free(r->api);
	if (r->have_resp)
		wipe_resp(&r->resp);
	r->body = r->api = NULL;
	r->have_resp = 0;
}

static int sealed(const struct http_resp *r)
{
	const char *b = dive_buf_str(&r->body);

	return r->status == 503 && b && strstr(b, "sealed");
}

/* What an answer means: 0, or the error with its message and taxonomy code. */
static int classify(const struct req *r, int rc)
{
	const struct vault *v = r->v;
	long st = r->resp.status;

	if (rc < 0) {
		char saved[512];

		snprintf(saved, sizeof(saved), "%s", dive_error_last());
		if (r->resp.tls_failed) {
			dive_error_set(DIVE_EFAIL, "%s: cannot verify the TLS certificate of vault at '%s'%s: %s", r->what,
				       v->url, v->ca ? " against ca=" : " (add ca=FILE to DIVE_SECRETS)",
				       v->ca ? v->ca : saved);
			dive_error_set_code(ERRC_VAULT_TLS);
			return DIVE_EFAIL;
		}
		dive_error_set(rc, "%s: vault at '%s' is unreachable: %s", r->what, v->url, saved);
		dive_error_set_code(ERRC_VAULT_UNREACHABLE);
		return rc;
	}
	if (st >= 200 && st <= 299)
		return 0;
	if (st == 404) {
		dive_error_set(DIVE_ENOTFOUND, "%s is not in vault at '%s'", r->what, v->url);
		return DIVE_ENOTFOUND;
	}
	if (sealed(&r->resp)) {
		dive_error_set(DIVE_EUNAVAIL, "%s: vault at '%s' is sealed: unseal it (vault operator unseal)", r->what,
			       v->url);
		dive_error_set_code(ERRC_VAULT_SEALED);
		return DIVE_EUNAVAIL;
	}
	if (st == 401 || st == 403) {
		dive_error_set(DIVE_EFAIL, "%s: vault at '%s' denied %s (HTTP %ld): the %s lacks a policy for it", r->what,
			       v->url, strcmp(r->method, "GET") ? "the write" : "the read", st,
			       v->approle ? "AppRole's token" : "token");
		dive_error_set_code(ERRC_VAULT_DENIED);
		return DIVE_EFAIL;
	}
	if (st == 429 || st >= 500) {
		dive_error_set(DIVE_EUNAVAIL, "%s: vault at '%s' answered HTTP %ld", r->what, v->url, st);
		dive_error_set_code(ERRC_VAULT_UNREACHABLE);
		return DIVE_EUNAVAIL;
	}
	/* Vault's own error text is not repeated: it may quote the request */
	return dive_error_set(DIVE_EFAIL, "%s: vault at '%s' refused the request (HTTP %ld)", r->what, v->url, st);
}

static int attempt(void *arg, long *http_status, int *code)
{
	struct req *r = arg;
	struct vault *v = r->v;
	struct http_req hr;
	char *url = xasprintf("%s/v1/%s", v->url, r->api), *auth = NULL;
	const char *headers[3] = { "Content-Type: application/json", NULL, NULL };
	int rc;

	if (r->have_resp)
		wipe_resp(&r->resp);
	memset(&r->resp, 0, sizeof(r->resp));
	memset(&hr, 0, sizeof(hr));
	if (r->with_token) {
		auth = xasprintf("X-Vault-Token: %s", dive_secret_reveal(&v->token));
		headers[1] = auth;
	}
	hr.method = r->method;
	hr.url = url;
	hr.headers = headers;
	hr.body = r->body;
	hr.body_len = r->body ? strlen(r->body) : 0;
	hr.timeout_ms = v->timeout_ms;
	hr.connect_timeout_ms = v->timeout_ms < VAULT_CONNECT_MAX_MS ? v->timeout_ms : VAULT_CONNECT_MAX_MS;
	hr.max_body = VAULT_BODY_MAX;
	hr.ca_file = v->ca;
	rc = http_perform(v->http, &hr, &r->resp);
	r->have_resp = 1;
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(url);
	rc = classify(r, rc);
	*http_status = r->resp.status;
	if (rc == DIVE_ENOTFOUND)
		*http_status = 404; /* an answer: neither retried nor counted */
	if (rc < 0)
		*code = dive_error_last_code();
	return rc;
}

/* --- login ---------------------------------------------------------------------- */

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int use_token(struct vault *v, const char *value, const char *from)
{
	if (!printable(value)) {
		dive_error_set(DIVE_EUSAGE, "the Vault token from %s has characters a token cannot have", from);
		dive_error_set_code(ERRC_SECRET_INVALID);
		return DIVE_EUSAGE;
	}
	dive_secret_set(&v->token, value);
	return 0;
}

static int approle_login(struct secrets_provider *p, struct vault *v)
{
	struct dive_secret sid = DIVE_SECRET_INIT;
	struct req r;
	cJSON *doc = NULL, *body;
	const cJSON *tok;
	int rc;

	rc = secrets_read_private_file(&sid, v->secret_id_file, "the AppRole secret ID file");
	if (rc == DIVE_ENOTFOUND)
		rc = dive_error_set(DIVE_EUSAGE, "the AppRole secret ID file '%s' does not exist", v->secret_id_file);
	if (rc < 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.method = "POST";
	r.api = xasprintf("auth/%s/login", v->approle_mount);
	r.what = "AppRole login";
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "role_id", v->role_id);
	cJSON_AddStringToObject(body, "secret_id", dive_secret_reveal(&sid));
	r.body = cJSON_PrintUnformatted(body);
	kc_json_wipe_delete(body);
	dive_secret_release(&sid);
	rc = secrets_guarded(p, "vault", v->breaker, attempt, &r);
	if (rc == DIVE_EFAIL && (r.resp.status == 400 || r.resp.status == 403)) {
		dive_error_set(DIVE_EFAIL, "vault at '%s' refused the AppRole login of role '%.64s' (HTTP %ld): check "
			       "role-id and the secret ID", v->url, v->role_id, r.resp.status);
		dive_error_set_code(ERRC_VAULT_DENIED);
	}
	if (rc == DIVE_ENOTFOUND) {
		rc = dive_error_set(DIVE_EUSAGE, "vault at '%s' has no AppRole auth at 'auth/%s'", v->url,
				    v->approle_mount);
		dive_error_set_code(ERRC_VAULT_DENIED);
	}
	if (rc == 0) {
		doc = cJSON_ParseWithLength(r.resp.body.ptr ? r.resp.body.ptr : "", r.resp.body.len);
		tok = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "auth"), "client_token");
		if (!cJSON_IsString(tok) || !*tok->valuestring || strlen(tok->valuestring) > SECRET_MAX)
			rc = dive_error_set(DIVE_EFAIL, "vault at '%s' answered the AppRole login without a token", v->url);
		else
			rc = use_token(v, tok->valuestring, "the AppRole login");
	}
	kc_json_wipe_delete(doc);
	req_release(&r);
	return rc;
}

/* The token, read or obtained once per provider. */
static int ensure_token(struct secrets_provider *p, struct vault *v)
{
	const char *env;
	int rc;

	if (dive_secret_is_set(&v->token))
		return 0;
	if (v->approle)
		return approle_login(p, v);
	if (v->token_file) {
		rc = secrets_read_private_file(&v->token, v->token_file, "the Vault token file");
		if (rc == DIVE_ENOTFOUND)
			rc = dive_error_set(DIVE_EUSAGE, "the Vault token file '%s' does not exist", v->token_file);
		if (rc == 0 && !printable(dive_secret_reveal(&v->token))) {
			dive_secret_release(&v->token);
			rc = dive_error_set(DIVE_EUSAGE, "the Vault token file '%s' holds characters a token cannot have",
					    v->token_file);
			dive_error_set_code(ERRC_SECRET_INVALID);
		}
		return rc;
	}
	env = settings_getenv("VAULT_TOKEN");
	if (!env || strlen(env) > SECRET_MAX) {
		dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS names a vault but no token: set VAULT_TOKEN, token-file=FILE "
			       "or auth=approle");
		dive_error_set_code(ERRC_VAULT_DENIED);
		return DIVE_EUSAGE;
	}
	return use_token(v, env, "VAULT_TOKEN");
}

/* --- the provider ------------------------------------------------------------ */

/* A request on the secret's data path; what receives its description for messages. */
static void req_data(struct req *r, struct vault *v, const char *method, const char *code, const char *key,
		     char *what, size_t n)
{
	char *path = expand(v, code, key);

	snprintf(what, n, "secret '%s' of '%s' (%s/%s)", key, code, v->mount, path);
	memset(r, 0, sizeof(*r));
	r->v = v;
	r->method = method;
	r->api = xasprintf("%s/data/%s", v->mount, path);
	r->what = what;
	r->with_token = 1;
	free(path);
}

static int vault_get(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out)
{
	struct vault *v = p->data;
	struct req r;
	cJSON *doc = NULL;
	const cJSON *data, *val;
	char what[256];
	int rc;

	if ((rc = ensure_token(p, v)) < 0)
		return rc;
	req_data(&r, v, "GET", code, key, what, sizeof(what));
	rc = secrets_guarded(p, "vault", v->breaker, attempt, &r);
	if (rc == 0) {
		doc = cJSON_ParseWithLength(r.resp.body.ptr ? r.resp.body.ptr : "", r.resp.body.len);
		data = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "data"), "data");
		val = cJSON_GetObjectItemCaseSensitive(data, "value");
		if (!doc) {
			rc = dive_error_set(DIVE_EFAIL, "%s: vault at '%s' answered with something that is not JSON", what,
					    v->url);
		} else if (!cJSON_IsObject(data)) {
			/* the latest version was deleted or destroyed */
			rc = dive_error_set(DIVE_ENOTFOUND, "%s is deleted in vault at '%s'", what, v->url);
		} else if (!cJSON_IsString(val)) {
			rc = dive_error_set(DIVE_EUSAGE, "%s in vault at '%s' has no string field 'value'", what, v->url);
			dive_error_set_code(ERRC_SECRET_INVALID);
		} else if (secrets_check_value(val->valuestring, strlen(val->valuestring)) < 0) {
			rc = dive_error_set(DIVE_EUSAGE, "%s in vault at '%s' is not usable: one line, 1 to %d bytes", what,
					    v->url, SECRET_MAX);
			dive_error_set_code(ERRC_SECRET_INVALID);
		} else {
			dive_secret_set(out, val->valuestring);
		}
	}
	kc_json_wipe_delete(doc);
	req_release(&r);
	return rc;
}

static int vault_put(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value)
{
	struct vault *v = p->data;
	const char *s = dive_secret_reveal(value);
	struct req r;
	cJSON *body;
	char what[256];
	int rc;

	if ((rc = secrets_check_value(s, strlen(s))) < 0 || (rc = ensure_token(p, v)) < 0)
		return rc;
	req_data(&r, v, "POST", code, key, what, sizeof(what));
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "data"), "value", s);
	r.body = cJSON_PrintUnformatted(body);
	kc_json_wipe_delete(body);
	rc = secrets_guarded(p, "vault", v->breaker, attempt, &r);
	if (rc == DIVE_ENOTFOUND) {
		/* a write that finds nothing: the mount is not a KV v2 engine */
		rc = dive_error_set(DIVE_EUSAGE, "%s: vault at '%s' has no KV v2 engine at '%s'", what, v->url, v->mount);
		dive_error_set_code(ERRC_VAULT_DENIED);
	}
	req_release(&r);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names under the template's directory, when <KEY> is its last part. */
static int vault_list(struct secrets_provider *p, const char *code, char ***out)
{
	struct vault *v = p->data;
	const char *k = strstr(v->tmpl, "<KEY>");
	struct req r;
	cJSON *doc = NULL;
	const cJSON *e;
	char what[256], *dir, **names;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (k == v->tmpl || k[-1] != '/' || strcmp(k, "<KEY>"))
		return dive_error_set(DIVE_ENOTIMPL, "vault path=%s cannot be listed: <KEY> is not its last part", v->tmpl);
	if ((rc = ensure_token(p, v)) < 0)
		return rc;
	dir = expand(v, code, NULL);
	snprintf(what, sizeof(what), "the secrets of '%s' (%s/%s)", code, v->mount, dir);
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.method = "GET";
	r.api = xasprintf("%s/metadata/%s?list=true", v->mount, dir);
	r.what = what;
	r.with_token = 1;
	free(dir);
	rc = secrets_guarded(p, "vault", v->breaker, attempt, &r);
	names = xcalloc(VAULT_LIST_MAX + 1, sizeof(*names));
	if (rc == DIVE_ENOTFOUND) {
		rc = 0; /* nothing stored yet */
		dive_error_clear();
	} else if (rc == 0) {
		doc = cJSON_ParseWithLength(r.resp.body.ptr ? r.resp.body.ptr : "", r.resp.body.len);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "data"),
									"keys"))
			if (cJSON_IsString(e) && secrets_valid_key(e->valuestring) && n < VAULT_LIST_MAX)
				names[n++] = xstrdup(e->valuestring);
		qsort(names, n, sizeof(*names), cmp_names);
	}
	cJSON_Delete(doc);
	req_release(&r);
	if (rc < 0) {
		secrets_names_free(names);
		return rc;
	}
	*out = names;
	return 0;
}

static void vault_where(struct secrets_provider *p, const char *code, char *out, size_t n)
{
	struct vault *v = p->data;
	char *path = expand(v, code, "<KEY>");

	snprintf(out, n, "vault:%s %s/%s", v->url, v->mount, path);
	free(path);
}

static void vault_free(struct secrets_provider *p)
{
	vault_release(p->data);
}

int secrets_vault_open(struct secrets_provider *p, const char *spec)
{
	struct vault *v = xcalloc(1, sizeof(*v));
	char *copy = xstrdup(spec + 6), *auth = NULL, *save = NULL, *tok;
	int rc;

	tok = strtok_r(copy, ",", &save);
	rc = tok ? parse_url(v, tok) : dive_error_set(DIVE_EUSAGE, "DIVE_SECRETS: vault: needs a URL (vault:URL)");
	while (rc == 0 && (tok = strtok_r(NULL, ",", &save)))
		rc = parse_opt(v, tok, &auth);
	if (rc == 0)
		rc = check_cfg(v, auth);
	free(auth);
	free(copy);
	if (rc < 0) {
		dive_error_set_code(ERRC_CONFIG_INVALID);
		vault_release(v);
		return rc;
	}
	p->name = "vault";
	p->get = vault_get;
	p->put = vault_put;
	p->list = vault_list;
	p->free = vault_free;
	p->where = vault_where;
	p->data = v;
	return 0;
}

void secrets_set_transport(struct secrets_provider *p, struct http_transport *t)
{
	if (p && p->name && !strcmp(p->name, "vault"))
		((struct vault *)p->data)->http = t;
}
