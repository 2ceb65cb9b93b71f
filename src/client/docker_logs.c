/* docker_logs.c - container logs and the multiplexed frame format (see docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

void docker_frames_init(struct docker_frames *f, size_t max_total,
			int (*on_data)(void *arg, enum docker_log_stream s, const char *p, size_t n), void *arg)
{
	memset(f, 0, sizeof(*f));
	f->max_total = max_total;
	f->on_data = on_data;
	f->arg = arg;
}

/* Hand n payload bytes to the consumer, within the cap. */
static int deliver(struct docker_frames *f, const char *p, size_t n)
{
	if (f->max_total && (n > f->max_total || f->total > f->max_total - n))
		return dive_error_set(DIVE_ETOOBIG, "docker logs exceed %zu bytes", f->max_total);
	f->total += n;
	return f->on_data(f->arg, f->stream, p, n);
}

int docker_frames_feed(struct docker_frames *f, const char *p, size_t n)
{
	int rc;

	while (n) {
		if (f->left) {
			size_t take = n < f->left ? n : f->left;

			if ((rc = deliver(f, p, take)) != 0)
				return rc;
			f->left -= take;
			p += take;
			n -= take;
			continue;
		}
		/* a header, possibly split across chunks */
		while (n && f->hdr_len < sizeof(f->hdr)) {
			f->hdr[f->hdr_len++] = (unsigned char)*p++;
			n--;
		}
		if (f->hdr_len < sizeof(f->hdr))
			return 0;
		if (f->hdr[0] > DOCKER_LOG_STDERR || f->hdr[1] || f->hdr[2] || f->hdr[3])
			return dive_error_set(DIVE_EFAIL, "docker logs are not a multiplexed stream "
					      "(header %02x %02x %02x %02x): does the container have a TTY?",
					      f->hdr[0], f->hdr[1], f->hdr[2], f->hdr[3]);
		f->stream = (enum docker_log_stream)f->hdr[0];
		f->left = (size_t)f->hdr[4] << 24 | (size_t)f->hdr[5] << 16 | (size_t)f->hdr[6] << 8 | f->hdr[7];
		f->hdr_len = 0;
	}
	return 0;
}

int docker_frames_finish(struct docker_frames *f)
{
	if (f->left || f->hdr_len)
		return dive_error_set(DIVE_EFAIL, "docker logs ended inside a frame (%zu bytes missing)",
				      f->left ? f->left : sizeof(f->hdr) - f->hdr_len);
	return 0;
}

struct logs_ctx {
	struct docker_frames frames;
	int tty;
};

static int on_logs_data(void *arg, const char *p, size_t n)
{
	struct logs_ctx *c = arg;

	if (c->tty) {
		/* raw: everything is stdout, under the same cap */
		c->frames.stream = DOCKER_LOG_STDOUT;
		return deliver(&c->frames, p, n);
	}
	return docker_frames_feed(&c->frames, p, n);
}

int docker_container_logs(struct docker *d, const char *id, const struct docker_logs_opts *o,
			  int (*on_data)(void *arg, enum docker_log_stream s, const char *p, size_t n), void *arg)
{
	static const struct docker_logs_opts dflt = { .tail = -1 };
	struct docker_op op = { 0 };
	struct logs_ctx c;
	char tail[24], since[32] = "";
	char *path, *what;
	int rc;

	if (!o)
		o = &dflt;
	if ((rc = docker_check_name("container", id)) < 0)
		return rc;
	if (o->tail >= 0)
		snprintf(tail, sizeof(tail), "%d", o->tail);
	else
		snprintf(tail, sizeof(tail), "all");
	if (o->since > 0)
		snprintf(since, sizeof(since), "&since=%ld", o->since);
	path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&follow=0&tail=%s%s%s", id, tail,
			 o->timestamps ? "&timestamps=1" : "", since);
	what = xasprintf("read the logs of container '%s'", id);
	memset(&c, 0, sizeof(c));
	docker_frames_init(&c.frames, o->max_bytes ? o->max_bytes : DOCKER_LOGS_MAX, on_data, arg);
	c.tty = o->tty;
	op.path = path;
	op.what = what;
	op.timeout_ms = o->timeout_ms;
	rc = docker_stream_run(d, &op, NULL, NULL, 0, on_logs_data, &c);
	if (rc == DIVE_ETIMEOUT && d->last_status >= 200 && d->last_status < 300)
		rc = dive_error_set(DIVE_ETIMEOUT, "docker: cannot %s: no end in %ld ms", what,
				    o->timeout_ms > 0 ? o->timeout_ms : d->timeout_ms);
	if (rc == 0 && !c.tty)
		rc = docker_frames_finish(&c.frames);
	free(path);
	free(what);
	return rc;
}

struct collect {
	struct dive_buf *out[3];
};

static int on_collect(void *arg, enum docker_log_stream s, const char *p, size_t n)
{
	struct collect *c = arg;
	struct dive_buf *b = c->out[s];

	return b ? dive_buf_add(b, p, n) : 0;
}

int docker_container_logs_collect(struct docker *d, struct dive_buf *out_stdout, struct dive_buf *out_stderr,
				  const char *id, const struct docker_logs_opts *o)
{
	struct collect c = { { NULL, out_stdout, out_stderr } };

	return docker_container_logs(d, id, o, on_collect, &c);
}
