/*
 * opa.h - Open Policy Agent REST client: health, data documents and
 * decisions (the v1 data API).
 *
 * opa_data_get() reads GET <base>/v1/data/<path>: *out is the "result"
 * member (NULL when the document is undefined, which is not an error).
 * opa_decide() asks POST <base>/v1/data/<path> with {"input": input}: *out
 * is the "result" (NULL when undefined).  path is "dive/policy_revision",
 * [a-zA-Z0-9_/]+.  Bodies at most 1 MiB, 10 s per request.
 *
 * Errors: DIVE_EUSAGE (bad path or URL), the transport's (http.h), and
 * DIVE_EFAIL for a non-200 answer or a body that is not JSON.
 */
#ifndef DIVE_OPA_H
#define DIVE_OPA_H

#include <cjson/cJSON.h>

#include "dive/http.h"

/* GET <base>/health must answer 200; DIVE_EUNHEALTHY otherwise. */
int opa_health(struct http_transport *t, const char *base_url);

int opa_data_get(struct http_transport *t, cJSON **out, const char *base_url, const char *path);
int opa_decide(struct http_transport *t, cJSON **out, const char *base_url, const char *path, const cJSON *input);

#endif
