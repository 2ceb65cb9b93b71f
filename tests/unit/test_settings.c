/*
 * test_settings.c - the one settings parser, on a table of its own, and the
 * environment rows.  Retry and breaker tables have their own tests
 * (test_retry.c, test_breaker.c) through the same parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/settings.h"

struct pump {
	const char *name;
	int strokes;
	long delay_ms;
	double ratio;
	int mode;
};

static const char *const modes[] = { "slow", "fast", NULL };

static const struct settings_key keys[] = {
	{ "strokes", SETTINGS_INT, offsetof(struct pump, strokes), 1, 10, NULL, "strokes" },
	{ "delay_ms", SETTINGS_LONG, offsetof(struct pump, delay_ms), 0, 60000, NULL, "delay" },
	{ "ratio", SETTINGS_DOUBLE, offsetof(struct pump, ratio), 0.5, 2, NULL, "ratio" },
	{ "mode", SETTINGS_CHOICE, offsetof(struct pump, mode), 0, 0, modes, "mode" },
};

static const struct pump defaults[] = {
	{ "left", 3, 100, 1.0, 0 },
	{ "right", 5, 200, 1.5, 1 },
};

static int check_row(const void *row)
{
	const struct pump *p = row;

	if (p->strokes > 5 && p->mode == 0)
		return dive_error_set(DIVE_EUSAGE, "pump class '%s': more than 5 strokes need mode fast", p->name);
	return 0;
}

static const struct settings_schema schema = {
	.what = "pump",
	.env = "DIVE_RETRY", /* a row of the environment table; the test sets and unsets it */
	.keys = keys,
	.nkeys = 4,
	.defaults = defaults,
	.nrows = 2,
	.row_size = sizeof(struct pump),
	.name_offset = offsetof(struct pump, name),
	.check = check_row,
};

static struct pump rows[2];
static struct settings_table table = SETTINGS_TABLE_INIT(&schema, rows);

static int setup(void **state)
{
	unsetenv("DIVE_RETRY");
	settings_reset(&table);
	dive_error_clear();
	return 0;
}

static const struct pump *row(size_t i)
{
	const void *r;

	assert_int_equal(settings_rows(&table, &r), 0);
	return (const struct pump *)r + i;
}

static void settings__applies_every_type_by_name_and_class(void **state)
{
	assert_int_equal(settings_override(&table, " left.strokes=4 , right.delay_ms=0,left.ratio=0.75,left.mode=fast"), 0);
	assert_int_equal(row(0)->strokes, 4);
	assert_int_equal(row(0)->mode, 1);
	assert_true(row(0)->ratio == 0.75);
	assert_int_equal(row(1)->delay_ms, 0);
	assert_int_equal(row(1)->strokes, 5);
	/* the built-in rows never change */
	assert_int_equal(defaults[0].strokes, 3);
	assert_int_equal(settings_override(&table, ""), 0);
	assert_int_equal(settings_override(&table, NULL), 0);
}

static void settings__a_bad_spec_changes_nothing_and_says_what(void **state)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "left.strokes=0", "pump setting 'left.strokes=0': strokes takes a whole number from 1 to 10" },
		{ "left.strokes=+3", "pump setting 'left.strokes=+3': strokes takes a whole number from 1 to 10" },
		{ "left.ratio=nan", "pump setting 'left.ratio=nan': ratio takes a number from 0.5 to 2" },
		{ "left.mode=turbo", "pump setting 'left.mode=turbo': mode is one of slow, fast" },
		{ "middle.strokes=2", "pump setting 'middle.strokes=2': 'middle' is not a pump class (left, right)" },
		{ "left.torque=2", "pump setting 'left.torque=2': 'torque' is not a key (strokes, delay_ms, ratio, mode)" },
		{ "left.strokes", "pump setting 'left.strokes' is not CLASS.KEY=VALUE" },
		{ "left.strokes=2,,right.strokes=2", "pump setting 2 is empty" },
		{ "left.strokes=8", "pump class 'left': more than 5 strokes need mode fast" },
		{ "left.mode=fast,left.strokes=2,right.delay_ms=70000", NULL }, /* the good part is not applied either */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(settings_override(&table, bad[i].spec), DIVE_EUSAGE);
		assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
		if (bad[i].msg)
			assert_string_equal(dive_error_last(), bad[i].msg);
		assert_memory_equal(rows, defaults, sizeof(rows));
	}
}

static void settings__control_characters_are_refused_and_never_echoed(void **state)
{
	assert_int_equal(settings_override(&table, "left.mode=\x1b[2Jfast"), DIVE_EUSAGE);
	assert_string_equal(dive_error_last(), "pump settings have a control character or a byte that is not UTF-8 at "
					       "offset 10");
	assert_int_equal(settings_override(&table, "left.strokes=2,\tright.strokes=2"), DIVE_EUSAGE);
	assert_null(strchr(dive_error_last(), '\t'));
	/* a long bad item is cut in the message */
	{
		char spec[300];

		memset(spec, 'a', sizeof(spec) - 1);
		spec[sizeof(spec) - 1] = '\0';
		assert_int_equal(settings_override(&table, spec), DIVE_EUSAGE);
		assert_true(strlen(dive_error_last()) < 150);
		assert_non_null(strstr(dive_error_last(), "...' is not CLASS.KEY=VALUE"));
	}
}

static void settings__the_environment_is_read_once_and_a_bad_one_is_reported_every_time(void **state)
{
	setenv("DIVE_RETRY", "right.strokes=2", 1);
	settings_reset(&table);
	assert_int_equal(row(1)->strokes, 2);
	setenv("DIVE_RETRY", "right.strokes=3", 1); /* read once: no change */
	assert_int_equal(row(1)->strokes, 2);
	assert_int_equal(settings_override(&table, "right.strokes=4"), 0); /* an override comes after it */
	assert_int_equal(row(1)->strokes, 4);

	setenv("DIVE_RETRY", "right.strokes=many", 1);
	settings_reset(&table);
	assert_int_equal(settings_load_env(&table), DIVE_EUSAGE);
	assert_string_equal(dive_error_last(), "DIVE_RETRY: pump setting 'right.strokes=many': strokes takes a whole "
					       "number from 1 to 10");
	dive_error_clear();
	assert_int_equal(settings_load_env(&table), DIVE_EUSAGE);
	assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
	assert_memory_equal(rows, defaults, sizeof(rows));
	unsetenv("DIVE_RETRY");
}

static void settings__every_environment_variable_is_a_row_and_checked(void **state)
{
	size_t i, j;

	for (i = 0; i < settings_env_count(); i++) {
		const struct settings_env *e = settings_env_at(i);

		assert_non_null(e->help);
		assert_true(e->max_len > 0);
		assert_true(!strncmp(e->name, "DIVE_", 5) || !strcmp(e->name, "DOCKER_HOST") ||
			    !strcmp(e->name, "NO_COLOR") || !strcmp(e->name, "VAULT_TOKEN") || !strcmp(e->name, "CI"));
		for (j = 0; j < i; j++)
			assert_string_not_equal(settings_env_at(j)->name, e->name);
	}
	assert_null(settings_env_at(settings_env_count()));
	/* a name that is not a row is never read */
	setenv("DIVE_NOT_A_SETTING", "x", 1);
	assert_null(settings_getenv("DIVE_NOT_A_SETTING"));
	unsetenv("DIVE_NOT_A_SETTING");

	setenv("DIVE_STACKS_DIR", "", 1);
	assert_null(settings_getenv("DIVE_STACKS_DIR")); /* empty is unset */
	assert_int_equal(settings_env_check(), 0);
	setenv("DIVE_STACKS_DIR", "/srv/stacks\n/etc", 1);
	assert_int_equal(settings_env_check(), DIVE_EUSAGE);
	assert_string_equal(dive_error_last(), "DIVE_STACKS_DIR has a control character or a byte that is not UTF-8 "
					       "at offset 11");
	unsetenv("DIVE_STACKS_DIR");

	/* too long, and the value (which may hold a password) is not repeated */
	{
		char *url = malloc(3000);

		memset(url, 'p', 2999);
		url[2999] = '\0';
		memcpy(url, "postgresql://u:Hunter2@h/", 25);
		setenv("DIVE_STATE_URL", url, 1);
		assert_int_equal(settings_env_check(), DIVE_EUSAGE);
		assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
		assert_null(strstr(dive_error_last(), "Hunter2"));
		assert_non_null(strstr(dive_error_last(), "DIVE_STATE_URL is longer than"));
		unsetenv("DIVE_STATE_URL");
		free(url);
	}
	assert_int_equal(settings_env_check(), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, setup)
	const struct CMUnitTest tests[] = {
		T(settings__applies_every_type_by_name_and_class),
		T(settings__a_bad_spec_changes_nothing_and_says_what),
		T(settings__control_characters_are_refused_and_never_echoed),
		T(settings__the_environment_is_read_once_and_a_bad_one_is_reported_every_time),
		T(settings__every_environment_variable_is_a_row_and_checked),
	};
#undef T

	return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
