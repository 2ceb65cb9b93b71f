/* cmd_errors.c - `dive errors ...`: the error taxonomy and recorded errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/retry.h"
#include "dive/xalloc.h"

#define ARG_MAX_LEN 64

static cJSON *code_json(const struct errcode *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "code", e->code);
	cJSON_AddStringToObject(o, "name", e->name);
	cJSON_AddStringToObject(o, "category", errcat_name(e->category));
	cJSON_AddStringToObject(o, "severity", errsev_name(e->severity));
	cJSON_AddStringToObject(o, "class", errclass_name(e->klass));
	cJSON_AddStringToObject(o, "summary", e->summary);
	cJSON_AddStringToObject(o, "remediation", e->remediation);
	return o;
}

static int cmd_errors_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	size_t i;

	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "errors");

		for (i = 0; i < errcode_count(); i++)
			cJSON_AddItemToArray(arr, code_json(errcode_at(i)));
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "%-5s %-21s %-9s %-12s %-11s %s\n", "CODE", "NAME", "SEVERITY", "CLASS", "CATEGORY",
		"REMEDIATION");
	for (i = 0; i < errcode_count(); i++) {
		const struct errcode *e = errcode_at(i);

		fprintf(ctx->out, "%-5d %-21s %-9s %-12s %-11s %s\n", e->code, e->name, errsev_name(e->severity),
			errclass_name(e->klass), errcat_name(e->category), e->remediation);
	}
	return DIVE_EXIT_OK;
}

static int is_number(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i > 0 && i <= 6;
}

/* "'nope' is not an error code; did you mean ...?", from names and numbers. */
static int unknown_code(struct dive_ctx *ctx, const char *arg)
{
	size_t n = errcode_count(), i, len = strlen(arg);
	const char **cands = xcalloc(2 * n, sizeof(*cands));
	char (*nums)[8] = xcalloc(n, sizeof(*nums));
	char upper[ARG_MAX_LEN + 1];
	const char *s = NULL;
	int rc;

	if (len <= ARG_MAX_LEN) {
		for (i = 0; i <= len; i++)
			upper[i] = arg[i] >= 'a' && arg[i] <= 'z' ? (char)(arg[i] - 'a' + 'A') : arg[i];
		for (i = 0; i < n; i++) {
			snprintf(nums[i], sizeof(nums[i]), "%d", errcode_at(i)->code);
			cands[i] = errcode_at(i)->name;
			cands[n + i] = nums[i];
		}
		s = dive_suggest(upper, cands, 2 * n);
	}
	if (s)
		rc = dive_fail(ctx, DIVE_EUSAGE, "'%.64s' is not an error code; did you mean '%s'?", arg, s);
	else
		rc = dive_fail(ctx, DIVE_EUSAGE, "'%.64s' is not an error code", arg);
	fprintf(ctx->err, "see 'dive errors list'\n");
	free(nums);
	free(cands);
	return rc;
}

static int cmd_errors_explain(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *arg = inv->argv[0];
	const struct errcode_legacy *old;
	const struct errcode *e;
	int code;

	/* A number, a name, or a name the bash tool used. */
	if (strlen(arg) > ARG_MAX_LEN)
		return unknown_code(ctx, arg);
	if (is_number(arg))
		code = atoi(arg);
	else if ((e = errcode_find_name(arg)))
		code = e->code;
	else if ((old = errcode_legacy_find_name(arg)))
		code = old->code;
	else
		return unknown_code(ctx, arg);
	e = errcode_find(code);
	old = errcode_legacy_find(code); /* with e: renamed; without: retired */
	if (!e && old)
		return dive_fail(ctx, DIVE_EUSAGE,
				 "error code %d (%s) came from the bash tool and is %s; see 'dive errors explain %d'",
				 old->code, old->name, old->note, old->now);
	if (!e)
		return unknown_code(ctx, arg);

	if (ctx->json) {
		cJSON *doc = code_json(e);

		if (old)
			cJSON_AddStringToObject(doc, "bash_name", old->name);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "%d %s: %s\n\n", e->code, e->name, e->summary);
	fprintf(ctx->out, "  category     %s: %s\n", errcat_name(e->category), errcat_meaning(e->category));
	fprintf(ctx->out, "  severity     %s: %s; %s\n", errsev_name(e->severity), errsev_meaning(e->severity),
		err_thresholds[e->severity].meaning);
	fprintf(ctx->out, "  class        %s: %s; %s\n", errclass_name(e->klass), errclass_meaning(e->klass),
		errclass_retried(e->klass) ? "retried under the operation's retry policy" : "not retried");
	if (old)
		fprintf(ctx->out, "  bash tool    called it %s; %s\n", old->name, old->note);
	fprintf(ctx->out, "  remediation  %s\n", e->remediation);
	return DIVE_EXIT_OK;
}

static int cmd_errors_doc(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	if (ctx->json)
		return dive_fail(ctx, DIVE_EUSAGE, "'dive errors doc' prints Markdown; it has no --json form");
	if (errcodes_render_markdown(ctx->out, retry_render_markdown) < 0 || fflush(ctx->out))
		return dive_fail(ctx, DIVE_EFAIL, "cannot write the error taxonomy document");
	return DIVE_EXIT_OK;
}

const struct dive_verb cmd_errors_verbs[] = {
	{ "list", cmd_errors_list, 0, 0, 0, NULL, NULL, "every error code with its remediation", 4 },
	{ "explain", cmd_errors_explain, 1, 1, 0, NULL, "CODE", "what an error code means and what to do", 4 },
	{ "doc", cmd_errors_doc, 0, 0, 0, NULL, NULL, "print the error taxonomy as Markdown", 4 },
	{ "recent", NULL, 0, 1, DIVE_NEEDS_STATE, NULL, "[CODE]", "errors recorded by recent runs", 4 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
