/* kc_diff.c - field-level diff and merge of Keycloak representations (see keycloak.h). */
#include <stdio.h>
#include <string.h>

#include "dive/keycloak.h"

static const char *const outcome_names[KC_OUTCOME__COUNT] = {
	[KC_UNCHANGED] = "unchanged",
	[KC_CREATED] = "created",
	[KC_UPDATED] = "updated",
	[KC_DELETED] = "deleted",
};

const char *kc_outcome_name(enum kc_outcome o)
{
	return (unsigned)o < KC_OUTCOME__COUNT ? outcome_names[o] : "unknown";
}

/* The names of the fields that differ, comma-separated, cut with "...". */
struct names {
	char *buf;
	size_t n;
	int full;
};

static void name_add(struct names *nm, const char *path)
{
	size_t used, need;

	if (!nm->buf || !nm->n || nm->full)
		return;
	used = strlen(nm->buf);
	need = strlen(path) + (used ? 2 : 0);
	if (used + need + 4 >= nm->n) {
		/* no room: mark the cut once, if "..." itself fits */
		if (used + 5 < nm->n)
			strcat(nm->buf, used ? ", ..." : "...");
		nm->full = 1;
		return;
	}
	if (used)
		strcat(nm->buf, ", ");
	strcat(nm->buf, path);
}

/* A value Keycloak shows masked ("**********"): write-only, never compared. */
static int masked(const cJSON *v)
{
	const char *s;

	if (!cJSON_IsString(v))
		return 0;
	s = v->valuestring;
	if (strlen(s) < 6)
		return 0;
	while (*s == '*')
		s++;
	return *s == '\0';
}

static int scalar(const cJSON *v)
{
	return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v);
}

/* A scalar's text: strings as they are, true/false, integers without a point. */
static const char *scalar_text(const cJSON *v, char *tmp, size_t n)
{
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
			snprintf(tmp, n, "%lld", (long long)d);
		else
			snprintf(tmp, n, "%.17g", d);
		return tmp;
	}
	return "null";
}

static int scalar_equal(const cJSON *a, const cJSON *b)
{
	char ta[64], tb[64];

	if (!scalar(a) || !scalar(b))
		return 0;
	return !strcmp(scalar_text(a, ta, sizeof(ta)), scalar_text(b, tb, sizeof(tb)));
}

static int all_scalars(const cJSON *arr)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr) {
		if (!scalar(e))
			return 0;
	}
	return 1;
}

static int contains(const cJSON *arr, const cJSON *v)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr) {
		if (scalar_equal(e, v))
			return 1;
	}
	return 0;
}

static int arrays_equal(const cJSON *live, const cJSON *want)
{
	const cJSON *e;

	if (all_scalars(live) && all_scalars(want)) {
		/* as sets: Keycloak reorders redirect URIs and web origins */
		cJSON_ArrayForEach(e, want) {
			if (!contains(live, e))
				return 0;
		}
		cJSON_ArrayForEach(e, live) {
			if (!contains(want, e))
				return 0;
		}
		return 1;
	}
	return cJSON_Compare(live, want, 1);
}

static int diff_value(const cJSON *live, const cJSON *want, struct names *nm, const char *path);

static int diff_object(const cJSON *live, const cJSON *want, struct names *nm, const char *path)
{
	const cJSON *c;
	int count = 0;

	cJSON_ArrayForEach(c, want) {
		char sub[256];

		if (!c->string)
			continue;
		if (path[0])
			snprintf(sub, sizeof(sub), "%s.%s", path, c->string);
		else
			snprintf(sub, sizeof(sub), "%s", c->string);
		count += diff_value(cJSON_GetObjectItemCaseSensitive(live, c->string), c, nm, sub);
	}
	return count;
}

static int diff_value(const cJSON *live, const cJSON *want, struct names *nm, const char *path)
{
	int same;

	if (masked(live))
		return 0;
	if (cJSON_IsObject(want)) {
		if (cJSON_IsObject(live))
			return diff_object(live, want, nm, path);
		same = 0;
	} else if (cJSON_IsArray(want)) {
		same = cJSON_IsArray(live) && arrays_equal(live, want);
	} else {
		same = live && scalar_equal(live, want);
	}
	if (same)
		return 0;
	name_add(nm, path);
	return 1;
}

int kc_rep_diff(const cJSON *live, const cJSON *desired, char *changed, size_t n)
{
	struct names nm = { changed, n, 0 };

	if (changed && n)
		changed[0] = '\0';
	if (!cJSON_IsObject(desired))
		return 0;
	return diff_value(live, desired, &nm, "");
}

static void merge_into(cJSON *dst, const cJSON *src)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, src) {
		cJSON *d;

		if (!c->string)
			continue;
		d = cJSON_GetObjectItemCaseSensitive(dst, c->string);
		if (cJSON_IsObject(c) && cJSON_IsObject(d))
			merge_into(d, c);
		else if (d)
			cJSON_ReplaceItemInObjectCaseSensitive(dst, c->string, cJSON_Duplicate(c, 1));
		else
			cJSON_AddItemToObject(dst, c->string, cJSON_Duplicate(c, 1));
	}
}

cJSON *kc_rep_merge(const cJSON *live, const cJSON *desired)
{
	cJSON *out = cJSON_IsObject(live) ? cJSON_Duplicate(live, 1) : cJSON_CreateObject();

	if (cJSON_IsObject(desired))
		merge_into(out, desired);
	return out;
}

static void wipe(cJSON *j)
{
	cJSON *c;

	if (!j)
		return;
	if (cJSON_IsString(j) && j->valuestring)
		explicit_bzero(j->valuestring, strlen(j->valuestring));
	for (c = j->child; c; c = c->next)
		wipe(c);
}

void kc_json_wipe_delete(cJSON *j)
{
	wipe(j);
	cJSON_Delete(j);
}
