/*
 * cmd_stack_logs.c - `dive hub logs [SERVICE]` and `dive spoke logs CODE
 * [SERVICE]`: the stack's container logs, each line prefixed with its
 * service, the services merged in time order (stacklogs.h).
 *
 *   --tail N     the last N lines of each container
 *   --since D    lines of the last D (30s, 10m, 2h, 1d)
 *   --follow     keep printing new lines until Ctrl-C (exit 130)
 *   --timestamps docker's time of each line after the prefix
 *   --json       {"lines": [{service, time, text}]} (not with --follow)
 *
 * What a container wrote reaches the terminal without its control
 * characters (text.h): a tab is a space, anything else a '?'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/stacklogs.h"
#include "dive/text.h"

#define LINE_SHOWN_MAX 8192

struct printer {
	struct dive_ctx *ctx;
	int timestamps;
	cJSON *lines;     /* --json */
};

static int print_line(void *user, const struct stacklogs_line *l)
{
	struct printer *p = user;
	char *copy = strdup(l->text), *q, shown[LINE_SHOWN_MAX];

	if (!copy)
		abort();
	for (q = copy; *q; q++)
		if (*q == '\t')
			*q = ' ';
	text_shown(shown, sizeof(shown), copy);
	free(copy);
	if (p->lines) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "service", l->service);
		cJSON_AddStringToObject(o, "time", l->ts);
		cJSON_AddStringToObject(o, "text", shown);
		cJSON_AddItemToArray(p->lines, o);
		return 0;
	}
	if (p->timestamps)
		fprintf(p->ctx->out, "%-*s | %s %s\n", (int)l->width, l->service, l->ts, shown);
	else
		fprintf(p->ctx->out, "%-*s | %s\n", (int)l->width, l->service, shown);
	/* a follower's reader sees each line as it comes; a closed pipe ends it */
	if (fflush(p->ctx->out) != 0)
		return dive_error_set(DIVE_EFAIL, "cannot write the logs");
	return 0;
}

/* "30s", "10m", "2h", "1d" in seconds; -1 when it is not one. */
static long duration_seconds(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (v < 0 || v > 100000000 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': return v;
	case 'm': return v * 60;
	case 'h': return v * 3600;
	case 'd': return v * 86400;
	}
	return -1;
}

static int check_since(const char *value)
{
	if (duration_seconds(value) <= 0)
		return dive_error_set(DIVE_EUSAGE, "--since takes a duration such as 30s, 10m, 2h or 1d, not '%.40s'",
				      value);
	return 0;
}

/* SERVICE is a service name as compose writes them; --json and --follow exclude each other. */
int cmd_stack_logs_validate(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	int first = inv->verb->flags & DIVE_ARG_SPOKE ? 1 : 0;
	const char *svc = inv->argc > first ? inv->argv[first] : NULL;
	size_t i;

	if (ctx->json && dive_opt_given(inv, "follow"))
		return dive_error_set(DIVE_EUSAGE, "--json and --follow exclude each other");
	if (svc) {
		for (i = 0; svc[i]; i++)
			if (!((svc[i] >= 'a' && svc[i] <= 'z') || (svc[i] >= 'A' && svc[i] <= 'Z') ||
			      (svc[i] >= '0' && svc[i] <= '9') || (i && strchr("_.-", svc[i]))))
				break;
		if (!svc[0] || svc[i] || i > 64)
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not a service name", svc);
	}
	return 0;
}

static int stack_logs(struct dive_ctx *ctx, const struct dive_inv *inv, enum stack_kind kind,
		      const struct dive_country *c, const char *service)
{
	struct stacklogs_opts o = { .service = service, .tail = (int)dive_opt_int(inv, "tail", -1) };
	struct printer p = { ctx, dive_opt_given(inv, "timestamps"), NULL };
	cJSON *doc = NULL;
	int rc;

	if (dive_opt_given(inv, "since"))
		o.since = (long)time(NULL) - duration_seconds(dive_opt_str(inv, "since", NULL));
	o.follow = dive_opt_given(inv, "follow");
	if (ctx->json) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "code", c->code);
		p.lines = cJSON_AddArrayToObject(doc, "lines");
	}
	rc = stacklogs_read(ctx->store, ctx->docker_host, kind, c, &o, print_line, &p);
	if (rc == DIVE_EINTR) {
		cJSON_Delete(doc);
		return DIVE_EXIT_INTERRUPTED;
	}
	if (rc < 0) {
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot read the logs");
	}
	return doc ? dive_print_json(ctx, doc) : DIVE_EXIT_OK;
}

int cmd_hub_logs(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return stack_logs(ctx, inv, STACK_HUB, country_find("USA"), inv->argc ? inv->argv[0] : NULL);
}

int cmd_spoke_logs(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return stack_logs(ctx, inv, STACK_SPOKE, inv->country, inv->argc > 1 ? inv->argv[1] : NULL);
}

const struct dive_opt cmd_stack_logs_opts[] = {
	{ .name = "follow", .short_name = 'f', .type = DIVE_OPT_BOOL,
	  .help = "keep printing new lines until Ctrl-C (exit 130)" },
	{ .name = "tail", .short_name = 'n', .type = DIVE_OPT_INT, .arg = "N",
	  .help = "the last N lines of each container (default all)", .min = 0, .max = 1000000 },
	{ .name = "since", .type = DIVE_OPT_STRING, .arg = "DURATION", .max_len = 16, .check = check_since,
	  .help = "only lines of the last DURATION: 30s, 10m, 2h, 1d" },
	{ .name = "timestamps", .short_name = 't', .type = DIVE_OPT_BOOL, .help = "show docker's time of each line" },
	DIVE_OPT_END,
};
