/*
 * main.c - global setup and the one call into the dispatcher.
 *
 * libcurl is initialised here, before any thread exists; libmongoc on first
 * use (mongo_open); everything else is in src/cli/dispatch.c.
 *
 * Debian's libmongoc also initialises itself when it is loaded and keeps its
 * performance counters in /dev/shm/mongoc-<pid> (removed at exit) unless
 * MONGOC_DISABLE_SHM is set before the program starts: the ./dive launcher
 * sets it, so no dive command leaves or writes a file of its own there.
 */
#include <curl/curl.h>

#include "dive/cli.h"
#include "dive/mongo.h"

int main(int argc, char **argv)
{
	struct dive_ctx ctx;
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	dive_ctx_init(&ctx);
	rc = dive_cli_run(dive_groups, &ctx, argc, argv);
	fflush(ctx.out);
	mongo_global_cleanup();
	curl_global_cleanup();
	return rc;
}
