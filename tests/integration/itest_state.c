/* itest_state.c - migrations, the state machine, transitions and locks
 * against the real PostgreSQL of tests/env, each test in a fresh database. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/lock.h"
#include "dive/migrate.h"
#include "dive/pg.h"
#include "dive/state.h"
#include "dive/store.h"
#include "itest.h"

static const char *url;

static int setup(void **state)
{
	url = itest_new_db("state");
	return 0;
}

static int teardown(void **state)
{
	itest_drop_db();
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct store *open_store(void)
{
	struct store *s = NULL;

	assert_int_equal(store_open(&s, url, STORE_MIGRATE), 0);
	return s;
}

static int count(struct store *s, const char *sql, const char *param)
{
	const char *params[1] = { param };
	PGresult *res = NULL;
	int n;

	assert_int_equal(pg_exec(s->conn, &res, sql, param ? 1 : 0, params), 0);
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static void migrate__second_run_changes_nothing(void **state)
{
	struct migration_set set;
	struct store *s = open_store();
	int applied = -1, before;

	assert_int_equal(migration_set_load(&set, NULL), 0);
	before = count(s, "SELECT count(*) FROM dive.schema_migrations", NULL);
	assert_int_equal((size_t)before, set.n);
	assert_int_equal(migrate_apply(s->conn, &set, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.schema_migrations", NULL), before);
	migration_set_release(&set);
	store_close(s);
}

static void migrate__refuses_a_changed_applied_migration(void **state)
{
	struct migration_set set, changed;
	struct store *s = open_store();
	int applied = -1, pending = -1;
	char *sql;

	assert_int_equal(migration_set_load(&set, NULL), 0);
	changed = set;
	changed.owned = 0;
	changed.items = calloc(set.n, sizeof(*set.items));
	memcpy(changed.items, set.items, set.n * sizeof(*set.items));
	sql = malloc(set.items[0].len + 32);
	memcpy(sql, set.items[0].sql, set.items[0].len);
	strcpy(sql + set.items[0].len, "\n-- edited after applying\n");
	changed.items[0].sql = sql;
	changed.items[0].len = strlen(sql);
	assert_int_equal(migrate_check(s->conn, &changed, &pending), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "0001_state.sql"));
	assert_int_equal(migrate_apply(s->conn, &changed, &applied), DIVE_ECONFLICT);
	assert_int_equal(applied, 0);
	free(sql);
	free(changed.items);
	migration_set_release(&set);
	store_close(s);
}

static void state__c_table_matches_the_database(void **state)
{
	const struct dive_state_pair *pairs;
	struct store *s = open_store();
	PGresult *res = NULL;
	size_t n = dive_state_pairs(&pairs), i;
	int r;

	assert_int_equal(pg_exec(s->conn, &res, "SELECT from_state, to_state FROM dive.state_transitions_allowed", 0,
				 NULL), 0);
	assert_int_equal((size_t)PQntuples(res), n);
	for (r = 0; r < PQntuples(res); r++) {
		enum dive_state a, b;

		assert_int_equal(dive_state_parse(&a, PQgetvalue(res, r, 0)), 0);
		assert_int_equal(dive_state_parse(&b, PQgetvalue(res, r, 1)), 0);
		assert_true(dive_state_allowed(a, b));
	}
	PQclear(res);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.states", NULL), DIVE_STATE__COUNT);
	for (i = 0; i < DIVE_STATE__COUNT; i++)
		assert_int_equal(count(s, "SELECT count(*) FROM dive.states WHERE name = $1 AND in_progress = "
					  "(SELECT in_progress FROM dive.states WHERE name = $1)",
				       dive_state_name((enum dive_state)i)), 1);
	store_close(s);
}

static void state__transition_records_history_and_checkpoint(void **state)
{
	struct store *s = open_store();
	struct state_change c = { 0 };
	struct state_instance st;
	long long run = 0, v = 0;
	cJSON *hist = NULL;

	assert_int_equal(run_begin(s, &run, "FRA", "deploy", "itest"), 0);
	c.code = "FRA";
	c.from = DIVE_STATE_UNKNOWN;
	c.version = 0;
	c.to = DIVE_STATE_INITIALIZING;
	c.actor = "itest";
	c.reason = "starting";
	c.metadata_json = "{\"mode\":\"deploy\"}";
	c.run_id = run;
	c.checkpoint_phase = "preflight";
	c.checkpoint_json = "{\"containers\":[]}";
	assert_int_equal(state_transition(s, &c, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(state_get(s, &st, "FRA"), 0);
	assert_int_equal(st.state, DIVE_STATE_INITIALIZING);
	assert_int_equal(st.run_id, run);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.checkpoints WHERE code = $1 AND phase = 'preflight'",
			       "FRA"), 1);
	assert_int_equal(state_history(s, &hist, "FRA", 10), 0);
	assert_int_equal(cJSON_GetArraySize(hist), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 0), "to")->valuestring, "INITIALIZING");
	cJSON_Delete(hist);
	/* bad metadata changes nothing */
	c.from = DIVE_STATE_INITIALIZING;
	c.version = 1;
	c.to = DIVE_STATE_DEPLOYING;
	c.metadata_json = "[1,2";
	assert_int_equal(state_transition(s, &c, &v), DIVE_EUSAGE);
	assert_int_equal(state_get(s, &st, "FRA"), 0);
	assert_int_equal(st.version, 1);
	store_close(s);
}

static void state__illegal_transitions_are_refused_by_c_and_by_the_database(void **state)
{
	struct store *s = open_store();
	struct state_change c = { 0 };
	struct state_instance st;

	c.code = "GBR";
	c.from = DIVE_STATE_UNKNOWN;
	c.to = DIVE_STATE_COMPLETE;
	c.actor = "itest";
	assert_int_equal(state_transition(s, &c, NULL), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "illegal transition UNKNOWN -> COMPLETE"));
	/* another writer going around dive meets the trigger */
	assert_int_equal(pg_exec(s->conn, NULL, "INSERT INTO dive.instances (code) VALUES ('GBR')", 0, NULL), 0);
	assert_int_equal(pg_exec(s->conn, NULL,
				 "UPDATE dive.instances SET state = 'COMPLETE', version = version + 1 WHERE code = 'GBR'",
				 0, NULL), DIVE_EFAIL);
	assert_string_equal(pg_last_sqlstate(), "23514");
	assert_int_equal(pg_exec(s->conn, NULL,
				 "UPDATE dive.instances SET state = 'INITIALIZING' WHERE code = 'GBR'", 0, NULL),
			 DIVE_EFAIL);
	assert_int_equal(state_get(s, &st, "GBR"), 0);
	assert_int_equal(st.state, DIVE_STATE_UNKNOWN);
	assert_int_equal(st.version, 0);
	store_close(s);
}

struct racer {
	const char *code;
	enum dive_state to;
	pthread_barrier_t *barrier;
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct store *s = NULL;
	struct state_change c = { 0 };

	if (store_open(&s, url, STORE_MIGRATE) < 0) {
		r->rc = -100;
		return NULL;
	}
	c.code = r->code;
	c.from = DIVE_STATE_INITIALIZING;
	c.version = 1;
	c.to = r->to;
	c.actor = "racer";
	pthread_barrier_wait(r->barrier);
	r->rc = state_transition(s, &c, NULL);
	store_close(s);
	return NULL;
}

static void state__concurrent_transitions_one_wins_history_consistent(void **state)
{
	struct store *s = open_store();
	struct state_change c = { 0 };
	pthread_barrier_t barrier;
	int round;

	for (round = 0; round < 10; round++) {
		char code[4];
		struct racer a, b;
		pthread_t ta, tb;

		snprintf(code, sizeof(code), "%s", (const char *[]){ "DEU", "ESP", "ROU", "POL", "NLD", "NOR", "DNK",
								      "BEL", "PRT", "CAN" }[round]);
		c.code = code;
		c.from = DIVE_STATE_UNKNOWN;
		c.version = 0;
		c.to = DIVE_STATE_INITIALIZING;
		c.actor = "itest";
		assert_int_equal(state_transition(s, &c, NULL), 0);
		pthread_barrier_init(&barrier, NULL, 2);
		a = (struct racer){ code, DIVE_STATE_DEPLOYING, &barrier, 0 };
		b = (struct racer){ code, DIVE_STATE_FAILED, &barrier, 0 };
		pthread_create(&ta, NULL, race, &a);
		pthread_create(&tb, NULL, race, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_barrier_destroy(&barrier);
		assert_true((a.rc == 0 && b.rc == DIVE_ECONFLICT) || (a.rc == DIVE_ECONFLICT && b.rc == 0));
		assert_int_equal(count(s, "SELECT count(*) FROM dive.transitions WHERE code = $1", code), 2);
		/* versions are contiguous and the current row is the last transition */
		assert_int_equal(count(s, "SELECT count(*) FROM dive.transitions t JOIN dive.instances i USING (code)"
					  " WHERE code = $1 AND t.version = i.version AND t.to_state = i.state",
				       code), 1);
	}
	store_close(s);
}

/* --- locks ------------------------------------------------------------- */

struct interval {
	long long start, end;
	int ok;
};

static void hold_in_child(const char *name, long hold_ms, long wait_ms, struct interval *slot)
{
	struct lock_request req = { "itest child", NULL, wait_ms, 0 };
	struct dive_lock *l = NULL;

	if (lock_acquire(&l, url, name, &req, NULL) < 0)
		_exit(3);
	slot->start = now_ns();
	usleep((useconds_t)hold_ms * 1000);
	slot->end = now_ns();
	slot->ok = 1;
	lock_release(l);
	_exit(0);
}

static int cmp_interval(const void *a, const void *b)
{
	long long x = ((const struct interval *)a)->start, y = ((const struct interval *)b)->start;

	return x < y ? -1 : x > y;
}

static void lock__twenty_racers_never_overlap(void **state)
{
	enum { N = 20 };
	struct interval *iv = mmap(NULL, sizeof(*iv) * N, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct store *s = open_store();
	pid_t pids[N];
	int i, status;

	store_close(s); /* schema ready before the race */
	memset(iv, 0, sizeof(*iv) * N);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			hold_in_child("instance:DEU", 20, 60000, &iv[i]);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	qsort(iv, N, sizeof(*iv), cmp_interval);
	for (i = 0; i < N; i++)
		assert_true(iv[i].ok);
	for (i = 1; i < N; i++)
		assert_true(iv[i].start >= iv[i - 1].end); /* zero overlaps */
	munmap(iv, sizeof(*iv) * N);
}

static void lock__different_codes_proceed_in_parallel(void **state)
{
	struct interval *iv = mmap(NULL, sizeof(*iv) * 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t a, b;
	int status;

	memset(iv, 0, sizeof(*iv) * 2);
	if ((a = fork()) == 0)
		hold_in_child("instance:DEU", 600, 0, &iv[0]);
	if ((b = fork()) == 0)
		hold_in_child("instance:FRA", 600, 0, &iv[1]);
	waitpid(a, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	waitpid(b, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* both held at the same time */
	assert_true(iv[0].start < iv[1].end && iv[1].start < iv[0].end);
	munmap(iv, sizeof(*iv) * 2);
}

static void lock__held_lock_names_its_holder(void **state)
{
	struct lock_request mine = { "dive lock hold DEU", "kernel patching", 0, 30 };
	struct lock_request other = { "dive spoke deploy DEU", NULL, 300, 0 };
	struct dive_lock *l = NULL, *l2 = NULL;
	struct lock_holder h;
	long long t0;

	assert_int_equal(lock_acquire(&l, url, "instance:DEU", &mine, NULL), 0);
	t0 = now_ns();
	assert_int_equal(lock_acquire(&l2, url, "instance:DEU", &other, &h), DIVE_ELOCKED);
	assert_true(now_ns() - t0 >= 250LL * 1000000); /* it waited for --lock-wait */
	assert_null(l2);
	assert_int_equal(h.pid, getpid());
	assert_string_equal(h.command, "dive lock hold DEU");
	assert_string_equal(h.message, "kernel patching");
	assert_true(h.expires_at[0] != '\0');
	assert_non_null(strstr(dive_error_last(), "kernel patching"));
	lock_release(l);
	assert_int_equal(lock_acquire(&l2, url, "instance:DEU", &other, NULL), 0);
	lock_release(l2);
}

static void lock__shared_lock_comes_after_instance_locks(void **state)
{
	struct dive_lock *shared = NULL, *inst = NULL;

	assert_int_equal(lock_acquire(&shared, url, DIVE_LOCK_SHARED, NULL, NULL), 0);
	assert_int_equal(lock_acquire(&inst, url, "instance:DEU", NULL, NULL), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "order"));
	lock_release(shared);
	assert_int_equal(lock_acquire(&inst, url, "instance:DEU", NULL, NULL), 0);
	assert_int_equal(lock_acquire(&shared, url, DIVE_LOCK_SHARED, NULL, NULL), 0);
	lock_release(shared);
	lock_release(inst);
}

static void lock__killed_holder_frees_the_lock_and_run_is_interrupted(void **state)
{
	struct store *s = open_store();
	struct state_instance st;
	int fds[2], marked = 0, held = 1;
	long long t0, waited_ms;
	char ready;
	pid_t child;

	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		struct lock_request req = { "dive spoke deploy ITA", NULL, 0, 0 };
		struct state_change c = { 0 };
		struct store *cs = NULL;
		struct dive_lock *l = NULL;
		long long run = 0;

		if (store_open(&cs, url, STORE_MIGRATE) < 0 || lock_acquire(&l, url, "instance:ITA", &req, NULL) < 0 ||
		    run_begin(cs, &run, "ITA", "deploy", "child") < 0)
			_exit(3);
		c.code = "ITA";
		c.actor = "child";
		c.run_id = run;
		c.from = DIVE_STATE_UNKNOWN;
		c.version = 0;
		c.to = DIVE_STATE_INITIALIZING;
		if (state_transition(cs, &c, NULL) < 0)
			_exit(4);
		c.from = DIVE_STATE_INITIALIZING;
		c.version = 1;
		c.to = DIVE_STATE_DEPLOYING;
		if (state_transition(cs, &c, NULL) < 0)
			_exit(5);
		if (write(fds[1], "r", 1) != 1)
			_exit(6);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (read(fds[0], &ready, 1) != 1) {
		int status = 0;

		waitpid(child, &status, 0);
		print_error("child failed with exit %d\n", WEXITSTATUS(status));
		fail();
	}
	assert_int_equal(state_get(s, &st, "ITA"), 0);
	assert_int_equal(st.state, DIVE_STATE_DEPLOYING);
	/* while it lives, the detector leaves it alone */
	assert_int_equal(state_detect_interrupted(s, &st, &marked), 0);
	assert_int_equal(marked, 0);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	t0 = now_ns();
	while (held && now_ns() - t0 < 5000LL * 1000000) {
		assert_int_equal(lock_is_held(s->conn, "instance:ITA", &held), 0);
		if (held)
			usleep(10000);
	}
	waited_ms = (now_ns() - t0) / 1000000;
	print_message("lock free %lld ms after kill -9\n", waited_ms);
	assert_false(held);

	assert_int_equal(state_detect_interrupted(s, &st, &marked), 0);
	assert_int_equal(marked, 1);
	assert_int_equal(st.state, DIVE_STATE_INTERRUPTED);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.runs WHERE code = $1 AND outcome = 'interrupted'"
				  " AND ended_at IS NOT NULL", "ITA"), 1);
	close(fds[0]);
	store_close(s);
}

static void lock__force_release_ends_the_holder(void **state)
{
	struct store *s = open_store();
	struct lock_holder was;
	int fds[2], held = 1, i;
	char ready;
	pid_t child;

	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		struct lock_request req = { "dive lock hold NOR", "stuck", 0, 0 };
		struct dive_lock *l = NULL;

		if (lock_acquire(&l, url, "instance:NOR", &req, NULL) < 0 || write(fds[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ready, 1), 1);
	assert_int_equal(lock_force_release(s->conn, "instance:NOR", &was), 0);
	assert_int_equal(was.pid, child);
	assert_string_equal(was.message, "stuck");
	for (i = 0; i < 50 && held; i++) {
		assert_int_equal(lock_is_held(s->conn, "instance:NOR", &held), 0);
		usleep(20000);
	}
	assert_false(held);
	assert_int_equal(lock_force_release(s->conn, "instance:NOR", &was), DIVE_ENOTFOUND);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fds[0]);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrate__second_run_changes_nothing),
		cmocka_unit_test(migrate__refuses_a_changed_applied_migration),
		cmocka_unit_test(state__c_table_matches_the_database),
		cmocka_unit_test(state__transition_records_history_and_checkpoint),
		cmocka_unit_test(state__illegal_transitions_are_refused_by_c_and_by_the_database),
		cmocka_unit_test(state__concurrent_transitions_one_wins_history_consistent),
		cmocka_unit_test(lock__twenty_racers_never_overlap),
		cmocka_unit_test(lock__different_codes_proceed_in_parallel),
		cmocka_unit_test(lock__held_lock_names_its_holder),
		cmocka_unit_test(lock__shared_lock_comes_after_instance_locks),
		cmocka_unit_test(lock__killed_holder_frees_the_lock_and_run_is_interrupted),
		cmocka_unit_test(lock__force_release_ends_the_holder),
	};

	return cmocka_run_group_tests_name("state", tests, setup, teardown);
}
