/* test_buf.c - bounded buffers refuse to grow past their maximum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dive/buf.h"
#include "dive/error.h"
#include "dive/http.h"

static void buf__grows_up_to_its_maximum_and_no_further(void **state)
{
	struct dive_buf b;
	char chunk[100];

	memset(chunk, 'x', sizeof(chunk));
	dive_buf_init(&b, 250);
	assert_int_equal(dive_buf_add(&b, chunk, 100), 0);
	assert_int_equal(dive_buf_add(&b, chunk, 100), 0);
	assert_int_equal(dive_buf_add(&b, chunk, 100), DIVE_ETOOBIG);
	assert_int_equal(b.len, 200);
	assert_int_equal(strlen(dive_buf_str(&b)), 200);
	assert_int_equal(dive_buf_add(&b, chunk, 50), 0);
	assert_int_equal(dive_buf_add(&b, chunk, 1), DIVE_ETOOBIG);
	assert_int_equal(dive_buf_printf(&b, "%d", 7), DIVE_ETOOBIG);
	dive_buf_release(&b);
	assert_string_equal(dive_buf_str(&b), "");
}

static void buf__printf_appends(void **state)
{
	struct dive_buf b;

	dive_buf_init(&b, 1024);
	assert_int_equal(dive_buf_printf(&b, "%s-%d", "deu", 11), 0);
	assert_int_equal(dive_buf_adds(&b, "!"), 0);
	assert_string_equal(dive_buf_str(&b), "deu-11!");
	dive_buf_release(&b);
}

static void http__urlencodes_reserved_characters(void **state)
{
	struct dive_buf b;

	dive_buf_init(&b, 1024);
	assert_int_equal(http_urlencode(&b, "a b&c=d/é~"), 0);
	assert_string_equal(dive_buf_str(&b), "a%20b%26c%3Dd%2F%C3%A9~");
	dive_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf__grows_up_to_its_maximum_and_no_further),
		cmocka_unit_test(buf__printf_appends),
		cmocka_unit_test(http__urlencodes_reserved_characters),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
