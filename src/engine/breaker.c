/* breaker.c - the circuit breaker machine and its configuration, pure (see breaker.h). */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/breaker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SPEC_MAX 1024

/*
 * The built-in classes.  A breaker counts every failed attempt, so a class
 * opens only after more failures than one call's retries make (retry.c:
 * docker 5 attempts, keycloak 8, mongodb 6, postgres 6): one call gets its
 * whole retry policy, and the breaker stops the calls that follow it.
 * Open durations start at about the time the endpoint takes to come back
 * (a local engine in seconds, Keycloak after a restart in tens of seconds)
 * and double per opening up to a few minutes.  The probe timeout is longer
 * than one request of the class may take, so a live probe keeps its slot.
 */
static const struct breaker_config defaults[] = {
	{ "docker", 8, 30000, 5000, 2.0, 120000, 1, 2, 60000, "the Docker engine API of an instance" },
	{ "keycloak", 10, 120000, 15000, 2.0, 300000, 1, 2, 60000,
	  "a Keycloak admin API (keycloak:hub, keycloak:deu, ...)" },
	{ "mongo", 8, 60000, 10000, 2.0, 120000, 1, 2, 35000, "a MongoDB federation store (mongo:hub)" },
	{ "postgres", 8, 30000, 5000, 2.0, 60000, 1, 2, 30000,
	  "PostgreSQL databases of the stack (not the state store, which holds the breakers)" },
	/*
	 * A secrets store is asked once per secret, in a row: one call that
	 * spends its three attempts opens the breaker, so the deploys and
	 * rotations that follow fail at once instead of each retrying.
	 */
	{ "vault", 3, 60000, 10000, 2.0, 120000, 1, 1, 30000, "a Vault server of the secrets provider (vault:HOST:PORT)" },
	{ "default", 8, 60000, 10000, 2.0, 300000, 1, 2, 60000, "any other endpoint" },
};

#define NCLASSES ARRAY_SIZE(defaults)

static const struct {
	const char *name;
	const char *meaning;
} state_table[BREAKER__COUNT] = {
	[BREAKER_CLOSED] = { "closed", "calls pass; failures are counted in a window" },
	[BREAKER_OPEN] = { "open", "calls fail at once until the open duration ends" },
	[BREAKER_HALF_OPEN] = { "half_open", "a bounded number of probes pass; enough successes close it, a failure opens it again for longer" },
	[BREAKER_FORCED_OPEN] = { "forced_open", "the operator opened it: calls fail at once until 'dive breaker close'" },
	[BREAKER_DISABLED] = { "disabled", "the operator disabled it: calls pass and nothing is counted" },
};

static const char *const event_names[BREAKER_EV__COUNT] = {
	[BREAKER_EV_ASK] = "ask",
	[BREAKER_EV_SUCCESS] = "success",
	[BREAKER_EV_FAILURE] = "failure",
	[BREAKER_EV_ABANDON] = "abandon",
	[BREAKER_EV_FORCE_OPEN] = "force-open",
	[BREAKER_EV_CLOSE] = "close",
	[BREAKER_EV_DISABLE] = "disable",
};

static const char *const pass_names[] = {
	[BREAKER_PASS_NONE] = "none",
	[BREAKER_PASS_CALL] = "call",
	[BREAKER_PASS_PROBE] = "probe",
};

const char *breaker_state_name(enum breaker_state s)
{
	return (unsigned)s < BREAKER__COUNT ? state_table[s].name : "unknown";
}

const char *breaker_state_meaning(enum breaker_state s)
{
	return (unsigned)s < BREAKER__COUNT ? state_table[s].meaning : "unknown";
}

int breaker_state_parse(enum breaker_state *out, const char *s)
{
	int i;

	for (i = 0; s && i < BREAKER__COUNT; i++) {
		if (!strcmp(state_table[i].name, s)) {
			*out = (enum breaker_state)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.32s' is not a breaker state", s ? s : "");
}

const char *breaker_event_name(enum breaker_event_type e)
{
	return (unsigned)e < BREAKER_EV__COUNT ? event_names[e] : "unknown";
}

const char *breaker_pass_name(enum breaker_pass p)
{
	return (unsigned)p < ARRAY_SIZE(pass_names) ? pass_names[p] : "unknown";
}

/* in, shortened and with anything unprintable or a quote shown as '?', for messages. */
static void shown_name(char out[72], const char *in)
{
	size_t i;

	for (i = 0; in[i] && i < 64; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = c < 0x20 || c >= 0x7f || c == '\'' || c == '\\' ? '?' : (char)c;
	}
	snprintf(out + i, 72 - i, "%s", in[i] ? "..." : "");
}

int breaker_name_normalize(char out[BREAKER_NAME_MAX + 1], const char *in)
{
	size_t i, len = in ? strnlen(in, BREAKER_NAME_MAX + 1) : 0;
	char shown[72];

	out[0] = '\0';
	if (len == 0)
		return dive_error_set(DIVE_EUSAGE, "a breaker name is empty");
	shown_name(shown, in);
	if (len > BREAKER_NAME_MAX)
		return dive_error_set(DIVE_EUSAGE, "breaker name '%s' is longer than %d characters", shown,
				      BREAKER_NAME_MAX);
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == ':' || c == '.' ||
							   c == '_' || c == '-')))) {
			out[0] = '\0';
			return dive_error_set(DIVE_EUSAGE,
					      "'%s' is not a breaker name (a letter, then letters, digits, ':', '.', "
					      "'_' or '-', such as 'keycloak:deu')", shown);
		}
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

/* Configuration: the table in force, changed by DIVE_BREAKER and overrides. */

enum key_type { KEY_LONG, KEY_INT, KEY_DOUBLE };

static const struct breaker_key {
	const char *name;
	enum key_type type;
	size_t offset;
	double min, max;
} keys[] = {
	{ "failures", KEY_INT, offsetof(struct breaker_config, failures), 1, 1000 },
	{ "window_ms", KEY_LONG, offsetof(struct breaker_config, window_ms), 100, 86400000 },
	{ "open_base_ms", KEY_LONG, offsetof(struct breaker_config, open_base_ms), 10, 86400000 },
	{ "open_multiplier", KEY_DOUBLE, offsetof(struct breaker_config, open_multiplier), 1, 10 },
	{ "open_max_ms", KEY_LONG, offsetof(struct breaker_config, open_max_ms), 10, 86400000 },
	{ "probes", KEY_INT, offsetof(struct breaker_config, probes), 1, 100 },
	{ "successes", KEY_INT, offsetof(struct breaker_config, successes), 1, 100 },
	{ "probe_timeout_ms", KEY_LONG, offsetof(struct breaker_config, probe_timeout_ms), 100, 86400000 },
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct breaker_config table[NCLASSES];
static int table_ready;
static int env_loaded;
static int env_err;
static char env_msg[256];

size_t breaker_config_count(void)
{
	return NCLASSES;
}

const struct breaker_config *breaker_config_at(size_t i)
{
	return i < NCLASSES ? &defaults[i] : NULL;
}

/* The class of a name: its part before ':' when a row has it, else "default". */
static size_t class_index(const char *name)
{
	size_t i, len = strcspn(name, ":");

	for (i = 0; i + 1 < NCLASSES; i++)
		if (strlen(defaults[i].name) == len && !strncmp(defaults[i].name, name, len))
			return i;
	return NCLASSES - 1;
}

static int class_parse(size_t *out, const char *s)
{
	size_t i;

	for (i = 0; i < NCLASSES; i++) {
		if (!strcmp(defaults[i].name, s)) {
			*out = i;
			return 0;
		}
	}
	return DIVE_EUSAGE;
}

static int set_key(struct breaker_config *c, const struct breaker_key *k, const char *value, const char *item)
{
	char *base = (char *)c + k->offset, *end;
	long l;
	double d;

	errno = 0;
	if (k->type == KEY_DOUBLE) {
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= k->min && d <= k->max))
			return dive_error_set(DIVE_EUSAGE, "breaker setting '%.80s': %s takes a number from %g to %g",
					      item, k->name, k->min, k->max);
		*(double *)(void *)base = d;
		return 0;
	}
	l = strtol(value, &end, 10);
	if (errno || value[0] < '0' || value[0] > '9' || *end || l < (long)k->min || l > (long)k->max)
		return dive_error_set(DIVE_EUSAGE, "breaker setting '%.80s': %s takes a whole number from %ld to %ld",
				      item, k->name, (long)k->min, (long)k->max);
	if (k->type == KEY_INT)
		*(int *)(void *)base = (int)l;
	else
		*(long *)(void *)base = l;
	return 0;
}

static int apply_item(struct breaker_config *t, char *item)
{
	char *dot, *eq, shown[128];
	size_t cls, i;

	snprintf(shown, sizeof(shown), "%.100s", item);
	eq = strchr(item, '=');
	dot = eq ? memchr(item, '.', (size_t)(eq - item)) : NULL;
	if (!eq || !dot || dot == item)
		return dive_error_set(DIVE_EUSAGE, "breaker setting '%.80s' is not CLASS.KEY=VALUE", shown);
	*dot = '\0';
	*eq = '\0';
	if (class_parse(&cls, item) < 0)
		return dive_error_set(DIVE_EUSAGE,
				      "breaker setting '%.80s': '%.32s' is not a breaker class (docker, keycloak, "
				      "mongo, postgres, default)", shown, item);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].name, dot + 1))
			return set_key(&t[cls], &keys[i], eq + 1, shown);
	return dive_error_set(DIVE_EUSAGE,
			      "breaker setting '%.80s': '%.32s' is not a key (failures, window_ms, open_base_ms, "
			      "open_multiplier, open_max_ms, probes, successes, probe_timeout_ms)", shown, dot + 1);
}

static int apply_spec(struct breaker_config *t, const char *spec)
{
	char buf[SPEC_MAX + 1], *item, *next;
	size_t i;
	int n = 0;

	if (strlen(spec) > SPEC_MAX)
		return dive_error_set(DIVE_EUSAGE, "breaker settings are too long (at most %d characters)", SPEC_MAX);
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
				break;
			return dive_error_set(DIVE_EUSAGE, "breaker setting %d is empty", n);
		}
		if (apply_item(t, item) < 0)
			return DIVE_EUSAGE;
	}
	for (i = 0; i < NCLASSES; i++)
		if (t[i].open_max_ms < t[i].open_base_ms)
			return dive_error_set(DIVE_EUSAGE,
					      "breaker class '%s': open_max_ms (%ld) is below open_base_ms (%ld)",
					      t[i].name, t[i].open_max_ms, t[i].open_base_ms);
	return 0;
}

/* Callers hold lock. */
static void load_env_locked(void)
{
	struct breaker_config copy[NCLASSES];
	const char *s;

	if (!table_ready) {
		memcpy(table, defaults, sizeof(table));
		table_ready = 1;
	}
	if (env_loaded)
		return;
	env_loaded = 1;
	env_err = 0;
	s = getenv("DIVE_BREAKER");
	if (!s)
		return;
	memcpy(copy, table, sizeof(copy));
	if (apply_spec(copy, s) < 0) {
		env_err = DIVE_EUSAGE;
		snprintf(env_msg, sizeof(env_msg), "DIVE_BREAKER: %s", dive_error_last());
		dive_debug("%s", env_msg);
		return;
	}
	memcpy(table, copy, sizeof(table));
	dive_debug("breaker configuration changed by DIVE_BREAKER");
}

int breaker_config_get(const struct breaker_config **out, const char *name)
{
	size_t cls = class_index(name ? name : "");
	int err;

	pthread_mutex_lock(&lock);
	load_env_locked();
	err = env_err;
	pthread_mutex_unlock(&lock);
	*out = &table[cls];
	if (err) {
		*out = &defaults[cls];
		dive_error_set(err, "%s", env_msg);
		dive_error_set_code(ERRC_CONFIG_INVALID);
	}
	return err;
}

int breaker_config_override(const char *spec)
{
	struct breaker_config copy[NCLASSES];
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

void breaker_config_reset(void)
{
	pthread_mutex_lock(&lock);
	memcpy(table, defaults, sizeof(table));
	table_ready = 1;
	env_loaded = 0;
	env_err = 0;
	env_msg[0] = '\0';
	pthread_mutex_unlock(&lock);
}

long breaker_open_duration_ms(const struct breaker_config *cfg, int open_count)
{
	double d = (double)cfg->open_base_ms;
	int i;

	/* Step by step, stopping at the cap: no overflow, no pow(). */
	for (i = 1; i < open_count && d < (double)cfg->open_max_ms && cfg->open_multiplier > 1.0; i++)
		d *= cfg->open_multiplier;
	return d >= (double)cfg->open_max_ms ? cfg->open_max_ms : (long)d;
}

/* The machine. */

void breaker_row_init(struct breaker_row *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->state = BREAKER_CLOSED;
}

static void enter(struct breaker_row *r, enum breaker_state s, long long now)
{
	r->state = s;
	r->generation++;
	r->state_since_ms = now;
}

/* Everything a closed (or disabled) breaker should not remember. */
static void forget_counters(struct breaker_row *r)
{
	r->failures = 0;
	r->successes = 0;
	r->window_start_ms = 0;
	r->probes_in_flight = 0;
}

static void forget_openings(struct breaker_row *r)
{
	forget_counters(r);
	r->open_count = 0;
	r->opened_ms = 0;
	r->next_probe_ms = 0;
}

static void open_now(struct breaker_row *r, const struct breaker_config *cfg, long long now)
{
	forget_counters(r);
	if (r->open_count < 1000000)
		r->open_count++;
	r->opened_ms = now;
	r->next_probe_ms = now + breaker_open_duration_ms(cfg, r->open_count);
	enter(r, BREAKER_OPEN, now);
}

static void note_error(struct breaker_row *r, const char *msg, long long now)
{
	snprintf(r->last_error, sizeof(r->last_error), "%s", msg ? msg : "");
	r->last_error_ms = now;
}

static void ask(struct breaker_row *r, struct breaker_decision *dec, const struct breaker_config *cfg,
		long long now)
{
	switch (r->state) {
	case BREAKER_CLOSED:
		dec->allowed = 1;
		dec->pass = BREAKER_PASS_CALL;
		return;
	case BREAKER_DISABLED:
		dec->allowed = 1;
		dec->pass = BREAKER_PASS_NONE;
		return;
	case BREAKER_FORCED_OPEN:
		dec->retry_at_ms = 0;
		return;
	case BREAKER_OPEN:
		if (now < r->next_probe_ms) {
			dec->retry_at_ms = r->next_probe_ms;
			return;
		}
		enter(r, BREAKER_HALF_OPEN, now);
		r->successes = 0;
		r->probes_in_flight = 0;
		break;
	case BREAKER_HALF_OPEN:
		if (r->probes_in_flight > 0 && now >= r->next_probe_ms) {
			/* Nobody reported in time: forget those probes; their late reports no longer count. */
			r->probes_in_flight = 0;
			r->generation++;
		}
		break;
	default:
		return;
	}
	if (r->probes_in_flight >= cfg->probes) {
		dec->retry_at_ms = r->next_probe_ms;
		return;
	}
	r->probes_in_flight++;
	r->next_probe_ms = now + cfg->probe_timeout_ms;
	dec->allowed = 1;
	dec->pass = BREAKER_PASS_PROBE;
}

/* Is this the report of a probe of the current half-open period? */
static int current_probe(const struct breaker_row *r, const struct breaker_event *ev)
{
	return r->state == BREAKER_HALF_OPEN && ev->pass == BREAKER_PASS_PROBE && ev->generation == r->generation;
}

static void outcome(struct breaker_row *r, struct breaker_decision *dec, const struct breaker_config *cfg,
		    const struct breaker_event *ev, long long now)
{
	if (ev->pass == BREAKER_PASS_NONE)
		return; /* admitted by a disabled breaker */
	switch (ev->type) {
	case BREAKER_EV_SUCCESS:
		if (!current_probe(r, ev))
			return; /* closed: nothing to count; open or forced: late news */
		if (r->probes_in_flight > 0)
			r->probes_in_flight--;
		r->successes++;
		dec->counted = 1;
		if (r->successes >= cfg->successes) {
			forget_openings(r);
			enter(r, BREAKER_CLOSED, now);
		}
		return;
	case BREAKER_EV_FAILURE:
		if (r->state == BREAKER_CLOSED) {
			if (r->window_start_ms == 0 || now - r->window_start_ms >= cfg->window_ms ||
			    now < r->window_start_ms) {
				r->window_start_ms = now;
				r->failures = 0;
			}
			r->failures++;
			note_error(r, ev->message, now);
			dec->counted = 1;
			if (r->failures >= cfg->failures)
				open_now(r, cfg, now);
		} else if (current_probe(r, ev)) {
			note_error(r, ev->message, now);
			dec->counted = 1;
			open_now(r, cfg, now);
		}
		return;
	case BREAKER_EV_ABANDON:
		if (current_probe(r, ev) && r->probes_in_flight > 0)
			r->probes_in_flight--;
		return;
	default:
		return;
	}
}

static void operate(struct breaker_row *r, enum breaker_event_type op, long long now)
{
	switch (op) {
	case BREAKER_EV_FORCE_OPEN:
		if (r->state == BREAKER_FORCED_OPEN)
			return;
		forget_counters(r);
		r->opened_ms = now;
		r->next_probe_ms = 0;
		enter(r, BREAKER_FORCED_OPEN, now);
		return;
	case BREAKER_EV_CLOSE:
	case BREAKER_EV_DISABLE:
		forget_openings(r);
		if (r->state != (op == BREAKER_EV_CLOSE ? BREAKER_CLOSED : BREAKER_DISABLED))
			enter(r, op == BREAKER_EV_CLOSE ? BREAKER_CLOSED : BREAKER_DISABLED, now);
		return;
	default:
		return;
	}
}

static int rows_differ(const struct breaker_row *a, const struct breaker_row *b)
{
	return a->state != b->state || a->failures != b->failures || a->successes != b->successes ||
	       a->window_start_ms != b->window_start_ms || a->opened_ms != b->opened_ms ||
	       a->next_probe_ms != b->next_probe_ms || a->open_count != b->open_count ||
	       a->probes_in_flight != b->probes_in_flight || a->generation != b->generation ||
	       a->state_since_ms != b->state_since_ms || a->last_error_ms != b->last_error_ms ||
	       strcmp(a->last_error, b->last_error) != 0;
}

int breaker_step(struct breaker_row *out, struct breaker_decision *dec, const struct breaker_row *in,
		 const struct breaker_config *cfg, const struct breaker_event *ev, long long now_ms)
{
	struct breaker_row r = *in;

	memset(dec, 0, sizeof(*dec));
	dec->from = dec->to = in->state;
	if ((unsigned)in->state >= BREAKER__COUNT || !ev || (unsigned)ev->type >= BREAKER_EV__COUNT ||
	    (unsigned)ev->pass > BREAKER_PASS_PROBE || !cfg) {
		if (out != in)
			*out = *in;
		return dive_error_set(DIVE_EUSAGE, "internal: breaker '%s': state or event out of range", in->name);
	}
	switch (ev->type) {
	case BREAKER_EV_ASK:
		ask(&r, dec, cfg, now_ms);
		break;
	case BREAKER_EV_SUCCESS:
	case BREAKER_EV_FAILURE:
	case BREAKER_EV_ABANDON:
		outcome(&r, dec, cfg, ev, now_ms);
		break;
	default:
		operate(&r, ev->type, now_ms);
		break;
	}
	dec->to = r.state;
	dec->changed = rows_differ(&r, in);
	*out = r;
	return 0;
}

void breaker_format_time(char out[32], long long ms)
{
	struct tm tm;
	time_t t;

	if (ms <= 0) {
		snprintf(out, 32, "-");
		return;
	}
	t = (time_t)(ms / 1000);
	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "-");
}

/* Whole seconds until then, rounded up, never negative. */
static long long seconds_until(long long then, long long now)
{
	return then > now ? (then - now + 999) / 1000 : 0;
}

void breaker_refusal(char *out, size_t n, const struct breaker_row *r, const struct breaker_decision *dec,
		     long long now_ms)
{
	char until[32];

	switch (r->state) {
	case BREAKER_FORCED_OPEN:
		snprintf(out, n, "breaker '%s' is forced open by the operator; 'dive breaker close %s' closes it", r->name,
			 r->name);
		return;
	case BREAKER_HALF_OPEN:
		snprintf(out, n, "breaker '%s' is half-open with %d probe%s in flight; next probe in %llds at the latest",
			 r->name, r->probes_in_flight, r->probes_in_flight == 1 ? "" : "s",
			 seconds_until(dec->retry_at_ms, now_ms));
		return;
	default:
		breaker_format_time(until, dec->retry_at_ms);
		snprintf(out, n, "breaker '%s' is open until %s (next probe in %llds)", r->name, until,
			 seconds_until(dec->retry_at_ms, now_ms));
		return;
	}
}
