/* options.c - the global option table and option value lookup. */
#include <string.h>

#include "dive/cli.h"

const struct dive_opt dive_global_opts[] = {
	{ "json", 0, DIVE_OPT_BOOL, NULL, "print one JSON document on stdout", 0, 0 },
	{ "dry-run", 'n', DIVE_OPT_BOOL, NULL, "show the plan and change nothing", 0, 0 },
	{ "verbose", 'v', DIVE_OPT_BOOL, NULL, "more detail on stderr (repeat for debug)", 0, 0 },
	{ "quiet", 'q', DIVE_OPT_BOOL, NULL, "errors only", 0, 0 },
	{ "state-url", 0, DIVE_OPT_STRING, "URL", "state store (PostgreSQL URI); env DIVE_STATE_URL", 0, 0 },
	{ "docker-host", 0, DIVE_OPT_STRING, "URL", "Docker engine; env DOCKER_HOST, default unix:///var/run/docker.sock", 0, 0 },
	{ "instances-dir", 0, DIVE_OPT_STRING, "DIR", "instance configuration; env DIVE_INSTANCES_DIR, default ./instances", 0, 0 },
	{ "no-color", 0, DIVE_OPT_BOOL, NULL, "no colour (also NO_COLOR)", 0, 0 },
	{ "help", 'h', DIVE_OPT_BOOL, NULL, "help for the command named before it", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, 0, 0 },
};

static int opt_index(const struct dive_inv *inv, const char *name)
{
	const struct dive_opt *o = inv->verb ? inv->verb->opts : NULL;
	int i;

	for (i = 0; o && o[i].name; i++)
		if (!strcmp(o[i].name, name))
			return i;
	return -1;
}

int dive_opt_given(const struct dive_inv *inv, const char *name)
{
	int i = opt_index(inv, name);

	return i >= 0 && inv->opt[i].set;
}

long dive_opt_int(const struct dive_inv *inv, const char *name, long def)
{
	int i = opt_index(inv, name);

	return i >= 0 && inv->opt[i].set ? inv->opt[i].num : def;
}

const char *dive_opt_str(const struct dive_inv *inv, const char *name, const char *def)
{
	int i = opt_index(inv, name);

	return i >= 0 && inv->opt[i].set ? inv->opt[i].str : def;
}
