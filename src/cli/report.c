/* report.c - how a failure reaches the user (see dive_fail in cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dive/cli.h"
#include "dive/error.h"
#include "dive/exitcode.h"

static int report(struct dive_ctx *ctx, int err, const char *msg)
{
	int code = dive_exit_from_err(err);

	fprintf(ctx->err, "dive: %s\n", msg);
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *e;
		char *s;

		cJSON_AddBoolToObject(doc, "ok", 0);
		cJSON_AddNumberToObject(doc, "exit", code);
		e = cJSON_AddObjectToObject(doc, "error");
		cJSON_AddStringToObject(e, "kind", dive_err_name(err));
		cJSON_AddStringToObject(e, "message", msg);
		if (dive_error_last_code())
			cJSON_AddNumberToObject(e, "code", dive_error_last_code());
		s = cJSON_PrintUnformatted(doc);
		fprintf(ctx->out, "%s\n", s);
		cJSON_free(s);
		cJSON_Delete(doc);
	}
	return code;
}

int dive_fail(struct dive_ctx *ctx, int err, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return report(ctx, err, msg);
}

int dive_fail_last(struct dive_ctx *ctx, int err, const char *what)
{
	char msg[1200];

	snprintf(msg, sizeof(msg), "%s: %s", what, dive_error_last());
	return report(ctx, err, msg);
}

int dive_print_json(struct dive_ctx *ctx, cJSON *doc)
{
	char *s = cJSON_Print(doc);

	fprintf(ctx->out, "%s\n", s ? s : "null");
	cJSON_free(s);
	cJSON_Delete(doc);
	return DIVE_EXIT_OK;
}

void dive_inv_command(char *out, size_t n, const struct dive_inv *inv)
{
	size_t used;
	int i;

	snprintf(out, n, "dive %s%s%s", inv->group->name, inv->group->leaf ? "" : " ",
		 inv->group->leaf ? "" : inv->verb->name);
	for (i = 0; i < inv->argc; i++) {
		used = strlen(out);
		if (used + 2 >= n)
			break;
		snprintf(out + used, n - used, " %.40s", inv->argv[i]);
	}
}
