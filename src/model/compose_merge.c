/*
 * compose_merge.c - YAML merge keys ('<<', YAML 1.1) resolved in the whole
 * document before the loader reads it (compose_priv.h), so every reader
 * sees plain maps: keys written in a map win, then the first source that
 * has the key; a source is resolved before it is merged.  Bounded: a map
 * that takes in itself is refused, chains stop at MERGE_DEPTH_MAX and the
 * keys merges add at COMPOSE_NODES_MAX (an alias bomb stops early).
 */
#include <stdlib.h>
#include <string.h>

#include "compose_priv.h"
#include "dive/xalloc.h"

#define MERGE_DEPTH_MAX 64

static int is_merge_key(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !strcmp((const char *)k->data.scalar.value, "<<");
}

static int has_key(struct loader *L, const yaml_node_pair_t *pairs, size_t n, const yaml_node_t *k)
{
	size_t i;

	if (k->type != YAML_SCALAR_NODE)
		return 0;
	for (i = 0; i < n; i++) {
		const yaml_node_t *k2 = cl_node_at(L, pairs[i].key);

		if (k2->type == YAML_SCALAR_NODE && !strcmp(KEY(k2), KEY(k)))
			return 1;
	}
	return 0;
}

/*
 * Map id with its merge keys resolved: its own pairs, then those of each
 * source not written already (sources in order, each resolved first).
 * state: 0 not seen, 1 being resolved (a source that is its own ancestor),
 * 2 done.  *budget bounds the pairs merges may add in the whole document.
 */
static int merge_map(struct loader *L, int id, unsigned char *state, int depth, size_t *budget)
{
	yaml_node_t *n = cl_node_at(L, id), *k, *v;
	yaml_node_pair_t *p, *out = NULL;
	size_t nout = 0, cap = 0;
	int rc = 0, merges = 0;

	if (n->type != YAML_MAPPING_NODE || state[id] == 2)
		return 0;
	if (state[id] == 1)
		return cl_fail(L, n, "a merge key ('<<') takes in the map it is part of");
	if (depth > MERGE_DEPTH_MAX)
		return cl_fail(L, n, "merge keys ('<<') chained deeper than %d maps", MERGE_DEPTH_MAX);
	state[id] = 1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
		merges += is_merge_key(cl_node_at(L, p->key));
	if (!merges)
		goto done;
	cap = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	out = xcalloc(cap, sizeof(*out));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
		if (!is_merge_key(cl_node_at(L, p->key)))
			out[nout++] = *p;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && rc == 0; p++) {
		int one[1], *src = one, nsrc = 1, i;

		k = cl_node_at(L, p->key);
		if (!is_merge_key(k))
			continue;
		v = cl_node_at(L, p->value);
		if (v->type == YAML_SEQUENCE_NODE) {
			nsrc = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
			src = v->data.sequence.items.start;
		} else {
			one[0] = p->value;
		}
		for (i = 0; i < nsrc && rc == 0; i++) {
			yaml_node_t *m = cl_node_at(L, src[i]);
			yaml_node_pair_t *q;

			if (m->type != YAML_MAPPING_NODE) {
				rc = cl_fail(L, m, "a merge key ('<<') takes a map or a list of maps, not %s",
					     cl_kind_name(m));
				break;
			}
			if ((rc = merge_map(L, src[i], state, depth + 1, budget)) < 0)
				break;
			m = cl_node_at(L, src[i]);
			for (q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top; q++) {
				if (has_key(L, out, nout, cl_node_at(L, q->key)))
					continue;
				if (*budget == 0) {
					rc = cl_fail(L, n, "merge keys ('<<') add more than %d keys", COMPOSE_NODES_MAX);
					break;
				}
				--*budget;
				if (nout == cap) {
					cap = 2 * cap + 8;
					out = xrealloc(out, cap * sizeof(*out));
				}
				out[nout++] = *q;
			}
		}
	}
	if (rc < 0) {
		free(out);
		return rc;
	}
	/* the document frees pairs.start with free() (libyaml's yaml_free) */
	free(n->data.mapping.pairs.start);
	n->data.mapping.pairs.start = out;
	n->data.mapping.pairs.top = out + nout;
	n->data.mapping.pairs.end = out + cap;
done:
	state[id] = 2;
	return 0;
}

int cl_merge_keys(struct loader *L)
{
	size_t count = (size_t)(L->doc.nodes.top - L->doc.nodes.start), i, budget = COMPOSE_NODES_MAX;
	unsigned char *state = xcalloc(count + 1, 1);
	int rc = 0;

	for (i = 1; i <= count && rc == 0; i++)
		rc = merge_map(L, (int)i, state, 0, &budget);
	free(state);
	return rc;
}
