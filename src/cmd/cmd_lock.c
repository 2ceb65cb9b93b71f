/* cmd_lock.c - `dive lock ...`: advisory locks that exclude for real. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/lock.h"
#include "dive/store.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

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

static int cmd_lock_hold(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct lock_request req = { 0 };
	struct lock_holder holder;
	struct dive_lock *l = NULL;
	struct sigaction sa;
	char name[32], command[256];
	long long deadline;
	long seconds = dive_opt_int(inv, "for", 0);
	int rc, code = DIVE_EXIT_OK;

	if (!dive_opt_given(inv, "for"))
		return dive_fail(ctx, DIVE_EUSAGE, "'dive lock hold' needs --for SECONDS");
	lock_name_instance(name, inv->country->code);
	dive_inv_command(command, sizeof(command), inv);
	req.command = command;
	req.message = dive_opt_str(inv, "message", NULL);
	req.wait_ms = dive_opt_int(inv, "lock-wait", 0) * 1000;
	req.hold_s = seconds;
	if (req.message && strlen(req.message) > 500)
		return dive_fail(ctx, DIVE_EUSAGE, "the lock message is longer than 500 characters");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = lock_acquire(&l, ctx->store->url, name, &req, &holder);
	if (rc < 0) {
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
	while (!stop_signal && mono_ms() < deadline) {
		long long left = deadline - mono_ms();
		struct timespec ts = { 0, 0 };

		if (left > 1000)
			left = 1000;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		if ((rc = lock_check(l)) < 0) {
			code = dive_fail_last(ctx, DIVE_EFAIL, "lock lost while holding it");
			break;
		}
	}
	lock_release(l);
	if (code == DIVE_EXIT_OK && ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "lock", name);
		cJSON_AddBoolToObject(doc, "released", 1);
		cJSON_AddBoolToObject(doc, "interrupted", stop_signal != 0);
		dive_print_json(ctx, doc);
	} else if (code == DIVE_EXIT_OK && !ctx->quiet) {
		fprintf(ctx->out, "released lock '%s'%s\n", name, stop_signal ? " (interrupted)" : "");
	}
	return code;
}

static int cmd_lock_release(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct lock_holder was;
	char name[32];
	int rc;

	lock_name_instance(name, inv->country->code);
	if (!dive_opt_given(inv, "force"))
		return dive_fail(ctx, DIVE_EUSAGE, "refusing to release '%s' without --force: it ends the holder's "
				 "database session", name);
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

static const struct dive_opt hold_opts[] = {
	{ "for", 0, DIVE_OPT_INT, "SECONDS", "how long to hold the lock (required)", 1, 7 * 86400 },
	{ "message", 'm', DIVE_OPT_STRING, "TEXT", "shown to whoever finds the lock held", 0, 0 },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt release_opts[] = {
	{ "force", 0, DIVE_OPT_BOOL, NULL, "end the holder's database session", 0, 0 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_lock_verbs[] = {
	{ "status", cmd_lock_status, 0, 1, DIVE_NEEDS_STATE | DIVE_ARG_CODE, NULL, "[CODE]",
	  "live lock holders (dead holders' locks are gone with their sessions)", 3 },
	{ "hold", cmd_lock_hold, 1, 1, DIVE_NEEDS_STATE | DIVE_ARG_CODE, hold_opts, "CODE",
	  "hold an instance lock for a maintenance window", 3 },
	{ "release", cmd_lock_release, 1, 1, DIVE_NEEDS_STATE | DIVE_ARG_CODE | DIVE_DRY_RUN, release_opts, "CODE",
	  "end the session holding an instance lock (--force) and say whose it was", 3 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
