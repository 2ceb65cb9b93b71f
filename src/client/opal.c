/* opal.c - a spoke's client token from the hub's OPAL server (see opal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/keycloak.h"
#include "dive/opal.h"
#include "dive/xalloc.h"

#define OPAL_TOKEN_MAX 8192

int opal_mint_client_token(struct http_transport *t, struct dive_secret *out, const char *base_url,
			   const struct dive_secret *master)
{
	static const char body[] = "{\"type\": \"client\"}";
	const char *headers[3] = { "Content-Type: application/json", NULL, NULL };
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	char *url, *auth;
	cJSON *doc = NULL;
	const char *tok;
	int rc;

	if (!base_url || strncmp(base_url, "http", 4) || strlen(base_url) > 1024)
		return dive_error_set(DIVE_EUSAGE, "invalid OPAL server URL");
	if (!master || !dive_secret_is_set(master))
		return dive_error_setc(DIVE_EUSAGE, ERRC_SECRET_MISSING, "the hub's OPAL master token is not set");
	url = xasprintf("%s/token", base_url);
	auth = xasprintf("Authorization: Bearer %s", dive_secret_reveal(master));
	headers[1] = auth;
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = sizeof(body) - 1;
	req.timeout_ms = 15000;
	req.max_body = OPAL_TOKEN_MAX;
	rc = http_perform(t, &req, &resp);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	if (rc == 0 && (resp.status == 401 || resp.status == 403))
		rc = dive_error_setc(DIVE_EUSAGE, ERRC_OPAL_TOKEN, "the hub's OPAL server refused the master token (%ld)",
				     resp.status);
	else if (rc == 0 && resp.status != 200)
		rc = dive_error_setc(DIVE_EFAIL, ERRC_OPAL_TOKEN, "the hub's OPAL server answered %ld to POST /token",
				     resp.status);
	if (rc == 0) {
		doc = cJSON_ParseWithLength(dive_buf_str(&resp.body), resp.body.len);
		tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "token"));
		if (!tok || !*tok || strchr(tok, '\n'))
			rc = dive_error_setc(DIVE_EFAIL, ERRC_OPAL_TOKEN, "the hub's OPAL server answered without a token");
		else
			dive_secret_set(out, tok);
	}
	kc_json_wipe_delete(doc); /* it held the token */
	if (resp.body.ptr)
		explicit_bzero(resp.body.ptr, resp.body.len);
	http_resp_release(&resp);
	free(url);
	return rc;
}

int opal_client_token_check(struct http_transport *t, const char *base_url, const struct dive_secret *token)
{
	const char *headers[2] = { NULL, NULL };
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	char *url, *auth;
	int rc;

	if (!base_url || strncmp(base_url, "http", 4) || strlen(base_url) > 1024)
		return dive_error_set(DIVE_EUSAGE, "invalid OPAL server URL");
	if (!token || !dive_secret_is_set(token) || !strchr(dive_secret_reveal(token), '.'))
		return dive_error_setc(DIVE_EUSAGE, ERRC_OPAL_TOKEN, "the spoke's OPAL client token is not a token");
	url = xasprintf("%s/policy?path=dive", base_url);
	auth = xasprintf("Authorization: Bearer %s", dive_secret_reveal(token));
	headers[0] = auth;
	req.url = url;
	req.headers = headers;
	req.timeout_ms = 15000;
	req.max_body = 16u << 20;
	rc = http_perform(t, &req, &resp);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	if (rc == 0 && (resp.status == 401 || resp.status == 403))
		rc = dive_error_setc(DIVE_EUSAGE, ERRC_OPAL_TOKEN, "the hub's OPAL server refuses the spoke's client token (%ld)",
				     resp.status);
	else if (rc == 0 && resp.status != 200)
		rc = dive_error_setc(DIVE_EFAIL, ERRC_OPAL_TOKEN, "the hub's OPAL server answered %ld to GET /policy",
				     resp.status);
	http_resp_release(&resp);
	free(url);
	return rc;
}
