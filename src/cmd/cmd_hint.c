/* cmd_hint.c - the remediation of an error's taxonomy code, with its placeholders filled (see cmd.h). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dive/errcodes.h"
#include "dive/error.h"

void cmd_hint(struct dive_ctx *ctx, int code, const char *const *subst)
{
	const struct errcode *e = code ? errcode_find(code) : NULL;
	char out[512];
	const char *r;
	size_t used = 0;

	if (!e || !e->remediation || ctx->json)
		return;
	for (r = e->remediation; *r && used + 1 < sizeof(out);) {
		size_t i, len = 0;
		const char *with = NULL;

		for (i = 0; subst && subst[i] && subst[i + 1]; i += 2) {
			len = strlen(subst[i]);
			if (!strncmp(r, subst[i], len)) {
				with = subst[i + 1];
				break;
			}
		}
		if (with) {
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s", with);
			r += len;
		} else {
			out[used++] = *r++;
		}
		if (used >= sizeof(out))
			used = sizeof(out) - 1;
		out[used] = '\0';
	}
	out[used] = '\0';
	fprintf(ctx->err, "hint: %s (error %d %s)\n", out, e->code, e->name);
}

int cmd_fail_hint(struct dive_ctx *ctx, int rc, const char *what, const char *const *subst)
{
	int code = dive_error_last_code(), ret = dive_fail_last(ctx, rc, what);

	cmd_hint(ctx, code, subst);
	return ret;
}
