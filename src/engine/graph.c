/* graph.c - the dependency graph of a stack file (see graph.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/buf.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/graph.h"
#include "dive/xalloc.h"

enum { WHITE, GREY, BLACK };

struct builder {
	const struct compose *c;
	struct graph *g;
	int *color;
	size_t *stack;
	size_t depth;
};

static int is_active(const struct compose_service *s, const char *const *profiles)
{
	size_t i, j;

	if (s->nprofiles == 0)
		return 1;
	for (i = 0; i < s->nprofiles; i++)
		for (j = 0; profiles && profiles[j]; j++)
			if (!strcmp(s->profiles[i], profiles[j]))
				return 1;
	return 0;
}

static int undefined(const struct compose *c, const struct compose_service *s, const struct compose_dep *d,
		     const struct compose_service *target)
{
	int rc;

	if (target)
		rc = dive_error_set(DIVE_EUSAGE, "%s:%d: service '%s' depends on '%s', which is only in profile '%s' "
				    "(not active)", c->path, d->line, s->name, d->service, target->profiles[0]);
	else
		rc = dive_error_set(DIVE_EUSAGE, "%s:%d: service '%s' depends on '%s', which is not defined",
				    c->path, d->line, s->name, d->service);
	dive_error_set_code(ERRC_DEPENDENCY_UNDEFINED);
	return rc;
}

static int cycle(struct builder *b, const struct graph_dep *d)
{
	struct dive_buf path;
	size_t i = 0;
	int rc;

	while (i < b->depth && b->stack[i] != d->node)
		i++;
	dive_buf_init(&path, 4096);
	for (; i < b->depth; i++)
		dive_buf_printf(&path, "%s -> ", b->g->nodes[b->stack[i]].svc->name);
	dive_buf_adds(&path, b->g->nodes[d->node].svc->name);
	rc = dive_error_set(DIVE_EUSAGE, "%s:%d: dependency cycle: %s", b->c->path, d->line, dive_buf_str(&path));
	dive_error_set_code(ERRC_DEPENDENCY_CYCLE);
	dive_buf_release(&path);
	return rc;
}

static int dfs(struct builder *b, size_t u)
{
	struct graph_node *n = &b->g->nodes[u];
	size_t i;
	int rc;

	b->color[u] = GREY;
	b->stack[b->depth++] = u;
	for (i = 0; i < n->ndeps; i++) {
		size_t v = n->deps[i].node;

		if (b->color[v] == GREY)
			return cycle(b, &n->deps[i]);
		if (b->color[v] == WHITE && (rc = dfs(b, v)) < 0)
			return rc;
	}
	b->color[u] = BLACK;
	b->depth--;
	return 0;
}

/* Kahn's algorithm, always taking the first ready node in file order: a stable order. */
static void order_and_levels(struct graph *g)
{
	char *placed = xcalloc(g->n + 1, 1);
	size_t k, i, j;

	for (k = 0; k < g->n; k++) {
		for (i = 0; i < g->n; i++) {
			int ready = !placed[i], level = 0;

			for (j = 0; ready && j < g->nodes[i].ndeps; j++) {
				const struct graph_node *d = &g->nodes[g->nodes[i].deps[j].node];

				if (!placed[g->nodes[i].deps[j].node])
					ready = 0;
				else if (d->level + 1 > level)
					level = d->level + 1;
			}
			if (ready) {
				placed[i] = 1;
				g->nodes[i].level = level;
				g->order[k] = i;
				if (level + 1 > g->nlevels)
					g->nlevels = level + 1;
				break;
			}
		}
	}
	free(placed);
}

int graph_build(struct graph **out, const struct compose *c, const char *const *profiles)
{
	struct builder b = { c, NULL, NULL, NULL, 0 };
	struct graph *g;
	int *node_of = xcalloc(c->nservices + 1, sizeof(int));
	size_t i, j;
	int rc = 0;

	*out = NULL;
	g = xcalloc(1, sizeof(*g));
	g->compose = c;
	g->nodes = xcalloc(c->nservices + 1, sizeof(*g->nodes));
	for (i = 0; i < c->nservices; i++) {
		if (!is_active(&c->services[i], profiles)) {
			node_of[i] = -1;
			g->ninactive++;
			continue;
		}
		node_of[i] = (int)g->n;
		g->nodes[g->n++].svc = &c->services[i];
	}
	g->order = xcalloc(g->n + 1, sizeof(*g->order));

	for (i = 0; i < g->n && rc == 0; i++) {
		struct graph_node *n = &g->nodes[i];
		const struct compose_service *s = n->svc;

		for (j = 0; j < s->ndepends_on && rc == 0; j++) {
			const struct compose_dep *d = &s->depends_on[j];
			int idx = compose_service_index(c, d->service);
			struct graph_dep *e;

			if (idx < 0 || node_of[idx] < 0) {
				if (d->required)
					rc = undefined(c, s, d, idx < 0 ? NULL : &c->services[idx]);
				continue;
			}
			n->deps = xrealloc(n->deps, (n->ndeps + 1) * sizeof(*n->deps));
			e = &n->deps[n->ndeps++];
			e->node = (size_t)node_of[idx];
			e->condition = d->condition;
			e->required = d->required;
			e->line = d->line;
		}
	}
	if (rc == 0) {
		b.g = g;
		b.color = xcalloc(g->n + 1, sizeof(*b.color));
		b.stack = xcalloc(g->n + 1, sizeof(*b.stack));
		for (i = 0; i < g->n && rc == 0; i++)
			if (b.color[i] == WHITE)
				rc = dfs(&b, i);
		free(b.color);
		free(b.stack);
	}
	free(node_of);
	if (rc < 0) {
		graph_free(g);
		return rc;
	}
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < g->nodes[i].ndeps; j++) {
			struct graph_node *d = &g->nodes[g->nodes[i].deps[j].node];

			d->dependents = xrealloc(d->dependents, (d->ndependents + 1) * sizeof(*d->dependents));
			d->dependents[d->ndependents++] = i;
		}
	}
	order_and_levels(g);
	*out = g;
	return 0;
}

void graph_free(struct graph *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->nodes[i].deps);
		free(g->nodes[i].dependents);
	}
	free(g->nodes);
	free(g->order);
	free(g);
}

int graph_index(const struct graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].svc->name, name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Timeouts */

static const char *const timeout_from_names[] = {
	[GRAPH_TIMEOUT_DEFAULT] = "default",
	[GRAPH_TIMEOUT_STATIC] = "x-dive",
	[GRAPH_TIMEOUT_LEARNED] = "learned",
};

const char *graph_timeout_from_name(enum graph_timeout_from from)
{
	if ((unsigned)from >= sizeof(timeout_from_names) / sizeof(timeout_from_names[0]))
		return "unknown";
	return timeout_from_names[from];
}

int graph_timeout(struct graph_timeout *out, const struct graph *g, size_t i, const struct graph_timeout_source *src)
{
	const struct compose_dive_service *d = g->nodes[i].svc->dive;
	long learned = 0;
	int rc;

	if (d && d->timeout_ms) {
		out->ms = d->timeout_ms;
		out->from = GRAPH_TIMEOUT_STATIC;
	} else {
		out->ms = GRAPH_TIMEOUT_DEFAULT_MS;
		out->from = GRAPH_TIMEOUT_DEFAULT;
	}
	out->min_ms = d && d->timeout_min_ms ? d->timeout_min_ms : out->ms / 2;
	out->max_ms = d && d->timeout_max_ms ? d->timeout_max_ms : out->ms * 2;
	if (out->min_ms > out->max_ms)
		out->max_ms = out->min_ms;
	if (!src || !src->learned)
		return 0;
	rc = src->learned(src, g->compose->name ? g->compose->name : "", g->nodes[i].svc->name, &learned);
	if (rc <= 0)
		return rc;
	if (learned < out->min_ms)
		learned = out->min_ms;
	if (learned > out->max_ms)
		learned = out->max_ms;
	out->ms = learned;
	out->from = GRAPH_TIMEOUT_LEARNED;
	return 0;
}

void graph_format_duration(char *out, size_t n, long ms)
{
	long s = ms / 1000, rem = ms % 1000;
	size_t used = 0;

	out[0] = '\0';
	if (ms <= 0) {
		snprintf(out, n, "0s");
		return;
	}
#define PART(fmt, v) \
	do { \
		int w = snprintf(out + used, n > used ? n - used : 0, fmt, v); \
		if (w > 0) \
			used += (size_t)w; \
		if (used >= n) \
			return; \
	} while (0)
	if (s >= 3600)
		PART("%ldh", s / 3600);
	if (s % 3600 >= 60)
		PART("%ldm", (s % 3600) / 60);
	if (s % 60)
		PART("%lds", s % 60);
	if (rem)
		PART("%ldms", rem);
#undef PART
}

/* ------------------------------------------------------------------ */
/* Rendering */

static const char *const hc_kind_names[] = {
	[COMPOSE_HC_IMAGE] = "image",
	[COMPOSE_HC_CMD] = "cmd",
	[COMPOSE_HC_SHELL] = "shell",
	[COMPOSE_HC_NONE] = "none",
};

static const char *const condition_short[] = {
	[COMPOSE_SERVICE_STARTED] = "started",
	[COMPOSE_SERVICE_HEALTHY] = "healthy",
	[COMPOSE_SERVICE_COMPLETED] = "completed",
};

/* Nodes sorted by level, then file order: how every renderer lists them. */
static size_t *by_level(const struct graph *g)
{
	size_t *v = xcalloc(g->n + 1, sizeof(*v)), k = 0, i;
	int l;

	for (l = 0; l < g->nlevels; l++)
		for (i = 0; i < g->n; i++)
			if (g->nodes[i].level == l)
				v[k++] = i;
	return v;
}

int graph_render_text(FILE *f, const struct graph *g, const struct graph_timeout_source *src)
{
	const struct compose *c = g->compose;
	size_t *v = by_level(g), k, j;
	int rc = 0;

	fprintf(f, "%s: %zu service%s, %d level%s (%s)\n", c->name ? c->name : "stack", g->n, g->n == 1 ? "" : "s",
		g->nlevels, g->nlevels == 1 ? "" : "s", c->path);
	if (g->ninactive)
		fprintf(f, "%zu service%s left out by profiles\n", g->ninactive, g->ninactive == 1 ? "" : "s");
	fprintf(f, "%-5s  %-16s  %-9s  %-16s  %s\n", "LEVEL", "SERVICE", "HEALTH", "TIMEOUT", "DEPENDS ON");
	for (k = 0; k < g->n; k++) {
		const struct graph_node *n = &g->nodes[v[k]];
		struct graph_timeout t;
		char dur[32], tbuf[48];

		if ((rc = graph_timeout(&t, g, v[k], src)) < 0)
			break;
		graph_format_duration(dur, sizeof(dur), t.ms);
		snprintf(tbuf, sizeof(tbuf), "%s (%s)", dur, graph_timeout_from_name(t.from));
		fprintf(f, "%-5d  %-16s  %-9s  %-16s  ", n->level, n->svc->name, hc_kind_names[n->svc->healthcheck.kind],
			tbuf);
		if (!n->ndeps)
			fputs("-", f);
		for (j = 0; j < n->ndeps; j++)
			fprintf(f, "%s%s (%s)", j ? ", " : "", g->nodes[n->deps[j].node].svc->name,
				condition_short[n->deps[j].condition]);
		fputc('\n', f);
	}
	if (rc == 0) {
		fputs("start order:", f);
		for (k = 0; k < g->n; k++)
			fprintf(f, " %s", g->nodes[g->order[k]].svc->name);
		fputc('\n', f);
		if (c->placeholders)
			fputs("note: some variables are not set; ${NAME} stands for their values\n", f);
	}
	free(v);
	return rc;
}

/* A Mermaid id: the name with anything but [A-Za-z0-9_] made '_'. */
static void mermaid_plain(char out[80], const char *s)
{
	size_t j;

	for (j = 0; s[j] && j < 64; j++)
		out[j] = (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')
				 ? s[j] : '_';
	out[j] = '\0';
	if (!strcmp(out, "end"))
		strcpy(out, "end_"); /* a Mermaid keyword */
}

/* Node i's id, suffixed with its index only when an earlier node's id is the same. */
static void mermaid_id(char out[80], const struct graph *g, size_t i)
{
	char other[80];
	size_t k;

	mermaid_plain(out, g->nodes[i].svc->name);
	for (k = 0; k < i; k++) {
		mermaid_plain(other, g->nodes[k].svc->name);
		if (!strcmp(other, out)) {
			snprintf(out + strlen(out), 80 - strlen(out), "_%zu", i);
			return;
		}
	}
}

/*
 * The level subgraphs and the edges; ids start with pre ("" or "hub_"),
 * the level subgraphs are indented by ind more than the edges.
 */
static void mermaid_body(FILE *f, const struct graph *g, const char *pre, const char *ind)
{
	size_t *v = by_level(g), k, j;
	char a[80], b[80];
	int l = -1;

	for (k = 0; k < g->n; k++) {
		const struct graph_node *n = &g->nodes[v[k]];

		if (n->level != l) {
			if (l >= 0)
				fprintf(f, "%s  end\n", ind);
			l = n->level;
			fprintf(f, "%s  subgraph %sL%d[\"level %d\"]\n", ind, pre, l, l);
		}
		mermaid_id(a, g, v[k]);
		fprintf(f, "%s    %s%s[\"%s\"]\n", ind, pre, a, n->svc->name);
	}
	if (l >= 0)
		fprintf(f, "%s  end\n", ind);
	if (*ind)
		fputs("  end\n", f);
	for (k = 0; k < g->n; k++) {
		const struct graph_node *n = &g->nodes[v[k]];

		for (j = 0; j < n->ndeps; j++) {
			mermaid_id(a, g, n->deps[j].node);
			mermaid_id(b, g, v[k]);
			fprintf(f, "  %s%s -->|%s| %s%s\n", pre, a, condition_short[n->deps[j].condition], pre, b);
		}
	}
	free(v);
}

int graph_render_mermaid(FILE *f, const struct graph *g)
{
	fputs("flowchart LR\n", f);
	mermaid_body(f, g, "", "");
	return 0;
}

/*
 * One stack of a larger flowchart: a subgraph `prefix` titled title holding
 * the level subgraphs, ids prefixed so two stacks' services stay apart.
 */
int graph_render_mermaid_part(FILE *f, const struct graph *g, const char *prefix, const char *title)
{
	char pre[40];

	snprintf(pre, sizeof(pre), "%.38s_", prefix);
	fprintf(f, "  subgraph %s[\"%s\"]\n", prefix, title);
	mermaid_body(f, g, pre, "  ");
	return 0;
}

/* A double-quoted dot string. */
static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
	}
	fputc('"', f);
}

int graph_render_dot(FILE *f, const struct graph *g)
{
	size_t *v = by_level(g), k, j;
	int l;

	fputs("digraph ", f);
	dot_str(f, g->compose->name ? g->compose->name : "stack");
	fputs(" {\n  rankdir=LR;\n  node [shape=box];\n", f);
	for (l = 0; l < g->nlevels; l++) {
		fprintf(f, "  { rank=same;");
		for (k = 0; k < g->n; k++) {
			if (g->nodes[v[k]].level != l)
				continue;
			fputc(' ', f);
			dot_str(f, g->nodes[v[k]].svc->name);
			fputc(';', f);
		}
		fputs(" }\n", f);
	}
	for (k = 0; k < g->n; k++) {
		const struct graph_node *n = &g->nodes[v[k]];

		for (j = 0; j < n->ndeps; j++) {
			fputs("  ", f);
			dot_str(f, g->nodes[n->deps[j].node].svc->name);
			fputs(" -> ", f);
			dot_str(f, n->svc->name);
			fprintf(f, " [label=\"%s\"%s];\n", condition_short[n->deps[j].condition],
				n->deps[j].required ? "" : ", style=dashed");
		}
	}
	fputs("}\n", f);
	free(v);
	return 0;
}

static cJSON *healthcheck_json(const struct compose_healthcheck *hc)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", hc_kind_names[hc->kind]);
	if (hc->kind == COMPOSE_HC_CMD || hc->kind == COMPOSE_HC_SHELL)
		cJSON_AddStringToObject(o, "test", hc->test.shown ? hc->test.shown : "");
	else
		cJSON_AddNullToObject(o, "test");
	cJSON_AddBoolToObject(o, "test_has_secret", hc->test.secret);
	cJSON_AddNumberToObject(o, "interval_ms", (double)hc->interval_ms);
	cJSON_AddNumberToObject(o, "timeout_ms", (double)hc->timeout_ms);
	cJSON_AddNumberToObject(o, "start_period_ms", (double)hc->start_period_ms);
	cJSON_AddNumberToObject(o, "retries", hc->retries);
	return o;
}

int graph_to_json(cJSON **out, const struct graph *g, const struct graph_timeout_source *src)
{
	const struct compose *c = g->compose;
	cJSON *doc = cJSON_CreateObject(), *services, *order, *levels;
	size_t *v = by_level(g), k, j;
	int l, rc = 0;

	*out = NULL;
	cJSON_AddStringToObject(doc, "file", c->path);
	if (c->name)
		cJSON_AddStringToObject(doc, "project", c->name);
	else
		cJSON_AddNullToObject(doc, "project");
	cJSON_AddBoolToObject(doc, "placeholders", c->placeholders);
	cJSON_AddNumberToObject(doc, "inactive", (double)g->ninactive);
	services = cJSON_AddArrayToObject(doc, "services");
	for (k = 0; k < g->n && rc == 0; k++) {
		const struct graph_node *n = &g->nodes[k];
		const struct compose_service *s = n->svc;
		cJSON *o = cJSON_CreateObject(), *deps, *t;
		struct graph_timeout to;

		cJSON_AddItemToArray(services, o);
		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "image", s->image);
		if (s->container_name)
			cJSON_AddStringToObject(o, "container_name", s->container_name);
		else
			cJSON_AddNullToObject(o, "container_name");
		cJSON_AddNumberToObject(o, "level", n->level);
		deps = cJSON_AddArrayToObject(o, "depends_on");
		for (j = 0; j < n->ndeps; j++) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddStringToObject(d, "service", g->nodes[n->deps[j].node].svc->name);
			cJSON_AddStringToObject(d, "condition", compose_condition_name(n->deps[j].condition));
			cJSON_AddBoolToObject(d, "required", n->deps[j].required);
			cJSON_AddItemToArray(deps, d);
		}
		deps = cJSON_AddArrayToObject(o, "dependents");
		for (j = 0; j < n->ndependents; j++)
			cJSON_AddItemToArray(deps, cJSON_CreateString(g->nodes[n->dependents[j]].svc->name));
		cJSON_AddItemToObject(o, "healthcheck", healthcheck_json(&s->healthcheck));
		if ((rc = graph_timeout(&to, g, k, src)) < 0)
			break;
		t = cJSON_AddObjectToObject(o, "timeout");
		cJSON_AddNumberToObject(t, "ms", (double)to.ms);
		cJSON_AddStringToObject(t, "source", graph_timeout_from_name(to.from));
		cJSON_AddNumberToObject(t, "min_ms", (double)to.min_ms);
		cJSON_AddNumberToObject(t, "max_ms", (double)to.max_ms);
		cJSON_AddStringToObject(o, "unhealthy", s->dive && s->dive->unhealthy == COMPOSE_UNHEALTHY_TOLERATE
							     ? "tolerate" : "fail");
		if (s->dive && s->dive->probe)
			cJSON_AddStringToObject(o, "probe", s->dive->probe);
		else
			cJSON_AddNullToObject(o, "probe");
	}
	order = cJSON_AddArrayToObject(doc, "order");
	for (k = 0; k < g->n; k++)
		cJSON_AddItemToArray(order, cJSON_CreateString(g->nodes[g->order[k]].svc->name));
	levels = cJSON_AddArrayToObject(doc, "levels");
	for (l = 0, k = 0; l < g->nlevels; l++) {
		cJSON *row = cJSON_CreateArray();

		for (; k < g->n && g->nodes[v[k]].level == l; k++)
			cJSON_AddItemToArray(row, cJSON_CreateString(g->nodes[v[k]].svc->name));
		cJSON_AddItemToArray(levels, row);
	}
	free(v);
	if (rc < 0) {
		cJSON_Delete(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
