/* secretops_priv.h - what secretops.c and rotate.c share (not a contract: that is secretops.h). */
#ifndef DIVE_SECRETOPS_PRIV_H
#define DIVE_SECRETOPS_PRIV_H

#include "dive/compose.h"
#include "dive/country.h"
#include "dive/interp.h"

/* An instance's stack file, read with placeholders for its secrets (no secret is read). */
struct secretops_stack {
	struct compose *compose;
	struct interp_env env;
	int env_set;
};

int secretops_stack_load(struct secretops_stack *out, const struct dive_country *c);
void secretops_stack_release(struct secretops_stack *s);
/* key is one of the stack's x-dive.secrets. */
int secretops_stack_has(const struct secretops_stack *s, const char *key);
/* key is FEDERATION_<c>_<OTHER>_SECRET with the hub on one side; *other (may be NULL) is OTHER. */
int secretops_federation_key(const char *key, const struct dive_country *c, const struct dive_country **other);

#endif
