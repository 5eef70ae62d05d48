// SPDX-License-Identifier: BSD-2-Clause
/*
 * Edges -> OTLP metrics request: point counts per metric family, and delta
 * temporality computed against the exporter's own bases, the edges left as
 * they were (what /api/v1/edges and /metrics read). The wire format itself is checked
 * end to end against a real OTLP decoder (tests/e2e/test_otlp.sh).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "otlp/metrics.h"

#define MS 1000000ULL

static void fill(struct aggregator *a)
{
	struct edge_key k = {.dst_port = 8080, .proto = EDGE_PROTO_HTTP};
	struct http1_txn t;
	struct edge *e;
	int i;

	k.src_addr[10] = k.src_addr[11] = k.dst_addr[10] = k.dst_addr[11] = 0xff;
	k.src_addr[15] = 1;
	k.dst_addr[15] = 2;
	e = agg_edge(a, &k, 1);
	assert_non_null(e);
	memset(&t, 0, sizeof(t));
	strcpy(t.method, "GET");
	t.version_minor = 1;
	t.req_start_ns = 10 * MS;
	t.resp_start_ns = 40 * MS;
	t.resp_end_ns = 41 * MS;
	for (i = 0; i < 3; i++) {
		t.status = i == 2 ? 503 : 200;
		agg_record_http(a, e, REPORTER_DESTINATION, &t, 50 * MS);
		agg_record_http(a, e, REPORTER_SOURCE, &t, 50 * MS);
	}
	agg_record_open(a, e, REPORTER_DESTINATION, 1);
	agg_record_open(a, e, REPORTER_SOURCE, 1);
}

static struct otlp_delta *bases;
static json_int_t server_count; /* sum of count_metric's counts, JSON builds */
static const char *count_metric = "http.server.request.duration";

static json_int_t json_count(json_t *v)
{
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : json_integer_value(v);
}

/* Adds up the counts of every http.server.request.duration point. */
static json_int_t server_duration_count(const char *data, size_t len)
{
	json_t *root = json_loadb(data, len, 0, NULL), *rm, *sm, *m, *p;
	json_int_t sum = 0;
	size_t i, j, k, l;

	assert_non_null(root);
	json_array_foreach(json_object_get(root, "resourceMetrics"), i, rm)
	{
		json_array_foreach(json_object_get(rm, "scopeMetrics"), j, sm)
		{
			json_array_foreach(json_object_get(sm, "metrics"), k, m)
			{
				if (strcmp(json_string_value(json_object_get(m, "name")),
					   count_metric))
					continue;
				json_array_foreach(
				    json_object_get(json_object_get(m, "histogram"), "dataPoints"),
				    l, p) sum += json_count(json_object_get(p, "count"));
			}
		}
	}
	json_decref(root);
	return sum;
}

static uint64_t build(struct aggregator *a, enum otlp_temporality temp, bool json, size_t *len)
{
	struct naming n = {0};
	struct otlp_metrics_opts o = {
	    .temporality = temp,
	    .now_unix_ns = 1700000000000000000ULL,
	    .mono_to_unix_ns = 1690000000000000000ULL,
	    .agent_service_name = "meshsight",
	    .host_name = "node-1",
	    .scope_version = "test",
	    .json = json,
	};
	struct otlp_buf out = {0};
	uint64_t points = 0;

	assert_int_equal(otlp_build_metrics(a, &n, &o, bases, &out, &points), 0);
	assert_true(out.len > 0);
	if (json) {
		if (temp == OTLP_TEMPORALITY_CUMULATIVE)
			assert_non_null(
			    memmem(out.data, out.len, count_metric, strlen(count_metric)));
		server_count = server_duration_count((const char *)out.data, out.len);
	}
	*len = out.len;
	otlp_buf_free(&out);
	return points;
}

/*
 * Per view: 2 duration points (GET 200, GET 503) + 5 TCP sums (no RTT seen yet);
 * service graph: total, failed, server and client histograms.
 */
static void test_points_per_family(void **state)
{
	struct aggregator a;
	size_t len;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	fill(&a);
	assert_int_equal(build(&a, OTLP_TEMPORALITY_CUMULATIVE, false, &len), 2 * (2 + 5) + 4);
	/* cumulative: building again changes nothing */
	assert_int_equal(build(&a, OTLP_TEMPORALITY_CUMULATIVE, true, &len), 2 * (2 + 5) + 4);
	agg_free(&a);
}

/* One more GET 200 on the edge of fill(). */
static void one_more(struct aggregator *a)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	strcpy(t.method, "GET");
	t.version_minor = 1;
	t.status = 200;
	t.req_start_ns = 60 * MS;
	t.resp_start_ns = 70 * MS;
	t.resp_end_ns = 71 * MS;
	agg_record_http(a, a->lru_head, REPORTER_DESTINATION, &t, 80 * MS);
}

static void test_delta_leaves_the_model_alone(void **state)
{
	struct aggregator a;
	struct edge *e;
	size_t len;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	bases = otlp_delta_new();
	assert_non_null(bases);
	fill(&a);
	assert_int_equal(build(&a, OTLP_TEMPORALITY_DELTA, true, &len), 2 * (2 + 5) + 4);
	assert_int_equal(server_count, 3);
	/* the next interval had no request: no duration points, the rest is unchanged */
	assert_int_equal(build(&a, OTLP_TEMPORALITY_DELTA, true, &len), 2 * 5 + 4);
	assert_int_equal(server_count, 0);
	/* one request: a delta of one, in one point */
	one_more(&a);
	assert_int_equal(build(&a, OTLP_TEMPORALITY_DELTA, true, &len), 1 + 2 * 5 + 4);
	assert_int_equal(server_count, 1);
	/* the model still holds every series and count, for /metrics and the JSON */
	e = a.lru_head;
	assert_int_equal(e->view[REPORTER_DESTINATION].nseries, 2);
	assert_int_equal(e->view[REPORTER_DESTINATION].requests, 4);
	assert_int_equal(e->view[REPORTER_DESTINATION].latency.count, 4);
	assert_int_equal(e->view[REPORTER_DESTINATION].series[0].count +
			     e->view[REPORTER_DESTINATION].series[1].count,
			 4);
	/* a cumulative build of the same model sees all four */
	otlp_delta_free(bases);
	bases = NULL;
	build(&a, OTLP_TEMPORALITY_CUMULATIVE, true, &len);
	assert_int_equal(server_count, 4);
	agg_free(&a);
}

/* gRPC calls: 2 OK and 1 UNAVAILABLE on /demo.Echo/Ok, as h2.c reports them. */
static void grpc_calls(struct aggregator *a, int n)
{
	struct edge_key k = {.dst_port = 50051, .proto = EDGE_PROTO_GRPC};
	struct http1_txn t;
	struct edge *e;
	int i;

	k.src_addr[10] = k.src_addr[11] = k.dst_addr[10] = k.dst_addr[11] = 0xff;
	k.src_addr[15] = 1;
	k.dst_addr[15] = 2;
	e = agg_edge(a, &k, 1);
	assert_non_null(e);
	memset(&t, 0, sizeof(t));
	strcpy(t.method, "POST");
	strcpy(t.path, "/demo.Echo/Ok");
	t.status = 200;
	t.req_start_ns = 10 * MS;
	t.resp_start_ns = 12 * MS;
	t.resp_end_ns = 13 * MS;
	for (i = 0; i < n; i++) {
		t.flags = HTTP1_TXN_F_H2 | HTTP1_TXN_F_GRPC | HTTP1_TXN_F_GRPC_STATUS;
		t.grpc_status = i == 2 ? 14 : 0;
		agg_record_http(a, e, REPORTER_DESTINATION, &t, 50 * MS);
	}
}

/* gRPC goes to rpc.server.duration (ms), one point per status, deltas keyed by it too. */
static void test_grpc_rpc_duration(void **state)
{
	struct aggregator a;
	size_t len;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	bases = otlp_delta_new();
	assert_non_null(bases);
	grpc_calls(&a, 3);
	build(&a, OTLP_TEMPORALITY_DELTA, true, &len);
	assert_int_equal(server_count, 0); /* no gRPC call in the HTTP histogram */
	count_metric = "rpc.server.duration";
	build(&a, OTLP_TEMPORALITY_DELTA, true, &len);
	assert_int_equal(server_count, 0); /* the first build took the 3 as its delta */
	grpc_calls(&a, 1);
	build(&a, OTLP_TEMPORALITY_DELTA, true, &len);
	assert_int_equal(server_count, 1);
	otlp_delta_free(bases);
	bases = NULL;
	build(&a, OTLP_TEMPORALITY_CUMULATIVE, true, &len);
	assert_int_equal(server_count, 4);
	assert_int_equal(a.lru_head->view[REPORTER_DESTINATION].nseries, 2); /* status 0 and 14 */
	count_metric = "http.server.request.duration";
	agg_free(&a);
}

/* Delta without the exporter's bases is refused, not silently cumulative. */
static void test_delta_needs_bases(void **state)
{
	struct otlp_metrics_opts o = {.temporality = OTLP_TEMPORALITY_DELTA};
	struct naming n = {0};
	struct otlp_buf out = {0};
	struct aggregator a;
	uint64_t points;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	assert_int_equal(otlp_build_metrics(&a, &n, &o, NULL, &out, &points), -EINVAL);
	agg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_points_per_family),
	    cmocka_unit_test(test_delta_leaves_the_model_alone),
	    cmocka_unit_test(test_delta_needs_bases),
	    cmocka_unit_test(test_grpc_rpc_duration),
	};

	return cmocka_run_group_tests_name("otlp_metrics", tests, NULL, NULL);
}
