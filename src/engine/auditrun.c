/* auditrun.c - one detect-only federation audit, recorded (see auditrun.h). */
#include <string.h>
#include <time.h>

#include "dive/auditlog.h"
#include "dive/auditrun.h"
#include "dive/error.h"
#include "dive/log.h"

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The actions a plan holds for one code, described ("disable idp 'nzl-idp' in realm ..."). */
static cJSON *plan_for(const struct fed_plan *p, const char *code)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; p && i < p->n; i++) {
		char what[256];

		if (strcmp(p->v[i].code, code))
			continue;
		fed_action_describe(&p->v[i], what, sizeof(what));
		cJSON_AddItemToArray(arr, cJSON_CreateString(what));
	}
	return arr;
}

static cJSON *findings_json(const struct fed_audit *a, const struct fed_plan *plain, const struct fed_plan *prune)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;
	int k;

	for (i = 0; i < a->n; i++) {
		const struct fed_finding *f = &a->v[i];
		cJSON *o = cJSON_CreateObject(), *drift;

		cJSON_AddStringToObject(o, "code", f->code);
		if (f->registered)
			cJSON_AddStringToObject(o, "registration", fed_status_name(f->status));
		else
			cJSON_AddNullToObject(o, "registration");
		cJSON_AddStringToObject(o, "idp", fed_idp_state_name(f->idp));
		cJSON_AddBoolToObject(o, "idp_misconfigured", f->idp_misconfigured);
		cJSON_AddStringToObject(o, "stack", fed_stack_state_name(f->stack));
		cJSON_AddBoolToObject(o, "changing", f->changing);
		cJSON_AddBoolToObject(o, "public", f->is_public);
		drift = cJSON_AddArrayToObject(o, "drift");
		for (k = 0; k < FED_DRIFT__COUNT; k++) {
			cJSON *d;

			if (!(f->drift & FED_DRIFT_BIT(k)))
				continue;
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "kind", fed_drift_name((enum fed_drift)k));
			cJSON_AddStringToObject(d, "remedy", fed_drift_remedy((enum fed_drift)k));
			cJSON_AddBoolToObject(d, "repaired", fed_drift_repaired((enum fed_drift)k));
			cJSON_AddItemToArray(drift, d);
		}
		cJSON_AddItemToObject(o, "actions", plan_for(plain, f->code));
		cJSON_AddItemToObject(o, "prune_actions", plan_for(prune, f->code));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *audit_findings_json(const struct fed_audit *a)
{
	struct fed_plan plain, prune;
	int have_plain, have_prune;
	cJSON *out;

	memset(&plain, 0, sizeof(plain));
	memset(&prune, 0, sizeof(prune));
	have_plain = federation_plan_reconcile(&plain, a, 0) == 0;
	have_prune = federation_plan_reconcile(&prune, a, FED_PLAN_PRUNE) == 0;
	out = findings_json(a, have_plain ? &plain : NULL, have_prune ? &prune : NULL);
	fed_plan_release(&plain);
	fed_plan_release(&prune);
	return out;
}

cJSON *audit_by_kind_json(const struct fed_audit *a)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;
	int k;

	for (k = 0; k < FED_DRIFT__COUNT; k++) {
		int n = 0;

		for (i = 0; i < a->n; i++)
			n += (a->v[i].drift & FED_DRIFT_BIT(k)) != 0;
		cJSON_AddNumberToObject(o, fed_drift_name((enum fed_drift)k), n);
	}
	return o;
}

int audit_run(const struct fedsync_opts *o, const char *trigger, struct audit_summary *out)
{
	struct auditlog_entry e;
	struct fedsync *fs = NULL;
	struct fed_audit a;
	cJSON *findings = NULL, *by_kind = NULL, *foreign = NULL;
	char msg[1024] = "";
	size_t i;
	int rc, rrc;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	memset(&e, 0, sizeof(e));
	e.started_ms = wall_ms();
	rc = fedsync_open(&fs, o);
	if (rc == 0)
		rc = fedsync_audit(fs, &a);
	fedsync_close(fs);
	e.duration_ms = wall_ms() - e.started_ms;
	e.trigger = trigger;
	e.actor = o->actor;
	e.ok = rc == 0;
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s", dive_error_last());
		e.error = msg;
		e.error_code = dive_error_last_code();
	} else {
		findings = audit_findings_json(&a);
		by_kind = audit_by_kind_json(&a);
		foreign = cJSON_CreateArray();
		for (i = 0; i < a.n_foreign; i++)
			cJSON_AddItemToArray(foreign, cJSON_CreateString(a.foreign[i]));
		e.codes = (int)a.n;
		e.drifted = (int)a.drifted;
		e.findings = findings;
		e.by_kind = by_kind;
		e.foreign_idps = foreign;
	}
	out->ok = e.ok;
	out->codes = e.codes;
	out->drifted = e.drifted;
	out->duration_ms = e.duration_ms;
	rrc = auditlog_record(o->store, &out->report_id, &e);
	if (rrc < 0)
		dive_debug("audit: cannot record the report: %s", dive_error_last());
	cJSON_Delete(findings);
	cJSON_Delete(by_kind);
	cJSON_Delete(foreign);
	fed_audit_release(&a);
	if (rc < 0) {
		/* the audit's own error is the one to report */
		dive_error_set(rc, "%s", msg);
		if (e.error_code)
			dive_error_set_code(e.error_code);
		return rc;
	}
	return rrc;
}
