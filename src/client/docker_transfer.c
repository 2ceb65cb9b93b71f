/*
 * docker_transfer.c - images as tar streams: export (GET /images/{name}/get)
 * and load (POST /images/load), neither held whole in memory (see docker.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define LOAD_ERROR_MAX 768

int docker_image_export(struct docker *d, const char *name, long timeout_ms,
			int (*on_data)(void *arg, const char *p, size_t n), void *arg)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	if ((rc = docker_check_ref("image", name)) < 0)
		return rc;
	path = xasprintf("/images/%s/get", name);
	what = xasprintf("export image '%s'", name);
	op.path = path;
	op.what = what;
	op.code_notfound = ERRC_IMAGE_MISSING;
	op.code_fail = ERRC_IMAGE_COPY;
	op.timeout_ms = timeout_ms > 0 ? timeout_ms : DOCKER_TRANSFER_TIMEOUT_MS;
	rc = docker_stream_run(d, &op, NULL, NULL, 0, on_data, arg);
	if (rc == DIVE_ETIMEOUT && d->last_status >= 200 && d->last_status < 300) {
		rc = dive_error_set(DIVE_ETIMEOUT, "docker: cannot %s: not done in %ld ms", what, op.timeout_ms);
		dive_error_set_code(ERRC_IMAGE_COPY);
	}
	free(path);
	free(what);
	return rc;
}

struct load_ctx {
	struct docker_lines lines;
	char error[LOAD_ERROR_MAX];   /* the engine's first error */
	char *loaded;
	size_t loaded_n;
};

static int on_load_line(void *arg, char *line, size_t len)
{
	static const char prefix[] = "Loaded image: ";
	struct load_ctx *c = arg;
	struct docker_msg m;
	int rc = docker_msg_parse(&m, line, len, "load");

	if (rc < 0)
		return rc;
	if (!c->error[0] && m.error)
		docker_trim_copy(c->error, sizeof(c->error), m.error);
	if (m.stream && c->loaded && !c->loaded[0] && !strncmp(m.stream, prefix, sizeof(prefix) - 1))
		docker_trim_copy(c->loaded, c->loaded_n, m.stream + sizeof(prefix) - 1);
	docker_msg_release(&m);
	return 0;
}

static int on_load_data(void *arg, const char *p, size_t n)
{
	struct load_ctx *c = arg;

	return docker_lines_feed(&c->lines, p, n);
}

int docker_image_load(struct docker *d, long timeout_ms, long (*read_body)(void *arg, char *buf, size_t n), void *arg,
		      char *loaded, size_t n)
{
	struct docker_op op = { 0 };
	struct load_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	if (loaded && n)
		loaded[0] = '\0';
	c.loaded = loaded && n ? loaded : NULL;
	c.loaded_n = n;
	docker_lines_init(&c.lines, DOCKER_BUILD_MAX_LINE, on_load_line, &c);
	op.method = "POST";
	op.path = "/images/load?quiet=1";
	op.what = "load an image";
	op.code_fail = ERRC_IMAGE_COPY;
	op.timeout_ms = timeout_ms > 0 ? timeout_ms : DOCKER_TRANSFER_TIMEOUT_MS;
	op.read_body = read_body;
	op.read_arg = arg;
	rc = docker_stream_run(d, &op, "application/x-tar", NULL, 0, on_load_data, &c);
	if (rc == 0)
		rc = docker_lines_finish(&c.lines);
	if (rc == DIVE_ETIMEOUT && d->last_status >= 200 && d->last_status < 300)
		rc = dive_error_set(DIVE_ETIMEOUT, "docker: cannot load an image: not done in %ld ms", op.timeout_ms);
	if (rc == 0 && c.error[0])
		rc = dive_error_set(DIVE_EFAIL, "docker: cannot load an image: %s", c.error);
	if (rc < 0 && rc != DIVE_ETLS && !dive_error_last_code())
		dive_error_set_code(ERRC_IMAGE_COPY);
	docker_lines_release(&c.lines);
	return rc;
}
