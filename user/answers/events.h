/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What just changed, as events: GET /api/v1/events, meshsight_analysis_events_total.
 *
 *   events_init(&ev, &thresholds, now_ns);
 *   after each window_tick: events_evaluate(&ev, &w, naming, now_ns);
 *   window_tick's on_gone: events_edge_gone (resolves what an expired edge had raised)
 *   events_json(&ev) / events_get_stats(&ev, &answers_stats)
 *
 * Conditions are checked per windowed edge (source address, destination
 * address, port, protocol) at every window tick, on the window's figures:
 *   new_edge       a (source node, destination node, port) never seen, once the
 *                  learning period since the start is over (seen during it: learnt)
 *   auth_failures  401 + 403 in the window >= auth_failures
 *   error_rate     failed / total >= error_ratio with total >= min_requests, where
 *                  failed is 5xx + no response (an edge without requests: resets
 *                  out of closed connections)
 *   latency        windowed p95 >= latency_s, with >= min_requests requests
 *   rate_change    windowed rate >= rate_factor x baseline or <= baseline / rate_factor;
 *                  the baseline is an exponentially weighted mean of the windowed
 *                  rate, updated every tick once the edge has a full window, with a
 *                  half-life of rate_halflife_s; checked only once the baseline is
 *                  worth min_requests per window and the learning period is over
 *   resolved       a condition above (not new_edge) cleared, or its edge expired
 *   split_drift    a Service a VirtualService splits (--k8s-virtualservices, see
 *                  answers/splits.h): the largest |observed share - configured
 *                  weight| of its versions > split_drift, over >= split_min_requests
 *                  requests in the window; resolved when it is back within, or
 *                  when the Service has no requests or no VirtualService left
 * Each condition fires once when it starts and once (resolved) when it ends.
 *
 * Memory: a ring of max_events events (488 bytes each; the oldest is
 * overwritten, counted) and a set of learnt pairs (at most
 * EVENTS_PAIRS_MAX, 32 bytes each; past it new pairs are not reported,
 * counted). Pure C; the agent serialises calls with its analysis lock.
 */
#ifndef MESHSIGHT_EVENT_RING_H
#define MESHSIGHT_EVENT_RING_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/htab.h"
#include "naming/naming.h"
#include "answers/window.h"
#include "core/self_stats.h"

#define EVENTS_PAIRS_MAX  65536
#define EVENTS_NAME_MAX	  160
#define EVENTS_DETAIL_MAX 128

enum event_kind {
	EVENT_NEW_EDGE,
	EVENT_AUTH_FAILURES,
	EVENT_ERROR_RATE,
	EVENT_LATENCY,
	EVENT_RATE_CHANGE,
	EVENT_SPLIT_DRIFT,
	EVENT_RESOLVED,
	EVENT__MAX,
};

struct event_thresholds {
	uint32_t learn_s;	     /* --learn */
	uint32_t auth_failures;	     /* --event-auth-failures */
	double error_ratio;	     /* --event-error-rate (percent on the command line) */
	uint32_t min_requests;	     /* --event-min-requests */
	double latency_s;	     /* --event-latency-ms */
	double rate_factor;	     /* --event-rate-factor */
	uint32_t rate_halflife_s;    /* --event-rate-halflife */
	uint32_t max_events;	     /* --max-events */
	double split_drift;	     /* --event-split-drift (percent points on the command line) */
	uint32_t split_min_requests; /* --event-split-min-requests */
};

struct event {
	uint64_t time_unix_ns;
	enum event_kind kind;
	enum event_kind resolves; /* for EVENT_RESOLVED: the kind that cleared */
	char source[EVENTS_NAME_MAX];
	char destination[EVENTS_NAME_MAX];
	uint16_t port;
	double value, threshold;
	char detail[EVENTS_DETAIL_MAX];
};

struct events {
	struct event_thresholds th;
	struct event *ring;
	uint32_t head, count; /* next write, events held */
	uint64_t seq;	      /* events ever raised */
	uint64_t by_kind[EVENT__MAX];
	uint64_t overwritten;
	uint64_t pairs_full;
	struct htab pairs;
	uint64_t start_ns;
	uint64_t window_s;
	char (*drifting)[EVENTS_NAME_MAX]; /* Services in split_drift: SPLITS_SERVICES_MAX */
	uint32_t ndrifting;
};

int events_init(struct events *ev, const struct event_thresholds *th, uint32_t window_s,
		uint64_t start_ns);
void events_free(struct events *ev);
const char *event_kind_name(enum event_kind k);
const char *event_severity(const struct event *e);
/* Adds an event (time: now on the wall clock when time_unix_ns is 0). */
void events_add(struct events *ev, const struct event *e);
void events_evaluate(struct events *ev, struct window *w, struct naming *naming, uint64_t now_ns);
/* split_drift for the window's splits (answers/splits.h), after events_evaluate. */
struct split_set;
void events_split_drift(struct events *ev, const struct split_set *set);
/* A window_gone_fn: ctx is struct events_gone_ctx. */
struct events_gone_ctx {
	struct events *ev;
	struct naming *naming;
};
void events_edge_gone(void *ctx, struct window_edge *we);
/*
 * For an exporter that keeps its own place: copies the events numbered
 * *cursor on (seq counts every event raised), at most max, oldest first,
 * and moves *cursor past them. Events the ring overwrote before they were
 * read are skipped and added to *missed. Returns how many were copied.
 */
size_t events_since(const struct events *ev, uint64_t *cursor, struct event *out, size_t max,
		    uint64_t *missed);
/* The last limit events (all when 0), oldest first. */
json_t *events_json(const struct events *ev, uint32_t limit);
/* Raised by kind, overwritten, pairs dropped: into the agent's self-stats table. */
void events_get_stats(const struct events *ev, struct answers_stats *out);

#endif /* MESHSIGHT_EVENT_RING_H */
