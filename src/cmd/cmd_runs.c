/*
 * cmd_runs.c - `dive runs ...`: the runs the state store recorded.
 *
 *   dive runs list [CODE] [--limit N]   newest first: outcome, duration, steps, errors
 *   dive runs show RUN                  phases with durations, every step, every error
 *
 * Both with --json; read only (runlog.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/runlog.h"

static const char *str(const cJSON *o, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return v ? v : "-";
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* 850ms, 12.3s, 4m05s */
static void duration(char *out, size_t n, double ms)
{
	if (ms < 1000)
		snprintf(out, n, "%.0fms", ms);
	else if (ms < 60000)
		snprintf(out, n, "%.1fs", ms / 1000);
	else
		snprintf(out, n, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000) % 60);
}

static int cmd_runs_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const cJSON *r;
	cJSON *arr = NULL;
	char d[24];
	int rc = runlog_list(ctx->store, &arr, inv->country ? inv->country->code : NULL,
			     (int)dive_opt_int(inv, "limit", 20));

	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot list runs");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddItemToObject(doc, "runs", arr);
		return dive_print_json(ctx, doc);
	}
	if (cJSON_GetArraySize(arr) == 0)
		fprintf(ctx->out, "no run recorded%s%s\n", inv->country ? " for " : "",
			inv->country ? inv->country->code : "");
	else
		fprintf(ctx->out, "%-6s %-4s %-8s %-11s %-24s %9s %6s %6s\n", "RUN", "CODE", "MODE", "OUTCOME",
			"STARTED", "DURATION", "STEPS", "ERRORS");
	cJSON_ArrayForEach(r, arr) {
		duration(d, sizeof(d), num(r, "duration_ms"));
		fprintf(ctx->out, "%-6.0f %-4s %-8s %-11s %-24s %9s %6.0f %6.0f\n", num(r, "id"), str(r, "code"),
			str(r, "mode"), str(r, "outcome"), str(r, "started_at"), d, num(r, "steps"), num(r, "errors"));
	}
	cJSON_Delete(arr);
	return DIVE_EXIT_OK;
}

static void show_text(struct dive_ctx *ctx, const cJSON *run)
{
	const cJSON *o;
	char d[24];

	duration(d, sizeof(d), num(run, "duration_ms"));
	fprintf(ctx->out, "run %.0f  %s %s: %s\n", num(run, "id"), str(run, "code"), str(run, "mode"),
		str(run, "outcome"));
	fprintf(ctx->out, "  started  %s by %s on %s\n", str(run, "started_at"), str(run, "actor"), str(run, "host"));
	fprintf(ctx->out, "  ended    %s (%s)%s\n", str(run, "ended_at"), d,
		num(run, "resumes") > 0 ? ", resumed" : "");
	fprintf(ctx->out, "\nphases:\n");
	if (cJSON_GetArraySize(cJSON_GetObjectItem(run, "phases")) == 0)
		fprintf(ctx->out, "  none: the run recorded no step\n");
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(run, "phases")) {
		duration(d, sizeof(d), num(o, "duration_ms"));
		fprintf(ctx->out, "  %-15s %9s  %3.0f steps%s\n", str(o, "phase"), d, num(o, "steps"),
			num(o, "failed") > 0 ? ", failed" : "");
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(run, "steps")) > 0)
		fprintf(ctx->out, "\nsteps:\n");
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(run, "steps")) {
		const char *svc = str(o, "service");

		duration(d, sizeof(d), num(o, "duration_ms"));
		fprintf(ctx->out, "  %-15s %-16s %-20s %-8s %9s", str(o, "phase"), *svc ? svc : "-", str(o, "action"),
			str(o, "status"), d);
		if (num(o, "attempt") > 1)
			fprintf(ctx->out, "  attempt %.0f", num(o, "attempt"));
		if (cJSON_IsNumber(cJSON_GetObjectItem(o, "error_code")))
			fprintf(ctx->out, "  error %.0f: %s", num(o, "error_code"), str(o, "error"));
		fputc('\n', ctx->out);
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItem(run, "errors")) > 0) {
		fprintf(ctx->out, "\nerrors:\n");
		cJSON_ArrayForEach(o, cJSON_GetObjectItem(run, "errors"))
			fprintf(ctx->out, "  %s  %.0f %-8s %s: %s\n    hint: %s\n", str(o, "at"), num(o, "code"),
				str(o, "severity"), str(o, "component"), str(o, "message"), str(o, "remediation"));
	}
}

static int cmd_runs_show(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	cJSON *run = NULL;
	int rc = runlog_show(ctx->store, &run, strtoll(inv->argv[0], NULL, 10));

	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot show the run");
	if (ctx->json)
		return dive_print_json(ctx, run);
	show_text(ctx, run);
	cJSON_Delete(run);
	return DIVE_EXIT_OK;
}

/* RUN is a run id: digits, at most 18 of them, not 0. */
static int validate_show(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *s = inv->argv[0];
	size_t n = strspn(s, "0123456789");

	(void)ctx;
	if (!n || s[n] || n > 18 || strtoll(s, NULL, 10) <= 0)
		return dive_error_set(DIVE_EUSAGE, "'%.32s' is not a run id (a number from dive runs list)", s);
	return 0;
}

static const struct dive_opt list_opts[] = {
	{ .name = "limit", .type = DIVE_OPT_INT, .arg = "N", .help = "at most N runs (default 20)", .min = 1,
	  .max = 10000 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_runs_verbs[] = {
	{ .name = "list", .fn = cmd_runs_list, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE,
	  .opts = list_opts, .usage = "[CODE]", .summary = "recorded runs, newest first: outcome, duration, steps, errors",
	  .issue = 19 },
	{ .name = "show", .fn = cmd_runs_show, .validate = validate_show, .min_args = 1, .max_args = 1,
	  .flags = DIVE_NEEDS_STATE, .usage = "RUN",
	  .summary = "one run: its phases with durations, every step and every error", .issue = 19 },
	DIVE_VERB_END,
};
