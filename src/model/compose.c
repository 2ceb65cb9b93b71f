/*
 * compose.c - stack files (Compose format) into structs (see compose.h).
 *
 * Two passes over the text: libyaml's event parser first checks the shape
 * (nesting depth, one document) without building anything, then its
 * document loader builds the node tree, which is walked field by field
 * against the tables below.  Every node keeps its line for messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "dive/buf.h"
#include "dive/compose.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/sha256.h"
#include "dive/xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WHAT_MAX 192

/* Append a zeroed element to a (pointer, count) pair and return it. */
#define PUSH(arr, n) \
	((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), \
	 memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

struct loader {
	const char *path;
	yaml_document_t doc;
	int have_doc;
	const struct interp_env *user;  /* the caller's environment */
	struct interp_env env;          /* user + the secrets x-dive declares */
	struct compose *c;
	size_t visits;
	char last_var[INTERP_NAME_MAX + 1];
	int last_found;
	unsigned last_flags;            /* interp flags of the last value() */
};

static const char *const condition_names[] = {
	[COMPOSE_SERVICE_STARTED] = "service_started",
	[COMPOSE_SERVICE_HEALTHY] = "service_healthy",
	[COMPOSE_SERVICE_COMPLETED] = "service_completed_successfully",
};

const char *compose_condition_name(enum compose_condition c)
{
	if ((unsigned)c >= ARRAY_SIZE(condition_names))
		return "unknown";
	return condition_names[c];
}

/* ------------------------------------------------------------------ */
/* Messages */

static int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

static int vfail_at(struct loader *L, int err, int line, const char *fmt, va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	dive_error_set(err, "%s:%d: %s", L->path, line, msg);
	dive_error_set_code(ERRC_COMPOSE_PARSE);
	return err;
}

static int fail_at(struct loader *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(struct loader *L, int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(L, DIVE_EUSAGE, line, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(L, DIVE_EUSAGE, line_of(n), fmt, ap);
	va_end(ap);
	return rc;
}

/* A name or value from the file, bounded and printable, for messages. */
static const char *shown(char out[80], const char *s)
{
	size_t i, j = 0;

	for (i = 0; s[i] && j < 64; i++)
		out[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '\'' ? '?' : s[i];
	if (s[i]) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

/* ------------------------------------------------------------------ */
/* Nodes */

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a map";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a single value";
	}
}

static int is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static yaml_node_t *node_at(struct loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

static int touch(struct loader *L, const yaml_node_t *n)
{
	if (++L->visits > COMPOSE_NODES_MAX)
		return fail(L, n, "more than %d YAML nodes read (aliases count every time they are read)",
			    COMPOSE_NODES_MAX);
	return 0;
}

/* The raw text of a scalar, checked for NUL bytes and length. */
static int raw_text(struct loader *L, const yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(L, n, "%s must be a single value, not %s", what, kind_name(n));
	if (n->data.scalar.length > COMPOSE_STRING_MAX)
		return fail(L, n, "%s is longer than %d bytes", what, COMPOSE_STRING_MAX);
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return fail(L, n, "%s contains a NUL byte", what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/*
 * A mapping with at most COMPOSE_ITEMS_MAX pairs whose keys are distinct,
 * non-empty single values of bounded length.
 */
static int check_map(struct loader *L, const yaml_node_t *n, const char *what)
{
	yaml_node_pair_t *p, *q;
	size_t count;

	if (n->type != YAML_MAPPING_NODE)
		return fail(L, n, "%s must be a map, not %s", what, kind_name(n));
	count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (count > COMPOSE_ITEMS_MAX)
		return fail(L, n, "%s has more than %d entries", what, COMPOSE_ITEMS_MAX);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);
		const char *ks;
		char b[80];

		if (touch(L, k) < 0 || touch(L, v) < 0)
			return DIVE_EUSAGE;
		if (k->type != YAML_SCALAR_NODE || is_null(k))
			return fail(L, k, "%s: keys must be names, not %s", what, is_null(k) ? "empty" : kind_name(k));
		ks = (const char *)k->data.scalar.value;
		if (k->data.scalar.length > 256 || strlen(ks) != k->data.scalar.length)
			return fail(L, k, "%s: a key is longer than 256 bytes or contains a NUL byte", what);
		if (!strcmp(ks, "<<"))
			return fail(L, k, "%s: merge keys ('<<') are not supported", what);
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node_at(L, q->key);

			if (!strcmp((const char *)k2->data.scalar.value, ks))
				return fail(L, k, "%s: duplicate key '%s' (first on line %d)", what, shown(b, ks),
					    line_of(k2));
		}
	}
	return 0;
}

static int check_seq(struct loader *L, const yaml_node_t *n, const char *what)
{
	yaml_node_item_t *i;
	size_t count;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(L, n, "%s must be a list, not %s", what, kind_name(n));
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > COMPOSE_ITEMS_MAX)
		return fail(L, n, "%s has more than %d entries", what, COMPOSE_ITEMS_MAX);
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
		if (touch(L, node_at(L, *i)) < 0)
			return DIVE_EUSAGE;
	return 0;
}

#define MAP_EACH(L, n, p, k, v) \
	for ((p) = (n)->data.mapping.pairs.start; \
	     (p) < (n)->data.mapping.pairs.top && ((k) = node_at((L), (p)->key)) && ((v) = node_at((L), (p)->value)); \
	     (p)++)
#define SEQ_EACH(L, n, i, v) \
	for ((i) = (n)->data.sequence.items.start; \
	     (i) < (n)->data.sequence.items.top && ((v) = node_at((L), *(i))); (i)++)
#define KEY(k) ((const char *)(k)->data.scalar.value)
/* The last value read stands for an unset variable (graph-only reading): skip checks on its shape. */
#define PLACEHOLDER(L) ((L)->last_flags & INTERP_PLACEHOLDER)

/* ------------------------------------------------------------------ */
/* Values */

enum value_opts {
	V_SECRET_OK = 1 << 0,   /* the field may carry a secret */
	V_NULL_OK = 1 << 1,     /* an empty value gives NULL */
};

static int is_declared_secret(const struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->c->dive.nsecrets; i++)
		if (!strcmp(L->c->dive.secrets[i], name))
			return 1;
	return 0;
}

/* The environment compose interpolates with: the caller's, plus declared secrets. */
static int loader_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	struct loader *L = env->data;
	int rc;

	snprintf(L->last_var, sizeof(L->last_var), "%s", name);
	rc = interp_lookup(L->user, name, value, secret);
	L->last_found = rc > 0;
	if (rc > 0 && is_declared_secret(L, name))
		*secret = 1;
	return rc;
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * The interpolated value of scalar n.  *out is NULL for an empty value
 * with V_NULL_OK; *iflags (may be NULL) gets the interp flags.
 */
static int value(struct loader *L, const yaml_node_t *n, const char *what, unsigned opts, char **out,
		 unsigned *iflags)
{
	char where[PATH_MAX + 32];
	const char *raw;
	unsigned f = 0;
	int rc;

	*out = NULL;
	L->last_flags = 0;
	if (iflags)
		*iflags = 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail(L, n, "%s must be a single value, not %s", what, kind_name(n));
	if (is_null(n)) {
		if (opts & V_NULL_OK)
			return 0;
		return fail(L, n, "%s needs a value", what);
	}
	if ((rc = raw_text(L, n, what, &raw)) < 0)
		return rc;
	snprintf(where, sizeof(where), "%s:%d", L->path, line_of(n));
	L->last_var[0] = '\0';
	rc = interp_expand(out, &f, raw, &L->env, where);
	if (rc < 0) {
		dive_error_set_code(!L->last_found && L->last_var[0] && is_declared_secret(L, L->last_var)
					    ? ERRC_SECRET_MISSING : ERRC_COMPOSE_PARSE);
		return rc;
	}
	if ((f & INTERP_SECRET) && !(opts & V_SECRET_OK)) {
		wipe_free(*out);
		*out = NULL;
		return fail(L, n, "%s uses a secret variable; secrets may appear only in environment, command, "
			    "entrypoint and healthcheck.test", what);
	}
	if (f & INTERP_PLACEHOLDER)
		L->c->placeholders = 1;
	L->last_flags = f;
	if (iflags)
		*iflags = f;
	return 0;
}

static int get_str(struct loader *L, const yaml_node_t *n, const char *what, char **out)
{
	free(*out);
	*out = NULL;
	return value(L, n, what, 0, out, NULL);
}

static int get_bool(struct loader *L, const yaml_node_t *n, const char *what, int *out)
{
	unsigned f;
	char *s;
	int rc;

	if ((rc = value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = 0;
	else if (f & INTERP_PLACEHOLDER)
		*out = 0;
	else {
		char b[80];

		rc = fail(L, n, "%s must be true or false, not '%s'", what, shown(b, s));
	}
	free(s);
	return rc;
}

static int get_int(struct loader *L, const yaml_node_t *n, const char *what, long min, long max, long *out)
{
	unsigned f;
	char *s, *end;
	long v;
	int rc;

	if ((rc = value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (f & INTERP_PLACEHOLDER) {
		*out = min;
		free(s);
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || s[0] == '+' || s[0] == ' ' || v < min || v > max) {
		char b[80];

		rc = fail(L, n, "%s must be a whole number from %ld to %ld, not '%s'", what, min, max, shown(b, s));
	} else {
		*out = v;
	}
	free(s);
	return rc;
}

int compose_parse_duration(long *out_ms, const char *s)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {
		{ "ms", 1 }, { "us", 1e-3 }, { "ns", 1e-6 }, { "h", 3600e3 }, { "m", 60e3 }, { "s", 1e3 },
	};
	double total = 0;
	const char *p = s;

	if (!*s)
		return DIVE_EUSAGE;
	if (!strcmp(s, "0")) {
		*out_ms = 0;
		return 0;
	}
	while (*p) {
		double v = 0, scale = 1;
		int digits = 0;
		size_t u;

		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p++ - '0');
			digits++;
			if (v > 1e12)
				return DIVE_EUSAGE;
		}
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9') {
				scale /= 10;
				v += (*p++ - '0') * scale;
				digits++;
			}
		}
		if (!digits)
			return DIVE_EUSAGE;
		for (u = 0; u < ARRAY_SIZE(units); u++)
			if (!strncmp(p, units[u].unit, strlen(units[u].unit)))
				break;
		if (u == ARRAY_SIZE(units))
			return DIVE_EUSAGE;
		p += strlen(units[u].unit);
		total += v * units[u].ms;
		if (total > (double)COMPOSE_DURATION_MAX_MS)
			return DIVE_EUSAGE;
	}
	*out_ms = (long)(total + 0.5);
	if (*out_ms == 0 && total > 0)
		*out_ms = 1;
	return 0;
}

static int get_duration(struct loader *L, const yaml_node_t *n, const char *what, long *out)
{
	unsigned f;
	char *s;
	int rc;

	if ((rc = value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (f & INTERP_PLACEHOLDER) {
		*out = 0;
	} else if (compose_parse_duration(out, s) < 0) {
		char b[80];

		rc = fail(L, n, "%s: bad duration '%s' (use a number and a unit, as in 10s, 1m30s or 500ms; at most 24h)",
			  what, shown(b, s));
	}
	free(s);
	return rc;
}

/* Service, network, volume and profile names: [A-Za-z0-9][A-Za-z0-9_.-]*, bounded. */
static int valid_name(const char *s, size_t max)
{
	size_t i;

	if (!*s || strlen(s) > max)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '_' || c == '.' || c == '-'))))
			return 0;
	}
	return 1;
}

static int check_name(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (!valid_name(s, COMPOSE_NAME_MAX))
		return fail(L, n, "%s: invalid name '%s' (letters, digits, '_', '.', '-', at most %d bytes, "
			    "starting with a letter or digit)", what, shown(b, s), COMPOSE_NAME_MAX);
	return 0;
}

/* A name given as a value (list items, depends_on ...), not interpolated. */
static int get_name(struct loader *L, const yaml_node_t *n, const char *what, char **out)
{
	int rc;

	if ((rc = get_str(L, n, what, out)) < 0)
		return rc;
	return check_name(L, n, what, *out);
}

/* ------------------------------------------------------------------ */
/* Word lists: command, entrypoint, healthcheck test */

/* Split s like a POSIX shell splits words (quotes and backslashes, no expansion). */
static int split_words(char ***out, size_t *n, const char *s)
{
	struct dive_buf w;
	int in_word = 0;
	const char *p = s;

	*out = NULL;
	*n = 0;
	dive_buf_init(&w, COMPOSE_STRING_MAX);
	while (1) {
		char c = *p;

		if (!c || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				if (*n >= COMPOSE_ITEMS_MAX)
					goto bad;
				*out = xrealloc(*out, (*n + 1) * sizeof(**out));
				(*out)[(*n)++] = dive_buf_detach(&w);
				in_word = 0;
			}
			if (!c)
				break;
			p++;
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end)
				goto bad;
			dive_buf_add(&w, p + 1, (size_t)(end - p - 1));
			p = end + 1;
		} else if (c == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
					p++;
				dive_buf_add(&w, p++, 1);
			}
			if (*p != '"')
				goto bad;
			p++;
		} else if (c == '\\') {
			if (!p[1])
				goto bad;
			dive_buf_add(&w, p + 1, 1);
			p += 2;
		} else {
			dive_buf_add(&w, p++, 1);
		}
	}
	dive_buf_release(&w);
	return 0;
bad:
	if (w.ptr)
		explicit_bzero(w.ptr, w.alloc);
	dive_buf_release(&w);
	while (*n)
		wipe_free((*out)[--*n]);
	free(*out);
	*out = NULL;
	return DIVE_EUSAGE;
}

static int needs_quotes(const char *w)
{
	return !*w || strpbrk(w, " \t\n'\"\\$") != NULL;
}

/* Words joined by spaces, quoted where needed: "pg_isready -U 'a b'". */
static char *join_words(char *const *v, size_t n)
{
	struct dive_buf b;
	size_t i, j;

	dive_buf_init(&b, (size_t)-1 / 2);
	for (i = 0; i < n; i++) {
		if (i)
			dive_buf_add(&b, " ", 1);
		if (!needs_quotes(v[i])) {
			dive_buf_adds(&b, v[i]);
			continue;
		}
		dive_buf_add(&b, "'", 1);
		for (j = 0; v[i][j]; j++) {
			if (v[i][j] == '\'')
				dive_buf_adds(&b, "'\\''");
			else if ((unsigned char)v[i][j] < 0x20)
				dive_buf_add(&b, " ", 1);
			else
				dive_buf_add(&b, &v[i][j], 1);
		}
		dive_buf_add(&b, "'", 1);
	}
	return dive_buf_detach(&b);
}

static void argv_release(struct compose_argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->secret)
			wipe_free(a->v[i]);
		else
			free(a->v[i]);
	}
	free(a->v);
	free(a->shown);
	memset(a, 0, sizeof(*a));
}

static void argv_push(struct compose_argv *a, char *w)
{
	a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
	a->v[a->n++] = w;
}

/* A string (split like a shell unless split is 0) or a list of strings. */
static int get_argv(struct loader *L, const yaml_node_t *n, const char *what, int split, struct compose_argv *out)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	unsigned f;
	char *s;
	int rc;

	argv_release(out);
	out->set = 1;
	if (n->type == YAML_SCALAR_NODE) {
		const char *raw;
		char **words;
		size_t nw, i;

		if ((rc = raw_text(L, n, what, &raw)) < 0 || (rc = value(L, n, what, V_SECRET_OK, &s, &f)) < 0)
			return rc;
		out->secret = !!(f & INTERP_SECRET);
		if (!split) {
			argv_push(out, s);
			out->shown = xstrdup(out->secret ? raw : s);
			return 0;
		}
		rc = split_words(&words, &nw, s);
		wipe_free(s);
		if (rc < 0)
			return fail(L, n, "%s: unbalanced quote or trailing backslash", what);
		for (i = 0; i < nw; i++)
			argv_push(out, words[i]);
		free(words);
		out->shown = out->secret ? xstrdup(raw) : join_words(out->v, out->n);
		return 0;
	}
	if ((rc = check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		if ((rc = value(L, v, what, V_SECRET_OK, &s, &f)) < 0)
			return rc;
		if (f & INTERP_SECRET)
			out->secret = 1;
		argv_push(out, s);
	}
	if (out->secret) {
		char **raw = xcalloc(out->n + 1, sizeof(*raw));
		size_t i = 0;

		SEQ_EACH(L, n, it, v)
			raw[i++] = (char *)v->data.scalar.value;
		out->shown = join_words(raw, out->n);
		free(raw);
	} else {
		out->shown = join_words(out->v, out->n);
	}
	return 0;
}

typedef int (*item_check_fn)(struct loader *L, const yaml_node_t *n, const char *what, const char *s);

/*
 * A string (when string_ok) or a list of strings, no secrets (tmpfs,
 * env_file, profiles, aliases); check (may be NULL) vets each item.
 */
static int get_strlist(struct loader *L, const yaml_node_t *n, const char *what, int string_ok,
		       item_check_fn check, char ***out, size_t *count)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	char *s;
	int rc;

	if (n->type == YAML_SCALAR_NODE && string_ok) {
		if ((rc = value(L, n, what, 0, &s, NULL)) < 0)
			return rc;
		*out = xrealloc(*out, (*count + 1) * sizeof(**out));
		(*out)[(*count)++] = s;
		return check ? check(L, n, what, s) : 0;
	}
	if ((rc = check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		if ((rc = value(L, v, what, 0, &s, NULL)) < 0)
			return rc;
		*out = xrealloc(*out, (*count + 1) * sizeof(**out));
		(*out)[(*count)++] = s;
		if (check && (rc = check(L, v, what, s)) < 0)
			return rc;
	}
	return 0;
}

/*
 * key=value pairs as a list ("k=v", or "k" alone with sep_required 0) or a
 * map (null values become ""); labels and extra_hosts.  seps: the
 * separators tried in order in the list form.
 */
static int get_kv(struct loader *L, const yaml_node_t *n, const char *what, const char *seps,
		  struct compose_kv **out, size_t *count)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *k, *v;
	struct compose_kv *kv;
	size_t i;
	int rc;

	if (n->type == YAML_MAPPING_NODE) {
		if ((rc = check_map(L, n, what)) < 0)
			return rc;
		MAP_EACH(L, n, p, k, v) {
			kv = PUSH(*out, *count);
			kv->key = xstrdup(KEY(k));
			kv->line = line_of(k);
			if ((rc = value(L, v, what, V_NULL_OK, &kv->value, NULL)) < 0)
				return rc;
			if (!kv->value)
				kv->value = xstrdup("");
		}
		return 0;
	}
	if ((rc = check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		char *s, *sep = NULL, b[80];
		const char *c;

		if ((rc = value(L, v, what, 0, &s, NULL)) < 0)
			return rc;
		for (c = seps; *c && !sep; c++)
			sep = strchr(s, *c);
		kv = PUSH(*out, *count);
		kv->line = line_of(v);
		if (sep) {
			kv->key = xstrndup(s, (size_t)(sep - s));
			kv->value = xstrdup(sep + 1);
		} else {
			kv->key = xstrdup(s);
			kv->value = xstrdup("");
		}
		free(s);
		if (!*kv->key)
			return fail(L, v, "%s: an entry has no name", what);
		for (i = 0; i + 1 < *count; i++)
			if (!strcmp((*out)[i].key, kv->key))
				return fail(L, v, "%s: duplicate entry '%s' (first on line %d)", what,
					    shown(b, kv->key), (*out)[i].line);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Service fields */

struct svc_ctx {
	struct loader *L;
	struct compose_service *s;
	const char *what;          /* "services.backend.image" */
};

static int f_image(struct svc_ctx *x, yaml_node_t *v)
{
	return get_str(x->L, v, x->what, &x->s->image);
}

static int f_container_name(struct svc_ctx *x, yaml_node_t *v)
{
	char b[80];
	int rc;

	if ((rc = get_str(x->L, v, x->what, &x->s->container_name)) < 0)
		return rc;
	if (!PLACEHOLDER(x->L) && !valid_name(x->s->container_name, 128))
		return fail(x->L, v, "%s: invalid container name '%s'", x->what, shown(b, x->s->container_name));
	return 0;
}

static int f_command(struct svc_ctx *x, yaml_node_t *v)
{
	return get_argv(x->L, v, x->what, 1, &x->s->command);
}

static int f_entrypoint(struct svc_ctx *x, yaml_node_t *v)
{
	return get_argv(x->L, v, x->what, 1, &x->s->entrypoint);
}

static int valid_env_name(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 256)
		return 0;
	for (i = 0; s[i]; i++)
		if (s[i] == '=' || (unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A variable listed without a value takes it from the environment, or stays unset. */
static int env_from_lookup(struct loader *L, struct compose_env *e)
{
	const char *val;
	int secret = 0, rc;

	rc = interp_lookup(&L->env, e->name, &val, &secret);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		e->value = xstrdup(val);
		e->secret = secret;
	}
	return 0;
}

static int f_environment(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	struct compose_service *s = x->s;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *k, *v;
	struct compose_env *e;
	char b[80];
	size_t i;
	unsigned f;
	int rc;

	if (n->type == YAML_MAPPING_NODE) {
		if ((rc = check_map(L, n, x->what)) < 0)
			return rc;
		MAP_EACH(L, n, p, k, v) {
			if (!valid_env_name(KEY(k)))
				return fail(L, k, "%s: invalid variable name '%s'", x->what, shown(b, KEY(k)));
			e = PUSH(s->environment, s->nenvironment);
			e->name = xstrdup(KEY(k));
			e->line = line_of(k);
			if ((rc = value(L, v, x->what, V_SECRET_OK | V_NULL_OK, &e->value, &f)) < 0)
				return rc;
			e->secret = !!(f & INTERP_SECRET);
			if (!e->value && (rc = env_from_lookup(L, e)) < 0)
				return rc;
		}
		return 0;
	}
	if ((rc = check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		char *str, *eq;

		if ((rc = value(L, v, x->what, V_SECRET_OK, &str, &f)) < 0)
			return rc;
		eq = strchr(str, '=');
		e = PUSH(s->environment, s->nenvironment);
		e->line = line_of(v);
		e->name = eq ? xstrndup(str, (size_t)(eq - str)) : xstrdup(str);
		if (eq) {
			e->value = xstrdup(eq + 1);
			e->secret = !!(f & INTERP_SECRET);
		}
		wipe_free(str);
		if (!valid_env_name(e->name))
			return fail(L, v, "%s: invalid variable name '%s'", x->what, shown(b, e->name));
		for (i = 0; i + 1 < s->nenvironment; i++)
			if (!strcmp(s->environment[i].name, e->name))
				return fail(L, v, "%s: '%s' is set twice (first on line %d)", x->what,
					    shown(b, e->name), s->environment[i].line);
		if (!eq && (rc = env_from_lookup(L, e)) < 0)
			return rc;
	}
	return 0;
}

/* Relative paths are taken from the file's directory. */
static char *absolute(const struct loader *L, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	if (p[0] == '.' && p[1] == '/')
		p += 2;
	else if (!strcmp(p, "."))
		return xstrdup(L->c->dir);
	return xasprintf("%s/%s", L->c->dir, p);
}

static int f_env_file(struct svc_ctx *x, yaml_node_t *v)
{
	size_t i, first = x->s->nenv_files;
	int rc;

	if ((rc = get_strlist(x->L, v, x->what, 1, NULL, &x->s->env_files, &x->s->nenv_files)) < 0)
		return rc;
	for (i = first; i < x->s->nenv_files; i++) {
		char *a = absolute(x->L, x->s->env_files[i]);

		free(x->s->env_files[i]);
		x->s->env_files[i] = a;
	}
	return 0;
}

static int parse_port_number(const char *s, size_t len, int zero_ok, int *out)
{
	long v = 0;
	size_t i;

	if (!len)
		return zero_ok ? (*out = 0, 0) : -1;
	if (len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/* "8080", "18011:8080", "127.0.0.1:18011:8080", "[::1]:18011:8080", "127.0.0.1::8080", with "/tcp" etc. */
static int parse_port(struct compose_port *p, const char *spec, const char **why)
{
	char buf[128], *proto, *rest = buf, *c1, *c2;
	unsigned char addr[16];

	if (strlen(spec) >= sizeof(buf))
		return *why = "too long", -1;
	strcpy(buf, spec);
	strcpy(p->protocol, "tcp");
	proto = strrchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return *why = "the protocol must be tcp, udp or sctp", -1;
		strcpy(p->protocol, proto);
	}
	if (strchr(buf, '-'))
		return *why = "port ranges are not supported", -1;
	p->host_ip[0] = '\0';
	if (rest[0] == '[') {
		char *end = strchr(rest, ']');

		if (!end || end[1] != ':' || (size_t)(end - rest - 1) >= sizeof(p->host_ip))
			return *why = "an IPv6 address must be written [ADDRESS]:HOST:CONTAINER", -1;
		memcpy(p->host_ip, rest + 1, (size_t)(end - rest - 1));
		p->host_ip[end - rest - 1] = '\0';
		if (inet_pton(AF_INET6, p->host_ip, addr) != 1)
			return *why = "bad IPv6 address", -1;
		rest = end + 2;
		c1 = strchr(rest, ':');
		if (!c1 || strchr(c1 + 1, ':'))
			return *why = "expected [ADDRESS]:HOST:CONTAINER", -1;
		if (parse_port_number(rest, (size_t)(c1 - rest), 1, &p->host_port) < 0 ||
		    parse_port_number(c1 + 1, strlen(c1 + 1), 0, &p->container_port) < 0)
			return *why = "ports are numbers from 1 to 65535", -1;
		return 0;
	}
	c1 = strchr(rest, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 && strchr(c2 + 1, ':'))
		return *why = "too many ':' (write IPv6 addresses in brackets)", -1;
	if (c2) {
		if ((size_t)(c1 - rest) >= sizeof(p->host_ip))
			return *why = "bad IPv4 address", -1;
		memcpy(p->host_ip, rest, (size_t)(c1 - rest));
		p->host_ip[c1 - rest] = '\0';
		if (inet_pton(AF_INET, p->host_ip, addr) != 1)
			return *why = "bad IPv4 address", -1;
		if (parse_port_number(c1 + 1, (size_t)(c2 - c1 - 1), 1, &p->host_port) < 0 ||
		    parse_port_number(c2 + 1, strlen(c2 + 1), 0, &p->container_port) < 0)
			return *why = "ports are numbers from 1 to 65535", -1;
		return 0;
	}
	if (c1) {
		if (parse_port_number(rest, (size_t)(c1 - rest), 0, &p->host_port) < 0 ||
		    parse_port_number(c1 + 1, strlen(c1 + 1), 0, &p->container_port) < 0)
			return *why = "ports are numbers from 1 to 65535", -1;
		return 0;
	}
	p->host_port = 0;
	if (parse_port_number(rest, strlen(rest), 0, &p->container_port) < 0)
		return *why = "ports are numbers from 1 to 65535", -1;
	return 0;
}

static int f_ports(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if ((rc = check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		struct compose_port *p;
		const char *why = NULL;
		unsigned f;
		char *s, b[80];

		if (v->type == YAML_MAPPING_NODE)
			return fail(L, v, "%s: the long port syntax is not supported; write \"ADDRESS:HOST:CONTAINER\"",
				    x->what);
		if ((rc = value(L, v, x->what, 0, &s, &f)) < 0)
			return rc;
		p = PUSH(x->s->ports, x->s->nports);
		p->line = line_of(v);
		if (!(f & INTERP_PLACEHOLDER) && parse_port(p, s, &why) < 0)
			rc = fail(L, v, "%s: bad port '%s': %s", x->what, shown(b, s), why);
		free(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int f_volumes(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if ((rc = check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		struct compose_mount *m;
		char *s, *parts[3] = { NULL, NULL, NULL }, *save = NULL, *tok, b[80];
		size_t np = 0;
		unsigned f;

		if (v->type == YAML_MAPPING_NODE)
			return fail(L, v, "%s: the long volume syntax is not supported; write \"SOURCE:TARGET[:ro]\"",
				    x->what);
		if ((rc = value(L, v, x->what, 0, &s, &f)) < 0)
			return rc;
		m = PUSH(x->s->volumes, x->s->nvolumes);
		m->line = line_of(v);
		if (f & INTERP_PLACEHOLDER) {
			m->type = COMPOSE_MOUNT_ANONYMOUS;
			m->target = s;
			continue;
		}
		for (tok = strtok_r(s, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			if (np == 3) {
				np = 4;
				break;
			}
			parts[np++] = tok;
		}
		if (np == 0 || np > 3) {
			rc = fail(L, v, "%s: bad volume '%s' (write SOURCE:TARGET[:ro])", x->what,
				  shown(b, (const char *)v->data.scalar.value));
		} else if (np == 3 && strcmp(parts[2], "ro") && strcmp(parts[2], "rw")) {
			rc = fail(L, v, "%s: bad volume mode '%s' (ro or rw)", x->what, shown(b, parts[2]));
		} else {
			const char *target = np == 1 ? parts[0] : parts[1];

			m->read_only = np == 3 && !strcmp(parts[2], "ro");
			if (target[0] != '/') {
				rc = fail(L, v, "%s: the target '%s' must be an absolute path", x->what, shown(b, target));
			} else if (np == 1) {
				m->type = COMPOSE_MOUNT_ANONYMOUS;
			} else if (parts[0][0] == '/' || parts[0][0] == '.') {
				m->type = COMPOSE_MOUNT_BIND;
				m->source = absolute(L, parts[0]);
			} else if (parts[0][0] == '~') {
				rc = fail(L, v, "%s: '~' is not expanded; write an absolute or relative path", x->what);
			} else if (!valid_name(parts[0], COMPOSE_NAME_MAX)) {
				rc = fail(L, v, "%s: invalid volume name '%s'", x->what, shown(b, parts[0]));
			} else {
				m->type = COMPOSE_MOUNT_VOLUME;
				m->source = xstrdup(parts[0]);
			}
			if (rc == 0)
				m->target = xstrdup(target);
		}
		free(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_tmpfs(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (s[0] != '/' && !PLACEHOLDER(L))
		return fail(L, n, "%s: '%s' must be an absolute path", what, shown(b, s));
	return 0;
}

static int f_tmpfs(struct svc_ctx *x, yaml_node_t *v)
{
	return get_strlist(x->L, v, x->what, 1, check_tmpfs, &x->s->tmpfs, &x->s->ntmpfs);
}

static int check_alias(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (!PLACEHOLDER(L) && !valid_name(s, 253))
		return fail(L, n, "%s: invalid alias '%s'", what, shown(b, s));
	return 0;
}

static int f_networks(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	struct compose_service *s = x->s;
	struct compose_netref *r;
	yaml_node_pair_t *p, *p2;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *k2, *v2;
	size_t i;
	char b[80];
	int rc;

	if (n->type == YAML_SEQUENCE_NODE) {
		if ((rc = check_seq(L, n, x->what)) < 0)
			return rc;
		SEQ_EACH(L, n, it, v) {
			r = PUSH(s->networks, s->nnetworks);
			r->line = line_of(v);
			if ((rc = get_name(L, v, x->what, &r->network)) < 0)
				return rc;
			for (i = 0; i + 1 < s->nnetworks; i++)
				if (!strcmp(s->networks[i].network, r->network))
					return fail(L, v, "%s: network '%s' is listed twice", x->what, shown(b, r->network));
		}
		return 0;
	}
	if ((rc = check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		r = PUSH(s->networks, s->nnetworks);
		r->line = line_of(k);
		r->network = xstrdup(KEY(k));
		if ((rc = check_name(L, k, x->what, r->network)) < 0)
			return rc;
		if (is_null(v))
			continue;
		if ((rc = check_map(L, v, x->what)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			if (!strncmp(KEY(k2), "x-", 2))
				continue;
			if (strcmp(KEY(k2), "aliases"))
				return fail(L, k2, "unknown key '%s' in %s.%s", shown(b, KEY(k2)), x->what, r->network);
			if ((rc = get_strlist(L, v2, x->what, 0, check_alias, &r->aliases, &r->naliases)) < 0)
				return rc;
		}
	}
	return 0;
}

static int parse_condition(struct loader *L, yaml_node_t *v, const char *what, enum compose_condition *out)
{
	char *s = NULL, b[80];
	size_t i;
	int rc;

	if ((rc = get_str(L, v, what, &s)) < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(condition_names); i++) {
		if (!strcmp(s, condition_names[i])) {
			*out = (enum compose_condition)i;
			free(s);
			return 0;
		}
	}
	rc = fail(L, v, "%s: unknown condition '%s' (service_started, service_healthy or "
		  "service_completed_successfully)", what, shown(b, s));
	free(s);
	return rc;
}

static int f_depends_on(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	struct compose_service *s = x->s;
	struct compose_dep *d;
	yaml_node_pair_t *p, *p2;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *k2, *v2;
	char b[80];
	size_t i;
	int rc;

	if (n->type == YAML_SEQUENCE_NODE) {
		if ((rc = check_seq(L, n, x->what)) < 0)
			return rc;
		SEQ_EACH(L, n, it, v) {
			d = PUSH(s->depends_on, s->ndepends_on);
			d->line = line_of(v);
			d->required = 1;
			d->condition = COMPOSE_SERVICE_STARTED;
			if ((rc = get_name(L, v, x->what, &d->service)) < 0)
				return rc;
			for (i = 0; i + 1 < s->ndepends_on; i++)
				if (!strcmp(s->depends_on[i].service, d->service))
					return fail(L, v, "%s: '%s' is listed twice", x->what, shown(b, d->service));
		}
		return 0;
	}
	if ((rc = check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		char what[WHAT_MAX];

		d = PUSH(s->depends_on, s->ndepends_on);
		d->line = line_of(k);
		d->required = 1;
		d->condition = COMPOSE_SERVICE_STARTED;
		d->service = xstrdup(KEY(k));
		if ((rc = check_name(L, k, x->what, d->service)) < 0)
			return rc;
		if (is_null(v))
			continue;
		snprintf(what, sizeof(what), "%s.%s", x->what, d->service);
		if ((rc = check_map(L, v, what)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			int bb = 0;

			if (!strcmp(KEY(k2), "condition")) {
				rc = parse_condition(L, v2, what, &d->condition);
			} else if (!strcmp(KEY(k2), "required")) {
				rc = get_bool(L, v2, what, &bb);
				d->required = bb;
			} else if (!strcmp(KEY(k2), "restart")) {
				rc = get_bool(L, v2, what, &bb);
				d->restart = bb;
			} else if (!strncmp(KEY(k2), "x-", 2)) {
				rc = 0;
			} else {
				rc = fail(L, k2, "unknown key '%s' in %s", shown(b, KEY(k2)), what);
			}
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int hc_test(struct loader *L, yaml_node_t *v, const char *what, struct compose_healthcheck *hc)
{
	char b[80];
	size_t i;
	int rc;

	if (v->type == YAML_SCALAR_NODE) {
		/* The string form runs through the shell, as CMD-SHELL. */
		hc->kind = COMPOSE_HC_SHELL;
		return get_argv(L, v, what, 0, &hc->test);
	}
	if ((rc = get_argv(L, v, what, 0, &hc->test)) < 0)
		return rc;
	if (hc->test.n == 0)
		return fail(L, v, "%s is an empty list (write [\"NONE\"] to disable the image's healthcheck)", what);
	if (!strcmp(hc->test.v[0], "NONE")) {
		if (hc->test.n != 1)
			return fail(L, v, "%s: [\"NONE\"] takes nothing after it", what);
		hc->kind = COMPOSE_HC_NONE;
	} else if (!strcmp(hc->test.v[0], "CMD")) {
		if (hc->test.n < 2)
			return fail(L, v, "%s: [\"CMD\", ...] needs a command", what);
		hc->kind = COMPOSE_HC_CMD;
	} else if (!strcmp(hc->test.v[0], "CMD-SHELL")) {
		if (hc->test.n != 2)
			return fail(L, v, "%s: [\"CMD-SHELL\", \"...\"] takes exactly one string", what);
		hc->kind = COMPOSE_HC_SHELL;
	} else {
		return fail(L, v, "%s must start with \"CMD\", \"CMD-SHELL\" or \"NONE\", not '%s'", what,
			    shown(b, hc->test.v[0]));
	}
	/* Keep only the command: drop the leading CMD / CMD-SHELL / NONE. */
	if (hc->test.secret)
		explicit_bzero(hc->test.v[0], strlen(hc->test.v[0]));
	free(hc->test.v[0]);
	for (i = 1; i < hc->test.n; i++)
		hc->test.v[i - 1] = hc->test.v[i];
	hc->test.n--;
	free(hc->test.shown);
	if (hc->test.secret) {
		/* As written, without the leading word. */
		char **raw = xcalloc(hc->test.n + 1, sizeof(*raw));
		yaml_node_item_t *it;
		yaml_node_t *item;

		i = 0;
		SEQ_EACH(L, v, it, item)
			if (it > v->data.sequence.items.start)
				raw[i++] = (char *)item->data.scalar.value;
		hc->test.shown = hc->kind == COMPOSE_HC_SHELL ? xstrdup(raw[0]) : join_words(raw, hc->test.n);
		free(raw);
	} else {
		hc->test.shown = hc->kind == COMPOSE_HC_SHELL ? xstrdup(hc->test.v[0])
							      : join_words(hc->test.v, hc->test.n);
	}
	return 0;
}

static int f_healthcheck(struct svc_ctx *x, yaml_node_t *n)
{
	struct loader *L = x->L;
	struct compose_healthcheck *hc = &x->s->healthcheck;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v, *test = NULL;
	int rc, disable = 0, other = 0;
	char b[80], what[WHAT_MAX];

	if ((rc = check_map(L, n, x->what)) < 0)
		return rc;
	hc->line = line_of(n);
	MAP_EACH(L, n, p, k, v) {
		long num = 0;

		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		if (!strcmp(KEY(k), "test")) {
			test = v;
			rc = hc_test(L, v, what, hc);
		} else if (!strcmp(KEY(k), "interval")) {
			rc = get_duration(L, v, what, &hc->interval_ms);
			other = 1;
		} else if (!strcmp(KEY(k), "timeout")) {
			rc = get_duration(L, v, what, &hc->timeout_ms);
			other = 1;
		} else if (!strcmp(KEY(k), "start_period")) {
			rc = get_duration(L, v, what, &hc->start_period_ms);
			other = 1;
		} else if (!strcmp(KEY(k), "retries")) {
			rc = get_int(L, v, what, 0, 100, &num);
			hc->retries = (int)num;
			other = 1;
		} else if (!strcmp(KEY(k), "disable")) {
			rc = get_bool(L, v, what, &disable);
		} else if (!strcmp(KEY(k), "start_interval")) {
			rc = fail(L, k, "%s: 'start_interval' needs Docker Engine API 1.44; dive speaks 1.41", x->what);
		} else if (!strncmp(KEY(k), "x-", 2)) {
			rc = 0;
		} else {
			rc = fail(L, k, "unknown key '%s' in %s", shown(b, KEY(k)), x->what);
		}
		if (rc < 0)
			return rc;
	}
	if (disable) {
		if ((test && hc->kind != COMPOSE_HC_NONE) || other)
			return fail(L, n, "%s: 'disable: true' cannot be combined with other settings", x->what);
		argv_release(&hc->test);
		hc->kind = COMPOSE_HC_NONE;
	} else if (!test) {
		/* Timing without a test tunes the image's own healthcheck. */
		hc->kind = COMPOSE_HC_IMAGE;
	}
	return 0;
}

static int f_restart(struct svc_ctx *x, yaml_node_t *v)
{
	struct compose_service *s = x->s;
	char b[80];
	int rc;

	if ((rc = get_str(x->L, v, x->what, &s->restart)) < 0)
		return rc;
	if (!strcmp(s->restart, "no") || !strcmp(s->restart, "always") || !strcmp(s->restart, "unless-stopped") ||
	    !strcmp(s->restart, "on-failure"))
		return 0;
	if (!strncmp(s->restart, "on-failure:", 11)) {
		const char *d = s->restart + 11;

		if (*d && strlen(d) <= 4 && strspn(d, "0123456789") == strlen(d))
			return 0;
	}
	return fail(x->L, v, "%s: unknown policy '%s' (no, always, on-failure[:N] or unless-stopped)", x->what,
		    shown(b, s->restart));
}

static int f_labels(struct svc_ctx *x, yaml_node_t *v)
{
	return get_kv(x->L, v, x->what, "=", &x->s->labels, &x->s->nlabels);
}

static int f_user(struct svc_ctx *x, yaml_node_t *v)
{
	return get_str(x->L, v, x->what, &x->s->user);
}

static int f_init(struct svc_ctx *x, yaml_node_t *v)
{
	return get_bool(x->L, v, x->what, &x->s->init);
}

static int f_extra_hosts(struct svc_ctx *x, yaml_node_t *v)
{
	size_t i;
	char b[80];
	int rc;

	if ((rc = get_kv(x->L, v, x->what, "=:", &x->s->extra_hosts, &x->s->nextra_hosts)) < 0)
		return rc;
	for (i = 0; i < x->s->nextra_hosts; i++)
		if (!*x->s->extra_hosts[i].value)
			return fail(x->L, v, "%s: '%s' has no address", x->what, shown(b, x->s->extra_hosts[i].key));
	return 0;
}

static int f_working_dir(struct svc_ctx *x, yaml_node_t *v)
{
	int rc;

	if ((rc = get_str(x->L, v, x->what, &x->s->working_dir)) < 0)
		return rc;
	if (x->s->working_dir[0] != '/' && !PLACEHOLDER(x->L))
		return fail(x->L, v, "%s must be an absolute path", x->what);
	return 0;
}

static int f_profiles(struct svc_ctx *x, yaml_node_t *v)
{
	return get_strlist(x->L, v, x->what, 0, check_name, &x->s->profiles, &x->s->nprofiles);
}

static const struct {
	const char *key;
	int (*parse)(struct svc_ctx *x, yaml_node_t *v);
} service_fields[] = {
	{ "image", f_image },
	{ "container_name", f_container_name },
	{ "command", f_command },
	{ "entrypoint", f_entrypoint },
	{ "environment", f_environment },
	{ "env_file", f_env_file },
	{ "ports", f_ports },
	{ "volumes", f_volumes },
	{ "tmpfs", f_tmpfs },
	{ "networks", f_networks },
	{ "depends_on", f_depends_on },
	{ "healthcheck", f_healthcheck },
	{ "restart", f_restart },
	{ "labels", f_labels },
	{ "user", f_user },
	{ "init", f_init },
	{ "extra_hosts", f_extra_hosts },
	{ "working_dir", f_working_dir },
	{ "profiles", f_profiles },
};

/* Compose keys dive knows and refuses, so the message says so rather than "unknown". */
static const char *const service_refused[] = {
	"build", "deploy", "secrets", "configs", "extends", "links", "external_links", "network_mode",
	"volumes_from", "pid", "ipc", "privileged", "cap_add", "cap_drop", "devices", "ulimits", "logging",
	"stop_grace_period", "stop_signal", "hostname", "domainname", "dns", "dns_search", "expose", "sysctls",
	"security_opt", "shm_size", "mem_limit", "cpus", "platform", "pull_policy", "scale", "stdin_open", "tty",
	"read_only", "develop", "attach", "post_start", "pre_stop", "userns_mode", "cgroup", "runtime",
};

static int parse_service(struct loader *L, yaml_node_t *k, yaml_node_t *n, struct compose_service *s)
{
	yaml_node_pair_t *p;
	yaml_node_t *fk, *fv;
	char what[WHAT_MAX], b[80];
	size_t i;
	int rc;

	s->name = xstrdup(KEY(k));
	s->line = line_of(k);
	s->init = -1;
	if ((rc = check_name(L, k, "services", s->name)) < 0)
		return rc;
	snprintf(what, sizeof(what), "services.%s", s->name);
	if ((rc = check_map(L, n, what)) < 0)
		return rc;
	MAP_EACH(L, n, p, fk, fv) {
		struct svc_ctx x = { L, s, what };
		char fwhat[WHAT_MAX + 260];

		if (!strncmp(KEY(fk), "x-", 2))
			continue;
		for (i = 0; i < ARRAY_SIZE(service_fields); i++)
			if (!strcmp(KEY(fk), service_fields[i].key))
				break;
		if (i == ARRAY_SIZE(service_fields)) {
			size_t j;

			for (j = 0; j < ARRAY_SIZE(service_refused); j++)
				if (!strcmp(KEY(fk), service_refused[j]))
					return fail(L, fk, "key '%s' in %s is not supported by dive", KEY(fk), what);
			return fail(L, fk, "unknown key '%s' in %s", shown(b, KEY(fk)), what);
		}
		snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(fk));
		x.what = fwhat;
		if ((rc = service_fields[i].parse(&x, fv)) < 0)
			return rc;
	}
	if (!s->image)
		return fail(L, k, "service '%s' has no image (dive does not build images from a stack file)", s->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Top level */

static int parse_services(struct loader *L, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	int rc;

	if ((rc = check_map(L, n, "services")) < 0)
		return rc;
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > COMPOSE_SERVICES_MAX)
		return fail(L, n, "more than %d services", COMPOSE_SERVICES_MAX);
	MAP_EACH(L, n, p, k, v) {
		struct compose_service *s = PUSH(L->c->services, L->c->nservices);

		if ((rc = parse_service(L, k, v, s)) < 0)
			return rc;
	}
	return 0;
}

/* networks: and volumes: at the top level share their shape. */
static int parse_objects(struct loader *L, yaml_node_t *n, const char *what, int networks)
{
	yaml_node_pair_t *p, *p2;
	yaml_node_t *k, *v, *k2, *v2;
	char b[80], owhat[WHAT_MAX];
	int rc;

	if ((rc = check_map(L, n, what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		char **name, **driver;
		struct compose_kv **labels;
		size_t *nlabels;
		int *external, *internal = NULL, *line;

		if (networks) {
			struct compose_network *o = PUSH(L->c->networks, L->c->nnetworks);

			o->key = xstrdup(KEY(k));
			name = &o->name, driver = &o->driver, labels = &o->labels, nlabels = &o->nlabels;
			external = &o->external, internal = &o->internal, line = &o->line;
		} else {
			struct compose_volume *o = PUSH(L->c->volumes, L->c->nvolumes);

			o->key = xstrdup(KEY(k));
			name = &o->name, driver = &o->driver, labels = &o->labels, nlabels = &o->nlabels;
			external = &o->external, line = &o->line;
		}
		*line = line_of(k);
		if ((rc = check_name(L, k, what, KEY(k))) < 0)
			return rc;
		if (is_null(v))
			continue;
		snprintf(owhat, sizeof(owhat), "%s.%s", what, KEY(k));
		if ((rc = check_map(L, v, owhat)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			char fwhat[WHAT_MAX + 260];

			snprintf(fwhat, sizeof(fwhat), "%s.%s", owhat, KEY(k2));
			if (!strcmp(KEY(k2), "name")) {
				if ((rc = get_str(L, v2, fwhat, name)) == 0 && !PLACEHOLDER(L) &&
				    !valid_name(*name, 128))
					rc = fail(L, v2, "%s: invalid name '%s'", fwhat, shown(b, *name));
			} else if (!strcmp(KEY(k2), "external")) {
				if (v2->type == YAML_MAPPING_NODE)
					rc = fail(L, v2, "%s: write 'external: true' and 'name:' beside it", fwhat);
				else
					rc = get_bool(L, v2, fwhat, external);
			} else if (!strcmp(KEY(k2), "driver")) {
				rc = get_str(L, v2, fwhat, driver);
			} else if (!strcmp(KEY(k2), "internal") && internal) {
				rc = get_bool(L, v2, fwhat, internal);
			} else if (!strcmp(KEY(k2), "labels")) {
				rc = get_kv(L, v2, fwhat, "=", labels, nlabels);
			} else if (!strncmp(KEY(k2), "x-", 2)) {
				rc = 0;
			} else {
				rc = fail(L, k2, "unknown key '%s' in %s", shown(b, KEY(k2)), owhat);
			}
			if (rc < 0)
				return rc;
		}
		if (*external && (*driver || (internal && *internal) || *nlabels))
			return fail(L, k, "%s: an external %s takes only 'name'", owhat, networks ? "network" : "volume");
	}
	return 0;
}

static int parse_dive_service(struct loader *L, yaml_node_t *k, yaml_node_t *v, struct compose_dive_service *d)
{
	yaml_node_pair_t *p;
	yaml_node_t *fk, *fv;
	char what[WHAT_MAX], b[80];
	int rc;

	d->service = xstrdup(KEY(k));
	d->line = line_of(k);
	snprintf(what, sizeof(what), "x-dive.services.%s", d->service);
	if ((rc = check_map(L, v, what)) < 0)
		return rc;
	MAP_EACH(L, v, p, fk, fv) {
		char fwhat[WHAT_MAX + 260];

		snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(fk));
		if (!strcmp(KEY(fk), "timeout") || !strcmp(KEY(fk), "timeout_min") || !strcmp(KEY(fk), "timeout_max")) {
			long *t = !strcmp(KEY(fk), "timeout") ? &d->timeout_ms
				  : !strcmp(KEY(fk), "timeout_min") ? &d->timeout_min_ms : &d->timeout_max_ms;

			if ((rc = get_duration(L, fv, fwhat, t)) == 0 && *t < 1000 && !PLACEHOLDER(L))
				rc = fail(L, fv, "%s must be at least 1s", fwhat);
		} else if (!strcmp(KEY(fk), "probe")) {
			unsigned f;

			if ((rc = value(L, fv, fwhat, 0, &d->probe, &f)) == 0 && !(f & INTERP_PLACEHOLDER) &&
			    strncmp(d->probe, "http://", 7) && strncmp(d->probe, "https://", 8) &&
			    strncmp(d->probe, "tcp://", 6))
				rc = fail(L, fv, "%s: '%s' is not an http://, https:// or tcp:// address", fwhat,
					  shown(b, d->probe));
		} else if (!strcmp(KEY(fk), "unhealthy")) {
			char *s = NULL;

			if ((rc = get_str(L, fv, fwhat, &s)) == 0) {
				if (!strcmp(s, "fail"))
					d->unhealthy = COMPOSE_UNHEALTHY_FAIL;
				else if (!strcmp(s, "tolerate"))
					d->unhealthy = COMPOSE_UNHEALTHY_TOLERATE;
				else
					rc = fail(L, fv, "%s must be 'fail' or 'tolerate', not '%s'", fwhat, shown(b, s));
			}
			free(s);
		} else {
			rc = fail(L, fk, "unknown key '%s' in %s", shown(b, KEY(fk)), what);
		}
		if (rc < 0)
			return rc;
	}
	if (d->timeout_min_ms && d->timeout_max_ms && d->timeout_min_ms > d->timeout_max_ms)
		return fail(L, k, "%s: timeout_min is larger than timeout_max", what);
	return 0;
}

/* x-dive: secrets first (interpolation needs them), then services. */
/* x-dive.federation: the hub's approval policy for spokes that register. */
static int parse_dive_federation(struct loader *L, yaml_node_t *n, struct compose_dive *d)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *raw;
	char b[80];
	int rc;

	if ((rc = check_map(L, n, "x-dive.federation")) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		if (strcmp(KEY(k), "approval"))
			return fail(L, k, "unknown key '%s' in x-dive.federation (approval)", shown(b, KEY(k)));
		if ((rc = raw_text(L, v, "x-dive.federation.approval", &raw)) < 0)
			return rc;
		if (!strcmp(raw, "auto"))
			d->approval = COMPOSE_APPROVAL_AUTO;
		else if (!strcmp(raw, "manual"))
			d->approval = COMPOSE_APPROVAL_MANUAL;
		else
			return fail(L, v, "x-dive.federation.approval is 'auto' or 'manual', not '%s'", shown(b, raw));
		d->approval_line = line_of(v);
	}
	return 0;
}

static int parse_dive(struct loader *L, yaml_node_t *n)
{
	struct compose_dive *d = &L->c->dive;
	yaml_node_pair_t *p, *p2;
	yaml_node_t *k, *v, *k2, *v2;
	yaml_node_item_t *it;
	char b[80];
	int rc;

	if ((rc = check_map(L, n, "x-dive")) < 0)
		return rc;
	d->line = line_of(n);
	MAP_EACH(L, n, p, k, v) {
		if (!strcmp(KEY(k), "secrets")) {
			if ((rc = check_seq(L, v, "x-dive.secrets")) < 0)
				return rc;
			SEQ_EACH(L, v, it, k2) {
				const char *raw;
				size_t j;

				if ((rc = raw_text(L, k2, "x-dive.secrets", &raw)) < 0)
					return rc;
				for (j = 0; raw[j]; j++)
					if (!(raw[j] == '_' || (raw[j] >= 'A' && raw[j] <= 'Z') ||
					      (raw[j] >= 'a' && raw[j] <= 'z') || (j && raw[j] >= '0' && raw[j] <= '9')))
						break;
				if (!j || raw[j] || j > INTERP_NAME_MAX)
					return fail(L, k2, "x-dive.secrets: '%s' is not a variable name", shown(b, raw));
				d->secrets = xrealloc(d->secrets, (d->nsecrets + 1) * sizeof(*d->secrets));
				d->secrets[d->nsecrets++] = xstrdup(raw);
			}
		} else if (!strcmp(KEY(k), "federation")) {
			if ((rc = parse_dive_federation(L, v, d)) < 0)
				return rc;
		} else if (strcmp(KEY(k), "services")) {
			return fail(L, k, "unknown key '%s' in x-dive (secrets, services, federation)", shown(b, KEY(k)));
		}
	}
	MAP_EACH(L, n, p, k, v) {
		if (strcmp(KEY(k), "services"))
			continue;
		if ((rc = check_map(L, v, "x-dive.services")) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			struct compose_dive_service *ds = PUSH(d->services, d->nservices);

			if ((rc = parse_dive_service(L, k2, v2, ds)) < 0)
				return rc;
		}
	}
	return 0;
}

static int parse_project_name(struct loader *L, yaml_node_t *v)
{
	char b[80];
	size_t i;
	int rc;

	if ((rc = get_str(L, v, "name", &L->c->name)) < 0)
		return rc;
	if (PLACEHOLDER(L))
		return 0;
	for (i = 0; L->c->name[i]; i++) {
		char c = L->c->name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i && (c == '-' || c == '_'))))
			break;
	}
	if (!i || L->c->name[i] || i > COMPOSE_NAME_MAX)
		return fail(L, v, "name: invalid project name '%s' (lower-case letters, digits, '-' and '_')",
			    shown(b, L->c->name));
	return 0;
}

/* References between parts of the file, once everything is read. */
static int cross_check(struct loader *L)
{
	struct compose *c = L->c;
	size_t i, j, k;
	char b[80], b2[80];

	for (i = 0; i < c->nservices; i++) {
		struct compose_service *s = &c->services[i];

		for (j = 0; j < s->nnetworks; j++) {
			for (k = 0; k < c->nnetworks; k++)
				if (!strcmp(c->networks[k].key, s->networks[j].network))
					break;
			if (k == c->nnetworks && strcmp(s->networks[j].network, "default"))
				return fail_at(L, s->networks[j].line, "service '%s' uses network '%s', which is not "
					       "defined under networks:", s->name, shown(b, s->networks[j].network));
		}
		for (j = 0; j < s->nvolumes; j++) {
			if (s->volumes[j].type != COMPOSE_MOUNT_VOLUME)
				continue;
			for (k = 0; k < c->nvolumes; k++)
				if (!strcmp(c->volumes[k].key, s->volumes[j].source))
					break;
			if (k == c->nvolumes)
				return fail_at(L, s->volumes[j].line, "service '%s' uses volume '%s', which is not "
					       "defined under volumes:", s->name, shown(b, s->volumes[j].source));
		}
		if (s->container_name) {
			for (j = 0; j < i; j++)
				if (c->services[j].container_name &&
				    !strcmp(c->services[j].container_name, s->container_name))
					return fail_at(L, s->line, "services '%s' and '%s' have the same container_name "
						       "'%s'", shown(b, c->services[j].name), shown(b2, s->name),
						       s->container_name);
		}
	}
	for (i = 0; i < c->dive.nservices; i++) {
		struct compose_dive_service *d = &c->dive.services[i];
		int idx = compose_service_index(c, d->service);

		if (idx < 0)
			return fail_at(L, d->line, "x-dive.services: '%s' is not a service of this file",
				       shown(b, d->service));
		c->services[idx].dive = d;
	}
	return 0;
}

static int parse_root(struct loader *L, yaml_node_t *root)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v, *services = NULL;
	char b[80];
	int rc;

	if (root->type != YAML_MAPPING_NODE)
		return fail(L, root, "a stack file must be a map with 'services:', not %s", kind_name(root));
	if ((rc = check_map(L, root, "the top level")) < 0)
		return rc;
	/* x-dive first: the secrets it declares apply to every value. */
	MAP_EACH(L, root, p, k, v)
		if (!strcmp(KEY(k), "x-dive") && (rc = parse_dive(L, v)) < 0)
			return rc;
	MAP_EACH(L, root, p, k, v) {
		const char *key = KEY(k);

		if (!strcmp(key, "services")) {
			services = v;
			rc = parse_services(L, v);
		} else if (!strcmp(key, "networks")) {
			rc = is_null(v) ? 0 : parse_objects(L, v, "networks", 1);
		} else if (!strcmp(key, "volumes")) {
			rc = is_null(v) ? 0 : parse_objects(L, v, "volumes", 0);
		} else if (!strcmp(key, "name")) {
			rc = parse_project_name(L, v);
		} else if (!strcmp(key, "version")) {
			const char *raw;

			rc = raw_text(L, v, "version", &raw); /* obsolete; accepted and ignored */
		} else if (!strncmp(key, "x-", 2)) {
			rc = 0;
		} else if (!strcmp(key, "secrets") || !strcmp(key, "configs") || !strcmp(key, "include") ||
			   !strcmp(key, "models")) {
			rc = fail(L, k, "top-level key '%s' is not supported by dive", key);
		} else {
			rc = fail(L, k, "unknown top-level key '%s'", shown(b, key));
		}
		if (rc < 0)
			return rc;
	}
	if (!services)
		return fail(L, root, "no 'services:' in the stack file");
	return cross_check(L);
}

/* ------------------------------------------------------------------ */
/* Loading */

static int yaml_problem(struct loader *L, const yaml_parser_t *y, const unsigned char *text, size_t len)
{
	int line = (int)y->problem_mark.line + 1;
	char ctx[160] = "";

	if (y->error == YAML_READER_ERROR) {
		size_t i;

		line = 1;
		for (i = 0; i < y->problem_offset && i < len; i++)
			line += text[i] == '\n';
	} else if (y->error == YAML_MEMORY_ERROR) {
		return fail_at(L, 1, "out of memory while reading YAML");
	}
	if (y->context)
		snprintf(ctx, sizeof(ctx), " (%s)", y->context);
	return fail_at(L, line, "invalid YAML: %s%s", y->problem ? y->problem : "unknown error", ctx);
}

/* First pass: depth and the number of documents, without building anything. */
static int precheck(struct loader *L, const unsigned char *text, size_t len)
{
	yaml_parser_t y;
	yaml_event_t ev;
	int depth = 0, docs = 0, rc = 0, done = 0;

	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&y, &ev)) {
			rc = yaml_problem(L, &y, text, len);
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > COMPOSE_DEPTH_MAX)
				rc = fail_at(L, (int)ev.start_mark.line + 1, "nested deeper than %d levels",
					     COMPOSE_DEPTH_MAX);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = fail_at(L, (int)ev.start_mark.line + 1, "more than one YAML document");
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y);
	if (rc == 0 && docs == 0)
		rc = fail_at(L, 1, "the stack file is empty");
	return rc;
}

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path), *slash = strrchr(copy, '/'), *dir, cwd[PATH_MAX];

	if (slash == copy)
		dir = xstrdup("/");
	else if (slash) {
		*slash = '\0';
		dir = copy[0] == '/' ? xstrdup(copy)
				     : (getcwd(cwd, sizeof(cwd)) ? xasprintf("%s/%s", cwd, copy) : xstrdup(copy));
	} else {
		dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	}
	free(copy);
	return dir;
}

int compose_load_string(struct compose **out, const char *name, const char *text, size_t len,
			const struct interp_env *env)
{
	struct loader L;
	yaml_parser_t y;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.path = name;
	L.user = env;
	L.c = xcalloc(1, sizeof(*L.c));
	L.c->path = xstrdup(name);
	L.c->dir = dir_of(name);
	L.env.lookup = loader_lookup;
	L.env.data = &L;
	L.env.flags = env ? env->flags : 0;

	if (len > COMPOSE_FILE_MAX) {
		rc = dive_error_set(DIVE_ETOOBIG, "%s: larger than %d bytes", name, COMPOSE_FILE_MAX);
		dive_error_set_code(ERRC_COMPOSE_PARSE);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		rc = fail_at(&L, 1, "the file contains a NUL byte");
		goto out;
	}
	if ((rc = precheck(&L, (const unsigned char *)text, len)) < 0)
		goto out;
	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	if (!yaml_parser_load(&y, &L.doc)) {
		rc = yaml_problem(&L, &y, (const unsigned char *)text, len);
		yaml_parser_delete(&y);
		goto out;
	}
	yaml_parser_delete(&y);
	L.have_doc = 1;
	root = yaml_document_get_root_node(&L.doc);
	if (!root) {
		rc = fail_at(&L, 1, "the stack file is empty");
		goto out;
	}
	rc = parse_root(&L, root);
out:
	if (L.have_doc)
		yaml_document_delete(&L.doc);
	if (rc < 0) {
		compose_free(L.c);
		return rc;
	}
	*out = L.c;
	return 0;
}

int compose_load(struct compose **out, const char *path, const struct interp_env *env)
{
	struct dive_buf b;
	struct stat st;
	char chunk[65536];
	ssize_t n;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = dive_error_set(DIVE_EUSAGE, "cannot read stack file '%s': %s", path, strerror(errno));
		dive_error_set_code(ERRC_COMPOSE_PARSE);
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		rc = dive_error_set(DIVE_EUSAGE, "cannot read stack file '%s': not a regular file", path);
		dive_error_set_code(ERRC_COMPOSE_PARSE);
		return rc;
	}
	dive_buf_init(&b, COMPOSE_FILE_MAX);
	rc = 0;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dive_error_set(DIVE_EUSAGE, "cannot read stack file '%s': %s", path, strerror(errno));
			break;
		}
		if (dive_buf_add(&b, chunk, (size_t)n) < 0) {
			rc = dive_error_set(DIVE_ETOOBIG, "%s: larger than %d bytes", path, COMPOSE_FILE_MAX);
			break;
		}
	}
	close(fd);
	if (rc < 0) {
		dive_error_set_code(ERRC_COMPOSE_PARSE);
		dive_buf_release(&b);
		return rc;
	}
	rc = compose_load_string(out, path, dive_buf_str(&b), b.len, env);
	dive_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Release */

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void kv_free(struct compose_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void service_release(struct compose_service *s)
{
	size_t i;

	free(s->name);
	free(s->image);
	free(s->container_name);
	argv_release(&s->command);
	argv_release(&s->entrypoint);
	for (i = 0; i < s->nenvironment; i++) {
		free(s->environment[i].name);
		if (s->environment[i].secret)
			wipe_free(s->environment[i].value);
		else
			free(s->environment[i].value);
	}
	free(s->environment);
	strv_free(s->env_files, s->nenv_files);
	free(s->ports);
	for (i = 0; i < s->nvolumes; i++) {
		free(s->volumes[i].source);
		free(s->volumes[i].target);
	}
	free(s->volumes);
	strv_free(s->tmpfs, s->ntmpfs);
	for (i = 0; i < s->nnetworks; i++) {
		free(s->networks[i].network);
		strv_free(s->networks[i].aliases, s->networks[i].naliases);
	}
	free(s->networks);
	for (i = 0; i < s->ndepends_on; i++)
		free(s->depends_on[i].service);
	free(s->depends_on);
	argv_release(&s->healthcheck.test);
	free(s->restart);
	kv_free(s->labels, s->nlabels);
	free(s->user);
	kv_free(s->extra_hosts, s->nextra_hosts);
	free(s->working_dir);
	strv_free(s->profiles, s->nprofiles);
}

void compose_free(struct compose *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nservices; i++)
		service_release(&c->services[i]);
	free(c->services);
	for (i = 0; i < c->nnetworks; i++) {
		free(c->networks[i].key);
		free(c->networks[i].name);
		free(c->networks[i].driver);
		kv_free(c->networks[i].labels, c->networks[i].nlabels);
	}
	free(c->networks);
	for (i = 0; i < c->nvolumes; i++) {
		free(c->volumes[i].key);
		free(c->volumes[i].name);
		free(c->volumes[i].driver);
		kv_free(c->volumes[i].labels, c->volumes[i].nlabels);
	}
	free(c->volumes);
	strv_free(c->dive.secrets, c->dive.nsecrets);
	for (i = 0; i < c->dive.nservices; i++) {
		free(c->dive.services[i].service);
		free(c->dive.services[i].probe);
	}
	free(c->dive.services);
	free(c->path);
	free(c->dir);
	free(c->name);
	free(c);
}

const struct compose_service *compose_service_find(const struct compose *c, const char *name)
{
	int i = compose_service_index(c, name);

	return i < 0 ? NULL : &c->services[i];
}

int compose_service_index(const struct compose *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nservices; i++)
		if (!strcmp(c->services[i].name, name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Configuration hash */

/* Fields are written as "tag=<length>:<bytes>;" so no two definitions serialise alike. */
static void h_str(struct sha256 *h, const char *tag, const char *s)
{
	char hdr[96];
	int n;

	if (!s) {
		n = snprintf(hdr, sizeof(hdr), "%s=-;", tag);
		sha256_update(h, hdr, (size_t)n);
		return;
	}
	n = snprintf(hdr, sizeof(hdr), "%s=%zu:", tag, strlen(s));
	sha256_update(h, hdr, (size_t)n);
	sha256_update(h, s, strlen(s));
	sha256_update(h, ";", 1);
}

static void h_num(struct sha256 *h, const char *tag, long v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%ld", v);
	h_str(h, tag, buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hash a set of strings (owned, freed here) in sorted order. */
static void h_set(struct sha256 *h, const char *tag, char **v, size_t n)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_str);
	h_num(h, tag, (long)n);
	for (i = 0; i < n; i++) {
		h_str(h, tag, v[i]);
		wipe_free(v[i]);
	}
	free(v);
}

static void h_argv(struct sha256 *h, const char *tag, const struct compose_argv *a)
{
	size_t i;

	h_num(h, tag, a->set ? (long)a->n : -1);
	for (i = 0; i < a->n; i++)
		h_str(h, tag, a->v[i]);
}

/* A length-prefixed pair, so "a=b" + "c" and "a" + "b=c" differ. */
static char *pair(const char *k, const char *v)
{
	return xasprintf("%zu:%s=%s", strlen(k), k, v ? v : "");
}

void compose_config_hash(char out[65], const struct compose_service *s)
{
	static const char *const mount_types[] = { "volume", "bind", "anonymous" };
	unsigned char digest[32];
	struct sha256 h;
	char **v;
	size_t i, j, n;

	sha256_init(&h);
	h_str(&h, "dive-config", "1");
	h_str(&h, "image", s->image);
	h_str(&h, "container_name", s->container_name);
	h_argv(&h, "command", &s->command);
	h_argv(&h, "entrypoint", &s->entrypoint);

	/* Only variables that are passed; listed-but-unset ones are not. */
	v = xcalloc(s->nenvironment + 1, sizeof(*v));
	for (i = n = 0; i < s->nenvironment; i++)
		if (s->environment[i].value)
			v[n++] = pair(s->environment[i].name, s->environment[i].value);
	h_set(&h, "environment", v, n);

	h_num(&h, "env_file", (long)s->nenv_files);
	for (i = 0; i < s->nenv_files; i++)
		h_str(&h, "env_file", s->env_files[i]);

	v = xcalloc(s->nports + 1, sizeof(*v));
	for (i = 0; i < s->nports; i++)
		v[i] = xasprintf("%s|%d|%d|%s", s->ports[i].host_ip, s->ports[i].host_port,
				 s->ports[i].container_port, s->ports[i].protocol);
	h_set(&h, "ports", v, s->nports);

	v = xcalloc(s->nvolumes + 1, sizeof(*v));
	for (i = 0; i < s->nvolumes; i++)
		v[i] = xasprintf("%s|%zu:%s|%zu:%s|%d", mount_types[s->volumes[i].type],
				 s->volumes[i].source ? strlen(s->volumes[i].source) : 0,
				 s->volumes[i].source ? s->volumes[i].source : "", strlen(s->volumes[i].target),
				 s->volumes[i].target, s->volumes[i].read_only);
	h_set(&h, "volumes", v, s->nvolumes);

	v = xcalloc(s->ntmpfs + 1, sizeof(*v));
	for (i = 0; i < s->ntmpfs; i++)
		v[i] = xstrdup(s->tmpfs[i]);
	h_set(&h, "tmpfs", v, s->ntmpfs);

	/* A service without networks is on "default"; saying so is the same thing. */
	v = xcalloc(s->nnetworks + 2, sizeof(*v));
	for (i = 0; i < s->nnetworks; i++) {
		struct dive_buf b;
		char **al = xcalloc(s->networks[i].naliases + 1, sizeof(*al));

		for (j = 0; j < s->networks[i].naliases; j++)
			al[j] = s->networks[i].aliases[j];
		qsort(al, s->networks[i].naliases, sizeof(*al), cmp_str);
		dive_buf_init(&b, (size_t)-1 / 2);
		dive_buf_printf(&b, "%zu:%s", strlen(s->networks[i].network), s->networks[i].network);
		for (j = 0; j < s->networks[i].naliases; j++)
			dive_buf_printf(&b, "|%zu:%s", strlen(al[j]), al[j]);
		free(al);
		v[i] = dive_buf_detach(&b);
	}
	n = s->nnetworks;
	if (n == 0)
		v[n++] = xstrdup("7:default");
	h_set(&h, "networks", v, n);

	h_num(&h, "healthcheck", (long)s->healthcheck.kind);
	h_argv(&h, "healthcheck.test", &s->healthcheck.test);
	h_num(&h, "healthcheck.interval", s->healthcheck.interval_ms);
	h_num(&h, "healthcheck.timeout", s->healthcheck.timeout_ms);
	h_num(&h, "healthcheck.start_period", s->healthcheck.start_period_ms);
	h_num(&h, "healthcheck.retries", s->healthcheck.retries);

	h_str(&h, "restart", s->restart && strcmp(s->restart, "no") ? s->restart : NULL);

	v = xcalloc(s->nlabels + 1, sizeof(*v));
	for (i = 0; i < s->nlabels; i++)
		v[i] = pair(s->labels[i].key, s->labels[i].value);
	h_set(&h, "labels", v, s->nlabels);

	h_str(&h, "user", s->user);
	h_num(&h, "init", s->init == 1);

	v = xcalloc(s->nextra_hosts + 1, sizeof(*v));
	for (i = 0; i < s->nextra_hosts; i++)
		v[i] = pair(s->extra_hosts[i].key, s->extra_hosts[i].value);
	h_set(&h, "extra_hosts", v, s->nextra_hosts);

	h_str(&h, "working_dir", s->working_dir);

	sha256_final(&h, digest);
	explicit_bzero(&h, sizeof(h));
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
