// SPDX-License-Identifier: BSD-2-Clause
/*
 * See window.h. A tick is O(edges): one lookup and about 50 subtractions an
 * edge, ~1 ms for 10,000 edges, run on a snapshot so the event loop never
 * waits for it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "answers/window.h"
#include "lib/clock.h"

int window_init(struct window *w, uint32_t window_s, uint32_t max_edges, uint64_t start_ns)
{
	memset(w, 0, sizeof(*w));
	w->last_tick_ns = start_ns;
	w->window_s = window_s ? window_s : 6; /* the shortest window the options allow */
	w->max_edges = max_edges ? max_edges : 1;
	return htab_init(&w->edges,
			 offsetof(struct window_edge, key) - offsetof(struct window_edge, node),
			 sizeof(struct edge_key));
}

static struct window_edge *entry_of(struct htab_node *n)
{
	return container_of(n, struct window_edge, node);
}

void window_free(struct window *w)
{
	struct htab_node *n, *tmp;
	size_t i;

	htab_for_each_safe(&w->edges, n, tmp, i)
	{
		htab_remove(&w->edges, n);
		free(entry_of(n));
	}
	htab_free(&w->edges);
}

uint64_t window_slot_ns(const struct window *w)
{
	return (uint64_t)w->window_s * NS_PER_S / WINDOW_SLOTS;
}

static void counts_of_view(const struct edge_view *v, struct window_counts *c)
{
	uint16_t i;

	memset(c, 0, sizeof(*c));
	c->requests = v->requests;
	c->errors = v->errors;
	c->conns_closed = v->conns_closed;
	c->conns_reset = v->conns_reset;
	for (i = 0; i < v->nstatuses; i++)
		if (v->statuses[i].code == 401 || v->statuses[i].code == 403)
			c->auth += v->statuses[i].count;
	memcpy(c->latency, v->latency_buckets, sizeof(c->latency));
}

/* Growth from a to b; a counter that went down (never, short of a bug) grew by 0. */
static uint32_t grown(uint64_t a, uint64_t b)
{
	uint64_t d = b > a ? b - a : 0;

	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void slot_fill(struct window_slot *s, const struct window_counts *was,
		      const struct window_counts *now)
{
	int b;

	s->requests = grown(was->requests, now->requests);
	s->errors = grown(was->errors, now->errors);
	s->auth = grown(was->auth, now->auth);
	s->conns_closed = grown(was->conns_closed, now->conns_closed);
	s->conns_reset = grown(was->conns_reset, now->conns_reset);
	for (b = 0; b < WINDOW_LAT_BUCKETS; b++)
		s->latency[b] = grown(was->latency[b], now->latency[b]);
}

/*
 * A new entry counts everything its edge holds: the window starts with the
 * agent, so an edge it has not seen is new (or was created while the last
 * snapshot was taken). Only once the window has refused an edge for want of
 * room may an edge older than the last tick have a past outside it: such an
 * edge starts from its counters now. The edge's own first_ns cannot decide
 * alone: it is the kernel's timestamp of the first event, which under load
 * is read after the tick that follows it.
 */
static struct window_edge *entry_new(struct window *w, const struct edge *e,
				     const struct window_counts *now)
{
	struct window_edge *we;

	if (w->edges.count >= w->max_edges) {
		w->stats.edges_full++;
		return NULL;
	}
	we = calloc(1, sizeof(*we));
	if (!we) {
		w->stats.alloc_failures++;
		return NULL;
	}
	we->key = e->key;
	if (w->stats.edges_full && e->first_ns <= w->last_tick_ns)
		we->last = *now;
	htab_insert(&w->edges, &we->node);
	return we;
}

static void tick_edge(struct window *w, const struct edge *e)
{
	struct window_edge *we;
	struct htab_node *n = htab_find(&w->edges, &e->key);
	struct window_counts now;
	enum edge_reporter which;

	counts_of_view(edge_primary_view(e, &which), &now);
	we = n ? entry_of(n) : entry_new(w, e, &now);
	if (!we)
		return;
	/*
	 * When the server's view appears it takes over from the client's: both
	 * count the same requests, so its counters are diffed against what the
	 * client's had (a bucket that went down grew by 0). Rebasing instead
	 * would lose what the server counted before its first tick, e.g. every
	 * close of a short connection.
	 */
	we->view = which;
	slot_fill(&we->slots[w->slot], &we->last, &now);
	we->last = now;
	we->src = e->src;
	we->dst = e->dst;
	we->http = e->key.proto == EDGE_PROTO_HTTP;
	we->gen = w->gen;
	if (we->ticks < WINDOW_SLOTS)
		we->ticks++;
}

void window_tick(struct window *w, const struct aggregator *agg, uint64_t now_ns,
		 window_gone_fn on_gone, void *ctx)
{
	struct htab_node *n, *tmp;
	const struct edge *e;
	size_t i;

	w->gen++;
	/* The slot being written held the growth of one window ago: it leaves now. */
	htab_for_each_safe(&w->edges, n, tmp, i)
	    memset(&entry_of(n)->slots[w->slot], 0, sizeof(struct window_slot));
	for (e = agg->lru_head; e; e = e->lru_next)
		tick_edge(w, e);
	htab_for_each_safe(&w->edges, n, tmp, i)
	{
		struct window_edge *we = entry_of(n);

		if (we->gen == w->gen)
			continue;
		if (on_gone)
			on_gone(ctx, we);
		htab_remove(&w->edges, n);
		free(we);
	}
	w->slot = (w->slot + 1) % WINDOW_SLOTS;
	w->last_tick_ns = now_ns;
	w->stats.ticks++;
}

void window_counts_add(struct window_counts *a, const struct window_counts *b)
{
	int i;

	a->requests += b->requests;
	a->errors += b->errors;
	a->auth += b->auth;
	a->conns_closed += b->conns_closed;
	a->conns_reset += b->conns_reset;
	for (i = 0; i < WINDOW_LAT_BUCKETS; i++)
		a->latency[i] += b->latency[i];
}

void window_sum(const struct window *w, const struct window_edge *we, struct window_counts *out,
		double *seconds)
{
	int s, b;

	memset(out, 0, sizeof(*out));
	for (s = 0; s < WINDOW_SLOTS; s++) {
		const struct window_slot *sl = &we->slots[s];

		out->requests += sl->requests;
		out->errors += sl->errors;
		out->auth += sl->auth;
		out->conns_closed += sl->conns_closed;
		out->conns_reset += sl->conns_reset;
		for (b = 0; b < WINDOW_LAT_BUCKETS; b++)
			out->latency[b] += sl->latency[b];
	}
	if (seconds)
		*seconds = (double)we->ticks * w->window_s / WINDOW_SLOTS;
}

/* Linear within the bucket that holds the rank; the +Inf bucket reads as the last bound. */
double window_quantile(const uint64_t latency[WINDOW_LAT_BUCKETS], double q)
{
	uint64_t total = 0, below = 0;
	double rank, lo, hi;
	int b;

	for (b = 0; b < WINDOW_LAT_BUCKETS; b++)
		total += latency[b];
	if (!total)
		return 0;
	rank = q * (double)total;
	for (b = 0; b < WINDOW_LAT_BUCKETS; b++) {
		if (latency[b] && (double)(below + latency[b]) >= rank)
			break;
		below += latency[b];
	}
	if (b >= EDGE_LATENCY_BOUNDS)
		return edge_latency_bounds_s[EDGE_LATENCY_BOUNDS - 1];
	lo = b ? edge_latency_bounds_s[b - 1] : 0;
	hi = edge_latency_bounds_s[b];
	return lo + (hi - lo) * ((rank - (double)below) / (double)latency[b]);
}

void window_failures(const struct window_counts *c, uint64_t *failed, uint64_t *total)
{
	if (c->requests) {
		*failed = c->errors;
		*total = c->requests;
	} else {
		*failed = c->conns_reset;
		*total = c->conns_closed;
	}
}
