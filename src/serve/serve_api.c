/*
 * serve_api.c - the JSON behind the reconciliation page and its actions
 * (see serve.h).  Reads go to the state store (the server's read
 * connection, one request at a time), the engine (one labelled container
 * list) and the last recorded audit; the plan, a spoke's detail and the
 * actions go through fedsync.h on a store connection of their own, exactly
 * as the CLI's verbs do.  No answer holds a secret: names, states, counts,
 * and messages that were cleaned where they were recorded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/auditlog.h"
#include "dive/auditrun.h"
#include "dive/breaker.h"
#include "dive/breaker_store.h"
#include "dive/country.h"
#include "dive/deploy.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/fedsync.h"
#include "dive/lock.h"
#include "dive/pg.h"
#include "dive/state.h"
#include "dive/store.h"
#include "serve_priv.h"

/* A line for whoever runs the server (its note hook); the server and the actions both say things. */
void serve_note(struct serve *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!s->o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->o->note(s->o->note_arg, line);
}


#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char sql_runs[] =
	"SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]'::json) FROM ("
	"  SELECT r.id, r.code, r.mode, r.outcome, r.actor, " TS("r.started_at") " AS started_at,"
	"   " TS("r.ended_at") " AS ended_at,"
	"   (extract(epoch FROM coalesce(r.ended_at, clock_timestamp()) - r.started_at) * 1000)::bigint AS ms,"
	"   (SELECT coalesce(json_object_agg(lower(t.from_state), t.duration_ms), '{}'::json) FROM dive.transitions t"
	"     WHERE t.run_id = r.id AND t.from_state IN ('INITIALIZING', 'DEPLOYING', 'CONFIGURING', 'VERIFYING',"
	"      'ROLLING_BACK')) AS phases_ms"
	"  FROM dive.runs r ORDER BY r.id DESC LIMIT 30) x";

static const char sql_checks[] =
	"SELECT coalesce(json_agg(x ORDER BY x.id), '[]'::json) FROM ("
	"  SELECT s.id, s.service, s.action, s.status, s.duration_ms, s.error_code, s.error FROM dive.steps s"
	"  WHERE s.run_id = (SELECT id FROM dive.runs WHERE code = $1 ORDER BY id DESC LIMIT 1)"
	"   AND s.phase = 'verification' ORDER BY s.id LIMIT 200) x";

/* A long-lived connection the server ended (restart, failover) is opened again before use. */
static void store_fresh(struct store *st)
{
	if (PQstatus(st->conn) != CONNECTION_OK || pg_command(st->conn, "SELECT 1") < 0)
		PQreset(st->conn);
}

/* The first column of a one-row JSON answer, parsed. */
static int query_json(struct store *st, cJSON **out, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if ((rc = pg_exec(st->conn, &res, sql, n, params)) < 0)
		return rc;
	*out = cJSON_Parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *out ? 0 : dive_error_set(DIVE_EFAIL, "the state store returned invalid JSON");
}

static void add_or_error(cJSON *doc, cJSON *errors, const char *key, int rc, cJSON *v)
{
	if (rc < 0) {
		cJSON_AddItemToObject(doc, key, cJSON_CreateNull());
		cJSON_AddStringToObject(errors, key, dive_error_last());
		cJSON_Delete(v);
		return;
	}
	cJSON_AddItemToObject(doc, key, v);
}

static cJSON *instances_json(struct store *st, int *rc)
{
	struct state_instance *v = NULL;
	cJSON *arr = cJSON_CreateArray();
	size_t n = 0, i;

	if ((*rc = state_list(st, &v, &n)) < 0)
		return arr;
	for (i = 0; i < n; i++) {
		const struct dive_country *c = country_find(v[i].code);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "code", v[i].code);
		cJSON_AddStringToObject(o, "name", c ? c->name : "");
		cJSON_AddStringToObject(o, "state", dive_state_name(v[i].state));
		cJSON_AddBoolToObject(o, "in_progress", dive_state_in_progress(v[i].state));
		cJSON_AddNumberToObject(o, "version", (double)v[i].version);
		cJSON_AddStringToObject(o, "updated_at", v[i].updated_at);
		cJSON_AddStringToObject(o, "updated_by", v[i].updated_by);
		cJSON_AddNumberToObject(o, "run_id", (double)v[i].run_id);
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
	return arr;
}

static cJSON *locks_json(struct store *st, int *rc)
{
	struct lock_holder *v = NULL;
	cJSON *arr = cJSON_CreateArray();
	size_t n = 0, i;

	if ((*rc = lock_holders(st->conn, NULL, &v, &n)) < 0)
		return arr;
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", v[i].name);
		cJSON_AddStringToObject(o, "command", v[i].command);
		cJSON_AddStringToObject(o, "host", v[i].host);
		cJSON_AddNumberToObject(o, "pid", v[i].pid);
		cJSON_AddStringToObject(o, "acquired_at", v[i].acquired_at);
		cJSON_AddNumberToObject(o, "age_s", (double)v[i].age_s);
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
	return arr;
}

static cJSON *breakers_json(struct store *st, int *rc)
{
	struct breaker_row *v = NULL;
	cJSON *arr = cJSON_CreateArray();
	size_t n = 0, i;

	if ((*rc = breaker_list(st, &v, &n)) < 0)
		return arr;
	for (i = 0; i < n; i++) {
		char since[32];
		cJSON *o = cJSON_CreateObject();

		breaker_format_time(since, v[i].state_since_ms);
		cJSON_AddStringToObject(o, "name", v[i].name);
		cJSON_AddStringToObject(o, "state", breaker_state_name(v[i].state));
		cJSON_AddStringToObject(o, "since", since);
		cJSON_AddNumberToObject(o, "failures", v[i].failures);
		cJSON_AddStringToObject(o, "last_error", v[i].last_error);
		cJSON_AddItemToArray(arr, o);
	}
	free(v);
	return arr;
}

/* Every dive container, by instance: {"DEU": [{service, state, healthy, status}]} (one engine call). */
static cJSON *containers_json(struct serve *s, int *rc)
{
	cJSON *list = NULL, *by = cJSON_CreateObject(), *ct;

	if ((*rc = metrics_container_list(&list, s->o->docker_host, 3000)) < 0)
		return by;
	cJSON_ArrayForEach(ct, list) {
		const cJSON *labels = cJSON_GetObjectItem(ct, "Labels");
		const char *inst = cJSON_GetStringValue(cJSON_GetObjectItem(labels, "dive.instance"));
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(labels, "dive.service"));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(ct, "State"));
		const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(ct, "Status"));
		cJSON *arr, *o;

		if (!inst || !svc || !country_find(inst))
			continue;
		if (!(arr = cJSON_GetObjectItem(by, inst)))
			arr = cJSON_AddArrayToObject(by, inst);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "service", svc);
		cJSON_AddStringToObject(o, "state", state ? state : "");
		cJSON_AddStringToObject(o, "status", status ? status : "");
		cJSON_AddBoolToObject(o, "healthy", state && !strcmp(state, "running") && metrics_status_healthy(status));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_Delete(list);
	return by;
}

void serve_api_state(struct serve *s, struct serve_reply *r)
{
	cJSON *doc = cJSON_CreateObject(), *errors = cJSON_CreateObject(), *v = NULL, *audits = NULL;
	int rc;

	cJSON_AddBoolToObject(doc, "can_sign_in", s->auth.token != NULL);
	pthread_mutex_lock(&s->read_mu);
	store_fresh(s->read);
	v = instances_json(s->read, &rc);
	add_or_error(doc, errors, "instances", rc, v);
	rc = query_json(s->read, &v, sql_runs, 0, NULL);
	add_or_error(doc, errors, "runs", rc, v);
	v = locks_json(s->read, &rc);
	add_or_error(doc, errors, "locks", rc, v);
	v = breakers_json(s->read, &rc);
	add_or_error(doc, errors, "breakers", rc, v);
	rc = errlog_recent(s->read, &v, 0, 30);
	add_or_error(doc, errors, "errors", rc, v);
	v = NULL;
	rc = auditlog_list(s->read, &audits, 1, 1);
	if (rc == 0) {
		v = cJSON_DetachItemFromArray(audits, 0);
		cJSON_Delete(audits);
	}
	add_or_error(doc, errors, "audit", rc, v ? v : cJSON_CreateNull());
	pthread_mutex_unlock(&s->read_mu);
	v = containers_json(s, &rc);
	add_or_error(doc, errors, "containers", rc, v);
	cJSON_AddItemToObject(doc, "errors_reading", errors);
	cJSON_AddBoolToObject(doc, "live", s->ev.connected);
	serve_reply_json(r, 200, doc);
}

void serve_api_audits(struct serve *s, struct serve_reply *r)
{
	cJSON *v = NULL;
	int rc;

	pthread_mutex_lock(&s->read_mu);
	rc = auditlog_list(s->read, &v, 50, 0);
	pthread_mutex_unlock(&s->read_mu);
	if (rc < 0) {
		serve_reply_error(r, 503, dive_error_last());
		return;
	}
	serve_reply_json(r, 200, v);
}

/* --- through fedsync, as the CLI ---------------------------------------------------- */

/*
 * Everything that goes through fedsync runs one at a time (the scheduled
 * audit, the plan, a spoke's detail, the actions): wait at most wait_s.
 */
static int work_lock(struct serve *s, struct serve_reply *r, int wait_s)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_s;
	if (pthread_mutex_timedlock(&s->work_mu, &until) == 0)
		return 0;
	serve_reply_error(r, 409, "another action or the scheduled audit is running; try again");
	return -1;
}

static int sync_open(struct serve *s, struct fedsync **fs, struct store **st, const char *actor)
{
	struct fedsync_opts o;
	int rc;

	*fs = NULL;
	if ((rc = store_open(st, s->o->state_url, 0)) < 0)
		return rc;
	memset(&o, 0, sizeof(o));
	o.store = *st;
	o.docker_host = s->o->docker_host;
	o.instances_dir = s->o->instances_dir;
	o.secrets_spec = s->o->secrets_spec;
	o.actor = actor;
	if ((rc = fedsync_open(fs, &o)) < 0) {
		store_close(*st);
		*st = NULL;
	}
	return rc;
}

static cJSON *steps_json(const struct fedsync_report *rep)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct fedsync_step *st = &rep->v[i];
		char what[256];
		cJSON *o = cJSON_CreateObject();

		fed_action_describe(&st->action, what, sizeof(what));
		cJSON_AddStringToObject(o, "code", st->action.code);
		cJSON_AddStringToObject(o, "what", what);
		cJSON_AddStringToObject(o, "because", fed_drift_name(st->action.because));
		cJSON_AddBoolToObject(o, "done", st->done);
		if (st->done)
			cJSON_AddStringToObject(o, "outcome", kc_outcome_name(st->outcome));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static void report_reply(struct serve_reply *r, int rc, const struct fedsync_report *rep, int dry_run)
{
	cJSON *doc = cJSON_CreateObject(), *fail;
	size_t i;

	cJSON_AddBoolToObject(doc, "ok", rc == 0);
	cJSON_AddBoolToObject(doc, "dry_run", dry_run);
	cJSON_AddItemToObject(doc, "steps", steps_json(rep));
	cJSON_AddNumberToObject(doc, "deferred", (double)rep->deferred);
	cJSON_AddNumberToObject(doc, "remaining", (double)rep->remaining);
	fail = cJSON_AddArrayToObject(doc, "failures");
	for (i = 0; i < rep->n_failures; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "code", rep->failures[i].code);
		cJSON_AddStringToObject(o, "message", rep->failures[i].message);
		cJSON_AddItemToArray(fail, o);
	}
	if (rc < 0)
		cJSON_AddStringToObject(doc, "error", dive_error_last());
	serve_reply_json(r, rc == 0 ? 200 : rc == DIVE_ELOCKED ? 409 : rc == DIVE_EUSAGE ? 400 : 502, doc);
}

void serve_api_plan(struct serve *s, struct serve_reply *r, int prune)
{
	struct fedsync_report rep;
	struct fedsync *fs;
	struct store *st = NULL;
	int rc;

	memset(&rep, 0, sizeof(rep));
	if (work_lock(s, r, 30) < 0)
		return;
	if ((rc = sync_open(s, &fs, &st, "dive serve: plan")) == 0)
		rc = fedsync_reconcile(fs, &rep, FEDSYNC_DRY_RUN | (prune ? FED_PLAN_PRUNE : 0));
	fedsync_close(fs);
	store_close(st);
	pthread_mutex_unlock(&s->work_mu);
	report_reply(r, rc, &rep, 1);
	fedsync_report_release(&rep);
}

void serve_api_spoke(struct serve *s, struct serve_reply *r, const char *code)
{
	const struct dive_country *c;
	struct fedsync_status fst;
	struct fedsync *fs = NULL;
	struct store *st = NULL;
	const char *params[1];
	cJSON *doc, *errors, *v = NULL;
	int rc, healthy = 0;

	if (country_parse(&c, code) < 0) {
		serve_reply_error(r, 400, dive_error_last());
		return;
	}
	if (work_lock(s, r, 30) < 0)
		return;
	doc = cJSON_CreateObject();
	errors = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "code", c->code);
	cJSON_AddStringToObject(doc, "name", c->name);
	rc = sync_open(s, &fs, &st, "dive serve: status");
	if (rc == 0) {
		rc = deploy_status(st, s->o->docker_host, strcmp(c->code, "USA") ? STACK_SPOKE : STACK_HUB, c, &v, &healthy);
		add_or_error(doc, errors, "stack", rc, v);
		params[0] = c->code;
		rc = query_json(st, &v, sql_checks, 1, params);
		add_or_error(doc, errors, "last_checks", rc, v);
		if (strcmp(c->code, "USA")) {
			memset(&fst, 0, sizeof(fst));
			rc = fedsync_status(fs, &fst, c);
			v = cJSON_CreateObject();
			if (rc == 0) {
				cJSON_AddStringToObject(v, "registration", fst.registered ? fed_status_name(fst.spoke.status) : "none");
				cJSON_AddStringToObject(v, "hub_idp", fed_idp_state_name(fst.finding.idp));
				cJSON_AddBoolToObject(v, "hub_idp_misconfigured", fst.finding.idp_misconfigured);
				cJSON_AddBoolToObject(v, "hub_client", fst.hub_client);
				cJSON_AddNumberToObject(v, "spoke_idp", fst.spoke_idp);
				cJSON_AddNumberToObject(v, "spoke_client", fst.spoke_client);
				cJSON_AddStringToObject(v, "stack", fed_stack_state_name(fst.finding.stack));
				cJSON_AddBoolToObject(v, "public", fst.finding.is_public);
			}
			fedsync_status_release(&fst);
			add_or_error(doc, errors, "federation", rc, v);
		}
	} else {
		cJSON_AddStringToObject(errors, "store", dive_error_last());
	}
	/* releases: issue 13 records them; until then the section is empty and says why */
	v = cJSON_AddObjectToObject(doc, "releases");
	cJSON_AddItemToObject(v, "items", cJSON_CreateArray());
	cJSON_AddStringToObject(v, "note", "releases are recorded once the release history lands (issue 13)");
	cJSON_AddItemToObject(doc, "errors_reading", errors);
	fedsync_close(fs);
	store_close(st);
	pthread_mutex_unlock(&s->work_mu);
	serve_reply_json(r, 200, doc);
}

/* --- actions ---------------------------------------------------------------------------- */

int serve_audit_now(struct serve *s, struct store *st, const char *trigger)
{
	struct fedsync_opts o;
	struct audit_summary sum;
	int rc;

	memset(&o, 0, sizeof(o));
	o.store = st;
	o.docker_host = s->o->docker_host;
	o.instances_dir = s->o->instances_dir;
	o.secrets_spec = s->o->secrets_spec;
	o.actor = "dive serve: audit";
	store_fresh(st);
	rc = audit_run(&o, trigger, &sum);
	if (rc < 0)
		serve_note(s, "audit (%s) failed: %s", trigger, dive_error_last());
	else
		serve_note(s, "audit (%s): %d codes, %d with drift, %lldms, report %lld", trigger, sum.codes, sum.drifted,
			   sum.duration_ms, sum.report_id);
	return rc;
}

int serve_prune_now(struct serve *s, struct store *st)
{
	struct fedsync_report rep;
	struct fedsync_opts o;
	struct fedsync *fs = NULL;
	int rc;

	memset(&rep, 0, sizeof(rep));
	memset(&o, 0, sizeof(o));
	o.store = st;
	o.docker_host = s->o->docker_host;
	o.instances_dir = s->o->instances_dir;
	o.secrets_spec = s->o->secrets_spec;
	o.actor = "dive serve: scheduled reconcile --prune";
	store_fresh(st);
	if ((rc = fedsync_open(&fs, &o)) == 0)
		rc = fedsync_reconcile(fs, &rep, FED_PLAN_PRUNE);
	fedsync_close(fs);
	if (rc < 0)
		serve_note(s, "scheduled reconcile --prune failed: %s", dive_error_last());
	else
		serve_note(s, "scheduled reconcile --prune: %zu actions, %zu remaining", rep.n, rep.remaining);
	fedsync_report_release(&rep);
	serve_audit_now(s, st, "action");
	return rc;
}

void serve_api_action(struct serve *s, struct serve_reply *r, const char *verb, const char *body)
{
	cJSON *req = body && *body ? cJSON_Parse(body) : cJSON_CreateObject();
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(req, "code"));
	const char *reason = cJSON_GetStringValue(cJSON_GetObjectItem(req, "reason"));
	const char *confirm = cJSON_GetStringValue(cJSON_GetObjectItem(req, "confirm"));
	int prune = cJSON_IsTrue(cJSON_GetObjectItem(req, "prune"));
	const struct dive_country *c = NULL;
	struct fedsync_report rep;
	struct fedsync *fs = NULL;
	struct store *st = NULL;
	char actor[96];
	int rc;

	memset(&rep, 0, sizeof(rep));
	if (!cJSON_IsObject(req)) {
		serve_reply_error(r, 400, "the body must be a JSON object");
		goto out;
	}
	if (strcmp(verb, "reconcile") && (!code || country_parse_spoke(&c, code) < 0)) {
		serve_reply_error(r, 400, code ? dive_error_last() : "name the spoke: {\"code\": \"DEU\"}");
		goto out;
	}
	if (prune && (!confirm || strcmp(confirm, "prune"))) {
		serve_reply_error(r, 400, "prune deletes identity providers: confirm with {\"confirm\": \"prune\"}");
		goto out;
	}
	if (reason && strlen(reason) > 256) {
		serve_reply_error(r, 400, "the reason is longer than 256 bytes");
		goto out;
	}
	if (work_lock(s, r, 30) < 0)
		goto out;
	snprintf(actor, sizeof(actor), "dive serve (page): %s%s%s%s", verb, prune ? " --prune" : "", c ? " " : "",
		 c ? c->code : "");
	if ((rc = sync_open(s, &fs, &st, actor)) == 0) {
		if (!strcmp(verb, "reconcile"))
			rc = fedsync_reconcile(fs, &rep, prune ? FED_PLAN_PRUNE : 0);
		else if (!strcmp(verb, "approve"))
			rc = fedsync_approve(fs, &rep, c, 0);
		else
			rc = fedsync_suspend(fs, &rep, c, reason ? reason : "suspended from the dashboard", 0);
	}
	serve_note(s, "%s: %s", actor, rc == 0 ? "done" : dive_error_last());
	report_reply(r, rc, &rep, 0);
	fedsync_close(fs);
	if (st)
		serve_audit_now(s, st, "action");
	store_close(st);
	pthread_mutex_unlock(&s->work_mu);
out:
	fedsync_report_release(&rep);
	cJSON_Delete(req);
}
