/* fedsync_verbs.c - the federation verbs, reconcile, status, federate and the policy publish (see fedsync.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/deploy.h"
#include "dive/compose.h"
#include "dive/docker.h"
#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedsync.h"
#include "dive/guard.h"
#include "dive/lock.h"
#include "dive/log.h"
#include "dive/mongo.h"
#include "dive/oidc.h"
#include "dive/policy.h"
#include "dive/ports.h"
#include "dive/secrets.h"
#include "dive/settings.h"
#include "dive/stack.h"
#include "dive/state_machine.h"
#include "dive/store.h"
#include "dive/xalloc.h"

#include "fedsync_priv.h"

/* --- the verbs ---------------------------------------------------------------------- */

/*
 * After a change of status: the trusted issuers every spoke's OPA holds
 * follow it (the hub's OPAL server pushes the new tree).
 */
static int republish(struct fedsync *fs, struct fedsync_report *out)
{
	struct policy_result r;
	int rc = fedsync_publish_policy(fs, &r, NULL, 0);

	if (rc == 0) {
		snprintf(out->policy_revision, sizeof(out->policy_revision), "%s", r.pub.revision);
		out->policy_published = !r.unchanged;
	} else {
		dive_error_wrap(rc, "the federation changed, but the trusted issuers were not published (run 'dive policy "
				    "publish')");
	}
	policy_result_release(&r);
	return rc;
}

static int reg_get(struct fedsync *fs, struct fed_spoke *out, const char *code)
{
	struct call call;

	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_get;
	call.spoke = out;
	call.name = code;
	return fsx_mguard(fs, &call);
}

static int reg_transition(struct fedsync *fs, struct fed_spoke *out, const char *code, enum fed_status to,
			  const char *note)
{
	struct call call;

	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_transition;
	call.spoke = out;
	call.name = code;
	call.to = to;
	call.note = note;
	return fsx_mguard(fs, &call);
}

/*
 * Change code's status to `to` (or, in a dry run, check that the store would
 * allow it).  The status asked for already: out->already, success.  missing_ok:
 * no registration is success with out->registered 0.
 */
static int change_status(struct fedsync *fs, struct fedsync_report *out, const char *code, enum fed_status to,
			 const char *note, unsigned flags, int missing_ok)
{
	int rc;

	if (flags & FEDSYNC_DRY_RUN) {
		rc = reg_get(fs, &out->spoke, code);
		if (rc == 0 && out->spoke.status != to && !fed_status_allowed(out->spoke.status, to)) {
			rc = dive_error_set(DIVE_ECONFLICT, "spoke '%s' cannot be %s: it is %s", code,
					    fed_status_name(to), fed_status_name(out->spoke.status));
			dive_error_set_code(ERRC_FEDERATION_STATUS);
		}
	} else {
		rc = reg_transition(fs, &out->spoke, code, to, note);
	}
	if (rc == DIVE_ECONFLICT && out->spoke.code[0] && out->spoke.status == to) {
		out->already = 1;
		rc = 0;
	} else if (rc == DIVE_ENOTFOUND && missing_ok) {
		fed_spoke_release(&out->spoke);
		dive_error_clear();
		return 0;
	}
	if (rc == 0 && (flags & FEDSYNC_DRY_RUN) && out->spoke.status == to)
		out->already = 1;
	out->registered = rc == 0;
	if (rc == 0)
		dive_error_clear();
	return rc;
}

/* Whether code's stack runs (its Keycloak can be asked). */
static int stack_runs(struct fedsync *fs, int *runs, const struct dive_country *c)
{
	struct fed_stack_obs o;
	int rc = fsx_observe_stack(fs, &o, c);

	*runs = rc == 0 && o.running > 0;
	return rc;
}


int fedsync_register(struct fedsync *fs, struct fedsync_report *out, const struct dive_country *c, unsigned flags)
{
	struct fed_registration reg;
	struct dive_ports p;
	struct addr kc;
	char base[ENGINE_URL_MAX + 32], api[ENGINE_URL_MAX + 32], scopes[1100], *save = NULL, *tok;
	char host[ENGINE_URL_MAX + 1];
	const char *scopev[33];
	size_t ns = 0;
	struct call call;
	int rc, remote = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = fsx_check_spoke(c)) < 0 || (rc = ports_for(&p, c)) < 0)
		return rc;
	fsx_addr_of(&kc, c->code, NULL);
	if ((rc = engines_instance_host(host, sizeof(host), &remote, fs->o.store, c->code)) < 0)
		return rc;
	if (remote) {
		/* on another engine: everyone (the hub's Keycloak too) reaches it at its engine's host */
		engines_http_url(kc.public_, sizeof(kc.public_), host, p.keycloak_http);
		snprintf(kc.internal, sizeof(kc.internal), "%s", kc.public_);
		engines_http_url(base, sizeof(base), host, p.frontend);
		engines_http_url(api, sizeof(api), host, p.backend);
	} else {
		snprintf(base, sizeof(base), "http://%s:%d", PUBLIC_HOST, p.frontend);
		snprintf(api, sizeof(api), "http://%s:%d", PUBLIC_HOST, p.backend);
	}
	memset(&reg, 0, sizeof(reg));
	reg.code = c->code;
	reg.name = fs->o.display_name ? fs->o.display_name : c->name;
	if (fs->o.scopes) {
		snprintf(scopes, sizeof(scopes), "%s", fs->o.scopes);
		for (tok = strtok_r(scopes, ",", &save); tok && ns < 32; tok = strtok_r(NULL, ",", &save))
			scopev[ns++] = tok;
		scopev[ns] = NULL;
		reg.scopes = scopev;
	}
	reg.base_url = base;
	reg.api_url = api;
	reg.idp_url = kc.internal;
	reg.idp_public_url = kc.public_;
	if ((rc = fed_registration_check(&reg)) < 0)
		return rc;
	if (flags & FEDSYNC_DRY_RUN) {
		rc = reg_get(fs, &out->spoke, c->code);
		if (rc == 0 && out->spoke.status != FED_REVOKED) {
			rc = dive_error_set(DIVE_ECONFLICT, "spoke '%s' is already registered (%s)", c->code,
					    fed_status_name(out->spoke.status));
			dive_error_set_code(ERRC_FEDERATION_STATUS);
			return rc;
		}
		if (rc < 0 && rc != DIVE_ENOTFOUND)
			return rc;
		/* what would be written */
		fed_spoke_release(&out->spoke);
		snprintf(out->spoke.code, sizeof(out->spoke.code), "%s", c->code);
		out->spoke.name = xstrdup(reg.name);
		out->spoke.base_url = xstrdup(reg.base_url);
		out->spoke.api_url = xstrdup(reg.api_url);
		out->spoke.idp_url = xstrdup(reg.idp_url);
		out->spoke.idp_public_url = xstrdup(reg.idp_public_url);
		out->spoke.status = FED_PENDING;
		dive_error_clear();
		return 0;
	}
	/* with FEDSYNC_HELD the caller holds both locks through this handle already */
	if (!(flags & FEDSYNC_HELD) && (rc = fsx_lock_code_flags(fs, c->code, flags)) < 0)
		return rc;
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_register;
	call.spoke = &out->spoke;
	call.reg = &reg;
	rc = fsx_mguard(fs, &call);
	out->registered = rc == 0;
	if (!(flags & FEDSYNC_HELD))
		fsx_unlock_code(fs);
	return rc;
}

int fedsync_approve(struct fedsync *fs, struct fedsync_report *out, const struct dive_country *c, unsigned flags)
{
	struct fed_action a;
	int rc, runs = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = fsx_check_spoke(c)) < 0)
		return rc;
	if (!(flags & FEDSYNC_DRY_RUN) && (rc = fsx_lock_code_flags(fs, c->code, flags)) < 0)
		return rc;
	/*
	 * Both sides need the spoke's Keycloak: its realm holds two of the
	 * objects, and the hub's Keycloak refuses an IdP whose plain-http URLs
	 * name a host it cannot resolve ("requires secure connections").  So a
	 * spoke that does not run is refused before anything is written.
	 */
	if ((rc = stack_runs(fs, &runs, c)) < 0)
		goto out;
	if (!runs) {
		rc = dive_error_set(DIVE_EUNHEALTHY, "the stack of spoke '%s' is not running: deploy it first "
				    "('dive spoke deploy %s')", c->code, c->code);
		goto out;
	}
	if ((rc = change_status(fs, out, c->code, FED_APPROVED, fs->o.actor, flags, 0)) < 0)
		goto out;
	/* clients before the IdPs that use them */
	fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP, 1);
	fsx_report_add(out, &a);
	fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_MISSING_IDP, 1);
	fsx_report_add(out, &a);
	fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_HUB, FED_DRIFT_MISSING_IDP, 1);
	fsx_report_add(out, &a);
	fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP, 1);
	fsx_report_add(out, &a);
	if (!(flags & FEDSYNC_DRY_RUN))
		rc = fsx_run_steps(fs, out, 0, &out->spoke);
	if (rc == 0 && !(flags & FEDSYNC_DRY_RUN))
		rc = republish(fs, out);
out:
	fsx_unlock_code(fs);
	return rc;
}

int fedsync_suspend(struct fedsync *fs, struct fedsync_report *out, const struct dive_country *c, const char *reason,
		    unsigned flags)
{
	struct fed_action a;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fsx_check_spoke(c)) < 0)
		return rc;
	if (!(flags & FEDSYNC_DRY_RUN) && (rc = fsx_lock_code_flags(fs, c->code, flags)) < 0)
		return rc;
	if ((rc = change_status(fs, out, c->code, FED_SUSPENDED, reason, flags, 0)) < 0)
		goto out;
	fsx_action(&a, c->code, FED_OP_DISABLE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_SUSPENDED_IDP_ENABLED, 0);
	fsx_report_add(out, &a);
	if (!(flags & FEDSYNC_DRY_RUN))
		rc = fsx_run_steps(fs, out, 0, &out->spoke);
	if (rc == 0 && !(flags & FEDSYNC_DRY_RUN))
		rc = republish(fs, out);
out:
	fsx_unlock_code(fs);
	return rc;
}

int fedsync_unregister(struct fedsync *fs, struct fedsync_report *out, const struct dive_country *c,
		       const char *reason, unsigned flags)
{
	struct fed_action a;
	int rc, runs = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = fsx_check_spoke(c)) < 0)
		return rc;
	if (!(flags & FEDSYNC_DRY_RUN) && (rc = fsx_lock_code_flags(fs, c->code, flags)) < 0)
		return rc;
	/* the truth first: an interrupted unregister leaves orphans that reconcile --prune removes */
	if ((rc = change_status(fs, out, c->code, FED_REVOKED, reason ? reason : "unregistered", flags, 1)) < 0 ||
	    (rc = stack_runs(fs, &runs, c)) < 0)
		goto out;
	/* identity providers before the clients they use */
	fsx_action(&a, c->code, FED_OP_DELETE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_ORPHANED_IDP, 0);
	fsx_report_add(out, &a);
	if (runs) {
		fsx_action(&a, c->code, FED_OP_DELETE, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_ORPHANED_IDP, 0);
		fsx_report_add(out, &a);
	}
	fsx_action(&a, c->code, FED_OP_DELETE, FED_OBJ_CLIENT, FED_SIDE_HUB, FED_DRIFT_ORPHANED_IDP, 0);
	fsx_report_add(out, &a);
	if (runs) {
		fsx_action(&a, c->code, FED_OP_DELETE, FED_OBJ_CLIENT, FED_SIDE_SPOKE, FED_DRIFT_ORPHANED_IDP, 0);
		fsx_report_add(out, &a);
	} else {
		out->deferred = 2;
	}
	if (!(flags & FEDSYNC_DRY_RUN))
		rc = fsx_run_steps(fs, out, 0, NULL);
	if (rc == 0 && !(flags & FEDSYNC_DRY_RUN))
		rc = republish(fs, out);
out:
	fsx_unlock_code(fs);
	return rc;
}

/* --- reconcile ---------------------------------------------------------------------- */

static void failure_add(struct fedsync_report *r, const char *code, int err)
{
	struct fedsync_failure *f;

	r->failures = xrealloc(r->failures, (r->n_failures + 1) * sizeof(*r->failures));
	f = &r->failures[r->n_failures++];
	memset(f, 0, sizeof(*f));
	snprintf(f->code, sizeof(f->code), "%s", code);
	f->err = err;
	f->code_taxonomy = dive_error_last_code();
	snprintf(f->message, sizeof(f->message), "%s", dive_error_last());
}

/* Under code's locks: audit that code again and apply the plan of that audit. */
static int reconcile_code(struct fedsync *fs, struct fedsync_report *out, const char *code, unsigned flags)
{
	struct layers l;
	struct fed_audit a;
	struct fed_plan p;
	size_t i, first = out->n;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&p, 0, sizeof(p));
	if ((rc = fsx_lock_code(fs, code)) < 0)
		return rc;
	if ((rc = fsx_gather_code(fs, &l, code)) < 0)
		goto out;
	if ((rc = fsx_layers_audit(&l, &a)) == 0 && (rc = fsx_probe_logins(fs, &a)) == 0 &&
	    (rc = federation_plan_reconcile(&p, &a, flags & FED_PLAN_PRUNE)) == 0) {
		for (i = 0; i < p.n; i++)
			fsx_report_add(out, &p.v[i]);
		out->deferred += p.deferred;
		rc = fsx_run_steps(fs, out, first, fsx_layers_reg(&l, code));
	}
	fsx_layers_release(&l);
out:
	fed_plan_release(&p);
	fed_audit_release(&a);
	fsx_unlock_code(fs);
	return rc;
}

int fedsync_reconcile(struct fedsync *fs, struct fedsync_report *out, unsigned flags)
{
	struct fed_audit a;
	struct fed_plan p;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if ((rc = fedsync_audit(fs, &a)) < 0)
		return rc;
	out->codes = a.n;
	if ((rc = federation_plan_reconcile(&p, &a, flags & FED_PLAN_PRUNE)) < 0)
		goto out;
	out->planned = p.n;
	if (flags & FEDSYNC_DRY_RUN) {
		for (i = 0; i < p.n; i++)
			fsx_report_add(out, &p.v[i]);
		out->deferred = p.deferred;
		goto out;
	}
	/*
	 * The plan is in code order: one group of actions per code.  A code that
	 * fails (its lock held, its Keycloak down) does not stop the others; the
	 * first failure is returned after all of them were tried.
	 */
	for (i = 0; i < p.n; i++) {
		int crc;

		if (i > 0 && !strcmp(p.v[i].code, p.v[i - 1].code))
			continue;
		if ((crc = reconcile_code(fs, out, p.v[i].code, flags)) < 0)
			failure_add(out, p.v[i].code, crc);
	}
	/* the trusted issuers follow the registrations (unchanged: nothing is sent) */
	if (!out->n_failures) {
		int prc = republish(fs, out);

		if (prc < 0)
			failure_add(out, FED_HUB_CODE, prc);
	}
	if (out->n_failures) {
		const struct fedsync_failure *f = &out->failures[0];

		rc = dive_error_set(f->err, "%s: %s", f->code, f->message);
		if (f->code_taxonomy)
			dive_error_set_code(f->code_taxonomy);
	}
	if (rc == 0 && out->n > 0) {
		/* check, do not assume: a second audit plans nothing */
		fed_plan_release(&p);
		fed_audit_release(&a);
		if ((rc = fedsync_audit(fs, &a)) == 0 && (rc = federation_plan_reconcile(&p, &a, flags & FED_PLAN_PRUNE)) == 0)
			out->remaining = p.n;
	}
out:
	fed_plan_release(&p);
	fed_audit_release(&a);
	return rc;
}

/* --- status ------------------------------------------------------------------------- */

static int present(struct fedsync *fs, int *out, const char *code, int (*fn)(struct call *), struct kc *kc,
		   const char *realm, const char *name)
{
	struct call call;
	cJSON *rep = NULL;
	int rc;

	memset(&call, 0, sizeof(call));
	call.fn = fn;
	call.kc = kc;
	call.realm = realm;
	call.name = name;
	call.json = &rep;
	rc = fsx_kguard(fs, code, &call);
	*out = rc == 0 && rep != NULL;
	cJSON_Delete(rep);
	if (rc == DIVE_ENOTFOUND) {
		dive_error_clear();
		return 0;
	}
	return rc;
}

int fedsync_status(struct fedsync *fs, struct fedsync_status *out, const struct dive_country *c)
{
	struct layers l;
	struct fed_audit a;
	struct fed_names n;
	struct kc *kc = NULL;
	int rc, runs;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	out->spoke_idp = out->spoke_client = -1;
	if ((rc = fsx_check_spoke(c)) < 0 || (rc = federation_names(&n, c->code)) < 0)
		return rc;
	if ((rc = fsx_gather_code(fs, &l, c->code)) < 0)
		return rc;
	if ((rc = fsx_layers_audit(&l, &a)) < 0)
		goto out;
	if (a.n > 0)
		out->finding = a.v[0];
	else
		snprintf(out->finding.code, sizeof(out->finding.code), "%s", c->code);
	if (l.regs.n == 1) {
		out->registered = 1;
		out->spoke = l.regs.v[0];
		memset(&l.regs.v[0], 0, sizeof(l.regs.v[0]));
	}
	runs = l.n_stacks == 1 && l.stack_obs[0].running > 0;
	if ((rc = fsx_session(fs, &kc, FED_HUB_CODE)) < 0 ||
	    (rc = present(fs, &out->hub_client, FED_HUB_CODE, fsx_fn_client_find, kc, n.hub_realm, n.hub_client)) < 0)
		goto out;
	if (runs && ((rc = fsx_session(fs, &kc, c->code)) < 0 ||
		     (rc = present(fs, &out->spoke_idp, c->code, fsx_fn_idp_get, kc, n.spoke_realm, n.spoke_idp)) < 0 ||
		     (rc = present(fs, &out->spoke_client, c->code, fsx_fn_client_find, kc, n.spoke_realm, n.spoke_client)) < 0))
		goto out;
out:
	fed_audit_release(&a);
	fsx_layers_release(&l);
	return rc;
}

void fedsync_status_release(struct fedsync_status *s)
{
	if (!s)
		return;
	fed_spoke_release(&s->spoke);
	memset(s, 0, sizeof(*s));
}

/* --- the pipeline's side: policy, federate, verify --------------------------------- */

int fedsync_policy(struct fed_policy *out)
{
	struct interp_env env;
	struct compose *c = NULL;
	char *path = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stack_path(&path, STACK_HUB)) < 0)
		return rc;
	if ((rc = stack_env_for(&env, country_find(FED_HUB_CODE))) < 0) {
		free(path);
		return rc;
	}
	env.flags |= INTERP_PLACEHOLDERS;
	rc = compose_load(&c, path, &env);
	if (rc == 0) {
		out->auto_approve = c->dive.approval == COMPOSE_APPROVAL_AUTO;
		if (c->dive.approval_line)
			snprintf(out->source, sizeof(out->source), "%.180s:%d (x-dive.federation.approval)", path,
				 c->dive.approval_line);
		else
			snprintf(out->source, sizeof(out->source), "default (x-dive.federation.approval not set)");
	}
	compose_free(c);
	stack_env_release(&env);
	free(path);
	return rc;
}

int fedsync_federate(struct fedsync *fs, struct fedsync_report *out, const struct dive_country *c, unsigned flags,
		     const struct fed_policy *policy)
{
	struct fed_action a;
	struct fed_spoke cur;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	if ((rc = fsx_check_spoke(c)) < 0)
		return rc;
	if ((rc = fsx_lock_code_flags(fs, c->code, flags)) < 0)
		return rc;
	rc = reg_get(fs, &cur, c->code);
	if (rc == DIVE_ENOTFOUND || (rc == 0 && cur.status == FED_REVOKED)) {
		struct fedsync_report reg;

		rc = fedsync_register(fs, &reg, c, FEDSYNC_HELD);
		out->registered_now = rc == 0;
		fedsync_report_release(&reg);
		fed_spoke_release(&cur);
		if (rc == 0)
			rc = reg_get(fs, &cur, c->code);
	}
	if (rc < 0)
		goto out;
	if (cur.status == FED_PENDING && policy && policy->auto_approve) {
		char note[192];

		snprintf(note, sizeof(note), "%s (approval: auto)", fs->o.actor ? fs->o.actor : "dive");
		if ((rc = change_status(fs, out, c->code, FED_APPROVED, note, 0, 0)) < 0)
			goto out;
		out->approved_now = 1;
	} else {
		out->spoke = cur;
		memset(&cur, 0, sizeof(cur));
		out->registered = 1;
	}
	if (out->spoke.status == FED_APPROVED) {
		/* clients before the IdPs that use them, both directions, by diff */
		fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP, 1);
		fsx_report_add(out, &a);
		fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_MISSING_IDP, 1);
		fsx_report_add(out, &a);
		fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_HUB, FED_DRIFT_MISSING_IDP, 1);
		fsx_report_add(out, &a);
		fsx_action(&a, c->code, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP, 1);
		fsx_report_add(out, &a);
		rc = fsx_run_steps(fs, out, 0, &out->spoke);
		if (rc == 0)
			rc = republish(fs, out);
	}
out:
	fed_spoke_release(&cur);
	fsx_unlock_code(fs);
	return rc;
}

/* --- the policy every spoke holds: the hub's, with the trusted issuers of now ------- */

int fedsync_publish_policy(struct fedsync *fs, struct policy_result *out, const char *dir, int force)
{
	struct fed_spoke_list regs = { 0 };
	struct policy_opts po;
	struct call call;
	const char **codes = NULL, **publics = NULL;
	cJSON *issuers = NULL;
	size_t i, n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_list;
	call.list = &regs;
	if ((rc = fsx_mguard(fs, &call)) < 0)
		return rc;
	codes = xcalloc(regs.n + 1, sizeof(*codes));
	publics = xcalloc(regs.n + 1, sizeof(*publics));
	for (i = 0; i < regs.n; i++)
		if (regs.v[i].status == FED_APPROVED) {
			/* a spoke on another engine: the issuer its Keycloak names (fedsync_register) */
			publics[n] = fsx_reg_remote(&regs.v[i]) ? regs.v[i].idp_public_url : NULL;
			codes[n++] = regs.v[i].code;
		}
	rc = policy_issuers(&issuers, codes, publics, n);
	if (rc == 0 && !fs->docker && (rc = docker_open(&fs->docker, fs->o.docker_host, NULL)) == 0)
		rc = docker_negotiate(fs->docker);
	if (rc == 0) {
		memset(&po, 0, sizeof(po));
		po.docker = fs->docker;
		po.store = fs->o.store;
		po.actor = fs->o.actor;
		po.source_dir = settings_getenv("DIVE_SOURCE_DIR") ? settings_getenv("DIVE_SOURCE_DIR") : DIVE_SOURCE_DIR;
		po.force = force;
		rc = policy_publish(&po, out, dir, issuers);
	}
	cJSON_Delete(issuers);
	free(codes);
	free(publics);
	fed_spoke_list_release(&regs);
	return rc;
}
