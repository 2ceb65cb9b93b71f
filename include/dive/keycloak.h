/*
 * keycloak.h - Keycloak admin REST client (libcurl + cJSON).
 *
 * Session.  kc_open() takes the base URL (e.g. http://127.0.0.1:8080) and a
 * transport (NULL: libcurl; tests pass a fake).  kc_login() gets an admin
 * token on the master realm with the password grant of admin-cli,
 * kc_login_client() with the client_credentials grant of a confidential
 * client whose service account has the admin role.  The credentials are
 * secrets: they go into the form body and nowhere else, and are kept (as
 * struct dive_secret) only to get a new token.  Every admin call first gets
 * a new token when the current one is within a quarter of its life (at most
 * 15 s) of expiring, and gets one more and repeats the call once if Keycloak
 * answers 401 (a token revoked or a server restarted: the call was not
 * processed, so repeating it is safe).  A struct kc is not thread-safe.
 *
 * Calls are single attempts: they never retry or sleep, so the caller wraps
 * them in its retry policy and circuit breaker (retry_run() with
 * RETRY_KEYCLOAK).  kc->last_status is the HTTP status of the last exchange
 * (0 when none was received), for retry_is_retryable().  Every function is
 * safe to repeat: a create that finds the object made by someone else (409,
 * or 400 for a mapper name Keycloak 26 already has) reads it back and diffs.
 *
 * Create-or-update.  The *_apply() functions take a desired representation
 * (cJSON) holding only the fields dive manages: a field absent from desired
 * is not managed and is left as it is.  They GET the object, compare the
 * managed fields (kc_rep_diff()), POST when it is absent, PUT only when a
 * managed field differs, and say what they did in a struct kc_result.
 * A desired representation never holds a secret, so it can be printed
 * (--dry-run, --json); secrets travel as struct dive_secret and are copied
 * into the request body only, which is wiped after the call.
 *
 * Errors: as http.h (DIVE_EUNAVAIL, DIVE_ETIMEOUT with code
 * ERRC_KEYCLOAK_UNREACHABLE), plus DIVE_EUSAGE for 401/403 after a new token
 * (ERRC_KEYCLOAK_AUTH_FAILED) and for bad arguments, DIVE_ENOTFOUND for 404,
 * DIVE_ECONFLICT for 409, DIVE_EFAIL otherwise with Keycloak's own message
 * (bounded, never a secret).  Object functions attach ERRC_REALM_CREATE,
 * ERRC_CLIENT_CREATE, ERRC_IDP_CREATE, ERRC_PROTOCOL_MAPPERS,
 * ERRC_CLIENT_SECRET or ERRC_KEYCLOAK_CONFIG where the failure is theirs.
 *
 * Files: keycloak.c (session, kc_admin), kc_diff.c (pure diff and merge),
 * kc_apply.c (the create-or-update loop), kc_realm.c, kc_client.c, kc_idp.c
 * (objects), kc_desired.c (builders).  To manage a new kind of object, add a
 * struct kc_kind in its file (see src/client/kc_internal.h) and its
 * functions here.
 */
#ifndef DIVE_KEYCLOAK_H
#define DIVE_KEYCLOAK_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "dive/http.h"
#include "dive/secret.h"

enum kc_grant {
	KC_GRANT_PASSWORD,      /* admin-cli with a user and password */
	KC_GRANT_CLIENT,        /* client_credentials of a confidential client */
};

/*
 * Guarding.  Each admin call (kc_admin and everything built on it) is one
 * attempt handed to kc->guard.run when a guard is set (kc_set_guard()):
 * the engine runs it under the keycloak retry class and through the
 * breaker keycloak:<code>.  A 409 ("already exists") carries
 * ERRC_KEYCLOAK_CONFIG, so it is an answer and not retried.  Token
 * requests are not guarded here (the login is, by its caller).
 */
typedef int (*kc_attempt_fn)(void *arg, long *http_status, int *code);

struct kc_guard {
	int (*run)(void *data, kc_attempt_fn op, void *arg);
	void *data;
};

struct kc {
	struct kc_guard guard;         /* zero: one attempt per call */
	struct http_transport *transport;
	char *base;
	struct dive_secret user;       /* password grant: the user; client grant: unset */
	struct dive_secret password;   /* password grant: the password; client grant: the client secret */
	struct dive_secret token;
	time_t token_expires;          /* CLOCK_MONOTONIC seconds */
	long timeout_ms;
	enum kc_grant grant;
	char *client_id;               /* "admin-cli", or the client of the client grant */
	long token_life;               /* seconds the last token was valid for */
	long last_status;              /* HTTP status of the last exchange, 0 if none */
};

int kc_open(struct kc **out, const char *base_url, struct http_transport *t);
void kc_close(struct kc *kc);
/* Install (g not NULL) or remove the guard. */
void kc_set_guard(struct kc *kc, const struct kc_guard *g);

/* Password grant on master/admin-cli; keeps user and password for refresh. */
int kc_login(struct kc *kc, const char *user, const char *password);
/* client_credentials grant on master; keeps the client secret for refresh. */
int kc_login_client(struct kc *kc, const char *client_id, const struct dive_secret *secret);

/* One admin call: path below /admin (e.g. "/realms"); body may be NULL. */
int kc_admin(struct kc *kc, cJSON **out, const char *method, const char *path, const cJSON *body);

/* GET /admin/realms -> array of realm names (caller frees with cJSON_Delete). */
int kc_realm_names(struct kc *kc, cJSON **out);

/* What an apply or delete did to one object. */
enum kc_outcome {
	KC_UNCHANGED,   /* every managed field already had its desired value (or: nothing to delete) */
	KC_CREATED,
	KC_UPDATED,     /* one PUT (or mapper duplicates removed) */
	KC_DELETED,
	KC_OUTCOME__COUNT
};

#define KC_CHANGED_MAX 160

struct kc_result {
	enum kc_outcome outcome;
	/* KC_UPDATED: the managed fields that differed, "config.syncMode, enabled"
	 * ("..." when cut); names only, never values. */
	char changed[KC_CHANGED_MAX];
};

/* "unchanged", "created", "updated", "deleted". */
const char *kc_outcome_name(enum kc_outcome o);

/*
 * Pure comparison (kc_diff.c).  kc_rep_diff() counts the fields managed by
 * desired whose live value differs and names them in changed (may be NULL):
 *  - an object is compared key by key, recursively: only desired's keys count
 *    (a "config" or "attributes" map is merged, never replaced);
 *  - an array of scalars is compared as a set (Keycloak keeps redirect URIs
 *    and web origins in sets and reorders them); other arrays in order;
 *  - scalars by their text: "true" equals true, "60" equals 60 (Keycloak keeps
 *    an IdP's or a client's config and attributes as strings);
 *  - a live value Keycloak masks ("**********") is write-only and never
 *    compared.
 * kc_rep_merge() returns a new object: live with desired's managed fields
 * written over it (maps merged key by key), the body of a PUT that keeps
 * every field dive does not manage.
 */
int kc_rep_diff(const cJSON *live, const cJSON *desired, char *changed, size_t n);
cJSON *kc_rep_merge(const cJSON *live, const cJSON *desired);
/* Zero every string in j, then free it (for anything that held a secret). */
void kc_json_wipe_delete(cJSON *j);

/*
 * Realms.  desired must hold "realm"; an existing realm is updated with a
 * PUT of desired's managed fields only (Keycloak leaves the others alone).
 * Deleting a realm that does not exist is KC_UNCHANGED.
 */
int kc_realm_get(struct kc *kc, cJSON **out, const char *realm);
int kc_realm_apply(struct kc *kc, struct kc_result *res, const cJSON *desired);
int kc_realm_delete(struct kc *kc, struct kc_result *res, const char *realm);

/*
 * Clients, found by clientId (desired must hold "clientId").  The
 * representation returned by kc_client_find() never holds the client's
 * secret (it is removed and wiped).  kc_client_apply(): secret NULL lets
 * Keycloak generate one on create and leaves an existing one alone; a secret
 * is set on create and compared (Keycloak reveals client secrets to admins)
 * and replaced when it differs, reported as the field "secret".
 * kc_client_secret_get() and _regenerate() hand the secret out as a struct
 * dive_secret (release it with dive_secret_release()).
 */
int kc_client_find(struct kc *kc, cJSON **out, const char *realm, const char *client_id);
int kc_client_apply(struct kc *kc, struct kc_result *res, const char *realm, const cJSON *desired,
		    const struct dive_secret *secret);
int kc_client_delete(struct kc *kc, struct kc_result *res, const char *realm, const char *client_id);
int kc_client_secret_get(struct kc *kc, struct dive_secret *out, const char *realm, const char *client_id);
int kc_client_secret_regenerate(struct kc *kc, struct dive_secret *out, const char *realm,
				const char *client_id);
/* Protocol mappers of a client, by name: created when absent, updated by diff,
 * duplicates of the name removed. */
int kc_client_mapper_apply(struct kc *kc, struct kc_result *res, const char *realm, const char *client_id,
			   const cJSON *desired);

/*
 * Identity providers under /admin/realms/{realm}/identity-provider/instances
 * (desired must hold "alias").  Keycloak never reveals an IdP's client
 * secret (a GET shows "**********"), so it cannot be compared: secret is
 * written on create; an update that PUTs for another field keeps the stored
 * one (Keycloak keeps it when it receives the mask back).  To change it, call
 * kc_idp_set_secret(), which always writes (KC_UPDATED).  kc_idp_list()
 * returns the array of representations; kc_idp_set_enabled() fails with
 * DIVE_ENOTFOUND when the IdP does not exist.
 */
int kc_idp_get(struct kc *kc, cJSON **out, const char *realm, const char *alias);
int kc_idp_list(struct kc *kc, cJSON **out, const char *realm);
int kc_idp_apply(struct kc *kc, struct kc_result *res, const char *realm, const cJSON *desired,
		 const struct dive_secret *secret);
int kc_idp_set_enabled(struct kc *kc, struct kc_result *res, const char *realm, const char *alias, int enabled);
int kc_idp_set_secret(struct kc *kc, struct kc_result *res, const char *realm, const char *alias,
		      const struct dive_secret *secret);
int kc_idp_delete(struct kc *kc, struct kc_result *res, const char *realm, const char *alias);

/* Mappers of an IdP (desired must hold "name"): created only when no mapper
 * has that name, updated by diff; extra mappers with the same name (left by
 * blind POSTs) are deleted and the result is KC_UPDATED. */
int kc_idp_mappers(struct kc *kc, cJSON **out, const char *realm, const char *alias);
int kc_idp_mapper_apply(struct kc *kc, struct kc_result *res, const char *realm, const char *alias,
			const cJSON *desired);

/*
 * Users, found by username (kc_user.c).  desired holds the managed fields
 * (kc_desired_user()); kc_user_apply() creates the user or updates the
 * fields that differ, then sets the password (write-only in Keycloak, so it
 * is set every time: the provider's value is the one in force; it is not
 * reported as a change).  kc_user_profile_apply() declares the DIVE
 * attributes (kc_dive_attribute_at()) in the realm's user profile, which
 * Keycloak 26 needs before it keeps them on a user or an IdP mapper writes
 * them: viewable by admin and user, editable by admin, acpCOI multivalued.
 */
int kc_user_apply(struct kc *kc, struct kc_result *res, const char *realm, const cJSON *desired,
		  const struct dive_secret *password);
int kc_user_delete(struct kc *kc, struct kc_result *res, const char *realm, const char *username);
int kc_user_profile_apply(struct kc *kc, struct kc_result *res, const char *realm);

/* The DIVE attributes of a user, as kc_desired_user() sets them (NULL: not set). */
struct kc_user_attrs {
	const char *clearance;              /* "SECRET" */
	const char *country;                /* countryOfAffiliation: "DEU" */
	const char *unique_id;              /* uniqueID */
	const char *coi;                    /* acpCOI, one community */
};

/*
 * Desired representations (kc_desired.c).  They validate their input and
 * return DIVE_EUSAGE with one line naming the bad argument.  URLs must be
 * absolute http(s) without whitespace, at most 1024 bytes; names at most 64
 * bytes of [A-Za-z0-9._-].
 *
 * kc_desired_realm: enabled, displayName (display may be NULL), sslRequired
 *   "external".
 * kc_desired_oidc_idp: an OpenID Connect IdP for the realm at issuer_base_url
 *   (".../realms/<realm>" of the other Keycloak, as its tokens' "iss"):
 *   validateSignature and useJwksUrl "true", jwksUrl, authorizationUrl,
 *   tokenUrl, logoutUrl, userInfoUrl derived from it (browser URLs from
 *   issuer_base_url; the token, userinfo and JWKS calls Keycloak makes itself
 *   from backchannel_base_url when not NULL, e.g. the container's internal
 *   address), issuer, clientId, client_secret_post, PKCE S256, the given
 *   syncMode ("FORCE", "IMPORT" or "LEGACY"; NULL: "FORCE").  The client
 *   secret is passed to kc_idp_apply().
 * kc_desired_client: a confidential OpenID Connect client with the standard
 *   flow only (no implicit, no direct grants, no service account), PKCE
 *   S256, explicit redirect URIs and web origins (NULL-terminated arrays; at
 *   least one redirect URI; web_origins may be NULL).  Any '*' in a redirect
 *   URI or web origin is refused: "no wildcard redirect URIs".
 * kc_desired_idp_mappers: an array with one oidc-user-attribute-idp-mapper
 *   per DIVE attribute (claim -> user attribute of the same name).
 * kc_desired_client_mappers: an array with one oidc-usermodel-attribute-mapper
 *   per DIVE attribute, so the tokens a federation client receives carry them.
 * kc_desired_user: an enabled user with a verified email, first and last
 *   name (a complete profile: a first broker login asks nothing) and the DIVE
 *   attributes given.
 */
int kc_desired_user(cJSON **out, const char *username, const char *email, const char *first, const char *last,
		    const struct kc_user_attrs *attrs);
int kc_desired_realm(cJSON **out, const char *realm, const char *display);
int kc_desired_oidc_idp(cJSON **out, const char *alias, const char *display, const char *issuer_base_url,
			const char *backchannel_base_url, const char *client_id, const char *sync_mode);
int kc_desired_client(cJSON **out, const char *client_id, const char *const *redirect_uris,
		      const char *const *web_origins);
int kc_desired_idp_mappers(cJSON **out, const char *alias);
int kc_desired_client_mappers(cJSON **out);

/* The DIVE user attributes carried across the federation, as data. */
struct kc_dive_attribute {
	const char *name;        /* user attribute and mapper name: "clearance" */
	const char *claim;       /* token claim: "clearance" */
	int multivalued;         /* acpCOI is a list */
};

size_t kc_dive_attribute_count(void);
const struct kc_dive_attribute *kc_dive_attribute_at(size_t i);

#endif
