// SPDX-License-Identifier: BSD-2-Clause
/*
 * JSON API: /api/v1/edges and /api/v1/stats, built with jansson so that
 * process names and cgroup paths are always escaped correctly. An unknown
 * name is JSON null, never an invented value.
 */
#include <errno.h>
#include <jansson.h>

#include "serve/render.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Kubernetes details, only the ones known, so files without a cluster stay short. */
static void k8s_names_json(json_t *o, const struct endpoint_names *n, int with_service)
{
	const struct {
		const char *key, *value;
	} fields[] = {
	    {"workload_kind", n->workload_kind},
	    {"pod", n->pod},
	    {"node", n->node},
	    {"container", n->container},
	    {"canonical_service", n->canonical_service},
	    {"canonical_revision", n->canonical_revision},
	    {"service_name", n->otel_service_name},
	    {"service_namespace", with_service ? n->service_namespace : NULL},
	    {"service_fqdn", with_service ? n->service_fqdn : NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].value)
			json_object_set_new(o, fields[i].key, json_string(fields[i].value));
	if (n->external)
		json_object_set_new(o, "external", json_true());
}

static json_t *endpoint_json(const struct endpoint_names *n, int port, int with_service)
{
	json_t *o = json_object();

	json_object_set_new(o, "address", json_string(n->address));
	if (port >= 0)
		json_object_set_new(o, "port", json_integer(port));
	if (with_service)
		json_object_set_new(o, "service", str_or_null(n->service));
	json_object_set_new(o, "workload", str_or_null(n->workload));
	json_object_set_new(o, "namespace", str_or_null(n->namespace_));
	json_object_set_new(o, "process", str_or_null(n->process));
	json_object_set_new(o, "cgroup", str_or_null(n->cgroup));
	k8s_names_json(o, n, with_service);
	return o;
}

static json_t *latency_json(const struct edge_view *v)
{
	json_t *o;

	if (!v->latency.count)
		return json_null();
	o = json_object();
	json_object_set_new(o, "p50", json_real(sketch_quantile(&v->latency, 0.50) / 1e6));
	json_object_set_new(o, "p95", json_real(sketch_quantile(&v->latency, 0.95) / 1e6));
	json_object_set_new(o, "p99", json_real(sketch_quantile(&v->latency, 0.99) / 1e6));
	json_object_set_new(o, "max", json_real(v->latency.max_ns / 1e6));
	return o;
}

static json_t *statuses_json(const struct edge_view *v)
{
	json_t *o = json_object();
	char code[8];
	uint16_t i;

	for (i = 0; i < v->nstatuses; i++) {
		snprintf(code, sizeof(code), "%u", v->statuses[i].code);
		json_object_set_new(o, code, json_integer(v->statuses[i].count));
	}
	return o;
}

static json_t *reporters_json(const struct edge *e)
{
	json_t *a = json_array();

	if (e->view[REPORTER_SOURCE].seen)
		json_array_append_new(a, json_string("source"));
	if (e->view[REPORTER_DESTINATION].seen)
		json_array_append_new(a, json_string("destination"));
	return a;
}

/*
 * Each reporter's own counts: when the two ends disagree (a proxy between
 * them, events lost on one side) this shows where.
 */
static json_t *views_json(const struct edge *e)
{
	static const char *const names[REPORTER__MAX] = {"source", "destination"};
	json_t *o = json_object();
	int r;

	for (r = 0; r < REPORTER__MAX; r++) {
		const struct edge_view *v = &e->view[r];
		json_t *view;

		if (!v->seen)
			continue;
		view = json_object();
		json_object_set_new(view, "requests", json_integer(v->requests));
		json_object_set_new(view, "errors", json_integer(v->errors));
		json_object_set_new(view, "status_codes", statuses_json(v));
		json_object_set_new(view, "latency_ms", latency_json(v));
		json_object_set_new(view, "connections_opened", json_integer(v->conns_opened));
		json_object_set_new(o, names[r], view);
	}
	return o;
}

/* {"0": n, "14": m}: the gRPC status codes seen, by code. */
static json_t *grpc_statuses_json(const struct edge_view *v)
{
	json_t *o = json_object();
	char key[8];
	int i;

	for (i = 0; i < EDGE_GRPC_CODES; i++) {
		if (!v->grpc_statuses[i])
			continue;
		snprintf(key, sizeof(key), "%d", i);
		json_object_set_new(o, key, json_integer((json_int_t)v->grpc_statuses[i]));
	}
	return o;
}

static json_t *edge_json(struct naming *naming, const struct edge *e)
{
	struct endpoint_names src, dst;
	enum edge_reporter which;
	const struct edge_view *v = edge_primary_view(e, &which);
	json_t *o = json_object();

	naming_resolve(naming, e->key.src_addr, &e->src, &src);
	naming_resolve(naming, e->key.dst_addr, &e->dst, &dst);
	json_object_set_new(o, "source", endpoint_json(&src, -1, 0));
	json_object_set_new(o, "destination", endpoint_json(&dst, e->key.dst_port, 1));
	json_object_set_new(o, "protocol", json_string(edge_proto_name(e->key.proto)));
	json_object_set_new(o, "partial", json_boolean(e->partial));
	json_object_set_new(o, "tls", json_boolean(e->tls));
	json_object_set_new(o, "connection_security_policy",
			    json_string(e->mutual_tls ? "mutual_tls" : "none"));
	json_object_set_new(o, "reporter",
			    json_string(which == REPORTER_SOURCE ? "source" : "destination"));
	json_object_set_new(o, "reporters", reporters_json(e));
	json_object_set_new(o, "views", views_json(e));
	json_object_set_new(o, "requests", json_integer(v->requests));
	json_object_set_new(o, "errors", json_integer(v->errors));
	json_object_set_new(o, "status_codes", statuses_json(v));
	if (e->key.proto == EDGE_PROTO_GRPC)
		json_object_set_new(o, "grpc_status_codes", grpc_statuses_json(v));
	json_object_set_new(o, "latency_ms", latency_json(v));
	json_object_set_new(o, "request_bytes", json_integer(v->request_bytes));
	json_object_set_new(o, "response_bytes", json_integer(v->response_bytes));
	json_object_set_new(o, "bytes_sent", json_integer(v->bytes_sent));
	json_object_set_new(o, "bytes_received", json_integer(v->bytes_received));
	json_object_set_new(o, "connections_opened", json_integer(v->conns_opened));
	json_object_set_new(o, "connections_closed", json_integer(v->conns_closed));
	json_object_set_new(o, "connections_reset", json_integer(v->conns_reset));
	json_object_set_new(o, "retransmits", json_integer(v->retransmits));
	json_object_set_new(o, "srtt_ms", v->srtt_us ? json_real(v->srtt_us / 1e3) : json_null());
	return o;
}

static int dump(json_t *root, FILE *out)
{
	int err = json_dumpf(root, out, JSON_COMPACT) ? -EIO : 0;

	json_decref(root);
	if (!err && fputc('\n', out) == EOF)
		err = -EIO;
	return err;
}

int render_edges_json(const struct render_input *in, FILE *out)
{
	json_t *root = json_object(), *edges = json_array();
	const struct edge *e;

	for (e = in->agg->lru_head; e; e = e->lru_next)
		json_array_append_new(edges, edge_json(in->naming, e));
	json_object_set_new(root, "edges", edges);
	return dump(root, out);
}

/* The agent's own counters, each in its group object (self_stats.h). */
static void self_json(const struct render_input *in, json_t *root)
{
	struct self_stat st[SELF_STATS_MAX];
	size_t n = render_self_stats(in, st), i;
	json_t *group;

	for (i = 0; i < n; i++) {
		group = root;
		if (st[i].json_group) {
			group = json_object_get(root, st[i].json_group);
			if (!group) {
				group = json_object();
				json_object_set_new(root, st[i].json_group, group);
			}
		}
		json_object_set_new(group, st[i].json_key,
				    st[i].scale ? json_real(self_stat_value(&st[i]))
						: json_integer((json_int_t)st[i].value));
	}
}

int render_stats_json(const struct render_input *in, FILE *out)
{
	json_t *root = json_object();

	json_object_set_new(root, "version", json_string(in->version));
	json_object_set_new(root, "uptime_seconds", json_real(in->uptime_s));
	self_json(in, root);
	if (in->kubernetes)
		json_object_set(root, "kubernetes", in->kubernetes);
	return dump(root, out);
}
