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

#include "agent/options.h"
#include "agent/probe.h"
#include "agent/tls_probe.h"
#include "lib/log.h"
#include "lib/version.h"
#include "naming/cgroups.h"
#include "otlp/exporter.h"
#include "serve/http_server.h"
#include "serve/render.h"

#define WHY_MAX 1024

enum opt_type {
	T_STR,	   /* const char *: the text as given */
	T_ON,	   /* bool set true (a flag without a value) */
	T_OFF,	   /* bool set false */
	T_U32,	   /* uint32_t in [min, max] */
	T_SECONDS, /* uint32_t seconds: a duration, a bare number is seconds */
	T_MS,	   /* uint32_t milliseconds: a duration, a bare number is ms */
	T_LIST,	   /* const char *[max_items] with a uint32_t count, repeatable */
	T_FN,	   /* parsed by fn */
	T_ACTION,  /* --help, --version, --check, -v, -q: handled by the parse loop */
};

struct opt;
/* Parses v (from src: "--flag" or "MESHSIGHT_FLAG") into c; 0, or -EINVAL with why set. */
typedef int (*opt_fn)(const struct opt *o, const char *src, const char *v, struct agent_config *c,
		      char *why);

struct opt {
	const char *name; /* the long flag, without "--" */
	char short_name;
	enum opt_type type;
	size_t off;	  /* the field in struct agent_config */
	size_t count_off; /* T_LIST: its uint32_t count */
	uint32_t max_items;
	uint32_t min, max;
	const char *def;   /* applied at start; NULL: none */
	const char *shown; /* the default --help names when def is NULL (an OTEL_* one) */
	const char *arg;   /* the value's name in --help */
	const char *help;  /* lines separated by \n */
	const char *section;
	opt_fn fn;
};

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

static const struct opt opts[] = {
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
	     "'<ip|cidr|cgroup:/path> workload=W namespace=N service=S'\n"
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
     .help = "forget a connection with no packet for this long"},
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
     .section = "OTLP export (off unless --otlp, --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT "
		"turn\n"
		"on both signals, or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / _TRACES_ENDPOINT one;\n"
		"OTEL_METRICS_EXPORTER=none / OTEL_TRACES_EXPORTER=none turn one off; the other\n"
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
    {.name = "k8s-sync-timeout",
     .type = T_SECONDS,
     .off = F(k8s.sync_timeout_s),
     .min = 0,
     .max = UINT32_MAX,
     .def = "0",
     .arg = "DURATION",
     .help = "wait up to this long for the first lists at start\n"
	     "(0: names fill in as objects arrive)"},
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

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

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
		if (opts[i].def && opt_set(&opts[i], opts[i].name, opts[i].def, false, c, why))
			return -EINVAL; /* a bad default is a bug: the message says which */
	return 0;
}

static int apply_env(env_getter get, struct agent_config *c, char *why)
{
	const char *v, *quiet;
	char name[64];
	bool on;
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		if (opts[i].type == T_ACTION)
			continue;
		env_name(&opts[i], name, sizeof(name));
		v = env_value(get, name);
		if (v && opt_set(&opts[i], name, v, true, c, why))
			return -EINVAL;
	}
	v = env_value(get, "MESHSIGHT_VERBOSE");
	quiet = env_value(get, "MESHSIGHT_QUIET");
	if (v && !parse_bool("MESHSIGHT_VERBOSE", v, &on, why) && on)
		log_set_level(LOG_LEVEL_DEBUG);
	else if (v && why[0])
		return -EINVAL;
	if (quiet && !parse_bool("MESHSIGHT_QUIET", quiet, &on, why) && on)
		log_set_level(LOG_LEVEL_WARN);
	else if (quiet && why[0])
		return -EINVAL;
	return 0;
}

/* ---- checks after parsing ------------------------------------------------- */

/* ":9464" -> "0.0.0.0:9464": the address every interface answers on. */
static const char *listen_any(const char *v, char *buf, size_t len)
{
	if (!v || v[0] != ':')
		return v;
	snprintf(buf, len, "0.0.0.0%s", v);
	return buf;
}

/*
 * --listen HOST:PORT with a host name (localhost): resolved once, here, to
 * its first IPv4 address (else its first IPv6 one), which is what is bound.
 */
static int resolve_listen(struct agent_config *c, char *why)
{
	static char numeric[INET6_ADDRSTRLEN + 8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai, *pick = NULL;
	struct sockaddr_storage ss;
	const char *colon = strrchr(c->listen, ':');
	char host[256], addr[INET6_ADDRSTRLEN];
	int rc;

	if (!http_parse_listen(c->listen, &ss) || !colon || colon == c->listen ||
	    c->listen[0] == '[' || (size_t)(colon - c->listen) >= sizeof(host))
		return 0; /* numeric already, or malformed: the check after says so */
	memcpy(host, c->listen, (size_t)(colon - c->listen));
	host[colon - c->listen] = '\0';
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		snprintf(why, WHY_MAX,
			 "--listen '%s': cannot resolve '%s' (%s); pass an address, e.g. "
			 "127.0.0.1:9464",
			 c->listen, host, gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if (!pick || (ai->ai_family == AF_INET && pick->ai_family != AF_INET))
			pick = ai;
	if (pick->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)pick->ai_addr)->sin_addr, addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, addr,
			  sizeof(addr));
	snprintf(numeric, sizeof(numeric), pick->ai_family == AF_INET ? "%s%s" : "[%s]%s", addr,
		 colon);
	freeaddrinfo(res);
	c->listen = numeric;
	return 0;
}

static int check_listen(struct agent_config *c, char *why)
{
	static char any[64], health_any[64];
	struct sockaddr_storage ss;

	c->listen = listen_any(c->listen, any, sizeof(any));
	c->health_listen = listen_any(c->health_listen, health_any, sizeof(health_any));
	if (resolve_listen(c, why))
		return -EINVAL;
	if (c->health_listen && http_parse_listen(c->health_listen, &ss)) {
		snprintf(why, WHY_MAX,
			 "invalid --health-listen '%s': expected HOST:PORT or :PORT, e.g. "
			 "0.0.0.0:9465",
			 c->health_listen);
		return -EINVAL;
	}
	if (http_parse_listen(c->listen, &ss)) {
		snprintf(why, WHY_MAX,
			 "invalid --listen '%s': expected HOST:PORT or :PORT, e.g. 127.0.0.1:9464 "
			 "or [::1]:9464",
			 c->listen);
		return -EINVAL;
	}
	return 0;
}

/* A mesh tunnel cgroup must exist, or its sockets would never be recognised. */
static int check_tunnel_cgroups(const struct agent_config *c, char *why)
{
	char mount[256], dir[512];
	struct stat st;
	uint32_t i;

	for (i = 0; i < c->nmesh_tunnel_cgroups; i++) {
		const char *p = c->mesh_tunnel_cgroups[i];

		if (p[0] != '/') {
			snprintf(why, WHY_MAX,
				 "--mesh-tunnel-cgroup '%s': expected a path relative to the "
				 "cgroup2 mount, starting with '/', e.g. /system.slice/"
				 "ztunnel.service",
				 p);
			return -EINVAL;
		}
		if (cgroup2_find_mount(mount, sizeof(mount)))
			continue; /* not mounted yet: the agent mounts it, then cannot check */
		snprintf(dir, sizeof(dir), "%s%s", mount, p);
		if (!stat(dir, &st) && S_ISDIR(st.st_mode))
			continue;
		if (!strncmp(p, mount, strlen(mount)) && p[strlen(mount)] == '/')
			snprintf(why, WHY_MAX,
				 "--mesh-tunnel-cgroup '%s' is a full path; pass it relative to "
				 "the cgroup2 mount: '%s'",
				 p, p + strlen(mount));
		else
			snprintf(why, WHY_MAX,
				 "--mesh-tunnel-cgroup '%s': no such cgroup (%s); pass the "
				 "proxy's cgroup relative to the cgroup2 mount %s",
				 p, dir, mount);
		return -EINVAL;
	}
	return 0;
}

/* OTLP flags and OTEL_* variables, checked before anything starts. */
static int check_export(const struct agent_config *c, char *why)
{
	static struct exporter_state probe; /* large: not on the stack */
	char err[WHY_MAX] = "";
	int ret = export_configure(&probe, &c->export, err, sizeof(err));

	export_stop(&probe);
	if (ret)
		snprintf(why, WHY_MAX, "%s", err[0] ? err : strerror(-ret));
	return ret;
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
	static struct option longs[NOPTS + 1];
	char src[64];
	size_t i;
	int opt;

	for (i = 0; i < NOPTS; i++) {
		longs[i].name = opts[i].name;
		longs[i].has_arg =
		    opts[i].type == T_ON || opts[i].type == T_OFF || opts[i].type == T_ACTION
			? no_argument
			: required_argument;
		longs[i].val = opts[i].short_name ?: (int)(256 + i);
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "vqh", longs, NULL)) != -1) {
		const struct opt *o = NULL;

		for (i = 0; i < NOPTS && !o; i++)
			if (longs[i].val == opt)
				o = &opts[i];
		if (!o) {
			snprintf(why, WHY_MAX, "see --help for the options");
			return OPTIONS_USAGE;
		}
		if (o->type == T_ACTION) {
			int act = action(o);

			if (act != OPTIONS_RUN)
				return act;
			continue;
		}
		snprintf(src, sizeof(src), "--%s", o->name);
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

	if (apply_defaults(c, why) || apply_env(get, c, why)) {
		act = OPTIONS_USAGE;
		goto out;
	}
	act = parse_flags(argc, argv, c, why);
	if (act != OPTIONS_RUN)
		goto out;
	if (check_listen(c, why) || check_tunnel_cgroups(c, why) || check_export(c, why))
		act = OPTIONS_USAGE;
out:
	if (act == OPTIONS_USAGE)
		fprintf(stderr, "meshsight: %s\n", why);
	return act;
}

/* ---- --help --------------------------------------------------------------- */

static void usage_option(FILE *f, const struct opt *o)
{
	const char *line = o->help, *nl, *dflt = o->def ?: o->shown;
	char left[64];
	int n;

	if (o->short_name)
		n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name);
	else
		n = snprintf(left, sizeof(left), "  --%s%s%s", o->name, o->arg ? " " : "",
			     o->arg ?: "");
	if (n > 26)
		fprintf(f, "%s\n%28s", left, "");
	else
		fprintf(f, "%-27s ", left);
	while ((nl = strchr(line, '\n'))) {
		fprintf(f, "%.*s\n%28s", (int)(nl - line), line, "");
		line = nl + 1;
	}
	fputs(line, f);
	if (dflt && 28 + strlen(line) + strlen(dflt) + 11 > 88)
		fprintf(f, "\n%28s(default %s)", "", dflt);
	else if (dflt)
		fprintf(f, " (default %s)", dflt);
	fputc('\n', f);
}

void options_usage(FILE *f)
{
	size_t i;

	fputs("Usage: meshsight [OPTIONS]\n"
	      "       meshsight edges|events [--help]  tables from a running agent\n"
	      "\n"
	      "Sidecar-less service-mesh telemetry from eBPF socket hooks: every TCP connection\n"
	      "and HTTP request of the processes in a cgroup v2 subtree, aggregated into\n"
	      "service-to-service edges and served on a local HTTP endpoint:\n"
	      "  /healthz  /metrics (Prometheus)  /api/v1/edges  /api/v1/stats (JSON)\n"
	      "Needs root (or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN), kernel BTF and cgroup v2.\n"
	      "\n"
	      "Every option can also be set by a variable MESHSIGHT_<OPTION>, e.g.\n"
	      "MESHSIGHT_MAX_EDGES=20000 or MESHSIGHT_NO_HTTP=true; a repeatable option's\n"
	      "variable is a comma-separated list. A flag wins over its variable, which wins\n"
	      "over OTEL_* variables, which win over the defaults. DURATION is 500ms, 30s, 10m\n"
	      "or 1h; a bare number is in the unit the option's name says (seconds if none).\n"
	      "\n"
	      "Options:\n",
	      f);
	for (i = 0; i < NOPTS; i++) {
		if (opts[i].section)
			fprintf(f, "\n%s%s", opts[i].section, opts[i].section[0] ? "\n" : "");
		usage_option(f, &opts[i]);
	}
	fputs("\nStops cleanly on SIGINT or SIGTERM, detaching every program it attached.\n"
	      "Exit status: 0 after a clean stop, 2 for bad usage (a flag, a MESHSIGHT_* or an\n"
	      "OTEL_* value), 1 when the agent cannot start or run.\n",
	      f);
}
