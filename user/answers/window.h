/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sliding-window figures per edge, for the graph analysis and the events:
 *
 *   window_init(&w, window_s, max_edges, now_ns);
 *   every window_slot_ns(&w): window_tick(&w, agg, now_ns, on_gone, ctx);
 *   window_sum(entry, &counts, &seconds); window_quantile(counts.latency, 0.95);
 *
 * The aggregator's counters only grow. Each tick takes every edge's
 * counters (its primary view) and keeps the growth since the previous tick
 * in one of WINDOW_SLOTS slots; the figures of an edge are the sum of its
 * slots: the last window_s seconds as of the latest tick, which is at most
 * window_s / WINDOW_SLOTS old. An edge seen for fewer ticks covers only the
 * ticks it was seen (seconds says how long).
 *
 * Latency is kept in the aggregator's histogram buckets (edge_latency_bounds_s),
 * so a windowed p95 is interpolated within a bucket: at most 1.5 times off.
 *
 * Memory: one entry per aggregator edge, 1,768 bytes (6 slots of 45
 * 32-bit counters, the counters of the last tick, the two ends' names),
 * at most max_edges entries; past that new edges are not windowed (counted).
 * Pure C: the agent serialises ticks and readers with a lock of its own.
 */
#ifndef MESHSIGHT_WINDOW_H
#define MESHSIGHT_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/aggregator.h"
#include "lib/htab.h"

#define WINDOW_SLOTS	   6
#define WINDOW_LAT_BUCKETS (EDGE_LATENCY_BOUNDS + 1)

/* Counts over a stretch of time (a slot, a window) or since an edge began. */
struct window_counts {
	uint64_t requests;
	uint64_t errors; /* 5xx and requests without a response */
	uint64_t auth;	 /* 401 and 403 */
	uint64_t conns_closed;
	uint64_t conns_reset;
	uint64_t latency[WINDOW_LAT_BUCKETS];
};

struct window_slot {
	uint32_t requests, errors, auth, conns_closed, conns_reset;
	uint32_t latency[WINDOW_LAT_BUCKETS];
};

/* What events.c remembers of an edge between ticks (window.c only zeroes it). */
struct window_watch {
	bool announced; /* checked against the learnt pairs */
	bool baseline_set;
	double baseline_rps; /* exponentially weighted mean of the windowed rate */
	uint32_t active;     /* bit (1 << kind) per condition that fired and has not cleared */
	double active_value[8];
};

struct window_edge {
	struct htab_node node;
	struct edge_key key;
	struct edge_end src, dst;
	bool http;
	enum edge_reporter view;   /* the view the counters come from */
	struct window_counts last; /* the edge's counters at the last tick */
	struct window_slot slots[WINDOW_SLOTS];
	uint32_t ticks; /* ticks this entry has been in, for the covered time */
	uint64_t gen;	/* the tick that last saw the edge */
	struct window_watch watch;
};

struct window_stats {
	uint64_t ticks;
	uint64_t edges_full; /* edges not windowed: max_edges entries held */
	uint64_t alloc_failures;
};

struct window {
	struct htab edges;
	uint32_t max_edges;
	uint32_t window_s;
	uint32_t slot; /* the slot the next tick writes */
	uint64_t gen;
	uint64_t last_tick_ns;
	struct window_stats stats;
};

typedef void (*window_gone_fn)(void *ctx, struct window_edge *we);

/* start_ns: when the window starts (the agent's start). */
int window_init(struct window *w, uint32_t window_s, uint32_t max_edges, uint64_t start_ns);
void window_free(struct window *w);
uint64_t window_slot_ns(const struct window *w);
/*
 * One tick over the live edges (the caller holds what guards agg). Entries
 * whose edge is gone are handed to on_gone (may be NULL), then freed.
 */
void window_tick(struct window *w, const struct aggregator *agg, uint64_t now_ns,
		 window_gone_fn on_gone, void *ctx);
/* The entry's counts over the window and the seconds they cover. */
void window_sum(const struct window *w, const struct window_edge *we, struct window_counts *out,
		double *seconds);
/* Adds b into a (bucket by bucket too). */
void window_counts_add(struct window_counts *a, const struct window_counts *b);
/* Quantile q of histogram counts in edge_latency_bounds_s buckets, in seconds; 0 when empty. */
double window_quantile(const uint64_t latency[WINDOW_LAT_BUCKETS], double q);
/* Failed requests (or reset connections of an edge without requests) and what they are out of. */
void window_failures(const struct window_counts *c, uint64_t *failed, uint64_t *total);

#define window_for_each(w, we, n, i)                                                               \
	for ((i) = 0; (i) < (w)->edges.nbuckets; (i)++)                                            \
		for ((n) = (w)->edges.buckets[(i)];                                                \
		     (n) && ((we) = (struct window_edge *)((char *)(n)-offsetof(                   \
				 struct window_edge, node)));                                      \
		     (n) = (n)->next)

#endif /* MESHSIGHT_WINDOW_H */
