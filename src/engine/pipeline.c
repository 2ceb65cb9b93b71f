/* pipeline.c - phases, steps, checkpoints, resume, rollback (see pipeline.h). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/lock.h"
#include "dive/pg.h"
#include "dive/pipeline.h"
#include "dive/state.h"
#include "dive/xalloc.h"

struct pipeline {
	struct store *store;
	const struct pipeline_opts *o;
	struct pipeline_result *res;
	long long run_id;
	long long t0_ms;
	enum dive_phase phase;
	cJSON *checkpoint;           /* payload of the running phase */
	struct state_instance st;    /* what we believe is current */
	int resuming;
	cJSON *detail_keep;          /* detail of the last skipped step (owned) */
	int recorded;                /* the failure that ends the run is in dive.errors already */
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void pipeline_request_stop(void)
{
	stop_requested = 1;
}

static const char *const phase_names[DIVE_PHASE__COUNT] = {
	"preflight", "initialization", "deployment", "configuration", "verification",
};

static const int phase_states[DIVE_PHASE__COUNT] = {
	-1, DIVE_STATE_INITIALIZING, DIVE_STATE_DEPLOYING, DIVE_STATE_CONFIGURING, DIVE_STATE_VERIFYING,
};

const char *dive_phase_name(enum dive_phase ph)
{
	return (unsigned)ph < DIVE_PHASE__COUNT ? phase_names[ph] : "invalid";
}

int dive_phase_parse(enum dive_phase *out, const char *name)
{
	int i;

	for (i = 0; i < DIVE_PHASE__COUNT; i++) {
		if (!strcmp(phase_names[i], name)) {
			*out = (enum dive_phase)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "unknown phase '%.32s' (preflight, initialization, deployment, "
					   "configuration, verification)", name);
}

int dive_phase_state(enum dive_phase ph)
{
	return (unsigned)ph < DIVE_PHASE__COUNT ? phase_states[ph] : -1;
}

const char *pipeline_outcome_name(enum pipeline_outcome o)
{
	static const char *const names[] = { "succeeded", "failed", "rolled_back", "interrupted", "refused", "planned" };

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void emit(struct pipeline *p, enum pipeline_event_kind kind, const char *service, const char *action,
		 const char *message)
{
	struct pipeline_event ev;

	if (!p->o->progress)
		return;
	ev.kind = kind;
	ev.phase = p->phase;
	ev.service = service ? service : "";
	ev.action = action ? action : "";
	ev.message = message;
	ev.elapsed_ms = mono_ms() - p->t0_ms;
	p->o->progress(p->o->progress_arg, &ev);
}

void pipeline_note(struct pipeline *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(p, PIPELINE_EV_NOTE, NULL, NULL, msg);
}

int pipeline_dry_run(const struct pipeline *p)
{
	return p->o->dry_run;
}

int pipeline_interrupted(const struct pipeline *p)
{
	(void)p;
	return stop_requested != 0;
}

int pipeline_resuming(const struct pipeline *p)
{
	return p->resuming;
}

struct store *pipeline_store(struct pipeline *p)
{
	return p->store;
}

const char *pipeline_code(const struct pipeline *p)
{
	return p->o->code;
}

long long pipeline_run_id(const struct pipeline *p)
{
	return p->run_id;
}

void pipeline_checkpoint_set(struct pipeline *p, const char *key, cJSON *value)
{
	if (!p->checkpoint)
		p->checkpoint = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(p->checkpoint, key);
	cJSON_AddItemToObject(p->checkpoint, key, value);
}

static void add_step_result(struct pipeline *p, const char *service, const char *action, const char *status,
			    long long ms)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "phase", dive_phase_name(p->phase));
	cJSON_AddStringToObject(o, "service", service);
	cJSON_AddStringToObject(o, "action", action);
	cJSON_AddStringToObject(o, "status", status);
	if (ms >= 0)
		cJSON_AddNumberToObject(o, "ms", (double)ms);
	cJSON_AddItemToArray(p->res->steps, o);
}

/* --- steps ---------------------------------------------------------------- */

static const char sql_step_begin[] =
	"INSERT INTO dive.steps (run_id, phase, service, action, idem_key, status)"
	" VALUES ($1::bigint, $2, $3, $4, $5, 'running')"
	" ON CONFLICT (run_id, idem_key) DO UPDATE SET attempt = dive.steps.attempt + 1, status = 'running',"
	"  started_at = clock_timestamp(), ended_at = NULL, duration_ms = NULL, error = NULL, error_code = NULL"
	" WHERE dive.steps.status <> 'done'"
	" RETURNING id";

static const char sql_step_done_detail[] =
	"SELECT detail FROM dive.steps WHERE run_id = $1::bigint AND idem_key = $2 AND status = 'done'";

static const char sql_step_done[] =
	"UPDATE dive.steps SET status = 'done', ended_at = clock_timestamp(),"
	" duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint,"
	" detail = coalesce($2::jsonb, '{}'::jsonb) WHERE id = $1::bigint";

static const char sql_step_failed[] =
	"UPDATE dive.steps SET status = 'failed', ended_at = clock_timestamp(),"
	" duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint,"
	" error = $2, error_code = nullif($3::int, 0) WHERE id = $1::bigint";

/* errlog's component: the service, or the pipeline itself */
static const char *component(const char *service)
{
	return service && *service ? service : "pipeline";
}

static int taxonomy_or(int code, int fallback)
{
	return code ? code : fallback;
}

int pipeline_step(struct pipeline *p, const char *service, const char *action, pipeline_action_fn fn, void *arg,
		  const cJSON **detail_out)
{
	char key[192], run[24], id_s[24], code_s[16];
	const char *params[5];
	PGresult *res = NULL;
	cJSON *detail = NULL;
	long long t0, step_id;
	char *text;
	int rc;

	if (detail_out)
		*detail_out = NULL;
	snprintf(key, sizeof(key), "%s/%s/%s", dive_phase_name(p->phase), service, action);
	if (p->o->dry_run) {
		add_step_result(p, service, action, "planned", -1);
		return 0;
	}
	if (stop_requested)
		return dive_error_set(DIVE_EINTR, "interrupted before '%s'", key);
	snprintf(run, sizeof(run), "%lld", p->run_id);
	params[0] = run;
	params[1] = dive_phase_name(p->phase);
	params[2] = service;
	params[3] = action;
	params[4] = key;
	rc = pg_exec(p->store->conn, &res, sql_step_begin, 5, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		/* done before, in this run: skip, hand back what it recorded */
		const char *q[2] = { run, key };

		PQclear(res);
		res = NULL;
		rc = pg_exec(p->store->conn, &res, sql_step_done_detail, 2, q);
		if (rc < 0)
			return rc;
		cJSON_Delete(p->detail_keep);
		p->detail_keep = PQntuples(res) ? cJSON_Parse(PQgetvalue(res, 0, 0)) : NULL;
		PQclear(res);
		if (detail_out)
			*detail_out = p->detail_keep;
		add_step_result(p, service, action, "skipped", -1);
		emit(p, PIPELINE_EV_STEP_SKIPPED, service, action, NULL);
		return 0;
	}
	step_id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	emit(p, PIPELINE_EV_STEP_START, service, action, NULL);
	t0 = mono_ms();
	dive_error_clear();
	rc = fn(p, arg, &detail);
	snprintf(id_s, sizeof(id_s), "%lld", step_id);
	if (rc == 0) {
		const char *q[2] = { id_s, NULL };

		text = detail ? cJSON_PrintUnformatted(detail) : NULL;
		q[1] = text;
		rc = pg_exec(p->store->conn, NULL, sql_step_done, 2, q);
		cJSON_free(text);
		cJSON_Delete(p->detail_keep);
		p->detail_keep = detail;
		if (detail_out)
			*detail_out = detail;
		add_step_result(p, service, action, "done", mono_ms() - t0);
		emit(p, PIPELINE_EV_STEP_DONE, service, action, NULL);
		return rc;
	}
	{
		char msg[512];
		int err = rc, code = dive_error_last_code();
		const char *q[3] = { id_s, msg, code_s };

		snprintf(msg, sizeof(msg), "%s", dive_error_last());
		snprintf(code_s, sizeof(code_s), "%d", code);
		cJSON_Delete(detail);
		pg_exec(p->store->conn, NULL, sql_step_failed, 3, q);
		if (err != DIVE_EINTR) {
			errlog_record(p->store, NULL, taxonomy_or(code, ERRC_INTERNAL), component(service), msg, NULL,
				      p->o->code, p->run_id, step_id);
			p->recorded = 1;
		}
		add_step_result(p, service, action, err == DIVE_EINTR ? "interrupted" : "failed", mono_ms() - t0);
		emit(p, PIPELINE_EV_STEP_FAILED, service, action, msg);
		snprintf(p->res->failed_service, sizeof(p->res->failed_service), "%s", service);
		dive_error_set(err, "%s", msg);
		if (code)
			dive_error_set_code(code);
		return err;
	}
}

void pipeline_recovered(struct pipeline *p, int code, const char *service, const char *what)
{
	char ctx[64];

	snprintf(ctx, sizeof(ctx), "{\"recovered\": true}");
	if (!p->o->dry_run)
		errlog_record(p->store, NULL, code, component(service), what, ctx, p->o->code, p->run_id, 0);
	emit(p, PIPELINE_EV_NOTE, service, "recover", what);
}

/* --- state ---------------------------------------------------------------- */

static int move(struct pipeline *p, enum dive_state to, const char *reason, const char *cp_phase)
{
	struct state_change c = { 0 };
	char *payload = NULL;
	long long v = 0;
	int rc;

	c.code = p->o->code;
	c.from = p->st.state;
	c.version = p->st.version;
	c.to = to;
	c.actor = p->o->actor;
	c.reason = reason;
	c.run_id = p->run_id;
	if (cp_phase) {
		payload = cJSON_PrintUnformatted(p->checkpoint ? p->checkpoint : cJSON_CreateObject());
		c.checkpoint_phase = cp_phase;
		c.checkpoint_json = payload;
	}
	rc = state_transition(p->store, &c, &v);
	cJSON_free(payload);
	if (rc < 0)
		return rc;
	p->st.state = to;
	p->st.version = v;
	return 0;
}

static const char sql_run_resume[] =
	"UPDATE dive.runs SET outcome = 'running', ended_at = NULL, resumes = resumes + 1, pid = $2::int,"
	" backend_pid = pg_backend_pid() WHERE id = $1::bigint AND outcome = 'interrupted' RETURNING id";

static const char sql_checkpoint_phases[] =
	"SELECT phase FROM dive.checkpoints WHERE run_id = $1::bigint";

/* Phases of the run with a checkpoint: bit i set when phase i finished. */
static int finished_phases(struct pipeline *p, unsigned *mask)
{
	char run[24];
	const char *params[1] = { run };
	PGresult *res = NULL;
	int rc, r;

	*mask = 0;
	snprintf(run, sizeof(run), "%lld", p->run_id);
	rc = pg_exec(p->store->conn, &res, sql_checkpoint_phases, 1, params);
	if (rc < 0)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		enum dive_phase ph = DIVE_PHASE_PREFLIGHT;

		if (dive_phase_parse(&ph, PQgetvalue(res, r, 0)) == 0)
			*mask |= 1u << ph;
	}
	PQclear(res);
	dive_error_clear();
	return 0;
}

/* --- rollback ------------------------------------------------------------- */

static const char sql_done_steps[] =
	"SELECT id, service, action, detail FROM dive.steps WHERE run_id = $1::bigint AND status = 'done'"
	" ORDER BY id DESC";

static const char sql_step_undone[] = "UPDATE dive.steps SET status = 'undone' WHERE id = $1::bigint";

static int rollback(struct pipeline *p, int *undo_failures)
{
	char run[24];
	const char *params[1] = { run };
	PGresult *res = NULL;
	int rc, r;
	size_t i;

	*undo_failures = 0;
	snprintf(run, sizeof(run), "%lld", p->run_id);
	rc = pg_exec(p->store->conn, &res, sql_done_steps, 1, params);
	if (rc < 0)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		const char *service = PQgetvalue(res, r, 1), *action = PQgetvalue(res, r, 2);

		for (i = 0; i < p->o->nundos; i++) {
			const char *q[1] = { PQgetvalue(res, r, 0) };
			cJSON *detail;
			int urc;

			if (strcmp(p->o->undos[i].action, action))
				continue;
			detail = cJSON_Parse(PQgetvalue(res, r, 3));
			emit(p, PIPELINE_EV_ROLLBACK, service, action, "undo");
			urc = p->o->undos[i].undo(p, service, detail, p->o->user);
			cJSON_Delete(detail);
			if (urc < 0) {
				(*undo_failures)++;
				errlog_record(p->store, NULL, ERRC_ROLLBACK_FAILED, component(service), dive_error_last(),
					      NULL, p->o->code, p->run_id, atoll(q[0]));
			} else {
				pg_exec(p->store->conn, NULL, sql_step_undone, 1, q);
			}
		}
	}
	PQclear(res);
	return 0;
}

/* --- the run -------------------------------------------------------------- */

static void install_signals(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

static int refuse(struct pipeline_result *out, int rc)
{
	out->outcome = PIPELINE_REFUSED;
	snprintf(out->error, sizeof(out->error), "%s", dive_error_last());
	out->error_code = dive_error_last_code();
	return rc;
}

/* Which phase to start at, and check the state allows it. */
static int plan_start(struct pipeline *p, size_t *first)
{
	const struct pipeline_opts *o = p->o;
	size_t i;

	*first = 0;
	if (p->resuming)
		return 0; /* every phase is visited; finished ones are skipped, preflight checks again */
	if (o->from_phase >= 0) {
		for (i = 0; i < o->nphases; i++)
			if ((int)o->phases[i].phase == o->from_phase)
				break;
		if (i == o->nphases)
			return dive_error_set(DIVE_EUSAGE, "this command has no phase '%s'",
					      dive_phase_name((enum dive_phase)o->from_phase));
		*first = i;
	}
	return 0;
}

int pipeline_run(struct store *s, const struct pipeline_opts *o, struct pipeline_result *out)
{
	struct pipeline p;
	struct dive_lock *lock = NULL;
	struct lock_request req = { 0 };
	struct sigaction old_int, old_term;
	unsigned done_mask = 0;
	char lname[32];
	size_t i, first = 0;
	int rc = 0, undo_failures = 0;

	memset(out, 0, sizeof(*out));
	out->failed_phase = -1;
	for (i = 0; i < DIVE_PHASE__COUNT; i++)
		out->phase_ms[i] = -1;
	out->steps = cJSON_CreateArray();
	memset(&p, 0, sizeof(p));
	p.store = s;
	p.o = o;
	p.res = out;
	p.t0_ms = mono_ms();
	stop_requested = 0;

	if (o->dry_run) {
		/* the plan: every phase, every step, no side effect at all */
		for (i = 0; i < o->nphases; i++) {
			p.phase = o->phases[i].phase;
			if ((int)p.phase < o->from_phase && p.phase != DIVE_PHASE_PREFLIGHT)
				continue;
			rc = o->phases[i].run(&p, o->user);
			if (rc < 0)
				return refuse(out, rc);
		}
		out->outcome = PIPELINE_PLANNED;
		out->total_ms = mono_ms() - p.t0_ms;
		return 0;
	}

	lock_name_instance(lname, o->code);
	req.command = o->actor;
	req.wait_ms = o->lock_wait_ms;
	rc = lock_acquire(&lock, s->url, lname, &req, NULL);
	if (rc < 0)
		return refuse(out, rc);
	install_signals(&old_int, &old_term);

	/* Under the lock: whatever is "in progress" belongs to a dead run. */
	rc = state_get(s, &p.st, o->code);
	if (rc == 0 && dive_state_in_progress(p.st.state)) {
		struct state_change c = { 0 };
		long long v;

		c.code = o->code;
		c.from = p.st.state;
		c.version = p.st.version;
		c.to = DIVE_STATE_INTERRUPTED;
		c.actor = o->actor;
		c.reason = "found in progress with no live run";
		c.run_id = p.st.run_id;
		rc = state_transition(s, &c, &v);
		if (rc == 0 && p.st.run_id)
			rc = run_end(s, p.st.run_id, "interrupted");
		if (rc == 0)
			rc = state_get(s, &p.st, o->code);
	}
	if (rc < 0)
		goto refused;
	if (p.st.state == DIVE_STATE_INTERRUPTED && !o->resume) {
		rc = dive_error_set(DIVE_ECONFLICT, "'%s' was interrupted (run %lld); continue it with --resume",
				    o->code, p.st.run_id);
		dive_error_set_code(ERRC_INSTANCE_INTERRUPTED);
		goto refused;
	}
	if (o->resume) {
		char run[24], pid[16];
		const char *params[2] = { run, pid };
		PGresult *res = NULL;

		if (p.st.state != DIVE_STATE_INTERRUPTED || !p.st.run_id) {
			rc = dive_error_set(DIVE_EUSAGE, "'%s' has no interrupted run to resume (it is %s)", o->code,
					    dive_state_name(p.st.state));
			goto refused;
		}
		snprintf(run, sizeof(run), "%lld", p.st.run_id);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		rc = pg_exec(s->conn, &res, sql_run_resume, 2, params);
		if (rc == 0 && PQntuples(res) == 0)
			rc = dive_error_set(DIVE_ECONFLICT, "run %lld of '%s' cannot be resumed", p.st.run_id, o->code);
		PQclear(res);
		if (rc < 0)
			goto refused;
		p.run_id = p.st.run_id;
		p.resuming = 1;
	} else {
		rc = run_begin(s, &p.run_id, o->code, o->mode, o->actor);
		if (rc < 0)
			goto refused;
	}
	out->run_id = p.run_id;
	rc = plan_start(&p, &first);
	if (rc < 0)
		goto refused;
	if (p.resuming)
		finished_phases(&p, &done_mask);

	for (i = 0; i < o->nphases; i++) {
		enum dive_phase ph = o->phases[i].phase;
		int target = dive_phase_state(ph);
		long long t0 = mono_ms();

		/* preflight checks whatever phase the run starts at; it changes nothing */
		if (i < first && ph != DIVE_PHASE_PREFLIGHT)
			continue;
		p.phase = ph;
		if (p.resuming && ph != DIVE_PHASE_PREFLIGHT && (done_mask & (1u << ph))) {
			emit(&p, PIPELINE_EV_NOTE, NULL, NULL, "phase finished before the interruption: skipped");
			continue;
		}
		if (target >= 0 && p.st.state != (enum dive_state)target) {
			rc = move(&p, (enum dive_state)target, dive_phase_name(ph), NULL);
			if (rc < 0) {
				out->failed_phase = ph;
				break;
			}
		}
		cJSON_Delete(p.checkpoint);
		p.checkpoint = NULL;
		emit(&p, PIPELINE_EV_PHASE_START, NULL, NULL, NULL);
		rc = o->phases[i].run(&p, o->user);
		if (rc == 0 && stop_requested)
			rc = dive_error_set(DIVE_EINTR, "interrupted");
		out->phase_ms[ph] = mono_ms() - t0;
		if (rc < 0) {
			out->failed_phase = ph;
			break;
		}
		/* the phase's checkpoint, with the run's bookkeeping */
		{
			char run[24], *payload = cJSON_PrintUnformatted(p.checkpoint ? p.checkpoint : cJSON_CreateObject());
			const char *params[4] = { run, o->code, dive_phase_name(ph), payload };

			snprintf(run, sizeof(run), "%lld", p.run_id);
			rc = pg_exec(s->conn, NULL,
				     "INSERT INTO dive.checkpoints (run_id, code, phase, payload) VALUES ($1::bigint, $2, $3,"
				     " $4::jsonb) ON CONFLICT (run_id, phase) DO UPDATE SET payload = EXCLUDED.payload,"
				     " created_at = now()", 4, params);
			cJSON_free(payload);
			if (rc < 0)
				break;
		}
		emit(&p, PIPELINE_EV_PHASE_DONE, NULL, NULL, NULL);
	}

	out->total_ms = mono_ms() - p.t0_ms;
	if (rc == 0) {
		rc = move(&p, DIVE_STATE_COMPLETE, "verified", "complete");
		if (rc == 0)
			rc = run_end(s, p.run_id, "succeeded");
		out->outcome = rc == 0 ? PIPELINE_SUCCEEDED : PIPELINE_FAILED;
	} else {
		int err = rc, code = dive_error_last_code();
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", dive_error_last());
		snprintf(out->error, sizeof(out->error), "%s", msg);
		out->error_code = code;
		if (!p.recorded && err != DIVE_EINTR && !stop_requested) {
			/* a phase failed outside any step (a scheduler verdict, a check): record it too */
			char ctxjson[64];

			snprintf(ctxjson, sizeof(ctxjson), "{\"phase\": \"%s\"}",
				 out->failed_phase >= 0 ? dive_phase_name((enum dive_phase)out->failed_phase) : "");
			errlog_record(s, NULL, taxonomy_or(code, ERRC_INTERNAL),
				      component(out->failed_service[0] ? out->failed_service : NULL), msg, ctxjson,
				      o->code, p.run_id, 0);
		}
		if (err == DIVE_EINTR || stop_requested) {
			out->outcome = PIPELINE_INTERRUPTED;
			if (move(&p, DIVE_STATE_INTERRUPTED, "interrupted by a signal", NULL) == 0)
				run_end(s, p.run_id, "interrupted");
			err = DIVE_EINTR;
		} else if (o->rollback && dive_state_allowed(p.st.state, DIVE_STATE_ROLLING_BACK)) {
			out->outcome = PIPELINE_ROLLED_BACK;
			emit(&p, PIPELINE_EV_ROLLBACK, NULL, NULL, msg);
			if (move(&p, DIVE_STATE_ROLLING_BACK, msg, NULL) == 0) {
				rollback(&p, &undo_failures);
				move(&p, DIVE_STATE_FAILED, undo_failures ? "rollback incomplete" : msg, NULL);
			}
			run_end(s, p.run_id, undo_failures ? "failed" : "rolled_back");
			if (undo_failures)
				out->outcome = PIPELINE_FAILED;
		} else {
			out->outcome = PIPELINE_FAILED;
			if (dive_state_allowed(p.st.state, DIVE_STATE_FAILED))
				move(&p, DIVE_STATE_FAILED, msg, NULL);
			run_end(s, p.run_id, "failed");
		}
		rc = dive_error_set(err, "%s", msg);
		if (code)
			dive_error_set_code(code);
	}
	cJSON_Delete(p.checkpoint);
	cJSON_Delete(p.detail_keep);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	lock_release(lock);
	return rc;

refused:
	{
		int err = rc, code = dive_error_last_code();
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", dive_error_last());
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		lock_release(lock);
		dive_error_set(err, "%s", msg);
		if (code)
			dive_error_set_code(code);
		return refuse(out, err);
	}
}

void pipeline_result_release(struct pipeline_result *r)
{
	cJSON_Delete(r->steps);
	r->steps = NULL;
}
