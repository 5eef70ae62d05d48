// SPDX-License-Identifier: BSD-2-Clause
/*
 * See options.h. One row per setting: its flag, its type and field, its
 * bounds, its default (as text, parsed like a user's value, so a default can
 * never be one the parser would refuse) and its help. getopt's table, the
 * MESHSIGHT_* variables and --help are all derived from the rows.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent/option_table.h"
#include "agent/probe.h"
#include "agent/tls_probe.h"
#include "lib/log.h"
#include "lib/version.h"
#include "naming/cgroups.h"
#include "otlp/exporter.h"
#include "serve/http_server.h"
#include "serve/render.h"

#define F(field) offsetof(struct agent_config, field)
#define STR_(x)	 #x
#define STR(x)	 STR_(x)

static int parse_http_parser(const struct opt *, const char *, const char *, struct agent_config *,
			     char *);
static int parse_max_http(const struct opt *, const char *, const char *, struct agent_config *,
			  char *);
static int parse_labels(const struct opt *, const char *, const char *, struct agent_config *,
			char *);
static int parse_access_log(const struct opt *, const char *, const char *, struct agent_config *,
			    char *);
static int parse_percent(const struct opt *, const char *, const char *, struct agent_config *,
			 char *);
static int parse_latency(const struct opt *, const char *, const char *, struct agent_config *,
			 char *);
static int parse_factor(const struct opt *, const char *, const char *, struct agent_config *,
			char *);
static int parse_tls(const struct opt *, const char *, const char *, struct agent_config *, char *);

const struct opt option_rows[] = {
    {.name = "cgroup",
     .type = T_STR,
     .off = F(bpf.cgroup),
     .arg = "PATH",
     .help = "cgroup v2 directory to watch, with everything below\n"
	     "it (default: the root of the cgroup v2 mount)"},
    {.name = "listen",
     .type = T_STR,
     .off = F(listen),
     .arg = "HOST:PORT",
     .def = "127.0.0.1:9464",
     .help = "stats endpoint address; :PORT is every IPv4\n"
	     "address; a host name is resolved once (first IPv4)"},
    {.name = "health-listen",
     .type = T_STR,
     .off = F(health_listen),
     .arg = "HOST:PORT",
     .help = "a second endpoint that serves /healthz only, for\n"
	     "liveness probes that scrapes never slow (default none)"},
    {.name = "identities",
     .type = T_STR,
     .off = F(identities),
     .arg = "FILE",
     .help = "static names for addresses and cgroups, lines of\n"
	     "'<ip|cidr|cgroup:/path> workload=W namespace=N service=S\n"
	     "service_account=A'\n"
	     "(at most 16 MiB, lines of at most 1024 bytes)"},
    {.name = "capture-bytes",
     .type = T_U32,
     .off = F(bpf.capture_bytes),
     .min = 64,
     .max = UINT32_MAX,
     .def = "1024",
     .arg = "N",
     .help = "payload bytes per TCP segment sent to userspace,\n"
	     "64..4096; longer HTTP heads are cut"},
    {.name = "no-http",
     .type = T_OFF,
     .off = F(bpf.http),
     .help = "L4 only: no payload is copied, no HTTP parsing"},
    {.name = "http-parser",
     .type = T_FN,
     .fn = parse_http_parser,
     .def = "kernel",
     .arg = "kernel|userspace",
     .help = "kernel: HTTP/1 the kernel can frame exactly is parsed\n"
	     "there, one event per request, the rest in userspace;\n"
	     "userspace: every connection's payload is copied and\n"
	     "parsed in userspace (the v1 datapath)"},
    {.name = "max-connections",
     .type = T_U32,
     .off = F(bpf.max_conns),
     .min = 16,
     .max = UINT32_MAX,
     .def = "65536",
     .arg = "N",
     .help = "connections tracked at once"},
    {.name = "max-http-connections",
     .type = T_FN,
     .fn = parse_max_http,
     .off = F(max_http),
     .min = 1,
     .max = UINT32_MAX,
     .def = "8192",
     .arg = "N",
     .help = "connections parsed as HTTP at once"},
    {.name = "max-edges",
     .type = T_U32,
     .off = F(max_edges),
     .min = 1,
     .max = UINT32_MAX,
     .def = "10000",
     .arg = "N",
     .help = "edges kept in memory; the least recently updated is\nevicted past it"},
    {.name = "edge-idle-timeout",
     .type = T_SECONDS,
     .off = F(edge_idle_s),
     .min = 1,
     .max = UINT32_MAX,
     .def = "10m",
     .arg = "DURATION",
     .help = "forget an edge idle this long"},
    {.name = "conn-idle-timeout",
     .type = T_SECONDS,
     .off = F(conn_idle_s),
     .min = 1,
     .max = UINT32_MAX,
     .def = "30m",
     .arg = "DURATION",
     .help = "forget a connection opened before the agent (whose\n"
	     "close the kernel does not report) after no packet for\n"
	     "this long; the others are kept until they close"},
    {.name = "ringbuf-mb",
     .type = T_U32,
     .off = F(bpf.ringbuf_mb),
     .min = 1,
     .max = UINT32_MAX,
     .def = "16",
     .arg = "N",
     .help = "kernel->user ring buffer size, power of two"},
    {.name = "reasm-budget-mb",
     .type = T_U32,
     .off = F(reasm_budget_mb),
     .min = 1,
     .max = 4096,
     .def = "8",
     .arg = "N",
     .help = "out-of-order payload held for reassembly, all\nconnections together"},
    {.name = "scan-interval-ms",
     .type = T_MS,
     .off = F(scan_interval_ms),
     .min = 100,
     .max = UINT32_MAX,
     .def = "2s",
     .arg = "DURATION",
     .help = "how often live TCP counters are read"},
    {.name = "exclude-process",
     .type = T_LIST,
     .off = F(exclude_processes),
     .count_off = F(nexclude_processes),
     .max_items = AGENT_EXCLUDES_MAX,
     .arg = "NAME",
     .help = "never observe sockets of this process name (as in\n"
	     "/proc/PID/comm), repeatable; the agent's own sockets\n"
	     "are always excluded"},
    {.name = "exclude-cgroup",
     .type = T_LIST,
     .off = F(exclude_cgroups),
     .count_off = F(nexclude_cgroups),
     .max_items = AGENT_EXCLUDES_MAX,
     .arg = "PATH",
     .help = "never observe sockets of this cgroup (relative to the\n"
	     "cgroup2 mount) and below it, repeatable"},
    {.name = "tls",
     .type = T_FN,
     .fn = parse_tls,
     .def = "off",
     .arg = "on|off",
     .help = "HTTPS read through OpenSSL's libssl with uprobes\n"
	     "(needs CAP_SYS_PTRACE too, see README)"},
    {.name = "metrics-labels",
     .type = T_FN,
     .fn = parse_labels,
     .def = "none",
     .arg = "LIST",
     .help = "extra meshsight_* labels, opt-in for their cardinality:\n"
	     "comma-separated address, process"},

    {.name = "window",
     .type = T_SECONDS,
     .off = F(analysis.window_s),
     .min = 6,
     .max = 86400,
     .def = "60s",
     .arg = "DURATION",
     .section = "Graph and events (/api/v1/graph, /api/v1/events; see README):",
     .help = "sliding window of the graph and the events, sampled\n"
	     "every sixth of it, 6s..24h"},
    {.name = "learn",
     .type = T_SECONDS,
     .off = F(analysis.events.learn_s),
     .min = 0,
     .max = UINT32_MAX,
     .def = "5m",
     .arg = "DURATION",
     .help = "learning period after start: edges seen in it never\n"
	     "raise new_edge, rate_change waits for it"},
    {.name = "event-auth-failures",
     .type = T_U32,
     .off = F(analysis.events.auth_failures),
     .min = 1,
     .max = UINT32_MAX,
     .def = "20",
     .arg = "N",
     .help = "auth_failures: 401/403 in the window"},
    {.name = "event-error-rate",
     .type = T_FN,
     .fn = parse_percent,
     .off = F(analysis.events.error_ratio),
     .def = "10",
     .arg = "PCT",
     .help = "error_rate: failed percent in the window"},
    {.name = "event-min-requests",
     .type = T_U32,
     .off = F(analysis.events.min_requests),
     .min = 1,
     .max = UINT32_MAX,
     .def = "20",
     .arg = "N",
     .help = "error_rate, latency and rate_change need this many\nrequests in the window"},
    {.name = "event-latency-ms",
     .type = T_FN,
     .fn = parse_latency,
     .off = F(analysis.events.latency_s),
     .def = "1000",
     .arg = "DURATION",
     .help = "latency: windowed p95 at or above (a bare number is ms)"},
    {.name = "event-rate-factor",
     .type = T_FN,
     .fn = parse_factor,
     .off = F(analysis.events.rate_factor),
     .def = "2",
     .arg = "F",
     .help = "rate_change: rate F times the baseline or 1/F of it,\nF > 1"},
    {.name = "event-rate-halflife",
     .type = T_SECONDS,
     .off = F(analysis.events.rate_halflife_s),
     .min = 1,
     .max = UINT32_MAX,
     .def = "5m",
     .arg = "DURATION",
     .help = "half-life of the baseline, an exponentially weighted\n"
	     "mean of the windowed rate"},
    {.name = "event-split-drift",
     .type = T_FN,
     .fn = parse_percent,
     .off = F(analysis.events.split_drift),
     .def = "10",
     .arg = "PCT",
     .help = "split_drift: a version's observed share this many\n"
	     "percent points off its VirtualService weight"},
    {.name = "event-split-min-requests",
     .type = T_U32,
     .off = F(analysis.events.split_min_requests),
     .min = 1,
     .max = UINT32_MAX,
     .def = "100",
     .arg = "N",
     .help = "split_drift needs this many requests to the Service in\nthe window"},
    {.name = "max-events",
     .type = T_U32,
     .off = F(analysis.events.max_events),
     .min = 1,
     .max = UINT32_MAX,
     .def = "1024",
     .arg = "N",
     .help = "events kept; the oldest is overwritten"},
    {.name = "access-log",
     .type = T_FN,
     .fn = parse_access_log,
     .def = "errors",
     .arg = "MODE",
     .help = "errors (5xx and unanswered requests), all or off:\nrecords on /api/v1/access-log"},
    {.name = "access-log-rate",
     .type = T_U32,
     .off = F(access_log_rate),
     .min = 0,
     .max = UINT32_MAX,
     .def = "100",
     .arg = "N",
     .help = "records a second at most, the rest counted (0 = no\nceiling)"},

    {.name = "otlp",
     .type = T_ON,
     .off = F(export.enable),
     .section =
	 "OTLP export (off unless --otlp, --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT "
	 "turn\n"
	 "on metrics, traces and logs, or OTEL_EXPORTER_OTLP_{METRICS,TRACES,LOGS}_ENDPOINT\n"
	 "one; OTEL_{METRICS,TRACES,LOGS}_EXPORTER=none turn one off; the other\n"
	 "OTEL_* variables apply):",
     .help = "export to OTEL_EXPORTER_OTLP_ENDPOINT or\nhttp://localhost:4318"},
    {.name = "otlp-endpoint",
     .type = T_STR,
     .off = F(export.endpoint),
     .arg = "URL",
     .help = "base URL; /v1/metrics and /v1/traces are appended"},
    {.name = "otlp-protocol",
     .type = T_STR,
     .off = F(export.protocol),
     .arg = "P",
     .shown = "http/protobuf",
     .help = "http/protobuf or http/json"},
    {.name = "otlp-compression",
     .type = T_STR,
     .off = F(export.compression),
     .arg = "C",
     .shown = "none",
     .help = "gzip or none"},
    {.name = "otlp-ca-file",
     .type = T_STR,
     .off = F(export.ca_file),
     .arg = "FILE",
     .help = "CA bundle for https endpoints"},
    {.name = "otlp-header",
     .type = T_LIST,
     .off = F(export.headers),
     .count_off = F(export.nheaders),
     .max_items = OTLP_MAX_HEADERS,
     .arg = "KEY=VALUE",
     .help = "extra request header, repeatable"},
    {.name = "otlp-timeout-ms",
     .type = T_MS,
     .off = F(export.timeout_ms),
     .min = 1,
     .max = UINT32_MAX,
     .shown = "10s",
     .arg = "DURATION",
     .help = "per request"},
    {.name = "otlp-queue-batches",
     .type = T_U32,
     .off = F(export.queue_batches),
     .min = 1,
     .max = UINT32_MAX,
     .shown = "64",
     .arg = "N",
     .help = "batches queued per signal while the collector is\n"
	     "slow or down; the oldest is dropped past it"},
    {.name = "metric-export-interval-ms",
     .type = T_MS,
     .off = F(export.interval_ms),
     .min = 100,
     .max = UINT32_MAX,
     .shown = "60s, OTEL_METRIC_EXPORT_INTERVAL",
     .arg = "DURATION",
     .help = "how often metrics are exported"},
    {.name = "metrics-temporality",
     .type = T_STR,
     .off = F(export.temporality),
     .arg = "T",
     .shown = "cumulative",
     .help = "cumulative or delta"},
    {.name = "max-spans-per-second",
     .type = T_U32,
     .off = F(export.max_spans_per_second),
     .min = 0,
     .max = UINT32_MAX - 1,
     .shown = "1000",
     .arg = "N",
     .help = "span ceiling, error spans always kept (0 = none);\n"
	     "sampling per OTEL_TRACES_SAMPLER"},

    {.name = "k8s",
     .type = T_STR,
     .off = F(k8s.mode),
     .def = "auto",
     .arg = "auto|off",
     .section = "Kubernetes names (on when in a pod or given a kubeconfig):",
     .help = "auto: the pod's service account when\n"
	     "KUBERNETES_SERVICE_HOST is set, or a kubeconfig"},
    {.name = "kubeconfig",
     .type = T_STR,
     .off = F(k8s.kubeconfig),
     .arg = "FILE",
     .shown = "$KUBECONFIG",
     .help = "kubeconfig to use"},
    {.name = "kube-context",
     .type = T_STR,
     .off = F(k8s.context),
     .arg = "NAME",
     .shown = "its current-context",
     .help = "context in it"},
    {.name = "k8s-watch",
     .type = T_STR,
     .off = F(k8s.watch),
     .def = "cluster",
     .arg = "cluster|node",
     .help = "watch every pod or only this node's pods: far\nless API server load on big clusters"},
    {.name = "node-name",
     .type = T_STR,
     .off = F(k8s.node_name),
     .arg = "NAME",
     .shown = "$NODE_NAME",
     .help = "this node"},
    {.name = "cluster-name",
     .type = T_STR,
     .off = F(k8s.cluster_name),
     .arg = "NAME",
     .shown = "Kubernetes, as Istio",
     .help = "*_cluster label value"},
    {.name = "cluster-domain",
     .type = T_STR,
     .off = F(k8s.cluster_domain),
     .def = "cluster.local",
     .arg = "DOMAIN",
     .help = "Service DNS suffix"},
    {.name = "trust-domain",
     .type = T_STR,
     .off = F(trust_domain),
     .def = "cluster.local",
     .arg = "DOMAIN",
     .help = "Istio trust domain: *_principal labels of mutual-TLS\n"
	     "edges are spiffe://DOMAIN/ns/N/sa/SERVICE_ACCOUNT"},
    {.name = "k8s-sync-timeout",
     .type = T_SECONDS,
     .off = F(k8s.sync_timeout_s),
     .min = 0,
     .max = UINT32_MAX,
     .def = "0",
     .arg = "DURATION",
     .help = "wait up to this long for the first lists at start\n"
	     "(0: names fill in as objects arrive)"},
    {.name = "k8s-virtualservices",
     .type = T_STR,
     .off = F(k8s.virtual_services),
     .def = "off",
     .arg = "off|v1|v1beta1",
     .help = "watch Istio VirtualServices (networking.istio.io at\n"
	     "that version) for the configured weights of\n"
	     "/api/v1/splits and split_drift; needs RBAC list/watch"},
    {.name = "mesh-tunnel-ports",
     .type = T_STR,
     .off = F(mesh_tunnel_ports),
     .def = FLOW_TUNNEL_PORTS_DEFAULT,
     .arg = "LIST",
     .help = "ports of mesh tunnels, reported as L4 transport of\n"
	     "the application edges they carry"},
    {.name = "mesh-tunnel-cgroup",
     .type = T_LIST,
     .off = F(mesh_tunnel_cgroups),
     .count_off = F(nmesh_tunnel_cgroups),
     .max_items = AGENT_TUNNEL_CGROUPS_MAX,
     .arg = "PATH",
     .help = "cgroup (relative to the cgroup2 mount) of a mesh\n"
	     "proxy, repeatable; ztunnel pods are found from\n"
	     "Kubernetes (label app=ztunnel)"},

    {.name = "verbose",
     .short_name = 'v',
     .type = T_ACTION,
     .section = "",
     .help = "debug logging, including libbpf's"},
    {.name = "quiet", .short_name = 'q', .type = T_ACTION, .help = "warnings only"},
    {.name = "check",
     .type = T_ACTION,
     .help = "print the kernel features meshsight needs and\n"
	     "whether this kernel has them, attach nothing; exit\n"
	     "status 1 if one is missing (an init container's job)"},
    {.name = "version", .type = T_ACTION, .help = "print the version"},
    {.name = "help", .short_name = 'h', .type = T_ACTION, .help = "this help"},
};

const size_t option_count = sizeof(option_rows) / sizeof(option_rows[0]);
#define NOPTS option_count

static void *field(const struct opt *o, struct agent_config *c)
{
	return (char *)c + o->off;
}

/* ---- value parsers ------------------------------------------------------- */

static int expect_u32(const struct opt *o, const char *src, const char *v, uint32_t *out, char *why)
{
	if (!parse_u32_range(v, o->min, o->max, out))
		return 0;
	if (o->max == UINT32_MAX || o->max == UINT32_MAX - 1)
		snprintf(why, WHY_MAX, "%s '%s': expected a whole number >= %u", src, v, o->min);
	else
		snprintf(why, WHY_MAX, "%s '%s': expected a whole number from %u to %u", src, v,
			 o->min, o->max);
	return -EINVAL;
}

/* "500ms", "30s", "10m", "1h" or a bare number of unit_ms; false when not a duration. */
static bool duration_ms(const char *v, uint64_t unit_ms, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	char *end;
	unsigned long long n;
	size_t i;

	if (v[0] < '0' || v[0] > '9')
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || n > UINT32_MAX)
		return false;
	if (!*end) {
		*out = n * unit_ms;
		return true;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].suffix)) {
			*out = n * units[i].ms;
			return true;
		}
	return false;
}

static int parse_duration(const struct opt *o, const char *src, const char *v, uint32_t *out,
			  char *why)
{
	uint64_t unit = o->type == T_SECONDS ? 1000 : 1, ms = 0, val;

	if (!duration_ms(v, unit, &ms) || ms % unit) {
		snprintf(why, WHY_MAX,
			 "%s '%s': expected a duration like 500ms, 30s, 10m or 1h (a bare number "
			 "is %s)%s",
			 src, v, unit == 1000 ? "seconds" : "milliseconds",
			 ms % unit ? ", in whole seconds" : "");
		return -EINVAL;
	}
	val = ms / unit;
	if (val < o->min || val > o->max) {
		snprintf(why, WHY_MAX, "%s '%s': expected %u to %u %s", src, v, o->min, o->max,
			 unit == 1000 ? "seconds" : "milliseconds");
		return -EINVAL;
	}
	*out = (uint32_t)val;
	return 0;
}

static int parse_real(const char *src, const char *v, double min, double max, double *out,
		      char *why)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= min && d <= max)) {
		snprintf(why, WHY_MAX, "%s '%s': expected a number from %g to %g", src, v, min,
			 max);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

static int parse_http_parser(const struct opt *o, const char *src, const char *v,
			     struct agent_config *c, char *why)
{
	(void)o;
	if (strcmp(v, "kernel") && strcmp(v, "userspace")) {
		snprintf(why, WHY_MAX, "%s %s: pass kernel or userspace", src, v);
		return -EINVAL;
	}
	c->bpf.kernel_http = !strcmp(v, "kernel");
	return 0;
}

static int parse_max_http(const struct opt *o, const char *src, const char *v,
			  struct agent_config *c, char *why)
{
	if (!strcmp(v, "0")) {
		snprintf(why, WHY_MAX,
			 "%s 0 would parse nothing: pass a number >= 1, or --no-http for L4 only",
			 src);
		return -EINVAL;
	}
	return expect_u32(o, src, v, &c->max_http, why);
}

static int parse_labels(const struct opt *o, const char *src, const char *v, struct agent_config *c,
			char *why)
{
	char detail[128];

	(void)o;
	if (!render_labels_parse(v, &c->metrics_labels, detail, sizeof(detail)))
		return 0;
	snprintf(why, WHY_MAX, "%s '%s': %s", src, v, detail);
	return -EINVAL;
}

static int parse_access_log(const struct opt *o, const char *src, const char *v,
			    struct agent_config *c, char *why)
{
	(void)o;
	if (!access_log_mode_parse(v, &c->access_log))
		return 0;
	snprintf(why, WHY_MAX, "%s '%s': expected errors, all or off", src, v);
	return -EINVAL;
}

static int parse_percent(const struct opt *o, const char *src, const char *v,
			 struct agent_config *c, char *why)
{
	double pct;
	int err = parse_real(src, v, 0.01, 100, &pct, why);

	if (!err)
		*(double *)field(o, c) = pct / 100;
	return err;
}

static int parse_latency(const struct opt *o, const char *src, const char *v,
			 struct agent_config *c, char *why)
{
	const struct opt ms = {.type = T_MS, .min = 1, .max = UINT32_MAX};
	uint32_t val;
	int err = parse_duration(&ms, src, v, &val, why);

	if (!err)
		*(double *)field(o, c) = val / 1e3;
	return err;
}

static int parse_factor(const struct opt *o, const char *src, const char *v, struct agent_config *c,
			char *why)
{
	return parse_real(src, v, 1.01, 1000, (double *)field(o, c), why);
}

static int parse_tls(const struct opt *o, const char *src, const char *v, struct agent_config *c,
		     char *why)
{
	int on;

	(void)o;
	if (tls_probe_parse_switch(v, &on)) {
		snprintf(why, WHY_MAX, "%s '%s': expected on or off", src, v);
		return -EINVAL;
	}
	c->tls = on;
	return 0;
}

static int parse_bool(const char *src, const char *v, bool *out, char *why)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	}
	snprintf(why, WHY_MAX, "%s '%s': expected true or false", src, v);
	return -EINVAL;
}

static int list_add(const struct opt *o, const char *src, const char *v, struct agent_config *c,
		    char *why)
{
	uint32_t *n = (uint32_t *)((char *)c + o->count_off);
	const char **list = field(o, c);

	if (*n == o->max_items) {
		snprintf(why, WHY_MAX, "at most %u --%s (%s '%s' is one too many)", o->max_items,
			 o->name, src, v);
		return -EINVAL;
	}
	if (!v[0]) {
		snprintf(why, WHY_MAX, "%s needs a value", src);
		return -EINVAL;
	}
	list[(*n)++] = v;
	return 0;
}

/* A MESHSIGHT_* list: comma-separated, each item copied (kept for the process's life). */
static int list_add_all(const struct opt *o, const char *src, const char *v, struct agent_config *c,
			char *why)
{
	char *copy = strdup(v), *save = NULL, *item;
	int err = 0;

	if (!copy) {
		snprintf(why, WHY_MAX, "%s: out of memory", src);
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item && !err; item = strtok_r(NULL, ",", &save))
		err = list_add(o, src, item, c, why);
	return err; /* copy stays: the list points into it */
}

/* One value for o, from src. */
static int opt_set(const struct opt *o, const char *src, const char *v, bool from_env,
		   struct agent_config *c, char *why)
{
	bool on = true;

	switch (o->type) {
	case T_STR:
		*(const char **)field(o, c) = v;
		return 0;
	case T_ON:
	case T_OFF:
		if (from_env && parse_bool(src, v, &on, why))
			return -EINVAL;
		*(bool *)field(o, c) = o->type == T_ON ? on : !on;
		return 0;
	case T_U32:
		return expect_u32(o, src, v, field(o, c), why);
	case T_SECONDS:
	case T_MS:
		return parse_duration(o, src, v, field(o, c), why);
	case T_LIST:
		return from_env ? list_add_all(o, src, v, c, why) : list_add(o, src, v, c, why);
	case T_FN:
		return o->fn(o, src, v, c, why);
	case T_ACTION:
		break;
	}
	return 0;
}

/* ---- sources ------------------------------------------------------------- */

static void env_name(const struct opt *o, char *buf, size_t len)
{
	size_t i, n = (size_t)snprintf(buf, len, "MESHSIGHT_%s", o->name);

	for (i = strlen("MESHSIGHT_"); i < n && i < len; i++)
		buf[i] = buf[i] == '-'
			     ? '_'
			     : (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
}

static int apply_defaults(struct agent_config *c, char *why)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->bpf.http = true;
	c->export.max_spans_per_second = UINT32_MAX; /* unset: the exporter's default applies */
	for (i = 0; i < NOPTS; i++)
		if (option_rows[i].def && opt_set(&option_rows[i], option_rows[i].name,
						  option_rows[i].def, false, c, why))
			return -EINVAL; /* a bad default is a bug: the message says which */
	return 0;
}

/* Rows a flag set: their MESHSIGHT_* variable is not read (the flag wins). */
static bool given[sizeof(option_rows) / sizeof(option_rows[0])];

/* MESHSIGHT_VERBOSE / MESHSIGHT_QUIET: true sets the level, false leaves it. */
static int env_log_level(env_getter get, const char *name, enum log_level level, char *why)
{
	const char *v = env_value(get, name);
	bool on;

	if (!v)
		return 0;
	if (parse_bool(name, v, &on, why))
		return -EINVAL;
	if (on)
		log_set_level(level);
	return 0;
}

static int apply_env(env_getter get, struct agent_config *c, char *why)
{
	const char *v;
	char name[64];
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		if (option_rows[i].type == T_ACTION || given[i])
			continue;
		env_name(&option_rows[i], name, sizeof(name));
		v = env_value(get, name);
		if (!v && option_rows[i].alias_env) {
			snprintf(name, sizeof(name), "%s", option_rows[i].alias_env);
			v = env_value(get, name);
		}
		if (v && opt_set(&option_rows[i], name, v, true, c, why))
			return -EINVAL;
	}
	for (i = 0; i < NOPTS; i++)
		if (given[i] && option_rows[i].short_name && option_rows[i].short_name != 'h')
			return 0; /* -v or -q on the command line: the level is set */
	if (env_log_level(get, "MESHSIGHT_VERBOSE", LOG_LEVEL_DEBUG, why) ||
	    env_log_level(get, "MESHSIGHT_QUIET", LOG_LEVEL_WARN, why))
		return -EINVAL;
	return 0;
}

/* ---- the command line ----------------------------------------------------- */

static int action(const struct opt *o)
{
	switch (o->short_name) {
	case 'v':
		log_set_level(LOG_LEVEL_DEBUG);
		return OPTIONS_RUN;
	case 'q':
		log_set_level(LOG_LEVEL_WARN);
		return OPTIONS_RUN;
	case 'h':
		options_usage(stdout);
		return OPTIONS_EXIT_OK;
	}
	if (!strcmp(o->name, "check"))
		return OPTIONS_CHECK;
	printf("meshsight %s\n", MESHSIGHT_VERSION);
	return OPTIONS_EXIT_OK;
}

static int parse_flags(int argc, char **argv, struct agent_config *c, char *why)
{
	static struct option longs[sizeof(option_rows) / sizeof(option_rows[0]) + 1];
	char src[64];
	size_t i;
	int opt;

	for (i = 0; i < NOPTS; i++) {
		longs[i].name = option_rows[i].name;
		longs[i].has_arg = option_rows[i].type == T_ON || option_rows[i].type == T_OFF ||
					   option_rows[i].type == T_ACTION
				       ? no_argument
				       : required_argument;
		longs[i].val = option_rows[i].short_name ?: (int)(256 + i);
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "vqh", longs, NULL)) != -1) {
		const struct opt *o = NULL;

		for (i = 0; i < NOPTS && !o; i++)
			if (longs[i].val == opt)
				o = &option_rows[i];
		if (!o) {
			snprintf(why, WHY_MAX, "see --help for the options");
			return OPTIONS_USAGE;
		}
		if (o->type == T_ACTION) {
			int act = action(o);

			given[o - option_rows] = true;
			if (act != OPTIONS_RUN)
				return act;
			continue;
		}
		snprintf(src, sizeof(src), "--%s", o->name);
		given[o - option_rows] = true;
		if (opt_set(o, src, optarg, false, c, why))
			return OPTIONS_USAGE;
	}
	if (optind < argc) {
		snprintf(why, WHY_MAX, "unexpected argument '%s'; see --help", argv[optind]);
		return OPTIONS_USAGE;
	}
	return OPTIONS_RUN;
}

enum options_action options_parse(int argc, char **argv, env_getter get, struct agent_config *c)
{
	char why[WHY_MAX] = "";
	int act;

	memset(given, 0, sizeof(given));
	if (apply_defaults(c, why)) {
		act = OPTIONS_USAGE;
		goto out;
	}
	/* Flags first, so that a variable a flag overrides is never read. */
	act = parse_flags(argc, argv, c, why);
	if (act != OPTIONS_RUN)
		goto out;
	if (apply_env(get, c, why)) {
		act = OPTIONS_USAGE;
		goto out;
	}
	if (options_check(c, why, sizeof(why)))
		act = OPTIONS_USAGE;
out:
	if (act == OPTIONS_USAGE)
		fprintf(stderr, "meshsight: %s\n", why);
	return act;
}
