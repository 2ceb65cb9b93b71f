/*
 * auditlog.h - the reports of federation audits kept in the state store
 * (dive.audit_reports, migration 0010): `dive serve` records one per
 * scheduled audit (and after each action of its page), `dive federation
 * audit --history` lists them, the drift metric counts the last one.
 *
 * A report holds names, states and drift kinds only: an audit reads no
 * secret value, and messages go through errlog_clean() (errlog.h) before
 * they are stored.  A failed audit is recorded too (ok 0, with its error),
 * so "no report" and "the audit failed" are never confused.
 */
#ifndef DIVE_AUDITLOG_H
#define DIVE_AUDITLOG_H

#include <cjson/cJSON.h>

struct store;

#define AUDITLOG_LIMIT_MAX 1000

struct auditlog_entry {
	long long started_ms;       /* Unix time in ms, when the audit began */
	long long duration_ms;
	const char *trigger;        /* "schedule", "action" or "manual" */
	const char *actor;          /* "dive serve" (no secrets) */
	int ok;
	const char *error;          /* !ok: what failed (cleaned and cut here) */
	int error_code;             /* taxonomy code, 0 if none */
	int codes, drifted;
	const cJSON *by_kind;       /* {"orphaned-idp": 1, ...}; NULL: {} */
	const cJSON *findings;      /* array; NULL: [] */
	const cJSON *foreign_idps;  /* array of aliases; NULL: [] */
};

/* One row; *out_id (may be NULL) gets its id.  DIVE_EUSAGE for a bad trigger or JSON. */
int auditlog_record(struct store *s, long long *out_id, const struct auditlog_entry *e);

/*
 * The newest reports first (limit 1..AUDITLOG_LIMIT_MAX) as a JSON array of
 * {id, at, started_at, duration_ms, trigger, actor, ok, error, error_code,
 * codes, drifted, by_kind}; with_findings adds findings and foreign_idps.
 */
int auditlog_list(struct store *s, cJSON **out, int limit, int with_findings);

#endif
