// SPDX-License-Identifier: BSD-2-Clause
/*
 * See graph.h. Nodes and edges are found through hash tables (10,000 edges
 * make a graph in a few ms); the searches run over an adjacency array built
 * once per analysis. Both searches enumerate simple paths, which is
 * exponential in the worst case (a dense graph): the step budget keeps a
 * request under ~10 ms whatever the graph, at the price of an inexact answer,
 * which is then said.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "answers/graph.h"
#include "lib/str.h"

const char *graph_node_id(const struct endpoint_names *n, enum graph_node_kind *kind, char *buf,
			  size_t len)
{
	const char *ns = str_or(n->namespace_, NULL);

	if (str_or(n->workload, NULL)) {
		*kind = GRAPH_NODE_WORKLOAD;
		if (ns)
			snprintf(buf, len, "%s/%s", ns, n->workload);
		else
			snprintf(buf, len, "%s", n->workload);
	} else if (str_or(n->service, NULL)) {
		*kind = GRAPH_NODE_SERVICE;
		ns = str_or(n->service_namespace, NULL) ?: ns;
		if (ns)
			snprintf(buf, len, "%s/%s", ns, n->service);
		else
			snprintf(buf, len, "%s", n->service);
	} else {
		*kind = GRAPH_NODE_ADDRESS;
		snprintf(buf, len, "%s", n->address);
	}
	return buf;
}

int graph_init(struct graph *g)
{
	int err;

	memset(g, 0, sizeof(*g));
	err = htab_init(&g->by_id,
			offsetof(struct graph_node, id) - offsetof(struct graph_node, hnode),
			GRAPH_ID_MAX);
	if (err)
		return err;
	err = htab_init(&g->by_pair,
			offsetof(struct graph_edge, key) - offsetof(struct graph_edge, hnode),
			sizeof(struct graph_edge_key));
	if (err)
		htab_free(&g->by_id);
	return err;
}

void graph_free(struct graph *g)
{
	uint32_t i;

	for (i = 0; i < g->nnodes; i++)
		free(g->nodes[i]);
	for (i = 0; i < g->nedges; i++)
		free(g->edges[i]);
	free(g->nodes);
	free(g->edges);
	htab_free(&g->by_id);
	htab_free(&g->by_pair);
	memset(g, 0, sizeof(*g));
}

/* Appends p to a growing pointer array; 0 or -ENOMEM. */
static int push(void ***arr, uint32_t *n, uint32_t *cap, void *p)
{
	void **grown;

	if (*n == *cap) {
		grown = realloc(*arr, (*cap ? *cap * 2 : 16) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		*arr = grown;
		*cap = *cap ? *cap * 2 : 16;
	}
	(*arr)[(*n)++] = p;
	return 0;
}

static void copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

struct graph_node *graph_node(struct graph *g, const struct endpoint_names *n)
{
	char id[GRAPH_ID_MAX] = {0};
	enum graph_node_kind kind;
	struct graph_node *node;
	struct htab_node *h;

	graph_node_id(n, &kind, id, sizeof(id));
	h = htab_find(&g->by_id, id);
	if (h)
		return container_of(h, struct graph_node, hnode);
	node = calloc(1, sizeof(*node));
	if (!node || push((void ***)&g->nodes, &g->nnodes, &g->cap_nodes, node)) {
		free(node);
		g->alloc_failures++;
		return NULL;
	}
	memcpy(node->id, id, sizeof(id));
	node->kind = kind;
	copy_name(node->workload, sizeof(node->workload), n->workload);
	copy_name(node->namespace_, sizeof(node->namespace_), n->namespace_);
	copy_name(node->service, sizeof(node->service), n->service);
	copy_name(node->address, sizeof(node->address), n->address);
	copy_name(node->process, sizeof(node->process), n->process);
	node->index = g->nnodes - 1;
	htab_insert(&g->by_id, &node->hnode);
	return node;
}

int graph_add_edge(struct graph *g, struct graph_node *src, struct graph_node *dst,
		   const struct window_counts *c, double seconds, bool http)
{
	struct graph_edge_key k = {src->index, dst->index};
	struct htab_node *h = htab_find(&g->by_pair, &k);
	struct graph_edge *e;

	if (h) {
		e = container_of(h, struct graph_edge, hnode);
	} else {
		e = calloc(1, sizeof(*e));
		if (!e || push((void ***)&g->edges, &g->nedges, &g->cap_edges, e)) {
			free(e);
			g->alloc_failures++;
			return -ENOMEM;
		}
		e->key = k;
		htab_insert(&g->by_pair, &e->hnode);
		if (src != dst) {
			src->fan_out++;
			dst->fan_in++;
		}
	}
	window_counts_add(&e->c, c);
	if (seconds > e->seconds)
		e->seconds = seconds;
	e->http |= http;
	return 0;
}

int graph_from_window(struct graph *g, const struct window *w, struct naming *naming)
{
	struct endpoint_names src, dst;
	const struct window_edge *we;
	struct graph_node *s, *d;
	struct window_counts c;
	struct htab_node *n;
	double seconds;
	size_t i;

	window_for_each(w, we, n, i)
	{
		naming_resolve(naming, we->key.src_addr, &we->src, &src);
		naming_resolve(naming, we->key.dst_addr, &we->dst, &dst);
		s = graph_node(g, &src);
		d = graph_node(g, &dst);
		if (!s || !d)
			return -ENOMEM;
		window_sum(w, we, &c, &seconds);
		if (graph_add_edge(g, s, d, &c, seconds, we->http))
			return -ENOMEM;
	}
	return 0;
}

double graph_edge_rate(const struct graph_edge *e)
{
	uint64_t n = e->c.requests ? e->c.requests : e->c.conns_closed;

	return e->seconds > 0 ? (double)n / e->seconds : 0;
}

double graph_edge_error_ratio(const struct graph_edge *e)
{
	uint64_t failed, total;

	window_failures(&e->c, &failed, &total);
	return total ? (double)failed / (double)total : 0;
}

/* ------------------------------------------------------------ searches */

/* Out-edges by source node, as offsets into one array (built per analysis). */
struct adjacency {
	uint32_t *first; /* nnodes + 1 */
	uint32_t *to;
	bool *on_path;
	uint32_t path[GRAPH_PATH_MAX];
	uint32_t depth;
	uint64_t steps;
	bool cut; /* a budget or the path limit stopped a search */
};

static int adjacency_build(const struct graph *g, struct adjacency *a)
{
	uint32_t i, *fill;

	memset(a, 0, sizeof(*a));
	a->first = calloc(g->nnodes + 1, sizeof(*a->first));
	a->to = calloc(g->nedges ? g->nedges : 1, sizeof(*a->to));
	a->on_path = calloc(g->nnodes ? g->nnodes : 1, sizeof(*a->on_path));
	fill = calloc(g->nnodes + 1, sizeof(*fill));
	if (!a->first || !a->to || !a->on_path || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (i = 0; i < g->nedges; i++)
		a->first[g->edges[i]->key.src + 1]++;
	for (i = 0; i < g->nnodes; i++)
		a->first[i + 1] += a->first[i];
	for (i = 0; i < g->nedges; i++) {
		uint32_t s = g->edges[i]->key.src;

		a->to[a->first[s] + fill[s]++] = g->edges[i]->key.dst;
	}
	free(fill);
	return 0;
}

static void adjacency_free(struct adjacency *a)
{
	free(a->first);
	free(a->to);
	free(a->on_path);
}

static bool budget_left(struct adjacency *a)
{
	if (++a->steps > GRAPH_SEARCH_STEPS) {
		a->cut = true;
		return false;
	}
	return true;
}

static void path_save(const struct adjacency *a, struct graph_path *p)
{
	p->len = a->depth;
	memcpy(p->node, a->path, a->depth * sizeof(a->path[0]));
}

/* Cycles whose lowest node is start, each found once. */
static void cycles_from(struct adjacency *a, uint32_t start, uint32_t v, struct graph_analysis *an)
{
	uint32_t i, w;

	if (a->depth >= GRAPH_PATH_MAX) {
		a->cut = true;
		return;
	}
	a->path[a->depth++] = v;
	a->on_path[v] = true;
	for (i = a->first[v]; i < a->first[v + 1] && budget_left(a); i++) {
		w = a->to[i];
		if (w == start) {
			if (an->ncycles < GRAPH_CYCLES_MAX)
				path_save(a, &an->cycles[an->ncycles++]);
			else
				a->cut = true;
		} else if (w > start && !a->on_path[w]) {
			cycles_from(a, start, w, an);
		}
	}
	a->on_path[v] = false;
	a->depth--;
}

static void longest_from(struct adjacency *a, uint32_t v, struct graph_analysis *an)
{
	uint32_t i, w;

	if (a->depth >= GRAPH_PATH_MAX) {
		a->cut = true;
		return;
	}
	a->path[a->depth++] = v;
	a->on_path[v] = true;
	if (a->depth > an->longest.len)
		path_save(a, &an->longest);
	for (i = a->first[v]; i < a->first[v + 1] && budget_left(a); i++) {
		w = a->to[i];
		if (!a->on_path[w])
			longest_from(a, w, an);
	}
	a->on_path[v] = false;
	a->depth--;
}

static void hot_spots(const struct graph *g, struct graph_analysis *an)
{
	double best_err = 0, best_p95 = 0, v;
	uint32_t i, best_fan = 0;

	an->fan_in_node = an->error_edge = an->p95_edge = -1;
	for (i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->fan_in > best_fan) {
			best_fan = g->nodes[i]->fan_in;
			an->fan_in_node = i;
		}
	for (i = 0; i < g->nedges; i++) {
		v = graph_edge_error_ratio(g->edges[i]);
		if (v > best_err) {
			best_err = v;
			an->error_edge = i;
		}
		v = window_quantile(g->edges[i]->c.latency, 0.95);
		if (v > best_p95) {
			best_p95 = v;
			an->p95_edge = i;
		}
	}
}

void graph_analyze(const struct graph *g, struct graph_analysis *an)
{
	struct adjacency a;
	bool any_entry = false;
	uint32_t i;

	memset(an, 0, sizeof(*an));
	hot_spots(g, an);
	if (adjacency_build(g, &a)) {
		adjacency_free(&a);
		return; /* exact stays false */
	}
	for (i = 0; i < g->nnodes && !a.cut; i++)
		cycles_from(&a, i, i, an);
	/* From every entry point; a graph that is all cycles from every node. */
	for (i = 0; i < g->nnodes; i++)
		any_entry |= !g->nodes[i]->fan_in;
	a.steps = 0;
	for (i = 0; i < g->nnodes && a.steps <= GRAPH_SEARCH_STEPS; i++)
		if (!any_entry || !g->nodes[i]->fan_in)
			longest_from(&a, i, an);
	an->exact = !a.cut;
	adjacency_free(&a);
}

/* ------------------------------------------------------------ JSON */

static json_t *str_or_null(const char *s)
{
	return *s ? json_string(s) : json_null();
}

static json_t *node_json(const struct graph_node *n)
{
	static const char *const kinds[] = {"workload", "service", "address"};
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(n->id));
	json_object_set_new(o, "kind", json_string(kinds[n->kind]));
	json_object_set_new(o, "workload", str_or_null(n->workload));
	json_object_set_new(o, "namespace", str_or_null(n->namespace_));
	json_object_set_new(o, "service", str_or_null(n->service));
	json_object_set_new(o, "address", json_string(n->address));
	json_object_set_new(o, "process", str_or_null(n->process));
	json_object_set_new(o, "fan_in", json_integer(n->fan_in));
	json_object_set_new(o, "fan_out", json_integer(n->fan_out));
	json_object_set_new(o, "entry_point", json_boolean(!n->fan_in));
	return o;
}

static json_t *edge_json(const struct graph *g, const struct graph_edge *e)
{
	json_t *o = json_object();
	uint64_t failed, total;

	window_failures(&e->c, &failed, &total);
	json_object_set_new(o, "source", json_string(g->nodes[e->key.src]->id));
	json_object_set_new(o, "destination", json_string(g->nodes[e->key.dst]->id));
	json_object_set_new(o, "protocol", json_string(e->http ? "http" : "tcp"));
	json_object_set_new(o, "requests", json_integer(e->c.requests));
	json_object_set_new(o, "errors", json_integer(failed));
	json_object_set_new(o, "auth_failures", json_integer(e->c.auth));
	json_object_set_new(o, "connections_closed", json_integer(e->c.conns_closed));
	json_object_set_new(o, "connections_reset", json_integer(e->c.conns_reset));
	json_object_set_new(o, "seconds", json_real(e->seconds));
	json_object_set_new(o, "request_rate", json_real(graph_edge_rate(e)));
	json_object_set_new(o, "error_rate", json_real(graph_edge_error_ratio(e)));
	json_object_set_new(o, "p95_ms",
			    e->c.requests ? json_real(window_quantile(e->c.latency, 0.95) * 1e3)
					  : json_null());
	return o;
}

static json_t *path_json(const struct graph *g, const struct graph_path *p)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; i < p->len; i++)
		json_array_append_new(a, json_string(g->nodes[p->node[i]]->id));
	return a;
}

static json_t *edge_spot(const struct graph *g, int64_t i, double value)
{
	json_t *o;

	if (i < 0)
		return json_null();
	o = json_object();
	json_object_set_new(o, "source", json_string(g->nodes[g->edges[i]->key.src]->id));
	json_object_set_new(o, "destination", json_string(g->nodes[g->edges[i]->key.dst]->id));
	json_object_set_new(o, "value", json_real(value));
	return o;
}

static json_t *analysis_json(const struct graph *g, const struct graph_analysis *an)
{
	json_t *o = json_object(), *chain = json_object(), *cycles = json_array();
	json_t *spots = json_object(), *entries = json_array(), *fan;
	uint32_t i;

	json_object_set_new(chain, "depth",
			    json_integer(an->longest.len ? an->longest.len - 1 : 0));
	json_object_set_new(chain, "path", path_json(g, &an->longest));
	json_object_set_new(o, "longest_chain", chain);
	for (i = 0; i < an->ncycles; i++)
		json_array_append_new(cycles, path_json(g, &an->cycles[i]));
	json_object_set_new(o, "cycles", cycles);
	fan = json_null();
	if (an->fan_in_node >= 0) {
		fan = json_object();
		json_object_set_new(fan, "node", json_string(g->nodes[an->fan_in_node]->id));
		json_object_set_new(fan, "value", json_integer(g->nodes[an->fan_in_node]->fan_in));
	}
	json_object_set_new(spots, "fan_in", fan);
	json_object_set_new(
	    spots, "error_rate",
	    edge_spot(g, an->error_edge,
		      an->error_edge >= 0 ? graph_edge_error_ratio(g->edges[an->error_edge]) : 0));
	json_object_set_new(
	    spots, "p95_ms",
	    edge_spot(g, an->p95_edge,
		      an->p95_edge >= 0
			  ? window_quantile(g->edges[an->p95_edge]->c.latency, 0.95) * 1e3
			  : 0));
	json_object_set_new(o, "hot_spots", spots);
	for (i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->fan_in)
			json_array_append_new(entries, json_string(g->nodes[i]->id));
	json_object_set_new(o, "entry_points", entries);
	json_object_set_new(o, "exact", json_boolean(an->exact));
	return o;
}

json_t *graph_json(const struct graph *g, const struct graph_analysis *an, uint32_t window_s)
{
	json_t *root = json_object(), *nodes = json_array(), *edges = json_array();
	uint32_t i;

	json_object_set_new(root, "window_seconds", json_integer(window_s));
	for (i = 0; i < g->nnodes; i++)
		json_array_append_new(nodes, node_json(g->nodes[i]));
	for (i = 0; i < g->nedges; i++)
		json_array_append_new(edges, edge_json(g, g->edges[i]));
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "edges", edges);
	json_object_set_new(root, "analysis", analysis_json(g, an));
	json_object_set_new(root, "incomplete", json_boolean(g->alloc_failures > 0));
	return root;
}
