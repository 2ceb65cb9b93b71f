/* runlog.c - recorded runs, their phases, steps and errors, read back (see runlog.h). */
#include <stdio.h>
#include <stdlib.h>

#include "dive/error.h"
#include "dive/pg.h"
#include "dive/runlog.h"
#include "dive/store.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define MS(from, to) "(extract(epoch FROM (coalesce(" to ", clock_timestamp()) - " from ")) * 1000)::bigint"

/* The columns of a run in both answers (r: dive.runs). */
#define RUN_COLUMNS \
	"r.id, r.code, r.mode, r.outcome, " TS("r.started_at") " AS started_at, " TS("r.ended_at") " AS ended_at," \
	" " MS("r.started_at", "r.ended_at") " AS duration_ms, r.actor, r.host, r.resumes," \
	" (SELECT count(*) FROM dive.steps s WHERE s.run_id = r.id) AS steps," \
	" (SELECT count(*) FROM dive.steps s WHERE s.run_id = r.id AND s.status = 'failed') AS failed_steps," \
	" (SELECT count(*) FROM dive.errors e WHERE e.run_id = r.id) AS errors"

static const char sql_list[] =
	"SELECT coalesce(json_agg(t ORDER BY t.id DESC), '[]'::json) FROM ("
	"  SELECT " RUN_COLUMNS " FROM dive.runs r WHERE ($1::text IS NULL OR r.code = $1)"
	"  ORDER BY r.id DESC LIMIT $2::int) t";

static const char sql_show[] =
	"SELECT row_to_json(t) FROM (SELECT " RUN_COLUMNS ","
	" (SELECT coalesce(json_agg(p ORDER BY p.first_id), '[]'::json) FROM ("
	"   SELECT s.phase, min(s.id) AS first_id, " TS("min(s.started_at)") " AS started_at,"
	"    " TS("max(s.ended_at)") " AS ended_at,"
	"    (extract(epoch FROM (CASE WHEN bool_or(s.ended_at IS NULL) THEN clock_timestamp() ELSE max(s.ended_at) END"
	"     - min(s.started_at))) * 1000)::bigint AS duration_ms,"
	"    count(*) AS steps, count(*) FILTER (WHERE s.status = 'failed') AS failed"
	"   FROM dive.steps s WHERE s.run_id = r.id GROUP BY s.phase) p) AS phases,"
	" (SELECT coalesce(json_agg(x ORDER BY x.id), '[]'::json) FROM ("
	"   SELECT s.id, s.phase, s.service, s.action, s.attempt, s.status, " TS("s.started_at") " AS started_at,"
	"    coalesce(s.duration_ms, " MS("s.started_at", "s.ended_at") ") AS duration_ms, s.error_code, s.error"
	"   FROM dive.steps s WHERE s.run_id = r.id) x) AS steps_list,"
	" (SELECT coalesce(json_agg(e ORDER BY e.id), '[]'::json) FROM ("
	"   SELECT e.id, " TS("e.at") " AS at, e.code, e.severity, e.component, e.message, e.remediation, e.step_id"
	"   FROM dive.errors e WHERE e.run_id = r.id) e) AS errors_list"
	" FROM dive.runs r WHERE r.id = $1::bigint) t";

static int one_json(struct store *s, cJSON **out, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int rc = pg_exec(s->conn, &res, sql, n, params);

	if (rc < 0)
		return rc;
	*out = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? cJSON_Parse(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	return 0;
}

int runlog_list(struct store *s, cJSON **out, const char *code, int limit)
{
	char lim[16];
	const char *params[2] = { code, lim };
	int rc;

	snprintf(lim, sizeof(lim), "%d", limit > 0 ? limit : 20);
	if ((rc = one_json(s, out, sql_list, 2, params)) < 0)
		return rc;
	if (!*out)
		return dive_error_set(DIVE_EFAIL, "the state store answered no list of runs");
	return 0;
}

int runlog_show(struct store *s, cJSON **out, long long id)
{
	char id_s[24];
	const char *params[1] = { id_s };
	cJSON *doc, *p;
	int rc;

	*out = NULL;
	snprintf(id_s, sizeof(id_s), "%lld", id);
	if ((rc = one_json(s, &doc, sql_show, 1, params)) < 0)
		return rc;
	if (!doc)
		return dive_error_set(DIVE_ENOTFOUND, "no run %lld in the state store", id);
	/* the phases' own ordering key is not part of the answer; the lists get their plain names */
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "phases"))
		cJSON_DeleteItemFromObject(p, "first_id");
	if ((p = cJSON_DetachItemFromObject(doc, "steps_list")))
		cJSON_ReplaceItemInObject(doc, "steps", p);
	if ((p = cJSON_DetachItemFromObject(doc, "errors_list")))
		cJSON_ReplaceItemInObject(doc, "errors", p);
	*out = doc;
	return 0;
}
