/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the stats endpoint serves: Prometheus text for /metrics, JSON for
 * /api/v1/edges and /api/v1/stats. Renderers only read; the caller holds the
 * agent lock while they run.
 */
#ifndef MESHSIGHT_RENDER_H
#define MESHSIGHT_RENDER_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "meshsight_events.h"

#include "core/aggregator.h"
#include "core/flows.h"
#include "naming/naming.h"
#include "lib/nat.h"
#include "core/self_stats.h"
#include "lib/prom_text.h"

struct render_input {
	const struct aggregator *agg;
	const struct flowtab *flows;
	struct naming *naming;
	uint64_t kernel_counters[MS_CNT__MAX]; /* summed over CPUs */
	uint64_t kernel_conns;		       /* entries in the kernel table at the last scan */
	uint64_t kernel_conns_expired;	       /* idle kernel entries deleted by userspace */
	uint64_t consumer_max_wait_ns;	       /* longest lock wait of the ring-buffer consumer */
	uint64_t endpoint_head_timeouts;       /* http_server_stats */
	uint64_t endpoint_pages_shared;
	const struct nat_stats *nat;	     /* ClusterIP lookups, or NULL when off */
	const struct log_export_stats *logs; /* OTLP log records, or NULL when off */
	const struct answers_stats *answers; /* window, events and access log, or NULL */
	json_t *kubernetes;		     /* /api/v1/stats "kubernetes" object, or NULL */
	double uptime_s;
	const char *version;
	uint32_t metrics_labels; /* RENDER_LABEL_* added to the meshsight_* families */
};

/* Opt-in labels of the meshsight_* edge families (--metrics-labels). */
#define RENDER_LABEL_ADDRESS (1u << 0) /* source_address, destination_address */
#define RENDER_LABEL_PROCESS (1u << 1) /* source_process, destination_process */

/* "address,process" (or "none", or "") -> RENDER_LABEL_* bits; -EINVAL with why. */
int render_labels_parse(const char *list, uint32_t *out, char *why, size_t len);

/* 0, or -EIO when writing failed. */
int render_prometheus(const struct render_input *in, FILE *out);
int render_edges_json(const struct render_input *in, FILE *out);
int render_stats_json(const struct render_input *in, FILE *out);
/* Istio's standard metrics (render_istio.c); render_prometheus appends them. */
int render_istio(const struct render_input *in, FILE *out);

/* The TCP counters of one edge view, as the Prometheus renderers read them. */
enum view_field {
	VF_BYTES_SENT,
	VF_BYTES_RECEIVED,
	VF_OPENED,
	VF_CLOSED,
	VF_RESET,
	VF_RETRANS,
};

uint64_t view_field(const struct edge_view *v, enum view_field which);

/* The agent's own counters (self_stats.h) from the render input; SELF_STATS_MAX at most. */
size_t render_self_stats(const struct render_input *in, struct self_stat *out);

#endif /* MESHSIGHT_RENDER_H */
