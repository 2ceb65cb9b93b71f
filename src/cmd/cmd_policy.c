/*
 * cmd_policy.c - `dive policy ...`: the hub's policy, published through
 * OPAL to every spoke's OPA (docs/architecture/policy-distribution.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/fedsync.h"
#include "dive/lock.h"
#include "dive/policy.h"
#include "dive/settings.h"
#include "dive/state.h"

static int open_fedsync(struct dive_ctx *ctx, struct fedsync **fs, const char *actor)
{
	struct fedsync_opts o;

	memset(&o, 0, sizeof(o));
	o.store = ctx->store;
	o.docker_host = ctx->docker_host;
	o.instances_dir = ctx->instances_dir;
	o.secrets_spec = settings_getenv("DIVE_SECRETS");
	o.actor = actor;
	o.lock_wait_ms = ctx->lock_wait_ms;
	return fedsync_open(fs, &o);
}

/* DIR, when given, is a directory that exists: checked before anything is opened. */
static int validate_publish(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct stat st;

	(void)ctx;
	if (inv->argc == 1 && (stat(inv->argv[0], &st) < 0 || !S_ISDIR(st.st_mode)))
		return dive_error_set(DIVE_EUSAGE, "'%.200s' is not a directory (the policy tree to publish)", inv->argv[0]);
	return 0;
}

static int cmd_policy_publish(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct lock_request req = { 0 };
	struct policy_result r;
	struct dive_lock *lock = NULL;
	struct fedsync *fs = NULL;
	char actor[256], *dir = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	dive_inv_command(actor, sizeof(actor), inv);
	if (inv->argc == 1 && !(dir = realpath(inv->argv[0], NULL)))
		return dive_fail(ctx, DIVE_EUSAGE, "cannot resolve '%.200s'", inv->argv[0]);
	if (ctx->dry_run) {
		fprintf(ctx->out, "would publish %s with the trusted issuers of now to the hub's OPAL server\n",
			dir ? dir : "the tree published last (or the repository's policies/)");
		free(dir);
		return DIVE_EXIT_OK;
	}
	req.command = actor;
	req.wait_ms = ctx->lock_wait_ms;
	rc = lock_acquire(&lock, ctx->store->url, DIVE_LOCK_SHARED, &req, NULL);
	if (rc == 0)
		rc = open_fedsync(ctx, &fs, actor);
	if (rc == 0)
		rc = fedsync_publish_policy(fs, &r, dir, dive_opt_given(inv, "force"));
	fedsync_close(fs);
	lock_release(lock);
	free(dir);
	if (rc < 0) {
		policy_result_release(&r);
		return dive_fail_last(ctx, rc, "cannot publish the hub's policy");
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddStringToObject(doc, "revision", r.pub.revision);
		cJSON_AddBoolToObject(doc, "published", !r.unchanged);
		cJSON_AddStringToObject(doc, "commit", r.pub.commit);
		cJSON_AddStringToObject(doc, "source", r.pub.source);
		cJSON_AddItemToObject(doc, "trusted_issuers", cJSON_Duplicate(r.pub.issuers, 1));
		cJSON_AddNumberToObject(doc, "ms", (double)r.ms);
		policy_result_release(&r);
		return dive_print_json(ctx, doc);
	}
	if (r.unchanged)
		fprintf(ctx->out, "policy unchanged: revision %s is in force (--force sends it again)\n", r.pub.revision);
	else
		fprintf(ctx->out, "published revision %s (commit %.12s, %d trusted issuers) in %.1fs\n", r.pub.revision,
			r.pub.commit, cJSON_GetArraySize(r.pub.issuers), r.ms / 1000.0);
	policy_result_release(&r);
	return DIVE_EXIT_OK;
}

/* What the hub published last, and what each deployed spoke's OPA holds: exit 3 when one lags. */
static int cmd_policy_status(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct state_instance *list = NULL;
	struct policy_pub last;
	cJSON *doc = cJSON_CreateObject(), *spokes = cJSON_AddArrayToObject(doc, "spokes");
	size_t n = 0, i;
	int rc, found = 0, behind = 0;

	if ((rc = policy_store_last(ctx->store, &last, &found)) < 0 || (rc = state_list(ctx->store, &list, &n)) < 0) {
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot read the policy publications");
	}
	cJSON_AddStringToObject(doc, "revision", found ? last.revision : "");
	if (found) {
		cJSON_AddStringToObject(doc, "published_at", last.published_at);
		cJSON_AddStringToObject(doc, "source", last.source);
		cJSON_AddItemToObject(doc, "trusted_issuers", cJSON_Duplicate(last.issuers, 1));
	}
	if (!ctx->json)
		fprintf(ctx->out, "hub policy: %s%s%s\n", found ? last.revision : "never published",
			found ? " published " : "", found ? last.published_at : "");
	for (i = 0; i < n; i++) {
		const struct dive_country *c = country_find(list[i].code);
		struct policy_spoke_check pc;
		cJSON *o;

		if (!c || c->kind == DIVE_COUNTRY_HUB || list[i].state != DIVE_STATE_COMPLETE)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", c->code);
		if (policy_check_spoke(&pc, c, found ? &last : NULL, 0) < 0) {
			cJSON_AddStringToObject(o, "error", dive_error_last());
			behind++;
			if (!ctx->json)
				fprintf(ctx->out, "  %s  unreachable: %s\n", c->code, dive_error_last());
		} else {
			cJSON_AddStringToObject(o, "revision", pc.revision);
			cJSON_AddBoolToObject(o, "current", pc.revision_ok);
			cJSON_AddBoolToObject(o, "issuers_ok", pc.issuers_ok);
			/* the sample decision is reported, not judged: a published policy may deny it on purpose */
			cJSON_AddBoolToObject(o, "decision_ok", pc.decision_ok);
			cJSON_AddStringToObject(o, "decision", pc.decision_detail);
			behind += !(pc.revision_ok && pc.issuers_ok);
			if (!ctx->json)
				fprintf(ctx->out, "  %s  %s%s\n", c->code, pc.revision[0] ? pc.revision : "no revision",
					pc.revision_ok && pc.issuers_ok ? "" : "  (behind)");
		}
		cJSON_AddItemToArray(spokes, o);
	}
	free(list);
	policy_pub_release(&last);
	if (ctx->json) {
		cJSON_AddBoolToObject(doc, "current", behind == 0 && found);
		dive_print_json(ctx, doc);
	} else {
		cJSON_Delete(doc);
	}
	return behind || !found ? DIVE_EXIT_UNHEALTHY : DIVE_EXIT_OK;
}

static const struct dive_opt publish_opts[] = {
	{ .name = "force", .type = DIVE_OPT_BOOL, .help = "send even when tree and trusted issuers are unchanged" },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

const struct dive_verb cmd_policy_verbs[] = {
	{ .name = "publish", .fn = cmd_policy_publish, .validate = validate_publish, .max_args = 1,
	  .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN, .opts = publish_opts,
	  .usage = "[DIR]", .issue = 11,
	  .summary = "publish a policy tree (default: the one in force) with the trusted issuers to every spoke" },
	{ .name = "status", .fn = cmd_policy_status, .flags = DIVE_NEEDS_STATE, .issue = 11,
	  .summary = "the revision the hub published and the one each spoke's OPA holds; exit 3 when one lags" },
	DIVE_VERB_END,
};
