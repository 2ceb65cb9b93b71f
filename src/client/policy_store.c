/* policy_store.c - policy publications in the state store (see policy_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/pg.h"
#include "dive/policy_store.h"

static const char sql_add[] =
	"INSERT INTO dive.policy_publications (revision, digest, source, issuers, outcome, commit_id, detail, actor)"
	" VALUES ($1, $2, $3, $4::jsonb, $5, nullif($6, ''), nullif($7, ''), $8)";

static const char sql_last[] =
	"SELECT revision, digest, source, issuers::text, commit_id, coalesce(detail, ''), actor,"
	" to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM dive.policy_publications WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1";

int policy_store_add(struct store *s, const struct policy_pub *p)
{
	char *issuers = cJSON_PrintUnformatted(p->issuers ? p->issuers : cJSON_CreateArray());
	const char *params[8] = { p->revision, p->digest, p->source, issuers, p->ok ? "ok" : "failed", p->commit,
				  p->detail, p->actor };
	int rc = pg_exec(s->conn, NULL, sql_add, 8, params);

	cJSON_free(issuers);
	return rc;
}

int policy_store_last(struct store *s, struct policy_pub *out, int *found)
{
	PGresult *res = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	*found = 0;
	if ((rc = pg_exec(s->conn, &res, sql_last, 0, NULL)) < 0)
		return rc;
	if (PQntuples(res) == 1) {
		*found = 1;
		out->ok = 1;
		snprintf(out->revision, sizeof(out->revision), "%s", PQgetvalue(res, 0, 0));
		snprintf(out->digest, sizeof(out->digest), "%s", PQgetvalue(res, 0, 1));
		snprintf(out->source, sizeof(out->source), "%s", PQgetvalue(res, 0, 2));
		out->issuers = cJSON_Parse(PQgetvalue(res, 0, 3));
		snprintf(out->commit, sizeof(out->commit), "%s", PQgetvalue(res, 0, 4));
		snprintf(out->detail, sizeof(out->detail), "%s", PQgetvalue(res, 0, 5));
		snprintf(out->actor, sizeof(out->actor), "%s", PQgetvalue(res, 0, 6));
		snprintf(out->published_at, sizeof(out->published_at), "%s", PQgetvalue(res, 0, 7));
	}
	PQclear(res);
	return 0;
}

void policy_pub_release(struct policy_pub *p)
{
	cJSON_Delete(p->issuers);
	p->issuers = NULL;
}
