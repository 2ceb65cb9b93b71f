/* instance.c - the instance file instances/<code>/instance.yml (see instance.h), read with the stack files' reader. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/buf.h"
#include "dive/errcodes.h"
#include "dive/file.h"
#include "dive/error.h"
#include "dive/instance.h"
#include "dive/text.h"
#include "dive/xalloc.h"

static const char *const trust_levels[] = { "development", "partner", "bilateral", "national", NULL };
static const char *const classifications[] = { "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP_SECRET",
					       NULL };
static const char *const approvals[] = { "hub", "auto", "manual", NULL };
static const char *const profiles[] = { "local", "real", NULL };

const struct instance_key_def instance_keys[IK__COUNT] = {
	[IK_DISPLAY_NAME] = { .path = "display_name", .type = IT_TEXT,
			      .help = "the spoke's name as people read it (default: the country's name)" },
	[IK_CONTACT] = { .path = "contact", .type = IT_EMAIL, .help = "who runs this spoke, an e-mail address" },
	[IK_ENGINE] = { .path = "engine", .type = IT_ENGINE, .flag = "--engine",
			.help = "the Docker engine the spoke runs on: local or a name of 'dive engine list'" },
	[IK_HUB_URL] = { .path = "hub_url", .type = IT_URL, .env = "DIVE_HUB_URL", .flag = "--hub-url",
			 .help = "the hub's backend as the spoke's containers reach it" },
	[IK_TRUST_LEVEL] = { .path = "federation.trust_level", .type = IT_CHOICE, .choices = trust_levels,
			     .help = "the trust the spoke asks the hub for" },
	[IK_SCOPES] = { .path = "federation.requested_scopes", .type = IT_SCOPES,
			.help = "the policy scopes the spoke asks for (a list)" },
	[IK_MAX_CLASSIFICATION] = { .path = "federation.max_classification", .type = IT_CHOICE,
				    .choices = classifications, .help = "the highest classification the spoke asks to see" },
	[IK_APPROVAL] = { .path = "federation.approval", .type = IT_CHOICE, .choices = approvals,
			  .help = "hub: the hub stack's x-dive.federation.approval; auto or manual for this spoke" },
	[IK_IMAGES_PROFILE] = { .path = "images.profile", .type = IT_CHOICE, .choices = profiles,
				.help = "local: dive's local images (stand-ins for the applications); real: the stack "
					"file's image names as written" },
	[IK_SECRETS_PROVIDER] = { .path = "secrets.provider", .type = IT_PROVIDER, .env = "DIVE_SECRETS",
				  .help = "where this spoke's secrets live: file, file:DIR, env or vault:URL,..." },
};

/* The maps of the file and the keys they hold (services: by name, below). */
static const char *const sections[] = { "federation", "images", "secrets", NULL };

int instance_key_find(const char *path)
{
	int i;

	for (i = 0; path && i < IK__COUNT; i++)
		if (!strcmp(instance_keys[i].path, path))
			return i;
	return -1;
}

void instance_default(char *out, size_t n, enum instance_key k, const struct dive_country *c)
{
	char lower[4];

	country_lower(lower, c);
	switch (k) {
	case IK_DISPLAY_NAME:
		snprintf(out, n, "%s", c->name);
		return;
	case IK_ENGINE:
		snprintf(out, n, "local");
		return;
	case IK_HUB_URL:
		snprintf(out, n, "http://dive-hub-backend:4000");
		return;
	case IK_SCOPES:
		snprintf(out, n, "policy:base,policy:%s", lower);
		return;
	case IK_SECRETS_PROVIDER:
		snprintf(out, n, "file");
		return;
	case IK_TRUST_LEVEL:
	case IK_MAX_CLASSIFICATION:
	case IK_APPROVAL:
	case IK_IMAGES_PROFILE:
		snprintf(out, n, "%s", instance_keys[k].choices[0]);
		return;
	case IK_CONTACT:
	case IK__COUNT:
		break;
	}
	out[0] = '\0';
}

/* --- secrets never live here -------------------------------------------------- */

static int contains_ci(const char *s, const char *word)
{
	size_t n = strlen(word), i;

	for (; *s; s++) {
		for (i = 0; i < n && s[i] && tolower((unsigned char)s[i]) == word[i]; i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

int instance_secret_name(const char *name)
{
	static const char *const words[] = { "password", "passwd", "secret", "token", "credential", "private_key",
					     "privatekey", "api_key", "apikey", NULL };
	size_t i;

	for (i = 0; words[i]; i++)
		if (contains_ci(name, words[i]))
			return 1;
	return 0;
}

int instance_secret_value(const char *v, const char **why)
{
	const char *p = strstr(v, "://"), *at, *colon;
	size_t dots = 0, i;

	if (strstr(v, "-----BEGIN")) {
		*why = "PEM text";
		return 1;
	}
	if (p) {
		at = strchr(p + 3, '@');
		colon = strchr(p + 3, ':');
		if (at && colon && colon < at && !memchr(p + 3, '/', (size_t)(at - p - 3))) {
			*why = "a URL with a password";
			return 1;
		}
	}
	if (!strncmp(v, "hvs.", 4) || !strncmp(v, "hvb.", 4) || !strncmp(v, "hvr.", 4)) {
		*why = "a Vault token";
		return 1;
	}
	if (!strncmp(v, "eyJ", 3)) {
		for (i = 0; v[i]; i++)
			dots += v[i] == '.';
		if (dots == 2) {
			*why = "a JSON Web Token";
			return 1;
		}
	}
	return 0;
}

/* --- values ------------------------------------------------------------------ */

static int bad(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(const char *what, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dive_error_setc(DIVE_EUSAGE, ERRC_INSTANCE_CONFIG, "%s %s", what, msg);
}

static int check_url(const char *v, const char *what)
{
	const char *host, *end;
	size_t i;

	if (!strncmp(v, "http://", 7))
		host = v + 7;
	else if (!strncmp(v, "https://", 8))
		host = v + 8;
	else
		return bad(what, "must be an http:// or https:// URL");
	end = host + strcspn(host, "/?#");
	if (end == host)
		return bad(what, "has no host");
	for (i = 0; host + i < end; i++) {
		char c = host[i];

		if (c == '@')
			return bad(what, "may not hold user information (user@): secrets go through the secrets "
					 "provider");
		if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' ||
		      c == '_'))
			return bad(what, "has a character a host cannot have");
	}
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return bad(what, "has a blank or a control character");
	return 0;
}

static int check_email(const char *v, const char *what)
{
	const char *at = strchr(v, '@');
	size_t i;

	if (!at || at == v || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.') || strlen(v) > 254)
		return bad(what, "must be an e-mail address (local@domain)");
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f || v[i] == '<' || v[i] == '>' || v[i] == '"')
			return bad(what, "must be an e-mail address (local@domain)");
	return 0;
}

static int check_scope(const char *s, const char *what)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return bad(what, "holds a scope that is empty or longer than 64 bytes");
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr(":._-", s[i])))
			return bad(what, "holds a scope with a character other than letters, digits and ':._-'");
	return 0;
}

int instance_value_check(enum instance_key k, const char *v, const char *what)
{
	const struct instance_key_def *d = &instance_keys[k];
	const char *why;
	size_t at, i;

	if (strlen(v) > INSTANCE_VALUE_MAX)
		return bad(what, "is longer than 1024 bytes");
	if (!text_is_clean(v, &at))
		return bad(what, "has a control character or a byte that is not UTF-8");
	if (instance_secret_value(v, &why))
		return dive_error_setc(DIVE_EUSAGE, ERRC_INSTANCE_SECRET,
				       "%s looks like a secret (%s): secrets live only in the secrets provider "
				       "(DIVE_SECRETS or secrets.provider; dive secrets import), never in the instance file",
				       what, why);
	switch (d->type) {
	case IT_TEXT:
		if (!*v || strlen(v) > INSTANCE_TEXT_MAX)
			return bad(what, "must be 1 to 64 bytes of text");
		return 0;
	case IT_EMAIL:
		return check_email(v, what);
	case IT_URL:
		return check_url(v, what);
	case IT_CHOICE:
		for (i = 0; d->choices[i]; i++)
			if (!strcmp(d->choices[i], v))
				return 0;
		{
			char list[160];
			size_t used = 0;

			list[0] = '\0';
			for (i = 0; d->choices[i] && used < sizeof(list); i++)
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
							 d->choices[i]);
			return bad(what, "is one of %s", list);
		}
	case IT_SCOPES: {
		char *copy = xstrdup(v), *p, *save = NULL;
		int rc = 0, n = 0;

		for (p = strtok_r(copy, ",", &save); p && rc == 0; p = strtok_r(NULL, ",", &save), n++)
			rc = n >= INSTANCE_SCOPES_MAX ? bad(what, "holds more than 32 scopes") : check_scope(p, what);
		free(copy);
		return rc;
	}
	case IT_ENGINE:
	case IT_PROVIDER:
		if (!*v)
			return bad(what, "needs a value");
		return 0; /* the engine layer knows these (instcfg.h) */
	}
	return 0;
}

/* --- the file ----------------------------------------------------------------- */

struct iload {
	struct loader L;
	struct instance_file *f;
	const struct compose *spoke;
};

/* An error of the stack files' reader (FILE:LINE already in it) is an instance file error here. */
static int at_code(int rc)
{
	if (dive_error_last_code() == ERRC_COMPOSE_PARSE || !dive_error_last_code())
		dive_error_set_code(ERRC_INSTANCE_CONFIG);
	return rc;
}

/* The place of the message is n; the message is the value check's, after FILE:LINE. */
static int at_node(struct iload *x, const yaml_node_t *n, int rc)
{
	int code = dive_error_last_code();
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", dive_error_last());
	dive_error_set(rc, "%s:%d: %s", x->L.path, cl_line_of(n), msg);
	dive_error_set_code(code ? code : ERRC_INSTANCE_CONFIG);
	return rc;
}

static int fail(struct iload *x, const yaml_node_t *n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct iload *x, const yaml_node_t *n, int code, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dive_error_set(DIVE_EUSAGE, "%s:%d: %s", x->L.path, cl_line_of(n), msg);
	dive_error_set_code(code);
	return DIVE_EUSAGE;
}

/* The literal text of a scalar (no interpolation), shown safely. */
static int scalar(struct iload *x, const yaml_node_t *n, const char *what, const char **out)
{
	int rc;

	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, ERRC_INSTANCE_CONFIG, "%s must be a single value, not %s", what, cl_kind_name(n));
	if ((rc = cl_raw_text(&x->L, n, what, out)) < 0)
		return at_code(rc);
	if (cl_is_null(n))
		return fail(x, n, ERRC_INSTANCE_CONFIG, "%s needs a value", what);
	return 0;
}

static int secret_key(struct iload *x, const yaml_node_t *k, const char *path)
{
	return fail(x, k, ERRC_INSTANCE_SECRET,
		    "'%s' names a secret: secrets live only in the secrets provider (DIVE_SECRETS or "
		    "secrets.provider; dive secrets import), never in the instance file%s",
		    path, "");
}

static int set_key(struct iload *x, enum instance_key k, const yaml_node_t *v)
{
	const char *text;
	char *joined = NULL;
	int rc;

	if (k == IK_SCOPES && v->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *i;
		yaml_node_t *item;
		struct dive_buf b;

		if ((rc = cl_check_seq(&x->L, v, instance_keys[k].path)) < 0)
			return rc;
		dive_buf_init(&b, INSTANCE_VALUE_MAX);
		SEQ_EACH(&x->L, v, i, item) {
			const char *s;

			if ((rc = scalar(x, item, "a requested scope", &s)) < 0) {
				dive_buf_release(&b);
				return rc;
			}
			if ((rc = check_scope(s, "a requested scope")) < 0 ||
			    (b.len && dive_buf_add(&b, ",", 1) < 0) || dive_buf_add(&b, s, strlen(s)) < 0) {
				if (rc == 0)
					rc = bad("federation.requested_scopes", "is longer than 1024 bytes");
				dive_buf_release(&b);
				return at_node(x, item, rc);
			}
		}
		joined = xstrdup(dive_buf_str(&b));
		dive_buf_release(&b);
		text = joined;
	} else if ((rc = scalar(x, v, instance_keys[k].path, &text)) < 0) {
		return rc;
	}
	if ((rc = instance_value_check(k, text, instance_keys[k].path)) < 0) {
		free(joined);
		return at_node(x, v, rc);
	}
	x->f->value[k] = joined ? joined : xstrdup(text);
	x->f->line[k] = cl_line_of(v);
	return 0;
}

static int known_service(const struct iload *x, const char *name)
{
	return !x->spoke || compose_service_find(x->spoke, name) != NULL;
}

static int declared_secret(const struct iload *x, const char *name)
{
	size_t i;

	for (i = 0; x->spoke && i < x->spoke->dive.nsecrets; i++)
		if (!strcmp(x->spoke->dive.secrets[i], name))
			return 1;
	return 0;
}

static int valid_env_name(const char *s)
{
	size_t i;

	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return i <= 128;
}

static int service_env(struct iload *x, struct instance_service *s, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	char what[WHAT_MAX];
	int rc;

	snprintf(what, sizeof(what), "services.%s.environment", s->name);
	if ((rc = cl_check_map(&x->L, n, what)) < 0)
		return at_code(rc);
	MAP_EACH(&x->L, n, p, k, v) {
		const char *name = KEY(k), *val, *why;
		struct compose_kv *e;
		size_t at;

		if (!valid_env_name(name))
			return fail(x, k, ERRC_INSTANCE_CONFIG, "%s: '%.64s' is not a variable name", what, name);
		if (instance_secret_name(name) || declared_secret(x, name))
			return fail(x, k, ERRC_INSTANCE_SECRET,
				    "%s: '%.64s' is a secret: secrets live only in the secrets provider (DIVE_SECRETS or "
				    "secrets.provider), never in the instance file",
				    what, name);
		if (v->type != YAML_SCALAR_NODE)
			return fail(x, v, ERRC_INSTANCE_CONFIG, "%s: the value of '%.64s' must be a single value", what,
				    name);
		if ((rc = cl_raw_text(&x->L, v, what, &val)) < 0)
			return at_code(rc);
		if (strlen(val) > INSTANCE_VALUE_MAX || !text_is_clean(val, &at))
			return fail(x, v, ERRC_INSTANCE_CONFIG,
				    "%s: the value of '%.64s' is longer than 1024 bytes or has a control character", what,
				    name);
		if (instance_secret_value(val, &why))
			return fail(x, v, ERRC_INSTANCE_SECRET,
				    "%s: the value of '%.64s' looks like a secret: secrets live only in the secrets "
				    "provider (DIVE_SECRETS or secrets.provider), never in the instance file",
				    what, name);
		e = PUSH(s->env, s->nenv);
		e->key = xstrdup(name);
		e->value = xstrdup(val);
		e->line = cl_line_of(k);
	}
	return 0;
}

static int service(struct iload *x, yaml_node_t *k, yaml_node_t *n)
{
	struct instance_service *s;
	yaml_node_pair_t *p;
	yaml_node_t *fk, *v;
	char what[WHAT_MAX];
	int rc;

	if (!known_service(x, KEY(k)))
		return fail(x, k, ERRC_INSTANCE_CONFIG, "services: the spoke stack has no service '%.64s'", KEY(k));
	s = PUSH(x->f->services, x->f->nservices);
	s->name = xstrdup(KEY(k));
	s->line = cl_line_of(k);
	snprintf(what, sizeof(what), "services.%s", s->name);
	if ((rc = cl_check_map(&x->L, n, what)) < 0)
		return at_code(rc);
	MAP_EACH(&x->L, n, p, fk, v) {
		const char *key = KEY(fk), *text;
		char field[WHAT_MAX + 32];

		snprintf(field, sizeof(field), "%s.%s", what, key);
		if (!strcmp(key, "environment")) {
			rc = service_env(x, s, v);
		} else if (!strcmp(key, "memory") || !strcmp(key, "cpus") || !strcmp(key, "pids") ||
			   !strcmp(key, "timeout")) {
			if ((rc = scalar(x, v, field, &text)) < 0)
				return rc;
			if (!strcmp(key, "memory")) {
				rc = compose_parse_bytes(&s->memory, text) < 0 || s->memory < (6LL << 20)
					     ? fail(x, v, ERRC_INSTANCE_CONFIG, "%s must be a size of at least 6m (512m, 2g), not '%.32s'",
						    field, text)
					     : 0;
				s->memory_line = cl_line_of(v);
			} else if (!strcmp(key, "cpus")) {
				char *end;
				double d;

				errno = 0;
				d = strtod(text, &end);
				rc = errno || end == text || *end || !(d >= 0.01 && d <= 512)
					     ? fail(x, v, ERRC_INSTANCE_CONFIG, "%s must be a number of CPUs from 0.01 to 512, not '%.32s'",
						    field, text)
					     : 0;
				s->nano_cpus = (long long)(d * 1e9 + 0.5);
				s->cpus_line = cl_line_of(v);
			} else if (!strcmp(key, "pids")) {
				char *end;
				long l;

				errno = 0;
				l = strtol(text, &end, 10);
				rc = errno || end == text || *end || l < 16 || l > 4194304
					     ? fail(x, v, ERRC_INSTANCE_CONFIG, "%s must be a whole number from 16 to 4194304, not '%.32s'",
						    field, text)
					     : 0;
				s->pids = l;
				s->pids_line = cl_line_of(v);
			} else {
				rc = compose_parse_duration(&s->timeout_ms, text) < 0 || s->timeout_ms < 1000 ||
						     s->timeout_ms > 3600L * 1000
					     ? fail(x, v, ERRC_INSTANCE_CONFIG, "%s must be a duration from 1s to 1h (90s, 5m), not '%.32s'",
						    field, text)
					     : 0;
				s->timeout_line = cl_line_of(v);
			}
		} else if (instance_secret_name(key)) {
			rc = secret_key(x, fk, field);
		} else {
			rc = fail(x, fk, ERRC_INSTANCE_CONFIG,
				  "unknown key '%.64s' in %s (memory, cpus, pids, timeout, environment)", key, what);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int services(struct iload *x, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	int rc;

	if ((rc = cl_check_map(&x->L, n, "services")) < 0)
		return at_code(rc);
	MAP_EACH(&x->L, n, p, k, v)
		if ((rc = service(x, k, v)) < 0)
			return rc;
	return 0;
}

/* One level of keys: prefix "" (the top) or "federation". */
static int level(struct iload *x, yaml_node_t *n, const char *prefix)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	int rc;

	if ((rc = cl_check_map(&x->L, n, *prefix ? prefix : "the instance file")) < 0)
		return at_code(rc);
	MAP_EACH(&x->L, n, p, k, v) {
		const char *key = KEY(k);
		char path[WHAT_MAX];
		size_t i = 0;
		int idx;

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
		for (i = 0; !*prefix && sections[i] && strcmp(sections[i], key); i++)
			;
		if (!*prefix && cl_is_null(v) && (!strcmp(key, "services") || sections[i])) {
			rc = 0; /* an empty section (spoke init writes them with every key commented) */
		} else if (!*prefix && !strcmp(key, "services")) {
			rc = services(x, v);
		} else if ((idx = instance_key_find(path)) >= 0) {
			rc = set_key(x, (enum instance_key)idx, v);
		} else {
			if (!*prefix && sections[i])
				rc = level(x, v, sections[i]);
			else if (instance_secret_name(key))
				rc = secret_key(x, k, path);
			else if (!strncmp(key, "x-", 2))
				rc = 0; /* extensions, as in stack files */
			else
				rc = fail(x, k, ERRC_INSTANCE_CONFIG, "unknown key '%.64s'%s (see dive spoke init --help)",
					  path, "");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int instance_file_parse(struct instance_file *out, const char *name, const char *text, size_t len,
			const struct compose *spoke)
{
	struct iload x;
	yaml_node_t *root = NULL;
	int rc;

	memset(&x, 0, sizeof(x));
	if (!out->path)
		out->path = xstrdup(name);
	out->present = 1;
	x.f = out;
	x.spoke = spoke;
	x.L.path = name;
	x.L.c = xcalloc(1, sizeof(*x.L.c));
	rc = cl_load_document(&x.L, text, len, INSTANCE_FILE_MAX, 1, &root);
	if (rc < 0)
		rc = at_code(rc);
	else if (root && !(root->type == YAML_SCALAR_NODE && cl_is_null(root)))
		rc = level(&x, root, "");
	if (x.L.have_doc)
		yaml_document_delete(&x.L.doc);
	free(x.L.c);
	return rc;
}

int instance_file_load(struct instance_file *out, const char *instances_dir, const struct dive_country *c,
		       const struct compose *spoke)
{
	struct dive_buf b;
	char lower[4];
	int rc;

	memset(out, 0, sizeof(*out));
	country_lower(lower, c);
	out->path = xasprintf("%s/%s/%s", instances_dir, lower, INSTANCE_FILE);
	rc = dive_file_read(&b, out->path, INSTANCE_FILE_MAX, "instance file");
	if (rc == DIVE_ENOTFOUND) {
		dive_buf_release(&b);
		dive_error_clear();
		return 0;
	}
	if (rc < 0) {
		dive_buf_release(&b);
		dive_error_set_code(ERRC_INSTANCE_CONFIG);
		return rc;
	}
	rc = instance_file_parse(out, out->path, dive_buf_str(&b), b.len, spoke);
	dive_buf_release(&b);
	return rc;
}

void instance_file_release(struct instance_file *f)
{
	size_t i, j;

	if (!f)
		return;
	free(f->path);
	for (i = 0; i < IK__COUNT; i++)
		free(f->value[i]);
	for (i = 0; i < f->nservices; i++) {
		free(f->services[i].name);
		for (j = 0; j < f->services[i].nenv; j++) {
			free(f->services[i].env[j].key);
			free(f->services[i].env[j].value);
		}
		free(f->services[i].env);
	}
	free(f->services);
	memset(f, 0, sizeof(*f));
}
