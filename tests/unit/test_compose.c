/* test_compose.c - stack files into structs: every key, every error with its line, secrets, bounds, hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/compose.h"
#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/interp.h"
#include "dive/ports.h"
#include "dive/stack.h"

static const char *source_dir(void)
{
	const char *s = getenv("DIVE_SOURCE_DIR");

	return s && *s ? s : DIVE_SOURCE_DIR;
}

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/compose/%s", source_dir(), name);
	return path;
}

/* A table environment with no fallback, so the process environment cannot interfere. */
struct vars {
	struct interp_table t;
	struct interp_env env;
};

static void vars_init(struct vars *v)
{
	memset(v, 0, sizeof(*v));
	interp_env_table(&v->env, &v->t, NULL);
}

static struct compose *load_text(const char *text, const struct interp_env *env)
{
	struct compose *c = NULL;

	if (compose_load_string(&c, "inline.yml", text, strlen(text), env) < 0)
		fail_msg("inline stack rejected: %s", dive_error_last());
	return c;
}

/* The load of text must fail with a message containing want (and, if line > 0, "inline.yml:LINE: "). */
static void expect_text_error(const char *text, const struct interp_env *env, int line, const char *want)
{
	struct compose *c = NULL;
	char prefix[64];

	if (compose_load_string(&c, "inline.yml", text, strlen(text), env) == 0) {
		compose_free(c);
		fail_msg("accepted, expected '%s':\n%s", want, text);
	}
	assert_null(c);
	if (!strstr(dive_error_last(), want))
		fail_msg("message '%s' lacks '%s'", dive_error_last(), want);
	if (line > 0) {
		snprintf(prefix, sizeof(prefix), "inline.yml:%d: ", line);
		if (strncmp(dive_error_last(), prefix, strlen(prefix)))
			fail_msg("message '%s' does not start with '%s'", dive_error_last(), prefix);
	}
	assert_int_equal(dive_error_last_code(), ERRC_COMPOSE_PARSE);
}

static const struct compose_env *env_of(const struct compose_service *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nenvironment; i++)
		if (!strcmp(s->environment[i].name, name))
			return &s->environment[i];
	return NULL;
}

/* ------------------------------------------------------------------ */

static void compose__reads_every_supported_key(void **state)
{
	struct vars v;
	struct compose *c = NULL;
	const struct compose_service *db, *app, *migrate, *debug;
	const struct compose_env *e;
	char dir_init[4200], dir_env[4200];

	vars_init(&v);
	interp_table_set(&v.t, "APP_NAME", "x", 0);
	interp_table_set(&v.t, "APP_DB_PORT", "15432", 0);
	interp_table_set(&v.t, "DB_PASSWORD", "pw-value", 0);
	if (compose_load(&c, fixture("valid-full.yml"), &v.env) < 0)
		fail_msg("%s", dive_error_last());
	snprintf(dir_init, sizeof(dir_init), "%s/tests/fixtures/compose/init", source_dir());
	snprintf(dir_env, sizeof(dir_env), "%s/tests/fixtures/compose/app.env", source_dir());

	assert_string_equal(c->name, "full-x");
	assert_false(c->placeholders);
	assert_int_equal(c->nservices, 4);
	assert_int_equal(c->nnetworks, 2);
	assert_string_equal(c->networks[0].key, "internal");
	assert_string_equal(c->networks[0].driver, "bridge");
	assert_true(c->networks[0].internal);
	assert_int_equal(c->networks[0].nlabels, 1);
	assert_true(c->networks[1].external);
	assert_string_equal(c->networks[1].name, "dive-shared");
	assert_int_equal(c->nvolumes, 2);
	assert_null(c->volumes[0].name);
	assert_true(c->volumes[1].external);
	assert_string_equal(c->volumes[1].name, "shared-cache");

	assert_int_equal(c->dive.nsecrets, 1);
	assert_string_equal(c->dive.secrets[0], "DB_PASSWORD");
	assert_int_equal(c->dive.nservices, 2);

	db = compose_service_find(c, "db");
	assert_non_null(db);
	assert_int_equal(db->line, 42);
	assert_string_equal(db->image, "postgres:15-alpine");
	assert_string_equal(db->container_name, "full-db");
	assert_string_equal(db->restart, "unless-stopped");
	assert_int_equal(db->nenvironment, 3);
	e = env_of(db, "POSTGRES_USER");
	assert_string_equal(e->value, "app");
	assert_false(e->secret);
	e = env_of(db, "POSTGRES_PASSWORD");
	assert_string_equal(e->value, "pw-value");
	assert_true(e->secret); /* declared in x-dive.secrets, though the environment did not say so */
	assert_null(env_of(db, "EMPTY")->value);
	assert_int_equal(db->nvolumes, 3);
	assert_int_equal(db->volumes[0].type, COMPOSE_MOUNT_VOLUME);
	assert_string_equal(db->volumes[0].source, "db_data");
	assert_string_equal(db->volumes[0].target, "/var/lib/postgresql/data");
	assert_false(db->volumes[0].read_only);
	assert_int_equal(db->volumes[1].type, COMPOSE_MOUNT_BIND);
	assert_string_equal(db->volumes[1].source, dir_init);
	assert_true(db->volumes[1].read_only);
	assert_int_equal(db->volumes[2].type, COMPOSE_MOUNT_ANONYMOUS);
	assert_null(db->volumes[2].source);
	assert_int_equal(db->nports, 1);
	assert_string_equal(db->ports[0].host_ip, "127.0.0.1");
	assert_int_equal(db->ports[0].host_port, 15432);
	assert_int_equal(db->ports[0].container_port, 5432);
	assert_string_equal(db->ports[0].protocol, "tcp");
	assert_int_equal(db->healthcheck.kind, COMPOSE_HC_CMD);
	assert_int_equal(db->healthcheck.test.n, 3);
	assert_string_equal(db->healthcheck.test.v[0], "pg_isready");
	assert_string_equal(db->healthcheck.test.shown, "pg_isready -U app");
	assert_int_equal(db->healthcheck.interval_ms, 10000);
	assert_int_equal(db->healthcheck.timeout_ms, 5000);
	assert_int_equal(db->healthcheck.retries, 3);
	assert_int_equal(db->nlabels, 2);
	assert_string_equal(db->labels[0].key, "com.example.role");
	assert_string_equal(db->labels[0].value, "database");
	assert_string_equal(db->labels[1].value, "");
	assert_int_equal(db->init, -1);
	assert_non_null(db->dive);
	assert_int_equal(db->dive->timeout_ms, 90000);
	assert_int_equal(db->dive->timeout_min_ms, 45000);
	assert_int_equal(db->dive->timeout_max_ms, 180000);
	assert_string_equal(db->dive->probe, "tcp://127.0.0.1:15432");
	assert_int_equal(db->dive->unhealthy, COMPOSE_UNHEALTHY_FAIL);

	app = compose_service_find(c, "app");
	assert_int_equal(app->command.n, 6);
	assert_true(app->command.set);
	assert_string_equal(app->command.v[4], "my app");
	assert_string_equal(app->command.v[5], "single quoted");
	assert_string_equal(app->command.shown, "run --port 8080 --name 'my app' 'single quoted'");
	assert_int_equal(app->entrypoint.n, 2);
	assert_string_equal(app->entrypoint.v[0], "/bin/tini");
	assert_int_equal(app->nenvironment, 4);
	assert_string_equal(env_of(app, "APP_MODE")->value, "production");
	assert_false(env_of(app, "APP_MODE")->secret);
	assert_string_equal(env_of(app, "DB_URL")->value, "postgres://app:pw-value@db:5432/app");
	assert_true(env_of(app, "DB_URL")->secret);
	assert_string_equal(env_of(app, "APP_NAME")->value, "x");
	assert_null(env_of(app, "NOT_SET_ANYWHERE")->value);
	assert_int_equal(app->nenv_files, 2);
	assert_string_equal(app->env_files[0], dir_env);
	assert_string_equal(app->env_files[1], "/etc/dive/app.env");
	assert_int_equal(app->nports, 5);
	assert_string_equal(app->ports[0].host_ip, "");
	assert_int_equal(app->ports[0].host_port, 18080);
	assert_string_equal(app->ports[1].protocol, "udp");
	assert_string_equal(app->ports[2].host_ip, "::1");
	assert_int_equal(app->ports[2].host_port, 18082);
	assert_int_equal(app->ports[3].host_port, 0);
	assert_int_equal(app->ports[3].container_port, 9090);
	assert_int_equal(app->ports[4].container_port, 9091);
	assert_int_equal(app->ntmpfs, 2);
	assert_string_equal(app->tmpfs[1], "/tmp:size=64m");
	assert_int_equal(app->nnetworks, 2);
	assert_string_equal(app->networks[0].network, "internal");
	assert_int_equal(app->networks[0].naliases, 2);
	assert_string_equal(app->networks[0].aliases[1], "api");
	assert_int_equal(app->networks[1].naliases, 0);
	assert_int_equal(app->ndepends_on, 2);
	assert_string_equal(app->depends_on[0].service, "db");
	assert_int_equal(app->depends_on[0].condition, COMPOSE_SERVICE_HEALTHY);
	assert_true(app->depends_on[0].required);
	assert_int_equal(app->depends_on[1].condition, COMPOSE_SERVICE_COMPLETED);
	assert_true(app->depends_on[1].restart);
	assert_int_equal(app->depends_on[1].line, 94);
	assert_int_equal(app->healthcheck.kind, COMPOSE_HC_SHELL);
	assert_int_equal(app->healthcheck.test.n, 1);
	assert_string_equal(app->healthcheck.test.v[0], "curl -fs http://localhost:8080/health || exit 1");
	assert_int_equal(app->healthcheck.interval_ms, 500);
	assert_int_equal(app->healthcheck.timeout_ms, 90000);
	assert_int_equal(app->healthcheck.start_period_ms, 1500);
	assert_int_equal(app->healthcheck.retries, 5);
	assert_string_equal(app->labels[1].key, "com.example.tier");
	assert_string_equal(app->labels[1].value, "2");
	assert_string_equal(app->user, "1000:1000");
	assert_int_equal(app->init, 1);
	assert_int_equal(app->nextra_hosts, 2);
	assert_string_equal(app->extra_hosts[0].key, "host.docker.internal");
	assert_string_equal(app->extra_hosts[0].value, "host-gateway");
	assert_string_equal(app->extra_hosts[1].value, "10.0.0.5");
	assert_string_equal(app->working_dir, "/srv/app");
	assert_int_equal(app->dive->unhealthy, COMPOSE_UNHEALTHY_TOLERATE);

	migrate = compose_service_find(c, "migrate");
	assert_int_equal(migrate->command.n, 2);
	assert_string_equal(migrate->restart, "no");
	assert_int_equal(migrate->depends_on[0].condition, COMPOSE_SERVICE_STARTED);
	assert_int_equal(migrate->healthcheck.kind, COMPOSE_HC_NONE);
	assert_null(migrate->dive);
	assert_false(migrate->entrypoint.set);

	debug = compose_service_find(c, "debug");
	assert_int_equal(debug->nprofiles, 1);
	assert_string_equal(debug->profiles[0], "debug");
	assert_int_equal(debug->entrypoint.n, 2);
	assert_int_equal(debug->healthcheck.kind, COMPOSE_HC_NONE);
	assert_false(debug->depends_on[0].required);

	assert_null(compose_service_find(c, "nope"));
	assert_int_equal(compose_service_index(c, "migrate"), 2);
	compose_free(c);
	interp_table_release(&v.t);
}

struct bad_fixture {
	const char *file;
	int line;
	const char *message;
	int code;
};

static void compose__reports_each_error_with_its_line(void **state)
{
	static const struct bad_fixture bad[] = {
		{ "bad-yaml.yml", 7, "invalid YAML: did not find expected ',' or ']'", ERRC_COMPOSE_PARSE },
		{ "unknown-key.yml", 9, "unknown key 'healtcheck' in services.backend", ERRC_COMPOSE_PARSE },
		{ "bad-duration.yml", 8, "services.db.healthcheck.interval: bad duration '10 seconds'", ERRC_COMPOSE_PARSE },
		{ "bad-port.yml", 7, "services.web.ports: bad port '127.0.0.1:70000:443': ports are numbers from 1 to 65535",
		  ERRC_COMPOSE_PARSE },
		{ "duplicate-key.yml", 6, "services.app: duplicate key 'image' (first on line 4)", ERRC_COMPOSE_PARSE },
		{ "too-many-services.yml", 3, "more than 128 services", ERRC_COMPOSE_PARSE },
		{ "missing-required.yml", 9, "DIVE_TEST_HUB_URL: set the hub address", ERRC_COMPOSE_PARSE },
		{ "missing-secret.yml", 8, "DIVE_TEST_SECRET: secret missing", ERRC_SECRET_MISSING },
	};
	struct vars v;
	size_t i;

	vars_init(&v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct compose *c = NULL;
		char want[4200];
		int rc = compose_load(&c, fixture(bad[i].file), &v.env);

		if (rc == 0)
			fail_msg("%s was accepted", bad[i].file);
		assert_null(c);
		assert_int_equal(rc, DIVE_EUSAGE);
		snprintf(want, sizeof(want), "%s:%d: %s", fixture(bad[i].file), bad[i].line, bad[i].message);
		if (strncmp(dive_error_last(), want, strlen(want)))
			fail_msg("%s: got '%s', expected '%s'", bad[i].file, dive_error_last(), want);
		assert_int_equal(dive_error_last_code(), bad[i].code);
	}
}

static void compose__reads_missing_required_variables_as_placeholders_for_the_graph(void **state)
{
	struct vars v;
	struct compose *c = NULL;
	const struct compose_env *e;

	vars_init(&v);
	v.env.flags = INTERP_PLACEHOLDERS;
	assert_int_equal(compose_load(&c, fixture("missing-required.yml"), &v.env), 0);
	assert_true(c->placeholders);
	e = env_of(&c->services[0], "HUB_URL");
	assert_string_equal(e->value, "${DIVE_TEST_HUB_URL}");
	assert_string_equal(env_of(&c->services[0], "DB_PASSWORD")->value, "");
	compose_free(c);
	assert_int_equal(compose_load(&c, fixture("missing-secret.yml"), &v.env), 0);
	compose_free(c);
}

static void compose__refuses_a_secret_outside_environment_command_and_healthcheck(void **state)
{
	struct vars v;
	struct compose *c = NULL;

	vars_init(&v);
	interp_table_set(&v.t, "DIVE_TEST_SECRET", "topsecret", 0);
	assert_true(compose_load(&c, fixture("secret-in-image.yml"), &v.env) < 0);
	assert_non_null(strstr(dive_error_last(), "secret-in-image.yml:6: services.app.image uses a secret variable"));
	assert_null(strstr(dive_error_last(), "topsecret"));

	interp_table_set(&v.t, "S", "v", 0);
	expect_text_error("x-dive: {secrets: [S]}\nservices:\n  a:\n    image: x\n    labels: {k: \"${S}\"}\n",
			  &v.env, 5, "services.a.labels uses a secret variable");
	expect_text_error("x-dive: {secrets: [S]}\nservices:\n  a:\n    image: x\n    container_name: c-${S}\n",
			  &v.env, 5, "services.a.container_name uses a secret variable");
	expect_text_error("x-dive:\n  secrets: [S]\n  services:\n    a: {probe: \"http://u:${S}@h/\"}\n"
			  "services:\n  a: {image: x}\n", &v.env, 4, "x-dive.services.a.probe uses a secret variable");
	/* A lookup that marks its value secret counts as much as a declaration. */
	interp_table_set(&v.t, "FROM_PROVIDER", "v", 1);
	expect_text_error("services:\n  a:\n    image: x\n    user: ${FROM_PROVIDER}\n", &v.env, 4,
			  "uses a secret variable");
	interp_table_release(&v.t);
}

static void compose__flags_every_field_that_carries_a_secret(void **state)
{
	struct vars v;
	struct compose *c;
	const struct compose_service *s;

	vars_init(&v);
	interp_table_set(&v.t, "PW", "pw-value", 0);
	c = load_text("x-dive: {secrets: [PW]}\n"
		      "services:\n"
		      "  a:\n"
		      "    image: x\n"
		      "    command: [\"redis-server\", \"--requirepass\", \"${PW}\"]\n"
		      "    entrypoint: run --pw=$PW\n"
		      "    environment: [\"DB=${PW}\", PLAIN=1, PW]\n"
		      "    healthcheck:\n"
		      "      test: [\"CMD-SHELL\", \"redis-cli -a ${PW} ping\"]\n",
		      &v.env);
	s = &c->services[0];
	assert_true(s->command.secret);
	assert_string_equal(s->command.v[2], "pw-value");
	assert_string_equal(s->command.shown, "redis-server --requirepass '${PW}'");
	assert_true(s->entrypoint.secret);
	assert_string_equal(s->entrypoint.shown, "run --pw=$PW");
	assert_true(s->environment[0].secret);
	assert_false(s->environment[1].secret);
	assert_true(s->environment[2].secret); /* listed by name, its value taken from the environment */
	assert_string_equal(s->environment[2].value, "pw-value");
	assert_true(s->healthcheck.test.secret);
	assert_string_equal(s->healthcheck.test.v[0], "redis-cli -a pw-value ping");
	assert_string_equal(s->healthcheck.test.shown, "redis-cli -a ${PW} ping");
	assert_null(strstr(s->command.shown, "pw-value"));
	compose_free(c);
	interp_table_release(&v.t);
}

static void compose__parses_durations(void **state)
{
	static const struct {
		const char *in;
		long ms;
	} good[] = {
		{ "10s", 10000 }, { "1m30s", 90000 }, { "500ms", 500 }, { "1h", 3600000 }, { "1.5s", 1500 },
		{ "0", 0 }, { "0s", 0 }, { "250us", 1 }, { "2h30m", 9000000 }, { "24h", 86400000 }, { "1m0.5s", 60500 },
	};
	static const char *const bad[] = { "", "10", "s", "10x", "-1s", "1m 30s", "25h", "1.5", "10S", "1e3s", " 1s" };
	size_t i;
	long ms;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (compose_parse_duration(&ms, good[i].in) < 0)
			fail_msg("'%s' refused", good[i].in);
		assert_int_equal(ms, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (compose_parse_duration(&ms, bad[i]) == 0)
			fail_msg("'%s' accepted", bad[i]);
}

static void compose__rejects_bad_ports_and_volumes(void **state)
{
	static const struct {
		const char *port;
		const char *why;
	} bad_ports[] = {
		{ "8000-8010:8000-8010", "port ranges are not supported" },
		{ "1.2.3.4.5:80:80", "bad IPv4 address" },
		{ "::1:80:80", "too many ':'" },
		{ "80/xyz", "the protocol must be tcp, udp or sctp" },
		{ "abc", "ports are numbers" },
		{ "0:80", "ports are numbers" },
		{ "[::1:80:80", "an IPv6 address must be written" },
		{ "127.0.0.1:80:", "ports are numbers" },
	};
	static const struct {
		const char *volume;
		const char *why;
	} bad_volumes[] = {
		{ "~/data:/data", "'~' is not expanded" },
		{ "data:relative", "must be an absolute path" },
		{ "data:/x:rx", "bad volume option 'rx'" },
		{ "a:b:c:d", "bad volume" },
		{ "undeclared:/data", "uses volume 'undeclared', which is not defined under volumes:" },
		{ "b@d:/data", "invalid volume name" },
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++) {
		snprintf(text, sizeof(text), "services:\n  a:\n    image: x\n    ports:\n      - \"%s\"\n", bad_ports[i].port);
		expect_text_error(text, NULL, 5, bad_ports[i].why);
	}
	expect_text_error("services:\n  a:\n    image: x\n    ports:\n      - {published: 8080}\n", NULL, 5,
			  "a port needs its target");
	for (i = 0; i < sizeof(bad_volumes) / sizeof(bad_volumes[0]); i++) {
		snprintf(text, sizeof(text), "volumes: {data: }\nservices:\n  a:\n    image: x\n    volumes:\n      - \"%s\"\n",
			 bad_volumes[i].volume);
		expect_text_error(text, NULL, 6, bad_volumes[i].why);
	}
	expect_text_error("services:\n  a:\n    image: x\n    volumes:\n      - {type: npipe, source: /a, target: /b}\n",
			  NULL, 5, "type 'npipe' is not supported by dive");
}

static void compose__rejects_what_dive_does_not_read(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *why;
	} bad[] = {
		{ "services:\n  a:\n    build: .\n", 3, "key 'build' in services.a is not supported by dive" },
		{ "services:\n  a: {image: x}\nsecrets: {}\n", 3, "top-level key 'secrets' is not supported by dive" },
		{ "services:\n  a: {image: x}\nservice: {}\n", 3, "unknown top-level key 'service'" },
		{ "services:\n  a:\n    restart: always\n", 2, "service 'a' has no image" },
		{ "services:\n  a: {image: x, restart: sometimes}\n", 2, "unknown policy 'sometimes'" },
		{ "services:\n  a: {image: x, init: yes}\n", 2, "services.a.init must be true or false, not 'yes'" },
		{ "services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_ready}\n", 5,
		  "unknown condition 'service_ready'" },
		{ "services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_healthy, wait: 1}\n", 5,
		  "unknown key 'wait' in services.a.depends_on.b" },
		{ "services:\n  a:\n    image: x\n    depends_on: [b, b]\n", 4, "'b' is listed twice" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"CMD\"]\n", 5, "needs a command" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"RUN\", \"x\"]\n", 5,
		  "must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"CMD-SHELL\", \"a\", \"b\"]\n", 5,
		  "takes exactly one string" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      test: []\n", 5, "is an empty list" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      disable: true\n      interval: 5s\n", 5,
		  "'disable: true' cannot be combined" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      start_interval: 1s\n", 5, "API 1.44" },
		{ "services:\n  a:\n    image: x\n    healthcheck:\n      retries: 1000\n", 5,
		  "retries must be a whole number from 0 to 100" },
		{ "services:\n  a:\n    image: x\n    environment: [A=1, A=2]\n", 4, "'A' is set twice (first on line 4)" },
		{ "services:\n  a:\n    image: x\n    environment: {\"A B\": 1}\n", 4, "invalid variable name 'A B'" },
		{ "services:\n  a:\n    image: x\n    networks: [nowhere]\n", 4,
		  "service 'a' uses network 'nowhere', which is not defined under networks:" },
		{ "services:\n  a:\n    image: x\n    networks: {n: {ipv4_address: 10.0.0.2}}\nnetworks: {n: }\n", 4,
		  "unknown key 'ipv4_address' in services.a.networks.n" },
		{ "services:\n  a: {image: x, container_name: same}\n  b: {image: x, container_name: same}\n", 3,
		  "services 'a' and 'b' have the same container_name 'same'" },
		{ "services:\n  a: {image: x, container_name: \"no/slash\"}\n", 2, "invalid container name 'no/slash'" },
		{ "services:\n  \"bad name\": {image: x}\n", 2, "invalid name 'bad name'" },
		{ "services:\n  a: {image: x, working_dir: srv}\n", 2, "must be an absolute path" },
		{ "services:\n  a: {image: x, tmpfs: run}\n", 2, "'run' must be an absolute path" },
		{ "services:\n  a: {image: x, command: \"echo 'unbalanced\"}\n", 2, "unbalanced quote" },
		{ "services:\n  a: {image: x}\nnetworks:\n  n: {external: true, driver: bridge}\n", 4,
		  "an external network takes only 'name'" },
		{ "services:\n  a: {image: x}\nnetworks:\n  n: {external: {name: y}}\n", 4, "write 'external: true'" },
		{ "services:\n  a: {image: x}\nname: Bad_Name\n", 3, "invalid project name 'Bad_Name'" },
		{ "x-dive: {servces: {}}\nservices:\n  a: {image: x}\n", 1, "unknown key 'servces' in x-dive" },
		{ "x-dive: {services: {b: {timeout: 5s}}}\nservices:\n  a: {image: x}\n", 1,
		  "x-dive.services: 'b' is not a service of this file" },
		{ "x-dive: {services: {a: {probe: \"ftp://h/\"}}}\nservices:\n  a: {image: x}\n", 1,
		  "is not an http://, https:// or tcp:// address" },
		{ "x-dive: {services: {a: {unhealthy: ignore}}}\nservices:\n  a: {image: x}\n", 1,
		  "must be 'fail' or 'tolerate', not 'ignore'" },
		{ "x-dive: {services: {a: {timeout: 500ms}}}\nservices:\n  a: {image: x}\n", 1, "must be at least 1s" },
		{ "x-dive: {services: {a: {timeout_min: 2m, timeout_max: 1m}}}\nservices:\n  a: {image: x}\n", 1,
		  "timeout_min is larger than timeout_max" },
		{ "x-dive: {services: {a: {retries: 3}}}\nservices:\n  a: {image: x}\n", 1,
		  "unknown key 'retries' in x-dive.services.a" },
		{ "x-dive: {secrets: [\"not a name\"]}\nservices:\n  a: {image: x}\n", 1, "is not a variable name" },
		{ "x-base: &b x\nservices:\n  a:\n    <<: *b\n", 1, "a merge key ('<<') takes a map or a list of maps" },
		{ "services:\n  a: {image: \"x\\0y\"}\n", 2, "contains a NUL byte" },
		{ "services: [a, b]\n", 1, "services must be a map, not a list" },
		{ "- a\n- b\n", 1, "a stack file must be a map with 'services:', not a list" },
		{ "name: x\n", 1, "no 'services:' in the stack file" },
		{ "services:\n  a: {image: x}\n---\nservices: {}\n", 3, "more than one YAML document" },
		{ "", 1, "the stack file is empty" },
		{ "# only a comment\n", 1, "the stack file is empty" },
		{ "services:\n  a: {image: [x]}\n", 2, "services.a.image must be a single value, not a list" },
		{ "services:\n  a:\n    image:\n", 3, "services.a.image needs a value" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_text_error(bad[i].text, NULL, bad[i].line, bad[i].why);
}

static void compose__bounds_size_depth_and_nodes(void **state)
{
	char path[] = "/tmp/dive-test-compose-XXXXXX";
	struct compose *c = NULL;
	size_t n = COMPOSE_FILE_MAX + 1, i;
	char *big = malloc(n + 1), *p;
	FILE *f;
	int fd, rc;

	/* One byte over 1 MiB: refused before anything is parsed. */
	memset(big, '#', n);
	memcpy(big, "services: {a: {image: x}}\n", 26);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(fwrite(big, 1, n, f), n);
	fclose(f);
	rc = compose_load(&c, path, NULL);
	unlink(path);
	assert_int_equal(rc, DIVE_ETOOBIG);
	assert_null(c);
	assert_non_null(strstr(dive_error_last(), "larger than 1048576 bytes"));
	assert_int_equal(dive_error_last_code(), ERRC_COMPOSE_PARSE);

	assert_true(compose_load(&c, "/nonexistent/stack.yml", NULL) < 0);
	assert_string_equal(dive_error_last(), "cannot read stack file '/nonexistent/stack.yml': No such file or directory");
	assert_true(compose_load(&c, "/tmp", NULL) < 0);
	assert_non_null(strstr(dive_error_last(), "not a regular file"));

	/* Nesting deeper than 32 levels, even in an ignored extension. */
	p = big;
	p += sprintf(p, "x-deep: ");
	for (i = 0; i < 40; i++)
		*p++ = '[';
	for (i = 0; i < 40; i++)
		*p++ = ']';
	sprintf(p, "\nservices: {a: {image: x}}\n");
	expect_text_error(big, NULL, 1, "nested deeper than 32 levels");

	/* Aliases are read every time they are used: a list read 128 x 2 times passes the node cap. */
	p = big;
	p += sprintf(p, "x-list: &l [");
	for (i = 0; i < COMPOSE_ITEMS_MAX; i++)
		p += sprintf(p, "%sL%zu=v", i ? "," : "", i);
	p += sprintf(p, "]\nservices:\n");
	for (i = 0; i < COMPOSE_SERVICES_MAX; i++)
		p += sprintf(p, "  s%zu: {image: x, labels: *l, environment: *l}\n", i);
	expect_text_error(big, NULL, 0, "YAML nodes read (aliases count every time they are read)");

	/* More entries in one list than COMPOSE_ITEMS_MAX. */
	p = big;
	p += sprintf(p, "services:\n  a:\n    image: x\n    environment:\n");
	for (i = 0; i <= COMPOSE_ITEMS_MAX; i++)
		p += sprintf(p, "      - V%zu=1\n", i);
	expect_text_error(big, NULL, 5, "services.a.environment has more than 512 entries");

	/* A value longer than 4096 bytes. */
	p = big;
	p += sprintf(p, "services:\n  a:\n    image: ");
	memset(p, 'x', COMPOSE_STRING_MAX + 1);
	p += COMPOSE_STRING_MAX + 1;
	sprintf(p, "\n");
	expect_text_error(big, NULL, 3, "services.a.image is longer than 4096 bytes");
	free(big);
}

/* ------------------------------------------------------------------ */
/* Configuration hashes */

static void hash_of(char out[65], const char *text, const char *service, const struct interp_env *env)
{
	struct compose *c = load_text(text, env);
	const struct compose_service *s = compose_service_find(c, service);

	assert_non_null(s);
	compose_config_hash(out, s);
	compose_free(c);
}

static void compose__config_hash_ignores_key_order_and_formatting(void **state)
{
	struct compose *a = NULL, *b = NULL;
	char ha[65], hb[65];
	size_t i;

	assert_int_equal(compose_load(&a, fixture("hash-a.yml"), NULL), 0);
	assert_int_equal(compose_load(&b, fixture("hash-b.yml"), NULL), 0);
	compose_config_hash(ha, compose_service_find(a, "app"));
	compose_config_hash(hb, compose_service_find(b, "app"));
	assert_string_equal(ha, hb);
	assert_int_equal(strlen(ha), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", ha[i]));
	compose_config_hash(ha, compose_service_find(a, "db"));
	compose_config_hash(hb, compose_service_find(b, "db"));
	assert_string_equal(ha, hb);
	/* The same definition hashes the same every time. */
	compose_config_hash(hb, compose_service_find(a, "db"));
	assert_string_equal(ha, hb);
	compose_config_hash(hb, compose_service_find(a, "app"));
	assert_string_not_equal(ha, hb);
	compose_free(a);
	compose_free(b);
}

static const char hash_base[] =
	"x-dive: {secrets: [PW], services: {app: {timeout: 1m}}}\n"
	"volumes: {data: }\n"
	"networks: {n1: , n2: }\n"
	"services:\n"
	"  db: {image: x}\n"
	"  app:\n"
	"    image: example/app:1.0\n"
	"    container_name: app\n"
	"    command: [serve, --port, \"8080\"]\n"
	"    entrypoint: [/bin/tini, --]\n"
	"    environment: {A: \"1\", PASSWORD: \"${PW}\"}\n"
	"    env_file: [/etc/app.env]\n"
	"    ports: [\"127.0.0.1:18080:8080\"]\n"
	"    volumes: [\"data:/data\", \"/srv:/srv:ro\"]\n"
	"    tmpfs: [/run]\n"
	"    networks: {n1: {aliases: [api]}}\n"
	"    depends_on: {db: {condition: service_healthy}}\n"
	"    healthcheck: {test: [CMD, /dive/health], interval: 10s, timeout: 5s, retries: 3, start_period: 1s}\n"
	"    restart: unless-stopped\n"
	"    labels: {role: app}\n"
	"    user: \"1000\"\n"
	"    init: true\n"
	"    extra_hosts: [\"h:10.0.0.1\"]\n"
	"    working_dir: /srv\n"
	"    profiles: [p]\n";

/* Replace the first occurrence of from by to in hash_base. */
static char *mutate(const char *from, const char *to)
{
	const char *at = strstr(hash_base, from);
	char *out;

	if (!at)
		fail_msg("'%s' is not in the base definition", from);
	out = malloc(sizeof(hash_base) + strlen(to) + 1);
	memcpy(out, hash_base, (size_t)(at - hash_base));
	strcpy(out + (at - hash_base), to);
	strcat(out, at + strlen(from));
	return out;
}

static void compose__config_hash_changes_with_every_field(void **state)
{
	static const struct {
		const char *from, *to;
	} changes[] = {
		{ "example/app:1.0", "example/app:1.1" },
		{ "container_name: app", "container_name: app2" },
		{ "--port, \"8080\"", "--port, \"8081\"" },
		{ "[serve, --port, \"8080\"]", "[serve, --port, \"8080\", \"\"]" },
		{ "[/bin/tini, --]", "[/bin/tini]" },
		{ "A: \"1\"", "A: \"2\"" },
		{ "A: \"1\"", "B: \"1\"" },
		{ "A: \"1\"", "A: \"1\", C: \"\"" },
		{ "[/etc/app.env]", "[/etc/app.env, /etc/more.env]" },
		{ "127.0.0.1:18080:8080", "127.0.0.1:18090:8080" },
		{ "127.0.0.1:18080:8080", "0.0.0.0:18080:8080" },
		{ "127.0.0.1:18080:8080", "127.0.0.1:18080:8080/udp" },
		{ "/srv:/srv:ro", "/srv:/srv" },
		{ "data:/data", "data:/data2" },
		{ "[/run]", "[/run, /tmp]" },
		{ "aliases: [api]", "aliases: [api, api2]" },
		{ "{n1: {aliases: [api]}}", "{n1: {aliases: [api]}, n2: }" },
		{ "test: [CMD, /dive/health]", "test: [CMD, /dive/health, x]" },
		{ "test: [CMD, /dive/health]", "test: [CMD-SHELL, /dive/health]" },
		{ "interval: 10s", "interval: 11s" },
		{ "timeout: 5s", "timeout: 6s" },
		{ "retries: 3", "retries: 4" },
		{ "start_period: 1s", "start_period: 2s" },
		{ "restart: unless-stopped", "restart: always" },
		{ "{role: app}", "{role: api}" },
		{ "user: \"1000\"", "user: \"1001\"" },
		{ "init: true", "init: false" },
		{ "h:10.0.0.1", "h:10.0.0.2" },
		{ "working_dir: /srv", "working_dir: /srv2" },
	};
	static const struct {
		const char *from, *to;
	} same[] = {
		{ "{db: {condition: service_healthy}}", "[db]" },
		{ "profiles: [p]", "profiles: [q]" },
		{ "timeout: 1m}", "timeout: 2m, probe: \"http://127.0.0.1:1/\"}" },
		{ "restart: unless-stopped", "restart: \"unless-stopped\"" },
	};
	char base[65], h[65], seen[sizeof(changes) / sizeof(changes[0])][65];
	struct vars v;
	size_t i, j;

	vars_init(&v);
	interp_table_set(&v.t, "PW", "one", 0);
	hash_of(base, hash_base, "app", &v.env);
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		char *text = mutate(changes[i].from, changes[i].to);

		hash_of(seen[i], text, "app", &v.env);
		if (!strcmp(seen[i], base))
			fail_msg("changing '%s' to '%s' kept the hash", changes[i].from, changes[i].to);
		for (j = 0; j < i; j++)
			if (!strcmp(seen[i], seen[j]))
				fail_msg("changes %zu and %zu have the same hash", i, j);
		free(text);
	}
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *text = mutate(same[i].from, same[i].to);

		hash_of(h, text, "app", &v.env);
		if (strcmp(h, base))
			fail_msg("changing '%s' to '%s' changed the hash", same[i].from, same[i].to);
		free(text);
	}
	/* A new secret value means a new container. */
	interp_table_set(&v.t, "PW", "two", 0);
	hash_of(h, hash_base, "app", &v.env);
	assert_string_not_equal(h, base);
	interp_table_release(&v.t);
}

/* ------------------------------------------------------------------ */
/* The stack files at the repository root */

struct stack_vars {
	struct interp_table secrets;
	struct interp_env env;      /* secrets, then the instance, then the process */
	struct interp_env inst;
};

/* Every name in x-dive.secrets of both files gets "s3cret-<NAME>", unmarked. */
static void stack_vars_init(struct stack_vars *sv, const struct dive_country *c, int with_secrets)
{
	static const char *const names[] = {
		"POSTGRES_PASSWORD", "MONGO_PASSWORD", "REDIS_PASSWORD", "REDIS_BLACKLIST_PASSWORD",
		"KEYCLOAK_ADMIN_PASSWORD", "KEYCLOAK_CLIENT_SECRET", "AUTH_SECRET", "OPAL_AUTH_MASTER_TOKEN",
		"FEDERATION_ADMIN_KEY", "SPOKE_OPAL_TOKEN",
	};
	size_t i;

	memset(sv, 0, sizeof(*sv));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char value[64];

		unsetenv(names[i]);
		snprintf(value, sizeof(value), "s3cret-%s", names[i]);
		if (with_secrets)
			interp_table_set(&sv->secrets, names[i], value, 0);
	}
	assert_int_equal(stack_env_for(&sv->inst, c), 0);
	interp_env_table(&sv->env, &sv->secrets, &sv->inst);
}

static void stack_vars_release(struct stack_vars *sv)
{
	stack_env_release(&sv->inst);
	interp_table_release(&sv->secrets);
}

static void check_stack(const struct compose *c, const struct dive_country *country)
{
	struct dive_ports p;
	char lower[4], want[64];
	size_t i, j, k;

	assert_int_equal(ports_for(&p, country), 0);
	country_lower(lower, country);
	for (i = 0; i < c->nservices; i++) {
		const struct compose_service *s = &c->services[i];

		if (country->kind == DIVE_COUNTRY_HUB)
			snprintf(want, sizeof(want), "dive-hub-%s", s->name);
		else
			snprintf(want, sizeof(want), "dive-spoke-%s-%s", lower, s->name);
		assert_string_equal(s->container_name, want);
		/* Health: the image's own /dive/health, nothing the image might lack. */
		assert_int_equal(s->healthcheck.kind, COMPOSE_HC_CMD);
		assert_string_equal(s->healthcheck.test.shown, "/dive/health");
		/* Every port on loopback, and every host port one of the scheme's. */
		for (j = 0; j < s->nports; j++) {
			int found = 0;

			assert_string_equal(s->ports[j].host_ip, DIVE_PORTS_BIND);
			for (k = 0; k < ports_service_count(); k++)
				found |= ports_value(&p, k) == s->ports[j].host_port;
			if (!found)
				fail_msg("%s %s: port %d is not in the port scheme", country->code, s->name,
					 s->ports[j].host_port);
		}
		/* A value that holds a secret is flagged, and only those. */
		for (j = 0; j < s->nenvironment; j++) {
			const struct compose_env *e = &s->environment[j];
			int holds = e->value && strstr(e->value, "s3cret-") != NULL;

			if (holds != e->secret)
				fail_msg("%s %s: %s holds a secret: %d, flagged: %d", country->code, s->name, e->name, holds,
					 e->secret);
		}
		assert_false(s->command.secret);
		assert_false(s->entrypoint.secret);
	}
}

static void compose__stack_files_load_for_the_hub_and_every_spoke(void **state)
{
	struct stack_vars sv;
	struct compose *c = NULL;
	char *path = NULL;
	size_t i;

	assert_int_equal(stack_path(&path, STACK_HUB), 0);
	stack_vars_init(&sv, country_find("USA"), 1);
	if (compose_load(&c, path, &sv.env) < 0)
		fail_msg("%s", dive_error_last());
	assert_string_equal(c->name, "dive-hub");
	assert_int_equal(c->nservices, 11);
	assert_false(c->placeholders);
	check_stack(c, country_find("USA"));
	assert_string_equal(env_of(compose_service_find(c, "postgres"), "POSTGRES_PASSWORD")->value,
			    "s3cret-POSTGRES_PASSWORD");
	compose_free(c);
	stack_vars_release(&sv);
	free(path);

	assert_int_equal(stack_path(&path, STACK_SPOKE), 0);
	for (i = 0; i < country_count(); i++) {
		const struct dive_country *country = country_at(i);
		char project[32], lower[4];

		if (country->kind == DIVE_COUNTRY_HUB)
			continue;
		stack_vars_init(&sv, country, 1);
		if (compose_load(&c, path, &sv.env) < 0)
			fail_msg("%s: %s", country->code, dive_error_last());
		country_lower(lower, country);
		snprintf(project, sizeof(project), "dive-spoke-%s", lower);
		assert_string_equal(c->name, project);
		assert_int_equal(c->nservices, 9);
		check_stack(c, country);
		compose_free(c);
		stack_vars_release(&sv);
	}
	free(path);
}

/* The hub's extra address (DIVE_HUB_BIND, engines.h): unset, the repeated 127.0.0.1 entry drops out and the hash stays. */
static void compose__hub_publishes_on_its_extra_address_only_when_set(void **state)
{
	static const char twice[] = "services:\n  a:\n    image: x\n    ports: [\"127.0.0.1:80:80\", \"127.0.0.1:80:80\"]\n";
	static const char once[] = "services:\n  a:\n    image: x\n    ports: [\"127.0.0.1:80:80\"]\n";
	const char *const spokes_use[] = { "keycloak", "backend", "opal-server" };
	struct stack_vars sv;
	struct compose *plain = NULL, *bound = NULL;
	struct dive_ports p;
	char *path = NULL, a[65], b[65];
	size_t i, j;

	(void)state;
	hash_of(a, twice, "a", NULL);
	hash_of(b, once, "a", NULL);
	assert_string_equal(a, b);
	assert_int_equal(stack_path(&path, STACK_HUB), 0);
	assert_int_equal(ports_for(&p, country_find("USA")), 0);
	stack_vars_init(&sv, country_find("USA"), 1);
	if (compose_load(&plain, path, &sv.env) < 0)
		fail_msg("%s", dive_error_last());
	stack_env_set(&sv.inst, "DIVE_HUB_BIND", "10.231.0.1");
	if (compose_load(&bound, path, &sv.env) < 0)
		fail_msg("%s", dive_error_last());
	for (i = 0; i < plain->nservices; i++) {
		const struct compose_service *s = &plain->services[i], *t = compose_service_find(bound, s->name);
		int used = 0, extra = 0;

		for (j = 0; j < sizeof(spokes_use) / sizeof(spokes_use[0]); j++)
			used |= !strcmp(s->name, spokes_use[j]);
		for (j = 0; j < s->nports; j++)
			assert_string_equal(s->ports[j].host_ip, DIVE_PORTS_BIND);
		for (j = 0; j < t->nports; j++)
			extra += !strcmp(t->ports[j].host_ip, "10.231.0.1");
		assert_int_equal(t->nports, s->nports + (size_t)used);
		assert_int_equal(extra, used);
		if (!strcmp(s->name, "keycloak"))
			for (j = 0; j < t->nports; j++)
				if (!strcmp(t->ports[j].host_ip, "10.231.0.1"))
					assert_int_equal(t->ports[j].host_port, p.keycloak_http);
	}
	compose_free(plain);
	compose_free(bound);
	stack_vars_release(&sv);
	free(path);
}

static void compose__stack_files_need_their_secrets_to_deploy(void **state)
{
	struct stack_vars sv;
	struct compose *c = NULL;
	char *path = NULL;

	assert_int_equal(stack_path(&path, STACK_SPOKE), 0);
	stack_vars_init(&sv, country_find("DEU"), 0);
	assert_int_equal(compose_load(&c, path, &sv.env), DIVE_EUSAGE);
	assert_null(c);
	assert_non_null(strstr(dive_error_last(), "_PASSWORD: secret missing"));
	assert_int_equal(dive_error_last_code(), ERRC_SECRET_MISSING);
	/* Drawing the graph needs none of them. */
	sv.env.flags = INTERP_PLACEHOLDERS;
	assert_int_equal(compose_load(&c, path, &sv.env), 0);
	assert_true(c->placeholders);
	assert_string_equal(env_of(compose_service_find(c, "postgres"), "POSTGRES_PASSWORD")->value,
			    "${POSTGRES_PASSWORD}");
	compose_free(c);
	stack_vars_release(&sv);
	free(path);
}

/* Read a whole file (small) into a new string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = calloc(1, COMPOSE_FILE_MAX + 1);

	assert_non_null(f);
	assert_true(fread(s, 1, COMPOSE_FILE_MAX, f) > 0);
	fclose(f);
	return s;
}

/*
 * Every variable whose name says it is a secret is declared in x-dive.secrets
 * and only ever referenced, never written as a value.
 */
static void compose__stack_files_name_secrets_only_by_reference(void **state)
{
	static const enum stack_kind kinds[] = { STACK_HUB, STACK_SPOKE };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct compose *c = NULL;
		char *path = NULL, *text, *p;
		struct vars v;

		assert_int_equal(stack_path(&path, kinds[k]), 0);
		vars_init(&v);
		v.env.flags = INTERP_PLACEHOLDERS;
		assert_int_equal(compose_load(&c, path, &v.env), 0);
		text = slurp(path);
		for (p = strstr(text, "${"); p; p = strstr(p + 2, "${")) {
			char name[128];
			size_t n = strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"), i;
			int declared = 0;

			snprintf(name, sizeof(name), "%.*s", (int)n, p + 2);
			if (!strstr(name, "PASSWORD") && !strstr(name, "SECRET") && !strstr(name, "TOKEN") &&
			    !(n > 4 && !strcmp(name + n - 4, "_KEY")))
				continue;
			for (i = 0; i < c->dive.nsecrets; i++)
				declared |= !strcmp(c->dive.secrets[i], name);
			if (!declared)
				fail_msg("%s: %s is not in x-dive.secrets", path, name);
		}
		/* No literal values for secret-looking keys: "PASSWORD: something" must be a reference. */
		for (p = text; (p = strstr(p, "PASSWORD: ")); p++) {
			if (strncmp(p + 10, "${", 2))
				fail_msg("%s: a literal password: %.40s", path, p);
		}
		free(text);
		compose_free(c);
		free(path);
	}
}

static void compose__stack_path_follows_dive_stacks_dir(void **state)
{
	char *path = NULL, want[4200];

	setenv("DIVE_STACKS_DIR", "/nonexistent-dir", 1);
	assert_int_equal(stack_path(&path, STACK_HUB), DIVE_EUSAGE);
	assert_null(path);
	assert_non_null(strstr(dive_error_last(), "/nonexistent-dir/docker-compose.hub.yml"));
	assert_non_null(strstr(dive_error_last(), "from DIVE_STACKS_DIR"));
	setenv("DIVE_STACKS_DIR", source_dir(), 1);
	assert_int_equal(stack_path(&path, STACK_SPOKE), 0);
	snprintf(want, sizeof(want), "%s/docker-compose.spoke.yml", source_dir());
	assert_string_equal(path, want);
	free(path);
	unsetenv("DIVE_STACKS_DIR");
}

static void compose__stack_env_gives_the_instance_variables(void **state)
{
	struct interp_env env;
	const char *v;
	int secret = 1;

	assert_int_equal(stack_env_for(&env, country_find("DEU")), 0);
	assert_int_equal(interp_lookup(&env, "DIVE_CODE", &v, &secret), 1);
	assert_string_equal(v, "DEU");
	assert_false(secret);
	assert_int_equal(interp_lookup(&env, "DIVE_CODE_LOWER", &v, &secret), 1);
	assert_string_equal(v, "deu");
	assert_int_equal(interp_lookup(&env, "DIVE_INSTANCE_NAME", &v, &secret), 1);
	assert_string_equal(v, "Germany");
	assert_int_equal(interp_lookup(&env, "DIVE_PROJECT", &v, &secret), 1);
	assert_string_equal(v, "dive-spoke-deu");
	assert_int_equal(interp_lookup(&env, "PORT_FRONTEND", &v, &secret), 1);
	assert_string_equal(v, "13011");
	assert_int_equal(interp_lookup(&env, "PORT_KEYCLOAK_HTTPS", &v, &secret), 1);
	assert_string_equal(v, "18411");
	setenv("DIVE_TEST_FROM_PROCESS", "yes", 1);
	assert_int_equal(interp_lookup(&env, "DIVE_TEST_FROM_PROCESS", &v, &secret), 1);
	assert_string_equal(v, "yes");
	unsetenv("DIVE_TEST_FROM_PROCESS");
	stack_env_release(&env);
	stack_env_release(&env); /* twice is harmless */

	assert_int_equal(stack_env_for(&env, country_find("USA")), 0);
	assert_int_equal(interp_lookup(&env, "DIVE_PROJECT", &v, &secret), 1);
	assert_string_equal(v, "dive-hub");
	assert_int_equal(interp_lookup(&env, "PORT_KAS", &v, &secret), 1);
	assert_string_equal(v, "18200");
	stack_env_release(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compose__reads_every_supported_key),
		cmocka_unit_test(compose__reports_each_error_with_its_line),
		cmocka_unit_test(compose__reads_missing_required_variables_as_placeholders_for_the_graph),
		cmocka_unit_test(compose__refuses_a_secret_outside_environment_command_and_healthcheck),
		cmocka_unit_test(compose__flags_every_field_that_carries_a_secret),
		cmocka_unit_test(compose__parses_durations),
		cmocka_unit_test(compose__rejects_bad_ports_and_volumes),
		cmocka_unit_test(compose__hub_publishes_on_its_extra_address_only_when_set),
		cmocka_unit_test(compose__rejects_what_dive_does_not_read),
		cmocka_unit_test(compose__bounds_size_depth_and_nodes),
		cmocka_unit_test(compose__config_hash_ignores_key_order_and_formatting),
		cmocka_unit_test(compose__config_hash_changes_with_every_field),
		cmocka_unit_test(compose__stack_files_load_for_the_hub_and_every_spoke),
		cmocka_unit_test(compose__stack_files_need_their_secrets_to_deploy),
		cmocka_unit_test(compose__stack_files_name_secrets_only_by_reference),
		cmocka_unit_test(compose__stack_path_follows_dive_stacks_dir),
		cmocka_unit_test(compose__stack_env_gives_the_instance_variables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
