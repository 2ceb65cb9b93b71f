/* http.c - bounded HTTP over libcurl (see http.h). */
#include <string.h>

#include <curl/curl.h>

#include "dive/error.h"
#include "dive/http.h"
#include "dive/log.h"

struct sink {
	struct dive_buf *buf;
	int overflow;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (dive_buf_add(s->buf, ptr, n) < 0) {
		s->overflow = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

static int curl_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct sink sink;
	CURLcode cc;
	int rc = 0, i;

	(void)t;
	if (!h)
		return dive_error_set(DIVE_EFAIL, "cannot initialise libcurl");
	dive_buf_init(&resp->body, req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY);
	resp->status = 0;
	resp->tls_failed = 0;
	sink.buf = &resp->body;
	sink.overflow = 0;

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms ? req->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (req->unix_socket)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->method && strcmp(req->method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (req->method && (!strcmp(req->method, "POST") || !strcmp(req->method, "PUT"))) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	for (i = 0; req->headers && req->headers[i]; i++)
		hdrs = curl_slist_append(hdrs, req->headers[i]);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	} else if (sink.overflow) {
		rc = dive_error_set(DIVE_ETOOBIG, "response from '%s' exceeds %zu bytes", req->url, resp->body.max);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = dive_error_set(DIVE_ETIMEOUT, "no answer from '%s' in time: %s", req->url, curl_easy_strerror(cc));
	} else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
		rc = dive_error_set(DIVE_EUNAVAIL, "cannot connect to '%s'%s%s: %s", req->url,
				    req->unix_socket ? " via " : "", req->unix_socket ? req->unix_socket : "",
				    curl_easy_strerror(cc));
	} else {
		resp->tls_failed = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
				   cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CERTPROBLEM;
		rc = dive_error_set(DIVE_EFAIL, "request to '%s' failed: %s", req->url, curl_easy_strerror(cc));
	}
	dive_debug("http %s %s -> %ld (%d)", req->method ? req->method : "GET", req->url, resp->status, rc);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

struct http_transport http_curl = { curl_perform };

int http_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	return (t ? t : &http_curl)->perform(t ? t : &http_curl, req, resp);
}

void http_resp_release(struct http_resp *resp)
{
	dive_buf_release(&resp->body);
	resp->status = 0;
}

int http_urlencode(struct dive_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			rc = dive_buf_add(out, s, 1);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = dive_buf_add(out, enc, 3);
		}
	}
	return rc;
}
