/*
 * cmd_engine.c - `dive engine ...`: the Docker engines dive deploys to, kept
 * in the state store (engine_store.h) and reached over mutual TLS
 * (engines.h).  "local" is the engine at --docker-host.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dive/breaker.h"
#include "dive/breaker_store.h"
#include "dive/cert.h"
#include "dive/docker.h"
#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/store.h"

static int need_schema(struct dive_ctx *ctx)
{
	if (ctx->store->ready)
		return DIVE_EXIT_OK;
	return dive_fail(ctx, DIVE_ECONFLICT,
			 "the state store has %d pending migration%s: run 'dive db migrate' (without --dry-run) first",
			 ctx->store->pending, ctx->store->pending == 1 ? "" : "s");
}

/* The host part of a tcp:// URL ("10.231.0.2"), for hints. */
static void url_host(char *out, size_t n, const char *url)
{
	const char *h = strncmp(url, "tcp://", 6) ? url : url + 6;
	const char *end = h[0] == '[' ? strchr(h, ']') : strrchr(h, ':');

	if (h[0] == '[' && end)
		snprintf(out, n, "%.*s", (int)(end - h - 1), h + 1);
	else
		snprintf(out, n, "%.*s", end ? (int)(end - h) : (int)strlen(h), h);
}

/* The hint placeholders for an engine: NAME, ENGINE and ADDRESS. */
static int fail_engine(struct dive_ctx *ctx, int rc, const char *what, const char *name, const char *url)
{
	char addr[256];
	const char *subst[] = { "NAME", name, "ENGINE", name, "ADDRESS", addr, "COMMAND", "engine", NULL };

	url_host(addr, sizeof(addr), url ? url : "");
	if (!addr[0])
		snprintf(addr, sizeof(addr), "ADDRESS");
	return cmd_fail_hint(ctx, rc, what, subst);
}

/* An absolute path for a file that must exist (the store keeps paths, never content). */
static int absolute(struct dive_ctx *ctx, char *out, const char *opt, const char *path)
{
	char buf[PATH_MAX];

	if (!path)
		return DIVE_EXIT_OK;
	if (strlen(path) > ENGINE_PATH_MAX || !realpath(path, buf) || strlen(buf) > ENGINE_PATH_MAX) {
		dive_error_setc(DIVE_ETLS, ERRC_TLS_MATERIAL_INVALID, "--%s '%.200s' is not a file dive can read", opt, path);
		return cmd_fail_hint(ctx, DIVE_ETLS, "cannot add the engine", NULL);
	}
	memcpy(out, buf, strlen(buf) + 1); /* fits: checked above */
	return DIVE_EXIT_OK;
}

static int cmd_engine_add(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *ca = dive_opt_str(inv, "tls-ca", NULL), *cert = dive_opt_str(inv, "tls-cert", NULL);
	const char *key = dive_opt_str(inv, "tls-key", NULL), *url = dive_opt_str(inv, "url", NULL);
	struct engine_row e;
	struct docker *d = NULL;
	struct docker_tls tls;
	char actor[256];
	int rc, given = !!ca + !!cert + !!key;

	memset(&e, 0, sizeof(e));
	if (engine_name_check(inv->argv[0], 0) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	if (!url)
		return dive_fail(ctx, DIVE_EUSAGE, "'dive engine add' needs --url tcp://HOST:PORT");
	if (given && given != 3)
		return dive_fail(ctx, DIVE_EUSAGE, "mutual TLS needs all three: --tls-ca, --tls-cert and --tls-key");
	snprintf(e.name, sizeof(e.name), "%s", inv->argv[0]);
	if (strlen(url) > ENGINE_URL_MAX || strncmp(url, "tcp://", 6))
		return dive_fail(ctx, DIVE_EUSAGE, "--url must be tcp://HOST:PORT (at most %d characters)", ENGINE_URL_MAX);
	snprintf(e.url, sizeof(e.url), "%s", url);
	if ((rc = absolute(ctx, e.tls_ca, "tls-ca", ca)) || (rc = absolute(ctx, e.tls_cert, "tls-cert", cert)) ||
	    (rc = absolute(ctx, e.tls_key, "tls-key", key)))
		return rc;
	/* the URL and the material are checked as a connection would check them, without connecting */
	tls.ca = e.tls_ca;
	tls.cert = e.tls_cert;
	tls.key = e.tls_key;
	rc = docker_open_tls(&d, e.url, given ? &tls : NULL, NULL);
	docker_close(d);
	if (rc < 0)
		return fail_engine(ctx, rc, "cannot add the engine", e.name, NULL);
	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK)
		return rc;
	if (ctx->dry_run) {
		fprintf(ctx->out, "would register engine '%s' at %s%s\n", e.name, e.url, given ? " with mutual TLS" : "");
		return DIVE_EXIT_OK;
	}
	dive_inv_command(actor, sizeof(actor), inv);
	if ((rc = engine_store_add(ctx->store, &e, actor)) < 0)
		return dive_fail_last(ctx, rc, "cannot add the engine");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "name", e.name);
		cJSON_AddStringToObject(doc, "url", e.url);
		cJSON_AddBoolToObject(doc, "tls", given);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "registered engine '%s' at %s%s\n", e.name, e.url, given ? " (mutual TLS)" : " (plain, loopback)");
	fprintf(ctx->out, "next: dive engine check %s\n", e.name);
	return DIVE_EXIT_OK;
}

/* The breaker of an engine, as a phrase ("closed", "open") for lists. */
static void breaker_phrase(struct dive_ctx *ctx, char *out, size_t n, const char *name)
{
	char bname[BREAKER_NAME_MAX + 1];
	struct breaker_row r;
	int found = 0;

	engines_breaker_name(bname, name);
	if (breaker_get(ctx->store, &r, &found, bname) < 0) {
		dive_error_clear();
		snprintf(out, n, "unknown");
		return;
	}
	snprintf(out, n, "%s", breaker_state_name(r.state));
}

static cJSON *row_json(struct dive_ctx *ctx, const struct engine_row *e)
{
	cJSON *o = cJSON_CreateObject();
	char br[32], bname[BREAKER_NAME_MAX + 1];

	cJSON_AddStringToObject(o, "name", e->name);
	cJSON_AddStringToObject(o, "url", e->url);
	cJSON_AddBoolToObject(o, "tls", e->tls_ca[0] != '\0');
	if (e->tls_ca[0]) {
		cJSON_AddStringToObject(o, "tls_ca", e->tls_ca);
		cJSON_AddStringToObject(o, "tls_cert", e->tls_cert);
		cJSON_AddStringToObject(o, "tls_key", e->tls_key);
	}
	cJSON_AddNumberToObject(o, "placed", e->placed);
	cJSON_AddStringToObject(o, "instances", e->placed_codes);
	engines_breaker_name(bname, e->name);
	breaker_phrase(ctx, br, sizeof(br), e->name);
	cJSON_AddStringToObject(o, "breaker", bname);
	cJSON_AddStringToObject(o, "breaker_state", br);
	if (e->created_at[0]) {
		cJSON_AddStringToObject(o, "created_at", e->created_at);
		cJSON_AddStringToObject(o, "created_by", e->created_by);
		cJSON_AddStringToObject(o, "updated_at", e->updated_at);
	}
	return o;
}

static int cmd_engine_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct engine_row *rows = NULL, local;
	struct docker *d = NULL;
	size_t n = 0, i;
	char br[32];
	cJSON *doc, *arr;
	int rc;

	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK)
		return rc;
	if ((rc = engine_store_list(ctx->store, &rows, &n)) < 0)
		return dive_fail_last(ctx, rc, "cannot list engines");
	engines_open(&d, &local, NULL, NULL, ctx->docker_host);
	docker_close(d);
	dive_error_clear(); /* a bad --docker-host shows up where it is used */
	if (ctx->json) {
		doc = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(doc, "engines");
		cJSON_AddItemToArray(arr, row_json(ctx, &local));
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, row_json(ctx, &rows[i]));
		free(rows);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "%-16s %-36s %-5s %-10s %s\n", "NAME", "URL", "TLS", "BREAKER", "INSTANCES");
	breaker_phrase(ctx, br, sizeof(br), ENGINE_LOCAL);
	fprintf(ctx->out, "%-16s %-36.36s %-5s %-10s %s\n", local.name, local.url, "-", br, "(unplaced instances)");
	for (i = 0; i < n; i++) {
		breaker_phrase(ctx, br, sizeof(br), rows[i].name);
		fprintf(ctx->out, "%-16s %-36.36s %-5s %-10s %s\n", rows[i].name, rows[i].url,
			rows[i].tls_ca[0] ? "mtls" : "plain", br, rows[i].placed_codes[0] ? rows[i].placed_codes : "-");
	}
	free(rows);
	return DIVE_EXIT_OK;
}

/* key names the certificate in --json, what in text. */
static void show_cert(struct dive_ctx *ctx, cJSON *o, const char *key, const char *what, const char *path, time_t now)
{
	struct cert_info c;
	char t[32];

	if (cert_read(&c, path, what) < 0) {
		if (o)
			cJSON_AddStringToObject(o, key, dive_error_last());
		else
			fprintf(ctx->out, "  %-20s %s\n", what, dive_error_last());
		dive_error_clear();
		return;
	}
	cert_format_time(t, c.not_after);
	if (o) {
		cJSON *x = cJSON_AddObjectToObject(o, key);

		cJSON_AddStringToObject(x, "subject", c.subject_cn);
		cJSON_AddStringToObject(x, "not_after", t);
		cJSON_AddNumberToObject(x, "days_left", (double)cert_days_left(&c, now));
		return;
	}
	fprintf(ctx->out, "  %-20s '%s', valid until %s (%ld days)\n", what, c.subject_cn, t, cert_days_left(&c, now));
}

static int cmd_engine_show(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct engine_row e;
	time_t now = time(NULL);
	char br[32];
	cJSON *doc = NULL;
	int rc;

	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK)
		return rc;
	if ((rc = engine_store_get(ctx->store, &e, inv->argv[0])) < 0)
		return cmd_fail_hint(ctx, rc, "cannot show the engine", NULL);
	if (ctx->json)
		doc = row_json(ctx, &e);
	else {
		breaker_phrase(ctx, br, sizeof(br), e.name);
		fprintf(ctx->out, "engine '%s' at %s\n", e.name, e.url);
		fprintf(ctx->out, "  %-20s %s\n", "registered", e.created_at);
		fprintf(ctx->out, "  %-20s %s (%s)\n", "changed", e.updated_at, e.updated_by);
		fprintf(ctx->out, "  %-20s docker:%s is %s\n", "breaker", e.name, br);
		fprintf(ctx->out, "  %-20s %s\n", "instances", e.placed_codes[0] ? e.placed_codes : "none");
		fprintf(ctx->out, "  %-20s %s\n", "TLS", e.tls_ca[0] ? "mutual, verification on" : "none (loopback)");
	}
	if (e.tls_ca[0]) {
		if (!doc)
			fprintf(ctx->out, "  %-20s %s\n  %-20s %s\n  %-20s %s\n", "CA file", e.tls_ca, "certificate file",
				e.tls_cert, "key file", e.tls_key);
		show_cert(ctx, doc, "ca", "CA", e.tls_ca, now);
		show_cert(ctx, doc, "client_certificate", "client certificate", e.tls_cert, now);
	}
	return doc ? dive_print_json(ctx, doc) : DIVE_EXIT_OK;
}

static int cmd_engine_check(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct engines_check_report r;
	const char *name = inv->argv[0];
	int rc, i, warn_days = (int)dive_opt_int(inv, "warn-days", CERT_WARN_DAYS_DEFAULT);
	char t1[32], t2[32];

	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK)
		return rc;
	if (engine_name_check(name, 1) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	rc = engines_check(&r, ctx->store, name, ctx->docker_host, warn_days);
	if (rc < 0) {
		char what[96];

		snprintf(what, sizeof(what), "engine '%s' failed its check", name);
		return fail_engine(ctx, rc, what, name, r.row.url);
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *w = cJSON_CreateArray();

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddStringToObject(doc, "name", r.row.name);
		cJSON_AddStringToObject(doc, "url", r.row.url);
		cJSON_AddBoolToObject(doc, "tls", r.tls);
		cJSON_AddStringToObject(doc, "version", r.version);
		cJSON_AddStringToObject(doc, "api", r.api);
		cJSON_AddNumberToObject(doc, "attempts", r.guard.retry.attempts);
		cJSON_AddNumberToObject(doc, "ms", (double)r.ms);
		for (i = 0; i < r.nwarnings; i++)
			cJSON_AddItemToArray(w, cJSON_CreateString(r.warnings[i]));
		cJSON_AddItemToObject(doc, "warnings", w);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "engine '%s': ok in %.2fs: Docker %s (API %s) at %s%s\n", r.row.name, r.ms / 1000.0, r.version,
		r.api, r.row.url, r.tls ? ", mutual TLS verified both ways" : "");
	if (r.tls) {
		cert_format_time(t1, r.material.ca.not_after);
		cert_format_time(t2, r.material.cert.not_after);
		fprintf(ctx->out, "  CA '%s' valid until %s; client certificate '%s' valid until %s\n",
			r.material.ca.subject_cn, t1, r.material.cert.subject_cn, t2);
	}
	for (i = 0; i < r.nwarnings; i++)
		fprintf(ctx->err, "warning: %s\n", r.warnings[i]);
	if (r.nwarnings)
		cmd_hint(ctx, ERRC_TLS_CERT_EXPIRING, NULL);
	return DIVE_EXIT_OK;
}

static int cmd_engine_remove(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	char bname[BREAKER_NAME_MAX + 1];
	struct engine_row e;
	int rc, existed = 0;

	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK)
		return rc;
	if (ctx->dry_run) {
		if ((rc = engine_store_get(ctx->store, &e, inv->argv[0])) < 0)
			return cmd_fail_hint(ctx, rc, "cannot remove the engine", NULL);
		if (e.placed)
			fprintf(ctx->out, "would refuse: instances %s are placed on engine '%s'\n", e.placed_codes, e.name);
		else
			fprintf(ctx->out, "would remove engine '%s' (%s)\n", e.name, e.url);
		return DIVE_EXIT_OK;
	}
	if ((rc = engine_store_remove(ctx->store, &e, inv->argv[0])) < 0) {
		const char *subst[] = { "NAME", inv->argv[0], NULL };

		return cmd_fail_hint(ctx, rc, "cannot remove the engine", subst);
	}
	engines_breaker_name(bname, e.name);
	if (breaker_forget(ctx->store, NULL, &existed, bname) < 0)
		dive_error_clear(); /* a breaker left behind is harmless: it names no engine any more */
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "removed", e.name);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "removed engine '%s' (%s); nothing on it was touched\n", e.name, e.url);
	return DIVE_EXIT_OK;
}

static const struct dive_opt add_opts[] = {
	{ .name = "url", .type = DIVE_OPT_STRING, .arg = "tcp://HOST:PORT", .help = "where the engine listens (plain only on a loopback address)" },
	{ .name = "tls-ca", .type = DIVE_OPT_STRING, .arg = "FILE", .help = "the CA the engine's certificate must chain to" },
	{ .name = "tls-cert", .type = DIVE_OPT_STRING, .arg = "FILE", .help = "dive's client certificate for this engine" },
	{ .name = "tls-key", .type = DIVE_OPT_STRING, .arg = "FILE", .help = "its key (mode 0600)" },
	DIVE_OPT_END,
};

static const struct dive_opt check_opts[] = {
	{ .name = "warn-days", .type = DIVE_OPT_INT, .arg = "DAYS", .help = "warn about certificates expiring within DAYS (default 30)", .max = 3650 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_engine_verbs[] = {
	{ .name = "add", .fn = cmd_engine_add, .min_args = 1, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN, .opts = add_opts, .usage = "NAME", .summary = "register a Docker engine (tcp:// with mutual TLS)", .issue = 18 },
	{ .name = "list", .fn = cmd_engine_list, .flags = DIVE_NEEDS_STATE, .summary = "every engine, its breaker and its instances", .issue = 18 },
	{ .name = "show", .fn = cmd_engine_show, .min_args = 1, .max_args = 1, .flags = DIVE_NEEDS_STATE, .usage = "NAME", .summary = "one engine with its certificates", .issue = 18 },
	{ .name = "check", .fn = cmd_engine_check, .min_args = 1, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, .opts = check_opts, .usage = "NAME", .summary = "ping the engine over mutual TLS and read its version, through its breaker", .issue = 18 },
	{ .name = "remove", .fn = cmd_engine_remove, .min_args = 1, .max_args = 1, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN, .usage = "NAME", .summary = "forget an engine (refused while instances are placed on it)", .issue = 18 },
	DIVE_VERB_END,
};
