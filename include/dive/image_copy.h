/*
 * image_copy.h - images travel from engine to engine without a registry:
 * GET /images/{name}/get on the engine that has the image streams straight
 * into POST /images/load on the one that needs it.  A thread reads the
 * export into a bounded pipe (bytepipe.h) that the load reads from, so at
 * most pipe_bytes (plus libcurl's buffers) are held, whatever the image's
 * size.  An image whose id the target already has is not sent again; after
 * a load the target's id must equal the source's (the id is the digest of
 * the image's configuration, which export and load keep).
 *
 * Errors: DIVE_ENOTFOUND with ERRC_IMAGE_MISSING when the source lacks the
 * image; the failure of the side that failed first otherwise (export, load,
 * TLS, a deadline), worded "cannot copy image 'X' from 'A' to 'B': ...",
 * with ERRC_IMAGE_COPY unless it carries a code of its own.
 */
#ifndef DIVE_IMAGE_COPY_H
#define DIVE_IMAGE_COPY_H

#include <stddef.h>

#include "dive/docker.h"

#define IMAGE_COPY_PIPE_DEFAULT (4u << 20)

struct image_copy_opts {
	struct docker *from, *to;
	const char *from_name, *to_name;  /* the engines, for messages: "local", "b" */
	long timeout_ms;                  /* one image, end to end; 0: DOCKER_TRANSFER_TIMEOUT_MS */
	size_t pipe_bytes;                /* 0: IMAGE_COPY_PIPE_DEFAULT */
	int dry_run;                      /* compare ids only */
};

struct image_copy_result {
	char image[129];
	char id[80];                      /* the source's image id */
	int copied;                       /* 1: streamed (or would be, dry run); 0: the target had it */
	unsigned long long bytes;         /* the archive's size as it crossed */
	long long ms;
};

int image_copy(struct image_copy_result *out, const struct image_copy_opts *o, const char *image);

#endif
