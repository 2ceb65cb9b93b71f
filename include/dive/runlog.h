/*
 * runlog.h - the runs the state store recorded, read back for operators
 * (`dive runs list`, `dive runs show`): dive.runs, dive.steps, dive.errors.
 *
 * Read only.  Times are UTC RFC 3339 with milliseconds; durations in ms
 * (a running run's, or a phase's with a running step, up to now).  A
 * step's detail and an error's context are not shown: they are for the
 * pipeline's resume and rollback, and the message and remediation say
 * what an operator needs.
 */
#ifndef DIVE_RUNLOG_H
#define DIVE_RUNLOG_H

#include <cjson/cJSON.h>

struct store;

/*
 * The newest runs first, of code (NULL: every instance), at most limit:
 * [{id, code, mode, outcome, started_at, ended_at, duration_ms, actor,
 * host, resumes, steps, failed_steps, errors}].
 */
int runlog_list(struct store *s, cJSON **out, const char *code, int limit);

/*
 * One run: the fields of runlog_list (steps and errors then the lists
 * below, not counts) and phases [{phase, started_at,
 * ended_at, duration_ms, steps, failed}] in the order they ran, steps
 * [{id, phase, service, action, attempt, status, started_at, duration_ms,
 * error_code, error}] and errors [{id, at, code, severity, component,
 * message, remediation, step_id}].  DIVE_ENOTFOUND when there is no run id.
 */
int runlog_show(struct store *s, cJSON **out, long long id);

#endif
