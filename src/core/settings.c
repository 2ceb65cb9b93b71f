/* settings.c - one parser for settings tables, and the environment as rows (see settings.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/log.h"
#include "dive/settings.h"
#include "dive/text.h"
#include "dive/xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tables --------------------------------------------------------------- */

static const char *row_name(const struct settings_schema *s, const void *rows, size_t i)
{
	return *(const char *const *)(const void *)((const char *)rows + i * s->row_size + s->name_offset);
}

void settings_class_list(char *out, size_t n, const struct settings_schema *s)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < s->nrows && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", row_name(s, s->defaults, i));
}

void settings_key_list(char *out, size_t n, const struct settings_schema *s)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < s->nkeys && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", s->keys[i].name);
}

void settings_key_values(char *out, size_t n, const struct settings_key *k)
{
	size_t i, used = 0;

	switch (k->type) {
	case SETTINGS_CHOICE:
		out[0] = '\0';
		for (i = 0; k->choices[i] && used < n; i++)
			used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", k->choices[i]);
		return;
	case SETTINGS_DOUBLE:
		snprintf(out, n, "%g to %g", k->min, k->max);
		return;
	default:
		snprintf(out, n, "%ld to %ld", (long)k->min, (long)k->max);
		return;
	}
}

/* Set one key of row from value, within its bounds; item is quoted in messages. */
static int set_key(const struct settings_schema *s, void *row, const struct settings_key *k, const char *value,
		   const char *item)
{
	char *base = (char *)row + k->offset, *end, values[128];
	long l;
	double d;
	size_t i;

	switch (k->type) {
	case SETTINGS_CHOICE:
		for (i = 0; k->choices[i]; i++) {
			if (!strcmp(k->choices[i], value)) {
				*(int *)(void *)base = (int)i;
				return 0;
			}
		}
		settings_key_values(values, sizeof(values), k);
		return dive_error_set(DIVE_EUSAGE, "%s setting '%s': %s is one of %s", s->what, item, k->name, values);
	case SETTINGS_DOUBLE:
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= k->min && d <= k->max))
			return dive_error_set(DIVE_EUSAGE, "%s setting '%s': %s takes a number from %g to %g", s->what,
					      item, k->name, k->min, k->max);
		*(double *)(void *)base = d;
		return 0;
	case SETTINGS_INT:
	case SETTINGS_LONG:
		errno = 0;
		l = strtol(value, &end, 10);
		if (errno || value[0] < '0' || value[0] > '9' || *end || l < (long)k->min || l > (long)k->max)
			return dive_error_set(DIVE_EUSAGE, "%s setting '%s': %s takes a whole number from %ld to %ld",
					      s->what, item, k->name, (long)k->min, (long)k->max);
		if (k->type == SETTINGS_INT)
			*(int *)(void *)base = (int)l;
		else
			*(long *)(void *)base = l;
		return 0;
	}
	return dive_error_set(DIVE_EFAIL, "internal: %s key '%s' has no type", s->what, k->name);
}

/* Apply one "CLASS.KEY=VALUE" item (a NUL-terminated, trimmed copy). */
static int apply_item(const struct settings_schema *s, void *rows, char *item)
{
	char *dot, *eq, shown[84], list[256];
	size_t i;

	text_shown(shown, sizeof(shown), item); /* quoted in messages, shortened */
	eq = strchr(item, '=');
	dot = eq ? memchr(item, '.', (size_t)(eq - item)) : NULL;
	if (!eq || !dot || dot == item)
		return dive_error_set(DIVE_EUSAGE, "%s setting '%s' is not CLASS.KEY=VALUE", s->what, shown);
	*dot = '\0';
	*eq = '\0';
	for (i = 0; i < s->nrows; i++)
		if (!strcmp(row_name(s, s->defaults, i), item))
			break;
	if (i == s->nrows) {
		settings_class_list(list, sizeof(list), s);
		return dive_error_set(DIVE_EUSAGE, "%s setting '%s': '%.32s' is not a %s class (%s)", s->what, shown,
				      item, s->what, list);
	}
	{
		void *row = (char *)rows + i * s->row_size;
		size_t k;

		for (k = 0; k < s->nkeys; k++)
			if (!strcmp(s->keys[k].name, dot + 1))
				return set_key(s, row, &s->keys[k], eq + 1, shown);
	}
	settings_key_list(list, sizeof(list), s);
	return dive_error_set(DIVE_EUSAGE, "%s setting '%s': '%.32s' is not a key (%s)", s->what, shown, dot + 1, list);
}

int settings_apply(const struct settings_schema *s, void *rows, const char *spec)
{
	char buf[SETTINGS_SPEC_MAX + 1], *item, *next;
	size_t i, at;
	int n = 0, rc;

	if (strlen(spec) > SETTINGS_SPEC_MAX)
		return dive_error_set(DIVE_EUSAGE, "%s settings are too long (at most %d characters)", s->what,
				      SETTINGS_SPEC_MAX);
	if (!text_is_clean(spec, &at))
		return dive_error_set(DIVE_EUSAGE, "%s settings have a control character or a byte that is not UTF-8 "
				      "at offset %zu", s->what, at);
	memcpy(buf, spec, strlen(spec) + 1);
	for (item = buf; item; item = next) {
		char *end;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		while (*item == ' ')
			item++;
		end = item + strlen(item);
		while (end > item && end[-1] == ' ')
			*--end = '\0';
		n++;
		if (!*item) {
			if (!next && n == 1)
				break; /* an empty spec changes nothing */
			return dive_error_set(DIVE_EUSAGE, "%s setting %d is empty", s->what, n);
		}
		if ((rc = apply_item(s, rows, item)) < 0)
			return rc;
	}
	for (i = 0; s->check && i < s->nrows; i++)
		if ((rc = s->check((char *)rows + i * s->row_size)) < 0)
			return rc;
	return 0;
}

/* Callers hold t->lock. */
static void ensure_rows(struct settings_table *t)
{
	if (!t->ready) {
		memcpy(t->rows, t->schema->defaults, t->schema->nrows * t->schema->row_size);
		t->ready = 1;
	}
}

static void load_env_locked(struct settings_table *t)
{
	const struct settings_schema *s = t->schema;
	const char *v;
	void *copy;

	ensure_rows(t);
	if (t->env_loaded)
		return;
	t->env_loaded = 1;
	t->env_err = 0;
	v = settings_getenv(s->env);
	if (!v)
		return;
	copy = xmalloc(s->nrows * s->row_size);
	memcpy(copy, t->rows, s->nrows * s->row_size);
	if (settings_apply(s, copy, v) < 0) {
		t->env_err = DIVE_EUSAGE;
		snprintf(t->env_msg, sizeof(t->env_msg), "%s: %s", s->env, dive_error_last());
		dive_debug("%s", t->env_msg);
	} else {
		memcpy(t->rows, copy, s->nrows * s->row_size);
		dive_debug("%s settings changed by %s", s->what, s->env);
	}
	free(copy);
}

int settings_rows(struct settings_table *t, const void **rows)
{
	int err;

	pthread_mutex_lock(&t->lock);
	load_env_locked(t);
	err = t->env_err;
	pthread_mutex_unlock(&t->lock);
	if (rows)
		*rows = t->rows;
	if (err) {
		dive_error_set(err, "%s", t->env_msg);
		dive_error_set_code(ERRC_CONFIG_INVALID);
	}
	return err;
}

int settings_load_env(struct settings_table *t)
{
	return settings_rows(t, NULL);
}

int settings_override(struct settings_table *t, const char *spec)
{
	const struct settings_schema *s = t->schema;
	void *copy;
	int err;

	if (!spec)
		return 0;
	copy = xmalloc(s->nrows * s->row_size);
	pthread_mutex_lock(&t->lock);
	load_env_locked(t);
	memcpy(copy, t->rows, s->nrows * s->row_size);
	err = settings_apply(s, copy, spec);
	if (!err)
		memcpy(t->rows, copy, s->nrows * s->row_size);
	pthread_mutex_unlock(&t->lock);
	free(copy);
	if (err)
		dive_error_set_code(ERRC_CONFIG_INVALID);
	return err;
}

void settings_reset(struct settings_table *t)
{
	pthread_mutex_lock(&t->lock);
	memcpy(t->rows, t->schema->defaults, t->schema->nrows * t->schema->row_size);
	t->ready = 1;
	t->env_loaded = 0;
	t->env_err = 0;
	t->env_msg[0] = '\0';
	pthread_mutex_unlock(&t->lock);
}

/* ---- the environment ------------------------------------------------------ */

#define URL_MAX 2048
#define DIR_MAX (PATH_MAX - 64)

/* Every variable dive reads; README.md "Environment" says the same to people. */
static const struct settings_env env_rows[] = {
	{ "DIVE_STATE_URL", URL_MAX, "the state store, a PostgreSQL URI (--state-url)" },
	{ "DOCKER_HOST", 1024, "the Docker engine, unix:///PATH or tcp://HOST:PORT (--docker-host)" },
	{ "DIVE_INSTANCES_DIR", DIR_MAX, "instance configuration (--instances-dir), default ./instances" },
	{ "NO_COLOR", 64, "no colour on a terminal (--no-color)" },
	{ "CI", 256, "set (any value) in CI: plain progress lines, no live view, even on a terminal" },
	{ "DIVE_RETRY", SETTINGS_SPEC_MAX, "retry policy overrides, CLASS.KEY=VALUE,..." },
	{ "DIVE_BREAKER", SETTINGS_SPEC_MAX, "circuit breaker overrides, CLASS.KEY=VALUE,..." },
	{ "DIVE_SECRETS", DIR_MAX, "secrets provider: file, file:DIR, env or vault:URL,..." },
	{ "VAULT_TOKEN", 4096, "the Vault token when DIVE_SECRETS names a vault without token-file or auth=approle" },
	{ "DIVE_STACKS_DIR", DIR_MAX, "where docker-compose.hub.yml and docker-compose.spoke.yml are read" },
	{ "DIVE_MIGRATIONS_DIR", DIR_MAX, "migrations from a directory instead of those in the binary" },
	{ "DIVE_SOURCE_DIR", DIR_MAX, "the source tree the local images are built from" },
	{ "DIVE_FERRETDB_BIN", DIR_MAX, "the FerretDB program copied into dive/mongodb:local" },
	{ "DIVE_OPA_BIN", DIR_MAX, "the OPA program copied into dive/opa:local" },
	{ "DIVE_OPAL_VENV", DIR_MAX, "the OPAL venv copied into dive/opal-server:local and dive/opal-client:local" },
	{ "DIVE_KEYCLOAK_DIST", DIR_MAX, "the Keycloak distribution copied into dive/keycloak:local" },
	{ "DIVE_JAVA_HOME", DIR_MAX, "the Java runtime copied into dive/keycloak:local" },
	{ "DIVE_FEDERATION_STORE_URL", URL_MAX, "the MongoDB federation store, default the hub's" },
	{ "DIVE_HUB_URL", URL_MAX, "the hub's backend as spokes reach it (--hub-url; hub_url of instance.yml)" },
	{ "DIVE_HUB_ADDR", 64, "an address of the hub's host that remote engines reach: the hub publishes its Keycloak, "
			       "OPAL and backend ports on it too, spokes on remote engines use it" },
};

size_t settings_env_count(void)
{
	return ARRAY_SIZE(env_rows);
}

const struct settings_env *settings_env_at(size_t i)
{
	return i < ARRAY_SIZE(env_rows) ? &env_rows[i] : NULL;
}

static const struct settings_env *env_row(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(env_rows); i++)
		if (!strcmp(env_rows[i].name, name))
			return &env_rows[i];
	return NULL;
}

const char *settings_getenv(const char *name)
{
	const char *v;

	if (!env_row(name)) {
		dive_debug("internal: environment variable '%s' is not in the settings table", name ? name : "");
		return NULL;
	}
	v = getenv(name);
	return v && *v ? v : NULL;
}

int settings_env_check(void)
{
	size_t i, at;
	int rc;

	for (i = 0; i < ARRAY_SIZE(env_rows); i++) {
		const struct settings_env *e = &env_rows[i];
		const char *v = getenv(e->name);

		if (!v)
			continue;
		if (strlen(v) > e->max_len)
			rc = dive_error_set(DIVE_EUSAGE, "%s is longer than %zu bytes", e->name, e->max_len);
		else if (!text_is_clean(v, &at))
			rc = dive_error_set(DIVE_EUSAGE, "%s has a control character or a byte that is not UTF-8 at "
					    "offset %zu", e->name, at);
		else
			continue;
		dive_error_set_code(ERRC_CONFIG_INVALID);
		return rc;
	}
	return 0;
}
