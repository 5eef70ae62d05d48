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
 * The numbers are the same ones /api/v1/edges shows: the model is only
 * read. With delta temporality each point is the change since the previous
 * export, against bases kept here, in the exporter's own table (struct
 * otlp_delta), never in the edges: /metrics and /api/v1/edges are the same
 * whatever the temporality.
 */
#ifndef MESHSIGHT_OTLP_METRICS_H
#define MESHSIGHT_OTLP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/aggregator.h"
#include "naming/naming.h"
#include "otlp/encode.h"

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
 * The values exported last time, per edge view, series and metric, for
 * delta temporality. One entry per exported point (about 300 bytes with its
 * buckets); entries whose edge is gone are dropped at the next build.
 */
struct otlp_delta;

struct otlp_delta *otlp_delta_new(void);
void otlp_delta_free(struct otlp_delta *d);

/*
 * Builds and encodes the request into out; *npoints is the number of data
 * points in it. delta: the bases, required with delta temporality; they
 * move with every build, so a build that fails (out of memory, counted by
 * the caller) loses that interval's changes. 0, -ENOMEM, or -EINVAL for a
 * delta build without bases.
 */
int otlp_build_metrics(const struct aggregator *a, struct naming *n,
		       const struct otlp_metrics_opts *o, struct otlp_delta *delta,
		       struct otlp_buf *out, uint64_t *npoints);

#endif /* MESHSIGHT_OTLP_METRICS_H */
