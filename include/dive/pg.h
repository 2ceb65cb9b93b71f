/*
 * pg.h - libpq connections for the state store and its locks.
 *
 * pg_connect() opens a connection with a connect timeout and TCP keepalives
 * (so a holder cut off by the network is noticed) and refuses anything that
 * is not a PostgreSQL URI or key=value string of bounded length.  SQL runs
 * only through PQexecParams with placeholders: see pg_exec().
 */
#ifndef DIVE_PG_H
#define DIVE_PG_H

#include <libpq-fe.h>

int pg_connect(PGconn **out, const char *url, const char *application_name);
void pg_close(PGconn *conn);

/*
 * Run one parameterised statement.  On success *out (if not NULL) holds the
 * result, which the caller PQclear()s; on failure the message names the
 * SQLSTATE.  DIVE_ECONFLICT for serialization/unique/exclusion failures,
 * DIVE_EUNAVAIL when the connection is gone, DIVE_EFAIL otherwise.
 */
int pg_exec(PGconn *conn, PGresult **out, const char *sql, int nparams, const char *const *params);

/*
 * The same for a statement that may run twice with the same effect (an
 * upsert keyed by its idempotency key, an UPDATE to fixed values).
 */
int pg_exec_idempotent(PGconn *conn, PGresult **out, const char *sql, int nparams, const char *const *params);

/*
 * Reconnecting.  A connection marked with pg_set_reconnect() (the state
 * store's, never a lock's: a new session would not hold the lock) survives
 * a server restart: found broken, it is re-established with PQreset()
 * (backing off from 200 ms to 2 s, for at most PG_RECONNECT_BUDGET_MS) and
 * the statement is sent on the new session.  A statement the session ended
 * under runs again only outside a transaction and only when that is safe:
 * it is a SELECT or run with pg_exec_idempotent(), or the server said it
 * ended the session before reading it (SQLSTATE class 57P).  Inside a
 * transaction the error goes back to the caller (the transaction is gone;
 * the next statement finds the new session).  An unreachable store is
 * DIVE_EUNAVAIL with ERRC_STATE_UNREACHABLE.  pg_reconnects() counts the
 * sessions re-established in this process.
 */
#define PG_RECONNECT_BUDGET_MS 30000
void pg_set_reconnect(PGconn *conn, int on);
unsigned long pg_reconnects(void);

/* The SQLSTATE of the last failed pg_exec on this thread, or "". */
const char *pg_last_sqlstate(void);

/* Run a fixed statement without parameters (BEGIN, COMMIT, ROLLBACK). */
int pg_command(PGconn *conn, const char *sql);

#endif
