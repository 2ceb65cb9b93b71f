/*
 * cmd_federation.c - `dive federation ...`: Keycloak <-> MongoDB <-> containers.
 *
 * The verbs print; src/engine/fedsync.c does the work (fedsync.h) and
 * federation.h classifies.  audit and idps exit 1 on any error, whatever
 * its kind (issue 7: "0 in sync, 5 drift found, 1 error"); the error's kind
 * and taxonomy code are still in the message and in --json.  Nothing here
 * ever holds a secret: reports carry names and outcomes only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/federation.h"
#include "dive/fedsync.h"
#include "dive/settings.h"

/* --- shared ------------------------------------------------------------------------ */

struct sync {
	struct fedsync *fs;
	char actor[256];
};

static int sync_open(struct dive_ctx *ctx, const struct dive_inv *inv, struct sync *s)
{
	struct fedsync_opts o;

	memset(&o, 0, sizeof(o));
	dive_inv_command(s->actor, sizeof(s->actor), inv);
	o.store = ctx->store;
	o.docker_host = ctx->docker_host;
	o.instances_dir = ctx->instances_dir;
	o.secrets_spec = settings_getenv("DIVE_SECRETS");
	o.actor = s->actor;
	o.lock_wait_ms = ctx->lock_wait_ms;
	/* a real login each way per approved spoke: audit --logins, reconcile unless --no-logins */
	o.probe_logins = dive_opt_given(inv, "logins") ||
			 (!strcmp(inv->verb->name, "reconcile") && !dive_opt_given(inv, "no-logins"));
	return fedsync_open(&s->fs, &o);
}

/* The remediation of the error's code, with CODE replaced by the spoke's when there is one. */
static void hint(struct dive_ctx *ctx, int tcode, const char *code, const char *fallback)
{
	const struct errcode *e = tcode ? errcode_find(tcode) : NULL;
	const char *r, *at;

	if (ctx->json)
		return;
	if (!e || !e->remediation) {
		if (fallback)
			fprintf(ctx->err, "hint: %s\n", fallback);
		return;
	}
	r = e->remediation;
	at = code ? strstr(r, "CODE") : NULL;
	if (at)
		fprintf(ctx->err, "hint: %.*s%s%s (error %d %s)\n", (int)(at - r), r, code, at + 4, e->code, e->name);
	else
		fprintf(ctx->err, "hint: %s (error %d %s)\n", r, e->code, e->name);
}

/* "dive: <what> '<CODE>': <last error>" with the remediation of its code. */
static int fail_code(struct dive_ctx *ctx, int rc, const char *what, const char *code, int exit_as_failure)
{
	char msg[160], fallback[96] = "";
	int tcode = dive_error_last_code(), ret;

	if (code)
		snprintf(msg, sizeof(msg), "%s '%s'", what, code);
	else
		snprintf(msg, sizeof(msg), "%s", what);
	if (rc == DIVE_ENOTFOUND && code)
		snprintf(fallback, sizeof(fallback), "dive federation register %s", code);
	ret = dive_fail_last(ctx, exit_as_failure ? DIVE_EFAIL : rc, msg);
	hint(ctx, tcode, code, fallback[0] ? fallback : NULL);
	return ret;
}

static cJSON *iso_time(long long ms)
{
	char buf[32];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (ms <= 0 || !gmtime_r(&t, &tm))
		return cJSON_CreateNull();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return cJSON_CreateString(buf);
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* The registration as stored (it holds no secret by construction). */
static cJSON *spoke_json(const struct fed_spoke *s)
{
	cJSON *o = cJSON_CreateObject(), *scopes;
	size_t i;

	add_str(o, "spokeId", s->spoke_id[0] ? s->spoke_id : NULL);
	cJSON_AddStringToObject(o, "code", s->code);
	add_str(o, "name", s->name);
	cJSON_AddStringToObject(o, "status", fed_status_name(s->status));
	cJSON_AddNumberToObject(o, "rev", (double)s->rev);
	add_str(o, "baseUrl", s->base_url);
	add_str(o, "apiUrl", s->api_url);
	add_str(o, "idpUrl", s->idp_url);
	add_str(o, "idpPublicUrl", s->idp_public_url);
	add_str(o, "approvedBy", s->approved_by);
	add_str(o, "suspendedReason", s->suspended_reason);
	add_str(o, "revokedReason", s->revoked_reason);
	cJSON_AddItemToObject(o, "approvedAt", iso_time(s->approved_at));
	cJSON_AddItemToObject(o, "createdAt", iso_time(s->created_at));
	cJSON_AddItemToObject(o, "updatedAt", iso_time(s->updated_at));
	scopes = cJSON_AddArrayToObject(o, "allowedPolicyScopes");
	for (i = 0; i < s->n_scopes; i++)
		cJSON_AddItemToArray(scopes, cJSON_CreateString(s->scopes[i]));
	return o;
}

static cJSON *steps_json(const struct fedsync_report *r, size_t *changed)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	*changed = 0;
	for (i = 0; i < r->n; i++) {
		const struct fedsync_step *st = &r->v[i];
		const char *realm, *name;
		struct fed_names names;
		char key[64];
		cJSON *o = cJSON_CreateObject();

		fed_action_target(&st->action, &realm, &name, &names);
		fed_action_key(&st->action, key, sizeof(key));
		cJSON_AddStringToObject(o, "key", key);
		cJSON_AddStringToObject(o, "code", st->action.code);
		cJSON_AddStringToObject(o, "op", fed_op_name(st->action.op));
		cJSON_AddStringToObject(o, "object", fed_obj_name(st->action.obj));
		cJSON_AddStringToObject(o, "side", fed_side_name(st->action.side));
		cJSON_AddStringToObject(o, "realm", realm);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "because", fed_drift_name(st->action.because));
		cJSON_AddBoolToObject(o, "done", st->done);
		add_str(o, "outcome", st->done ? kc_outcome_name(st->outcome) : NULL);
		add_str(o, "changed", st->done && st->changed[0] ? st->changed : NULL);
		cJSON_AddItemToArray(arr, o);
		if (st->done && st->outcome != KC_UNCHANGED)
			(*changed)++;
	}
	return arr;
}

/* One line per step: what was done (or, in a dry run, what would be). */
static void print_steps(struct dive_ctx *ctx, const struct fedsync_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct fedsync_step *st = &r->v[i];
		const char *realm, *name;
		struct fed_names names;
		char what[256];

		fed_action_target(&st->action, &realm, &name, &names);
		if (!st->done) {
			fed_action_describe(&st->action, what, sizeof(what));
			fprintf(ctx->out, "  %s %s\n", ctx->dry_run ? "would" : "not done:", what);
			continue;
		}
		fprintf(ctx->out, "  %-9s  %s '%s' in realm '%s'%s%s%s\n", kc_outcome_name(st->outcome),
			fed_obj_name(st->action.obj), name, realm, st->changed[0] ? " (" : "", st->changed,
			st->changed[0] ? ")" : "");
	}
}

static size_t count_changed(const struct fedsync_report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].done && r->v[i].outcome != KC_UNCHANGED;
	return n;
}

/* The JSON document of a verb on one spoke. */
static int print_verb_json(struct dive_ctx *ctx, const char *code, const struct fedsync_report *r, const char *status)
{
	cJSON *doc = cJSON_CreateObject();
	size_t changed;

	cJSON_AddBoolToObject(doc, "ok", 1);
	cJSON_AddStringToObject(doc, "code", code);
	cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
	add_str(doc, "status", status);
	cJSON_AddBoolToObject(doc, "already", r->already);
	cJSON_AddItemToObject(doc, "steps", steps_json(r, &changed));
	cJSON_AddNumberToObject(doc, "changed", (double)changed);
	cJSON_AddNumberToObject(doc, "deferred", (double)r->deferred);
	cJSON_AddItemToObject(doc, "registration", r->registered ? spoke_json(&r->spoke) : cJSON_CreateNull());
	return dive_print_json(ctx, doc);
}

/* --- register, approve, suspend, unregister ---------------------------------------- */

static int cmd_fed_register(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_country *c = inv->country;
	struct fedsync_report r;
	struct sync s;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return fail_code(ctx, rc, "cannot open the federation store for", c->code, 0);
	rc = fedsync_register(s.fs, &r, c, ctx->dry_run ? FEDSYNC_DRY_RUN : 0);
	fedsync_close(s.fs);
	if (rc < 0) {
		fedsync_report_release(&r);
		return fail_code(ctx, rc, "cannot register spoke", c->code, 0);
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddStringToObject(doc, "code", c->code);
		cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
		cJSON_AddItemToObject(doc, "registration", spoke_json(&r.spoke));
		fedsync_report_release(&r);
		return dive_print_json(ctx, doc);
	}
	if (ctx->dry_run)
		fprintf(ctx->out, "would register %s (%s) as pending (nothing was changed):\n", c->code, c->name);
	else
		fprintf(ctx->out, "registered %s (%s) as pending: %s\n", c->code, c->name, r.spoke.spoke_id);
	fprintf(ctx->out, "  baseUrl       %s\n  apiUrl        %s\n  idpUrl        %s\n  idpPublicUrl  %s\n",
		r.spoke.base_url ? r.spoke.base_url : "", r.spoke.api_url ? r.spoke.api_url : "",
		r.spoke.idp_url ? r.spoke.idp_url : "", r.spoke.idp_public_url ? r.spoke.idp_public_url : "");
	if (!ctx->dry_run && !ctx->quiet)
		fprintf(ctx->err, "next: dive federation approve %s\n", c->code);
	fedsync_report_release(&r);
	return DIVE_EXIT_OK;
}

static void print_deferred(struct dive_ctx *ctx, const struct dive_country *c, const struct fedsync_report *r,
			   const char *verb)
{
	if (r->deferred && !ctx->json)
		fprintf(ctx->err, "note: %zu spoke-side action%s left: %s's stack is not running; run 'dive federation %s %s' "
			"again once 'dive spoke deploy %s' has run\n", r->deferred, r->deferred > 1 ? "s" : "", c->code, verb,
			c->code, c->code);
}

static int cmd_fed_approve(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_country *c = inv->country;
	struct fedsync_report r;
	struct sync s;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return fail_code(ctx, rc, "cannot open the federation store for", c->code, 0);
	rc = fedsync_approve(s.fs, &r, c, ctx->dry_run ? FEDSYNC_DRY_RUN : 0);
	fedsync_close(s.fs);
	if (rc < 0) {
		if (!ctx->json)
			print_steps(ctx, &r);
		fedsync_report_release(&r);
		return fail_code(ctx, rc, "cannot approve spoke", c->code, 0);
	}
	if (ctx->json) {
		rc = print_verb_json(ctx, c->code, &r, "approved");
	} else {
		if (ctx->dry_run)
			fprintf(ctx->out, "would approve %s%s and federate it (nothing was changed):\n", c->code,
				r.already ? " (already approved)" : "");
		print_steps(ctx, &r);
		if (!ctx->dry_run)
			fprintf(ctx->out, "%s %s; federated both ways (%zu of %zu objects changed)\n", c->code,
				r.already ? "was already approved" : "approved", count_changed(&r), r.n);
		rc = DIVE_EXIT_OK;
	}
	fedsync_report_release(&r);
	return rc;
}

static int cmd_fed_suspend(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_country *c = inv->country;
	struct fedsync_report r;
	struct sync s;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return fail_code(ctx, rc, "cannot open the federation store for", c->code, 0);
	rc = fedsync_suspend(s.fs, &r, c, dive_opt_str(inv, "reason", "suspended by the operator"),
			     ctx->dry_run ? FEDSYNC_DRY_RUN : 0);
	fedsync_close(s.fs);
	if (rc < 0) {
		if (!ctx->json)
			print_steps(ctx, &r);
		fedsync_report_release(&r);
		return fail_code(ctx, rc, "cannot suspend spoke", c->code, 0);
	}
	if (ctx->json) {
		rc = print_verb_json(ctx, c->code, &r, "suspended");
	} else {
		if (ctx->dry_run)
			fprintf(ctx->out, "would suspend %s%s (nothing was changed):\n", c->code,
				r.already ? " (already suspended)" : "");
		print_steps(ctx, &r);
		if (!ctx->dry_run)
			fprintf(ctx->out, "%s %s; its hub identity provider is disabled\n", c->code,
				r.already ? "was already suspended" : "suspended");
		rc = DIVE_EXIT_OK;
	}
	fedsync_report_release(&r);
	return rc;
}

static int cmd_fed_unregister(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_country *c = inv->country;
	const char *reason = dive_opt_str(inv, "reason", "unregistered by the operator");
	struct fedsync_report r;
	struct sync s;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return fail_code(ctx, rc, "cannot open the federation store for", c->code, 0);
	if (!ctx->dry_run && !ctx->yes) {
		/* on a terminal (the dispatcher saw to that): say what will go before anything goes */
		rc = fedsync_unregister(s.fs, &r, c, reason, FEDSYNC_DRY_RUN);
		if (rc < 0) {
			fedsync_close(s.fs);
			fedsync_report_release(&r);
			return fail_code(ctx, rc, "cannot unregister spoke", c->code, 0);
		}
		print_steps(ctx, &r);
		fedsync_report_release(&r);
		if (dive_confirm(ctx, "revoke %s and remove these objects?", c->code) < 0) {
			fedsync_close(s.fs);
			return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
		}
	}
	rc = fedsync_unregister(s.fs, &r, c, reason, ctx->dry_run ? FEDSYNC_DRY_RUN : 0);
	fedsync_close(s.fs);
	if (rc < 0) {
		if (!ctx->json)
			print_steps(ctx, &r);
		fedsync_report_release(&r);
		return fail_code(ctx, rc, "cannot unregister spoke", c->code, 0);
	}
	if (ctx->json) {
		rc = print_verb_json(ctx, c->code, &r, r.registered ? "revoked" : NULL);
	} else {
		if (ctx->dry_run)
			fprintf(ctx->out, "would revoke %s and remove (nothing was changed):\n", c->code);
		print_steps(ctx, &r);
		if (!ctx->dry_run)
			fprintf(ctx->out, "%s %s; %zu federation object%s removed\n", c->code,
				!r.registered ? "was not registered" : r.already ? "was already revoked" : "revoked",
				count_changed(&r), count_changed(&r) == 1 ? "" : "s");
		print_deferred(ctx, c, &r, "unregister");
		rc = DIVE_EXIT_OK;
	}
	fedsync_report_release(&r);
	return rc;
}

/* --- status, audit, idps --------------------------------------------------------------- */

static cJSON *drift_json(unsigned drift)
{
	cJSON *arr = cJSON_CreateArray();
	int k;

	for (k = 0; k < FED_DRIFT__COUNT; k++) {
		cJSON *o;

		if (!(drift & FED_DRIFT_BIT(k)))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", fed_drift_name((enum fed_drift)k));
		cJSON_AddStringToObject(o, "meaning", fed_drift_meaning((enum fed_drift)k));
		cJSON_AddStringToObject(o, "remedy", fed_drift_remedy((enum fed_drift)k));
		cJSON_AddBoolToObject(o, "repaired_by_reconcile", fed_drift_repaired((enum fed_drift)k));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static void drift_names(char *out, size_t n, unsigned drift)
{
	size_t used = 0;
	int k;

	out[0] = '\0';
	for (k = 0; k < FED_DRIFT__COUNT && used + 1 < n; k++) {
		if (!(drift & FED_DRIFT_BIT(k)))
			continue;
		snprintf(out + used, n - used, "%s%s", used ? "," : "", fed_drift_name((enum fed_drift)k));
		used = strlen(out);
	}
	if (!out[0])
		snprintf(out, n, "-");
}

static void finding_fields(cJSON *o, const struct fed_finding *f)
{
	struct fed_names names;

	federation_names(&names, f->code);
	cJSON_AddStringToObject(o, "code", f->code);
	cJSON_AddStringToObject(o, "alias", names.hub_idp);
	add_str(o, "registration", f->registered ? fed_status_name(f->status) : NULL);
	cJSON_AddStringToObject(o, "idp", fed_idp_state_name(f->idp));
	cJSON_AddBoolToObject(o, "idp_misconfigured", f->idp_misconfigured);
	cJSON_AddStringToObject(o, "stack", fed_stack_state_name(f->stack));
	cJSON_AddBoolToObject(o, "changing", f->changing);
	cJSON_AddBoolToObject(o, "public", f->is_public);
	cJSON_AddBoolToObject(o, "in_sync", f->drift == 0);
	cJSON_AddItemToObject(o, "drift", drift_json(f->drift));
	if (f->login_to_hub)
		cJSON_AddBoolToObject(o, "login_to_hub", f->login_to_hub > 0);
	if (f->login_to_spoke)
		cJSON_AddBoolToObject(o, "login_to_spoke", f->login_to_spoke > 0);
}

static const char *presence(int v)
{
	return v < 0 ? "not read (stack not running)" : v ? "present" : "absent";
}

static int cmd_fed_status(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_country *c = inv->country;
	struct fedsync_status st;
	struct fed_names names;
	struct fed_policy pol;
	struct sync s;
	int rc, k, have_policy;

	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return fail_code(ctx, rc, "cannot open the federation store for", c->code, 0);
	rc = fedsync_status(s.fs, &st, c);
	fedsync_close(s.fs);
	if (rc < 0) {
		fedsync_status_release(&st);
		return fail_code(ctx, rc, "cannot read the federation status of", c->code, 0);
	}
	federation_names(&names, c->code);
	have_policy = fedsync_policy(&pol) == 0;
	dive_error_clear();
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "ok", 1);
		finding_fields(doc, &st.finding);
		if (have_policy) {
			cJSON *po = cJSON_AddObjectToObject(doc, "policy");

			cJSON_AddStringToObject(po, "approval", pol.auto_approve ? "auto" : "manual");
			cJSON_AddStringToObject(po, "source", pol.source);
		}
		cJSON_AddItemToObject(doc, "registration_document", st.registered ? spoke_json(&st.spoke) : cJSON_CreateNull());
		cJSON_AddBoolToObject(doc, "hub_client", st.hub_client);
		if (st.spoke_idp < 0)
			cJSON_AddNullToObject(doc, "spoke_idp");
		else
			cJSON_AddBoolToObject(doc, "spoke_idp", st.spoke_idp);
		if (st.spoke_client < 0)
			cJSON_AddNullToObject(doc, "spoke_client");
		else
			cJSON_AddBoolToObject(doc, "spoke_client", st.spoke_client);
		fedsync_status_release(&st);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "%s %s\n", c->code, c->name);
	if (have_policy)
		fprintf(ctx->out, "  hub policy     approval %s (%s)\n", pol.auto_approve ? "auto" : "manual", pol.source);
	if (st.registered)
		fprintf(ctx->out, "  registration   %s (%s, rev %lld%s%s)\n", fed_status_name(st.spoke.status),
			st.spoke.spoke_id, (long long)st.spoke.rev, st.spoke.approved_by ? ", approved by " : "",
			st.spoke.approved_by ? st.spoke.approved_by : "");
	else
		fprintf(ctx->out, "  registration   none\n");
	fprintf(ctx->out, "  hub idp        %s %s%s\n", names.hub_idp, fed_idp_state_name(st.finding.idp),
		st.finding.idp_misconfigured ? " (misconfigured)" : "");
	fprintf(ctx->out, "  hub client     %s %s\n", names.hub_client, presence(st.hub_client));
	fprintf(ctx->out, "  spoke idp      %s %s\n", names.spoke_idp, presence(st.spoke_idp));
	fprintf(ctx->out, "  spoke client   %s %s\n", names.spoke_client, presence(st.spoke_client));
	fprintf(ctx->out, "  stack          %s%s\n", fed_stack_state_name(st.finding.stack),
		st.finding.changing ? " (a run is changing it)" : "");
	fprintf(ctx->out, "  public         %s\n", st.finding.is_public ? "yes" : "no");
	if (!st.finding.drift)
		fprintf(ctx->out, "  drift          none\n");
	for (k = 0; k < FED_DRIFT__COUNT; k++)
		if (st.finding.drift & FED_DRIFT_BIT(k))
			fprintf(ctx->out, "  drift          %s: %s; %s\n", fed_drift_name((enum fed_drift)k),
				fed_drift_meaning((enum fed_drift)k), fed_drift_remedy((enum fed_drift)k));
	fedsync_status_release(&st);
	return DIVE_EXIT_OK;
}

/* Audit every layer; on failure the message is set and the caller exits 1. */
static int audit_now(struct dive_ctx *ctx, const struct dive_inv *inv, struct fed_audit *a)
{
	struct sync s;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return rc;
	rc = fedsync_audit(s.fs, a);
	fedsync_close(s.fs);
	return rc;
}

static int cmd_fed_audit(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct fed_audit a;
	size_t i;
	int rc, k;

	if (dive_opt_given(inv, "history"))
		return cmd_audit_history(ctx, inv);

	if ((rc = audit_now(ctx, inv, &a)) < 0) {
		fed_audit_release(&a);
		/* never a false "in sync": an unreadable layer is an error */
		return fail_code(ctx, rc, "cannot audit the federation", NULL, 1);
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr, *foreign;

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddBoolToObject(doc, "in_sync", a.drifted == 0);
		cJSON_AddNumberToObject(doc, "codes", (double)a.n);
		cJSON_AddNumberToObject(doc, "drifted", (double)a.drifted);
		arr = cJSON_AddArrayToObject(doc, "findings");
		for (i = 0; i < a.n; i++) {
			cJSON *o = cJSON_CreateObject();

			finding_fields(o, &a.v[i]);
			cJSON_AddItemToArray(arr, o);
		}
		foreign = cJSON_AddArrayToObject(doc, "foreign_idps");
		for (i = 0; i < a.n_foreign; i++)
			cJSON_AddItemToArray(foreign, cJSON_CreateString(a.foreign[i]));
		dive_print_json(ctx, doc);
	} else {
		if (a.n)
			fprintf(ctx->out, "%-4s  %-12s  %-8s  %-8s  %-6s  %s\n", "CODE", "REGISTRATION", "IDP", "STACK",
				"PUBLIC", "DRIFT");
		for (i = 0; i < a.n; i++) {
			const struct fed_finding *f = &a.v[i];
			char drift[256], idp[24];

			drift_names(drift, sizeof(drift), f->drift);
			snprintf(idp, sizeof(idp), "%s%s", fed_idp_state_name(f->idp), f->idp_misconfigured ? "*" : "");
			fprintf(ctx->out, "%-4s  %-12s  %-8s  %-8s  %-6s  %s\n", f->code,
				f->registered ? fed_status_name(f->status) : "-", idp, fed_stack_state_name(f->stack),
				f->is_public ? "yes" : "no", drift);
		}
		for (i = 0; i < a.n; i++)
			for (k = 0; k < FED_DRIFT__COUNT; k++)
				if (a.v[i].drift & FED_DRIFT_BIT(k))
					fprintf(ctx->out, "%s: %s: %s; %s\n", a.v[i].code, fed_drift_name((enum fed_drift)k),
						fed_drift_meaning((enum fed_drift)k), fed_drift_remedy((enum fed_drift)k));
		for (i = 0; i < a.n_foreign; i++)
			fprintf(ctx->out, "foreign identity provider '%s' in the hub realm: not dive's, left alone\n",
				a.foreign[i]);
		if (a.drifted)
			fprintf(ctx->out, "drift in %zu of %zu code%s\n", a.drifted, a.n, a.n == 1 ? "" : "s");
		else
			fprintf(ctx->out, "in sync: %zu code%s, Keycloak, MongoDB and the stacks agree\n", a.n,
				a.n == 1 ? "" : "s");
	}
	rc = a.drifted ? DIVE_EXIT_DRIFT : DIVE_EXIT_OK;
	fed_audit_release(&a);
	return rc;
}

static int cmd_fed_reconcile(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	unsigned flags = (dive_opt_given(inv, "prune") ? FED_PLAN_PRUNE : 0) | (ctx->dry_run ? FEDSYNC_DRY_RUN : 0);
	struct fedsync_report r;
	struct sync s;
	size_t changed;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = sync_open(ctx, inv, &s)) < 0)
		return fail_code(ctx, rc, "cannot open the federation store", NULL, 0);
	rc = fedsync_reconcile(s.fs, &r, flags);
	fedsync_close(s.fs);
	if (rc < 0) {
		size_t i;

		if (!ctx->json) {
			print_steps(ctx, &r);
			for (i = 1; i < r.n_failures; i++)
				fprintf(ctx->err, "dive: cannot reconcile '%s': %s\n", r.failures[i].code, r.failures[i].message);
		}
		fedsync_report_release(&r);
		return fail_code(ctx, rc, "cannot reconcile the federation", NULL, 0);
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "ok", r.remaining == 0);
		cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
		cJSON_AddBoolToObject(doc, "prune", (flags & FED_PLAN_PRUNE) != 0);
		cJSON_AddNumberToObject(doc, "codes", (double)r.codes);
		cJSON_AddNumberToObject(doc, "planned", (double)r.planned);
		cJSON_AddItemToObject(doc, "steps", steps_json(&r, &changed));
		cJSON_AddNumberToObject(doc, "changed", (double)changed);
		cJSON_AddNumberToObject(doc, "deferred", (double)r.deferred);
		cJSON_AddNumberToObject(doc, "remaining", (double)r.remaining);
		dive_print_json(ctx, doc);
	} else if (r.n == 0) {
		fprintf(ctx->out, "nothing to reconcile (%zu code%s seen)\n", r.codes, r.codes == 1 ? "" : "s");
	} else {
		if (ctx->dry_run)
			fprintf(ctx->out, "plan (nothing was changed):\n");
		print_steps(ctx, &r);
		if (ctx->dry_run)
			fprintf(ctx->out, "%zu action%s planned\n", r.n, r.n == 1 ? "" : "s");
		else
			fprintf(ctx->out, "reconciled: %zu action%s, %zu changed\n", r.n, r.n == 1 ? "" : "s",
				count_changed(&r));
	}
	if (r.deferred && !ctx->json)
		fprintf(ctx->err, "note: %zu spoke-side action%s deferred to the spokes' deploys (their stacks are not "
			"running)\n", r.deferred, r.deferred == 1 ? "" : "s");
	if (!(flags & FED_PLAN_PRUNE) && !ctx->json) {
		size_t i, disabled = 0;

		for (i = 0; i < r.n; i++)
			disabled += r.v[i].action.because == FED_DRIFT_ORPHANED_IDP;
		if (disabled)
			fprintf(ctx->err, "note: orphaned identity providers %s disabled, not deleted: add --prune to "
				"delete them\n", ctx->dry_run ? "would be" : "were");
	}
	rc = DIVE_EXIT_OK;
	if (r.remaining) {
		dive_error_set(DIVE_EDRIFT, "a second audit still plans %zu action%s: the layers changed meanwhile; run "
			       "'dive federation reconcile' again", r.remaining, r.remaining == 1 ? "" : "s");
		dive_error_set_code(ERRC_FEDERATION_DRIFT);
		fprintf(ctx->err, "dive: %s\n", dive_error_last());
		rc = DIVE_EXIT_DRIFT;
	}
	fedsync_report_release(&r);
	return rc;
}

static int cmd_fed_idps(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	int only_public = dive_opt_given(inv, "public");
	struct fed_public *pub = NULL;
	struct fed_audit a;
	size_t i, n = 0;
	int rc;

	if ((rc = audit_now(ctx, inv, &a)) < 0 || (rc = federation_public_idps(&pub, &n, &a)) < 0) {
		fed_audit_release(&a);
		/* fail closed: nothing is shown that the store did not confirm */
		return fail_code(ctx, rc, only_public ? "cannot list the public identity providers"
						      : "cannot list the identity providers", NULL, 1);
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr, *foreign;

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddBoolToObject(doc, "public", only_public);
		arr = cJSON_AddArrayToObject(doc, "idps");
		if (only_public) {
			for (i = 0; i < n; i++) {
				const struct dive_country *c = country_find(pub[i].code);
				cJSON *o = cJSON_CreateObject();

				cJSON_AddStringToObject(o, "alias", pub[i].alias);
				cJSON_AddStringToObject(o, "code", pub[i].code);
				add_str(o, "name", c ? c->name : NULL);
				cJSON_AddItemToArray(arr, o);
			}
		} else {
			for (i = 0; i < a.n; i++) {
				cJSON *o;

				if (a.v[i].idp == FED_IDP_ABSENT)
					continue;
				o = cJSON_CreateObject();
				finding_fields(o, &a.v[i]);
				cJSON_AddItemToArray(arr, o);
			}
			foreign = cJSON_AddArrayToObject(doc, "foreign_idps");
			for (i = 0; i < a.n_foreign; i++)
				cJSON_AddItemToArray(foreign, cJSON_CreateString(a.foreign[i]));
		}
		dive_print_json(ctx, doc);
	} else if (only_public) {
		for (i = 0; i < n; i++) {
			const struct dive_country *c = country_find(pub[i].code);

			fprintf(ctx->out, "%-8s %s  %s\n", pub[i].alias, pub[i].code, c ? c->name : "");
		}
		if (!n && !ctx->quiet)
			fprintf(ctx->err, "no identity provider is public (approved, enabled and with its stack up)\n");
	} else {
		for (i = 0; i < a.n; i++) {
			const struct fed_finding *f = &a.v[i];
			struct fed_names names;

			if (f->idp == FED_IDP_ABSENT)
				continue;
			federation_names(&names, f->code);
			fprintf(ctx->out, "%-8s %s  %-8s  %-12s  %s\n", names.hub_idp, f->code, fed_idp_state_name(f->idp),
				f->registered ? fed_status_name(f->status) : "unregistered", f->is_public ? "public" : "hidden");
		}
		for (i = 0; i < a.n_foreign; i++)
			fprintf(ctx->out, "%-8s (foreign: not dive's)\n", a.foreign[i]);
	}
	free(pub);
	fed_audit_release(&a);
	return DIVE_EXIT_OK;
}

/* --- the table ------------------------------------------------------------------------- */

static const struct dive_opt lock_opts[] = {
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

/* What fedstore keeps as suspendedReason or revokedReason (fedstore.h). */
#define FED_REASON_MAX 256

static const struct dive_opt suspend_opts[] = {
	{ .name = "reason", .type = DIVE_OPT_STRING, .arg = "TEXT", .max_len = FED_REASON_MAX,
	  .help = "why (kept as suspendedReason, at most 256 bytes)" },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt unregister_opts[] = {
	{ .name = "reason", .type = DIVE_OPT_STRING, .arg = "TEXT", .max_len = FED_REASON_MAX,
	  .help = "why (kept as revokedReason, at most 256 bytes)" },
	DIVE_OPT_YES,
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt audit_opts[] = {
	{ .name = "logins", .type = DIVE_OPT_BOOL, .help = "also walk a real federated login each way per approved spoke" },
	{ .name = "history", .type = DIVE_OPT_BOOL, .help = "list the audits dive serve recorded instead of auditing now" },
	{ .name = "limit", .type = DIVE_OPT_INT, .arg = "N", .help = "with --history: the N newest reports (default 20)",
	  .min = 1, .max = 1000 },
	DIVE_OPT_END,
};

static const struct dive_opt reconcile_opts[] = {
	{ .name = "prune", .type = DIVE_OPT_BOOL, .help = "also delete IdPs and clients no approved spoke owns" },
	{ .name = "no-logins", .type = DIVE_OPT_BOOL, .help = "do not check federated logins (objects only)" },
	DIVE_OPT_LOCK_WAIT,
	DIVE_OPT_END,
};

static const struct dive_opt idps_opts[] = {
	{ .name = "public", .type = DIVE_OPT_BOOL, .help = "what the public IdP list should show (fails closed)" },
	DIVE_OPT_END,
};

/* Changes of one spoke: its code, the state store (breakers, locks), the instance lock then hub:shared. */
#define FED_CHANGE (DIVE_ARG_SPOKE | DIVE_NEEDS_STATE | DIVE_TAKES_LOCK | DIVE_DRY_RUN)
#define FED_READ (DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER)
#define ONE_CODE .min_args = 1, .max_args = 1, .usage = "CODE", .issue = 7

const struct dive_verb cmd_federation_verbs[] = {
	{ .name = "register", .fn = cmd_fed_register, ONE_CODE, .flags = FED_CHANGE, .opts = lock_opts,
	  .summary = "record a spoke registration (pending)" },
	{ .name = "unregister", .fn = cmd_fed_unregister, ONE_CODE,
	  .flags = FED_CHANGE | DIVE_NEEDS_DOCKER | DIVE_DESTRUCTIVE, .opts = unregister_opts,
	  .summary = "remove IdPs and clients on both sides, mark revoked" },
	{ .name = "approve", .fn = cmd_fed_approve, ONE_CODE, .flags = FED_CHANGE | DIVE_NEEDS_DOCKER, .opts = lock_opts,
	  .summary = "approve a spoke and federate it both ways" },
	{ .name = "suspend", .fn = cmd_fed_suspend, ONE_CODE, .flags = FED_CHANGE, .opts = suspend_opts,
	  .summary = "suspend a spoke and disable its IdP" },
	{ .name = "status", .fn = cmd_fed_status, ONE_CODE, .flags = DIVE_ARG_SPOKE | FED_READ,
	  .summary = "registration, objects and stack of a spoke" },
	{ .name = "audit", .fn = cmd_fed_audit, .flags = FED_READ, .opts = audit_opts, .issue = 7,
	  .summary = "compare Keycloak, MongoDB and containers; exit 5 on drift, 1 on error" },
	{ .name = "reconcile", .fn = cmd_fed_reconcile, .flags = FED_READ | DIVE_TAKES_LOCK | DIVE_DRY_RUN,
	  .opts = reconcile_opts, .summary = "repair drift toward the MongoDB truth", .issue = 7 },
	{ .name = "idps", .fn = cmd_fed_idps, .flags = FED_READ, .opts = idps_opts, .issue = 7,
	  .summary = "identity providers of the hub; --public: those offered" },
	DIVE_VERB_END,
};
