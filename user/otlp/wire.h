/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the protobuf writer (protobuf.c), the JSON writer (json.c) and the
 * response reader (response.c) share: wire types, OTLP field numbers and the
 * buffer and UTF-8 helpers. Internal to otlp/; the API is otlp/encode.h.
 */
#ifndef MESHSIGHT_WIRE_H
#define MESHSIGHT_WIRE_H

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/encode.h"

/* Protobuf wire types. */
enum pb_wire {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_SGROUP = 3, /* deprecated groups: only ever skipped */
	PB_EGROUP = 4,
	PB_I32 = 5,
};

/*
 * Field numbers of opentelemetry-proto v1: collector/{metrics,trace,logs}/v1,
 * metrics/v1, trace/v1, logs/v1, common/v1 and resource/v1.
 */
enum {
	F_REQ_RESOURCE_DATA = 1, /* resource_metrics, resource_spans */
	F_RES_RESOURCE = 1,	 /* Resource{Metrics,Spans}.resource */
	F_RES_SCOPE_DATA = 2,	 /* scope_metrics, scope_spans */
	F_SCOPE_SCOPE = 1,	 /* Scope{Metrics,Spans}.scope */
	F_SCOPE_ITEMS = 2,	 /* metrics, spans */
	F_RESOURCE_ATTRS = 1,
	F_ISCOPE_NAME = 1,
	F_ISCOPE_VERSION = 2,
	F_KV_KEY = 1,
	F_KV_VALUE = 2,
	F_ANY_STRING = 1,
	F_ANY_BOOL = 2,
	F_ANY_INT = 3,
	F_ANY_DOUBLE = 4,
	F_METRIC_NAME = 1,
	F_METRIC_DESCRIPTION = 2,
	F_METRIC_UNIT = 3,
	F_METRIC_GAUGE = 5,
	F_METRIC_SUM = 7,
	F_METRIC_HISTOGRAM = 9,
	F_DATA_POINTS = 1, /* Gauge, Sum, Histogram */
	F_DATA_TEMPORALITY = 2,
	F_SUM_MONOTONIC = 3,
	F_POINT_START = 2, /* NumberDataPoint and HistogramDataPoint */
	F_POINT_TIME = 3,
	F_NPOINT_DOUBLE = 4,
	F_NPOINT_INT = 6,
	F_NPOINT_ATTRS = 7,
	F_HPOINT_COUNT = 4,
	F_HPOINT_SUM = 5,
	F_HPOINT_BUCKETS = 6,
	F_HPOINT_BOUNDS = 7,
	F_HPOINT_ATTRS = 9,
	F_HPOINT_MIN = 11,
	F_HPOINT_MAX = 12,
	F_SPAN_TRACE_ID = 1,
	F_SPAN_SPAN_ID = 2,
	F_SPAN_PARENT_ID = 4,
	F_SPAN_NAME = 5,
	F_SPAN_KIND = 6,
	F_SPAN_START = 7,
	F_SPAN_END = 8,
	F_SPAN_ATTRS = 9,
	F_SPAN_STATUS = 15,
	F_SPAN_FLAGS = 16,
	F_STATUS_MESSAGE = 2,
	F_STATUS_CODE = 3,
	F_LOG_TIME = 1,	    /* LogRecord.time_unix_nano, fixed64 */
	F_LOG_SEVERITY = 2, /* severity_number */
	F_LOG_SEVERITY_TEXT = 3,
	F_LOG_BODY = 5, /* AnyValue */
	F_LOG_ATTRS = 6,
	F_LOG_TRACE_ID = 9,
	F_LOG_SPAN_ID = 10,
	F_LOG_OBSERVED = 11, /* observed_time_unix_nano, fixed64 */
	F_LOG_EVENT_NAME = 12,
	F_RESP_PARTIAL = 1,
	F_PARTIAL_REJECTED = 1, /* rejected_data_points, _spans, _log_records */
	F_PARTIAL_MESSAGE = 2,
};

/* Nesting of deprecated groups we agree to skip in a response. */
#define PB_GROUP_MAX_DEPTH 16

void wire_buf_put(struct otlp_buf *b, const void *p, size_t n);
void wire_buf_reset(struct otlp_buf *b);
bool wire_utf8_valid(const char *s);
char *wire_utf8_sanitize(const char *s);
bool wire_hist_has_buckets(const struct otlp_point *p);
bool wire_all_zero(const uint8_t *p, size_t n);

#endif /* MESHSIGHT_WIRE_H */
