/*
 * breaker_store.h - the circuit breakers of breaker.h, persisted in the
 * state store's dive.breakers and shared by every dive process.
 *
 * breaker_allow() and breaker_record() read the row with SELECT ... FOR
 * UPDATE inside a transaction, run breaker_step() on it with the store's
 * clock (clock_timestamp(), so every host agrees on "now"), and write the
 * result before COMMIT.  The row lock is what makes half-open admit only
 * the configured number of probes across processes.
 */
#ifndef DIVE_BREAKER_STORE_H
#define DIVE_BREAKER_STORE_H

#include <stddef.h>

#include "dive/breaker.h"

struct store;

/*
 * May a call to the endpoint go ahead?  0 with *out filled when it may;
 * DIVE_ECIRCUIT, with the taxonomy code ERRC_CIRCUIT_OPEN and the message of
 * breaker_refusal(), when it may not: that refusal costs one SELECT and
 * touches neither the endpoint nor any row.  Admitting a probe (open ->
 * half_open, or another half-open slot) takes the row lock in a short
 * transaction of its own, so two processes never both get the last slot.
 *
 * Must not be called inside an open transaction on s (the row lock would
 * then be held for the whole call): DIVE_EFAIL says so.  A name without a
 * row is closed; no row is written until something is counted.
 */
int breaker_allow(struct store *s, struct breaker_ticket *out, const char *name);

/*
 * Report the outcome of an admitted call: success (1) or a failure (0) that
 * counts against the endpoint, with a message that must not contain a
 * secret (it is cleaned and cut to BREAKER_MESSAGE_MAX bytes, see errlog.h).
 * A success through a closed breaker writes nothing.  Runs in its own short
 * transaction; returns 0 or the store's error.
 */
int breaker_record(struct store *s, const struct breaker_ticket *t, int success, const char *err_message);
/*
 * The same inside the caller's open transaction (store_begin() first; the
 * change commits or rolls back with the caller's step, transition and
 * recorded error: DESIGN §1).  The row stays locked until the caller ends
 * its transaction, so keep it short.  DIVE_EFAIL when no transaction is open.
 */
int breaker_record_tx(struct store *s, const struct breaker_ticket *t, int success, const char *err_message);
/* An admitted call ended without an outcome (cancelled): frees a probe slot, counts nothing. */
int breaker_release(struct store *s, const struct breaker_ticket *t);
int breaker_release_tx(struct store *s, const struct breaker_ticket *t);
/* A deferred outcome (nothing when !o->pending), inside the caller's open transaction. */
int breaker_outcome_record_tx(struct store *s, const struct breaker_outcome *o);

/* One breaker; *found = 0 and *out a closed breaker when it has no row. */
int breaker_get(struct store *s, struct breaker_row *out, int *found, const char *name);
/* Every breaker with a row, by name; the caller frees *out. */
int breaker_list(struct store *s, struct breaker_row **out, size_t *n);
/*
 * The operator: op is BREAKER_EV_FORCE_OPEN, BREAKER_EV_CLOSE or
 * BREAKER_EV_DISABLE; actor names who (the command, no secrets).  *before
 * and *after (either may be NULL) are the row around the change.
 */
int breaker_operate(struct store *s, struct breaker_row *before, struct breaker_row *after, const char *name,
		    enum breaker_event_type op, const char *actor);
/* Forget a breaker: delete its row.  *existed says whether there was one; *was (may be NULL) what it was. */
int breaker_forget(struct store *s, struct breaker_row *was, int *existed, const char *name);

#endif
