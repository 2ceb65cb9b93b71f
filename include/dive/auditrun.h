/*
 * auditrun.h - one federation audit, detect-only, recorded in the state
 * store (auditlog.h): what `dive serve --audit-interval` runs, and what its
 * page runs after an action.
 *
 * audit_run() opens the federation glue with the caller's options
 * (fedsync.h: it reads the three layers, takes no lock, writes nothing but
 * breaker outcomes), classifies (federation.h), plans what reconcile would do
 * (without prune and with it, never applied) and records one report: every
 * finding with its drift kinds and the planned actions, the foreign IdPs,
 * the count of codes per drift kind.  An audit that fails is recorded as a
 * failed report with its message and taxonomy code, and its error returned.
 *
 * audit_findings_json() is the same findings document for a fed_audit the
 * caller already has (the page's plan view).
 */
#ifndef DIVE_AUDITRUN_H
#define DIVE_AUDITRUN_H

#include <cjson/cJSON.h>

#include "dive/federation.h"
#include "dive/fedsync.h"

struct audit_summary {
	long long report_id;       /* 0 when the report could not be recorded */
	int ok;
	int codes, drifted;
	long long duration_ms;
};

/* o->store is where the report goes; trigger "schedule", "action" or "manual". */
int audit_run(const struct fedsync_opts *o, const char *trigger, struct audit_summary *out);

/* [{code, registration, idp, idp_misconfigured, stack, changing, public, drift: [{kind, remedy}], actions: [...]}] */
cJSON *audit_findings_json(const struct fed_audit *a);
/* {"<kind>": codes with it} for every kind (0 included). */
cJSON *audit_by_kind_json(const struct fed_audit *a);

#endif
