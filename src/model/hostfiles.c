/* hostfiles.c - images/<recipe>/host-files (see hostfiles.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/file.h"
#include "dive/hostfiles.h"
#include "dive/xalloc.h"

#define HOSTFILES_FILE_MAX (64 * 1024)

static const char *const kind_names[] = { "busybox", "program", "file", "tree", "jdk", "libtree" };

const char *hostfile_kind_name(enum hostfile_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "unknown";
}

/* Debian policy: lowercase letters, digits, + - . ; at least two, starting alphanumeric. */
static int valid_package(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n >= 64 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || strchr("+-.", s[i])))
			return 0;
	return 1;
}

static int valid_env(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 60 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

static int valid_path(const char *s)
{
	return s[0] == '/' && !strstr(s, "/../") && strlen(s) < HOSTFILE_PATH_MAX && !strchr(s, '\'');
}

const char *hostfile_package(const struct hostfile *f)
{
	return strncmp(f->source, "env:", 4) ? f->source : NULL;
}

const char *hostfile_env(const struct hostfile *f)
{
	return strncmp(f->source, "env:", 4) ? NULL : f->source + 4;
}

static int parse_line(struct hostfile *f, char *line, const char *file, int lineno)
{
	char *w[5] = { 0 }, *save = NULL, *tok;
	int nw = 0;
	size_t k;

	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (nw == 4)
			return dive_error_set(DIVE_EUSAGE, "%s:%d: too many fields (KIND SOURCE HOST-PATH [IMAGE-PATH])",
					      file, lineno);
		w[nw++] = tok;
	}
	if (nw < 3)
		return dive_error_set(DIVE_EUSAGE, "%s:%d: expected KIND SOURCE HOST-PATH [IMAGE-PATH]", file, lineno);
	memset(f, 0, sizeof(*f));
	f->line = lineno;
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(w[0], kind_names[k]))
			break;
	if (k == sizeof(kind_names) / sizeof(kind_names[0]))
		return dive_error_set(DIVE_EUSAGE,
				      "%s:%d: unknown kind '%.32s' (busybox, program, file, tree, jdk, libtree)", file,
				      lineno, w[0]);
	f->kind = (enum hostfile_kind)k;
	if (!strncmp(w[1], "env:", 4)) {
		if (!valid_env(w[1] + 4))
			return dive_error_set(DIVE_EUSAGE, "%s:%d: '%.64s' is not env:VARIABLE", file, lineno, w[1]);
		if (strcmp(w[2], "-") || !w[3])
			return dive_error_set(DIVE_EUSAGE, "%s:%d: an env: source takes '-' as host path and an image path",
					      file, lineno);
	} else {
		if (!valid_package(w[1]))
			return dive_error_set(DIVE_EUSAGE, "%s:%d: '%.64s' is not a Debian package name (the source of "
							   "every host file is the package that installs it)",
					      file, lineno, w[1]);
		if (!valid_path(w[2]))
			return dive_error_set(DIVE_EUSAGE, "%s:%d: host path '%.100s' is not an absolute path", file,
					      lineno, w[2]);
	}
	if (w[3] && !valid_path(w[3]))
		return dive_error_set(DIVE_EUSAGE, "%s:%d: image path '%.100s' is not an absolute path", file, lineno,
				      w[3]);
	snprintf(f->source, sizeof(f->source), "%s", w[1]);
	snprintf(f->path, sizeof(f->path), "%s", w[2]);
	snprintf(f->dest, sizeof(f->dest), "%s", w[3] ? w[3] : w[2]);
	return 0;
}

int hostfiles_parse(struct hostfiles *out, const char *text, const char *file)
{
	char *copy = xstrdup(text), *line;
	int rc = 0, lineno = 0;

	memset(out, 0, sizeof(*out));
	/* line by line by hand: strtok would skip empty lines and lose the numbering */
	for (line = copy; rc == 0 && line; lineno++) {
		char *nl = strchr(line, '\n'), *hash;

		if (nl)
			*nl = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (strspn(line, " \t") != strlen(line)) {
			if (out->n == HOSTFILES_MAX) {
				rc = dive_error_set(DIVE_ETOOBIG, "%s: more than %d entries", file, HOSTFILES_MAX);
				break;
			}
			out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
			rc = parse_line(&out->v[out->n], line, file, lineno + 1);
			if (rc == 0)
				out->n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	if (rc == 0 && out->n == 0)
		rc = dive_error_set(DIVE_EUSAGE, "%s: no entries", file);
	if (rc < 0)
		hostfiles_release(out);
	return rc;
}

int hostfiles_load(struct hostfiles *out, const char *source_dir, const char *recipe)
{
	struct dive_buf b;
	char *path = xasprintf("%s/images/%s/host-files", source_dir, recipe);
	int rc = dive_file_read(&b, path, HOSTFILES_FILE_MAX, "image recipe");

	memset(out, 0, sizeof(*out));
	if (rc == 0)
		rc = hostfiles_parse(out, dive_buf_str(&b), path);
	dive_buf_release(&b);
	free(path);
	return rc;
}

void hostfiles_release(struct hostfiles *h)
{
	free(h->v);
	h->v = NULL;
	h->n = 0;
}
