/* state.c - deployment state in the state store (see state.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/legacy.h"
#include "dive/lock.h"
#include "dive/pg.h"
#include "dive/state.h"
#include "dive/xalloc.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static const char sql_get[] =
	"SELECT code, state, version, coalesce(run_id, 0), " TS("updated_at") ", updated_by, coalesce(reason, '')"
	" FROM dive.instances WHERE code = $1";

static const char sql_list[] =
	"SELECT code, state, version, coalesce(run_id, 0), " TS("updated_at") ", updated_by, coalesce(reason, '')"
	" FROM dive.instances ORDER BY code";

static const char sql_ensure[] =
	"INSERT INTO dive.instances (code) VALUES ($1) ON CONFLICT (code) DO NOTHING";

/*
 * The transition: the UPDATE only matches the version (and state) the
 * caller read, so a concurrent winner leaves it with no row; the history
 * and checkpoint inserts are driven by the UPDATE's row, so they happen
 * with it or not at all.
 */
static const char sql_transition[] =
	"WITH prev AS ("
	"  SELECT updated_at FROM dive.instances WHERE code = $1 AND version = $2::bigint AND state = $3"
	"), upd AS ("
	"  UPDATE dive.instances SET state = $4, version = version + 1, reason = $5, updated_at = clock_timestamp(),"
	"   updated_by = $6, run_id = coalesce($7::bigint, run_id)"
	"  WHERE code = $1 AND version = $2::bigint AND state = $3"
	"  RETURNING version, updated_at"
	"), hist AS ("
	"  INSERT INTO dive.transitions (code, from_state, to_state, version, at, actor, reason, metadata,"
	"   duration_ms, run_id)"
	"  SELECT $1, $3, $4, upd.version, upd.updated_at, $6, $5, coalesce($8::jsonb, '{}'::jsonb),"
	"   greatest(0, (extract(epoch FROM upd.updated_at - prev.updated_at) * 1000)::bigint), $7::bigint"
	"  FROM upd, prev RETURNING version"
	"), cp AS ("
	"  INSERT INTO dive.checkpoints (run_id, code, phase, payload)"
	"  SELECT $7::bigint, $1, $9, coalesce($10::jsonb, '{}'::jsonb) FROM upd WHERE $9::text IS NOT NULL"
	"  ON CONFLICT (run_id, phase) DO UPDATE SET payload = EXCLUDED.payload, created_at = now()"
	"  RETURNING id"
	") SELECT hist.version, (SELECT count(*) FROM cp) FROM hist";

static const char sql_history[] =
	"SELECT coalesce(json_agg(t ORDER BY t.version DESC), '[]'::json) FROM ("
	"  SELECT version, from_state AS \"from\", to_state AS \"to\", " TS("at") " AS at, actor, reason,"
	"   metadata, duration_ms, run_id"
	"  FROM dive.transitions WHERE code = $1 ORDER BY version DESC LIMIT $2::int) t";

static const char sql_run_begin[] =
	"INSERT INTO dive.runs (code, mode, actor, host, pid, backend_pid) VALUES ($1, $2, $3, $4, $5::int,"
	" pg_backend_pid()) RETURNING id";

static const char sql_run_end[] =
	"UPDATE dive.runs SET outcome = $2, ended_at = clock_timestamp() WHERE id = $1::bigint AND outcome = 'running'";

static const char sql_run_describe[] =
	"SELECT row_to_json(r) FROM (SELECT id, code, mode, " TS("started_at") " AS started_at,"
	" " TS("ended_at") " AS ended_at, outcome, actor, host, pid, resumes, config_hash FROM dive.runs WHERE id = $1::bigint) r";

static int valid_code(const char *code)
{
	int i;

	if (!code)
		return 0;
	for (i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return 0;
	return code[3] == '\0';
}

static int check_code(const char *code)
{
	if (!valid_code(code))
		return dive_error_set(DIVE_EUSAGE, "invalid instance code '%.8s'", code ? code : "");
	return 0;
}

static int check_json_object(const char *what, const char *json)
{
	cJSON *doc;
	int ok;

	if (!json)
		return 0;
	if (strlen(json) > 256 * 1024)
		return dive_error_set(DIVE_EUSAGE, "%s is larger than 256 KiB", what);
	doc = cJSON_Parse(json);
	ok = cJSON_IsObject(doc);
	cJSON_Delete(doc);
	return ok ? 0 : dive_error_set(DIVE_EUSAGE, "%s is not a JSON object", what);
}

static void fill_instance(struct state_instance *st, PGresult *res, int r)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->code, sizeof(st->code), "%s", PQgetvalue(res, r, 0));
	if (dive_state_parse(&st->state, PQgetvalue(res, r, 1)) < 0)
		st->state = DIVE_STATE_UNKNOWN;
	st->version = atoll(PQgetvalue(res, r, 2));
	st->run_id = atoll(PQgetvalue(res, r, 3));
	snprintf(st->updated_at, sizeof(st->updated_at), "%s", PQgetvalue(res, r, 4));
	snprintf(st->updated_by, sizeof(st->updated_by), "%s", PQgetvalue(res, r, 5));
	snprintf(st->reason, sizeof(st->reason), "%s", PQgetvalue(res, r, 6));
}

int state_get(struct store *s, struct state_instance *out, const char *code)
{
	const char *params[1] = { code };
	PGresult *res = NULL;
	int rc;

	if ((rc = check_code(code)) < 0)
		return rc;
	rc = pg_exec(s->conn, &res, sql_get, 1, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		memset(out, 0, sizeof(*out));
		snprintf(out->code, sizeof(out->code), "%s", code);
		out->state = DIVE_STATE_UNKNOWN;
	} else {
		fill_instance(out, res, 0);
	}
	PQclear(res);
	return 0;
}

int state_list(struct store *s, struct state_instance **out, size_t *n)
{
	PGresult *res = NULL;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = pg_exec(s->conn, &res, sql_list, 0, NULL);
	if (rc < 0)
		return rc;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(**out));
	for (r = 0; r < PQntuples(res); r++)
		fill_instance(&(*out)[r], res, r);
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return 0;
}

int state_transition(struct store *s, const struct state_change *c, long long *new_version)
{
	char version[24], run[24];
	const char *params[10];
	PGresult *res = NULL;
	int rc;

	if ((rc = check_code(c->code)) < 0)
		return rc;
	if ((unsigned)c->to >= DIVE_STATE__COUNT || (unsigned)c->from >= DIVE_STATE__COUNT)
		return dive_error_set(DIVE_EUSAGE, "invalid state");
	if (!dive_state_allowed(c->from, c->to)) {
		dive_error_set(DIVE_ECONFLICT, "illegal transition %s -> %s for '%s'", dive_state_name(c->from),
			       dive_state_name(c->to), c->code);
		dive_error_set_code(ERRC_ILLEGAL_TRANSITION);
		return DIVE_ECONFLICT;
	}
	if ((rc = check_json_object("transition metadata", c->metadata_json)) < 0 ||
	    (rc = check_json_object("checkpoint payload", c->checkpoint_json)) < 0)
		return rc;
	if (c->checkpoint_phase && c->run_id <= 0)
		return dive_error_set(DIVE_EUSAGE, "a checkpoint needs a run");
	if (c->version == 0) {
		params[0] = c->code;
		if ((rc = pg_exec(s->conn, NULL, sql_ensure, 1, params)) < 0)
			return rc;
	}
	snprintf(version, sizeof(version), "%lld", c->version);
	snprintf(run, sizeof(run), "%lld", c->run_id);
	params[0] = c->code;
	params[1] = version;
	params[2] = dive_state_name(c->from);
	params[3] = dive_state_name(c->to);
	params[4] = c->reason;
	params[5] = c->actor ? c->actor : "dive";
	params[6] = c->run_id > 0 ? run : NULL;
	params[7] = c->metadata_json;
	params[8] = c->checkpoint_phase;
	params[9] = c->checkpoint_json;
	rc = pg_exec(s->conn, &res, sql_transition, 10, params);
	if (rc < 0) {
		if (!strcmp(pg_last_sqlstate(), "23514")) {
			dive_error_wrap(DIVE_ECONFLICT, "the state store refused %s -> %s for '%s'",
					dive_state_name(c->from), dive_state_name(c->to), c->code);
			dive_error_set_code(ERRC_ILLEGAL_TRANSITION);
			return DIVE_ECONFLICT;
		}
		return rc;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		dive_error_set(DIVE_ECONFLICT, "'%s' is no longer %s at version %lld: another command changed it first",
			       c->code, dive_state_name(c->from), c->version);
		dive_error_set_code(ERRC_VERSION_CONFLICT);
		return DIVE_ECONFLICT;
	}
	if (new_version)
		*new_version = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int state_history(struct store *s, cJSON **out, const char *code, int limit)
{
	char lim[16];
	const char *params[2] = { code, lim };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_code(code)) < 0)
		return rc;
	snprintf(lim, sizeof(lim), "%d", limit > 0 ? limit : 50);
	rc = pg_exec(s->conn, &res, sql_history, 2, params);
	if (rc < 0)
		return rc;
	*out = cJSON_Parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *out ? 0 : dive_error_set(DIVE_EFAIL, "state store returned invalid history JSON");
}

int run_begin(struct store *s, long long *out_id, const char *code, const char *mode, const char *actor)
{
	char host[256] = "", pid[16];
	const char *params[5] = { code, mode, actor, host, pid };
	PGresult *res = NULL;
	int rc;

	if ((rc = check_code(code)) < 0)
		return rc;
	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if ((rc = pg_exec(s->conn, NULL, sql_ensure, 1, params)) < 0)
		return rc;
	rc = pg_exec(s->conn, &res, sql_run_begin, 5, params);
	if (rc < 0)
		return rc;
	*out_id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int run_end(struct store *s, long long id, const char *outcome)
{
	char id_s[24];
	const char *params[2] = { id_s, outcome };

	snprintf(id_s, sizeof(id_s), "%lld", id);
	return pg_exec(s->conn, NULL, sql_run_end, 2, params);
}

static const char sql_config_run[] =
	"UPDATE dive.runs SET config_hash = $2 WHERE id = $1::bigint";

static const char sql_config_applied[] =
	"UPDATE dive.instances SET config_hash = $2, config_applied_at = now() WHERE code = $1";

static int valid_hash(const char *h)
{
	size_t i;

	for (i = 0; h && i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return h && h[64] == '\0';
}

int state_config_record(struct store *s, long long run_id, const char *code, const char *hash, int applied)
{
	char id_s[24];
	const char *params[2] = { id_s, hash };
	int rc;

	if (!valid_hash(hash))
		return dive_error_set(DIVE_EUSAGE, "internal: a configuration hash is 64 hexadecimal digits");
	if (run_id > 0) {
		snprintf(id_s, sizeof(id_s), "%lld", run_id);
		if ((rc = pg_exec(s->conn, NULL, sql_config_run, 2, params)) < 0)
			return rc;
	}
	if (!applied)
		return 0;
	if ((rc = check_code(code)) < 0)
		return rc;
	params[0] = code;
	return pg_exec(s->conn, NULL, sql_config_applied, 2, params);
}

int run_describe(struct store *s, cJSON **out, long long id)
{
	char id_s[24];
	const char *params[1] = { id_s };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if (id <= 0)
		return 0;
	snprintf(id_s, sizeof(id_s), "%lld", id);
	rc = pg_exec(s->conn, &res, sql_run_describe, 1, params);
	if (rc < 0)
		return rc;
	if (PQntuples(res) > 0)
		*out = cJSON_Parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int state_close_dead_run(struct store *s, struct state_instance *st, const char *actor)
{
	struct state_change chg = { 0 };
	char meta[128];
	int rc;

	/* re-read: the caller holds the lock now, what it saw before may be old */
	if ((rc = state_get(s, st, st->code)) < 0 || !dive_state_in_progress(st->state))
		return rc;
	snprintf(meta, sizeof(meta), "{\"detected_by_pid\": %d, \"interrupted_run\": %lld}", (int)getpid(),
		 st->run_id);
	chg.code = st->code;
	chg.from = st->state;
	chg.version = st->version;
	chg.to = DIVE_STATE_INTERRUPTED;
	chg.actor = actor ? actor : "dive";
	chg.reason = "no live run holds the instance lock: the run died, was killed or lost its connection";
	chg.metadata_json = meta;
	chg.run_id = st->run_id;
	rc = store_begin(s);
	if (rc == 0)
		rc = state_transition(s, &chg, NULL);
	if (rc == 0 && st->run_id > 0)
		rc = run_end(s, st->run_id, "interrupted");
	if (rc == 0)
		rc = store_commit(s);
	else
		store_rollback(s);
	return rc < 0 ? rc : state_get(s, st, st->code);
}

int state_detect_interrupted(struct store *s, struct state_instance *st, int *marked)
{
	struct lock_request req = { "dive (interrupted-run check)", NULL, 0, 0 };
	struct dive_lock *l = NULL;
	char name[32];
	int rc;

	*marked = 0;
	if (!dive_state_in_progress(st->state))
		return 0;
	lock_name_instance(name, st->code);
	rc = lock_acquire(&l, s->url, name, &req, NULL);
	if (rc == DIVE_ELOCKED) {
		dive_error_clear();
		return 0; /* a live run holds it: in progress for real */
	}
	if (rc < 0)
		return rc;
	rc = state_close_dead_run(s, st, "dive");
	if (rc == 0)
		*marked = st->state == DIVE_STATE_INTERRUPTED;
	lock_release(l);
	return rc;
}

static const char sql_import_seen[] =
	"SELECT (SELECT count(*) FROM dive.transitions WHERE code = $1 AND actor = 'import-legacy'"
	"        AND metadata->>'file_sha256' = $2),"
	"       (SELECT version FROM dive.instances WHERE code = $1)";

static const char sql_import_state[] =
	"UPDATE dive.instances SET state = $2, version = version + 1, reason = $3, updated_at = now(),"
	" updated_by = 'import-legacy' WHERE code = $1 AND version = 0";

static const char sql_import_history[] =
	"INSERT INTO dive.transitions (code, from_state, to_state, version, at, actor, reason, metadata)"
	" VALUES ($1, 'UNKNOWN', $2, 1, coalesce(CASE WHEN $4 ~ '^\\d{4}-\\d{2}-\\d{2}' THEN $4::timestamptz END, now()),"
	"  'import-legacy', $3,"
	"  jsonb_build_object('file_sha256', $5::text, 'legacy_state', $6::text, 'legacy_timestamp', $4::text,"
	"   'legacy_metadata', coalesce($7::jsonb, '{}'::jsonb)))";

int state_import_legacy(struct store *s, const char *code, const struct legacy_state *ls, int *imported,
			char *why, size_t why_len)
{
	enum dive_state target = dive_state_in_progress(ls->state) ? DIVE_STATE_INTERRUPTED : ls->state;
	const char *seen_params[2] = { code, ls->sha256 };
	const char *hist[7];
	char reason[320];
	PGresult *res = NULL;
	int rc;

	*imported = 0;
	why[0] = '\0';
	if ((rc = check_code(code)) < 0)
		return rc;
	if ((rc = store_begin(s)) < 0)
		return rc;
	if ((rc = pg_command(s->conn, "SET LOCAL dive.import = 'on'")) < 0)
		goto fail;
	if ((rc = pg_exec(s->conn, NULL, sql_ensure, 1, seen_params)) < 0)
		goto fail;
	if ((rc = pg_exec(s->conn, &res, sql_import_seen, 2, seen_params)) < 0)
		goto fail;
	if (atoi(PQgetvalue(res, 0, 0)) > 0) {
		snprintf(why, why_len, "already imported");
	} else if (atoll(PQgetvalue(res, 0, 1)) > 0) {
		snprintf(why, why_len, "the state store already has history for '%s'", code);
	}
	PQclear(res);
	res = NULL;
	if (why[0]) {
		store_rollback(s);
		return 0;
	}
	snprintf(reason, sizeof(reason), "imported from a legacy state file%s%s", ls->reason[0] ? ": " : "",
		 ls->reason);
	hist[0] = code;
	hist[1] = dive_state_name(target);
	hist[2] = reason;
	hist[3] = ls->timestamp;
	hist[4] = ls->sha256;
	hist[5] = dive_state_name(ls->state);
	hist[6] = ls->metadata;
	if ((rc = pg_exec(s->conn, NULL, sql_import_state, 3, hist)) < 0)
		goto fail;
	if ((rc = pg_exec(s->conn, NULL, sql_import_history, 7, hist)) < 0)
		goto fail;
	if ((rc = store_commit(s)) < 0)
		goto fail;
	*imported = 1;
	return 0;
fail:
	PQclear(res);
	store_rollback(s);
	return rc;
}
