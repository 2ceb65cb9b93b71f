/*
 * itest_docker.c - the Engine API over the unix socket with libcurl:
 * containers, networks, volumes, image build, events and logs against the
 * real dockerd.  Everything a test creates carries the label
 * dive.test=<pid> and a name with the pid; the group teardown removes
 * whatever is left with that label, so a failed test leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dive/docker.h"
#include "dive/error.h"
#include "dive/http.h"
#include "dive/tar.h"
#include "itest.h"

static char test_label[64];        /* "dive.test=<pid>" */
static char test_value[32];        /* "<pid>" */
static char standin_image[64];     /* "dive/standin-itest:<pid>" */
static char standin_tag[64];       /* "dive/standin-itest:<pid>-tagged" */

static struct docker *open_docker(void)
{
	struct docker *d = NULL;

	assert_int_equal(docker_open(&d, itest_env("DOCKER_HOST"), NULL), 0);
	assert_int_equal(docker_negotiate(d), 0);
	return d;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static cJSON *labels_object(void)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, "dive.test", test_value);
	return l;
}

/* Remove every container, network and volume with our label, and our images. */
static void cleanup(void)
{
	const char *labels[] = { test_label, NULL };
	struct docker *d = NULL;
	cJSON *list = NULL, *it;

	if (docker_open(&d, getenv("DOCKER_HOST"), NULL) < 0 || docker_negotiate(d) < 0) {
		docker_close(d);
		return;
	}
	if (docker_container_list(d, &list, labels) == 0)
		cJSON_ArrayForEach(it, list)
			docker_container_remove(d, cJSON_GetObjectItemCaseSensitive(it, "Id")->valuestring,
						DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING);
	cJSON_Delete(list);
	list = NULL;
	if (docker_network_list(d, &list, labels) == 0)
		cJSON_ArrayForEach(it, list)
			docker_network_remove(d, cJSON_GetObjectItemCaseSensitive(it, "Id")->valuestring,
					      DOCKER_REMOVE_IGNORE_MISSING);
	cJSON_Delete(list);
	list = NULL;
	if (docker_volume_list(d, &list, labels) == 0)
		cJSON_ArrayForEach(it, list)
			docker_volume_remove(d, cJSON_GetObjectItemCaseSensitive(it, "Name")->valuestring,
					     DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING);
	cJSON_Delete(list);
	docker_image_remove(d, standin_tag, DOCKER_REMOVE_IGNORE_MISSING);
	docker_image_remove(d, standin_image, DOCKER_REMOVE_IGNORE_MISSING);
	docker_close(d);
}

static int setup(void **state)
{
	int pid = (int)getpid();

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(test_value, sizeof(test_value), "%d", pid);
	snprintf(test_label, sizeof(test_label), "dive.test=%d", pid);
	snprintf(standin_image, sizeof(standin_image), "dive/standin-itest:%d", pid);
	snprintf(standin_tag, sizeof(standin_tag), "dive/standin-itest:%d-tagged", pid);
	return 0;
}

static int teardown(void **state)
{
	const char *labels[] = { test_label, NULL };
	struct docker *d = NULL;
	cJSON *list = NULL;
	int left = 0;

	cleanup();
	/* nothing of ours is left */
	if (docker_open(&d, getenv("DOCKER_HOST"), NULL) == 0 && docker_negotiate(d) == 0) {
		if (docker_container_list(d, &list, labels) == 0)
			left += cJSON_GetArraySize(list);
		cJSON_Delete(list);
		list = NULL;
		if (docker_network_list(d, &list, labels) == 0)
			left += cJSON_GetArraySize(list);
		cJSON_Delete(list);
		list = NULL;
		if (docker_volume_list(d, &list, labels) == 0)
			left += cJSON_GetArraySize(list);
		cJSON_Delete(list);
	}
	docker_close(d);
	curl_global_cleanup();
	if (left)
		fprintf(stderr, "itest_docker: %d objects labelled %s were left behind\n", left, test_label);
	return left ? -1 : 0;
}

static void docker__pings_and_negotiates_the_api_version(void **state)
{
	struct docker *d = NULL;

	assert_int_equal(docker_open(&d, itest_env("DOCKER_HOST"), NULL), 0);
	assert_int_equal(docker_ping(d), 0);
	assert_int_equal(docker_negotiate(d), 0);
	assert_true(strlen(d->api) >= 4);
	assert_true(strcmp(d->engine_version, "unknown"));
	docker_close(d);
}

static void docker__creates_starts_inspects_and_removes_a_container(void **state)
{
	struct docker *d = NULL;
	cJSON *spec, *cmd, *labels, *info = NULL, *st, *running;
	char name[64], *id = NULL;

	snprintf(name, sizeof(name), "dive-itest-%d", (int)getpid());
	assert_int_equal(docker_open(&d, itest_env("DOCKER_HOST"), NULL), 0);
	assert_int_equal(docker_negotiate(d), 0);

	spec = cJSON_CreateObject();
	cJSON_AddStringToObject(spec, "Image", itest_env("DIVE_BASE_IMAGE"));
	cmd = cJSON_AddArrayToObject(spec, "Cmd");
	cJSON_AddItemToArray(cmd, cJSON_CreateString("sleep"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("60"));
	labels = cJSON_AddObjectToObject(spec, "Labels");
	cJSON_AddStringToObject(labels, "dive.project", "itest");
	cJSON_AddStringToObject(labels, "dive.test", test_value);

	assert_int_equal(docker_container_create(d, &id, name, spec), 0);
	assert_non_null(id);
	/* the same name again is a conflict, with the engine's message */
	{
		char *id2 = NULL;

		assert_int_equal(docker_container_create(d, &id2, name, spec), DIVE_ECONFLICT);
		assert_non_null(strstr(dive_error_last(), "docker:"));
		assert_null(id2);
	}
	assert_int_equal(docker_container_start(d, id), 0);
	assert_int_equal(docker_container_inspect(d, &info, id), 0);
	st = cJSON_GetObjectItemCaseSensitive(info, "State");
	running = cJSON_GetObjectItemCaseSensitive(st, "Running");
	assert_true(cJSON_IsTrue(running));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(info, "Config"), "Labels"),
		"dive.project")->valuestring, "itest");
	cJSON_Delete(info);

	assert_int_equal(docker_container_remove(d, id, 1), 0);
	assert_int_equal(docker_container_inspect(d, &info, id), DIVE_ENOTFOUND);
	assert_null(info);
	free(id);
	cJSON_Delete(spec);
	docker_close(d);
}

static void docker__unreachable_engine_and_bad_hosts(void **state)
{
	struct docker *d = NULL;

	assert_int_equal(docker_open(&d, "ftp://x", NULL), DIVE_EUSAGE);
	assert_int_equal(docker_open(&d, "unix:///nonexistent/docker.sock", NULL), 0);
	assert_int_equal(docker_ping(d), DIVE_EUNAVAIL);
	assert_int_equal(docker_container_start(d, "bad name;rm"), DIVE_EUSAGE);
	docker_close(d);
}

/* A container of the base image running cmd (NULL: sleep 60), labelled, started. */
static char *run_base(struct docker *d, const char *name, const char *network, const char *const *cmd,
		      const char *role)
{
	cJSON *spec = cJSON_CreateObject(), *labels = labels_object(), *c, *hc;
	static const char *const sleeper[] = { "sleep", "60", NULL };
	char *id = NULL;
	int i;

	cJSON_AddStringToObject(spec, "Image", itest_env("DIVE_BASE_IMAGE"));
	c = cJSON_AddArrayToObject(spec, "Cmd");
	for (i = 0; (cmd ? cmd : sleeper)[i]; i++)
		cJSON_AddItemToArray(c, cJSON_CreateString((cmd ? cmd : sleeper)[i]));
	if (role)
		cJSON_AddStringToObject(labels, "dive.role", role);
	cJSON_AddItemToObject(spec, "Labels", labels);
	hc = cJSON_AddObjectToObject(spec, "HostConfig");
	if (network)
		cJSON_AddStringToObject(hc, "NetworkMode", network);
	assert_int_equal(docker_container_create(d, &id, name, spec), 0);
	assert_int_equal(docker_container_start(d, id), 0);
	cJSON_Delete(spec);
	return id;
}

static void docker__lists_containers_by_label_stops_waits_and_kills(void **state)
{
	struct docker *d = open_docker();
	const char *mine[] = { test_label, NULL };
	char role_a[64], name[64];
	const char *only_a[] = { test_label, role_a, NULL };
	static const char *const quick[] = { "sh", "-c", "exit 3", NULL };
	cJSON *list = NULL;
	char *a, *b;
	int code = -1;

	snprintf(role_a, sizeof(role_a), "dive.role=a");
	snprintf(name, sizeof(name), "dive-itest-a-%d", (int)getpid());
	a = run_base(d, name, NULL, NULL, "a");
	snprintf(name, sizeof(name), "dive-itest-b-%d", (int)getpid());
	b = run_base(d, name, NULL, quick, "b");

	assert_int_equal(docker_container_list(d, &list, mine), 0);
	assert_int_equal(cJSON_GetArraySize(list), 2);
	cJSON_Delete(list);
	assert_int_equal(docker_container_list(d, &list, only_a), 0);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "Id")->valuestring, a);
	cJSON_Delete(list);

	/* b exits by itself with 3; a is killed and reports 137 */
	assert_int_equal(docker_container_wait(d, &code, b, 20000), 0);
	assert_int_equal(code, 3);
	assert_int_equal(docker_container_wait(d, &code, a, 300), DIVE_ETIMEOUT);
	assert_int_equal(docker_container_kill(d, a, "SIGKILL"), 0);
	assert_int_equal(docker_container_wait(d, &code, a, 20000), 0);
	assert_int_equal(code, 137);
	/* not running: kill conflicts, stop is already done */
	assert_int_equal(docker_container_kill(d, a, NULL), DIVE_ECONFLICT);
	assert_int_equal(docker_container_stop(d, a, 1), 0);

	assert_int_equal(docker_container_remove(d, a, 0), 0);
	assert_int_equal(docker_container_remove(d, a, 0), DIVE_ENOTFOUND);
	assert_int_equal(docker_container_remove(d, a, DOCKER_REMOVE_IGNORE_MISSING), 0);
	assert_int_equal(docker_container_remove(d, b, DOCKER_REMOVE_FORCE), 0);
	assert_int_equal(docker_container_list(d, &list, mine), 0);
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	free(a);
	free(b);
	docker_close(d);
}

static void docker__creates_connects_with_an_alias_and_removes_a_network(void **state)
{
	struct docker *d = open_docker();
	const char *mine[] = { test_label, NULL };
	char net[64], alias[64], name[64];
	const char *aliases[] = { alias, NULL };
	const char *lookup[] = { "nslookup", alias, NULL };
	cJSON *spec = cJSON_CreateObject(), *list = NULL, *info = NULL, *eps, *ep, *al, *it;
	char *net_id = NULL, *id2 = NULL, *svc, *client;
	int code = -1, found = 0;

	snprintf(net, sizeof(net), "dive-itest-net-%d", (int)getpid());
	snprintf(alias, sizeof(alias), "svc-%d", (int)getpid());
	cJSON_AddItemToObject(spec, "Labels", labels_object());
	assert_int_equal(docker_network_create(d, &net_id, net, spec), 0);
	assert_non_null(net_id);
	/* CheckDuplicate: the same name again is refused */
	assert_int_equal(docker_network_create(d, &id2, net, spec), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "already exists"));
	assert_null(id2);

	assert_int_equal(docker_network_list(d, &list, mine), 0);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, 0), "Name")->valuestring, net);
	cJSON_Delete(list);

	snprintf(name, sizeof(name), "dive-itest-svc-%d", (int)getpid());
	svc = run_base(d, name, NULL, NULL, NULL);
	assert_int_equal(docker_network_connect(d, net, svc, aliases), 0);
	assert_int_equal(docker_network_connect(d, net, svc, aliases), DIVE_ECONFLICT);
	assert_int_equal(docker_container_inspect(d, &info, svc), 0);
	eps = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(info, "NetworkSettings"), "Networks");
	ep = cJSON_GetObjectItemCaseSensitive(eps, net);
	al = cJSON_GetObjectItemCaseSensitive(ep, "Aliases");
	cJSON_ArrayForEach(it, al)
		found |= cJSON_IsString(it) && !strcmp(it->valuestring, alias);
	assert_true(found);
	cJSON_Delete(info);

	/* another container on the network resolves the alias through the engine's DNS */
	snprintf(name, sizeof(name), "dive-itest-client-%d", (int)getpid());
	client = run_base(d, name, net, lookup, NULL);
	assert_int_equal(docker_container_wait(d, &code, client, 20000), 0);
	assert_int_equal(code, 0);

	/* in use: refused; after disconnect and removal of the client: removed */
	assert_int_equal(docker_network_remove(d, net, 0), DIVE_ECONFLICT);
	assert_int_equal(docker_network_disconnect(d, net, svc, 0), 0);
	assert_int_equal(docker_container_remove(d, client, DOCKER_REMOVE_FORCE), 0);
	assert_int_equal(docker_network_inspect(d, &info, net_id), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(info, "Name")->valuestring, net);
	cJSON_Delete(info);
	assert_int_equal(docker_network_remove(d, net, 0), 0);
	assert_int_equal(docker_network_remove(d, net, 0), DIVE_ENOTFOUND);
	assert_int_equal(docker_network_remove(d, net, DOCKER_REMOVE_IGNORE_MISSING), 0);
	assert_int_equal(docker_network_inspect(d, &info, net_id), DIVE_ENOTFOUND);

	assert_int_equal(docker_container_remove(d, svc, DOCKER_REMOVE_FORCE), 0);
	free(svc);
	free(client);
	free(net_id);
	cJSON_Delete(spec);
	docker_close(d);
}

static void docker__creates_lists_and_removes_a_volume_by_label(void **state)
{
	struct docker *d = open_docker();
	const char *mine[] = { test_label, NULL };
	cJSON *labels = labels_object(), *vol = NULL, *list = NULL;
	char name[64];

	snprintf(name, sizeof(name), "dive-itest-vol-%d", (int)getpid());
	assert_int_equal(docker_volume_create(d, &vol, name, labels), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(vol, "Name")->valuestring, name);
	cJSON_Delete(vol);
	/* creating it again answers with the same volume */
	assert_int_equal(docker_volume_create(d, NULL, name, labels), 0);
	assert_int_equal(docker_volume_list(d, &list, mine), 0);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	cJSON_Delete(list);
	assert_int_equal(docker_volume_inspect(d, &vol, name), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(vol, "Labels"), "dive.test")->valuestring, test_value);
	cJSON_Delete(vol);

	assert_int_equal(docker_volume_remove(d, name, 0), 0);
	assert_int_equal(docker_volume_remove(d, name, 0), DIVE_ENOTFOUND);
	assert_int_equal(docker_volume_remove(d, name, DOCKER_REMOVE_IGNORE_MISSING), 0);
	assert_int_equal(docker_volume_list(d, &list, mine), 0);
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	cJSON_Delete(labels);
	docker_close(d);
}

static void docker__build_failure_returns_the_engine_message(void **state)
{
	static const char dockerfile[] = "ARG BASE\nFROM ${BASE}\nRUN echo failing && false\n";
	struct docker *d = open_docker();
	struct docker_build_opts o = { 0 };
	cJSON *args = cJSON_CreateObject(), *labels = labels_object(), *info = NULL;
	struct tar t;
	char name[80];
	char *id = NULL;

	snprintf(name, sizeof(name), "dive/standin-itest:%d-broken", (int)getpid());
	cJSON_AddStringToObject(args, "BASE", itest_env("DIVE_BASE_IMAGE"));
	o.buildargs = args;
	o.labels = labels;
	o.timeout_ms = 120000;
	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_file(&t, "Dockerfile", dockerfile, strlen(dockerfile), 0644), 0);
	assert_int_equal(tar_finish(&t), 0);
	assert_int_equal(docker_image_build(d, &id, name, t.out.ptr, t.out.len, &o), DIVE_EFAIL);
	assert_null(id);
	assert_non_null(strstr(dive_error_last(), "cannot build image"));
	assert_non_null(strstr(dive_error_last(), "returned a non-zero code: 1"));
	assert_int_equal(docker_image_inspect(d, &info, name), DIVE_ENOTFOUND);
	tar_release(&t);
	cJSON_Delete(args);
	cJSON_Delete(labels);
	docker_close(d);
}

struct health_wait {
	const char *id;
	const char *want;        /* "health_status: healthy" */
	long long at_ms;
	long long delivery_us;   /* from the event's timeNano to its arrival here */
	int events;
};

static int on_health(void *arg, const struct docker_event *ev)
{
	struct health_wait *w = arg;

	w->events++;
	if (strcmp(ev->id, w->id) || strcmp(ev->action, w->want))
		return 0;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		w->delivery_us = ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec - ev->time_nano) / 1000;
	}
	w->at_ms = now_ms();
	return 1;
}

/* Wait for the health event want of container id, with events since since. */
static long long wait_health(struct docker *d, const char *id, const char *want, const char *since)
{
	cJSON *filters = cJSON_CreateObject(), *a;
	struct docker_events_opts o = { 0 };
	struct health_wait w = { 0 };
	int rc;

	a = cJSON_AddArrayToObject(filters, "type");
	cJSON_AddItemToArray(a, cJSON_CreateString("container"));
	a = cJSON_AddArrayToObject(filters, "event");
	cJSON_AddItemToArray(a, cJSON_CreateString("health_status"));
	a = cJSON_AddArrayToObject(filters, "label");
	cJSON_AddItemToArray(a, cJSON_CreateString(test_label));
	o.filters = filters;
	o.since = since;
	o.timeout_ms = 30000;
	w.id = id;
	w.want = want;
	rc = docker_events(d, &o, on_health, &w);
	if (rc != 0)
		fail_msg("no '%s' event for %.12s: %s", want, id, dive_error_last());
	fprintf(stderr, "standin: '%s' reached the client %lld us after the engine stamped it\n", want,
		w.delivery_us);
	cJSON_Delete(filters);
	return w.at_ms;
}

static char *run_standin(struct docker *d, const char *name, const char *health, long start_period_ns)
{
	cJSON *spec = cJSON_CreateObject(), *env, *hc, *test, *host, *pb, *bind, *b;
	char *id = NULL;
	char h[64];

	cJSON_AddStringToObject(spec, "Image", standin_image);
	env = cJSON_AddArrayToObject(spec, "Env");
	snprintf(h, sizeof(h), "HEALTH=%s", health);
	cJSON_AddItemToArray(env, cJSON_CreateString(h));
	cJSON_AddItemToArray(env, cJSON_CreateString("STARTUP_DELAY_MS=300"));
	cJSON_AddItemToObject(spec, "Labels", labels_object());
	hc = cJSON_AddObjectToObject(spec, "Healthcheck");
	test = cJSON_AddArrayToObject(hc, "Test");
	cJSON_AddItemToArray(test, cJSON_CreateString("CMD"));
	cJSON_AddItemToArray(test, cJSON_CreateString("/dive/health"));
	cJSON_AddNumberToObject(hc, "Interval", 100e6);
	cJSON_AddNumberToObject(hc, "Timeout", 2e9);
	cJSON_AddNumberToObject(hc, "Retries", 2);
	cJSON_AddNumberToObject(hc, "StartPeriod", (double)start_period_ns);
	cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "ExposedPorts"), "8080/tcp");
	host = cJSON_AddObjectToObject(spec, "HostConfig");
	pb = cJSON_AddObjectToObject(host, "PortBindings");
	bind = cJSON_AddArrayToObject(pb, "8080/tcp");
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "HostIp", "127.0.0.1");
	cJSON_AddStringToObject(b, "HostPort", "");
	cJSON_AddItemToArray(bind, b);
	assert_int_equal(docker_container_create(d, &id, name, spec), 0);
	assert_int_equal(docker_container_start(d, id), 0);
	cJSON_Delete(spec);
	return id;
}

/* GET http://127.0.0.1:<published port>/health/ of container id; returns the status. */
static long get_health(struct docker *d, const char *id, struct dive_buf *body)
{
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	cJSON *info = NULL, *ports, *bind;
	char url[128];
	long status;
	int rc = -1, tries;

	assert_int_equal(docker_container_inspect(d, &info, id), 0);
	ports = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(info, "NetworkSettings"), "Ports");
	bind = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ports, "8080/tcp"), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(bind, "HostIp")->valuestring, "127.0.0.1");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/health/",
		 cJSON_GetObjectItemCaseSensitive(bind, "HostPort")->valuestring);
	cJSON_Delete(info);
	req.url = url;
	req.timeout_ms = 5000;
	req.max_body = 4096;
	/* the engine's port proxy may drop the very first connection under load: ask up to 3 times */
	for (tries = 0; tries < 3; tries++) {
		if ((rc = http_perform(NULL, &req, &resp)) == 0)
			break;
		fprintf(stderr, "standin: health fetch failed (%s), trying again\n", dive_error_last());
		http_resp_release(&resp);
		usleep(300000);
	}
	assert_int_equal(rc, 0);
	status = resp.status;
	dive_buf_adds(body, dive_buf_str(&resp.body));
	http_resp_release(&resp);
	return status;
}

static void docker__builds_the_standin_and_sees_its_health_events_and_logs(void **state)
{
	struct docker *d = open_docker();
	struct docker_build_opts o = { 0 };
	struct docker_logs_opts lo = { 0 };
	cJSON *args = cJSON_CreateObject(), *labels = labels_object(), *img = NULL, *tagged = NULL;
	struct dive_buf out, err, body;
	char dir[1024], since[40], name[64], tag[32];
	const char *src = getenv("DIVE_SOURCE_DIR");
	char *image_id = NULL, *ok, *bad;
	long long t0, t_started, t_healthy, t_unhealthy;
	int code = -1;

	/* build through the client: the directory as a tar context, FROM the local base */
	snprintf(dir, sizeof(dir), "%s/images/standin", src && *src ? src : DIVE_SOURCE_DIR);
	cJSON_AddStringToObject(args, "BASE", itest_env("DIVE_BASE_IMAGE"));
	o.buildargs = args;
	o.labels = labels;
	o.timeout_ms = 300000;
	t0 = now_ms();
	assert_int_equal(docker_image_build_dir(d, &image_id, standin_image, dir, &o), 0);
	fprintf(stderr, "standin: built %s (%.12s) in %lld ms\n", standin_image, image_id + 7, now_ms() - t0);
	assert_int_equal(docker_image_inspect(d, &img, standin_image), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(img, "Id")->valuestring, image_id);
	snprintf(tag, sizeof(tag), "%d-tagged", (int)getpid());
	assert_int_equal(docker_image_tag(d, standin_image, "dive/standin-itest", tag), 0);
	assert_int_equal(docker_image_inspect(d, &tagged, standin_tag), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(tagged, "Id")->valuestring, image_id);
	cJSON_Delete(tagged);
	cJSON_Delete(img);

	/* events since just before the containers start, so none is missed */
	docker_events_time(since, sizeof(since), 1000);
	snprintf(name, sizeof(name), "dive-itest-ok-%d", (int)getpid());
	ok = run_standin(d, name, "ok", 10000000000L);
	t_started = now_ms();
	snprintf(name, sizeof(name), "dive-itest-fail-%d", (int)getpid());
	bad = run_standin(d, name, "fail", 0);

	t_healthy = wait_health(d, ok, "health_status: healthy", since);
	fprintf(stderr, "standin: 'health_status: healthy' %lld ms after start returned (STARTUP_DELAY_MS=300, "
		"interval 100 ms)\n", t_healthy - t_started);
	t_unhealthy = wait_health(d, bad, "health_status: unhealthy", since);
	fprintf(stderr, "standin: 'health_status: unhealthy' %lld ms after start returned (retries 2)\n",
		t_unhealthy - t_started);

	/* the HTTP endpoint, through the port published on 127.0.0.1 */
	dive_buf_init(&body, 4096);
	assert_int_equal(get_health(d, ok, &body), 200);
	assert_string_equal(dive_buf_str(&body), "healthy\n");
	dive_buf_reset(&body);
	assert_int_equal(get_health(d, bad, &body), 503);
	assert_string_equal(dive_buf_str(&body), "unhealthy: HEALTH=fail\n");
	dive_buf_release(&body);

	/* logs through the frame parser: lifecycle on stdout, configuration on stderr */
	dive_buf_init(&out, 1 << 16);
	dive_buf_init(&err, 1 << 16);
	lo.tail = 50;
	assert_int_equal(docker_container_logs_collect(d, &out, &err, ok, &lo), 0);
	assert_non_null(strstr(dive_buf_str(&out), "standin: starting: port 8080, health ok, startup delay 0.300s\n"));
	assert_non_null(strstr(dive_buf_str(&out), "standin: ready: serving /health/ on port 8080\n"));
	assert_null(strstr(dive_buf_str(&out), "config"));
	assert_string_equal(dive_buf_str(&err), "standin: config: PORT=8080 HEALTH=ok\n");
	dive_buf_release(&out);
	dive_buf_release(&err);

	/* SIGTERM ends it at once with 0 */
	t0 = now_ms();
	assert_int_equal(docker_container_stop(d, ok, 10), 0);
	assert_int_equal(docker_container_wait(d, &code, ok, 20000), 0);
	assert_int_equal(code, 0);
	fprintf(stderr, "standin: stopped in %lld ms\n", now_ms() - t0);

	assert_int_equal(docker_container_remove(d, ok, DOCKER_REMOVE_FORCE), 0);
	assert_int_equal(docker_container_remove(d, bad, DOCKER_REMOVE_FORCE), 0);
	assert_int_equal(docker_image_remove(d, standin_tag, 0), 0);
	assert_int_equal(docker_image_remove(d, standin_image, 0), 0);
	assert_int_equal(docker_image_inspect(d, &img, standin_image), DIVE_ENOTFOUND);
	assert_int_equal(docker_image_remove(d, standin_image, DOCKER_REMOVE_IGNORE_MISSING), 0);
	free(ok);
	free(bad);
	free(image_id);
	cJSON_Delete(args);
	cJSON_Delete(labels);
	docker_close(d);
}

static int never_stop(void *arg, const struct docker_event *ev)
{
	return 0;
}

static void docker__events_stop_at_their_deadline(void **state)
{
	struct docker *d = open_docker();
	struct docker_events_opts o = { 0 };
	cJSON *filters = cJSON_CreateObject();
	char none[64];
	long long t0, ms;

	snprintf(none, sizeof(none), "dive.test=none-%d", (int)getpid());
	cJSON_AddItemToArray(cJSON_AddArrayToObject(filters, "label"), cJSON_CreateString(none));
	o.filters = filters;
	o.timeout_ms = 400;
	t0 = now_ms();
	assert_int_equal(docker_events(d, &o, never_stop, NULL), DIVE_ETIMEOUT);
	ms = now_ms() - t0;
	assert_true(ms >= 350 && ms < 5000);
	assert_non_null(strstr(dive_error_last(), "deadline of 400 ms"));

	/* with until in the past, the engine replays and ends the stream: success */
	{
		char since[40], until[40];

		docker_events_time(since, sizeof(since), 2000);
		docker_events_time(until, sizeof(until), 1000);
		o.since = since;
		o.until = until;
		o.timeout_ms = 10000;
		assert_int_equal(docker_events(d, &o, never_stop, NULL), 0);
	}
	cJSON_Delete(filters);
	docker_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docker__pings_and_negotiates_the_api_version),
		cmocka_unit_test(docker__creates_starts_inspects_and_removes_a_container),
		cmocka_unit_test(docker__unreachable_engine_and_bad_hosts),
		cmocka_unit_test(docker__lists_containers_by_label_stops_waits_and_kills),
		cmocka_unit_test(docker__creates_connects_with_an_alias_and_removes_a_network),
		cmocka_unit_test(docker__creates_lists_and_removes_a_volume_by_label),
		cmocka_unit_test(docker__build_failure_returns_the_engine_message),
		cmocka_unit_test(docker__builds_the_standin_and_sees_its_health_events_and_logs),
		cmocka_unit_test(docker__events_stop_at_their_deadline),
	};

	return cmocka_run_group_tests_name("docker", tests, setup, teardown);
}
