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
extern const struct dive_verb cmd_state_verbs[];
extern const struct dive_verb cmd_lock_verbs[];
extern const struct dive_verb cmd_db_verbs[];
extern const struct dive_verb cmd_breaker_verbs[];
extern const struct dive_verb cmd_errors_verbs[];
extern const struct dive_verb cmd_images_verbs[];
extern const struct dive_verb cmd_secrets_verbs[];
extern const struct dive_verb cmd_graph_verb;
extern const struct dive_verb cmd_version_verb;
extern const struct dive_verb cmd_help_verb;

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

/* Options several families share. */
#define DIVE_OPT_LOCK_WAIT \
	{ "lock-wait", 0, DIVE_OPT_INT, "SECONDS", "wait up to SECONDS for a held lock (default 0)", 0, 86400 }
#define DIVE_OPT_YES \
	{ "yes", 'y', DIVE_OPT_BOOL, NULL, "do not ask for confirmation", 0, 0 }
#define DIVE_OPT_END { NULL, 0, 0, NULL, NULL, 0, 0 }

#endif
