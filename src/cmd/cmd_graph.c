/* cmd_graph.c - `dive graph ...`: the dependency graph of a stack file. */
#include "cmd.h"

static const struct dive_opt graph_opts[] = {
	{ "file", 'f', DIVE_OPT_STRING, "PATH", "any compose file instead of the hub or a spoke", 0, 0 },
	{ "mermaid", 0, DIVE_OPT_BOOL, NULL, "print a Mermaid flowchart", 0, 0 },
	{ "dot", 0, DIVE_OPT_BOOL, NULL, "print Graphviz dot", 0, 0 },
	DIVE_OPT_END,
};

const struct dive_verb cmd_graph_verb = {
	"graph", NULL, 0, 2, 0, graph_opts, "[hub | spoke CODE]",
	"services, dependencies, levels and timeouts; cycles are reported with their path", 5
};
