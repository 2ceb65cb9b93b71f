/* docker.c - Docker Engine API over libcurl (see docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/text.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define DOCKER_MAX_BODY (16u << 20)

static int raw(struct docker *d, struct http_resp *resp, const char *method, const char *url,
	       const char *body, long timeout_ms)
{
	static const char *const json_hdr[] = { "Content-Type: application/json", NULL };
	struct http_req req = { 0 };
	int rc;

	req.method = method;
	req.url = url;
	req.unix_socket = d->socket_path;
	req.tls = d->tls;
	req.headers = body ? json_hdr : NULL;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = timeout_ms > 0 ? timeout_ms : d->timeout_ms;
	req.max_body = DOCKER_MAX_BODY;
	rc = http_perform(d->transport, &req, resp);
	d->last_status = rc < 0 ? 0 : resp->status;
	return rc;
}

int docker_ping(struct docker *d)
{
	struct http_resp resp = { 0 };
	char *url = xasprintf("%s/_ping", d->base);
	int rc = raw(d, &resp, "GET", url, NULL, 0);

	if (rc == 0 && (resp.status != 200 || strcmp(dive_buf_str(&resp.body), "OK")))
		rc = dive_error_set(DIVE_EUNAVAIL, "docker engine at '%s' answered /_ping with %ld",
				    d->socket_path ? d->socket_path : d->base, resp.status);
	else if (rc == DIVE_ETLS)
		goto out; /* the certificate's own message and code */
	else if (rc < 0)
		dive_error_wrap(DIVE_EUNAVAIL, "docker engine unreachable");
	if (rc < 0)
		dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
out:
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
	rc = raw(d, &resp, "GET", url, NULL, 0);
	if (rc < 0) {
		if (rc != DIVE_ETLS)
			dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
		goto out;
	}
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
static const char *engine_message(const char *body, char *tmp, size_t n)
{
	cJSON *doc = body && *body ? cJSON_Parse(body) : NULL;
	const cJSON *m = doc ? cJSON_GetObjectItemCaseSensitive(doc, "message") : NULL;
	size_t len;

	if (cJSON_IsString(m))
		snprintf(tmp, n, "%s", m->valuestring);
	else
		snprintf(tmp, n, "%.200s", body ? body : "");
	cJSON_Delete(doc);
	/* the engine ends some messages with a newline */
	len = strlen(tmp);
	while (len && (tmp[len - 1] == '\n' || tmp[len - 1] == '\r'))
		tmp[--len] = '\0';
	return tmp;
}

int docker_fail_status(const struct docker_op *op, long status, const char *body)
{
	const char *method = op->method ? op->method : "GET";
	char msg[512];
	int rc, code;

	engine_message(body, msg, sizeof(msg));
	if (status == 404) {
		rc = DIVE_ENOTFOUND;
		code = op->code_notfound;
	} else if (status == 409 || (status == 403 && op->conflict_403)) {
		rc = DIVE_ECONFLICT;
		code = op->code_conflict;
	} else if (status == 400) {
		/* the engine refused the request as made: "exec: not found" on start is one */
		rc = DIVE_EUSAGE;
		code = op->code_fail;
	} else {
		rc = DIVE_EFAIL;
		code = op->code_fail;
	}
	if (op->what) {
		if (rc == DIVE_EFAIL)
			dive_error_set(rc, "docker: cannot %s: %s (HTTP %ld)", op->what, msg, status);
		else
			dive_error_set(rc, "docker: cannot %s: %s", op->what, msg);
	} else if (rc == DIVE_ENOTFOUND || rc == DIVE_ECONFLICT) {
		/* docker_call()'s wording, kept for its callers */
		dive_error_set(rc, "docker: %s", msg);
	} else if (rc == DIVE_EUSAGE) {
		dive_error_set(rc, "docker rejected %s %s: %s", method, op->path, msg);
	} else {
		dive_error_set(rc, "docker %s %s failed (%ld): %s", method, op->path, status, msg);
	}
	if (code)
		dive_error_set_code(code);
	return rc;
}

int docker_fail_transport(const struct docker_op *op, int rc)
{
	char msg[512];
	int code = dive_error_last_code();

	snprintf(msg, sizeof(msg), "%s", dive_error_last());
	if (rc == DIVE_ETLS) {
		/* a certificate failure keeps its own code (http.h) */
		if (op->what)
			dive_error_set(rc, "docker: cannot %s: %s", op->what, msg);
		dive_error_set_code(code);
		return rc;
	}
	if (rc == DIVE_EUNAVAIL) {
		if (op->what)
			dive_error_wrap(rc, "docker: cannot %s: engine unreachable", op->what);
		else
			dive_error_wrap(rc, "docker engine unreachable");
	} else if (op->what) {
		dive_error_wrap(rc, "docker: cannot %s", op->what);
	}
	/* an engine that does not answer in time, or drops the connection, is unreachable for now */
	if (rc == DIVE_EUNAVAIL || rc == DIVE_ETIMEOUT || rc == DIVE_EFAIL)
		dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
	return rc;
}

/* One exchange of op. */
static int op_once(struct docker *d, cJSON **out, const struct docker_op *op)
{
	struct http_resp resp = { 0 };
	const char *method = op->method ? op->method : "GET";
	char *url = xasprintf("%s/v%s%s", d->base, d->api, op->path);
	char *text = op->json ? cJSON_PrintUnformatted(op->json) : NULL;
	int rc;

	if (out)
		*out = NULL;
	rc = raw(d, &resp, method, url, text, op->timeout_ms);
	if (rc < 0) {
		rc = docker_fail_transport(op, rc);
		goto out;
	}
	if (resp.status >= 200 && resp.status < 300) {
		if (out && resp.body.len)
			*out = cJSON_ParseWithLength(resp.body.ptr, resp.body.len);
	} else if (resp.status == 304) {
		rc = 0; /* already started / already stopped */
	} else if (resp.status == 404 && op->ignore_missing) {
		rc = 0;
	} else {
		rc = docker_fail_status(op, resp.status, dive_buf_str(&resp.body));
	}
out:
	cJSON_free(text);
	http_resp_release(&resp);
	free(url);
	return rc;
}

struct attempt {
	struct docker *d;
	cJSON **out;
	const struct docker_op *op;
	int attempts;
	int transport_failed;     /* an earlier attempt may have been carried out unseen */
};

static int attempt_once(void *arg, long *http_status, int *code)
{
	struct attempt *a = arg;
	int rc;

	a->attempts++;
	rc = op_once(a->d, a->out, a->op);
	*http_status = a->d->last_status;
	if (rc < 0) {
		*code = dive_error_last_code();
		if (*http_status == 0)
			a->transport_failed = 1;
	}
	return rc;
}

/* One call, through the guard when there is one; *unseen: a retry followed an attempt lost in transport. */
static int op_run_unseen(struct docker *d, cJSON **out, const struct docker_op *op, int *unseen)
{
	struct attempt a = { d, out, op, 0, 0 };
	long status;
	int code = 0, rc;

	rc = d->guard.run ? d->guard.run(d->guard.data, attempt_once, &a) : attempt_once(&a, &status, &code);
	*unseen = a.attempts > 1 && a.transport_failed;
	return rc;
}

int docker_op_run(struct docker *d, cJSON **out, const struct docker_op *op)
{
	int unseen;

	return op_run_unseen(d, out, op, &unseen);
}

int docker_call(struct docker *d, cJSON **out, const char *method, const char *path, const cJSON *body)
{
	struct docker_op op = { 0 };

	op.method = method;
	op.path = path;
	op.json = body;
	return docker_op_run(d, out, &op);
}

/* [a-zA-Z0-9] first, then [a-zA-Z0-9_.-] and the characters in extra; at most 128 bytes. */
static int check_chars(const char *what, const char *s, const char *extra)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 128)
		return dive_error_set(DIVE_EUSAGE, "invalid %s '%.64s'", what, s ? s : "");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '_' || c == '.' || c == '-' || (c && strchr(extra, c))))))
			return dive_error_set(DIVE_EUSAGE, "invalid %s '%.64s'", what, s);
	}
	return 0;
}

int docker_check_name(const char *what, const char *s)
{
	return check_chars(what, s, "");
}

int docker_check_ref(const char *what, const char *s)
{
	int rc = check_chars(what, s, ":/@");

	/* a path segment of its own would let the name reach another endpoint */
	if (rc == 0 && (strstr(s, "..") || strstr(s, "//") || s[strlen(s) - 1] == '/'))
		rc = dive_error_set(DIVE_EUSAGE, "invalid %s '%.64s'", what, s);
	return rc;
}

cJSON *docker_json_strings(const char *const *v)
{
	cJSON *a = cJSON_CreateArray();

	for (; v && *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
	return a;
}

int docker_filters_encode(struct dive_buf *out, const cJSON *filters)
{
	char *text = cJSON_PrintUnformatted(filters);
	int rc;

	if (!text)
		return dive_error_set(DIVE_EFAIL, "cannot encode docker filters");
	rc = http_urlencode(out, text);
	cJSON_free(text);
	return rc;
}

int docker_filters_labels(struct dive_buf *out, const char *const *labels)
{
	cJSON *f;
	size_t i;
	int rc;

	if (!labels || !*labels)
		return 0;
	for (i = 0; labels[i]; i++) {
		const char *p;

		if (!*labels[i] || strlen(labels[i]) > 256 || labels[i][0] == '=')
			return dive_error_set(DIVE_EUSAGE, "invalid label filter '%.64s'", labels[i]);
		for (p = labels[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return dive_error_set(DIVE_EUSAGE, "invalid label filter '%.64s'", labels[i]);
	}
	f = cJSON_CreateObject();
	cJSON_AddItemToObject(f, "label", docker_json_strings(labels));
	rc = docker_filters_encode(out, f);
	cJSON_Delete(f);
	return rc;
}

int docker_list_labels(struct docker *d, cJSON **out, const char *path, const char *field,
			  const char *const *labels, const char *what)
{
	struct docker_op op = { 0 };
	struct dive_buf q;
	cJSON *doc = NULL, *arr;
	int rc;

	*out = NULL;
	dive_buf_init(&q, 16 << 10);
	rc = dive_buf_adds(&q, path);
	if (rc == 0 && labels && *labels) {
		rc = dive_buf_adds(&q, strchr(path, '?') ? "&filters=" : "?filters=");
		if (rc == 0)
			rc = docker_filters_labels(&q, labels);
	}
	if (rc < 0)
		goto out;
	op.path = dive_buf_str(&q);
	op.what = what;
	rc = docker_op_run(d, &doc, &op);
	if (rc < 0)
		goto out;
	arr = field ? cJSON_GetObjectItemCaseSensitive(doc, field) : doc;
	if (field && cJSON_IsNull(arr)) {
		*out = cJSON_CreateArray(); /* the engine writes null for none */
	} else if (!cJSON_IsArray(arr)) {
		rc = dive_error_set(DIVE_EFAIL, "docker: cannot %s: the answer is not a list", what);
		dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
	} else if (field) {
		*out = cJSON_DetachItemViaPointer(doc, arr);
	} else {
		*out = doc;
		doc = NULL;
	}
out:
	cJSON_Delete(doc);
	dive_buf_release(&q);
	return rc;
}

/* ---------------------------------------------------------------- containers */

/*
 * A retried create whose earlier attempt failed in transport, answered 409:
 * the earlier attempt may have created it.  The container is ours when it
 * carries exactly the labels the spec asks for; *doc becomes {"Id": ...}.
 */
static int created_unseen(struct docker *d, cJSON **doc, const char *name, const cJSON *spec)
{
	struct dive_error_saved saved;
	cJSON *got = NULL;
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(spec, "Labels"), *id;
	int ours = 0;

	dive_error_save(&saved);
	if (docker_container_inspect(d, &got, name) == 0) {
		const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(got, "Config");

		id = cJSON_GetObjectItemCaseSensitive(got, "Id");
		ours = cJSON_IsObject(want) && cJSON_IsString(id) &&
		       cJSON_Compare(want, cJSON_GetObjectItemCaseSensitive(cfg, "Labels"), 1);
		if (ours) {
			cJSON_Delete(*doc);
			*doc = cJSON_CreateObject();
			cJSON_AddStringToObject(*doc, "Id", id->valuestring);
		}
	}
	cJSON_Delete(got);
	dive_error_restore(&saved);
	return ours;
}

int docker_container_create(struct docker *d, char **out_id, const char *name, const cJSON *spec)
{
	struct docker_op op = { 0 };
	cJSON *doc = NULL, *id;
	char *path, *what;
	int rc, unseen = 0;

	*out_id = NULL;
	if ((rc = docker_check_name("container name", name)) < 0)
		return rc;
	path = xasprintf("/containers/create?name=%s", name);
	what = xasprintf("create container '%s'", name);
	op.method = "POST";
	op.path = path;
	op.json = spec;
	op.what = what;
	op.code_notfound = ERRC_IMAGE_MISSING; /* "No such image" */
	op.code_conflict = ERRC_CONTAINER_CONFLICT;
	op.code_fail = ERRC_CONTAINER_START;
	rc = op_run_unseen(d, &doc, &op, &unseen);
	if (rc == DIVE_ECONFLICT && unseen && created_unseen(d, &doc, name, spec)) {
		dive_error_clear();
		rc = 0;
	}
	if (rc == 0) {
		id = cJSON_GetObjectItemCaseSensitive(doc, "Id");
		if (!cJSON_IsString(id))
			rc = dive_error_set(DIVE_EFAIL, "docker created '%s' but returned no id", name);
		else
			*out_id = xstrdup(id->valuestring);
	}
	cJSON_Delete(doc);
	free(path);
	free(what);
	return rc;
}

/* POST/DELETE on /containers/{id}{suffix}; verb names the action in messages. */
static int container_action(struct docker *d, const char *method, const char *id, const char *suffix,
			    const char *verb, int code_fail, int ignore_missing, long timeout_ms)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	if ((rc = docker_check_name("container", id)) < 0)
		return rc;
	path = xasprintf("/containers/%s%s", id, suffix);
	what = xasprintf("%s container '%s'", verb, id);
	op.method = method;
	op.path = path;
	op.what = what;
	op.code_fail = code_fail;
	op.ignore_missing = ignore_missing;
	op.timeout_ms = timeout_ms;
	rc = docker_op_run(d, NULL, &op);
	free(path);
	free(what);
	return rc;
}

int docker_container_start(struct docker *d, const char *id)
{
	return container_action(d, "POST", id, "/start", "start", ERRC_CONTAINER_START, 0, 0);
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s)
{
	char suffix[32];

	if (timeout_s < 0)
		timeout_s = 0;
	if (timeout_s > 3600)
		timeout_s = 3600;
	snprintf(suffix, sizeof(suffix), "/stop?t=%d", timeout_s);
	/* the engine waits up to timeout_s before it kills: the request may take that long */
	return container_action(d, "POST", id, suffix, "stop", 0, 0, d->timeout_ms + timeout_s * 1000L);
}

int docker_container_kill(struct docker *d, const char *id, const char *signal)
{
	char suffix[48];
	size_t i, n;

	if (!signal)
		signal = "SIGKILL";
	n = strlen(signal);
	if (n == 0 || n > 16)
		return dive_error_set(DIVE_EUSAGE, "invalid signal '%.32s'", signal);
	for (i = 0; i < n; i++)
		if (!((signal[i] >= 'A' && signal[i] <= 'Z') || (signal[i] >= '0' && signal[i] <= '9')))
			return dive_error_set(DIVE_EUSAGE, "invalid signal '%.32s'", signal);
	snprintf(suffix, sizeof(suffix), "/kill?signal=%s", signal);
	return container_action(d, "POST", id, suffix, "kill", 0, 0, 0);
}

int docker_container_remove(struct docker *d, const char *id, int flags)
{
	return container_action(d, "DELETE", id, (flags & DOCKER_REMOVE_FORCE) ? "?force=1&v=1" : "?v=1", "remove", 0,
				!!(flags & DOCKER_REMOVE_IGNORE_MISSING), 0);
}

int docker_inspect(struct docker *d, cJSON **out, enum docker_kind kind, const char *name)
{
	static const struct {
		const char *what, *prefix, *suffix; /* path: prefix, name, suffix */
		int ref;                            /* an image reference, not a name */
		int code_notfound;
	} kinds[] = {
		[DOCKER_CONTAINER] = { "container", "/containers/", "/json", 0, 0 },
		[DOCKER_NETWORK] = { "network", "/networks/", "", 0, 0 },
		[DOCKER_VOLUME] = { "volume", "/volumes/", "", 0, 0 },
		[DOCKER_IMAGE] = { "image", "/images/", "/json", 1, ERRC_IMAGE_MISSING },
	};
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	*out = NULL;
	if ((unsigned)kind >= sizeof(kinds) / sizeof(kinds[0]))
		return dive_error_set(DIVE_EUSAGE, "internal: no such kind of engine object");
	rc = kinds[kind].ref ? docker_check_ref(kinds[kind].what, name) : docker_check_name(kinds[kind].what, name);
	if (rc < 0)
		return rc;
	path = xasprintf("%s%s%s", kinds[kind].prefix, name, kinds[kind].suffix);
	what = xasprintf("inspect %s '%s'", kinds[kind].what, name);
	op.path = path;
	op.what = what;
	op.code_notfound = kinds[kind].code_notfound;
	rc = docker_op_run(d, out, &op);
	free(path);
	free(what);
	return rc;
}

int docker_container_inspect(struct docker *d, cJSON **out, const char *id)
{
	return docker_inspect(d, out, DOCKER_CONTAINER, id);
}

int docker_container_list(struct docker *d, cJSON **out, const char *const *labels)
{
	return docker_list_labels(d, out, "/containers/json?all=1", NULL, labels, "list containers");
}

int docker_container_wait(struct docker *d, int *out_code, const char *id, long timeout_ms)
{
	struct docker_op op = { 0 };
	cJSON *doc = NULL, *code, *err, *msg;
	char *path, *what;
	int rc;

	*out_code = -1;
	if ((rc = docker_check_name("container", id)) < 0)
		return rc;
	if (timeout_ms <= 0)
		return dive_error_set(DIVE_EUSAGE, "waiting for container '%s' needs a timeout", id);
	path = xasprintf("/containers/%s/wait?condition=not-running", id);
	what = xasprintf("wait for container '%s'", id);
	op.method = "POST";
	op.path = path;
	op.what = what;
	op.timeout_ms = timeout_ms;
	rc = docker_op_run(d, &doc, &op);
	if (rc == DIVE_ETIMEOUT) {
		rc = dive_error_set(DIVE_ETIMEOUT, "container '%s' still running after %ld ms", id, timeout_ms);
		goto out;
	}
	if (rc < 0)
		goto out;
	code = cJSON_GetObjectItemCaseSensitive(doc, "StatusCode");
	err = cJSON_GetObjectItemCaseSensitive(doc, "Error");
	msg = err ? cJSON_GetObjectItemCaseSensitive(err, "Message") : NULL;
	if (cJSON_IsString(msg) && *msg->valuestring) {
		rc = dive_error_set(DIVE_EFAIL, "docker: cannot %s: %s", what, msg->valuestring);
	} else if (!cJSON_IsNumber(code)) {
		rc = dive_error_set(DIVE_EFAIL, "docker: cannot %s: the answer has no StatusCode", what);
	} else {
		*out_code = code->valueint;
	}
out:
	cJSON_Delete(doc);
	free(path);
	free(what);
	return rc;
}

/* ---------------------------------------------------------------- images */

int docker_image_inspect(struct docker *d, cJSON **out, const char *name)
{
	return docker_inspect(d, out, DOCKER_IMAGE, name);
}

static int check_tag(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > 128)
		return dive_error_set(DIVE_EUSAGE, "invalid image tag '%.64s'", tag);
	for (i = 0; i < n; i++) {
		char c = tag[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      (i > 0 && (c == '.' || c == '-'))))
			return dive_error_set(DIVE_EUSAGE, "invalid image tag '%.64s'", tag);
	}
	return 0;
}

int docker_image_tag(struct docker *d, const char *name, const char *repo, const char *tag)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	if (!tag)
		tag = "latest";
	if ((rc = docker_check_ref("image", name)) < 0 || (rc = docker_check_ref("repository", repo)) < 0 ||
	    (rc = check_tag(tag)) < 0)
		return rc;
	if (strchr(repo, ':') && !strchr(strchr(repo, ':'), '/'))
		return dive_error_set(DIVE_EUSAGE, "repository '%.64s' must not carry a tag", repo);
	path = xasprintf("/images/%s/tag?repo=%s&tag=%s", name, repo, tag);
	what = xasprintf("tag image '%s' as '%s:%s'", name, repo, tag);
	op.method = "POST";
	op.path = path;
	op.what = what;
	op.code_notfound = ERRC_IMAGE_MISSING;
	rc = docker_op_run(d, NULL, &op);
	free(path);
	free(what);
	return rc;
}

int docker_image_remove(struct docker *d, const char *name, int flags)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	if ((rc = docker_check_ref("image", name)) < 0)
		return rc;
	path = xasprintf("/images/%s%s", name, (flags & DOCKER_REMOVE_FORCE) ? "?force=1" : "");
	what = xasprintf("remove image '%s'", name);
	op.method = "DELETE";
	op.path = path;
	op.what = what;
	op.ignore_missing = !!(flags & DOCKER_REMOVE_IGNORE_MISSING);
	rc = docker_op_run(d, NULL, &op);
	free(path);
	free(what);
	return rc;
}
