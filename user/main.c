// SPDX-License-Identifier: BSD-2-Clause
/*
 * meshsight: command line. Every flag is documented in --help; parsing is
 * strict (a bad number is an error, not a zero) so a typo in a DaemonSet
 * manifest fails loudly at start.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent.h"
#include "cgroups.h"
#include "cli.h"
#include "env.h"
#include "export.h"
#include "http_server.h"
#include "log.h"
#include "otlp_export.h"
#include "probe.h"
#include "render.h"
#include "tls_probe.h"

enum {
	OPT_CGROUP = 256,
	OPT_LISTEN,
	OPT_IDENTITIES,
	OPT_CAPTURE_BYTES,
	OPT_NO_HTTP,
	OPT_HTTP_PARSER,
	OPT_MAX_CONNS,
	OPT_MAX_HTTP,
	OPT_MAX_EDGES,
	OPT_EDGE_IDLE,
	OPT_CONN_IDLE,
	OPT_RINGBUF_MB,
	OPT_SCAN_MS,
	OPT_VERSION,
	OPT_OTLP,
	OPT_OTLP_ENDPOINT,
	OPT_OTLP_PROTOCOL,
	OPT_OTLP_COMPRESSION,
	OPT_OTLP_CA_FILE,
	OPT_OTLP_HEADER,
	OPT_OTLP_TIMEOUT,
	OPT_EXPORT_INTERVAL,
	OPT_TEMPORALITY,
	OPT_MAX_SPANS,
	OPT_OTLP_QUEUE,
	OPT_K8S,
	OPT_KUBECONFIG,
	OPT_KUBE_CONTEXT,
	OPT_K8S_WATCH,
	OPT_NODE_NAME,
	OPT_CLUSTER_NAME,
	OPT_CLUSTER_DOMAIN,
	OPT_K8S_SYNC_TIMEOUT,
	OPT_MESH_PORTS,
	OPT_MESH_CGROUP,
	OPT_EXCLUDE_PROCESS,
	OPT_EXCLUDE_CGROUP,
	OPT_METRICS_LABELS,
	OPT_CHECK,
	OPT_HEALTH_LISTEN,
	OPT_WINDOW,
	OPT_LEARN,
	OPT_EV_AUTH,
	OPT_EV_ERROR_RATE,
	OPT_EV_MIN_REQUESTS,
	OPT_EV_LATENCY,
	OPT_EV_RATE_FACTOR,
	OPT_EV_RATE_HALFLIFE,
	OPT_MAX_EVENTS,
	OPT_ACCESS_LOG,
	OPT_ACCESS_LOG_RATE,
	OPT_TLS,
};

static const struct option long_opts[] = {
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"health-listen", required_argument, NULL, OPT_HEALTH_LISTEN},
    {"identities", required_argument, NULL, OPT_IDENTITIES},
    {"capture-bytes", required_argument, NULL, OPT_CAPTURE_BYTES},
    {"no-http", no_argument, NULL, OPT_NO_HTTP},
    {"http-parser", required_argument, NULL, OPT_HTTP_PARSER},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNS},
    {"max-http-connections", required_argument, NULL, OPT_MAX_HTTP},
    {"max-edges", required_argument, NULL, OPT_MAX_EDGES},
    {"edge-idle-timeout", required_argument, NULL, OPT_EDGE_IDLE},
    {"conn-idle-timeout", required_argument, NULL, OPT_CONN_IDLE},
    {"ringbuf-mb", required_argument, NULL, OPT_RINGBUF_MB},
    {"scan-interval-ms", required_argument, NULL, OPT_SCAN_MS},
    {"otlp", no_argument, NULL, OPT_OTLP},
    {"otlp-endpoint", required_argument, NULL, OPT_OTLP_ENDPOINT},
    {"otlp-protocol", required_argument, NULL, OPT_OTLP_PROTOCOL},
    {"otlp-compression", required_argument, NULL, OPT_OTLP_COMPRESSION},
    {"otlp-ca-file", required_argument, NULL, OPT_OTLP_CA_FILE},
    {"otlp-header", required_argument, NULL, OPT_OTLP_HEADER},
    {"otlp-timeout-ms", required_argument, NULL, OPT_OTLP_TIMEOUT},
    {"metric-export-interval-ms", required_argument, NULL, OPT_EXPORT_INTERVAL},
    {"metrics-temporality", required_argument, NULL, OPT_TEMPORALITY},
    {"max-spans-per-second", required_argument, NULL, OPT_MAX_SPANS},
    {"otlp-queue-batches", required_argument, NULL, OPT_OTLP_QUEUE},
    {"k8s", required_argument, NULL, OPT_K8S},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"kube-context", required_argument, NULL, OPT_KUBE_CONTEXT},
    {"k8s-watch", required_argument, NULL, OPT_K8S_WATCH},
    {"node-name", required_argument, NULL, OPT_NODE_NAME},
    {"cluster-name", required_argument, NULL, OPT_CLUSTER_NAME},
    {"cluster-domain", required_argument, NULL, OPT_CLUSTER_DOMAIN},
    {"k8s-sync-timeout", required_argument, NULL, OPT_K8S_SYNC_TIMEOUT},
    {"mesh-tunnel-ports", required_argument, NULL, OPT_MESH_PORTS},
    {"mesh-tunnel-cgroup", required_argument, NULL, OPT_MESH_CGROUP},
    {"exclude-process", required_argument, NULL, OPT_EXCLUDE_PROCESS},
    {"exclude-cgroup", required_argument, NULL, OPT_EXCLUDE_CGROUP},
    {"metrics-labels", required_argument, NULL, OPT_METRICS_LABELS},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"learn", required_argument, NULL, OPT_LEARN},
    {"event-auth-failures", required_argument, NULL, OPT_EV_AUTH},
    {"event-error-rate", required_argument, NULL, OPT_EV_ERROR_RATE},
    {"event-min-requests", required_argument, NULL, OPT_EV_MIN_REQUESTS},
    {"event-latency-ms", required_argument, NULL, OPT_EV_LATENCY},
    {"event-rate-factor", required_argument, NULL, OPT_EV_RATE_FACTOR},
    {"event-rate-halflife", required_argument, NULL, OPT_EV_RATE_HALFLIFE},
    {"max-events", required_argument, NULL, OPT_MAX_EVENTS},
    {"access-log", required_argument, NULL, OPT_ACCESS_LOG},
    {"access-log-rate", required_argument, NULL, OPT_ACCESS_LOG_RATE},
    {"tls", required_argument, NULL, OPT_TLS},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"check", no_argument, NULL, OPT_CHECK},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	struct agent_config d;

	agent_config_defaults(&d);
	fprintf(
	    f,
	    "Usage: meshsight [OPTIONS]\n"
	    "       meshsight edges|events [--help]  tables from a running agent\n"
	    "\n"
	    "Sidecar-less service-mesh telemetry from eBPF socket hooks: every TCP connection\n"
	    "and HTTP/1.x request of the processes in a cgroup v2 subtree, aggregated into\n"
	    "service-to-service edges and served on a local HTTP endpoint:\n"
	    "  /healthz  /metrics (Prometheus)  /api/v1/edges  /api/v1/stats (JSON)\n"
	    "Needs root (or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN), kernel BTF and cgroup v2.\n"
	    "\n"
	    "Options:\n"
	    "  --cgroup PATH             cgroup v2 directory to watch, with everything below\n"
	    "                            it (default: the root of the cgroup v2 mount)\n"
	    "  --listen HOST:PORT        stats endpoint address (default %s);\n"
	    "                            a host name is resolved once (first IPv4 address)\n"
	    "  --health-listen HOST:PORT a second endpoint that serves /healthz only, for\n"
	    "                            liveness probes that scrapes never slow (default none)\n"
	    "  --identities FILE         static names for addresses and cgroups, lines of\n"
	    "                            '<ip|cidr|cgroup:/path> workload=W namespace=N "
	    "service=S'\n"
	    "                            (at most 16 MiB, lines of at most 1024 bytes)\n"
	    "  --capture-bytes N         payload bytes per TCP segment sent to userspace,\n"
	    "                            64..4096 (default %u); longer HTTP heads are cut\n"
	    "  --no-http                 L4 only: no payload is copied, no HTTP parsing\n"
	    "  --http-parser kernel|userspace\n"
	    "                            kernel (default): HTTP/1 the kernel can frame exactly\n"
	    "                            is parsed there, one event per request, the rest in\n"
	    "                            userspace; userspace: every connection's payload is\n"
	    "                            copied and parsed in userspace (the v1 datapath)\n"
	    "  --max-connections N       connections tracked at once (default %u)\n"
	    "  --max-http-connections N  connections parsed as HTTP at once (default %u)\n"
	    "  --max-edges N             edges kept in memory; the least recently updated is\n"
	    "                            evicted past it (default %u)\n"
	    "  --edge-idle-timeout S     forget an edge after S idle seconds (default %u)\n"
	    "  --conn-idle-timeout S     forget a connection with no packet for S seconds\n"
	    "                            (default %u)\n"
	    "  --ringbuf-mb N            kernel->user ring buffer size, power of two (default %u)\n"
	    "  --scan-interval-ms N      how often live TCP counters are read (default %u)\n"
	    "  --exclude-process NAME    never observe sockets of this process name (as in\n"
	    "                            /proc/PID/comm), repeatable; the agent's own sockets\n"
	    "                            are always excluded\n"
	    "  --exclude-cgroup PATH     never observe sockets of this cgroup (relative to the\n"
	    "                            cgroup2 mount) and below it, repeatable\n"
	    "  --metrics-labels LIST     extra meshsight_* labels, opt-in for their cardinality:\n"
	    "                            comma-separated address, process (default none)\n"
	    "\n"
	    "Graph and events (/api/v1/graph, /api/v1/events; see README):\n"
	    "  --window S                sliding window of the graph and the events, sampled\n"
	    "                            every S/6 seconds, 6..86400 (default %u)\n"
	    "  --learn S                 learning period after start: edges seen in it never\n"
	    "                            raise new_edge, rate_change waits for it (default %u)\n"
	    "  --event-auth-failures N   auth_failures: 401/403 in the window (default %u)\n"
	    "  --event-error-rate PCT    error_rate: failed percent in the window (default %.0f)\n"
	    "  --event-min-requests N    error_rate, latency and rate_change need this many\n"
	    "                            requests in the window (default %u)\n"
	    "  --event-latency-ms MS     latency: windowed p95 at or above (default %.0f)\n"
	    "  --event-rate-factor F     rate_change: rate F times the baseline or 1/F of it,\n"
	    "                            F > 1 (default %.0f)\n"
	    "  --event-rate-halflife S   half-life of the baseline, an exponentially weighted\n"
	    "                            mean of the windowed rate (default %u)\n"
	    "  --max-events N            events kept; the oldest is overwritten (default %u)\n"
	    "  --access-log MODE         errors (default: 5xx and unanswered requests), all or\n"
	    "                            off: records on /api/v1/access-log\n"
	    "  --access-log-rate N       records a second at most, the rest counted (default\n"
	    "                            %u; 0 = no ceiling)\n"
	    "  --tls on|off              HTTPS read through OpenSSL's libssl with uprobes\n"
	    "                            (needs CAP_SYS_PTRACE too; env MESHSIGHT_TLS; default\n"
	    "                            off)\n"
	    "\n"
	    "OTLP export (off unless --otlp, --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT turn\n"
	    "on both signals, or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / _TRACES_ENDPOINT one;\n"
	    "OTEL_METRICS_EXPORTER=none / OTEL_TRACES_EXPORTER=none turn one off; the other\n"
	    "OTEL_* variables apply):\n"
	    "  --otlp                    export to OTEL_EXPORTER_OTLP_ENDPOINT or\n"
	    "                            http://localhost:4318\n"
	    "  --otlp-endpoint URL       base URL; /v1/metrics is appended\n"
	    "  --otlp-protocol P         http/protobuf (default) or http/json\n"
	    "  --otlp-compression C      gzip or none (default none)\n"
	    "  --otlp-ca-file FILE       CA bundle for https endpoints\n"
	    "  --otlp-header KEY=VALUE   extra request header, repeatable\n"
	    "  --otlp-timeout-ms N       per request (default 10000)\n"
	    "  --otlp-queue-batches N    batches queued per signal while the collector is\n"
	    "                            slow or down; the oldest is dropped past it (64)\n"
	    "  --metric-export-interval-ms N  (default 60000, OTEL_METRIC_EXPORT_INTERVAL)\n"
	    "  --metrics-temporality T   cumulative (default) or delta\n"
	    "  --max-spans-per-second N  span ceiling, error spans always kept (default 1000;\n"
	    "                            0 = none); sampling per OTEL_TRACES_SAMPLER\n"
	    "\n"
	    "Kubernetes names (on when in a pod or given a kubeconfig):\n"
	    "  --k8s auto|off            auto (default): the pod's service account when\n"
	    "                            KUBERNETES_SERVICE_HOST is set, or a kubeconfig\n"
	    "  --kubeconfig FILE         kubeconfig to use (default $KUBECONFIG)\n"
	    "  --kube-context NAME       context in it (default its current-context)\n"
	    "  --k8s-watch cluster|node  watch every pod (default) or only this node's\n"
	    "                            pods: far less API server load on big clusters\n"
	    "  --node-name NAME          this node (default $NODE_NAME)\n"
	    "  --cluster-name NAME       *_cluster label value (default Kubernetes, as Istio)\n"
	    "  --cluster-domain DOMAIN   Service DNS suffix (default cluster.local)\n"
	    "  --k8s-sync-timeout S      wait up to S seconds for the first lists at start\n"
	    "                            (default 0: names fill in as objects arrive)\n"
	    "  --mesh-tunnel-ports LIST  ports of mesh tunnels, reported as L4 transport of\n"
	    "                            the application edges they carry (default %s)\n"
	    "  --mesh-tunnel-cgroup PATH cgroup (relative to the cgroup2 mount) of a mesh\n"
	    "                            proxy, repeatable; ztunnel pods are found from\n"
	    "                            Kubernetes (label app=ztunnel)\n"
	    "\n"
	    "  -v, --verbose             debug logging, including libbpf's\n"
	    "  -q, --quiet               warnings only\n"
	    "      --check               print the kernel features meshsight needs and\n"
	    "                            whether this kernel has them, attach nothing; exit\n"
	    "                            status 1 if one is missing (an init container's job)\n"
	    "      --version             print the version\n"
	    "  -h, --help                this help\n"
	    "\n"
	    "Stops cleanly on SIGINT or SIGTERM, detaching every program it attached.\n"
	    "Exit status: 0 after a clean stop, 2 for bad usage (a flag or OTEL_* value),\n"
	    "1 when the agent cannot start or run.\n",
	    d.listen, d.bpf.capture_bytes, d.bpf.max_conns, d.max_http, d.max_edges, d.edge_idle_s,
	    d.conn_idle_s, d.bpf.ringbuf_mb, d.scan_interval_ms, d.analysis.window_s,
	    d.analysis.events.learn_s, d.analysis.events.auth_failures,
	    d.analysis.events.error_ratio * 100, d.analysis.events.min_requests,
	    d.analysis.events.latency_s * 1e3, d.analysis.events.rate_factor,
	    d.analysis.events.rate_halflife_s, d.analysis.events.max_events, d.access_log_rate,
	    d.mesh_tunnel_ports);
}

static int parse_u32(const char *flag, const char *s, uint32_t min, uint32_t *out)
{
	if (parse_u32_range(s, min, UINT32_MAX, out)) {
		fprintf(stderr, "meshsight: %s '%s': expected a whole number >= %u\n", flag, s,
			min);
		return -EINVAL;
	}
	return 0;
}

/* A decimal number in [min, max]; flag names the option in the error. */
static int parse_real(const char *flag, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "meshsight: %s '%s': expected a number from %g to %g\n", flag, s,
			min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_analysis_flag(int opt, const char *arg, struct analysis_flags *f)
{
	struct event_thresholds *th = &f->events;
	uint32_t ms;
	int err;

	switch (opt) {
	case OPT_WINDOW:
		err = parse_u32("--window", arg, 6, &f->window_s);
		if (!err && f->window_s > 86400) {
			fprintf(stderr, "meshsight: --window '%s': at most 86400 seconds\n", arg);
			err = -EINVAL;
		}
		return err;
	case OPT_LEARN:
		return parse_u32("--learn", arg, 0, &th->learn_s);
	case OPT_EV_AUTH:
		return parse_u32("--event-auth-failures", arg, 1, &th->auth_failures);
	case OPT_EV_ERROR_RATE:
		err = parse_real("--event-error-rate", arg, 0.01, 100, &th->error_ratio);
		th->error_ratio /= 100;
		return err;
	case OPT_EV_MIN_REQUESTS:
		return parse_u32("--event-min-requests", arg, 1, &th->min_requests);
	case OPT_EV_LATENCY:
		err = parse_u32("--event-latency-ms", arg, 1, &ms);
		th->latency_s = ms / 1e3;
		return err;
	case OPT_EV_RATE_FACTOR:
		return parse_real("--event-rate-factor", arg, 1.01, 1000, &th->rate_factor);
	case OPT_EV_RATE_HALFLIFE:
		return parse_u32("--event-rate-halflife", arg, 1, &th->rate_halflife_s);
	case OPT_MAX_EVENTS:
		return parse_u32("--max-events", arg, 1, &th->max_events);
	}
	return -EINVAL;
}

static int add_to_list(const char *flag, const char *value, const char **list, uint32_t *n)
{
	if (*n == AGENT_EXCLUDES_MAX) {
		fprintf(stderr, "meshsight: at most %d %s\n", AGENT_EXCLUDES_MAX, flag);
		return -EINVAL;
	}
	if (!value[0]) {
		fprintf(stderr, "meshsight: %s needs a value\n", flag);
		return -EINVAL;
	}
	list[(*n)++] = value;
	return 0;
}

static int parse_metrics_labels(const char *list, uint32_t *out)
{
	char why[128];

	if (render_labels_parse(list, out, why, sizeof(why))) {
		fprintf(stderr, "meshsight: --metrics-labels '%s': %s\n", list, why);
		return -EINVAL;
	}
	return 0;
}

/*
 * --listen HOST:PORT with a host name (localhost): resolved once, here, to
 * its first IPv4 address (else its first IPv6 one), which is what is bound.
 */
static int resolve_listen(struct agent_config *c)
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
		fprintf(stderr,
			"meshsight: --listen '%s': cannot resolve '%s' (%s); pass an address, "
			"e.g. 127.0.0.1:9464\n",
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

/* A mesh tunnel cgroup must exist, or its sockets would never be recognised. */
static int check_tunnel_cgroups(const struct agent_config *c)
{
	char mount[4096], dir[8192];
	struct stat st;
	uint32_t i;

	for (i = 0; i < c->nmesh_tunnel_cgroups; i++) {
		const char *p = c->mesh_tunnel_cgroups[i];

		if (p[0] != '/') {
			fprintf(stderr,
				"meshsight: --mesh-tunnel-cgroup '%s': expected a path relative "
				"to the cgroup2 mount, starting with '/', e.g. /system.slice/"
				"ztunnel.service\n",
				p);
			return -EINVAL;
		}
		if (cgroup2_find_mount(mount, sizeof(mount)))
			continue; /* not mounted yet: the agent mounts it, then cannot check */
		snprintf(dir, sizeof(dir), "%s%s", mount, p);
		if (!stat(dir, &st) && S_ISDIR(st.st_mode))
			continue;
		if (!strncmp(p, mount, strlen(mount)) && p[strlen(mount)] == '/')
			fprintf(stderr,
				"meshsight: --mesh-tunnel-cgroup '%s' is a full path; pass it "
				"relative to the cgroup2 mount: '%s'\n",
				p, p + strlen(mount));
		else
			fprintf(stderr,
				"meshsight: --mesh-tunnel-cgroup '%s': no such cgroup (%s); pass "
				"the proxy's cgroup relative to the cgroup2 mount %s\n",
				p, dir, mount);
		return -EINVAL;
	}
	return 0;
}

/* OTLP flags and OTEL_* variables, checked before anything starts. */
static int check_export(const struct agent_config *c)
{
	static struct exporter_state probe; /* large: not on the stack */
	char err[512] = "";
	int ret = export_configure(&probe, &c->export, err, sizeof(err));

	export_stop(&probe);
	if (ret)
		fprintf(stderr, "meshsight: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}

static int parse_tls(const char *what, const char *v, struct agent_config *c)
{
	int on;

	if (tls_probe_parse_switch(v, &on)) {
		fprintf(stderr, "meshsight: %s '%s': expected on or off\n", what, v);
		return -EINVAL;
	}
	c->tls = on;
	return 0;
}

static int parse_args(int argc, char **argv, struct agent_config *c)
{
	struct sockaddr_storage ss;
	int opt, err = 0;

	while (!err && (opt = getopt_long(argc, argv, "vqh", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_CGROUP:
			c->bpf.cgroup = optarg;
			break;
		case OPT_LISTEN:
			c->listen = optarg;
			break;
		case OPT_HEALTH_LISTEN:
			c->health_listen = optarg;
			break;
		case OPT_IDENTITIES:
			c->identities = optarg;
			break;
		case OPT_CAPTURE_BYTES:
			err = parse_u32("--capture-bytes", optarg, 64, &c->bpf.capture_bytes);
			break;
		case OPT_NO_HTTP:
			c->bpf.http = false;
			break;
		case OPT_HTTP_PARSER:
			if (!strcmp(optarg, "kernel") || !strcmp(optarg, "userspace")) {
				c->bpf.kernel_http = !strcmp(optarg, "kernel");
			} else {
				fprintf(stderr,
					"meshsight: --http-parser %s: pass kernel or userspace\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case OPT_MAX_CONNS:
			err = parse_u32("--max-connections", optarg, 16, &c->bpf.max_conns);
			break;
		case OPT_MAX_HTTP:
			if (!strcmp(optarg, "0")) {
				fprintf(stderr, "meshsight: --max-http-connections 0 would parse "
						"nothing: pass a number >= 1, or --no-http for L4 "
						"only\n");
				err = -EINVAL;
				break;
			}
			err = parse_u32("--max-http-connections", optarg, 1, &c->max_http);
			break;
		case OPT_MAX_EDGES:
			err = parse_u32("--max-edges", optarg, 1, &c->max_edges);
			break;
		case OPT_EDGE_IDLE:
			err = parse_u32("--edge-idle-timeout", optarg, 1, &c->edge_idle_s);
			break;
		case OPT_CONN_IDLE:
			err = parse_u32("--conn-idle-timeout", optarg, 1, &c->conn_idle_s);
			break;
		case OPT_RINGBUF_MB:
			err = parse_u32("--ringbuf-mb", optarg, 1, &c->bpf.ringbuf_mb);
			break;
		case OPT_SCAN_MS:
			err = parse_u32("--scan-interval-ms", optarg, 100, &c->scan_interval_ms);
			break;
		case OPT_OTLP:
			c->export.enable = true;
			break;
		case OPT_OTLP_ENDPOINT:
			c->export.endpoint = optarg;
			break;
		case OPT_OTLP_PROTOCOL:
			c->export.protocol = optarg;
			break;
		case OPT_OTLP_COMPRESSION:
			c->export.compression = optarg;
			break;
		case OPT_OTLP_CA_FILE:
			c->export.ca_file = optarg;
			break;
		case OPT_OTLP_HEADER:
			if (c->export.nheaders < OTLP_MAX_HEADERS)
				c->export.headers[c->export.nheaders++] = optarg;
			break;
		case OPT_OTLP_TIMEOUT:
			err = parse_u32("--otlp-timeout-ms", optarg, 1, &c->export.timeout_ms);
			break;
		case OPT_EXPORT_INTERVAL:
			err = parse_u32("--metric-export-interval-ms", optarg, 100,
					&c->export.interval_ms);
			break;
		case OPT_TEMPORALITY:
			c->export.temporality = optarg;
			break;
		case OPT_OTLP_QUEUE:
			err =
			    parse_u32("--otlp-queue-batches", optarg, 1, &c->export.queue_batches);
			break;
		case OPT_MAX_SPANS:
			err = parse_u32("--max-spans-per-second", optarg, 0,
					&c->export.max_spans_per_second);
			break;
		case OPT_K8S:
			c->k8s.mode = optarg;
			break;
		case OPT_KUBECONFIG:
			c->k8s.kubeconfig = optarg;
			break;
		case OPT_KUBE_CONTEXT:
			c->k8s.context = optarg;
			break;
		case OPT_K8S_WATCH:
			c->k8s.watch = optarg;
			break;
		case OPT_NODE_NAME:
			c->k8s.node_name = optarg;
			break;
		case OPT_CLUSTER_NAME:
			c->k8s.cluster_name = optarg;
			break;
		case OPT_CLUSTER_DOMAIN:
			c->k8s.cluster_domain = optarg;
			break;
		case OPT_K8S_SYNC_TIMEOUT:
			err = parse_u32("--k8s-sync-timeout", optarg, 0, &c->k8s.sync_timeout_s);
			break;
		case OPT_MESH_PORTS:
			c->mesh_tunnel_ports = optarg;
			break;
		case OPT_MESH_CGROUP:
			if (c->nmesh_tunnel_cgroups == AGENT_TUNNEL_CGROUPS_MAX) {
				fprintf(stderr, "meshsight: at most %d --mesh-tunnel-cgroup\n",
					AGENT_TUNNEL_CGROUPS_MAX);
				err = -EINVAL;
				break;
			}
			c->mesh_tunnel_cgroups[c->nmesh_tunnel_cgroups++] = optarg;
			break;
		case OPT_EXCLUDE_PROCESS:
			err = add_to_list("--exclude-process", optarg, c->exclude_processes,
					  &c->nexclude_processes);
			break;
		case OPT_EXCLUDE_CGROUP:
			err = add_to_list("--exclude-cgroup", optarg, c->exclude_cgroups,
					  &c->nexclude_cgroups);
			break;
		case OPT_METRICS_LABELS:
			err = parse_metrics_labels(optarg, &c->metrics_labels);
			break;
		case OPT_WINDOW:
		case OPT_LEARN:
		case OPT_EV_AUTH:
		case OPT_EV_ERROR_RATE:
		case OPT_EV_MIN_REQUESTS:
		case OPT_EV_LATENCY:
		case OPT_EV_RATE_FACTOR:
		case OPT_EV_RATE_HALFLIFE:
		case OPT_MAX_EVENTS:
			err = parse_analysis_flag(opt, optarg, &c->analysis);
			break;
		case OPT_ACCESS_LOG:
			if (access_log_mode_parse(optarg, &c->access_log)) {
				fprintf(stderr,
					"meshsight: --access-log '%s': expected errors, all "
					"or off\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case OPT_ACCESS_LOG_RATE:
			err = parse_u32("--access-log-rate", optarg, 0, &c->access_log_rate);
			break;
		case OPT_TLS:
			err = parse_tls("--tls", optarg, c);
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_LEVEL_WARN);
			break;
		case OPT_CHECK:
			log_route_libbpf();
			exit(probe_check(stdout));
		case OPT_VERSION:
			printf("meshsight %s\n", MESHSIGHT_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "meshsight: see --help for the options\n");
			return -EINVAL;
		}
	}
	if (!err)
		err = resolve_listen(c);
	if (!err && c->health_listen && http_parse_listen(c->health_listen, &ss)) {
		fprintf(stderr,
			"meshsight: invalid --health-listen '%s': expected HOST:PORT, e.g. "
			"0.0.0.0:9465\n",
			c->health_listen);
		return -EINVAL;
	}
	if (!err && http_parse_listen(c->listen, &ss)) {
		fprintf(stderr,
			"meshsight: invalid --listen '%s': expected HOST:PORT, e.g. 127.0.0.1:9464 "
			"or [::1]:9464\n",
			c->listen);
		return -EINVAL;
	}
	if (!err && optind < argc) {
		fprintf(stderr, "meshsight: unexpected argument '%s'; see --help\n", argv[optind]);
		return -EINVAL;
	}
	if (!err)
		err = check_tunnel_cgroups(c);
	if (!err)
		err = check_export(c);
	return err;
}

int main(int argc, char **argv)
{
	struct agent_config cfg;

	if (argc > 1 && cli_is_command(argv[1]))
		return cli_main(argc - 1, argv + 1);
	agent_config_defaults(&cfg);
	/* Flags over environment over defaults: the variable first, flags may override it. */
	if (env_value(NULL, "MESHSIGHT_TLS") &&
	    parse_tls("MESHSIGHT_TLS", env_value(NULL, "MESHSIGHT_TLS"), &cfg))
		return 2;
	if (parse_args(argc, argv, &cfg))
		return 2;
	log_route_libbpf();
	return agent_run(&cfg) ? 1 : 0;
}
