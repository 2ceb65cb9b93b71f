/* retry.c - retry policies, delays with jitter, and the retry driver (see retry.h). */
#include <errno.h>
#include <pthread.h>
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SPEC_MAX 1024

/*
 * The built-in policies.  Initial delays and caps follow how fast each
 * server answers once it is up (a local engine in milliseconds, Keycloak
 * seconds after a restart); deadlines follow the bash tool's waits (Keycloak
 * ready within 120 s, all services within 300 s, predecessor.md 2.10).
 */
static const struct retry_policy defaults[RETRY__COUNT] = {
	[RETRY_DOCKER] = { "docker", 200, 2.0, 5000, 5, 30000, RETRY_JITTER_FULL,
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

static const char *const jitter_names[RETRY_JITTER__COUNT] = {
	[RETRY_JITTER_FULL] = "full",
	[RETRY_JITTER_EQUAL] = "equal",
	[RETRY_JITTER_NONE] = "none",
};

static const char *const stop_names[] = {
	[RETRY_STOP_SUCCESS] = "success",
	[RETRY_STOP_NOT_RETRYABLE] = "not-retryable",
	[RETRY_STOP_ATTEMPTS] = "attempts",
	[RETRY_STOP_DEADLINE] = "deadline",
};

/* The keys a setting may change, with their bounds. */
enum key_type { KEY_LONG, KEY_INT, KEY_DOUBLE, KEY_JITTER };

static const struct retry_key {
	const char *name;
	enum key_type type;
	size_t offset;
	double min, max;
	const char *help;
} keys[] = {
	{ "initial_ms", KEY_LONG, offsetof(struct retry_policy, initial_ms), 0, 600000,
	  "bound before the first retry, in milliseconds" },
	{ "multiplier", KEY_DOUBLE, offsetof(struct retry_policy, multiplier), 1, 10,
	  "growth of the bound per retry" },
	{ "cap_ms", KEY_LONG, offsetof(struct retry_policy, cap_ms), 0, 3600000,
	  "largest bound, in milliseconds; not below initial_ms" },
	{ "attempts", KEY_INT, offsetof(struct retry_policy, attempts), 1, 1000,
	  "attempts, the first included" },
	{ "deadline_ms", KEY_LONG, offsetof(struct retry_policy, deadline_ms), 1, 86400000,
	  "no attempt starts later than this after the first, in milliseconds" },
	{ "jitter", KEY_JITTER, offsetof(struct retry_policy, jitter), 0, 0,
	  "how the delay is drawn from its bound" },
};

/* The table in force; guarded by lock while it changes. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct retry_policy table[RETRY__COUNT];
static int table_ready;      /* table holds at least the defaults */
static int env_loaded;       /* DIVE_RETRY was read */
static int env_err;          /* and this is what came of it */
static char env_msg[256];

const char *retry_class_name(enum retry_class cls)
{
	return (unsigned)cls < RETRY__COUNT ? defaults[cls].name : "unknown";
}

/* "docker, keycloak, ..." for messages, from the table. */
static const char *class_list(void)
{
	static _Thread_local char list[128];
	size_t used = 0;
	int i;

	for (i = 0; i < RETRY__COUNT && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", defaults[i].name);
	return list;
}

int retry_class_parse(enum retry_class *out, const char *s)
{
	int i;

	for (i = 0; s && i < RETRY__COUNT; i++) {
		if (!strcmp(defaults[i].name, s)) {
			*out = (enum retry_class)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.32s' is not a retry class (%s)", s ? s : "", class_list());
}

const char *retry_jitter_name(enum retry_jitter j)
{
	return (unsigned)j < RETRY_JITTER__COUNT ? jitter_names[j] : "unknown";
}

int retry_jitter_parse(enum retry_jitter *out, const char *s)
{
	int i;

	for (i = 0; s && i < RETRY_JITTER__COUNT; i++) {
		if (!strcmp(jitter_names[i], s)) {
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

/* Parsing settings. */

static const struct retry_key *find_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].name) == len && !strncmp(keys[i].name, name, len))
			return &keys[i];
	return NULL;
}

/* Set one key of p from value, within its bounds; item is quoted in messages. */
static int set_key(struct retry_policy *p, const struct retry_key *k, const char *value, const char *item)
{
	char *base = (char *)p + k->offset, *end;
	long l;
	double d;

	switch (k->type) {
	case KEY_JITTER:
		if (retry_jitter_parse((enum retry_jitter *)(void *)base, value) < 0)
			return dive_error_set(DIVE_EUSAGE, "retry setting '%.80s': jitter is full, equal or none", item);
		return 0;
	case KEY_DOUBLE:
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= k->min && d <= k->max))
			return dive_error_set(DIVE_EUSAGE, "retry setting '%.80s': %s takes a number from %g to %g",
					      item, k->name, k->min, k->max);
		*(double *)(void *)base = d;
		return 0;
	case KEY_LONG:
	case KEY_INT:
		errno = 0;
		l = strtol(value, &end, 10);
		if (errno || value[0] < '0' || value[0] > '9' || *end || l < (long)k->min || l > (long)k->max)
			return dive_error_set(DIVE_EUSAGE, "retry setting '%.80s': %s takes a whole number from %ld to %ld",
					      item, k->name, (long)k->min, (long)k->max);
		if (k->type == KEY_INT)
			*(int *)(void *)base = (int)l;
		else
			*(long *)(void *)base = l;
		return 0;
	}
	return DIVE_EFAIL;
}

/* Apply one "CLASS.KEY=VALUE" item (item is a NUL-terminated, trimmed copy). */
static int apply_item(struct retry_policy *t, char *item)
{
	char *dot, *eq, shown[128];
	const struct retry_key *k;
	enum retry_class cls;

	snprintf(shown, sizeof(shown), "%.100s", item); /* quoted in messages, shortened */
	eq = strchr(item, '=');
	dot = eq ? memchr(item, '.', (size_t)(eq - item)) : NULL;
	if (!eq || !dot || dot == item)
		return dive_error_set(DIVE_EUSAGE, "retry setting '%.80s' is not CLASS.KEY=VALUE", shown);
	*dot = '\0';
	*eq = '\0';
	if (retry_class_parse(&cls, item) < 0)
		return dive_error_set(DIVE_EUSAGE, "retry setting '%.80s': '%.32s' is not a retry class (%s)", shown,
				      item, class_list());
	k = find_key(dot + 1, strlen(dot + 1));
	if (!k) {
		char list[128];
		size_t i, used = 0;

		for (i = 0; i < ARRAY_SIZE(keys) && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", keys[i].name);
		return dive_error_set(DIVE_EUSAGE, "retry setting '%.80s': '%.32s' is not a key (%s)", shown, dot + 1,
				      list);
	}
	return set_key(&t[cls], k, eq + 1, shown);
}

/* Apply spec to the copy t; all rows checked for consistency at the end. */
static int apply_spec(struct retry_policy *t, const char *spec)
{
	char buf[SPEC_MAX + 1], *item, *next;
	int i, n = 0;

	if (strlen(spec) > SPEC_MAX)
		return dive_error_set(DIVE_EUSAGE, "retry settings are too long (at most %d characters)", SPEC_MAX);
	memcpy(buf, spec, strlen(spec) + 1);
	for (item = buf; item; item = next) {
		char *end;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		n++;
		if (!*item) {
			if (!next && n == 1)
				break; /* an empty spec changes nothing */
			return dive_error_set(DIVE_EUSAGE, "retry setting %d is empty", n);
		}
		if (apply_item(t, item) < 0)
			return DIVE_EUSAGE;
	}
	for (i = 0; i < RETRY__COUNT; i++)
		if (t[i].cap_ms < t[i].initial_ms)
			return dive_error_set(DIVE_EUSAGE, "retry class '%s': cap_ms (%ld) is below initial_ms (%ld)",
					      t[i].name, t[i].cap_ms, t[i].initial_ms);
	return 0;
}

/* Callers hold lock. */
static void ensure_table(void)
{
	if (!table_ready) {
		memcpy(table, defaults, sizeof(table));
		table_ready = 1;
	}
}

static void load_env_locked(void)
{
	struct retry_policy copy[RETRY__COUNT];
	const char *s;

	ensure_table();
	if (env_loaded)
		return;
	env_loaded = 1;
	env_err = 0;
	s = getenv("DIVE_RETRY");
	if (!s)
		return;
	memcpy(copy, table, sizeof(copy));
	if (apply_spec(copy, s) < 0) {
		env_err = DIVE_EUSAGE;
		snprintf(env_msg, sizeof(env_msg), "DIVE_RETRY: %s", dive_error_last());
		dive_debug("%s", env_msg);
		return;
	}
	memcpy(table, copy, sizeof(table));
	dive_debug("retry policies changed by DIVE_RETRY");
}

int retry_policy_load_env(void)
{
	int err;

	pthread_mutex_lock(&lock);
	load_env_locked();
	err = env_err;
	pthread_mutex_unlock(&lock);
	if (err) {
		dive_error_set(err, "%s", env_msg);
		dive_error_set_code(ERRC_CONFIG_INVALID);
	}
	return err;
}

int retry_policy_get(const struct retry_policy **out, enum retry_class cls)
{
	int err;

	if ((unsigned)cls >= RETRY__COUNT)
		return dive_error_set(DIVE_EUSAGE, "internal: retry class %d out of range", (int)cls);
	err = retry_policy_load_env();
	*out = &table[cls];
	return err;
}

int retry_policy_override(const char *spec)
{
	struct retry_policy copy[RETRY__COUNT];
	int err;

	if (!spec)
		return 0;
	pthread_mutex_lock(&lock);
	load_env_locked();
	memcpy(copy, table, sizeof(copy));
	err = apply_spec(copy, spec);
	if (!err)
		memcpy(table, copy, sizeof(table));
	pthread_mutex_unlock(&lock);
	if (err)
		dive_error_set_code(ERRC_CONFIG_INVALID);
	return err;
}

void retry_policy_reset(void)
{
	pthread_mutex_lock(&lock);
	memcpy(table, defaults, sizeof(table));
	table_ready = 1;
	env_loaded = 0;
	env_err = 0;
	env_msg[0] = '\0';
	pthread_mutex_unlock(&lock);
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
	const struct errcode *e;

	switch (dive_err) {
	case DIVE_OK:
	case DIVE_EUSAGE:
	case DIVE_ETOOBIG:
	case DIVE_EINTR:
	case DIVE_ENOTIMPL:
	case DIVE_ECIRCUIT:
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
		const struct retry_key *k = &keys[i];

		if (k->type == KEY_JITTER)
			fprintf(f, "| %s | full, equal, none | %s |\n", k->name, k->help);
		else if (k->type == KEY_DOUBLE)
			fprintf(f, "| %s | %g to %g | %s |\n", k->name, k->min, k->max, k->help);
		else
			fprintf(f, "| %s | %ld to %ld | %s |\n", k->name, (long)k->min, (long)k->max, k->help);
	}
	return ferror(f) ? DIVE_EFAIL : 0;
}
