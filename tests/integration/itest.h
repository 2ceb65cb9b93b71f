/*
 * itest.h - what every integration test shares: settings from the
 * environment written by tests/env/up (tests/run sources tests/env/.env).
 * A missing setting fails the test: integration tests never skip silently.
 */
#ifndef DIVE_ITEST_H
#define DIVE_ITEST_H

#include <stdio.h>
#include <stdlib.h>

static inline const char *itest_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s is not set: run tests/env/up and source tests/env/.env\n", name);
		fail();
	}
	return v;
}

#endif

#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libpq-fe.h>

/* A loopback port nothing listens on now, for a private server (the kernel's pick, released at once). */
static inline int itest_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * A database of the test's own: created from DIVE_STATE_URL, dropped by
 * itest_drop_db().  Returns the URL of the new database (static storage).
 */
static char itest_db_url[1024];
static char itest_db_name[64];

static inline PGconn *itest_admin(void)
{
	PGconn *c = PQconnectdb(itest_env("DIVE_STATE_URL"));

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to DIVE_STATE_URL: %s\n", PQerrorMessage(c));
		fail();
	}
	return c;
}

static inline const char *itest_new_db(const char *tag)
{
	const char *base = itest_env("DIVE_STATE_URL");
	const char *slash = strrchr(base, '/');
	PGconn *c = itest_admin();
	char sql[160];
	PGresult *r;

	PQclear(PQexec(c, "SET client_min_messages = warning"));
	snprintf(itest_db_name, sizeof(itest_db_name), "dive_t_%s_%d", tag, (int)getpid());
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", itest_db_name);
	PQclear(PQexec(c, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", itest_db_name);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "cannot create %s: %s\n", itest_db_name, PQerrorMessage(c));
		fail();
	}
	PQclear(r);
	PQfinish(c);
	snprintf(itest_db_url, sizeof(itest_db_url), "%.*s/%s", (int)(slash - base), base, itest_db_name);
	return itest_db_url;
}

static inline void itest_drop_db(void)
{
	PGconn *c;
	char sql[160];

	if (!itest_db_name[0])
		return;
	c = itest_admin();
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", itest_db_name);
	PQclear(PQexec(c, sql));
	PQfinish(c);
	itest_db_name[0] = '\0';
}
