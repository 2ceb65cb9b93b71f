/* interp.c - ${VAR} interpolation (see interp.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/buf.h"
#include "dive/error.h"
#include "dive/interp.h"
#include "dive/xalloc.h"

struct expander {
	const struct interp_env *env;
	const char *where;
	int placeholders;
	unsigned flags;
};

static int is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Text from the file, bounded and with control characters replaced, for messages. */
static void printable(char *out, size_t n, const char *s, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 4 < n; i++)
		out[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (i < len && j + 4 <= n) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

static int fail(struct expander *x, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct expander *x, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->where)
		return dive_error_set(err, "%s: %s", x->where, msg);
	return dive_error_set(err, "%s", msg);
}

static int add(struct expander *x, struct dive_buf *out, const char *s, size_t len)
{
	if (dive_buf_add(out, s, len) < 0)
		return fail(x, DIVE_EUSAGE, "value longer than %d bytes after interpolation", INTERP_LEN_MAX);
	return 0;
}

/* An unset variable where a value is required: a placeholder, or an error. */
static int missing(struct expander *x, struct dive_buf *out, const char *name, const char *msg, size_t msglen,
		   int braced_required)
{
	char text[160];

	if (x->placeholders) {
		x->flags |= INTERP_PLACEHOLDER;
		if (add(x, out, "${", 2) < 0 || add(x, out, name, strlen(name)) < 0)
			return DIVE_EUSAGE;
		return add(x, out, "}", 1);
	}
	if (!braced_required)
		return fail(x, DIVE_EUSAGE, "%s: variable is not set (write ${%s:-} for an empty default)", name, name);
	if (!msglen)
		return fail(x, DIVE_EUSAGE, "%s: required variable is not set", name);
	printable(text, sizeof(text), msg, msglen);
	return fail(x, DIVE_EUSAGE, "%s: %s", name, text);
}

static int expand(struct expander *x, struct dive_buf *out, const char *s, size_t len, int depth);

/* Find the '}' closing a "${" whose body starts at s[i]; returns its index or len. */
static size_t closing_brace(const char *s, size_t i, size_t len)
{
	int nest = 0;

	while (i < len) {
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '$') {
			i += 2;
		} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
			nest++;
			i += 2;
		} else if (s[i] == '}') {
			if (nest == 0)
				return i;
			nest--;
			i++;
		} else {
			i++;
		}
	}
	return len;
}

static int substitute_value(struct expander *x, struct dive_buf *out, const char *value, int secret)
{
	if (secret)
		x->flags |= INTERP_SECRET;
	return add(x, out, value, strlen(value));
}

/* ${...}: s[start] is the first character after "${"; *next gets the index after '}'. */
static int braced(struct expander *x, struct dive_buf *out, const char *s, size_t start, size_t len, int depth,
		  size_t *next)
{
	char name[INTERP_NAME_MAX + 1], text[48];
	size_t i = start, n, end, arg;
	const char *value = NULL;
	int rc, set, empty, secret = 0, colon = 0;
	char op;

	end = closing_brace(s, start, len);
	if (end == len) {
		printable(text, sizeof(text), s + start - 2, len - start + 2);
		return fail(x, DIVE_EUSAGE, "unterminated '${' in '%s'", text);
	}
	*next = end + 1;
	if (i >= end || !is_name_start(s[i])) {
		printable(text, sizeof(text), s + start - 2, end - start + 3);
		return fail(x, DIVE_EUSAGE, "invalid substitution '%s' (a name must start with a letter or '_')", text);
	}
	while (i < end && is_name_char(s[i]))
		i++;
	n = i - start;
	if (n > INTERP_NAME_MAX)
		return fail(x, DIVE_EUSAGE, "variable name longer than %d bytes", INTERP_NAME_MAX);
	memcpy(name, s + start, n);
	name[n] = '\0';

	if (i == end) {
		op = 0;
	} else {
		if (s[i] == ':') {
			colon = 1;
			i++;
		}
		op = i < end ? s[i] : 0;
		if (op != '-' && op != '?' && op != '+') {
			printable(text, sizeof(text), s + start - 2, end - start + 3);
			return fail(x, DIVE_EUSAGE, "invalid substitution '%s' (use ${%s}, ${%s:-default} or ${%s:?message})",
				    text, name, name, name);
		}
		i++;
	}
	arg = i;

	rc = interp_lookup(x->env, name, &value, &secret);
	if (rc < 0)
		return rc;
	x->flags |= INTERP_SUBSTITUTED;
	set = rc == 1;
	empty = set && !*value;

	switch (op) {
	case 0:
		if (!set)
			return missing(x, out, name, NULL, 0, 0);
		return substitute_value(x, out, value, secret);
	case '-':
		if (!set || (colon && empty))
			return expand(x, out, s + arg, end - arg, depth + 1);
		return substitute_value(x, out, value, secret);
	case '+':
		if (set && !(colon && empty))
			return expand(x, out, s + arg, end - arg, depth + 1);
		return 0;
	default: /* '?' */
		if (!set || (colon && empty))
			return missing(x, out, name, s + arg, end - arg, 1);
		return substitute_value(x, out, value, secret);
	}
}

static int expand(struct expander *x, struct dive_buf *out, const char *s, size_t len, int depth)
{
	size_t i = 0, start;
	int rc, secret;

	if (depth > INTERP_DEPTH_MAX)
		return fail(x, DIVE_EUSAGE, "interpolation nested deeper than %d levels", INTERP_DEPTH_MAX);
	while (i < len) {
		const char *dollar = memchr(s + i, '$', len - i);

		if (!dollar)
			return add(x, out, s + i, len - i);
		if (dollar > s + i && (rc = add(x, out, s + i, (size_t)(dollar - (s + i)))) < 0)
			return rc;
		i = (size_t)(dollar - s);
		if (i + 1 >= len)
			return fail(x, DIVE_EUSAGE, "'$' at the end of a value (write '$$' for a literal dollar)");
		if (s[i + 1] == '$') {
			if ((rc = add(x, out, "$", 1)) < 0)
				return rc;
			i += 2;
		} else if (s[i + 1] == '{') {
			size_t next = len;

			if ((rc = braced(x, out, s, i + 2, len, depth, &next)) < 0)
				return rc;
			i = next;
		} else if (is_name_start(s[i + 1])) {
			char name[INTERP_NAME_MAX + 1];
			const char *value = NULL;

			start = i + 1;
			i = start;
			while (i < len && is_name_char(s[i]))
				i++;
			if (i - start > INTERP_NAME_MAX)
				return fail(x, DIVE_EUSAGE, "variable name longer than %d bytes", INTERP_NAME_MAX);
			memcpy(name, s + start, i - start);
			name[i - start] = '\0';
			secret = 0;
			rc = interp_lookup(x->env, name, &value, &secret);
			if (rc < 0)
				return rc;
			x->flags |= INTERP_SUBSTITUTED;
			rc = rc == 1 ? substitute_value(x, out, value, secret) : missing(x, out, name, NULL, 0, 0);
			if (rc < 0)
				return rc;
		} else {
			char c = s[i + 1];

			if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
				c = '?';
			return fail(x, DIVE_EUSAGE, "invalid '$%c' (write '$$' for a literal dollar)", c);
		}
	}
	return 0;
}

int interp_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	for (; env; env = env->next) {
		int s = 0, rc;

		if (!env->lookup)
			continue;
		rc = env->lookup(env, name, value, &s);
		if (rc != 0) {
			*secret = rc > 0 && s;
			return rc;
		}
	}
	*value = NULL;
	*secret = 0;
	return 0;
}

int interp_expand(char **out, unsigned *flags, const char *in, const struct interp_env *env, const char *where)
{
	struct expander x = { env, where, env && (env->flags & INTERP_PLACEHOLDERS), 0 };
	struct dive_buf b;
	int rc;

	*out = NULL;
	*flags = 0;
	dive_buf_init(&b, INTERP_LEN_MAX);
	rc = expand(&x, &b, in, strlen(in), 0);
	if (rc < 0) {
		if (b.ptr)
			explicit_bzero(b.ptr, b.alloc);
		dive_buf_release(&b);
		return rc;
	}
	*flags = x.flags;
	*out = dive_buf_detach(&b);
	return 0;
}

static int process_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	const char *v = getenv(name);

	if (!v)
		return 0;
	*value = v;
	*secret = 0;
	return 1;
}

void interp_env_process(struct interp_env *out)
{
	memset(out, 0, sizeof(*out));
	out->lookup = process_lookup;
}

void interp_table_set(struct interp_table *t, const char *name, const char *value, int secret)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].name, name)) {
			if (t->v[i].secret)
				explicit_bzero(t->v[i].value, strlen(t->v[i].value));
			free(t->v[i].value);
			t->v[i].value = xstrdup(value);
			t->v[i].secret = secret;
			return;
		}
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 16;
		t->v = xrealloc(t->v, t->alloc * sizeof(*t->v));
	}
	t->v[t->n].name = xstrdup(name);
	t->v[t->n].value = xstrdup(value);
	t->v[t->n].secret = secret;
	t->n++;
}

void interp_table_release(struct interp_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].secret)
			explicit_bzero(t->v[i].value, strlen(t->v[i].value));
		free(t->v[i].name);
		free(t->v[i].value);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

static int table_lookup(const struct interp_env *env, const char *name, const char **value, int *secret)
{
	const struct interp_table *t = env->data;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].name, name)) {
			*value = t->v[i].value;
			*secret = t->v[i].secret;
			return 1;
		}
	}
	return 0;
}

void interp_env_table(struct interp_env *out, const struct interp_table *t, const struct interp_env *next)
{
	memset(out, 0, sizeof(*out));
	out->lookup = table_lookup;
	out->data = (void *)t;
	out->next = next;
}
