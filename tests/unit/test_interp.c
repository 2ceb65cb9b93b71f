/* test_interp.c - ${VAR} interpolation: forms, errors, secrets, placeholders, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/interp.h"

struct fixture {
	struct interp_table t;
	struct interp_env env;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	interp_table_set(&f->t, "CODE", "deu", 0);
	interp_table_set(&f->t, "PORT", "13011", 0);
	interp_table_set(&f->t, "EMPTY", "", 0);
	interp_table_set(&f->t, "PASSWORD", "hunter2-secret", 1);
	interp_env_table(&f->env, &f->t, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	interp_table_release(&f->t);
	free(f);
	return 0;
}

/* Expand in with the fixture's environment; returns the result (static) or NULL on error. */
static const char *expand(struct fixture *f, const char *in, unsigned *flags)
{
	static char out[8192];
	unsigned fl = 0;
	char *s = NULL;

	if (interp_expand(&s, &fl, in, &f->env, "test.yml:3") < 0) {
		assert_null(s);
		return NULL;
	}
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	if (flags)
		*flags = fl;
	return out;
}

static void interp__expands_plain_and_braced_variables(void **state)
{
	struct fixture *f = *state;
	unsigned fl;

	assert_string_equal(expand(f, "dive-spoke-${CODE}-keycloak", &fl), "dive-spoke-deu-keycloak");
	assert_true(fl & INTERP_SUBSTITUTED);
	assert_false(fl & INTERP_SECRET);
	assert_string_equal(expand(f, "127.0.0.1:$PORT:3000", NULL), "127.0.0.1:13011:3000");
	assert_string_equal(expand(f, "$CODE$PORT", NULL), "deu13011");
	assert_string_equal(expand(f, "no variables at all", &fl), "no variables at all");
	assert_int_equal(fl, 0);
	assert_string_equal(expand(f, "", NULL), "");
}

static void interp__applies_defaults_only_when_unset_or_empty(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(expand(f, "${UNSET:-fallback}", NULL), "fallback");
	assert_string_equal(expand(f, "${UNSET-fallback}", NULL), "fallback");
	assert_string_equal(expand(f, "${EMPTY:-fallback}", NULL), "fallback");
	assert_string_equal(expand(f, "${EMPTY-fallback}", NULL), "");
	assert_string_equal(expand(f, "${CODE:-fallback}", NULL), "deu");
	assert_string_equal(expand(f, "${UNSET:-}", NULL), "");
	assert_string_equal(expand(f, "${UNSET:-a:b-c}", NULL), "a:b-c");
}

static void interp__gives_alternatives_only_when_set(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(expand(f, "[${CODE:+set}]", NULL), "[set]");
	assert_string_equal(expand(f, "[${EMPTY:+set}]", NULL), "[]");
	assert_string_equal(expand(f, "[${EMPTY+set}]", NULL), "[set]");
	assert_string_equal(expand(f, "[${UNSET+set}]", NULL), "[]");
}

static void interp__nests_defaults(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(expand(f, "${UNSET:-${CODE}}", NULL), "deu");
	assert_string_equal(expand(f, "${UNSET:-${ALSO_UNSET:-x${PORT}y}}", NULL), "x13011y");
	/* A default that is not taken is not expanded: its errors do not count. */
	assert_string_equal(expand(f, "${CODE:-${MISSING:?never evaluated}}", NULL), "deu");
}

static void interp__double_dollar_is_a_literal_dollar(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(expand(f, "pg_isready -U $$POSTGRES_USER", NULL), "pg_isready -U $POSTGRES_USER");
	assert_string_equal(expand(f, "$$$$", NULL), "$$");
	assert_string_equal(expand(f, "$${CODE}", NULL), "${CODE}");
	assert_string_equal(expand(f, "${UNSET:-$$}", NULL), "$");
}

static void interp__required_variable_error_names_variable_and_place(void **state)
{
	struct fixture *f = *state;

	assert_null(expand(f, "x${HUB_URL:?set the hub address}y", NULL));
	assert_int_equal(dive_error_last_err(), DIVE_EUSAGE);
	assert_string_equal(dive_error_last(), "test.yml:3: HUB_URL: set the hub address");

	assert_null(expand(f, "${EMPTY:?must not be empty}", NULL));
	assert_string_equal(dive_error_last(), "test.yml:3: EMPTY: must not be empty");
	assert_string_equal(expand(f, "[${EMPTY?only unset fails}]", NULL), "[]");
	assert_null(expand(f, "${UNSET?gone}", NULL));
	assert_string_equal(dive_error_last(), "test.yml:3: UNSET: gone");

	assert_null(expand(f, "${UNSET:?}", NULL));
	assert_string_equal(dive_error_last(), "test.yml:3: UNSET: required variable is not set");
}

static void interp__unset_variable_without_default_is_an_error(void **state)
{
	struct fixture *f = *state;

	assert_null(expand(f, "${HUB_URLL}", NULL));
	assert_string_equal(dive_error_last(),
			    "test.yml:3: HUB_URLL: variable is not set (write ${HUB_URLL:-} for an empty default)");
	assert_null(expand(f, "x $NOPE y", NULL));
	assert_non_null(strstr(dive_error_last(), "NOPE: variable is not set"));
}

static void interp__rejects_invalid_syntax(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"cost: 5$", "a $ b", "${}", "${1A}", "${CODE", "${CODE:x}", "${CODE!}", "$-", "${-x}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (expand(f, bad[i], NULL))
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(dive_error_last_err(), DIVE_EUSAGE);
		assert_non_null(strstr(dive_error_last(), "test.yml:3: "));
	}
	expand(f, "a $ b", NULL);
	assert_string_equal(dive_error_last(), "test.yml:3: invalid '$ ' (write '$$' for a literal dollar)");
	expand(f, "${CODE", NULL);
	assert_non_null(strstr(dive_error_last(), "unterminated '${'"));
}

static void interp__marks_results_that_carry_a_secret(void **state)
{
	struct fixture *f = *state;
	unsigned fl;

	assert_string_equal(expand(f, "postgres://app:${PASSWORD}@db/app", &fl), "postgres://app:hunter2-secret@db/app");
	assert_true(fl & INTERP_SECRET);
	assert_string_equal(expand(f, "${UNSET:-$PASSWORD}", &fl), "hunter2-secret");
	assert_true(fl & INTERP_SECRET);
	expand(f, "${CODE}", &fl);
	assert_false(fl & INTERP_SECRET);
}

static void interp__error_messages_never_contain_values(void **state)
{
	struct fixture *f = *state;

	assert_null(expand(f, "${PASSWORD}${MISSING:?missing after a secret}", NULL));
	assert_null(strstr(dive_error_last(), "hunter2"));
	assert_string_equal(dive_error_last(), "test.yml:3: MISSING: missing after a secret");
	/* Messages are printed as written, never expanded. */
	assert_null(expand(f, "${MISSING:?not ${PASSWORD}}", NULL));
	assert_null(strstr(dive_error_last(), "hunter2"));
}

static void interp__placeholders_stand_for_missing_variables_in_graph_mode(void **state)
{
	struct fixture *f = *state;
	unsigned fl;

	f->env.flags = INTERP_PLACEHOLDERS;
	assert_string_equal(expand(f, "pw=${DB_PASSWORD:?secret missing}", &fl), "pw=${DB_PASSWORD}");
	assert_true(fl & INTERP_PLACEHOLDER);
	assert_string_equal(expand(f, "$NOPE/${CODE}", &fl), "${NOPE}/deu");
	assert_true(fl & INTERP_PLACEHOLDER);
	assert_string_equal(expand(f, "${UNSET:-fine}", &fl), "fine");
	assert_false(fl & INTERP_PLACEHOLDER);
	/* Syntax errors stay errors. */
	assert_null(expand(f, "${CODE", NULL));
	f->env.flags = 0;
}

static int upper_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	if (strcmp(name, "FROM_CALLBACK"))
		return 0;
	*value = "callback";
	*secret = 1;
	return 1;
}

static int failing_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	return dive_error_set(DIVE_EUNAVAIL, "secret provider unreachable");
}

static void interp__asks_the_next_environment_when_one_has_no_answer(void **state)
{
	struct fixture *f = *state;
	struct interp_env cb = { upper_lookup, NULL, NULL, 0 }, broken = { failing_lookup, NULL, NULL, 0 };
	const char *v;
	int secret = 0;
	unsigned fl;

	f->env.next = &cb;
	assert_string_equal(expand(f, "${CODE}-${FROM_CALLBACK}", &fl), "deu-callback");
	assert_true(fl & INTERP_SECRET);
	assert_int_equal(interp_lookup(&f->env, "NOWHERE", &v, &secret), 0);
	assert_null(v);
	cb.next = &broken;
	assert_null(expand(f, "${NOWHERE}", NULL));
	assert_int_equal(dive_error_last_err(), DIVE_EUNAVAIL);
	assert_string_equal(dive_error_last(), "secret provider unreachable");
	f->env.next = NULL;
	assert_int_equal(interp_lookup(NULL, "CODE", &v, &secret), 0);
}

static void interp__reads_the_process_environment(void **state)
{
	struct interp_env env;
	unsigned fl;
	char *s;

	interp_env_process(&env);
	setenv("DIVE_TEST_INTERP", "from-process", 1);
	assert_int_equal(interp_expand(&s, &fl, "<${DIVE_TEST_INTERP}>", &env, NULL), 0);
	assert_string_equal(s, "<from-process>");
	assert_false(fl & INTERP_SECRET);
	free(s);
	unsetenv("DIVE_TEST_INTERP");
	assert_true(interp_expand(&s, &fl, "${DIVE_TEST_INTERP}", &env, NULL) < 0);
	/* Without a place, the message starts with the variable. */
	assert_string_equal(dive_error_last(),
			    "DIVE_TEST_INTERP: variable is not set (write ${DIVE_TEST_INTERP:-} for an empty default)");
}

static void interp__table_replaces_values(void **state)
{
	struct interp_table t = INTERP_TABLE_INIT;
	struct interp_env env;
	unsigned fl;
	char *s;

	interp_table_set(&t, "A", "one", 0);
	interp_table_set(&t, "A", "two", 1);
	assert_int_equal(t.n, 1);
	interp_env_table(&env, &t, NULL);
	assert_int_equal(interp_expand(&s, &fl, "$A", &env, NULL), 0);
	assert_string_equal(s, "two");
	assert_true(fl & INTERP_SECRET);
	free(s);
	interp_table_release(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.v);
}

static void interp__bounds_length_and_depth(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(INTERP_LEN_MAX + 2), deep[512] = "", *p;
	int i;

	memset(big, 'x', INTERP_LEN_MAX + 1);
	big[INTERP_LEN_MAX + 1] = '\0';
	assert_null(expand(f, big, NULL));
	assert_non_null(strstr(dive_error_last(), "longer than 4096 bytes"));
	big[INTERP_LEN_MAX - 5] = '\0';
	assert_non_null(expand(f, big, NULL));
	/* A value that grows past the bound through a variable. */
	interp_table_set(&f->t, "LONG", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", 0);
	memset(big, 'x', INTERP_LEN_MAX);
	big[INTERP_LEN_MAX] = '\0';
	memcpy(big, "${LONG}", 7);
	assert_null(expand(f, big, NULL));
	assert_non_null(strstr(dive_error_last(), "longer than 4096 bytes"));
	free(big);

	p = deep;
	for (i = 0; i < INTERP_DEPTH_MAX + 2; i++)
		p += sprintf(p, "${U%d:-", i);
	p += sprintf(p, "end");
	for (i = 0; i < INTERP_DEPTH_MAX + 2; i++)
		*p++ = '}';
	*p = '\0';
	assert_null(expand(f, deep, NULL));
	assert_non_null(strstr(dive_error_last(), "nested deeper than"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(interp__expands_plain_and_braced_variables, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__applies_defaults_only_when_unset_or_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__gives_alternatives_only_when_set, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__nests_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__double_dollar_is_a_literal_dollar, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__required_variable_error_names_variable_and_place, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__unset_variable_without_default_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__rejects_invalid_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__marks_results_that_carry_a_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__error_messages_never_contain_values, setup, teardown),
		cmocka_unit_test_setup_teardown(interp__placeholders_stand_for_missing_variables_in_graph_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(interp__asks_the_next_environment_when_one_has_no_answer, setup, teardown),
		cmocka_unit_test(interp__reads_the_process_environment),
		cmocka_unit_test(interp__table_replaces_values),
		cmocka_unit_test_setup_teardown(interp__bounds_length_and_depth, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
