/*
 * compose.c - stack files (Compose format) into structs (see compose.h):
 * the top level, loading and release.
 *
 * Two passes over the text: libyaml's event parser first checks the shape
 * (nesting depth, one document) without building anything, then its
 * document loader builds the node tree, which is walked field by field
 * against tables (services: compose_service.c).  Every node keeps its line
 * for messages.  compose_priv.h says where each part lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "compose_priv.h"
#include "dive/buf.h"
#include "dive/compose.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"

/* ------------------------------------------------------------------ */
/* Top level */

static int parse_services(struct loader *L, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	int rc;

	if ((rc = cl_check_map(L, n, "services")) < 0)
		return rc;
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > COMPOSE_SERVICES_MAX)
		return cl_fail(L, n, "more than %d services", COMPOSE_SERVICES_MAX);
	MAP_EACH(L, n, p, k, v) {
		struct compose_service *s = PUSH(L->c->services, L->c->nservices);

		if ((rc = cl_parse_service(L, k, v, s)) < 0)
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

	if ((rc = cl_check_map(L, n, what)) < 0)
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
		*line = cl_line_of(k);
		if ((rc = cl_check_name(L, k, what, KEY(k))) < 0)
			return rc;
		if (cl_is_null(v))
			continue;
		snprintf(owhat, sizeof(owhat), "%s.%s", what, KEY(k));
		if ((rc = cl_check_map(L, v, owhat)) < 0)
			return rc;
		MAP_EACH(L, v, p2, k2, v2) {
			char fwhat[WHAT_MAX + 260];

			snprintf(fwhat, sizeof(fwhat), "%s.%s", owhat, KEY(k2));
			if (!strcmp(KEY(k2), "name")) {
				if ((rc = cl_get_str(L, v2, fwhat, name)) == 0 && !PLACEHOLDER(L) &&
				    !cl_valid_name(*name, 128))
					rc = cl_fail(L, v2, "%s: invalid name '%s'", fwhat, cl_shown(b, v2, *name));
			} else if (!strcmp(KEY(k2), "external")) {
				if (v2->type == YAML_MAPPING_NODE)
					rc = cl_fail(L, v2, "%s: write 'external: true' and 'name:' beside it", fwhat);
				else
					rc = cl_get_bool(L, v2, fwhat, external);
			} else if (!strcmp(KEY(k2), "driver")) {
				rc = cl_get_str(L, v2, fwhat, driver);
			} else if (!strcmp(KEY(k2), "internal") && internal) {
				rc = cl_get_bool(L, v2, fwhat, internal);
			} else if (!strcmp(KEY(k2), "labels")) {
				rc = cl_get_kv(L, v2, fwhat, "=", 0, labels, nlabels);
			} else if (!strncmp(KEY(k2), "x-", 2)) {
				rc = 0;
			} else {
				rc = cl_fail(L, k2, "unknown key '%s' in %s", cl_shown(b, k2, KEY(k2)), owhat);
			}
			if (rc < 0)
				return rc;
		}
		if (*external && (*driver || (internal && *internal) || *nlabels))
			return cl_fail(L, k, "%s: an external %s takes only 'name'", owhat, networks ? "network" : "volume");
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
	d->line = cl_line_of(k);
	if ((rc = cl_check_name(L, k, "x-dive.services", d->service)) < 0)
		return rc;
	snprintf(what, sizeof(what), "x-dive.services.%s", d->service);
	if ((rc = cl_check_map(L, v, what)) < 0)
		return rc;
	MAP_EACH(L, v, p, fk, fv) {
		char fwhat[WHAT_MAX + 260];

		snprintf(fwhat, sizeof(fwhat), "%s.%s", what, KEY(fk));
		if (!strcmp(KEY(fk), "timeout") || !strcmp(KEY(fk), "timeout_min") || !strcmp(KEY(fk), "timeout_max")) {
			long *t = !strcmp(KEY(fk), "timeout") ? &d->timeout_ms
				  : !strcmp(KEY(fk), "timeout_min") ? &d->timeout_min_ms : &d->timeout_max_ms;

			if ((rc = cl_get_duration(L, fv, fwhat, t)) == 0 && *t < 1000 && !PLACEHOLDER(L))
				rc = cl_fail(L, fv, "%s must be at least 1s", fwhat);
		} else if (!strcmp(KEY(fk), "probe")) {
			unsigned f;

			if ((rc = cl_value(L, fv, fwhat, 0, &d->probe, &f)) == 0 && !(f & INTERP_PLACEHOLDER) &&
			    strncmp(d->probe, "http://", 7) && strncmp(d->probe, "https://", 8) &&
			    strncmp(d->probe, "tcp://", 6))
				rc = cl_fail(L, fv, "%s: '%s' is not an http://, https:// or tcp:// address", fwhat,
					  cl_shown(b, fv, d->probe));
		} else if (!strcmp(KEY(fk), "unhealthy")) {
			char *s = NULL;

			if ((rc = cl_get_str(L, fv, fwhat, &s)) == 0) {
				if (!strcmp(s, "fail"))
					d->unhealthy = COMPOSE_UNHEALTHY_FAIL;
				else if (!strcmp(s, "tolerate"))
					d->unhealthy = COMPOSE_UNHEALTHY_TOLERATE;
				else
					rc = cl_fail(L, fv, "%s must be 'fail' or 'tolerate', not '%s'", fwhat, cl_shown(b, fv, s));
			}
			free(s);
		} else {
			rc = cl_fail(L, fk, "unknown key '%s' in %s", cl_shown(b, fk, KEY(fk)), what);
		}
		if (rc < 0)
			return rc;
	}
	if (d->timeout_min_ms && d->timeout_max_ms && d->timeout_min_ms > d->timeout_max_ms)
		return cl_fail(L, k, "%s: timeout_min is larger than timeout_max", what);
	return 0;
}

/* x-dive.federation: the hub's approval policy for spokes that register. */
static int parse_dive_federation(struct loader *L, yaml_node_t *n, struct compose_dive *d)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *raw;
	char b[80];
	int rc;

	if ((rc = cl_check_map(L, n, "x-dive.federation")) < 0)
		return rc;
	MAP_EACH(L, n, p, k, v) {
		if (strcmp(KEY(k), "approval"))
			return cl_fail(L, k, "unknown key '%s' in x-dive.federation (approval)", cl_shown(b, k, KEY(k)));
		if ((rc = cl_raw_text(L, v, "x-dive.federation.approval", &raw)) < 0)
			return rc;
		if (!strcmp(raw, "auto"))
			d->approval = COMPOSE_APPROVAL_AUTO;
		else if (!strcmp(raw, "manual"))
			d->approval = COMPOSE_APPROVAL_MANUAL;
		else
			return cl_fail(L, v, "x-dive.federation.approval is 'auto' or 'manual', not '%s'",
				       cl_shown(b, v, raw));
		d->approval_line = cl_line_of(v);
	}
	return 0;
}

/* x-dive: secrets first (interpolation needs them), then services. */
static int parse_dive(struct loader *L, yaml_node_t *n)
{
	struct compose_dive *d = &L->c->dive;
	yaml_node_pair_t *p, *p2;
	yaml_node_t *k, *v, *k2, *v2;
	yaml_node_item_t *it;
	char b[80];
	int rc;

	if ((rc = cl_check_map(L, n, "x-dive")) < 0)
		return rc;
	d->line = cl_line_of(n);
	MAP_EACH(L, n, p, k, v) {
		if (!strcmp(KEY(k), "secrets")) {
			if ((rc = cl_check_seq(L, v, "x-dive.secrets")) < 0)
				return rc;
			SEQ_EACH(L, v, it, k2) {
				const char *raw;
				size_t j;

				if ((rc = cl_raw_text(L, k2, "x-dive.secrets", &raw)) < 0)
					return rc;
				for (j = 0; raw[j]; j++)
					if (!(raw[j] == '_' || (raw[j] >= 'A' && raw[j] <= 'Z') ||
					      (raw[j] >= 'a' && raw[j] <= 'z') || (j && raw[j] >= '0' && raw[j] <= '9')))
						break;
				if (!j || raw[j] || j > INTERP_NAME_MAX)
					return cl_fail(L, k2, "x-dive.secrets: '%s' is not a variable name", cl_shown(b, k2, raw));
				d->secrets = xrealloc(d->secrets, (d->nsecrets + 1) * sizeof(*d->secrets));
				d->secrets[d->nsecrets++] = xstrdup(raw);
			}
		} else if (!strcmp(KEY(k), "federation")) {
			if ((rc = parse_dive_federation(L, v, d)) < 0)
				return rc;
		} else if (strcmp(KEY(k), "services")) {
			return cl_fail(L, k, "unknown key '%s' in x-dive (secrets, services, federation)", cl_shown(b, k, KEY(k)));
		}
	}
	MAP_EACH(L, n, p, k, v) {
		if (strcmp(KEY(k), "services"))
			continue;
		if ((rc = cl_check_map(L, v, "x-dive.services")) < 0)
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

	if ((rc = cl_get_str(L, v, "name", &L->c->name)) < 0)
		return rc;
	if (PLACEHOLDER(L))
		return 0;
	for (i = 0; L->c->name[i]; i++) {
		char c = L->c->name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i && (c == '-' || c == '_'))))
			break;
	}
	if (!i || L->c->name[i] || i > COMPOSE_NAME_MAX)
		return cl_fail(L, v, "name: invalid project name '%s' (lower-case letters, digits, '-' and '_')",
			    cl_shown(b, v, L->c->name));
	return 0;
}

/* x-dive.services names services of this file (once every service is read). */
static int link_dive_services(struct loader *L)
{
	struct compose *c = L->c;
	size_t i;

	for (i = 0; i < c->dive.nservices; i++) {
		struct compose_dive_service *d = &c->dive.services[i];
		int idx = compose_service_index(c, d->service);

		if (idx < 0)
			return cl_fail_at(L, d->line, "x-dive.services: '%s' is not a service of this file", d->service);
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
		return cl_fail(L, root, "a stack file must be a map with 'services:', not %s", cl_kind_name(root));
	if ((rc = cl_check_map(L, root, "the top level")) < 0)
		return rc;
	/*
	 * x-dive first: the secrets it declares apply to every value; then
	 * networks and volumes, so a service's reference to one is checked
	 * where it is written.
	 */
	MAP_EACH(L, root, p, k, v)
		if (!strcmp(KEY(k), "x-dive") && (rc = parse_dive(L, v)) < 0)
			return rc;
	MAP_EACH(L, root, p, k, v) {
		if (!strcmp(KEY(k), "networks") && !cl_is_null(v) && (rc = parse_objects(L, v, "networks", 1)) < 0)
			return rc;
		if (!strcmp(KEY(k), "volumes") && !cl_is_null(v) && (rc = parse_objects(L, v, "volumes", 0)) < 0)
			return rc;
	}
	MAP_EACH(L, root, p, k, v) {
		const char *key = KEY(k);

		if (!strcmp(key, "services")) {
			services = v;
			rc = parse_services(L, v);
		} else if (!strcmp(key, "networks") || !strcmp(key, "volumes")) {
			rc = 0;
		} else if (!strcmp(key, "name")) {
			rc = parse_project_name(L, v);
		} else if (!strcmp(key, "version")) {
			const char *raw;

			rc = cl_raw_text(L, v, "version", &raw); /* obsolete; accepted and ignored */
		} else if (!strncmp(key, "x-", 2)) {
			rc = 0;
		} else if (!strcmp(key, "secrets") || !strcmp(key, "configs") || !strcmp(key, "include") ||
			   !strcmp(key, "models")) {
			rc = cl_fail(L, k, "top-level key '%s' is not supported by dive", key);
		} else {
			rc = cl_fail(L, k, "unknown top-level key '%s'", cl_shown(b, k, key));
		}
		if (rc < 0)
			return rc;
	}
	if (!services)
		return cl_fail(L, root, "no 'services:' in the stack file");
	return link_dive_services(L);
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
		return cl_fail_at(L, 1, "out of memory while reading YAML");
	}
	if (y->context)
		snprintf(ctx, sizeof(ctx), " (%s)", y->context);
	return cl_fail_at(L, line, "invalid YAML: %s%s", y->problem ? y->problem : "unknown error", ctx);
}

/* First pass: depth and the number of documents, without building anything. */
static int precheck(struct loader *L, const unsigned char *text, size_t len, int *docs_out)
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
				rc = cl_fail_at(L, (int)ev.start_mark.line + 1, "nested deeper than %d levels",
					     COMPOSE_DEPTH_MAX);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = cl_fail_at(L, (int)ev.start_mark.line + 1, "more than one YAML document");
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
	*docs_out = docs;
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

int cl_load_document(struct loader *L, const char *text, size_t len, size_t max, int empty_ok, yaml_node_t **root)
{
	yaml_parser_t y;
	int rc, docs = 0;

	*root = NULL;
	if (len > max) {
		rc = dive_error_set(DIVE_ETOOBIG, "%s: larger than %zu bytes", L->path, max);
		dive_error_set_code(ERRC_COMPOSE_PARSE);
		return rc;
	}
	if (memchr(text, '\0', len))
		return cl_fail_at(L, 1, "the file contains a NUL byte");
	if ((rc = precheck(L, (const unsigned char *)text, len, &docs)) < 0)
		return rc;
	if (docs == 0) {
		if (empty_ok)
			return 0;
		return cl_fail_at(L, 1, "the stack file is empty");
	}
	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	if (!yaml_parser_load(&y, &L->doc)) {
		rc = yaml_problem(L, &y, (const unsigned char *)text, len);
		yaml_parser_delete(&y);
		return rc;
	}
	yaml_parser_delete(&y);
	L->have_doc = 1;
	*root = yaml_document_get_root_node(&L->doc);
	if (!*root && !empty_ok)
		return cl_fail_at(L, 1, "the stack file is empty");
	return 0;
}

int compose_load_string(struct compose **out, const char *name, const char *text, size_t len,
			const struct interp_env *env)
{
	struct loader L;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.path = name;
	L.user = env;
	L.c = xcalloc(1, sizeof(*L.c));
	L.c->path = xstrdup(name);
	L.c->dir = dir_of(name);
	L.env.lookup = cl_loader_lookup;
	L.env.data = &L;
	L.env.flags = env ? env->flags : 0;

	if ((rc = cl_load_document(&L, text, len, COMPOSE_FILE_MAX, 0, &root)) < 0)
		goto out;
	if ((rc = cl_merge_keys(&L)) == 0)
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
	cl_argv_release(&s->command);
	cl_argv_release(&s->entrypoint);
	for (i = 0; i < s->nenvironment; i++) {
		free(s->environment[i].name);
		if (s->environment[i].secret)
			cl_wipe_free(s->environment[i].value);
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
	cl_argv_release(&s->healthcheck.test);
	free(s->restart);
	kv_free(s->labels, s->nlabels);
	free(s->user);
	kv_free(s->extra_hosts, s->nextra_hosts);
	free(s->working_dir);
	strv_free(s->profiles, s->nprofiles);
	for (i = 0; i < s->nulimits; i++)
		free(s->ulimits[i].name);
	free(s->ulimits);
	free(s->logging.driver);
	kv_free(s->logging.options, s->logging.noptions);
	strv_free(s->cap_add, s->ncap_add);
	strv_free(s->cap_drop, s->ncap_drop);
	kv_free(s->sysctls, s->nsysctls);
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

