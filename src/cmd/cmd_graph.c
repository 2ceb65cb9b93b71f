/*
 * cmd_graph.c - `dive graph ...`: the dependency graph of a stack file.
 *
 *   dive graph hub                  docker-compose.hub.yml with the hub's variables
 *   dive graph spoke CODE           docker-compose.spoke.yml with CODE's variables
 *   dive graph --file PATH          any compose file, with the process environment
 *
 * Each with --json, --mermaid or --dot.  Drawing a graph needs no secret:
 * variables that would be required (${VAR:?}) are read as placeholders;
 * deploying reads the same file strictly.  Nothing is created or changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dive/compose.h"
#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/graph.h"
#include "dive/interp.h"
#include "dive/stack.h"

static int usage(struct dive_ctx *ctx, const struct dive_inv *inv, const char *msg)
{
	int rc = dive_fail(ctx, DIVE_EUSAGE, "%s", msg);

	dive_help_usage_line(ctx->err, inv->group, inv->verb);
	return rc;
}

static int cmd_graph(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *file = dive_opt_str(inv, "file", NULL);
	int mermaid = dive_opt_given(inv, "mermaid"), dot = dive_opt_given(inv, "dot");
	const struct dive_country *c = NULL;
	struct interp_env env;
	struct compose *compose = NULL;
	struct graph *g = NULL;
	char *path = NULL;
	int rc, code, stack_env = 0;

	if (mermaid + dot + !!ctx->json > 1)
		return usage(ctx, inv, "--json, --mermaid and --dot exclude each other");
	if (file) {
		if (inv->argc)
			return usage(ctx, inv, "give either --file PATH or a stack (hub, spoke CODE), not both");
		if (!*file)
			return usage(ctx, inv, "--file needs a path");
		interp_env_process(&env);
	} else {
		if (inv->argc == 0)
			return usage(ctx, inv, "'dive graph' needs a stack: hub, spoke CODE or --file PATH");
		if (!strcmp(inv->argv[0], "hub")) {
			if (inv->argc != 1)
				return usage(ctx, inv, "'dive graph hub' takes no code");
			c = country_find("USA");
			rc = stack_path(&path, STACK_HUB);
		} else if (!strcmp(inv->argv[0], "spoke")) {
			if (inv->argc != 2)
				return usage(ctx, inv, "'dive graph spoke' needs a country code");
			if (country_parse_spoke(&c, inv->argv[1]) < 0) {
				dive_error_set_code(ERRC_COUNTRY_CODE_INVALID);
				return usage(ctx, inv, dive_error_last());
			}
			rc = stack_path(&path, STACK_SPOKE);
		} else {
			char msg[128];

			snprintf(msg, sizeof(msg), "'%.32s' is not a stack; use hub, spoke CODE or --file PATH",
				 inv->argv[0]);
			return usage(ctx, inv, msg);
		}
		if (rc < 0)
			return dive_fail(ctx, rc, "%s", dive_error_last());
		if ((rc = stack_env_for(&env, c)) < 0) {
			free(path);
			return dive_fail(ctx, rc, "%s", dive_error_last());
		}
		stack_env = 1;
		file = path;
	}
	env.flags |= INTERP_PLACEHOLDERS;

	rc = compose_load(&compose, file, &env);
	if (rc == 0)
		rc = graph_build(&g, compose, NULL);
	if (rc < 0) {
		code = dive_fail(ctx, rc, "%s", dive_error_last());
		goto out;
	}
	if (ctx->json) {
		cJSON *doc;

		if ((rc = graph_to_json(&doc, g, NULL)) < 0) {
			code = dive_fail(ctx, rc, "%s", dive_error_last());
			goto out;
		}
		code = dive_print_json(ctx, doc);
	} else {
		if (mermaid)
			rc = graph_render_mermaid(ctx->out, g);
		else if (dot)
			rc = graph_render_dot(ctx->out, g);
		else
			rc = graph_render_text(ctx->out, g, NULL);
		code = rc < 0 ? dive_fail(ctx, rc, "%s", dive_error_last()) : DIVE_EXIT_OK;
	}
out:
	graph_free(g);
	compose_free(compose);
	if (stack_env)
		stack_env_release(&env);
	free(path);
	return code;
}

static const struct dive_opt graph_opts[] = {
	{ .name = "file", .short_name = 'f', .type = DIVE_OPT_STRING, .arg = "PATH",
	  .help = "any compose file instead of the hub or a spoke" },
	{ .name = "mermaid", .type = DIVE_OPT_BOOL, .help = "print a Mermaid flowchart" },
	{ .name = "dot", .type = DIVE_OPT_BOOL, .help = "print Graphviz dot" },
	DIVE_OPT_END,
};

/* Reads a file and prints; nothing is opened before its own checks, so it needs no validate hook. */
const struct dive_verb cmd_graph_verb = {
	.name = "graph", .fn = cmd_graph, .max_args = 2, .opts = graph_opts, .usage = "[hub | spoke CODE]",
	.summary = "services, dependencies, levels and timeouts; cycles are reported with their path", .issue = 5,
};
