/*
 * lock.h - PostgreSQL advisory locks that exclude for real.
 *
 * A lock is a session-level pg_try_advisory_lock(ns, id) taken on a
 * connection of its own, held for the life of the holder: when the holder
 * dies or is cut off, PostgreSQL ends the session and the lock is free.
 * ns is DIVE_LOCK_NS ("DIVE"); id is a stable 31-bit FNV-1a hash of the lock
 * name ("instance:DEU", "hub:shared").  The holder writes who it is (pid,
 * host, command, message, times) into dive.lock_holders in the same session;
 * dive.live_locks shows only rows whose lock is granted right now.
 *
 * Order: instance locks before the shared hub lock ("hub:shared"), never
 * the other way round; lock_acquire() refuses a wrong order.
 */
#ifndef DIVE_LOCK_H
#define DIVE_LOCK_H

#include <stdint.h>

#include <libpq-fe.h>

#define DIVE_LOCK_NS 0x44495645 /* "DIVE" */
#define DIVE_LOCK_SHARED "hub:shared"
#define DIVE_LOCK_MIGRATE "schema:migrate"

struct lock_holder {
	char name[129];
	int backend_pid;
	int pid;
	char host[256];
	char command[256];
	char message[512];
	char acquired_at[40];
	char expires_at[40];  /* "" when none */
	long long age_s;
};

struct lock_request {
	const char *command;   /* what the holder runs, e.g. "dive spoke deploy DEU" (no secrets) */
	const char *message;   /* optional, shown to whoever finds the lock held */
	long wait_ms;          /* 0: try once */
	long hold_s;           /* expected duration, recorded as expires_at; 0: none */
};

struct dive_lock;

/* "instance:DEU" for a code. */
void lock_name_instance(char out[32], const char *code);
void lock_key(const char *name, int32_t *ns, int32_t *id);

/*
 * Take the lock on a new connection to url.  On DIVE_ELOCKED, *holder (if
 * not NULL) describes the live holder and the message names it.
 */
int lock_acquire(struct dive_lock **out, const char *url, const char *name,
		 const struct lock_request *req, struct lock_holder *holder);
/* Still held?  Runs a trivial query on the lock's connection. */
int lock_check(struct dive_lock *l);
/* Release and close; accepts NULL. */
void lock_release(struct dive_lock *l);
const char *lock_get_name(const struct dive_lock *l);
int lock_backend_pid(const struct dive_lock *l);

/* Live holders (name NULL: all) from dive.live_locks; caller frees *out. */
int lock_holders(PGconn *c, const char *name, struct lock_holder **out, size_t *n);
/* Is the lock held by a live session right now (not necessarily dive's)? */
int lock_is_held(PGconn *c, const char *name, int *held);
/* End the session holding name; *was describes it.  DIVE_ENOTFOUND if free. */
int lock_force_release(PGconn *c, const char *name, struct lock_holder *was);

#endif
