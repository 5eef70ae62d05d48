/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Service-to-service edges: pure C, no libbpf, unit-tested on its own.
 *
 * An edge is keyed by (source address, destination address, destination
 * port, protocol). Each edge keeps two views of the same traffic: what the
 * client's socket saw (reporter "source") and what the server's socket saw
 * (reporter "destination"). When both ends live on this node both views are
 * filled with the same requests; readers pick one view, so every request is
 * counted once per edge, and both stay available for reporter-labelled
 * metrics.
 *
 * Memory is bounded: at most max_edges edges; idle edges expire after
 * idle_ns; when full, the least recently updated edge is evicted. Both are
 * counted.
 *
 * The series limit is this edge limit: labels never carry addresses, paths
 * or other per-request values (--metrics-labels opts in to addresses), so a
 * series exists per edge, view, method and status only. Its cost is the
 * scrape: one HTTP edge is ~250 KB of Prometheus text, most of it Istio's
 * histograms (~8 KB gzipped), so 10,000 edges (the default --max-edges)
 * are a scrape of a few hundred MB uncompressed. That is fine behind gzip,
 * which Prometheus asks for; when it is not, lower --max-edges (the least
 * recently updated edges go first) rather than drop Istio's families,
 * which Kiali needs.
 */
#ifndef MESHSIGHT_AGGREGATOR_H
#define MESHSIGHT_AGGREGATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/htab.h"
#include "core/http1.h"
#include "core/sketch.h"

enum edge_proto {
	EDGE_PROTO_TCP = 0,
	EDGE_PROTO_HTTP = 1,  /* HTTP/1.x */
	EDGE_PROTO_HTTP2 = 2, /* HTTP/2 over cleartext (h2c) */
	EDGE_PROTO_GRPC = 3,  /* HTTP/2 carrying gRPC (content-type application/grpc) */
};

/* "tcp", "http", "http2" or "grpc": the protocol label and JSON field. */
const char *edge_proto_name(uint8_t proto);
/* Does the edge count requests (HTTP/1, HTTP/2 or gRPC)? */
static inline bool edge_proto_is_http(uint8_t proto)
{
	return proto == EDGE_PROTO_HTTP || proto == EDGE_PROTO_HTTP2 || proto == EDGE_PROTO_GRPC;
}

enum edge_reporter {
	REPORTER_SOURCE = 0,
	REPORTER_DESTINATION = 1,
	REPORTER__MAX,
};

/*
 * Upper bounds (seconds) of the latency histogram buckets, 40 us to 10 s,
 * seven a decade (1, 1.5, 2, 3, 4, 6, 8): no bucket is more than 1.5 times
 * its lower neighbour, so histogram_quantile's linear interpolation lands
 * within 25% of a latency that sits anywhere in a bucket (the midpoint of
 * [l, 1.5 l] is 1.25 l), from 50 us (a same-node call through the mesh) to
 * 10 s. The OpenTelemetry HTTP conventions' advice starts at 5 ms, where a
 * 0.3 ms median would read as 2.5 ms. Cost: 40 counters (320 bytes) per
 * series instead of 15; Prometheus series per histogram 42 instead of 17.
 */
#define EDGE_LATENCY_BOUNDS 39
extern const double edge_latency_bounds_s[EDGE_LATENCY_BOUNDS];

/* Upper bounds of Envoy's default histogram buckets. Istio's standard
 * metrics use them for durations (milliseconds) and sizes (bytes) alike. */
#define EDGE_ENVOY_BOUNDS 19
extern const double edge_envoy_bounds[EDGE_ENVOY_BOUNDS];

/* A histogram in Envoy's buckets; counts are per bucket, not cumulative. */
struct envoy_hist {
	uint64_t buckets[EDGE_ENVOY_BOUNDS + 1]; /* last one is +Inf */
	uint64_t sum;				 /* ns for durations, bytes for sizes */
};

struct edge_key {
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	uint16_t dst_port;
	uint8_t proto; /* enum edge_proto */
	uint8_t _pad;
};

struct status_count {
	uint16_t code; /* 0 = no response */
	uint64_t count;
};

/*
 * One latency histogram per (method, status, HTTP version) of a view: the
 * attribute set of OpenTelemetry's http.*.request.duration. Methods outside
 * the registered set are folded into "_OTHER" so the count of series stays
 * small; past EDGE_SERIES_MAX a view stops adding series (counted).
 */
#define EDGE_SERIES_MAX 32
#define EDGE_METHOD_MAX 8	       /* longest registered method, "CONNECT"/"OPTIONS", + NUL */
#define EDGE_RPC_MAX	HTTP1_PATH_MAX /* gRPC "/package.Service/Method" per series */
#define EDGE_GRPC_CODES 17	       /* gRPC status codes 0 (OK) .. 16 (UNAUTHENTICATED) */

/*
 * gRPC streams are broken down by their path too (service and method: the
 * RPC conventions' rpc.service/rpc.method), which the server defines and
 * keeps few; an HTTP path is never a series key.
 */
struct edge_series {
	char method[EDGE_METHOD_MAX]; /* registered method or "_OTHER" */
	uint16_t status;	      /* 0: no response */
	uint8_t version_minor;
	uint8_t version_major;	/* 1, or 2 for HTTP/2 and gRPC */
	int16_t grpc_status;	/* gRPC status code, -1 when none (or not gRPC) */
	char rpc[EDGE_RPC_MAX]; /* gRPC path, "" otherwise: 128 of the 1000 bytes a series costs */
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns, max_ns;
	uint64_t buckets[EDGE_LATENCY_BOUNDS + 1];
	/*
	 * Istio's standard metrics (render_istio.c), bucketed from the exact
	 * values: request start to response end (to the connection's end when
	 * no response came), and each message's head + body bytes. 504 bytes
	 * per series: an edge whose views hold the usual 2-3 series each carries
	 * about 3 KB of them, one at the EDGE_SERIES_MAX limit in both views 32 KB.
	 */
	struct envoy_hist istio_duration;
	struct envoy_hist istio_request_bytes;
	struct envoy_hist istio_response_bytes;
};

struct edge_view {
	bool seen;
	uint64_t requests;
	uint64_t errors; /* 5xx, no response, reset or refused streams, gRPC status not OK */
	struct status_count *statuses; /* sorted by code, nstatuses entries */
	uint16_t nstatuses;
	/* gRPC streams by grpc-status (codes past 16 count as 2, UNKNOWN); those
	 * with none (reset, no trailers) are in no slot. */
	uint64_t grpc_statuses[EDGE_GRPC_CODES];
	struct sketch latency;				   /* request start -> response start */
	uint64_t latency_buckets[EDGE_LATENCY_BOUNDS + 1]; /* last one is +Inf */
	uint64_t latency_sum_ns;
	struct edge_series *series; /* nseries entries */
	uint16_t nseries;
	uint64_t request_bytes;
	uint64_t response_bytes;
	uint64_t bytes_sent;	 /* source -> destination, TCP payload */
	uint64_t bytes_received; /* destination -> source */
	uint64_t conns_opened;
	uint64_t conns_closed;
	uint64_t conns_reset;
	uint64_t retransmits;
	uint32_t srtt_us; /* most recent smoothed RTT reported for the edge */
};

#define EDGE_UID_MAX 40

struct edge_end {
	uint64_t cgroup_id; /* 0 when the end is not a local socket */
	char comm[16];	    /* "" when unknown */
	uint16_t port;	    /* the destination end's port (from the key); 0 at the source */
	/* The Kubernetes pod this end was first named as. When the address
	 * later belongs to another pod, the agent retires the edge rather
	 * than relabel counts that belong to the old pod. */
	char pod_uid[EDGE_UID_MAX];
	uint64_t named_gen; /* the Kubernetes index generation pod_uid was checked against */
};

struct edge {
	struct htab_node node;
	struct edge_key key;
	struct edge_view view[REPORTER__MAX];
	struct edge_end src; /* filled from the client's socket when local */
	struct edge_end dst; /* filled from the server's socket when local */
	/* The edge's traffic crossed the network inside a mesh tunnel (ztunnel
	 * HBONE on 15008, a sidecar or waypoint): Istio's
	 * connection_security_policy="mutual_tls". Set by flows.c. */
	bool mutual_tls;
	/* Some of the edge's traffic was not seen: a payload event of one of its
	 * connections was lost, or a stream had a gap. Set by flows.c. */
	bool partial;
	/* Some of its connections were TLS read through libssl (the app's own
	 * TLS, not the mesh's: connection_security_policy is unaffected). */
	bool tls;
	uint64_t first_ns;
	uint64_t last_ns;
	struct edge *lru_prev, *lru_next; /* most recently updated at the head */
};

struct agg_stats {
	uint64_t edges_created;
	uint64_t evicted_idle;
	uint64_t evicted_limit;
	uint64_t alloc_failures;
	uint64_t series_overflow; /* transactions not broken down: EDGE_SERIES_MAX reached */
	uint64_t retired_renamed; /* edges ended because an address changed owner */
};

struct aggregator {
	struct htab edges;
	struct edge *lru_head, *lru_tail;
	uint32_t max_edges;
	uint64_t idle_ns;
	/*
	 * Edges destroyed so far: a caller that keeps an edge pointer across
	 * calls (flows.c, per connection) may use it while this is unchanged.
	 */
	uint64_t destroyed;
	struct agg_stats stats;
};

int agg_init(struct aggregator *a, uint32_t max_edges, uint64_t idle_ns);
void agg_free(struct aggregator *a);

/* The registered HTTP method name for a parsed method, or "_OTHER". */
const char *edge_method_class(const char *method);

/* Find or create; NULL only when memory runs out (counted). */
struct edge *agg_edge(struct aggregator *a, const struct edge_key *k, uint64_t now_ns);
struct edge *agg_find(const struct aggregator *a, const struct edge_key *k);

/* now_ns also ends a transaction that got no response (its duration ends there). */
void agg_record_http(struct aggregator *a, struct edge *e, enum edge_reporter r,
		     const struct http1_txn *t, uint64_t now_ns);
void agg_record_open(struct aggregator *a, struct edge *e, enum edge_reporter r, uint64_t now_ns);
void agg_record_close(struct aggregator *a, struct edge *e, enum edge_reporter r, bool reset,
		      uint64_t now_ns);
void agg_record_tcp(struct aggregator *a, struct edge *e, enum edge_reporter r, uint64_t sent,
		    uint64_t received, uint32_t retrans, uint32_t srtt_us, uint64_t now_ns);
/* Ends an edge whose end now names someone else (counted in retired_renamed). */
void agg_retire(struct aggregator *a, struct edge *e);
/* Drops edges not updated for idle_ns. */
void agg_expire(struct aggregator *a, uint64_t now_ns);

/*
 * A copy of the edges, built a slice at a time so that the lock the event
 * loop needs is held for one slice, never for a whole scrape:
 *
 *   agg_snapshot_begin(src);                            (lock held)
 *   while (!agg_snapshot_slice(src, &cursor, 64, &dst)) (lock held per call)
 *           ;
 *   agg_snapshot_end(src);                              (lock held)
 *
 * dst is an aggregator from agg_init, read by renderers without the lock
 * and freed with agg_free. Edges that exist for the whole walk are copied
 * once; edges created meanwhile may be missed, edges removed meanwhile may
 * be in it: the next scrape sees them. Cost: the edges' memory once more
 * (about 3 KB an edge with a few series per view).
 */
void agg_snapshot_begin(struct aggregator *src);
/* Copies the edges of the next nbuckets hash buckets; true when none is left. */
bool agg_snapshot_slice(struct aggregator *src, size_t *cursor, size_t nbuckets,
			struct aggregator *dst);
void agg_snapshot_end(struct aggregator *src);

/* The view readers should report: the server's when it saw the traffic. */
const struct edge_view *edge_primary_view(const struct edge *e, enum edge_reporter *which);
bool edge_is_error_status(uint16_t status);
/* Is this transaction an error for the edge (see edge_view.errors)? */
bool edge_txn_is_error(const struct http1_txn *t);
/* The series' gRPC status for a transaction: -1 when it has none. */
int edge_txn_grpc_status(const struct http1_txn *t);

#endif /* MESHSIGHT_AGGREGATOR_H */
