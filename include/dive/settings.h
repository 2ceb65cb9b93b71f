/*
 * settings.h - settings as data (after Redis config.c and tmux
 * options-table.c): one parser for "CLASS.KEY=VALUE,..." over a table of
 * rows, and one table of the environment variables dive reads.
 *
 * A settings table is rows of one struct (a retry policy per operation
 * class, a breaker configuration per endpoint class), described by a
 * struct settings_schema: where each key lives in the row, its type and its
 * bounds.  The built-in rows never change; the table in force starts as a
 * copy and changes only as a whole:
 *
 *   settings_load_env()  the schema's environment variable, read once
 *   settings_override()  a spec on top (after the environment)
 *   settings_reset()     back to the built-in rows (tests)
 *
 * A spec is "CLASS.KEY=VALUE[,CLASS.KEY=VALUE...]", at most SETTINGS_SPEC_MAX
 * bytes of clean text (text.h); blanks around items are ignored, an empty
 * spec changes nothing.  All or nothing: a bad item, a value out of bounds
 * or a row that fails the schema's own check is DIVE_EUSAGE with one line
 * naming the setting (cut, anything unprintable shown as '?') and the
 * table is unchanged.  Change tables before starting threads.
 *
 * The environment: every variable dive reads is a row of the table in
 * settings.c, with its length limit and one line of help.  Code reads them
 * through settings_getenv() (an unknown name is a programming error: NULL),
 * and the dispatcher checks them all with settings_env_check() before the
 * first side effect, then each variable's meaning where it is known
 * (DIVE_RETRY in retry.c, DIVE_BREAKER in breaker.c, DOCKER_HOST in
 * docker.c, DIVE_SECRETS in secrets.c).
 *
 * To add a setting: a key row in its schema.  To read a new environment
 * variable: a row in env_rows (src/core/settings.c), then settings_getenv().
 */
#ifndef DIVE_SETTINGS_H
#define DIVE_SETTINGS_H

#include <pthread.h>
#include <stddef.h>

#define SETTINGS_SPEC_MAX 1024

enum settings_type {
	SETTINGS_INT,       /* int, whole numbers from min to max */
	SETTINGS_LONG,      /* long, whole numbers from min to max */
	SETTINGS_DOUBLE,    /* double, from min to max */
	SETTINGS_CHOICE,    /* an enum stored as int: the index of its name in choices */
};

struct settings_key {
	const char *name;
	enum settings_type type;
	size_t offset;                  /* of the field in the row */
	double min, max;                /* numbers */
	const char *const *choices;     /* SETTINGS_CHOICE: names, NULL-terminated */
	const char *help;               /* one line for documents */
};

struct settings_schema {
	const char *what;               /* "retry": "retry setting '...'", "not a retry class" */
	const char *env;                /* the variable read by settings_load_env(), e.g. "DIVE_RETRY" */
	const struct settings_key *keys;
	size_t nkeys;
	const void *defaults;           /* nrows built-in rows */
	size_t nrows, row_size;
	size_t name_offset;             /* of the row's class name, a const char * */
	/* Consistency of one changed row: 0, or DIVE_EUSAGE with the message set.  May be NULL. */
	int (*check)(const void *row);
};

/* The table in force for one schema; static, initialised with SETTINGS_TABLE_INIT. */
struct settings_table {
	const struct settings_schema *schema;
	void *rows;                     /* nrows * row_size bytes */
	pthread_mutex_t lock;
	int ready, env_loaded, env_err;
	char env_msg[256];
};
#define SETTINGS_TABLE_INIT(schema, storage) { (schema), (storage), PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, "" }

/* Apply spec to rows (a copy of a table: on error it may be half changed). */
int settings_apply(const struct settings_schema *s, void *rows, const char *spec);

/*
 * Read the schema's variable now if it has not been read.  0, or
 * DIVE_EUSAGE with "DIVE_RETRY: <what is wrong>" and ERRC_CONFIG_INVALID;
 * then the table keeps the built-in rows.
 */
int settings_load_env(struct settings_table *t);
/* The rows in force (after the environment); the error of settings_load_env(). */
int settings_rows(struct settings_table *t, const void **rows);
int settings_override(struct settings_table *t, const char *spec);
void settings_reset(struct settings_table *t);

/* "docker, keycloak, ..." and "initial_ms, multiplier, ...", for messages and documents. */
void settings_class_list(char *out, size_t n, const struct settings_schema *s);
void settings_key_list(char *out, size_t n, const struct settings_schema *s);
/* The values a key takes, for documents: "1 to 1000", "full, equal, none". */
void settings_key_values(char *out, size_t n, const struct settings_key *k);

/* ---- the environment ---------------------------------------------------- */

struct settings_env {
	const char *name;
	size_t max_len;                 /* longer values are refused */
	const char *help;
};

size_t settings_env_count(void);
const struct settings_env *settings_env_at(size_t i);
/* The value of a variable of the table; NULL when unset or empty (or not a row). */
const char *settings_getenv(const char *name);
/*
 * Every variable of the table that is set: no longer than its limit, clean
 * text.  0, or DIVE_EUSAGE naming the first bad variable (its value is not
 * repeated: it may hold a password) with ERRC_CONFIG_INVALID.
 */
int settings_env_check(void);

#endif
