/* error.c - the thread-local last-error slot (see include/dive/error.h). */
#include <stdio.h>
#include <string.h>

#include "dive/error.h"

#define ERROR_MAX 1024

static _Thread_local char last_msg[ERROR_MAX];
static _Thread_local int last_err;
static _Thread_local int last_code;

int dive_error_vset(int err, const char *fmt, va_list ap)
{
	char tmp[ERROR_MAX];

	/*
	 * Through a copy: callers wrap the last message in a new one
	 * (dive_error_set(rc, "...: %s", dive_error_last())), and formatting a
	 * buffer into itself garbles it.
	 */
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	memcpy(last_msg, tmp, sizeof(tmp));
	last_err = err;
	last_code = 0;
	return err;
}

int dive_error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dive_error_vset(err, fmt, ap);
	va_end(ap);
	return err;
}

void dive_error_set_code(int taxonomy_code)
{
	last_code = taxonomy_code;
}

int dive_error_setc(int err, int taxonomy_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dive_error_vset(err, fmt, ap);
	va_end(ap);
	last_code = taxonomy_code;
	return err;
}

const char *dive_error_last(void)
{
	return last_msg;
}

int dive_error_last_err(void)
{
	return last_err;
}

int dive_error_last_code(void)
{
	return last_code;
}

void dive_error_clear(void)
{
	last_msg[0] = '\0';
	last_err = DIVE_OK;
	last_code = 0;
}

static const char *const err_names[] = {
	[0] = "ok",
	[1] = "failure",
	[2] = "usage",
	[3] = "not-found",
	[4] = "locked",
	[5] = "conflict",
	[6] = "timeout",
	[7] = "unavailable",
	[8] = "not-implemented",
	[9] = "unhealthy",
	[10] = "drift",
	[11] = "too-big",
	[12] = "interrupted",
	[13] = "circuit-open",
	[14] = "tls",
};

const char *dive_err_name(int err)
{
	int i = -err;

	if (i < 0 || i >= (int)(sizeof(err_names) / sizeof(err_names[0])))
		return "failure";
	return err_names[i];
}
