/*
 * deploy.h - the hub and spoke stacks through the pipeline (pipeline.h):
 *
 *   preflight       engine, images, free ports (real listeners), disk, the
 *                   hub's health (spokes), the graph; changes nothing
 *   initialization  secrets (generated when missing, provider only),
 *                   networks, volumes
 *   deployment      every service started as soon as its own dependencies
 *                   are ready (sched.h), idempotently (apply.h); readiness
 *                   times recorded (learned timeouts)
 *   configuration   Keycloak: the instance's realm dive-v3-broker-<code> and
 *                   its app client, by field-level diff
 *   verification    every service healthy and every Keycloak object there,
 *                   checked now: nothing is reported that was not checked
 *
 * Known transient faults recovered and recorded: a dead holder's lock (gone
 * with its session), a leftover container of a crashed run (found by label,
 * kept or recreated), the missing shared network (created), a container
 * that turned unhealthy (restarted once).
 */
#ifndef DIVE_DEPLOY_H
#define DIVE_DEPLOY_H

#include <cjson/cJSON.h>

#include "dive/country.h"
#include "dive/instcfg.h"
#include "dive/pipeline.h"
#include "dive/secret.h"
#include "dive/stack.h"
#include "dive/store.h"

struct deploy_opts {
	enum stack_kind kind;
	const struct dive_country *country;   /* USA for the hub */
	const char *mode;                     /* "deploy", "up" */
	const char *actor;                    /* "dive spoke deploy DEU" */
	int resume;
	int from_phase;                       /* -1 */
	int rollback;                         /* 1 auto */
	int parallel;                         /* 0: no cap */
	int dry_run;
	long lock_wait_ms;
	const char *docker_host;
	const char *secrets_spec;             /* NULL: file provider in instances_dir */
	const char *instances_dir;
	void (*progress)(void *user, const struct pipeline_event *ev);
	void *user;
	int bootstrapped;                     /* the state store was just started by deploy_bootstrap_store */
	const struct instcfg *instance;       /* a spoke's configuration (instcfg.h); NULL for the hub */
};

struct deploy_report {
	struct pipeline_result pipeline;
	cJSON *services;       /* [{service, container, created, start_ms, ready_ms, status, timeout_ms, timeout_from}] */
	cJSON *checks;         /* verification: [{check, ok, detail}] */
};

/* "dive-hub" or "dive-spoke-deu". */
void deploy_project(char *out, size_t n, enum stack_kind kind, const struct dive_country *c);

int deploy_run(struct store *s, const struct deploy_opts *o, struct deploy_report *out);
void deploy_report_release(struct deploy_report *r);

/*
 * Status of one instance: state (from s, may be NULL), containers and
 * health.  *healthy is 1 when every service of the stack runs healthy.
 */
int deploy_status(struct store *s, const char *docker_host, enum stack_kind kind, const struct dive_country *c,
		  cJSON **out, int *healthy);

/* Where an instance lives and where its secrets are (for down/clean). */
struct deploy_down_env {
	const char *docker_host;
	const char *instances_dir;
	const char *secrets_spec;     /* NULL: the file provider */
};

/*
 * Remove the instance's containers (and networks; volumes with clean),
 * under its lock, recording CLEANUP -> STOPPED (down) or UNKNOWN (clean).
 * A spoke cleaned away is also withdrawn from the federation (revoked, its
 * hub IdP and client deleted; "federation" or "federation_left" in
 * *removed says which).
 */
int deploy_down(struct store *s, const struct deploy_down_env *env, enum stack_kind kind, const struct dive_country *c,
		int clean, int dry_run, const char *actor, long lock_wait_ms, cJSON **removed);

/*
 * The state store of a machine with none configured: the hub's own
 * PostgreSQL (service "postgres" of the hub stack, published on
 * 127.0.0.1:<PORT_POSTGRES of USA>), database "dive_state", password from
 * the hub's secrets in the provider of DIVE_SECRETS (unguarded: the
 * breakers live in the store that does not exist yet).  deploy_state_url()
 * builds the URL when the hub's password exists (DIVE_ENOTFOUND otherwise);
 * deploy_bootstrap_store()
 * first starts that container (secrets, network, volume, container: the
 * same idempotent steps hub up runs), waits for it and creates the
 * database.  The URL holds the password: it lives in a struct dive_secret.
 */
int deploy_state_url(struct dive_secret *out, const char *instances_dir);
int deploy_bootstrap_store(struct dive_secret *out, const char *docker_host, const char *instances_dir);

#endif
