/* test_promtext.c - the Prometheus text format: escaping, values, families. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dive/buf.h"
#include "dive/error.h"
#include "dive/promtext.h"

static void promtext__escapes_label_values_and_help(void **state)
{
	const char *labels[] = { "code", "DEU", "message", "a \"quoted\"\\path\nnext", NULL };
	struct dive_buf b;

	dive_buf_init(&b, 4096);
	assert_int_equal(promtext_family(&b, "dive_x_total", "counter", "line one\nback\\slash"), 0);
	assert_int_equal(promtext_sample(&b, "dive_x_total", labels, NULL, NULL, 3), 0);
	assert_string_equal(dive_buf_str(&b), "# HELP dive_x_total line one\\nback\\\\slash\n"
					       "# TYPE dive_x_total counter\n"
					       "dive_x_total{code=\"DEU\",message=\"a \\\"quoted\\\"\\\\path\\nnext\"} 3\n");
	dive_buf_release(&b);
}

static void promtext__writes_values_exactly(void **state)
{
	char v[32];

	promtext_format_value(v, 120);
	assert_string_equal(v, "120");
	promtext_format_value(v, 0.5);
	assert_string_equal(v, "0.5");
	promtext_format_value(v, 1.0 / 0.0);
	assert_string_equal(v, "+Inf");
	promtext_format_value(v, -1.0 / 0.0);
	assert_string_equal(v, "-Inf");
	promtext_format_value(v, 0.0 / 0.0);
	assert_string_equal(v, "NaN");
	promtext_format_value(v, 1764660000.125);
	assert_string_equal(v, "1764660000.125");
}

static void promtext__adds_the_extra_label_and_no_braces_without_labels(void **state)
{
	const char *labels[] = { "phase", "deployment", NULL };
	struct dive_buf b;

	dive_buf_init(&b, 4096);
	promtext_sample(&b, "dive_phase_duration_seconds_bucket", labels, "le", "+Inf", 4);
	promtext_sample(&b, "dive_scrape_duration_seconds", NULL, NULL, NULL, 0.25);
	promtext_sample(&b, "dive_y", NULL, "le", "5", 1);
	assert_string_equal(dive_buf_str(&b), "dive_phase_duration_seconds_bucket{phase=\"deployment\",le=\"+Inf\"} 4\n"
					       "dive_scrape_duration_seconds 0.25\n"
					       "dive_y{le=\"5\"} 1\n");
	dive_buf_release(&b);
}

static void promtext__cuts_long_label_values_and_respects_the_buffer_cap(void **state)
{
	char value[PROMTEXT_LABEL_MAX * 2 + 1];
	const char *labels[] = { "k", value, NULL };
	struct dive_buf b;

	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	dive_buf_init(&b, 4096);
	promtext_sample(&b, "m", labels, NULL, NULL, 1);
	assert_int_equal(b.len, strlen("m{k=\"\"} 1\n") + PROMTEXT_LABEL_MAX);
	dive_buf_release(&b);
	dive_buf_init(&b, 16);
	assert_int_equal(promtext_family(&b, "dive_long_name_total", "counter", "help"), DIVE_ETOOBIG);
	dive_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(promtext__escapes_label_values_and_help),
		cmocka_unit_test(promtext__writes_values_exactly),
		cmocka_unit_test(promtext__adds_the_extra_label_and_no_braces_without_labels),
		cmocka_unit_test(promtext__cuts_long_label_values_and_respects_the_buffer_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
