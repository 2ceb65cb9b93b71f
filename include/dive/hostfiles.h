/*
 * hostfiles.h - what a local image copies from the host, and from where.
 *
 * Each recipe of `dive images build` (images.h) lists its host files in
 * images/<recipe>/host-files, one per line:
 *
 *   KIND SOURCE HOST-PATH [IMAGE-PATH]
 *
 *   KIND        busybox | program | file | tree | jdk | libtree
 *   SOURCE      the Debian package that owns HOST-PATH, or env:VAR for a
 *               program tests/env/up builds and exports (HOST-PATH is '-')
 *   IMAGE-PATH  where it lands in the image (default HOST-PATH)
 *
 * The same files feed tests/env/up's install list (the union of every
 * SOURCE that is a package, plus tests/env/packages), so a recipe cannot
 * copy a host program that nothing installs; tests/env/check-packages
 * verifies each owner with dpkg -S.  The format is the full description in
 * images/base/host-files.  A line without a source, an unknown kind, a
 * relative path or a malformed package name is refused with file:line.
 */
#ifndef DIVE_HOSTFILES_H
#define DIVE_HOSTFILES_H

#include <stddef.h>

enum hostfile_kind {
	HOSTFILE_BUSYBOX,   /* the busybox binary and one link per applet */
	HOSTFILE_PROGRAM,   /* a program and the shared libraries it loads */
	HOSTFILE_FILE,      /* one file (symlinks resolved) */
	HOSTFILE_TREE,      /* a directory, whole */
	HOSTFILE_JDK,       /* a Java home: the tree and its JVM's libraries */
	HOSTFILE_LIBTREE,   /* a tree and the libraries its ELF files load from outside it */
};

#define HOSTFILE_PATH_MAX 256
#define HOSTFILES_MAX 64

struct hostfile {
	enum hostfile_kind kind;
	char source[64];                 /* "redis-server" or "env:DIVE_OPA_BIN" */
	char path[HOSTFILE_PATH_MAX];    /* host path, or "-" for an env: source */
	char dest[HOSTFILE_PATH_MAX];    /* path in the image */
	int line;
};

struct hostfiles {
	struct hostfile *v;
	size_t n;
};

/* Parse text (the content of file, named in messages).  DIVE_EUSAGE with file:line. */
int hostfiles_parse(struct hostfiles *out, const char *text, const char *file);
/* Read and parse <source_dir>/images/<recipe>/host-files. */
int hostfiles_load(struct hostfiles *out, const char *source_dir, const char *recipe);
void hostfiles_release(struct hostfiles *h);

/* The Debian package of an entry, or NULL when its source is env:VAR. */
const char *hostfile_package(const struct hostfile *f);
/* The variable of an env: source, or NULL. */
const char *hostfile_env(const struct hostfile *f);
const char *hostfile_kind_name(enum hostfile_kind k);

#endif
