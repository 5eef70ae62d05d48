/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * OTLP data model and wire encoding (OpenTelemetry protocol, proto3 field
 * numbers of opentelemetry-proto v1). The exporter builds requests in this
 * model from edges and transactions; the encoder turns them into protobuf or
 * OTLP/JSON bodies; the transport (otlp/transport.c) ships them.
 *
 * Only what meshsight emits is modelled: resource and scope, Sum (int),
 * Gauge (double), Histogram (explicit buckets), spans and log records. All strings are
 * borrowed: the model never owns memory except through otlp_arena.
 */
#ifndef MESHSIGHT_OTLP_H
#define MESHSIGHT_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum otlp_value_type {
	OTLP_STR = 0,
	OTLP_INT = 1,
	OTLP_DOUBLE = 2,
	OTLP_BOOL = 3,
};

struct otlp_attr {
	const char *key;
	enum otlp_value_type type;
	union {
		const char *s;
		int64_t i;
		double d;
		bool b;
	};
};

struct otlp_attrs {
	const struct otlp_attr *v;
	size_t n;
};

enum otlp_temporality {
	OTLP_TEMPORALITY_DELTA = 1,	 /* AGGREGATION_TEMPORALITY_DELTA */
	OTLP_TEMPORALITY_CUMULATIVE = 2, /* AGGREGATION_TEMPORALITY_CUMULATIVE */
};

enum otlp_metric_kind {
	OTLP_METRIC_SUM = 0,	   /* monotonic int counter */
	OTLP_METRIC_GAUGE = 1,	   /* double gauge */
	OTLP_METRIC_HISTOGRAM = 2, /* explicit-bucket histogram */
};

struct otlp_point {
	struct otlp_attrs attrs;
	uint64_t start_ns; /* unix epoch nanoseconds */
	uint64_t time_ns;
	/* SUM: */
	int64_t as_int;
	/* GAUGE: */
	double as_double;
	/* HISTOGRAM: */
	uint64_t count;
	double sum;
	bool has_min_max;
	double min, max;
	const uint64_t *bucket_counts; /* nbounds + 1 entries */
	const double *bounds;
	size_t nbounds;
};

struct otlp_metric {
	const char *name;
	const char *description;
	const char *unit;
	enum otlp_metric_kind kind;
	enum otlp_temporality temporality; /* SUM and HISTOGRAM */
	const struct otlp_point *points;
	size_t npoints;
};

enum otlp_span_kind {
	OTLP_SPAN_KIND_SERVER = 2,
	OTLP_SPAN_KIND_CLIENT = 3,
};

enum otlp_status_code {
	OTLP_STATUS_UNSET = 0,
	OTLP_STATUS_OK = 1,
	OTLP_STATUS_ERROR = 2,
};

struct otlp_span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8]; /* all zero: no parent */
	uint32_t flags;		   /* W3C trace flags (bit 0: sampled) */
	const char *name;
	enum otlp_span_kind kind;
	uint64_t start_ns, end_ns; /* unix epoch nanoseconds */
	struct otlp_attrs attrs;
	enum otlp_status_code status;
	const char *status_message; /* may be NULL */
};

/* SeverityNumber of logs.proto: the first of each range of four. */
enum otlp_severity {
	OTLP_SEVERITY_INFO = 9,
	OTLP_SEVERITY_WARN = 13,
	OTLP_SEVERITY_ERROR = 17,
};

struct otlp_log {
	uint64_t time_ns;     /* when it happened, unix epoch nanoseconds */
	uint64_t observed_ns; /* when the agent saw it */
	enum otlp_severity severity;
	const char *severity_text; /* may be NULL */
	const char *event_name;	   /* LogRecord.event_name; may be NULL */
	const char *body;	   /* a string AnyValue */
	struct otlp_attrs attrs;
	bool has_ids; /* trace_id and span_id are set */
	uint8_t trace_id[16];
	uint8_t span_id[8];
};

/* One resource with one scope and its metrics, spans or log records. */
struct otlp_resource_block {
	struct otlp_attrs resource;
	const char *scope_name;
	const char *scope_version;
	const struct otlp_metric *metrics; /* metrics requests */
	size_t nmetrics;
	const struct otlp_span *spans; /* trace requests */
	size_t nspans;
	const struct otlp_log *logs; /* logs requests */
	size_t nlogs;
};

struct otlp_request {
	const struct otlp_resource_block *blocks;
	size_t nblocks;
};

/* Growable byte buffer for encoded bodies. */
struct otlp_buf {
	uint8_t *data;
	size_t len, cap;
	bool oom; /* an append failed: the contents are incomplete */
};

void otlp_buf_free(struct otlp_buf *b);

/* Export{Metrics,Trace,Logs}ServiceRequest bodies. 0 or -ENOMEM. */
int otlp_encode_metrics_pb(const struct otlp_request *req, struct otlp_buf *out);
int otlp_encode_traces_pb(const struct otlp_request *req, struct otlp_buf *out);
int otlp_encode_logs_pb(const struct otlp_request *req, struct otlp_buf *out);
/* The same in OTLP/JSON (ids as hex strings, 64-bit ints as strings, enums as ints). */
int otlp_encode_metrics_json(const struct otlp_request *req, struct otlp_buf *out);
int otlp_encode_traces_json(const struct otlp_request *req, struct otlp_buf *out);
int otlp_encode_logs_json(const struct otlp_request *req, struct otlp_buf *out);

/*
 * Reads an Export*ServiceResponse (protobuf or JSON by is_json): the
 * partial_success rejected count (rejected_data_points, _spans or _log_records)
 * and its error_message. An empty body means full success. 0 or -EINVAL.
 */
int otlp_decode_response(const uint8_t *body, size_t len, bool is_json, int64_t *rejected,
			 char *msg, size_t msglen);

#endif /* MESHSIGHT_OTLP_H */
