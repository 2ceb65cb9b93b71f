/* test_breaker.c - the breaker machine as a table, its configuration, and guarded calls against a fake store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/breaker_store.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/guard.h"
#include "dive/retry.h"

#define T0 1000000LL
#define ANY -1

/* failures 3 in 10 s; open 1 s, x2 per opening, at most 5 s; 2 probes; 2 successes close; probes expire after 3 s */
static const struct breaker_config cfg = { "test", 3, 10000, 1000, 2.0, 5000, 2, 2, 3000, "tests" };

struct step_case {
	const char *name;
	struct breaker_row in;
	struct breaker_event ev;
	long long now;
	/* expected */
	int allowed;
	enum breaker_pass pass;
	int changed;
	enum breaker_state to;
	int failures, successes, open_count, probes; /* ANY: not checked */
	long long next_probe, retry_at;              /* ANY: not checked */
	int generation_delta;
};

#define ASK { BREAKER_EV_ASK, BREAKER_PASS_NONE, 0, NULL }
#define OUTCOME(t, p, g) { BREAKER_EV_##t, BREAKER_PASS_##p, g, "connection refused" }
#define OPERATOR(t) { BREAKER_EV_##t, BREAKER_PASS_NONE, 0, NULL }

static const struct step_case cases[] = {
	/* closed */
	{ "closed admits a call and writes nothing",
	  { .state = BREAKER_CLOSED, .generation = 5 }, ASK, T0,
	  1, BREAKER_PASS_CALL, 0, BREAKER_CLOSED, 0, 0, 0, 0, ANY, ANY, 0 },
	{ "closed counts the first failure and starts its window",
	  { .state = BREAKER_CLOSED, .generation = 5 }, OUTCOME(FAILURE, CALL, 5), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 1, 0, 0, 0, 0, ANY, 0 },
	{ "closed opens when the failures reach the threshold within the window",
	  { .state = BREAKER_CLOSED, .failures = 2, .window_start_ms = T0 - 9999, .generation = 5 },
	  OUTCOME(FAILURE, CALL, 5), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_OPEN, 0, 0, 1, 0, T0 + 1000, ANY, 1 },
	{ "closed starts a new window when the old one ended",
	  { .state = BREAKER_CLOSED, .failures = 2, .window_start_ms = T0 - 10000, .generation = 5 },
	  OUTCOME(FAILURE, CALL, 5), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 1, 0, 0, 0, ANY, ANY, 0 },
	{ "closed counts a failure reported by a probe of an earlier period",
	  { .state = BREAKER_CLOSED, .generation = 9 }, OUTCOME(FAILURE, PROBE, 8), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 1, 0, 0, 0, ANY, ANY, 0 },
	{ "closed ignores successes",
	  { .state = BREAKER_CLOSED, .failures = 2, .window_start_ms = T0 - 100 }, OUTCOME(SUCCESS, CALL, 0), T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_CLOSED, 2, 0, 0, 0, ANY, ANY, 0 },

	/* open */
	{ "open refuses until its duration ends and says when",
	  { .state = BREAKER_OPEN, .open_count = 1, .opened_ms = T0 - 500, .next_probe_ms = T0 + 500 }, ASK, T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_OPEN, ANY, ANY, 1, 0, T0 + 500, T0 + 500, 0 },
	{ "open turns half-open and admits a probe when its duration ends",
	  { .state = BREAKER_OPEN, .open_count = 1, .opened_ms = T0 - 1000, .next_probe_ms = T0, .generation = 3 },
	  ASK, T0,
	  1, BREAKER_PASS_PROBE, 1, BREAKER_HALF_OPEN, 0, 0, 1, 1, T0 + 3000, ANY, 1 },
	{ "open ignores a late failure of a call admitted while closed",
	  { .state = BREAKER_OPEN, .open_count = 1, .opened_ms = T0, .next_probe_ms = T0 + 1000 },
	  OUTCOME(FAILURE, CALL, 0), T0 + 10,
	  0, BREAKER_PASS_NONE, 0, BREAKER_OPEN, ANY, ANY, 1, ANY, T0 + 1000, ANY, 0 },

	/* half-open */
	{ "half-open admits probes up to the limit",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 2000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, ASK, T0,
	  1, BREAKER_PASS_PROBE, 1, BREAKER_HALF_OPEN, ANY, 0, 1, 2, T0 + 3000, ANY, 0 },
	{ "half-open refuses past the probe limit until the probes report or expire",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 2000, .probes_in_flight = 2,
	    .next_probe_ms = T0 + 100, .generation = 7 }, ASK, T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_HALF_OPEN, ANY, 0, 1, 2, T0 + 100, T0 + 100, 0 },
	{ "half-open forgets probes that did not report in time",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 5000, .probes_in_flight = 2,
	    .next_probe_ms = T0 - 1, .generation = 7 }, ASK, T0,
	  1, BREAKER_PASS_PROBE, 1, BREAKER_HALF_OPEN, ANY, 0, 1, 1, T0 + 3000, ANY, 1 },
	{ "a successful probe counts toward closing and frees its slot",
	  { .state = BREAKER_HALF_OPEN, .open_count = 2, .opened_ms = T0 - 5000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(SUCCESS, PROBE, 7), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_HALF_OPEN, ANY, 1, 2, 0, ANY, ANY, 0 },
	{ "enough successful probes close the breaker and forget its openings",
	  { .state = BREAKER_HALF_OPEN, .open_count = 3, .opened_ms = T0 - 5000, .probes_in_flight = 2,
	    .successes = 1, .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(SUCCESS, PROBE, 7), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 0, 0, 0, 0, 0, ANY, 1 },
	{ "a failed probe opens it again for twice as long",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 2000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(FAILURE, PROBE, 7), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_OPEN, 0, 0, 2, 0, T0 + 2000, ANY, 1 },
	{ "the third opening in a row lasts four times the base",
	  { .state = BREAKER_HALF_OPEN, .open_count = 2, .opened_ms = T0 - 2000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(FAILURE, PROBE, 7), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_OPEN, 0, 0, 3, 0, T0 + 4000, ANY, 1 },
	{ "the open duration stops growing at its cap",
	  { .state = BREAKER_HALF_OPEN, .open_count = 4, .opened_ms = T0 - 2000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(FAILURE, PROBE, 7), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_OPEN, 0, 0, 5, 0, T0 + 5000, ANY, 1 },
	{ "a probe of an earlier period changes nothing",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 2000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(FAILURE, PROBE, 6), T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_HALF_OPEN, ANY, 0, 1, 1, T0 + 100, ANY, 0 },
	{ "a call admitted while closed does not count while half-open",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 2000, .probes_in_flight = 1,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(SUCCESS, CALL, 7), T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_HALF_OPEN, ANY, 0, 1, 1, T0 + 100, ANY, 0 },
	{ "an abandoned probe frees its slot and counts nothing",
	  { .state = BREAKER_HALF_OPEN, .open_count = 1, .opened_ms = T0 - 2000, .probes_in_flight = 2,
	    .successes = 1, .next_probe_ms = T0 + 100, .generation = 7 }, OUTCOME(ABANDON, PROBE, 7), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_HALF_OPEN, ANY, 1, 1, 1, T0 + 100, ANY, 0 },

	/* forced open */
	{ "forced open refuses whatever the time and waits for the operator",
	  { .state = BREAKER_FORCED_OPEN, .opened_ms = T0 - 999999 }, ASK, T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_FORCED_OPEN, ANY, ANY, ANY, 0, ANY, 0, 0 },
	{ "forced open ignores outcomes",
	  { .state = BREAKER_FORCED_OPEN, .opened_ms = T0 - 10, .generation = 4 }, OUTCOME(FAILURE, PROBE, 4), T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_FORCED_OPEN, 0, 0, 0, 0, ANY, ANY, 0 },
	{ "the operator forces a closed breaker open",
	  { .state = BREAKER_CLOSED, .failures = 1, .window_start_ms = T0 - 5 }, OPERATOR(FORCE_OPEN), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_FORCED_OPEN, 0, 0, 0, 0, 0, ANY, 1 },
	{ "the operator forces a half-open breaker open and its probes no longer count",
	  { .state = BREAKER_HALF_OPEN, .open_count = 2, .probes_in_flight = 1, .opened_ms = T0 - 5,
	    .next_probe_ms = T0 + 100, .generation = 7 }, OPERATOR(FORCE_OPEN), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_FORCED_OPEN, 0, 0, 2, 0, 0, ANY, 1 },
	{ "forcing open twice changes nothing",
	  { .state = BREAKER_FORCED_OPEN, .opened_ms = T0 - 10 }, OPERATOR(FORCE_OPEN), T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_FORCED_OPEN, 0, 0, 0, 0, ANY, ANY, 0 },

	/* close and disable */
	{ "closing resets the counters and the openings",
	  { .state = BREAKER_OPEN, .open_count = 3, .opened_ms = T0 - 5, .next_probe_ms = T0 + 4000 },
	  OPERATOR(CLOSE), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 0, 0, 0, 0, 0, ANY, 1 },
	{ "closing a closed breaker clears its failures in the same period",
	  { .state = BREAKER_CLOSED, .failures = 2, .window_start_ms = T0 - 5, .generation = 3 }, OPERATOR(CLOSE), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 0, 0, 0, 0, 0, ANY, 0 },
	{ "disabled admits every call and hands out no ticket",
	  { .state = BREAKER_DISABLED }, ASK, T0,
	  1, BREAKER_PASS_NONE, 0, BREAKER_DISABLED, 0, 0, 0, 0, ANY, ANY, 0 },
	{ "disabled counts no failure",
	  { .state = BREAKER_DISABLED, .generation = 2 }, OUTCOME(FAILURE, CALL, 2), T0,
	  0, BREAKER_PASS_NONE, 0, BREAKER_DISABLED, 0, 0, 0, 0, ANY, ANY, 0 },
	{ "disabling an open breaker forgets its openings",
	  { .state = BREAKER_OPEN, .open_count = 2, .opened_ms = T0 - 5, .next_probe_ms = T0 + 100 },
	  OPERATOR(DISABLE), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_DISABLED, 0, 0, 0, 0, 0, ANY, 1 },
	{ "closing a disabled breaker makes it count again",
	  { .state = BREAKER_DISABLED }, OPERATOR(CLOSE), T0,
	  0, BREAKER_PASS_NONE, 1, BREAKER_CLOSED, 0, 0, 0, 0, 0, ANY, 1 },
};

static void breaker__state_machine_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct step_case *c = &cases[i];
		struct breaker_row in = c->in, out;
		struct breaker_decision dec;

		snprintf(in.name, sizeof(in.name), "mongo:hub");
		print_message("case %zu: %s\n", i, c->name);
		assert_int_equal(breaker_step(&out, &dec, &in, &cfg, &c->ev, c->now), 0);
		assert_int_equal(dec.allowed, c->allowed);
		assert_int_equal(dec.pass, c->pass);
		assert_int_equal(dec.changed, c->changed);
		assert_int_equal(dec.from, c->in.state);
		assert_int_equal(dec.to, c->to);
		assert_int_equal(out.state, c->to);
		if (c->failures != ANY)
			assert_int_equal(out.failures, c->failures);
		if (c->successes != ANY)
			assert_int_equal(out.successes, c->successes);
		if (c->open_count != ANY)
			assert_int_equal(out.open_count, c->open_count);
		if (c->probes != ANY)
			assert_int_equal(out.probes_in_flight, c->probes);
		if (c->next_probe != ANY)
			assert_int_equal(out.next_probe_ms, c->next_probe);
		if (!c->allowed && c->ev.type == BREAKER_EV_ASK && c->retry_at != ANY)
			assert_int_equal(dec.retry_at_ms, c->retry_at);
		assert_int_equal(out.generation - c->in.generation, c->generation_delta);
		if (dec.from != dec.to)
			assert_int_equal(out.state_since_ms, c->now);
		if (!c->changed)
			assert_memory_equal(&out.failures, &in.failures,
					    offsetof(struct breaker_row, last_error) - offsetof(struct breaker_row, failures));
		if (c->ev.type == BREAKER_EV_FAILURE && dec.counted)
			assert_string_equal(out.last_error, "connection refused");
		if (c->ev.type == BREAKER_EV_ASK && c->allowed)
			assert_int_equal(dec.pass != BREAKER_PASS_NONE || c->to == BREAKER_DISABLED, 1);
	}
}

static void breaker__step_refuses_events_out_of_range(void **state)
{
	struct breaker_row in, out;
	struct breaker_decision dec;
	struct breaker_event ev = { BREAKER_EV__COUNT, BREAKER_PASS_NONE, 0, NULL };

	breaker_row_init(&in, "docker");
	assert_int_equal(breaker_step(&out, &dec, &in, &cfg, &ev, T0), DIVE_EUSAGE);
	assert_false(dec.changed);
	in.state = BREAKER__COUNT;
	ev.type = BREAKER_EV_ASK;
	assert_int_equal(breaker_step(&out, &dec, &in, &cfg, &ev, T0), DIVE_EUSAGE);
	assert_false(dec.allowed);
}

static void breaker__open_duration_backs_off_by_the_multiplier_up_to_the_cap(void **state)
{
	size_t i;
	int n;

	assert_int_equal(breaker_open_duration_ms(&cfg, 0), 1000);
	assert_int_equal(breaker_open_duration_ms(&cfg, 1), 1000);
	assert_int_equal(breaker_open_duration_ms(&cfg, 2), 2000);
	assert_int_equal(breaker_open_duration_ms(&cfg, 3), 4000);
	assert_int_equal(breaker_open_duration_ms(&cfg, 4), 5000);
	assert_int_equal(breaker_open_duration_ms(&cfg, 1000000), 5000);
	for (i = 0; i < breaker_config_count(); i++) {
		const struct breaker_config *c = breaker_config_at(i);
		long prev = 0;

		assert_true(c->failures > 0 && c->probes > 0 && c->successes > 0);
		assert_true(c->open_base_ms <= c->open_max_ms);
		for (n = 1; n < 60; n++) {
			long d = breaker_open_duration_ms(c, n);
			double expect = (double)c->open_base_ms;
			int k;

			for (k = 1; k < n && expect < (double)c->open_max_ms; k++)
				expect *= c->open_multiplier;
			assert_true(d >= prev && d <= c->open_max_ms);
			assert_int_equal(d, expect >= (double)c->open_max_ms ? c->open_max_ms : (long)expect);
			prev = d;
		}
		assert_int_equal(prev, c->open_max_ms);
	}
	assert_null(breaker_config_at(breaker_config_count()));
}

/* Sequences of opening and probing: each opening in a row lasts longer, until a close resets it. */
static void breaker__repeated_openings_back_off_and_a_close_starts_over(void **state)
{
	struct breaker_row r;
	struct breaker_decision dec;
	struct breaker_event ask = ASK, fail = OUTCOME(FAILURE, CALL, 0), ok;
	long long now = T0, expect[] = { 1000, 2000, 4000, 5000, 5000 };
	size_t i;
	int k;

	breaker_row_init(&r, "docker");
	for (k = 0; k < cfg.failures; k++)
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &fail, now), 0);
	assert_int_equal(r.state, BREAKER_OPEN);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_int_equal(r.state, BREAKER_OPEN);
		assert_int_equal(r.next_probe_ms - now, expect[i]);
		now = r.next_probe_ms - 1;
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ask, now), 0);
		assert_false(dec.allowed);
		now++;
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ask, now), 0);
		assert_true(dec.allowed);
		assert_int_equal(dec.pass, BREAKER_PASS_PROBE);
		fail.pass = BREAKER_PASS_PROBE;
		fail.generation = r.generation;
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &fail, now), 0);
	}
	/* now the endpoint is back: two probes close it, and the next opening is short again */
	now = r.next_probe_ms;
	for (k = 0; k < cfg.successes; k++) {
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ask, now), 0);
		assert_int_equal(dec.pass, BREAKER_PASS_PROBE);
		ok = (struct breaker_event)OUTCOME(SUCCESS, PROBE, r.generation);
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ok, now), 0);
	}
	assert_int_equal(r.state, BREAKER_CLOSED);
	assert_int_equal(r.open_count, 0);
	fail.pass = BREAKER_PASS_CALL;
	for (k = 0; k < cfg.failures; k++)
		assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &fail, now), 0);
	assert_int_equal(r.state, BREAKER_OPEN);
	assert_int_equal(r.next_probe_ms - now, 1000);
}

/* Random events from many callers: the invariants hold whatever the order. */
static void breaker__half_open_never_admits_more_than_the_probe_limit(void **state)
{
	struct ticket {
		int live;
		enum breaker_pass pass;
		long long generation;
	} t[16];
	uint64_t rng = 12345;
	struct breaker_row r;
	struct breaker_decision dec;
	long long now = T0;
	int step, max_seen = 0;

	memset(t, 0, sizeof(t));
	breaker_row_init(&r, "mongo:hub");
	for (step = 0; step < 200000; step++) {
		int i, k, current;
		struct breaker_event ev;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (int)((rng >> 33) % 16);
		now += (long long)((rng >> 20) % 400);
		if (!t[i].live) {
			ev = (struct breaker_event)ASK;
			assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ev, now), 0);
			if (dec.allowed) {
				t[i].live = 1;
				t[i].pass = dec.pass;
				t[i].generation = r.generation;
			}
		} else {
			k = (int)((rng >> 40) % 10);
			ev.type = k < 4 ? BREAKER_EV_FAILURE : k < 9 ? BREAKER_EV_SUCCESS : BREAKER_EV_ABANDON;
			ev.pass = t[i].pass;
			ev.generation = t[i].generation;
			ev.message = "x";
			assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ev, now), 0);
			t[i].live = 0;
		}
		assert_true(r.probes_in_flight >= 0 && r.probes_in_flight <= cfg.probes);
		assert_true(r.failures >= 0 && r.failures < cfg.failures);
		assert_true(r.successes >= 0 && r.successes < cfg.successes);
		if (r.state == BREAKER_HALF_OPEN) {
			/* live probes of this period never exceed the limit */
			for (i = 0, current = 0; i < 16; i++)
				if (t[i].live && t[i].pass == BREAKER_PASS_PROBE && t[i].generation == r.generation)
					current++;
			assert_true(current <= cfg.probes);
			if (current > max_seen)
				max_seen = current;
		}
		assert_true(r.state == BREAKER_CLOSED || r.state == BREAKER_OPEN || r.state == BREAKER_HALF_OPEN);
		if (r.state == BREAKER_OPEN)
			assert_true(r.next_probe_ms - r.opened_ms <= cfg.open_max_ms);
	}
	assert_int_equal(max_seen, cfg.probes); /* the limit was reached, so the check above meant something */
}

static void breaker__names_are_lower_cased_and_validated(void **state)
{
	static const char *const good[][2] = {
		{ "docker", "docker" }, { "keycloak:DEU", "keycloak:deu" }, { "Mongo:Hub", "mongo:hub" },
		{ "postgres", "postgres" }, { "opa:hub-1.internal_x", "opa:hub-1.internal_x" },
		{ "a234567890123456789012345678901234567890123456789012345678901234",
		  "a234567890123456789012345678901234567890123456789012345678901234" },
	};
	static const char *const bad[] = {
		"", "1docker", ":hub", "mongo hub", "mongo/hub", "mongo;drop", "kéycloak", "-x", "a\nb",
		"a2345678901234567890123456789012345678901234567890123456789012345",
	};
	char out[BREAKER_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(breaker_name_normalize(out, good[i][0]), 0);
		assert_string_equal(out, good[i][1]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(breaker_name_normalize(out, bad[i]), DIVE_EUSAGE);
		assert_string_equal(out, "");
		assert_null(strchr(dive_error_last(), '\n'));
	}
	assert_int_equal(breaker_name_normalize(out, "mongo'\x1b[31m"), DIVE_EUSAGE);
	assert_string_equal(dive_error_last(), "'mongo??[31m' is not a breaker name (a letter, then letters, digits, "
					       "':', '.', '_' or '-', such as 'keycloak:deu')");
	assert_int_equal(breaker_name_normalize(out, NULL), DIVE_EUSAGE);
}

static int reset_config(void **state)
{
	unsetenv("DIVE_BREAKER");
	breaker_config_reset();
	return 0;
}

static void breaker__class_comes_from_the_name_before_the_colon(void **state)
{
	const struct breaker_config *c;

	assert_int_equal(breaker_config_get(&c, "keycloak:deu"), 0);
	assert_string_equal(c->name, "keycloak");
	assert_int_equal(breaker_config_get(&c, "keycloak"), 0);
	assert_string_equal(c->name, "keycloak");
	assert_int_equal(breaker_config_get(&c, "mongo:hub"), 0);
	assert_string_equal(c->name, "mongo");
	assert_int_equal(breaker_config_get(&c, "docker"), 0);
	assert_string_equal(c->name, "docker");
	assert_int_equal(breaker_config_get(&c, "keycloakx:deu"), 0);
	assert_string_equal(c->name, "default");
	assert_int_equal(breaker_config_get(&c, "opa:hub"), 0);
	assert_string_equal(c->name, "default");
}

static void breaker__override_is_all_or_nothing(void **state)
{
	const struct breaker_config *c;
	static const char *const bad[] = {
		"mongo.failures=0", "mongo.failures=abc", "mongo.nope=1", "nope.failures=3", "mongo.failures",
		"mongo.failures=3,,mongo.probes=2", "mongo.open_base_ms=9000,mongo.open_max_ms=8000",
		"mongo.open_multiplier=11", "mongo.probes=-1",
	};
	size_t i;

	assert_int_equal(breaker_config_override("mongo.failures=3, mongo.open_base_ms=200,mongo.open_max_ms=900,"
						 "mongo.open_multiplier=1.5,mongo.probes=2,mongo.successes=1,"
						 "mongo.probe_timeout_ms=500,mongo.window_ms=1000"), 0);
	assert_int_equal(breaker_config_get(&c, "mongo:itest"), 0);
	assert_int_equal(c->failures, 3);
	assert_int_equal(c->open_base_ms, 200);
	assert_int_equal(c->open_max_ms, 900);
	assert_true(c->open_multiplier == 1.5);
	assert_int_equal(c->probes, 2);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(breaker_config_override(bad[i]), DIVE_EUSAGE);
		assert_null(strchr(dive_error_last(), '\n'));
		assert_int_equal(breaker_config_get(&c, "mongo:itest"), 0);
		assert_int_equal(c->failures, 3);
		assert_int_equal(c->open_base_ms, 200);
	}
	/* the built-in rows never change */
	assert_int_equal(breaker_config_at(2)->failures, 8);
}

static void breaker__bad_environment_setting_is_a_usage_error(void **state)
{
	const struct breaker_config *c;

	setenv("DIVE_BREAKER", "docker.failures=2,docker.open_base_ms=50", 1);
	breaker_config_reset();
	assert_int_equal(breaker_config_get(&c, "docker"), 0);
	assert_int_equal(c->failures, 2);
	assert_int_equal(c->open_base_ms, 50);
	setenv("DIVE_BREAKER", "docker.failures=zero", 1);
	breaker_config_reset();
	assert_int_equal(breaker_config_get(&c, "docker"), DIVE_EUSAGE);
	assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
	assert_non_null(strstr(dive_error_last(), "DIVE_BREAKER"));
	assert_int_equal(c->failures, 8); /* the built-in row */
}

static void breaker__refusal_says_when_the_next_probe_is_allowed(void **state)
{
	struct breaker_row r;
	struct breaker_decision dec;
	struct breaker_event ask = ASK;
	char msg[400];
	long long opened = 1795754100000LL; /* 2026-11-27T04:35:00Z */

	breaker_row_init(&r, "mongo:hub");
	r.state = BREAKER_OPEN;
	r.open_count = 1;
	r.opened_ms = opened;
	r.next_probe_ms = opened + 12000;
	assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ask, opened + 500), 0);
	assert_false(dec.allowed);
	breaker_refusal(msg, sizeof(msg), &r, &dec, opened + 500);
	assert_string_equal(msg, "breaker 'mongo:hub' is open until 2026-11-27T04:35:12Z (next probe in 12s)");
	r.state = BREAKER_FORCED_OPEN;
	assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ask, opened + 500), 0);
	breaker_refusal(msg, sizeof(msg), &r, &dec, opened + 500);
	assert_string_equal(msg, "breaker 'mongo:hub' is forced open by the operator; "
				 "'dive breaker close mongo:hub' closes it");
	r.state = BREAKER_HALF_OPEN;
	r.probes_in_flight = 2;
	r.next_probe_ms = opened + 3000;
	assert_int_equal(breaker_step(&r, &dec, &r, &cfg, &ask, opened + 500), 0);
	assert_false(dec.allowed);
	breaker_refusal(msg, sizeof(msg), &r, &dec, opened + 500);
	assert_string_equal(msg, "breaker 'mongo:hub' is half-open with 2 probes in flight; next probe in 3s at the "
				 "latest");
}

static void breaker__state_names_round_trip(void **state)
{
	enum breaker_state s;
	int i;

	for (i = 0; i < BREAKER__COUNT; i++) {
		assert_int_equal(breaker_state_parse(&s, breaker_state_name((enum breaker_state)i)), 0);
		assert_int_equal(s, i);
		assert_string_not_equal(breaker_state_meaning((enum breaker_state)i), "unknown");
	}
	assert_string_equal(breaker_state_name(BREAKER__COUNT), "unknown");
	assert_int_equal(breaker_state_parse(&s, "ajar"), DIVE_EUSAGE);
	/* the names are those of the CHECK in migrations/0004 */
	assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half_open");
	assert_string_equal(breaker_state_name(BREAKER_FORCED_OPEN), "forced_open");
}

static void breaker__document_lists_the_configuration_table(void **state)
{
	const char *src = getenv("DIVE_SOURCE_DIR") ? getenv("DIVE_SOURCE_DIR") : DIVE_SOURCE_DIR;
	char path[1024], row[512], *doc;
	FILE *f;
	long len;
	size_t i;

	snprintf(path, sizeof(path), "%s/docs/architecture/circuit-breakers.md", src);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	doc = malloc((size_t)len + 1);
	assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
	doc[len] = '\0';
	fclose(f);
	for (i = 0; i < breaker_config_count(); i++) {
		const struct breaker_config *c = breaker_config_at(i);

		snprintf(row, sizeof(row), "| %s | %d | %g s | %g s | %g | %g s | %d | %d | %g s | %s |\n", c->name,
			 c->failures, c->window_ms / 1000.0, c->open_base_ms / 1000.0, c->open_multiplier,
			 c->open_max_ms / 1000.0, c->probes, c->successes, c->probe_timeout_ms / 1000.0, c->used_for);
		if (!strstr(doc, row))
			print_message("docs/architecture/circuit-breakers.md lacks the row:\n%s", row);
		assert_non_null(strstr(doc, row));
	}
	free(doc);
}

/* --- guarded calls against an in-memory breaker on a fake clock ----------- */

struct fake {
	long long now;            /* the clock, ms */
	struct breaker_row row;
	struct breaker_config cfg;
	int asks, refusals;
	int reports[BREAKER_EV__COUNT];
	int fail_reports;         /* report() fails */
	/* the endpoint */
	int calls;
	int script[16];           /* return value of call n; past the end: the last one */
	long http[16];
	int nscript;
	long call_ms;
};

static long long fake_now(void *data)
{
	return ((struct fake *)data)->now;
}

static void fake_sleep(void *data, long ms)
{
	((struct fake *)data)->now += ms;
}

static int fake_allow(void *data, struct breaker_ticket *out, const char *name)
{
	struct fake *f = data;
	struct breaker_event ev = ASK;
	struct breaker_decision dec;
	char msg[400];

	f->asks++;
	assert_int_equal(breaker_step(&f->row, &dec, &f->row, &f->cfg, &ev, f->now), 0);
	if (!dec.allowed) {
		f->refusals++;
		breaker_refusal(msg, sizeof(msg), &f->row, &dec, f->now);
		dive_error_set(DIVE_ECIRCUIT, "%s", msg);
		dive_error_set_code(ERRC_CIRCUIT_OPEN);
		return DIVE_ECIRCUIT;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->pass = dec.pass;
	out->generation = f->row.generation;
	return 0;
}

static int fake_report(void *data, const struct breaker_ticket *t, enum breaker_event_type type, const char *message)
{
	struct fake *f = data;
	struct breaker_event ev = { type, t->pass, t->generation, message };
	struct breaker_decision dec;

	if (f->fail_reports)
		return dive_error_set(DIVE_EUNAVAIL, "lost the state store connection");
	f->reports[type]++;
	if (type == BREAKER_EV_FAILURE)
		assert_non_null(message);
	return breaker_step(&f->row, &dec, &f->row, &f->cfg, &ev, f->now);
}

static int fake_call(void *arg, long *http_status, int *code)
{
	struct fake *f = arg;
	int i = f->calls < f->nscript ? f->calls : f->nscript - 1;

	f->calls++;
	f->now += f->call_ms;
	*http_status = f->http[i];
	if (f->script[i] == 0)
		return 0;
	return dive_error_set(f->script[i], "mongo ping: call %d failed", f->calls);
}

static void fake_init(struct fake *f, const struct guard_ops **ops, struct guard_call *call,
		      struct retry_policy *pol, struct retry_clock *clock)
{
	static struct guard_ops o;

	memset(f, 0, sizeof(*f));
	f->now = T0;
	f->cfg = cfg;
	breaker_row_init(&f->row, "mongo:hub");
	f->call_ms = 100;
	o.allow = fake_allow;
	o.report = fake_report;
	o.data = f;
	*ops = &o;
	*pol = (struct retry_policy){ "test", 50, 2.0, 400, 4, 60000, RETRY_JITTER_NONE, "tests" };
	*clock = (struct retry_clock){ fake_now, fake_sleep, f, NULL };
	memset(call, 0, sizeof(*call));
	call->breaker = "mongo:hub";
	call->cls = RETRY_MONGODB;
	call->policy = pol;
	call->op = fake_call;
	call->arg = f;
	call->clock = clock;
}

static void guard__each_attempt_asks_the_breaker_and_reports_its_outcome(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;

	fake_init(&f, &ops, &call, &pol, &clock);
	f.script[0] = DIVE_EUNAVAIL;
	f.script[1] = 0;
	f.nscript = 2;
	assert_int_equal(guard_run(ops, &call, &rep), 0);
	assert_int_equal(f.asks, 2);
	assert_int_equal(f.calls, 2);
	assert_int_equal(rep.calls, 2);
	assert_int_equal(rep.retry.attempts, 2);
	assert_int_equal(f.reports[BREAKER_EV_FAILURE], 1);
	assert_int_equal(f.reports[BREAKER_EV_SUCCESS], 1);
	assert_int_equal(f.row.failures, 1);
	assert_string_equal(f.row.last_error, "mongo ping: call 1 failed");
	assert_false(rep.refused);
}

static void guard__open_breaker_fails_fast_without_calling_the_endpoint(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;
	long long before;

	fake_init(&f, &ops, &call, &pol, &clock);
	f.row.state = BREAKER_OPEN;
	f.row.open_count = 1;
	f.row.opened_ms = T0;
	f.row.next_probe_ms = T0 + 12000;
	f.script[0] = 0;
	f.nscript = 1;
	before = f.now;
	assert_int_equal(guard_run(ops, &call, &rep), DIVE_ECIRCUIT);
	assert_int_equal(dive_error_last_code(), ERRC_CIRCUIT_OPEN);
	assert_non_null(strstr(dive_error_last(), "breaker 'mongo:hub' is open until"));
	assert_non_null(strstr(dive_error_last(), "(next probe in 12s)"));
	assert_int_equal(f.calls, 0);
	assert_int_equal(rep.calls, 0);
	assert_int_equal(rep.retry.attempts, 1); /* an open breaker is never retried */
	assert_true(rep.refused);
	assert_int_equal(f.now, before);          /* no sleep, no call: no time passed */
}

static void guard__breaker_opening_mid_retry_stops_the_retries(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;

	fake_init(&f, &ops, &call, &pol, &clock);
	pol.attempts = 10;
	f.script[0] = DIVE_ETIMEOUT;
	f.nscript = 1;
	/* the threshold is 3: the third failure opens it, the fourth attempt is refused */
	assert_int_equal(guard_run(ops, &call, &rep), DIVE_ECIRCUIT);
	assert_int_equal(f.calls, 3);
	assert_int_equal(rep.retry.attempts, 4);
	assert_int_equal(rep.retry.stop, RETRY_STOP_NOT_RETRYABLE);
	assert_int_equal(f.row.state, BREAKER_OPEN);
	/* the next call fails fast */
	assert_int_equal(guard_run(ops, &call, &rep), DIVE_ECIRCUIT);
	assert_int_equal(f.calls, 3);
	assert_int_equal(rep.retry.attempts, 1);
}

static void guard__an_answer_that_is_not_retryable_counts_as_success(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;
	int i;

	fake_init(&f, &ops, &call, &pol, &clock);
	f.script[0] = DIVE_ENOTFOUND;
	f.http[0] = 404;
	f.nscript = 1;
	for (i = 0; i < 10; i++) {
		assert_int_equal(guard_run(ops, &call, &rep), DIVE_ENOTFOUND);
		assert_int_equal(rep.retry.attempts, 1);
	}
	assert_int_equal(f.reports[BREAKER_EV_SUCCESS], 10);
	assert_int_equal(f.reports[BREAKER_EV_FAILURE], 0);
	assert_int_equal(f.row.state, BREAKER_CLOSED);
	assert_non_null(strstr(dive_error_last(), "call 10 failed"));
}

static void guard__probes_close_the_breaker_when_the_endpoint_is_back(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;

	fake_init(&f, &ops, &call, &pol, &clock);
	f.row.state = BREAKER_OPEN;
	f.row.open_count = 2;
	f.row.opened_ms = T0 - 2000;
	f.row.next_probe_ms = T0;
	f.script[0] = 0;
	f.nscript = 1;
	assert_int_equal(guard_run(ops, &call, &rep), 0);
	assert_int_equal(f.row.state, BREAKER_HALF_OPEN);
	assert_int_equal(f.row.probes_in_flight, 0);
	assert_int_equal(guard_run(ops, &call, &rep), 0);
	assert_int_equal(f.row.state, BREAKER_CLOSED);
	assert_int_equal(f.row.open_count, 0);
	assert_int_equal(f.calls, 2);
}

static void guard__deferred_outcome_is_left_for_the_callers_transaction(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;

	fake_init(&f, &ops, &call, &pol, &clock);
	call.defer_last = 1;
	pol.attempts = 2;
	f.script[0] = DIVE_EUNAVAIL;
	f.nscript = 1;
	assert_int_equal(guard_run(ops, &call, &rep), DIVE_EUNAVAIL);
	/* the first failure was reported before the sleep; the last one waits for the caller */
	assert_int_equal(f.reports[BREAKER_EV_FAILURE], 1);
	assert_true(rep.deferred.pending);
	assert_int_equal(rep.deferred.type, BREAKER_EV_FAILURE);
	assert_int_equal(rep.deferred.ticket.pass, BREAKER_PASS_CALL);
	assert_string_equal(rep.deferred.message, "mongo ping: call 2 failed");
	assert_string_equal(rep.deferred.ticket.name, "mongo:hub");
}

static void guard__cancelled_probe_frees_its_slot(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;

	fake_init(&f, &ops, &call, &pol, &clock);
	f.row.state = BREAKER_OPEN;
	f.row.open_count = 1;
	f.row.opened_ms = T0 - 1000;
	f.row.next_probe_ms = T0;
	f.script[0] = DIVE_EINTR;
	f.nscript = 1;
	assert_int_equal(guard_run(ops, &call, &rep), DIVE_EINTR);
	assert_int_equal(f.reports[BREAKER_EV_ABANDON], 1);
	assert_int_equal(f.row.state, BREAKER_HALF_OPEN);
	assert_int_equal(f.row.probes_in_flight, 0);
	assert_int_equal(f.row.successes, 0);
}

static void guard__keeps_the_calls_error_when_recording_fails(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;

	fake_init(&f, &ops, &call, &pol, &clock);
	pol.attempts = 2;
	f.fail_reports = 1;
	f.script[0] = DIVE_ETIMEOUT;
	f.nscript = 1;
	assert_int_equal(guard_run(ops, &call, &rep), DIVE_ETIMEOUT);
	assert_string_equal(dive_error_last(), "mongo ping: call 2 failed");
	assert_int_equal(rep.report_errors, 2);
	/* a success stays a success */
	f.script[0] = 0;
	f.calls = 0;
	assert_int_equal(guard_run(ops, &call, &rep), 0);
	assert_int_equal(rep.report_errors, 1);
}

static void guard__disabled_breaker_passes_and_hears_nothing(void **state)
{
	const struct guard_ops *ops;
	struct guard_call call;
	struct guard_report rep;
	struct retry_policy pol;
	struct retry_clock clock;
	struct fake f;
	int i;

	fake_init(&f, &ops, &call, &pol, &clock);
	f.row.state = BREAKER_DISABLED;
	pol.attempts = 1;
	f.script[0] = DIVE_EUNAVAIL;
	f.nscript = 1;
	for (i = 0; i < 10; i++)
		assert_int_equal(guard_run(ops, &call, &rep), DIVE_EUNAVAIL);
	assert_int_equal(f.calls, 10);
	assert_int_equal(f.reports[BREAKER_EV_FAILURE] + f.reports[BREAKER_EV_SUCCESS], 0);
	assert_int_equal(f.row.state, BREAKER_DISABLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(breaker__state_machine_table),
		cmocka_unit_test(breaker__step_refuses_events_out_of_range),
		cmocka_unit_test(breaker__open_duration_backs_off_by_the_multiplier_up_to_the_cap),
		cmocka_unit_test(breaker__repeated_openings_back_off_and_a_close_starts_over),
		cmocka_unit_test(breaker__half_open_never_admits_more_than_the_probe_limit),
		cmocka_unit_test(breaker__names_are_lower_cased_and_validated),
		cmocka_unit_test_setup_teardown(breaker__class_comes_from_the_name_before_the_colon, reset_config,
						reset_config),
		cmocka_unit_test_setup_teardown(breaker__override_is_all_or_nothing, reset_config, reset_config),
		cmocka_unit_test_setup_teardown(breaker__bad_environment_setting_is_a_usage_error, reset_config,
						reset_config),
		cmocka_unit_test(breaker__refusal_says_when_the_next_probe_is_allowed),
		cmocka_unit_test(breaker__state_names_round_trip),
		cmocka_unit_test(breaker__document_lists_the_configuration_table),
		cmocka_unit_test(guard__each_attempt_asks_the_breaker_and_reports_its_outcome),
		cmocka_unit_test(guard__open_breaker_fails_fast_without_calling_the_endpoint),
		cmocka_unit_test(guard__breaker_opening_mid_retry_stops_the_retries),
		cmocka_unit_test(guard__an_answer_that_is_not_retryable_counts_as_success),
		cmocka_unit_test(guard__probes_close_the_breaker_when_the_endpoint_is_back),
		cmocka_unit_test(guard__deferred_outcome_is_left_for_the_callers_transaction),
		cmocka_unit_test(guard__cancelled_probe_frees_its_slot),
		cmocka_unit_test(guard__keeps_the_calls_error_when_recording_fails),
		cmocka_unit_test(guard__disabled_breaker_passes_and_hears_nothing),
	};

	return cmocka_run_group_tests_name("breaker", tests, NULL, NULL);
}
