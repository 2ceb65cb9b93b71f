/* compose_storage.c - a service's volumes and tmpfs mounts (compose_priv.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/buf.h"
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

static const char *const propagations[] = { "shared", "slave", "private", "rshared", "rslave", "rprivate" };

static int is_propagation(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(propagations); i++)
		if (!strcmp(s, propagations[i]))
			return 1;
	return 0;
}

/* The source of a mount: a named volume of the file, or a host path (absolute, or relative to the file). */
static int mount_source(struct svc_ctx *x, const yaml_node_t *n, struct compose_mount *m, const char *src)
{
	char b[80];

	if (src[0] == '/' || src[0] == '.') {
		m->type = COMPOSE_MOUNT_BIND;
		m->source = cl_absolute(x->L, src);
		return 0;
	}
	if (src[0] == '~')
		return cl_fail(x->L, n, "%s: '~' is not expanded; write an absolute or relative path", x->what);
	if (!cl_valid_name(src, COMPOSE_NAME_MAX))
		return cl_fail(x->L, n, "%s: invalid volume name '%s'", x->what, cl_shown(b, n, src));
	m->type = COMPOSE_MOUNT_VOLUME;
	m->source = xstrdup(src);
	return check_defined(x, n, m->source);
}

/* "ro,z,rslave": the options of the short form. */
static int short_options(struct svc_ctx *x, const yaml_node_t *n, struct compose_mount *m, char *opts)
{
	char *save = NULL, *o, b[80];
	int mode = 0;

	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		const char *why = NULL;

		if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
			why = mode++ ? "ro or rw, once" : NULL;
			m->read_only = !strcmp(o, "ro");
		} else if (!strcmp(o, "z") || !strcmp(o, "Z")) {
			why = m->type != COMPOSE_MOUNT_BIND ? "z and Z are for host paths" : m->selinux ? "z or Z, once" : NULL;
			m->selinux = o[0];
		} else if (!strcmp(o, "nocopy")) {
			why = m->type != COMPOSE_MOUNT_VOLUME ? "nocopy is for named volumes" : NULL;
			m->nocopy = 1;
		} else if (is_propagation(o)) {
			why = m->type != COMPOSE_MOUNT_BIND ? "propagation is for host paths"
			      : m->propagation[0] ? "one propagation mode" : NULL;
			snprintf(m->propagation, sizeof(m->propagation), "%s", o);
		} else {
			why = "ro, rw, z, Z, nocopy, or a propagation mode";
		}
		if (why)
			return cl_fail(x->L, n, "%s: bad volume option '%s' (%s)", x->what, cl_shown(b, n, o), why);
	}
	return 0;
}

/* "SOURCE:TARGET[:OPTIONS]" or "TARGET" */
static int short_volume(struct svc_ctx *x, const yaml_node_t *v, struct compose_mount *m, char *s)
{
	char *parts[3] = { NULL, NULL, NULL }, *save = NULL, *tok, b[80];
	size_t np = 0;
	int rc = 0;

	for (tok = strtok_r(s, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (np == 3)
			return cl_fail(x->L, v, "%s: bad volume '%s' (write SOURCE:TARGET[:OPTIONS])", x->what,
				       cl_shown(b, v, (const char *)v->data.scalar.value));
		parts[np++] = tok;
	}
	if (np == 0)
		return cl_fail(x->L, v, "%s: bad volume '%s' (write SOURCE:TARGET[:OPTIONS])", x->what,
			       cl_shown(b, v, (const char *)v->data.scalar.value));
	if ((np == 1 ? parts[0] : parts[1])[0] != '/')
		return cl_fail(x->L, v, "%s: the target '%s' must be an absolute path", x->what,
			       cl_shown(b, v, np == 1 ? parts[0] : parts[1]));
	if (np == 1)
		m->type = COMPOSE_MOUNT_ANONYMOUS;
	else if ((rc = mount_source(x, v, m, parts[0])) < 0)
		return rc;
	m->target = xstrdup(np == 1 ? parts[0] : parts[1]);
	return np == 3 ? short_options(x, v, m, parts[2]) : 0;
}

/* bind: {propagation, create_host_path, selinux}, volume: {nocopy}, tmpfs: {size, mode} */
static int long_sub(struct svc_ctx *x, yaml_node_t *n, const char *what, const char *kind, struct compose_mount *m,
		    long long *size, char *mode, size_t mode_len)
{
	struct loader *L = x->L;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	char fwhat[WHAT_MAX + 600], b[80];
	int rc, flag;

	if ((rc = cl_check_map(L, n, what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		char *s = NULL;

		snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(k));
		if (!strncmp(KEY(k), "x-", 2)) {
			rc = 0;
		} else if (!strcmp(kind, "bind") && !strcmp(KEY(k), "propagation")) {
			if ((rc = cl_get_str(L, v, fwhat, &s)) == 0 && !PLACEHOLDER(L) && !is_propagation(s))
				rc = cl_fail(L, v, "%s: '%s' is not a propagation mode (shared, slave, private, rshared, "
					     "rslave, rprivate)", fwhat, cl_shown(b, v, s));
			else if (rc == 0)
				snprintf(m->propagation, sizeof(m->propagation), "%s", s);
		} else if (!strcmp(kind, "bind") && !strcmp(KEY(k), "create_host_path")) {
			flag = 1;
			rc = cl_get_bool(L, v, fwhat, &flag);
			m->no_create = !flag;
		} else if (!strcmp(kind, "bind") && !strcmp(KEY(k), "selinux")) {
			if ((rc = cl_get_str(L, v, fwhat, &s)) == 0 && !PLACEHOLDER(L) && strcmp(s, "z") && strcmp(s, "Z"))
				rc = cl_fail(L, v, "%s must be z or Z, not '%s'", fwhat, cl_shown(b, v, s));
			else if (rc == 0)
				m->selinux = s[0];
		} else if (!strcmp(kind, "volume") && !strcmp(KEY(k), "nocopy")) {
			rc = cl_get_bool(L, v, fwhat, &m->nocopy);
		} else if (!strcmp(kind, "volume") && !strcmp(KEY(k), "subpath")) {
			rc = cl_fail(L, k, "%s needs Docker Engine API 1.45; dive speaks 1.41", fwhat);
		} else if (!strcmp(kind, "tmpfs") && !strcmp(KEY(k), "size")) {
			rc = cl_get_bytes(L, v, fwhat, 0, size);
		} else if (!strcmp(kind, "tmpfs") && !strcmp(KEY(k), "mode")) {
			if ((rc = cl_get_str(L, v, fwhat, &s)) == 0 && !PLACEHOLDER(L) &&
			    (!*s || strlen(s) >= mode_len || strspn(s, "01234567") != strlen(s)))
				rc = cl_fail(L, v, "%s must be an octal mode (1777, 0755), not '%s'", fwhat, cl_shown(b, v, s));
			else if (rc == 0)
				snprintf(mode, mode_len, "%s", s);
		} else {
			rc = cl_fail(L, k, "unknown key '%s' in %s", cl_shown(b, k, KEY(k)), what);
		}
		free(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The long form: a map with type, source, target, read_only, consistency and one of bind, volume, tmpfs. */
static int long_volume(struct svc_ctx *x, yaml_node_t *n, struct compose_mount *m, int *is_tmpfs)
{
	struct loader *L = x->L;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v, *type_n = NULL, *source_n = NULL, *sub = NULL, *sub_k = NULL;
	char what[WHAT_MAX + 300], b[80], *type = NULL, *source = NULL, mode[8] = "";
	long long size = 0;
	int rc = 0;

	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	/* type first: what the other keys mean depends on it */
	MAP_EACH(L, n, p, k, v)
		if (!strcmp(KEY(k), "type"))
			type_n = v;
	if (!type_n)
		return cl_fail(L, n, "%s: a volume in the long form needs its type (volume, bind or tmpfs)", x->what);
	snprintf(what, sizeof(what), "%s.type", x->what);
	if ((rc = cl_get_str(L, type_n, what, &type)) < 0)
		return rc;
	if (strcmp(type, "volume") && strcmp(type, "bind") && strcmp(type, "tmpfs")) {
		rc = cl_fail(L, type_n, "%s: type '%s' is not supported by dive (volume, bind or tmpfs)", x->what,
			     cl_shown(b, type_n, type));
		goto out;
	}
	MAP_EACH(L, n, p, k, v) {
		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		if (!strcmp(KEY(k), "type") || !strncmp(KEY(k), "x-", 2)) {
			rc = 0;
		} else if (!strcmp(KEY(k), "source")) {
			source_n = v;
			rc = cl_value(L, v, what, V_NULL_OK, &source, NULL);
		} else if (!strcmp(KEY(k), "target")) {
			if ((rc = cl_get_str(L, v, what, &m->target)) == 0 && m->target[0] != '/' && !PLACEHOLDER(L))
				rc = cl_fail(L, v, "%s: the target '%s' must be an absolute path", x->what,
					     cl_shown(b, v, m->target));
		} else if (!strcmp(KEY(k), "read_only")) {
			rc = cl_get_bool(L, v, what, &m->read_only);
		} else if (!strcmp(KEY(k), "consistency")) {
			char *s = NULL;

			rc = cl_get_str(L, v, what, &s); /* Docker Desktop's file sharing: no meaning on Linux */
			free(s);
		} else if (!strcmp(KEY(k), "bind") || !strcmp(KEY(k), "volume") || !strcmp(KEY(k), "tmpfs")) {
			if (strcmp(KEY(k), type))
				rc = cl_fail(L, k, "%s: '%s' options on a volume of type '%s'", x->what, KEY(k), type);
			sub = v;
			sub_k = k;
		} else {
			rc = cl_fail(L, k, "unknown key '%s' in %s (type, source, target, read_only, bind, volume, tmpfs)",
				     cl_shown(b, k, KEY(k)), x->what);
		}
		if (rc < 0)
			goto out;
	}
	if (!m->target) {
		rc = cl_fail(L, n, "%s: a volume needs its target", x->what);
		goto out;
	}
	if (sub && !cl_is_null(sub)) {
		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(sub_k));
		if ((rc = long_sub(x, sub, what, type, m, &size, mode, sizeof(mode))) < 0)
			goto out;
	}
	if (!strcmp(type, "tmpfs")) {
		/* a tmpfs mount is an entry of tmpfs: "/run:size=N,mode=M" */
		struct dive_buf t;

		if (source && *source) {
			rc = cl_fail(L, source_n, "%s: a tmpfs has no source", x->what);
			goto out;
		}
		dive_buf_init(&t, (size_t)-1 / 2);
		dive_buf_adds(&t, m->target);
		if (size)
			dive_buf_printf(&t, ":size=%lld", size);
		if (mode[0])
			dive_buf_printf(&t, "%smode=%s", size ? "," : ":", mode);
		x->s->tmpfs = xrealloc(x->s->tmpfs, (x->s->ntmpfs + 1) * sizeof(*x->s->tmpfs));
		x->s->tmpfs[x->s->ntmpfs++] = dive_buf_detach(&t);
		*is_tmpfs = 1;
	} else if (!source || !*source) {
		if (!strcmp(type, "bind"))
			rc = cl_fail(L, n, "%s: a bind needs its source", x->what);
		m->type = COMPOSE_MOUNT_ANONYMOUS;
	} else if ((rc = mount_source(x, source_n, m, source)) == 0 &&
		   (m->type == COMPOSE_MOUNT_BIND) != !strcmp(type, "bind")) {
		rc = cl_fail(L, source_n, "%s: the source of a %s must be %s", x->what, type,
			     !strcmp(type, "bind") ? "a host path (absolute, or starting with '.')" : "a volume name");
	}
	if (rc == 0 && m->type != COMPOSE_MOUNT_BIND && (m->propagation[0] || m->selinux || m->no_create))
		rc = cl_fail(L, n, "%s: bind options on a volume that is not a bind", x->what);
	if (rc == 0 && m->selinux && m->no_create)
		rc = cl_fail(L, n, "%s: bind.selinux needs the engine to create the host path (create_host_path: true)",
			     x->what);
out:
	free(type);
	free(source);
	return rc;
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
		struct compose_mount *m = PUSH(x->s->volumes, x->s->nvolumes);
		int is_tmpfs = 0;
		unsigned f;
		char *s;

		m->line = cl_line_of(v);
		if (v->type == YAML_MAPPING_NODE) {
			rc = long_volume(x, v, m, &is_tmpfs);
		} else {
			if ((rc = cl_value(L, v, x->what, 0, &s, &f)) < 0)
				return rc;
			if (f & INTERP_PLACEHOLDER) {
				m->type = COMPOSE_MOUNT_ANONYMOUS;
				m->target = s;
				continue;
			}
			rc = short_volume(x, v, m, s);
			free(s);
		}
		if (rc < 0)
			return rc;
		if (is_tmpfs) {
			free(m->target);
			x->s->nvolumes--;
		}
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

