/* docker_build.c - image build from a tar context, with the JSON-lines answer parsed as it comes (see docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/tar.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define BUILD_TIMEOUT_MS (10L * 60 * 1000)
#define BUILD_ERROR_MAX 768

struct build_ctx {
	struct docker_lines lines;
	const struct docker_build_opts *o;
	char *id;                   /* aux.ID */
	char error[BUILD_ERROR_MAX]; /* the engine's first error message */
	char last[256];             /* the last output line, for context */
};

static int on_build_line(void *arg, char *line, size_t len)
{
	struct build_ctx *c = arg;
	struct docker_msg m;
	const cJSON *id;
	int rc = docker_msg_parse(&m, line, len, "build");

	if (rc < 0)
		return rc;
	id = m.aux ? cJSON_GetObjectItemCaseSensitive(m.aux, "ID") : NULL;
	if (m.stream) {
		if (c->o && c->o->on_output)
			c->o->on_output(c->o->arg, m.stream);
		if (strspn(m.stream, " \r\n") < strlen(m.stream))
			docker_trim_copy(c->last, sizeof(c->last), m.stream);
	}
	/* keep the first error: later lines only repeat or follow from it */
	if (!c->error[0] && m.error)
		docker_trim_copy(c->error, sizeof(c->error), m.error);
	if (cJSON_IsString(id) && !c->id && strlen(id->valuestring) <= 128)
		c->id = xstrdup(id->valuestring);
	docker_msg_release(&m);
	return 0;
}

static int on_build_data(void *arg, const char *p, size_t n)
{
	struct build_ctx *c = arg;

	return docker_lines_feed(&c->lines, p, n);
}

/* Append "&key=" and the URL-encoded JSON object obj. */
static int add_json_param(struct dive_buf *q, const char *key, const cJSON *obj, const char *name)
{
	const cJSON *it;
	int rc;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return dive_error_set(DIVE_EUSAGE, "build %s for image '%s' are not an object", key, name);
	cJSON_ArrayForEach(it, obj)
		if (!cJSON_IsString(it))
			return dive_error_set(DIVE_EUSAGE, "build %s for image '%s': '%.64s' is not a string", key, name,
					      it->string);
	if ((rc = dive_buf_printf(q, "&%s=", key)) < 0)
		return rc;
	return docker_filters_encode(q, obj); /* the same encoding as filters: JSON, URL-encoded */
}

int docker_image_build(struct docker *d, char **out_id, const char *name, const void *context, size_t len,
		       const struct docker_build_opts *o)
{
	struct docker_op op = { 0 };
	struct build_ctx c;
	struct dive_buf q;
	char *what = NULL;
	int rc;

	if (out_id)
		*out_id = NULL;
	if ((rc = docker_check_ref("image", name)) < 0)
		return rc;
	if (!context || len == 0 || len > DOCKER_BUILD_MAX_CONTEXT)
		return dive_error_set(DIVE_EUSAGE, "build context for image '%s' is empty or larger than %u bytes",
				      name, DOCKER_BUILD_MAX_CONTEXT);
	if (o && o->dockerfile && (rc = docker_check_ref("dockerfile path", o->dockerfile)) < 0)
		return rc;

	memset(&c, 0, sizeof(c));
	c.o = o;
	docker_lines_init(&c.lines, DOCKER_BUILD_MAX_LINE, on_build_line, &c);
	dive_buf_init(&q, 64 << 10);
	rc = dive_buf_adds(&q, "/build?t=");
	if (rc == 0)
		rc = http_urlencode(&q, name);
	/*
	 * rm/forcerm: no intermediate containers stay behind, even when a step
	 * fails; networkmode=none: a build reads only its context (images are
	 * built from host programs, nothing is fetched), so it needs no network
	 * and does not depend on the engine's default bridge
	 */
	if (rc == 0)
		rc = dive_buf_adds(&q, "&rm=1&forcerm=1&networkmode=none");
	if (rc == 0 && o && o->nocache)
		rc = dive_buf_adds(&q, "&nocache=1");
	if (rc == 0 && o && o->dockerfile && (rc = dive_buf_adds(&q, "&dockerfile=")) == 0)
		rc = http_urlencode(&q, o->dockerfile);
	if (rc == 0 && o)
		rc = add_json_param(&q, "labels", o->labels, name);
	if (rc == 0 && o)
		rc = add_json_param(&q, "buildargs", o->buildargs, name);
	if (rc < 0)
		goto out;

	what = xasprintf("build image '%s'", name);
	op.method = "POST";
	op.path = dive_buf_str(&q);
	op.what = what;
	op.code_fail = ERRC_IMAGE_MISSING;
	op.timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : BUILD_TIMEOUT_MS;
	rc = docker_stream_run(d, &op, "application/x-tar", context, len, on_build_data, &c);
	if (rc == 0)
		rc = docker_lines_finish(&c.lines);
	if (rc == DIVE_ETIMEOUT && d->last_status >= 200 && d->last_status < 300)
		rc = dive_error_set(DIVE_ETIMEOUT, "docker: cannot %s: not done in %ld ms (last step: %s)", what,
				    op.timeout_ms, c.last[0] ? c.last : "none");
	if (rc == 0 && c.error[0]) {
		/* the engine answers 200 and reports the failure in the stream */
		rc = dive_error_set(DIVE_EFAIL, "docker: cannot %s: %s", what, c.error);
		dive_error_set_code(ERRC_IMAGE_MISSING);
	}
	if (rc == 0 && out_id) {
		if (c.id) {
			*out_id = c.id;
			c.id = NULL;
		} else {
			cJSON *info = NULL;
			const cJSON *iid;

			/* an engine that does not report aux.ID: ask for the image */
			rc = docker_image_inspect(d, &info, name);
			iid = info ? cJSON_GetObjectItemCaseSensitive(info, "Id") : NULL;
			if (rc == 0 && cJSON_IsString(iid))
				*out_id = xstrdup(iid->valuestring);
			else if (rc == 0)
				rc = dive_error_set(DIVE_EFAIL, "docker built '%s' but reports no image id", name);
			cJSON_Delete(info);
		}
	}
out:
	free(c.id);
	free(what);
	docker_lines_release(&c.lines);
	dive_buf_release(&q);
	return rc;
}

int docker_image_build_dir(struct docker *d, char **out_id, const char *name, const char *dir,
			   const struct docker_build_opts *o)
{
	struct tar t;
	int rc;

	if (out_id)
		*out_id = NULL;
	tar_init(&t, DOCKER_BUILD_MAX_CONTEXT);
	rc = tar_add_tree(&t, "", dir);
	if (rc == 0)
		rc = tar_finish(&t);
	if (rc < 0)
		rc = dive_error_wrap(rc, "cannot build image '%s' from '%.200s'", name, dir);
	else
		rc = docker_image_build(d, out_id, name, t.out.ptr, t.out.len, o);
	tar_release(&t);
	return rc;
}
