/*
 * plan.h - the scheduler's input (sched.h) made from a dependency graph
 * (graph.h): one struct sched_service per node, in node order, with its
 * dependencies and conditions, the timeout in force (graph_timeout, learned
 * values through src when not NULL) and the x-dive unhealthy tolerance.
 * Used by the deploy pipeline and by bench/bench_apply, so both run the
 * same plan.
 *
 * Ownership: plan_free releases what plan_build allocated; the names point
 * into the graph's compose, which must outlive the plan.
 */
#ifndef DIVE_PLAN_H
#define DIVE_PLAN_H

#include "dive/graph.h"
#include "dive/sched.h"

struct plan {
	struct sched_service *svcs;   /* graph->n entries */
	struct sched_dep *deps;       /* every node's dependencies, svcs[i].deps points in */
	enum graph_timeout_from *from; /* where each timeout came from */
	int n;
};

void plan_build(struct plan *out, const struct graph *g, const struct graph_timeout_source *src);
void plan_free(struct plan *p);

#endif
