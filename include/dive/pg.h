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

/* The SQLSTATE of the last failed pg_exec on this thread, or "". */
const char *pg_last_sqlstate(void);

/* Run a fixed statement without parameters (BEGIN, COMMIT, ROLLBACK). */
int pg_command(PGconn *conn, const char *sql);

#endif
