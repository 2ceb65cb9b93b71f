/*
 * compose_host.c - what a service asks of the host (compose_priv.h):
 * resources (mem_limit, memswap_limit, mem_reservation, cpus, pids_limit,
 * deploy.resources), logging, ulimits, cap_add/cap_drop and sysctls.
 * apply.c passes each to the engine in the container's HostConfig.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/error.h"
#include "dive/xalloc.h"

/*
 * A resource given once, or twice (a key and its deploy.resources twin)
 * with the same value.
 */
static int set_resource(struct svc_ctx *x, const yaml_node_t *n, const char *what, long long *field, long long v)
{
	if (*field && v && *field != v)
		return cl_fail(x->L, n, "%s: a different value is given for the same limit elsewhere in the service "
			       "(mem_limit, cpus, pids_limit and mem_reservation have deploy.resources twins)", what);
	if (v)
		*field = v;
	if (!x->s->resources.line)
		x->s->resources.line = cl_line_of(n);
	return 0;
}

static int memory(struct svc_ctx *x, yaml_node_t *v, const char *what, long long *field)
{
	long long b = 0;
	int rc;

	if ((rc = cl_get_bytes(x->L, v, what, 0, &b)) < 0)
		return rc;
	if (b && b < 6 * 1024 * 1024 && !PLACEHOLDER(x->L))
		return cl_fail(x->L, v, "%s: the engine needs at least 6m", what);
	return set_resource(x, v, what, field, b);
}

static int cpus(struct svc_ctx *x, yaml_node_t *v, const char *what)
{
	long long nano = 0;
	int rc;

	if ((rc = cl_get_cpus(x->L, v, what, &nano)) < 0)
		return rc;
	return set_resource(x, v, what, &x->s->resources.nano_cpus, nano);
}

static int pids(struct svc_ctx *x, yaml_node_t *v, const char *what)
{
	long n = 0;
	int rc;

	if ((rc = cl_get_int(x->L, v, what, -1, 1L << 30, &n)) < 0)
		return rc;
	if (n == 0 && !PLACEHOLDER(x->L))
		return cl_fail(x->L, v, "%s must be -1 (unlimited) or a positive number", what);
	return set_resource(x, v, what, &x->s->resources.pids, n);
}

int cs_mem_limit(struct svc_ctx *x, yaml_node_t *v)
{
	return memory(x, v, x->what, &x->s->resources.memory);
}

int cs_mem_reservation(struct svc_ctx *x, yaml_node_t *v)
{
	return memory(x, v, x->what, &x->s->resources.memory_reservation);
}

int cs_memswap_limit(struct svc_ctx *x, yaml_node_t *v)
{
	long long b = 0;
	int rc;

	if ((rc = cl_get_bytes(x->L, v, x->what, 1, &b)) < 0)
		return rc;
	return set_resource(x, v, x->what, &x->s->resources.memory_swap, b);
}

int cs_cpus(struct svc_ctx *x, yaml_node_t *v)
{
	return cpus(x, v, x->what);
}

int cs_pids_limit(struct svc_ctx *x, yaml_node_t *v)
{
	return pids(x, v, x->what);
}

/* deploy.resources.limits and .reservations */
static int resources_part(struct svc_ctx *x, yaml_node_t *n, const char *what, int limits)
{
	struct loader *L = x->L;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	char fwhat[WHAT_MAX + 1000], b[80];
	int rc;

	if ((rc = cl_check_map(L, n, what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(k));
		if (!strncmp(KEY(k), "x-", 2))
			rc = 0;
		else if (!strcmp(KEY(k), "memory"))
			rc = memory(x, v, fwhat, limits ? &x->s->resources.memory : &x->s->resources.memory_reservation);
		else if (limits && !strcmp(KEY(k), "cpus"))
			rc = cpus(x, v, fwhat);
		else if (limits && !strcmp(KEY(k), "pids"))
			rc = pids(x, v, fwhat);
		else if (!strcmp(KEY(k), "cpus") || !strcmp(KEY(k), "devices") || !strcmp(KEY(k), "generic_resources"))
			rc = cl_fail(L, k, "%s is not supported by dive (a single engine has no such reservation)", fwhat);
		else
			rc = cl_fail(L, k, "unknown key '%s' in %s", cl_shown(b, k, KEY(k)), what);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* deploy: only resources (and replicas: 1, which is what dive runs). */
int cs_deploy(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_pair_t *p, *p2;
	yaml_node_t *k, *v, *k2, *v2;
	char what[WHAT_MAX + 300], fwhat[WHAT_MAX + 600], b[80];
	int rc;

	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		if (!strncmp(KEY(k), "x-", 2))
			continue;
		if (!strcmp(KEY(k), "replicas")) {
			long r = 1;

			if ((rc = cl_get_int(L, v, what, 0, 1000000, &r)) < 0)
				return rc;
			if (r != 1 && !PLACEHOLDER(L))
				return cl_fail(L, v, "%s: dive runs one container per service (replicas: 1)", what);
			continue;
		}
		if (strcmp(KEY(k), "resources"))
			return cl_fail(L, k, "%s is not supported by dive (only deploy.resources)", cl_shown(b, k, what));
		if (cl_is_null(v))
			continue;
		if ((rc = cl_check_map(L, v, what)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(k2));
			if (!strncmp(KEY(k2), "x-", 2))
				rc = 0;
			else if (!strcmp(KEY(k2), "limits") || !strcmp(KEY(k2), "reservations"))
				rc = cl_is_null(v2) ? 0 : resources_part(x, v2, fwhat, !strcmp(KEY(k2), "limits"));
			else
				rc = cl_fail(L, k2, "unknown key '%s' in %s", cl_shown(b, k2, KEY(k2)), what);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Driver names, capability names, ulimit names: what the engine knows, checked early. */
static int valid_word(const char *s, const char *chars, size_t max)
{
	return *s && strlen(s) <= max && strspn(s, chars) == strlen(s);
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

int cs_logging(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	struct compose_logging *lg = &x->s->logging;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	char what[WHAT_MAX + 300], b[80];
	int rc;

	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	lg->line = cl_line_of(n);
	MAP_EACH(L, n, p, k, v) {
		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		if (!strncmp(KEY(k), "x-", 2)) {
			rc = 0;
		} else if (!strcmp(KEY(k), "driver")) {
			if ((rc = cl_get_str(L, v, what, &lg->driver)) == 0 && !PLACEHOLDER(L) &&
			    !valid_word(lg->driver, LOWER UPPER DIGITS "-_.:/", 128))
				rc = cl_fail(L, v, "%s: invalid driver name '%s'", what, cl_shown(b, v, lg->driver));
		} else if (!strcmp(KEY(k), "options")) {
			rc = cl_is_null(v) ? 0 : cl_get_kv(L, v, what, "=", 0, &lg->options, &lg->noptions);
		} else {
			rc = cl_fail(L, k, "unknown key '%s' in %s", cl_shown(b, k, KEY(k)), x->what);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const char *const ulimit_names[] = {
	"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
	"rtprio", "rttime", "sigpending", "stack",
};

static int ulimit_value(struct svc_ctx *x, yaml_node_t *v, const char *what, long long *out)
{
	long n = 0;
	int rc;

	if ((rc = cl_get_int(x->L, v, what, -1, 1L << 50, &n)) < 0)
		return rc;
	*out = n;
	return 0;
}

int cs_ulimits(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_pair_t *p, *p2;
	yaml_node_t *k, *v, *k2, *v2;
	char what[WHAT_MAX + 300], fwhat[WHAT_MAX + 600], b[80];
	size_t i;
	int rc;

	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		struct compose_ulimit *u;
		int soft = 0, hard = 0;

		if (!strncmp(KEY(k), "x-", 2))
			continue;
		for (i = 0; i < ARRAY_SIZE(ulimit_names); i++)
			if (!strcmp(KEY(k), ulimit_names[i]))
				break;
		if (i == ARRAY_SIZE(ulimit_names))
			return cl_fail(L, k, "%s: unknown limit '%s' (core, cpu, data, fsize, locks, memlock, msgqueue, "
				       "nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)", x->what,
				       cl_shown(b, k, KEY(k)));
		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		u = PUSH(x->s->ulimits, x->s->nulimits);
		u->name = xstrdup(KEY(k));
		u->line = cl_line_of(k);
		if (v->type != YAML_MAPPING_NODE) {
			if ((rc = ulimit_value(x, v, what, &u->soft)) < 0)
				return rc;
			u->hard = u->soft;
			continue;
		}
		if ((rc = cl_check_map(L, v, what)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(k2));
			if (!strcmp(KEY(k2), "soft")) {
				rc = ulimit_value(x, v2, fwhat, &u->soft);
				soft = 1;
			} else if (!strcmp(KEY(k2), "hard")) {
				rc = ulimit_value(x, v2, fwhat, &u->hard);
				hard = 1;
			} else if (!strncmp(KEY(k2), "x-", 2))
				rc = 0;
			else
				rc = cl_fail(L, k2, "unknown key '%s' in %s (soft, hard)", cl_shown(b, k2, KEY(k2)), what);
			if (rc < 0)
				return rc;
		}
		if (!soft || !hard)
			return cl_fail(L, v, "%s needs both soft and hard", what);
		if (u->hard != -1 && (u->soft == -1 || u->soft > u->hard))
			return cl_fail(L, v, "%s: soft is larger than hard", what);
	}
	return 0;
}

static int check_cap(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (!PLACEHOLDER(L) && !valid_word(s, UPPER DIGITS "_", 64))
		return cl_fail(L, n, "%s: '%s' is not a capability (NET_ADMIN, CAP_SYS_TIME, ALL ...)", what,
			       cl_shown(b, n, s));
	return 0;
}

int cs_cap_add(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_strlist(x->L, v, x->what, 0, check_cap, &x->s->cap_add, &x->s->ncap_add);
}

int cs_cap_drop(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_strlist(x->L, v, x->what, 0, check_cap, &x->s->cap_drop, &x->s->ncap_drop);
}

int cs_sysctls(struct svc_ctx *x, yaml_node_t *n)
{
	size_t i;
	char b[80];
	int rc;

	if ((rc = cl_get_kv(x->L, n, x->what, "=", 0, &x->s->sysctls, &x->s->nsysctls)) < 0)
		return rc;
	for (i = 0; i < x->s->nsysctls; i++) {
		const yaml_node_t *e = cl_kv_node(x->L, n, i);

		if (!valid_word(x->s->sysctls[i].key, LOWER DIGITS "._-/", 128))
			return cl_fail(x->L, e, "%s: '%s' is not a sysctl name", x->what,
				       cl_shown(b, e, x->s->sysctls[i].key));
	}
	return 0;
}
