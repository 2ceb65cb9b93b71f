/* opa.c - Open Policy Agent REST client (see opa.h). */
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/opa.h"
#include "dive/xalloc.h"

int opa_health(struct http_transport *t, const char *base_url)
{
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	char *url;
	int rc;

	if (!base_url || strlen(base_url) > 1024)
		return dive_error_set(DIVE_EUSAGE, "invalid OPA URL");
	url = xasprintf("%s/health", base_url);
	req.url = url;
	req.timeout_ms = 5000;
	req.max_body = 64 * 1024;
	rc = http_perform(t, &req, &resp);
	if (rc == 0 && resp.status != 200)
		rc = dive_error_set(DIVE_EUNHEALTHY, "opa at '%s' is not healthy (%ld)", base_url, resp.status);
	http_resp_release(&resp);
	free(url);
	return rc;
}

static int check_path(const char *path)
{
	size_t i, n = path ? strlen(path) : 0;

	if (n == 0 || n > 256)
		return dive_error_set(DIVE_EUSAGE, "an OPA data path is 1 to 256 characters");
	for (i = 0; i < n; i++)
		if (!((path[i] >= 'a' && path[i] <= 'z') || (path[i] >= 'A' && path[i] <= 'Z') ||
		      (path[i] >= '0' && path[i] <= '9') || path[i] == '_' || path[i] == '/'))
			return dive_error_set(DIVE_EUSAGE, "OPA data path '%.64s' may hold only letters, digits, '_' and '/'",
					      path);
	return 0;
}

static int data_call(struct http_transport *t, cJSON **out, const char *base_url, const char *path, const cJSON *input)
{
	static const char *const json_hdr[] = { "Content-Type: application/json", NULL };
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	cJSON *doc = NULL, *body = NULL;
	char *url, *text = NULL;
	int rc;

	*out = NULL;
	if (!base_url || strlen(base_url) > 1024 || strncmp(base_url, "http", 4))
		return dive_error_set(DIVE_EUSAGE, "invalid OPA URL");
	if ((rc = check_path(path)) < 0)
		return rc;
	url = xasprintf("%s/v1/data/%s", base_url, path);
	req.url = url;
	req.timeout_ms = 10000;
	req.max_body = 1u << 20;
	if (input) {
		body = cJSON_CreateObject();
		cJSON_AddItemToObject(body, "input", cJSON_Duplicate(input, 1));
		text = cJSON_PrintUnformatted(body);
		req.method = "POST";
		req.body = text;
		req.body_len = strlen(text);
		req.headers = json_hdr;
	}
	rc = http_perform(t, &req, &resp);
	if (rc == 0 && resp.status != 200)
		rc = dive_error_set(DIVE_EFAIL, "opa at '%s' answered %ld to %s /v1/data/%s", base_url, resp.status,
				    input ? "POST" : "GET", path);
	if (rc == 0 && !cJSON_IsObject(doc = cJSON_ParseWithLength(dive_buf_str(&resp.body), resp.body.len)))
		rc = dive_error_set(DIVE_EFAIL, "opa at '%s' answered /v1/data/%s with something that is not a JSON object",
				    base_url, path);
	if (rc == 0) {
		cJSON *r = cJSON_DetachItemFromObjectCaseSensitive(doc, "result");

		*out = r;
	}
	cJSON_Delete(doc);
	cJSON_Delete(body);
	cJSON_free(text);
	http_resp_release(&resp);
	free(url);
	return rc;
}

int opa_data_get(struct http_transport *t, cJSON **out, const char *base_url, const char *path)
{
	return data_call(t, out, base_url, path, NULL);
}

int opa_decide(struct http_transport *t, cJSON **out, const char *base_url, const char *path, const cJSON *input)
{
	if (!input)
		return dive_error_set(DIVE_EUSAGE, "an OPA decision needs an input");
	return data_call(t, out, base_url, path, input);
}
