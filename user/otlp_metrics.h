/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Edges -> one OTLP metrics request, following the OpenTelemetry semantic
 * conventions:
 *   http.server.request.duration / http.client.request.duration (s), from
 *     the destination and source views, one point per (method, status,
 *     version), under the resource of the local workload that reported it;
 *   traces_service_graph_request_total, _failed_total, _server / _client
 *     (s), with the labels of the Collector's servicegraph connector
 *     (client, server, connection_type), under the agent's resource;
 *   meshsight.tcp.* per edge and view.
 * The numbers are the same ones /api/v1/edges shows. With delta temporality
 * the per-series histograms are reset after each build (the Prometheus and
 * JSON views read other, cumulative fields).
 */
#ifndef MESHSIGHT_OTLP_METRICS_H
#define MESHSIGHT_OTLP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregator.h"
#include "naming.h"
#include "otlp.h"

/* One sample of the agent's own telemetry, exported under the agent's resource. */
struct otlp_self_metric {
	const char *name;
	const char *unit;
	const char *attr_key; /* NULL: no attribute */
	const char *attr_val;
	double value;
	bool gauge; /* else a monotonic sum */
};

struct otlp_metrics_opts {
	enum otlp_temporality temporality;
	uint64_t now_unix_ns;
	uint64_t mono_to_unix_ns;	/* add to CLOCK_MONOTONIC timestamps to get unix time */
	uint64_t last_export_unix_ns;	/* start of a delta interval */
	const char *agent_service_name; /* OTEL_SERVICE_NAME, default "meshsight" */
	const struct otlp_attr *agent_attrs; /* OTEL_RESOURCE_ATTRIBUTES, parsed */
	size_t nagent_attrs;
	const char *host_name;
	const char *scope_version;	     /* the agent's version */
	const struct otlp_self_metric *self; /* grouped by name, consecutive */
	uint64_t start_unix_ns;		     /* the agent's start: sums of self begin there */
	size_t nself;
	bool json;
};

/*
 * Builds and encodes the request into out; *npoints is the number of data
 * points in it. 0, or -ENOMEM.
 */
int otlp_build_metrics(struct aggregator *a, struct naming *n, const struct otlp_metrics_opts *o,
		       struct otlp_buf *out, uint64_t *npoints);

#endif /* MESHSIGHT_OTLP_METRICS_H */
