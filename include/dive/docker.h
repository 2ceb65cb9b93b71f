/*
 * docker.h - Docker Engine API client over the unix socket (or tcp://).
 *
 * docker_open() parses the endpoint; docker_negotiate() asks /_ping and
 * /version and settles on min(DOCKER_API_MAX, the engine's ApiVersion) for
 * versioned paths.  Every call is bounded (timeout, body cap) and maps
 * failures to DIVE_E* codes carrying the engine's own message:
 * unreachable -> DIVE_EUNAVAIL, 404 -> DIVE_ENOTFOUND, 409 -> DIVE_ECONFLICT,
 * 5xx and others -> DIVE_EFAIL.
 *
 * Lifecycle: docker_open / docker_close.
 */
#ifndef DIVE_DOCKER_H
#define DIVE_DOCKER_H

#include <cjson/cJSON.h>

#include "dive/http.h"

#define DOCKER_API_MAX "1.41"

struct docker {
	struct http_transport *transport;
	char *socket_path;       /* unix socket, or NULL for tcp */
	char *base;              /* "http://localhost" or "http://host:port" */
	char api[16];            /* negotiated API version, e.g. "1.41" */
	char engine_version[64];
	long timeout_ms;
};

/* host: "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375"; NULL = default. */
int docker_open(struct docker **out, const char *host, struct http_transport *t);
void docker_close(struct docker *d);

/* GET /_ping must answer "OK". */
int docker_ping(struct docker *d);
/* /_ping + /version: sets d->api and d->engine_version. */
int docker_negotiate(struct docker *d);

/*
 * One request to a versioned path ("/containers/json"); body is JSON or NULL.
 * On success *out (if not NULL) holds the parsed JSON answer or NULL when
 * the answer was empty.  Non-2xx statuses become errors as described above.
 */
int docker_call(struct docker *d, cJSON **out, const char *method, const char *path, const cJSON *body);

/* Containers. */
int docker_container_create(struct docker *d, char **out_id, const char *name, const cJSON *spec);
int docker_container_start(struct docker *d, const char *id);
int docker_container_stop(struct docker *d, const char *id, int timeout_s);
int docker_container_remove(struct docker *d, const char *id, int force);
int docker_container_inspect(struct docker *d, cJSON **out, const char *id);

/* Images. */
int docker_image_inspect(struct docker *d, cJSON **out, const char *name);

#endif
