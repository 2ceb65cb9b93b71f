/*
 * main.c - global setup and the one call into the dispatcher.
 *
 * Library-wide initialisation (libcurl, libmongoc) happens once here, before
 * any thread exists; everything else is in src/cli/dispatch.c.
 */
#include <curl/curl.h>
#include <mongoc/mongoc.h>

#include "dive/cli.h"

int main(int argc, char **argv)
{
	struct dive_ctx ctx;
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	mongoc_init();
	dive_ctx_init(&ctx);
	rc = dive_cli_run(dive_groups, &ctx, argc, argv);
	fflush(ctx.out);
	mongoc_cleanup();
	curl_global_cleanup();
	return rc;
}
