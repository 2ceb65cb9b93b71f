/* options.c - the global option table and option value lookup. */
#include <string.h>

#include "dive/cli.h"

const struct dive_opt dive_global_opts[] = {
	{ .name = "json", .type = DIVE_OPT_BOOL, .help = "print one JSON document on stdout" },
	{ .name = "dry-run", .short_name = 'n', .type = DIVE_OPT_BOOL, .help = "show the plan and change nothing" },
	{ .name = "verbose", .short_name = 'v', .type = DIVE_OPT_BOOL, .help = "more detail on stderr (repeat for debug)" },
	{ .name = "quiet", .short_name = 'q', .type = DIVE_OPT_BOOL, .help = "errors only" },
	{ .name = "state-url", .type = DIVE_OPT_STRING, .arg = "URL",
	  .help = "state store (PostgreSQL URI); env DIVE_STATE_URL" },
	{ .name = "docker-host", .type = DIVE_OPT_STRING, .arg = "URL",
	  .help = "Docker engine; env DOCKER_HOST, default unix:///var/run/docker.sock" },
	{ .name = "instances-dir", .type = DIVE_OPT_STRING, .arg = "DIR",
	  .help = "instance configuration; env DIVE_INSTANCES_DIR, default ./instances" },
	{ .name = "no-color", .type = DIVE_OPT_BOOL, .help = "no colour (also NO_COLOR)" },
	{ .name = "help", .short_name = 'h', .type = DIVE_OPT_BOOL, .help = "help for the command named before it" },
	{ .name = NULL },
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
