/* itest_docker.c - the Engine API over the unix socket with libcurl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "dive/docker.h"
#include "dive/error.h"
#include "itest.h"

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static int teardown(void **state)
{
	curl_global_cleanup();
	return 0;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docker__pings_and_negotiates_the_api_version),
		cmocka_unit_test(docker__creates_starts_inspects_and_removes_a_container),
		cmocka_unit_test(docker__unreachable_engine_and_bad_hosts),
	};

	return cmocka_run_group_tests_name("docker", tests, setup, teardown);
}
