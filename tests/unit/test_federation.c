/*
 * test_federation.c - the three-layer audit, the reconcile plan and the
 * public IdP list (pure), plus the pure parts of the federation store: the
 * lifecycle table and the registration checks.
 *
 * The main table has one row per situation of one spoke (DEU): what each
 * layer shows, the drift expected, whether the IdP is public, and the plan
 * without and with --prune.  Every row is also checked to be a fixed point:
 * applying its plan to the observations and auditing again plans nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/federation.h"

#define B(k) FED_DRIFT_BIT(FED_DRIFT_##k)

enum reg { R_NONE, R_PENDING, R_APPROVED, R_SUSPENDED, R_REVOKED };
enum idp { I_NONE, I_ENABLED, I_DISABLED };

struct row {
	const char *name;
	enum reg reg;
	enum idp idp;
	int misconfigured;
	int containers, running, healthy;
	const char *state;
	unsigned drift;
	int is_public;
	const char *plan;         /* "side/obj/op,..." without --prune */
	const char *plan_prune;   /* with --prune; NULL: same as plan */
	size_t deferred;
};

static const struct row rows[] = {
	{ "in sync", R_APPROVED, I_ENABLED, 0, 9, 9, 9, "COMPLETE", 0, 1, "", NULL, 0 },
	{ "hand-made IdP, no registration", R_NONE, I_ENABLED, 0, 0, 0, 0, NULL, B(ORPHANED_IDP), 0,
	  "hub/idp/disable", "hub/idp/delete,hub/client/delete", 0 },
	{ "disabled IdP of a pending spoke", R_PENDING, I_DISABLED, 0, 0, 0, 0, NULL, B(ORPHANED_IDP), 0,
	  "", "hub/idp/delete,hub/client/delete", 0 },
	{ "IdP of a revoked spoke still running", R_REVOKED, I_ENABLED, 0, 9, 9, 9, "COMPLETE",
	  B(ORPHANED_IDP) | B(UNREGISTERED_STACK), 0, "hub/idp/disable",
	  "hub/idp/delete,spoke/idp/delete,hub/client/delete,spoke/client/delete", 0 },
	{ "approved without IdP", R_APPROVED, I_NONE, 0, 9, 9, 9, "COMPLETE", B(MISSING_IDP), 0,
	  "spoke/client/ensure,hub/idp/ensure,hub/client/ensure,spoke/idp/ensure", NULL, 0 },
	{ "approved without IdP or stack", R_APPROVED, I_NONE, 0, 0, 0, 0, NULL,
	  B(MISSING_IDP) | B(STALE_REGISTRATION), 0, "hub/idp/ensure,hub/client/ensure", NULL, 2 },
	{ "approved, stack stopped", R_APPROVED, I_ENABLED, 0, 9, 0, 0, "STOPPED", B(STALE_REGISTRATION), 0, "",
	  NULL, 0 },
	{ "approved, stack gone", R_APPROVED, I_ENABLED, 0, 0, 0, 0, "COMPLETE", B(STALE_REGISTRATION), 0, "", NULL,
	  0 },
	{ "suspended, IdP disabled, stack running", R_SUSPENDED, I_DISABLED, 0, 9, 9, 9, "COMPLETE",
	  B(DISABLED_BUT_RUNNING), 0, "", NULL, 0 },
	{ "suspended, IdP still enabled", R_SUSPENDED, I_ENABLED, 0, 9, 9, 9, "COMPLETE",
	  B(SUSPENDED_IDP_ENABLED) | B(DISABLED_BUT_RUNNING), 0, "hub/idp/disable", NULL, 0 },
	{ "suspended, IdP enabled, no stack", R_SUSPENDED, I_ENABLED, 0, 0, 0, 0, NULL, B(SUSPENDED_IDP_ENABLED), 0,
	  "hub/idp/disable", NULL, 0 },
	{ "approved, IdP disabled", R_APPROVED, I_DISABLED, 0, 9, 9, 9, "COMPLETE",
	  B(IDP_DISABLED) | B(DISABLED_BUT_RUNNING), 0, "hub/idp/enable", NULL, 0 },
	{ "approved, signature validation turned off", R_APPROVED, I_ENABLED, 1, 9, 9, 9, "COMPLETE",
	  B(IDP_MISCONFIGURED), 0, "hub/idp/ensure", NULL, 0 },
	{ "suspended, IdP misconfigured", R_SUSPENDED, I_DISABLED, 1, 0, 0, 0, NULL, B(IDP_MISCONFIGURED), 0,
	  "hub/idp/ensure", NULL, 0 },
	{ "approved, one container down", R_APPROVED, I_ENABLED, 0, 9, 8, 8, "COMPLETE", B(STACK_DEGRADED), 0, "",
	  NULL, 0 },
	{ "approved, one container unhealthy", R_APPROVED, I_ENABLED, 0, 9, 9, 7, "COMPLETE", B(STACK_DEGRADED), 0,
	  "", NULL, 0 },
	{ "approved, being deployed", R_APPROVED, I_ENABLED, 0, 9, 2, 2, "DEPLOYING", 0, 0, "", NULL, 0 },
	{ "approved, being deployed, all up", R_APPROVED, I_ENABLED, 0, 9, 9, 9, "VERIFYING", 0, 1, "", NULL, 0 },
	{ "stack running, never registered", R_NONE, I_NONE, 0, 9, 9, 9, "COMPLETE", B(UNREGISTERED_STACK), 0, "",
	  NULL, 0 },
	{ "pending, stack running", R_PENDING, I_NONE, 0, 9, 9, 9, "COMPLETE", 0, 0, "", NULL, 0 },
	{ "suspended, no IdP, no stack", R_SUSPENDED, I_NONE, 0, 0, 0, 0, NULL, 0, 0, "", NULL, 0 },
	{ "revoked, nothing left", R_REVOKED, I_NONE, 0, 0, 0, 0, "STOPPED", 0, 0, "", NULL, 0 },
	{ "unknown deployment state", R_APPROVED, I_ENABLED, 0, 9, 9, 9, "SOMETHING", 0, 1, "", NULL, 0 },
};

/* A mutable world of one or more spokes, to apply plans to. */
struct world {
	struct fed_idp_obs idps[64];
	char aliases[64][16];
	size_t n_idps;
	struct fed_reg_obs regs[64];
	size_t n_regs;
	struct fed_stack_obs stacks[64];
	size_t n_stacks;
};

static void world_add_idp(struct world *w, const char *alias, int enabled, int misconfigured)
{
	snprintf(w->aliases[w->n_idps], sizeof(w->aliases[0]), "%s", alias);
	w->idps[w->n_idps].alias = w->aliases[w->n_idps];
	w->idps[w->n_idps].enabled = enabled;
	w->idps[w->n_idps].misconfigured = misconfigured;
	w->n_idps++;
}

static void world_of_row(struct world *w, const struct row *r)
{
	static const enum fed_status st[] = { FED_PENDING, FED_PENDING, FED_APPROVED, FED_SUSPENDED, FED_REVOKED };

	memset(w, 0, sizeof(*w));
	if (r->reg != R_NONE) {
		w->regs[0].code = "DEU";
		w->regs[0].status = st[r->reg];
		w->n_regs = 1;
	}
	if (r->idp != I_NONE)
		world_add_idp(w, "deu-idp", r->idp == I_ENABLED, r->misconfigured);
	if (r->containers || r->state) {
		w->stacks[0].code = "DEU";
		w->stacks[0].containers = r->containers;
		w->stacks[0].running = r->running;
		w->stacks[0].healthy = r->healthy;
		w->stacks[0].state = r->state;
		w->n_stacks = 1;
	}
}

static int audit(struct fed_audit *a, const struct world *w)
{
	return federation_audit(a, w->idps, w->n_idps, w->regs, w->n_regs, w->stacks, w->n_stacks);
}

/* What Keycloak would look like after the plan (only hub IdPs are observed). */
static void world_apply(struct world *w, const struct fed_plan *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		const struct fed_action *a = &p->v[i];
		struct fed_names names;
		struct fed_idp_obs *found = NULL;

		if (a->side != FED_SIDE_HUB || a->obj != FED_OBJ_IDP)
			continue;
		assert_int_equal(federation_names(&names, a->code), 0);
		for (j = 0; j < w->n_idps; j++) {
			if (!strcmp(w->idps[j].alias, names.hub_idp))
				found = &w->idps[j];
		}
		switch (a->op) {
		case FED_OP_ENSURE:
			if (!found)
				world_add_idp(w, names.hub_idp, a->enabled, 0);
			else
				found->enabled = a->enabled, found->misconfigured = 0;
			break;
		case FED_OP_ENABLE:
		case FED_OP_DISABLE:
			assert_non_null(found);
			found->enabled = a->op == FED_OP_ENABLE;
			break;
		case FED_OP_DELETE:
			assert_non_null(found);
			j = (size_t)(found - w->idps);
			memmove(&w->idps[j], &w->idps[j + 1], (w->n_idps - j - 1) * sizeof(w->idps[0]));
			memmove(&w->aliases[j], &w->aliases[j + 1], (w->n_idps - j - 1) * sizeof(w->aliases[0]));
			w->n_idps--;
			for (j = 0; j < w->n_idps; j++)
				w->idps[j].alias = w->aliases[j];
			break;
		default:
			fail();
		}
	}
}

static void plan_text(char *buf, size_t n, const struct fed_plan *p)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < p->n; i++) {
		char one[64];

		snprintf(one, sizeof(one), "%s%s/%s/%s", i ? "," : "", fed_side_name(p->v[i].side),
			 fed_obj_name(p->v[i].obj), fed_op_name(p->v[i].op));
		strncat(buf, one, n - strlen(buf) - 1);
	}
}

static void check_plan(const struct row *r, unsigned flags, const char *expected)
{
	struct world w;
	struct fed_audit a, again;
	struct fed_plan p, p2;
	char text[512];

	world_of_row(&w, r);
	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(federation_plan_reconcile(&p, &a, flags), 0);
	plan_text(text, sizeof(text), &p);
	if (strcmp(text, expected)) {
		print_error("row '%s' (prune %u): plan '%s', expected '%s'\n", r->name, flags, text, expected);
		fail();
	}
	assert_int_equal(p.deferred, r->deferred);

	/* a fixed point: the repaired world needs nothing more */
	world_apply(&w, &p);
	assert_int_equal(audit(&again, &w), 0);
	assert_int_equal(federation_plan_reconcile(&p2, &again, flags), 0);
	if (p2.n) {
		plan_text(text, sizeof(text), &p2);
		print_error("row '%s' (prune %u): second plan '%s'\n", r->name, flags, text);
		fail();
	}
	fed_plan_release(&p);
	fed_plan_release(&p2);
	fed_audit_release(&a);
	fed_audit_release(&again);
}

static void federation__classifies_every_row_of_the_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct world w;
		struct fed_audit a;

		world_of_row(&w, r);
		assert_int_equal(audit(&a, &w), 0);
		if (r->reg == R_NONE && r->idp == I_NONE && !r->containers && !r->state) {
			assert_int_equal(a.n, 0);
			fed_audit_release(&a);
			continue;
		}
		assert_int_equal(a.n, 1);
		assert_string_equal(a.v[0].code, "DEU");
		if (a.v[0].drift != r->drift || a.v[0].is_public != r->is_public) {
			print_error("row '%s': drift %#x public %d, expected %#x %d\n", r->name, a.v[0].drift,
				    a.v[0].is_public, r->drift, r->is_public);
			fail();
		}
		assert_int_equal(a.drifted, r->drift ? 1 : 0);
		fed_audit_release(&a);
	}
}

static void federation__plans_every_row_and_reaches_a_fixed_point(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		check_plan(&rows[i], 0, rows[i].plan);
		check_plan(&rows[i], FED_PLAN_PRUNE, rows[i].plan_prune ? rows[i].plan_prune : rows[i].plan);
	}
}

static void federation__prune_removes_ten_orphans_then_changes_nothing(void **state)
{
	struct world w;
	struct fed_audit a;
	struct fed_plan p;
	char alias[16];
	size_t i, deletes = 0;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < 10; i++) {
		snprintf(alias, sizeof(alias), "x%c%c-idp", 'a' + (int)i, 'a' + (int)i);
		world_add_idp(&w, alias, 1, 0);
	}
	w.regs[0].code = "DEU";
	w.regs[0].status = FED_APPROVED;
	w.n_regs = 1;
	world_add_idp(&w, "deu-idp", 1, 0);
	w.stacks[0].code = "DEU";
	w.stacks[0].containers = w.stacks[0].running = w.stacks[0].healthy = 9;
	w.n_stacks = 1;

	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(a.drifted, 10);
	assert_int_equal(federation_plan_reconcile(&p, &a, FED_PLAN_PRUNE), 0);
	for (i = 0; i < p.n; i++) {
		assert_int_equal(p.v[i].op, FED_OP_DELETE);
		assert_string_not_equal(p.v[i].code, "DEU");
		deletes++;
	}
	assert_int_equal(deletes, 20);   /* each orphan: its IdP and its client in the hub */
	world_apply(&w, &p);
	fed_plan_release(&p);
	fed_audit_release(&a);

	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(a.drifted, 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(federation_plan_reconcile(&p, &a, FED_PLAN_PRUNE), 0);
	assert_int_equal(p.n, 0);
	fed_plan_release(&p);
	fed_audit_release(&a);
}

static void federation__findings_come_in_code_order_with_foreign_idps_apart(void **state)
{
	struct world w;
	struct fed_audit a;
	struct fed_public *pub = NULL;
	size_t n = 0;

	memset(&w, 0, sizeof(w));
	world_add_idp(&w, "pol-idp", 1, 0);
	world_add_idp(&w, "google", 1, 0);          /* not dive's */
	world_add_idp(&w, "DEU-idp", 1, 0);         /* not dive's spelling */
	world_add_idp(&w, "fra-idp", 1, 0);
	w.regs[0] = (struct fed_reg_obs){ "pol", FED_APPROVED };
	w.regs[1] = (struct fed_reg_obs){ "Fra", FED_APPROVED };
	w.regs[2] = (struct fed_reg_obs){ "ALB", FED_PENDING };
	w.n_regs = 3;
	w.stacks[0] = (struct fed_stack_obs){ "FRA", 9, 9, 9, "COMPLETE" };
	w.stacks[1] = (struct fed_stack_obs){ "POL", 9, 9, 9, "COMPLETE" };
	w.stacks[2] = (struct fed_stack_obs){ "USA", 11, 11, 11, "COMPLETE" };   /* the hub: ignored */
	w.n_stacks = 3;

	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(a.v[0].code, "ALB");
	assert_string_equal(a.v[1].code, "FRA");
	assert_string_equal(a.v[2].code, "POL");
	assert_int_equal(a.drifted, 0);
	assert_int_equal(a.n_foreign, 2);
	assert_string_equal(a.foreign[0], "google");
	assert_string_equal(a.foreign[1], "DEU-idp");

	assert_int_equal(federation_public_idps(&pub, &n, &a), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pub[0].code, "FRA");
	assert_string_equal(pub[0].alias, "fra-idp");
	assert_string_equal(pub[1].alias, "pol-idp");
	free(pub);
	fed_audit_release(&a);
}

static void federation__public_list_fails_closed_without_registrations(void **state)
{
	struct world w;
	struct fed_audit a;
	struct fed_public *pub = NULL;
	size_t n = 7;

	/* enabled IdPs and running stacks, but MongoDB says nothing: show nothing */
	memset(&w, 0, sizeof(w));
	world_add_idp(&w, "deu-idp", 1, 0);
	world_add_idp(&w, "fra-idp", 1, 0);
	w.stacks[0] = (struct fed_stack_obs){ "DEU", 9, 9, 9, "COMPLETE" };
	w.n_stacks = 1;
	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(federation_public_idps(&pub, &n, &a), 0);
	assert_int_equal(n, 0);
	assert_null(pub);
	fed_audit_release(&a);
}

static void federation__inconsistent_observations_are_refused(void **state)
{
	struct fed_reg_obs regs[2] = { { "DEU", FED_APPROVED }, { "deu", FED_PENDING } };
	struct fed_idp_obs idps[2] = { { "deu-idp", 1, 0 }, { "deu-idp", 0, 0 } };
	struct fed_stack_obs bad_counts = { "DEU", 3, 4, 0, NULL };
	struct fed_stack_obs bad_health = { "DEU", 3, 2, 3, NULL };
	struct fed_stack_obs bad_code = { "DE", 1, 1, 1, NULL };
	struct fed_stack_obs two[2] = { { "DEU", 1, 1, 1, NULL }, { "DEU", 0, 0, 0, NULL } };
	struct fed_audit a;

	assert_int_equal(federation_audit(&a, NULL, 0, regs, 2, NULL, 0), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "two registrations for 'DEU'"));
	assert_int_equal(dive_error_last_code(), ERRC_INTERNAL);
	assert_null(a.v);
	assert_int_equal(federation_audit(&a, idps, 2, NULL, 0, NULL, 0), DIVE_EFAIL);
	assert_int_equal(federation_audit(&a, NULL, 0, NULL, 0, &bad_counts, 1), DIVE_EFAIL);
	assert_int_equal(federation_audit(&a, NULL, 0, NULL, 0, &bad_health, 1), DIVE_EFAIL);
	assert_int_equal(federation_audit(&a, NULL, 0, NULL, 0, &bad_code, 1), DIVE_EFAIL);
	assert_int_equal(federation_audit(&a, NULL, 0, NULL, 0, two, 2), DIVE_EFAIL);
	regs[0].status = (enum fed_status)9;
	assert_int_equal(federation_audit(&a, NULL, 0, regs, 1, NULL, 0), DIVE_EFAIL);
	assert_int_equal(federation_audit(&a, NULL, 0, NULL, FED_AUDIT_MAX + 1, NULL, 0), DIVE_EFAIL);
	assert_int_equal(federation_audit(&a, NULL, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(a.n, 0);
	fed_audit_release(&a);
}

static void federation__names_follow_the_naming_conventions(void **state)
{
	struct fed_names n;
	char code[4];

	assert_int_equal(federation_names(&n, "deu"), 0);
	assert_string_equal(n.code, "DEU");
	assert_string_equal(n.hub_realm, "dive-v3-broker-usa");
	assert_string_equal(n.spoke_realm, "dive-v3-broker-deu");
	assert_string_equal(n.hub_idp, "deu-idp");
	assert_string_equal(n.hub_client, "dive-v3-broker-deu");
	assert_string_equal(n.spoke_idp, "usa-idp");
	assert_string_equal(n.spoke_client, "dive-v3-broker-usa");
	assert_int_equal(federation_names(&n, "de"), DIVE_EUSAGE);
	assert_int_equal(federation_names(&n, "d3u"), DIVE_EUSAGE);

	assert_int_equal(federation_alias_code(code, "gbr-idp"), 0);
	assert_string_equal(code, "GBR");
	assert_int_equal(federation_alias_code(code, "GBR-idp"), DIVE_EUSAGE);
	assert_int_equal(federation_alias_code(code, "spoke-idp-gbr"), DIVE_EUSAGE);
	assert_int_equal(federation_alias_code(code, "gbr-idp2"), DIVE_EUSAGE);
	assert_int_equal(federation_alias_code(code, NULL), DIVE_EUSAGE);
}

static void federation__actions_describe_themselves_with_stable_keys(void **state)
{
	struct fed_action a = { "DEU", FED_OP_ENSURE, FED_OBJ_IDP, FED_SIDE_SPOKE, FED_DRIFT_MISSING_IDP, 1 };
	struct fed_names names;
	const char *realm, *name;
	char buf[160];

	fed_action_describe(&a, buf, sizeof(buf));
	assert_string_equal(buf, "ensure idp 'usa-idp' in realm 'dive-v3-broker-deu' (missing-idp)");
	fed_action_key(&a, buf, sizeof(buf));
	assert_string_equal(buf, "federation/DEU/spoke/idp/ensure");
	a.side = FED_SIDE_HUB;
	a.obj = FED_OBJ_CLIENT;
	a.op = FED_OP_DELETE;
	fed_action_target(&a, &realm, &name, &names);
	assert_string_equal(realm, "dive-v3-broker-usa");
	assert_string_equal(name, "dive-v3-broker-deu");
}

static void federation__every_drift_kind_has_a_name_a_meaning_and_a_remedy(void **state)
{
	int i, j, repaired = 0;

	for (i = 0; i < FED_DRIFT__COUNT; i++) {
		assert_true(strlen(fed_drift_name(i)) > 0);
		assert_true(strlen(fed_drift_meaning(i)) > 0);
		assert_true(strlen(fed_drift_remedy(i)) > 0);
		repaired += fed_drift_repaired(i);
		for (j = 0; j < i; j++)
			assert_string_not_equal(fed_drift_name(i), fed_drift_name(j));
	}
	assert_int_equal(repaired, 6);  /* login-failed is repaired too */
	assert_string_equal(fed_drift_name(FED_DRIFT__COUNT), "unknown");
	assert_string_equal(fed_drift_name(FED_DRIFT_STALE_REGISTRATION), "stale-registration");
}

static void fedstore__lifecycle_allows_only_its_edges(void **state)
{
	static const char *const expected[] = {
		"pending>approved", "pending>revoked", "approved>suspended", "approved>revoked",
		"suspended>approved", "suspended>revoked",
	};
	int from, to, n = 0;
	size_t k;

	for (from = 0; from < FED_STATUS__COUNT; from++) {
		for (to = 0; to < FED_STATUS__COUNT; to++) {
			char edge[32];
			int listed = 0;

			snprintf(edge, sizeof(edge), "%s>%s", fed_status_name(from), fed_status_name(to));
			for (k = 0; k < sizeof(expected) / sizeof(expected[0]); k++)
				listed |= !strcmp(edge, expected[k]);
			assert_int_equal(fed_status_allowed(from, to), listed);
			n += listed;
		}
	}
	assert_int_equal(n, 6);
	assert_false(fed_status_allowed(FED_STATUS__COUNT, FED_APPROVED));
}

static void fedstore__status_names_round_trip(void **state)
{
	enum fed_status s;
	int i;

	for (i = 0; i < FED_STATUS__COUNT; i++) {
		assert_int_equal(fed_status_parse(&s, fed_status_name(i)), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(fed_status_parse(&s, "Approved"), DIVE_EUSAGE);
	assert_int_equal(fed_status_parse(&s, NULL), DIVE_EUSAGE);
	assert_string_equal(fed_status_name(FED_STATUS__COUNT), "unknown");
}

static void fedstore__registration_checks_refuse_bad_input(void **state)
{
	const char *scopes[] = { "policy:base", "data:trusted_issuers", NULL };
	const char *bad_scope[] = { "policy base", NULL };
	const char *many[FEDSTORE_SCOPES_MAX + 2];
	struct fed_registration ok = { "deu", "Germany", "https://deu-app.dive25.com", "https://deu-api.dive25.com",
				       "https://dive-spoke-deu-keycloak:8443", NULL, scopes };
	struct fed_registration r;
	size_t i;

	assert_int_equal(fed_registration_check(&ok), 0);
	r = ok;
	r.code = "DE";
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
	r = ok;
	r.name = NULL;
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
	r = ok;
	r.base_url = "deu-app.dive25.com";
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
	r = ok;
	r.idp_public_url = "https://*.dive25.com";
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
	r = ok;
	r.name = "Germany\n";
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
	r = ok;
	r.scopes = bad_scope;
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
	for (i = 0; i < FEDSTORE_SCOPES_MAX + 1; i++)
		many[i] = "policy:base";
	many[i] = NULL;
	r = ok;
	r.scopes = many;
	assert_int_equal(fed_registration_check(&r), DIVE_EUSAGE);
}

/* An object can exist, look right, and still not work: a login that fails is drift with its own repair. */
static void federation__a_failed_login_is_drift_repaired_by_its_direction(void **state)
{
	struct world w;
	struct fed_audit a;
	struct fed_plan p;
	struct fed_login_obs to_hub = { "DEU", -1, 1 }, to_spoke = { "DEU", 1, -1 }, both_ok = { "DEU", 1, 1 };
	char text[512];

	(void)state;
	world_of_row(&w, &rows[0]); /* in sync */
	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(a.v[0].drift, 0);
	assert_true(a.v[0].is_public);
	assert_int_equal(federation_audit_logins(&a, &to_hub, 1), 0);
	assert_int_equal(a.v[0].drift, B(LOGIN_FAILED));
	assert_int_equal(a.drifted, 1);
	assert_false(a.v[0].is_public);  /* fails closed */
	assert_int_equal(a.v[0].login_to_hub, -1);
	assert_int_equal(federation_plan_reconcile(&p, &a, 0), 0);
	plan_text(text, sizeof(text), &p);
	assert_string_equal(text, "spoke/client/ensure,hub/idp/reset-secret");
	fed_plan_release(&p);
	fed_audit_release(&a);

	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(federation_audit_logins(&a, &to_spoke, 1), 0);
	assert_int_equal(federation_plan_reconcile(&p, &a, FED_PLAN_PRUNE), 0);
	plan_text(text, sizeof(text), &p);
	assert_string_equal(text, "hub/client/ensure,spoke/idp/reset-secret");
	fed_plan_release(&p);
	fed_audit_release(&a);

	/* after the repair the logins work: nothing more to do */
	assert_int_equal(audit(&a, &w), 0);
	assert_int_equal(federation_audit_logins(&a, &both_ok, 1), 0);
	assert_int_equal(a.v[0].drift, 0);
	assert_int_equal(a.drifted, 0);
	assert_int_equal(federation_plan_reconcile(&p, &a, 0), 0);
	assert_int_equal(p.n, 0);
	fed_plan_release(&p);
	fed_audit_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(federation__classifies_every_row_of_the_table),
		cmocka_unit_test(federation__plans_every_row_and_reaches_a_fixed_point),
		cmocka_unit_test(federation__a_failed_login_is_drift_repaired_by_its_direction),
		cmocka_unit_test(federation__prune_removes_ten_orphans_then_changes_nothing),
		cmocka_unit_test(federation__findings_come_in_code_order_with_foreign_idps_apart),
		cmocka_unit_test(federation__public_list_fails_closed_without_registrations),
		cmocka_unit_test(federation__inconsistent_observations_are_refused),
		cmocka_unit_test(federation__names_follow_the_naming_conventions),
		cmocka_unit_test(federation__actions_describe_themselves_with_stable_keys),
		cmocka_unit_test(federation__every_drift_kind_has_a_name_a_meaning_and_a_remedy),
		cmocka_unit_test(fedstore__lifecycle_allows_only_its_edges),
		cmocka_unit_test(fedstore__status_names_round_trip),
		cmocka_unit_test(fedstore__registration_checks_refuse_bad_input),
	};

	return cmocka_run_group_tests_name("federation", tests, NULL, NULL);
}
