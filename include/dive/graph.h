/*
 * graph.h - the service dependency graph, read from a loaded stack file
 * (compose.h) and from nothing else: depends_on is the one source of truth
 * (DESIGN.md §5; the predecessor had four graphs that disagreed).
 *
 * graph_build checks the graph and computes, for the services that are
 * active (no profiles, or one of the given profiles):
 *
 *   - for each service its direct dependencies with their condition, and
 *     its direct dependents, so a scheduler can start a service the moment
 *     its own dependencies are ready (never in level batches);
 *   - a topological order (dependencies first, ties in file order);
 *   - levels, for display only: the longest path from a service without
 *     dependencies (level 0).
 *
 * Errors (DIVE_EUSAGE, message "FILE:LINE: ..."; nothing is built):
 *   ERRC_DEPENDENCY_UNDEFINED  "service 'backend' depends on 'keycloack',
 *                              which is not defined" (or is only in a
 *                              profile that is not active); a dependency
 *                              with required: false is dropped instead
 *   ERRC_DEPENDENCY_CYCLE      "dependency cycle: a -> b -> c -> a", the
 *                              whole path, found in file order, at the line
 *                              of the depends_on entry that closes it
 *
 * Timeouts: graph_timeout gives the readiness timeout in force for a
 * service and where it came from: a learned value through the hook
 * struct graph_timeout_source (issue #5, learned timeouts: none is wired
 * yet), else x-dive.services.<name>.timeout, else GRAPH_TIMEOUT_DEFAULT_MS.
 *
 * Rendering (for `dive graph`): text, JSON, Mermaid and Graphviz dot, all
 * from the same struct; none of them prints a secret (healthcheck tests are
 * shown as written when they carry one).
 *
 * Ownership: the graph points into the compose it was built from, which
 * must outlive it.  graph_free accepts NULL.
 */
#ifndef DIVE_GRAPH_H
#define DIVE_GRAPH_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "dive/compose.h"

#define GRAPH_TIMEOUT_DEFAULT_MS 120000L   /* a service without any other timeout */

struct graph_dep {
	size_t node;                    /* index into graph.nodes */
	enum compose_condition condition;
	int required;
	int line;                       /* of the depends_on entry */
};

struct graph_node {
	const struct compose_service *svc;
	struct graph_dep *deps;         /* direct dependencies, in file order */
	size_t ndeps;
	size_t *dependents;             /* nodes that depend on this one, in file order */
	size_t ndependents;
	int level;                      /* 0: no dependencies */
};

struct graph {
	const struct compose *compose;
	struct graph_node *nodes;       /* active services, in file order */
	size_t n;
	size_t *order;                  /* node indexes, dependencies first */
	int nlevels;
	size_t ninactive;               /* services left out by their profiles */
};

/*
 * Build the graph of c's active services.  profiles: NULL-terminated list
 * of active profiles, or NULL for none.  Returns 0 and *out, or an error as
 * described above with *out NULL.
 */
int graph_build(struct graph **out, const struct compose *c, const char *const *profiles);
void graph_free(struct graph *g);

/* The node of service name, or -1. */
int graph_index(const struct graph *g, const char *name);

enum graph_timeout_from {
	GRAPH_TIMEOUT_DEFAULT,          /* GRAPH_TIMEOUT_DEFAULT_MS */
	GRAPH_TIMEOUT_STATIC,           /* x-dive.services.<name>.timeout */
	GRAPH_TIMEOUT_LEARNED,          /* from past readiness times, through the hook */
};

/* "default", "x-dive", "learned". */
const char *graph_timeout_from_name(enum graph_timeout_from from);

struct graph_timeout {
	long ms;                        /* the timeout in force */
	long min_ms, max_ms;            /* the bounds a learned value is clamped to */
	enum graph_timeout_from from;
};

/*
 * The hook for learned timeouts.  learned() answers 1 with *ms (already
 * computed from the history, e.g. 1.5 x P95 of the last successful
 * readiness times) when enough samples exist, 0 when not, <0 on error.
 * graph_timeout clamps the answer to [min_ms, max_ms].
 */
struct graph_timeout_source {
	int (*learned)(const struct graph_timeout_source *src, const char *project, const char *service, long *ms);
	void *data;
};

/*
 * The timeout in force for node i.  src may be NULL (no learned values).
 * Bounds: x-dive timeout_min/timeout_max, else half and twice the static
 * timeout.  Returns 0, or the hook's error.
 */
int graph_timeout(struct graph_timeout *out, const struct graph *g, size_t i, const struct graph_timeout_source *src);

/* "10s", "1m30s", "500ms", "0s" into out. */
void graph_format_duration(char *out, size_t n, long ms);

/* Renderers; src as for graph_timeout.  Return 0, or <0 when the hook failed. */
int graph_render_text(FILE *f, const struct graph *g, const struct graph_timeout_source *src);
int graph_render_mermaid(FILE *f, const struct graph *g);
/* g as one subgraph of a flowchart the caller opened ("flowchart LR"), ids prefixed with prefix. */
int graph_render_mermaid_part(FILE *f, const struct graph *g, const char *prefix, const char *title);
int graph_render_dot(FILE *f, const struct graph *g);
/* {"file", "project", "services": [...], "order": [...], "levels": [[...]]}; *out owned by the caller. */
int graph_to_json(cJSON **out, const struct graph *g, const struct graph_timeout_source *src);

#endif
