/* docker_events.c - the events stream: filters, since/until, a deadline, a callback per event (see docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define EVENTS_STOP 1   /* on_event asked to stop: not an error */

struct events_ctx {
	struct docker_lines lines;
	int (*on_event)(void *arg, const struct docker_event *ev);
	void *arg;
	long events;
};

static const char *str_or(const cJSON *obj, const char *key, const char *dflt)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int on_event_line(void *arg, char *line, size_t len)
{
	struct events_ctx *c = arg;
	struct docker_event ev;
	const cJSON *actor, *attrs, *tn;
	cJSON *doc = cJSON_ParseWithLength(line, len);
	int rc;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return dive_error_set(DIVE_EFAIL, "docker sent an event that is not a JSON object: '%.80s'", line);
	}
	actor = cJSON_GetObjectItemCaseSensitive(doc, "Actor");
	attrs = actor ? cJSON_GetObjectItemCaseSensitive(actor, "Attributes") : NULL;
	tn = cJSON_GetObjectItemCaseSensitive(doc, "timeNano");
	memset(&ev, 0, sizeof(ev));
	/* API 1.22+ writes Type and Action; older fields (status, id) are the fallback */
	ev.type = str_or(doc, "Type", "");
	ev.action = str_or(doc, "Action", str_or(doc, "status", ""));
	ev.id = str_or(actor, "ID", str_or(doc, "id", ""));
	ev.name = str_or(attrs, "name", "");
	ev.time_nano = cJSON_IsNumber(tn) ? (long long)tn->valuedouble : 0;
	ev.attributes = cJSON_IsObject(attrs) ? attrs : NULL;
	ev.raw = doc;
	c->events++;
	rc = c->on_event(c->arg, &ev);
	cJSON_Delete(doc);
	if (rc > 0)
		return EVENTS_STOP;
	return rc;
}

static int on_events_data(void *arg, const char *p, size_t n)
{
	struct events_ctx *c = arg;

	return docker_lines_feed(&c->lines, p, n);
}

/* Unix time as the engine takes it: digits, at most one '.', bounded. */
static int check_time(const char *what, const char *s)
{
	size_t i, n = strlen(s);
	int dots = 0;

	if (n == 0 || n > 32 || s[0] == '.')
		return dive_error_set(DIVE_EUSAGE, "invalid events %s '%.40s'", what, s);
	for (i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] < '0' || s[i] > '9')
			return dive_error_set(DIVE_EUSAGE, "invalid events %s '%.40s'", what, s);
	}
	if (dots > 1)
		return dive_error_set(DIVE_EUSAGE, "invalid events %s '%.40s'", what, s);
	return 0;
}

void docker_events_time(char *out, size_t n, long back_ms)
{
	struct timespec ts;
	long long ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec - (long long)back_ms * 1000000LL;
	if (ns < 0)
		ns = 0;
	snprintf(out, n, "%lld.%09lld", ns / 1000000000LL, ns % 1000000000LL);
}

int docker_events(struct docker *d, const struct docker_events_opts *o,
		  int (*on_event)(void *arg, const struct docker_event *ev), void *arg)
{
	struct docker_op op = { 0 };
	struct events_ctx c;
	struct dive_buf q;
	char sep = '?';
	int rc = 0;

	if (!o || o->timeout_ms <= 0)
		return dive_error_set(DIVE_EUSAGE, "the docker events stream needs a deadline");
	if ((o->since && (rc = check_time("since", o->since)) < 0) ||
	    (o->until && (rc = check_time("until", o->until)) < 0))
		return rc;
	if (o->filters && !cJSON_IsObject(o->filters))
		return dive_error_set(DIVE_EUSAGE, "docker events filters are not an object");

	dive_buf_init(&q, 16 << 10);
	memset(&c, 0, sizeof(c));
	docker_lines_init(&c.lines, o->max_line ? o->max_line : DOCKER_EVENT_MAX_LINE, on_event_line, &c);
	c.on_event = on_event;
	c.arg = arg;
	rc = dive_buf_adds(&q, "/events");
	if (rc == 0 && o->filters && cJSON_GetArraySize(o->filters) > 0) {
		rc = dive_buf_adds(&q, "?filters=");
		if (rc == 0)
			rc = docker_filters_encode(&q, o->filters);
		sep = '&';
	}
	if (rc == 0 && o->since) {
		rc = dive_buf_printf(&q, "%csince=%s", sep, o->since);
		sep = '&';
	}
	if (rc == 0 && o->until)
		rc = dive_buf_printf(&q, "%cuntil=%s", sep, o->until);
	if (rc < 0)
		goto out;

	op.path = dive_buf_str(&q);
	op.what = "read the events stream";
	op.timeout_ms = o->timeout_ms;
	rc = docker_stream_run(d, &op, NULL, NULL, 0, on_events_data, &c);
	if (rc == EVENTS_STOP) {
		rc = 0;
	} else if (rc == DIVE_ETIMEOUT && d->last_status >= 200 && d->last_status < 300) {
		rc = dive_error_set(DIVE_ETIMEOUT, "docker: the events stream reached its deadline of %ld ms "
				    "(%ld events seen)", o->timeout_ms, c.events);
	} else if (rc == 0) {
		rc = docker_lines_finish(&c.lines);
		if (rc == EVENTS_STOP) {
			rc = 0;
		} else if (rc == 0 && !o->until) {
			rc = dive_error_set(DIVE_EUNAVAIL, "docker: the engine ended the events stream");
			dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
		}
	}
out:
	docker_lines_release(&c.lines);
	dive_buf_release(&q);
	return rc;
}
