/*
 * retry.h - retry policies by operation class, and the driver that applies
 * them with an attempt cap and an overall deadline.
 *
 * Policies are a table (src/engine/retry.c), one row per operation class.
 * The delay before retry n (n = 0 before the second attempt) has the upper
 * bound min(cap_ms, initial_ms * multiplier^n); the jitter mode draws the
 * delay from it:
 *
 *   full   (default) uniform in [0, bound]
 *   equal  bound/2 + uniform in [0, bound - bound/2]
 *   none   exactly bound (tests, and anything that must be predictable)
 *
 * The table can be changed with "CLASS.KEY=VALUE,..." settings, e.g.
 * "keycloak.attempts=8,keycloak.cap_ms=20000": from the environment variable
 * DIVE_RETRY, applied at first use, and from retry_policy_override().  Every
 * value is bounded; a bad setting is a usage error with one clear line and
 * changes nothing.  Change the table before starting threads.
 *
 * The driver takes its time and its randomness from a struct retry_clock,
 * so tests run it on a fake clock with a seeded generator.
 */
#ifndef DIVE_RETRY_H
#define DIVE_RETRY_H

#include <stdint.h>
#include <stdio.h>

enum retry_class {
	RETRY_DOCKER,
	RETRY_KEYCLOAK,
	RETRY_MONGODB,
	RETRY_POSTGRES,
	RETRY_HEALTH_WAIT,
	RETRY_HTTP_PROBE,
	RETRY_VAULT,
	RETRY__COUNT
};

enum retry_jitter {
	RETRY_JITTER_FULL,
	RETRY_JITTER_EQUAL,
	RETRY_JITTER_NONE,
	RETRY_JITTER__COUNT
};

struct retry_policy {
	const char *name;        /* the class, as written in settings: "health-wait" */
	long initial_ms;         /* bound before the first retry */
	double multiplier;       /* the bound grows by this factor per retry */
	long cap_ms;             /* the bound never exceeds this */
	int attempts;            /* at most this many attempts, the first included */
	long deadline_ms;        /* no attempt starts this long after the first one began */
	enum retry_jitter jitter;
	const char *used_for;    /* one line for the document */
};

/*
 * The policy in force for cls, after DIVE_RETRY (read on the first call).
 * Returns 0, or DIVE_EUSAGE when DIVE_RETRY is bad; then *out is the
 * default policy and the message says what is wrong with the variable.
 * A caller may copy the policy and tighten it (a service's own timeout as
 * deadline_ms, for example).
 */
int retry_policy_get(const struct retry_policy **out, enum retry_class cls);
/* The built-in row, whatever the settings say. */
const struct retry_policy *retry_policy_default(enum retry_class cls);

/* Read DIVE_RETRY now if it has not been read; returns what retry_policy_get would. */
int retry_policy_load_env(void);
/*
 * Apply "CLASS.KEY=VALUE[,CLASS.KEY=VALUE...]" on top of the table (DIVE_RETRY
 * is read first, so a later override wins).  Keys: initial_ms, multiplier,
 * cap_ms, attempts, deadline_ms, jitter.  All or nothing: on error returns
 * DIVE_EUSAGE with one line naming the bad setting and the table is unchanged.
 */
int retry_policy_override(const char *spec);
/* Back to the built-in table; DIVE_RETRY will be read again (for tests). */
void retry_policy_reset(void);

const char *retry_class_name(enum retry_class cls);
int retry_class_parse(enum retry_class *out, const char *s);
const char *retry_jitter_name(enum retry_jitter j);
int retry_jitter_parse(enum retry_jitter *out, const char *s);

/* The upper bound of the delay before retry n: min(cap, initial * multiplier^n). */
long retry_delay_bound_ms(const struct retry_policy *p, int attempt);
/*
 * The delay before retry n, drawn according to p->jitter from *rng_state
 * (advanced).  The same seed gives the same delays.  rng_state NULL uses a
 * per-thread generator seeded by retry_rng_seed().
 */
long retry_delay_ms(const struct retry_policy *p, int attempt, uint64_t *rng_state);
/* A seed from getrandom(), or from the clock and pid if that fails. */
uint64_t retry_rng_seed(void);

/*
 * Whether a failed attempt is worth another one.  Not retried: success;
 * DIVE_EUSAGE and DIVE_ETOOBIG (bad input stays bad); DIVE_EINTR (the run is
 * being cancelled); DIVE_ENOTIMPL; DIVE_ECIRCUIT (the breaker already
 * decided); an HTTP 4xx other than 408, 409 and 429; a taxonomy code whose
 * class is not retried (errclass_retried() in errcodes.h); a 409 with a
 * taxonomy code that is not transient (a container name in use: the answer
 * is about the object, and the repair is a playbook's, not a wait's).
 * Everything else,
 * including 5xx, timeouts and unreachable servers, is retried.  http_status
 * and taxonomy_code are 0 when unknown.
 */
int retry_is_retryable(int dive_err, long http_status, int taxonomy_code);

/* Where the driver gets time and randomness. */
struct retry_clock {
	long long (*now_ms)(void *data);   /* monotonic milliseconds */
	void (*sleep_ms)(void *data, long ms);
	void *data;
	uint64_t *rng;                     /* jitter state; NULL: per-thread, seeded from getrandom */
};

/*
 * CLOCK_MONOTONIC and nanosleep.  A signal cuts a sleep short (the driver
 * then makes its next attempt, which sees the cancellation); the report
 * counts the time actually slept.
 */
extern const struct retry_clock retry_clock_real;

enum retry_stop {
	RETRY_STOP_SUCCESS,        /* an attempt succeeded */
	RETRY_STOP_NOT_RETRYABLE,  /* retry_is_retryable() said no */
	RETRY_STOP_ATTEMPTS,       /* the attempt cap was reached */
	RETRY_STOP_DEADLINE,       /* the next sleep would have reached the deadline */
};

const char *retry_stop_name(enum retry_stop s);

struct retry_report {
	int attempts;              /* attempts made */
	long slept_ms;             /* total time spent sleeping between them */
	long long elapsed_ms;      /* from the first attempt's start to the end */
	int last_err;              /* the last attempt's return value */
	long last_http;            /* the last attempt's HTTP status, 0 if none */
	int last_code;             /* the last attempt's taxonomy code, 0 if none */
	enum retry_stop stop;
};

/*
 * Run op until it succeeds, under policy p.  Before each attempt *http_status
 * and *code are set to 0; op sets them when it knows them, returns 0 on
 * success or a negative DIVE_E* with the message set.  The driver stops at
 * the attempt cap, at the first failure that is not retryable, or when the
 * next sleep would reach p->deadline_ms after the start: it never sleeps
 * past the deadline and never starts an attempt after it (an attempt started
 * before it may end after it; op's own timeouts bound that).
 *
 * Returns 0, or op's last error unchanged (its message too).  clock NULL
 * means retry_clock_real; out may be NULL.
 */
int retry_run(const struct retry_policy *p, int (*op)(void *arg, long *http_status, int *code), void *arg,
	      const struct retry_clock *clock, struct retry_report *out);

/* The "Retry policies" section of docs/architecture/error-taxonomy.md (built-in rows). */
int retry_render_markdown(FILE *f);

#endif
