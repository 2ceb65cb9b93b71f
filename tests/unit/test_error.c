/* test_error.c - the last-error slot: save, restore and wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dive/error.h"

static void error__wrap_puts_the_old_message_after_the_new_one_once(void **state)
{
	dive_error_set(DIVE_EUNAVAIL, "cannot connect to 'http://localhost/_ping': refused");
	dive_error_set_code(1201);
	assert_int_equal(dive_error_wrap(DIVE_EUNAVAIL, "docker engine unreachable"), DIVE_EUNAVAIL);
	assert_string_equal(dive_error_last(), "docker engine unreachable: cannot connect to 'http://localhost/_ping': refused");
	assert_int_equal(dive_error_last_code(), 1201);
	assert_int_equal(dive_error_last_err(), DIVE_EUNAVAIL);

	/* twice: each layer adds its words in front */
	dive_error_wrap(DIVE_ELOCKED, "lost lock '%s'", "instance:DEU");
	assert_string_equal(dive_error_last(), "lost lock 'instance:DEU': docker engine unreachable: cannot connect to "
					       "'http://localhost/_ping': refused");
	assert_int_equal(dive_error_last_err(), DIVE_ELOCKED);
}

static void error__wrap_of_nothing_is_the_new_message_alone(void **state)
{
	dive_error_clear();
	dive_error_wrap(DIVE_EFAIL, "cannot %s", "build");
	assert_string_equal(dive_error_last(), "cannot build");
	assert_int_equal(dive_error_last_code(), 0);
}

static void error__a_long_message_is_cut_not_overrun(void **state)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dive_error_set(DIVE_EFAIL, "%s", big);
	assert_int_equal(strlen(dive_error_last()), DIVE_ERROR_MAX - 1);
	dive_error_wrap(DIVE_EFAIL, "prefix");
	assert_int_equal(strlen(dive_error_last()), DIVE_ERROR_MAX - 1);
	assert_memory_equal(dive_error_last(), "prefix: xxx", 11);
}

static void error__restore_brings_back_message_code_and_value(void **state)
{
	struct dive_error_saved saved;

	dive_error_set(DIVE_ECONFLICT, "'DEU' is no longer DEPLOYING");
	dive_error_set_code(1301);
	dive_error_save(&saved);
	dive_error_set(DIVE_EFAIL, "a cleanup failed too");
	assert_int_equal(dive_error_restore(&saved), DIVE_ECONFLICT);
	assert_string_equal(dive_error_last(), "'DEU' is no longer DEPLOYING");
	assert_int_equal(dive_error_last_code(), 1301);
	assert_int_equal(dive_error_last_err(), DIVE_ECONFLICT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error__wrap_puts_the_old_message_after_the_new_one_once),
		cmocka_unit_test(error__wrap_of_nothing_is_the_new_message_alone),
		cmocka_unit_test(error__a_long_message_is_cut_not_overrun),
		cmocka_unit_test(error__restore_brings_back_message_code_and_value),
	};

	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
