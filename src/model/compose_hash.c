/* compose_hash.c - the configuration hash of a service (compose.h: compose_config_hash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/buf.h"
#include "dive/sha256.h"
#include "dive/xalloc.h"

/* Fields are written as "tag=<length>:<bytes>;" so no two definitions serialise alike. */
static void h_str(struct sha256 *h, const char *tag, const char *s)
{
	char hdr[96];
	int n;

	if (!s) {
		n = snprintf(hdr, sizeof(hdr), "%s=-;", tag);
		sha256_update(h, hdr, (size_t)n);
		return;
	}
	n = snprintf(hdr, sizeof(hdr), "%s=%zu:", tag, strlen(s));
	sha256_update(h, hdr, (size_t)n);
	sha256_update(h, s, strlen(s));
	sha256_update(h, ";", 1);
}

static void h_num(struct sha256 *h, const char *tag, long v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%ld", v);
	h_str(h, tag, buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hash a set of strings (owned, freed here) in sorted order. */
static void h_set(struct sha256 *h, const char *tag, char **v, size_t n)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_str);
	h_num(h, tag, (long)n);
	for (i = 0; i < n; i++) {
		h_str(h, tag, v[i]);
		cl_wipe_free(v[i]);
	}
	free(v);
}

static void h_argv(struct sha256 *h, const char *tag, const struct compose_argv *a)
{
	size_t i;

	h_num(h, tag, a->set ? (long)a->n : -1);
	for (i = 0; i < a->n; i++)
		h_str(h, tag, a->v[i]);
}

/* A length-prefixed pair, so "a=b" + "c" and "a" + "b=c" differ. */
static char *pair(const char *k, const char *v)
{
	return xasprintf("%zu:%s=%s", strlen(k), k, v ? v : "");
}

static void h_strset(struct sha256 *h, const char *tag, char *const *in, size_t n)
{
	char **v = xcalloc(n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = xstrdup(in[i]);
	h_set(h, tag, v, n);
}

static void h_kvset(struct sha256 *h, const char *tag, const struct compose_kv *kv, size_t n)
{
	char **v = xcalloc(n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = pair(kv[i].key, kv[i].value);
	h_set(h, tag, v, n);
}

/*
 * What a service asks of the host (issue 19).  Each part is hashed only
 * when the file sets it, so a service that uses none of them keeps the
 * hash it had before they existed: upgrading dive recreates nothing.
 */
static void hash_host(struct sha256 *h, const struct compose_service *s)
{
	const struct compose_resources *r = &s->resources;
	size_t i;

	if (r->memory || r->memory_swap || r->memory_reservation || r->nano_cpus || r->pids) {
		h_num(h, "memory", (long)r->memory);
		h_num(h, "memory_swap", (long)r->memory_swap);
		h_num(h, "memory_reservation", (long)r->memory_reservation);
		h_num(h, "nano_cpus", (long)r->nano_cpus);
		h_num(h, "pids", (long)r->pids);
	}
	if (s->nulimits) {
		char **v = xcalloc(s->nulimits + 1, sizeof(*v));

		for (i = 0; i < s->nulimits; i++)
			v[i] = xasprintf("%s|%lld|%lld", s->ulimits[i].name, s->ulimits[i].soft, s->ulimits[i].hard);
		h_set(h, "ulimits", v, s->nulimits);
	}
	if (s->logging.driver || s->logging.noptions) {
		h_str(h, "logging.driver", s->logging.driver);
		h_kvset(h, "logging.options", s->logging.options, s->logging.noptions);
	}
	if (s->ncap_add)
		h_strset(h, "cap_add", s->cap_add, s->ncap_add);
	if (s->ncap_drop)
		h_strset(h, "cap_drop", s->cap_drop, s->ncap_drop);
	if (s->nsysctls)
		h_kvset(h, "sysctls", s->sysctls, s->nsysctls);
}

void compose_config_hash(char out[65], const struct compose_service *s)
{
	static const char *const mount_types[] = { "volume", "bind", "anonymous" };
	unsigned char digest[32];
	struct sha256 h;
	char **v;
	size_t i, j, n;

	sha256_init(&h);
	h_str(&h, "dive-config", "1");
	h_str(&h, "image", s->image);
	h_str(&h, "container_name", s->container_name);
	h_argv(&h, "command", &s->command);
	h_argv(&h, "entrypoint", &s->entrypoint);

	/* Only variables that are passed; listed-but-unset ones are not. */
	v = xcalloc(s->nenvironment + 1, sizeof(*v));
	for (i = n = 0; i < s->nenvironment; i++)
		if (s->environment[i].value)
			v[n++] = pair(s->environment[i].name, s->environment[i].value);
	h_set(&h, "environment", v, n);

	h_num(&h, "env_file", (long)s->nenv_files);
	for (i = 0; i < s->nenv_files; i++)
		h_str(&h, "env_file", s->env_files[i]);

	v = xcalloc(s->nports + 1, sizeof(*v));
	for (i = 0; i < s->nports; i++)
		v[i] = xasprintf("%s|%d|%d|%s", s->ports[i].host_ip, s->ports[i].host_port,
				 s->ports[i].container_port, s->ports[i].protocol);
	h_set(&h, "ports", v, s->nports);

	v = xcalloc(s->nvolumes + 1, sizeof(*v));
	for (i = 0; i < s->nvolumes; i++) {
		const struct compose_mount *m = &s->volumes[i];

		v[i] = xasprintf("%s|%zu:%s|%zu:%s|%d", mount_types[m->type], m->source ? strlen(m->source) : 0,
				 m->source ? m->source : "", strlen(m->target), m->target, m->read_only);
		if (m->propagation[0] || m->selinux || m->nocopy || m->no_create) { /* only when set: see below */
			char *more = xasprintf("%s|%s|%c|%d|%d", v[i], m->propagation, m->selinux ? m->selinux : '-',
					       m->nocopy, m->no_create);

			free(v[i]);
			v[i] = more;
		}
	}
	h_set(&h, "volumes", v, s->nvolumes);

	h_strset(&h, "tmpfs", s->tmpfs, s->ntmpfs);

	/* A service without networks is on "default"; saying so is the same thing. */
	v = xcalloc(s->nnetworks + 2, sizeof(*v));
	for (i = 0; i < s->nnetworks; i++) {
		struct dive_buf b;
		char **al = xcalloc(s->networks[i].naliases + 1, sizeof(*al));

		for (j = 0; j < s->networks[i].naliases; j++)
			al[j] = s->networks[i].aliases[j];
		qsort(al, s->networks[i].naliases, sizeof(*al), cmp_str);
		dive_buf_init(&b, (size_t)-1 / 2);
		dive_buf_printf(&b, "%zu:%s", strlen(s->networks[i].network), s->networks[i].network);
		for (j = 0; j < s->networks[i].naliases; j++)
			dive_buf_printf(&b, "|%zu:%s", strlen(al[j]), al[j]);
		free(al);
		v[i] = dive_buf_detach(&b);
	}
	n = s->nnetworks;
	if (n == 0)
		v[n++] = xstrdup("7:default");
	h_set(&h, "networks", v, n);

	h_num(&h, "healthcheck", (long)s->healthcheck.kind);
	h_argv(&h, "healthcheck.test", &s->healthcheck.test);
	h_num(&h, "healthcheck.interval", s->healthcheck.interval_ms);
	h_num(&h, "healthcheck.timeout", s->healthcheck.timeout_ms);
	h_num(&h, "healthcheck.start_period", s->healthcheck.start_period_ms);
	h_num(&h, "healthcheck.retries", s->healthcheck.retries);

	h_str(&h, "restart", s->restart && strcmp(s->restart, "no") ? s->restart : NULL);

	h_kvset(&h, "labels", s->labels, s->nlabels);

	h_str(&h, "user", s->user);
	h_num(&h, "init", s->init == 1);

	h_kvset(&h, "extra_hosts", s->extra_hosts, s->nextra_hosts);

	h_str(&h, "working_dir", s->working_dir);
	hash_host(&h, s);

	sha256_final(&h, digest);
	explicit_bzero(&h, sizeof(h));
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

