/* file.c - bounded reads of regular files (see file.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dive/error.h"
#include "dive/file.h"

int dive_file_read(struct dive_buf *b, const char *path, size_t max, const char *what)
{
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, rc = 0, flags;

	dive_buf_init(b, max);
	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return dive_error_set(DIVE_ENOTFOUND, "%s '%.200s' does not exist", what, path);
		return dive_error_set(DIVE_EUSAGE, "cannot open %s '%.200s': %s", what, path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = dive_error_set(DIVE_EUSAGE, "cannot stat %s '%.200s': %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = dive_error_set(DIVE_EUSAGE, "%s '%.200s' is not a regular file", what, path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = dive_error_set(DIVE_ETOOBIG, "%s '%.200s' is larger than %zu bytes", what, path, max);
		goto out;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dive_error_set(DIVE_EUSAGE, "cannot read %s '%.200s': %s", what, path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (dive_buf_add(b, chunk, (size_t)n) < 0) {
			rc = dive_error_set(DIVE_ETOOBIG, "%s '%.200s' is larger than %zu bytes", what, path, max);
			break;
		}
	}
out:
	close(fd);
	return rc;
}
