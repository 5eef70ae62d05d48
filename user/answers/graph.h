/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The node's service graph over the sliding window, and what it answers:
 * GET /api/v1/graph.
 *
 *   graph_init(&g); graph_from_window(&g, &w, naming);  (or graph_add_edge)
 *   graph_analyze(&g, &an); root = graph_json(&g, &an, window_s); graph_free(&g);
 *
 * A node is a workload ("namespace/workload"), else a Service, else an
 * address; an edge is every windowed aggregator edge between two nodes,
 * ports and protocols merged. The analysis: the longest call chain (depth
 * counts calls, so A->B->C is 2), every elementary cycle, the hot spots
 * (most distinct callers, highest error rate, highest p95) and the entry
 * points (nodes no edge leads to). Cycles and chains are searched
 * depth-first with GRAPH_SEARCH_STEPS steps at most and GRAPH_CYCLES_MAX
 * cycles kept; "exact" says whether the search finished within them.
 * Pure C; only graph_from_window reads names (naming.h).
 */
#ifndef MESHSIGHT_GRAPH_H
#define MESHSIGHT_GRAPH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/htab.h"
#include "naming/naming.h"
#include "answers/window.h"

#define GRAPH_ID_MAX	   160
#define GRAPH_SEARCH_STEPS 200000
#define GRAPH_CYCLES_MAX   32
#define GRAPH_PATH_MAX	   64

enum graph_node_kind {
	GRAPH_NODE_WORKLOAD,
	GRAPH_NODE_SERVICE,
	GRAPH_NODE_ADDRESS,
};

struct graph_node {
	struct htab_node hnode;
	char id[GRAPH_ID_MAX];
	enum graph_node_kind kind;
	char workload[64], namespace_[64], service[64], address[NAMING_ADDR_LEN], process[16];
	uint32_t fan_in, fan_out; /* distinct callers / callees, itself excluded */
	uint32_t index;
};

struct graph_edge_key {
	uint32_t src, dst;
};

struct graph_edge {
	struct htab_node hnode;
	struct graph_edge_key key;
	struct window_counts c;
	double seconds; /* the longest time any of its parts covers */
	bool http;
};

struct graph {
	struct graph_node **nodes;
	uint32_t nnodes, cap_nodes;
	struct graph_edge **edges;
	uint32_t nedges, cap_edges;
	struct htab by_id, by_pair;
	uint64_t alloc_failures;
};

struct graph_path {
	uint32_t len; /* nodes on it */
	uint32_t node[GRAPH_PATH_MAX];
};

struct graph_analysis {
	struct graph_path longest; /* depth = len - 1 */
	struct graph_path cycles[GRAPH_CYCLES_MAX];
	uint32_t ncycles;
	bool exact;	     /* both searches finished within their budgets */
	int64_t fan_in_node; /* -1 when none */
	int64_t error_edge;  /* highest failure ratio, -1 when no edge failed */
	int64_t p95_edge;    /* -1 when no edge has latency */
};

/* The node an end is drawn as: "namespace/workload", else the Service, else the address. */
const char *graph_node_id(const struct endpoint_names *n, enum graph_node_kind *kind, char *buf,
			  size_t len);

int graph_init(struct graph *g);
void graph_free(struct graph *g);
/* Returns the node (created with names copied from n when new), or NULL on out of memory. */
struct graph_node *graph_node(struct graph *g, const struct endpoint_names *n);
/* Merges counts into the edge src -> dst; 0 or -ENOMEM. */
int graph_add_edge(struct graph *g, struct graph_node *src, struct graph_node *dst,
		   const struct window_counts *c, double seconds, bool http);
/* Every windowed edge, named. */
int graph_from_window(struct graph *g, const struct window *w, struct naming *naming);
void graph_analyze(const struct graph *g, struct graph_analysis *an);
json_t *graph_json(const struct graph *g, const struct graph_analysis *an, uint32_t window_s);
/* An edge's figures as the graph reports them. */
double graph_edge_rate(const struct graph_edge *e);
double graph_edge_error_ratio(const struct graph_edge *e);

#endif /* MESHSIGHT_GRAPH_H */
