/* metrics_priv.h - what metrics.c and metrics_store.c share (see metrics.h). */
#ifndef DIVE_METRICS_PRIV_H
#define DIVE_METRICS_PRIV_H

#include <libpq-fe.h>

#include "dive/buf.h"
#include "dive/compose.h"
#include "dive/graph.h"
#include "dive/interp.h"
#include "dive/metrics.h"
#include "dive/stack.h"

/* The deploy's rule for learned timeouts (src/engine/deploy.c, learned()). */
#define MLEARNED_MIN_SAMPLES 5
#define MLEARNED_WINDOW 20
#define MLEARNED_FACTOR 1.5

enum msource {
	MSRC_STORE,
	MSRC_ENGINE,
	MSRC_STACKS,
	MSRC__COUNT
};

struct metrics_stack {
	enum stack_kind kind;
	struct interp_env env;
	int env_set;
	struct compose *compose;
	struct graph *graph;
};

struct metrics {
	char *url;
	char *docker_host;
	long query_timeout_ms, store_budget_ms, docker_timeout_ms;
	PGconn *conn;
	struct metrics_stack stacks[2];     /* indexed by enum stack_kind */
	unsigned long long errors_total[MSRC__COUNT];
	char host[256];
};

/* An instance of the state store, as the engine part needs it. */
struct minstance {
	char code[4];
	int expects;                         /* its state says its containers should run */
};

struct mcollect {
	struct metrics *m;
	struct dive_buf *out;
	long long store_start_ms;
	int failed[MSRC__COUNT];
	struct minstance *instances;
	size_t ninstances;
};

struct mlearned {
	struct {
		enum stack_kind kind;
		char service[COMPOSE_NAME_MAX + 1];
		int samples;
		double p95_ms;
	} *v;
	size_t n;
	enum stack_kind kind;                /* the stack being emitted */
};

/* One store query under the budget; a failure marks the store failed (later queries are skipped). */
int mc_query(struct mcollect *c, PGresult **res, const char *sql, int n, const char *const *params);
void mc_collect_store(struct mcollect *c);
/* l may be NULL (no learned values could be read). */
void mc_emit_timeouts(struct mcollect *c, struct mlearned *l);

#endif
