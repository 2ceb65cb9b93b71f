/* cmd_spoke.c - `dive spoke ...`: spoke stacks, one per country code. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/ports.h"
#include "dive/state.h"

static int print_json(struct dive_ctx *ctx, cJSON *doc)
{
	char *s = cJSON_Print(doc);

	cJSON_Delete(doc);
	if (!s)
		return dive_fail(ctx, DIVE_EFAIL, "cannot print JSON: out of memory");
	fprintf(ctx->out, "%s\n", s);
	cJSON_free(s);
	return DIVE_EXIT_OK;
}

/* `dive spoke ports CODE`: read-only, so the hub (USA) is shown too. */
static int cmd_spoke_ports(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_country *c;
	struct dive_ports p;
	size_t i, n = ports_service_count();
	int rc;

	/* parsed here, not by the dispatcher: one line, no usage, for a hostile code (t0002) */
	rc = country_parse(&c, inv->argv[0]);
	if (rc < 0)
		return dive_fail(ctx, rc, "%s", dive_error_last());
	rc = ports_for(&p, c);
	if (rc < 0)
		return dive_fail(ctx, rc, "%s", dive_error_last());
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *ports;

		cJSON_AddStringToObject(doc, "code", c->code);
		cJSON_AddStringToObject(doc, "name", c->name);
		cJSON_AddStringToObject(doc, "kind", country_kind_name(c->kind));
		cJSON_AddNumberToObject(doc, "index", c->index);
		ports = cJSON_AddObjectToObject(doc, "ports");
		for (i = 0; i < n; i++)
			cJSON_AddNumberToObject(ports, ports_service_at(i)->name, ports_value(&p, i));
		cJSON_AddStringToObject(doc, "bind", DIVE_PORTS_BIND);
		return print_json(ctx, doc);
	}
	fprintf(ctx->out, "%s %s (%s, index %d), published on %s\n", c->code, c->name,
		country_kind_name(c->kind), c->index, DIVE_PORTS_BIND);
	fprintf(ctx->out, "%-16s %-6s %s\n", "SERVICE", "HOST", "CONTAINER");
	for (i = 0; i < n; i++) {
		const struct dive_port_service *s = ports_service_at(i);

		fprintf(ctx->out, "%-16s %-6d %s\n", s->name, ports_value(&p, i), s->container_port_hint);
	}
	return DIVE_EXIT_OK;
}

static int cmd_spoke_list_countries(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	size_t i, n = country_count();

	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "countries");

		for (i = 0; i < n; i++) {
			const struct dive_country *c = country_at(i);
			cJSON *row = cJSON_CreateObject();

			cJSON_AddStringToObject(row, "code", c->code);
			cJSON_AddStringToObject(row, "name", c->name);
			cJSON_AddStringToObject(row, "kind", country_kind_name(c->kind));
			cJSON_AddNumberToObject(row, "index", c->index);
			cJSON_AddItemToArray(list, row);
		}
		return print_json(ctx, doc);
	}
	fprintf(ctx->out, "%-4s %5s  %-7s  %s\n", "CODE", "INDEX", "KIND", "NAME");
	for (i = 0; i < n; i++) {
		const struct dive_country *c = country_at(i);

		fprintf(ctx->out, "%-4s %5d  %-7s  %s\n", c->code, c->index, country_kind_name(c->kind), c->name);
	}
	return DIVE_EXIT_OK;
}

#define STATE_DOCKER (DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER)

static int cmd_spoke_deploy(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_deploy(ctx, inv, STACK_SPOKE, inv->country, "deploy");
}

static int cmd_spoke_up(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_deploy(ctx, inv, STACK_SPOKE, inv->country, "up");
}

static int cmd_spoke_verify(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_deploy(ctx, inv, STACK_SPOKE, inv->country, "verify");
}

static int cmd_spoke_down(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_down(ctx, inv, STACK_SPOKE, inv->country, 0);
}

static int cmd_spoke_clean(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return cmd_stack_down(ctx, inv, STACK_SPOKE, inv->country, 1);
}

/* `dive spoke status [CODE]`: exit 3 when a service is not healthy. */
static int cmd_spoke_status(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	cJSON *doc = ctx->json ? cJSON_CreateObject() : NULL, *arr = doc ? cJSON_AddArrayToObject(doc, "spokes") : NULL;
	struct state_instance *list = NULL;
	size_t n = 0, i;
	int rc = 0, healthy = 1;

	if (inv->argc == 1) {
		rc = cmd_stack_status(ctx, STACK_SPOKE, inv->country, arr, &healthy);
	} else {
		rc = state_list(ctx->store, &list, &n);
		for (i = 0; rc == 0 && i < n; i++) {
			const struct dive_country *c = country_find(list[i].code);

			if (c && c->kind != DIVE_COUNTRY_HUB && list[i].state != DIVE_STATE_UNKNOWN)
				rc = cmd_stack_status(ctx, STACK_SPOKE, c, arr, &healthy);
		}
		free(list);
	}
	if (rc < 0) {
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot read spoke status");
	}
	if (doc) {
		cJSON_AddBoolToObject(doc, "healthy", healthy);
		dive_print_json(ctx, doc);
	}
	return healthy ? DIVE_EXIT_OK : DIVE_EXIT_UNHEALTHY;
}

static int cmd_spoke_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct state_instance *list = NULL;
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "spokes");
	size_t n = 0, i;
	int rc = state_list(ctx->store, &list, &n);

	if (rc < 0) {
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot list spokes");
	}
	for (i = 0; i < n; i++) {
		const struct dive_country *c = country_find(list[i].code);
		cJSON *o;

		if (!c || c->kind == DIVE_COUNTRY_HUB)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", c->code);
		cJSON_AddStringToObject(o, "name", c->name);
		cJSON_AddStringToObject(o, "state", dive_state_name(list[i].state));
		cJSON_AddStringToObject(o, "updated_at", list[i].updated_at);
		cJSON_AddItemToArray(arr, o);
		if (!ctx->json)
			fprintf(ctx->out, "%s  %-16s %-12s %s\n", c->code, c->name, dive_state_name(list[i].state),
				list[i].updated_at);
	}
	free(list);
	if (ctx->json)
		return dive_print_json(ctx, doc);
	if (cJSON_GetArraySize(arr) == 0)
		fprintf(ctx->out, "no spoke has state yet\n");
	cJSON_Delete(doc);
	return DIVE_EXIT_OK;
}

#define CHANGE (DIVE_ARG_SPOKE | STATE_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN)

const struct dive_verb cmd_spoke_verbs[] = {
	{ .name = "deploy", .fn = cmd_spoke_deploy, .validate = cmd_spoke_config_validate, .min_args = 1, .max_args = 1, .flags = CHANGE,
	  .opts = cmd_spoke_deploy_opts, .usage = "CODE", .summary = "deploy a spoke through the five-phase pipeline",
	  .issue = 6 },
	{ .name = "up", .fn = cmd_spoke_up, .validate = cmd_spoke_config_validate, .min_args = 1, .max_args = 1, .flags = CHANGE, .opts = cmd_spoke_deploy_opts,
	  .usage = "CODE", .summary = "start an initialised spoke (skips initialization)", .issue = 6 },
	{ .name = "verify", .fn = cmd_spoke_verify, .validate = cmd_spoke_config_validate, .min_args = 1, .max_args = 1,
	  .flags = DIVE_ARG_SPOKE | STATE_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN, .opts = cmd_stack_verify_opts, .usage = "CODE",
	  .summary = "check a deployed spoke for real: health, and a federated login each way", .issue = 11 },
	{ .name = "down", .fn = cmd_spoke_down, .min_args = 1, .max_args = 1, .flags = CHANGE | DIVE_DESTRUCTIVE,
	  .opts = cmd_stack_down_opts, .usage = "CODE", .summary = "stop and remove a spoke's containers, nothing else",
	  .issue = 6 },
	{ .name = "status", .fn = cmd_spoke_status, .max_args = 1, .flags = DIVE_ARG_SPOKE | STATE_DOCKER,
	  .usage = "[CODE]", .summary = "state and health of one spoke or all", .issue = 6 },
	{ .name = "logs", .fn = cmd_spoke_logs, .validate = cmd_stack_logs_validate, .min_args = 1, .max_args = 2,
	  .flags = DIVE_ARG_SPOKE | STATE_DOCKER, .opts = cmd_stack_logs_opts, .usage = "CODE [SERVICE]",
	  .summary = "a spoke's container logs, each line after its service, in time order", .issue = 19 },
	{ .name = "list", .fn = cmd_spoke_list, .flags = DIVE_NEEDS_STATE, .summary = "spokes known to the state store",
	  .issue = 6 },
	{ .name = "ports", .fn = cmd_spoke_ports, .min_args = 1, .max_args = 1, .usage = "CODE",
	  .summary = "host ports of a spoke (USA: of the hub)" },
	{ .name = "clean", .fn = cmd_spoke_clean, .min_args = 1, .max_args = 1, .flags = CHANGE | DIVE_DESTRUCTIVE,
	  .opts = cmd_stack_down_opts, .usage = "CODE",
	  .summary = "remove a spoke's containers, volumes and network (asks first)", .issue = 6 },
	{ .name = "init", .fn = cmd_spoke_init, .validate = cmd_spoke_init_validate, .min_args = 1, .max_args = -1,
	  .flags = DIVE_ARG_SPOKE, .opts = cmd_spoke_init_opts, .usage = "CODE [KEY=VALUE...]",
	  .summary = "write instances/<code>/instance.yml: the keys given, every other one commented with its default" },
	{ .name = "config", .fn = cmd_spoke_config, .validate = cmd_spoke_config_args, .max_args = 1,
	  .flags = DIVE_ARG_SPOKE, .opts = cmd_spoke_config_opts, .usage = "[CODE]",
	  .summary = "the spoke's configuration in force and where each value comes from" },
	{ .name = "list-countries", .fn = cmd_spoke_list_countries,
	  .summary = "the 32 NATO members and 6 partners dive knows" },
	DIVE_VERB_END,
};
