/* log.c - diagnostics on stderr (see log.h). */
#include <stdarg.h>
#include <stdio.h>

#include "dive/log.h"

static enum dive_log_level level = DIVE_LOG_INFO;

void dive_log_set_level(enum dive_log_level l)
{
	level = l;
}

enum dive_log_level dive_log_get_level(void)
{
	return level;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void dive_debug(const char *fmt, ...)
{
	va_list ap;

	if (level < DIVE_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

void dive_info(const char *fmt, ...)
{
	va_list ap;

	if (level < DIVE_LOG_INFO)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}
