/*
 * cli.h - the command table and its dispatcher.
 *
 * A command is a row (after git's commands[] and systemd's verbs[]): a group
 * such as "spoke" holds verb rows such as "deploy".  Each row declares its
 * handler, positional arity, option table, prerequisites, usage and summary.
 * The dispatcher parses global options, finds the row (suggesting the closest
 * name on a typo), parses and bounds the verb's options, checks arity once,
 * and only then calls the handler.  --help at every level is generated from
 * the same rows.
 *
 * Input first (DESIGN section 7): every piece of input is checked before the
 * first side effect, in this order, and a refusal is exit 2 with one line:
 *
 *   1. every argument is clean text (text.h): no control character reaches
 *      a terminal, a log or the state store through dive
 *   2. the environment: each variable of the settings table (settings.h),
 *      then DIVE_RETRY, DIVE_BREAKER and DIVE_SECRETS for what they mean
 *   3. global options, --docker-host by docker_host_check()
 *   4. the verb's options: integers within [min, max], strings within
 *      max_len, one of choices, passing check
 *   5. arity, --dry-run support, the country code (DIVE_ARG_CODE/SPOKE)
 *   6. the row's validate hook: what the options cannot say alone
 *   7. DIVE_DESTRUCTIVE off a terminal: --yes or --dry-run
 *
 * Only then are prerequisites met (the state store opened and migrated for
 * DIVE_NEEDS_STATE) and the handler called.  A handler never refuses input
 * after it has changed something; what only it can check (a file's content)
 * it checks before its first change.
 *
 * To add a verb: add a row to the verb table of its group in
 * src/cmd/cmd_<group>.c (designated initialisers) and write the handler
 * there.  A row whose handler is NULL answers "not implemented" with
 * DIVE_EXIT_NOT_IMPLEMENTED and names the issue that will implement it; it
 * never fakes output.  tests/unit/test_cli.c checks every row of the real
 * table (a DIVE_TAKES_LOCK verb has --lock-wait, a DIVE_DESTRUCTIVE one --yes
 * and --dry-run, ...).
 *
 * Handlers return a process exit code (enum dive_exit) and are the only
 * layer that prints to the user.  After the handler, the dispatcher flushes
 * the output and a write error (a full disk, a closed pipe) is a failure.
 */
#ifndef DIVE_CLI_H
#define DIVE_CLI_H

#include <stdio.h>

#include <cjson/cJSON.h>

struct store;
struct dive_country;

struct dive_ctx {
	int json;                  /* --json: one JSON document on stdout */
	int dry_run;               /* --dry-run: plan only, change nothing */
	int verbose;               /* -v (repeatable) */
	int quiet;                 /* -q */
	int color;                 /* colour on a terminal unless --no-color/NO_COLOR */
	const char *state_url;     /* --state-url / DIVE_STATE_URL */
	const char *docker_host;   /* --docker-host / DOCKER_HOST */
	const char *instances_dir; /* --instances-dir / DIVE_INSTANCES_DIR */
	FILE *out;                 /* where commands print results */
	FILE *err;                 /* where commands print diagnostics */
	const char *argv0;
	struct store *store;       /* opened by the dispatcher for DIVE_NEEDS_STATE; closed after the handler */
	int bootstrapped;          /* the command started the hub's state store (hub up) */
	long lock_wait_ms;         /* --lock-wait of a DIVE_TAKES_LOCK verb, in milliseconds */
	int yes;                   /* --yes of a DIVE_DESTRUCTIVE verb */
};

enum dive_opt_type {
	DIVE_OPT_BOOL,
	DIVE_OPT_INT,
	DIVE_OPT_STRING,
};

/* The longest value of a string option unless its row says otherwise. */
#define DIVE_OPT_MAX_LEN 4096

/*
 * One option of a verb; tables end with a row whose name is NULL.  Rows use
 * designated initialisers; what a row leaves out is "no limit" except that
 * every string value is clean text of at most max_len (DIVE_OPT_MAX_LEN).
 */
struct dive_opt {
	const char *name;          /* long name without the dashes */
	char short_name;           /* 0 for none */
	enum dive_opt_type type;
	const char *arg;           /* placeholder in help, e.g. "SECONDS" */
	const char *help;
	long min, max;             /* bounds for DIVE_OPT_INT */
	size_t max_len;            /* DIVE_OPT_STRING: at most this many bytes; 0: DIVE_OPT_MAX_LEN */
	const char *const *choices; /* DIVE_OPT_STRING: the values it takes, NULL-terminated; NULL: any */
	int (*check)(const char *value); /* DIVE_OPT_STRING: 0, or DIVE_EUSAGE with the message set */
};

/* Prerequisites a verb declares; the dispatcher and help read them. */
enum dive_verb_flags {
	DIVE_NEEDS_STATE = 1 << 0,   /* opens the state store (migrating it first) */
	DIVE_NEEDS_DOCKER = 1 << 1,  /* talks to the Docker engine */
	DIVE_TAKES_LOCK = 1 << 2,    /* takes the instance lock named by its CODE */
	DIVE_DRY_RUN = 1 << 3,       /* honours --dry-run */
	DIVE_DESTRUCTIVE = 1 << 4,   /* removes things: asks on a terminal, needs --yes elsewhere */
	DIVE_ARG_CODE = 1 << 5,      /* first argument (if given) is a country code, hub included */
	DIVE_ARG_SPOKE = 1 << 6,     /* first argument (if given) is a spoke code (not the hub) */
	DIVE_STATE_BOOTSTRAP = 1 << 7, /* the handler opens the store itself, and may start the hub's own
					  (hub up): the dispatcher does not open it */
};

#define DIVE_MAX_OPTS 24

struct dive_inv;

struct dive_verb {
	const char *name;
	int (*fn)(struct dive_ctx *ctx, const struct dive_inv *inv);
	/*
	 * What the option rows cannot say alone: a required option, options that
	 * exclude each other, a name checked against a table.  0, or DIVE_EUSAGE
	 * with the message set.  Runs before any prerequisite and must change
	 * nothing (reading a directory is fine, connecting anywhere is not).
	 * May be NULL.
	 */
	int (*validate)(const struct dive_ctx *ctx, const struct dive_inv *inv);
	int min_args, max_args;      /* positional arguments; max -1 = unbounded */
	unsigned flags;              /* enum dive_verb_flags */
	const struct dive_opt *opts; /* may be NULL */
	const char *usage;           /* positional part, e.g. "CODE" */
	const char *summary;         /* one line, lowercase, no final period */
	int issue;                   /* issue that implements a NULL fn */
};

struct dive_group {
	const char *name;
	const char *summary;
	const struct dive_verb *verbs; /* table ending with name == NULL, or NULL */
	const struct dive_verb *leaf;  /* a group that is itself a verb (version) */
};

/* One parsed invocation, handed to the handler. */
struct dive_inv {
	const struct dive_group *group;
	const struct dive_verb *verb;
	int argc;
	char **argv;                   /* positional arguments only */
	const struct dive_country *country; /* validated first argument (DIVE_ARG_CODE/SPOKE) */
	struct {
		int set;
		long num;
		const char *str;
	} opt[DIVE_MAX_OPTS];         /* parallel to verb->opts */
};

/* Option values by long name; the name must exist in the verb's table. */
int dive_opt_given(const struct dive_inv *inv, const char *name);
long dive_opt_int(const struct dive_inv *inv, const char *name, long def);
const char *dive_opt_str(const struct dive_inv *inv, const char *name, const char *def);

/* The real command table (src/cmd/table.c), ending with name == NULL. */
extern const struct dive_group dive_groups[];

/*
 * Fill ctx with defaults from the environment: DIVE_STATE_URL, DOCKER_HOST,
 * DIVE_INSTANCES_DIR, NO_COLOR.  out/err default to stdout/stderr.
 */
void dive_ctx_init(struct dive_ctx *ctx);

/* Parse argv (argv[0] is the program) and run the command; returns the exit code. */
int dive_cli_run(const struct dive_group *groups, struct dive_ctx *ctx, int argc, char **argv);

/* Help generated from the rows. */
void dive_help_top(FILE *f, const struct dive_group *groups);
void dive_help_group(FILE *f, const struct dive_group *group);
void dive_help_verb(FILE *f, const struct dive_group *group, const struct dive_verb *verb);
void dive_help_usage_line(FILE *f, const struct dive_group *group, const struct dive_verb *verb);
/* The same rows as shell completion (a script to source) and as a man page in roff (gendoc.c). */
void dive_completion_bash(FILE *f, const struct dive_group *groups);
void dive_completion_zsh(FILE *f, const struct dive_group *groups);
void dive_help_man(FILE *f, const struct dive_group *groups);

/* Global options, as data (help and the dispatcher read this table). */
extern const struct dive_opt dive_global_opts[];

/*
 * Report a failure to the user: "dive: <message>" on ctx->err and, with
 * --json, {"ok":false,"error":{...}} on ctx->out.  Returns the exit code
 * for err, so handlers can `return dive_fail(ctx, rc, "...")`.
 */
int dive_fail(struct dive_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with the last error appended: "dive: <what>: <last error>". */
int dive_fail_last(struct dive_ctx *ctx, int err, const char *what);

/* Print doc (pretty) on ctx->out and free it; returns DIVE_EXIT_OK. */
int dive_print_json(struct dive_ctx *ctx, cJSON *doc);

/* "dive lock hold DEU": group, verb and positionals, never options (no secrets). */
void dive_inv_command(char *out, size_t n, const struct dive_inv *inv);

/*
 * Open ctx->store as the dispatcher does for DIVE_NEEDS_STATE: --state-url
 * or DIVE_STATE_URL, else the hub's own store when its password exists
 * (deploy_state_url), migrated unless --dry-run.  When neither is there, or
 * the hub's own is not running: with none NULL, an error (exit 2 "no state
 * store", or the connection's); with none given, *none = 1, 0 returned and
 * ctx->store left NULL, for the caller that may start it (hub up).
 */
int dive_state_open(struct dive_ctx *ctx, int *none);

/*
 * Ask before removing (DIVE_DESTRUCTIVE verbs, after printing what goes):
 * 0 with --yes, or when the operator answers y on the terminal; otherwise
 * DIVE_EUSAGE "nothing removed".  Off a terminal the dispatcher has already
 * refused to run the verb without --yes.
 */
int dive_confirm(struct dive_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
