/* legacy.c - the predecessor's state files (see legacy.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dive/error.h"
#include "dive/legacy.h"
#include "dive/sha256.h"
#include "dive/xalloc.h"

static void copy_value(char *dst, size_t n, const char *v, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 1 < n; i++)
		dst[j++] = (v[i] >= 0x20 && v[i] != 0x7f) ? v[i] : '?';
	dst[j] = '\0';
}

int legacy_state_parse(struct legacy_state *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int have_state = 0, line = 0;

	memset(out, 0, sizeof(*out));
	if (len > LEGACY_MAX_BYTES)
		return dive_error_set(DIVE_EUSAGE, "larger than %d bytes", LEGACY_MAX_BYTES);
	if (memchr(text, '\0', len))
		return dive_error_set(DIVE_EUSAGE, "binary content");
	sha256_hex(out->sha256, text, len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
		size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (llen && p[llen - 1] == '\r')
			llen--;
		eq = memchr(p, '=', llen);
		if (llen == 0 || p[0] == '#') {
			/* blank or comment */
		} else if (!eq) {
			legacy_state_release(out);
			return dive_error_set(DIVE_EUSAGE, "line %d is not key=value", line);
		} else {
			size_t klen = (size_t)(eq - p), vlen = llen - klen - 1;
			const char *v = eq + 1;

			if (klen == 5 && !strncmp(p, "state", 5)) {
				char name[32];

				copy_value(name, sizeof(name), v, vlen);
				if (dive_state_parse(&out->state, name) < 0) {
					legacy_state_release(out);
					return dive_error_set(DIVE_EUSAGE, "line %d: unknown state '%.20s'", line, name);
				}
				have_state = 1;
			} else if (klen == 9 && !strncmp(p, "timestamp", 9)) {
				copy_value(out->timestamp, sizeof(out->timestamp), v, vlen);
			} else if (klen == 6 && !strncmp(p, "reason", 6)) {
				copy_value(out->reason, sizeof(out->reason), v, vlen);
			} else if (klen == 8 && !strncmp(p, "metadata", 8)) {
				char *json = xstrndup(v, vlen);
				cJSON *doc = cJSON_Parse(json);

				if (cJSON_IsObject(doc)) {
					free(out->metadata);
					out->metadata = cJSON_PrintUnformatted(doc);
				}
				cJSON_Delete(doc);
				free(json);
			}
			/* version, checksum and unknown keys are ignored */
		}
		p = nl ? nl + 1 : end;
	}
	if (!have_state) {
		legacy_state_release(out);
		return dive_error_set(DIVE_EUSAGE, "no state= line");
	}
	return 0;
}

void legacy_state_release(struct legacy_state *ls)
{
	if (ls->metadata)
		cJSON_free(ls->metadata);
	ls->metadata = NULL;
}
