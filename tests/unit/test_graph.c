/* test_graph.c - the dependency graph: cycles with their path, undefined dependencies, levels, order, outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/compose.h"
#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/graph.h"
#include "dive/interp.h"
#include "dive/stack.h"

static const char *fixture(const char *name)
{
	static char path[4096];
	const char *s = getenv("DIVE_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/tests/fixtures/compose/%s", s && *s ? s : DIVE_SOURCE_DIR, name);
	return path;
}

static struct compose *load_text(const char *text)
{
	struct compose *c = NULL;

	if (compose_load_string(&c, "g.yml", text, strlen(text), NULL) < 0)
		fail_msg("%s", dive_error_last());
	return c;
}

/* The graph of text must fail with exactly message; returns nothing, frees everything. */
static void expect_graph_error(const char *text, const char *const *profiles, const char *message, int code)
{
	struct compose *c = load_text(text);
	struct graph *g = NULL;
	int rc = graph_build(&g, c, profiles);

	assert_int_equal(rc, DIVE_EUSAGE);
	assert_null(g);
	assert_string_equal(dive_error_last(), message);
	assert_int_equal(dive_error_last_code(), code);
	compose_free(c);
}

/* Load a stack file with an instance's variables, reading secrets as placeholders. */
static struct compose *load_stack(enum stack_kind kind, const char *code)
{
	struct interp_env env;
	struct compose *c = NULL;
	char *path = NULL;

	assert_int_equal(stack_path(&path, kind), 0);
	assert_int_equal(stack_env_for(&env, country_find(code)), 0);
	env.flags |= INTERP_PLACEHOLDERS;
	if (compose_load(&c, path, &env) < 0)
		fail_msg("%s", dive_error_last());
	stack_env_release(&env);
	free(path);
	return c;
}

static int has_edge(const struct graph *g, const char *from, const char *to, enum compose_condition cond)
{
	int i = graph_index(g, from), j = graph_index(g, to);
	size_t k;

	assert_true(i >= 0 && j >= 0);
	for (k = 0; k < g->nodes[i].ndeps; k++)
		if (g->nodes[i].deps[k].node == (size_t)j)
			return g->nodes[i].deps[k].condition == cond;
	return 0;
}

static size_t edges(const struct graph *g)
{
	size_t i, n = 0;

	for (i = 0; i < g->n; i++)
		n += g->nodes[i].ndeps;
	return n;
}

static int level_of(const struct graph *g, const char *name)
{
	int i = graph_index(g, name);

	assert_true(i >= 0);
	return g->nodes[i].level;
}

/* Position of name in the topological order. */
static size_t pos(const struct graph *g, const char *name)
{
	size_t k;

	for (k = 0; k < g->n; k++)
		if (!strcmp(g->nodes[g->order[k]].svc->name, name))
			return k;
	fail_msg("'%s' is not in the order", name);
	return 0;
}

/* ------------------------------------------------------------------ */

static void graph__reports_a_cycle_with_its_whole_path(void **state)
{
	struct compose *c = NULL;
	struct graph *g = NULL;
	char want[4300];

	assert_int_equal(compose_load(&c, fixture("cycle.yml"), NULL), 0);
	assert_int_equal(graph_build(&g, c, NULL), DIVE_EUSAGE);
	assert_null(g);
	snprintf(want, sizeof(want), "%s:16: dependency cycle: a -> b -> c -> a", fixture("cycle.yml"));
	assert_string_equal(dive_error_last(), want);
	assert_int_equal(dive_error_last_code(), ERRC_DEPENDENCY_CYCLE);
	compose_free(c);

	/* The path starts where the walk, in file order, first meets the cycle. */
	expect_graph_error("services:\n"
			   "  x: {image: i, depends_on: [y]}\n"
			   "  y: {image: i, depends_on: [z]}\n"
			   "  z:\n"
			   "    image: i\n"
			   "    depends_on:\n"
			   "      - y\n",
			   NULL, "g.yml:7: dependency cycle: y -> z -> y", ERRC_DEPENDENCY_CYCLE);
	expect_graph_error("services:\n  solo:\n    image: i\n    depends_on: [solo]\n", NULL,
			   "g.yml:4: dependency cycle: solo -> solo", ERRC_DEPENDENCY_CYCLE);
}

static void graph__reports_an_undefined_dependency_naming_both_services(void **state)
{
	struct compose *c = NULL;
	struct graph *g = NULL;
	char want[4300];

	assert_int_equal(compose_load(&c, fixture("undefined-dependency.yml"), NULL), 0);
	assert_int_equal(graph_build(&g, c, NULL), DIVE_EUSAGE);
	snprintf(want, sizeof(want), "%s:10: service 'backend' depends on 'keycloack', which is not defined",
		 fixture("undefined-dependency.yml"));
	assert_string_equal(dive_error_last(), want);
	assert_int_equal(dive_error_last_code(), ERRC_DEPENDENCY_UNDEFINED);
	compose_free(c);
}

static void graph__drops_an_optional_dependency_that_is_absent(void **state)
{
	struct compose *c = load_text("services:\n"
				      "  a:\n"
				      "    image: i\n"
				      "    depends_on:\n"
				      "      gone: {condition: service_healthy, required: false}\n"
				      "      dbg: {required: false}\n"
				      "  dbg: {image: i, profiles: [debug]}\n");
	struct graph *g = NULL;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->ninactive, 1);
	assert_int_equal(g->nodes[0].ndeps, 0);
	graph_free(g);
	compose_free(c);
}

static void graph__leaves_out_services_of_inactive_profiles(void **state)
{
	static const char text[] = "services:\n"
				   "  a:\n"
				   "    image: i\n"
				   "    depends_on: [tool]\n"
				   "  tool: {image: i, profiles: [tools, debug]}\n";
	static const char *const debug[] = { "debug", NULL };
	struct compose *c;
	struct graph *g = NULL;

	expect_graph_error(text, NULL, "g.yml:4: service 'a' depends on 'tool', which is only in profile 'tools' (not active)",
			   ERRC_DEPENDENCY_UNDEFINED);
	c = load_text(text);
	assert_int_equal(graph_build(&g, c, debug), 0);
	assert_int_equal(g->n, 2);
	assert_int_equal(g->ninactive, 0);
	assert_true(has_edge(g, "a", "tool", COMPOSE_SERVICE_STARTED));
	graph_free(g);
	compose_free(c);
}

static void graph__levels_are_the_longest_path_from_a_root(void **state)
{
	/* d depends on a directly and on c through b: its level is 3, not 1. */
	struct compose *c = load_text("services:\n"
				      "  d: {image: i, depends_on: [a, c]}\n"
				      "  c: {image: i, depends_on: [b]}\n"
				      "  b: {image: i, depends_on: [a]}\n"
				      "  a: {image: i}\n"
				      "  e: {image: i}\n");
	struct graph *g = NULL;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(level_of(g, "a"), 0);
	assert_int_equal(level_of(g, "e"), 0);
	assert_int_equal(level_of(g, "b"), 1);
	assert_int_equal(level_of(g, "c"), 2);
	assert_int_equal(level_of(g, "d"), 3);
	assert_int_equal(g->nlevels, 4);
	graph_free(g);
	compose_free(c);
}

static void graph__orders_dependencies_first_with_ties_in_file_order(void **state)
{
	struct compose *c = load_text("services:\n"
				      "  web: {image: i, depends_on: [api]}\n"
				      "  api: {image: i, depends_on: [db, cache]}\n"
				      "  cache: {image: i}\n"
				      "  db: {image: i}\n"
				      "  lone: {image: i}\n");
	struct graph *g = NULL;
	size_t i, j, k;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	/* Every dependency comes before its dependent. */
	for (k = 0; k < g->n; k++) {
		i = g->order[k];
		for (j = 0; j < g->nodes[i].ndeps; j++)
			assert_true(pos(g, g->nodes[g->nodes[i].deps[j].node].svc->name) < k);
	}
	/* Ties in file order: cache before db, both before lone (the first ready in file order wins). */
	assert_int_equal(pos(g, "cache"), 0);
	assert_int_equal(pos(g, "db"), 1);
	assert_int_equal(pos(g, "api"), 2);
	assert_int_equal(pos(g, "web"), 3);
	assert_int_equal(pos(g, "lone"), 4);
	graph_free(g);
	compose_free(c);
}

static void graph__gives_each_service_its_direct_dependencies_and_dependents(void **state)
{
	struct compose *c = load_text("services:\n"
				      "  db: {image: i}\n"
				      "  init: {image: i}\n"
				      "  app:\n"
				      "    image: i\n"
				      "    depends_on:\n"
				      "      db: {condition: service_healthy}\n"
				      "      init: {condition: service_completed_successfully}\n"
				      "  web: {image: i, depends_on: [app]}\n");
	struct graph *g = NULL;
	const struct graph_node *app, *db;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	app = &g->nodes[graph_index(g, "app")];
	assert_int_equal(app->ndeps, 2);
	assert_int_equal(app->deps[0].node, (size_t)graph_index(g, "db"));
	assert_int_equal(app->deps[0].condition, COMPOSE_SERVICE_HEALTHY);
	assert_int_equal(app->deps[0].line, 7);
	assert_int_equal(app->deps[1].condition, COMPOSE_SERVICE_COMPLETED);
	assert_true(app->deps[1].required);
	assert_int_equal(app->ndependents, 1);
	assert_int_equal(app->dependents[0], (size_t)graph_index(g, "web"));
	db = &g->nodes[graph_index(g, "db")];
	assert_int_equal(db->ndeps, 0);
	assert_int_equal(db->ndependents, 1);
	assert_true(has_edge(g, "web", "app", COMPOSE_SERVICE_STARTED));
	assert_int_equal(graph_index(g, "nope"), -1);
	graph_free(g);
	compose_free(c);
}

/* The runtime dependencies of the predecessor's spoke (reference/predecessor.md §7.2). */
static void graph__spoke_graph_has_the_runtime_edges_of_the_predecessor(void **state)
{
	struct compose *c = load_stack(STACK_SPOKE, "DEU");
	struct graph *g = NULL;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(g->n, 9);
	assert_int_equal(edges(g), 11);
	assert_true(has_edge(g, "keycloak", "postgres", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "backend", "postgres", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "backend", "mongodb", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "backend", "redis", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "backend", "keycloak", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "backend", "opal-client", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "backend", "opa", COMPOSE_SERVICE_STARTED));
	assert_true(has_edge(g, "kas", "opal-client", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "kas", "mongodb", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "frontend", "keycloak", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "frontend", "backend", COMPOSE_SERVICE_HEALTHY));
	/* L0 postgres, mongodb, redis, opa, opal-client; L1 keycloak, kas; L2 backend; L3 frontend. */
	assert_int_equal(level_of(g, "postgres"), 0);
	assert_int_equal(level_of(g, "mongodb"), 0);
	assert_int_equal(level_of(g, "redis"), 0);
	assert_int_equal(level_of(g, "opa"), 0);
	assert_int_equal(level_of(g, "opal-client"), 0);
	assert_int_equal(level_of(g, "keycloak"), 1);
	assert_int_equal(level_of(g, "kas"), 1);
	assert_int_equal(level_of(g, "backend"), 2);
	assert_int_equal(level_of(g, "frontend"), 3);
	assert_int_equal(g->nlevels, 4);
	graph_free(g);
	compose_free(c);
}

/* The hub (reference/predecessor.md §3.2), without authzforce, which only the profile "xacml" starts. */
static void graph__hub_graph_has_the_levels_of_the_predecessor(void **state)
{
	static const char *const xacml[] = { "xacml", NULL };
	struct compose *c = load_stack(STACK_HUB, "USA");
	struct graph *g = NULL;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(g->n, 10);
	assert_int_equal(g->ninactive, 1);
	assert_int_equal(graph_index(g, "authzforce"), -1);
	assert_int_equal(edges(g), 12);
	assert_int_equal(level_of(g, "postgres"), 0);
	assert_int_equal(level_of(g, "redis-blacklist"), 0);
	assert_int_equal(level_of(g, "opa"), 0);
	assert_int_equal(level_of(g, "keycloak"), 1);
	assert_int_equal(level_of(g, "kas"), 1);
	assert_int_equal(level_of(g, "backend"), 2);
	assert_int_equal(level_of(g, "frontend"), 3);
	assert_int_equal(level_of(g, "opal-server"), 3);
	assert_true(has_edge(g, "backend", "redis-blacklist", COMPOSE_SERVICE_HEALTHY));
	assert_true(has_edge(g, "kas", "mongodb", COMPOSE_SERVICE_STARTED));
	assert_true(has_edge(g, "opal-server", "backend", COMPOSE_SERVICE_STARTED));
	graph_free(g);
	assert_int_equal(graph_build(&g, c, xacml), 0);
	assert_int_equal(g->n, 11);
	assert_int_equal(level_of(g, "authzforce"), 0);
	graph_free(g);
	compose_free(c);
}

static int learned_stub(const struct graph_timeout_source *src, const char *project, const char *service, long *ms)
{
	const long *table = src->data;

	if (!strcmp(service, "fast"))
		*ms = table[0];
	else if (!strcmp(service, "slow"))
		*ms = table[1];
	else if (!strcmp(service, "broken"))
		return dive_error_set(DIVE_EUNAVAIL, "state store unreachable");
	else
		return 0;
	assert_string_equal(project, "t");
	return 1;
}

static void graph__timeout_comes_from_the_hook_x_dive_or_the_default(void **state)
{
	struct compose *c = load_text("name: t\n"
				      "x-dive:\n"
				      "  services:\n"
				      "    fixed: {timeout: 240s, timeout_min: 180s, timeout_max: 300s}\n"
				      "    fast: {timeout: 60s}\n"
				      "    slow: {timeout: 60s, timeout_max: 90s}\n"
				      "services:\n"
				      "  fixed: {image: i}\n"
				      "  fast: {image: i}\n"
				      "  slow: {image: i}\n"
				      "  plain: {image: i}\n"
				      "  broken: {image: i}\n");
	long learned[2] = { 1000, 500000 };
	struct graph_timeout_source src = { learned_stub, learned };
	struct graph *g = NULL;
	struct graph_timeout t;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(graph_timeout(&t, g, (size_t)graph_index(g, "fixed"), NULL), 0);
	assert_int_equal(t.ms, 240000);
	assert_int_equal(t.from, GRAPH_TIMEOUT_STATIC);
	assert_string_equal(graph_timeout_from_name(t.from), "x-dive");
	assert_int_equal(t.min_ms, 180000);
	assert_int_equal(t.max_ms, 300000);
	assert_int_equal(graph_timeout(&t, g, (size_t)graph_index(g, "plain"), NULL), 0);
	assert_int_equal(t.ms, GRAPH_TIMEOUT_DEFAULT_MS);
	assert_int_equal(t.from, GRAPH_TIMEOUT_DEFAULT);
	assert_string_equal(graph_timeout_from_name(t.from), "default");
	assert_int_equal(t.min_ms, GRAPH_TIMEOUT_DEFAULT_MS / 2);
	assert_int_equal(t.max_ms, GRAPH_TIMEOUT_DEFAULT_MS * 2);

	/* Learned values are clamped to the bounds; no sample means the static value. */
	assert_int_equal(graph_timeout(&t, g, (size_t)graph_index(g, "fast"), &src), 0);
	assert_int_equal(t.from, GRAPH_TIMEOUT_LEARNED);
	assert_string_equal(graph_timeout_from_name(t.from), "learned");
	assert_int_equal(t.ms, 30000);
	assert_int_equal(graph_timeout(&t, g, (size_t)graph_index(g, "slow"), &src), 0);
	assert_int_equal(t.ms, 90000);
	assert_int_equal(graph_timeout(&t, g, (size_t)graph_index(g, "fixed"), &src), 0);
	assert_int_equal(t.from, GRAPH_TIMEOUT_STATIC);
	assert_int_equal(graph_timeout(&t, g, (size_t)graph_index(g, "broken"), &src), DIVE_EUNAVAIL);
	graph_free(g);
	compose_free(c);
}

static void graph__formats_durations_as_the_file_writes_them(void **state)
{
	static const struct {
		long ms;
		const char *text;
	} cases[] = {
		{ 0, "0s" }, { 500, "500ms" }, { 1000, "1s" }, { 90000, "1m30s" }, { 240000, "4m" },
		{ 3600000, "1h" }, { 3661500, "1h1m1s500ms" },
	};
	char buf[32];
	size_t i;
	long back;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		graph_format_duration(buf, sizeof(buf), cases[i].ms);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(compose_parse_duration(&back, buf), 0);
		assert_int_equal(back, cases[i].ms);
	}
}

/* Render into a string. */
static char *render(const struct graph *g, int kind)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (kind == 0)
		assert_int_equal(graph_render_mermaid(f, g), 0);
	else if (kind == 1)
		assert_int_equal(graph_render_dot(f, g), 0);
	else
		assert_int_equal(graph_render_text(f, g, NULL), 0);
	fclose(f);
	return buf;
}

static void graph__renders_every_edge_in_mermaid_dot_and_text(void **state)
{
	struct compose *c = load_stack(STACK_SPOKE, "DEU");
	struct graph *g = NULL;
	char *m, *d, *t;

	assert_int_equal(graph_build(&g, c, NULL), 0);
	m = render(g, 0);
	assert_int_equal(strncmp(m, "flowchart LR\n", 13), 0);
	assert_non_null(strstr(m, "  subgraph L0[\"level 0\"]\n"));
	assert_non_null(strstr(m, "    opal_client[\"opal-client\"]\n"));
	assert_non_null(strstr(m, "  postgres -->|healthy| keycloak\n"));
	assert_non_null(strstr(m, "  opa -->|started| backend\n"));
	assert_non_null(strstr(m, "  backend -->|healthy| frontend\n"));
	d = render(g, 1);
	assert_int_equal(strncmp(d, "digraph \"dive-spoke-deu\" {\n", 27), 0);
	assert_non_null(strstr(d, "  \"opal-client\" -> \"kas\" [label=\"healthy\"];\n"));
	assert_non_null(strstr(d, "  { rank=same; \"backend\"; }\n"));
	t = render(g, 2);
	assert_non_null(strstr(t, "dive-spoke-deu: 9 services, 4 levels ("));
	assert_non_null(strstr(t, "3      frontend          cmd        1m (x-dive)       keycloak (healthy), backend (healthy)\n"));
	assert_non_null(strstr(t, "start order: postgres mongodb redis keycloak opa opal-client backend kas frontend\n"));
	free(m);
	free(d);
	free(t);
	graph_free(g);
	compose_free(c);

	/* Names Mermaid cannot take as ids are made into ids that stay distinct. */
	c = load_text("services:\n  a-b: {image: i}\n  a_b: {image: i, depends_on: [a-b]}\n  end: {image: i}\n");
	assert_int_equal(graph_build(&g, c, NULL), 0);
	m = render(g, 0);
	assert_non_null(strstr(m, "a_b[\"a-b\"]"));
	assert_non_null(strstr(m, "a_b_1[\"a_b\"]"));
	assert_non_null(strstr(m, "end_[\"end\"]"));
	assert_non_null(strstr(m, "  a_b -->|started| a_b_1\n"));
	free(m);
	graph_free(g);
	compose_free(c);
}

static void graph__json_shows_timeouts_and_health_but_never_a_secret(void **state)
{
	struct interp_table secrets = INTERP_TABLE_INIT;
	struct interp_env inst, env;
	struct compose *c = NULL;
	struct graph *g = NULL;
	cJSON *doc = NULL, *s, *kc;
	char *path = NULL, *text;

	/* A secret in a health check, shown as written. */
	interp_table_set(&secrets, "PW", "pw-very-secret", 1);
	interp_env_table(&env, &secrets, NULL);
	assert_int_equal(compose_load_string(&c, "j.yml",
					     "services:\n  r:\n    image: i\n    healthcheck:\n"
					     "      test: [\"CMD\", \"redis-cli\", \"-a\", \"${PW}\", \"ping\"]\n",
					     strlen("services:\n  r:\n    image: i\n    healthcheck:\n"
						    "      test: [\"CMD\", \"redis-cli\", \"-a\", \"${PW}\", \"ping\"]\n"),
					     &env),
			 0);
	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(graph_to_json(&doc, g, NULL), 0);
	text = cJSON_PrintUnformatted(doc);
	assert_null(strstr(text, "pw-very-secret"));
	assert_non_null(strstr(text, "\"test\":\"redis-cli -a '${PW}' ping\""));
	assert_non_null(strstr(text, "\"test_has_secret\":true"));
	cJSON_free(text);
	cJSON_Delete(doc);
	graph_free(g);
	compose_free(c);
	interp_table_release(&secrets);

	/* The spoke with every secret set: none of them in the document. */
	interp_table_set(&secrets, "POSTGRES_PASSWORD", "pw-very-secret", 0);
	interp_table_set(&secrets, "MONGO_PASSWORD", "pw-very-secret", 0);
	interp_table_set(&secrets, "REDIS_PASSWORD", "pw-very-secret", 0);
	interp_table_set(&secrets, "KEYCLOAK_ADMIN_PASSWORD", "pw-very-secret", 0);
	interp_table_set(&secrets, "KEYCLOAK_CLIENT_SECRET", "pw-very-secret", 0);
	interp_table_set(&secrets, "AUTH_SECRET", "pw-very-secret", 0);
	interp_table_set(&secrets, "SPOKE_OPAL_TOKEN", "pw-very-secret", 0);
	assert_int_equal(stack_path(&path, STACK_SPOKE), 0);
	assert_int_equal(stack_env_for(&inst, country_find("POL")), 0);
	interp_env_table(&env, &secrets, &inst);
	if (compose_load(&c, path, &env) < 0)
		fail_msg("%s", dive_error_last());
	assert_int_equal(graph_build(&g, c, NULL), 0);
	assert_int_equal(graph_to_json(&doc, g, NULL), 0);
	text = cJSON_PrintUnformatted(doc);
	assert_null(strstr(text, "pw-very-secret"));
	cJSON_free(text);

	assert_string_equal(cJSON_GetObjectItem(doc, "project")->valuestring, "dive-spoke-pol");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(doc, "placeholders")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "services")), 9);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "levels")), 4);
	s = cJSON_GetObjectItem(doc, "services");
	kc = NULL;
	cJSON_ArrayForEach(kc, s)
		if (!strcmp(cJSON_GetObjectItem(kc, "name")->valuestring, "keycloak"))
			break;
	assert_non_null(kc);
	assert_string_equal(cJSON_GetObjectItem(kc, "container_name")->valuestring, "dive-spoke-pol-keycloak");
	assert_int_equal(cJSON_GetObjectItem(kc, "level")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(kc, "timeout"), "ms")->valueint, 240000);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(kc, "timeout"), "source")->valuestring, "x-dive");
	assert_string_equal(cJSON_GetObjectItem(kc, "unhealthy")->valuestring, "tolerate");
	assert_string_equal(cJSON_GetObjectItem(kc, "probe")->valuestring, "http://127.0.0.1:19023/health/ready");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(kc, "healthcheck"), "test")->valuestring,
			    "/dive/health");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(kc, "depends_on"), 0),
						"condition")->valuestring,
			    "service_healthy");
	cJSON_Delete(doc);
	graph_free(g);
	compose_free(c);
	stack_env_release(&inst);
	interp_table_release(&secrets);
	free(path);
	graph_free(NULL);
}

/* docs/architecture/dependency-graph.md shows, under each marker, what the binary draws. */
static void graph__document_shows_the_graphs_the_binary_draws(void **state)
{
	static const struct {
		enum stack_kind kind;
		const char *code;
		const char *marker;
	} graphs[] = {
		{ STACK_HUB, "USA", "<!-- dive graph hub --mermaid -->\n```mermaid\n" },
		{ STACK_SPOKE, "DEU", "<!-- dive graph spoke DEU --mermaid -->\n```mermaid\n" },
	};
	const char *src = getenv("DIVE_SOURCE_DIR");
	char path[4096], *doc = calloc(1, 1 << 20);
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/architecture/dependency-graph.md", src && *src ? src : DIVE_SOURCE_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(doc, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	for (i = 0; i < sizeof(graphs) / sizeof(graphs[0]); i++) {
		struct compose *c = load_stack(graphs[i].kind, graphs[i].code);
		struct graph *g = NULL;
		const char *at = strstr(doc, graphs[i].marker);
		char *m;

		assert_int_equal(graph_build(&g, c, NULL), 0);
		m = render(g, 0);
		if (!at || strncmp(at + strlen(graphs[i].marker), m, strlen(m)) ||
		    strncmp(at + strlen(graphs[i].marker) + strlen(m), "```\n", 4))
			fail_msg("%s: the diagram after '%.30s' is not what 'dive graph --mermaid' draws; regenerate it",
				 path, graphs[i].marker);
		free(m);
		graph_free(g);
		compose_free(c);
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graph__reports_a_cycle_with_its_whole_path),
		cmocka_unit_test(graph__reports_an_undefined_dependency_naming_both_services),
		cmocka_unit_test(graph__drops_an_optional_dependency_that_is_absent),
		cmocka_unit_test(graph__leaves_out_services_of_inactive_profiles),
		cmocka_unit_test(graph__levels_are_the_longest_path_from_a_root),
		cmocka_unit_test(graph__orders_dependencies_first_with_ties_in_file_order),
		cmocka_unit_test(graph__gives_each_service_its_direct_dependencies_and_dependents),
		cmocka_unit_test(graph__spoke_graph_has_the_runtime_edges_of_the_predecessor),
		cmocka_unit_test(graph__hub_graph_has_the_levels_of_the_predecessor),
		cmocka_unit_test(graph__timeout_comes_from_the_hook_x_dive_or_the_default),
		cmocka_unit_test(graph__formats_durations_as_the_file_writes_them),
		cmocka_unit_test(graph__renders_every_edge_in_mermaid_dot_and_text),
		cmocka_unit_test(graph__json_shows_timeouts_and_health_but_never_a_secret),
		cmocka_unit_test(graph__document_shows_the_graphs_the_binary_draws),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
