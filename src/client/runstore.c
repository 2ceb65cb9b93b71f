/* runstore.c - a run's records in the state store: locks, state, runs, steps, checkpoints, errors (see runstore.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dive/breaker_store.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/lock.h"
#include "dive/log.h"
#include "dive/pg.h"
#include "dive/runstore.h"
#include "dive/store.h"
#include "dive/xalloc.h"

static const char sql_run_resume[] =
	"UPDATE dive.runs SET outcome = 'running', ended_at = NULL, resumes = resumes + 1, pid = $2::int,"
	" backend_pid = pg_backend_pid() WHERE id = $1::bigint AND outcome = 'interrupted' RETURNING id";

static const char sql_step_begin[] =
	"INSERT INTO dive.steps (run_id, phase, service, action, idem_key, status)"
	" VALUES ($1::bigint, $2, $3, $4, $5, 'running')"
	" ON CONFLICT (run_id, idem_key) DO UPDATE SET attempt = dive.steps.attempt + 1, status = 'running',"
	"  started_at = clock_timestamp(), ended_at = NULL, duration_ms = NULL, error = NULL, error_code = NULL"
	" WHERE dive.steps.status <> 'done'"
	" RETURNING id";

static const char sql_step_detail[] =
	"SELECT detail FROM dive.steps WHERE run_id = $1::bigint AND idem_key = $2 AND status = 'done'";

static const char sql_step_done[] =
	"UPDATE dive.steps SET status = 'done', ended_at = clock_timestamp(),"
	" duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint,"
	" detail = coalesce($2::jsonb, '{}'::jsonb) WHERE id = $1::bigint";

static const char sql_step_failed[] =
	"UPDATE dive.steps SET status = 'failed', ended_at = clock_timestamp(),"
	" duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint,"
	" error = $2, error_code = nullif($3::int, 0) WHERE id = $1::bigint";

static const char sql_step_undone[] = "UPDATE dive.steps SET status = 'undone' WHERE id = $1::bigint";

static const char sql_done_steps[] =
	"SELECT id, service, action, detail FROM dive.steps WHERE run_id = $1::bigint AND status = 'done'"
	" ORDER BY id DESC";

static const char sql_checkpoint_put[] =
	"INSERT INTO dive.checkpoints (run_id, code, phase, payload) VALUES ($1::bigint, $2, $3, $4::jsonb)"
	" ON CONFLICT (run_id, phase) DO UPDATE SET payload = EXCLUDED.payload, created_at = now()";

static const char sql_checkpoint_phases[] = "SELECT phase FROM dive.checkpoints WHERE run_id = $1::bigint";

static void id_text(char out[24], long long id)
{
	snprintf(out, 24, "%lld", id);
}

static int pg_lock(void *data, void **out, const char *code, const struct lock_request *req)
{
	struct store *s = data;
	struct dive_lock *l = NULL;
	char name[32];
	int rc;

	*out = NULL;
	lock_name_instance(name, code);
	if ((rc = lock_acquire(&l, s->url, name, req, NULL)) < 0)
		return rc;
	*out = l;
	return 0;
}

static int pg_lock_check(void *data, void *lock)
{
	(void)data;
	return lock_check(lock);
}

static void pg_unlock(void *data, void *lock)
{
	(void)data;
	lock_release(lock);
}

static int pg_state_get(void *data, struct state_instance *out, const char *code)
{
	return state_get(data, out, code);
}

static int pg_state_move(void *data, const struct state_change *c, long long *v)
{
	return state_transition(data, c, v);
}

static int pg_close_dead_run(void *data, struct state_instance *st, const char *actor)
{
	return state_close_dead_run(data, st, actor);
}

static int pg_run_begin(void *data, long long *id, const char *code, const char *mode, const char *actor)
{
	return run_begin(data, id, code, mode, actor);
}

static int pg_run_resume(void *data, long long id)
{
	struct store *s = data;
	char run[24], pid[16];
	const char *params[2] = { run, pid };
	PGresult *res = NULL;
	int rc;

	id_text(run, id);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if ((rc = pg_exec(s->conn, &res, sql_run_resume, 2, params)) < 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = dive_error_set(DIVE_ECONFLICT, "run %lld is not interrupted: it cannot be resumed", id);
	PQclear(res);
	return rc;
}

static int pg_run_end(void *data, long long id, const char *outcome)
{
	return run_end(data, id, outcome);
}

static int pg_step_begin(void *data, const struct run_step_key *k, long long *step_id)
{
	struct store *s = data;
	char run[24];
	const char *params[5] = { run, k->phase, k->service, k->action, k->key };
	PGresult *res = NULL;
	int rc;

	*step_id = 0;
	id_text(run, k->run_id);
	if ((rc = pg_exec_idempotent(s->conn, &res, sql_step_begin, 5, params)) < 0)
		return rc;
	if (PQntuples(res) > 0)
		*step_id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int pg_step_detail(void *data, long long run_id, const char *key, char **json)
{
	struct store *s = data;
	char run[24];
	const char *params[2] = { run, key };
	PGresult *res = NULL;
	int rc;

	*json = NULL;
	id_text(run, run_id);
	if ((rc = pg_exec(s->conn, &res, sql_step_detail, 2, params)) < 0)
		return rc;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*json = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/*
 * A step's end, with the breaker outcome of its last guarded call when there
 * is one: both in one transaction (DESIGN §1).  Should the breaker's part
 * fail, the step is still recorded (idempotently, reconnecting if need be)
 * and the outcome reported on its own.
 */
static int step_end(struct store *s, const char *sql, int n, const char *const *params,
		    const struct breaker_outcome *bo)
{
	struct dive_error_saved saved;
	int rc;

	if (!bo || !bo->pending)
		return pg_exec_idempotent(s->conn, NULL, sql, n, params);
	if ((rc = store_begin(s)) == 0 && (rc = pg_exec(s->conn, NULL, sql, n, params)) == 0 &&
	    (rc = breaker_outcome_record_tx(s, bo)) == 0 && (rc = store_commit(s)) == 0)
		return 0;
	dive_error_save(&saved);
	dive_debug("step end with its breaker outcome: %s; recording them apart", saved.msg);
	store_rollback(s);
	if ((rc = pg_exec_idempotent(s->conn, NULL, sql, n, params)) < 0)
		return rc;
	if (store_begin(s) == 0 && breaker_outcome_record_tx(s, bo) == 0 && store_commit(s) == 0)
		return 0;
	store_rollback(s);
	return 0; /* the step is recorded; the breaker frees what it held when its probe timeout passes */
}

static int pg_step_done(void *data, long long step_id, const char *detail_json, const struct breaker_outcome *bo)
{
	struct store *s = data;
	char id[24];
	const char *params[2] = { id, detail_json };

	id_text(id, step_id);
	return step_end(s, sql_step_done, 2, params, bo);
}

static int pg_step_failed(void *data, long long step_id, const char *message, int code,
			  const struct breaker_outcome *bo)
{
	struct store *s = data;
	char id[24], code_s[16];
	const char *params[3] = { id, message, code_s };

	id_text(id, step_id);
	snprintf(code_s, sizeof(code_s), "%d", code);
	return step_end(s, sql_step_failed, 3, params, bo);
}

static int pg_step_undone(void *data, long long step_id)
{
	struct store *s = data;
	char id[24];
	const char *params[1] = { id };

	id_text(id, step_id);
	return pg_exec_idempotent(s->conn, NULL, sql_step_undone, 1, params);
}

static int pg_done_steps(void *data, long long run_id, struct run_step **out, size_t *n)
{
	struct store *s = data;
	char run[24];
	const char *params[1] = { run };
	PGresult *res = NULL;
	int rc, r;

	*out = NULL;
	*n = 0;
	id_text(run, run_id);
	if ((rc = pg_exec(s->conn, &res, sql_done_steps, 1, params)) < 0)
		return rc;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(**out));
	for (r = 0; r < PQntuples(res); r++) {
		struct run_step *st = &(*out)[r];

		st->id = atoll(PQgetvalue(res, r, 0));
		snprintf(st->service, sizeof(st->service), "%s", PQgetvalue(res, r, 1));
		snprintf(st->action, sizeof(st->action), "%s", PQgetvalue(res, r, 2));
		st->detail_json = xstrdup(PQgetisnull(res, r, 3) ? "{}" : PQgetvalue(res, r, 3));
	}
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return 0;
}

static int pg_checkpoint_put(void *data, long long run_id, const char *code, const char *phase, const char *payload)
{
	struct store *s = data;
	char run[24];
	const char *params[4] = { run, code, phase, payload };

	id_text(run, run_id);
	return pg_exec_idempotent(s->conn, NULL, sql_checkpoint_put, 4, params);
}

static int pg_checkpoint_phases(void *data, long long run_id, char ***out)
{
	struct store *s = data;
	char run[24];
	const char *params[1] = { run };
	PGresult *res = NULL;
	int rc, r;

	*out = NULL;
	id_text(run, run_id);
	if ((rc = pg_exec(s->conn, &res, sql_checkpoint_phases, 1, params)) < 0)
		return rc;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(char *));
	for (r = 0; r < PQntuples(res); r++)
		(*out)[r] = xstrdup(PQgetvalue(res, r, 0));
	PQclear(res);
	return 0;
}

static int pg_error_record(void *data, int code, const char *component, const char *message,
			   const char *context_json, const char *instance, long long run_id, long long step_id)
{
	return errlog_record(data, NULL, code, component, message, context_json, instance, run_id, step_id);
}

static int pg_error_counts(void *data, long long run_id, int counts[ERRSEV__COUNT])
{
	return errlog_counts(data, run_id, counts);
}

void runstore_pg(struct runstore *out, struct store *s)
{
	static const struct runstore ops = {
		.lock = pg_lock,
		.lock_check = pg_lock_check,
		.unlock = pg_unlock,
		.state_get = pg_state_get,
		.state_move = pg_state_move,
		.close_dead_run = pg_close_dead_run,
		.run_begin = pg_run_begin,
		.run_resume = pg_run_resume,
		.run_end = pg_run_end,
		.step_begin = pg_step_begin,
		.step_detail = pg_step_detail,
		.step_done = pg_step_done,
		.step_failed = pg_step_failed,
		.step_undone = pg_step_undone,
		.done_steps = pg_done_steps,
		.checkpoint_put = pg_checkpoint_put,
		.checkpoint_phases = pg_checkpoint_phases,
		.error_record = pg_error_record,
		.error_counts = pg_error_counts,
	};

	*out = ops;
	out->data = s;
}

void runstore_free_steps(struct run_step *steps, size_t n)
{
	size_t i;

	if (!steps)
		return;
	for (i = 0; i < n; i++)
		free(steps[i].detail_json);
	free(steps);
}

void runstore_free_names(char **names)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}
