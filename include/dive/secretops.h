/*
 * secretops.h - what `dive secrets` does with an instance's secrets, through
 * the provider in force (DIVE_SECRETS, secrets.h), guarded (guard.h).
 *
 *   list    the names an instance uses (its stack file's x-dive.secrets and
 *           its federation clients' secrets) and the names its provider holds,
 *           each with whether it is set; never a value (src/engine/secretops.c)
 *   rotate  a new value from the kernel CSPRNG written to the provider, then
 *           applied (src/engine/rotate.c):
 *             stack secrets: a deploy of the instance through the pipeline
 *               (deploy_run), which recreates the services whose
 *               environment holds the secret, updates the instance's
 *               Keycloak client (KEYCLOAK_CLIENT_SECRET) in its
 *               configuration phase and re-runs its verification phase
 *             FEDERATION_<A>_<B>_SECRET: both sides of that federation
 *               (fedsync_approve with the secret marked replaced): the
 *               client in A's realm and B's IdP that signs in with it;
 *               then a deploy of the spoke (nothing recreated), for its
 *               verification phase, which gains the federated login
 *               check with issue 11
 *             secrets a service keeps in its data volume since its first
 *               start (database and admin passwords) are refused, with the
 *               reason: changing the variable would lock the service out
 *   import  secrets from a file exported from GCP Secret Manager, the
 *           predecessor's store (format below), into the provider
 *           (src/engine/secretops.c)
 *
 * Import format: one secret per line, NAME=VALUE, where NAME is the GCP
 * secret's name; blank lines and lines starting with '#' are skipped; at
 * most 4,096 lines, a value at most 4 KiB on one line.  For instance CODE (c
 * its lower case) a name maps to a dive secret as follows, the
 * per-instance names first (predecessor.md §2.9):
 *   dive-v3-postgres-<c>       POSTGRES_PASSWORD
 *   dive-v3-mongodb-<c>        MONGO_PASSWORD
 *   dive-v3-redis-<c>          REDIS_PASSWORD
 *   dive-v3-keycloak-<c>       KEYCLOAK_ADMIN_PASSWORD
 *   dive-v3-client-secret-<c>  KEYCLOAK_CLIENT_SECRET
 *   dive-v3-auth-secret-<c>    AUTH_SECRET
 *   dive-v3-federation-<a>-<b> FEDERATION_<CODE>_<OTHER>_SECRET (a, b sorted,
 *                              one of them c: the pair's one secret serves
 *                              both of dive's directions)
 *   dive-v3-<name>-<c>         <NAME> with '-' as '_' (the uploader's form,
 *                              e.g. dive-v3-postgres-password-<c>)
 * and, for a secret with no per-instance name in the file, the shared
 * fallbacks the predecessor read: dive-v3-postgres-password,
 * dive-v3-mongo-password, dive-v3-redis-password,
 * dive-v3-keycloak-admin-password, dive-v3-keycloak-client-secret,
 * dive-v3-auth-secret.  Only names of secrets the instance uses are
 * imported; others are counted as skipped.  A secret the provider holds
 * already is kept unless overwrite is set.  The whole file is read and
 * checked before anything is written; a malformed line is DIVE_EUSAGE
 * naming its line number, never its value.
 *
 * Reports are JSON for --json and carry names only.
 */
#ifndef DIVE_SECRETOPS_H
#define DIVE_SECRETOPS_H

#include <cjson/cJSON.h>

#include "dive/country.h"
#include "dive/pipeline.h"

struct store;

struct secretops_opts {
	struct store *store;        /* breakers (and, for rotate, the pipeline's state) */
	const char *spec;           /* DIVE_SECRETS; NULL: file */
	const char *instances_dir;
	const char *docker_host;
	const char *actor;          /* "dive secrets rotate DEU KEYCLOAK_CLIENT_SECRET" */
	long lock_wait_ms;
	int dry_run;
	void (*progress)(void *user, const struct pipeline_event *ev);   /* rotate's deploy */
	void *user;
};

/*
 * {provider, where, secrets: [{name, set, use}]}, use "stack", "federation"
 * or "other" (held by the provider, not used by the instance), by name.
 */
int secretops_list(const struct secretops_opts *o, const struct dive_country *c, cJSON **out);

/*
 * {key, how, services, applied, ...}: how is "redeploy" or "federation";
 * with dry_run the plan only (nothing generated or written).  On an error
 * after the write, *out still says what was stored ("stored": true): the
 * new value is in the provider and the next deploy applies it.
 */
int secretops_rotate(const struct secretops_opts *o, const struct dive_country *c, const char *key, cJSON **out);

/* {file, imported: [names], kept: [names], skipped: N}; dry_run writes nothing. */
int secretops_import(const struct secretops_opts *o, const struct dive_country *c, const char *file, int overwrite,
		     cJSON **out);

#endif
