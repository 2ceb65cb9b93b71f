/*
 * apply.h - a stack file made real on a Docker engine, idempotently.
 *
 * Every engine object dive creates carries its labels (DESIGN §1, §9):
 *   dive.project   dive-hub, dive-spoke-deu
 *   dive.instance  USA, DEU
 *   dive.service   the compose service key
 *   dive.run       the run that created it
 *   dive.config-hash  compose_config_hash() of the service
 * and, on containers, Compose's own labels beside them, so `docker compose
 * ls/ps/logs -p PROJECT` show dive's stacks to operators who reach for
 * them: com.docker.compose.project, .service, .container-number (1),
 * .oneoff (False), .config-hash (the same hash).  They are for reading
 * only: dive never reads them back, its dive.* labels stay the source, and
 * a stack file may not set either kind itself.
 * apply_ensure() keeps a container whose hash is unchanged (starting it if
 * stopped), recreates one whose hash changed, and creates a missing one;
 * apply_down() removes only objects with the project's label.  Production
 * image names are mapped to local images (images_map) when one exists.
 */
#ifndef DIVE_APPLY_H
#define DIVE_APPLY_H

#include <cjson/cJSON.h>

#include "dive/compose.h"
#include "dive/docker.h"
#include "dive/sched.h"

struct apply {
	struct docker *docker;
	const struct compose *compose;
	char project[64];
	char instance[4];
	long long run_id;
	int images_as_written;   /* images.profile real (instance.h): no mapping to local images */
	/* events */
	struct sched *sched;
	volatile int events_stop;
	int events_running;
	void *events_thread;     /* pthread_t, opaque here */
	char since[40];
	/* when set, events ask this instead of apply_health (deploy's recovery) */
	int (*health_hook)(void *arg, int i, enum sched_health *out, int *exit_code);
	/* the scheduler's index of compose service i (NULL: the same) */
	int (*sched_index)(void *arg, int i);
	void *hook_arg;
};

int apply_init(struct apply *a, struct docker *d, const struct compose *c, const char *project,
	       const char *instance, long long run_id);

/* Container name of service i. */
void apply_container_name(const struct apply *a, int i, char *out, size_t n);
/* The image to run for service i (mapped to a local one when it exists, unless images_as_written). */
const char *apply_image(const struct apply *a, int i);

/* Networks (external ones must exist; "dive-shared" is created) and volumes. */
int apply_networks(struct apply *a, cJSON **detail);
int apply_volumes(struct apply *a, cJSON **detail);

/*
 * Create-or-keep and start service i.  *detail: {"container": id,
 * "created": bool, "recreated": bool, "hash": ...}.  *created is 1 when a
 * new container was made (kept: 0).
 */
int apply_ensure(struct apply *a, int i, cJSON **detail, int *created);

/* Health of service i from inspect, and its x-dive probe when set. */
int apply_health(struct apply *a, int i, enum sched_health *out, int *exit_code);

/* Docker health events for the project, fed to s (a thread). */
int apply_events_start(struct apply *a, struct sched *s);
void apply_events_stop(struct apply *a);

/* Remove one container by id (missing is fine). */
int apply_remove(struct apply *a, const char *id);

/* Containers of the project: [{service, name, id, state, health, hash}]. */
int apply_status(struct docker *d, cJSON **out, const char *project);

/*
 * Remove every container of the project (and its networks that are not
 * external; its volumes too when volumes is set).  *removed lists what went.
 * dry_run: list only.
 */
int apply_down(struct docker *d, const char *project, int volumes, int dry_run, cJSON **removed);

#endif
