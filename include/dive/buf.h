/*
 * buf.h - growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * Everything read from outside (network bodies, files, environment) goes
 * through a buffer whose maximum is set at init; growing past it fails with
 * DIVE_ETOOBIG and leaves the buffer as it was.  The content is always
 * NUL-terminated so it can be used as a string.
 *
 *   struct dive_buf b;
 *   dive_buf_init(&b, 1 << 20);
 *   if (dive_buf_add(&b, data, len) < 0) ...
 *   dive_buf_release(&b);
 */
#ifndef DIVE_BUF_H
#define DIVE_BUF_H

#include <stddef.h>

struct dive_buf {
	char *ptr;      /* NUL-terminated content, or NULL when empty */
	size_t len;     /* bytes used, excluding the NUL */
	size_t alloc;   /* bytes allocated */
	size_t max;     /* hard limit on len */
};

void dive_buf_init(struct dive_buf *b, size_t max);
void dive_buf_release(struct dive_buf *b);
void dive_buf_reset(struct dive_buf *b);
int dive_buf_add(struct dive_buf *b, const void *data, size_t len);
int dive_buf_adds(struct dive_buf *b, const char *s);
int dive_buf_printf(struct dive_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The content as a string; "" when empty.  Owned by the buffer. */
const char *dive_buf_str(const struct dive_buf *b);
/* Take ownership of the content (never NULL); the buffer becomes empty. */
char *dive_buf_detach(struct dive_buf *b);

#endif
