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

int cs_ports(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if ((rc = cl_check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		struct compose_port *p;
		const char *why = NULL;
		unsigned f;
		char *s, b[80];

		if (v->type == YAML_MAPPING_NODE)
			return cl_fail(L, v, "%s: the long port syntax is not supported; write \"ADDRESS:HOST:CONTAINER\"",
				    x->what);
		if ((rc = cl_value(L, v, x->what, 0, &s, &f)) < 0)
			return rc;
		p = PUSH(x->s->ports, x->s->nports);
		p->line = cl_line_of(v);
		if (!(f & INTERP_PLACEHOLDER) && parse_port(p, s, &why) < 0)
			rc = cl_fail(L, v, "%s: bad port '%s': %s", x->what, cl_shown(b, v, s), why);
		free(s);
		if (rc < 0)
			return rc;
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

	if ((rc = cl_get_kv(x->L, n, x->what, "=:", &x->s->extra_hosts, &x->s->nextra_hosts)) < 0)
		return rc;
	for (i = 0; i < x->s->nextra_hosts; i++) {
		/* the entry's own node: the key of a map, the item of a list */
		const yaml_node_t *e = cl_node_at(x->L, n->type == YAML_MAPPING_NODE
							 ? n->data.mapping.pairs.start[i].key
							 : n->data.sequence.items.start[i]);

		if (!*x->s->extra_hosts[i].value)
			return cl_fail(x->L, e, "%s: '%s' has no address", x->what,
				       cl_shown(b, e, x->s->extra_hosts[i].key));
	}
	return 0;
}
