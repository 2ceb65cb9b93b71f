/* bytepipe.c - a bounded byte pipe between two threads (see bytepipe.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/bytepipe.h"
#include "dive/error.h"
#include "dive/xalloc.h"

void bytepipe_init(struct bytepipe *p, size_t cap)
{
	pthread_condattr_t ca;

	memset(p, 0, sizeof(*p));
	p->cap = cap ? cap : 1;
	p->buf = xmalloc(p->cap);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->can_read, &ca);
	pthread_cond_init(&p->can_write, &ca);
	pthread_condattr_destroy(&ca);
}

void bytepipe_release(struct bytepipe *p)
{
	if (!p->buf)
		return;
	pthread_cond_destroy(&p->can_read);
	pthread_cond_destroy(&p->can_write);
	pthread_mutex_destroy(&p->mu);
	free(p->buf);
	p->buf = NULL;
}

long long bytepipe_deadline(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
}

/* Wait on c until signalled or the deadline: 0, or ETIMEDOUT. */
static int wait_until(pthread_cond_t *c, pthread_mutex_t *mu, long long deadline_ms)
{
	struct timespec ts;

	if (deadline_ms <= 0)
		return pthread_cond_wait(c, mu);
	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	return pthread_cond_timedwait(c, mu, &ts);
}

int bytepipe_write(struct bytepipe *p, const char *data, size_t n, long long deadline_ms)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (n && rc == 0) {
		size_t tail, room, take;

		if (p->read_closed) {
			rc = dive_error_set(DIVE_EFAIL, "the reading side of the stream stopped");
			break;
		}
		if (p->len == p->cap) {
			if (wait_until(&p->can_write, &p->mu, deadline_ms) == ETIMEDOUT)
				rc = dive_error_set(DIVE_ETIMEOUT, "the reading side of the stream took no data in time");
			continue;
		}
		tail = (p->head + p->len) % p->cap;
		room = p->cap - p->len;
		take = n < room ? n : room;
		if (take > p->cap - tail)
			take = p->cap - tail; /* up to the end of the ring; the rest on the next turn */
		memcpy(p->buf + tail, data, take);
		p->len += take;
		p->total += take;
		data += take;
		n -= take;
		pthread_cond_signal(&p->can_read);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

long bytepipe_read(struct bytepipe *p, char *buf, size_t n, long long deadline_ms)
{
	long got = 0;

	pthread_mutex_lock(&p->mu);
	while (p->len == 0 && !p->write_closed) {
		if (wait_until(&p->can_read, &p->mu, deadline_ms) == ETIMEDOUT && p->len == 0 && !p->write_closed) {
			got = dive_error_set(DIVE_ETIMEOUT, "the writing side of the stream sent no data in time");
			goto out;
		}
	}
	if (p->write_err) {
		/* an abort: what is left must not reach the reader as if it were whole */
		got = dive_error_set(p->write_err, "the writing side of the stream failed");
		goto out;
	}
	if (p->len == 0)
		goto out; /* the end */
	{
		size_t take = n < p->len ? n : p->len;

		if (take > p->cap - p->head)
			take = p->cap - p->head;
		memcpy(buf, p->buf + p->head, take);
		p->head = (p->head + take) % p->cap;
		p->len -= take;
		got = (long)take;
	}
	pthread_cond_signal(&p->can_write);
out:
	pthread_mutex_unlock(&p->mu);
	return got;
}

void bytepipe_close_write(struct bytepipe *p, int err)
{
	pthread_mutex_lock(&p->mu);
	p->write_closed = 1;
	p->write_err = err < 0 ? err : 0;
	pthread_cond_broadcast(&p->can_read);
	pthread_mutex_unlock(&p->mu);
}

void bytepipe_close_read(struct bytepipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->read_closed = 1;
	pthread_cond_broadcast(&p->can_write);
	pthread_mutex_unlock(&p->mu);
}
