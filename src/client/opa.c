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
