/*
 * cmd_secrets.c - `dive secrets`: an instance's secrets in the provider of
 * DIVE_SECRETS (secrets.h): list the names, rotate one, import a GCP Secret
 * Manager export (secretops.h).  Names only are ever printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/secretops.h"
#include "dive/settings.h"

static void opts_init(struct secretops_opts *o, struct dive_ctx *ctx, const struct dive_inv *inv, char *actor,
		      size_t n)
{
	memset(o, 0, sizeof(*o));
	dive_inv_command(actor, n, inv);
	o->store = ctx->store;
	o->spec = settings_getenv("DIVE_SECRETS");
	o->instances_dir = ctx->instances_dir;
	o->docker_host = ctx->docker_host;
	o->actor = actor;
	o->dry_run = ctx->dry_run;
	o->progress = cmd_stack_progress;
	o->user = ctx;
}

/* The failure, with the taxonomy's remediation on its own line. */
static int fail(struct dive_ctx *ctx, int rc, const char *what)
{
	const struct errcode *e = dive_error_last_code() ? errcode_find(dive_error_last_code()) : NULL;
	int code = dive_fail_last(ctx, rc, what);

	if (e && !ctx->json)
		fprintf(ctx->err, "hint: %s (error %d %s)\n", e->remediation, e->code, e->name);
	return code;
}

static int cmd_secrets_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct secretops_opts o;
	char actor[128], what[64];
	const cJSON *s;
	cJSON *doc = NULL;
	int rc;

	opts_init(&o, ctx, inv, actor, sizeof(actor));
	if ((rc = secretops_list(&o, inv->country, &doc)) < 0) {
		snprintf(what, sizeof(what), "cannot list the secrets of '%s'", inv->country->code);
		return fail(ctx, rc, what);
	}
	if (ctx->json)
		return dive_print_json(ctx, doc);
	fprintf(ctx->out, "%s secrets in %s\n", inv->country->code, cJSON_GetStringValue(cJSON_GetObjectItem(doc, "where")));
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "secrets"))
		fprintf(ctx->out, "  %-32s %-8s %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")),
			cJSON_IsTrue(cJSON_GetObjectItem(s, "set")) ? "set" : "missing",
			cJSON_GetStringValue(cJSON_GetObjectItem(s, "use")));
	cJSON_Delete(doc);
	return DIVE_EXIT_OK;
}

static int cmd_secrets_rotate(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct secretops_opts o;
	char actor[160], what[160];
	const char *key = inv->argv[1];
	cJSON *doc = NULL;
	const cJSON *s;
	int rc;

	opts_init(&o, ctx, inv, actor, sizeof(actor));
	o.lock_wait_ms = dive_opt_int(inv, "lock-wait", 0) * 1000;
	rc = secretops_rotate(&o, inv->country, key, &doc);
	if (rc < 0) {
		int stored = cJSON_IsTrue(cJSON_GetObjectItem(doc, "stored"));

		snprintf(what, sizeof(what), "cannot rotate %.64s of '%s'%s", key, inv->country->code,
			 stored ? " (the new value is stored: the next deploy applies it)" : "");
		if (ctx->json && doc) {
			cJSON_AddBoolToObject(doc, "ok", 0);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(doc, "error"), "message", dive_error_last());
			dive_print_json(ctx, doc);
			fprintf(ctx->err, "dive: %s: %s\n", what, dive_error_last());
			return dive_exit_from_err(rc);
		}
		cJSON_Delete(doc);
		return fail(ctx, rc, what);
	}
	if (ctx->json) {
		cJSON_AddBoolToObject(doc, "ok", 1);
		return dive_print_json(ctx, doc);
	}
	if (ctx->dry_run) {
		fprintf(ctx->out, "would rotate %s of %s (%s) in %s; nothing was changed\n", key, inv->country->code,
			cJSON_GetStringValue(cJSON_GetObjectItem(doc, "how")),
			cJSON_GetStringValue(cJSON_GetObjectItem(doc, "where")));
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services"))
			fprintf(ctx->out, "  uses it: %s\n", cJSON_GetStringValue(s));
	} else {
		fprintf(ctx->out, "rotated %s of %s: new value stored in %s and applied\n", key, inv->country->code,
			cJSON_GetStringValue(cJSON_GetObjectItem(doc, "provider")));
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "recreated"))
			fprintf(ctx->out, "  recreated: %s\n", cJSON_GetStringValue(s));
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "changed"))
			fprintf(ctx->out, "  updated: %s '%s' in realm %s\n",
				cJSON_GetStringValue(cJSON_GetObjectItem(s, "object")),
				cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")),
				cJSON_GetStringValue(cJSON_GetObjectItem(s, "realm")));
	}
	cJSON_Delete(doc);
	return DIVE_EXIT_OK;
}

static int cmd_secrets_import(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct secretops_opts o;
	char actor[128], what[96];
	const char *file = dive_opt_str(inv, "from", NULL);
	cJSON *doc = NULL;
	const cJSON *s;
	int rc;

	if (!file)
		return dive_fail(ctx, DIVE_EUSAGE, "secrets import needs --from FILE (see 'dive secrets import --help')");
	opts_init(&o, ctx, inv, actor, sizeof(actor));
	rc = secretops_import(&o, inv->country, file, dive_opt_given(inv, "overwrite"), &doc);
	if (rc < 0) {
		snprintf(what, sizeof(what), "cannot import secrets of '%s'", inv->country->code);
		return fail(ctx, rc, what);
	}
	if (ctx->json)
		return dive_print_json(ctx, doc);
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "imported"))
		fprintf(ctx->out, "%s %s\n", ctx->dry_run ? "would import" : "imported", cJSON_GetStringValue(s));
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "kept"))
		fprintf(ctx->out, "kept %s (already set; --overwrite replaces it)\n", cJSON_GetStringValue(s));
	fprintf(ctx->out, "%d imported, %d kept, %d names skipped (not secrets of %s)%s\n",
		cJSON_GetArraySize(cJSON_GetObjectItem(doc, "imported")), cJSON_GetArraySize(cJSON_GetObjectItem(doc, "kept")),
		(int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "skipped")), inv->country->code,
		ctx->dry_run ? "; nothing was changed" : "");
	cJSON_Delete(doc);
	return DIVE_EXIT_OK;
}

static const struct dive_opt rotate_opts[] = {
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt import_opts[] = {
	{ .name = "from", .type = DIVE_OPT_STRING, .arg = "FILE", .help = "NAME=VALUE lines exported from GCP Secret Manager (names dive-v3-<type>-<code>)" },
	{ .name = "overwrite", .type = DIVE_OPT_BOOL, .help = "replace secrets the provider already holds" },
	DIVE_OPT_END,
};

const struct dive_verb cmd_secrets_verbs[] = {
	{ .name = "list", .fn = cmd_secrets_list, .min_args = 1, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE, .usage = "CODE", .summary = "the secrets an instance uses and its provider holds: names, never values", .issue = 20 },
	{ .name = "rotate", .fn = cmd_secrets_rotate, .min_args = 2, .max_args = 2, .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_TAKES_LOCK | DIVE_DRY_RUN | DIVE_ARG_CODE, .opts = rotate_opts, .usage = "CODE KEY", .summary = "a new random value for KEY, stored, then applied by a deploy (or both federation sides)", .issue = 20 },
	{ .name = "import", .fn = cmd_secrets_import, .min_args = 1, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN | DIVE_ARG_CODE, .opts = import_opts, .usage = "CODE", .summary = "secrets from a GCP Secret Manager export file into the provider", .issue = 20 },
	DIVE_VERB_END,
};
