/* cmd_version.c - `dive version`: dive and the libraries it was linked with. */
#include <stdio.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <mongoc/mongoc.h>
#include <yaml.h>

#include "cmd.h"
#include "dive/exitcode.h"

static int cmd_version(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	char pq[16];
	int pqv = PQlibVersion();

	snprintf(pq, sizeof(pq), "%d.%d", pqv / 10000, pqv % 10000);
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *libs = cJSON_AddObjectToObject(doc, "libraries");
		char *s;

		cJSON_AddStringToObject(doc, "version", DIVE_VERSION);
		cJSON_AddStringToObject(libs, "libpq", pq);
		cJSON_AddStringToObject(libs, "libcurl", curl_version_info(CURLVERSION_NOW)->version);
		cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
		cJSON_AddStringToObject(libs, "libmongoc", mongoc_get_version());
		cJSON_AddStringToObject(libs, "libyaml", yaml_get_version_string());
		s = cJSON_Print(doc);
		fprintf(ctx->out, "%s\n", s);
		cJSON_free(s);
		cJSON_Delete(doc);
		return DIVE_EXIT_OK;
	}
	fprintf(ctx->out, "dive %s\n", DIVE_VERSION);
	fprintf(ctx->out, "libpq %s, libcurl %s, cJSON %s, libmongoc %s, libyaml %s\n", pq,
		curl_version_info(CURLVERSION_NOW)->version, cJSON_Version(), mongoc_get_version(),
		yaml_get_version_string());
	return DIVE_EXIT_OK;
}

const struct dive_verb cmd_version_verb = {
	.name = "version", .fn = cmd_version, .summary = "print the version of dive and its libraries",
};
