/*
 * metrics.c - the exposition: connection, budget, the engine's containers,
 * the stack files' services and timeouts (see metrics.h).  The state store
 * families are in metrics_store.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dive/compose.h"
#include "dive/country.h"
#include "dive/docker.h"
#include "dive/error.h"
#include "dive/graph.h"
#include "dive/log.h"
#include "dive/pg.h"
#include "dive/promtext.h"
#include "dive/stack.h"
#include "dive/xalloc.h"
#include "metrics_priv.h"


static const char *const source_names[MSRC__COUNT] = { "state_store", "engine", "stack_files" };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int load_stack(struct metrics_stack *st, enum stack_kind kind)
{
	const struct dive_country *c = country_find(kind == STACK_HUB ? "USA" : "DEU");
	char *path = NULL;
	int rc;

	st->kind = kind;
	if ((rc = stack_path(&path, kind)) < 0)
		return rc;
	if ((rc = stack_env_for(&st->env, c)) == 0) {
		st->env_set = 1;
		st->env.flags |= INTERP_PLACEHOLDERS;
		rc = compose_load(&st->compose, path, &st->env);
	}
	if (rc == 0)
		rc = graph_build(&st->graph, st->compose, NULL);
	free(path);
	return rc;
}

int metrics_open(struct metrics **out, const struct metrics_opts *o)
{
	struct metrics *m;
	int rc;

	*out = NULL;
	if (!o->state_url || !*o->state_url)
		return dive_error_set(DIVE_EUSAGE, "metrics need a state store");
	m = xcalloc(1, sizeof(*m));
	m->url = xstrdup(o->state_url);
	m->docker_host = o->docker_host ? xstrdup(o->docker_host) : NULL;
	m->query_timeout_ms = o->query_timeout_ms > 0 ? o->query_timeout_ms : 2000;
	m->store_budget_ms = o->store_budget_ms > 0 ? o->store_budget_ms : 5000;
	m->docker_timeout_ms = o->docker_timeout_ms > 0 ? o->docker_timeout_ms : 3000;
	gethostname(m->host, sizeof(m->host) - 1);
	if ((rc = load_stack(&m->stacks[STACK_HUB], STACK_HUB)) < 0 ||
	    (rc = load_stack(&m->stacks[STACK_SPOKE], STACK_SPOKE)) < 0) {
		metrics_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

void metrics_close(struct metrics *m)
{
	int i;

	if (!m)
		return;
	pg_close(m->conn);
	for (i = 0; i < 2; i++) {
		graph_free(m->stacks[i].graph);
		compose_free(m->stacks[i].compose);
		if (m->stacks[i].env_set)
			stack_env_release(&m->stacks[i].env);
	}
	explicit_bzero(m->url, strlen(m->url));
	free(m->url);
	free(m->docker_host);
	free(m);
}

static const char sql_timeout[] = "SELECT set_config('statement_timeout', $1, false)";

/* The collector's own connection, opened (again) when needed. */
static int connect_store(struct metrics *m)
{
	char ms[32];
	const char *params[1] = { ms };
	int rc;

	/* a connection the server ended (restart, failover) is opened again */
	if (m->conn && PQstatus(m->conn) == CONNECTION_OK && pg_command(m->conn, "SELECT 1") == 0)
		return 0;
	pg_close(m->conn);
	m->conn = NULL;
	if ((rc = pg_connect(&m->conn, m->url, "dive serve metrics")) < 0)
		return rc;
	snprintf(ms, sizeof(ms), "%ld", m->query_timeout_ms);
	if ((rc = pg_exec(m->conn, NULL, sql_timeout, 1, params)) < 0) {
		pg_close(m->conn);
		m->conn = NULL;
	}
	return rc;
}

/* --- the engine ------------------------------------------------------------------ */

struct cont_count {
	char instance[8];
	char service[COMPOSE_NAME_MAX + 1];
	int expected, present, running, healthy;
};

static struct cont_count *cont_slot(struct cont_count **v, size_t *n, size_t *cap, const char *inst, const char *svc)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].instance, inst) && !strcmp((*v)[i].service, svc))
			return &(*v)[i];
	if (*n >= 8192)
		return NULL;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	snprintf((*v)[*n].instance, sizeof((*v)[*n].instance), "%s", inst);
	snprintf((*v)[*n].service, sizeof((*v)[*n].service), "%s", svc);
	return &(*v)[(*n)++];
}

/* "Up 3 minutes (healthy)": healthy; "(health: starting)", "(unhealthy)": not; no health check: running is enough. */
int metrics_status_healthy(const char *status)
{
	if (!status)
		return 0;
	if (strstr(status, "(unhealthy)") || strstr(status, "(health: starting)"))
		return 0;
	return 1;
}

int metrics_container_list(cJSON **out, const char *docker_host, long timeout_ms)
{
	static const char *const labels[] = { "dive.project", NULL };
	struct docker *d = NULL;
	int rc;

	*out = NULL;
	if ((rc = docker_open(&d, docker_host, NULL)) < 0)
		return rc;
	d->timeout_ms = timeout_ms;
	rc = docker_container_list(d, out, labels);
	docker_close(d);
	return rc;
}

static void emit_containers(struct mcollect *c, const struct cont_count *v, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fam[] = {
		{ "dive_containers_expected", "Containers the instance's stack file declares, when its state says it is deployed",
		  offsetof(struct cont_count, expected) },
		{ "dive_containers_present", "Containers of the service that exist in the engine (dive labels)",
		  offsetof(struct cont_count, present) },
		{ "dive_containers_running", "Containers of the service that are running", offsetof(struct cont_count, running) },
		{ "dive_containers_healthy", "Running containers of the service that are healthy (or have no health check)",
		  offsetof(struct cont_count, healthy) },
	};
	size_t f, i;

	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		if (f == 0 && c->failed[MSRC_STORE])
			continue; /* expected comes from the state store */
		promtext_family(c->out, fam[f].name, "gauge", fam[f].help);
		for (i = 0; i < n; i++) {
			const char *labels[] = { "code", v[i].instance, "service", v[i].service, NULL };

			promtext_sample(c->out, fam[f].name, labels, NULL, NULL,
					*(const int *)((const char *)&v[i] + fam[f].off));
		}
	}
}

static void collect_engine(struct mcollect *c)
{
	struct cont_count *v = NULL;
	size_t n = 0, cap = 0, i, k;
	cJSON *list = NULL, *ct;

	for (i = 0; i < c->ninstances; i++) {
		const struct metrics_stack *st;

		if (!c->instances[i].expects)
			continue;
		st = &c->m->stacks[strcmp(c->instances[i].code, "USA") ? STACK_SPOKE : STACK_HUB];
		for (k = 0; k < st->graph->n; k++) {
			struct cont_count *s = cont_slot(&v, &n, &cap, c->instances[i].code, st->graph->nodes[k].svc->name);

			if (s)
				s->expected = 1;
		}
	}
	if (metrics_container_list(&list, c->m->docker_host, c->m->docker_timeout_ms) < 0) {
		dive_debug("metrics: %s", dive_error_last());
		c->failed[MSRC_ENGINE] = 1;
		free(v);
		return;
	}
	cJSON_ArrayForEach(ct, list) {
		const cJSON *labels = cJSON_GetObjectItem(ct, "Labels");
		const char *inst = cJSON_GetStringValue(cJSON_GetObjectItem(labels, "dive.instance"));
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(labels, "dive.service"));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(ct, "State"));
		struct cont_count *s;

		if (!inst || !svc || !country_find(inst) || strlen(svc) > COMPOSE_NAME_MAX)
			continue; /* not an instance's service (a stand-in, a test's own) */
		if (!(s = cont_slot(&v, &n, &cap, inst, svc)))
			break;
		s->present++;
		if (state && !strcmp(state, "running")) {
			s->running++;
			s->healthy += metrics_status_healthy(cJSON_GetStringValue(cJSON_GetObjectItem(ct, "Status")));
		}
	}
	cJSON_Delete(list);
	emit_containers(c, v, n);
	free(v);
}

/* --- readiness timeouts in force ------------------------------------------------- */

/* --- the whole -------------------------------------------------------------------- */

static void emit_scrape(struct mcollect *c, long long start)
{
	size_t i;

	promtext_family(c->out, "dive_scrape_error", "gauge", "1 when a source could not be read in this scrape");
	for (i = 0; i < MSRC__COUNT; i++) {
		const char *labels[] = { "source", source_names[i], NULL };

		promtext_sample(c->out, "dive_scrape_error", labels, NULL, NULL, c->failed[i]);
	}
	promtext_family(c->out, "dive_scrape_errors_total", "counter",
			"Scrapes in which a source could not be read, since this process started");
	for (i = 0; i < MSRC__COUNT; i++) {
		const char *labels[] = { "source", source_names[i], NULL };

		c->m->errors_total[i] += (unsigned long long)c->failed[i];
		promtext_sample(c->out, "dive_scrape_errors_total", labels, NULL, NULL, (double)c->m->errors_total[i]);
	}
	promtext_family(c->out, "dive_scrape_duration_seconds", "gauge", "How long this scrape took");
	promtext_sample(c->out, "dive_scrape_duration_seconds", NULL, NULL, NULL, (now_ms() - start) / 1000.0);
}

int metrics_collect(struct metrics *m, struct dive_buf *out)
{
	struct mcollect c;
	long long start = now_ms();
	const char *labels[] = { "version", DIVE_VERSION, NULL };
	size_t len0 = out->len;

	memset(&c, 0, sizeof(c));
	c.m = m;
	c.out = out;
	promtext_family(out, "dive_build_info", "gauge", "The version of dive serving these metrics");
	promtext_sample(out, "dive_build_info", labels, NULL, NULL, 1);

	c.store_start_ms = now_ms();
	if (connect_store(m) < 0) {
		dive_debug("metrics: %s", dive_error_last());
		c.failed[MSRC_STORE] = 1;
	} else {
		mc_collect_store(&c);
	}
	collect_engine(&c);
	emit_scrape(&c, start);
	free(c.instances);
	if (out->len == len0 || (out->max && out->len >= out->max))
		return dive_error_set(DIVE_ETOOBIG, "the exposition does not fit in %zu bytes", out->max);
	return 0;
}
