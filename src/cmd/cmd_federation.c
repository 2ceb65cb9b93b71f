/* cmd_federation.c - `dive federation ...`: Keycloak <-> MongoDB <-> containers. */
#include "cmd.h"

static const struct dive_opt reconcile_opts[] = {
	{ "prune", 0, DIVE_OPT_BOOL, NULL, "also delete IdPs and clients no approved spoke owns", 0, 0 },
	DIVE_OPT_END,
};

static const struct dive_opt idps_opts[] = {
	{ "public", 0, DIVE_OPT_BOOL, NULL, "what the public IdP list should show (fails closed)", 0, 0 },
	DIVE_OPT_END,
};

#define FED (DIVE_NEEDS_STATE | DIVE_TAKES_LOCK)

const struct dive_verb cmd_federation_verbs[] = {
	{ "register", NULL, 1, 1, FED, NULL, "CODE", "record a spoke registration (pending)", 7 },
	{ "unregister", NULL, 1, 1, FED | DIVE_DESTRUCTIVE, NULL, "CODE", "remove IdPs and clients on both sides, mark revoked", 7 },
	{ "approve", NULL, 1, 1, FED, NULL, "CODE", "approve a spoke and federate it both ways", 7 },
	{ "suspend", NULL, 1, 1, FED, NULL, "CODE", "suspend a spoke and disable its IdP", 7 },
	{ "status", NULL, 1, 1, DIVE_NEEDS_STATE, NULL, "CODE", "registration and IdP state of a spoke", 7 },
	{ "audit", NULL, 0, 0, DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, NULL, NULL,
	  "compare Keycloak, MongoDB and containers; exit 5 on drift", 7 },
	{ "reconcile", NULL, 0, 0, FED | DIVE_NEEDS_DOCKER | DIVE_DRY_RUN, reconcile_opts, NULL,
	  "repair drift toward the MongoDB truth", 7 },
	{ "idps", NULL, 0, 0, DIVE_NEEDS_DOCKER, idps_opts, NULL, "identity providers that should be offered", 7 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
