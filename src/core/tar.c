/* tar.c - a minimal ustar writer in a bounded buffer (see tar.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dive/error.h"
#include "dive/tar.h"
#include "dive/xalloc.h"

#define TAR_NAME_MAX 255
#define TAR_MAX_FILE 077777777777ULL  /* 11 octal digits in the size field */

/* ustar header field offsets and widths (POSIX.1-1988). */
enum {
	H_NAME = 0, H_MODE = 100, H_UID = 108, H_GID = 116, H_SIZE = 124, H_MTIME = 136,
	H_CHKSUM = 148, H_TYPE = 156, H_LINK = 157, H_MAGIC = 257, H_VERSION = 263,
	H_UNAME = 265, H_GNAME = 297, H_DEVMAJOR = 329, H_DEVMINOR = 337, H_PREFIX = 345,
};

static size_t padded(size_t n)
{
	return (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

void tar_init(struct tar *t, size_t max)
{
	dive_buf_init(&t->out, max < 2 * TAR_BLOCK ? 2 * TAR_BLOCK : max);
	t->mtime = 0;
	t->finished = 0;
}

void tar_release(struct tar *t)
{
	dive_buf_release(&t->out);
	t->finished = 0;
}

/* Relative, no empty, "." or ".." components; a trailing '/' is allowed. */
static int check_name(const char *name, size_t *out_len)
{
	size_t n = strlen(name), i = 0;

	while (n > 1 && name[n - 1] == '/')
		n--;
	if (n == 0 || n > TAR_NAME_MAX || name[0] == '/')
		return dive_error_set(DIVE_EUSAGE, "invalid archive entry name '%.64s'", name);
	while (i < n) {
		size_t j = i;

		while (j < n && name[j] != '/')
			j++;
		if (j == i || (j - i == 1 && name[i] == '.') || (j - i == 2 && name[i] == '.' && name[i + 1] == '.'))
			return dive_error_set(DIVE_EUSAGE, "invalid archive entry name '%.64s'", name);
		i = j + 1;
	}
	*out_len = n;
	return 0;
}

static void octal(char *field, size_t width, unsigned long long v)
{
	char tmp[24];

	/* width - 1 digits and a NUL, as GNU and BSD tar write them */
	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), v);
	memcpy(field, tmp, width);
}

/* Split name (len bytes, plus '/' for directories) into ustar's prefix and name. */
static int put_name(unsigned char *h, const char *name, size_t len, int is_dir)
{
	char full[TAR_NAME_MAX + 2];
	size_t n = len, i;

	memcpy(full, name, len);
	if (is_dir)
		full[n++] = '/';
	if (n <= 100) {
		memcpy(h + H_NAME, full, n);
		return 0;
	}
	/* the longest prefix that fits in 155 bytes and leaves at most 100 */
	for (i = n - 1; i > 0; i--) {
		if (full[i] != '/' || i > 155)
			continue;
		if (n - i - 1 > 100)
			break;
		if (n - i - 1 == 0)
			continue;
		memcpy(h + H_PREFIX, full, i);
		memcpy(h + H_NAME, full + i + 1, n - i - 1);
		return 0;
	}
	return dive_error_set(DIVE_EUSAGE, "archive entry name '%.64s...' cannot be stored in ustar", name);
}

/* One header and its data; name must fit ustar (checked by the caller). */
static void put_header(struct tar *t, const char *name, size_t n, char type, unsigned mode, const void *data,
		       size_t len, const char *link, size_t ln)
{
	unsigned char h[TAR_BLOCK];
	static const char zeros[TAR_BLOCK];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	put_name(h, name, n, type == '5');
	if (link)
		memcpy(h + H_LINK, link, ln);
	octal((char *)h + H_MODE, 8, mode & 07777);
	octal((char *)h + H_UID, 8, 0);
	octal((char *)h + H_GID, 8, 0);
	octal((char *)h + H_SIZE, 12, len);
	octal((char *)h + H_MTIME, 12, t->mtime < 0 ? 0 : (unsigned long long)t->mtime);
	h[H_TYPE] = (unsigned char)type;
	memcpy(h + H_MAGIC, "ustar", 6);
	memcpy(h + H_VERSION, "00", 2);
	memcpy(h + H_UNAME, "root", 4);
	memcpy(h + H_GNAME, "root", 4);
	octal((char *)h + H_DEVMAJOR, 8, 0);
	octal((char *)h + H_DEVMINOR, 8, 0);
	/* the checksum is computed with its own field as eight spaces */
	memset(h + H_CHKSUM, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + H_CHKSUM, 7, "%06o", sum);
	h[H_CHKSUM + 6] = '\0';
	h[H_CHKSUM + 7] = ' ';

	/* room was checked by the caller, so these cannot fail part-way */
	dive_buf_add(&t->out, h, sizeof(h));
	if (len) {
		dive_buf_add(&t->out, data, len);
		dive_buf_add(&t->out, zeros, padded(len) - len);
	}
}

/* One POSIX pax record "LEN key=value\n" (LEN counts itself) appended to b. */
static void pax_record(char *b, size_t *used, size_t cap, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1, digits;
	char tmp[24];

	/* the length field counts its own digits */
	for (;;) {
		digits = (size_t)snprintf(tmp, sizeof(tmp), "%zu", len);
		if (digits + body == len)
			break;
		len = digits + body;
	}
	if (*used + len < cap)
		*used += (size_t)snprintf(b + *used, cap - *used, "%zu %s=%s\n", len, key, value);
}

/*
 * An entry; a name longer than ustar can split, or a link target over 100
 * bytes, goes in a POSIX pax extended header ('x') before it, as every
 * modern tar (the engine's included) reads it.
 */
static int add_entry(struct tar *t, const char *name, char type, unsigned mode, const void *data,
		     size_t len, const char *link)
{
	unsigned char probe[TAR_BLOCK];
	char pax[2 * TAR_NAME_MAX + 64], shortname[101];
	size_t n, need, ln = link ? strlen(link) : 0, paxlen = 0;
	int rc, long_name, long_link;

	if (t->finished)
		return dive_error_set(DIVE_EUSAGE, "archive is finished: cannot add '%.64s'", name);
	if ((rc = check_name(name, &n)) < 0)
		return rc;
	if ((unsigned long long)len > TAR_MAX_FILE)
		return dive_error_set(DIVE_ETOOBIG, "archive entry '%.64s' is too large for ustar", name);
	if (link && (ln == 0 || ln > TAR_NAME_MAX))
		return dive_error_set(DIVE_EUSAGE, "symlink target of '%.64s' is empty or too long", name);
	memset(probe, 0, sizeof(probe));
	long_name = put_name(probe, name, n, type == '5') < 0;
	long_link = ln > 100;
	dive_error_clear();
	if (long_name || long_link) {
		char full[TAR_NAME_MAX + 2];

		memcpy(full, name, n);
		full[n] = '\0';
		if (type == '5')
			strcat(full, "/");
		if (long_name)
			pax_record(pax, &paxlen, sizeof(pax), "path", full);
		if (long_link)
			pax_record(pax, &paxlen, sizeof(pax), "linkpath", link);
	}
	need = TAR_BLOCK + padded(len) + (paxlen ? TAR_BLOCK + padded(paxlen) : 0);
	if (need > t->out.max || t->out.len > t->out.max - need || t->out.max - t->out.len - need < 2 * TAR_BLOCK)
		return dive_error_set(DIVE_ETOOBIG, "archive would exceed %zu bytes at '%.64s'", t->out.max, name);
	if (paxlen)
		put_header(t, "PaxHeader", 9, 'x', 0644, pax, paxlen, NULL, 0);
	if (long_name) {
		/* the ustar fields keep the tail, for readers without pax */
		const char *tail = name + n - (n > 99 ? 99 : n);

		while (*tail == '/')
			tail++;
		snprintf(shortname, sizeof(shortname), "%s", tail);
		put_header(t, shortname, strlen(shortname), type, mode, data, len, link, long_link ? 100 : ln);
	} else {
		put_header(t, name, n, type, mode, data, len, link, long_link ? 100 : ln);
	}
	return 0;
}

int tar_add_file(struct tar *t, const char *name, const void *data, size_t len, unsigned mode)
{
	return add_entry(t, name, '0', mode, data, len, NULL);
}

int tar_add_dir(struct tar *t, const char *name, unsigned mode)
{
	return add_entry(t, name, '5', mode, NULL, 0, NULL);
}

int tar_add_symlink(struct tar *t, const char *name, const char *target)
{
	return add_entry(t, name, '2', 0777, NULL, 0, target);
}

static int add_host_file(struct tar *t, const char *name, const char *path, const struct stat *st)
{
	size_t room = t->out.max > t->out.len ? t->out.max - t->out.len : 0;
	char *data = NULL;
	size_t got = 0;
	int fd, rc;

	if ((unsigned long long)st->st_size > room)
		return dive_error_set(DIVE_ETOOBIG, "archive would exceed %zu bytes at '%.200s'", t->out.max, path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return dive_error_set(DIVE_EFAIL, "cannot open '%.200s': %s", path, strerror(errno));
	data = xmalloc((size_t)st->st_size + 1);
	/* read at most the size lstat saw, plus one byte to notice growth */
	while (got <= (size_t)st->st_size) {
		ssize_t r = read(fd, data + got, (size_t)st->st_size + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = dive_error_set(DIVE_EFAIL, "cannot read '%.200s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != (size_t)st->st_size) {
		rc = dive_error_set(DIVE_EFAIL, "'%.200s' changed while it was being read", path);
		goto out;
	}
	rc = tar_add_file(t, name, data, got, st->st_mode & 07777);
out:
	free(data);
	close(fd);
	return rc;
}

static int add_path_stat(struct tar *t, const char *name, const char *path, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;

	if (S_ISREG(st->st_mode))
		return add_host_file(t, name, path, st);
	if (S_ISDIR(st->st_mode))
		return tar_add_dir(t, name, st->st_mode & 07777);
	if (S_ISLNK(st->st_mode)) {
		n = readlink(path, target, sizeof(target));
		if (n < 0)
			return dive_error_set(DIVE_EFAIL, "cannot read link '%.200s': %s", path, strerror(errno));
		if ((size_t)n >= sizeof(target))
			return dive_error_set(DIVE_EUSAGE, "link target of '%.200s' is too long", path);
		target[n] = '\0';
		return tar_add_symlink(t, name, target);
	}
	return dive_error_set(DIVE_EUSAGE, "'%.200s' is not a regular file, directory or symlink", path);
}

int tar_add_path(struct tar *t, const char *name, const char *host_path)
{
	struct stat st;

	if (lstat(host_path, &st) < 0)
		return dive_error_set(errno == ENOENT ? DIVE_ENOTFOUND : DIVE_EFAIL, "cannot stat '%.200s': %s",
				      host_path, strerror(errno));
	return add_path_stat(t, name, host_path, &st);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the content of dir (not dir itself) with names under prefix ("" or "a/b/"). */
static int walk(struct tar *t, const char *prefix, const char *dir, int depth)
{
	DIR *dh;
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, cap = 0, i;
	int rc = 0;

	if (depth > TAR_MAX_DEPTH)
		return dive_error_set(DIVE_EUSAGE, "'%.200s' is nested deeper than %d levels", dir, TAR_MAX_DEPTH);
	dh = opendir(dir);
	if (!dh)
		return dive_error_set(errno == ENOENT ? DIVE_ENOTFOUND : DIVE_EFAIL, "cannot open directory '%.200s': %s",
				      dir, strerror(errno));
	while ((de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[count++] = xstrdup(de->d_name);
	}
	closedir(dh);
	qsort(names, count, sizeof(*names), cmp_names);

	for (i = 0; i < count && rc == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		char *name = xasprintf("%s%s", prefix, names[i]);
		struct stat st;

		if (lstat(path, &st) < 0) {
			rc = dive_error_set(DIVE_EFAIL, "cannot stat '%.200s': %s", path, strerror(errno));
		} else {
			rc = add_path_stat(t, name, path, &st);
			if (rc == 0 && S_ISDIR(st.st_mode)) {
				char *sub = xasprintf("%s/", name);

				rc = walk(t, sub, path, depth + 1);
				free(sub);
			}
		}
		free(path);
		free(name);
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

int tar_add_tree(struct tar *t, const char *prefix, const char *host_dir)
{
	struct stat st;
	char *sub;
	size_t n;
	int rc;

	if (stat(host_dir, &st) < 0)
		return dive_error_set(errno == ENOENT ? DIVE_ENOTFOUND : DIVE_EFAIL, "cannot stat '%.200s': %s",
				      host_dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return dive_error_set(DIVE_EUSAGE, "'%.200s' is not a directory", host_dir);
	if (!prefix || !*prefix)
		return walk(t, "", host_dir, 1);
	if ((rc = check_name(prefix, &n)) < 0)
		return rc;
	if ((rc = tar_add_dir(t, prefix, st.st_mode & 07777)) < 0)
		return rc;
	sub = xasprintf("%.*s/", (int)n, prefix);
	rc = walk(t, sub, host_dir, 1);
	free(sub);
	return rc;
}

int tar_finish(struct tar *t)
{
	static const char zeros[2 * TAR_BLOCK];
	int rc;

	if (t->finished)
		return 0;
	rc = dive_buf_add(&t->out, zeros, sizeof(zeros));
	if (rc == 0)
		t->finished = 1;
	return rc;
}

/* --- reading ---------------------------------------------------------------------- */

static unsigned long long field_octal(const unsigned char *f, size_t width)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < width && (f[i] == ' ' || f[i] == '\0'); i++)
		;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (unsigned)(f[i] - '0');
	return v;
}

int tar_find(const char *buf, size_t len, const char *name, const char **data, size_t *n)
{
	size_t off = 0;

	*data = NULL;
	*n = 0;
	while (off + TAR_BLOCK <= len) {
		const unsigned char *h = (const unsigned char *)buf + off;
		char full[257];
		unsigned long long size;
		const char *entry;
		size_t k;

		for (k = 0; k < TAR_BLOCK && !h[k]; k++)
			;
		if (k == TAR_BLOCK)
			return DIVE_ENOTFOUND; /* the end blocks */
		if (memcmp(h + 257, "ustar", 5))
			return dive_error_set(DIVE_EUSAGE, "not a ustar archive");
		size = field_octal(h + 124, 12);
		if (h[345])
			snprintf(full, sizeof(full), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
		else
			snprintf(full, sizeof(full), "%.100s", (const char *)h);
		entry = !strncmp(full, "./", 2) ? full + 2 : full;
		if (size > len - off - TAR_BLOCK)
			return dive_error_set(DIVE_EUSAGE, "the archive is cut short");
		if ((h[156] == '0' || h[156] == '\0') && !strcmp(entry, name)) {
			*data = buf + off + TAR_BLOCK;
			*n = (size_t)size;
			return 0;
		}
		off += TAR_BLOCK + padded((size_t)size);
	}
	return DIVE_ENOTFOUND;
}
