/*
 * serve.c - `dive serve`: the listening socket, the routes and who may use
 * them, the signal and schedule loop of the main thread (see serve.h).
 *
 * libmicrohttpd runs a thread per connection (bounded by
 * MHD_OPTION_CONNECTION_LIMIT), so an event stream may wait inside its
 * reader; every other request is answered from bounded work.  Signals are
 * blocked in every thread but waited for in the main one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/breaker.h"
#include "dive/error.h"
#include "dive/promtext.h"
#include "dive/store.h"
#include "dive/xalloc.h"
#include "serve_priv.h"

#define CONNECTIONS_MAX 96
#define CONNECTION_TIMEOUT_S 60
#define SCRAPE_WAIT_S 10

/* --- addresses ------------------------------------------------------------------ */

int serve_listen_parse(struct serve_addr *out, const char *text)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!text || strlen(text) >= sizeof(out->text))
		return dive_error_set(DIVE_EUSAGE, "the listen address must be HOST:PORT, e.g. %s", SERVE_DEFAULT_LISTEN);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not [IPV6]:PORT", text);
		hl = (size_t)(close - text - 1);
		colon = close + 1;
		memcpy(host, text + 1, hl < sizeof(host) ? hl : sizeof(host) - 1);
		host[hl < sizeof(host) ? hl : sizeof(host) - 1] = '\0';
		out->v6 = 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not HOST:PORT (e.g. %s)", text, SERVE_DEFAULT_LISTEN);
		hl = (size_t)(colon - text);
		if (hl >= sizeof(host))
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not HOST:PORT", text);
		memcpy(host, text, hl);
		host[hl] = '\0';
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
		return dive_error_set(DIVE_EUSAGE, "the port of '%.64s' must be 1 to 65535", text);
	if (out->v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->sa;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not an IPv6 address", host);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*a);
		out->loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&out->sa;

		if (!strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not an IPv4 address (names are not resolved)", host);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		out->len = sizeof(*a);
		out->loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	snprintf(out->text, sizeof(out->text), "%s", text);
	return 0;
}

/* --- replies ------------------------------------------------------------------------ */

void serve_reply_init(struct serve_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	r->content_type = "application/json";
	dive_buf_init(&r->body, METRICS_OUTPUT_MAX);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct serve_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int i;

	resp = MHD_create_response_from_buffer(r->body.len, r->body.ptr ? r->body.ptr : (char *)"",
					       MHD_RESPMEM_MUST_COPY);
	dive_buf_release(&r->body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
				"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	for (i = 0; i < 2; i++)
		if (r->set_cookie[i][0])
			MHD_add_response_header(resp, "Set-Cookie", r->set_cookie[i]);
	if (r->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"dive\"");
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- the routes ------------------------------------------------------------------- */

static void do_metrics(struct serve *s, struct serve_reply *r)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SCRAPE_WAIT_S;
	/* a scrape that waits behind a stuck one answers 503 instead of hanging */
	if (pthread_mutex_timedlock(&s->metrics_mu, &until) != 0) {
		r->status = 503;
		r->content_type = "text/plain; charset=utf-8";
		dive_buf_adds(&r->body, "another scrape is still running\n");
		return;
	}
	if (metrics_collect(s->metrics, &r->body) < 0) {
		r->status = 500;
		dive_buf_reset(&r->body);
		dive_buf_adds(&r->body, "the exposition is too large\n");
	}
	pthread_mutex_unlock(&s->metrics_mu);
	r->content_type = PROMTEXT_CONTENT_TYPE;
}

static const struct serve_asset *asset_find(const char *url)
{
	const struct serve_asset *a;

	for (a = serve_assets; a->path; a++)
		if (!strcmp(a->path, url))
			return a;
	return NULL;
}

static void session_json(struct serve *s, struct serve_reply *r, struct MHD_Connection *conn,
			 const struct serve_request *q)
{
	cJSON *doc = cJSON_CreateObject();
	char csrf[65], pre[SERVE_ID_HEX + 1];
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "dive_pre");

	cJSON_AddBoolToObject(doc, "signed_in", q->signed_in);
	cJSON_AddBoolToObject(doc, "can_sign_in", s->auth.token != NULL);
	if (q->signed_in) {
		serve_auth_csrf(&s->auth, csrf, "csrf", q->sid);
		cJSON_AddStringToObject(doc, "csrf", csrf);
	} else if (s->auth.token) {
		if (cookie && strlen(cookie) == SERVE_ID_HEX) {
			snprintf(pre, sizeof(pre), "%s", cookie);
		} else if (serve_random_hex(pre, 32) == 0) {
			snprintf(r->set_cookie[0], sizeof(r->set_cookie[0]),
				 "dive_pre=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600", pre);
		}
		serve_auth_csrf(&s->auth, csrf, "login", pre);
		cJSON_AddStringToObject(doc, "csrf", csrf);
	}
	serve_reply_json(r, 200, doc);
}

static void do_login(struct serve *s, struct serve_reply *r, struct MHD_Connection *conn, const char *body,
		     const char *csrf)
{
	const char *pre = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "dive_pre");
	cJSON *doc = body ? cJSON_Parse(body) : NULL;
	const cJSON *tok = cJSON_GetObjectItem(doc, "token");
	char sid[SERVE_ID_HEX + 1], mine[65];
	cJSON *ans;

	if (!serve_auth_csrf_ok(&s->auth, csrf, "login", pre)) {
		cJSON_Delete(doc);
		serve_reply_error(r, 403, "missing or wrong CSRF token");
		return;
	}
	if (!cJSON_IsString(tok) ||
	    serve_auth_login(&s->auth, tok->valuestring, strlen(tok->valuestring), sid) < 0) {
		if (cJSON_IsString(tok))
			explicit_bzero(tok->valuestring, strlen(tok->valuestring));
		cJSON_Delete(doc);
		serve_note(s, "sign-in refused");
		serve_reply_error(r, 403, s->auth.token ? "wrong token" : "this server has no token: the page is read-only");
		return;
	}
	explicit_bzero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(doc);
	snprintf(r->set_cookie[0], sizeof(r->set_cookie[0]),
		 "dive_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", sid, SERVE_SESSION_TTL_S);
	snprintf(r->set_cookie[1], sizeof(r->set_cookie[1]), "dive_pre=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	serve_auth_csrf(&s->auth, mine, "csrf", sid);
	ans = cJSON_CreateObject();
	cJSON_AddBoolToObject(ans, "ok", 1);
	cJSON_AddBoolToObject(ans, "signed_in", 1);
	cJSON_AddBoolToObject(ans, "can_sign_in", 1);
	cJSON_AddStringToObject(ans, "csrf", mine);
	serve_note(s, "operator signed in");
	serve_reply_json(r, 200, ans);
}

static int is_read_open(const char *url)
{
	return !strcmp(url, "/healthz") || asset_find(url) != NULL;
}

static void route_get(struct serve *s, struct serve_reply *r, struct MHD_Connection *conn, struct serve_request *q)
{
	const char *url = q->url;
	const struct serve_asset *a;

	if (!strcmp(url, "/healthz")) {
		r->content_type = "text/plain; charset=utf-8";
		dive_buf_adds(&r->body, "ok\n");
	} else if (!strcmp(url, "/metrics")) {
		do_metrics(s, r);
	} else if ((a = asset_find(url)) != NULL) {
		r->content_type = a->content_type;
		dive_buf_add(&r->body, a->data, a->len);
	} else if (!strcmp(url, "/api/state")) {
		serve_api_state(s, r);
	} else if (!strncmp(url, "/api/spoke/", 11)) {
		serve_api_spoke(s, r, url + 11);
	} else if (!strcmp(url, "/api/plan")) {
		const char *p = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "prune");

		serve_api_plan(s, r, p && !strcmp(p, "1"));
	} else if (!strcmp(url, "/api/audits")) {
		serve_api_audits(s, r);
	} else if (!strcmp(url, "/api/session")) {
		session_json(s, r, conn, q);
	} else {
		serve_reply_error(r, 404, "no such page");
	}
}

static void route_post(struct serve *s, struct serve_reply *r, struct MHD_Connection *conn, struct serve_request *q)
{
	const char *csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");

	if (!strcmp(q->url, "/api/login")) {
		do_login(s, r, conn, q->body, csrf);
		return;
	}
	if (!q->signed_in) {
		serve_reply_error(r, 403, "sign in first: actions need an operator session");
		return;
	}
	if (!serve_auth_csrf_ok(&s->auth, csrf, "csrf", q->sid)) {
		serve_reply_error(r, 403, "missing or wrong CSRF token");
		return;
	}
	if (!strcmp(q->url, "/api/logout")) {
		serve_auth_logout(&s->auth, q->sid);
		snprintf(r->set_cookie[0], sizeof(r->set_cookie[0]),
			 "dive_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
		serve_reply_json(r, 200, cJSON_CreateObject());
		return;
	}
	if (!strcmp(q->url, "/api/reconcile") || !strcmp(q->url, "/api/approve") || !strcmp(q->url, "/api/suspend")) {
		serve_api_action(s, r, q->url + 5, q->body);
		return;
	}
	serve_reply_error(r, 404, "no such action");
}

/* Per-connection state for a POST body. */
struct upload {
	struct dive_buf body;
	int too_big;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct serve *s = cls;
	struct serve_request q;
	struct serve_reply r;
	struct upload *up = *con_cls;
	int post = !strcmp(method, "POST");

	if (post && !up) {
		up = xcalloc(1, sizeof(*up));
		dive_buf_init(&up->body, SERVE_BODY_MAX);
		*con_cls = up;
		return MHD_YES;
	}
	if (post && *data_size) {
		if (dive_buf_add(&up->body, data, *data_size) < 0)
			up->too_big = 1;
		*data_size = 0;
		return MHD_YES;
	}
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.body = post ? dive_buf_str(&up->body) : NULL;
	q.signed_in = serve_auth_session(&s->auth, MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "dive_session"),
					 q.sid);
	serve_reply_init(&r);
	if (!post && strcmp(method, "GET") && strcmp(method, "HEAD")) {
		serve_reply_error(&r, 405, "only GET and POST");
	} else if (post && up->too_big) {
		serve_reply_error(&r, 413, "the request body is too large");
	} else if (!post && !s->o->listen.loopback && !is_read_open(url) && !q.signed_in &&
		   !serve_auth_bearer(&s->auth, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))) {
		serve_reply_error(&r, 401, "this server listens beyond loopback: send the token as a bearer");
	} else if (!post && !strcmp(url, "/events")) {
		struct MHD_Response *resp = serve_events_response(s);
		enum MHD_Result ret;

		dive_buf_release(&r.body);
		if (!resp) {
			serve_reply_init(&r);
			serve_reply_error(&r, 503, "too many event streams");
			return send_reply(conn, &r);
		}
		ret = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return ret;
	} else if (post) {
		route_post(s, &r, conn, &q);
	} else {
		route_get(s, &r, conn, &q);
	}
	return send_reply(conn, &r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (!up)
		return;
	if (up->body.ptr)
		explicit_bzero(up->body.ptr, up->body.len);
	dive_buf_release(&up->body);
	free(up);
	*con_cls = NULL;
}

/* --- the main loop ------------------------------------------------------------------ */

static long long mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void scheduled(struct serve *s, long long *next_audit, long long *next_prune)
{
	long long now = mono_s();

	if (s->o->audit_interval_s > 0 && now >= *next_audit) {
		pthread_mutex_lock(&s->work_mu);
		serve_audit_now(s, s->o->store, "schedule");
		pthread_mutex_unlock(&s->work_mu);
		*next_audit = mono_s() + s->o->audit_interval_s;
	}
	if (s->o->prune_interval_s > 0 && now >= *next_prune) {
		pthread_mutex_lock(&s->work_mu);
		serve_prune_now(s, s->o->store);
		pthread_mutex_unlock(&s->work_mu);
		*next_prune = mono_s() + s->o->prune_interval_s;
	}
}

static int start_daemon(struct serve *s)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;

	if (s->o->listen.v6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				     MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&s->o->listen.sa,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				     MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				     MHD_OPTION_END);
	if (!s->daemon)
		return dive_error_set(DIVE_EFAIL, "cannot listen on %s (in use, or not an address of this host)",
				      s->o->listen.text);
	return 0;
}

int serve_run(const struct serve_opts *o)
{
	struct metrics_opts mo = { o->state_url, o->docker_host, 0, 0, 0 };
	const struct breaker_config *bcfg;
	struct serve *s;
	sigset_t sigs, old;
	long long next_audit, next_prune;
	int rc;

	if (!o->listen.loopback && !o->token)
		return dive_error_set(DIVE_EUSAGE, "refusing to listen on %s beyond loopback without --token-file",
				      o->listen.text);
	/* settings read on first use are read now, before any thread exists */
	if ((rc = breaker_config_get(&bcfg, "docker")) < 0)
		return rc;
	s = xcalloc(1, sizeof(*s));
	s->o = o;
	pthread_mutex_init(&s->metrics_mu, NULL);
	pthread_mutex_init(&s->read_mu, NULL);
	pthread_mutex_init(&s->work_mu, NULL);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if ((rc = serve_auth_init(&s->auth, o->token)) < 0 || (rc = metrics_open(&s->metrics, &mo)) < 0 ||
	    (rc = store_open(&s->read, o->state_url, 0)) < 0 || (rc = serve_events_start(s)) < 0 ||
	    (rc = start_daemon(s)) < 0)
		goto out;
	serve_note(s, "listening on http://%s (%s)", o->listen.text,
		   o->token ? "token: sessions and bearer" : "no token: read-only page");
	if (o->ready)
		o->ready(o->note_arg, &o->listen);
	next_audit = mono_s();
	next_prune = mono_s() + o->prune_interval_s;
	for (;;) {
		struct timespec wait = { 1, 0 };
		int sig;

		scheduled(s, &next_audit, &next_prune);
		sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			serve_note(s, "stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
	}
	rc = 0;
out:
	atomic_store(&s->stop, 1);
	if (s->ev.started) {
		pthread_mutex_lock(&s->ev.mu);
		pthread_cond_broadcast(&s->ev.cond);
		pthread_mutex_unlock(&s->ev.mu);
	}
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	serve_events_stop(s);
	metrics_close(s->metrics);
	store_close(s->read);
	serve_auth_release(&s->auth);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(s);
	return rc;
}
