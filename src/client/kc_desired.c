/* kc_desired.c - desired representations of what dive manages in Keycloak (see keycloak.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/keycloak.h"
#include "dive/xalloc.h"

#define URL_MAX 1024
#define NAME_MAX_ 64
#define DISPLAY_MAX 128
#define URIS_MAX 32

/* The attributes a DIVE token carries across the federation. */
static const struct kc_dive_attribute dive_attributes[] = {
	{ "clearance", "clearance", 0 },
	{ "countryOfAffiliation", "countryOfAffiliation", 0 },
	{ "uniqueID", "uniqueID", 0 },
	{ "acpCOI", "acpCOI", 1 },
};

size_t kc_dive_attribute_count(void)
{
	return sizeof(dive_attributes) / sizeof(dive_attributes[0]);
}

const struct kc_dive_attribute *kc_dive_attribute_at(size_t i)
{
	return i < kc_dive_attribute_count() ? &dive_attributes[i] : NULL;
}

static int check_name(const char *what, const char *s)
{
	size_t i, n;

	if (!s || !s[0])
		return dive_error_set(DIVE_EUSAGE, "no %s", what);
	n = strlen(s);
	if (n > NAME_MAX_)
		return dive_error_set(DIVE_EUSAGE, "%s is longer than %d bytes", what, NAME_MAX_);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return dive_error_set(DIVE_EUSAGE, "%s '%.64s' may hold only letters, digits, '.', '_' and '-'",
					      what, s);
	}
	return 0;
}

static int check_text(const char *what, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n > DISPLAY_MAX)
		return dive_error_set(DIVE_EUSAGE, "%s is longer than %d bytes", what, DISPLAY_MAX);
	for (i = 0; i < n; i++) {
		if (!isprint((unsigned char)s[i]))
			return dive_error_set(DIVE_EUSAGE, "%s has a non-printable byte", what);
	}
	return 0;
}

/* An absolute http(s) URL without whitespace; wildcards are refused by the callers that care. */
static int check_url(const char *what, const char *s)
{
	size_t i, n;

	if (!s || !s[0])
		return dive_error_set(DIVE_EUSAGE, "no %s", what);
	n = strlen(s);
	if (n > URL_MAX)
		return dive_error_set(DIVE_EUSAGE, "%s is longer than %d bytes", what, URL_MAX);
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return dive_error_set(DIVE_EUSAGE, "%s '%.128s' must start with http:// or https://", what, s);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 127)
			return dive_error_set(DIVE_EUSAGE, "%s '%.128s' has whitespace or a non-ASCII byte", what, s);
	}
	return 0;
}

/* s without its trailing slashes (caller frees). */
static char *trim_slash(const char *s)
{
	size_t n = strlen(s);

	while (n > 8 && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

int kc_desired_realm(cJSON **out, const char *realm, const char *display)
{
	cJSON *r;
	int rc;

	*out = NULL;
	if ((rc = check_name("realm name", realm)) < 0 || (rc = check_text("realm display name", display)) < 0)
		return rc;
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "realm", realm);
	cJSON_AddBoolToObject(r, "enabled", 1);
	if (display && display[0])
		cJSON_AddStringToObject(r, "displayName", display);
	cJSON_AddStringToObject(r, "sslRequired", "external");
	*out = r;
	return 0;
}

static void add_url(cJSON *config, const char *key, const char *base, const char *suffix)
{
	char *u = xasprintf("%s%s", base, suffix);

	cJSON_AddStringToObject(config, key, u);
	free(u);
}

int kc_desired_oidc_idp(cJSON **out, const char *alias, const char *display, const char *issuer_base_url,
			const char *backchannel_base_url, const char *client_id, const char *sync_mode)
{
	static const char *const modes[] = { "FORCE", "IMPORT", "LEGACY" };
	char *base = NULL, *back = NULL;
	cJSON *idp, *config;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = check_name("identity provider alias", alias)) < 0 ||
	    (rc = check_text("identity provider display name", display)) < 0 ||
	    (rc = check_url("issuer URL", issuer_base_url)) < 0 ||
	    (backchannel_base_url && (rc = check_url("back-channel URL", backchannel_base_url)) < 0) ||
	    (rc = check_name("identity provider client id", client_id)) < 0)
		return rc;
	if (strchr(issuer_base_url, '*') || (backchannel_base_url && strchr(backchannel_base_url, '*')))
		return dive_error_set(DIVE_EUSAGE, "identity provider URLs may not hold a wildcard");
	if (!sync_mode)
		sync_mode = "FORCE";
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]) && strcmp(modes[i], sync_mode); i++)
		;
	if (i == sizeof(modes) / sizeof(modes[0]))
		return dive_error_set(DIVE_EUSAGE, "sync mode '%.32s' is not FORCE, IMPORT or LEGACY", sync_mode);

	base = trim_slash(issuer_base_url);
	back = trim_slash(backchannel_base_url ? backchannel_base_url : issuer_base_url);
	idp = cJSON_CreateObject();
	cJSON_AddStringToObject(idp, "alias", alias);
	if (display && display[0])
		cJSON_AddStringToObject(idp, "displayName", display);
	cJSON_AddStringToObject(idp, "providerId", "oidc");
	cJSON_AddBoolToObject(idp, "enabled", 1);
	cJSON_AddBoolToObject(idp, "trustEmail", 0);
	cJSON_AddBoolToObject(idp, "storeToken", 0);
	config = cJSON_AddObjectToObject(idp, "config");
	/* Keycloak keeps config values as strings */
	cJSON_AddStringToObject(config, "validateSignature", "true");
	cJSON_AddStringToObject(config, "useJwksUrl", "true");
	add_url(config, "jwksUrl", back, "/protocol/openid-connect/certs");
	add_url(config, "authorizationUrl", base, "/protocol/openid-connect/auth");
	add_url(config, "tokenUrl", back, "/protocol/openid-connect/token");
	add_url(config, "logoutUrl", base, "/protocol/openid-connect/logout");
	add_url(config, "userInfoUrl", back, "/protocol/openid-connect/userinfo");
	cJSON_AddStringToObject(config, "issuer", base);
	cJSON_AddStringToObject(config, "clientId", client_id);
	cJSON_AddStringToObject(config, "clientAuthMethod", "client_secret_post");
	cJSON_AddStringToObject(config, "pkceEnabled", "true");
	cJSON_AddStringToObject(config, "pkceMethod", "S256");
	cJSON_AddStringToObject(config, "defaultScope", "openid profile email");
	cJSON_AddStringToObject(config, "syncMode", sync_mode);
	free(base);
	free(back);
	*out = idp;
	return 0;
}

static int add_uris(cJSON *client, const char *key, const char *what, const char *const *uris, int required)
{
	cJSON *arr = cJSON_AddArrayToObject(client, key);
	size_t i;
	int rc;

	for (i = 0; uris && uris[i]; i++) {
		if (i == URIS_MAX)
			return dive_error_set(DIVE_EUSAGE, "more than %d %s", URIS_MAX, what);
		if (strchr(uris[i], '*'))
			return dive_error_set(DIVE_EUSAGE, "no wildcard redirect URIs: %s '%.128s' holds '*'", what,
					      uris[i]);
		if ((rc = check_url(what, uris[i])) < 0)
			return rc;
		cJSON_AddItemToArray(arr, cJSON_CreateString(uris[i]));
	}
	if (required && i == 0)
		return dive_error_set(DIVE_EUSAGE, "a client needs at least one explicit redirect URI");
	return 0;
}

int kc_desired_client(cJSON **out, const char *client_id, const char *const *redirect_uris,
		      const char *const *web_origins)
{
	cJSON *c, *attrs;
	int rc;

	*out = NULL;
	if ((rc = check_name("client id", client_id)) < 0)
		return rc;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "clientId", client_id);
	cJSON_AddBoolToObject(c, "enabled", 1);
	cJSON_AddStringToObject(c, "protocol", "openid-connect");
	cJSON_AddBoolToObject(c, "publicClient", 0);
	cJSON_AddBoolToObject(c, "bearerOnly", 0);
	cJSON_AddStringToObject(c, "clientAuthenticatorType", "client-secret");
	cJSON_AddBoolToObject(c, "standardFlowEnabled", 1);
	cJSON_AddBoolToObject(c, "implicitFlowEnabled", 0);
	cJSON_AddBoolToObject(c, "directAccessGrantsEnabled", 0);
	cJSON_AddBoolToObject(c, "serviceAccountsEnabled", 0);
	if ((rc = add_uris(c, "redirectUris", "redirect URI", redirect_uris, 1)) < 0 ||
	    (rc = add_uris(c, "webOrigins", "web origin", web_origins, 0)) < 0) {
		cJSON_Delete(c);
		return rc;
	}
	attrs = cJSON_AddObjectToObject(c, "attributes");
	cJSON_AddStringToObject(attrs, "pkce.code.challenge.method", "S256");
	*out = c;
	return 0;
}

int kc_desired_idp_mappers(cJSON **out, const char *alias)
{
	cJSON *arr;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = check_name("identity provider alias", alias)) < 0)
		return rc;
	arr = cJSON_CreateArray();
	for (i = 0; i < kc_dive_attribute_count(); i++) {
		const struct kc_dive_attribute *a = &dive_attributes[i];
		cJSON *m = cJSON_CreateObject(), *config;

		cJSON_AddStringToObject(m, "name", a->name);
		cJSON_AddStringToObject(m, "identityProviderAlias", alias);
		cJSON_AddStringToObject(m, "identityProviderMapper", "oidc-user-attribute-idp-mapper");
		config = cJSON_AddObjectToObject(m, "config");
		cJSON_AddStringToObject(config, "syncMode", "INHERIT");
		cJSON_AddStringToObject(config, "claim", a->claim);
		cJSON_AddStringToObject(config, "user.attribute", a->name);
		cJSON_AddItemToArray(arr, m);
	}
	*out = arr;
	return 0;
}

int kc_desired_client_mappers(cJSON **out)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < kc_dive_attribute_count(); i++) {
		const struct kc_dive_attribute *a = &dive_attributes[i];
		cJSON *m = cJSON_CreateObject(), *config;

		cJSON_AddStringToObject(m, "name", a->name);
		cJSON_AddStringToObject(m, "protocol", "openid-connect");
		cJSON_AddStringToObject(m, "protocolMapper", "oidc-usermodel-attribute-mapper");
		config = cJSON_AddObjectToObject(m, "config");
		cJSON_AddStringToObject(config, "user.attribute", a->name);
		cJSON_AddStringToObject(config, "claim.name", a->claim);
		cJSON_AddStringToObject(config, "jsonType.label", "String");
		cJSON_AddStringToObject(config, "multivalued", a->multivalued ? "true" : "false");
		cJSON_AddStringToObject(config, "id.token.claim", "true");
		cJSON_AddStringToObject(config, "access.token.claim", "true");
		cJSON_AddStringToObject(config, "userinfo.token.claim", "true");
		cJSON_AddItemToArray(arr, m);
	}
	*out = arr;
	return 0;
}

static void add_attr(cJSON *attrs, const char *name, const char *value)
{
	if (value && value[0])
		cJSON_AddItemToObject(attrs, name, cJSON_CreateStringArray(&value, 1));
}

int kc_desired_user(cJSON **out, const char *username, const char *email, const char *first, const char *last,
		    const struct kc_user_attrs *a)
{
	cJSON *u, *attrs;
	int rc;

	*out = NULL;
	if ((rc = check_name("user name", username)) < 0 || (rc = check_text("email", email)) < 0 ||
	    (rc = check_text("first name", first)) < 0 || (rc = check_text("last name", last)) < 0 ||
	    (a && ((rc = check_text("clearance", a->clearance)) < 0 || (rc = check_text("country", a->country)) < 0 ||
		   (rc = check_text("uniqueID", a->unique_id)) < 0 || (rc = check_text("acpCOI", a->coi)) < 0)))
		return rc;
	if (!email || !strchr(email, '@'))
		return dive_error_set(DIVE_EUSAGE, "user '%s' needs an email address", username);
	u = cJSON_CreateObject();
	cJSON_AddStringToObject(u, "username", username);
	cJSON_AddStringToObject(u, "email", email);
	cJSON_AddStringToObject(u, "firstName", first && first[0] ? first : username);
	cJSON_AddStringToObject(u, "lastName", last && last[0] ? last : username);
	cJSON_AddBoolToObject(u, "enabled", 1);
	cJSON_AddBoolToObject(u, "emailVerified", 1);
	attrs = cJSON_AddObjectToObject(u, "attributes");
	if (a) {
		add_attr(attrs, "clearance", a->clearance);
		add_attr(attrs, "countryOfAffiliation", a->country);
		add_attr(attrs, "uniqueID", a->unique_id);
		add_attr(attrs, "acpCOI", a->coi);
	}
	*out = u;
	return 0;
}
