/*
 * test_docker.c - the Docker client against a fake transport that replays
 * answers captured from Docker 20.10 (tests/fixtures/docker/), cut into
 * chunks of every size for the streamed calls (events, logs, build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/guard.h"

/* ---------------------------------------------------------------- the fake */

struct reply {
	long status;
	char *body;             /* owned */
	size_t len;
	int transport_rc;       /* a transport failure instead of an answer */
	int end_rc;             /* streamed: returned after the body (DIVE_ETIMEOUT: the deadline) */
};

#define MAX_REPLIES 8

struct fake {
	struct http_transport t;   /* first: the transport pointer is the fake */
	struct docker_stream s;
	struct reply replies[MAX_REPLIES];
	int nreplies, next;
	size_t chunk;              /* streamed chunk size; 0: the whole body at once */
	/* what the last request was */
	char method[16];
	char url[2048];
	char *body;
	size_t body_len;
	char content_type[64];
	long timeout_ms;
	int calls;
};

static struct fake *fake_of_transport(struct http_transport *t)
{
	return (struct fake *)((char *)t - offsetof(struct fake, t));
}

static struct fake *fake_of_stream(struct docker_stream *s)
{
	return (struct fake *)((char *)s - offsetof(struct fake, s));
}

static void record(struct fake *f, const struct http_req *req)
{
	int i;

	f->calls++;
	snprintf(f->method, sizeof(f->method), "%s", req->method ? req->method : "GET");
	snprintf(f->url, sizeof(f->url), "%s", req->url);
	free(f->body);
	f->body = NULL;
	f->body_len = req->body_len;
	if (req->body) {
		f->body = malloc(req->body_len + 1);
		memcpy(f->body, req->body, req->body_len);
		f->body[req->body_len] = '\0';
	}
	f->content_type[0] = '\0';
	for (i = 0; req->headers && req->headers[i]; i++)
		if (!strncmp(req->headers[i], "Content-Type: ", 14))
			snprintf(f->content_type, sizeof(f->content_type), "%s", req->headers[i] + 14);
	f->timeout_ms = req->timeout_ms;
}

static struct reply *next_reply(struct fake *f)
{
	assert_true(f->next < f->nreplies);
	return &f->replies[f->next++];
}

static int fake_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	struct fake *f = fake_of_transport(t);
	struct reply *r;

	record(f, req);
	r = next_reply(f);
	dive_buf_init(&resp->body, req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY);
	resp->status = 0;
	if (r->transport_rc)
		return dive_error_set(r->transport_rc, "cannot connect to '%s': Couldn't connect to server", req->url);
	resp->status = r->status;
	return dive_buf_add(&resp->body, r->body, r->len);
}

static int fake_stream(struct docker_stream *s, const struct http_req *req, long *status,
		       int (*on_data)(void *arg, long status, const char *p, size_t n), void *arg)
{
	struct fake *f = fake_of_stream(s);
	struct reply *r;
	size_t off = 0;

	record(f, req);
	r = next_reply(f);
	*status = 0;
	if (r->transport_rc)
		return dive_error_set(r->transport_rc, "cannot connect to '%s': Couldn't connect to server", req->url);
	*status = r->status;
	while (off < r->len) {
		size_t n = f->chunk ? f->chunk : r->len;
		int rc;

		if (n > r->len - off)
			n = r->len - off;
		rc = on_data(arg, r->status, r->body + off, n);
		if (rc)
			return rc;
		off += n;
	}
	if (r->end_rc)
		return dive_error_set(r->end_rc, "no end of '%s' in time: Timeout was reached", req->url);
	return 0;
}

static char *fixture(const char *name, size_t *len)
{
	const char *src = getenv("DIVE_SOURCE_DIR");
	char path[1024];
	FILE *fp;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/docker/%s", src && *src ? src : DIVE_SOURCE_DIR, name);
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open fixture %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	data[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return data;
}

static void reply_fixture(struct fake *f, long status, const char *name)
{
	struct reply *r = &f->replies[f->nreplies++];

	memset(r, 0, sizeof(*r));
	r->status = status;
	r->body = fixture(name, &r->len);
}

static void reply_text(struct fake *f, long status, const char *body)
{
	struct reply *r = &f->replies[f->nreplies++];

	memset(r, 0, sizeof(*r));
	r->status = status;
	r->len = strlen(body);
	r->body = malloc(r->len + 1);
	memcpy(r->body, body, r->len + 1);
}

static void reply_bytes(struct fake *f, long status, const void *body, size_t len)
{
	struct reply *r = &f->replies[f->nreplies++];

	memset(r, 0, sizeof(*r));
	r->status = status;
	r->len = len;
	r->body = malloc(len ? len : 1);
	memcpy(r->body, body, len);
}

static void reply_unreachable(struct fake *f)
{
	struct reply *r = &f->replies[f->nreplies++];

	memset(r, 0, sizeof(*r));
	r->transport_rc = DIVE_EUNAVAIL;
}

/* Forget the replies and the last request; keep the chunk size. */
static void fake_reset(struct fake *f)
{
	int i;

	for (i = 0; i < f->nreplies; i++)
		free(f->replies[i].body);
	f->nreplies = f->next = 0;
	free(f->body);
	f->body = NULL;
	f->calls = 0;
	f->url[0] = '\0';
}

struct ctx {
	struct fake fake;
	struct docker *d;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->fake.t.perform = fake_perform;
	c->fake.s.perform = fake_stream;
	assert_int_equal(docker_open(&c->d, "unix:///run/fake-docker.sock", &c->fake.t), 0);
	c->d->stream = &c->fake.s;
	dive_error_clear();
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	/* every reply queued was asked for */
	assert_int_equal(c->fake.next, c->fake.nreplies);
	fake_reset(&c->fake);
	docker_close(c->d);
	free(c);
	return 0;
}

static const char *str_at(const cJSON *obj, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---------------------------------------------------------------- containers */

static void docker__lists_containers_by_label(void **state)
{
	struct ctx *c = *state;
	const char *labels[] = { "dive.test=fixture-3586", NULL };
	cJSON *list = NULL, *first;

	reply_fixture(&c->fake, 200, "containers_list.json");
	assert_int_equal(docker_container_list(c->d, &list, labels), 0);
	assert_string_equal(c->fake.method, "GET");
	/* filters={"label":["dive.test=fixture-3586"]}, URL-encoded */
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/json?all=1&filters="
			    "%7B%22label%22%3A%5B%22dive.test%3Dfixture-3586%22%5D%7D");
	assert_int_equal(c->fake.timeout_ms, c->d->timeout_ms);
	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 1);
	first = cJSON_GetArrayItem(list, 0);
	assert_string_equal(str_at(first, "Labels", "dive.service"), "keycloak");
	assert_string_equal(str_at(first, "State", NULL), "running");
	cJSON_Delete(list);
	assert_int_equal(c->d->last_status, 200);
}

static void docker__list_without_labels_asks_for_every_container(void **state)
{
	struct ctx *c = *state;
	const char *two[] = { "dive.project=hub", "dive.service", NULL };
	const char *bad[] = { "bad\nlabel", NULL };
	cJSON *list = NULL;

	reply_text(&c->fake, 200, "[]");
	assert_int_equal(docker_container_list(c->d, &list, NULL), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/json?all=1");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);

	reply_text(&c->fake, 200, "[]");
	assert_int_equal(docker_container_list(c->d, &list, two), 0);
	assert_non_null(strstr(c->fake.url, "%22dive.project%3Dhub%22%2C%22dive.service%22"));
	cJSON_Delete(list);

	assert_int_equal(docker_container_list(c->d, &list, bad), DIVE_EUSAGE);
	assert_null(list);
	/* an answer that is not a list is a failure, not an empty list */
	reply_text(&c->fake, 200, "{\"message\":\"odd\"}");
	assert_int_equal(docker_container_list(c->d, &list, NULL), DIVE_EFAIL);
	assert_null(list);
}

static void docker__inspects_a_container_from_a_real_answer(void **state)
{
	struct ctx *c = *state;
	cJSON *info = NULL, *st;

	reply_fixture(&c->fake, 200, "container_inspect.json");
	assert_int_equal(docker_container_inspect(c->d, &info, "dive-fixture-3586"), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/dive-fixture-3586/json");
	st = cJSON_GetObjectItemCaseSensitive(info, "State");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running")));
	assert_string_equal(str_at(info, "Name", NULL), "/dive-fixture-3586");
	cJSON_Delete(info);
}

static void docker__creates_a_container_and_returns_its_id(void **state)
{
	struct ctx *c = *state;
	cJSON *spec = cJSON_Parse("{\"Image\":\"dive/base:local\"}");
	char *id = NULL;

	reply_fixture(&c->fake, 201, "container_create.json");
	assert_int_equal(docker_container_create(c->d, &id, "dive-fixture-3586", spec), 0);
	assert_string_equal(c->fake.method, "POST");
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/create?name=dive-fixture-3586");
	assert_string_equal(c->fake.content_type, "application/json");
	assert_string_equal(c->fake.body, "{\"Image\":\"dive/base:local\"}");
	assert_string_equal(id, "7c10648c487db4672a06163c2bf2eff3a8504cb6cb8774afb2cf27812ba7fbbb");
	free(id);
	cJSON_Delete(spec);
}

static void docker__maps_404_409_400_and_500_to_codes_with_the_engine_message(void **state)
{
	struct ctx *c = *state;
	cJSON *info = NULL, *spec = cJSON_CreateObject();
	char *id = NULL;

	reply_fixture(&c->fake, 404, "error_404_no_such_container.json");
	assert_int_equal(docker_container_inspect(c->d, &info, "dive-fixture-nonexistent-3586"), DIVE_ENOTFOUND);
	assert_null(info);
	assert_string_equal(dive_error_last(), "docker: cannot inspect container 'dive-fixture-nonexistent-3586': "
			    "No such container: dive-fixture-nonexistent-3586");
	assert_int_equal(dive_error_last_code(), 0);
	assert_int_equal(c->d->last_status, 404);

	reply_fixture(&c->fake, 409, "error_409_container_name_in_use.json");
	assert_int_equal(docker_container_create(c->d, &id, "dive-fixture-3586", spec), DIVE_ECONFLICT);
	assert_null(id);
	assert_non_null(strstr(dive_error_last(), "docker: cannot create container 'dive-fixture-3586': Conflict. "
				"The container name \"/dive-fixture-3586\" is already in use"));
	assert_int_equal(dive_error_last_code(), ERRC_CONTAINER_CONFLICT);

	reply_fixture(&c->fake, 500, "error_500_start_port_in_use.json");
	assert_int_equal(docker_container_start(c->d, "dive-fixture-bad2-3586"), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "docker: cannot start container 'dive-fixture-bad2-3586': "
				"driver failed programming external connectivity"));
	assert_non_null(strstr(dive_error_last(), "address already in use (HTTP 500)"));
	assert_int_equal(dive_error_last_code(), ERRC_CONTAINER_START);
	assert_int_equal(c->d->last_status, 500);

	reply_fixture(&c->fake, 400, "error_400_start_exec_missing.json");
	assert_int_equal(docker_container_start(c->d, "dive-fixture-bad-3586"), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "exec: \"/nonexistent\": stat /nonexistent: no such file"));
	assert_int_equal(dive_error_last_code(), ERRC_CONTAINER_START);

	reply_fixture(&c->fake, 409, "error_409_kill_not_running.json");
	assert_int_equal(docker_container_kill(c->d, "dive-fixture-3586", NULL), DIVE_ECONFLICT);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/dive-fixture-3586/kill?signal=SIGKILL");
	assert_non_null(strstr(dive_error_last(), "is not running"));

	reply_text(&c->fake, 404, "{\"message\":\"No such image: dive/nothing:local\"}");
	assert_int_equal(docker_image_inspect(c->d, &info, "dive/nothing:local"), DIVE_ENOTFOUND);
	assert_int_equal(dive_error_last_code(), ERRC_IMAGE_MISSING);

	/* docker_call keeps its own wording */
	reply_fixture(&c->fake, 404, "error_404_no_such_container.json");
	assert_int_equal(docker_call(c->d, NULL, "GET", "/containers/x/json", NULL), DIVE_ENOTFOUND);
	assert_string_equal(dive_error_last(), "docker: No such container: dive-fixture-nonexistent-3586");
	cJSON_Delete(spec);
}

static void docker__unreachable_engine_carries_the_taxonomy_code(void **state)
{
	struct ctx *c = *state;
	cJSON *list = NULL;

	reply_unreachable(&c->fake);
	assert_int_equal(docker_container_list(c->d, &list, NULL), DIVE_EUNAVAIL);
	assert_int_equal(dive_error_last_code(), ERRC_DOCKER_UNREACHABLE);
	assert_non_null(strstr(dive_error_last(), "docker: cannot list containers: engine unreachable: cannot connect"));
	assert_int_equal(c->d->last_status, 0);

	reply_unreachable(&c->fake);
	assert_int_equal(docker_ping(c->d), DIVE_EUNAVAIL);
	assert_int_equal(dive_error_last_code(), ERRC_DOCKER_UNREACHABLE);
	/* the transport's message once, whole: not formatted into itself */
	assert_string_equal(dive_error_last(), "docker engine unreachable: cannot connect to "
					       "'http://localhost/_ping': Couldn't connect to server");

	/* streamed calls too */
	reply_unreachable(&c->fake);
	{
		struct docker_events_opts o = { 0 };

		o.timeout_ms = 1000;
		assert_int_equal(docker_events(c->d, &o, NULL, NULL), DIVE_EUNAVAIL);
		assert_int_equal(dive_error_last_code(), ERRC_DOCKER_UNREACHABLE);
	}
}

static void docker__removing_a_missing_object_is_fine_when_asked(void **state)
{
	struct ctx *c = *state;

	reply_fixture(&c->fake, 404, "error_404_no_such_container.json");
	assert_int_equal(docker_container_remove(c->d, "gone", DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING), 0);
	assert_string_equal(c->fake.method, "DELETE");
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/gone?force=1&v=1");
	reply_fixture(&c->fake, 404, "error_404_no_such_container.json");
	assert_int_equal(docker_container_remove(c->d, "gone", 0), DIVE_ENOTFOUND);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/gone?v=1");

	reply_text(&c->fake, 404, "{\"message\":\"network dive-fixture-nonexistent-3586 not found\"}");
	assert_int_equal(docker_network_remove(c->d, "dive-fixture-nonexistent-3586", DOCKER_REMOVE_IGNORE_MISSING), 0);
	reply_text(&c->fake, 404, "{\"message\":\"network dive-fixture-nonexistent-3586 not found\"}");
	assert_int_equal(docker_network_remove(c->d, "dive-fixture-nonexistent-3586", 0), DIVE_ENOTFOUND);

	reply_text(&c->fake, 404, "{\"message\":\"get dive-fixture-nonexistent-3586: no such volume\"}");
	assert_int_equal(docker_volume_remove(c->d, "dive-fixture-nonexistent-3586", DOCKER_REMOVE_IGNORE_MISSING), 0);
	reply_text(&c->fake, 404, "{\"message\":\"No such image: dive/x:local\"}");
	assert_int_equal(docker_image_remove(c->d, "dive/x:local", DOCKER_REMOVE_IGNORE_MISSING), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/images/dive/x:local");

	/* stop of a stopped container (304) is success */
	reply_text(&c->fake, 304, "");
	assert_int_equal(docker_container_stop(c->d, "dive-fixture-3586", 5), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/dive-fixture-3586/stop?t=5");
	/* the request outlives the engine's grace period */
	assert_true(c->fake.timeout_ms >= c->d->timeout_ms + 5000);
}

static void docker__waits_for_exit_and_returns_the_code(void **state)
{
	struct ctx *c = *state;
	int code = 0;

	reply_fixture(&c->fake, 200, "container_wait.json");
	assert_int_equal(docker_container_wait(c->d, &code, "dive-fixture-3586", 4000), 0);
	assert_int_equal(code, 137);
	assert_string_equal(c->fake.url,
			    "http://localhost/v1.41/containers/dive-fixture-3586/wait?condition=not-running");
	assert_int_equal(c->fake.timeout_ms, 4000);
	assert_int_equal(docker_container_wait(c->d, &code, "dive-fixture-3586", 0), DIVE_EUSAGE);
}

static void docker__rejects_bad_names_before_any_request(void **state)
{
	struct ctx *c = *state;
	cJSON *out = NULL;
	char *id = NULL;
	const char *aliases[] = { "ok", "not ok", NULL };

	assert_int_equal(docker_container_start(c->d, "x;rm -rf"), DIVE_EUSAGE);
	assert_int_equal(docker_container_inspect(c->d, &out, "../etc"), DIVE_EUSAGE);
	/* nothing that would reach another endpoint once curl folds the dot segments */
	assert_int_equal(docker_container_inspect(c->d, &out, "a/../../images/x"), DIVE_EUSAGE);
	assert_int_equal(docker_image_inspect(c->d, &out, "dive/../../containers/x"), DIVE_EUSAGE);
	assert_int_equal(docker_image_remove(c->d, "dive//x", 0), DIVE_EUSAGE);
	assert_int_equal(docker_network_remove(c->d, "net:x", 0), DIVE_EUSAGE);
	assert_int_equal(docker_container_kill(c->d, "x", "KILL&x=1"), DIVE_EUSAGE);
	assert_int_equal(docker_network_create(c->d, &id, "a b", NULL), DIVE_EUSAGE);
	assert_int_equal(docker_network_connect(c->d, "n", "c", aliases), DIVE_EUSAGE);
	assert_int_equal(docker_volume_remove(c->d, "", 0), DIVE_EUSAGE);
	assert_int_equal(docker_image_tag(c->d, "dive/base:local", "dive/x:tag", "local"), DIVE_EUSAGE);
	assert_int_equal(docker_image_tag(c->d, "dive/base:local", "dive/x", "bad tag"), DIVE_EUSAGE);
	assert_int_equal(c->fake.calls, 0);
}

/* ---------------------------------------------------------------- networks, volumes, images */

static void docker__creates_a_network_with_check_duplicate_and_labels(void **state)
{
	struct ctx *c = *state;
	cJSON *spec = cJSON_Parse("{\"Labels\":{\"dive.test\":\"fixture-3586\"},\"Internal\":false,"
				  "\"CheckDuplicate\":false}");
	cJSON *sent;
	char *id = NULL;

	reply_fixture(&c->fake, 201, "network_create.json");
	assert_int_equal(docker_network_create(c->d, &id, "dive-fixture-net-3586", spec), 0);
	assert_string_equal(id, "39256e9b0e791307c1845fa86ffb69b021b6d65dbe38092b31956e56daef0281");
	assert_string_equal(c->fake.url, "http://localhost/v1.41/networks/create");
	sent = cJSON_Parse(c->fake.body);
	assert_string_equal(str_at(sent, "Name", NULL), "dive-fixture-net-3586");
	/* CheckDuplicate is always on, whatever the spec said */
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sent, "CheckDuplicate")));
	assert_string_equal(str_at(sent, "Driver", NULL), "bridge");
	assert_string_equal(str_at(sent, "Labels", "dive.test"), "fixture-3586");
	cJSON_Delete(sent);
	free(id);
	id = NULL;

	reply_fixture(&c->fake, 409, "error_409_network_exists.json");
	assert_int_equal(docker_network_create(c->d, &id, "dive-fixture-net-3586", spec), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "network with name dive-fixture-net-3586 already exists"));
	assert_null(id);
	cJSON_Delete(spec);
}

static void docker__connects_with_aliases_and_maps_403_to_conflict(void **state)
{
	struct ctx *c = *state;
	const char *aliases[] = { "keycloak", "kc", NULL };
	cJSON *sent, *al;

	reply_text(&c->fake, 200, "");
	assert_int_equal(docker_network_connect(c->d, "dive-fixture-net-3586", "dive-fixture-3586", aliases), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/networks/dive-fixture-net-3586/connect");
	sent = cJSON_Parse(c->fake.body);
	assert_string_equal(str_at(sent, "Container", NULL), "dive-fixture-3586");
	al = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sent, "EndpointConfig"), "Aliases");
	assert_int_equal(cJSON_GetArraySize(al), 2);
	assert_string_equal(cJSON_GetArrayItem(al, 1)->valuestring, "kc");
	cJSON_Delete(sent);

	reply_fixture(&c->fake, 403, "error_403_endpoint_exists.json");
	assert_int_equal(docker_network_connect(c->d, "dive-fixture-net-3586", "dive-fixture-3586", NULL),
			 DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "already exists in network"));

	reply_fixture(&c->fake, 403, "error_403_network_in_use.json");
	assert_int_equal(docker_network_remove(c->d, "dive-fixture-net-3586", DOCKER_REMOVE_IGNORE_MISSING),
			 DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "has active endpoints"));
}

static void docker__lists_and_inspects_networks(void **state)
{
	struct ctx *c = *state;
	const char *labels[] = { "dive.test=fixture-3586", NULL };
	cJSON *list = NULL, *info = NULL;

	reply_fixture(&c->fake, 200, "network_list.json");
	assert_int_equal(docker_network_list(c->d, &list, labels), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/networks?filters="
			    "%7B%22label%22%3A%5B%22dive.test%3Dfixture-3586%22%5D%7D");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_string_equal(str_at(cJSON_GetArrayItem(list, 0), "Name", NULL), "dive-fixture-net-3586");
	cJSON_Delete(list);

	reply_fixture(&c->fake, 200, "network_inspect.json");
	assert_int_equal(docker_network_inspect(c->d, &info, "dive-fixture-net-3586"), 0);
	assert_string_equal(str_at(info, "Driver", NULL), "bridge");
	cJSON_Delete(info);
}

static void docker__creates_and_lists_volumes_by_label(void **state)
{
	struct ctx *c = *state;
	const char *labels[] = { "dive.test=fixture-3586", NULL };
	cJSON *lab = cJSON_Parse("{\"dive.test\":\"fixture-3586\"}");
	cJSON *vol = NULL, *list = NULL, *sent;

	reply_fixture(&c->fake, 201, "volume_create.json");
	assert_int_equal(docker_volume_create(c->d, &vol, "dive-fixture-vol-3586", lab), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/volumes/create");
	sent = cJSON_Parse(c->fake.body);
	assert_string_equal(str_at(sent, "Name", NULL), "dive-fixture-vol-3586");
	assert_string_equal(str_at(sent, "Labels", "dive.test"), "fixture-3586");
	cJSON_Delete(sent);
	assert_string_equal(str_at(vol, "Mountpoint", NULL), "/var/lib/docker/volumes/dive-fixture-vol-3586/_data");
	cJSON_Delete(vol);

	reply_fixture(&c->fake, 200, "volume_list.json");
	assert_int_equal(docker_volume_list(c->d, &list, labels), 0);
	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);

	/* the engine writes null for no volumes */
	reply_text(&c->fake, 200, "{\"Volumes\":null,\"Warnings\":null}");
	assert_int_equal(docker_volume_list(c->d, &list, labels), 0);
	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	cJSON_Delete(lab);
}

static void docker__tags_an_image(void **state)
{
	struct ctx *c = *state;

	reply_text(&c->fake, 201, "");
	assert_int_equal(docker_image_tag(c->d, "dive/base:local", "dive/x", "t1"), 0);
	assert_string_equal(c->fake.method, "POST");
	assert_string_equal(c->fake.url, "http://localhost/v1.41/images/dive/base:local/tag?repo=dive/x&tag=t1");
}

/* ---------------------------------------------------------------- events */

struct seen {
	char actions[32][64];
	int n;
	const char *stop_at;     /* stop when this action comes */
	int fail_at_unhealthy;
	char healthy_name[64];
};

static int on_event(void *arg, const struct docker_event *ev)
{
	struct seen *s = arg;

	assert_string_equal(ev->type, "container");
	assert_int_equal(strlen(ev->id), 64);
	assert_true(ev->time_nano > 1700000000000000000LL);
	assert_non_null(ev->attributes);
	if (s->n < 32)
		snprintf(s->actions[s->n++], sizeof(s->actions[0]), "%s", ev->action);
	if (!strcmp(ev->action, "health_status: healthy"))
		snprintf(s->healthy_name, sizeof(s->healthy_name), "%s", ev->name);
	if (s->fail_at_unhealthy && !strcmp(ev->action, "health_status: unhealthy"))
		return dive_error_set(DIVE_EUNHEALTHY, "container '%s' is unhealthy", ev->name);
	if (s->stop_at && !strcmp(ev->action, s->stop_at))
		return 1;
	return 0;
}

static void docker__events_lines_split_across_chunks_reach_the_callback_in_order(void **state)
{
	static const size_t chunks[] = { 1, 2, 7, 100, 511, 4096, 0 };
	struct ctx *c = *state;
	cJSON *filters = cJSON_Parse("{\"type\":[\"container\"],\"label\":[\"dive.test=fixture-3586\"]}");
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct docker_events_opts o = { 0 };
		struct seen s = { 0 };

		c->fake.chunk = chunks[i];
		o.filters = filters;
		o.since = "1795737938";
		o.timeout_ms = 5000;
		s.stop_at = "health_status: healthy";
		reply_fixture(&c->fake, 200, "events_health.json");
		assert_int_equal(docker_events(c->d, &o, on_event, &s), 0);
		/* create, start, create, then exec rounds, and the 14th is the health event */
		assert_int_equal(s.n, 14);
		assert_string_equal(s.actions[0], "create");
		assert_string_equal(s.actions[1], "start");
		assert_string_equal(s.actions[3], "exec_create: /dive/health ");
		assert_string_equal(s.actions[13], "health_status: healthy");
		assert_string_equal(s.healthy_name, "dive-fixture-ok-3586");
		assert_int_equal(c->fake.timeout_ms, 5000);
		fake_reset(&c->fake);
	}
	/* the last request carried the filters and since */
	cJSON_Delete(filters);
}

static void docker__events_url_carries_filters_since_and_until(void **state)
{
	struct ctx *c = *state;
	cJSON *filters = cJSON_Parse("{\"event\":[\"health_status\"]}");
	struct docker_events_opts o = { 0 };
	struct seen s = { 0 };

	o.filters = filters;
	o.since = "1795737938.250000000";
	o.until = "1795737948";
	o.timeout_ms = 5000;
	reply_text(&c->fake, 200, "");
	/* with until, the engine ending the stream is the normal end */
	assert_int_equal(docker_events(c->d, &o, on_event, &s), 0);
	assert_string_equal(c->fake.url, "http://localhost/v1.41/events?filters=%7B%22event%22%3A%5B%22health_status"
			    "%22%5D%7D&since=1795737938.250000000&until=1795737948");
	assert_int_equal(s.n, 0);

	o.since = "yesterday";
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_EUSAGE);
	o.since = NULL;
	o.timeout_ms = 0;
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_EUSAGE);
	cJSON_Delete(filters);
}

static void docker__events_stop_at_the_deadline_or_when_the_engine_ends_them(void **state)
{
	struct ctx *c = *state;
	struct docker_events_opts o = { 0 };
	struct seen s = { 0 };

	c->fake.chunk = 300;
	o.timeout_ms = 1500;
	reply_fixture(&c->fake, 200, "events_health.json");
	c->fake.replies[0].end_rc = DIVE_ETIMEOUT;
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_ETIMEOUT);
	assert_string_equal(dive_error_last(), "docker: the events stream reached its deadline of 1500 ms (20 events seen)");
	assert_int_equal(s.n, 20);

	fake_reset(&c->fake);
	memset(&s, 0, sizeof(s));
	reply_fixture(&c->fake, 200, "events_health.json");
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_EUNAVAIL);
	assert_string_equal(dive_error_last(), "docker: the engine ended the events stream");
	assert_int_equal(dive_error_last_code(), ERRC_DOCKER_UNREACHABLE);
}

static void docker__events_callback_error_is_returned_unchanged(void **state)
{
	struct ctx *c = *state;
	struct docker_events_opts o = { 0 };
	struct seen s = { 0 };

	c->fake.chunk = 33;
	o.timeout_ms = 1500;
	s.fail_at_unhealthy = 1;
	reply_fixture(&c->fake, 200, "events_health.json");
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_EUNHEALTHY);
	assert_string_equal(dive_error_last(), "container 'dive-fixture-fail-3586' is unhealthy");
	assert_int_equal(s.n, 20);
}

static void docker__events_line_over_the_cap_or_not_json_fails(void **state)
{
	struct ctx *c = *state;
	struct docker_events_opts o = { 0 };
	struct seen s = { 0 };

	c->fake.chunk = 64;
	o.timeout_ms = 1500;
	o.max_line = 200; /* every real event is longer */
	reply_fixture(&c->fake, 200, "events_health.json");
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_ETOOBIG);
	assert_non_null(strstr(dive_error_last(), "exceeds 200 bytes"));
	assert_int_equal(s.n, 0);

	o.max_line = 0;
	reply_text(&c->fake, 200, "{\"Type\":\"container\"\n");
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "not a JSON object"));

	/* an error status before the stream: the engine's message */
	reply_text(&c->fake, 400, "{\"message\":\"invalid filter 'bogus'\"}\n");
	assert_int_equal(docker_events(c->d, &o, on_event, &s), DIVE_EUSAGE);
	assert_string_equal(dive_error_last(), "docker: cannot read the events stream: invalid filter 'bogus'");
}

static int count_line(void *arg, char *line, size_t len)
{
	struct dive_buf *b = arg;

	assert_int_equal(strlen(line), len);
	dive_buf_printf(b, "[%s]", line);
	return 0;
}

static void docker__lines_drop_cr_and_skip_empty_lines(void **state)
{
	struct docker_lines l;
	struct dive_buf b;
	const char *in = "a\r\n\r\n\nbc\nd";
	size_t i;

	dive_buf_init(&b, 1024);
	docker_lines_init(&l, 16, count_line, &b);
	for (i = 0; in[i]; i++)
		assert_int_equal(docker_lines_feed(&l, in + i, 1), 0);
	assert_string_equal(dive_buf_str(&b), "[a][bc]");
	assert_int_equal(docker_lines_finish(&l), 0);
	assert_string_equal(dive_buf_str(&b), "[a][bc][d]");
	/* a line of exactly the cap fits; one more byte does not */
	assert_int_equal(docker_lines_feed(&l, "0123456789abcdef\n", 17), 0);
	assert_int_equal(docker_lines_feed(&l, "0123456789abcdefg", 17), DIVE_ETOOBIG);
	docker_lines_release(&l);
	dive_buf_release(&b);
}

/* ---------------------------------------------------------------- logs */

/* Append one frame of the multiplexed format. */
static void frame(struct dive_buf *out, int stream, const char *p, size_t n)
{
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };

	dive_buf_add(out, h, 8);
	dive_buf_add(out, p, n);
}

static void docker__log_frames_split_across_chunks_are_demultiplexed(void **state)
{
	static const size_t chunks[] = { 1, 3, 8, 9, 4096, 0 };
	struct ctx *c = *state;
	struct dive_buf wire, big;
	size_t i;

	/* as the stand-in writes them: stderr first, then stdout, then a frame over 64 KiB */
	dive_buf_init(&wire, 1 << 20);
	dive_buf_init(&big, 1 << 20);
	for (i = 0; i < 70000; i++)
		dive_buf_add(&big, i % 61 ? "x" : "\n", 1);
	frame(&wire, 2, "standin: config: PORT=8080 HEALTH=ok\n", 37);
	frame(&wire, 1, "standin: starting\n", 18);
	frame(&wire, 1, "", 0);
	frame(&wire, 1, big.ptr, big.len);
	frame(&wire, 2, "bye\n", 4);

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct docker_logs_opts o = { 0 };
		struct dive_buf out, err;

		o.tail = 50;
		dive_buf_init(&out, 1 << 20);
		dive_buf_init(&err, 1 << 20);
		c->fake.chunk = chunks[i];
		reply_bytes(&c->fake, 200, wire.ptr, wire.len);
		assert_int_equal(docker_container_logs_collect(c->d, &out, &err, "dive-fixture-ok-3586", &o), 0);
		assert_string_equal(c->fake.url, "http://localhost/v1.41/containers/dive-fixture-ok-3586/logs"
				    "?stdout=1&stderr=1&follow=0&tail=50");
		assert_string_equal(dive_buf_str(&err), "standin: config: PORT=8080 HEALTH=ok\nbye\n");
		assert_int_equal(out.len, 18 + big.len);
		assert_memory_equal(out.ptr, "standin: starting\n", 18);
		assert_memory_equal(out.ptr + 18, big.ptr, big.len);
		dive_buf_release(&out);
		dive_buf_release(&err);
		fake_reset(&c->fake);
	}
	dive_buf_release(&wire);
	dive_buf_release(&big);
}

static int ignore_data(void *arg, enum docker_log_stream s, const char *p, size_t n)
{
	return 0;
}

static void docker__log_frames_are_bounded_and_checked(void **state)
{
	struct ctx *c = *state;
	struct docker_logs_opts o = { 0 };
	struct docker_frames f;
	struct dive_buf wire, out;

	dive_buf_init(&wire, 1 << 16);
	frame(&wire, 1, "0123456789", 10);
	frame(&wire, 2, "0123456789", 10);

	/* the cap counts payload bytes, across frames */
	o.tail = -1;
	o.max_bytes = 15;
	c->fake.chunk = 4;
	reply_bytes(&c->fake, 200, wire.ptr, wire.len);
	assert_int_equal(docker_container_logs(c->d, "x", &o, ignore_data, NULL), DIVE_ETOOBIG);
	assert_non_null(strstr(c->fake.url, "tail=all"));

	/* a TTY container's raw log is not framed: refused unless the caller says so */
	o.max_bytes = 0;
	reply_text(&c->fake, 200, "hello from a tty\n");
	assert_int_equal(docker_container_logs(c->d, "x", &o, ignore_data, NULL), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "does the container have a TTY?"));
	o.tty = 1;
	dive_buf_init(&out, 1024);
	reply_text(&c->fake, 200, "hello from a tty\n");
	assert_int_equal(docker_container_logs_collect(c->d, &out, NULL, "x", &o), 0);
	assert_string_equal(dive_buf_str(&out), "hello from a tty\n");
	dive_buf_release(&out);

	/* a stream cut inside a frame */
	docker_frames_init(&f, 0, ignore_data, NULL);
	assert_int_equal(docker_frames_feed(&f, wire.ptr, 12), 0);
	assert_int_equal(docker_frames_finish(&f), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "6 bytes missing"));
	docker_frames_init(&f, 0, ignore_data, NULL);
	assert_int_equal(docker_frames_feed(&f, wire.ptr, 5), 0);
	assert_int_equal(docker_frames_finish(&f), DIVE_EFAIL);

	/* a 404 for the container comes through with the engine's message */
	o.tty = 0;
	reply_fixture(&c->fake, 404, "error_404_no_such_container.json");
	assert_int_equal(docker_container_logs(c->d, "x", &o, ignore_data, NULL), DIVE_ENOTFOUND);
	assert_non_null(strstr(dive_error_last(), "No such container"));
	dive_buf_release(&wire);
}

/* ---------------------------------------------------------------- build */

static void collect_output(void *arg, const char *text)
{
	dive_buf_adds(arg, text);
}

static void docker__build_stream_with_an_error_line_returns_the_engine_message(void **state)
{
	struct ctx *c = *state;
	struct docker_build_opts o = { 0 };
	struct dive_buf out;
	cJSON *labels = cJSON_Parse("{\"dive.test\":\"fixture-3586\"}");
	const char context[1024] = { 0 };
	char *id = NULL;

	dive_buf_init(&out, 1 << 16);
	o.labels = labels;
	o.on_output = collect_output;
	o.arg = &out;
	c->fake.chunk = 5;
	reply_fixture(&c->fake, 200, "build_error.json");
	assert_int_equal(docker_image_build(c->d, &id, "dive/fixture-fail:3586", context, sizeof(context), &o),
			 DIVE_EFAIL);
	assert_null(id);
	assert_string_equal(dive_error_last(), "docker: cannot build image 'dive/fixture-fail:3586': "
			    "The command '/bin/sh -c echo building && false' returned a non-zero code: 1");
	assert_int_equal(dive_error_last_code(), ERRC_IMAGE_MISSING);
	assert_string_equal(c->fake.method, "POST");
	assert_string_equal(c->fake.content_type, "application/x-tar");
	assert_int_equal(c->fake.body_len, sizeof(context));
	assert_string_equal(c->fake.url, "http://localhost/v1.41/build?t=dive%2Ffixture-fail%3A3586&rm=1&forcerm=1&networkmode=none"
			    "&labels=%7B%22dive.test%22%3A%22fixture-3586%22%7D");
	assert_non_null(strstr(dive_buf_str(&out), "Step 2/3 : RUN echo building && false"));
	assert_non_null(strstr(dive_buf_str(&out), "\nbuilding\n"));
	dive_buf_release(&out);
	cJSON_Delete(labels);
}

static void docker__build_stream_reports_the_image_id(void **state)
{
	struct ctx *c = *state;
	struct docker_build_opts o = { 0 };
	cJSON *args = cJSON_Parse("{\"BASE\":\"dive/base:local\"}");
	const char context[1024] = { 0 };
	char *id = NULL;

	o.buildargs = args;
	o.dockerfile = "Dockerfile";
	o.nocache = 1;
	c->fake.chunk = 17;
	reply_fixture(&c->fake, 200, "build_ok.json");
	assert_int_equal(docker_image_build(c->d, &id, "dive/fixture-standin:3586", context, sizeof(context), &o), 0);
	assert_string_equal(id, "sha256:0716c768f590437ba1982b058e60f1e0b1cecf8a239e094f3f235b433ca88341");
	assert_non_null(strstr(c->fake.url, "&nocache=1&dockerfile=Dockerfile&buildargs=%7B%22BASE%22%3A%22dive%2F"
			       "base%3Alocal%22%7D"));
	assert_int_equal(c->fake.timeout_ms, 10L * 60 * 1000);
	free(id);
	cJSON_Delete(args);

	/* a failure before the stream starts */
	reply_text(&c->fake, 500, "{\"message\":\"Cannot locate specified Dockerfile: Dockerfile\"}\n");
	assert_int_equal(docker_image_build(c->d, &id, "dive/x:local", context, sizeof(context), NULL), DIVE_EFAIL);
	assert_string_equal(dive_error_last(), "docker: cannot build image 'dive/x:local': "
			    "Cannot locate specified Dockerfile: Dockerfile (HTTP 500)");
	assert_int_equal(dive_error_last_code(), ERRC_IMAGE_MISSING);
	assert_null(id);

	/* nothing to send */
	assert_int_equal(docker_image_build(c->d, &id, "dive/x:local", context, 0, NULL), DIVE_EUSAGE);
	args = cJSON_Parse("{\"BASE\":1}");
	o.buildargs = args;
	assert_int_equal(docker_image_build(c->d, &id, "dive/x:local", context, 1, &o), DIVE_EUSAGE);
	cJSON_Delete(args);
}

static void docker__build_dir_sends_the_tree_as_tar(void **state)
{
	struct ctx *c = *state;
	const char *src = getenv("DIVE_SOURCE_DIR");
	char dir[1024];
	char *id = NULL;

	snprintf(dir, sizeof(dir), "%s/images/standin", src && *src ? src : DIVE_SOURCE_DIR);
	reply_fixture(&c->fake, 200, "build_ok.json");
	assert_int_equal(docker_image_build_dir(c->d, &id, "dive/standin:local", dir, NULL), 0);
	/* a ustar archive: the first entry is the Dockerfile, the end is two zero blocks */
	assert_true(c->fake.body_len >= 3 * 512 && c->fake.body_len % 512 == 0);
	assert_string_equal(c->fake.body, "Dockerfile");
	assert_memory_equal(c->fake.body + 257, "ustar", 5);
	assert_non_null(id);
	free(id);

	assert_int_equal(docker_image_build_dir(c->d, &id, "dive/standin:local", "/nonexistent/dive", NULL),
			 DIVE_ENOTFOUND);
	assert_non_null(strstr(dive_error_last(), "cannot build image 'dive/standin:local' from '/nonexistent/dive'"));
}

static void docker__host_addresses_are_checked_and_userinfo_never_shown(void **state)
{
	static const char *const good[] = {
		"unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://[::1]:2376", "tcp://engine.example.org:2376",
		"tcp://10.0.0.7:2375/", "",
	};
	static const struct {
		const char *host, *says;
	} bad[] = {
		{ "tcp://[::1", "docker host 'tcp://[::1' has no valid [IPv6] address" },
		{ "unix:///run/x.sock\nHost: evil", "docker host 'unix:///run/x.sock?Host: evil' has a control character" },
		{ "tcp://admin:S3cret@10.0.0.1:2376", "docker host 'tcp://***@10.0.0.1:2376' carries a user or password" },
		{ "tcp://S3cret@h", "docker host 'tcp://***@h' carries a user or password" },
		{ "tcp://h:0", "has no port from 1 to 65535" },
		{ "tcp://engine.example.org", "needs a port" },
		{ "tcp://h:2375x", "has no port from 1 to 65535" },
		{ "tcp://h:23/containers", "has a path or a query" },
		{ "tcp://", "has no valid host name" },
		{ "tcp://-h:1", "has no valid host name" },
		{ "tcp://[::1]x", "has something after the ']'" },
		{ "unix://relative.sock", "needs an absolute socket path" },
		{ "ssh://user@host", "docker host 'ssh://***@host' is neither unix:///PATH nor tcp://HOST:PORT" },
		{ "npipe:////./pipe/docker_engine", "is neither unix:///PATH nor tcp://HOST:PORT" },
	};
	char longsock[200];
	struct docker *d = NULL;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (docker_host_check(good[i]) != 0)
			fail_msg("'%s' refused: %s", good[i], dive_error_last());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (docker_host_check(bad[i].host) != DIVE_EUSAGE || !strstr(dive_error_last(), bad[i].says))
			fail_msg("'%s': %s", bad[i].host, dive_error_last());
		assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
		assert_null(strstr(dive_error_last(), "S3cret"));
		assert_null(strchr(dive_error_last(), '\n'));
		/* docker_open refuses the same, before any request */
		assert_int_equal(docker_open(&d, bad[i].host, NULL), DIVE_EUSAGE);
		assert_null(d);
	}
	snprintf(longsock, sizeof(longsock), "unix:///%0150d", 0);
	assert_int_equal(docker_host_check(longsock), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "longer than 107 bytes"));

	/* plain HTTP only to loopback (docker_open_tls for the rest); a final '/' is taken */
	assert_int_equal(docker_open(&d, "tcp://engine.example.org:2376", NULL), DIVE_EUSAGE);
	assert_null(d);
	assert_int_equal(docker_open(&d, "tcp://[::1]:2376/", NULL), 0);
	assert_string_equal(d->base, "http://[::1]:2376");
	assert_null(d->socket_path);
	docker_close(d);
}

/* ---------------------------------------------------------------- the guard */

/* Guarded without a store: the docker retry class, no breaker. */
static void guard_without_store(struct ctx *c, struct guard_hook *g)
{
	guard_docker_install(c->d, g, NULL, NULL, "docker:local");
}

static void docker__guard_retries_a_transient_failure_until_the_engine_answers(void **state)
{
	struct ctx *c = *state;
	struct guard_hook g;
	cJSON *doc = NULL;

	guard_without_store(c, &g);
	reply_unreachable(&c->fake);                                   /* connection refused */
	reply_text(&c->fake, 500, "{\"message\":\"engine busy\"}");   /* a 500 */
	reply_fixture(&c->fake, 200, "container_inspect.json");
	assert_int_equal(docker_container_inspect(c->d, &doc, "dive-fixture-3586"), 0);
	assert_int_equal(c->fake.calls, 3);
	assert_non_null(doc);
	cJSON_Delete(doc);
}

static void docker__guard_tries_a_wrong_request_once(void **state)
{
	struct ctx *c = *state;
	struct guard_hook g;
	cJSON *doc = NULL;

	guard_without_store(c, &g);
	reply_text(&c->fake, 404, "{\"message\":\"No such container: nope\"}");
	assert_int_equal(docker_container_inspect(c->d, &doc, "nope"), DIVE_ENOTFOUND);
	assert_int_equal(c->fake.calls, 1);
	assert_null(doc);
}

static void docker__unguarded_call_is_one_attempt(void **state)
{
	struct ctx *c = *state;
	cJSON *doc = NULL;

	reply_unreachable(&c->fake);
	assert_int_equal(docker_container_inspect(c->d, &doc, "dive-fixture-3586"), DIVE_EUNAVAIL);
	assert_int_equal(c->fake.calls, 1);
	assert_int_equal(dive_error_last_code(), ERRC_DOCKER_UNREACHABLE);
}

/* A create whose first attempt was lost in transport: the retry's 409 is its own container when the labels match. */
static void docker__guarded_create_takes_its_own_container_after_a_lost_answer(void **state)
{
	struct ctx *c = *state;
	struct guard_hook g;
	cJSON *spec = cJSON_Parse("{\"Image\":\"dive/base:local\",\"Labels\":"
				  "{\"dive.service\":\"keycloak\",\"dive.test\":\"fixture-3586\"}}");
	char *id = NULL;

	guard_without_store(c, &g);
	reply_unreachable(&c->fake);
	reply_text(&c->fake, 409, "{\"message\":\"Conflict. The container name is already in use\"}");
	reply_fixture(&c->fake, 200, "container_inspect.json"); /* the fixture carries those labels */
	assert_int_equal(docker_container_create(c->d, &id, "dive-fixture-3586", spec), 0);
	assert_non_null(id);
	assert_int_equal(strncmp(id, "7c10648c487d", 12), 0);
	free(id);
	id = NULL;
	fake_reset(&c->fake);

	/* other labels: not ours, the conflict stands */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(spec, "Labels"), "dive.test", cJSON_CreateString("other"));
	reply_unreachable(&c->fake);
	reply_text(&c->fake, 409, "{\"message\":\"Conflict. The container name is already in use\"}");
	reply_fixture(&c->fake, 200, "container_inspect.json");
	assert_int_equal(docker_container_create(c->d, &id, "dive-fixture-3586", spec), DIVE_ECONFLICT);
	assert_null(id);
	fake_reset(&c->fake);

	/* a 409 with no lost attempt before it is a plain conflict: nothing inspected */
	reply_text(&c->fake, 409, "{\"message\":\"Conflict. The container name is already in use\"}");
	assert_int_equal(docker_container_create(c->d, &id, "dive-fixture-3586", spec), DIVE_ECONFLICT);
	assert_int_equal(c->fake.calls, 1);
	cJSON_Delete(spec);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(docker__lists_containers_by_label),
		T(docker__list_without_labels_asks_for_every_container),
		T(docker__inspects_a_container_from_a_real_answer),
		T(docker__creates_a_container_and_returns_its_id),
		T(docker__maps_404_409_400_and_500_to_codes_with_the_engine_message),
		T(docker__unreachable_engine_carries_the_taxonomy_code),
		T(docker__removing_a_missing_object_is_fine_when_asked),
		T(docker__waits_for_exit_and_returns_the_code),
		T(docker__rejects_bad_names_before_any_request),
		T(docker__creates_a_network_with_check_duplicate_and_labels),
		T(docker__connects_with_aliases_and_maps_403_to_conflict),
		T(docker__lists_and_inspects_networks),
		T(docker__creates_and_lists_volumes_by_label),
		T(docker__tags_an_image),
		T(docker__events_lines_split_across_chunks_reach_the_callback_in_order),
		T(docker__events_url_carries_filters_since_and_until),
		T(docker__events_stop_at_the_deadline_or_when_the_engine_ends_them),
		T(docker__events_callback_error_is_returned_unchanged),
		T(docker__events_line_over_the_cap_or_not_json_fails),
		T(docker__lines_drop_cr_and_skip_empty_lines),
		T(docker__log_frames_split_across_chunks_are_demultiplexed),
		T(docker__log_frames_are_bounded_and_checked),
		T(docker__build_stream_with_an_error_line_returns_the_engine_message),
		T(docker__build_stream_reports_the_image_id),
		T(docker__build_dir_sends_the_tree_as_tar),
		T(docker__guard_retries_a_transient_failure_until_the_engine_answers),
		T(docker__guard_tries_a_wrong_request_once),
		T(docker__unguarded_call_is_one_attempt),
		T(docker__guarded_create_takes_its_own_container_after_a_lost_answer),
		cmocka_unit_test(docker__host_addresses_are_checked_and_userinfo_never_shown),
	};
#undef T

	return cmocka_run_group_tests_name("docker", tests, NULL, NULL);
}
