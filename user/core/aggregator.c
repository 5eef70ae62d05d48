// SPDX-License-Identifier: BSD-2-Clause
/*
 * See aggregator.h. Edges live in a hash table for lookup and on an LRU list
 * (by last update) so both idle expiry and eviction at the limit are O(1) per
 * edge removed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/aggregator.h"

const double edge_latency_bounds_s[EDGE_LATENCY_BOUNDS] = {
    40e-6,  60e-6,  80e-6,				    /* */
    100e-6, 150e-6, 200e-6, 300e-6, 400e-6, 600e-6, 800e-6, /* */
    1e-3,   1.5e-3, 2e-3,   3e-3,   4e-3,   6e-3,   8e-3,   /* */
    10e-3,  15e-3,  20e-3,  30e-3,  40e-3,  60e-3,  80e-3,  /* */
    0.1,    0.15,   0.2,    0.3,    0.4,    0.6,    0.8,    /* */
    1,	    1.5,    2,	    3,	    4,	    6,	    8,	    /* */
    10,
};

/* Envoy's HistogramSettingsImpl::defaultBuckets(). */
const double edge_envoy_bounds[EDGE_ENVOY_BOUNDS] = {
    0.5,  1,	5,     10,    25,    50,     100,    250,     500,     1000,
    2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
};

static void lru_unlink(struct aggregator *a, struct edge *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		a->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		a->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(struct aggregator *a, struct edge *e)
{
	e->lru_prev = NULL;
	e->lru_next = a->lru_head;
	if (a->lru_head)
		a->lru_head->lru_prev = e;
	a->lru_head = e;
	if (!a->lru_tail)
		a->lru_tail = e;
}

static void touch(struct aggregator *a, struct edge *e, uint64_t now_ns)
{
	/* Event and scan timestamps interleave: never move an edge back in time. */
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
	if (a->lru_head != e) {
		lru_unlink(a, e);
		lru_push_head(a, e);
	}
}

static void edge_destroy(struct aggregator *a, struct edge *e)
{
	int r;

	htab_remove(&a->edges, &e->node);
	lru_unlink(a, e);
	a->destroyed++;
	for (r = 0; r < REPORTER__MAX; r++) {
		free(e->view[r].statuses);
		free(e->view[r].series);
		sketch_free(&e->view[r].latency);
	}
	free(e);
}

int agg_init(struct aggregator *a, uint32_t max_edges, uint64_t idle_ns)
{
	memset(a, 0, sizeof(*a));
	a->max_edges = max_edges ? max_edges : 1;
	a->idle_ns = idle_ns;
	return htab_init(&a->edges, offsetof(struct edge, key) - offsetof(struct edge, node),
			 sizeof(struct edge_key));
}

void agg_free(struct aggregator *a)
{
	while (a->lru_head)
		edge_destroy(a, a->lru_head);
	htab_free(&a->edges);
}

struct edge *agg_find(const struct aggregator *a, const struct edge_key *k)
{
	struct htab_node *n = htab_find(&a->edges, k);

	return n ? container_of(n, struct edge, node) : NULL;
}

struct edge *agg_edge(struct aggregator *a, const struct edge_key *k, uint64_t now_ns)
{
	struct edge *e = agg_find(a, k);
	int r;

	if (e)
		return e;
	if (a->edges.count >= a->max_edges && a->lru_tail) {
		edge_destroy(a, a->lru_tail);
		a->stats.evicted_limit++;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		a->stats.alloc_failures++;
		return NULL;
	}
	e->key = *k;
	e->dst.port = k->dst_port;
	e->first_ns = e->last_ns = now_ns;
	for (r = 0; r < REPORTER__MAX; r++)
		sketch_init(&e->view[r].latency);
	htab_insert(&a->edges, &e->node);
	lru_push_head(a, e);
	a->stats.edges_created++;
	return e;
}

bool edge_is_error_status(uint16_t status)
{
	return status == 0 || status >= 500;
}

const char *edge_proto_name(uint8_t proto)
{
	switch (proto) {
	case EDGE_PROTO_HTTP:
		return "http";
	case EDGE_PROTO_HTTP2:
		return "http2";
	case EDGE_PROTO_GRPC:
		return "grpc";
	}
	return "tcp";
}

int edge_txn_grpc_status(const struct http1_txn *t)
{
	if (!(t->flags & HTTP1_TXN_F_GRPC) || !(t->flags & HTTP1_TXN_F_GRPC_STATUS))
		return -1;
	return t->grpc_status < EDGE_GRPC_CODES ? t->grpc_status : 2;
}

/*
 * An HTTP/2 stream whose headers could not be decoded (HPACK lost) and that
 * ended normally is not an error: its status is merely unknown.
 */
bool edge_txn_is_error(const struct http1_txn *t)
{
	const uint32_t failed =
	    HTTP1_TXN_F_NO_RESPONSE | HTTP1_TXN_F_STREAM_RESET | HTTP1_TXN_F_REFUSED;

	if (!(t->flags & HTTP1_TXN_F_H2))
		return edge_is_error_status(t->status);
	if (t->flags & failed)
		return true;
	if (t->flags & HTTP1_TXN_F_GRPC)
		return edge_txn_grpc_status(t) != 0;
	if (!t->status && (t->flags & HTTP1_TXN_F_UNNAMED))
		return false;
	return edge_is_error_status(t->status);
}

/* A gRPC path as a series key; "" for anything else. */
static void series_rpc(const struct http1_txn *t, char rpc[EDGE_RPC_MAX])
{
	rpc[0] = '\0';
	if ((t->flags & HTTP1_TXN_F_GRPC) && !(t->flags & HTTP1_TXN_F_PATH_CUT))
		memcpy(rpc, t->path, EDGE_RPC_MAX);
}

/* Sorted insert; at most ~500 distinct codes exist (0 and 100..599). */
static int status_add(struct edge_view *v, uint16_t code)
{
	struct status_count *grown;
	uint16_t i;

	for (i = 0; i < v->nstatuses && v->statuses[i].code < code; i++)
		;
	if (i < v->nstatuses && v->statuses[i].code == code) {
		v->statuses[i].count++;
		return 0;
	}
	grown = realloc(v->statuses, (v->nstatuses + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	v->statuses = grown;
	memmove(&grown[i + 1], &grown[i], (v->nstatuses - i) * sizeof(*grown));
	grown[i].code = code;
	grown[i].count = 1;
	v->nstatuses++;
	return 0;
}

/* The first bound >= ns (a binary search: called twice per request). */
static int latency_bucket(uint64_t ns)
{
	double s = (double)ns / 1e9;
	int lo = 0, hi = EDGE_LATENCY_BOUNDS, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s > edge_latency_bounds_s[mid])
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void latency_add(struct aggregator *a, struct edge_view *v, uint64_t ns)
{
	v->latency_buckets[latency_bucket(ns)]++;
	v->latency_sum_ns += ns;
	if (sketch_add(&v->latency, ns))
		a->stats.alloc_failures++;
}

const char *edge_method_class(const char *method)
{
	static const char *const registered[] = {"GET",	    "HEAD",    "POST",	"PUT",	"DELETE",
						 "CONNECT", "OPTIONS", "TRACE", "PATCH"};
	size_t i;

	for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++)
		if (!strcmp(method, registered[i]))
			return registered[i];
	return "_OTHER";
}

static struct edge_series *series_get(struct aggregator *a, struct edge_view *v,
				      const struct http1_txn *t)
{
	const char *method = edge_method_class(t->method);
	uint8_t major = t->flags & HTTP1_TXN_F_H2 ? 2 : 1;
	int grpc = edge_txn_grpc_status(t);
	struct edge_series *grown, *s;
	char rpc[EDGE_RPC_MAX];
	uint16_t i;

	series_rpc(t, rpc);
	for (i = 0; i < v->nseries; i++) {
		s = &v->series[i];
		if (s->status == t->status && s->version_minor == t->version_minor &&
		    s->version_major == major && s->grpc_status == grpc && !strcmp(s->rpc, rpc) &&
		    !strcmp(s->method, method))
			return s;
	}
	if (v->nseries >= EDGE_SERIES_MAX) {
		a->stats.series_overflow++;
		return NULL;
	}
	grown = realloc(v->series, (v->nseries + 1) * sizeof(*grown));
	if (!grown) {
		a->stats.alloc_failures++;
		return NULL;
	}
	v->series = grown;
	s = &grown[v->nseries++];
	memset(s, 0, sizeof(*s));
	snprintf(s->method, sizeof(s->method), "%s", method);
	s->status = t->status;
	s->version_minor = t->version_minor;
	s->version_major = major;
	s->grpc_status = (int16_t)grpc;
	memcpy(s->rpc, rpc, sizeof(s->rpc));
	return s;
}

/* value is in the bounds' unit (ms or bytes); sum grows by raw (ns or bytes). */
static void envoy_hist_add(struct envoy_hist *h, double value, uint64_t raw)
{
	int b;

	for (b = 0; b < EDGE_ENVOY_BOUNDS && value > edge_envoy_bounds[b]; b++)
		;
	h->buckets[b]++;
	h->sum += raw;
}

/* Istio's request duration ends with the response's last byte. */
static void istio_add(struct edge_series *s, const struct http1_txn *t, uint64_t now_ns)
{
	uint64_t end = t->resp_end_ns ?: t->resp_start_ns ?: now_ns;
	uint64_t ns = end > t->req_start_ns ? end - t->req_start_ns : 0;

	envoy_hist_add(&s->istio_duration, (double)ns / 1e6, ns);
	envoy_hist_add(&s->istio_request_bytes, (double)t->req_bytes, t->req_bytes);
	envoy_hist_add(&s->istio_response_bytes, (double)t->resp_bytes, t->resp_bytes);
}

/* A request with no response lasted until the connection ended (now_ns). */
static void series_add(struct aggregator *a, struct edge_view *v, const struct http1_txn *t,
		       uint64_t now_ns)
{
	uint64_t end = t->resp_start_ns ? t->resp_start_ns : now_ns;
	uint64_t ns = end > t->req_start_ns ? end - t->req_start_ns : 0;
	struct edge_series *s = series_get(a, v, t);

	if (!s)
		return;
	if (!s->count || ns < s->min_ns)
		s->min_ns = ns;
	if (ns > s->max_ns)
		s->max_ns = ns;
	s->count++;
	s->sum_ns += ns;
	s->buckets[latency_bucket(ns)]++;
	istio_add(s, t, now_ns);
}

void agg_record_http(struct aggregator *a, struct edge *e, enum edge_reporter r,
		     const struct http1_txn *t, uint64_t now_ns)
{
	struct edge_view *v = &e->view[r];

	v->seen = true;
	v->requests++;
	if (edge_txn_is_error(t))
		v->errors++;
	if (edge_txn_grpc_status(t) >= 0)
		v->grpc_statuses[edge_txn_grpc_status(t)]++;
	if (status_add(v, t->status))
		a->stats.alloc_failures++;
	/* An HTTP/2 stream seen only from its response has no start to measure from. */
	if (t->resp_start_ns && t->resp_start_ns >= t->req_start_ns &&
	    (t->flags & (HTTP1_TXN_F_H2 | HTTP1_TXN_F_START_EST)) !=
		(HTTP1_TXN_F_H2 | HTTP1_TXN_F_START_EST))
		latency_add(a, v, t->resp_start_ns - t->req_start_ns);
	series_add(a, v, t, now_ns);
	v->request_bytes += t->req_bytes;
	v->response_bytes += t->resp_bytes;
	touch(a, e, now_ns);
}

void agg_record_open(struct aggregator *a, struct edge *e, enum edge_reporter r, uint64_t now_ns)
{
	e->view[r].seen = true;
	e->view[r].conns_opened++;
	touch(a, e, now_ns);
}

void agg_record_close(struct aggregator *a, struct edge *e, enum edge_reporter r, bool reset,
		      uint64_t now_ns)
{
	e->view[r].seen = true;
	e->view[r].conns_closed++;
	if (reset)
		e->view[r].conns_reset++;
	touch(a, e, now_ns);
}

void agg_record_tcp(struct aggregator *a, struct edge *e, enum edge_reporter r, uint64_t sent,
		    uint64_t received, uint32_t retrans, uint32_t srtt_us, uint64_t now_ns)
{
	struct edge_view *v = &e->view[r];

	v->seen = true;
	v->bytes_sent += sent;
	v->bytes_received += received;
	v->retransmits += retrans;
	if (srtt_us)
		v->srtt_us = srtt_us;
	if (sent || received || retrans)
		touch(a, e, now_ns);
}

void agg_retire(struct aggregator *a, struct edge *e)
{
	edge_destroy(a, e);
	a->stats.retired_renamed++;
}

void agg_expire(struct aggregator *a, uint64_t now_ns)
{
	while (a->lru_tail && a->idle_ns && now_ns > a->lru_tail->last_ns &&
	       now_ns - a->lru_tail->last_ns > a->idle_ns) {
		edge_destroy(a, a->lru_tail);
		a->stats.evicted_idle++;
	}
}

const struct edge_view *edge_primary_view(const struct edge *e, enum edge_reporter *which)
{
	enum edge_reporter r =
	    e->view[REPORTER_DESTINATION].seen ? REPORTER_DESTINATION : REPORTER_SOURCE;

	if (which)
		*which = r;
	return &e->view[r];
}

void agg_snapshot_begin(struct aggregator *src)
{
	htab_freeze(&src->edges);
}

void agg_snapshot_end(struct aggregator *src)
{
	htab_thaw(&src->edges);
}

static void *dup_array(const void *p, size_t n, size_t size)
{
	void *q;

	if (!p || !n)
		return NULL;
	q = malloc(n * size);
	if (q)
		memcpy(q, p, n * size);
	return q;
}

/* A deep copy of one view; on out of memory the copy has fewer details (counted). */
static void view_copy(struct aggregator *dst, struct edge_view *to, const struct edge_view *from)
{
	*to = *from;
	to->statuses = dup_array(from->statuses, from->nstatuses, sizeof(*from->statuses));
	to->series = dup_array(from->series, from->nseries, sizeof(*from->series));
	if (from->nstatuses && !to->statuses)
		to->nstatuses = 0;
	if (from->nseries && !to->series)
		to->nseries = 0;
	if (sketch_copy(&to->latency, &from->latency) || (from->nstatuses && !to->statuses) ||
	    (from->nseries && !to->series))
		dst->stats.alloc_failures++;
}

static void edge_copy_into(struct aggregator *dst, const struct edge *from)
{
	struct edge *e = malloc(sizeof(*e));
	int r;

	if (!e) {
		dst->stats.alloc_failures++;
		return;
	}
	*e = *from;
	for (r = 0; r < REPORTER__MAX; r++)
		view_copy(dst, &e->view[r], &from->view[r]);
	e->lru_prev = dst->lru_tail;
	e->lru_next = NULL;
	if (dst->lru_tail)
		dst->lru_tail->lru_next = e;
	else
		dst->lru_head = e;
	dst->lru_tail = e;
	htab_insert(&dst->edges, &e->node);
}

bool agg_snapshot_slice(struct aggregator *src, size_t *cursor, size_t nbuckets,
			struct aggregator *dst)
{
	struct htab_node *n;
	size_t end = *cursor + nbuckets;

	if (end > src->edges.nbuckets)
		end = src->edges.nbuckets;
	if (*cursor == 0) {
		dst->stats = src->stats;
		dst->max_edges = src->max_edges;
	}
	for (; *cursor < end; (*cursor)++)
		for (n = src->edges.buckets[*cursor]; n; n = n->next)
			edge_copy_into(dst, container_of(n, struct edge, node));
	return *cursor >= src->edges.nbuckets;
}
