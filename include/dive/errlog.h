/*
 * errlog.h - failures recorded in the state store (dive.errors).
 *
 * Every failure that ends a step is recorded once, by whoever ends the
 * step, with the taxonomy code it carries (errcodes.h).  The caller passes
 * only the code; the severity and the remediation come from the code's row,
 * so a recorded error always says what to do next.  errlog_counts() and
 * errthreshold_exceeded() (errcodes.h) then decide whether the run goes on.
 *
 * Secrets: a message, a component and a context must never contain one
 * (DESIGN §6).  They are built from names, codes and the failing
 * operation's own message; a secret is a struct dive_secret (secret.h) and
 * cannot reach them by accident.  As a backstop only, errlog_clean() masks
 * the password of any "scheme://user:password@" it finds.  Lengths are
 * bounded: messages are cut to ERRLOG_MESSAGE_MAX bytes (at a UTF-8
 * boundary), a context is a JSON object of at most ERRLOG_CONTEXT_MAX bytes.
 *
 * Recording inside a transaction: errlog_record() is one statement, so it
 * is atomic alone and, after store_begin(), part of the caller's
 * transaction: the step, its transition, the breaker change
 * (breaker_record_tx) and the error commit together or not at all.
 */
#ifndef DIVE_ERRLOG_H
#define DIVE_ERRLOG_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "dive/errcodes.h"

struct store;

#define ERRLOG_MESSAGE_MAX 1024
#define ERRLOG_COMPONENT_MAX 64
#define ERRLOG_CONTEXT_MAX (16 * 1024)

/*
 * Copy in into out (n bytes, n > 0) as text the store accepts: invalid
 * UTF-8 and control characters (tabs and newlines included) become ' ' or
 * '?', the password of "scheme://user:password@" becomes "***", and the
 * result is cut at a character boundary to fit.  in NULL gives "".
 */
void errlog_clean(char *out, size_t n, const char *in);

/*
 * Record one failure.  code must be in the taxonomy; component names what
 * failed, like a breaker name ("docker", "keycloak:deu", "engine.deploy");
 * message is what the failing operation said; context_json is a JSON object
 * or NULL; instance a country code ("DEU") or NULL (its row is created
 * when missing, as state.c does); run_id and step_id 0 when none.
 * *out_id (may be NULL) receives the row's id.
 *
 * Returns 0; DIVE_EUSAGE for an unknown code, a bad component, instance or
 * context (nothing is written); or the store's error.
 */
int errlog_record(struct store *s, long long *out_id, int code, const char *component, const char *message,
		  const char *context_json, const char *instance, long long run_id, long long step_id);

/* The errors recorded for a run, by severity (counts[ERRSEV_HIGH] ...). */
int errlog_counts(struct store *s, long long run_id, int counts[ERRSEV__COUNT]);

/*
 * What the run's recorded errors ask for: ERRTHR_CONTINUE, ERRTHR_WARN or
 * ERRTHR_STOP in *action, with one line in why (see errthreshold_exceeded).
 */
int errlog_run_verdict(struct store *s, enum errthr_action *action, char *why, size_t why_len, long long run_id);

/*
 * The most recent errors, newest first, as a JSON array of objects (id, at,
 * code, name, severity, component, message, remediation, context, instance,
 * run_id, step_id, resolved_at).  code 0: every code.  limit 1..1000.
 */
int errlog_recent(struct store *s, cJSON **out, int code, int limit);

#endif
