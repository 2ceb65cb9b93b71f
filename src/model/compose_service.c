/*
 * compose_service.c - one service of a stack file: the field table, the
 * keys refused by name, and the fields of the process (image, command,
 * environment, healthcheck, depends_on, restart ...).  Ports and networks
 * are in compose_net.c, volumes and tmpfs in compose_storage.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/error.h"
#include "dive/xalloc.h"

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

static int f_image(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_str(x->L, v, x->what, &x->s->image);
}

static int f_container_name(struct svc_ctx *x, yaml_node_t *v)
{
	const struct compose *c = x->L->c;
	char b[80];
	int rc;
	size_t j;

	if ((rc = cl_get_str(x->L, v, x->what, &x->s->container_name)) < 0)
		return rc;
	if (!PLACEHOLDER(x->L) && !cl_valid_name(x->s->container_name, 128))
		return cl_fail(x->L, v, "%s: invalid container name '%s'", x->what, cl_shown(b, v, x->s->container_name));
	/* the services before this one (x->s is the last of c->services) */
	for (j = 0; j + 1 < c->nservices; j++)
		if (c->services[j].container_name && !strcmp(c->services[j].container_name, x->s->container_name))
			return cl_fail(x->L, v, "services '%s' and '%s' have the same container_name '%s'",
				       c->services[j].name, x->s->name, cl_shown(b, v, x->s->container_name));
	return 0;
}

static int f_command(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_argv(x->L, v, x->what, 1, &x->s->command);
}

static int f_entrypoint(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_argv(x->L, v, x->what, 1, &x->s->entrypoint);
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
		if ((rc = cl_check_map(L, n, x->what)) < 0)
			return rc;
		MAP_EACH(L, n, p, k, v) {
			if (!valid_env_name(KEY(k)))
				return cl_fail(L, k, "%s: invalid variable name '%s'", x->what, cl_shown(b, k, KEY(k)));
			e = PUSH(s->environment, s->nenvironment);
			e->name = xstrdup(KEY(k));
			e->line = cl_line_of(k);
			if ((rc = cl_value(L, v, x->what, V_SECRET_OK | V_NULL_OK, &e->value, &f)) < 0)
				return rc;
			e->secret = !!(f & INTERP_SECRET);
			if (!e->value && (rc = env_from_lookup(L, e)) < 0)
				return rc;
		}
		return 0;
	}
	if ((rc = cl_check_seq(L, n, x->what)) < 0)
		return rc;
	SEQ_EACH(L, n, it, v) {
		const char *raw, *eq;

		/*
		 * "NAME=value" or "NAME": only the value is interpolated, so a
		 * name is always the file's own text and no value can become one.
		 */
		if (v->type == YAML_SCALAR_NODE && cl_is_null(v))
			return cl_fail(L, v, "%s: an entry is empty", x->what);
		if ((rc = cl_raw_text(L, v, x->what, &raw)) < 0)
			return rc;
		eq = strchr(raw, '=');
		e = PUSH(s->environment, s->nenvironment);
		e->line = cl_line_of(v);
		e->name = eq ? xstrndup(raw, (size_t)(eq - raw)) : xstrdup(raw);
		if (!valid_env_name(e->name) || strchr(e->name, '$'))
			return cl_fail(L, v, "%s: invalid variable name '%s'%s", x->what, cl_shown(b, v, e->name),
				       strchr(e->name, '$') ? " (names are not interpolated: write NAME=${VALUE})" : "");
		for (i = 0; i + 1 < s->nenvironment; i++)
			if (!strcmp(s->environment[i].name, e->name))
				return cl_fail(L, v, "%s: '%s' is set twice (first on line %d)", x->what,
					    cl_shown(b, v, e->name), s->environment[i].line);
		if (eq) {
			if ((rc = cl_expand(L, v, eq + 1, x->what, V_SECRET_OK, &e->value, &f)) < 0)
				return rc;
			e->secret = !!(f & INTERP_SECRET);
		} else if ((rc = env_from_lookup(L, e)) < 0) {
			return rc;
		}
	}
	return 0;
}

static int f_env_file(struct svc_ctx *x, yaml_node_t *v)
{
	size_t i, first = x->s->nenv_files;
	int rc;

	if ((rc = cl_get_strlist(x->L, v, x->what, 1, NULL, &x->s->env_files, &x->s->nenv_files)) < 0)
		return rc;
	for (i = first; i < x->s->nenv_files; i++) {
		char *a = cl_absolute(x->L, x->s->env_files[i]);

		free(x->s->env_files[i]);
		x->s->env_files[i] = a;
	}
	return 0;
}

static int parse_condition(struct loader *L, yaml_node_t *v, const char *what, enum compose_condition *out)
{
	char *s = NULL, b[80];
	size_t i;
	int rc;

	if ((rc = cl_get_str(L, v, what, &s)) < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(condition_names); i++) {
		if (!strcmp(s, condition_names[i])) {
			*out = (enum compose_condition)i;
			free(s);
			return 0;
		}
	}
	rc = cl_fail(L, v, "%s: unknown condition '%s' (service_started, service_healthy or "
		  "service_completed_successfully)", what, cl_shown(b, v, s));
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
		if ((rc = cl_check_seq(L, n, x->what)) < 0)
			return rc;
		SEQ_EACH(L, n, it, v) {
			d = PUSH(s->depends_on, s->ndepends_on);
			d->line = cl_line_of(v);
			d->required = 1;
			d->condition = COMPOSE_SERVICE_STARTED;
			if ((rc = cl_get_name(L, v, x->what, &d->service)) < 0)
				return rc;
			for (i = 0; i + 1 < s->ndepends_on; i++)
				if (!strcmp(s->depends_on[i].service, d->service))
					return cl_fail(L, v, "%s: '%s' is listed twice", x->what, cl_shown(b, v, d->service));
		}
		return 0;
	}
	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		char what[WHAT_MAX];

		d = PUSH(s->depends_on, s->ndepends_on);
		d->line = cl_line_of(k);
		d->required = 1;
		d->condition = COMPOSE_SERVICE_STARTED;
		d->service = xstrdup(KEY(k));
		if ((rc = cl_check_name(L, k, x->what, d->service)) < 0)
			return rc;
		if (cl_is_null(v))
			continue;
		snprintf(what, sizeof(what), "%s.%s", x->what, d->service);
		if ((rc = cl_check_map(L, v, what)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			int bb = 0;

			if (!strcmp(KEY(k2), "condition")) {
				rc = parse_condition(L, v2, what, &d->condition);
			} else if (!strcmp(KEY(k2), "required")) {
				rc = cl_get_bool(L, v2, what, &bb);
				d->required = bb;
			} else if (!strcmp(KEY(k2), "restart")) {
				rc = cl_get_bool(L, v2, what, &bb);
				d->restart = bb;
			} else if (!strncmp(KEY(k2), "x-", 2)) {
				rc = 0;
			} else {
				rc = cl_fail(L, k2, "unknown key '%s' in %s", cl_shown(b, k2, KEY(k2)), what);
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
		return cl_get_argv(L, v, what, 0, &hc->test);
	}
	if ((rc = cl_get_argv(L, v, what, 0, &hc->test)) < 0)
		return rc;
	if (hc->test.n == 0)
		return cl_fail(L, v, "%s is an empty list (write [\"NONE\"] to disable the image's healthcheck)", what);
	if (!strcmp(hc->test.v[0], "NONE")) {
		if (hc->test.n != 1)
			return cl_fail(L, v, "%s: [\"NONE\"] takes nothing after it", what);
		hc->kind = COMPOSE_HC_NONE;
	} else if (!strcmp(hc->test.v[0], "CMD")) {
		if (hc->test.n < 2)
			return cl_fail(L, v, "%s: [\"CMD\", ...] needs a command", what);
		hc->kind = COMPOSE_HC_CMD;
	} else if (!strcmp(hc->test.v[0], "CMD-SHELL")) {
		if (hc->test.n != 2)
			return cl_fail(L, v, "%s: [\"CMD-SHELL\", \"...\"] takes exactly one string", what);
		hc->kind = COMPOSE_HC_SHELL;
	} else {
		return cl_fail(L, v, "%s must start with \"CMD\", \"CMD-SHELL\" or \"NONE\", not '%s'", what,
			    cl_shown(b, cl_node_at(L, v->data.sequence.items.start[0]), hc->test.v[0]));
	}
	/* Keep only the command: drop the leading CMD / CMD-SHELL / NONE. */
	if (hc->test.secret)
		explicit_bzero(hc->test.v[0], strlen(hc->test.v[0]));
	free(hc->test.v[0]);
	for (i = 1; i < hc->test.n; i++)
		hc->test.v[i - 1] = hc->test.v[i];
	hc->test.n--;
	free(hc->test.shown);
	if (hc->kind != COMPOSE_HC_SHELL) {
		hc->test.shown = cl_argv_shown(L, &hc->test, v, 1);
	} else if (hc->test.interpolated) {
		/* as written */
		yaml_node_t *cmd = cl_node_at(L, v->data.sequence.items.start[1]);

		hc->test.shown = xstrdup((const char *)cmd->data.scalar.value);
	} else {
		hc->test.shown = xstrdup(hc->test.v[0]);
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

	if ((rc = cl_check_map(L, n, x->what)) < 0)
		return rc;
	hc->line = cl_line_of(n);
	MAP_EACH(L, n, p, k, v) {
		long num = 0;

		snprintf(what, sizeof(what), "%s.%s", x->what, KEY(k));
		if (!strcmp(KEY(k), "test")) {
			test = v;
			rc = hc_test(L, v, what, hc);
		} else if (!strcmp(KEY(k), "interval")) {
			rc = cl_get_duration(L, v, what, &hc->interval_ms);
			other = 1;
		} else if (!strcmp(KEY(k), "timeout")) {
			rc = cl_get_duration(L, v, what, &hc->timeout_ms);
			other = 1;
		} else if (!strcmp(KEY(k), "start_period")) {
			rc = cl_get_duration(L, v, what, &hc->start_period_ms);
			other = 1;
		} else if (!strcmp(KEY(k), "retries")) {
			rc = cl_get_int(L, v, what, 0, 100, &num);
			hc->retries = (int)num;
			other = 1;
		} else if (!strcmp(KEY(k), "disable")) {
			rc = cl_get_bool(L, v, what, &disable);
		} else if (!strcmp(KEY(k), "start_interval")) {
			rc = cl_fail(L, k, "%s: 'start_interval' needs Docker Engine API 1.44; dive speaks 1.41", x->what);
		} else if (!strncmp(KEY(k), "x-", 2)) {
			rc = 0;
		} else {
			rc = cl_fail(L, k, "unknown key '%s' in %s", cl_shown(b, k, KEY(k)), x->what);
		}
		if (rc < 0)
			return rc;
	}
	if (disable) {
		if ((test && hc->kind != COMPOSE_HC_NONE) || other)
			return cl_fail(L, n, "%s: 'disable: true' cannot be combined with other settings", x->what);
		cl_argv_release(&hc->test);
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

	if ((rc = cl_get_str(x->L, v, x->what, &s->restart)) < 0)
		return rc;
	if (!strcmp(s->restart, "no") || !strcmp(s->restart, "always") || !strcmp(s->restart, "unless-stopped") ||
	    !strcmp(s->restart, "on-failure"))
		return 0;
	if (!strncmp(s->restart, "on-failure:", 11)) {
		const char *d = s->restart + 11;

		if (*d && strlen(d) <= 4 && strspn(d, "0123456789") == strlen(d))
			return 0;
	}
	return cl_fail(x->L, v, "%s: unknown policy '%s' (no, always, on-failure[:N] or unless-stopped)", x->what,
		    cl_shown(b, v, s->restart));
}

/* Labels of the service; dive.* and com.docker.compose.* are dive's own (apply.h). */
static int f_labels(struct svc_ctx *x, yaml_node_t *v)
{
	size_t i;
	char b[80];
	int rc;

	if ((rc = cl_get_kv(x->L, v, x->what, "=", 0, &x->s->labels, &x->s->nlabels)) < 0)
		return rc;
	for (i = 0; i < x->s->nlabels; i++) {
		const char *k = x->s->labels[i].key;

		if (!strncmp(k, "dive.", 5) || !strncmp(k, "com.docker.compose.", 19))
			return cl_fail(x->L, cl_kv_node(x->L, v, i), "%s: '%s' is a label dive sets itself", x->what,
				       cl_shown(b, cl_kv_node(x->L, v, i), k));
	}
	return 0;
}

static int f_user(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_str(x->L, v, x->what, &x->s->user);
}

static int f_init(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_bool(x->L, v, x->what, &x->s->init);
}

static int f_working_dir(struct svc_ctx *x, yaml_node_t *v)
{
	int rc;

	if ((rc = cl_get_str(x->L, v, x->what, &x->s->working_dir)) < 0)
		return rc;
	if (x->s->working_dir[0] != '/' && !PLACEHOLDER(x->L))
		return cl_fail(x->L, v, "%s must be an absolute path", x->what);
	return 0;
}

static int f_profiles(struct svc_ctx *x, yaml_node_t *v)
{
	return cl_get_names(x->L, v, x->what, &x->s->profiles, &x->s->nprofiles);
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
	{ "ports", cs_ports },
	{ "volumes", cs_volumes },
	{ "tmpfs", cs_tmpfs },
	{ "networks", cs_networks },
	{ "depends_on", f_depends_on },
	{ "healthcheck", f_healthcheck },
	{ "restart", f_restart },
	{ "labels", f_labels },
	{ "user", f_user },
	{ "init", f_init },
	{ "extra_hosts", cs_extra_hosts },
	{ "working_dir", f_working_dir },
	{ "profiles", f_profiles },
	{ "mem_limit", cs_mem_limit },
	{ "mem_reservation", cs_mem_reservation },
	{ "memswap_limit", cs_memswap_limit },
	{ "cpus", cs_cpus },
	{ "pids_limit", cs_pids_limit },
	{ "deploy", cs_deploy },
	{ "logging", cs_logging },
	{ "ulimits", cs_ulimits },
	{ "cap_add", cs_cap_add },
	{ "cap_drop", cs_cap_drop },
	{ "sysctls", cs_sysctls },
};

/* Compose keys dive knows and refuses, so the message says so rather than "unknown". */
static const char *const service_refused[] = {
	"build", "secrets", "configs", "extends", "links", "external_links", "network_mode",
	"volumes_from", "pid", "ipc", "privileged", "devices", "stop_grace_period", "stop_signal", "hostname",
	"domainname", "dns", "dns_search", "dns_opt", "expose", "security_opt", "shm_size", "platform",
	"pull_policy", "scale", "stdin_open", "tty", "read_only", "develop", "attach", "post_start", "pre_stop",
	"userns_mode", "cgroup", "cgroup_parent", "runtime", "cpu_count", "cpu_percent", "cpu_shares",
	"cpu_period", "cpu_quota", "cpu_rt_runtime", "cpu_rt_period", "cpuset", "blkio_config", "oom_kill_disable",
	"oom_score_adj", "mem_swappiness", "group_add", "isolation", "mac_address", "device_cgroup_rules", "gpus",
	"storage_opt", "uts", "credential_spec", "annotations", "label_file", "models", "use_api_socket",
	"log_driver", "log_opt",
};

int cl_parse_service(struct loader *L, yaml_node_t *k, yaml_node_t *n, struct compose_service *s)
{
	yaml_node_pair_t *p;
	yaml_node_t *fk, *fv;
	char what[WHAT_MAX], b[80];
	size_t i;
	int rc;

	s->name = xstrdup(KEY(k));
	s->line = cl_line_of(k);
	s->init = -1;
	if ((rc = cl_check_name(L, k, "services", s->name)) < 0)
		return rc;
	snprintf(what, sizeof(what), "services.%s", s->name);
	if ((rc = cl_check_map(L, n, what)) < 0)
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
					return cl_fail(L, fk, "key '%s' in %s is not supported by dive", KEY(fk), what);
			return cl_fail(L, fk, "unknown key '%s' in %s", cl_shown(b, fk, KEY(fk)), what);
		}
		snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(fk));
		x.what = fwhat;
		if ((rc = service_fields[i].parse(&x, fv)) < 0)
			return rc;
	}
	if (!s->image)
		return cl_fail(L, k, "service '%s' has no image (dive does not build images from a stack file)", s->name);
	return 0;
}

