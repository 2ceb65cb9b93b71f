/* docker_network.c - networks: create, connect, list, inspect, remove (see docker.h). */
#include <stdlib.h>
#include <string.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

int docker_network_create(struct docker *d, char **out_id, const char *name, const cJSON *spec)
{
	struct docker_op op = { 0 };
	cJSON *body = NULL, *doc = NULL, *id;
	char *what = NULL;
	int rc;

	*out_id = NULL;
	if ((rc = docker_check_name("network name", name)) < 0)
		return rc;
	if (spec && !cJSON_IsObject(spec))
		return dive_error_set(DIVE_EUSAGE, "network spec for '%s' is not an object", name);
	body = spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(body, "Name");
	cJSON_DeleteItemFromObjectCaseSensitive(body, "CheckDuplicate");
	cJSON_AddStringToObject(body, "Name", name);
	/* the engine does not refuse a second network of the same name unless asked */
	cJSON_AddTrueToObject(body, "CheckDuplicate");
	if (!cJSON_GetObjectItemCaseSensitive(body, "Driver"))
		cJSON_AddStringToObject(body, "Driver", "bridge");

	what = xasprintf("create network '%s'", name);
	op.method = "POST";
	op.path = "/networks/create";
	op.json = body;
	op.what = what;
	op.code_fail = ERRC_NETWORK_SETUP;
	rc = docker_op_run(d, &doc, &op);
	if (rc == 0) {
		id = cJSON_GetObjectItemCaseSensitive(doc, "Id");
		if (!cJSON_IsString(id))
			rc = dive_error_set(DIVE_EFAIL, "docker created network '%s' but returned no id", name);
		else
			*out_id = xstrdup(id->valuestring);
	}
	cJSON_Delete(doc);
	cJSON_Delete(body);
	free(what);
	return rc;
}

/* POST /networks/{net}/connect or /disconnect with body. */
static int network_post(struct docker *d, const char *net, const char *container, const char *verb,
			const cJSON *body, int conflict_403)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	path = xasprintf("/networks/%s/%s", net, verb);
	what = xasprintf("%s container '%s' %s network '%s'", verb, container,
			 strcmp(verb, "connect") ? "from" : "to", net);
	op.method = "POST";
	op.path = path;
	op.json = body;
	op.what = what;
	op.conflict_403 = conflict_403;
	op.code_fail = ERRC_NETWORK_SETUP;
	rc = docker_op_run(d, NULL, &op);
	free(path);
	free(what);
	return rc;
}

int docker_network_connect(struct docker *d, const char *network, const char *container,
			   const char *const *aliases)
{
	cJSON *body, *ep;
	size_t i;
	int rc;

	if ((rc = docker_check_name("network", network)) < 0 || (rc = docker_check_name("container", container)) < 0)
		return rc;
	for (i = 0; aliases && aliases[i]; i++)
		if ((rc = docker_check_name("network alias", aliases[i])) < 0)
			return rc;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Container", container);
	ep = cJSON_AddObjectToObject(body, "EndpointConfig");
	if (aliases && *aliases)
		cJSON_AddItemToObject(ep, "Aliases", docker_json_strings(aliases));
	/* API 1.41 answers "endpoint ... already exists in network" with 403 */
	rc = network_post(d, network, container, "connect", body, 1);
	cJSON_Delete(body);
	return rc;
}

int docker_network_disconnect(struct docker *d, const char *network, const char *container, int force)
{
	cJSON *body;
	int rc;

	if ((rc = docker_check_name("network", network)) < 0 || (rc = docker_check_name("container", container)) < 0)
		return rc;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Container", container);
	cJSON_AddBoolToObject(body, "Force", force ? 1 : 0);
	rc = network_post(d, network, container, "disconnect", body, 0);
	cJSON_Delete(body);
	return rc;
}

int docker_network_inspect(struct docker *d, cJSON **out, const char *network)
{
	return docker_inspect(d, out, DOCKER_NETWORK, network);
}

int docker_network_list(struct docker *d, cJSON **out, const char *const *labels)
{
	return docker_list_labels(d, out, "/networks", NULL, labels, "list networks");
}

int docker_network_remove(struct docker *d, const char *network, int flags)
{
	struct docker_op op = { 0 };
	char *path, *what;
	int rc;

	if ((rc = docker_check_name("network", network)) < 0)
		return rc;
	path = xasprintf("/networks/%s", network);
	what = xasprintf("remove network '%s'", network);
	op.method = "DELETE";
	op.path = path;
	op.what = what;
	op.conflict_403 = 1; /* "has active endpoints" */
	op.ignore_missing = !!(flags & DOCKER_REMOVE_IGNORE_MISSING);
	rc = docker_op_run(d, NULL, &op);
	free(path);
	free(what);
	return rc;
}
