/*
 * bench_state.c - latency of one state transition over libpq on loopback.
 *
 * Creates a database of its own, migrates it, then cycles one instance
 * through INITIALIZING -> DEPLOYING -> CONFIGURING -> VERIFYING -> COMPLETE
 * -> INITIALIZING ... for N transitions, timing each state_transition()
 * (one statement: update with version check + history row).  Prints p50,
 * p90, p99 and max in microseconds.  Usage: bench_state [N] (default 5000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "dive/state.h"
#include "dive/store.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int admin(const char *base, const char *sql)
{
	PGconn *c = PQconnectdb(base);
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "bench: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const enum dive_state cycle[] = { DIVE_STATE_INITIALIZING, DIVE_STATE_DEPLOYING,
						 DIVE_STATE_CONFIGURING, DIVE_STATE_VERIFYING, DIVE_STATE_COMPLETE };
	const char *base = getenv("DIVE_STATE_URL");
	int n = argc > 1 ? atoi(argv[1]) : 5000, i, rc = 1;
	char db[64], sql[128], url[1024];
	struct state_change c = { 0 };
	struct store *s = NULL;
	long long *lat, v = 0;
	enum dive_state from = DIVE_STATE_UNKNOWN;

	if (!base || n < 10 || n > 1000000) {
		fprintf(stderr, "usage: DIVE_STATE_URL=... bench_state [N >= 10]\n");
		return 2;
	}
	snprintf(db, sizeof(db), "dive_bench_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	if (admin(base, sql) < 0)
		return 1;
	snprintf(url, sizeof(url), "%.*s/%s", (int)(strrchr(base, '/') - base), base, db);
	if (store_open(&s, url, STORE_MIGRATE) < 0) {
		fprintf(stderr, "bench: cannot open store\n");
		goto out;
	}
	lat = calloc((size_t)n, sizeof(*lat));
	c.code = "DEU";
	c.actor = "bench";
	for (i = 0; i < n; i++) {
		long long t0;

		c.from = from;
		c.version = v;
		c.to = cycle[i % 5];
		t0 = now_ns();
		if (state_transition(s, &c, &v) < 0) {
			fprintf(stderr, "bench: transition %d failed\n", i);
			goto out;
		}
		lat[i] = now_ns() - t0;
		from = c.to;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_ll);
	printf("state_transition over libpq, %d transitions: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n", n,
	       lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
	free(lat);
	rc = 0;
out:
	store_close(s);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
	admin(base, sql);
	return rc;
}
