/* instcfg.c - one spoke's effective configuration: file, environment, flags (see instcfg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/compose.h"
#include "dive/engine_store.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/instcfg.h"
#include "dive/secrets.h"
#include "dive/settings.h"
#include "dive/sha256.h"
#include "dive/stack.h"
#include "dive/xalloc.h"

const char *instcfg_source_name(enum instcfg_source s)
{
	switch (s) {
	case INSTCFG_FILE:
		return "file";
	case INSTCFG_ENV:
		return "env";
	case INSTCFG_FLAG:
		return "flag";
	case INSTCFG_DEFAULT:
		break;
	}
	return "default";
}

void instcfg_source_text(char *out, size_t n, const struct instcfg *cfg, enum instance_key k)
{
	switch (cfg->source[k]) {
	case INSTCFG_FILE:
		snprintf(out, n, "%s:%d", cfg->file.path, cfg->file.line[k]);
		return;
	case INSTCFG_ENV:
		snprintf(out, n, "env %s", instance_keys[k].env);
		return;
	case INSTCFG_FLAG:
		snprintf(out, n, "flag %s", instance_keys[k].flag);
		return;
	case INSTCFG_DEFAULT:
		break;
	}
	snprintf(out, n, "default");
}

const struct instance_service *instcfg_service(const struct instcfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->file.nservices; i++)
		if (!strcmp(cfg->file.services[i].name, name))
			return &cfg->file.services[i];
	return NULL;
}

/* The spoke stack with placeholders: its services and declared secrets, nothing read from a provider. */
static int spoke_stack(struct compose **out, const struct dive_country *c)
{
	struct interp_env env;
	char *path = NULL;
	int rc;

	*out = NULL;
	if ((rc = stack_path(&path, STACK_SPOKE)) < 0)
		return rc;
	if ((rc = stack_env_for(&env, c)) == 0) {
		env.flags |= INTERP_PLACEHOLDERS;
		rc = compose_load(out, path, &env);
		stack_env_release(&env);
	}
	free(path);
	return rc;
}

/* What only this layer knows: engine names and provider specs. */
static int check_value(struct instcfg *cfg, enum instance_key k, const char *instances_dir, const char *what)
{
	struct secrets_provider *sp = NULL;
	int rc = instance_value_check(k, cfg->value[k], what);

	if (rc == 0 && instance_keys[k].type == IT_ENGINE && (rc = engine_name_check(cfg->value[k], 1)) < 0)
		dive_error_wrap(rc, "%s", what);
	if (rc == 0 && instance_keys[k].type == IT_PROVIDER) {
		if ((rc = secrets_open(&sp, cfg->value[k], instances_dir)) < 0)
			dive_error_wrap(rc, "%s", what);
		secrets_close(sp);
	}
	if (rc < 0 && cfg->source[k] == INSTCFG_FILE) {
		/* the file's own checks carry the place already; these get it here */
		if (strncmp(dive_error_last(), cfg->file.path, strlen(cfg->file.path)))
			dive_error_wrap(rc, "%s:%d", cfg->file.path, cfg->file.line[k]);
		dive_error_set_code(ERRC_INSTANCE_CONFIG);
	} else if (rc < 0 && dive_error_last_code() != ERRC_INSTANCE_SECRET) {
		dive_error_set_code(ERRC_CONFIG_INVALID);
	}
	return rc;
}

static void hash(struct instcfg *cfg)
{
	struct sha256 h;
	unsigned char d[32];
	size_t i, j;
	char line[64];

	sha256_init(&h);
	for (i = 0; i < IK__COUNT; i++) {
		sha256_update(&h, instance_keys[i].path, strlen(instance_keys[i].path));
		sha256_update(&h, "=", 1);
		sha256_update(&h, cfg->value[i], strlen(cfg->value[i]) + 1);
	}
	for (i = 0; i < cfg->file.nservices; i++) {
		const struct instance_service *s = &cfg->file.services[i];

		snprintf(line, sizeof(line), "|%lld|%lld|%lld|%ld|", s->memory, s->nano_cpus, s->pids, s->timeout_ms);
		sha256_update(&h, s->name, strlen(s->name) + 1);
		sha256_update(&h, line, strlen(line));
		for (j = 0; j < s->nenv; j++) {
			sha256_update(&h, s->env[j].key, strlen(s->env[j].key) + 1);
			sha256_update(&h, s->env[j].value, strlen(s->env[j].value) + 1);
		}
	}
	sha256_final(&h, d);
	for (i = 0; i < 32; i++)
		snprintf(cfg->hash + 2 * i, 3, "%02x", d[i]);
}

static int resolve(struct instcfg *out, const char *instances_dir, const struct dive_country *c,
		   const char *const flags[IK__COUNT]);

int instcfg_load(struct instcfg *out, const char *instances_dir, const struct dive_country *c,
		 const char *const flags[IK__COUNT])
{
	struct compose *spoke = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->country = c;
	/*
	 * The stack names the services and secrets the file is checked against.
	 * A stack that does not load is the run's to refuse and record (its
	 * preflight loads it again): the file is then checked without them.
	 */
	if (spoke_stack(&spoke, c) < 0) {
		dive_error_clear();
		spoke = NULL;
	}
	rc = instance_file_load(&out->file, instances_dir, c, spoke);
	compose_free(spoke);
	if (rc < 0)
		return rc;
	return resolve(out, instances_dir, c, flags);
}

int instcfg_parse(struct instcfg *out, const char *name, const char *text, size_t len, const char *instances_dir,
		  const struct dive_country *c)
{
	struct compose *spoke = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->country = c;
	if ((rc = spoke_stack(&spoke, c)) < 0)
		return rc;
	rc = instance_file_parse(&out->file, name, text, len, spoke);
	compose_free(spoke);
	if (rc < 0)
		return rc;
	return resolve(out, instances_dir, c, NULL);
}

static int resolve(struct instcfg *out, const char *instances_dir, const struct dive_country *c,
		   const char *const flags[IK__COUNT])
{
	char def[INSTANCE_VALUE_MAX + 1];
	int rc, k;

	for (k = 0; k < IK__COUNT; k++) {
		const struct instance_key_def *d = &instance_keys[k];
		const char *env = d->env ? settings_getenv(d->env) : NULL, *what = d->path;

		if (flags && flags[k]) {
			out->value[k] = xstrdup(flags[k]);
			out->source[k] = INSTCFG_FLAG;
			what = d->flag;
		} else if (env) {
			out->value[k] = xstrdup(env);
			out->source[k] = INSTCFG_ENV;
			what = d->env;
		} else if (out->file.value[k]) {
			out->value[k] = xstrdup(out->file.value[k]);
			out->source[k] = INSTCFG_FILE;
		} else {
			instance_default(def, sizeof(def), (enum instance_key)k, c);
			out->value[k] = xstrdup(def);
			out->source[k] = INSTCFG_DEFAULT;
			continue;
		}
		/* a value the file holds is checked even when something else wins */
		if ((rc = check_value(out, (enum instance_key)k, instances_dir, what)) < 0)
			return rc;
		if (out->source[k] != INSTCFG_FILE && out->file.value[k]) {
			enum instcfg_source was = out->source[k];
			char *keep = out->value[k];

			out->value[k] = out->file.value[k];
			out->source[k] = INSTCFG_FILE;
			rc = check_value(out, (enum instance_key)k, instances_dir, d->path);
			out->value[k] = keep;
			out->source[k] = was;
			if (rc < 0)
				return rc;
		}
	}
	hash(out);
	return 0;
}

void instcfg_release(struct instcfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	instance_file_release(&cfg->file);
	for (i = 0; i < IK__COUNT; i++)
		free(cfg->value[i]);
	memset(cfg, 0, sizeof(*cfg));
}
