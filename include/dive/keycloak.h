/*
 * keycloak.h - Keycloak admin REST client (libcurl + cJSON).
 *
 * kc_open() takes the base URL (e.g. http://127.0.0.1:8080) and a transport;
 * kc_login() gets an admin token on the master realm with the password grant
 * of admin-cli.  The credentials are secrets: they are handed to Keycloak in
 * the form body and never appear in messages.  kc_admin() performs one admin
 * API call with the bearer token, refreshing the token first when it is
 * about to expire.
 *
 * Errors: as http.h, plus DIVE_EUSAGE for 401/403 (bad credentials),
 * DIVE_ENOTFOUND for 404, DIVE_ECONFLICT for 409, DIVE_EFAIL otherwise.
 */
#ifndef DIVE_KEYCLOAK_H
#define DIVE_KEYCLOAK_H

#include <time.h>

#include <cjson/cJSON.h>

#include "dive/http.h"
#include "dive/secret.h"

struct kc {
	struct http_transport *transport;
	char *base;
	struct dive_secret user;
	struct dive_secret password;
	struct dive_secret token;
	time_t token_expires;
	long timeout_ms;
};

int kc_open(struct kc **out, const char *base_url, struct http_transport *t);
void kc_close(struct kc *kc);

/* Password grant on master/admin-cli; keeps user and password for refresh. */
int kc_login(struct kc *kc, const char *user, const char *password);

/* One admin call: path below /admin (e.g. "/realms"); body may be NULL. */
int kc_admin(struct kc *kc, cJSON **out, const char *method, const char *path, const cJSON *body);

/* GET /admin/realms -> array of realm names (caller frees with cJSON_Delete). */
int kc_realm_names(struct kc *kc, cJSON **out);

#endif
