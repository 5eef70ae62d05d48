/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The running agent: ties the loader, the ring-buffer consumer, the flow
 * table, the aggregator and the stats endpoint together, and runs the main
 * loop until SIGINT/SIGTERM.
 */
#ifndef MESHSIGHT_AGENT_H
#define MESHSIGHT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "answers/access_log.h"
#include "answers/analysis.h"
#include "otlp/exporter.h"
#include "k8s/source.h"
#include "agent/loader.h"
#include "lib/version.h"

#define AGENT_TUNNEL_CGROUPS_MAX 8
#define AGENT_EXCLUDES_MAX	 16

struct agent_config {
	struct loader_opts bpf;
	const char *listen;
	const char *health_listen; /* a second endpoint serving /healthz only, or NULL */
	const char *identities;
	const char *trust_domain; /* Istio principals: spiffe://<this>/ns/.../sa/... */
	uint32_t max_http;
	uint32_t max_edges;
	uint32_t edge_idle_s;
	uint32_t conn_idle_s;
	uint32_t scan_interval_ms; /* kernel table scan and counter read */
	uint32_t reasm_budget_mb;
	struct export_flags export;
	struct k8s_flags k8s;
	const char *mesh_tunnel_ports; /* comma-separated; see flows.h */
	/* cgroups (relative to the cgroup2 mount) whose sockets are a mesh's
	 * tunnel, e.g. ztunnel's pod; ztunnel pods are also found from Kubernetes. */
	const char *mesh_tunnel_cgroups[AGENT_TUNNEL_CGROUPS_MAX];
	uint32_t nmesh_tunnel_cgroups;
	/* Never observed, on top of the agent's own process: process names
	 * (as in /proc/PID/comm) and cgroups (relative to the cgroup2 mount). */
	const char *exclude_processes[AGENT_EXCLUDES_MAX];
	uint32_t nexclude_processes;
	const char *exclude_cgroups[AGENT_EXCLUDES_MAX];
	uint32_t nexclude_cgroups;
	uint32_t metrics_labels;	 /* RENDER_LABEL_* (render.h) */
	struct analysis_flags analysis;	 /* --window, --learn, --event-* */
	enum access_log_mode access_log; /* --access-log */
	uint32_t access_log_rate;	 /* --access-log-rate: records a second, 0 = no ceiling */
	bool tls; /* --tls / MESHSIGHT_TLS: HTTPS read through libssl uprobes */
};

/* Runs until a stop signal; returns 0 on a clean stop, or -errno. */
int agent_run(const struct agent_config *c);

#endif /* MESHSIGHT_AGENT_H */
