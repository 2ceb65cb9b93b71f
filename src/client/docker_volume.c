/* docker_volume.c - volumes: create, inspect, list, remove (see docker.h). */
#include <stdlib.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

int docker_volume_create(struct docker *d, cJSON **out, const char *name, const cJSON *labels)
{
	struct docker_op op = { 0 };
	cJSON *body, *doc = NULL;
	char *what;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = docker_check_name("volume name", name)) < 0)
		return rc;
	if (labels && !cJSON_IsObject(labels))
		return dive_error_set(DIVE_EUSAGE, "labels for volume '%s' are not an object", name);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Name", name);
	cJSON_AddStringToObject(body, "Driver", "local");
	if (labels)
		cJSON_AddItemToObject(body, "Labels", cJSON_Duplicate(labels, 1));
	what = xasprintf("create volume '%s'", name);
	op.method = "POST";
	op.path = "/volumes/create";
	op.json = body;
	op.what = what;
	op.code_fail = ERRC_VOLUME_CREATE;
	rc = docker_op_run(d, &doc, &op);
	if (rc == 0 && !cJSON_IsObject(doc))
		rc = dive_error_set(DIVE_EFAIL, "docker created volume '%s' but returned no description", name);
	if (rc == 0 && out) {
		*out = doc;
		doc = NULL;
	}
	cJSON_Delete(doc);
	cJSON_Delete(body);
	free(what);
	return rc;
}

int docker_volume_inspect(struct docker *d, cJSON **out, const char *name)
{
	return docker_inspect(d, out, DOCKER_VOLUME, name);
}

int docker_volume_list(struct docker *d, cJSON **out, const char *const *labels)
{
	return docker_list_labels(d, out, "/volumes", "Volumes", labels, "list volumes");
}

int docker_volume_remove(struct docker *d, const char *name, int flags)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	if ((rc = docker_check_name("volume", name)) < 0)
		return rc;
	path = xasprintf("/volumes/%s%s", name, (flags & DOCKER_REMOVE_FORCE) ? "?force=1" : "");
	what = xasprintf("remove volume '%s'", name);
	op.method = "DELETE";
	op.path = path;
	op.what = what;
	op.ignore_missing = !!(flags & DOCKER_REMOVE_IGNORE_MISSING);
	rc = docker_op_run(d, NULL, &op);
	free(path);
	free(what);
	return rc;
}
