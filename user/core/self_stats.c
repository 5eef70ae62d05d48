// SPDX-License-Identifier: BSD-2-Clause
/*
 * See self_stats.h. Each row names one number once for all three outputs
 * and says where it is read from: a field of one of the modules' stats
 * structs (by offset), or a whole enum of counters expanded into one
 * sample per member (kernel counters, HTTP/1 parse errors).
 */
#include <stddef.h>
#include <string.h>

#include "core/self_stats.h"

enum self_src {
	SRC_FLOW,	     /* struct flow_stats */
	SRC_AGG,	     /* struct agg_stats */
	SRC_HTTP,	     /* struct http1_stats */
	SRC_REASM,	     /* struct reasm_stats */
	SRC_NAT,	     /* struct nat_stats; skipped when ClusterIP lookups are off */
	SRC_INPUT,	     /* struct self_stats_input */
	SRC_KERNEL_DROPS,    /* every kernel counter that means a loss, by name */
	SRC_KERNEL_OUTCOMES, /* every other kernel counter, by name */
	SRC_PARSE_ERRORS,    /* every enum http1_error, by name */
	SRC_H2,		     /* struct h2_stats */
	SRC_H2_ERRORS,	     /* every enum h2_error, by name */
	SRC_LOGS,	     /* struct log_export_stats; skipped when the logs signal is off */
	SRC_ANSWERS,	     /* struct answers_stats */
	SRC_EVENT_KINDS,     /* answers_stats.events_by_kind, by kind name */
};

struct self_def {
	const char *prom, *help;
	const char *lk, *lv, *l2k, *l2v; /* Prometheus labels; an expanded row sets lv */
	const char *jg, *jk;		 /* JSON group and key; an expanded row sets jk */
	const char *otlp, *unit;
	const char *oak, *oav; /* OTLP attribute; NULL: the first label's */
	unsigned char gauge, src;
	unsigned short off;
	double scale; /* see struct self_stat */
};

#define FLOW(f)	 SRC_FLOW, offsetof(struct flow_stats, f), 0
#define AGG(f)	 SRC_AGG, offsetof(struct agg_stats, f), 0
#define REASM(f) SRC_REASM, offsetof(struct reasm_stats, f), 0
#define NAT(f)	 SRC_NAT, offsetof(struct nat_stats, f), 0
#define H2(f)	 SRC_H2, offsetof(struct h2_stats, f), 0
#define LOGS(f)	 SRC_LOGS, offsetof(struct log_export_stats, f), 0
#define ANS(f)	 SRC_ANSWERS, offsetof(struct answers_stats, f), 0
#define INPUT(f) SRC_INPUT, offsetof(struct self_stats_input, f), 0

#define ACCDROP                                                                                    \
	"meshsight_access_log_dropped_total",                                                      \
	    "Access-log records not kept: over --access-log-rate, or pushed out of the ring by "   \
	    "newer ones."
#define ACCDROP_OTLP "meshsight.agent.access_log_dropped", "{record}"
#define EVENTS	     "meshsight_events_total", "Ring-buffer events received by type."
#define EV_OTLP	     "meshsight.agent.events", "{event}"
#define DROPPED                                                                                    \
	"meshsight_events_dropped_total",                                                          \
	    "Events or connections lost, by cause; any non-zero value means missing data."
#define DR_OTLP		"meshsight.agent.events_dropped", "{event}"
#define EVICTED		"meshsight_evictions_total", "Items dropped to bound memory, by kind and reason."
#define EVI_OTLP	"meshsight.agent.evictions", "{item}"
#define TUNNEL(n, h, j) "meshsight_mesh_" n, h, NULL, NULL, NULL, NULL, "mesh_tunnel", j
#define HTTPMODE                                                                                   \
	"meshsight_http_transactions_by_mode_total",                                               \
	    "HTTP/1 transactions by who parsed them: the kernel (one event each) or userspace "    \
	    "(captured bytes)."
#define HTTPMODE_OTLP "meshsight.agent.http_transactions_by_mode", "{request}"
#define FALLBACK                                                                                   \
	"meshsight_kernel_fallbacks_total",                                                        \
	    "Connection directions moved from kernel HTTP/1 parsing to capture, by reason."
#define FB_OTLP "meshsight.agent.kernel_fallbacks", "{direction}"
#define NATL                                                                                       \
	"meshsight_clusterip_lookups_total",                                                       \
	    "Connection-tracking lookups of connections to a ClusterIP, by outcome."

#define LOGREC                                                                                     \
	"meshsight_otlp_log_records_total",                                                        \
	    "Events and access-log records read for the OTLP logs signal, by source."
#define LOGREC_OTLP "meshsight.agent.otlp_log_records", "{record}"
#define LOGMISS                                                                                    \
	"meshsight_otlp_log_records_dropped_total",                                                \
	    "Events and access-log records the OTLP logs signal lost: overwritten in their ring "  \
	    "before the export read them, or read but not encoded (out of memory)."
#define LOGMISS_OTLP "meshsight.agent.otlp_log_records_dropped", "{record}"

static const struct self_def defs[] = {
    {EVENTS, "type", "conn_open", NULL, NULL, "events_seen", "conn_open", EV_OTLP, NULL, NULL, 0,
     FLOW(events[MS_EV_CONN_OPEN])},
    {EVENTS, "type", "conn_close", NULL, NULL, "events_seen", "conn_close", EV_OTLP, NULL, NULL, 0,
     FLOW(events[MS_EV_CONN_CLOSE])},
    {EVENTS, "type", "data", NULL, NULL, "events_seen", "data", EV_OTLP, NULL, NULL, 0,
     FLOW(events[MS_EV_DATA])},
    {EVENTS, "type", "http_pair", NULL, NULL, "events_seen", "http_pair", EV_OTLP, NULL, NULL, 0,
     FLOW(events[MS_EV_HTTP_PAIR])},
    {EVENTS, "type", "mode", NULL, NULL, "events_seen", "mode", EV_OTLP, NULL, NULL, 0,
     FLOW(events[MS_EV_MODE])},
    {EVENTS, "type", "tls_data", NULL, NULL, "events_seen", "tls_data", EV_OTLP, NULL, NULL, 0,
     FLOW(events[MS_EV_TLS_DATA])},
    {"meshsight_event_bytes_total", "Bytes of ring-buffer events received.", NULL, NULL, NULL, NULL,
     NULL, "event_bytes", "meshsight.agent.event_bytes", "By", NULL, NULL, 0, FLOW(event_bytes)},
    {DROPPED, "cause", NULL, NULL, NULL, "events_dropped", NULL, DR_OTLP, NULL, NULL, 0,
     SRC_KERNEL_DROPS, 0, 0},
    {DROPPED, "cause", "malformed_event", NULL, NULL, "events_dropped", "malformed_event", DR_OTLP,
     NULL, NULL, 0, FLOW(malformed_events)},
    {DROPPED, "cause", "data_without_connection", NULL, NULL, "events_dropped",
     "data_without_connection", DR_OTLP, NULL, NULL, 0, FLOW(data_without_flow)},
    {DROPPED, "cause", "close_without_connection", NULL, NULL, "events_dropped",
     "close_without_connection", DR_OTLP, NULL, NULL, 0, FLOW(close_without_flow)},
    {DROPPED, "cause", "tls_after_tcp", NULL, NULL, "events_dropped", "tls_after_tcp", DR_OTLP,
     NULL, NULL, 0, FLOW(tls_late)},
    {DROPPED, "cause", "connection_limit", NULL, NULL, "events_dropped", "connection_limit",
     DR_OTLP, NULL, NULL, 0, FLOW(flows_limit)},
    {DROPPED, "cause", "http_parser_limit", NULL, NULL, "events_dropped", "http_parser_limit",
     DR_OTLP, NULL, NULL, 0, FLOW(http_limit)},
    {DROPPED, "cause", "edge_out_of_memory", NULL, NULL, "events_dropped", "edge_out_of_memory",
     DR_OTLP, NULL, NULL, 0, AGG(alloc_failures)},
    {DROPPED, "cause", "handover_no_room", NULL, NULL, "events_dropped", "handover_no_room",
     DR_OTLP, NULL, NULL, 0, FLOW(inject_failed)},
    {"meshsight_kernel_datapath_total", "Kernel-side datapath counters by outcome.", "outcome",
     NULL, NULL, NULL, "kernel", NULL, "meshsight.agent.kernel_datapath", "{event}", NULL, NULL, 0,
     SRC_KERNEL_OUTCOMES, 0, 0},
    {"meshsight_parse_errors_total", "HTTP/1 parse failures and recoveries by reason.", "reason",
     NULL, NULL, NULL, "parse_failures", NULL, "meshsight.agent.parse_errors", "{error}", NULL,
     NULL, 0, SRC_PARSE_ERRORS, 0, 0},
    {"meshsight_h2_parse_errors_total", "HTTP/2 framing and HPACK losses and recoveries by reason.",
     "reason", NULL, NULL, NULL, "h2_parse_failures", NULL, "meshsight.agent.h2_parse_errors",
     "{error}", NULL, NULL, 0, SRC_H2_ERRORS, 0, 0},
    {"meshsight_h2_streams_total", "HTTP/2 streams reported as transactions.", NULL, NULL, NULL,
     NULL, "h2", "streams", "meshsight.agent.h2_streams", "{stream}", NULL, NULL, 0, H2(streams)},
    {"meshsight_h2_streams_unnamed_total",
     "HTTP/2 streams counted without method, path or status: their HPACK state was lost.", NULL,
     NULL, NULL, NULL, "h2", "streams_unnamed", "meshsight.agent.h2_streams_unnamed", "{stream}",
     NULL, NULL, 0, H2(unnamed)},
    {"meshsight_h2_hpack_evictions_total",
     "HPACK dynamic-table entries the decoders evicted, as the senders did (at connection end).",
     NULL, NULL, NULL, NULL, "h2", "hpack_evictions", "meshsight.agent.h2_hpack_evictions",
     "{entry}", NULL, NULL, 0, H2(hpack_evictions)},
    {"meshsight_parse_resyncs_total",
     "Times an HTTP/1 stream found a new message start after losing its framing.", NULL, NULL, NULL,
     NULL, "parse_failures", "resyncs", "meshsight.agent.parse_resyncs", "{event}", NULL, NULL, 0,
     SRC_HTTP, offsetof(struct http1_stats, resyncs), 0},
    {"meshsight_reassembly_gaps_total",
     "Holes in a TCP byte stream given up on (lost or never captured bytes).", NULL, NULL, NULL,
     NULL, "parse_failures", "reassembly_gaps", "meshsight.agent.reassembly_gaps", "{gap}", NULL,
     NULL, 0, REASM(gaps)},
    {"meshsight_reassembly_gap_bytes_total", "Bytes in the holes given up on.", NULL, NULL, NULL,
     NULL, "parse_failures", "reassembly_gap_bytes", "meshsight.agent.reassembly_gap_bytes", "By",
     NULL, NULL, 0, REASM(gap_bytes)},
    {"meshsight_reassembly_budget_full_total",
     "Out-of-order segments not held because the reassembly budget was spent.", NULL, NULL, NULL,
     NULL, "parse_failures", "reassembly_budget_full", "meshsight.agent.reassembly_budget_full",
     "{segment}", NULL, NULL, 0, REASM(budget_full)},
    {"meshsight_http_transactions_total", "HTTP/1 request/response pairs counted.", NULL, NULL,
     NULL, NULL, NULL, "http_transactions", "meshsight.agent.http_transactions", "{request}", NULL,
     NULL, 0, FLOW(transactions)},
    {HTTPMODE, "mode", "kernel", NULL, NULL, "http_transactions_by_mode", "kernel", HTTPMODE_OTLP,
     NULL, NULL, 0, FLOW(kernel_txns)},
    {HTTPMODE, "mode", "capture", NULL, NULL, "http_transactions_by_mode", "capture", HTTPMODE_OTLP,
     NULL, NULL, 0, FLOW(capture_txns)},
    {FALLBACK, "reason", "head", NULL, NULL, "kernel_fallbacks", "head", FB_OTLP, NULL, NULL, 0,
     FLOW(fallbacks[MS_FB_HEAD])},
    {FALLBACK, "reason", "framing", NULL, NULL, "kernel_fallbacks", "framing", FB_OTLP, NULL, NULL,
     0, FLOW(fallbacks[MS_FB_FRAMING])},
    {FALLBACK, "reason", "pipelined", NULL, NULL, "kernel_fallbacks", "pipelined", FB_OTLP, NULL,
     NULL, 0, FLOW(fallbacks[MS_FB_PIPELINED])},
    {FALLBACK, "reason", "gap", NULL, NULL, "kernel_fallbacks", "gap", FB_OTLP, NULL, NULL, 0,
     FLOW(fallbacks[MS_FB_GAP])},
    {FALLBACK, "reason", "unsolicited", NULL, NULL, "kernel_fallbacks", "unsolicited", FB_OTLP,
     NULL, NULL, 0, FLOW(fallbacks[MS_FB_UNSOLICITED])},
    {FALLBACK, "reason", "target", NULL, NULL, "kernel_fallbacks", "target", FB_OTLP, NULL, NULL, 0,
     FLOW(fallbacks[MS_FB_TARGET])},
    {FALLBACK, "reason", "peer", NULL, NULL, "kernel_fallbacks", "peer", FB_OTLP, NULL, NULL, 0,
     FLOW(fallbacks[MS_FB_PEER])},
    {"meshsight_tracked_connections", "Connections tracked in userspace.", NULL, NULL, NULL, NULL,
     NULL, "tracked_connections", "meshsight.agent.connections", "{connection}", NULL, NULL, 1,
     INPUT(tracked_conns)},
    {"meshsight_kernel_connections", "Entries in the kernel connection table at the last scan.",
     NULL, NULL, NULL, NULL, NULL, "kernel_connections", "meshsight.agent.kernel_connections",
     "{connection}", NULL, NULL, 1, INPUT(kernel_conns)},
    {"meshsight_tracked_edges", "Edges held in memory.", NULL, NULL, NULL, NULL, NULL,
     "tracked_edges", "meshsight.agent.edges", "{edge}", NULL, NULL, 1, INPUT(tracked_edges)},
    {"meshsight_consumer_lock_wait_max_seconds",
     "Longest the ring-buffer consumer waited for the agent's lock (scrapes and exports take "
     "it a slice at a time): what a scrape can cost the datapath.",
     NULL, NULL, NULL, NULL, NULL, "consumer_lock_wait_max_seconds",
     "meshsight.agent.consumer_lock_wait_max", "s", NULL, NULL, 1, SRC_INPUT,
     offsetof(struct self_stats_input, consumer_max_wait_ns), 1e-9},
    {"meshsight_edges_created_total", "Edges created since the start.", NULL, NULL, NULL, NULL,
     NULL, "edges_created", "meshsight.agent.edges_created", "{edge}", NULL, NULL, 0,
     AGG(edges_created)},
    {EVICTED, "kind", "edge", "reason", "idle", "evictions", "edges_idle", EVI_OTLP, "reason",
     "edge_idle", 0, AGG(evicted_idle)},
    {EVICTED, "kind", "edge", "reason", "limit", "evictions", "edges_limit", EVI_OTLP, "reason",
     "edge_limit", 0, AGG(evicted_limit)},
    {EVICTED, "kind", "edge", "reason", "renamed", "evictions", "edges_renamed", EVI_OTLP, "reason",
     "edge_renamed", 0, AGG(retired_renamed)},
    {EVICTED, "kind", "connection", "reason", "idle", "evictions", "connections_idle", EVI_OTLP,
     "reason", "connection_idle", 0, FLOW(flows_evicted_idle)},
    {EVICTED, "kind", "kernel_connection", "reason", "idle", "evictions", "kernel_connections_idle",
     EVI_OTLP, "reason", "kernel_connection_idle", 0, INPUT(kernel_conns_expired)},
    {"meshsight_closes_recovered_total",
     "Connections whose close event was lost (ring buffer full), finished exactly from the "
     "kernel's entry by the next scan.",
     NULL, NULL, NULL, NULL, NULL, "closes_recovered", "meshsight.agent.closes_recovered",
     "{connection}", NULL, NULL, 0, FLOW(closes_recovered)},
    {"meshsight_excluded_connections_total",
     "Connections not observed: the agent's own, excluded processes and cgroups, and their "
     "local peers.",
     NULL, NULL, NULL, NULL, NULL, "excluded_connections", "meshsight.agent.excluded_connections",
     "{connection}", NULL, NULL, 0, FLOW(excluded_flows)},
    {TUNNEL("tunnel_connections_total",
	    "Mesh tunnel sockets (ztunnel, sidecar capture ports) seen; never an edge.",
	    "connections"),
     "meshsight.agent.mesh_tunnel_connections", "{connection}", NULL, NULL, 0, FLOW(tunnel_flows)},
    {TUNNEL("tunnel_bytes_total", "Bytes mesh tunnel sockets sent and received, counted at close.",
	    "bytes"),
     "meshsight.agent.mesh_tunnel_bytes", "By", NULL, NULL, 0, FLOW(tunnel_bytes)},
    {TUNNEL("carried_connections_total",
	    "Application connections found carried by a local mesh tunnel (mTLS).",
	    "carried_connections"),
     "meshsight.agent.mesh_carried_connections", "{connection}", NULL, NULL, 0,
     FLOW(tunnel_carried)},
    {"meshsight_istio_series_dropped_total",
     "HTTP requests missing from istio_* metrics: their edge view already held the most "
     "(method, status, version) series it may.",
     NULL, NULL, NULL, NULL, NULL, "istio_series_dropped", "meshsight.agent.istio_series_dropped",
     "{request}", NULL, NULL, 0, AGG(series_overflow)},
    {"meshsight_http_head_timeouts_total",
     "Endpoint connections closed because their request head was not complete within 5 s.", NULL,
     NULL, NULL, NULL, "endpoint", "head_timeouts", "meshsight.agent.http_head_timeouts",
     "{connection}", NULL, NULL, 0, INPUT(endpoint_head_timeouts)},
    {"meshsight_http_pages_shared_total",
     "Scrapes answered with a page rendered for another scrape moments before.", NULL, NULL, NULL,
     NULL, "endpoint", "pages_shared", "meshsight.agent.http_pages_shared", "{request}", NULL, NULL,
     0, INPUT(endpoint_pages_shared)},
    {LOGREC, "source", "event", NULL, NULL, "otlp_logs", "events", LOGREC_OTLP, NULL, NULL, 0,
     LOGS(events)},
    {LOGREC, "source", "access_log", NULL, NULL, "otlp_logs", "access_log", LOGREC_OTLP, NULL, NULL,
     0, LOGS(access)},
    {LOGMISS, "reason", "event_overwritten", NULL, NULL, "otlp_logs", "events_overwritten",
     LOGMISS_OTLP, NULL, NULL, 0, LOGS(events_missed)},
    {LOGMISS, "reason", "access_log_overwritten", NULL, NULL, "otlp_logs", "access_log_overwritten",
     LOGMISS_OTLP, NULL, NULL, 0, LOGS(access_missed)},
    {LOGMISS, "reason", "out_of_memory", NULL, NULL, "otlp_logs", "out_of_memory", LOGMISS_OTLP,
     NULL, NULL, 0, LOGS(build_failed)},
    {"meshsight_analysis_events_total", "Events raised (GET /api/v1/events), by kind.", "kind",
     NULL, NULL, NULL, "analysis_events", NULL, "meshsight.agent.analysis_events", "{event}", NULL,
     NULL, 0, SRC_EVENT_KINDS, 0, 0},
    {"meshsight_analysis_events_overwritten_total",
     "Events pushed out of the ring (--max-events) by newer ones.", NULL, NULL, NULL, NULL,
     "analysis", "events_overwritten", "meshsight.agent.analysis_events_overwritten", "{event}",
     NULL, NULL, 0, ANS(events_overwritten)},
    {"meshsight_analysis_pairs_dropped_total",
     "Edges not checked for new_edge: the set of known pairs was full.", NULL, NULL, NULL, NULL,
     "analysis", "pairs_dropped", "meshsight.agent.analysis_pairs_dropped", "{edge}", NULL, NULL, 0,
     ANS(pairs_dropped)},
    {"meshsight_window_edges", "Edges in the sliding window (--window) the graph and events read.",
     NULL, NULL, NULL, NULL, "analysis", "window_edges", "meshsight.agent.window_edges", "{edge}",
     NULL, NULL, 1, ANS(window_edges)},
    {"meshsight_window_edges_dropped_total",
     "Edge sightings not windowed: the window held --max-edges edges.", NULL, NULL, NULL, NULL,
     "analysis", "window_edges_dropped", "meshsight.agent.window_edges_dropped", "{edge}", NULL,
     NULL, 0, ANS(window_edges_dropped)},
    {"meshsight_window_ticks_total", "Window ticks (every --window / 6 seconds).", NULL, NULL, NULL,
     NULL, "analysis", "window_ticks", "meshsight.agent.window_ticks", "{tick}", NULL, NULL, 0,
     ANS(window_ticks)},
    {"meshsight_access_log_records_total",
     "Access-log records kept (--access-log), failed requests by default.", NULL, NULL, NULL, NULL,
     "access_log", "records", "meshsight.agent.access_log_records", "{record}", NULL, NULL, 0,
     ANS(access_recorded)},
    {ACCDROP, "reason", "rate", NULL, NULL, "access_log", "dropped_rate", ACCDROP_OTLP, NULL, NULL,
     0, ANS(access_dropped_rate)},
    {ACCDROP, "reason", "overwritten", NULL, NULL, "access_log", "dropped_overwritten",
     ACCDROP_OTLP, NULL, NULL, 0, ANS(access_dropped_overwritten)},
    {NATL, "outcome", "rewritten", NULL, NULL, "clusterip_lookups", "rewritten",
     "meshsight.agent.clusterip_lookups", "{lookup}", NULL, NULL, 0, NAT(rewritten)},
    {NATL, "outcome", "not_found", NULL, NULL, "clusterip_lookups", "not_found",
     "meshsight.agent.clusterip_lookups", "{lookup}", NULL, NULL, 0, NAT(not_found)},
    {NATL, "outcome", "error", NULL, NULL, "clusterip_lookups", "errors",
     "meshsight.agent.clusterip_lookups", "{lookup}", NULL, NULL, 0, NAT(errors)},
};

static const struct {
	const char *name;
	int is_drop;
} kernel_counters[MS_CNT__MAX] = {
    [MS_CNT_RB_FULL_OPEN] = {"ringbuf_full_open", 1},
    [MS_CNT_RB_FULL_CLOSE] = {"ringbuf_full_close", 1},
    [MS_CNT_RB_FULL_DATA] = {"ringbuf_full_data", 1},
    [MS_CNT_CONN_MAP_FULL] = {"conn_map_full", 1},
    [MS_CNT_LISTEN_MAP_FULL] = {"listen_map_full", 1},
    [MS_CNT_MALFORMED_PKT] = {"malformed_packets", 0},
    [MS_CNT_CAPTURE_TRUNCATED] = {"capture_truncated", 0},
    [MS_CNT_RETRANS_SKIPPED] = {"retransmit_skipped", 0},
    [MS_CNT_CONN_OPAQUE] = {"classified_opaque", 0},
    [MS_CNT_CONN_HTTP1] = {"classified_http1", 0},
    [MS_CNT_RB_FULL_PAIR] = {"ringbuf_full_pair", 1},
    [MS_CNT_RB_FULL_MODE] = {"ringbuf_full_mode", 1},
    [MS_CNT_CONN_KERNEL] = {"kernel_parsed_connections", 0},
    [MS_CNT_HEAD_SCANNED] = {"heads_parsed", 0},
    [MS_CNT_CONN_HTTP2] = {"classified_http2", 0},
    [MS_CNT_RB_FULL_TLS] = {"ringbuf_full_tls", 1},
    [MS_CNT_TLS_NO_SOCKET] = {"tls_socket_not_found", 0},
};

const char *kernel_counter_name(enum ms_counter c)
{
	return c < MS_CNT__MAX && kernel_counters[c].name ? kernel_counters[c].name : "unknown";
}

int kernel_counter_is_drop(enum ms_counter c)
{
	return c < MS_CNT__MAX && kernel_counters[c].is_drop;
}

static const void *src_base(const struct self_stats_input *in, unsigned char src)
{
	switch (src) {
	case SRC_FLOW:
		return in->flows;
	case SRC_AGG:
		return in->agg;
	case SRC_HTTP:
		return in->http;
	case SRC_REASM:
		return in->reasm;
	case SRC_H2:
		return in->h2;
	case SRC_NAT:
		return in->nat;
	case SRC_LOGS:
		return in->logs;
	case SRC_ANSWERS:
		return in->answers;
	case SRC_INPUT:
		return in;
	}
	return NULL;
}

static void fill(struct self_stat *s, const struct self_def *d, const char *name, uint64_t v)
{
	memset(s, 0, sizeof(*s));
	s->prom = d->prom;
	s->help = d->help;
	s->prom_type = d->gauge ? "gauge" : "counter";
	s->label_key = d->lk;
	s->label_val = name ?: d->lv;
	s->label2_key = d->l2k;
	s->label2_val = d->l2v;
	s->json_group = d->jg;
	s->json_key = name ?: d->jk;
	s->otlp = d->otlp;
	s->unit = d->unit;
	s->otlp_attr_key = d->oak ?: d->lk;
	s->otlp_attr_val = d->oak ? d->oav : s->label_val;
	s->gauge = d->gauge;
	s->value = v;
	s->scale = d->scale;
}

/* One row: one sample, or one per member of the enum it expands. */
static size_t collect_row(const struct self_stats_input *in, const struct self_def *d,
			  struct self_stat *out, size_t room)
{
	const void *base = src_base(in, d->src);
	size_t n = 0;
	int i;

	if (d->src == SRC_KERNEL_DROPS || d->src == SRC_KERNEL_OUTCOMES) {
		for (i = 0; i < MS_CNT__MAX && n < room; i++)
			if (kernel_counter_is_drop(i) == (d->src == SRC_KERNEL_DROPS))
				fill(&out[n++], d, kernel_counter_name(i), in->kernel_counters[i]);
		return n;
	}
	if (d->src == SRC_H2_ERRORS) {
		for (i = 0; in->h2 && i < H2_ERR__MAX && n < room; i++)
			fill(&out[n++], d, h2_error_name(i), in->h2->errors[i]);
		return n;
	}
	if (d->src == SRC_EVENT_KINDS) {
		for (i = 0; in->answers && i < (int)in->answers->nkinds && n < room; i++)
			fill(&out[n++], d, in->answers->kind_names[i],
			     in->answers->events_by_kind[i]);
		return n;
	}
	if (d->src == SRC_PARSE_ERRORS) {
		for (i = 0; i < HTTP1_ERR__MAX && n < room; i++)
			fill(&out[n++], d, http1_error_name(i), in->http->errors[i]);
		return n;
	}
	if (!base || !room)
		return 0;
	fill(out, d, NULL, *(const uint64_t *)((const char *)base + d->off));
	return 1;
}

size_t self_stats_collect(const struct self_stats_input *in, struct self_stat *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		n += collect_row(in, &defs[i], out + n, max - n);
	return n;
}
