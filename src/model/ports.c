/* ports.c - the host-port table (see ports.h for the formula). */
#include <stddef.h>

#include "dive/error.h"
#include "dive/ports.h"

#define SERVICE(member, base, hint) { #member, base, hint, offsetof(struct dive_ports, member) }

/* Struct order; bases are distinct multiples of DIVE_PORTS_STRIDE. */
static const struct dive_port_service services[] = {
	SERVICE(frontend, 13000, "3000"),
	SERVICE(backend, 14000, "4000"),
	SERVICE(keycloak_https, 18400, "8443"),
	SERVICE(keycloak_http, 18000, "8080"),
	SERVICE(keycloak_mgmt, 19000, "9000"),
	SERVICE(opa, 18100, "8181"),
	SERVICE(kas, 18200, "8080"),
	SERVICE(opal, 17000, "7002 (hub opal-server), 8181 (spoke opal-client)"),
	SERVICE(postgres, 15400, "5432"),
	SERVICE(mongodb, 12700, "27017"),
	SERVICE(redis, 16300, "6379"),
};

#define NSERVICES (sizeof(services) / sizeof(services[0]))

_Static_assert(sizeof(struct dive_ports) == NSERVICES * sizeof(int),
	       "every member of struct dive_ports needs a row in services[]");

size_t ports_service_count(void)
{
	return NSERVICES;
}

const struct dive_port_service *ports_service_at(size_t i)
{
	return i < NSERVICES ? &services[i] : NULL;
}

static int *slot(struct dive_ports *p, size_t i)
{
	return (int *)((char *)p + services[i].field);
}

int ports_value(const struct dive_ports *p, size_t i)
{
	if (i >= NSERVICES)
		return -1;
	return *(const int *)((const char *)p + services[i].field);
}

int ports_for(struct dive_ports *out, const struct dive_country *c)
{
	size_t i;

	if (!c)
		return dive_error_set(DIVE_EFAIL, "no country to compute ports for");
	if (c->index < 0 || c->index >= DIVE_PORTS_STRIDE)
		return dive_error_set(DIVE_EFAIL, "country '%s' has index %d, outside the port scheme's 0..%d",
				      c->code, c->index, DIVE_PORTS_STRIDE - 1);
	for (i = 0; i < NSERVICES; i++)
		*slot(out, i) = services[i].base + c->index;
	return 0;
}
