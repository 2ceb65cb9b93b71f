/* test_cli.c - the dispatcher: lookup, arity, options, suggestions, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/cli.h"
#include "dive/exitcode.h"
#include "dive/suggest.h"

static int calls;
static char last_args[256];
static long last_for;
static char last_msg[64];
static int last_msg_set;

static int fake_handler(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	int i;

	calls++;
	last_args[0] = '\0';
	for (i = 0; i < inv->argc; i++) {
		strcat(last_args, inv->argv[i]);
		strcat(last_args, ";");
	}
	last_for = dive_opt_int(inv, "for", -1);
	last_msg_set = dive_opt_str(inv, "message", NULL) != NULL;
	snprintf(last_msg, sizeof(last_msg), "%s", dive_opt_str(inv, "message", ""));
	return 0;
}

static const struct dive_opt hold_opts[] = {
	{ "for", 0, DIVE_OPT_INT, "SECONDS", "how long", 1, 3600 },
	{ "message", 'm', DIVE_OPT_STRING, "TEXT", "why", 0, 0 },
	{ "force", 0, DIVE_OPT_BOOL, NULL, "really", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, 0, 0 },
};

static const struct dive_verb lock_verbs[] = {
	{ "hold", fake_handler, 1, 1, 0, hold_opts, "CODE", "hold a lock", 0 },
	{ "status", fake_handler, 0, 1, 0, NULL, "[CODE]", "show holders", 0 },
	{ "release", NULL, 1, 1, 0, NULL, "CODE", "release a lock", 3 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};

static const struct dive_verb version_verb = { "version", fake_handler, 0, 0, 0, NULL, NULL, "version", 0 };

static const struct dive_group groups[] = {
	{ "lock", "locks", lock_verbs, NULL },
	{ "spoke", "spokes", lock_verbs, NULL },
	{ "version", "version", NULL, &version_verb },
	{ NULL, NULL, NULL, NULL },
};

struct capture {
	char *out, *err;
	size_t out_len, err_len;
	int rc;
};

static void run_argv(struct capture *c, const struct dive_group *g, int argc, char **argv)
{
	struct dive_ctx ctx;
	FILE *out, *err;

	memset(c, 0, sizeof(*c));
	out = open_memstream(&c->out, &c->out_len);
	err = open_memstream(&c->err, &c->err_len);
	dive_ctx_init(&ctx);
	ctx.out = out;
	ctx.err = err;
	c->rc = dive_cli_run(g, &ctx, argc, argv);
	fclose(out);
	fclose(err);
}

static void run(struct capture *c, const char *line)
{
	char *argv[32], *copy = strdup(line), *tok, *save = NULL;
	int argc = 0;

	argv[argc++] = "dive";
	for (tok = strtok_r(copy, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	run_argv(c, groups, argc, argv);
	free(copy);
}

static void capture_free(struct capture *c)
{
	free(c->out);
	free(c->err);
}

static void cli__runs_the_handler_with_positional_args_and_options(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "lock hold DEU --for 30 -m maintenance");
	assert_int_equal(c.rc, 0);
	assert_int_equal(calls, 1);
	assert_string_equal(last_args, "DEU;");
	assert_int_equal(last_for, 30);
	assert_string_equal(last_msg, "maintenance");
	capture_free(&c);

	run(&c, "lock hold --for=5 DEU");
	assert_int_equal(c.rc, 0);
	assert_int_equal(last_for, 5);
	assert_false(last_msg_set);
	capture_free(&c);
}

static void cli__accepts_global_options_anywhere(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "--json lock status DEU --state-url postgresql://x/y -v");
	assert_int_equal(c.rc, 0);
	assert_int_equal(calls, 1);
	assert_string_equal(last_args, "DEU;");
	capture_free(&c);
}

static void cli__suggests_the_closest_group(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "spokee deploy DEU");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(c.err, "did you mean 'spoke'?"));
	capture_free(&c);
}

static void cli__suggests_the_closest_verb(void **state)
{
	struct capture c;

	run(&c, "lock stauts");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "did you mean 'status'?"));
	capture_free(&c);

	run(&c, "lock zzzzzz");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_null(strstr(c.err, "did you mean"));
	capture_free(&c);
}

static void cli__missing_argument_prints_the_usage_line(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "lock hold");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(c.err, "needs CODE"));
	assert_non_null(strstr(c.err, "usage: dive lock hold CODE [options]"));
	capture_free(&c);
}

static void cli__rejects_extra_arguments(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "lock hold DEU FRA");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(c.err, "unexpected argument 'FRA'"));
	capture_free(&c);
}

static void cli__bounds_integer_options(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "lock hold DEU --for 0");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	run(&c, "lock hold DEU --for 12abc");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "whole number from 1 to 3600"));
	capture_free(&c);
	run(&c, "lock hold DEU --for");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "needs a value"));
	capture_free(&c);
	run(&c, "lock hold DEU --force=yes");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	capture_free(&c);
	assert_int_equal(calls, 0);
}

static void cli__suggests_unknown_options(void **state)
{
	struct capture c;

	run(&c, "lock hold DEU --mesage hi");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "did you mean '--message'?"));
	capture_free(&c);
}

static void cli__refuses_unimplemented_verbs_honestly(void **state)
{
	struct capture c;

	run(&c, "lock release DEU");
	assert_int_equal(c.rc, DIVE_EXIT_NOT_IMPLEMENTED);
	assert_non_null(strstr(c.err, "not implemented yet (issue #3)"));
	assert_int_equal(c.out_len, 0);
	capture_free(&c);

	run(&c, "--json lock release DEU");
	assert_int_equal(c.rc, DIVE_EXIT_NOT_IMPLEMENTED);
	assert_non_null(strstr(c.out, "\"kind\":\"not-implemented\""));
	capture_free(&c);
}

static void cli__help_is_generated_at_every_level(void **state)
{
	struct capture c;

	calls = 0;
	run(&c, "--help");
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "lock"));
	assert_non_null(strstr(c.out, "--state-url"));
	capture_free(&c);

	run(&c, "lock --help");
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "hold CODE"));
	assert_non_null(strstr(c.out, "release CODE"));
	assert_non_null(strstr(c.out, "[not implemented yet]"));
	capture_free(&c);

	run(&c, "lock hold --help");
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "--for SECONDS"));
	assert_non_null(strstr(c.out, "-m, --message TEXT"));
	capture_free(&c);

	run(&c, "lock");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "verbs:"));
	capture_free(&c);
	assert_int_equal(calls, 0);
}

static void cli__real_table_lists_every_group(void **state)
{
	static const char *const names[] = { "hub", "spoke", "federation", "state", "lock", "db",
					     "breaker", "errors", "graph", "images", "version", "help" };
	char *argv[] = { "dive", "--help", NULL };
	struct capture c;
	size_t i;

	run_argv(&c, dive_groups, 2, argv);
	assert_int_equal(c.rc, 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char needle[32];

		snprintf(needle, sizeof(needle), "\n  %s ", names[i]);
		assert_non_null(strstr(c.out, needle));
	}
	capture_free(&c);
}

static void cli__real_table_rows_are_well_formed(void **state)
{
	const struct dive_group *g;
	const struct dive_verb *v;

	for (g = dive_groups; g->name; g++) {
		assert_true((g->verbs != NULL) != (g->leaf != NULL));
		for (v = g->verbs ? g->verbs : g->leaf; v && v->name; v = g->verbs ? v + 1 : NULL) {
			const struct dive_opt *o;
			int n = 0;

			assert_non_null(v->summary);
			assert_true(v->max_args < 0 || v->max_args >= v->min_args);
			if (!v->fn)
				assert_true(v->issue > 0);
			if (v->min_args > 0)
				assert_non_null(v->usage);
			for (o = v->opts; o && o->name; o++, n++)
				assert_true(o->type != DIVE_OPT_INT || o->min <= o->max);
			assert_true(n <= DIVE_MAX_OPTS);
		}
	}
}

static void suggest__finds_typos_not_strangers(void **state)
{
	static const char *const cands[] = { "deploy", "down", "status", "list", "list-countries" };

	assert_int_equal(dive_edit_distance("spoke", "spokee"), 1);
	assert_int_equal(dive_edit_distance("stauts", "status"), 1);
	assert_int_equal(dive_edit_distance("", "abc"), 3);
	assert_string_equal(dive_suggest("deplyo", cands, 5), "deploy");
	assert_string_equal(dive_suggest("statsu", cands, 5), "status");
	assert_string_equal(dive_suggest("list-c", cands, 5), "list-countries");
	assert_null(dive_suggest("xyz", cands, 5));
	assert_null(dive_suggest("d", cands, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli__runs_the_handler_with_positional_args_and_options),
		cmocka_unit_test(cli__accepts_global_options_anywhere),
		cmocka_unit_test(cli__suggests_the_closest_group),
		cmocka_unit_test(cli__suggests_the_closest_verb),
		cmocka_unit_test(cli__missing_argument_prints_the_usage_line),
		cmocka_unit_test(cli__rejects_extra_arguments),
		cmocka_unit_test(cli__bounds_integer_options),
		cmocka_unit_test(cli__suggests_unknown_options),
		cmocka_unit_test(cli__refuses_unimplemented_verbs_honestly),
		cmocka_unit_test(cli__help_is_generated_at_every_level),
		cmocka_unit_test(cli__real_table_lists_every_group),
		cmocka_unit_test(cli__real_table_rows_are_well_formed),
		cmocka_unit_test(suggest__finds_typos_not_strangers),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
