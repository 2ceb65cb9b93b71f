/* errlog.c - failures recorded in dive.errors (see errlog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/pg.h"
#include "dive/store.h"
#include "dive/xalloc.h"

#define CLEAN_INPUT_MAX (64 * 1024) /* only this much of a message is looked at */

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/*
 * One statement: the instance row is created when missing (as run_begin
 * does), so the error can name an instance that has no state yet.
 */
static const char sql_record[] =
	"WITH inst AS ("
	"  INSERT INTO dive.instances (code) SELECT $7 WHERE $7::text IS NOT NULL ON CONFLICT (code) DO NOTHING"
	") INSERT INTO dive.errors (code, severity, component, message, remediation, context, instance, run_id,"
	"  step_id)"
	" VALUES ($1::int, $2, $3, $4, $5, coalesce($6::jsonb, '{}'::jsonb), $7, $8::bigint, $9::bigint)"
	" RETURNING id";

static const char sql_counts[] =
	"SELECT severity, count(*) FROM dive.errors WHERE run_id = $1::bigint GROUP BY severity";

static const char sql_recent[] =
	"SELECT coalesce(json_agg(e ORDER BY e.at_sort DESC, e.id DESC), '[]'::json) FROM ("
	"  SELECT id, at AS at_sort, " TS("at") " AS at, code, severity, component, message, remediation, context,"
	"   instance, run_id, step_id, " TS("resolved_at") " AS resolved_at"
	"  FROM dive.errors WHERE $1::int = 0 OR code = $1::int ORDER BY at DESC, id DESC LIMIT $2::int) e";

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0; /* overlong, surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0; /* overlong, past U+10FFFF */
		return 4;
	}
	return 0;
}

/* "scheme://user:secret@host" -> "scheme://user:***@host", into a new string. */
static char *mask_userinfo(const char *in, size_t len)
{
	char *out = xmalloc(len * 2 + 16);
	size_t i = 0, o = 0;

	while (i < len) {
		if (i + 3 <= len && !memcmp(in + i, "://", 3)) {
			size_t start = i + 3, j = start, colon = 0;

			while (j < len && !strchr("/?#@ \t\r\n", in[j])) {
				if (in[j] == ':' && !colon)
					colon = j;
				j++;
			}
			memcpy(out + o, "://", 3);
			o += 3;
			if (j < len && in[j] == '@' && colon) {
				memcpy(out + o, in + start, colon - start);
				o += colon - start;
				memcpy(out + o, ":***@", 5);
				o += 5;
				i = j + 1;
			} else {
				i = start;
			}
			continue;
		}
		out[o++] = in[i++];
	}
	out[o] = '\0';
	return out;
}

void errlog_clean(char *out, size_t n, const char *in)
{
	const unsigned char *p;
	char *masked;
	size_t o = 0, len;

	if (n == 0)
		return;
	out[0] = '\0';
	if (!in)
		return;
	len = strnlen(in, CLEAN_INPUT_MAX);
	masked = mask_userinfo(in, len);
	for (p = (const unsigned char *)masked; *p;) {
		size_t l = utf8_len(p);

		if (l == 0 || (l == 1 && (*p < 0x20 || *p == 0x7f))) {
			if (o + 1 >= n)
				break;
			out[o++] = l == 0 ? '?' : ' ';
			p++;
			continue;
		}
		if (o + l >= n)
			break; /* never cut a character in two */
		memcpy(out + o, p, l);
		o += l;
		p += l;
	}
	out[o] = '\0';
	free(masked);
}

static int check_component(char out[ERRLOG_COMPONENT_MAX + 1], const char *in)
{
	size_t i, len = in ? strnlen(in, ERRLOG_COMPONENT_MAX + 1) : 0;

	if (len == 0 || len > ERRLOG_COMPONENT_MAX)
		return dive_error_set(DIVE_EUSAGE, "an error's component must have 1 to %d characters",
				      ERRLOG_COMPONENT_MAX);
	for (i = 0; i < len; i++) {
		char c = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];

		if (!((c >= 'a' && c <= 'z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-')))) {
			char shown[72];

			errlog_clean(shown, sizeof(shown), in);
			return dive_error_set(DIVE_EUSAGE, "'%s' is not a component name (like 'keycloak:deu')", shown);
		}
		out[i] = c;
	}
	out[len] = '\0';
	return 0;
}

static int check_context(const char *json)
{
	cJSON *doc;
	int ok;

	if (!json)
		return 0;
	if (strnlen(json, ERRLOG_CONTEXT_MAX + 1) > ERRLOG_CONTEXT_MAX)
		return dive_error_set(DIVE_EUSAGE, "an error's context is larger than %d bytes", ERRLOG_CONTEXT_MAX);
	doc = cJSON_Parse(json);
	ok = cJSON_IsObject(doc);
	cJSON_Delete(doc);
	return ok ? 0 : dive_error_set(DIVE_EUSAGE, "an error's context is not a JSON object");
}

int errlog_record(struct store *s, long long *out_id, int code, const char *component, const char *message,
		  const char *context_json, const char *instance, long long run_id, long long step_id)
{
	const struct errcode *e = errcode_find(code);
	const struct dive_country *c = NULL;
	char comp[ERRLOG_COMPONENT_MAX + 1], msg[ERRLOG_MESSAGE_MAX + 1], code_s[16], run_s[24], step_s[24];
	const char *params[9];
	PGresult *res = NULL;
	int rc;

	if (out_id)
		*out_id = 0;
	if (!e)
		return dive_error_set(DIVE_EUSAGE, "internal: %d is not an error code of the taxonomy", code);
	if ((rc = check_component(comp, component)) < 0 || (rc = check_context(context_json)) < 0)
		return rc;
	if (instance && !(c = country_find(instance))) {
		char shown[12];

		errlog_clean(shown, sizeof(shown), instance);
		return dive_error_set(DIVE_EUSAGE, "'%s' is not an instance code", shown);
	}
	if (run_id < 0 || step_id < 0)
		return dive_error_set(DIVE_EUSAGE, "internal: negative run or step id");
	errlog_clean(msg, sizeof(msg), message && *message ? message : e->summary);
	snprintf(code_s, sizeof(code_s), "%d", e->code);
	snprintf(run_s, sizeof(run_s), "%lld", run_id);
	snprintf(step_s, sizeof(step_s), "%lld", step_id);
	params[0] = code_s;
	params[1] = errsev_name(e->severity);
	params[2] = comp;
	params[3] = msg;
	params[4] = e->remediation;
	params[5] = context_json;
	params[6] = c ? c->code : NULL;
	params[7] = run_id ? run_s : NULL;
	params[8] = step_id ? step_s : NULL;
	rc = pg_exec(s->conn, &res, sql_record, 9, params);
	if (rc < 0)
		return rc;
	if (out_id)
		*out_id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int errlog_counts(struct store *s, long long run_id, int counts[ERRSEV__COUNT])
{
	char run_s[24];
	const char *params[1] = { run_s };
	PGresult *res = NULL;
	int rc, r;

	memset(counts, 0, sizeof(int) * ERRSEV__COUNT);
	snprintf(run_s, sizeof(run_s), "%lld", run_id);
	rc = pg_exec(s->conn, &res, sql_counts, 1, params);
	if (rc < 0)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		enum errsev sev;

		if (errsev_parse(&sev, PQgetvalue(res, r, 0)) == 0)
			counts[sev] = atoi(PQgetvalue(res, r, 1));
	}
	PQclear(res);
	dive_error_clear(); /* a severity this binary does not know is not an error of this call */
	return 0;
}

int errlog_run_verdict(struct store *s, enum errthr_action *action, char *why, size_t why_len, long long run_id)
{
	int counts[ERRSEV__COUNT], rc;

	if (why && why_len)
		why[0] = '\0';
	*action = ERRTHR_CONTINUE;
	if ((rc = errlog_counts(s, run_id, counts)) < 0)
		return rc;
	*action = (enum errthr_action)errthreshold_exceeded(counts, why, why_len);
	return 0;
}

int errlog_recent(struct store *s, cJSON **out, int code, int limit)
{
	char code_s[16], lim[16];
	const char *params[2] = { code_s, lim };
	PGresult *res = NULL;
	cJSON *item;
	int rc;

	*out = NULL;
	if (limit < 1 || limit > 1000)
		return dive_error_set(DIVE_EUSAGE, "the limit must be from 1 to 1000");
	snprintf(code_s, sizeof(code_s), "%d", code > 0 ? code : 0);
	snprintf(lim, sizeof(lim), "%d", limit);
	rc = pg_exec(s->conn, &res, sql_recent, 2, params);
	if (rc < 0)
		return rc;
	*out = cJSON_Parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return dive_error_set(DIVE_EFAIL, "the state store returned invalid error JSON");
	}
	cJSON_ArrayForEach(item, *out) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, "code");
		const struct errcode *e = cJSON_IsNumber(c) ? errcode_find(c->valueint) : NULL;

		cJSON_DeleteItemFromObjectCaseSensitive(item, "at_sort");
		cJSON_AddStringToObject(item, "name", e ? e->name : "UNKNOWN");
	}
	return 0;
}
