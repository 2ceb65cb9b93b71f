/* oidc.c - an authorization-code + PKCE login walked like a browser (see oidc.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "dive/base64.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/http.h"
#include "dive/jwt.h"
#include "dive/keycloak.h"
#include "dive/log.h"
#include "dive/oidc.h"
#include "dive/sha256.h"
#include "dive/xalloc.h"

#define PAGE_MAX (1u << 20)
#define URL_CAP 4096
#define DEFAULT_TIMEOUT_MS 30000

static const char *const step_names[OIDC_STEP__COUNT] = {
	"none", "discovery", "authorization", "login form", "credentials", "broker callback",
	"interaction", "redirect", "token exchange", "id token",
};

const char *oidc_step_name(enum oidc_step s)
{
	return (unsigned)s < OIDC_STEP__COUNT ? step_names[s] : "unknown";
}

/* --- pages ------------------------------------------------------------------------- */

/* Decode the few entities Keycloak's templates write into attribute values. */
static void entity_decode(char *dst, size_t n, const char *src, size_t len)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&quot;", '"' }, { "&#39;", '\'' }, { "&lt;", '<' }, { "&gt;", '>' },
		     { "&#x2F;", '/' }, { "&#47;", '/' }, { "&#61;", '=' }, { "&#x3D;", '=' } };
	size_t i = 0, j = 0, k;

	while (i < len && j + 1 < n) {
		int done = 0;

		if (src[i] == '&')
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent);

				if (i + el <= len && !strncasecmp(src + i, ents[k].ent, el)) {
					dst[j++] = ents[k].c;
					i += el;
					done = 1;
					break;
				}
			}
		if (!done)
			dst[j++] = src[i++];
	}
	dst[j] = '\0';
}

/* The value of attribute name in the tag [tag, end), decoded; 1 found. */
static int attr(char *out, size_t n, const char *tag, const char *end, const char *name)
{
	size_t nl = strlen(name);
	const char *p;

	for (p = tag; p + nl + 2 < end; p++) {
		char q;
		const char *v, *ve;

		if (strncasecmp(p, name, nl) || p[nl] != '=' || !(p == tag || isspace((unsigned char)p[-1])))
			continue;
		q = p[nl + 1];
		if (q != '"' && q != '\'')
			continue;
		v = p + nl + 2;
		ve = memchr(v, q, (size_t)(end - v));
		if (!ve)
			return 0;
		entity_decode(out, n, v, (size_t)(ve - v));
		return 1;
	}
	return 0;
}

static const char *find_ci(const char *hay, const char *end, const char *needle)
{
	size_t nl = strlen(needle);
	const char *p;

	for (p = hay; p + nl <= end; p++)
		if (!strncasecmp(p, needle, nl))
			return p;
	return NULL;
}

static int parse_one(struct oidc_form *f, const char *form, const char *form_end)
{
	const char *tag_end = memchr(form, '>', (size_t)(form_end - form)), *p;

	memset(f, 0, sizeof(*f));
	if (!tag_end)
		return 0;
	attr(f->action, sizeof(f->action), form, tag_end, "action");
	for (p = tag_end; (p = find_ci(p, form_end, "<input")) != NULL; p += 6) {
		const char *ie = memchr(p, '>', (size_t)(form_end - p));
		char type[32] = "text";

		if (!ie)
			break;
		attr(type, sizeof(type), p, ie, "type");
		if (!strcasecmp(type, "password"))
			f->has_password = 1;
		else if (!strcasecmp(type, "hidden") && f->nfields < OIDC_FORM_FIELDS) {
			attr(f->hidden[f->nfields].name, sizeof(f->hidden[0].name), p, ie, "name");
			attr(f->hidden[f->nfields].value, sizeof(f->hidden[0].value), p, ie, "value");
			if (f->hidden[f->nfields].name[0])
				f->nfields++;
		}
	}
	return 1;
}

int oidc_form_parse(struct oidc_form *out, const char *html)
{
	const char *end = html + strlen(html), *p = html;
	struct oidc_form first;
	int found = 0;

	memset(out, 0, sizeof(*out));
	while ((p = find_ci(p, end, "<form")) != NULL) {
		const char *fe = find_ci(p, end, "</form");
		struct oidc_form f;

		if (!fe)
			fe = end;
		if (parse_one(&f, p, fe)) {
			if (f.has_password) {
				*out = f;
				return 1;
			}
			if (!found++)
				first = f;
		}
		p = fe;
	}
	if (found)
		*out = first;
	return found > 0;
}

/* Text of html between open and close (tags dropped, spaces folded), appended to out unless already there. */
static void text_of(char *out, size_t n, const char *html, const char *open, const char *close)
{
	const char *end = html + strlen(html), *a = find_ci(html, end, open), *b, *p;
	char t[256];
	size_t j = 0;
	int in_tag = 0, space = 0;

	if (!a || !(a = memchr(a, '>', (size_t)(end - a))) || !(b = find_ci(a, end, close)))
		return;
	for (p = a + 1; p < b && j + 1 < sizeof(t); p++) {
		if (*p == '<')
			in_tag = 1;
		else if (*p == '>')
			in_tag = 0;
		else if (!in_tag) {
			if (isspace((unsigned char)*p) || !isprint((unsigned char)*p)) {
				space = j > 0;
				continue;
			}
			if (space)
				t[j++] = ' ';
			space = 0;
			if (j + 1 < sizeof(t))
				t[j++] = *p;
		}
	}
	t[j] = '\0';
	if (!t[0] || strstr(out, t))
		return;
	j = strlen(out);
	snprintf(out + j, n - j, "%s%s", j ? ": " : "", t);
}

void oidc_page_words(char *out, size_t n, const char *html)
{
	out[0] = '\0';
	if (n < 8)
		return;
	text_of(out, n / 2, html, "<title", "</title");
	text_of(out, n, html, "id=\"input-error", "</span");
	text_of(out, n, html, "kc-feedback-text", "</span");
	text_of(out, n, html, "class=\"instruction", "</p");
	if (!out[0])
		snprintf(out, n, "a page without a title");
}

/* --- the browser -------------------------------------------------------------------- */

struct browser {
	CURL *h;
	struct dive_buf body;
	int overflow;
	long status;
	char *location;      /* owned */
	char url[URL_CAP];   /* of the last request */
	long long deadline_ms;
	int hops;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct browser *b = arg;

	if (dive_buf_add(&b->body, p, size * nmemb) < 0) {
		b->overflow = 1;
		return 0;
	}
	return size * nmemb;
}

/* "http://host:port/path" of url, without query or fragment (for messages). */
static void shown_url(char *out, size_t n, const char *url)
{
	size_t len = strcspn(url, "?#");

	snprintf(out, n, "%.*s", (int)(len < 300 ? len : 300), url);
}

/* One request; body NULL is a GET. */
static int fetch(struct browser *b, const char *url, const char *body)
{
	char *loc = NULL, shown[320];
	long left = (long)(b->deadline_ms - now_ms());
	CURLcode cc;

	if (b->hops >= OIDC_MAX_HOPS)
		return dive_error_set(DIVE_EFAIL, "more than %d requests: a redirect loop", OIDC_MAX_HOPS);
	if (left <= 0)
		return dive_error_set(DIVE_ETIMEOUT, "the login took longer than its deadline");
	if (strlen(url) >= sizeof(b->url) || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return dive_error_set(DIVE_EFAIL, "a redirect to an unusable URL");
	b->hops++;
	snprintf(b->url, sizeof(b->url), "%s", url);
	dive_buf_reset(&b->body);
	b->overflow = 0;
	free(b->location);
	b->location = NULL;
	curl_easy_setopt(b->h, CURLOPT_URL, url);
	curl_easy_setopt(b->h, CURLOPT_TIMEOUT_MS, left);
	if (body) {
		curl_easy_setopt(b->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(b->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else {
		curl_easy_setopt(b->h, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(b->h);
	shown_url(shown, sizeof(shown), url);
	if (cc != CURLE_OK) {
		if (b->overflow)
			return dive_error_set(DIVE_ETOOBIG, "the page at '%s' is larger than %u bytes", shown, PAGE_MAX);
		if (cc == CURLE_OPERATION_TIMEDOUT)
			return dive_error_set(DIVE_ETIMEOUT, "no answer from '%s' in time", shown);
		if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
			return dive_error_set(DIVE_EUNAVAIL, "cannot connect to '%s': %s", shown, curl_easy_strerror(cc));
		return dive_error_set(DIVE_EFAIL, "request to '%s' failed: %s", shown, curl_easy_strerror(cc));
	}
	curl_easy_getinfo(b->h, CURLINFO_RESPONSE_CODE, &b->status);
	curl_easy_getinfo(b->h, CURLINFO_REDIRECT_URL, &loc);
	if (loc)
		b->location = xstrdup(loc);
	dive_debug("oidc %s %s -> %ld", body ? "POST" : "GET", shown, b->status);
	return 0;
}

static int browser_open(struct browser *b, long timeout_ms)
{
	memset(b, 0, sizeof(*b));
	b->h = curl_easy_init();
	if (!b->h)
		return dive_error_set(DIVE_EFAIL, "cannot initialise libcurl");
	dive_buf_init(&b->body, PAGE_MAX);
	b->deadline_ms = now_ms() + (timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(b->h, CURLOPT_COOKIEFILE, "");      /* the cookie engine, in memory */
	curl_easy_setopt(b->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(b->h, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_DEFAULT_CONNECT_MS);
	curl_easy_setopt(b->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(b->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(b->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(b->h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(b->h, CURLOPT_USERAGENT, "dive-verify/1 (OpenID Connect login check)");
	return 0;
}

static void browser_close(struct browser *b)
{
	if (b->h)
		curl_easy_cleanup(b->h);
	free(b->location);
	if (b->body.ptr)
		explicit_bzero(b->body.ptr, b->body.len);
	dive_buf_release(&b->body);
}

/* --- pieces of the flow -------------------------------------------------------------- */

static int random_b64(struct dive_buf *out, size_t bytes)
{
	unsigned char r[48];

	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes)
		return dive_error_set(DIVE_EFAIL, "no randomness for the login");
	return base64url_encode(out, r, bytes);
}

static int add_param(struct dive_buf *q, const char *key, const char *value)
{
	int rc = dive_buf_printf(q, "%s%s=", q->len ? "&" : "", key);

	return rc < 0 ? rc : http_urlencode(q, value);
}

/* GET url and parse JSON (discovery, JWKS). */
static int get_json(struct browser *b, cJSON **out, const char *url)
{
	int rc = fetch(b, url, NULL);

	*out = NULL;
	if (rc < 0)
		return rc;
	if (b->status != 200)
		return dive_error_set(DIVE_EFAIL, "HTTP %ld", b->status);
	*out = cJSON_ParseWithLength(dive_buf_str(&b->body), b->body.len);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "the answer is not a JSON object");
	}
	return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The value of key in the query of url (decoded enough for codes and state: no '%' expected). */
static int query_value(char *out, size_t n, const char *url, const char *key)
{
	const char *q = strchr(url, '?'), *p;
	size_t kl = strlen(key);

	out[0] = '\0';
	for (p = q; p && *p; p = strchr(p + 1, '&')) {
		const char *k = p + 1, *v, *e;

		if (strncmp(k, key, kl) || k[kl] != '=')
			continue;
		v = k + kl + 1;
		e = v + strcspn(v, "&#");
		snprintf(out, n, "%.*s", (int)(e - v), v);
		return 1;
	}
	return 0;
}

static void host_of(char *out, size_t n, const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	snprintf(out, n, "%.*s", (int)strcspn(h, "/?#"), h);
}

static int fail_at(struct oidc_login_result *out, enum oidc_step step, long status, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail_at(struct oidc_login_result *out, enum oidc_step step, long status, int err, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out->failed = step;
	out->status = status;
	dive_error_set(err, "login failed at the %s: %s", oidc_step_name(step), msg);
	dive_error_set_code(step == OIDC_STEP_DISCOVERY ? ERRC_KEYCLOAK_UNREACHABLE : ERRC_AUTH_FLOW);
	return err;
}

/* The form body that logs in: the hidden fields, then username and password (wiped by the caller). */
static void login_body(struct dive_buf *body, const struct oidc_form *f, const char *user, const char *password)
{
	int i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->hidden[i].name, "username") && strcmp(f->hidden[i].name, "password"))
			add_param(body, f->hidden[i].name, f->hidden[i].value);
	add_param(body, "username", user);
	add_param(body, "password", password);
}

/* Where a failed request was, in the flow's terms. */
static enum oidc_step step_of(const char *url, int submitted)
{
	if (strstr(url, "/broker/") && strstr(url, "/endpoint"))
		return OIDC_STEP_BROKER;
	if (strstr(url, "first-broker-login") || strstr(url, "/login-actions/"))
		return submitted ? OIDC_STEP_INTERACTION : OIDC_STEP_LOGIN_FORM;
	return OIDC_STEP_AUTHORIZE;
}

/*
 * Walk from the authorization request to the redirect URI: follow
 * redirects, fill the one login form, stop at anything else.
 */
static int walk(struct browser *b, struct oidc_login_result *out, const struct oidc_login_opts *o, const char *start,
		char *code, size_t code_n, const char *state)
{
	char next[URL_CAP], words[300], shown[320], got_state[256], err[128];
	struct dive_buf body;
	int rc, submitted = 0;
	size_t rl = strlen(o->redirect_uri);

	snprintf(next, sizeof(next), "%s", start);
	dive_buf_init(&body, 64 * 1024);
	rc = fetch(b, next, NULL);
	for (;;) {
		if (rc < 0) {
			rc = fail_at(out, step_of(b->url, submitted), 0, rc, "%s", dive_error_last());
			break;
		}
		shown_url(shown, sizeof(shown), b->url);
		if (b->status / 100 == 3 && b->location) {
			if (!strncmp(b->location, o->redirect_uri, rl) && strchr("?#", b->location[rl])) {
				if (query_value(err, sizeof(err), b->location, "error")) {
					rc = fail_at(out, OIDC_STEP_REDIRECT, b->status, DIVE_EFAIL,
						     "the realm answered error '%.64s'", err);
					break;
				}
				query_value(got_state, sizeof(got_state), b->location, "state");
				if (strcmp(got_state, state) || !query_value(code, code_n, b->location, "code")) {
					rc = fail_at(out, OIDC_STEP_REDIRECT, b->status, DIVE_EFAIL,
						     "the redirect carries no code or another state");
					break;
				}
				rc = 0;
				break;
			}
			snprintf(next, sizeof(next), "%s", b->location);
			rc = fetch(b, next, NULL);
			continue;
		}
		if (b->status == 200) {
			struct oidc_form f;

			oidc_page_words(words, sizeof(words), dive_buf_str(&b->body));
			if (oidc_form_parse(&f, dive_buf_str(&b->body)) && f.has_password && f.action[0]) {
				if (submitted) {
					rc = fail_at(out, OIDC_STEP_CREDENTIALS, b->status, DIVE_EFAIL,
						     "the login form at '%s' asked again (%.200s)", shown, words);
					break;
				}
				submitted = 1;
				host_of(out->idp_host, sizeof(out->idp_host), b->url);
				dive_buf_reset(&body);
				login_body(&body, &f, o->username, dive_secret_reveal(o->password));
				snprintf(next, sizeof(next), "%s", f.action);
				rc = fetch(b, next, dive_buf_str(&body));
				explicit_bzero(body.ptr, body.len);
				continue;
			}
			rc = fail_at(out, submitted ? OIDC_STEP_INTERACTION : OIDC_STEP_LOGIN_FORM, b->status, DIVE_EFAIL,
				     "the flow stopped at a page at '%s' (%.200s)", shown, words);
			break;
		}
		oidc_page_words(words, sizeof(words), dive_buf_str(&b->body));
		rc = fail_at(out, step_of(b->url, submitted), b->status, DIVE_EFAIL, "HTTP %ld at '%s' (%.200s)",
			     b->status, shown, words);
		break;
	}
	if (body.ptr)
		explicit_bzero(body.ptr, body.len);
	dive_buf_release(&body);
	return rc;
}

static int aud_has(const cJSON *claims, const char *client_id)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud"), *a;

	if (cJSON_IsString(aud))
		return !strcmp(aud->valuestring, client_id);
	cJSON_ArrayForEach(a, aud)
		if (cJSON_IsString(a) && !strcmp(a->valuestring, client_id))
			return 1;
	return 0;
}

/* The code for tokens, then the ID token checked. */
static int redeem(struct browser *b, struct oidc_login_result *out, const struct oidc_login_opts *o, const cJSON *disc,
		  const char *code, const char *verifier, const char *nonce)
{
	const char *token_url = jstr(disc, "token_endpoint"), *jwks_url = jstr(disc, "jwks_uri"), *id_token;
	struct dive_buf body;
	struct jwt jwt = { 0 };
	cJSON *tokens = NULL, *jwks = NULL;
	const cJSON *exp;
	int rc;

	if (!token_url || !jwks_url)
		return fail_at(out, OIDC_STEP_DISCOVERY, 0, DIVE_EFAIL, "no token endpoint or JWKS in the discovery document");
	dive_buf_init(&body, 16 * 1024);
	add_param(&body, "grant_type", "authorization_code");
	add_param(&body, "code", code);
	add_param(&body, "redirect_uri", o->redirect_uri);
	add_param(&body, "client_id", o->client_id);
	add_param(&body, "code_verifier", verifier);
	if (o->client_secret)
		add_param(&body, "client_secret", dive_secret_reveal(o->client_secret));
	rc = fetch(b, token_url, dive_buf_str(&body));
	explicit_bzero(body.ptr, body.len);
	dive_buf_release(&body);
	if (rc < 0)
		return fail_at(out, OIDC_STEP_TOKEN, 0, rc, "%s", dive_error_last());
	if (b->status != 200) {
		cJSON *e = cJSON_ParseWithLength(dive_buf_str(&b->body), b->body.len);
		const char *what = jstr(e, "error");

		rc = fail_at(out, OIDC_STEP_TOKEN, b->status, DIVE_EFAIL, "HTTP %ld (%.64s)", b->status,
			     what ? what : "no error named");
		cJSON_Delete(e);
		return rc;
	}
	tokens = cJSON_ParseWithLength(dive_buf_str(&b->body), b->body.len);
	explicit_bzero(b->body.ptr, b->body.len);
	id_token = jstr(tokens, "id_token");
	if (!id_token) {
		cJSON_Delete(tokens);
		return fail_at(out, OIDC_STEP_TOKEN, b->status, DIVE_EFAIL, "the answer holds no id_token");
	}
	if ((rc = get_json(b, &jwks, jwks_url)) < 0)
		rc = fail_at(out, OIDC_STEP_ID_TOKEN, b->status, rc, "cannot read the issuer's keys: %s", dive_error_last());
	else if ((rc = jwt_verify(id_token, jwks)) < 0)
		rc = fail_at(out, OIDC_STEP_ID_TOKEN, 0, DIVE_EFAIL, "%s", dive_error_last());
	else if ((rc = jwt_decode(&jwt, id_token)) < 0)
		rc = fail_at(out, OIDC_STEP_ID_TOKEN, 0, DIVE_EFAIL, "%s", dive_error_last());
	if (rc == 0) {
		const char *iss = jstr(jwt.claims, "iss"), *n = jstr(jwt.claims, "nonce");

		exp = cJSON_GetObjectItemCaseSensitive(jwt.claims, "exp");
		if (!iss || strcmp(iss, o->issuer))
			rc = fail_at(out, OIDC_STEP_ID_TOKEN, 0, DIVE_EFAIL, "issuer '%.200s', expected '%.200s'",
				     iss ? iss : "", o->issuer);
		else if (!aud_has(jwt.claims, o->client_id))
			rc = fail_at(out, OIDC_STEP_ID_TOKEN, 0, DIVE_EFAIL, "the token is not for '%s'", o->client_id);
		else if (!n || strcmp(n, nonce))
			rc = fail_at(out, OIDC_STEP_ID_TOKEN, 0, DIVE_EFAIL, "the nonce does not match");
		else if (!cJSON_IsNumber(exp) || exp->valuedouble < (double)time(NULL))
			rc = fail_at(out, OIDC_STEP_ID_TOKEN, 0, DIVE_EFAIL, "the token has expired");
	}
	if (rc == 0) {
		out->claims = jwt.claims;
		jwt.claims = NULL;
	}
	jwt_release(&jwt);
	cJSON_Delete(jwks);
	kc_json_wipe_delete(tokens);
	return rc;
}

/* --- the login ------------------------------------------------------------------------ */

static int check_opts(const struct oidc_login_opts *o)
{
	if (!o->issuer || strncmp(o->issuer, "http", 4) || strlen(o->issuer) > 1024)
		return dive_error_set(DIVE_EUSAGE, "an OpenID Connect login needs an http(s) issuer URL");
	if (!o->client_id || !*o->client_id || !o->redirect_uri || strncmp(o->redirect_uri, "http", 4))
		return dive_error_set(DIVE_EUSAGE, "an OpenID Connect login needs a client and its redirect URI");
	if (!o->username || !*o->username || !o->password || !dive_secret_is_set(o->password))
		return dive_error_set(DIVE_EUSAGE, "an OpenID Connect login needs a user and a password");
	return 0;
}

int oidc_login(struct oidc_login_result *out, const struct oidc_login_opts *o)
{
	struct browser b;
	struct dive_buf verifier, challenge, state, nonce, q;
	unsigned char digest[32];
	struct sha256 h;
	cJSON *disc = NULL;
	char url[URL_CAP], *code = xcalloc(1, 2048);
	int rc;

	memset(out, 0, sizeof(*out));
	dive_buf_init(&verifier, 128);
	dive_buf_init(&challenge, 128);
	dive_buf_init(&state, 128);
	dive_buf_init(&nonce, 128);
	dive_buf_init(&q, 8192);
	if ((rc = check_opts(o)) < 0 || (rc = browser_open(&b, o->timeout_ms)) < 0) {
		free(code);
		return rc;
	}
	snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", o->issuer);
	if ((rc = get_json(&b, &disc, url)) < 0) {
		rc = fail_at(out, OIDC_STEP_DISCOVERY, b.status, rc == DIVE_EFAIL ? DIVE_EUNAVAIL : rc, "%s",
			     dive_error_last());
		goto out;
	}
	if (!jstr(disc, "authorization_endpoint")) {
		rc = fail_at(out, OIDC_STEP_DISCOVERY, 0, DIVE_EFAIL, "no authorization endpoint");
		goto out;
	}
	/* PKCE: a 43-character verifier, its SHA-256 as the S256 challenge */
	if ((rc = random_b64(&verifier, 32)) < 0 || (rc = random_b64(&state, 24)) < 0 ||
	    (rc = random_b64(&nonce, 24)) < 0)
		goto out;
	sha256_init(&h);
	sha256_update(&h, verifier.ptr, verifier.len);
	sha256_final(&h, digest);
	base64url_encode(&challenge, digest, sizeof(digest));
	add_param(&q, "client_id", o->client_id);
	add_param(&q, "response_type", "code");
	add_param(&q, "scope", "openid profile email");
	add_param(&q, "redirect_uri", o->redirect_uri);
	add_param(&q, "state", dive_buf_str(&state));
	add_param(&q, "nonce", dive_buf_str(&nonce));
	add_param(&q, "code_challenge", dive_buf_str(&challenge));
	add_param(&q, "code_challenge_method", "S256");
	if (o->idp_hint)
		add_param(&q, "kc_idp_hint", o->idp_hint);
	snprintf(url, sizeof(url), "%s?%s", jstr(disc, "authorization_endpoint"), dive_buf_str(&q));
	if ((rc = walk(&b, out, o, url, code, 2048, dive_buf_str(&state))) < 0)
		goto out;
	rc = redeem(&b, out, o, disc, code, dive_buf_str(&verifier), dive_buf_str(&nonce));
out:
	out->hops = b.hops;
	explicit_bzero(code, 2048);
	free(code);
	if (verifier.ptr)
		explicit_bzero(verifier.ptr, verifier.len);
	dive_buf_release(&verifier);
	dive_buf_release(&challenge);
	dive_buf_release(&state);
	dive_buf_release(&nonce);
	dive_buf_release(&q);
	cJSON_Delete(disc);
	browser_close(&b);
	return rc;
}

void oidc_login_result_release(struct oidc_login_result *r)
{
	cJSON_Delete(r->claims);
	r->claims = NULL;
}
