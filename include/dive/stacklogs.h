/*
 * stacklogs.h - the logs of a stack's containers, one stream of lines
 * with each line's service (`dive hub logs`, `dive spoke logs`).
 *
 * The stack's containers are found as `dive spoke status` finds them (the
 * project's labels, on the engine the instance is placed on).  Each
 * container's log is read with docker's timestamps; the lines of every
 * container are merged in time order and handed to on_line one by one.
 * --tail counts per container (as `docker compose logs --tail` does).
 *
 * follow: after the first read, read again every poll_ms what came after
 * the last line seen, until SIGINT/SIGTERM: then DIVE_EINTR (exit 130).
 * A service that is not in the stack is DIVE_EUSAGE with the services
 * named; a stack without containers (or a named service without one)
 * DIVE_ENOTFOUND.  Reading logs changes nothing.
 */
#ifndef DIVE_STACKLOGS_H
#define DIVE_STACKLOGS_H

#include <stddef.h>

#include "dive/stack.h"

struct store;
struct dive_country;

struct stacklogs_opts {
	const char *service;   /* NULL: every service of the stack */
	int tail;              /* last N lines of each container; < 0: all */
	long since;            /* Unix time: only lines from then on; 0: all */
	int follow;
	long poll_ms;          /* follow: between reads; 0: 1000 */
};

struct stacklogs_line {
	const char *service;
	const char *ts;        /* docker's RFC 3339 time of the line */
	const char *text;      /* without the newline, NUL-terminated, as the container wrote it (control characters too) */
	size_t len;
	size_t width;          /* the longest service name of the stream, for aligned prefixes */
};

int stacklogs_read(struct store *s, const char *docker_host, enum stack_kind kind, const struct dive_country *c,
		   const struct stacklogs_opts *o, int (*on_line)(void *user, const struct stacklogs_line *l),
		   void *user);

#endif
