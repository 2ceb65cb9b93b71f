/* compose_net.c - a service's ports, networks and extra_hosts (compose_priv.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/error.h"
#include "dive/xalloc.h"

static int parse_port_number(const char *s, size_t len, int zero_ok, int *out)
{
	long v = 0;
	size_t i;

	if (!len)
		return zero_ok ? (*out = 0, 0) : -1;
	if (len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/* "8080", "18011:8080", "127.0.0.1:18011:8080", "[::1]:18011:8080", "127.0.0.1::8080", with "/tcp" etc. */
static int parse_port(struct compose_port *p, const char *spec, const char **why)
{
	char buf[128], *proto, *rest = buf, *c1, *c2;
	unsigned char addr[16];

	if (strlen(spec) >= sizeof(buf))
		return *why = "too long", -1;
	strcpy(buf, spec);
	strcpy(p->protocol, "tcp");
	proto = strrchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return *why = "the protocol must be tcp, udp or sctp", -1;
		strcpy(p->protocol, proto);
	}
	if (strchr(buf, '-'))
		return *why = "port ranges are not supported", -1;
	p->host_ip[0] = '\0';
	if (rest[0] == '[') {
		char *end = strchr(rest, ']');

		if (!end || end[1] != ':' || (size_t)(end - rest - 1) >= sizeof(p->host_ip))
			return *why = "an IPv6 address must be written [ADDRESS]:HOST:CONTAINER", -1;
		memcpy(p->host_ip, rest + 1, (size_t)(end - rest - 1));
		p->host_ip[end - rest - 1] = '\0';
		if (inet_pton(AF_INET6, p->host_ip, addr) != 1)
			return *why = "bad IPv6 address", -1;
		rest = end + 2;
		c1 = strchr(rest, ':');
		if (!c1 || strchr(c1 + 1, ':'))
			return *why = "expected [ADDRESS]:HOST:CONTAINER", -1;
		if (parse_port_number(rest, (size_t)(c1 - rest), 1, &p->host_port) < 0 ||
		    parse_port_number(c1 + 1, strlen(c1 + 1), 0, &p->container_port) < 0)
			return *why = "ports are numbers from 1 to 65535", -1;
		return 0;
	}
	c1 = strchr(rest, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 && strchr(c2 + 1, ':'))
		return *why = "too many ':' (write IPv6 addresses in brackets)", -1;
	if (c2) {
		if ((size_t)(c1 - rest) >= sizeof(p->host_ip))
			return *why = "bad IPv4 address", -1;
		memcpy(p->host_ip, rest, (size_t)(c1 - rest));
		p->host_ip[c1 - rest] = '\0';
		if (inet_pton(AF_INET, p->host_ip, addr) != 1)
			return *why = "bad IPv4 address", -1;
		if (parse_port_number(c1 + 1, (size_t)(c2 - c1 - 1), 1, &p->host_port) < 0 ||
		    parse_port_number(c2 + 1, strlen(c2 + 1), 0, &p->container_port) < 0)
			return *why = "ports are numbers from 1 to 65535", -1;
		return 0;
	}
	if (c1) {
		if (parse_port_number(rest, (size_t)(c1 - rest), 0, &p->host_port) < 0 ||
		    parse_port_number(c1 + 1, strlen(c1 + 1), 0, &p->container_port) < 0)
			return *why = "ports are numbers from 1 to 65535", -1;
		return 0;
	}
	p->host_port = 0;
	if (parse_port_number(rest, strlen(rest), 0, &p->container_port) < 0)
		return *why = "ports are numbers from 1 to 65535", -1;
	return 0;
}

/* published: a port, "" (the engine chooses), or a range of one port ("8080-8080"). */
static int long_published(struct svc_ctx *x, yaml_node_t *v, const char *what, struct compose_port *p)
{
	const char *dash;
	unsigned f;
	char *s, b[80];
	int lo = 0, hi = 0, rc;

	if ((rc = cl_value(x->L, v, what, V_NULL_OK, &s, &f)) < 0 || !s || (f & INTERP_PLACEHOLDER)) {
		free(s);
		return rc;
	}
	dash = strchr(s, '-');
	if (!*s)
		p->host_port = 0;
	else if (dash ? parse_port_number(s, (size_t)(dash - s), 0, &lo) < 0 ||
				parse_port_number(dash + 1, strlen(dash + 1), 0, &hi) < 0
		      : parse_port_number(s, strlen(s), 0, &lo) < 0)
		rc = cl_fail(x->L, v, "%s: bad port '%s' (a number from 1 to 65535)", what, cl_shown(b, v, s));
	else if (dash && lo != hi)
		rc = cl_fail(x->L, v, "%s: port ranges are not supported ('%s')", what, cl_shown(b, v, s));
	else
		p->host_port = lo;
	free(s);
	return rc;
}

/* {target, published, host_ip, protocol, mode, name, app_protocol} */
static int long_port(struct svc_ctx *x, yaml_node_t *n, struct compose_port *p)
{
	struct loader *L = x->L;
	yaml_node_pair_t *pr;
	yaml_node_t *k, *v;
	char what[WHAT_MAX + 300], b[80];
	int rc, target = 0;

	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, pr, k, v) {
		char *s = NULL;
		long num = 0;

		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		if (!strcmp(KEY(k), "target")) {
			rc = cl_get_int(L, v, what, 1, 65535, &num);
			p->container_port = (int)num;
			target = 1;
		} else if (!strcmp(KEY(k), "published")) {
			rc = long_published(x, v, what, p);
		} else if (!strcmp(KEY(k), "host_ip")) {
			unsigned char addr[16];

			if ((rc = cl_get_str(L, v, what, &s)) == 0 && !PLACEHOLDER(L)) {
				if (strlen(s) >= sizeof(p->host_ip) ||
				    (inet_pton(AF_INET, s, addr) != 1 && inet_pton(AF_INET6, s, addr) != 1))
					rc = cl_fail(L, v, "%s: '%s' is not an IP address", what, cl_shown(b, v, s));
				else
					snprintf(p->host_ip, sizeof(p->host_ip), "%s", s);
			}
		} else if (!strcmp(KEY(k), "protocol")) {
			if ((rc = cl_get_str(L, v, what, &s)) == 0 && !PLACEHOLDER(L)) {
				if (strcmp(s, "tcp") && strcmp(s, "udp") && strcmp(s, "sctp"))
					rc = cl_fail(L, v, "%s must be tcp, udp or sctp, not '%s'", what, cl_shown(b, v, s));
				else
					snprintf(p->protocol, sizeof(p->protocol), "%s", s);
			}
		} else if (!strcmp(KEY(k), "mode")) {
			/* one engine: ingress and host publish alike */
			if ((rc = cl_get_str(L, v, what, &s)) == 0 && !PLACEHOLDER(L) && strcmp(s, "host") &&
			    strcmp(s, "ingress"))
				rc = cl_fail(L, v, "%s must be host or ingress, not '%s'", what, cl_shown(b, v, s));
		} else if (!strcmp(KEY(k), "name") || !strcmp(KEY(k), "app_protocol")) {
			rc = cl_get_str(L, v, what, &s); /* names for people and tools: the engine has no use for them */
		} else if (!strncmp(KEY(k), "x-", 2)) {
			rc = 0;
		} else {
			rc = cl_fail(L, k, "unknown key '%s' in %s (target, published, host_ip, protocol, mode, name, "
				     "app_protocol)", cl_shown(b, k, KEY(k)), x->what);
		}
		free(s);
		if (rc < 0)
			return rc;
	}
	if (!target)
		return cl_fail(L, n, "%s: a port needs its target", x->what);
	return 0;
}

/* Whether ports[last] binds what an earlier entry binds already. */
static int port_repeated(const struct compose_port *ports, size_t last)
{
	const struct compose_port *p = &ports[last];
	size_t i;

	for (i = 0; i < last; i++)
		if (ports[i].host_port == p->host_port && ports[i].container_port == p->container_port &&
		    !strcmp(ports[i].host_ip, p->host_ip) && !strcmp(ports[i].protocol, p->protocol))
			return 1;
	return 0;
}

int cs_ports(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if ((rc = cl_check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		struct compose_port *p = PUSH(x->s->ports, x->s->nports);
		const char *why = NULL;
		unsigned f;
		char *s, b[80];

		p->line = cl_line_of(v);
		strcpy(p->protocol, "tcp");
		if (v->type == YAML_MAPPING_NODE) {
			if ((rc = long_port(x, v, p)) < 0)
				return rc;
			continue;
		}
		if ((rc = cl_value(L, v, x->what, 0, &s, &f)) < 0)
			return rc;
		if (!(f & INTERP_PLACEHOLDER) && parse_port(p, s, &why) < 0)
			rc = cl_fail(L, v, "%s: bad port '%s': %s", x->what, cl_shown(b, v, s), why);
		free(s);
		if (rc < 0)
			return rc;
		if (!(f & INTERP_PLACEHOLDER) && port_repeated(x->s->ports, x->s->nports - 1))
			x->s->nports--; /* the same binding twice is one (an optional address that defaults to another) */
	}
	return 0;
}

static int check_alias(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (!PLACEHOLDER(L) && !cl_valid_name(s, 253))
		return cl_fail(L, n, "%s: invalid alias '%s'", what, cl_shown(b, n, s));
	return 0;
}

/* A network of the top level (read before the services), or "default". */
static int check_defined(struct svc_ctx *x, const yaml_node_t *n, const char *network)
{
	const struct compose *c = x->L->c;
	char b[80];
	size_t k;

	for (k = 0; k < c->nnetworks; k++)
		if (!strcmp(c->networks[k].key, network))
			return 0;
	if (!strcmp(network, "default"))
		return 0;
	return cl_fail(x->L, n, "service '%s' uses network '%s', which is not defined under networks:", x->s->name,
		       cl_shown(b, n, network));
}

int cs_networks(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	struct compose_service *s = x->s;
	struct compose_netref *r;
	yaml_node_pair_t *p, *p2;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *k2, *v2;
	size_t i;
	char b[80];
	int rc;

	if (n->type == YAML_SEQUENCE_NODE) {
		if ((rc = cl_check_seq(L, n, x->what)) < 0)
			return rc;
		SEQ_EACH(L, n, it, v) {
			r = PUSH(s->networks, s->nnetworks);
			r->line = cl_line_of(v);
			if ((rc = cl_get_name(L, v, x->what, &r->network)) < 0)
				return rc;
			for (i = 0; i + 1 < s->nnetworks; i++)
				if (!strcmp(s->networks[i].network, r->network))
					return cl_fail(L, v, "%s: network '%s' is listed twice", x->what,
						       cl_shown(b, v, r->network));
			if ((rc = check_defined(x, v, r->network)) < 0)
				return rc;
		}
		return 0;
	}
	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		r = PUSH(s->networks, s->nnetworks);
		r->line = cl_line_of(k);
		r->network = xstrdup(KEY(k));
		if ((rc = cl_check_name(L, k, x->what, r->network)) < 0 || (rc = check_defined(x, k, r->network)) < 0)
			return rc;
		if (cl_is_null(v))
			continue;
		if ((rc = cl_check_map(L, v, x->what)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			if (!strncmp(KEY(k2), "x-", 2))
				continue;
			if (strcmp(KEY(k2), "aliases"))
				return cl_fail(L, k2, "unknown key '%s' in %s.%s", cl_shown(b, k2, KEY(k2)), x->what,
					       r->network);
			if ((rc = cl_get_strlist(L, v2, x->what, 0, check_alias, &r->aliases, &r->naliases)) < 0)
				return rc;
		}
	}
	return 0;
}

int cs_extra_hosts(struct svc_ctx *x, yaml_node_t *n)
{
	size_t i;
	char b[80];
	int rc;

	if ((rc = cl_get_kv(x->L, n, x->what, "=:", 1, &x->s->extra_hosts, &x->s->nextra_hosts)) < 0)
		return rc;
	for (i = 0; i < x->s->nextra_hosts; i++) {
		const yaml_node_t *e = cl_kv_node(x->L, n, i);

		if (!*x->s->extra_hosts[i].value)
			return cl_fail(x->L, e, "%s: '%s' has no address", x->what,
				       cl_shown(b, e, x->s->extra_hosts[i].key));
	}
	return 0;
}
