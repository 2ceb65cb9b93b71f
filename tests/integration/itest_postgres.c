/* itest_postgres.c - libpq against the real PostgreSQL of tests/env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/pg.h"
#include "itest.h"

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
	};

	return cmocka_run_group_tests_name("postgres", tests, NULL, NULL);
}
