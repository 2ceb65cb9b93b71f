/* cmd_state.c - `dive state ...`: deployment state in the state store. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dive/buf.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/file.h"
#include "dive/exitcode.h"
#include "dive/legacy.h"
#include "dive/lock.h"
#include "dive/state.h"
#include "dive/store.h"
#include "dive/xalloc.h"

#define LEGACY_MAX_FILES 1000

static void resume_hint(char *out, size_t n, const char *code)
{
	if (strcmp(code, "USA"))
		snprintf(out, n, "dive spoke deploy %s --resume", code);
	else
		snprintf(out, n, "dive hub up --resume");
}

/* Fill one instance's JSON (or print its lines); detects interrupted runs. */
static int show_one(struct dive_ctx *ctx, struct state_instance *st, cJSON *arr)
{
	struct lock_holder *holders = NULL;
	cJSON *run = NULL;
	char lname[32], hint[64];
	size_t nh = 0;
	int rc, marked = 0, interrupted;

	if (!ctx->dry_run) {
		rc = state_detect_interrupted(ctx->store, st, &marked);
		if (rc < 0)
			return rc;
	}
	lock_name_instance(lname, st->code);
	if ((rc = lock_holders(ctx->store->conn, lname, &holders, &nh)) < 0)
		return rc;
	if ((rc = run_describe(ctx->store, &run, st->run_id)) < 0) {
		free(holders);
		return rc;
	}
	interrupted = st->state == DIVE_STATE_INTERRUPTED || (dive_state_in_progress(st->state) && nh == 0);
	resume_hint(hint, sizeof(hint), st->code);
	if (arr) {
		cJSON *o = cJSON_CreateObject();
		const struct dive_country *c = country_find(st->code);

		cJSON_AddStringToObject(o, "code", st->code);
		cJSON_AddStringToObject(o, "name", c ? c->name : "");
		cJSON_AddStringToObject(o, "state", dive_state_name(st->state));
		cJSON_AddNumberToObject(o, "version", (double)st->version);
		cJSON_AddBoolToObject(o, "in_progress", dive_state_in_progress(st->state) && nh > 0);
		cJSON_AddBoolToObject(o, "interrupted", interrupted);
		if (st->updated_at[0]) {
			cJSON_AddStringToObject(o, "updated_at", st->updated_at);
			cJSON_AddStringToObject(o, "updated_by", st->updated_by);
		}
		if (st->reason[0])
			cJSON_AddStringToObject(o, "reason", st->reason);
		cJSON_AddItemToObject(o, "run", run ? run : cJSON_CreateNull());
		run = NULL;
		if (nh) {
			cJSON *h = cJSON_AddObjectToObject(o, "lock");

			cJSON_AddNumberToObject(h, "pid", holders[0].pid);
			cJSON_AddStringToObject(h, "host", holders[0].host);
			cJSON_AddStringToObject(h, "command", holders[0].command);
			cJSON_AddStringToObject(h, "since", holders[0].acquired_at);
		} else {
			cJSON_AddNullToObject(o, "lock");
		}
		if (interrupted)
			cJSON_AddStringToObject(o, "resume", hint);
		cJSON_AddItemToArray(arr, o);
	} else {
		fprintf(ctx->out, "%s  %-12s version %lld", st->code, dive_state_name(st->state), st->version);
		if (st->updated_at[0])
			fprintf(ctx->out, ", %s by %s", st->updated_at, st->updated_by);
		fputc('\n', ctx->out);
		if (st->reason[0])
			fprintf(ctx->out, "     %s\n", st->reason);
		if (nh)
			fprintf(ctx->out, "     locked by pid %d on '%s' (%s) since %s\n", holders[0].pid, holders[0].host,
				holders[0].command, holders[0].acquired_at);
		if (marked)
			fprintf(ctx->out, "     the run working on %s is gone: recorded as INTERRUPTED\n", st->code);
		if (interrupted)
			fprintf(ctx->out, "     %s was interrupted; continue it with '%s'\n", st->code, hint);
	}
	cJSON_Delete(run);
	free(holders);
	return 0;
}

static int cmd_state_show(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct state_instance *list = NULL, one;
	cJSON *doc = NULL, *arr = NULL;
	size_t n = 0, i;
	int rc;

	if (ctx->json) {
		doc = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(doc, "instances");
	}
	if (inv->argc == 1) {
		rc = state_get(ctx->store, &one, inv->country->code);
		if (rc == 0)
			rc = show_one(ctx, &one, arr);
	} else {
		rc = state_list(ctx->store, &list, &n);
		for (i = 0; rc == 0 && i < n; i++)
			rc = show_one(ctx, &list[i], arr);
		if (rc == 0 && n == 0 && !ctx->json)
			fprintf(ctx->out, "no instance has state yet\n");
	}
	free(list);
	if (rc < 0) {
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot show state");
	}
	return doc ? dive_print_json(ctx, doc) : DIVE_EXIT_OK;
}

static int cmd_state_history(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	cJSON *hist = NULL, *t;
	int rc = state_history(ctx->store, &hist, inv->country->code, (int)dive_opt_int(inv, "limit", 50));

	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot read history");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "code", inv->country->code);
		cJSON_AddItemToObject(doc, "transitions", hist);
		return dive_print_json(ctx, doc);
	}
	cJSON_ArrayForEach(t, hist) {
		const cJSON *reason = cJSON_GetObjectItemCaseSensitive(t, "reason");
		const cJSON *dur = cJSON_GetObjectItemCaseSensitive(t, "duration_ms");

		fprintf(ctx->out, "%4d  %s  %-12s -> %-12s %-24s", cJSON_GetObjectItemCaseSensitive(t, "version")->valueint,
			cJSON_GetObjectItemCaseSensitive(t, "at")->valuestring,
			cJSON_GetObjectItemCaseSensitive(t, "from")->valuestring,
			cJSON_GetObjectItemCaseSensitive(t, "to")->valuestring,
			cJSON_GetObjectItemCaseSensitive(t, "actor")->valuestring);
		if (cJSON_IsNumber(dur))
			fprintf(ctx->out, " after %.1fs", dur->valuedouble / 1000.0);
		if (cJSON_IsString(reason))
			fprintf(ctx->out, "  %s", reason->valuestring);
		fputc('\n', ctx->out);
	}
	if (cJSON_GetArraySize(hist) == 0)
		fprintf(ctx->out, "no transitions recorded for %s\n", inv->country->code);
	cJSON_Delete(hist);
	return DIVE_EXIT_OK;
}

static void add_entry(cJSON *arr, const char *file, const char *code, const char *what)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "file", file);
	if (code)
		cJSON_AddStringToObject(o, "code", code);
	if (what)
		cJSON_AddStringToObject(o, "reason", what);
	cJSON_AddItemToArray(arr, o);
}

static int cmd_state_import_legacy(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *imported = cJSON_AddArrayToObject(doc, "imported");
	cJSON *skipped = cJSON_AddArrayToObject(doc, "skipped");
	cJSON *unreadable = cJSON_AddArrayToObject(doc, "unreadable");
	const char *dir = inv->argv[0];
	struct dirent *e;
	DIR *d;
	int rc = 0, nfiles = 0;

	if (strlen(dir) > 1024 || !(d = opendir(dir))) {
		cJSON_Delete(doc);
		return dive_fail(ctx, DIVE_EUSAGE, "cannot open directory '%.200s'", dir);
	}
	while (rc == 0 && (e = readdir(d))) {
		const struct dive_country *c;
		struct legacy_state ls;
		struct dive_buf b;
		char *path, code[4], why[200];
		size_t len = strlen(e->d_name);
		int done = 0;

		if (len < 7 || strcmp(e->d_name + len - 6, ".state"))
			continue;
		if (++nfiles > LEGACY_MAX_FILES) {
			add_entry(unreadable, e->d_name, NULL, "too many files; the rest were not read");
			break;
		}
		/* <code>.state, the code in lower case as the predecessor wrote it */
		memcpy(code, e->d_name, 3);
		code[3] = '\0';
		if (len != 9 || !(c = country_find(code))) {
			add_entry(unreadable, e->d_name, NULL, "not named <country code>.state");
			continue;
		}
		snprintf(code, sizeof(code), "%s", c->code);
		path = xasprintf("%s/%s", dir, e->d_name);
		rc = dive_file_read(&b, path, LEGACY_MAX_BYTES, "legacy state file");
		free(path);
		if (rc == 0)
			rc = legacy_state_parse(&ls, dive_buf_str(&b), b.len);
		dive_buf_release(&b);
		if (rc < 0) {
			add_entry(unreadable, e->d_name, code, dive_error_last());
			rc = 0;
			continue;
		}
		if (ctx->dry_run) {
			add_entry(imported, e->d_name, code, "would import (dry run)");
			legacy_state_release(&ls);
			continue;
		}
		rc = state_import_legacy(ctx->store, code, &ls, &done, why, sizeof(why));
		legacy_state_release(&ls);
		if (rc == 0)
			add_entry(done ? imported : skipped, e->d_name, code, done ? NULL : why);
	}
	closedir(d);
	if (rc < 0) {
		cJSON_Delete(doc);
		return dive_fail_last(ctx, rc, "cannot import legacy state");
	}
	if (ctx->json) {
		int bad = cJSON_GetArraySize(unreadable) > 0;

		dive_print_json(ctx, doc);
		return bad ? DIVE_EXIT_FAILURE : DIVE_EXIT_OK;
	}
	{
		const cJSON *o;

		cJSON_ArrayForEach(o, imported)
			fprintf(ctx->out, "%s %s from %s\n", ctx->dry_run ? "would import" : "imported",
				cJSON_GetObjectItemCaseSensitive(o, "code")->valuestring,
				cJSON_GetObjectItemCaseSensitive(o, "file")->valuestring);
		cJSON_ArrayForEach(o, skipped)
			fprintf(ctx->out, "skipped %s: %s\n", cJSON_GetObjectItemCaseSensitive(o, "file")->valuestring,
				cJSON_GetObjectItemCaseSensitive(o, "reason")->valuestring);
		cJSON_ArrayForEach(o, unreadable)
			fprintf(ctx->err, "dive: cannot import '%s': %s\n",
				cJSON_GetObjectItemCaseSensitive(o, "file")->valuestring,
				cJSON_GetObjectItemCaseSensitive(o, "reason")->valuestring);
	}
	rc = cJSON_GetArraySize(unreadable) > 0 ? DIVE_EXIT_FAILURE : DIVE_EXIT_OK;
	cJSON_Delete(doc);
	return rc;
}

/* DIR is a directory dive can read, before the store is opened (the handler opens it again). */
static int validate_import(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *dir = inv->argv[0];
	DIR *d;

	if (strlen(dir) > 1024 || !(d = opendir(dir)))
		return dive_error_set(DIVE_EUSAGE, "cannot open directory '%.200s'", dir);
	closedir(d);
	return 0;
}

static const struct dive_opt history_opts[] = {
	{ .name = "limit", .type = DIVE_OPT_INT, .arg = "N", .help = "at most N transitions (default 50)", .min = 1,
	  .max = 100000 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_state_verbs[] = {
	{ .name = "show", .fn = cmd_state_show, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE | DIVE_DRY_RUN,
	  .usage = "[CODE]", .summary = "current state of one instance or all; marks dead runs INTERRUPTED", .issue = 3 },
	{ .name = "history", .fn = cmd_state_history, .min_args = 1, .max_args = 1,
	  .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE, .opts = history_opts, .usage = "CODE",
	  .summary = "state transitions of an instance, newest first", .issue = 3 },
	{ .name = "import-legacy", .fn = cmd_state_import_legacy, .validate = validate_import, .min_args = 1,
	  .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN, .usage = "DIR",
	  .summary = "import the predecessor's .dive-state/<code>.state files (never writes a file)", .issue = 3 },
	{ .name = "flow", .fn = cmd_state_flow, .validate = cmd_state_flow_validate, .opts = cmd_state_flow_opts,
	  .summary = "the allowed state transitions (the state machine's table) as text, JSON or Mermaid", .issue = 19 },
	DIVE_VERB_END,
};
