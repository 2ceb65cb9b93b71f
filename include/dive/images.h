/*
 * images.h - local images: what `dive images build` makes, and how the
 * production image names of the stack files map to them (the local profile).
 *
 * Recipes are a table (src/engine/images.c): the local name, the production
 * names it stands for, and either a build context kept in images/<name>/
 * or the host files it copies in, listed with the Debian package of each
 * in images/<name>/host-files (hostfiles.h; programs come with the shared
 * libraries ldd says they load), plus images/<name>/{entry,health}.  A build
 * is skipped when an image with the same recipe hash exists.
 */
#ifndef DIVE_IMAGES_H
#define DIVE_IMAGES_H

#include <stddef.h>

#include "dive/docker.h"

struct image_recipe;

size_t images_count(void);
const char *images_name(size_t i);         /* "postgres" */
const char *images_local(size_t i);        /* "dive/postgres:local" */
/* 1 when the image is made of host files (images/<name>/host-files, hostfiles.h), 0 for a build context. */
int images_from_host(size_t i);
/* Every name is a recipe's (images_name): 0, or DIVE_EUSAGE naming the first that is not. */
int images_check_names(const char *const *names, size_t n);

/*
 * The local image for a production image name ("postgres:15-alpine" ->
 * "dive/postgres:local"); NULL when none stands for it.
 */
const char *images_map(const char *production);

struct images_report {
	const char *name;
	int built;          /* 0: up to date, skipped */
	long long ms;
	char id[80];
};

/*
 * Build the named images (NULL: all) in dependency order (base first).
 * source_dir is the repository (for images/); progress lines go to log
 * (may be NULL).  dry_run: only say what would be built.
 */
int images_build(struct docker *d, const char *const *names, size_t nnames, const char *source_dir, int dry_run,
		 void (*log)(void *arg, const char *line), void *arg, struct images_report *out, size_t *nout);

#endif
