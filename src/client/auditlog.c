/* auditlog.c - federation audit reports in dive.audit_reports (see auditlog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/auditlog.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/pg.h"
#include "dive/store.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static const char sql_record[] =
	"INSERT INTO dive.audit_reports (started_at, duration_ms, trigger, actor, ok, error, error_code, codes, drifted,"
	" by_kind, findings, foreign_idps) VALUES (to_timestamp($1::bigint / 1000.0), $2::bigint, $3, $4, $5::boolean,"
	" $6, nullif($7::int, 0), $8::int, $9::int, $10::jsonb, $11::jsonb, $12::jsonb) RETURNING id";

static const char sql_list[] =
	"SELECT coalesce(json_agg(r ORDER BY r.id DESC), '[]'::json) FROM ("
	"  SELECT id, " TS("at") " AS at, " TS("started_at") " AS started_at, duration_ms, trigger, actor, ok, error,"
	"   error_code, codes, drifted, by_kind,"
	"   CASE WHEN $2::boolean THEN findings END AS findings, CASE WHEN $2::boolean THEN foreign_idps END AS foreign_idps"
	"  FROM dive.audit_reports ORDER BY id DESC LIMIT $1::int) r";

static char *json_or(const cJSON *v, int array)
{
	if (!v)
		return strdup(array ? "[]" : "{}");
	return cJSON_PrintUnformatted(v);
}

int auditlog_record(struct store *s, long long *out_id, const struct auditlog_entry *e)
{
	char started[32], dur[32], ok[8], code[16], codes[16], drifted[16], err[ERRLOG_MESSAGE_MAX + 1];
	char *by_kind, *findings, *foreign;
	const char *params[12];
	PGresult *res = NULL;
	int rc;

	if (out_id)
		*out_id = 0;
	if (!e->trigger || (strcmp(e->trigger, "schedule") && strcmp(e->trigger, "action") && strcmp(e->trigger, "manual")))
		return dive_error_set(DIVE_EUSAGE, "an audit report's trigger is schedule, action or manual");
	if ((e->by_kind && !cJSON_IsObject(e->by_kind)) || (e->findings && !cJSON_IsArray(e->findings)) ||
	    (e->foreign_idps && !cJSON_IsArray(e->foreign_idps)))
		return dive_error_set(DIVE_EUSAGE, "an audit report's by_kind is an object, its findings a list");
	snprintf(started, sizeof(started), "%lld", e->started_ms);
	snprintf(dur, sizeof(dur), "%lld", e->duration_ms > 0 ? e->duration_ms : 0);
	snprintf(ok, sizeof(ok), "%s", e->ok ? "true" : "false");
	snprintf(code, sizeof(code), "%d", e->error_code);
	snprintf(codes, sizeof(codes), "%d", e->codes);
	snprintf(drifted, sizeof(drifted), "%d", e->drifted);
	errlog_clean(err, sizeof(err), e->ok ? NULL : (e->error && *e->error ? e->error : "the audit failed"));
	by_kind = json_or(e->by_kind, 0);
	findings = json_or(e->findings, 1);
	foreign = json_or(e->foreign_idps, 1);
	params[0] = started;
	params[1] = dur;
	params[2] = e->trigger;
	params[3] = e->actor ? e->actor : "dive";
	params[4] = ok;
	params[5] = e->ok ? NULL : err;
	params[6] = code;
	params[7] = codes;
	params[8] = drifted;
	params[9] = by_kind;
	params[10] = findings;
	params[11] = foreign;
	rc = pg_exec(s->conn, &res, sql_record, 12, params);
	if (rc == 0 && out_id)
		*out_id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	free(by_kind);
	free(findings);
	free(foreign);
	return rc;
}

int auditlog_list(struct store *s, cJSON **out, int limit, int with_findings)
{
	char lim[16];
	const char *params[2] = { lim, with_findings ? "true" : "false" };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if (limit < 1 || limit > AUDITLOG_LIMIT_MAX)
		return dive_error_set(DIVE_EUSAGE, "the limit must be from 1 to %d", AUDITLOG_LIMIT_MAX);
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = pg_exec(s->conn, &res, sql_list, 2, params)) < 0)
		return rc;
	*out = cJSON_Parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "the state store returned invalid audit report JSON");
	}
	return 0;
}
