/*
 * cmd_spoke_config.c - `dive spoke init` and `dive spoke config`: the
 * instance file instances/<code>/instance.yml (instance.h, instcfg.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dive/buf.h"
#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/instcfg.h"
#include "dive/xalloc.h"

/* --engine and --hub-url of a verb, by key (NULL when the verb has no such option or it was not given). */
void cmd_spoke_flags(const struct dive_inv *inv, const char *flags[IK__COUNT])
{
	const struct dive_opt *o;
	int k;

	for (k = 0; k < IK__COUNT; k++) {
		flags[k] = NULL;
		if (!instance_keys[k].flag)
			continue;
		for (o = inv->verb->opts; o && o->name; o++)
			if (!strcmp(o->name, instance_keys[k].flag + 2))
				flags[k] = dive_opt_str(inv, o->name, NULL);
	}
}

int cmd_spoke_config_validate(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *flags[IK__COUNT];
	struct instcfg cfg;
	int rc;

	if (!inv->country)
		return 0;
	cmd_spoke_flags(inv, flags);
	rc = instcfg_load(&cfg, ctx->instances_dir, inv->country, flags);
	instcfg_release(&cfg);
	return rc;
}

/* --- spoke config -------------------------------------------------------------- */

static cJSON *config_json(const struct instcfg *cfg)
{
	cJSON *doc = cJSON_CreateObject(), *set = cJSON_AddObjectToObject(doc, "settings");
	cJSON *svcs = cJSON_AddArrayToObject(doc, "services");
	char where[PATH_MAX + 64];
	size_t i, j;
	int k;

	cJSON_AddStringToObject(doc, "code", cfg->country->code);
	cJSON_AddStringToObject(doc, "file", cfg->file.path);
	cJSON_AddBoolToObject(doc, "present", cfg->file.present);
	cJSON_AddStringToObject(doc, "hash", cfg->hash);
	for (k = 0; k < IK__COUNT; k++) {
		cJSON *o = cJSON_AddObjectToObject(set, instance_keys[k].path);

		if (k == IK_SCOPES) {
			cJSON *arr = cJSON_AddArrayToObject(o, "value");
			char *copy = xstrdup(cfg->value[k]), *p, *save = NULL;

			for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
				cJSON_AddItemToArray(arr, cJSON_CreateString(p));
			free(copy);
		} else {
			cJSON_AddStringToObject(o, "value", cfg->value[k]);
		}
		cJSON_AddStringToObject(o, "source", instcfg_source_name(cfg->source[k]));
		instcfg_source_text(where, sizeof(where), cfg, (enum instance_key)k);
		cJSON_AddStringToObject(o, "from", where);
		if (cfg->source[k] == INSTCFG_FILE)
			cJSON_AddNumberToObject(o, "line", cfg->file.line[k]);
	}
	for (i = 0; i < cfg->file.nservices; i++) {
		const struct instance_service *s = &cfg->file.services[i];
		cJSON *o = cJSON_CreateObject(), *env;

		cJSON_AddStringToObject(o, "service", s->name);
		cJSON_AddNumberToObject(o, "line", s->line);
		if (s->memory)
			cJSON_AddNumberToObject(o, "memory", (double)s->memory);
		if (s->nano_cpus)
			cJSON_AddNumberToObject(o, "cpus", (double)s->nano_cpus / 1e9);
		if (s->pids)
			cJSON_AddNumberToObject(o, "pids", (double)s->pids);
		if (s->timeout_ms)
			cJSON_AddNumberToObject(o, "timeout_ms", (double)s->timeout_ms);
		env = cJSON_AddObjectToObject(o, "environment");
		for (j = 0; j < s->nenv; j++)
			cJSON_AddStringToObject(env, s->env[j].key, s->env[j].value);
		cJSON_AddItemToArray(svcs, o);
	}
	return doc;
}

static void config_print(struct dive_ctx *ctx, const struct instcfg *cfg)
{
	char where[PATH_MAX + 64];
	size_t i, j;
	int k;

	fprintf(ctx->out, "%s %s: %s%s (hash %.12s)\n", cfg->country->code, cfg->country->name, cfg->file.path,
		cfg->file.present ? "" : " (absent: every value is a default)", cfg->hash);
	fprintf(ctx->out, "%-30s %-34s %s\n", "KEY", "VALUE", "FROM");
	for (k = 0; k < IK__COUNT; k++) {
		instcfg_source_text(where, sizeof(where), cfg, (enum instance_key)k);
		fprintf(ctx->out, "%-30s %-34s %s\n", instance_keys[k].path, *cfg->value[k] ? cfg->value[k] : "-",
			where);
	}
	for (i = 0; i < cfg->file.nservices; i++) {
		const struct instance_service *s = &cfg->file.services[i];

		fprintf(ctx->out, "service %s (%s:%d):", s->name, cfg->file.path, s->line);
		if (s->memory)
			fprintf(ctx->out, " memory %lld bytes", s->memory);
		if (s->nano_cpus)
			fprintf(ctx->out, " cpus %.2f", (double)s->nano_cpus / 1e9);
		if (s->pids)
			fprintf(ctx->out, " pids %lld", s->pids);
		if (s->timeout_ms)
			fprintf(ctx->out, " timeout %lds", s->timeout_ms / 1000);
		for (j = 0; j < s->nenv; j++)
			fprintf(ctx->out, " %s=%s", s->env[j].key, s->env[j].value);
		fputc('\n', ctx->out);
	}
}

/* --check without CODE: every instances/<code>/instance.yml; all errors listed, exit 2 when one is bad. */
static int check_all(struct dive_ctx *ctx)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "instances");
	DIR *dir = opendir(ctx->instances_dir);
	struct dirent *e;
	int bad = 0, n = 0;

	while (dir && (e = readdir(dir))) {
		char path[PATH_MAX], upper[4];
		const struct dive_country *c;
		struct instcfg cfg;
		cJSON *o;
		size_t i;
		int rc;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= PATH_MAX - strlen(ctx->instances_dir) - 32)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", ctx->instances_dir, e->d_name, INSTANCE_FILE);
		if (access(path, F_OK) < 0)
			continue;
		n++;
		for (i = 0; i < 3 && e->d_name[i]; i++)
			upper[i] = (char)(e->d_name[i] >= 'a' && e->d_name[i] <= 'z' ? e->d_name[i] - 32 : e->d_name[i]);
		upper[i] = '\0';
		c = strlen(e->d_name) == 3 ? country_find(upper) : NULL;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", path);
		if (!c || c->kind == DIVE_COUNTRY_HUB) {
			rc = dive_error_setc(DIVE_EUSAGE, ERRC_INSTANCE_CONFIG,
					     "%s: the directory is not named after a spoke's code", path);
		} else {
			rc = instcfg_load(&cfg, ctx->instances_dir, c, NULL);
			if (rc == 0)
				cJSON_AddStringToObject(o, "hash", cfg.hash);
			instcfg_release(&cfg);
		}
		cJSON_AddBoolToObject(o, "ok", rc == 0);
		if (rc < 0) {
			bad++;
			cJSON_AddStringToObject(o, "error", dive_error_last());
			fprintf(ctx->err, "dive: %s\n", dive_error_last());
		} else if (!ctx->json) {
			fprintf(ctx->out, "ok %s\n", path);
		}
		cJSON_AddItemToArray(arr, o);
	}
	if (dir)
		closedir(dir);
	cJSON_AddBoolToObject(doc, "ok", bad == 0);
	if (ctx->json)
		dive_print_json(ctx, doc);
	else {
		cJSON_Delete(doc);
		fprintf(bad ? ctx->err : ctx->out, "%d instance file%s checked, %d bad\n", n, n == 1 ? "" : "s", bad);
	}
	return bad ? DIVE_EXIT_USAGE : DIVE_EXIT_OK;
}

int cmd_spoke_config(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *flags[IK__COUNT];
	struct instcfg cfg;
	int rc;

	if (!inv->country)
		return check_all(ctx);
	/* the validate hook read it already; read again for the values */
	cmd_spoke_flags(inv, flags);
	rc = instcfg_load(&cfg, ctx->instances_dir, inv->country, flags);
	if (rc < 0) {
		instcfg_release(&cfg);
		return dive_fail(ctx, rc, "%s", dive_error_last());
	}
	if (dive_opt_given(inv, "check") && !ctx->json)
		fprintf(ctx->out, "ok %s (hash %.12s)\n", cfg.file.path, cfg.hash);
	else if (ctx->json)
		dive_print_json(ctx, config_json(&cfg));
	else
		config_print(ctx, &cfg);
	instcfg_release(&cfg);
	return DIVE_EXIT_OK;
}

int cmd_spoke_config_args(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	if (!inv->country && !dive_opt_given(inv, "check"))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID,
				       "'dive spoke config' needs a CODE, or --check to check every instance file");
	return cmd_spoke_config_validate(ctx, inv);
}

/* --- spoke init ---------------------------------------------------------------- */

/* A YAML single-quoted scalar: '' for a quote, nothing else escaped. */
static void add_quoted(struct dive_buf *b, const char *v)
{
	dive_buf_add(b, "'", 1);
	for (; *v; v++)
		dive_buf_add(b, *v == '\'' ? "''" : v, *v == '\'' ? 2 : 1);
	dive_buf_add(b, "'", 1);
}

static void add_value(struct dive_buf *b, enum instance_key k, const char *v)
{
	if (k == IK_SCOPES) {
		char *copy = xstrdup(v), *p, *save = NULL;
		int first = 1;

		dive_buf_add(b, "[", 1);
		for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save), first = 0) {
			if (!first)
				dive_buf_add(b, ", ", 2);
			add_quoted(b, p);
		}
		dive_buf_add(b, "]", 1);
		free(copy);
		return;
	}
	add_quoted(b, v);
}

/* The file: every key with its help; set ones active, the others commented with their default. */
static void render(struct dive_buf *b, const struct dive_country *c, const char *const set[IK__COUNT])
{
	const char *section = "";
	char def[INSTANCE_VALUE_MAX + 1], line[512], lower[4];
	int k;

	country_lower(lower, c);
	snprintf(line, sizeof(line),
		 "# instances/%s/instance.yml - what the operator sets for spoke %s (%s).\n"
		 "# Written by 'dive spoke init %s'; 'dive spoke config %s' shows the values in force and where\n"
		 "# each comes from (a flag, then the environment, then this file, then the default).\n",
		 lower, c->code, c->name, c->code, c->code);
	dive_buf_add(b, line, strlen(line));
	snprintf(line, sizeof(line), "%s",
		 "# Secrets never go here: they live in the secrets provider (secrets.provider, DIVE_SECRETS).\n"
		 "# A commented key has the default shown.\n");
	dive_buf_add(b, line, strlen(line));
	for (k = 0; k < IK__COUNT; k++) {
		const struct instance_key_def *d = &instance_keys[k];
		const char *dot = strchr(d->path, '.'), *name = dot ? dot + 1 : d->path;
		const char *indent = dot ? "  " : "";

		if (dot && strncmp(section, d->path, (size_t)(dot - d->path) + 1)) {
			snprintf(line, sizeof(line), "\n%.*s:\n", (int)(dot - d->path), d->path);
			dive_buf_add(b, line, strlen(line));
			section = d->path;
		} else if (!dot) {
			dive_buf_add(b, "\n", 1);
		}
		snprintf(line, sizeof(line), "%s# %s%s%s%s%s\n", indent, d->help, d->env ? " (" : "",
			 d->env ? d->env : "", d->env && d->flag ? ", " : (d->flag && !d->env ? " (" : ""),
			 d->flag ? d->flag : "");
		if (d->env || d->flag) {
			size_t l = strlen(line);

			line[l - 1] = ')';
			snprintf(line + l, sizeof(line) - l, "\n");
		}
		dive_buf_add(b, line, strlen(line));
		instance_default(def, sizeof(def), (enum instance_key)k, c);
		snprintf(line, sizeof(line), "%s%s%s: ", indent, set[k] ? "" : "#", name);
		dive_buf_add(b, line, strlen(line));
		if (set[k] || *def)
			add_value(b, (enum instance_key)k, set[k] ? set[k] : def);
		dive_buf_add(b, "\n", 1);
	}
	snprintf(line, sizeof(line), "%s",
		 "\n# Per service, what the stack file allows: memory, cpus, pids, timeout and environment\n"
		 "# that is not secret, e.g.\n"
		 "#services:\n#  keycloak:\n#    memory: 2g\n#    timeout: 300s\n#    environment:\n"
		 "#      KC_LOG_LEVEL: debug\n");
	dive_buf_add(b, line, strlen(line));
}

/* KEY=VALUE arguments and the flags, by key; 0 or DIVE_EUSAGE. */
static int init_values(const struct dive_inv *inv, const char *set[IK__COUNT], char **owned)
{
	int i, k;

	cmd_spoke_flags(inv, set);
	for (i = 1; i < inv->argc; i++) {
		const char *eq = strchr(inv->argv[i], '=');
		char key[96];

		if (!eq || eq == inv->argv[i] || (size_t)(eq - inv->argv[i]) >= sizeof(key))
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID,
					       "argument %d is not KEY=VALUE (keys: dive spoke init --help)", i + 1);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - inv->argv[i]), inv->argv[i]);
		if ((k = instance_key_find(key)) < 0)
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID,
					       "'%.64s' is not a key of the instance file (dive spoke init --help)", key);
		if (set[k])
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "'%s' is given twice", key);
		owned[k] = xstrdup(eq + 1);
		set[k] = owned[k];
	}
	return 0;
}

static void path_of(char *out, size_t n, const struct dive_ctx *ctx, const struct dive_country *c, int file)
{
	char lower[4];

	country_lower(lower, c);
	snprintf(out, n, "%s/%s%s%s", ctx->instances_dir, lower, file ? "/" : "", file ? INSTANCE_FILE : "");
}

/* What init will write, checked as a file would be: 0 and the text in b. */
static int init_text(const struct dive_ctx *ctx, const struct dive_inv *inv, struct dive_buf *b)
{
	const char *set[IK__COUNT];
	char *owned[IK__COUNT] = { 0 }, path[PATH_MAX];
	struct instcfg cfg;
	int rc, k;

	dive_buf_init(b, INSTANCE_FILE_MAX);
	rc = init_values(inv, set, owned);
	if (rc == 0) {
		render(b, inv->country, set);
		path_of(path, sizeof(path), ctx, inv->country, 1);
		rc = instcfg_parse(&cfg, path, dive_buf_str(b), b->len, ctx->instances_dir, inv->country);
		instcfg_release(&cfg);
	}
	for (k = 0; k < IK__COUNT; k++)
		free(owned[k]);
	return rc;
}

int cmd_spoke_init_validate(const struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct dive_buf b;
	char path[PATH_MAX];
	int rc = init_text(ctx, inv, &b);

	dive_buf_release(&b);
	if (rc < 0)
		return rc;
	path_of(path, sizeof(path), ctx, inv->country, 1);
	if (access(path, F_OK) == 0 && !dive_opt_given(inv, "force"))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "'%s' exists: --force replaces it", path);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cmd_spoke_init(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct dive_buf b;
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 16];
	int rc = init_text(ctx, inv, &b), fd = -1;

	if (rc < 0) {
		dive_buf_release(&b);
		return dive_fail(ctx, rc, "%s", dive_error_last());
	}
	path_of(dir, sizeof(dir), ctx, inv->country, 0);
	path_of(path, sizeof(path), ctx, inv->country, 1);
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if ((mkdir(ctx->instances_dir, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ||
	    fchmod(fd, 0644) < 0 || write_all(fd, dive_buf_str(&b), b.len) < 0 || fsync(fd) < 0) {
		int e = errno;

		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		dive_buf_release(&b);
		dive_error_setc(DIVE_EFAIL, ERRC_DIRECTORY_SETUP, "cannot write '%s': %s", path, strerror(e));
		return dive_fail(ctx, DIVE_EFAIL, "%s", dive_error_last());
	}
	close(fd);
	dive_buf_release(&b);
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		dive_error_setc(DIVE_EFAIL, ERRC_DIRECTORY_SETUP, "cannot write '%s': %s", path, strerror(e));
		return dive_fail(ctx, DIVE_EFAIL, "%s", dive_error_last());
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "ok", 1);
		cJSON_AddStringToObject(doc, "code", inv->country->code);
		cJSON_AddStringToObject(doc, "file", path);
		return dive_print_json(ctx, doc);
	}
	fprintf(ctx->out, "wrote %s (dive spoke config %s shows the values in force)\n", path, inv->country->code);
	return DIVE_EXIT_OK;
}

const struct dive_opt cmd_spoke_init_opts[] = {
	DIVE_OPT_ENGINE,
	DIVE_OPT_HUB_URL,
	{ .name = "force", .type = DIVE_OPT_BOOL, .help = "replace an existing instance file" },
	DIVE_OPT_END,
};

const struct dive_opt cmd_spoke_config_opts[] = {
	{ .name = "check", .type = DIVE_OPT_BOOL,
	  .help = "only check (without CODE: every instance file; all errors listed)" },
	DIVE_OPT_ENGINE,
	DIVE_OPT_HUB_URL,
	DIVE_OPT_END,
};
