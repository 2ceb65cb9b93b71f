/* stacklogs.c - a stack's container logs as one stream of lines (see stacklogs.h). */
#define _GNU_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deploy_priv.h"
#include "dive/buf.h"
#include "dive/docker.h"
#include "dive/engines.h"
#include "dive/error.h"
#include "dive/interrupt.h"
#include "dive/stacklogs.h"
#include "dive/xalloc.h"

#define TS_MAX 40   /* "2026-12-02T18:59:00.123456789Z" and then some */

struct target {
	const char *service;
	char container[129];
	char last[TS_MAX];    /* the newest timestamp handed out */
};

struct entry {
	size_t target;
	const char *ts;       /* NUL-terminated in the target's buffer */
	const char *text;     /* NUL-terminated */
	size_t len;
	size_t seq;           /* arrival order: equal times keep it */
};

static int on_data(void *arg, enum docker_log_stream s, const char *p, size_t n)
{
	(void)s;
	return dive_buf_add(arg, p, n);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->ts, y->ts);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Unix seconds of an RFC 3339 UTC timestamp's first 19 characters; 0 when it is not one. */
static long ts_seconds(const char *ts)
{
	struct tm tm = { 0 };
	const char *end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);

	return end ? (long)timegm(&tm) : 0;
}

/* Split buf into entries after t->last; the timestamps are cut out in place. */
static void split(struct entry **v, size_t *n, size_t *cap, size_t *seq, struct dive_buf *b, size_t ti,
		  const struct target *t)
{
	char *p = b->ptr, *end = b->ptr ? b->ptr + b->len : NULL;

	while (p && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		char *line_end = nl ? nl : end;

		if (nl)
			*nl = '\0';   /* each text NUL-terminated in place */
		sp = memchr(p, ' ', (size_t)(line_end - p));
		if (sp && sp - p < TS_MAX) {
			*sp = '\0';
			if (!t->last[0] || strcmp(p, t->last) > 0) {
				if (*n == *cap) {
					*cap = *cap ? *cap * 2 : 256;
					*v = xrealloc(*v, *cap * sizeof(**v));
				}
				(*v)[(*n)++] = (struct entry){ ti, p, sp + 1, (size_t)(line_end - sp - 1), (*seq)++ };
			}
		}
		p = nl ? nl + 1 : end;
	}
}

/* One read of every target: the lines after each one's last, merged in time order. */
static int read_round(struct docker *d, struct target *t, size_t nt, const struct stacklogs_opts *o, int first,
		      size_t width, int (*on_line)(void *user, const struct stacklogs_line *l), void *user)
{
	struct dive_buf *bufs = xcalloc(nt, sizeof(*bufs));
	struct entry *v = NULL;
	size_t n = 0, cap = 0, seq = 0, i;
	int rc = 0;

	for (i = 0; i < nt && rc == 0; i++) {
		struct docker_logs_opts lo = { .tail = first ? o->tail : -1, .timestamps = 1 };

		lo.since = first ? o->since : ts_seconds(t[i].last);
		dive_buf_init(&bufs[i], DOCKER_LOGS_MAX);
		rc = docker_container_logs(d, t[i].container, &lo, on_data, &bufs[i]);
		if (rc == 0)
			split(&v, &n, &cap, &seq, &bufs[i], i, &t[i]);
	}
	if (rc == 0 && n) {
		qsort(v, n, sizeof(*v), entry_cmp);
		for (i = 0; i < n && rc == 0; i++) {
			struct stacklogs_line l = { t[v[i].target].service, v[i].ts, v[i].text, v[i].len, width };

			rc = on_line(user, &l);
		}
		/* the newest line of each target, for the next round */
		for (i = 0; i < n; i++)
			if (strcmp(v[i].ts, t[v[i].target].last) > 0)
				snprintf(t[v[i].target].last, TS_MAX, "%s", v[i].ts);
	}
	for (i = 0; i < nt; i++)
		dive_buf_release(&bufs[i]);
	free(bufs);
	free(v);
	return rc;
}

/* The containers to read: the service asked for, or every one of the stack that has a container. */
static int targets(struct target **out, size_t *nout, size_t *width, const struct deploy *d, const cJSON *list,
		   const struct stacklogs_opts *o)
{
	struct target *t = xcalloc(d->graph->n ? d->graph->n : 1, sizeof(*t));
	struct dive_buf names;
	size_t i, n = 0;
	int known = 0;

	*width = 0;
	for (i = 0; i < d->graph->n; i++) {
		const char *name = d->graph->nodes[i].svc->name;
		const cJSON *c;

		if (o->service && strcmp(o->service, name))
			continue;
		known = 1;
		cJSON_ArrayForEach(c, list) {
			const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(c, "service"));
			const char *cname = cJSON_GetStringValue(cJSON_GetObjectItem(c, "name"));

			if (svc && cname && !strcmp(svc, name)) {
				t[n].service = name;
				snprintf(t[n].container, sizeof(t[n].container), "%s", cname);
				if (strlen(name) > *width)
					*width = strlen(name);
				n++;
				break;
			}
		}
	}
	if (o->service && !known) {
		dive_buf_init(&names, 4096);
		for (i = 0; i < d->graph->n; i++)
			dive_buf_printf(&names, "%s%s", i ? ", " : "", d->graph->nodes[i].svc->name);
		dive_error_set(DIVE_EUSAGE, "no service '%.64s' in %s (services: %s)", o->service, d->project,
			       dive_buf_str(&names));
		dive_buf_release(&names);
		free(t);
		return DIVE_EUSAGE;
	}
	if (n == 0) {
		free(t);
		if (o->service)
			return dive_error_set(DIVE_ENOTFOUND, "service '%s' of %s has no container", o->service,
					      d->project);
		return dive_error_set(DIVE_ENOTFOUND, "%s has no containers", d->project);
	}
	*out = t;
	*nout = n;
	return 0;
}

int stacklogs_read(struct store *s, const char *docker_host, enum stack_kind kind, const struct dive_country *c,
		   const struct stacklogs_opts *o, int (*on_line)(void *user, const struct stacklogs_line *l),
		   void *user)
{
	struct deploy_opts dop;
	struct deploy d;
	struct dive_interrupt_saved saved;
	struct target *t = NULL;
	cJSON *list = NULL;
	size_t nt = 0, width = 0;
	int rc;

	rc = deploy_ctx_observe(&d, &dop, s, docker_host, kind, c);
	if (rc == 0)
		rc = deploy_load(&d, 0);
	if (rc == 0)
		rc = apply_status(d.docker, &list, d.project);
	if (rc == 0)
		rc = targets(&t, &nt, &width, &d, list, o);
	if (rc == 0) {
		time_t start = time(NULL);
		struct tm tm;
		size_t i;

		rc = read_round(d.docker, t, nt, o, 1, width, on_line, user);
		/* a container that showed nothing yet: what comes after the first read */
		gmtime_r(&start, &tm);
		for (i = 0; i < nt; i++)
			if (!t[i].last[0])
				strftime(t[i].last, TS_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	}
	if (rc == 0 && o->follow) {
		dive_interrupt_catch(&saved);
		while (rc == 0) {
			if (dive_interrupt_sleep_ms(o->poll_ms > 0 ? o->poll_ms : 1000) || dive_interrupted()) {
				rc = dive_error_set(DIVE_EINTR, "interrupted");
				break;
			}
			rc = read_round(d.docker, t, nt, o, 0, width, on_line, user);
		}
		dive_interrupt_restore(&saved);
	}
	free(t);
	cJSON_Delete(list);
	deploy_ctx_close(&d);
	return rc;
}
