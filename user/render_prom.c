// SPDX-License-Identifier: BSD-2-Clause
/*
 * Prometheus text exposition (format 0.0.4) of edges and of the agent's own
 * health. Every edge view becomes one label set with a reporter label, as
 * Istio does, so a query picks reporter="destination" or "source" to count
 * each request once. Families are written whole (HELP, TYPE, samples) because
 * the format forbids interleaving them; label sets are built once per scrape.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

struct prom_row {
	const struct edge *e;
	enum edge_reporter r;
	char *labels; /* without braces */
};

static void put_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void put_label(FILE *f, const char *name, const char *value, int *first)
{
	fprintf(f, "%s%s=\"", *first ? "" : ",", name);
	put_escaped(f, value);
	fputc('"', f);
	*first = 0;
}

static char *edge_labels(struct naming *n, const struct edge *e, enum edge_reporter r)
{
	struct endpoint_names src, dst;
	char port[8], *buf = NULL;
	size_t len = 0;
	int first = 1;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	naming_resolve(n, e->key.src_addr, &e->src, &src);
	naming_resolve(n, e->key.dst_addr, &e->dst, &dst);
	snprintf(port, sizeof(port), "%u", e->key.dst_port);
	put_label(f, "reporter", r == REPORTER_SOURCE ? "source" : "destination", &first);
	put_label(f, "source_address", src.address, &first);
	put_label(f, "source_workload", src.workload, &first);
	put_label(f, "source_namespace", src.namespace_, &first);
	put_label(f, "source_process", src.process, &first);
	put_label(f, "destination_address", dst.address, &first);
	put_label(f, "destination_port", port, &first);
	put_label(f, "destination_service", dst.service, &first);
	put_label(f, "destination_workload", dst.workload, &first);
	put_label(f, "destination_namespace", dst.namespace_, &first);
	put_label(f, "protocol", e->key.proto == EDGE_PROTO_HTTP ? "http" : "tcp", &first);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int collect_rows(const struct render_input *in, struct prom_row **out, size_t *nout)
{
	size_t cap = in->agg->edges.count * REPORTER__MAX, n = 0;
	struct prom_row *rows = calloc(cap ? cap : 1, sizeof(*rows));
	const struct edge *e;
	int r;

	if (!rows)
		return -ENOMEM;
	for (e = in->agg->lru_head; e; e = e->lru_next) {
		for (r = 0; r < REPORTER__MAX && n < cap; r++) {
			if (!e->view[r].seen)
				continue;
			rows[n].e = e;
			rows[n].r = r;
			rows[n].labels = edge_labels(in->naming, e, r);
			if (rows[n].labels)
				n++;
		}
	}
	*out = rows;
	*nout = n;
	return 0;
}

void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_sample(FILE *f, const char *name, const char *labels, unsigned long long value)
{
	if (labels)
		fprintf(f, "%s{%s} %llu\n", name, labels, value);
	else
		fprintf(f, "%s %llu\n", name, value);
}

static void write_requests(FILE *f, const struct prom_row *rows, size_t n)
{
	size_t i;
	uint16_t s;

	prom_family(f, "meshsight_requests_total", "counter",
		    "HTTP requests per edge and response status code (0: no response).");
	for (i = 0; i < n; i++) {
		const struct edge_view *v = &rows[i].e->view[rows[i].r];

		for (s = 0; s < v->nstatuses; s++)
			fprintf(f, "meshsight_requests_total{%s,status_code=\"%u\"} %llu\n",
				rows[i].labels, v->statuses[s].code,
				(unsigned long long)v->statuses[s].count);
	}
}

static void write_latency(FILE *f, const struct prom_row *rows, size_t n)
{
	const char *name = "meshsight_request_duration_seconds";
	unsigned long long cum;
	size_t i;
	int b;

	prom_family(f, name, "histogram",
		    "Time from the request's first byte to the response's first byte, as the "
		    "kernel saw them.");
	for (i = 0; i < n; i++) {
		const struct edge_view *v = &rows[i].e->view[rows[i].r];

		if (!v->latency.count)
			continue;
		cum = 0;
		for (b = 0; b < EDGE_LATENCY_BOUNDS; b++) {
			cum += v->latency_buckets[b];
			fprintf(f, "%s_bucket{%s,le=\"%g\"} %llu\n", name, rows[i].labels,
				edge_latency_bounds_s[b], cum);
		}
		cum += v->latency_buckets[EDGE_LATENCY_BOUNDS];
		fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, rows[i].labels, cum);
		fprintf(f, "%s_sum{%s} %.9f\n", name, rows[i].labels, v->latency_sum_ns / 1e9);
		fprintf(f, "%s_count{%s} %llu\n", name, rows[i].labels, cum);
	}
}

static void write_tcp_counter(FILE *f, const struct prom_row *rows, size_t n, const char *name,
			      const char *help, enum view_field which)
{
	size_t i;

	prom_family(f, name, "counter", help);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{%s} %llu\n", name, rows[i].labels,
			(unsigned long long)view_field(&rows[i].e->view[rows[i].r], which));
}

static void write_edges(FILE *f, const struct prom_row *rows, size_t n)
{
	write_requests(f, rows, n);
	write_latency(f, rows, n);
	write_tcp_counter(f, rows, n, "meshsight_tcp_sent_bytes_total",
			  "TCP payload bytes from source to destination (acknowledged).",
			  VF_BYTES_SENT);
	write_tcp_counter(f, rows, n, "meshsight_tcp_received_bytes_total",
			  "TCP payload bytes from destination to source.", VF_BYTES_RECEIVED);
	write_tcp_counter(f, rows, n, "meshsight_tcp_connections_opened_total",
			  "TCP connections established.", VF_OPENED);
	write_tcp_counter(f, rows, n, "meshsight_tcp_connections_closed_total",
			  "TCP connections closed, resets included.", VF_CLOSED);
	write_tcp_counter(f, rows, n, "meshsight_tcp_connections_reset_total",
			  "TCP connections that ended in a reset or abort.", VF_RESET);
	write_tcp_counter(f, rows, n, "meshsight_tcp_retransmits_total",
			  "TCP segments retransmitted.", VF_RETRANS);
}

static void write_self(FILE *f, const struct render_input *in)
{
	const struct flow_stats *fs = &in->flows->stats;
	const struct agg_stats *as = &in->agg->stats;
	int i;

	prom_family(f, "meshsight_build_info", "gauge", "Version of the running agent.");
	fprintf(f, "meshsight_build_info{version=\"%s\"} 1\n", in->version);
	prom_family(f, "meshsight_uptime_seconds", "gauge", "Seconds since the agent started.");
	fprintf(f, "meshsight_uptime_seconds %.3f\n", in->uptime_s);

	prom_family(f, "meshsight_events_total", "counter", "Ring-buffer events received by type.");
	fprintf(f, "meshsight_events_total{type=\"conn_open\"} %llu\n",
		(unsigned long long)fs->events[MS_EV_CONN_OPEN]);
	fprintf(f, "meshsight_events_total{type=\"conn_close\"} %llu\n",
		(unsigned long long)fs->events[MS_EV_CONN_CLOSE]);
	fprintf(f, "meshsight_events_total{type=\"data\"} %llu\n",
		(unsigned long long)fs->events[MS_EV_DATA]);

	prom_family(f, "meshsight_events_dropped_total", "counter",
		    "Events or connections lost, by cause; any non-zero value means missing data.");
	for (i = 0; i < MS_CNT__MAX; i++)
		if (kernel_counter_is_drop(i))
			fprintf(f, "meshsight_events_dropped_total{cause=\"%s\"} %llu\n",
				kernel_counter_name(i), (unsigned long long)in->kernel_counters[i]);
	fprintf(f, "meshsight_events_dropped_total{cause=\"malformed_event\"} %llu\n",
		(unsigned long long)fs->malformed_events);
	fprintf(f, "meshsight_events_dropped_total{cause=\"data_without_connection\"} %llu\n",
		(unsigned long long)fs->data_without_flow);
	fprintf(f, "meshsight_events_dropped_total{cause=\"connection_limit\"} %llu\n",
		(unsigned long long)fs->flows_limit);
	fprintf(f, "meshsight_events_dropped_total{cause=\"http_parser_limit\"} %llu\n",
		(unsigned long long)fs->http_limit);

	prom_family(f, "meshsight_kernel_datapath_total", "counter",
		    "Kernel-side datapath counters by outcome.");
	for (i = 0; i < MS_CNT__MAX; i++)
		if (!kernel_counter_is_drop(i))
			fprintf(f, "meshsight_kernel_datapath_total{outcome=\"%s\"} %llu\n",
				kernel_counter_name(i), (unsigned long long)in->kernel_counters[i]);

	prom_family(f, "meshsight_parse_errors_total", "counter",
		    "HTTP/1 parse failures and recoveries by reason.");
	for (i = 0; i < HTTP1_ERR__MAX; i++)
		fprintf(f, "meshsight_parse_errors_total{reason=\"%s\"} %llu\n",
			http1_error_name(i), (unsigned long long)in->flows->http_stats.errors[i]);

	prom_family(f, "meshsight_reassembly_gaps_total", "counter",
		    "Holes in a TCP byte stream given up on (lost or never captured bytes).");
	fprintf(f, "meshsight_reassembly_gaps_total %llu\n",
		(unsigned long long)in->flows->reasm_stats.gaps);

	prom_family(f, "meshsight_tracked_connections", "gauge",
		    "Connections tracked in userspace.");
	fprintf(f, "meshsight_tracked_connections %zu\n", flowtab_count(in->flows));
	prom_family(f, "meshsight_kernel_connections", "gauge",
		    "Entries in the kernel connection table at the last scan.");
	fprintf(f, "meshsight_kernel_connections %llu\n", (unsigned long long)in->kernel_conns);
	prom_family(f, "meshsight_tracked_edges", "gauge", "Edges held in memory.");
	fprintf(f, "meshsight_tracked_edges %zu\n", in->agg->edges.count);

	prom_family(f, "meshsight_evictions_total", "counter",
		    "Items dropped to bound memory, by kind and reason.");
	fprintf(f, "meshsight_evictions_total{kind=\"edge\",reason=\"idle\"} %llu\n",
		(unsigned long long)as->evicted_idle);
	fprintf(f, "meshsight_evictions_total{kind=\"edge\",reason=\"limit\"} %llu\n",
		(unsigned long long)as->evicted_limit);
	fprintf(f, "meshsight_evictions_total{kind=\"connection\",reason=\"idle\"} %llu\n",
		(unsigned long long)fs->flows_evicted_idle);
	fprintf(f, "meshsight_evictions_total{kind=\"kernel_connection\",reason=\"idle\"} %llu\n",
		(unsigned long long)in->kernel_conns_expired);
	fprintf(f, "meshsight_evictions_total{kind=\"edge\",reason=\"renamed\"} %llu\n",
		(unsigned long long)as->retired_renamed);

	prom_family(f, "meshsight_mesh_tunnel_connections_total", "counter",
		    "Mesh tunnel sockets (ztunnel, sidecar capture ports) seen; never an edge.");
	prom_sample(f, "meshsight_mesh_tunnel_connections_total", NULL, fs->tunnel_flows);
	prom_family(f, "meshsight_mesh_tunnel_bytes_total", "counter",
		    "Bytes mesh tunnel sockets sent and received, counted at close.");
	prom_sample(f, "meshsight_mesh_tunnel_bytes_total", NULL, fs->tunnel_bytes);
	prom_family(f, "meshsight_mesh_carried_connections_total", "counter",
		    "Application connections found carried by a local mesh tunnel (mTLS).");
	prom_sample(f, "meshsight_mesh_carried_connections_total", NULL, fs->tunnel_carried);
}

int render_prometheus(const struct render_input *in, FILE *out)
{
	struct prom_row *rows = NULL;
	size_t n = 0, i;
	int err;

	err = collect_rows(in, &rows, &n);
	if (err)
		return err;
	write_edges(out, rows, n);
	write_self(out, in);
	for (i = 0; i < n; i++)
		free(rows[i].labels);
	free(rows);
	err = render_istio(in, out);
	if (err)
		return err;
	return ferror(out) ? -EIO : 0;
}
