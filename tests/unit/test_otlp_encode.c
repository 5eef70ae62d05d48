// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/otlp/protobuf.c and json.c. Small requests are encoded to protobuf
 * and compared byte for byte with encodings worked out by hand from the
 * opentelemetry-proto field numbers, so a wrong number or wire type shows
 * as a diff rather than as a collector silently dropping data. The JSON is
 * parsed back with jansson and checked against the OTLP/JSON mapping (hex
 * ids, 64-bit integers as strings, enums as integers). Responses are read
 * from full successes, partial successes in both encodings, and garbage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <setjmp.h>
#include <cmocka.h>

#include "otlp/encode.h"

/* Little-endian fixed64 of small integers and of a few exact doubles. */
#define U64(x) (x), 0, 0, 0, 0, 0, 0, 0
#define D_0_5  0, 0, 0, 0, 0, 0, 0xe0, 0x3f
#define D_1_0  0, 0, 0, 0, 0, 0, 0xf0, 0x3f
#define D_1_5  0, 0, 0, 0, 0, 0, 0xf8, 0x3f

static void expect_bytes(const struct otlp_buf *b, const uint8_t *exp, size_t n)
{
	size_t i;

	if (b->len != n || memcmp(b->data, exp, n)) {
		for (i = 0; i < b->len; i++)
			fprintf(stderr, "%02x%s", b->data[i], i % 16 == 15 ? "\n" : " ");
		fprintf(stderr, "\n(%zu bytes, expected %zu)\n", b->len, n);
		fail_msg("encoding differs from the hand-computed bytes");
	}
}

static void test_sum_pb_bytes(void **state)
{
	static const struct otlp_attr attr = {.key = "k", .type = OTLP_STR, .s = "v"};
	static const struct otlp_point pt = {
	    .attrs = {&attr, 1},
	    .start_ns = 1,
	    .time_ns = 2,
	    .as_int = 5,
	};
	static const struct otlp_metric m = {
	    .name = "m",
	    .kind = OTLP_METRIC_SUM,
	    .temporality = OTLP_TEMPORALITY_CUMULATIVE,
	    .points = &pt,
	    .npoints = 1,
	};
	static const struct otlp_resource_block blk = {
	    .scope_name = "s",
	    .metrics = &m,
	    .nmetrics = 1,
	};
	static const struct otlp_request req = {&blk, 1};
	/* One field a line, as worked out by hand. */
	/* clang-format off */
	static const uint8_t exp[] = {
		0x0a, 0x3b,			/* resource_metrics */
		0x0a, 0x00,			/*  resource {} */
		0x12, 0x37,			/*  scope_metrics */
		0x0a, 0x03, 0x0a, 0x01, 's',	/*   scope { name } */
		0x12, 0x30,			/*   metrics */
		0x0a, 0x01, 'm',		/*    name */
		0x3a, 0x2b,			/*    sum */
		0x0a, 0x25,			/*     data_points */
		0x11, U64(1),			/*      start_time_unix_nano */
		0x19, U64(2),			/*      time_unix_nano */
		0x31, U64(5),			/*      as_int (sfixed64) */
		0x3a, 0x08,			/*      attributes */
		0x0a, 0x01, 'k',		/*       key */
		0x12, 0x03, 0x0a, 0x01, 'v',	/*       value { string_value } */
		0x10, 0x02,			/*     aggregation_temporality */
		0x18, 0x01,			/*     is_monotonic */
	};
	/* clang-format on */
	struct otlp_buf b = {0};

	(void)state;
	assert_int_equal(otlp_encode_metrics_pb(&req, &b), 0);
	expect_bytes(&b, exp, sizeof(exp));
	otlp_buf_free(&b);
}

static void test_histogram_pb_bytes(void **state)
{
	static const uint64_t counts[] = {1, 2};
	static const double bounds[] = {1.0};
	static const struct otlp_point pt = {
	    .time_ns = 2,
	    .count = 3,
	    .sum = 1.5,
	    .has_min_max = true,
	    .min = 0.5,
	    .max = 1.0,
	    .bucket_counts = counts,
	    .bounds = bounds,
	    .nbounds = 1,
	};
	static const struct otlp_metric m = {
	    .name = "h",
	    .unit = "ms",
	    .kind = OTLP_METRIC_HISTOGRAM,
	    .temporality = OTLP_TEMPORALITY_DELTA,
	    .points = &pt,
	    .npoints = 1,
	};
	static const struct otlp_resource_block blk = {.metrics = &m, .nmetrics = 1};
	static const struct otlp_request req = {&blk, 1};
	/* One field a line, as worked out by hand. */
	/* clang-format off */
	static const uint8_t exp[] = {
		0x0a, 0x5e, 0x0a, 0x00, 0x12, 0x5a,
		0x0a, 0x00,			/* scope {} */
		0x12, 0x56,			/* metrics */
		0x0a, 0x01, 'h',		/*  name */
		0x1a, 0x02, 'm', 's',		/*  unit */
		0x4a, 0x4d,			/*  histogram */
		0x0a, 0x49,			/*   data_points */
		0x19, U64(2),			/*    time_unix_nano (no start: 0) */
		0x21, U64(3),			/*    count */
		0x29, D_1_5,			/*    sum */
		0x32, 0x10, U64(1), U64(2),	/*    bucket_counts, packed */
		0x3a, 0x08, D_1_0,		/*    explicit_bounds, packed */
		0x59, D_0_5,			/*    min */
		0x61, D_1_0,			/*    max */
		0x10, 0x01,			/*   aggregation_temporality */
	};
	/* clang-format on */
	struct otlp_buf b = {0};

	(void)state;
	assert_int_equal(otlp_encode_metrics_pb(&req, &b), 0);
	expect_bytes(&b, exp, sizeof(exp));
	otlp_buf_free(&b);
}

static const struct otlp_span sample_span = {
    .trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
    .span_id = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8},
    .flags = 1,
    .name = "GET",
    .kind = OTLP_SPAN_KIND_SERVER,
    .start_ns = 1,
    .end_ns = 2,
    .status = OTLP_STATUS_ERROR,
};

static void test_span_pb_bytes(void **state)
{
	static const struct otlp_resource_block blk = {.spans = &sample_span, .nspans = 1};
	static const struct otlp_request req = {&blk, 1};
	/* One field a line, as worked out by hand. */
	/* clang-format off */
	static const uint8_t exp[] = {
		0x0a, 0x47, 0x0a, 0x00,		/* resource_spans { resource {} */
		0x12, 0x43, 0x0a, 0x00,		/*  scope_spans { scope {} */
		0x12, 0x3f,			/*   spans */
		0x0a, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		0x12, 0x08, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
		0x2a, 0x03, 'G', 'E', 'T',	/*    name (no parent: omitted) */
		0x30, 0x02,			/*    kind SERVER */
		0x39, U64(1),			/*    start_time_unix_nano */
		0x41, U64(2),			/*    end_time_unix_nano */
		0x7a, 0x02, 0x18, 0x02,		/*    status { code ERROR } */
		0x85, 0x01, 1, 0, 0, 0,		/*    flags (16, fixed32) */
	};
	/* clang-format on */
	struct otlp_buf b = {0};

	(void)state;
	assert_int_equal(otlp_encode_traces_pb(&req, &b), 0);
	expect_bytes(&b, exp, sizeof(exp));
	otlp_buf_free(&b);
}

static const struct otlp_log sample_log = {
    .time_ns = 1,
    .observed_ns = 2,
    .severity = OTLP_SEVERITY_ERROR,
    .severity_text = "E",
    .body = "b",
    .event_name = "n",
    .has_ids = true,
    .trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
    .span_id = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8},
};

static void test_log_pb_bytes(void **state)
{
	static const struct otlp_resource_block blk = {.logs = &sample_log, .nlogs = 1};
	static const struct otlp_request req = {&blk, 1};
	/* One field a line, as worked out by hand from logs.proto. */
	/* clang-format off */
	static const uint8_t exp[] = {
		0x0a, 0x43, 0x0a, 0x00,		/* resource_logs { resource {} */
		0x12, 0x3f, 0x0a, 0x00,		/*  scope_logs { scope {} */
		0x12, 0x3b,			/*   log_records */
		0x09, U64(1),			/*    time_unix_nano (1, fixed64) */
		0x10, 0x11,			/*    severity_number ERROR (17) */
		0x1a, 0x01, 'E',		/*    severity_text */
		0x2a, 0x03, 0x0a, 0x01, 'b',	/*    body { string_value } */
		0x4a, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		0x52, 0x08, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
		0x59, U64(2),			/*    observed_time_unix_nano (11) */
		0x62, 0x01, 'n',		/*    event_name (12) */
	};
	/* clang-format on */
	struct otlp_buf b = {0};

	(void)state;
	assert_int_equal(otlp_encode_logs_pb(&req, &b), 0);
	expect_bytes(&b, exp, sizeof(exp));
	otlp_buf_free(&b);
}

/* Reads one length-delimited field from p, which must hold exactly one field. */
static const uint8_t *walk_len(const uint8_t *p, size_t *len, uint8_t tag)
{
	size_t n = 0;
	unsigned shift = 0;

	assert_int_equal(*p++, tag);
	do {
		n |= (size_t)(*p & 0x7f) << shift;
		shift += 7;
	} while (*p++ & 0x80);
	*len = n;
	return p;
}

/* Bodies of 128 bytes and more need a two-byte length: the in-place move. */
static void test_long_lengths(void **state)
{
	static char name[300];
	static struct otlp_metric m = {.name = name, .kind = OTLP_METRIC_GAUGE};
	static const struct otlp_resource_block blk = {.metrics = &m, .nmetrics = 1};
	static const struct otlp_request req = {&blk, 1};
	struct otlp_buf b = {0};
	const uint8_t *p;
	size_t n;

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	assert_int_equal(otlp_encode_metrics_pb(&req, &b), 0);
	p = walk_len(b.data, &n, 0x0a);
	assert_ptr_equal(p + n, b.data + b.len);
	p = walk_len(p + 2, &n, 0x12); /* past resource {} */
	p = walk_len(p + 2, &n, 0x12); /* past scope {} */
	assert_int_equal(n, 3 + 299 + 2);
	p = walk_len(p, &n, 0x0a);
	assert_int_equal(n, 299);
	assert_memory_equal(p, name, 299);
	assert_int_equal(p[299], 0x2a); /* an empty gauge {} follows */
	assert_int_equal(p[300], 0x00);
	otlp_buf_free(&b);
}

/* A zero value inside a oneof is a value, so it is written, unlike plain fields. */
static void test_zero_values_kept_where_proto3_needs_them(void **state)
{
	static const struct otlp_attr attrs[] = {
	    {.key = "e", .type = OTLP_STR, .s = ""},
	    {.key = "f", .type = OTLP_BOOL, .b = false},
	};
	static const struct otlp_point pt = {.attrs = {attrs, 2}, .time_ns = 1};
	static const struct otlp_metric m = {
	    .name = "g",
	    .description = "",
	    .unit = NULL,
	    .kind = OTLP_METRIC_GAUGE,
	    .points = &pt,
	    .npoints = 1,
	};
	static const struct otlp_resource_block blk = {.metrics = &m, .nmetrics = 1};
	static const struct otlp_request req = {&blk, 1};
	/* One field a line, as worked out by hand. */
	/* clang-format off */
	static const uint8_t exp[] = {
		0x0a, 0x33, 0x0a, 0x00, 0x12, 0x2f, 0x0a, 0x00,
		0x12, 0x2b, 0x0a, 0x01, 'g',	/* no description, no unit */
		0x2a, 0x26, 0x0a, 0x24,		/* gauge { data_points */
		0x19, U64(1),
		0x21, U64(0),			/*  as_double 0.0 */
		0x3a, 0x07, 0x0a, 0x01, 'e', 0x12, 0x02, 0x0a, 0x00,
		0x3a, 0x07, 0x0a, 0x01, 'f', 0x12, 0x02, 0x10, 0x00,
	};
	/* clang-format on */
	struct otlp_buf b = {0};

	(void)state;
	assert_int_equal(otlp_encode_metrics_pb(&req, &b), 0);
	expect_bytes(&b, exp, sizeof(exp));
	otlp_buf_free(&b);
}

static void test_empty_requests(void **state)
{
	static const struct otlp_resource_block blk = {0};
	struct otlp_request none = {NULL, 0}, one = {&blk, 1};
	static const uint8_t exp_one[] = {0x0a, 0x06, 0x0a, 0x00, 0x12, 0x02, 0x0a, 0x00};
	struct otlp_buf b = {0};

	(void)state;
	assert_int_equal(otlp_encode_metrics_pb(&none, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(otlp_encode_metrics_pb(&one, &b), 0);
	expect_bytes(&b, exp_one, sizeof(exp_one));
	assert_int_equal(otlp_encode_traces_pb(&one, &b), 0);
	expect_bytes(&b, exp_one, sizeof(exp_one));
	assert_int_equal(otlp_encode_metrics_json(&none, &b), 0);
	assert_int_equal(b.len, strlen("{\"resourceMetrics\":[]}"));
	assert_memory_equal(b.data, "{\"resourceMetrics\":[]}", b.len);
	assert_int_equal(otlp_encode_traces_json(&one, &b), 0);
	otlp_buf_free(&b);
	otlp_buf_free(&b); /* freeing twice is harmless */
}

/* --- JSON ------------------------------------------------------------------ */

static json_t *parse(const struct otlp_buf *b)
{
	json_error_t err;
	json_t *root = json_loadb((const char *)b->data, b->len, 0, &err);

	if (!root)
		fail_msg("invalid JSON: %s", err.text);
	return root;
}

/* Follows a path of object keys and array indexes ("#0") from root. */
static json_t *at(json_t *j, const char *path)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = tok[0] == '#' ? json_array_get(j, atoi(tok + 1)) : json_object_get(j, tok);
	if (!j)
		fail_msg("no %s in the JSON", path);
	return j;
}

static void expect_str(json_t *root, const char *path, const char *want)
{
	json_t *j = at(root, path);

	assert_true(json_is_string(j));
	assert_string_equal(json_string_value(j), want);
}

static void expect_int(json_t *root, const char *path, json_int_t want)
{
	json_t *j = at(root, path);

	assert_true(json_is_integer(j));
	assert_int_equal(json_integer_value(j), want);
}

static void expect_real(json_t *root, const char *path, double want)
{
	json_t *j = at(root, path);

	assert_true(json_is_real(j));
	assert_true(json_real_value(j) == want);
}

/* Invalid UTF-8 from the network must not make an invalid string field. */
static void test_invalid_utf8_replaced(void **state)
{
	static const struct otlp_attr attr = {.key = "p",
					      .type = OTLP_STR,
					      .s = "a\xff"
						   "b"};
	static const struct otlp_resource_block blk = {.resource = {&attr, 1}};
	static const struct otlp_request req = {&blk, 1};
	static const uint8_t want[] = {0x0a, 0x05, 'a', 0xef, 0xbf, 0xbd, 'b'};
	struct otlp_buf b = {0};
	json_t *root;

	(void)state;
	assert_int_equal(otlp_encode_metrics_pb(&req, &b), 0);
	assert_non_null(memmem(b.data, b.len, want, sizeof(want)));
	assert_int_equal(otlp_encode_metrics_json(&req, &b), 0);
	root = parse(&b);
	expect_str(root, "resourceMetrics.#0.resource.attributes.#0.value.stringValue",
		   "a\xef\xbf\xbd"
		   "b");
	json_decref(root);
	otlp_buf_free(&b);
}

static const uint64_t hist_counts[] = {4, 0, UINT64_MAX};
static const double hist_bounds[] = {0.25, 1e3};
static const struct otlp_attr json_attrs[] = {
    {.key = "s", .type = OTLP_STR, .s = "q\"\\\n"},
    {.key = "i", .type = OTLP_INT, .i = INT64_MIN},
    {.key = "d", .type = OTLP_DOUBLE, .d = 2.5},
    {.key = "b", .type = OTLP_BOOL, .b = true},
};
static const struct otlp_point json_sum_pt = {
    .attrs = {json_attrs, 4},
    .start_ns = 1700000000000000001ULL,
    .time_ns = 1700000000000000002ULL,
    .as_int = INT64_MAX,
};
static const struct otlp_point json_gauge_pts[] = {
    {.time_ns = 7, .as_double = 0.125},
    {.time_ns = 7, .as_double = NAN},
};
static const struct otlp_point json_hist_pt = {
    .time_ns = 9,
    .count = UINT64_MAX,
    .sum = 3.5,
    .bucket_counts = hist_counts,
    .bounds = hist_bounds,
    .nbounds = 2,
};
static const struct otlp_metric json_metrics[] = {
    {.name = "requests",
     .description = "HTTP requests",
     .unit = "{request}",
     .kind = OTLP_METRIC_SUM,
     .temporality = OTLP_TEMPORALITY_CUMULATIVE,
     .points = &json_sum_pt,
     .npoints = 1},
    {.name = "ratio", .kind = OTLP_METRIC_GAUGE, .points = json_gauge_pts, .npoints = 2},
    {.name = "latency",
     .unit = "s",
     .kind = OTLP_METRIC_HISTOGRAM,
     .temporality = OTLP_TEMPORALITY_DELTA,
     .points = &json_hist_pt,
     .npoints = 1},
};
static const struct otlp_attr json_res_attr = {.key = "service.name", .s = "meshsight"};
static const struct otlp_resource_block json_metrics_blk = {
    .resource = {&json_res_attr, 1},
    .scope_name = "meshsight",
    .scope_version = "0.1",
    .metrics = json_metrics,
    .nmetrics = 3,
};

static void test_metrics_json(void **state)
{
	static const struct otlp_request req = {&json_metrics_blk, 1};
	struct otlp_buf b = {0};
	json_t *root, *r, *sum;

	(void)state;
	assert_int_equal(otlp_encode_metrics_json(&req, &b), 0);
	root = r = parse(&b);
	expect_str(r, "resourceMetrics.#0.resource.attributes.#0.key", "service.name");
	expect_str(r, "resourceMetrics.#0.resource.attributes.#0.value.stringValue", "meshsight");
	expect_str(r, "resourceMetrics.#0.scopeMetrics.#0.scope.name", "meshsight");
	expect_str(r, "resourceMetrics.#0.scopeMetrics.#0.scope.version", "0.1");
	sum = at(r, "resourceMetrics.#0.scopeMetrics.#0.metrics.#0");
	expect_str(sum, "name", "requests");
	expect_str(sum, "description", "HTTP requests");
	expect_str(sum, "unit", "{request}");
	expect_int(sum, "sum.aggregationTemporality", 2);
	assert_true(json_is_true(at(sum, "sum.isMonotonic")));
	expect_str(sum, "sum.dataPoints.#0.startTimeUnixNano", "1700000000000000001");
	expect_str(sum, "sum.dataPoints.#0.timeUnixNano", "1700000000000000002");
	expect_str(sum, "sum.dataPoints.#0.asInt", "9223372036854775807");
	expect_str(sum, "sum.dataPoints.#0.attributes.#0.value.stringValue", "q\"\\\n");
	expect_str(sum, "sum.dataPoints.#0.attributes.#1.value.intValue", "-9223372036854775808");
	expect_real(sum, "sum.dataPoints.#0.attributes.#2.value.doubleValue", 2.5);
	assert_true(json_is_true(at(sum, "sum.dataPoints.#0.attributes.#3.value.boolValue")));

	r = at(r, "resourceMetrics.#0.scopeMetrics.#0.metrics");
	assert_null(json_object_get(at(r, "#1"), "description"));
	assert_null(json_object_get(at(r, "#1"), "unit"));
	assert_null(json_object_get(at(r, "#1.gauge"), "aggregationTemporality"));
	assert_null(json_object_get(at(r, "#1.gauge.dataPoints.#0"), "attributes"));
	assert_null(json_object_get(at(r, "#1.gauge.dataPoints.#0"), "startTimeUnixNano"));
	expect_real(r, "#1.gauge.dataPoints.#0.asDouble", 0.125);
	expect_str(r, "#1.gauge.dataPoints.#1.asDouble", "NaN");
	expect_int(r, "#2.histogram.aggregationTemporality", 1);
	expect_str(r, "#2.histogram.dataPoints.#0.count", "18446744073709551615");
	expect_real(r, "#2.histogram.dataPoints.#0.sum", 3.5);
	expect_str(r, "#2.histogram.dataPoints.#0.bucketCounts.#0", "4");
	expect_str(r, "#2.histogram.dataPoints.#0.bucketCounts.#2", "18446744073709551615");
	assert_int_equal(json_array_size(at(r, "#2.histogram.dataPoints.#0.bucketCounts")), 3);
	expect_real(r, "#2.histogram.dataPoints.#0.explicitBounds.#0", 0.25);
	expect_real(r, "#2.histogram.dataPoints.#0.explicitBounds.#1", 1e3);
	assert_null(json_object_get(at(r, "#2.histogram.dataPoints.#0"), "min"));
	json_decref(root);
	otlp_buf_free(&b);
}

static void test_traces_json(void **state)
{
	static struct otlp_span spans[2];
	static const struct otlp_attr attr = {.key = "http.route", .s = "/api"};
	static const struct otlp_resource_block blk = {.spans = spans, .nspans = 2};
	static const struct otlp_request req = {&blk, 1};
	struct otlp_buf b = {0};
	json_t *r, *s;

	(void)state;
	spans[0] = sample_span;
	spans[1] = sample_span;
	spans[1].trace_id[0] = 0xab;
	spans[1].parent_span_id[7] = 0xfe;
	spans[1].kind = OTLP_SPAN_KIND_CLIENT;
	spans[1].attrs = (struct otlp_attrs){&attr, 1};
	spans[1].status = OTLP_STATUS_UNSET;
	spans[1].flags = 0;
	assert_int_equal(otlp_encode_traces_json(&req, &b), 0);
	r = parse(&b);
	assert_null(json_object_get(at(r, "resourceSpans.#0.scopeSpans.#0.scope"), "name"));
	s = at(r, "resourceSpans.#0.scopeSpans.#0.spans");
	expect_str(s, "#0.traceId", "0102030405060708090a0b0c0d0e0f10");
	expect_str(s, "#0.spanId", "a1a2a3a4a5a6a7a8");
	assert_null(json_object_get(at(s, "#0"), "parentSpanId"));
	expect_str(s, "#0.name", "GET");
	expect_int(s, "#0.kind", 2);
	expect_int(s, "#0.flags", 1);
	expect_str(s, "#0.startTimeUnixNano", "1");
	expect_str(s, "#0.endTimeUnixNano", "2");
	expect_int(s, "#0.status.code", 2);
	assert_null(json_object_get(at(s, "#0.status"), "message"));
	expect_str(s, "#1.traceId", "ab02030405060708090a0b0c0d0e0f10");
	expect_str(s, "#1.parentSpanId", "00000000000000fe");
	expect_int(s, "#1.kind", 3);
	expect_str(s, "#1.attributes.#0.value.stringValue", "/api");
	assert_null(json_object_get(at(s, "#1"), "status"));
	assert_null(json_object_get(at(s, "#1"), "flags"));
	json_decref(r);
	otlp_buf_free(&b);
}

static void test_logs_json(void **state)
{
	static struct otlp_log logs[2];
	static const struct otlp_attr attr = {.key = "url.path", .s = "/api"};
	static const struct otlp_resource_block blk = {.logs = logs, .nlogs = 2};
	static const struct otlp_request req = {&blk, 1};
	struct otlp_buf b = {0};
	json_t *r, *l;

	(void)state;
	logs[0] = sample_log;
	logs[1] = (struct otlp_log){.time_ns = 3, .body = "event", .attrs = {&attr, 1}};
	assert_int_equal(otlp_encode_logs_json(&req, &b), 0);
	r = parse(&b);
	l = at(r, "resourceLogs.#0.scopeLogs.#0.logRecords");
	expect_str(l, "#0.timeUnixNano", "1");
	expect_str(l, "#0.observedTimeUnixNano", "2");
	expect_int(l, "#0.severityNumber", 17);
	expect_str(l, "#0.severityText", "E");
	expect_str(l, "#0.body.stringValue", "b");
	expect_str(l, "#0.traceId", "0102030405060708090a0b0c0d0e0f10");
	expect_str(l, "#0.spanId", "a1a2a3a4a5a6a7a8");
	expect_str(l, "#0.eventName", "n");
	expect_str(l, "#1.body.stringValue", "event");
	expect_str(l, "#1.attributes.#0.value.stringValue", "/api");
	assert_null(json_object_get(at(l, "#1"), "traceId")); /* an event has none */
	assert_null(json_object_get(at(l, "#1"), "severityNumber"));
	json_decref(r);
	otlp_buf_free(&b);
}

/* --- responses ------------------------------------------------------------- */

static int decode(const void *body, size_t len, bool is_json, int64_t *rejected, char *msg,
		  size_t msglen)
{
	*rejected = -42;
	memset(msg, '?', msglen - 1); /* stale contents must be overwritten */
	msg[msglen - 1] = '\0';
	return otlp_decode_response(body, len, is_json, rejected, msg, msglen);
}

static void test_decode_full_success(void **state)
{
	char msg[64];
	int64_t n;

	(void)state;
	assert_int_equal(decode("", 0, false, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 0);
	assert_string_equal(msg, "");
	assert_int_equal(decode("", 0, true, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(decode("{}", 2, true, &n, msg, sizeof(msg)), 0);
	assert_int_equal(decode("{\"partialSuccess\":{}}", 21, true, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 0);
	assert_string_equal(msg, "");
	/* An empty partial_success present in protobuf: still no rejections. */
	assert_int_equal(decode("\x0a\x00", 2, false, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(otlp_decode_response(NULL, 0, false, NULL, NULL, 0), 0);
}

static void test_decode_partial_pb(void **state)
{
	static const uint8_t body[] = {0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, 'b', 'a', 'd'};
	/* Unknown fields of every wire type around and inside partial_success. */
	/* One field a line, as worked out by hand. */
	/* clang-format off */
	static const uint8_t noisy[] = {
		0x28, 0xff, 0xff, 0x01,				/* 5: varint */
		0x31, U64(9),					/* 6: fixed64 */
		0x3a, 0x02, 0x01, 0x02,				/* 7: bytes */
		0x45, 1, 2, 3, 4,				/* 8: fixed32 */
		0x4b, 0x08, 0x01, 0x53, 0x54, 0x4c,		/* 9: group, nested group */
		0x0a, 0x14,
		0x18, 0x01,					/*  3: varint */
		0x08, 0x02,					/*  rejected 2, then 7 */
		0x12, 0x03, 'x', '\n', 'y',			/*  control byte replaced */
		0x21, U64(0),					/*  4: fixed64 */
		0x08, 0x07,
	};
	/* clang-format on */
	char msg[64], small[3];
	int64_t n;

	(void)state;
	assert_int_equal(decode(body, sizeof(body), false, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(msg, "bad");
	assert_int_equal(decode(body, sizeof(body), false, &n, small, sizeof(small)), 0);
	assert_string_equal(small, "ba");
	assert_int_equal(decode(noisy, sizeof(noisy), false, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, 7);
	assert_string_equal(msg, "x?y");
}

static void test_decode_partial_json(void **state)
{
	static const char *const bodies[] = {
	    "{\"partialSuccess\":{\"rejectedDataPoints\":\"12\",\"errorMessage\":\"too old\"}}",
	    "{\"partialSuccess\":{\"rejectedDataPoints\":12,\"errorMessage\":\"too old\"}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":\"12\",\"errorMessage\":\"too old\"}}",
	    "{\"partial_success\":{\"rejected_spans\":12,\"error_message\":\"too old\"},\"x\":[]}",
	};
	char msg[64];
	int64_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(decode(bodies[i], strlen(bodies[i]), true, &n, msg, sizeof(msg)),
				 0);
		assert_int_equal(n, 12);
		assert_string_equal(msg, "too old");
	}
}

static void test_decode_garbage(void **state)
{
	static const struct {
		const char *body;
		size_t len;
	} pb[] = {
	    {"\x0a\x05\x08", 3},     /* length past the end */
	    {"\xff", 1},	     /* truncated varint */
	    {"\x0a\x02\x08\xff", 4}, /* truncated varint inside */
	    {"\x07", 1},	     /* wire type 7 */
	    {"\x00\x00", 2},	     /* field number 0 */
	    {"\x4c", 1},	     /* end group with no start */
	    {"\x4b\x08\x01", 3},     /* group never closed */
	    {"\x4b\x54", 2},	     /* group closed by another field */
	    {"\x31\x01\x02", 3},     /* fixed64 cut short */
	    {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11},	  /* varint > 64 bits */
	    {"\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13}, /* negative */
	    {"{}", 2},
	};
	static const char *const js[] = {
	    "not json",
	    "[1]",
	    "{\"partialSuccess\":5}",
	    "{\"partialSuccess\":{\"rejectedSpans\":\"x1\"}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":\"\"}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":1.5}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":\"99999999999999999999\"}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":-1}}",
	    "{\"partialSuccess\":{\"errorMessage\":3}}",
	    "{",
	    "\x0a\x00",
	};
	char msg[16];
	int64_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pb) / sizeof(pb[0]); i++) {
		assert_int_equal(decode(pb[i].body, pb[i].len, false, &n, msg, sizeof(msg)),
				 -EINVAL);
		assert_int_equal(n, 0);
		assert_string_equal(msg, "");
	}
	for (i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
		assert_int_equal(decode(js[i], strlen(js[i]), true, &n, msg, sizeof(msg)), -EINVAL);
		assert_int_equal(n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sum_pb_bytes),
	    cmocka_unit_test(test_histogram_pb_bytes),
	    cmocka_unit_test(test_span_pb_bytes),
	    cmocka_unit_test(test_log_pb_bytes),
	    cmocka_unit_test(test_long_lengths),
	    cmocka_unit_test(test_zero_values_kept_where_proto3_needs_them),
	    cmocka_unit_test(test_empty_requests),
	    cmocka_unit_test(test_invalid_utf8_replaced),
	    cmocka_unit_test(test_metrics_json),
	    cmocka_unit_test(test_traces_json),
	    cmocka_unit_test(test_logs_json),
	    cmocka_unit_test(test_decode_full_success),
	    cmocka_unit_test(test_decode_partial_pb),
	    cmocka_unit_test(test_decode_partial_json),
	    cmocka_unit_test(test_decode_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
