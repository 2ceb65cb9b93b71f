/* docker.c - Docker Engine API over libcurl (see docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/error.h"
#include "dive/xalloc.h"

#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define DOCKER_TIMEOUT_MS 60000
#define DOCKER_MAX_BODY (16u << 20)

int docker_open(struct docker **out, const char *host, struct http_transport *t)
{
	struct docker *d;

	*out = NULL;
	if (!host || !*host)
		host = DOCKER_DEFAULT_HOST;
	if (strlen(host) > 1024)
		return dive_error_set(DIVE_EUSAGE, "docker host is too long");
	d = xcalloc(1, sizeof(*d));
	d->transport = t ? t : &http_curl;
	d->timeout_ms = DOCKER_TIMEOUT_MS;
	snprintf(d->api, sizeof(d->api), "%s", DOCKER_API_MAX);
	if (!strncmp(host, "unix://", 7) && host[7] == '/') {
		d->socket_path = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
	} else if (!strncmp(host, "tcp://", 6) && host[6]) {
		d->base = xasprintf("http://%s", host + 6);
	} else {
		free(d);
		return dive_error_set(DIVE_EUSAGE, "docker host '%.200s' is neither unix:///PATH nor tcp://HOST:PORT", host);
	}
	*out = d;
	return 0;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	free(d->socket_path);
	free(d->base);
	free(d);
}

static int raw(struct docker *d, struct http_resp *resp, const char *method, const char *url,
	       const char *body)
{
	static const char *const json_hdr[] = { "Content-Type: application/json", NULL };
	struct http_req req = { 0 };

	req.method = method;
	req.url = url;
	req.unix_socket = d->socket_path;
	req.headers = body ? json_hdr : NULL;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = d->timeout_ms;
	req.max_body = DOCKER_MAX_BODY;
	return http_perform(d->transport, &req, resp);
}

int docker_ping(struct docker *d)
{
	struct http_resp resp = { 0 };
	char *url = xasprintf("%s/_ping", d->base);
	int rc = raw(d, &resp, "GET", url, NULL);

	if (rc == 0 && (resp.status != 200 || strcmp(dive_buf_str(&resp.body), "OK")))
		rc = dive_error_set(DIVE_EUNAVAIL, "docker engine at '%s' answered /_ping with %ld",
				    d->socket_path ? d->socket_path : d->base, resp.status);
	else if (rc < 0)
		dive_error_set(DIVE_EUNAVAIL, "docker engine unreachable: %s", dive_error_last());
	http_resp_release(&resp);
	free(url);
	return rc;
}

/* "1.41" -> 141 for comparison; 0 when malformed. */
static int api_num(const char *v)
{
	int major, minor;

	if (sscanf(v, "%d.%d", &major, &minor) != 2 || major < 1 || minor < 0 || minor > 999)
		return 0;
	return major * 1000 + minor;
}

int docker_negotiate(struct docker *d)
{
	struct http_resp resp = { 0 };
	cJSON *doc = NULL, *api, *ver;
	char *url = NULL;
	int rc;

	rc = docker_ping(d);
	if (rc < 0)
		return rc;
	url = xasprintf("%s/version", d->base);
	rc = raw(d, &resp, "GET", url, NULL);
	if (rc < 0)
		goto out;
	if (resp.status != 200 || !(doc = cJSON_Parse(dive_buf_str(&resp.body)))) {
		rc = dive_error_set(DIVE_EFAIL, "docker engine answered /version with %ld", resp.status);
		goto out;
	}
	api = cJSON_GetObjectItemCaseSensitive(doc, "ApiVersion");
	ver = cJSON_GetObjectItemCaseSensitive(doc, "Version");
	if (!cJSON_IsString(api) || !api_num(api->valuestring)) {
		rc = dive_error_set(DIVE_EFAIL, "docker engine reported no usable ApiVersion");
		goto out;
	}
	if (api_num(api->valuestring) < api_num(DOCKER_API_MAX))
		snprintf(d->api, sizeof(d->api), "%s", api->valuestring);
	else
		snprintf(d->api, sizeof(d->api), "%s", DOCKER_API_MAX);
	snprintf(d->engine_version, sizeof(d->engine_version), "%s",
		 cJSON_IsString(ver) ? ver->valuestring : "unknown");
out:
	cJSON_Delete(doc);
	http_resp_release(&resp);
	free(url);
	return rc;
}

/* The engine's {"message": "..."} or a cut of the raw body. */
static const char *engine_message(const cJSON *doc, const struct http_resp *resp, char *tmp, size_t n)
{
	const cJSON *m = doc ? cJSON_GetObjectItemCaseSensitive(doc, "message") : NULL;

	if (cJSON_IsString(m))
		snprintf(tmp, n, "%s", m->valuestring);
	else
		snprintf(tmp, n, "%.200s", dive_buf_str(&resp->body));
	return tmp;
}

int docker_call(struct docker *d, cJSON **out, const char *method, const char *path, const cJSON *body)
{
	struct http_resp resp = { 0 };
	char *url = xasprintf("%s/v%s%s", d->base, d->api, path);
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON *doc = NULL;
	char msg[256];
	int rc;

	if (out)
		*out = NULL;
	rc = raw(d, &resp, method, url, text);
	if (rc < 0) {
		if (rc == DIVE_EUNAVAIL)
			dive_error_set(DIVE_EUNAVAIL, "docker engine unreachable: %s", dive_error_last());
		goto out;
	}
	if (resp.body.len)
		doc = cJSON_Parse(dive_buf_str(&resp.body));
	if (resp.status >= 200 && resp.status < 300) {
		if (out) {
			*out = doc;
			doc = NULL;
		}
	} else if (resp.status == 404) {
		rc = dive_error_set(DIVE_ENOTFOUND, "docker: %s", engine_message(doc, &resp, msg, sizeof(msg)));
	} else if (resp.status == 409) {
		rc = dive_error_set(DIVE_ECONFLICT, "docker: %s", engine_message(doc, &resp, msg, sizeof(msg)));
	} else if (resp.status == 304) {
		rc = 0; /* already started / already stopped */
	} else if (resp.status == 400) {
		rc = dive_error_set(DIVE_EUSAGE, "docker rejected %s %s: %s", method, path,
				    engine_message(doc, &resp, msg, sizeof(msg)));
	} else {
		rc = dive_error_set(DIVE_EFAIL, "docker %s %s failed (%ld): %s", method, path, resp.status,
				    engine_message(doc, &resp, msg, sizeof(msg)));
	}
out:
	cJSON_Delete(doc);
	cJSON_free(text);
	http_resp_release(&resp);
	free(url);
	return rc;
}

/* Container names and ids: [a-zA-Z0-9][a-zA-Z0-9_.-]*, bounded. */
static int check_ref(const char *what, const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128)
		return dive_error_set(DIVE_EUSAGE, "invalid %s '%.64s'", what, s);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '_' || c == '.' || c == '-' || c == ':' || c == '/'))))
			return dive_error_set(DIVE_EUSAGE, "invalid %s '%.64s'", what, s);
	}
	return 0;
}

int docker_container_create(struct docker *d, char **out_id, const char *name, const cJSON *spec)
{
	cJSON *doc = NULL, *id;
	char *path;
	int rc;

	*out_id = NULL;
	if ((rc = check_ref("container name", name)) < 0)
		return rc;
	path = xasprintf("/containers/create?name=%s", name);
	rc = docker_call(d, &doc, "POST", path, spec);
	free(path);
	if (rc < 0)
		return rc;
	id = cJSON_GetObjectItemCaseSensitive(doc, "Id");
	if (!cJSON_IsString(id))
		rc = dive_error_set(DIVE_EFAIL, "docker created '%s' but returned no id", name);
	else
		*out_id = xstrdup(id->valuestring);
	cJSON_Delete(doc);
	return rc;
}

static int container_action(struct docker *d, const char *method, const char *id, const char *fmt_suffix)
{
	char *path;
	int rc;

	if ((rc = check_ref("container", id)) < 0)
		return rc;
	path = xasprintf("/containers/%s%s", id, fmt_suffix);
	rc = docker_call(d, NULL, method, path, NULL);
	free(path);
	return rc;
}

int docker_container_start(struct docker *d, const char *id)
{
	return container_action(d, "POST", id, "/start");
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s)
{
	char suffix[32];

	snprintf(suffix, sizeof(suffix), "/stop?t=%d", timeout_s < 0 ? 0 : timeout_s);
	return container_action(d, "POST", id, suffix);
}

int docker_container_remove(struct docker *d, const char *id, int force)
{
	return container_action(d, "DELETE", id, force ? "?force=1&v=1" : "?v=1");
}

int docker_container_inspect(struct docker *d, cJSON **out, const char *id)
{
	char *path;
	int rc;

	*out = NULL;
	if ((rc = check_ref("container", id)) < 0)
		return rc;
	path = xasprintf("/containers/%s/json", id);
	rc = docker_call(d, out, "GET", path, NULL);
	free(path);
	return rc;
}

int docker_image_inspect(struct docker *d, cJSON **out, const char *name)
{
	char *path;
	int rc;

	*out = NULL;
	if ((rc = check_ref("image", name)) < 0)
		return rc;
	path = xasprintf("/images/%s/json", name);
	rc = docker_call(d, out, "GET", path, NULL);
	free(path);
	return rc;
}
