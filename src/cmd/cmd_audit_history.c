/*
 * cmd_audit_history.c - `dive federation audit --history`: the audit
 * reports `dive serve` recorded (auditlog.h), newest first.
 */
#include <stdio.h>

#include "cmd.h"
#include "dive/auditlog.h"
#include "dive/exitcode.h"

int cmd_audit_history(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	int limit = (int)dive_opt_int(inv, "limit", 20);
	cJSON *list = NULL, *r;
	int rc;

	if ((rc = auditlog_list(ctx->store, &list, limit, ctx->json)) < 0)
		return dive_fail_last(ctx, rc, "cannot read the audit history");
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddItemToObject(doc, "reports", list);
		return dive_print_json(ctx, doc);
	}
	if (cJSON_GetArraySize(list) == 0)
		fprintf(ctx->out, "no audit recorded yet ('dive serve --audit-interval' records them)\n");
	else
		fprintf(ctx->out, "%-6s  %-24s  %-8s  %-5s  %5s  %7s  %s\n", "ID", "AT", "TRIGGER", "OK", "CODES", "DRIFTED",
			"DRIFT / ERROR");
	cJSON_ArrayForEach(r, list) {
		const cJSON *kinds = cJSON_GetObjectItem(r, "by_kind"), *k;
		char drift[256] = "";
		size_t used = 0;

		cJSON_ArrayForEach(k, kinds)
			if (cJSON_IsNumber(k) && k->valuedouble > 0 && used + 1 < sizeof(drift))
				used += (size_t)snprintf(drift + used, sizeof(drift) - used, "%s%s=%d", used ? "," : "",
							 k->string, k->valueint);
		fprintf(ctx->out, "%-6d  %-24s  %-8s  %-5s  %5d  %7d  %s\n",
			cJSON_GetObjectItem(r, "id") ? cJSON_GetObjectItem(r, "id")->valueint : 0,
			cJSON_GetStringValue(cJSON_GetObjectItem(r, "at")),
			cJSON_GetStringValue(cJSON_GetObjectItem(r, "trigger")),
			cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")) ? "yes" : "no",
			cJSON_GetObjectItem(r, "codes") ? cJSON_GetObjectItem(r, "codes")->valueint : 0,
			cJSON_GetObjectItem(r, "drifted") ? cJSON_GetObjectItem(r, "drifted")->valueint : 0,
			cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")) ? (drift[0] ? drift : "-")
								    : cJSON_GetStringValue(cJSON_GetObjectItem(r, "error")));
	}
	cJSON_Delete(list);
	return DIVE_EXIT_OK;
}
