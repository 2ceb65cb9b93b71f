/*
 * mongo.h - MongoDB (or FerretDB) connection through mongo-c-driver.
 *
 * mongo_open() validates the URI and sets bounded timeouts (server
 * selection, connect, socket) unless the URI sets them.  FerretDB has no
 * multi-document transactions and no endSessions; dive uses only
 * single-document atomic operations and tolerates a failing endSessions at
 * close.  mongo_open() calls mongoc_init() once, on first use (libmongoc
 * creates a shared-memory file for its counters at init, so commands that
 * do not talk to MongoDB never initialise it); mongo_global_cleanup() at exit.
 */
#ifndef DIVE_MONGO_H
#define DIVE_MONGO_H

#include <mongoc/mongoc.h>

struct mongo {
	mongoc_client_t *client;
	mongoc_uri_t *uri;
};

int mongo_open(struct mongo **out, const char *url, const char *appname);
void mongo_close(struct mongo *m);
void mongo_global_cleanup(void);

/* Run {ping: 1} on the admin database. */
int mongo_ping(struct mongo *m);

/* Map a bson_error_t to a DIVE_E* code with the message set. */
int mongo_error(const bson_error_t *err, const char *what);

#endif
