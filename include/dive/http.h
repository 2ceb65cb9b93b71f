/*
 * http.h - one HTTP exchange over libcurl, bounded in time and size.
 *
 * Every request has a total timeout and a connect timeout; every response
 * body has a maximum size (DIVE_ETOOBIG past it).  A unix socket path makes
 * the request go to a local socket (the Docker engine).  Clients (docker,
 * keycloak, opa) take a struct http_transport so tests can swap in a fake.
 *
 * Errors: DIVE_EUNAVAIL (cannot connect), DIVE_ETIMEOUT, DIVE_ETOOBIG,
 * DIVE_EFAIL (other transport errors; resp->tls_failed when TLS failed:
 * peers are always verified, there is no option to turn that off).  An HTTP status is not an error at
 * this layer: the caller reads resp->status.
 */
#ifndef DIVE_HTTP_H
#define DIVE_HTTP_H

#include <stddef.h>

#include "dive/buf.h"

#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_DEFAULT_CONNECT_MS 5000
#define HTTP_DEFAULT_MAX_BODY (8u << 20)

struct http_req {
	const char *method;          /* "GET" when NULL */
	const char *url;
	const char *unix_socket;     /* NULL for TCP */
	const char *const *headers;  /* NULL-terminated "Name: value", may be NULL */
	const char *body;            /* may be NULL */
	size_t body_len;
	long timeout_ms;             /* 0: HTTP_DEFAULT_TIMEOUT_MS */
	long connect_timeout_ms;     /* 0: HTTP_DEFAULT_CONNECT_MS */
	size_t max_body;             /* 0: HTTP_DEFAULT_MAX_BODY */
	const char *ca_file;         /* https: verify the peer against these CAs (NULL: the system's) */
};

struct http_resp {
	long status;
	struct dive_buf body;
	int tls_failed;              /* the transport error was TLS: handshake or certificate verification */
};

struct http_transport {
	int (*perform)(struct http_transport *t, const struct http_req *req, struct http_resp *resp);
};

/* The real transport (libcurl). */
extern struct http_transport http_curl;

/* Perform req on t; resp must be released with http_resp_release(). */
int http_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp);
void http_resp_release(struct http_resp *resp);

/* Percent-encode s for a query string or form body into out. */
int http_urlencode(struct dive_buf *out, const char *s);

#endif
