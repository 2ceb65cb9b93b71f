/* fedsync_layers.c - the three federation layers read, observed and audited, with login probes (see fedsync.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/deploy.h"
#include "dive/compose.h"
#include "dive/docker.h"
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

/* --- layer 1, 2, 3 ------------------------------------------------------------------ */


void fsx_layers_release(struct layers *l)
{
	cJSON_Delete(l->idps);
	fed_spoke_list_release(&l->regs);
	free(l->idp_obs);
	free(l->reg_obs);
	free(l->stack_obs);
	memset(l, 0, sizeof(*l));
}

const struct fed_spoke *fsx_layers_reg(const struct layers *l, const char *code)
{
	size_t i;

	for (i = 0; i < l->regs.n; i++)
		if (!strcmp(l->regs.v[i].code, code))
			return &l->regs.v[i];
	return NULL;
}

/* Containers of code's stack from deploy_status(): how many, running, healthy, and its state. */
int fsx_observe_stack(struct fedsync *fs, struct fed_stack_obs *out, const struct dive_country *c)
{
	struct call call;
	cJSON *doc = NULL;
	const cJSON *s;
	enum dive_state st;
	const char *state;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_stack;
	call.country = c;
	call.json = &doc;
	if ((rc = fsx_guarded(fs, "docker", RETRY_DOCKER, &call)) < 0) {
		cJSON_Delete(doc);
		return rc;
	}
	out->code = c->code;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "services")) {
		const char *cs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "state"));

		if (!cs || !strcmp(cs, "missing"))
			continue;
		out->containers++;
		if (!strcmp(cs, "running")) {
			out->running++;
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "healthy")))
				out->healthy++;
		}
	}
	state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "state"));
	if (state && dive_state_parse(&st, state) == 0)
		out->state = dive_state_name(st); /* a static string that outlives doc */
	dive_error_clear();
	cJSON_Delete(doc);
	return 0;
}

/* Mark the spoke codes whose stacks have containers on the engine (dive's labels). */
static int mark_running_stacks(struct fedsync *fs, unsigned char *marks)
{
	struct call call;
	cJSON *list = NULL;
	const cJSON *ct;
	int rc;

	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_containers;
	call.json = &list;
	if ((rc = fsx_guarded(fs, "docker", RETRY_DOCKER, &call)) < 0) {
		cJSON_Delete(list);
		return rc;
	}
	cJSON_ArrayForEach(ct, list) {
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(ct, "Labels");
		const char *project = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "dive.project"));
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "dive.instance"));
		const struct dive_country *c = code ? country_find(code) : NULL;

		if (c && project && !strncmp(project, "dive-spoke-", 11) && c->kind != DIVE_COUNTRY_HUB)
			marks[c->index] = 1;
	}
	cJSON_Delete(list);
	return 0;
}

static void mark_code(unsigned char *marks, const char *code)
{
	const struct dive_country *c = code ? country_find(code) : NULL;

	if (c && c->kind != DIVE_COUNTRY_HUB)
		marks[c->index] = 1;
}

/* The observation lists from what was read. */
static int layers_observe(struct fedsync *fs, struct layers *l, const unsigned char *marks)
{
	const cJSON *idp;
	size_t i, n;
	int rc;

	l->reg_obs = xcalloc(l->regs.n + 1, sizeof(*l->reg_obs));
	for (i = 0; i < l->regs.n; i++) {
		l->reg_obs[i].code = l->regs.v[i].code;
		l->reg_obs[i].status = l->regs.v[i].status;
	}
	l->n_regs = l->regs.n;

	n = (size_t)cJSON_GetArraySize(l->idps);
	l->idp_obs = xcalloc(n + 1, sizeof(*l->idp_obs));
	cJSON_ArrayForEach(idp, l->idps) {
		struct fed_idp_obs *o = &l->idp_obs[l->n_idps];
		const struct fed_spoke *reg;
		char code[4];

		o->alias = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(idp, "alias"));
		if (!o->alias)
			return dive_error_set(DIVE_EFAIL, "keycloak: an identity provider of the hub realm has no alias");
		o->enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(idp, "enabled"));
		if (federation_alias_code(code, o->alias) == 0 && (reg = fsx_layers_reg(l, code)) &&
		    (reg->status == FED_APPROVED || reg->status == FED_SUSPENDED))
			o->misconfigured = fsx_idp_misconfigured(idp, reg);
		dive_error_clear();
		l->n_idps++;
	}

	l->stack_obs = xcalloc(country_count() + 1, sizeof(*l->stack_obs));
	for (i = 0; i < country_count(); i++) {
		if (!marks[i])
			continue;
		if ((rc = fsx_observe_stack(fs, &l->stack_obs[l->n_stacks], country_at(i))) < 0)
			return rc;
		l->n_stacks++;
	}
	return 0;
}

static int has_alias(const cJSON *list, const char *alias)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, list) {
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "alias"));

		if (a && alias && !strcmp(a, alias))
			return 1;
	}
	return 0;
}

/*
 * Every IdP of realm, page by page: Keycloak answers at most 100 without
 * "max" (kc_idp_list() does not page), and an audit that saw only the first
 * hundred would call the rest in sync.  An IdP moved between two pages by a
 * concurrent change is kept once.
 */
static int list_idps(struct fedsync *fs, cJSON **out, struct kc *kc, const char *realm)
{
	struct call call;
	char path[160];
	int first, rc = 0;

	*out = cJSON_CreateArray();
	for (first = 0;; first += IDP_PAGE) {
		cJSON *page = NULL, *e;
		int n;

		snprintf(path, sizeof(path), "/realms/%s/identity-provider/instances?first=%d&max=%d", realm, first,
			 IDP_PAGE);
		memset(&call, 0, sizeof(call));
		call.fn = fsx_fn_idp_page;
		call.kc = kc;
		call.realm = realm;
		call.name = path;
		call.json = &page;
		if ((rc = fsx_kguard(fs, FED_HUB_CODE, &call)) < 0)
			break;
		n = cJSON_GetArraySize(page);
		while ((e = cJSON_DetachItemFromArray(page, 0))) {
			if (has_alias(*out, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "alias"))))
				cJSON_Delete(e);
			else
				cJSON_AddItemToArray(*out, e);
		}
		cJSON_Delete(page);
		if (cJSON_GetArraySize(*out) > FED_AUDIT_MAX) {
			rc = dive_error_set(DIVE_ETOOBIG, "the hub realm has more than %d identity providers", FED_AUDIT_MAX);
			break;
		}
		if (n < IDP_PAGE)
			break;
	}
	if (rc < 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

/* Every layer. */
static int gather_all(struct fedsync *fs, struct layers *l)
{
	unsigned char *marks = xcalloc(country_count() + 1, 1);
	struct fed_names hub;
	struct call call;
	struct kc *kc = NULL;
	const cJSON *idp;
	size_t i;
	int rc;

	memset(l, 0, sizeof(*l));
	federation_names(&hub, "DEU"); /* any code: hub_realm is the same for all */
	if ((rc = fsx_session(fs, &kc, FED_HUB_CODE)) < 0)
		goto out;
	if ((rc = list_idps(fs, &l->idps, kc, hub.hub_realm)) < 0)
		goto out;
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_list;
	call.list = &l->regs;
	if ((rc = fsx_mguard(fs, &call)) < 0)
		goto out;
	for (i = 0; i < l->regs.n; i++)
		mark_code(marks, l->regs.v[i].code);
	cJSON_ArrayForEach(idp, l->idps) {
		char code[4];

		if (federation_alias_code(code, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(idp, "alias"))) == 0)
			mark_code(marks, code);
	}
	dive_error_clear();
	if ((rc = mark_running_stacks(fs, marks)) < 0)
		goto out;
	rc = layers_observe(fs, l, marks);
out:
	free(marks);
	if (rc < 0)
		fsx_layers_release(l);
	return rc;
}

/* The layers of one code only (what is read under its locks). */
int fsx_gather_code(struct fedsync *fs, struct layers *l, const char *code)
{
	unsigned char *marks = xcalloc(country_count() + 1, 1);
	struct fed_names n;
	struct fed_spoke spoke;
	struct call call;
	struct kc *kc = NULL;
	cJSON *idp = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	memset(&spoke, 0, sizeof(spoke));
	if ((rc = federation_names(&n, code)) < 0 || (rc = fsx_session(fs, &kc, FED_HUB_CODE)) < 0)
		goto out;
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_idp_get;
	call.kc = kc;
	call.realm = n.hub_realm;
	call.name = n.hub_idp;
	call.json = &idp;
	rc = fsx_kguard(fs, FED_HUB_CODE, &call);
	l->idps = cJSON_CreateArray();
	if (rc == 0)
		cJSON_AddItemToArray(l->idps, idp);
	else if (rc != DIVE_ENOTFOUND)
		goto out;
	memset(&call, 0, sizeof(call));
	call.fn = fsx_fn_get;
	call.spoke = &spoke;
	call.name = n.code;
	rc = fsx_mguard(fs, &call);
	if (rc == 0) {
		l->regs.v = xcalloc(1, sizeof(*l->regs.v));
		l->regs.v[0] = spoke;
		l->regs.n = 1;
		memset(&spoke, 0, sizeof(spoke));
	} else if (rc != DIVE_ENOTFOUND) {
		goto out;
	}
	dive_error_clear();
	mark_code(marks, n.code);
	rc = layers_observe(fs, l, marks);
out:
	fed_spoke_release(&spoke);
	free(marks);
	if (rc < 0)
		fsx_layers_release(l);
	return rc;
}

int fsx_layers_audit(const struct layers *l, struct fed_audit *out)
{
	return federation_audit(out, l->idp_obs, l->n_idps, l->reg_obs, l->n_regs, l->stack_obs, l->n_stacks);
}


/*
 * With o.probe_logins: a real login each way for every approved spoke whose
 * stack is up, recorded in the audit (federation_audit_logins()).  A login
 * that fails is drift; a probe that cannot run (a secret missing) is too.
 */
int fsx_probe_logins(struct fedsync *fs, struct fed_audit *a)
{
	struct fed_login_obs *obs;
	size_t i, n = 0;
	int rc;

	if (!fs->o.probe_logins || a->n == 0)
		return 0;
	obs = xcalloc(a->n, sizeof(*obs));
	for (i = 0; i < a->n; i++) {
		const struct fed_finding *f = &a->v[i];
		const struct dive_country *c = country_find(f->code);
		struct fedsync_login l;

		if (!c || !f->registered || f->status != FED_APPROVED || f->stack != FED_STACK_UP ||
		    f->idp != FED_IDP_ENABLED)
			continue;
		obs[n].code = f->code;
		obs[n].to_hub = fedsync_verify_login(fs, &l, c, FED_LOGIN_SPOKE_TO_HUB) == 0 ? 1 : -1;
		obs[n].to_spoke = fedsync_verify_login(fs, &l, c, FED_LOGIN_HUB_TO_SPOKE) == 0 ? 1 : -1;
		dive_error_clear();
		n++;
	}
	rc = federation_audit_logins(a, obs, n);
	free(obs);
	return rc;
}

int fedsync_audit(struct fedsync *fs, struct fed_audit *out)
{
	struct layers l;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = gather_all(fs, &l)) < 0)
		return rc;
	rc = fsx_layers_audit(&l, out);
	if (rc == 0)
		rc = fsx_probe_logins(fs, out);
	fsx_layers_release(&l);
	return rc;
}
