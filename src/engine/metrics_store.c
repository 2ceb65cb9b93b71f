/*
 * metrics_store.c - the families read from the state store (see metrics.h).
 *
 * Each family is one bounded statement (LIMIT, the statement timeout of the
 * collector's connection, the budget of mc_query).  Counters count rows of
 * recorded history; gauges read current rows.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/federation.h"
#include "dive/log.h"
#include "dive/pg.h"
#include "dive/promtext.h"
#include "dive/state_machine.h"
#include "dive/xalloc.h"
#include "metrics_priv.h"

const double metrics_duration_buckets[] = { 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 1.0 / 0.0 };
const size_t metrics_duration_nbuckets = sizeof(metrics_duration_buckets) / sizeof(metrics_duration_buckets[0]);

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mc_query(struct mcollect *c, PGresult **res, const char *sql, int n, const char *const *params)
{
	int rc;

	*res = NULL;
	if (c->failed[MSRC_STORE])
		return DIVE_EFAIL;
	if (now_ms() - c->store_start_ms > c->m->store_budget_ms) {
		dive_debug("metrics: the state store budget of %ldms is spent", c->m->store_budget_ms);
		c->failed[MSRC_STORE] = 1;
		return DIVE_ETIMEOUT;
	}
	rc = pg_exec(c->m->conn, res, sql, n, params);
	if (rc < 0) {
		dive_debug("metrics: %s", dive_error_last());
		c->failed[MSRC_STORE] = 1;
	}
	return rc;
}


static int learned_hook(const struct graph_timeout_source *src, const char *project, const char *service, long *ms)
{
	const struct mlearned *l = src->data;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].service, service) || l->v[i].kind != l->kind)
			continue;
		if (l->v[i].samples < MLEARNED_MIN_SAMPLES)
			return 0;
		*ms = (long)(MLEARNED_FACTOR * l->v[i].p95_ms);
		return 1;
	}
	return 0;
}

void mc_emit_timeouts(struct mcollect *c, struct mlearned *l)
{
	static const char name[] = "dive_service_ready_timeout_seconds";
	int kind;
	size_t i;

	promtext_family(c->out, name, "gauge",
			"Readiness timeout in force per service, and where it comes from (default, x-dive, learned)");
	for (kind = STACK_HUB; kind <= STACK_SPOKE; kind++) {
		const struct metrics_stack *st = &c->m->stacks[kind];
		struct graph_timeout_source src = { learned_hook, l };

		if (l)
			l->kind = kind;
		for (i = 0; i < st->graph->n; i++) {
			struct graph_timeout t;
			const char *labels[] = { "kind", stack_kind_name((enum stack_kind)kind), "service",
						 st->graph->nodes[i].svc->name, "source", NULL, NULL };

			if (graph_timeout(&t, st->graph, i, l ? &src : NULL) < 0)
				continue;
			labels[5] = graph_timeout_from_name(t.from);
			promtext_sample(c->out, name, labels, NULL, NULL, t.ms / 1000.0);
		}
	}
}


#define ROWS_MAX "5000"
#define NLABELS_MAX 4

/* A family whose rows are label columns then one value column. */
struct mfamily {
	const char *name, *type, *help;
	const char *sql;
	const char *labels[NLABELS_MAX + 1];   /* column names, in order */
};

static void emit_rows(struct mcollect *c, const struct mfamily *f, int nparams, const char *const *params)
{
	PGresult *res;
	int i, k, nl = 0;

	while (nl < NLABELS_MAX && f->labels[nl])
		nl++;
	if (mc_query(c, &res, f->sql, nparams, params) < 0)
		return;
	promtext_family(c->out, f->name, f->type, f->help);
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[2 * NLABELS_MAX + 1];

		for (k = 0; k < nl; k++) {
			labels[2 * k] = f->labels[k];
			labels[2 * k + 1] = PQgetvalue(res, i, k);
		}
		labels[2 * nl] = NULL;
		promtext_sample(c->out, f->name, labels, NULL, NULL, atof(PQgetvalue(res, i, nl)));
	}
	PQclear(res);
}

/*
 * A histogram: rows are label columns, le, the count at or below le, the
 * group's count and sum; ordered by the labels, then le.
 */
static void emit_histogram(struct mcollect *c, const struct mfamily *f)
{
	char bounds[512], name[128];
	const char *params[1] = { bounds };
	size_t used = 0, b;
	PGresult *res;
	int i, k, nl = 0;

	while (nl < NLABELS_MAX && f->labels[nl])
		nl++;
	used += (size_t)snprintf(bounds, sizeof(bounds), "{");
	for (b = 0; b < metrics_duration_nbuckets; b++) {
		char v[32];

		promtext_format_value(v, metrics_duration_buckets[b]);
		used += (size_t)snprintf(bounds + used, sizeof(bounds) - used, "%s%s", b ? "," : "",
					 !strcmp(v, "+Inf") ? "Infinity" : v);
	}
	snprintf(bounds + used, sizeof(bounds) - used, "}");
	if (mc_query(c, &res, f->sql, 1, params) < 0)
		return;
	promtext_family(c->out, f->name, "histogram", f->help);
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[2 * NLABELS_MAX + 1];
		char le[32];

		for (k = 0; k < nl; k++) {
			labels[2 * k] = f->labels[k];
			labels[2 * k + 1] = PQgetvalue(res, i, k);
		}
		labels[2 * nl] = NULL;
		promtext_format_value(le, atof(PQgetvalue(res, i, nl)));
		snprintf(name, sizeof(name), "%s_bucket", f->name);
		promtext_sample(c->out, name, labels, "le", le, atof(PQgetvalue(res, i, nl + 1)));
		if (!strcmp(le, "+Inf")) {
			snprintf(name, sizeof(name), "%s_sum", f->name);
			promtext_sample(c->out, name, labels, NULL, NULL, atof(PQgetvalue(res, i, nl + 3)));
			snprintf(name, sizeof(name), "%s_count", f->name);
			promtext_sample(c->out, name, labels, NULL, NULL, atof(PQgetvalue(res, i, nl + 2)));
		}
	}
	PQclear(res);
}

/* --- runs, phases, transitions ---------------------------------------------------- */

static const char sql_runs[] =
	"SELECT code, mode, outcome, count(*) FROM dive.runs WHERE outcome <> 'running'"
	" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT " ROWS_MAX;

static const char sql_runs_running[] =
	"SELECT i.code, count(r.id) FROM dive.instances i LEFT JOIN dive.runs r ON r.code = i.code AND r.outcome = 'running'"
	" GROUP BY 1 ORDER BY 1 LIMIT " ROWS_MAX;

static const char sql_run_hist[] =
	"WITH r AS (SELECT code, mode, outcome, extract(epoch FROM ended_at - started_at)::float8 AS d"
	"  FROM dive.runs WHERE ended_at IS NOT NULL)"
	" SELECT r.code, r.mode, r.outcome, b.le, count(*) FILTER (WHERE r.d <= b.le), count(*), coalesce(sum(r.d), 0)"
	" FROM r CROSS JOIN unnest($1::float8[]) AS b(le) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 LIMIT " ROWS_MAX;

static const char sql_run_last[] =
	"SELECT DISTINCT ON (code, mode) code, mode, extract(epoch FROM ended_at - started_at)::float8"
	" FROM dive.runs WHERE outcome = 'succeeded' ORDER BY code, mode, started_at DESC LIMIT " ROWS_MAX;

/* The time an instance spent in a phase's state is the duration of the transition that left it. */
static const char sql_phase_hist[] =
	"WITH r AS (SELECT code, CASE from_state WHEN 'INITIALIZING' THEN 'initialization' WHEN 'DEPLOYING' THEN"
	"   'deployment' WHEN 'CONFIGURING' THEN 'configuration' ELSE 'verification' END AS phase,"
	"   duration_ms / 1000.0::float8 AS d FROM dive.transitions"
	"  WHERE run_id IS NOT NULL AND duration_ms IS NOT NULL"
	"   AND from_state IN ('INITIALIZING', 'DEPLOYING', 'CONFIGURING', 'VERIFYING'))"
	" SELECT r.code, r.phase, b.le, count(*) FILTER (WHERE r.d <= b.le), count(*), coalesce(sum(r.d), 0)"
	" FROM r CROSS JOIN unnest($1::float8[]) AS b(le) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT " ROWS_MAX;

static const char sql_transitions[] =
	"SELECT code, to_state, count(*) FROM dive.transitions GROUP BY 1, 2 ORDER BY 1, 2 LIMIT " ROWS_MAX;

static const struct mfamily fam_runs = {
	"dive_runs_total", "counter", "Finished runs by instance, mode and outcome (dive.runs)", sql_runs,
	{ "code", "mode", "outcome", NULL },
};
static const struct mfamily fam_running = {
	"dive_runs_in_progress", "gauge", "Runs recorded as running per instance", sql_runs_running,
	{ "code", NULL },
};
static const struct mfamily fam_run_hist = {
	"dive_run_duration_seconds", "histogram", "Duration of finished runs (dive.runs)", sql_run_hist,
	{ "code", "mode", "outcome", NULL },
};
static const struct mfamily fam_run_last = {
	"dive_run_last_duration_seconds", "gauge", "Duration of the last succeeded run per instance and mode",
	sql_run_last, { "code", "mode", NULL },
};
static const struct mfamily fam_phase_hist = {
	"dive_phase_duration_seconds", "histogram", "Time runs spent in each phase (dive.transitions)", sql_phase_hist,
	{ "code", "phase", NULL },
};
static const struct mfamily fam_transitions = {
	"dive_state_transitions_total", "counter", "State transitions by instance and target state (dive.transitions)",
	sql_transitions, { "code", "to_state", NULL },
};

/* --- current state ---------------------------------------------------------------- */

static const char sql_instances[] =
	"SELECT i.code, i.state, extract(epoch FROM i.updated_at)::float8,"
	" (s.in_progress AND NOT EXISTS (SELECT 1 FROM dive.live_locks l WHERE l.name = 'instance:' || i.code))"
	" FROM dive.instances i JOIN dive.states s ON s.name = i.state ORDER BY i.code LIMIT 1000";

/* Where the containers should run: deployed, or on the way there. */
static int state_expects(enum dive_state st)
{
	return st == DIVE_STATE_COMPLETE || st == DIVE_STATE_DEPLOYING || st == DIVE_STATE_CONFIGURING ||
	       st == DIVE_STATE_VERIFYING;
}

static void collect_instances(struct mcollect *c)
{
	static const char state_name[] = "dive_instance_state";
	PGresult *res;
	int i, s, n;

	if (mc_query(c, &res, sql_instances, 0, NULL) < 0)
		return;
	n = PQntuples(res);
	c->instances = xcalloc((size_t)n + 1, sizeof(*c->instances));
	promtext_family(c->out, state_name, "gauge", "Current deployment state per instance: 1 for the state it is in");
	for (i = 0; i < n; i++) {
		const char *code = PQgetvalue(res, i, 0), *cur = PQgetvalue(res, i, 1);
		enum dive_state st;

		for (s = 0; s < DIVE_STATE__COUNT; s++) {
			const char *labels[] = { "code", code, "state", dive_state_name((enum dive_state)s), NULL };

			promtext_sample(c->out, state_name, labels, NULL, NULL, !strcmp(cur, labels[3]));
		}
		snprintf(c->instances[c->ninstances].code, 4, "%s", code);
		c->instances[c->ninstances++].expects = dive_state_parse(&st, cur) == 0 && state_expects(st);
	}
	promtext_family(c->out, "dive_instance_state_changed_timestamp_seconds", "gauge",
			"When the instance's state last changed (Unix time)");
	for (i = 0; i < n; i++) {
		const char *labels[] = { "code", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_instance_state_changed_timestamp_seconds", labels, NULL, NULL,
				atof(PQgetvalue(res, i, 2)));
	}
	promtext_family(c->out, "dive_instance_in_progress_unlocked", "gauge",
			"1 when the instance is in an in-progress state while no live session holds its lock (a dead run)");
	for (i = 0; i < n; i++) {
		const char *labels[] = { "code", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_instance_in_progress_unlocked", labels, NULL, NULL,
				PQgetvalue(res, i, 3)[0] == 't');
	}
	PQclear(res);
}

/* --- errors ------------------------------------------------------------------------- */

static const char sql_errors[] =
	"SELECT code, severity, count(*), count(*) FILTER (WHERE step_id IS NOT NULL),"
	" count(*) FILTER (WHERE context->>'recovered' = 'true'), count(*) FILTER (WHERE resolved_at IS NULL)"
	" FROM dive.errors GROUP BY 1, 2 ORDER BY 1, 2 LIMIT " ROWS_MAX;

static void collect_errors(struct mcollect *c)
{
	static const struct {
		const char *name, *type, *help;
		int col;
	} fam[] = {
		{ "dive_errors_total", "counter", "Recorded errors by taxonomy code and severity (dive.errors)", 2 },
		{ "dive_step_failures_total", "counter", "Failed steps by the taxonomy code and severity of their error", 3 },
		{ "dive_recovered_faults_total", "counter",
		  "Known transient faults dive recovered by itself, by taxonomy code (dive.errors, context recovered)", 4 },
		{ "dive_errors_unresolved", "gauge", "Recorded errors not marked resolved", 5 },
	};
	PGresult *res;
	size_t f;
	int i;

	if (mc_query(c, &res, sql_errors, 0, NULL) < 0)
		return;
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		promtext_family(c->out, fam[f].name, fam[f].type, fam[f].help);
		for (i = 0; i < PQntuples(res); i++) {
			const struct errcode *e = errcode_find(atoi(PQgetvalue(res, i, 0)));
			const char *labels[] = { "error_code", PQgetvalue(res, i, 0), "error_name", e ? e->name : "UNKNOWN", "severity",
						 PQgetvalue(res, i, 1), NULL };

			promtext_sample(c->out, fam[f].name, labels, NULL, NULL, atof(PQgetvalue(res, i, fam[f].col)));
		}
	}
	PQclear(res);
}

/* --- breakers and locks ------------------------------------------------------------ */

static const char sql_breakers[] =
	"SELECT name, state, opens_total, failures FROM dive.breakers ORDER BY name LIMIT 1000";

static void collect_breakers(struct mcollect *c)
{
	static const char *const states[] = { "closed", "open", "half_open", "forced_open", "disabled" };
	PGresult *res;
	size_t s;
	int i;

	if (mc_query(c, &res, sql_breakers, 0, NULL) < 0)
		return;
	promtext_family(c->out, "dive_breaker_state", "gauge", "Circuit breaker state per endpoint: 1 for its state");
	for (i = 0; i < PQntuples(res); i++)
		for (s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			const char *labels[] = { "breaker", PQgetvalue(res, i, 0), "state", states[s], NULL };

			promtext_sample(c->out, "dive_breaker_state", labels, NULL, NULL, !strcmp(PQgetvalue(res, i, 1), states[s]));
		}
	promtext_family(c->out, "dive_breaker_opens_total", "counter",
			"Times the breaker opened (or was forced open), kept by the state store");
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[] = { "breaker", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_breaker_opens_total", labels, NULL, NULL, atof(PQgetvalue(res, i, 2)));
	}
	promtext_family(c->out, "dive_breaker_window_failures", "gauge", "Failures counted in the breaker's current window");
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[] = { "breaker", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_breaker_window_failures", labels, NULL, NULL, atof(PQgetvalue(res, i, 3)));
	}
	PQclear(res);
}

static const char sql_locks[] =
	"SELECT name, extract(epoch FROM clock_timestamp() - acquired_at)::float8, host, pid FROM dive.live_locks"
	" ORDER BY name LIMIT 1000";

/* 1 alive, 0 dead, -1 cannot tell (another host). */
static int holder_alive(const struct mcollect *c, const char *host, const char *pid)
{
	long p = atol(pid);

	if (strcmp(host, c->m->host) || p <= 0)
		return -1;
	return kill((pid_t)p, 0) == 0 || errno == EPERM;
}

static void collect_locks(struct mcollect *c)
{
	PGresult *res;
	int i;

	if (mc_query(c, &res, sql_locks, 0, NULL) < 0)
		return;
	promtext_family(c->out, "dive_lock_held", "gauge", "1 while a live session holds the lock");
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[] = { "lock", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_lock_held", labels, NULL, NULL, 1);
	}
	promtext_family(c->out, "dive_lock_age_seconds", "gauge", "How long the lock has been held");
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[] = { "lock", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_lock_age_seconds", labels, NULL, NULL, atof(PQgetvalue(res, i, 1)));
	}
	promtext_family(c->out, "dive_lock_holder_alive", "gauge",
			"1 when the holder's process is alive, 0 when it is gone while its session holds the lock, "
			"-1 when it runs on another host");
	for (i = 0; i < PQntuples(res); i++) {
		const char *labels[] = { "lock", PQgetvalue(res, i, 0), NULL };

		promtext_sample(c->out, "dive_lock_holder_alive", labels, NULL, NULL,
				holder_alive(c, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3)));
	}
	PQclear(res);
}

/* --- readiness ------------------------------------------------------------------------ */

static const char sql_ready_last[] =
	"SELECT DISTINCT ON (instance, subject) instance, split_part(subject, '/', 1), split_part(subject, '/', 2),"
	" value / 1000.0 FROM dive.metric_samples WHERE name = 'service_ready_ms' AND instance IS NOT NULL"
	" ORDER BY instance, subject, at DESC LIMIT " ROWS_MAX;

static const struct mfamily fam_ready = {
	"dive_service_ready_seconds", "gauge", "Readiness time of the service in its instance's last deploy",
	sql_ready_last, { "code", "kind", "service", NULL },
};

static const char sql_learned[] =
	"SELECT split_part(subject, '/', 1), split_part(subject, '/', 2), count(*),"
	" percentile_cont(0.95) WITHIN GROUP (ORDER BY value)"
	" FROM (SELECT subject, value, row_number() OVER (PARTITION BY subject ORDER BY at DESC) AS n"
	"  FROM dive.metric_samples WHERE name = 'service_ready_ms') s WHERE n <= $1::int GROUP BY subject LIMIT 1000";

static void collect_timeouts(struct mcollect *c)
{
	char window[16];
	const char *params[1] = { window };
	struct mlearned l;
	PGresult *res;
	int i;

	memset(&l, 0, sizeof(l));
	snprintf(window, sizeof(window), "%d", MLEARNED_WINDOW);
	if (mc_query(c, &res, sql_learned, 1, params) < 0)
		return;
	l.v = xcalloc((size_t)PQntuples(res) + 1, sizeof(*l.v));
	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), "hub") && strcmp(PQgetvalue(res, i, 0), "spoke"))
			continue;
		l.v[l.n].kind = strcmp(PQgetvalue(res, i, 0), "hub") ? STACK_SPOKE : STACK_HUB;
		snprintf(l.v[l.n].service, sizeof(l.v[l.n].service), "%s", PQgetvalue(res, i, 1));
		l.v[l.n].samples = atoi(PQgetvalue(res, i, 2));
		l.v[l.n++].p95_ms = atof(PQgetvalue(res, i, 3));
	}
	PQclear(res);
	mc_emit_timeouts(c, &l);
	free(l.v);
}

/* --- audits --------------------------------------------------------------------------- */

static const char sql_audit_counts[] =
	"SELECT CASE WHEN ok THEN 'ok' ELSE 'error' END, count(*) FROM dive.audit_reports GROUP BY 1 ORDER BY 1";

static const struct mfamily fam_audits = {
	"dive_audits_total", "counter", "Federation audits recorded by dive serve, by outcome", sql_audit_counts,
	{ "outcome", NULL },
};

static const char sql_audit_last[] =
	"SELECT extract(epoch FROM at)::float8, ok::int, duration_ms / 1000.0,"
	" (SELECT extract(epoch FROM at)::float8 FROM dive.audit_reports WHERE ok ORDER BY at DESC LIMIT 1),"
	" (SELECT json_build_array(codes, drifted, by_kind)::text FROM dive.audit_reports WHERE ok ORDER BY at DESC LIMIT 1)"
	" FROM dive.audit_reports ORDER BY at DESC LIMIT 1";

static void gauge(struct mcollect *c, const char *name, const char *help, const char *const *labels, double v)
{
	promtext_family(c->out, name, "gauge", help);
	promtext_sample(c->out, name, labels, NULL, NULL, v);
}

static void collect_audit(struct mcollect *c)
{
	PGresult *res;
	cJSON *last = NULL, *kinds;
	int k;

	if (mc_query(c, &res, sql_audit_last, 0, NULL) < 0)
		return;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return; /* no audit yet: the rules see the absence */
	}
	gauge(c, "dive_audit_last_timestamp_seconds", "When the last federation audit ended (Unix time)", NULL,
	      atof(PQgetvalue(res, 0, 0)));
	gauge(c, "dive_audit_last_ok", "1 when the last federation audit could read every layer", NULL,
	      atof(PQgetvalue(res, 0, 1)));
	gauge(c, "dive_audit_last_duration_seconds", "How long the last federation audit took", NULL,
	      atof(PQgetvalue(res, 0, 2)));
	if (!PQgetisnull(res, 0, 3))
		gauge(c, "dive_audit_last_success_timestamp_seconds", "When the last successful federation audit ended",
		      NULL, atof(PQgetvalue(res, 0, 3)));
	if (!PQgetisnull(res, 0, 4))
		last = cJSON_Parse(PQgetvalue(res, 0, 4));
	PQclear(res);
	if (!cJSON_IsArray(last) || cJSON_GetArraySize(last) != 3) {
		cJSON_Delete(last);
		return;
	}
	gauge(c, "dive_audit_codes", "Codes the last successful audit saw", NULL,
	      cJSON_GetNumberValue(cJSON_GetArrayItem(last, 0)));
	gauge(c, "dive_audit_drifted_codes", "Codes with drift in the last successful audit", NULL,
	      cJSON_GetNumberValue(cJSON_GetArrayItem(last, 1)));
	kinds = cJSON_GetArrayItem(last, 2);
	promtext_family(c->out, "dive_drift_findings", "gauge", "Codes with each drift kind in the last successful audit");
	for (k = 0; k < FED_DRIFT__COUNT; k++) {
		const char *name = fed_drift_name((enum fed_drift)k);
		const char *labels[] = { "kind", name, NULL };
		const cJSON *v = cJSON_GetObjectItem(kinds, name);

		promtext_sample(c->out, "dive_drift_findings", labels, NULL, NULL, cJSON_IsNumber(v) ? v->valuedouble : 0);
	}
	cJSON_Delete(last);
}

void mc_collect_store(struct mcollect *c)
{
	collect_instances(c);
	emit_rows(c, &fam_runs, 0, NULL);
	emit_rows(c, &fam_running, 0, NULL);
	emit_histogram(c, &fam_run_hist);
	emit_rows(c, &fam_run_last, 0, NULL);
	emit_histogram(c, &fam_phase_hist);
	emit_rows(c, &fam_transitions, 0, NULL);
	collect_errors(c);
	collect_breakers(c);
	collect_locks(c);
	emit_rows(c, &fam_ready, 0, NULL);
	collect_timeouts(c);
	emit_rows(c, &fam_audits, 0, NULL);
	collect_audit(c);
}
