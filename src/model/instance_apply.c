/* instance_apply.c - an instance file's service overrides on a loaded stack (see instance.h). */
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/instance.h"
#include "dive/xalloc.h"

static void set_env(struct compose_service *s, const struct compose_kv *kv)
{
	struct compose_env *e;
	size_t i;

	for (i = 0; i < s->nenvironment; i++)
		if (!strcmp(s->environment[i].name, kv->key)) {
			free(s->environment[i].value);
			s->environment[i].value = xstrdup(kv->value);
			s->environment[i].secret = 0;
			s->environment[i].line = kv->line;
			return;
		}
	e = PUSH(s->environment, s->nenvironment);
	e->name = xstrdup(kv->key);
	e->value = xstrdup(kv->value);
	e->line = kv->line;
}

/* The x-dive entry of service name, made when missing (every service's pointer is linked again). */
static struct compose_dive_service *dive_entry(struct compose *c, const char *name)
{
	struct compose_dive_service *d;
	size_t i;
	int idx;

	for (i = 0; i < c->dive.nservices; i++)
		if (!strcmp(c->dive.services[i].service, name))
			return &c->dive.services[i];
	d = PUSH(c->dive.services, c->dive.nservices);
	d->service = xstrdup(name);
	for (i = 0; i < c->dive.nservices; i++)
		if ((idx = compose_service_index(c, c->dive.services[i].service)) >= 0)
			c->services[idx].dive = &c->dive.services[i];
	return &c->dive.services[c->dive.nservices - 1];
}

int instance_apply(struct compose *c, const struct instance_file *f)
{
	size_t i, j;

	for (i = 0; i < f->nservices; i++) {
		const struct instance_service *o = &f->services[i];
		int idx = compose_service_index(c, o->name);
		struct compose_service *s;

		if (idx < 0)
			return dive_error_setc(DIVE_EUSAGE, ERRC_INSTANCE_CONFIG, "%s:%d: the stack has no service '%s'",
					       f->path, o->line, o->name);
		s = &c->services[idx];
		if (o->memory)
			s->resources.memory = o->memory;
		if (o->nano_cpus)
			s->resources.nano_cpus = o->nano_cpus;
		if (o->pids)
			s->resources.pids = o->pids;
		for (j = 0; j < o->nenv; j++)
			set_env(s, &o->env[j]);
		if (o->timeout_ms) {
			struct compose_dive_service *d = dive_entry(c, o->name);

			d->timeout_ms = o->timeout_ms;
			if (d->timeout_max_ms && d->timeout_max_ms < o->timeout_ms)
				d->timeout_max_ms = o->timeout_ms;
			if (d->timeout_min_ms > o->timeout_ms)
				d->timeout_min_ms = o->timeout_ms;
		}
	}
	return 0;
}
