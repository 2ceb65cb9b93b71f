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
 *
 * TLS: a request with req->tls goes over https only, verifies the server's
 * certificate against req->tls->ca alone (never the system store) and its
 * name against the URL's host, and presents the client certificate, over
 * TLS 1.2 with forward-secret AEAD suites (1.3 would let a refused client
 * certificate look like a dropped connection: http.c says why).  Its
 * certificate failures are DIVE_ETLS with their own taxonomy codes
 * (errcodes.h):
 *
 *   the server's certificate does not verify or name the host,
 *   or the server does not speak TLS            ERRC_ENGINE_TLS_UNTRUSTED
 *   the server refused the client certificate   ERRC_ENGINE_TLS_REJECTED
 *   a certificate has expired (either side)     ERRC_TLS_CERT_EXPIRED
 *   the CA, certificate or key file is unusable ERRC_TLS_MATERIAL_INVALID
 *
 * A body may also be produced while it is sent (req->read_body): it goes
 * out with chunked transfer encoding, so nothing holds it whole.
 */
#ifndef DIVE_HTTP_H
#define DIVE_HTTP_H

#include <stddef.h>

#include "dive/buf.h"

#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_DEFAULT_CONNECT_MS 5000
#define HTTP_DEFAULT_MAX_BODY (8u << 20)

/* Mutual TLS: files, all three given. */
struct http_tls {
	const char *ca;              /* the only CA the server's certificate may chain to */
	const char *cert;            /* client certificate (PEM) */
	const char *key;             /* its key (PEM, mode 0600) */
};

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
	const struct http_tls *tls;  /* NULL: no client certificate (https still verifies the system store) */
	/*
	 * Instead of body: fill buf with at most n bytes of the body and return
	 * how many (0 ends it), or a negative value to abort the transfer (the
	 * exchange then fails with DIVE_EFAIL; the producer keeps its reason).
	 */
	long (*read_body)(void *arg, char *buf, size_t n);
	void *read_arg;
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
