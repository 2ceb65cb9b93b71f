/* apply.c - a stack file made real on the engine, idempotently (see apply.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/apply.h"
#include "dive/buf.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/file.h"
#include "dive/http.h"
#include "dive/images.h"
#include "dive/xalloc.h"

#define ENV_FILE_MAX (256 * 1024)
#define SHARED_NETWORK "dive-shared"

int apply_init(struct apply *a, struct docker *d, const struct compose *c, const char *project,
	       const char *instance, long long run_id)
{
	memset(a, 0, sizeof(*a));
	if (strlen(project) >= sizeof(a->project))
		return dive_error_set(DIVE_EUSAGE, "project name too long");
	a->docker = d;
	a->compose = c;
	snprintf(a->project, sizeof(a->project), "%s", project);
	snprintf(a->instance, sizeof(a->instance), "%s", instance);
	a->run_id = run_id;
	return 0;
}

void apply_container_name(const struct apply *a, int i, char *out, size_t n)
{
	const struct compose_service *s = &a->compose->services[i];

	if (s->container_name)
		snprintf(out, n, "%s", s->container_name);
	else
		snprintf(out, n, "%s-%s", a->project, s->name);
}

const char *apply_image(const struct apply *a, int i)
{
	const char *img = a->compose->services[i].image, *local;

	if (!img || a->images_as_written)
		return img;
	local = images_map(img);
	return local ? local : img;
}

static void network_name(const struct apply *a, const char *key, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < a->compose->nnetworks; i++) {
		const struct compose_network *nw = &a->compose->networks[i];

		if (!strcmp(nw->key, key)) {
			if (nw->name)
				snprintf(out, n, "%s", nw->name);
			else
				snprintf(out, n, "%s_%s", a->project, key);
			return;
		}
	}
	snprintf(out, n, "%s_%s", a->project, key);
}

static void volume_name(const struct apply *a, const char *key, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < a->compose->nvolumes; i++) {
		const struct compose_volume *v = &a->compose->volumes[i];

		if (!strcmp(v->key, key)) {
			if (v->name)
				snprintf(out, n, "%s", v->name);
			else
				snprintf(out, n, "%s_%s", a->project, key);
			return;
		}
	}
	snprintf(out, n, "%s_%s", a->project, key);
}

static cJSON *dive_labels(const struct apply *a, const char *service)
{
	cJSON *l = cJSON_CreateObject();
	char run[24];

	cJSON_AddStringToObject(l, "dive.project", a->project);
	cJSON_AddStringToObject(l, "dive.instance", a->instance);
	if (service)
		cJSON_AddStringToObject(l, "dive.service", service);
	snprintf(run, sizeof(run), "%lld", a->run_id);
	cJSON_AddStringToObject(l, "dive.run", run);
	return l;
}

int apply_networks(struct apply *a, cJSON **detail)
{
	cJSON *made = cJSON_CreateArray();
	size_t i;
	int rc = 0;

	for (i = 0; i < a->compose->nnetworks && rc == 0; i++) {
		const struct compose_network *nw = &a->compose->networks[i];
		char name[128];
		cJSON *info = NULL;

		network_name(a, nw->key, name, sizeof(name));
		rc = docker_network_inspect(a->docker, &info, name);
		cJSON_Delete(info);
		if (rc == 0)
			continue;
		if (rc != DIVE_ENOTFOUND)
			break;
		dive_error_clear();
		if (nw->external && strcmp(name, SHARED_NETWORK)) {
			rc = dive_error_set(DIVE_ENOTFOUND, "external network '%s' does not exist", name);
			dive_error_set_code(ERRC_NETWORK_SETUP);
			break;
		}
		{
			cJSON *spec = cJSON_CreateObject();
			char *id = NULL;

			cJSON_AddItemToObject(spec, "Labels", dive_labels(a, NULL));
			if (nw->external) /* the shared network belongs to no one stack */
				cJSON_ReplaceItemInObject(spec, "Labels", cJSON_CreateObject()),
					cJSON_AddStringToObject(cJSON_GetObjectItem(spec, "Labels"), "dive.shared", "true");
			if (nw->internal)
				cJSON_AddBoolToObject(spec, "Internal", 1);
			rc = docker_network_create(a->docker, &id, name, spec);
			if (rc == DIVE_ECONFLICT) { /* created meanwhile by another run */
				dive_error_clear();
				rc = 0;
			} else if (rc == 0 && !nw->external) {
				cJSON_AddItemToArray(made, cJSON_CreateString(name));
			}
			free(id);
			cJSON_Delete(spec);
		}
	}
	if (detail) {
		*detail = cJSON_CreateObject();
		cJSON_AddItemToObject(*detail, "networks", made);
	} else {
		cJSON_Delete(made);
	}
	return rc;
}

int apply_volumes(struct apply *a, cJSON **detail)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < a->compose->nvolumes && rc == 0; i++) {
		const struct compose_volume *v = &a->compose->volumes[i];
		char name[128];
		cJSON *labels;

		if (v->external)
			continue;
		volume_name(a, v->key, name, sizeof(name));
		labels = dive_labels(a, NULL);
		rc = docker_volume_create(a->docker, NULL, name, labels);
		cJSON_Delete(labels);
	}
	if (detail)
		*detail = NULL; /* volumes hold data: rollback never removes them */
	return rc;
}

static cJSON *argv_json(const struct compose_argv *v)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < v->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v->v[i]));
	return arr;
}

/*
 * env_file lines KEY=VALUE into Env.  Values may be secrets and the path
 * may come from a variable: the message names neither (the service and the
 * entry's number do).  A regular file only: a FIFO would block forever.
 */
static int add_env_file(cJSON *env, const char *service, size_t index, const char *path)
{
	struct dive_buf b;
	char *line, *save = NULL;
	int rc = dive_file_read(&b, path, ENV_FILE_MAX, "env_file");

	if (rc < 0) {
		/* dive_file_read's message names the path: say the service and the entry instead */
		dive_buf_release(&b);
		return dive_error_set(rc == DIVE_ENOTFOUND ? DIVE_EUSAGE : rc, "service '%s': cannot read env_file %zu (%s)",
				      service, index + 1, rc == DIVE_ENOTFOUND ? "it does not exist"
						  : rc == DIVE_ETOOBIG ? "larger than 256 KiB"
						  : "not a readable regular file");
	}
	for (line = strtok_r(b.ptr ? b.ptr : (char *)"", "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#' && strchr(line, '='))
			cJSON_AddItemToArray(env, cJSON_CreateString(line));
	if (b.ptr)
		explicit_bzero(b.ptr, b.alloc);
	dive_buf_release(&b);
	return rc;
}

/*
 * Compose's own labels, beside dive's, so `docker compose ls/ps/logs -p
 * PROJECT` show dive's stacks.  For reading only: dive never reads them,
 * its dive.* labels stay the source (apply.h).
 */
static void compose_labels(cJSON *labels, const struct apply *a, const struct compose_service *s, const char *hash)
{
	cJSON_AddStringToObject(labels, "com.docker.compose.project", a->project);
	cJSON_AddStringToObject(labels, "com.docker.compose.service", s->name);
	cJSON_AddStringToObject(labels, "com.docker.compose.container-number", "1");
	cJSON_AddStringToObject(labels, "com.docker.compose.oneoff", "False");
	cJSON_AddStringToObject(labels, "com.docker.compose.config-hash", hash);
}

/* "SOURCE:TARGET[:ro,z,rslave,nocopy]": a volume or a host path the engine creates when missing. */
static void add_bind(cJSON *binds, const char *src, const struct compose_mount *m)
{
	struct dive_buf b;
	const char *sep = ":";

	dive_buf_init(&b, (size_t)-1 / 2);
	dive_buf_printf(&b, "%s:%s", src, m->target);
	if (m->read_only) {
		dive_buf_printf(&b, "%sro", sep);
		sep = ",";
	}
	if (m->selinux) {
		dive_buf_printf(&b, "%s%c", sep, m->selinux);
		sep = ",";
	}
	if (m->propagation[0]) {
		dive_buf_printf(&b, "%s%s", sep, m->propagation);
		sep = ",";
	}
	if (m->nocopy)
		dive_buf_printf(&b, "%snocopy", sep);
	cJSON_AddItemToArray(binds, cJSON_CreateString(dive_buf_str(&b)));
	dive_buf_release(&b);
}

/* bind.create_host_path: false: a Mounts entry, which the engine refuses when the path is missing. */
static void add_bind_mount(cJSON *host, const struct compose_mount *m)
{
	cJSON *mounts = cJSON_GetObjectItem(host, "Mounts"), *o = cJSON_CreateObject();

	if (!mounts)
		mounts = cJSON_AddArrayToObject(host, "Mounts");
	cJSON_AddStringToObject(o, "Type", "bind");
	cJSON_AddStringToObject(o, "Source", m->source);
	cJSON_AddStringToObject(o, "Target", m->target);
	cJSON_AddBoolToObject(o, "ReadOnly", m->read_only);
	if (m->propagation[0])
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "BindOptions"), "Propagation", m->propagation);
	cJSON_AddItemToArray(mounts, o);
}

static void add_kv_object(cJSON *host, const char *name, const struct compose_kv *kv, size_t n)
{
	cJSON *o = cJSON_AddObjectToObject(host, name);
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddStringToObject(o, kv[i].key, kv[i].value ? kv[i].value : "");
}

static void add_strings(cJSON *host, const char *name, char *const *v, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(host, name);
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
}

/* Limits, logging, ulimits, capabilities and sysctls: only what the file sets. */
static void host_resources(cJSON *host, const struct compose_service *s)
{
	const struct compose_resources *r = &s->resources;
	size_t k;

	if (r->memory)
		cJSON_AddNumberToObject(host, "Memory", (double)r->memory);
	if (r->memory_swap)
		cJSON_AddNumberToObject(host, "MemorySwap", (double)r->memory_swap);
	if (r->memory_reservation)
		cJSON_AddNumberToObject(host, "MemoryReservation", (double)r->memory_reservation);
	if (r->nano_cpus)
		cJSON_AddNumberToObject(host, "NanoCpus", (double)r->nano_cpus);
	if (r->pids)
		cJSON_AddNumberToObject(host, "PidsLimit", (double)r->pids);
	if (s->logging.driver || s->logging.noptions) {
		cJSON *lc = cJSON_AddObjectToObject(host, "LogConfig");

		cJSON_AddStringToObject(lc, "Type", s->logging.driver ? s->logging.driver : ""); /* "": the engine's */
		add_kv_object(lc, "Config", s->logging.options, s->logging.noptions);
	}
	if (s->nulimits) {
		cJSON *ul = cJSON_AddArrayToObject(host, "Ulimits");

		for (k = 0; k < s->nulimits; k++) {
			cJSON *u = cJSON_CreateObject();

			cJSON_AddStringToObject(u, "Name", s->ulimits[k].name);
			cJSON_AddNumberToObject(u, "Soft", (double)s->ulimits[k].soft);
			cJSON_AddNumberToObject(u, "Hard", (double)s->ulimits[k].hard);
			cJSON_AddItemToArray(ul, u);
		}
	}
	if (s->ncap_add)
		add_strings(host, "CapAdd", s->cap_add, s->ncap_add);
	if (s->ncap_drop)
		add_strings(host, "CapDrop", s->cap_drop, s->ncap_drop);
	if (s->nsysctls)
		add_kv_object(host, "Sysctls", s->sysctls, s->nsysctls);
}

static cJSON *create_spec(const struct apply *a, int i, const char *hash, int *rc)
{
	const struct compose_service *s = &a->compose->services[i];
	cJSON *spec = cJSON_CreateObject(), *host = cJSON_AddObjectToObject(spec, "HostConfig");
	cJSON *env = cJSON_AddArrayToObject(spec, "Env"), *labels = dive_labels(a, s->name);
	cJSON *exposed = cJSON_CreateObject(), *bindings = cJSON_CreateObject(), *binds = cJSON_CreateArray();
	size_t k;

	*rc = 0;
	cJSON_AddStringToObject(spec, "Image", apply_image(a, i));
	if (s->command.set)
		cJSON_AddItemToObject(spec, "Cmd", argv_json(&s->command));
	if (s->entrypoint.set)
		cJSON_AddItemToObject(spec, "Entrypoint", argv_json(&s->entrypoint));
	for (k = 0; k < s->nenv_files && *rc == 0; k++)
		*rc = add_env_file(env, s->name, k, s->env_files[k]);
	for (k = 0; k < s->nenvironment; k++) {
		char *kv;

		if (!s->environment[k].value)
			continue;
		kv = xasprintf("%s=%s", s->environment[k].name, s->environment[k].value);
		cJSON_AddItemToArray(env, cJSON_CreateString(kv));
		explicit_bzero(kv, strlen(kv));
		free(kv);
	}
	for (k = 0; k < s->nlabels; k++)
		cJSON_AddStringToObject(labels, s->labels[k].key, s->labels[k].value ? s->labels[k].value : "");
	cJSON_AddStringToObject(labels, "dive.config-hash", hash);
	compose_labels(labels, a, s, hash);
	cJSON_AddItemToObject(spec, "Labels", labels);
	if (s->user)
		cJSON_AddStringToObject(spec, "User", s->user);
	if (s->working_dir)
		cJSON_AddStringToObject(spec, "WorkingDir", s->working_dir);
	for (k = 0; k < s->nports; k++) {
		const struct compose_port *p = &s->ports[k];
		char key[32], hp[16];
		cJSON *arr, *b = cJSON_CreateObject();

		snprintf(key, sizeof(key), "%d/%s", p->container_port, p->protocol);
		if (!cJSON_GetObjectItem(exposed, key))
			cJSON_AddItemToObject(exposed, key, cJSON_CreateObject());
		arr = cJSON_GetObjectItem(bindings, key);
		if (!arr)
			arr = cJSON_AddArrayToObject(bindings, key);
		cJSON_AddStringToObject(b, "HostIp", p->host_ip);
		snprintf(hp, sizeof(hp), "%d", p->host_port);
		cJSON_AddStringToObject(b, "HostPort", p->host_port ? hp : "");
		cJSON_AddItemToArray(arr, b);
	}
	cJSON_AddItemToObject(spec, "ExposedPorts", exposed);
	cJSON_AddItemToObject(host, "PortBindings", bindings);
	for (k = 0; k < s->nvolumes; k++) {
		const struct compose_mount *m = &s->volumes[k];
		char src[256];

		if (m->type == COMPOSE_MOUNT_ANONYMOUS)
			continue;
		if (m->type == COMPOSE_MOUNT_VOLUME)
			volume_name(a, m->source, src, sizeof(src));
		else
			snprintf(src, sizeof(src), "%s", m->source);
		if (m->no_create)
			add_bind_mount(host, m);
		else
			add_bind(binds, src, m);
	}
	cJSON_AddItemToObject(host, "Binds", binds);
	host_resources(host, s);
	if (s->ntmpfs) {
		cJSON *t = cJSON_AddObjectToObject(host, "Tmpfs");

		for (k = 0; k < s->ntmpfs; k++) {
			char *colon = strchr(s->tmpfs[k], ':');
			char *path = xstrndup(s->tmpfs[k], colon ? (size_t)(colon - s->tmpfs[k]) : strlen(s->tmpfs[k]));

			cJSON_AddStringToObject(t, path, colon ? colon + 1 : "");
			free(path);
		}
	}
	{
		cJSON *rp = cJSON_AddObjectToObject(host, "RestartPolicy");
		const char *r = s->restart ? s->restart : "no";

		if (!strncmp(r, "on-failure", 10)) {
			cJSON_AddStringToObject(rp, "Name", "on-failure");
			cJSON_AddNumberToObject(rp, "MaximumRetryCount", r[10] == ':' ? atoi(r + 11) : 0);
		} else {
			cJSON_AddStringToObject(rp, "Name", !strcmp(r, "no") ? "" : r);
		}
	}
	if (s->init >= 0)
		cJSON_AddBoolToObject(host, "Init", s->init);
	if (s->nextra_hosts) {
		cJSON *eh = cJSON_AddArrayToObject(host, "ExtraHosts");

		for (k = 0; k < s->nextra_hosts; k++) {
			char *e = xasprintf("%s:%s", s->extra_hosts[k].key, s->extra_hosts[k].value);

			cJSON_AddItemToArray(eh, cJSON_CreateString(e));
			free(e);
		}
	}
	if (s->healthcheck.kind != COMPOSE_HC_IMAGE) {
		cJSON *hc = cJSON_AddObjectToObject(spec, "Healthcheck"), *test = cJSON_CreateArray();
		size_t t;

		if (s->healthcheck.kind == COMPOSE_HC_NONE) {
			cJSON_AddItemToArray(test, cJSON_CreateString("NONE"));
		} else if (s->healthcheck.kind == COMPOSE_HC_SHELL) {
			cJSON_AddItemToArray(test, cJSON_CreateString("CMD-SHELL"));
			cJSON_AddItemToArray(test, cJSON_CreateString(s->healthcheck.test.n ? s->healthcheck.test.v[0] : ""));
		} else {
			cJSON_AddItemToArray(test, cJSON_CreateString("CMD"));
			for (t = 0; t < s->healthcheck.test.n; t++)
				cJSON_AddItemToArray(test, cJSON_CreateString(s->healthcheck.test.v[t]));
		}
		cJSON_AddItemToObject(hc, "Test", test);
		if (s->healthcheck.interval_ms)
			cJSON_AddNumberToObject(hc, "Interval", s->healthcheck.interval_ms * 1e6);
		if (s->healthcheck.timeout_ms)
			cJSON_AddNumberToObject(hc, "Timeout", s->healthcheck.timeout_ms * 1e6);
		if (s->healthcheck.start_period_ms)
			cJSON_AddNumberToObject(hc, "StartPeriod", s->healthcheck.start_period_ms * 1e6);
		if (s->healthcheck.retries)
			cJSON_AddNumberToObject(hc, "Retries", s->healthcheck.retries);
	}
	/* the first network at create (API 1.41 takes one), the others after */
	if (s->nnetworks) {
		char net[128];
		cJSON *ec = cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "NetworkingConfig"), "EndpointsConfig");
		cJSON *ep, *aliases;

		network_name(a, s->networks[0].network, net, sizeof(net));
		cJSON_AddStringToObject(host, "NetworkMode", net);
		ep = cJSON_AddObjectToObject(ec, net);
		aliases = cJSON_AddArrayToObject(ep, "Aliases");
		cJSON_AddItemToArray(aliases, cJSON_CreateString(s->name));
		for (k = 0; k < s->networks[0].naliases; k++)
			cJSON_AddItemToArray(aliases, cJSON_CreateString(s->networks[0].aliases[k]));
	}
	return spec;
}

static void wipe_spec(cJSON *spec)
{
	cJSON *env = cJSON_GetObjectItem(spec, "Env"), *e;

	cJSON_ArrayForEach(e, env)
		if (cJSON_IsString(e))
			explicit_bzero(e->valuestring, strlen(e->valuestring));
	cJSON_Delete(spec);
}

/* Our container of service i: *id (owned) and its hash and running flag; 0 with *id NULL when none. */
static int find_ours(struct apply *a, int i, char **id, char *hash, size_t n, int *running)
{
	char proj[96], svc[96];
	const char *labels[3] = { proj, svc, NULL };
	cJSON *list = NULL, *c;
	int rc;

	*id = NULL;
	hash[0] = '\0';
	*running = 0;
	snprintf(proj, sizeof(proj), "dive.project=%s", a->project);
	snprintf(svc, sizeof(svc), "dive.service=%s", a->compose->services[i].name);
	rc = docker_container_list(a->docker, &list, labels);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, list) {
		const cJSON *cid = cJSON_GetObjectItem(c, "Id"), *state = cJSON_GetObjectItem(c, "State");
		const cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "Labels"), "dive.config-hash");

		if (!cJSON_IsString(cid))
			continue;
		if (*id) { /* a duplicate left by a crash: ours, so remove it */
			docker_container_remove(a->docker, cid->valuestring,
						DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING);
			continue;
		}
		*id = xstrdup(cid->valuestring);
		snprintf(hash, n, "%s", cJSON_IsString(h) ? h->valuestring : "");
		*running = cJSON_IsString(state) && !strcmp(state->valuestring, "running");
	}
	cJSON_Delete(list);
	return 0;
}

int apply_ensure(struct apply *a, int i, cJSON **detail, int *created)
{
	const struct compose_service *s = &a->compose->services[i];
	char hash[65], have[80], name[128], *id = NULL;
	int rc, running = 0, recreated = 0;
	cJSON *spec;
	size_t k;

	*created = 0;
	*detail = NULL;
	compose_config_hash(hash, s);
	apply_container_name(a, i, name, sizeof(name));
	if ((rc = find_ours(a, i, &id, have, sizeof(have), &running)) < 0)
		return rc;
	if (id && !strcmp(have, hash)) {
		if (!running)
			rc = docker_container_start(a->docker, id);
		goto out;
	}
	if (id) {
		/* changed: recreate */
		if ((rc = docker_container_remove(a->docker, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING)) < 0)
			goto out;
		free(id);
		id = NULL;
		recreated = 1;
	}
	spec = create_spec(a, i, hash, &rc);
	if (rc == 0)
		rc = docker_container_create(a->docker, &id, name, spec);
	wipe_spec(spec);
	if (rc == DIVE_ECONFLICT) {
		/* the name is taken by something that is not ours: never touch it */
		dive_error_set(DIVE_ECONFLICT, "container '%s' exists and was not made by dive for '%s'; remove it "
					       "or rename it", name, a->project);
		dive_error_set_code(ERRC_CONTAINER_CONFLICT);
		goto out;
	}
	if (rc < 0)
		goto out;
	*created = 1;
	for (k = 1; k < s->nnetworks && rc == 0; k++) {
		char net[128];
		const char **aliases = xcalloc(s->networks[k].naliases + 2, sizeof(*aliases));
		size_t j;

		aliases[0] = s->name;
		for (j = 0; j < s->networks[k].naliases; j++)
			aliases[j + 1] = s->networks[k].aliases[j];
		network_name(a, s->networks[k].network, net, sizeof(net));
		rc = docker_network_connect(a->docker, net, id, aliases);
		free(aliases);
	}
	if (rc == 0)
		rc = docker_container_start(a->docker, id);
out:
	if (rc == 0 || *created) {
		*detail = cJSON_CreateObject();
		cJSON_AddStringToObject(*detail, "container", id ? id : "");
		cJSON_AddStringToObject(*detail, "name", name);
		cJSON_AddBoolToObject(*detail, "created", *created);
		cJSON_AddBoolToObject(*detail, "recreated", recreated);
		cJSON_AddStringToObject(*detail, "hash", hash);
	}
	if (rc < 0 && rc != DIVE_ECONFLICT && !dive_error_last_code())
		dive_error_set_code(ERRC_CONTAINER_START);
	free(id);
	return rc;
}

static int probe(const char *url)
{
	struct http_req req = { 0 };
	struct http_resp resp = { 0 };
	long status;
	int rc;

	if (!strncmp(url, "tcp://", 6)) {
		/* a TCP connect: curl's connect-only mode through an http:// URL */
		char *u = xasprintf("http://%s/", url + 6);

		req.url = u;
		req.timeout_ms = 2000;
		req.max_body = 1024;
		rc = http_perform(NULL, &req, &resp);
		free(u);
		http_resp_release(&resp);
		/* any answer, even garbage, means the port accepts connections */
		return rc == DIVE_EUNAVAIL || rc == DIVE_ETIMEOUT ? -1 : 0;
	}
	req.url = url;
	req.timeout_ms = 3000;
	req.max_body = 64 * 1024;
	rc = http_perform(NULL, &req, &resp);
	status = resp.status;
	http_resp_release(&resp);
	return rc == 0 && status >= 200 && status < 400 ? 0 : -1;
}

int apply_health(struct apply *a, int i, enum sched_health *out, int *exit_code)
{
	char name[128];
	cJSON *info = NULL, *state, *health, *status;
	const struct compose_service *s = &a->compose->services[i];
	int rc;

	*out = SCHED_H_STARTING;
	*exit_code = 0;
	apply_container_name(a, i, name, sizeof(name));
	rc = docker_container_inspect(a->docker, &info, name);
	if (rc < 0)
		return rc;
	state = cJSON_GetObjectItem(info, "State");
	status = cJSON_GetObjectItem(state, "Status");
	health = cJSON_GetObjectItem(cJSON_GetObjectItem(state, "Health"), "Status");
	if (cJSON_IsString(status) && (!strcmp(status->valuestring, "exited") || !strcmp(status->valuestring, "dead"))) {
		*exit_code = cJSON_GetObjectItem(state, "ExitCode") ? cJSON_GetObjectItem(state, "ExitCode")->valueint : -1;
		*out = *exit_code == 0 ? SCHED_H_EXITED_OK : SCHED_H_EXITED_FAIL;
	} else if (cJSON_IsString(status) && !strcmp(status->valuestring, "running")) {
		if (cJSON_IsString(health) && !strcmp(health->valuestring, "healthy"))
			*out = SCHED_H_HEALTHY;
		else if (cJSON_IsString(health) && !strcmp(health->valuestring, "unhealthy"))
			*out = SCHED_H_UNHEALTHY;
		else if (!cJSON_IsString(health))
			*out = SCHED_H_HEALTHY; /* no health check: running is ready */
		/* an x-dive probe from the host must agree too */
		if (*out == SCHED_H_HEALTHY && s->dive && s->dive->probe && probe(s->dive->probe) < 0)
			*out = SCHED_H_STARTING;
	}
	cJSON_Delete(info);
	return 0;
}

/* --- events --------------------------------------------------------------------- */

static int on_event(void *arg, const struct docker_event *ev)
{
	struct apply *a = arg;
	const cJSON *svc = cJSON_GetObjectItem(ev->attributes, "dive.service");
	int i;

	if (a->events_stop)
		return 1;
	if (!cJSON_IsString(svc))
		return 0;
	i = compose_service_index(a->compose, svc->valuestring);
	if (i < 0)
		return 0;
	if (!strcmp(ev->action, "health_status: healthy") || !strcmp(ev->action, "health_status: unhealthy") ||
	    !strcmp(ev->action, "die") || !strcmp(ev->action, "start")) {
		enum sched_health h;
		int code = 0;

		/* the event says something changed; inspect says what, probes included */
		if ((a->health_hook ? a->health_hook(a->hook_arg, i, &h, &code) : apply_health(a, i, &h, &code)) == 0)
			sched_notify(a->sched, a->sched_index ? a->sched_index(a->hook_arg, i) : i, h, code);
	}
	return a->events_stop ? 1 : 0;
}

static void *events_main(void *arg)
{
	struct apply *a = arg;
	char label[96], host[1100];
	cJSON *filters = cJSON_CreateObject();
	struct docker_events_opts o = { 0 };
	struct docker *own = NULL;

	/* a client of its own: a client is not shared between threads */
	if (a->docker->socket_path)
		snprintf(host, sizeof(host), "unix://%s", a->docker->socket_path);
	else
		snprintf(host, sizeof(host), "tcp://%s", a->docker->base + 7);
	if (docker_open(&own, host, a->docker->transport) < 0 || docker_negotiate(own) < 0) {
		docker_close(own);
		cJSON_Delete(filters);
		return NULL; /* the scheduler's polling carries on alone */
	}

	snprintf(label, sizeof(label), "dive.project=%s", a->project);
	cJSON_AddItemToObject(filters, "type", cJSON_CreateStringArray((const char *[]){ "container" }, 1));
	cJSON_AddItemToObject(filters, "label", cJSON_CreateStringArray((const char *[]){ label }, 1));
	o.filters = filters;
	o.since = a->since;
	o.timeout_ms = 1000;
	while (!a->events_stop) {
		/* a short stream at a time, so a stop is seen within a second */
		docker_events(own, &o, on_event, a);
		docker_events_time(a->since, sizeof(a->since), 1500);
	}
	docker_close(own);
	cJSON_Delete(filters);
	return NULL;
}

int apply_events_start(struct apply *a, struct sched *s)
{
	pthread_t *t = xmalloc(sizeof(*t));

	a->sched = s;
	a->events_stop = 0;
	docker_events_time(a->since, sizeof(a->since), 1000);
	if (pthread_create(t, NULL, events_main, a) != 0) {
		free(t);
		return dive_error_set(DIVE_EFAIL, "cannot start the events thread");
	}
	a->events_thread = t;
	a->events_running = 1;
	return 0;
}

void apply_events_stop(struct apply *a)
{
	if (!a->events_running)
		return;
	a->events_stop = 1;
	pthread_join(*(pthread_t *)a->events_thread, NULL);
	free(a->events_thread);
	a->events_thread = NULL;
	a->events_running = 0;
}

int apply_remove(struct apply *a, const char *id)
{
	return docker_container_remove(a->docker, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING);
}

/* --- status and down ------------------------------------------------------------ */

int apply_status(struct docker *d, cJSON **out, const char *project)
{
	char proj[96];
	const char *labels[2] = { proj, NULL };
	cJSON *list = NULL, *c;
	int rc;

	*out = cJSON_CreateArray();
	snprintf(proj, sizeof(proj), "dive.project=%s", project);
	rc = docker_container_list(d, &list, labels);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, list) {
		const cJSON *id = cJSON_GetObjectItem(c, "Id"), *names = cJSON_GetObjectItem(c, "Names");
		const cJSON *labels_ = cJSON_GetObjectItem(c, "Labels");
		const cJSON *svc = cJSON_GetObjectItem(labels_, "dive.service");
		cJSON *o = cJSON_CreateObject(), *info = NULL;
		const char *health = "none";

		cJSON_AddStringToObject(o, "service", cJSON_IsString(svc) ? svc->valuestring : "");
		cJSON_AddStringToObject(o, "name", cJSON_GetArraySize(names) ? cJSON_GetArrayItem(names, 0)->valuestring + 1 : "");
		cJSON_AddStringToObject(o, "id", cJSON_IsString(id) ? id->valuestring : "");
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(c, "State"));

		cJSON_AddStringToObject(o, "state", st ? st : "");
		if (cJSON_IsString(id) && docker_container_inspect(d, &info, id->valuestring) == 0) {
			const char *h = cJSON_GetStringValue(
				cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "State"), "Health"), "Status"));

			if (h)
				health = h;
		}
		cJSON_AddStringToObject(o, "health", health);
		cJSON_Delete(info);
		cJSON_AddItemToArray(*out, o);
	}
	cJSON_Delete(list);
	return 0;
}

int apply_down(struct docker *d, const char *project, int volumes, int dry_run, cJSON **removed)
{
	char proj[96];
	const char *labels[2] = { proj, NULL };
	cJSON *list = NULL, *c, *out = cJSON_CreateObject();
	cJSON *rc_containers = cJSON_AddArrayToObject(out, "containers");
	cJSON *rc_networks = cJSON_AddArrayToObject(out, "networks");
	cJSON *rc_volumes = cJSON_AddArrayToObject(out, "volumes");
	int rc;

	*removed = out;
	snprintf(proj, sizeof(proj), "dive.project=%s", project);
	if ((rc = docker_container_list(d, &list, labels)) < 0)
		return rc;
	cJSON_ArrayForEach(c, list) {
		const cJSON *names = cJSON_GetObjectItem(c, "Names"), *id = cJSON_GetObjectItem(c, "Id");

		cJSON_AddItemToArray(rc_containers, cJSON_CreateString(cJSON_GetArraySize(names)
									? cJSON_GetArrayItem(names, 0)->valuestring + 1
									: id->valuestring));
		if (!dry_run && (rc = docker_container_remove(d, id->valuestring,
							       DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING)) < 0)
			break;
	}
	cJSON_Delete(list);
	list = NULL;
	if (rc == 0 && (rc = docker_network_list(d, &list, labels)) == 0) {
		cJSON_ArrayForEach(c, list) {
			const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "Name"));

			if (!name)
				continue;
			cJSON_AddItemToArray(rc_networks, cJSON_CreateString(name));
			if (!dry_run && (rc = docker_network_remove(d, name, DOCKER_REMOVE_IGNORE_MISSING)) < 0)
				break;
		}
		cJSON_Delete(list);
		list = NULL;
	}
	if (rc == 0 && volumes && (rc = docker_volume_list(d, &list, labels)) == 0) {
		cJSON_ArrayForEach(c, list) {
			const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "Name"));

			if (!name)
				continue;
			cJSON_AddItemToArray(rc_volumes, cJSON_CreateString(name));
			if (!dry_run && (rc = docker_volume_remove(d, name, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_IGNORE_MISSING)) < 0)
				break;
		}
		cJSON_Delete(list);
	}
	return rc;
}
