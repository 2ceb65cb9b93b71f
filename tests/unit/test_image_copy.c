/*
 * test_image_copy.c - an image from one engine to another (image_copy.h)
 * against two fake engines: the source's export is produced in chunks, the
 * target's load pulls the body through the request's reader as curl would.
 * Checks that every byte arrives through a pipe far smaller than the image,
 * that a present id sends nothing, and that the failing side is named.
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
#include "dive/image_copy.h"

struct fake_engine {
	struct http_transport t;       /* first members: the fakes find their engine from them */
	struct docker_stream s;
	char id[80];                   /* the image's id here, "" when absent */
	size_t image_bytes;            /* export: the archive's size */
	size_t fail_export_after;      /* export: drop the connection after this many bytes (0: never) */
	const char *load_answer;       /* load: the JSON lines answered after the body */
	const char *loaded_id;         /* load: the id the image has once loaded */
	size_t received;               /* load: bytes read from the body */
	uint64_t sum;                  /* load: a running checksum of them */
	int loads, exports;
};

static uint64_t byte_at(size_t i)
{
	return (i * 2654435761u) >> 11 & 0xff;
}

static struct fake_engine *of_t(struct http_transport *t)
{
	return (struct fake_engine *)((char *)t - offsetof(struct fake_engine, t));
}

static struct fake_engine *of_s(struct docker_stream *s)
{
	return (struct fake_engine *)((char *)s - offsetof(struct fake_engine, s));
}

/* GET /images/NAME/json */
static int fake_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	struct fake_engine *e = of_t(t);
	char body[160];

	assert_non_null(strstr(req->url, "/images/dive/keycloak:local/json"));
	dive_buf_init(&resp->body, HTTP_DEFAULT_MAX_BODY);
	if (e->id[0]) {
		resp->status = 200;
		snprintf(body, sizeof(body), "{\"Id\":\"%s\",\"RepoTags\":[\"dive/keycloak:local\"]}", e->id);
	} else {
		resp->status = 404;
		snprintf(body, sizeof(body), "{\"message\":\"No such image: dive/keycloak:local\"}");
	}
	return dive_buf_adds(&resp->body, body);
}

static int export_stream(struct fake_engine *e, const struct http_req *req, long *status,
			 int (*on_data)(void *arg, long status, const char *p, size_t n), void *arg)
{
	char chunk[16384];
	size_t off = 0;

	e->exports++;
	*status = 200;
	while (off < e->image_bytes) {
		size_t n = sizeof(chunk) < e->image_bytes - off ? sizeof(chunk) : e->image_bytes - off, i;
		int rc;

		if (e->fail_export_after && off >= e->fail_export_after)
			return dive_error_set(DIVE_EFAIL, "request to '%s' failed: Connection reset by peer", req->url);
		for (i = 0; i < n; i++)
			chunk[i] = (char)byte_at(off + i);
		if ((rc = on_data(arg, 200, chunk, n)) != 0)
			return rc;
		off += n;
	}
	return 0;
}

static int load_stream(struct fake_engine *e, const struct http_req *req, long *status,
		       int (*on_data)(void *arg, long status, const char *p, size_t n), void *arg)
{
	char buf[65536];
	long n;

	e->loads++;
	assert_non_null(req->read_body); /* streamed, never a whole body */
	assert_null(req->body);
	while ((n = req->read_body(req->read_arg, buf, sizeof(buf))) > 0) {
		long i;

		for (i = 0; i < n; i++)
			e->sum += (unsigned char)buf[i] * (uint64_t)(e->received + (size_t)i + 1);
		e->received += (size_t)n;
	}
	if (n < 0)
		return dive_error_set(DIVE_EFAIL, "request to '%s' failed: Operation was aborted by an application callback",
				      req->url);
	*status = 200;
	if (e->loaded_id)
		snprintf(e->id, sizeof(e->id), "%s", e->loaded_id);
	return on_data(arg, 200, e->load_answer, strlen(e->load_answer));
}

static int fake_stream(struct docker_stream *s, const struct http_req *req, long *status,
		       int (*on_data)(void *arg, long status, const char *p, size_t n), void *arg)
{
	struct fake_engine *e = of_s(s);

	if (strstr(req->url, "/images/dive/keycloak:local/get"))
		return export_stream(e, req, status, on_data, arg);
	assert_non_null(strstr(req->url, "/images/load"));
	assert_string_equal(req->method, "POST");
	return load_stream(e, req, status, on_data, arg);
}

static uint64_t expected_sum(size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += byte_at(i) * (uint64_t)(i + 1);
	return sum;
}

struct pair {
	struct fake_engine a, b;
	struct docker *da, *db;
	struct image_copy_opts o;
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	p->a.t.perform = p->b.t.perform = fake_perform;
	p->a.s.perform = p->b.s.perform = fake_stream;
	snprintf(p->a.id, sizeof(p->a.id), "sha256:aaaa");
	p->a.image_bytes = 5u << 20;
	p->b.load_answer = "{\"stream\":\"Loaded image: dive/keycloak:local\\n\"}\r\n";
	p->b.loaded_id = "sha256:aaaa";
	assert_int_equal(docker_open(&p->da, "unix:///a.sock", &p->a.t), 0);
	assert_int_equal(docker_open(&p->db, "unix:///b.sock", &p->b.t), 0);
	p->da->stream = &p->a.s;
	p->db->stream = &p->b.s;
	p->o.from = p->da;
	p->o.to = p->db;
	p->o.from_name = "local";
	p->o.to_name = "b";
	p->o.pipe_bytes = 64u << 10; /* 1/80 of the image */
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	docker_close(p->da);
	docker_close(p->db);
	free(p);
	return 0;
}

static void image_copy__streams_every_byte_through_a_small_pipe(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), 0);
	assert_true(r.copied);
	assert_int_equal(r.bytes, 5u << 20);
	assert_int_equal(p->b.received, 5u << 20);
	assert_true(p->b.sum == expected_sum(5u << 20)); /* every byte, in order */
	assert_string_equal(r.id, "sha256:aaaa");
	assert_string_equal(p->b.id, "sha256:aaaa");
}

static void image_copy__the_same_id_on_the_target_sends_nothing(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	snprintf(p->b.id, sizeof(p->b.id), "sha256:aaaa");
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), 0);
	assert_false(r.copied);
	assert_int_equal(r.bytes, 0);
	assert_int_equal(p->a.exports, 0);
	assert_int_equal(p->b.loads, 0);
}

static void image_copy__another_id_on_the_target_is_replaced(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	snprintf(p->b.id, sizeof(p->b.id), "sha256:old");
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), 0);
	assert_true(r.copied);
	assert_int_equal(p->b.loads, 1);
}

static void image_copy__a_dry_run_compares_ids_only(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	p->o.dry_run = 1;
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), 0);
	assert_true(r.copied);
	assert_int_equal(p->a.exports + p->b.loads, 0);
}

static void image_copy__missing_on_the_source_is_image_missing(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	p->a.id[0] = '\0';
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), DIVE_ENOTFOUND);
	assert_int_equal(dive_error_last_code(), ERRC_IMAGE_MISSING);
	assert_non_null(strstr(dive_error_last(), "not on engine 'local'"));
}

static void image_copy__an_export_that_breaks_is_named_and_the_load_aborted(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	p->a.fail_export_after = 1u << 20;
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_DOCKER_UNREACHABLE); /* the cause's code: the engine dropped it */
	assert_non_null(strstr(dive_error_last(), "cannot copy image 'dive/keycloak:local' from engine 'local' to 'b'"));
	assert_non_null(strstr(dive_error_last(), "Connection reset by peer"));
	assert_string_equal(p->b.id, ""); /* the target never took a partial archive as an image */
}

static void image_copy__an_error_in_the_load_answer_fails_it(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	p->b.loaded_id = NULL;
	p->b.load_answer = "{\"errorDetail\":{\"message\":\"unexpected EOF\"},\"error\":\"unexpected EOF\"}\n";
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_IMAGE_COPY);
	assert_non_null(strstr(dive_error_last(), "unexpected EOF"));
}

static void image_copy__a_load_that_yields_another_id_fails(void **state)
{
	struct pair *p = *state;
	struct image_copy_result r;

	p->b.loaded_id = "sha256:bbbb";
	assert_int_equal(image_copy(&r, &p->o, "dive/keycloak:local"), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "sha256:bbbb there, not sha256:aaaa"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(image_copy__streams_every_byte_through_a_small_pipe),
		T(image_copy__the_same_id_on_the_target_sends_nothing),
		T(image_copy__another_id_on_the_target_is_replaced),
		T(image_copy__a_dry_run_compares_ids_only),
		T(image_copy__missing_on_the_source_is_image_missing),
		T(image_copy__an_export_that_breaks_is_named_and_the_load_aborted),
		T(image_copy__an_error_in_the_load_answer_fails_it),
		T(image_copy__a_load_that_yields_another_id_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
