/*
 * itest_keycloak.c - the admin client against the real Keycloak: tokens,
 * create-or-update by diff of realms, clients, identity providers and
 * mappers, and a federated login through what dive built.
 *
 * Every object lives in realms named dive-t-<pid>-hub and dive-t-<pid>-deu
 * (and one client dive-t-<pid>-admin in master), removed by the group
 * teardown whatever happened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dive/buf.h"
#include "dive/error.h"
#include "dive/keycloak.h"
#include "itest.h"

static char hub_realm[64], spoke_realm[64], admin_client[64];

/* The real transport, counting the admin calls and token requests it makes. */
struct counting {
	struct http_transport t;
	int get, post, put, del, token;
};

static int counting_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	struct counting *c = (struct counting *)t;
	const char *m = req->method ? req->method : "GET";

	if (strstr(req->url, "/protocol/openid-connect/token"))
		c->token++;
	else if (!strcmp(m, "GET"))
		c->get++;
	else if (!strcmp(m, "POST"))
		c->post++;
	else if (!strcmp(m, "PUT"))
		c->put++;
	else if (!strcmp(m, "DELETE"))
		c->del++;
	return http_curl.perform(&http_curl, req, resp);
}

static struct counting counter = { { counting_perform }, 0, 0, 0, 0, 0 };

static void counter_reset(void)
{
	counter.get = counter.post = counter.put = counter.del = counter.token = 0;
}

static struct kc *admin_login(void)
{
	struct kc *kc = NULL;

	assert_int_equal(kc_open(&kc, itest_env("DIVE_KEYCLOAK_URL"), &counter.t), 0);
	assert_int_equal(kc_login(kc, itest_env("DIVE_KEYCLOAK_ADMIN_USER"),
				  itest_env("DIVE_KEYCLOAK_ADMIN_PASSWORD")), 0);
	return kc;
}

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(hub_realm, sizeof(hub_realm), "dive-t-%d-hub", (int)getpid());
	snprintf(spoke_realm, sizeof(spoke_realm), "dive-t-%d-deu", (int)getpid());
	snprintf(admin_client, sizeof(admin_client), "dive-t-%d-admin", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	struct kc_result res;
	struct kc *kc = NULL;

	if (kc_open(&kc, getenv("DIVE_KEYCLOAK_URL"), NULL) == 0 &&
	    kc_login(kc, getenv("DIVE_KEYCLOAK_ADMIN_USER"), getenv("DIVE_KEYCLOAK_ADMIN_PASSWORD")) == 0) {
		kc_realm_delete(kc, &res, hub_realm);
		kc_realm_delete(kc, &res, spoke_realm);
		kc_client_delete(kc, &res, "master", admin_client);
	}
	kc_close(kc);
	curl_global_cleanup();
	return 0;
}

static char *realm_url(const char *realm)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/realms/%s", itest_env("DIVE_KEYCLOAK_URL"), realm);
	return buf[i];
}

/* The broker endpoint of alias in realm, for a client's redirect URI. */
static char *broker_endpoint(const char *realm, const char *alias)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/realms/%s/broker/%s/endpoint", itest_env("DIVE_KEYCLOAK_URL"), realm,
		 alias);
	return buf[i];
}

struct fed_secrets {
	struct dive_secret hub_client;     /* dive-v3-broker-deu in the hub: used by usa-idp */
	struct dive_secret spoke_client;   /* dive-v3-broker-usa in the spoke: used by deu-idp */
};

static void secret_random(struct dive_secret *s, const char *tag)
{
	char v[64];

	snprintf(v, sizeof(v), "%s-%d-%ld-9f1c", tag, (int)getpid(), (long)time(NULL));
	dive_secret_set(s, v);
}

/*
 * One configuration run: both realms, the clients, IdPs and mappers of a
 * federation both ways.  Counts the outcomes into n[KC_OUTCOME__COUNT].
 */
static void configure(struct kc *kc, const struct fed_secrets *sec, int n[KC_OUTCOME__COUNT])
{
	const char *origin = itest_env("DIVE_KEYCLOAK_URL");
	const char *hub_redirect[] = { broker_endpoint(spoke_realm, "usa-idp"), NULL };
	const char *spoke_redirect[] = { broker_endpoint(hub_realm, "deu-idp"), NULL };
	const char *origins[] = { origin, NULL };
	struct kc_result res;
	cJSON *d = NULL, *maps = NULL, *m;
	struct {
		const char *realm, *alias, *issuer_realm, *client;
		const struct dive_secret *secret;
	} idps[] = {
		{ hub_realm, "deu-idp", spoke_realm, "dive-v3-broker-usa", &sec->spoke_client },
		{ spoke_realm, "usa-idp", hub_realm, "dive-v3-broker-deu", &sec->hub_client },
	};
	size_t i;

	assert_int_equal(kc_desired_realm(&d, hub_realm, "DIVE hub (test)"), 0);
	assert_int_equal(kc_realm_apply(kc, &res, d), 0);
	n[res.outcome]++;
	cJSON_Delete(d);
	assert_int_equal(kc_desired_realm(&d, spoke_realm, "DIVE DEU (test)"), 0);
	assert_int_equal(kc_realm_apply(kc, &res, d), 0);
	n[res.outcome]++;
	cJSON_Delete(d);

	assert_int_equal(kc_desired_client(&d, "dive-v3-broker-deu", hub_redirect, origins), 0);
	assert_int_equal(kc_client_apply(kc, &res, hub_realm, d, &sec->hub_client), 0);
	n[res.outcome]++;
	cJSON_Delete(d);
	assert_int_equal(kc_desired_client(&d, "dive-v3-broker-usa", spoke_redirect, origins), 0);
	assert_int_equal(kc_client_apply(kc, &res, spoke_realm, d, &sec->spoke_client), 0);
	n[res.outcome]++;
	cJSON_Delete(d);
	assert_int_equal(kc_desired_client_mappers(&maps), 0);
	cJSON_ArrayForEach(m, maps) {
		assert_int_equal(kc_client_mapper_apply(kc, &res, spoke_realm, "dive-v3-broker-usa", m), 0);
		n[res.outcome]++;
	}
	cJSON_Delete(maps);

	for (i = 0; i < sizeof(idps) / sizeof(idps[0]); i++) {
		assert_int_equal(kc_desired_oidc_idp(&d, idps[i].alias, "Federation (test)",
						     realm_url(idps[i].issuer_realm), NULL, idps[i].client, "FORCE"), 0);
		assert_int_equal(kc_idp_apply(kc, &res, idps[i].realm, d, idps[i].secret), 0);
		n[res.outcome]++;
		cJSON_Delete(d);
		assert_int_equal(kc_desired_idp_mappers(&maps, idps[i].alias), 0);
		cJSON_ArrayForEach(m, maps) {
			assert_int_equal(kc_idp_mapper_apply(kc, &res, idps[i].realm, idps[i].alias, m), 0);
			n[res.outcome]++;
		}
		cJSON_Delete(maps);
	}
}

static void keycloak__admin_token_lists_the_master_realm(void **state)
{
	struct kc *kc = admin_login();
	cJSON *names = NULL, *n;
	int master = 0;

	assert_int_equal(kc_realm_names(kc, &names), 0);
	cJSON_ArrayForEach(n, names)
		master += !strcmp(n->valuestring, "master");
	assert_int_equal(master, 1);
	cJSON_Delete(names);
	kc_close(kc);
}

static void keycloak__wrong_password_is_refused_without_echoing_it(void **state)
{
	struct kc *kc = NULL;

	assert_int_equal(kc_open(&kc, itest_env("DIVE_KEYCLOAK_URL"), NULL), 0);
	assert_int_equal(kc_login(kc, itest_env("DIVE_KEYCLOAK_ADMIN_USER"), "not-the-password-7f3a"),
			 DIVE_EUSAGE);
	assert_null(strstr(dive_error_last(), "not-the-password-7f3a"));
	kc_close(kc);
}

static void keycloak__configuration_is_created_once_then_unchanged(void **state)
{
	struct fed_secrets sec = { DIVE_SECRET_INIT, DIVE_SECRET_INIT };
	struct kc *kc = admin_login();
	cJSON *maps = NULL, *m, *m2;
	int run, n[KC_OUTCOME__COUNT];

	secret_random(&sec.hub_client, "hub");
	secret_random(&sec.spoke_client, "spoke");
	for (run = 0; run < 3; run++) {
		memset(n, 0, sizeof(n));
		counter_reset();
		configure(kc, &sec, n);
		if (run == 0) {
			/* 2 realms, 2 clients, 4 client mappers, 2 IdPs, 8 IdP mappers */
			assert_int_equal(n[KC_CREATED], 18);
			assert_int_equal(n[KC_UPDATED], 0);
		} else {
			assert_int_equal(n[KC_UNCHANGED], 18);
			assert_int_equal(counter.post, 0);
			assert_int_equal(counter.put, 0);
			assert_int_equal(counter.del, 0);
		}
	}
	/* one mapper per name after three runs */
	assert_int_equal(kc_idp_mappers(kc, &maps, hub_realm, "deu-idp"), 0);
	assert_int_equal(cJSON_GetArraySize(maps), (int)kc_dive_attribute_count());
	cJSON_ArrayForEach(m, maps) {
		int same = 0;

		cJSON_ArrayForEach(m2, maps)
			same += !strcmp(cJSON_GetObjectItem(m, "name")->valuestring,
					cJSON_GetObjectItem(m2, "name")->valuestring);
		assert_int_equal(same, 1);
	}
	cJSON_Delete(maps);
	dive_secret_release(&sec.hub_client);
	dive_secret_release(&sec.spoke_client);
	kc_close(kc);
}

static void keycloak__idp_validates_signatures_through_jwks(void **state)
{
	struct kc *kc = admin_login();
	cJSON *idp = NULL, *config;

	assert_int_equal(kc_idp_get(kc, &idp, hub_realm, "deu-idp"), 0);
	config = cJSON_GetObjectItem(idp, "config");
	assert_string_equal(cJSON_GetObjectItem(config, "validateSignature")->valuestring, "true");
	assert_string_equal(cJSON_GetObjectItem(config, "useJwksUrl")->valuestring, "true");
	assert_non_null(strstr(cJSON_GetObjectItem(config, "jwksUrl")->valuestring,
			       "/protocol/openid-connect/certs"));
	/* Keycloak never shows the secret back */
	assert_string_equal(cJSON_GetObjectItem(config, "clientSecret")->valuestring, "**********");
	cJSON_Delete(idp);
	kc_close(kc);
}

static void keycloak__a_changed_field_is_put_once_and_others_are_kept(void **state)
{
	struct kc *kc = admin_login();
	struct kc_result res;
	cJSON *live = NULL, *config, *d = NULL;
	char path[256];

	/* someone turns signature validation off and adds a field dive does not manage */
	assert_int_equal(kc_idp_get(kc, &live, hub_realm, "deu-idp"), 0);
	config = cJSON_GetObjectItem(live, "config");
	cJSON_ReplaceItemInObject(config, "validateSignature", cJSON_CreateString("false"));
	cJSON_ReplaceItemInObject(config, "syncMode", cJSON_CreateString("IMPORT"));
	cJSON_AddStringToObject(config, "guiOrder", "7");
	snprintf(path, sizeof(path), "/realms/%s/identity-provider/instances/deu-idp", hub_realm);
	assert_int_equal(kc_admin(kc, NULL, "PUT", path, live), 0);
	cJSON_Delete(live);

	assert_int_equal(kc_desired_oidc_idp(&d, "deu-idp", "Federation (test)", realm_url(spoke_realm), NULL,
					     "dive-v3-broker-usa", "FORCE"), 0);
	counter_reset();
	assert_int_equal(kc_idp_apply(kc, &res, hub_realm, d, NULL), 0);
	assert_int_equal(res.outcome, KC_UPDATED);
	assert_string_equal(res.changed, "config.validateSignature, config.syncMode");
	assert_int_equal(counter.put, 1);
	assert_int_equal(counter.post, 0);

	counter_reset();
	assert_int_equal(kc_idp_apply(kc, &res, hub_realm, d, NULL), 0);
	assert_int_equal(res.outcome, KC_UNCHANGED);
	assert_int_equal(counter.put, 0);
	cJSON_Delete(d);

	assert_int_equal(kc_idp_get(kc, &live, hub_realm, "deu-idp"), 0);
	config = cJSON_GetObjectItem(live, "config");
	assert_string_equal(cJSON_GetObjectItem(config, "validateSignature")->valuestring, "true");
	assert_string_equal(cJSON_GetObjectItem(config, "guiOrder")->valuestring, "7");
	cJSON_Delete(live);
	kc_close(kc);
}

static void keycloak__wildcard_redirect_is_refused_before_any_call(void **state)
{
	const char *star[] = { "https://deu-app.dive25.com/*", NULL };
	const char *only_star[] = { "*", NULL };
	const char *ok[] = { "https://deu-app.dive25.com/cb", NULL };
	cJSON *d = NULL;

	counter_reset();
	assert_int_equal(kc_desired_client(&d, "dive-v3-broker-deu", star, NULL), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "no wildcard redirect URIs"));
	assert_int_equal(kc_desired_client(&d, "dive-v3-broker-deu", only_star, NULL), DIVE_EUSAGE);
	assert_int_equal(kc_desired_client(&d, "dive-v3-broker-deu", ok, only_star), DIVE_EUSAGE);
	assert_null(d);
	assert_int_equal(counter.get + counter.post + counter.put + counter.token, 0);
}

static void keycloak__client_secret_is_compared_and_kept_apart(void **state)
{
	struct dive_secret got = DIVE_SECRET_INIT, other = DIVE_SECRET_INIT;
	const char *redirect[] = { broker_endpoint(spoke_realm, "usa-idp"), NULL };
	struct kc *kc = admin_login();
	struct kc_result res;
	cJSON *rep = NULL, *d = NULL;

	/* the representation never carries the secret */
	assert_int_equal(kc_client_find(kc, &rep, hub_realm, "dive-v3-broker-deu"), 0);
	assert_null(cJSON_GetObjectItem(rep, "secret"));
	cJSON_Delete(rep);

	/* a different secret from the provider is written, and named, not shown */
	secret_random(&other, "rotated");
	assert_int_equal(kc_desired_client(&d, "dive-v3-broker-deu", redirect, NULL), 0);
	assert_int_equal(kc_client_apply(kc, &res, hub_realm, d, &other), 0);
	assert_int_equal(res.outcome, KC_UPDATED);
	assert_non_null(strstr(res.changed, "secret"));
	assert_null(strstr(res.changed, dive_secret_reveal(&other)));
	assert_int_equal(kc_client_secret_get(kc, &got, hub_realm, "dive-v3-broker-deu"), 0);
	assert_string_equal(dive_secret_reveal(&got), dive_secret_reveal(&other));
	assert_int_equal(kc_client_apply(kc, &res, hub_realm, d, &other), 0);
	assert_int_equal(res.outcome, KC_UNCHANGED);
	cJSON_Delete(d);

	assert_int_equal(kc_client_secret_get(kc, &got, hub_realm, "no-such-client"), DIVE_ENOTFOUND);
	dive_secret_release(&got);
	dive_secret_release(&other);
	kc_close(kc);
}

/* A browser, enough of one: cookies, manual redirects, the login form. */
static size_t sink(char *p, size_t s, size_t n, void *b)
{
	return dive_buf_add(b, p, s * n) < 0 ? 0 : s * n;
}

static int browser_get(CURL *h, struct dive_buf *body, const char *url, const char *post, char **next)
{
	long status = 0;
	char *loc = NULL;

	dive_buf_reset(body);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (post)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
	else
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
	*next = loc ? strdup(loc) : NULL;
	return (int)status;
}

/*
 * Log in to the hub realm's test app through the IdP alias, as user of the
 * spoke realm.  Returns 1 when the app receives an authorization code.
 */
static int federated_login(const char *alias, const char *user, const char *password)
{
	CURL *h = curl_easy_init();
	struct dive_buf body;
	char url[1024], form[256], action[1024];
	char *next = NULL, *a, *e;
	int status, hops, ok = 0;
	size_t i, j;

	dive_buf_init(&body, 1 << 20);
	curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	snprintf(url, sizeof(url),
		 "%s/realms/%s/protocol/openid-connect/auth?client_id=itest-app&response_type=code&scope=openid"
		 "&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fcb&kc_idp_hint=%s",
		 itest_env("DIVE_KEYCLOAK_URL"), hub_realm, alias);
	status = browser_get(h, &body, url, NULL, &next);
	for (hops = 0; status / 100 == 3 && next && hops < 10; hops++) {
		snprintf(url, sizeof(url), "%s", next);
		free(next);
		status = browser_get(h, &body, url, NULL, &next);
	}
	free(next);
	next = NULL;
	/* the spoke's login form */
	a = strstr(dive_buf_str(&body), "action=\"");
	if (status != 200 || !a)
		goto out;
	a += 8;
	e = strchr(a, '"');
	for (i = 0, j = 0; a + i < e && j + 1 < sizeof(action); i++) {
		if (!strncmp(a + i, "&amp;", 5)) {
			action[j++] = '&';
			i += 4;
		} else {
			action[j++] = a[i];
		}
	}
	action[j] = '\0';
	snprintf(form, sizeof(form), "username=%s&password=%s", user, password);
	status = browser_get(h, &body, action, form, &next);
	for (hops = 0; status / 100 == 3 && next && hops < 10; hops++) {
		if (!strncmp(next, "http://127.0.0.1:9/cb", 21)) {
			ok = strstr(next, "code=") != NULL;
			break;
		}
		snprintf(url, sizeof(url), "%s", next);
		free(next);
		status = browser_get(h, &body, url, NULL, &next);
	}
out:
	free(next);
	dive_buf_release(&body);
	curl_easy_cleanup(h);
	return ok;
}

static void keycloak__federated_login_works_through_the_idp_dive_built(void **state)
{
	struct dive_secret fresh = DIVE_SECRET_INIT;
	struct kc *kc = admin_login();
	struct kc_result res;
	cJSON *user, *cred, *creds, *app, *users = NULL, *attrs, *v;
	char path[256], user_name[64];

	/* a test app in the hub and a user in the spoke (test scaffolding, raw API) */
	app = cJSON_Parse("{\"clientId\":\"itest-app\",\"publicClient\":true,\"standardFlowEnabled\":true,"
			  "\"redirectUris\":[\"http://127.0.0.1:9/cb\"]}");
	snprintf(path, sizeof(path), "/realms/%s/clients", hub_realm);
	assert_int_equal(kc_admin(kc, NULL, "POST", path, app), 0);
	cJSON_Delete(app);
	/* Keycloak 26 drops attributes a realm's user profile does not declare */
	snprintf(path, sizeof(path), "/realms/%s/users/profile", spoke_realm);
	{
		cJSON *up = NULL;

		assert_int_equal(kc_admin(kc, &up, "GET", path, NULL), 0);
		cJSON_DeleteItemFromObject(up, "unmanagedAttributePolicy");
		cJSON_AddStringToObject(up, "unmanagedAttributePolicy", "ENABLED");
		assert_int_equal(kc_admin(kc, NULL, "PUT", path, up), 0);
		snprintf(path, sizeof(path), "/realms/%s/users/profile", hub_realm);
		assert_int_equal(kc_admin(kc, NULL, "PUT", path, up), 0);
		cJSON_Delete(up);
	}
	snprintf(user_name, sizeof(user_name), "alice-%d", (int)getpid());
	user = cJSON_CreateObject();
	cJSON_AddStringToObject(user, "username", user_name);
	cJSON_AddStringToObject(user, "email", "alice@deu.example");
	cJSON_AddStringToObject(user, "firstName", "Alice");
	cJSON_AddStringToObject(user, "lastName", "Test");
	cJSON_AddBoolToObject(user, "enabled", 1);
	cJSON_AddBoolToObject(user, "emailVerified", 1);
	attrs = cJSON_AddObjectToObject(user, "attributes");
	cJSON_AddItemToObject(attrs, "clearance", cJSON_CreateStringArray((const char *[]){ "SECRET" }, 1));
	cJSON_AddItemToObject(attrs, "countryOfAffiliation", cJSON_CreateStringArray((const char *[]){ "DEU" }, 1));
	creds = cJSON_AddArrayToObject(user, "credentials");
	cred = cJSON_CreateObject();
	cJSON_AddStringToObject(cred, "type", "password");
	cJSON_AddStringToObject(cred, "value", "alice-pw-4e1b");
	cJSON_AddBoolToObject(cred, "temporary", 0);
	cJSON_AddItemToArray(creds, cred);
	snprintf(path, sizeof(path), "/realms/%s/users", spoke_realm);
	assert_int_equal(kc_admin(kc, NULL, "POST", path, user), 0);
	cJSON_Delete(user);

	/* signature validated through JWKS, secret and PKCE accepted: a code */
	assert_true(federated_login("deu-idp", user_name, "alice-pw-4e1b"));

	/* the DIVE attributes crossed over through the mappers */
	snprintf(path, sizeof(path), "/realms/%s/users?briefRepresentation=false&username=%s", hub_realm,
		 user_name);
	assert_int_equal(kc_admin(kc, &users, "GET", path, NULL), 0);
	assert_int_equal(cJSON_GetArraySize(users), 1);
	attrs = cJSON_GetObjectItem(cJSON_GetArrayItem(users, 0), "attributes");
	v = cJSON_GetArrayItem(cJSON_GetObjectItem(attrs, "clearance"), 0);
	assert_non_null(v);
	assert_string_equal(v->valuestring, "SECRET");
	cJSON_Delete(users);

	/* a new spoke client secret breaks the login until the IdP gets it */
	assert_int_equal(kc_client_secret_regenerate(kc, &fresh, spoke_realm, "dive-v3-broker-usa"), 0);
	assert_false(federated_login("deu-idp", user_name, "alice-pw-4e1b"));
	assert_int_equal(kc_idp_set_secret(kc, &res, hub_realm, "deu-idp", &fresh), 0);
	assert_int_equal(res.outcome, KC_UPDATED);
	assert_true(federated_login("deu-idp", user_name, "alice-pw-4e1b"));
	dive_secret_release(&fresh);
	kc_close(kc);
}

static void keycloak__disabling_and_deleting_are_idempotent(void **state)
{
	struct kc *kc = admin_login();
	struct kc_result res;
	cJSON *live = NULL;

	assert_int_equal(kc_idp_set_enabled(kc, &res, spoke_realm, "usa-idp", 0), 0);
	assert_int_equal(res.outcome, KC_UPDATED);
	assert_int_equal(kc_idp_set_enabled(kc, &res, spoke_realm, "usa-idp", 0), 0);
	assert_int_equal(res.outcome, KC_UNCHANGED);
	assert_int_equal(kc_idp_get(kc, &live, spoke_realm, "usa-idp"), 0);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(live, "enabled")));
	cJSON_Delete(live);

	assert_int_equal(kc_idp_delete(kc, &res, spoke_realm, "usa-idp"), 0);
	assert_int_equal(res.outcome, KC_DELETED);
	assert_int_equal(kc_idp_delete(kc, &res, spoke_realm, "usa-idp"), 0);
	assert_int_equal(res.outcome, KC_UNCHANGED);
	assert_int_equal(kc_idp_get(kc, &live, spoke_realm, "usa-idp"), DIVE_ENOTFOUND);
	assert_int_equal(kc_idp_set_enabled(kc, &res, spoke_realm, "usa-idp", 1), DIVE_ENOTFOUND);
	assert_int_equal(kc_client_delete(kc, &res, spoke_realm, "dive-v3-broker-usa"), 0);
	assert_int_equal(res.outcome, KC_DELETED);
	assert_int_equal(kc_client_delete(kc, &res, spoke_realm, "dive-v3-broker-usa"), 0);
	assert_int_equal(res.outcome, KC_UNCHANGED);
	kc_close(kc);
}

static void keycloak__client_credentials_token_is_refreshed(void **state)
{
	struct dive_secret secret = DIVE_SECRET_INIT;
	struct kc *kc = admin_login(), *svc = NULL;
	struct kc_result res;
	cJSON *d, *sa = NULL, *role = NULL, *roles, *names = NULL;
	char path[256];

	/* a confidential client in master whose service account is an admin */
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "clientId", admin_client);
	cJSON_AddBoolToObject(d, "publicClient", 0);
	cJSON_AddBoolToObject(d, "serviceAccountsEnabled", 1);
	cJSON_AddBoolToObject(d, "standardFlowEnabled", 0);
	cJSON_AddBoolToObject(d, "directAccessGrantsEnabled", 0);
	secret_random(&secret, "admin");
	assert_int_equal(kc_client_apply(kc, &res, "master", d, &secret), 0);
	assert_int_equal(res.outcome, KC_CREATED);
	cJSON_Delete(d);
	assert_int_equal(kc_client_find(kc, &d, "master", admin_client), 0);
	snprintf(path, sizeof(path), "/realms/master/clients/%s/service-account-user",
		 cJSON_GetObjectItem(d, "id")->valuestring);
	cJSON_Delete(d);
	assert_int_equal(kc_admin(kc, &sa, "GET", path, NULL), 0);
	assert_int_equal(kc_admin(kc, &role, "GET", "/realms/master/roles/admin", NULL), 0);
	roles = cJSON_CreateArray();
	cJSON_AddItemToArray(roles, role);
	snprintf(path, sizeof(path), "/realms/master/users/%s/role-mappings/realm",
		 cJSON_GetObjectItem(sa, "id")->valuestring);
	assert_int_equal(kc_admin(kc, NULL, "POST", path, roles), 0);
	cJSON_Delete(roles);
	cJSON_Delete(sa);

	assert_int_equal(kc_open(&svc, itest_env("DIVE_KEYCLOAK_URL"), &counter.t), 0);
	counter_reset();
	assert_int_equal(kc_login_client(svc, admin_client, &secret), 0);
	assert_int_equal(counter.token, 1);
	assert_int_equal(kc_realm_names(svc, &names), 0);
	cJSON_Delete(names);
	assert_int_equal(counter.token, 1);

	/* near its expiry the token is replaced before the call */
	svc->token_expires = 0;
	assert_int_equal(kc_realm_names(svc, &names), 0);
	cJSON_Delete(names);
	assert_int_equal(counter.token, 2);

	/* a token Keycloak refuses (401) is replaced once and the call repeated */
	dive_secret_set(&svc->token, "not-a-token");
	assert_int_equal(kc_realm_names(svc, &names), 0);
	cJSON_Delete(names);
	assert_int_equal(counter.token, 3);

	/* a wrong client secret is refused without being echoed */
	dive_secret_set(&secret, "wrong-secret-2b7d");
	assert_int_equal(kc_login_client(svc, admin_client, &secret), DIVE_EUSAGE);
	assert_null(strstr(dive_error_last(), "wrong-secret-2b7d"));
	dive_secret_release(&secret);
	kc_close(svc);
	kc_close(kc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keycloak__admin_token_lists_the_master_realm),
		cmocka_unit_test(keycloak__wrong_password_is_refused_without_echoing_it),
		cmocka_unit_test(keycloak__configuration_is_created_once_then_unchanged),
		cmocka_unit_test(keycloak__idp_validates_signatures_through_jwks),
		cmocka_unit_test(keycloak__a_changed_field_is_put_once_and_others_are_kept),
		cmocka_unit_test(keycloak__wildcard_redirect_is_refused_before_any_call),
		cmocka_unit_test(keycloak__client_secret_is_compared_and_kept_apart),
		cmocka_unit_test(keycloak__federated_login_works_through_the_idp_dive_built),
		cmocka_unit_test(keycloak__disabling_and_deleting_are_idempotent),
		cmocka_unit_test(keycloak__client_credentials_token_is_refreshed),
	};

	return cmocka_run_group_tests_name("keycloak", tests, setup, teardown);
}
