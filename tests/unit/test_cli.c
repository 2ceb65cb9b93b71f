/* test_cli.c - the dispatcher: lookup, arity, options, suggestions, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/breaker.h"
#include "dive/cli.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/retry.h"
#include "dive/suggest.h"

static int calls;
static char last_args[256];
static long last_for;
static char last_msg[64];
static int last_msg_set;
static long last_lock_wait_ms;
static int last_yes;

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
	last_lock_wait_ms = ctx->lock_wait_ms;
	last_yes = ctx->yes;
	if (inv->verb->name[0] == 'v')
		fprintf(ctx->out, "dive 0.0.0-test\n");
	last_msg_set = dive_opt_str(inv, "message", NULL) != NULL;
	snprintf(last_msg, sizeof(last_msg), "%s", dive_opt_str(inv, "message", ""));
	return 0;
}

static const char *const colours[] = { "red", "green", NULL };

static int check_even(const char *value)
{
	return strlen(value) % 2 ? dive_error_set(DIVE_EUSAGE, "'%s' has an odd length", value) : 0;
}

static int validated;

static int validate_hold(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	validated++;
	if (dive_opt_given(inv, "force") && !dive_opt_given(inv, "for"))
		return dive_error_set(DIVE_EUSAGE, "--force needs --for");
	return 0;
}

static const struct dive_opt hold_opts[] = {
	{ .name = "for", .type = DIVE_OPT_INT, .arg = "SECONDS", .help = "how long", .min = 1, .max = 3600 },
	{ .name = "message", .short_name = 'm', .type = DIVE_OPT_STRING, .arg = "TEXT", .help = "why", .max_len = 12 },
	{ .name = "force", .type = DIVE_OPT_BOOL, .help = "really" },
	{ .name = "colour", .type = DIVE_OPT_STRING, .arg = "red|green", .help = "which", .choices = colours },
	{ .name = "even", .type = DIVE_OPT_STRING, .arg = "TEXT", .help = "even length", .check = check_even },
	{ .name = "lock-wait", .type = DIVE_OPT_INT, .arg = "SECONDS", .help = "wait", .min = 0, .max = 60 },
	{ .name = "yes", .type = DIVE_OPT_BOOL, .help = "no questions" },
	{ .name = NULL },
};

static const struct dive_verb lock_verbs[] = {
	{ .name = "hold", .fn = fake_handler, .validate = validate_hold, .min_args = 1, .max_args = 1,
	  .flags = DIVE_TAKES_LOCK, .opts = hold_opts, .usage = "CODE", .summary = "hold a lock" },
	{ .name = "status", .fn = fake_handler, .max_args = 1, .usage = "[CODE]", .summary = "show holders" },
	{ .name = "release", .min_args = 1, .max_args = 1, .usage = "CODE", .summary = "release a lock", .issue = 3 },
	{ .name = "wipe", .fn = fake_handler, .min_args = 1, .max_args = 1, .usage = "CODE",
	  .flags = DIVE_DESTRUCTIVE | DIVE_DRY_RUN, .opts = hold_opts, .summary = "remove things" },
	{ .name = NULL },
};

static const struct dive_verb version_verb = { .name = "version", .fn = fake_handler, .summary = "version" };

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
	capture_free(&c);
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

static void cli__checks_option_values_before_the_row_runs(void **state)
{
	struct capture c;

	calls = validated = 0;
	run(&c, "lock hold DEU --for 5 --colour blue");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "option '--colour' takes red, green, not 'blue'"));
	assert_non_null(strstr(c.err, "usage: dive lock hold CODE [options]"));
	capture_free(&c);
	run(&c, "lock hold DEU --for 5 -m 0123456789abc");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "the value of option '--message' is longer than 12 bytes (13)"));
	capture_free(&c);
	run(&c, "lock hold DEU --for 5 --even abc");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "'abc' has an odd length"));
	capture_free(&c);
	assert_int_equal(calls, 0);
	assert_int_equal(validated, 0);

	run(&c, "lock hold DEU --for 5 --colour green --even ab -m 0123456789ab");
	assert_int_equal(c.rc, 0);
	assert_int_equal(calls, 1);
	assert_int_equal(validated, 1);
	capture_free(&c);
}

static void cli__validate_hook_refuses_before_the_handler(void **state)
{
	struct capture c;

	calls = validated = 0;
	run(&c, "lock hold DEU --force");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_int_equal(validated, 1);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(c.err, "dive: --force needs --for"));
	assert_non_null(strstr(c.err, "usage: dive lock hold CODE [options]"));
	capture_free(&c);
}

static void cli__refuses_control_characters_in_any_argument(void **state)
{
	char *msg[] = { "dive", "lock", "hold", "DEU", "--for", "5", "-m", "ok\x1b[2Jwiped", NULL };
	char *pos[] = { "dive", "lock", "status", "DEU\nFRA", NULL };
	char *global[] = { "dive", "--state-url", "postgresql://h/db\r", "version", NULL };
	struct capture c;

	calls = 0;
	run_argv(&c, groups, 8, msg);
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_non_null(strstr(c.err, "argument 7 has a control character or a byte that is not UTF-8 at offset 2"));
	assert_null(strchr(c.err, '\x1b'));
	capture_free(&c);
	run_argv(&c, groups, 4, pos);
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	capture_free(&c);
	run_argv(&c, groups, 4, global);
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	capture_free(&c);
	assert_int_equal(calls, 0);
}

static void cli__bad_environment_stops_every_command(void **state)
{
	static const struct {
		const char *var, *value, *says;
	} bad[] = {
		{ "DIVE_BREAKER", "garbage", "DIVE_BREAKER: breaker setting 'garbage' is not CLASS.KEY=VALUE" },
		{ "DIVE_RETRY", "docker.attempts=0", "DIVE_RETRY: retry setting 'docker.attempts=0'" },
		{ "DIVE_RETRY", "docker.jitter=\x1b[31mnone", "DIVE_RETRY has a control character" },
		{ "DIVE_SECRETS", "vault", "DIVE_SECRETS: unknown secrets provider 'vault'" },
		{ "DOCKER_HOST", "tcp://[::1", "docker host 'tcp://[::1' has no valid [IPv6] address" },
		{ "DOCKER_HOST", "tcp://admin:S3cret@10.0.0.1:2376", "docker host 'tcp://***@10.0.0.1:2376' carries a user" },
		{ "DIVE_INSTANCES_DIR", "/srv/dive\n", "DIVE_INSTANCES_DIR has a control character" },
	};
	struct capture c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		calls = 0;
		setenv(bad[i].var, bad[i].value, 1);
		retry_policy_reset();
		breaker_config_reset();
		run(&c, "version");
		unsetenv(bad[i].var);
		if (c.rc != DIVE_EXIT_USAGE || !strstr(c.err, bad[i].says))
			fail_msg("%s=%s: exit %d, stderr %s", bad[i].var, bad[i].value, c.rc, c.err);
		assert_int_equal(calls, 0);
		assert_null(strstr(c.err, "S3cret"));
		assert_null(strchr(c.err, '\x1b'));
		capture_free(&c);
	}
	retry_policy_reset();
	breaker_config_reset();
	run(&c, "--docker-host tcp://u:pw@h:1 version");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_null(strstr(c.err, "u:pw"));
	capture_free(&c);
	run(&c, "version");
	assert_int_equal(c.rc, 0);
	capture_free(&c);
}

static void cli__hands_lock_wait_and_yes_to_the_handler(void **state)
{
	struct capture c;

	run(&c, "lock hold DEU --for 5 --lock-wait 3");
	assert_int_equal(c.rc, 0);
	assert_int_equal(last_lock_wait_ms, 3000);
	capture_free(&c);
}

/* Runs line with stdin on /dev/null: no terminal to ask on. */
static void run_without_terminal(struct capture *c, const char *line)
{
	int saved = dup(STDIN_FILENO), null = open("/dev/null", O_RDONLY);

	assert_true(saved >= 0 && null >= 0);
	dup2(null, STDIN_FILENO);
	close(null);
	run(c, line);
	dup2(saved, STDIN_FILENO);
	close(saved);
}

static void cli__destructive_verbs_need_yes_off_a_terminal(void **state)
{
	struct capture c;

	calls = 0;
	run_without_terminal(&c, "lock wipe DEU");
	assert_int_equal(c.rc, DIVE_EXIT_USAGE);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(c.err, "refusing to run 'dive lock wipe DEU' without --yes"));
	capture_free(&c);
	run_without_terminal(&c, "lock wipe DEU --yes");
	assert_int_equal(c.rc, 0);
	assert_int_equal(last_yes, 1);
	capture_free(&c);
	run_without_terminal(&c, "--dry-run lock wipe DEU");
	assert_int_equal(c.rc, 0);
	assert_int_equal(last_yes, 0);
	capture_free(&c);
	assert_int_equal(calls, 2);
}

static void cli__a_lost_write_is_a_failure(void **state)
{
	char *argv[] = { "dive", "version", NULL };
	struct dive_ctx ctx;
	char *err = NULL;
	size_t err_len = 0;
	FILE *full = fopen("/dev/full", "w"), *errf = open_memstream(&err, &err_len);
	int rc;

	assert_non_null(full);
	dive_ctx_init(&ctx);
	ctx.out = full;
	ctx.err = errf;
	rc = dive_cli_run(groups, &ctx, 2, argv);
	fclose(full);
	fclose(errf);
	assert_int_equal(rc, DIVE_EXIT_FAILURE);
	assert_non_null(strstr(err, "dive: cannot write the output: No space left on device"));
	free(err);
}

static int has_opt(const struct dive_verb *v, const char *name, enum dive_opt_type type)
{
	const struct dive_opt *o;

	for (o = v->opts; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o->type == type;
	return 0;
}

static void cli__real_table_declares_what_the_dispatcher_enforces(void **state)
{
	const struct dive_group *g;
	const struct dive_verb *v;

	for (g = dive_groups; g->name; g++) {
		for (v = g->verbs ? g->verbs : g->leaf; v && v->name; v = g->verbs ? v + 1 : NULL) {
			const struct dive_opt *o;

			if ((v->flags & DIVE_TAKES_LOCK) && !has_opt(v, "lock-wait", DIVE_OPT_INT))
				fail_msg("'%s %s' takes a lock without --lock-wait", g->name, v->name);
			if ((v->flags & DIVE_DESTRUCTIVE) && (!has_opt(v, "yes", DIVE_OPT_BOOL) || !(v->flags & DIVE_DRY_RUN)))
				fail_msg("'%s %s' removes things without --yes and --dry-run", g->name, v->name);
			if ((v->flags & DIVE_STATE_BOOTSTRAP) && !(v->flags & DIVE_NEEDS_STATE))
				fail_msg("'%s %s' bootstraps a store it does not need", g->name, v->name);
			if ((v->flags & DIVE_TAKES_LOCK) && !(v->flags & DIVE_DRY_RUN))
				fail_msg("'%s %s' takes a lock and cannot say what it would do", g->name, v->name);
			for (o = v->opts; o && o->name; o++) {
				assert_non_null(o->help);
				assert_true(o->type == DIVE_OPT_STRING || (!o->choices && !o->check && !o->max_len));
				assert_true(o->type != DIVE_OPT_STRING || o->arg);
			}
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
		cmocka_unit_test(cli__checks_option_values_before_the_row_runs),
		cmocka_unit_test(cli__validate_hook_refuses_before_the_handler),
		cmocka_unit_test(cli__refuses_control_characters_in_any_argument),
		cmocka_unit_test(cli__bad_environment_stops_every_command),
		cmocka_unit_test(cli__hands_lock_wait_and_yes_to_the_handler),
		cmocka_unit_test(cli__destructive_verbs_need_yes_off_a_terminal),
		cmocka_unit_test(cli__a_lost_write_is_a_failure),
		cmocka_unit_test(cli__real_table_declares_what_the_dispatcher_enforces),
		cmocka_unit_test(suggest__finds_typos_not_strangers),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
