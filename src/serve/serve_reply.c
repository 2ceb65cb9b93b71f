/* serve_reply.c - JSON answers, shared by the server and its API (see serve_priv.h). */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "serve_priv.h"

void serve_reply_json(struct serve_reply *r, unsigned status, cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);

	r->status = status;
	r->content_type = "application/json";
	dive_buf_reset(&r->body);
	if (s)
		dive_buf_adds(&r->body, s);
	free(s);
	cJSON_Delete(doc);
}

void serve_reply_error(struct serve_reply *r, unsigned status, const char *message)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddBoolToObject(doc, "ok", 0);
	cJSON_AddStringToObject(doc, "error", message);
	serve_reply_json(r, status, doc);
}
