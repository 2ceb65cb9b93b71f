/* test_country.c - the country table and the parsing of codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"

/* Parse input expecting a usage error; returns the message. */
static const char *refused(const char *input)
{
	const struct dive_country *c = (const void *)1;

	dive_error_clear();
	assert_int_equal(country_parse(&c, input), DIVE_EUSAGE);
	assert_null(c);
	assert_int_equal(dive_error_last_err(), DIVE_EUSAGE);
	assert_int_equal(dive_exit_from_err(DIVE_EUSAGE), DIVE_EXIT_USAGE);
	return dive_error_last();
}

static void country__table_has_the_hub_31_nato_members_and_6_partners(void **state)
{
	size_t i, j;

	assert_int_equal(country_count(), 38);
	assert_null(country_at(38));
	for (i = 0; i < country_count(); i++) {
		const struct dive_country *c = country_at(i);

		assert_non_null(c);
		assert_int_equal(c->index, (int)i);
		if (i == 0)
			assert_int_equal(c->kind, DIVE_COUNTRY_HUB);
		else if (i <= 31)
			assert_int_equal(c->kind, DIVE_COUNTRY_NATO);
		else
			assert_int_equal(c->kind, DIVE_COUNTRY_PARTNER);
		assert_int_equal(strlen(c->code), 3);
		for (j = 0; j < 3; j++)
			assert_true(c->code[j] >= 'A' && c->code[j] <= 'Z');
		assert_true(strlen(c->name) > 0);
		for (j = 0; c->name[j]; j++)
			assert_true(c->name[j] >= 0x20 && c->name[j] < 0x7f);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(country_at(j)->code, c->code);
			assert_string_not_equal(country_at(j)->name, c->name);
		}
	}
	assert_string_equal(country_at(0)->code, "USA");
	assert_string_equal(country_at(11)->code, "DEU");
	assert_string_equal(country_at(11)->name, "Germany");
	assert_string_equal(country_at(21)->name, "North Macedonia");
	assert_string_equal(country_at(31)->code, "GBR");
	assert_string_equal(country_at(32)->code, "AUS");
	assert_string_equal(country_at(37)->code, "UKR");
}

static void country__every_code_parses_in_any_case(void **state)
{
	size_t i, j;

	for (i = 0; i < country_count(); i++) {
		const struct dive_country *want = country_at(i), *got = NULL;
		char lower[4], mixed[4];

		country_lower(lower, want);
		for (j = 0; j < 3; j++)
			assert_int_equal(lower[j], want->code[j] - 'A' + 'a');
		assert_int_equal(lower[3], '\0');
		memcpy(mixed, want->code, 4);
		mixed[1] = lower[1];

		assert_int_equal(country_parse(&got, want->code), 0);
		assert_ptr_equal(got, want);
		assert_int_equal(country_parse(&got, lower), 0);
		assert_ptr_equal(got, want);
		assert_int_equal(country_parse(&got, mixed), 0);
		assert_ptr_equal(got, want);
		assert_ptr_equal(country_find(lower), want);
	}
}

static void country__lower_gives_the_part_of_object_names(void **state)
{
	char name[64], lower[4];

	country_lower(lower, country_find("DEU"));
	snprintf(name, sizeof(name), "dive-spoke-%s-keycloak", lower);
	assert_string_equal(name, "dive-spoke-deu-keycloak");
	country_lower(lower, NULL);
	assert_string_equal(lower, "");
}

static void country__find_is_exact_and_quiet(void **state)
{
	dive_error_clear();
	assert_non_null(country_find("GBR"));
	assert_null(country_find("XYZ"));
	assert_null(country_find("DEUX"));
	assert_null(country_find("DE"));
	assert_null(country_find(""));
	assert_null(country_find(NULL));
	assert_null(country_find(" DEU"));
	assert_string_equal(dive_error_last(), "");
}

static void country__rejects_unknown_codes(void **state)
{
	assert_string_equal(refused("XYZ"), "unknown country code 'XYZ'; see 'dive spoke list-countries'");
	assert_non_null(strstr(refused("qqq"), "unknown country code 'qqq'"));
}

static void country__suggests_the_closest_code(void **state)
{
	assert_string_equal(refused("DEX"), "unknown country code 'DEX'; did you mean 'DEU'?");
	assert_string_equal(refused("edu"), "unknown country code 'edu'; did you mean 'DEU'?");
	assert_string_equal(refused("germany"),
			    "invalid country code 'germany': expected three letters; did you mean 'DEU'?");
	assert_non_null(strstr(refused("North Macedonia"), "did you mean 'MKD'?"));
}

static void country__rejects_malformed_input(void **state)
{
	static const char *const bad[] = {
		"DE", "DEUU", "D3U", "DE ", " DEU", "DEU\n", "D-U", "D\xc3\x9cU", "123",
	};
	size_t i;

	assert_non_null(strstr(refused(""), "missing country code"));
	assert_non_null(strstr(refused(NULL), "missing country code"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(strstr(refused(bad[i]), "invalid country code '"));
	assert_non_null(strstr(refused("D\xc3\x9cU"), "'D\\xc3\\x9cU'"));
}

/* Every byte printable, and no more than 16 input characters echoed. */
static void assert_tame(const char *msg, size_t max_len)
{
	size_t i;

	assert_true(strlen(msg) <= max_len);
	for (i = 0; msg[i]; i++)
		assert_true(msg[i] >= 0x20 && msg[i] < 0x7f);
}

static void country__bounds_and_escapes_hostile_input(void **state)
{
	char huge[10000];
	const char *msg;

	msg = refused("DEU'; DROP TABLE x; --");
	assert_string_equal(msg, "invalid country code 'DEU\\'; DROP TABLE...': expected three letters "
				 "such as 'DEU'; see 'dive spoke list-countries'");
	assert_null(strstr(msg, "DROP TABLE x"));
	assert_tame(msg, 160);

	msg = refused("\x1b[31mDEU\x1b[0m\r\n");
	assert_non_null(strstr(msg, "'\\x1b[31mDEU\\x1b[0m\\x0d\\x0a'"));
	assert_tame(msg, 160);

	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	msg = refused(huge);
	assert_non_null(strstr(msg, "'AAAAAAAAAAAAAAAA...'"));
	assert_tame(msg, 160);

	memset(huge, 0xff, sizeof(huge) - 1);
	assert_tame(refused(huge), 200);
}

static void country__spoke_refuses_the_hub(void **state)
{
	const struct dive_country *c = NULL;

	assert_int_equal(country_parse_spoke(&c, "usa"), DIVE_EUSAGE);
	assert_null(c);
	assert_string_equal(dive_error_last(), "'USA' is the hub; use 'dive hub'");
	assert_int_equal(dive_exit_from_err(dive_error_last_err()), DIVE_EXIT_USAGE);

	assert_int_equal(country_parse_spoke(&c, "XYZ"), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "unknown country code 'XYZ'"));

	assert_int_equal(country_parse_spoke(&c, "deu"), 0);
	assert_string_equal(c->code, "DEU");
	assert_int_equal(country_parse(&c, "USA"), 0);
	assert_int_equal(c->kind, DIVE_COUNTRY_HUB);
}

static void country__kinds_have_names(void **state)
{
	assert_string_equal(country_kind_name(DIVE_COUNTRY_HUB), "hub");
	assert_string_equal(country_kind_name(DIVE_COUNTRY_NATO), "nato");
	assert_string_equal(country_kind_name(DIVE_COUNTRY_PARTNER), "partner");
	assert_string_equal(country_kind_name((enum dive_country_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(country__table_has_the_hub_31_nato_members_and_6_partners),
		cmocka_unit_test(country__every_code_parses_in_any_case),
		cmocka_unit_test(country__lower_gives_the_part_of_object_names),
		cmocka_unit_test(country__find_is_exact_and_quiet),
		cmocka_unit_test(country__rejects_unknown_codes),
		cmocka_unit_test(country__suggests_the_closest_code),
		cmocka_unit_test(country__rejects_malformed_input),
		cmocka_unit_test(country__bounds_and_escapes_hostile_input),
		cmocka_unit_test(country__spoke_refuses_the_hub),
		cmocka_unit_test(country__kinds_have_names),
	};

	return cmocka_run_group_tests_name("country", tests, NULL, NULL);
}
