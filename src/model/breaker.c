/* breaker.c - the circuit breaker machine, pure, and its configuration (see breaker.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/breaker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/log.h"
#include "dive/settings.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

/* Configuration: the table in force, changed by DIVE_BREAKER and overrides (settings.h). */

static const struct settings_key keys[] = {
	{ "failures", SETTINGS_INT, offsetof(struct breaker_config, failures), 1, 1000, NULL,
	  "failures within the window that open a closed breaker" },
	{ "window_ms", SETTINGS_LONG, offsetof(struct breaker_config, window_ms), 100, 86400000, NULL,
	  "the failure window, from its first failure" },
	{ "open_base_ms", SETTINGS_LONG, offsetof(struct breaker_config, open_base_ms), 10, 86400000, NULL,
	  "open duration after the first opening" },
	{ "open_multiplier", SETTINGS_DOUBLE, offsetof(struct breaker_config, open_multiplier), 1, 10, NULL,
	  "growth of the open duration per further opening" },
	{ "open_max_ms", SETTINGS_LONG, offsetof(struct breaker_config, open_max_ms), 10, 86400000, NULL,
	  "the longest open duration; not below open_base_ms" },
	{ "probes", SETTINGS_INT, offsetof(struct breaker_config, probes), 1, 100, NULL,
	  "probes in flight at most while half-open" },
	{ "successes", SETTINGS_INT, offsetof(struct breaker_config, successes), 1, 100, NULL,
	  "successful probes that close a half-open breaker" },
	{ "probe_timeout_ms", SETTINGS_LONG, offsetof(struct breaker_config, probe_timeout_ms), 100, 86400000, NULL,
	  "a probe not reported by then is forgotten" },
};

static int check_row(const void *row)
{
	const struct breaker_config *c = row;

	if (c->open_max_ms < c->open_base_ms)
		return dive_error_set(DIVE_EUSAGE, "breaker class '%s': open_max_ms (%ld) is below open_base_ms (%ld)",
				      c->name, c->open_max_ms, c->open_base_ms);
	return 0;
}

static const struct settings_schema schema = {
	.what = "breaker",
	.env = "DIVE_BREAKER",
	.keys = keys,
	.nkeys = ARRAY_SIZE(keys),
	.defaults = defaults,
	.nrows = NCLASSES,
	.row_size = sizeof(struct breaker_config),
	.name_offset = offsetof(struct breaker_config, name),
	.check = check_row,
};

static struct breaker_config table[NCLASSES];
static struct settings_table settings = SETTINGS_TABLE_INIT(&schema, table);

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

int breaker_config_load_env(void)
{
	return settings_load_env(&settings);
}

int breaker_config_get(const struct breaker_config **out, const char *name)
{
	size_t cls = class_index(name ? name : "");
	const void *rows;
	int err = settings_rows(&settings, &rows);

	/* a bad DIVE_BREAKER: the built-in row, and the error says why */
	*out = err ? &defaults[cls] : (const struct breaker_config *)rows + cls;
	return err;
}

int breaker_config_override(const char *spec)
{
	return settings_override(&settings, spec);
}

void breaker_config_reset(void)
{
	settings_reset(&settings);
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
