/*
 * cmd_stack.c - what `dive hub` and `dive spoke` share: deploy/up, status,
 * down/clean, with progress on stderr and one JSON document with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/deploy.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/instcfg.h"
#include "dive/exitcode.h"
#include "dive/pipeline.h"
#include "dive/settings.h"
#include "dive/state.h"
#include "dive/store.h"

void cmd_stack_progress(void *user, const struct pipeline_event *ev)
{
	struct dive_ctx *ctx = user;
	const char *what = "";

	if (ctx->quiet || ctx->json)
		return;
	switch (ev->kind) {
	case PIPELINE_EV_PHASE_START:
		fprintf(ctx->err, "[%6.1fs] %s%s%s\n", ev->elapsed_ms / 1000.0, ctx->color ? "\033[1m" : "",
			dive_phase_name(ev->phase), ctx->color ? "\033[0m" : "");
		return;
	case PIPELINE_EV_PHASE_DONE:
		return;
	case PIPELINE_EV_STEP_START:
		if (ctx->verbose == 0)
			return;
		what = "...";
		break;
	case PIPELINE_EV_STEP_DONE:
		what = "done";
		break;
	case PIPELINE_EV_STEP_SKIPPED:
		what = "skipped (done before)";
		break;
	case PIPELINE_EV_STEP_FAILED:
		what = "FAILED";
		break;
	case PIPELINE_EV_ROLLBACK:
		what = "rollback";
		break;
	case PIPELINE_EV_NOTE:
		what = "";
		break;
	}
	fprintf(ctx->err, "[%6.1fs]   %s%s%s%s %s%s%s\n", ev->elapsed_ms / 1000.0, ev->service, *ev->service ? " " : "",
		ev->action, *ev->action ? ":" : "", what, ev->message ? " " : "", ev->message ? ev->message : "");
}

/* A run that failed is a failure (1), whatever failed in it; 3 is for status verbs. */
static int exit_for(int rc, const struct pipeline_result *r)
{
	if (rc == 0)
		return DIVE_EXIT_OK;
	if (rc == DIVE_EUNHEALTHY || rc == DIVE_ETIMEOUT)
		return DIVE_EXIT_FAILURE;
	/* a run that lost its lock stops its other steps as a signal would; it is still a lost lock (exit-codes.md) */
	if (r->error_code == ERRC_LOCK_LOST)
		return DIVE_EXIT_LOCKED;
	return dive_exit_from_err(rc);
}

static void hint(struct dive_ctx *ctx, int code)
{
	const struct errcode *e = code ? errcode_find(code) : NULL;

	if (e && e->remediation)
		fprintf(ctx->err, "hint: %s (error %d %s)\n", e->remediation, e->code, e->name);
}

static cJSON *result_json(const struct deploy_opts *o, const struct deploy_report *rep, int rc)
{
	cJSON *doc = cJSON_CreateObject(), *phases = cJSON_CreateArray();
	const struct pipeline_result *r = &rep->pipeline;
	int i;

	cJSON_AddBoolToObject(doc, "ok", rc == 0);
	cJSON_AddStringToObject(doc, "code", o->country->code);
	cJSON_AddStringToObject(doc, "mode", o->mode);
	cJSON_AddNumberToObject(doc, "run_id", (double)r->run_id);
	cJSON_AddStringToObject(doc, "outcome", pipeline_outcome_name(r->outcome));
	cJSON_AddNumberToObject(doc, "total_ms", (double)r->total_ms);
	for (i = 0; i < DIVE_PHASE__COUNT; i++) {
		cJSON *p;

		if (r->phase_ms[i] < 0)
			continue;
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "phase", dive_phase_name((enum dive_phase)i));
		cJSON_AddNumberToObject(p, "ms", (double)r->phase_ms[i]);
		cJSON_AddItemToArray(phases, p);
	}
	cJSON_AddItemToObject(doc, "phases", phases);
	if (!o->dry_run) {
		cJSON *errors = cJSON_AddObjectToObject(doc, "errors");

		for (i = 0; i < ERRSEV__COUNT; i++)
			cJSON_AddNumberToObject(errors, errsev_name((enum errsev)i), r->errors[i]);
		if (r->warning[0])
			cJSON_AddStringToObject(doc, "warning", r->warning);
	}
	cJSON_AddItemToObject(doc, "services", cJSON_Duplicate(rep->services, 1));
	cJSON_AddItemToObject(doc, "checks", cJSON_Duplicate(rep->checks, 1));
	if (o->dry_run)
		cJSON_AddItemToObject(doc, "plan", cJSON_Duplicate(r->steps, 1));
	if (rc < 0) {
		cJSON *e = cJSON_AddObjectToObject(doc, "error");
		const struct errcode *ec = r->error_code ? errcode_find(r->error_code) : NULL;

		cJSON_AddStringToObject(e, "message", r->error[0] ? r->error : dive_error_last());
		if (r->failed_phase >= 0)
			cJSON_AddStringToObject(e, "phase", dive_phase_name((enum dive_phase)r->failed_phase));
		if (r->failed_service[0])
			cJSON_AddStringToObject(e, "service", r->failed_service);
		if (ec) {
			cJSON_AddNumberToObject(e, "code", ec->code);
			cJSON_AddStringToObject(e, "name", ec->name);
			cJSON_AddStringToObject(e, "remediation", ec->remediation);
		}
	}
	return doc;
}

/* A run that succeeded with errors recorded says so: "2 medium errors recorded (dive errors recent)". */
static void print_recorded(struct dive_ctx *ctx, const struct pipeline_result *r)
{
	char line[160] = "";
	size_t len = 0;
	int i;

	for (i = 0; i < ERRSEV__COUNT; i++)
		if (r->errors[i] > 0 && len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%d %s", len ? ", " : "", r->errors[i],
						errsev_name((enum errsev)i));
	if (len)
		fprintf(ctx->out, "  errors recorded in the run: %s (dive errors recent)\n", line);
	if (r->warning[0])
		fprintf(ctx->out, "  warning: %s\n", r->warning);
}

/* One line per check: ok, FAILED or skipped, and what was seen. */
static void print_checks(struct dive_ctx *ctx, const cJSON *checks)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, checks) {
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(c, "status"));
		const char *detail = cJSON_GetStringValue(cJSON_GetObjectItem(c, "detail"));

		if (!st)
			st = cJSON_IsTrue(cJSON_GetObjectItem(c, "ok")) ? "ok" : "failed";
		fprintf(ctx->out, "  %-7s %s%s%s\n", !strcmp(st, "failed") ? "FAILED" : st,
			cJSON_GetStringValue(cJSON_GetObjectItem(c, "check")), detail ? ": " : "", detail ? detail : "");
	}
}

int cmd_stack_deploy(struct dive_ctx *ctx, const struct dive_inv *inv, enum stack_kind kind,
		     const struct dive_country *c, const char *mode)
{
	struct deploy_opts o = { 0 };
	struct deploy_report rep;
	struct instcfg cfg;
	struct cmd_live *live;
	char actor[256];
	const char *from = dive_opt_str(inv, "from-phase", NULL), *rb = dive_opt_str(inv, "rollback", "auto");
	enum dive_phase ph;
	int rc, code;

	memset(&cfg, 0, sizeof(cfg));
	dive_inv_command(actor, sizeof(actor), inv);
	o.kind = kind;
	o.country = c;
	o.mode = mode;
	o.actor = actor;
	o.resume = dive_opt_given(inv, "resume");
	/* the dispatcher checked both values against the option rows below */
	o.from_phase = from && dive_phase_parse(&ph, from) == 0 ? (int)ph : -1;
	o.rollback = !strcmp(rb, "auto");
	o.parallel = (int)dive_opt_int(inv, "parallel", 0);
	o.dry_run = ctx->dry_run;
	o.lock_wait_ms = ctx->lock_wait_ms;
	o.docker_host = ctx->docker_host;
	o.secrets_spec = settings_getenv("DIVE_SECRETS");
	o.instances_dir = ctx->instances_dir;
	o.bootstrapped = ctx->bootstrapped;
	if (kind == STACK_SPOKE) {
		const char *flags[IK__COUNT];

		/* instance.yml under the environment and the flags (checked by the row's validate hook already) */
		cmd_spoke_flags(inv, flags);
		if ((rc = instcfg_load(&cfg, ctx->instances_dir, c, flags)) < 0) {
			instcfg_release(&cfg);
			return dive_fail(ctx, rc, "%s", dive_error_last());
		}
		o.instance = &cfg;
		o.secrets_spec = cfg.value[IK_SECRETS_PROVIDER];
	}
	live = cmd_live_start(ctx, kind, c, cmd_stack_progress);
	o.progress = live ? cmd_live_progress : cmd_stack_progress;
	o.user = live ? (void *)live : (void *)ctx;
	rc = deploy_run(ctx->store, &o, &rep);
	cmd_live_stop(live);
	instcfg_release(&cfg);
	code = exit_for(rc, &rep.pipeline);
	if (ctx->json) {
		dive_print_json(ctx, result_json(&o, &rep, rc));
		if (rc < 0)
			fprintf(ctx->err, "dive: %s\n", rep.pipeline.error[0] ? rep.pipeline.error : dive_error_last());
	} else if (rc < 0) {
		char what[96];

		snprintf(what, sizeof(what), "cannot %s %s '%s'", mode, kind == STACK_HUB ? "the hub" : "spoke", c->code);
		fprintf(ctx->err, "dive: %s: %s%s%s\n", what,
			rep.pipeline.error[0] ? rep.pipeline.error : dive_error_last(),
			rep.pipeline.outcome == PIPELINE_ROLLED_BACK ? " (rolled back)" : "",
			rep.pipeline.outcome == PIPELINE_INTERRUPTED ? " (interrupted: continue with --resume)" : "");
		hint(ctx, rep.pipeline.error_code ? rep.pipeline.error_code : dive_error_last_code());
	} else if (ctx->dry_run) {
		const cJSON *s;

		fprintf(ctx->out, "plan for %s (nothing was changed):\n", c->code);
		cJSON_ArrayForEach(s, rep.pipeline.steps)
			fprintf(ctx->out, "  %-15s %-12s %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(s, "phase")),
				cJSON_GetStringValue(cJSON_GetObjectItem(s, "service")),
				cJSON_GetStringValue(cJSON_GetObjectItem(s, "action")));
	}
	if (!ctx->json && !ctx->dry_run && !strcmp(mode, "verify"))
		print_checks(ctx, rep.checks);
	if (!ctx->json && !ctx->dry_run && rc == 0) {
		fprintf(ctx->out, "%s %s: %s in %.1fs (run %lld)\n", kind == STACK_HUB ? "hub" : "spoke", c->code,
			pipeline_outcome_name(rep.pipeline.outcome), rep.pipeline.total_ms / 1000.0, rep.pipeline.run_id);
		print_recorded(ctx, &rep.pipeline);
	}
	deploy_report_release(&rep);
	return code;
}

static void print_status(struct dive_ctx *ctx, const cJSON *doc)
{
	const cJSON *s;
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "state"));

	const char *engine = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "engine"));
	const char *health = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "health"));

	fprintf(ctx->out, "%s %s  %s%s%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(doc, "code")),
		cJSON_GetStringValue(cJSON_GetObjectItem(doc, "name")), state ? state : "",
		engine && strcmp(engine, "local") ? "  engine " : "", engine && strcmp(engine, "local") ? engine : "");
	if (health && !strcmp(health, "unreachable"))
		fprintf(ctx->out, "  unreachable: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(doc, "error")));
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services"))
		fprintf(ctx->out, "  %-12s %-9s %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(s, "service")),
			cJSON_GetStringValue(cJSON_GetObjectItem(s, "state")),
			cJSON_GetStringValue(cJSON_GetObjectItem(s, "health")));
}

int cmd_stack_status(struct dive_ctx *ctx, enum stack_kind kind, const struct dive_country *c, cJSON *collect,
		     int *all_healthy)
{
	cJSON *doc = NULL;
	int rc, healthy = 0;

	rc = deploy_status(ctx->store, ctx->docker_host, kind, c, &doc, &healthy);
	if (rc < 0)
		return rc;
	*all_healthy &= healthy;
	if (collect)
		cJSON_AddItemToArray(collect, doc);
	else {
		print_status(ctx, doc);
		cJSON_Delete(doc);
	}
	return 0;
}

int cmd_stack_down(struct dive_ctx *ctx, const struct dive_inv *inv, enum stack_kind kind,
		   const struct dive_country *c, int clean)
{
	struct deploy_down_env env = { ctx->docker_host, ctx->instances_dir, settings_getenv("DIVE_SECRETS") };
	cJSON *list = NULL;
	char actor[256];
	int rc, n;

	dive_inv_command(actor, sizeof(actor), inv);
	/* say what will go before anything goes */
	rc = deploy_down(ctx->store, &env, kind, c, clean, 1, actor, 0, &list);
	if (rc < 0) {
		cJSON_Delete(list);
		return dive_fail_last(ctx, rc, "cannot list what to remove");
	}
	n = cJSON_GetArraySize(cJSON_GetObjectItem(list, "containers")) +
	    cJSON_GetArraySize(cJSON_GetObjectItem(list, "networks")) +
	    cJSON_GetArraySize(cJSON_GetObjectItem(list, "volumes"));
	if (!ctx->json) {
		const cJSON *x;
		const char *kinds[] = { "containers", "networks", "volumes" };
		size_t k;

		for (k = 0; k < 3; k++)
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(list, kinds[k]))
				fprintf(ctx->out, "%s %.*s %s\n", ctx->dry_run ? "would remove" : "removing",
					(int)strlen(kinds[k]) - 1, kinds[k], x->valuestring);
	}
	if (ctx->dry_run) {
		if (ctx->json) {
			cJSON_AddBoolToObject(list, "dry_run", 1);
			return dive_print_json(ctx, list);
		}
		cJSON_Delete(list);
		return DIVE_EXIT_OK;
	}
	cJSON_Delete(list);
	list = NULL;
	if (n > 0 && dive_confirm(ctx, "remove these %d objects?", n) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	rc = deploy_down(ctx->store, &env, kind, c, clean, 0, actor, ctx->lock_wait_ms, &list);
	if (rc < 0) {
		cJSON_Delete(list);
		return dive_fail_last(ctx, rc, clean ? "cannot clean" : "cannot stop");
	}
	if (ctx->json)
		return dive_print_json(ctx, list);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(list, "federation_left")))
		fprintf(ctx->err, "warning: %s is still federated: %s (run 'dive federation unregister %s' when the hub "
				  "answers)\n", c->code, cJSON_GetStringValue(cJSON_GetObjectItem(list, "federation_left")),
			c->code);
	else if (cJSON_GetStringValue(cJSON_GetObjectItem(list, "federation")))
		fprintf(ctx->out, "%s federation: %s\n", c->code, cJSON_GetStringValue(cJSON_GetObjectItem(list, "federation")));
	cJSON_Delete(list);
	fprintf(ctx->out, "%s %s\n", c->code, clean ? "cleaned" : "stopped");
	return DIVE_EXIT_OK;
}

/* --from-phase: one of the five phases (pipeline.h). */
static int check_phase(const char *value)
{
	enum dive_phase ph;

	return dive_phase_parse(&ph, value);
}

static const char *const rollback_choices[] = { "auto", "none", NULL };

/* The options of every deploy (hub and spoke). */
#define DEPLOY_OPTS                                                                                                    \
	{ .name = "resume", .type = DIVE_OPT_BOOL, .help = "continue an interrupted run, skipping steps already done" }, \
	{ .name = "from-phase", .type = DIVE_OPT_STRING, .arg = "PHASE", .check = check_phase,                           \
	  .help = "start at PHASE (preflight, initialization, deployment, configuration, verification)" },             \
	{ .name = "rollback", .type = DIVE_OPT_STRING, .arg = "auto|none", .choices = rollback_choices,                  \
	  .help = "on failure, roll back to the last good checkpoint (default auto)" },                                 \
	{ .name = "parallel", .type = DIVE_OPT_INT, .arg = "N", .help = "start at most N services at once",              \
	  .min = 1, .max = 64 }

const struct dive_opt cmd_stack_deploy_opts[] = {
	DEPLOY_OPTS,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

/* A spoke's deploy: the same, and the instance keys a flag may set (instance.h). */
const struct dive_opt cmd_spoke_deploy_opts[] = {
	DEPLOY_OPTS,
	DIVE_OPT_ENGINE,
	DIVE_OPT_HUB_URL,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

const struct dive_opt cmd_stack_verify_opts[] = {
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

const struct dive_opt cmd_stack_down_opts[] = {
	DIVE_OPT_YES,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};
