/* test_retry.c - retry policies, delays, classification and the driver on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/retry.h"

/* A fake clock: time moves only when the driver sleeps or an attempt says so. */
struct fake_clock {
	long long now;
	int sleeps;
	long slept;
	long long last_sleep_end;
};

static long long fake_now(void *data)
{
	return ((struct fake_clock *)data)->now;
}

static void fake_sleep(void *data, long ms)
{
	struct fake_clock *c = data;

	assert_true(ms >= 0);
	c->now += ms;
	c->sleeps++;
	c->slept += ms;
	c->last_sleep_end = c->now;
}

/* An operation that fails fails_left times with the given outcome, then succeeds. */
struct fake_op {
	struct fake_clock *clock;
	int fails_left;
	int err;
	long http;
	int code;
	long cost_ms;          /* each attempt takes this long */
	int calls;
	long long first_start;
	long long last_start;
};

static int fake_op_run(void *arg, long *http_status, int *code)
{
	struct fake_op *o = arg;

	assert_int_equal(*http_status, 0);
	assert_int_equal(*code, 0);
	if (o->calls == 0)
		o->first_start = o->clock->now;
	o->last_start = o->clock->now;
	o->calls++;
	o->clock->now += o->cost_ms;
	if (o->fails_left == 0)
		return 0;
	if (o->fails_left > 0)
		o->fails_left--;
	*http_status = o->http;
	*code = o->code;
	return dive_error_set(o->err, "fake failure %d", o->calls);
}

static struct retry_policy policy(long initial, double mult, long cap, int attempts, long deadline,
				  enum retry_jitter jitter)
{
	struct retry_policy p = { "test", initial, mult, cap, attempts, deadline, jitter, "tests" };

	return p;
}

static int reset_table(void **state)
{
	unsetenv("DIVE_RETRY");
	retry_policy_reset();
	return 0;
}

static void retry__delay_stays_within_cap(void **state)
{
	struct retry_policy custom[] = {
		policy(100, 2.0, 10000, 10, 60000, RETRY_JITTER_FULL),
		policy(1, 10.0, 3600000, 10, 60000, RETRY_JITTER_FULL),
		policy(500, 1.0, 500, 10, 60000, RETRY_JITTER_EQUAL),
		policy(0, 3.0, 0, 10, 60000, RETRY_JITTER_FULL),
		policy(250, 1.7, 9000, 10, 60000, RETRY_JITTER_EQUAL),
		policy(300, 2.0, 2000, 10, 60000, RETRY_JITTER_NONE),
	};
	const struct retry_policy *pols[RETRY__COUNT + 6];
	size_t np = 0, i;
	uint64_t seed;
	int attempt;

	for (i = 0; i < RETRY__COUNT; i++)
		pols[np++] = retry_policy_default((enum retry_class)i);
	for (i = 0; i < sizeof(custom) / sizeof(custom[0]); i++)
		pols[np++] = &custom[i];
	for (i = 0; i < np; i++) {
		for (seed = 0; seed < 200; seed++) {
			uint64_t rng = seed * 7919;

			for (attempt = 0; attempt < 80; attempt++) {
				long bound = retry_delay_bound_ms(pols[i], attempt);
				long d = retry_delay_ms(pols[i], attempt, &rng);

				assert_true(bound >= 0 && bound <= pols[i]->cap_ms);
				assert_true(d >= 0 && d <= bound);
				if (pols[i]->jitter == RETRY_JITTER_EQUAL)
					assert_true(d >= bound / 2);
				if (pols[i]->jitter == RETRY_JITTER_NONE)
					assert_int_equal(d, bound);
			}
		}
	}
	/* Absurd attempt numbers neither overflow nor take long. */
	assert_int_equal(retry_delay_bound_ms(&custom[0], 1 << 30), 10000);
	assert_int_equal(retry_delay_bound_ms(&custom[2], 1 << 30), 500);
	assert_int_equal(retry_delay_bound_ms(&custom[0], -3), 100);
}

static void retry__full_jitter_bound_grows_by_the_multiplier_until_the_cap(void **state)
{
	struct retry_policy two = policy(100, 2.0, 5000, 10, 60000, RETRY_JITTER_FULL);
	struct retry_policy half = policy(1000, 1.5, 5000, 10, 60000, RETRY_JITTER_FULL);
	static const long want_two[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };
	static const long want_half[] = { 1000, 1500, 2250, 3375, 5000, 5000 };
	size_t i;
	int attempt;

	for (i = 0; i < sizeof(want_two) / sizeof(want_two[0]); i++)
		assert_int_equal(retry_delay_bound_ms(&two, (int)i), want_two[i]);
	for (i = 0; i < sizeof(want_half) / sizeof(want_half[0]); i++)
		assert_int_equal(retry_delay_bound_ms(&half, (int)i), want_half[i]);

	/* The drawn delays fill [0, bound]: their maximum approaches the bound and never passes it. */
	for (attempt = 0; attempt < 8; attempt++) {
		long bound = retry_delay_bound_ms(&two, attempt), lo = bound, hi = 0;
		uint64_t rng = 42;
		int n;

		for (n = 0; n < 4000; n++) {
			long d = retry_delay_ms(&two, attempt, &rng);

			if (d < lo)
				lo = d;
			if (d > hi)
				hi = d;
		}
		assert_true(hi <= bound);
		assert_true(hi * 100 >= bound * 97);
		assert_true(lo * 100 <= bound * 3);
	}
}

static void retry__same_seed_gives_same_delays(void **state)
{
	const struct retry_policy *p = retry_policy_default(RETRY_KEYCLOAK);
	uint64_t a = 12345, b = 12345, c = 54321;
	int i, differ = 0;

	for (i = 0; i < 50; i++) {
		long da = retry_delay_ms(p, i % 6, &a);
		long db = retry_delay_ms(p, i % 6, &b);
		long dc = retry_delay_ms(p, i % 6, &c);

		assert_int_equal(da, db);
		differ |= da != dc;
	}
	assert_true(differ);
	/* Without a state the per-thread generator is used and stays in bounds. */
	for (i = 0; i < 100; i++) {
		long d = retry_delay_ms(p, 3, NULL);

		assert_true(d >= 0 && d <= retry_delay_bound_ms(p, 3));
	}
}

static void run_fake(const struct retry_policy *p, struct fake_op *op, struct fake_clock *clk, uint64_t seed,
		     struct retry_report *r, int *rc)
{
	uint64_t rng = seed;
	struct retry_clock clock = { fake_now, fake_sleep, clk, &rng };

	op->clock = clk;
	*rc = retry_run(p, fake_op_run, op, &clock, r);
}

static void retry__deadline_is_respected_on_a_fake_clock(void **state)
{
	struct retry_policy pols[] = {
		policy(100, 2.0, 3000, 1000, 10000, RETRY_JITTER_FULL),
		policy(100, 2.0, 3000, 1000, 10000, RETRY_JITTER_NONE),
		policy(500, 1.5, 5000, 1000, 7777, RETRY_JITTER_EQUAL),
		policy(2000, 2.0, 2000, 1000, 2000, RETRY_JITTER_NONE), /* the first sleep would reach it */
	};
	static const long costs[] = { 0, 37, 450 };
	size_t i, c;
	uint64_t seed;

	for (i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		for (c = 0; c < sizeof(costs) / sizeof(costs[0]); c++) {
			for (seed = 1; seed <= 100; seed++) {
				struct fake_clock clk = { 1000000, 0, 0, 0 };
				struct fake_op op = { NULL, -1, DIVE_EUNAVAIL, 0, 0, costs[c], 0, 0, 0 };
				struct retry_report r;
				int rc;

				dive_error_clear();
				run_fake(&pols[i], &op, &clk, seed, &r, &rc);
				assert_int_equal(rc, DIVE_EUNAVAIL);
				assert_int_equal(r.stop, RETRY_STOP_DEADLINE);
				/* with nothing more specific, the deadline is the error's code */
				assert_int_equal(dive_error_last_code(), ERRC_TIMEOUT);
				assert_int_equal(r.attempts, op.calls);
				assert_int_equal(r.slept_ms, clk.slept);
				assert_int_equal(r.elapsed_ms, clk.now - 1000000);
				/* No sleep ends at or past the deadline, no attempt starts after it, */
				assert_true(clk.last_sleep_end == 0 || clk.last_sleep_end - op.first_start < pols[i].deadline_ms);
				assert_true(op.last_start - op.first_start < pols[i].deadline_ms);
				/* so the run ends within the deadline plus the last attempt's own time. */
				assert_true(r.elapsed_ms < pols[i].deadline_ms + costs[c]);
				assert_string_equal(retry_stop_name(r.stop), "deadline");
			}
		}
	}
}

static void retry__attempt_cap_is_respected(void **state)
{
	struct retry_policy p = policy(10, 2.0, 1000, 4, 86400000, RETRY_JITTER_FULL);
	struct fake_clock clk = { 0, 0, 0, 0 };
	struct fake_op op = { NULL, -1, DIVE_ETIMEOUT, 503, 0, 5, 0, 0, 0 };
	struct retry_report r;
	int rc;

	run_fake(&p, &op, &clk, 7, &r, &rc);
	assert_int_equal(rc, DIVE_ETIMEOUT);
	assert_int_equal(op.calls, 4);
	assert_int_equal(r.attempts, 4);
	assert_int_equal(clk.sleeps, 3);
	assert_int_equal(r.stop, RETRY_STOP_ATTEMPTS);
	assert_int_equal(r.last_http, 503);
	assert_string_equal(dive_error_last(), "fake failure 4");

	/* attempts = 1 means no retry at all. */
	p.attempts = 1;
	memset(&clk, 0, sizeof(clk));
	op.calls = 0;
	run_fake(&p, &op, &clk, 7, &r, &rc);
	assert_int_equal(op.calls, 1);
	assert_int_equal(clk.sleeps, 0);
}

static void retry__non_retryable_outcomes_are_attempted_once(void **state)
{
	static const struct {
		int err;
		long http;
		int code;
	} cases[] = {
		{ DIVE_EFAIL, 400, 0 },
		{ DIVE_EUSAGE, 401, 0 },
		{ DIVE_EUSAGE, 403, 0 },
		{ DIVE_ENOTFOUND, 404, 0 },
		{ DIVE_EFAIL, 422, 0 },
		{ DIVE_EUSAGE, 0, 0 },
		{ DIVE_ETOOBIG, 0, 0 },
		{ DIVE_EINTR, 0, 0 },
		{ DIVE_ECIRCUIT, 0, 0 },
		{ DIVE_EFAIL, 0, ERRC_SECRET_MISSING },
		{ DIVE_EFAIL, 503, ERRC_KEYCLOAK_AUTH_FAILED },
		{ DIVE_EUNAVAIL, 0, ERRC_MIGRATION_CHECKSUM },
		{ DIVE_ECONFLICT, 409, ERRC_CONTAINER_CONFLICT },
	};
	const struct retry_policy *p = retry_policy_default(RETRY_KEYCLOAK);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_clock clk = { 0, 0, 0, 0 };
		struct fake_op op = { NULL, -1, cases[i].err, cases[i].http, cases[i].code, 1, 0, 0, 0 };
		struct retry_report r;
		int rc;

		assert_false(retry_is_retryable(cases[i].err, cases[i].http, cases[i].code));
		run_fake(p, &op, &clk, 1, &r, &rc);
		if (op.calls != 1)
			fail_msg("case %zu (err %d, http %ld, code %d) made %d attempts", i, cases[i].err,
				 cases[i].http, cases[i].code, op.calls);
		assert_int_equal(rc, cases[i].err);
		assert_int_equal(clk.sleeps, 0);
		assert_int_equal(r.stop, RETRY_STOP_NOT_RETRYABLE);
		assert_int_equal(r.last_code, cases[i].code);
	}
	assert_false(retry_is_retryable(DIVE_OK, 0, 0));
}

static void retry__transient_outcomes_are_retried(void **state)
{
	static const struct {
		int err;
		long http;
		int code;
	} cases[] = {
		{ DIVE_EFAIL, 408, 0 },
		{ DIVE_ECONFLICT, 409, 0 },
		{ DIVE_EFAIL, 429, 0 },
		{ DIVE_EFAIL, 500, 0 },
		{ DIVE_EFAIL, 502, 0 },
		{ DIVE_EFAIL, 503, 0 },
		{ DIVE_ETIMEOUT, 0, 0 },
		{ DIVE_EUNAVAIL, 0, 0 },
		{ DIVE_EUNAVAIL, 0, ERRC_DOCKER_UNREACHABLE },
		{ DIVE_ELOCKED, 0, ERRC_LOCK_HELD },
		{ DIVE_EUNHEALTHY, 0, ERRC_CONTAINER_UNHEALTHY },
		{ DIVE_EFAIL, 0, 9999 }, /* an unknown code says nothing against retrying */
	};
	const struct retry_policy *p = retry_policy_default(RETRY_DOCKER);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_clock clk = { 0, 0, 0, 0 };
		struct fake_op op = { NULL, 2, cases[i].err, cases[i].http, cases[i].code, 1, 0, 0, 0 };
		struct retry_report r;
		int rc;

		assert_true(retry_is_retryable(cases[i].err, cases[i].http, cases[i].code));
		run_fake(p, &op, &clk, 3, &r, &rc);
		if (op.calls != 3)
			fail_msg("case %zu (err %d, http %ld, code %d) made %d attempts", i, cases[i].err,
				 cases[i].http, cases[i].code, op.calls);
		assert_int_equal(rc, 0);
		assert_int_equal(r.stop, RETRY_STOP_SUCCESS);
		assert_int_equal(clk.sleeps, 2);
		assert_int_equal(r.last_err, 0);
	}
}

static void retry__first_success_makes_one_attempt(void **state)
{
	struct fake_clock clk = { 0, 0, 0, 0 };
	struct fake_op op = { NULL, 0, DIVE_EFAIL, 0, 0, 3, 0, 0, 0 };
	struct retry_report r;
	int rc;

	run_fake(retry_policy_default(RETRY_POSTGRES), &op, &clk, 1, &r, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.slept_ms, 0);
	assert_int_equal(r.elapsed_ms, 3);
	assert_string_equal(retry_stop_name(r.stop), "success");
}

static void snapshot(struct retry_policy out[RETRY__COUNT])
{
	int i;

	for (i = 0; i < RETRY__COUNT; i++) {
		const struct retry_policy *p;

		assert_int_equal(retry_policy_get(&p, (enum retry_class)i), 0);
		out[i] = *p;
	}
}

static void retry__override_accepts_good_specs(void **state)
{
	const struct retry_policy *p;
	struct retry_policy before[RETRY__COUNT], after[RETRY__COUNT];
	int i;

	snapshot(before);
	assert_int_equal(retry_policy_override("keycloak.attempts=8,keycloak.cap_ms=20000"), 0);
	assert_int_equal(retry_policy_get(&p, RETRY_KEYCLOAK), 0);
	assert_int_equal(p->attempts, 8);
	assert_int_equal(p->cap_ms, 20000);
	assert_int_equal(p->initial_ms, retry_policy_default(RETRY_KEYCLOAK)->initial_ms);

	assert_int_equal(retry_policy_override(" docker.jitter=none , docker.multiplier=1.5,health-wait.deadline_ms=180000 "), 0);
	assert_int_equal(retry_policy_get(&p, RETRY_DOCKER), 0);
	assert_int_equal(p->jitter, RETRY_JITTER_NONE);
	assert_true(p->multiplier == 1.5);
	assert_int_equal(retry_policy_get(&p, RETRY_HEALTH_WAIT), 0);
	assert_int_equal(p->deadline_ms, 180000);

	/* Bounds are inclusive; the last setting of a key wins. */
	assert_int_equal(retry_policy_override("http-probe.initial_ms=0,http-probe.cap_ms=0,http-probe.attempts=1000,"
					       "postgres.attempts=2,postgres.attempts=3"), 0);
	assert_int_equal(retry_policy_get(&p, RETRY_POSTGRES), 0);
	assert_int_equal(p->attempts, 3);

	snapshot(after);
	for (i = 0; i < RETRY__COUNT; i++)
		if (i != RETRY_KEYCLOAK && i != RETRY_DOCKER && i != RETRY_HEALTH_WAIT && i != RETRY_HTTP_PROBE &&
		    i != RETRY_POSTGRES)
			assert_memory_equal(&before[i], &after[i], sizeof(before[i]));

	/* Empty settings change nothing; reset brings the built-in rows back. */
	assert_int_equal(retry_policy_override(""), 0);
	assert_int_equal(retry_policy_override(NULL), 0);
	retry_policy_reset();
	snapshot(after);
	assert_memory_equal(before, after, sizeof(before));
}

static void retry__override_rejects_bad_specs_without_changing_the_table(void **state)
{
	static const char *const bad[] = {
		"keycloak.attempts=0",
		"keycloak.attempts=1001",
		"keycloak.attempts=8x",
		"keycloak.attempts=+8",
		"keycloak.attempts= 8",
		"keycloak.attempts=",
		"keycloak.attempts=99999999999999999999999",
		"keycloack.attempts=8",
		"keycloak.atempts=8",
		"keycloak",
		"keycloak.attempts",
		"=5",
		".attempts=5",
		"keycloak.multiplier=0.5",
		"keycloak.multiplier=10.5",
		"keycloak.multiplier=nan",
		"keycloak.multiplier=inf",
		"keycloak.jitter=random",
		"keycloak.initial_ms=20000",          /* above the cap of 15000 */
		"keycloak.cap_ms=-1",
		"keycloak.deadline_ms=0",
		"keycloak.attempts=8,,docker.attempts=2",
		"keycloak.attempts=8,",
		",",
		"keycloak.attempts=8,docker.attempts=-1", /* the good half is not applied either */
	};
	struct retry_policy before[RETRY__COUNT], after[RETRY__COUNT];
	char longspec[1200];
	size_t i;

	assert_int_equal(retry_policy_override("mongodb.attempts=4"), 0); /* a change that must survive */
	snapshot(before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dive_error_clear();
		if (retry_policy_override(bad[i]) != DIVE_EUSAGE)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(dive_error_last()) > 10);
		assert_null(strchr(dive_error_last(), '\n'));
		assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
		snapshot(after);
		assert_memory_equal(before, after, sizeof(before));
	}
	/* The line names the setting and what it should be. */
	retry_policy_override("keycloak.attempts=0");
	assert_string_equal(dive_error_last(),
			    "retry setting 'keycloak.attempts=0': attempts takes a whole number from 1 to 1000");
	retry_policy_override("keycloack.attempts=8");
	assert_non_null(strstr(dive_error_last(), "'keycloack' is not a retry class"));

	longspec[0] = '\0';
	while (strlen(longspec) < 1100) /* past the limit of 1024 */
		strcat(longspec, "docker.attempts=3,");
	strcat(longspec, "docker.attempts=3");
	assert_int_equal(retry_policy_override(longspec), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "too long"));
	snapshot(after);
	assert_memory_equal(before, after, sizeof(before));
}

static void retry__environment_is_read_at_first_use(void **state)
{
	const struct retry_policy *p;

	setenv("DIVE_RETRY", "docker.attempts=3,docker.jitter=equal", 1);
	retry_policy_reset();
	assert_int_equal(retry_policy_get(&p, RETRY_DOCKER), 0);
	assert_int_equal(p->attempts, 3);
	assert_int_equal(p->jitter, RETRY_JITTER_EQUAL);
	/* An override applies on top of the environment. */
	assert_int_equal(retry_policy_override("docker.attempts=7"), 0);
	assert_int_equal(retry_policy_get(&p, RETRY_DOCKER), 0);
	assert_int_equal(p->attempts, 7);
	assert_int_equal(p->jitter, RETRY_JITTER_EQUAL);

	/* A bad variable is a usage error on every use, and the built-in rows stay. */
	setenv("DIVE_RETRY", "docker.attempts=many", 1);
	retry_policy_reset();
	assert_int_equal(retry_policy_load_env(), DIVE_EUSAGE);
	assert_int_equal(retry_policy_get(&p, RETRY_DOCKER), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "DIVE_RETRY: retry setting 'docker.attempts=many'"));
	assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
	assert_memory_equal(p, retry_policy_default(RETRY_DOCKER), sizeof(*p));
	dive_error_clear();
	assert_int_equal(retry_policy_get(&p, RETRY_KEYCLOAK), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "DIVE_RETRY"));
	unsetenv("DIVE_RETRY");
	retry_policy_reset();
	assert_int_equal(retry_policy_get(&p, RETRY_DOCKER), 0);
}

static void retry__names_round_trip(void **state)
{
	int i;

	for (i = 0; i < RETRY__COUNT; i++) {
		enum retry_class c = RETRY__COUNT;

		assert_int_equal(retry_class_parse(&c, retry_class_name((enum retry_class)i)), 0);
		assert_int_equal(c, i);
		assert_string_equal(retry_policy_default((enum retry_class)i)->name, retry_class_name((enum retry_class)i));
	}
	for (i = 0; i < RETRY_JITTER__COUNT; i++) {
		enum retry_jitter j = RETRY_JITTER__COUNT;

		assert_int_equal(retry_jitter_parse(&j, retry_jitter_name((enum retry_jitter)i)), 0);
		assert_int_equal(j, i);
	}
	assert_string_equal(retry_policy_default(RETRY_HEALTH_WAIT)->name, "health-wait");
	assert_string_equal(retry_class_name(RETRY__COUNT), "unknown");
	assert_null(retry_policy_default(RETRY__COUNT));
	/* Every built-in row is within the bounds an override must respect. */
	for (i = 0; i < RETRY__COUNT; i++) {
		const struct retry_policy *p = retry_policy_default((enum retry_class)i);

		assert_true(p->initial_ms <= p->cap_ms);
		assert_true(p->attempts >= 1 && p->attempts <= 1000);
		assert_true(p->multiplier >= 1.0 && p->multiplier <= 10.0);
		assert_true(p->deadline_ms >= 1 && p->deadline_ms <= 86400000);
	}
}

static void retry__real_clock_moves_forward(void **state)
{
	long long a = retry_clock_real.now_ms(NULL), b;

	retry_clock_real.sleep_ms(NULL, 5);
	b = retry_clock_real.now_ms(NULL);
	assert_true(b - a >= 5);
	assert_true(retry_rng_seed() != retry_rng_seed());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retry__delay_stays_within_cap),
		cmocka_unit_test(retry__full_jitter_bound_grows_by_the_multiplier_until_the_cap),
		cmocka_unit_test(retry__same_seed_gives_same_delays),
		cmocka_unit_test(retry__deadline_is_respected_on_a_fake_clock),
		cmocka_unit_test(retry__attempt_cap_is_respected),
		cmocka_unit_test(retry__non_retryable_outcomes_are_attempted_once),
		cmocka_unit_test(retry__transient_outcomes_are_retried),
		cmocka_unit_test(retry__first_success_makes_one_attempt),
		cmocka_unit_test_setup_teardown(retry__override_accepts_good_specs, reset_table, reset_table),
		cmocka_unit_test_setup_teardown(retry__override_rejects_bad_specs_without_changing_the_table,
						reset_table, reset_table),
		cmocka_unit_test_setup_teardown(retry__environment_is_read_at_first_use, reset_table, reset_table),
		cmocka_unit_test(retry__names_round_trip),
		cmocka_unit_test(retry__real_clock_moves_forward),
	};

	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
