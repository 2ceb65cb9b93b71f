/* cmd_images.c - `dive images ...`: images built locally, nothing pulled. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "dive/docker.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/images.h"
#include "dive/settings.h"

static void log_line(void *arg, const char *line)
{
	struct dive_ctx *ctx = arg;

	if (!ctx->quiet && !ctx->json)
		fprintf(ctx->err, "%s\n", line);
}

static const char *source_dir(void)
{
	const char *s = settings_getenv("DIVE_SOURCE_DIR");

	return s ? s : DIVE_SOURCE_DIR;
}

static int cmd_images_build(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct images_report rep[32];
	struct docker *d = NULL;
	size_t n = 0, i;
	int rc;

	rc = docker_open(&d, ctx->docker_host, NULL);
	if (rc == 0)
		rc = docker_negotiate(d);
	if (rc < 0) {
		docker_close(d);
		return dive_fail_last(ctx, rc, "cannot reach the Docker engine");
	}
	rc = images_build(d, (const char *const *)inv->argv, (size_t)inv->argc, source_dir(), ctx->dry_run, log_line,
			  ctx, rep, &n);
	docker_close(d);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "images build failed");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "images");

		for (i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", rep[i].name);
			cJSON_AddBoolToObject(o, "built", rep[i].built);
			cJSON_AddNumberToObject(o, "ms", (double)rep[i].ms);
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
		return dive_print_json(ctx, doc);
	}
	for (i = 0; i < n; i++)
		if (rep[i].built)
			fprintf(ctx->out, "built %s in %.1fs\n", rep[i].name, rep[i].ms / 1000.0);
	return DIVE_EXIT_OK;
}

static int cmd_images_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct docker *d = NULL;
	cJSON *doc = ctx->json ? cJSON_CreateObject() : NULL, *arr = doc ? cJSON_AddArrayToObject(doc, "images") : NULL;
	size_t i;
	int rc;

	rc = docker_open(&d, ctx->docker_host, NULL);
	if (rc == 0)
		rc = docker_negotiate(d);
	if (rc < 0) {
		docker_close(d);
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot reach the Docker engine");
	}
	for (i = 0; i < images_count(); i++) {
		cJSON *img = NULL;
		int present = docker_image_inspect(d, &img, images_local(i)) == 0;

		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", images_name(i));
			cJSON_AddStringToObject(o, "image", images_local(i));
			cJSON_AddBoolToObject(o, "present", present);
			cJSON_AddItemToArray(arr, o);
		} else {
			fprintf(ctx->out, "%-10s %-24s %s\n", images_name(i), images_local(i), present ? "present" : "missing");
		}
		cJSON_Delete(img);
	}
	dive_error_clear();
	docker_close(d);
	return doc ? dive_print_json(ctx, doc) : DIVE_EXIT_OK;
}

/* The names are recipes' before the engine is asked anything. */
static int validate_build(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return images_check_names((const char *const *)inv->argv, (size_t)inv->argc);
}

static const struct dive_opt copy_opts[] = {
	{ .name = "to", .type = DIVE_OPT_STRING, .arg = "ENGINE", .help = "the engine that needs the images" },
	{ .name = "from", .type = DIVE_OPT_STRING, .arg = "ENGINE", .help = "the engine that has them (default local)" },
	{ .name = "timeout", .type = DIVE_OPT_INT, .arg = "SECONDS", .help = "for each image, end to end (default 1800)",
	  .min = 1, .max = 86400 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_images_verbs[] = {
	{ .name = "build", .fn = cmd_images_build, .validate = validate_build, .max_args = -1,
	  .flags = DIVE_NEEDS_DOCKER | DIVE_DRY_RUN, .usage = "[IMAGE...]", .issue = 6,
	  .summary = "build every image the hub and a spoke need, from local programs" },
	{ .name = "list", .fn = cmd_images_list, .flags = DIVE_NEEDS_DOCKER, .issue = 6,
	  .summary = "local images and whether they exist" },
	{ .name = "copy", .fn = cmd_images_copy, .max_args = -1, .opts = copy_opts,
	  .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER | DIVE_DRY_RUN, .usage = "[IMAGE...]", .issue = 18,
	  .summary = "copy images to another engine, engine to engine (no registry); same id: nothing sent" },
	DIVE_VERB_END,
};
