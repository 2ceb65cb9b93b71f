/* stack.c - where the stack files are and what one instance gives them (see stack.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/ports.h"
#include "dive/settings.h"
#include "dive/stack.h"
#include "dive/xalloc.h"

#ifndef DIVE_SOURCE_DIR
#define DIVE_SOURCE_DIR "."
#endif

/* out->data points here; vars first, so it is also the table interp_env_table reads. */
struct stack_env_data {
	struct interp_table vars;
	struct interp_env process;
};

const char *stack_kind_name(enum stack_kind kind)
{
	return kind == STACK_HUB ? "hub" : "spoke";
}

int stack_path(char **out, enum stack_kind kind)
{
	const char *dir = settings_getenv("DIVE_STACKS_DIR"), *from = "DIVE_STACKS_DIR";
	char *path;
	int rc;

	*out = NULL;
	if (!dir) {
		dir = DIVE_SOURCE_DIR;
		from = "the source tree";
	}
	if (strlen(dir) > PATH_MAX - 32) {
		rc = dive_error_set(DIVE_EUSAGE, "%s is longer than %d bytes", from, PATH_MAX - 32);
		dive_error_set_code(ERRC_CONFIG_INVALID);
		return rc;
	}
	path = xasprintf("%s/docker-compose.%s.yml", dir, stack_kind_name(kind));
	if (access(path, R_OK) < 0) {
		rc = dive_error_set(DIVE_EUSAGE, "cannot read the %s stack file '%s' (from %s): %s", stack_kind_name(kind),
				    path, from, strerror(errno));
		dive_error_set_code(ERRC_COMPOSE_PARSE);
		free(path);
		return rc;
	}
	*out = path;
	return 0;
}

int stack_env_for(struct interp_env *out, const struct dive_country *c)
{
	struct stack_env_data *d;
	struct dive_ports p;
	char lower[4], buf[64];
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ports_for(&p, c)) < 0)
		return rc;
	d = xcalloc(1, sizeof(*d));
	country_lower(lower, c);
	interp_table_set(&d->vars, "DIVE_CODE", c->code, 0);
	interp_table_set(&d->vars, "DIVE_CODE_LOWER", lower, 0);
	interp_table_set(&d->vars, "DIVE_INSTANCE_NAME", c->name, 0);
	interp_table_set(&d->vars, "DIVE_ENGINE_ADDR", DIVE_PORTS_BIND, 0);
	if (c->kind == DIVE_COUNTRY_HUB)
		interp_table_set(&d->vars, "DIVE_PROJECT", "dive-hub", 0);
	else {
		snprintf(buf, sizeof(buf), "dive-spoke-%s", lower);
		interp_table_set(&d->vars, "DIVE_PROJECT", buf, 0);
	}
	for (i = 0; i < ports_service_count(); i++) {
		const char *n = ports_service_at(i)->name;
		char name[64], value[16];
		size_t j;

		snprintf(name, sizeof(name), "PORT_%s", n);
		for (j = 5; name[j]; j++)
			if (name[j] >= 'a' && name[j] <= 'z')
				name[j] = (char)(name[j] - 'a' + 'A');
		snprintf(value, sizeof(value), "%d", ports_value(&p, i));
		interp_table_set(&d->vars, name, value, 0);
	}
	interp_env_process(&d->process);
	interp_env_table(out, &d->vars, &d->process);
	return 0;
}

void stack_env_set(struct interp_env *env, const char *name, const char *value)
{
	struct stack_env_data *d = env->data;

	if (d)
		interp_table_set(&d->vars, name, value, 0);
}

void stack_env_release(struct interp_env *env)
{
	struct stack_env_data *d;

	if (!env || !env->data)
		return;
	d = env->data;
	interp_table_release(&d->vars);
	free(d);
	memset(env, 0, sizeof(*env));
}
