/*
 * secrets.h - where secrets come from: a provider interface.
 *
 * Providers (DESIGN §6):
 *   file:DIR   one file per secret, DIR/<code>/secrets/<KEY> (default DIR is
 *              the instances directory), mode 0600 in a 0700 directory,
 *              written atomically; a file readable by group or others is
 *              refused, not used
 *   env        DIVE_SECRET_<CODE>_<KEY> from the environment (read-only)
 *   vault:URL[,OPTION=VALUE...]
 *              HashiCorp Vault's KV v2 API (src/client/secrets_vault.c):
 *              one secret per path, its value in the field "value".
 *              Options:
 *                mount=NAME         the KV v2 mount (default "secret")
 *                path=TEMPLATE      the path under the mount, with <code>
 *                                   (deu), <CODE> (DEU) and <KEY>; default
 *                                   "dive/<code>/<KEY>"; A-Z a-z 0-9 _ . - /
 *                auth=token         the token of token-file=FILE (mode 0600)
 *                                   or of $VAULT_TOKEN (the default)
 *                auth=approle       AppRole login: role-id=ID and
 *                                   secret-id-file=FILE (mode 0600);
 *                                   approle-mount=NAME (default "approle")
 *                ca=FILE            CA certificates for an https URL (TLS
 *                                   is always verified; no option turns
 *                                   that off)
 *                timeout=SECONDS    per request, 1-120 (default 10)
 *              http:// is accepted only for a loopback host (127.0.0.1,
 *              ::1, localhost): a token never crosses a network in clear.
 *              Errors: DIVE_ENOTFOUND when the path or its value is absent;
 *              ERRC_VAULT_DENIED (403: the token or AppRole lacks the
 *              policy, or the login was refused), ERRC_VAULT_SEALED,
 *              ERRC_VAULT_UNREACHABLE (refused, timed out, 5xx),
 *              ERRC_VAULT_TLS (the certificate cannot be verified).
 *              Messages name the path and the server, never a value or
 *              a token.  Example:
 *                DIVE_SECRETS='vault:https://vault.example:8200,ca=/etc/dive/ca.pem,auth=approle,role-id=dive,secret-id-file=/etc/dive/secret-id'
 * Room for others (cloud secret managers): a struct of functions.
 *
 * Guarding.  A provider that calls a server asks p->guard to run each
 * attempt (secrets_set_guard()): the engine installs a hook that runs it
 * under the retry policy of its class and through the breaker of its
 * endpoint ("vault:127.0.0.1:8200"), so this layer knows neither.  With no
 * hook a call is one attempt.
 *
 * secrets_ensure() gets a secret or, when it is missing and the provider can
 * store, generates one with the kernel CSPRNG (getrandom) and stores it.
 * Values only ever live in struct dive_secret; keys and codes are validated
 * (keys: A-Z, 0-9, _; at most 64), values are bounded (4 KiB, no newline).
 */
#ifndef DIVE_SECRETS_H
#define DIVE_SECRETS_H

#include <stddef.h>

#include "dive/secret.h"

/* One attempt of a guarded call: as retry_run()'s op (sets *http_status and *code when known). */
typedef int (*secrets_attempt_fn)(void *arg, long *http_status, int *code);

struct secrets_guard {
	/* Run op under the retry policy of class cls ("vault") and the breaker named breaker. */
	int (*run)(void *data, const char *cls, const char *breaker, secrets_attempt_fn op, void *arg);
	void *data;
};

struct secrets_provider {
	const char *name;
	int (*get)(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out);
	int (*put)(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value);
	/* The names the provider holds for code (NULL: it cannot enumerate); *out is a NULL-ended vector. */
	int (*list)(struct secrets_provider *p, const char *code, char ***out);
	void (*free)(struct secrets_provider *p);
	/* Where the provider keeps code's secrets, for messages (never a value): "vault:URL mount/path". */
	void (*where)(struct secrets_provider *p, const char *code, char *out, size_t n);
	struct secrets_guard guard;
	void *data;
};

/* spec: "file" (instances dir), "file:DIR", "env" or "vault:URL[,...]". */
int secrets_open(struct secrets_provider **out, const char *spec, const char *instances_dir);
void secrets_close(struct secrets_provider *p);
void secrets_set_guard(struct secrets_provider *p, const struct secrets_guard *g);

/* Tests: the HTTP transport of a provider that calls a server (NULL: libcurl); others ignore it. */
struct http_transport;
void secrets_set_transport(struct secrets_provider *p, struct http_transport *t);

/* Run one provider attempt through p->guard (or once, unguarded). */
int secrets_guarded(struct secrets_provider *p, const char *cls, const char *breaker, secrets_attempt_fn op,
		    void *arg);

/* DIVE_ENOTFOUND when missing. */
int secrets_get(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out);
int secrets_ensure(struct secrets_provider *p, const char *code, const char *key, size_t random_bytes,
		   struct dive_secret *out, int *generated);

/* Store value under code/key, replacing what was there (rotation, import, a token minted by a server). */
int secrets_put(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value);
/* The names p holds for code, sorted; DIVE_ENOTIMPL when it cannot enumerate.  Free with secrets_names_free(). */
int secrets_list(struct secrets_provider *p, const char *code, char ***out);
void secrets_names_free(char **names);
/* Where p keeps code's secrets (no value, no token): "file:instances/deu/secrets", "vault:URL secret/dive/deu/". */
void secrets_where(struct secrets_provider *p, const char *code, char *out, size_t n);

/* Keys and codes as secrets_get() accepts them (A-Z, 0-9, _; at most 64). */
int secrets_valid_key(const char *key);

/* random_bytes from getrandom(), hex-encoded into out (2 * n + 1 bytes). */
int secrets_random_hex(char *out, size_t n);

#endif
