/* federation.c - the three-layer audit, the reconcile plan and the public IdP list (see federation.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/federation.h"
#include "dive/ports.h"
#include "dive/state_machine.h"
#include "dive/xalloc.h"

/* Names. */

static int code_upper(char out[4], const char *code)
{
	int i;

	if (!code || strlen(code) != 3)
		return DIVE_EUSAGE;
	for (i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)code[i]))
			return DIVE_EUSAGE;
		out[i] = (char)toupper((unsigned char)code[i]);
	}
	out[3] = '\0';
	return 0;
}

int federation_names(struct fed_names *out, const char *code)
{
	int i;

	memset(out, 0, sizeof(*out));
	if (code_upper(out->code, code) < 0)
		return dive_error_set(DIVE_EUSAGE, "a spoke code is three letters");
	for (i = 0; i < 3; i++)
		out->lower[i] = (char)tolower((unsigned char)out->code[i]);
	snprintf(out->hub_realm, sizeof(out->hub_realm), "dive-v3-broker-usa");
	snprintf(out->spoke_realm, sizeof(out->spoke_realm), "dive-v3-broker-%s", out->lower);
	snprintf(out->hub_idp, sizeof(out->hub_idp), "%s-idp", out->lower);
	snprintf(out->hub_client, sizeof(out->hub_client), "dive-v3-broker-%s", out->lower);
	snprintf(out->spoke_idp, sizeof(out->spoke_idp), "usa-idp");
	snprintf(out->spoke_client, sizeof(out->spoke_client), "dive-v3-broker-usa");
	return 0;
}

int federation_app(struct fed_app *out, const char *code)
{
	return federation_app_at(out, code, NULL);
}

int federation_app_at(struct fed_app *out, const char *code, const char *public_base)
{
	const struct dive_country *c = code ? country_find(code) : NULL;
	struct dive_ports p;
	char lower[4];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!c)
		return dive_error_set(DIVE_EUSAGE, "'%.8s' is not a code of the country table", code ? code : "");
	if ((rc = ports_for(&p, c)) < 0)
		return rc;
	country_lower(lower, c);
	snprintf(out->code, sizeof(out->code), "%s", c->code);
	snprintf(out->realm, sizeof(out->realm), "dive-v3-broker-%s", lower);
	snprintf(out->client_id, sizeof(out->client_id), "dive-v3-broker-%s", lower);
	snprintf(out->origin, sizeof(out->origin), "http://localhost:%d", p.frontend);
	snprintf(out->redirect_uri, sizeof(out->redirect_uri), "%s/api/auth/callback/keycloak", out->origin);
	if (public_base)
		snprintf(out->issuer, sizeof(out->issuer), "%s/realms/%s", public_base, out->realm);
	else
		snprintf(out->issuer, sizeof(out->issuer), "http://localhost:%d/realms/%s", p.keycloak_http, out->realm);
	snprintf(out->verify_user, sizeof(out->verify_user), "dive-verify-%s", lower);
	snprintf(out->verify_email, sizeof(out->verify_email), "dive-verify-%s@%s.dive.invalid", lower, lower);
	snprintf(out->verify_unique_id, sizeof(out->verify_unique_id), "dive-verify-%s@%s", lower, c->code);
	return 0;
}

int federation_alias_code(char out[4], const char *alias)
{
	int i;

	if (!alias || strlen(alias) != 7 || strcmp(alias + 3, "-idp"))
		return dive_error_set(DIVE_EUSAGE, "'%.64s' is not a federation alias", alias ? alias : "");
	for (i = 0; i < 3; i++) {
		if (alias[i] < 'a' || alias[i] > 'z')
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not a federation alias", alias);
		out[i] = (char)(alias[i] - 'a' + 'A');
	}
	out[3] = '\0';
	return 0;
}

/* Tables. */

static const struct {
	const char *name;
	const char *meaning;
	const char *remedy;
	int repaired;
} drift_table[FED_DRIFT__COUNT] = {
	[FED_DRIFT_ORPHANED_IDP] = { "orphaned-idp",
		"the hub has an identity provider for a spoke that is not approved or suspended",
		"reconcile --prune deletes it and its clients; without --prune it is disabled", 1 },
	[FED_DRIFT_MISSING_IDP] = { "missing-idp",
		"an approved spoke has no identity provider in the hub",
		"reconcile creates the clients and identity providers on both sides", 1 },
	[FED_DRIFT_IDP_DISABLED] = { "idp-disabled",
		"an approved spoke's identity provider is disabled",
		"reconcile enables it", 1 },
	[FED_DRIFT_SUSPENDED_IDP_ENABLED] = { "suspended-idp-enabled",
		"a suspended spoke's identity provider is still enabled",
		"reconcile disables it", 1 },
	[FED_DRIFT_IDP_MISCONFIGURED] = { "idp-misconfigured",
		"a field dive manages in the identity provider was changed (signature validation, URLs, client)",
		"reconcile puts dive's values back", 1 },
	[FED_DRIFT_STALE_REGISTRATION] = { "stale-registration",
		"an approved spoke's stack is gone or stopped",
		"dive spoke deploy CODE, or dive federation unregister CODE", 0 },
	[FED_DRIFT_DISABLED_BUT_RUNNING] = { "disabled-but-running",
		"the spoke's identity provider is disabled or its registration suspended while its stack runs",
		"dive federation approve CODE, or stop the spoke's stack", 0 },
	[FED_DRIFT_STACK_DEGRADED] = { "stack-degraded",
		"an approved spoke's stack is partly down or unhealthy, so its identity provider is not offered",
		"dive spoke status CODE", 0 },
	[FED_DRIFT_UNREGISTERED_STACK] = { "unregistered-stack",
		"a spoke's stack runs but the spoke is not registered (or revoked)",
		"dive federation register CODE, or stop the spoke's stack", 0 },
	[FED_DRIFT_LOGIN_FAILED] = { "login-failed",
		"an approved spoke's objects are there but a real federated login through them fails",
		"reconcile writes both client secrets back from the provider and checks the login again", 1 },
};

static const char *const idp_state_names[FED_IDP__COUNT] = { "absent", "enabled", "disabled" };
static const char *const stack_state_names[FED_STACK__COUNT] = { "absent", "stopped", "degraded", "up" };
static const char *const op_names[FED_OP__COUNT] = { "ensure", "enable", "disable", "delete", "reset-secret" };
static const char *const obj_names[FED_OBJ__COUNT] = { "client", "idp" };
static const char *const side_names[FED_SIDE__COUNT] = { "hub", "spoke" };

const char *fed_drift_name(enum fed_drift k)
{
	return (unsigned)k < FED_DRIFT__COUNT ? drift_table[k].name : "unknown";
}

const char *fed_drift_meaning(enum fed_drift k)
{
	return (unsigned)k < FED_DRIFT__COUNT ? drift_table[k].meaning : "";
}

const char *fed_drift_remedy(enum fed_drift k)
{
	return (unsigned)k < FED_DRIFT__COUNT ? drift_table[k].remedy : "";
}

int fed_drift_repaired(enum fed_drift k)
{
	return (unsigned)k < FED_DRIFT__COUNT && drift_table[k].repaired;
}

const char *fed_idp_state_name(enum fed_idp_state s)
{
	return (unsigned)s < FED_IDP__COUNT ? idp_state_names[s] : "unknown";
}

const char *fed_stack_state_name(enum fed_stack_state s)
{
	return (unsigned)s < FED_STACK__COUNT ? stack_state_names[s] : "unknown";
}

const char *fed_op_name(enum fed_op op)
{
	return (unsigned)op < FED_OP__COUNT ? op_names[op] : "unknown";
}

const char *fed_obj_name(enum fed_obj obj)
{
	return (unsigned)obj < FED_OBJ__COUNT ? obj_names[obj] : "unknown";
}

const char *fed_side_name(enum fed_side side)
{
	return (unsigned)side < FED_SIDE__COUNT ? side_names[side] : "unknown";
}

/* The audit. */

static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_input(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = dive_error_vset(DIVE_EFAIL, fmt, ap);
	va_end(ap);
	dive_error_set_code(ERRC_INTERNAL);
	return rc;
}

/* The finding for code, added in order if absent. */
static struct fed_finding *finding(struct fed_audit *a, size_t *cap, const char code[4])
{
	size_t lo = 0, hi = a->n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->v[mid].code, code);

		if (c == 0)
			return &a->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		a->v = xrealloc(a->v, *cap * sizeof(*a->v));
	}
	for (i = a->n; i > lo; i--)
		a->v[i] = a->v[i - 1];
	memset(&a->v[lo], 0, sizeof(a->v[lo]));
	memcpy(a->v[lo].code, code, 4);
	a->n++;
	return &a->v[lo];
}

static enum fed_stack_state stack_state(const struct fed_stack_obs *s)
{
	if (s->containers == 0)
		return FED_STACK_ABSENT;
	if (s->running == 0)
		return FED_STACK_STOPPED;
	if (s->running < s->containers || s->healthy < s->running)
		return FED_STACK_DEGRADED;
	return FED_STACK_UP;
}

static int state_changing(const char *state)
{
	enum dive_state st;

	if (!state || !state[0] || dive_state_parse(&st, state) < 0) {
		dive_error_clear();
		return 0;
	}
	return dive_state_in_progress(st);
}

static void classify(struct fed_finding *f)
{
	int approved = f->registered && f->status == FED_APPROVED;
	int suspended = f->registered && f->status == FED_SUSPENDED;
	int owned = approved || suspended;
	int running = f->stack == FED_STACK_UP || f->stack == FED_STACK_DEGRADED;
	unsigned d = 0;

	if (f->idp != FED_IDP_ABSENT && !owned)
		d |= FED_DRIFT_BIT(FED_DRIFT_ORPHANED_IDP);
	if (approved && f->idp == FED_IDP_ABSENT)
		d |= FED_DRIFT_BIT(FED_DRIFT_MISSING_IDP);
	if (approved && f->idp == FED_IDP_DISABLED)
		d |= FED_DRIFT_BIT(FED_DRIFT_IDP_DISABLED);
	if (suspended && f->idp == FED_IDP_ENABLED)
		d |= FED_DRIFT_BIT(FED_DRIFT_SUSPENDED_IDP_ENABLED);
	if (owned && f->idp != FED_IDP_ABSENT && f->idp_misconfigured)
		d |= FED_DRIFT_BIT(FED_DRIFT_IDP_MISCONFIGURED);
	if (!f->changing) {
		/* a run is working on the stack: its containers are not judged */
		if (approved && (f->stack == FED_STACK_ABSENT || f->stack == FED_STACK_STOPPED))
			d |= FED_DRIFT_BIT(FED_DRIFT_STALE_REGISTRATION);
		if (approved && f->stack == FED_STACK_DEGRADED)
			d |= FED_DRIFT_BIT(FED_DRIFT_STACK_DEGRADED);
		if (running && (suspended || f->idp == FED_IDP_DISABLED))
			d |= FED_DRIFT_BIT(FED_DRIFT_DISABLED_BUT_RUNNING);
		if (running && (!f->registered || f->status == FED_REVOKED))
			d |= FED_DRIFT_BIT(FED_DRIFT_UNREGISTERED_STACK);
	}
	f->drift = d;
	f->is_public = approved && f->idp == FED_IDP_ENABLED && !f->idp_misconfigured && f->stack == FED_STACK_UP;
}

void fed_audit_release(struct fed_audit *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n_foreign; i++)
		free(a->foreign[i]);
	free(a->foreign);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int federation_audit(struct fed_audit *out, const struct fed_idp_obs *idps, size_t n_idps,
		     const struct fed_reg_obs *regs, size_t n_regs, const struct fed_stack_obs *stacks,
		     size_t n_stacks)
{
	struct fed_audit a;
	size_t i, cap = 0;
	char code[4];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (n_idps > FED_AUDIT_MAX || n_regs > FED_AUDIT_MAX || n_stacks > FED_AUDIT_MAX)
		return bad_input("federation audit: more than %d entries in one layer", FED_AUDIT_MAX);

	for (i = 0; rc == 0 && i < n_regs; i++) {
		struct fed_finding *f;

		if (code_upper(code, regs[i].code) < 0 || (unsigned)regs[i].status >= FED_STATUS__COUNT) {
			rc = bad_input("federation audit: registration '%.16s' is not a code and status", regs[i].code ? regs[i].code : "");
			break;
		}
		f = finding(&a, &cap, code);
		if (f->registered) {
			rc = bad_input("federation audit: two registrations for '%s'", code);
			break;
		}
		f->registered = 1;
		f->status = regs[i].status;
	}
	for (i = 0; rc == 0 && i < n_idps; i++) {
		struct fed_finding *f;

		if (federation_alias_code(code, idps[i].alias) < 0) {
			dive_error_clear();
			if (!idps[i].alias) {
				rc = bad_input("federation audit: an identity provider without alias");
				break;
			}
			a.foreign = xrealloc(a.foreign, (a.n_foreign + 1) * sizeof(*a.foreign));
			a.foreign[a.n_foreign++] = xstrndup(idps[i].alias, 255);
			continue;
		}
		f = finding(&a, &cap, code);
		if (f->idp != FED_IDP_ABSENT) {
			rc = bad_input("federation audit: two identity providers for '%s'", code);
			break;
		}
		f->idp = idps[i].enabled ? FED_IDP_ENABLED : FED_IDP_DISABLED;
		f->idp_misconfigured = !!idps[i].misconfigured;
	}
	for (i = 0; rc == 0 && i < n_stacks; i++) {
		const struct fed_stack_obs *s = &stacks[i];
		struct fed_finding *f;

		if (code_upper(code, s->code) < 0) {
			rc = bad_input("federation audit: stack '%.16s' is not a code", s->code ? s->code : "");
			break;
		}
		if (s->containers < 0 || s->running < 0 || s->healthy < 0 || s->running > s->containers ||
		    s->healthy > s->running) {
			rc = bad_input("federation audit: the container counts of '%s' do not add up", code);
			break;
		}
		if (!strcmp(code, FED_HUB_CODE))
			continue; /* the hub's own stack is not a spoke */
		f = finding(&a, &cap, code);
		if (f->stack != FED_STACK_ABSENT || f->changing) {
			rc = bad_input("federation audit: two stacks for '%s'", code);
			break;
		}
		f->stack = stack_state(s);
		f->changing = state_changing(s->state);
	}
	if (rc < 0) {
		fed_audit_release(&a);
		return rc;
	}
	for (i = 0; i < a.n; i++) {
		classify(&a.v[i]);
		if (a.v[i].drift)
			a.drifted++;
	}
	*out = a;
	return 0;
}

/* The plan. */

struct plan_builder {
	struct fed_plan *p;
	size_t cap;
};

static void add(struct plan_builder *b, const struct fed_finding *f, enum fed_op op, enum fed_obj obj,
		enum fed_side side, enum fed_drift because)
{
	struct fed_action *x;

	if (b->p->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->p->v = xrealloc(b->p->v, b->cap * sizeof(*b->p->v));
	}
	x = &b->p->v[b->p->n++];
	memcpy(x->code, f->code, 4);
	x->op = op;
	x->obj = obj;
	x->side = side;
	x->because = because;
	x->enabled = f->registered && f->status == FED_APPROVED;
}

static int has(const struct fed_finding *f, enum fed_drift k)
{
	return (f->drift & FED_DRIFT_BIT(k)) != 0;
}

void fed_plan_release(struct fed_plan *p)
{
	if (!p)
		return;
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int federation_plan_reconcile(struct fed_plan *out, const struct fed_audit *a, unsigned flags)
{
	struct plan_builder b = { out, 0 };
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < a->n; i++) {
		const struct fed_finding *f = &a->v[i];
		int spoke_up = f->stack == FED_STACK_UP;

		if (has(f, FED_DRIFT_ORPHANED_IDP)) {
			if (flags & FED_PLAN_PRUNE) {
				/* identity providers before the clients they use */
				add(&b, f, FED_OP_DELETE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_ORPHANED_IDP);
				if (spoke_up)
					add(&b, f, FED_OP_DELETE, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_ORPHANED_IDP);
				add(&b, f, FED_OP_DELETE, FED_OBJ_CLIENT, FED_SIDE_HUB, FED_DRIFT_ORPHANED_IDP);
				if (spoke_up)
					add(&b, f, FED_OP_DELETE, FED_OBJ_CLIENT, FED_SIDE_SPOKE, FED_DRIFT_ORPHANED_IDP);
			} else if (f->idp == FED_IDP_ENABLED) {
				add(&b, f, FED_OP_DISABLE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_ORPHANED_IDP);
			}
			continue;
		}
		if (has(f, FED_DRIFT_MISSING_IDP)) {
			/* a client before the identity provider that uses it */
			if (spoke_up)
				add(&b, f, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP);
			add(&b, f, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_MISSING_IDP);
			add(&b, f, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_HUB, FED_DRIFT_MISSING_IDP);
			if (spoke_up)
				add(&b, f, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP);
			else
				out->deferred += 2;
			continue;
		}
		/* the IdP exists and a registration owns it */
		if (has(f, FED_DRIFT_IDP_MISCONFIGURED))
			add(&b, f, FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_IDP_MISCONFIGURED);
		if (has(f, FED_DRIFT_IDP_DISABLED))
			add(&b, f, FED_OP_ENABLE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_IDP_DISABLED);
		if (has(f, FED_DRIFT_SUSPENDED_IDP_ENABLED))
			add(&b, f, FED_OP_DISABLE, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_SUSPENDED_IDP_ENABLED);
		if (has(f, FED_DRIFT_LOGIN_FAILED) && f->login_to_hub < 0) {
			add(&b, f, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_SPOKE, FED_DRIFT_LOGIN_FAILED);
			add(&b, f, FED_OP_RESET_SECRET, FED_OBJ_IDP, FED_SIDE_HUB, FED_DRIFT_LOGIN_FAILED);
		}
		if (has(f, FED_DRIFT_LOGIN_FAILED) && f->login_to_spoke < 0 && spoke_up) {
			add(&b, f, FED_OP_ENSURE, FED_OBJ_CLIENT, FED_SIDE_HUB, FED_DRIFT_LOGIN_FAILED);
			add(&b, f, FED_OP_RESET_SECRET, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_LOGIN_FAILED);
		}
	}
	return 0;
}

int federation_audit_logins(struct fed_audit *a, const struct fed_login_obs *logins, size_t n)
{
	size_t i, j;

	if (n > FED_AUDIT_MAX)
		return dive_error_set(DIVE_EFAIL, "more than %d login observations", FED_AUDIT_MAX);
	for (i = 0; i < n; i++) {
		struct fed_finding *f = NULL;

		if (!logins[i].code)
			return dive_error_set(DIVE_EFAIL, "internal: a login observation without a code");
		for (j = 0; j < a->n && !f; j++)
			if (!strcmp(a->v[j].code, logins[i].code))
				f = &a->v[j];
		if (!f)
			continue; /* no finding: the code is not federated at all */
		f->login_to_hub = logins[i].to_hub;
		f->login_to_spoke = logins[i].to_spoke;
		if (logins[i].to_hub < 0 || logins[i].to_spoke < 0) {
			if (!f->drift)
				a->drifted++;
			f->drift |= FED_DRIFT_BIT(FED_DRIFT_LOGIN_FAILED);
			f->is_public = 0; /* fail closed: a login that does not work is not offered */
		}
	}
	return 0;
}

void fed_action_target(const struct fed_action *a, const char **realm, const char **name, struct fed_names *names)
{
	federation_names(names, a->code);
	if (a->side == FED_SIDE_HUB) {
		*realm = names->hub_realm;
		*name = a->obj == FED_OBJ_IDP ? names->hub_idp : names->hub_client;
	} else {
		*realm = names->spoke_realm;
		*name = a->obj == FED_OBJ_IDP ? names->spoke_idp : names->spoke_client;
	}
}

void fed_action_describe(const struct fed_action *a, char *buf, size_t n)
{
	struct fed_names names;
	const char *realm, *name;

	fed_action_target(a, &realm, &name, &names);
	snprintf(buf, n, "%s %s '%s' in realm '%s' (%s)", fed_op_name(a->op), fed_obj_name(a->obj), name, realm,
		 fed_drift_name(a->because));
}

void fed_action_key(const struct fed_action *a, char *buf, size_t n)
{
	snprintf(buf, n, "federation/%s/%s/%s/%s", a->code, fed_side_name(a->side), fed_obj_name(a->obj),
		 fed_op_name(a->op));
}

/* The public list. */

int federation_public_idps(struct fed_public **out, size_t *n, const struct fed_audit *a)
{
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < a->n; i++)
		k += a->v[i].is_public != 0;
	if (!k)
		return 0;
	*out = xcalloc(k, sizeof(**out));
	for (i = 0; i < a->n; i++) {
		struct fed_names names;

		if (!a->v[i].is_public)
			continue;
		federation_names(&names, a->v[i].code);
		memcpy((*out)[*n].code, names.code, 4);
		snprintf((*out)[*n].alias, sizeof((*out)[*n].alias), "%s", names.hub_idp);
		(*n)++;
	}
	return 0;
}
