/* itest_opa.c - OPA's /health against the real server of tests/env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dive/error.h"
#include "dive/opa.h"
#include "itest.h"

static void opa__health_answers(void **state)
{
	assert_int_equal(opa_health(NULL, itest_env("DIVE_OPA_URL")), 0);
}

static void opa__closed_port_is_unavailable(void **state)
{
	assert_int_equal(opa_health(NULL, "http://127.0.0.1:1"), DIVE_EUNAVAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opa__health_answers),
		cmocka_unit_test(opa__closed_port_is_unavailable),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("opa", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
