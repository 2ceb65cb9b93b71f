/* image_copy.c - an image from one engine to another through a bounded pipe (see image_copy.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dive/bytepipe.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/image_copy.h"
#include "dive/log.h"

struct copy_ctx {
	const struct image_copy_opts *o;
	const char *image;
	struct bytepipe pipe;
	long long deadline;
	/* the export thread's outcome: its error lives in its own thread-local slot, so it is copied here */
	int export_rc;
	int export_code;
	int export_stopped_by_reader;   /* the load gave up first: the export's error is not the cause */
	char export_msg[768];
	int read_failed;                /* the load's reader saw the export abort or time out */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The image id on d, "" when the image is not there; other failures are returned. */
static int image_id(char *out, size_t n, struct docker *d, const char *image)
{
	cJSON *info = NULL;
	const cJSON *id;
	int rc = docker_image_inspect(d, &info, image);

	out[0] = '\0';
	if (rc == DIVE_ENOTFOUND) {
		dive_error_clear();
		return 0;
	}
	if (rc == 0) {
		id = cJSON_GetObjectItemCaseSensitive(info, "Id");
		if (cJSON_IsString(id) && strlen(id->valuestring) < n)
			snprintf(out, n, "%s", id->valuestring);
		else
			rc = dive_error_set(DIVE_EFAIL, "docker: image '%s' has no usable id", image);
	}
	cJSON_Delete(info);
	return rc;
}

static int on_export_data(void *arg, const char *p, size_t n)
{
	struct copy_ctx *c = arg;
	int rc = bytepipe_write(&c->pipe, p, n, c->deadline);

	if (rc == DIVE_EFAIL) /* bytepipe.h: the reader closed its side */
		c->export_stopped_by_reader = 1;
	return rc;
}

static void *export_main(void *arg)
{
	struct copy_ctx *c = arg;
	long left = (long)(c->deadline - now_ms());
	int rc = docker_image_export(c->o->from, c->image, left > 0 ? left : 1, on_export_data, c);

	if (rc < 0) {
		c->export_code = dive_error_last_code();
		snprintf(c->export_msg, sizeof(c->export_msg), "%s", dive_error_last());
	}
	c->export_rc = rc;
	bytepipe_close_write(&c->pipe, rc);
	return NULL;
}

static long read_body(void *arg, char *buf, size_t n)
{
	struct copy_ctx *c = arg;
	long got = bytepipe_read(&c->pipe, buf, n, c->deadline);

	if (got < 0)
		c->read_failed = 1;
	return got;
}

/* "cannot copy image ...: <detail>" keeping the detail's code, or ERRC_IMAGE_COPY. */
static int copy_error(const struct copy_ctx *c, int rc, int code, const char *detail)
{
	const struct image_copy_opts *o = c->o;

	dive_error_set(rc, "cannot copy image '%s' from engine '%s' to '%s': %s", c->image, o->from_name, o->to_name,
		       detail);
	dive_error_set_code(code ? code : ERRC_IMAGE_COPY);
	return rc;
}

int image_copy(struct image_copy_result *out, const struct image_copy_opts *o, const char *image)
{
	struct copy_ctx c;
	char to_id[80], loaded[256], msg[768];
	long long t0 = now_ms();
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : DOCKER_TRANSFER_TIMEOUT_MS;
	pthread_t th;
	int rc, load_rc, load_code;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.image = image;
	snprintf(out->image, sizeof(out->image), "%.128s", image ? image : "");
	if (!image || !*image)
		return dive_error_set(DIVE_EUSAGE, "no image to copy");
	if ((rc = image_id(out->id, sizeof(out->id), o->from, image)) < 0)
		return rc;
	if (!out->id[0]) {
		dive_error_set(DIVE_ENOTFOUND, "image '%s' is not on engine '%s' ('dive images build' makes it there)", image,
			       o->from_name);
		dive_error_set_code(ERRC_IMAGE_MISSING);
		return DIVE_ENOTFOUND;
	}
	if ((rc = image_id(to_id, sizeof(to_id), o->to, image)) < 0)
		return rc;
	if (!strcmp(to_id, out->id)) {
		out->ms = now_ms() - t0;
		return 0; /* the same image is there: nothing to send */
	}
	out->copied = 1;
	if (o->dry_run)
		return 0;

	c.deadline = t0 + timeout;
	bytepipe_init(&c.pipe, o->pipe_bytes ? o->pipe_bytes : IMAGE_COPY_PIPE_DEFAULT);
	if (pthread_create(&th, NULL, export_main, &c) != 0) {
		bytepipe_release(&c.pipe);
		return dive_error_set(DIVE_EFAIL, "cannot start the export of image '%s'", image);
	}
	load_rc = docker_image_load(o->to, timeout, read_body, &c, loaded, sizeof(loaded));
	load_code = dive_error_last_code();
	snprintf(msg, sizeof(msg), "%s", load_rc < 0 ? dive_error_last() : "");
	bytepipe_close_read(&c.pipe); /* a writer still waiting for room stops now */
	pthread_join(th, NULL);
	out->bytes = c.pipe.total;
	bytepipe_release(&c.pipe);
	out->ms = now_ms() - t0;
	dive_debug("image copy %s %s -> %s: %llu bytes in %lld ms (export %d, load %d)", image, o->from_name,
		   o->to_name, out->bytes, out->ms, c.export_rc, load_rc);

	/* the side that failed first is the cause */
	if (c.export_rc < 0 && !c.export_stopped_by_reader)
		return copy_error(&c, c.export_rc, c.export_code, c.export_msg);
	if (load_rc < 0)
		return copy_error(&c, load_rc, load_code, msg);
	if (c.export_rc < 0)
		return copy_error(&c, c.export_rc, c.export_code, c.export_msg);
	if ((rc = image_id(to_id, sizeof(to_id), o->to, image)) < 0)
		return rc;
	if (strcmp(to_id, out->id)) {
		snprintf(msg, sizeof(msg), "after the load it is %s there, not %s", to_id[0] ? to_id : "missing", out->id);
		return copy_error(&c, DIVE_EFAIL, ERRC_IMAGE_COPY, msg);
	}
	return 0;
}
