/* http.c - bounded HTTP over libcurl (see http.h). */
#include <stdarg.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/http.h"
#include "dive/log.h"
#include "http_curl.h"

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

/* req->read_body behind curl's read callback. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	const struct http_req *req = userdata;
	long n = req->read_body(req->read_arg, buf, size * nitems);

	if (n < 0)
		return CURL_READFUNC_ABORT;
	return (size_t)n;
}

void http_curl_prepare(CURL *h, const struct http_req *req, struct curl_slist **hdrs, char *errbuf)
{
	int i;

	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* the deadline of the whole exchange, however long the body streams */
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, req->tls ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (req->unix_socket)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->ca_file && !req->tls)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->method && strcmp(req->method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	*hdrs = NULL;
	if (req->read_body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, (void *)req);
		*hdrs = curl_slist_append(*hdrs, "Transfer-Encoding: chunked");
	} else if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (req->method && (!strcmp(req->method, "POST") || !strcmp(req->method, "PUT"))) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	for (i = 0; req->headers && req->headers[i]; i++)
		*hdrs = curl_slist_append(*hdrs, req->headers[i]);
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	if (req->tls) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		/*
		 * TLS 1.2, forward-secret AEAD suites only.  Not 1.3: there the
		 * server judges the client certificate after the handshake, and
		 * its refusal races with it closing the connection, so a wrong
		 * certificate could not be told from an engine going away (a
		 * retry and a breaker failure instead of ERRC_ENGINE_TLS_REJECTED).
		 * In 1.2 the refusal is an alert inside the handshake.
		 */
		curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
		curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, "ECDHE+AESGCM:ECDHE+CHACHA20");
		curl_easy_setopt(h, CURLOPT_CAINFO, req->tls->ca);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL); /* the engine's CA only, never the system store */
		curl_easy_setopt(h, CURLOPT_SSLCERT, req->tls->cert);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY, req->tls->key);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

/* Alerts a TLS server sends when it refuses the client's certificate. */
static const char *const rejected_alerts[] = {
	"alert bad certificate", "alert unknown ca", "alert certificate required", "alert certificate unknown",
	"alert certificate revoked", "alert unsupported certificate", "alert access denied", NULL,
};

/* A failure that is about certificates, worded with its code; 0 when cc is something else. */
static int tls_fail(CURL *h, CURLcode cc, const struct http_req *req, const char *errbuf)
{
	const struct http_tls *t = req->tls;
	long vr = 0;
	size_t i;

	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &vr);
		if (vr == X509_V_ERR_CERT_HAS_EXPIRED || vr == X509_V_ERR_CERT_NOT_YET_VALID)
			return dive_error_setc(DIVE_ETLS, ERRC_TLS_CERT_EXPIRED, "the certificate of '%s' is %s", req->url,
					 X509_verify_cert_error_string(vr));
		/* curl checks the name after OpenSSL's chain check and reports it as "unspecified" */
		if (vr == X509_V_OK || vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH ||
		    (vr == X509_V_ERR_UNSPECIFIED && strstr(errbuf, "target host name")))
			return dive_error_setc(DIVE_ETLS, ERRC_ENGINE_TLS_UNTRUSTED,
					       "the certificate of '%s' does not name the address dive dials: %.200s", req->url,
					       errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return dive_error_setc(DIVE_ETLS, ERRC_ENGINE_TLS_UNTRUSTED,
				       "the certificate of '%s' does not verify against CA '%.200s': %s", req->url, t->ca,
				       X509_verify_cert_error_string(vr));
	case CURLE_SSL_CERTPROBLEM:
		return dive_error_setc(DIVE_ETLS, ERRC_TLS_MATERIAL_INVALID, "client certificate '%.200s' or key '%.200s' cannot be used: %.200s",
				 t->cert, t->key, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	case CURLE_SSL_CACERT_BADFILE:
		return dive_error_setc(DIVE_ETLS, ERRC_TLS_MATERIAL_INVALID, "CA file '%.200s' cannot be used: %.200s", t->ca,
				 errbuf[0] ? errbuf : curl_easy_strerror(cc));
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (strstr(errbuf, "alert certificate expired"))
			return dive_error_setc(DIVE_ETLS, ERRC_TLS_CERT_EXPIRED, "'%s' refused dive's client certificate '%.200s' as expired",
					 req->url, t->cert);
		for (i = 0; rejected_alerts[i]; i++)
			if (strstr(errbuf, rejected_alerts[i]))
				return dive_error_setc(DIVE_ETLS, ERRC_ENGINE_TLS_REJECTED,
						 "'%s' refused dive's client certificate '%.200s' (TLS %s): it does not trust its issuer",
						 req->url, t->cert, rejected_alerts[i]);
		if (strstr(errbuf, "wrong version number") || strstr(errbuf, "packet length too long") ||
		    strstr(errbuf, "record layer failure"))
			return dive_error_setc(DIVE_ETLS, ERRC_ENGINE_TLS_UNTRUSTED, "'%s' does not speak TLS (is it plain HTTP?)", req->url);
		if (cc == CURLE_SSL_CONNECT_ERROR)
			return dive_error_setc(DIVE_ETLS, ERRC_ENGINE_TLS_UNTRUSTED, "TLS handshake with '%s' failed: %.200s", req->url,
					 errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return 0;
	default:
		return 0;
	}
}

int http_curl_fail(CURL *h, CURLcode cc, const struct http_req *req, const char *errbuf, const char *timeout_words)
{
	const char *detail = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(cc);
	int rc;

	if (req->tls && (rc = tls_fail(h, cc, req, errbuf ? errbuf : "")) < 0)
		return rc;
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return dive_error_set(DIVE_ETIMEOUT, "%s '%s' in time: %s", timeout_words, req->url, curl_easy_strerror(cc));
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
		return dive_error_set(DIVE_EUNAVAIL, "cannot connect to '%s'%s%s: %s", req->url,
				      req->unix_socket ? " via " : "", req->unix_socket ? req->unix_socket : "",
				      curl_easy_strerror(cc));
	return dive_error_set(DIVE_EFAIL, "request to '%s' failed: %.300s", req->url, detail);
}

static int curl_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct sink sink;
	CURLcode cc;
	int rc = 0;

	(void)t;
	if (!h)
		return dive_error_set(DIVE_EFAIL, "cannot initialise libcurl");
	dive_buf_init(&resp->body, req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY);
	resp->status = 0;
	resp->tls_failed = 0;
	sink.buf = &resp->body;
	sink.overflow = 0;

	http_curl_prepare(h, req, &hdrs, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);

	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	else if (sink.overflow)
		rc = dive_error_set(DIVE_ETOOBIG, "response from '%s' exceeds %zu bytes", req->url, resp->body.max);
	else {
		resp->tls_failed = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
				   cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CERTPROBLEM;
		rc = http_curl_fail(h, cc, req, errbuf, "no answer from");
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
