/* itest_keycloak.c - admin token and realm list against the real Keycloak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dive/error.h"
#include "dive/keycloak.h"
#include "itest.h"

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static int teardown(void **state)
{
	curl_global_cleanup();
	return 0;
}

static void keycloak__admin_token_lists_the_master_realm(void **state)
{
	struct kc *kc = NULL;
	cJSON *names = NULL, *n;
	int master = 0;

	assert_int_equal(kc_open(&kc, itest_env("DIVE_KEYCLOAK_URL"), NULL), 0);
	assert_int_equal(kc_login(kc, itest_env("DIVE_KEYCLOAK_ADMIN_USER"),
				  itest_env("DIVE_KEYCLOAK_ADMIN_PASSWORD")), 0);
	assert_int_equal(kc_realm_names(kc, &names), 0);
	cJSON_ArrayForEach(n, names)
		master += !strcmp(n->valuestring, "master");
	assert_int_equal(master, 1);
	cJSON_Delete(names);
	kc_close(kc);
}

static void keycloak__wrong_password_is_refused_without_echoing_it(void **state)
{
	struct kc *kc = NULL;

	assert_int_equal(kc_open(&kc, itest_env("DIVE_KEYCLOAK_URL"), NULL), 0);
	assert_int_equal(kc_login(kc, itest_env("DIVE_KEYCLOAK_ADMIN_USER"), "not-the-password-7f3a"),
			 DIVE_EUSAGE);
	assert_null(strstr(dive_error_last(), "not-the-password-7f3a"));
	kc_close(kc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keycloak__admin_token_lists_the_master_realm),
		cmocka_unit_test(keycloak__wrong_password_is_refused_without_echoing_it),
	};

	return cmocka_run_group_tests_name("keycloak", tests, setup, teardown);
}
