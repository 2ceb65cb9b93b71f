/*
 * stack.h - the two stack files and the variables one instance gives them.
 *
 * There is one hub file and ONE spoke file for every country
 * (docker-compose.hub.yml, docker-compose.spoke.yml at the repository root);
 * what differs per instance comes from these variables, interpolated in
 * memory by compose_load (interp.h):
 *
 *   DIVE_CODE            DEU
 *   DIVE_CODE_LOWER      deu
 *   DIVE_INSTANCE_NAME   Germany (the country's name)
 *   DIVE_PROJECT         dive-spoke-deu, or dive-hub for USA
 *   PORT_<SERVICE>       host ports from ports.h, e.g. PORT_FRONTEND=13011,
 *                        PORT_KEYCLOAK_HTTPS=18411 (one per ports.h service)
 *
 *   DIVE_ENGINE_ADDR     where the instance's ports are published and probed:
 *                        127.0.0.1, or the address of its remote engine
 *   HUB_URL              the hub's backend (hub_url of instance.yml, instcfg.h)
 *
 * Anything else (secrets ...) falls back to the process
 * environment; the secret provider will chain in before it.  None of these
 * values is secret; secrets are declared in the file's x-dive.secrets.
 *
 * Lifecycle: stack_env_for fills out (and a table it owns);
 * stack_env_release frees it.  stack_path returns a new string.
 */
#ifndef DIVE_STACK_H
#define DIVE_STACK_H

#include "dive/country.h"
#include "dive/interp.h"

enum stack_kind {
	STACK_HUB,
	STACK_SPOKE,
};

/* "hub" or "spoke". */
const char *stack_kind_name(enum stack_kind kind);

/*
 * The file for kind: $DIVE_STACKS_DIR/docker-compose.<kind>.yml when
 * DIVE_STACKS_DIR is set, else the one in the source tree dive was built
 * from.  Returns 0 and a new string in *out, or DIVE_EUSAGE when the
 * directory setting is unusable or the file does not exist.
 */
int stack_path(char **out, enum stack_kind kind);

/*
 * The variables of instance c, then the process environment.  Returns 0,
 * or DIVE_EFAIL when c has no ports (ports_for failed; message set).
 * For graph-only reading, set out->flags |= INTERP_PLACEHOLDERS afterwards.
 */
int stack_env_for(struct interp_env *out, const struct dive_country *c);
/* Set (or replace) one variable of the instance, not secret: DIVE_INSTANCE_NAME, HUB_URL of instance.yml. */
void stack_env_set(struct interp_env *env, const char *name, const char *value);
void stack_env_release(struct interp_env *env);

#endif
