/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The OTLP logs signal: the events (answers/events.h) and the access-log
 * records (answers/access_log.h) as OTLP log records, POSTed to /v1/logs.
 *
 *   log_config_from_env(&cfg, NULL, err, len);  OTEL_BLRP_* variables
 *   logs_init(&lx, &cfg);
 *   every schedule delay (otlp/exporter.c): logs_build(&lx, ...) -> submit
 *
 * No queue of its own: the event ring and the access-log ring are the
 * queue, and the export keeps a cursor into each (their sequence numbers).
 * A record costs nothing until it is exported, and memory stays what those
 * two rings already hold; the cost is that a record overwritten before the
 * export reads it is lost, counted in meshsight_otlp_log_records_dropped_total.
 * With the default 1 s delay that takes more than ACCESS_LOG_RING (1024)
 * records a second, above the access log's own rate ceiling.
 *
 * Records: an event has the agent as its resource, an access-log record the
 * end that recorded it (as its span does), with the same trace and span ids.
 * Attributes follow the HTTP semantic conventions (http.request.method,
 * url.path, http.response.status_code, server.address, error.type); the two
 * ends are "client" and "server", by the names the metrics use. Never a
 * header value, a body or a query: the parsers keep none.
 */
#ifndef MESHSIGHT_OTLP_LOGS_H
#define MESHSIGHT_OTLP_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/env.h"
#include "core/self_stats.h"
#include "naming/naming.h"
#include "answers/access_log.h"
#include "answers/analysis.h"
#include "otlp/encode.h"

#define LOGS_AGENT_ATTRS_MAX 16 /* OTEL_RESOURCE_ATTRIBUTES pairs on the agent's resource */

struct log_config {
	uint32_t schedule_delay_ms; /* OTEL_BLRP_SCHEDULE_DELAY (1000) */
	uint32_t max_batch;	    /* OTEL_BLRP_MAX_EXPORT_BATCH_SIZE (512) */
};

/* Defaults, then OTEL_BLRP_SCHEDULE_DELAY and _MAX_EXPORT_BATCH_SIZE. 0 or -EINVAL. */
int log_config_from_env(struct log_config *c, env_getter get, char *err, size_t errlen);

struct log_export {
	struct log_config cfg;
	uint64_t event_cursor;	/* the next event to send (events' seq) */
	uint64_t access_cursor; /* the next access-log record (its recorded count) */
	uint64_t next_ns;	/* CLOCK_MONOTONIC of the next scheduled export */
	struct log_export_stats stats;
};

struct logs_opts {
	uint64_t now_unix_ns;		     /* observed_time_unix_nano */
	const char *agent_service_name;	     /* the resource of events */
	const struct otlp_attr *agent_attrs; /* OTEL_RESOURCE_ATTRIBUTES */
	size_t nagent_attrs;
	const char *host_name;
	const char *scope_version;
	bool json;
};

void logs_init(struct log_export *lx, const struct log_config *c);
/* Reads at most max_batch new events and records (al may be NULL) into one
 * request; *nrecs = 0 and an empty body when there was nothing new. 0 or -ENOMEM. */
int logs_build(struct log_export *lx, struct analysis *an, struct access_log *al, struct naming *n,
	       const struct logs_opts *o, struct otlp_buf *out, uint64_t *nrecs);

#endif /* MESHSIGHT_OTLP_LOGS_H */
