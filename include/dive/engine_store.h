/*
 * engine_store.h - the Docker engines dive knows besides the local one, as
 * rows of dive.engines in the state store (migration 0015).
 *
 * A row is a name, a tcp:// URL and, for mutual TLS, the paths of the CA,
 * the client certificate and its key (all three or none).  The store never
 * holds certificate or key material: the CHECK constraints of the table
 * refuse PEM text, and only paths reach it.  'local' is the engine at
 * --docker-host and has no row.  An instance is placed on an engine by
 * dive.instances.engine (NULL: local); an engine with instances placed on
 * it cannot be removed (the foreign key agrees).
 *
 * Names: ^[a-z][a-z0-9-]{0,30}$, not "local", so "docker:<name>" is a
 * breaker name (breaker.h).
 *
 * Errors: DIVE_EUSAGE (ERRC_CONFIG_INVALID) for a bad name or field;
 * DIVE_ENOTFOUND (ERRC_ENGINE_UNKNOWN) for a name without a row;
 * DIVE_ECONFLICT for an existing name on add, and (ERRC_ENGINE_IN_USE,
 * naming the instances) for a remove while instances are placed.
 */
#ifndef DIVE_ENGINE_STORE_H
#define DIVE_ENGINE_STORE_H

#include <stddef.h>

struct store;

#define ENGINE_NAME_MAX 31
#define ENGINE_URL_MAX 300
#define ENGINE_PATH_MAX 1024
#define ENGINE_LOCAL "local"

struct engine_row {
	char name[ENGINE_NAME_MAX + 1];
	char url[ENGINE_URL_MAX + 1];
	char tls_ca[ENGINE_PATH_MAX + 1];      /* "" for a plain (loopback) engine */
	char tls_cert[ENGINE_PATH_MAX + 1];
	char tls_key[ENGINE_PATH_MAX + 1];
	char created_at[32], updated_at[32];
	char created_by[201], updated_by[201];
	int placed;                            /* instances placed on it */
	char placed_codes[160];                /* "DEU,FRA" (cut when long) */
};

/* 0, or DIVE_EUSAGE naming what is wrong; local_ok admits "local". */
int engine_name_check(const char *name, int local_ok);

/* Insert e (name, url, tls_*); actor names who (no secrets). */
int engine_store_add(struct store *s, const struct engine_row *e, const char *actor);
int engine_store_get(struct store *s, struct engine_row *out, const char *name);
/* Every engine by name; free *out. */
int engine_store_list(struct store *s, struct engine_row **out, size_t *n);
/* *was (may be NULL) gets the row removed. */
int engine_store_remove(struct store *s, struct engine_row *was, const char *name);

/*
 * Where instance code is placed: *engine gets "local" when its row has no
 * engine, *deployed whether its state says anything of it may be on that
 * engine (any state but UNKNOWN, which a clean leaves).  DIVE_ENOTFOUND
 * when the instance has no row yet.
 */
int engine_store_placement(struct store *s, const char *code, char engine[ENGINE_NAME_MAX + 1], int *deployed);
/* Place instance code (its row must exist) on engine ("local": NULL); the foreign key refuses an unknown one. */
int engine_store_place(struct store *s, const char *code, const char *engine);

#endif
