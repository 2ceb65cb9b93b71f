/* deploy_ctx.c - one deploy's context: the clients it opened and the stack loaded for one instance (see deploy_priv.h). */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/engines.h"
#include "dive/guard.h"
#include "dive/opal.h"
#include "dive/error.h"
#include "dive/stack.h"
#include "dive/xalloc.h"

void deploy_project(char *out, size_t n, enum stack_kind kind, const struct dive_country *c)
{
	char lower[4];

	country_lower(lower, c);
	if (kind == STACK_HUB)
		snprintf(out, n, "dive-hub");
	else
		snprintf(out, n, "dive-spoke-%s", lower);
}

/* --- loading ----------------------------------------------------------------- */

int deploy_load(struct deploy *d, int real)
{
	char *path = NULL;
	int rc;

	if (d->compose && (d->compose_real || !real))
		return 0;
	graph_free(d->graph);
	compose_free(d->compose);
	d->graph = NULL;
	d->compose = NULL;
	if ((rc = stack_path(&path, d->o->kind)) < 0)
		return rc;
	d->env.flags = real ? 0 : INTERP_PLACEHOLDERS;
	rc = compose_load(&d->compose, path, &d->env);
	free(path);
	/* what the operator set for this instance (instance.yml), before the graph reads the stack */
	if (rc == 0 && d->o->instance)
		rc = instance_apply(d->compose, &d->o->instance->file);
	if (rc == 0)
		rc = graph_build(&d->graph, d->compose, NULL);
	if (rc == 0)
		rc = apply_init(&d->apply, d->docker, d->compose, d->project, d->o->country->code,
				d->p ? pipeline_run_id(d->p) : 0);
	if (rc == 0 && d->o->instance)
		d->apply.images_as_written = !strcmp(d->o->instance->value[IK_IMAGES_PROFILE], "real");
	d->compose_real = real && rc == 0;
	return rc;
}

/* Every secret the stack declares, from the provider; generated when asked. */
/* --- secrets a server makes ---------------------------------------------------------- */

struct mint_arg {
	struct dive_secret *out;
	const struct dive_secret *master;
	const char *url;
	int check;              /* only ask whether *out is still taken */
};

static int mint_op(void *arg, long *http_status, int *code)
{
	struct mint_arg *a = arg;
	int rc = a->check ? opal_client_token_check(NULL, a->url, a->out)
			  : opal_mint_client_token(NULL, a->out, a->url, a->master);

	if (rc < 0)
		*code = dive_error_last_code();
	if (rc == DIVE_EUSAGE)
		*http_status = 401; /* refused: asking again changes nothing */
	return rc;
}

/*
 * A spoke's OPAL client token: minted by the hub's opal-server with the
 * hub's master token.  check: the token in *out is kept when the server
 * still takes it (0), and DIVE_EUSAGE says it must be minted again (the
 * hub's keys changed with its volume, or the value is no token at all).
 */
static int opal_token(struct deploy *d, struct dive_secret *out, int check)
{
	struct dive_secret master = DIVE_SECRET_INIT;
	struct guard_ops gops;
	struct guard_call call = { 0 };
	struct mint_arg arg;
	struct dive_ports hub;
	char url[64];
	int rc;

	if ((rc = ports_for(&hub, country_find("USA"))) < 0)
		return rc;
	rc = check ? 0 : secrets_get(d->secrets, "USA", "OPAL_AUTH_MASTER_TOKEN", &master);
	if (rc == DIVE_ENOTFOUND)
		rc = dive_error_setc(DIVE_EUSAGE, ERRC_OPAL_TOKEN, "the hub's OPAL master token is not set: run 'dive hub up' "
								   "first");
	if (rc < 0)
		return rc;
	snprintf(url, sizeof(url), "http://%s:%d", DIVE_PORTS_BIND, hub.opal);
	arg.out = out;
	arg.master = &master;
	arg.url = url;
	arg.check = check;
	guard_ops_store(&gops, d->store);
	call.breaker = "opal:usa";
	call.cls = RETRY_HTTP_PROBE;
	call.op = mint_op;
	call.arg = &arg;
	rc = guard_run(&gops, &call, NULL);
	dive_secret_release(&master);
	return rc;
}

/*
 * Secrets that are made by a server, not drawn at random: minted when
 * missing or no longer taken, then kept by the provider (a redeploy with a
 * token still good changes nothing).
 */
static const struct {
	const char *key;
	enum stack_kind kind;
	int (*mint)(struct deploy *d, struct dive_secret *out, int check);
} minted[] = {
	{ "SPOKE_OPAL_TOKEN", STACK_SPOKE, opal_token },
};

static int ensure_secret(struct deploy *d, const char *key, struct dive_secret *v, int *gen)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(minted) / sizeof(minted[0]); i++) {
		if (strcmp(minted[i].key, key) || minted[i].kind != d->o->kind)
			continue;
		*gen = 0;
		rc = secrets_get(d->secrets, d->o->country->code, key, v);
		if (rc == 0) {
			rc = minted[i].mint(d, v, 1);
			if (rc != DIVE_EUSAGE) {
				dive_error_clear();
				return 0; /* taken, or the server cannot say now: keep it */
			}
			dive_secret_release(v);
		} else if (rc != DIVE_ENOTFOUND) {
			return rc;
		}
		if ((rc = minted[i].mint(d, v, 0)) < 0)
			return rc;
		if ((rc = secrets_put(d->secrets, d->o->country->code, key, v)) < 0) {
			dive_secret_release(v);
			return rc;
		}
		*gen = 1;
		return 0;
	}
	return secrets_ensure(d->secrets, d->o->country->code, key, 24, v, gen);
}

int deploy_load_secrets(struct deploy *d, int generate, cJSON *generated)
{
	size_t i;
	int rc = 0;

	if (!d->compose)
		return dive_error_set(DIVE_EFAIL, "internal: stack not loaded");
	for (i = 0; i < d->compose->dive.nsecrets && rc == 0; i++) {
		const char *key = d->compose->dive.secrets[i];
		struct dive_secret v = DIVE_SECRET_INIT;
		int gen = 0;

		rc = generate ? ensure_secret(d, key, &v, &gen) : secrets_get(d->secrets, d->o->country->code, key, &v);
		if (rc == DIVE_ENOTFOUND) {
			if (!generate)
				rc = dive_error_set(DIVE_EUSAGE, "secret '%s' of '%s' is missing: it was never "
								 "initialised (run 'dive %s%s' first)",
						    key, d->o->country->code,
						    d->o->kind == STACK_HUB ? "hub up" : "spoke deploy ",
						    d->o->kind == STACK_HUB ? "" : d->o->country->code);
			dive_error_set_code(ERRC_SECRET_MISSING);
		}
		if (rc == 0) {
			interp_table_set(&d->secret_vars, key, dive_secret_reveal(&v), 1);
			if (gen && generated)
				cJSON_AddItemToArray(generated, cJSON_CreateString(key));
		}
		dive_secret_release(&v);
	}
	d->secrets_loaded = rc == 0;
	return rc;
}

/*
 * Every phase starts here: the steps a phase records (from scheduler threads
 * too) belong to the pipeline it runs in, whichever phase the run began at.
 */
struct deploy *deploy_enter(struct pipeline *p, void *user)
{
	struct deploy *d = user;

	d->p = p;
	return d;
}

/*
 * The engine of the instance: where it is placed (dive.instances.engine),
 * unless engine of instance.yml or --engine names one; a deployed spoke is
 * never moved to another engine by a deploy (refused: ERRC_ENGINE_MOVE).
 */
static int pick_engine(struct deploy *d, const struct deploy_opts *o, struct store *s)
{
	const struct instcfg *ic = o->instance;
	char placed[ENGINE_NAME_MAX + 1] = "";
	int deployed = 0, asked = ic && ic->source[IK_ENGINE] != INSTCFG_DEFAULT, rc;

	snprintf(d->engine, sizeof(d->engine), "%s", ic ? ic->value[IK_ENGINE] : ENGINE_LOCAL);
	if (o->kind != STACK_SPOKE || !s || !s->ready)
		return 0;
	rc = engine_store_placement(s, o->country->code, placed, &deployed);
	if (rc == DIVE_ENOTFOUND) {
		dive_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!asked) {
		snprintf(d->engine, sizeof(d->engine), "%s", placed);
		return 0;
	}
	if (deployed && strcmp(placed, d->engine)) {
		char where[PATH_MAX + 64];

		instcfg_source_text(where, sizeof(where), ic, IK_ENGINE);
		return dive_error_setc(DIVE_ECONFLICT, ERRC_ENGINE_MOVE,
				       "spoke '%s' is placed on engine '%s'; %s asks for '%s' and dive does not move a "
				       "deployed spoke ('dive spoke clean %s' first)",
				       o->country->code, placed, where, d->engine, o->country->code);
	}
	return 0;
}

/*
 * What crosses engines (docs/architecture/federation.md, "Spokes on other
 * engines"): the hub publishes the ports spokes use on DIVE_HUB_ADDR as
 * well (DIVE_HUB_BIND: the same 127.0.0.1 entry again when unset, which the
 * stack reader drops); a spoke on a remote engine names its engine's host
 * as its public address (its Keycloak's issuer) and reaches the hub's OPAL
 * server and backend at DIVE_HUB_ADDR, the shared network ending at its
 * engine.  The local engine's variables stay as they were.
 */
static int remote_env(struct deploy *d, const struct deploy_opts *o)
{
	char hub_addr[64], url[128];
	struct dive_ports hub;
	int rc;

	if ((rc = engines_hub_addr(hub_addr, sizeof(hub_addr))) < 0)
		return rc;
	if (o->kind == STACK_HUB) {
		stack_env_set(&d->stack_env, "DIVE_HUB_BIND", hub_addr[0] ? hub_addr : DIVE_PORTS_BIND);
		return 0;
	}
	if (!d->engine_remote)
		return 0;
	stack_env_set(&d->stack_env, "DIVE_PUBLIC_HOST", d->engine_host);
	if (!hub_addr[0] || (rc = ports_for(&hub, country_find("USA"))) < 0)
		return 0; /* the federation step says what is missing */
	engines_http_url(url, sizeof(url), hub_addr, hub.opal);
	stack_env_set(&d->stack_env, "HUB_OPAL_URL", url);
	if (!o->instance || o->instance->source[IK_HUB_URL] == INSTCFG_DEFAULT) {
		engines_http_url(url, sizeof(url), hub_addr, hub.backend);
		stack_env_set(&d->stack_env, "HUB_URL", url);
	}
	return 0;
}

int deploy_local_docker(struct deploy *d, struct docker **out)
{
	int rc = docker_open(out, d->o->docker_host, NULL);

	if (rc == 0 && (rc = docker_negotiate(*out)) < 0)
		dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
	return rc;
}

int deploy_ctx_open(struct deploy *d, const struct deploy_opts *o, struct store *s)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->o = o;
	d->store = s;
	{
		pthread_mutexattr_t attr;

		/* guarded Docker calls take it too, and some are made while a step holds it */
		pthread_mutexattr_init(&attr);
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&d->store_mu, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	deploy_project(d->project, sizeof(d->project), o->kind, o->country);
	country_lower(d->code_lower, o->country);
	if ((rc = ports_for(&d->ports, o->country)) < 0)
		return rc;
	if ((rc = pick_engine(d, o, s)) < 0)
		return rc;
	if ((rc = engines_open(&d->docker, &d->engine_row, s, d->engine, o->docker_host)) < 0)
		return rc;
	d->engine_remote = strcmp(d->engine, ENGINE_LOCAL) != 0;
	if (d->engine_remote)
		engines_url_host(d->engine_host, sizeof(d->engine_host), d->engine_row.url);
	else
		snprintf(d->engine_host, sizeof(d->engine_host), "%s", DIVE_PORTS_BIND);
	{
		char breaker[BREAKER_NAME_MAX + 1];

		engines_breaker_name(breaker, d->engine_remote ? d->engine : NULL);
		guard_docker_install(d->docker, &d->docker_guard, s, &d->store_mu, breaker);
	}
	if ((rc = guard_secrets_open(&d->secrets, o->secrets_spec, o->instances_dir, s)) < 0)
		return rc;
	if ((rc = stack_env_for(&d->stack_env, o->country)) < 0)
		return rc;
	stack_env_set(&d->stack_env, "DIVE_ENGINE_ADDR", d->engine_host);
	if (o->instance) {
		stack_env_set(&d->stack_env, "DIVE_INSTANCE_NAME", o->instance->value[IK_DISPLAY_NAME]);
		stack_env_set(&d->stack_env, "HUB_URL", o->instance->value[IK_HUB_URL]);
	}
	if ((rc = remote_env(d, o)) < 0)
		return rc;
	interp_env_table(&d->env, &d->secret_vars, &d->stack_env);
	return 0;
}

void deploy_ctx_close(struct deploy *d)
{
	apply_events_stop(&d->apply);
	graph_free(d->graph);
	compose_free(d->compose);
	stack_env_release(&d->stack_env);
	interp_table_release(&d->secret_vars);
	secrets_close(d->secrets);
	docker_close(d->docker);
	pthread_mutex_destroy(&d->store_mu);
}

int deploy_ctx_observe(struct deploy *d, struct deploy_opts *o, struct store *s, const char *docker_host,
		       enum stack_kind kind, const struct dive_country *c)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->country = c;
	o->docker_host = docker_host;
	o->instances_dir = ".";
	o->secrets_spec = "env";
	rc = deploy_ctx_open(d, o, s);
	if (rc == 0)
		rc = d->engine_remote && s && s->ready ? engines_connect(d->docker, s, d->engine, NULL)
						      : docker_negotiate(d->docker);
	return rc;
}
