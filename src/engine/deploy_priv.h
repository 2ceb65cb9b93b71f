/*
 * deploy_priv.h - what the deploy files share (not a contract outside them).
 *
 * One deploy is a struct deploy: the options, the clients it opened, the
 * stack loaded for one instance and the report being filled.  The files:
 *
 *   deploy_ctx.c       the context: open, load the stack, secrets
 *   deploy.c           the run (phases, undo table), down and clean
 *   deploy_status.c    what runs of an instance and how healthy it is
 *   deploy_preflight.c preflight checks and the initialization phase
 *   deploy_start.c     the deployment phase (scheduler + idempotent apply)
 *   deploy_keycloak.c  the configuration phase: realm, clients, users, federation
 *   deploy_verify.c    the verification phase: health, logins, policy
 *   deploy_store.c     the hub's own state store on a machine with none
 */
#ifndef DIVE_DEPLOY_PRIV_H
#define DIVE_DEPLOY_PRIV_H

#include <pthread.h>

#include "dive/apply.h"
#include "dive/compose.h"
#include "dive/deploy.h"
#include "dive/docker.h"
#include "dive/guard.h"
#include "dive/graph.h"
#include "dive/interp.h"
#include "dive/keycloak.h"
#include "dive/pipeline.h"
#include "dive/ports.h"
#include "dive/engine_store.h"
#include "dive/secrets.h"

#define KC_ADMIN_USER "admin"

struct deploy {
	const struct deploy_opts *o;
	struct store *store;
	struct docker *docker;
	struct secrets_provider *secrets;
	struct interp_table secret_vars;
	struct interp_env stack_env, env;
	int secrets_loaded;
	struct compose *compose;
	int compose_real;            /* loaded with every secret (not placeholders) */
	struct graph *graph;
	struct apply apply;
	char project[64];
	char code_lower[4];
	struct dive_ports ports;
	struct pipeline *p;
	pthread_mutex_t store_mu;    /* the store's connection, shared with scheduler threads (recursive) */
	struct guard_hook docker_guard; /* the docker client's retries and breaker (guard.h) */
	struct guard_hook kc_guard;     /* the Keycloak admin client's, once deploy_keycloak_open() ran */
	int restarted[COMPOSE_SERVICES_MAX];
	int generate_secrets;        /* deploy: create missing secrets; up: an initialised instance, read only */
	struct deploy_report *report;
	/* the engine the instance runs on (issue 18): placed, or asked for by engine of instance.yml / --engine */
	char engine[ENGINE_NAME_MAX + 1];   /* "local" or a row of dive.engines */
	char engine_host[64];               /* its address: where the published ports and probes are */
	int engine_remote;
	struct engine_row engine_row;
};

/* deploy_ctx.c */
int deploy_ctx_open(struct deploy *d, const struct deploy_opts *o, struct store *s);
void deploy_ctx_close(struct deploy *d);
/*
 * A context to look at an instance (status, logs): O filled for KIND and C on DOCKER_HOST,
 * no secrets, then the engine reached (a remote one through its breaker docker:<name>).
 * O must outlive D.  Close D whatever it returns.
 */
int deploy_ctx_observe(struct deploy *d, struct deploy_opts *o, struct store *s, const char *docker_host,
		       enum stack_kind kind, const struct dive_country *c);
/* The stack for this instance: real (every secret) or with placeholders (plan, checks). */
int deploy_load(struct deploy *d, int real);
/* Every secret the stack declares, from the provider; generated when asked (names into generated). */
int deploy_load_secrets(struct deploy *d, int generate, cJSON *generated);
/* A docker client on the local engine (the hub's), for a spoke on a remote one; close it. */
int deploy_local_docker(struct deploy *d, struct docker **out);
/* The deploy a phase runs for, bound to the pipeline it runs in. */
struct deploy *deploy_enter(struct pipeline *p, void *user);

/* deploy_preflight.c */
int deploy_preflight_checks(struct deploy *d);
int deploy_phase_preflight(struct pipeline *p, void *user);
int deploy_phase_initialization(struct pipeline *p, void *user);
int deploy_undo_networks(struct pipeline *p, const char *service, const cJSON *detail, void *user);

/* deploy_start.c */
int deploy_phase_deployment(struct pipeline *p, void *user);
int deploy_undo_start(struct pipeline *p, const char *service, const cJSON *detail, void *user);

/* deploy_keycloak.c */
int deploy_keycloak_open(struct deploy *d, struct kc **out);
void deploy_realm_name(const struct deploy *d, char *out, size_t n);
int deploy_phase_configuration(struct pipeline *p, void *user);
int deploy_undo_realm(struct pipeline *p, const char *service, const cJSON *detail, void *user);
int deploy_undo_federate(struct pipeline *p, const char *service, const cJSON *detail, void *user);
struct fedsync;
/* A federation handle with the deploy's store, engine, secrets and actor. */
int deploy_fedsync_open(struct deploy *d, struct fedsync **out);

/* deploy_verify.c */
int deploy_phase_verification(struct pipeline *p, void *user);

#endif
