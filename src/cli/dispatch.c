/*
 * dispatch.c - from argv to one handler call (see cli.h).
 *
 * Order: clean arguments -> global options (anywhere before "--") -> the
 * environment -> group -> verb -> verb options -> --help -> values -> arity
 * -> country code -> the row's validate hook -> confirmation off a terminal
 * -> prerequisites -> handler -> the output flushed.  Every refusal before
 * the prerequisites is a usage error (exit 2) with one clear line and the
 * usage of the row concerned; nothing has been done when it happens.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dive/breaker.h"
#include "dive/cli.h"
#include "dive/country.h"
#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/log.h"
#include "dive/retry.h"
#include "dive/secrets.h"
#include "dive/settings.h"
#include "dive/store.h"
#include "dive/suggest.h"
#include "dive/text.h"

#define MAX_WORDS 256

void dive_ctx_init(struct dive_ctx *ctx)
{
	const char *s;

	memset(ctx, 0, sizeof(*ctx));
	ctx->out = stdout;
	ctx->err = stderr;
	ctx->state_url = settings_getenv("DIVE_STATE_URL");
	ctx->docker_host = settings_getenv("DOCKER_HOST");
	if (!ctx->docker_host)
		ctx->docker_host = "unix:///var/run/docker.sock";
	s = settings_getenv("DIVE_INSTANCES_DIR");
	ctx->instances_dir = s ? s : "instances";
	ctx->color = !settings_getenv("NO_COLOR") && isatty(STDOUT_FILENO);
}

static const struct dive_opt *find_opt(const struct dive_opt *opts, const char *name, size_t len,
				       char short_name, int *index)
{
	int i;

	for (i = 0; opts && opts[i].name; i++) {
		if (short_name ? opts[i].short_name == short_name
			       : strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len)) {
			*index = i;
			return &opts[i];
		}
	}
	return NULL;
}

static const char *suggest_opt(const struct dive_opt *a, const struct dive_opt *b, const char *word)
{
	const char *cands[64];
	size_t n = 0;
	int i;

	for (i = 0; a && a[i].name && n < 64; i++)
		cands[n++] = a[i].name;
	for (i = 0; b && b[i].name && n < 64; i++)
		cands[n++] = b[i].name;
	return dive_suggest(word, cands, n);
}

static int parse_int(const struct dive_opt *o, const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < o->min || v > o->max)
		return dive_error_set(DIVE_EUSAGE, "option '--%s' takes a whole number from %ld to %ld, not '%.40s'",
				      o->name, o->min, o->max, s);
	*out = v;
	return 0;
}

/*
 * Match argv[*i] against opts.  Returns 1 when it was an option of this table
 * (consuming its value, possibly argv[*i + 1]), 0 when not, <0 on error.
 */
static int take_opt(const struct dive_opt *opts, int argc, char **argv, int *i,
		    int *index, const char **value)
{
	const char *a = argv[*i], *eq = NULL, *name;
	const struct dive_opt *o;
	size_t len;

	*value = NULL;
	if (a[0] != '-' || !a[1])
		return 0;
	if (a[1] == '-') {
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		o = find_opt(opts, name, len, 0, index);
	} else {
		if (a[2])
			return 0; /* no bundled short options */
		o = find_opt(opts, NULL, 0, a[1], index);
	}
	if (!o)
		return 0;
	if (o->type == DIVE_OPT_BOOL) {
		if (eq)
			return dive_error_set(DIVE_EUSAGE, "option '--%s' takes no value", o->name);
		return 1;
	}
	if (eq) {
		*value = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return dive_error_set(DIVE_EUSAGE, "option '--%s' needs a value (%s)", o->name,
					      o->arg ? o->arg : "VALUE");
		*value = argv[++*i];
	}
	return 1;
}

/* A string option's value against its row: length, choices, its own check. */
static int check_value(const struct dive_opt *o, const char *value)
{
	size_t max = o->max_len ? o->max_len : DIVE_OPT_MAX_LEN, i, len = strlen(value);
	char list[256] = "";

	if (len > max)
		return dive_error_set(DIVE_EUSAGE, "the value of option '--%s' is longer than %zu bytes (%zu)", o->name,
				      max, len);
	if (o->choices) {
		size_t used = 0;

		for (i = 0; o->choices[i]; i++) {
			if (!strcmp(o->choices[i], value))
				return 0;
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", o->choices[i]);
			if (used >= sizeof(list))
				break;
		}
		return dive_error_set(DIVE_EUSAGE, "option '--%s' takes %s, not '%.40s'", o->name, list, value);
	}
	return o->check ? o->check(value) : 0;
}

static void apply_global(struct dive_ctx *ctx, int index, const char *value, int *help)
{
	const char *name = dive_global_opts[index].name;

	if (!strcmp(name, "json"))
		ctx->json = 1;
	else if (!strcmp(name, "dry-run"))
		ctx->dry_run = 1;
	else if (!strcmp(name, "verbose"))
		ctx->verbose++;
	else if (!strcmp(name, "quiet"))
		ctx->quiet = 1;
	else if (!strcmp(name, "state-url"))
		ctx->state_url = value;
	else if (!strcmp(name, "docker-host"))
		ctx->docker_host = value;
	else if (!strcmp(name, "instances-dir"))
		ctx->instances_dir = value;
	else if (!strcmp(name, "no-color"))
		ctx->color = 0;
	else if (!strcmp(name, "help"))
		*help = 1;
}

static int usage_error(struct dive_ctx *ctx, const struct dive_group *g, const struct dive_verb *v)
{
	int code = dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());

	if (g && v)
		dive_help_usage_line(ctx->err, g, v);
	else if (g)
		fprintf(ctx->err, "see 'dive %s --help'\n", g->name);
	else
		fprintf(ctx->err, "see 'dive --help'\n");
	return code;
}

static const struct dive_group *find_group(const struct dive_group *groups, const char *name)
{
	for (; groups->name; groups++)
		if (!strcmp(groups->name, name))
			return groups;
	return NULL;
}

static const struct dive_verb *find_verb(const struct dive_verb *verbs, const char *name)
{
	for (; verbs && verbs->name; verbs++)
		if (!strcmp(verbs->name, name))
			return verbs;
	return NULL;
}

static int unknown_word(struct dive_ctx *ctx, const char *what, const char *word,
			const char *const *cands, size_t n, const char *see)
{
	const char *s = dive_suggest(word, cands, n);

	if (s)
		dive_error_set(DIVE_EUSAGE, "'%.64s' is not a %s; did you mean '%s'?", word, what, s);
	else
		dive_error_set(DIVE_EUSAGE, "'%.64s' is not a %s", word, what);
	dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	fprintf(ctx->err, "see '%s'\n", see);
	return DIVE_EXIT_USAGE;
}

/*
 * Every argument, before anything reads it: clean text.  An option value
 * with an escape sequence would reach a terminal (lock messages are shown
 * to whoever finds the lock) or the state store.
 */
static int check_argv(int argc, char **argv)
{
	size_t at;
	int i;

	for (i = 1; i < argc; i++)
		if (!text_is_clean(argv[i], &at))
			return dive_error_set(DIVE_EUSAGE, "argument %d has a control character or a byte that is not "
					      "UTF-8 at offset %zu", i, at);
	return 0;
}

/* The environment and the global options, whatever the command: dive version checks them too. */
static int check_settings(const struct dive_ctx *ctx)
{
	const char *secrets = settings_getenv("DIVE_SECRETS");
	struct secrets_provider *sp = NULL;
	int rc;

	if ((rc = settings_env_check()) < 0 || (rc = retry_policy_load_env()) < 0 ||
	    (rc = breaker_config_load_env()) < 0)
		return rc;
	/* opening a provider only parses its spec: no file is read */
	if ((rc = secrets_open(&sp, secrets, ctx->instances_dir)) < 0) {
		dive_error_wrap(rc, "%s", secrets ? "DIVE_SECRETS" : "the instances directory");
		dive_error_set_code(ERRC_CONFIG_INVALID);
		return rc;
	}
	secrets_close(sp);
	if ((rc = docker_host_check(ctx->docker_host)) < 0)
		return rc;
	if (ctx->state_url && strlen(ctx->state_url) > 2048)
		return dive_error_set(DIVE_EUSAGE, "the state store URL is longer than 2048 bytes");
	if (strlen(ctx->instances_dir) > PATH_MAX - 64)
		return dive_error_set(DIVE_EUSAGE, "the instances directory is longer than %d bytes", PATH_MAX - 64);
	return 0;
}

/* The flags a row declares, enforced here once (DESIGN section 9): --yes off a terminal. */
static int check_prerequisites(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const struct dive_verb *v = inv->verb;

	if (v->flags & DIVE_TAKES_LOCK)
		ctx->lock_wait_ms = dive_opt_int(inv, "lock-wait", 0) * 1000;
	if (v->flags & DIVE_DESTRUCTIVE) {
		ctx->yes = dive_opt_given(inv, "yes");
		if (!ctx->yes && !ctx->dry_run && !isatty(STDIN_FILENO)) {
			char cmd[256];

			dive_inv_command(cmd, sizeof(cmd), inv);
			return dive_error_set(DIVE_EUSAGE, "refusing to run '%s' without --yes: it removes things and "
					      "there is no terminal to ask on (--dry-run shows what it would remove)", cmd);
		}
	}
	return 0;
}

static int dispatch(const struct dive_group *groups, struct dive_ctx *ctx, int argc, char **argv);

int dive_cli_run(const struct dive_group *groups, struct dive_ctx *ctx, int argc, char **argv)
{
	int rc = dispatch(groups, ctx, argc, argv), werr = 0;

	store_close(ctx->store);
	ctx->store = NULL;
	/* nothing reports success it did not deliver: a lost write is a failure */
	errno = 0;
	if (fflush(ctx->out) != 0)
		werr = errno ? errno : EIO;
	else if (ferror(ctx->out))
		werr = EIO;
	if (werr) {
		fprintf(ctx->err, "dive: cannot write the output: %s\n", strerror(werr));
		if (rc == DIVE_EXIT_OK)
			rc = DIVE_EXIT_FAILURE;
	}
	return rc;
}

static int dispatch(const struct dive_group *groups, struct dive_ctx *ctx, int argc, char **argv)
{
	char *words[MAX_WORDS];
	int nwords = 0, help = 0, i, rc, dashdash = -1;
	const struct dive_group *g;
	const struct dive_verb *v;
	struct dive_inv inv;
	char *pos[MAX_WORDS];
	int npos = 0, vstart;

	if (argc > MAX_WORDS)
		return dive_fail(ctx, DIVE_EUSAGE, "too many arguments (at most %d)", MAX_WORDS - 1);
	ctx->argv0 = argv[0];
	if (check_argv(argc, argv) < 0)
		return usage_error(ctx, NULL, NULL);

	/* 1. Global options, wherever they stand before "--". */
	for (i = 1; i < argc; i++) {
		int index;
		const char *value;

		if (!strcmp(argv[i], "--")) {
			dashdash = nwords;
			for (; i < argc; i++)
				words[nwords++] = argv[i];
			break;
		}
		rc = take_opt(dive_global_opts, argc, argv, &i, &index, &value);
		if (rc < 0)
			return usage_error(ctx, NULL, NULL);
		if (rc == 1)
			apply_global(ctx, index, value, &help);
		else
			words[nwords++] = argv[i];
	}
	if (ctx->quiet)
		dive_log_set_level(DIVE_LOG_QUIET);
	else if (ctx->verbose > 1)
		dive_log_set_level(DIVE_LOG_DEBUG);
	/* Configuration from the environment is input too: bad values stop here. */
	if (check_settings(ctx) < 0)
		return usage_error(ctx, NULL, NULL);

	/* 2. The group. */
	if (nwords == 0 || dashdash == 0) {
		dive_help_top(help ? ctx->out : ctx->err, groups);
		return help ? DIVE_EXIT_OK : DIVE_EXIT_USAGE;
	}
	if (words[0][0] == '-') {
		dive_error_set(DIVE_EUSAGE, "unknown option '%.64s'", words[0]);
		return usage_error(ctx, NULL, NULL);
	}
	g = find_group(groups, words[0]);
	if (!g) {
		const char *cands[64];
		size_t n = 0;

		for (i = 0; groups[i].name && n < 64; i++)
			cands[n++] = groups[i].name;
		return unknown_word(ctx, "dive command", words[0], cands, n, "dive --help");
	}

	/* 3. The verb. */
	if (g->leaf) {
		v = g->leaf;
		vstart = 1;
	} else {
		if (nwords < 2 || words[1][0] == '-') {
			if (nwords >= 2 && strcmp(words[1], "--")) {
				dive_error_set(DIVE_EUSAGE, "unknown option '%.64s' for 'dive %s'", words[1], g->name);
				return usage_error(ctx, g, NULL);
			}
			dive_help_group(help ? ctx->out : ctx->err, g);
			return help ? DIVE_EXIT_OK : DIVE_EXIT_USAGE;
		}
		v = find_verb(g->verbs, words[1]);
		if (!v) {
			const char *cands[64];
			char see[64], what[64];
			size_t n = 0;

			for (i = 0; g->verbs[i].name && n < 64; i++)
				cands[n++] = g->verbs[i].name;
			snprintf(see, sizeof(see), "dive %s --help", g->name);
			snprintf(what, sizeof(what), "verb of 'dive %s'", g->name);
			return unknown_word(ctx, what, words[1], cands, n, see);
		}
		vstart = 2;
	}

	/* 4. Verb options and positional arguments. */
	memset(&inv, 0, sizeof(inv));
	inv.group = g;
	inv.verb = v;
	for (i = vstart; i < nwords; i++) {
		int index;
		const char *value;

		if (dashdash >= 0 && i >= dashdash) {
			if (i > dashdash)
				pos[npos++] = words[i];
			continue;
		}
		rc = take_opt(v->opts, nwords, words, &i, &index, &value);
		if (rc < 0)
			return usage_error(ctx, g, v);
		if (rc == 0) {
			if (words[i][0] == '-' && words[i][1]) {
				const char *w = words[i] + (words[i][1] == '-' ? 2 : 1);
				const char *s = suggest_opt(v->opts, dive_global_opts, w);

				if (s)
					dive_error_set(DIVE_EUSAGE, "unknown option '%.64s'; did you mean '--%s'?", words[i], s);
				else
					dive_error_set(DIVE_EUSAGE, "unknown option '%.64s'", words[i]);
				return usage_error(ctx, g, v);
			}
			pos[npos++] = words[i];
			continue;
		}
		if (index >= DIVE_MAX_OPTS) {
			dive_error_set(DIVE_EUSAGE, "internal: too many options for '%s'", v->name);
			return usage_error(ctx, g, v);
		}
		inv.opt[index].set = 1;
		inv.opt[index].str = value;
	}
	inv.argc = npos;
	inv.argv = pos;

	if (help) {
		dive_help_verb(ctx->out, g, v);
		return DIVE_EXIT_OK;
	}
	for (i = 0; v->opts && v->opts[i].name; i++) {
		const struct dive_opt *o = &v->opts[i];

		if (!inv.opt[i].set || o->type == DIVE_OPT_BOOL)
			continue;
		rc = o->type == DIVE_OPT_INT ? parse_int(o, inv.opt[i].str, &inv.opt[i].num)
					     : check_value(o, inv.opt[i].str);
		if (rc < 0)
			return usage_error(ctx, g, v);
		if (o->type == DIVE_OPT_INT)
			inv.opt[i].str = NULL;
	}

	/* 5. Arity, checked once here. */
	if (npos < v->min_args) {
		dive_error_set(DIVE_EUSAGE, "'dive %s%s%s' needs %s", g->name, g->leaf ? "" : " ",
			       g->leaf ? "" : v->name, v->usage ? v->usage : "more arguments");
		return usage_error(ctx, g, v);
	}
	if (v->max_args >= 0 && npos > v->max_args) {
		dive_error_set(DIVE_EUSAGE, "unexpected argument '%.64s'", pos[v->max_args]);
		return usage_error(ctx, g, v);
	}
	if (ctx->dry_run && !(v->flags & DIVE_DRY_RUN) && (v->flags & (DIVE_TAKES_LOCK | DIVE_DESTRUCTIVE)))
		return dive_fail(ctx, DIVE_EUSAGE, "'dive %s %s' does not support --dry-run", g->name, v->name);

	/* 6. Prerequisites, in the order that changes nothing on bad input. */
	if (v->fn && (v->flags & (DIVE_ARG_CODE | DIVE_ARG_SPOKE)) && npos > 0) {
		rc = (v->flags & DIVE_ARG_SPOKE) ? country_parse_spoke(&inv.country, pos[0])
						 : country_parse(&inv.country, pos[0]);
		if (rc < 0) {
			dive_error_set_code(ERRC_COUNTRY_CODE_INVALID);
			return usage_error(ctx, g, v);
		}
		pos[0] = (char *)inv.country->code;
	}

	/* 7. An honest refusal, or what only the row knows, then the flags it declares. */
	if (!v->fn) {
		if (g->leaf)
			return dive_fail(ctx, DIVE_ENOTIMPL, "'dive %s' is not implemented yet (issue #%d)",
					 g->name, v->issue);
		return dive_fail(ctx, DIVE_ENOTIMPL, "'dive %s %s' is not implemented yet (issue #%d)",
				 g->name, v->name, v->issue);
	}
	if (v->validate && (rc = v->validate(ctx, &inv)) < 0) {
		if (rc != DIVE_EUSAGE)
			return dive_fail_last(ctx, rc, "cannot check the arguments");
		return usage_error(ctx, g, v);
	}
	if (check_prerequisites(ctx, &inv) < 0)
		return usage_error(ctx, g, v);

	/* 8. Only now anything outside: the state store, then the handler. */
	if ((v->flags & DIVE_NEEDS_STATE) && !(v->flags & DIVE_STATE_BOOTSTRAP) &&
	    (rc = dive_state_open(ctx, NULL)) < 0)
		return dive_fail_last(ctx, rc, "cannot use the state store");
	dive_error_clear();
	return v->fn(ctx, &inv);
}
