/* mongo.c - bounded MongoDB connections (see mongo.h). */
#include <pthread.h>
#include <string.h>

#include "dive/error.h"
#include "dive/log.h"
#include "dive/mongo.h"
#include "dive/xalloc.h"

#define MONGO_URL_MAX 2048

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int initialised;

/* libmongoc's own messages ("Couldn't send endSessions" on FerretDB, which
 * has no sessions) are diagnostics: debug level, never the user's stderr. */
static void on_log(mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
	(void)data;
	dive_debug("mongoc %s %s: %s", mongoc_log_level_str(level), domain, message);
}

static void init(void)
{
	mongoc_log_set_handler(on_log, NULL);
	mongoc_init();
	initialised = 1;
}

void mongo_global_cleanup(void)
{
	if (initialised)
		mongoc_cleanup();
	initialised = 0;
}

int mongo_error(const bson_error_t *err, const char *what)
{
	if (err->domain == MONGOC_ERROR_SERVER_SELECTION || err->domain == MONGOC_ERROR_STREAM)
		return dive_error_set(DIVE_EUNAVAIL, "%s: mongodb unreachable: %s", what, err->message);
	if (err->code == 11000)
		return dive_error_set(DIVE_ECONFLICT, "%s: %s", what, err->message);
	return dive_error_set(DIVE_EFAIL, "%s: %s", what, err->message);
}

static void default_int(mongoc_uri_t *uri, const char *key, int32_t value)
{
	if (!mongoc_uri_has_option(uri, key))
		mongoc_uri_set_option_as_int32(uri, key, value);
}

int mongo_open(struct mongo **out, const char *url, const char *appname)
{
	bson_error_t err;
	mongoc_uri_t *uri;
	struct mongo *m;

	*out = NULL;
	if (!url || !*url)
		return dive_error_set(DIVE_EUSAGE, "no MongoDB URL configured");
	if (strlen(url) > MONGO_URL_MAX)
		return dive_error_set(DIVE_EUSAGE, "the MongoDB URL is longer than %d bytes", MONGO_URL_MAX);
	pthread_once(&init_once, init);
	uri = mongoc_uri_new_with_error(url, &err);
	if (!uri)
		return dive_error_set(DIVE_EUSAGE, "invalid MongoDB URL: %s", err.message);
	default_int(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
	default_int(uri, MONGOC_URI_CONNECTTIMEOUTMS, 5000);
	default_int(uri, MONGOC_URI_SOCKETTIMEOUTMS, 30000);
	if (appname)
		mongoc_uri_set_appname(uri, appname);
	m = xcalloc(1, sizeof(*m));
	m->uri = uri;
	m->client = mongoc_client_new_from_uri_with_error(uri, &err);
	if (!m->client) {
		mongoc_uri_destroy(uri);
		free(m);
		return dive_error_set(DIVE_EUSAGE, "cannot use MongoDB URL: %s", err.message);
	}
	mongoc_client_set_error_api(m->client, MONGOC_ERROR_API_VERSION_2);
	*out = m;
	return 0;
}

void mongo_close(struct mongo *m)
{
	if (!m)
		return;
	mongoc_client_destroy(m->client);
	mongoc_uri_destroy(m->uri);
	free(m);
}

int mongo_ping(struct mongo *m)
{
	bson_t *cmd = BCON_NEW("ping", BCON_INT32(1));
	bson_error_t err;
	bool ok;

	ok = mongoc_client_command_simple(m->client, "admin", cmd, NULL, NULL, &err);
	bson_destroy(cmd);
	return ok ? 0 : mongo_error(&err, "ping");
}
