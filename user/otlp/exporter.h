/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's OTLP export: when enabled (--otlp, --otlp-endpoint, or an
 * OTEL_EXPORTER_OTLP_*ENDPOINT variable), every metric export interval the
 * edges are encoded into one OTLP metrics request and handed to the exporter
 * thread. Settings follow the OpenTelemetry SDK environment variables; flags
 * override them.
 */
#ifndef MESHSIGHT_EXPORT_H
#define MESHSIGHT_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/aggregator.h"
#include "core/self_stats.h"
#include "naming/naming.h"
#include "otlp/encode.h"
#include "otlp/transport.h"
#include "otlp/metrics.h"
#include "otlp/traces.h"
#include "otlp/logs.h"

#define EXPORT_MAX_RESOURCE_ATTRS 16

struct export_flags {
	bool enable;		 /* --otlp */
	const char *endpoint;	 /* --otlp-endpoint URL (base, like OTEL_EXPORTER_OTLP_ENDPOINT) */
	const char *protocol;	 /* --otlp-protocol http/protobuf|http/json */
	const char *compression; /* --otlp-compression gzip|none */
	const char *ca_file;	 /* --otlp-ca-file */
	const char *headers[OTLP_MAX_HEADERS]; /* --otlp-header key=value */
	uint32_t nheaders;
	uint32_t timeout_ms;
	uint32_t queue_batches;
	/* --otlp-queue-batches, 0 = default */ /* --otlp-timeout-ms, 0 = env/default */
	uint32_t interval_ms;			/* --metric-export-interval-ms, 0 = env/default */
	const char *temporality;		/* --metrics-temporality cumulative|delta */
	uint32_t max_spans_per_second;		/* --max-spans-per-second, UINT32_MAX = unset */
};

struct exporter_state {
	bool enabled;	 /* either signal below */
	bool metrics_on; /* see signals_by() in otlp/exporter.c for what turns each on */
	bool traces_on;
	bool logs_on; /* events and access-log records as OTLP logs */
	struct otlp_config cfg;
	struct otlp_exporter *exp;
	uint32_t interval_ms;
	enum otlp_temporality temporality;
	char service_name[128];
	char host_name[256];
	char attr_buf[EXPORT_MAX_RESOURCE_ATTRS][2][256];
	struct otlp_attr attrs[EXPORT_MAX_RESOURCE_ATTRS];
	size_t nattrs;
	uint64_t last_export_unix_ns;
	uint64_t build_failures;
	struct span_buffer spans; /* when enabled, fed by the flow table's hook */
	uint64_t next_traces_ns;  /* CLOCK_MONOTONIC */
	struct log_export logs;	  /* when logs_on: cursors into the event and access-log rings */
	uint64_t start_unix_ns;
	struct otlp_delta *delta; /* bases of delta temporality; NULL when cumulative */
	/* What the last failure warning had seen, per signal (export_warn_failures). */
	uint64_t warned_failed[OTLP_SIGNAL__MAX];
	uint64_t warned_next_ns[OTLP_SIGNAL__MAX]; /* CLOCK_MONOTONIC */
};

/* Reads env and flags; 0 (possibly disabled) or -EINVAL with a message in err. */
int export_configure(struct exporter_state *s, const struct export_flags *f, char *err,
		     size_t errlen);
int export_start(struct exporter_state *s, char *err, size_t errlen);
/* Builds and queues one metrics request; call with the agent lock held. */
void export_metrics(struct exporter_state *s, const struct aggregator *a, struct naming *n,
		    const char *version, const struct self_stat *self, size_t nself);
/* Ships queued spans when a batch is full or the schedule delay passed; lock held. */
void export_traces(struct exporter_state *s, struct naming *n, const char *version, bool flush);

/*
 * Ships new events and access-log records as OTLP logs every
 * OTEL_BLRP_SCHEDULE_DELAY (or now with flush); al may be NULL. The
 * analysis and access-log locks are taken inside; call with the agent lock.
 */
void export_logs(struct exporter_state *s, struct analysis *an, struct access_log *al,
		 struct naming *n, const char *version, bool flush);

/*
 * Logs a warning when requests of a signal failed (retried, given up or
 * dropped) since the last warning: at most one a minute per signal, so a collector that stays
 * down is said once a minute, not once a batch. Call from the main loop.
 */
void export_warn_failures(struct exporter_state *s, uint64_t now_ns);

/* Exporter counters in Prometheus text (appended to /metrics). */
void export_render_prom(struct exporter_state *s, FILE *out);
void export_stop(struct exporter_state *s);

#endif /* MESHSIGHT_EXPORT_H */
