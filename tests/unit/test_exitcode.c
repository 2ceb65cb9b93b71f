/* test_exitcode.c - docs/exit-codes.md and dive_exit_table agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/exitcode.h"

static void exitcode__document_matches_the_table(void **state)
{
	char path[1024], line[512], name[64];
	const struct dive_exit_info *e;
	int code, rows = 0, table_rows = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/exit-codes.md", getenv("DIVE_SOURCE_DIR"));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "| %d | %63[a-z-] |", &code, name) != 2)
			continue;
		rows++;
		for (e = dive_exit_table; e->name; e++)
			if (e->code == code)
				break;
		assert_non_null(e->name);
		assert_string_equal(e->name, name);
		assert_non_null(strstr(line, e->meaning));
	}
	fclose(f);
	for (e = dive_exit_table; e->name; e++)
		table_rows++;
	assert_int_equal(rows, table_rows);
}

static void exitcode__maps_errors_to_codes(void **state)
{
	assert_int_equal(dive_exit_from_err(DIVE_OK), 0);
	assert_int_equal(dive_exit_from_err(DIVE_EUSAGE), 2);
	assert_int_equal(dive_exit_from_err(DIVE_EUNHEALTHY), 3);
	assert_int_equal(dive_exit_from_err(DIVE_ELOCKED), 4);
	assert_int_equal(dive_exit_from_err(DIVE_EDRIFT), 5);
	assert_int_equal(dive_exit_from_err(DIVE_ECONFLICT), 6);
	assert_int_equal(dive_exit_from_err(DIVE_EUNAVAIL), 7);
	assert_int_equal(dive_exit_from_err(DIVE_ECIRCUIT), 7);
	assert_int_equal(dive_exit_from_err(DIVE_ETLS), 8);
	assert_int_equal(dive_exit_from_err(DIVE_ENOTIMPL), 69);
	assert_int_equal(dive_exit_from_err(DIVE_EINTR), 130);
	assert_int_equal(dive_exit_from_err(DIVE_EFAIL), 1);
	assert_int_equal(dive_exit_from_err(-999), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exitcode__document_matches_the_table),
		cmocka_unit_test(exitcode__maps_errors_to_codes),
	};

	return cmocka_run_group_tests_name("exitcode", tests, NULL, NULL);
}
