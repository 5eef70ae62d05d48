// SPDX-License-Identifier: BSD-2-Clause
/*
 * See otlp/metrics.h. The request is assembled in a scratch arena (every
 * string, attribute array and point list of one build) and freed in one go
 * after encoding, so a build costs no bookkeeping beyond its own lifetime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/h2.h"
#include "otlp/metrics.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	unsigned char data[];
};

struct arena {
	struct arena_chunk *head;
	bool oom;
};

static void *arena_alloc(struct arena *ar, size_t n)
{
	struct arena_chunk *c = ar->head;
	size_t size;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > c->size) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + size);
		if (!c) {
			ar->oom = true;
			return NULL;
		}
		c->used = 0;
		c->size = size;
		c->next = ar->head;
		ar->head = c;
	}
	c->used += n;
	return memset(c->data + c->used - n, 0, n);
}

static const char *arena_printf(struct arena *ar, const char *fmt, const char *a)
{
	size_t n = snprintf(NULL, 0, fmt, a) + 1;
	char *s = arena_alloc(ar, n);

	if (s)
		snprintf(s, n, fmt, a);
	return s ? s : "";
}

static void arena_free(struct arena *ar)
{
	struct arena_chunk *c, *next;

	for (c = ar->head; c; c = next) {
		next = c->next;
		free(c);
	}
	ar->head = NULL;
}

static const char *arena_strndup(struct arena *ar, const char *p, size_t n)
{
	char *s = arena_alloc(ar, n + 1);

	if (!s)
		return "";
	memcpy(s, p, n);
	return s; /* arena_alloc zeroes: NUL-terminated */
}

/* A growable array living in the arena: old copies are simply abandoned. */
struct vec {
	void *v;
	size_t n, cap, elem;
};

static void *vec_push(struct arena *ar, struct vec *vec)
{
	void *grown;

	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 8;
		grown = arena_alloc(ar, vec->cap * vec->elem);
		if (!grown)
			return NULL;
		if (vec->n)
			memcpy(grown, vec->v, vec->n * vec->elem);
		vec->v = grown;
	}
	return (char *)vec->v + vec->elem * vec->n++;
}

enum res_metric {
	RM_SERVER_DURATION,
	RM_CLIENT_DURATION,
	RM_RPC_SERVER_DURATION, /* gRPC series: the RPC conventions instead of HTTP's */
	RM_RPC_CLIENT_DURATION,
	RM_TCP_SENT,
	RM_TCP_RECEIVED,
	RM_TCP_OPENED,
	RM_TCP_CLOSED,
	RM_TCP_RETRANS,
	RM_TCP_SRTT,
	RM__MAX,
};

struct res_acc {
	const char *key; /* service.name + '\n' + service.namespace */
	struct vec attrs;
	struct vec points[RM__MAX];
};

/*
 * Delta bases. The key names one exported point: the edge (its key and
 * creation time, so a retired and recreated edge starts from zero), the
 * view, the metric slot and, for duration histograms, the series.
 */
enum delta_slot {
	DS_DURATION,
	DS_TCP_SENT,
	DS_TCP_RECEIVED,
	DS_TCP_OPENED,
	DS_TCP_CLOSED,
	DS_TCP_RETRANS,
	DS_GRAPH_TOTAL,
	DS_GRAPH_FAILED,
};

struct delta_key {
	struct edge_key edge;
	uint64_t edge_first_ns;
	char method[EDGE_METHOD_MAX];
	uint16_t status;
	uint8_t version_minor;
	uint8_t reporter;
	uint8_t slot; /* enum delta_slot */
	uint8_t version_major;
	int16_t grpc_status;
	char rpc[EDGE_RPC_MAX];
};

struct delta_entry {
	struct htab_node node;
	struct delta_key key;
	uint64_t gen;	/* the build that last touched it */
	uint64_t value; /* a sum's value, or a histogram's count */
	uint64_t sum_ns;
	uint64_t buckets[EDGE_LATENCY_BOUNDS + 1];
};

struct otlp_delta {
	struct htab entries;
	uint64_t gen;
	bool oom; /* an entry could not be made: its point was sent cumulative */
};

struct otlp_delta *otlp_delta_new(void)
{
	struct otlp_delta *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (htab_init(&d->entries,
		      offsetof(struct delta_entry, key) - offsetof(struct delta_entry, node),
		      sizeof(struct delta_key))) {
		free(d);
		return NULL;
	}
	return d;
}

static void delta_drop(struct otlp_delta *d, bool all)
{
	struct htab_node *n, *tmp;
	struct delta_entry *e;
	size_t i;

	htab_for_each_safe(&d->entries, n, tmp, i)
	{
		e = container_of(n, struct delta_entry, node);
		if (all || e->gen != d->gen) {
			htab_remove(&d->entries, n);
			free(e);
		}
	}
}

void otlp_delta_free(struct otlp_delta *d)
{
	if (!d)
		return;
	delta_drop(d, true);
	htab_free(&d->entries);
	free(d);
}

/* The base of a point, created at zero on first sight; NULL when memory runs out. */
static struct delta_entry *delta_base(struct otlp_delta *d, const struct delta_key *k)
{
	struct htab_node *n = htab_find(&d->entries, k);
	struct delta_entry *e;

	if (n) {
		e = container_of(n, struct delta_entry, node);
	} else {
		e = calloc(1, sizeof(*e));
		if (!e) {
			d->oom = true;
			return NULL;
		}
		e->key = *k;
		htab_insert(&d->entries, &e->node);
	}
	e->gen = d->gen;
	return e;
}

static void delta_key_of(struct delta_key *k, const struct edge *e, enum edge_reporter r,
			 enum delta_slot slot, const struct edge_series *s)
{
	memset(k, 0, sizeof(*k));
	k->edge = e->key;
	k->edge_first_ns = e->first_ns;
	k->reporter = (uint8_t)r;
	k->slot = (uint8_t)slot;
	if (s) {
		memcpy(k->method, s->method, sizeof(k->method));
		k->status = s->status;
		k->version_minor = s->version_minor;
		k->version_major = s->version_major;
		k->grpc_status = s->grpc_status;
		memcpy(k->rpc, s->rpc, sizeof(k->rpc));
	}
}

struct build {
	struct arena ar;
	const struct otlp_metrics_opts *o;
	struct otlp_delta *delta; /* NULL: cumulative */
	struct naming *naming;
	struct vec resources; /* struct res_acc */
	struct vec graph[4];  /* service-graph points: total, failed, server, client */
	uint64_t npoints;
};

static const char *node_name(struct build *b, const struct endpoint_names *n, bool server)
{
	char buf[256];

	return arena_printf(&b->ar, "%s", naming_node_name(n, server, buf, sizeof(buf)));
}

static struct otlp_attr *attr_push(struct build *b, struct vec *v, const char *key)
{
	struct otlp_attr *a = vec_push(&b->ar, v);

	if (a)
		a->key = key;
	return a;
}

static void attr_str(struct build *b, struct vec *v, const char *key, const char *val)
{
	struct otlp_attr *a = val ? attr_push(b, v, key) : NULL;

	if (a) {
		a->type = OTLP_STR;
		a->s = val;
	}
}

static void attr_int(struct build *b, struct vec *v, const char *key, int64_t val)
{
	struct otlp_attr *a = attr_push(b, v, key);

	if (a) {
		a->type = OTLP_INT;
		a->i = val;
	}
}

/* attr_str for a value that lives shorter than the batch. */
static void attr_copy(struct build *b, struct vec *v, const char *key, const char *val)
{
	attr_str(b, v, key, val ? arena_printf(&b->ar, "%s", val) : NULL);
}

/*
 * The OpenTelemetry k8s.* resource attributes that hold for every pod of the
 * workload (the resource is per workload, so no pod name or UID).
 */
static void k8s_resource_attrs(struct build *b, struct vec *attrs, const struct endpoint_names *n)
{
	static const struct {
		const char *kind, *key;
	} kinds[] = {
	    {"Deployment", "k8s.deployment.name"}, {"StatefulSet", "k8s.statefulset.name"},
	    {"DaemonSet", "k8s.daemonset.name"},   {"ReplicaSet", "k8s.replicaset.name"},
	    {"CronJob", "k8s.cronjob.name"},	   {"Job", "k8s.job.name"},
	};
	size_t i;

	if (!n->workload_kind)
		return;
	attr_copy(b, attrs, "k8s.namespace.name", n->namespace_);
	attr_copy(b, attrs, "k8s.cluster.name", n->cluster);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(n->workload_kind, kinds[i].kind))
			attr_copy(b, attrs, kinds[i].key, n->workload);
	attr_copy(b, attrs, "service.version", n->otel_service_version);
}

/* One resource per workload (service.name + service.namespace) that reported. */
static struct res_acc *resource_for(struct build *b, const struct endpoint_names *n, bool server)
{
	const char *name = node_name(b, n, server);
	const char *ns = n->namespace_ ? arena_printf(&b->ar, "%s", n->namespace_) : NULL;
	size_t klen = strlen(name) + (ns ? strlen(ns) : 0) + 2;
	char *key = arena_alloc(&b->ar, klen);
	struct res_acc *r = b->resources.v;
	size_t i;

	if (!key)
		return NULL;
	snprintf(key, klen, "%s\n%s", name, ns ? ns : "");
	for (i = 0; i < b->resources.n; i++)
		if (!strcmp(r[i].key, key))
			return &r[i];
	r = vec_push(&b->ar, &b->resources);
	if (!r)
		return NULL;
	r->key = key;
	r->attrs.elem = sizeof(struct otlp_attr);
	for (i = 0; i < RM__MAX; i++)
		r->points[i].elem = sizeof(struct otlp_point);
	attr_str(b, &r->attrs, "service.name", name);
	attr_str(b, &r->attrs, "service.namespace", ns);
	attr_str(b, &r->attrs, "host.name", b->o->host_name);
	k8s_resource_attrs(b, &r->attrs, n);
	return r;
}

static uint64_t unix_ns(const struct build *b, uint64_t mono_ns)
{
	return mono_ns + b->o->mono_to_unix_ns;
}

static uint64_t start_ns(const struct build *b, const struct edge *e)
{
	if (b->o->temporality == OTLP_TEMPORALITY_DELTA && b->o->last_export_unix_ns)
		return b->o->last_export_unix_ns;
	return unix_ns(b, e->first_ns);
}

static const char *version_str(const struct edge_series *s)
{
	if (s->version_major == 2)
		return "2";
	return s->version_minor == 0 ? "1.0" : "1.1";
}

/* The RPC conventions' histograms are in milliseconds (v1.37 and before). */
static double latency_bounds_ms[EDGE_LATENCY_BOUNDS];

static const double *bounds_ms(void)
{
	int i;

	if (latency_bounds_ms[EDGE_LATENCY_BOUNDS - 1] == 0)
		for (i = 0; i < EDGE_LATENCY_BOUNDS; i++)
			latency_bounds_ms[i] = edge_latency_bounds_s[i] * 1e3;
	return latency_bounds_ms;
}

/* rpc.system, rpc.service, rpc.method, rpc.grpc.status_code of a gRPC series. */
static void rpc_attrs(struct build *b, struct vec *attrs, const struct edge_series *s)
{
	const char *svc, *method;
	size_t slen, mlen;

	attr_str(b, attrs, "rpc.system", "grpc");
	if (h2_grpc_split(s->rpc, &svc, &slen, &method, &mlen)) {
		attr_str(b, attrs, "rpc.service", arena_strndup(&b->ar, svc, slen));
		attr_str(b, attrs, "rpc.method", arena_strndup(&b->ar, method, mlen));
	}
	if (s->grpc_status >= 0)
		attr_int(b, attrs, "rpc.grpc.status_code", s->grpc_status);
}

static const char *status_error_type(struct build *b, uint16_t status)
{
	char code[8];

	if (status == 0)
		return "_OTHER"; /* no response at all: connection closed or reset */
	if (status < 500)
		return NULL;
	snprintf(code, sizeof(code), "%u", status);
	return arena_printf(&b->ar, "%s", code);
}

/*
 * A delta histogram point: the change of every bucket since the base, and
 * the base moved to now. Min and max of the interval are not known from
 * cumulative values, so a delta point has none (they are optional in OTLP).
 */
static void delta_hist(struct build *b, struct otlp_point *p, struct delta_entry *base,
		       const uint64_t *buckets, uint64_t count, uint64_t sum_ns, double unit_ns)
{
	uint64_t *d = arena_alloc(&b->ar, sizeof(base->buckets));
	int i;

	if (!d)
		return;
	for (i = 0; i <= EDGE_LATENCY_BOUNDS; i++) {
		d[i] = buckets[i] - base->buckets[i];
		base->buckets[i] = buckets[i];
	}
	p->bucket_counts = d;
	p->count = count - base->value;
	p->sum = (sum_ns - base->sum_ns) / unit_ns;
	p->has_min_max = false;
	base->value = count;
	base->sum_ns = sum_ns;
}

/*
 * Series s's latency histogram as point p, in the unit of unit_ns (1e9 for
 * seconds, 1e6 for milliseconds) and over the same bounds in that unit;
 * with a delta base, only what changed since it.
 */
static void latency_point(struct build *b, struct otlp_point *p, const struct edge *e,
			  const struct edge_series *s, const struct vec *attrs,
			  struct delta_entry *base, double unit_ns, const double *bounds)
{
	p->attrs.v = attrs->v;
	p->attrs.n = attrs->n;
	p->start_ns = start_ns(b, e);
	p->time_ns = b->o->now_unix_ns;
	p->count = s->count;
	p->sum = s->sum_ns / unit_ns;
	p->has_min_max = true;
	p->min = s->min_ns / unit_ns;
	p->max = s->max_ns / unit_ns;
	p->bucket_counts = s->buckets;
	p->bounds = bounds;
	p->nbounds = EDGE_LATENCY_BOUNDS;
	b->npoints++;
	if (base)
		delta_hist(b, p, base, s->buckets, s->count, s->sum_ns, unit_ns);
}

/* rpc.*.duration, in milliseconds as the RPC conventions have it. */
static void add_rpc_point(struct build *b, struct otlp_point *p, const struct edge *e,
			  const struct edge_series *s, const char *server, struct delta_entry *base)
{
	struct vec attrs = {.elem = sizeof(struct otlp_attr)};

	rpc_attrs(b, &attrs, s);
	attr_str(b, &attrs, "server.address", server);
	attr_int(b, &attrs, "server.port", e->key.dst_port);
	attr_str(b, &attrs, "network.protocol.name", "http");
	attr_str(b, &attrs, "network.protocol.version", "2");
	latency_point(b, p, e, s, &attrs, base, 1e6, bounds_ms());
}

/*
 * One http.*.request.duration point per series of a view, or for a gRPC
 * series an rpc.*.duration point (into rpc_pts, in milliseconds).
 */
static void add_duration_points(struct build *b, struct vec *pts, struct vec *rpc_pts,
				const struct edge *e, enum edge_reporter r,
				const struct endpoint_names *dst)
{
	const struct edge_view *v = &e->view[r];
	const char *server = node_name(b, dst, true);
	struct delta_entry *base;
	struct delta_key dk;
	uint16_t i;

	for (i = 0; i < v->nseries; i++) {
		const struct edge_series *s = &v->series[i];
		struct otlp_point *p;
		struct vec attrs = {.elem = sizeof(struct otlp_attr)};

		if (!s->count)
			continue;
		base = NULL;
		if (b->delta) {
			delta_key_of(&dk, e, r, DS_DURATION, s);
			base = delta_base(b->delta, &dk);
			if (base && base->value == s->count)
				continue; /* no request in this interval */
		}
		p = vec_push(&b->ar, s->rpc[0] ? rpc_pts : pts);
		if (!p)
			return;
		if (s->rpc[0]) {
			add_rpc_point(b, p, e, s, server, base);
			continue;
		}
		attr_str(b, &attrs, "http.request.method", arena_printf(&b->ar, "%s", s->method));
		if (s->status)
			attr_int(b, &attrs, "http.response.status_code", s->status);
		attr_str(b, &attrs, "error.type", status_error_type(b, s->status));
		attr_str(b, &attrs, "server.address", server);
		attr_int(b, &attrs, "server.port", e->key.dst_port);
		attr_str(b, &attrs, "network.protocol.version", version_str(s));
		attr_str(b, &attrs, "url.scheme", "http");
		latency_point(b, p, e, s, &attrs, base, 1e9, edge_latency_bounds_s);
	}
}

static struct otlp_attrs edge_attrs(struct build *b, const struct edge *e,
				    const struct endpoint_names *src,
				    const struct endpoint_names *dst)
{
	struct vec attrs = {.elem = sizeof(struct otlp_attr)};

	attr_str(b, &attrs, "client", node_name(b, src, false));
	attr_str(b, &attrs, "server", node_name(b, dst, true));
	attr_str(b, &attrs, "client.address", arena_printf(&b->ar, "%s", src->address));
	attr_str(b, &attrs, "server.address", arena_printf(&b->ar, "%s", dst->address));
	attr_int(b, &attrs, "server.port", e->key.dst_port);
	attr_str(b, &attrs, "network.protocol.name",
		 edge_proto_is_http(e->key.proto) ? "http" : "tcp");
	return (struct otlp_attrs){attrs.v, attrs.n};
}

/*
 * A sum point; with delta temporality, the change since the last export
 * (against the base named by e, r and slot).
 */
static void add_sum(struct build *b, struct vec *pts, const struct edge *e, enum edge_reporter r,
		    enum delta_slot slot, struct otlp_attrs attrs, uint64_t value)
{
	struct otlp_point *p = vec_push(&b->ar, pts);
	struct delta_entry *base;
	struct delta_key dk;

	if (!p)
		return;
	p->attrs = attrs;
	p->start_ns = start_ns(b, e);
	p->time_ns = b->o->now_unix_ns;
	p->as_int = (int64_t)value;
	b->npoints++;
	if (!b->delta)
		return;
	delta_key_of(&dk, e, r, slot, NULL);
	base = delta_base(b->delta, &dk);
	if (!base)
		return;
	p->as_int = (int64_t)(value >= base->value ? value - base->value : value);
	base->value = value;
}

static void add_gauge(struct build *b, struct vec *pts, struct otlp_attrs attrs, double value)
{
	struct otlp_point *p = vec_push(&b->ar, pts);

	if (!p)
		return;
	p->attrs = attrs;
	p->time_ns = b->o->now_unix_ns;
	p->as_double = value;
	b->npoints++;
}

static void add_tcp_points(struct build *b, struct res_acc *r, const struct edge *e,
			   enum edge_reporter rep, struct otlp_attrs attrs)
{
	const struct edge_view *v = &e->view[rep];

	add_sum(b, &r->points[RM_TCP_SENT], e, rep, DS_TCP_SENT, attrs, v->bytes_sent);
	add_sum(b, &r->points[RM_TCP_RECEIVED], e, rep, DS_TCP_RECEIVED, attrs, v->bytes_received);
	add_sum(b, &r->points[RM_TCP_OPENED], e, rep, DS_TCP_OPENED, attrs, v->conns_opened);
	add_sum(b, &r->points[RM_TCP_CLOSED], e, rep, DS_TCP_CLOSED, attrs, v->conns_closed);
	add_sum(b, &r->points[RM_TCP_RETRANS], e, rep, DS_TCP_RETRANS, attrs, v->retransmits);
	if (v->srtt_us)
		add_gauge(b, &r->points[RM_TCP_SRTT], attrs, v->srtt_us / 1e6);
}

/* Service-graph histogram from a view's whole-edge latency buckets. */
static void add_graph_hist(struct build *b, struct vec *pts, const struct edge *e,
			   const struct edge_view *v, struct otlp_attrs attrs)
{
	struct otlp_point *p;

	if (!v->seen || !v->latency.count)
		return;
	p = vec_push(&b->ar, pts);
	if (!p)
		return;
	p->attrs = attrs;
	p->start_ns = unix_ns(b, e->first_ns);
	p->time_ns = b->o->now_unix_ns;
	p->count = v->latency.count;
	p->sum = v->latency_sum_ns / 1e9;
	p->bucket_counts = v->latency_buckets;
	p->bounds = edge_latency_bounds_s;
	p->nbounds = EDGE_LATENCY_BOUNDS;
	b->npoints++;
}

static void add_graph(struct build *b, const struct edge *e, const struct endpoint_names *src,
		      const struct endpoint_names *dst)
{
	enum edge_reporter which;
	const struct edge_view *primary = edge_primary_view(e, &which);
	struct vec attrs = {.elem = sizeof(struct otlp_attr)};
	struct otlp_attrs a;

	attr_str(b, &attrs, "client", node_name(b, src, false));
	attr_str(b, &attrs, "server", node_name(b, dst, true));
	attr_str(b, &attrs, "connection_type", "");
	a = (struct otlp_attrs){attrs.v, attrs.n};
	add_sum(b, &b->graph[0], e, which, DS_GRAPH_TOTAL, a, primary->requests);
	add_sum(b, &b->graph[1], e, which, DS_GRAPH_FAILED, a, primary->errors);
	add_graph_hist(b, &b->graph[2], e, &e->view[REPORTER_DESTINATION], a);
	add_graph_hist(b, &b->graph[3], e, &e->view[REPORTER_SOURCE], a);
}

static void add_edge(struct build *b, const struct edge *e)
{
	struct endpoint_names src, dst;
	struct otlp_attrs attrs;
	struct res_acc *r;
	int rep;

	naming_resolve(b->naming, e->key.src_addr, &e->src, &src);
	naming_resolve(b->naming, e->key.dst_addr, &e->dst, &dst);
	attrs = edge_attrs(b, e, &src, &dst);
	for (rep = 0; rep < REPORTER__MAX; rep++) {
		bool server = rep == REPORTER_DESTINATION;

		if (!e->view[rep].seen)
			continue;
		r = resource_for(b, server ? &dst : &src, server);
		if (!r)
			return;
		add_duration_points(
		    b, &r->points[server ? RM_SERVER_DURATION : RM_CLIENT_DURATION],
		    &r->points[server ? RM_RPC_SERVER_DURATION : RM_RPC_CLIENT_DURATION], e, rep,
		    &dst);
		add_tcp_points(b, r, e, rep, attrs);
	}
	if (edge_proto_is_http(e->key.proto))
		add_graph(b, e, &src, &dst);
}

/*
 * delta_capable: follows the configured temporality. Histograms built from
 * the cumulative whole-edge buckets, and gauges, stay as they are.
 */
struct metric_def {
	const char *name, *unit, *desc;
	enum otlp_metric_kind kind;
	bool delta_capable;
};

static const struct metric_def res_metric_defs[RM__MAX] = {
    [RM_SERVER_DURATION] = {"http.server.request.duration", "s",
			    "Duration of HTTP server requests.", OTLP_METRIC_HISTOGRAM, true},
    [RM_CLIENT_DURATION] = {"http.client.request.duration", "s",
			    "Duration of HTTP client requests.", OTLP_METRIC_HISTOGRAM, true},
    [RM_RPC_SERVER_DURATION] = {"rpc.server.duration", "ms",
				"Measures the duration of inbound RPC.", OTLP_METRIC_HISTOGRAM,
				true},
    [RM_RPC_CLIENT_DURATION] = {"rpc.client.duration", "ms",
				"Measures the duration of outbound RPC.", OTLP_METRIC_HISTOGRAM,
				true},
    [RM_TCP_SENT] = {"meshsight.tcp.sent_bytes", "By", "TCP payload bytes from client to server.",
		     OTLP_METRIC_SUM, true},
    [RM_TCP_RECEIVED] = {"meshsight.tcp.received_bytes", "By",
			 "TCP payload bytes from server to client.", OTLP_METRIC_SUM, true},
    [RM_TCP_OPENED] = {"meshsight.tcp.connections_opened", "{connection}",
		       "TCP connections established.", OTLP_METRIC_SUM, true},
    [RM_TCP_CLOSED] = {"meshsight.tcp.connections_closed", "{connection}",
		       "TCP connections closed.", OTLP_METRIC_SUM, true},
    [RM_TCP_RETRANS] = {"meshsight.tcp.retransmits", "{segment}", "TCP segments retransmitted.",
			OTLP_METRIC_SUM, true},
    [RM_TCP_SRTT] = {"meshsight.tcp.smoothed_rtt", "s",
		     "Latest smoothed round-trip time of the edge's connections.",
		     OTLP_METRIC_GAUGE, false},
};

static const struct metric_def graph_defs[4] = {
    {"traces_service_graph_request_total", "1", "Requests between two nodes.", OTLP_METRIC_SUM,
     true},
    {"traces_service_graph_request_failed_total", "1", "Failed requests between two nodes.",
     OTLP_METRIC_SUM, true},
    {"traces_service_graph_request_server", "s", "Request duration seen by the server.",
     OTLP_METRIC_HISTOGRAM, false},
    {"traces_service_graph_request_client", "s", "Request duration seen by the client.",
     OTLP_METRIC_HISTOGRAM, false},
};

static size_t fill_metrics(struct build *b, struct otlp_metric *out, const struct vec *pts,
			   size_t n, const struct metric_def *defs)
{
	size_t i, used = 0;

	for (i = 0; i < n; i++) {
		struct otlp_metric *m = &out[used];

		if (!pts[i].n)
			continue;
		m->name = defs[i].name;
		m->unit = defs[i].unit;
		m->description = defs[i].desc;
		m->kind = defs[i].kind;
		m->temporality =
		    defs[i].delta_capable ? b->o->temporality : OTLP_TEMPORALITY_CUMULATIVE;
		m->points = pts[i].v;
		m->npoints = pts[i].n;
		used++;
	}
	return used;
}

/* The agent's own telemetry: consecutive samples of one name make one metric. */
static size_t self_metrics(struct build *b, struct otlp_metric *out)
{
	const struct otlp_self_metric *sm = b->o->self;
	size_t i, n = 0;

	for (i = 0; i < b->o->nself; i++) {
		struct otlp_point *p;
		struct otlp_metric *m;
		struct vec attrs = {.elem = sizeof(struct otlp_attr)};

		if (!n || strcmp(out[n - 1].name, sm[i].name)) {
			m = &out[n++];
			m->name = sm[i].name;
			m->unit = sm[i].unit;
			m->kind = sm[i].gauge ? OTLP_METRIC_GAUGE : OTLP_METRIC_SUM;
			m->temporality = OTLP_TEMPORALITY_CUMULATIVE;
			m->points = arena_alloc(&b->ar, b->o->nself * sizeof(struct otlp_point));
			if (!m->points)
				return 0;
		}
		m = &out[n - 1];
		p = (struct otlp_point *)&m->points[m->npoints++];
		attr_str(b, &attrs, sm[i].attr_key, sm[i].attr_val);
		p->attrs = (struct otlp_attrs){attrs.v, sm[i].attr_key ? attrs.n : 0};
		p->start_ns = b->o->start_unix_ns;
		p->time_ns = b->o->now_unix_ns;
		p->as_int = (int64_t)sm[i].value;
		p->as_double = sm[i].value;
		b->npoints++;
	}
	return n;
}

static int assemble(struct build *b, struct otlp_request *req)
{
	size_t nblocks = b->resources.n + 1, i;
	struct otlp_resource_block *blocks = arena_alloc(&b->ar, nblocks * sizeof(*blocks));
	struct res_acc *r = b->resources.v;
	struct vec agent = {.elem = sizeof(struct otlp_attr)};
	struct otlp_metric *agent_metrics;
	size_t n;

	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < b->resources.n; i++) {
		struct otlp_metric *m = arena_alloc(&b->ar, RM__MAX * sizeof(*m));

		if (!m)
			return -ENOMEM;
		blocks[i].resource = (struct otlp_attrs){r[i].attrs.v, r[i].attrs.n};
		blocks[i].scope_name = "meshsight";
		blocks[i].scope_version = b->o->scope_version;
		blocks[i].metrics = m;
		blocks[i].nmetrics = fill_metrics(b, m, r[i].points, RM__MAX, res_metric_defs);
	}
	/* The service graph belongs to no workload: it goes under the agent's own resource. */
	attr_str(b, &agent, "service.name", b->o->agent_service_name);
	attr_str(b, &agent, "host.name", b->o->host_name);
	for (i = 0; i < b->o->nagent_attrs; i++) {
		struct otlp_attr *a = vec_push(&b->ar, &agent);

		if (a)
			*a = b->o->agent_attrs[i];
	}
	blocks[nblocks - 1].resource = (struct otlp_attrs){agent.v, agent.n};
	blocks[nblocks - 1].scope_name = "meshsight";
	blocks[nblocks - 1].scope_version = b->o->scope_version;
	agent_metrics = arena_alloc(&b->ar, (4 + b->o->nself) * sizeof(struct otlp_metric));
	if (!agent_metrics)
		return -ENOMEM;
	n = fill_metrics(b, agent_metrics, b->graph, 4, graph_defs);
	n += self_metrics(b, agent_metrics + n);
	blocks[nblocks - 1].metrics = agent_metrics;
	blocks[nblocks - 1].nmetrics = n;
	req->blocks = blocks;
	req->nblocks = nblocks;
	return b->ar.oom ? -ENOMEM : 0;
}

int otlp_build_metrics(const struct aggregator *a, struct naming *n,
		       const struct otlp_metrics_opts *o, struct otlp_delta *delta,
		       struct otlp_buf *out, uint64_t *npoints)
{
	struct build b = {.o = o, .naming = n};
	struct otlp_request req;
	const struct edge *e;
	int i, err;

	if (o->temporality == OTLP_TEMPORALITY_DELTA) {
		if (!delta)
			return -EINVAL;
		b.delta = delta;
		delta->gen++;
	}
	b.resources.elem = sizeof(struct res_acc);
	for (i = 0; i < 4; i++)
		b.graph[i].elem = sizeof(struct otlp_point);
	for (e = a->lru_head; e; e = e->lru_next)
		add_edge(&b, e);
	err = assemble(&b, &req);
	if (!err)
		err = o->json ? otlp_encode_metrics_json(&req, out)
			      : otlp_encode_metrics_pb(&req, out);
	*npoints = b.npoints;
	arena_free(&b.ar);
	if (b.delta)
		delta_drop(b.delta, false); /* bases of edges gone since */
	return err;
}
