/*
 * interp.h - ${VAR} interpolation of stack-file values, in memory only.
 *
 * Values come from an environment, which is a lookup callback, so they can
 * come from the process environment, an instance's variables (stack.h) or a
 * secret provider without ever being written to a file.  Environments form
 * a chain: when one answers "unset", the next is asked.
 *
 * Forms, as in Compose:
 *
 *   $$                 a literal '$'
 *   $VAR  ${VAR}       the value; an unset variable is an error (see below)
 *   ${VAR:-default}    default when VAR is unset or empty
 *   ${VAR-default}     default when VAR is unset
 *   ${VAR:+other}      other when VAR is set and not empty, else ""
 *   ${VAR+other}       other when VAR is set, else ""
 *   ${VAR:?message}    error "VAR: message" when VAR is unset or empty
 *   ${VAR?message}     error "VAR: message" when VAR is unset
 *
 * Defaults and alternatives may themselves contain interpolations (at most
 * INTERP_DEPTH_MAX deep); messages are printed as written, never expanded,
 * so no value can reach an error message.  Names are [A-Za-z_][A-Za-z0-9_]*.
 * Any other '$' is an error ("write '$$' for a literal dollar").
 *
 * One difference from Compose, on purpose: Compose replaces an unset ${VAR}
 * by "" with a warning; here it is an error, so a misspelt variable fails
 * loudly.  Write ${VAR:-} for an empty default.
 *
 * Secrets: a lookup marks a value secret; the result then carries
 * INTERP_SECRET, and the caller (compose.h) remembers which fields hold a
 * secret so later code never prints them.  Error messages name variables,
 * never values.
 *
 * Placeholders: with INTERP_PLACEHOLDERS set on the first environment of the
 * chain (for reading the graph only, e.g. `dive graph`), a variable that
 * would be an error (unset ${VAR}, ${VAR:?}) becomes the text "${VAR}" and
 * the result carries INTERP_PLACEHOLDER instead.  Deploying never sets it.
 */
#ifndef DIVE_INTERP_H
#define DIVE_INTERP_H

#include <stddef.h>

#define INTERP_LEN_MAX 4096     /* bytes of one result */
#define INTERP_DEPTH_MAX 8      /* nesting of ${A:-${B:-...}} */
#define INTERP_NAME_MAX 128     /* bytes of a variable name */

/* struct interp_env.flags */
enum interp_env_flags {
	INTERP_PLACEHOLDERS = 1 << 0,   /* unset required variables become "${VAR}" */
};

/* Flags of one result (interp_expand's *flags). */
enum interp_result_flags {
	INTERP_SECRET = 1 << 0,         /* a secret value was substituted */
	INTERP_PLACEHOLDER = 1 << 1,    /* a placeholder stands for an unset variable */
	INTERP_SUBSTITUTED = 1 << 2,    /* at least one variable was looked up */
};

struct interp_env {
	/*
	 * Returns 1 when name is set, with *value (valid until the next lookup
	 * on this environment, or its release) and *secret; 0 when unset;
	 * <0 with the last error set when the source failed.
	 */
	int (*lookup)(const struct interp_env *env, const char *name, const char **value, int *secret);
	void *data;
	const struct interp_env *next;  /* asked when lookup answers 0; NULL ends the chain */
	unsigned flags;                 /* enum interp_env_flags; read on the first environment */
};

/*
 * Look name up along the chain starting at env (which may be NULL: unset).
 * Same answers as the lookup callback.
 */
int interp_lookup(const struct interp_env *env, const char *name, const char **value, int *secret);

/*
 * Expand in.  On success *out is a new string (free it; wipe it first with
 * explicit_bzero when *flags has INTERP_SECRET) and *flags the result's
 * flags.  On error returns DIVE_EUSAGE (or the lookup's error) with the
 * message "WHERE: VAR: message" (WHERE omitted when NULL), and *out is NULL.
 */
int interp_expand(char **out, unsigned *flags, const char *in, const struct interp_env *env, const char *where);

/* The process environment (getenv); values are not marked secret. */
void interp_env_process(struct interp_env *out);

/*
 * A table of variables, for instance settings and tests.  Values are
 * copied; secret ones are wiped on release.
 */
struct interp_var {
	char *name;
	char *value;
	int secret;
};

struct interp_table {
	struct interp_var *v;
	size_t n, alloc;
};

#define INTERP_TABLE_INIT { NULL, 0, 0 }

/* Set (or replace) name. */
void interp_table_set(struct interp_table *t, const char *name, const char *value, int secret);
void interp_table_release(struct interp_table *t);
/* An environment reading t (which must outlive it), then next. */
void interp_env_table(struct interp_env *out, const struct interp_table *t, const struct interp_env *next);

#endif
