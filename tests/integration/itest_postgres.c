/* itest_postgres.c - libpq against the real PostgreSQL of tests/env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <string.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/pg.h"
#include "itest.h"

/* End c's session from another one, as a server restart or an operator would, and wait until it is gone. */
static void terminate(PGconn *c)
{
	char pid[16];
	const char *params[1] = { pid };
	PGconn *admin = NULL;
	PGresult *res = NULL;
	int i, gone = 0;

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(c));
	assert_int_equal(pg_connect(&admin, itest_env("DIVE_STATE_URL"), "dive-itest-admin"), 0);
	assert_int_equal(pg_exec(admin, NULL, "SELECT pg_terminate_backend($1::int)", 1, params), 0);
	for (i = 0; i < 100 && !gone; i++) {
		assert_int_equal(pg_exec(admin, &res, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", 1,
					 params), 0);
		gone = !strcmp(PQgetvalue(res, 0, 0), "0");
		PQclear(res);
		if (!gone)
			usleep(20000);
	}
	assert_true(gone);
	pg_close(admin);
	/* and until its end reached c's socket (the backend leaves pg_stat_activity a moment before it exits) */
	{
		struct pollfd pfd = { PQsocket(c), POLLIN, 0 };

		assert_int_equal(poll(&pfd, 1, 5000), 1);
	}
}

static long count_rows(PGconn *c, const char *table)
{
	char sql[128];
	PGresult *res = NULL;
	long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(pg_exec(c, &res, sql, 0, NULL), 0);
	n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static void postgres__a_store_connection_survives_its_session_ending(void **state)
{
	char table[64], sql[160];
	PGconn *c = NULL;
	unsigned long before = pg_reconnects();
	int pid;

	snprintf(table, sizeof(table), "dive_itest_reconnect_%d", (int)getpid());
	assert_int_equal(pg_connect(&c, itest_env("DIVE_STATE_URL"), "dive-itest"), 0);
	pg_set_reconnect(c, 1);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (n int)", table);
	assert_int_equal(pg_command(c, sql), 0);

	/* idle when it ended: a SELECT goes to a new session */
	pid = PQbackendPID(c);
	terminate(c);
	assert_int_equal(pg_command(c, "SELECT 1"), 0);
	assert_int_not_equal(PQbackendPID(c), pid);
	assert_true(pg_reconnects() > before);

	/* an INSERT the ended session never read runs once, on the new session */
	terminate(c);
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (1)", table);
	assert_int_equal(pg_command(c, sql), 0);
	assert_int_equal(count_rows(c, table), 1);

	/* inside a transaction the caller hears: the transaction is gone, nothing of it stays */
	assert_int_equal(pg_command(c, "BEGIN"), 0);
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (2)", table);
	assert_int_equal(pg_command(c, sql), 0);
	terminate(c);
	assert_int_equal(pg_command(c, sql), DIVE_EUNAVAIL);
	assert_int_equal(dive_error_last_code(), ERRC_STATE_UNREACHABLE);
	assert_int_equal(count_rows(c, table), 1);

	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	assert_int_equal(pg_command(c, sql), 0);
	pg_set_reconnect(c, 0);
	pg_close(c);
}

static void postgres__an_unmarked_connection_is_not_reconnected(void **state)
{
	PGconn *c = NULL;
	unsigned long before = pg_reconnects();

	/* a lock's connection: a new session would not hold the lock, so it stays lost */
	assert_int_equal(pg_connect(&c, itest_env("DIVE_STATE_URL"), "dive-lock"), 0);
	terminate(c);
	assert_int_equal(pg_command(c, "SELECT 1"), DIVE_EUNAVAIL);
	assert_int_equal(pg_command(c, "SELECT 1"), DIVE_EUNAVAIL);
	assert_int_equal(pg_reconnects(), before);
	pg_close(c);
}

static void postgres__runs_a_parameterised_query(void **state)
{
	const char *params[] = { "41", "DEU'; DROP TABLE x; --" };
	PGconn *c = NULL;
	PGresult *res = NULL;

	assert_int_equal(pg_connect(&c, itest_env("DIVE_STATE_URL"), "dive-itest"), 0);
	assert_int_equal(pg_exec(c, &res, "SELECT $1::int + 1, $2::text, current_setting('application_name')",
				 2, params), 0);
	assert_string_equal(PQgetvalue(res, 0, 0), "42");
	/* a hostile string is data, not SQL */
	assert_string_equal(PQgetvalue(res, 0, 1), params[1]);
	assert_string_equal(PQgetvalue(res, 0, 2), "dive-itest");
	PQclear(res);
	pg_close(c);
}

static void postgres__reports_sql_errors_with_sqlstate(void **state)
{
	PGconn *c = NULL;

	assert_int_equal(pg_connect(&c, itest_env("DIVE_STATE_URL"), NULL), 0);
	assert_int_equal(pg_exec(c, NULL, "SELECT * FROM no_such_table_dive", 0, NULL), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "42P01"));
	pg_close(c);
}

static void postgres__refuses_bad_urls_and_unreachable_servers(void **state)
{
	PGconn *c = NULL;

	assert_int_equal(pg_connect(&c, "", NULL), DIVE_EUSAGE);
	assert_int_equal(pg_connect(&c, "mysql://x", NULL), DIVE_EUSAGE);
	assert_int_equal(pg_connect(&c, "postgresql://dive@127.0.0.1:1/none", NULL), DIVE_EUNAVAIL);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postgres__runs_a_parameterised_query),
		cmocka_unit_test(postgres__reports_sql_errors_with_sqlstate),
		cmocka_unit_test(postgres__refuses_bad_urls_and_unreachable_servers),
		cmocka_unit_test(postgres__a_store_connection_survives_its_session_ending),
		cmocka_unit_test(postgres__an_unmarked_connection_is_not_reconnected),
	};

	return cmocka_run_group_tests_name("postgres", tests, NULL, NULL);
}
