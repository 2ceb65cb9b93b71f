/*
 * prereq.c - what a verb row's flags need, met for the handler: the state
 * store (DIVE_NEEDS_STATE) and the operator's yes (DIVE_DESTRUCTIVE).  See
 * cli.h; the dispatcher calls these only after every input was checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "dive/cli.h"
#include "dive/deploy.h"
#include "dive/error.h"
#include "dive/secret.h"
#include "dive/store.h"

int dive_state_open(struct dive_ctx *ctx, int *none)
{
	struct dive_secret derived = DIVE_SECRET_INIT;
	unsigned flags = ctx->dry_run ? 0 : STORE_MIGRATE;
	int rc;

	if (none)
		*none = 0;
	if (ctx->state_url && *ctx->state_url)
		return store_open(&ctx->store, ctx->state_url, flags);
	/* none configured: the hub's own, when hub up made one */
	rc = deploy_state_url(&derived, ctx->instances_dir);
	if (rc == 0) {
		rc = store_open(&ctx->store, dive_secret_reveal(&derived), flags);
		dive_secret_release(&derived);
		if (rc != DIVE_EUNAVAIL || !none)
			return rc;
	} else if (rc != DIVE_ENOTFOUND) {
		return rc;
	}
	if (none) {
		dive_error_clear();
		*none = 1;
		return 0;
	}
	return dive_error_set(DIVE_EUSAGE, "no state store: set --state-url or DIVE_STATE_URL, or run 'dive hub up' "
					   "to start the hub's own");
}

int dive_confirm(struct dive_ctx *ctx, const char *fmt, ...)
{
	char answer[8] = "";
	va_list ap;

	if (ctx->yes)
		return 0;
	if (!isatty(STDIN_FILENO))
		return dive_error_set(DIVE_EUSAGE, "nothing removed: no --yes and no terminal to ask on");
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fprintf(ctx->err, " [y/N] ");
	fflush(ctx->err);
	if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
		return dive_error_set(DIVE_EUSAGE, "nothing removed");
	return 0;
}
