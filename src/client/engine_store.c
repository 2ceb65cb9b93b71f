/* engine_store.c - the Docker engines in dive.engines (see engine_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/engine_store.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/pg.h"
#include "dive/store.h"
#include "dive/xalloc.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define ROW_COLUMNS \
	"e.name, e.url, coalesce(e.tls_ca, ''), coalesce(e.tls_cert, ''), coalesce(e.tls_key, ''), " \
	TS("e.created_at") ", e.created_by, " TS("e.updated_at") ", e.updated_by, " \
	"(SELECT count(*) FROM dive.instances i WHERE i.engine = e.name), " \
	"coalesce((SELECT string_agg(i.code, ',' ORDER BY i.code) FROM dive.instances i WHERE i.engine = e.name), '')"

static const char sql_add[] =
	"INSERT INTO dive.engines (name, url, tls_ca, tls_cert, tls_key, created_by, updated_by)"
	" VALUES ($1, $2, $3, $4, $5, $6, $6)";

static const char sql_get[] = "SELECT " ROW_COLUMNS " FROM dive.engines e WHERE e.name = $1";

static const char sql_list[] = "SELECT " ROW_COLUMNS " FROM dive.engines e ORDER BY e.name";

/* Refuses by itself while an instance is placed; the foreign key would too. */
static const char sql_remove[] =
	"DELETE FROM dive.engines e WHERE e.name = $1"
	" AND NOT EXISTS (SELECT 1 FROM dive.instances i WHERE i.engine = e.name) RETURNING e.name";

int engine_name_check(const char *name, int local_ok)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > ENGINE_NAME_MAX)
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "engine name '%.40s' is empty or longer than %d characters", name ? name : "",
			     ENGINE_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '-'))))
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "'%.40s' is not an engine name (a lower-case letter, then letters, digits and '-')",
				     name);
	}
	if (!local_ok && !strcmp(name, ENGINE_LOCAL))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "'local' is the engine at --docker-host; give the engine another name");
	return 0;
}

static int check_path(const char *what, const char *p)
{
	if (!p || !*p)
		return 0;
	if (strlen(p) > ENGINE_PATH_MAX || strpbrk(p, "\r\n") || strstr(p, "-----BEGIN"))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "%s must be the path of a file (at most %d characters), not its content", what,
			     ENGINE_PATH_MAX);
	return 0;
}

static void fill(struct engine_row *e, PGresult *res, int r)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", PQgetvalue(res, r, 0));
	snprintf(e->url, sizeof(e->url), "%s", PQgetvalue(res, r, 1));
	snprintf(e->tls_ca, sizeof(e->tls_ca), "%s", PQgetvalue(res, r, 2));
	snprintf(e->tls_cert, sizeof(e->tls_cert), "%s", PQgetvalue(res, r, 3));
	snprintf(e->tls_key, sizeof(e->tls_key), "%s", PQgetvalue(res, r, 4));
	snprintf(e->created_at, sizeof(e->created_at), "%s", PQgetvalue(res, r, 5));
	snprintf(e->created_by, sizeof(e->created_by), "%s", PQgetvalue(res, r, 6));
	snprintf(e->updated_at, sizeof(e->updated_at), "%s", PQgetvalue(res, r, 7));
	snprintf(e->updated_by, sizeof(e->updated_by), "%s", PQgetvalue(res, r, 8));
	e->placed = atoi(PQgetvalue(res, r, 9));
	snprintf(e->placed_codes, sizeof(e->placed_codes), "%s", PQgetvalue(res, r, 10));
}

int engine_store_add(struct store *s, const struct engine_row *e, const char *actor)
{
	int tls = e->tls_ca[0] || e->tls_cert[0] || e->tls_key[0], rc;
	const char *params[6] = {
		e->name, e->url, tls ? e->tls_ca : NULL, tls ? e->tls_cert : NULL, tls ? e->tls_key : NULL,
		actor && *actor ? actor : "dive",
	};
	char who[201];

	if ((rc = engine_name_check(e->name, 0)) < 0)
		return rc;
	if (strncmp(e->url, "tcp://", 6) || strlen(e->url) > ENGINE_URL_MAX)
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "engine URL must be tcp://HOST:PORT (at most %d characters)", ENGINE_URL_MAX);
	if (tls && !(e->tls_ca[0] && e->tls_cert[0] && e->tls_key[0]))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "TLS needs all three: --tls-ca, --tls-cert and --tls-key");
	if ((rc = check_path("--tls-ca", e->tls_ca)) < 0 || (rc = check_path("--tls-cert", e->tls_cert)) < 0 ||
	    (rc = check_path("--tls-key", e->tls_key)) < 0)
		return rc;
	snprintf(who, sizeof(who), "%s", params[5]);
	params[5] = who;
	rc = pg_exec(s->conn, NULL, sql_add, 6, params);
	if (rc < 0 && !strcmp(pg_last_sqlstate(), "23505"))
		return dive_error_set(DIVE_ECONFLICT, "engine '%s' exists already ('dive engine remove %s' first)", e->name,
				      e->name);
	return rc;
}

static int unknown(const char *name)
{
	dive_error_set(DIVE_ENOTFOUND, "no engine '%s' is registered", name);
	dive_error_set_code(ERRC_ENGINE_UNKNOWN);
	return DIVE_ENOTFOUND;
}

int engine_store_get(struct store *s, struct engine_row *out, const char *name)
{
	const char *params[1] = { name };
	PGresult *res = NULL;
	int rc;

	if ((rc = engine_name_check(name, 0)) < 0)
		return rc;
	if ((rc = pg_exec(s->conn, &res, sql_get, 1, params)) < 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = unknown(name);
	else
		fill(out, res, 0);
	PQclear(res);
	return rc;
}

int engine_store_list(struct store *s, struct engine_row **out, size_t *n)
{
	PGresult *res = NULL;
	int rc, r;

	*out = NULL;
	*n = 0;
	if ((rc = pg_exec(s->conn, &res, sql_list, 0, NULL)) < 0)
		return rc;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(**out));
	for (r = 0; r < PQntuples(res); r++)
		fill(&(*out)[r], res, r);
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return 0;
}

static int in_use(const struct engine_row *e)
{
	dive_error_set(DIVE_ECONFLICT, "engine '%s' has %d instance%s placed on it (%s): move or remove %s first",
		       e->name, e->placed, e->placed == 1 ? "" : "s", e->placed_codes, e->placed == 1 ? "it" : "them");
	dive_error_set_code(ERRC_ENGINE_IN_USE);
	return DIVE_ECONFLICT;
}

int engine_store_remove(struct store *s, struct engine_row *was, const char *name)
{
	const char *params[1] = { name };
	struct engine_row row;
	PGresult *res = NULL;
	int rc;

	if ((rc = engine_store_get(s, &row, name)) < 0)
		return rc;
	if (row.placed)
		return in_use(&row);
	rc = pg_exec(s->conn, &res, sql_remove, 1, params);
	if (rc < 0 && !strcmp(pg_last_sqlstate(), "23503"))
		rc = DIVE_ECONFLICT; /* placed between the read and the delete */
	if (rc == 0 && PQntuples(res) == 0)
		rc = DIVE_ECONFLICT;
	PQclear(res);
	if (rc == DIVE_ECONFLICT) {
		/* someone placed an instance on it meanwhile: say which */
		if (engine_store_get(s, &row, name) < 0)
			return dive_error_last_err();
		return in_use(&row);
	}
	if (rc == 0 && was)
		*was = row;
	return rc;
}

static const char sql_placement[] =
	"SELECT coalesce(engine, 'local'), state <> 'UNKNOWN' FROM dive.instances WHERE code = $1";

static const char sql_place[] =
	"UPDATE dive.instances SET engine = nullif($2, 'local') WHERE code = $1 RETURNING code";

int engine_store_placement(struct store *s, const char *code, char engine[ENGINE_NAME_MAX + 1], int *deployed)
{
	const char *params[1] = { code };
	PGresult *res = NULL;
	int rc;

	engine[0] = '\0';
	*deployed = 0;
	if ((rc = pg_exec(s->conn, &res, sql_placement, 1, params)) < 0)
		return rc;
	if (PQntuples(res) == 0) {
		rc = dive_error_set(DIVE_ENOTFOUND, "instance '%.4s' has no state yet", code);
	} else {
		snprintf(engine, ENGINE_NAME_MAX + 1, "%s", PQgetvalue(res, 0, 0));
		*deployed = !strcmp(PQgetvalue(res, 0, 1), "t");
	}
	PQclear(res);
	return rc;
}

int engine_store_place(struct store *s, const char *code, const char *engine)
{
	const char *params[2] = { code, engine && *engine ? engine : ENGINE_LOCAL };
	PGresult *res = NULL;
	int rc;

	if ((rc = engine_name_check(params[1], 1)) < 0)
		return rc;
	rc = pg_exec(s->conn, &res, sql_place, 2, params);
	if (rc < 0 && !strcmp(pg_last_sqlstate(), "23503"))
		return unknown(params[1]);
	if (rc == 0 && PQntuples(res) == 0)
		rc = dive_error_set(DIVE_ENOTFOUND, "instance '%.4s' has no state yet", code);
	PQclear(res);
	return rc;
}
