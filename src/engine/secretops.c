/* secretops.c - the secrets an instance uses, listed, and imported from a GCP Secret Manager export (see secretops.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/buf.h"
#include "dive/compose.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/file.h"
#include "dive/guard.h"
#include "dive/secretops.h"
#include "dive/secrets.h"
#include "dive/stack.h"
#include "dive/xalloc.h"
#include "secretops_priv.h"

#define IMPORT_FILE_MAX (1u << 20)
#define IMPORT_LINES_MAX 4096
#define IMPORT_VALUE_MAX 4096

/* --- what an instance uses --------------------------------------------------------- */

int secretops_stack_load(struct secretops_stack *out, const struct dive_country *c)
{
	char *path = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stack_path(&path, c->kind == DIVE_COUNTRY_HUB ? STACK_HUB : STACK_SPOKE)) < 0)
		return rc;
	if ((rc = stack_env_for(&out->env, c)) < 0) {
		free(path);
		return rc;
	}
	out->env_set = 1;
	out->env.flags |= INTERP_PLACEHOLDERS; /* no secret is read to know the names */
	rc = compose_load(&out->compose, path, &out->env);
	free(path);
	if (rc < 0)
		secretops_stack_release(out);
	return rc;
}

void secretops_stack_release(struct secretops_stack *s)
{
	compose_free(s->compose);
	if (s->env_set)
		stack_env_release(&s->env);
	memset(s, 0, sizeof(*s));
}

int secretops_stack_has(const struct secretops_stack *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->compose->dive.nsecrets; i++)
		if (!strcmp(s->compose->dive.secrets[i], key))
			return 1;
	return 0;
}

int secretops_federation_key(const char *key, const struct dive_country *c, const struct dive_country **other)
{
	char a[4], b[4];
	const struct dive_country *ca, *cb;

	if (strlen(key) != 25 || strncmp(key, "FEDERATION_", 11) || key[14] != '_' || strcmp(key + 18, "_SECRET"))
		return 0;
	memcpy(a, key + 11, 3);
	memcpy(b, key + 15, 3);
	a[3] = b[3] = '\0';
	ca = country_find(a);
	cb = country_find(b);
	if (!ca || !cb || ca != c || ca == cb || (ca->kind != DIVE_COUNTRY_HUB && cb->kind != DIVE_COUNTRY_HUB))
		return 0;
	if (other)
		*other = cb;
	return 1;
}

static void add_name(cJSON *list, const char *name, int set, const char *use)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddBoolToObject(e, "set", set);
	cJSON_AddStringToObject(e, "use", use);
	cJSON_AddItemToArray(list, e);
}

static int in_names(char *const *names, const char *key)
{
	size_t i;

	for (i = 0; names && names[i]; i++)
		if (!strcmp(names[i], key))
			return 1;
	return 0;
}

/* Set or not, by asking for it (the value is dropped at once); a missing one is not an error. */
static int probe(struct secrets_provider *p, char *const *held, int listed, const char *code, const char *key,
		 int *set)
{
	struct dive_secret v = DIVE_SECRET_INIT;
	int rc;

	if (listed) {
		*set = in_names(held, key);
		return 0;
	}
	rc = secrets_get(p, code, key, &v);
	dive_secret_release(&v);
	*set = rc == 0;
	if (rc == DIVE_ENOTFOUND) {
		dive_error_clear();
		return 0;
	}
	return rc;
}

int secretops_list(const struct secretops_opts *o, const struct dive_country *c, cJSON **out)
{
	struct secrets_provider *p = NULL;
	struct secretops_stack st;
	char **held = NULL, where[512], fed[32];
	const struct dive_country *hub = country_find("USA");
	cJSON *doc = NULL, *list;
	size_t i;
	int rc, listed, set;

	*out = NULL;
	if ((rc = secretops_stack_load(&st, c)) < 0)
		return rc;
	if ((rc = guard_secrets_open(&p, o->spec, o->instances_dir, o->store)) < 0)
		goto out;
	rc = secrets_list(p, c->code, &held);
	listed = rc == 0;
	if (rc == DIVE_ENOTIMPL) {
		rc = 0;
		dive_error_clear();
	}
	if (rc < 0)
		goto out;
	doc = cJSON_CreateObject();
	secrets_where(p, c->code, where, sizeof(where));
	cJSON_AddStringToObject(doc, "code", c->code);
	cJSON_AddStringToObject(doc, "provider", p->name);
	cJSON_AddStringToObject(doc, "where", where);
	list = cJSON_AddArrayToObject(doc, "secrets");
	for (i = 0; i < st.compose->dive.nsecrets && rc == 0; i++)
		if ((rc = probe(p, held, listed, c->code, st.compose->dive.secrets[i], &set)) == 0)
			add_name(list, st.compose->dive.secrets[i], set, "stack");
	if (rc == 0 && c != hub) {
		snprintf(fed, sizeof(fed), "FEDERATION_%s_USA_SECRET", c->code);
		if ((rc = probe(p, held, listed, c->code, fed, &set)) == 0)
			add_name(list, fed, set, "federation");
	}
	for (i = 0; rc == 0 && held && held[i]; i++) {
		if (secretops_stack_has(&st, held[i]) || (c != hub && !strcmp(held[i], fed)))
			continue;
		add_name(list, held[i], 1, secretops_federation_key(held[i], c, NULL) ? "federation" : "other");
	}
	if (rc == 0) {
		*out = doc;
		doc = NULL;
	}
out:
	cJSON_Delete(doc);
	secrets_names_free(held);
	secrets_close(p);
	secretops_stack_release(&st);
	return rc;
}

/* --- import from a GCP Secret Manager export --------------------------------------- */

/* The predecessor's per-instance names and shared fallbacks (predecessor.md §2.9). */
static const struct {
	const char *type;     /* dive-v3-<type>-<c> */
	const char *shared;   /* dive-v3-<shared>, read when no per-instance name exists */
	const char *key;
} gcp_names[] = {
	{ "postgres", "postgres-password", "POSTGRES_PASSWORD" },
	{ "mongodb", "mongo-password", "MONGO_PASSWORD" },
	{ "redis", "redis-password", "REDIS_PASSWORD" },
	{ "keycloak", "keycloak-admin-password", "KEYCLOAK_ADMIN_PASSWORD" },
	{ "client-secret", "keycloak-client-secret", "KEYCLOAK_CLIENT_SECRET" },
	{ "auth-secret", "auth-secret", "AUTH_SECRET" },
};

#define NGCP (sizeof(gcp_names) / sizeof(gcp_names[0]))

struct entry {
	char key[65];
	char *value;            /* wiped and freed by entries_release */
	int shared;             /* from a shared fallback name */
};

struct entries {
	struct entry v[IMPORT_LINES_MAX];
	size_t n;
	size_t skipped;
};

/* The dive key a GCP name means for c, or 0.  *shared when it is a fallback name. */
static int map_name(char key[65], int *shared, const char *name, const struct dive_country *c)
{
	char lower[4], suffix[8], other[4];
	size_t i, n = strlen(name), k;
	const struct dive_country *oc;

	*shared = 0;
	if (strncmp(name, "dive-v3-", 8))
		return 0;
	name += 8;
	n -= 8;
	country_lower(lower, c);
	snprintf(suffix, sizeof(suffix), "-%s", lower);
	/* dive-v3-federation-<a>-<b>, codes sorted, one of them c */
	if (n == 18 && !strncmp(name, "federation-", 11) && name[14] == '-') {
		const char *a = name + 11, *b = name + 15;
		const char *o = !strncmp(a, lower, 3) ? b : !strncmp(b, lower, 3) ? a : NULL;

		if (!o)
			return 0;
		for (i = 0; i < 3; i++)
			other[i] = (char)(o[i] >= 'a' && o[i] <= 'z' ? o[i] - 32 : o[i]);
		other[3] = '\0';
		if (!(oc = country_find(other)))
			return 0;
		snprintf(key, 65, "FEDERATION_%s_%s_SECRET", c->code, oc->code);
		return secretops_federation_key(key, c, NULL);
	}
	for (i = 0; i < NGCP; i++) {
		if (!strcmp(name, gcp_names[i].shared)) {
			*shared = 1;
			snprintf(key, 65, "%s", gcp_names[i].key);
			return 1;
		}
		if (n == strlen(gcp_names[i].type) + 4 && !strncmp(name, gcp_names[i].type, n - 4) &&
		    !strcmp(name + n - 4, suffix)) {
			snprintf(key, 65, "%s", gcp_names[i].key);
			return 1;
		}
	}
	/* the uploader's form: dive-v3-<env var in lower case, '-' for '_'>-<c> */
	if (n <= 4 || n - 4 > 64 || strcmp(name + n - 4, suffix))
		return 0;
	for (k = 0; k < n - 4; k++) {
		char ch = name[k];

		key[k] = ch == '-' ? '_' : (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
	}
	key[k] = '\0';
	return secrets_valid_key(key);
}

static void entries_release(struct entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		explicit_bzero(e->v[i].value, strlen(e->v[i].value));
		free(e->v[i].value);
	}
	e->n = 0;
}

static struct entry *find_entry(struct entries *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].key, key))
			return &e->v[i];
	return NULL;
}

/* Every line checked before anything is written; messages name lines, never values. */
static int parse_export(struct entries *out, const char *text, size_t len, const char *file,
			const struct dive_country *c, const struct secretops_stack *st)
{
	const char *line = text, *end = text + len;
	int lineno = 0;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line)), *eq;
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line), vn;
		char name[256], key[65];
		struct entry *e;
		int shared, used;

		lineno++;
		if (lineno > IMPORT_LINES_MAX)
			return dive_error_set(DIVE_EUSAGE, "%s: more than %d lines", file, IMPORT_LINES_MAX);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			goto next;
		eq = memchr(line, '=', n);
		if (!eq || eq == line || (size_t)(eq - line) >= sizeof(name))
			return dive_error_set(DIVE_EUSAGE, "%s:%d: not NAME=VALUE", file, lineno);
		memcpy(name, line, (size_t)(eq - line));
		name[eq - line] = '\0';
		vn = n - (size_t)(eq - line) - 1;
		if (vn == 0 || vn > IMPORT_VALUE_MAX || memchr(eq + 1, '\0', vn))
			return dive_error_set(DIVE_EUSAGE, "%s:%d: the value of '%.64s' must be 1 to %d bytes", file, lineno,
					      name, IMPORT_VALUE_MAX);
		used = map_name(key, &shared, name, c) &&
		       (secretops_stack_has(st, key) || secretops_federation_key(key, c, NULL));
		if (!used) {
			out->skipped++;
			goto next;
		}
		e = find_entry(out, key);
		if (e && !e->shared && !shared)
			return dive_error_set(DIVE_EUSAGE, "%s:%d: '%.64s' gives %s of %s a second time", file, lineno, name,
					      key, c->code);
		if (e && !shared) {
			/* a per-instance name wins over a shared fallback, wherever it stands */
			explicit_bzero(e->value, strlen(e->value));
			free(e->value);
		} else if (e) {
			out->skipped++;
			goto next;
		} else {
			e = &out->v[out->n++];
		}
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->value = xstrndup(eq + 1, vn);
		e->shared = shared;
next:
		line = nl ? nl + 1 : end;
	}
	return 0;
}

int secretops_import(const struct secretops_opts *o, const struct dive_country *c, const char *file, int overwrite,
		     cJSON **out)
{
	struct secrets_provider *p = NULL;
	struct secretops_stack st;
	struct entries *e = xcalloc(1, sizeof(*e));
	struct dive_buf text;
	cJSON *doc = cJSON_CreateObject(), *imported, *kept;
	size_t i;
	int rc;

	*out = NULL;
	dive_buf_init(&text, IMPORT_FILE_MAX);
	if ((rc = secretops_stack_load(&st, c)) < 0)
		goto out;
	if ((rc = dive_file_read(&text, file, IMPORT_FILE_MAX, "the secrets export")) < 0) {
		/* a file named on the command line: bad input, nothing was changed */
		struct dive_error_saved sv;

		dive_error_save(&sv);
		sv.err = DIVE_EUSAGE;
		rc = dive_error_restore(&sv);
		goto out;
	}
	if ((rc = parse_export(e, text.ptr ? text.ptr : "", text.len, file, c, &st)) < 0)
		goto out;
	if ((rc = guard_secrets_open(&p, o->spec, o->instances_dir, o->store)) < 0)
		goto out;
	cJSON_AddStringToObject(doc, "code", c->code);
	cJSON_AddStringToObject(doc, "file", file);
	cJSON_AddStringToObject(doc, "provider", p->name);
	imported = cJSON_AddArrayToObject(doc, "imported");
	kept = cJSON_AddArrayToObject(doc, "kept");
	for (i = 0; i < e->n && rc == 0; i++) {
		struct dive_secret v = DIVE_SECRET_INIT;
		int exists;

		rc = secrets_get(p, c->code, e->v[i].key, &v);
		dive_secret_release(&v);
		exists = rc == 0;
		if (rc == DIVE_ENOTFOUND) {
			rc = 0;
			dive_error_clear();
		}
		if (rc < 0)
			break;
		if (exists && !overwrite) {
			cJSON_AddItemToArray(kept, cJSON_CreateString(e->v[i].key));
			continue;
		}
		if (!o->dry_run) {
			dive_secret_set(&v, e->v[i].value);
			rc = secrets_put(p, c->code, e->v[i].key, &v);
			dive_secret_release(&v);
			if (rc < 0)
				break;
		}
		cJSON_AddItemToArray(imported, cJSON_CreateString(e->v[i].key));
	}
	cJSON_AddNumberToObject(doc, "skipped", (double)e->skipped);
	cJSON_AddBoolToObject(doc, "dry_run", o->dry_run);
	if (rc == 0) {
		*out = doc;
		doc = NULL;
	}
out:
	if (text.ptr)
		explicit_bzero(text.ptr, text.len);
	dive_buf_release(&text);
	entries_release(e);
	free(e);
	cJSON_Delete(doc);
	secrets_close(p);
	secretops_stack_release(&st);
	return rc;
}
