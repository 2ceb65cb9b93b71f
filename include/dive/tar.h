/*
 * tar.h - a minimal ustar writer, in memory, with a hard maximum size
 * (build contexts for the Docker engine's POST /build).
 *
 * Entries are regular files (with their mode), directories and symbolic
 * links, added from memory or from a host path.  Every entry is a 512-byte
 * header and its data padded to a multiple of 512; tar_finish() adds the
 * two zero blocks that end the archive.  Owner and group are 0 (root) and
 * every entry gets the same mtime (tar->mtime, 0 unless set), so the same
 * inputs give the same bytes and the engine's build cache can reuse layers.
 *
 * Names are relative ("bin/x", never "/x", "..", "." components or empty
 * components), at most 255 bytes and split into ustar's prefix and name
 * fields; a name that cannot be split, a link target over 100 bytes or a
 * host file that is neither regular, directory nor symlink is DIVE_EUSAGE.
 * An entry that would make the archive (with its end blocks) exceed the
 * maximum is DIVE_ETOOBIG and leaves the archive as it was.
 *
 *   struct tar t;
 *   tar_init(&t, 64 << 20);
 *   if (tar_add_tree(&t, "", "images/standin") < 0 || tar_finish(&t) < 0) ...
 *   send(t.out.ptr, t.out.len);
 *   tar_release(&t);
 */
#ifndef DIVE_TAR_H
#define DIVE_TAR_H

#include <stddef.h>

#include "dive/buf.h"

#define TAR_BLOCK 512
#define TAR_MAX_DEPTH 32    /* tar_add_tree() descends at most this deep */

struct tar {
	struct dive_buf out;  /* the archive so far; complete after tar_finish() */
	long long mtime;      /* seconds since the epoch for every entry */
	int finished;         /* tar_finish() was called: nothing more can be added */
};

/* max: the largest archive allowed, end blocks included (at least 1024). */
void tar_init(struct tar *t, size_t max);
void tar_release(struct tar *t);

/* A regular file from memory; mode is masked with 07777. */
int tar_add_file(struct tar *t, const char *name, const void *data, size_t len, unsigned mode);
int tar_add_dir(struct tar *t, const char *name, unsigned mode);
int tar_add_symlink(struct tar *t, const char *name, const char *target);

/*
 * One host path under name: a regular file (content and permission bits),
 * a directory (the entry only, not its content) or a symlink (not followed).
 */
int tar_add_path(struct tar *t, const char *name, const char *host_path);

/*
 * host_dir and everything under it, sorted by name, symlinks not followed,
 * at most TAR_MAX_DEPTH levels; entries are named prefix + the path relative
 * to host_dir (prefix "" puts them at the top; the top directory itself gets
 * an entry only when prefix is not "").
 */
int tar_add_tree(struct tar *t, const char *prefix, const char *host_dir);

/* Append the two zero blocks; the archive is then t->out.ptr, t->out.len. */
int tar_finish(struct tar *t);

/*
 * Read side: the regular file whose name (a leading "./" ignored) is name
 * in the ustar archive buf of len bytes (as the engine's GET
 * /containers/{id}/archive sends it); *data and *n point into buf.  0,
 * DIVE_ENOTFOUND, or DIVE_EUSAGE for an archive that is not ustar or is cut.
 */
int tar_find(const char *buf, size_t len, const char *name, const char **data, size_t *n);

#endif
