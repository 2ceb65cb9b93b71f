/* error.c - the thread-local last-error slot (see include/dive/error.h). */
#include <stdio.h>
#include <string.h>

#include "dive/error.h"

static _Thread_local char last_msg[DIVE_ERROR_MAX];
static _Thread_local int last_err;
static _Thread_local int last_code;

int dive_error_vset(int err, const char *fmt, va_list ap)
{
	char tmp[DIVE_ERROR_MAX];

	/*
	 * Through a copy: a caller that passes the last message as an argument
	 * (instead of using dive_error_wrap) must not see it garbled by being
	 * formatted into itself.
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

void dive_error_save(struct dive_error_saved *out)
{
	memcpy(out->msg, last_msg, sizeof(out->msg));
	out->err = last_err;
	out->code = last_code;
}

int dive_error_restore(const struct dive_error_saved *in)
{
	memcpy(last_msg, in->msg, sizeof(last_msg));
	last_msg[sizeof(last_msg) - 1] = '\0';
	last_err = in->err;
	last_code = in->code;
	return last_err;
}

int dive_error_wrap(int err, const char *fmt, ...)
{
	struct dive_error_saved was;
	char prefix[DIVE_ERROR_MAX];
	va_list ap;

	dive_error_save(&was);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (was.msg[0])
		dive_error_set(err, "%s: %s", prefix, was.msg);
	else
		dive_error_set(err, "%s", prefix);
	last_code = was.code;
	return err;
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
