/* itest_breaker.c - circuit breakers and recorded errors against the real
 * PostgreSQL of tests/env (each test in a database of its own), and a
 * guarded call against a private FerretDB that the test stops, kills and
 * starts again. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/breaker_store.h"
#include "dive/errcodes.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/guard.h"
#include "dive/mongo.h"
#include "dive/pg.h"
#include "dive/retry.h"
#include "dive/state.h"
#include "dive/store.h"
#include "itest.h"

static const char *url;

static int setup(void **state)
{
	unsetenv("DIVE_BREAKER");
	breaker_config_reset();
	url = itest_new_db("breaker");
	return 0;
}

static int teardown(void **state)
{
	breaker_config_reset();
	itest_drop_db();
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
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

static void fail_once(struct store *s, const char *name, const char *why)
{
	struct breaker_ticket t;

	assert_int_equal(breaker_allow(s, &t, name), 0);
	assert_int_equal(breaker_record(s, &t, 0, why), 0);
}

/* --- persistence across processes ---------------------------------------- */

static void breaker__opened_in_one_process_is_open_in_the_next(void **state)
{
	struct breaker_ticket t;
	struct breaker_row r;
	struct store *s = open_store();
	pid_t pid;
	int status, found;

	store_close(s); /* the schema is ready before the child starts */
	assert_int_equal(breaker_config_override("mongo.failures=3,mongo.open_base_ms=60000,mongo.open_max_ms=60000"),
			 0);
	pid = fork();
	if (pid == 0) {
		struct store *cs = NULL;
		int i;

		if (store_open(&cs, url, 0) < 0)
			_exit(2);
		for (i = 0; i < 3; i++) {
			if (breaker_allow(cs, &t, "mongo:hub") < 0 ||
			    breaker_record(cs, &t, 0, "ping: connection refused") < 0)
				_exit(3);
		}
		store_close(cs);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	s = open_store();
	assert_int_equal(breaker_allow(s, &t, "Mongo:Hub"), DIVE_ECIRCUIT);
	assert_int_equal(dive_error_last_code(), ERRC_CIRCUIT_OPEN);
	print_message("refused: %s\n", dive_error_last());
	assert_non_null(strstr(dive_error_last(), "breaker 'mongo:hub' is open until 20"));
	assert_non_null(strstr(dive_error_last(), "Z (next probe in "));
	assert_int_equal(breaker_get(s, &r, &found, "mongo:hub"), 0);
	assert_true(found);
	assert_int_equal(r.state, BREAKER_OPEN);
	assert_int_equal(r.open_count, 1);
	assert_string_equal(r.last_error, "ping: connection refused");
	assert_true(r.next_probe_ms - r.opened_ms == 60000);
	assert_non_null(strstr(r.changed_by, "dive pid"));
	/* a refusal writes nothing */
	assert_int_equal(count(s, "SELECT version FROM dive.breakers WHERE name = $1", "mongo:hub"), 3);
	store_close(s);
}

struct race {
	pthread_barrier_t barrier;
	int result[16];       /* 1 admitted as a probe, 0 refused, <0 error */
};

static void race_child(struct race *rc, int i, const char *name)
{
	struct breaker_ticket t;
	struct store *cs = NULL;
	int r;

	if (store_open(&cs, url, 0) < 0) {
		rc->result[i] = -100;
		pthread_barrier_wait(&rc->barrier);
		_exit(0);
	}
	pthread_barrier_wait(&rc->barrier);
	r = breaker_allow(cs, &t, name);
	rc->result[i] = r == 0 ? (t.pass == BREAKER_PASS_PROBE ? 1 : -50) : r == DIVE_ECIRCUIT ? 0 : r;
	store_close(cs);
	_exit(0);
}

static void race_round(struct race *rc, const char *name, int processes, int probes)
{
	pthread_barrierattr_t attr;
	struct breaker_row r;
	struct store *s = open_store();
	pid_t pids[16];
	int i, admitted = 0, refused = 0, found, status;

	fail_once(s, name, "timeout"); /* failures=1: open at once, for 100 ms */
	assert_int_equal(breaker_get(s, &r, &found, name), 0);
	assert_int_equal(r.state, BREAKER_OPEN);
	sleep_ms(150);
	pthread_barrierattr_init(&attr);
	pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&rc->barrier, &attr, (unsigned)processes);
	pthread_barrierattr_destroy(&attr);
	for (i = 0; i < processes; i++) {
		rc->result[i] = -99;
		pids[i] = fork();
		if (pids[i] == 0)
			race_child(rc, i, name);
	}
	for (i = 0; i < processes; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (rc->result[i] == 1)
			admitted++;
		else if (rc->result[i] == 0)
			refused++;
		else
			print_message("racer %d: %d\n", i, rc->result[i]);
	}
	pthread_barrier_destroy(&rc->barrier);
	assert_int_equal(admitted, probes);
	assert_int_equal(refused, processes - probes);
	assert_int_equal(breaker_get(s, &r, &found, name), 0);
	assert_int_equal(r.state, BREAKER_HALF_OPEN);
	assert_int_equal(r.probes_in_flight, probes);
	store_close(s);
}

static void breaker__half_open_admits_only_the_configured_probes_across_processes(void **state)
{
	struct race *rc = mmap(NULL, sizeof(*rc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct store *s = open_store();
	char name[32];
	int round;

	assert_true(rc != MAP_FAILED);
	store_close(s);
	assert_int_equal(breaker_config_override("mongo.failures=1,mongo.open_base_ms=100,mongo.open_multiplier=1,"
						 "mongo.open_max_ms=100,mongo.probes=1,mongo.probe_timeout_ms=60000"), 0);
	for (round = 0; round < 10; round++) {
		snprintf(name, sizeof(name), "mongo:race%d", round);
		race_round(rc, name, 2, 1);
	}
	assert_int_equal(breaker_config_override("mongo.probes=2"), 0);
	for (round = 0; round < 5; round++) {
		snprintf(name, sizeof(name), "mongo:wide%d", round);
		race_round(rc, name, 6, 2);
	}
	munmap(rc, sizeof(*rc));
}

static void breaker__forced_open_survives_restarts(void **state)
{
	struct breaker_ticket t;
	struct breaker_row before, after, r;
	struct store *s = open_store();
	pid_t pid;
	int status, found, existed;

	assert_int_equal(breaker_operate(s, &before, &after, "keycloak:DEU", BREAKER_EV_FORCE_OPEN, "itest operator"),
			 0);
	assert_int_equal(before.state, BREAKER_CLOSED);
	assert_int_equal(after.state, BREAKER_FORCED_OPEN);
	store_close(s);

	/* a new connection, then a new process: still forced open, whatever the time */
	s = open_store();
	assert_int_equal(breaker_allow(s, &t, "keycloak:deu"), DIVE_ECIRCUIT);
	assert_string_equal(dive_error_last(), "breaker 'keycloak:deu' is forced open by the operator; "
					       "'dive breaker close keycloak:deu' closes it");
	store_close(s);
	pid = fork();
	if (pid == 0) {
		struct store *cs = NULL;

		if (store_open(&cs, url, 0) < 0)
			_exit(2);
		_exit(breaker_allow(cs, &t, "keycloak:deu") == DIVE_ECIRCUIT &&
		      dive_error_last_code() == ERRC_CIRCUIT_OPEN ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	s = open_store();
	assert_int_equal(breaker_get(s, &r, &found, "keycloak:deu"), 0);
	assert_int_equal(r.state, BREAKER_FORCED_OPEN);
	assert_string_equal(r.changed_by, "itest operator");
	/* failures reported meanwhile change nothing */
	t.pass = BREAKER_PASS_CALL;
	snprintf(t.name, sizeof(t.name), "keycloak:deu");
	assert_int_equal(breaker_record(s, &t, 0, "late"), 0);
	assert_int_equal(breaker_get(s, &r, &found, "keycloak:deu"), 0);
	assert_int_equal(r.state, BREAKER_FORCED_OPEN);
	assert_int_equal(r.failures, 0);
	/* close opens the way; reset forgets the row */
	assert_int_equal(breaker_operate(s, NULL, &after, "keycloak:deu", BREAKER_EV_CLOSE, "itest operator"), 0);
	assert_int_equal(after.state, BREAKER_CLOSED);
	assert_int_equal(breaker_allow(s, &t, "keycloak:deu"), 0);
	assert_int_equal(breaker_forget(s, &r, &existed, "keycloak:deu"), 0);
	assert_true(existed);
	assert_int_equal(r.state, BREAKER_CLOSED);
	assert_int_equal(breaker_forget(s, NULL, &existed, "keycloak:deu"), 0);
	assert_false(existed);
	assert_int_equal(breaker_operate(s, NULL, NULL, "keycloak deu", BREAKER_EV_FORCE_OPEN, "x"), DIVE_EUSAGE);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.breakers", NULL), 0);
	store_close(s);
}

/* --- the step's transaction: breaker change and error commit together ----- */

static int failing_op(void *arg, long *http, int *code)
{
	(*(int *)arg)++;
	*code = ERRC_MONGODB_UNREACHABLE;
	return dive_error_set(DIVE_EUNAVAIL, "ping: mongodb unreachable: connection refused");
}

static void breaker__change_and_error_commit_with_the_callers_transaction(void **state)
{
	struct retry_policy pol = { "itest", 10, 2.0, 10, 1, 1000, RETRY_JITTER_NONE, "itest" };
	struct store *s = open_store();
	struct guard_ops ops;
	struct guard_call call = { 0 };
	struct guard_report rep;
	struct breaker_ticket t;
	struct breaker_row r;
	long long run = 0, id = 0;
	int calls = 0, found;

	assert_int_equal(run_begin(s, &run, "DEU", "deploy", "itest"), 0);
	/* neither call works inside an open transaction, nor the _tx one outside */
	assert_int_equal(breaker_allow(s, &t, "mongo:hub"), 0);
	assert_int_equal(breaker_record_tx(s, &t, 0, "x"), DIVE_EFAIL);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(breaker_allow(s, &t, "mongo:hub"), DIVE_EFAIL);
	assert_int_equal(breaker_record(s, &t, 0, "x"), DIVE_EFAIL);
	store_rollback(s);

	guard_ops_store(&ops, s);
	call.breaker = "mongo:hub";
	call.cls = RETRY_MONGODB;
	call.policy = &pol;
	call.op = failing_op;
	call.arg = &calls;
	call.defer_last = 1;

	/* rolled back: neither the breaker change nor the error is there */
	assert_int_equal(guard_run(&ops, &call, &rep), DIVE_EUNAVAIL);
	assert_int_equal(calls, 1);
	assert_true(rep.deferred.pending);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(guard_finish_tx(s, &rep.deferred), 0);
	assert_int_equal(errlog_record(s, &id, ERRC_MONGODB_UNREACHABLE, "mongo:hub", rep.deferred.message, NULL, "DEU",
				       run, 0), 0);
	store_rollback(s);
	assert_int_equal(breaker_get(s, &r, &found, "mongo:hub"), 0);
	assert_int_equal(r.failures, 0);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.errors", NULL), 0);

	/* committed: both */
	assert_int_equal(guard_run(&ops, &call, &rep), DIVE_EUNAVAIL);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(guard_finish_tx(s, &rep.deferred), 0);
	assert_int_equal(errlog_record(s, &id, ERRC_MONGODB_UNREACHABLE, "mongo:hub", rep.deferred.message, NULL, "DEU",
				       run, 0), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(breaker_get(s, &r, &found, "mongo:hub"), 0);
	assert_true(found);
	assert_int_equal(r.failures, 1);
	assert_string_equal(r.last_error, "ping: mongodb unreachable: connection refused");
	assert_int_equal(count(s, "SELECT count(*) FROM dive.errors WHERE component = 'mongo:hub' AND run_id IS NOT NULL",
			       NULL), 1);
	assert_true(id > 0);
	store_close(s);
}

/* --- recorded errors ------------------------------------------------------ */

static void errlog__records_severity_and_remediation_from_the_taxonomy(void **state)
{
	struct store *s = open_store();
	const struct errcode *e = errcode_find(ERRC_MONGODB_UNREACHABLE);
	PGresult *res = NULL;
	long long run = 0, id = 0;
	const char *params[1];
	char id_s[24];

	assert_int_equal(run_begin(s, &run, "DEU", "deploy", "itest"), 0);
	assert_int_equal(errlog_record(s, &id, ERRC_MONGODB_UNREACHABLE, "Mongo:Hub",
				       "ping mongodb://dive:s3cret-pass@127.0.0.1:27017/admin: connection refused",
				       "{\"attempts\": 3}", "deu", run, 0), 0);
	snprintf(id_s, sizeof(id_s), "%lld", id);
	params[0] = id_s;
	assert_int_equal(pg_exec(s->conn, &res,
				 "SELECT code, severity, component, message, remediation, context->>'attempts', instance,"
				 " run_id FROM dive.errors WHERE id = $1::bigint", 1, params), 0);
	assert_int_equal(PQntuples(res), 1);
	assert_int_equal(atoi(PQgetvalue(res, 0, 0)), ERRC_MONGODB_UNREACHABLE);
	assert_string_equal(PQgetvalue(res, 0, 1), errsev_name(e->severity));
	assert_string_equal(PQgetvalue(res, 0, 2), "mongo:hub");
	assert_string_equal(PQgetvalue(res, 0, 3), "ping mongodb://dive:***@127.0.0.1:27017/admin: connection refused");
	assert_null(strstr(PQgetvalue(res, 0, 3), "s3cret"));
	assert_string_equal(PQgetvalue(res, 0, 4), e->remediation);
	assert_string_equal(PQgetvalue(res, 0, 5), "3");
	assert_string_equal(PQgetvalue(res, 0, 6), "DEU");
	PQclear(res);
	/* an instance without state yet gets its row, as a run would */
	assert_int_equal(errlog_record(s, NULL, ERRC_HEALTH_CHECK, "backend", NULL, NULL, "FRA", 0, 0), 0);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.instances WHERE code = $1 AND state = 'UNKNOWN'", "FRA"),
			 1);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.errors WHERE message = $1",
			       errcode_find(ERRC_HEALTH_CHECK)->summary), 1);
	store_close(s);
}

static void errlog__bad_input_writes_nothing(void **state)
{
	struct store *s = open_store();
	char big[ERRLOG_CONTEXT_MAX + 64];
	int before;

	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	before = count(s, "SELECT count(*) FROM dive.errors", NULL);
	assert_int_equal(errlog_record(s, NULL, 4242, "docker", "x", NULL, NULL, 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "", "x", NULL, NULL, 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "docker; drop", "x", NULL, NULL, 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "docker", "x", "[1,2]", NULL, 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "docker", "x", "{bad", NULL, 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "docker", "x", big, NULL, 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "docker", "x", NULL, "XYZ", 0, 0), DIVE_EUSAGE);
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "docker", "x", NULL, "DEU'--", 0, 0), DIVE_EUSAGE);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.errors", NULL), before);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.instances", NULL), 0);
	store_close(s);
}

static void errlog__messages_are_bounded_and_clean_text(void **state)
{
	struct store *s = open_store();
	char msg[6000], out[32];
	size_t i;

	/* 3000 two-byte characters: cut below the cap at a character boundary */
	for (i = 0; i + 2 < sizeof(msg); i += 2)
		memcpy(msg + i, "\xc3\xa9", 2);
	msg[i] = '\0';
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "dive", msg, NULL, NULL, 0, 0), 0);
	assert_int_equal(count(s, "SELECT max(octet_length(message)) FROM dive.errors", NULL), ERRLOG_MESSAGE_MAX);
	/* bytes that are not UTF-8 and control characters never reach the store */
	assert_int_equal(errlog_record(s, NULL, ERRC_INTERNAL, "dive", "bad \xff\xfe byte\n\ttab\x01", NULL, NULL, 0,
				       0), 0);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.errors WHERE message = 'bad ?? byte  tab '", NULL), 1);
	errlog_clean(out, sizeof(out), "abc\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
				       "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
	assert_true(strlen(out) < sizeof(out));
	assert_int_equal((strlen(out) - 3) % 3, 0);
	errlog_clean(out, sizeof(out), "postgresql://u:p@h/db");
	assert_string_equal(out, "postgresql://u:***@h/db");
	errlog_clean(out, sizeof(out), "http://host:8080/x@y");
	assert_string_equal(out, "http://host:8080/x@y");
	store_close(s);
}

static void errlog__thresholds_decide_whether_the_run_goes_on(void **state)
{
	struct store *s = open_store();
	int counts[ERRSEV__COUNT];
	enum errthr_action action;
	long long run = 0, other = 0;
	char why[160];

	assert_int_equal(run_begin(s, &run, "POL", "deploy", "itest"), 0);
	assert_int_equal(run_begin(s, &other, "NLD", "deploy", "itest"), 0);
	/* ERRC_CONTAINER_UNHEALTHY is high: one is absorbed, the second stops the run */
	assert_int_equal(errlog_record(s, NULL, ERRC_CONTAINER_UNHEALTHY, "keycloak", "unhealthy", NULL, "POL", run, 0),
			 0);
	assert_int_equal(errlog_record(s, NULL, ERRC_PROTOCOL_MAPPERS, "keycloak", "mappers", NULL, "POL", run, 0), 0);
	assert_int_equal(errlog_record(s, NULL, ERRC_CONTAINER_UNHEALTHY, "keycloak", "other run", NULL, "NLD", other, 0),
			 0);
	assert_int_equal(errlog_counts(s, run, counts), 0);
	assert_int_equal(counts[ERRSEV_HIGH], 1);
	assert_int_equal(counts[ERRSEV_MEDIUM], 1);
	assert_int_equal(counts[ERRSEV_CRITICAL], 0);
	assert_int_equal(errlog_run_verdict(s, &action, why, sizeof(why), run), 0);
	assert_int_equal(action, ERRTHR_CONTINUE);
	assert_int_equal(errlog_record(s, NULL, ERRC_CONTAINER_UNHEALTHY, "backend", "unhealthy", NULL, "POL", run, 0),
			 0);
	assert_int_equal(errlog_run_verdict(s, &action, why, sizeof(why), run), 0);
	assert_int_equal(action, ERRTHR_STOP);
	assert_non_null(strstr(why, "2 high errors"));
	store_close(s);
}

static void errlog__recent_lists_newest_first_by_code(void **state)
{
	struct store *s = open_store();
	cJSON *arr = NULL, *first;
	int i;

	for (i = 0; i < 5; i++)
		assert_int_equal(errlog_record(s, NULL, i % 2 ? ERRC_CIRCUIT_OPEN : ERRC_DOCKER_UNREACHABLE, "docker",
					       i % 2 ? "open" : "down", NULL, NULL, 0, 0), 0);
	assert_int_equal(errlog_recent(s, &arr, 0, 3), 0);
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	first = cJSON_GetArrayItem(arr, 0);
	assert_int_equal(cJSON_GetObjectItem(first, "code")->valueint, ERRC_DOCKER_UNREACHABLE);
	assert_string_equal(cJSON_GetObjectItem(first, "name")->valuestring, "DOCKER_UNREACHABLE");
	assert_string_equal(cJSON_GetObjectItem(first, "remediation")->valuestring, "docker info");
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "id")->valuedouble >
		    cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "id")->valuedouble);
	assert_null(cJSON_GetObjectItem(first, "at_sort"));
	cJSON_Delete(arr);
	assert_int_equal(errlog_recent(s, &arr, ERRC_CIRCUIT_OPEN, 100), 0);
	assert_int_equal(cJSON_GetArraySize(arr), 2);
	cJSON_Delete(arr);
	assert_int_equal(errlog_recent(s, &arr, 0, 0), DIVE_EUSAGE);
	store_close(s);
}

/* --- fail fast against a real server that stops ---------------------------- */

static pid_t ferret_pid;
static char ferret_dir[64];
static int ferret_port;

static int port_open(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void ferret_start(void)
{
	const char *bin = itest_env("DIVE_FERRETDB_BIN");
	char addr[32], sqlite[96], log[96];
	int i;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ferret_port);
	snprintf(sqlite, sizeof(sqlite), "file:%s/", ferret_dir);
	snprintf(log, sizeof(log), "%s/ferretdb.log", ferret_dir);
	ferret_pid = fork();
	if (ferret_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, "-listen-addr", addr, "-handler", "sqlite", "-sqlite-url", sqlite, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300 && !port_open(ferret_port); i++)
		sleep_ms(50);
	assert_true(port_open(ferret_port));
}

/* SIGSTOP takes effect asynchronously: wait (bounded) until /proc says 'T'. */
static void wait_stopped(pid_t pid)
{
	char path[64], buf[256], *paren;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 100; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		paren = strrchr(buf, ')');
		if (paren && paren[1] == ' ' && paren[2] == 'T')
			return;
		sleep_ms(10);
	}
}

static void ferret_kill(void)
{
	if (ferret_pid > 0) {
		kill(ferret_pid, SIGKILL);
		waitpid(ferret_pid, NULL, 0);
		ferret_pid = 0;
	}
}

static int ferret_setup(void **state)
{
	setup(state);
	snprintf(ferret_dir, sizeof(ferret_dir), "/tmp/dive-itest-ferret-XXXXXX");
	if (!mkdtemp(ferret_dir))
		return -1;
	ferret_port = itest_free_port();
	return 0;
}

static int ferret_teardown(void **state)
{
	char cmd[128];

	ferret_kill();
	if (ferret_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ferret_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", ferret_dir);
		ferret_dir[0] = '\0';
	}
	return teardown(state);
}

#define REQUEST_TIMEOUT_MS 1000

struct ping {
	char url[160];
	int calls;       /* attempts that reached the network */
};

/* One attempt: a fresh client each time, so nothing is cached between attempts. */
static int ping_op(void *arg, long *http, int *code)
{
	struct ping *p = arg;
	struct mongo *m = NULL;
	int rc;

	p->calls++;
	if ((rc = mongo_open(&m, p->url, "dive-itest-breaker")) < 0)
		return rc;
	rc = mongo_ping(m);
	mongo_close(m);
	if (rc == DIVE_EUNAVAIL)
		*code = ERRC_MONGODB_UNREACHABLE;
	return rc;
}

static void wait_past_next_probe(struct store *s, const char *name)
{
	struct breaker_row r;
	int found;

	assert_int_equal(breaker_get(s, &r, &found, name), 0);
	if (r.next_probe_ms > r.now_ms)
		sleep_ms((long)(r.next_probe_ms - r.now_ms) + 50);
}

static void breaker__fails_fast_once_a_stopped_server_opens_it_and_probes_close_it(void **state)
{
	/* two attempts per call, little sleep: the breaker, not the retries, makes the calls fast */
	struct retry_policy pol = { "itest-mongo", 50, 2.0, 200, 2, 10000, RETRY_JITTER_NONE, "itest" };
	struct store *s = open_store();
	struct guard_ops ops;
	struct guard_call call = { 0 };
	struct guard_report rep;
	struct breaker_row r;
	struct ping p;
	struct mongo *m = NULL;
	double t0, unguarded, dur[10];
	int rc[10], calls_before[10], i, found;

	assert_int_equal(breaker_config_override("mongo.failures=3,mongo.window_ms=60000,mongo.open_base_ms=1500,"
						 "mongo.open_multiplier=2,mongo.open_max_ms=10000,mongo.probes=1,"
						 "mongo.successes=2,mongo.probe_timeout_ms=5000"), 0);
	ferret_start();
	memset(&p, 0, sizeof(p));
	snprintf(p.url, sizeof(p.url),
		 "mongodb://127.0.0.1:%d/?serverSelectionTimeoutMS=%d&connectTimeoutMS=%d&socketTimeoutMS=%d",
		 ferret_port, REQUEST_TIMEOUT_MS, REQUEST_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	guard_ops_store(&ops, s);
	call.breaker = "mongo:itest";
	call.cls = RETRY_MONGODB;
	call.policy = &pol;
	call.op = ping_op;
	call.arg = &p;

	/* up: guarded pings pass and write nothing */
	for (i = 0; i < 20 && guard_run(&ops, &call, &rep) != 0; i++)
		sleep_ms(100); /* the port is open a moment before FerretDB answers */
	assert_int_equal(guard_run(&ops, &call, &rep), 0);
	assert_int_equal(guard_run(&ops, &call, &rep), 0);
	assert_int_equal(rep.calls, 1);
	assert_int_equal(count(s, "SELECT count(*) FROM dive.breakers WHERE failures > 0 OR state <> 'closed'", NULL),
			 0);

	/* stopped: the process is there, the port accepts, nothing answers */
	assert_int_equal(kill(ferret_pid, SIGSTOP), 0);
	wait_stopped(ferret_pid);
	p.calls = 0;
	assert_int_equal(mongo_open(&m, p.url, "dive-itest-unguarded"), 0);
	t0 = now_ms();
	assert_int_equal(mongo_ping(m), DIVE_EUNAVAIL);
	unguarded = now_ms() - t0;
	mongo_close(m);
	for (i = 0; i < 10; i++) {
		calls_before[i] = p.calls;
		t0 = now_ms();
		rc[i] = guard_run(&ops, &call, &rep);
		dur[i] = now_ms() - t0;
		print_message("call %2d: %-12s %8.1f ms, %d attempt%s reached the server%s%s\n", i + 1,
			      dive_err_name(rc[i]), dur[i], p.calls - calls_before[i], p.calls - calls_before[i] == 1 ? "" : "s",
			      rc[i] == DIVE_ECIRCUIT ? ": " : "", rc[i] == DIVE_ECIRCUIT ? dive_error_last() : "");
	}
	print_message("fail fast: one request to the stopped server took %.1f ms (request timeout %d ms); "
		      "the 10th guarded call took %.2f ms\n", unguarded, REQUEST_TIMEOUT_MS, dur[9]);
	assert_int_equal(rc[9], DIVE_ECIRCUIT);
	assert_int_equal(dive_error_last_code(), ERRC_CIRCUIT_OPEN);
	assert_non_null(strstr(dive_error_last(), "breaker 'mongo:itest' is open until 20"));
	assert_non_null(strstr(dive_error_last(), "(next probe in "));
	assert_int_equal(p.calls, calls_before[9]); /* the 10th call never touched the network */
	assert_int_equal(rep.calls, 0);
	assert_true(rep.refused);
	assert_int_equal(p.calls, 3);               /* the third failure opened it */
	assert_int_equal(rc[0], DIVE_EUNAVAIL);
	for (i = 1; i < 10; i++)
		assert_int_equal(rc[i], DIVE_ECIRCUIT);
	assert_int_equal(breaker_get(s, &r, &found, "mongo:itest"), 0);
	assert_int_equal(r.state, BREAKER_OPEN);
	assert_int_equal(r.open_count, 1);
	assert_int_equal(r.next_probe_ms - r.opened_ms, 1500);
	assert_non_null(strstr(r.last_error, "mongodb unreachable"));

	/* killed: a probe after the open duration fails, and it opens again for twice as long */
	ferret_kill();
	wait_past_next_probe(s, "mongo:itest");
	assert_int_equal(guard_run(&ops, &call, &rep), DIVE_ECIRCUIT);
	assert_int_equal(rep.calls, 1);             /* one probe, refused by the server; the retry was refused */
	assert_int_equal(breaker_get(s, &r, &found, "mongo:itest"), 0);
	assert_int_equal(r.state, BREAKER_OPEN);
	assert_int_equal(r.open_count, 2);
	assert_int_equal(r.next_probe_ms - r.opened_ms, 3000);

	/* back on the same port: once the open duration ends, two probes close it */
	ferret_start();
	assert_int_equal(guard_run(&ops, &call, &rep), DIVE_ECIRCUIT); /* still open: nothing asks the server */
	assert_int_equal(rep.calls, 0);
	wait_past_next_probe(s, "mongo:itest");
	for (i = 0; i < 2; i++) {
		int tries;

		/* FerretDB may take a moment to answer after its port opens; a failed probe reopens it */
		for (tries = 0; tries < 5; tries++) {
			if (guard_run(&ops, &call, &rep) == 0)
				break;
			wait_past_next_probe(s, "mongo:itest");
		}
		assert_true(tries < 5);
		assert_int_equal(breaker_get(s, &r, &found, "mongo:itest"), 0);
		print_message("probe %d: breaker %s, %d success%s\n", i + 1, breaker_state_name(r.state), r.successes,
			      r.successes == 1 ? "" : "es");
	}
	assert_int_equal(r.state, BREAKER_CLOSED);
	assert_int_equal(r.open_count, 0);
	assert_int_equal(guard_run(&ops, &call, &rep), 0);
	ferret_kill();
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(breaker__opened_in_one_process_is_open_in_the_next, setup, teardown),
		cmocka_unit_test_setup_teardown(breaker__half_open_admits_only_the_configured_probes_across_processes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(breaker__forced_open_survives_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(breaker__change_and_error_commit_with_the_callers_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(errlog__records_severity_and_remediation_from_the_taxonomy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(errlog__bad_input_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(errlog__messages_are_bounded_and_clean_text, setup, teardown),
		cmocka_unit_test_setup_teardown(errlog__thresholds_decide_whether_the_run_goes_on, setup, teardown),
		cmocka_unit_test_setup_teardown(errlog__recent_lists_newest_first_by_code, setup, teardown),
		cmocka_unit_test_setup_teardown(breaker__fails_fast_once_a_stopped_server_opens_it_and_probes_close_it,
						ferret_setup, ferret_teardown),
	};
	int rc = cmocka_run_group_tests_name("breaker", tests, NULL, NULL);

	mongo_global_cleanup();
	return rc;
}
