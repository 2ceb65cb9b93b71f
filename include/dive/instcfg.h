/*
 * instcfg.h - one spoke's effective configuration: its instance file
 * (instance.h) under the environment and the flags, each value with where it
 * came from.
 *
 * Precedence, per key of instance_keys[]: a flag (--engine, --hub-url) >
 * the key's environment variable (DIVE_HUB_URL, DIVE_SECRETS) > the file >
 * the default.  Everything is checked before anything reads it, and a value
 * from the file is refused with its FILE:LINE: the engine name's syntax
 * (engine_store.h; whether a row exists is for who opens the store), the
 * secrets provider spec (opened, which only parses it), every other type
 * by instance_value_check().  The services of the overrides are checked
 * against the spoke stack file (loaded with placeholders: no secret read).
 *
 * The hash is the SHA-256 of the effective values and the overrides (no
 * secret is in either): a changed file is a changed hash, recorded with the
 * runs of the instance.
 *
 * Errors: DIVE_EUSAGE with ERRC_INSTANCE_CONFIG, ERRC_INSTANCE_SECRET or
 * ERRC_CONFIG_INVALID (a flag or a variable).  instcfg_release() after any
 * return.
 */
#ifndef DIVE_INSTCFG_H
#define DIVE_INSTCFG_H

#include "dive/country.h"
#include "dive/instance.h"

enum instcfg_source {
	INSTCFG_DEFAULT,
	INSTCFG_FILE,
	INSTCFG_ENV,
	INSTCFG_FLAG,
};

struct instcfg {
	const struct dive_country *country;
	struct instance_file file;
	char *value[IK__COUNT];               /* effective; "" for an unset contact */
	enum instcfg_source source[IK__COUNT];
	char hash[65];
};

/* flags: the value of each key's flag, or NULL (the array may be NULL). */
int instcfg_load(struct instcfg *out, const char *instances_dir, const struct dive_country *c,
		 const char *const flags[IK__COUNT]);
/* The same for a file's text in memory (spoke init checks what it will write); name for messages. */
int instcfg_parse(struct instcfg *out, const char *name, const char *text, size_t len, const char *instances_dir,
		  const struct dive_country *c);
void instcfg_release(struct instcfg *cfg);

/* "default", "instances/fra/instance.yml:4", "env DIVE_HUB_URL", "flag --engine". */
void instcfg_source_text(char *out, size_t n, const struct instcfg *cfg, enum instance_key k);
/* "default", "file", "env", "flag". */
const char *instcfg_source_name(enum instcfg_source s);

/* The overrides of service name, or NULL. */
const struct instance_service *instcfg_service(const struct instcfg *cfg, const char *name);

#endif
