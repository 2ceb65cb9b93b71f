/*
 * secret_file.c - what a secret value may be, and reading one from a private
 * file (a secret, a Vault token, an AppRole secret ID): the ground under
 * every provider in secrets.c and secrets_vault.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/secrets.h"
#include "secrets_priv.h"

int secrets_check_value(const char *v, size_t n)
{
	if (n == 0 || n > SECRET_MAX || memchr(v, '\n', n) || memchr(v, '\0', n))
		return dive_error_set(DIVE_EUSAGE, "a secret value must be 1 to %d bytes on one line", SECRET_MAX);
	return 0;
}

int secrets_read_private_file(struct dive_secret *out, const char *path, const char *what)
{
	char buf[SECRET_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return dive_error_set(DIVE_ENOTFOUND, "%s is not set", what);
		rc = dive_error_set(DIVE_EFAIL, "cannot read %s: %s", what, strerror(errno));
		dive_error_set_code(ERRC_SECRET_UNREADABLE);
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = dive_error_set(DIVE_EFAIL, "%s is not a regular file", what);
		dive_error_set_code(ERRC_SECRET_UNREADABLE);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = dive_error_set(DIVE_EUSAGE, "file '%s' (%s) has mode %03o; it must be 0600 (chmod 600 %s)", path,
				    what, (unsigned)(st.st_mode & 0777), path);
		dive_error_set_code(ERRC_SECRET_BAD_MODE);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		rc = dive_error_set(DIVE_EFAIL, "cannot read %s", what);
		dive_error_set_code(ERRC_SECRET_UNREADABLE);
		goto out;
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	if ((rc = secrets_check_value(buf, (size_t)n)) < 0) {
		dive_error_set(rc, "%s is not usable: one line, 1 to %d bytes", what, SECRET_MAX);
		dive_error_set_code(ERRC_SECRET_INVALID);
		goto out;
	}
	dive_secret_set(out, buf);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
