/* retry.c - retry policies, delays with jitter, and the retry driver (see retry.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/log.h"
#include "dive/retry.h"
#include "dive/settings.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The built-in policies.  Initial delays and caps follow how fast each
 * server answers once it is up (a local engine in milliseconds, Keycloak
 * seconds after a restart); deadlines follow the bash tool's waits (Keycloak
 * ready within 120 s, all services within 300 s, predecessor.md 2.10).
 */
static const struct retry_policy defaults[RETRY__COUNT] = {
	/* equal jitter: at least 3.1 s of waiting over the six attempts, so a dockerd restart is outlasted */
	[RETRY_DOCKER] = { "docker", 200, 2.0, 5000, 6, 30000, RETRY_JITTER_EQUAL,
			   "calls to the Docker engine API" },
	[RETRY_KEYCLOAK] = { "keycloak", 1000, 2.0, 15000, 8, 120000, RETRY_JITTER_FULL,
			     "calls to a Keycloak admin API, token requests included" },
	[RETRY_MONGODB] = { "mongodb", 500, 2.0, 10000, 6, 60000, RETRY_JITTER_FULL,
			    "the MongoDB federation store" },
	[RETRY_POSTGRES] = { "postgres", 250, 2.0, 5000, 6, 30000, RETRY_JITTER_FULL,
			     "connecting to the state store and other PostgreSQL databases" },
	[RETRY_HEALTH_WAIT] = { "health-wait", 1000, 1.5, 5000, 300, 300000, RETRY_JITTER_FULL,
				"polling a container until it is healthy (callers shorten the deadline to the service's timeout)" },
	[RETRY_HTTP_PROBE] = { "http-probe", 500, 2.0, 4000, 10, 60000, RETRY_JITTER_FULL,
			       "HTTP readiness and health probes" },
	/* a secrets store answers in milliseconds or not at all: three quick tries, then the breaker */
	[RETRY_VAULT] = { "vault", 250, 2.0, 2000, 3, 15000, RETRY_JITTER_FULL,
			  "calls to a Vault server (secrets provider vault:URL)" },
};

static const char *const stop_names[] = {
	[RETRY_STOP_SUCCESS] = "success",
	[RETRY_STOP_NOT_RETRYABLE] = "not-retryable",
	[RETRY_STOP_ATTEMPTS] = "attempts",
	[RETRY_STOP_DEADLINE] = "deadline",
};

/* The keys a setting may change, with their bounds (settings.h). */
static const char *const jitter_choices[] = { "full", "equal", "none", NULL };

static const struct settings_key keys[] = {
	{ "initial_ms", SETTINGS_LONG, offsetof(struct retry_policy, initial_ms), 0, 600000, NULL,
	  "bound before the first retry, in milliseconds" },
	{ "multiplier", SETTINGS_DOUBLE, offsetof(struct retry_policy, multiplier), 1, 10, NULL,
	  "growth of the bound per retry" },
	{ "cap_ms", SETTINGS_LONG, offsetof(struct retry_policy, cap_ms), 0, 3600000, NULL,
	  "largest bound, in milliseconds; not below initial_ms" },
	{ "attempts", SETTINGS_INT, offsetof(struct retry_policy, attempts), 1, 1000, NULL,
	  "attempts, the first included" },
	{ "deadline_ms", SETTINGS_LONG, offsetof(struct retry_policy, deadline_ms), 1, 86400000, NULL,
	  "no attempt starts later than this after the first, in milliseconds" },
	{ "jitter", SETTINGS_CHOICE, offsetof(struct retry_policy, jitter), 0, 0, jitter_choices,
	  "how the delay is drawn from its bound" },
};

static int check_row(const void *row)
{
	const struct retry_policy *p = row;

	if (p->cap_ms < p->initial_ms)
		return dive_error_set(DIVE_EUSAGE, "retry class '%s': cap_ms (%ld) is below initial_ms (%ld)", p->name,
				      p->cap_ms, p->initial_ms);
	return 0;
}

static const struct settings_schema schema = {
	.what = "retry",
	.env = "DIVE_RETRY",
	.keys = keys,
	.nkeys = ARRAY_SIZE(keys),
	.defaults = defaults,
	.nrows = RETRY__COUNT,
	.row_size = sizeof(struct retry_policy),
	.name_offset = offsetof(struct retry_policy, name),
	.check = check_row,
};

/* The table in force. */
static struct retry_policy table[RETRY__COUNT];
static struct settings_table settings = SETTINGS_TABLE_INIT(&schema, table);

const char *retry_class_name(enum retry_class cls)
{
	return (unsigned)cls < RETRY__COUNT ? defaults[cls].name : "unknown";
}

int retry_class_parse(enum retry_class *out, const char *s)
{
	char list[128];
	int i;

	for (i = 0; s && i < RETRY__COUNT; i++) {
		if (!strcmp(defaults[i].name, s)) {
			*out = (enum retry_class)i;
			return 0;
		}
	}
	settings_class_list(list, sizeof(list), &schema);
	return dive_error_set(DIVE_EUSAGE, "'%.32s' is not a retry class (%s)", s ? s : "", list);
}

const char *retry_jitter_name(enum retry_jitter j)
{
	return (unsigned)j < RETRY_JITTER__COUNT ? jitter_choices[j] : "unknown";
}

int retry_jitter_parse(enum retry_jitter *out, const char *s)
{
	int i;

	for (i = 0; s && i < RETRY_JITTER__COUNT; i++) {
		if (!strcmp(jitter_choices[i], s)) {
			*out = (enum retry_jitter)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.64s' is not a jitter mode (full, equal, none)", s ? s : "");
}

const char *retry_stop_name(enum retry_stop s)
{
	return (unsigned)s < ARRAY_SIZE(stop_names) ? stop_names[s] : "unknown";
}

const struct retry_policy *retry_policy_default(enum retry_class cls)
{
	return (unsigned)cls < RETRY__COUNT ? &defaults[cls] : NULL;
}

int retry_policy_load_env(void)
{
	return settings_load_env(&settings);
}

int retry_policy_get(const struct retry_policy **out, enum retry_class cls)
{
	const void *rows;
	int err;

	if ((unsigned)cls >= RETRY__COUNT)
		return dive_error_set(DIVE_EUSAGE, "internal: retry class %d out of range", (int)cls);
	err = settings_rows(&settings, &rows);
	*out = (const struct retry_policy *)rows + cls;
	return err;
}

int retry_policy_override(const char *spec)
{
	return settings_override(&settings, spec);
}

void retry_policy_reset(void)
{
	settings_reset(&settings);
}

/* Delays. */

/* splitmix64: any state is valid, including 0. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, max]; the modulo bias is below 2^-40 for max < 2^24. */
static long rng_upto(uint64_t *s, long max)
{
	if (max <= 0)
		return 0;
	return (long)(rng_next(s) % ((uint64_t)max + 1));
}

uint64_t retry_rng_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 32);
}

static uint64_t *thread_rng(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local int seeded;

	if (!seeded) {
		state = retry_rng_seed();
		seeded = 1;
	}
	return &state;
}

long retry_delay_bound_ms(const struct retry_policy *p, int attempt)
{
	double d = (double)p->initial_ms;
	int i;

	/* Multiply step by step and stop at the cap: no overflow, no pow(). */
	for (i = 0; i < attempt && d < (double)p->cap_ms && p->multiplier > 1.0; i++)
		d *= p->multiplier;
	return d >= (double)p->cap_ms ? p->cap_ms : (long)d;
}

long retry_delay_ms(const struct retry_policy *p, int attempt, uint64_t *rng_state)
{
	long bound = retry_delay_bound_ms(p, attempt);
	uint64_t *rng = rng_state ? rng_state : thread_rng();

	switch (p->jitter) {
	case RETRY_JITTER_NONE:
		return bound;
	case RETRY_JITTER_EQUAL:
		return bound / 2 + rng_upto(rng, bound - bound / 2);
	case RETRY_JITTER_FULL:
	default:
		return rng_upto(rng, bound);
	}
}

/* Classification. */

int retry_is_retryable(int dive_err, long http_status, int taxonomy_code)
{
	const struct errcode *e = NULL;

	switch (dive_err) {
	case DIVE_OK:
	case DIVE_EUSAGE:
	case DIVE_ETOOBIG:
	case DIVE_EINTR:
	case DIVE_ENOTIMPL:
	case DIVE_ECIRCUIT:
	case DIVE_ETLS:       /* a certificate does not fix itself */
	case DIVE_ENOTFOUND:  /* an answer, whatever the status said: asking again changes nothing */
		return 0;
	default:
		break;
	}
	if (http_status >= 400 && http_status <= 499 && http_status != 408 && http_status != 409 &&
	    http_status != 429)
		return 0;
	if (taxonomy_code && (e = errcode_find(taxonomy_code)) && !errclass_retried(e->klass))
		return 0;
	/* a 409 the client named with a code that is not transient is about the object (a name in use), not contention */
	if (http_status == 409 && taxonomy_code && e && e->klass != ERRCLASS_TRANSIENT)
		return 0;
	return 1;
}

/* The real clock. */

static long long real_now_ms(void *data)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep_ms(void *data, long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL); /* EINTR: return early, see retry.h */
}

const struct retry_clock retry_clock_real = { real_now_ms, real_sleep_ms, NULL, NULL };

/* The driver. */

int retry_run(const struct retry_policy *p, int (*op)(void *arg, long *http_status, int *code), void *arg,
	      const struct retry_clock *clock, struct retry_report *out)
{
	struct retry_report r;
	long long start, now;
	uint64_t *rng;
	int attempt, max = p->attempts > 0 ? p->attempts : 1;

	if (!clock)
		clock = &retry_clock_real;
	rng = clock->rng ? clock->rng : thread_rng();
	memset(&r, 0, sizeof(r));
	start = clock->now_ms(clock->data);
	for (attempt = 0;; attempt++) {
		long delay, remaining;
		long long before;
		long http = 0;
		int code = 0, rc;

		rc = op(arg, &http, &code);
		r.attempts++;
		r.last_err = rc;
		r.last_http = http;
		r.last_code = code;
		if (rc == 0) {
			r.stop = RETRY_STOP_SUCCESS;
			break;
		}
		if (!retry_is_retryable(rc, http, code)) {
			r.stop = RETRY_STOP_NOT_RETRYABLE;
			break;
		}
		if (r.attempts >= max) {
			r.stop = RETRY_STOP_ATTEMPTS;
			break;
		}
		/* The next attempt must start before the deadline. */
		delay = retry_delay_ms(p, attempt, rng);
		before = clock->now_ms(clock->data);
		remaining = (long)(p->deadline_ms - (before - start));
		if (remaining <= 0 || delay >= remaining) {
			r.stop = RETRY_STOP_DEADLINE;
			break;
		}
		dive_debug("retry %s: attempt %d failed (%s), next in %ld ms", p->name, r.attempts,
			   dive_err_name(rc), delay);
		clock->sleep_ms(clock->data, delay);
		now = clock->now_ms(clock->data);
		r.slept_ms += (long)(now - before);
		if (now - start >= p->deadline_ms) {
			r.stop = RETRY_STOP_DEADLINE;
			break;
		}
	}
	r.elapsed_ms = clock->now_ms(clock->data) - start;
	/* out of time with nothing more specific to say: the deadline is the reason */
	if (r.stop == RETRY_STOP_DEADLINE && !dive_error_last_code())
		dive_error_set_code(ERRC_TIMEOUT);
	if (out)
		*out = r;
	return r.last_err;
}

/* The document. */

int retry_render_markdown(FILE *f)
{
	size_t i;

	fprintf(f, "## Retry policies\n\n");
	fprintf(f, "Every call to the outside runs under the policy of its operation class (`retry_run()` in\n"
		   "src/engine/retry.c). It makes at most `attempts` attempts, the first included, and starts\n"
		   "none later than `deadline` after the first began: when the next sleep would reach the\n"
		   "deadline it stops instead of sleeping. Before retry n (n = 0 before the second attempt)\n"
		   "the delay's bound is min(cap, initial x multiplier^n), and the jitter mode draws the delay:\n\n"
		   "- `full` (default): uniform in [0, bound], so clients that failed together do not retry together\n"
		   "- `equal`: half the bound plus uniform in [0, the other half]\n"
		   "- `none`: exactly the bound\n\n");
	fprintf(f, "| class | initial ms | multiplier | cap ms | attempts | deadline ms | jitter | used for |\n");
	fprintf(f, "|---|---:|---:|---:|---:|---:|---|---|\n");
	for (i = 0; i < RETRY__COUNT; i++) {
		const struct retry_policy *p = &defaults[i];

		fprintf(f, "| %s | %ld | %g | %ld | %d | %ld | %s | %s |\n", p->name, p->initial_ms, p->multiplier,
			p->cap_ms, p->attempts, p->deadline_ms, retry_jitter_name(p->jitter), p->used_for);
	}
	fprintf(f, "\nThe environment variable `DIVE_RETRY` changes the table for one run, e.g.\n"
		   "`DIVE_RETRY=keycloak.attempts=8,keycloak.cap_ms=20000`. A bad setting is a usage error\n"
		   "(exit 2, code 1107) that names it, and nothing changes. Keys and their bounds:\n\n");
	fprintf(f, "| key | values | meaning |\n|---|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		char values[64];

		settings_key_values(values, sizeof(values), &keys[i]);
		fprintf(f, "| %s | %s | %s |\n", keys[i].name, values, keys[i].help);
	}
	return ferror(f) ? DIVE_EFAIL : 0;
}
