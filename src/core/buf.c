/* buf.c - bounded growable buffer (see buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/buf.h"
#include "dive/error.h"
#include "dive/xalloc.h"

void dive_buf_init(struct dive_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void dive_buf_release(struct dive_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
}

void dive_buf_reset(struct dive_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

static int grow(struct dive_buf *b, size_t extra)
{
	size_t need;

	if (extra > b->max || b->len > b->max - extra)
		return dive_error_set(DIVE_ETOOBIG, "data exceeds the limit of %zu bytes", b->max);
	need = b->len + extra + 1;
	if (need > b->alloc) {
		size_t n = b->alloc ? b->alloc : 64;

		while (n < need)
			n *= 2;
		if (n > b->max + 1)
			n = b->max + 1;
		b->ptr = xrealloc(b->ptr, n);
		b->alloc = n;
	}
	return 0;
}

int dive_buf_add(struct dive_buf *b, const void *data, size_t len)
{
	int rc = grow(b, len);

	if (rc < 0)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int dive_buf_adds(struct dive_buf *b, const char *s)
{
	return dive_buf_add(b, s, strlen(s));
}

int dive_buf_printf(struct dive_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return dive_error_set(DIVE_EFAIL, "cannot format output");
	rc = grow(b, (size_t)n);
	if (rc < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *dive_buf_str(const struct dive_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *dive_buf_detach(struct dive_buf *b)
{
	char *p = b->ptr ? b->ptr : xstrdup("");

	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
