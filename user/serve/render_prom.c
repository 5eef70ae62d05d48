// SPDX-License-Identifier: BSD-2-Clause
/*
 * Prometheus text exposition (format 0.0.4) of edges and of the agent's own
 * health. Every edge view gets a label set with a reporter label, as Istio
 * does, so a query picks reporter="destination" or "source" to count each
 * request once. Labels are names (workload, namespace, Service, port), never
 * addresses unless --metrics-labels asks: views with the same label set are
 * summed into one series, so series grow with workloads, not with client
 * addresses. Bound: at most 2 * --max-edges label sets; in practice one per
 * (reporter, calling workload, called workload and port), times the status
 * codes for meshsight_requests_total and 42 lines per duration histogram.
 * Families are written whole (HELP, TYPE, samples) because the format
 * forbids interleaving them; label sets are built once per scrape.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve/render.h"
#include "lib/str.h"

/* One edge view, with the label set it is reported under. */
struct prom_row {
	const struct edge_view *v;
	const char *labels; /* without braces; rows of one label set share the string */
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

int render_labels_parse(const char *list, uint32_t *out, char *why, size_t len)
{
	const char *p = list;
	size_t n;

	*out = 0;
	while (*p) {
		n = strcspn(p, ",");
		if (n == 7 && !strncmp(p, "address", n)) {
			*out |= RENDER_LABEL_ADDRESS;
		} else if (n == 7 && !strncmp(p, "process", n)) {
			*out |= RENDER_LABEL_PROCESS;
		} else if (!(n == 4 && !strncmp(p, "none", n))) {
			snprintf(why, len,
				 "unknown label '%.*s': expected address, process or none",
				 (int)(n > 32 ? 32 : n), p);
			return -EINVAL;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/*
 * The label set of one edge view: names, never addresses, unless asked
 * for (--metrics-labels). An end that no name covers is "unknown", so all
 * the addresses of the outside world, and every client address of one
 * workload, share one series.
 */
static char *edge_labels(struct naming *n, const struct edge *e, enum edge_reporter r,
			 uint32_t extra)
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
	put_label(f, "source_workload", str_or(src.workload, "unknown"), &first);
	put_label(f, "source_namespace", str_or(src.namespace_, "unknown"), &first);
	if (extra & RENDER_LABEL_ADDRESS)
		put_label(f, "source_address", src.address, &first);
	if (extra & RENDER_LABEL_PROCESS)
		put_label(f, "source_process", src.process, &first);
	put_label(f, "destination_service", str_or(dst.service, "unknown"), &first);
	put_label(f, "destination_workload", str_or(dst.workload, "unknown"), &first);
	put_label(f, "destination_namespace", str_or(dst.namespace_, "unknown"), &first);
	put_label(f, "destination_port", port, &first);
	if (extra & RENDER_LABEL_ADDRESS)
		put_label(f, "destination_address", dst.address, &first);
	if (extra & RENDER_LABEL_PROCESS)
		put_label(f, "destination_process", dst.process, &first);
	put_label(f, "protocol", edge_proto_name(e->key.proto), &first);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct prom_row *a = pa, *b = pb;

	return strcmp(a->labels, b->labels);
}

/* Rows sorted by label set; equal sets then share one string (freed once). */
static int collect_rows(const struct render_input *in, struct prom_row **out, size_t *nout)
{
	size_t cap = in->agg->edges.count * REPORTER__MAX, n = 0, i;
	struct prom_row *rows = calloc(cap ? cap : 1, sizeof(*rows));
	const struct edge *e;
	char *labels;
	int r;

	if (!rows)
		return -ENOMEM;
	for (e = in->agg->lru_head; e; e = e->lru_next) {
		for (r = 0; r < REPORTER__MAX && n < cap; r++) {
			if (!e->view[r].seen)
				continue;
			labels = edge_labels(in->naming, e, r, in->metrics_labels);
			if (!labels)
				continue;
			rows[n].v = &e->view[r];
			rows[n++].labels = labels;
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(rows[i].labels, rows[i - 1].labels))
			continue;
		free((char *)rows[i].labels);
		rows[i].labels = rows[i - 1].labels;
	}
	*out = rows;
	*nout = n;
	return 0;
}

static void free_rows(struct prom_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (i == 0 || rows[i].labels != rows[i - 1].labels)
			free((char *)rows[i].labels);
	free(rows);
}

/* The end (exclusive) of the run of rows sharing rows[i]'s label set. */
static size_t group_end(const struct prom_row *rows, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && rows[j].labels == rows[i].labels)
		j++;
	return j;
}

/* The smallest status code above after among rows[i..j), or 0x10000 when none. */
static uint32_t next_status(const struct prom_row *rows, size_t i, size_t j, int32_t after)
{
	uint32_t best = 0x10000;
	size_t k;
	uint16_t s;

	for (k = i; k < j; k++)
		for (s = 0; s < rows[k].v->nstatuses; s++)
			if ((int32_t)rows[k].v->statuses[s].code > after &&
			    rows[k].v->statuses[s].code < best)
				best = rows[k].v->statuses[s].code;
	return best;
}

static unsigned long long status_sum(const struct prom_row *rows, size_t i, size_t j, uint32_t code)
{
	unsigned long long sum = 0;
	size_t k;
	uint16_t s;

	for (k = i; k < j; k++)
		for (s = 0; s < rows[k].v->nstatuses; s++)
			if (rows[k].v->statuses[s].code == code)
				sum += rows[k].v->statuses[s].count;
	return sum;
}

/* Statuses merged over a group; a view holds a handful, so the scans are short. */
static void write_requests(FILE *f, const struct prom_row *rows, size_t n)
{
	size_t i, j;
	uint32_t code;

	prom_family(f, "meshsight_requests_total", "counter",
		    "HTTP requests per edge and response status code (0: no response).");
	for (i = 0; i < n; i = j) {
		j = group_end(rows, n, i);
		for (code = next_status(rows, i, j, -1); code < 0x10000;
		     code = next_status(rows, i, j, (int32_t)code))
			fprintf(f, "meshsight_requests_total{%s,status_code=\"%u\"} %llu\n",
				rows[i].labels, code, status_sum(rows, i, j, code));
	}
}

static void write_latency_group(FILE *f, const char *name, const struct prom_row *rows, size_t i,
				size_t j)
{
	unsigned long long cum = 0;
	uint64_t sum_ns = 0;
	size_t k;
	int b;

	for (b = 0; b <= EDGE_LATENCY_BOUNDS; b++) {
		for (k = i; k < j; k++)
			cum += rows[k].v->latency_buckets[b];
		if (b < EDGE_LATENCY_BOUNDS)
			fprintf(f, "%s_bucket{%s,le=\"%g\"} %llu\n", name, rows[i].labels,
				edge_latency_bounds_s[b], cum);
	}
	for (k = i; k < j; k++)
		sum_ns += rows[k].v->latency_sum_ns;
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, rows[i].labels, cum);
	fprintf(f, "%s_sum{%s} %.9f\n", name, rows[i].labels, sum_ns / 1e9);
	fprintf(f, "%s_count{%s} %llu\n", name, rows[i].labels, cum);
}

static void write_latency(FILE *f, const struct prom_row *rows, size_t n)
{
	const char *name = "meshsight_request_duration_seconds";
	uint64_t count;
	size_t i, j, k;

	prom_family(f, name, "histogram",
		    "Time from the request's first byte to the response's first byte, as the "
		    "kernel saw them.");
	for (i = 0; i < n; i = j) {
		j = group_end(rows, n, i);
		for (count = 0, k = i; k < j; k++)
			count += rows[k].v->latency.count;
		if (count)
			write_latency_group(f, name, rows, i, j);
	}
}

static void write_tcp_counter(FILE *f, const struct prom_row *rows, size_t n, const char *name,
			      const char *help, enum view_field which)
{
	unsigned long long sum;
	size_t i, j, k;

	prom_family(f, name, "counter", help);
	for (i = 0; i < n; i = j) {
		j = group_end(rows, n, i);
		for (sum = 0, k = i; k < j; k++)
			sum += view_field(rows[k].v, which);
		fprintf(f, "%s{%s} %llu\n", name, rows[i].labels, sum);
	}
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

static void put_self_labels(FILE *f, const struct self_stat *s)
{
	int first = 1;

	if (!s->label_key)
		return;
	fputc('{', f);
	put_label(f, s->label_key, s->label_val, &first);
	if (s->label2_key)
		put_label(f, s->label2_key, s->label2_val, &first);
	fputc('}', f);
}

static void write_self(FILE *f, const struct render_input *in)
{
	struct self_stat st[SELF_STATS_MAX];
	size_t n = render_self_stats(in, st), i;

	prom_family(f, "meshsight_build_info", "gauge", "Version of the running agent.");
	fprintf(f, "meshsight_build_info{version=\"%s\"} 1\n", in->version);
	prom_family(f, "meshsight_uptime_seconds", "gauge", "Seconds since the agent started.");
	fprintf(f, "meshsight_uptime_seconds %.3f\n", in->uptime_s);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(st[i].prom, st[i - 1].prom))
			prom_family(f, st[i].prom, st[i].prom_type, st[i].help);
		fputs(st[i].prom, f);
		put_self_labels(f, &st[i]);
		if (st[i].scale)
			fprintf(f, " %.9f\n", self_stat_value(&st[i]));
		else
			fprintf(f, " %llu\n", (unsigned long long)st[i].value);
	}
}

int render_prometheus(const struct render_input *in, FILE *out)
{
	struct prom_row *rows = NULL;
	size_t n = 0;
	int err;

	err = collect_rows(in, &rows, &n);
	if (err)
		return err;
	write_edges(out, rows, n);
	write_self(out, in);
	free_rows(rows, n);
	err = render_istio(in, out);
	if (err)
		return err;
	return ferror(out) ? -EIO : 0;
}
