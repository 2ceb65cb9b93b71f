/*
 * serve_events.c - live updates: a thread LISTENs on channel dive_events
 * (the triggers of migration 0010) on a connection of its own and bumps a
 * generation; every /events stream (server-sent events) waits for a new
 * generation and sends "event: change".  A comment line every 15 s keeps
 * idle streams open; a lost connection is opened again every 5 s, and the
 * streams get "event: change" when it is back (they may have missed one).
 * At most SERVE_SSE_MAX streams at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/error.h"
#include "dive/log.h"
#include "dive/pg.h"
#include "serve_priv.h"

#define KEEPALIVE_S 15
#define RECONNECT_S 5

static void bump(struct serve *s, const char *table)
{
	pthread_mutex_lock(&s->ev.mu);
	s->ev.generation++;
	snprintf(s->ev.last_table, sizeof(s->ev.last_table), "%s", table);
	pthread_cond_broadcast(&s->ev.cond);
	pthread_mutex_unlock(&s->ev.mu);
}

static PGconn *listen_connect(struct serve *s)
{
	PGconn *c = NULL;

	if (pg_connect(&c, s->o->state_url, "dive serve events") < 0) {
		dive_debug("events: %s", dive_error_last());
		return NULL;
	}
	if (pg_command(c, "LISTEN dive_events") < 0) {
		pg_close(c);
		return NULL;
	}
	return c;
}

static void *listen_thread(void *arg)
{
	struct serve *s = arg;
	PGconn *c = NULL;
	time_t retry_at = 0;

	while (!atomic_load(&s->stop)) {
		struct pollfd pfd;
		PGnotify *n;

		if (!c) {
			if (time(NULL) < retry_at) {
				poll(NULL, 0, 200);
				continue;
			}
			if (!(c = listen_connect(s))) {
				retry_at = time(NULL) + RECONNECT_S;
				continue;
			}
			s->ev.connected = 1;
			bump(s, "reconnected");
		}
		pfd.fd = PQsocket(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 500) < 0 && errno != EINTR)
			break;
		if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
			pg_close(c);
			c = NULL;
			s->ev.connected = 0;
			retry_at = time(NULL) + RECONNECT_S;
			continue;
		}
		while ((n = PQnotifies(c)) != NULL) {
			bump(s, n->extra ? n->extra : "");
			PQfreemem(n);
		}
	}
	pg_close(c);
	return NULL;
}

int serve_events_start(struct serve *s)
{
	pthread_mutex_init(&s->ev.mu, NULL);
	pthread_cond_init(&s->ev.cond, NULL);
	if (pthread_create(&s->ev.thread, NULL, listen_thread, s) != 0)
		return dive_error_set(DIVE_EFAIL, "cannot start the event thread");
	s->ev.started = 1;
	return 0;
}

void serve_events_stop(struct serve *s)
{
	if (!s->ev.started)
		return;
	pthread_mutex_lock(&s->ev.mu);
	pthread_cond_broadcast(&s->ev.cond);
	pthread_mutex_unlock(&s->ev.mu);
	pthread_join(s->ev.thread, NULL);
	s->ev.started = 0;
}

struct stream {
	struct serve *s;
	unsigned long long seen;
	int hello;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	struct serve *s = st->s;
	struct timespec until;
	int n, rc = 0;

	if (!st->hello) {
		st->hello = 1;
		return snprintf(buf, max, "retry: 3000\nevent: hello\ndata: {}\n\n");
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += KEEPALIVE_S;
	pthread_mutex_lock(&s->ev.mu);
	while (!atomic_load(&s->stop) && s->ev.generation == st->seen && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->ev.cond, &s->ev.mu, &until);
	if (atomic_load(&s->stop)) {
		pthread_mutex_unlock(&s->ev.mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (s->ev.generation != st->seen) {
		st->seen = s->ev.generation;
		n = snprintf(buf, max, "event: change\ndata: {\"generation\":%llu,\"table\":\"%s\"}\n\n", st->seen,
			     s->ev.last_table);
	} else {
		n = snprintf(buf, max, ": keepalive\n\n");
	}
	pthread_mutex_unlock(&s->ev.mu);
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	pthread_mutex_lock(&st->s->ev.mu);
	st->s->ev.clients--;
	pthread_mutex_unlock(&st->s->ev.mu);
	free(st);
}

struct MHD_Response *serve_events_response(struct serve *s)
{
	struct MHD_Response *r;
	struct stream *st;

	pthread_mutex_lock(&s->ev.mu);
	if (s->ev.clients >= SERVE_SSE_MAX) {
		pthread_mutex_unlock(&s->ev.mu);
		return NULL;
	}
	s->ev.clients++;
	st = calloc(1, sizeof(*st));
	if (st) {
		st->s = s;
		st->seen = s->ev.generation;
	} else {
		s->ev.clients--;
	}
	pthread_mutex_unlock(&s->ev.mu);
	if (!st)
		return NULL;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, st, stream_free);
	if (!r) {
		stream_free(st);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	return r;
}
