/* lock.c - advisory locks on dedicated connections (see lock.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dive/error.h"
#include "dive/interrupt.h"
#include "dive/lock.h"
#include "dive/pg.h"
#include "dive/text.h"
#include "dive/xalloc.h"

#define LOCK_MAX_HELD 8

struct dive_lock {
	PGconn *conn;
	char *name;
	int backend_pid;
};

/* Locks this process holds, to enforce the order instance -> shared. */
static struct dive_lock *held[LOCK_MAX_HELD];

static const char sql_try[] = "SELECT pg_try_advisory_lock($1::int, $2::int), pg_backend_pid()";
static const char sql_unlock[] = "SELECT pg_advisory_unlock($1::int, $2::int)";

static const char sql_record[] =
	"INSERT INTO dive.lock_holders (name, key_ns, key_id, backend_pid, pid, host, command, message,"
	" acquired_at, expires_at)"
	" VALUES ($1, $2::int, $3::int, pg_backend_pid(), $4::int, $5, $6, $7, now(),"
	"  CASE WHEN $8::bigint > 0 THEN now() + make_interval(secs => $8::bigint) END)"
	" ON CONFLICT (name) DO UPDATE SET key_ns = EXCLUDED.key_ns, key_id = EXCLUDED.key_id,"
	"  backend_pid = EXCLUDED.backend_pid, pid = EXCLUDED.pid, host = EXCLUDED.host,"
	"  command = EXCLUDED.command, message = EXCLUDED.message, acquired_at = EXCLUDED.acquired_at,"
	"  expires_at = EXCLUDED.expires_at";

static const char sql_forget[] = "DELETE FROM dive.lock_holders WHERE name = $1 AND backend_pid = pg_backend_pid()";

#define HOLDER_COLUMNS \
	"name, backend_pid, pid, host, command, coalesce(message, ''),"                          \
	" to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"           \
	" coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"  \
	" extract(epoch FROM now() - acquired_at)::bigint"

static const char sql_holders_all[] = "SELECT " HOLDER_COLUMNS " FROM dive.live_locks ORDER BY name";
static const char sql_holders_one[] = "SELECT " HOLDER_COLUMNS " FROM dive.live_locks WHERE name = $1";

/* Held by anyone (dive or not), from pg_locks alone. */
static const char sql_is_held[] =
	"SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
	" AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
	" AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2";

static const char sql_terminate[] = "SELECT pg_terminate_backend($1::int)";

void lock_name_instance(char out[32], const char *code)
{
	snprintf(out, 32, "instance:%.3s", code);
}

void lock_key(const char *name, int32_t *ns, int32_t *id)
{
	uint32_t h = 2166136261u; /* FNV-1a, 32 bit: stable across builds and hosts */

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	*ns = DIVE_LOCK_NS;
	*id = (int32_t)(h & 0x7fffffffu);
}

static void key_params(const char *name, char ns_s[16], char id_s[16])
{
	int32_t ns, id;

	lock_key(name, &ns, &id);
	snprintf(ns_s, 16, "%d", (int)ns);
	snprintf(id_s, 16, "%d", (int)id);
}

/*
 * A holder's words as an operator will read them: dive refuses control
 * characters when it records them, but a row may have been written by
 * anything that can reach the table, so what is read is shown safely.
 */
static void copy_field(char *dst, size_t n, const char *src)
{
	text_shown(dst, n, src);
}

static void fill_holder(struct lock_holder *h, PGresult *res, int r)
{
	memset(h, 0, sizeof(*h));
	copy_field(h->name, sizeof(h->name), PQgetvalue(res, r, 0));
	h->backend_pid = atoi(PQgetvalue(res, r, 1));
	h->pid = atoi(PQgetvalue(res, r, 2));
	copy_field(h->host, sizeof(h->host), PQgetvalue(res, r, 3));
	copy_field(h->command, sizeof(h->command), PQgetvalue(res, r, 4));
	copy_field(h->message, sizeof(h->message), PQgetvalue(res, r, 5));
	copy_field(h->acquired_at, sizeof(h->acquired_at), PQgetvalue(res, r, 6));
	copy_field(h->expires_at, sizeof(h->expires_at), PQgetvalue(res, r, 7));
	h->age_s = atoll(PQgetvalue(res, r, 8));
}

int lock_holders(PGconn *c, const char *name, struct lock_holder **out, size_t *n)
{
	const char *params[1] = { name };
	PGresult *res = NULL;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = name ? pg_exec(c, &res, sql_holders_one, 1, params) : pg_exec(c, &res, sql_holders_all, 0, NULL);
	if (rc < 0)
		return rc;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(**out));
	for (r = 0; r < PQntuples(res); r++)
		fill_holder(&(*out)[r], res, r);
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return 0;
}

int lock_is_held(PGconn *c, const char *name, int *is_held)
{
	char ns_s[16], id_s[16];
	const char *params[2] = { ns_s, id_s };
	PGresult *res = NULL;
	int rc;

	key_params(name, ns_s, id_s);
	rc = pg_exec(c, &res, sql_is_held, 2, params);
	if (rc < 0)
		return rc;
	*is_held = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

static int describe_holder(PGconn *c, const char *name, struct lock_holder *holder)
{
	struct lock_holder *rows = NULL;
	size_t n = 0;
	int rc = lock_holders(c, name, &rows, &n);

	if (rc == 0 && n > 0) {
		if (holder)
			*holder = rows[0];
		if (rows[0].message[0])
			rc = dive_error_set(DIVE_ELOCKED,
					    "lock '%s' is held by pid %d on '%s' (%s) since %s: %s", name,
					    rows[0].pid, rows[0].host, rows[0].command, rows[0].acquired_at,
					    rows[0].message);
		else
			rc = dive_error_set(DIVE_ELOCKED, "lock '%s' is held by pid %d on '%s' (%s) since %s",
					    name, rows[0].pid, rows[0].host, rows[0].command, rows[0].acquired_at);
	} else if (rc == 0) {
		if (holder)
			memset(holder, 0, sizeof(*holder));
		rc = dive_error_set(DIVE_ELOCKED, "lock '%s' is held by a session that did not say who it is",
				    name);
	}
	free(rows);
	return rc;
}

static int order_ok(const char *name)
{
	int i;

	if (strcmp(name, DIVE_LOCK_SHARED) == 0)
		return 1;
	for (i = 0; i < LOCK_MAX_HELD; i++)
		if (held[i] && !strcmp(held[i]->name, DIVE_LOCK_SHARED))
			return 0;
	return 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lock_acquire(struct dive_lock **out, const char *url, const char *name, const struct lock_request *req,
		 struct lock_holder *holder)
{
	char ns_s[16], id_s[16], pid_s[16], hold_s[24], host[256] = "";
	const char *try_params[2] = { ns_s, id_s };
	struct dive_interrupt_saved signals;
	PGconn *c = NULL;
	PGresult *res = NULL;
	long long deadline;
	long backoff = 50;
	int rc, slot, got = 0, backend = 0, waits = req && req->wait_ms > 0;

	*out = NULL;
	if (!name || !*name || strlen(name) > 128)
		return dive_error_set(DIVE_EUSAGE, "invalid lock name");
	if (!order_ok(name))
		return dive_error_set(DIVE_EFAIL, "internal: lock '%s' requested while holding '%s' (order is "
					"instance, then shared)", name, DIVE_LOCK_SHARED);
	for (slot = 0; slot < LOCK_MAX_HELD && held[slot]; slot++)
		;
	if (slot == LOCK_MAX_HELD)
		return dive_error_set(DIVE_EFAIL, "internal: too many locks held");
	rc = pg_connect(&c, url, "dive-lock");
	if (rc < 0)
		return rc;
	key_params(name, ns_s, id_s);
	deadline = now_ms() + (waits ? req->wait_ms : 0);
	if (waits)
		dive_interrupt_catch(&signals); /* Ctrl-C ends the wait, not the whole window */
	for (;;) {
		rc = pg_exec(c, &res, sql_try, 2, try_params);
		if (rc < 0)
			break;
		got = !strcmp(PQgetvalue(res, 0, 0), "t");
		backend = atoi(PQgetvalue(res, 0, 1));
		PQclear(res);
		res = NULL;
		if (got || now_ms() >= deadline)
			break;
		if (dive_interrupt_sleep_ms(backoff)) {
			rc = dive_error_set(DIVE_EINTR, "interrupted while waiting for lock '%s'", name);
			break;
		}
		if (backoff < 1000)
			backoff *= 2;
		if (now_ms() + backoff > deadline)
			backoff = (long)(deadline - now_ms()) > 10 ? (long)(deadline - now_ms()) : 10;
	}
	if (waits)
		dive_interrupt_restore(&signals);
	if (rc < 0)
		goto fail;
	if (!got) {
		rc = describe_holder(c, name, holder);
		goto fail;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
	snprintf(hold_s, sizeof(hold_s), "%ld", req ? req->hold_s : 0L);
	{
		const char *params[8] = { name, ns_s, id_s, pid_s, host,
					  req && req->command ? req->command : "dive",
					  req && req->message && *req->message ? req->message : NULL, hold_s };

		rc = pg_exec(c, NULL, sql_record, 8, params);
		if (rc < 0)
			goto fail;
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->conn = c;
	(*out)->name = xstrdup(name);
	(*out)->backend_pid = backend;
	held[slot] = *out;
	return 0;
fail:
	PQclear(res);
	pg_close(c);
	return rc;
}

int lock_check(struct dive_lock *l)
{
	if (pg_exec(l->conn, NULL, "SELECT 1", 0, NULL) < 0)
		return dive_error_wrap(DIVE_ELOCKED, "lost lock '%s'", l->name);
	return 0;
}

void lock_release(struct dive_lock *l)
{
	char ns_s[16], id_s[16];
	const char *params[2] = { ns_s, id_s };
	const char *forget[1];
	int i;

	if (!l)
		return;
	for (i = 0; i < LOCK_MAX_HELD; i++)
		if (held[i] == l)
			held[i] = NULL;
	key_params(l->name, ns_s, id_s);
	forget[0] = l->name;
	if (PQstatus(l->conn) == CONNECTION_OK) {
		pg_exec(l->conn, NULL, sql_forget, 1, forget);
		pg_exec(l->conn, NULL, sql_unlock, 2, params);
	}
	pg_close(l->conn);
	free(l->name);
	free(l);
}

const char *lock_get_name(const struct dive_lock *l)
{
	return l->name;
}

int lock_backend_pid(const struct dive_lock *l)
{
	return l->backend_pid;
}

int lock_force_release(PGconn *c, const char *name, struct lock_holder *was)
{
	struct lock_holder *rows = NULL;
	char pid_s[16];
	const char *params[1] = { pid_s };
	PGresult *res = NULL;
	size_t n = 0;
	int rc, held_now = 0, i;

	rc = lock_holders(c, name, &rows, &n);
	if (rc < 0)
		return rc;
	if (n == 0) {
		free(rows);
		rc = lock_is_held(c, name, &held_now);
		if (rc < 0)
			return rc;
		if (held_now)
			return dive_error_set(DIVE_EFAIL, "lock '%s' is held by a session that did not say who it "
						"is; not ending an unknown session", name);
		return dive_error_set(DIVE_ENOTFOUND, "lock '%s' is not held", name);
	}
	*was = rows[0];
	free(rows);
	snprintf(pid_s, sizeof(pid_s), "%d", was->backend_pid);
	rc = pg_exec(c, &res, sql_terminate, 1, params);
	if (rc < 0)
		return rc;
	if (strcmp(PQgetvalue(res, 0, 0), "t")) {
		PQclear(res);
		return dive_error_set(DIVE_EFAIL, "could not end the session holding '%s' (backend %d)", name,
				      was->backend_pid);
	}
	PQclear(res);
	/* pg_terminate_backend only signals: wait (bounded) until the lock is gone. */
	for (i = 0; i < 50; i++) {
		if ((rc = lock_is_held(c, name, &held_now)) < 0 || !held_now)
			return rc;
		sleep_ms(100);
	}
	return dive_error_set(DIVE_ETIMEOUT, "the session holding '%s' did not end within 5s", name);
}
