/*
 * metrics.h - the Prometheus exposition of dive (docs/architecture/observability.md),
 * computed on every call from the state store and the Docker engine.
 *
 * Sources, each bounded:
 *   the state store  a connection of the collector's own, every statement
 *                    under a statement timeout (metrics_opts.query_timeout_ms)
 *                    and the whole store part under a budget; counters
 *                    (_total) are counts of recorded history (dive.runs,
 *                    dive.transitions, dive.errors, dive.audit_reports,
 *                    dive.breakers.opens_total), so they are monotonic
 *                    whichever process recorded the rows
 *   the engine       ONE container list filtered by the label dive.project
 *                    (every dive container of every instance), with a
 *                    request timeout; health is read from the list's Status
 *                    ("Up 3 minutes (healthy)"), never by one call per spoke
 *   the stack files  which services an instance expects, and the readiness
 *                    timeout in force per service (graph.h; learned values
 *                    from the same samples and rule as the deploy: 1.5 x P95
 *                    of the last 20 readiness times, from 5 samples on)
 *
 * A source that fails or is too slow does not fail the exposition: its
 * families are left out, dive_scrape_error{source} is 1 and
 * dive_scrape_errors_total{source} counts it.  metrics_collect() only fails
 * when the output buffer is too small (DIVE_ETOOBIG).
 *
 * No metric or label carries a secret: labels are instance codes, service,
 * breaker and lock names, states, error codes, drift kinds and the version.
 * The state store URL (it holds a password) is used to connect, never shown.
 *
 * Lifecycle: metrics_open / metrics_close.  A struct metrics is not
 * thread-safe: one collection at a time (dive serve holds a mutex).
 */
#ifndef DIVE_METRICS_H
#define DIVE_METRICS_H

#include <stddef.h>

#include "dive/buf.h"

#define METRICS_OUTPUT_MAX (8u << 20)

struct metrics_opts {
	const char *state_url;        /* required; never printed */
	const char *docker_host;      /* NULL: the default engine */
	long query_timeout_ms;        /* per statement; 0: 2000 */
	long store_budget_ms;         /* every store query of one collection; 0: 5000 */
	long docker_timeout_ms;       /* the container list; 0: 3000 */
};

struct metrics;

/*
 * Loads the stack files and keeps the options; connects lazily (a store that
 * is down at start is a scrape error, not a refusal).  DIVE_EUSAGE when a
 * stack file cannot be read.
 */
int metrics_open(struct metrics **out, const struct metrics_opts *o);
void metrics_close(struct metrics *m);

/* Append the whole exposition to out (initialised by the caller, max >= 64 KiB). */
int metrics_collect(struct metrics *m, struct dive_buf *out);

/*
 * The one engine call: every container with the label dive.project (all
 * instances), as the engine lists them; timeout_ms bounds the request.
 */
#include <cjson/cJSON.h>
int metrics_container_list(cJSON **out, const char *docker_host, long timeout_ms);
/* A listed container's Status ("Up 3 minutes (healthy)"): 1 unless unhealthy or still starting. */
int metrics_status_healthy(const char *status);

/* Histogram bounds of run and phase durations, in seconds (ending with +Inf). */
extern const double metrics_duration_buckets[];
extern const size_t metrics_duration_nbuckets;

#endif
