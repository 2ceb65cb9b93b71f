/*
 * secrets.h - where secrets come from: a provider interface.
 *
 * Providers (DESIGN §6):
 *   file:DIR   one file per secret, DIR/<code>/secrets/<KEY> (default DIR is
 *              the instances directory), mode 0600 in a 0700 directory,
 *              written atomically; a file readable by group or others is
 *              refused, not used
 *   env        DIVE_SECRET_<CODE>_<KEY> from the environment (read-only)
 * Room for others (Vault, cloud secret managers): a struct of functions.
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

struct secrets_provider {
	const char *name;
	int (*get)(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out);
	int (*put)(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value);
	void (*free)(struct secrets_provider *p);
	void *data;
};

/* spec: "file" (instances dir), "file:DIR" or "env". */
int secrets_open(struct secrets_provider **out, const char *spec, const char *instances_dir);
void secrets_close(struct secrets_provider *p);

/* DIVE_ENOTFOUND when missing. */
int secrets_get(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out);
/* Store a value made elsewhere (a token minted by a server); DIVE_EUSAGE for a read-only provider. */
int secrets_put(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value);
int secrets_ensure(struct secrets_provider *p, const char *code, const char *key, size_t random_bytes,
		   struct dive_secret *out, int *generated);

/* random_bytes from getrandom(), hex-encoded into out (2 * n + 1 bytes). */
int secrets_random_hex(char *out, size_t n);

#endif
