/*
 * cmd.h - the verb tables of each command family (one file per noun:
 * src/cmd/cmd_<noun>.c) and the helpers they share.  The top-level table
 * that lists them is src/cmd/table.c.
 */
#ifndef DIVE_CMD_H
#define DIVE_CMD_H

#include "dive/cli.h"

extern const struct dive_verb cmd_hub_verbs[];
extern const struct dive_verb cmd_spoke_verbs[];
extern const struct dive_verb cmd_federation_verbs[];
extern const struct dive_verb cmd_policy_verbs[];
extern const struct dive_verb cmd_state_verbs[];
extern const struct dive_verb cmd_lock_verbs[];
extern const struct dive_verb cmd_db_verbs[];
extern const struct dive_verb cmd_breaker_verbs[];
extern const struct dive_verb cmd_errors_verbs[];
extern const struct dive_verb cmd_images_verbs[];
extern const struct dive_verb cmd_engine_verbs[];
extern const struct dive_verb cmd_certs_verbs[];
extern const struct dive_verb cmd_secrets_verbs[];
extern const struct dive_verb cmd_runs_verbs[];
extern const struct dive_verb cmd_graph_verb;
extern const struct dive_verb cmd_version_verb;
extern const struct dive_verb cmd_help_verb;
extern const struct dive_verb cmd_completion_verb;
extern const struct dive_verb cmd_serve_verb;
extern const struct dive_verb cmd_metrics_verb;

/* `dive federation audit --history` (cmd_audit_history.c). */
int cmd_audit_history(struct dive_ctx *ctx, const struct dive_inv *inv);

/* What hub and spoke share (cmd_stack.c). */
#include "dive/stack.h"
struct dive_country;
int cmd_stack_deploy(struct dive_ctx *ctx, const struct dive_inv *inv, enum stack_kind kind,
		     const struct dive_country *c, const char *mode);
/* Adds one status document to collect (or prints it); clears *all_healthy when unhealthy. */
int cmd_stack_status(struct dive_ctx *ctx, enum stack_kind kind, const struct dive_country *c, cJSON *collect,
		     int *all_healthy);
/* The pipeline's progress on ctx->err (quiet with -q or --json); user is the struct dive_ctx. */
struct pipeline_event;
void cmd_stack_progress(void *user, const struct pipeline_event *ev);
int cmd_stack_down(struct dive_ctx *ctx, const struct dive_inv *inv, enum stack_kind kind,
		   const struct dive_country *c, int clean);

/*
 * Options several families share.  A DIVE_TAKES_LOCK row has --lock-wait
 * (the dispatcher puts it in ctx->lock_wait_ms), a DIVE_DESTRUCTIVE row
 * --yes (ctx->yes); tests/unit/test_cli.c checks that they do.
 */
/* `dive spoke init` and `dive spoke config` (cmd_spoke_config.c), rows of cmd_spoke_verbs. */
int cmd_spoke_init(struct dive_ctx *ctx, const struct dive_inv *inv);
int cmd_spoke_init_validate(const struct dive_ctx *ctx, const struct dive_inv *inv);
int cmd_spoke_config(struct dive_ctx *ctx, const struct dive_inv *inv);
int cmd_spoke_config_args(const struct dive_ctx *ctx, const struct dive_inv *inv);
/* The instance file of the spoke verbs, read and checked before any side effect (a validate hook). */
int cmd_spoke_config_validate(const struct dive_ctx *ctx, const struct dive_inv *inv);
/* The flags of inv that override instance keys (--engine, --hub-url), by key; NULL where not given. */
#include "dive/instance.h"
void cmd_spoke_flags(const struct dive_inv *inv, const char *flags[IK__COUNT]);
extern const struct dive_opt cmd_spoke_init_opts[];
extern const struct dive_opt cmd_spoke_config_opts[];

/* `dive state flow` (cmd_state_flow.c), a row of cmd_state_verbs. */
int cmd_state_flow(struct dive_ctx *ctx, const struct dive_inv *inv);
int cmd_state_flow_validate(const struct dive_ctx *ctx, const struct dive_inv *inv);
extern const struct dive_opt cmd_state_flow_opts[];

/* `dive hub logs` and `dive spoke logs` (cmd_stack_logs.c), rows of their tables. */
int cmd_hub_logs(struct dive_ctx *ctx, const struct dive_inv *inv);
int cmd_spoke_logs(struct dive_ctx *ctx, const struct dive_inv *inv);
int cmd_stack_logs_validate(const struct dive_ctx *ctx, const struct dive_inv *inv);
extern const struct dive_opt cmd_stack_logs_opts[];

/* One stack's graph as `dive graph hub|spoke CODE` reads it (placeholders for secrets); free both (cmd_graph.c). */
struct graph;
struct compose;
int cmd_stack_graph(struct graph **g, struct compose **compose, enum stack_kind kind, const char *code);

/*
 * The live view of a deploy on a terminal (cmd_live.c): each service
 * waiting for its dependencies, starting, created, health starting (12s),
 * healthy, redrawn with the elapsed time; the other events as lines above
 * it, printed by plain (with ctx as user).  cmd_live_start returns NULL
 * (then plain lines: cmd_stack_progress) when
 * stderr is not a terminal, CI is set, or with -q, --json or --dry-run.
 * cmd_live_progress is the pipeline's progress callback with the view as
 * user; cmd_live_stop draws the last state and frees (NULL is fine).
 */
struct cmd_live;
struct cmd_live *cmd_live_start(struct dive_ctx *ctx, enum stack_kind kind, const struct dive_country *c,
				void (*plain)(void *user, const struct pipeline_event *ev));
void cmd_live_progress(void *user, const struct pipeline_event *ev);
void cmd_live_stop(struct cmd_live *l);

/* `dive images copy` (cmd_images_copy.c), a row of cmd_images_verbs. */
int cmd_images_copy(struct dive_ctx *ctx, const struct dive_inv *inv);

/*
 * "hint: <remediation> (error N NAME)" for a taxonomy code, each placeholder
 * of subst (NULL-terminated pairs: "NAME", "b", "ADDRESS", "10.0.0.2") replaced
 * (cmd_hint.c).  Nothing for --json or a code without a row.
 */
void cmd_hint(struct dive_ctx *ctx, int code, const char *const *subst);
/* dive_fail_last(ctx, rc, what), then the hint of the error's code. */
int cmd_fail_hint(struct dive_ctx *ctx, int rc, const char *what, const char *const *subst);

/* Options several families share. */
#define DIVE_OPT_LOCK_WAIT \
	{ .name = "lock-wait", .type = DIVE_OPT_INT, .arg = "SECONDS", \
	  .help = "wait up to SECONDS for a held lock (default 0)", .min = 0, .max = 86400 }
#define DIVE_OPT_YES \
	{ .name = "yes", .short_name = 'y', .type = DIVE_OPT_BOOL, .help = "do not ask for confirmation" }
#define DIVE_OPT_ENGINE \
	{ .name = "engine", .type = DIVE_OPT_STRING, .arg = "NAME", .max_len = 31, \
	  .help = "the engine the spoke runs on: local or one of 'dive engine list' (engine of instance.yml)" }
#define DIVE_OPT_HUB_URL \
	{ .name = "hub-url", .type = DIVE_OPT_STRING, .arg = "URL", .max_len = 1024, \
	  .help = "the hub's backend as the spoke reaches it (hub_url of instance.yml; DIVE_HUB_URL)" }
#define DIVE_OPT_END { .name = NULL }
#define DIVE_VERB_END { .name = NULL }

/* --from-phase, --rollback and --parallel of the deploy verbs (cmd_stack.c). */
extern const struct dive_opt cmd_stack_deploy_opts[];
extern const struct dive_opt cmd_stack_down_opts[];
extern const struct dive_opt cmd_stack_verify_opts[];
extern const struct dive_opt cmd_spoke_deploy_opts[];

#endif
