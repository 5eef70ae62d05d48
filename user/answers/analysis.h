/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * From edges to answers: the sliding window (window.h), the graph and its
 * analysis (graph.h) and the events (events.h), behind one lock, for the
 * agent to tick and the endpoint to read:
 *
 *   analysis_init(&an, &flags, max_edges, now_ns);
 *   main loop, every analysis_tick_ns(&an): analysis_tick(&an, snapshot agg, naming, now_ns);
 *   endpoint: analysis_render(&an, naming, path, out, &type)  (-ENOENT: not ours)
 *   counters: analysis_get_stats(&an, &answers_stats) (core/self_stats.h)
 *
 * The lock is held for a tick (O(edges), ~1-5 ms at 10,000 edges) and for
 * building a page (naming every windowed edge); neither holds the agent's
 * lock, so the event loop never waits for them.
 */
#ifndef MESHSIGHT_ANALYSIS_H
#define MESHSIGHT_ANALYSIS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "core/aggregator.h"
#include "answers/events.h"
#include "naming/naming.h"
#include "answers/window.h"

struct analysis_flags {
	uint32_t window_s; /* --window */
	struct event_thresholds events;
};

struct analysis {
	pthread_mutex_t lock;
	struct window win;
	struct events ev;
};

int analysis_init(struct analysis *an, const struct analysis_flags *f, uint32_t max_edges,
		  uint64_t now_ns);
void analysis_free(struct analysis *an);
uint64_t analysis_tick_ns(const struct analysis *an);
void analysis_tick(struct analysis *an, const struct aggregator *agg, struct naming *naming,
		   uint64_t now_ns);
int analysis_render(struct analysis *an, struct naming *naming, const char *path, FILE *out,
		    const char **type);
/* The window's and the events' counters, for the agent's self-stats table. */
void analysis_get_stats(struct analysis *an, struct answers_stats *out);

#endif /* MESHSIGHT_ANALYSIS_H */
