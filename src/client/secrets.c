/* secrets.c - secret providers: file (0600) and environment, and what every provider shares (see secrets.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/secrets.h"
#include "dive/xalloc.h"
#include "secrets_priv.h"

int secrets_valid_key(const char *key)
{
	size_t i, n = key ? strlen(key) : 0;

	if (n == 0 || n > 64 || !(key[0] >= 'A' && key[0] <= 'Z'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return 0;
	return 1;
}

static int valid_code(const char *code)
{
	return code && strlen(code) == 3 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' &&
	       code[2] >= 'A' && code[2] <= 'Z';
}

static int check_names(const char *code, const char *key)
{
	if (!valid_code(code))
		return dive_error_set(DIVE_EUSAGE, "invalid instance code for a secret");
	if (!secrets_valid_key(key))
		return dive_error_set(DIVE_EUSAGE, "invalid secret name '%.64s' (A-Z, 0-9, _)", key ? key : "");
	return 0;
}

int secrets_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[256];
	size_t i, got = 0;

	if (n > sizeof(buf))
		return dive_error_set(DIVE_EUSAGE, "at most %zu random bytes", sizeof(buf));
	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return dive_error_set(DIVE_EFAIL, "getrandom failed: %s", strerror(errno));
		got += (size_t)r;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * n] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* --- file provider ---------------------------------------------------------- */

struct file_data {
	char *dir;
};

static char *secret_dir(struct file_data *fd, const char *code)
{
	char lower[4] = { (char)(code[0] | 0x20), (char)(code[1] | 0x20), (char)(code[2] | 0x20), 0 };

	return xasprintf("%s/%s/secrets", fd->dir, lower);
}

static int file_get(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out)
{
	char *dir = secret_dir(p->data, code), *path = xasprintf("%s/%s", dir, key), what[96];
	int rc;

	snprintf(what, sizeof(what), "secret '%s' of '%s'", key, code);
	rc = secrets_read_private_file(out, path, what);
	free(path);
	free(dir);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int file_list(struct secrets_provider *p, const char *code, char ***out)
{
	char *dir = secret_dir(p->data, code), **v = NULL;
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d) {
		int err = errno;

		free(dir);
		*out = xcalloc(1, sizeof(char *));
		return err == ENOENT ? 0 : dive_error_set(DIVE_EFAIL, "cannot list the secrets of '%s': %s", code,
							 strerror(err));
	}
	while ((e = readdir(d)) && n < 1024) {
		if (!secrets_valid_key(e->d_name))
			continue; /* dot files, temporaries */
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	free(dir);
	if (!v)
		v = xcalloc(1, sizeof(*v));
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	return 0;
}

static void file_where(struct secrets_provider *p, const char *code, char *out, size_t n)
{
	char *dir = secret_dir(p->data, code);

	snprintf(out, n, "file:%s", dir);
	free(dir);
}

static int mkdir_private(const char *path)
{
	char *copy = xstrdup(path), *s;
	int rc = 0;

	for (s = copy + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(copy, 0700) < 0 && errno != EEXIST)
		rc = -1;
	if (rc == 0 && chmod(copy, 0700) < 0)
		rc = -1;
	free(copy);
	return rc < 0 ? dive_error_set(DIVE_EFAIL, "cannot create the secrets directory '%s': %s", path,
				       strerror(errno))
		      : 0;
}

static int file_put(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value)
{
	char *dir = secret_dir(p->data, code), *path = NULL, *tmp = NULL;
	const char *v = dive_secret_reveal(value);
	size_t n = strlen(v);
	int fd = -1, rc;

	if ((rc = secrets_check_value(v, n)) < 0 || (rc = mkdir_private(dir)) < 0)
		goto out;
	path = xasprintf("%s/%s", dir, key);
	tmp = xasprintf("%s/.%s.tmp.%d", dir, key, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, v, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		rc = dive_error_set(DIVE_EFAIL, "cannot write secret '%s' of '%s': %s", key, code, strerror(errno));
		unlink(tmp);
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = dive_error_set(DIVE_EFAIL, "cannot store secret '%s' of '%s': %s", key, code, strerror(errno));
		unlink(tmp);
	}
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

static void file_free(struct secrets_provider *p)
{
	struct file_data *fd = p->data;

	free(fd->dir);
	free(fd);
}

/* --- environment provider ------------------------------------------------------ */

static int env_get(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out)
{
	char name[96];
	const char *v;
	int rc;

	snprintf(name, sizeof(name), "DIVE_SECRET_%s_%s", code, key);
	v = getenv(name);
	if (!v)
		return dive_error_set(DIVE_ENOTFOUND, "secret '%s' of '%s' is not set (%s)", key, code, name);
	if ((rc = secrets_check_value(v, strlen(v))) < 0)
		return dive_error_set(rc, "%s is not a usable secret: one line, 1 to %d bytes", name, SECRET_MAX);
	dive_secret_set(out, v);
	return 0;
}

static int env_put(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value)
{
	dive_error_set(DIVE_EUSAGE, "secret '%s' of '%s' is missing and the env provider cannot store one: set "
				    "DIVE_SECRET_%s_%s", key, code, code, key);
	dive_error_set_code(ERRC_SECRET_MISSING);
	return DIVE_EUSAGE;
}

static void env_free(struct secrets_provider *p)
{
	(void)p;
}

static void env_where(struct secrets_provider *p, const char *code, char *out, size_t n)
{
	snprintf(out, n, "env:DIVE_SECRET_%s_*", code);
}

int secrets_env_open(struct secrets_provider *p)
{
	p->name = "env";
	p->get = env_get;
	p->put = env_put;
	p->free = env_free;
	p->where = env_where;
	return 0;
}

int secrets_file_open(struct secrets_provider *p, const char *dir)
{
	struct file_data *fd;

	if (!dir || !*dir || strlen(dir) > 1024)
		return dive_error_set(DIVE_EUSAGE, "the file secrets provider needs a directory");
	fd = xcalloc(1, sizeof(*fd));
	fd->dir = xstrdup(dir);
	p->name = "file";
	p->get = file_get;
	p->put = file_put;
	p->list = file_list;
	p->free = file_free;
	p->where = file_where;
	p->data = fd;
	return 0;
}

void secrets_close(struct secrets_provider *p)
{
	if (!p)
		return;
	p->free(p);
	free(p);
}

void secrets_set_guard(struct secrets_provider *p, const struct secrets_guard *g)
{
	if (g)
		p->guard = *g;
	else
		memset(&p->guard, 0, sizeof(p->guard));
}

int secrets_guarded(struct secrets_provider *p, const char *cls, const char *breaker, secrets_attempt_fn op,
		    void *arg)
{
	long http = 0;
	int code = 0;

	if (p->guard.run)
		return p->guard.run(p->guard.data, cls, breaker, op, arg);
	return op(arg, &http, &code);
}

int secrets_get(struct secrets_provider *p, const char *code, const char *key, struct dive_secret *out)
{
	int rc = check_names(code, key);

	return rc < 0 ? rc : p->get(p, code, key, out);
}

int secrets_put(struct secrets_provider *p, const char *code, const char *key, const struct dive_secret *value)
{
	int rc = check_names(code, key);

	if (rc == 0 && !dive_secret_is_set(value))
		rc = dive_error_set(DIVE_EUSAGE, "internal: no value for secret '%s' of '%s'", key, code);
	return rc < 0 ? rc : p->put(p, code, key, value);
}

int secrets_list(struct secrets_provider *p, const char *code, char ***out)
{
	*out = NULL;
	if (!valid_code(code))
		return dive_error_set(DIVE_EUSAGE, "invalid instance code for a secret");
	if (!p->list)
		return dive_error_set(DIVE_ENOTIMPL, "the %s secrets provider cannot list its secrets", p->name);
	return p->list(p, code, out);
}

void secrets_names_free(char **names)
{
	size_t i;

	for (i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

void secrets_where(struct secrets_provider *p, const char *code, char *out, size_t n)
{
	if (p->where && valid_code(code))
		p->where(p, code, out, n);
	else
		snprintf(out, n, "%s", p->name);
}

int secrets_ensure(struct secrets_provider *p, const char *code, const char *key, size_t random_bytes,
		   struct dive_secret *out, int *generated)
{
	char hex[513];
	int rc;

	*generated = 0;
	rc = secrets_get(p, code, key, out);
	if (rc != DIVE_ENOTFOUND)
		return rc;
	if (random_bytes == 0 || random_bytes > 256)
		random_bytes = 24;
	if ((rc = secrets_random_hex(hex, random_bytes)) < 0)
		return rc;
	dive_secret_set(out, hex);
	explicit_bzero(hex, sizeof(hex));
	rc = p->put(p, code, key, out);
	if (rc < 0) {
		dive_secret_release(out);
		return rc;
	}
	*generated = 1;
	return 0;
}
