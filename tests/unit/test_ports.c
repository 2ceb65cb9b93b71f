/* test_ports.c - the one port scheme: collision-free, in range, documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/country.h"
#include "dive/error.h"
#include "dive/ports.h"

#define MAX_PORTS 2048

struct owner {
	int port;
	const char *code;
	const char *service;
};

/* Every published port of every instance, hub included. */
static size_t all_ports(struct owner *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < country_count(); i++) {
		const struct dive_country *c = country_at(i);
		struct dive_ports p;

		assert_int_equal(ports_for(&p, c), 0);
		for (j = 0; j < ports_service_count(); j++) {
			assert_true(n < MAX_PORTS);
			out[n].port = ports_value(&p, j);
			out[n].code = c->code;
			out[n].service = ports_service_at(j)->name;
			n++;
		}
	}
	return n;
}

static void ports__no_two_instances_share_a_port(void **state)
{
	static struct owner o[MAX_PORTS];
	size_t n = all_ports(o), i, j;

	assert_int_equal(n, 38 * 11);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (o[i].port != o[j].port)
				continue;
			fail_msg("port %d is both %s %s and %s %s", o[i].port, o[i].code, o[i].service,
				 o[j].code, o[j].service);
		}
	}
}

/*
 * Ports other things on a developer's machine use: the test environment
 * (tests/env/lib.sh) and the services' usual ports.
 */
static const int reserved[] = {
	55432, 57017, 58080, 59000, 58181,
	3000, 4000, 5432, 6379, 7002, 8080, 8085, 8181, 8182, 8282, 8443, 9000, 27017, 27018, 27019,
};

/* A port one of the predecessor's formulas (predecessor.md §9.2) publishes. */
static int predecessor_port(int port)
{
	static const int unit_bases[] = { 3000, 4000, 8443, 8080, 8100, 9000, 9100, 9181, 10000, 5432, 27017, 6379 };
	size_t b;
	int o;

	for (o = 0; o < 48; o++) {
		if (port == 8181 + 10 * o || port == 8181 + o)
			return 1;
		for (b = 0; b < sizeof(unit_bases) / sizeof(unit_bases[0]); b++)
			if (port == unit_bases[b] + o)
				return 1;
	}
	return 0;
}

static void ports__every_port_is_in_range_and_clear_of_reserved_ports(void **state)
{
	static struct owner o[MAX_PORTS];
	size_t n = all_ports(o), i, r;

	for (i = 0; i < n; i++) {
		/* Unprivileged, and below Linux's ephemeral range (32768..60999). */
		if (o[i].port < 1024 || o[i].port > 32767)
			fail_msg("%s %s port %d out of range", o[i].code, o[i].service, o[i].port);
		for (r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++)
			if (o[i].port == reserved[r])
				fail_msg("%s %s uses reserved port %d", o[i].code, o[i].service, o[i].port);
		if (predecessor_port(o[i].port))
			fail_msg("%s %s port %d is one the predecessor publishes", o[i].code, o[i].service,
				 o[i].port);
	}
}

static void ports__digits_name_the_service_and_the_country(void **state)
{
	size_t i, j;

	assert_true(country_count() <= DIVE_PORTS_STRIDE);
	for (i = 0; i < country_count(); i++) {
		const struct dive_country *c = country_at(i);
		struct dive_ports p;

		assert_int_equal(ports_for(&p, c), 0);
		for (j = 0; j < ports_service_count(); j++) {
			int port = ports_value(&p, j);

			assert_int_equal(port % DIVE_PORTS_STRIDE, c->index);
			assert_int_equal(port - c->index, ports_service_at(j)->base);
		}
	}
}

static void ports__table_covers_every_member_once(void **state)
{
	size_t i, j, n = ports_service_count();
	struct dive_ports p;

	assert_int_equal(n * sizeof(int), sizeof(struct dive_ports));
	assert_null(ports_service_at(n));
	assert_int_equal(ports_value(&p, n), -1);
	for (i = 0; i < n; i++) {
		const struct dive_port_service *s = ports_service_at(i);

		assert_int_equal(s->base % DIVE_PORTS_STRIDE, 0);
		assert_true(s->field % sizeof(int) == 0 && s->field < sizeof(struct dive_ports));
		assert_true(strlen(s->container_port_hint) > 0);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(ports_service_at(j)->name, s->name);
			assert_int_not_equal(ports_service_at(j)->base, s->base);
			assert_int_not_equal(ports_service_at(j)->field, s->field);
		}
	}
	/* The table follows the members, e.g. the first and the Keycloak ones. */
	assert_string_equal(ports_service_at(0)->name, "frontend");
	assert_int_equal(ports_service_at(0)->field, offsetof(struct dive_ports, frontend));
	assert_int_equal(ports_service_at(2)->field, offsetof(struct dive_ports, keycloak_https));
}

static void ports__hub_and_a_spoke_follow_the_formula(void **state)
{
	struct dive_ports hub, deu;

	assert_int_equal(ports_for(&hub, country_find("USA")), 0);
	assert_int_equal(ports_for(&deu, country_find("DEU")), 0);
	assert_int_equal(hub.frontend, 13000);
	assert_int_equal(hub.kas, 18200);
	assert_int_equal(deu.frontend, 13011);
	assert_int_equal(deu.backend, 14011);
	assert_int_equal(deu.keycloak_https, 18411);
	assert_int_equal(deu.keycloak_http, 18011);
	assert_int_equal(deu.keycloak_mgmt, 19011);
	assert_int_equal(deu.opa, 18111);
	assert_int_equal(deu.kas, 18211);
	assert_int_equal(deu.opal, 17011);
	assert_int_equal(deu.postgres, 15411);
	assert_int_equal(deu.mongodb, 12711);
	assert_int_equal(deu.redis, 16311);
	assert_string_equal(DIVE_PORTS_BIND, "127.0.0.1");
}

static void ports__rejects_a_country_outside_the_scheme(void **state)
{
	struct dive_country far = { "ZZZ", "Nowhere", DIVE_PORTS_STRIDE, DIVE_COUNTRY_PARTNER };
	struct dive_country neg = { "ZZY", "Nowhere", -1, DIVE_COUNTRY_PARTNER };
	struct dive_ports p;

	assert_int_equal(ports_for(&p, NULL), DIVE_EFAIL);
	assert_int_equal(ports_for(&p, &far), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "'ZZZ' has index 100"));
	assert_int_equal(ports_for(&p, &neg), DIVE_EFAIL);
}

/* Split a markdown table row into trimmed cells; returns how many. */
static int cells(char *line, char **out, int max)
{
	char *p = line, *bar;
	int n = 0;

	while (*p == ' ')
		p++;
	if (*p != '|')
		return 0;
	p++;
	while ((bar = strchr(p, '|')) && n < max) {
		char *end = bar;

		*bar = '\0';
		while (*p == ' ')
			p++;
		while (end > p && end[-1] == ' ')
			*--end = '\0';
		out[n++] = p;
		p = bar + 1;
	}
	return n;
}

static void ports__document_matches_the_code(void **state)
{
	char path[1024], line[1024], *cell[32], want[64];
	int seen[DIVE_PORTS_STRIDE] = { 0 };
	size_t i, ns = ports_service_count(), services = 0, rows = 0;
	int header = 0, n;
	const char *dir = getenv("DIVE_SOURCE_DIR");
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/ports.md", dir ? dir : DIVE_SOURCE_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const struct dive_country *c;
		struct dive_ports p;

		line[strcspn(line, "\n")] = '\0';
		n = cells(line, cell, 32);
		if (n < 3)
			continue;
		/* The services table: | `name` | base | container port | */
		for (i = 0; i < ns; i++) {
			const struct dive_port_service *s = ports_service_at(i);

			snprintf(want, sizeof(want), "`%s`", s->name);
			if (strcmp(cell[0], want))
				continue;
			assert_int_equal(atoi(cell[1]), s->base);
			assert_string_equal(cell[2], s->container_port_hint);
			services++;
		}
		/* The instances table: | code | name | kind | index | <one column per service> | */
		if (!strcmp(cell[0], "code")) {
			assert_int_equal(n, 4 + (int)ns);
			for (i = 0; i < ns; i++)
				assert_string_equal(cell[4 + i], ports_service_at(i)->name);
			header = 1;
			continue;
		}
		c = country_find(cell[0]);
		if (!c || strcmp(cell[0], c->code))
			continue;
		assert_true(header);
		assert_int_equal(n, 4 + (int)ns);
		assert_string_equal(cell[1], c->name);
		assert_string_equal(cell[2], country_kind_name(c->kind));
		assert_int_equal(atoi(cell[3]), c->index);
		assert_int_equal(ports_for(&p, c), 0);
		for (i = 0; i < ns; i++)
			if (atoi(cell[4 + i]) != ports_value(&p, i))
				fail_msg("docs/ports.md: %s %s is %s, the code says %d", c->code,
					 ports_service_at(i)->name, cell[4 + i], ports_value(&p, i));
		assert_int_equal(seen[c->index]++, 0);
		rows++;
	}
	fclose(f);
	assert_int_equal(services, ns);
	assert_int_equal(rows, country_count());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ports__no_two_instances_share_a_port),
		cmocka_unit_test(ports__every_port_is_in_range_and_clear_of_reserved_ports),
		cmocka_unit_test(ports__digits_name_the_service_and_the_country),
		cmocka_unit_test(ports__table_covers_every_member_once),
		cmocka_unit_test(ports__hub_and_a_spoke_follow_the_formula),
		cmocka_unit_test(ports__rejects_a_country_outside_the_scheme),
		cmocka_unit_test(ports__document_matches_the_code),
	};

	return cmocka_run_group_tests_name("ports", tests, NULL, NULL);
}
