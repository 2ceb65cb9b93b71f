/*
 * federation.h - the three-layer federation audit and the reconcile plan,
 * as pure functions: no I/O, no clock, no allocation the caller cannot free.
 *
 * Layers (docs/architecture/federation.md):
 *   1 Keycloak   the hub realm's identity providers "<code>-idp"
 *   2 MongoDB    federation_spokes: the registration and its status (the truth)
 *   3 Engine     the spoke's containers and its deployment state
 *
 * federation_audit() takes one observation list per layer and returns one
 * finding per code seen in any of them, in code order, with the drift kinds
 * found (a bit set; 0 is in sync).  The caller gathers the lists; a layer
 * that cannot be read is an error for the caller, never an empty list: an
 * audit from partial input would call drift "in sync" (or the reverse).
 *
 * federation_plan_reconcile() turns an audit into the actions that bring
 * Keycloak back to what MongoDB says, in the order they must run.  It never
 * changes MongoDB and never starts or stops containers: drift only the
 * operator can settle (a stack gone, a stack running unregistered) is
 * reported, not repaired.  It deletes only with FED_PLAN_PRUNE.  Applying a
 * plan and auditing again yields no further actions (the plan is a fixed
 * point), which tests/unit/test_federation.c checks for every row.
 *
 * federation_public_idps() is what the public IdP list may show: approved,
 * IdP enabled, stack up.  With no registrations it shows nothing (fail
 * closed); a caller that could not read MongoDB must report the error and
 * show nothing, never fall back to Keycloak's list.
 *
 * Names (predecessor §9.3) come from federation_names(); no other file
 * spells them.
 */
#ifndef DIVE_FEDERATION_H
#define DIVE_FEDERATION_H

#include <stddef.h>

#include "dive/fedstore.h"

#define FED_HUB_CODE "USA"
#define FED_AUDIT_MAX 4096    /* entries per observation list */

/* Every name of one spoke's federation, derived from its code. */
struct fed_names {
	char code[4];            /* "DEU" */
	char lower[4];           /* "deu" */
	char hub_realm[32];      /* "dive-v3-broker-usa" */
	char spoke_realm[32];    /* "dive-v3-broker-deu" */
	char hub_idp[16];        /* "deu-idp" in the hub realm: DEU's users log in to the hub */
	char hub_client[32];     /* "dive-v3-broker-deu" in the hub realm: the client usa-idp uses */
	char spoke_idp[16];      /* "usa-idp" in the spoke realm: the hub's users log in to DEU */
	char spoke_client[32];   /* "dive-v3-broker-usa" in the spoke realm: the client deu-idp uses */
};

/* code: three letters, any case.  DIVE_EUSAGE otherwise. */
int federation_names(struct fed_names *out, const char *code);

/*
 * The application side of one instance's realm (the hub's too): the app
 * client dive-v3-broker-<code> its frontend signs in with, its redirect URI
 * and origin on this machine (http://localhost:<frontend port>), the realm's
 * public issuer (http://localhost:<keycloak_http>/realms/<realm>), and the
 * verification user dive-verify-<code> that proves a login through the
 * federation works (its password is the instance's secret
 * FED_VERIFY_PASSWORD_KEY; its DIVE attributes are fixed here).
 */
#define FED_VERIFY_PASSWORD_KEY "VERIFY_USER_PASSWORD"
#define FED_VERIFY_CLEARANCE "SECRET"
#define FED_VERIFY_COI "NATO"

struct fed_app {
	char code[4];
	char realm[32];           /* "dive-v3-broker-deu" */
	char client_id[32];       /* "dive-v3-broker-deu" */
	char redirect_uri[96];    /* "http://localhost:13011/api/auth/callback/keycloak" */
	char origin[48];          /* "http://localhost:13011" */
	char issuer[192];         /* "http://localhost:18011/realms/dive-v3-broker-deu" */
	char verify_user[24];     /* "dive-verify-deu" */
	char verify_email[48];    /* "dive-verify-deu@deu.dive.invalid" */
	char verify_unique_id[40];
};

/* code: the hub ("USA") or a spoke of the country table; DIVE_EUSAGE otherwise. */
int federation_app(struct fed_app *out, const char *code);
/* As federation_app(), the issuer under public_base ("http://10.231.0.2:18016": a Keycloak on another engine); NULL: localhost. */
int federation_app_at(struct fed_app *out, const char *code, const char *public_base);
/* The code of a federation alias: "deu-idp" -> "DEU"; DIVE_EUSAGE for any other alias. */
int federation_alias_code(char out[4], const char *alias);

/* Observations, one list per layer. */
struct fed_idp_obs {
	const char *alias;        /* as in the hub realm */
	int enabled;
	int misconfigured;        /* a managed field differs from the desired IdP (kc_rep_diff() > 0) */
};

struct fed_reg_obs {
	const char *code;
	enum fed_status status;
};

struct fed_stack_obs {
	const char *code;
	int containers;           /* dive's containers of the spoke's stack (labels) */
	int running;              /* of them, running */
	int healthy;              /* of the running, healthy or without a health check */
	const char *state;        /* deployment state from the state store ("COMPLETE"), NULL if none */
};

enum fed_idp_state {
	FED_IDP_ABSENT,
	FED_IDP_ENABLED,
	FED_IDP_DISABLED,
	FED_IDP__COUNT
};

enum fed_stack_state {
	FED_STACK_ABSENT,         /* no container */
	FED_STACK_STOPPED,        /* containers, none running */
	FED_STACK_DEGRADED,       /* some not running, or running but unhealthy */
	FED_STACK_UP,             /* all running and healthy */
	FED_STACK__COUNT
};

/* Drift kinds; a finding's drift is a set of bits (1u << kind). */
enum fed_drift {
	FED_DRIFT_ORPHANED_IDP,          /* IdP, but no approved or suspended registration */
	FED_DRIFT_MISSING_IDP,           /* approved, no IdP */
	FED_DRIFT_IDP_DISABLED,          /* approved, IdP disabled */
	FED_DRIFT_SUSPENDED_IDP_ENABLED, /* suspended, IdP still enabled */
	FED_DRIFT_IDP_MISCONFIGURED,     /* registered IdP whose managed fields were changed */
	FED_DRIFT_STALE_REGISTRATION,    /* approved, its stack gone or stopped */
	FED_DRIFT_DISABLED_BUT_RUNNING,  /* IdP disabled or registration suspended while the stack runs */
	FED_DRIFT_STACK_DEGRADED,        /* approved, stack partly down or unhealthy */
	FED_DRIFT_UNREGISTERED_STACK,    /* stack running, no registration (or revoked) */
	FED_DRIFT_LOGIN_FAILED,          /* approved and up, but a real federated login fails (a probe) */
	FED_DRIFT__COUNT
};

#define FED_DRIFT_BIT(k) (1u << (k))

struct fed_finding {
	char code[4];
	int registered;              /* a registration exists; status is then valid */
	enum fed_status status;
	enum fed_idp_state idp;
	int idp_misconfigured;
	enum fed_stack_state stack;
	int changing;                /* its deployment state is in progress: container drift is not judged */
	unsigned drift;              /* FED_DRIFT_BIT()s; 0 in sync */
	int is_public;               /* approved, IdP enabled, stack up */
	int login_to_hub;            /* probed login spoke -> hub: 1 ok, -1 failed, 0 not probed */
	int login_to_spoke;          /* probed login hub -> spoke: 1 ok, -1 failed, 0 not probed */
};

struct fed_audit {
	struct fed_finding *v;
	size_t n;
	size_t drifted;              /* findings with drift */
	char **foreign;              /* hub IdP aliases that are not "<code>-idp": not dive's, never touched */
	size_t n_foreign;
};

/*
 * Classify.  Returns 0, or DIVE_EFAIL (ERRC_INTERNAL) for inconsistent
 * observations: a code that is not three letters, a code twice in one list,
 * counts that do not nest (healthy <= running <= containers), more than
 * FED_AUDIT_MAX entries.  The hub's own stack (FED_HUB_CODE) is ignored.
 */
int federation_audit(struct fed_audit *out, const struct fed_idp_obs *idps, size_t n_idps,
		     const struct fed_reg_obs *regs, size_t n_regs, const struct fed_stack_obs *stacks,
		     size_t n_stacks);
void fed_audit_release(struct fed_audit *a);

/*
 * Layer 1 for real: what a federated login each way through the spoke's
 * IdPs gave (fedsync_verify_login()), for approved spokes whose stack is
 * up.  federation_audit_logins() records it in the findings and adds
 * FED_DRIFT_LOGIN_FAILED where a login failed: an object can exist, look
 * right and still not work (a client secret changed on one side).
 */
struct fed_login_obs {
	const char *code;
	int to_hub;                  /* 1 ok, -1 failed, 0 not tried */
	int to_spoke;
};

int federation_audit_logins(struct fed_audit *a, const struct fed_login_obs *logins, size_t n);

/* "orphaned-idp", ...; "unknown" out of range. */
const char *fed_drift_name(enum fed_drift k);
/* One line on what the kind means. */
const char *fed_drift_meaning(enum fed_drift k);
/* What reconcile does about it, or the command the operator runs when it does nothing. */
const char *fed_drift_remedy(enum fed_drift k);
/* Whether reconcile repairs the kind (the others are report-only). */
int fed_drift_repaired(enum fed_drift k);
const char *fed_idp_state_name(enum fed_idp_state s);
const char *fed_stack_state_name(enum fed_stack_state s);

/* The reconcile plan. */
enum fed_op {
	FED_OP_ENSURE,       /* create or update by diff (kc_*_apply) */
	FED_OP_ENABLE,
	FED_OP_DISABLE,
	FED_OP_DELETE,
	FED_OP_RESET_SECRET, /* write the provider's client secret into an IdP (Keycloak never shows it) */
	FED_OP__COUNT
};

enum fed_obj {
	FED_OBJ_CLIENT,      /* the federation client */
	FED_OBJ_IDP,         /* the identity provider and its mappers */
	FED_OBJ__COUNT
};

enum fed_side {
	FED_SIDE_HUB,        /* the hub realm */
	FED_SIDE_SPOKE,      /* the spoke's realm, in the spoke's Keycloak */
	FED_SIDE__COUNT
};

struct fed_action {
	char code[4];
	enum fed_op op;
	enum fed_obj obj;
	enum fed_side side;
	enum fed_drift because;
	int enabled;         /* an ensured IdP's "enabled": 1 approved, 0 suspended */
};

struct fed_plan {
	struct fed_action *v;
	size_t n;
	size_t deferred;     /* spoke-side actions left for the spoke's deploy: its stack is not up */
};

#define FED_PLAN_PRUNE 0x1u  /* delete IdPs and clients no approved or suspended spoke owns */

/*
 * Per finding, in code order:
 *   missing-idp           ensure the hub client and IdP and, when the stack is
 *                         up, the spoke client and IdP (clients first: an IdP
 *                         needs the other side's client); otherwise the
 *                         spoke side is deferred to its deploy
 *   idp-misconfigured     ensure the hub IdP
 *   idp-disabled          enable the hub IdP
 *   suspended-idp-enabled disable the hub IdP
 *   login-failed          for the direction that failed: ensure the client the
 *                         login uses (its secret back to the provider's) and
 *                         reset that IdP's secret; spoke -> hub uses the spoke
 *                         client and the hub IdP, hub -> spoke the reverse
 *   orphaned-idp          with prune: delete the hub IdP and client, and the
 *                         spoke IdP and client when its stack is up (IdPs
 *                         first); without: disable the hub IdP if enabled
 *   others                nothing (report only)
 */
int federation_plan_reconcile(struct fed_plan *out, const struct fed_audit *a, unsigned flags);
void fed_plan_release(struct fed_plan *p);

const char *fed_op_name(enum fed_op op);
const char *fed_obj_name(enum fed_obj obj);
const char *fed_side_name(enum fed_side side);
/* The realm and object name (alias or clientId) an action touches. */
void fed_action_target(const struct fed_action *a, const char **realm, const char **name, struct fed_names *names);
/* "ensure idp 'deu-idp' in realm 'dive-v3-broker-usa' (missing-idp)" */
void fed_action_describe(const struct fed_action *a, char *buf, size_t n);
/* A key stable across runs, for the step that performs it: "federation/DEU/hub/idp/ensure". */
void fed_action_key(const struct fed_action *a, char *buf, size_t n);

/* What the public IdP list may show. */
struct fed_public {
	char code[4];
	char alias[16];
};

/* *out is malloc'd (free()); *n may be 0. */
int federation_public_idps(struct fed_public **out, size_t *n, const struct fed_audit *a);

#endif
