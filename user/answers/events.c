// SPDX-License-Identifier: BSD-2-Clause
/*
 * See events.h. Evaluation is O(windowed edges) per tick with no allocation
 * but the first sighting of a pair; names are resolved only for an edge's
 * first tick (to check its pair) and for the events it raises.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answers/events.h"
#include "answers/splits.h"
#include "answers/graph.h"
#include "lib/clock.h"
#include "lib/str.h"

static const char *const kind_names[EVENT__MAX] = {
    [EVENT_NEW_EDGE] = "new_edge",	 [EVENT_AUTH_FAILURES] = "auth_failures",
    [EVENT_ERROR_RATE] = "error_rate",	 [EVENT_LATENCY] = "latency",
    [EVENT_RATE_CHANGE] = "rate_change", [EVENT_SPLIT_DRIFT] = "split_drift",
    [EVENT_RESOLVED] = "resolved",
};

struct pair {
	struct htab_node node;
	uint64_t key[2];
};

int events_init(struct events *ev, const struct event_thresholds *th, uint32_t window_s,
		uint64_t start_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->th = *th;
	if (!ev->th.max_events)
		ev->th.max_events = 1;
	ev->ring = calloc(ev->th.max_events, sizeof(*ev->ring));
	if (!ev->ring)
		return -ENOMEM;
	ev->start_ns = start_ns;
	ev->window_s = window_s;
	ev->drifting = calloc(SPLITS_SERVICES_MAX, sizeof(*ev->drifting));
	if (!ev->drifting)
		return -ENOMEM;
	return htab_init(&ev->pairs, offsetof(struct pair, key) - offsetof(struct pair, node),
			 sizeof(((struct pair *)0)->key));
}

void events_free(struct events *ev)
{
	struct htab_node *n, *tmp;
	size_t i;

	htab_for_each_safe(&ev->pairs, n, tmp, i)
	{
		htab_remove(&ev->pairs, n);
		free(n);
	}
	htab_free(&ev->pairs);
	free(ev->ring);
	free(ev->drifting);
	memset(ev, 0, sizeof(*ev));
}

const char *event_kind_name(enum event_kind k)
{
	return k < EVENT__MAX ? kind_names[k] : "unknown";
}

const char *event_severity(const struct event *e)
{
	switch (e->kind) {
	case EVENT_ERROR_RATE:
		return "critical";
	case EVENT_AUTH_FAILURES:
	case EVENT_LATENCY:
	case EVENT_RATE_CHANGE:
	case EVENT_SPLIT_DRIFT:
		return "warning";
	default:
		return "info";
	}
}

void events_add(struct events *ev, const struct event *e)
{
	struct event *slot = &ev->ring[ev->head];

	if (ev->count == ev->th.max_events)
		ev->overwritten++;
	else
		ev->count++;
	*slot = *e;
	if (!slot->time_unix_ns)
		slot->time_unix_ns = clock_unix_ns();
	ev->head = (ev->head + 1) % ev->th.max_events;
	ev->seq++;
	if (e->kind < EVENT__MAX)
		ev->by_kind[e->kind]++;
}

size_t events_since(const struct events *ev, uint64_t *cursor, struct event *out, size_t max,
		    uint64_t *missed)
{
	uint64_t oldest = ev->seq - ev->count, behind;
	size_t n, i;

	if (*cursor < oldest) {
		*missed += oldest - *cursor;
		*cursor = oldest;
	}
	n = ev->seq - *cursor < max ? ev->seq - *cursor : max;
	for (i = 0; i < n; i++) {
		behind = ev->seq - (*cursor + i); /* 1 for the newest */
		out[i] = ev->ring[(ev->head + ev->th.max_events - behind) % ev->th.max_events];
	}
	*cursor += n;
	return n;
}

/* The two ends as the graph names them, resolved on demand. */
struct ends {
	bool resolved;
	char src[GRAPH_ID_MAX], dst[GRAPH_ID_MAX];
};

static void ends_resolve(struct ends *x, struct naming *naming, const struct window_edge *we)
{
	struct endpoint_names n;
	enum graph_node_kind kind;

	if (x->resolved)
		return;
	naming_resolve(naming, we->key.src_addr, &we->src, &n);
	graph_node_id(&n, &kind, x->src, sizeof(x->src));
	naming_resolve(naming, we->key.dst_addr, &we->dst, &n);
	graph_node_id(&n, &kind, x->dst, sizeof(x->dst));
	x->resolved = true;
}

static void emit(struct events *ev, struct naming *naming, struct ends *x,
		 const struct window_edge *we, enum event_kind kind, enum event_kind resolves,
		 double value, double threshold, const char *detail)
{
	struct event e = {.kind = kind,
			  .resolves = resolves,
			  .value = value,
			  .threshold = threshold,
			  .port = we->key.dst_port};

	ends_resolve(x, naming, we);
	snprintf(e.source, sizeof(e.source), "%s", x->src);
	snprintf(e.destination, sizeof(e.destination), "%s", x->dst);
	str_copy(e.detail, sizeof(e.detail), detail);
	events_add(ev, &e);
}

/* Fires when a condition starts, resolves when it ends. */
static void condition(struct events *ev, struct naming *naming, struct ends *x,
		      struct window_edge *we, enum event_kind kind, bool on, double value,
		      double threshold, const char *detail)
{
	uint32_t bit = 1u << kind;
	char why[EVENTS_DETAIL_MAX];

	if (on && !(we->watch.active & bit)) {
		we->watch.active |= bit;
		emit(ev, naming, x, we, kind, kind, value, threshold, detail);
	} else if (!on && (we->watch.active & bit)) {
		we->watch.active &= ~bit;
		snprintf(why, sizeof(why), "%s cleared", kind_names[kind]);
		emit(ev, naming, x, we, EVENT_RESOLVED, kind, value, threshold, why);
	}
}

static bool learning(const struct events *ev, uint64_t now_ns)
{
	return now_ns - ev->start_ns < (uint64_t)ev->th.learn_s * NS_PER_S;
}

/* Is (source, destination, port) new? Learns it either way. */
static bool pair_is_new(struct events *ev, const struct ends *x, uint16_t port)
{
	char buf[2 * GRAPH_ID_MAX + 16];
	struct pair *p;
	uint64_t key[2];
	int len;

	len = snprintf(buf, sizeof(buf), "%s\n%s\n%u", x->src, x->dst, port);
	key[0] = htab_hash_bytes(buf, (size_t)len);
	buf[len] = '#';
	key[1] = htab_hash_bytes(buf, (size_t)len + 1);
	if (htab_find(&ev->pairs, key))
		return false;
	if (ev->pairs.count >= EVENTS_PAIRS_MAX) {
		ev->pairs_full++;
		return false;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ev->pairs_full++;
		return false;
	}
	memcpy(p->key, key, sizeof(key));
	htab_insert(&ev->pairs, &p->node);
	return true;
}

static void check_new_edge(struct events *ev, struct naming *naming, struct ends *x,
			   struct window_edge *we, uint64_t now_ns)
{
	bool learnt = learning(ev, now_ns);

	we->watch.announced = true;
	ends_resolve(x, naming, we);
	if (pair_is_new(ev, x, we->key.dst_port) && !learnt)
		emit(ev, naming, x, we, EVENT_NEW_EDGE, EVENT_NEW_EDGE, 0, 0,
		     we->http ? "first http request after the learning period"
			      : "first tcp connection after the learning period");
}

static void check_rate(struct events *ev, struct naming *naming, struct ends *x,
		       struct window_edge *we, const struct window_counts *c, double seconds,
		       uint64_t now_ns, double slot_s)
{
	struct window_watch *ww = &we->watch;
	double n = (double)(c->requests ? c->requests : c->conns_closed), rate, f, alpha;
	bool on, worth;
	char why[EVENTS_DETAIL_MAX];

	if (we->ticks < WINDOW_SLOTS || seconds <= 0)
		return;
	rate = n / seconds;
	if (!ww->baseline_set) {
		ww->baseline_rps = rate;
		ww->baseline_set = true;
		return;
	}
	f = ev->th.rate_factor;
	worth = ww->baseline_rps * seconds >= ev->th.min_requests;
	on = worth && !learning(ev, now_ns) &&
	     (rate >= f * ww->baseline_rps || rate <= ww->baseline_rps / f);
	snprintf(why, sizeof(why), "%.3g/s against a baseline of %.3g/s", rate, ww->baseline_rps);
	condition(ev, naming, x, we, EVENT_RATE_CHANGE, on, rate, ww->baseline_rps, why);
	alpha = 1 - exp2(-slot_s / (ev->th.rate_halflife_s ? ev->th.rate_halflife_s : 1));
	ww->baseline_rps += alpha * (rate - ww->baseline_rps);
}

static void evaluate_edge(struct events *ev, struct window *w, struct naming *naming,
			  struct window_edge *we, uint64_t now_ns)
{
	const struct event_thresholds *th = &ev->th;
	struct ends x = {0};
	struct window_counts c;
	uint64_t failed, total;
	double seconds, ratio, p95;
	char why[EVENTS_DETAIL_MAX];

	if (!we->watch.announced)
		check_new_edge(ev, naming, &x, we, now_ns);
	window_sum(w, we, &c, &seconds);
	snprintf(why, sizeof(why), "%llu responses 401/403 in %.0f s", (unsigned long long)c.auth,
		 seconds);
	condition(ev, naming, &x, we, EVENT_AUTH_FAILURES, c.auth >= th->auth_failures,
		  (double)c.auth, th->auth_failures, why);
	window_failures(&c, &failed, &total);
	ratio = total ? (double)failed / (double)total : 0;
	snprintf(why, sizeof(why), "%llu of %llu %s failed in %.0f s", (unsigned long long)failed,
		 (unsigned long long)total, c.requests ? "requests" : "connections", seconds);
	condition(ev, naming, &x, we, EVENT_ERROR_RATE,
		  total >= th->min_requests && ratio >= th->error_ratio, ratio, th->error_ratio,
		  why);
	p95 = window_quantile(c.latency, 0.95);
	snprintf(why, sizeof(why), "p95 %.0f ms over %llu requests", p95 * 1e3,
		 (unsigned long long)c.requests);
	condition(ev, naming, &x, we, EVENT_LATENCY,
		  c.requests >= th->min_requests && p95 >= th->latency_s, p95, th->latency_s, why);
	check_rate(ev, naming, &x, we, &c, seconds, now_ns,
		   (double)window_slot_ns(w) / (double)NS_PER_S);
}

void events_evaluate(struct events *ev, struct window *w, struct naming *naming, uint64_t now_ns)
{
	struct window_edge *we;
	struct htab_node *n;
	size_t i;

	window_for_each(w, we, n, i) evaluate_edge(ev, w, naming, we, now_ns);
}

void events_edge_gone(void *ctx, struct window_edge *we)
{
	struct events_gone_ctx *g = ctx;
	struct ends x = {0};
	enum event_kind k;

	for (k = 0; k < EVENT__MAX; k++)
		if (we->watch.active & (1u << k))
			emit(g->ev, g->naming, &x, we, EVENT_RESOLVED, k, 0, 0, "the edge expired");
	we->watch.active = 0;
}

/* ------------------------------------------------------------ split_drift */

static void split_event(struct events *ev, enum event_kind kind, const char *service, double value,
			const char *detail)
{
	struct event e = {.kind = kind, .resolves = EVENT_SPLIT_DRIFT, .value = value};

	e.threshold = ev->th.split_drift;
	str_copy(e.destination, sizeof(e.destination), service);
	str_copy(e.detail, sizeof(e.detail), detail);
	events_add(ev, &e);
}

static void drift_forget(struct events *ev, uint32_t i)
{
	memmove(ev->drifting[i], ev->drifting[i + 1],
		(ev->ndrifting - i - 1) * sizeof(ev->drifting[0]));
	ev->ndrifting--;
}

static int drift_find(const struct events *ev, const char *service)
{
	uint32_t i;

	for (i = 0; i < ev->ndrifting; i++)
		if (!strcmp(ev->drifting[i], service))
			return (int)i;
	return -1;
}

static void split_check(struct events *ev, const struct split_service *s, bool *seen)
{
	const struct split_version *worst;
	double drift = split_drift(s, &worst);
	int i = drift_find(ev, s->name);
	char why[EVENTS_DETAIL_MAX + 256]; /* cut to the detail's size when added */

	if (i >= 0)
		seen[i] = true;
	if (!s->configured || s->requests < ev->th.split_min_requests || !worst)
		return;
	if (drift > ev->th.split_drift && i < 0 && ev->ndrifting < SPLITS_SERVICES_MAX) {
		/* The VirtualService's name may be long: the detail is cut, never the version. */
		snprintf(why, sizeof(why), "%.63s got %.0f%% of %llu requests, %.40s says %d%%",
			 worst->version, 100.0 * worst->requests / s->requests,
			 (unsigned long long)s->requests, s->virtual_service,
			 worst->weight < 0 ? 0 : worst->weight);
		seen[ev->ndrifting] = true;
		snprintf(ev->drifting[ev->ndrifting++], EVENTS_NAME_MAX, "%s", s->name);
		split_event(ev, EVENT_SPLIT_DRIFT, s->name, drift, why);
	} else if (drift <= ev->th.split_drift && i >= 0) {
		drift_forget(ev, (uint32_t)i);
		memmove(&seen[i], &seen[i + 1], (ev->ndrifting - i) * sizeof(*seen));
		split_event(ev, EVENT_RESOLVED, s->name, drift, "split_drift cleared");
	}
}

/*
 * Services in drift that the set no longer shows configured with traffic
 * resolve too: without requests or a VirtualService there is nothing to
 * drift from. O(services x drifting), both at most SPLITS_SERVICES_MAX.
 */
void events_split_drift(struct events *ev, const struct split_set *set)
{
	bool seen[SPLITS_SERVICES_MAX] = {0};
	uint32_t i;

	for (i = 0; i < set->n; i++)
		split_check(ev, &set->s[i], seen);
	for (i = ev->ndrifting; i-- > 0;) {
		if (seen[i])
			continue;
		split_event(ev, EVENT_RESOLVED, ev->drifting[i], 0,
			    "split_drift cleared: no requests or no VirtualService left");
		drift_forget(ev, i);
	}
}

/* ------------------------------------------------------------ output */

static json_t *event_json(const struct event *e)
{
	json_t *o = json_object();
	char when[80];
	time_t secs = (time_t)(e->time_unix_ns / NS_PER_S);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(e->time_unix_ns % NS_PER_S / 1000000));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "time_unix_nano", json_integer((json_int_t)e->time_unix_ns));
	json_object_set_new(o, "kind", json_string(event_kind_name(e->kind)));
	json_object_set_new(o, "severity", json_string(event_severity(e)));
	json_object_set_new(o, "source", json_string(e->source));
	json_object_set_new(o, "destination", json_string(e->destination));
	json_object_set_new(o, "port", json_integer(e->port));
	json_object_set_new(o, "value", json_real(e->value));
	json_object_set_new(o, "threshold", json_real(e->threshold));
	json_object_set_new(o, "detail", json_string(e->detail));
	if (e->kind == EVENT_RESOLVED)
		json_object_set_new(o, "resolves", json_string(event_kind_name(e->resolves)));
	return o;
}

static json_t *thresholds_json(const struct events *ev)
{
	json_t *o = json_object();

	json_object_set_new(o, "window_seconds", json_integer((json_int_t)ev->window_s));
	json_object_set_new(o, "learn_seconds", json_integer(ev->th.learn_s));
	json_object_set_new(o, "auth_failures", json_integer(ev->th.auth_failures));
	json_object_set_new(o, "error_rate", json_real(ev->th.error_ratio));
	json_object_set_new(o, "min_requests", json_integer(ev->th.min_requests));
	json_object_set_new(o, "latency_ms", json_real(ev->th.latency_s * 1e3));
	json_object_set_new(o, "rate_factor", json_real(ev->th.rate_factor));
	json_object_set_new(o, "rate_halflife_seconds", json_integer(ev->th.rate_halflife_s));
	json_object_set_new(o, "split_drift", json_real(ev->th.split_drift));
	json_object_set_new(o, "split_min_requests", json_integer(ev->th.split_min_requests));
	return o;
}

json_t *events_json(const struct events *ev, uint32_t limit)
{
	json_t *root = json_object(), *list = json_array(), *counts = json_object();
	uint32_t n = limit && limit < ev->count ? limit : ev->count, i, max = ev->th.max_events;
	enum event_kind k;

	for (i = 0; i < n; i++)
		json_array_append_new(list, event_json(&ev->ring[(ev->head + max - n + i) % max]));
	for (k = 0; k < EVENT__MAX; k++)
		json_object_set_new(counts, kind_names[k],
				    json_integer((json_int_t)ev->by_kind[k]));
	json_object_set_new(root, "events", list);
	json_object_set_new(root, "counts", counts);
	json_object_set_new(root, "overwritten", json_integer((json_int_t)ev->overwritten));
	json_object_set_new(root, "thresholds", thresholds_json(ev));
	return root;
}

void events_get_stats(const struct events *ev, struct answers_stats *out)
{
	uint32_t k;

	out->nkinds = EVENT__MAX < ANSWERS_KINDS_MAX ? EVENT__MAX : ANSWERS_KINDS_MAX;
	for (k = 0; k < out->nkinds; k++) {
		out->kind_names[k] = kind_names[k];
		out->events_by_kind[k] = ev->by_kind[k];
	}
	out->events_overwritten = ev->overwritten;
	out->pairs_dropped = ev->pairs_full;
}
