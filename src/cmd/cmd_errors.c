/* cmd_errors.c - `dive errors ...`: the error taxonomy and recorded errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dive/errcodes.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/retry.h"
#include "dive/store.h"
#include "dive/suggest.h"
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

/* Sets "'nope' is not an error code; did you mean ...?", from names and numbers. */
static int set_unknown(const char *arg)
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
		rc = dive_error_set(DIVE_EUSAGE, "'%.64s' is not an error code; did you mean '%s'?", arg, s);
	else
		rc = dive_error_set(DIVE_EUSAGE, "'%.64s' is not an error code", arg);
	free(nums);
	free(cands);
	return rc;
}

static int unknown_code(struct dive_ctx *ctx, const char *arg)
{
	int rc = dive_fail(ctx, set_unknown(arg), "%s", dive_error_last());

	fprintf(ctx->err, "see 'dive errors list'\n");
	return rc;
}

/* What errors recent looks for: a number, a name, or a name the bash tool used; NULL when none. */
static const struct errcode *lookup(const char *arg)
{
	const struct errcode_legacy *old;
	const struct errcode *e;

	if (strlen(arg) > ARG_MAX_LEN)
		return NULL;
	if (is_number(arg))
		return errcode_find(atoi(arg));
	if ((e = errcode_find_name(arg)))
		return e;
	old = errcode_legacy_find_name(arg);
	return old ? errcode_find(old->code) : NULL;
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
	if (errcodes_render_markdown(ctx->out, retry_render_markdown) < 0 || fflush(ctx->out))
		return dive_fail(ctx, DIVE_EFAIL, "cannot write the error taxonomy document");
	return DIVE_EXIT_OK;
}

/* --- recent: errors recorded in the state store ------------------------ */

/* A string member, or "" when it is missing or null. */
static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static long long json_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static int cmd_errors_recent(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct errcode *e = NULL;
	cJSON *arr = NULL, *item;
	int rc, limit = (int)dive_opt_int(inv, "limit", 20);

	if (inv->argc && !(e = lookup(inv->argv[0])))
		return unknown_code(ctx, inv->argv[0]); /* validate_recent said so first */
	if (!ctx->store->ready)
		return dive_fail(ctx, DIVE_ECONFLICT,
				 "the state store has %d pending migration%s: run 'dive db migrate' (without --dry-run) first",
				 ctx->store->pending, ctx->store->pending == 1 ? "" : "s");
	rc = errlog_recent(ctx->store, &arr, e ? e->code : 0, limit);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot read recorded errors");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddItemToObject(doc, "errors", arr);
		return dive_print_json(ctx, doc);
	}
	cJSON_ArrayForEach(item, arr) {
		const char *inst = json_str(item, "instance"), *resolved = json_str(item, "resolved_at");
		long long run = json_num(item, "run_id"), step = json_num(item, "step_id");

		fprintf(ctx->out, "%s  %lld %s  %s  %s", json_str(item, "at"), json_num(item, "code"),
			json_str(item, "name"), json_str(item, "severity"), json_str(item, "component"));
		if (*inst)
			fprintf(ctx->out, "  %s", inst);
		if (run)
			fprintf(ctx->out, " run %lld", run);
		if (step)
			fprintf(ctx->out, " step %lld", step);
		if (*resolved)
			fprintf(ctx->out, "  (resolved %s)", resolved);
		fprintf(ctx->out, "\n     %s\n     remediation: %s\n", json_str(item, "message"),
			json_str(item, "remediation"));
	}
	if (cJSON_GetArraySize(arr) == 0) {
		if (e)
			fprintf(ctx->out, "no error %d (%s) recorded\n", e->code, e->name);
		else
			fprintf(ctx->out, "no error recorded\n");
	}
	cJSON_Delete(arr);
	return DIVE_EXIT_OK;
}

/* errors recent [CODE]: the code is known before the store is opened. */
static int validate_recent(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return inv->argc && !lookup(inv->argv[0]) ? set_unknown(inv->argv[0]) : 0;
}

static int validate_doc(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	if (ctx->json)
		return dive_error_set(DIVE_EUSAGE, "'dive errors doc' prints Markdown; it has no --json form");
	return 0;
}

static const struct dive_opt recent_opts[] = {
	{ .name = "limit", .type = DIVE_OPT_INT, .arg = "N", .help = "show at most N errors, newest first (default 20)",
	  .min = 1, .max = 1000 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_errors_verbs[] = {
	{ .name = "list", .fn = cmd_errors_list, .summary = "every error code with its remediation", .issue = 4 },
	{ .name = "explain", .fn = cmd_errors_explain, .min_args = 1, .max_args = 1, .usage = "CODE",
	  .summary = "what an error code means and what to do", .issue = 4 },
	{ .name = "doc", .fn = cmd_errors_doc, .validate = validate_doc, .summary = "print the error taxonomy as Markdown",
	  .issue = 4 },
	{ .name = "recent", .fn = cmd_errors_recent, .validate = validate_recent, .max_args = 1, .flags = DIVE_NEEDS_STATE,
	  .opts = recent_opts, .usage = "[CODE]", .summary = "errors recorded by recent runs", .issue = 4 },
	DIVE_VERB_END,
};
