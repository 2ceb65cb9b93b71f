/*
 * docker_stream.c - streamed exchanges with the engine (events, logs,
 * build): the libcurl transport that hands the body over as it arrives,
 * the error mapping around it, and the JSON-lines splitter (see docker.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dive/docker.h"
#include "dive/error.h"
#include "dive/log.h"
#include "dive/xalloc.h"
#include "docker_priv.h"
#include "http_curl.h"

struct curl_sink {
	CURL *h;
	long status;
	int (*on_data)(void *arg, long status, const char *p, size_t n);
	void *arg;
	int stopped;            /* on_data's non-zero value, when it stopped the transfer */
};

static size_t curl_on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct curl_sink *s = userdata;
	size_t n = size * nmemb;
	int rc;

	if (!s->status)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	if (n == 0)
		return 0;
	rc = s->on_data(s->arg, s->status, ptr, n);
	if (rc) {
		s->stopped = rc;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	return n;
}

static int curl_stream(struct docker_stream *st, const struct http_req *req, long *status,
		       int (*on_data)(void *arg, long status, const char *p, size_t n), void *arg)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct curl_sink sink = { 0 };
	char errbuf[CURL_ERROR_SIZE];
	CURLcode cc;
	int rc = 0;

	(void)st;
	*status = 0;
	if (!h)
		return dive_error_set(DIVE_EFAIL, "cannot initialise libcurl");
	sink.h = h;
	sink.on_data = on_data;
	sink.arg = arg;
	http_curl_prepare(h, req, &hdrs, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);

	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (sink.stopped)
		rc = sink.stopped;
	else if (cc != CURLE_OK)
		rc = http_curl_fail(h, cc, req, errbuf, "no end of");
	dive_debug("http stream %s %s -> %ld (%d)", req->method ? req->method : "GET", req->url, *status, rc);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

struct docker_stream docker_stream_curl = { curl_stream };

struct stream_ctx {
	int (*on_data)(void *arg, const char *p, size_t n);
	void *arg;
	struct dive_buf err;    /* the body of a non-2xx answer, cut at its cap */
	int consumer_rc;        /* what on_data returned when it stopped the transfer */
};

static int stream_on_data(void *arg, long status, const char *p, size_t n)
{
	struct stream_ctx *c = arg;

	if (status < 200 || status >= 300) {
		size_t room = c->err.max - c->err.len;

		dive_buf_add(&c->err, p, n < room ? n : room);
		return 0;
	}
	c->consumer_rc = c->on_data(c->arg, p, n);
	return c->consumer_rc;
}

int docker_stream_run(struct docker *d, const struct docker_op *op, const char *content_type,
		      const void *body, size_t body_len,
		      int (*on_data)(void *arg, const char *p, size_t n), void *arg)
{
	struct stream_ctx c = { 0 };
	struct http_req req = { 0 };
	const char *hdrs[2] = { NULL, NULL };
	char *url = xasprintf("%s/v%s%s", d->base, d->api, op->path);
	char *ctype = content_type ? xasprintf("Content-Type: %s", content_type) : NULL;
	long status = 0;
	int rc;

	c.on_data = on_data;
	c.arg = arg;
	dive_buf_init(&c.err, DOCKER_ERROR_BODY_MAX);
	hdrs[0] = ctype;
	req.method = op->method;
	req.url = url;
	req.unix_socket = d->socket_path;
	req.tls = d->tls;
	req.headers = ctype ? hdrs : NULL;
	req.body = body;
	req.body_len = body_len;
	req.read_body = op->read_body;
	req.read_arg = op->read_arg;
	req.timeout_ms = op->timeout_ms > 0 ? op->timeout_ms : d->timeout_ms;

	rc = d->stream->perform(d->stream, &req, &status, stream_on_data, &c);
	d->last_status = status;
	if (rc != 0 && rc == c.consumer_rc)
		goto out; /* the consumer stopped it, with its own message when negative */
	if (rc == DIVE_ETIMEOUT && status >= 200 && status < 300)
		goto out; /* a deadline while streaming: the caller words it */
	if (rc < 0) {
		rc = docker_fail_transport(op, rc);
		goto out;
	}
	if (status == 304 || (status == 404 && op->ignore_missing))
		rc = 0;
	else if (status < 200 || status >= 300)
		rc = docker_fail_status(op, status, dive_buf_str(&c.err));
out:
	dive_buf_release(&c.err);
	free(ctype);
	free(url);
	return rc;
}

/* ---------------------------------------------------------------- JSON lines */

void docker_lines_init(struct docker_lines *l, size_t max_line,
		       int (*on_line)(void *arg, char *line, size_t len), void *arg)
{
	dive_buf_init(&l->line, max_line);
	l->on_line = on_line;
	l->arg = arg;
}

void docker_lines_release(struct docker_lines *l)
{
	dive_buf_release(&l->line);
}

static int emit_line(struct docker_lines *l)
{
	size_t len = l->line.len;
	int rc = 0;

	while (len && l->line.ptr[len - 1] == '\r')
		l->line.ptr[--len] = '\0';
	if (len)
		rc = l->on_line(l->arg, l->line.ptr, len);
	dive_buf_reset(&l->line);
	return rc;
}

int docker_lines_feed(struct docker_lines *l, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		int rc;

		if (take && dive_buf_add(&l->line, p, take) < 0)
			return dive_error_set(DIVE_ETOOBIG, "a line of the docker stream exceeds %zu bytes", l->line.max);
		if (!nl)
			return 0;
		if ((rc = emit_line(l)) != 0)
			return rc;
		p += take + 1;
		n -= take + 1;
	}
	return 0;
}

int docker_lines_finish(struct docker_lines *l)
{
	return l->line.len ? emit_line(l) : 0;
}

/* ---------------------------------------------------------------- JSON messages */

void docker_trim_copy(char *dst, size_t n, const char *src)
{
	size_t len;

	snprintf(dst, n, "%s", src);
	len = strlen(dst);
	while (len && (dst[len - 1] == '\n' || dst[len - 1] == '\r' || dst[len - 1] == ' '))
		dst[--len] = '\0';
}

int docker_msg_parse(struct docker_msg *m, const char *line, size_t len, const char *what)
{
	const cJSON *stream, *err, *detail, *msg;

	memset(m, 0, sizeof(*m));
	m->doc = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(m->doc)) {
		docker_msg_release(m);
		return dive_error_set(DIVE_EFAIL, "docker %s sent a line that is not a JSON object: '%.80s'", what, line);
	}
	stream = cJSON_GetObjectItemCaseSensitive(m->doc, "stream");
	err = cJSON_GetObjectItemCaseSensitive(m->doc, "error");
	detail = cJSON_GetObjectItemCaseSensitive(m->doc, "errorDetail");
	msg = detail ? cJSON_GetObjectItemCaseSensitive(detail, "message") : NULL;
	m->stream = cJSON_IsString(stream) ? stream->valuestring : NULL;
	if (cJSON_IsString(msg) && *msg->valuestring)
		m->error = msg->valuestring;
	else if (cJSON_IsString(err) && *err->valuestring)
		m->error = err->valuestring;
	m->aux = cJSON_GetObjectItemCaseSensitive(m->doc, "aux");
	return 0;
}

void docker_msg_release(struct docker_msg *m)
{
	cJSON_Delete(m->doc);
	memset(m, 0, sizeof(*m));
}
