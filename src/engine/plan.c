/* plan.c - scheduler input from a dependency graph (see plan.h). */
#include <stdlib.h>

#include "dive/plan.h"
#include "dive/xalloc.h"

static enum sched_cond cond_of(enum compose_condition c)
{
	switch (c) {
	case COMPOSE_SERVICE_HEALTHY:
		return SCHED_COND_HEALTHY;
	case COMPOSE_SERVICE_COMPLETED:
		return SCHED_COND_COMPLETED;
	default:
		return SCHED_COND_STARTED;
	}
}

void plan_build(struct plan *out, const struct graph *g, const struct graph_timeout_source *src)
{
	size_t i, k, ndeps = 0;

	for (i = 0; i < g->n; i++)
		ndeps += g->nodes[i].ndeps;
	out->n = (int)g->n;
	out->svcs = xcalloc(g->n + 1, sizeof(*out->svcs));
	out->deps = xcalloc(ndeps + 1, sizeof(*out->deps));
	out->from = xcalloc(g->n + 1, sizeof(*out->from));
	for (i = 0, ndeps = 0; i < g->n; i++) {
		const struct graph_node *nd = &g->nodes[i];
		struct graph_timeout t;

		out->svcs[i].name = nd->svc->name;
		out->svcs[i].deps = &out->deps[ndeps];
		for (k = 0; k < nd->ndeps; k++, ndeps++) {
			out->deps[ndeps].index = (int)nd->deps[k].node;
			out->deps[ndeps].cond = cond_of(nd->deps[k].condition);
			out->deps[ndeps].required = nd->deps[k].required;
		}
		out->svcs[i].ndeps = (int)nd->ndeps;
		/* a learned source that fails falls back to the static timeout */
		if (graph_timeout(&t, g, i, src) < 0)
			graph_timeout(&t, g, i, NULL);
		out->svcs[i].timeout_ms = t.ms;
		out->from[i] = t.from;
		out->svcs[i].tolerate_unhealthy = nd->svc->dive && nd->svc->dive->unhealthy == COMPOSE_UNHEALTHY_TOLERATE;
	}
}

void plan_free(struct plan *p)
{
	free(p->svcs);
	free(p->deps);
	free(p->from);
	p->svcs = NULL;
	p->deps = NULL;
	p->from = NULL;
	p->n = 0;
}
