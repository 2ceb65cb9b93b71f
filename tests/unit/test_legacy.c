/* test_legacy.c - the predecessor's <code>.state files: parse, refuse, and never leak on refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/legacy.h"

static void legacy__parses_state_reason_and_metadata(void **state)
{
	static const char text[] = "state=COMPLETE\ntimestamp=2026-01-17T03:07:00Z\nreason=deployed\n"
				   "metadata={\"mode\": \"deploy\"}\n";
	struct legacy_state ls;

	(void)state;
	assert_int_equal(legacy_state_parse(&ls, text, sizeof(text) - 1), 0);
	assert_string_equal(ls.reason, "deployed");
	assert_string_equal(ls.metadata, "{\"mode\":\"deploy\"}");
	legacy_state_release(&ls);
}

/* Metadata read before the refusal is freed (ASan's leak check fails otherwise). */
static void legacy__refuses_metadata_without_state_and_frees_it(void **state)
{
	static const char text[] = "metadata={}\n";
	struct legacy_state ls;

	(void)state;
	assert_int_equal(legacy_state_parse(&ls, text, sizeof(text) - 1), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "no state= line"));
	assert_null(ls.metadata);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(legacy__parses_state_reason_and_metadata),
		cmocka_unit_test(legacy__refuses_metadata_without_state_and_frees_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
