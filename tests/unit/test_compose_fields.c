/*
 * test_compose_fields.c - the wider compose subset (issue 19): long ports
 * and volumes, resources, logging, ulimits, capabilities, sysctls, merge
 * keys, x- keys everywhere, what is still refused, and the hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/compose.h"
#include "dive/error.h"

static struct compose *load(const char *text)
{
	struct compose *c = NULL;

	if (compose_load_string(&c, "/srv/stack/f.yml", text, strlen(text), NULL) < 0)
		fail_msg("rejected: %s\n%s", dive_error_last(), text);
	return c;
}

static void refused(const char *text, const char *want)
{
	struct compose *c = NULL;

	if (compose_load_string(&c, "f.yml", text, strlen(text), NULL) == 0) {
		compose_free(c);
		fail_msg("accepted, expected '%s':\n%s", want, text);
	}
	if (!strstr(dive_error_last(), want) || strncmp(dive_error_last(), "f.yml:", 6) || strchr(dive_error_last(), '\n'))
		fail_msg("message '%s' lacks '%s' (or its place, or is more than one line)", dive_error_last(), want);
}

static void compose__reads_the_long_forms_of_ports_and_volumes(void **state)
{
	struct compose *c = load("volumes: {data: }\n"
				 "services:\n"
				 "  a:\n"
				 "    image: x\n"
				 "    ports:\n"
				 "      - {target: 80, published: \"8080\", host_ip: 127.0.0.1, protocol: udp, mode: host}\n"
				 "      - {target: 443, name: https, app_protocol: https}\n"
				 "      - \"127.0.0.1:9000:9000\"\n"
				 "    volumes:\n"
				 "      - {type: volume, source: data, target: /data, read_only: true, volume: {nocopy: true}}\n"
				 "      - {type: bind, source: ./conf, target: /conf, bind: {propagation: rslave, selinux: z}}\n"
				 "      - {type: bind, source: /etc/x, target: /x, bind: {create_host_path: false}}\n"
				 "      - {type: tmpfs, target: /scratch, tmpfs: {size: 64m, mode: 1777}}\n"
				 "      - {type: volume, target: /anon}\n"
				 "      - \"/host:/h:ro,Z,rshared\"\n"
				 "      - \"data:/d2:nocopy\"\n");
	const struct compose_service *s = &c->services[0];

	assert_int_equal(s->nports, 3);
	assert_string_equal(s->ports[0].host_ip, "127.0.0.1");
	assert_int_equal(s->ports[0].host_port, 8080);
	assert_int_equal(s->ports[0].container_port, 80);
	assert_string_equal(s->ports[0].protocol, "udp");
	assert_int_equal(s->ports[1].host_port, 0);
	assert_string_equal(s->ports[1].protocol, "tcp");
	assert_int_equal(s->ports[2].host_port, 9000);

	assert_int_equal(s->nvolumes, 6);
	assert_int_equal(s->volumes[0].type, COMPOSE_MOUNT_VOLUME);
	assert_true(s->volumes[0].read_only && s->volumes[0].nocopy);
	assert_int_equal(s->volumes[1].type, COMPOSE_MOUNT_BIND);
	assert_string_equal(s->volumes[1].source, "/srv/stack/conf");
	assert_string_equal(s->volumes[1].propagation, "rslave");
	assert_int_equal(s->volumes[1].selinux, 'z');
	assert_true(s->volumes[2].no_create);
	assert_int_equal(s->volumes[3].type, COMPOSE_MOUNT_ANONYMOUS);
	assert_string_equal(s->volumes[3].target, "/anon");
	assert_true(s->volumes[4].read_only);
	assert_int_equal(s->volumes[4].selinux, 'Z');
	assert_string_equal(s->volumes[4].propagation, "rshared");
	assert_true(s->volumes[5].nocopy);
	/* the tmpfs mount joins tmpfs */
	assert_int_equal(s->ntmpfs, 1);
	assert_string_equal(s->tmpfs[0], "/scratch:size=67108864,mode=1777");
	compose_free(c);
}

static void compose__reads_resources_from_keys_and_deploy(void **state)
{
	struct compose *c = load("services:\n"
				 "  a:\n"
				 "    image: x\n"
				 "    mem_limit: 512m\n"
				 "    memswap_limit: 1g\n"
				 "    mem_reservation: 128MiB\n"
				 "    cpus: 0.5\n"
				 "    pids_limit: 100\n"
				 "  b:\n"
				 "    image: x\n"
				 "    mem_limit: 1073741824\n"
				 "    deploy:\n"
				 "      replicas: 1\n"
				 "      x-note: ignored\n"
				 "      resources:\n"
				 "        limits: {memory: 1g, cpus: \"1.5\", pids: -1}\n"
				 "        reservations: {memory: 256m}\n"
				 "  c:\n"
				 "    image: x\n"
				 "    memswap_limit: -1\n"
				 "    mem_limit: 6m\n");
	const struct compose_resources *a = &c->services[0].resources, *b = &c->services[1].resources;

	assert_true(a->memory == 512LL << 20 && a->memory_swap == 1LL << 30 && a->memory_reservation == 128LL << 20);
	assert_true(a->nano_cpus == 500000000LL && a->pids == 100);
	assert_int_equal(a->line, 4);
	assert_true(b->memory == 1LL << 30 && b->nano_cpus == 1500000000LL && b->pids == -1);
	assert_true(b->memory_reservation == 256LL << 20);
	assert_true(c->services[2].resources.memory_swap == -1);
	compose_free(c);

	refused("services:\n  a:\n    image: x\n    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n",
		"f.yml:5: services.a.deploy.resources.limits.memory: a different value is given for the same limit");
	refused("services:\n  a: {image: x, mem_limit: 1m}\n", "services.a.mem_limit: the engine needs at least 6m");
	refused("services:\n  a: {image: x, mem_limit: lots}\n", "bad size 'lots'");
	refused("services:\n  a: {image: x, cpus: 0}\n", "must be a number of CPUs from 0.001 to 1024, not '0'");
	refused("services:\n  a: {image: x, pids_limit: 0}\n", "must be -1 (unlimited) or a positive number");
	refused("services:\n  a: {image: x, deploy: {replicas: 2}}\n", "dive runs one container per service");
	refused("services:\n  a: {image: x, deploy: {labels: {a: b}}}\n",
		"services.a.deploy.labels is not supported by dive (only deploy.resources)");
	refused("services:\n  a: {image: x, deploy: {resources: {reservations: {cpus: \"1\"}}}}\n",
		"reservations.cpus is not supported by dive");
	refused("services:\n  a: {image: x, deploy: {resources: {limits: {memroy: 1g}}}}\n",
		"unknown key 'memroy' in services.a.deploy.resources.limits");
}

static void compose__parses_sizes(void **state)
{
	static const struct {
		const char *in;
		long long want;
	} ok[] = {
		{ "0", 0 }, { "1024", 1024 }, { "1k", 1024 }, { "1kb", 1024 }, { "1KiB", 1024 }, { "512m", 512LL << 20 },
		{ "1.5g", 3LL << 29 }, { "1 GB", 1LL << 30 }, { "2t", 2LL << 40 }, { "10b", 10 }, { "1p", 1LL << 50 },
	};
	static const char *const bad[] = { "", "m", "1x", "1mm", "-1", "1.5.5g", "2p", "99999999999999999999", "1 ",
					   "0x10" };
	long long v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (compose_parse_bytes(&v, ok[i].in) < 0 || v != ok[i].want)
			fail_msg("'%s': got %lld, want %lld", ok[i].in, v, ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (compose_parse_bytes(&v, bad[i]) == 0)
			fail_msg("'%s' accepted as %lld", bad[i], v);
}

static void compose__reads_logging_ulimits_capabilities_and_sysctls(void **state)
{
	struct compose *c = load("services:\n"
				 "  a:\n"
				 "    image: x\n"
				 "    logging:\n"
				 "      driver: json-file\n"
				 "      options: {max-size: 10m, max-file: \"3\"}\n"
				 "    ulimits:\n"
				 "      nproc: 65535\n"
				 "      nofile: {soft: 20000, hard: 40000}\n"
				 "    cap_add: [NET_ADMIN, CAP_SYS_TIME]\n"
				 "    cap_drop: [ALL]\n"
				 "    sysctls: [net.core.somaxconn=1024, \"net.ipv4.tcp_syncookies=0\"]\n"
				 "    extra_hosts: [\"zulu:1.1.1.1\", \"zulu:2.2.2.2\"]\n"
				 "  b:\n"
				 "    image: x\n"
				 "    logging: {options: {tag: b}}\n"
				 "    sysctls: {net.core.somaxconn: 512}\n");
	const struct compose_service *a = &c->services[0], *b = &c->services[1];

	assert_string_equal(a->logging.driver, "json-file");
	assert_int_equal(a->logging.noptions, 2);
	assert_string_equal(a->logging.options[0].key, "max-size");
	assert_string_equal(a->logging.options[0].value, "10m");
	assert_int_equal(a->nulimits, 2);
	assert_true(a->ulimits[0].soft == 65535 && a->ulimits[0].hard == 65535);
	assert_true(a->ulimits[1].soft == 20000 && a->ulimits[1].hard == 40000);
	assert_string_equal(a->ulimits[1].name, "nofile");
	assert_int_equal(a->ncap_add, 2);
	assert_string_equal(a->cap_add[1], "CAP_SYS_TIME");
	assert_string_equal(a->cap_drop[0], "ALL");
	assert_int_equal(a->nsysctls, 2);
	assert_string_equal(a->sysctls[1].key, "net.ipv4.tcp_syncookies");
	assert_string_equal(a->sysctls[1].value, "0");
	assert_int_equal(a->nextra_hosts, 2);
	assert_null(b->logging.driver);
	assert_int_equal(b->logging.noptions, 1);
	assert_string_equal(b->sysctls[0].value, "512");
	compose_free(c);

	refused("services:\n  a:\n    image: x\n    ulimits: {nofiles: 1}\n", "f.yml:4: services.a.ulimits: unknown limit 'nofiles'");
	refused("services:\n  a:\n    image: x\n    ulimits: {nofile: {soft: 2, hard: 1}}\n", "soft is larger than hard");
	refused("services:\n  a:\n    image: x\n    ulimits: {nofile: {soft: 2}}\n", "needs both soft and hard");
	refused("services:\n  a:\n    image: x\n    cap_add: [net_admin]\n", "'net_admin' is not a capability");
	refused("services:\n  a:\n    image: x\n    sysctls: [\"Net Core=1\"]\n", "is not a sysctl name");
	refused("services:\n  a:\n    image: x\n    logging: {driver: \"a b\"}\n", "invalid driver name");
	refused("services:\n  a:\n    image: x\n    logging: {drivr: json-file}\n", "unknown key 'drivr' in services.a.logging");
	refused("services:\n  a:\n    image: x\n    labels: {dive.project: other}\n", "'dive.project' is a label dive sets itself");
	refused("services:\n  a:\n    image: x\n    labels: [com.docker.compose.project=x]\n", "is a label dive sets itself");
}

static void compose__resolves_anchors_and_merge_keys(void **state)
{
	struct compose *c = load("x-base: &base\n"
				 "  image: base:1\n"
				 "  restart: always\n"
				 "  environment: &env {A: \"1\", B: \"2\"}\n"
				 "x-more: &more\n"
				 "  user: \"70\"\n"
				 "  restart: \"no\"\n"
				 "services:\n"
				 "  a:\n"
				 "    <<: *base\n"
				 "    image: own:2\n"
				 "  b:\n"
				 "    <<: [*base, *more]\n"
				 "    environment:\n"
				 "      <<: *env\n"
				 "      B: \"3\"\n"
				 "  c:\n"
				 "    <<: [*more, *base]\n");
	const struct compose_service *a = &c->services[0], *b = &c->services[1], *cc = &c->services[2];

	/* what the map says wins over what it merges */
	assert_string_equal(a->image, "own:2");
	assert_string_equal(a->restart, "always");
	assert_int_equal(a->nenvironment, 2);
	/* earlier sources win over later ones */
	assert_string_equal(b->restart, "always");
	assert_string_equal(b->user, "70");
	assert_string_equal(cc->restart, "no");
	assert_string_equal(cc->image, "base:1");
	assert_int_equal(b->nenvironment, 2);
	assert_string_equal(b->environment[0].name, "B");
	assert_string_equal(b->environment[0].value, "3");
	assert_string_equal(b->environment[1].name, "A");
	compose_free(c);

	refused("x-a: &a x\nservices:\n  a:\n    <<: *a\n", "f.yml:1: a merge key ('<<') takes a map or a list of maps, not a single value");
	refused("x-a: &a {k: 1, <<: *a}\nservices:\n  a: {image: x}\n", "takes in the map it is part of");
	refused("x-a: &a {image: x}\nservices:\n  a:\n    <<: *a\n    image: y\n    image: z\n", "duplicate key 'image'");
}

static void compose__ignores_x_keys_at_every_level(void **state)
{
	struct compose *c = load("x-top: 1\n"
				 "volumes: {v: {x-note: 1}}\n"
				 "networks: {n: {x-note: 1}}\n"
				 "services:\n"
				 "  a:\n"
				 "    x-note: 1\n"
				 "    image: x\n"
				 "    healthcheck: {test: [CMD, \"true\"], x-note: 1}\n"
				 "    networks: {n: {x-note: 1}}\n"
				 "    ports: [{target: 80, x-note: 1}]\n"
				 "    volumes: [{type: volume, source: v, target: /v, x-note: 1, volume: {x-note: 1}}]\n"
				 "    logging: {driver: local, x-note: 1}\n"
				 "    ulimits: {x-note: 1, nofile: {soft: 1, hard: 2, x-note: 1}}\n"
				 "    deploy: {x-note: 1, resources: {x-note: 1, limits: {x-note: 1, cpus: \"1\"}}}\n"
				 "  b:\n"
				 "    image: x\n"
				 "    depends_on: {a: {condition: service_started, x-note: 1}}\n");

	assert_int_equal(c->nservices, 2);
	assert_int_equal(c->services[0].nulimits, 1);
	compose_free(c);
}

static void compose__still_refuses_what_it_cannot_pass_on(void **state)
{
	refused("services:\n  a:\n    image: x\n    volumes: [{type: volume, target: /v, volume: {subpath: s}}]\n",
		"needs Docker Engine API 1.45");
	refused("services:\n  a:\n    image: x\n    volumes: [{type: image, source: i, target: /v}]\n",
		"type 'image' is not supported by dive");
	refused("services:\n  a:\n    image: x\n    volumes: [{source: /a, target: /v}]\n", "needs its type");
	refused("services:\n  a:\n    image: x\n    volumes: [{type: bind, target: /v}]\n", "a bind needs its source");
	refused("services:\n  a:\n    image: x\n    volumes: [{type: volume, source: /abs, target: /v}]\n",
		"the source of a volume must be a volume name");
	refused("services:\n  a:\n    image: x\n    volumes: [{type: volume, target: /v, bind: {propagation: shared}}]\n",
		"'bind' options on a volume of type 'volume'");
	refused("services:\n  a:\n    image: x\n    volumes: [\"data:/v:z\"]\nvolumes: {data: }\n",
		"bad volume option 'z' (z and Z are for host paths)");
	refused("services:\n  a:\n    image: x\n    volumes: [{type: tmpfs, target: /t, tmpfs: {mode: 999}}]\n",
		"must be an octal mode");
	refused("services:\n  a:\n    image: x\n    ports: [{target: 80, published: 8000-8001}]\n", "port ranges are not supported");
	refused("services:\n  a:\n    image: x\n    ports: [{target: 80, host_ip: localhost}]\n", "'localhost' is not an IP address");
	refused("services:\n  a:\n    image: x\n    ports: [{target: 80, mode: swarm}]\n", "must be host or ingress");
	refused("services:\n  a:\n    image: x\n    privileged: true\n", "key 'privileged' in services.a is not supported by dive");
	refused("services:\n  a:\n    image: x\n    extends: {service: b}\n", "key 'extends' in services.a is not supported by dive");
}

static void hash(char out[65], const char *text)
{
	struct compose *c = load(text);

	compose_config_hash(out, &c->services[0]);
	compose_free(c);
}

/*
 * A service that uses none of the new keys keeps the hash it had before
 * they existed (computed with the code of main before issue 19), so an
 * upgrade of dive recreates no container.
 */
static void compose__config_hash_keeps_its_value_for_services_without_the_new_keys(void **state)
{
	char h[65];

	hash(h, "name: golden\n"
		"services:\n"
		"  db:\n"
		"    image: postgres:15-alpine\n"
		"    container_name: golden-db\n"
		"    command: [\"postgres\", \"-c\", \"max_connections=50\"]\n"
		"    entrypoint: /entry.sh --flag\n"
		"    environment:\n"
		"      POSTGRES_USER: app\n"
		"      EMPTY:\n"
		"    env_file: [/etc/golden.env]\n"
		"    ports: [\"127.0.0.1:15432:5432\", \"5433/udp\"]\n"
		"    volumes: [\"data:/var/lib/postgresql/data\", \"/srv/golden:/srv:ro\", \"/anon\"]\n"
		"    tmpfs: [\"/run:size=1m\"]\n"
		"    networks:\n"
		"      back: {aliases: [database]}\n"
		"    healthcheck: {test: [\"CMD\", \"pg_isready\"], interval: 5s, timeout: 2s, retries: 3, start_period: 1s}\n"
		"    restart: unless-stopped\n"
		"    labels: {a: \"1\"}\n"
		"    user: \"70\"\n"
		"    init: true\n"
		"    extra_hosts: [\"h1:10.0.0.1\"]\n"
		"    working_dir: /srv\n"
		"volumes:\n"
		"  data:\n"
		"networks:\n"
		"  back:\n");
	assert_string_equal(h, "98eca04436d0159cc85fe512070287076ffad182350f1beb1da44bd882909304");
}

static void compose__config_hash_changes_with_every_new_key(void **state)
{
	static const char *const variants[] = {
		"",
		"    mem_limit: 512m\n",
		"    mem_limit: 1g\n",
		"    memswap_limit: 1g\n",
		"    mem_reservation: 64m\n",
		"    cpus: 0.5\n",
		"    cpus: 1\n",
		"    pids_limit: 10\n",
		"    logging: {driver: local}\n",
		"    logging: {driver: local, options: {max-size: 1m}}\n",
		"    logging: {options: {max-size: 1m}}\n",
		"    ulimits: {nofile: 10}\n",
		"    ulimits: {nofile: {soft: 10, hard: 20}}\n",
		"    cap_add: [NET_ADMIN]\n",
		"    cap_drop: [NET_ADMIN]\n",
		"    sysctls: {net.core.somaxconn: 1}\n",
		"    volumes: [\"/a:/b:rslave\"]\n",
		"    volumes: [\"/a:/b:z\"]\n",
		"    volumes: [{type: bind, source: /a, target: /b, bind: {create_host_path: false}}]\n",
		"    volumes: [\"v:/b:nocopy\"]\n",
		"    volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1m}}]\n",
	};
	char h[sizeof(variants) / sizeof(variants[0])][65], text[512];
	size_t i, j;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		snprintf(text, sizeof(text), "volumes: {v: }\nservices:\n  a:\n    image: x\n%s", variants[i]);
		hash(h[i], text);
		for (j = 0; j < i; j++)
			if (!strcmp(h[i], h[j]))
				fail_msg("'%s' and '%s' hash alike", variants[i], variants[j]);
	}
	/* the same limit written either way is the same container */
	hash(h[0], "services:\n  a:\n    image: x\n    mem_limit: 1g\n    cpus: 2\n");
	hash(h[1], "services:\n  a:\n    image: x\n    deploy: {resources: {limits: {memory: 1024m, cpus: \"2.0\"}}}\n");
	assert_string_equal(h[0], h[1]);
	/* sets are sets, maps are maps */
	hash(h[0], "services:\n  a:\n    image: x\n    cap_add: [A, B]\n    sysctls: {a.b: 1, c.d: 2}\n");
	hash(h[1], "services:\n  a:\n    image: x\n    cap_add: [B, A]\n    sysctls: [c.d=2, a.b=1]\n");
	assert_string_equal(h[0], h[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compose__reads_the_long_forms_of_ports_and_volumes),
		cmocka_unit_test(compose__reads_resources_from_keys_and_deploy),
		cmocka_unit_test(compose__parses_sizes),
		cmocka_unit_test(compose__reads_logging_ulimits_capabilities_and_sysctls),
		cmocka_unit_test(compose__resolves_anchors_and_merge_keys),
		cmocka_unit_test(compose__ignores_x_keys_at_every_level),
		cmocka_unit_test(compose__still_refuses_what_it_cannot_pass_on),
		cmocka_unit_test(compose__config_hash_keeps_its_value_for_services_without_the_new_keys),
		cmocka_unit_test(compose__config_hash_changes_with_every_new_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
