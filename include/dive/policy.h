/*
 * policy.h - the hub's policy, published through OPAL to every spoke's OPA,
 * and checked at a spoke (docs/architecture/policy-distribution.md).
 *
 * What travels: a policy tree (the repository's policies/, or the one an
 * operator published last) with the trusted issuers written into it as
 * data (dive/trusted_issuers/data.json: the hub's realm and every approved
 * spoke's, as the tokens' "iss").  policy_publish() sends the tree to the
 * hub's opal-server (its drop directory, through the engine's archive API:
 * docker.h), waits for the server's outcome (it checks the tree with
 * `opa build` before anything leaves the hub), and records the publication
 * in the state store (policy_store.h): that is the revision every spoke
 * must then hold.  A tree and issuers identical to the last ok publication
 * are not sent again (out->unchanged) unless o->force.
 *
 * policy_check_spoke() asks the spoke's own OPA (its opal-client, on its
 * published OPAL port): the revision it holds, the trusted issuers, and a
 * fixed decision both ways (a SECRET user of the spoke may read a SECRET
 * document releasable to it; an UNCLASSIFIED one may not).
 *
 * Errors: DIVE_EUSAGE (a bad tree: a link, a device, too large, or refused
 * by the server's `opa build`, with ERRC_POLICY_DISTRIBUTION), the engine's
 * and the store's, DIVE_ETIMEOUT when the server gives no outcome in time.
 */
#ifndef DIVE_POLICY_H
#define DIVE_POLICY_H

#include <cjson/cJSON.h>

#include "dive/country.h"
#include "dive/docker.h"
#include "dive/policy_store.h"
#include "dive/store.h"

#define POLICY_SERVER_CONTAINER "dive-hub-opal-server"
#define POLICY_TREE_MAX (16u << 20)

/*
 * The trusted issuers: the hub's realm and each code's (federation_app()),
 * sorted, once each.  publics (may be NULL, and its entries) names a code's
 * Keycloak on another engine (federation_app_at()).
 */
int policy_issuers(cJSON **out, const char *const *codes, const char *const *publics, size_t n);

struct policy_opts {
	struct docker *docker;      /* the hub's engine */
	struct store *store;        /* where publications are recorded */
	const char *actor;
	const char *source_dir;     /* the repository (for its policies/) */
	long timeout_ms;            /* for the server's outcome; 0: 60 s */
	int force;                  /* send even when nothing changed */
};

struct policy_result {
	struct policy_pub pub;      /* what was published (or the last one, when unchanged) */
	int unchanged;
	long long ms;
};

/*
 * dir: the policy tree to publish; NULL: the source of the last ok
 * publication, else <source_dir>/policies.  issuers: as policy_issuers().
 */
int policy_publish(const struct policy_opts *o, struct policy_result *out, const char *dir, const cJSON *issuers);
void policy_result_release(struct policy_result *r);

struct policy_spoke_check {
	int revision_ok;
	char revision[72];          /* what the spoke's OPA holds ("" when none) */
	int issuers_ok;
	char issuers_detail[256];
	int decision_ok;            /* the allow and the deny both came out as expected */
	char decision_detail[512];
	long long ms;
};

/*
 * At spoke c's OPA: waits up to wait_ms for expected->revision (a publish
 * takes about a second to arrive), then checks the issuers expected and the
 * decisions.  Returns 0 when it could ask (the three verdicts are in out),
 * or the transport's error.
 */
int policy_check_spoke(struct policy_spoke_check *out, const struct dive_country *c, const struct policy_pub *expected,
		       long wait_ms);
/* As policy_check_spoke(), the spoke's OPA on host (its engine's; NULL: DIVE_PORTS_BIND). */
int policy_check_spoke_at(struct policy_spoke_check *out, const struct dive_country *c,
			  const struct policy_pub *expected, long wait_ms, const char *host);

#endif
