/* deploy_preflight.c - preflight checks and the initialization phase (see deploy_priv.h). */
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_priv.h"
#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/image_copy.h"
#include "dive/error.h"
#include "dive/xalloc.h"

#define DISK_MIN_BYTES (1ULL << 30)

/* --- preflight ----------------------------------------------------------------- */

static int port_free(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok, one = 1;

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* On a remote engine: a port is taken when something answers on it at the engine's address. */
static int port_free_at(const char *host, int port)
{
	struct addrinfo hints, *ai = NULL;
	char service[16];
	int fd, ok = 1, flags;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &ai) != 0 || !ai)
		return 1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (flags = fcntl(fd, F_GETFL)) >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0) {
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen), err = 0;
		socklen_t len = sizeof(err);
		struct pollfd pfd = { fd, POLLOUT, 0 };

		if (rc == 0)
			ok = 0;
		else if (errno == EINPROGRESS && poll(&pfd, 1, 1000) == 1 &&
			 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			ok = 0;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return ok;
}

/* Host ports our own containers publish (they may hold them). */
static int ours_publishes(cJSON *ours, int port)
{
	const cJSON *c, *p;

	cJSON_ArrayForEach(c, ours)
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(c, "Ports")) {
			const cJSON *pub = cJSON_GetObjectItem(p, "PublicPort");

			if (cJSON_IsNumber(pub) && pub->valueint == port)
				return 1;
		}
	return 0;
}

static int check_ports(struct deploy *d)
{
	char proj[96];
	const char *labels[2] = { proj, NULL };
	cJSON *ours = NULL;
	size_t i, k;
	int rc;

	snprintf(proj, sizeof(proj), "dive.project=%s", d->project);
	if ((rc = docker_container_list(d->docker, &ours, labels)) < 0)
		return rc;
	for (i = 0; i < d->compose->nservices && rc == 0; i++)
		for (k = 0; k < d->compose->services[i].nports && rc == 0; k++) {
			int port = d->compose->services[i].ports[k].host_port;

			if (port <= 0 || ours_publishes(ours, port) ||
			    (d->engine_remote ? port_free_at(d->engine_host, port) : port_free(port)))
				continue;
			rc = dive_error_set(DIVE_EUSAGE, "port %d (%s of %s) is in use by another program on %s", port,
					    d->compose->services[i].name, d->project, d->engine_host);
			dive_error_set_code(ERRC_PORT_IN_USE);
		}
	cJSON_Delete(ours);
	return rc;
}

static int check_disk(struct deploy *d)
{
	struct statvfs sv;
	const char *where = access("/var/lib/docker", F_OK) == 0 ? "/var/lib/docker" : "/";

	if (statvfs(where, &sv) < 0)
		return 0;
	if ((unsigned long long)sv.f_bavail * sv.f_frsize < DISK_MIN_BYTES) {
		dive_error_set(DIVE_EUSAGE, "less than 1 GiB free under %s", where);
		dive_error_set_code(ERRC_DISK_SPACE_LOW);
		return DIVE_EUSAGE;
	}
	return 0;
}

static int check_images(struct deploy *d)
{
	size_t i;

	for (i = 0; i < d->graph->n; i++) {
		int idx = compose_service_index(d->compose, d->graph->nodes[i].svc->name);
		const char *img = apply_image(&d->apply, idx);
		cJSON *info = NULL;
		int rc = docker_image_inspect(d->docker, &info, img);

		cJSON_Delete(info);
		if (rc == DIVE_ENOTFOUND && d->engine_remote) {
			struct docker *local = NULL;

			/* the initialization phase copies it from the local engine (image_copy.h) */
			rc = deploy_local_docker(d, &local);
			if (rc == 0)
				rc = docker_image_inspect(local, &info, img);
			cJSON_Delete(info);
			info = NULL;
			docker_close(local);
			if (rc == 0)
				continue;
		}
		if (rc == DIVE_ENOTFOUND) {
			dive_error_set(DIVE_EUSAGE, "image '%s' for service '%s' is missing on engine '%s': run 'dive images build'%s",
				       img, d->graph->nodes[i].svc->name, d->engine, d->engine_remote ? " here" : "");
			dive_error_set_code(ERRC_IMAGE_MISSING);
			return DIVE_EUSAGE;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_hub(struct deploy *d)
{
	cJSON *list = NULL, *c;
	int rc, keycloak = 0, healthy = 0;

	if (d->o->kind == STACK_HUB)
		return 0;
	if (d->engine_remote) {
		struct docker *local = NULL;

		/* the hub runs on the local engine, whatever engine the spoke is placed on */
		rc = deploy_local_docker(d, &local);
		if (rc == 0)
			rc = apply_status(local, &list, "dive-hub");
		docker_close(local);
	} else {
		rc = apply_status(d->docker, &list, "dive-hub");
	}
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(c, list) {
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItem(c, "service"));
		const char *health = cJSON_GetStringValue(cJSON_GetObjectItem(c, "health"));

		if (svc && !strcmp(svc, "keycloak")) {
			keycloak = 1;
			healthy = health && !strcmp(health, "healthy");
		}
	}
	cJSON_Delete(list);
	if (!keycloak) {
		dive_error_set(DIVE_EUSAGE, "the hub is not deployed: run 'dive hub up' first");
		dive_error_set_code(ERRC_HUB_NOT_FOUND);
		return DIVE_EUSAGE;
	}
	if (!healthy) {
		dive_error_set(DIVE_EUNHEALTHY, "the hub's Keycloak is not healthy: see 'dive hub status'");
		dive_error_set_code(ERRC_HUB_UNHEALTHY);
		return DIVE_EUNHEALTHY;
	}
	return 0;
}

int deploy_preflight_checks(struct deploy *d)
{
	int rc;

	/* through the breaker docker:local: an engine that keeps failing fails the next deploys fast (exit 7) */
	if ((rc = engines_connect(d->docker, d->store && d->store->ready ? d->store : NULL, d->engine_remote ? d->engine : NULL, NULL)) < 0) {
		if (rc != DIVE_ECIRCUIT)
			dive_error_set_code(ERRC_DOCKER_UNREACHABLE);
		return rc;
	}
	if ((rc = deploy_load(d, 0)) < 0)
		return rc;
	if ((rc = check_images(d)) < 0 || (rc = check_ports(d)) < 0 || (rc = check_disk(d)) < 0 ||
	    (rc = check_hub(d)) < 0)
		return rc;
	/* up starts an initialised instance: its secrets must all be there already */
	if (!d->generate_secrets && (rc = deploy_load_secrets(d, 0, NULL)) < 0)
		return rc;
	return 0;
}

static int do_bootstrap_note(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;

	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "store", "hub postgres");
	cJSON_AddNumberToObject(*detail, "port", d->ports.postgres);
	return 0;
}

int deploy_phase_preflight(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	int rc;

	if (d->o->bootstrapped &&
	    (rc = pipeline_step(p, "postgres", "bootstrap-state-store", do_bootstrap_note, d, NULL)) < 0)
		return rc;
	if ((rc = deploy_preflight_checks(d)) < 0)
		return rc;
	pipeline_note(p, "%s: %zu services, %d levels", d->project, d->graph->n, d->graph->nlevels);
	return 0;
}

/* --- initialization -------------------------------------------------------------- */

static int do_secrets(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;
	cJSON *gen = cJSON_CreateArray();
	int rc = deploy_load_secrets(d, d->generate_secrets, gen);

	*detail = cJSON_CreateObject();
	cJSON_AddItemToObject(*detail, "generated", gen); /* names only, never values */
	return rc;
}

static int do_networks(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;

	return apply_networks(&d->apply, detail);
}

static int do_volumes(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;

	return apply_volumes(&d->apply, detail);
}

/* Where the instance now lives (dive.instances.engine): remembered for status, down and the next deploy. */
static int do_place(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;
	int rc;

	pthread_mutex_lock(&d->store_mu);
	rc = engine_store_place(d->store, d->o->country->code, d->engine);
	pthread_mutex_unlock(&d->store_mu);
	*detail = cJSON_CreateObject();
	cJSON_AddStringToObject(*detail, "engine", d->engine);
	cJSON_AddStringToObject(*detail, "address", d->engine_host);
	return rc;
}

/* The images a remote engine lacks, from the local engine (compared by id: an image it has is not sent). */
static int do_images(struct pipeline *p, void *arg, cJSON **detail)
{
	struct deploy *d = arg;
	struct image_copy_opts co;
	struct docker *local = NULL;
	cJSON *copied = cJSON_CreateArray();
	size_t i;
	int rc = deploy_local_docker(d, &local);

	*detail = cJSON_CreateObject();
	cJSON_AddItemToObject(*detail, "copied", copied);
	memset(&co, 0, sizeof(co));
	co.from = local;
	co.to = d->docker;
	co.from_name = ENGINE_LOCAL;
	co.to_name = d->engine;
	for (i = 0; rc == 0 && i < d->graph->n; i++) {
		int idx = compose_service_index(d->compose, d->graph->nodes[i].svc->name);
		const char *img = apply_image(&d->apply, idx);
		struct image_copy_result r;
		const cJSON *seen;
		int dup = 0;

		cJSON_ArrayForEach(seen, copied)
			dup |= !strcmp(seen->valuestring, img);
		if (dup)
			continue;
		if ((rc = image_copy(&r, &co, img)) == 0 && r.copied)
			cJSON_AddItemToArray(copied, cJSON_CreateString(img));
	}
	docker_close(local);
	return rc;
}

int deploy_phase_initialization(struct pipeline *p, void *user)
{
	struct deploy *d = deploy_enter(p, user);
	int rc;

	if (d->o->kind == STACK_SPOKE && (rc = pipeline_step(p, "", "placement", pipeline_dry_run(p) ? NULL : do_place, d,
							      NULL)) < 0)
		return rc;
	if (d->engine_remote && (rc = pipeline_step(p, "", "images", pipeline_dry_run(p) ? NULL : do_images, d, NULL)) < 0)
		return rc;

	if ((rc = pipeline_step(p, "", "secrets", do_secrets, d, NULL)) < 0)
		return rc;
	if (!pipeline_dry_run(p) && (rc = deploy_load(d, 1)) < 0)
		return rc;
	if ((rc = pipeline_step(p, "", "networks", do_networks, d, NULL)) < 0)
		return rc;
	return pipeline_step(p, "", "volumes", do_volumes, d, NULL);
}

int deploy_undo_networks(struct pipeline *p, const char *service, const cJSON *detail, void *user)
{
	struct deploy *d = user;
	const cJSON *n;

	cJSON_ArrayForEach(n, cJSON_GetObjectItem(detail, "networks"))
		if (cJSON_IsString(n))
			docker_network_remove(d->docker, n->valuestring, DOCKER_REMOVE_IGNORE_MISSING);
	return 0;
}
