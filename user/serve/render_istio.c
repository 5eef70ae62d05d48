// SPDX-License-Identifier: BSD-2-Clause
/*
 * Istio's standard metrics (istio_requests_total, istio_request_duration_
 * milliseconds, istio_request_bytes, istio_response_bytes, istio_tcp_*) on
 * /metrics, after the meshsight_* families, so that Kiali, Istio's Grafana
 * dashboards and alerts written for Istio work on a cluster with no sidecar.
 *
 * Labels follow Istio's stats filter (istio/proxy istio_stats.cc): one label
 * set per edge view with reporter "source" or "destination", "unknown" for
 * any name not known, canonical revision "latest" by default, and no address
 * or path in any label. Edges that map to the same label set (the client IPs
 * of one workload, the many addresses of the outside world) are summed into
 * one series: counters add, histograms add bucket by bucket. So the number of
 * series is bounded by the number of edge views (2 * --max-edges) times the
 * statuses a view holds (EDGE_SERIES_MAX); requests past that limit are
 * counted in meshsight_istio_series_dropped_total.
 *
 * As in Istio, HTTP edges feed istio_request* only and TCP (non-HTTP) edges
 * feed istio_tcp_* only: Envoy runs the TCP stats filter only on TCP proxy
 * chains.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve/render.h"
#include "lib/str.h"

#define ISTIO_UNKNOWN "unknown"
/* Istio's default CLUSTER_ID. Kiali drops telemetry whose namespace is known
 * but whose cluster is "unknown", so a named end always gets a cluster. */
#define ISTIO_DEFAULT_CLUSTER "Kubernetes"
/* The outbound cluster Envoy sends traffic for unknown destinations to. */
#define ISTIO_PASSTHROUGH "PassthroughCluster"

/* One label set, before the per-status labels, shared by a view's series. */
struct istio_row {
	const char *labels;
	const struct edge_view *v;
	const struct edge_series *s; /* NULL for a TCP edge */
};

struct istio_rows {
	struct istio_row *http, *tcp;
	size_t nhttp, ntcp, cap_http, cap_tcp;
	char **labels; /* every label string, to free */
	size_t nlabels, cap_labels;
};

/* The labels of one end, with Istio's defaults. */
struct istio_end {
	const char *workload, *namespace_, *app, *version;
	const char *canonical_service, *canonical_revision, *cluster;
	char principal[320]; /* spiffe://<trust domain>/ns/<namespace>/sa/<account>, or unknown */
};

/* Not a local socket and named by nothing: whatever naming.c says, such an
 * end is outside the mesh, and its address must never reach a label. */
static bool is_external(const struct endpoint_names *x)
{
	return x->external || (!x->cgroup && !x->workload && !x->service && !x->namespace_);
}

/*
 * Istio's principal is the SPIFFE id in the peer's certificate, so it exists
 * only where mutual TLS carried the traffic (a mesh tunnel): elsewhere Istio
 * says "unknown" too. Built from the pod's service account, as istiod signs it.
 */
static void fill_principal(const struct naming *n, const struct endpoint_names *x, bool mtls,
			   struct istio_end *out)
{
	const char *td = n->trust_domain ?: "cluster.local";

	if (mtls && x->namespace_ && x->service_account && td[0])
		snprintf(out->principal, sizeof(out->principal), "spiffe://%s/ns/%s/sa/%s", td,
			 x->namespace_, x->service_account);
	else
		snprintf(out->principal, sizeof(out->principal), "%s", ISTIO_UNKNOWN);
}

static void end_labels(const struct naming *n, const struct endpoint_names *x, bool mtls,
		       struct istio_end *out)
{
	out->workload = str_or(x->workload, ISTIO_UNKNOWN);
	out->namespace_ = str_or(x->namespace_, ISTIO_UNKNOWN);
	out->app = str_or(x->app, ISTIO_UNKNOWN);
	out->version = str_or(x->version, ISTIO_UNKNOWN);
	out->canonical_service = str_or(x->canonical_service ?: x->workload, ISTIO_UNKNOWN);
	out->canonical_revision = x->canonical_revision ?: "latest";
	out->cluster = x->cluster ?: n->cluster;
	if (!out->cluster)
		out->cluster = x->namespace_ ? ISTIO_DEFAULT_CLUSTER : ISTIO_UNKNOWN;
	fill_principal(n, x, mtls, out);
}

static void put_label(FILE *f, const char *name, const char *value)
{
	const char *s;

	fprintf(f, "%s=\"", name);
	for (s = value; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputs("\",", f);
}

static void put_source(FILE *f, const struct istio_end *s)
{
	put_label(f, "source_workload", s->workload);
	put_label(f, "source_workload_namespace", s->namespace_);
	put_label(f, "source_principal", s->principal);
	put_label(f, "source_app", s->app);
	put_label(f, "source_version", s->version);
	put_label(f, "source_canonical_service", s->canonical_service);
	put_label(f, "source_canonical_revision", s->canonical_revision);
	put_label(f, "source_cluster", s->cluster);
}

/*
 * destination_service is the Service's host name, as Envoy's cluster metadata
 * has it; built from name and namespace when naming gave no FQDN.
 */
static void put_destination(FILE *f, const struct naming *n, const struct endpoint_names *x,
			    bool mtls)
{
	const char *svc_ns = x->service_namespace ?: x->namespace_;
	struct istio_end d;
	char host[256];

	end_labels(n, x, mtls, &d);
	if (x->service_fqdn)
		snprintf(host, sizeof(host), "%s", x->service_fqdn);
	else if (x->service && svc_ns)
		snprintf(host, sizeof(host), "%s.%s.svc.%s", x->service, svc_ns,
			 n->cluster_domain ?: "cluster.local");
	else
		snprintf(host, sizeof(host), "%s", str_or(x->service, ISTIO_UNKNOWN));
	put_label(f, "destination_workload", d.workload);
	put_label(f, "destination_workload_namespace", d.namespace_);
	put_label(f, "destination_principal", d.principal);
	put_label(f, "destination_app", d.app);
	put_label(f, "destination_version", d.version);
	put_label(f, "destination_service", host);
	put_label(f, "destination_service_name", str_or(x->service, ISTIO_UNKNOWN));
	put_label(f, "destination_service_namespace", str_or(svc_ns, ISTIO_UNKNOWN));
	put_label(f, "destination_canonical_service", d.canonical_service);
	put_label(f, "destination_canonical_revision", d.canonical_revision);
	put_label(f, "destination_cluster", d.cluster);
}

/* What an Istio client sidecar reports for a destination it has no
 * metadata for: the passthrough cluster, one node in Kiali's graph. */
static void put_passthrough(FILE *f)
{
	put_label(f, "destination_workload", ISTIO_UNKNOWN);
	put_label(f, "destination_workload_namespace", ISTIO_UNKNOWN);
	put_label(f, "destination_principal", ISTIO_UNKNOWN);
	put_label(f, "destination_app", ISTIO_UNKNOWN);
	put_label(f, "destination_version", ISTIO_UNKNOWN);
	put_label(f, "destination_service", ISTIO_UNKNOWN);
	put_label(f, "destination_service_name", ISTIO_PASSTHROUGH);
	put_label(f, "destination_service_namespace", ISTIO_UNKNOWN);
	put_label(f, "destination_canonical_service", ISTIO_UNKNOWN);
	put_label(f, "destination_canonical_revision", "latest");
	put_label(f, "destination_cluster", ISTIO_UNKNOWN);
}

/*
 * The labels every istio_* family of one edge view shares, each followed by
 * a comma. connection_security_policy is known only to the server's end
 * (Istio reports "unknown" for reporter="source").
 */
static char *view_labels(const struct naming *n, const struct edge *e, enum edge_reporter r,
			 const struct endpoint_names *src, const struct endpoint_names *dst)
{
	const char *policy = e->mutual_tls ? "mutual_tls" : "none";
	struct istio_end s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	end_labels(n, src, e->mutual_tls, &s);
	put_label(f, "reporter", r == REPORTER_SOURCE ? "source" : "destination");
	put_source(f, &s);
	if (is_external(dst))
		put_passthrough(f);
	else
		put_destination(f, n, dst, e->mutual_tls);
	/* Istio's values: "grpc" for gRPC, "http" for HTTP/1 and HTTP/2 alike. */
	put_label(f, "request_protocol",
		  e->key.proto == EDGE_PROTO_GRPC    ? "grpc"
		  : edge_proto_is_http(e->key.proto) ? "http"
						     : "tcp");
	put_label(f, "connection_security_policy", r == REPORTER_SOURCE ? ISTIO_UNKNOWN : policy);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *p;

	if (need <= *cap)
		return 0;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int add_row(struct istio_rows *rs, bool http, const struct istio_row *row)
{
	struct istio_row **arr = http ? &rs->http : &rs->tcp;
	size_t *n = http ? &rs->nhttp : &rs->ntcp;
	size_t *cap = http ? &rs->cap_http : &rs->cap_tcp;

	if (grow((void **)arr, cap, *n + 1, sizeof(**arr)))
		return -ENOMEM;
	(*arr)[(*n)++] = *row;
	return 0;
}

/* One view: a row per HTTP series, or one TCP row. */
static int add_view(struct istio_rows *rs, const struct edge *e, enum edge_reporter r, char *labels)
{
	struct istio_row row = {.labels = labels, .v = &e->view[r]};
	uint16_t i;

	if (grow((void **)&rs->labels, &rs->cap_labels, rs->nlabels + 1, sizeof(char *))) {
		free(labels);
		return -ENOMEM;
	}
	rs->labels[rs->nlabels++] = labels;
	if (!edge_proto_is_http(e->key.proto))
		return add_row(rs, false, &row);
	for (i = 0; i < row.v->nseries; i++) {
		row.s = &row.v->series[i];
		if (add_row(rs, true, &row))
			return -ENOMEM;
	}
	return 0;
}

static int add_edge(struct istio_rows *rs, struct naming *n, const struct edge *e)
{
	struct endpoint_names src, dst;
	char *labels;
	int r;

	if (!e->view[REPORTER_SOURCE].seen && !e->view[REPORTER_DESTINATION].seen)
		return 0;
	naming_resolve(n, e->key.src_addr, &e->src, &src);
	naming_resolve(n, e->key.dst_addr, &e->dst, &dst);
	for (r = 0; r < REPORTER__MAX; r++) {
		if (!e->view[r].seen)
			continue;
		labels = view_labels(n, e, r, &src, &dst);
		if (!labels || add_view(rs, e, r, labels))
			return -ENOMEM;
	}
	return 0;
}

static void rows_free(struct istio_rows *rs)
{
	size_t i;

	for (i = 0; i < rs->nlabels; i++)
		free(rs->labels[i]);
	free(rs->labels);
	free(rs->http);
	free(rs->tcp);
}

static uint16_t row_status(const struct istio_row *r)
{
	return r->s ? r->s->status : 0;
}

static int row_grpc(const struct istio_row *r)
{
	return r->s ? r->s->grpc_status : -1;
}

/* Rows that print the same label set end up next to each other. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct istio_row *a = pa, *b = pb;
	int c = a->labels == b->labels ? 0 : strcmp(a->labels, b->labels);

	if (c)
		return c;
	c = (int)row_status(a) - (int)row_status(b);
	return c ? c : row_grpc(a) - row_grpc(b);
}

/* The end (exclusive) of the run of rows sharing rows[i]'s label set. */
static size_t group_end(const struct istio_row *rows, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && !row_cmp(&rows[i], &rows[j]))
		j++;
	return j;
}

/*
 * The per-request labels. A request that got no response is what Envoy
 * reports when the client went away first: code 0, flag DC (downstream
 * connection termination); Kiali shows code 0 as "no response".
 */
static void status_labels(char *buf, size_t len, const struct edge_series *s)
{
	char grpc[8] = "";

	if (s->grpc_status >= 0)
		snprintf(grpc, sizeof(grpc), "%d", s->grpc_status);
	snprintf(buf, len, "response_code=\"%u\",grpc_response_status=\"%s\",response_flags=\"%s\"",
		 s->status, grpc, s->status ? "-" : "DC");
}

static void write_requests(FILE *f, const struct istio_row *rows, size_t n)
{
	unsigned long long count;
	char st[128];
	size_t i, j, k;

	prom_family(f, "istio_requests_total", "counter",
		    "Istio standard metric: HTTP requests, one series per label set.");
	for (i = 0; i < n; i = j) {
		j = group_end(rows, n, i);
		for (count = 0, k = i; k < j; k++)
			count += rows[k].s->count;
		status_labels(st, sizeof(st), rows[i].s);
		fprintf(f, "istio_requests_total{%s%s} %llu\n", rows[i].labels, st, count);
	}
}

enum istio_hist {
	HIST_DURATION,
	HIST_REQUEST_BYTES,
	HIST_RESPONSE_BYTES,
};

static const struct envoy_hist *hist_of(const struct edge_series *s, enum istio_hist which)
{
	if (which == HIST_DURATION)
		return &s->istio_duration;
	return which == HIST_REQUEST_BYTES ? &s->istio_request_bytes : &s->istio_response_bytes;
}

/* One merged histogram series: rows[i..j) summed bucket by bucket. */
static void write_hist_series(FILE *f, const char *name, const struct istio_row *rows, size_t i,
			      size_t j, enum istio_hist which)
{
	unsigned long long cum = 0, sum = 0;
	char st[128];
	size_t k;
	int b;

	status_labels(st, sizeof(st), rows[i].s);
	for (b = 0; b <= EDGE_ENVOY_BOUNDS; b++) {
		for (k = i; k < j; k++)
			cum += hist_of(rows[k].s, which)->buckets[b];
		if (b < EDGE_ENVOY_BOUNDS)
			fprintf(f, "%s_bucket{%s%s,le=\"%.17g\"} %llu\n", name, rows[i].labels, st,
				edge_envoy_bounds[b], cum);
		else
			fprintf(f, "%s_bucket{%s%s,le=\"+Inf\"} %llu\n", name, rows[i].labels, st,
				cum);
	}
	for (k = i; k < j; k++)
		sum += hist_of(rows[k].s, which)->sum;
	if (which == HIST_DURATION)
		fprintf(f, "%s_sum{%s%s} %.6f\n", name, rows[i].labels, st, sum / 1e6);
	else
		fprintf(f, "%s_sum{%s%s} %llu\n", name, rows[i].labels, st, sum);
	fprintf(f, "%s_count{%s%s} %llu\n", name, rows[i].labels, st, cum);
}

static void write_hist(FILE *f, const struct istio_row *rows, size_t n, const char *name,
		       const char *help, enum istio_hist which)
{
	size_t i, j;

	prom_family(f, name, "histogram", help);
	for (i = 0; i < n; i = j) {
		j = group_end(rows, n, i);
		write_hist_series(f, name, rows, i, j, which);
	}
}

static void write_tcp(FILE *f, const struct istio_row *rows, size_t n, const char *name,
		      const char *help, enum view_field which)
{
	unsigned long long sum;
	size_t i, j, k;

	prom_family(f, name, "counter", help);
	for (i = 0; i < n; i = j) {
		j = group_end(rows, n, i);
		for (sum = 0, k = i; k < j; k++)
			sum += view_field(rows[k].v, which);
		fprintf(f, "%s{%sresponse_flags=\"-\"} %llu\n", name, rows[i].labels, sum);
	}
}

static void write_all(FILE *f, const struct istio_rows *rs)
{
	write_requests(f, rs->http, rs->nhttp);
	write_hist(f, rs->http, rs->nhttp, "istio_request_duration_milliseconds",
		   "Istio standard metric: request start to response end, in milliseconds.",
		   HIST_DURATION);
	write_hist(f, rs->http, rs->nhttp, "istio_request_bytes",
		   "Istio standard metric: request head and body bytes.", HIST_REQUEST_BYTES);
	write_hist(f, rs->http, rs->nhttp, "istio_response_bytes",
		   "Istio standard metric: response head and body bytes.", HIST_RESPONSE_BYTES);
	/* Istio's "sent" is what the server sent back and "received" what it
	 * got from the client: a view's own bytes the other way round. */
	write_tcp(f, rs->tcp, rs->ntcp, "istio_tcp_sent_bytes_total",
		  "Istio standard metric: TCP payload bytes from destination to source.",
		  VF_BYTES_RECEIVED);
	write_tcp(f, rs->tcp, rs->ntcp, "istio_tcp_received_bytes_total",
		  "Istio standard metric: TCP payload bytes from source to destination.",
		  VF_BYTES_SENT);
	write_tcp(f, rs->tcp, rs->ntcp, "istio_tcp_connections_opened_total",
		  "Istio standard metric: TCP connections opened.", VF_OPENED);
	write_tcp(f, rs->tcp, rs->ntcp, "istio_tcp_connections_closed_total",
		  "Istio standard metric: TCP connections closed.", VF_CLOSED);
}

int render_istio(const struct render_input *in, FILE *out)
{
	struct istio_rows rs;
	const struct edge *e;
	int err = 0;

	memset(&rs, 0, sizeof(rs));
	for (e = in->agg->lru_head; e && !err; e = e->lru_next)
		err = add_edge(&rs, in->naming, e);
	if (err)
		goto out_free;
	if (rs.nhttp)
		qsort(rs.http, rs.nhttp, sizeof(*rs.http), row_cmp);
	if (rs.ntcp)
		qsort(rs.tcp, rs.ntcp, sizeof(*rs.tcp), row_cmp);
	write_all(out, &rs);
	err = ferror(out) ? -EIO : 0;
out_free:
	rows_free(&rs);
	return err;
}
