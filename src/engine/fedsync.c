/* fedsync.c - the federation handle: guarded calls, locks, sessions, addresses, secrets, objects and actions (see fedsync.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/deploy.h"
#include "dive/compose.h"
#include "dive/docker.h"
#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedsync.h"
#include "dive/guard.h"
#include "dive/lock.h"
#include "dive/log.h"
#include "dive/mongo.h"
#include "dive/oidc.h"
#include "dive/policy.h"
#include "dive/ports.h"
#include "dive/secrets.h"
#include "dive/settings.h"
#include "dive/stack.h"
#include "dive/state_machine.h"
#include "dive/store.h"
#include "dive/xalloc.h"

#include "fedsync_priv.h"

/* --- fsx_guarded calls ------------------------------------------------------------- */


static int call_op(void *arg, long *http_status, int *code)
{
	struct call *c = arg;
	int rc = c->fn(c);

	if (c->kc)
		*http_status = c->kc->last_status;
	/*
	 * "not there" is an answer, not an endpoint failure: neither retried
	 * nor counted (kc_client_find() reports an absent client after a 200)
	 */
	if (rc == DIVE_ENOTFOUND)
		*http_status = 404;
	if (rc < 0)
		*code = dive_error_last_code();
	return rc;
}

int fsx_guarded(struct fedsync *fs, const char *breaker, enum retry_class cls, struct call *c)
{
	struct guard_call g;

	memset(&g, 0, sizeof(g));
	g.breaker = breaker;
	g.cls = cls;
	g.op = call_op;
	g.arg = c;
	c->fs = fs;
	return guard_run(&fs->gops, &g, NULL);
}

static void kc_breaker(char out[32], const char *code)
{
	char lower[4];
	int i;

	for (i = 0; i < 3 && code[i]; i++)
		lower[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] - 'A' + 'a' : code[i]);
	lower[i] = '\0';
	snprintf(out, 32, "keycloak:%s", lower);
}

int fsx_kguard(struct fedsync *fs, const char *code, struct call *c)
{
	char breaker[32];

	kc_breaker(breaker, code);
	return fsx_guarded(fs, breaker, RETRY_KEYCLOAK, c);
}

int fsx_mguard(struct fedsync *fs, struct call *c)
{
	return fsx_guarded(fs, "mongo:hub", RETRY_MONGODB, c);
}

/* Keycloak calls. */
static int fn_login(struct call *c)
{
	int rc = kc_login(c->kc, KC_ADMIN_USER, dive_secret_reveal(c->secret));

	if (rc < 0 && !dive_error_last_code())
		dive_error_set_code(rc == DIVE_EUSAGE ? ERRC_KEYCLOAK_AUTH_FAILED : ERRC_KEYCLOAK_UNREACHABLE);
	return rc;
}

/* One page of the realm's IdPs: c->name is the admin path with first and max. */
int fsx_fn_idp_page(struct call *c)
{
	int rc = kc_admin(c->kc, c->json, "GET", c->name, NULL);

	if (rc == 0 && !cJSON_IsArray(*c->json)) {
		cJSON_Delete(*c->json);
		*c->json = NULL;
		return dive_error_set(DIVE_EFAIL, "keycloak: the identity providers of realm '%s' are not a list", c->realm);
	}
	return rc;
}

int fsx_fn_idp_get(struct call *c)
{
	return kc_idp_get(c->kc, c->json, c->realm, c->name);
}

static int fn_idp_apply(struct call *c)
{
	return kc_idp_apply(c->kc, c->res, c->realm, c->desired, c->secret);
}

static int fn_idp_secret(struct call *c)
{
	return kc_idp_set_secret(c->kc, c->res, c->realm, c->name, c->secret);
}

static int fn_idp_enable(struct call *c)
{
	return kc_idp_set_enabled(c->kc, c->res, c->realm, c->name, c->enabled);
}

static int fn_idp_delete(struct call *c)
{
	return kc_idp_delete(c->kc, c->res, c->realm, c->name);
}

static int fn_idp_mapper(struct call *c)
{
	return kc_idp_mapper_apply(c->kc, c->res, c->realm, c->name, c->desired);
}

int fsx_fn_client_find(struct call *c)
{
	return kc_client_find(c->kc, c->json, c->realm, c->name);
}

static int fn_client_apply(struct call *c)
{
	return kc_client_apply(c->kc, c->res, c->realm, c->desired, c->secret);
}

static int fn_client_mapper(struct call *c)
{
	return kc_client_mapper_apply(c->kc, c->res, c->realm, c->name, c->desired);
}

static int fn_client_delete(struct call *c)
{
	return kc_client_delete(c->kc, c->res, c->realm, c->name);
}

int fsx_fn_user_delete(struct call *c)
{
	return kc_user_delete(c->kc, c->res, c->realm, c->name);
}

/* Store calls. */
int fsx_fn_list(struct call *c)
{
	return fedstore_list(c->fs->store, c->list);
}

int fsx_fn_get(struct call *c)
{
	fed_spoke_release(c->spoke);
	return fedstore_get(c->fs->store, c->spoke, c->name);
}

int fsx_fn_register(struct call *c)
{
	fed_spoke_release(c->spoke);
	return fedstore_register(c->fs->store, c->spoke, c->reg);
}

int fsx_fn_transition(struct call *c)
{
	fed_spoke_release(c->spoke);
	return fedstore_transition(c->fs->store, c->spoke, c->name, c->to, c->note);
}

/* Engine calls. */
int fsx_fn_stack(struct call *c)
{
	int healthy = 0;

	cJSON_Delete(*c->json);
	*c->json = NULL;
	return deploy_status(c->fs->o.store, c->fs->o.docker_host, STACK_SPOKE, c->country, c->json, &healthy);
}

int fsx_fn_containers(struct call *c)
{
	static const char *const labels[] = { "dive.instance", NULL };
	int rc;

	if (!c->fs->docker && (rc = docker_open(&c->fs->docker, c->fs->o.docker_host, NULL)) < 0)
		return rc;
	if ((rc = docker_negotiate(c->fs->docker)) < 0) {
		dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
		return rc;
	}
	cJSON_Delete(*c->json);
	*c->json = NULL;
	return docker_container_list(c->fs->docker, c->json, labels);
}

/* --- the handle ---------------------------------------------------------------- */

int fedsync_open(struct fedsync **out, const struct fedsync_opts *o)
{
	struct fedsync *fs;
	struct dive_ports hub;
	const char *url = o->store_url;
	char def[64];
	int rc;

	*out = NULL;
	if (!o->store || !o->store->url)
		return dive_error_set(DIVE_EFAIL, "internal: the federation needs the state store");
	if (!url) {
		const char *e = getenv(FEDSYNC_STORE_URL_ENV);

		if (e && *e)
			url = e;
	}
	if (url && strlen(url) > STORE_URL_MAX)
		return dive_error_set(DIVE_EUSAGE, "the federation store URL is longer than %d bytes", STORE_URL_MAX);
	if (!url) {
		if ((rc = ports_for(&hub, country_find(FED_HUB_CODE))) < 0)
			return rc;
		snprintf(def, sizeof(def), "mongodb://%s:%d/", DIVE_PORTS_BIND, hub.mongodb);
		url = def;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->o = *o;
	guard_ops_store(&fs->gops, o->store);
	rc = mongo_open(&fs->mongo, url, "dive-federation");
	if (rc == 0)
		rc = fedstore_open(&fs->store, fs->mongo, o->db);
	if (rc == 0)
		rc = guard_secrets_open(&fs->secrets, o->secrets_spec, o->instances_dir, o->store);
	if (rc < 0) {
		fedsync_close(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void fsx_unlock_code(struct fedsync *fs)
{
	lock_release(fs->lock_shared);
	lock_release(fs->lock_instance);
	fs->lock_shared = fs->lock_instance = NULL;
}

void fedsync_close(struct fedsync *fs)
{
	size_t i;

	if (!fs)
		return;
	fsx_unlock_code(fs);
	for (i = 0; i < fs->nsessions; i++)
		kc_close(fs->sessions[i].kc);
	for (i = 0; i < fs->ngenerated; i++)
		free(fs->generated[i]);
	free(fs->generated);
	docker_close(fs->docker);
	secrets_close(fs->secrets);
	fedstore_close(fs->store);
	mongo_close(fs->mongo);
	free(fs);
}

/*
 * instance:<CODE>, then hub:shared (lock.h refuses the other order).  With
 * FEDSYNC_LOCKED the caller (a pipeline run) holds the instance lock on its
 * own connection already: only hub:shared is taken here.
 */
int fsx_lock_code_flags(struct fedsync *fs, const char *code, unsigned flags)
{
	struct lock_request req;
	char name[32];
	int rc = 0;

	memset(&req, 0, sizeof(req));
	req.command = fs->o.actor ? fs->o.actor : "dive federation";
	req.wait_ms = fs->o.lock_wait_ms;
	lock_name_instance(name, code);
	if (!(flags & FEDSYNC_LOCKED))
		rc = lock_acquire(&fs->lock_instance, fs->o.store->url, name, &req, NULL);
	if (rc == 0)
		rc = lock_acquire(&fs->lock_shared, fs->o.store->url, DIVE_LOCK_SHARED, &req, NULL);
	if (rc < 0) {
		if (rc == DIVE_ELOCKED)
			dive_error_set_code(ERRC_LOCK_HELD);
		fsx_unlock_code(fs);
	}
	return rc;
}

int fsx_lock_code(struct fedsync *fs, const char *code)
{
	return fsx_lock_code_flags(fs, code, 0);
}

/* The admin fsx_session of code's Keycloak, logged in once per handle. */
int fsx_session(struct fedsync *fs, struct kc **out, const char *code)
{
	const struct dive_country *c = country_find(code);
	struct dive_secret pw = DIVE_SECRET_INIT;
	struct dive_ports p;
	struct call call;
	struct kc *kc = NULL;
	char url[ENGINE_URL_MAX + 32];
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < fs->nsessions; i++)
		if (!strcmp(fs->sessions[i].code, code)) {
			*out = fs->sessions[i].kc;
			return 0;
		}
	if (!c)
		return dive_error_set(DIVE_EUSAGE, "'%.8s' is not a code of the country table", code);
	if (fs->nsessions == SESSIONS_MAX)
		return dive_error_set(DIVE_EFAIL, "internal: too many Keycloak sessions");
	if ((rc = ports_for(&p, c)) < 0)
		return rc;
	rc = secrets_get(fs->secrets, c->code, KC_ADMIN_PASSWORD_KEY, &pw);
	if (rc < 0) {
		if (rc == DIVE_ENOTFOUND) {
			rc = dive_error_set(DIVE_EUSAGE, "secret '%s' of '%s' is not set: deploy it first", KC_ADMIN_PASSWORD_KEY,
					    c->code);
			dive_error_set_code(ERRC_SECRET_MISSING);
		}
		return rc;
	}
	{
		char host[ENGINE_URL_MAX + 1];

		/* a spoke's published ports are on its engine's host */
		if ((rc = engines_instance_host(host, sizeof(host), NULL, fs->o.store, c->code)) < 0) {
			dive_secret_release(&pw);
			return rc;
		}
		engines_http_url(url, sizeof(url), host, p.keycloak_http);
	}
	if ((rc = kc_open(&kc, url, NULL)) < 0) {
		dive_secret_release(&pw);
		return rc;
	}
	memset(&call, 0, sizeof(call));
	call.fn = fn_login;
	call.kc = kc;
	call.secret = &pw;
	rc = fsx_kguard(fs, c->code, &call);
	dive_secret_release(&pw);
	if (rc < 0) {
		kc_close(kc);
		return rc;
	}
	snprintf(fs->sessions[fs->nsessions].code, 4, "%s", c->code);
	fs->sessions[fs->nsessions++].kc = kc;
	*out = kc;
	return 0;
}

/* --- names, addresses and secrets -------------------------------------------------- */

/* base + suffix, without a doubled slash. */
static void join(char *out, size_t n, const char *base, const char *suffix)
{
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	snprintf(out, n, "%.*s%s", (int)len, base, suffix);
}

static void trim_slashes(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && s[len - 1] == '/')
		s[--len] = '\0';
}


/* The hub's Keycloak, or a spoke's: from its registration when there is one, else from ports.h. */
void fsx_addr_of(struct addr *a, const char *code, const struct fed_spoke *reg)
{
	const struct dive_country *c = country_find(code);
	struct dive_ports p;
	char lower[4] = "";

	memset(a, 0, sizeof(*a));
	a->display = c ? c->name : code;
	if (c) {
		country_lower(lower, c);
		if (ports_for(&p, c) == 0)
			snprintf(a->public_, sizeof(a->public_), "http://%s:%d", PUBLIC_HOST, p.keycloak_http);
		snprintf(a->internal, sizeof(a->internal), "http://keycloak-%s:%d", lower, KC_INTERNAL_PORT);
	}
	if (reg && reg->idp_url && reg->idp_url[0])
		snprintf(a->internal, sizeof(a->internal), "%s", reg->idp_url);
	if (reg && reg->idp_public_url && reg->idp_public_url[0])
		snprintf(a->public_, sizeof(a->public_), "%s", reg->idp_public_url);
	if (!a->public_[0])
		snprintf(a->public_, sizeof(a->public_), "%s", a->internal);
	trim_slashes(a->public_);
	trim_slashes(a->internal);
}

/*
 * The hub's Keycloak as the spoke of reg reaches it.  A spoke whose
 * registration names another back channel than its container on the shared
 * network runs on another engine (fedsync_register): it reaches the hub at
 * DIVE_HUB_ADDR, where the hub publishes its Keycloak too; the public
 * address (the hub's issuer) is the same for everyone.
 */
int fsx_reg_remote(const struct fed_spoke *reg)
{
	struct addr local;
	size_t n;

	if (!reg || !reg->idp_url || !reg->idp_url[0] || !reg->idp_public_url || !reg->idp_public_url[0])
		return 0;
	fsx_addr_of(&local, reg->code, NULL);
	n = strlen(local.internal);
	return strncmp(reg->idp_url, local.internal, n) || (reg->idp_url[n] && reg->idp_url[n] != '/');
}

int fsx_addr_hub(struct addr *a, const struct fed_spoke *reg)
{
	struct dive_ports p;
	char hub_addr[64];
	int rc;

	fsx_addr_of(a, FED_HUB_CODE, NULL);
	if (!fsx_reg_remote(reg))
		return 0;
	if ((rc = engines_hub_addr(hub_addr, sizeof(hub_addr))) < 0)
		return rc;
	if (!hub_addr[0])
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID,
				       "spoke '%s' runs on another engine (its Keycloak is at %.200s) and reaches the hub "
				       "only at DIVE_HUB_ADDR, which is not set",
				       reg->code, reg->idp_url);
	if ((rc = ports_for(&p, country_find(FED_HUB_CODE))) < 0)
		return rc;
	engines_http_url(a->internal, sizeof(a->internal), hub_addr, p.keycloak_http);
	return 0;
}

/* FEDERATION_<OWNER>_<USER>_SECRET, kept under owner (whose realm holds the client). */
static void secret_key(char out[64], const char *owner, const char *user)
{
	snprintf(out, 64, "FEDERATION_%.3s_%.3s_SECRET", owner, user);
}

static int generated_here(const struct fedsync *fs, const char *owner, const char *key)
{
	size_t i, n = strlen(owner);

	for (i = 0; i < fs->ngenerated; i++)
		if (!strncmp(fs->generated[i], owner, n) && fs->generated[i][n] == '/' &&
		    !strcmp(fs->generated[i] + n + 1, key))
			return 1;
	return 0;
}

int fsx_client_secret(struct fedsync *fs, struct dive_secret *out, int *fresh, const char *owner, const char *user)
{
	char key[64];
	int gen = 0, rc;

	secret_key(key, owner, user);
	rc = secrets_ensure(fs->secrets, owner, key, SECRET_BYTES, out, &gen);
	if (rc < 0) {
		if (!dive_error_last_code())
			dive_error_set_code(ERRC_CLIENT_SECRET);
		return rc;
	}
	if (gen)
		fedsync_secret_replaced(fs, owner, key);
	*fresh = generated_here(fs, owner, key);
	return 0;
}

void fedsync_secret_replaced(struct fedsync *fs, const char *owner, const char *key)
{
	if (generated_here(fs, owner, key))
		return;
	fs->generated = xrealloc(fs->generated, (fs->ngenerated + 1) * sizeof(*fs->generated));
	fs->generated[fs->ngenerated++] = xasprintf("%s/%s", owner, key);
}

static void note_changed(struct kc_result *res, const char *what)
{
	size_t len = strlen(res->changed);

	if (res->outcome == KC_CREATED || strstr(res->changed, what))
		return;
	if (res->outcome == KC_UNCHANGED)
		res->outcome = KC_UPDATED;
	snprintf(res->changed + len, sizeof(res->changed) - len, "%s%s", len ? ", " : "", what);
}

/* --- desired objects ---------------------------------------------------------------- */

/* The IdP of one side: in the hub realm for the spoke, or in the spoke realm for the hub. */
static int desired_idp(cJSON **out, const struct fed_names *n, enum fed_side side, const struct fed_spoke *reg,
		       int enabled)
{
	struct addr other;
	char issuer[URL_MAX + 64], back[URL_MAX + 64];
	const char *realm_of_other = side == FED_SIDE_HUB ? n->spoke_realm : n->hub_realm;
	char path[64];
	int rc;

	if (side == FED_SIDE_HUB)
		fsx_addr_of(&other, n->code, reg);
	else if ((rc = fsx_addr_hub(&other, reg)) < 0)
		return rc;
	snprintf(path, sizeof(path), "/realms/%s", realm_of_other);
	join(issuer, sizeof(issuer), other.public_, path);
	join(back, sizeof(back), other.internal, path);
	rc = kc_desired_oidc_idp(out, side == FED_SIDE_HUB ? n->hub_idp : n->spoke_idp, other.display, issuer, back,
				 side == FED_SIDE_HUB ? n->spoke_client : n->hub_client, "FORCE");
	if (rc == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(*out, "enabled");
		if (enabled >= 0)
			cJSON_AddBoolToObject(*out, "enabled", enabled);
	}
	return rc;
}

/* The client of one side, used by the other side's IdP: its redirect URI is that IdP's broker endpoint. */
static int desired_client(cJSON **out, const struct fed_names *n, enum fed_side side, const struct fed_spoke *reg)
{
	struct addr other;
	char redirect[URL_MAX + 128], path[128];
	const char *redirects[2] = { redirect, NULL };

	if (side == FED_SIDE_HUB) {
		fsx_addr_of(&other, n->code, reg);
		snprintf(path, sizeof(path), "/realms/%s/broker/%s/endpoint", n->spoke_realm, n->spoke_idp);
	} else {
		fsx_addr_of(&other, FED_HUB_CODE, NULL);
		snprintf(path, sizeof(path), "/realms/%s/broker/%s/endpoint", n->hub_realm, n->hub_idp);
	}
	join(redirect, sizeof(redirect), other.public_, path);
	return kc_desired_client(out, side == FED_SIDE_HUB ? n->hub_client : n->spoke_client, redirects, NULL);
}

/* Whether a live hub IdP differs from dive's in a managed field ("enabled" is judged apart). */
int fsx_idp_misconfigured(const cJSON *live, const struct fed_spoke *reg)
{
	struct fed_names n;
	cJSON *desired = NULL;
	int d;

	if (federation_names(&n, reg->code) < 0 || desired_idp(&desired, &n, FED_SIDE_HUB, reg, -1) < 0) {
		dive_error_clear();
		return 1; /* dive cannot even say what it should be */
	}
	d = kc_rep_diff(live, desired, NULL, 0);
	cJSON_Delete(desired);
	return d > 0;
}

/* --- actions -------------------------------------------------------------------------- */

void fsx_report_add(struct fedsync_report *r, const struct fed_action *a)
{
	struct fedsync_step *s;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	s = &r->v[r->n++];
	memset(s, 0, sizeof(*s));
	s->action = *a;
}

void fsx_action(struct fed_action *a, const char *code, enum fed_op op, enum fed_obj obj, enum fed_side side,
		   enum fed_drift because, int enabled)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->code, sizeof(a->code), "%s", code);
	a->op = op;
	a->obj = obj;
	a->side = side;
	a->because = because;
	a->enabled = enabled;
}

static int ensure_client(struct fedsync *fs, struct kc *kc, const struct fed_action *a, const struct fed_names *n,
			 const struct fed_spoke *reg, struct kc_result *res)
{
	const char *code = a->side == FED_SIDE_HUB ? FED_HUB_CODE : n->code;
	const char *realm = a->side == FED_SIDE_HUB ? n->hub_realm : n->spoke_realm;
	const char *client_id = a->side == FED_SIDE_HUB ? n->hub_client : n->spoke_client;
	struct dive_secret secret = DIVE_SECRET_INIT;
	cJSON *desired = NULL, *mappers = NULL;
	const cJSON *m;
	struct call call;
	int rc, fresh = 0;

	if ((rc = desired_client(&desired, n, a->side, reg)) < 0)
		return rc;
	/* the client's secret is kept under the instance whose realm holds it */
	rc = fsx_client_secret(fs, &secret, &fresh, code, a->side == FED_SIDE_HUB ? n->code : FED_HUB_CODE);
	if (rc == 0) {
		memset(&call, 0, sizeof(call));
		call.fn = fn_client_apply;
		call.kc = kc;
		call.realm = realm;
		call.desired = desired;
		call.secret = &secret;
		call.res = res;
		rc = fsx_kguard(fs, code, &call);
		if (rc < 0 && !dive_error_last_code())
			dive_error_set_code(ERRC_CLIENT_CREATE);
	}
	dive_secret_release(&secret);
	if (rc == 0)
		rc = kc_desired_client_mappers(&mappers);
	if (rc < 0)
		goto out;
	cJSON_ArrayForEach(m, mappers) {
		struct kc_result mres = { 0 };

		memset(&call, 0, sizeof(call));
		call.fn = fn_client_mapper;
		call.kc = kc;
		call.realm = realm;
		call.name = client_id;
		call.desired = m;
		call.res = &mres;
		if ((rc = fsx_kguard(fs, code, &call)) < 0)
			break;
		if (mres.outcome != KC_UNCHANGED)
			note_changed(res, "protocol mappers");
	}
out:
	cJSON_Delete(mappers);
	cJSON_Delete(desired);
	return rc;
}

static int ensure_idp(struct fedsync *fs, struct kc *kc, const struct fed_action *a, const struct fed_names *n,
		      const struct fed_spoke *reg, struct kc_result *res)
{
	const char *code = a->side == FED_SIDE_HUB ? FED_HUB_CODE : n->code;
	const char *realm = a->side == FED_SIDE_HUB ? n->hub_realm : n->spoke_realm;
	const char *alias = a->side == FED_SIDE_HUB ? n->hub_idp : n->spoke_idp;
	/* the IdP signs in with the other side's client, whose secret that side keeps */
	const char *owner = a->side == FED_SIDE_HUB ? n->code : FED_HUB_CODE;
	const char *user = a->side == FED_SIDE_HUB ? FED_HUB_CODE : n->code;
	struct dive_secret secret = DIVE_SECRET_INIT;
	cJSON *desired = NULL, *mappers = NULL;
	const cJSON *m;
	struct call call;
	int rc, fresh = 0;

	if ((rc = desired_idp(&desired, n, a->side, reg, a->enabled)) < 0)
		return rc;
	rc = fsx_client_secret(fs, &secret, &fresh, owner, user);
	if (rc == 0) {
		memset(&call, 0, sizeof(call));
		call.fn = fn_idp_apply;
		call.kc = kc;
		call.realm = realm;
		call.desired = desired;
		call.secret = &secret;
		call.res = res;
		rc = fsx_kguard(fs, code, &call);
		if (rc < 0 && !dive_error_last_code())
			dive_error_set_code(ERRC_IDP_CREATE);
	}
	if (rc == 0 && fresh && res->outcome != KC_CREATED) {
		/* a secret generated now: the IdP that existed holds another one, and Keycloak never shows it */
		struct kc_result sres = { 0 };

		memset(&call, 0, sizeof(call));
		call.fn = fn_idp_secret;
		call.kc = kc;
		call.realm = realm;
		call.name = alias;
		call.secret = &secret;
		call.res = &sres;
		if ((rc = fsx_kguard(fs, code, &call)) == 0)
			note_changed(res, "config.clientSecret");
	}
	dive_secret_release(&secret);
	if (rc == 0)
		rc = kc_desired_idp_mappers(&mappers, alias);
	if (rc < 0)
		goto out;
	cJSON_ArrayForEach(m, mappers) {
		struct kc_result mres = { 0 };

		memset(&call, 0, sizeof(call));
		call.fn = fn_idp_mapper;
		call.kc = kc;
		call.realm = realm;
		call.name = alias;
		call.desired = m;
		call.res = &mres;
		if ((rc = fsx_kguard(fs, code, &call)) < 0)
			break;
		if (mres.outcome != KC_UNCHANGED)
			note_changed(res, "mappers");
	}
out:
	cJSON_Delete(mappers);
	cJSON_Delete(desired);
	return rc;
}

/* Carry out one fsx_action; reg is the spoke's registration (its URLs), or NULL. */
static int run_step(struct fedsync *fs, struct fedsync_step *st, const struct fed_spoke *reg)
{
	const struct fed_action *a = &st->action;
	const char *code = a->side == FED_SIDE_HUB ? FED_HUB_CODE : a->code;
	struct kc_result res = { 0 };
	struct fed_names n;
	const char *realm, *name;
	struct call call;
	struct kc *kc = NULL;
	int rc;

	fed_action_target(a, &realm, &name, &n);
	if ((rc = fsx_session(fs, &kc, code)) < 0)
		return rc;
	memset(&call, 0, sizeof(call));
	call.kc = kc;
	call.realm = realm;
	call.name = name;
	call.res = &res;
	switch (a->op) {
	case FED_OP_ENSURE:
		rc = a->obj == FED_OBJ_CLIENT ? ensure_client(fs, kc, a, &n, reg, &res) : ensure_idp(fs, kc, a, &n, reg, &res);
		break;
	case FED_OP_ENABLE:
	case FED_OP_DISABLE:
		call.fn = fn_idp_enable;
		call.enabled = a->op == FED_OP_ENABLE;
		rc = fsx_kguard(fs, code, &call);
		if (rc == DIVE_ENOTFOUND && a->op == FED_OP_DISABLE) {
			res.outcome = KC_UNCHANGED; /* no IdP: nothing offers it */
			rc = 0;
		}
		break;
	case FED_OP_DELETE:
		call.fn = a->obj == FED_OBJ_IDP ? fn_idp_delete : fn_client_delete;
		rc = fsx_kguard(fs, code, &call);
		break;
	case FED_OP_RESET_SECRET: {
		/* the IdP signs in with the other side's client, whose secret that side keeps */
		struct dive_secret secret = DIVE_SECRET_INIT;
		int fresh = 0;

		rc = fsx_client_secret(fs, &secret, &fresh, a->side == FED_SIDE_HUB ? n.code : FED_HUB_CODE,
				   a->side == FED_SIDE_HUB ? FED_HUB_CODE : n.code);
		if (rc == 0) {
			call.fn = fn_idp_secret;
			call.secret = &secret;
			rc = fsx_kguard(fs, code, &call);
		}
		dive_secret_release(&secret);
		break;
	}
	default:
		rc = dive_error_set(DIVE_EFAIL, "internal: unknown federation fsx_action");
	}
	if (rc < 0) {
		if (!dive_error_last_code())
			dive_error_set_code(ERRC_FEDERATION_SETUP);
		return rc;
	}
	st->done = 1;
	st->outcome = res.outcome;
	snprintf(st->changed, sizeof(st->changed), "%s", res.changed);
	return 0;
}

/* Run the steps from first on; stop at the first failure. */
int fsx_run_steps(struct fedsync *fs, struct fedsync_report *r, size_t first, const struct fed_spoke *reg)
{
	size_t i;
	int rc;

	for (i = first; i < r->n; i++)
		if ((rc = run_step(fs, &r->v[i], reg)) < 0)
			return rc;
	return 0;
}

void fedsync_report_release(struct fedsync_report *r)
{
	if (!r)
		return;
	free(r->v);
	free(r->failures);
	fed_spoke_release(&r->spoke);
	memset(r, 0, sizeof(*r));
}

int fsx_check_spoke(const struct dive_country *c)
{
	if (!c || c->kind == DIVE_COUNTRY_HUB)
		return dive_error_set(DIVE_EUSAGE, "internal: the federation verbs take a spoke");
	return 0;
}
