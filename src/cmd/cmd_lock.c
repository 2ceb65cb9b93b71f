/* cmd_lock.c - `dive lock ...`: advisory locks that exclude for real. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/interrupt.h"
#include "dive/lock.h"
#include "dive/store.h"

/* What `dive lock hold -m` keeps for whoever finds the lock held (dive.lock_holders.message). */
#define LOCK_MESSAGE_MAX 500

static cJSON *holder_json(const struct lock_holder *h)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", h->name);
	cJSON_AddNumberToObject(o, "pid", h->pid);
	cJSON_AddNumberToObject(o, "backend_pid", h->backend_pid);
	cJSON_AddStringToObject(o, "host", h->host);
	cJSON_AddStringToObject(o, "command", h->command);
	if (h->message[0])
		cJSON_AddStringToObject(o, "message", h->message);
	else
		cJSON_AddNullToObject(o, "message");
	cJSON_AddStringToObject(o, "acquired_at", h->acquired_at);
	if (h->expires_at[0])
		cJSON_AddStringToObject(o, "expires_at", h->expires_at);
	else
		cJSON_AddNullToObject(o, "expires_at");
	cJSON_AddNumberToObject(o, "age_s", (double)h->age_s);
	return o;
}

static int cmd_lock_status(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct lock_holder *rows = NULL;
	char name[32];
	size_t n = 0, i;
	int rc;

	if (inv->argc)
		lock_name_instance(name, inv->country->code);
	rc = lock_holders(ctx->store->conn, inv->argc ? name : NULL, &rows, &n);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot read locks");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "locks");

		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, holder_json(&rows[i]));
		free(rows);
		return dive_print_json(ctx, doc);
	}
	for (i = 0; i < n; i++) {
		fprintf(ctx->out, "%-16s pid %d on '%s' (%s) since %s (%llds)", rows[i].name, rows[i].pid, rows[i].host,
			rows[i].command, rows[i].acquired_at, rows[i].age_s);
		if (rows[i].expires_at[0])
			fprintf(ctx->out, ", until %s", rows[i].expires_at);
		if (rows[i].message[0])
			fprintf(ctx->out, ": %s", rows[i].message);
		fputc('\n', ctx->out);
	}
	if (n == 0)
		fprintf(ctx->out, "%s%s is locked\n", inv->argc ? name : "no lock", inv->argc ? " not" : "");
	free(rows);
	return DIVE_EXIT_OK;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --dry-run: who holds it now, and what holding it would record; nothing is taken. */
static int hold_dry_run(struct dive_ctx *ctx, const char *name, long seconds, const char *message)
{
	struct lock_holder *rows = NULL;
	size_t n = 0;
	int rc = lock_holders(ctx->store->conn, name, &rows, &n);

	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot read locks");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "lock", name);
		cJSON_AddBoolToObject(doc, "dry_run", 1);
		cJSON_AddNumberToObject(doc, "for_s", (double)seconds);
		cJSON_AddItemToObject(doc, "holder", n ? holder_json(&rows[0]) : cJSON_CreateNull());
		free(rows);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "would hold lock '%s' for %lds%s%s%s (nothing was taken)\n", name, seconds,
		message ? " with the message '" : "", message ? message : "", message ? "'" : "");
	if (n)
		fprintf(ctx->out, "it is held now by pid %d on '%s' (%s) since %s\n", rows[0].pid, rows[0].host,
			rows[0].command, rows[0].acquired_at);
	else
		fprintf(ctx->out, "it is free now\n");
	free(rows);
	return DIVE_EXIT_OK;
}

static int cmd_lock_hold(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct lock_request req = { 0 };
	struct lock_holder holder;
	struct dive_lock *l = NULL;
	struct dive_interrupt_saved signals;
	char name[32], command[256];
	long long deadline;
	long seconds = dive_opt_int(inv, "for", 0);
	int rc, code = DIVE_EXIT_OK, stopped;

	lock_name_instance(name, inv->country->code);
	dive_inv_command(command, sizeof(command), inv);
	req.command = command;
	req.message = dive_opt_str(inv, "message", NULL);
	req.wait_ms = ctx->lock_wait_ms;
	req.hold_s = seconds;
	if (ctx->dry_run)
		return hold_dry_run(ctx, name, seconds, req.message);

	/* Ctrl-C ends the wait for the lock (exit 130) or the window (released early) */
	dive_interrupt_catch(&signals);
	rc = lock_acquire(&l, ctx->store->url, name, &req, &holder);
	if (rc < 0) {
		dive_interrupt_restore(&signals);
		if (rc == DIVE_ELOCKED && ctx->json) {
			cJSON *doc = cJSON_CreateObject();

			cJSON_AddBoolToObject(doc, "ok", 0);
			cJSON_AddNumberToObject(doc, "exit", DIVE_EXIT_LOCKED);
			if (holder.pid)
				cJSON_AddItemToObject(doc, "holder", holder_json(&holder));
			dive_print_json(ctx, doc);
			fprintf(ctx->err, "dive: %s\n", dive_error_last());
			return DIVE_EXIT_LOCKED;
		}
		return dive_fail_last(ctx, rc, "cannot hold the lock");
	}
	if (!ctx->quiet && !ctx->json)
		fprintf(ctx->out, "holding lock '%s' for %lds as pid %d; interrupt to release it early\n", name, seconds,
			(int)getpid());
	fflush(ctx->out);
	deadline = mono_ms() + seconds * 1000;
	while (!dive_interrupted() && mono_ms() < deadline) {
		long long left = deadline - mono_ms();

		if (dive_interrupt_sleep_ms(left > 1000 ? 1000 : (long)left))
			break;
		if ((rc = lock_check(l)) < 0) {
			code = dive_fail_last(ctx, DIVE_EFAIL, "lock lost while holding it");
			break;
		}
	}
	stopped = dive_interrupted() != 0;
	lock_release(l);
	dive_interrupt_restore(&signals);
	if (code == DIVE_EXIT_OK && ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "lock", name);
		cJSON_AddBoolToObject(doc, "released", 1);
		cJSON_AddBoolToObject(doc, "interrupted", stopped);
		dive_print_json(ctx, doc);
	} else if (code == DIVE_EXIT_OK && !ctx->quiet) {
		fprintf(ctx->out, "released lock '%s'%s\n", name, stopped ? " (interrupted)" : "");
	}
	return code;
}

static int cmd_lock_release(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct lock_holder was;
	char name[32];
	int rc;

	lock_name_instance(name, inv->country->code);
	if (ctx->dry_run) {
		struct lock_holder *rows = NULL;
		size_t n = 0;

		rc = lock_holders(ctx->store->conn, name, &rows, &n);
		if (rc < 0)
			return dive_fail_last(ctx, rc, "cannot read locks");
		if (n)
			fprintf(ctx->out, "would end the session of pid %d on '%s' (%s) holding '%s'\n", rows[0].pid,
				rows[0].host, rows[0].command, name);
		else
			fprintf(ctx->out, "'%s' is not held: nothing to do\n", name);
		free(rows);
		return DIVE_EXIT_OK;
	}
	rc = lock_force_release(ctx->store->conn, name, &was);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot release the lock");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "lock", name);
		cJSON_AddItemToObject(doc, "was_held_by", holder_json(&was));
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "released '%s', which pid %d on '%s' (%s) held since %s\n", name, was.pid, was.host,
		was.command, was.acquired_at);
	return DIVE_EXIT_OK;
}

static int validate_hold(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	if (!dive_opt_given(inv, "for"))
		return dive_error_set(DIVE_EUSAGE, "'dive lock hold' needs --for SECONDS");
	return 0;
}

static int validate_release(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	char name[32];

	if (dive_opt_given(inv, "force"))
		return 0;
	lock_name_instance(name, inv->country->code);
	return dive_error_set(DIVE_EUSAGE, "refusing to release '%s' without --force: it ends the holder's database "
			      "session", name);
}

static const struct dive_opt hold_opts[] = {
	{ .name = "for", .type = DIVE_OPT_INT, .arg = "SECONDS", .help = "how long to hold the lock (required)",
	  .min = 1, .max = 7 * 86400 },
	{ .name = "message", .short_name = 'm', .type = DIVE_OPT_STRING, .arg = "TEXT", .max_len = LOCK_MESSAGE_MAX,
	  .help = "shown to whoever finds the lock held (at most 500 bytes)" },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt release_opts[] = {
	{ .name = "force", .type = DIVE_OPT_BOOL, .help = "end the holder's database session" },
	DIVE_OPT_END,
};

const struct dive_verb cmd_lock_verbs[] = {
	{ .name = "status", .fn = cmd_lock_status, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE,
	  .usage = "[CODE]", .summary = "live lock holders (dead holders' locks are gone with their sessions)",
	  .issue = 3 },
	{ .name = "hold", .fn = cmd_lock_hold, .validate = validate_hold, .min_args = 1, .max_args = 1,
	  .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE | DIVE_TAKES_LOCK | DIVE_DRY_RUN, .opts = hold_opts,
	  .usage = "CODE", .summary = "hold an instance lock for a maintenance window", .issue = 3 },
	{ .name = "release", .fn = cmd_lock_release, .validate = validate_release, .min_args = 1, .max_args = 1,
	  .flags = DIVE_NEEDS_STATE | DIVE_ARG_CODE | DIVE_DRY_RUN, .opts = release_opts, .usage = "CODE",
	  .summary = "end the session holding an instance lock (--force) and say whose it was", .issue = 3 },
	DIVE_VERB_END,
};
