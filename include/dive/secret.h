/*
 * secret.h - a value that must never be printed, logged, stored in the state
 * database or written to any file but its provider's own.
 *
 * Redaction by construction: a secret lives in its own type, so it cannot
 * be passed to a printf-like function by accident; the only way to read it
 * is dive_secret_reveal(), called where the value is handed to the one place
 * that needs it (a container's environment, a Keycloak object, an auth
 * header).  dive_secret_release() wipes the memory.
 */
#ifndef DIVE_SECRET_H
#define DIVE_SECRET_H

#include <stddef.h>

struct dive_secret {
	char *value_;   /* do not read directly: dive_secret_reveal() */
	size_t len_;
};

#define DIVE_SECRET_INIT { NULL, 0 }

void dive_secret_set(struct dive_secret *s, const char *value);
int dive_secret_is_set(const struct dive_secret *s);
const char *dive_secret_reveal(const struct dive_secret *s);
void dive_secret_release(struct dive_secret *s);

#endif
