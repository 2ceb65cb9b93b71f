/*
 * cmd_images_copy.c - `dive images copy --to ENGINE [IMAGE...]`: images go
 * from one engine to another without a registry (image_copy.h); an image
 * the target has already (same id) is not sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dive/engines.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/image_copy.h"
#include "dive/images.h"

#define COPY_MAX 64

/* "keycloak" -> "dive/keycloak:local"; anything else is a reference as given. */
static const char *image_ref(const char *arg)
{
	size_t i;

	for (i = 0; i < images_count(); i++)
		if (!strcmp(arg, images_name(i)))
			return images_local(i);
	return arg;
}

static int open_engine(struct dive_ctx *ctx, struct docker **d, const char *name)
{
	struct engine_row row;
	char what[96];
	int rc = engines_open(d, &row, ctx->store, name, ctx->docker_host);

	if (rc == 0)
		rc = engines_connect(*d, ctx->store, name, NULL);
	if (rc < 0) {
		const char *subst[] = { "NAME", name, "ENGINE", name, NULL };

		snprintf(what, sizeof(what), "cannot reach engine '%s'", name);
		return cmd_fail_hint(ctx, rc, what, subst);
	}
	return DIVE_EXIT_OK;
}

static void print_result(struct dive_ctx *ctx, const struct image_copy_result *r, const char *to)
{
	double mb = (double)r->bytes / (1024.0 * 1024.0), s = (double)r->ms / 1000.0;

	if (!r->copied)
		fprintf(ctx->out, "%s: on engine '%s' already (%.19s), nothing sent\n", r->image, to, r->id);
	else if (ctx->dry_run)
		fprintf(ctx->out, "%s: would copy to engine '%s'\n", r->image, to);
	else
		fprintf(ctx->out, "%s: copied to engine '%s': %.1f MiB in %.1fs (%.1f MiB/s)\n", r->image, to, mb, s,
			s > 0 ? mb / s : 0.0);
}

int cmd_images_copy(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *to = dive_opt_str(inv, "to", NULL), *from = dive_opt_str(inv, "from", ENGINE_LOCAL);
	const char *refs[COPY_MAX];
	struct image_copy_opts o;
	struct image_copy_result r;
	struct docker *src = NULL, *dst = NULL;
	cJSON *doc = NULL, *arr = NULL;
	size_t n = 0, i;
	int rc, exit_code = DIVE_EXIT_OK, named = inv->argc > 0;

	if (!to)
		return dive_fail(ctx, DIVE_EUSAGE, "'dive images copy' needs --to ENGINE");
	if (engine_name_check(to, 1) < 0 || engine_name_check(from, 1) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	if (!strcmp(to, from))
		return dive_fail(ctx, DIVE_EUSAGE, "--from and --to name the same engine '%s'", to);
	if (inv->argc > COPY_MAX)
		return dive_fail(ctx, DIVE_EUSAGE, "at most %d images at a time", COPY_MAX);
	for (i = 0; named && i < (size_t)inv->argc; i++)
		refs[n++] = image_ref(inv->argv[i]);
	for (i = 0; !named && i < images_count() && n < COPY_MAX; i++)
		refs[n++] = images_local(i);

	if ((rc = open_engine(ctx, &src, from)) != DIVE_EXIT_OK || (rc = open_engine(ctx, &dst, to)) != DIVE_EXIT_OK) {
		docker_close(src);
		docker_close(dst);
		return rc;
	}
	memset(&o, 0, sizeof(o));
	o.from = src;
	o.to = dst;
	o.from_name = from;
	o.to_name = to;
	o.timeout_ms = dive_opt_int(inv, "timeout", DOCKER_TRANSFER_TIMEOUT_MS / 1000) * 1000;
	o.dry_run = ctx->dry_run;
	if (ctx->json) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "from", from);
		cJSON_AddStringToObject(doc, "to", to);
		cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
		arr = cJSON_AddArrayToObject(doc, "images");
	}
	for (i = 0; i < n; i++) {
		rc = image_copy(&r, &o, refs[i]);
		if (rc == DIVE_ENOTFOUND && !named) {
			if (!ctx->json && !ctx->quiet)
				fprintf(ctx->err, "%s: not on engine '%s', skipped\n", refs[i], from);
			dive_error_clear();
			continue;
		}
		if (rc < 0) {
			const char *subst[] = { "ENGINE", to, "IMAGE", refs[i], NULL };

			cJSON_Delete(doc);
			doc = NULL;
			exit_code = cmd_fail_hint(ctx, rc, "images copy failed", subst);
			break;
		}
		if (arr) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "image", r.image);
			cJSON_AddStringToObject(x, "id", r.id);
			cJSON_AddBoolToObject(x, "copied", r.copied);
			cJSON_AddNumberToObject(x, "bytes", (double)r.bytes);
			cJSON_AddNumberToObject(x, "ms", (double)r.ms);
			cJSON_AddItemToArray(arr, x);
		} else {
			print_result(ctx, &r, to);
		}
	}
	docker_close(src);
	docker_close(dst);
	if (doc)
		return dive_print_json(ctx, doc);
	return exit_code;
}
