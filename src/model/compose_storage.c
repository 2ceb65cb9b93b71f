/* compose_storage.c - a service's volumes and tmpfs mounts (compose_priv.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/error.h"
#include "dive/xalloc.h"

/* A named volume must be one of the top level (read before the services). */
static int check_defined(struct svc_ctx *x, const yaml_node_t *n, const char *volume)
{
	const struct compose *c = x->L->c;
	char b[80];
	size_t k;

	for (k = 0; k < c->nvolumes; k++)
		if (!strcmp(c->volumes[k].key, volume))
			return 0;
	return cl_fail(x->L, n, "service '%s' uses volume '%s', which is not defined under volumes:", x->s->name,
		       cl_shown(b, n, volume));
}

int cs_volumes(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if ((rc = cl_check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		struct compose_mount *m;
		char *s, *parts[3] = { NULL, NULL, NULL }, *save = NULL, *tok, b[80];
		size_t np = 0;
		unsigned f;

		if (v->type == YAML_MAPPING_NODE)
			return cl_fail(L, v, "%s: the long volume syntax is not supported; write \"SOURCE:TARGET[:ro]\"",
				    x->what);
		if ((rc = cl_value(L, v, x->what, 0, &s, &f)) < 0)
			return rc;
		m = PUSH(x->s->volumes, x->s->nvolumes);
		m->line = cl_line_of(v);
		if (f & INTERP_PLACEHOLDER) {
			m->type = COMPOSE_MOUNT_ANONYMOUS;
			m->target = s;
			continue;
		}
		for (tok = strtok_r(s, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			if (np == 3) {
				np = 4;
				break;
			}
			parts[np++] = tok;
		}
		if (np == 0 || np > 3) {
			rc = cl_fail(L, v, "%s: bad volume '%s' (write SOURCE:TARGET[:ro])", x->what,
				  cl_shown(b, v, (const char *)v->data.scalar.value));
		} else if (np == 3 && strcmp(parts[2], "ro") && strcmp(parts[2], "rw")) {
			rc = cl_fail(L, v, "%s: bad volume mode '%s' (ro or rw)", x->what, cl_shown(b, v, parts[2]));
		} else {
			const char *target = np == 1 ? parts[0] : parts[1];

			m->read_only = np == 3 && !strcmp(parts[2], "ro");
			if (target[0] != '/') {
				rc = cl_fail(L, v, "%s: the target '%s' must be an absolute path", x->what, cl_shown(b, v, target));
			} else if (np == 1) {
				m->type = COMPOSE_MOUNT_ANONYMOUS;
			} else if (parts[0][0] == '/' || parts[0][0] == '.') {
				m->type = COMPOSE_MOUNT_BIND;
				m->source = cl_absolute(L, parts[0]);
			} else if (parts[0][0] == '~') {
				rc = cl_fail(L, v, "%s: '~' is not expanded; write an absolute or relative path", x->what);
			} else if (!cl_valid_name(parts[0], COMPOSE_NAME_MAX)) {
				rc = cl_fail(L, v, "%s: invalid volume name '%s'", x->what, cl_shown(b, v, parts[0]));
			} else {
				m->type = COMPOSE_MOUNT_VOLUME;
				m->source = xstrdup(parts[0]);
				rc = check_defined(x, v, m->source);
			}
			if (rc == 0)
				m->target = xstrdup(target);
		}
		free(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_tmpfs(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (s[0] != '/' && !PLACEHOLDER(L))
		return cl_fail(L, n, "%s: '%s' must be an absolute path", what, cl_shown(b, n, s));
	return 0;
}

int cs_tmpfs(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_strlist(x->L, v, x->what, 1, check_tmpfs, &x->s->tmpfs, &x->s->ntmpfs);
}

