/*
 * breaker.h - circuit breakers per dependency endpoint, shared by every dive
 * process through the state store (docs/architecture/circuit-breakers.md).
 *
 * Two halves:
 *
 *   the machine (this header, src/model/breaker.c): pure.  breaker_step()
 *   takes a row, an event and the time, and returns the next row and a
 *   decision.  No I/O, no clock of its own; tests/unit/test_breaker.c drives
 *   it with a table.  The configuration of each class is a settings table
 *   (settings.h) changed by DIVE_BREAKER.
 *
 *   the persistence (breaker_store.h, src/client/breaker_store.c): rows in
 *   dive.breakers.
 *   breaker_allow() and breaker_record() read the row with SELECT ... FOR
 *   UPDATE inside a transaction, run breaker_step() on it with the store's
 *   clock (clock_timestamp(), so every host agrees on "now"), and write the
 *   result before COMMIT.  The row lock is what makes half-open admit only
 *   the configured number of probes across processes.
 *
 * States: closed (calls pass; failures are counted in a window), open (calls
 * fail at once until the open duration ends), half_open (a bounded number
 * of probes pass; enough successes close, a failure opens again with a
 * longer duration), forced_open (the operator's "dive breaker open": nothing
 * passes until "dive breaker close"), disabled (everything passes, nothing
 * is counted).
 *
 * Names: an endpoint, "docker", "keycloak:hub", "keycloak:deu", "mongo:hub",
 * "postgres".  They are lower-cased on input, so "keycloak:DEU" and
 * "keycloak:deu" are the same breaker, and must then match
 * ^[a-z][a-z0-9:._-]{0,63}$ (the CHECK of dive.breakers).  The part before
 * the first ':' is the class whose configuration applies; a class without
 * its own row uses "default".
 *
 * To add a class: add its row to defaults in src/model/breaker.c and
 * a line to the table in docs/architecture/circuit-breakers.md.
 */
#ifndef DIVE_BREAKER_H
#define DIVE_BREAKER_H

#include <stddef.h>

#define BREAKER_NAME_MAX 64
#define BREAKER_MESSAGE_MAX 512
#define BREAKER_ACTOR_MAX 200

enum breaker_state {
	BREAKER_CLOSED,
	BREAKER_OPEN,
	BREAKER_HALF_OPEN,
	BREAKER_FORCED_OPEN,
	BREAKER_DISABLED,
	BREAKER__COUNT
};

/* What happens to a breaker. */
enum breaker_event_type {
	BREAKER_EV_ASK,         /* a caller wants to call the endpoint */
	BREAKER_EV_SUCCESS,     /* an admitted call succeeded, or the endpoint answered (a 404 is an answer) */
	BREAKER_EV_FAILURE,     /* an admitted call failed in a way that counts against the endpoint */
	BREAKER_EV_ABANDON,     /* an admitted call ended without an outcome (cancelled): frees its probe slot */
	BREAKER_EV_FORCE_OPEN,  /* the operator: dive breaker open */
	BREAKER_EV_CLOSE,       /* the operator: dive breaker close (counters reset) */
	BREAKER_EV_DISABLE,     /* the operator: dive breaker disable */
	BREAKER_EV__COUNT
};

/* How an ASK was admitted. */
enum breaker_pass {
	BREAKER_PASS_NONE,      /* not admitted, or admitted by a disabled breaker: nothing to report */
	BREAKER_PASS_CALL,      /* a normal call through a closed breaker */
	BREAKER_PASS_PROBE,     /* one of the half-open probes */
};

/*
 * Configuration of one class, as data.  The open duration after the n-th
 * opening in a row (open_count = n, reset when the breaker closes) is
 * min(open_max_ms, open_base_ms * open_multiplier^(n-1)).
 */
struct breaker_config {
	const char *name;          /* the class: "docker", "keycloak", ..., "default" */
	int failures;              /* failures within window_ms that open a closed breaker */
	long window_ms;            /* the window starts at its first failure */
	long open_base_ms;         /* open duration after the first opening */
	double open_multiplier;    /* growth per further opening without a close between */
	long open_max_ms;          /* the open duration never exceeds this */
	int probes;                /* at most this many probes in flight while half-open */
	int successes;             /* successful probes that close a half-open breaker */
	long probe_timeout_ms;     /* a probe that has not reported by then is forgotten and its slot freed */
	const char *used_for;      /* one line for the document */
};

/*
 * One breaker.  Times are milliseconds since the Unix epoch on the state
 * store's clock, 0 when unset.
 */
struct breaker_row {
	char name[BREAKER_NAME_MAX + 1];
	enum breaker_state state;
	int failures;              /* closed: failures in the current window */
	int successes;             /* half_open: successful probes so far */
	long long window_start_ms; /* closed: when the current window began */
	long long opened_ms;       /* when it last opened (open, half_open, forced_open) */
	long long next_probe_ms;   /* open: when half-open begins; half_open: when unreported probes are forgotten */
	int open_count;            /* openings since it was last closed: drives the backoff */
	int probes_in_flight;      /* half_open: probes admitted and not reported */
	long long generation;      /* changes with every state change; tickets carry it */
	long long state_since_ms;  /* when the current state began */
	long long last_error_ms;   /* when last_error was recorded */
	char last_error[BREAKER_MESSAGE_MAX + 1]; /* the last counted failure (no secrets: errlog.h) */
	char changed_by[BREAKER_ACTOR_MAX + 1];   /* who made the last state change */
	long long updated_ms;      /* stored rows: last write */
	long long now_ms;          /* stored rows: the store's clock when the row was read (not stored) */
};

struct breaker_event {
	enum breaker_event_type type;
	enum breaker_pass pass;    /* outcome events: how the call was admitted */
	long long generation;      /* outcome events: the row's generation when it was admitted */
	const char *message;       /* FAILURE: what went wrong (bounded, no secrets); may be NULL */
};

struct breaker_decision {
	int allowed;               /* ASK: the call may go ahead */
	enum breaker_pass pass;    /* ASK: how it was admitted */
	int changed;               /* the row differs from the input and must be written */
	int counted;               /* an outcome event changed the counters or the state */
	enum breaker_state from, to;
	long long retry_at_ms;     /* ASK refused: when a probe may next be admitted; 0 = when the operator acts */
};

/* Enum <-> string; *_name() returns "unknown" out of range, *_parse() sets DIVE_EUSAGE. */
const char *breaker_state_name(enum breaker_state s);
int breaker_state_parse(enum breaker_state *out, const char *s);
const char *breaker_state_meaning(enum breaker_state s);
const char *breaker_event_name(enum breaker_event_type e);
const char *breaker_pass_name(enum breaker_pass p);

/*
 * Lower-case in into out and check it against ^[a-z][a-z0-9:._-]{0,63}$.
 * Returns 0, or DIVE_EUSAGE with one line naming the bad name (shortened).
 */
int breaker_name_normalize(char out[BREAKER_NAME_MAX + 1], const char *in);

/*
 * The configuration in force for a breaker name (its class, or "default"),
 * after DIVE_BREAKER (read on the first call).  Returns 0, or DIVE_EUSAGE
 * when DIVE_BREAKER is bad: then *out is the built-in row and the message
 * says what is wrong.
 */
int breaker_config_get(const struct breaker_config **out, const char *name);
/* Read DIVE_BREAKER now if it has not been read; 0 or what breaker_config_get would return. */
int breaker_config_load_env(void);
/* The built-in rows, whatever the settings say; NULL past the end. */
const struct breaker_config *breaker_config_at(size_t i);
size_t breaker_config_count(void);
/*
 * "CLASS.KEY=VALUE[,...]" on top of the table, after DIVE_BREAKER; keys:
 * failures, window_ms, open_base_ms, open_multiplier, open_max_ms, probes,
 * successes, probe_timeout_ms.  All or nothing: DIVE_EUSAGE with one line
 * naming the bad setting, and the table is unchanged.
 */
int breaker_config_override(const char *spec);
/* Back to the built-in table; DIVE_BREAKER will be read again (tests). */
void breaker_config_reset(void);

/* min(open_max_ms, open_base_ms * open_multiplier^(open_count-1)); open_count < 1 counts as 1. */
long breaker_open_duration_ms(const struct breaker_config *cfg, int open_count);

/* A closed breaker that has seen nothing. */
void breaker_row_init(struct breaker_row *r, const char *name);

/*
 * The machine.  *out is in after ev at now_ms under cfg, *dec what it means.
 * out may be in.  Pure: no I/O, no clock.  Returns 0, or DIVE_EUSAGE for an
 * event or state out of range (then *out is a copy of *in, nothing decided).
 */
int breaker_step(struct breaker_row *out, struct breaker_decision *dec, const struct breaker_row *in,
		 const struct breaker_config *cfg, const struct breaker_event *ev, long long now_ms);

/* "2026-11-27T08:15:02Z" for a time in ms since the epoch; "-" for 0. */
void breaker_format_time(char out[32], long long ms);

/*
 * The refusal for an ASK that dec refused, e.g.
 *   breaker 'mongo:hub' is open until 2026-11-27T08:15:02Z (next probe in 12s)
 *   breaker 'mongo:hub' is forced open by the operator; 'dive breaker close mongo:hub' closes it
 *   breaker 'mongo:hub' is half-open with 1 probe in flight (at most 1); next probe in 30s at the latest
 */
void breaker_refusal(char *out, size_t n, const struct breaker_row *r, const struct breaker_decision *dec,
		     long long now_ms);

/*
 * What breaker_allow() admitted (breaker_store.h); hand it back to
 * breaker_record().  A value: the name, how it passed and the generation.
 */
struct breaker_ticket {
	char name[BREAKER_NAME_MAX + 1];
	enum breaker_pass pass;
	long long generation;
};

/* An admitted call's outcome, not yet recorded (guard.h: recorded with the step it ends). */
struct breaker_outcome {
	int pending;                        /* 0: nothing to report */
	struct breaker_ticket ticket;
	enum breaker_event_type type;       /* SUCCESS, FAILURE or ABANDON */
	char message[BREAKER_MESSAGE_MAX + 1];
};

#endif
