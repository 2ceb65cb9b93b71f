/*
 * http_curl.h - what the two libcurl transports share (http.c: one buffered
 * exchange; docker_stream.c: a body handed over as it arrives); not part of
 * the contract (include/dive/http.h is).
 */
#ifndef DIVE_HTTP_CURL_H
#define DIVE_HTTP_CURL_H

#include <curl/curl.h>

#include "dive/http.h"

/*
 * Set every option a dive request needs on h: URL, timeouts, protocols, no
 * redirects, the unix socket, the method, the body (or req->read_body),
 * headers and TLS.  *hdrs gets the header list (curl_slist_free_all it after
 * the transfer); errbuf (CURL_ERROR_SIZE bytes) gets curl's detail of a
 * failure.  The write callback is the caller's.
 */
void http_curl_prepare(CURL *h, const struct http_req *req, struct curl_slist **hdrs, char *errbuf);

/*
 * A failed transfer as a DIVE_E* with its message: TLS failures as http.h
 * lists them, then DIVE_ETIMEOUT ("<timeout_words> '<url>' in time"),
 * DIVE_EUNAVAIL (cannot connect), DIVE_EFAIL.
 */
int http_curl_fail(CURL *h, CURLcode cc, const struct http_req *req, const char *errbuf, const char *timeout_words);

#endif
