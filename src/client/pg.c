/* pg.c - libpq connections with timeouts and keepalives (see pg.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/interrupt.h"
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

/* Set when the server says, between statements, that it ends this thread's session (read by exec()). */
static _Thread_local int session_ended;

/*
 * Server notices (a migration's "already exists, skipping") are not the
 * user's business: debug only.  A FATAL one arriving while idle is the
 * server's goodbye (shutdown, pg_terminate_backend): libpq hands it here.
 */
static void on_notice(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	(void)arg;
	if ((sev && !strcmp(sev, "FATAL")) || (state && !strncmp(state, "57P", 3)))
		session_ended = 1;
	dive_debug("postgres: %.200s", PQresultErrorMessage(r));
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
	PQsetNoticeReceiver(c, on_notice, NULL);
	*out = c;
	return 0;
}

void pg_close(PGconn *conn)
{
	if (conn)
		PQfinish(conn);
}

/* --- reconnecting (see pg.h) ---------------------------------------------- */

#define PG_RECONNECT_MAX 8

static pthread_mutex_t reconnect_mu = PTHREAD_MUTEX_INITIALIZER;
static PGconn *reconnecting[PG_RECONNECT_MAX];
static unsigned long reconnects;

void pg_set_reconnect(PGconn *conn, int on)
{
	int i, free_slot = -1;

	pthread_mutex_lock(&reconnect_mu);
	for (i = 0; i < PG_RECONNECT_MAX; i++) {
		if (reconnecting[i] == conn) {
			if (!on)
				reconnecting[i] = NULL;
			goto out;
		}
		if (!reconnecting[i] && free_slot < 0)
			free_slot = i;
	}
	if (on && free_slot >= 0)
		reconnecting[free_slot] = conn;
out:
	pthread_mutex_unlock(&reconnect_mu);
}

static int reconnectable(PGconn *conn)
{
	int i, yes = 0;

	pthread_mutex_lock(&reconnect_mu);
	for (i = 0; i < PG_RECONNECT_MAX && !yes; i++)
		yes = reconnecting[i] == conn;
	pthread_mutex_unlock(&reconnect_mu);
	return yes;
}

unsigned long pg_reconnects(void)
{
	unsigned long n;

	pthread_mutex_lock(&reconnect_mu);
	n = reconnects;
	pthread_mutex_unlock(&reconnect_mu);
	return n;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* PQreset until it takes or PG_RECONNECT_BUDGET_MS is spent (a signal ends it early). */
static int reconnect(PGconn *conn)
{
	long long deadline = mono_ms() + PG_RECONNECT_BUDGET_MS;
	long backoff = 200;

	for (;;) {
		PQreset(conn);
		if (PQstatus(conn) == CONNECTION_OK) {
			pthread_mutex_lock(&reconnect_mu);
			reconnects++;
			pthread_mutex_unlock(&reconnect_mu);
			dive_info("the state store connection was lost and is back");
			return 0;
		}
		if (mono_ms() + backoff > deadline || dive_interrupt_sleep_ms(backoff))
			return -1;
		if (backoff < 2000)
			backoff *= 2;
	}
}

static int select_only(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '(')
		sql++;
	return !strncmp(sql, "SELECT ", 7);
}

static int exec(PGconn *conn, PGresult **out, const char *sql, int nparams, const char *const *params, int idem)
{
	PGresult *res;
	ExecStatusType st;
	PGTransactionStatusType tx;
	const char *state;
	char msg[512];
	int rc = 0, lost, again = reconnectable(conn);

	if (out)
		*out = NULL;
	/*
	 * Found broken before anything was sent: nothing ran, so whatever it is,
	 * send it on a new session.  PQconsumeInput() reads, without waiting,
	 * what an ended session left.
	 */
	session_ended = 0;
	if (again && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE) {
		/* the goodbye (parsed by PQisBusy, handed to on_notice), or the end of file */
		if (PQconsumeInput(conn) && !PQisBusy(conn) && !session_ended)
			PQconsumeInput(conn);
	}
	if (again && (session_ended || PQstatus(conn) == CONNECTION_BAD) && reconnect(conn) < 0) {
		chomp_message(msg, sizeof(msg), PQerrorMessage(conn));
		rc = dive_error_set(DIVE_EUNAVAIL, "the state store is unreachable: %s", msg);
		dive_error_set_code(ERRC_STATE_UNREACHABLE);
		return rc;
	}
	tx = PQtransactionStatus(conn);
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	lost = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && PQstatus(conn) == CONNECTION_BAD;
	if (lost && again) {
		/*
		 * The session ended under the statement.  Outside a transaction it
		 * runs again on a new session when that is safe: it is idempotent,
		 * or the server said it ended the session (SQLSTATE 57P..) before
		 * reading it.  Inside one, the transaction is gone: the caller hears.
		 */
		state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		if (reconnect(conn) == 0 && tx == PQTRANS_IDLE && (idem || (state && !strncmp(state, "57P", 3)))) {
			PQclear(res);
			res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
			st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
			lost = PQstatus(conn) == CONNECTION_BAD;
		}
	}
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
	if (lost || PQstatus(conn) != CONNECTION_OK || (state && !strncmp(state, "57P", 3))) {
		rc = dive_error_set(DIVE_EUNAVAIL, "lost the state store connection: %s", msg);
		dive_error_set_code(ERRC_STATE_UNREACHABLE);
	} else if (state && (!strcmp(state, "40001") || !strcmp(state, "23505") || !strcmp(state, "23P01") ||
			   !strcmp(state, "40P01"))) {
		rc = dive_error_set(DIVE_ECONFLICT, "%s (SQLSTATE %s)", msg, state);
	} else {
		rc = dive_error_set(DIVE_EFAIL, "%s (SQLSTATE %s)", msg, state ? state : "?");
	}
	PQclear(res);
	return rc;
}

int pg_exec(PGconn *conn, PGresult **out, const char *sql, int nparams, const char *const *params)
{
	return exec(conn, out, sql, nparams, params, select_only(sql));
}

int pg_exec_idempotent(PGconn *conn, PGresult **out, const char *sql, int nparams, const char *const *params)
{
	return exec(conn, out, sql, nparams, params, 1);
}
