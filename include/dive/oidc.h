/*
 * oidc.h - an OpenID Connect login walked as a browser walks it.
 *
 * oidc_login() is what a user's browser and an application do together,
 * with dive's own HTTP (libcurl, its cookie engine, redirects followed one
 * at a time): discovery at the issuer; the authorization request with PKCE
 * (S256), state and nonce, and kc_idp_hint when the login goes through an
 * identity provider; every redirect to the other Keycloak and back; the
 * login form of whichever realm asks for the credentials, filled and posted;
 * the broker callback; the redirect to the client's redirect URI, taken but
 * never followed; the code exchanged at the token endpoint with the
 * verifier and the client's secret; the ID token's RS256 signature checked
 * against the issuer's JWKS (jwt.h), and its iss, aud, nonce and exp.
 *
 * A login that does not end with a verified ID token fails at a named step
 * (enum oidc_step), with the HTTP status and the page's own words (its
 * <title> and Keycloak's error text), so a verification can say where a
 * federation is broken: "federated login through 'deu-idp' failed at the
 * broker callback: HTTP 502".  A page that stops the user (a profile review
 * on first broker login, a terms page) is a failure too: nothing a real user
 * would have to click through counts as working.
 *
 * Secrets: the password and the client secret go into request bodies only
 * (wiped after); URLs in messages lose their query strings (codes, state);
 * nothing returned holds a secret except the claims, which are not secret.
 * Bounded: at most OIDC_MAX_HOPS requests, each body at most 1 MiB, one
 * deadline for the whole login.
 */
#ifndef DIVE_OIDC_H
#define DIVE_OIDC_H

#include <cjson/cJSON.h>

#include "dive/secret.h"

#define OIDC_MAX_HOPS 30

enum oidc_step {
	OIDC_STEP_NONE,           /* no failure */
	OIDC_STEP_DISCOVERY,      /* the issuer's .well-known/openid-configuration */
	OIDC_STEP_AUTHORIZE,      /* the authorization request and its redirects */
	OIDC_STEP_LOGIN_FORM,     /* no login form where one was expected */
	OIDC_STEP_CREDENTIALS,    /* the login form refused the user and password */
	OIDC_STEP_BROKER,         /* the broker callback (identity provider -> this realm) */
	OIDC_STEP_INTERACTION,    /* a page that stops the user (review profile, terms, ...) */
	OIDC_STEP_REDIRECT,       /* the redirect URI came back with an error or a bad state */
	OIDC_STEP_TOKEN,          /* the code exchange */
	OIDC_STEP_ID_TOKEN,       /* the ID token: signature, issuer, audience, nonce, expiry */
	OIDC_STEP__COUNT
};

const char *oidc_step_name(enum oidc_step s);

struct oidc_login_opts {
	const char *issuer;                     /* public ".../realms/<realm>" of the realm logged in to */
	const char *client_id;
	const struct dive_secret *client_secret; /* NULL: a public client */
	const char *redirect_uri;               /* registered for the client; taken, never followed */
	const char *idp_hint;                   /* kc_idp_hint (an IdP alias), or NULL */
	const char *username;
	const struct dive_secret *password;
	long timeout_ms;                        /* the whole login; 0: 30 s */
};

struct oidc_login_result {
	enum oidc_step failed;   /* OIDC_STEP_NONE on success */
	long status;             /* HTTP status where it failed, 0 if none */
	int hops;                /* requests made */
	cJSON *claims;           /* the verified ID token's claims (owned), NULL on failure */
	char idp_host[128];      /* host:port of the login form that took the credentials */
};

/*
 * 0 with out->claims set, or a DIVE_E* code with out->failed and the
 * message set: DIVE_EUSAGE for bad options, DIVE_EUNAVAIL/DIVE_ETIMEOUT
 * when a server does not answer, DIVE_EFAIL when the flow itself fails.
 */
int oidc_login(struct oidc_login_result *out, const struct oidc_login_opts *o);
void oidc_login_result_release(struct oidc_login_result *r);

/* An HTML form, enough of one for a login page (pure; for tests too). */
#define OIDC_FORM_FIELDS 16
struct oidc_form {
	char action[2048];               /* entity-decoded */
	int has_password;                /* an <input type="password"> */
	int nfields;
	struct {
		char name[64];
		char value[512];
	} hidden[OIDC_FORM_FIELDS];      /* type="hidden" inputs, in order */
};

/* The first form with a password field, else the first form: 1 found, 0 none. */
int oidc_form_parse(struct oidc_form *out, const char *html);
/* The page's <title> and Keycloak's error text, as one short line (no markup). */
void oidc_page_words(char *out, size_t n, const char *html);

#endif
