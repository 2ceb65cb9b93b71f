/*
 * opa.h - Open Policy Agent REST client: health and (later) policy/data.
 */
#ifndef DIVE_OPA_H
#define DIVE_OPA_H

#include "dive/http.h"

/* GET <base>/health must answer 200; DIVE_EUNHEALTHY otherwise. */
int opa_health(struct http_transport *t, const char *base_url);

#endif
