/* cmd_breaker.c - `dive breaker ...`: circuit breakers in the state store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dive/breaker_store.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/store.h"

/* Every verb that reads dive.breakers needs the schema of this binary. */
static int need_schema(struct dive_ctx *ctx)
{
	if (ctx->store->ready)
		return 0;
	return dive_fail(ctx, DIVE_ECONFLICT,
			 "the state store has %d pending migration%s: run 'dive db migrate' (without --dry-run) first",
			 ctx->store->pending, ctx->store->pending == 1 ? "" : "s");
}

static void add_time(cJSON *o, const char *key, long long ms)
{
	char t[32];

	if (ms <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	breaker_format_time(t, ms);
	cJSON_AddStringToObject(o, key, t);
}

/* The class of a name whose configuration applies, and whether it is a known one. */
static const struct breaker_config *config_of(const char *name, int *known)
{
	const struct breaker_config *cfg = NULL;
	size_t len = strcspn(name, ":");

	if (breaker_config_get(&cfg, name) < 0)
		dive_error_clear(); /* a bad DIVE_BREAKER: show the built-in row */
	*known = strlen(cfg->name) == len && !strncmp(cfg->name, name, len);
	return cfg;
}

static long long seconds_until(long long then, long long now)
{
	return then > now ? (then - now + 999) / 1000 : 0;
}

static cJSON *row_json(const struct breaker_row *r, int recorded)
{
	cJSON *o = cJSON_CreateObject();
	int known;
	const struct breaker_config *cfg = config_of(r->name, &known);

	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "state", breaker_state_name(r->state));
	cJSON_AddStringToObject(o, "class", cfg->name);
	cJSON_AddBoolToObject(o, "recorded", recorded);
	cJSON_AddNumberToObject(o, "failures", r->failures);
	add_time(o, "window_started_at", r->window_start_ms);
	cJSON_AddNumberToObject(o, "open_count", r->open_count);
	add_time(o, "opened_at", r->opened_ms);
	add_time(o, "next_probe_at", r->next_probe_ms);
	if ((r->state == BREAKER_OPEN || r->state == BREAKER_HALF_OPEN) && r->next_probe_ms)
		cJSON_AddNumberToObject(o, "next_probe_in_s", (double)seconds_until(r->next_probe_ms, r->now_ms));
	else
		cJSON_AddNullToObject(o, "next_probe_in_s");
	cJSON_AddNumberToObject(o, "probes_in_flight", r->probes_in_flight);
	cJSON_AddNumberToObject(o, "successes", r->successes);
	add_time(o, "state_since", r->state_since_ms);
	if (recorded)
		cJSON_AddStringToObject(o, "changed_by", r->changed_by);
	else
		cJSON_AddNullToObject(o, "changed_by");
	if (r->last_error[0])
		cJSON_AddStringToObject(o, "last_error", r->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	add_time(o, "last_error_at", r->last_error_ms);
	add_time(o, "updated_at", r->updated_ms);
	cJSON_AddNumberToObject(o, "generation", (double)r->generation);
	return o;
}

static cJSON *config_json(const struct breaker_config *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "class", c->name);
	cJSON_AddNumberToObject(o, "failures", c->failures);
	cJSON_AddNumberToObject(o, "window_ms", (double)c->window_ms);
	cJSON_AddNumberToObject(o, "open_base_ms", (double)c->open_base_ms);
	cJSON_AddNumberToObject(o, "open_multiplier", c->open_multiplier);
	cJSON_AddNumberToObject(o, "open_max_ms", (double)c->open_max_ms);
	cJSON_AddNumberToObject(o, "probes", c->probes);
	cJSON_AddNumberToObject(o, "successes", c->successes);
	cJSON_AddNumberToObject(o, "probe_timeout_ms", (double)c->probe_timeout_ms);
	return o;
}

/* "open, next probe in 12s" and the like: the state with what it means now. */
static void state_phrase(char *out, size_t n, const struct breaker_row *r)
{
	switch (r->state) {
	case BREAKER_OPEN:
		if (r->next_probe_ms > r->now_ms)
			snprintf(out, n, "open, next probe in %llds", seconds_until(r->next_probe_ms, r->now_ms));
		else
			snprintf(out, n, "open, next call probes");
		return;
	case BREAKER_HALF_OPEN:
		snprintf(out, n, "half_open, %d probe%s in flight", r->probes_in_flight,
			 r->probes_in_flight == 1 ? "" : "s");
		return;
	default:
		snprintf(out, n, "%s", breaker_state_name(r->state));
		return;
	}
}

static int cmd_breaker_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct breaker_row *rows = NULL;
	char phrase[64];
	size_t n = 0, i;
	int rc;

	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK)
		return rc;
	rc = breaker_list(ctx->store, &rows, &n);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot read breakers");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "breakers");

		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, row_json(&rows[i], 1));
		free(rows);
		return dive_print_json(ctx, doc);
	}
	if (n == 0)
		fprintf(ctx->out, "no breaker has recorded anything: every endpoint is closed\n");
	else
		fprintf(ctx->out, "%-24s %-32s %8s %5s  %s\n", "NAME", "STATE", "FAILURES", "OPENS", "LAST ERROR");
	for (i = 0; i < n; i++) {
		state_phrase(phrase, sizeof(phrase), &rows[i]);
		fprintf(ctx->out, "%-24s %-32s %8d %5d  %.80s\n", rows[i].name, phrase, rows[i].failures,
			rows[i].open_count, rows[i].last_error[0] ? rows[i].last_error : "-");
	}
	free(rows);
	return DIVE_EXIT_OK;
}

static int read_breaker(struct dive_ctx *ctx, struct breaker_row *r, int *found, const char *name)
{
	int rc = breaker_get(ctx->store, r, found, name);

	if (rc == DIVE_EUSAGE)
		return dive_fail(ctx, rc, "%s", dive_error_last());
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot read breakers");
	return DIVE_EXIT_OK;
}

static void warn_unknown_class(struct dive_ctx *ctx, const char *name)
{
	int known;
	const struct breaker_config *cfg = config_of(name, &known);

	if (!known && !ctx->json)
		fprintf(ctx->err, "note: '%.*s' is not a breaker class; the '%s' configuration applies\n",
			(int)strcspn(name, ":"), name, cfg->name);
}

static int cmd_breaker_show(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct breaker_row r;
	const struct breaker_config *cfg;
	char t[32], phrase[64];
	int rc, found = 0, known;

	if ((rc = need_schema(ctx)) != DIVE_EXIT_OK || (rc = read_breaker(ctx, &r, &found, inv->argv[0])))
		return rc;
	cfg = config_of(r.name, &known);
	if (ctx->json) {
		cJSON *doc = row_json(&r, found);

		cJSON_AddNumberToObject(doc, "next_open_ms", (double)breaker_open_duration_ms(cfg, r.open_count + 1));
		cJSON_AddItemToObject(doc, "config", config_json(cfg));
		return dive_print_json(ctx, doc);
	}
	warn_unknown_class(ctx, r.name);
	state_phrase(phrase, sizeof(phrase), &r);
	fprintf(ctx->out, "breaker '%s': %s", r.name, phrase);
	if (found) {
		breaker_format_time(t, r.state_since_ms);
		fprintf(ctx->out, " since %s (%s)\n", t, r.changed_by);
	} else {
		fprintf(ctx->out, " (nothing recorded yet)\n");
	}
	if (r.state == BREAKER_OPEN || r.state == BREAKER_HALF_OPEN) {
		breaker_format_time(t, r.next_probe_ms);
		fprintf(ctx->out, "  %-12s %s%s\n", r.state == BREAKER_OPEN ? "next probe" : "probes expire", t,
			r.state == BREAKER_OPEN ? "" : " (unreported probes are forgotten then)");
	}
	if (r.state == BREAKER_FORCED_OPEN)
		fprintf(ctx->out, "  %-12s 'dive breaker close %s' closes it\n", "forced", r.name);
	fprintf(ctx->out, "  %-12s %d in the current window (it opens at %d within %lds)\n", "failures", r.failures,
		cfg->failures, cfg->window_ms / 1000);
	fprintf(ctx->out, "  %-12s %d since it last closed; the next opening lasts %.1fs (%.1fs x %g per opening, "
		"at most %lds)\n", "openings", r.open_count, breaker_open_duration_ms(cfg, r.open_count + 1) / 1000.0,
		cfg->open_base_ms / 1000.0, cfg->open_multiplier, cfg->open_max_ms / 1000);
	fprintf(ctx->out, "  %-12s %d in flight, %d succeeded (at most %d at once; %d successes close it)\n",
		"probes", r.probes_in_flight, r.successes, cfg->probes, cfg->successes);
	if (r.last_error[0]) {
		breaker_format_time(t, r.last_error_ms);
		fprintf(ctx->out, "  %-12s %s: %s\n", "last error", t, r.last_error);
	}
	fprintf(ctx->out, "  %-12s %s: %s\n", "class", cfg->name, cfg->used_for);
	return DIVE_EXIT_OK;
}

/* The operator verbs: open, close, disable (breaker_operate) and reset (breaker_forget). */

enum op_kind { OP_OPEN, OP_CLOSE, OP_DISABLE, OP_RESET };

static const struct {
	const char *verb;
	enum breaker_event_type ev;
	const char *done;       /* after "breaker 'x' " */
	const char *then;       /* what it means */
	int until_closed;       /* then ends with "until 'dive breaker close NAME'" */
} ops[] = {
	[OP_OPEN] = { "open", BREAKER_EV_FORCE_OPEN, "is forced open", "calls through it fail at once", 1 },
	[OP_CLOSE] = { "close", BREAKER_EV_CLOSE, "is closed", "its counters and openings are reset", 0 },
	[OP_DISABLE] = { "disable", BREAKER_EV_DISABLE, "is disabled", "calls pass and nothing is counted", 1 },
	[OP_RESET] = { "reset", BREAKER_EV__COUNT, "is forgotten", "it is closed until something fails", 0 },
};

/* "dive breaker open mongo:hub (pid 4242 on 'host')", with the name as stored. */
static void actor_of(char *out, size_t n, enum op_kind k, const char *name)
{
	char norm[BREAKER_NAME_MAX + 1], host[64] = "";

	if (breaker_name_normalize(norm, name) < 0)
		norm[0] = '\0'; /* breaker_operate refuses it next */
	gethostname(host, sizeof(host) - 1);
	snprintf(out, n, "dive breaker %s %s (pid %d on '%s')", ops[k].verb, norm, (int)getpid(), host);
}

static int print_op(struct dive_ctx *ctx, enum op_kind k, const struct breaker_row *before, int before_recorded,
		    const struct breaker_row *after, int dry_run)
{
	char then[200];
	int same = after && before->state == after->state && k != OP_RESET;

	snprintf(then, sizeof(then), "%s%s%s%s", ops[k].then, ops[k].until_closed ? " until 'dive breaker close " : "",
		 ops[k].until_closed ? before->name : "", ops[k].until_closed ? "'" : "");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "breaker", before->name);
		cJSON_AddStringToObject(doc, "action", ops[k].verb);
		cJSON_AddBoolToObject(doc, "dry_run", dry_run);
		cJSON_AddItemToObject(doc, "before", row_json(before, before_recorded));
		if (after)
			cJSON_AddItemToObject(doc, "after", row_json(after, 1));
		else
			cJSON_AddNullToObject(doc, "after");
		return dive_print_json(ctx, doc);
	}
	warn_unknown_class(ctx, before->name);
	if (k == OP_RESET && !before_recorded) {
		fprintf(ctx->out, "breaker '%s' has nothing recorded: nothing to forget\n", before->name);
		return DIVE_EXIT_OK;
	}
	if (dry_run) {
		fprintf(ctx->out, "would %s breaker '%s' (now %s): %s\n", ops[k].verb, before->name,
			breaker_state_name(before->state), then);
		return DIVE_EXIT_OK;
	}
	if (same)
		fprintf(ctx->out, "breaker '%s' %s already; %s\n", before->name, ops[k].done, then);
	else
		fprintf(ctx->out, "breaker '%s' %s (was %s): %s\n", before->name, ops[k].done,
			breaker_state_name(before->state), then);
	return DIVE_EXIT_OK;
}

static int operate(struct dive_ctx *ctx, const struct dive_inv *inv, enum op_kind k)
{
	struct breaker_row before, after;
	char actor[BREAKER_ACTOR_MAX + 1];
	int rc, found = 0;

	if (ctx->dry_run) {
		const struct breaker_config *cfg;
		struct breaker_event ev = { ops[k].ev, BREAKER_PASS_NONE, 0, NULL };
		struct breaker_decision dec;
		char norm[BREAKER_NAME_MAX + 1];

		if (breaker_name_normalize(norm, inv->argv[0]) < 0)
			return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
		if (!ctx->store->ready) {
			/* The schema is behind: say so, and describe the action on a closed breaker. */
			if (!ctx->json)
				fprintf(ctx->out, "would apply %d pending migration%s first\n", ctx->store->pending,
					ctx->store->pending == 1 ? "" : "s");
			breaker_row_init(&before, norm);
		} else if ((rc = read_breaker(ctx, &before, &found, norm))) {
			return rc;
		}
		if (k == OP_RESET)
			return print_op(ctx, k, &before, found, NULL, 1);
		if (breaker_config_get(&cfg, norm) < 0)
			dive_error_clear(); /* a bad DIVE_BREAKER: the built-in row */
		breaker_step(&after, &dec, &before, cfg, &ev, before.now_ms);
		return print_op(ctx, k, &before, found, &after, 1);
	}
	if (k == OP_RESET) {
		rc = breaker_forget(ctx->store, &before, &found, inv->argv[0]);
		if (rc == DIVE_EUSAGE)
			return dive_fail(ctx, rc, "%s", dive_error_last());
		if (rc < 0)
			return dive_fail_last(ctx, rc, "cannot forget the breaker");
		return print_op(ctx, k, &before, found, NULL, 0);
	}
	actor_of(actor, sizeof(actor), k, inv->argv[0]);
	rc = breaker_operate(ctx->store, &before, &after, inv->argv[0], ops[k].ev, actor);
	if (rc == DIVE_EUSAGE)
		return dive_fail(ctx, rc, "%s", dive_error_last());
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot change the breaker");
	return print_op(ctx, k, &before, before.updated_ms != 0, &after, 0);
}

static int cmd_breaker_open(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return operate(ctx, inv, OP_OPEN);
}

static int cmd_breaker_close(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return operate(ctx, inv, OP_CLOSE);
}

static int cmd_breaker_disable(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return operate(ctx, inv, OP_DISABLE);
}

static int cmd_breaker_reset(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	return operate(ctx, inv, OP_RESET);
}

/* NAME: lower-cased and checked by breaker_name_normalize() before the store is opened. */
static int validate_name(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	char norm[BREAKER_NAME_MAX + 1];

	return breaker_name_normalize(norm, inv->argv[0]);
}

#define ONE_NAME .min_args = 1, .max_args = 1, .usage = "NAME", .validate = validate_name, .issue = 4

const struct dive_verb cmd_breaker_verbs[] = {
	{ .name = "list", .fn = cmd_breaker_list, .flags = DIVE_NEEDS_STATE, .summary = "every breaker and its state",
	  .issue = 4 },
	{ .name = "show", .fn = cmd_breaker_show, ONE_NAME, .flags = DIVE_NEEDS_STATE,
	  .summary = "one breaker in detail, with its configuration" },
	{ .name = "open", .fn = cmd_breaker_open, ONE_NAME, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN,
	  .summary = "force a breaker open: calls through it fail at once until closed" },
	{ .name = "close", .fn = cmd_breaker_close, ONE_NAME, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN,
	  .summary = "close a breaker and reset its counters" },
	{ .name = "reset", .fn = cmd_breaker_reset, ONE_NAME, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN,
	  .summary = "forget a breaker's state and history" },
	{ .name = "disable", .fn = cmd_breaker_disable, ONE_NAME, .flags = DIVE_NEEDS_STATE | DIVE_DRY_RUN,
	  .summary = "let every call through and count nothing, until closed" },
	DIVE_VERB_END,
};
