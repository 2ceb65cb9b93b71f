/* help.c - help text generated from the command rows (see cli.h). */
#include <string.h>

#include "dive/cli.h"

static void print_opts(FILE *f, const struct dive_opt *o)
{
	char left[64];

	for (; o && o->name; o++) {
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
}

void dive_help_usage_line(FILE *f, const struct dive_group *g, const struct dive_verb *v)
{
	fprintf(f, "usage: dive %s%s%s%s%s%s\n", g->name, g->leaf ? "" : " ", g->leaf ? "" : v->name,
		v->usage && *v->usage ? " " : "", v->usage ? v->usage : "", v->opts ? " [options]" : "");
}

void dive_help_top(FILE *f, const struct dive_group *groups)
{
	const struct dive_group *g;
	const struct dive_verb *v;

	fprintf(f, "usage: dive [global options] <command> [<verb>] [arguments]\n\n");
	fprintf(f, "dive deploys and audits the DIVE V3 hub and its spokes.\n\ncommands:\n");
	for (g = groups; g->name; g++) {
		fprintf(f, "  %-12s %s", g->name, g->summary);
		if (g->verbs) {
			fprintf(f, " (");
			for (v = g->verbs; v->name; v++)
				fprintf(f, "%s%s", v == g->verbs ? "" : ", ", v->name);
			fprintf(f, ")");
		}
		fputc('\n', f);
	}
	fprintf(f, "\nglobal options:\n");
	print_opts(f, dive_global_opts);
	fprintf(f, "\n'dive <command> --help' lists the verbs of a command; "
		   "exit codes are listed in docs/exit-codes.md\n");
}

void dive_help_group(FILE *f, const struct dive_group *g)
{
	const struct dive_verb *v;
	char left[64];

	if (g->leaf) {
		dive_help_verb(f, g, g->leaf);
		return;
	}
	fprintf(f, "usage: dive %s <verb> [arguments]\n\n%s\n\nverbs:\n", g->name, g->summary);
	for (v = g->verbs; v->name; v++) {
		snprintf(left, sizeof(left), "%s%s%s", v->name, v->usage ? " " : "", v->usage ? v->usage : "");
		fprintf(f, "  %-30s %s%s\n", left, v->summary, v->fn ? "" : " [not implemented yet]");
	}
	fprintf(f, "\n'dive %s <verb> --help' for the options of a verb\n", g->name);
}

void dive_help_verb(FILE *f, const struct dive_group *g, const struct dive_verb *v)
{
	dive_help_usage_line(f, g, v);
	fprintf(f, "\n%s%s\n", v->summary, v->fn ? "" : " [not implemented yet]");
	if (v->flags) {
		fprintf(f, "\n");
		if (v->flags & DIVE_NEEDS_STATE)
			fprintf(f, "needs the state store (--state-url)\n");
		if (v->flags & DIVE_NEEDS_DOCKER)
			fprintf(f, "needs the Docker engine (--docker-host)\n");
		if (v->flags & DIVE_TAKES_LOCK)
			fprintf(f, "takes the instance lock\n");
		if (v->flags & DIVE_DRY_RUN)
			fprintf(f, "honours --dry-run\n");
		if (v->flags & DIVE_DESTRUCTIVE)
			fprintf(f, "removes things: asks on a terminal, needs --yes otherwise\n");
	}
	if (v->opts) {
		fprintf(f, "\noptions:\n");
		print_opts(f, v->opts);
	}
	fprintf(f, "\nglobal options: see 'dive --help'\n");
}
