/* pg.c - libpq connections with timeouts and keepalives (see pg.h). */
#include <stdio.h>
#include <string.h>

#include "dive/error.h"
#include "dive/log.h"
#include "dive/pg.h"

#define PG_URL_MAX 2048

static _Thread_local char last_sqlstate[6];

const char *pg_last_sqlstate(void)
{
	return last_sqlstate;
}

int pg_command(PGconn *conn, const char *sql)
{
	return pg_exec(conn, NULL, sql, 0, NULL);
}

static void chomp_message(char *dst, size_t n, const char *src)
{
	size_t len;

	snprintf(dst, n, "%s", src ? src : "");
	len = strlen(dst);
	while (len && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
		dst[--len] = '\0';
	for (char *p = dst; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

/* Every occurrence of secret in msg replaced by "***" (libpq may echo what it was given). */
static void scrub(char *msg, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p;

	if (n == 0)
		return;
	while ((p = strstr(msg, secret)) != NULL) {
		memmove(p + 3, p + n, strlen(p + n) + 1);
		memcpy(p, "***", 3);
	}
}

/*
 * The URI parsed before anything connects: a malformed one is bad input
 * (DIVE_EUSAGE), and libpq's parse message is never shown, because it quotes
 * the URI, password included.  *password is the parsed password (for
 * scrubbing later messages), or NULL; release opts with PQconninfoFree.
 */
static int parse_url(PQconninfoOption **opts, const char **password, const char *url)
{
	char *err = NULL;
	PQconninfoOption *o;

	*password = NULL;
	*opts = PQconninfoParse(url, &err);
	if (!*opts) {
		if (err)
			PQfreemem(err);
		return dive_error_set(DIVE_EUSAGE, "the state store URL is not a valid postgresql:// URI "
						   "(check its percent-encoding; special characters in a password must be "
						   "written %%XX)");
	}
	for (o = *opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			*password = o->val;
	return 0;
}

/* Server notices (a migration's "already exists, skipping") are not the user's business: debug only. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	dive_debug("postgres: %.200s", message);
}

int pg_connect(PGconn **out, const char *url, const char *application_name)
{
	const char *keys[] = { "dbname", "application_name", "connect_timeout", "keepalives",
			       "keepalives_idle", "keepalives_interval", "keepalives_count",
			       "tcp_user_timeout", NULL };
	const char *vals[] = { url, application_name ? application_name : "dive", "5", "1",
			       "5", "2", "3", "10000", NULL };
	char msg[512];
	PQconninfoOption *opts = NULL;
	const char *password = NULL;
	PGconn *c;
	int rc;

	*out = NULL;
	if (!url || !*url)
		return dive_error_set(DIVE_EUSAGE, "no state store configured: set --state-url or DIVE_STATE_URL");
	if (strlen(url) > PG_URL_MAX)
		return dive_error_set(DIVE_EUSAGE, "the state store URL is longer than %d bytes", PG_URL_MAX);
	if (strncmp(url, "postgresql://", 13) && strncmp(url, "postgres://", 11) && !strchr(url, '='))
		return dive_error_set(DIVE_EUSAGE, "the state store URL must be a postgresql:// URI");
	if ((rc = parse_url(&opts, &password, url)) < 0)
		return rc;
	c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		PQconninfoFree(opts);
		return dive_error_set(DIVE_EFAIL, "cannot allocate a PostgreSQL connection");
	}
	if (PQstatus(c) != CONNECTION_OK) {
		chomp_message(msg, sizeof(msg), PQerrorMessage(c));
		scrub(msg, password);
		PQconninfoFree(opts);
		PQfinish(c);
		return dive_error_set(DIVE_EUNAVAIL, "cannot connect to the state store: %s", msg);
	}
	PQconninfoFree(opts);
	PQsetNoticeProcessor(c, quiet_notice, NULL);
	*out = c;
	return 0;
}

void pg_close(PGconn *conn)
{
	if (conn)
		PQfinish(conn);
}

int pg_exec(PGconn *conn, PGresult **out, const char *sql, int nparams, const char *const *params)
{
	PGresult *res;
	ExecStatusType st;
	const char *state;
	char msg[512];
	int rc = 0;

	if (out)
		*out = NULL;
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		last_sqlstate[0] = '\0';
		if (out)
			*out = res;
		else
			PQclear(res);
		return 0;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", state ? state : "");
	chomp_message(msg, sizeof(msg), res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	if (PQstatus(conn) != CONNECTION_OK)
		rc = dive_error_set(DIVE_EUNAVAIL, "lost the state store connection: %s", msg);
	else if (state && (!strcmp(state, "40001") || !strcmp(state, "23505") || !strcmp(state, "23P01") ||
			   !strcmp(state, "40P01")))
		rc = dive_error_set(DIVE_ECONFLICT, "%s (SQLSTATE %s)", msg, state);
	else
		rc = dive_error_set(DIVE_EFAIL, "%s (SQLSTATE %s)", msg, state ? state : "?");
	PQclear(res);
	return rc;
}
