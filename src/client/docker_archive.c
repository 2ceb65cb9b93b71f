/* docker_archive.c - files into and out of a container as tar archives (see docker.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/http.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define ARCHIVE_TIMEOUT_MS 60000L

static char *archive_path(const char *container, const char *path)
{
	struct dive_buf q;
	char *out;

	dive_buf_init(&q, 4096);
	dive_buf_printf(&q, "/containers/%s/archive?path=", container);
	http_urlencode(&q, path);
	out = dive_buf_detach(&q);
	return out;
}

static int check_args(const char *container, const char *path)
{
	int rc = docker_check_name("container", container);

	if (rc == 0 && (!path || path[0] != '/' || strlen(path) > 1024 || strstr(path, "/../")))
		rc = dive_error_set(DIVE_EUSAGE, "an archive path in a container is absolute, without '..' (got '%.100s')",
				    path ? path : "");
	return rc;
}

static int discard(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

int docker_container_put_archive(struct docker *d, const char *container, const char *path, const void *tar,
				 size_t len)
{
	struct docker_op op = { 0 };
	char *qpath, *what;
	int rc;

	if ((rc = check_args(container, path)) < 0)
		return rc;
	if (!tar || len == 0 || len > DOCKER_ARCHIVE_MAX)
		return dive_error_set(DIVE_EUSAGE, "an archive for '%s' is empty or larger than %u bytes", container,
				      DOCKER_ARCHIVE_MAX);
	qpath = archive_path(container, path);
	what = xasprintf("copy files into '%s:%s'", container, path);
	op.method = "PUT";
	op.path = qpath;
	op.what = what;
	op.code_notfound = ERRC_CONTAINER_START;
	op.code_fail = ERRC_CONTAINER_START;
	op.timeout_ms = ARCHIVE_TIMEOUT_MS;
	rc = docker_stream_run(d, &op, "application/x-tar", tar, len, discard, NULL);
	free(qpath);
	free(what);
	return rc;
}

static int collect(void *arg, const char *p, size_t n)
{
	struct dive_buf *b = arg;

	return dive_buf_add(b, p, n) < 0 ? dive_error_set(DIVE_ETOOBIG, "the archive is larger than %zu bytes", b->max)
					  : 0;
}

int docker_container_get_archive(struct docker *d, struct dive_buf *out, const char *container, const char *path,
				 size_t max)
{
	struct docker_op op = { 0 };
	char *qpath, *what;
	int rc;

	dive_buf_init(out, max);
	if ((rc = check_args(container, path)) < 0)
		return rc;
	qpath = archive_path(container, path);
	what = xasprintf("copy '%s:%s' out", container, path);
	op.path = qpath;
	op.what = what;
	op.timeout_ms = ARCHIVE_TIMEOUT_MS;
	rc = docker_stream_run(d, &op, NULL, NULL, 0, collect, out);
	if (rc == DIVE_ENOTFOUND || (rc < 0 && d->last_status == 404))
		rc = dive_error_set(DIVE_ENOTFOUND, "no '%s' in container '%s'", path, container);
	else if (rc > 0)
		rc = DIVE_ETOOBIG; /* collect stopped the transfer: message set */
	free(qpath);
	free(what);
	return rc;
}
