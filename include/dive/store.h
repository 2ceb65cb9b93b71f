/*
 * store.h - the state store: one PostgreSQL database holds every piece of
 * orchestration state (DESIGN §1).  store_open() connects and, unless told
 * not to, applies pending migrations first.
 *
 * Lifecycle: store_open / store_close.  The connection is the store's; lock
 * connections are separate (lock.h).
 */
#ifndef DIVE_STORE_H
#define DIVE_STORE_H

#include <libpq-fe.h>

enum store_flags {
	STORE_MIGRATE = 1 << 0,   /* apply pending migrations */
};

struct store {
	PGconn *conn;
	char *url;        /* kept for opening lock connections; never printed */
	int ready;        /* schema is current (always 1 with STORE_MIGRATE) */
	int pending;      /* migrations pending when opened without STORE_MIGRATE */
};

int store_open(struct store **out, const char *url, unsigned flags);
void store_close(struct store *s);

/* BEGIN / COMMIT / ROLLBACK on the store's connection. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* 1 when the store is usable and no transaction is open on its connection. */
int store_idle(const struct store *s);

#endif
