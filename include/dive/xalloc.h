/*
 * xalloc.h - allocation that aborts on out-of-memory (after tmux), so error
 * paths are for real failures only.
 */
#ifndef DIVE_XALLOC_H
#define DIVE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
