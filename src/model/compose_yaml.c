/*
 * compose_yaml.c - the stack-file loader's YAML node reader (compose_priv.h):
 * messages with their place, shapes and bounds of maps and lists,
 * interpolated values (interp.h) with the secret rules of compose.h, names,
 * durations, word lists, string lists and key=value pairs.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/buf.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"

/* ------------------------------------------------------------------ */
/* Messages */

int cl_line_of(const yaml_node_t *n)
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

int cl_fail_at(struct loader *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cl_fail_at(struct loader *L, int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(L, DIVE_EUSAGE, line, fmt, ap);
	va_end(ap);
	return rc;
}

int cl_fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cl_fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(L, DIVE_EUSAGE, cl_line_of(n), fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Text of the file for a message about scalar n, whose value (or a part of
 * it) is s: s itself only when n's text holds no '$', so that nothing was
 * interpolated and s is the file's own text; otherwise n's text as written,
 * ${...} unexpanded.  This is the only way a value reaches a message, so no
 * value from the environment, secret or not, can: a message holds only text
 * of the file.  Bounded and printable (control characters and quotes become
 * '?').
 */
const char *cl_shown(char out[80], const yaml_node_t *n, const char *s)
{
	size_t i, j = 0;

	if (!n || n->type != YAML_SCALAR_NODE)
		s = "?";
	else if (strchr((const char *)n->data.scalar.value, '$'))
		s = (const char *)n->data.scalar.value;
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

const char *cl_kind_name(const yaml_node_t *n)
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

int cl_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

yaml_node_t *cl_node_at(struct loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

int cl_touch(struct loader *L, const yaml_node_t *n)
{
	if (++L->visits > COMPOSE_NODES_MAX)
		return cl_fail(L, n, "more than %d YAML nodes read (aliases count every time they are read)",
			    COMPOSE_NODES_MAX);
	return 0;
}

/* The raw text of a scalar, checked for NUL bytes and length. */
int cl_raw_text(struct loader *L, const yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return cl_fail(L, n, "%s must be a single value, not %s", what, cl_kind_name(n));
	if (n->data.scalar.length > COMPOSE_STRING_MAX)
		return cl_fail(L, n, "%s is longer than %d bytes", what, COMPOSE_STRING_MAX);
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return cl_fail(L, n, "%s contains a NUL byte", what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/*
 * A mapping with at most COMPOSE_ITEMS_MAX pairs whose keys are distinct,
 * non-empty single values of bounded length.
 */
int cl_check_map(struct loader *L, const yaml_node_t *n, const char *what)
{
	yaml_node_pair_t *p, *q;
	size_t count;

	if (n->type != YAML_MAPPING_NODE)
		return cl_fail(L, n, "%s must be a map, not %s", what, cl_kind_name(n));
	count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (count > COMPOSE_ITEMS_MAX)
		return cl_fail(L, n, "%s has more than %d entries", what, COMPOSE_ITEMS_MAX);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cl_node_at(L, p->key), *v = cl_node_at(L, p->value);
		const char *ks;
		char b[80];

		if (cl_touch(L, k) < 0 || cl_touch(L, v) < 0)
			return DIVE_EUSAGE;
		if (k->type != YAML_SCALAR_NODE || cl_is_null(k))
			return cl_fail(L, k, "%s: keys must be names, not %s", what, cl_is_null(k) ? "empty" : cl_kind_name(k));
		ks = (const char *)k->data.scalar.value;
		if (k->data.scalar.length > 256 || strlen(ks) != k->data.scalar.length)
			return cl_fail(L, k, "%s: a key is longer than 256 bytes or contains a NUL byte", what);
		if (!strcmp(ks, "<<"))
			return cl_fail(L, k, "%s: merge keys ('<<') are not supported", what);
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = cl_node_at(L, q->key);

			if (!strcmp((const char *)k2->data.scalar.value, ks))
				return cl_fail(L, k, "%s: duplicate key '%s' (first on line %d)", what, cl_shown(b, k, ks),
					    cl_line_of(k2));
		}
	}
	return 0;
}

int cl_check_seq(struct loader *L, const yaml_node_t *n, const char *what)
{
	yaml_node_item_t *i;
	size_t count;

	if (n->type != YAML_SEQUENCE_NODE)
		return cl_fail(L, n, "%s must be a list, not %s", what, cl_kind_name(n));
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > COMPOSE_ITEMS_MAX)
		return cl_fail(L, n, "%s has more than %d entries", what, COMPOSE_ITEMS_MAX);
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
		if (cl_touch(L, cl_node_at(L, *i)) < 0)
			return DIVE_EUSAGE;
	return 0;
}


/* ------------------------------------------------------------------ */
/* Values */

int cl_is_declared_secret(const struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->c->dive.nsecrets; i++)
		if (!strcmp(L->c->dive.secrets[i], name))
			return 1;
	return 0;
}

/* The environment compose interpolates with: the caller's, plus declared secrets. */
int cl_loader_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	struct loader *L = env->data;
	int rc;

	snprintf(L->last_var, sizeof(L->last_var), "%s", name);
	rc = interp_lookup(L->user, name, value, secret);
	L->last_found = rc > 0;
	if (rc > 0 && cl_is_declared_secret(L, name))
		*secret = 1;
	return rc;
}

void cl_wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * The interpolated value of scalar n.  *out is NULL for an empty value
 * with V_NULL_OK; *iflags (may be NULL) gets the interp flags.
 */
int cl_value(struct loader *L, const yaml_node_t *n, const char *what, unsigned opts, char **out,
	     unsigned *iflags)
{
	const char *raw;
	int rc;

	*out = NULL;
	L->last_flags = 0;
	if (iflags)
		*iflags = 0;
	if (n->type != YAML_SCALAR_NODE)
		return cl_fail(L, n, "%s must be a single value, not %s", what, cl_kind_name(n));
	if (cl_is_null(n)) {
		if (opts & V_NULL_OK)
			return 0;
		return cl_fail(L, n, "%s needs a value", what);
	}
	if ((rc = cl_raw_text(L, n, what, &raw)) < 0)
		return rc;
	return cl_expand(L, n, raw, what, opts, out, iflags);
}

int cl_expand(struct loader *L, const yaml_node_t *n, const char *raw, const char *what, unsigned opts, char **out,
	      unsigned *iflags)
{
	char where[PATH_MAX + 32];
	unsigned f = 0;
	int rc;

	*out = NULL;
	L->last_flags = 0;
	if (iflags)
		*iflags = 0;
	snprintf(where, sizeof(where), "%s:%d", L->path, cl_line_of(n));
	L->last_var[0] = '\0';
	rc = interp_expand(out, &f, raw, &L->env, where);
	if (rc < 0) {
		dive_error_set_code(!L->last_found && L->last_var[0] && cl_is_declared_secret(L, L->last_var)
					    ? ERRC_SECRET_MISSING : ERRC_COMPOSE_PARSE);
		return rc;
	}
	if ((f & INTERP_SECRET) && !(opts & V_SECRET_OK)) {
		cl_wipe_free(*out);
		*out = NULL;
		return cl_fail(L, n, "%s uses a secret variable; secrets may appear only in environment, command, "
			    "entrypoint and healthcheck.test", what);
	}
	if (f & INTERP_PLACEHOLDER)
		L->c->placeholders = 1;
	L->last_flags = f;
	if (iflags)
		*iflags = f;
	return 0;
}

int cl_get_str(struct loader *L, const yaml_node_t *n, const char *what, char **out)
{
	free(*out);
	*out = NULL;
	return cl_value(L, n, what, 0, out, NULL);
}

int cl_get_bool(struct loader *L, const yaml_node_t *n, const char *what, int *out)
{
	unsigned f;
	char *s;
	int rc;

	if ((rc = cl_value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = 0;
	else if (f & INTERP_PLACEHOLDER)
		*out = 0;
	else {
		char b[80];

		rc = cl_fail(L, n, "%s must be true or false, not '%s'", what, cl_shown(b, n, s));
	}
	free(s);
	return rc;
}

int cl_get_int(struct loader *L, const yaml_node_t *n, const char *what, long min, long max, long *out)
{
	unsigned f;
	char *s, *end;
	long v;
	int rc;

	if ((rc = cl_value(L, n, what, 0, &s, &f)) < 0)
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

		rc = cl_fail(L, n, "%s must be a whole number from %ld to %ld, not '%s'", what, min, max, cl_shown(b, n, s));
	} else {
		*out = v;
	}
	free(s);
	return rc;
}

/* "12", "1.5", ".5": the number at p and what follows it, or NULL (no digit, or above 1e15). */
static const char *decimal(const char *p, double *out)
{
	double v = 0, scale = 1;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (++digits > 15)
			return NULL;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			scale /= 10;
			v += (*p++ - '0') * scale;
			digits++;
		}
	}
	*out = v;
	return digits ? p : NULL;
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
		double v;
		size_t u;

		if (!(p = decimal(p, &v)))
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

int cl_get_duration(struct loader *L, const yaml_node_t *n, const char *what, long *out)
{
	unsigned f;
	char *s;
	int rc;

	if ((rc = cl_value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (f & INTERP_PLACEHOLDER) {
		*out = 0;
	} else if (compose_parse_duration(out, s) < 0) {
		char b[80];

		rc = cl_fail(L, n, "%s: bad duration '%s' (use a number and a unit, as in 10s, 1m30s or 500ms; at most 24h)",
			  what, cl_shown(b, n, s));
	}
	free(s);
	return rc;
}

int compose_parse_bytes(long long *out, const char *s)
{
	static const char units[] = "bkmgtp";
	const char *p, *u;
	double v, mult = 1;

	if (!(p = decimal(s, &v)))
		return DIVE_EUSAGE;
	if (*p == ' ' && p[1])
		p++;
	if (*p && (u = strchr(units, *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p)) != NULL) {
		int i;

		for (i = 0; i < u - units; i++)
			mult *= 1024;
		p++;
		if (u != units && (*p == 'i' || *p == 'I'))
			p++;
		if (u != units && (*p == 'b' || *p == 'B'))
			p++;
	}
	if (*p || v * mult > (double)COMPOSE_BYTES_MAX)
		return DIVE_EUSAGE;
	*out = (long long)(v * mult + 0.5);
	return 0;
}

int cl_get_bytes(struct loader *L, const yaml_node_t *n, const char *what, int minus_one_ok, long long *out)
{
	unsigned f;
	char *s, b[80];
	int rc;

	if ((rc = cl_value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (f & INTERP_PLACEHOLDER)
		*out = 0;
	else if (minus_one_ok && !strcmp(s, "-1"))
		*out = -1;
	else if (compose_parse_bytes(out, s) < 0)
		rc = cl_fail(L, n, "%s: bad size '%s' (a number of bytes, or with a unit: 512m, 1g, 1.5GiB)", what,
			     cl_shown(b, n, s));
	free(s);
	return rc;
}

int cl_get_cpus(struct loader *L, const yaml_node_t *n, const char *what, long long *out_nano)
{
	unsigned f;
	char *s, *end, b[80];
	double v;
	int rc;

	if ((rc = cl_value(L, n, what, 0, &s, &f)) < 0)
		return rc;
	if (f & INTERP_PLACEHOLDER) {
		*out_nano = 0;
		free(s);
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(s[0] >= '0' && s[0] <= '9') || v < 0.001 || v > 1024)
		rc = cl_fail(L, n, "%s must be a number of CPUs from 0.001 to 1024, not '%s'", what, cl_shown(b, n, s));
	else
		*out_nano = (long long)(v * 1e9 + 0.5);
	free(s);
	return rc;
}

/* Service, network, volume and profile names: [A-Za-z0-9][A-Za-z0-9_.-]*, bounded. */
int cl_valid_name(const char *s, size_t max)
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

int cl_check_name(struct loader *L, const yaml_node_t *n, const char *what, const char *s)
{
	char b[80];

	if (!cl_valid_name(s, COMPOSE_NAME_MAX))
		return cl_fail(L, n, "%s: invalid name '%s' (letters, digits, '_', '.', '-', at most %d bytes, "
			    "starting with a letter or digit)", what, cl_shown(b, n, s), COMPOSE_NAME_MAX);
	return 0;
}

/*
 * A name given as a value (list items of depends_on, networks, profiles):
 * taken as written, never interpolated, so a name is always the file's own
 * text (graph.h prints them).
 */
int cl_get_name(struct loader *L, const yaml_node_t *n, const char *what, char **out)
{
	const char *raw;
	int rc;

	free(*out);
	*out = NULL;
	if (n->type == YAML_SCALAR_NODE && cl_is_null(n))
		return cl_fail(L, n, "%s needs a value", what);
	if ((rc = cl_raw_text(L, n, what, &raw)) < 0)
		return rc;
	*out = xstrdup(raw);
	return cl_check_name(L, n, what, *out);
}

/* A list of names, each as cl_get_name reads it. */
int cl_get_names(struct loader *L, const yaml_node_t *n, const char *what, char ***out, size_t *count)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	int rc;

	if ((rc = cl_check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		*out = xrealloc(*out, (*count + 1) * sizeof(**out));
		(*out)[*count] = NULL;
		rc = cl_get_name(L, v, what, &(*out)[*count]);
		if ((*out)[*count])
			++*count;
		if (rc < 0)
			return rc;
	}
	return 0;
}

const yaml_node_t *cl_kv_node(struct loader *L, const yaml_node_t *n, size_t i)
{
	return cl_node_at(L, n->type == YAML_MAPPING_NODE ? n->data.mapping.pairs.start[i].key
							  : n->data.sequence.items.start[i]);
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
		cl_wipe_free((*out)[--*n]);
	free(*out);
	*out = NULL;
	return DIVE_EUSAGE;
}

static int needs_quotes(const char *w)
{
	return !*w || strpbrk(w, " \t\n'\"\\$") != NULL;
}

/* Words joined by spaces, quoted where needed: "pg_isready -U 'a b'". */
char *cl_join_words(char *const *v, size_t n)
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

void cl_argv_release(struct compose_argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->secret)
			cl_wipe_free(a->v[i]);
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
int cl_get_argv(struct loader *L, const yaml_node_t *n, const char *what, int split, struct compose_argv *out)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	unsigned f;
	char *s;
	int rc;

	cl_argv_release(out);
	out->set = 1;
	if (n->type == YAML_SCALAR_NODE) {
		const char *raw;
		char **words;
		size_t nw, i;

		if ((rc = cl_raw_text(L, n, what, &raw)) < 0 || (rc = cl_value(L, n, what, V_SECRET_OK, &s, &f)) < 0)
			return rc;
		out->secret = !!(f & INTERP_SECRET);
		out->interpolated = !!(f & INTERP_SUBSTITUTED);
		if (!split) {
			argv_push(out, s);
			out->shown = xstrdup(out->interpolated ? raw : s);
			return 0;
		}
		rc = split_words(&words, &nw, s);
		cl_wipe_free(s);
		if (rc < 0)
			return cl_fail(L, n, "%s: unbalanced quote or trailing backslash", what);
		for (i = 0; i < nw; i++)
			argv_push(out, words[i]);
		free(words);
		out->shown = out->interpolated ? xstrdup(raw) : cl_join_words(out->v, out->n);
		return 0;
	}
	if ((rc = cl_check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		if ((rc = cl_value(L, v, what, V_SECRET_OK, &s, &f)) < 0)
			return rc;
		out->secret |= !!(f & INTERP_SECRET);
		out->interpolated |= !!(f & INTERP_SUBSTITUTED);
		argv_push(out, s);
	}
	out->shown = cl_argv_shown(L, out, n, 0);
	return 0;
}

/*
 * The printable line of a list-form word list from its words after the
 * first skip items: the words, or as written when any was interpolated.
 */
char *cl_argv_shown(struct loader *L, const struct compose_argv *a, const yaml_node_t *n, size_t skip)
{
	char **raw, *line;
	yaml_node_item_t *it;
	yaml_node_t *v;
	size_t i = 0, k = 0;

	if (!a->interpolated)
		return cl_join_words(a->v, a->n);
	raw = xcalloc(a->n + 1, sizeof(*raw));
	SEQ_EACH(L, n, it, v)
		if (k++ >= skip && i < a->n)
			raw[i++] = (char *)v->data.scalar.value;
	line = cl_join_words(raw, i);
	free(raw);
	return line;
}

/*
 * A string (when string_ok) or a list of strings, no secrets (tmpfs,
 * env_file, profiles, aliases); check (may be NULL) vets each item.
 */
int cl_get_strlist(struct loader *L, const yaml_node_t *n, const char *what, int string_ok,
		       item_check_fn check, char ***out, size_t *count)
{
	yaml_node_item_t *it;
	yaml_node_t *v;
	char *s;
	int rc;

	if (n->type == YAML_SCALAR_NODE && string_ok) {
		if ((rc = cl_value(L, n, what, 0, &s, NULL)) < 0)
			return rc;
		*out = xrealloc(*out, (*count + 1) * sizeof(**out));
		(*out)[(*count)++] = s;
		return check ? check(L, n, what, s) : 0;
	}
	if ((rc = cl_check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		if ((rc = cl_value(L, v, what, 0, &s, NULL)) < 0)
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
int cl_get_kv(struct loader *L, const yaml_node_t *n, const char *what, const char *seps, int dups_ok,
	      struct compose_kv **out, size_t *count)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *k, *v;
	struct compose_kv *kv;
	size_t i;
	int rc;

	if (n->type == YAML_MAPPING_NODE) {
		if ((rc = cl_check_map(L, n, what)) < 0)
			return rc;
		MAP_EACH(L, n, p, k, v) {
			kv = PUSH(*out, *count);
			kv->key = xstrdup(KEY(k));
			kv->line = cl_line_of(k);
			if ((rc = cl_value(L, v, what, V_NULL_OK, &kv->value, NULL)) < 0)
				return rc;
			if (!kv->value)
				kv->value = xstrdup("");
		}
		return 0;
	}
	if ((rc = cl_check_seq(L, n, what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		char *s, *sep = NULL, b[80];
		const char *c;

		if ((rc = cl_value(L, v, what, 0, &s, NULL)) < 0)
			return rc;
		for (c = seps; *c && !sep; c++)
			sep = strchr(s, *c);
		kv = PUSH(*out, *count);
		kv->line = cl_line_of(v);
		if (sep) {
			kv->key = xstrndup(s, (size_t)(sep - s));
			kv->value = xstrdup(sep + 1);
		} else {
			kv->key = xstrdup(s);
			kv->value = xstrdup("");
		}
		free(s);
		if (!*kv->key)
			return cl_fail(L, v, "%s: an entry has no name", what);
		for (i = 0; !dups_ok && i + 1 < *count; i++)
			if (!strcmp((*out)[i].key, kv->key))
				return cl_fail(L, v, "%s: duplicate entry '%s' (first on line %d)", what,
					    cl_shown(b, v, kv->key), (*out)[i].line);
	}
	return 0;
}


/* Relative paths are taken from the file's directory. */
char *cl_absolute(const struct loader *L, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	if (p[0] == '.' && p[1] == '/')
		p += 2;
	else if (!strcmp(p, "."))
		return xstrdup(L->c->dir);
	return xasprintf("%s/%s", L->c->dir, p);
}

