/* test_text.c - clean text and what a message shows of the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dive/text.h"

static void text__printable_ascii_and_utf8_are_clean(void **state)
{
	assert_true(text_is_clean("", NULL));
	assert_true(text_is_clean("maintenance window: Keycloak 26 upgrade (ticket #42)", NULL));
	assert_true(text_is_clean("Bundeswehr \xc3\x9c" "bung \xe2\x80\x94 \xf0\x9f\x9a\x80", NULL)); /* Ü, em dash, rocket */
}

static void text__control_characters_and_broken_utf8_are_not(void **state)
{
	static const struct {
		const char *s;
		size_t at;
	} bad[] = {
		{ "ok\x1b[2Jwiped", 2 },       /* ESC: clears a screen */
		{ "line\nforged line", 4 },
		{ "tab\there", 3 },
		{ "del\x7f", 3 },
		{ "c1 \xc2\x9b" "31m", 3 },     /* U+009B, CSI as UTF-8 */
		{ "lone \x9b" "31m", 5 },       /* CSI to an 8-bit terminal */
		{ "cut \xe2\x80", 4 },          /* a sequence that stops short */
		{ "overlong \xc0\xaf", 9 },
		{ "surrogate \xed\xa0\x80", 10 },
		{ "beyond \xf4\x90\x80\x80", 7 },
	};
	size_t i, at;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		at = 999;
		if (text_is_clean(bad[i].s, &at))
			fail_msg("case %zu was clean", i);
		assert_int_equal(at, bad[i].at);
	}
}

static void text__shown_replaces_what_a_terminal_would_obey(void **state)
{
	char out[32];

	text_shown(out, sizeof(out), "ok\x1b[2J\n");
	assert_string_equal(out, "ok?[2J?");
	text_shown(out, sizeof(out), "\xc2\x9b" "x \xc3\x9c");
	assert_string_equal(out, "??x \xc3\x9c");
	assert_true(text_is_clean(out, NULL));
}

static void text__shown_cuts_long_text_with_dots(void **state)
{
	char out[12];

	text_shown(out, sizeof(out), "0123456789A");
	assert_string_equal(out, "0123456789A"); /* fits exactly */
	text_shown(out, sizeof(out), "0123456789AB");
	assert_string_equal(out, "01234567...");
	/* never half a character */
	text_shown(out, sizeof(out), "abcdef\xe2\x80\x94\xe2\x80\x94xyz");
	assert_string_equal(out, "abcdef...");
	text_shown(out, sizeof(out), NULL);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text__printable_ascii_and_utf8_are_clean),
		cmocka_unit_test(text__control_characters_and_broken_utf8_are_not),
		cmocka_unit_test(text__shown_replaces_what_a_terminal_would_obey),
		cmocka_unit_test(text__shown_cuts_long_text_with_dots),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
