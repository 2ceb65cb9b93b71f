/*
 * bytepipe.h - a bounded pipe of bytes between one writer thread and one
 * reader thread (an image export feeding an image load), so a stream of any
 * length crosses with at most cap bytes held.
 *
 * The writer blocks while the pipe is full, the reader while it is empty,
 * each until a deadline (CLOCK_MONOTONIC ms, 0: none).  Either side ends it:
 * bytepipe_close_write(p, 0) is the end of the stream, with a negative
 * DIVE_E* it is an abort the reader sees; bytepipe_close_read() makes the
 * writer stop (DIVE_EFAIL).  The side that aborts keeps its own message;
 * the other side's error only says the pipe was closed.
 *
 * Lifecycle: bytepipe_init / bytepipe_release (after both sides are done).
 */
#ifndef DIVE_BYTEPIPE_H
#define DIVE_BYTEPIPE_H

#include <pthread.h>
#include <stddef.h>

struct bytepipe {
	pthread_mutex_t mu;
	pthread_cond_t can_read, can_write;
	char *buf;
	size_t cap, head, len;       /* ring: len bytes from head */
	int write_closed;            /* 0 open; 1 ended; */
	int write_err;               /* the writer's abort, 0 for a normal end */
	int read_closed;
	unsigned long long total;    /* bytes that went through */
};

void bytepipe_init(struct bytepipe *p, size_t cap);
void bytepipe_release(struct bytepipe *p);

/* Write all n bytes: 0, DIVE_ETIMEOUT, or DIVE_EFAIL when the reader closed. */
int bytepipe_write(struct bytepipe *p, const char *data, size_t n, long long deadline_ms);
/* Up to n bytes into buf: how many (> 0), 0 at the end, or the writer's abort / DIVE_ETIMEOUT. */
long bytepipe_read(struct bytepipe *p, char *buf, size_t n, long long deadline_ms);

void bytepipe_close_write(struct bytepipe *p, int err);
void bytepipe_close_read(struct bytepipe *p);

/* CLOCK_MONOTONIC now + ms, for deadlines. */
long long bytepipe_deadline(long ms);

#endif
