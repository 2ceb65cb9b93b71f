/*
 * ports.h - the one host-port scheme for the hub and every spoke.
 *
 *   port = base(service) + index(country)
 *
 * Every base is a multiple of 100 (DIVE_PORTS_STRIDE) and every index is
 * below 100, so the leading three digits of a port name the service and its
 * last two digits the country: 18411 is keycloak_https of index 11 (DEU).
 * Two different (service, country) pairs therefore never share a port, by
 * construction rather than by checking; tests/unit/test_ports.c proves it
 * for the whole table anyway.
 *
 * The leading digits are "1" followed by the first two digits of the port
 * the service listens on inside its container where that is free (frontend
 * 3000 -> 130xx, postgres 5432 -> 154xx, mongodb 27017 -> 127xx, keycloak
 * 8443 -> 184xx); kas, whose 8080 keycloak already uses, takes 182xx.  So
 * every port lies in 12700..19099: above the privileged ports, below the
 * kernel's ephemeral range (32768..), and clear of the services' usual ports
 * and of every port the predecessor published (reference/predecessor.md
 * §9.2), so a predecessor stack or a local PostgreSQL can run beside dive.
 * Ports are published on DIVE_PORTS_BIND only.  docs/ports.md lists every
 * port and a unit test keeps it equal to this code.
 *
 * To add a service: add a member to struct dive_ports and a row to the table
 * in src/model/ports.c with a base that is a multiple of 100 not used yet
 * (the tests check that the table covers the struct), then regenerate the
 * table in docs/ports.md.  Read ports through the table (ports_service_at,
 * ports_value), not by member name, so output and tests follow the table.
 */
#ifndef DIVE_PORTS_H
#define DIVE_PORTS_H

#include <stddef.h>

#include "dive/country.h"

#define DIVE_PORTS_BIND "127.0.0.1"
#define DIVE_PORTS_STRIDE 100  /* slots per service: indexes 0..99 */

/* Host ports of one instance (hub or spoke). */
struct dive_ports {
	int frontend;
	int backend;
	int keycloak_https;
	int keycloak_http;
	int keycloak_mgmt;   /* health and metrics, 9000 inside */
	int opa;
	int kas;
	int opal;            /* opal-server on the hub, opal-client on a spoke */
	int postgres;        /* the following three for operators and dive's probes */
	int mongodb;
	int redis;
};

struct dive_port_service {
	const char *name;                /* "keycloak_https": JSON key and doc column */
	int base;                        /* host port of index 0, the hub */
	const char *container_port_hint; /* port inside the container, e.g. "8443" */
	size_t field;                    /* offsetof(struct dive_ports, <member>) */
};

/*
 * Fill out with the host ports of country c.  Returns 0, or DIVE_EFAIL with
 * the last error set when c is NULL or its index lies outside the scheme.
 */
int ports_for(struct dive_ports *out, const struct dive_country *c);

/* The services in table order (struct order); NULL past the end. */
size_t ports_service_count(void);
const struct dive_port_service *ports_service_at(size_t i);

/* The port of service i in p; -1 when i is past the end. */
int ports_value(const struct dive_ports *p, size_t i);

#endif
